//! The `benchmark.*` facts of several findings per unit of analysis, read from the
//! evidence of [`crate::task::findings`]; for the one-finding short form scored per
//! image they say so (no findings, image units, no macro average, no comparison).

use super::reference::record;
use crate::bench::{self, BenchEvidence, GROUPS};
use crate::dicom::ScanInfo;
use crate::metrics::cluster;
use crate::metrics::{compute, proportion_value, registry, Estimate, Scored};
use crate::task::findings::compare::Delta;
use crate::task::findings::{clustered_interval, FindingResult, FindingsEvidence};
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
/// whose first image has that value. Where a patient has several units in a group, the
/// group's sensitivity, specificity and AUC intervals come from the patient-clustered
/// bootstrap over the group's patients (the evidence's resampling, so the same seed and
/// resamples as the finding's own); otherwise they are Wilson and DeLong's. Each
/// interval names its method.
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
        let mut groups: BTreeMap<String, Vec<(&str, Scored)>> = BTreeMap::new();
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
            let patient = if u.patient.is_empty() {
                // A unit without a patient is its own cluster.
                u.key.as_str()
            } else {
                u.patient.as_str()
            };
            groups.entry(value.to_string()).or_default().push((
                patient,
                Scored {
                    label,
                    score: u.scores[index],
                },
            ));
        }
        for (value, members) in groups {
            let cases: Vec<Scored> = members.iter().map(|(_, s)| *s).collect();
            let mut m = compute(&cases, r.threshold, r.inclusive);
            clustered_within(&mut m, &members, r, f.resampling);
            out.push(registry::subgroup(attribute, &value, &m));
        }
    }
    out
}

/// Gives a group's sensitivity, specificity and AUC the patient-clustered bootstrap's
/// intervals when some patient has several of its units; the clusters are the group's
/// patients, numbered in the units' order (by file, so the same under every secret).
fn clustered_within(
    m: &mut crate::metrics::Metrics,
    members: &[(&str, Scored)],
    r: &FindingResult,
    resampling: cluster::Resampling,
) {
    let mut clusters: BTreeMap<&str, u32> = BTreeMap::new();
    let units: Vec<cluster::Unit> = members
        .iter()
        .map(|(patient, s)| {
            let next = clusters.len() as u32;
            cluster::Unit {
                cluster: *clusters.entry(patient).or_insert(next),
                label: s.label,
                score: s.score,
            }
        })
        .collect();
    let k = clusters.len() as u32;
    if k == 0 || k as usize == units.len() {
        return;
    }
    let operating = cluster::Operating {
        threshold: r.threshold,
        inclusive: r.inclusive,
    };
    // The bootstrap refuses only non-finite scores, which evidence never holds; were it
    // to refuse, the group keeps its own intervals, which name their method.
    let Ok(iv) = cluster::intervals(&units, k, operating, resampling) else {
        return;
    };
    clustered_interval(&mut m.sensitivity, iv.sensitivity);
    clustered_interval(&mut m.specificity, iv.specificity);
    if let Some(auc) = m.auc.as_mut() {
        clustered_interval(auc, iv.auc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::cluster::Resampling;
    use crate::task::findings::units::UnitRow;
    use crate::task::findings::MacroAverage;

    /// Ten units of one finding; `patients` names each unit's patient.
    fn evidence(patients: &[&str]) -> FindingsEvidence {
        let units: Vec<UnitRow> = patients
            .iter()
            .enumerate()
            .map(|(i, p)| UnitRow {
                key: format!("u{i}"),
                patient: p.to_string(),
                images: vec![format!("{i:02}.dcm")],
                chosen: None,
                scores: vec![[0.9, 0.2, 0.7, 0.4, 0.8, 0.1, 0.6, 0.3, 0.55, 0.45][i]],
                released: None,
                labels: vec![Some(i % 2 == 0 || i == 7)],
            })
            .collect();
        FindingsEvidence {
            unit: "study".into(),
            aggregate: "max".into(),
            label_key: "file".into(),
            units,
            patients: 0,
            clustered: true,
            resampling: Resampling::default(),
            findings: vec![FindingResult {
                name: "a".into(),
                threshold: 0.5,
                inclusive: true,
                positive: "a".into(),
                unlabelled: 0,
                metrics: None,
                claims_unmet: Vec::new(),
                claimed: 0,
            }],
            macro_average: MacroAverage::default(),
            micro_average: MacroAverage::default(),
            unknown_findings: Vec::new(),
            missing_findings: Vec::new(),
            labels_without_unit: 0,
            compare: None,
        }
    }

    fn methods(v: &Value) -> Vec<String> {
        let Value::Record(r) = v else {
            return Vec::new();
        };
        ["sensitivity", "specificity", "auc"]
            .iter()
            .filter_map(|k| match r.get(*k) {
                Some(Value::Record(e)) => match e.get("ci95") {
                    Some(Value::Record(ci)) => match ci.get("method") {
                        Some(Value::String(m)) => Some(m.clone()),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_subgroup_with_a_patients_several_units_has_clustered_intervals() {
        // Five patients, two units each: every group (all "unknown") is clustered, and
        // its intervals are the bootstrap's over the group's five patients.
        let f = evidence(&["p", "p", "q", "q", "r", "r", "s", "s", "t", "t"]);
        let groups = subgroups(&f, 0, &f.findings[0], &BTreeMap::new());
        assert_eq!(groups.len(), GROUPS.len());
        for g in &groups {
            assert_eq!(methods(g), vec![cluster::METHOD; 3]);
        }
        let units: Vec<cluster::Unit> = f
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| cluster::Unit {
                cluster: (i / 2) as u32,
                label: u.labels[0] == Some(true),
                score: u.scores[0],
            })
            .collect();
        let op = cluster::Operating {
            threshold: 0.5,
            inclusive: true,
        };
        let iv = cluster::intervals(&units, 5, op, Resampling::default()).expect("bootstrap");
        let Value::Record(r) = &groups[0] else {
            panic!("a record")
        };
        let Some(Value::Record(auc)) = r.get("auc") else {
            panic!("an auc")
        };
        let Some(Value::Record(ci)) = auc.get("ci95") else {
            panic!("an interval")
        };
        let want = iv.auc.expect("an AUC interval");
        assert_eq!(ci.get("low"), Some(&Value::Number(want.low)));
        assert_eq!(ci.get("high"), Some(&Value::Number(want.high)));
    }

    #[test]
    fn a_subgroup_of_one_unit_per_patient_keeps_wilson_and_delong() {
        let f = evidence(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        for g in subgroups(&f, 0, &f.findings[0], &BTreeMap::new()) {
            let m = methods(&g);
            assert_eq!(m.len(), 3);
            assert!(m.iter().all(|m| m != cluster::METHOD), "{m:?}");
            assert_eq!(m[0], "wilson");
        }
    }
}
