//! ssh signatures of commits and tags verified by clic itself against the allowed signers
//! file (`gpg.ssh.allowedSignersFile`), with real keys made by `ssh-keygen`: a listed key
//! verifies and names its signer; an unlisted key, a line expired before the commit, a
//! line for another namespace and a revoked key do not; a garbled file is invalid input
//! (`clic::E031`), not a failed check and not a panic.

use super::{fact, project_files, s, spec, write, Sandbox};
use clic_compiler::plan::Value;
use clic_runner::facts::{BadInput, FactProvider, GitFacts};
use std::path::Path;
use std::process::Command;

fn have_keygen() -> bool {
    let found = Command::new("ssh-keygen")
        .arg("-?")
        .output()
        .is_ok_and(|o| !o.stderr.is_empty() || o.status.success());
    crate::skip::require("ssh-keygen", found, "apt-get install openssh-client")
}

/// A new ed25519 key at `path`; its public key line.
fn keygen(sb: &Sandbox, name: &str) -> (String, String) {
    let path = sb.path(name);
    let p = path.to_str().expect("utf-8").to_string();
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", &p])
        .output()
        .expect("ssh-keygen runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let public = std::fs::read_to_string(format!("{p}.pub")).expect("public key");
    (p, public.trim().to_string())
}

/// Commits everything, signed with the ssh key `key`.
fn signed_commit(sb: &Sandbox, dir: &Path, key: &str, message: &str) -> String {
    sb.git(dir, &["add", "-A"]);
    let signing_key = format!("user.signingkey={key}");
    sb.commit_staged(
        dir,
        message,
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &signing_key,
            "-c",
            "commit.gpgsign=true",
        ],
    )
}

/// The allowed signers file (outside the work tree, so it changes nothing git sees).
fn allow(sb: &Sandbox, dir: &Path, text: &str) {
    let file = sb.path("allowed_signers");
    std::fs::write(&file, text).expect("write");
    sb.git(
        dir,
        &[
            "config",
            "gpg.ssh.allowedSignersFile",
            file.to_str().expect("utf-8"),
        ],
    );
}

fn facts(dir: &Path) -> GitFacts {
    GitFacts::new(dir, Some(spec("1.0.0")))
}

