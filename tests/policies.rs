//! The standard policy library end to end: its own tests exercise every control both ways,
//! and a model repository that writes only `use` lines gets cited, staged checks with help.
#![expect(
    clippy::expect_used,
    reason = "a test helper that cannot set up its fixture should fail the test loudly"
)]

mod common;

use common::{clic, root};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every module of the library, as a `use` line names it.
const MODULES: [&str; 8] = [
    "mdr",
    "ai_act",
    "iec62304",
    "iso14971",
    "gdpr",
    "dicom_deid",
    "performance",
    // Opt-in (Holm's adjustment of the subgroup comparisons), in no other module.
    "multiplicity",
];

/// A model repository with a manifest that has no policy of its own, and the example's model.
fn repo(class: &str, significance: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = root().join("examples/chest-xray-triage/model/cxr.onnx");
    let bytes = std::fs::read(&model).expect("the example model");
    std::fs::create_dir_all(dir.path().join("model")).expect("mkdir");
    std::fs::write(dir.path().join("model/cxr.onnx"), bytes).expect("write model");
    let manifest = format!(
        r#"model fresh {{
  version "0.1.0"
  purpose "Flags adult chest radiographs with a suspected pneumothorax for prioritised reading."
  class {class} by rule 11
  significance {significance}
  safety class B
  artifact "model/cxr.onnx" sha256 "28990ed261983c65b45e0ad3fadf197175ef56d42b8dc949fe3bd20fa5faa9e1"
  use {}
}}
"#,
        MODULES.join(", ")
    );
    std::fs::write(dir.path().join("model.clic"), manifest).expect("write manifest");
    dir
}

fn plan_of(dir: &Path) -> Value {
    let out = clic()
        .arg("compile")
        .arg(dir)
        .args(["--emit-plan", "-"])
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).expect("the Plan as JSON")
}

fn checks(plan: &Value) -> &Vec<Value> {
    plan["checks"].as_array().expect("checks")
}

fn policies_dir() -> PathBuf {
    root().join("policies")
}

#[test]
fn every_control_of_the_library_is_seen_to_pass_and_to_fail() {
    let out = clic()
        .arg("test")
        .arg(policies_dir())
        .arg("--coverage")
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("passes "))
        .collect();
    let covered: BTreeSet<String> = rows
        .iter()
        .filter(|l| l.contains("passes yes") && l.contains("fails yes"))
        .filter_map(|l| l.split_whitespace().last().map(str::to_string))
        .collect();
    assert_eq!(
        covered.len(),
        rows.len(),
        "controls not covered both ways:\n{stdout}"
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");

    // Every control a repository can `use` is among those the tests cover.
    let dir = repo("IIa", "drive-management situation serious");
    let plan = plan_of(dir.path());
    let ids: BTreeSet<String> = checks(&plan)
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        ids, covered,
        "the library's controls and its tested controls differ"
    );
    assert!(
        ids.len() >= 60,
        "the library shrank to {} controls",
        ids.len()
    );
}

#[test]
fn a_repository_with_only_use_lines_gets_cited_staged_checks_with_help() {
    let dir = repo("IIa", "drive-management situation serious");
    let plan = plan_of(dir.path());
    let checks = checks(&plan);
    for module in MODULES {
        assert!(
            checks.iter().any(|c| c["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{module}.")))),
            "no control of `{module}`"
        );
    }
    // Ids other tools and tests rely on.
    for id in [
        "gdpr.dicom_deid.no-identifiers",
        "iec62304.configuration.artifact-pinned",
        "mdr.performance.sensitivity-claim",
        "mdr.classification.rule11-class",
        "ai_act.high_risk.technical-documentation",
        "iso14971.risk_file.drift",
        "performance.separation.patient-separation",
        "dicom_deid.basic_profile.identity-removed",
    ] {
        assert!(checks.iter().any(|c| c["id"] == id), "missing `{id}`");
    }
    for c in checks {
        let id = c["id"].as_str().expect("id");
        let citations = c["citations"].as_array().expect("citations");
        assert!(!citations.is_empty(), "`{id}` cites nothing");
        for cite in citations {
            let clause = cite["clause"].as_str().expect("clause");
            assert!(!clause.trim().is_empty(), "`{id}` cites an empty clause");
        }
        assert!(
            c["help"].as_str().is_some_and(|h| h.len() > 20),
            "`{id}` tells the user nothing about the fix"
        );
        let stage = c["stage"].as_str().expect("stage");
        let facts: Vec<&str> = c["facts"]
            .as_array()
            .expect("facts")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if facts.iter().any(|f| f.starts_with("benchmark.")) {
            assert_ne!(
                stage, "pre-commit",
                "`{id}` runs the benchmark before every commit"
            );
        }
        if facts.iter().any(|f| {
            [
                "git.clean",
                "git.head.signed",
                "git.head.tag_matches_version",
                "git.head.signature.verified",
                "git.tag.signature.verified",
                "git.claims.prespecified",
            ]
            .contains(f)
        }) {
            assert_eq!(
                stage, "release",
                "`{id}` checks a release property before release"
            );
        }
    }
    // IEC 62304 class B and C deliverables bind only those classes.
    let architecture = checks
        .iter()
        .find(|c| c["id"] == "iec62304.deliverables.architecture")
        .expect("the architecture control");
    assert!(architecture["applies_when"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("model.safety_class")));
}

/// `clic check --stage pre-commit --format json` on the fresh repository.
fn pre_commit(dir: &Path) -> Value {
    let out = clic()
        .arg("check")
        .arg(dir)
        .args(["--stage", "pre-commit", "--format", "json"])
        .assert()
        .code(1);
    serde_json::from_slice(&out.get_output().stdout).expect("JSON report")
}

/// The result of one control; `null` when there is none, which fails every assertion on it.
fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or(&Value::Null)
}

#[test]
fn the_rule_11_class_is_checked_against_the_declared_significance() {
    // Driving the management of a serious condition: IIa is right.
    let dir = repo("IIa", "drive-management situation serious");
    let report = pre_commit(dir.path());
    assert_eq!(
        result(&report, "mdr.classification.rule11-class")["status"],
        "passed"
    );
    assert_eq!(
        result(&report, "mdr.classification.rule-declared")["status"],
        "passed"
    );
    assert_eq!(
        result(&report, "iec62304.classification.safety-class-declared")["status"],
        "passed"
    );
    assert_eq!(
        result(&report, "iec62304.configuration.artifact-pinned")["status"],
        "passed"
    );
    // A document the manifest does not name does not exist: the control fails.
    assert_eq!(
        result(&report, "mdr.gspr.risk-management-system")["status"],
        "failed"
    );
    assert_eq!(report["gate"], "failed");

    // Driving the management of a critical condition is IIb: IIa is under-classified.
    let dir = repo("IIa", "drive-management situation critical");
    let report = pre_commit(dir.path());
    let r = result(&report, "mdr.classification.rule11-class");
    assert_eq!(r["status"], "failed");
    assert!(r["citations"]
        .as_array()
        .expect("citations")
        .iter()
        .any(|c| c["framework"] == "mdr" && c["clause"] == "Annex VIII Rule 11"));
    let failed: Vec<&str> = r["failed_expectations"]
        .as_array()
        .expect("failed expectations")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        failed.iter().any(|e| e.starts_with("model.class == IIb")),
        "{failed:?}"
    );
}
