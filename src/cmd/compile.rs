//! `clic compile`: diagnostics, or the Plan as JSON.

use super::Status;
use crate::output::{print_diagnostics, print_error, write_atomic};
use crate::project::{io_reason, Project};
use clic_compiler::{compile, Code, Compilation};
use std::path::Path;

/// Reads and compiles a project; prints diagnostics. `None` means the input is invalid.
pub fn load(path: &Path) -> Option<(Project, Compilation)> {
    let project = match Project::discover(path) {
        Ok(p) => p,
        Err(e) => {
            print_error(Code::E020, &e.message, e.help.as_deref());
            return None;
        }
    };
    let compilation = compile(project.files.clone(), &mut project.loader());
    if !compilation.diagnostics.is_empty() {
        print_diagnostics(&compilation.diagnostics, &compilation.sources);
        return None;
    }
    Some((project, compilation))
}

/// Reads and compiles a project into its Plan; prints diagnostics. `None` means the
/// input is invalid.
pub fn load_plan(path: &Path) -> Option<(Project, clic_compiler::plan::Plan)> {
    let (project, compilation) = load(path)?;
    let plan = compilation.plan?;
    if let Some(spec) = &plan.model {
        let dir = crate::session::manifest_dir(&project.base, spec);
        if let Some((code, message)) = project.escaping_input(spec, &dir) {
            print_error(
                code,
                &message,
                Some("every input must lie inside the project (the git work tree); copy it in and name it by a relative path"),
            );
            return None;
        }
    }
    Some((project, plan))
}

/// Runs `clic compile`.
pub fn run(path: &Path, emit_plan: Option<&Path>) -> Status {
    let Some((project, plan)) = load_plan(path) else {
        return Status::Invalid;
    };
    if let Some(target) = emit_plan {
        let json = match serde_json::to_string_pretty(&plan) {
            Ok(j) => j + "\n",
            Err(e) => {
                print_error(Code::E020, &format!("cannot serialise the plan: {e}"), None);
                return Status::Invalid;
            }
        };
        if target == Path::new("-") {
            crate::output::out!("{json}");
        } else if let Err(e) = write_atomic(target, json.as_bytes()) {
            print_error(
                Code::E020,
                &format!("cannot write `{}`: {}", target.display(), io_reason(&e)),
                None,
            );
            return Status::Invalid;
        }
    }
    eprintln!(
        "compiled {} check(s), {} waiver(s), {} test(s) from {} file(s)",
        plan.checks.len(),
        plan.waivers.len(),
        plan.tests.len(),
        project.files.len()
    );
    Status::Ok
}
