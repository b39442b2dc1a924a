//! The typed contexts of the templates and of the dossier's JSON files: the top of the
//! templates' context with the release, the device and the evidence appendix, what
//! `index.html` shows and `results.json`. The rows that describe controls are in
//! [`crate::rows`], the clinical performance report's context in [`crate::performance`]
//! and the regulatory sections' in [`crate::regulatory`]; `benchmark.json` is
//! [`crate::benchmark`]'s.
//!
//! Handlebars reads a context as JSON, and `serde_json` (without `preserve_order`) keeps
//! object keys sorted, so the order of a template context's fields does not matter. It
//! does in a file: the fields of a struct written to one ([`Results`], [`ResultEntry`])
//! are declared in alphabetical order so its bytes stay as they were, and the runner's
//! records inside it (a result, the summary, the limits), whose fields are declared in
//! another order, are written [`Sorted`], as they always were.

use crate::context::{Filled, Gap};
use crate::performance::Benchmark;
use crate::regulatory::{DocumentRow, Regulatory, Texts, UncoveredClause};
use crate::rows::{ControlView, GateStatus, TraceRow, WaiverRow};
use clic_compiler::plan::{Severity, Stage};
use clic_runner::budget::ReadLimits;
use clic_runner::evidence::{CheckResult, Summary};
use serde::{Serialize, Serializer};

/// A value written with its object keys sorted at every level, as a `serde_json::Value`
/// holds them, whatever the order its fields are declared in.
#[derive(Debug, Clone, Copy)]
pub struct Sorted<T>(pub T);

impl<T: Serialize> Serialize for Sorted<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_json::to_value(&self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

/// The context of every Markdown template.
#[derive(Debug, Serialize)]
pub struct Context<'a> {
    /// The version of clic that made the dossier.
    pub clic_version: &'a str,
    /// The release gate's state and what blocks it.
    pub status: GateStatus<'a>,
    /// The released commit, its date and tag.
    pub release: Release,
    /// The device as the manifest describes it.
    pub device: Device<'a>,
    /// The benchmark, or why there is none.
    pub benchmark: Benchmark<'a>,
    /// Every kind of document, declared or not.
    pub documents: Vec<DocumentRow>,
    /// Short texts from the documents.
    pub text: Texts,
    /// The STARD 2015 and CLAIM checklists, item by item.
    pub reporting: crate::reporting::Reporting,
    /// The risk file's hazard ↔ risk control ↔ verification matrix (Annex II 5(b)).
    pub risk_matrix: crate::risk_matrix::RiskMatrix,
    /// The regulatory sections (Annex II, III, IV, the GSPRs).
    pub regulatory: Regulatory<'a>,
    /// Every control with its result.
    pub controls: Vec<ControlView<'a>>,
    /// Requirement -> control -> result.
    pub traceability: Vec<TraceRow<'a>>,
    /// The waivers and their state.
    pub waivers: Vec<WaiverRow<'a>>,
    /// The date waivers were evaluated as of.
    pub waivers_as_of: &'a str,
    /// The evidence appendix: inputs, hashes and templates.
    pub appendix: Appendix<'a>,
    /// The gap report.
    pub gaps: GapReport<'a>,
}

/// The gap report: the frameworks the controls cite, the clauses no control covers and
/// the sections the inputs could not fill.
#[derive(Debug, Serialize)]
pub struct GapReport<'a> {
    /// Short names of the frameworks the controls cite.
    pub frameworks: Vec<&'a str>,
    /// Clauses of those frameworks no control covers.
    pub clauses: Vec<UncoveredClause>,
    /// The clauses whose every control does not apply to this device, with why.
    pub not_applicable: Vec<UncoveredClause>,
    /// Sections left unfilled, sorted, each once.
    pub sections: Vec<Gap>,
}

/// The released commit as git describes it.
#[derive(Debug, Serialize)]
pub struct Release {
    /// The commit id, or a gap.
    pub commit: Filled,
    /// Its date (YYYY-MM-DD), or a gap.
    pub date: Filled,
    /// The tag at the commit, or `none`.
    pub tag: String,
    /// The branch, or `none`.
    pub branch: String,
    /// Whether the inputs are as committed, in words.
    pub clean: String,
    /// Whether there is a commit at all.
    pub versioned: bool,
}

/// The device as the manifest describes it; an absent value is an empty string.
#[derive(Debug, Serialize)]
pub struct Device<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Its intended purpose.
    pub purpose: &'a str,
    /// Its class.
    pub class: &'a str,
    /// Its classification rule (`rule 11`), or a gap.
    pub rule: Filled,
    /// The model file.
    pub artifact: &'a str,
    /// The model's sha256 as the manifest pins it.
    pub pinned_sha256: &'a str,
    /// The input tensor.
    pub input_tensor: &'a str,
    /// The modalities it reads, joined with `, `.
    pub modalities: String,
    /// The preprocessing steps, in words.
    pub preprocessing: Vec<String>,
    /// The output tensor.
    pub output_tensor: &'a str,
    /// The operating point, in words.
    pub operating_point: String,
    /// What a positive output means.
    pub positive_meaning: &'a str,
    /// The reference folder.
    pub reference: &'a str,
    /// The labels file.
    pub labels: &'a str,
    /// The training patient list.
    pub training_patients: &'a str,
    /// The claims, as written.
    pub claims: Vec<ClaimLine<'a>>,
    /// The documents the manifest names.
    pub documents: Vec<DocumentLine<'a>>,
    /// The policies it uses.
    pub policies: &'a [String],
    /// Where the manifest is declared: `file:line`.
    pub manifest: String,
}

