//! The pre-commit gate end to end: a model repository scaffolded by `clic init`, the real
//! pre-commit framework (`pip install pre-commit`) running the `clic-check` and `clic-fmt`
//! hooks, a compliant commit that goes through and breaking commits that are blocked with
//! a readable message. Also the staged-change scope of `--stage pre-commit` and the
//! per-control stage override.
//!
//! Under `CI=true` a missing `pre-commit` fails the test; elsewhere the test prints a
//! `SKIPPED (pre-commit missing)` line and passes.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, copy_tree, example, text};
use std::path::Path;
use std::process::Output;

/// Runs git in `dir` as a developer does, the hooks finding the clic under test on
/// PATH: unlike `common::git`, a failure (a commit the hook blocks) is returned, not a panic.
fn git(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "ML Engineer")
        .env("GIT_AUTHOR_EMAIL", "ml@example.com")
        .env("GIT_COMMITTER_NAME", "ML Engineer")
        .env("GIT_COMMITTER_EMAIL", "ml@example.com")
        .env("PATH", path_with_clic())
        .env("NO_COLOR", "1")
        .output()
        .expect("git runs")
}

fn ok(out: &Output) -> String {
    let text = text(out);
    assert!(out.status.success(), "command failed:\n{text}");
    text
}

/// PATH with the clic binary under test first, as the hook's `entry: clic ...` needs.
fn path_with_clic() -> String {
    let bin = assert_cmd::cargo::cargo_bin("clic");
    let dir = bin.parent().expect("binary folder").display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

fn commit_count(dir: &Path) -> usize {
    let out = git(dir, &["rev-list", "--count", "--all"]);
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// A model repository (the example's model and reference set, no compliance setup yet),
/// as a team has it before `clic init`.
fn model_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = example();
    std::fs::create_dir_all(dir.path().join("model")).expect("mkdir");
    std::fs::copy(
        src.join("model/cxr.onnx"),
        dir.path().join("model/model.onnx"),
    )
    .expect("copy model");
    copy_tree(
        &src.join("data/reference"),
        &dir.path().join("data/reference"),
    );
    ok(&git(dir.path(), &["init", "-q", "-b", "main"]));
    dir
}

fn sha256_hex(path: &Path) -> String {
    clic_runner::facts::artifact::sha256_hex(&std::fs::read(path).expect("readable"))
}

/// Whether the pre-commit framework is installed; under CI it must be.
fn have_pre_commit() -> bool {
    common::skip::require(
        "pre-commit",
        common::skip::runs("pre-commit", &["--version"]),
        "pip install pre-commit==4.7.0",
    )
}

#[test]
fn pre_commit_framework_blocks_a_breaking_commit_and_passes_a_compliant_one() {
    if !have_pre_commit() {
        return;
    }
    let repo = model_repo();
    let dir = repo.path();
    ok(&clic()
        .arg("init")
        .arg(dir)
        .output()
        .expect("clic init runs"));
    // The team fills in what `clic init` leaves to them: the artifact's digest.
    let manifest = dir.join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("scaffolded manifest");
    let digest = sha256_hex(&dir.join("model/model.onnx"));
    let pinned = text.replace(
        "artifact \"model/model.onnx\"",
        &format!("artifact \"model/model.onnx\" sha256 \"{digest}\""),
    );
    assert_ne!(pinned, text, "the scaffold names model/model.onnx");
    std::fs::write(&manifest, pinned).expect("write manifest");
    ok(&git(dir, &["add", "-A"]));
    let install = std::process::Command::new("pre-commit")
        .current_dir(dir)
        .arg("install")
        .env("PATH", path_with_clic())
        .output()
        .expect("pre-commit install runs");
    ok(&install);

    // A compliant commit goes through, both hooks passing.
    let first = ok(&git(dir, &["commit", "-q", "-m", "Compliance setup"]));
    assert!(first.contains("clic check"), "{first}");
    assert_eq!(commit_count(dir), 1);

    // Restoring a patient's name in a reference scan is blocked, with the control, its
    // citation and the fix in the message.
    let scan = dir.join("data/reference/cxr-0001.dcm");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cxr-0001-identifying.dcm"),
        &scan,
    )
    .expect("copy identifying scan");
    ok(&git(dir, &["add", "data/reference/cxr-0001.dcm"]));
    let blocked = git(dir, &["commit", "-q", "-m", "Refresh a scan"]);
    let message = common::text(&blocked);
    assert!(
        !blocked.status.success(),
        "commit must be blocked:\n{message}"
    );
    assert!(message.contains("no-identifiers"), "{message}");
    assert!(message.contains("PS3.15"), "{message}");
    assert!(message.contains("gate: FAILED"), "{message}");
    assert!(
        !message.contains("Doe^Jane"),
        "patient data leaked:\n{message}"
    );
    assert_eq!(commit_count(dir), 1);

    // Back to the de-identified scan, a model swapped without re-pinning is blocked too.
    std::fs::copy(example().join("data/reference/cxr-0001.dcm"), &scan).expect("restore");
    let mut model = std::fs::read(dir.join("model/model.onnx")).expect("model");
    // Another doc string: still a valid ONNX model, with other bytes.
    let at = model
        .windows(9)
        .position(|w| w == b"Synthetic")
        .expect("the example model's doc string");
    model[at] = b's';
    std::fs::write(dir.join("model/model.onnx"), model).expect("write model");
    ok(&git(dir, &["add", "-A"]));
    let blocked = git(dir, &["commit", "-q", "-m", "Retrain"]);
    let message = common::text(&blocked);
    assert!(
        !blocked.status.success(),
        "commit must be blocked:\n{message}"
    );
    assert!(message.contains("artifact-pinned"), "{message}");
    assert_eq!(commit_count(dir), 1);

    // A badly formatted policy file is caught by the clic-fmt hook.
    std::fs::copy(
        example().join("model/cxr.onnx"),
        dir.join("model/model.onnx"),
    )
    .expect("restore model");
    std::fs::write(
        dir.join("local.clic"),
        "policy local.p \"p\" {\ncontrol c \"c\" {\n    cites mdr \"Annex I 1\"\n    severity minor\n    expect artifact.loads\n  }\n}\n",
    )
    .expect("write policy");
    ok(&git(dir, &["add", "-A"]));
    let blocked = git(dir, &["commit", "-q", "-m", "Local policy"]);
    let message = common::text(&blocked);
    assert!(
        !blocked.status.success(),
        "commit must be blocked:\n{message}"
    );
    assert!(message.contains("not formatted: local.clic"), "{message}");
    assert_eq!(commit_count(dir), 1);

    // Formatted, the whole change goes through.
    ok(&clic().arg("fmt").arg(dir).output().expect("clic fmt runs"));
    ok(&git(dir, &["add", "-A"]));
    ok(&git(
        dir,
        &["commit", "-q", "-m", "Local policy, formatted"],
    ));
    assert_eq!(commit_count(dir), 2);
}

