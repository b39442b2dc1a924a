//! The candidate against the released version on the same units: per finding, ΔAUC
//! with DeLong's paired test, Δsensitivity and Δspecificity with McNemar's exact test,
//! each difference with a paired (patient-clustered) bootstrap interval, the positive
//! rates at the operating points, and the non-inferiority margins' verdicts.
//!
//! Both versions are read through the manifest's activations; the released version at
//! its own thresholds where the `compare` statement gives them (else the candidate's),
//! so the figures are those of the version in the field. How far the candidate's score
//! distribution moved from the released one's is the two-sample Kolmogorov-Smirnov
//! distance between their unit scores: a version whose scores moved and whose threshold
//! did not needs its operating point recalibrated.

use super::units::UnitRow;
use crate::bench::BenchError;
use crate::metrics::cluster::{self, Operating, PairedFinding, PairedUnit, Resampling};
use crate::metrics::paired;
use clic_compiler::plan::{CompareSpec, FindingSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The comparison with the released version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Its file, as the manifest names it.
    pub path: String,
    /// Its version, as the manifest says.
    pub version: Option<String>,
    /// sha256 of its file.
    pub model_sha256: String,
    /// Each finding's comparison, in the manifest's order.
    pub findings: Vec<FindingComparison>,
    /// Whether every margin holds for every finding (true when no margin is set).
    pub noninferior: bool,
}

/// One finding: the released version's figures and the differences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingComparison {
    /// The finding.
    pub name: String,
    /// Units labelled for it and scored by both versions.
    pub n: u64,
    /// The released version's AUC, sensitivity and specificity (point values).
    pub released: Figures,
    /// The candidate's, on the same units.
    pub candidate: Figures,
    /// Candidate − released AUC.
    pub delta_auc: Option<Delta>,
    /// Candidate − released sensitivity.
    pub delta_sensitivity: Option<Delta>,
    /// Candidate − released specificity.
    pub delta_specificity: Option<Delta>,
    /// Share of every scored unit each version calls positive at its threshold:
    /// (candidate, released).
    pub positive_rate: (f64, f64),
    /// The candidate's threshold.
    pub threshold: f64,
    /// The released version's threshold (the candidate's unless the manifest gives one).
    pub released_threshold: f64,
    /// The Kolmogorov-Smirnov distance between the two versions' unit scores, 0..1.
    pub score_shift: f64,
    /// Each non-inferiority margin of the manifest and whether it holds.
    pub margins: Vec<Margin>,
}

/// Point values of one version.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// ROC AUC; none when a class is absent.
    pub auc: Option<f64>,
    /// Sensitivity; none without positives.
    pub sensitivity: Option<f64>,
    /// Specificity; none without negatives.
    pub specificity: Option<f64>,
}

/// A difference, its 95% interval and its test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// Candidate − released.
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// How the interval was computed.
    pub method: String,
    /// The two-sided p value of "no difference"; none when the test is undefined.
    pub p_value: Option<f64>,
    /// McNemar's two-sided mid-p value; none for another test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid_p_value: Option<f64>,
    /// Which test gave it.
    pub test: String,
}

/// A non-inferiority margin: the candidate may be worse by at most `margin`, with 95%
/// confidence (the interval's lower end above −margin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Margin {
    /// The metric.
    pub metric: String,
    /// The margin.
    pub margin: f64,
    /// Whether it holds.
    pub met: bool,
}

