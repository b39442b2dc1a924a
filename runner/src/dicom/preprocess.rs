//! The manifest's preprocessing, step by step, with the exact f64 arithmetic of
//! `examples/chest-xray-triage/tools/preprocess.py` (numpy), cast to f32 at the end.
//!
//! The work is organised so that a full-size image is read once and never copied as
//! floating point: the pointwise steps before the first resize (rescale, windows,
//! invert) are composed into one map of the stored integer value, evaluated once per
//! value of the image's range into a lookup table ([`resample::Lut`]; at most 2^16
//! entries, else evaluated per sample read); the statistics they need (range,
//! percentiles) come from the stored range and a histogram of the integers, since
//! every map is monotone ([`ops`]); and the resize reads, through the table, only the
//! source samples each output pixel needs. After the resize the image is small, and
//! every further step works on an f64 plane of the output size.

mod geometry;
mod ops;
mod resample;
mod stats;
#[cfg(test)]
mod tests;

use super::Image;
use clic_compiler::plan::{tensor_shape, Preprocess};
use geometry::{View, Viewed};
use ops::{Op, Pointwise, Stats};
use resample::{Grid, Lut, Plane, Samples};

/// Applies the manifest's preprocessing steps in order to the image and returns the
/// tensor `[C, H, W]`, flattened row-major, as f32.
///
/// The first step receives the stored values (before any LUT). The steps:
/// - `Rescale` maps `x` to `x * slope + intercept`, with the file's slope and intercept
///   (1 and 0 when absent) or fixed ones;
/// - `Window` maps to [0, 1]: `dicom` uses the file's first WindowCenter/WindowWidth
///   when present with width >= 1 (PS3.3 C.11.2.1.2.1 LINEAR: for `w > 1`,
///   `clamp((x - (c - 0.5)) / (w - 1) + 0.5, 0, 1)`; for `w == 1`, `x > c - 0.5`), else
///   min-max when `else_minmax` (an error otherwise); `fixed` uses the given window;
///   `minmax` is `(x - min) / (max - min)`, or 0 everywhere for a constant image;
/// - `InvertMonochrome1`, for MONOCHROME1 images only, is `1 - y` after a window, or a
///   reflection across the value range (`min + max - x`) without one;
/// - `Resize` has half-pixel centres and no antialiasing: `bilinear` (OpenCV
///   `INTER_LINEAR`, PyTorch `align_corners=False`), `nearest` (the source pixel whose
///   centre is nearest: `floor((i + 0.5) * in / out)`) or `area` (PyTorch's
///   `interpolate(mode="area")`, i.e. `adaptive_avg_pool2d`: the mean of the source
///   block `[floor(i * in / out), ceil((i + 1) * in / out))` in each axis);
/// - `Normalize` is `(x - mean) / std`.
pub fn preprocess(image: &Image, steps: &[Preprocess]) -> Result<Vec<f32>, String> {
    if image.is_empty() {
        return Err(format!("the image is {} x {}", image.rows, image.columns));
    }
    if image.channels() == 3 && !steps.iter().any(|s| matches!(s, Preprocess::Color { .. })) {
        return Err(
            "the image is in colour (3 samples per pixel) and the manifest's input \
                    does not say what a colour image becomes: add `color luminance` to feed its \
                    luminance, or `color rgb` and `channels 3` to feed its three channels"
                .to_owned(),
        );
    }
    let mut stage = Stage::Source(Source::new(image));
    for step in steps {
        stage = stage.apply(image, step)?;
    }
    let plane = stage.into_plane();
    if let Some(shape) = tensor_shape(steps) {
        if shape != [plane.channels, plane.rows, plane.cols] {
            return Err(format!(
                "the steps made a tensor of {} x {} x {} (channels x height x width), not the {} x {} x {} they declare",
                plane.channels, plane.rows, plane.cols, shape[0], shape[1], shape[2]
            ));
        }
    }
    Ok(plane.data.iter().map(|&v| v as f32).collect())
}

/// Where the image is between steps.
enum Stage<'a> {
    /// The stored samples, with the pointwise maps composed so far.
    Source(Source<'a>),
    /// Computed values (after a resize, usually small).
    Plane(Plane),
}

/// The stored samples, the chain of maps not yet applied to them, and the crops and
/// pads not yet read through.
struct Source<'a> {
    image: &'a Image,
    chain: Vec<Op>,
    unit: bool,
    /// Crops and pads, in order; `rows` x `cols` after the last.
    views: Vec<View>,
    rows: usize,
    cols: usize,
    /// A grayscale image read as three channels (`channels 3`).
    replicate: bool,
    /// The histogram of the samples, built when a percentile first needs it.
    order: std::cell::OnceCell<stats::Order>,
}

