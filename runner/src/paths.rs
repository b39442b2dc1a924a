//! Path helpers shared by the providers.

use std::path::{Component, Path, PathBuf};

/// `a/b/../c` -> `a/c`, without touching the file system.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `base/rel` for `/`-separated paths (`rel` may use `\\`), `.` and `..` resolved
/// lexically: how a repository names a path the manifest gives relative to its folder.
pub fn join_slash(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(rel.split(['/', '\\'])) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// `path` relative to `root`, both made canonical, `/`-separated (`""` for the root
/// itself); none when either cannot be resolved or `path` lies outside `root`.
pub fn relative_slash(path: &Path, root: &Path) -> Option<String> {
    let path = std::fs::canonicalize(path).ok()?;
    let root = std::fs::canonicalize(root).ok()?;
    let rel = path.strip_prefix(&root).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Whether the `/`-separated `path` is `folder` or lies inside it (on a component
/// boundary: `data/reference-old` is not in `data/reference`). Everything is in `""`.
pub fn is_under(path: &str, folder: &str) -> bool {
    let folder = folder.trim_end_matches('/');
    folder.is_empty()
        || path == folder
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Why `path` is not inside `root` (a canonical folder), or none when it is: it must
/// lie under `root` both as written (`..` resolved lexically) and, when it exists, after
/// every symbolic link on the way is followed. Every input a manifest names must pass.
pub fn escape(root: &Path, path: &Path) -> Option<&'static str> {
    let lexical = normalize(path);
    if !lexical.starts_with(root) {
        return Some("it lies outside the project");
    }
    match std::fs::canonicalize(&lexical) {
        Ok(real) if !real.starts_with(root) => {
            Some("it lies outside the project (through a symbolic link)")
        }
        Ok(_) => None,
        // A missing file is the reader's to report; a dangling link is not followed.
        Err(_) => std::fs::symlink_metadata(&lexical)
            .is_ok_and(|m| m.file_type().is_symlink())
            .then_some("it is a symbolic link that leads nowhere"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_found_as_written_and_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join("data")).unwrap();
        std::fs::write(root.join("data/ok.txt"), "").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("data/etc")).unwrap();
        std::os::unix::fs::symlink("ok.txt", root.join("data/inside")).unwrap();
        assert_eq!(escape(&root, &root.join("data/ok.txt")), None);
        assert_eq!(escape(&root, &root.join("data/inside")), None);
        assert_eq!(escape(&root, &root.join("data/missing")), None);
        assert!(escape(&root, Path::new("/etc")).is_some());
        assert!(escape(&root, &root.join("data/../../x")).is_some());
        assert!(escape(&root, &root.join("data/etc"))
            .unwrap()
            .contains("link"));
        assert!(escape(&root, &root.join("data/etc/passwd")).is_some());
    }

    #[test]
    fn join_slash_resolves_dots() {
        assert_eq!(
            join_slash("examples/cxr", "model/cxr.onnx"),
            "examples/cxr/model/cxr.onnx"
        );
        assert_eq!(join_slash("", "./data/ref"), "data/ref");
        assert_eq!(join_slash("a/b", "../c"), "a/c");
        assert_eq!(join_slash("a", "b\\c"), "a/b/c");
    }

    #[test]
    fn is_under_matches_files_and_folders_only_on_boundaries() {
        assert!(is_under("data/reference/x.dcm", "data/reference"));
        assert!(is_under("data/reference", "data/reference"));
        assert!(is_under("data/reference/x.dcm", "data/reference/"));
        assert!(!is_under("data/reference-old/x.dcm", "data/reference"));
        assert!(!is_under("README.md", "data/reference"));
        assert!(is_under("README.md", ""));
    }
}
