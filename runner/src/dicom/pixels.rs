//! Decoding the first frame to its stored integer samples, the way
//! `tools/preprocess.py` reads a file with pydicom. The samples are kept as integers:
//! the modality LUT (rescale) and every later step are applied by
//! [`super::preprocess`], fused into one lookup table over the stored range.

mod colour;
mod layout;

use super::fields::{first_number, text, uint};
use super::open::Object;
use super::ScanError;
use dicom_dictionary_std::tags;
use dicom_transfer_syntax_registry::{TransferSyntaxIndex, TransferSyntaxRegistry};
use layout::{byte_order, Layout};

pub use colour::Colour;

/// The first frame of an image: its stored samples, as integers, and the attributes the
/// preprocessing reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Rows (height).
    pub rows: usize,
    /// Columns (width).
    pub columns: usize,
    /// Grayscale (one sample per pixel) or RGB (three; YBR_FULL and YBR_FULL_422 are
    /// converted to RGB when decoded).
    pub colour: Colour,
    /// The stored samples, planar: sample `c` of row `y`, column `x` is at
    /// `(c * rows + y) * columns + x`. The stored value is the sample plus `offset`.
    samples: Vec<i32>,
    /// Added to a sample to give the stored value: 0, except for unsigned 32-bit samples
    /// (stored values up to 2^32 - 1), which are kept as `value - 2^31`.
    offset: i64,
    /// The smallest and largest sample.
    min: i32,
    max: i32,
    /// The first WindowCenter and WindowWidth values, when both are present (the width
    /// is not checked here).
    pub window: Option<(f64, f64)>,
    /// PhotometricInterpretation is MONOCHROME1 (the minimum is white).
    pub monochrome1: bool,
    /// RescaleSlope (1 when absent, empty or zero, as in `tools/preprocess.py`).
    pub slope: f64,
    /// RescaleIntercept (0 when absent or empty).
    pub intercept: f64,
}

impl Image {
    /// An image from its stored values (planar, `channels` planes of `rows * columns`),
    /// with no window, MONOCHROME2 (or RGB), slope 1 and intercept 0; the public fields
    /// may be set afterwards.
    pub fn new(
        rows: usize,
        columns: usize,
        colour: Colour,
        stored: Vec<i32>,
    ) -> Result<Self, String> {
        Self::with_offset(rows, columns, colour, stored, 0)
    }

    fn with_offset(
        rows: usize,
        columns: usize,
        colour: Colour,
        samples: Vec<i32>,
        offset: i64,
    ) -> Result<Self, String> {
        let want = rows
            .checked_mul(columns)
            .and_then(|n| n.checked_mul(colour.channels()))
            .filter(|n| *n > 0);
        if want != Some(samples.len()) {
            return Err(format!(
                "the image holds {} samples for {rows} x {columns} pixels of {} sample(s)",
                samples.len(),
                colour.channels()
            ));
        }
        let (min, max) = samples
            .iter()
            .fold((i32::MAX, i32::MIN), |(lo, hi), &s| (lo.min(s), hi.max(s)));
        Ok(Self {
            rows,
            columns,
            colour,
            samples,
            offset,
            min,
            max,
            window: None,
            monochrome1: false,
            slope: 1.0,
            intercept: 0.0,
        })
    }

    /// Samples per pixel: 1 or 3.
    pub fn channels(&self) -> usize {
        self.colour.channels()
    }

    /// The number of samples (`channels * rows * columns`).
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Never: an image holds at least one pixel.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The stored value of sample `i` (planar order), before the modality LUT.
    pub fn stored(&self, i: usize) -> Option<i64> {
        self.samples.get(i).map(|&s| i64::from(s) + self.offset)
    }

    /// The value of sample `i` after the modality LUT: `stored * slope + intercept`.
    pub fn value(&self, i: usize) -> Option<f64> {
        self.stored(i)
            .map(|s| s as f64 * self.slope + self.intercept)
    }

