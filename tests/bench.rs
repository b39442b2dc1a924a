//! The reference-set benchmark end to end on the example: scores agree with the Python
//! pipeline (pydicom + numpy + onnxruntime), evidence is cached and invalidated, broken
//! and identifying scans are reported; per-scan reuse, shards and their merge, the
//! cache's limit, and two runs at once.
#![expect(
    clippy::expect_used,
    reason = "the helpers of these tests fail loudly when a fixture cannot be set up"
)]

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
fn a_reference_patient_in_the_training_list_fails_patient_separation() {
    let dir = example_copy();
    let scan = dir.path().join("data/reference/cxr-0001.dcm");
    // The id is read from the file itself (clic shows identifiers only as present).
    let bytes = std::fs::read(&scan).expect("scan");
    let id = dicom_patient_id(&bytes);
    let list = dir.path().join("data/training-patients.txt");
    let mut text = std::fs::read_to_string(&list).expect("training list");
    text.push_str(&format!("  {id}  \n"));
    std::fs::write(&list, text).expect("write list");
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("patient-separation"))
        .stdout(predicate::str::contains("scans.leakage.patients = 1"))
        .stdout(predicate::str::contains(id.as_str()).not());
}

/// The PatientID (0010,0020) of an explicit-VR little-endian file, read from its bytes.
fn dicom_patient_id(bytes: &[u8]) -> String {
    let tag = [0x10, 0x00, 0x20, 0x00, b'L', b'O'];
    let at = bytes
        .windows(tag.len())
        .position(|w| w == tag)
        .expect("a PatientID element");
    let len = usize::from(u16::from_le_bytes([bytes[at + 6], bytes[at + 7]]));
    String::from_utf8_lossy(&bytes[at + 8..at + 8 + len])
        .trim_end_matches(['\0', ' '])
        .to_owned()
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

/// `clic bench --format json` on `project` with `args`: (stdout, stderr), asserting exit 0.
fn bench_json(project: &Path, args: &[&str], envs: &[(&str, &str)]) -> (String, String) {
    let mut cmd = clic();
    cmd.arg("bench")
        .arg(project)
        .args(["--format", "json"])
        .args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("clic runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(0), "clic bench {args:?}: {stderr}");
    (stdout, stderr)
}

/// A copy of `from` with the cache removed but the project secret of `secret_of` kept, so
/// its pseudonyms (and evidence) are those a run in `secret_of` makes.
fn cold_copy(from: &Path, secret_of: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_tree(from, dir.path());
    std::fs::create_dir_all(dir.path().join(".clic")).expect("mkdir");
    std::fs::copy(
        secret_of.join(".clic/secret"),
        dir.path().join(".clic/secret"),
    )
    .expect("secret");
    dir
}

/// A new version of an ONNX model that computes the same thing: an unknown field (number
/// 100, a string) appended to the serialized model, which protobuf readers skip.
fn new_model_version(path: &Path) {
    let mut bytes = std::fs::read(path).expect("model");
    bytes.extend_from_slice(&[0xa2, 0x06, 3, b'v', b'2', b'!']);
    std::fs::write(path, bytes).expect("write model");
}

fn whole_entries(project: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(project.join(".clic/cache"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("bench-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The scan files of a project's reference set, sorted.
fn scans_of(reference: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(reference)
        .expect("reference")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    out.sort();
    out
}

/// Cold, warm, one scan changed and a new model version: the evidence assembled from
/// per-scan records is the cold run's, byte for byte, and each run decodes and infers
/// only what changed.
fn per_scan_reuse_matches_a_cold_run(example: &Path, reference: &str, model: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_tree(example, dir.path());
    let p = dir.path();
    let (cold, log) = bench_json(p, &[], &[]);
    let total = scans_of(&p.join(reference)).len();
    assert!(log.contains(&format!("{total} decoded")), "{log}");
    let (warm, log) = bench_json(p, &[], &[]);
    assert!(log.contains("reused cached evidence"), "{log}");
    assert_eq!(warm, cold);

    // Without the whole-benchmark entry: assembled from per-scan records, nothing decoded
    // or inferred.
    for e in whole_entries(p) {
        std::fs::remove_file(e).expect("remove");
    }
    let (assembled, log) = bench_json(p, &[], &[]);
    assert!(
        log.contains(" 0 decoded") && log.contains(" 0 rows inferred"),
        "{log}"
    );
    assert_eq!(assembled, cold);

    // One scan changed (another scan's bytes): decoded and inferred alone.
    let scans = scans_of(&p.join(reference));
    std::fs::copy(&scans[1], &scans[0]).expect("change a scan");
    let (changed, log) = bench_json(p, &[], &[]);
    assert!(log.contains(" 1 decoded"), "{log}");
    let expected = bench_json(cold_copy(p, p).path(), &[], &[]).0;
    assert_eq!(changed, expected, "one scan changed: as a cold run");
    assert_ne!(changed, cold);

    // A new model version: every row inferred, no scan decoded.
    new_model_version(&p.join(model));
    let (new_model, log) = bench_json(p, &[], &[]);
    assert!(log.contains(" 0 decoded"), "{log}");
    let fresh = cold_copy(p, p);
    let (expected, log) = bench_json(fresh.path(), &[], &[]);
    assert!(log.contains(&format!("{total} decoded")), "{log}");
    assert_eq!(new_model, expected, "a new model: as a cold run");
}

#[test]
fn per_scan_evidence_is_reused_and_byte_identical_on_the_example() {
    per_scan_reuse_matches_a_cold_run(&example(), "data/reference", "model/cxr.onnx");
}

#[test]
fn per_scan_evidence_is_reused_and_byte_identical_on_cxr_findings() {
    per_scan_reuse_matches_a_cold_run(
        &common::root().join("examples/cxr-findings"),
        "data/reference",
        "model/cxr-findings.onnx",
    );
}

/// Three shards merged give the evidence of one run, byte for byte; shards that do not
/// fit together are refused with a code.
fn three_shards_merge_into_one_run(example: &Path) {
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_tree(example, dir.path());
    let p = dir.path();
    let (one, _) = bench_json(p, &[], &[]);
    // Each shard on a machine of its own: a cold copy with the project secret.
    let mut files = Vec::new();
    let mut scored = 0;
    for k in 1..=3 {
        let machine = cold_copy(p, p);
        let out = p.join(format!("shard-{k}.json"));
        let run = clic()
            .arg("bench")
            .arg(machine.path())
            .args(["--shard", &format!("{k}/3"), "--output"])
            .arg(&out)
            .output()
            .expect("runs");
        let log = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{log}");
        let n: usize = log
            .split("shard ")
            .nth(1)
            .and_then(|s| s.split(' ').nth(1))
            .and_then(|n| n.parse().ok())
            .expect("the shard says how many scans it scored");
        assert!(n > 0, "every shard holds some scans: {log}");
        scored += n;
        files.push(out);
    }
    assert_eq!(scored, scans_of(&p.join("data/reference")).len());
    let merge = |args: &[&std::path::PathBuf]| {
        let mut cmd = clic();
        cmd.args(["bench", "merge", "--format", "json", "--path"])
            .arg(p);
        for a in args {
            cmd.arg(a);
        }
        cmd.output().expect("runs")
    };
    let merged = merge(&[&files[2], &files[0], &files[1]]);
    assert_eq!(
        merged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&merged.stdout),
        one,
        "merged = one machine"
    );

    let refused = |out: std::process::Output, why: &str| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{why}: {err}");
        assert!(
            err.contains("clic::E020") && err.contains(why),
            "{why}: {err}"
        );
    };
    refused(merge(&[&files[0], &files[1]]), "missing");
    refused(
        merge(&[&files[0], &files[1], &files[1], &files[2]]),
        "twice",
    );
    // A shard of another split.
    let other = p.join("other.json");
    clic()
        .arg("bench")
        .arg(p)
        .args(["--shard", "1/2", "--output"])
        .arg(&other)
        .assert()
        .success();
    refused(merge(&[&files[0], &files[1], &other]), "one of");
    // A shard edited by hand.
    let edited = p.join("edited.json");
    let text = std::fs::read_to_string(&files[0]).expect("shard");
    std::fs::write(
        &edited,
        text.replacen("\"shard\":{\"k\":1", "\"shard\":{\"k\":1 ", 1),
    )
    .expect("edit");
    refused(merge(&[&edited, &files[1], &files[2]]), "does not verify");
    // Scored from another reference set (a scan changed after shard 3 ran).
    let scans = scans_of(&p.join("data/reference"));
    std::fs::copy(&scans[1], &scans[0]).expect("change a scan");
    refused(
        merge(&[&files[0], &files[1], &files[2]]),
        "other reference scans",
    );
}

#[test]
fn three_shards_merged_equal_one_run_on_the_example() {
    three_shards_merge_into_one_run(&example());
}

#[test]
fn three_shards_merged_equal_one_run_on_cxr_findings() {
    three_shards_merge_into_one_run(&common::root().join("examples/cxr-findings"));
}

#[test]
fn a_shard_that_is_not_k_of_n_is_refused_with_a_code() {
    let dir = example_copy();
    for bad in ["0/3", "4/3", "1/0", "a/b", "3", "-1/2"] {
        let out = clic()
            .arg("bench")
            .arg(dir.path())
            .args(["--shard", bad, "--output"])
            .arg(dir.path().join("s.json"))
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("clic::E020"), "{bad}: {err}");
    }
    // --shard without --output, and a merge of nothing, are refused too.
    let out = clic()
        .arg("bench")
        .arg(dir.path())
        .args(["--shard", "1/2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = clic().args(["bench", "merge"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let not_a_shard = dir.path().join("model.clic");
    let out = clic()
        .args(["bench", "merge", "--path"])
        .arg(dir.path())
        .arg(&not_a_shard)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("clic::E020") && err.contains("not a clic shard file"),
        "{err}"
    );
    assert!(!dir.path().join("s.json").exists());
}

#[test]
fn two_runs_at_once_on_one_project_agree_and_leave_a_sound_cache() {
    let dir = example_copy();
    let p = dir.path();
    // The secret first, so both runs key their pseudonyms alike.
    std::fs::create_dir_all(p.join(".clic")).expect("mkdir");
    std::fs::write(p.join(".clic/secret"), format!("{}\n", "ab".repeat(32))).expect("secret");
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("clic"))
            .arg("bench")
            .arg(p)
            .args(["--format", "json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(
        b.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    assert_eq!(a.stdout, b.stdout);
    for e in whole_entries(p) {
        std::fs::remove_file(e).expect("remove");
    }
    let (after, log) = bench_json(p, &[], &[]);
    assert_eq!(after.as_bytes(), a.stdout.as_slice());
    assert!(log.contains(" 0 decoded"), "{log}");
}

#[test]
fn the_cache_keeps_within_its_limit_and_gc_stats_and_clear_work() {
    let dir = example_copy();
    let p = dir.path();
    let (full, _) = bench_json(p, &[], &[]);
    let stats = clic()
        .args(["cache", "stats"])
        .arg(p)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&stats.stdout).into_owned();
    assert!(
        text.contains("tensors") && text.contains("scan records"),
        "{text}"
    );
    // A run under a small limit trims the cache to it, and its evidence is the same.
    for e in whole_entries(p) {
        std::fs::remove_file(e).expect("remove");
    }
    let (small, _) = bench_json(p, &["--cache-limit", "100KB"], &[]);
    assert_eq!(small, full);
    let size = |p: &Path| -> u64 {
        fn walk(d: &Path) -> u64 {
            std::fs::read_dir(d)
                .map(|r| {
                    r.flatten()
                        .map(|e| {
                            let m = e.metadata().expect("meta");
                            if m.is_dir() {
                                walk(&e.path())
                            } else {
                                m.len()
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&p.join(".clic/cache/scans"))
    };
    assert!(size(p) <= 100_000, "{}", size(p));
    // Under the variable too, and a bad value is refused.
    bench_json(p, &[], &[("CLIC_CACHE_LIMIT", "50KB")]);
    let out = clic()
        .args(["cache", "gc"])
        .arg(p)
        .env("CLIC_CACHE_LIMIT", "lots")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("clic::E020"));
    clic()
        .args(["cache", "gc", "--limit", "1"])
        .arg(p)
        .assert()
        .success();
    assert_eq!(size(p), 0);
    bench_json(p, &[], &[]);
    clic().args(["cache", "clear"]).arg(p).assert().success();
    assert_eq!(size(p), 0);
    assert!(whole_entries(p).is_empty());
    assert!(p.join(".clic/secret").exists(), "the secret stays");
    let (again, log) = bench_json(p, &[], &[]);
    assert_eq!(again, full);
    assert!(log.contains("309 decoded"), "{log}");
}
