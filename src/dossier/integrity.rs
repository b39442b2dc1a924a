//! The dossier's integrity record, `evidence.json`: every input (model, scans, labels,
//! manifest, policy sources, documents, template overrides) and every output file with
//! its sha256, the clic version and the git commit. `clic verify` recomputes it.

use clic_compiler::plan::Plan;
use clic_compiler::Origin;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Format of `evidence.json`.
pub const FORMAT: &str = "clic.dossier-evidence/1";

/// The name of the integrity record inside a dossier.
pub const RECORD: &str = "evidence.json";

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
    while let Some(d) = stack.pop() {
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
    /// Inputs whose bytes changed since the dossier was made.
    pub inputs_changed: Vec<String>,
    /// Inputs recorded that are no longer inputs or no longer exist.
    pub inputs_missing: Vec<String>,
    /// Inputs that the dossier does not record.
    pub inputs_new: Vec<String>,
}

impl Findings {
    /// Whether anything differs.
    pub fn mismatch(&self) -> bool {
        !(self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.inputs_changed.is_empty()
            && self.inputs_missing.is_empty()
            && self.inputs_new.is_empty())
    }
}

/// Compares the dossier's files with its record.
pub fn check_outputs(dir: &Path, record: &Record, findings: &mut Findings) {
    let listed: BTreeMap<&str, &str> = record
        .outputs
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    for (path, want) in &listed {
        match std::fs::read(dir.join(path)) {
            Ok(bytes) => {
                if clic_runner::facts::artifact::sha256_hex(&bytes) != *want {
                    findings.changed.push((*path).to_string());
                }
            }
            Err(_) => findings.missing.push((*path).to_string()),
        }
    }
    for f in all_files(dir) {
        let rel = shown(dir, &f);
        if rel != RECORD && !listed.contains_key(rel.as_str()) {
            findings.extra.push(rel);
        }
    }
}

/// Every regular file under `dir`, dotfiles included, sorted.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
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
