//! The human report: grouped by policy, failures with their citations, values and place.

use super::{Reporter, Run};
use clic_compiler::plan::Plan;
use clic_compiler::plan::Value;
use clic_runner::evidence::{CheckResult, Evidence, Observation, Status as CheckStatus};
use std::collections::BTreeMap;

/// Text for people.
pub struct Human;

impl Reporter for Human {
    fn render(&self, run: &Run<'_>) -> String {
        let text = report(run.plan, run.evidence, run.quiet);
        if run.colour {
            colour(&text)
        } else {
            text
        }
    }
}

/// The report with its marks and the gate's verdict in ANSI colour: green passes,
/// red failures, yellow waivers and unavailable facts.
fn colour(text: &str) -> String {
    const MARKS: [(&str, &str); 6] = [
        ("✓ pass", "32"),
        ("✗ FAIL", "1;31"),
        ("~ waived", "33"),
        ("? UNAVAILABLE", "1;33"),
        ("gate: passed", "1;32"),
        ("gate: FAILED", "1;31"),
    ];
    let mut out = String::with_capacity(text.len() + 1024);
    for line in text.split_inclusive('\n') {
        let found = MARKS.iter().find(|(m, _)| line.trim_start().starts_with(m));
        match found {
            Some((m, code)) => {
                let at = line.find(m).unwrap_or(0);
                out.push_str(&line[..at]);
                out.push_str(&format!("\x1b[{code}m{m}\x1b[0m"));
                out.push_str(&line[at + m.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
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

/// The report; `quiet` leaves out the controls that passed or do not apply.
pub fn report(plan: &Plan, evidence: &Evidence, quiet: bool) -> String {
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
    for (policy, mut items) in by_policy {
        if quiet {
            items.retain(|(_, r)| !matches!(r.status, CheckStatus::Passed | CheckStatus::Skipped));
            if items.is_empty() {
                continue;
            }
        }
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
                    // A record whose fields are shown as culprits is not shown whole.
                    let whole = matches!(&o.value, Value::Record(f) if !f.contains_key("n"));
                    let prefix = format!("{}.", o.fact);
                    if whole && r.culprits.iter().any(|c| c.fact.starts_with(&prefix)) {
                        continue;
                    }
                    out.push_str(&format!(
                        "      actual    {} = {}\n",
                        o.fact,
                        bounded(&o.value.display())
                    ));
                }
                for c in &r.culprits {
                    if !r
                        .observed
                        .iter()
                        .any(|o| o.fact == c.fact && o.value == c.value)
                    {
                        culprit(&mut out, c);
                    }
                }
                if let Some(w) = &r.waiver {
                    out.push_str(&format!(
                        "      waiver    {} (approved by {}, expires {}): {}\n",
                        w.state, w.waiver.approved_by, w.waiver.expires, w.waiver.reason
                    ));
                }
                let missing = missing_documents(r);
                for (kind, path) in &missing {
                    out.push_str(&format!(
                        "      missing   `{path}`, which the manifest names as its `{kind}`, does not exist\n"
                    ));
                }
                if let Some(h) = missing_help(&missing).or_else(|| c.help.clone()) {
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
            let (why, fix) = if w.state == "expired" {
                (
                    "has expired: it no longer waives anything, and fails the gate",
                    "fix what the control finds, or renew the waiver: a new `expires` date, approved again",
                )
            } else {
                (
                    "is not needed: the control does not fail",
                    "remove the waiver",
                )
            };
            let at = &w.waiver.source;
            out.push_str(&format!(
                "\n{}:{}:{}: waiver for {} (approved by {}, expires {}) {why}\n  help: {fix}\n",
                at.file, at.line, at.column, r.id, w.waiver.approved_by, w.waiver.expires
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
    let expired = evidence
        .results
        .iter()
        .filter(|r| r.waiver.as_ref().is_some_and(|w| w.state == "expired"))
        .count();
    out.push_str(&format!(
        "\n{} passed, {} failed, {} unavailable, {} waived, {} not applicable{}; {} not run at stage {}\n",
        s.passed,
        s.failed,
        s.unavailable,
        s.waived,
        s.skipped,
        match expired {
            0 => String::new(),
            1 => ", 1 expired waiver".to_string(),
            n => format!(", {n} expired waivers"),
        },
        evidence.not_run.len(),
        evidence.stage.as_str()
    ));
    if evidence.gate_passed {
        out.push_str("gate: passed\n");
    } else {
        let blocking = blocking(evidence);
        out.push_str(&format!("failed the gate ({}):\n", blocking.len()));
        for b in blocking.iter().take(SHOWN_ITEMS) {
            out.push_str(&format!("  {b}\n"));
        }
        if blocking.len() > SHOWN_ITEMS {
            out.push_str(&format!("  … and {} more\n", blocking.len() - SHOWN_ITEMS));
        }
        out.push_str("gate: FAILED\n");
    }
    out
}

/// The controls that failed the gate, each with why: a failure, an unavailable fact,
/// or an expired waiver.
pub fn blocking(evidence: &Evidence) -> Vec<String> {
    evidence
        .results
        .iter()
        .filter(|r| clic_runner::evidence::blocks(r, evidence.fail_on))
        .map(|r| {
            let why = if r.waiver.as_ref().is_some_and(|w| w.state == "expired") {
                "expired waiver"
            } else if r.status == CheckStatus::Unavailable {
                "unavailable"
            } else {
                "failed"
            };
            format!("{} ({why})", r.id)
        })
        .collect()
}

/// Items of a list of culprits shown, at most; the rest are counted.
const SHOWN_ITEMS: usize = 5;

/// The longest value shown on one line, in characters.
const LONGEST_VALUE: usize = 120;

/// A value's text cut to [`LONGEST_VALUE`] characters.
fn bounded(text: &str) -> String {
    if text.chars().count() <= LONGEST_VALUE {
        return text.to_string();
    }
    let cut: String = text.chars().take(LONGEST_VALUE - 1).collect();
    format!("{cut}…")
}

/// One culprit: a value on its line, or the items of a list one per line, at most
/// [`SHOWN_ITEMS`] of them and "and K more".
fn culprit(out: &mut String, c: &Observation) {
    let Value::List(items) = &c.value else {
        out.push_str(&format!(
            "      culprit   {} = {}\n",
            c.fact,
            bounded(&c.value.display())
        ));
        return;
    };
    if items.is_empty() {
        out.push_str(&format!("      culprit   {}: none\n", c.fact));
        return;
    }
    out.push_str(&format!("      culprit   {} ({}):\n", c.fact, items.len()));
    for item in items.iter().take(SHOWN_ITEMS) {
        out.push_str(&format!(
            "                  {}\n",
            bounded(&item_text(item))
        ));
    }
    if items.len() > SHOWN_ITEMS {
        out.push_str(&format!(
            "                  … and {} more\n",
            items.len() - SHOWN_ITEMS
        ));
    }
}

/// An item of a list: a record's fields as `key: value` (never read as a proportion,
/// which a subgroup's `value` and `n` would look like), anything else as it displays.
fn item_text(v: &Value) -> String {
    match v {
        Value::Record(fields) => fields
            .iter()
            .filter(|(_, v)| !matches!(v, Value::Null))
            .map(|(k, v)| format!("{k}: {}", v.display()))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.display(),
    }
}

/// The documents a result read that the manifest names but that are not there:
/// `(kind, path)`.
fn missing_documents(r: &CheckResult) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = r.observed.iter().map(|o| &o.value).collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::List(items) => stack.extend(items.iter().rev()),
            Value::Record(f) => {
                let named = f.get("declared") == Some(&Value::Bool(true));
                let absent = f.get("exists") == Some(&Value::Bool(false));
                if let (true, true, Some(Value::String(kind)), Some(Value::String(path))) =
                    (named, absent, f.get("kind"), f.get("path"))
                {
                    let entry = (kind.clone(), path.clone());
                    if !out.contains(&entry) {
                        out.push(entry);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The fix when documents are named but absent: the control's own help tells how to
/// name one in the manifest, which is done already.
fn missing_help(missing: &[(String, String)]) -> Option<String> {
    let paths: Vec<String> = missing.iter().map(|(_, p)| format!("`{p}`")).collect();
    (!paths.is_empty()).then(|| {
        format!(
            "create {} (paths are relative to the manifest's folder), or correct the path in the manifest's `documents` block",
            paths.join(", ")
        )
    })
}
