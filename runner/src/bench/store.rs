//! `.clic/cache/scans/`: per-scan evidence, content-addressed. Each entry is one file
//! named by its key (a sha256 of everything its content depends on, [`super::records`]),
//! written atomically (a temporary sibling renamed over it, so two runs at once never
//! see half an entry) and authenticated by the project secret: its first line is the
//! HMAC of its key and body, so an entry edited, forged, truncated, renamed to another
//! key or made under another secret is a miss, recomputed and overwritten, never
//! trusted. Entries are evicted least recently used first (a hit refreshes the entry's
//! modification time) when the cache passes its size limit ([`size_limit`]). A shared
//! tier on an object store ([`super::remote`]) is read on a local miss and written after
//! a local write, under the project's namespace there (a keyed hash under the secret, so
//! projects under different secrets never touch each other's entries); its entries are
//! verified as local ones are.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The default size limit of `.clic/cache`: 4 GiB, about 6,900 tensors of 3 x 224 x 224
/// (602 KB each) with their records.
pub const DEFAULT_LIMIT: u64 = 4 << 30;

/// The environment variable that sets the size limit (a size: `500MB`, `8GiB`, bytes).
pub const LIMIT_VARIABLE: &str = "CLIC_CACHE_LIMIT";

/// The first bytes of an entry: its format and the MAC of its key and body.
const HEADER: &str = "clic-scan-entry/1 hmac-sha256 ";

/// An entry read within the last hour is not touched again (one metadata write per
/// entry per hour at most).
const TOUCH_AFTER: Duration = Duration::from_secs(3600);

/// The largest entry read: a tensor of 2^26 values (a 3 x 4096 x 4096 image) and its
/// header. Anything larger is not an entry clic wrote.
const MAX_ENTRY: u64 = (1 << 28) + 4096;

static LIMIT_OVERRIDE: AtomicU64 = AtomicU64::new(u64::MAX);

/// Sets the size limit for this process (the `--cache-limit` flag), over the
/// environment variable and the default.
pub fn set_size_limit(bytes: u64) {
    LIMIT_OVERRIDE.store(bytes, Ordering::Relaxed);
}

/// The size limit in force: `--cache-limit`, else `CLIC_CACHE_LIMIT`, else
/// [`DEFAULT_LIMIT`]; an unreadable variable is an error naming it.
pub fn size_limit() -> Result<u64, String> {
    let set = LIMIT_OVERRIDE.load(Ordering::Relaxed);
    if set != u64::MAX {
        return Ok(set);
    }
    match std::env::var(LIMIT_VARIABLE) {
        Ok(v) => parse_size(&v).ok_or_else(|| {
            format!("`{LIMIT_VARIABLE}={v}` is not a size (e.g. `4GiB`, `500MB`, `1000000`)")
        }),
        Err(_) => Ok(DEFAULT_LIMIT),
    }
}

/// A size in bytes: a number with an optional unit B, KB, MB, GB, TB (powers of 1000)
/// or KiB, MiB, GiB, TiB (powers of 1024), case-insensitive.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "tb" | "t" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// What an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// What reading a scan yields: its record, placement and shard, or why it is unreadable.
    Read,
    /// A preprocessed tensor.
    Tensor,
    /// A model's output row for a tensor.
    Score,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Read, Kind::Tensor, Kind::Score];

    fn folder(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Tensor => "tensor",
            Kind::Score => "score",
        }
    }
}

/// The per-scan entries of one cache folder (`.clic/cache`).
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    remote: Option<std::sync::Arc<super::remote::Remote>>,
}

impl Store {
    /// The per-scan store of a cache folder, with the process's shared tier if one is
    /// configured ([`super::remote::shared`]).
    pub fn new(cache_dir: &Path) -> Self {
        Self {
            root: cache_dir.join("scans"),
            remote: super::remote::shared(),
        }
    }

    /// The per-scan store of a cache folder, local only.
    pub fn local(cache_dir: &Path) -> Self {
        Self {
            root: cache_dir.join("scans"),
            remote: None,
        }
    }

    /// The shared tier in use, if any.
    pub fn remote(&self) -> Option<&super::remote::Remote> {
        self.remote.as_deref()
    }

    /// The entry's name relative to the store (`scans/KIND/KE/Y...`); the shared tier
    /// keeps it under the project's namespace (`prefix/NS/scans/...`).
    fn relative(kind: Kind, key: &str) -> String {
        format!("scans/{}/{}/{}", kind.folder(), &key[..2], &key[2..])
    }

