//! The `benchmark.segmentation` facts, read from the evidence of
//! [`crate::task::segmentation`]: each structure's summaries, its volumes' agreement,
//! and the verdict on each claim the manifest makes on it.
//!
//! A claim on an overlap metric or the ICC (a floor) is met when the lower end of the
//! estimate's 95% interval reaches it; a claim on a distance, a volume difference, the
//! RMSE or the limits of agreement (a ceiling) when the upper end stays within it (for
//! the bias and the limits of agreement, both ends within plus or minus the bound). A
//! metric no case defines meets no claim.

use super::reference::record;
use crate::metrics::agreement::Agreement;
use crate::metrics::segmentation::{Ci95, Summary};

use crate::metrics::cluster::Resampling;
use crate::task::segmentation::subgroups::{self, Group};
use crate::task::segmentation::{SegmentationEvidence, StructureResult};
use clic_compiler::plan::Value;

/// The facts this module serves.
pub const FACTS: [&str; 2] = ["benchmark.segmentation", "benchmark.series.without_mask"];

/// One claim on a structure: its metric and bound (fractions for percentages, mm, mL).
#[derive(Debug, Clone, PartialEq)]
pub struct Claim<'a> {
    /// The structure.
    pub structure: &'a str,
    /// The metric's name.
    pub metric: &'a str,
    /// The bound.
    pub bound: f64,
}

fn num(x: f64) -> Value {
    Value::Number(x)
}

/// The estimate of `metric` for a structure, with its interval and whether a claim of
/// `bound` is met; none for a metric the structure has no value of.
pub fn verdict(r: &StructureResult, metric: &str, bound: f64) -> Option<(f64, Ci95, bool)> {
    let s = &r.summary;
    let floor = |x: Option<&Summary>| x.map(|x| (x.mean, x.ci95.clone(), x.ci95.low >= bound));
    let ceiling = |x: Option<&Summary>| x.map(|x| (x.mean, x.ci95.clone(), x.ci95.high <= bound));
    match metric {
        "dice" => floor(s.dice.as_ref()),
        "iou" => floor(s.iou.as_ref()),
        "nsd" => floor(s.nsd.as_ref()),
        "hd95" => ceiling(s.hd95.as_ref()),
        "assd" => ceiling(s.assd.as_ref()),
        "rvd" => ceiling(s.rvd.as_ref()),
        "volume_bias" => r.volume.as_ref().map(|a| {
            let c = &a.bias_ci95;
            (a.bias, c.clone(), c.low >= -bound && c.high <= bound)
        }),
        "volume_loa" => r.volume.as_ref().map(|a| {
            let within = a.loa_low_ci95.low >= -bound && a.loa_high_ci95.high <= bound;
            let outer = Ci95 {
                low: a.loa_low_ci95.low,
                high: a.loa_high_ci95.high,
                method: a.loa_high_ci95.method.clone(),
            };
            (a.loa_max_abs(), outer, within)
        }),
        "volume_icc" => r.volume.as_ref().and_then(|a| {
            let i = a.icc.as_ref().ok()?;
            Some((i.value, i.ci95.clone(), i.ci95.low >= bound))
        }),
        "volume_rmse" => r
            .volume
            .as_ref()
            .map(|a| (a.rmse, a.rmse_ci95.clone(), a.rmse_ci95.high <= bound)),
        _ => None,
    }
}

fn opt(x: Option<f64>) -> Value {
    x.map_or(Value::Null, num)
}

/// One group as the clic `SegmentationSubgroup` record.
fn subgroup(g: &Group) -> Value {
    let v = &g.vs_rest;
    record([
        ("attribute", Value::String(g.attribute.to_string())),
        ("value", Value::String(g.value.clone())),
        ("n", num(g.n as f64)),
        ("patients", num(f64::from(g.patients))),
        (
            "dice",
            g.dice.as_ref().map_or(Value::Null, Summary::fact_value),
        ),
        (
            "vs_rest",
            record([
                ("difference", opt(v.difference)),
                (
                    "ci95",
                    v.ci95.as_ref().map_or(Value::Null, Ci95::fact_value),
                ),
                ("p_noninferior", opt(v.p_noninferior)),
                ("p_holm", opt(v.p_holm)),
                ("assessable", Value::Bool(v.assessable)),
                ("margin", num(subgroups::MARGIN)),
            ]),
        ),
    ])
}

