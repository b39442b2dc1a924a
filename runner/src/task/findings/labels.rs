//! The labels of a multi-finding reference set: one row per image or study, a column per
//! finding, as CSV or YAML.
//!
//! ```text
//! StudyInstanceUID,pneumothorax,effusion,cardiomegaly
//! 1.2.826.0.1.3680043.10.999.1.1,1,0,
//! ```
//!
//! The first column names what a row is keyed by: `file` (relative to the reference
//! folder; for a model that reads series, a series' first file), `SOPInstanceUID` (one
//! image), `SeriesInstanceUID` (one series, for a model that reads series) or
//! `StudyInstanceUID` (one study). A value is
//! `0`/`1` (or `false`/`true`); an empty cell is "not labelled for that finding". Lines
//! that start with `#` are comments. The YAML form says the same:
//!
//! ```yaml
//! key: StudyInstanceUID
//! labels:
//!   "1.2.826.0.1.3680043.10.999.1.1": {pneumothorax: 1, effusion: 0}
//! ```
//!
//! UIDs are never kept: each is replaced by its pseudonym as the scans' are, and labels
//! are matched to scans by pseudonym.

use crate::bench::labels::{label_value, nesting, MAX_NESTING};
use std::collections::BTreeMap;

/// What a labels row is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A file of the reference folder, as shown (`/`-separated, relative to it).
    File,
    /// An image's SOPInstanceUID (kept as its pseudonym).
    Sop,
    /// A series' SeriesInstanceUID (kept as its pseudonym), when the model reads series.
    Series,
    /// A study's StudyInstanceUID (kept as its pseudonym).
    Study,
}

impl KeyKind {
    /// The key a header names.
    pub(super) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "file" => KeyKind::File,
            "SOPInstanceUID" => KeyKind::Sop,
            "SeriesInstanceUID" => KeyKind::Series,
            "StudyInstanceUID" => KeyKind::Study,
            _ => return None,
        })
    }

    /// As the labels file names it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::File => "file",
            KeyKind::Sop => "SOPInstanceUID",
            KeyKind::Series => "SeriesInstanceUID",
            KeyKind::Study => "StudyInstanceUID",
        }
    }
}

/// A labels file, read against the manifest's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingLabels {
    /// What the rows are keyed by.
    pub key: KeyKind,
    /// By key (a file, or the pseudonym of a UID): the label of each finding, in the
    /// manifest's order; none where the row leaves it empty.
    pub rows: BTreeMap<String, Vec<Option<bool>>>,
    /// Columns that name no finding of the manifest.
    pub unknown_findings: Vec<String>,
    /// Findings of the manifest that no column names.
    pub missing_findings: Vec<String>,
}

const KEYS: &str = "`file`, `SOPInstanceUID`, `SeriesInstanceUID` or `StudyInstanceUID`";

/// Why rows keyed by `key` cannot be matched to what the model scores: series (`series`,
/// one row each, [`crate::task::series`]) or single images.
pub fn check_scored(key: KeyKind, series: bool) -> Result<(), String> {
    match (key, series) {
        (KeyKind::Series, false) => Err(
            "its rows are keyed by SeriesInstanceUID, but the model reads single images: key them by `file`, `SOPInstanceUID` or `StudyInstanceUID`"
                .to_string(),
        ),
        (KeyKind::Sop, true) => Err(
            "its rows are keyed by SOPInstanceUID, but the model reads series and scores each series once: key them by `SeriesInstanceUID`, `file` (a series' first file) or `StudyInstanceUID`"
                .to_string(),
        ),
        _ => Ok(()),
    }
}

/// Reads a labels file (CSV, or YAML when its first line is not a CSV header) for these
/// findings. Errors name the line or entry at fault and never a UID's value.
pub fn parse(text: &str, findings: &[String]) -> Result<FindingLabels, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let head = first.split(',').next().map(unquote).unwrap_or_default();
    if KeyKind::parse(&head).is_some() {
        csv(text, findings)
    } else {
        yaml(text, findings)
    }
}

fn unquote(cell: &str) -> String {
    let c = cell.trim();
    c.strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .map_or_else(|| c.to_string(), |c| c.replace("\"\"", "\""))
}

/// The cells of a CSV line: fields split at commas outside double quotes.
pub(super) fn cells(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    if quoted {
        return Err("a quoted cell is not closed".to_string());
    }
    out.push(cell.trim().to_string());
    Ok(out)
}

/// The key a row is stored under: the file as written, a UID's pseudonym.
pub(super) fn stored_key(kind: KeyKind, key: &str) -> String {
    match kind {
        KeyKind::File => key.to_string(),
        KeyKind::Sop | KeyKind::Series | KeyKind::Study => {
            crate::pseudonym::of(key.trim_end_matches(['\0', ' ']).trim())
        }
    }
}

/// Where each finding's column is among a labels file's, and what does not match.
struct Columns {
    /// Each finding's column; none when it has none.
    at: Vec<Option<usize>>,
    /// Columns that name no finding.
    unknown: Vec<String>,
    /// Findings no column names.
    missing: Vec<String>,
}

