//! The subgroup section of the clinical performance report: each group against the rest
//! of the scans ([`clic_runner::metrics::subgroup`], the same computation as the
//! `vs_rest` facts the parity controls read), whether it is assessable, and how many
//! comparisons were made with what multiplicity adjustment.

use crate::performance::{DifferenceView, SubgroupRow, SubgroupTable};
use crate::shown::method_name;
use clic_runner::bench::BenchEvidence;
use clic_runner::evidence::{Evidence, Status};
use clic_runner::facts::findings::subgroup_results;
use clic_runner::metrics::subgroup::{
    self, against_rest, Compared, Counts, Difference, MIN_NEGATIVES, MIN_POSITIVES, MIN_UNITS,
};
use clic_runner::metrics::Metrics;
use clic_runner::task::findings::FindingsEvidence;
use serde::Serialize;
use std::collections::BTreeMap;

/// A difference in percentage points with one decimal and a true minus sign.
fn points(x: f64) -> String {
    let s = format!("{:+.1}", x * 100.0);
    s.replace('-', "−")
}

/// Why a group is not assessable for `metric`, in words.
fn thin(metric: Compared) -> String {
    match metric {
        Compared::Sensitivity => {
            format!("fewer than {MIN_UNITS} scans or {MIN_POSITIVES} positives")
        }
        Compared::Specificity => {
            format!("fewer than {MIN_UNITS} scans or {MIN_NEGATIVES} negatives")
        }
        Compared::Accuracy => format!("fewer than {MIN_UNITS} scans"),
    }
}

/// One difference as the report shows it.
pub fn view(d: &Difference) -> DifferenceView {
    let interval = d
        .value
        .map(|v| format!("{} ({} to {})", points(v), points(d.low), points(d.high)));
    let shown = match (&interval, d.assessable) {
        (Some(i), true) => i.clone(),
        (Some(i), false) => format!("{i}, not assessable ({})", thin(d.metric)),
        (None, _) => "n/a (no case on one side)".to_string(),
    };
    DifferenceView {
        shown,
        assessable: d.assessable,
        method: if d.value.is_some() {
            method_name(&d.method)
        } else {
            String::new()
        },
        p_holm: d
            .p_holm
            .map_or_else(|| "—".to_string(), |p| format!("{p:.4}")),
    }
}

/// The table of one attribute's subgroups, each row made by `row` and given its
/// differences from the rest.
pub fn table(
    attribute: &'static str,
    scored: &[(String, Metrics)],
    row: impl Fn(String, &Metrics) -> SubgroupRow,
) -> SubgroupTable {
    let counts: Vec<Counts> = scored.iter().map(|(_, m)| Counts::of(m)).collect();
    let vs_rest = against_rest(&counts);
    let comparisons = vs_rest
        .first()
        .and_then(|ds| ds.first())
        .map_or(0, |d| d.family);
    let not_assessable = vs_rest.iter().flatten().filter(|d| !d.assessable).count() as u64;
    let groups = scored
        .iter()
        .zip(&vs_rest)
        .map(|((value, m), ds)| {
            let mut r = row(value.clone(), m);
            r.vs_rest = ds
                .iter()
                .map(|d| (d.metric.name(), view(d)))
                .collect::<BTreeMap<_, _>>();
            r
        })
        .collect();
    SubgroupTable {
        attribute,
        groups,
        comparisons,
        not_assessable,
    }
}

/// The statement on multiplicity: how many subgroup comparisons were made, how many
/// groups could not be assessed, and what adjustment applies, with whether the Holm
/// policy (`multiplicity.subgroups`) is in force and its verdict.
pub fn multiplicity(tables: &[SubgroupTable], evidence: &Evidence) -> String {
    let made: u64 = tables.iter().map(|t| t.comparisons).sum();
    let thin: u64 = tables.iter().map(|t| t.not_assessable).sum();
    let attributes = tables.iter().filter(|t| t.comparisons > 0).count();
    let method = format!(
        "{}, the scans taken as independent",
        method_name(subgroup::NEWCOMBE)
    );
    statement(made, thin, attributes, &method, "scans", evidence)
}

