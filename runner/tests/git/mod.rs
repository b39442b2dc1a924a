//! Helpers for the `git.*` fact tests: isolated repositories and a sample manifest.

mod allowed;
mod history;
mod prespecified;
mod signing;

use clic_compiler::plan::{ArtifactSpec, ModelSpec, ReferenceSpec, SourceLoc, Value};
use clic_compiler::schema::{Provider, FACTS};
use clic_runner::facts::{FactProvider, GitFacts};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Variables that would make git work on another repository than the one asked.
pub(crate) const GIT_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_CEILING_DIRECTORIES",
    "GNUPGHOME",
];

/// A temporary folder with a HOME of its own and a clock for commit dates.
pub(crate) struct Sandbox {
    tmp: tempfile::TempDir,
    clock: Cell<i64>,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(tmp.path().join("home")).expect("home");
        Self {
            tmp,
            // 2024-03-05 23:30 at -02:00, i.e. 2024-03-06 01:30 UTC.
            clock: Cell::new(1_709_688_600),
        }
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// A `git` command in `dir`, isolated from the machine's configuration.
    pub(crate) fn cmd(&self, dir: &Path) -> Command {
        let mut c = Command::new("git");
        for v in GIT_ENV {
            c.env_remove(v);
        }
        let date = format!("{} -0200", self.clock.get());
        c.current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path("home"))
            .env("GIT_AUTHOR_NAME", "Ada Lovelace")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Clic Bot")
            .env("GIT_COMMITTER_EMAIL", "bot@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
        c
    }

    /// Runs git and returns its trimmed stdout; fails the test when git fails.
    pub(crate) fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.cmd(dir).args(args).output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A new repository with branch `main`.
    pub(crate) fn init(&self, rel: &str) -> PathBuf {
        let dir = self.path(rel);
        std::fs::create_dir_all(&dir).expect("repo dir");
        self.git(&dir, &["init", "-q", "-b", "main"]);
        dir
    }

    /// Commits everything (`git add -A`), one minute after the previous commit.
    pub(crate) fn commit(&self, dir: &Path, message: &str) -> String {
        self.git(dir, &["add", "-A"]);
        self.commit_staged(dir, message, &[])
    }

    pub(crate) fn commit_staged(&self, dir: &Path, message: &str, extra: &[&str]) -> String {
        self.clock.set(self.clock.get() + 60);
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["commit", "-q", "--allow-empty", "-m", message]);
        self.git(dir, &args);
        self.git(dir, &["rev-parse", "HEAD"])
    }
}

pub(crate) fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    std::fs::write(p, text).expect("write");
}

/// A manifest naming `model/classifier.onnx`, the `scans` folder with its labels, a
/// training list and the IFU.
pub(crate) fn spec(version: &str) -> ModelSpec {
    ModelSpec {
        name: "cxr".into(),
        version: version.into(),
        purpose: "triage".into(),
        class: "IIa".into(),
        classification_rule: None,
        significance: None,
        situation: None,
        safety_class: None,
        runtime: None,
        prevalence: Default::default(),
        robustness: None,
        artifact: ArtifactSpec {
            path: "model/classifier.onnx".into(),
            sha256: None,
        },
        input: None,
        output: None,
        reference: Some(ReferenceSpec {
            path: "scans".into(),
            labels: "scans/labels.csv".into(),
        }),
        training_patients: Some("data/training.csv".into()),
        claims: BTreeMap::new(),
        analysis: Default::default(),
        series_inputs: Vec::new(),
        segmentation: None,
        quantify: Vec::new(),
        structure_claims: Vec::new(),
        documents: BTreeMap::from([("ifu".to_string(), "docs/ifu.md".to_string())]),
        policies: Vec::new(),
        source: SourceLoc {
            file: "model.clic".into(),
            line: 1,
            column: 1,
            start: 0,
            end: 0,
        },
    }
}

/// The files the manifest names, plus one it does not.
pub(crate) fn project_files(dir: &Path) {
    write(dir, "docs/ifu.md", "# IFU\n");
    write(dir, "scans/labels.csv", "file,label\na.dcm,1\n");
    write(dir, "scans/a.dcm", "DICM");
    write(dir, "data/training.csv", "patient\np1\n");
    write(dir, "README.md", "readme\n");
}

pub(crate) fn fact(facts: &mut GitFacts, path: &str) -> Value {
    facts
        .fact(path, &[])
        .map_err(|e| format!("{path} is unavailable: {}", e.reason))
        .expect("the fact is available")
}

pub(crate) fn s(v: &str) -> Value {
    Value::String(v.into())
}

pub(crate) fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

pub(crate) fn git_facts() -> impl Iterator<Item = &'static str> {
    FACTS
        .iter()
        .filter(|f| f.provider == Provider::Git)
        .map(|f| f.path)
}

/// Whether a value fits its declared type (none fits any).
pub(crate) fn fits(ty: &str, v: &Value) -> bool {
    match (ty, v) {
        (_, Value::Null) => true,
        ("Bool", Value::Bool(_)) | ("String", Value::String(_)) | ("Date", Value::Date(_)) => true,
        (t, Value::List(items)) if t.starts_with("List<") => {
            let inner = &t[5..t.len() - 1];
            items.iter().all(|i| fits(inner, i))
        }
        ("Commit", Value::Record(r)) => ["id", "summary", "message", "author", "signed"]
            .iter()
            .all(|k| r.contains_key(*k)),
        _ => false,
    }
}

pub(crate) fn commit_field<'a>(v: &'a Value, field: &str) -> &'a Value {
    match v {
        Value::Record(r) => r.get(field).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}
