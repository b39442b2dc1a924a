//! The dossier's integrity record, `evidence.json`: every input (model, scans, labels,
//! manifest, policy sources, documents, template overrides) and every output file with
//! its sha256, the clic version and the git commit and tag. `clic verify` recomputes it.
//!
//! Format `/2` (from `/1`): the git state records the tag at HEAD (the release the
//! dossier documents), and a dossier is exactly the files of
//! [`expected`] — a verifier of `/1` knew neither, so it must not read a `/2` record.

use clic_compiler::plan::Plan;
use clic_compiler::Origin;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Format of `evidence.json`.
pub const FORMAT: &str = "clic.dossier-evidence/2";

/// The name of the integrity record inside a dossier.
pub const RECORD: &str = "evidence.json";

/// Name of the scans manifest in the dossier: one `sha256  path` line per reference scan.
pub const SCANS_MANIFEST: &str = "scans.sha256";

/// The detached SSHSIG signature of [`RECORD`] beside it (`clic dossier --sign`): the
/// one file of a dossier its record cannot list.
pub const SIGNATURE: &str = "evidence.json.sig";

/// One hashed file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileHash {
    /// Path: inputs relative to the project folder, outputs relative to the dossier.
    pub path: String,
    /// What the file is (inputs only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
    /// sha256 of its bytes; empty when the file is named but missing.
    pub sha256: String,
}

/// The git state the dossier was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitState {
    /// HEAD's commit id; none outside version control or before the first commit.
    pub commit: Option<String>,
    /// HEAD's commit date (UTC).
    pub date: Option<String>,
    /// Whether the inputs the manifest names were as committed.
    pub clean: Option<bool>,
    /// The tag at HEAD (the highest in version order when several); none when untagged.
    #[serde(default)]
    pub tag: Option<String>,
}

/// `evidence.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// [`FORMAT`].
    pub format: String,
    /// clic's version.
    pub clic_version: String,
    /// The model's name and version.
    pub model: String,
    /// `passed` or `failed`: the release gate.
    pub gate: String,
    /// Git state.
    pub git: GitState,
    /// Every input, sorted by path.
    pub inputs: Vec<FileHash>,
    /// Every output but this record, sorted by path.
    pub outputs: Vec<FileHash>,
}

