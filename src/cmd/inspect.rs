//! `clic inspect model FILE`: the facts clic establishes about an ONNX file.

use super::Status;
use crate::output::print_error;
use clic_compiler::plan::Value;
use clic_compiler::schema::{Provider, FACTS};
use clic_compiler::Code;
use clic_runner::facts::artifact::{fact_value, inspect};
use std::path::Path;

/// Runs `clic inspect model`.
pub fn model(file: &Path, json: bool, budget: &clic_runner::budget::Budget) -> Status {
    let report = match inspect(file, budget) {
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
        crate::output::outln!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
        return Status::Ok;
    }
    crate::output::outln!("model {}", file.display());
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
        crate::output::outln!("  {:<28} {shown}", path.trim_start_matches("artifact."));
    }
    crate::output::outln!("  {:<28} {}", "backend", report.backend);
    if let Some(e) = &report.load_error {
        crate::output::outln!("  {:<28} {e}", "load error");
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

/// Runs `clic inspect scan`.
pub fn scan(file: &Path, json: bool, limits: &clic_runner::budget::ReadLimits) -> Status {
    let shown = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let limits = limits.scan();
    let read =
        clic_runner::dicom::read_scan_with(file, &shown, &limits).and_then(|(info, image)| {
            let attributes = clic_runner::dicom::attributes_with(file, &limits)?;
            Ok((info, image, attributes))
        });
    let (info, image, attributes) = match read {
        Ok(x) => x,
        Err(e) => {
            print_error(
                Code::E022,
                &e.to_string(),
                Some("give the path of a readable DICOM file"),
            );
            return Status::Invalid;
        }
    };
    let (min, max, mean) = clic_runner::dicom::pixel_stats(&image);
    if json {
        let attrs: Vec<serde_json::Value> =
            attributes.iter().map(|(tag, keyword, value)| serde_json::json!({"tag": tag, "keyword": keyword, "value": value})).collect();
        // Pseudonyms stay inside clic: a scan outside a project has no secret to key
        // them, and the plain sha256 of a PatientID is brute-forced in a second.
        let mut scan = serde_json::to_value(&info).unwrap_or_default();
        if let Some(fields) = scan.as_object_mut() {
            fields.remove("patient_hash");
            fields.remove("study_hash");
        }
        let out = serde_json::json!({
            "file": file.display().to_string(),
            "scan": scan,
            "attributes": attrs,
            "pixels": {"rows": info.rows, "columns": info.columns, "bits_allocated": info.bits_allocated, "bits_stored": info.bits_stored,
                       "photometric_interpretation": info.photometric, "frames": info.frames,
                       "min": min, "max": max, "mean": mean, "after": "modality LUT"},
        });
        crate::output::outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Status::Ok;
    }
    crate::output::outln!("scan {}", file.display());
    crate::output::outln!(
        "  transfer syntax   {} ({})",
        info.transfer_syntax_name,
        info.transfer_syntax
    );
    crate::output::outln!(
        "  pixels            {} x {}, {} of {} bits, {}, {} frame(s)",
        info.columns,
        info.rows,
        info.bits_stored,
        info.bits_allocated,
        info.photometric,
        info.frames
    );
    crate::output::outln!("  after modality LUT min {min}, max {max}, mean {mean:.3}");
    crate::output::outln!(
        "  de-identification identity removed: {}, method declared: {}, findings: {}",
        info.deid.identity_removed,
        info.deid.method_declared,
        info.deid.findings.len()
    );
    for f in &info.deid.findings {
        crate::output::outln!(
            "    {} {} present (profile action {})",
            f.tag,
            f.keyword,
            f.action
        );
    }
    crate::output::outln!("  attributes");
    for (tag, keyword, value) in &attributes {
        crate::output::outln!("    {tag} {keyword:<36} {value}");
    }
    Status::Ok
}
