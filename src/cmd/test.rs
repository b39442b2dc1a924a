//! `clic test`: the test blocks.

use super::Status;
use clic_runner::testing::{coverage, run_test};
use std::path::Path;

/// Runs `clic test`.
pub fn run(path: &Path, with_coverage: bool) -> Status {
    let Some((_, compilation)) = super::compile::load(path) else {
        return Status::Invalid;
    };
    let Some(plan) = compilation.plan else {
        return Status::Invalid;
    };
    let results: Vec<_> = plan.tests.iter().map(|t| run_test(&plan, t)).collect();
    let mut failed = 0;
    for r in &results {
        crate::output::outln!(
            "{} {}  ({})",
            if r.ok { "ok  " } else { "FAIL" },
            r.name,
            r.location
        );
        for e in r.expectations.iter().filter(|e| !e.ok) {
            crate::output::outln!(
                "       expected {} to {}, but it {}",
                e.control,
                outcome_word(e.expected),
                e.actual
            );
        }
        failed += usize::from(!r.ok);
    }
    crate::output::outln!("\n{} passed, {} failed", results.len() - failed, failed);
    let mut uncovered = 0;
    if with_coverage {
        crate::output::outln!("\ncoverage (a control should be seen to pass and to fail):");
        for (id, passes, fails) in coverage(&plan, &results) {
            let mark = |b: bool| if b { "yes" } else { "NO " };
            crate::output::outln!("  passes {}  fails {}  {id}", mark(passes), mark(fails));
            uncovered += usize::from(!(passes && fails));
        }
        crate::output::outln!(
            "{} of {} controls exercised both ways",
            plan.checks.len() - uncovered,
            plan.checks.len()
        );
    }
    if failed > 0 || uncovered > 0 {
        Status::Failed
    } else {
        Status::Ok
    }
}

fn outcome_word(o: clic_compiler::plan::Outcome) -> &'static str {
    match o {
        clic_compiler::plan::Outcome::Passes => "pass",
        clic_compiler::plan::Outcome::Fails => "fail",
        clic_compiler::plan::Outcome::Skipped => "be skipped",
    }
}
