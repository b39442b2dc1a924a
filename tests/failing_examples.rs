//! The failing examples (`examples/failing/*`) fail for the right reason: each with its exit
//! code and its one failing control (or diagnostic code), and nothing else fails. The passing
//! example passes. The examples are checked in place (clic writes only their `.clic/`).
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot run the binary or read its output should fail loudly"
)]

mod common;

use common::{clic, root};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Each example that fails the gate, with the one control that fails it.
const FAILS_THE_GATE: &[(&str, &str)] = &[
    ("identifying-scan", "gdpr.dicom_deid.no-identifiers"),
    ("hash-mismatch", "iec62304.configuration.artifact-pinned"),
    ("claim-not-met", "mdr.performance.sensitivity-claim"),
    ("expired-waiver", "mdr.performance.sensitivity-claim"),
    ("missing-document", "gdpr.dpia.dpia-approved"),
    ("finding-below-claim", "mdr.performance.finding-claims"),
    (
        "worse-than-released",
        "iec62304.change_control.noninferior-to-released",
    ),
    (
        "worse-than-readers",
        "mdr.performance.noninferior-to-readers",
    ),
    (
        "seg-below-claim",
        "performance.segmentation.structure-claims-met",
    ),
];

/// Examples whose input is invalid (exit code 2).
/// Examples clic refuses as bad input (exit 2), with the code their README names.
const INVALID: &[(&str, &str)] = &[
    ("syntax-error", "clic::E001"),
    ("seg-wrong-geometry", "clic::E022"),
];

fn failing(name: &str) -> PathBuf {
    root().join("examples/failing").join(name)
}

/// `clic check DIR --format json ARGS`: the exit code and the report.
fn check_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = clic()
        .arg("check")
        .arg(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("clic runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON report ({e}); stderr:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), report)
}

fn results(report: &Value) -> &Vec<Value> {
    report["results"].as_array().expect("results")
}

/// Ids of the results that fail the gate's way: failed, unavailable, or with an expired waiver.
fn not_passing(report: &Value) -> Vec<String> {
    results(report)
        .iter()
        .filter(|r| {
            matches!(r["status"].as_str(), Some("failed" | "unavailable"))
                || r["waiver"]["state"] == "expired"
        })
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    results(report)
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

/// Checks the example and asserts exit code 1, a failed gate, and that `control` is the one
/// control that does not pass. Returns the report.
fn fails_only(name: &str, control: &str) -> Value {
    let (code, report) = check_json(&failing(name), &[]);
    assert_eq!(code, 1, "{name}: exit code");
    assert_eq!(report["gate"], "failed", "{name}: gate");
    assert_eq!(
        not_passing(&report),
        vec![control.to_string()],
        "{name}: exactly one control fails"
    );
    assert_eq!(result(&report, control)["status"], "failed", "{name}");
    assert_eq!(report["summary"]["failed"], 1, "{name}");
    assert_eq!(report["summary"]["unavailable"], 0, "{name}");
    assert!(
        results(&report).len() >= 5,
        "{name}: the policies in force were checked"
    );
    report
}

fn observed<'a>(result: &'a Value, fact: &str) -> &'a Value {
    result["observed"]
        .as_array()
        .expect("observed")
        .iter()
        .find(|o| o["fact"] == fact)
        .map(|o| &o["value"])
        .unwrap_or_else(|| panic!("{fact} not observed"))
}

#[test]
fn identifying_scan_fails_deidentification_only() {
    let report = fails_only("identifying-scan", "gdpr.dicom_deid.no-identifiers");
    let r = result(&report, "gdpr.dicom_deid.no-identifiers");
    assert_eq!(
        observed(r, "scans.deid.files_with_identifiers")["number"],
        1.0,
        "the one scan with a name and birth date"
    );
    let text = report.to_string();
    assert!(
        !text.contains("DOE^JANE") && !text.contains("19580412"),
        "the report never shows identifying values"
    );
}

#[test]
fn hash_mismatch_fails_the_pin_only() {
    let report = fails_only("hash-mismatch", "iec62304.configuration.artifact-pinned");
    let r = result(&report, "iec62304.configuration.artifact-pinned");
    assert_eq!(observed(r, "artifact.sha256_matches")["bool"], false);
    // A different model, not a broken one: it loads and runs like the pinned one.
    for id in [
        "iec62304.configuration.artifact-loads",
        "iec62304.configuration.manifest-agrees",
        "mdr.performance.sensitivity-claim",
    ] {
        assert_eq!(result(&report, id)["status"], "passed", "{id}");
    }
}

