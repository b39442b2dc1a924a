//! `clic verify`: recomputes a dossier's hashes, and with `--repo` its inputs'.
//!
//! Exit status: 0 when every file listed in `evidence.json` is present and unchanged,
//! no file was added, and (with `--repo`) every input still has the recorded sha256;
//! 1 on any mismatch; 2 when the folder holds no readable `evidence.json` or the
//! repository cannot be compiled.

use super::Status;
use crate::dossier::integrity::{self, Findings, Record};
use crate::output::print_error;
use crate::project::io_reason;
use clic_compiler::Code;
use std::path::Path;

/// Runs `clic verify`.
pub fn run(dir: &Path, repo: Option<&Path>) -> Status {
    let record_path = dir.join(integrity::RECORD);
    let bytes = match std::fs::read(&record_path) {
        Ok(b) => b,
        Err(e) => {
            print_error(
                Code::E020,
                &format!("cannot read `{}`: {}", record_path.display(), io_reason(&e)),
                Some("give the folder `clic dossier --out` wrote"),
            );
            return Status::Invalid;
        }
    };
    let record: Record = match serde_json::from_slice::<Record>(&bytes) {
        Ok(r) if r.format == integrity::FORMAT => r,
        Ok(_) | Err(_) => {
            print_error(
                Code::E020,
                &format!(
                    "`{}` is not a clic dossier record ({})",
                    record_path.display(),
                    integrity::FORMAT
                ),
                None,
            );
            return Status::Invalid;
        }
    };
    let mut findings = Findings::default();
    integrity::check_outputs(dir, &record, &mut findings);
    let mut lines = Vec::new();
    if let Some(repo) = repo {
        let Some((project, plan)) = super::compile::load_plan(repo) else {
            return Status::Invalid;
        };
        let Some(spec) = plan.model.clone() else {
            print_error(
                Code::E020,
                "the repository has no model manifest",
                Some("give the project the dossier was made from"),
            );
            return Status::Invalid;
        };
        let (_, now) = match super::dossier::inputs(&project, &plan, &spec) {
            Ok(x) => x,
            Err(s) => return s,
        };
        integrity::check_inputs(&record.inputs, &now, &mut findings);
        let git = super::dossier::git_info(&super::dossier::manifest_dir(&project, &spec), &spec);
        match (&record.git.commit, &git.commit) {
            (Some(then), Some(now)) if then != now => lines.push(format!(
                "note: the repository's HEAD is {now}; the dossier was made at {then}"
            )),
            (Some(then), None) => lines.push(format!(
                "note: the dossier was made at commit {then}; the repository has no such HEAD now"
            )),
            _ => {}
        }
    }
    let report = |what: &str, items: &[String], out: &mut Vec<String>| {
        for i in items {
            out.push(format!("{what}: {i}"));
        }
    };
    let mut problems = Vec::new();
    report("changed", &findings.changed, &mut problems);
    report("missing", &findings.missing, &mut problems);
    report("extra", &findings.extra, &mut problems);
    report("input changed", &findings.inputs_changed, &mut problems);
    report("input missing", &findings.inputs_missing, &mut problems);
    report("input not recorded", &findings.inputs_new, &mut problems);
    for p in &problems {
        println!("{p}");
    }
    for l in &lines {
        println!("{l}");
    }
    println!(
        "{} sha256 {} (compare it with the digest published with the release)",
        integrity::RECORD,
        clic_runner::facts::artifact::sha256_hex(&bytes)
    );
    println!(
        "dossier files: {}",
        if findings.changed.is_empty() && findings.missing.is_empty() && findings.extra.is_empty() {
            format!("all {} match evidence.json", record.outputs.len())
        } else {
            "MISMATCH".to_string()
        }
    );
    println!(
        "repository: {}",
        match repo {
            None => "not checked (give --repo PATH)".to_string(),
            Some(_)
                if findings.inputs_changed.is_empty()
                    && findings.inputs_missing.is_empty()
                    && findings.inputs_new.is_empty() =>
            {
                format!("matches: all {} inputs unchanged", record.inputs.len())
            }
            Some(_) => "DOES NOT MATCH the inputs the dossier was made from".to_string(),
        }
    );
    if findings.mismatch() {
        Status::Failed
    } else {
        Status::Ok
    }
}
