//! The data every template reads, assembled from the manifest, the check results, the
//! benchmark evidence, the documents, git and the file hashes into the typed contexts of
//! [`crate::contexts`], [`crate::rows`] and [`crate::performance`] (the regulatory
//! sections are [`crate::sections`]' and [`crate::adapt`]'s).
//!
//! Numbers are formatted here, once, so templates only place strings. A field the inputs
//! cannot fill is a [`Filled::Gap`] (`{"gap": "why"}` to the templates) and is recorded
//! in the gap list at the same time, so the gap report names every section left
//! unfilled and no template shows a blank.

use crate::contexts::{ClaimLine, Device, DocumentLine, InputFile, InputGroup, Release};
use crate::integrity::FileHash;
use crate::performance::{
    Benchmark, Breakdown, Count, Crosstab, Dataset, Measured, MetricRow, SubgroupMetric,
    SubgroupRow, SubgroupTable,
};
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

/// A field of the templates that the inputs may not fill: its text, or why there is none.
/// Templates read it as a string or as `{"gap": "why"}`; `{{fill}}` shows the latter as
/// a marker that names the gap.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Filled {
    /// The text.
    Text(String),
    /// Why there is none.
    Gap {
        /// Why, in words.
        gap: String,
    },
}

impl Filled {
    /// A gap marker that is not recorded in the gap report (what a list shows for one of
    /// its entries; the list's own gap is recorded).
    pub fn marker(why: impl Into<String>) -> Self {
        Filled::Gap { gap: why.into() }
    }

    /// The text, or `not filled — why`.
    pub fn shown(&self) -> String {
        match self {
            Filled::Text(s) => s.clone(),
            Filled::Gap { gap } => format!("not filled — {gap}"),
        }
    }
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
    ) -> Filled {
        match value.filter(|v| !v.trim().is_empty()) {
            Some(v) => Filled::Text(v),
            None => self.gap(document, section, why),
        }
    }

    /// Records a gap and returns its marker.
    pub fn gap(&mut self, document: &str, section: &str, why: &str) -> Filled {
        self.0.push(Gap {
            document: document.to_string(),
            section: section.to_string(),
            reason: why.to_string(),
        });
        Filled::marker(why)
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

/// A status in words, as every table shows it.
pub fn status_word(s: Status) -> &'static str {
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
        evidenced: crate::evidenced::gspr_counts(plan, evidence),
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
pub fn device<'a>(spec: &'a ModelSpec, gaps: &mut Gaps) -> Device<'a> {
    let rule = gaps.fill(
        "annex-ii.md",
        "1.1 Classification rule",
        spec.classification_rule
            .clone()
            .map(|r| format!("rule {r}")),
        "the manifest gives no classification rule (class IIa by rule 11)",
    );
    let input = spec.input.as_ref();
    let output = spec.output.as_ref();
    Device {
        name: &spec.name,
        version: &spec.version,
        purpose: &spec.purpose,
        class: &spec.class,
        rule,
        artifact: &spec.artifact.path,
        pinned_sha256: spec.artifact.sha256.as_deref().unwrap_or_default(),
        input_tensor: input.map_or("", |i| i.tensor.as_str()),
        modalities: match input {
            Some(i) => i.modalities.join(", "),
            None => series_modalities(spec),
        },
        preprocessing: preprocessing(spec),
        output_tensor: output.map_or("", |o| o.tensor.as_str()),
        operating_point: output
            .map(|o| {
                format!(
                    "score {} {} is called positive",
                    if o.inclusive { ">=" } else { ">" },
                    o.threshold
                )
            })
            .or_else(|| segmentation_output(spec))
            .unwrap_or_default(),
        positive_meaning: output.map_or("", |o| o.positive.as_str()),
        reference: spec.reference.as_ref().map_or("", |r| r.path.as_str()),
        labels: spec.reference.as_ref().map_or("", |r| r.labels.as_str()),
        training_patients: spec.training_patients.as_deref().unwrap_or_default(),
        claims: spec
            .claims
            .iter()
            .map(|(name, v)| ClaimLine {
                name,
                value: claim_shown(name, *v),
            })
            .collect(),
        documents: spec
            .documents
            .iter()
            .map(|(kind, path)| DocumentLine { kind, path })
            .collect(),
        policies: &spec.policies,
        manifest: format!("{}:{}", spec.source.file, spec.source.line),
    }
}

