//! `clic verify --repo PATH --regenerate`: the recorded commit is cloned from PATH's
//! repository into a temporary folder (objects copied, never linked; HEAD detached
//! at that commit, as in a regulator's clone of the tag), `clic dossier` — this very
//! executable — runs there with the dossier's own `--fail-on` and waiver date (from
//! its `results.json`), and every file of both dossiers is compared byte for byte.
//! The signature is not compared: only the team's key can make it. Nothing of PATH
//! is changed; the temporary folder is removed.

use super::{hashes, integrity, Record, Tree};
use crate::cmd::Status;
use crate::output::print_error;
use clic_compiler::Code;
use clic_runner::budget::ReadLimits;
use std::path::Path;

/// What regeneration found.
pub enum Outcome {
    /// The dossier records no commit (it was made outside git).
    NoCommit,
    /// `clic dossier` failed on the commit.
    Failed { commit: String, output: String },
    /// Both dossiers, compared.
    Compared {
        commit: String,
        files: usize,
        differ: Vec<String>,
        only_given: Vec<String>,
        only_rebuilt: Vec<String>,
    },
}

impl Outcome {
    /// Whether the rebuilt dossier is the given one.
    pub fn identical(&self) -> bool {
        matches!(self, Self::Compared { differ, only_given, only_rebuilt, .. }
            if differ.is_empty() && only_given.is_empty() && only_rebuilt.is_empty())
    }

    /// One line per difference.
    pub fn details(&self) -> Vec<String> {
        match self {
            Self::Compared {
                differ,
                only_given,
                only_rebuilt,
                ..
            } => differ
                .iter()
                .map(|f| format!("regenerated differs: {f}"))
                .chain(only_given.iter().map(|f| format!("not regenerated: {f}")))
                .chain(
                    only_rebuilt
                        .iter()
                        .map(|f| format!("only in the regeneration: {f}")),
                )
                .collect(),
            Self::Failed { output, .. } => output
                .lines()
                .map(|l| format!("regeneration output: {l}"))
                .collect(),
            Self::NoCommit => Vec::new(),
        }
    }

    /// The report's line.
    pub fn summary(&self) -> String {
        match self {
            Self::NoCommit => {
                "IMPOSSIBLE: the dossier records no commit (it was made outside git)".to_string()
            }
            Self::Failed { commit, .. } => {
                format!("FAILED: `clic dossier` on commit {commit} did not write a dossier")
            }
            Self::Compared { commit, files, .. } if self.identical() => {
                format!("identical: all {files} files rebuilt byte for byte from commit {commit}")
            }
            Self::Compared {
                commit,
                differ,
                only_given,
                only_rebuilt,
                ..
            } => format!(
                "DIFFERS: rebuilt from commit {commit}, {} file(s) differ",
                differ.len() + only_given.len() + only_rebuilt.len()
            ),
        }
    }
}

fn git_error(repo: &Path, what: &str, e: &git2::Error) -> Status {
    print_error(
        Code::E020,
        &format!("cannot {what} `{}`: {}", repo.display(), e.message()),
        Some("give the git repository (or the project folder inside it) the dossier was made from"),
    );
    Status::Invalid
}

