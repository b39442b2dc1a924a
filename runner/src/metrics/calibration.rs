//! Calibration: the Brier score, and the expected calibration error over 10 equal-width
//! bins of the score on 0..1 (bin `min(floor(10 * score), 9)`, so 1.0 falls in the last
//! bin; scores below 0 fall in the first), each bin weighted by its share of the cases,
//! with a seeded basic bootstrap interval.
//!
//! The interval is the basic (reverse percentile) bootstrap interval of A. C. Davison and
//! D. V. Hinkley, "Bootstrap Methods and their Application" (1997), eq. 5.6:
//! (2·ECE − q97.5, 2·ECE − q2.5), cut to 0..1, where q are the 2.5th and 97.5th
//! percentiles (linear interpolation, numpy's default) of the ECE over [`RESAMPLES`]
//! resamples. Resample `b` draws n cases with replacement from the cases in their sorted
//! order (score, then label: so the draws do not depend on input order), each draw
//! `below(n)` of its own generator (xoshiro256** seeded by SplitMix64 from [`SEED`] and
//! `b`, as the F1 bootstrap's), sums each bin's count, score and positives in the order
//! drawn, and computes the resample's ECE as the point estimate is computed.
//! `runner/tests/data/metrics/make_ece_bootstrap.py` reproduces it in Python.
//!
//! Why not the percentile interval (as the F1's): the plug-in ECE is biased upward (noise
//! alone makes a bin look miscalibrated), and its resampled values more so, so the
//! percentile interval sits above the population ECE when that is small. Measured by that
//! script (scores uniform, P(positive | score) = score^power, 300 samples of 300 cases): at
//! a population ECE of 0.035 the percentile interval held it in 0% of samples, the basic
//! one in 92%; at 0.115, 93% and 88%. The basic interval reflects the bias, so it may lie
//! below the point estimate; at a population ECE of 0 (perfect calibration) it
//! holds 0 about half the time (a separate numpy simulation).

use super::bootstrap::{percentile, Xoshiro, RESAMPLES};
use super::{CalibrationBin, Estimate, Scored};
use rayon::prelude::*;

/// Number of equal-width bins.
const BINS: usize = 10;

/// The fixed seed of the ECE bootstrap ("clicECEb" in ASCII).
pub(super) const SEED: u64 = 0x636c_6963_4543_4562;

/// The method of the ECE's interval, as its `ci95.method` reads.
pub(super) const METHOD: &str = "bootstrap-basic";

/// Mean of (score - label)²; 0 with no cases.
pub(super) fn brier(sorted: &[Scored]) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let sum: f64 = sorted
        .iter()
        .map(|c| {
            let d = c.score - f64::from(u8::from(c.label));
            d * d
        })
        .sum();
    sum / sorted.len() as f64
}

/// The bin a score falls in.
fn bin_of(score: f64) -> usize {
    // `as` saturates: negative scores and NaN go to bin 0.
    ((score * BINS as f64).floor() as usize).min(BINS - 1)
}

/// The non-empty bins, lowest first, and the ECE: Σ (n_b / n) · |observed_b - mean_b|.
/// The ECE is 0 with no cases.
pub(super) fn bins(sorted: &[Scored]) -> (Vec<CalibrationBin>, f64) {
    let mut count = [0u64; BINS];
    let mut score_sum = [0.0f64; BINS];
    let mut pos = [0u64; BINS];
    for c in sorted {
        let b = bin_of(c.score);
        count[b] += 1;
        score_sum[b] += c.score;
        pos[b] += u64::from(c.label);
    }
    let total = sorted.len() as f64;
    let mut out = Vec::new();
    let mut ece = 0.0;
    for b in 0..BINS {
        if count[b] == 0 {
            continue;
        }
        let n = count[b] as f64;
        let mean_score = score_sum[b] / n;
        let observed_rate = pos[b] as f64 / n;
        ece += n / total * (observed_rate - mean_score).abs();
        out.push(CalibrationBin {
            lower: b as f64 / BINS as f64,
            upper: (b + 1) as f64 / BINS as f64,
            n: count[b],
            mean_score,
            observed_rate,
        });
    }
    (out, ece)
}

