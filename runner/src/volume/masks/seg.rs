//! DICOM Segmentation objects (Segmentation Storage, PS3.3 A.51: BINARY and FRACTIONAL;
//! Label Map Segmentation Storage: LABELMAP, 8 or 16 bits) read onto the source series:
//! each frame is one segment (a LABELMAP frame: all) on one source slice, found by
//! the frame's ReferencedSOPInstanceUID (DerivationImageSequence / SourceImageSequence)
//! when it names one slice of the source, else by its ImagePositionPatient along the
//! source's slice normal (so the frames of an enhanced multi-frame source, which share one
//! SOPInstanceUID, are placed by position).
//!
//! The file is opened as every scan is ([`crate::dicom`]): a regular file within the size
//! limit, its element stream checked before dicom-rs parses it. Pixel data must be
//! native (not encapsulated); the number of pixels is bounded before any is read.

use super::{MaskError, Structure, DIRECTION, ORIGIN_MM, SPACING_RELATIVE};
use crate::dicom::Limits;
use crate::volume::{Geometry, Volume};
use dicom_core::value::Value;
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use std::collections::HashMap;
use std::path::Path;

/// Segmentation Storage.
const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";
/// Label Map Segmentation Storage (PS3.3 2024c).
const LABEL_MAP_SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.7";
const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";

type Obj = InMemDicomObject;

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c == ' ' || c == '\0')
}

fn text(obj: &Obj, tag: Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    Some(trim(&s).to_owned())
}

fn uint(obj: &Obj, tag: Tag) -> Option<u64> {
    let e = obj.get(tag)?;
    match e.to_int::<u64>() {
        Ok(v) => Some(v),
        // IS values are text.
        Err(_) => trim(&e.to_str().ok()?).parse().ok(),
    }
}

fn floats(obj: &Obj, tag: Tag) -> Option<Vec<f64>> {
    obj.get(tag)?.to_multi_float64().ok()
}

fn items(obj: &Obj, tag: Tag) -> &[Obj] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

fn first(obj: &Obj, tag: Tag) -> Option<&Obj> {
    items(obj, tag).first()
}

/// A segment the file describes.
struct Segment {
    number: u64,
    label: String,
    meaning: String,
}

impl Segment {
    fn shown(&self) -> String {
        if self.meaning.is_empty() {
            format!("{}: `{}`", self.number, self.label)
        } else {
            format!("{}: `{}` ({})", self.number, self.label, self.meaning)
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// One bit a pixel, the frames one continuous bit stream.
    Binary,
    /// One byte a pixel, with the MaximumFractionalValue.
    Fractional(u64),
    /// Label Map Segmentation (2024): each pixel the number of its segment, in 1 or 2
    /// bytes; a frame holds every segment of its slice.
    Labelmap(usize),
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Binary => "BINARY",
            Self::Fractional(_) => "FRACTIONAL",
            Self::Labelmap(_) => "LABELMAP",
        }
    }
}

