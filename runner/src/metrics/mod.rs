//! Clinical performance metrics of a binary classifier's scores against a reference
//! standard, as STARD 2015 (items 23-24) and TRIPOD+AI ask them reported: the cross-tab
//! at the operating threshold, sensitivity, specificity, PPV, NPV and accuracy with
//! Wilson 95% intervals, balanced accuracy with a MOVER-Wilson interval, F1 with a
//! seeded percentile bootstrap interval, ROC AUC with a DeLong interval, the ROC curve, the Brier score, and calibration (ECE over 10
//! equal-width bins with a seeded percentile bootstrap interval, and the bins). PPV and NPV at a stated prevalence are in
//! [`at_prevalence`].
//!
//! Everything is deterministic: cases are sorted (by score, then label) before any sum,
//! so the result does not depend on input order, and the bootstrap has a fixed seed.
//! Golden values from scikit-learn and statsmodels are in `runner/tests/data/metrics`.

pub mod agreement;
mod balanced;
mod bootstrap;
mod calibration;
pub mod cluster;
pub mod distance;
pub mod paired;
mod prevalence;
mod rank;
pub mod registry;
pub mod segmentation;
pub mod subgroup;

pub use prevalence::{at_prevalence, AtPrevalence};

use clic_compiler::plan::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The two-sided 95% standard normal quantile (as in [`crate::stats::wilson95`]).
pub const Z95: f64 = 1.959_963_984_540_054;

/// One scored case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Reference standard: `true` for a positive case.
    pub label: bool,
    /// The model's score, a probability in 0..1 (Brier and ECE assume so).
    pub score: f64,
}

/// An estimate with its n, interval and method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// Cases it rests on: the denominator of a count ratio, else every case.
    pub n: u64,
    /// The numerator, where the estimate is a count ratio.
    pub successes: Option<u64>,
    /// Lower bound of the 95% interval.
    pub low: f64,
    /// Upper bound of the 95% interval.
    pub high: f64,
    /// How the interval was computed, e.g. `wilson`, `delong`, `bootstrap-percentile`.
    pub method: String,
}

/// One point of the ROC curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// False positive rate at this threshold.
    pub fpr: f64,
    /// True positive rate at this threshold.
    pub tpr: f64,
    /// Cases scoring at least this are called positive. The first point's threshold is
    /// `f64::INFINITY` (as scikit-learn's `roc_curve`), written as `null` in JSON.
    #[serde(with = "inf_as_null")]
    pub threshold: f64,
}

/// One non-empty calibration bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Lower edge (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, except the last bin, which includes 1.0).
    pub upper: f64,
    /// Cases in the bin.
    pub n: u64,
    /// Mean score of those cases.
    pub mean_score: f64,
    /// Fraction of those cases that are positive.
    pub observed_rate: f64,
}

/// Every metric of one set of scored cases at one operating threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Cases scored.
    pub n: u64,
    /// Cases labelled positive.
    pub positives: u64,
    /// Cases labelled negative.
    pub negatives: u64,
    /// The operating threshold.
    pub threshold: f64,
    /// Whether a score equal to the threshold is called positive.
    pub inclusive: bool,
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// True negatives.
    pub tn: u64,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// tp / (tp + fn), Wilson interval.
    pub sensitivity: Estimate,
    /// tn / (tn + fp), Wilson interval.
    pub specificity: Estimate,
    /// tp / (tp + fp), Wilson interval (at the sample's own prevalence).
    pub ppv: Estimate,
    /// tn / (tn + fn), Wilson interval (at the sample's own prevalence).
    pub npv: Estimate,
    /// (tp + tn) / n, Wilson interval.
    pub accuracy: Estimate,
    /// (sensitivity + specificity) / 2 with a MOVER-Wilson interval; none when a class is
    /// absent. Required when read back, so evidence cached before it existed is not reused.
    #[serde(deserialize_with = "Option::deserialize")]
    pub balanced_accuracy: Option<Estimate>,
    /// 2tp / (2tp + fp + fn) (0 when that is 0/0), seeded percentile bootstrap interval.
    pub f1: Estimate,
    /// ROC AUC with its DeLong interval; none when one class is absent.
    pub auc: Option<Estimate>,
    /// Mean squared difference between score and label (0 with no cases).
    pub brier: f64,
    /// Expected calibration error over 10 equal-width bins, weighted by bin size, with a
    /// seeded percentile bootstrap interval (`calibration`'s module doc). Once a number:
    /// evidence cached with it is not read back, so it is recomputed.
    pub ece: Estimate,
    /// The ROC curve at every distinct score; empty when one class is absent.
    pub roc: Vec<RocPoint>,
    /// The non-empty calibration bins, lowest first.
    pub calibration: Vec<CalibrationBin>,
}

