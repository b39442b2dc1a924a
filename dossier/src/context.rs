//! The data every template reads: one `serde_json::Value` assembled from the manifest,
//! the check results, the benchmark evidence, the documents, git and the file hashes.
//!
//! Numbers are formatted here, once, so templates only place strings. A field the inputs
//! cannot fill is `{"gap": "why"}` and is recorded in the gap list at the same time, so
//! the gap report names every section left unfilled and no template shows a blank.

use crate::integrity::FileHash;
use crate::rows::{
    Blocking, CitationView, ControlView, Counts, GateStatus, ObservedView, TraceRow, WaiverRow,
    WaiverView,
};
use crate::shown::{claim_shown, estimate};
use clic_compiler::plan::{Check, ModelSpec, Plan, Preprocess};
use clic_compiler::schema::metrics::{Kind, Shown, METRICS};
use clic_runner::bench::{self, BenchEvidence};
use clic_runner::evidence::{CheckResult, Evidence, Status};
use clic_runner::metrics::registry::{self, Reading};
use clic_runner::metrics::Metrics;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A section the inputs could not fill.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Gap {
    /// The document.
    pub document: String,
    /// The section or field.
    pub section: String,
    /// Why it is empty.
    pub reason: String,
}

/// Collects gaps as the context is built.
#[derive(Debug, Default)]
pub struct Gaps(pub Vec<Gap>);

impl Gaps {
    /// The value, or a gap marker recorded under `document` / `section`.
    pub fn fill(
        &mut self,
        document: &str,
        section: &str,
        value: Option<String>,
        why: &str,
    ) -> Value {
        match value.filter(|v| !v.trim().is_empty()) {
            Some(v) => Value::String(v),
            None => self.gap(document, section, why),
        }
    }

    /// Records a gap and returns its marker.
    pub fn gap(&mut self, document: &str, section: &str, why: &str) -> Value {
        self.0.push(Gap {
            document: document.to_string(),
            section: section.to_string(),
            reason: why.to_string(),
        });
        json!({ "gap": why })
    }
}

/// What git says about the release.
#[derive(Debug, Clone, Default)]
pub struct GitInfo {
    /// HEAD commit id.
    pub commit: Option<String>,
    /// HEAD commit date (YYYY-MM-DD, UTC).
    pub date: Option<String>,
    /// Tag at HEAD.
    pub tag: Option<String>,
    /// Branch.
    pub branch: Option<String>,
    /// The inputs the manifest names that differ from HEAD; none when git cannot say.
    pub changed: Option<Vec<String>>,
    /// Why the above are missing: not under version control, no commit yet.
    pub missing: Option<String>,
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "FAILED",
        Status::Waived => "waived",
        Status::Skipped => "not applicable",
        Status::Unavailable => "NOT AVAILABLE",
    }
}

/// The hash that ties a control's row in the traceability matrix to its entry in
/// `results.json`: sha256 of the result's canonical JSON.
pub fn result_hash(r: &CheckResult) -> String {
    clic_runner::facts::artifact::sha256_hex(&serde_json::to_vec(r).unwrap_or_default())
}

/// The release status: what the first page of every document says.
pub fn status<'a>(evidence: &'a Evidence, plan: &'a Plan) -> GateStatus<'a> {
    let blocking = evidence
        .results
        .iter()
        .filter(|r| clic_runner::evidence::blocks(r, evidence.fail_on))
        .map(|r| Blocking {
            id: &r.id,
            title: plan
                .checks
                .iter()
                .find(|c| c.id == r.id)
                .map_or("", |c| c.title.as_str()),
            severity: r.severity.as_str(),
            status: status_word(r.status),
            expired_waiver: r.waiver.as_ref().is_some_and(|w| w.state == "expired"),
        })
        .collect();
    let s = &evidence.summary;
    GateStatus {
        passed: evidence.gate_passed,
        stage: evidence.stage.as_str(),
        fail_on: evidence.fail_on.as_str(),
        counts: Counts {
            passed: s.passed,
            failed: s.failed,
            waived: s.waived,
            skipped: s.skipped,
            unavailable: s.unavailable,
            total: evidence.results.len(),
        },
        blocking,
    }
}

