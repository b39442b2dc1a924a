//! Keyed pseudonyms and the project secret.
//!
//! A PatientID or StudyInstanceUID is never kept; clic keeps a pseudonym, so that
//! patients can be counted, clustered and matched against the training list. An
//! unsalted sha256 of a PatientID is no pseudonym: the ids of a hospital are few and
//! structured, and were brute-forced in 0.18 s. So a pseudonym is an HMAC-SHA256 under a
//! per-project secret, `.clic/secret` beside the manifest: 32 random bytes, created on
//! first use, readable by its owner only, and never committed (`.clic/` ignores itself).
//! Without a project (no secret installed) the key is random for the process, so a
//! pseudonym still never leaves it unsalted.
//!
//! The same secret authenticates the entries of `.clic/cache` ([`Key::mac`]): an entry
//! edited by hand no longer matches and is a cache miss.

use crate::facts::artifact::to_hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::OnceLock;

/// A 32-byte secret.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// The name of the secret inside `.clic/`.
pub const SECRET: &str = "secret";

impl Key {
    /// A fresh random key (from the OS).
    pub fn random() -> std::io::Result<Key> {
        let mut k = [0u8; 32];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut k)?;
        Ok(Key(k))
    }

    /// The project's key: `clic_dir/secret`, created (owner-only) when absent. A secret
    /// that is not 64 hex digits, or not a regular file, is an error: it is never
    /// silently replaced, since the cache and the pseudonyms depend on it.
    pub fn for_project(clic_dir: &Path) -> std::io::Result<Key> {
        let path = clic_dir.join(SECRET);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if !m.file_type().is_file() => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`{}` is not a regular file", path.display()),
            )),
            Ok(_) => {
                let mut text = String::new();
                std::fs::File::open(&path)?
                    .take(128)
                    .read_to_string(&mut text)?;
                parse_hex(text.trim()).map(Key).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "`{}` is not 64 hex digits; delete it (and .clic/cache) to make a new one",
                            path.display()
                        ),
                    )
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(clic_dir)?;
                let ignore = clic_dir.join(".gitignore");
                if !ignore.exists() {
                    crate::fsio::write_atomic(&ignore, b"# clic's cache and working files\n*\n")?;
                }
                let key = Key::random()?;
                // Written whole under a name of its own, then linked into place: another
                // clic reading the secret at the same moment sees no file or the whole
                // one, never an empty or half-written file.
                let tmp = clic_dir.join(format!(
                    ".{SECRET}.{}-{}",
                    std::process::id(),
                    &to_hex(&Key::random()?.0)[..8]
                ));
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let written = opts.open(&tmp).and_then(|mut f| {
                    f.write_all(format!("{}\n", to_hex(&key.0)).as_bytes())?;
                    f.sync_all()
                });
                let linked = written.and_then(|()| std::fs::hard_link(&tmp, &path));
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => Ok(key),
                    // Another clic made it at the same moment: use that one.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Key::for_project(clic_dir)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// HMAC-SHA256 of `bytes` under this key, in a domain (`purpose`) of its own, as
    /// lower-case hex.
    pub fn mac(&self, purpose: &str, bytes: &[u8]) -> String {
        // INVARIANT: HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        m.update(purpose.as_bytes());
        m.update(&[0]);
        m.update(bytes);
        to_hex(&m.finalize().into_bytes())
    }
}

static KEY: OnceLock<Key> = OnceLock::new();

/// Installs the key for this process (the project's); the first call wins. Call it
/// before any scan is read.
pub fn install(key: Key) {
    let _ = KEY.set(key);
}

/// The key in force: the installed one, else a random one for this process.
pub fn key() -> &'static Key {
    KEY.get_or_init(|| Key::random().unwrap_or(Key([0x5a; 32])))
}

/// The pseudonym of an identifier (DICOM padding already removed by the caller).
pub fn of(id: &str) -> String {
    key().mac("clic-pseudonym", id.as_bytes())
}

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clics_making_the_secret_at_once_all_get_the_same_whole_one() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().expect("temp dir");
            let clic_dir = dir.path().join(".clic");
            let macs: Vec<String> = std::thread::scope(|s| {
                let runs: Vec<_> = (0..8)
                    .map(|_| s.spawn(|| Key::for_project(&clic_dir).map(|k| k.mac("t", b"x"))))
                    .collect();
                runs.into_iter()
                    .map(|r| r.join().expect("no panic").expect("a whole secret"))
                    .collect()
            });
            assert!(macs.windows(2).all(|w| w[0] == w[1]), "one key: {macs:?}");
            let left: Vec<_> = std::fs::read_dir(&clic_dir)
                .expect("read")
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .filter(|n| n != SECRET && n != ".gitignore")
                .collect();
            assert!(left.is_empty(), "temporary files left: {left:?}");
        }
    }

    #[test]
    fn the_project_secret_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let clic = dir.path().join(".clic");
        let a = Key::for_project(&clic).unwrap();
        let b = Key::for_project(&clic).unwrap();
        assert_eq!(a.mac("x", b"id"), b.mac("x", b"id"));
        let meta = std::fs::metadata(clic.join(SECRET)).unwrap();
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            0o600
        );
        assert!(std::fs::read_to_string(clic.join(".gitignore"))
            .unwrap()
            .contains('*'));
        let other = Key::for_project(&tempfile::tempdir().unwrap().path().join(".clic")).unwrap();
        assert_ne!(a.mac("x", b"id"), other.mac("x", b"id"));
    }

    #[test]
    fn a_pseudonym_is_not_the_plain_sha256_of_the_id() {
        let plain = crate::facts::artifact::sha256_hex(b"PAT-0001");
        assert_ne!(of("PAT-0001"), plain);
        assert_eq!(of("PAT-0001"), of("PAT-0001"));
        assert_eq!(of("PAT-0001").len(), 64);
    }

    #[test]
    fn a_damaged_secret_is_an_error_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SECRET), "not hex").unwrap();
        assert!(Key::for_project(dir.path()).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(SECRET)).unwrap(),
            "not hex"
        );
    }
}