#[test]
fn a_listed_key_verifies_and_names_its_signer_others_do_not() {
    if !have_keygen() {
        return;
    }
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    let (key, public) = keygen(&sb, "release");
    let (_, other) = keygen(&sb, "other");
    signed_commit(&sb, &dir, &key, "Signed release");

    // Listed for namespace git: verified, and the line's principals are the signer.
    allow(
        &sb,
        &dir,
        &format!("# the team\nqa@example.com {other}\nra@example.com,*@qa.example.com namespaces=\"git\" {public}\n"),
    );
    let mut f = facts(&dir);
    assert_eq!(
        fact(&mut f, "git.head.signature.verified"),
        Value::Bool(true)
    );
    assert_eq!(fact(&mut f, "git.head.verified"), Value::Bool(true));
    assert_eq!(
        fact(&mut f, "git.head.signature.signer"),
        s("ra@example.com,*@qa.example.com")
    );

    // Only another key is listed: signed, not verified, no signer.
    allow(&sb, &dir, &format!("ra@example.com {other}\n"));
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.head.signed"), Value::Bool(true));
    assert_eq!(
        fact(&mut f, "git.head.signature.verified"),
        Value::Bool(false)
    );
    assert_eq!(fact(&mut f, "git.head.signature.signer"), Value::Null);

    // Listed for another namespace only: not verified.
    allow(
        &sb,
        &dir,
        &format!("ra@example.com namespaces=\"file,clic-dossier\" {public}\n"),
    );
    let mut f = facts(&dir);
    assert_eq!(
        fact(&mut f, "git.head.signature.verified"),
        Value::Bool(false)
    );

    // The line expired before the commit was made (the sandbox commits in 2024).
    allow(
        &sb,
        &dir,
        &format!("ra@example.com valid-before=20231231 {public}\n"),
    );
    let mut f = facts(&dir);
    assert_eq!(
        fact(&mut f, "git.head.signature.verified"),
        Value::Bool(false)
    );
    // ... or became valid only after it.
    allow(
        &sb,
        &dir,
        &format!("ra@example.com valid-after=20250101 {public}\n"),
    );
    let mut f = facts(&dir);
    assert_eq!(
        fact(&mut f, "git.head.signature.verified"),
        Value::Bool(false)
    );
    // Valid around the commit's time: verified.
    allow(
        &sb,
        &dir,
        &format!("ra@example.com valid-after=20240101,valid-before=20241231Z {public}\n"),
    );
    let mut f = facts(&dir);
    assert_eq!(
        fact(&mut f, "git.head.signature.verified"),
        Value::Bool(true)
    );

    // A revoked key is not verified even when listed.
    let revoked = sb.path("revoked");
    std::fs::write(&revoked, format!("{public}\n")).expect("write");
    sb.git(
        &dir,
        &[
            "config",
            "gpg.ssh.revocationFile",
            revoked.to_str().expect("utf-8"),
        ],
    );
    let mut f = facts(&dir);
    assert_eq!(
        fact(&mut f, "git.head.signature.verified"),
        Value::Bool(false)
    );
    sb.git(&dir, &["config", "--unset", "gpg.ssh.revocationFile"]);

    // git itself agrees with the verified case.
    allow(
        &sb,
        &dir,
        &format!("ra@example.com namespaces=\"git\" {public}\n"),
    );
    let out = sb
        .cmd(&dir)
        .args(["verify-commit", "HEAD"])
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_garbled_allowed_signers_file_is_invalid_input_not_a_failed_check() {
    if !have_keygen() {
        return;
    }
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    let (key, public) = keygen(&sb, "release");
    signed_commit(&sb, &dir, &key, "Signed release");
    let long = "A".repeat(100_000);
    for hostile in [
        "ra@example.com\n".to_string(),
        format!("ra@example.com bogus-option=1 {public}\n"),
        "ra@example.com ssh-ed25519 AAAA-not-base64\n".to_string(),
        format!("ra@example.com valid-before=tomorrow {public}\n"),
        format!("ra@example.com ssh-ed25519 {long}\n"),
        "\"unterminated ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n".to_string(),
    ] {
        allow(&sb, &dir, &format!("# fine\n{hostile}"));
        let mut f = facts(&dir);
        let e = f
            .fact("git.head.signature.verified", &[])
            .expect_err("a garbled file is not a verdict");
        assert!(e.invalid_input, "{hostile:?}: {e:?}");
        assert_eq!(e.input, Some(BadInput::Signers), "{hostile:?}");
        assert_eq!(e.code().map(|c| c.id()).as_deref(), Some("clic::E031"));
        assert!(e.reason.contains("line 2"), "{hostile:?}: {}", e.reason);
    }
    // A configured file that does not exist is invalid input too.
    sb.git(
        &dir,
        &[
            "config",
            "gpg.ssh.allowedSignersFile",
            "/nonexistent/allowed",
        ],
    );
    let mut f = facts(&dir);
    let e = f
        .fact("git.head.signature.verified", &[])
        .expect_err("missing file");
    assert_eq!(e.input, Some(BadInput::Signers));
}

#[test]
fn the_release_tag_is_verified_on_its_own() {
    if !have_keygen() {
        return;
    }
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    let (key, public) = keygen(&sb, "release");
    let (other_key, _) = keygen(&sb, "other");
    sb.commit(&dir, "Unsigned work");
    allow(
        &sb,
        &dir,
        &format!("ra@example.com namespaces=\"git\" {public}\n"),
    );
    let mut f = facts(&dir);
    // No tag at HEAD: none; an unsigned HEAD: false.
    assert_eq!(fact(&mut f, "git.tag.signature.verified"), Value::Null);
    assert_eq!(
        fact(&mut f, "git.head.signature.verified"),
        Value::Bool(false)
    );

    // A lightweight tag carries no signature.
    sb.git(&dir, &["tag", "v1.0.0"]);
    let mut f = facts(&dir);
    assert_eq!(
        fact(&mut f, "git.tag.signature.verified"),
        Value::Bool(false)
    );

    // A tag signed by the listed key verifies; by another key it does not.
    let signing = |k: &str| format!("user.signingkey={k}");
    for (k, verified) in [(&key, true), (&other_key, false)] {
        let sk = signing(k);
        sb.git(
            &dir,
            &[
                "-c",
                "gpg.format=ssh",
                "-c",
                &sk,
                "tag",
                "-f",
                "-s",
                "-m",
                "Release 1.0.0",
                "v1.0.0",
            ],
        );
        let mut f = facts(&dir);
        assert_eq!(
            fact(&mut f, "git.tag.signature.verified"),
            Value::Bool(verified),
            "signed by the {} key",
            if verified { "listed" } else { "unlisted" }
        );
        let signer = if verified {
            s("ra@example.com")
        } else {
            Value::Null
        };
        assert_eq!(fact(&mut f, "git.tag.signature.signer"), signer);
    }
    write(&dir, "README.md", "changed after the tag\n");
    sb.commit(&dir, "After the release");
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.tag.signature.verified"), Value::Null);
}
