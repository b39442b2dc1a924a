//! One run of clic over a project, as every subcommand that gathers evidence needs it:
//! the project discovered, its plan compiled (inputs checked to lie inside it), the
//! manifest's folder, and the fact providers with the one benchmark they share. `check`,
//! `bench` and `dossier` start here instead of calling each other.

use crate::cmd::Status;
use crate::output::print_error;
use crate::project::Project;
use clic_compiler::plan::Value;
use clic_compiler::plan::{ModelSpec, Plan};
use clic_compiler::Code;
use clic_dossier::context::GitInfo;
use clic_dossier::integrity::{self, FileHash};
use clic_dossier::render::{override_dirs, Templates};
use clic_runner::bench::BenchInputs;
use clic_runner::budget::Budget;
use clic_runner::facts::reference::{BenchmarkFacts, Reference, ScansFacts};
use clic_runner::facts::{ArtifactFacts, DocumentsFacts, Facts, GitFacts, ModelFacts};
use clic_runner::facts::{FactError, FactProvider};
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

    /// What git says about the repository holding the manifest `spec`.
    pub fn git_info(&self, spec: &ModelSpec) -> GitInfo {
        git_info(&manifest_dir(&self.project.base, spec), spec)
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

/// The templates in force and every input of the dossier, hashed now (what `clic
/// dossier` records and `clic verify --repo` compares).
pub fn dossier_inputs(
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
        &manifest_dir(&project.base, spec),
        plan,
        &overrides,
    );
    Ok((templates, inputs))
}
