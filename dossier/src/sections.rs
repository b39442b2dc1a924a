//! The regulatory documents' sections: MDR Annex II items, the Annex III surveillance
//! plan, the GSPR checklist, AI Act Annex IV items, the documents the manifest names,
//! and the gap report's clauses. The catalogues of requirements come from
//! [`crate::catalogue`]; this module fills each requirement from the inputs — the
//! manifest, the documents, the benchmark and the check results — or names the gap.

use crate::catalogue::covers;
use crate::context::{status_word, Filled, Gaps};
use crate::performance::Benchmark;
use crate::regulatory::{
    AnnexIII, Answer, DocumentRow, GsprRow, Indicator, Regulatory, Texts, UncoveredClause,
};
use crate::rows::CoveringControl;
use crate::sources::Sources;
use crate::views::{find_section, DocView};
use clic_compiler::plan::Plan;
use clic_runner::documents::sections::ai_questionnaire;
use clic_runner::evidence::{Evidence, Status};

fn approval(d: &DocView) -> Option<String> {
    if !d.exists {
        return None;
    }
    let mut parts = Vec::new();
    if let Some(v) = &d.version {
        parts.push(format!("version {v}"));
    }
    if let Some(a) = &d.approved_by {
        parts.push(format!("approved by {a}"));
    }
    if let Some(t) = &d.date {
        parts.push(format!("dated {t}"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Every kind of document, for every template: declared or not, present or not,
/// its approval, the headings its template asks for that it lacks, and its unanswered
/// questions. Each shortfall is a gap.
pub fn documents(docs: &[DocView], gaps: &mut Gaps) -> Vec<DocumentRow> {
    let doc = "annex-ii.md";
    docs.iter()
        .map(|d| {
            let state = if !d.declared {
                gaps.gap(
                    doc,
                    &format!("{} ({})", d.title, d.kind),
                    &format!("the manifest names no {} document", d.kind),
                )
            } else if !d.exists {
                gaps.gap(
                    doc,
                    &format!("{} ({})", d.title, d.kind),
                    &format!("the manifest names {}, which does not exist", d.path),
                )
            } else {
                gaps.fill(
                    doc,
                    &format!("Approval of {} ({})", d.title, d.kind),
                    approval(d),
                    &format!(
                        "{} records no version, approver or date in its front matter",
                        d.path
                    ),
                )
            };
            if d.exists {
                for h in &d.missing_headings {
                    gaps.gap(
                        doc,
                        &format!("{} ({}): {h}", d.title, d.kind),
                        &format!("{} lacks this heading of its template", d.path),
                    );
                }
                for q in &d.unanswered {
                    gaps.gap(
                        "ai-act-annex-iv.md",
                        &format!("{} ({}): {q}", d.title, d.kind),
                        &format!("{} leaves it unanswered", d.path),
                    );
                }
            }
            DocumentRow {
                kind: d.kind.clone(),
                title: d.title.clone(),
                path: if d.path.is_empty() {
                    "not named by the manifest".to_string()
                } else {
                    d.path.clone()
                },
                declared: d.declared,
                exists: d.exists,
                state,
                headings: d.headings.clone(),
            }
        })
        .collect()
}

/// The short texts other templates need from the documents.
pub fn texts(docs: &[DocView], gaps: &mut Gaps) -> Texts {
    let doc = "clinical-performance.md";
    Texts {
        reference_standard: gaps.fill(
            doc,
            "Reference standard (STARD 10b)",
            crate::fill::gather(docs, &[ai_questionnaire::Q4_1, ai_questionnaire::Q4_2, ai_questionnaire::Q4_3])
                .or_else(|| find_section(docs, &[], &["reference standard", "ground truth", "annotation"])),
            "no document the manifest names has a section on the reference standard (a heading with \"reference standard\", \"ground truth\" or \"annotation\")",
        ),
        sample_size: gaps.fill(
            doc,
            "Sample size (STARD 18)",
            find_section(docs, &[], &["sample size"])
                .or_else(|| crate::fill::gather(docs, &[ai_questionnaire::Q3_2])),
            "no document the manifest names has a \"sample size\" section or answers the AI questionnaire's 3.2 (sufficiency of the data)",
        ),
    }
}

/// Controls whose citations match, with their results.
fn controls_citing<'a>(
    plan: &'a Plan,
    evidence: &Evidence,
    matches: &dyn Fn(&str, &str) -> bool,
) -> Vec<CoveringControl<'a>> {
    plan.checks
        .iter()
        .filter(|c| c.citations.iter().any(|x| matches(&x.framework, &x.clause)))
        .map(|c| {
            let r = evidence.results.iter().find(|r| r.id == c.id);
            CoveringControl {
                id: &c.id,
                title: &c.title,
                status: r.map_or("not run at this stage", |r| status_word(r.status)),
                passed: r.is_some_and(|r| r.status == Status::Passed),
                result_sha256: r.map(crate::context::result_hash).unwrap_or_default(),
            }
        })
        .collect()
}

/// The regulatory sections of every template.
pub fn regulatory<'a>(
    src: &Sources<'a>,
    docs: &[DocView],
    benchmark: &Benchmark<'_>,
    gaps: &mut Gaps,
) -> Regulatory<'a> {
    let questionnaire = questionnaire(docs);
    let no_questionnaire = questionnaire.is_empty().then(|| {
        gaps.gap(
            "ai-act-annex-iv.md",
            "Data governance questionnaire (Team-NB / IG-NB)",
            "no questionnaire document (ai_questionnaire, dpia) that the manifest names holds answers",
        )
    });
    Regulatory {
        annex_ii: crate::adapt::annex_ii(src, docs, benchmark, gaps),
        annex_iii: annex_iii(src, docs, benchmark, gaps),
        gspr: gspr(src, docs),
        ai_act: crate::adapt::ai_act(src, docs, benchmark, gaps),
        questionnaire,
        no_questionnaire,
    }
}

