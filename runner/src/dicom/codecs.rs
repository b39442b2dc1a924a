//! Decoding one frame of pixel data in any transfer syntax clic supports, to the samples
//! its codec holds (what pydicom's decoders give): [`decode_frame`].
//!
//! dicom-rs decodes most of them. Around it, this module:
//! - finds the fragments of frame `k` of an encapsulated multi-frame object, one or
//!   several per frame, by the Extended Offset Table, the Basic Offset Table or, without
//!   either, by the codestream's start marker (PS3.5 A.4), each table checked against the
//!   fragments ([`frames`]); dicom-rs only handles one fragment per frame, or a Basic
//!   Offset Table;
//! - decodes JPEG-LS (lossless and near-lossless) with the pure-Rust `pure_jpegls` crate
//!   ([`jpegls`]): dicom-rs's own route is the C++ CharLS, whose crate needs CMake;
//! - labels colour samples by what the codec made of them: RGB after a JPEG's YCbCr or
//!   a JPEG 2000 codestream's colour transform, as stored otherwise (YBR_FULL RLE stays
//!   YBR_FULL; dicom-rs calls every 3-sample result RGB);
//! - refuses what nothing in the build decodes (12-bit DCT JPEG, RLE of 32-bit samples,
//!   line- or sample-interleaved colour JPEG-LS, a transfer syntax without a decoder)
//!   with an error naming the transfer syntax, never a wrong image.
//!
//! Nothing here panics on a malformed file: the checks of [`super::guard`] run on each
//! frame's bytes before a codec sees them, and a codec that panics all the same is an
//! error.

mod frames;
mod jpegls;
#[cfg(test)]
mod tests;

use super::fields::{text, uint};
use super::guard;
use super::open::{chain, trim_uid, ts_name, Object};
use dicom_core::value::{DataSetSequence, PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_pixeldata::{DecodedPixelData, PixelDecoder};
use dicom_transfer_syntax_registry::{TransferSyntaxIndex, TransferSyntaxRegistry};
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;

/// Why a frame could not be decoded. Its text names the transfer syntax when the
/// transfer syntax is the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct CodecError(String);

const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
const JPEG_LS: &[&str] = &["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"];
/// JPEG XL Lossless, JPEG XL JPEG Recompression, JPEG XL (the `jpegxl` feature decodes them).
const JPEG_XL: &[&str] = &[
    "1.2.840.10008.1.2.4.110",
    "1.2.840.10008.1.2.4.111",
    "1.2.840.10008.1.2.4.112",
];
// The encapsulated syntaxes the guard checks before decoding, listed once there.
use super::guard::{JPEG, JPEG_2000, RLE_LOSSLESS};

/// The attributes a decoded frame carries over from its object (the pixel module, the
/// modality and VOI LUT attributes, the shared functional groups).
const CARRIED: &[Tag] = &[
    tags::SOP_CLASS_UID,
    tags::MODALITY,
    tags::ROWS,
    tags::COLUMNS,
    tags::SAMPLES_PER_PIXEL,
    tags::BITS_ALLOCATED,
    tags::BITS_STORED,
    tags::HIGH_BIT,
    tags::PIXEL_REPRESENTATION,
    tags::PHOTOMETRIC_INTERPRETATION,
    tags::PLANAR_CONFIGURATION,
    tags::RESCALE_INTERCEPT,
    tags::RESCALE_SLOPE,
    tags::RESCALE_TYPE,
    tags::WINDOW_CENTER,
    tags::WINDOW_WIDTH,
    tags::VOILUT_FUNCTION,
    tags::VOILUT_SEQUENCE,
    tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
];

/// The transfer syntax as users read it: `UID (name)`.
fn named(ts: &str) -> String {
    format!("{ts} ({})", ts_name(ts).unwrap_or("unknown"))
}

/// Decodes frame `frame` (from 0) of `obj`. The result has one frame, its samples
/// interleaved (planar configuration 0), little-endian, in BitsAllocated bits each, the
/// stored values of encapsulated syntaxes in the low BitsStored bits (not sign-extended).
pub(crate) fn decode_frame(obj: &Object, frame: u32) -> Result<DecodedPixelData<'_>, CodecError> {
    std::panic::catch_unwind(AssertUnwindSafe(|| decode(obj, frame))).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(CodecError(format!("the decoder failed ({what})")))
    })
}

