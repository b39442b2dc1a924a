//! What a broken statement is reported as: the source without its trailing comments,
//! and an unknown statement named with the closest keyword.

use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Loc};

/// Length of `text` without trailing whitespace and trailing `#` comments.
pub(super) fn trimmed_len(text: &str) -> usize {
    let mut t = text.trim_end();
    loop {
        let line_start = t.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&t[line_start..]) {
            Some(c) => t = t[..line_start + c].trim_end(),
            None => return t.len(),
        }
    }
}

/// Where a `#` comment starts in a line, skipping strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

/// A statement that starts with an unknown word: name it and suggest the closest keyword.
pub(super) fn unknown_statement(
    probe: Rule,
    file: FileId,
    rest: &str,
    offset: usize,
) -> Option<Diagnostic> {
    let keywords: &[&str] = match probe {
        Rule::probe_model_stmt => &[
            "version",
            "purpose",
            "class",
            "artifact",
            "input",
            "output",
            "reference",
            "training",
            "claims",
            "documents",
            "significance",
            "safety",
            "runtime",
            "robustness",
            "prevalence",
            "segmentation",
            "quantify",
            "use",
        ],
        Rule::probe_control_stmt => &["cites", "severity", "stage", "applies", "expect", "help"],
        Rule::probe_waiver_stmt => &["reason", "approved_by", "expires", "risk"],
        Rule::probe_test_stmt => &["given", "expect"],
        Rule::probe_control => &["control"],
        Rule::probe_item => &["use", "model", "policy", "waiver", "test"],
        _ => return None,
    };
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let list = keywords
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if word.is_empty() {
        let len = rest.chars().next().map_or(0, char::len_utf8);
        let here = Loc::new(file, offset, offset + len);
        let found = rest
            .chars()
            .next()
            .map_or_else(|| "end of file".to_string(), |c| format!("`{c}`"));
        return Some(Diagnostic::new(
            Code::E001,
            format!("expected a statement: {list}"),
            here,
            format!("unexpected {found}"),
        ));
    }
    if keywords.contains(&word.as_str()) {
        return None;
    }
    let help = match crate::diagnostics::did_you_mean(&word, keywords.iter().copied()) {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!("expected one of {list}"),
    };
    let here = Loc::new(file, offset, offset + word.len());
    Some(
        Diagnostic::new(
            Code::E001,
            format!("unknown statement `{word}`"),
            here,
            "not a statement here",
        )
        .with_help(format!("{help} (statements here: {list})")),
    )
}
