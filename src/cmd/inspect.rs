//! `clic inspect model FILE`: the facts clic establishes about an ONNX file.

use super::Status;
use crate::output::print_error;
use clic_compiler::plan::Value;
use clic_compiler::schema::{Provider, FACTS};
use clic_compiler::Code;
use clic_runner::facts::artifact::{fact_value, inspect};
use std::path::Path;

/// Runs `clic inspect model`.
pub fn model(file: &Path, json: bool, threads: usize) -> Status {
    let report = match inspect(file, threads) {
        Ok(r) => r,
        Err(e) => {
            print_error(
                Code::E021,
                &e.to_string(),
                Some("give the path of an .onnx model file"),
            );
            return Status::Invalid;
        }
    };
    // Facts that compare with a manifest have no meaning for a bare file.
    let facts: Vec<(&str, Value)> = FACTS
        .iter()
        .filter(|f| f.provider == Provider::Artifact)
        .filter(|f| {
            !matches!(
                f.path,
                "artifact.sha256_matches" | "artifact.matches_manifest" | "artifact.mismatches"
            )
        })
        .filter_map(|f| fact_value(&report, None, f.path).map(|v| (f.path, v)))
        .collect();
    if json {
        let mut map = serde_json::Map::new();
        map.insert("file".into(), file.display().to_string().into());
        map.insert("backend".into(), report.backend.clone().into());
        map.insert("load_error".into(), report.load_error.clone().into());
        for (path, v) in &facts {
            map.insert(
                (*path).to_string(),
                serde_json::to_value(v).unwrap_or_default(),
            );
        }
        println!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
        return Status::Ok;
    }
    println!("model {}", file.display());
    for (path, v) in &facts {
        let shown = match (path, v) {
            (_, Value::List(items))
                if items.iter().all(|i| matches!(i, Value::Record(_))) && !items.is_empty() =>
            {
                let lines: Vec<String> = items
                    .iter()
                    .map(|i| format!("\n    {}", record_line(i)))
                    .collect();
                lines.concat()
            }
            _ => v.display(),
        };
        println!("  {:<28} {shown}", path.trim_start_matches("artifact."));
    }
    println!("  {:<28} {}", "backend", report.backend);
    if let Some(e) = &report.load_error {
        println!("  {:<28} {e}", "load error");
    }
    Status::Ok
}

fn record_line(v: &Value) -> String {
    match v {
        Value::Record(fields) => {
            if let (Some(Value::String(name)), Some(Value::String(t)), Some(Value::List(shape))) = (
                fields.get("name"),
                fields.get("elem_type"),
                fields.get("shape"),
            ) {
                let dims: Vec<String> = shape
                    .iter()
                    .map(|d| match d {
                        Value::String(s) => s.clone(),
                        other => other.display(),
                    })
                    .collect();
                return format!("{name}: {t}[{}]", dims.join(", "));
            }
            fields
                .iter()
                .map(|(k, v)| format!("{k}={}", v.display()))
                .collect::<Vec<_>>()
                .join(" ")
        }
        other => other.display(),
    }
}
