//! `clic dossier`: runs the release stage and writes the MDR technical file.
//!
//! Exit status: 0 when the dossier is written and the release gate passed; 1 when it is
//! written but the gate failed (every document then opens with a "RELEASE GATE FAILED"
//! notice, and so does the first page of `index.html`: a failing release never looks
//! compliant); 2 on invalid input (nothing is written, and a previous dossier in the
//! output folder is left as it was).

use super::Status;
use crate::output::print_error;
use crate::project::{io_reason, Project};
use clic_compiler::plan::{ModelSpec, Plan, Severity, Stage, Value};
use clic_compiler::Code;
use clic_dossier::context::GitInfo;
use clic_dossier::integrity::{self, FileHash};
use clic_dossier::render::{override_dirs, Templates};
use clic_dossier::{self as dossier, write, Sources};
use clic_runner::budget::Budget;
use clic_runner::evidence::{run as run_checks, RunOptions};
use clic_runner::facts::{FactError, FactProvider, GitFacts};
use std::path::{Path, PathBuf};

/// What git says about the repository holding the manifest.
pub fn git_info(manifest_dir: &Path, spec: &ModelSpec) -> GitInfo {
    let mut g = GitFacts::new(manifest_dir, Some(spec.clone()));
    let mut read = |path: &str| -> Result<Option<String>, FactError> {
        Ok(match g.fact(path, &[])? {
            Value::String(s) | Value::Date(s) | Value::Version(s) => Some(s),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    };
    let commit = match read("git.head.id") {
        Ok(c) => c,
        Err(_) => {
            return GitInfo {
                missing: Some("not under version control".to_string()),
                ..GitInfo::default()
            }
        }
    };
    let missing = commit
        .is_none()
        .then(|| "the repository has no commit yet".to_string());
    GitInfo {
        commit,
        date: read("git.head.date").ok().flatten(),
        tag: read("git.head.tag").ok().flatten(),
        branch: read("git.head.branch").ok().flatten(),
        changed: changed_inputs(&mut g),
        missing,
    }
}

/// The inputs the manifest names (model, reference set, labels, training list,
/// documents) that differ from HEAD: modified, staged or untracked. Limited to them, so
/// the dossier folder itself, inside the work tree or not, does not count.
fn changed_inputs(g: &mut GitFacts) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for fact in ["git.modified", "git.untracked"] {
        match g.fact(fact, &[]).ok()? {
            Value::List(items) => out.extend(items.into_iter().filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })),
            _ => return None,
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// The manifest's folder: its paths are relative to it.
pub fn manifest_dir(project: &Project, spec: &ModelSpec) -> PathBuf {
    super::bench::manifest_dir(&project.base, spec)
}

/// The templates in force and every input of the dossier, hashed now.
pub fn inputs(
    project: &Project,
    plan: &Plan,
    spec: &ModelSpec,
) -> Result<(Templates, Vec<FileHash>), Status> {
    let dirs = override_dirs(&project.base, &project.root);
    let templates = Templates::load(&dirs, &project.base, &project.root).map_err(|e| {
        print_error(
            Code::E020,
            &format!("the dossier template `{}` is invalid: {}", e.template, e.message),
            Some("fix the template, or remove it from `compliance/templates/` to use the built-in one"),
        );
        Status::Invalid
    })?;
    let overrides: Vec<PathBuf> = templates
        .sources
        .iter()
        .filter_map(|t| t.path.clone())
        .collect();
    let inputs = integrity::inputs(
        &project.base,
        &manifest_dir(project, spec),
        plan,
        &overrides,
    );
    Ok((templates, inputs))
}

/// Runs `clic dossier`.
pub fn run(
    path: &Path,
    out: &Path,
    fail_on: Severity,
    today: Option<String>,
    budget: &Budget,
    sign: Option<&Path>,
) -> Status {
    // A key that cannot sign stops the run before anything is computed or written.
    let key = match sign.map(crate::sign::Key::load).transpose() {
        Ok(k) => k,
        Err(e) => {
            e.report();
            return Status::Invalid;
        }
    };
    let Some((project, plan)) = super::compile::load_plan(path) else {
        return Status::Invalid;
    };
    let Some(spec) = plan.model.clone() else {
        print_error(
            Code::E020,
            "the project has no model manifest: a technical file documents a device",
            Some("write a `model` block; see README.md"),
        );
        return Status::Invalid;
    };
    let holds_project = std::fs::canonicalize(out)
        .ok()
        .zip(std::fs::canonicalize(&project.base).ok())
        .is_some_and(|(out, base)| base.starts_with(out));
    if holds_project {
        print_error(
            Code::E020,
            &format!(
                "cannot write the dossier to `{}`: it is the project's folder or holds it",
                out.display()
            ),
            Some("name a new folder, e.g. `--out dossier`"),
        );
        return Status::Invalid;
    }
    if let Err(why) = write::replaceable(out) {
        print_error(
            Code::E020,
            &format!("cannot write the dossier to `{}`: {why}", out.display()),
            Some("name a new folder, or one that holds an earlier dossier"),
        );
        return Status::Invalid;
    }
    let dir = manifest_dir(&project, &spec);
    let git = git_info(&dir, &spec);
    // Waivers are judged as of the release commit's date, so the dossier of a commit
    // does not change with the day it is made; outside git, as of today.
    let as_of = match today {
        Some(t) if clic_compiler::is_calendar_date(&t) => t,
        Some(t) => {
            print_error(
                Code::E012,
                &format!("`{t}` is not a date"),
                Some("write --today YYYY-MM-DD"),
            );
            return Status::Invalid;
        }
        None => git.date.clone().unwrap_or_else(super::check::today_utc),
    };
    let (mut facts, reference) = super::check::facts(&project, &plan, &dir, budget);
    // A dossier's evidence is of the bytes there are: no digest is taken on trust.
    reference.borrow_mut().rehash_inputs();
    let evidence = run_checks(
        &plan,
        &mut facts,
        &RunOptions {
            stage: Stage::Release,
            fail_on,
            today: as_of.clone(),
            only: None,
        },
    );
    if super::check::reported_invalid_input(&evidence) {
        return Status::Invalid;
    }
    let mut shared = reference.borrow_mut();
    let bench = match shared.evidence() {
        Ok((ev, _)) if !ev.unreadable.is_empty() => {
            print_error(
                Code::E022,
                &format!(
                    "{} reference scan(s) cannot be read or decoded: {}",
                    ev.unreadable.len(),
                    ev.unreadable.first().map_or("", String::as_str)
                ),
                Some("fix or remove the scan"),
            );
            return Status::Invalid;
        }
        Ok((ev, _)) => Ok(ev.clone()),
        Err(e) if e.invalid_input => {
            print_error(
                e.code().unwrap_or(Code::E022),
                &e.reason,
                Some("fix the reference set, its labels file or the manifest's `reference` line"),
            );
            return Status::Invalid;
        }
        Err(e) => Err(e.reason),
    };
    drop(shared);
    let documents = clic_runner::documents::load_all(&dir, &project.root, Some(&spec));
    if let Some(e) = documents.iter().find_map(|d| d.error.as_ref()) {
        print_error(
            Code::E023,
            &e.reason,
            Some("fix the document or the manifest's `documents` block"),
        );
        return Status::Invalid;
    }
    let (templates, inputs) = match inputs(&project, &plan, &spec) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let sources = Sources {
        plan: &plan,
        spec: &spec,
        evidence: &evidence,
        bench: bench.as_ref().map_err(Clone::clone),
        documents: &documents,
        git: &git,
        inputs: &inputs,
        waivers_as_of: &as_of,
        read_limits: &budget.read,
        clic_version: env!("CARGO_PKG_VERSION"),
    };
    let mut files = match dossier::assemble(&sources, &templates) {
        Ok(f) => f,
        Err(e) => {
            print_error(
                Code::E020,
                &format!("cannot render the dossier template `{}`: {}", e.template, e.message),
                Some("a template may only name fields of the dossier context; see templates/dossier/ for the built-in ones"),
            );
            return Status::Invalid;
        }
    };
    if let Some(key) = &key {
        // The signature covers evidence.json, which pins every other file by its sha256.
        let record = files.get(integrity::RECORD).cloned().unwrap_or_default();
        match key.sshsig(crate::sign::DOSSIER_NAMESPACE, &record) {
            Ok(sig) => {
                files.insert(integrity::SIGNATURE.to_string(), sig.into_bytes());
            }
            Err(why) => {
                print_error(Code::E031, &format!("cannot sign the dossier: {why}"), None);
                return Status::Invalid;
            }
        }
    }
    if let Err(e) = write::replace_dir(out, &files) {
        print_error(
            Code::E020,
            &format!(
                "cannot write the dossier to `{}`: {}",
                out.display(),
                io_reason(&e)
            ),
            None,
        );
        return Status::Invalid;
    }
    println!(
        "dossier written to {}: {} files, listed with their sha256 in {}",
        out.display(),
        files.len(),
        integrity::RECORD
    );
    // Publish this digest with the release: it pins the record, and so every file.
    println!(
        "{} sha256 {}",
        integrity::RECORD,
        files
            .get(integrity::RECORD)
            .map(|b| clic_runner::facts::artifact::sha256_hex(b))
            .unwrap_or_default()
    );
    if let Some(key) = &key {
        println!(
            "signed: {} by {} (check it with `clic verify --allowed-signers` or `ssh-keygen -Y verify -n {}`)",
            integrity::SIGNATURE,
            key.fingerprint(),
            crate::sign::DOSSIER_NAMESPACE
        );
    }
    if evidence.gate_passed {
        println!("release gate: passed");
        Status::Ok
    } else {
        println!("release gate: FAILED — the dossier says so on its first page");
        Status::Failed
    }
}
