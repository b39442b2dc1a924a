//! The CLI end to end: every subcommand and every exit code (0 passed, 1 a gate or a
//! test failed, 2 invalid input with a diagnostic).
#![expect(
    clippy::expect_used,
    reason = "a test helper that cannot set up its fixture should fail the test loudly"
)]

mod common;

use common::{clic, example, project};
use predicates::prelude::*;
use std::path::Path;

const MODEL: &str = r#"model demo {
  version "1.2.0"
  purpose "Flags chest radiographs for prioritised reading."
  class IIa by rule 11
  artifact "model.onnx"
  claims {
    sensitivity 90%
  }
}
"#;

const POLICY: &str = r#"policy local.manifest "The manifest is complete" {
  control class-rule "The class states its rule" {
    cites mdr "Annex VIII Rule 11"
    severity major
    stage pre-commit
    expect exists model.classification_rule
  }
  control claims-sensitivity "A sensitivity claim of at least 95%" {
    cites mdr "Annex I 15.1"
    severity major
    stage ci
    expect model.claims.sensitivity >= 95%
  }
}
"#;

#[test]
fn compile_accepts_the_example_and_emits_its_golden_plan() {
    let out = clic()
        .args(["compile"])
        .arg(example())
        .args(["--emit-plan", "-"])
        .assert()
        .success();
    let plan: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).expect("the plan is JSON");
    insta::assert_json_snapshot!("example_plan", plan);
}

#[test]
fn compile_writes_the_plan_to_a_file() {
    let dir = project(&[("model.clic", MODEL)]);
    let target = dir.path().join("out/plan.json");
    std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
    clic()
        .arg("compile")
        .arg(dir.path())
        .arg("--emit-plan")
        .arg(&target)
        .assert()
        .success();
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).expect("written")).expect("JSON");
    assert_eq!(plan["model"]["name"], "demo");
    assert_eq!(plan["model"]["claims"]["sensitivity"], 0.9);
}

#[test]
fn compile_reports_every_error_with_its_code_and_exits_2() {
    let dir = project(&[("bad.clic", "policy p.q \"t\" {\n  control c \"t\" {\n    cites mdx \"1\"\n    severity major\n    expect benchmark.sensitivty >= 90%\n  }\n}\n")]);
    clic()
        .arg("compile")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E006"))
        .stderr(predicate::str::contains("clic::E002"))
        .stderr(predicate::str::contains(
            "did you mean `benchmark.sensitivity`?",
        ))
        .stderr(predicate::str::contains("bad.clic:5:12"))
        .stderr(predicate::str::contains("2 problems found"));
}

