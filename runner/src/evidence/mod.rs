//! Running the checks of a Plan: evaluation, waivers, and the Evidence record.

use crate::eval::Env;
use crate::facts::FactSource;
use clic_compiler::plan::{Check, Plan, Severity, Stage, Value, WaiverSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub mod scope;
pub mod verification;

/// Version of the Evidence format.
pub const EVIDENCE_FORMAT: u32 = 1;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every expectation held.
    Passed,
    /// The control does not apply (`applies when` was false).
    Skipped,
    /// It failed, and a valid waiver covers it.
    Waived,
    /// A fact it needs is not available: it cannot pass.
    Unavailable,
    /// An expectation did not hold.
    Failed,
}

/// A fact value read by a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Fact path with arguments.
    pub fact: String,
    /// Its value.
    pub value: Value,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Control id.
    pub id: String,
    /// Outcome.
    pub status: Status,
    /// Severity of the control.
    pub severity: Severity,
    /// Expectations that did not hold, as written.
    pub failed: Vec<String>,
    /// Facts read, in the order read.
    pub observed: Vec<Observation>,
    /// Why the check could not be evaluated.
    pub unavailable: Option<crate::facts::Unavailable>,
    /// The waiver that applies or applied, with its state.
    pub waiver: Option<WaiverState>,
    /// For a failed check, what made its expectations fail: the values compared, the
    /// items that broke a quantifier or a count, and the facts naming what a counting
    /// fact counted ([`crate::eval::SHOWN_WITH`]). Empty otherwise, and then not written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub culprits: Vec<Observation>,
}

/// A waiver and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiverState {
    /// The waiver.
    pub waiver: WaiverSpec,
    /// `applied`, `expired` or `unused` (the control did not fail).
    pub state: String,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Checks of later stages are not run.
    pub stage: Stage,
    /// Failures of this severity or above fail the gate.
    pub fail_on: Severity,
    /// Today (YYYY-MM-DD, UTC), for waiver expiry.
    pub today: String,
    /// When set, only these checks run (those a staged change touches, see
    /// [`scope::touched`]); the others are reported as untouched.
    pub only: Option<BTreeSet<String>>,
}

/// Everything a run established.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// [`EVIDENCE_FORMAT`].
    pub format: u32,
    /// The stage run.
    pub stage: Stage,
    /// Results, by control id.
    pub results: Vec<CheckResult>,
    /// Checks of later stages, not run.
    pub not_run: Vec<String>,
    /// Checks of this stage that the staged change does not touch, not run.
    #[serde(default)]
    pub untouched: Vec<String>,
    /// Counts by status.
    pub summary: Summary,
    /// Whether the gate passed.
    pub gate_passed: bool,
    /// The threshold severity.
    pub fail_on: Severity,
}

/// Counts by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Waived.
    pub waived: usize,
    /// Skipped.
    pub skipped: usize,
    /// Unavailable.
    pub unavailable: usize,
}

/// Evaluates one check.
pub fn evaluate(check: &Check, facts: &mut dyn FactSource) -> CheckResult {
    let mut env = Env::new(facts);
    let mut result = CheckResult {
        id: check.id.clone(),
        status: Status::Passed,
        severity: check.severity,
        failed: Vec::new(),
        observed: Vec::new(),
        unavailable: None,
        waiver: None,
        culprits: Vec::new(),
    };
    let mut failed_ir = Vec::new();
    let outcome = (|| {
        if let Some(cond) = &check.applies_when {
            if env.eval(&cond.ir)? != Value::Bool(true) {
                return Ok(Status::Skipped);
            }
        }
        for e in &check.expect {
            if env.eval(&e.ir)? != Value::Bool(true) {
                result.failed.push(e.text.clone());
                failed_ir.push(&e.ir);
            }
        }
        Ok(if result.failed.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        })
    })();
    result.status = match outcome {
        Ok(s) => s,
        Err(u) => {
            result.unavailable = Some(u);
            Status::Unavailable
        }
    };
    result.observed = std::mem::take(&mut env.observed)
        .into_iter()
        .map(|(fact, value)| Observation { fact, value })
        .collect();
    if result.status == Status::Failed {
        for ir in failed_ir {
            for c in env.culprits(ir) {
                if !result.culprits.iter().any(|o| o.fact == c.fact) {
                    result.culprits.push(c);
                }
            }
        }
    }
    result
}

/// Runs every check of the plan selected by the stage, applies waivers, and decides the gate.
pub fn run(plan: &Plan, facts: &mut dyn FactSource, options: &RunOptions) -> Evidence {
    let mut results = Vec::new();
    let mut not_run = Vec::new();
    let mut untouched = Vec::new();
    // Checks that read the hazard matrix run last, over the others' results; each keeps
    // its place in the plan's order.
    let mut later = Vec::new();
    for check in &plan.checks {
        if check.stage > options.stage {
            not_run.push(check.id.clone());
            continue;
        }
        if options
            .only
            .as_ref()
            .is_some_and(|o| !o.contains(&check.id))
        {
            untouched.push(check.id.clone());
            continue;
        }
        if verification::deferred(check) {
            later.push((results.len() + later.len(), check));
            continue;
        }
        let mut r = evaluate(check, facts);
        if let Some(w) = plan.waivers.iter().find(|w| w.control == check.id) {
            apply_waiver(&mut r, w, &options.today);
        }
        results.push(r);
    }
    let ids: Vec<String> = plan.checks.iter().map(|c| c.id.clone()).collect();
    let mut resolved = Vec::new();
    for (at, check) in later {
        let mut source = verification::Resolving::new(facts, &ids, &results);
        let mut r = evaluate(check, &mut source);
        if let Some(w) = plan.waivers.iter().find(|w| w.control == check.id) {
            apply_waiver(&mut r, w, &options.today);
        }
        resolved.push((at, r));
    }
    for (at, r) in resolved {
        results.insert(at.min(results.len()), r);
    }
    let mut summary = Summary::default();
    for r in &results {
        match r.status {
            Status::Passed => summary.passed += 1,
            Status::Failed => summary.failed += 1,
            Status::Waived => summary.waived += 1,
            Status::Skipped => summary.skipped += 1,
            Status::Unavailable => summary.unavailable += 1,
        }
    }
    let gate_passed = !results.iter().any(|r| blocks(r, options.fail_on));
    Evidence {
        format: EVIDENCE_FORMAT,
        stage: options.stage,
        results,
        not_run,
        untouched,
        summary,
        gate_passed,
        fail_on: options.fail_on,
    }
}

/// Whether a result fails the gate: a failure or an unavailable fact at or above the
/// threshold, or an expired waiver whatever the severity.
pub fn blocks(r: &CheckResult, fail_on: Severity) -> bool {
    let expired = r.waiver.as_ref().is_some_and(|w| w.state == "expired");
    expired || (matches!(r.status, Status::Failed | Status::Unavailable) && r.severity >= fail_on)
}

fn apply_waiver(r: &mut CheckResult, w: &WaiverSpec, today: &str) {
    let failing = matches!(r.status, Status::Failed | Status::Unavailable);
    // ISO 8601 dates compare as text; a waiver holds through its expiry day.
    let state = if w.expires.as_str() < today {
        "expired"
    } else if failing {
        r.status = Status::Waived;
        "applied"
    } else {
        "unused"
    };
    r.waiver = Some(WaiverState {
        waiver: w.clone(),
        state: state.to_string(),
    });
}
