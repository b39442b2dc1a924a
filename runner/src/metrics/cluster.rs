//! The patient-clustered percentile bootstrap: 95% intervals of sensitivity,
//! specificity and ROC AUC when a patient (a cluster) contributes several units
//! (studies), for one finding, for the macro average over findings, and for the paired
//! difference between two models.
//!
//! Units of one patient are correlated, so intervals that treat them as independent are
//! too narrow. A resample draws K clusters with replacement out of the K clusters and
//! keeps each drawn cluster's units whole (the cluster bootstrap for hierarchical data:
//! A. C. Davison, D. V. Hinkley, "Bootstrap Methods and their Application", Cambridge
//! University Press 1997, section 3.8; C. A. Field, A. H. Welsh, "Bootstrapping
//! clustered data", JRSS B 69(3):369-390, 2007); each unit then weighs its cluster's
//! multiplicity, and every statistic is computed from the weighted units. The interval
//! is the 2.5th and 97.5th percentile of the resampled statistics (linear
//! interpolation, as numpy's default `percentile`).
//!
//! Reproducible and coherent:
//! - resample `b` has its own generator, xoshiro256** seeded by SplitMix64 from
//!   ([`Resampling::seed`], `b`) as the F1 bootstrap's, and draws a cluster index below
//!   K by Lemire's unbiased multiply-and-reject; so the draws are a function of (seed,
//!   `b`, K) only ([`multiplicities`]), the same in parallel and in turn, on every
//!   machine, and the same for every finding and both models of a comparison. A macro
//!   average and a paired difference are therefore computed on one set of resampled
//!   patients.
//! - a resample in which a statistic is undefined (no weighted positive for the
//!   sensitivity or the AUC, no weighted negative for the specificity or the AUC) is
//!   skipped for that statistic only; [`Interval::used`] says how many resamples the
//!   interval rests on. No interval holds a NaN.
//! - a macro average is undefined in a resample where one of its findings is; a paired
//!   difference where either model's statistic is.
//!
//! Cost: each finding's units are sorted by score once; a resample only changes the
//! weights, so its AUC is one pass over the sorted units with integer sums (exact), and
//! sensitivity and specificity are weighted sums of per-cluster counts.

mod prepared;
mod resample;
pub mod subgroups;

use prepared::Prepared;
use resample::{draw, run};
use serde::{Deserialize, Serialize};

/// Resamples unless the caller says otherwise.
pub const DEFAULT_RESAMPLES: u32 = 2000;
/// The seed unless the caller says otherwise ("clicClus" in ASCII).
pub const DEFAULT_SEED: u64 = 0x636c_6963_436c_7573;
/// The most clusters a call accepts (each worker thread keeps one count per cluster).
pub const MAX_CLUSTERS: u32 = 1 << 24;
/// The method name to record beside an interval of this module.
pub const METHOD: &str = "cluster-bootstrap-percentile";

/// How many resamples and from which seed: both are part of the evidence, since the
/// bounds depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resampling {
    /// Bootstrap resamples drawn (the default is [`DEFAULT_RESAMPLES`], 2000).
    pub resamples: u32,
    /// Seed of every resample's generator (the default is [`DEFAULT_SEED`]).
    pub seed: u64,
}

impl Default for Resampling {
    fn default() -> Self {
        Resampling {
            resamples: DEFAULT_RESAMPLES,
            seed: DEFAULT_SEED,
        }
    }
}

/// One unit (a study) of one finding, scored by one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// The cluster (patient) the unit belongs to, in `0..K`.
    pub cluster: u32,
    /// Reference standard: `true` when the finding is present.
    pub label: bool,
    /// The model's score; higher means more likely present.
    pub score: f64,
}

/// One unit (a study) of one finding, scored by two models.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedUnit {
    /// The cluster (patient) the unit belongs to, in `0..K`.
    pub cluster: u32,
    /// Reference standard: `true` when the finding is present.
    pub label: bool,
    /// The candidate model's score (the differences are candidate − reference).
    pub candidate: f64,
    /// The reference (comparator) model's score.
    pub reference: f64,
}

