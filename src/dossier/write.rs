//! Writing a dossier folder atomically: every file goes into a temporary folder beside
//! the target, which is then renamed into place. A run that fails or is interrupted
//! before the rename leaves the previous dossier as it was.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Whether `dir` may be replaced: it does not exist, is an empty folder, or holds a
/// dossier (an `evidence.json`). Anything else is the user's and is left alone.
pub fn replaceable(dir: &Path) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Err(_) => Ok(()),
        Ok(m) if !m.is_dir() => Err("it exists and is not a folder".to_string()),
        Ok(_) => {
            let empty = std::fs::read_dir(dir)
                .map(|mut e| e.next().is_none())
                .unwrap_or(false);
            if empty || dir.join(super::integrity::RECORD).is_file() {
                Ok(())
            } else {
                Err(format!(
                    "it is a folder that holds no `{}`, so it is not a clic dossier",
                    super::integrity::RECORD
                ))
            }
        }
    }
}

fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dossier".to_string());
    parent.join(format!(".{name}.clic-{tag}-{}", std::process::id()))
}

fn write_all(root: &Path, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    std::fs::create_dir_all(root)?;
    for (rel, bytes) in files {
        let p = root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut f = std::fs::File::create(&p)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    Ok(())
}

/// Writes `files` (paths relative to `dir`) as the folder `dir`, replacing it whole.
pub fn replace_dir(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    let tmp = sibling(dir, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    if let Err(e) = write_all(&tmp, files) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if !dir.exists() {
        return std::fs::rename(&tmp, dir).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&tmp);
        });
    }
    // Two renames: the old dossier steps aside, the new one takes its place; if the
    // second fails the old one is put back.
    let old = sibling(dir, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    if let Err(e) = std::fs::rename(dir, &old) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, dir) {
        let _ = std::fs::rename(&old, dir);
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    std::fs::remove_dir_all(&old)
}
