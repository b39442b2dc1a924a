//! `clic verify` as a regulator runs it, against the attacks a forger would try: a
//! figure changed and re-hashed in `evidence.json` (caught by the signature), a document
//! deleted with its entry (caught by the file set), outputs listed outside the dossier
//! (refused before any read), links and FIFOs in the dossier (never followed or opened);
//! signatures that `ssh-keygen -Y verify` accepts and that clic accepts from
//! `ssh-keygen -Y sign`; and the regeneration of a dossier from its recorded commit.
//!
//! Needs git and ssh-keygen (openssh-client, installed by .ci/run).
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
mod release;

use common::{clic, git, text};
use release::{key, keygen, public_key, repo};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn dossier(project: &Path, out: &Path, sign: Option<&Path>) -> Output {
    let mut c = clic();
    c.arg("dossier").arg(project).arg("--out").arg(out);
    if let Some(k) = sign {
        c.arg("--sign").arg(k);
    }
    c.output().expect("clic runs")
}

fn verify(dir: &Path, args: &[&str]) -> Output {
    clic()
        .arg("verify")
        .arg(dir)
        .args(args)
        .output()
        .expect("clic runs")
}

fn sha256(bytes: &[u8]) -> String {
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(bytes)?;
            c.wait_with_output()
        })
        .expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

fn record(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("evidence.json")).expect("record"))
        .expect("json")
}

/// Rewrites `evidence.json` with `edit` applied, as a forger would.
fn forge(dir: &Path, edit: impl FnOnce(&mut Vec<Value>)) {
    let mut r = record(dir);
    let outputs = r["outputs"].as_array_mut().expect("outputs");
    edit(outputs);
    std::fs::write(
        dir.join("evidence.json"),
        serde_json::to_vec_pretty(&r).expect("json"),
    )
    .expect("write");
}

/// An allowed-signers line for the key at `key`.
fn allowed(dir: &Path, principals: &str, options: &str, key: &Path) -> std::path::PathBuf {
    let path = dir.join(format!("allowed-{}", principals.len() + options.len()));
    std::fs::write(
        &path,
        format!(
            "# the release signers\n{principals} {options}{}\n",
            public_key(key)
        ),
    )
    .expect("write");
    path
}