fn decode(obj: &Object, frame: u32) -> Result<DecodedPixelData<'_>, CodecError> {
    let ts = trim_uid(&obj.meta().transfer_syntax);
    let fail = |reason: String| CodecError(reason);
    let unsupported = |why: &str| {
        CodecError(format!(
            "transfer syntax {} is not supported{why}",
            named(ts)
        ))
    };
    let Some(syntax) = TransferSyntaxRegistry.get(ts) else {
        return Err(unsupported(": clic does not know it"));
    };
    let frames = number_of_frames(obj);
    if frame >= frames {
        return Err(fail(format!(
            "frame {frame} was asked for; the object has {frames}"
        )));
    }
    if !syntax.is_encapsulated_pixel_data() {
        if !syntax.can_decode_all() {
            return Err(unsupported(": no decoder for it is built into clic"));
        }
        return obj
            .decode_pixel_data_frame(frame)
            .map_err(|e| fail(chain(&e)));
    }
    let Some(Value::PixelSequence(seq)) = obj.get(tags::PIXEL_DATA).map(|e| e.value()) else {
        return Err(fail(
            "the pixel data of a compressed transfer syntax is not encapsulated".to_owned(),
        ));
    };
    let data = encoded_frame(obj, frame)?;
    guard::check_frame(obj, ts, &data).map_err(fail)?;
    let spp = uint(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    let photometric = text(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default();

    if JPEG_LS.contains(&ts) {
        let samples = jpegls::decode(
            &data,
            uint(obj, tags::ROWS).unwrap_or(0),
            uint(obj, tags::COLUMNS).unwrap_or(0),
            spp,
            uint(obj, tags::BITS_ALLOCATED).unwrap_or(0),
        )
        .map_err(|e| fail(format!("JPEG-LS: {e}")))?;
        return native(obj, frame, samples, &photometric);
    }
    if JPEG.contains(&ts) {
        if let Some(sof) = dct_precision_over_8(&data) {
            return Err(unsupported(&format!(
                " for {sof}: no decoder for DCT-based JPEG with 12-bit samples is built into \
                 clic (only 8-bit DCT and lossless JPEG are)"
            )));
        }
    }
    if !syntax.can_decode_all() {
        if JPEG_XL.contains(&ts) {
            return Err(unsupported(
                ": this clic was built without JPEG XL (install it with `--features jpegxl`, \
                 or use a release binary)",
            ));
        }
        return Err(unsupported(": no decoder for it is built into clic"));
    }
    let bits_allocated = uint(obj, tags::BITS_ALLOCATED).unwrap_or(0);
    if ts == RLE_LOSSLESS && bits_allocated != 8 && bits_allocated != 16 {
        return Err(unsupported(&format!(
            " for BitsAllocated {bits_allocated}: its decoder takes 8- and 16-bit samples only"
        )));
    }
    // The common case, as dicom-rs does it: grayscale, one fragment per frame.
    if spp == 1 && seq.fragments().len() == frames as usize {
        return obj
            .decode_pixel_data_frame(frame)
            .map_err(|e| fail(chain(&e)));
    }
    let single = one_frame_object(obj, frame, ts, encapsulated(&data));
    let decoded = single
        .decode_pixel_data_frame(0)
        .map_err(|e| fail(chain(&e)))?;
    native(
        obj,
        frame,
        decoded.into_data(),
        &decoded_photometric(ts, &photometric),
    )
}

/// The encoded bytes of frame `frame` (from 0) of `obj`'s encapsulated pixel data: its
/// fragments as [`decode_frame`] finds them (by the Extended or Basic Offset Table, one
/// per frame, or by start markers), joined when there are several.
pub(crate) fn encoded_frame(obj: &Object, frame: u32) -> Result<Cow<'_, [u8]>, CodecError> {
    let frames = number_of_frames(obj);
    if frame >= frames {
        return Err(CodecError(format!(
            "frame {frame} was asked for; the object has {frames}"
        )));
    }
    let Some(Value::PixelSequence(seq)) = obj.get(tags::PIXEL_DATA).map(|e| e.value()) else {
        return Err(CodecError(
            "the pixel data of a compressed transfer syntax is not encapsulated".to_owned(),
        ));
    };
    let ts = trim_uid(&obj.meta().transfer_syntax);
    frames::frame_data(obj, seq, frames, frame, ts).map_err(|e| CodecError(e.to_string()))
}

