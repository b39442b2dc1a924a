//! One run of clic over a project, as every subcommand that gathers evidence needs it:
//! the project discovered, its plan compiled (inputs checked to lie inside it), the
//! manifest's folder, and the fact providers with the one benchmark they share. `check`,
//! `bench` and `dossier` start here instead of calling each other.

use crate::project::Project;
use clic_compiler::plan::{ModelSpec, Plan};
use clic_runner::bench::BenchInputs;
use clic_runner::budget::Budget;
use clic_runner::facts::reference::{BenchmarkFacts, Reference, ScansFacts};
use clic_runner::facts::{ArtifactFacts, DocumentsFacts, Facts, GitFacts, ModelFacts};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A compiled project, ready to gather facts.
pub struct Session {
    /// The project.
    pub project: Project,
    /// Its plan.
    pub plan: Plan,
    /// The manifest's folder, which its paths are relative to (the project's folder when
    /// there is no manifest).
    pub manifest_dir: PathBuf,
}

/// The benchmark `scans.*` and `benchmark.*` share: run at most once per session, or
/// reused from `.clic/cache`.
pub type SharedReference = Rc<RefCell<Reference>>;

impl Session {
    /// Discovers and compiles the project at `path`; prints the diagnostics and returns
    /// `None` when the input is invalid.
    pub fn open(path: &Path) -> Option<Self> {
        let (project, plan) = crate::cmd::compile::load_plan(path)?;
        let manifest_dir = plan
            .model
            .as_ref()
            .map_or_else(|| project.base.clone(), |m| manifest_dir(&project.base, m));
        Some(Self {
            project,
            plan,
            manifest_dir,
        })
    }

    /// The benchmark of the manifest's reference set, within `budget`. Installs the
    /// project's secret, which keys pseudonyms and cache entries.
    pub fn reference(&self, budget: &Budget) -> SharedReference {
        reference(&self.project, self.plan.model.as_ref(), budget)
    }

    /// The fact providers of a run, one per schema root, with the benchmark they share.
    pub fn facts(&self, budget: &Budget) -> (Facts, SharedReference) {
        facts(&self.project, &self.plan, &self.manifest_dir, budget)
    }
}

/// The fact providers of a run of `plan` in `project` (its manifest in `dir`), one per
/// schema root, with the benchmark they share.
pub fn facts(
    project: &Project,
    plan: &Plan,
    dir: &Path,
    budget: &Budget,
) -> (Facts, SharedReference) {
    let reference = reference(project, plan.model.as_ref(), budget);
    let model = &plan.model;
    let facts = Facts::new(vec![
        Box::new(ModelFacts::new(model.clone())),
        Box::new(ArtifactFacts::new(
            dir,
            &project.root,
            model.clone(),
            *budget,
        )),
        Box::new(ScansFacts(reference.clone())),
        Box::new(BenchmarkFacts(reference.clone())),
        Box::new(GitFacts::new(dir, model.clone())),
        Box::new(DocumentsFacts::new(dir, &project.root, model.clone())),
    ]);
    (facts, reference)
}

/// The folder of the manifest `spec` (its paths are relative to it), in a project whose
/// sources lie under `base`.
pub fn manifest_dir(base: &Path, spec: &ModelSpec) -> PathBuf {
    base.join(
        Path::new(&spec.source.file)
            .parent()
            .unwrap_or(Path::new("")),
    )
}

/// The benchmark of `spec`'s reference set in `project`, within `budget`.
pub fn reference(project: &Project, spec: Option<&ModelSpec>, budget: &Budget) -> SharedReference {
    let base = project.base.as_path();
    let inputs = spec.map(|s| BenchInputs {
        dir: manifest_dir(base, s),
        root: project.root.clone(),
        spec: s.clone(),
        budget: *budget,
    });
    let clic_dir = spec.map(|s| manifest_dir(base, s).join(".clic"));
    if let Some(dir) = &clic_dir {
        // Pseudonyms and cache entries are keyed by the project's secret; without it
        // (a read-only checkout) a random key for this run: nothing is cached then.
        match clic_runner::pseudonym::Key::for_project(dir) {
            Ok(key) => clic_runner::pseudonym::install(key),
            Err(e) => eprintln!(
                "warning: no project secret in `{}` ({e}); pseudonyms are random for this run and no evidence is reused",
                dir.display()
            ),
        }
    }
    let cache = clic_dir.map(|d| d.join("cache"));
    Reference::new(inputs, cache, crate::cmd::bench::progress())
}

/// Today's date in UTC, from the system clock: what waivers are judged as of unless
/// `--today` says otherwise.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    clic_compiler::utc_date(i64::try_from(secs).unwrap_or(0))
}
