//! Decoding the first frame to stored values and applying the modality LUT (rescale),
//! the way `tools/preprocess.py` reads a file with pydicom.

use super::fields::{first_number, text, uint};
use super::open::{chain, Object};
use super::ScanError;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_dictionary_std::tags;
use dicom_pixeldata::PixelDecoder;
use dicom_transfer_syntax_registry::{TransferSyntaxIndex, TransferSyntaxRegistry};
use std::panic::AssertUnwindSafe;

const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";

/// The first frame of a single-sample grayscale image.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Rows (height).
    pub rows: usize,
    /// Columns (width).
    pub columns: usize,
    /// `rows * columns` values, row-major, after the modality LUT:
    /// `stored * slope + intercept`, in f64.
    pub values: Vec<f64>,
    /// The first WindowCenter and WindowWidth values, when both are present (the width
    /// is not checked here).
    pub window: Option<(f64, f64)>,
    /// PhotometricInterpretation is MONOCHROME1 (the minimum is white).
    pub monochrome1: bool,
    /// RescaleSlope used for `values` (1 when absent, empty or zero, as in
    /// `tools/preprocess.py`).
    pub slope: f64,
    /// RescaleIntercept used for `values` (0 when absent or empty).
    pub intercept: f64,
}

impl Image {
    /// The stored values before the modality LUT. They are integers, so they are
    /// recovered exactly from `values`.
    pub fn stored(&self) -> Vec<f64> {
        if self.slope == 1.0 && self.intercept == 0.0 {
            return self.values.clone();
        }
        self.values
            .iter()
            .map(|v| ((v - self.intercept) / self.slope).round())
            .collect()
    }
}

