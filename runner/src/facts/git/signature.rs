//! Verification of the signatures of HEAD and of the release tag against the keyring
//! the repository configures, the way `git verify-commit` and `git verify-tag` do it.
//!
//! - Unsigned (or a lightweight tag): not verified (`false`).
//! - ssh (`-----BEGIN SSH SIGNATURE-----`): the keyring is `gpg.ssh.allowedSignersFile`
//!   (relative paths are taken from the work tree). Not configured (or empty): none.
//!   clic reads the file itself ([`crate::allowed_signers`], the format of ssh-keygen(1)
//!   ALLOWED SIGNERS) and checks the SSHSIG signature over the commit or tag in the
//!   namespace `git`, as `ssh-keygen -Y verify -n git` does: the signing key must be on a
//!   line whose `namespaces` (if any) allow `git`, that is valid at the commit's
//!   committer time (the tag's tagger time) as git passes `verify-time`, and that is not
//!   `cert-authority`; the line's principals are the signer. A key listed in
//!   `gpg.ssh.revocationFile` (public keys, one a line; a binary KRL is not read) is
//!   never verified. A configured file that is missing or that has a line clic cannot
//!   read is invalid input (`clic::E031`, exit status 2), not a failed check.
//! - OpenPGP (`-----BEGIN PGP SIGNATURE-----`): a keyring is configured when
//!   `gpg.program` / `gpg.openpgp.program` is set, or `$GNUPGHOME` (default
//!   `~/.gnupg`) holds `pubring.kbx` or `pubring.gpg`; without one: none. Verified when
//!   `gpg --status-fd=1 --verify` reports `GOODSIG` and `VALIDSIG` and no bad, expired
//!   or revoked signature or key; the signer is not named. A configured program that is
//!   not installed makes the fact unavailable.
//! - Anything else (x509): unavailable.

use super::{git_err, FactError};
use crate::allowed_signers;
use crate::facts::BadInput;
use clic_compiler::plan::Value;
use git2::{Config, ErrorCode, ObjectType, Oid, Repository};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// The kind of a signature, from its armour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An ssh signature.
    Ssh,
    /// An OpenPGP signature.
    Gpg,
    /// Anything else (x509/gpgsm).
    Other,
}

/// The kind of an armoured signature.
pub fn kind(signature: &str) -> Kind {
    if signature.contains("-----BEGIN SSH SIGNATURE-----") {
        Kind::Ssh
    } else if signature.contains("-----BEGIN PGP SIGNATURE-----")
        || signature.contains("-----BEGIN PGP MESSAGE-----")
    {
        Kind::Gpg
    } else {
        Kind::Other
    }
}

/// What checking a signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No signature (an unsigned commit, a lightweight tag).
    Unsigned,
    /// Signed, but no keyring for its kind of signature is configured.
    NoKeyring,
    /// Signed and not verified, with why.
    Refused(String),
    /// Verified; the signer's principals when the keyring names them (ssh).
    Verified(Option<String>),
}

impl Outcome {
    /// `git.*.signature.verified`: none without a keyring.
    pub fn verified(&self) -> Value {
        match self {
            Outcome::NoKeyring => Value::Null,
            Outcome::Verified(_) => Value::Bool(true),
            Outcome::Unsigned | Outcome::Refused(_) => Value::Bool(false),
        }
    }

    /// `git.*.signature.signer`: the principals of the allowed-signers line that
    /// verified it; none otherwise.
    pub fn signer(&self) -> Value {
        match self {
            Outcome::Verified(Some(p)) => Value::String(p.clone()),
            _ => Value::Null,
        }
    }
}

/// The signature of the commit `id`.
pub(super) fn of_commit(repo: &Repository, id: Oid) -> Result<Outcome, FactError> {
    let (signature, payload) = match repo.extract_signature(&id, None) {
        Ok((s, p)) => (s.to_vec(), p.to_vec()),
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(Outcome::Unsigned),
        Err(e) => return Err(git_err(&e)),
    };
    let time = repo
        .find_commit(id)
        .map_err(|e| git_err(&e))?
        .committer()
        .when()
        .seconds();
    check(repo, &signature, &payload, time, "HEAD")
}

/// The signature of the tag object `id`; a lightweight tag (`id` is a commit) is unsigned.
pub(super) fn of_tag(repo: &Repository, id: Oid) -> Result<Outcome, FactError> {
    let odb = repo.odb().map_err(|e| git_err(&e))?;
    let object = odb.read(id).map_err(|e| git_err(&e))?;
    if object.kind() != ObjectType::Tag {
        return Ok(Outcome::Unsigned);
    }
    let Some((payload, signature)) = split_tag(object.data()) else {
        return Ok(Outcome::Unsigned);
    };
    let time = repo
        .find_tag(id)
        .ok()
        .and_then(|t| t.tagger().map(|s| s.when().seconds()))
        .unwrap_or(0);
    check(repo, signature, payload, time, "the tag")
}