/// One control with its result, for the GSPR checklist and the traceability matrix.
pub fn control<'a>(check: &'a Check, r: Option<&'a CheckResult>) -> ControlView<'a> {
    let citations = check
        .citations
        .iter()
        .map(|c| CitationView {
            framework: &c.framework,
            framework_name: &c.framework_name,
            clause: &c.clause,
        })
        .collect();
    let (status, hash, failed, observed, unavailable) = match r {
        Some(r) => (
            status_word(r.status).to_string(),
            result_hash(r),
            r.failed.clone(),
            r.observed
                .iter()
                .map(|o| ObservedView {
                    fact: &o.fact,
                    value: o.value.display(),
                })
                .collect::<Vec<_>>(),
            r.unavailable
                .as_ref()
                .map(|u| format!("{}: {}", u.fact, u.reason)),
        ),
        None => (
            "not run at this stage".to_string(),
            String::new(),
            Vec::new(),
            Vec::new(),
            None,
        ),
    };
    ControlView {
        id: &check.id,
        policy: &check.policy,
        title: &check.title,
        severity: check.severity.as_str(),
        stage: check.stage.as_str(),
        status,
        passed: r.is_some_and(|r| r.status == Status::Passed),
        citations,
        expectations: check.expect.iter().map(|e| e.text.clone()).collect(),
        applies_when: check.applies_when.as_ref().map(|e| e.text.clone()),
        failed,
        observed,
        unavailable,
        waiver: r.and_then(|r| r.waiver.as_ref()).map(|w| WaiverView {
            state: &w.state,
            reason: &w.waiver.reason,
            approved_by: &w.waiver.approved_by,
            expires: &w.waiver.expires,
        }),
        result_sha256: hash,
        declared: format!("{}:{}", check.source.file, check.source.line),
    }
}

/// Every control of the plan, sorted by id, with its result.
pub fn controls<'a>(plan: &'a Plan, evidence: &'a Evidence) -> Vec<ControlView<'a>> {
    plan.checks
        .iter()
        .map(|c| control(c, evidence.results.iter().find(|r| r.id == c.id)))
        .collect()
}