/// `clic check --stage pre-commit --format json` in `dir`.
fn pre_commit_json(dir: &Path) -> serde_json::Value {
    let out = clic()
        .args(["check", "--stage", "pre-commit", "--format", "json"])
        .arg(dir)
        .output()
        .expect("clic runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        unreachable!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    })
}

fn ids(report: &serde_json::Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .expect("list")
        .iter()
        .map(|v| {
            v.get("id")
                .and_then(|i| i.as_str())
                .or_else(|| v.as_str())
                .expect("id")
                .to_string()
        })
        .collect()
}

/// The manifest of the scope and override tests: the example's model and reference set,
/// three standard policies.
const MANIFEST: &str = r#"model cxr-pneumothorax {
  version "1.4.0"
  purpose "Flags adult chest radiographs with a suspected pneumothorax for prioritised reading."
  class IIa by rule 11
  artifact "model/model.onnx" sha256 "DIGEST"

  input "image" from dicom {
    modalities CR, DX
    rescale from dicom
    window from dicom else minmax
    invert monochrome1
    resize 64 x 64 bilinear
    normalize mean 0.5 std 0.25
  }
  output "prob" positive when >= 0.5 means "pneumothorax suspected"

  reference "data/reference" labels "data/reference/labels.yaml"

  claims {
    sensitivity 72%
    specificity 95%
    auc 0.90
  }

  use iec62304.configuration, mdr.performance, gdpr.dicom_deid
OVERRIDES}
"#;

/// [`MANIFEST`] for the model of `dir`, with `overrides` (lines) before its end.
fn manifest(dir: &Path, overrides: &str) -> String {
    let digest = sha256_hex(&dir.join("model/model.onnx"));
    MANIFEST
        .replace("DIGEST", &digest)
        .replace("OVERRIDES", overrides)
}