/// Rebuilds the dossier in a temporary folder and compares it with `dir`.
pub fn run(repo: &Path, dir: &Path, record: &Record, tree: &Tree) -> Result<Outcome, Status> {
    let Some(commit) = record.git.commit.clone() else {
        return Ok(Outcome::NoCommit);
    };
    let source =
        git2::Repository::discover(repo).map_err(|e| git_error(repo, "open the repository", &e))?;
    let Some(workdir) = source.workdir().map(Path::to_path_buf) else {
        return Err(git_error(
            repo,
            "check out",
            &git2::Error::from_str("it is a bare repository"),
        ));
    };
    let project = repo
        .canonicalize()
        .ok()
        .zip(workdir.canonicalize().ok())
        .and_then(|(p, w)| p.strip_prefix(&w).ok().map(Path::to_path_buf))
        .unwrap_or_default();
    let oid =
        git2::Oid::from_str(&commit).map_err(|e| git_error(repo, "read the commit of", &e))?;
    if source.find_commit(oid).is_err() {
        print_error(
            Code::E020,
            &format!(
                "the repository `{}` has no commit {commit}, which the dossier records",
                repo.display()
            ),
            Some("give the repository the dossier was made from, fetched up to its release"),
        );
        return Err(Status::Invalid);
    }
    let tmp = tempfile::Builder::new()
        .prefix("clic-regenerate-")
        .tempdir()
        .map_err(|e| {
            print_error(
                Code::E020,
                &format!(
                    "cannot make a temporary folder: {}",
                    crate::project::io_reason(&e)
                ),
                None,
            );
            Status::Invalid
        })?;
    let clone_dir = tmp.path().join("repo");
    let url = workdir.to_string_lossy().into_owned();
    let clone = git2::build::RepoBuilder::new()
        .clone_local(git2::build::CloneLocal::NoLinks)
        .clone(&url, &clone_dir)
        .map_err(|e| git_error(repo, "clone", &e))?;
    checkout(&clone, oid).map_err(|e| git_error(repo, "check out the recorded commit of", &e))?;
    trust_as(&source, &workdir, &clone)
        .map_err(|e| git_error(repo, "configure the clone of", &e))?;
    let out = tmp.path().join("dossier");
    let (fail_on, as_of, limits) = run_options(dir, tree);
    let exe = std::env::current_exe().map_err(|e| {
        print_error(
            Code::E020,
            &format!(
                "cannot find the clic executable: {}",
                crate::project::io_reason(&e)
            ),
            None,
        );
        Status::Invalid
    })?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("dossier")
        .arg(clone_dir.join(&project))
        .arg("--out")
        .arg(&out)
        .args(["--fail-on", &fail_on])
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    if let Some(d) = as_of {
        cmd.args(["--today", &d]);
    }
    cmd.args(crate::limits::ReadArgs::flags(&limits));
    let result = cmd.output().map_err(|e| {
        print_error(
            Code::E020,
            &format!(
                "cannot run `clic dossier`: {}",
                crate::project::io_reason(&e)
            ),
            None,
        );
        Status::Invalid
    })?;
    if !matches!(result.status.code(), Some(0 | 1)) || !out.is_dir() {
        return Ok(Outcome::Failed {
            commit,
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&result.stdout),
                String::from_utf8_lossy(&result.stderr)
            ),
        });
    }
    let rebuilt_tree = integrity::walk(&out).map_err(|e| {
        print_error(
            Code::E020,
            &format!(
                "cannot read the regenerated dossier: {}",
                crate::project::io_reason(&e)
            ),
            None,
        );
        Status::Invalid
    })?;
    let given = hashes(dir, tree);
    let rebuilt = hashes(&out, &rebuilt_tree);
    let mut differ = Vec::new();
    let mut only_given = Vec::new();
    for (rel, h) in &given {
        match rebuilt.get(rel) {
            Some(r) if r.is_some() && r == h => {}
            Some(_) => differ.push(rel.clone()),
            None => only_given.push(rel.clone()),
        }
    }
    let only_rebuilt: Vec<String> = rebuilt
        .keys()
        .filter(|k| !given.contains_key(*k))
        .cloned()
        .collect();
    Ok(Outcome::Compared {
        commit,
        files: given.len(),
        differ,
        only_given,
        only_rebuilt,
    })
}

/// The keys that decide whether a signature is verified (`git.*.signature.verified`) are
/// the verifier's own configuration, not the repository's content: a clone has none of
/// them, so the regenerated dossier would read every signature as unverified. `clone` takes
/// `source`'s allowed signers and revocation files, as absolute paths.
fn trust_as(
    source: &git2::Repository,
    workdir: &Path,
    clone: &git2::Repository,
) -> Result<(), git2::Error> {
    let from = source.config()?;
    let mut to = clone.config()?.open_level(git2::ConfigLevel::Local)?;
    for name in ["gpg.ssh.allowedSignersFile", "gpg.ssh.revocationFile"] {
        let Ok(path) = from.get_path(name) else {
            continue;
        };
        if path.as_os_str().is_empty() {
            continue;
        }
        let path = if path.is_absolute() {
            path
        } else {
            workdir.join(path)
        };
        to.set_str(name, &path.to_string_lossy())?;
    }
    Ok(())
}

/// HEAD of `clone` detached at `oid`, the work tree checked out to match.
fn checkout(clone: &git2::Repository, oid: git2::Oid) -> Result<(), git2::Error> {
    clone.find_commit(oid)?;
    clone.set_head_detached(oid)?;
    clone.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
}

/// The dossier's `--fail-on`, waiver date and reading limits, from its `results.json`.
/// Limits that do not parse are taken as the defaults: the rebuilt `results.json` then
/// differs from the given one, and the comparison says so.
fn run_options(dir: &Path, tree: &Tree) -> (String, Option<String>, ReadLimits) {
    let results = tree
        .files
        .get("results.json")
        .and_then(|id| integrity::read_small(dir, "results.json", *id, 256 * 1024 * 1024).ok())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let get = |k: &str| {
        results
            .as_ref()
            .and_then(|r| r.get(k))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    (
        get("fail_on")
            .filter(|f| matches!(f.as_str(), "blocker" | "major" | "minor"))
            .unwrap_or_else(|| "major".to_string()),
        get("waivers_as_of").filter(|d| clic_compiler::is_calendar_date(d)),
        results
            .as_ref()
            .and_then(|r| r.get("limits"))
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default(),
    )
}