/// The modalities of the manifest's series inputs, each once, in order.
fn series_modalities(spec: &ModelSpec) -> String {
    let mut all: Vec<&str> = Vec::new();
    for m in spec.series_inputs.iter().flat_map(|i| &i.modalities) {
        if !all.contains(&m.as_str()) {
            all.push(m);
        }
    }
    all.join(", ")
}

/// How a segmentation model's output becomes its structures, in words.
fn segmentation_output(spec: &ModelSpec) -> Option<String> {
    use clic_compiler::plan::SegmentationRule;
    let seg = spec.segmentation.as_ref()?;
    let rule = match seg.rule {
        SegmentationRule::Argmax => "each voxel takes the channel of the highest score".to_string(),
        SegmentationRule::Sigmoid { threshold } => {
            format!("a voxel is in a structure where its channel's sigmoid is at least {threshold}")
        }
        SegmentationRule::LabelMap => "the output is a label map".to_string(),
    };
    let structures: Vec<String> = seg
        .structures
        .iter()
        .map(|s| {
            format!(
                "{} ({} {})",
                s.name,
                if seg.rule == SegmentationRule::LabelMap {
                    "label"
                } else {
                    "channel"
                },
                s.index
            )
        })
        .collect();
    Some(format!(
        "a mask per structure from the output tensor \"{}\": {rule}; structures {}",
        seg.tensor,
        structures.join(", ")
    ))
}

/// The preprocessing steps of the manifest's input, in words (of every series input,
/// each named, for a model of volumes).
pub fn preprocessing(spec: &ModelSpec) -> Vec<String> {
    if let Some(i) = &spec.input {
        return i.steps.iter().map(step).collect();
    }
    spec.series_inputs
        .iter()
        .flat_map(|i| {
            i.steps
                .iter()
                .map(move |s| format!("{}: {}", i.name, volume_step(s)))
        })
        .collect()
}

fn volume_step(s: &clic_compiler::plan::VolumeStep) -> String {
    use clic_compiler::plan::{Interpolation3, VolumeStep};
    match s {
        VolumeStep::Rescale { fixed: None } => {
            "modality LUT from each slice (RescaleSlope / RescaleIntercept)".to_string()
        }
        VolumeStep::Rescale {
            fixed: Some((slope, intercept)),
        } => format!("rescale with slope {slope} and intercept {intercept}"),
        VolumeStep::Clip { low, high } => format!("clipped to {low} .. {high}"),
        VolumeStep::Window { center, width } => {
            format!("VOI window centre {center}, width {width}")
        }
        VolumeStep::Resample {
            spacing_mm,
            interpolation,
        } => format!(
            "resampled to {} x {} x {} mm ({})",
            spacing_mm[0],
            spacing_mm[1],
            spacing_mm[2],
            match interpolation {
                Interpolation3::Linear => "trilinear",
                Interpolation3::Nearest => "nearest",
            }
        ),
        VolumeStep::Orient { code } => format!("reoriented to {code}"),
        VolumeStep::CropOrPad { size, fill } => format!(
            "cropped or padded, centred, to {} x {} x {} voxels (fill {fill})",
            size[0], size[1], size[2]
        ),
        VolumeStep::NormalizeZscore => {
            "normalised to zero mean and unit variance over the volume".to_string()
        }
        VolumeStep::Normalize { mean, std } => format!("normalised: (x - {mean}) / {std}"),
    }
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
        Preprocess::NormalizeChannels { mean, std } => format!(
            "normalised per channel: (x - mean) / std with mean {} and std {}",
            list(mean),
            list(std)
        ),
        Preprocess::WindowPercentile { low, high } => {
            format!("window from the image's percentile {low} to {high}")
        }
        Preprocess::Clip { low, high } => format!("clipped to {low} .. {high}"),
        Preprocess::Crop {
            width,
            height,
            at: None,
        } => format!("centre crop to {width} x {height}"),
        Preprocess::Crop {
            width,
            height,
            at: Some((x, y)),
        } => format!("cropped to {width} x {height} at column {x}, row {y}"),
        Preprocess::PadSquare { fill } => format!("padded to a square with {fill}"),
        Preprocess::Letterbox {
            width,
            height,
            interpolation,
            fill,
        } => format!(
            "letterboxed to {width} x {height} ({interpolation}, aspect ratio kept, padded with {fill})"
        ),
        Preprocess::Channels { count } => match count {
            3 => "three channels (a grayscale image repeated in each)".to_string(),
            n => format!("{n} channel(s)"),
        },
        Preprocess::Color { mode } => match mode.as_str() {
            "luminance" => "colour images converted to luminance (0.299 R + 0.587 G + 0.114 B)".to_string(),
            _ => "colour images fed as their R, G and B channels".to_string(),
        },
    }
}

