//! Writing files and folders without harming what the user owns.
//!
//! Every file clic writes goes through [`write_atomic`]: a new temporary file beside the
//! target (created with `O_EXCL`, so a planted link at that name is never followed), then
//! a rename. The target must be a regular file or a new path: a symbolic link, a FIFO, a
//! device node or a folder at that path is refused, never replaced (as root, a report
//! written "to" `/dev/full` used to replace the device with a regular file).
//!
//! A folder clic writes whole (the dossier) is swapped in with [`exchange`]: on Linux one
//! `renameat2(RENAME_EXCHANGE)`, so there is no moment without a folder at the path.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What is at a path clic is asked to write, when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupant {
    /// A symbolic link (clic never writes through one).
    Symlink,
    /// A folder.
    Folder,
    /// A FIFO, a socket, a character or block device.
    Special,
}

impl Occupant {
    fn describe(self) -> &'static str {
        match self {
            Occupant::Symlink => "a symbolic link",
            Occupant::Folder => "a folder",
            Occupant::Special => "a device, FIFO or socket",
        }
    }
}

/// What is at `path` if it exists and is not a regular file (links are not followed).
pub fn occupant(path: &Path) -> Option<Occupant> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let ty = meta.file_type();
    if ty.is_symlink() {
        Some(Occupant::Symlink)
    } else if ty.is_dir() {
        Some(Occupant::Folder)
    } else if ty.is_file() {
        None
    } else {
        Some(Occupant::Special)
    }
}

/// The error [`write_atomic`] gives for a target that is not a regular file.
fn refused(path: &Path, what: Occupant) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "`{}` is {}; clic writes only to a regular file or a new path",
            path.display(),
            what.describe()
        ),
    )
}

/// A name for a temporary sibling of `path` that no other writer uses: the process id
/// and a counter, under a dot-prefixed name tools skip.
fn temp_sibling(path: &Path, tag: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    parent_of(path).join(format!(".{name}.clic-{tag}-{}-{n}", std::process::id()))
}

/// An I/O error in words, without the OS error number: "no such file or folder",
/// "permission denied", "not UTF-8 text" (what reading text says of other bytes), or the
/// system's message. The one wording of every I/O failure clic reports.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::InvalidData => "not UTF-8 text".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

/// The folder holding `path` (`.` for a bare name).
pub fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to `path` atomically. `path` must be a regular file or not exist;
/// anything else is refused with [`std::io::ErrorKind::InvalidInput`] and left as it is.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(what) = occupant(path) {
        return Err(refused(path, what));
    }
    let tmp = temp_sibling(path, "tmp");
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        // INVARIANT: checked again just before the rename, so a link or FIFO put at
        // the path while the bytes were written is refused too, not replaced.
        if let Some(what) = occupant(path) {
            return Err(refused(path, what));
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A new, empty temporary folder beside `dir`, for building a replacement of it.
pub fn temp_dir_beside(dir: &Path) -> std::io::Result<PathBuf> {
    let tmp = temp_sibling(dir, "new");
    std::fs::create_dir(&tmp)?;
    Ok(tmp)
}

/// Whether a sibling name is one of clic's temporary folders for `dir` whose process has
/// ended: `.<name>.clic-new-<pid>-<n>`, left by a run that was killed.
pub fn is_stale_temp(dir: &Path, sibling_name: &str) -> bool {
    let Some(name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return false;
    };
    let Some(rest) = sibling_name.strip_prefix(&format!(".{name}.clic-new-")) else {
        return false;
    };
    let mut parts = rest.splitn(2, '-');
    let (Some(pid), Some(n)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(pid), true) = (
        pid.parse::<u32>(),
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()),
    ) else {
        return false;
    };
    pid != std::process::id() && !process_alive(pid)
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Without /proc there is no cheap way to tell: assume alive, so nothing of a
        // running clic is ever removed.
        true
    }
}

/// Swaps the folders `a` and `b` (both exist) in one step where the OS can (Linux:
/// `renameat2` with `RENAME_EXCHANGE`); elsewhere with two renames, putting `b` back if
/// the second fails.
pub fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            // A file system without RENAME_EXCHANGE: fall back to two renames.
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    let aside = temp_sibling(b, "old");
    std::fs::rename(b, &aside)?;
    if let Err(e) = std::fs::rename(a, b) {
        let _ = std::fs::rename(&aside, b);
        return Err(e);
    }
    std::fs::rename(&aside, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_links_fifos_and_folders_and_leaves_them() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("kept.txt");
        std::fs::write(&target, "user's").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = write_atomic(&link, b"report").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "user's");

        let folder = dir.path().join("sub");
        std::fs::create_dir(&folder).unwrap();
        assert!(write_atomic(&folder, b"x").is_err());
        assert!(folder.is_dir());

        let e = write_atomic(Path::new("/dev/null"), b"x").unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
        // Nothing is left behind beside the targets.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn writes_new_and_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
    }

    #[test]
    fn exchange_swaps_folders() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        std::fs::write(a.join("new"), "").unwrap();
        std::fs::write(b.join("old"), "").unwrap();
        exchange(&a, &b).unwrap();
        assert!(b.join("new").exists() && a.join("old").exists());
    }

    #[test]
    fn stale_temp_names_are_recognised_only_for_ended_processes() {
        let dir = Path::new("/x/dossier");
        // pid 4194304 is above Linux's pid_max limit, so it never runs.
        assert_eq!(
            is_stale_temp(dir, ".dossier.clic-new-4194304-0"),
            cfg!(target_os = "linux")
        );
        let own = format!(".dossier.clic-new-{}-0", std::process::id());
        assert!(!is_stale_temp(dir, &own));
        assert!(!is_stale_temp(dir, ".dossier.clic-new-12"));
        assert!(!is_stale_temp(dir, ".other.clic-new-4194304-0"));
        assert!(!is_stale_temp(dir, "dossier"));
    }
}
