//! The typed rows of the templates' context that describe controls: the release status,
//! each control with its result, the traceability matrix and the waiver register
//! ([`crate::context`](mod@crate::context) builds them), and the controls the regulatory sections list
//! under an item ([`crate::fill`], [`crate::sections`]).

use serde::Serialize;

/// The release status: what the first page of every document says.
#[derive(Debug, Clone, Serialize)]
pub struct GateStatus<'a> {
    /// Whether the gate passed.
    pub passed: bool,
    /// The stage.
    pub stage: &'static str,
    /// The threshold of severity that fails the gate.
    pub fail_on: &'static str,
    /// The results by status.
    pub counts: Counts,
    /// The results that block the release.
    pub blocking: Vec<Blocking<'a>>,
    /// How the GSPRs that apply are evidenced: by measurement, a reviewed document or a
    /// presence only ([`crate::evidenced`]).
    pub evidenced: crate::evidenced::Evidenced,
}

/// The results by status.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Waived.
    pub waived: usize,
    /// Not applicable.
    pub skipped: usize,
    /// Not available.
    pub unavailable: usize,
    /// Every result.
    pub total: usize,
}

/// A result that blocks the release.
#[derive(Debug, Clone, Serialize)]
pub struct Blocking<'a> {
    /// The control.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its severity.
    pub severity: &'static str,
    /// Its status, in words.
    pub status: &'static str,
    /// Whether its waiver has expired.
    pub expired_waiver: bool,
}

/// One control with its result, for the GSPR checklist and the traceability matrix.
#[derive(Debug, Clone, Serialize)]
pub struct ControlView<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its policy.
    pub policy: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its severity.
    pub severity: &'static str,
    /// Its stage.
    pub stage: &'static str,
    /// Its status in words, or "not run at this stage".
    pub status: String,
    /// Whether it passed.
    pub passed: bool,
    /// The clauses it cites.
    pub citations: Vec<CitationView<'a>>,
    /// Its expectations, as written.
    pub expectations: Vec<String>,
    /// When it applies, as written.
    pub applies_when: Option<String>,
    /// The expectations that did not hold.
    pub failed: Vec<String>,
    /// The facts read, with their values.
    pub observed: Vec<ObservedView<'a>>,
    /// Why it could not be evaluated.
    pub unavailable: Option<String>,
    /// The waiver that applies, with its state.
    pub waiver: Option<WaiverView<'a>>,
    /// sha256 of its result; empty when not run.
    pub result_sha256: String,
    /// Where it is declared: `file:line`.
    pub declared: String,
}

/// A clause a control cites.
#[derive(Debug, Clone, Serialize)]
pub struct CitationView<'a> {
    /// The framework's id.
    pub framework: &'a str,
    /// Its name.
    pub framework_name: &'a str,
    /// The clause.
    pub clause: &'a str,
}

/// A fact a control read.
#[derive(Debug, Clone, Serialize)]
pub struct ObservedView<'a> {
    /// The fact.
    pub fact: &'a str,
    /// Its value, shown.
    pub value: String,
}

/// The waiver of a control, with its state.
#[derive(Debug, Clone, Serialize)]
pub struct WaiverView<'a> {
    /// Active, expired, ...
    pub state: &'a str,
    /// Why it was granted.
    pub reason: &'a str,
    /// Who approved it.
    pub approved_by: &'a str,
    /// When it expires.
    pub expires: &'a str,
}

/// A row of the traceability matrix: clause -> control -> result -> evidence hash.
#[derive(Debug, Clone, Serialize)]
pub struct TraceRow<'a> {
    /// The framework's name.
    pub framework: &'a str,
    /// The clause.
    pub clause: &'a str,
    /// The control.
    pub control: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its status in words.
    pub status: &'static str,
    /// sha256 of its result; empty when not run.
    pub result_sha256: String,
}

/// A row of the waiver register.
#[derive(Debug, Clone, Serialize)]
pub struct WaiverRow<'a> {
    /// The control waived.
    pub control: &'a str,
    /// Its title.
    pub title: String,
    /// Why.
    pub reason: &'a str,
    /// Who approved it.
    pub approved_by: &'a str,
    /// When it expires.
    pub expires: &'a str,
    /// The risk accepted, or "none given".
    pub risk: String,
    /// What became of it.
    pub state: String,
    /// The control's status in words.
    pub control_status: &'static str,
    /// Where it is declared: `file:line`.
    pub declared: String,
}

/// A control that covers an Annex item, with its status.
#[derive(Debug, Clone, Serialize)]
pub struct ControlRef<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its status in words, or "not run at this stage".
    pub status: String,
}

/// A control that covers a GSPR, with its result.
#[derive(Debug, Clone, Serialize)]
pub struct CoveringControl<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its status in words, or "not run at this stage".
    pub status: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// sha256 of its result; empty when not run.
    pub result_sha256: String,
}