#[test]
fn missing_path_and_empty_folder_are_invalid_input() {
    clic()
        .args(["compile", "/no/such/folder"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E020"));
    let empty = tempfile::tempdir().expect("temp dir");
    clic()
        .arg("check")
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no .clic file"));
}

#[test]
fn discovery_skips_ignored_and_tool_folders() {
    let broken = "this is not clic\n";
    let dir = project(&[
        ("model.clic", MODEL),
        (".gitignore", "scratch/\n"),
        ("scratch/broken.clic", broken),
        ("target/broken.clic", broken),
        (".clic/broken.clic", broken),
        ("sub/.gitignore", "*.clic\n"),
        ("sub/broken.clic", broken),
    ]);
    clic().arg("compile").arg(dir.path()).assert().success();
}

#[test]
fn imports_must_stay_inside_the_project() {
    let dir = project(&[
        (
            "proj/model.clic",
            &format!("use \"../outside.clic\"\n{MODEL}"),
        ),
        ("outside.clic", POLICY),
    ]);
    // Outside a git repository the project root is the folder given.
    clic()
        .arg("compile")
        .arg(dir.path().join("proj"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E009"))
        .stderr(predicate::str::contains("leaves the project"));
}

#[test]
fn imports_by_path_are_compiled() {
    let dir = project(&[
        (
            "model.clic",
            &format!("use \"policies/local.clic\"\n{MODEL}"),
        ),
        ("policies/local.clic", POLICY),
    ]);
    let out = clic()
        .arg("compile")
        .arg(dir.path().join("model.clic"))
        .args(["--emit-plan", "-"])
        .assert()
        .success();
    let plan: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(plan["checks"].as_array().map(Vec::len), Some(2));
}

#[test]
fn check_passes_fails_and_selects_by_stage() {
    let dir = project(&[("model.clic", MODEL), ("policy.clic", POLICY)]);
    // pre-commit runs only the class rule, which passes.
    clic()
        .arg("check")
        .arg(dir.path())
        .args(["--stage", "pre-commit"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 passed, 0 failed"))
        .stdout(predicate::str::contains("1 not run at stage pre-commit"));
    // ci adds the sensitivity claim, which fails: values, citations and place are shown.
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ FAIL"))
        .stdout(predicate::str::contains("cites     MDR Annex I 15.1"))
        .stdout(predicate::str::contains(
            "actual    model.claims.sensitivity = 0.9",
        ))
        .stdout(predicate::str::contains("declared  policy.clic:8:11"))
        .stdout(predicate::str::contains("gate: FAILED"));
    // --fail-on blocker lets a major failure through.
    clic()
        .arg("check")
        .arg(dir.path())
        .args(["--fail-on", "blocker"])
        .assert()
        .success();
}

#[test]
fn check_json_is_machine_readable() {
    let dir = project(&[("model.clic", MODEL), ("policy.clic", POLICY)]);
    let out = clic()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json"])
        .assert()
        .code(1);
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(report["format"], "clic.check/1");
    assert_eq!(report["gate"], "failed");
    let failed: Vec<&str> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "failed")
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(failed, ["local.manifest.claims-sensitivity"]);
}

#[test]
fn facts_without_a_provider_never_pass() {
    let policy = "policy local.deid \"d\" {\n  control clean \"c\" {\n    cites gdpr \"Art. 5\"\n    severity blocker\n    expect scans.deid.files_with_identifiers == 0 or true\n  }\n}\n";
    let dir = project(&[("model.clic", MODEL), ("p.clic", policy)]);
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("UNAVAILABLE"))
        .stdout(predicate::str::contains(
            "not available: `scans.deid.files_with_identifiers`",
        ));
}

#[test]
fn waivers_turn_failures_into_waived_until_they_expire() {
    let waiver = "waiver local.manifest.claims-sensitivity {\n  reason \"Claim under review, CAPA-12\"\n  approved_by \"QA lead <qa@example.com>\"\n  expires 2030-01-31\n}\n";
    let dir = project(&[
        ("model.clic", MODEL),
        ("policy.clic", POLICY),
        ("waivers.clic", waiver),
    ]);
    clic()
        .arg("check")
        .arg(dir.path())
        .args(["--today", "2030-01-31"])
        .assert()
        .success()
        .stdout(predicate::str::contains("~ waived"))
        .stdout(predicate::str::contains("1 waived"));
    clic()
        .arg("check")
        .arg(dir.path())
        .args(["--today", "2030-02-01"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("waiver    expired"));
    clic()
        .arg("check")
        .arg(dir.path())
        .args(["--today", "2030-02-30"])
        .assert()
        .code(2);
}

#[test]
fn a_waiver_for_a_passing_control_is_reported_as_not_needed() {
    let waiver = "waiver local.manifest.class-rule {\n  reason \"Rule under review\"\n  approved_by \"QA lead <qa@example.com>\"\n  expires 2030-01-31\n}\n";
    let dir = project(&[
        ("model.clic", MODEL),
        ("policy.clic", POLICY),
        ("waivers.clic", waiver),
    ]);
    clic()
        .args(["check", "--stage", "pre-commit", "--today", "2030-01-01"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "waiver for local.manifest.class-rule (approved by QA lead <qa@example.com>, expires 2030-01-31) is not needed",
        ));
    clic()
        .args(["check", "--stage", "pre-commit", "--today", "2030-02-01"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("has expired"));
}

#[test]
fn fmt_checks_rewrites_and_refuses_broken_files() {
    let dir = project(&[(
        "model.clic",
        "model   demo{version \"1.0.0\"\npurpose \"p\" class I artifact \"m.onnx\"}\n",
    )]);
    clic()
        .arg("fmt")
        .arg(dir.path())
        .arg("--check")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not formatted: model.clic"));
    clic().arg("fmt").arg(dir.path()).assert().success();
    let text = std::fs::read_to_string(dir.path().join("model.clic")).expect("readable");
    assert!(
        text.starts_with("model demo {\n  version \"1.0.0\"\n"),
        "{text}"
    );
    clic()
        .arg("fmt")
        .arg(dir.path())
        .arg("--check")
        .assert()
        .success();
    let broken = project(&[("x.clic", "model {\n")]);
    clic()
        .arg("fmt")
        .arg(broken.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E001"));
}

#[test]
fn test_runs_test_blocks_and_reports_coverage() {
    let tests = r#"test "rule present" {
  given model.classification_rule = "11"
  expect local.manifest.class-rule passes
}

test "rule absent" {
  given model.classification_rule = none
  expect local.manifest.class-rule fails
}

test "claim high enough" {
  given model.claims.sensitivity = 96%
  expect local.manifest.claims-sensitivity passes
}
"#;
    let dir = project(&[("policy.clic", POLICY), ("tests.clic", tests)]);
    clic()
        .arg("test")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("3 passed, 0 failed"));
    clic()
        .arg("test")
        .arg(dir.path())
        .arg("--coverage")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "passes yes  fails NO   local.manifest.claims-sensitivity",
        ))
        .stdout(predicate::str::contains(
            "1 of 2 controls exercised both ways",
        ));
    let wrong = "test \"wrong expectation\" {\n  given model.claims.sensitivity = 90%\n  expect local.manifest.claims-sensitivity passes\n}\n";
    let dir = project(&[("policy.clic", POLICY), ("tests.clic", wrong)]);
    clic()
        .arg("test")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL wrong expectation"))
        .stdout(predicate::str::contains(
            "expected local.manifest.claims-sensitivity to pass, but it fails",
        ));
}

#[test]
fn the_standard_library_tests_pass() {
    let policies = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/policies"));
    clic().arg("test").arg(policies).assert().success();
}

#[test]
fn explain_covers_controls_facts_and_codes() {
    clic()
        .args(["explain", "mdr.performance.sensitivity-claim"])
        .assert()
        .success()
        .stdout(predicate::str::contains("MDR Annex I 17.1"))
        .stdout(predicate::str::contains(
            "benchmark.sensitivity.ci95.low >= model.claims.sensitivity",
        ))
        .stdout(predicate::str::contains(
            "benchmark.sensitivity : Proportion",
        ));
    clic()
        .args(["explain", "benchmark.by"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Subgroup fields"));
    clic()
        .args(["explain", "E003"])
        .assert()
        .success()
        .stdout(predicate::str::contains("type mismatch"));
    clic()
        .args(["explain", "facts"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| `git.head.signed` | `Bool` |"));
    clic()
        .args(["explain", "no.such.thing"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E005"));
    let dir = project(&[("policy.clic", POLICY)]);
    clic()
        .args(["explain", "local.manifest.class-rule", "--path"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("declared at policy.clic:2:11"));
}

#[test]
fn the_fact_reference_in_docs_is_current() {
    let out = clic().args(["explain", "facts"]).assert().success();
    let generated = String::from_utf8(out.get_output().stdout.clone()).expect("UTF-8");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/facts.md"))
        .unwrap_or_default();
    assert!(
        committed == generated,
        "docs/facts.md is stale: run `cargo run -- explain facts > docs/facts.md`"
    );
}

#[test]
fn the_control_reference_in_docs_is_current() {
    let out = clic().args(["explain", "controls"]).assert().success();
    let generated = String::from_utf8(out.get_output().stdout.clone()).expect("UTF-8");
    assert!(
        generated.contains("### `mdr.performance.sensitivity-claim`"),
        "the control reference lists the standard controls"
    );
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/controls.md"))
            .unwrap_or_default();
    assert!(
        committed == generated,
        "docs/controls.md is stale: run `cargo run -- explain controls > docs/controls.md`"
    );
}

fn example_model() -> std::path::PathBuf {
    example().join("model/cxr.onnx")
}

#[test]
fn inspect_model_prints_the_artifact_facts() {
    let out = clic()
        .args(["inspect", "model"])
        .arg(example_model())
        .arg("--json")
        .assert()
        .success();
    let facts: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(facts["artifact.ir_version"]["number"], 8.0);
    assert_eq!(facts["artifact.loads"]["bool"], true);
    assert_eq!(facts["artifact.deterministic"]["bool"], true);
    assert_eq!(facts["artifact.size_bytes"]["number"], 15672.0);
    let inputs = facts["artifact.inputs"].to_string();
    assert!(
        inputs.contains("\"image\"") && inputs.contains("\"N\"") && inputs.contains("float32"),
        "{inputs}"
    );
    clic()
        .args(["inspect", "model"])
        .arg(example_model())
        .assert()
        .success()
        .stdout(predicate::str::contains("image: float32[N, 1, 64, 64]"));
}

#[test]
fn broken_model_files_are_invalid_input() {
    let bytes = std::fs::read(example_model()).expect("example model");
    let dir = project(&[("notes.onnx", "this is a text file, not a model\n")]);
    std::fs::write(dir.path().join("cut.onnx"), &bytes[..bytes.len() / 2]).expect("write");
    for (file, says) in [
        ("cut.onnx", "truncated"),
        ("notes.onnx", "not"),
        ("missing.onnx", "no such file"),
    ] {
        clic()
            .args(["inspect", "model"])
            .arg(dir.path().join(file))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("clic::E021"))
            .stderr(predicate::str::contains(file))
            .stderr(predicate::str::contains(says));
    }
}

fn artifact_project(pin: &str, model_bytes: Option<&[u8]>) -> tempfile::TempDir {
    let manifest = format!(
        "model demo {{\n  version \"1.0.0\"\n  purpose \"p\"\n  class IIa by rule 11\n  artifact \"cxr.onnx\" sha256 \"{pin}\"\n  runtime onnxruntime\n  input \"image\" from dicom {{\n    resize 64 x 64\n  }}\n  output \"prob\" positive when >= 0.5 means \"finding\"\n  use iec62304.configuration\n}}\n"
    );
    let dir = project(&[("model.clic", &manifest)]);
    if let Some(bytes) = model_bytes {
        std::fs::write(dir.path().join("cxr.onnx"), bytes).expect("write");
    }
    dir
}

#[test]
fn check_establishes_the_artifact_facts() {
    let bytes = std::fs::read(example_model()).expect("example model");
    let good = "28990ed261983c65b45e0ad3fadf197175ef56d42b8dc949fe3bd20fa5faa9e1";
    clic()
        .arg("check")
        .arg(artifact_project(good, Some(&bytes)).path())
        .assert()
        .success()
        .stdout(predicate::str::contains("6 passed, 0 failed"));
    let other = "0".repeat(64);
    clic()
        .arg("check")
        .arg(artifact_project(&other, Some(&bytes)).path())
        .args(["--stage", "pre-commit"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("artifact-pinned"))
        .stdout(predicate::str::contains(
            "actual    artifact.sha256_matches = false",
        ));
    clic()
        .arg("check")
        .arg(artifact_project(good, None).path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E021"))
        .stderr(predicate::str::contains(
            "the model artifact `cxr.onnx` that the manifest names does not exist",
        ));
}

#[test]
fn the_manifest_must_agree_with_the_graph() {
    let bytes = std::fs::read(example_model()).expect("example model");
    let good = "28990ed261983c65b45e0ad3fadf197175ef56d42b8dc949fe3bd20fa5faa9e1";
    let dir = artifact_project(good, Some(&bytes));
    let manifest = std::fs::read_to_string(dir.path().join("model.clic"))
        .expect("manifest")
        .replace("resize 64 x 64", "resize 128 x 128")
        .replace("output \"prob\"", "output \"score\"");
    std::fs::write(dir.path().join("model.clic"), manifest).expect("write");
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("manifest-agrees"))
        .stdout(predicate::str::contains(
            "artifact.matches_manifest = false",
        ));
}

#[test]
fn doctor_names_the_backend_and_how_to_switch() {
    clic()
        .arg("doctor")
        .env("CLIC_BACKEND", "tract")
        .assert()
        .success()
        .stdout(predicate::str::contains("inference backend: tract"))
        .stdout(predicate::str::contains("ORT_DYLIB_PATH"));
    clic()
        .arg("doctor")
        .env("ORT_DYLIB_PATH", "/no/such/libonnxruntime.so")
        .assert()
        .success()
        .stdout(predicate::str::contains("inference backend: tract"))
        .stdout(predicate::str::contains(
            "warning: cannot open `/no/such/libonnxruntime.so`",
        ));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    // The Plan of the whole standard library is larger than a pipe's buffer, so the
    // writes after the reader has gone fail with a broken pipe.
    let dir = project(&[(
        "model.clic",
        "model m {\n  version \"1.0.0\"\n  purpose \"p\"\n  class IIa by rule 11\n  artifact \"m.onnx\"\n  use mdr, ai_act, iec62304, iso14971, gdpr, dicom_deid, performance\n}\n",
    )]);
    let bin = assert_cmd::cargo::cargo_bin("clic");
    let mut child = std::process::Command::new(bin)
        .args(["compile", "--emit-plan", "-"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("clic starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("clic ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