/// The traceability matrix: regulation clause -> control -> result -> evidence hash,
/// one row per citation, sorted by framework (catalogue order), clause and control.
pub fn traceability<'a>(plan: &'a Plan, evidence: &'a Evidence) -> Vec<TraceRow<'a>> {
    let order = |fw: &str| {
        clic_compiler::frameworks::FRAMEWORKS
            .iter()
            .position(|f| f.id == fw)
            .unwrap_or(usize::MAX)
    };
    let mut rows: Vec<(usize, &str, &str, TraceRow<'a>)> = Vec::new();
    for c in &plan.checks {
        let r = evidence.results.iter().find(|r| r.id == c.id);
        for cite in &c.citations {
            rows.push((
                order(&cite.framework),
                &cite.clause,
                &c.id,
                TraceRow {
                    framework: &cite.framework_name,
                    clause: &cite.clause,
                    control: &c.id,
                    title: &c.title,
                    status: r.map_or("not run at this stage", |r| status_word(r.status)),
                    result_sha256: r.map(result_hash).unwrap_or_default(),
                },
            ));
        }
    }
    rows.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    rows.into_iter().map(|r| r.3).collect()
}

/// The waiver register: every waiver of the plan, with what became of it.
pub fn waivers<'a>(plan: &'a Plan, evidence: &'a Evidence) -> Vec<WaiverRow<'a>> {
    plan.waivers
        .iter()
        .map(|w| {
            let r = evidence.results.iter().find(|r| r.id == w.control);
            WaiverRow {
                control: &w.control,
                title: plan
                    .checks
                    .iter()
                    .find(|c| c.id == w.control)
                    .map_or(String::new(), |c| c.title.clone()),
                reason: &w.reason,
                approved_by: &w.approved_by,
                expires: &w.expires,
                risk: w.risk.clone().unwrap_or_else(|| "none given".to_string()),
                state: r
                    .and_then(|r| r.waiver.as_ref())
                    .map_or("not evaluated at this stage".to_string(), |s| {
                        s.state.clone()
                    }),
                control_status: r.map_or("not run at this stage", |r| status_word(r.status)),
                declared: format!("{}:{}", w.source.file, w.source.line),
            }
        })
        .collect()
}

/// The device as the manifest describes it.
pub fn device(spec: &ModelSpec, gaps: &mut Gaps) -> Value {
    let steps: Vec<String> = spec
        .input
        .as_ref()
        .map(|i| i.steps.iter().map(step).collect())
        .unwrap_or_default();
    let claims: Vec<Value> = spec
        .claims
        .iter()
        .map(|(name, v)| json!({ "name": name, "value": claim_shown(name, *v) }))
        .collect();
    let documents: Vec<Value> = spec
        .documents
        .iter()
        .map(|(k, p)| json!({ "kind": k, "path": p }))
        .collect();
    let rule = gaps.fill(
        "annex-ii.md",
        "1.1 Classification rule",
        spec.classification_rule
            .clone()
            .map(|r| format!("rule {r}")),
        "the manifest gives no classification rule (class IIa by rule 11)",
    );
    json!({
        "name": spec.name,
        "version": spec.version,
        "purpose": spec.purpose,
        "class": spec.class,
        "rule": rule,
        "artifact": spec.artifact.path,
        "pinned_sha256": spec.artifact.sha256.clone().unwrap_or_default(),
        "input_tensor": spec.input.as_ref().map(|i| i.tensor.clone()).unwrap_or_default(),
        "modalities": spec.input.as_ref().map(|i| i.modalities.join(", ")).unwrap_or_default(),
        "preprocessing": steps,
        "output_tensor": spec.output.as_ref().map(|o| o.tensor.clone()).unwrap_or_default(),
        "operating_point": spec.output.as_ref().map(|o| format!(
            "score {} {} is called positive",
            if o.inclusive { ">=" } else { ">" },
            o.threshold
        )).unwrap_or_default(),
        "positive_meaning": spec.output.as_ref().map(|o| o.positive.clone()).unwrap_or_default(),
        "reference": spec.reference.as_ref().map(|r| r.path.clone()).unwrap_or_default(),
        "labels": spec.reference.as_ref().map(|r| r.labels.clone()).unwrap_or_default(),
        "training_patients": spec.training_patients.clone().unwrap_or_default(),
        "claims": claims,
        "documents": documents,
        "policies": spec.policies,
        "manifest": format!("{}:{}", spec.source.file, spec.source.line),
    })
}

fn step(s: &Preprocess) -> String {
    match s {
        Preprocess::Rescale { fixed: None } => {
            "modality LUT from the file (RescaleSlope / RescaleIntercept)".to_string()
        }
        Preprocess::Rescale {
            fixed: Some((slope, intercept)),
        } => format!("rescale with slope {slope} and intercept {intercept}"),
        Preprocess::Window {
            source,
            fixed,
            else_minmax,
        } => match (source.as_str(), fixed) {
            ("fixed", Some((c, w))) => format!("VOI window centre {c}, width {w}"),
            ("minmax", _) => "window to the image's own range".to_string(),
            _ => format!(
                "VOI window from the file{}",
                if *else_minmax {
                    ", else the image's own range"
                } else {
                    ""
                }
            ),
        },
        Preprocess::InvertMonochrome1 => "MONOCHROME1 images inverted".to_string(),
        Preprocess::Resize {
            width,
            height,
            interpolation,
        } => format!("resized to {width} x {height} ({interpolation})"),
        Preprocess::Normalize { mean, std } => format!("normalised: (x - {mean}) / {std}"),
    }
}

/// The estimates table: every proportion of the registry that is defined, by its label.
/// (The point values, Brier and ECE, have rows of their own in the template.)
fn metrics_rows(m: &Metrics) -> Vec<Value> {
    METRICS
        .iter()
        .filter(|d| d.kind == Kind::Proportion)
        .filter_map(|d| match registry::reading(m, d) {
            Reading::Estimate(Some(e)) => {
                let mut row = estimate(e, d.shown == Shown::Percent);
                if let Value::Object(o) = &mut row {
                    o.insert("name".into(), Value::String(d.label.to_string()));
                }
                Some(row)
            }
            _ => None,
        })
        .collect()
}

/// One subgroup: its counts and every metric the registry computes per subgroup.
fn subgroup_row(value: String, g: &Metrics) -> Value {
    let mut row = json!({
        "value": value,
        "n": g.n,
        "positives": g.positives,
        "negatives": g.negatives,
    });
    for d in METRICS.iter().filter(|d| d.subgroup.is_some()) {
        row[d.name] = match registry::reading(g, d) {
            Reading::Estimate(Some(e)) => estimate(e, d.shown == Shown::Percent),
            Reading::Number(x) => json!(x),
            Reading::Estimate(None) => {
                json!({ "value": "n/a (one class only)", "ci": "n/a", "method": "" })
            }
        };
    }
    row
}

fn counts(rows: &[&bench::ScanRow], read: fn(&bench::ScanRow) -> &str) -> Vec<Value> {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        let v = read(r);
        *by.entry(if v.is_empty() {
            "unknown".to_string()
        } else {
            v.to_string()
        })
        .or_default() += 1;
    }
    by.into_iter()
        .map(|(value, n)| json!({ "value": value, "n": n }))
        .collect()
}

