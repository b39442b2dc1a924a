//! Reading the image for a resize: a [`Grid`] of values, either the stored samples
//! through the lookup table of the pointwise steps before it ([`Samples`]), or a plane
//! of f64 values already computed ([`Plane`]); and the resizes, which read only the
//! source values each output pixel needs.

use super::ops::{eval_all, Op};

/// Values by channel, row and column.
pub(super) trait Grid {
    fn channels(&self) -> usize;
    fn rows(&self) -> usize;
    fn cols(&self) -> usize;
    /// The value at channel `c`, row `y`, column `x` (all in range).
    fn at(&self, c: usize, y: usize, x: usize) -> f64;
    /// Adds row `y` of channel `c` to `acc` (`cols()` long).
    fn add_row(&self, c: usize, y: usize, acc: &mut [f64]) {
        for (x, a) in acc.iter_mut().enumerate() {
            *a += self.at(c, y, x);
        }
    }
}

/// A computed image, planar f64: channel `c`, row `y`, column `x` at
/// `(c * rows + y) * cols + x`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plane {
    pub(super) channels: usize,
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) data: Vec<f64>,
    /// Whether a window has mapped the values to [0, 1].
    pub(super) unit: bool,
}

impl Grid for Plane {
    fn channels(&self) -> usize {
        self.channels
    }
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    #[inline]
    fn at(&self, c: usize, y: usize, x: usize) -> f64 {
        self.data[(c * self.rows + y) * self.cols + x]
    }
    fn add_row(&self, c: usize, y: usize, acc: &mut [f64]) {
        let start = (c * self.rows + y) * self.cols;
        for (a, v) in acc.iter_mut().zip(&self.data[start..start + self.cols]) {
            *a += v;
        }
    }
}

/// The pointwise steps before the resize as one map of the stored value.
pub(super) enum Lut {
    /// `values[s - base]` for every sample `s` of the image: the chain evaluated once
    /// per stored value in the image's range.
    Table { base: i32, values: Vec<f64> },
    /// The chain evaluated per sample read (a range wider than [`LUT_SIZE`]).
    Direct { ops: Vec<Op>, offset: i64 },
}

/// The largest table: 2^16 entries, every value of a 16-bit image.
pub(super) const LUT_SIZE: i64 = 1 << 16;

impl Lut {
    /// The map `ops` over samples in `[lo, hi]` that give stored values with `offset`.
    pub(super) fn new(ops: &[Op], (lo, hi): (i32, i32), offset: i64) -> Self {
        let span = i64::from(hi) - i64::from(lo) + 1;
        if span <= LUT_SIZE {
            let values = (i64::from(lo)..=i64::from(hi))
                .map(|s| eval_all(ops, (s + offset) as f64))
                .collect();
            Lut::Table { base: lo, values }
        } else {
            Lut::Direct {
                ops: ops.to_vec(),
                offset,
            }
        }
    }

    /// The value of sample `s`, which lies in the range the table was built for.
    #[inline]
    pub(super) fn get(&self, s: i32) -> f64 {
        match self {
            // INVARIANT: base is the smallest sample and the table spans up to the
            // largest, so the index is in range.
            Lut::Table { base, values } => values[(i64::from(s) - i64::from(*base)) as usize],
            Lut::Direct { ops, offset } => eval_all(ops, (i64::from(s) + offset) as f64),
        }
    }
}

/// The stored samples of the image through a [`Lut`]. A grayscale image read as three
/// channels (`replicate`) gives its one plane for each.
pub(super) struct Samples<'a> {
    pub(super) samples: &'a [i32],
    pub(super) channels: usize,
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) replicate: bool,
    pub(super) lut: Lut,
}

impl Samples<'_> {
    #[inline]
    fn plane(&self, c: usize) -> usize {
        if self.replicate {
            0
        } else {
            c
        }
    }
}

impl Grid for Samples<'_> {
    fn channels(&self) -> usize {
        if self.replicate {
            3
        } else {
            self.channels
        }
    }
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    #[inline]
    fn at(&self, c: usize, y: usize, x: usize) -> f64 {
        self.lut
            .get(self.samples[(self.plane(c) * self.rows + y) * self.cols + x])
    }
    fn add_row(&self, c: usize, y: usize, acc: &mut [f64]) {
        let start = (self.plane(c) * self.rows + y) * self.cols;
        let row = &self.samples[start..start + self.cols];
        match &self.lut {
            Lut::Table { base, values } => {
                for (a, &s) in acc.iter_mut().zip(row) {
                    *a += values[(i64::from(s) - i64::from(*base)) as usize];
                }
            }
            Lut::Direct { .. } => {
                for (a, &s) in acc.iter_mut().zip(row) {
                    *a += self.lut.get(s);
                }
            }
        }
    }
}

