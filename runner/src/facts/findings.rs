//! The `benchmark.*` facts of several findings per unit of analysis, read from the
//! evidence of [`crate::task::findings`]; for the one-finding short form scored per
//! image they say so (no findings, image units, no macro average, no comparison).

use super::reference::record;
use crate::bench::{self, BenchEvidence, GROUPS};
use crate::dicom::ScanInfo;
use crate::metrics::{compute, proportion_value, registry, Estimate, Scored};
use crate::task::findings::compare::Delta;
use crate::task::findings::{FindingResult, FindingsEvidence};
use clic_compiler::plan::Value;
use clic_compiler::schema::metrics::METRICS;
use std::collections::{BTreeMap, BTreeSet};

/// Every fact served here.
pub const FACTS: [&str; 16] = [
    "benchmark.unit",
    "benchmark.units",
    "benchmark.patients",
    "benchmark.clustered",
    "benchmark.findings",
    "benchmark.macro.sensitivity",
    "benchmark.macro.specificity",
    "benchmark.macro.auc",
    "benchmark.micro.sensitivity",
    "benchmark.micro.specificity",
    "benchmark.micro.auc",
    "benchmark.labels.unknown_findings",
    "benchmark.labels.missing_findings",
    "benchmark.labels.without_unit",
    "benchmark.compare.findings",
    "benchmark.compare.noninferior",
];

fn strings(items: &[String]) -> Value {
    Value::List(items.iter().cloned().map(Value::String).collect())
}

fn num(x: impl Into<f64>) -> Value {
    Value::Number(x.into())
}

fn opt_estimate(e: Option<&Estimate>) -> Value {
    e.map_or(Value::Null, proportion_value)
}

/// The value of one of [`FACTS`]; none for another path.
pub fn fact(ev: &BenchEvidence, path: &str) -> Option<Value> {
    let Some(f) = &ev.findings else {
        return short_form(ev, path);
    };
    Some(match path {
        "benchmark.unit" => Value::String(f.unit.clone()),
        "benchmark.units" => num(f.units.len() as f64),
        "benchmark.patients" => num(f.patients as f64),
        "benchmark.clustered" => Value::Bool(f.clustered),
        "benchmark.findings" => {
            let infos: BTreeMap<&str, &ScanInfo> = ev
                .rows
                .iter()
                .map(|r| (r.info.file.as_str(), &r.info))
                .collect();
            Value::List(
                f.findings
                    .iter()
                    .enumerate()
                    .map(|(i, r)| finding(f, i, r, &infos))
                    .collect(),
            )
        }
        "benchmark.macro.sensitivity" => opt_estimate(f.macro_average.sensitivity.as_ref()),
        "benchmark.macro.specificity" => opt_estimate(f.macro_average.specificity.as_ref()),
        "benchmark.macro.auc" => opt_estimate(f.macro_average.auc.as_ref()),
        "benchmark.micro.sensitivity" => opt_estimate(f.micro_average.sensitivity.as_ref()),
        "benchmark.micro.specificity" => opt_estimate(f.micro_average.specificity.as_ref()),
        "benchmark.micro.auc" => opt_estimate(f.micro_average.auc.as_ref()),
        "benchmark.labels.unknown_findings" => strings(&f.unknown_findings),
        "benchmark.labels.missing_findings" => strings(&f.missing_findings),
        "benchmark.labels.without_unit" => num(f.labels_without_unit as f64),
        "benchmark.compare.findings" => Value::List(
            f.compare
                .iter()
                .flat_map(|c| c.findings.iter())
                .map(|c| {
                    record([
                        ("name", Value::String(c.name.clone())),
                        ("n", num(c.n as f64)),
                        ("released_auc", c.released.auc.map_or(Value::Null, num)),
                        (
                            "released_sensitivity",
                            c.released.sensitivity.map_or(Value::Null, num),
                        ),
                        (
                            "released_specificity",
                            c.released.specificity.map_or(Value::Null, num),
                        ),
                        ("delta_auc", delta(c.delta_auc.as_ref())),
                        ("delta_sensitivity", delta(c.delta_sensitivity.as_ref())),
                        ("delta_specificity", delta(c.delta_specificity.as_ref())),
                        ("positive_rate", num(c.positive_rate.0)),
                        ("released_positive_rate", num(c.positive_rate.1)),
                        ("threshold", num(c.threshold)),
                        ("released_threshold", num(c.released_threshold)),
                        ("score_shift", num(c.score_shift)),
                        ("noninferior", Value::Bool(c.margins.iter().all(|m| m.met))),
                    ])
                })
                .collect(),
        ),
        "benchmark.compare.noninferior" => f
            .compare
            .as_ref()
            .map_or(Value::Null, |c| Value::Bool(c.noninferior)),
        _ => return None,
    })
}

