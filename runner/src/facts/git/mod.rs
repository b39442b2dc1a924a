//! `git.*` facts: the state of the repository the manifest lives in — whether the work
//! tree is clean, what is staged, who made HEAD and whether it is signed, which tag it
//! carries, what changed since the last release, and whether the model and the scans
//! are stored with Git LFS.
//!
//! The repository is discovered once, upwards from the manifest's folder (stopping at
//! `GIT_CEILING_DIRECTORIES`), and each fact is computed on first request. Outside any
//! repository every `git.*` fact is unavailable ("not inside a git repository").
//!
//! Decisions worth knowing:
//! - `git.clean` counts untracked (not ignored) files as changes, like an empty
//!   `git status --porcelain`.
//! - `git.untracked` and `git.modified` only look at the paths the manifest names (the
//!   artifact, the reference folder and labels, the training list, the documents); they
//!   are given relative to the repository root, sorted. Ignored files are not untracked.
//!   A staged new file is "modified" (it is a staged change), not "untracked".
//! - On a repository without commits (unborn HEAD) every `git.head.*` fact is none,
//!   `git.staged` lists every index entry, `git.last_release.*` are none and
//!   `git.since_release.commits` is empty.
//! - `git.head.tag`: of several tags at HEAD, the highest in version order
//!   (`v<semver>` tags above others, semver precedence among them).
//!   `git.head.tag_matches_version` is true when *any* tag at HEAD is `v` + the version.
//! - `git.last_release.tag` is the highest `v<MAJOR.MINOR.PATCH>` tag (pre-release tags
//!   such as `v1.4.0-rc1` are not releases) on a commit reachable from HEAD *other than
//!   HEAD itself*: when HEAD is the release being made, the last release is the one
//!   before. `git.last_release.changed_files` diffs that tag's tree against HEAD's tree
//!   (none without a release); `git.since_release.commits` lists the commits after it
//!   up to HEAD, newest first (every commit when there is no release).
//! - `git.head.verified` (and `git.head.signature.verified`, the same): false when HEAD is
//!   unsigned or its signature does not verify; for a signed HEAD, none when no keyring
//!   for its kind of signature is configured (see [`signature`]: ssh signatures are
//!   checked by clic against `gpg.ssh.allowedSignersFile`, a garbled file is
//!   `clic::E031`). `git.head.signature.signer` is the principals of the allowed-signers
//!   line that verified it. `git.tag.signature.*` are the same for the release tag at
//!   HEAD (`v` + the version, else the highest tag there): a lightweight tag is
//!   unsigned; none when HEAD has no tag.
//! - `git.claims.last_changed`, `git.model.last_changed`, `git.reference.last_changed`
//!   (and `*_on`, the commit's date): the commit that last changed the manifest's claims,
//!   the model (file or pin) and the reference set ([`changes`] says what counts as a
//!   change); none when no commit holds it. `git.claims.prespecified`: the claims'
//!   commit is a strict ancestor of the model's and of the reference set's (each that
//!   history holds); none when the manifest makes no claim or neither is committed.
//! - Each `Commit` record also carries `change_request`: the first match of the
//!   change-request pattern ([`DEFAULT_CHANGE_REQUEST`] unless
//!   [`GitFacts::with_change_request`] says otherwise) in its message, or none.

mod changes;
mod history;
mod paths;
pub mod signature;
mod tags;
pub mod version;

use super::{FactError, FactProvider, Reads};
use clic_compiler::plan::{ModelSpec, Value};
use clic_compiler::schema::Provider;
use git2::{ErrorCode, Repository, RepositoryOpenFlags, Status, StatusOptions};
use regex::Regex;
use std::path::{Path, PathBuf};

/// The default pattern of a change-request reference in a commit message
/// (`CR-12`, `CHG 7` is not one, `JIRA-1234`, `issue42`).
pub const DEFAULT_CHANGE_REQUEST: &str = r"(?i)\b(CR|CHG|JIRA|ISSUE)-?\d+\b";

/// What `git.*` facts read: the repository's state, which the staged change is part of.
pub fn inputs(_: Option<&ModelSpec>) -> Reads {
    Reads::Repository
}

/// Serves `git.*` from the repository that holds the manifest.
pub struct GitFacts {
    dir: PathBuf,
    spec: Option<ModelSpec>,
    change_request: Option<Regex>,
    repo: Option<Result<Repo, FactError>>,
}

