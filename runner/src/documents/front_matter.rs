//! The approval record at the top of a document: YAML front matter with `approved_by`,
//! `date` (YYYY-MM-DD) and `version`, and whatever other keys a team keeps there.

use serde_yaml::Value as Yaml;
use std::collections::BTreeMap;

/// What a document's front matter says.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FrontMatter {
    /// Who approved the document; none when left empty or `TODO`.
    pub approved_by: Option<String>,
    /// The approval date, YYYY-MM-DD (checked to be a calendar date); none when left
    /// empty or `TODO`.
    pub date: Option<String>,
    /// The document's own version; none when left empty or `TODO`.
    pub version: Option<String>,
    /// Every other key, its value as text (lists and maps as flow YAML), sorted by key.
    pub other: BTreeMap<String, String>,
}

impl FrontMatter {
    /// Whether all three of `approved_by`, `date` and `version` are filled in.
    pub fn approved(&self) -> bool {
        self.approved_by.is_some() && self.date.is_some() && self.version.is_some()
    }
}

/// Why front matter is malformed: the line of the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed {
    pub line: usize,
    pub reason: String,
}

/// The line of the file where `key:` is written at the top level; `fallback` otherwise.
fn key_line(yaml: &str, key: &str, fallback: usize) -> usize {
    yaml.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
                || l.strip_prefix(&format!("\"{key}\""))
                    .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map_or(fallback, |i| i + 1)
}

/// A scalar as text; none for null.
fn scalar(v: &Yaml) -> Option<Option<String>> {
    match v {
        Yaml::Null => Some(None),
        Yaml::Bool(b) => Some(Some(b.to_string())),
        Yaml::Number(n) => Some(Some(n.to_string())),
        Yaml::String(s) => Some(Some(s.clone())),
        Yaml::Tagged(t) => scalar(&t.value),
        Yaml::Sequence(_) | Yaml::Mapping(_) => None,
    }
}

/// Empty or a `TODO` placeholder reads as not filled in.
fn filled(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string())
        .filter(|s| !super::markdown::is_placeholder(s))
}

/// Reads front matter; `yaml` starts with one empty line per file line above it, so
/// lines are lines of the file.
pub(crate) fn parse(yaml: &str) -> Result<FrontMatter, Malformed> {
    let first = yaml.lines().take_while(|l| l.trim().is_empty()).count();
    let value: Yaml = serde_yaml::from_str(yaml).map_err(|e| {
        let line = e.location().map_or(first, |l| l.line());
        let mut reason = e.to_string();
        // The location is given separately, as a line of the file.
        if let Some(at) = reason.find(" at line ") {
            reason.truncate(at);
        }
        Malformed {
            line,
            reason: format!("front matter is not valid YAML: {reason}"),
        }
    })?;
    let map = match value {
        Yaml::Null => return Ok(FrontMatter::default()),
        Yaml::Mapping(m) => m,
        _ => {
            return Err(Malformed {
                line: first.max(1),
                reason: "front matter must be `key: value` lines (a YAML mapping)".to_string(),
            })
        }
    };
    let mut fm = FrontMatter::default();
    for (k, v) in map {
        let Some(Some(key)) = scalar(&k) else {
            return Err(Malformed {
                line: first.max(1),
                reason: "front matter keys must be plain words".to_string(),
            });
        };
        let line = key_line(yaml, &key, first.max(1));
        match key.as_str() {
            "approved_by" | "date" | "version" => {
                let Some(text) = scalar(&v) else {
                    return Err(Malformed {
                        line,
                        reason: format!("`{key}` must be a single value, not a list or a map"),
                    });
                };
                let text = filled(text);
                match key.as_str() {
                    "approved_by" => fm.approved_by = text,
                    "version" => fm.version = text,
                    _ => {
                        if let Some(d) = &text {
                            if !clic_compiler::is_calendar_date(d) {
                                return Err(Malformed {
                                    line,
                                    reason: format!(
                                        "`date` is `{d}`, not a calendar date (write YYYY-MM-DD)"
                                    ),
                                });
                            }
                        }
                        fm.date = text;
                    }
                }
            }
            _ => {
                let text = match scalar(&v) {
                    Some(s) => s.unwrap_or_default(),
                    None => serde_yaml::to_string(&v)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                fm.other.insert(key, text);
            }
        }
    }
    Ok(fm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_needs_all_three() {
        let fm = parse("\napproved_by: QA\ndate: 2024-06-11\nversion: 1.0\nowner: RA\n");
        let fm = fm.ok().unwrap_or_default();
        assert!(fm.approved());
        assert_eq!(fm.version.as_deref(), Some("1.0"));
        assert_eq!(fm.other.get("owner").map(String::as_str), Some("RA"));
        let fm = parse("\napproved_by: \"\"\ndate: TODO\nversion: 1\n").ok();
        assert_eq!(fm.map(|f| f.approved()), Some(false));
    }

    #[test]
    fn a_bad_date_names_its_line() {
        let e = parse("\napproved_by: QA\ndate: 2024-13-01\n").err();
        assert_eq!(e.map(|e| e.line), Some(3));
        let e = parse("\napproved_by: [QA\n").err();
        assert!(e.is_some_and(|e| e.line >= 2 && e.reason.contains("YAML")));
    }
}
