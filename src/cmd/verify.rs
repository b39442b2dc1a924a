//! `clic verify`: what a dossier proves, checked without trusting the dossier.
//!
//! 1. **Integrity**: every file `evidence.json` lists is a regular file with its sha256.
//! 2. **Exact file set**: the folder holds those files, `evidence.json` and its signature
//!    and nothing else (no link, FIFO or device: the walk follows no link), and the list
//!    is the file set of a dossier of this clic version (deleting `gaps.md` with its
//!    entry is caught). Output paths must be relative and inside the folder; a record
//!    naming `/etc/passwd` or `../x` is refused before anything is read.
//! 3. **Signature** (`--allowed-signers FILE [--identity ID]`): `evidence.json.sig` is
//!    a good SSHSIG signature of `evidence.json` in namespace `clic-dossier` by a key the
//!    file allows — the check `ssh-keygen -Y verify` makes. Without the option the report
//!    says `signature: not checked`.
//! 4. **Inputs** (`--repo PATH`): every input still has its recorded sha256.
//! 5. **Regeneration** (`--repo PATH --regenerate`): the recorded commit, cloned into a
//!    temporary folder, gives the same dossier byte for byte (see [`regenerate`]).
//!
//! Exit status: 0 when every check asked for holds; 1 on any mismatch, a missing or bad
//! signature, or a regeneration that differs; 2 when the record is malformed
//! (`clic::E030`), the allowed-signers file is unusable (`clic::E031`), or the folder or
//! repository cannot be read.

use super::Status;
use crate::dossier::integrity::{self, Findings, Record, Tree};
use crate::output::print_error;
use crate::project::io_reason;
use crate::sign::allowed;
use clic_compiler::Code;
use std::collections::BTreeMap;
use std::path::Path;

/// The largest `evidence.json` read (a record of 100,000 scans is ~20 MB).
const MAX_RECORD_BYTES: u64 = 256 * 1024 * 1024;

/// The largest signature file read (an ed25519 SSHSIG is ~300 bytes).
const MAX_SIGNATURE_BYTES: u64 = 64 * 1024;

/// What to check besides integrity and the file set.
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// The project the dossier was made from.
    pub repo: Option<&'a Path>,
    /// The allowed-signers file that checks `evidence.json.sig`.
    pub allowed_signers: Option<&'a Path>,
    /// The principal the signature must be allowed for.
    pub identity: Option<&'a str>,
    /// Rebuild the dossier from the recorded commit of `repo` and compare.
    pub regenerate: bool,
}

/// What the signature check found.
enum Signature {
    NotChecked { present: bool },
    Good(allowed::Good),
    Bad(String),
}

/// Runs `clic verify`.
pub fn run(dir: &Path, opts: &Options<'_>) -> Status {
    let (record, bytes, tree) = match read_record(dir) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let signers = match opts.allowed_signers.map(allowed::load).transpose() {
        Ok(s) => s,
        Err(why) => {
            print_error(
                Code::E031,
                &why,
                Some("write one signer per line: `principals [namespaces=\"clic-dossier\"] ssh-ed25519 AAAA...`"),
            );
            return Status::Invalid;
        }
    };
    let mut findings = Findings::default();
    integrity::check_outputs(dir, &record, &tree, &mut findings);
    let signature = match &signers {
        None => Signature::NotChecked {
            present: tree.files.contains_key(integrity::SIGNATURE),
        },
        Some(signers) => match tree.files.get(integrity::SIGNATURE) {
            None => Signature::Bad(format!(
                "MISSING: the dossier holds no regular file `{}`",
                integrity::SIGNATURE
            )),
            Some(id) => {
                match integrity::read_small(dir, integrity::SIGNATURE, *id, MAX_SIGNATURE_BYTES) {
                    Err(e) => Signature::Bad(format!(
                        "`{}` cannot be read: {}",
                        integrity::SIGNATURE,
                        io_reason(&e)
                    )),
                    Ok(sig) => match allowed::verify(
                        signers,
                        opts.identity,
                        crate::sign::DOSSIER_NAMESPACE,
                        &bytes,
                        &sig,
                        &allowed::now_utc(),
                    ) {
                        Ok(good) => Signature::Good(good),
                        Err(why) => Signature::Bad(why),
                    },
                }
            }
        },
    };
    let mut lines = Vec::new();
    if let Some(repo) = opts.repo {
        match check_repo(repo, &record, &mut findings) {
            Ok(notes) => lines.extend(notes),
            Err(s) => return s,
        }
    }
    if opts.regenerate && record.git.clean == Some(false) {
        lines.push(
            "note: the dossier was made from inputs that differed from its commit, so a rebuild from the commit cannot match"
                .to_string(),
        );
    }
    let regenerated = match (opts.repo, opts.regenerate) {
        (Some(repo), true) => match regenerate::run(repo, dir, &record, &tree) {
            Ok(r) => Some(r),
            Err(s) => return s,
        },
        _ => None,
    };
    print_report(
        &record,
        &bytes,
        &findings,
        &signature,
        &lines,
        regenerated.as_ref(),
        opts,
    );
    let signature_ok = !matches!(signature, Signature::Bad(_));
    let regenerated_ok = regenerated
        .as_ref()
        .is_none_or(regenerate::Outcome::identical);
    if findings.mismatch() || !signature_ok || !regenerated_ok {
        Status::Failed
    } else {
        Status::Ok
    }
}

