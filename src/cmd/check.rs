//! `clic check`: the gate.

use super::Status;
use crate::report::{Format, Run};
use clic_compiler::plan::{Plan, Severity, Stage};
use clic_runner::budget::Budget;
use clic_runner::evidence::{run as run_checks, Evidence, RunOptions};
use clic_runner::facts::reference::Provenance;
use std::path::Path;

/// Runs `clic check`; each report goes to its file, or to standard output.
#[expect(
    clippy::too_many_arguments,
    reason = "one per option of `clic check`, as the command line gives them"
)]
pub fn run(
    path: &Path,
    stage: Stage,
    reports: Vec<(Format, Option<std::path::PathBuf>)>,
    fail_on: Severity,
    today: Option<String>,
    budget: &Budget,
    attest: Option<(std::path::PathBuf, std::path::PathBuf)>,
    quiet: bool,
) -> Status {
    let attest = match attest
        .map(|(out, key)| {
            crate::sign::Key::load(&key).map(|key| crate::sign::attest::Request { out, key })
        })
        .transpose()
    {
        Ok(a) => a,
        Err(e) => {
            e.report();
            return Status::Invalid;
        }
    };
    let Some(session) = crate::session::Session::open(path) else {
        return Status::Invalid;
    };
    let (project, plan, manifest_dir) = (&session.project, &session.plan, &session.manifest_dir);
    let today = match today {
        Some(t) if clic_compiler::is_calendar_date(&t) => t,
        Some(t) => {
            crate::output::print_error(
                clic_compiler::Code::E012,
                &format!("`{t}` is not a date"),
                Some("write --today YYYY-MM-DD"),
            );
            return Status::Invalid;
        }
        None => crate::session::today_utc(),
    };
    let (mut facts, reference) = session.facts(budget);
    if stage == Stage::Release {
        reference.borrow_mut().rehash_inputs();
    }
    let evidence = run_checks(
        plan,
        &mut facts,
        &RunOptions {
            stage,
            fail_on,
            today: today.clone(),
            only: (stage == Stage::PreCommit)
                .then(|| staged_scope(plan, manifest_dir))
                .flatten(),
        },
    );
    if reference.borrow().provenance() == Some(Provenance::Cached) {
        eprintln!(
            "reused cached benchmark evidence (model, scans, labels and preprocessing unchanged)"
        );
    }
    if reported_invalid_input(&evidence, &session) {
        return Status::Invalid;
    }
    for (kind, target) in reports {
        let text = kind.reporter().render(&Run {
            plan,
            evidence: &evidence,
            base: &relative_base(project),
            quiet,
            colour: target.is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        });
        match target {
            Some(file) => {
                if let Err(e) = crate::output::write_atomic(&file, text.as_bytes()) {
                    crate::output::print_error(
                        clic_compiler::Code::E020,
                        &format!(
                            "cannot write `{}`: {}",
                            file.display(),
                            crate::project::io_reason(&e)
                        ),
                        None,
                    );
                    return Status::Invalid;
                }
            }
            None => crate::output::out!("{text}"),
        }
    }
    if let Some(request) = &attest {
        let statement = crate::sign::attest::statement(
            &project.base,
            manifest_dir,
            plan,
            &evidence,
            (stage, fail_on, &today),
        );
        if crate::sign::attest::write(request, &statement).is_err() {
            return Status::Invalid;
        }
    }
    if evidence.gate_passed {
        Status::Ok
    } else {
        Status::Failed
    }
}

/// Prints the diagnostic of the first result whose fact could not be read because an
/// input file is missing or broken (E021 for the model, E022 for the reference set,
/// E023 for a document);
/// whether there was one (then the input is invalid: exit status 2). The diagnostic
/// points at the manifest line that named the input ([`crate::blame`]).
pub fn reported_invalid_input(evidence: &Evidence, session: &crate::session::Session) -> bool {
    use clic_runner::facts::BadInput;
    // The model first: a missing or broken artifact also breaks the benchmark, and its
    // own diagnostic (E021) names the cause, not a symptom in the scans.
    let broken = || {
        evidence
            .results
            .iter()
            .filter_map(|r| r.unavailable.as_ref())
            .filter(|u| u.invalid_input)
    };
    let Some(u) = broken()
        .find(|u| u.input == Some(BadInput::Model))
        .or_else(|| broken().next())
    else {
        return false;
    };
    // The provider names the input at fault; evidence read back from before it did is
    // blamed on the reference set, as it was then.
    let input = u.input.unwrap_or(BadInput::Reference);
    let help = match input {
        BadInput::Model => "fix the manifest's `artifact` path, or restore the file",
        BadInput::Document => "fix the document or the manifest's `documents` block",
        BadInput::Signers => {
            "fix the line of the allowed signers file (`principals [options] key-type base64-key`), or git's `gpg.ssh.allowedSignersFile`"
        }
        BadInput::Reference => {
            "fix or remove the scan, or fix the labels file or the manifest's `reference` line"
        }
    };
    crate::blame::report(session, input.code(), &u.reason, help);
    true
}

/// At the pre-commit stage, the checks the staged change touches; none (run every
/// check) outside a git work tree, where nobody can say what is staged.
fn staged_scope(plan: &Plan, manifest_dir: &Path) -> Option<std::collections::BTreeSet<String>> {
    let (workdir, staged) = clic_runner::facts::git::staged_change(manifest_dir)?;
    let rel = clic_runner::paths::relative_slash(manifest_dir, &workdir)?;
    Some(clic_runner::evidence::scope::touched(plan, &rel, &staged))
}

/// The checked folder relative to the repository root, `/`-separated; empty when it is
/// the root or outside a repository.
fn relative_base(project: &crate::project::Project) -> String {
    clic_runner::paths::relative_slash(&project.base, &project.root).unwrap_or_default()
}
