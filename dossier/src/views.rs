//! The documents the manifest names as the dossier reads them: each one's sections with
//! their text (placeholders and the template's guidance dropped), its answers and what it
//! lacks.

/// A document the manifest names, as the dossier shows it.
#[derive(Debug, Clone, Default)]
pub struct DocView {
    /// Its kind in the manifest (`risk_management`, `dpia`, ...).
    pub kind: String,
    /// Its title, e.g. "Risk management file".
    pub title: String,
    /// Its path, relative to the manifest; empty when the manifest does not name it.
    pub path: String,
    /// Whether the manifest names it.
    pub declared: bool,
    /// Whether the file exists and could be read.
    pub exists: bool,
    /// Front matter: who approved it.
    pub approved_by: Option<String>,
    /// Front matter: when.
    pub date: Option<String>,
    /// Front matter: its version.
    pub version: Option<String>,
    /// Its headings, in order.
    pub headings: Vec<String>,
    /// Sections: (heading, text under it up to the next heading).
    pub sections: Vec<(String, String)>,
    /// Questionnaire items: (question, answer; empty when unanswered).
    pub answers: Vec<(String, String)>,
    /// Required headings of its template that it lacks.
    pub missing_headings: Vec<String>,
    /// Questions left unanswered.
    pub unanswered: Vec<String>,
}

/// The documents the manifest names (and, as not declared, the kinds it does not),
/// as the dossier shows them, sorted by kind.
pub fn doc_views(docs: &[clic_runner::documents::LoadedDocument]) -> Vec<DocView> {
    let mut out: Vec<DocView> = docs
        .iter()
        .map(|d| {
            let answers: Vec<(String, String)> = d
                .items
                .iter()
                .map(|i| (i.question.clone(), i.answer.clone().unwrap_or_default()))
                .collect();
            let sections = d
                .headings
                .iter()
                .filter_map(|h| {
                    if let Some((_, a)) = answers.iter().find(|(q, _)| q == &h.text) {
                        return (!a.trim().is_empty()).then(|| (h.text.clone(), a.clone()));
                    }
                    let body = d.section(&h.text)?;
                    let kept: String = body
                        .lines()
                        .filter(|l| !l.trim_start().starts_with('>'))
                        .collect::<Vec<_>>()
                        .join("\n");
                    (!clic_runner::documents::says_nothing(&body))
                        .then(|| (h.text.clone(), kept.trim().to_string()))
                })
                .collect();
            DocView {
                kind: d.kind.clone(),
                title: d.title.clone(),
                path: d.path.clone().unwrap_or_default(),
                declared: d.declared,
                exists: d.exists && d.error.is_none(),
                approved_by: d.front_matter.approved_by.clone(),
                date: d.front_matter.date.clone(),
                version: d.front_matter.version.clone(),
                headings: d.headings.iter().map(|h| h.text.clone()).collect(),
                missing_headings: d.missing_headings.clone(),
                sections,
                answers,
                unanswered: d.unanswered.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    out
}

/// The text of the section of a document of one of `kinds` whose heading contains one
/// of `words` (case-insensitive), after a line that says where it comes from: Markdown,
/// the passage as its author wrote it.
pub fn find_section(docs: &[DocView], kinds: &[&str], words: &[&str]) -> Option<String> {
    for d in docs.iter().filter(|d| d.exists) {
        if !kinds.is_empty() && !kinds.contains(&d.kind.as_str()) {
            continue;
        }
        for (heading, body) in &d.sections {
            let h = heading.to_lowercase();
            if words.iter().any(|w| h.contains(w)) && !body.trim().is_empty() {
                return Some(format!(
                    "From {}, section \"{}\":\n\n{}",
                    crate::escape::markdown(&d.path),
                    crate::escape::markdown(heading),
                    body.trim()
                ));
            }
        }
    }
    None
}