/// Structure `k`'s subgroups ([`subgroups::structure_groups`]); none when a case's
/// Dice is not a finite number (evidence read from a file), so no control passes on it.
fn structure_subgroups(ev: &SegmentationEvidence, k: usize) -> Value {
    match subgroups::structure_groups(ev, k, Resampling::default()) {
        Ok(groups) => Value::List(groups.iter().map(subgroup).collect()),
        Err(_) => Value::Null,
    }
}

/// The `benchmark.segmentation` fact: a `Structure` record per structure, in the
/// manifest's order, with the verdicts on `claims` and the structure's subgroups.
pub fn structures(ev: &SegmentationEvidence, claims: &[Claim<'_>]) -> Value {
    Value::List(
        ev.summaries
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let verdicts = claims
                    .iter()
                    .filter(|c| c.structure == r.name)
                    .map(|c| {
                        let v = verdict(r, c.metric, c.bound);
                        record([
                            ("metric", Value::String(c.metric.to_string())),
                            ("bound", num(c.bound)),
                            ("estimate", v.as_ref().map_or(Value::Null, |v| num(v.0))),
                            ("ci95", v.as_ref().map_or(Value::Null, |v| v.1.fact_value())),
                            ("met", Value::Bool(v.is_some_and(|v| v.2))),
                        ])
                    })
                    .collect();
                let mut fields = r.summary.fact_fields();
                fields.insert("name".to_string(), Value::String(r.name.clone()));
                fields.insert(
                    "volume".to_string(),
                    r.volume.as_ref().map_or(Value::Null, Agreement::fact_value),
                );
                fields.insert("claims".to_string(), Value::List(verdicts));
                fields.insert("subgroups".to_string(), structure_subgroups(ev, k));
                Value::Record(fields)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::segmentation::StructureSummary;

    fn ci(low: f64, high: f64) -> Ci95 {
        Ci95 {
            low,
            high,
            method: "test".to_string(),
        }
    }

    fn summary(mean: f64, low: f64, high: f64) -> Summary {
        Summary {
            mean,
            median: mean,
            q1: mean,
            q3: mean,
            min: mean,
            max: mean,
            n: 10,
            clusters: 5,
            ci95: ci(low, high),
        }
    }

    fn result() -> StructureResult {
        StructureResult {
            name: "liver".to_string(),
            summary: StructureSummary {
                cases: 10,
                empty_both: 0,
                empty_reference: 0,
                empty_prediction: 0,
                dice: Some(summary(0.92, 0.90, 0.94)),
                iou: None,
                nsd: Some(summary(0.8, 0.75, 0.85)),
                hd95: Some(summary(5.0, 4.0, 6.5)),
                assd: None,
                rvd: Some(summary(0.05, 0.03, 0.07)),
                nsd_tolerance_mm: 2.0,
            },
            volume: None,
            volume_missing: None,
        }
    }

    #[test]
    fn floors_read_the_lower_end_and_ceilings_the_upper_end() {
        let r = result();
        let met = |m: &str, b: f64| verdict(&r, m, b).map(|v| v.2);
        // The mean 0.92 is above 0.91, but the interval's lower end 0.90 is not.
        assert_eq!(met("dice", 0.91), Some(false));
        assert_eq!(met("dice", 0.90), Some(true));
        // The mean 5 mm is within 6 mm, but the upper end 6.5 mm is not.
        assert_eq!(met("hd95", 6.0), Some(false));
        assert_eq!(met("hd95", 6.5), Some(true));
        assert_eq!(met("rvd", 0.07), Some(true));
        // No case defines it, or no volume agreement: no estimate, never met.
        assert_eq!(met("iou", 0.1), None);
        assert_eq!(met("volume_icc", 0.1), None);
        let claims = [
            Claim {
                structure: "liver",
                metric: "iou",
                bound: 0.1,
            },
            Claim {
                structure: "spleen",
                metric: "dice",
                bound: 0.1,
            },
        ];
        let ev = SegmentationEvidence {
            structures: vec!["liver".to_string()],
            cases: Vec::new(),
            summaries: vec![r.clone()],
            series_without_mask: 0,
        };
        let Value::List(list) = structures(&ev, &claims) else {
            panic!("a list")
        };
        let Value::Record(rec) = &list[0] else {
            panic!("a record")
        };
        let Value::List(verdicts) = &rec["claims"] else {
            panic!("claims")
        };
        assert_eq!(verdicts.len(), 1, "only the structure's own claims");
        let Value::Record(v) = &verdicts[0] else {
            panic!("a verdict")
        };
        assert_eq!(v["met"], Value::Bool(false));
        assert_eq!(v["estimate"], Value::Null);
    }
}