/// Compares the units' candidate scores with their released ones.
pub(super) fn compare(
    spec: &CompareSpec,
    findings: &[FindingSpec],
    margins: &BTreeMap<String, f64>,
    units: &[UnitRow],
    cluster_of: &[u32],
    clusters: u32,
    resampling: Resampling,
) -> Result<Comparison, BenchError> {
    let per_finding: Vec<Vec<PairedUnit>> = (0..findings.len())
        .map(|f| {
            units
                .iter()
                .zip(cluster_of)
                .filter_map(|(u, &cluster)| {
                    Some(PairedUnit {
                        cluster,
                        label: u.labels[f]?,
                        candidate: u.scores[f],
                        reference: u.released.as_ref()?[f],
                    })
                })
                .collect()
        })
        .collect();
    let operating: Vec<Operating> = findings
        .iter()
        .map(|f| Operating {
            threshold: f.threshold,
            inclusive: f.inclusive,
        })
        .collect();
    let released_op: Vec<Operating> = findings
        .iter()
        .map(|f| Operating {
            threshold: spec.thresholds.get(&f.name).copied().unwrap_or(f.threshold),
            inclusive: f.inclusive,
        })
        .collect();
    let clustered = (clusters as usize) < units.len();
    let boot = if clusters == 0 {
        None
    } else {
        let designs: Vec<PairedFinding<'_>> = per_finding
            .iter()
            .zip(operating.iter().zip(&released_op))
            .map(|(units, (op, rop))| PairedFinding {
                units,
                candidate: *op,
                reference: *rop,
            })
            .collect();
        Some(
            cluster::paired_findings_intervals(&designs, clusters, resampling)
                .map_err(|e| BenchError::Output(e.to_string()))?,
        )
    };
    let method = if clustered {
        cluster::METHOD.to_string()
    } else {
        "bootstrap-percentile (paired)".to_string()
    };
    let mut out = Vec::with_capacity(findings.len());
    let mut all_met = true;
    for (f, finding) in findings.iter().enumerate() {
        let paired_units = &per_finding[f];
        let (op, rop) = (operating[f], released_op[f]);
        let iv = boot.as_ref().map(|b| &b.findings[f]);
        let delong = paired::delong_paired(paired_units).ok();
        let delta_auc = match (delong, iv.and_then(|i| i.delta_auc)) {
            // Clustered units: the bootstrap interval, DeLong's p (which ignores the
            // clustering, as the method says).
            (Some(d), Some(b)) if clustered => Some(Delta {
                value: d.delta,
                low: b.low,
                high: b.high,
                method: method.clone(),
                p_value: d.test.and_then(|t| t.p_value),
                mid_p_value: None,
                test: "delong-paired (units as independent)".to_string(),
            }),
            (Some(d), _) => d.test.map(|t| Delta {
                value: d.delta,
                low: t.low,
                high: t.high,
                method: "delong-paired".to_string(),
                p_value: t.p_value,
                mid_p_value: None,
                test: "delong-paired".to_string(),
            }),
            _ => None,
        };
        let delta = |b: Option<cluster::Interval>, mc: paired::McNemar| {
            b.map(|b| Delta {
                value: b.value,
                low: b.low,
                high: b.high,
                method: method.clone(),
                p_value: Some(mc.exact_p_value),
                mid_p_value: Some(paired::mcnemar_mid_p(mc.b, mc.c)),
                test: "mcnemar-exact".to_string(),
            })
        };
        let delta_sensitivity = delta(
            iv.and_then(|i| i.delta_sensitivity),
            paired::mcnemar_sensitivity(paired_units, op, rop),
        );
        let delta_specificity = delta(
            iv.and_then(|i| i.delta_specificity),
            paired::mcnemar_specificity(paired_units, op, rop),
        );
        let figures = |side: Option<&cluster::Intervals>| Figures {
            auc: side.and_then(|s| s.auc).map(|i| i.value),
            sensitivity: side.and_then(|s| s.sensitivity).map(|i| i.value),
            specificity: side.and_then(|s| s.specificity).map(|i| i.value),
        };
        let candidate_scores: Vec<f64> = units.iter().map(|u| u.scores[f]).collect();
        let released_scores: Vec<f64> = units
            .iter()
            .filter_map(|u| u.released.as_ref().map(|r| r[f]))
            .collect();
        let positive_rate = (rate(&candidate_scores, op), rate(&released_scores, rop));
        let margins: Vec<Margin> = margins
            .iter()
            .map(|(metric, &margin)| {
                let d = match metric.as_str() {
                    "auc" => delta_auc.as_ref(),
                    "sensitivity" => delta_sensitivity.as_ref(),
                    "specificity" => delta_specificity.as_ref(),
                    _ => None,
                };
                let met = d.is_some_and(|d| d.low > -margin);
                all_met &= met;
                Margin {
                    metric: metric.clone(),
                    margin,
                    met,
                }
            })
            .collect();
        out.push(FindingComparison {
            name: finding.name.clone(),
            n: paired_units.len() as u64,
            released: figures(iv.map(|i| &i.reference)),
            candidate: figures(iv.map(|i| &i.candidate)),
            delta_auc,
            delta_sensitivity,
            delta_specificity,
            positive_rate,
            threshold: op.threshold,
            released_threshold: rop.threshold,
            score_shift: ks_distance(&candidate_scores, &released_scores),
            margins,
        });
    }
    Ok(Comparison {
        path: spec.path.clone(),
        version: spec.version.clone(),
        model_sha256: String::new(),
        findings: out,
        noninferior: all_met,
    })
}

/// The share of `scores` called positive at `op`; 0 without scores.
fn rate(scores: &[f64], op: Operating) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    let called = scores
        .iter()
        .filter(|&&s| {
            if op.inclusive {
                s >= op.threshold
            } else {
                s > op.threshold
            }
        })
        .count();
    called as f64 / scores.len() as f64
}

/// The two-sample Kolmogorov-Smirnov statistic: the largest distance between the two
/// empirical distribution functions (as `scipy.stats.ks_2samp(a, b).statistic`); 0 when
/// either sample is empty.
pub fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        // Step past every value equal to the smaller one in both samples at once, so
        // ties move both distribution functions together.
        let x = if a[i] <= b[j] { a[i] } else { b[j] };
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_distance_agrees_with_scipy() {
        // scipy.stats.ks_2samp(a, b).statistic, scipy 1.17.1.
        let d = ks_distance(&[0.1, 0.4, 0.4, 0.8], &[0.2, 0.4, 0.9]);
        assert!((d - 1.0 / 3.0).abs() < 1e-12, "{d}");
        let d = ks_distance(&[0.3, 0.3, 0.5, 0.7, 0.9], &[0.3, 0.6, 0.6, 0.9]);
        assert!((d - 0.35).abs() < 1e-12, "{d}");
        assert_eq!(ks_distance(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert_eq!(ks_distance(&[0.0, 0.1], &[0.9, 1.0]), 1.0);
        assert_eq!(ks_distance(&[], &[1.0]), 0.0);
    }
}