#[test]
fn claim_not_met_fails_the_sensitivity_claim_only() {
    let report = fails_only("claim-not-met", "mdr.performance.sensitivity-claim");
    let r = result(&report, "mdr.performance.sensitivity-claim");
    let sensitivity = &observed(r, "benchmark.sensitivity")["record"];
    let value = sensitivity["value"]["number"].as_f64().expect("value");
    let low = sensitivity["ci95"]["record"]["low"]["number"]
        .as_f64()
        .expect("ci95.low");
    // The point estimate clears the 80% claim; the 95% lower bound does not.
    assert!(value >= 0.8 && low < 0.8, "{value} {low}");
    assert_eq!(r["waiver"], Value::Null);
}

#[test]
fn expired_waiver_fails_the_gate_and_held_through_its_expiry_day() {
    let id = "mdr.performance.sensitivity-claim";
    let report = fails_only("expired-waiver", id);
    let waiver = &result(&report, id)["waiver"];
    assert_eq!(waiver["state"], "expired");
    assert_eq!(waiver["waiver"]["expires"], "2024-01-31");

    // The expiry is the only reason: on its last day the waiver applies and the gate passes.
    let dir = failing("expired-waiver");
    let (code, report) = check_json(&dir, &["--today", "2024-01-31"]);
    assert_eq!(code, 0, "waived on its expiry day");
    assert_eq!(report["gate"], "passed");
    assert_eq!(result(&report, id)["status"], "waived");
    assert_eq!(result(&report, id)["waiver"]["state"], "applied");
    assert!(not_passing(&report).is_empty());

    let (code, report) = check_json(&dir, &["--today", "2024-02-01"]);
    assert_eq!(code, 1, "expired the day after");
    assert_eq!(not_passing(&report), vec![id.to_string()]);
}

#[test]
fn missing_document_fails_the_dpia_only() {
    let report = fails_only("missing-document", "gdpr.dpia.dpia-approved");
    let r = result(&report, "gdpr.dpia.dpia-approved");
    let dpia = &observed(r, "documents.dpia")["record"];
    assert_eq!(dpia["declared"]["bool"], true, "the manifest names it");
    assert_eq!(dpia["exists"]["bool"], false, "the file is not there");
    assert_eq!(dpia["path"]["string"], "docs/dpia.md");
    assert!(!failing("missing-document").join("docs/dpia.md").exists());
}

#[test]
fn syntax_error_is_invalid_input_with_e001_only() {
    let out = clic()
        .arg("check")
        .arg(failing("syntax-error"))
        .args(["--format", "json"])
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no report on invalid input");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("clic::E").count(),
        1,
        "one diagnostic:\n{stderr}"
    );
    assert!(stderr.contains("clic::E001"), "{stderr}");
    assert!(stderr.contains("model.clic:24:16"), "{stderr}");
}

