//! The labels file of a reference set: YAML mapping a file (relative to the reference
//! folder) or a SOPInstanceUID to its label, with an optional patient or case id.
//!
//! ```yaml
//! cxr-0001.dcm: {label: 0, patient: REF-0143}
//! cxr-0002.dcm: 1
//! 1.2.826.0.1.3680043.8.498.1: {label: positive}
//! ```

use std::collections::BTreeMap;

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
        let positive = match &label {
            serde_yaml::Value::Number(n) if n.as_u64() == Some(1) => true,
            serde_yaml::Value::Number(n) if n.as_u64() == Some(0) => false,
            serde_yaml::Value::Bool(b) => *b,
            serde_yaml::Value::String(s) if matches!(s.as_str(), "positive" | "1" | "yes") => true,
            serde_yaml::Value::String(s) if matches!(s.as_str(), "negative" | "0" | "no") => false,
            _ => {
                return Err(format!(
                    "`{key}`: a label is 0 or 1 (or positive / negative)"
                ))
            }
        };
        out.insert(key, Label { positive, patient });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_forms() {
        let l =
            parse("a.dcm: {label: 0, patient: P1}\nb.dcm: 1\nc.dcm: {label: positive, case: 7}\n")
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
    fn bad_labels_name_the_entry() {
        assert!(parse("a.dcm: 2\n").expect_err("invalid").contains("a.dcm"));
        assert!(parse("a.dcm: {patient: P}\n")
            .expect_err("invalid")
            .contains("no `label`"));
        assert!(parse("- a\n").is_err());
    }
}