/// Reads and validates `evidence.json`; every failure is printed and is exit status 2.
fn read_record(dir: &Path) -> Result<(Record, Vec<u8>, Tree), Status> {
    let shown = dir.join(integrity::RECORD).display().to_string();
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            print_error(
                Code::E020,
                &format!("`{}` is not a folder", dir.display()),
                Some("give the folder `clic dossier --out` wrote"),
            );
            return Err(Status::Invalid);
        }
        Err(e) => {
            print_error(
                Code::E020,
                &format!("cannot read `{}`: {}", dir.display(), io_reason(&e)),
                Some("give the folder `clic dossier --out` wrote"),
            );
            return Err(Status::Invalid);
        }
    }
    let tree = integrity::walk(dir).map_err(|e| {
        print_error(
            Code::E020,
            &format!("cannot read `{}`: {}", dir.display(), io_reason(&e)),
            None,
        );
        Status::Invalid
    })?;
    let Some(id) = tree.files.get(integrity::RECORD) else {
        let why = if tree
            .irregular
            .iter()
            .any(|i| i.starts_with(&format!("{} (", integrity::RECORD)))
        {
            "it is not a regular file (a link is never followed)"
        } else {
            "no such file"
        };
        print_error(
            Code::E020,
            &format!("cannot read `{shown}`: {why}"),
            Some("give the folder `clic dossier --out` wrote"),
        );
        return Err(Status::Invalid);
    };
    let bytes =
        integrity::read_small(dir, integrity::RECORD, *id, MAX_RECORD_BYTES).map_err(|e| {
            print_error(
                Code::E030,
                &format!("cannot read `{shown}`: {}", io_reason(&e)),
                None,
            );
            Status::Invalid
        })?;
    let invalid = |why: String| {
        print_error(
            Code::E030,
            &format!("`{shown}` is not a clic dossier record: {why}"),
            Some("give the folder `clic dossier --out` wrote, unchanged"),
        );
        Status::Invalid
    };
    let record: Record = match serde_json::from_slice::<Record>(&bytes) {
        Ok(r) if r.format == integrity::FORMAT => r,
        Ok(r) => {
            return Err(invalid(format!(
                "its format is `{}` (clic {}); this clic reads `{}`",
                r.format,
                r.clic_version,
                integrity::FORMAT
            )))
        }
        Err(e) => return Err(invalid(format!("{e}"))),
    };
    if let Some(why) = integrity::malformed(&record) {
        return Err(invalid(why));
    }
    Ok((record, bytes, tree))
}

/// With `--repo`: the inputs as they are now against the record.
fn check_repo(
    repo: &Path,
    record: &Record,
    findings: &mut Findings,
) -> Result<Vec<String>, Status> {
    let mut lines = Vec::new();
    let Some((project, plan)) = super::compile::load_plan(repo) else {
        return Err(Status::Invalid);
    };
    let Some(spec) = plan.model.clone() else {
        print_error(
            Code::E020,
            "the repository has no model manifest",
            Some("give the project the dossier was made from"),
        );
        return Err(Status::Invalid);
    };
    let (_, now) = super::dossier::inputs(&project, &plan, &spec)?;
    integrity::check_inputs(&record.inputs, &now, findings);
    let git = super::dossier::git_info(&super::dossier::manifest_dir(&project, &spec), &spec);
    match (&record.git.commit, &git.commit) {
        (Some(then), Some(now)) if then != now => lines.push(format!(
            "note: the repository's HEAD is {now}; the dossier was made at {then}"
        )),
        (Some(then), None) => lines.push(format!(
            "note: the dossier was made at commit {then}; the repository has no such HEAD now"
        )),
        _ => {}
    }
    Ok(lines)
}