/// Numbers joined by commas.
fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The estimates table: every proportion of the registry that is defined, by its label,
/// a figure that depends on the prevalence noted as holding at the set's (the point
/// value, Brier, has a row of its own in the template).
/// One row per proportion of the registry that `m` defines (the STARD 24 table).
pub(crate) fn metrics_rows(m: &Metrics) -> Vec<MetricRow> {
    METRICS
        .iter()
        .filter(|d| d.kind == Kind::Proportion)
        .filter_map(|d| match registry::reading(m, d) {
            Reading::Estimate(Some(e)) => Some(MetricRow {
                name: d.label,
                note: crate::prevalence::note(d.name, m),
                estimate: estimate(e, d.shown == Shown::Percent),
            }),
            _ => None,
        })
        .collect()
}

/// One subgroup: its counts and every metric the registry computes per subgroup.
fn subgroup_row(value: String, g: &Metrics) -> SubgroupRow {
    let metrics = METRICS
        .iter()
        .filter(|d| d.subgroup.is_some())
        .map(|d| {
            let shown = match registry::reading(g, d) {
                Reading::Estimate(Some(e)) => {
                    SubgroupMetric::Estimate(estimate(e, d.shown == Shown::Percent))
                }
                Reading::Number(x) => SubgroupMetric::Number(x),
                Reading::Estimate(None) => SubgroupMetric::Undefined {
                    value: "n/a (one class only)",
                    ci: "n/a",
                    method: "",
                },
            };
            (d.name, shown)
        })
        .collect();
    SubgroupRow {
        value,
        n: g.n,
        positives: g.positives,
        negatives: g.negatives,
        metrics,
        vs_rest: BTreeMap::new(),
    }
}

/// The scans by the value `read` gives, sorted by value; an empty value is `unknown`.
fn counts(rows: &[bench::ScanRow], read: fn(&bench::ScanRow) -> String) -> Vec<Count> {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        let v = read(r);
        let value = if v.is_empty() {
            "unknown".to_string()
        } else {
            v
        };
        *by.entry(value).or_default() += 1;
    }
    by.into_iter()
        .map(|(value, n)| Count { value, n })
        .collect()
}

