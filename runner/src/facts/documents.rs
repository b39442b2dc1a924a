//! `documents.*` facts: the documents the manifest names, read by
//! [`documents::load_all`](crate::documents::load_all) on first use.
//!
//! `documents.<kind>` is the `Document` record of that kind, declared or not (an
//! undeclared or missing document does not exist, is not approved, lacks every heading of
//! its template and answers none of its questions); `documents.all` lists the declared
//! ones, sorted by kind. A document that cannot be read (outside the project, not UTF-8,
//! malformed front matter) makes the facts that include it invalid input.

use super::{BadInput, FactError, FactProvider, Reads};
use crate::documents::{load_all, LoadedDocument};
use clic_compiler::plan::{ModelSpec, Value};
use clic_compiler::schema::{Provider, DOCUMENT_KINDS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every declared document; each kind of [`DOCUMENT_KINDS`] is `documents.<kind>`.
pub const ALL: &str = "documents.all";

/// What `documents.*` facts read: every document the manifest names.
pub fn inputs(spec: Option<&ModelSpec>) -> Reads {
    Reads::Files(spec.map_or_else(Vec::new, |m| m.documents.values().cloned().collect()))
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

impl FactProvider for DocumentsFacts {
    fn provider(&self) -> Provider {
        Provider::Documents
    }

    fn serves(&self) -> Vec<String> {
        let kinds = DOCUMENT_KINDS.iter().map(|k| format!("documents.{k}"));
        [ALL.to_string()].into_iter().chain(kinds).collect()
    }

    fn fact(&mut self, path: &str, _: &[Value]) -> Result<Value, FactError> {
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
