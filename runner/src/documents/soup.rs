//! The SOUP list's items and how they compare with what clic knows of the device.
//!
//! The items are the rows of the first table of the SOUP list whose header has an item
//! column (`SOUP item`, `component`, `name`) and a `version` column; `supplier`
//! (or `manufacturer`) and `used for` (or `purpose`) are read when present.
//!
//! What clic knows of the device's SOUP: the runtime the manifest declares (`runtime
//! onnxruntime "1.31.1"`: ONNX Runtime at 1.31.1) and the operators of the model's
//! graph, which the runtime must execute. A component the list does not name is
//! *missing*; one it names at another version is a *version mismatch*; an operator the
//! list's text never names (as a word) is *unlisted*; an item clic cannot identify
//! (a Python library, a development tool) is *unconfirmed*, and kept as the team
//! declares it.

use super::tables::{tables, Table};
use clic_compiler::plan::ModelSpec;
use std::collections::BTreeSet;

/// A row of the SOUP list's items table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SoupItem {
    /// The item, as the list names it.
    pub name: String,
    /// Its supplier, when the table has that column.
    pub supplier: Option<String>,
    /// Its version, as written.
    pub version: String,
    /// What it is used for, when the table has that column.
    pub used_for: Option<String>,
}

/// The SOUP list against what clic knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoupComparison {
    /// Components clic identifies that no item names.
    pub missing: Vec<String>,
    /// `name: SOUP list V1, manifest V2`.
    pub version_mismatches: Vec<String>,
    /// Items clic cannot identify.
    pub unconfirmed: Vec<String>,
    /// Graph operators the list never names; none when the graph was not read.
    pub unlisted_operators: Option<Vec<String>>,
}

/// A component of the device clic identifies from its own inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownComponent {
    /// How a SOUP list names it, e.g. `ONNX Runtime`.
    pub name: &'static str,
    /// The version clic knows, when it knows one.
    pub version: Option<String>,
    /// Where clic knows it from, for messages.
    pub source: &'static str,
}

/// The runtime the manifest declares, by the name SOUP lists give it.
pub fn known_components(spec: &ModelSpec) -> Vec<KnownComponent> {
    spec.runtime
        .iter()
        .map(|r| KnownComponent {
            name: runtime_display(&r.name),
            version: r.version.clone(),
            source: "manifest",
        })
        .collect()
}

/// The name a SOUP list gives a runtime clic names `onnxruntime` or `tract`.
pub fn runtime_display(name: &str) -> &'static str {
    match name {
        "onnxruntime" => "ONNX Runtime",
        "tract" => "tract",
        _ => "an unknown runtime",
    }
}

/// Letters and digits only, lowercased: `ONNX Runtime` and `onnxruntime` agree.
fn key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn items_table(t: &Table) -> Option<(usize, usize)> {
    let item = t.column(|h| {
        h.contains("soup") || h.contains("item") || h.contains("component") || h == "name"
    })?;
    let version = t.column(|h| h.contains("version"))?;
    (item != version).then_some((item, version))
}

/// The items of a SOUP list's body.
pub fn items(body: &str) -> Vec<SoupItem> {
    let Some((t, (item, version))) = tables(body)
        .into_iter()
        .find_map(|t| items_table(&t).map(|c| (t, c)))
    else {
        return Vec::new();
    };
    let supplier = t.column(|h| h.contains("supplier") || h.contains("manufacturer"));
    let used_for = t.column(|h| h.contains("used for") || h.contains("purpose"));
    let cell = |row: &[String], c: Option<usize>| {
        c.and_then(|c| row.get(c))
            .filter(|s| !s.is_empty())
            .cloned()
    };
    t.rows
        .iter()
        .filter(|r| !r[item].is_empty())
        .map(|r| SoupItem {
            name: r[item].clone(),
            supplier: cell(r, supplier),
            version: r[version].clone(),
            used_for: cell(r, used_for),
        })
        .collect()
}

