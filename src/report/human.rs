//! The human report: grouped by policy, failures with their citations, values and place.

use super::{Reporter, Run};
use clic_compiler::plan::Plan;
use clic_runner::evidence::{Evidence, Status as CheckStatus};
use std::collections::BTreeMap;

/// Text for people.
pub struct Human;

impl Reporter for Human {
    fn render(&self, run: &Run<'_>) -> String {
        report(run.plan, run.evidence)
    }
}

fn mark(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Passed => "✓ pass",
        CheckStatus::Failed => "✗ FAIL",
        CheckStatus::Waived => "~ waived",
        CheckStatus::Skipped => "- n/a",
        CheckStatus::Unavailable => "? UNAVAILABLE",
    }
}

/// The report.
pub fn report(plan: &Plan, evidence: &Evidence) -> String {
    let mut out = String::new();
    let mut by_policy: BTreeMap<
        &str,
        Vec<(
            &clic_compiler::plan::Check,
            &clic_runner::evidence::CheckResult,
        )>,
    > = BTreeMap::new();
    for r in &evidence.results {
        if let Some(c) = plan.checks.iter().find(|c| c.id == r.id) {
            by_policy.entry(c.policy.as_str()).or_default().push((c, r));
        }
    }
    for (policy, items) in by_policy {
        let title = items
            .first()
            .and_then(|(c, _)| c.policy_title.clone())
            .map(|t| format!(" — {t}"))
            .unwrap_or_default();
        out.push_str(&format!("{policy}{title}\n"));
        for (c, r) in items {
            let control = c.id.strip_prefix(&format!("{policy}.")).unwrap_or(&c.id);
            out.push_str(&format!(
                "  {:<14} {control} [{}]  {}\n",
                mark(r.status),
                c.severity.as_str(),
                c.title
            ));
            if matches!(
                r.status,
                CheckStatus::Failed | CheckStatus::Unavailable | CheckStatus::Waived
            ) {
                let cites: Vec<String> = c
                    .citations
                    .iter()
                    .map(|x| format!("{} {}", x.framework_name, x.clause))
                    .collect();
                out.push_str(&format!("      cites     {}\n", cites.join(" · ")));
                for f in &r.failed {
                    out.push_str(&format!("      expected  {f}\n"));
                }
                if let Some(u) = &r.unavailable {
                    out.push_str(&format!(
                        "      not available: `{}`: {}\n",
                        u.fact, u.reason
                    ));
                }
                for o in &r.observed {
                    out.push_str(&format!(
                        "      actual    {} = {}\n",
                        o.fact,
                        o.value.display()
                    ));
                }
                if let Some(w) = &r.waiver {
                    out.push_str(&format!(
                        "      waiver    {} (approved by {}, expires {}): {}\n",
                        w.state, w.waiver.approved_by, w.waiver.expires, w.waiver.reason
                    ));
                }
                if let Some(h) = &c.help {
                    out.push_str(&format!("      help      {h}\n"));
                }
                out.push_str(&format!(
                    "      declared  {}:{}:{}\n",
                    c.source.file, c.source.line, c.source.column
                ));
            }
        }
    }
    // Waivers that no longer do anything are reported, so that the register stays true.
    for r in &evidence.results {
        if let Some(w) = r.waiver.as_ref().filter(|w| w.state != "applied") {
            let why = if w.state == "expired" {
                "has expired: it no longer waives anything, and fails the gate"
            } else {
                "is not needed: the control does not fail; remove it"
            };
            out.push_str(&format!(
                "\nwaiver for {} (approved by {}, expires {}) {why}\n",
                r.id, w.waiver.approved_by, w.waiver.expires
            ));
        }
    }
    let s = &evidence.summary;
    if !evidence.untouched.is_empty() {
        out.push_str(&format!(
            "\n{} check(s) of this stage not run: the staged change does not touch their inputs\n",
            evidence.untouched.len()
        ));
    }
    out.push_str(&format!(
        "\n{} passed, {} failed, {} unavailable, {} waived, {} not applicable; {} not run at stage {}\n",
        s.passed,
        s.failed,
        s.unavailable,
        s.waived,
        s.skipped,
        evidence.not_run.len(),
        evidence.stage.as_str()
    ));
    out.push_str(if evidence.gate_passed {
        "gate: passed\n"
    } else {
        "gate: FAILED\n"
    });
    out
}