/// The clinical performance evidence, formatted for the STARD report; `figures` holds
/// the names of the figure files the report may show.
pub fn benchmark(
    spec: &ModelSpec,
    ev: &BenchEvidence,
    evidence: &Evidence,
    figures: &BTreeMap<String, String>,
    gaps: &mut Gaps,
) -> Value {
    let doc = "clinical-performance.md";
    let all: Vec<&bench::ScanRow> = ev.rows.iter().collect();
    let labelled = ev.rows.iter().filter(|r| r.label.is_some()).count();
    let mut by_size: BTreeMap<String, usize> = BTreeMap::new();
    for r in &ev.rows {
        *by_size
            .entry(format!("{} x {}", r.info.columns, r.info.rows))
            .or_default() += 1;
    }
    let sizes: Vec<Value> = by_size
        .into_iter()
        .map(|(value, n)| json!({ "value": value, "n": n }))
        .collect();
    let dataset = json!({
        "scans": ev.rows.len() + ev.unreadable.len(),
        "readable": ev.rows.len(),
        "labelled": labelled,
        "unlabelled": ev.rows.len() - labelled,
        "unreadable": ev.unreadable,
        "unreadable_count": ev.unreadable.len(),
        "labels_without_file": ev.labels_without_file,
        "labels_without_file_count": ev.labels_without_file.len(),
        "patients": ev.rows.iter().map(|r| r.info.patient_hash.as_str()).collect::<std::collections::BTreeSet<_>>().len(),
        "studies": ev.rows.iter().map(|r| r.info.study_hash.as_str()).collect::<std::collections::BTreeSet<_>>().len(),
        "leakage_patients": ev.leakage_patients,
        "leakage_studies": ev.leakage_studies,
        "by": [
            { "attribute": "Manufacturer", "values": counts(&all, |r| &r.info.manufacturer) },
            { "attribute": "Manufacturer's model", "values": counts(&all, |r| &r.info.model_name) },
            { "attribute": "Modality", "values": counts(&all, |r| &r.info.modality) },
            { "attribute": "Patient sex", "values": counts(&all, |r| &r.info.sex) },
            { "attribute": "Age band", "values": counts(&all, |r| &r.info.age_band) },
            { "attribute": "Transfer syntax", "values": counts(&all, |r| &r.info.transfer_syntax_name) },
            { "attribute": "Image size", "values": sizes },
        ],
    });
    let Some(m) = &ev.overall else {
        let why = "no reference scan is both labelled and scored";
        return json!({
            "available": false,
            "dataset": dataset,
            "backend": ev.backend,
            "key": ev.key,
            "reason": gaps.gap(doc, "Cross-tabulation and estimates (STARD 23-24)", why),
        });
    };
    let (t, inclusive) = spec
        .output
        .as_ref()
        .map_or((m.threshold, m.inclusive), |o| (o.threshold, o.inclusive));
    let mut subgroups = Vec::new();
    for attribute in bench::GROUPS {
        let mut groups = Vec::new();
        for (value, rows) in bench::group_by(&ev.rows, attribute).unwrap_or_default() {
            if let Some(g) = bench::score_metrics(rows, t, inclusive) {
                groups.push(subgroup_row(value, &g));
            }
        }
        subgroups.push(json!({ "attribute": attribute, "groups": groups }));
    }
    let claims = crate::claims::claims(spec, m, evidence);
    json!({
        "available": true,
        "dataset": dataset,
        "backend": ev.backend,
        "key": ev.key,
        "threshold": format!("{} {}", if m.inclusive { ">=" } else { ">" }, m.threshold),
        "crosstab": {
            "tp": m.tp, "fp": m.fp, "fn": m.fn_, "tn": m.tn,
            "test_positive": m.tp + m.fp, "test_negative": m.fn_ + m.tn,
            "positives": m.positives, "negatives": m.negatives, "n": m.n,
        },
        "metrics": metrics_rows(m),
        "brier": format!("{:.4}", m.brier),
        "ece": format!("{:.4}", m.ece),
        "claims": claims,
        "subgroups": subgroups,
        "figures": figures.keys().cloned().collect::<Vec<_>>(),
        "has_roc": figures.contains_key("figures/roc.svg"),
        "has_calibration": figures.contains_key("figures/calibration.svg"),
        "has_forest": figures.contains_key("figures/forest.svg"),
    })
}

