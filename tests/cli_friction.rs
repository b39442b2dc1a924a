//! The first steps of a new user (issue 16): runtime errors that point at the manifest
//! line and suggest the path meant, `clic explain` that suggests and accepts short
//! names, a project found from a subfolder, `clic init DIR` making DIR, a non-clic file
//! refused, an unknown backend refused, `fmt --check` showing its diff, `check -q`,
//! `--version` with the commit and `--help` with examples and the environment.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, copy_tree, project, root, text};
use std::path::Path;

/// A copy of a failing example with `from` replaced by `to` in its manifest.
fn example_with(name: &str, from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&root().join("examples/failing").join(name), dir.path());
    let manifest = dir.path().join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(text.contains(from), "{name} has {from}");
    std::fs::write(&manifest, text.replace(from, to)).expect("write");
    dir
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = clic().args(args).arg(dir).output().expect("clic runs");
    (out.status.code(), text(&out))
}

#[test]
fn a_wrong_model_path_points_at_the_artifact_line_and_suggests_the_file() {
    let dir = example_with("hash-mismatch", "\"model/cxr.onnx\"", "\"model/cxr2.onnx\"");
    let (code, all) = run(dir.path(), &["check"]);
    assert_eq!(code, Some(2), "{all}");
    assert!(all.contains("clic::E021"), "{all}");
    assert!(!all.contains("clic::E022"), "{all}");
    assert!(
        all.contains("the model artifact `model/cxr2.onnx` that the manifest names does not exist"),
        "{all}"
    );
    // The span: the manifest's file and line, and the literal underlined.
    assert!(all.contains("model.clic:7:"), "{all}");
    assert!(all.contains("the model artifact named here"), "{all}");
    assert!(all.contains("did you mean `model/cxr.onnx`?"), "{all}");
}

#[test]
fn a_misspelled_reference_folder_is_shown_relative_with_a_suggestion() {
    let dir = example_with(
        "hash-mismatch",
        "reference \"data/reference\"",
        "reference \"data/referenc\"",
    );
    let (code, all) = run(dir.path(), &["check"]);
    assert_eq!(code, Some(2), "{all}");
    assert!(all.contains("clic::E022"), "{all}");
    assert!(
        all.contains("the reference folder `data/referenc` that the manifest names does not exist"),
        "{all}"
    );
    assert!(all.contains("did you mean `data/reference`?"), "{all}");
    let abs = dir.path().display().to_string();
    assert!(!all.contains(&abs), "an absolute path is shown: {all}");
}

#[test]
fn a_misspelled_labels_file_is_blamed_not_its_folder() {
    let dir = example_with(
        "hash-mismatch",
        "labels \"data/reference/labels.yaml\"",
        "labels \"data/reference/label.yaml\"",
    );
    let (code, all) = run(dir.path(), &["check"]);
    assert_eq!(code, Some(2), "{all}");
    assert!(all.contains("clic::E022"), "{all}");
    assert!(
        all.contains(
            "the labels file `data/reference/label.yaml` that the manifest names does not exist"
        ),
        "{all}"
    );
    assert!(all.contains("the labels file named here"), "{all}");
    assert!(
        all.contains("did you mean `data/reference/labels.yaml`?"),
        "{all}"
    );
}

#[test]
fn explain_suggests_the_closest_name_and_takes_a_unique_short_name() {
    let out = clic()
        .args(["explain", "sensitivity-claim"])
        .output()
        .expect("clic runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("mdr.performance.sensitivity-claim"), "{all}");
    for (typo, meant) in [
        (
            "mdr.performance.sensitivty-claim",
            "mdr.performance.sensitivity-claim",
        ),
        ("benchmark.sensitivty", "benchmark.sensitivity"),
        ("E0222", "E022"),
        ("sensitivty-claim", "mdr.performance.sensitivity-claim"),
    ] {
        let out = clic().args(["explain", typo]).output().expect("clic runs");
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{typo}: {all}");
        assert!(all.contains("clic::E005"), "{typo}: {all}");
        assert!(
            all.contains(&format!("did you mean `{meant}`?")),
            "{typo}: {all}"
        );
    }
}

#[test]
fn explain_of_a_code_shows_a_wrong_and_a_fixed_example() {
    let out = clic()
        .args(["explain", "E021"])
        .output()
        .expect("clic runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("## Wrong") && all.contains("## Fixed"),
        "{all}"
    );
}

#[test]
fn a_subfolder_of_a_project_is_checked_as_the_project_and_outside_one_init_is_suggested() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&root().join("examples/failing/claim-not-met"), dir.path());
    let out = clic()
        .current_dir(dir.path().join("data"))
        .arg("compile")
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let empty = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(empty.path().join(".git")).expect("a repository boundary");
    std::fs::create_dir(empty.path().join("sub")).expect("mkdir");
    let out = clic()
        .current_dir(empty.path().join("sub"))
        .arg("check")
        .output()
        .expect("clic runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("clic::E020"), "{all}");
    assert!(all.contains("run `clic init`"), "{all}");
}

