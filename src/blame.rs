//! A missing or broken input found while gathering facts, reported as the compiler
//! reports a source error: its code, a label on the manifest line that named the input,
//! the path as the manifest writes it (relative, never the absolute one the provider
//! opened) and, for a path that does not exist, the closest one that does.

use crate::session::Session;
use clic_compiler::diagnostics::did_you_mean;
use clic_compiler::{Code, Diagnostic, Loc, Origin, SourceMap};
use std::path::Path;

/// An input the manifest names: what it is, its path as written, whether a folder.
struct Named<'a> {
    what: &'static str,
    path: &'a str,
    folder: bool,
}

/// Files and folders looked at for a "did you mean", at most.
const MAX_CANDIDATES: usize = 5_000;

/// Prints the diagnostic of an input error of `code` (E021, E022, E023) that the
/// provider explained as `reason`, with `help`.
pub fn report(session: &Session, code: Code, reason: &str, help: &str) {
    let Some(spec) = session.plan.model.as_ref() else {
        crate::output::print_error(code, reason, Some(help));
        return;
    };
    let dir = &session.manifest_dir;
    let named = named(spec, code);
    // The input the provider's reason names (the longest path it mentions: the labels
    // file `data/reference/labels.yaml` before the folder `data/reference`), else the
    // first named input that does not exist.
    let exists = |n: &Named<'_>| std::fs::symlink_metadata(dir.join(n.path)).is_ok();
    let culprit = named
        .iter()
        .filter(|n| reason.contains(n.path))
        .max_by_key(|n| n.path.len())
        .or_else(|| named.iter().find(|n| !exists(n)));
    let missing = culprit.filter(|n| !exists(n));
    let (message, mut help) = match missing {
        Some(n) => (
            format!(
                "the {} `{}` that the manifest names does not exist",
                n.what, n.path
            ),
            help.to_string(),
        ),
        None => (relative(reason, dir), help.to_string()),
    };
    if let Some(n) = missing {
        if let Some(close) = closest(dir, n) {
            help = format!("did you mean `{close}`? {help}");
        }
    }
    let Some(n) = culprit else {
        crate::output::print_error(code, &message, Some(&help));
        return;
    };
    let Some((sources, loc)) = span(session, spec, n.path) else {
        crate::output::print_error(code, &message, Some(&help));
        return;
    };
    let d =
        Diagnostic::new(code, message, loc, format!("the {} named here", n.what)).with_help(help);
    crate::output::print_diagnostics(&[d], &sources);
}

/// The inputs the manifest names whose errors carry `code`.
fn named(spec: &clic_compiler::plan::ModelSpec, code: Code) -> Vec<Named<'_>> {
    let mut out = Vec::new();
    match code {
        Code::E021 => {
            out.push(Named {
                what: "model artifact",
                path: &spec.artifact.path,
                folder: false,
            });
            if let Some(c) = spec.analysis.compare.as_ref().filter(|c| !c.predictions) {
                out.push(Named {
                    what: "released model",
                    path: &c.path,
                    folder: false,
                });
            }
        }
        Code::E022 => {
            if let Some(r) = &spec.reference {
                out.push(Named {
                    what: "reference folder",
                    path: &r.path,
                    folder: true,
                });
                out.push(Named {
                    what: "labels file",
                    path: &r.labels,
                    folder: false,
                });
            }
            if let Some(t) = &spec.training_patients {
                out.push(Named {
                    what: "training patient list",
                    path: t,
                    folder: false,
                });
            }
            if let Some(c) = spec.analysis.compare.as_ref().filter(|c| c.predictions) {
                out.push(Named {
                    what: "released version's predictions",
                    path: &c.path,
                    folder: false,
                });
            }
            if let Some(r) = &spec.analysis.readers {
                out.push(Named {
                    what: "readers' file",
                    path: &r.path,
                    folder: false,
                });
            }
        }
        _ => {
            for path in spec.documents.values() {
                out.push(Named {
                    what: "document",
                    path,
                    folder: false,
                });
            }
        }
    }
    out
}

/// `reason` with the manifest folder's absolute path taken out of the paths it names.
fn relative(reason: &str, dir: &Path) -> String {
    let mut prefix = dir.display().to_string();
    if !prefix.ends_with('/') {
        prefix.push('/');
    }
    reason.replace(&prefix, "")
}

/// The existing path under the manifest's folder closest to the missing `n`, of the
/// same kind (file or folder), as the manifest would write it.
fn closest(dir: &Path, n: &Named<'_>) -> Option<String> {
    let mut candidates = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .max_depth(6)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !matches!(
                e.file_name().to_str(),
                Some(".git" | ".clic" | "target" | "node_modules")
            )
        });
    for e in walk.flatten().take(MAX_CANDIDATES) {
        if e.depth() == 0 || e.file_type().is_dir() != n.folder {
            continue;
        }
        if let Some(rel) = clic_runner::paths::relative_slash(e.path(), dir) {
            candidates.push(rel);
        }
    }
    did_you_mean(n.path, candidates.iter().map(String::as_str)).map(str::to_string)
}

/// The manifest's source and the location of the string literal `"path"` in its model
/// block.
fn span(
    session: &Session,
    spec: &clic_compiler::plan::ModelSpec,
    path: &str,
) -> Option<(SourceMap, Loc)> {
    let (shown, text) = session
        .project
        .files
        .iter()
        .find(|(p, _)| *p == spec.source.file)?;
    let literal = format!("\"{path}\"");
    let from = spec.source.start.min(text.len());
    let at = from + text.get(from..)?.find(&literal)?;
    let mut sources = SourceMap::default();
    let id = sources.add(shown.clone(), text.clone(), Origin::Project);
    Some((sources, Loc::new(id, at, at + literal.len())))
}
