//! Running a Plan's test blocks: each sets facts with `given` and expects outcomes.

use crate::eval::Env;
use crate::evidence::{evaluate, Status};
use crate::facts::{GivenFacts, Unavailable};
use clic_compiler::plan::{Outcome, Plan, TestSpec};
use serde::Serialize;

/// The result of one expectation of a test.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectationResult {
    /// Control id.
    pub control: String,
    /// What the test expected.
    pub expected: Outcome,
    /// What happened, in words.
    pub actual: String,
    /// Whether they agree.
    pub ok: bool,
}

/// The result of one test.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    /// Test name.
    pub name: String,
    /// Where it is declared, `file:line`.
    pub location: String,
    /// One entry per expectation.
    pub expectations: Vec<ExpectationResult>,
    /// Whether every expectation agreed.
    pub ok: bool,
}

/// Runs one test.
pub fn run_test(plan: &Plan, test: &TestSpec) -> TestResult {
    let mut given = GivenFacts::default();
    let mut setup_error: Option<Unavailable> = None;
    for g in &test.given {
        let mut empty = GivenFacts::default();
        match Env::new(&mut empty).eval(&g.value) {
            Ok(v) => given.set(&g.fact, &g.args, v),
            Err(u) => setup_error = Some(u),
        }
    }
    let mut expectations = Vec::new();
    for e in &test.expect {
        let Some(check) = plan.checks.iter().find(|c| c.id == e.control) else {
            expectations.push(ExpectationResult {
                control: e.control.clone(),
                expected: e.outcome,
                actual: "no such control".into(),
                ok: false,
            });
            continue;
        };
        let r = evaluate(check, &mut given);
        let (actual, ok) = match (r.status, e.outcome) {
            (Status::Passed, Outcome::Passes)
            | (Status::Failed, Outcome::Fails)
            | (Status::Skipped, Outcome::Skipped) => (status_word(r.status).to_string(), true),
            (Status::Unavailable, _) => {
                let u = r.unavailable.as_ref().or(setup_error.as_ref());
                (
                    u.map_or_else(
                        || "could not be evaluated".to_string(),
                        |u| format!("could not be evaluated: `{}` {}", u.fact, u.reason),
                    ),
                    false,
                )
            }
            (s, _) => (status_word(s).to_string(), false),
        };
        expectations.push(ExpectationResult {
            control: e.control.clone(),
            expected: e.outcome,
            actual,
            ok,
        });
    }
    let ok = expectations.iter().all(|e| e.ok);
    TestResult {
        name: test.name.clone(),
        location: format!("{}:{}", test.source.file, test.source.line),
        expectations,
        ok,
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Passed => "passes",
        Status::Failed => "fails",
        Status::Skipped => "skipped",
        Status::Waived => "waived",
        Status::Unavailable => "unavailable",
    }
}

/// Which outcomes the tests exercise for each control: (passes, fails).
pub fn coverage(plan: &Plan, results: &[TestResult]) -> Vec<(String, bool, bool)> {
    plan.checks
        .iter()
        .map(|c| {
            let seen = |o: Outcome| {
                results
                    .iter()
                    .flat_map(|r| &r.expectations)
                    .any(|e| e.control == c.id && e.ok && e.expected == o)
            };
            (c.id.clone(), seen(Outcome::Passes), seen(Outcome::Fails))
        })
        .collect()
}