impl std::fmt::Debug for GitFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitFacts")
            .field("dir", &self.dir)
            .field("change_request", &self.change_request)
            .field("discovered", &self.repo.as_ref().map(Result::is_ok))
            .finish_non_exhaustive()
    }
}

/// The discovered repository and what has been computed from it so far.
struct Repo {
    repo: Repository,
    /// The work tree, canonical; none for a bare repository.
    workdir: Option<PathBuf>,
    statuses: Option<Vec<(String, Status)>>,
    tags: Option<Vec<tags::Tag>>,
    release: Option<Option<tags::Tag>>,
    changes: Option<changes::LastChanges>,
}

impl GitFacts {
    /// Facts of the repository holding `dir` (the folder of the manifest; the
    /// repository is discovered from it, upwards). Paths in `spec` are relative to
    /// `dir`. Commit messages are searched for [`DEFAULT_CHANGE_REQUEST`].
    pub fn new(dir: &Path, spec: Option<ModelSpec>) -> Self {
        Self {
            dir: dir.to_path_buf(),
            spec,
            change_request: Regex::new(DEFAULT_CHANGE_REQUEST).ok(),
            repo: None,
        }
    }

    /// As [`GitFacts::new`], with another pattern for change-request references in
    /// commit messages (each `Commit` record carries the first match as
    /// `change_request`).
    pub fn with_change_request(dir: &Path, spec: Option<ModelSpec>, change_request: Regex) -> Self {
        Self {
            change_request: Some(change_request),
            ..Self::new(dir, spec)
        }
    }

    /// The pattern for change-request references in commit messages.
    pub fn change_request(&self) -> Option<&Regex> {
        self.change_request.as_ref()
    }

    fn repo(&mut self) -> Result<&mut Repo, FactError> {
        let dir = &self.dir;
        self.repo
            .get_or_insert_with(|| discover(dir))
            .as_mut()
            .map_err(|e| e.clone())
    }
}

/// The staged change of the repository holding `dir`: the work tree (canonical) and the
/// paths the index changes against HEAD, relative to it. None outside a repository, in
/// a bare one, or when the index cannot be read: then nobody can say what is staged.
pub fn staged_change(dir: &Path) -> Option<(PathBuf, Vec<String>)> {
    let repo = discover(dir).ok()?;
    let workdir = repo.workdir?;
    let paths = history::staged(&repo.repo).ok()?;
    Some((workdir, paths))
}

fn discover(dir: &Path) -> Result<Repo, FactError> {
    let ceilings: Vec<PathBuf> = std::env::var_os("GIT_CEILING_DIRECTORIES")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    let repo = Repository::open_ext(dir, RepositoryOpenFlags::empty(), &ceilings).map_err(|e| {
        if e.code() == ErrorCode::NotFound {
            FactError::unavailable("not inside a git repository")
        } else {
            FactError::unavailable(format!("cannot open the git repository: {}", e.message()))
        }
    })?;
    let workdir = repo
        .workdir()
        .map(|w| std::fs::canonicalize(w).unwrap_or_else(|_| w.to_path_buf()));
    Ok(Repo {
        repo,
        workdir,
        statuses: None,
        tags: None,
        release: None,
        changes: None,
    })
}

/// A git2 error as a fact error.
fn git_err(e: &git2::Error) -> FactError {
    FactError::unavailable(format!("git: {}", e.message()))
}

fn no_manifest() -> FactError {
    FactError::unavailable("the project has no model manifest")
}

fn strings(items: Vec<String>) -> Value {
    Value::List(items.into_iter().map(Value::String).collect())
}

impl Repo {
    fn workdir(&self) -> Result<&Path, FactError> {
        self.workdir.as_deref().ok_or_else(|| {
            FactError::unavailable("the git repository is bare: it has no work tree")
        })
    }

    /// Every path `git status` reports, with its status, sorted by path.
    fn statuses(&mut self) -> Result<&[(String, Status)], FactError> {
        if self.statuses.is_none() {
            self.workdir()?;
            let mut opts = StatusOptions::new();
            opts.include_untracked(true)
                .recurse_untracked_dirs(true)
                .include_ignored(false)
                .renames_head_to_index(false)
                .renames_index_to_workdir(false);
            let statuses = self
                .repo
                .statuses(Some(&mut opts))
                .map_err(|e| git_err(&e))?;
            let mut list: Vec<(String, Status)> = statuses
                .iter()
                .map(|e| {
                    (
                        String::from_utf8_lossy(e.path_bytes()).into_owned(),
                        e.status(),
                    )
                })
                .collect();
            list.sort_by(|a, b| a.0.cmp(&b.0));
            self.statuses = Some(list);
        }
        Ok(self.statuses.as_deref().unwrap_or_default())
    }

