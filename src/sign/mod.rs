//! Signatures a regulator can check with standard tools.
//!
//! - The dossier's `evidence.json` is signed in the SSHSIG format of `ssh-keygen -Y sign`
//!   (namespace [`DOSSIER_NAMESPACE`]), so `ssh-keygen -Y verify` and git's
//!   `allowed_signers` files check it as well as `clic verify` does ([`allowed`]).
//! - `clic check --attest` writes an in-toto Statement in a DSSE envelope ([`dsse`],
//!   [`attest`]) signed with the same key: a raw ed25519 signature over DSSE's PAE.
//!
//! Only ed25519 keys are supported: they are deterministic (the same key and bytes give
//! the same signature file) and need no RSA or ECDSA code.

pub mod allowed;
pub mod attest;
pub mod dsse;

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey};
use std::path::Path;

/// The SSHSIG namespace of a dossier signature: `ssh-keygen -Y verify -n clic-dossier`.
pub const DOSSIER_NAMESPACE: &str = "clic-dossier";

/// The largest key file read: an OpenSSH ed25519 key is ~400 bytes.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Why a signing key cannot be used (`clic::E031`).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file cannot be read.
    #[error("cannot read the signing key `{path}`: {reason}")]
    Unreadable {
        /// The key file as given.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file is not an OpenSSH private key.
    #[error("`{path}` is not an OpenSSH private key")]
    NotAKey {
        /// The key file as given.
        path: String,
    },
    /// The key is protected by a passphrase.
    #[error(
        "the signing key `{path}` is encrypted with a passphrase, and clic does not prompt for one"
    )]
    Encrypted {
        /// The key file as given.
        path: String,
    },
    /// The key is not ed25519.
    #[error("the signing key `{path}` is {algorithm}; clic signs with ed25519 keys only")]
    Unsupported {
        /// The key file as given.
        path: String,
        /// Its algorithm.
        algorithm: String,
    },
}

impl KeyError {
    /// The fix to suggest.
    pub fn help(&self) -> &'static str {
        match self {
            Self::Unreadable { .. } | Self::NotAKey { .. } => {
                "give the private key file, e.g. one made by `ssh-keygen -t ed25519 -f release-key`"
            }
            Self::Encrypted { .. } => {
                "sign with an unencrypted key kept for releases (e.g. in the CI's secret store); `ssh-keygen -p -N '' -f COPY` removes the passphrase of a copy"
            }
            Self::Unsupported { .. } => "make an ed25519 key: `ssh-keygen -t ed25519 -f release-key`",
        }
    }

    /// Prints the diagnostic.
    pub fn report(&self) {
        crate::output::print_error(
            clic_compiler::Code::E031,
            &self.to_string(),
            Some(self.help()),
        );
    }
}

/// An ed25519 private key, ready to sign.
pub struct Key(PrivateKey);

impl Key {
    /// Reads an unencrypted OpenSSH ed25519 private key.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        let unreadable = |reason: String| KeyError::Unreadable {
            path: shown.clone(),
            reason,
        };
        let meta =
            std::fs::metadata(path).map_err(|e| unreadable(crate::project::io_reason(&e)))?;
        if !meta.is_file() {
            return Err(unreadable("it is not a regular file".to_string()));
        }
        if meta.len() > MAX_KEY_BYTES {
            return Err(KeyError::NotAKey { path: shown });
        }
        // read_openssh_file wipes the key's text from memory after parsing it.
        let key = PrivateKey::read_openssh_file(path).map_err(|e| match e {
            ssh_key::Error::Io(kind) => unreadable(crate::project::io_reason(&kind.into())),
            _ => KeyError::NotAKey {
                path: shown.clone(),
            },
        })?;
        if key.is_encrypted() {
            return Err(KeyError::Encrypted { path: shown });
        }
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(KeyError::Unsupported {
                path: shown,
                algorithm: key.algorithm().as_str().to_string(),
            });
        }
        Ok(Self(key))
    }

    /// The public key's SHA256 fingerprint as ssh-keygen prints it: `SHA256:<base64>`.
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint(HashAlg::Sha256).to_string()
    }

    /// An armored SSHSIG signature of `msg` (sha512, as `ssh-keygen -Y sign` makes).
    pub fn sshsig(&self, namespace: &str, msg: &[u8]) -> Result<String, String> {
        let sig = self
            .0
            .sign(namespace, HashAlg::Sha512, msg)
            .map_err(|e| e.to_string())?;
        let mut pem = sig.to_pem(LineEnding::LF).map_err(|e| e.to_string())?;
        if !pem.ends_with('\n') {
            pem.push('\n');
        }
        Ok(pem)
    }

    /// The raw ed25519 signature of `msg` (64 bytes).
    pub fn raw_sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        use signature::Signer;
        let sig: ssh_key::Signature = self.0.try_sign(msg).map_err(|e| e.to_string())?;
        Ok(sig.as_bytes().to_vec())
    }
}
