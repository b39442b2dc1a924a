//! Which checks a staged change touches, for `--stage pre-commit`.
//!
//! A check reads facts; each fact's provider declares the inputs it reads
//! ([`facts::inputs`](crate::facts::inputs), beside each provider's code). A staged
//! change touches a check when it touches one of them:
//!
//! | reads | touched by |
//! |---|---|
//! | the `.clic` sources (`model`) | a staged `.clic` file only |
//! | files (`artifact`, `scans`, `benchmark`, `documents`) | a staged path under one of them |
//! | the repository (`git`) | any staged change: the staged change is its subject |
//!
//! A staged `.clic` file touches every check: the manifest or a policy changed, so
//! every conclusion may have changed with it. A fact the schema does not declare (no
//! compiled plan holds one) is taken to be touched.

use crate::facts::{inputs, Reads};
use clic_compiler::plan::{Check, ModelSpec, Plan};
use clic_compiler::schema::{self, Provider};
use std::collections::{BTreeMap, BTreeSet};

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
    let touched = Touched::of(plan.model.as_ref(), manifest_dir, staged);
    plan.checks
        .iter()
        .filter(|c| touched.any(c))
        .map(|c| c.id.clone())
        .collect()
}

/// Whether the staged change touches each provider's inputs.
struct Touched(BTreeMap<Provider, bool>);

impl Touched {
    fn of(model: Option<&ModelSpec>, manifest_dir: &str, staged: &[String]) -> Self {
        let under = |p: &String| {
            let input = crate::paths::join_slash(manifest_dir, p);
            staged.iter().any(|s| crate::paths::is_under(s, &input))
        };
        Self(
            Provider::ALL
                .into_iter()
                .map(|p| {
                    let hit = match inputs(p, model) {
                        // No `.clic` file is staged (that touched every check).
                        Reads::Sources => false,
                        Reads::Files(files) => files.iter().any(under),
                        Reads::Repository => true,
                    };
                    (p, hit)
                })
                .collect(),
        )
    }

    /// Whether the change touches a fact `check` reads.
    fn any(&self, check: &Check) -> bool {
        check.facts.iter().any(|fact| {
            // A fact read as a call is shown with its arguments: `benchmark.by(Modality)`.
            let path = fact.split('(').next().unwrap_or(fact);
            schema::fact(path).is_none_or(|def| self.0.get(&def.provider) == Some(&true))
        })
    }
}
