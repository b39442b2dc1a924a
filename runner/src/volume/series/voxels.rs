//! The voxels of an assembled series: each slice decoded by the scans' own decoder
//! ([`crate::dicom`]: every transfer syntax it reads, the same guards), through its own
//! modality LUT (RescaleSlope and RescaleIntercept: Hounsfield units for CT), placed at
//! its z index.

use super::{Series, SeriesError};
use crate::budget::ReadLimits;
use crate::volume::Volume;
use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

/// Explicit VR Big Endian (retired): its native multi-frame pixel data is not split here.
const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";

/// The voxels of `series`, in Hounsfield units for CT (each slice's own rescale applied),
/// x fastest, then y, then z. A series of more voxels than `limits.max_pixels` is refused
/// before anything is read, and each file is read within `limits` as any scan is.
pub fn load(series: &Series, limits: &ReadLimits) -> Result<Volume<f32>, SeriesError> {
    let g = &series.geometry;
    let voxels = g.size.iter().fold(1u64, |n, d| n.saturating_mul(*d as u64));
    if voxels > limits.max_pixels {
        return Err(SeriesError::TooLarge {
            series: series.uid.clone(),
            voxels,
            size: g.size,
            limit: limits.max_pixels,
        });
    }
    let plane = g.size[0] * g.size[1];
    let mut data = vec![0f32; plane * g.size[2]];
    // Each file is parsed once, however many of its frames the series holds.
    let mut files: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
    for (z, slice) in series.slices.iter().enumerate() {
        files.entry(slice.path.as_path()).or_default().push(z);
    }
    for (path, zs) in files {
        let shown = path.display().to_string();
        let loaded = crate::dicom::load_object(path, &shown, &limits.scan())?;
        let obj = &loaded.obj;
        let ts = obj
            .meta()
            .transfer_syntax
            .trim_matches(|c: char| c == '\0' || c == ' ')
            .to_owned();
        let frames = obj
            .get(tags::NUMBER_OF_FRAMES)
            .and_then(|e| e.to_int::<u32>().ok())
            .unwrap_or(1)
            .max(1);
        let split = if frames > 1 {
            let frames = Frames::of(obj, &ts).map_err(|reason| SeriesError::Frame {
                file: shown.clone(),
                frame: 0,
                reason,
            })?;
            Some((without_pixels(obj), frames))
        } else {
            None
        };
        for z in zs {
            let slice = &series.slices[z];
            let fail = |reason: String| SeriesError::Frame {
                file: shown.clone(),
                frame: slice.frame,
                reason,
            };
            if slice.frame >= frames {
                return Err(fail(format!("the file now has {frames} frame(s)")));
            }
            let image = match &split {
                None => crate::dicom::decode_first_frame(obj, &shown, &ts, &limits.scan()),
                Some((template, frames)) => {
                    let single = frames.one(template, slice.frame).map_err(fail)?;
                    crate::dicom::decode_first_frame(&single, &shown, &ts, &limits.scan())
                }
            }
            .map_err(|e| fail(e.reason))?;
            if image.channels() != 1 {
                return Err(fail("a colour image is not a slice of a volume".to_owned()));
            }
            if (image.columns, image.rows) != (g.size[0], g.size[1]) {
                return Err(fail(format!(
                    "the frame is {} x {}, the series {} x {} (columns x rows)",
                    image.columns, image.rows, g.size[0], g.size[1]
                )));
            }
            let out = &mut data[z * plane..(z + 1) * plane];
            for (i, v) in out.iter_mut().enumerate() {
                let stored = image
                    .stored(i)
                    .ok_or_else(|| fail(format!("the frame has no sample {i}")))?;
                *v = (stored as f64 * slice.rescale_slope + slice.rescale_intercept) as f32;
            }
        }
    }
    Ok(Volume {
        geometry: g.clone(),
        data,
    })
}

/// The object's attributes without its pixel data, its offset tables and functional
/// groups: what each of its frames is decoded with (cloned once per frame, it holds no
/// pixels).
fn without_pixels(obj: &DefaultDicomObject) -> DefaultDicomObject {
    let skip = [
        tags::PIXEL_DATA,
        tags::EXTENDED_OFFSET_TABLE,
        tags::EXTENDED_OFFSET_TABLE_LENGTHS,
        tags::NUMBER_OF_FRAMES,
        tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
        tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
    ];
    InMemDicomObject::from_element_iter(
        obj.iter()
            .filter(|e| !skip.contains(&e.header().tag))
            .cloned(),
    )
    .with_exact_meta(obj.meta().clone())
}

/// Where the frames of a multi-frame object are: encapsulated, found by the scans' own
/// frame locator ([`crate::dicom::encoded_frame`]: the Extended or Basic Offset Table, one
/// fragment per frame, or start markers), or native bytes cut at each frame's (computed
/// once per file: native pixel data may be converted to bytes).
enum Frames<'a> {
    Encapsulated(&'a DefaultDicomObject),
    Native { bytes: Cow<'a, [u8]>, size: u64 },
}

impl<'a> Frames<'a> {
    fn of(obj: &'a DefaultDicomObject, ts: &str) -> Result<Self, String> {
        let elem = obj
            .get(tags::PIXEL_DATA)
            .ok_or("the object holds no pixel data")?;
        match elem.value() {
            Value::PixelSequence(_) => Ok(Self::Encapsulated(obj)),
            Value::Primitive(p) => {
                if ts == EXPLICIT_VR_BE {
                    return Err("big endian multi-frame pixel data is not read".to_owned());
                }
                let uint = |tag| {
                    obj.get(tag)
                        .and_then(|e| e.to_int::<u64>().ok())
                        .unwrap_or(0)
                };
                let bits = uint(tags::BITS_ALLOCATED);
                if bits == 0 || bits % 8 != 0 {
                    return Err(format!(
                        "BitsAllocated {bits} is not a whole number of bytes"
                    ));
                }
                let size = uint(tags::ROWS)
                    .saturating_mul(uint(tags::COLUMNS))
                    .saturating_mul(uint(tags::SAMPLES_PER_PIXEL).max(1))
                    .saturating_mul(bits / 8);
                Ok(Self::Native {
                    bytes: p.to_bytes(),
                    size,
                })
            }
            Value::Sequence(_) => Err("the pixel data is a sequence".to_owned()),
        }
    }

    /// Frame `frame` as a single-frame object on `template`.
    fn one(&self, template: &DefaultDicomObject, frame: u32) -> Result<DefaultDicomObject, String> {
        let pixels = match self {
            Self::Encapsulated(obj) => {
                let data = crate::dicom::encoded_frame(obj, frame).map_err(|e| e.to_string())?;
                Value::PixelSequence(PixelFragmentSequence::new(
                    Vec::<u32>::new(),
                    vec![data.into_owned()],
                ))
            }
            Self::Native { bytes, size } => {
                let start = size.saturating_mul(u64::from(frame));
                let range = usize::try_from(start)
                    .ok()
                    .zip(usize::try_from(start.saturating_add(*size)).ok())
                    .and_then(|(a, b)| bytes.get(a..b))
                    .ok_or_else(|| {
                        format!(
                            "the pixel data holds {} bytes, frame {frame} of {size} bytes is not in them",
                            bytes.len()
                        )
                    })?;
                Value::Primitive(PrimitiveValue::U8(range.to_vec().into()))
            }
        };
        let mut single = template.clone();
        single.put(DataElement::new(tags::PIXEL_DATA, VR::OB, pixels));
        Ok(single)
    }
}
