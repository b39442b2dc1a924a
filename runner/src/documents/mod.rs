//! The human-written documents a manifest names in its `documents { kind "path" }` block:
//! intended use, risk management file, software development plan and architecture, SOUP
//! list, clinical evaluation, IFU, PMS plan, release notes, and the two impact
//! assessments kept as questionnaires (the GDPR DPIA and the Team-NB AI questionnaire).
//!
//! [`load_all`] reads every kind, declared or not, and says of each whether it exists,
//! what its front matter approves, which headings of its template it lacks and which
//! questions it leaves unanswered. The `documents.*` facts and the dossier both read it.
//!
//! The format a document follows (its template, see [`templates`], shows it):
//! - **Front matter**: a first line `---`, YAML `key: value` lines, a closing `---`.
//!   `approved_by`, `date` (YYYY-MM-DD) and `version` record the approval; an empty value
//!   or `TODO` counts as not filled in, and the document is approved when all three are
//!   filled in. Other keys are kept as they are.
//! - **Headings**: every `##` heading of the template must appear in the document as an
//!   ATX heading (`#` to `######`) of any level, compared case-insensitively with runs of
//!   white space as one space. Headings inside fenced code blocks do not count.
//! - **Questionnaires**: a question is a heading whose section holds a line starting with
//!   `**Answer:**`; the answer is the text from the marker to the next heading. An answer
//!   that is empty or a `TODO` placeholder (`TODO`, `TODO: ...`) is unanswered, and so is
//!   a question of the template that the document dropped.
//!
//! A missing file is not an error: it `exists` not, lacks every required heading and
//! answers no question. A path that leaves the project, a folder, an unreadable or
//! non-UTF-8 file and malformed front matter are errors ([`DocumentError`]), which clic
//! reports as invalid input (`clic::E023`, exit status 2).

pub mod consistency;
mod front_matter;
mod markdown;
pub mod risk;
pub mod sections;
pub mod significance;
pub mod soup;
pub mod tables;
pub mod templates;

pub use front_matter::FrontMatter;
pub use markdown::{is_placeholder, says_nothing, Heading};
pub use templates::{template, Template, TEMPLATES};

use clic_compiler::plan::ModelSpec;
use clic_compiler::schema::DOCUMENT_KINDS;
use std::path::{Component, Path};

/// The largest document read, in bytes (16 MiB of Markdown is some thousand pages).
pub const MAX_DOCUMENT_BYTES: u64 = 16 << 20;

/// A document of one kind, as read from the project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadedDocument {
    /// The kind, e.g. `risk_management`.
    pub kind: String,
    /// The document's title from its template, e.g. "Risk management file".
    pub title: String,
    /// The path as the manifest writes it (relative to the manifest's folder); none when
    /// the manifest does not name the document.
    pub path: Option<String>,
    /// Whether the manifest names it.
    pub declared: bool,
    /// Whether the file exists.
    pub exists: bool,
    /// The approval record and other keys of its front matter.
    pub front_matter: FrontMatter,
    /// The Markdown after the front matter (the whole text when there is none).
    pub body: String,
    /// Every heading of the body, in order.
    pub headings: Vec<Heading>,
    /// The `##` headings of its template that it lacks, in the template's order.
    pub missing_headings: Vec<String>,
    /// Required headings that are there but hold nothing of the document's own: their
    /// section is empty, a `TODO`, or still the template's guidance word for word.
    pub empty_sections: Vec<String>,
    /// The questions of its template in the template's order, then the questions only
    /// the document asks, with their answers.
    pub items: Vec<QuestionnaireItem>,
    /// The questions left unanswered, in the order of `items`.
    pub unanswered: Vec<String>,
    /// Why the document cannot be read; then only `kind`, `title`, `path`, `declared` and
    /// `exists` are meaningful.
    pub error: Option<DocumentError>,
}

/// A question of a questionnaire and its answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuestionnaireItem {
    /// The question: the text of its heading.
    pub question: String,
    /// The answer; none when empty, a `TODO` placeholder, or the question is missing.
    pub answer: Option<String>,
    /// The line of its heading; none when the document lacks the question.
    pub line: Option<usize>,
}

/// Why a document the manifest names cannot be read. It is always invalid input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentError {
    /// The reason in words, naming the file (and the line, for front matter).
    pub reason: String,
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl LoadedDocument {
    /// Whether its front matter fills in `approved_by`, `date` and `version`.
    pub fn approved(&self) -> bool {
        self.error.is_none() && self.front_matter.approved()
    }

    /// The text of the section under a heading (compared like required headings), up to
    /// the next heading of the same or a higher level; none when there is no such heading.
    pub fn section(&self, heading: &str) -> Option<String> {
        markdown::section(&self.body, heading)
    }

    fn empty(kind: &str, path: Option<&String>) -> Self {
        let t = template(kind);
        Self {
            kind: kind.to_string(),
            title: t.map_or_else(|| kind.replace('_', " "), Template::title),
            path: path.cloned(),
            declared: path.is_some(),
            exists: false,
            front_matter: FrontMatter::default(),
            body: String::new(),
            headings: Vec::new(),
            missing_headings: t.map(Template::required_headings).unwrap_or_default(),
            empty_sections: Vec::new(),
            items: t
                .map(Template::questions)
                .unwrap_or_default()
                .into_iter()
                .map(|question| QuestionnaireItem {
                    question,
                    answer: None,
                    line: None,
                })
                .collect(),
            unanswered: t.map(Template::questions).unwrap_or_default(),
            error: None,
        }
    }
}

