//! Signed commits: ssh signatures verified against an allowed signers file, gpg
//! signatures against a keyring.

use super::{commit_field, fact, project_files, spec, write, Sandbox};
use clic_compiler::plan::Value;
use clic_runner::facts::{FactProvider, GitFacts};
use std::path::Path;
use std::process::Command;

/// Whether a program can be run; under `CI=true` a missing one fails the test.
fn have(program: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    crate::skip::require(program, found, "apt-get install openssh-client gnupg")
}

/// Whether the machine's own git configuration (which git2 reads) sets `key`.
fn machine_config_sets(key: &str) -> bool {
    git2::Config::open_default().is_ok_and(|c| c.get_string(key).is_ok())
}

#[test]
fn ssh_signature_signed_and_verified() {
    if !have("ssh-keygen") {
        return;
    }
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    let key = sb.path("id_ed25519");
    let key_s = key.to_str().expect("utf-8");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ada", "-f", key_s])
        .output()
        .expect("ssh-keygen runs");
    assert!(
        keygen.status.success(),
        "{}",
        String::from_utf8_lossy(&keygen.stderr)
    );
    let public = std::fs::read_to_string(sb.path("id_ed25519.pub")).expect("public key");
    let signing = ["-c", "gpg.format=ssh", "-c"];
    let signing_key = format!("user.signingkey={key_s}");
    sb.git(&dir, &["add", "-A"]);
    let id = sb.commit_staged(
        &dir,
        "Signed release",
        &[
            signing[0],
            signing[1],
            signing[2],
            &signing_key,
            "-c",
            "commit.gpgsign=true",
        ],
    );
    assert!(sb
        .git(&dir, &["cat-file", "commit", &id])
        .contains("-----BEGIN SSH SIGNATURE-----"));

    // Signed, but no allowed signers file: nothing to verify against, so none.
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.head.signed"), Value::Bool(true));
    if machine_config_sets("gpg.ssh.allowedSignersFile") {
        eprintln!(
            "skipped the no-keyring case: this machine configures gpg.ssh.allowedSignersFile"
        );
    } else {
        assert_eq!(fact(&mut f, "git.head.verified"), Value::Null);
    }
    let Value::List(commits) = fact(&mut f, "git.since_release.commits") else {
        unreachable!("a list")
    };
    assert_eq!(commit_field(&commits[0], "signed"), &Value::Bool(true));

    // The key is allowed (relative paths are taken from the work tree): verified.
    write(
        &dir,
        ".allowed_signers",
        &format!("ada@example.com namespaces=\"git\" {public}"),
    );
    sb.git(
        &dir,
        &["config", "gpg.ssh.allowedSignersFile", ".allowed_signers"],
    );
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.head.verified"), Value::Bool(true));
    assert_eq!(
        sb.git(&dir, &["verify-commit", "--raw", "HEAD"]).len(),
        0,
        "git itself agrees (it prints to stderr)"
    );

    // Another key is allowed, not this one: not verified.
    let other = sb.path("other");
    let other_s = other.to_str().expect("utf-8");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f", other_s])
        .output()
        .expect("ssh-keygen runs");
    assert!(made.status.success());
    let other_pub = std::fs::read_to_string(sb.path("other.pub")).expect("public key");
    write(
        &dir,
        ".allowed_signers",
        &format!("ada@example.com {other_pub}"),
    );
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.head.verified"), Value::Bool(false));

    // The allowed signers file is configured but missing: unavailable.
    sb.git(
        &dir,
        &[
            "config",
            "gpg.ssh.allowedSignersFile",
            "/nonexistent/allowed",
        ],
    );
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert!(f.fact("git.head.verified", &[]).is_err());
}

#[test]
fn gpg_signature_verified_against_the_keyring() {
    if !have("gpg") {
        return;
    }
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    // A short GNUPGHOME keeps the agent's socket path within limits.
    let home = sb.path("g");
    let empty = sb.path("e");
    for h in [&home, &empty] {
        std::fs::create_dir_all(h).expect("gnupg home");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(h, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        }
    }
    let gpg = |h: &Path, args: &[&str]| {
        Command::new("gpg")
            .env("GNUPGHOME", h)
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .expect("gpg runs")
    };
    let made = gpg(
        &home,
        &[
            "--quick-gen-key",
            "Ada <ada@example.com>",
            "ed25519",
            "sign",
            "never",
        ],
    );
    let wrapper = |name: &str, h: &Path| {
        let p = sb.path(name);
        std::fs::write(
            &p,
            format!("#!/bin/sh\nGNUPGHOME='{}' exec gpg \"$@\"\n", h.display()),
        )
        .expect("wrapper");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        p.to_str().expect("utf-8").to_string()
    };
    let with_key = wrapper("gpg-with-key", &home);
    let without_key = wrapper("gpg-without-key", &empty);
    let result = (|| {
        if !made.status.success() {
            return Err(format!(
                "gpg cannot make a key: {}",
                String::from_utf8_lossy(&made.stderr)
            ));
        }
        sb.git(&dir, &["add", "-A"]);
        let program = format!("gpg.program={with_key}");
        sb.commit_staged(
            &dir,
            "Signed with gpg",
            &[
                "-c",
                &program,
                "-c",
                "user.signingkey=ada@example.com",
                "-c",
                "commit.gpgsign=true",
            ],
        );
        sb.git(&dir, &["config", "gpg.program", &with_key]);
        let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
        assert_eq!(fact(&mut f, "git.head.signed"), Value::Bool(true));
        assert_eq!(fact(&mut f, "git.head.verified"), Value::Bool(true));
        sb.git(&dir, &["config", "gpg.program", &without_key]);
        let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
        assert_eq!(fact(&mut f, "git.head.verified"), Value::Bool(false));
        Ok(())
    })();
    // Stop the agents this test started.
    for h in [&home, &empty] {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", h)
            .args(["--kill", "gpg-agent"])
            .output();
    }
    if let Err(e) = result {
        crate::skip::skip("a working gpg", &e);
    }
}