/// The words of [`multiplicity`] and [`findings`].
fn statement(
    made: u64,
    thin: u64,
    attributes: usize,
    method: &str,
    units: &str,
    evidence: &Evidence,
) -> String {
    let holm: Vec<_> = evidence
        .results
        .iter()
        .filter(|r| r.id.starts_with("multiplicity.subgroups."))
        .collect();
    let adjustment = if holm.is_empty() {
        "The policy multiplicity.subgroups, which holds every comparison to its Holm-adjusted p value, is not in force.".to_string()
    } else {
        let passed = holm
            .iter()
            .all(|r| matches!(r.status, Status::Passed | Status::Skipped));
        format!(
            "The policy multiplicity.subgroups is in force and holds every comparison to its Holm-adjusted p value: {}.",
            if passed { "it passes" } else { "it does **not** pass" }
        )
    };
    format!(
        "Each group is compared with the rest of the {units} (group − rest), on sensitivity, specificity and accuracy; the 95% interval of the difference ({method}) is the parity controls' evidence, which pass a group when the lower end is above −{margin:.0} points. {made} assessable comparisons were made over {attributes} attributes; {thin} more were not assessable (a group needs {MIN_UNITS} {units}, and {MIN_POSITIVES} positives for the sensitivity or {MIN_NEGATIVES} negatives for the specificity) and are no evidence either way: the subgroup-evidence controls report them. The parity gate requires every assessable comparison it reads to pass, an intersection-union test whose error does not grow with the number of comparisons, so no adjustment applies to it; each comparison's Holm-adjusted one-sided p value of lagging by {margin:.0} points, over the comparisons of its attribute, is in the evidence (p_holm) for reading a group's result on its own. {adjustment}",
        margin = subgroup::MARGIN * 100.0,
    )
}

/// The attributes whose groups the standard parity controls judge, as the findings'
/// subgroup tables show them.
const JUDGED: [&str; 3] = ["PatientSex", "AgeBand", "Manufacturer"];

/// Every finding's subgroups against the rest, with the statement on multiplicity.
#[derive(Debug, Serialize)]
pub struct FindingsSubgroups {
    /// How many comparisons, how many not assessable, what adjustment applies.
    pub statement: String,
    /// One table per finding.
    pub findings: Vec<FindingSubgroupTable>,
}

/// One finding's subgroups.
#[derive(Debug, Serialize)]
pub struct FindingSubgroupTable {
    /// The finding.
    pub name: String,
    /// Its groups by sex, age band and manufacturer.
    pub groups: Vec<FindingGroupRow>,
}

/// One group of one finding.
#[derive(Debug, Serialize)]
pub struct FindingGroupRow {
    /// The attribute.
    pub attribute: &'static str,
    /// Its value.
    pub value: String,
    /// Units.
    pub n: u64,
    /// Positive units.
    pub positives: u64,
    /// Negative units.
    pub negatives: u64,
    /// Its differences from the rest, by metric.
    pub vs_rest: BTreeMap<&'static str, DifferenceView>,
}

/// The findings' subgroup tables: the same computation as each finding's `subgroups`
/// facts ([`clic_runner::facts::findings::subgroup_results`]).
pub fn findings(
    ev: &BenchEvidence,
    f: &FindingsEvidence,
    evidence: &Evidence,
) -> FindingsSubgroups {
    let infos = ev
        .rows
        .iter()
        .map(|r| (r.info.file.as_str(), &r.info))
        .collect();
    let (mut made, mut thin) = (0u64, 0u64);
    let mut tables = Vec::new();
    for (i, r) in f.findings.iter().enumerate() {
        let all = subgroup_results(f, i, r, &infos);
        let mut families: BTreeMap<&str, u64> = BTreeMap::new();
        let mut groups = Vec::new();
        for g in all.iter().filter(|g| JUDGED.contains(&g.attribute)) {
            if let Some(d) = g.vs_rest.first() {
                families.insert(g.attribute, d.family);
            }
            thin += g.vs_rest.iter().filter(|d| !d.assessable).count() as u64;
            groups.push(FindingGroupRow {
                attribute: g.attribute,
                value: g.value.clone(),
                n: g.metrics.n,
                positives: g.metrics.positives,
                negatives: g.metrics.negatives,
                vs_rest: g
                    .vs_rest
                    .iter()
                    .map(|d| (d.metric.name(), view(d)))
                    .collect(),
            });
        }
        made += families.values().sum::<u64>();
        tables.push(FindingSubgroupTable {
            name: r.name.clone(),
            groups,
        });
    }
    let method = if f.clustered {
        format!(
            "{}, {} resamples of the patients, seed {:#x}",
            method_name(subgroup::CLUSTERED),
            f.resampling.resamples,
            f.resampling.seed
        )
    } else {
        method_name(subgroup::NEWCOMBE)
    };
    FindingsSubgroups {
        statement: statement(made, thin, JUDGED.len(), &method, "units", evidence),
        findings: tables,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thin_group_reads_as_not_assessable() {
        let d = subgroup::unclustered(
            Compared::Sensitivity,
            &Counts {
                tp: 2,
                fp: 0,
                tn: 0,
                fn_: 2,
            },
            &Counts {
                tp: 90,
                fp: 0,
                tn: 0,
                fn_: 10,
            },
        );
        let v = view(&d);
        assert!(!v.assessable);
        assert!(v.shown.contains("not assessable"), "{}", v.shown);
        assert!(v.shown.starts_with("−40.0"), "{}", v.shown);
    }
}