/// A path shown relative to `base` with `/` separators, or as given when outside it.
pub fn shown(base: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(base).unwrap_or(p);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn hash_file(base: &Path, path: &Path, role: &str) -> FileHash {
    FileHash {
        path: shown(base, path),
        role: role.to_string(),
        sha256: std::fs::read(path)
            .map(|b| clic_runner::facts::artifact::sha256_hex(&b))
            .unwrap_or_default(),
    }
}

/// Regular files under `dir`, recursively, sorted; dotfiles and dot-folders skipped.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    // INVARIANT: each real folder is listed once, so a link cycle (`a -> .`) ends.
    let mut walked = std::collections::BTreeSet::new();
    while let Some(d) = stack.pop() {
        if !std::fs::canonicalize(&d).is_ok_and(|real| walked.insert(real)) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every input of a dossier, hashed now, sorted by path: the project's sources and the
/// standard-library policies it uses (hash of the text compiled), the model, the labels,
/// every file of the reference folder, the training list, the documents the manifest
/// names, and the template overrides.
pub fn inputs(
    base: &Path,
    manifest_dir: &Path,
    plan: &Plan,
    overrides: &[PathBuf],
) -> Vec<FileHash> {
    let mut out: BTreeMap<String, FileHash> = BTreeMap::new();
    let mut add = |h: FileHash| {
        out.entry(h.path.clone()).or_insert(h);
    };
    for s in &plan.sources {
        let role = match s.origin {
            Origin::Project => "clic source",
            Origin::Stdlib => "standard-library policy (built into clic)",
        };
        add(FileHash {
            path: s.path.clone(),
            role: role.to_string(),
            sha256: s.sha256.clone(),
        });
    }
    if let Some(m) = &plan.model {
        add(hash_file(
            base,
            &manifest_dir.join(&m.artifact.path),
            "model",
        ));
        if let Some(r) = &m.reference {
            let labels = manifest_dir.join(&r.labels);
            add(hash_file(base, &labels, "labels"));
            for f in files_under(&manifest_dir.join(&r.path)) {
                if f != labels {
                    add(hash_file(base, &f, "reference scan"));
                }
            }
        }
        if let Some(t) = &m.training_patients {
            add(hash_file(
                base,
                &manifest_dir.join(t),
                "training patient list",
            ));
        }
        for (kind, path) in &m.documents {
            let p = manifest_dir.join(path);
            if p.is_file() {
                add(hash_file(base, &p, &format!("document ({kind})")));
            }
        }
    }
    for o in overrides {
        add(hash_file(base, o, "template override"));
    }
    out.into_values().collect()
}

/// What `clic verify` found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Outputs whose bytes changed.
    pub changed: Vec<String>,
    /// Outputs listed but missing.
    pub missing: Vec<String>,
    /// Files in the dossier the record does not list.
    pub extra: Vec<String>,
    /// Entries of the dossier folder that are not regular files or folders (links,
    /// FIFOs, devices, sockets): never followed or read.
    pub irregular: Vec<String>,
    /// Files every dossier has that the record does not list (deleted with their entry).
    pub not_listed: Vec<String>,
    /// Files the record lists that no dossier of this clic version has.
    pub unexpected: Vec<String>,
    /// Inputs whose bytes changed since the dossier was made.
    pub inputs_changed: Vec<String>,
    /// Inputs recorded that are no longer inputs or no longer exist.
    pub inputs_missing: Vec<String>,
    /// Inputs that the dossier does not record.
    pub inputs_new: Vec<String>,
}

impl Findings {
    /// Whether the dossier's own files differ from a dossier clic writes.
    pub fn files_mismatch(&self) -> bool {
        !(self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.irregular.is_empty()
            && self.not_listed.is_empty()
            && self.unexpected.is_empty())
    }

    /// Whether anything differs.
    pub fn mismatch(&self) -> bool {
        self.files_mismatch()
            || !(self.inputs_changed.is_empty()
                && self.inputs_missing.is_empty()
                && self.inputs_new.is_empty())
    }
}

/// The benchmark's evidence in a dossier; present when the benchmark ran.
pub const BENCHMARK: &str = "benchmark.json";

/// The figures of the clinical report (see `figures::all`): all or none, and only
/// beside [`BENCHMARK`].
pub const FIGURES: [&str; 3] = [
    "figures/calibration.svg",
    "figures/forest.svg",
    "figures/roc.svg",
];

/// The files every dossier of this clic version lists in its record.
pub fn required_outputs() -> Vec<&'static str> {
    let mut out: Vec<&str> = crate::render::DOCUMENTS.iter().map(|d| d.output).collect();
    out.extend([
        "index.html",
        "results.json",
        crate::sbom::FILE,
        SCANS_MANIFEST,
    ]);
    out.sort_unstable();
    out
}

/// The most bytes of [`BENCHMARK`] read to learn its per-finding figures.
const MAX_BENCHMARK_BYTES: u64 = 256 << 20;

/// The per-finding ROC figures a dossier's evidence says it drew: `figures_per_finding`
/// of its [`BENCHMARK`] (read only when its hash matched the record), each a finding's
/// identifier, as `figures/roc-<finding>.svg`. A name that is not an identifier is kept
/// as written, so it names no file clic writes and is reported.
fn per_finding_figures(dir: &Path, tree: &Tree, findings: &Findings) -> Vec<String> {
    let Some(id) = tree.files.get(BENCHMARK) else {
        return Vec::new();
    };
    if findings.changed.iter().any(|c| c == BENCHMARK) {
        return Vec::new();
    }
    let Ok(bytes) = read_small(dir, BENCHMARK, *id, MAX_BENCHMARK_BYTES) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Vec::new();
    };
    v.get("figures_per_finding")
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .map(|n| format!("figures/roc-{n}.svg"))
        .collect()
}