/// NumberOfFrames, 1 when absent, empty, unreadable or 0.
fn number_of_frames(obj: &Object) -> u32 {
    text(obj, tags::NUMBER_OF_FRAMES)
        .and_then(|f| f.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

/// What a codec's colour samples are: a DCT JPEG's YCbCr is converted to RGB by
/// jpeg-decoder, a JPEG 2000 codestream's reversible or irreversible colour transform is
/// undone by OpenJPEG; anything else is as stored.
fn decoded_photometric(ts: &str, photometric: &str) -> String {
    let dct = ts == "1.2.840.10008.1.2.4.50" || ts == "1.2.840.10008.1.2.4.51";
    let undone = match photometric {
        "YBR_FULL" | "YBR_FULL_422" => dct,
        "YBR_RCT" | "YBR_ICT" => JPEG_2000.contains(&ts),
        _ => false,
    };
    if undone {
        "RGB".to_owned()
    } else {
        photometric.to_owned()
    }
}

/// The frame header (SOFn) of a DCT-based JPEG stream with more than 8 bits per sample,
/// named; None for 8-bit and lossless streams, and for streams without a frame header
/// (the decoder explains those).
fn dct_precision_over_8(data: &[u8]) -> Option<String> {
    let mut at = 2;
    loop {
        let (&0xFF, &code) = (data.get(at)?, data.get(at + 1)?) else {
            return None;
        };
        if code == 0xFF {
            at += 1;
            continue;
        }
        let len = u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]) as usize;
        if matches!(code, 0xC0..=0xCF) && !matches!(code, 0xC4 | 0xC8 | 0xCC) {
            let lossless = matches!(code, 0xC3 | 0xC7 | 0xCB | 0xCF);
            let precision = *data.get(at + 4)?;
            return (!lossless && precision > 8)
                .then(|| format!("{precision}-bit samples (SOF{})", code - 0xC0));
        }
        if code == 0xDA || code == 0xD9 || len < 2 {
            return None;
        }
        at += 2 + len;
    }
}

fn encapsulated(data: &[u8]) -> Value<InMemDicomObject, Vec<u8>> {
    Value::PixelSequence(PixelFragmentSequence::new(
        Vec::<u32>::new(),
        vec![data.to_vec()],
    ))
}

/// A one-frame object holding frame `frame` of `obj`'s attributes (the per-frame
/// functional group of that frame only) and the given pixel data, in transfer syntax `ts`.
fn one_frame_object(
    obj: &Object,
    frame: u32,
    ts: &str,
    pixels: Value<InMemDicomObject, Vec<u8>>,
) -> Object {
    let mut meta = obj.meta().clone();
    meta.transfer_syntax = ts.to_owned();
    let mut elements: Vec<DataElement<InMemDicomObject>> = CARRIED
        .iter()
        .filter_map(|tag| obj.get(*tag).cloned())
        .collect();
    if let Some(Value::Sequence(seq)) = obj
        .get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .map(|e| e.value())
    {
        if let Some(item) = seq.items().get(frame as usize) {
            elements.push(DataElement::new(
                tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
                VR::SQ,
                Value::Sequence(DataSetSequence::from(vec![item.clone()])),
            ));
        }
    }
    elements.push(DataElement::new(tags::PIXEL_DATA, VR::OB, pixels));
    InMemDicomObject::from_element_iter(elements).with_exact_meta(meta)
}

/// Decoded samples of frame `frame` as a one-frame [`DecodedPixelData`] with the given
/// photometric interpretation and planar configuration 0.
fn native(
    obj: &Object,
    frame: u32,
    samples: Vec<u8>,
    photometric: &str,
) -> Result<DecodedPixelData<'static>, CodecError> {
    let pixels = Value::Primitive(PrimitiveValue::U8(samples.into()));
    let mut single = one_frame_object(obj, frame, EXPLICIT_VR_LE, pixels);
    single.put(DataElement::new(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        PrimitiveValue::from(photometric),
    ));
    if single.get(tags::PLANAR_CONFIGURATION).is_some() {
        single.put(DataElement::new(
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ));
    }
    single
        .decode_pixel_data_frame(0)
        .map(|d| d.to_owned())
        .map_err(|e| CodecError(chain(&e)))
}
