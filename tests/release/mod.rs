//! A release of the example as a team makes one, for the signing and verification
//! tests: the example committed into a new git repository with a fixed identity and
//! date, in two commits as a team makes them: first the manifest with its claims and the
//! documents (the claims are specified before anything is measured), then the model and
//! the reference set. Both commits are signed with an ed25519 key kept inside `.git/`
//! (so the work tree stays clean), which the allowed signers file the repository
//! configures (`gpg.ssh.allowedSignersFile`, also inside `.git/`) lists for namespace
//! `git`; HEAD is tagged `v1.4.0`.
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

/// The allowed signers file of a repository made by [`repo`], which its configuration
/// names (`gpg.ssh.allowedSignersFile`).
pub fn allowed_signers(repo: &Path) -> PathBuf {
    repo.join(".git/clic-test-allowed-signers")
}

/// The public key line (`ssh-ed25519 AAAA... comment`) of a key made by [`keygen`].
pub fn public_key(key: &Path) -> String {
    std::fs::read_to_string(format!("{}.pub", key.display()))
        .expect("public key")
        .trim()
        .to_string()
}

/// The example as two signed commits of a new repository (claims first, then the model
/// and the reference set), the second tagged.
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
    std::fs::copy(src.join("waivers.clic"), root.join("waivers.clic")).expect("copy");
    std::fs::write(root.join(".gitignore"), ".clic/\nout*/\n").expect("write");
    git(root, &["init", "-q", "-b", "main"]);
    trust_key(root);
    commit_signed(
        root,
        &["model.clic", "waivers.clic", "docs", ".gitignore"],
        "CR-1 Specify 1.4.0: the manifest with its claims, and the documents",
    );
    commit_signed(
        root,
        &["-A"],
        "CR-1 Release 1.4.0: the model and the reference set",
    );
    git(root, &["tag", "v1.4.0"]);
    dir
}

/// Makes the release key of the repository at `root` (unless it has one) and lists it
/// for namespace `git` in the allowed signers file its configuration names.
pub fn trust_key(root: &Path) {
    if !key(root).exists() {
        keygen(&key(root), "ed25519", "");
    }
    let allowed = allowed_signers(root);
    std::fs::write(
        &allowed,
        format!(
            "ra@example.com namespaces=\"git\" {}\n",
            public_key(&key(root))
        ),
    )
    .expect("write");
    git(
        root,
        &[
            "config",
            "gpg.ssh.allowedSignersFile",
            &allowed.display().to_string(),
        ],
    );
}

/// Stages `paths` (`-A`: everything) and commits them signed with the release key.
pub fn commit_signed(root: &Path, paths: &[&str], message: &str) {
    let mut add = vec!["add"];
    add.extend_from_slice(paths);
    git(root, &add);
    let key = key(root).display().to_string();
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
            message,
        ],
    );
}

/// Whether the tests that need `tool` can run: under `CI=true` its absence fails the
/// test; elsewhere it prints a visible `SKIPPED` line and the test returns.
pub fn have(tool_check: &mut std::process::Command, what: &str) -> bool {
    let ok = tool_check.output().is_ok_and(|o| o.status.success());
    crate::common::skip::require(what, ok, "pip install, as .ci/run does")
}
