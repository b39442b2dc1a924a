//! The JSON report, format `clic.check/1` (docs/schemas/clic.check-1.schema.json).

use super::{Reporter, Run};
use clic_compiler::plan::Plan;
use clic_runner::evidence::Evidence;

/// `clic.check/1` JSON.
pub struct Json;

impl Reporter for Json {
    fn render(&self, run: &Run<'_>) -> String {
        serde_json::to_string_pretty(&report(run.plan, run.evidence)).unwrap_or_default() + "\n"
    }
}

/// The JSON report (format `clic.check/1`).
pub fn report(plan: &Plan, evidence: &Evidence) -> serde_json::Value {
    let results: Vec<serde_json::Value> = evidence
        .results
        .iter()
        .filter_map(|r| {
            let c = plan.checks.iter().find(|c| c.id == r.id)?;
            Some(serde_json::json!({
                "id": r.id,
                "policy": c.policy,
                "title": c.title,
                "severity": c.severity,
                "stage": c.stage,
                "status": r.status,
                "citations": c.citations,
                "failed_expectations": r.failed,
                "observed": r.observed.iter().map(|o| serde_json::json!({"fact": o.fact, "value": o.value, "shown": o.value.display()})).collect::<Vec<_>>(),
                "unavailable": r.unavailable,
                "waiver": r.waiver,
                "source": c.source,
            }))
        })
        .collect();
    serde_json::json!({
        "format": "clic.check/1",
        "clic_version": env!("CARGO_PKG_VERSION"),
        "stage": evidence.stage,
        "fail_on": evidence.fail_on,
        "gate": if evidence.gate_passed { "passed" } else { "failed" },
        "summary": evidence.summary,
        "results": results,
        "not_run": evidence.not_run,
        "untouched": evidence.untouched,
    })
}