fn columns(names: &[String], findings: &[String]) -> Result<Columns, String> {
    let mut seen = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err(format!("column {} has no name", i + 2));
        }
        if seen.insert(n.as_str(), i).is_some() {
            return Err(format!("the finding `{n}` has two columns"));
        }
    }
    let at: Vec<Option<usize>> = findings
        .iter()
        .map(|f| seen.get(f.as_str()).copied())
        .collect();
    let unknown = names
        .iter()
        .filter(|n| !findings.contains(n))
        .cloned()
        .collect();
    let missing = findings
        .iter()
        .zip(&at)
        .filter(|(_, a)| a.is_none())
        .map(|(f, _)| f.clone())
        .collect();
    Ok(Columns {
        at,
        unknown,
        missing,
    })
}

fn cell_label(line: usize, finding: &str, cell: &str) -> Result<Option<bool>, String> {
    match cell {
        "" => Ok(None),
        "1" | "true" => Ok(Some(true)),
        "0" | "false" => Ok(Some(false)),
        other => Err(format!(
            "line {line}, `{finding}`: the label is `{other}`; a label is 0 or 1 (or false / true), or empty when not labelled"
        )),
    }
}

fn csv(text: &str, findings: &[String]) -> Result<FindingLabels, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        return Err(format!("it has no header row (its first column is {KEYS})"));
    };
    let header = cells(header).map_err(|e| format!("line {header_line}: {e}"))?;
    let kind = KeyKind::parse(&header[0]).ok_or_else(|| {
        format!(
            "line {header_line}: the first column is `{}`, not {KEYS}",
            header[0]
        )
    })?;
    let Columns {
        at,
        unknown: unknown_findings,
        missing: missing_findings,
    } = columns(&header[1..], findings)?;
    let mut rows = BTreeMap::new();
    for (n, line) in lines {
        let row = cells(line).map_err(|e| format!("line {n}: {e}"))?;
        if row.len() != header.len() {
            return Err(format!(
                "line {n} has {} cells, but the header has {}",
                row.len(),
                header.len()
            ));
        }
        if row[0].is_empty() {
            return Err(format!("line {n} has no {}", kind.as_str()));
        }
        let mut labels = Vec::with_capacity(findings.len());
        for (f, a) in findings.iter().zip(&at) {
            labels.push(match a {
                Some(i) => cell_label(n, f, &row[i + 1])?,
                None => None,
            });
        }
        // The other columns are still checked, so a typo in a finding's name does not
        // hide a malformed value.
        for (name, cell) in header[1..].iter().zip(&row[1..]) {
            if !findings.contains(name) {
                cell_label(n, name, cell)?;
            }
        }
        if rows.insert(stored_key(kind, &row[0]), labels).is_some() {
            return Err(match kind {
                KeyKind::File => format!("line {n}: `{}` is labelled twice", row[0]),
                _ => format!("line {n}: this {} is labelled twice", kind.as_str()),
            });
        }
    }
    Ok(FindingLabels {
        key: kind,
        rows,
        unknown_findings,
        missing_findings,
    })
}