/// The reference set: what was read, labelled and excluded, and its make-up.
fn dataset(ev: &BenchEvidence) -> Dataset<'_> {
    let labelled = ev.rows.iter().filter(|r| r.label.is_some()).count();
    let distinct = |read: fn(&bench::ScanRow) -> &str| {
        ev.rows
            .iter()
            .map(read)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let by = |attribute: &'static str, read: fn(&bench::ScanRow) -> String| Breakdown {
        attribute,
        values: counts(&ev.rows, read),
    };
    Dataset {
        scans: ev.rows.len() + ev.unreadable.len(),
        readable: ev.rows.len(),
        labelled,
        unlabelled: ev.rows.len() - labelled,
        unreadable: &ev.unreadable,
        unreadable_count: ev.unreadable.len(),
        labels_without_file: &ev.labels_without_file,
        labels_without_file_count: ev.labels_without_file.len(),
        patients: distinct(|r| &r.info.patient_hash),
        studies: distinct(|r| &r.info.study_hash),
        leakage_patients: ev.leakage_patients,
        leakage_studies: ev.leakage_studies,
        by: vec![
            by("Manufacturer", |r| r.info.manufacturer.clone()),
            by("Manufacturer's model", |r| r.info.model_name.clone()),
            by("Modality", |r| r.info.modality.clone()),
            by("Patient sex", |r| r.info.sex.clone()),
            by("Age band", |r| r.info.age_band.clone()),
            by("Transfer syntax", |r| r.info.transfer_syntax_name.clone()),
            by("Image size", |r| {
                format!("{} x {}", r.info.columns, r.info.rows)
            }),
        ],
    }
}

/// The clinical performance evidence, formatted for the STARD report; `figures` holds
/// the names of the figure files the report may show.
pub fn benchmark<'a>(
    spec: &'a ModelSpec,
    ev: &'a BenchEvidence,
    evidence: &Evidence,
    figures: &BTreeMap<String, String>,
    gaps: &mut Gaps,
) -> Benchmark<'a> {
    let doc = "clinical-performance.md";
    let mut view = Benchmark {
        available: false,
        backend: Filled::Text(format!(
            "{}{}",
            backend_named(&ev.backend),
            equivalence_note(ev)
        )),
        key: Some(&ev.key),
        dataset: Some(dataset(ev)),
        reason: None,
        measured: None,
        findings: None,
        robustness: ev
            .robustness
            .as_ref()
            .map(crate::performance::RobustnessView::of),
        segmentation: None,
    };
    if let Some(s) = &ev.segmentation {
        let report = crate::segmentation_report::report(s, &spec.structure_claims);
        view.segmentation = Some(crate::segmentation::view(&report));
        return view;
    }
    if let (Some(f), true) = (&ev.findings, !spec.analysis.findings.is_empty()) {
        let mut report = crate::findings::report(f, &spec.analysis.finding_claims);
        for (shown, r) in report.findings.iter_mut().zip(&f.findings) {
            if let Some(m) = &r.metrics {
                let declared = spec.prevalence.of(&r.name);
                shown.prevalence = crate::prevalence::sample(m);
                shown.at_prevalence = crate::prevalence::rows(m, declared);
                shown.at_prevalence_gap = crate::prevalence::gap(
                    &shown.at_prevalence,
                    declared,
                    &format!("finding {}", r.name),
                    m,
                    gaps,
                );
            }
        }
        report.subgroups = Some(crate::subgroups::findings(ev, f, evidence));
        view.findings = Some(report);
        return view;
    }
    let Some(m) = &ev.overall else {
        let why = "no reference scan is both labelled and scored";
        view.reason = Some(gaps.gap(doc, "Cross-tabulation and estimates (STARD 23-24)", why));
        return view;
    };
    let (t, inclusive) = spec
        .output
        .as_ref()
        .map_or((m.threshold, m.inclusive), |o| (o.threshold, o.inclusive));
    let subgroups: Vec<SubgroupTable> = bench::GROUPS
        .into_iter()
        .map(|attribute| {
            let scored: Vec<(String, Metrics)> = bench::group_by(&ev.rows, attribute)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(value, rows)| {
                    Some((value, bench::score_metrics(rows, t, inclusive)?))
                })
                .collect();
            crate::subgroups::table(attribute, &scored, subgroup_row)
        })
        .collect();
    let multiplicity = crate::subgroups::multiplicity(&subgroups, evidence);
    let declared = clic_runner::facts::prevalence::of_overall(ev, &spec.prevalence);
    let at_prevalence = crate::prevalence::rows(m, declared);
    let at_prevalence_gap = crate::prevalence::gap(&at_prevalence, declared, "the model", m, gaps);
    view.available = true;
    view.measured = Some(Measured {
        threshold: format!("{} {}", if m.inclusive { ">=" } else { ">" }, m.threshold),
        crosstab: Crosstab {
            tp: m.tp,
            fp: m.fp,
            fn_: m.fn_,
            tn: m.tn,
            test_positive: m.tp + m.fp,
            test_negative: m.fn_ + m.tn,
            positives: m.positives,
            negatives: m.negatives,
            n: m.n,
        },
        metrics: metrics_rows(m),
        brier: format!("{:.4}", m.brier),
        ece: format!("{:.4}", m.ece.value),
        prevalence: crate::prevalence::sample(m),
        at_prevalence,
        at_prevalence_gap,
        claims: crate::claims::claims(spec, m, evidence),
        subgroups,
        multiplicity,
        figures: figures.keys().cloned().collect(),
        has_roc: figures.contains_key("figures/roc.svg"),
        has_calibration: figures.contains_key("figures/calibration.svg"),
        has_forest: figures.contains_key("figures/forest.svg"),
    });
    view
}

