//! How the stored values sit in decoded pixel data: sample width, bits stored, high bit,
//! sign and byte order, read into `i32` samples.

use crate::dicom::open::Object;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_dictionary_std::tags;

const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";

/// How the samples of decoded pixel data are laid out in memory. dicom-rs hands native
/// pixel data over as the element's in-memory value: for Explicit VR Big Endian, an OW
/// value is already a list of native 16-bit words (right for 16-bit samples only) and an
/// OB value keeps the file's byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Native-endian samples.
    Native,
    /// Big-endian samples (OB read from a big-endian file).
    Big,
    /// 32-bit samples as two native 16-bit words, most significant first.
    WordsHighFirst,
    /// 8-bit samples packed in native 16-bit words, first sample in the high byte.
    BytePairsSwapped,
}

pub(crate) fn byte_order(obj: &Object, ts: &str, bits_allocated: u16) -> Order {
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
pub(crate) struct Layout {
    bits_allocated: u16,
    bits_stored: u32,
    shift: u32,
    signed: bool,
}

/// 2^31: unsigned 32-bit stored values are kept as `value - OFFSET_32` in an `i32`.
const OFFSET_32: i64 = 1 << 31;

impl Layout {
    pub(crate) fn new(
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

    /// BitsStored, as used (at most BitsAllocated).
    pub(crate) fn bits_stored(self) -> u32 {
        self.bits_stored
    }

    /// The stored value of a raw sample: the bits above HighBit masked off, sign
    /// extended when signed.
    pub(crate) fn value(self, raw: u64) -> i64 {
        let bits = self.bits_stored;
        if bits == 0 {
            return 0;
        }
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        let v = (raw >> self.shift) & mask;
        if self.signed && (v >> (bits - 1)) & 1 == 1 {
            // Two's complement in `bits` bits; bits <= 32, so this is exact in i64.
            v as i64 - (1i64 << bits)
        } else {
            v as i64
        }
    }

    /// What is added to a kept `i32` sample to give the stored value.
    fn offset(self) -> i64 {
        if !self.signed && self.bits_stored >= 32 {
            OFFSET_32
        } else {
            0
        }
    }

    /// The first `n` stored values of decoded (native-endian) pixel data, as `i32`
    /// samples, and the offset that gives the stored values back.
    pub(crate) fn stored_samples(
        self,
        data: &[u8],
        n: usize,
        order: Order,
    ) -> Result<(Vec<i32>, i64), String> {
        let offset = self.offset();
        // INVARIANT: a stored value has at most 32 bits; signed ones and unsigned ones
        // below 2^31 fit an i32 as they are, the others after subtracting OFFSET_32.
        let keep = |v: i64| (v - offset) as i32;
        let width = match self.bits_allocated {
            // dicom-pixeldata expands 1-bit samples to bytes of 0 or 255.
            1 => {
                let bytes = take(data, n, 1)?;
                return Ok((bytes.iter().map(|b| i32::from(*b != 0)).collect(), 0));
            }
            8 => 1,
            16 => 2,
            32 => 4,
            other => return Err(format!("BitsAllocated {other} is not supported")),
        };
        let bytes = take(data, n, width)?;
        let big = order == Order::Big;
        let samples = match width {
            1 if order == Order::BytePairsSwapped => (0..n)
                .map(|i| keep(self.value(u64::from(*data.get(i ^ 1).unwrap_or(&bytes[i])))))
                .collect(),
            1 => bytes
                .iter()
                .map(|b| keep(self.value(u64::from(*b))))
                .collect(),
            2 => bytes
                .chunks_exact(2)
                .map(|b| {
                    let b = [b[0], b[1]];
                    keep(self.value(u64::from(if big {
                        u16::from_be_bytes(b)
                    } else {
                        u16::from_ne_bytes(b)
                    })))
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
                    keep(self.value(u64::from(v)))
                })
                .collect(),
        };
        Ok((samples, offset))
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
        assert_eq!(l.value(0x0FFF), -1);
        assert_eq!(l.value(0x07FF), 2047);
        assert_eq!(l.value(0xF800), -2048);
    }

    #[test]
    fn unsigned_masks_bits_above_high_bit() {
        let l = Layout::new(16, 12, 11, false, true);
        assert_eq!(l.value(0xF123), 0x123);
        let shifted = Layout::new(16, 12, 15, false, true);
        assert_eq!(shifted.value(0xFFF0), 4095);
        let codec = Layout::new(16, 12, 15, false, false);
        assert_eq!(codec.value(0x0FFF), 4095);
    }

    #[test]
    fn short_data_is_an_error() {
        let l = Layout::new(16, 16, 15, false, true);
        assert!(l.stored_samples(&[0u8; 6], 4, Order::Native).is_err());
        let bytes = [1u16.to_ne_bytes(), 2u16.to_ne_bytes()].concat();
        assert_eq!(
            l.stored_samples(&bytes, 2, Order::Native),
            Ok((vec![1, 2], 0))
        );
    }

    #[test]
    fn unsigned_32_bit_values_keep_their_top_bit() {
        let l = Layout::new(32, 32, 31, false, true);
        let bytes = [u32::MAX.to_ne_bytes(), 7u32.to_ne_bytes()].concat();
        let (samples, offset) = l.stored_samples(&bytes, 2, Order::Native).expect("reads");
        let stored: Vec<i64> = samples.iter().map(|&s| i64::from(s) + offset).collect();
        assert_eq!(stored, vec![i64::from(u32::MAX), 7]);
        let signed = Layout::new(32, 32, 31, true, true);
        let (samples, offset) = signed
            .stored_samples(&bytes, 2, Order::Native)
            .expect("reads");
        assert_eq!((samples, offset), (vec![-1, 7], 0));
    }
}