/// An operating point: a unit is called positive when its score is `>= threshold`
/// (`inclusive`) or `> threshold` (not `inclusive`), as in [`super::compute`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Operating {
    /// The threshold.
    pub threshold: f64,
    /// Whether a score equal to the threshold is called positive.
    pub inclusive: bool,
}

/// One finding's units with its operating point.
#[derive(Debug, Clone, Copy)]
pub struct Finding<'a> {
    /// The finding's units (a unit of a study not read for this finding is left out).
    pub units: &'a [Unit],
    /// The operating point of the sensitivity and specificity.
    pub operating: Operating,
}

/// One finding's units scored by two models, with each model's operating point.
#[derive(Debug, Clone, Copy)]
pub struct PairedFinding<'a> {
    /// The finding's units.
    pub units: &'a [PairedUnit],
    /// The candidate model's operating point.
    pub candidate: Operating,
    /// The reference model's operating point.
    pub reference: Operating,
}

/// A statistic on the observed units with its clustered percentile bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The statistic on the observed units (every cluster once).
    pub value: f64,
    /// The 2.5th percentile of the resampled statistics.
    pub low: f64,
    /// The 97.5th percentile of the resampled statistics.
    pub high: f64,
    /// Resamples drawn.
    pub resamples: u32,
    /// Resamples in which the statistic was defined, on which the bounds rest
    /// (`1..=resamples`).
    pub used: u32,
}

/// Sensitivity, specificity and ROC AUC (ties count 1/2), each with its interval; `None`
/// where the statistic is undefined on the observed units (a class absent) or in every
/// resample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Intervals {
    /// True positives / positives at the operating point.
    pub sensitivity: Option<Interval>,
    /// True negatives / negatives at the operating point.
    pub specificity: Option<Interval>,
    /// ROC AUC: the probability that a positive outscores a negative, ties 1/2.
    pub auc: Option<Interval>,
}

/// Every finding's intervals and their macro average, from one set of resamples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingsIntervals {
    /// One entry per finding, in the input order.
    pub findings: Vec<Intervals>,
    /// The unweighted mean over findings of each statistic, with its interval.
    pub macro_average: Intervals,
    /// Clusters (K) resampled.
    pub clusters: u32,
    /// The resampling used.
    pub resampling: Resampling,
}

/// Two models on the same units: each model's intervals and the differences.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedIntervals {
    /// The candidate model's statistics.
    pub candidate: Intervals,
    /// The reference model's statistics.
    pub reference: Intervals,
    /// Sensitivity of the candidate − sensitivity of the reference.
    pub delta_sensitivity: Option<Interval>,
    /// Specificity of the candidate − specificity of the reference.
    pub delta_specificity: Option<Interval>,
    /// AUC of the candidate − AUC of the reference.
    pub delta_auc: Option<Interval>,
}

/// Every finding's paired intervals and the macro averages, from one set of resamples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedFindingsIntervals {
    /// One entry per finding, in the input order.
    pub findings: Vec<PairedIntervals>,
    /// Macro averages over findings: each model's, and their difference (the
    /// candidate's macro average − the reference's).
    pub macro_average: PairedIntervals,
    /// Clusters (K) resampled.
    pub clusters: u32,
    /// The resampling used.
    pub resampling: Resampling,
}