/// Reads every kind of document, one per kind in
/// [`DOCUMENT_KINDS`], sorted by kind, declared or not. Paths are
/// relative to `manifest_dir` (the manifest's folder) and must stay inside `repo_root`
/// (the project: the git work tree, or the project folder outside one). Without a
/// manifest, no document is declared.
pub fn load_all(
    manifest_dir: &Path,
    repo_root: &Path,
    model: Option<&ModelSpec>,
) -> Vec<LoadedDocument> {
    let mut kinds: Vec<&str> = DOCUMENT_KINDS.to_vec();
    kinds.sort_unstable();
    kinds
        .into_iter()
        .map(|kind| {
            let path = model.and_then(|m| m.documents.get(kind));
            load(kind, path, manifest_dir, repo_root)
        })
        .collect()
}

/// Reads the document of `kind` at `path` (as the manifest writes it, relative to
/// `manifest_dir`); an undeclared document when `path` is none.
pub fn load(
    kind: &str,
    path: Option<&String>,
    manifest_dir: &Path,
    repo_root: &Path,
) -> LoadedDocument {
    let mut doc = LoadedDocument::empty(kind, path);
    let Some(named) = path else {
        return doc;
    };
    let fail = |mut doc: LoadedDocument, reason: String| {
        doc.error = Some(DocumentError { reason });
        doc
    };
    let file = manifest_dir.join(named);
    if !inside(&file, repo_root) {
        let reason = format!(
            "the {} `{named}` that the manifest names lies outside the project",
            doc.title.to_lowercase()
        );
        return fail(doc, reason);
    }
    if let Err(e) = std::fs::metadata(&file) {
        if e.kind() == std::io::ErrorKind::NotFound {
            return doc;
        }
    }
    // Only a regular file is read (a FIFO would block), and at most MAX_DOCUMENT_BYTES.
    let bytes = match crate::bench::input::read_regular(
        &file,
        MAX_DOCUMENT_BYTES,
        "the limit on the size of a document",
    ) {
        Ok(b) => b,
        Err(reason) => {
            doc.exists = file.exists();
            let reason = if file.is_dir() {
                "it is a folder, not a file".to_string()
            } else {
                reason
            };
            return fail(doc, format!("cannot read the document `{named}`: {reason}"));
        }
    };
    doc.exists = true;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
            return fail(
                doc,
                format!("the document `{named}` is not UTF-8 text (line {line}, byte {at})"),
            );
        }
    };
    let split = match markdown::split(&text) {
        Ok(s) => s,
        Err(markdown::Unclosed) => {
            return fail(
                doc,
                format!(
                    "`{named}` line 1: the front matter opened by `---` is never closed (end it with a line `---`)"
                ),
            )
        }
    };
    if let Some(yaml) = &split.yaml {
        match front_matter::parse(yaml) {
            Ok(fm) => doc.front_matter = fm,
            Err(m) => return fail(doc, format!("`{named}` line {}: {}", m.line, m.reason)),
        }
    }
    doc.body = split.body.to_string();
    doc.headings = markdown::headings(split.body, split.body_line);
    let found: Vec<String> = doc
        .headings
        .iter()
        .map(|h| markdown::normalize(&h.text))
        .collect();
    doc.missing_headings
        .retain(|h| !found.contains(&markdown::normalize(h)));
    if let Some(t) = template(kind) {
        doc.empty_sections = t
            .required_headings()
            .into_iter()
            .filter(|h| !doc.missing_headings.contains(h))
            .filter(|h| {
                let own = markdown::section(&doc.body, h).unwrap_or_default();
                markdown::is_placeholder(&own)
                    || t.section(h)
                        .is_some_and(|g| markdown::normalize(&g) == markdown::normalize(&own))
            })
            .collect();
    }
    let raw = markdown::items(split.body, split.body_line);
    let answer =
        |r: &markdown::RawItem| (!markdown::is_placeholder(&r.answer)).then(|| r.answer.clone());
    for item in &mut doc.items {
        let wanted = markdown::normalize(&item.question);
        if let Some(r) = raw
            .iter()
            .find(|r| markdown::normalize(&r.question) == wanted)
        {
            item.answer = answer(r);
            item.line = Some(r.line);
        }
    }
    for r in &raw {
        let q = markdown::normalize(&r.question);
        if !doc
            .items
            .iter()
            .any(|i| markdown::normalize(&i.question) == q)
        {
            doc.items.push(QuestionnaireItem {
                question: r.question.clone(),
                answer: answer(r),
                line: Some(r.line),
            });
        }
    }
    doc.unanswered = doc
        .items
        .iter()
        .filter(|i| i.answer.is_none())
        .map(|i| i.question.clone())
        .collect();
    doc
}

/// Whether `path` lies inside `root`, symbolic links resolved: the deepest existing
/// ancestor of `path` is made canonical and the rest appended without `..` escapes.
fn inside(path: &Path, root: &Path) -> bool {
    let Ok(root) = std::fs::canonicalize(root) else {
        return false;
    };
    let Ok(abs) = std::path::absolute(path) else {
        return false;
    };
    let mut existing = abs.as_path();
    let mut rest: Vec<Component<'_>> = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut full = real;
            for c in rest.iter().rev() {
                full.push(c.as_os_str());
            }
            return crate::paths::normalize(&full).starts_with(&root);
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return false,
        }
    }
}
