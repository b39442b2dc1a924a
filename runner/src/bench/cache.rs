//! `.clic/cache`: file digests remembered by a stamp a rewrite cannot restore, so a warm
//! run hashes only what changed, and benchmark evidence stored under its key,
//! authenticated by the project secret.

use super::BenchEvidence;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What identifies a file's content without reading it, as git's index does: its size,
/// modification and status-change times, inode and device. A rewrite in place can
/// restore the modification time (`touch -r`), never the status-change time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Stamp {
    size: u64,
    mtime_ns: u128,
    ctime_ns: i128,
    inode: u64,
    device: u64,
    sha256: String,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata, sha256: String) -> Stamp {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let (ctime_ns, inode, device) = {
            use std::os::unix::fs::MetadataExt;
            (
                i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
                meta.ino(),
                meta.dev(),
            )
        };
        #[cfg(not(unix))]
        let (ctime_ns, inode, device) = (0, 0, 0);
        Stamp {
            size: meta.len(),
            mtime_ns,
            ctime_ns,
            inode,
            device,
            sha256,
        }
    }

    /// Whether `now` (a fresh stamp, without digest) says the file is unchanged.
    fn still(&self, now: &Stamp) -> bool {
        self.mtime_ns != 0
            && (
                self.size,
                self.mtime_ns,
                self.ctime_ns,
                self.inode,
                self.device,
            ) == (now.size, now.mtime_ns, now.ctime_ns, now.inode, now.device)
    }
}

/// Digests of files, reused while a file's stamp is unchanged.
///
/// A digest computed from a file's bytes in this run is *fresh*: the rest of the run
/// trusts it while the file's stamp holds, even when rehashing, so a file is hashed once
/// per run whoever reads it first (the benchmark's reader, the model loader or the key).
#[derive(Debug, Default)]
pub struct FileDigests {
    index: Mutex<BTreeMap<String, Stamp>>,
    fresh: Mutex<BTreeSet<String>>,
    dirty: Mutex<bool>,
    path: Option<PathBuf>,
    rehash: bool,
}

impl FileDigests {
    /// Loads the digest index of a cache folder (an absent or unreadable index is empty).
    pub fn open(cache_dir: Option<&Path>) -> Self {
        let path = cache_dir.map(|d| d.join("digests.json"));
        let index = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Self {
            index: Mutex::new(index),
            fresh: Mutex::new(BTreeSet::new()),
            dirty: Mutex::new(false),
            path,
            rehash: false,
        }
    }

    /// Hashes every file from its bytes, trusting no stamp (the release stage and the
    /// dossier); the digests found still refresh the index.
    pub fn rehashing(mut self) -> Self {
        self.rehash = true;
        self
    }

    /// The sha256 of a file.
    pub fn digest(&self, path: &Path) -> Result<String, String> {
        let meta = std::fs::metadata(path).map_err(|e| crate::fsio::io_reason(&e))?;
        if let Some(known) = self.known_as(path, &meta) {
            return Ok(known);
        }
        let sha256 = super::input::sha256_regular(path)?;
        self.record(path, &meta, &sha256);
        Ok(sha256)
    }

    /// The sha256 of a file if it is known without reading it: its stamp is unchanged
    /// (and, when rehashing, it was hashed from its bytes in this run).
    pub fn known(&self, path: &Path) -> Option<String> {
        let meta = std::fs::metadata(path).ok()?;
        self.known_as(path, &meta)
    }

    fn known_as(&self, path: &Path, meta: &std::fs::Metadata) -> Option<String> {
        let key = path.display().to_string();
        if self.rehash && !self.fresh.lock().is_ok_and(|f| f.contains(&key)) {
            return None;
        }
        let now = Stamp::of(meta, String::new());
        let index = self.index.lock().ok()?;
        index
            .get(&key)
            .filter(|s| s.still(&now))
            .map(|s| s.sha256.clone())
    }

    /// Records the sha256 of a file that the caller computed from the bytes it read, with
    /// `meta` its metadata from before the read (as git's index does: a change during or
    /// after the read changes the stamp, so the digest is never trusted for other bytes).
    pub fn record(&self, path: &Path, meta: &std::fs::Metadata, sha256: &str) {
        let key = path.display().to_string();
        if let Ok(mut fresh) = self.fresh.lock() {
            fresh.insert(key.clone());
        }
        if let (Ok(mut index), Ok(mut dirty)) = (self.index.lock(), self.dirty.lock()) {
            let stamp = Stamp::of(meta, sha256.to_string());
            if index.get(&key) != Some(&stamp) {
                index.insert(key, stamp);
                *dirty = true;
            }
        }
    }

    /// Writes the index back if it changed (atomically; failures only cost speed).
    pub fn save(&self) {
        let (Some(path), Ok(dirty)) = (&self.path, self.dirty.lock()) else {
            return;
        };
        if !*dirty {
            return;
        }
        if let Ok(index) = self.index.lock() {
            if let Ok(json) = serde_json::to_vec(&*index) {
                let _ = write_atomic(path, &json);
            }
        }
    }
}

/// Writes a file atomically (creating its folder): see [`crate::fsio::write_atomic`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::fsio::write_atomic(path, bytes)
}

/// The first line of a cache entry: its format and the MAC of the rest.
const ENTRY: &str = "clic-cache-entry/1 hmac-sha256 ";

/// The MAC domain of benchmark evidence entries.
const PURPOSE: &str = "clic-bench-evidence";

/// Cached evidence for a key, if present and authentic: the entry's MAC under the
/// project secret matches its bytes, and its key is the one asked for. Anything else
/// (edited by hand, truncated, from another project's secret) is a cache miss.
pub fn load(cache_dir: &Path, key: &str) -> Option<BenchEvidence> {
    let bytes = std::fs::read(cache_dir.join(format!("bench-{key}.json"))).ok()?;
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let (head, body) = (
        std::str::from_utf8(&bytes[..newline]).ok()?,
        &bytes[newline + 1..],
    );
    let mac = head.strip_prefix(ENTRY)?;
    if mac != crate::pseudonym::key().mac(PURPOSE, body) {
        return None;
    }
    let ev: BenchEvidence = serde_json::from_slice(body).ok()?;
    (ev.key == key).then_some(ev)
}

/// Stores evidence under its key, replacing older evidence. The cache's own
/// `.gitignore` keeps it out of the user's commits without touching their files.
pub fn store(cache_dir: &Path, ev: &BenchEvidence) -> std::io::Result<()> {
    let json = serde_json::to_vec(ev).map_err(std::io::Error::other)?;
    let mut entry =
        format!("{ENTRY}{}\n", crate::pseudonym::key().mac(PURPOSE, &json)).into_bytes();
    entry.extend_from_slice(&json);
    let name = format!("bench-{}.json", ev.key);
    write_atomic(&cache_dir.join(&name), &entry)?;
    if let Some(clic_dir) = cache_dir
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == ".clic"))
    {
        let ignore = clic_dir.join(".gitignore");
        if !ignore.exists() {
            write_atomic(&ignore, b"# clic's cache and working files\n*\n")?;
        }
    }
    for entry in std::fs::read_dir(cache_dir)?.flatten() {
        let other = entry.file_name().to_string_lossy().into_owned();
        if other.starts_with("bench-") && other.ends_with(".json") && other != name {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}
