//! The clinical performance report of several findings per unit of analysis: the unit
//! and its aggregation rule (STARD 10a, 17), each finding's cross-tabulation, estimates
//! and claims with the method of every interval (STARD 23, 24), the averages over
//! findings, and the comparison with the released version with its tests and margins.

use crate::shown::{claim_shown, estimate, method_name, pct};
use clic_runner::task::findings::compare::Delta;
use clic_runner::task::findings::readers::{ReadKind, ReadersComparison};
use clic_runner::task::findings::{FindingsEvidence, MacroAverage};
use serde::Serialize;
use std::collections::BTreeMap;

/// The report's context.
#[derive(Debug, Serialize)]
pub struct FindingsReport {
    /// The unit of analysis: image, study or patient.
    pub unit: String,
    /// How a unit's score is made from its images'.
    pub aggregate: String,
    /// What the labels file's rows are keyed by.
    pub label_key: String,
    /// Units scored.
    pub units: usize,
    /// How many findings.
    pub finding_count: usize,
    /// Patients they belong to.
    pub patients: u64,
    /// How the intervals were computed, in words.
    pub intervals: String,
    /// Each finding.
    pub findings: Vec<FindingView>,
    /// The macro and micro averages.
    pub averages: Vec<AverageRow>,
    /// The comparison with the released version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare: Option<CompareView>,
    /// The comparison with the readers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readers: Option<ReadersView>,
    /// What the labels file leaves out, in words (empty when nothing).
    pub label_issues: Vec<String>,
    /// Each finding's subgroups against the rest, with the statement on multiplicity
    /// (set by the caller, which has the scans' attributes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subgroups: Option<crate::subgroups::FindingsSubgroups>,
}

/// One finding.
#[derive(Debug, Serialize)]
pub struct FindingView {
    /// Its name.
    pub name: String,
    /// What a positive means.
    pub positive: String,
    /// Its operating point, as `>= 0.4`.
    pub threshold: String,
    /// Units scored but not labelled for it.
    pub unlabelled: u64,
    /// Whether it has estimates.
    pub measured: bool,
    /// TP, FP, FN, TN, positives, negatives, n.
    pub crosstab: [u64; 7],
    /// Every proportion of the registry.
    pub metrics: Vec<crate::performance::MetricRow>,
    /// Brier score and ECE.
    pub brier: String,
    /// Expected calibration error.
    pub ece: String,
    /// Its prevalence in the reference set (`33.0%`), at which its PPV, NPV, accuracy and
    /// F1 hold; empty when it has no estimates.
    pub prevalence: String,
    /// Its PPV and NPV at each deployment prevalence declared for it.
    pub at_prevalence: Vec<crate::performance::AtPrevalenceRow>,
    /// Why there are none: no prevalence declared, or a class absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_prevalence_gap: Option<crate::context::Filled>,
    /// Its claims with their verdicts.
    pub claims: Vec<ClaimRow>,
}

/// One estimate, formatted.
#[derive(Debug, Serialize)]
pub struct Row {
    /// What it is.
    pub name: String,
    /// The point estimate.
    pub value: String,
    /// `low–high`.
    pub ci: String,
    /// The interval's method, in words.
    pub method: String,
    /// `successes/n` or `n = n`.
    pub count: String,
}

/// A claim on a finding and its verdict (the evidence's, which
/// `mdr.performance.finding-claims` reads).
#[derive(Debug, Serialize)]
pub struct ClaimRow {
    /// The metric.
    pub metric: String,
    /// The claim as written.
    pub claimed: String,
    /// `met` or `NOT MET`.
    pub verdict: &'static str,
}

/// An average over the findings.
#[derive(Debug, Serialize)]
pub struct AverageRow {
    /// `Macro sensitivity`, ...
    pub name: String,
    /// The estimate.
    #[serde(flatten)]
    pub row: Row,
}

/// The comparison with the released version.
#[derive(Debug, Serialize)]
pub struct CompareView {
    /// Its file.
    pub path: String,
    /// Its version, or `not stated`.
    pub version: String,
    /// sha256 of the file scored.
    pub sha256: String,
    /// Whether every margin holds.
    pub noninferior: bool,
    /// One row per finding.
    pub findings: Vec<CompareRow>,
}