impl<'a> Source<'a> {
    fn new(image: &'a Image) -> Self {
        Self {
            image,
            chain: Vec::new(),
            unit: false,
            views: Vec::new(),
            rows: image.rows,
            cols: image.columns,
            replicate: false,
            order: std::cell::OnceCell::new(),
        }
    }

    /// The chain evaluated at a stored value.
    fn map(&self, stored: i64) -> f64 {
        ops::eval_all(&self.chain, stored as f64)
    }

    /// The samples through the chain, before the views.
    fn samples(&self) -> Samples<'a> {
        let (samples, offset) = self.image.samples();
        Samples {
            samples,
            channels: self.image.channels(),
            rows: self.image.rows,
            cols: self.image.columns,
            replicate: self.replicate,
            lut: Lut::new(&self.chain, self.image.sample_range(), offset),
        }
    }

    /// Runs `f` on the samples through the chain and the views.
    fn with_grid<T>(&self, f: impl FnOnce(&Viewed<'_, Samples<'a>>) -> T) -> T {
        let samples = self.samples();
        f(&Viewed {
            inner: &samples,
            views: &self.views,
            rows: self.rows,
            cols: self.cols,
        })
    }

    /// Every value, computed (the slow path: a plane of the current size).
    fn collect(&self) -> Plane {
        self.with_grid(|g| resample::collect(g, self.unit))
    }
}

impl Stats for Source<'_> {
    fn range(&self) -> (f64, f64) {
        // The chain is monotone: its extremes are at the stored extremes.
        let (lo, hi) = self.image.stored_range();
        let (a, b) = (self.map(lo), self.map(hi));
        (a.min(b), a.max(b))
    }

    fn percentile(&self, p: f64) -> f64 {
        let (samples, offset) = self.image.samples();
        let order = self
            .order
            .get_or_init(|| stats::Order::of(samples, self.image.sample_range()));
        // A replicated image holds each value three times.
        let copies = if self.replicate { 3 } else { 1 };
        let n = samples.len() * copies;
        let (lo, hi) = self.image.stored_range();
        // A non-increasing chain reverses the order of the values.
        let reversed = self.map(lo) > self.map(hi);
        stats::percentile(n, p, |k| {
            let k = if reversed { n - 1 - k } else { k };
            self.map(i64::from(order.nth(k / copies)) + offset)
        })
    }
}

impl Stats for Plane {
    fn range(&self) -> (f64, f64) {
        stats::range(&self.data)
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.data.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        stats::percentile(sorted.len(), p, |k| sorted[k])
    }
}

impl<'a> Stage<'a> {
    fn apply(self, image: &'a Image, step: &Preprocess) -> Result<Self, String> {
        // Maps compose while no view lies between them and the samples; after a crop or
        // a pad, the values (and the statistics a map reads) are those of the view.
        let stage = match self {
            Stage::Source(s) if !s.views.is_empty() && is_pointwise(step) => {
                Stage::Plane(s.collect())
            }
            stage => stage,
        };
        stage.apply_here(image, step)
    }