/// Why a clustered bootstrap refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClusterError {
    /// K is 0: there is no cluster to draw.
    #[error("there are no clusters to resample")]
    NoClusters,
    /// K is past [`MAX_CLUSTERS`].
    #[error("{clusters} clusters is more than the {MAX_CLUSTERS} a bootstrap accepts")]
    TooManyClusters {
        /// The K given.
        clusters: u32,
    },
    /// No resample was asked for.
    #[error("the bootstrap needs at least one resample")]
    NoResamples,
    /// No finding was given.
    #[error("no findings were given")]
    NoFindings,
    /// A unit names a cluster outside `0..K`.
    #[error("finding {finding}, unit {index}: cluster {cluster} is not below {clusters}")]
    ClusterOutOfRange {
        /// Position of the finding in the input.
        finding: usize,
        /// Position of the unit in the finding.
        index: usize,
        /// The cluster it names.
        cluster: u32,
        /// K.
        clusters: u32,
    },
    /// A score is NaN or infinite.
    #[error("finding {finding}, unit {index}: score {score} is not a finite number")]
    NonFiniteScore {
        /// Position of the finding in the input.
        finding: usize,
        /// Position of the unit in the finding.
        index: usize,
        /// The offending score.
        score: f64,
    },
    /// A threshold is NaN or infinite.
    #[error("finding {finding}: threshold {threshold} is not a finite number")]
    NonFiniteThreshold {
        /// Position of the finding in the input.
        finding: usize,
        /// The offending threshold.
        threshold: f64,
    },
}

/// One finding's intervals: a unit's cluster is in `0..clusters`.
pub fn intervals(
    units: &[Unit],
    clusters: u32,
    operating: Operating,
    resampling: Resampling,
) -> Result<Intervals, ClusterError> {
    let all = findings_intervals(&[Finding { units, operating }], clusters, resampling)?;
    Ok(all.findings[0])
}

