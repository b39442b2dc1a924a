//! The typed context of the regulatory sections: MDR Annex II, the Annex III plan, the
//! GSPR checklist, AI Act Annex IV and the data governance questionnaire
//! ([`crate::sections`] and [`crate::adapt`] build them, [`crate::fill`] fills each
//! item), with the documents every template lists and the gap report's clauses.

use crate::context::Filled;
use crate::rows::{ControlRef, CoveringControl};
use serde::Serialize;

/// The regulatory sections of every template.
#[derive(Debug, Serialize)]
pub struct Regulatory<'a> {
    /// MDR Annex II, sections 1 to 6.
    pub annex_ii: Vec<AnnexIISection<'a>>,
    /// The MDR Annex III post-market surveillance plan.
    pub annex_iii: AnnexIII<'a>,
    /// The GSPR checklist (MDR Annex I).
    pub gspr: Vec<GsprRow<'a>>,
    /// AI Act Annex IV, items 1 to 9.
    pub ai_act: Vec<AiActItem<'a>>,
    /// The answers of the questionnaire documents.
    pub questionnaire: Vec<Answer>,
    /// Why there are none; none when there are.
    pub no_questionnaire: Option<Filled>,
}

/// A section of MDR Annex II.
#[derive(Debug, Serialize)]
pub struct AnnexIISection<'a> {
    /// Its number.
    pub number: u8,
    /// Its title.
    pub title: &'static str,
    /// Its items.
    pub items: Vec<AnnexItem<'a>>,
}

/// An item of MDR Annex II: filled, not applicable with its justification, or a heading
/// whose sub-items follow.
#[derive(Debug, Serialize)]
pub struct AnnexItem<'a> {
    /// Its reference, e.g. `1.1(a)`.
    #[serde(rename = "ref")]
    pub reference: &'static str,
    /// Its title.
    pub title: &'static str,
    /// What the inputs say of it, or a gap.
    pub content: Filled,
    /// Its fact lines.
    pub facts: Vec<FactLine<'a>>,
    /// The controls covering it.
    pub controls: Vec<ControlRef<'a>>,
    /// The documents it rests on.
    pub documents: Vec<DocRef>,
}

/// A labelled fact of an item.
#[derive(Debug, Serialize)]
pub struct FactLine<'a> {
    /// Its label.
    pub label: &'static str,
    /// Its value.
    pub value: &'a str,
}

/// A document an item rests on.
#[derive(Debug, Serialize)]
pub struct DocRef {
    /// Its kind.
    pub kind: String,
    /// Its path.
    pub path: String,
    /// Its version, approver and date, or a gap when it does not exist.
    pub approval: Filled,
}

/// The MDR Annex III plan.
#[derive(Debug, Serialize)]
pub struct AnnexIII<'a> {
    /// An indicator per claim, with its threshold and baseline.
    pub indicators: Vec<Indicator<'a>>,
    /// Why there are none; none when there are.
    pub no_indicators: Option<Filled>,
    /// What triggers a benefit-risk reassessment: the team's own rule, quoted from the
    /// PMS plan's indicators section; none when the plan states none.
    pub trigger: Option<String>,
    /// The subgroups monitored.
    pub subgroups: Vec<&'static str>,
    /// The reporting cycle, with the baseline it rests on.
    pub psur: String,
    /// The catalogue's items, filled from the plan document.
    pub items: Vec<PmsItem>,
}

/// A monitoring indicator: a claim with its threshold and its baseline at release.
#[derive(Debug, Serialize)]
pub struct Indicator<'a> {
    /// The metric (`effusion sensitivity` for a finding's).
    pub name: std::borrow::Cow<'a, str>,
    /// The claim, as written.
    pub threshold: String,
    /// The estimate at release, with its interval.
    pub baseline: String,
    /// How it is monitored.
    pub method: &'static str,
}

/// An item of the Annex III plan.
#[derive(Debug, Serialize)]
pub struct PmsItem {
    /// Its reference, e.g. `1.1(a)`.
    #[serde(rename = "ref")]
    pub reference: &'static str,
    /// Its title.
    pub title: &'static str,
    /// What it must cover.
    pub elements: &'static [&'static str],
    /// What the plan document says of it, or a gap.
    pub content: Filled,
}

