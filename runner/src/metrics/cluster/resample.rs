//! The resampling itself: resample `b`'s cluster draws and the percentile intervals of
//! whatever the caller computes from the weights.

use super::{Interval, Resampling};
use crate::metrics::bootstrap::{percentile, splitmix64, Xoshiro};
use rayon::prelude::*;

/// Fills `mult` (one entry per cluster) with resample `b`'s multiplicities.
pub(super) fn draw(seed: u64, b: u32, mult: &mut [u32]) {
    mult.fill(0);
    let k = mult.len() as u64;
    if k == 0 {
        return;
    }
    // The F1 bootstrap's seeding (bootstrap.rs, `Xoshiro::for_resample`), with the
    // caller's seed in place of its fixed one.
    let mut sm = seed ^ u64::from(b).wrapping_mul(0xd1b5_4a32_d192_ed03);
    let mut rng = Xoshiro([
        splitmix64(&mut sm),
        splitmix64(&mut sm),
        splitmix64(&mut sm),
        splitmix64(&mut sm),
    ]);
    for _ in 0..k {
        // INVARIANT: below(k) < k = mult.len().
        mult[rng.below(k) as usize] += 1;
    }
}

/// Evaluates `eval` on the observed data (every weight 1) and on every resample, and
/// turns each position of its rows into an interval.
pub(super) fn run<F>(clusters: u32, resampling: Resampling, eval: F) -> Vec<Option<Interval>>
where
    F: Fn(&[u32], &mut Vec<u64>) -> Vec<Option<f64>> + Sync,
{
    let (observed, samples) = samples(clusters, resampling, eval);
    observed
        .iter()
        .zip(&samples)
        .map(|(value, v)| interval(*value, v, resampling))
        .collect()
}

/// The percentile interval of one position: its observed value and its resampled values
/// in ascending order; none when either is missing.
pub(super) fn interval(
    value: Option<f64>,
    sorted: &[f64],
    resampling: Resampling,
) -> Option<Interval> {
    let value = value?;
    if sorted.is_empty() {
        return None;
    }
    Some(Interval {
        value,
        low: percentile(sorted, 0.025),
        high: percentile(sorted, 0.975),
        resamples: resampling.resamples,
        used: u32::try_from(sorted.len()).unwrap_or(u32::MAX),
    })
}

/// Evaluates `eval` on the observed data and on every resample: the observed row, and
/// per position the resampled values where defined, in ascending order.
pub(super) fn samples<F>(
    clusters: u32,
    resampling: Resampling,
    eval: F,
) -> (Vec<Option<f64>>, Vec<Vec<f64>>)
where
    F: Fn(&[u32], &mut Vec<u64>) -> Vec<Option<f64>> + Sync,
{
    let observed = eval(&vec![1; clusters as usize], &mut Vec::new());
    let rows: Vec<Vec<Option<f64>>> = (0..resampling.resamples)
        .into_par_iter()
        .map_init(
            || (vec![0u32; clusters as usize], Vec::new()),
            |(mult, scratch), b| {
                draw(resampling.seed, b, mult);
                eval(mult, scratch)
            },
        )
        .collect();
    let sorted = (0..observed.len())
        .map(|s| {
            let mut v: Vec<f64> = rows.iter().filter_map(|row| row[s]).collect();
            v.sort_by(f64::total_cmp);
            v
        })
        .collect();
    (observed, sorted)
}
