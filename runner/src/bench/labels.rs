//! The labels file of a reference set: YAML mapping a file (relative to the reference
//! folder) or a SOPInstanceUID to its label, with an optional patient or case id.
//!
//! ```yaml
//! cxr-0001.dcm: {label: 0, patient: REF-0143}
//! cxr-0002.dcm: 1
//! 1.2.826.0.1.3680043.8.498.1: {label: true}
//! ```

use std::collections::BTreeMap;

/// The deepest nesting of collections a labels file may have. A labels file needs two
/// levels (a mapping of mappings); the YAML parser takes time quadratic in the depth
/// (100,000 nested `[` took 34 s), so the depth is checked before it runs.
pub const MAX_NESTING: usize = 16;

/// An upper bound on how deeply the collections of a YAML text nest: flow collections
/// (`[`, `{`) outside quoted scalars and comments, plus the block indicators (`- `,
/// `? `) that open a collection on the same line as another. Counting a bracket inside a
/// plain scalar can only overstate the depth, so a text within [`MAX_NESTING`] by this
/// count is within it for the parser too.
pub(crate) fn nesting(text: &str) -> usize {
    let (mut deepest, mut flow) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    let mut prev = '\n';
    // Block collections opened on the current line before its content.
    let mut block = 0usize;
    let mut line_start = true;
    while let Some(c) = chars.next() {
        match quote {
            Some('\'') if c == '\'' => {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    quote = None;
                }
            }
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some('"') if c == '"' => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '#' if prev.is_whitespace() => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                    prev = '\n';
                    line_start = true;
                    block = 0;
                    continue;
                }
                '[' | '{' => {
                    flow += 1;
                    deepest = deepest.max(flow + block);
                }
                ']' | '}' => flow = flow.saturating_sub(1),
                '-' | '?' | ':' if line_start && chars.peek().is_none_or(|n| n.is_whitespace()) => {
                    block += 1;
                    deepest = deepest.max(flow + block);
                }
                '\n' => {
                    line_start = true;
                    block = 0;
                }
                c if c.is_whitespace() => {}
                _ => line_start = false,
            },
        }
        if c == '\n' && quote.is_none() {
            line_start = true;
            block = 0;
        }
        prev = c;
    }
    deepest
}

/// One label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Whether the finding is present.
    pub positive: bool,
    /// Patient or case id, if given.
    pub patient: Option<String>,
}

/// Parses a labels file. Errors name the entry at fault.
pub fn parse(text: &str) -> Result<BTreeMap<String, Label>, String> {
    let depth = nesting(text);
    if depth > MAX_NESTING {
        return Err(format!(
            "its collections nest {depth} levels deep; a labels file maps each file to a \
             label or a mapping, and at most {MAX_NESTING} levels are read"
        ));
    }
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let serde_yaml::Value::Mapping(map) = doc else {
        return Err("expected a mapping from file name to label".to_string());
    };
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let key = match k {
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Number(n) => n.to_string(),
            _ => return Err("a key is not a file name".to_string()),
        };
        let (label, patient) = match &v {
            serde_yaml::Value::Mapping(m) => {
                let get = |name: &str| m.get(serde_yaml::Value::String(name.to_string()));
                let label = get("label").ok_or_else(|| format!("`{key}` has no `label`"))?;
                let patient = get("patient").or_else(|| get("case")).map(|p| match p {
                    serde_yaml::Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                });
                (label.clone(), patient)
            }
            other => (other.clone(), None),
        };
        let positive = label_value(&key, &label)?;
        out.insert(key, Label { positive, patient });
    }
    Ok(out)
}

/// A label's value: `1` or `true` is positive, `0` or `false` negative. Nothing else is
/// read as either, neither a word (`yes`, `positive`, `"1"`) nor another number: a
/// misspelt or differently coded label must stop the benchmark, not become a class.
pub(crate) fn label_value(key: &str, label: &serde_yaml::Value) -> Result<bool, String> {
    match label {
        serde_yaml::Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        serde_yaml::Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        serde_yaml::Value::Bool(b) => Ok(*b),
        other => {
            let shown = match other {
                serde_yaml::Value::String(s) => format!("`{s}` (a string)"),
                serde_yaml::Value::Number(n) => format!("`{n}`"),
                serde_yaml::Value::Null => "empty".to_string(),
                _ => "not a single value".to_string(),
            };
            Err(format!(
                "`{key}`: the label is {shown}; a label is 0 or 1 (or false / true)"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_forms() {
        let l = parse("a.dcm: {label: 0, patient: P1}\nb.dcm: 1\nc.dcm: {label: true, case: 7}\n")
            .expect("valid");
        assert_eq!(
            l["a.dcm"],
            Label {
                positive: false,
                patient: Some("P1".into())
            }
        );
        assert_eq!(
            l["b.dcm"],
            Label {
                positive: true,
                patient: None
            }
        );
        assert_eq!(
            l["c.dcm"],
            Label {
                positive: true,
                patient: Some("7".into())
            }
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_the_parser_runs() {
        let deep = "[".repeat(100_000);
        let started = std::time::Instant::now();
        let e = parse(&deep).expect_err("refused");
        assert!(e.contains("100000 levels deep"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let block = format!("{}x\n", "- ".repeat(1000));
        assert!(parse(&block).expect_err("refused").contains("levels deep"));
        // Brackets in quotes and comments are text.
        let quoted = format!(
            "\"{}.dcm\": 1\n'{}': 0 # {}\nb.dcm: {{label: 1}}\n",
            "[".repeat(40),
            "{".repeat(40),
            "[".repeat(40)
        );
        assert_eq!(parse(&quoted).expect("valid").len(), 3);
        assert_eq!(nesting("a.dcm: {label: 0, patient: P1}\n"), 1);
    }

    #[test]
    fn bad_labels_name_the_entry() {
        assert!(parse("a.dcm: 2\n").expect_err("invalid").contains("a.dcm"));
        assert!(parse("a.dcm: {patient: P}\n")
            .expect_err("invalid")
            .contains("no `label`"));
        assert!(parse("- a\n").is_err());
    }

    #[test]
    fn only_0_1_false_true_are_labels() {
        for bad in [
            "yes", "no", "positive", "negative", "\"1\"", "'0'", "2", "-1", "0.5", "~", "[1]",
        ] {
            for text in [
                format!("a.dcm: {bad}\n"),
                format!("a.dcm: {{label: {bad}}}\n"),
            ] {
                let e = parse(&text).expect_err(&text);
                assert!(e.contains("a.dcm") && e.contains("0 or 1"), "{text}: {e}");
            }
        }
        let l = parse("a.dcm: true\nb.dcm: false\nc.dcm: {label: 1}\n").expect("valid");
        assert!(l["a.dcm"].positive && !l["b.dcm"].positive && l["c.dcm"].positive);
    }
}
