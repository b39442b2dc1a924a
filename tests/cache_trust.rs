//! A cache that cannot lie (issue 11, section 5): a scan rewritten in place with its
//! size and modification time restored, cached evidence edited by hand, evidence of
//! another backend, and pseudonyms that an attacker could brute-force.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, example_copy, text};
use serde_json::Value;
use std::path::Path;

const DEID: &str = "gdpr.dicom_deid.no-identifiers";

/// The identifying test scan, and the same bytes with the patient's name blanked: two
/// files of one size, one clean and one not.
fn identifying_and_clean() -> (Vec<u8>, Vec<u8>) {
    let identifying = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cxr-0001-identifying.dcm"),
    )
    .expect("identifying scan");
    let mut clean = identifying.clone();
    // The patient's name and birth date, the file's two identifiers, blanked in place.
    for value in [b"Doe^Jane".as_slice(), b"19700101".as_slice()] {
        let at = identifying
            .windows(value.len())
            .position(|w| w == value)
            .expect("the identifier is in the file");
        clean[at..at + value.len()].fill(b' ');
    }
    (identifying, clean)
}

fn status_of(project: &Path, control: &str) -> String {
    let out = clic()
        .arg("check")
        .arg(project)
        .args(["--stage", "ci", "--format", "json"])
        .output()
        .expect("clic runs");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no report ({e}): {}", text(&out)));
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == control)
        .unwrap_or_else(|| panic!("no result for {control}"))["status"]
        .as_str()
        .expect("status")
        .to_string()
}

#[test]
fn a_scan_rewritten_in_place_with_its_size_and_mtime_restored_is_hashed_again() {
    let dir = example_copy();
    let p = dir.path();
    let (identifying, clean) = identifying_and_clean();
    let scan = p.join("data/reference/cxr-0001.dcm");
    std::fs::write(&scan, &clean).expect("write");
    assert_eq!(status_of(p, DEID), "passed", "the blanked scan is clean");

    // Rewrite it in place, same size, and put the old modification time back.
    let mtime = std::fs::metadata(&scan)
        .expect("meta")
        .modified()
        .expect("mtime");
    std::fs::write(&scan, &identifying).expect("rewrite");
    std::fs::File::options()
        .write(true)
        .open(&scan)
        .expect("open")
        .set_modified(mtime)
        .expect("restore mtime");
    assert_eq!(
        std::fs::metadata(&scan)
            .expect("meta")
            .modified()
            .expect("mtime"),
        mtime
    );
    assert_eq!(status_of(p, DEID), "failed", "the identifying scan is seen");
}

fn bench(project: &Path, envs: &[(&str, &str)]) -> (String, Value) {
    let mut cmd = clic();
    cmd.arg("bench").arg(project).args(["--format", "json"]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("clic runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "clic bench: {}",
        text(&out)
    );
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", text(&out)));
    (String::from_utf8_lossy(&out.stderr).into_owned(), json)
}

fn cache_entries(project: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(project.join(".clic/cache"))
        .expect("cache")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("bench-"))
        })
        .collect()
}

#[test]
fn cached_evidence_edited_by_hand_is_a_miss() {
    let dir = example_copy();
    let p = dir.path();
    let (_, fresh) = bench(p, &[]);
    let (warm_log, warm) = bench(p, &[]);
    assert!(warm_log.contains("reused cached evidence"), "{warm_log}");
    assert_eq!(warm, fresh);

    // Forge it: a higher sensitivity in the stored evidence, as a text edit.
    let entries = cache_entries(p);
    assert_eq!(entries.len(), 1);
    let bytes = std::fs::read(&entries[0]).expect("entry");
    let text_entry = String::from_utf8(bytes).expect("utf-8");
    let forged = text_entry.replacen("\"label\":false", "\"label\":true", 1);
    assert_ne!(forged, text_entry, "the forgery changed the entry");
    std::fs::write(&entries[0], forged).expect("forge");
    let (log, after) = bench(p, &[]);
    assert!(!log.contains("reused cached evidence"), "{log}");
    assert_eq!(after, fresh, "recomputed, not the forgery");

    // An entry written without the MAC, as a hand-made file would be, is a miss too.
    let entries = cache_entries(p);
    let bytes = std::fs::read(&entries[0]).expect("entry");
    let body = &bytes[bytes.iter().position(|&b| b == b'\n').expect("header") + 1..];
    std::fs::write(&entries[0], body).expect("strip");
    let (log, _) = bench(p, &[]);
    assert!(!log.contains("reused cached evidence"), "{log}");
}

#[test]
fn evidence_of_one_backend_is_not_reused_for_another() {
    let Some(_) = clic_runner::engine::find_pip_onnxruntime() else {
        common::skip::skip("ONNX Runtime", "pip install onnxruntime==1.31.1");
        return;
    };
    let dir = example_copy();
    let p = dir.path();
    let (_, tract) = bench(p, &[("CLIC_BACKEND", "tract")]);
    let (log, ort) = bench(p, &[]);
    assert!(!log.contains("reused cached evidence"), "{log}");
    assert_eq!(tract["backend"], "tract", "{tract}");
    assert_eq!(ort["backend"], "onnxruntime", "{ort}");
}