fn questionnaire(docs: &[DocView]) -> Vec<Answer> {
    docs.iter()
        .filter(|d| d.exists)
        .flat_map(|d| {
            d.answers.iter().map(move |(q, a)| Answer {
                question: q.clone(),
                answer: if a.trim().is_empty() {
                    Filled::marker("not answered")
                } else {
                    Filled::Text(a.clone())
                },
                source: d.path.clone(),
            })
        })
        .collect()
}

/// The GSPR checklist: every requirement of the catalogue with the controls covering it,
/// the document sections that hold its evidence, how it is evidenced and a justification
/// of its own ([`crate::justify`]).
fn gspr<'a>(src: &Sources<'a>, docs: &[DocView]) -> Vec<GsprRow<'a>> {
    crate::adapt::gspr_items()
        .into_iter()
        .map(|g| {
            let cites = |fw: &str, clause: &str| fw == "mdr" && covers(clause, &g.reference);
            let controls = controls_citing(src.plan, src.evidence, &cites);
            let covering: Vec<crate::justify::Covering<'_>> = src
                .plan
                .checks
                .iter()
                .filter(|c| c.citations.iter().any(|x| cites(&x.framework, &x.clause)))
                .map(|c| crate::justify::Covering {
                    check: c,
                    result: src.evidence.results.iter().find(|r| r.id == c.id),
                })
                .collect();
            // A requirement a signature-verifying control covers is met only when that
            // control passes (crate::signatures): a signature nobody verified, or
            // another control's pass, does not evidence it.
            let ids: Vec<&str> = controls.iter().map(|c| c.id).collect();
            let signature = crate::signatures::verified(src.plan, src.evidence, &ids);
            let passing = signature.unwrap_or(true) && controls.iter().any(|c| c.passed);
            let verdict = match (g.applies, controls.is_empty(), passing) {
                _ if g.heading => "see its sub-items",
                (false, _, _) => "not applicable",
                (true, true, _) => "OPEN: no control of the policies in force covers it",
                (true, false, false) if signature == Some(false) => {
                    "OPEN: the release signature is not verified against the allowed signers"
                }
                (true, false, true) => "yes: a passing control covers it",
                (true, false, false) => "OPEN: no covering control passes",
            };
            let assessed = g.applies && !g.heading;
            let (documents, missing) = if assessed {
                crate::justify::citations(&g.reference, &covering, docs)
            } else {
                (Vec::new(), Vec::new())
            };
            let rationale = if assessed {
                crate::justify::justification(&covering, &documents, &missing)
            } else {
                g.rationale
            };
            let evidence = if assessed {
                crate::evidenced::of_requirement(src.plan, src.evidence, &g.reference)
                    .map_or("none", crate::evidenced::Kind::label)
            } else {
                "—"
            };
            GsprRow {
                applies: if g.heading {
                    "—"
                } else if g.applies {
                    "yes"
                } else {
                    "no"
                },
                reference: g.reference,
                title: g.title,
                rationale,
                method: g.method,
                standards: g.standards,
                controls,
                documents,
                evidence,
                verdict,
            }
        })
        .collect()
}

