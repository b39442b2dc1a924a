//! The F1 score with a seeded, deterministic percentile bootstrap interval.
//!
//! A resample draws n cases with replacement. F1 depends only on each case's cell of the
//! 2x2 table, so a resample draws n cells from the observed cells (tp, fp, fn, tn) in a
//! fixed order: the result depends on the counts only, never on input order. Resample
//! `b` has its own generator (xoshiro256**, seeded by SplitMix64 from `SEED` and `b`), so
//! running the resamples in parallel gives the same numbers as running them in turn.

use super::Estimate;
use rayon::prelude::*;

/// Bootstrap resamples.
pub(super) const RESAMPLES: usize = 2000;
/// The fixed seed ("clicF1bs" in ASCII).
const SEED: u64 = 0x636c_6963_4631_6273;

/// F1 = 2tp / (2tp + fp + fn), 0 when that is 0/0 (as scikit-learn's
/// `zero_division=0`).
fn f1(tp: u64, fp: u64, fn_: u64) -> f64 {
    let d = 2 * tp + fp + fn_;
    if d == 0 {
        0.0
    } else {
        (2 * tp) as f64 / d as f64
    }
}

/// The F1 estimate with its 2.5th and 97.5th bootstrap percentiles (linear
/// interpolation, as numpy's default `percentile`). With no cases: value 0, (0, 1).
pub(super) fn f1_estimate(tp: u64, fp: u64, tn: u64, fn_: u64) -> Estimate {
    let n = tp + fp + tn + fn_;
    let value = f1(tp, fp, fn_);
    if n == 0 {
        return Estimate {
            value,
            n,
            successes: None,
            low: 0.0,
            high: 1.0,
            method: "bootstrap-percentile (no cases)".to_string(),
        };
    }
    let mut f1s: Vec<f64> = (0..RESAMPLES)
        .into_par_iter()
        .map(|b| {
            let mut rng = Xoshiro::for_resample(b as u64);
            let (mut rtp, mut rfp, mut rfn) = (0u64, 0u64, 0u64);
            for _ in 0..n {
                let u = rng.below(n);
                if u < tp {
                    rtp += 1;
                } else if u < tp + fp {
                    rfp += 1;
                } else if u < tp + fp + fn_ {
                    rfn += 1;
                }
            }
            f1(rtp, rfp, rfn)
        })
        .collect();
    f1s.sort_by(f64::total_cmp);
    Estimate {
        value,
        n,
        successes: None,
        low: percentile(&f1s, 0.025),
        high: percentile(&f1s, 0.975),
        method: "bootstrap-percentile".to_string(),
    }
}

/// The `q` quantile of sorted, non-empty `v` by linear interpolation between order
/// statistics (numpy's default, Hyndman-Fan type 7).
pub(super) fn percentile(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    let frac = pos - lo as f64;
    v[lo] + (v[hi] - v[lo]) * frac
}

/// SplitMix64 step (Steele, Lea, Flood 2014), used to seed xoshiro.
pub(super) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xoshiro256** 1.0 (Blackman and Vigna 2018).
pub(super) struct Xoshiro(pub(super) [u64; 4]);

impl Xoshiro {
    /// The generator of resample `b` of the F1 bootstrap.
    fn for_resample(b: u64) -> Self {
        Self::seeded(SEED, b)
    }

    /// The generator of resample `b` of a bootstrap seeded with `seed`: xoshiro256**
    /// whose state is four SplitMix64 outputs from `seed ^ (b * 0xd1b54a32d192ed03)`.
    pub(super) fn seeded(seed: u64, b: u64) -> Self {
        let mut sm = seed ^ b.wrapping_mul(0xd1b5_4a32_d192_ed03);
        Xoshiro([
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in 0..n (n > 0), unbiased (Lemire 2019, multiply and reject).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_reference_vector() {
        // xoshiro256** from state [1, 2, 3, 4]: first outputs of the reference C code.
        let mut r = Xoshiro([1, 2, 3, 4]);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, [11520, 0, 1509978240]);
    }

    #[test]
    fn splitmix_reference_vector() {
        // SplitMix64 seeded with 0: the first output of the reference C code.
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn below_is_in_range_and_covers() {
        let mut r = Xoshiro::for_resample(0);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[usize::try_from(r.below(7)).unwrap_or(usize::MAX)] += 1;
        }
        assert!(seen.iter().all(|&k| (850..1150).contains(&k)), "{seen:?}");
    }

    #[test]
    fn percentile_like_numpy() {
        let v: Vec<f64> = (0..11).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.025), 0.25);
        assert_eq!(percentile(&v, 0.975), 9.75);
        assert_eq!(percentile(&[3.0], 0.975), 3.0);
    }

    #[test]
    fn deterministic_and_bracketing() {
        let a = f1_estimate(40, 12, 130, 18);
        let b = f1_estimate(40, 12, 130, 18);
        assert_eq!(a, b);
        assert!(a.low <= a.value && a.value <= a.high, "{a:?}");
        assert!(a.high - a.low > 0.05 && a.high - a.low < 0.4, "{a:?}");
        let perfect = f1_estimate(10, 0, 10, 0);
        assert_eq!((perfect.value, perfect.low, perfect.high), (1.0, 1.0, 1.0));
        let empty = f1_estimate(0, 0, 0, 0);
        assert_eq!((empty.low, empty.high), (0.0, 1.0));
    }
}
