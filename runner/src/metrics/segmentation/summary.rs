//! Summaries of a structure's metrics over cases: the mean with a patient-clustered
//! percentile bootstrap 95% interval, the quartiles, the range and n.

use super::{named, CaseMetrics, Ci95, Emptiness};
use crate::metrics::bootstrap::percentile;
use crate::metrics::cluster::{multiplicities, Resampling, METHOD};
use clic_compiler::plan::Value;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A metric over cases: the mean with its interval, the quartiles, the range and n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Mean over the cases.
    pub mean: f64,
    /// Median (linear interpolation).
    pub median: f64,
    /// First quartile (linear interpolation, numpy's default).
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Cases summarised.
    pub n: u64,
    /// Patients (clusters) among them.
    pub clusters: u32,
    /// The mean's patient-clustered percentile bootstrap 95% interval.
    pub ci95: Ci95,
}

impl Summary {
    /// The summary as the clic `Summary` record {`mean`, `median`, `q1`, `q3`, `min`,
    /// `max`, `n`, `ci95`} of the shared design.
    pub fn fact_value(&self) -> Value {
        Value::Record(named([
            ("mean", Value::Number(self.mean)),
            ("median", Value::Number(self.median)),
            ("q1", Value::Number(self.q1)),
            ("q3", Value::Number(self.q3)),
            ("min", Value::Number(self.min)),
            ("max", Value::Number(self.max)),
            ("n", Value::Number(self.n as f64)),
            ("ci95", self.ci95.fact_value()),
        ]))
    }
}

/// Why a summary refused its values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SummaryError {
    /// A value is NaN or infinite.
    #[error("case {index}: value {value} is not a finite number")]
    NonFinite {
        /// Position of the case in the input.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// No resample was asked for.
    #[error("the bootstrap needs at least one resample")]
    NoResamples,
}

/// The summary of `(cluster, value)` cases (`cluster` names the patient; any u32);
/// `None` when there is no case. The bootstrap draws the clusters present, each with
/// all its cases, and takes the mean of the drawn cases.
pub fn summarize(
    cases: &[(u32, f64)],
    resampling: Resampling,
) -> Result<Option<Summary>, SummaryError> {
    if resampling.resamples == 0 {
        return Err(SummaryError::NoResamples);
    }
    if let Some((index, &(_, value))) = cases.iter().enumerate().find(|(_, c)| !c.1.is_finite()) {
        return Err(SummaryError::NonFinite { index, value });
    }
    if cases.is_empty() {
        return Ok(None);
    }
    let (sums, counts) = per_cluster(cases.iter().map(|&(c, v)| (c, v)));
    let k = sums.len() as u32;
    let mut sorted: Vec<f64> = cases.iter().map(|c| c.1).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let means = resampled(resampling, k, |mult| {
        let (mut s, mut c) = (0.0, 0u64);
        for ((&m, &sum), &cnt) in mult.iter().zip(&sums).zip(&counts) {
            s += f64::from(m) * sum;
            c += u64::from(m) * cnt;
        }
        s / c as f64
    });
    Ok(Some(Summary {
        mean,
        median: percentile(&sorted, 0.5),
        q1: percentile(&sorted, 0.25),
        q3: percentile(&sorted, 0.75),
        min: sorted[0],
        max: sorted[n - 1],
        n: n as u64,
        clusters: k,
        ci95: Ci95 {
            low: percentile(&means, 0.025),
            high: percentile(&means, 0.975),
            method: METHOD.to_string(),
        },
    }))
}

/// Per cluster (renumbered `0..K` in ascending id order), the sum of values and the
/// number of cases.
pub(crate) fn per_cluster(cases: impl Iterator<Item = (u32, f64)>) -> (Vec<f64>, Vec<u64>) {
    let mut by: BTreeMap<u32, (f64, u64)> = BTreeMap::new();
    for (c, v) in cases {
        let e = by.entry(c).or_insert((0.0, 0));
        e.0 += v;
        e.1 += 1;
    }
    by.values().map(|&(s, n)| (s, n)).unzip()
}