/// Every finding's intervals and their macro average, all from the same resampled
/// clusters. Every unit's cluster is in `0..clusters`; K should count the patients that
/// own at least one unit (a cluster without units is drawn like the others but
/// weighs nothing, which makes the resamples' sizes vary more than the data's).
pub fn findings_intervals(
    findings: &[Finding<'_>],
    clusters: u32,
    resampling: Resampling,
) -> Result<FindingsIntervals, ClusterError> {
    check_design(findings.len(), clusters, resampling)?;
    let mut models = Vec::with_capacity(findings.len());
    for (f, finding) in findings.iter().enumerate() {
        check_threshold(f, finding.operating)?;
        for (index, u) in finding.units.iter().enumerate() {
            check_unit(f, index, u.cluster, u.score, clusters)?;
        }
        models.push(Prepared::new(
            finding.units.iter().map(|u| (u.cluster, u.label, u.score)),
            finding.operating,
        ));
    }
    let nf = models.len();
    let eval = |mult: &[u32], scratch: &mut Vec<u64>| {
        let mut row: Vec<Option<f64>> = Vec::with_capacity(3 * nf + 3);
        for m in &models {
            row.extend(m.statistics(mult, scratch));
        }
        for s in 0..3 {
            let m = mean((0..nf).map(|f| row[3 * f + s]));
            row.push(m);
        }
        row
    };
    let ivs = run(clusters, resampling, eval);
    let triple = |i: usize| Intervals {
        sensitivity: ivs[i],
        specificity: ivs[i + 1],
        auc: ivs[i + 2],
    };
    Ok(FindingsIntervals {
        findings: (0..nf).map(|f| triple(3 * f)).collect(),
        macro_average: triple(3 * nf),
        clusters,
        resampling,
    })
}

/// One finding's paired intervals (candidate − reference), both models on the same
/// resampled clusters.
pub fn paired_intervals(
    units: &[PairedUnit],
    clusters: u32,
    candidate: Operating,
    reference: Operating,
    resampling: Resampling,
) -> Result<PairedIntervals, ClusterError> {
    let finding = PairedFinding {
        units,
        candidate,
        reference,
    };
    let all = paired_findings_intervals(&[finding], clusters, resampling)?;
    Ok(all.findings[0])
}

/// Every finding's paired intervals and the macro averages, all from the same
/// resampled clusters (see [`findings_intervals`] for K).
pub fn paired_findings_intervals(
    findings: &[PairedFinding<'_>],
    clusters: u32,
    resampling: Resampling,
) -> Result<PairedFindingsIntervals, ClusterError> {
    check_design(findings.len(), clusters, resampling)?;
    let mut models = Vec::with_capacity(2 * findings.len());
    for (f, finding) in findings.iter().enumerate() {
        check_threshold(f, finding.candidate)?;
        check_threshold(f, finding.reference)?;
        for (index, u) in finding.units.iter().enumerate() {
            check_unit(f, index, u.cluster, u.candidate, clusters)?;
            check_unit(f, index, u.cluster, u.reference, clusters)?;
        }
        let units = finding.units;
        models.push(Prepared::new(
            units.iter().map(|u| (u.cluster, u.label, u.candidate)),
            finding.candidate,
        ));
        models.push(Prepared::new(
            units.iter().map(|u| (u.cluster, u.label, u.reference)),
            finding.reference,
        ));
    }
    let nf = findings.len();
    // A row holds, per finding, the candidate's 3 statistics, the reference's 3 and the
    // 3 differences; then the same 9 for the macro averages.
    let eval = |mult: &[u32], scratch: &mut Vec<u64>| {
        let mut row: Vec<Option<f64>> = Vec::with_capacity(9 * nf + 9);
        for pair in models.chunks(2) {
            let c = pair[0].statistics(mult, scratch);
            let r = pair[1].statistics(mult, scratch);
            row.extend(c);
            row.extend(r);
            row.extend((0..3).map(|s| delta(c[s], r[s])));
        }
        let cand: Vec<Option<f64>> = (0..3)
            .map(|s| mean((0..nf).map(|f| row[9 * f + s])))
            .collect();
        let refr: Vec<Option<f64>> = (0..3)
            .map(|s| mean((0..nf).map(|f| row[9 * f + 3 + s])))
            .collect();
        row.extend(&cand);
        row.extend(&refr);
        row.extend((0..3).map(|s| delta(cand[s], refr[s])));
        row
    };
    let ivs = run(clusters, resampling, eval);
    let triple = |i: usize| Intervals {
        sensitivity: ivs[i],
        specificity: ivs[i + 1],
        auc: ivs[i + 2],
    };
    let paired = |i: usize| PairedIntervals {
        candidate: triple(i),
        reference: triple(i + 3),
        delta_sensitivity: ivs[i + 6],
        delta_specificity: ivs[i + 7],
        delta_auc: ivs[i + 8],
    };
    Ok(PairedFindingsIntervals {
        findings: (0..nf).map(|f| paired(9 * f)).collect(),
        macro_average: paired(9 * nf),
        clusters,
        resampling,
    })
}

/// How many times resample `b` draws each of `clusters` clusters (they sum to
/// `clusters`); empty when `clusters` is 0. This is the whole of the randomness: every
/// interval of this module weighs a unit by its cluster's entry here.
pub fn multiplicities(seed: u64, b: u32, clusters: u32) -> Vec<u32> {
    let mut mult = vec![0; clusters as usize];
    draw(seed, b, &mut mult);
    mult
}

/// The mean of the statistics, or `None` when there are none or one is undefined.
fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u32);
    for v in values {
        sum += v?;
        n += 1;
    }
    (n > 0).then(|| sum / f64::from(n))
}

fn delta(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

fn check_design(findings: usize, clusters: u32, r: Resampling) -> Result<(), ClusterError> {
    if findings == 0 {
        return Err(ClusterError::NoFindings);
    }
    if clusters == 0 {
        return Err(ClusterError::NoClusters);
    }
    if clusters > MAX_CLUSTERS {
        return Err(ClusterError::TooManyClusters { clusters });
    }
    if r.resamples == 0 {
        return Err(ClusterError::NoResamples);
    }
    Ok(())
}

fn check_threshold(finding: usize, op: Operating) -> Result<(), ClusterError> {
    if op.threshold.is_finite() {
        Ok(())
    } else {
        Err(ClusterError::NonFiniteThreshold {
            finding,
            threshold: op.threshold,
        })
    }
}

fn check_unit(
    finding: usize,
    index: usize,
    cluster: u32,
    score: f64,
    clusters: u32,
) -> Result<(), ClusterError> {
    if cluster >= clusters {
        return Err(ClusterError::ClusterOutOfRange {
            finding,
            index,
            cluster,
            clusters,
        });
    }
    if !score.is_finite() {
        return Err(ClusterError::NonFiniteScore {
            finding,
            index,
            score,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
