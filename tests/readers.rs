//! The comparison with readers (`compare with readers "data/readers.csv"`) end to end: the
//! example compares its model with three readers and passes its margins; every fault of
//! the readers' file is E022 with exit status 2, a label on the manifest line that names
//! the file and the CSV line at fault, never a panic; a readers' file outside the project
//! is refused before anything is read.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, copy_tree, root, text};
use serde_json::Value;
use std::path::Path;

/// A copy of the failing variant with the expert readers (24 studies: quick to score).
fn variant() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &root().join("examples/failing/worse-than-readers"),
        tmp.path(),
    );
    tmp
}

/// `clic check DIR` refuses the project with E022, exit status 2, and says `words`.
fn refused(dir: &Path, words: &[&str]) {
    let out = clic().arg("check").arg(dir).output().expect("clic runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    assert_eq!(all.matches("clic::E").count(), 1, "one diagnostic:\n{all}");
    assert!(all.contains("clic::E022"), "{all}");
    // miette wraps the message to the terminal's width: match it as one line of words.
    let flat = all
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    for w in words {
        assert!(flat.contains(w), "{w:?} not in:\n{all}");
    }
    assert!(
        flat.contains("model.clic") && flat.contains("compare with readers \"data/readers.csv\""),
        "the manifest line that names the file is shown:\n{all}"
    );
}

/// The variant's readers' file with `f` applied to its lines (the header first).
fn with_readers(dir: &Path, f: impl FnOnce(&mut Vec<String>)) {
    let path = dir.join("data/readers.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .expect("readers.csv")
        .lines()
        .map(str::to_string)
        .collect();
    f(&mut lines);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
}

#[test]
fn the_example_is_non_inferior_to_its_readers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cxr-findings");
    copy_tree(&root().join("examples/cxr-findings"), &dir);
    let run = clic()
        .args(["bench", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("clic runs");
    assert!(run.status.success(), "{}", text(&run));
    let out: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let r = &out["findings"]["readers"];
    assert_eq!(r["readers"], serde_json::json!(["R1", "R2", "R3"]));
    assert_eq!(r["key"], "StudyInstanceUID");
    assert_eq!(r["noninferior"], true, "{r}");
    assert_eq!(r["unverified_margins"], serde_json::json!([]));
    let kinds: Vec<&str> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, vec!["calls", "calls", "scores"]);
    for f in r["findings"].as_array().expect("findings") {
        let entries = f["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), 4, "the pool and three readers");
        assert_eq!(entries[0]["reader"], "pooled");
        assert_eq!(entries[0]["readers"], 3);
        // R3 read about two thirds of the studies.
        assert!(entries[3]["n"].as_u64() < entries[1]["n"].as_u64(), "{f}");
        for e in entries {
            let deltas = ["delta_auc", "delta_sensitivity", "delta_specificity"];
            let given: Vec<&str> = deltas
                .iter()
                .copied()
                .filter(|d| !e[*d].is_null())
                .collect();
            let want: &[&str] = if f["kind"] == "scores" {
                &["delta_auc"]
            } else {
                &["delta_sensitivity", "delta_specificity"]
            };
            assert_eq!(given, want, "{e}");
            for d in given {
                let (lo, v, hi) = (
                    e[d]["low"].as_f64().expect("low"),
                    e[d]["value"].as_f64().expect("value"),
                    e[d]["high"].as_f64().expect("high"),
                );
                assert!(lo <= v && v <= hi, "{d}: {e}");
            }
        }
    }
    // The check reads the same evidence: the control passes.
    let run = clic()
        .args(["check", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("clic runs");
    let report: Value = serde_json::from_slice(&run.stdout).expect("JSON report");
    let result = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == "mdr.performance.noninferior-to-readers")
        .expect("the control ran");
    assert_eq!(result["status"], "passed", "{result}");
}

#[test]
fn a_missing_readers_file_is_named_on_its_manifest_line() {
    let tmp = variant();
    std::fs::remove_file(tmp.path().join("data/readers.csv")).expect("rm");
    refused(
        tmp.path(),
        &["readers' file `data/readers.csv`", "does not exist"],
    );
}

#[test]
fn a_bad_header_is_refused() {
    let tmp = variant();
    with_readers(tmp.path(), |l| {
        l[0] = "radiologist,StudyInstanceUID,pneumothorax,effusion,cardiomegaly".to_string();
    });
    refused(tmp.path(), &["line 1", "not `reader`"]);
    with_readers(tmp.path(), |l| {
        l[0] = "reader,accession,pneumothorax,effusion,cardiomegaly".to_string();
    });
    refused(tmp.path(), &["line 1", "`accession`", "not the unit's key"]);
}

#[test]
fn an_unknown_finding_column_is_refused_with_the_closest_finding() {
    let tmp = variant();
    with_readers(tmp.path(), |l| {
        l[0] = "reader,StudyInstanceUID,pneumothorax,efusion,cardiomegaly".to_string();
    });
    refused(
        tmp.path(),
        &["line 1", "`efusion`", "did you mean `effusion`"],
    );
}

#[test]
fn a_unit_not_in_the_reference_set_is_refused_without_its_uid() {
    let tmp = variant();
    let uid = "1.2.826.0.1.3680043.8.498.1";
    with_readers(tmp.path(), |l| {
        l.push(format!("E1,{uid},positive,negative,0.50"));
    });
    let n = std::fs::read_to_string(tmp.path().join("data/readers.csv"))
        .expect("csv")
        .lines()
        .count();
    refused(
        tmp.path(),
        &[&format!("line {n}"), "its StudyInstanceUID matches no unit"],
    );
    let out = clic().arg("check").arg(tmp.path()).output().expect("runs");
    assert!(!text(&out).contains(uid), "a UID is never shown");
}

#[test]
fn a_bad_cell_is_refused() {
    let tmp = variant();
    with_readers(tmp.path(), |l| {
        l[2] = l[2]
            .replacen("positive", "probably", 1)
            .replacen("negative", "probably", 1);
    });
    refused(tmp.path(), &["line 3", "`probably` is not a score"]);
}

#[test]
fn a_second_row_of_a_reader_on_a_unit_is_refused() {
    let tmp = variant();
    with_readers(tmp.path(), |l| {
        let again = l[1].clone();
        l.push(again);
    });
    refused(tmp.path(), &["reader `E1` reads the unit of line 2 again"]);
}

#[test]
fn a_reader_without_reads_is_refused() {
    let tmp = variant();
    with_readers(tmp.path(), |l| {
        let uid = l[1].split(',').nth(1).expect("uid").to_string();
        l.push(format!("E3,{uid},,,"));
    });
    refused(tmp.path(), &["the reader `E3` reads no unit"]);
}

#[test]
fn a_readers_file_outside_the_project_is_refused() {
    let tmp = variant();
    let manifest = tmp.path().join("model.clic");
    let text_of = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(
        &manifest,
        text_of.replace(
            "compare with readers \"data/readers.csv\"",
            "compare with readers \"../readers.csv\"",
        ),
    )
    .expect("write");
    let out = clic().arg("check").arg(tmp.path()).output().expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("clic::E022"), "{all}");
    assert!(all.contains("readers' file `../readers.csv`"), "{all}");
}