/// The statistic on each resample of `k` clusters (every cluster here has a case, so
/// every resample does), ascending.
pub(crate) fn resampled<F>(resampling: Resampling, k: u32, stat: F) -> Vec<f64>
where
    F: Fn(&[u32]) -> f64 + Sync,
{
    let mut v: Vec<f64> = (0..resampling.resamples)
        .into_par_iter()
        .map(|b| stat(&multiplicities(resampling.seed, b, k)))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// One structure's metrics over cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureSummary {
    /// Cases compared.
    pub cases: u64,
    /// Cases with both masks empty (true negatives).
    pub empty_both: u64,
    /// Cases with an empty reference and a non-empty prediction.
    pub empty_reference: u64,
    /// Cases with an empty prediction and a non-empty reference.
    pub empty_prediction: u64,
    /// Dice over the cases that define it; `None` when none does.
    pub dice: Option<Summary>,
    /// IoU.
    pub iou: Option<Summary>,
    /// NSD at [`StructureSummary::nsd_tolerance_mm`].
    pub nsd: Option<Summary>,
    /// HD95, mm.
    pub hd95: Option<Summary>,
    /// ASSD, mm.
    pub assd: Option<Summary>,
    /// Absolute relative volume difference (a fraction).
    pub rvd: Option<Summary>,
    /// The NSD tolerance of the cases, mm (the first case's; 0 with no case).
    pub nsd_tolerance_mm: f64,
}

impl StructureSummary {
    /// The fields of the clic `Structure` record this module fills: `cases`,
    /// `empty_both`, `empty_reference`, `empty_prediction`, `dice`, `iou`, `nsd`, `hd95`,
    /// `assd`, `rvd` (each a `Summary` record, or null when no case defines it) and
    /// `nsd_tolerance_mm`; the caller adds `name`, `volume` and `claims`.
    pub fn fact_fields(&self) -> BTreeMap<String, Value> {
        let summary = |s: &Option<Summary>| s.as_ref().map_or(Value::Null, Summary::fact_value);
        named([
            ("cases", Value::Number(self.cases as f64)),
            ("empty_both", Value::Number(self.empty_both as f64)),
            (
                "empty_reference",
                Value::Number(self.empty_reference as f64),
            ),
            (
                "empty_prediction",
                Value::Number(self.empty_prediction as f64),
            ),
            ("dice", summary(&self.dice)),
            ("iou", summary(&self.iou)),
            ("nsd", summary(&self.nsd)),
            ("hd95", summary(&self.hd95)),
            ("assd", summary(&self.assd)),
            ("rvd", summary(&self.rvd)),
            ("nsd_tolerance_mm", Value::Number(self.nsd_tolerance_mm)),
        ])
    }
}

/// The summaries of one structure's `(cluster, metrics)` cases.
pub fn summarize_structure(
    cases: &[(u32, CaseMetrics)],
    resampling: Resampling,
) -> Result<StructureSummary, SummaryError> {
    let count = |e: Emptiness| cases.iter().filter(|c| c.1.emptiness == e).count() as u64;
    let metric = |f: fn(&CaseMetrics) -> Option<f64>| -> Result<Option<Summary>, SummaryError> {
        let v: Vec<(u32, f64)> = cases
            .iter()
            .filter_map(|(c, m)| Some((*c, f(m)?)))
            .collect();
        summarize(&v, resampling)
    };
    Ok(StructureSummary {
        cases: cases.len() as u64,
        empty_both: count(Emptiness::Both),
        empty_reference: count(Emptiness::Reference),
        empty_prediction: count(Emptiness::Prediction),
        dice: metric(|m| m.dice)?,
        iou: metric(|m| m.iou)?,
        nsd: metric(|m| m.nsd)?,
        hd95: metric(|m| m.hd95)?,
        assd: metric(|m| m.assd)?,
        rvd: metric(|m| m.rvd)?,
        nsd_tolerance_mm: cases.first().map_or(0.0, |c| c.1.nsd_tolerance_mm),
    })
}
