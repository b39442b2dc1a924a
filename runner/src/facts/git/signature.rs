//! Verification of HEAD's signature against the keyring the repository configures,
//! the way `git verify-commit` does it, by running the same programs.
//!
//! - Unsigned: `false`.
//! - ssh (`-----BEGIN SSH SIGNATURE-----`): the keyring is `gpg.ssh.allowedSignersFile`
//!   (relative paths are taken from the work tree). Not configured (or empty): none.
//!   Otherwise `ssh-keygen -Y find-principals` names the signers the file allows for the
//!   key, and the signature is verified when `ssh-keygen -Y verify -n git -I <principal>`
//!   accepts it for one of them (`gpg.ssh.revocationFile` is passed on with `-r`);
//!   a key the file does not list gives `false`. The program is `gpg.ssh.program`,
//!   default `ssh-keygen`.
//! - OpenPGP (`-----BEGIN PGP SIGNATURE-----`): a keyring is configured when
//!   `gpg.program` / `gpg.openpgp.program` is set, or `$GNUPGHOME` (default
//!   `~/.gnupg`) holds `pubring.kbx` or `pubring.gpg`; without one: none. Verified when
//!   `gpg --status-fd=1 --verify` reports `GOODSIG` and `VALIDSIG` and no bad, expired
//!   or revoked signature or key.
//! - Anything else (x509): unavailable.
//!
//! A configured keyring whose program is not installed makes the fact unavailable.

use super::{git_err, FactError};
use clic_compiler::plan::Value;
use git2::{Config, ErrorCode, Oid, Repository};
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

/// `git.head.verified` for the commit `id`.
pub(super) fn verify(repo: &Repository, id: Oid) -> Result<Value, FactError> {
    let (signature, payload) = match repo.extract_signature(&id, None) {
        Ok((s, p)) => (s.to_vec(), p.to_vec()),
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(Value::Bool(false)),
        Err(e) => return Err(git_err(&e)),
    };
    let config = repo.config().map_err(|e| git_err(&e))?;
    let base = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    match kind(&String::from_utf8_lossy(&signature)) {
        Kind::Ssh => verify_ssh(&config, &base, &signature, &payload),
        Kind::Gpg => verify_gpg(&config, &signature, &payload),
        Kind::Other => Err(FactError::unavailable(
            "HEAD carries an x509 signature, which clic does not verify",
        )),
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

fn verify_ssh(
    config: &Config,
    base: &Path,
    signature: &[u8],
    payload: &[u8],
) -> Result<Value, FactError> {
    let Some(allowed) = config_path(config, "gpg.ssh.allowedSignersFile", base) else {
        return Ok(Value::Null);
    };
    if !allowed.is_file() {
        return Err(FactError::unavailable(format!(
            "the allowed signers file `{}` (gpg.ssh.allowedSignersFile) does not exist",
            allowed.display()
        )));
    }
    let program = config_string(config, "gpg.ssh.program").unwrap_or_else(|| "ssh-keygen".into());
    let revocations = config_path(config, "gpg.ssh.revocationFile", base);
    let sig = TempFile::with(signature)?;
    let found = run(
        Command::new(&program)
            .args(["-Y", "find-principals", "-f"])
            .arg(&allowed)
            .arg("-s")
            .arg(&sig.0),
        b"",
        "ssh",
    )?;
    if !found.status.success() {
        return Ok(Value::Bool(false));
    }
    let principals = String::from_utf8_lossy(&found.stdout).into_owned();
    for principal in principals.lines().map(str::trim).filter(|p| !p.is_empty()) {
        let mut cmd = Command::new(&program);
        cmd.args(["-Y", "verify", "-n", "git", "-f"])
            .arg(&allowed)
            .arg("-I")
            .arg(principal)
            .arg("-s")
            .arg(&sig.0);
        if let Some(r) = &revocations {
            cmd.arg("-r").arg(r);
        }
        if run(&mut cmd, payload, "ssh")?.status.success() {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
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

fn verify_gpg(config: &Config, signature: &[u8], payload: &[u8]) -> Result<Value, FactError> {
    let Some(program) = gpg_keyring(config) else {
        return Ok(Value::Null);
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
    Ok(Value::Bool(gpg_status_verified(&String::from_utf8_lossy(
        &out.stdout,
    ))))
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