/// The facts of the one-finding short form scored per image.
fn short_form(ev: &BenchEvidence, path: &str) -> Option<Value> {
    let scored = || ev.rows.iter().filter(|r| r.score.is_some());
    Some(match path {
        "benchmark.unit" => Value::String("image".to_string()),
        "benchmark.units" => num(scored().count() as f64),
        "benchmark.patients" => num(scored()
            .map(|r| r.info.patient_hash.as_str())
            .filter(|p| !p.is_empty())
            .collect::<BTreeSet<_>>()
            .len() as f64),
        "benchmark.clustered" => Value::Bool(false),
        "benchmark.findings" | "benchmark.compare.findings" => Value::List(Vec::new()),
        "benchmark.labels.unknown_findings" | "benchmark.labels.missing_findings" => {
            Value::List(Vec::new())
        }
        "benchmark.labels.without_unit" => num(ev.labels_without_file.len() as f64),
        "benchmark.macro.sensitivity"
        | "benchmark.macro.specificity"
        | "benchmark.macro.auc"
        | "benchmark.micro.sensitivity"
        | "benchmark.micro.specificity"
        | "benchmark.micro.auc"
        | "benchmark.compare.noninferior" => Value::Null,
        _ => return None,
    })
}

fn delta(d: Option<&Delta>) -> Value {
    let Some(d) = d else {
        return Value::Null;
    };
    record([
        ("value", num(d.value)),
        (
            "ci95",
            record([
                ("low", num(d.low)),
                ("high", num(d.high)),
                ("method", Value::String(d.method.clone())),
            ]),
        ),
        ("p_value", d.p_value.map_or(Value::Null, num)),
        ("test", Value::String(d.test.clone())),
    ])
}

/// A `Finding` record: its head, every metric of the registry, its subgroups.
fn finding(
    f: &FindingsEvidence,
    index: usize,
    r: &FindingResult,
    infos: &BTreeMap<&str, &ScanInfo>,
) -> Value {
    let m = r.metrics.as_ref();
    let count = |pick: fn(&crate::metrics::Metrics) -> u64| num(m.map_or(0, pick) as f64);
    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    fields.insert("name".into(), Value::String(r.name.clone()));
    fields.insert("n".into(), count(|m| m.n));
    fields.insert("positives".into(), count(|m| m.positives));
    fields.insert("negatives".into(), count(|m| m.negatives));
    fields.insert("unlabelled".into(), num(r.unlabelled as f64));
    fields.insert("threshold".into(), num(r.threshold));
    fields.insert("claimed".into(), num(r.claimed as f64));
    fields.insert("claims_unmet".into(), strings(&r.claims_unmet));
    for def in METRICS {
        fields.insert(
            def.name.into(),
            m.map_or(Value::Null, |m| registry::value(m, def)),
        );
    }
    fields.insert(
        "subgroups".into(),
        Value::List(subgroups(f, index, r, infos)),
    );
    Value::Record(fields)
}

/// A finding's metrics per value of every attribute clic groups by, over the units
/// whose first image has that value (Wilson and DeLong intervals: within a group the
/// clustering is not resampled).
pub fn subgroups(
    f: &FindingsEvidence,
    index: usize,
    r: &FindingResult,
    infos: &BTreeMap<&str, &ScanInfo>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for attribute in GROUPS {
        let Some(read) = bench::group_reader(attribute) else {
            continue;
        };
        let mut groups: BTreeMap<String, Vec<Scored>> = BTreeMap::new();
        for u in &f.units {
            let Some(label) = u.labels[index] else {
                continue;
            };
            let value = u
                .images
                .first()
                .and_then(|file| infos.get(file.as_str()))
                .map(|i| read(i))
                .filter(|v| !v.is_empty())
                .unwrap_or("unknown");
            groups.entry(value.to_string()).or_default().push(Scored {
                label,
                score: u.scores[index],
            });
        }
        for (value, cases) in groups {
            let m = compute(&cases, r.threshold, r.inclusive);
            out.push(registry::subgroup(attribute, &value, &m));
        }
    }
    out
}