    fn apply_here(self, image: &'a Image, step: &Preprocess) -> Result<Self, String> {
        if let Some(pointwise) = self.pointwise(image, step)? {
            return Ok(match self {
                Stage::Source(mut s) => {
                    s.chain.extend(pointwise.op);
                    s.unit = pointwise.unit.unwrap_or(s.unit);
                    Stage::Source(s)
                }
                Stage::Plane(mut p) => {
                    if let Some(op) = pointwise.op {
                        for v in &mut p.data {
                            *v = op.eval(*v);
                        }
                    }
                    p.unit = pointwise.unit.unwrap_or(p.unit);
                    Stage::Plane(p)
                }
            });
        }
        Ok(match step {
            Preprocess::Resize {
                width,
                height,
                interpolation,
            } => Stage::Plane(self.resize(*height as usize, *width as usize, interpolation)?),
            Preprocess::Letterbox {
                width,
                height,
                interpolation,
                fill,
            } => {
                let (h, w) = (*height as usize, *width as usize);
                let (nh, nw) = geometry::letterbox_size(self.size(), (h, w));
                let inner = self.resize(nh, nw, interpolation)?;
                let view = geometry::pad((nh, nw), (h, w), *fill);
                Stage::Plane(viewed(&inner, view, (h, w)))
            }
            Preprocess::Crop { width, height, at } => {
                let size = (*width as usize, *height as usize);
                let at = at.map(|(x, y)| (x as usize, y as usize));
                let view = geometry::crop(self.size(), size, at)?;
                self.view(view, (size.1, size.0))
            }
            Preprocess::PadSquare { fill } => {
                let (rows, cols) = self.size();
                let side = rows.max(cols);
                self.view(
                    geometry::pad((rows, cols), (side, side), *fill),
                    (side, side),
                )
            }
            Preprocess::Channels { count: 3 } => match self {
                Stage::Source(mut s) => {
                    s.replicate = s.image.channels() == 1;
                    Stage::Source(s)
                }
                Stage::Plane(p) if p.channels == 1 => Stage::Plane(Plane {
                    channels: 3,
                    data: p.data.repeat(3),
                    ..p
                }),
                stage => stage,
            },
            Preprocess::Channels { count } => {
                let have = self.channels();
                if have != *count as usize {
                    return Err(format!(
                        "the image has {have} channel(s) here, not the {count} the manifest gives"
                    ));
                }
                self
            }
            Preprocess::Color { mode } if mode == "luminance" && self.channels() == 3 => {
                Stage::Plane(luminance(self.into_plane()))
            }
            Preprocess::Color { mode } if mode == "luminance" || mode == "rgb" => self,
            Preprocess::Color { mode } => return Err(format!("unknown colour mode `{mode}`")),
            Preprocess::NormalizeChannels { mean, std } => {
                let mut p = self.into_plane();
                if mean.len() != p.channels || std.len() != p.channels {
                    return Err(format!(
                        "`normalize` gives {} mean(s) and {} std(s) for an image of {} channel(s)",
                        mean.len(),
                        std.len(),
                        p.channels
                    ));
                }
                let per = p.rows * p.cols;
                for ((plane, &m), &s) in p.data.chunks_mut(per).zip(mean).zip(std) {
                    if s == 0.0 || !s.is_finite() || !m.is_finite() {
                        return Err(format!("cannot normalise with mean {m} and std {s}"));
                    }
                    let op = Op::Normalize { mean: m, std: s };
                    for v in plane {
                        *v = op.eval(*v);
                    }
                }
                Stage::Plane(p)
            }
            // The pointwise steps were handled above.
            Preprocess::Rescale { .. }
            | Preprocess::Window { .. }
            | Preprocess::WindowPercentile { .. }
            | Preprocess::InvertMonochrome1
            | Preprocess::Clip { .. }
            | Preprocess::Normalize { .. } => self,
        })
    }

    /// Rows and columns here.
    fn size(&self) -> (usize, usize) {
        match self {
            Stage::Source(s) => (s.rows, s.cols),
            Stage::Plane(p) => (p.rows, p.cols),
        }
    }

    fn channels(&self) -> usize {
        match self {
            Stage::Source(s) if s.replicate => 3,
            Stage::Source(s) => s.image.channels(),
            Stage::Plane(p) => p.channels,
        }
    }

    /// Every value here.
    fn into_plane(self) -> Plane {
        match self {
            Stage::Source(s) => s.collect(),
            Stage::Plane(p) => p,
        }
    }