    /// The smallest and largest stored value.
    pub fn stored_range(&self) -> (i64, i64) {
        (
            i64::from(self.min) + self.offset,
            i64::from(self.max) + self.offset,
        )
    }

    /// The same image with other samples (as kept, planar, the same count and offset):
    /// what a perturbation of the robustness study makes ([`super::perturb`]).
    pub(crate) fn with_samples(&self, samples: Vec<i32>) -> Result<Self, String> {
        let mut out =
            Self::with_offset(self.rows, self.columns, self.colour, samples, self.offset)?;
        out.window = self.window;
        out.monochrome1 = self.monochrome1;
        out.slope = self.slope;
        out.intercept = self.intercept;
        Ok(out)
    }

    /// The samples as kept (planar), and the offset that gives stored values.
    pub(crate) fn samples(&self) -> (&[i32], i64) {
        (&self.samples, self.offset)
    }

    /// The samples' smallest and largest value as kept (without the offset).
    pub(crate) fn sample_range(&self) -> (i32, i32) {
        (self.min, self.max)
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
    let photometric = text(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default();
    let native = TransferSyntaxRegistry
        .get(ts)
        .is_some_and(|t| !t.is_encapsulated_pixel_data());
    let space = colour::space(samples, &photometric, ts, native).map_err(err)?;
    let monochrome1 = photometric == "MONOCHROME1";
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
    let mut image = if space == colour::Space::NativeYbr422 {
        // dicom-pixeldata sizes a native frame as Rows x Columns x 3 samples, but a
        // YBR_FULL_422 frame holds two samples per pixel: read the element ourselves.
        colour::native_ybr_422(obj, ts).map_err(err)?
    } else {
        decode(obj, file, ts, native, space)?
    };
    image.window = window;
    image.monochrome1 = monochrome1;
    image.slope = slope;
    image.intercept = intercept;
    Ok(image)
}

/// The decoder's frame 0 as an [`Image`] (before the window and rescale attributes).
fn decode(
    obj: &Object,
    file: &str,
    ts: &str,
    native: bool,
    space: colour::Space,
) -> Result<Image, ScanError> {
    let err = |reason: String| ScanError::new(file, Some(ts), reason);
    // Frame 0 through clic's codec table (a codec that panics on malformed data is an
    // error of this file, never the end of the run).
    let decoded = super::codecs::decode_frame(obj, 0)
        .map_err(|e| err(format!("cannot decode the pixel data: {e}")))?;
    let rows = decoded.rows() as usize;
    let columns = decoded.columns() as usize;
    let n = rows
        .checked_mul(columns)
        .filter(|n| *n > 0)
        .ok_or_else(|| err(format!("the image is {rows} x {columns}")))?;
    // Only native pixel data may carry its value above bit 0 (HighBit + 1 > BitsStored);
    // codecs hand values over in the low bits.
    let layout = Layout::new(
        decoded.bits_allocated(),
        decoded.bits_stored(),
        decoded.high_bit(),
        decoded.pixel_representation() == dicom_pixeldata::PixelRepresentation::Signed,
        native,
    );
    let order = byte_order(obj, ts, decoded.bits_allocated());
    let channels = space.colour().channels();
    let (mut samples, offset) = layout
        .stored_samples(decoded.data(), n * channels, order)
        .map_err(err)?;
    drop(decoded);
    if channels == 3 {
        // Codecs hand colour over pixel by pixel; native data says how it is laid out.
        let planar = native && uint(obj, tags::PLANAR_CONFIGURATION) == Some(1);
        if !planar {
            samples = colour::deinterleave(&samples);
        }
        if space.is_ybr() {
            colour::ybr_to_rgb(&mut samples, n, layout.bits_stored()).map_err(err)?;
        }
    }
    Image::with_offset(rows, columns, space.colour(), samples, offset).map_err(err)
}