/// Reads a DICOM SEG onto the source geometry: one mask per structure.
pub(super) fn read_seg(
    path: &Path,
    structures: &[Structure],
    source: &Geometry,
    source_slices: &[String],
    limit_bytes: u64,
) -> Result<Vec<Volume<bool>>, MaskError> {
    let shown = path.display().to_string();
    let limits = Limits {
        max_scan_bytes: limit_bytes,
        max_pixels: Limits::MAX_PIXELS,
    };
    let bad = |reason: String| MaskError::Seg {
        mask: path.to_owned(),
        reason,
    };
    let loaded = crate::dicom::load_object(path, &shown, &limits).map_err(|e| {
        if e.reason.starts_with("cannot read the file") {
            MaskError::Read {
                mask: path.to_owned(),
                reason: e.reason,
            }
        } else {
            bad(e.reason)
        }
    })?;
    let obj: &Obj = &loaded.obj;
    let sop_class = text(obj, tags::SOP_CLASS_UID)
        .unwrap_or_else(|| trim(&loaded.obj.meta().media_storage_sop_class_uid).to_owned());
    if sop_class != SEGMENTATION_STORAGE && sop_class != LABEL_MAP_SEGMENTATION_STORAGE {
        return Err(bad(format!(
            "its SOP class is `{sop_class}`, not Segmentation Storage ({SEGMENTATION_STORAGE}) \
             or Label Map Segmentation Storage ({LABEL_MAP_SEGMENTATION_STORAGE})"
        )));
    }
    if trim(&loaded.obj.meta().transfer_syntax) == EXPLICIT_VR_BE {
        return Err(bad(
            "big-endian pixel data (the retired Explicit VR Big Endian) is not read".to_owned(),
        ));
    }

    let segments = segments(obj).map_err(bad)?;
    let wanted = match_structures(path, structures, &segments)?;
    check_references(path, obj, source_slices)?;

    let bits = uint(obj, tags::BITS_ALLOCATED).unwrap_or(0);
    let kind = match text(obj, tags::SEGMENTATION_TYPE).as_deref() {
        Some("BINARY") => Kind::Binary,
        Some("FRACTIONAL") => {
            let max = uint(obj, tags::MAXIMUM_FRACTIONAL_VALUE)
                .filter(|&m| m >= 1)
                .ok_or_else(|| {
                    bad("a FRACTIONAL SEG needs a MaximumFractionalValue of at least 1".to_owned())
                })?;
            Kind::Fractional(max)
        }
        Some("LABELMAP") => Kind::Labelmap(if bits == 16 { 2 } else { 1 }),
        Some(other) => {
            return Err(bad(format!(
                "SegmentationType `{other}` is not read (BINARY, FRACTIONAL or LABELMAP)"
            )))
        }
        None => return Err(bad("it has no SegmentationType".to_owned())),
    };
    let bits_ok = match kind {
        Kind::Binary => bits == 1,
        Kind::Fractional(_) => bits == 8,
        Kind::Labelmap(_) => bits == 8 || bits == 16,
    };
    if !bits_ok {
        return Err(bad(format!(
            "BitsAllocated is {bits}; a {} SEG has {}",
            kind.name(),
            match kind {
                Kind::Binary => "1",
                Kind::Fractional(_) => "8",
                Kind::Labelmap(_) => "8 or 16",
            }
        )));
    }
    let rows = uint(obj, tags::ROWS).unwrap_or(0);
    let columns = uint(obj, tags::COLUMNS).unwrap_or(0);
    let frames = uint(obj, tags::NUMBER_OF_FRAMES).unwrap_or(1);
    let [nx, ny, nz] = source.size;
    if (columns, rows) != (nx as u64, ny as u64) {
        return Err(MaskError::Geometry {
            mask: path.to_owned(),
            what: "size",
            expected: vec![nx as f64, ny as f64],
            found: vec![columns as f64, rows as f64],
        });
    }
    let per_frame = nx * ny;
    let total = (per_frame as u64)
        .checked_mul(frames)
        .filter(|&t| t <= limits.max_pixels)
        .ok_or_else(|| {
            bad(format!(
                "{frames} frames of {columns} x {rows} pixels are more than the {} pixels a SEG may hold",
                limits.max_pixels
            ))
        })?;
    let pixels = match obj.get(tags::PIXEL_DATA).map(|e| e.value()) {
        Some(Value::Primitive(p)) => p.to_bytes(),
        Some(_) => {
            return Err(bad(
                "its pixel data is encapsulated (compressed); clic reads SEG pixel data in a \
                 native transfer syntax"
                    .to_owned(),
            ))
        }
        None => return Err(bad("it has no PixelData".to_owned())),
    };
    let need = match kind {
        Kind::Binary => total.div_ceil(8),
        Kind::Fractional(_) => total,
        Kind::Labelmap(bytes) => total.saturating_mul(bytes as u64),
    };
    if (pixels.len() as u64) < need {
        return Err(bad(format!(
            "its PixelData holds {} bytes; {frames} frames of {columns} x {rows} pixels need {need}",
            pixels.len()
        )));
    }

    let per_frame_groups = items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if per_frame_groups.len() as u64 != frames {
        return Err(bad(format!(
            "it has {frames} frames but {} items in PerFrameFunctionalGroupsSequence",
            per_frame_groups.len()
        )));
    }
    let shared = first(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    // A UID of several slices (the frames of an enhanced multi-frame source) places no
    // frame by itself: those frames are placed by position.
    let mut slice_of: HashMap<&str, Option<usize>> = HashMap::new();
    for (k, uid) in source_slices.iter().enumerate() {
        slice_of
            .entry(trim(uid))
            .and_modify(|v| *v = None)
            .or_insert(Some(k));
    }
    let mut out: Vec<Volume<bool>> = structures
        .iter()
        .map(|_| Volume {
            geometry: source.clone(),
            data: vec![false; source.voxels()],
        })
        .collect();
    for (f, group) in per_frame_groups.iter().enumerate() {
        let frame = Frame {
            path,
            number: f + 1,
            group,
            shared,
            source,
        };
        frame.check_plane()?;
        let k = frame.slice(&slice_of)?;
        // A label map frame holds every segment; the others name theirs.
        let segment = if let Kind::Labelmap(_) = kind {
            None
        } else {
            let n = first(group, tags::SEGMENT_IDENTIFICATION_SEQUENCE)
                .and_then(|s| uint(s, tags::REFERENCED_SEGMENT_NUMBER))
                .ok_or_else(|| {
                    bad(format!(
                        "frame {} has no SegmentIdentificationSequence / ReferencedSegmentNumber",
                        f + 1
                    ))
                })?;
            if !segments.iter().any(|s| s.number == n) {
                return Err(bad(format!(
                    "frame {} is of segment {n}, which the SegmentSequence does not describe",
                    f + 1
                )));
            }
            Some(n)
        };
        let start = f * per_frame;
        for (vol, &number) in out.iter_mut().zip(&wanted) {
            if segment.is_some_and(|n| n != number) {
                continue;
            }
            // INVARIANT: k < nz (Frame::slice), so the slice is inside `data`; the pixel
            // data holds `need` bytes, checked above.
            let slice = &mut vol.data[k * per_frame..(k + 1) * per_frame];
            for (p, voxel) in slice.iter_mut().enumerate() {
                let g = start + p;
                let on = match kind {
                    Kind::Binary => pixels.get(g / 8).is_some_and(|b| (b >> (g % 8)) & 1 == 1),
                    Kind::Fractional(max) => {
                        pixels.get(g).is_some_and(|&v| 2 * u64::from(v) >= max)
                    }
                    Kind::Labelmap(1) => pixels.get(g).is_some_and(|&v| u64::from(v) == number),
                    Kind::Labelmap(_) => pixels
                        .get(2 * g..2 * g + 2)
                        .is_some_and(|b| u64::from(u16::from_le_bytes([b[0], b[1]])) == number),
                };
                *voxel |= on;
            }
        }
    }
    debug_assert!(out.iter().all(|v| v.data.len() == nx * ny * nz));
    Ok(out)
}

fn segments(obj: &Obj) -> Result<Vec<Segment>, String> {
    let seq = items(obj, tags::SEGMENT_SEQUENCE);
    if seq.is_empty() {
        return Err("its SegmentSequence is empty or missing".to_owned());
    }
    seq.iter()
        .enumerate()
        .map(|(i, item)| {
            let number = uint(item, tags::SEGMENT_NUMBER)
                .ok_or_else(|| format!("SegmentSequence item {} has no SegmentNumber", i + 1))?;
            Ok(Segment {
                number,
                label: text(item, tags::SEGMENT_LABEL).unwrap_or_default(),
                meaning: first(item, tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE)
                    .and_then(|c| text(c, tags::CODE_MEANING))
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The segment number of each structure: by SegmentLabel (case-insensitive), else by
/// the CodeMeaning of its segmented property type.
fn match_structures(
    path: &Path,
    structures: &[Structure],
    segments: &[Segment],
) -> Result<Vec<u64>, MaskError> {
    structures
        .iter()
        .map(|s| {
            let name = s.name.trim().to_lowercase();
            segments
                .iter()
                .find(|seg| seg.label.to_lowercase() == name)
                .or_else(|| {
                    segments
                        .iter()
                        .find(|seg| !seg.meaning.is_empty() && seg.meaning.to_lowercase() == name)
                })
                .map(|seg| seg.number)
                .ok_or_else(|| MaskError::MissingStructure {
                    mask: path.to_owned(),
                    structure: s.name.to_owned(),
                    segments: segments.iter().map(Segment::shown).collect(),
                })
        })
        .collect()
}

/// A SEG must reference the source series: some image its ReferencedSeriesSequence
/// names is a slice of the source (when the source's SOPInstanceUIDs are known).
fn check_references(path: &Path, obj: &Obj, source_slices: &[String]) -> Result<(), MaskError> {
    if source_slices.is_empty() {
        return Ok(());
    }
    let series = items(obj, tags::REFERENCED_SERIES_SEQUENCE);
    let any = series.iter().any(|s| {
        items(s, tags::REFERENCED_INSTANCE_SEQUENCE)
            .iter()
            .any(|i| {
                text(i, tags::REFERENCED_SOP_INSTANCE_UID)
                    .is_some_and(|uid| source_slices.iter().any(|s| trim(s) == uid))
            })
    });
    if any {
        return Ok(());
    }
    Err(MaskError::WrongSeries {
        mask: path.to_owned(),
        referenced: series
            .iter()
            .filter_map(|s| text(s, tags::SERIES_INSTANCE_UID))
            .collect(),
    })
}

/// One frame's functional groups, with the shared ones they fall back to.
struct Frame<'a> {
    path: &'a Path,
    number: usize,
    group: &'a Obj,
    shared: Option<&'a Obj>,
    source: &'a Geometry,
}

impl Frame<'_> {
    /// The first item of a functional group sequence, the frame's own else the shared.
    fn group(&self, tag: Tag) -> Option<&Obj> {
        first(self.group, tag).or_else(|| self.shared.and_then(|s| first(s, tag)))
    }

    fn bad(&self, reason: String) -> MaskError {
        MaskError::Seg {
            mask: self.path.to_owned(),
            reason: format!("frame {}: {reason}", self.number),
        }
    }

    fn mismatch(&self, what: &'static str, expected: Vec<f64>, found: Vec<f64>) -> MaskError {
        MaskError::Geometry {
            mask: self.path.to_owned(),
            what,
            expected,
            found,
        }
    }

    /// Its orientation and pixel spacing are the source's.
    fn check_plane(&self) -> Result<(), MaskError> {
        let s = self.source;
        let iop = self
            .group(tags::PLANE_ORIENTATION_SEQUENCE)
            .and_then(|g| floats(g, tags::IMAGE_ORIENTATION_PATIENT))
            .filter(|v| v.len() == 6 && v.iter().all(|c| c.is_finite()))
            .ok_or_else(|| {
                self.bad(
                    "no PlaneOrientationSequence with six ImageOrientationPatient values".into(),
                )
            })?;
        let expected: Vec<f64> = s.direction[0]
            .iter()
            .chain(&s.direction[1])
            .copied()
            .collect();
        if iop
            .iter()
            .zip(&expected)
            .any(|(f, e)| (f - e).abs() > DIRECTION)
        {
            return Err(self.mismatch("orientation", expected, iop));
        }
        let ps = self
            .group(tags::PIXEL_MEASURES_SEQUENCE)
            .and_then(|g| floats(g, tags::PIXEL_SPACING))
            .filter(|v| v.len() == 2 && v.iter().all(|c| c.is_finite()))
            .ok_or_else(|| {
                self.bad("no PixelMeasuresSequence with two PixelSpacing values".into())
            })?;
        // PixelSpacing is row spacing (along y), then column spacing (along x).
        let found = vec![ps[1], ps[0]];
        let expected = vec![s.spacing[0], s.spacing[1]];
        if found
            .iter()
            .zip(&expected)
            .any(|(f, e)| (f - e).abs() > SPACING_RELATIVE * e.abs())
        {
            return Err(self.mismatch("spacing", expected, found));
        }
        Ok(())
    }

    fn position(&self) -> Option<[f64; 3]> {
        let v = self
            .group(tags::PLANE_POSITION_SEQUENCE)
            .and_then(|g| floats(g, tags::IMAGE_POSITION_PATIENT))?;
        (v.len() == 3 && v.iter().all(|c| c.is_finite())).then(|| [v[0], v[1], v[2]])
    }

    /// The source images the frame is derived from.
    fn references(&self) -> Vec<String> {
        items(self.group, tags::DERIVATION_IMAGE_SEQUENCE)
            .iter()
            .flat_map(|d| items(d, tags::SOURCE_IMAGE_SEQUENCE))
            .filter_map(|s| text(s, tags::REFERENCED_SOP_INSTANCE_UID))
            .collect()
    }

    /// The index of the source slice the frame lies on.
    fn slice(&self, slice_of: &HashMap<&str, Option<usize>>) -> Result<usize, MaskError> {
        let s = self.source;
        let position = self.position();
        let references = self.references();
        let by_uid = references
            .iter()
            .find_map(|u| slice_of.get(u.as_str()).copied().flatten());
        if let Some(k) = by_uid {
            if let Some(p) = position {
                let want = s.world(0.0, 0.0, k as f64);
                if p.iter().zip(want).any(|(f, e)| (f - e).abs() > ORIGIN_MM) {
                    return Err(self.mismatch("origin", want.to_vec(), p.to_vec()));
                }
            }
            return Ok(k);
        }
        let unmatched = |reason: String| MaskError::UnmatchedFrame {
            mask: self.path.to_owned(),
            frame: self.number,
            reason,
        };
        let known = references.iter().any(|u| slice_of.contains_key(u.as_str()));
        if !known && !references.is_empty() && !slice_of.is_empty() {
            return Err(unmatched(format!(
                "it is derived from {}, not a slice of the source series",
                references
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let Some(p) = position else {
            return Err(unmatched(
                "it names no source image and has no ImagePositionPatient".to_owned(),
            ));
        };
        let along = s.index(p)[2];
        let k = along.round();
        let [_, _, nz] = s.size;
        let kk = k.clamp(0.0, nz.saturating_sub(1) as f64);
        let want = s.world(0.0, 0.0, kk);
        let delta = [p[0] - want[0], p[1] - want[1], p[2] - want[2]];
        let normal = s.direction[2];
        let off_normal: f64 = (0..3).map(|c| delta[c] * normal[c]).sum();
        let in_plane: Vec<f64> = (0..3).map(|c| delta[c] - off_normal * normal[c]).collect();
        if in_plane.iter().any(|c| c.abs() > ORIGIN_MM) {
            return Err(self.mismatch("origin", want.to_vec(), p.to_vec()));
        }
        if !(0.0..nz as f64).contains(&k) || off_normal.abs() > ORIGIN_MM {
            return Err(unmatched(format!(
                "its ImagePositionPatient [{:.3}, {:.3}, {:.3}] is {:.3} mm along the slice \
                 normal from the nearest of the source's {nz} slices",
                p[0], p[1], p[2], off_normal
            )));
        }
        Ok(k as usize)
    }
}
