//! What kind of evidence a control gives, read from the facts its expectations read (the
//! compiled plan keeps each expectation's expression), so that "passed" never reads as
//! more than it is: a control that measured the model on the reference set, one that
//! checked what a document says and that it is approved, and one that found a file, a
//! heading or a declaration are told apart on the cover and in the GSPR checklist.
//!
//! The kind of a fact follows from its provider in the fact schema
//! ([`clic_compiler::schema::Provider`]): the benchmark, the reference scans and the model
//! file are measured by clic, and so is the repository's state and history (a signature
//! verified against the allowed signers, the order of commits, a clean tree), but for a
//! signature's mere presence (`git.head.signed`, a fact of git whose name ends in
//! `signed`); the manifest's facts are the team's declarations. A document's record is a presence where the expression reads no more of
//! it than [`PRESENCE_FIELDS`] (it exists, is declared, has its headings), and a reviewed
//! document where it reads anything else (its sections' content, its approval, its
//! answers); a fact of the documents that is not a document's record (the risk file's
//! hazard matrix) is read from what the document says, so it is a reviewed document. A
//! control's kind is the strongest of its expectations'; a requirement's, the strongest of
//! its passing controls'.

use crate::catalogue::{covers, GSPRS};
use clic_compiler::plan::{Check, Ir, Plan, Value};
use clic_compiler::schema::{fact, Provider};
use clic_runner::evidence::{Evidence, Status};
use serde::Serialize;
use std::collections::BTreeSet;

/// The kinds of evidence, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A document, a heading or a declaration exists; nothing checks what it says.
    Presence,
    /// A document's content (its sections written, its questions answered) or its
    /// approval is checked.
    ReviewedDocument,
    /// clic measured it: the benchmark, the reference scans, the model file, the
    /// repository (a signature verified, the order of commits).
    Measurement,
}

impl Kind {
    /// The kind, as the dossier names it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Measurement => "measurement",
            Kind::ReviewedDocument => "reviewed document",
            Kind::Presence => "presence only",
        }
    }
}

/// The fields of a document's record that say only that it, or a heading of it, exists.
pub const PRESENCE_FIELDS: [&str; 5] = ["kind", "path", "declared", "exists", "missing_headings"];

/// Whether a field of the `Document` record says what the document holds or that it was
/// approved: any of its fields but [`PRESENCE_FIELDS`].
fn content_field(field: &str) -> bool {
    !PRESENCE_FIELDS.contains(&field)
        && clic_compiler::schema::RECORDS
            .iter()
            .find(|r| r.name == "Document")
            .is_some_and(|r| r.fields.iter().any(|(name, _, _)| *name == field))
}

/// Whether a fact is a document's record (`documents.ifu`) or a list of them.
fn document_record(path: &str) -> bool {
    fact(path).is_some_and(|d| d.ty == "Document" || d.ty == "List<Document>")
}

/// What one expression reads.
#[derive(Debug, Default)]
pub struct Reads {
    /// The facts, by path.
    pub facts: BTreeSet<String>,
    /// The fields of records it reads, by name.
    pub fields: BTreeSet<String>,
    /// The text constants it holds (the headings a control names, ...).
    pub texts: Vec<String>,
}

fn walk(ir: &Ir, out: &mut Reads) {
    match ir {
        Ir::Const { value } => texts(value, out),
        Ir::Fact { path, .. } => {
            out.facts.insert(path.clone());
        }
        Ir::Var { .. } => {}
        Ir::Field { base, field } => {
            out.fields.insert(field.clone());
            walk(base, out);
        }
        Ir::Not { arg } | Ir::Neg { arg } | Ir::Exists { arg } => walk(arg, out),
        Ir::And { lhs, rhs }
        | Ir::Or { lhs, rhs }
        | Ir::Arith { lhs, rhs, .. }
        | Ir::Compare { lhs, rhs, .. } => {
            walk(lhs, out);
            walk(rhs, out);
        }
        Ir::In { elem, list, .. } => {
            walk(elem, out);
            walk(list, out);
        }
        Ir::Matches { subject, .. } => walk(subject, out),
        Ir::Quantifier { over, body, .. } => {
            walk(over, out);
            walk(body, out);
        }
        Ir::Count { over, filter } => {
            walk(over, out);
            if let Some((_, body)) = filter {
                walk(body, out);
            }
        }
        Ir::Proportion { value, n } => {
            walk(value, out);
            walk(n, out);
        }
        Ir::List { items } => items.iter().for_each(|i| walk(i, out)),
        Ir::Record { fields } => fields.iter().for_each(|(_, i)| walk(i, out)),
    }
}

fn texts(v: &Value, out: &mut Reads) {
    match v {
        Value::String(s) => out.texts.push(s.clone()),
        Value::List(items) => items.iter().for_each(|i| texts(i, out)),
        _ => {}
    }
}

/// What an expression reads.
pub fn reads(ir: &Ir) -> Reads {
    let mut out = Reads::default();
    walk(ir, &mut out);
    out
}

/// The kind of evidence a fact gives, read with these fields.
pub fn of_fact(path: &str, fields: &BTreeSet<String>) -> Kind {
    match fact(path).map(|d| d.provider) {
        Some(Provider::Benchmark | Provider::Scans | Provider::Artifact) => Kind::Measurement,
        Some(Provider::Git) if !path.ends_with("signed") => Kind::Measurement,
        Some(Provider::Documents) if !document_record(path) => Kind::ReviewedDocument,
        Some(Provider::Documents) if fields.iter().any(|f| content_field(f)) => {
            Kind::ReviewedDocument
        }
        _ => Kind::Presence,
    }
}

