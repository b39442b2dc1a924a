//! `clic check` reports: SARIF 2.1.0 that validates against the official schema, JUnit
//! XML, several formats in one run, written atomically.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::clic;

const PROJECT: &str = r#"model demo {
  version "1.2.0"
  purpose "Flags chest radiographs for prioritised reading."
  class IIa by rule 11
  artifact "model.onnx"
  claims {
    sensitivity 90%
  }
}

policy local.manifest "The manifest is complete" {
  control class-rule "The class states its rule" {
    cites mdr "Annex VIII Rule 11"
    severity major
    expect exists model.classification_rule
  }
  control claims-sensitivity "A sensitivity claim of at least 95%" {
    cites mdr "Annex I 15.1", stard "item 24"
    severity major
    expect model.claims.sensitivity >= 95%
  }
  control claims-ppv "A PPV claim <is> made & kept" {
    cites mdr "Annex I 15.1"
    severity minor
    expect exists model.claims.ppv
  }
}

waiver local.manifest.claims-ppv {
  reason "PPV depends on prevalence; see CER section 4"
  approved_by "QA lead <qa@example.com>"
  expires 2099-01-01
}
"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("project.clic"), PROJECT).expect("write");
    dir
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let dir = project();
    let sarif = dir.path().join("out.sarif");
    let junit = dir.path().join("out.xml");
    clic()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "sarif", "--output"])
        .arg(&sarif)
        .args(["--format", "junit", "--output"])
        .arg(&junit)
        .args(["--format", "human"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("gate: FAILED"));
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif written"))
            .expect("JSON");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF does not validate: {errors:#?}");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 3, "one rule per control");
    assert!(rules
        .iter()
        .any(|r| r["id"] == "local.manifest.claims-sensitivity"
            && r["defaultConfiguration"]["level"] == "error"));
    assert!(rules.iter().any(|r| r["id"] == "local.manifest.claims-ppv"
        && r["defaultConfiguration"]["level"] == "warning"));
    let results = run["results"].as_array().expect("results");
    let failed = results
        .iter()
        .find(|r| r["ruleId"] == "local.manifest.claims-sensitivity")
        .expect("the failing control is a result");
    assert_eq!(
        failed["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "project.clic"
    );
    assert_eq!(
        failed["locations"][0]["physicalLocation"]["region"]["startLine"],
        17
    );
    assert!(failed["message"]["text"]
        .as_str()
        .expect("text")
        .contains("model.claims.sensitivity = 0.9"));
    let waived = results
        .iter()
        .find(|r| r["ruleId"] == "local.manifest.claims-ppv")
        .expect("the waived control is a result");
    assert_eq!(waived["suppressions"][0]["status"], "accepted");
    assert!(
        !results
            .iter()
            .any(|r| r["ruleId"] == "local.manifest.class-rule"),
        "passing controls are not results"
    );
}

#[test]
fn junit_has_one_testcase_per_control() {
    let dir = project();
    let out = clic()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "junit"])
        .assert()
        .code(1);
    let xml = String::from_utf8(out.get_output().stdout.clone()).expect("UTF-8");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"clic\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 3);
    assert!(
        xml.contains(
            "<failure message=\"expected model.claims.sensitivity &gt;= 95%\" type=\"major\">"
        ),
        "{xml}"
    );
    assert!(
        xml.contains("actual: model.claims.sensitivity = 0.9"),
        "{xml}"
    );
    assert!(xml.contains("name=\"claims-ppv\""), "{xml}");
    assert!(
        xml.contains("QA lead &lt;qa@example.com&gt;"),
        "text is escaped: {xml}"
    );
    assert!(
        xml.contains("<skipped message=\"waived: PPV depends on prevalence"),
        "{xml}"
    );
}

#[test]
fn reports_are_deterministic() {
    let dir = project();
    let run = || {
        clic()
            .arg("check")
            .arg(dir.path())
            .args(["--format", "sarif", "--today", "2030-01-01"])
            .output()
            .expect("runs")
            .stdout
    };
    assert_eq!(run(), run());
}

