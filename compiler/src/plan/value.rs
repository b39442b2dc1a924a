//! Values: the constants of the IR and the facts the runner computes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    /// Absent.
    Null,
    /// Boolean.
    Bool(bool),
    /// Number.
    Number(f64),
    /// Text.
    String(String),
    /// YYYY-MM-DD.
    Date(String),
    /// Semantic version.
    Version(String),
    /// Device class.
    Class(String),
    /// List.
    List(Vec<Value>),
    /// Record (a Proportion is a record with `value`, `n` and `ci95`).
    Record(BTreeMap<String, Value>),
}

impl Value {
    /// The numeric reading of a value: numbers, and records with a numeric `value` field.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Record(fields) => fields.get("value").and_then(Value::as_number),
            _ => None,
        }
    }

    /// A short human rendering, for reports.
    pub fn display(&self) -> String {
        match self {
            Value::Null => "none".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => format_number(*n),
            Value::String(s) => format!("{s:?}"),
            Value::Date(s) | Value::Version(s) | Value::Class(s) => s.clone(),
            Value::List(items) => {
                const SHOWN: usize = 5;
                let mut parts: Vec<String> = items.iter().take(SHOWN).map(Value::display).collect();
                if items.len() > SHOWN {
                    parts.push(format!("… {} more", items.len() - SHOWN));
                }
                format!("[{}]", parts.join(", "))
            }
            Value::Record(fields) => {
                if let (Some(v), Some(n)) = (fields.get("value"), fields.get("n")) {
                    let mut s = format!("{} of {}", v.display(), n.display());
                    if let Some(Value::Record(ci)) = fields.get("ci95") {
                        if let (Some(lo), Some(hi)) = (ci.get("low"), ci.get("high")) {
                            s.push_str(&format!(" (95% CI {}–{})", lo.display(), hi.display()));
                        }
                    }
                    return s;
                }
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.display()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }
}

/// A number with at most 4 decimals and no trailing zeros.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{n:.0}");
    }
    let s = format!("{n:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