/// The comparison with the readers.
#[derive(Debug, Serialize)]
pub struct ReadersView {
    /// The readers' CSV.
    pub path: String,
    /// Its sha256.
    pub sha256: String,
    /// The readers, in the CSV's order.
    pub readers: String,
    /// How many readers.
    pub reader_count: usize,
    /// Rows of the CSV.
    pub rows: u64,
    /// Whether every margin holds.
    pub noninferior: bool,
    /// The declared margins, in words (`none declared` when none).
    pub margins: String,
    /// Margins no finding could decide, in words (empty when none).
    pub unverified: String,
    /// One row per finding and reader, the pool first.
    pub entries: Vec<ReaderRow>,
    /// Findings the readers did not read, in words (empty when none).
    pub unread: String,
}

/// The model against one reader, or the readers pooled, on one finding.
#[derive(Debug, Serialize)]
pub struct ReaderRow {
    /// The finding.
    pub finding: String,
    /// The reader, or `readers pooled (3)`.
    pub reader: String,
    /// `calls` or `scores`.
    pub kind: String,
    /// Units paired.
    pub n: u64,
    /// The reader's figures, in words.
    pub reader_figures: String,
    /// The model's on the same units.
    pub model: String,
    /// The difference(s) with interval, method and test.
    pub delta: String,
    /// The margins and whether each holds.
    pub margins: String,
}

/// One finding compared.
#[derive(Debug, Serialize)]
pub struct CompareRow {
    /// The finding.
    pub name: String,
    /// Units scored by both and labelled.
    pub n: u64,
    /// Candidate − released AUC, its interval, method and test.
    pub delta_auc: String,
    /// Candidate − released sensitivity.
    pub delta_sensitivity: String,
    /// Candidate − released specificity.
    pub delta_specificity: String,
    /// Positive rates at each version's threshold.
    pub positive_rates: String,
    /// The Kolmogorov-Smirnov distance between the two versions' scores.
    pub score_shift: String,
    /// Each margin and whether it holds.
    pub margins: String,
}

fn row(name: String, e: &clic_runner::metrics::Estimate, percent: bool) -> Row {
    let v = estimate(e, percent);
    Row {
        name,
        value: v.value,
        ci: v.ci,
        method: v.method,
        count: v.count,
    }
}

fn delta(d: Option<&Delta>, points: bool) -> String {
    let Some(d) = d else {
        return "undefined (a class is absent)".to_string();
    };
    let f = |x: f64| {
        if points {
            format!("{:+.1} points", x * 100.0)
        } else {
            format!("{x:+.3}")
        }
    };
    let p = match (d.p_value, d.mid_p_value) {
        (Some(p), Some(mid)) => format!("{} p = {p:.4}, mid-p = {mid:.4}", d.test),
        (Some(p), None) => format!("{} p = {p:.4}", d.test),
        (None, _) if d.test.starts_with("none") => d.test.clone(),
        (None, _) => format!("{}: undefined", d.test),
    };
    format!(
        "{} ({} to {}; {}); {p}",
        f(d.value),
        f(d.low),
        f(d.high),
        method_name(&d.method)
    )
}

fn margin_text(m: &clic_runner::task::findings::compare::Margin) -> String {
    format!(
        "{} by {}: {}",
        m.metric,
        margin_amount(&m.metric, m.margin),
        if m.met { "holds" } else { "DOES NOT HOLD" }
    )
}

fn margin_amount(metric: &str, margin: f64) -> String {
    if metric == "auc" {
        format!("{margin}")
    } else {
        format!("{} points", (margin * 1000.0).round() / 10.0)
    }
}