#[test]
fn a_file_that_is_not_clic_is_refused_with_a_code() {
    let dir = project(&[
        ("README.md", "# model\n\nuse gdpr\n"),
        ("model.clic", "use gdpr\n"),
    ]);
    let (code, all) = run(&dir.path().join("README.md"), &["check"]);
    assert_eq!(code, Some(2), "{all}");
    assert!(all.contains("clic::E020"), "{all}");
    assert!(all.contains("is not a .clic file"), "{all}");
}

#[test]
fn init_makes_the_folder_it_is_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("newdir");
    let (code, all) = run(&target, &["init"]);
    assert_eq!(code, Some(0), "{all}");
    assert!(target.join("model.clic").is_file(), "{all}");
}

#[test]
fn an_unknown_backend_is_an_error() {
    let out = clic()
        .env("CLIC_BACKEND", "bogus")
        .arg("doctor")
        .output()
        .expect("clic runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("clic::E020"), "{all}");
    assert!(
        all.contains("`CLIC_BACKEND=bogus` is not a backend"),
        "{all}"
    );
    let out = clic()
        .env("CLIC_BACKEND", "tract")
        .arg("doctor")
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn coverage_fails_when_a_control_is_not_exercised() {
    let policy = "policy local.p \"p\" {\n  control c \"c\" {\n    cites mdr \"Annex I 1\"\n    severity major\n    expect benchmark.n > 10\n  }\n}\n";
    let dir = project(&[("policy.clic", policy)]);
    let (code, all) = run(dir.path(), &["test", "--coverage"]);
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("0 of 1 controls exercised both ways"), "{all}");
    let tested = format!(
        "{policy}test \"passes\" {{\n  given benchmark.n = 11\n  expect local.p.c passes\n}}\ntest \"fails\" {{\n  given benchmark.n = 3\n  expect local.p.c fails\n}}\n"
    );
    let dir = project(&[("policy.clic", &tested)]);
    let (code, all) = run(dir.path(), &["test", "--coverage"]);
    assert_eq!(code, Some(0), "{all}");
}

#[test]
fn fmt_check_shows_the_diff() {
    let messy = "policy local.p \"p\" {\n  control c \"c\" {\n    cites mdr \"Annex I 1\"\n      severity major\n    expect benchmark.n > 10\n  }\n}\n";
    let dir = project(&[("policy.clic", messy)]);
    let out = clic()
        .args(["fmt", "--check"])
        .arg(dir.path())
        .output()
        .expect("clic runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout.starts_with("--- policy.clic\n+++ policy.clic (formatted)\n@@ -1,"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n-      severity major\n+    severity major\n"),
        "{stdout}"
    );
    // Nothing was changed.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("policy.clic")).expect("read"),
        messy
    );
}

#[test]
fn quiet_shows_only_what_did_not_pass() {
    let dir = root().join("examples/failing/claim-not-met");
    let out = clic()
        .args(["check", "-q"])
        .arg(&dir)
        .output()
        .expect("clic runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ FAIL         sensitivity-claim"),
        "{stdout}"
    );
    assert!(!stdout.contains("✓ pass"), "{stdout}");
    assert!(!stdout.contains("- n/a"), "{stdout}");
    assert!(stdout.ends_with("gate: FAILED\n"), "{stdout}");
}

#[test]
fn version_names_the_commit_and_help_the_environment() {
    let out = clic().arg("--version").output().expect("clic runs");
    let v = String::from_utf8_lossy(&out.stdout);
    let commit = std::process::Command::new("git")
        .current_dir(root())
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    // The binary names the commit it was built from, which need not be HEAD now (a
    // commit since the build); the form is what is asserted, and `unknown` outside git.
    assert!(
        v.starts_with(&format!("clic {} (", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    let inner = v
        .trim()
        .rsplit_once('(')
        .map(|(_, c)| c.trim_end_matches(')'))
        .unwrap_or("");
    match commit {
        Some(c) => assert_eq!(inner.len(), c.len(), "{v}"),
        None => assert_eq!(inner, "unknown", "{v}"),
    }
    let out = clic().arg("--help").output().expect("clic runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "Examples:",
        "CLIC_BACKEND",
        "ORT_DYLIB_PATH",
        "NO_COLOR",
        "CLIC_CACHE_LIMIT",
        "clic init",
    ] {
        assert!(help.contains(word), "{word}: {help}");
    }
}

#[test]
fn a_failing_dossier_lists_the_controls_that_failed_the_release() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(
        &root().join("examples/failing/hash-mismatch"),
        &dir.path().join("p"),
    );
    let out = clic()
        .args(["dossier", "--out"])
        .arg(dir.path().join("dossier"))
        .arg(dir.path().join("p"))
        .output()
        .expect("clic runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("failed the release gate ("), "{all}");
    assert!(
        all.contains("  iec62304.configuration.artifact-pinned (failed)"),
        "{all}"
    );
}