fn print_report(
    record: &Record,
    bytes: &[u8],
    findings: &Findings,
    signature: &Signature,
    notes: &[String],
    regenerated: Option<&regenerate::Outcome>,
    opts: &Options<'_>,
) {
    use crate::output::outln;
    let groups: [(&str, &[String]); 9] = [
        ("changed", &findings.changed),
        ("missing", &findings.missing),
        ("extra", &findings.extra),
        ("not a regular file", &findings.irregular),
        ("not listed (every dossier has it)", &findings.not_listed),
        ("listed but not a dossier file", &findings.unexpected),
        ("input changed", &findings.inputs_changed),
        ("input missing", &findings.inputs_missing),
        ("input not recorded", &findings.inputs_new),
    ];
    for (what, items) in groups {
        for i in items {
            outln!("{what}: {i}");
        }
    }
    if let Some(r) = regenerated {
        for l in r.details() {
            outln!("{l}");
        }
    }
    for l in notes {
        outln!("{l}");
    }
    if record.clic_version != env!("CARGO_PKG_VERSION") {
        outln!(
            "note: the dossier was made by clic {}; this is clic {}, whose file set it is checked against",
            record.clic_version,
            env!("CARGO_PKG_VERSION")
        );
    }
    outln!(
        "{} sha256 {} (compare it with the digest published with the release)",
        integrity::RECORD,
        clic_runner::facts::artifact::sha256_hex(bytes)
    );
    outln!(
        "dossier files: {}",
        if findings.files_mismatch() {
            "MISMATCH".to_string()
        } else {
            format!(
                "all {} match evidence.json, and the folder holds exactly a dossier's files",
                record.outputs.len()
            )
        }
    );
    outln!(
        "signature: {}",
        match signature {
            Signature::NotChecked { present: true } => format!(
                "not checked ({} is present; give --allowed-signers FILE to check it)",
                integrity::SIGNATURE
            ),
            Signature::NotChecked { present: false } => format!(
                "not checked (the dossier is unsigned: no {})",
                integrity::SIGNATURE
            ),
            Signature::Good(g) => format!(
                "good: evidence.json is signed by {} for `{}` (line {} of the allowed signers)",
                g.fingerprint, g.principals, g.line
            ),
            Signature::Bad(why) => format!("BAD — {why}"),
        }
    );
    outln!(
        "repository: {}",
        match opts.repo {
            None => "not checked (give --repo PATH)".to_string(),
            Some(_)
                if findings.inputs_changed.is_empty()
                    && findings.inputs_missing.is_empty()
                    && findings.inputs_new.is_empty() =>
            {
                format!("matches: all {} inputs unchanged", record.inputs.len())
            }
            Some(_) => "DOES NOT MATCH the inputs the dossier was made from".to_string(),
        }
    );
    outln!(
        "regeneration: {}",
        match regenerated {
            None => "not checked (give --repo PATH --regenerate)".to_string(),
            Some(r) => r.summary(),
        }
    );
}

/// The listed outputs of a dossier with their hashes, read now (the signature aside).
fn hashes(dir: &Path, tree: &Tree) -> BTreeMap<String, Option<String>> {
    tree.files
        .iter()
        .filter(|(rel, _)| rel.as_str() != integrity::SIGNATURE)
        .map(|(rel, id)| (rel.clone(), integrity::hash(dir, rel, *id).ok()))
        .collect()
}

pub mod regenerate {
    //! `clic verify --repo PATH --regenerate`: the recorded commit is cloned from PATH's
    //! repository into a temporary folder (objects copied, never linked; HEAD detached
    //! at that commit, as in a regulator's clone of the tag), `clic dossier` — this very
    //! executable — runs
    //! there with the dossier's own `--fail-on` and waiver date (from its
    //! `results.json`), and every file of both dossiers is compared byte for byte.
    //! The signature is not compared: only the team's key can make it. Nothing of PATH
    //! is changed; the temporary folder is removed.

    use super::{hashes, integrity, Record, Tree};
    use crate::cmd::Status;
    use crate::output::print_error;
    use clic_compiler::Code;
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
                    "IMPOSSIBLE: the dossier records no commit (it was made outside git)"
                        .to_string()
                }
                Self::Failed { commit, .. } => {
                    format!("FAILED: `clic dossier` on commit {commit} did not write a dossier")
                }
                Self::Compared { commit, files, .. } if self.identical() => format!(
                    "identical: all {files} files rebuilt byte for byte from commit {commit}"
                ),
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
        let source = git2::Repository::discover(repo)
            .map_err(|e| git_error(repo, "open the repository", &e))?;
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
        checkout(&clone, oid)
            .map_err(|e| git_error(repo, "check out the recorded commit of", &e))?;
        let out = tmp.path().join("dossier");
        let (fail_on, as_of) = run_options(dir, tree);
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

    /// HEAD of `clone` detached at `oid`, the work tree checked out to match.
    fn checkout(clone: &git2::Repository, oid: git2::Oid) -> Result<(), git2::Error> {
        clone.find_commit(oid)?;
        clone.set_head_detached(oid)?;
        clone.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
    }

    /// The dossier's `--fail-on` and waiver date, from its `results.json`.
    fn run_options(dir: &Path, tree: &Tree) -> (String, Option<String>) {
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
        )
    }
}
