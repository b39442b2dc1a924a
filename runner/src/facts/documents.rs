//! `documents.*` facts: the documents the manifest names, read by
//! [`documents::load_all`](crate::documents::load_all) on first use.
//!
//! `documents.<kind>` is the `Document` record of that kind, declared or not (an
//! undeclared or missing document does not exist, is not approved, lacks every heading of
//! its template and answers none of its questions); `documents.all` lists the declared
//! ones, sorted by kind. A document that cannot be read (outside the project, not UTF-8,
//! malformed front matter) makes the facts that include it invalid input.

use super::{BadInput, FactError, FactProvider, Reads};
use crate::documents::{load_all, soup, LoadedDocument};
use clic_compiler::plan::{ModelSpec, Value};
use clic_compiler::schema::{Provider, DOCUMENT_KINDS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every declared document; each kind of [`DOCUMENT_KINDS`] is `documents.<kind>`.
pub const ALL: &str = "documents.all";

/// The facts read from what the documents hold (their tables), beside the records.
pub const CONTENTS: [&str; 9] = [
    "documents.consistency.ifu_missing_risks",
    "documents.purpose.significance",
    "documents.purpose.situation",
    "documents.risk.hazards",
    "documents.soup.items",
    "documents.soup.missing",
    "documents.soup.unconfirmed",
    "documents.soup.unlisted_operators",
    "documents.soup.version_mismatches",
];

/// What `documents.*` facts read: every document the manifest names, and the model
/// artifact (its operators are compared with the SOUP list).
pub fn inputs(spec: Option<&ModelSpec>) -> Reads {
    Reads::Files(spec.map_or_else(Vec::new, |m| {
        m.documents
            .values()
            .cloned()
            .chain([m.artifact.path.clone()])
            .collect()
    }))
}

/// Serves `documents.*` from the files the manifest's `documents` block names.
#[derive(Debug, Clone)]
pub struct DocumentsFacts {
    dir: PathBuf,
    root: PathBuf,
    spec: Option<ModelSpec>,
    loaded: Option<Vec<LoadedDocument>>,
}

impl DocumentsFacts {
    /// Facts about the documents of this manifest: their paths are relative to `dir` (the
    /// manifest's folder) and must stay inside `root` (the project).
    pub fn new(dir: &Path, root: &Path, spec: Option<ModelSpec>) -> Self {
        Self {
            dir: dir.to_path_buf(),
            root: root.to_path_buf(),
            spec,
            loaded: None,
        }
    }

    /// The operators of the model's graph; none when the artifact cannot be read (its
    /// own facts say why).
    fn operators(&self) -> Option<std::collections::BTreeSet<String>> {
        let spec = self.spec.as_ref()?;
        let bytes = crate::facts::artifact::read_model(&self.dir.join(&spec.artifact.path)).ok()?;
        crate::facts::artifact::onnx::read(&bytes)
            .ok()
            .map(|info| info.operators)
    }

    /// A fact of [`CONTENTS`].
    fn contents(&mut self, path: &str) -> Result<Value, FactError> {
        let docs = self.docs()?;
        let doc_of = |kind: &str| docs.iter().find(|d| d.kind == kind);
        if let Some(which) = path.strip_prefix("documents.purpose.") {
            // What the intended use says of Rule 11 (empty when it is missing).
            let body = match doc_of("intended_use") {
                Some(d) if d.error.is_none() => d.body.as_str(),
                Some(d) => return record(d),
                None => "",
            };
            let found = if which == "significance" {
                crate::documents::significance::significance(body)
            } else {
                crate::documents::significance::situation(body)
            };
            return Ok(strings(&found));
        }
        if path == "documents.consistency.ifu_missing_risks" {
            // The risk file's information for safety against the IFU's safety sections.
            let risk = match doc_of("risk_management") {
                Some(d) if d.error.is_none() => d.body.as_str(),
                Some(d) => return record(d),
                None => "",
            };
            let ifu = match doc_of("ifu") {
                Some(d) if d.error.is_some() => return record(d),
                Some(d) if d.declared && d.exists => Some(d.body.as_str()),
                _ => None,
            };
            let hazards = crate::documents::risk::hazards(risk);
            return Ok(strings(&crate::documents::consistency::ifu_missing_risks(
                &hazards, ifu,
            )));
        }
        if path == "documents.risk.hazards" {
            let body = match doc_of("risk_management") {
                Some(d) if d.error.is_none() => d.body.as_str(),
                Some(d) => return record(d),
                None => "",
            };
            return Ok(Value::List(
                crate::documents::risk::hazards(body)
                    .iter()
                    .map(hazard_value)
                    .collect(),
            ));
        }
        let (body, declared) = match doc_of("soup_list") {
            Some(d) if d.error.is_none() => (d.body.clone(), d.declared && d.exists),
            Some(d) => return record(d),
            None => (String::new(), false),
        };
        let items = soup::items(&body);
        if path == "documents.soup.items" {
            return Ok(Value::List(items.iter().map(soup_value).collect()));
        }
        let known = self
            .spec
            .as_ref()
            .map(soup::known_components)
            .unwrap_or_default();
        let operators = self.operators();
        let mut c = soup::compare(&items, &body, &known, operators.as_ref());
        if !declared {
            c.missing.insert(
                0,
                "the SOUP list (the manifest names none, or it is missing)".to_string(),
            );
        }
        Ok(match path {
            "documents.soup.missing" => strings(&c.missing),
            "documents.soup.unconfirmed" => strings(&c.unconfirmed),
            "documents.soup.version_mismatches" => strings(&c.version_mismatches),
            _ => c.unlisted_operators.as_deref().map_or(Value::Null, strings),
        })
    }

    fn docs(&mut self) -> Result<&[LoadedDocument], FactError> {
        let Some(spec) = &self.spec else {
            return Err(FactError::unavailable("the project has no model manifest"));
        };
        let docs = self
            .loaded
            .get_or_insert_with(|| load_all(&self.dir, &self.root, Some(spec)));
        Ok(docs)
    }
}

fn text(s: Option<&String>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.clone()))
}