/// The release's git state, with gaps where it is missing.
pub fn release(git: &GitInfo, gaps: &mut Gaps) -> Value {
    let why = git
        .missing
        .clone()
        .unwrap_or_else(|| "git does not say".to_string());
    let commit = gaps.fill(
        "evidence-appendix.md",
        "Git commit",
        git.commit.clone(),
        &why,
    );
    let date = gaps.fill("annex-ii.md", "Date of the release", git.date.clone(), &why);
    json!({
        "commit": commit,
        "date": date,
        "tag": git.tag.clone().unwrap_or_else(|| "none".to_string()),
        "branch": git.branch.clone().unwrap_or_else(|| "none".to_string()),
        "clean": match &git.changed {
            Some(c) if c.is_empty() => "yes: the model, reference set, labels, training list and documents are as committed".to_string(),
            Some(c) => format!("NO: these inputs differ from the commit, so the dossier does not document it: {}", c.join(", ")),
            None => "unknown".to_string(),
        },
        "versioned": git.commit.is_some(),
    })
}

/// The evidence appendix: every input's hash, grouped by role.
pub fn appendix(inputs: &[FileHash], scans_manifest: (&str, &str, usize)) -> Value {
    let mut by_role: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for f in inputs.iter().filter(|f| f.role != "reference scan") {
        by_role
            .entry(f.role.as_str())
            .or_default()
            .push(json!({ "path": f.path, "sha256": if f.sha256.is_empty() { "missing".to_string() } else { f.sha256.clone() } }));
    }
    let mut m = Map::new();
    for (role, files) in by_role {
        m.insert(role.to_string(), Value::Array(files));
    }
    json!({
        "groups": m.into_iter().map(|(role, files)| json!({ "role": role, "files": files })).collect::<Vec<_>>(),
        "scans_manifest": { "file": scans_manifest.0, "sha256": scans_manifest.1, "count": scans_manifest.2 },
    })
}
