//! Which checks a staged change touches, for `--stage pre-commit`.
//!
//! A check reads facts; each fact root stands on input files that the manifest names.
//! A staged change touches a check when it touches one of those files:
//!
//! | fact root | inputs |
//! |---|---|
//! | `model` | the `.clic` sources only |
//! | `artifact` | the model artifact |
//! | `scans`, `benchmark` | the reference folder, the labels, the training list, the artifact |
//! | `documents` | every document the manifest names |
//! | `git`, any other | always touched: the staged change is their subject |
//!
//! A staged `.clic` file touches every check: the manifest or a policy changed, so
//! every conclusion may have changed with it.

use clic_compiler::plan::{Check, ModelSpec, Plan};
use std::collections::BTreeSet;

/// Ids of the checks of `plan` that a staged change touches. `manifest_dir` is the
/// manifest's folder relative to the work tree (`""` at its root, `/`-separated);
/// `staged` are work-tree-relative paths.
pub fn touched(plan: &Plan, manifest_dir: &str, staged: &[String]) -> BTreeSet<String> {
    if staged.is_empty() {
        return BTreeSet::new();
    }
    let all = || plan.checks.iter().map(|c| c.id.clone()).collect();
    if staged.iter().any(|p| p.ends_with(".clic")) {
        return all();
    }
    let inputs = Inputs::of(plan.model.as_ref(), manifest_dir);
    plan.checks
        .iter()
        .filter(|c| reads_touched(c, &inputs, staged))
        .map(|c| c.id.clone())
        .collect()
}

/// Work-tree-relative input paths, by fact root.
struct Inputs {
    artifact: Vec<String>,
    reference: Vec<String>,
    documents: Vec<String>,
}

impl Inputs {
    fn of(model: Option<&ModelSpec>, manifest_dir: &str) -> Self {
        let at = |p: &str| join(manifest_dir, p);
        let Some(m) = model else {
            return Self {
                artifact: Vec::new(),
                reference: Vec::new(),
                documents: Vec::new(),
            };
        };
        let artifact: Vec<String> = vec![at(&m.artifact.path)];
        let mut reference = artifact.clone();
        if let Some(r) = &m.reference {
            reference.push(at(&r.path));
            reference.push(at(&r.labels));
        }
        if let Some(t) = &m.training_patients {
            reference.push(at(t));
        }
        let documents = m.documents.values().map(|p| at(p)).collect();
        Self {
            artifact,
            reference,
            documents,
        }
    }
}

fn reads_touched(check: &Check, inputs: &Inputs, staged: &[String]) -> bool {
    check.facts.iter().any(|fact| {
        let root = fact.split(['.', '(']).next().unwrap_or("");
        let paths = match root {
            "model" => return false,
            "artifact" => &inputs.artifact,
            "scans" | "benchmark" => &inputs.reference,
            "documents" => &inputs.documents,
            _ => return true,
        };
        paths
            .iter()
            .any(|input| staged.iter().any(|s| under(s, input)))
    })
}

/// Whether `path` is `input` or lies in the folder `input`.
fn under(path: &str, input: &str) -> bool {
    input.is_empty()
        || path == input
        || path
            .strip_prefix(input)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `base/rel`, with `.` and `..` resolved lexically and `/` separators.
fn join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(rel.split(['/', '\\'])) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_resolves_dots() {
        assert_eq!(
            join("examples/cxr", "model/cxr.onnx"),
            "examples/cxr/model/cxr.onnx"
        );
        assert_eq!(join("", "./data/ref"), "data/ref");
        assert_eq!(join("a/b", "../c"), "a/c");
    }

    #[test]
    fn under_matches_files_and_folders_only_on_boundaries() {
        assert!(under("data/reference/x.dcm", "data/reference"));
        assert!(under("data/reference", "data/reference"));
        assert!(!under("data/reference-old/x.dcm", "data/reference"));
        assert!(!under("README.md", "data/reference"));
    }
}