/// Compares the listed outputs with the file set of a dossier of this clic version:
/// [`required_outputs`], and optionally [`BENCHMARK`] with all of [`FIGURES`] or none,
/// or, with several findings, the per-finding figures its evidence names
/// (`per_finding`), every one of them.
pub fn expected(listed: &BTreeSet<&str>, per_finding: &[String], findings: &mut Findings) {
    for f in per_finding {
        if !listed.contains(f.as_str()) {
            findings.not_listed.push(f.clone());
        }
    }
    if !per_finding.is_empty() && !listed.contains(BENCHMARK) {
        findings.not_listed.push(BENCHMARK.to_string());
    }
    let required = required_outputs();
    for r in &required {
        if !listed.contains(r) {
            findings.not_listed.push((*r).to_string());
        }
    }
    let figures = FIGURES.iter().filter(|f| listed.contains(*f)).count();
    if figures > 0 && !listed.contains(BENCHMARK) {
        findings.not_listed.push(BENCHMARK.to_string());
    }
    if figures > 0 && figures < FIGURES.len() {
        for f in FIGURES.iter().filter(|f| !listed.contains(*f)) {
            findings.not_listed.push((*f).to_string());
        }
    }
    for l in listed {
        if !required.contains(l)
            && *l != BENCHMARK
            && !FIGURES.contains(l)
            && !per_finding.iter().any(|f| f == l)
        {
            findings.unexpected.push((*l).to_string());
        }
    }
}

/// Whether `p` may name a file of a dossier: relative, `/`-separated normal parts only
/// (no empty part, `.` or `..`), no backslash or NUL.
pub fn valid_output_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 1024
        && !p.contains(['\\', '\0'])
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Why a record cannot be one `clic dossier` wrote, before any file it names is opened:
/// an output path that is not [`valid_output_path`], listed twice, naming the record or
/// its signature, or a sha256 that is not 64 lowercase hex digits.
pub fn malformed(record: &Record) -> Option<String> {
    let mut seen = BTreeSet::new();
    for o in &record.outputs {
        if !valid_output_path(&o.path) {
            return Some(format!(
                "it lists the output `{}`, which is not a relative path inside the dossier",
                o.path
            ));
        }
        if o.path == RECORD || o.path == SIGNATURE {
            return Some(format!("it lists `{}` as one of its outputs", o.path));
        }
        if !seen.insert(o.path.as_str()) {
            return Some(format!("it lists the output `{}` twice", o.path));
        }
        if o.sha256.len() != 64
            || !o
                .sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Some(format!("the sha256 of `{}` is not 64 hex digits", o.path));
        }
    }
    None
}

/// A regular file found in a dossier folder, identified so that a file swapped in
/// after the walk is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    #[cfg(unix)]
    fn of(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            dev: m.dev(),
            ino: m.ino(),
        }
    }

    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> Self {
        Self { dev: 0, ino: 0 }
    }
}

/// The entries of a dossier folder.
#[derive(Debug, Default)]
pub struct Tree {
    /// Regular files, by `/`-separated path.
    pub files: BTreeMap<String, FileId>,
    /// Everything else but folders, described: `path (a symbolic link)`.
    pub irregular: Vec<String>,
}

/// Most entries a dossier folder may hold: bounds the memory of a walk.
const MAX_ENTRIES: usize = 100_000;

/// Walks `dir` without following links: every regular file and every entry that is
/// neither a file nor a folder.
pub fn walk(dir: &Path) -> std::io::Result<Tree> {
    let mut tree = Tree::default();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    let mut seen = 0usize;
    while let Some((d, prefix)) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            seen += 1;
            if seen > MAX_ENTRIES {
                tree.irregular
                    .push(format!("{prefix} (more than {MAX_ENTRIES} entries)"));
                return Ok(tree);
            }
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                tree.irregular.push(format!(
                    "{prefix}{} (a name that is not UTF-8)",
                    e.file_name().to_string_lossy()
                ));
                continue;
            };
            let rel = format!("{prefix}{name}");
            // DirEntry::metadata does not follow a link.
            let meta = e.metadata()?;
            let ty = meta.file_type();
            if ty.is_dir() {
                stack.push((e.path(), format!("{rel}/")));
            } else if ty.is_file() {
                tree.files.insert(rel, FileId::of(&meta));
            } else {
                let what = if ty.is_symlink() {
                    "a symbolic link"
                } else {
                    "not a regular file"
                };
                tree.irregular.push(format!("{rel} ({what})"));
            }
        }
    }
    tree.irregular.sort();
    Ok(tree)
}