/// The kind of evidence a control gives: the strongest of its expectations' (its
/// `applies when` does not count: it says when, not what).
pub fn of_check(c: &Check) -> Kind {
    c.expect
        .iter()
        .map(|e| {
            let r = reads(&e.ir);
            r.facts
                .iter()
                .map(|f| of_fact(f, &r.fields))
                .max()
                .unwrap_or(Kind::Presence)
        })
        .max()
        .unwrap_or(Kind::Presence)
}

/// The documents a control reads, by kind, with the text constants of the expectations
/// that read each (the headings it names). `documents.all` names no kind and is left out.
pub fn documents_read(c: &Check) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for e in &c.expect {
        let r = reads(&e.ir);
        for f in &r.facts {
            let Some(kind) = f.strip_prefix("documents.") else {
                continue;
            };
            if !document_record(f) || kind == "all" {
                continue;
            }
            let at = match out.iter().position(|(k, _)| k == kind) {
                Some(i) => i,
                None => {
                    out.push((kind.to_string(), Vec::new()));
                    out.len() - 1
                }
            };
            for t in &r.texts {
                if !out[at].1.contains(t) {
                    out[at].1.push(t.clone());
                }
            }
        }
    }
    out
}

/// What a control checks of one section of a document of `kind`: its content (an
/// expectation reads the document's `empty_sections`, naming this heading or none, which
/// is every required one), its presence only (`missing_headings` likewise), or nothing.
pub fn section_checked(c: &Check, kind: &str, heading: &str) -> Option<Kind> {
    let fact = format!("documents.{kind}");
    let named =
        |r: &Reads| r.texts.is_empty() || r.texts.iter().any(|t| t.eq_ignore_ascii_case(heading));
    c.expect
        .iter()
        .filter_map(|e| {
            let r = reads(&e.ir);
            if !r.facts.contains(&fact) || !named(&r) {
                return None;
            }
            if r.fields.contains("empty_sections") {
                Some(Kind::ReviewedDocument)
            } else if r.fields.contains("missing_headings") {
                Some(Kind::Presence)
            } else {
                None
            }
        })
        .max()
}

/// Whether a control checks that the document of `kind` is approved.
pub fn approval_checked(c: &Check, kind: &str) -> bool {
    let fact = format!("documents.{kind}");
    c.expect.iter().any(|e| {
        let r = reads(&e.ir);
        r.facts.contains(&fact) && r.fields.contains("approved")
    })
}

/// How the requirements of MDR Annex I that apply are evidenced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidenced {
    /// The requirements that apply (headings, assessed in their sub-items, not counted).
    pub requirements: usize,
    /// Evidenced by measurement.
    pub measurement: usize,
    /// Evidenced by a reviewed document at best.
    pub reviewed_document: usize,
    /// Evidenced by a document's or a declaration's presence only.
    pub presence: usize,
    /// No passing control covers them.
    pub open: usize,
}

/// The kind of evidence of a requirement: the strongest of its passing controls'; none
/// when no covering control passes.
pub fn of_requirement(plan: &Plan, evidence: &Evidence, id: &str) -> Option<Kind> {
    plan.checks
        .iter()
        .filter(|c| {
            c.citations
                .iter()
                .any(|x| x.framework == "mdr" && covers(&x.clause, id))
        })
        .filter(|c| {
            evidence
                .results
                .iter()
                .any(|r| r.id == c.id && r.status == Status::Passed)
        })
        .map(of_check)
        .max()
}

/// How the GSPRs that apply are evidenced, counted.
pub fn gspr_counts(plan: &Plan, evidence: &Evidence) -> Evidenced {
    let mut out = Evidenced::default();
    for g in GSPRS.iter().filter(|g| g.applicable && !g.heading) {
        out.requirements += 1;
        match of_requirement(plan, evidence, g.id) {
            Some(Kind::Measurement) => out.measurement += 1,
            Some(Kind::ReviewedDocument) => out.reviewed_document += 1,
            Some(Kind::Presence) => out.presence += 1,
            None => out.open += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(f: &[&str]) -> BTreeSet<String> {
        f.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_fact_is_classified_by_its_provider_and_the_fields_read() {
        assert_eq!(
            of_fact("benchmark.sensitivity", &fields(&["ci95", "low"])),
            Kind::Measurement
        );
        assert_eq!(of_fact("scans.unreadable", &fields(&[])), Kind::Measurement);
        assert_eq!(
            of_fact("model.claims.sensitivity", &fields(&[])),
            Kind::Presence
        );
        assert_eq!(of_fact("git.head.signed", &fields(&[])), Kind::Presence);
        assert_eq!(
            of_fact("git.head.verified", &fields(&[])),
            Kind::Measurement
        );
        assert_eq!(
            of_fact("documents.ifu", &fields(&["exists", "missing_headings"])),
            Kind::Presence
        );
        assert_eq!(
            of_fact("documents.ifu", &fields(&["exists", "empty_sections"])),
            Kind::ReviewedDocument
        );
        assert_eq!(
            of_fact(
                "documents.risk_management",
                &fields(&["exists", "approved"])
            ),
            Kind::ReviewedDocument
        );
        assert_eq!(
            of_fact("documents.ifu", &fields(&["exists", "low", "ci95"])),
            Kind::Presence,
            "a field of another record of the expression is not the document's"
        );
        assert_eq!(
            of_fact("documents.risk.hazards", &fields(&[])),
            Kind::ReviewedDocument
        );
        assert_eq!(
            of_fact("git.tag.signature.verified", &fields(&[])),
            Kind::Measurement
        );
    }

    #[test]
    fn the_kinds_order_from_presence_to_measurement() {
        assert!(Kind::Presence < Kind::ReviewedDocument);
        assert!(Kind::ReviewedDocument < Kind::Measurement);
    }
}
