//! The segmentation section's input ([`crate::segmentation::SegmentationReport`]) from the
//! benchmark's evidence: each structure's per-case values and summaries, its volumes'
//! agreement, and the verdict on each claim as the gate reads it
//! (`clic_runner::facts::segmentation::verdict`).

use crate::segmentation::{
    AgreementReport, Bound, ClaimReport, MetricReport, SegmentationReport, StructureReport, Unit,
};
use clic_compiler::plan::StructureClaim;
use clic_runner::facts::segmentation::verdict;
use clic_runner::metrics::segmentation::{CaseMetrics, Summary};
use clic_runner::task::segmentation::SegmentationEvidence;

/// The metrics of the section, in order: name, label, unit, the per-case reading.
type Row = (
    &'static str,
    &'static str,
    Unit,
    fn(&CaseMetrics) -> Option<f64>,
);

const ROWS: [Row; 6] = [
    ("dice", "Dice", Unit::Fraction, |m| m.dice),
    ("iou", "IoU (Jaccard)", Unit::Fraction, |m| m.iou),
    ("nsd", "NSD", Unit::Fraction, |m| m.nsd),
    ("hd95", "HD95", Unit::Mm, |m| m.hd95),
    ("assd", "ASSD", Unit::Mm, |m| m.assd),
    ("rvd", "Relative volume difference", Unit::Percent, |m| {
        m.rvd
    }),
];

fn label(metric: &str) -> (&'static str, Unit, Bound) {
    match metric {
        "dice" => ("Dice", Unit::Fraction, Bound::AtLeast),
        "iou" => ("IoU (Jaccard)", Unit::Fraction, Bound::AtLeast),
        "nsd" => ("NSD (surface Dice)", Unit::Fraction, Bound::AtLeast),
        "hd95" => ("HD95", Unit::Mm, Bound::AtMost),
        "assd" => ("ASSD", Unit::Mm, Bound::AtMost),
        "rvd" => ("Relative volume difference", Unit::Percent, Bound::AtMost),
        "volume_bias" => ("Volume bias", Unit::Ml, Bound::Within),
        "volume_loa" => ("Volume limits of agreement", Unit::Ml, Bound::AtMost),
        "volume_icc" => ("Volume ICC(A,1)", Unit::Fraction, Bound::AtLeast),
        "volume_rmse" => ("Volume RMSE", Unit::Ml, Bound::AtMost),
        _ => ("", Unit::Fraction, Bound::AtLeast),
    }
}

fn summary_of<'s>(
    s: &'s clic_runner::metrics::segmentation::StructureSummary,
    metric: &str,
) -> Option<&'s Summary> {
    match metric {
        "dice" => s.dice.as_ref(),
        "iou" => s.iou.as_ref(),
        "nsd" => s.nsd.as_ref(),
        "hd95" => s.hd95.as_ref(),
        "assd" => s.assd.as_ref(),
        "rvd" => s.rvd.as_ref(),
        _ => None,
    }
}

/// The section's input for `ev`, with the verdicts on `claims`.
pub fn report(ev: &SegmentationEvidence, claims: &[StructureClaim]) -> SegmentationReport {
    let resampling = clic_runner::metrics::cluster::Resampling::default();
    let structures = ev
        .summaries
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let s = &r.summary;
            let metrics = ROWS
                .iter()
                .filter_map(|(name, label, unit, read)| {
                    let sum = summary_of(s, name)?;
                    let label = if *name == "nsd" {
                        format!("{label} at {} mm", s.nsd_tolerance_mm)
                    } else {
                        (*label).to_string()
                    };
                    Some(MetricReport {
                        name: (*name).to_string(),
                        label,
                        unit: *unit,
                        per_case: ev
                            .cases
                            .iter()
                            .filter_map(|c| c.metrics.get(k).and_then(read))
                            .collect(),
                        mean: sum.mean,
                        ci_low: sum.ci95.low,
                        ci_high: sum.ci95.high,
                        median: sum.median,
                        q1: sum.q1,
                        q3: sum.q3,
                        min: sum.min,
                        max: sum.max,
                        n: sum.n,
                    })
                })
                .collect();
            let claims = claims
                .iter()
                .filter(|c| c.structure == r.name)
                .map(|c| {
                    let (label, unit, direction) = label(&c.metric);
                    let v = verdict(r, &c.metric, c.bound);
                    ClaimReport {
                        metric: c.metric.clone(),
                        label: label.to_string(),
                        bound: c.bound,
                        direction,
                        unit,
                        estimate: v.as_ref().map_or(f64::NAN, |v| v.0),
                        ci_low: v.as_ref().map_or(f64::NAN, |v| v.1.low),
                        ci_high: v.as_ref().map_or(f64::NAN, |v| v.1.high),
                        met: v.is_some_and(|v| v.2),
                    }
                })
                .collect();
            let agreement = r.volume.as_ref().map(|a| AgreementReport {
                pairs: ev
                    .cases
                    .iter()
                    .filter_map(|c| c.metrics.get(k))
                    .map(|m| (m.reference_ml, m.predicted_ml))
                    .collect(),
                bias: a.bias,
                bias_ci: (a.bias_ci95.low, a.bias_ci95.high),
                loa_low: a.loa_low,
                loa_high: a.loa_high,
                loa_low_ci: (a.loa_low_ci95.low, a.loa_low_ci95.high),
                loa_high_ci: (a.loa_high_ci95.low, a.loa_high_ci95.high),
                icc: a.icc.as_ref().map_or(f64::NAN, |i| i.value),
                icc_ci: a
                    .icc
                    .as_ref()
                    .map_or((f64::NAN, f64::NAN), |i| (i.ci95.low, i.ci95.high)),
                rmse: a.rmse,
                rmse_ci: (a.rmse_ci95.low, a.rmse_ci95.high),
                interval_method: format!(
                    "bias: {}; limits of agreement: {}; ICC: {}; RMSE: {}",
                    a.bias_ci95.method,
                    a.loa_low_ci95.method,
                    a.icc
                        .as_ref()
                        .map_or("undefined".to_string(), |i| i.ci95.method.clone()),
                    a.rmse_ci95.method
                ),
            });
            StructureReport {
                name: r.name.clone(),
                cases: s.cases,
                empty_both: s.empty_both,
                empty_reference: s.empty_reference,
                empty_prediction: s.empty_prediction,
                metrics,
                claims,
                agreement,
            }
        })
        .collect();
    SegmentationReport {
        structures,
        interval_method: clic_runner::metrics::cluster::METHOD.to_string(),
        resamples: u64::from(resampling.resamples),
    }
}
