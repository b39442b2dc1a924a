//! Writing a dossier folder atomically: every file goes into a new temporary folder
//! beside the target, which then takes the target's place in one step
//! ([`clic_runner::fsio::exchange`]). A run that fails or is interrupted leaves the
//! previous dossier as it was; the temporary folder of a killed run is removed by the
//! next run.
//!
//! Only a folder clic wrote is ever replaced: see [`replaceable`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use clic_runner::fsio;

// The detached signature beside the record, the one file a dossier holds that its
// record cannot list (it signs the record).
use crate::integrity::SIGNATURE;

/// The part of `evidence.json` that says which files a dossier folder holds.
#[derive(serde::Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
struct Listing {
    format: String,
    outputs: Vec<Listed>,
}

#[derive(serde::Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
struct Listed {
    path: String,
}

/// Whether `dir` may be replaced: it does not exist, is an empty folder, or is a dossier
/// clic wrote — its `evidence.json` is a dossier record (its format and version parse)
/// and the folder holds exactly the files that record lists, with nothing else (no
/// other file, folder, link or device). Anything else is the user's and is left alone.
pub fn replaceable(dir: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("it cannot be read ({e})")),
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        return Err("it is a symbolic link; name the folder itself".to_string());
    }
    if !meta.is_dir() {
        return Err("it exists and is not a folder".to_string());
    }
    let held = contents(dir)?;
    if held.is_empty() {
        return Ok(());
    }
    let record = crate::integrity::RECORD;
    let not_ours = |why: String| {
        Err(format!(
            "it is not a folder clic wrote ({why}), so clic will not replace it"
        ))
    };
    if !held.contains(record) {
        return not_ours(format!("it holds no `{record}`"));
    }
    let listing = match std::fs::read(dir.join(record))
        .ok()
        .and_then(|b| serde_json::from_slice::<Listing>(&b).ok())
    {
        Some(l) if record_format_is_known(&l.format) => l,
        _ => return not_ours(format!("its `{record}` is not a clic dossier record")),
    };
    let mut expected: BTreeSet<String> = listing.outputs.into_iter().map(|o| o.path).collect();
    expected.insert(record.to_string());
    let folders: Vec<String> = expected
        .iter()
        .flat_map(|f| {
            f.match_indices('/')
                .map(|(i, _)| f[..=i].to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    expected.extend(folders);
    let mut unexpected = held.difference(&expected);
    if let Some(first) = unexpected
        .find(|f| f.as_str() != SIGNATURE)
        .or_else(|| expected.difference(&held).next())
    {
        return not_ours(format!("`{first}` is not exactly as its `{record}` lists"));
    }
    Ok(())
}

/// `clic.dossier-evidence/<version>`, any version this or an earlier clic wrote.
fn record_format_is_known(format: &str) -> bool {
    format
        .strip_prefix("clic.dossier-evidence/")
        .is_some_and(|v| v.parse::<u32>().is_ok_and(|v| v >= 1))
}

/// The files and folders (`name/`) under `dir`, relative and `/`-separated; an error at
/// the first entry that is neither a regular file nor a folder (links are not followed).
fn contents(dir: &Path) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("it cannot be read ({e})"))?;
        for e in entries {
            let e = e.map_err(|e| format!("it cannot be read ({e})"))?;
            let rel = format!("{prefix}{}", e.file_name().to_string_lossy());
            let ty = e
                .file_type()
                .map_err(|e| format!("it cannot be read ({e})"))?;
            if ty.is_dir() {
                // Folders count too: an empty `.git/` is not a dossier's.
                out.insert(format!("{rel}/"));
                stack.push((e.path(), format!("{rel}/")));
            } else if ty.is_file() {
                out.insert(rel);
            } else {
                return Err(format!(
                    "it holds `{rel}`, which is not a regular file, so clic will not replace it"
                ));
            }
        }
    }
    Ok(out)
}

