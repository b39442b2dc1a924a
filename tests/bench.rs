//! The reference-set benchmark end to end on the example: scores agree with the Python
//! pipeline (pydicom + numpy + onnxruntime), evidence is cached and invalidated, broken
//! and identifying scans are reported.

mod common;

use common::{clic, example, example_copy};
use predicates::prelude::*;
use std::path::Path;

#[test]
fn scores_agree_with_the_python_pipeline() {
    let dir = example_copy();
    let csv = dir.path().join("predictions.csv");
    clic()
        .arg("bench")
        .arg(dir.path())
        .arg("--predictions")
        .arg(&csv)
        .assert()
        .success();
    let ours = std::fs::read_to_string(&csv).expect("predictions written");
    let reference = std::fs::read_to_string(example().join("model/reference-scores.csv"))
        .expect("reference scores");
    let python: std::collections::BTreeMap<&str, f64> = reference
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((*f.first()?, f.get(2)?.parse().ok()?))
        })
        .collect();
    let mut compared = 0;
    for line in ours.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let score: f64 = f[3].parse().expect("score");
        let expected = python.get(f[0]).expect("every scan scored by Python too");
        assert!(
            (score - expected).abs() < 1e-4,
            "{}: clic {score}, Python {expected}",
            f[0]
        );
        assert_eq!(f[1].len(), 64, "sha256 of the file");
        compared += 1;
    }
    assert_eq!(compared, 309);
    assert!(
        !ours.contains("REF-"),
        "no patient id reaches the predictions"
    );
}

#[test]
fn json_evidence_has_every_metric_with_n_interval_and_method() {
    let dir = example_copy();
    let out = clic()
        .arg("bench")
        .arg(dir.path())
        .args(["--format", "json"])
        .assert()
        .success();
    let ev: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(ev["format"], "clic.bench/1");
    let overall = &ev["overall"];
    assert_eq!(overall["n"], 309);
    assert_eq!(overall["positives"], 102);
    // sklearn.metrics.roc_auc_score on model/reference-scores.csv (Python pipeline): 0.9465.
    let auc = overall["auc"]["value"].as_f64().expect("auc");
    assert!((auc - 0.9465).abs() < 5e-4, "{auc}");
    assert_eq!(overall["auc"]["ci95"]["method"], "delong");
    assert_eq!(overall["sensitivity"]["ci95"]["method"], "wilson");
    assert_eq!(overall["confusion"]["tp"], 83);
    assert_eq!(overall["confusion"]["tn"], 204);
    for group in ["Manufacturer", "Modality", "PatientSex", "AgeBand"] {
        assert!(
            ev["subgroups"][group]
                .as_object()
                .is_some_and(|g| g.len() >= 2),
            "{group}"
        );
    }
    assert_eq!(
        ev["subgroups"]["Manufacturer"]
            .as_object()
            .map(serde_json::Map::len),
        Some(5)
    );
}

#[test]
fn evidence_is_cached_and_recomputed_when_an_input_changes() {
    let dir = example_copy();
    clic()
        .arg("bench")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("reused").not());
    assert!(
        dir.path().join(".clic/.gitignore").exists(),
        "the cache ignores itself"
    );
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .stderr(predicate::str::contains("reused cached benchmark evidence"));
    let labels = dir.path().join("data/reference/labels.yaml");
    let text = std::fs::read_to_string(&labels).expect("labels").replacen(
        "cxr-0001.dcm: {label: 0",
        "cxr-0001.dcm: {label: 1",
        1,
    );
    std::fs::write(&labels, text).expect("write");
    clic()
        .arg("bench")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("reused").not());
    clic()
        .arg("bench")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("reused cached evidence"));
}

#[test]
fn the_example_passes_its_performance_controls_and_a_named_scan_fails_deid() {
    let dir = example_copy();
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("gate: passed"));
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cxr-0001-identifying.dcm"),
        dir.path().join("data/reference/cxr-0001.dcm"),
    )
    .expect("copy");
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no-identifiers"))
        .stdout(predicate::str::contains(
            "scans.deid.files_with_identifiers = 1",
        ))
        .stdout(predicate::str::contains("Doe").not())
        .stdout(predicate::str::contains("Jane").not());
}

#[test]
fn a_broken_scan_stops_the_benchmark_with_its_name() {
    let dir = example_copy();
    let victim = dir.path().join("data/reference/cxr-0002.dcm");
    let bytes = std::fs::read(&victim).expect("scan");
    std::fs::write(&victim, &bytes[..bytes.len() / 3]).expect("truncate");
    clic()
        .arg("bench")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E022"))
        .stderr(predicate::str::contains("cxr-0002.dcm"));
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cxr-0002.dcm"));
}

#[test]
fn inspect_scan_shows_identifying_attributes_only_as_present() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cxr-0001-identifying.dcm");
    clic()
        .args(["inspect", "scan"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("PatientName"))
        .stdout(predicate::str::contains("Doe").not())
        .stdout(predicate::str::contains("19700101").not())
        .stdout(predicate::str::contains("64").or(predicate::str::contains("128")));
    clic()
        .args(["inspect", "scan", "--json"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"min\""));
    clic()
        .args(["inspect", "scan"])
        .arg(example().join("model.clic"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E022"));
}

#[test]
fn an_inference_error_stops_the_benchmark_instead_of_hanging() {
    // The model takes 64x64 images; 32x32 tensors make every batch fail in the engine
    // while the decoding threads still have most of the 309 scans ahead of them.
    let dir = example_copy();
    let manifest = dir.path().join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, text.replace("resize 64 x 64", "resize 32 x 32")).expect("write");
    let out = clic()
        .arg("bench")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("clic runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
