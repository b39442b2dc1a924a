//! The `benchmark.*` facts of several findings per unit of analysis, read from the
//! evidence of [`crate::task::findings`]; for the one-finding short form scored per
//! image they say so (no findings, image units, no macro average, no comparison).

use super::reference::record;
use crate::bench::{self, BenchEvidence, GROUPS};
use crate::dicom::ScanInfo;
use crate::metrics::subgroup::{self, Counts, Difference};
use crate::metrics::{cluster, compute, proportion_value, registry, Estimate, Metrics, Scored};
use crate::task::findings::compare::Delta;
use crate::task::findings::readers::{ReaderEntry, ReaderFinding};
use crate::task::findings::{FindingResult, FindingsEvidence};
use clic_compiler::plan::Value;
use clic_compiler::schema::metrics::METRICS;
use std::collections::{BTreeMap, BTreeSet};

/// Every fact served here.
pub const FACTS: [&str; 18] = [
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
    "benchmark.compare.readers",
    "benchmark.compare.readers_noninferior",
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
        "benchmark.compare.readers" => Value::List(
            f.readers
                .iter()
                .flat_map(|r| r.findings.iter())
                .flat_map(|rf| rf.entries.iter().map(move |e| reader_entry(rf, e)))
                .collect(),
        ),
        "benchmark.compare.readers_noninferior" => f
            .readers
            .as_ref()
            .map_or(Value::Null, |r| Value::Bool(r.noninferior)),
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
        "benchmark.findings" | "benchmark.compare.findings" | "benchmark.compare.readers" => {
            Value::List(Vec::new())
        }
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
        | "benchmark.compare.noninferior"
        | "benchmark.compare.readers_noninferior" => Value::Null,
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
        ("mid_p_value", d.mid_p_value.map_or(Value::Null, num)),
        ("test", Value::String(d.test.clone())),
    ])
}