    fn path(&self, kind: Kind, key: &str) -> Option<PathBuf> {
        // Keys are sha256 hex: anything else is never a file name.
        (key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
            self.root
                .join(kind.folder())
                .join(&key[..2])
                .join(&key[2..])
        })
    }

    fn purpose(kind: Kind, key: &str) -> String {
        format!("clic-scan-{}/{key}", kind.folder())
    }

    /// Where the body of an entry starts, if `bytes` is an authentic entry `key` of `kind`.
    fn verify(kind: Kind, key: &str, bytes: &[u8]) -> Option<usize> {
        let newline = bytes.iter().take(200).position(|&b| b == b'\n')?;
        let mac = std::str::from_utf8(&bytes[..newline])
            .ok()?
            .strip_prefix(HEADER)?;
        let body = &bytes[newline + 1..];
        constant_time_eq(
            mac.as_bytes(),
            crate::pseudonym::key()
                .mac(&Self::purpose(kind, key), body)
                .as_bytes(),
        )
        .then_some(newline + 1)
    }

    /// The body of the entry `key`, if present and authentic; a hit refreshes its age.
    /// On a local miss the shared tier is asked: an entry from it that verifies is kept
    /// locally and used, one that does not is reported and ignored.
    pub fn get(&self, kind: Kind, key: &str) -> Option<Vec<u8>> {
        let path = self.path(kind, key)?;
        if let Some(body) = Self::get_local(&path, kind, key) {
            return Some(body);
        }
        let remote = self.remote.as_deref()?;
        let relative = Self::relative(kind, key);
        let mut bytes = remote.get(&relative, MAX_ENTRY)?;
        let Some(start) = Self::verify(kind, key, &bytes) else {
            remote.reject(
                &relative,
                "it does not verify under this project's secret (edited, forged, or made under another `.clic/secret`)",
            );
            return None;
        };
        remote.fetched();
        // Kept locally (a failure only costs speed next time).
        let _ = super::cache::write_atomic(&path, &bytes);
        bytes.drain(..start);
        Some(bytes)
    }

    fn get_local(path: &Path, kind: Kind, key: &str) -> Option<Vec<u8>> {
        let mut file = std::fs::File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > MAX_ENTRY {
            return None;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        (&mut file).take(MAX_ENTRY).read_to_end(&mut bytes).ok()?;
        let start = Self::verify(kind, key, &bytes)?;
        let now = SystemTime::now();
        if meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_none_or(|age| age > TOUCH_AFTER)
        {
            // Least recently used goes first: a failure here only costs the entry's age.
            let _ = file.set_modified(now);
        }
        bytes.drain(..start);
        Some(bytes)
    }

    /// Stores `body` as the entry `key` (atomically; replaces an entry that did not
    /// verify). Failures only cost speed, and are returned for the caller to ignore.
    pub fn put(&self, kind: Kind, key: &str, body: &[u8]) -> std::io::Result<()> {
        let path = self
            .path(kind, key)
            .ok_or_else(|| std::io::Error::other("not a key"))?;
        let mac = crate::pseudonym::key().mac(&Self::purpose(kind, key), body);
        let mut entry = Vec::with_capacity(HEADER.len() + mac.len() + 1 + body.len());
        entry.extend_from_slice(HEADER.as_bytes());
        entry.extend_from_slice(mac.as_bytes());
        entry.push(b'\n');
        entry.extend_from_slice(body);
        let written = super::cache::write_atomic(&path, &entry);
        if let Some(remote) = &self.remote {
            remote.put(&Self::relative(kind, key), &entry);
        }
        written
    }

    /// Every entry file with its size and last use, and stale temporary files.
    fn walk(&self) -> (Vec<(SystemTime, u64, PathBuf)>, Vec<PathBuf>) {
        let mut entries = Vec::new();
        let mut stale = Vec::new();
        for kind in Kind::ALL {
            let Ok(prefixes) = std::fs::read_dir(self.root.join(kind.folder())) else {
                continue;
            };
            for prefix in prefixes.flatten() {
                let dir = prefix.path();
                let Ok(files) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for f in files.flatten() {
                    let name = f.file_name().to_string_lossy().into_owned();
                    let Ok(meta) = f.metadata() else { continue };
                    if !meta.is_file() {
                        continue;
                    }
                    let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    if name.starts_with('.') {
                        // A temporary sibling a run left behind when it ended before
                        // renaming it (a live run renames within seconds).
                        if SystemTime::now()
                            .duration_since(used)
                            .is_ok_and(|age| age > TOUCH_AFTER)
                        {
                            stale.push(f.path());
                        }
                        continue;
                    }
                    entries.push((used, meta.len(), f.path()));
                }
            }
        }
        (entries, stale)
    }

    /// How many entries of each kind, and their bytes.
    pub fn stats(&self) -> Stats {
        let mut s = Stats::default();
        let (entries, _) = self.walk();
        for (_, len, path) in entries {
            let kind = path
                .parent()
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let slot = match kind.as_str() {
                "read" => &mut s.read,
                "tensor" => &mut s.tensor,
                _ => &mut s.score,
            };
            slot.0 += 1;
            slot.1 += len;
        }
        s
    }

    /// Evicts entries, least recently used first, until they hold at most `limit`
    /// bytes; removes the temporary files of runs that ended without renaming them.
    /// Returns (entries removed, bytes freed).
    pub fn gc(&self, limit: u64) -> (u64, u64) {
        let (mut entries, stale) = self.walk();
        for s in stale {
            let _ = std::fs::remove_file(s);
        }
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        // Oldest first; ties broken by path, so eviction is reproducible.
        entries.sort();
        let (mut removed, mut freed) = (0, 0);
        for (_, len, path) in entries {
            if total <= limit {
                break;
            }
            // Another run may have removed it first: either way it is gone.
            let _ = std::fs::remove_file(&path);
            total = total.saturating_sub(len);
            removed += 1;
            freed += len;
        }
        (removed, freed)
    }

    /// Removes every per-scan entry. Returns (entries removed, bytes freed).
    pub fn clear(&self) -> (u64, u64) {
        self.gc(0)
    }
}

