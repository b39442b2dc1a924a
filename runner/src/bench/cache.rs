//! `.clic/cache`: file digests remembered by size and modification time, so a warm run
//! hashes only what changed, and benchmark evidence stored under its key.

use super::BenchEvidence;
use crate::facts::artifact::sha256_hex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Stamp {
    size: u64,
    mtime_ns: u128,
    sha256: String,
}

/// Digests of files, reused while a file's size and modification time are unchanged.
#[derive(Debug, Default)]
pub struct FileDigests {
    index: Mutex<BTreeMap<String, Stamp>>,
    dirty: Mutex<bool>,
    path: Option<PathBuf>,
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
            dirty: Mutex::new(false),
            path,
        }
    }

    /// The sha256 of a file.
    pub fn digest(&self, path: &Path) -> Result<String, String> {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let key = path.display().to_string();
        if let Ok(index) = self.index.lock() {
            if let Some(s) = index.get(&key) {
                if s.size == meta.len() && s.mtime_ns == mtime_ns && mtime_ns != 0 {
                    return Ok(s.sha256.clone());
                }
            }
        }
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        let sha256 = sha256_hex(&bytes);
        if let (Ok(mut index), Ok(mut dirty)) = (self.index.lock(), self.dirty.lock()) {
            index.insert(
                key,
                Stamp {
                    size: meta.len(),
                    mtime_ns,
                    sha256: sha256.clone(),
                },
            );
            *dirty = true;
        }
        Ok(sha256)
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

/// Writes a file atomically: a temporary file beside it, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Cached evidence for a key, if present and intact.
pub fn load(cache_dir: &Path, key: &str) -> Option<BenchEvidence> {
    let bytes = std::fs::read(cache_dir.join(format!("bench-{key}.json"))).ok()?;
    let ev: BenchEvidence = serde_json::from_slice(&bytes).ok()?;
    (ev.key == key).then_some(ev)
}

/// Stores evidence under its key, replacing older evidence. The cache's own
/// `.gitignore` keeps it out of the user's commits without touching their files.
pub fn store(cache_dir: &Path, ev: &BenchEvidence) -> std::io::Result<()> {
    let json = serde_json::to_vec(ev).map_err(std::io::Error::other)?;
    let name = format!("bench-{}.json", ev.key);
    write_atomic(&cache_dir.join(&name), &json)?;
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