fn write_all(root: &Path, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    for (rel, bytes) in files {
        let p = root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    Ok(())
}

/// Removes the temporary folders that killed runs left beside `dir`.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(fsio::parent_of(dir)) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if fsio::is_stale_temp(dir, &name) && e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Writes `files` (paths relative to `dir`) as the folder `dir`, replacing it whole.
/// The caller has checked [`replaceable`].
pub fn replace_dir(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    remove_stale_temps(dir);
    let tmp: PathBuf = fsio::temp_dir_beside(dir)?;
    if let Err(e) = write_all(&tmp, files) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let swapped = if std::fs::symlink_metadata(dir).is_ok() {
        fsio::exchange(&tmp, dir)
    } else {
        std::fs::rename(&tmp, dir)
    };
    if let Err(e) = swapped {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    // After the exchange `tmp` holds the previous dossier (or nothing, after a rename).
    match std::fs::remove_dir_all(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dossier(dir: &Path, listed: &[&str]) {
        std::fs::create_dir_all(dir).unwrap();
        let record = Listing {
            format: "clic.dossier-evidence/1".to_string(),
            outputs: listed
                .iter()
                .map(|p| Listed {
                    path: p.to_string(),
                })
                .collect(),
        };
        std::fs::write(
            dir.join("evidence.json"),
            serde_json::to_string(&record).unwrap(),
        )
        .unwrap();
        for p in listed {
            let f = dir.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, "x").unwrap();
        }
    }

    #[test]
    fn a_folder_is_replaced_only_when_it_is_exactly_a_dossier() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        assert!(replaceable(&d).is_ok(), "a new path");
        std::fs::create_dir(&d).unwrap();
        assert!(replaceable(&d).is_ok(), "an empty folder");
        dossier(&d, &["index.html", "figures/roc.svg"]);
        assert!(replaceable(&d).is_ok(), "{:?}", replaceable(&d));
        std::fs::write(d.join(SIGNATURE), "sig").unwrap();
        assert!(replaceable(&d).is_ok(), "with its signature");

        std::fs::write(d.join("notes.txt"), "mine").unwrap();
        let why = replaceable(&d).unwrap_err();
        assert!(why.contains("`notes.txt`"), "{why}");
        std::fs::remove_file(d.join("notes.txt")).unwrap();

        std::fs::remove_file(d.join("figures/roc.svg")).unwrap();
        assert!(replaceable(&d).is_err(), "a listed file is missing");
    }

    #[test]
    fn a_project_with_a_stray_evidence_json_is_not_a_dossier() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        std::fs::create_dir(p.join(".git")).unwrap();
        std::fs::write(p.join("model.clic"), "model").unwrap();
        std::fs::write(p.join("evidence.json"), "{}").unwrap();
        assert!(replaceable(p).is_err());
        std::fs::write(
            p.join("evidence.json"),
            r#"{"format":"clic.dossier-evidence/1","outputs":[{"path":"model.clic"}]}"#,
        )
        .unwrap();
        let why = replaceable(p).unwrap_err();
        assert!(why.contains(".git"), "{why}");
        std::fs::write(
            p.join("evidence.json"),
            r#"{"format":"something-else/1","outputs":[]}"#,
        )
        .unwrap();
        assert!(replaceable(p).is_err());
    }

    #[test]
    fn links_and_special_files_are_never_replaced() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        dossier(&real, &["index.html"]);
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(replaceable(&link).unwrap_err().contains("symbolic link"));
        std::os::unix::fs::symlink("/etc/passwd", real.join("index.html.2")).unwrap();
        assert!(replaceable(&real).is_err());
    }

    #[test]
    fn replacing_keeps_nothing_beside_it_and_clears_killed_runs() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        let stale = t.path().join(".out.clic-new-4194304-0");
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("index.html"), "half").unwrap();
        let mut files = BTreeMap::new();
        files.insert("a.md".to_string(), b"one".to_vec());
        replace_dir(&d, &files).unwrap();
        files.insert("a.md".to_string(), b"two".to_vec());
        replace_dir(&d, &files).unwrap();
        assert_eq!(std::fs::read(d.join("a.md")).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["out"]);
    }
}