/// A signed tag object's payload (everything before the signature) and its armoured
/// signature (from the first line that begins one, to the end), as git splits it.
pub fn split_tag(data: &[u8]) -> Option<(&[u8], &[u8])> {
    const BEGINS: [&[u8]; 4] = [
        b"-----BEGIN PGP SIGNATURE-----",
        b"-----BEGIN PGP MESSAGE-----",
        b"-----BEGIN SSH SIGNATURE-----",
        b"-----BEGIN SIGNED MESSAGE-----",
    ];
    let mut at = 0;
    while at < data.len() {
        let line = &data[at..];
        if BEGINS.iter().any(|b| line.starts_with(b)) {
            return Some((&data[..at], &data[at..]));
        }
        match line.iter().position(|&b| b == b'\n') {
            Some(n) => at += n + 1,
            None => break,
        }
    }
    None
}

fn check(
    repo: &Repository,
    signature: &[u8],
    payload: &[u8],
    time: i64,
    what: &str,
) -> Result<Outcome, FactError> {
    let config = repo.config().map_err(|e| git_err(&e))?;
    let base = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    match kind(&String::from_utf8_lossy(signature)) {
        Kind::Ssh => verify_ssh(&config, &base, signature, payload, time, what),
        Kind::Gpg => verify_gpg(&config, signature, payload),
        Kind::Other => Err(FactError::unavailable(format!(
            "{what} carries an x509 signature, which clic does not verify"
        ))),
    }
}

/// A configured, non-empty path; relative ones are taken from `base`.
fn config_path(config: &Config, name: &str, base: &Path) -> Option<PathBuf> {
    let p = config.get_path(name).ok()?;
    if p.as_os_str().is_empty() {
        return None;
    }
    Some(if p.is_absolute() { p } else { base.join(p) })
}

fn config_string(config: &Config, name: &str) -> Option<String> {
    config.get_string(name).ok().filter(|s| !s.is_empty())
}

/// A file removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn with(bytes: &[u8]) -> Result<Self, FactError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "clic-signature-{}-{nanos}-{n}.sig",
            std::process::id()
        ));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| FactError::unavailable(format!("cannot write a temporary file: {e}")))?;
        let file_guard = Self(path);
        file.write_all(bytes)
            .map_err(|e| FactError::unavailable(format!("cannot write a temporary file: {e}")))?;
        Ok(file_guard)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `cmd` with `stdin` fed to it; a missing program is unavailable.
fn run(cmd: &mut Command, stdin: &[u8], what: &str) -> Result<Output, FactError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                FactError::unavailable(format!(
                    "`{program}` is not installed: the {what} signature cannot be verified"
                ))
            } else {
                FactError::unavailable(format!("cannot run `{program}`: {e}"))
            }
        })?;
    let input = child.stdin.take();
    std::thread::scope(|s| {
        if let Some(mut input) = input {
            s.spawn(move || {
                // A program that stops reading early only gets a broken pipe.
                let _ = input.write_all(stdin);
            });
        }
        child
            .wait_with_output()
            .map_err(|e| FactError::unavailable(format!("cannot run `{program}`: {e}")))
    })
}

/// The largest allowed-signers or revocation file read.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// The text of a keyring file the configuration names (`setting`); missing, too large or
/// unreadable is invalid input.
fn keyring_text(path: &Path, setting: &str) -> Result<String, FactError> {
    let bad = |why: String| {
        FactError::invalid(
            BadInput::Signers,
            format!("the file `{}` ({setting}) {why}", path.display()),
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(format!("cannot be read: {e}")))?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return Err(bad("is not a regular text file under 4 MiB".to_string()));
    }
    std::fs::read_to_string(path).map_err(|e| bad(format!("cannot be read: {e}")))
}

/// The keys a revocation file lists (one public key a line, `#` comments).
fn revoked_keys(path: &Path) -> Result<Vec<ssh_key::PublicKey>, FactError> {
    let text = keyring_text(path, "gpg.ssh.revocationFile")?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = ssh_key::PublicKey::from_openssh(line).map_err(|_| {
            FactError::invalid(
                BadInput::Signers,
                format!(
                    "the file `{}` (gpg.ssh.revocationFile) line {}: not a public key (clic reads revoked keys one a line, not a binary KRL)",
                    path.display(),
                    i + 1
                ),
            )
        })?;
        out.push(key);
    }
    Ok(out)
}