/// Every value of a grid, as a plane.
pub(super) fn collect(g: &impl Grid, unit: bool) -> Plane {
    let (channels, rows, cols) = (g.channels(), g.rows(), g.cols());
    let mut data = Vec::with_capacity(channels * rows * cols);
    let mut row = vec![0.0; cols];
    for c in 0..channels {
        for y in 0..rows {
            row.fill(0.0);
            g.add_row(c, y, &mut row);
            data.extend_from_slice(&row);
        }
    }
    Plane {
        channels,
        rows,
        cols,
        data,
        unit,
    }
}

/// Source taps of one axis: `(i0, i1, frac)` per output index, as `_resize_weights` of
/// `tools/preprocess.py`: `src = clamp((i + 0.5) * in / out - 0.5, 0, in - 1)`,
/// `i0 = floor(src)`, `i1 = min(i0 + 1, in - 1)`, `frac = src - i0`.
fn taps(n_in: usize, n_out: usize) -> Vec<(usize, usize, f64)> {
    let scale = n_in as f64 / n_out as f64;
    let last = (n_in - 1) as f64;
    (0..n_out)
        .map(|i| {
            let src = ((i as f64 + 0.5) * scale - 0.5).clamp(0.0, last);
            let f = src.floor();
            let i0 = f as usize;
            (i0, (i0 + 1).min(n_in - 1), src - f)
        })
        .collect()
}

/// Bilinear, half-pixel centres, no antialiasing; per output pixel, rows first:
/// `r(x) = v(y0, x) (1 - fy) + v(y1, x) fy`, then `r(x0) (1 - fx) + r(x1) fx` — the
/// same arithmetic as the separable passes of `tools/preprocess.py`.
pub(super) fn bilinear(g: &impl Grid, h: usize, w: usize) -> Vec<f64> {
    let (ys, xs) = (taps(g.rows(), h), taps(g.cols(), w));
    let mut out = Vec::with_capacity(g.channels() * h * w);
    for c in 0..g.channels() {
        for &(y0, y1, fy) in &ys {
            out.extend(xs.iter().map(|&(x0, x1, fx)| {
                let r0 = g.at(c, y0, x0) * (1.0 - fy) + g.at(c, y1, x0) * fy;
                let r1 = g.at(c, y0, x1) * (1.0 - fy) + g.at(c, y1, x1) * fy;
                r0 * (1.0 - fx) + r1 * fx
            }));
        }
    }
    out
}

/// The source index whose centre is nearest: `min(floor((i + 0.5) * in / out), in - 1)`.
fn nearest_index(n_in: usize, n_out: usize) -> Vec<usize> {
    let scale = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|i| (((i as f64 + 0.5) * scale).floor() as usize).min(n_in - 1))
        .collect()
}

pub(super) fn nearest(g: &impl Grid, h: usize, w: usize) -> Vec<f64> {
    let (ys, xs) = (nearest_index(g.rows(), h), nearest_index(g.cols(), w));
    let mut out = Vec::with_capacity(g.channels() * h * w);
    for c in 0..g.channels() {
        for &y in &ys {
            out.extend(xs.iter().map(|&x| g.at(c, y, x)));
        }
    }
    out
}

/// The source block of output index `i` of an adaptive average pool:
/// `[floor(i * in / out), ceil((i + 1) * in / out))`.
fn block(i: usize, n_in: usize, n_out: usize) -> (usize, usize) {
    (i * n_in / n_out, ((i + 1) * n_in).div_ceil(n_out))
}

/// Area interpolation as PyTorch's `interpolate(mode="area")`, which is
/// `adaptive_avg_pool2d`: each output pixel is the mean of its source block, rows
/// `block(i)` by columns `block(j)`; summed down each column of the block, then across,
/// then divided by the block's size.
pub(super) fn area(g: &impl Grid, h: usize, w: usize) -> Vec<f64> {
    let (rows, cols) = (g.rows(), g.cols());
    let xs: Vec<(usize, usize)> = (0..w).map(|j| block(j, cols, w)).collect();
    let mut out = Vec::with_capacity(g.channels() * h * w);
    let mut acc = vec![0.0; cols];
    for c in 0..g.channels() {
        for i in 0..h {
            let (y0, y1) = block(i, rows, h);
            acc.fill(0.0);
            for y in y0..y1 {
                g.add_row(c, y, &mut acc);
            }
            out.extend(xs.iter().map(|&(x0, x1)| {
                let sum: f64 = acc[x0..x1].iter().sum();
                sum / ((y1 - y0) * (x1 - x0)) as f64
            }));
        }
    }
    out
}
