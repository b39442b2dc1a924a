//! `clic check`: the gate.

use super::Status;
use clic_compiler::plan::{Plan, Severity, Stage};
use clic_runner::budget::Budget;
use clic_runner::evidence::{run as run_checks, Evidence, RunOptions, Status as CheckStatus};
use clic_runner::facts::reference::{BenchmarkFacts, Provenance, ScansFacts};
use clic_runner::facts::{ArtifactFacts, DocumentsFacts, Facts, GitFacts, ModelFacts};
use std::collections::BTreeMap;
use std::path::Path;

/// Runs `clic check`.
/// A report to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Text for people.
    Human,
    /// `clic.check/1` JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
}

/// Runs `clic check`; each report goes to its file, or to standard output.
pub fn run(
    path: &Path,
    stage: Stage,
    reports: Vec<(Report, Option<std::path::PathBuf>)>,
    fail_on: Severity,
    today: Option<String>,
    budget: &Budget,
    attest: Option<(std::path::PathBuf, std::path::PathBuf)>,
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
    let Some((project, plan)) = super::compile::load_plan(path) else {
        return Status::Invalid;
    };
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
        None => today_utc(),
    };
    // Paths in a manifest are relative to the manifest's own folder.
    let manifest_dir = plan.model.as_ref().map_or_else(
        || project.base.clone(),
        |m| {
            project
                .base
                .join(Path::new(&m.source.file).parent().unwrap_or(Path::new("")))
        },
    );
    let (mut facts, reference) = facts(&project, &plan, &manifest_dir, budget);
    if stage == Stage::Release {
        reference.borrow_mut().rehash_inputs();
    }
    let evidence = run_checks(
        &plan,
        &mut facts,
        &RunOptions {
            stage,
            fail_on,
            today: today.clone(),
            only: (stage == Stage::PreCommit)
                .then(|| staged_scope(&plan, &manifest_dir))
                .flatten(),
        },
    );
    if reference.borrow().provenance() == Some(Provenance::Cached) {
        eprintln!(
            "reused cached benchmark evidence (model, scans, labels and preprocessing unchanged)"
        );
    }
    if reported_invalid_input(&evidence) {
        return Status::Invalid;
    }
    for (kind, target) in reports {
        let text = match kind {
            Report::Human => human_report(&plan, &evidence),
            Report::Json => {
                serde_json::to_string_pretty(&json_report(&plan, &evidence)).unwrap_or_default()
                    + "\n"
            }
            Report::Sarif => {
                serde_json::to_string_pretty(&crate::report::sarif::report(
                    &plan,
                    &evidence,
                    &relative_base(&project),
                ))
                .unwrap_or_default()
                    + "\n"
            }
            Report::Junit => crate::report::junit::report(&plan, &evidence),
        };
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
            &manifest_dir,
            &plan,
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

/// The fact providers of a run, one per schema root, shared by `check` and `dossier`;
/// with the benchmark that `scans.*` and `benchmark.*` share (run at most once, or
/// reused from `.clic/cache`).
pub fn facts(
    project: &crate::project::Project,
    plan: &Plan,
    manifest_dir: &Path,
    budget: &Budget,
) -> (
    Facts,
    std::rc::Rc<std::cell::RefCell<clic_runner::facts::reference::Reference>>,
) {
    let reference = super::bench::reference(project, plan.model.as_ref(), budget);
    let facts = Facts::new(vec![
        Box::new(ModelFacts::new(plan.model.clone())),
        Box::new(ArtifactFacts::new(
            manifest_dir,
            &project.root,
            plan.model.clone(),
            *budget,
        )),
        Box::new(ScansFacts(reference.clone())),
        Box::new(BenchmarkFacts(reference.clone())),
        Box::new(GitFacts::new(manifest_dir, plan.model.clone())),
        Box::new(DocumentsFacts::new(
            manifest_dir,
            &project.root,
            plan.model.clone(),
        )),
    ]);
    (facts, reference)
}

/// Prints the diagnostic of the first result whose fact could not be read because an
/// input file is missing or broken (E021 for the model, E022 for the reference set,
/// E023 for a document);
/// whether there was one (then the input is invalid: exit status 2).
pub fn reported_invalid_input(evidence: &Evidence) -> bool {
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
        BadInput::Reference => {
            "fix or remove the scan, or fix the labels file or the manifest's `reference` line"
        }
    };
    crate::output::print_error(input.code(), &u.reason, Some(help));
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

/// Today's date in UTC, from the system clock.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    clic_compiler::utc_date(i64::try_from(secs).unwrap_or(0))
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

/// The human report: grouped by policy, failures with their citations, values and place.
pub fn human_report(plan: &Plan, evidence: &Evidence) -> String {
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

/// The JSON report (format `clic.check/1`).
pub fn json_report(plan: &Plan, evidence: &Evidence) -> serde_json::Value {
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