fn strings(items: &[String]) -> Value {
    Value::List(items.iter().cloned().map(Value::String).collect())
}

/// The `Document` record of a loaded document; its error when it cannot be read.
pub fn record(doc: &LoadedDocument) -> Result<Value, FactError> {
    if let Some(e) = &doc.error {
        return Err(FactError::invalid(BadInput::Document, e.reason.clone()));
    }
    let fm = &doc.front_matter;
    let fields = [
        ("kind", Value::String(doc.kind.clone())),
        ("path", text(doc.path.as_ref())),
        ("declared", Value::Bool(doc.declared)),
        ("exists", Value::Bool(doc.exists)),
        ("approved", Value::Bool(doc.approved())),
        ("approved_by", text(fm.approved_by.as_ref())),
        ("date", fm.date.clone().map_or(Value::Null, Value::Date)),
        ("version", text(fm.version.as_ref())),
        ("missing_headings", strings(&doc.missing_headings)),
        ("empty_sections", strings(&doc.empty_sections)),
        ("unanswered", strings(&doc.unanswered)),
    ];
    Ok(Value::Record(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    ))
}

fn record_of<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Record(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn soup_value(i: &soup::SoupItem) -> Value {
    record_of([
        ("name", Value::String(i.name.clone())),
        ("supplier", text(i.supplier.as_ref())),
        ("version", Value::String(i.version.clone())),
        ("used_for", text(i.used_for.as_ref())),
    ])
}

/// A `Hazard` record as the risk file states it: `passed_by` and `verified` are none
/// until a run resolves them against its results ([`crate::evidence`]).
fn hazard_value(h: &crate::documents::risk::Hazard) -> Value {
    record_of([
        ("id", Value::String(h.id.clone())),
        ("hazard", Value::String(h.hazard.clone())),
        (
            "controls",
            Value::List(
                h.controls
                    .iter()
                    .map(|c| Value::String(c.control.clone()))
                    .collect(),
            ),
        ),
        ("verified_by", strings(&h.verified_by())),
        ("reviews", strings(&h.reviews())),
        ("passed_by", Value::Null),
        ("unresolved", Value::Null),
        ("verified", Value::Null),
    ])
}

impl FactProvider for DocumentsFacts {
    fn provider(&self) -> Provider {
        Provider::Documents
    }

    fn serves(&self) -> Vec<String> {
        let kinds = DOCUMENT_KINDS.iter().map(|k| format!("documents.{k}"));
        [ALL.to_string()]
            .into_iter()
            .chain(kinds)
            .chain(CONTENTS.iter().map(|c| c.to_string()))
            .collect()
    }

    fn fact(&mut self, path: &str, _: &[Value]) -> Result<Value, FactError> {
        if CONTENTS.contains(&path) {
            return self.contents(path);
        }
        let docs = self.docs()?;
        if path == ALL {
            return docs
                .iter()
                .filter(|d| d.declared)
                .map(record)
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List);
        }
        let kind = path
            .strip_prefix("documents.")
            .filter(|k| DOCUMENT_KINDS.contains(k));
        match docs.iter().find(|d| Some(d.kind.as_str()) == kind) {
            Some(doc) => record(doc),
            None => Err(FactError::unavailable(format!(
                "`{path}` is not a documents fact"
            ))),
        }
    }
}