/// The Annex III plan: indicators and thresholds from the claims, the reporting cycle
/// from the class, and the catalogue's items filled from the documents.
fn annex_iii<'a>(
    src: &Sources<'a>,
    docs: &[DocView],
    benchmark: &Benchmark<'_>,
    gaps: &mut Gaps,
) -> AnnexIII<'a> {
    let spec = src.spec;
    let indicators: Vec<Indicator<'a>> = spec
        .claims
        .iter()
        .map(|(name, claimed)| {
            let observed = benchmark
                .measured
                .as_ref()
                .and_then(|m| m.claims.iter().find(|c| c.name == name))
                .map(|c| format!("{} ({})", c.observed.value(), c.observed.ci()))
                .unwrap_or_else(|| "not measured at release".to_string());
            let method = clic_compiler::schema::metrics::metric(name)
                .and_then(|d| d.monitoring)
                .unwrap_or("as at release, on the field data of the period");
            Indicator {
                name: name.as_str().into(),
                threshold: crate::shown::claim_shown(name, *claimed),
                baseline: observed,
                method,
            }
        })
        .chain(finding_indicators(spec, benchmark))
        .collect();
    let no_claims = spec.claims.is_empty() && spec.analysis.finding_claims.is_empty();
    let no_indicators = no_claims.then(|| {
        gaps.gap(
            "annex-iii.md",
            "Monitoring indicators and thresholds (Annex III 1.1(b))",
            "the manifest makes no performance claim, so there is no threshold to monitor",
        )
    });
    // The rule is the manufacturer's: clic quotes it, and proposes one only as a gap.
    let trigger = crate::fill::gather(
        docs,
        &[clic_runner::documents::sections::pms_plan::INDICATORS_AND_THRESHOLDS],
    );
    if trigger.is_none() {
        gaps.gap(
            "annex-iii.md",
            "What triggers a benefit-risk reassessment (Annex III 1.1(b))",
            "the post-market surveillance plan (pms_plan) has no `Indicators and thresholds` section that states it",
        );
    }
    let psur = match spec.class.as_str() {
        "I" => "Class I: a post-market surveillance report (Article 85), updated when necessary and made available to the competent authority on request.".to_string(),
        "IIa" => "Class IIa: a periodic safety update report (Article 86) when necessary and at least every two years.".to_string(),
        c => format!("Class {c}: a periodic safety update report (Article 86) at least annually."),
    };
    AnnexIII {
        indicators,
        no_indicators,
        trigger,
        subgroups: clic_runner::bench::GROUPS.to_vec(),
        psur: format!("{psur} {}", pct_line(benchmark)),
        items: crate::adapt::annex_iii_items(docs, gaps),
    }
}

/// The indicators of the claims on each finding, with the finding's estimate at release.
fn finding_indicators<'a>(
    spec: &'a clic_compiler::plan::ModelSpec,
    benchmark: &Benchmark<'_>,
) -> Vec<Indicator<'a>> {
    let mut out = Vec::new();
    for (finding, claims) in &spec.analysis.finding_claims {
        let view = benchmark
            .findings
            .as_ref()
            .and_then(|r| r.findings.iter().find(|f| &f.name == finding));
        for (metric, claimed) in claims {
            let def = clic_compiler::schema::metrics::metric(metric);
            let baseline = match (view, def) {
                (Some(v), Some(_)) if metric == "ece" => v.ece.clone(),
                (Some(v), Some(_)) if metric == "brier" => v.brier.clone(),
                (Some(v), Some(d)) => v.metrics.iter().find(|r| r.name == d.label).map_or_else(
                    || "not measured at release".to_string(),
                    |r| format!("{} ({})", r.estimate.value, r.estimate.ci),
                ),
                _ => "not measured at release".to_string(),
            };
            out.push(Indicator {
                name: format!("{finding} {metric}").into(),
                threshold: crate::shown::claim_shown(metric, *claimed),
                baseline,
                method: def
                    .and_then(|d| d.monitoring)
                    .unwrap_or("as at release, on the field data of the period"),
            });
        }
    }
    out
}

fn pct_line(benchmark: &Benchmark<'_>) -> String {
    match benchmark.measured.as_ref().map(|m| m.crosstab.n) {
        Some(n) => format!(
            "The release baseline rests on {n} reference cases; field estimates are compared with it in each report."
        ),
        None => String::new(),
    }
}

/// The clauses of the gap report: those without a passing control, and those every
/// control of which does not apply to this device.
#[derive(Debug, Default)]
pub struct ClauseGaps {
    /// No passing control covers it.
    pub open: Vec<UncoveredClause>,
    /// Every control that covers it is not applicable (its `applies when` is false).
    pub not_applicable: Vec<UncoveredClause>,
}

