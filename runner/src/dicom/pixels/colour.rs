//! Colour images: which colour space the decoded samples are in, and the conversion of
//! YBR_FULL and YBR_FULL_422 to RGB (PS3.3 C.7.6.3.1.2).

use super::layout::{byte_order, Layout};
use super::Image;
use crate::dicom::fields::uint;
use crate::dicom::open::Object;
use dicom_core::value::Value;
use dicom_dictionary_std::tags;

const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// The colour of an image's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// One sample per pixel (MONOCHROME1 or MONOCHROME2).
    Gray,
    /// Three samples per pixel, red, green and blue.
    Rgb,
}

impl Colour {
    /// Samples per pixel.
    pub fn channels(self) -> usize {
        match self {
            Colour::Gray => 1,
            Colour::Rgb => 3,
        }
    }
}

/// What the decoder hands over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Space {
    /// Grayscale samples.
    Gray,
    /// RGB samples.
    Rgb,
    /// YBR_FULL samples, to convert.
    Ybr,
    /// Native YBR_FULL_422: two samples a pixel, read from the element itself.
    NativeYbr422,
}

impl Space {
    pub(super) fn colour(self) -> Colour {
        match self {
            Space::Gray => Colour::Gray,
            _ => Colour::Rgb,
        }
    }

    pub(super) fn is_ybr(self) -> bool {
        matches!(self, Space::Ybr | Space::NativeYbr422)
    }
}

/// The colour space of the decoded samples, from SamplesPerPixel, the file's
/// PhotometricInterpretation and its transfer syntax. The JPEG and JPEG 2000 decoders
/// return RGB for a three-sample image whatever the file says (they undo the colour
/// transform of the codestream); native data and RLE keep the file's samples.
pub(super) fn space(
    samples: u32,
    photometric: &str,
    ts: &str,
    native: bool,
) -> Result<Space, String> {
    let unsupported = || {
        format!(
            "PhotometricInterpretation is `{photometric}` with {samples} sample(s) per pixel: \
             supported are MONOCHROME1 and MONOCHROME2 (1 sample), RGB, YBR_FULL and \
             YBR_FULL_422 (3 samples)"
        )
    };
    if photometric.is_empty() {
        return Err("PhotometricInterpretation is missing".to_owned());
    }
    match (samples, photometric) {
        (1, "MONOCHROME1" | "MONOCHROME2") => Ok(Space::Gray),
        (3, "RGB") => Ok(Space::Rgb),
        (3, "YBR_FULL") if native || ts == RLE_LOSSLESS => Ok(Space::Ybr),
        (3, "YBR_FULL_422") if native => Ok(Space::NativeYbr422),
        (3, "YBR_FULL_422") if ts == RLE_LOSSLESS => Err(
            "YBR_FULL_422 is not a colour space of RLE Lossless (PS3.5 8.2.2 requires YBR_FULL)"
                .to_owned(),
        ),
        (3, "YBR_FULL" | "YBR_FULL_422" | "YBR_ICT" | "YBR_RCT") if !native => Ok(Space::Rgb),
        (1 | 3, _) => Err(unsupported()),
        (n, _) => Err(format!(
            "SamplesPerPixel is {n}: images have 1 (grayscale) or 3 (colour) samples per pixel"
        )),
    }
}

/// Pixel-interleaved samples (R G B R G B ...) to planes (R ... G ... B ...).
pub(super) fn deinterleave(samples: &[i32]) -> Vec<i32> {
    let n = samples.len() / 3;
    let mut out = vec![0; samples.len()];
    let (r, rest) = out.split_at_mut(n);
    let (g, b) = rest.split_at_mut(n);
    for (i, px) in samples.chunks_exact(3).enumerate() {
        r[i] = px[0];
        g[i] = px[1];
        b[i] = px[2];
    }
    out
}

/// YBR_FULL to RGB in place, on planes of `n` samples of `bits` bits. PS3.3
/// C.7.6.3.1.2 gives `Y = 0.299 R + 0.587 G + 0.114 B`,
/// `Cb = -0.1687 R - 0.3313 G + 0.5 B + o` and `Cr = 0.5 R - 0.4187 G - 0.0813 B + o`, with
/// `o = 2^(bits - 1)` (128 for 8 bits). The inverse, as pydicom's `convert_color_space`
/// computes it: `R = Y + 1.402 (Cr - o)`,
/// `G = Y - (0.114 * 1.772 / 0.587) (Cb - o) - (0.299 * 1.402 / 0.587) (Cr - o)`,
/// `B = Y + 1.772 (Cb - o)`, each rounded as `floor(v + 0.5)` and clipped to
/// `[0, 2^bits - 1]` (here in f64, in pydicom in f32).
pub(super) fn ybr_to_rgb(samples: &mut [i32], n: usize, bits: u32) -> Result<(), String> {
    if !(1..=16).contains(&bits) || samples.len() != 3 * n {
        return Err(format!(
            "YBR colour with {bits} bits stored is not supported (at most 16)"
        ));
    }
    let o = f64::from(1u32 << (bits - 1));
    let top = f64::from((1u32 << bits) - 1);
    let g_cb = 0.114 * 1.772 / 0.587;
    let g_cr = 0.299 * 1.402 / 0.587;
    let (y, rest) = samples.split_at_mut(n);
    let (cb, cr) = rest.split_at_mut(n);
    let round = |v: f64| (v + 0.5).floor().clamp(0.0, top) as i32;
    for i in 0..n {
        let (yy, b, r) = (f64::from(y[i]), f64::from(cb[i]) - o, f64::from(cr[i]) - o);
        let red = round(yy + 1.402 * r);
        let green = round(yy - g_cb * b - g_cr * r);
        let blue = round(yy + 1.772 * b);
        (y[i], cb[i], cr[i]) = (red, green, blue);
    }
    Ok(())
}

