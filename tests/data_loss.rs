//! Nothing the user owns is destroyed: `clic dossier --out` replaces only a folder clic
//! wrote, and `--output` / `--predictions` write only to a regular file or a new path
//! (issue 11, section 1). Each case here destroyed data before.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, example_copy, git, snapshot, text};
use std::path::Path;

fn dossier(project: &Path, out: &Path) -> std::process::Output {
    clic()
        .arg("dossier")
        .arg(project)
        .arg("--out")
        .arg(out)
        .arg("--today")
        .arg("2026-12-01")
        .output()
        .expect("clic runs")
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn dossier_out_onto_the_project_with_a_stray_evidence_json_deletes_nothing() {
    let dir = example_copy();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    std::fs::write(p.join("evidence.json"), "{}\n").expect("write");
    let before = snapshot(p);
    let out = dossier(p, p);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("clic::E020"), "{}", text(&out));
    assert_eq!(snapshot(p), before, "the project was changed");
}

#[test]
fn dossier_out_onto_a_user_folder_holding_a_file_named_evidence_json_is_refused() {
    let dir = example_copy();
    let p = dir.path();
    let t = tempfile::tempdir().expect("temp dir");
    let theirs = t.path().join("reports");
    std::fs::create_dir(&theirs).expect("mkdir");
    std::fs::write(theirs.join("evidence.json"), r#"{"mine": true}"#).expect("write");
    std::fs::write(theirs.join("thesis.docx"), "years of work").expect("write");
    let before = snapshot(&theirs);
    let out = dossier(p, &theirs);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(snapshot(&theirs), before);
}

#[test]
fn a_dossier_with_a_file_added_by_the_user_is_not_replaced() {
    let dir = example_copy();
    let p = dir.path();
    let t = tempfile::tempdir().expect("temp dir");
    let out_dir = t.path().join("dossier");
    let first = dossier(p, &out_dir);
    assert!(
        matches!(first.status.code(), Some(0 | 1)),
        "{}",
        text(&first)
    );
    // A real dossier is replaced: twice the same run leaves one folder and nothing else.
    let again = dossier(p, &out_dir);
    assert_eq!(again.status.code(), first.status.code(), "{}", text(&again));
    let beside: Vec<_> = std::fs::read_dir(t.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(beside, ["dossier"], "temporary folders left behind");

    std::fs::write(out_dir.join("review-notes.md"), "the reviewer's notes").expect("write");
    let before = snapshot(&out_dir);
    let refused = dossier(p, &out_dir);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("review-notes.md"),
        "{}",
        text(&refused)
    );
    assert_eq!(snapshot(&out_dir), before);
}

#[test]
fn dossier_out_onto_a_symlinked_folder_or_into_the_project_root_is_refused() {
    let dir = example_copy();
    let p = dir.path();
    let t = tempfile::tempdir().expect("temp dir");
    let link = t.path().join("link");
    std::os::unix::fs::symlink(p, &link).expect("symlink");
    let before = snapshot(p);
    let out = dossier(p, &link);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(std::fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    let parent = p.join("..");
    let out = dossier(p, &parent);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(snapshot(p), before);
}

#[test]
fn a_killed_runs_temporary_folder_is_removed_by_the_next_run() {
    let dir = example_copy();
    let p = dir.path();
    let t = tempfile::tempdir().expect("temp dir");
    // What a run killed mid-write leaves: its temporary folder, named by its pid (one
    // above Linux's largest, so no process has it).
    let stale = t.path().join(".dossier.clic-new-4194304-0");
    std::fs::create_dir(&stale).expect("mkdir");
    std::fs::write(stale.join("index.html"), "half written").expect("write");
    let out = dossier(p, &t.path().join("dossier"));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    assert!(!stale.exists());
}

/// `clic check --format json --output TARGET` on the example.
fn check_to(project: &Path, target: &Path) -> std::process::Output {
    clic()
        .arg("check")
        .arg(project)
        .args(["--stage", "pre-commit", "--format", "json", "--output"])
        .arg(target)
        .output()
        .expect("clic runs")
}

#[test]
fn check_output_onto_a_symlink_or_a_fifo_is_refused_and_left_alone() {
    let dir = example_copy();
    let p = dir.path();
    let t = tempfile::tempdir().expect("temp dir");
    let precious = t.path().join("precious.txt");
    std::fs::write(&precious, "keep me").expect("write");
    let link = t.path().join("report.json");
    std::os::unix::fs::symlink(&precious, &link).expect("symlink");
    let out = check_to(p, &link);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("symbolic link"), "{}", text(&out));
    assert!(std::fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&precious).expect("read"), "keep me");

    let fifo = t.path().join("pipe");
    mkfifo(&fifo);
    let out = check_to(p, &fifo);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let ty = std::fs::symlink_metadata(&fifo).expect("fifo").file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&ty));

    // A regular file and a new path are written.
    let fresh = t.path().join("new.json");
    let out = check_to(p, &fresh);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    assert!(std::fs::read_to_string(&fresh)
        .expect("report")
        .contains("clic.check/1"));
}

#[test]
fn bench_predictions_onto_a_symlink_or_a_fifo_is_refused_and_left_alone() {
    let dir = example_copy();
    let p = dir.path();
    let t = tempfile::tempdir().expect("temp dir");
    let precious = t.path().join("precious.csv");
    std::fs::write(&precious, "keep me").expect("write");
    let link = t.path().join("predictions.csv");
    std::os::unix::fs::symlink(&precious, &link).expect("symlink");
    let fifo = t.path().join("pipe.csv");
    mkfifo(&fifo);
    for target in [&link, &fifo] {
        let out = clic()
            .arg("bench")
            .arg(p)
            .arg("--predictions")
            .arg(target)
            .output()
            .expect("clic runs");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("clic::E020"), "{}", text(&out));
    }
    assert!(std::fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&precious).expect("read"), "keep me");
}
