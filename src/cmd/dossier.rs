//! `clic dossier`: runs the release stage and writes the MDR technical file.
//!
//! Exit status: 0 when the dossier is written and the release gate passed; 1 when it is
//! written but the gate failed (every document then opens with a "RELEASE GATE FAILED"
//! notice, and so does the first page of `index.html`: a failing release never looks
//! compliant); 2 on invalid input (nothing is written, and a previous dossier in the
//! output folder is left as it was).

use super::Status;
use crate::output::print_error;
use crate::project::io_reason;
use clic_compiler::plan::{Severity, Stage};
use clic_compiler::Code;
use clic_dossier::integrity;
use clic_dossier::{self as dossier, write, Sources};
use clic_runner::budget::Budget;
use clic_runner::evidence::{run as run_checks, RunOptions};
use std::path::Path;

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
    let Some(session) = crate::session::Session::open(path) else {
        return Status::Invalid;
    };
    let (project, plan, dir) = (&session.project, &session.plan, &session.manifest_dir);
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
    let git = session.git_info(&spec);
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
        None => git.date.clone().unwrap_or_else(crate::session::today_utc),
    };
    let (mut facts, reference) = session.facts(budget);
    // A dossier's evidence is of the bytes there are: no digest is taken on trust.
    reference.borrow_mut().rehash_inputs();
    let evidence = run_checks(
        plan,
        &mut facts,
        &RunOptions {
            stage: Stage::Release,
            fail_on,
            today: as_of.clone(),
            only: None,
        },
    );
    if super::check::reported_invalid_input(&evidence, &session) {
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
    let documents = clic_runner::documents::load_all(dir, &project.root, Some(&spec));
    if let Some(e) = documents.iter().find_map(|d| d.error.as_ref()) {
        print_error(
            Code::E023,
            &e.reason,
            Some("fix the document or the manifest's `documents` block"),
        );
        return Status::Invalid;
    }
    let (templates, inputs) = match crate::session::dossier_inputs(project, plan, &spec) {
        Ok(x) => x,
        Err(s) => return s,
    };
    // The graph's opsets and operators for the SBOM; an unreadable artifact already
    // failed its own checks, and the SBOM then lists the model without them.
    let graph = clic_runner::facts::artifact::read_model(&dir.join(&spec.artifact.path))
        .ok()
        .and_then(|b| clic_runner::facts::artifact::onnx::read(&b).ok());
    let sources = Sources {
        plan,
        spec: &spec,
        evidence: &evidence,
        bench: bench.as_ref().map_err(Clone::clone),
        documents: &documents,
        git: &git,
        inputs: &inputs,
        waivers_as_of: &as_of,
        read_limits: &budget.read,
        clic_version: env!("CARGO_PKG_VERSION"),
        graph: graph.as_ref(),
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
        let blocking = crate::report::human::blocking(&evidence);
        println!("failed the release gate ({}):", blocking.len());
        for b in &blocking {
            println!("  {b}");
        }
        println!("release gate: FAILED — the dossier says so on its first page");
        Status::Failed
    }
}
