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
use crate::output::print_error;
use crate::project::io_reason;
use crate::sign::allowed;
use clic_compiler::Code;
use clic_dossier::integrity::{self, Findings, Record, Tree};
use std::collections::BTreeMap;
use std::path::Path;

pub mod regenerate;

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
    let (_, now) = crate::session::dossier_inputs(&project, &plan, &spec)?;
    integrity::check_inputs(&record.inputs, &now, findings);
    let git = crate::session::git_info(&crate::session::manifest_dir(&project.base, &spec), &spec);
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