#[test]
fn pre_commit_stage_runs_only_what_the_staged_change_touches() {
    let repo = model_repo();
    let dir = repo.path();
    std::fs::write(dir.join("model.clic"), manifest(dir, "")).expect("write manifest");
    ok(&git(dir, &["add", "-A"]));
    ok(&git(dir, &["commit", "-q", "-m", "Initial"]));

    // Nothing staged: nothing to check.
    let report = pre_commit_json(dir);
    assert_eq!(ids(&report, "results"), Vec::<String>::new(), "{report}");
    assert!(!ids(&report, "untouched").is_empty(), "{report}");

    // A staged README touches no compliance input.
    std::fs::write(dir.join("README.md"), "# model\n").expect("write");
    ok(&git(dir, &["add", "README.md"]));
    let report = pre_commit_json(dir);
    assert_eq!(ids(&report, "results"), Vec::<String>::new(), "{report}");

    // A staged scan touches the de-identification control, not the artifact pin.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cxr-0001-identifying.dcm"),
        dir.join("data/reference/cxr-0001.dcm"),
    )
    .expect("copy identifying scan");
    ok(&git(dir, &["add", "data/reference/cxr-0001.dcm"]));
    let report = pre_commit_json(dir);
    assert_eq!(
        ids(&report, "results"),
        vec!["gdpr.dicom_deid.no-identifiers".to_string()],
        "{report}"
    );
    assert_eq!(report["gate"], "failed", "{report}");
    ok(&git(dir, &["reset", "-q", "data/reference/cxr-0001.dcm"]));

    // A staged model touches the artifact pin, and (scans being read through the model's
    // benchmark inputs) the de-identification control too.
    let mut model = std::fs::read(dir.join("model/model.onnx")).expect("model");
    // Another doc string: still a valid ONNX model, with other bytes.
    let at = model
        .windows(9)
        .position(|w| w == b"Synthetic")
        .expect("the example model's doc string");
    model[at] = b's';
    std::fs::write(dir.join("model/model.onnx"), model).expect("write");
    ok(&git(dir, &["add", "model/model.onnx"]));
    let report = pre_commit_json(dir);
    let run = ids(&report, "results");
    assert!(
        run.contains(&"iec62304.configuration.artifact-pinned".to_string()),
        "{report}"
    );
    assert_eq!(report["gate"], "failed", "{report}");
    ok(&git(dir, &["reset", "-q", "model/model.onnx"]));
    std::fs::copy(
        example().join("model/cxr.onnx"),
        dir.join("model/model.onnx"),
    )
    .expect("restore model");

    // A staged manifest touches every pre-commit check.
    let text = std::fs::read_to_string(dir.join("model.clic")).expect("manifest");
    std::fs::write(dir.join("model.clic"), text.replace("1.4.0", "1.4.1")).expect("write");
    ok(&git(dir, &["add", "model.clic"]));
    let report = pre_commit_json(dir);
    assert!(ids(&report, "untouched").is_empty(), "{report}");
    assert!(ids(&report, "results").len() >= 2, "{report}");

    // The ci stage ignores the staged change: everything of the stage runs.
    let out = clic()
        .args(["check", "--stage", "ci", "--format", "json"])
        .arg(dir)
        .output()
        .expect("clic runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(ids(&report, "untouched").is_empty(), "{report}");
}

