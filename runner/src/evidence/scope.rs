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
        let at = |p: &str| crate::paths::join_slash(manifest_dir, p);
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
            .any(|input| staged.iter().any(|s| crate::paths::is_under(s, input)))
    })
}