/// A `ReaderComparison` record.
fn reader_entry(f: &ReaderFinding, e: &ReaderEntry) -> Value {
    let n = |x: Option<f64>| x.map_or(Value::Null, num);
    record([
        ("finding", Value::String(f.name.clone())),
        ("reader", Value::String(e.reader.clone())),
        ("pooled", Value::Bool(e.pooled)),
        ("readers", num(e.readers as f64)),
        (
            "kind",
            f.kind
                .map_or(Value::Null, |k| Value::String(k.as_str().to_string())),
        ),
        ("n", num(e.n as f64)),
        ("reader_auc", n(e.reader_figures.auc)),
        ("reader_sensitivity", n(e.reader_figures.sensitivity)),
        ("reader_specificity", n(e.reader_figures.specificity)),
        ("model_auc", n(e.model.auc)),
        ("model_sensitivity", n(e.model.sensitivity)),
        ("model_specificity", n(e.model.specificity)),
        ("delta_auc", delta(e.delta_auc.as_ref())),
        ("delta_sensitivity", delta(e.delta_sensitivity.as_ref())),
        ("delta_specificity", delta(e.delta_specificity.as_ref())),
        ("noninferior", Value::Bool(e.noninferior)),
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
/// whose first image has that value, each with its difference from the rest of the
/// units ([`crate::metrics::subgroup`]).
///
/// Where some patient has several units (`f.clustered`), the intervals are
/// patient-clustered, one bootstrap per attribute ([`cluster::subgroups::subgroups`],
/// the evidence's seed and resamples):
/// - a subgroup's own sensitivity, specificity and AUC intervals, where a patient has
///   several of its units, are bound by bound the wider of the clustered percentile
///   bootstrap's and Wilson's (DeLong's for the AUC), named `cluster-bootstrap+wilson`;
/// - its differences from the rest are the wider of the clustered bootstrap's and
///   Newcombe's, named `cluster-bootstrap+newcombe`, with the larger of the two p values.
///
/// Why the wider of the two and not the bootstrap alone (issue 15's first attempt,
/// reverted in f861ba6): a percentile bootstrap over a few patients under-covers — in an
/// age band of 8 patients whose positives are all detected every resample has
/// sensitivity 1, so the interval is [1, 1], narrower than Wilson's — while Wilson's and
/// Newcombe's intervals ignore the correlation of a patient's units and are too narrow
/// when it is strong. Each bound of the envelope is at least as far out as either
/// method's, so its coverage is at least either's. BCa would not mend the small groups
/// (a degenerate resampling distribution has no acceleration to correct). The minimum
/// sample ([`subgroup::MIN_UNITS`]) keeps the smallest groups out of every verdict anyway.
pub fn subgroups(
    f: &FindingsEvidence,
    index: usize,
    r: &FindingResult,
    infos: &BTreeMap<&str, &ScanInfo>,
) -> Vec<Value> {
    subgroup_results(f, index, r, infos)
        .iter()
        .map(|g| registry::subgroup(g.attribute, &g.value, &g.metrics, &g.vs_rest))
        .collect()
}

/// One subgroup of a finding: what [`subgroups`] makes its record of.
#[derive(Debug, Clone, PartialEq)]
pub struct SubgroupResult {
    /// The attribute grouped by.
    pub attribute: &'static str,
    /// Its value for this group.
    pub value: String,
    /// The group's metrics (intervals widened where patients cluster).
    pub metrics: Metrics,
    /// Its differences from the rest, in [`subgroup::COMPARED`]'s order.
    pub vs_rest: Vec<Difference>,
}

/// [`subgroups`], typed: every attribute's groups, in [`GROUPS`]' order, then by value.
pub fn subgroup_results(
    f: &FindingsEvidence,
    index: usize,
    r: &FindingResult,
    infos: &BTreeMap<&str, &ScanInfo>,
) -> Vec<SubgroupResult> {
    // Patients numbered in the units' order, as the finding's own bootstrap numbers them
    // (a unit without a patient is its own cluster).
    let mut clusters: BTreeMap<String, u32> = BTreeMap::new();
    let cluster_of: Vec<u32> = f
        .units
        .iter()
        .map(|u| {
            let key = if u.patient.is_empty() {
                format!("unit:{}", u.key)
            } else {
                u.patient.clone()
            };
            let next = clusters.len() as u32;
            *clusters.entry(key).or_insert(next)
        })
        .collect();
    let k = clusters.len() as u32;
    let operating = cluster::Operating {
        threshold: r.threshold,
        inclusive: r.inclusive,
    };
    let mut out = Vec::new();
    for attribute in GROUPS {
        let Some(read) = bench::group_reader(attribute) else {
            continue;
        };
        let mut groups: BTreeMap<String, Vec<cluster::Unit>> = BTreeMap::new();
        for (u, &cluster) in f.units.iter().zip(&cluster_of) {
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
            groups
                .entry(value.to_string())
                .or_default()
                .push(cluster::Unit {
                    cluster,
                    label,
                    score: u.scores[index],
                });
        }
        let mut metrics: Vec<Metrics> = groups
            .values()
            .map(|units| {
                let cases: Vec<Scored> = units
                    .iter()
                    .map(|u| Scored {
                        label: u.label,
                        score: u.score,
                    })
                    .collect();
                compute(&cases, r.threshold, r.inclusive)
            })
            .collect();
        let table: Vec<Counts> = metrics.iter().map(Counts::of).collect();
        let total = table.iter().fold(Counts::default(), |a, g| a.plus(*g));
        let mut differences: Vec<Vec<Difference>> = table
            .iter()
            .map(|g| {
                let rest = total.minus(*g);
                subgroup::COMPARED
                    .iter()
                    .map(|&m| subgroup::unclustered(m, g, &rest))
                    .collect()
            })
            .collect();
        if f.clustered && k > 0 {
            let sides: Vec<&[cluster::Unit]> = groups.values().map(Vec::as_slice).collect();
            // The bootstrap refuses only non-finite scores, which evidence never holds;
            // were it to refuse, the subgroups keep Wilson's and Newcombe's intervals,
            // which name their method.
            if let Ok(ivs) =
                cluster::subgroups::subgroups(&sides, k, operating, f.resampling, subgroup::MARGIN)
            {
                for (g, iv) in ivs.iter().enumerate() {
                    if repeats_a_patient(sides[g]) {
                        widen(&mut metrics[g].sensitivity, iv.sensitivity);
                        widen(&mut metrics[g].specificity, iv.specificity);
                        if let Some(auc) = metrics[g].auc.as_mut() {
                            widen(auc, iv.auc);
                        }
                    }
                    for (j, d) in differences[g].iter_mut().enumerate() {
                        subgroup::widen(d, iv.differences[j], iv.at_or_below_margin[j]);
                    }
                }
            }
        }
        subgroup::adjust(&mut differences);
        for ((value, m), ds) in groups.keys().zip(metrics).zip(differences) {
            out.push(SubgroupResult {
                attribute,
                value: value.clone(),
                metrics: m,
                vs_rest: ds,
            });
        }
    }
    out
}

/// Whether some patient has several of these units.
fn repeats_a_patient(units: &[cluster::Unit]) -> bool {
    let distinct: BTreeSet<u32> = units.iter().map(|u| u.cluster).collect();
    distinct.len() < units.len()
}

/// Widens an estimate's interval to the clustered bootstrap's where that reaches
/// further, bound by bound; the method then names both (`cluster-bootstrap+wilson`).
fn widen(e: &mut Estimate, iv: Option<cluster::Interval>) {
    if let Some(iv) = iv {
        e.low = e.low.min(iv.low);
        e.high = e.high.max(iv.high);
        e.method = format!("{}+{}", subgroup::CLUSTER_PREFIX, e.method);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::cluster::Resampling;
    use crate::task::findings::units::UnitRow;
    use crate::task::findings::MacroAverage;

    /// 80 units of one finding, sex F for the first half and M for the second;
    /// `per_patient` units per patient.
    fn evidence(per_patient: usize) -> (FindingsEvidence, Vec<ScanInfo>) {
        let n = 80;
        let infos: Vec<ScanInfo> = (0..n)
            .map(|i| ScanInfo {
                file: format!("{i:02}.dcm"),
                sex: if i < n / 2 { "F" } else { "M" }.to_string(),
                ..ScanInfo::default()
            })
            .collect();
        let units: Vec<UnitRow> = (0..n)
            .map(|i| {
                let label = i % 2 == 0;
                // Every 7th positive is missed and every 9th negative flagged.
                let score = match (label, i % 7 == 0, i % 9 == 1) {
                    (true, true, _) => 0.2,
                    (true, false, _) => 0.8,
                    (false, _, true) => 0.7,
                    (false, _, false) => 0.1,
                };
                UnitRow {
                    key: format!("u{i}"),
                    patient: format!("p{}", i / per_patient),
                    images: vec![format!("{i:02}.dcm")],
                    chosen: None,
                    scores: vec![score],
                    released: None,
                    labels: vec![Some(label)],
                }
            })
            .collect();
        let ev = FindingsEvidence {
            unit: "study".into(),
            aggregate: "max".into(),
            label_key: "file".into(),
            units,
            patients: (n / per_patient) as u64,
            clustered: per_patient > 1,
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
            readers: None,
        };
        (ev, infos)
    }

    fn sexes(f: &FindingsEvidence, infos: &[ScanInfo]) -> Vec<SubgroupResult> {
        let by_file: BTreeMap<&str, &ScanInfo> =
            infos.iter().map(|i| (i.file.as_str(), i)).collect();
        subgroup_results(f, 0, &f.findings[0], &by_file)
            .into_iter()
            .filter(|g| g.attribute == "PatientSex")
            .collect()
    }

    #[test]
    fn unclustered_groups_keep_wilson_and_newcombe() {
        let (f, infos) = evidence(1);
        let groups = sexes(&f, &infos);
        assert_eq!(groups.len(), 2);
        for g in &groups {
            assert_eq!(g.metrics.sensitivity.method, "wilson");
            assert_eq!(g.vs_rest.len(), 3);
            for d in &g.vs_rest {
                assert_eq!(d.method, subgroup::NEWCOMBE);
                assert!(d.assessable, "{d:?}");
                // Two groups, three metrics each, all assessable.
                assert_eq!(d.family, 6);
                assert!(d.p_holm.is_some());
            }
        }
        // F − M is minus M − F.
        let (a, b) = (&groups[0].vs_rest[0], &groups[1].vs_rest[0]);
        assert_eq!(a.value.map(|v| -v), b.value);
    }

    /// Where patients have several units, the intervals are the wider of the clustered
    /// bootstrap's and Wilson's (Newcombe's for the differences): never narrower than the
    /// unclustered ones, which was the reverted attempt's fault.
    #[test]
    fn clustered_groups_are_never_narrower_than_wilson_and_newcombe() {
        let (f, infos) = evidence(4);
        let groups = sexes(&f, &infos);
        let (plain, infos1) = evidence(1);
        let unclustered = sexes(&plain, &infos1);
        for (g, u) in groups.iter().zip(&unclustered) {
            let (s, w) = (&g.metrics.sensitivity, &u.metrics.sensitivity);
            assert_eq!(s.method, "cluster-bootstrap+wilson");
            assert!(s.low <= w.low && s.high >= w.high, "{s:?} vs {w:?}");
            for (d, n) in g.vs_rest.iter().zip(&u.vs_rest) {
                assert_eq!(d.method, subgroup::CLUSTERED);
                assert_eq!(d.value, n.value);
                assert!(d.low <= n.low && d.high >= n.high, "{d:?} vs {n:?}");
                assert!(d.p_noninferior >= n.p_noninferior, "{d:?} vs {n:?}");
            }
        }
        // The record carries them: its `vs_rest` names the method.
        let by_file: BTreeMap<&str, &ScanInfo> =
            infos.iter().map(|i| (i.file.as_str(), i)).collect();
        let records = subgroups(&f, 0, &f.findings[0], &by_file);
        let text = format!("{records:?}");
        assert!(text.contains("cluster-bootstrap+newcombe"), "{text}");
    }

    #[test]
    fn a_group_under_the_minimum_is_not_assessable() {
        let (f, mut infos) = evidence(1);
        // Only 10 of the 80 units are M: M is thin, F is not (and F's rest is M).
        for (i, info) in infos.iter_mut().enumerate() {
            info.sex = if i < 70 { "F" } else { "M" }.to_string();
        }
        let groups = sexes(&f, &infos);
        let m = groups.iter().find(|g| g.value == "M").expect("M");
        assert!(m
            .vs_rest
            .iter()
            .all(|d| !d.assessable && d.p_holm.is_none()));
        let fem = groups.iter().find(|g| g.value == "F").expect("F");
        assert!(fem.vs_rest.iter().all(|d| d.assessable && d.family == 3));
    }
}