fn arg(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn a_signed_dossier_verifies_with_clic_and_ssh_keygen_and_a_forgery_fails_on_the_signature() {
    let repo = repo();
    let d = repo.path().join("out");
    let key = key(repo.path());
    let out = dossier(repo.path(), &d, Some(&key));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let sig = d.join("evidence.json.sig");
    let armored = std::fs::read_to_string(&sig).expect("the signature is written");
    assert!(
        armored.starts_with("-----BEGIN SSH SIGNATURE-----\n"),
        "{armored}"
    );
    // The record names the commit and the tag.
    let r = record(&d);
    assert_eq!(r["format"], "clic.dossier-evidence/2");
    assert_eq!(r["git"]["tag"], "v1.4.0");
    let head = String::from_utf8_lossy(&git(repo.path(), &["rev-parse", "HEAD"]).stdout)
        .trim()
        .to_string();
    assert_eq!(r["git"]["commit"], head.as_str());

    // ssh-keygen itself accepts it, from a git-style allowed-signers file.
    let signers = allowed(
        repo.path(),
        "ra@example.com",
        "namespaces=\"clic-dossier\" ",
        &key,
    );
    let check = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", &arg(&signers), "-I", "ra@example.com"])
        .args(["-n", "clic-dossier", "-s", &arg(&sig)])
        .stdin(std::fs::File::open(d.join("evidence.json")).expect("record"))
        .output()
        .expect("ssh-keygen runs");
    assert!(check.status.success(), "{}", text(&check));

    // And so does clic, with and without an identity.
    for extra in [&["--identity", "ra@example.com"][..], &[][..]] {
        let mut args = vec!["--allowed-signers", signers.to_str().expect("utf-8")];
        args.extend_from_slice(extra);
        let out = verify(&d, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("signature: good"), "{}", text(&out));
    }
    // Without allowed signers, verify says so plainly.
    let out = verify(&d, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("signature: not checked"),
        "{}",
        text(&out)
    );

    // A key allowed for someone else, or for git commits only, or not listed at all.
    let s = arg(&signers);
    let out = verify(
        &d,
        &["--allowed-signers", &s, "--identity", "qa@example.com"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("signature: BAD"), "{}", text(&out));
    let git_only = allowed(repo.path(), "*@example.com", "namespaces=\"git\" ", &key);
    let out = verify(&d, &["--allowed-signers", &arg(&git_only)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let other = repo.path().join(".git/other-key");
    keygen(&other, "ed25519", "");
    let stranger = allowed(repo.path(), "ra@example.com", "", &other);
    let out = verify(&d, &["--allowed-signers", &arg(&stranger)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not in the allowed signers"),
        "{}",
        text(&out)
    );

    // The forgery: a figure changed in index.html and re-hashed in evidence.json.
    let html = d.join("index.html");
    let page = std::fs::read_to_string(&html).expect("page");
    let forged = page.replacen(
        "Release gate: PASSED",
        "Release gate: PASSED (sensitivity 99.9%)",
        1,
    );
    assert_ne!(page, forged);
    std::fs::write(&html, &forged).expect("write");
    let digest = sha256(forged.as_bytes());
    forge(&d, |outputs| {
        for o in outputs.iter_mut().filter(|o| o["path"] == "index.html") {
            o["sha256"] = Value::String(digest.clone());
        }
    });
    // Integrity alone cannot see it ...
    let out = verify(&d, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("signature: not checked"),
        "{}",
        text(&out)
    );
    // ... the signature does.
    let out = verify(&d, &["--allowed-signers", &s]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("signature: BAD"), "{}", text(&out));

    // A dossier whose signature was removed fails when a signature is asked for.
    std::fs::remove_file(&sig).expect("remove");
    let out = verify(&d, &["--allowed-signers", &s]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("MISSING"), "{}", text(&out));
}

#[test]
fn clic_accepts_the_signature_ssh_keygen_makes_and_rejects_a_broken_allowed_signers_file() {
    let repo = repo();
    let d = repo.path().join("out");
    let key = key(repo.path());
    assert_eq!(dossier(repo.path(), &d, None).status.code(), Some(0));
    let out = verify(&d, &[]);
    assert!(
        text(&out).contains("signature: not checked (the dossier is unsigned"),
        "{}",
        text(&out)
    );
    release::ssh_keygen(&[
        "-Y",
        "sign",
        "-f",
        &arg(&key),
        "-n",
        "clic-dossier",
        &arg(&d.join("evidence.json")),
    ]);
    let signers = allowed(repo.path(), "ra@example.com,!qa@*", "", &key);
    let s = arg(&signers);
    let out = verify(
        &d,
        &["--allowed-signers", &s, "--identity", "ra@example.com"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("signature: good"), "{}", text(&out));
    // A signature in another namespace (a git commit's, say) is not a dossier's.
    std::fs::remove_file(d.join("evidence.json.sig")).expect("remove");
    release::ssh_keygen(&[
        "-Y",
        "sign",
        "-f",
        &arg(&key),
        "-n",
        "git",
        &arg(&d.join("evidence.json")),
    ]);
    let out = verify(&d, &["--allowed-signers", &s]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("namespace"), "{}", text(&out));

    // The regulator's own file is malformed: exit 2, the line named.
    std::fs::write(&signers, "ra@example.com\n").expect("write");
    let out = verify(&d, &["--allowed-signers", &s]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("clic::E031"), "{}", text(&out));
    assert!(text(&out).contains("line 1"), "{}", text(&out));
}

#[test]
fn a_document_deleted_with_its_entry_fails_as_the_file_set_is_fixed() {
    let repo = repo();
    let d = repo.path().join("out");
    assert_eq!(dossier(repo.path(), &d, None).status.code(), Some(0));
    std::fs::remove_file(d.join("gaps.md")).expect("remove");
    forge(&d, |outputs| outputs.retain(|o| o["path"] != "gaps.md"));
    let out = verify(&d, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not listed (every dossier has it): gaps.md"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("dossier files: MISMATCH"),
        "{}",
        text(&out)
    );

    // Nor may a record list a file that no dossier has, even with its right hash.
    std::fs::write(d.join("gaps.md"), "restored").expect("write");
    std::fs::write(d.join("notes.md"), "all is well").expect("write");
    let (g, n) = (sha256(b"restored"), sha256(b"all is well"));
    forge(&d, |outputs| {
        outputs.push(serde_json::json!({ "path": "gaps.md", "sha256": g }));
        outputs.push(serde_json::json!({ "path": "notes.md", "sha256": n }));
    });
    let out = verify(&d, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("listed but not a dossier file: notes.md"),
        "{}",
        text(&out)
    );
}

#[test]
fn outputs_listed_outside_the_dossier_are_refused_before_any_read() {
    let repo = repo();
    let d = repo.path().join("out");
    assert_eq!(dossier(repo.path(), &d, None).status.code(), Some(0));
    // A file outside the dossier whose hash the forger knows: listing it must not pass.
    std::fs::write(repo.path().join("x"), "outside").expect("write");
    let outside = sha256(b"outside");
    let passwd = std::fs::read("/etc/passwd")
        .map(|b| sha256(&b))
        .unwrap_or_default();
    let original = std::fs::read(d.join("evidence.json")).expect("record");
    for (path, hash) in [
        ("/etc/passwd", passwd.as_str()),
        ("../x", outside.as_str()),
        ("figures/../../x", outside.as_str()),
        ("./index.html", outside.as_str()),
        ("figures//roc.svg", outside.as_str()),
        ("", outside.as_str()),
        ("evidence.json.sig", outside.as_str()),
    ] {
        std::fs::write(d.join("evidence.json"), &original).expect("restore");
        forge(&d, |outputs| {
            outputs.push(serde_json::json!({ "path": path, "sha256": hash }));
        });
        let out = verify(&d, &[]);
        assert_eq!(out.status.code(), Some(2), "`{path}`: {}", text(&out));
        assert!(
            text(&out).contains("clic::E030"),
            "`{path}`: {}",
            text(&out)
        );
    }
    // The same output twice is no record clic wrote either.
    std::fs::write(d.join("evidence.json"), &original).expect("restore");
    forge(&d, |outputs| {
        let first = outputs[0].clone();
        outputs.push(first);
    });
    let out = verify(&d, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn links_and_fifos_in_the_dossier_are_never_followed_or_opened() {
    use std::os::unix::fs::symlink;
    let repo = repo();
    let d = repo.path().join("out");
    assert_eq!(dossier(repo.path(), &d, None).status.code(), Some(0));
    let elsewhere = repo.path().join("elsewhere");
    common::copy_tree(&d, &elsewhere);

    // index.html as a link to a file with the very same bytes, outside the dossier.
    std::fs::remove_file(d.join("index.html")).expect("remove");
    symlink(elsewhere.join("index.html"), d.join("index.html")).expect("link");
    let out = verify(&d, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not a regular file: index.html (a symbolic link)"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(d.join("index.html")).expect("remove");
    std::fs::copy(elsewhere.join("index.html"), d.join("index.html")).expect("copy");
    assert_eq!(verify(&d, &[]).status.code(), Some(0));

    // The figures folder as a link to a copy: not walked into.
    std::fs::remove_dir_all(d.join("figures")).expect("remove");
    symlink(elsewhere.join("figures"), d.join("figures")).expect("link");
    let out = verify(&d, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("missing: figures/roc.svg"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(d.join("figures")).expect("remove");
    common::copy_tree(&elsewhere.join("figures"), &d.join("figures"));

    // A FIFO in place of a listed file: opening it would block forever.
    std::fs::remove_file(d.join("results.json")).expect("remove");
    let made = std::process::Command::new("mkfifo")
        .arg(d.join("results.json"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let out = clic()
        .arg("verify")
        .arg(&d)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not a regular file: results.json"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(d.join("results.json")).expect("remove");
    std::fs::copy(elsewhere.join("results.json"), d.join("results.json")).expect("copy");

    // The record itself as a link: never read.
    std::fs::remove_file(d.join("evidence.json")).expect("remove");
    symlink(elsewhere.join("evidence.json"), d.join("evidence.json")).expect("link");
    let out = verify(&d, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a regular file"), "{}", text(&out));
}

#[test]
fn keys_that_cannot_sign_are_coded_errors_and_nothing_is_written() {
    let repo = repo();
    let keys = tempfile::tempdir().expect("temp dir");
    let encrypted = keys.path().join("encrypted");
    keygen(&encrypted, "ed25519", "correct horse battery");
    let ecdsa = keys.path().join("ecdsa");
    keygen(&ecdsa, "ecdsa", "");
    let public = keys.path().join("encrypted.pub");
    for (key, says) in [
        (encrypted.as_path(), "passphrase"),
        (ecdsa.as_path(), "ed25519"),
        (public.as_path(), "not an OpenSSH private key"),
        (keys.path().join("absent").as_path(), "cannot read"),
        (keys.path(), "not a regular file"),
    ] {
        let d = repo.path().join("out");
        let out = dossier(repo.path(), &d, Some(key));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}: {}",
            key.display(),
            text(&out)
        );
        assert!(text(&out).contains("clic::E031"), "{}", text(&out));
        assert!(text(&out).contains(says), "{}", text(&out));
        assert!(!d.exists(), "nothing is written");
    }
}

#[test]
fn regeneration_from_the_recorded_commit_matches_and_catches_a_changed_file() {
    let repo = repo();
    let d = repo.path().join("out");
    let key = key(repo.path());
    assert_eq!(dossier(repo.path(), &d, Some(&key)).status.code(), Some(0));
    let r = arg(repo.path());
    let out = verify(&d, &["--repo", &r, "--regenerate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("regeneration: identical"),
        "{}",
        text(&out)
    );

    // The work tree moves on after the release; the commit, rebuilt, still matches.
    let doc = repo.path().join("docs/risk-management.md");
    if doc.is_file() {
        let mut t = std::fs::read_to_string(&doc).expect("doc");
        t.push_str("\nEdited after the release.\n");
        std::fs::write(&doc, t).expect("write");
        let out = verify(&d, &["--repo", &r, "--regenerate"]);
        assert!(
            text(&out).contains("regeneration: identical"),
            "{}",
            text(&out)
        );
        git(repo.path(), &["checkout", "--", "docs"]);
    }

    // A figure of the dossier changed and re-hashed: the regeneration names the files.
    let report = d.join("clinical-performance.md");
    let t = std::fs::read_to_string(&report).expect("report");
    let forged = format!("{t}\nSensitivity 99.9% in every subgroup.\n");
    std::fs::write(&report, &forged).expect("write");
    let digest = sha256(forged.as_bytes());
    forge(&d, |outputs| {
        for o in outputs
            .iter_mut()
            .filter(|o| o["path"] == "clinical-performance.md")
        {
            o["sha256"] = Value::String(digest.clone());
        }
    });
    let out = verify(&d, &["--repo", &r, "--regenerate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("regenerated differs: clinical-performance.md"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("regenerated differs: evidence.json"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("regeneration: DIFFERS"),
        "{}",
        text(&out)
    );
}