#[test]
fn a_project_overrides_a_controls_stage() {
    let repo = model_repo();
    let dir = repo.path();
    let overrides = "  override mdr.performance.sensitivity-claim stage pre-commit\n  override iec62304.configuration.artifact-pinned stage release\n";
    std::fs::write(dir.join("model.clic"), manifest(dir, overrides)).expect("write manifest");
    let out = clic()
        .args(["compile", "--emit-plan", "-"])
        .arg(dir)
        .output()
        .expect("clic runs");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan json");
    let stage = |id: &str| {
        plan["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["stage"].clone())
            .expect("check present")
    };
    assert_eq!(stage("mdr.performance.sensitivity-claim"), "pre-commit");
    assert_eq!(stage("iec62304.configuration.artifact-pinned"), "release");
    assert_eq!(stage("iec62304.configuration.artifact-loads"), "ci");
}

/// A `cargo` first on PATH for pre-commit: `cargo install` (which pre-commit's rust
/// language runs as `cargo install --bins --root ENV --path .` in its clone of the hook
/// repository) is recorded and answered with the clic binary under test, so the test
/// costs seconds instead of a release build of clic; anything else (pre-commit's
/// `cargo --version` probe) goes to the real cargo. With `CLIC_TEST_HOOK_BUILD=1` the
/// real cargo builds it (cheaply: see [`hook_build_env`]).
const CARGO_SHIM: &str = r#"#!/bin/sh
if [ "$1" = install ] && [ -z "$CLIC_TEST_HOOK_BUILD" ]; then
  # (pre-commit removes its clone when try-repo ends: what it held is recorded now.)
  if grep -q '^name = "clic"$' Cargo.toml && [ -f .pre-commit-hooks.yaml ]; then
    echo "a clone of clic" > "$CLIC_TEST_CARGO_LOG"
  else
    echo "not clic: $PWD" > "$CLIC_TEST_CARGO_LOG"
  fi
  printf '%s\n' "$*" >> "$CLIC_TEST_CARGO_LOG"
  root=""
  prev=""
  for a in "$@"; do
    if [ "$prev" = --root ]; then root="$a"; fi
    prev="$a"
  done
  mkdir -p "$root/bin" && cp "$CLIC_TEST_BIN" "$root/bin/clic"
  exit $?
fi
exec "$CLIC_TEST_REAL_CARGO" "$@"
"#;

/// The environment of a real hook build: a release build at opt-level 0 without debug
/// information or LTO, in a target folder of its own under the test's target (kept, so a
/// second run rebuilds only clic's crates). Measured on the 2-core machine: cold 590 s
/// user + 97 s system (17 min of wall time beside other builds), warm 143 s.
fn hook_build_env(cmd: &mut std::process::Command) {
    let bin = assert_cmd::cargo::cargo_bin("clic");
    let target = bin
        .parent()
        .and_then(Path::parent)
        .expect("the target folder")
        .join("pre-commit-hook");
    cmd.env("CARGO_TARGET_DIR", target)
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false");
}

/// `pre-commit try-repo` on clic's own repository: the hooks of its
/// `.pre-commit-hooks.yaml` (`language: rust`) are installed by pre-commit with cargo and
/// run the clic they installed (none is on PATH), passing a compliant change and blocking
/// an identifying scan.
#[test]
fn the_repository_hooks_install_clic_with_cargo_and_gate_a_commit() {
    let real_cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let have_cargo = common::skip::require(
        "cargo",
        common::skip::runs(&real_cargo, &["--version"]),
        "rustup",
    );
    if !have_pre_commit() || !have_cargo {
        return;
    }
    let repo = model_repo();
    let dir = repo.path();
    ok(&clic()
        .arg("init")
        .arg(dir)
        .output()
        .expect("clic init runs"));
    let manifest = dir.join("model.clic");
    let scaffold = std::fs::read_to_string(&manifest).expect("scaffolded manifest");
    let digest = sha256_hex(&dir.join("model/model.onnx"));
    let pinned = scaffold.replace(
        "artifact \"model/model.onnx\"",
        &format!("artifact \"model/model.onnx\" sha256 \"{digest}\""),
    );
    std::fs::write(&manifest, pinned).expect("write manifest");
    ok(&git(dir, &["add", "-A"]));

    let work = tempfile::tempdir().expect("temp dir");
    let shim_dir = work.path().join("bin");
    std::fs::create_dir(&shim_dir).expect("mkdir");
    let shim = shim_dir.join("cargo");
    std::fs::write(&shim, CARGO_SHIM).expect("write shim");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let log = work.path().join("cargo.log");
    // PATH without the clic under test: the hook must run the clic pre-commit installed.
    let path = format!(
        "{}:{}",
        shim_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let try_repo = |hook: &str| {
        let mut cmd = std::process::Command::new("pre-commit");
        cmd.current_dir(dir)
            .args(["try-repo", &common::root().display().to_string(), hook])
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", work.path().join("pre-commit-home"))
            .env("CLIC_TEST_BIN", assert_cmd::cargo::cargo_bin("clic"))
            .env("CLIC_TEST_REAL_CARGO", &real_cargo)
            .env("CLIC_TEST_CARGO_LOG", &log)
            .env("NO_COLOR", "1");
        hook_build_env(&mut cmd);
        cmd.output().expect("pre-commit runs")
    };

    let passed = try_repo("clic-check");
    let message = text(&passed);
    assert!(passed.status.success(), "{message}");
    assert!(
        message.contains("clic check (pre-commit stage)"),
        "{message}"
    );
    assert!(message.contains("Passed"), "{message}");
    if std::env::var_os("CLIC_TEST_HOOK_BUILD").is_none() {
        let call = std::fs::read_to_string(&log).expect("pre-commit ran cargo install");
        let mut lines = call.lines();
        assert_eq!(lines.next(), Some("a clone of clic"), "{call}");
        let args = lines.next().expect("the arguments");
        assert!(
            args.starts_with("install --bins --root ") && args.ends_with(" --path ."),
            "{args}"
        );
    }

    // An identifying scan staged: the installed hook blocks it, naming the control.
    std::fs::copy(
        common::root().join("tests/data/cxr-0001-identifying.dcm"),
        dir.join("data/reference/cxr-0001.dcm"),
    )
    .expect("copy identifying scan");
    ok(&git(dir, &["add", "data/reference/cxr-0001.dcm"]));
    let blocked = try_repo("clic-check");
    let message = text(&blocked);
    assert!(!blocked.status.success(), "{message}");
    assert!(message.contains("no-identifiers"), "{message}");
    assert!(
        !message.contains("Doe^Jane"),
        "patient data leaked:\n{message}"
    );
}