    /// Status paths under the manifest's paths whose status satisfies `keep`.
    fn named(
        &mut self,
        dir: &Path,
        spec: Option<&ModelSpec>,
        keep: impl Fn(Status) -> bool,
    ) -> Result<Value, FactError> {
        let spec = spec.ok_or_else(no_manifest)?;
        let named = paths::manifest_paths(dir, self.workdir()?, spec);
        let found = self
            .statuses()?
            .iter()
            .filter(|(p, s)| keep(*s) && named.iter().any(|n| crate::paths::is_under(p, n)))
            .map(|(p, _)| p.clone())
            .collect();
        Ok(strings(found))
    }

    fn tags(&mut self) -> Result<&[tags::Tag], FactError> {
        if self.tags.is_none() {
            self.tags = Some(tags::all(&self.repo).map_err(|e| git_err(&e))?);
        }
        Ok(self.tags.as_deref().unwrap_or_default())
    }

    fn release(&mut self) -> Result<Option<tags::Tag>, FactError> {
        if let Some(r) = &self.release {
            return Ok(r.clone());
        }
        let head = history::head_id(&self.repo)?;
        let found = match head {
            None => None,
            Some(head) => {
                let all = self.tags()?.to_vec();
                tags::last_release(&self.repo, head, &all).map_err(|e| git_err(&e))?
            }
        };
        self.release = Some(found.clone());
        Ok(found)
    }

    /// When the claims, the model and the reference set last changed; none on an
    /// unborn HEAD.
    fn changes(
        &mut self,
        dir: &Path,
        spec: Option<&ModelSpec>,
    ) -> Result<Option<changes::LastChanges>, FactError> {
        if let Some(c) = &self.changes {
            return Ok(Some(c.clone()));
        }
        let spec = spec.ok_or_else(no_manifest)?;
        let Some(head) = history::head_id(&self.repo)? else {
            return Ok(None);
        };
        let workdir = self.workdir()?.to_path_buf();
        let file = Path::new(&spec.source.file)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let manifest = (!file.is_empty())
            .then(|| paths::in_repo(dir, &workdir, &file))
            .flatten()
            .ok_or_else(|| {
                FactError::unavailable(format!(
                    "the manifest `{}` lies outside the repository",
                    spec.source.file
                ))
            })?;
        let inside = |p: &str| {
            (!p.is_empty())
                .then(|| paths::in_repo(dir, &workdir, p))
                .flatten()
        };
        let mut reference: Vec<String> = spec
            .reference
            .iter()
            .flat_map(|r| [inside(&r.path), inside(&r.labels)])
            .flatten()
            .collect();
        reference.dedup();
        let parts = changes::Parts {
            manifest,
            artifact: inside(&spec.artifact.path),
            reference,
        };
        let found = changes::last_changes(&self.repo, head, &parts).map_err(|e| git_err(&e))?;
        self.changes = Some(found.clone());
        Ok(Some(found))
    }
}

/// Which part's last change a `git.*.last_changed*` fact reads.
fn last_change(a: &mut At<'_>) -> Result<Value, FactError> {
    let Some(found) = a.r.changes(a.dir, a.spec)? else {
        return Ok(Value::Null);
    };
    let change = if a.path.starts_with("git.claims.") {
        found.claims
    } else if a.path.starts_with("git.model.") {
        found.model
    } else {
        found.reference
    };
    Ok(match change {
        None => Value::Null,
        Some(c) if a.path.ends_with("_on") => Value::Date(history::utc_date(c.time)),
        Some(c) => Value::String(c.id.to_string()),
    })
}

