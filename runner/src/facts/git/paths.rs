//! The paths the manifest names, seen from the repository root, and their LFS
//! attributes.

use super::{git_err, FactError};
use clic_compiler::plan::{ModelSpec, ReferenceSpec, Value};
use git2::{AttrCheckFlags, Repository};
use std::path::{Path, PathBuf};

/// `dir` made absolute and canonical, as far as it exists.
fn absolute_dir(dir: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(dir) {
        return c;
    }
    let joined = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(dir))
            .unwrap_or_else(|_| dir.to_path_buf())
    };
    crate::paths::normalize(&joined)
}

/// A path the manifest names (relative to `dir`, or absolute), relative to the
/// repository root with `/` separators; none when it lies outside the work tree. The
/// root itself is the empty string.
pub(super) fn in_repo(dir: &Path, workdir: &Path, named: &str) -> Option<String> {
    let abs = crate::paths::normalize(&absolute_dir(dir).join(named));
    let rel = abs.strip_prefix(workdir).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// Every path the manifest names that lies inside the work tree, relative to its root.
pub(super) fn manifest_paths(dir: &Path, workdir: &Path, spec: &ModelSpec) -> Vec<String> {
    let mut named: Vec<&str> = vec![spec.artifact.path.as_str()];
    if let Some(r) = &spec.reference {
        named.push(&r.path);
        named.push(&r.labels);
    }
    if let Some(t) = &spec.training_patients {
        named.push(t);
    }
    named.extend(spec.documents.values().map(String::as_str));
    let mut out: Vec<String> = named
        .into_iter()
        .filter(|n| !n.is_empty())
        .filter_map(|n| in_repo(dir, workdir, n))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// DICOM files in the index (committed or staged) under the manifest's folder and
/// outside its reference folder, relative to the repository root, sorted. A file is
/// DICOM by its extension (`.dcm`, `.dicom`, `.dic`) or, when it has none, by the
/// `DICM` preamble at byte 128 of the work-tree copy.
pub(super) fn stray_scans(
    repo: &Repository,
    dir: &Path,
    workdir: &Path,
    spec: &ModelSpec,
) -> Result<Vec<String>, FactError> {
    let project = in_repo(dir, workdir, ".").unwrap_or_default();
    let reference = spec
        .reference
        .as_ref()
        .and_then(|r| in_repo(dir, workdir, &r.path));
    let index = repo.index().map_err(|e| git_err(&e))?;
    let mut out: Vec<String> = index
        .iter()
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .filter(|p| crate::paths::is_under(p, &project))
        .filter(|p| {
            !reference
                .as_deref()
                .is_some_and(|r| crate::paths::is_under(p, r))
        })
        .filter(|p| is_dicom(&workdir.join(p), p))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Outside a repository: the DICOM files on disk under `dir` (hidden names skipped)
/// and outside the reference folder, relative to `dir`, sorted.
pub(super) fn stray_scans_on_disk(dir: &Path, spec: &ModelSpec) -> Result<Vec<String>, FactError> {
    let root = crate::paths::normalize(&absolute_dir(dir));
    let reference = spec
        .reference
        .as_ref()
        .map(|r| crate::paths::normalize(&root.join(&r.path)));
    let files = files_under(&root)
        .map_err(|e| FactError::unavailable(format!("cannot list `{}`: {e}", dir.display())))?;
    let mut out: Vec<String> = files
        .into_iter()
        .filter(|f| !reference.as_ref().is_some_and(|r| f.starts_with(r)))
        .filter_map(|f| {
            let rel = f.strip_prefix(&root).ok()?;
            let shown = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            is_dicom(&f, &shown).then_some(shown)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Whether a file is DICOM, by extension or, without one, by its preamble.
fn is_dicom(file: &Path, shown: &str) -> bool {
    let name = shown.rsplit('/').next().unwrap_or(shown);
    match name.rsplit_once('.') {
        Some((_, ext)) => matches!(ext.to_ascii_lowercase().as_str(), "dcm" | "dicom" | "dic"),
        // Only a regular file is opened: opening a FIFO blocks, for good.
        None if !std::fs::symlink_metadata(file).is_ok_and(|m| m.is_file()) => false,
        None => {
            let mut head = [0u8; 132];
            std::fs::File::open(file)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
                .is_ok()
                && &head[128..] == b"DICM"
        }
    }
}

/// Whether `.gitattributes` (at the root, in folders on the path, in
/// `info/attributes` or `core.attributesFile`) gives `rel` the attribute `filter=lfs`.
pub(super) fn is_lfs(repo: &Repository, rel: &str) -> Result<bool, FactError> {
    let value = repo
        .get_attr(Path::new(rel), "filter", AttrCheckFlags::FILE_THEN_INDEX)
        .map_err(|e| git_err(&e))?;
    Ok(value == Some("lfs"))
}

/// Every file under `folder`, recursively, skipping hidden names; sorted.
fn files_under(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Whether every reference scan (each file in the reference folder but the labels
/// file) is stored with LFS; none when the folder holds no scan.
pub(super) fn scans_lfs(
    repo: &Repository,
    dir: &Path,
    workdir: &Path,
    reference: &ReferenceSpec,
) -> Result<Value, FactError> {
    let outside = || {
        FactError::unavailable(format!(
            "the reference folder `{}` lies outside the repository",
            reference.path
        ))
    };
    let folder_rel = in_repo(dir, workdir, &reference.path).ok_or_else(outside)?;
    let labels_rel = in_repo(dir, workdir, &reference.labels);
    let folder = workdir.join(&folder_rel);
    let files = files_under(&folder).map_err(|e| {
        FactError::unavailable(format!(
            "cannot list the reference folder `{}`: {e}",
            reference.path
        ))
    })?;
    let mut any = false;
    for file in files {
        let Ok(rel) = file.strip_prefix(workdir) else {
            continue;
        };
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = rel.join("/");
        if labels_rel.as_deref() == Some(rel.as_str()) {
            continue;
        }
        if !is_lfs(repo, &rel)? {
            return Ok(Value::Bool(false));
        }
        any = true;
    }
    Ok(if any { Value::Bool(true) } else { Value::Null })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_matches_files_and_folders() {
        assert!(crate::paths::is_under("scans/a.dcm", "scans"));
        assert!(crate::paths::is_under("scans/a.dcm", "scans/"));
        assert!(crate::paths::is_under("model.onnx", "model.onnx"));
        assert!(!crate::paths::is_under("scans2/a.dcm", "scans"));
        assert!(crate::paths::is_under("anything", ""));
    }

    #[test]
    fn paths_are_seen_from_the_root() {
        let root = Path::new("/repo");
        assert_eq!(
            in_repo(Path::new("/repo/models/m"), root, "../x.onnx").as_deref(),
            Some("models/x.onnx")
        );
        assert_eq!(in_repo(Path::new("/repo"), root, "../y"), None);
        assert_eq!(in_repo(Path::new("/repo"), root, ".").as_deref(), Some(""));
    }
}
