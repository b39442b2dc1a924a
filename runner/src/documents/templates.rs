//! The document templates under `templates/documents/`, embedded in the binary. They are
//! the one source of what each kind of document must hold: `clic init` copies them into a
//! project, and the documents provider derives from them the headings a document needs
//! (every `##` heading) and the questions it must answer (every heading followed by an
//! `**Answer:**` line).

use super::markdown;

/// The template of one kind of document.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// The document kind, as the manifest's `documents` block names it, e.g. `dpia`.
    pub kind: &'static str,
    /// Where the template lives in the clic repository, e.g. `templates/documents/dpia.md`.
    pub source: &'static str,
    /// The template's text.
    pub text: &'static str,
}

macro_rules! template {
    ($kind:literal) => {
        Template {
            kind: $kind,
            source: concat!("templates/documents/", $kind, ".md"),
            text: include_str!(concat!("../../../templates/documents/", $kind, ".md")),
        }
    };
}

/// Every template, sorted by kind; one per kind in
/// [`DOCUMENT_KINDS`](clic_compiler::schema::DOCUMENT_KINDS).
pub const TEMPLATES: &[Template] = &[
    template!("ai_questionnaire"),
    template!("clinical_evaluation"),
    template!("dpia"),
    template!("ifu"),
    template!("intended_use"),
    template!("pms_plan"),
    template!("release_notes"),
    template!("risk_management"),
    template!("software_architecture"),
    template!("software_development_plan"),
    template!("soup_list"),
];

/// The template of a kind.
pub fn template(kind: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.kind == kind)
}

impl Template {
    /// Where `clic init` puts it in a project: `docs/` and the kind with hyphens, e.g.
    /// `docs/risk-management.md`.
    pub fn scaffold_path(&self) -> String {
        format!("docs/{}.md", self.kind.replace('_', "-"))
    }

    fn body(&self) -> (&'static str, usize) {
        match markdown::split(self.text) {
            Ok(s) => (s.body, s.body_line),
            Err(markdown::Unclosed) => (self.text, 1),
        }
    }

    /// The document's title: the template's first `#` heading, e.g. "Risk management file".
    pub fn title(&self) -> String {
        let (body, line) = self.body();
        markdown::headings(body, line)
            .into_iter()
            .find(|h| h.level == 1)
            .map_or_else(|| self.kind.replace('_', " "), |h| h.text)
    }

    /// The headings a document of this kind must have: the template's `##` headings, in
    /// order.
    pub fn required_headings(&self) -> Vec<String> {
        let (body, line) = self.body();
        markdown::headings(body, line)
            .into_iter()
            .filter(|h| h.level == 2)
            .map(|h| h.text)
            .collect()
    }

    /// The template's text under a heading: its guidance.
    pub fn section(&self, heading: &str) -> Option<String> {
        markdown::section(self.body().0, heading)
    }

    /// The questions a document of this kind must answer, in order: every heading of the
    /// template whose section holds an `**Answer:**` line. Empty for a kind that is not a
    /// questionnaire.
    pub fn questions(&self) -> Vec<String> {
        let (body, line) = self.body();
        markdown::items(body, line)
            .into_iter()
            .map(|i| i.question)
            .collect()
    }
}
