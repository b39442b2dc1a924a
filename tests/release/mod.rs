//! A release of the example as a team makes one, for the signing and verification
//! tests: the example committed into a new git repository with a fixed identity and
//! date, the commit signed with an ed25519 key kept inside `.git/` (so the work tree
//! stays clean), and tagged `v1.4.0`.
#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

use crate::common::{copy_tree, example, git};
use std::path::{Path, PathBuf};
use std::process::Output;

/// `ssh-keygen` with `args`; panics when it fails.
pub fn ssh_keygen(args: &[&str]) -> Output {
    let out = std::process::Command::new("ssh-keygen")
        .args(args)
        .output()
        .expect("ssh-keygen runs (openssh-client; .ci/run installs it)");
    assert!(
        out.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A new key pair at `path` (and `path.pub`): `kind` is `ed25519`, `ecdsa`...;
/// `passphrase` empty for none.
pub fn keygen(path: &Path, kind: &str, passphrase: &str) {
    ssh_keygen(&[
        "-q",
        "-t",
        kind,
        "-N",
        passphrase,
        "-C",
        "ra@example.com",
        "-f",
        &path.display().to_string(),
    ]);
}

/// The release key of a repository made by [`repo`].
pub fn key(repo: &Path) -> PathBuf {
    repo.join(".git/clic-test-signing-key")
}

/// The public key line (`ssh-ed25519 AAAA... comment`) of a key made by [`keygen`].
pub fn public_key(key: &Path) -> String {
    std::fs::read_to_string(format!("{}.pub", key.display()))
        .expect("public key")
        .trim()
        .to_string()
}

/// The example as the one signed, tagged commit of a new repository.
pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let src = example();
    copy_tree(&src.join("model"), &root.join("model"));
    copy_tree(&src.join("data/reference"), &root.join("data/reference"));
    copy_tree(&src.join("docs"), &root.join("docs"));
    std::fs::copy(
        src.join("data/training-patients.txt"),
        root.join("data/training-patients.txt"),
    )
    .expect("copy");
    std::fs::copy(src.join("model.clic"), root.join("model.clic")).expect("copy");
    std::fs::write(root.join(".gitignore"), ".clic/\nout*/\n").expect("write");
    git(root, &["init", "-q", "-b", "main"]);
    keygen(&key(root), "ed25519", "");
    let key = key(root).display().to_string();
    git(root, &["add", "-A"]);
    git(
        root,
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &format!("user.signingkey={key}"),
            "commit",
            "-S",
            "-q",
            "-m",
            "CR-1 Release 1.4.0",
        ],
    );
    git(root, &["tag", "v1.4.0"]);
    dir
}

/// Whether the tests that need `tool` can run: under `CI=true` its absence fails the
/// test; elsewhere it prints a visible `SKIPPED` line and the test returns.
pub fn have(tool_check: &mut std::process::Command, what: &str) -> bool {
    let ok = tool_check.output().is_ok_and(|o| o.status.success());
    crate::common::skip::require(what, ok, "pip install, as .ci/run does")
}