/// A requirement of the GSPR checklist.
#[derive(Debug, Serialize)]
pub struct GsprRow<'a> {
    /// The clause, e.g. `Annex I 17.1`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Its title.
    pub title: String,
    /// `yes`, `no`, or `—` for a heading.
    pub applies: &'static str,
    /// Why it applies or not.
    pub rationale: String,
    /// The methods.
    pub method: String,
    /// The standards.
    pub standards: String,
    /// The controls covering it, with their results.
    pub controls: Vec<CoveringControl<'a>>,
    /// The document sections that hold its evidence, each with its document's version.
    pub documents: Vec<GsprCitation>,
    /// How its passing controls evidence it ([`crate::evidenced::Kind::label`]), `none`
    /// when none passes, `—` for a heading or a requirement that does not apply.
    pub evidence: &'static str,
    /// Whether it is met, in words.
    pub verdict: &'static str,
}

/// A section of a document that holds the evidence of a GSPR.
#[derive(Debug, Clone, Serialize)]
pub struct GsprCitation {
    /// The document's path, as the manifest names it.
    pub path: String,
    /// Its version (front matter), or a marker when it records none.
    pub version: Filled,
    /// The section's heading, as the document writes it (as its template does when the
    /// document lacks it).
    pub section: String,
    /// `written`, `empty` or `absent`.
    pub state: &'static str,
    /// What a control of the policies checks of it, in words.
    pub checked: &'static str,
}

/// An item of AI Act Annex IV.
#[derive(Debug, Serialize)]
pub struct AiActItem<'a> {
    /// Its number.
    pub number: u8,
    /// Its title.
    pub title: &'static str,
    /// The points it requires.
    pub points: Vec<AiActPoint>,
    /// What the inputs say of it, or a gap.
    pub content: Filled,
    /// Its fact lines.
    pub facts: Vec<FactLine<'a>>,
    /// The controls covering it.
    pub controls: Vec<ControlRef<'a>>,
    /// The dossier's files it refers to.
    pub see: Vec<SeeAlso>,
}

/// A point of an AI Act Annex IV item.
#[derive(Debug, Serialize)]
pub struct AiActPoint {
    /// Its reference, e.g. `2(a)`; none for an unlettered point.
    #[serde(rename = "ref")]
    pub reference: Option<&'static str>,
    /// What it requires.
    pub requires: &'static str,
}

/// A file of the dossier an item refers to.
#[derive(Debug, Serialize)]
pub struct SeeAlso {
    /// The file.
    pub file: &'static str,
    /// Its title.
    pub title: &'static str,
}

/// An answer of a questionnaire document.
#[derive(Debug, Serialize)]
pub struct Answer {
    /// The question.
    pub question: String,
    /// The answer, or a marker when it is not answered.
    pub answer: Filled,
    /// The document.
    pub source: String,
}

/// A document kind, as every template lists it.
#[derive(Debug, Serialize)]
pub struct DocumentRow {
    /// Its kind in the manifest.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// Its path, or `not named by the manifest`.
    pub path: String,
    /// Whether the manifest names it.
    pub declared: bool,
    /// Whether it exists.
    pub exists: bool,
    /// Its approval, or why it is missing (a gap).
    pub state: Filled,
    /// Its headings.
    pub headings: Vec<String>,
}

/// The short texts other templates need from the documents.
#[derive(Debug, Serialize)]
pub struct Texts {
    /// How the reference standard was established (STARD 10b).
    pub reference_standard: Filled,
    /// The sample size (STARD 18).
    pub sample_size: Filled,
}

/// A clause of the frameworks in use that no passing control covers.
#[derive(Debug, Serialize)]
pub struct UncoveredClause {
    /// The framework's short name.
    pub framework: String,
    /// The clause (with its title when catalogued).
    pub clause: String,
    /// Why it is uncovered.
    pub why: String,
}