/// What [`Store::stats`] counts: (entries, bytes) of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Reading records.
    pub read: (u64, u64),
    /// Tensors.
    pub tensor: (u64, u64),
    /// Output rows.
    pub score: (u64, u64),
}

impl Stats {
    /// Bytes of every entry.
    pub fn bytes(&self) -> u64 {
        self.read.1 + self.tensor.1 + self.score.1
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> String {
        crate::facts::artifact::sha256_hex(&[n])
    }

    #[test]
    fn an_entry_reads_back_and_an_edited_renamed_or_torn_one_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let (a, b) = (key(1), key(2));
        store.put(Kind::Score, &a, b"row").unwrap();
        assert_eq!(store.get(Kind::Score, &a).as_deref(), Some(&b"row"[..]));
        // Another kind under the same key is another entry.
        assert_eq!(store.get(Kind::Tensor, &a), None);
        let path = store.path(Kind::Score, &a).unwrap();
        let good = std::fs::read(&path).unwrap();
        // Edited body.
        let mut edited = good.clone();
        *edited.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &edited).unwrap();
        assert_eq!(store.get(Kind::Score, &a), None);
        // Torn (a prefix of the entry).
        std::fs::write(&path, &good[..good.len() - 1]).unwrap();
        assert_eq!(store.get(Kind::Score, &a), None);
        std::fs::write(&path, &good[..10]).unwrap();
        assert_eq!(store.get(Kind::Score, &a), None);
        // The right bytes under another key's name.
        let other = store.path(Kind::Score, &b).unwrap();
        std::fs::create_dir_all(other.parent().unwrap()).unwrap();
        std::fs::write(&other, &good).unwrap();
        assert_eq!(store.get(Kind::Score, &b), None);
        // A forged MAC (the plain sha256 of the body).
        let forged = format!(
            "{HEADER}{}\nrow",
            crate::facts::artifact::sha256_hex(b"row")
        );
        std::fs::write(&path, forged).unwrap();
        assert_eq!(store.get(Kind::Score, &a), None);
        // Recomputed: the put replaces it.
        store.put(Kind::Score, &a, b"row").unwrap();
        assert_eq!(store.get(Kind::Score, &a).as_deref(), Some(&b"row"[..]));
        // Not a key: never a path.
        assert_eq!(store.get(Kind::Score, "../../secret"), None);
        assert!(store.put(Kind::Score, "../x", b"").is_err());
    }

    #[test]
    fn gc_evicts_the_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let keys: Vec<String> = (0..4).map(key).collect();
        let old = SystemTime::now() - Duration::from_secs(10 * 3600);
        for (i, k) in keys.iter().enumerate() {
            store.put(Kind::Tensor, k, &[0u8; 1000]).unwrap();
            // Entry i was last used i hours after `old`.
            let f = std::fs::File::options()
                .write(true)
                .open(store.path(Kind::Tensor, k).unwrap())
                .unwrap();
            f.set_modified(old + Duration::from_secs(i as u64 * 3600))
                .unwrap();
        }
        // A hit makes the oldest the newest.
        assert!(store.get(Kind::Tensor, &keys[0]).is_some());
        let each = store.stats().tensor.1 / 4;
        assert_eq!(store.stats().tensor.0, 4);
        let (removed, freed) = store.gc(each * 2);
        assert_eq!((removed, freed), (2, each * 2));
        assert!(store.get(Kind::Tensor, &keys[0]).is_some());
        assert!(store.get(Kind::Tensor, &keys[1]).is_none());
        assert!(store.get(Kind::Tensor, &keys[2]).is_none());
        assert!(store.get(Kind::Tensor, &keys[3]).is_some());
        assert_eq!(store.clear().0, 2);
        assert_eq!(store.stats(), Stats::default());
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("4GiB"), Some(4 << 30));
        assert_eq!(parse_size("500 MB"), Some(500_000_000));
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("1.5G"), None);
        assert_eq!(parse_size("99999999999999999999"), None);
        assert_eq!(parse_size("20000000TiB"), None);
    }
}