    /// A crop or pad to `size` (rows, columns): a view of the samples, or a new plane.
    fn view(self, view: View, size: (usize, usize)) -> Stage<'a> {
        match self {
            Stage::Source(mut s) => {
                s.views.push(view);
                (s.rows, s.cols) = size;
                Stage::Source(s)
            }
            Stage::Plane(p) => Stage::Plane(viewed(&p, view, size)),
        }
    }

    /// Resized to `h` x `w`, reading the samples through the chain and the views.
    fn resize(&self, h: usize, w: usize, how: &str) -> Result<Plane, String> {
        if w == 0 || h == 0 {
            return Err(format!("cannot resize to {w} x {h}"));
        }
        match self {
            Stage::Source(s) => s.with_grid(|g| resize(g, s.unit, h, w, how)),
            Stage::Plane(p) => resize(p, p.unit, h, w, how),
        }
    }

    fn stats(&self) -> &dyn Stats {
        match self {
            Stage::Source(s) => s,
            Stage::Plane(p) => p,
        }
    }

    fn unit(&self) -> bool {
        match self {
            Stage::Source(s) => s.unit,
            Stage::Plane(p) => p.unit,
        }
    }

    /// The map of a pointwise step at this point, or none for another kind of step.
    fn pointwise(&self, image: &Image, step: &Preprocess) -> Result<Option<Pointwise>, String> {
        let map = |op| {
            Some(Pointwise {
                op: Some(op),
                unit: Some(true),
            })
        };
        Ok(match step {
            Preprocess::Rescale { fixed } => {
                let (slope, intercept) = fixed.unwrap_or((image.slope, image.intercept));
                Some(Pointwise {
                    op: Some(Op::Affine { slope, intercept }),
                    unit: Some(false),
                })
            }
            Preprocess::Window {
                source,
                fixed,
                else_minmax,
            } => match source.as_str() {
                "dicom" => match image.window.filter(|(_, w)| *w >= 1.0) {
                    Some((c, w)) => map(ops::linear(c, w)),
                    None if *else_minmax => map(ops::minmax(self.stats())),
                    None => {
                        return Err("the file has no usable VOI window (WindowCenter and \
                                    WindowWidth with a width of at least 1)"
                            .to_owned())
                    }
                },
                "fixed" => match fixed {
                    Some((c, w)) if *w >= 1.0 => map(ops::linear(*c, *w)),
                    Some((_, w)) => return Err(format!("window width {w} is below 1")),
                    None => return Err("a fixed window needs a center and a width".to_owned()),
                },
                "minmax" => map(ops::minmax(self.stats())),
                other => return Err(format!("unknown window source `{other}`")),
            },
            Preprocess::InvertMonochrome1 => Some(Pointwise {
                op: ops::invert(image, self.unit(), self.stats()),
                unit: None,
            }),
            Preprocess::Normalize { mean, std } => {
                if *std == 0.0 || !std.is_finite() || !mean.is_finite() {
                    return Err(format!("cannot normalise with mean {mean} and std {std}"));
                }
                Some(Pointwise {
                    op: Some(Op::Normalize {
                        mean: *mean,
                        std: *std,
                    }),
                    unit: None,
                })
            }
            Preprocess::WindowPercentile { low, high } => {
                if !(0.0..=100.0).contains(low) || !(0.0..=100.0).contains(high) || low >= high {
                    return Err(format!(
                        "cannot window from percentile {low} to {high}: percentiles are in 0..100, the lower first"
                    ));
                }
                let stats = self.stats();
                let (lo, hi) = (stats.percentile(*low), stats.percentile(*high));
                map(if hi == lo {
                    Op::Zero
                } else {
                    Op::ScaleClamp { lo, den: hi - lo }
                })
            }
            Preprocess::Clip { low, high } => {
                if !low.is_finite() || !high.is_finite() || low >= high {
                    return Err(format!(
                        "cannot clip to {low} .. {high}: the lower bound first"
                    ));
                }
                Some(Pointwise {
                    op: Some(Op::Clip {
                        lo: *low,
                        hi: *high,
                    }),
                    unit: None,
                })
            }
            Preprocess::Resize { .. }
            | Preprocess::Letterbox { .. }
            | Preprocess::Crop { .. }
            | Preprocess::PadSquare { .. }
            | Preprocess::Channels { .. }
            | Preprocess::Color { .. }
            | Preprocess::NormalizeChannels { .. } => None,
        })
    }
}

/// Whether a step maps each value on its own (what [`Stage::pointwise`] resolves).
fn is_pointwise(step: &Preprocess) -> bool {
    matches!(
        step,
        Preprocess::Rescale { .. }
            | Preprocess::Window { .. }
            | Preprocess::WindowPercentile { .. }
            | Preprocess::InvertMonochrome1
            | Preprocess::Clip { .. }
            | Preprocess::Normalize { .. }
    )
}

/// A plane through one view, `size` (rows, columns) after it.
fn viewed(p: &Plane, view: View, size: (usize, usize)) -> Plane {
    let views = [view];
    resample::collect(
        &Viewed {
            inner: p,
            views: &views,
            rows: size.0,
            cols: size.1,
        },
        p.unit,
    )
}

/// The luminance of an RGB plane, `Y = 0.299 R + 0.587 G + 0.114 B` (the Y row of
/// PS3.3 C.7.6.3.1.2).
fn luminance(p: Plane) -> Plane {
    let per = p.rows * p.cols;
    let (r, rest) = p.data.split_at(per);
    let (g, b) = rest.split_at(per);
    let data = r
        .iter()
        .zip(g)
        .zip(b)
        .map(|((r, g), b)| 0.299 * r + 0.587 * g + 0.114 * b)
        .collect();
    Plane {
        channels: 1,
        data,
        ..p
    }
}

/// Resizes `g` to `h` x `w`.
fn resize(g: &impl Grid, unit: bool, h: usize, w: usize, how: &str) -> Result<Plane, String> {
    let data = match how {
        "bilinear" => resample::bilinear(g, h, w),
        "nearest" => resample::nearest(g, h, w),
        "area" => resample::area(g, h, w),
        other => return Err(format!("unknown interpolation `{other}`")),
    };
    Ok(Plane {
        channels: g.channels(),
        rows: h,
        cols: w,
        data,
        unit,
    })
}

/// Minimum, maximum and mean of the image after the modality LUT, over every sample.
pub fn pixel_stats(image: &Image) -> (f64, f64, f64) {
    if image.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let value = |s: i64| s as f64 * image.slope + image.intercept;
    let (lo, hi) = image.stored_range();
    let (a, b) = (value(lo), value(hi));
    let (samples, offset) = image.samples();
    // In sample order, as numpy's sequential sum of the rescaled plane.
    let sum = samples
        .iter()
        .fold(0.0, |acc, &s| acc + value(i64::from(s) + offset));
    (a.min(b), a.max(b), sum / samples.len() as f64)
}
