//! `benchmark.json` (format `clic.bench/1`), which `clic bench --json` prints too: every
//! metric of the registry with its n, interval and method, overall and per subgroup, plus
//! the curves for plots.

use clic_compiler::plan::ModelSpec;
use clic_compiler::schema::metrics::METRICS;
use clic_runner::bench::{self, BenchEvidence, GROUPS};
use clic_runner::metrics::registry::{self, Reading};
use clic_runner::metrics::{Estimate, Metrics};

fn estimate_json(e: &Estimate) -> serde_json::Value {
    serde_json::json!({"value": e.value, "n": e.n, "successes": e.successes, "ci95": {"low": e.low, "high": e.high, "method": e.method}})
}

/// The counts and every metric of the registry (`null` where undefined).
fn metrics_json(m: &Metrics) -> serde_json::Value {
    let mut out = serde_json::json!({
        "n": m.n, "positives": m.positives, "negatives": m.negatives,
        "threshold": m.threshold, "inclusive": m.inclusive,
        "confusion": {"tp": m.tp, "fp": m.fp, "tn": m.tn, "fn": m.fn_},
    });
    for def in METRICS {
        out[def.name] = match registry::reading(m, def) {
            Reading::Estimate(e) => e.map_or(serde_json::Value::Null, estimate_json),
            Reading::Number(x) => serde_json::json!(x),
        };
    }
    out
}

/// The benchmark evidence as JSON (format `clic.bench/1`): every metric with its n,
/// interval and method, overall and per subgroup, plus the curves for plots.
pub fn evidence_json(ev: &BenchEvidence, spec: &ModelSpec) -> serde_json::Value {
    let (t, inclusive) = spec
        .output
        .as_ref()
        .map_or((0.5, true), |o| (o.threshold, o.inclusive));
    let mut subgroups = serde_json::Map::new();
    for attribute in GROUPS {
        let mut groups = serde_json::Map::new();
        for (value, rows) in bench::group_by(&ev.rows, attribute).unwrap_or_default() {
            if let Some(m) = bench::score_metrics(rows, t, inclusive) {
                groups.insert(value, metrics_json(&m));
            }
        }
        subgroups.insert(attribute.to_string(), groups.into());
    }
    serde_json::json!({
        "format": "clic.bench/1",
        "key": ev.key,
        "clic_version": ev.clic_version,
        "backend": ev.backend,
        "model_sha256": ev.model_sha256,
        "labels_sha256": ev.labels_sha256,
        "scans": ev.rows.len() + ev.unreadable.len(),
        "unreadable": ev.unreadable,
        "unlabelled": ev.rows.iter().filter(|r| r.label.is_none()).map(|r| r.info.file.clone()).collect::<Vec<_>>(),
        "overall": ev.overall.as_ref().map(metrics_json),
        "roc": ev.overall.as_ref().map(|m| &m.roc),
        "calibration": ev.overall.as_ref().map(|m| &m.calibration),
        "subgroups": subgroups,
    })
}
