//! Pointwise steps as value maps. Every map is monotone (non-decreasing or
//! non-increasing) in f64 arithmetic, so a chain of them maps the order statistics of
//! the stored values to those of the current values: the range and the percentiles a
//! later step reads come from the stored integers' range and histogram.

use super::Image;

/// One pointwise map, with its constants resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Op {
    /// `x * slope + intercept`.
    Affine { slope: f64, intercept: f64 },
    /// PS3.3 C.11.2.1.2.1 LINEAR for `w > 1`: `clamp((x - lo) / den + 0.5, 0, 1)` with
    /// `lo = c - 0.5` and `den = w - 1`.
    Linear { lo: f64, den: f64 },
    /// LINEAR for `w == 1`: 1 when `x > t` (`t = c - 0.5`), else 0.
    Step { t: f64 },
    /// `(x - lo) / den` (min-max).
    Scale { lo: f64, den: f64 },
    /// `clamp((x - lo) / den, 0, 1)` (a percentile window).
    ScaleClamp { lo: f64, den: f64 },
    /// 0 (the window of a constant image).
    Zero,
    /// `sum - x`: the reflection across the range `[lo, hi]`, `sum = lo + hi`.
    Reflect { sum: f64 },
    /// `1 - x`.
    OneMinus,
    /// `clamp(x, lo, hi)`.
    Clip { lo: f64, hi: f64 },
    /// `(x - mean) / std`.
    Normalize { mean: f64, std: f64 },
}

impl Op {
    #[inline]
    pub(super) fn eval(self, x: f64) -> f64 {
        match self {
            Op::Affine { slope, intercept } => x * slope + intercept,
            Op::Linear { lo, den } => ((x - lo) / den + 0.5).clamp(0.0, 1.0),
            Op::Step { t } => {
                if x > t {
                    1.0
                } else {
                    0.0
                }
            }
            Op::Scale { lo, den } => (x - lo) / den,
            Op::ScaleClamp { lo, den } => ((x - lo) / den).clamp(0.0, 1.0),
            Op::Zero => 0.0,
            Op::Reflect { sum } => sum - x,
            Op::OneMinus => 1.0 - x,
            Op::Clip { lo, hi } => x.clamp(lo, hi),
            Op::Normalize { mean, std } => (x - mean) / std,
        }
    }
}

/// A chain of maps applied in order.
pub(super) fn eval_all(ops: &[Op], x: f64) -> f64 {
    ops.iter().fold(x, |v, op| op.eval(v))
}

/// The statistics of the current values that a data-dependent step reads.
pub(super) trait Stats {
    /// The smallest and largest value.
    fn range(&self) -> (f64, f64);
    /// numpy's linear percentile `p` (0..=100).
    fn percentile(&self, p: f64) -> f64;
}

/// What a pointwise step does to the current values: a map, and whether the values are
/// in [0, 1] afterwards (`None`: unchanged).
pub(super) struct Pointwise {
    pub(super) op: Option<Op>,
    pub(super) unit: Option<bool>,
}

/// PS3.3 C.11.2.1.2.1 LINEAR to [0, 1]; `w >= 1`.
pub(super) fn linear(c: f64, w: f64) -> Op {
    if w == 1.0 {
        Op::Step { t: c - 0.5 }
    } else {
        Op::Linear {
            lo: c - 0.5,
            den: w - 1.0,
        }
    }
}

/// Min-max to [0, 1], or 0 everywhere for a constant image.
pub(super) fn minmax(stats: &dyn Stats) -> Op {
    let (lo, hi) = stats.range();
    if hi == lo {
        Op::Zero
    } else {
        Op::Scale { lo, den: hi - lo }
    }
}

/// `invert monochrome1`: nothing for other images; `1 - y` after a window, else the
/// reflection across the current range.
pub(super) fn invert(image: &Image, unit: bool, stats: &dyn Stats) -> Option<Op> {
    if !image.monochrome1 {
        return None;
    }
    Some(if unit {
        Op::OneMinus
    } else {
        let (lo, hi) = stats.range();
        Op::Reflect { sum: lo + hi }
    })
}