/// The comparison with the readers, one row per finding and reader.
fn readers_view(r: &ReadersComparison) -> ReadersView {
    let figures = |f: &clic_runner::task::findings::compare::Figures| {
        let mut parts = Vec::new();
        if let Some(a) = f.auc {
            parts.push(format!("AUC {a:.3}"));
        }
        if let Some(s) = f.sensitivity {
            parts.push(format!("sensitivity {}", pct(s)));
        }
        if let Some(s) = f.specificity {
            parts.push(format!("specificity {}", pct(s)));
        }
        if parts.is_empty() {
            "undefined (a class is absent)".to_string()
        } else {
            parts.join(", ")
        }
    };
    let mut entries = Vec::new();
    let mut unread = Vec::new();
    for f in &r.findings {
        let Some(kind) = f.kind else {
            unread.push(f.name.clone());
            continue;
        };
        for e in &f.entries {
            let delta_text = match kind {
                ReadKind::Scores => format!("ΔAUC {}", delta(e.delta_auc.as_ref(), false)),
                ReadKind::Calls => format!(
                    "Δsensitivity {}; Δspecificity {}",
                    delta(e.delta_sensitivity.as_ref(), true),
                    delta(e.delta_specificity.as_ref(), true)
                ),
            };
            entries.push(ReaderRow {
                finding: f.name.clone(),
                reader: if e.pooled {
                    format!("readers pooled ({})", e.readers)
                } else {
                    e.reader.clone()
                },
                kind: kind.as_str().to_string(),
                n: e.n,
                reader_figures: figures(&e.reader_figures),
                model: figures(&e.model),
                delta: delta_text,
                margins: match (e.margins.is_empty(), e.pooled) {
                    (true, _) => "none applies".to_string(),
                    (false, pooled) => {
                        let text = e
                            .margins
                            .iter()
                            .map(margin_text)
                            .collect::<Vec<_>>()
                            .join("; ");
                        // The verdict is the pool's; a reader's own is for reading only.
                        if pooled {
                            text
                        } else {
                            format!("(this reader alone, not the verdict) {text}")
                        }
                    }
                },
            });
        }
        if f.entries.is_empty() {
            unread.push(format!("{} (no unit read is labelled for it)", f.name));
        }
    }
    ReadersView {
        path: r.path.clone(),
        sha256: r.sha256.clone(),
        readers: r.readers.join(", "),
        reader_count: r.readers.len(),
        rows: r.rows,
        noninferior: r.noninferior,
        margins: if r.margins.is_empty() {
            "none declared".to_string()
        } else {
            r.margins
                .iter()
                .map(|(m, v)| format!("{m} by {}", margin_amount(m, *v)))
                .collect::<Vec<_>>()
                .join(", ")
        },
        unverified: r.unverified_margins.join(", "),
        entries,
        unread: unread.join(", "),
    }
}

fn averages(title: &str, a: &MacroAverage, out: &mut Vec<AverageRow>) {
    for (name, e, percent) in [
        ("sensitivity", &a.sensitivity, true),
        ("specificity", &a.specificity, true),
        ("ROC AUC", &a.auc, false),
    ] {
        if let Some(e) = e {
            out.push(AverageRow {
                name: format!("{title} {name}"),
                row: row(format!("{title} {name}"), e, percent),
            });
        }
    }
}