/// Σ (n_b / n) · |positives_b / n_b - score_sum_b / n_b| over the non-empty bins.
fn ece_of(count: &[u64; BINS], score_sum: &[f64; BINS], pos: &[u64; BINS], total: f64) -> f64 {
    let mut ece = 0.0;
    for b in 0..BINS {
        if count[b] == 0 {
            continue;
        }
        let n = count[b] as f64;
        ece += n / total * (pos[b] as f64 / n - score_sum[b] / n).abs();
    }
    ece
}

/// The ECE `ece` of the sorted cases with its basic bootstrap interval (module doc).
/// With no cases: value 0, (0, 1).
pub(super) fn ece_estimate(sorted: &[Scored], ece: f64) -> Estimate {
    let n = sorted.len() as u64;
    if n == 0 {
        return Estimate {
            value: ece,
            n,
            successes: None,
            low: 0.0,
            high: 1.0,
            method: format!("{METHOD} (no cases)"),
        };
    }
    let cases: Vec<(usize, f64, u64)> = sorted
        .iter()
        .map(|c| (bin_of(c.score), c.score, u64::from(c.label)))
        .collect();
    let total = sorted.len() as f64;
    let mut eces: Vec<f64> = (0..RESAMPLES)
        .into_par_iter()
        .map(|b| {
            let mut rng = Xoshiro::seeded(SEED, b as u64);
            let mut count = [0u64; BINS];
            let mut score_sum = [0.0f64; BINS];
            let mut pos = [0u64; BINS];
            for _ in 0..n {
                // `below(n)` is under n = cases.len(), so the index is in range.
                let (bin, score, label) = cases[rng.below(n) as usize];
                count[bin] += 1;
                score_sum[bin] += score;
                pos[bin] += label;
            }
            ece_of(&count, &score_sum, &pos, total)
        })
        .collect();
    eces.sort_by(f64::total_cmp);
    let cut = |x: f64| x.clamp(0.0, 1.0);
    Estimate {
        value: ece,
        n,
        successes: None,
        low: cut(2.0 * ece - percentile(&eces, 0.975)),
        high: cut(2.0 * ece - percentile(&eces, 0.025)),
        method: METHOD.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ece_interval_is_seeded_and_reflects_the_resamples() {
        let c: Vec<Scored> = (0..200u32)
            .map(|i| Scored {
                label: i % 3 == 0,
                score: f64::from((i * 37) % 101) / 100.0,
            })
            .collect();
        let mut sorted = c.clone();
        sorted.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.label.cmp(&b.label)));
        let (_, ece) = bins(&sorted);
        let a = ece_estimate(&sorted, ece);
        assert_eq!(a, ece_estimate(&sorted, ece));
        assert_eq!((a.value, a.n, a.method.as_str()), (ece, 200, METHOD));
        assert!(0.0 <= a.low && a.low < a.high && a.high <= 1.0, "{a:?}");
        // Another seed draws other resamples: the bounds move, a little.
        assert_ne!(Xoshiro::seeded(SEED, 0).0, Xoshiro::seeded(SEED ^ 1, 0).0);
        let empty = ece_estimate(&[], 0.0);
        assert_eq!((empty.low, empty.high), (0.0, 1.0));
    }

    #[test]
    fn bin_edges() {
        assert_eq!(bin_of(0.0), 0);
        assert_eq!(bin_of(0.0999), 0);
        assert_eq!(bin_of(0.1), 1);
        assert_eq!(bin_of(0.3), 3);
        assert_eq!(bin_of(0.9), 9);
        assert_eq!(bin_of(1.0), 9);
        assert_eq!(bin_of(-0.2), 0);
        assert_eq!(bin_of(f64::NAN), 0);
    }

    #[test]
    fn one_bin_then_a_calibrated_one() {
        let c: Vec<Scored> = [(true, 0.25), (false, 0.25), (true, 0.25), (false, 0.25)]
            .iter()
            .map(|&(label, score)| Scored { label, score })
            .collect();
        let (b, ece) = bins(&c);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].lower, b[0].upper, b[0].n), (0.2, 0.3, 4));
        assert!((ece - 0.25).abs() < 1e-15, "{ece}");
        assert!((brier(&c) - 0.3125).abs() < 1e-15);
        let c = [
            Scored {
                label: true,
                score: 0.5,
            },
            Scored {
                label: false,
                score: 0.5,
            },
        ];
        assert_eq!(bins(&c).1, 0.0);
        assert_eq!(brier(&c), 0.25);
    }
}