/// Decodes frame 0 of `obj` into an [`Image`].
pub(crate) fn decode_first_frame(
    obj: &Object,
    file: &str,
    ts: &str,
    limits: &super::Limits,
) -> Result<Image, ScanError> {
    let err = |reason: String| ScanError::new(file, Some(ts), reason);
    if obj.get(tags::PIXEL_DATA).is_none() {
        let float = obj.get(tags::FLOAT_PIXEL_DATA).is_some()
            || obj.get(tags::DOUBLE_FLOAT_PIXEL_DATA).is_some();
        return Err(err(if float {
            "float pixel data is not supported".to_owned()
        } else {
            "the file holds no pixel data".to_owned()
        }));
    }
    let samples = uint(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    // Before any decoder allocates for it: the pixels the image declares.
    let frames = text(obj, tags::NUMBER_OF_FRAMES)
        .and_then(|f| f.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let pixels = [
        uint(obj, tags::ROWS).unwrap_or(0),
        uint(obj, tags::COLUMNS).unwrap_or(0),
        samples,
    ]
    .iter()
    .fold(frames, |n, d| n.saturating_mul(u64::from(*d)));
    if pixels > limits.max_pixels {
        return Err(err(format!(
            "the image declares {pixels} pixels (Rows x Columns x NumberOfFrames x \
             SamplesPerPixel), over the limit of {} on the pixels of a scan (raise it with `--max-pixels`)",
            limits.max_pixels
        )));
    }
    if samples != 1 {
        return Err(err(format!(
            "SamplesPerPixel is {samples}: only single-sample (grayscale) images are supported"
        )));
    }
    let photometric = text(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default();
    let monochrome1 = match photometric.as_str() {
        "MONOCHROME1" => true,
        "MONOCHROME2" => false,
        "" => return Err(err("PhotometricInterpretation is missing".to_owned())),
        other => {
            return Err(err(format!(
                "PhotometricInterpretation is `{other}`: only MONOCHROME1 and MONOCHROME2 are supported"
            )))
        }
    };
    let slope = first_number(obj, tags::RESCALE_SLOPE)
        .filter(|s| *s != 0.0)
        .unwrap_or(1.0);
    let intercept = first_number(obj, tags::RESCALE_INTERCEPT).unwrap_or(0.0);
    if !slope.is_finite() || !intercept.is_finite() {
        return Err(err(format!(
            "RescaleSlope {slope} / RescaleIntercept {intercept} are not finite"
        )));
    }
    let window = first_number(obj, tags::WINDOW_CENTER).zip(first_number(obj, tags::WINDOW_WIDTH));

    super::guard::check(obj, ts).map_err(|e| err(format!("cannot decode the pixel data: {e}")))?;
    // A codec that panics on malformed data must not take the whole run down.
    let decoded = std::panic::catch_unwind(AssertUnwindSafe(|| obj.decode_pixel_data_frame(0)))
        .map_err(|payload| {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            err(format!(
                "cannot decode the pixel data: the decoder failed ({what})"
            ))
        })?
        .map_err(|e| err(format!("cannot decode the pixel data: {}", chain(&e))))?;
    let rows = decoded.rows() as usize;
    let columns = decoded.columns() as usize;
    let n = rows
        .checked_mul(columns)
        .filter(|n| *n > 0)
        .ok_or_else(|| err(format!("the image is {rows} x {columns}")))?;
    // Only native pixel data may carry its value above bit 0 (HighBit + 1 > BitsStored);
    // codecs hand values over in the low bits.
    let native = TransferSyntaxRegistry
        .get(ts)
        .is_some_and(|t| !t.is_encapsulated_pixel_data());
    let layout = Layout::new(
        decoded.bits_allocated(),
        decoded.bits_stored(),
        decoded.high_bit(),
        decoded.pixel_representation() == dicom_pixeldata::PixelRepresentation::Signed,
        native,
    );
    let order = byte_order(obj, ts, decoded.bits_allocated());
    let mut values = layout
        .stored_values(decoded.data(), n, order)
        .map_err(err)?;
    for v in &mut values {
        *v = *v * slope + intercept;
    }
    Ok(Image {
        rows,
        columns,
        values,
        window,
        monochrome1,
        slope,
        intercept,
    })
}

/// How the samples of decoded pixel data are laid out in memory. dicom-rs hands native
/// pixel data over as the element's in-memory value: for Explicit VR Big Endian, an OW
/// value is already a list of native 16-bit words (right for 16-bit samples only) and an
/// OB value keeps the file's byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Native-endian samples.
    Native,
    /// Big-endian samples (OB read from a big-endian file).
    Big,
    /// 32-bit samples as two native 16-bit words, most significant first.
    WordsHighFirst,
    /// 8-bit samples packed in native 16-bit words, first sample in the high byte.
    BytePairsSwapped,
}

fn byte_order(obj: &Object, ts: &str, bits_allocated: u16) -> Order {
    if ts != EXPLICIT_VR_BIG_ENDIAN {
        return Order::Native;
    }
    match obj.get(tags::PIXEL_DATA).map(|e| e.value()) {
        Some(Value::Primitive(PrimitiveValue::U16(_))) => match bits_allocated {
            32 => Order::WordsHighFirst,
            8 => Order::BytePairsSwapped,
            _ => Order::Native,
        },
        Some(Value::Primitive(PrimitiveValue::U8(_))) => Order::Big,
        _ => Order::Native,
    }
}

/// How a stored value sits in its sample.
#[derive(Debug, Clone, Copy)]
struct Layout {
    bits_allocated: u16,
    bits_stored: u32,
    shift: u32,
    signed: bool,
}

impl Layout {
    fn new(
        bits_allocated: u16,
        bits_stored: u16,
        high_bit: u16,
        signed: bool,
        native: bool,
    ) -> Self {
        let alloc = u32::from(bits_allocated).min(32);
        let stored = match u32::from(bits_stored) {
            0 => alloc,
            s => s.min(alloc),
        };
        let high = u32::from(high_bit);
        let shift = if native && high + 1 >= stored && high < alloc {
            high + 1 - stored
        } else {
            0
        };
        Self {
            bits_allocated,
            bits_stored: stored,
            shift,
            signed,
        }
    }

    fn value(self, raw: u64) -> f64 {
        let bits = self.bits_stored;
        if bits == 0 {
            return 0.0;
        }
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        let v = (raw >> self.shift) & mask;
        if self.signed && (v >> (bits - 1)) & 1 == 1 {
            // Two's complement in `bits` bits; bits <= 32, so this is exact in i64 and f64.
            (v as i64 - (1i64 << bits)) as f64
        } else {
            v as f64
        }
    }

    /// The first `n` stored values of decoded (native-endian) pixel data.
    fn stored_values(self, data: &[u8], n: usize, order: Order) -> Result<Vec<f64>, String> {
        let width = match self.bits_allocated {
            // dicom-pixeldata expands 1-bit samples to bytes of 0 or 255.
            1 => {
                let bytes = take(data, n, 1)?;
                return Ok(bytes.iter().map(|b| f64::from(u8::from(*b != 0))).collect());
            }
            8 => 1,
            16 => 2,
            32 => 4,
            other => return Err(format!("BitsAllocated {other} is not supported")),
        };
        let bytes = take(data, n, width)?;
        let big = order == Order::Big;
        Ok(match width {
            1 if order == Order::BytePairsSwapped => (0..n)
                .map(|i| self.value(u64::from(*data.get(i ^ 1).unwrap_or(&bytes[i]))))
                .collect(),
            1 => bytes.iter().map(|b| self.value(u64::from(*b))).collect(),
            2 => bytes
                .chunks_exact(2)
                .map(|b| {
                    let b = [b[0], b[1]];
                    self.value(u64::from(if big {
                        u16::from_be_bytes(b)
                    } else {
                        u16::from_ne_bytes(b)
                    }))
                })
                .collect(),
            _ => bytes
                .chunks_exact(4)
                .map(|b| {
                    let b = [b[0], b[1], b[2], b[3]];
                    let v = match order {
                        Order::Big => u32::from_be_bytes(b),
                        Order::WordsHighFirst => u32::from_ne_bytes(b).rotate_left(16),
                        _ => u32::from_ne_bytes(b),
                    };
                    self.value(u64::from(v))
                })
                .collect(),
        })
    }
}

fn take(data: &[u8], n: usize, width: usize) -> Result<&[u8], String> {
    let want = n.saturating_mul(width);
    data.get(..want).ok_or_else(|| {
        format!(
            "the decoded frame holds {} bytes, {want} expected",
            data.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_12_in_16_is_sign_extended() {
        let l = Layout::new(16, 12, 11, true, true);
        assert_eq!(l.value(0x0FFF), -1.0);
        assert_eq!(l.value(0x07FF), 2047.0);
        assert_eq!(l.value(0xF800), -2048.0);
    }

    #[test]
    fn unsigned_masks_bits_above_high_bit() {
        let l = Layout::new(16, 12, 11, false, true);
        assert_eq!(l.value(0xF123), 0x123 as f64);
        let shifted = Layout::new(16, 12, 15, false, true);
        assert_eq!(shifted.value(0xFFF0), 4095.0);
        let codec = Layout::new(16, 12, 15, false, false);
        assert_eq!(codec.value(0x0FFF), 4095.0);
    }

    #[test]
    fn short_data_is_an_error() {
        let l = Layout::new(16, 16, 15, false, true);
        assert!(l.stored_values(&[0u8; 6], 4, Order::Native).is_err());
        let bytes = [1u16.to_ne_bytes(), 2u16.to_ne_bytes()].concat();
        assert_eq!(
            l.stored_values(&bytes, 2, Order::Native),
            Ok(vec![1.0, 2.0])
        );
    }
}