/// A native YBR_FULL_422 frame (PS3.3 C.7.6.3.1.2: Cb and Cr sampled at half the
/// horizontal rate, each pair of pixels stored `Y1 Y2 Cb Cr`), its chroma repeated for
/// both pixels of each pair (as pydicom expands it), converted to RGB.
pub(super) fn native_ybr_422(obj: &Object, ts: &str) -> Result<Image, String> {
    let rows = uint(obj, tags::ROWS).unwrap_or(0) as usize;
    let columns = uint(obj, tags::COLUMNS).unwrap_or(0) as usize;
    if rows == 0 || columns == 0 || columns % 2 == 1 {
        return Err(format!(
            "a YBR_FULL_422 image is {rows} x {columns}: it needs an even, non-zero number of columns"
        ));
    }
    if uint(obj, tags::PLANAR_CONFIGURATION).unwrap_or(0) != 0 {
        return Err("YBR_FULL_422 must have PlanarConfiguration 0 (PS3.3 C.7.6.3.1.3)".to_owned());
    }
    let bits_allocated = uint(obj, tags::BITS_ALLOCATED).unwrap_or(0);
    let bits_allocated = u16::try_from(bits_allocated)
        .ok()
        .filter(|b| [8, 16].contains(b))
        .ok_or_else(|| {
            format!("YBR_FULL_422 with BitsAllocated {bits_allocated} is not supported (8 or 16)")
        })?;
    let u16_of = |tag| {
        uint(obj, tag)
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(0)
    };
    let layout = Layout::new(
        bits_allocated,
        u16_of(tags::BITS_STORED),
        u16_of(tags::HIGH_BIT),
        u16_of(tags::PIXEL_REPRESENTATION) == 1,
        true,
    );
    let bytes = match obj.get(tags::PIXEL_DATA).map(|e| e.value()) {
        Some(Value::Primitive(p)) => p.to_bytes(),
        _ => return Err("the pixel data of a native image is not a single value".to_owned()),
    };
    let n = rows * columns;
    let (packed, _) = layout.stored_samples(&bytes, 2 * n, byte_order(obj, ts, bits_allocated))?;
    let mut planes = vec![0; 3 * n];
    for (pair, s) in packed.chunks_exact(4).enumerate() {
        let i = 2 * pair;
        planes[i] = s[0];
        planes[i + 1] = s[1];
        planes[n + i] = s[2];
        planes[n + i + 1] = s[2];
        planes[2 * n + i] = s[3];
        planes[2 * n + i + 1] = s[3];
    }
    ybr_to_rgb(&mut planes, n, layout.bits_stored())?;
    Image::new(rows, columns, Colour::Rgb, planes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_ybr_is_grey_rgb() {
        // Y with neutral chroma is the same grey in every channel.
        let mut s = vec![0, 77, 255, 128, 128, 128, 128, 128, 128];
        ybr_to_rgb(&mut s, 3, 8).expect("converts");
        assert_eq!(s, vec![0, 77, 255, 0, 77, 255, 0, 77, 255]);
    }

    #[test]
    fn pure_red_round_trips() {
        // RGB (255, 0, 0): Y = 76.245, Cb = 84.98, Cr = 255.5 -> stored 76, 85, 255.
        let mut s = vec![76, 85, 255];
        ybr_to_rgb(&mut s, 1, 8).expect("converts");
        assert_eq!(s, vec![254, 0, 0]);
    }

    #[test]
    fn colour_spaces() {
        assert_eq!(
            space(3, "YBR_FULL", "1.2.840.10008.1.2.1", true),
            Ok(Space::Ybr)
        );
        assert_eq!(space(3, "YBR_FULL", RLE_LOSSLESS, false), Ok(Space::Ybr));
        assert_eq!(
            space(3, "YBR_FULL_422", "1.2.840.10008.1.2.4.50", false),
            Ok(Space::Rgb)
        );
        assert!(space(3, "PALETTE COLOR", "1.2.840.10008.1.2.1", true).is_err());
        assert!(space(1, "RGB", "1.2.840.10008.1.2.1", true).is_err());
        assert!(space(4, "ARGB", "1.2.840.10008.1.2.1", true)
            .is_err_and(|e| e.contains("SamplesPerPixel is 4")));
        assert!(space(1, "", "1.2.840.10008.1.2.1", true).is_err_and(|e| e.contains("missing")));
    }
}