fn verify_ssh(
    config: &Config,
    base: &Path,
    signature: &[u8],
    payload: &[u8],
    time: i64,
    what: &str,
) -> Result<Outcome, FactError> {
    let Some(path) = config_path(config, "gpg.ssh.allowedSignersFile", base) else {
        return Ok(Outcome::NoKeyring);
    };
    let text = keyring_text(&path, "gpg.ssh.allowedSignersFile")?;
    let signers = allowed_signers::parse(&text).map_err(|(line, why)| {
        FactError::invalid(
            BadInput::Signers,
            format!(
                "the allowed signers file `{}` (gpg.ssh.allowedSignersFile) line {line}: {why}",
                path.display()
            ),
        )
    })?;
    if let Some(revocations) = config_path(config, "gpg.ssh.revocationFile", base) {
        let revoked = revoked_keys(&revocations)?;
        if let Ok(sig) = ssh_key::SshSig::from_pem(signature) {
            if revoked.iter().any(|k| k.key_data() == sig.public_key()) {
                return Ok(Outcome::Refused(format!(
                    "the key that signed {what} is revoked (gpg.ssh.revocationFile)"
                )));
            }
        }
    }
    let at = allowed_signers::timestamp_utc(time);
    Ok(
        match allowed_signers::verify(&signers, None, "git", payload, signature, &at, what) {
            Ok(good) => Outcome::Verified(Some(good.principals)),
            Err(why) => Outcome::Refused(why),
        },
    )
}

/// Whether a gpg keyring is configured: an explicit program, or a public keyring.
fn gpg_keyring(config: &Config) -> Option<String> {
    if let Some(p) = config_string(config, "gpg.openpgp.program")
        .or_else(|| config_string(config, "gpg.program"))
    {
        return Some(p);
    }
    let home = std::env::var_os("GNUPGHOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".gnupg")))?;
    ["pubring.kbx", "pubring.gpg"]
        .iter()
        .any(|f| home.join(f).is_file())
        .then(|| "gpg".to_string())
}

/// Reads `gpg --status-fd` output.
pub fn gpg_status_verified(status: &str) -> bool {
    let has = |word: &str| {
        status.lines().any(|l| {
            l.strip_prefix("[GNUPG:] ")
                .is_some_and(|r| r.split(' ').next() == Some(word))
        })
    };
    has("GOODSIG")
        && has("VALIDSIG")
        && !["BADSIG", "ERRSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG"]
            .iter()
            .any(|w| has(w))
}

fn verify_gpg(config: &Config, signature: &[u8], payload: &[u8]) -> Result<Outcome, FactError> {
    let Some(program) = gpg_keyring(config) else {
        return Ok(Outcome::NoKeyring);
    };
    let sig = TempFile::with(signature)?;
    let out = run(
        Command::new(&program)
            .args(["--batch", "--no-tty", "--status-fd=1", "--verify"])
            .arg(&sig.0)
            .arg("-"),
        payload,
        "gpg",
    )?;
    Ok(
        if gpg_status_verified(&String::from_utf8_lossy(&out.stdout)) {
            Outcome::Verified(None)
        } else {
            Outcome::Refused("gpg does not report a good, valid signature".to_string())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind("-----BEGIN SSH SIGNATURE-----\nx"), Kind::Ssh);
        assert_eq!(kind("-----BEGIN PGP SIGNATURE-----\nx"), Kind::Gpg);
        assert_eq!(kind("-----BEGIN SIGNED MESSAGE-----\nx"), Kind::Other);
    }

    #[test]
    fn tags_split_at_their_signature() {
        let tag = b"object abc\ntype commit\ntag v1\ntagger A <a@x> 1 +0000\n\nRelease\n-----BEGIN SSH SIGNATURE-----\nU1NI\n-----END SSH SIGNATURE-----\n";
        let (payload, sig) = split_tag(tag).unwrap_or_default();
        assert!(payload.ends_with(b"Release\n"));
        assert!(sig.starts_with(b"-----BEGIN SSH SIGNATURE-----"));
        assert_eq!(split_tag(b"object abc\n\nunsigned\n"), None);
    }

    #[test]
    fn gpg_status() {
        let good = "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG ABC T <t@x>\n[GNUPG:] VALIDSIG ABC 2024\n";
        assert!(gpg_status_verified(good));
        assert!(!gpg_status_verified(
            "[GNUPG:] ERRSIG ABC 22 8 00 1 9\n[GNUPG:] NO_PUBKEY ABC\n"
        ));
        assert!(!gpg_status_verified(&format!(
            "{good}[GNUPG:] EXPKEYSIG ABC\n"
        )));
        assert!(!gpg_status_verified(""));
    }
}
