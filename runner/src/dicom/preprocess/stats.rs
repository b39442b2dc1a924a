//! The statistics a data-dependent step reads: the range and the percentiles of the
//! current values, numpy's way.

/// numpy's default (`method="linear"`) percentile `p` (in 0..=100) of `n` sorted
/// values, `at(k)` being the k-th smallest (from 0): with `q = p / 100`, the virtual
/// index `v = (n - 1) q`, `i = floor(v)`, `g = v - i`, and `a = at(i)`, `b = at(i + 1)`
/// (both `at(n - 1)` when `v >= n - 1`), the result is `a + (b - a) g` when `g < 0.5`
/// and `b - (b - a) (1 - g)` otherwise (numpy's `_lerp`), all in f64.
pub(super) fn percentile(n: usize, p: f64, at: impl Fn(usize) -> f64) -> f64 {
    debug_assert!(n > 0);
    let q = p / 100.0;
    let v = (n - 1) as f64 * q;
    let (a, b, g) = if v >= (n - 1) as f64 {
        let last = at(n - 1);
        (last, last, 0.0)
    } else {
        let i = v.floor();
        (at(i as usize), at(i as usize + 1), v - i)
    };
    let diff = b - a;
    if g >= 0.5 {
        b - diff * (1.0 - g)
    } else {
        a + diff * g
    }
}

/// Counts of the integer samples over their range, for their order statistics
/// without sorting; or the sorted samples when the range is too wide for a table.
pub(super) enum Order {
    /// `counts[k]` samples equal `base + k`; `cumulative[k]` samples are at most that.
    Histogram { base: i32, cumulative: Vec<u64> },
    /// Every sample, sorted.
    Sorted(Vec<i32>),
}

/// The widest range counted in a table (2^20 values, 8 MiB of counts).
const HISTOGRAM_RANGE: i64 = 1 << 20;

impl Order {
    pub(super) fn of(samples: &[i32], (lo, hi): (i32, i32)) -> Self {
        if i64::from(hi) - i64::from(lo) < HISTOGRAM_RANGE {
            let mut counts = vec![0u64; (i64::from(hi) - i64::from(lo) + 1) as usize];
            for &s in samples {
                counts[(i64::from(s) - i64::from(lo)) as usize] += 1;
            }
            let mut total = 0;
            for c in &mut counts {
                total += *c;
                *c = total;
            }
            Order::Histogram {
                base: lo,
                cumulative: counts,
            }
        } else {
            let mut sorted = samples.to_vec();
            sorted.sort_unstable();
            Order::Sorted(sorted)
        }
    }

    /// The k-th smallest sample (from 0); `k` is below the number of samples.
    pub(super) fn nth(&self, k: usize) -> i32 {
        match self {
            Order::Histogram { base, cumulative } => {
                // The first value with more than k samples at or below it.
                let i = cumulative.partition_point(|&c| c <= k as u64);
                (i64::from(*base) + i as i64) as i32
            }
            Order::Sorted(s) => s[k.min(s.len() - 1)],
        }
    }
}

/// The smallest and largest of `data` (the infinities when empty).
pub(super) fn range(data: &[f64]) -> (f64, f64) {
    data.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_as_numpy() {
        // np.percentile([1, 2, 3, 4, 10], [0, 25, 50, 62.5, 90, 100])
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        let p = |q| percentile(5, q, |k| v[k]);
        assert_eq!(p(0.0), 1.0);
        assert_eq!(p(25.0), 2.0);
        assert_eq!(p(50.0), 3.0);
        assert_eq!(p(62.5), 3.5);
        assert_eq!(p(90.0), 7.6000000000000005);
        assert_eq!(p(100.0), 10.0);
        assert_eq!(percentile(1, 37.0, |_| 4.0), 4.0);
    }

    #[test]
    fn order_statistics_from_counts_and_sorting() {
        let s = [5, -3, 5, 9, 0, 5];
        let h = Order::of(&s, (-3, 9));
        let wide = Order::of(&[5, -3, 5, i32::MAX, 0, 5], (-3, i32::MAX));
        assert!(matches!(wide, Order::Sorted(_)));
        let want = [-3, 0, 5, 5, 5, 9];
        for (k, w) in want.iter().enumerate() {
            assert_eq!(h.nth(k), *w);
        }
        assert_eq!(wide.nth(5), i32::MAX);
        assert_eq!(wide.nth(2), 5);
    }
}
