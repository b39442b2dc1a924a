//! The typed contexts of the templates and of the dossier's JSON files. The parts that
//! [`crate::context`] and [`crate::sections`] build are still `serde_json::Value`; the
//! top of each context, what `index.html` shows and `results.json` are typed here.
//!
//! Handlebars reads a context as JSON, and `serde_json` (without `preserve_order`) keeps
//! object keys sorted: the fields of a struct written to a file ([`Results`],
//! [`ResultEntry`]) are declared in alphabetical order so its bytes stay as they were, and
//! the runner's records inside it (a result, the summary, the limits) are written as JSON
//! values, whose keys are sorted, as they always were.

use crate::context::Gap;
use crate::rows::{ControlView, GateStatus, TraceRow, WaiverRow};
use clic_compiler::plan::{Severity, Stage};
use serde::Serialize;
use serde_json::Value;

/// The context of every Markdown template.
#[derive(Debug, Serialize)]
pub struct Context<'a> {
    /// The version of clic that made the dossier.
    pub clic_version: &'a str,
    /// The release gate's state and what blocks it.
    pub status: GateStatus<'a>,
    /// The released commit, its date and tag.
    pub release: Value,
    /// The device as the manifest describes it.
    pub device: Value,
    /// The benchmark, or why there is none.
    pub benchmark: Value,
    /// Every kind of document, declared or not.
    pub documents: Vec<Value>,
    /// Short texts from the documents.
    pub text: Value,
    /// The regulatory sections (Annex II, III, IV, the GSPRs).
    pub regulatory: Value,
    /// Every control with its result.
    pub controls: Vec<ControlView<'a>>,
    /// Requirement -> control -> result.
    pub traceability: Vec<TraceRow<'a>>,
    /// The waivers and their state.
    pub waivers: Vec<WaiverRow<'a>>,
    /// The date waivers were evaluated as of.
    pub waivers_as_of: &'a str,
    /// The evidence appendix: inputs, hashes and templates.
    pub appendix: Value,
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
    pub clauses: Vec<Value>,
    /// Sections left unfilled, sorted, each once.
    pub sections: Vec<Gap>,
}

/// The hashes and sources the evidence appendix adds to the inputs.
#[derive(Debug, Serialize)]
pub struct AppendixSources<'a> {
    /// The model file's sha256, or a gap.
    pub model_sha256: Value,
    /// The sha256 the manifest pins, or a gap.
    pub pinned_sha256: Value,
    /// The labels file's sha256, or a gap.
    pub labels_sha256: Value,
    /// The manifest's path.
    pub manifest: &'a str,
    /// The manifest's sha256, or a gap.
    pub manifest_sha256: Value,
    /// The benchmark's cache key, or a gap.
    pub bench_key: Value,
    /// Every template used.
    pub templates: Vec<TemplateRow<'a>>,
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
    pub class: &'a Value,
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
    pub limits: Option<Value>,
    /// Every result with its hash.
    pub results: Vec<ResultEntry>,
    /// The stage.
    pub stage: &'a Stage,
    /// The counts.
    pub summary: Value,
    /// The date waivers were evaluated as of.
    pub waivers_as_of: &'a str,
}

/// A result of `results.json`, with its hash.
#[derive(Debug, Serialize)]
pub struct ResultEntry {
    /// The result (a `CheckResult`).
    pub result: Value,
    /// Its sha256.
    pub sha256: String,
}