#[test]
fn pseudonyms_are_keyed_by_a_project_secret_that_is_never_committed() {
    let dir = example_copy();
    let p = dir.path();
    bench(p, &[]);
    let secret = p.join(".clic/secret");
    assert!(secret.is_file(), "the project secret exists");
    let ignore = std::fs::read_to_string(p.join(".clic/.gitignore")).expect(".gitignore");
    assert!(ignore.lines().any(|l| l.trim() == "*"), "{ignore}");
    // The example's patient ids are REF-0001 ...: their plain sha256 is nowhere in the cache.
    // Nor the digest a shard is chosen by.
    let plain = clic_runner::facts::artifact::sha256_hex(b"REF-0143");
    let shard = clic_runner::facts::artifact::sha256_hex(b"patient\0REF-0143");
    let mut files = Vec::new();
    let mut folders = vec![p.join(".clic/cache")];
    while let Some(d) = folders.pop() {
        for e in std::fs::read_dir(&d).expect("cache").flatten() {
            if e.file_type().expect("type").is_dir() {
                folders.push(e.path());
            } else {
                files.push(e);
            }
        }
    }
    assert!(files.len() > 300, "per-scan entries are searched too");
    for e in files {
        let bytes = std::fs::read(e.path()).expect("read");
        let s = String::from_utf8_lossy(&bytes);
        assert!(
            !s.contains(&plain),
            "{} holds an unsalted id",
            e.path().display()
        );
        assert!(!s.contains("REF-0143"));
        assert!(
            !s.contains(&shard[..16]),
            "{} holds a shard digest",
            e.path().display()
        );
    }
}

#[test]
fn inspect_scan_json_holds_no_pseudonym_of_the_patient() {
    let scan = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cxr-0001-identifying.dcm");
    let out = clic()
        .args(["inspect", "scan"])
        .arg(&scan)
        .arg("--json")
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = String::from_utf8_lossy(&out.stdout);
    let plain = clic_runner::facts::artifact::sha256_hex(b"REF-0143");
    assert!(
        !s.contains(&plain),
        "the unsalted sha256 of the PatientID is printed"
    );
    assert!(!s.contains("patient_hash"), "{s}");
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(d) = folders.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                folders.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn forged_edited_and_torn_per_scan_entries_are_recomputed_never_trusted() {
    let dir = example_copy();
    let p = dir.path();
    // The scans' own entries: a perturbed tensor torn would be recomputed from its scan's
    // (valid) reading, and the counts below would not add up.
    common::without_robustness(p);
    let (_, fresh) = bench(p, &[]);
    let drop_whole = || {
        for e in cache_entries(p) {
            std::fs::remove_file(e).expect("remove");
        }
    };
    let scans = p.join(".clic/cache/scans");
    // Every model row forged: its value changed, the MAC line kept (an edit), or the MAC
    // recomputed as a plain sha256 (a forgery without the secret).
    for (i, entry) in files_under(&scans.join("score")).into_iter().enumerate() {
        let mut bytes = std::fs::read(&entry).expect("entry");
        let n = bytes.len();
        bytes[n - 1] ^= 0x40;
        if i % 2 == 1 {
            let body_at = bytes.iter().position(|&b| b == b'\n').expect("header") + 1;
            let mac = clic_runner::facts::artifact::sha256_hex(&bytes[body_at..]);
            let mut forged = format!("clic-scan-entry/1 hmac-sha256 {mac}\n").into_bytes();
            forged.extend_from_slice(&bytes[body_at..]);
            bytes = forged;
        }
        std::fs::write(&entry, bytes).expect("forge");
    }
    // Tensors torn (half written) and reading records edited.
    for entry in files_under(&scans.join("tensor")).into_iter().take(5) {
        let bytes = std::fs::read(&entry).expect("entry");
        std::fs::write(&entry, &bytes[..bytes.len() / 2]).expect("tear");
    }
    for entry in files_under(&scans.join("read")).into_iter().take(3) {
        let text = std::fs::read_to_string(&entry).expect("entry");
        std::fs::write(
            &entry,
            text.replacen("\"modality\":\"", "\"modality\":\"X", 1),
        )
        .expect("edit");
    }
    drop_whole();
    let (log, after) = bench(p, &[]);
    assert_eq!(after, fresh, "recomputed, not the forgeries");
    assert!(log.contains("309 rows inferred"), "{log}");
    assert!(
        log.contains(" 8 decoded"),
        "the 5 torn tensors and the 3 edited records are read again: {log}"
    );
    // The recomputed entries replaced the forged ones.
    drop_whole();
    let (log, again) = bench(p, &[]);
    assert_eq!(again, fresh);
    assert!(
        log.contains(" 0 decoded") && log.contains(" 0 rows inferred"),
        "{log}"
    );
}
