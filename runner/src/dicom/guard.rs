//! Checks of encapsulated pixel data before it reaches a dicom-rs codec that would panic
//! on it (index out of bounds on truncated or inconsistent data). A panic that still
//! happens is caught by the caller; these checks keep such files quiet and explain them.

use super::fields::uint;
use super::open::Object;
use dicom_core::value::Value;
use dicom_dictionary_std::tags;

pub(super) const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// Deflated Image Frame Compression: each fragment is a raw deflate stream.
const DEFLATED_FRAME: &str = "1.2.840.10008.1.2.8.1";

/// JPEG transfer syntaxes decoded by jpeg-decoder (baseline, extended, lossless), which
/// allocates for the frame size its SOF marker declares.
pub(super) const JPEG: &[&str] = &[
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
];

/// JPEG 2000 transfer syntaxes (Part 1 and Part 2, lossless and lossy, and HTJ2K).
pub(super) const JPEG_2000: &[&str] = &[
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.92",
    "1.2.840.10008.1.2.4.93",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
];

/// Checks the first frame's encapsulated data for the codecs known to panic, or to
/// allocate for a size of their own rather than the one the attributes declare (which
/// the caller has bounded).
pub(crate) fn check(obj: &Object, ts: &str) -> Result<(), String> {
    if ts == RLE_LOSSLESS || JPEG_2000.contains(&ts) || JPEG.contains(&ts) || ts == DEFLATED_FRAME {
        check_frame(obj, ts, first_fragment(obj)?)
    } else {
        Ok(())
    }
}

/// [`check`] on the encoded bytes of one frame (its fragments joined).
pub(crate) fn check_frame(obj: &Object, ts: &str, data: &[u8]) -> Result<(), String> {
    if ts == RLE_LOSSLESS {
        check_rle(obj, data)
    } else if JPEG_2000.contains(&ts) {
        check_j2k(obj, data)
    } else if JPEG.contains(&ts) {
        check_jpeg(obj, data)
    } else if ts == DEFLATED_FRAME {
        check_deflated_frame(obj, data)
    } else {
        Ok(())
    }
}