fn yaml(text: &str, findings: &[String]) -> Result<FindingLabels, String> {
    let depth = nesting(text);
    if depth > MAX_NESTING {
        return Err(format!(
            "its collections nest {depth} levels deep; at most {MAX_NESTING} levels are read"
        ));
    }
    let doc: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|e| format!("not CSV with a {KEYS} header, nor valid YAML: {e}"))?;
    let get = |k: &str| doc.get(k);
    let kind = match get("key") {
        Some(serde_yaml::Value::String(s)) => KeyKind::parse(s)
            .ok_or_else(|| format!("`key` is `{s}`, not {KEYS}"))?,
        _ => return Err(format!("a labels file with several findings is CSV, or YAML with a `key` ({KEYS}) and `labels`")),
    };
    let Some(serde_yaml::Value::Mapping(map)) = get("labels") else {
        return Err("`labels` is not a mapping from key to the findings' labels".to_string());
    };
    let mut names: Vec<String> = Vec::new();
    let mut rows = BTreeMap::new();
    for (k, v) in map {
        let key = match k {
            serde_yaml::Value::String(s) => s.clone(),
            serde_yaml::Value::Number(n) => n.to_string(),
            _ => return Err("a key of `labels` is not a single value".to_string()),
        };
        let shown = if kind == KeyKind::File {
            key.clone()
        } else {
            format!("a {}", kind.as_str())
        };
        let serde_yaml::Value::Mapping(m) = v else {
            return Err(format!(
                "{shown}: its labels are not a mapping from finding to 0/1"
            ));
        };
        let mut labels = vec![None; findings.len()];
        for (f, l) in m {
            let serde_yaml::Value::String(f) = f else {
                return Err(format!("{shown}: a finding's name is not text"));
            };
            if !names.contains(f) {
                names.push(f.clone());
            }
            let value = if l.is_null() {
                None
            } else {
                Some(label_value(&format!("{shown}, `{f}`"), l)?)
            };
            if let Some(i) = findings.iter().position(|x| x == f) {
                labels[i] = value;
            }
        }
        if rows.insert(stored_key(kind, &key), labels).is_some() {
            return Err(format!("{shown} is labelled twice"));
        }
    }
    names.sort();
    let Columns {
        unknown: unknown_findings,
        missing: missing_findings,
        ..
    } = columns(&names, findings)?;
    Ok(FindingLabels {
        key: kind,
        rows,
        unknown_findings,
        missing_findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings() -> Vec<String> {
        ["pneumothorax", "effusion"].map(String::from).to_vec()
    }

    #[test]
    fn csv_rows_by_file_with_empty_cells_comments_and_quotes() {
        let text = "# labels\nfile,effusion,pneumothorax,nodule\n\"a.dcm\",1,0,\nb.dcm,,1,0\r\n";
        let l = parse(text, &findings()).expect("valid");
        assert_eq!(l.key, KeyKind::File);
        assert_eq!(l.rows["a.dcm"], vec![Some(false), Some(true)]);
        assert_eq!(l.rows["b.dcm"], vec![Some(true), None]);
        assert_eq!(l.unknown_findings, vec!["nodule".to_string()]);
        assert!(l.missing_findings.is_empty());
    }

    #[test]
    fn study_keys_are_kept_as_pseudonyms_only() {
        let text = "StudyInstanceUID,pneumothorax\n1.2.3,1\n";
        let l = parse(text, &findings()).expect("valid");
        assert_eq!(l.key, KeyKind::Study);
        assert!(!l.rows.keys().any(|k| k.contains("1.2.3")));
        assert_eq!(
            l.rows[&crate::pseudonym::of("1.2.3")],
            vec![Some(true), None]
        );
        assert_eq!(l.missing_findings, vec!["effusion".to_string()]);
    }

    #[test]
    fn bad_rows_name_their_line_and_never_a_uid() {
        let bad = [
            (
                "file,pneumothorax\na.dcm,yes\n",
                "line 2, `pneumothorax`: the label is `yes`",
            ),
            (
                "file,pneumothorax\na.dcm,1,0\n",
                "line 2 has 3 cells, but the header has 2",
            ),
            (
                "file,pneumothorax\na.dcm,1\na.dcm,0\n",
                "line 3: `a.dcm` is labelled twice",
            ),
            (
                "StudyInstanceUID,pneumothorax\n9.9.9,1\n9.9.9,1\n",
                "line 3: this StudyInstanceUID is labelled twice",
            ),
            (
                "file,pneumothorax,pneumothorax\n",
                "the finding `pneumothorax` has two columns",
            ),
            ("file,pneumothorax\n,1\n", "line 2 has no file"),
            (
                "file,pneumothorax\n\"a.dcm,1\n",
                "line 2: a quoted cell is not closed",
            ),
            (
                "file,nodule\na.dcm,2\n",
                "line 2, `nodule`: the label is `2`",
            ),
            ("labels: {}\n", "a labels file with several findings is CSV"),
        ];
        for (text, want) in bad {
            let e = parse(text, &findings()).expect_err(text);
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains("9.9.9"), "{e}");
        }
    }

    #[test]
    fn series_keys_are_pseudonyms_and_only_for_series() {
        let text = "SeriesInstanceUID,pneumothorax\n1.2.3.4,0\n";
        let l = parse(text, &findings()).expect("valid");
        assert_eq!(l.key, KeyKind::Series);
        assert_eq!(
            l.rows[&crate::pseudonym::of("1.2.3.4")],
            vec![Some(false), None]
        );
        assert!(check_scored(KeyKind::Series, true).is_ok());
        assert!(check_scored(KeyKind::Study, true).is_ok());
        assert!(check_scored(KeyKind::File, true).is_ok());
        let e = check_scored(KeyKind::Series, false).expect_err("images");
        assert!(e.contains("single images"), "{e}");
        let e = check_scored(KeyKind::Sop, true).expect_err("series");
        assert!(e.contains("SeriesInstanceUID"), "{e}");
    }

    #[test]
    fn yaml_form_reads_the_same_rows() {
        let text = "key: file\nlabels:\n  a.dcm: {effusion: 1, pneumothorax: 0, nodule: 1}\n  b.dcm: {pneumothorax: 1, effusion: null}\n";
        let l = parse(text, &findings()).expect("valid");
        assert_eq!(l.rows["a.dcm"], vec![Some(false), Some(true)]);
        assert_eq!(l.rows["b.dcm"], vec![Some(true), None]);
        assert_eq!(l.unknown_findings, vec!["nodule".to_string()]);
        let e = parse(
            "key: file\nlabels:\n  a.dcm: {effusion: yes}\n",
            &findings(),
        )
        .expect_err("yes");
        assert!(e.contains("a.dcm, `effusion`"), "{e}");
    }
}
