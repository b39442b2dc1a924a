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
    observed
        .iter()
        .enumerate()
        .map(|(s, value)| {
            let value = (*value)?;
            let mut v: Vec<f64> = rows.iter().filter_map(|row| row[s]).collect();
            if v.is_empty() {
                return None;
            }
            v.sort_by(f64::total_cmp);
            Some(Interval {
                value,
                low: percentile(&v, 0.025),
                high: percentile(&v, 0.975),
                resamples: resampling.resamples,
                used: u32::try_from(v.len()).unwrap_or(u32::MAX),
            })
        })
        .collect()
}