/// The frame size of a JPEG stream (its first SOF marker, ISO 10918-1 B.2.2) must match
/// Rows x Columns, with no more components than SamplesPerPixel.
fn check_jpeg(obj: &Object, data: &[u8]) -> Result<(), String> {
    let be16 = |at: usize| {
        data.get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    let mut at = 2;
    // Marker segments after SOI: FF, a marker code, a 16-bit length (its own included).
    let (height, width, components) = loop {
        let (Some(&0xFF), Some(&code)) = (data.get(at), data.get(at + 1)) else {
            return Err("the JPEG stream has no frame header (SOF marker)".to_owned());
        };
        if code == 0xFF {
            at += 1;
            continue;
        }
        let len = be16(at + 2).ok_or("the JPEG stream is truncated in a marker")? as usize;
        let sof = matches!(code, 0xC0..=0xCF) && !matches!(code, 0xC4 | 0xC8 | 0xCC);
        if sof {
            let (Some(h), Some(w), Some(&n)) = (be16(at + 5), be16(at + 7), data.get(at + 9))
            else {
                return Err("the JPEG stream is truncated in its frame header".to_owned());
            };
            break (h, w, n);
        }
        if code == 0xDA || code == 0xD9 || len < 2 {
            return Err("the JPEG stream has no frame header (SOF marker)".to_owned());
        }
        at += 2 + len;
    };
    let rows = uint(obj, tags::ROWS).unwrap_or(0);
    let columns = uint(obj, tags::COLUMNS).unwrap_or(0);
    let samples = uint(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    // A height of 0 is defined later by a DNL marker; the decoder then uses the rows.
    if u32::from(width) != columns
        || (height != 0 && u32::from(height) != rows)
        || u32::from(components) > samples
    {
        return Err(format!(
            "the JPEG stream is {width} x {height} with {components} component(s), \
             the attributes say {columns} x {rows} with {samples}"
        ));
    }
    Ok(())
}

/// The first fragment of Deflated Image Frame Compression must inflate to no more than
/// one frame (Rows x Columns x SamplesPerPixel x BitsAllocated / 8 bytes): the decoder
/// inflates it whole, so a small fragment could otherwise claim gigabytes.
fn check_deflated_frame(obj: &Object, data: &[u8]) -> Result<(), String> {
    use std::io::Read;
    let frame = [
        uint(obj, tags::ROWS).unwrap_or(0),
        uint(obj, tags::COLUMNS).unwrap_or(0),
        uint(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1),
    ]
    .iter()
    .fold(1u64, |n, d| n.saturating_mul(u64::from(*d)))
    .saturating_mul(u64::from(uint(obj, tags::BITS_ALLOCATED).unwrap_or(0)).div_ceil(8));
    let inflated = std::io::copy(
        &mut flate2::read::DeflateDecoder::new(data).take(frame.saturating_add(1)),
        &mut std::io::sink(),
    )
    .map_err(|e| format!("the deflated frame does not inflate: {e}"))?;
    if inflated > frame {
        return Err(format!(
            "the deflated frame inflates to more than the {frame} bytes of one frame"
        ));
    }
    Ok(())
}

fn first_fragment(obj: &Object) -> Result<&[u8], String> {
    let Some(Value::PixelSequence(seq)) = obj.get(tags::PIXEL_DATA).map(|e| e.value()) else {
        return Err(
            "the pixel data of a compressed transfer syntax is not encapsulated".to_owned(),
        );
    };
    match seq.fragments().first() {
        Some(fragment) => Ok(fragment),
        None => Err("the encapsulated pixel data has no fragment".to_owned()),
    }
}

/// The image size of a raw JPEG 2000 codestream (SIZ marker segment, ISO 15444-1 A.5.1)
/// must match Rows x Columns, with no more components than SamplesPerPixel. A JP2 file
/// wrapper is left to the decoder.
fn check_j2k(obj: &Object, data: &[u8]) -> Result<(), String> {
    if data.get(..4) != Some([0xFF, 0x4F, 0xFF, 0x51].as_slice()) {
        return Ok(());
    }
    let be32 = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(xsiz), Some(ysiz), Some(xo), Some(yo)) = (be32(8), be32(12), be32(16), be32(20))
    else {
        return Err("the JPEG 2000 codestream is truncated in its SIZ marker".to_owned());
    };
    let components = data
        .get(40..42)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or("the JPEG 2000 codestream is truncated in its SIZ marker")?;
    let (width, height) = (xsiz.saturating_sub(xo), ysiz.saturating_sub(yo));
    let rows = uint(obj, tags::ROWS).unwrap_or(0);
    let columns = uint(obj, tags::COLUMNS).unwrap_or(0);
    let samples = uint(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    if (width, height) != (columns, rows) || u32::from(components) > samples {
        return Err(format!(
            "the JPEG 2000 codestream is {width} x {height} with {components} component(s), \
             the attributes say {columns} x {rows} with {samples}"
        ));
    }
    Ok(())
}

/// Checks the first RLE fragment before it reaches the dicom-rs RLE decoder, which
/// panics on truncated or inconsistent segments (PS3.5 Annex G): a 64-byte header,
/// ascending segment offsets inside the fragment, one segment per byte of each sample,
/// each decoding (PackBits) to at least `rows * columns` bytes.
fn check_rle(obj: &Object, fragment: &[u8]) -> Result<(), String> {
    let rows = uint(obj, tags::ROWS).unwrap_or(0) as usize;
    let columns = uint(obj, tags::COLUMNS).unwrap_or(0) as usize;
    let samples = uint(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1) as usize;
    let bytes = (uint(obj, tags::BITS_ALLOCATED).unwrap_or(0) as usize).div_ceil(8);
    let word = |i: usize| {
        fragment
            .get(i * 4..i * 4 + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let segments = word(0).ok_or("the RLE fragment is shorter than its header")?;
    if fragment.len() < 64 || segments == 0 || segments > 15 || segments != samples * bytes {
        return Err(format!(
            "the RLE header declares {segments} segment(s) in {} bytes; {} expected",
            fragment.len(),
            samples * bytes
        ));
    }
    let mut offsets: Vec<usize> = (1..=segments).filter_map(word).collect();
    offsets.push(fragment.len());
    for (k, pair) in offsets.windows(2).enumerate() {
        let segment = fragment
            .get(pair[0]..pair[1])
            .filter(|_| pair[0] >= 64)
            .ok_or_else(|| {
                format!(
                    "RLE segment {k} has invalid offsets {}..{}",
                    pair[0], pair[1]
                )
            })?;
        let len = packbits_len(segment);
        if len < rows * columns {
            return Err(format!(
                "RLE segment {k} decodes to {len} bytes, {} expected (truncated?)",
                rows * columns
            ));
        }
    }
    Ok(())
}

/// How many bytes a PackBits segment decodes to, stopping where its data runs out.
fn packbits_len(segment: &[u8]) -> usize {
    let (mut i, mut out) = (0, 0usize);
    while i < segment.len() {
        let n = segment[i] as i8;
        i += 1;
        if n >= 0 {
            let run = n as usize + 1;
            if i + run > segment.len() {
                break;
            }
            i += run;
            out += run;
        } else if n != -128 {
            if i >= segment.len() {
                break;
            }
            i += 1;
            out += (1 - n as isize) as usize;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_lengths() {
        assert_eq!(packbits_len(&[2, 1, 2, 3]), 3);
        assert_eq!(packbits_len(&[0xFE, 7]), 3);
        assert_eq!(packbits_len(&[0x80, 0, 9]), 1);
        assert_eq!(packbits_len(&[2, 1, 2]), 0);
    }
}