/// A claim of the manifest, as written.
#[derive(Debug, Serialize)]
pub struct ClaimLine<'a> {
    /// The metric.
    pub name: &'a str,
    /// The claimed value, as its metric is shown.
    pub value: String,
}

/// A document the manifest names.
#[derive(Debug, Serialize)]
pub struct DocumentLine<'a> {
    /// Its kind.
    pub kind: &'a str,
    /// Its path.
    pub path: &'a str,
}

/// The evidence appendix: the inputs by role, the scans' manifest, the hashes and the
/// templates.
#[derive(Debug, Serialize)]
pub struct Appendix<'a> {
    /// Every input but the reference scans, by role (sorted).
    pub groups: Vec<InputGroup<'a>>,
    /// The manifest of the reference scans.
    pub scans_manifest: ScansManifest<'a>,
    /// The model file's sha256, or a gap.
    pub model_sha256: Filled,
    /// The sha256 the manifest pins, or a gap.
    pub pinned_sha256: Filled,
    /// The labels file's sha256, or a gap.
    pub labels_sha256: Filled,
    /// The manifest's path.
    pub manifest: &'a str,
    /// The manifest's sha256, or a gap.
    pub manifest_sha256: Filled,
    /// The benchmark's cache key, or a gap.
    pub bench_key: Filled,
    /// Every template used.
    pub templates: Vec<TemplateRow<'a>>,
}

/// The inputs of one role.
#[derive(Debug, Serialize)]
pub struct InputGroup<'a> {
    /// The role, e.g. `model`.
    pub role: &'a str,
    /// Its files, by path.
    pub files: Vec<InputFile<'a>>,
}

/// An input and its hash.
#[derive(Debug, Serialize)]
pub struct InputFile<'a> {
    /// Its path.
    pub path: &'a str,
    /// Its sha256, or `missing`.
    pub sha256: &'a str,
}

/// `scans.sha256`, the manifest of the reference scans.
#[derive(Debug, Serialize)]
pub struct ScansManifest<'a> {
    /// Its file name in the dossier.
    pub file: &'a str,
    /// Its sha256.
    pub sha256: String,
    /// How many scans it lists.
    pub count: usize,
}

/// A template the dossier was rendered with.
#[derive(Debug, Serialize)]
pub struct TemplateRow<'a> {
    /// Its file name.
    pub name: &'a str,
    /// Built in, or the file that overrides it.
    pub source: String,
    /// sha256 of the text used.
    pub sha256: &'a str,
}

/// The context of `index.html`.
#[derive(Debug, Serialize)]
pub struct Page<'a> {
    /// The device's name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Its intended purpose.
    pub purpose: &'a str,
    /// Its class.
    pub class: &'a str,
    /// The released commit, or why it is not known.
    pub commit: String,
    /// Its date, or why it is not known.
    pub date: String,
    /// The version of clic.
    pub clic_version: &'a str,
    /// The release gate's state.
    pub status: &'a GateStatus<'a>,
    /// Every document, rendered.
    pub documents: Vec<PageDocument>,
}

/// A document of `index.html`.
#[derive(Debug, Serialize)]
pub struct PageDocument {
    /// Its anchor: the file name without `.md`.
    pub id: String,
    /// Its title.
    pub title: &'static str,
    /// Its HTML.
    pub html: String,
    /// Its sections and items, for the page's contents.
    pub contents: Vec<crate::page::Entry>,
}

/// `results.json` (format `clic.dossier-results/1`).
#[derive(Debug, Serialize)]
pub struct Results<'a> {
    /// The threshold of severity that fails the gate.
    pub fail_on: &'a Severity,
    /// `clic.dossier-results/1`.
    pub format: &'static str,
    /// `passed` or `failed`.
    pub gate: &'static str,
    /// The reading limits, when not the defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Sorted<&'a ReadLimits>>,
    /// Every result with its hash.
    pub results: Vec<ResultEntry<'a>>,
    /// The stage.
    pub stage: &'a Stage,
    /// The counts.
    pub summary: Sorted<&'a Summary>,
    /// The date waivers were evaluated as of.
    pub waivers_as_of: &'a str,
}

/// A result of `results.json`, with its hash.
#[derive(Debug, Serialize)]
pub struct ResultEntry<'a> {
    /// The result.
    pub result: Sorted<&'a CheckResult>,
    /// Its sha256.
    pub sha256: String,
}