#[test]
fn human_output_names_the_failing_control() {
    let out = clic()
        .arg("check")
        .arg(failing("hash-mismatch"))
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failures: Vec<&str> = stdout.lines().filter(|l| l.contains("FAIL")).collect();
    assert_eq!(
        failures.len(),
        2,
        "one failing control and the gate:\n{stdout}"
    );
    assert!(
        failures[0].contains("artifact-pinned [blocker]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("artifact.sha256_matches = false"),
        "{stdout}"
    );
    assert!(stdout.contains(", 1 failed, 0 unavailable,"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("gate: FAILED"));
}

#[test]
fn the_passing_example_passes() {
    let (code, report) = check_json(&root().join("examples/chest-xray-triage"), &[]);
    assert_eq!(code, 0);
    assert_eq!(report["gate"], "passed");
    assert!(
        not_passing(&report).is_empty(),
        "{:?}",
        not_passing(&report)
    );
    assert_eq!(report["summary"]["failed"], 0);
}

#[test]
fn finding_below_claim_fails_that_finding_claim_only() {
    let report = fails_only("finding-below-claim", "mdr.performance.finding-claims");
    let r = result(&report, "mdr.performance.finding-claims");
    let findings = observed(r, "benchmark.findings")["list"]
        .as_array()
        .expect("findings");
    let unmet: Vec<String> = findings
        .iter()
        .flat_map(|f| {
            let name = f["record"]["name"]["string"]
                .as_str()
                .unwrap_or("")
                .to_string();
            f["record"]["claims_unmet"]["list"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |c| format!("{name}: {}", c["string"].as_str().unwrap_or("")))
        })
        .collect();
    assert_eq!(unmet, vec!["effusion: auc 0.98".to_string()]);
}

#[test]
fn worse_than_released_fails_non_inferiority_and_the_moved_operating_point() {
    let (code, report) = check_json(&failing("worse-than-released"), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["gate"], "failed");
    assert_eq!(
        not_passing(&report),
        vec![
            "iec62304.change_control.noninferior-to-released".to_string(),
            "iec62304.change_control.operating-point-recalibrated".to_string(),
        ]
    );
    let r = result(&report, "iec62304.change_control.noninferior-to-released");
    assert_eq!(observed(r, "benchmark.compare.noninferior")["bool"], false);
    // Every absolute claim is still met: only the comparison tells.
    assert_eq!(
        result(&report, "mdr.performance.finding-claims")["status"],
        "passed"
    );
    assert_eq!(
        result(&report, "mdr.performance.macro-claims")["status"],
        "passed"
    );
}

#[test]
fn worse_than_readers_fails_non_inferiority_to_the_readers_only() {
    let report = fails_only(
        "worse-than-readers",
        "mdr.performance.noninferior-to-readers",
    );
    let r = result(&report, "mdr.performance.noninferior-to-readers");
    assert_eq!(
        observed(r, "benchmark.compare.readers_noninferior")["bool"],
        false
    );
    // The model is the passing example's: its claims and the released comparison hold.
    for id in [
        "mdr.performance.finding-claims",
        "iec62304.change_control.noninferior-to-released",
    ] {
        assert_eq!(result(&report, id)["status"], "passed", "{id}");
    }
}

#[test]
fn seg_below_claim_fails_the_spleen_dice_claim_only() {
    let report = fails_only(
        "seg-below-claim",
        "performance.segmentation.structure-claims-met",
    );
    let r = result(&report, "performance.segmentation.structure-claims-met");
    let shown = r.to_string();
    assert!(shown.contains("spleen"), "{shown}");
}

#[test]
fn seg_wrong_geometry_is_refused_naming_the_mask_and_what_differs() {
    let out = clic()
        .arg("check")
        .arg(failing("seg-wrong-geometry"))
        .output()
        .expect("clic runs");
    let t =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{t}");
    for said in [
        "clic::E022",
        "line 3 of the masks file",
        "series-05.nii.gz",
        "origin",
    ] {
        assert!(t.contains(said), "`{said}` not in: {t}");
    }
}

/// Every example under `examples/failing/` is tested here, documented, and small.
#[test]
fn every_failing_example_is_tested_documented_and_small() {
    let mut found: Vec<String> = std::fs::read_dir(root().join("examples/failing"))
        .expect("examples/failing")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "tools")
        .collect();
    found.sort();
    let mut tested: Vec<String> = FAILS_THE_GATE
        .iter()
        .map(|(n, _)| *n)
        .chain(INVALID.iter().map(|(n, _)| *n))
        .map(str::to_string)
        .collect();
    tested.sort();
    assert_eq!(found, tested);
    for name in found {
        let dir = failing(&name);
        let readme = std::fs::read_to_string(dir.join("README.md")).expect("README.md");
        let expected = FAILS_THE_GATE
            .iter()
            .chain(INVALID)
            .find(|(n, _)| *n == name)
            .map_or("", |(_, id)| id);
        assert!(
            readme.contains(expected),
            "{name}/README.md names {expected}"
        );
        assert!(dir.join("model.clic").is_file(), "{name}");
        assert!(size(&dir) < 1_000_000, "{name} is over 1 MB");
    }
}

/// Bytes under a folder, not counting clic's own `.clic/`.
fn size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("readable")
        .flatten()
        .filter(|e| e.file_name() != ".clic")
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                size(&path)
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}
