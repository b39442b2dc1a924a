//! One finding scored by one model, prepared once so that each resample, which only
//! changes the clusters' weights, costs one pass over the units and no sort.

use super::Operating;

/// A cluster's units of the finding, by cell of the 2x2 table.
struct ClusterCounts {
    cluster: u32,
    positives: u32,
    true_positives: u32,
    negatives: u32,
    true_negatives: u32,
}

/// A positive unit, with where its score falls among the negatives' sorted scores.
struct Positive {
    cluster: u32,
    /// Negatives scoring strictly below it.
    below: u32,
    /// Negatives scoring below it or tied with it.
    at_or_below: u32,
}

/// A finding's units, ready for weighted statistics.
pub(super) struct Prepared {
    /// One entry per cluster that owns units of the finding, by cluster.
    counts: Vec<ClusterCounts>,
    /// The negatives' clusters, by ascending score.
    negatives: Vec<u32>,
    /// The positives, by ascending score.
    positives: Vec<Positive>,
}

impl Prepared {
    /// Prepares (cluster, label, score) units at `op`. Scores are finite (checked by the
    /// caller), so `<` orders them and -0.0 ties with 0.0, as in `rank.rs`.
    pub(super) fn new(units: impl Iterator<Item = (u32, bool, f64)>, op: Operating) -> Self {
        let called = |s: f64| {
            if op.inclusive {
                s >= op.threshold
            } else {
                s > op.threshold
            }
        };
        let mut cells: Vec<(u32, bool, bool)> = Vec::new();
        let mut neg: Vec<(f64, u32)> = Vec::new();
        let mut pos: Vec<(f64, u32)> = Vec::new();
        for (cluster, label, score) in units {
            cells.push((cluster, label, called(score)));
            if label {
                pos.push((score, cluster));
            } else {
                neg.push((score, cluster));
            }
        }
        cells.sort_unstable_by_key(|c| c.0);
        let mut counts: Vec<ClusterCounts> = Vec::new();
        for (cluster, label, call) in cells {
            if counts.last().is_none_or(|c| c.cluster != cluster) {
                counts.push(ClusterCounts {
                    cluster,
                    positives: 0,
                    true_positives: 0,
                    negatives: 0,
                    true_negatives: 0,
                });
            }
            if let Some(c) = counts.last_mut() {
                if label {
                    c.positives += 1;
                    c.true_positives += u32::from(call);
                } else {
                    c.negatives += 1;
                    c.true_negatives += u32::from(!call);
                }
            }
        }
        let by_score = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        neg.sort_by(by_score);
        pos.sort_by(by_score);
        // INVARIANT: a finding has fewer than 2^32 units (each takes 16 bytes or more).
        let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        let positives = pos
            .iter()
            .map(|&(s, cluster)| Positive {
                cluster,
                below: index(neg.partition_point(|n| n.0 < s)),
                at_or_below: index(neg.partition_point(|n| n.0 <= s)),
            })
            .collect();
        Prepared {
            counts,
            negatives: neg.into_iter().map(|(_, c)| c).collect(),
            positives,
        }
    }

    /// Sensitivity, specificity and AUC with each unit weighing `mult[its cluster]`;
    /// `None` where the weighted class it needs is empty. `scratch` is reused between
    /// calls. Every sum is of integers, so the result is exact up to the final division.
    pub(super) fn statistics(&self, mult: &[u32], scratch: &mut Vec<u64>) -> [Option<f64>; 3] {
        let c = self.cells(mult);
        [ratio(c.tp, c.p), ratio(c.tn, c.n), self.auc(mult, scratch)]
    }

    /// The weighted 2x2 table: positives, true positives, negatives, true negatives,
    /// each unit weighing `mult[its cluster]`.
    pub(super) fn cells(&self, mult: &[u32]) -> Cells {
        let mut out = Cells::default();
        for c in &self.counts {
            let w = u64::from(mult[c.cluster as usize]);
            out.p += w * u64::from(c.positives);
            out.tp += w * u64::from(c.true_positives);
            out.n += w * u64::from(c.negatives);
            out.tn += w * u64::from(c.true_negatives);
        }
        out
    }

    /// The weighted AUC: sum over positives of weight × (weighted negatives below + 1/2
    /// weighted negatives tied), over (weighted positives × weighted negatives). With
    /// `prefix[j]` the weight of the `j` lowest negatives, twice a positive's share is
    /// `prefix[below] + prefix[at_or_below]`.
    fn auc(&self, mult: &[u32], prefix: &mut Vec<u64>) -> Option<f64> {
        prefix.clear();
        prefix.reserve(self.negatives.len() + 1);
        let mut acc = 0u64;
        prefix.push(0);
        for &c in &self.negatives {
            acc += u64::from(mult[c as usize]);
            prefix.push(acc);
        }
        let wn = acc;
        let (mut wp, mut twice) = (0u64, 0u128);
        for p in &self.positives {
            let w = u64::from(mult[p.cluster as usize]);
            wp += w;
            let share = prefix[p.below as usize] + prefix[p.at_or_below as usize];
            twice += u128::from(w) * u128::from(share);
        }
        if wp == 0 || wn == 0 {
            return None;
        }
        Some(twice as f64 / (2 * u128::from(wp) * u128::from(wn)) as f64)
    }
}

/// A weighted 2x2 table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Cells {
    /// Weighted positives.
    pub p: u64,
    /// Weighted true positives.
    pub tp: u64,
    /// Weighted negatives.
    pub n: u64,
    /// Weighted true negatives.
    pub tn: u64,
}

pub(super) fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}