/// Opens `path` only if it is still the regular file `id` (not a link or a FIFO swapped
/// in since the walk).
fn open_same(path: &Path, id: FileId) -> std::io::Result<std::fs::File> {
    // Without waiting: a FIFO swapped in opens at once, and the check below refuses it.
    let f = clic_runner::bench::input::open_nonblocking(path)?;
    let m = f.metadata()?;
    if !m.is_file() || FileId::of(&m) != id {
        return Err(std::io::Error::other("replaced while being verified"));
    }
    Ok(f)
}

/// The sha256 of a file found by [`walk`], read in blocks.
pub fn hash(dir: &Path, rel: &str, id: FileId) -> std::io::Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = open_same(&dir.join(rel), id)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let mut out = String::with_capacity(64);
    for b in h.finalize() {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
    }
    Ok(out)
}

/// The bytes of a file found by [`walk`], when it holds at most `max` bytes.
pub fn read_small(dir: &Path, rel: &str, id: FileId, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let f = open_same(&dir.join(rel), id)?;
    let mut bytes = Vec::new();
    f.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    Ok(bytes)
}

/// Compares the dossier's files (as walked) with its record: every listed file is a
/// regular file with its recorded sha256, nothing else is there but the record and its
/// signature, and the listing is the file set of a dossier ([`expected`]).
pub fn check_outputs(dir: &Path, record: &Record, tree: &Tree, findings: &mut Findings) {
    let listed: BTreeMap<&str, &str> = record
        .outputs
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    findings.irregular.extend(tree.irregular.iter().cloned());
    for (path, want) in &listed {
        match tree.files.get(*path) {
            Some(id) => match hash(dir, path, *id) {
                Ok(h) if h == *want => {}
                _ => findings.changed.push((*path).to_string()),
            },
            None => findings.missing.push((*path).to_string()),
        }
    }
    for rel in tree.files.keys() {
        if rel != RECORD && rel != SIGNATURE && !listed.contains_key(rel.as_str()) {
            findings.extra.push(rel.clone());
        }
    }
    let per_finding = per_finding_figures(dir, tree, findings);
    expected(&listed.keys().copied().collect(), &per_finding, findings);
}

/// Compares the inputs recorded with the inputs as they are now.
pub fn check_inputs(recorded: &[FileHash], now: &[FileHash], findings: &mut Findings) {
    let then: BTreeMap<&str, &str> = recorded
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let current: BTreeMap<&str, &str> = now
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    for (path, hash) in &then {
        match current.get(path) {
            Some(h) if h.is_empty() && !hash.is_empty() => {
                findings.inputs_missing.push((*path).to_string());
            }
            Some(h) if h != hash => findings.inputs_changed.push((*path).to_string()),
            Some(_) => {}
            None => findings.inputs_missing.push((*path).to_string()),
        }
    }
    for path in current.keys() {
        if !then.contains_key(path) {
            findings.inputs_new.push((*path).to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(path: &str, sha: &str) -> FileHash {
        FileHash {
            path: path.into(),
            role: String::new(),
            sha256: sha.into(),
        }
    }

    #[test]
    fn input_changes_are_classified() {
        let mut f = Findings::default();
        check_inputs(
            &[h("a", "1"), h("b", "2"), h("c", "3")],
            &[h("a", "1"), h("b", "9"), h("d", "4")],
            &mut f,
        );
        assert_eq!(f.inputs_changed, ["b"]);
        assert_eq!(f.inputs_missing, ["c"]);
        assert_eq!(f.inputs_new, ["d"]);
        assert!(f.mismatch());
        let mut same = Findings::default();
        check_inputs(&[h("a", "1")], &[h("a", "1")], &mut same);
        assert!(!same.mismatch());
    }
}