/// Whether a catalogued clause is an item of the technical documentation (MDR Annex II
/// and III, AI Act Annex IV): the dossier fills it from the documents, so it is a gap
/// only when it is not filled (the report's sections table) or its controls fail.
fn documentation_item(framework: &str, id: &str) -> bool {
    match framework {
        "mdr" => id.starts_with("Annex II ") || id.starts_with("Annex III "),
        "ai_act" => id.starts_with("Annex IV "),
        _ => false,
    }
}

/// Every clause of the frameworks in use that no passing control covers: the clauses
/// clic catalogues for those frameworks (the GSPRs, Annex II and III items, AI Act
/// Annex IV items) that apply, and every other clause a control cites whose controls do
/// not pass. A documentation item no control cites is left to the sections table; a
/// clause whose every control does not apply to this device (a class C clause for a
/// class B device) is listed apart, with the condition that was false. Sorted by
/// framework, then in the catalogue's order.
pub fn uncovered(plan: &Plan, evidence: &Evidence) -> ClauseGaps {
    use clic_compiler::frameworks::{CLAUSES, FRAMEWORKS};
    let status = |c: &clic_compiler::plan::Check| {
        evidence
            .results
            .iter()
            .find(|r| r.id == c.id)
            .map(|r| r.status)
    };
    let passing = |c: &clic_compiler::plan::Check| status(c) == Some(Status::Passed);
    let skipped = |c: &clic_compiler::plan::Check| status(c) == Some(Status::Skipped);
    let in_use: Vec<&str> = FRAMEWORKS
        .iter()
        .map(|f| f.id)
        .filter(|f| {
            plan.checks
                .iter()
                .any(|c| c.citations.iter().any(|x| x.framework == *f))
        })
        .collect();
    let short = |fw: &str| {
        clic_compiler::frameworks::framework(fw)
            .map_or_else(|| fw.to_string(), |f| f.short.to_string())
    };
    let why = |covering: &[&clic_compiler::plan::Check]| {
        if covering.is_empty() {
            "no control of the policies in force cites it".to_string()
        } else {
            format!(
                "its controls do not pass: {}",
                covering
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let why_not = |covering: &[&clic_compiler::plan::Check]| {
        covering
            .iter()
            .map(|c| match &c.applies_when {
                Some(w) => format!("{} applies only when {}", c.id, w.text),
                None => format!("{} does not apply", c.id),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut out = ClauseGaps::default();
    let push = |out: &mut ClauseGaps,
                fw: &str,
                clause: String,
                covering: &[&clic_compiler::plan::Check]| {
        if !covering.is_empty() && covering.iter().all(|c| skipped(c)) {
            out.not_applicable.push(UncoveredClause {
                framework: short(fw),
                clause,
                why: why_not(covering),
            });
        } else {
            out.open.push(UncoveredClause {
                framework: short(fw),
                clause,
                why: why(covering),
            });
        }
    };
    let mut listed: Vec<(String, String)> = Vec::new();
    for fw in &in_use {
        for cl in CLAUSES.iter().filter(|c| c.framework == *fw) {
            // A clause with sub-clauses in the catalogue is shown through them.
            let parent = CLAUSES
                .iter()
                .any(|o| o.framework == *fw && o.id != cl.id && covers(o.id, cl.id));
            if parent || !crate::adapt::applicable_clause(fw, cl.id) {
                continue;
            }
            let covering: Vec<&clic_compiler::plan::Check> = plan
                .checks
                .iter()
                .filter(|c| {
                    c.citations
                        .iter()
                        .any(|x| x.framework == *fw && covers(&x.clause, cl.id))
                })
                .collect();
            if covering.is_empty() && documentation_item(fw, cl.id) {
                continue;
            }
            if !covering.iter().any(|c| passing(c)) {
                push(&mut out, fw, format!("{} — {}", cl.id, cl.title), &covering);
                listed.push((fw.to_string(), cl.id.to_string()));
            }
        }
        let mut cited: std::collections::BTreeMap<&str, Vec<&clic_compiler::plan::Check>> =
            std::collections::BTreeMap::new();
        for c in &plan.checks {
            for x in c.citations.iter().filter(|x| x.framework == *fw) {
                if clic_compiler::frameworks::clause(fw, &x.clause).is_none() {
                    cited.entry(x.clause.as_str()).or_default().push(c);
                }
            }
        }
        for (clause, checks) in cited {
            if !checks.iter().any(|c| passing(c))
                && !listed.contains(&(fw.to_string(), clause.to_string()))
            {
                push(&mut out, fw, clause.to_string(), &checks);
            }
        }
    }
    out
}