/// `clic check --format json` output of `dir` at `stage`.
fn json_report(dir: &std::path::Path, stage: &str) -> serde_json::Value {
    let out = clic()
        .args([
            "check",
            "--format",
            "json",
            "--stage",
            stage,
            "--today",
            "2030-01-01",
        ])
        .arg(dir)
        .output()
        .expect("clic runs");
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

#[test]
fn json_reports_validate_against_the_documented_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../docs/schemas/clic.check-1.schema.json"))
            .expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = project();
    // Waived, failed, passed and unavailable results; the example's records and
    // proportions; an expired waiver; an identifying scan; a missing document.
    let reports = [
        json_report(dir.path(), "release"),
        json_report(&root.join("examples/chest-xray-triage"), "ci"),
        json_report(&root.join("examples/failing/expired-waiver"), "ci"),
        json_report(&root.join("examples/failing/identifying-scan"), "ci"),
        json_report(&root.join("examples/failing/missing-document"), "release"),
    ];
    let mut statuses = std::collections::BTreeSet::new();
    for report in &reports {
        let errors: Vec<String> = validator
            .iter_errors(report)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "does not validate: {errors:#?}");
        for r in report["results"].as_array().expect("results") {
            statuses.insert(r["status"].as_str().expect("status").to_string());
        }
    }
    for s in ["passed", "failed", "waived", "skipped"] {
        assert!(statuses.contains(s), "no `{s}` result exercised the schema");
    }
    // The schema is strict: an undocumented field is an error.
    let mut extra = reports[0].clone();
    extra["surprise"] = serde_json::json!(1);
    assert!(!validator.is_valid(&extra));
}

#[test]
fn sarif_locations_are_given_from_the_repository_root() {
    // A project in a subfolder of a repository, checked from elsewhere: code scanning
    // resolves locations from the repository root.
    let repo = tempfile::tempdir().expect("temp dir");
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(repo.path())
        .status()
        .expect("git runs");
    assert!(git.success());
    let src =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/failing/hash-mismatch");
    let project = repo.path().join("models/cxr");
    for e in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let rel = e.path().strip_prefix(&src).expect("inside");
        if rel.starts_with(".clic") {
            continue;
        }
        let to = project.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
    // Staged, so that the pre-commit stage checks it all.
    let add = std::process::Command::new("git")
        .args(["add", "-A"])
        .current_dir(repo.path())
        .status()
        .expect("git runs");
    assert!(add.success());
    let out = clic()
        .args(["check", "--stage", "pre-commit", "--format", "sarif"])
        .arg(&project)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("clic runs");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF");
    let uris: std::collections::BTreeSet<String> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .flat_map(|r| r["locations"].as_array().cloned().unwrap_or_default())
        .map(|l| {
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
                .to_string()
        })
        .collect();
    assert!(
        uris.contains("models/cxr/model.clic") && uris.contains("models/cxr/model/cxr.onnx"),
        "{uris:?}"
    );
}

#[test]
fn each_output_writes_the_format_just_before_it() {
    let dir = project();
    let sarif = dir.path().join("clic.sarif");
    let junit = dir.path().join("clic-junit.xml");
    // As the scaffolded CI jobs write it: human to the log, the others to files.
    clic()
        .args([
            "check", "--format", "human", "--format", "sarif", "--output",
        ])
        .arg(&sarif)
        .args(["--format", "junit", "--output"])
        .arg(&junit)
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicates::str::contains("gate: FAILED"))
        .stdout(predicates::prelude::PredicateBooleanExt::not(
            predicates::str::contains("<testsuites"),
        ));
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif written"))
            .expect("the SARIF file holds JSON");
    assert_eq!(log["version"], "2.1.0");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.starts_with("<?xml"), "{xml}");
    // An output before any format, or two after one, is a usage error.
    for args in [
        vec!["--output", "x.json", "--format", "json"],
        vec![
            "--format", "json", "--output", "a.json", "--output", "b.json",
        ],
        vec!["--output", "x.txt"],
    ] {
        clic()
            .arg("check")
            .args(&args)
            .arg(dir.path())
            .assert()
            .code(2)
            .stderr(predicates::str::contains("clic::E020"));
    }
}