/// Why [`try_compute`] refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// A score is NaN or infinite.
    #[error("case {index}: score {score} is not a finite number")]
    NonFiniteScore {
        /// Position of the case in the input.
        index: usize,
        /// The offending score.
        score: f64,
    },
    /// A score lies outside 0..1, so Brier and ECE would mean nothing.
    #[error("case {index}: score {score} is not a probability in 0..1")]
    ScoreOutOfRange {
        /// Position of the case in the input.
        index: usize,
        /// The offending score.
        score: f64,
    },
    /// The threshold is NaN or infinite.
    #[error("threshold {0} is not a finite number")]
    NonFiniteThreshold(f64),
}

/// [`compute`], after checking that every score is a probability in 0..1 and the
/// threshold is finite.
pub fn try_compute(
    cases: &[Scored],
    threshold: f64,
    inclusive: bool,
) -> Result<Metrics, MetricsError> {
    if !threshold.is_finite() {
        return Err(MetricsError::NonFiniteThreshold(threshold));
    }
    for (index, c) in cases.iter().enumerate() {
        if !c.score.is_finite() {
            return Err(MetricsError::NonFiniteScore {
                index,
                score: c.score,
            });
        }
        if !(0.0..=1.0).contains(&c.score) {
            return Err(MetricsError::ScoreOutOfRange {
                index,
                score: c.score,
            });
        }
    }
    Ok(compute(cases, threshold, inclusive))
}

/// Every metric of `cases` at `threshold`: a case is called positive when its score is
/// `>= threshold` (`inclusive`) or `> threshold` (not `inclusive`).
///
/// Scores should be probabilities in 0..1 ([`try_compute`] checks); with NaN scores the
/// result is unspecified (but it does not panic).
pub fn compute(cases: &[Scored], threshold: f64, inclusive: bool) -> Metrics {
    let mut sorted = cases.to_vec();
    sorted.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.label.cmp(&b.label)));
    let called = |s: f64| {
        if inclusive {
            s >= threshold
        } else {
            s > threshold
        }
    };
    let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
    for c in &sorted {
        match (c.label, called(c.score)) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
    }
    let n = tp + fp + tn + fn_;
    let (calibration, ece) = calibration::bins(&sorted);
    let sensitivity = wilson_estimate(tp, tp + fn_);
    let specificity = wilson_estimate(tn, tn + fp);
    Metrics {
        n,
        positives: tp + fn_,
        negatives: tn + fp,
        threshold,
        inclusive,
        tp,
        fp,
        tn,
        fn_,
        balanced_accuracy: balanced::estimate(&sensitivity, &specificity),
        sensitivity,
        specificity,
        ppv: wilson_estimate(tp, tp + fp),
        npv: wilson_estimate(tn, tn + fn_),
        accuracy: wilson_estimate(tp + tn, n),
        f1: bootstrap::f1_estimate(tp, fp, tn, fn_),
        auc: rank::auc_delong(&sorted),
        brier: calibration::brier(&sorted),
        ece: calibration::ece_estimate(&sorted, ece),
        roc: rank::roc_curve(&sorted),
        calibration,
    }
}

/// `successes / n` with its Wilson 95% interval; with `n == 0`, value 0 and (0, 1).
pub fn wilson_estimate(successes: u64, n: u64) -> Estimate {
    let (low, high) = crate::stats::wilson95(successes as f64, n as f64);
    if n == 0 {
        return Estimate {
            value: 0.0,
            n: 0,
            successes: Some(0),
            low,
            high,
            method: "wilson (no cases)".to_string(),
        };
    }
    Estimate {
        value: successes as f64 / n as f64,
        n,
        successes: Some(successes),
        low,
        high,
        method: "wilson".to_string(),
    }
}

/// An estimate as a clic `Proportion` record: `value`, `n`, `successes` (when known) and
/// `ci95` = {`low`, `high`, `method`}, the shape of [`crate::eval::proportion`].
pub fn proportion_value(e: &Estimate) -> Value {
    let mut ci = BTreeMap::new();
    ci.insert("low".to_string(), Value::Number(e.low));
    ci.insert("high".to_string(), Value::Number(e.high));
    ci.insert("method".to_string(), Value::String(e.method.clone()));
    let mut r = BTreeMap::new();
    r.insert("value".to_string(), Value::Number(e.value));
    r.insert("n".to_string(), Value::Number(e.n as f64));
    if let Some(k) = e.successes {
        r.insert("successes".to_string(), Value::Number(k as f64));
    }
    r.insert("ci95".to_string(), Value::Record(ci));
    Value::Record(r)
}

impl Metrics {
    /// The metrics as one clic record whose keys are the `benchmark.*` fact names: the
    /// counts and `threshold`, then every metric of the registry ([`registry::value`]).
    /// The ROC curve and the calibration bins are not facts and are left out.
    pub fn fact_value(&self) -> Value {
        let mut r: BTreeMap<String, Value> = registry::counts(self)
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::Number(v)))
            .collect();
        for def in clic_compiler::schema::metrics::METRICS {
            r.insert(def.name.to_string(), registry::value(self, def));
        }
        Value::Record(r)
    }
}

/// Serde for a threshold that may be `+inf`: written as `null`, read back as `+inf`.
mod inf_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
    }
}

#[cfg(test)]
mod tests;