/// Whether `word` stands in `text` as a whole word (letters, digits and `_` around it
/// are other words).
fn names_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// The SOUP list (its items and its whole body) against the components clic knows and
/// the graph's operators (none when the graph could not be read).
pub fn compare(
    items: &[SoupItem],
    body: &str,
    known: &[KnownComponent],
    operators: Option<&BTreeSet<String>>,
) -> SoupComparison {
    let mut out = SoupComparison::default();
    let mut identified = BTreeSet::new();
    for k in known {
        match items.iter().position(|i| key(&i.name) == key(k.name)) {
            None => out.missing.push(k.name.to_string()),
            Some(at) => {
                identified.insert(at);
                let listed = &items[at].version;
                if let Some(v) = &k.version {
                    if listed.trim().trim_start_matches('v') != v.trim_start_matches('v') {
                        out.version_mismatches
                            .push(format!("{}: SOUP list {listed}, {} {v}", k.name, k.source));
                    }
                }
            }
        }
    }
    out.unconfirmed = items
        .iter()
        .enumerate()
        .filter(|(i, _)| !identified.contains(i))
        .map(|(_, item)| item.name.clone())
        .collect();
    out.unlisted_operators = operators.map(|ops| {
        ops.iter()
            .filter(|op| {
                let bare = op.rsplit(':').next().unwrap_or(op.as_str());
                !names_word(body, bare)
            })
            .cloned()
            .collect()
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "## SOUP items\n\n| SOUP item | supplier | version | used for |\n|---|---|---|---|\n| ONNX Runtime | Microsoft | 1.31.1 | inference |\n| pydicom | pydicom contributors | 3.0.2 | reading DICOM |\n\n## Requirements\n\nONNX Runtime executes Conv, Relu and Gemm.\n";

    fn ort(version: &str) -> Vec<KnownComponent> {
        vec![KnownComponent {
            name: "ONNX Runtime",
            version: Some(version.to_string()),
            source: "manifest",
        }]
    }

    #[test]
    fn reads_the_items() {
        let items = items(LIST);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].name, "ONNX Runtime");
        assert_eq!(items[0].supplier.as_deref(), Some("Microsoft"));
        assert_eq!(items[1].version, "3.0.2");
    }

    #[test]
    fn a_listed_runtime_at_its_version_with_its_operators_agrees() {
        let ops: BTreeSet<String> = ["Conv", "Gemm", "Relu"].map(String::from).into();
        let c = compare(&items(LIST), LIST, &ort("1.31.1"), Some(&ops));
        assert!(c.missing.is_empty() && c.version_mismatches.is_empty());
        assert_eq!(c.unconfirmed, vec!["pydicom"]);
        assert_eq!(c.unlisted_operators, Some(vec![]));
    }

    #[test]
    fn another_version_an_unlisted_operator_and_a_missing_runtime_are_found() {
        let ops: BTreeSet<String> = ["Conv", "ConvTranspose", "Sigmoid"]
            .map(String::from)
            .into();
        let c = compare(&items(LIST), LIST, &ort("1.20.0"), Some(&ops));
        assert_eq!(
            c.version_mismatches,
            vec!["ONNX Runtime: SOUP list 1.31.1, manifest 1.20.0"]
        );
        assert_eq!(
            c.unlisted_operators,
            Some(vec!["ConvTranspose".to_string(), "Sigmoid".to_string()]),
            "Conv inside ConvTranspose is not a mention"
        );
        let tract = [KnownComponent {
            name: "tract",
            version: None,
            source: "manifest",
        }];
        let c = compare(&items(LIST), LIST, &tract, None);
        assert_eq!(c.missing, vec!["tract"]);
        assert_eq!(c.unconfirmed, vec!["ONNX Runtime", "pydicom"]);
        assert_eq!(c.unlisted_operators, None);
    }
}