/// The release's git state, with gaps where it is missing.
pub fn release(git: &GitInfo, gaps: &mut Gaps) -> Release {
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
    Release {
        commit,
        date,
        tag: git.tag.clone().unwrap_or_else(|| "none".to_string()),
        branch: git.branch.clone().unwrap_or_else(|| "none".to_string()),
        clean: match &git.changed {
            Some(c) if c.is_empty() => "yes: the model, reference set, labels, training list and documents are as committed".to_string(),
            Some(c) => format!("NO: these inputs differ from the commit, so the dossier does not document it: {}", c.join(", ")),
            None => "unknown".to_string(),
        },
        versioned: git.commit.is_some(),
    }
}

/// The evidence appendix's inputs: every input's hash but the reference scans', grouped
/// by role (sorted), and the scans' manifest (`file`, its sha256, how many scans).
pub fn input_groups(inputs: &[FileHash]) -> Vec<InputGroup<'_>> {
    let mut by_role: BTreeMap<&str, Vec<InputFile<'_>>> = BTreeMap::new();
    for f in inputs.iter().filter(|f| f.role != "reference scan") {
        by_role.entry(f.role.as_str()).or_default().push(InputFile {
            path: &f.path,
            sha256: if f.sha256.is_empty() {
                "missing"
            } else {
                &f.sha256
            },
        });
    }
    by_role
        .into_iter()
        .map(|(role, files)| InputGroup { role, files })
        .collect()
}

/// What the comparison with the declared runtime found, after the backend's name: empty
/// when none was made (the evidence is of the declared runtime, or no tolerance).
fn equivalence_note(ev: &BenchEvidence) -> String {
    let Some(eq) = &ev.equivalence else {
        return String::new();
    };
    let on = if eq.version.is_empty() {
        eq.backend.clone()
    } else {
        format!("{} {}", eq.backend, eq.version)
    };
    if let Some(why) = &eq.unavailable {
        return format!(" (not shown equivalent to {on}, the declared runtime: {why})");
    }
    let diff = eq.max_abs_diff.map_or_else(
        || "a value that is not finite".to_string(),
        |d| format!("{d:.3e}"),
    );
    let flips = match eq.flips {
        Some(0) => ", no operating-point call differs".to_string(),
        Some(n) => format!(", {n} operating-point call(s) differ"),
        None => String::new(),
    };
    format!(
        " ({} {on}, the declared runtime, on the {} reference scans scored on both: largest difference {diff} against a tolerance of {}{flips})",
        if eq.within_tolerance && eq.flips.unwrap_or(0) == 0 {
            "shown equivalent to"
        } else {
            "NOT equivalent to"
        },
        eq.units,
        eq.tolerance
    )
}

/// The backend with its version ([`clic_runner::engine::version_of`]).
fn backend_named(name: &str) -> String {
    match clic_runner::engine::version_of(name) {
        Some(v) => format!("{name} {v}"),
        None => name.to_string(),
    }
}
