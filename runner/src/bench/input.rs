//! Reading one input file of the benchmark whole (a scan, the labels file, the training
//! list) in bounded memory and time: only a regular file is read (a link is followed to
//! one), and never more than a stated number of bytes. A FIFO, a socket or a device
//! (`/dev/zero`) is refused before it is opened, so a read can neither block nor run
//! without end.

use std::io::Read;
use std::path::Path;

/// The largest labels file or training list read, in bytes (64 MiB: a million entries
/// of 60 characters).
pub const MAX_LIST_BYTES: u64 = 64 << 20;

/// What a file type is, for a message, when it is not a regular file.
fn kind(ty: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return "a FIFO";
        }
        if ty.is_socket() {
            return "a socket";
        }
        if ty.is_char_device() {
            return "a character device";
        }
        if ty.is_block_device() {
            return "a block device";
        }
    }
    if ty.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Why `meta` is not that of a regular file, or `None` when it is.
pub fn not_regular(meta: &std::fs::Metadata) -> Option<String> {
    let ty = meta.file_type();
    (!ty.is_file()).then(|| format!("it is {}, not a regular file", kind(ty)))
}

/// Opens `path` for reading without waiting: a FIFO put at the path after it was checked
/// (a race an attacker can win) opens at once instead of blocking until a writer comes,
/// and the check on the open file then refuses it. On a regular file the flag changes
/// nothing.
pub fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)
}

/// Reads the regular file at `path` (links followed), refusing anything else and any
/// file of more than `max` bytes. `what` names the limit in the message (e.g. the flag
/// that raises it). Errors are lowercase reasons, without the path.
pub fn read_regular(path: &Path, max: u64, what: &str) -> Result<Vec<u8>, String> {
    use crate::fsio::io_reason;
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    if let Some(why) = not_regular(&meta) {
        return Err(why);
    }
    let over = |len: u64| format!("it holds {len} bytes, over the limit of {max} ({what})");
    if meta.len() > max {
        return Err(over(meta.len()));
    }
    let file = open_nonblocking(path).map_err(|e| io_reason(&e))?;
    // INVARIANT: checked again on the open file, so a FIFO put at the path after the
    // first check is refused too, not read (and the open did not wait for a writer).
    let opened = file.metadata().map_err(|e| io_reason(&e))?;
    if let Some(why) = not_regular(&opened) {
        return Err(why);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len().min(max)).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_reason(&e))?;
    if bytes.len() as u64 > max {
        // The file grew while it was read.
        return Err(over(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The sha256 (hex) of the regular file at `path` (links followed), read in blocks:
/// a FIFO, a socket or a device is refused before it is opened, as [`read_regular`] does.
pub fn sha256_regular(path: &Path) -> Result<String, String> {
    use crate::fsio::io_reason;
    use sha2::Digest;
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    if let Some(why) = not_regular(&meta) {
        return Err(why);
    }
    let mut file = open_nonblocking(path).map_err(|e| io_reason(&e))?;
    if let Some(why) = not_regular(&file.metadata().map_err(|e| io_reason(&e))?) {
        return Err(why);
    }
    let mut hasher = sha2::Sha256::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut block).map_err(|e| io_reason(&e))?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
    }
    Ok(crate::facts::artifact::to_hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_fifo_opens_without_waiting_and_is_refused_on_the_open_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            assert!(
                !std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false")),
                "CI has mkfifo"
            );
            // As tests/common/skip.rs does: straight to the descriptor, which libtest
            // does not capture, so the skip shows beside `... ok`.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED (mkfifo missing): bench::input::tests::a_fifo_opens_without_waiting_and_is_refused_on_the_open_file"
            );
            return;
        }
        // Without O_NONBLOCK this open blocks until a writer opens the FIFO.
        let file = open_nonblocking(&fifo).expect("opens at once");
        let meta = file.metadata().expect("fstat");
        assert!(not_regular(&meta).is_some_and(|why| why.contains("FIFO")));
    }

    #[test]
    fn devices_fifos_and_folders_are_refused_without_reading() {
        let e = read_regular(Path::new("/dev/zero"), 10, "test").expect_err("a device");
        assert!(e.contains("character device"), "{e}");
        let e = read_regular(Path::new("/"), 10, "test").expect_err("a folder");
        assert!(e.contains("folder"), "{e}");
    }

    #[test]
    fn the_limit_is_exact() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("f");
        std::fs::write(&p, b"0123456789").expect("write");
        assert_eq!(read_regular(&p, 10, "t").expect("at the limit").len(), 10);
        let e = read_regular(&p, 9, "the flag").expect_err("over");
        assert!(e.contains("10 bytes") && e.contains("the flag"), "{e}");
    }
}
