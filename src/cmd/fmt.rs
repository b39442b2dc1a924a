//! `clic fmt`: canonical formatting.

use super::Status;
use crate::output::{print_diagnostics, print_error, write_atomic};
use crate::project::{io_reason, Project};
use clic_compiler::fmt::format_source;
use clic_compiler::{Code, Origin, SourceMap};
use std::path::Path;

/// Runs `clic fmt`.
pub fn run(path: &Path, check: bool) -> Status {
    let project = match Project::discover(path) {
        Ok(p) => p,
        Err(e) => {
            print_error(Code::E020, &e.message, e.help.as_deref());
            return Status::Invalid;
        }
    };
    let mut unformatted = Vec::new();
    let mut invalid = false;
    for (shown, text) in &project.files {
        match format_source(text) {
            Err(diags) => {
                let mut sources = SourceMap::default();
                sources.add(shown.clone(), text.clone(), Origin::Project);
                print_diagnostics(&diags, &sources);
                invalid = true;
            }
            Ok(formatted) if formatted != *text => {
                if check {
                    eprintln!("not formatted: {shown}");
                    crate::output::out!("{}", crate::diff::unified(shown, text, &formatted));
                } else if let Err(e) = write_atomic(&project.base.join(shown), formatted.as_bytes())
                {
                    print_error(
                        Code::E020,
                        &format!("cannot write `{shown}`: {}", io_reason(&e)),
                        None,
                    );
                    invalid = true;
                } else {
                    eprintln!("formatted {shown}");
                }
                unformatted.push(shown.clone());
            }
            Ok(_) => {}
        }
    }
    if invalid {
        Status::Invalid
    } else if check && !unformatted.is_empty() {
        eprintln!(
            "{} file(s) need formatting; run `clic fmt`",
            unformatted.len()
        );
        Status::Failed
    } else {
        Status::Ok
    }
}
