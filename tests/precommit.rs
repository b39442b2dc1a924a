//! The pre-commit gate end to end: a model repository scaffolded by `clic init`, the real
//! pre-commit framework (`pip install pre-commit`) running the `clic-check` and `clic-fmt`
//! hooks, a compliant commit that goes through and breaking commits that are blocked with
//! a readable message. Also the staged-change scope of `--stage pre-commit` and the
//! per-control stage override.
//!
//! Under `CI=true` a missing `pre-commit` fails the test; elsewhere the test says so and
//! passes.
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
    let found = std::process::Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "CI must exercise the pre-commit framework (`pip install pre-commit`)"
        );
        eprintln!("skipped: pre-commit is not installed (`pip install pre-commit`)");
    }
    found
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