/// The report of a multi-finding evidence, with the manifest's claims on each finding.
pub fn report(
    f: &FindingsEvidence,
    claims: &BTreeMap<String, BTreeMap<String, f64>>,
) -> FindingsReport {
    let findings = f
        .findings
        .iter()
        .map(|r| {
            let m = r.metrics.as_ref();
            FindingView {
                name: r.name.clone(),
                positive: r.positive.clone(),
                threshold: format!("{} {}", if r.inclusive { ">=" } else { ">" }, r.threshold),
                unlabelled: r.unlabelled,
                measured: m.is_some(),
                crosstab: m.map_or([0; 7], |m| {
                    [m.tp, m.fp, m.fn_, m.tn, m.positives, m.negatives, m.n]
                }),
                metrics: m.map(crate::context::metrics_rows).unwrap_or_default(),
                brier: m.map_or_else(|| "n/a".to_string(), |m| format!("{:.4}", m.brier)),
                ece: m.map_or_else(|| "n/a".to_string(), |m| format!("{:.4}", m.ece.value)),
                prevalence: String::new(),
                at_prevalence: Vec::new(),
                at_prevalence_gap: None,
                claims: Vec::new(),
            }
            .with_claims(r, claims.get(&r.name))
        })
        .collect();
    let mut avg = Vec::new();
    averages("Macro", &f.macro_average, &mut avg);
    averages("Micro", &f.micro_average, &mut avg);
    let compare = f.compare.as_ref().map(|c| CompareView {
        path: c.path.clone(),
        version: c
            .version
            .clone()
            .unwrap_or_else(|| "not stated".to_string()),
        sha256: c.model_sha256.clone(),
        noninferior: c.noninferior,
        findings: c
            .findings
            .iter()
            .map(|fc| CompareRow {
                name: fc.name.clone(),
                n: fc.n,
                delta_auc: delta(fc.delta_auc.as_ref(), false),
                delta_sensitivity: delta(fc.delta_sensitivity.as_ref(), true),
                delta_specificity: delta(fc.delta_specificity.as_ref(), true),
                positive_rates: format!(
                    "{} at {} (released {} at {})",
                    pct(fc.positive_rate.0),
                    fc.threshold,
                    pct(fc.positive_rate.1),
                    fc.released_threshold
                ),
                score_shift: format!("{:.3}", fc.score_shift),
                margins: if fc.margins.is_empty() {
                    "none declared".to_string()
                } else {
                    fc.margins
                        .iter()
                        .map(|m| {
                            format!(
                                "{} by {}: {}",
                                m.metric,
                                if m.metric == "auc" {
                                    format!("{}", m.margin)
                                } else {
                                    format!("{} points", (m.margin * 1000.0).round() / 10.0)
                                },
                                if m.met { "holds" } else { "DOES NOT HOLD" }
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            })
            .collect(),
    });
    let readers = f.readers.as_ref().map(readers_view);
    let mut label_issues = Vec::new();
    if !f.unknown_findings.is_empty() {
        label_issues.push(format!(
            "label columns naming no finding: {}",
            f.unknown_findings.join(", ")
        ));
    }
    if !f.missing_findings.is_empty() {
        label_issues.push(format!(
            "findings without a label column: {}",
            f.missing_findings.join(", ")
        ));
    }
    if f.labels_without_unit > 0 {
        label_issues.push(format!(
            "{} label rows match no scan",
            f.labels_without_unit
        ));
    }
    FindingsReport {
        unit: f.unit.clone(),
        aggregate: f.aggregate.clone(),
        label_key: f.label_key.clone(),
        units: f.units.len(),
        finding_count: f.findings.len(),
        patients: f.patients,
        intervals: if f.clustered {
            format!(
                "Patients contribute several units, so the intervals of sensitivity, specificity and ROC AUC are patient-clustered percentile bootstrap intervals ({} resamples of the {} patients, seed {:#x}); the other proportions keep their Wilson or percentile-bootstrap intervals, which treat the units as independent, as their method column says.",
                f.resampling.resamples, f.patients, f.resampling.seed
            )
        } else {
            "Every patient contributes one unit: the intervals are those of independent units (Wilson, DeLong), as their method column says; the averages over findings are patient-clustered percentile bootstrap intervals.".to_string()
        },
        findings,
        averages: avg,
        compare,
        readers,
        label_issues,
        subgroups: None,
    }
}

impl FindingView {
    /// Its claims, from the manifest, with the evidence's verdict on each (the one
    /// `mdr.performance.finding-claims` reads).
    fn with_claims(
        mut self,
        r: &clic_runner::task::findings::FindingResult,
        claims: Option<&BTreeMap<String, f64>>,
    ) -> Self {
        self.claims = claims
            .into_iter()
            .flatten()
            .map(|(metric, bound)| ClaimRow {
                metric: metric.clone(),
                claimed: match clic_compiler::schema::metrics::metric(metric).map(|d| d.bound) {
                    Some(clic_compiler::schema::metrics::Bound::Upper) => {
                        format!("at most {}", claim_shown(metric, *bound))
                    }
                    _ => claim_shown(metric, *bound),
                },
                verdict: if r
                    .claims_unmet
                    .iter()
                    .any(|u| u.split(' ').next() == Some(metric.as_str()))
                {
                    "NOT MET"
                } else {
                    "met"
                },
            })
            .collect();
        self
    }
}

impl FindingsReport {
    /// The benchmark summary of Annex II and AI Act Annex IV: a line per finding, each
    /// claim with the measured value, its 95% interval and the interval's method (a
    /// finding without claims gives its sensitivity, specificity and AUC).
    pub fn summary(&self) -> String {
        let lines: Vec<String> = self
            .findings
            .iter()
            .map(|f| {
                let shown = |metric: &str| -> String {
                    let label = clic_compiler::schema::metrics::metric(metric).map(|d| d.label);
                    match metric {
                        "brier" => format!("{} (point estimate)", f.brier),
                        _ => f
                            .metrics
                            .iter()
                            .find(|r| Some(r.name) == label)
                            .map_or_else(
                                || "not measured".to_string(),
                                |r| {
                                    format!(
                                        "{} (95% CI {}, {})",
                                        r.estimate.value, r.estimate.ci, r.estimate.method
                                    )
                                },
                            ),
                    }
                };
                let parts: Vec<String> = if f.claims.is_empty() {
                    ["sensitivity", "specificity", "auc"]
                        .iter()
                        .map(|m| format!("{m} {}", shown(m)))
                        .collect()
                } else {
                    f.claims
                        .iter()
                        .map(|c| {
                            format!(
                                "{} claimed {}, measured {}, {}",
                                c.metric,
                                c.claimed,
                                shown(&c.metric),
                                c.verdict
                            )
                        })
                        .collect()
                };
                format!("{}: {}", f.name, parts.join("; "))
            })
            .collect();
        format!(
            "On the reference set of {} {} units of {} patients, per finding: {}. See the clinical performance report.",
            self.units,
            self.unit,
            self.patients,
            lines.join(". ")
        )
    }
}