/// `git.claims.prespecified`.
fn prespecified(a: &mut At<'_>) -> Result<Value, FactError> {
    let spec = a.spec.ok_or_else(no_manifest)?;
    let an = &spec.analysis;
    if spec.claims.is_empty()
        && an
            .finding_claims
            .values()
            .all(std::collections::BTreeMap::is_empty)
        && an
            .summary_claims
            .values()
            .all(std::collections::BTreeMap::is_empty)
        && an.noninferiority.is_empty()
    {
        return Ok(Value::Null);
    }
    let Some(found) = a.r.changes(a.dir, a.spec)? else {
        return Ok(Value::Null);
    };
    let Some(claims) = found.claims else {
        return Ok(Value::Null);
    };
    let later: Vec<changes::Change> = [found.model, found.reference]
        .into_iter()
        .flatten()
        .collect();
    if later.is_empty() {
        return Ok(Value::Null);
    }
    for c in later {
        let before = c.id != claims.id
            && a.r
                .repo
                .graph_descendant_of(c.id, claims.id)
                .map_err(|e| git_err(&e))?;
        if !before {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// The signature outcome of the release tag at HEAD; none when HEAD has no tag.
fn tag_signature(a: &mut At<'_>) -> Result<Option<signature::Outcome>, FactError> {
    let Some(at_head) = tags_at_head(a.r)? else {
        return Ok(None);
    };
    let wanted = a.spec.map(|s| format!("v{}", s.version));
    let name = match wanted.filter(|w| at_head.contains(w)) {
        Some(w) => Some(w),
        None => at_head.into_iter().max_by(|x, y| version::compare(x, y)),
    };
    let Some(name) = name else {
        return Ok(None);
    };
    let reference =
        a.r.repo
            .find_reference(&format!("refs/tags/{name}"))
            .map_err(|e| git_err(&e))?;
    let Some(target) = reference.target() else {
        return Ok(None);
    };
    signature::of_tag(&a.r.repo, target).map(Some)
}

/// The signature outcome of HEAD; none on an unborn HEAD.
fn head_signature(a: &mut At<'_>) -> Result<Option<signature::Outcome>, FactError> {
    match history::head_id(&a.r.repo)? {
        None => Ok(None),
        Some(id) => signature::of_commit(&a.r.repo, id).map(Some),
    }
}

const UNTRACKED: Status = Status::WT_NEW;

fn is_modified(s: Status) -> bool {
    s.intersects(
        Status::INDEX_NEW
            | Status::INDEX_MODIFIED
            | Status::INDEX_DELETED
            | Status::INDEX_RENAMED
            | Status::INDEX_TYPECHANGE
            | Status::WT_MODIFIED
            | Status::WT_DELETED
            | Status::WT_RENAMED
            | Status::WT_TYPECHANGE
            | Status::CONFLICTED,
    )
}

/// What a `git.*` fact is read from: the repository and the manifest.
struct At<'a> {
    r: &'a mut Repo,
    path: &'a str,
    dir: &'a Path,
    spec: Option<&'a ModelSpec>,
    change_request: Option<&'a Regex>,
}

/// How a `git.*` fact is read.
type Read = fn(&mut At<'_>) -> Result<Value, FactError>;

/// Every `git.*` fact, with how it is read.
const FACTS: &[(&str, Read)] = &[
    ("git.clean", |a| Ok(Value::Bool(a.r.statuses()?.is_empty()))),
    ("git.untracked", |a| {
        a.r.named(a.dir, a.spec, |s| s.intersects(UNTRACKED))
    }),
    ("git.modified", |a| a.r.named(a.dir, a.spec, is_modified)),
    ("git.staged", |a| {
        Ok(strings(
            history::staged(&a.r.repo).map_err(|e| git_err(&e))?,
        ))
    }),
    ("git.head.id", head_fact),
    ("git.head.author", head_fact),
    ("git.head.committer", head_fact),
    ("git.head.date", head_fact),
    ("git.head.signed", head_fact),
    ("git.head.branch", |a| history::branch(&a.r.repo)),
    ("git.head.verified", |a| {
        Ok(head_signature(a)?.map_or(Value::Null, |o| o.verified()))
    }),
    ("git.head.signature.verified", |a| {
        Ok(head_signature(a)?.map_or(Value::Null, |o| o.verified()))
    }),
    ("git.head.signature.signer", |a| {
        Ok(head_signature(a)?.map_or(Value::Null, |o| o.signer()))
    }),
    ("git.tag.signature.verified", |a| {
        Ok(tag_signature(a)?.map_or(Value::Null, |o| o.verified()))
    }),
    ("git.tag.signature.signer", |a| {
        Ok(tag_signature(a)?.map_or(Value::Null, |o| o.signer()))
    }),
    ("git.claims.last_changed", last_change),
    ("git.claims.last_changed_on", last_change),
    ("git.model.last_changed", last_change),
    ("git.model.last_changed_on", last_change),
    ("git.reference.last_changed", last_change),
    ("git.reference.last_changed_on", last_change),
    ("git.claims.prespecified", prespecified),
    ("git.head.tag", |a| {
        Ok(tags_at_head(a.r)?.map_or(Value::Null, |at_head| {
            at_head
                .into_iter()
                .max_by(|a, b| version::compare(a, b))
                .map_or(Value::Null, Value::String)
        }))
    }),
    ("git.head.tag_matches_version", |a| {
        let Some(at_head) = tags_at_head(a.r)? else {
            return Ok(Value::Null);
        };
        let spec = a.spec.ok_or_else(no_manifest)?;
        let wanted = format!("v{}", spec.version);
        Ok(Value::Bool(at_head.contains(&wanted)))
    }),
    ("git.last_release.tag", |a| {
        Ok(a.r
            .release()?
            .map_or(Value::Null, |t| Value::String(t.name)))
    }),
    ("git.last_release.changed_files", |a| {
        Ok(match (a.r.release()?, history::head_id(&a.r.repo)?) {
            (Some(tag), Some(head)) => strings(
                history::changed_files(&a.r.repo, tag.commit, head).map_err(|e| git_err(&e))?,
            ),
            _ => Value::Null,
        })
    }),
    ("git.since_release.commits", |a| {
        let Some(head) = history::head_id(&a.r.repo)? else {
            return Ok(Value::List(Vec::new()));
        };
        let since = a.r.release()?.map(|t| t.commit);
        Ok(Value::List(
            history::commits(&a.r.repo, head, since, a.change_request).map_err(|e| git_err(&e))?,
        ))
    }),
    ("git.stray_scans", |a| {
        let spec = a.spec.ok_or_else(no_manifest)?;
        let workdir = a.r.workdir()?.to_path_buf();
        Ok(strings(paths::stray_scans(
            &a.r.repo, a.dir, &workdir, spec,
        )?))
    }),
    ("git.lfs.model", |a| {
        let spec = a.spec.ok_or_else(no_manifest)?;
        let workdir = a.r.workdir()?.to_path_buf();
        let rel = paths::in_repo(a.dir, &workdir, &spec.artifact.path).ok_or_else(|| {
            FactError::unavailable(format!(
                "the artifact `{}` lies outside the repository",
                spec.artifact.path
            ))
        })?;
        Ok(Value::Bool(paths::is_lfs(&a.r.repo, &rel)?))
    }),
    ("git.lfs.scans", |a| {
        let spec = a.spec.ok_or_else(no_manifest)?;
        match &spec.reference {
            None => Ok(Value::Null),
            Some(reference) => {
                let workdir = a.r.workdir()?.to_path_buf();
                paths::scans_lfs(&a.r.repo, a.dir, &workdir, reference)
            }
        }
    }),
];

/// A `git.head.*` fact that HEAD's commit carries.
fn head_fact(a: &mut At<'_>) -> Result<Value, FactError> {
    history::head_fact(&a.r.repo, a.path)
}

/// The names of the tags at HEAD; none on an unborn HEAD.
fn tags_at_head(r: &mut Repo) -> Result<Option<Vec<String>>, FactError> {
    let Some(head) = history::head_id(&r.repo)? else {
        return Ok(None);
    };
    Ok(Some(
        r.tags()?
            .iter()
            .filter(|t| t.commit == head)
            .map(|t| t.name.clone())
            .collect(),
    ))
}

impl FactProvider for GitFacts {
    fn provider(&self) -> Provider {
        Provider::Git
    }

    fn serves(&self) -> Vec<String> {
        FACTS.iter().map(|(p, _)| p.to_string()).collect()
    }

    fn fact(&mut self, path: &str, _: &[Value]) -> Result<Value, FactError> {
        if path == "git.stray_scans" && self.repo().is_err() {
            // Outside a repository, what would be committed is what is on disk.
            let spec = self.spec.as_ref().ok_or_else(no_manifest)?;
            return Ok(strings(paths::stray_scans_on_disk(&self.dir, spec)?));
        }
        self.repo()?;
        let Some(Ok(r)) = self.repo.as_mut() else {
            return Err(FactError::unavailable("not inside a git repository"));
        };
        let Some((_, read)) = FACTS.iter().find(|(p, _)| *p == path) else {
            return Err(FactError::unavailable(format!(
                "`{path}` is not a git fact"
            )));
        };
        read(&mut At {
            r,
            path,
            dir: &self.dir,
            spec: self.spec.as_ref(),
            change_request: self.change_request.as_ref(),
        })
    }
}
