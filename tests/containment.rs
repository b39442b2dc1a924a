//! Every input inside the project (issue 11, section 4): the artifact, the reference
//! folder, the labels, the training list, documents, `.clic` sources and template
//! overrides must resolve, after symbolic links, inside the project. An escape is exit 2
//! with the path, never a silent read.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, example_copy, text};
use std::path::Path;

fn edit_manifest(project: &Path, from: &str, to: &str) {
    let path = project.join("model.clic");
    let text = std::fs::read_to_string(&path).expect("manifest");
    assert!(text.contains(from), "the manifest holds {from}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

fn check(project: &Path) -> std::process::Output {
    clic()
        .arg("check")
        .arg(project)
        .args(["--stage", "ci"])
        .output()
        .expect("clic runs")
}

fn assert_refused(out: &std::process::Output, code: &str, path: &str) {
    let t = text(out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains(code), "{code} in: {t}");
    assert!(t.contains(path), "`{path}` named in: {t}");
    assert!(t.contains("outside the project"), "{t}");
}

#[test]
fn a_reference_folder_outside_the_project_is_refused_not_walked() {
    let dir = example_copy();
    edit_manifest(
        dir.path(),
        "reference \"data/reference\"",
        "reference \"/etc\"",
    );
    let out = check(dir.path());
    assert_refused(&out, "clic::E022", "/etc");
    let out = clic()
        .arg("bench")
        .arg(dir.path())
        .output()
        .expect("clic runs");
    assert_refused(&out, "clic::E022", "/etc");
}

#[test]
fn a_model_outside_the_project_is_refused_for_check_bench_and_dossier() {
    let dir = example_copy();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let outside = elsewhere.path().join("cxr.onnx");
    std::fs::copy(dir.path().join("model/cxr.onnx"), &outside).expect("copy");
    let shown = outside.display().to_string();
    edit_manifest(
        dir.path(),
        "artifact \"model/cxr.onnx\"",
        &format!("artifact \"{shown}\""),
    );
    assert_refused(&check(dir.path()), "clic::E021", &shown);
    let bench = clic()
        .arg("bench")
        .arg(dir.path())
        .output()
        .expect("clic runs");
    assert_refused(&bench, "clic::E021", &shown);
    let out = elsewhere.path().join("dossier");
    let dossier = clic()
        .arg("dossier")
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .output()
        .expect("clic runs");
    assert_refused(&dossier, "clic::E021", &shown);
    assert!(!out.exists());
}

#[test]
fn inputs_that_leave_through_a_symbolic_link_are_refused() {
    let dir = example_copy();
    let p = dir.path();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    // The labels file, the training list and a document, each replaced by a link to a
    // copy outside the project.
    for (rel, code) in [
        ("data/reference/labels.yaml", "clic::E022"),
        ("data/training-patients.txt", "clic::E022"),
        ("docs/dpia.md", "clic::E023"),
    ] {
        let fresh = example_copy();
        let q = fresh.path();
        let target = elsewhere.path().join(rel.replace('/', "_"));
        std::fs::copy(q.join(rel), &target).expect("copy");
        std::fs::remove_file(q.join(rel)).expect("remove");
        std::os::unix::fs::symlink(&target, q.join(rel)).expect("symlink");
        let out = check(q);
        assert_refused(&out, code, rel);
        assert!(text(&out).contains("symbolic link"), "{}", text(&out));
    }
    // The reference folder itself as a link to a folder outside.
    let refs = elsewhere.path().join("refs");
    std::fs::rename(p.join("data/reference"), &refs).expect("move");
    std::os::unix::fs::symlink(&refs, p.join("data/reference")).expect("symlink");
    assert_refused(&check(p), "clic::E022", "data/reference");
}

#[test]
fn a_clic_source_linked_from_outside_cannot_waive_a_blocker() {
    let dir = example_copy();
    let p = dir.path();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let waiver = elsewhere.path().join("waive.clic");
    std::fs::write(
        &waiver,
        "waiver gdpr.dicom_deid.no-identifiers {\n  reason \"not ours\"\n  approved_by \"Nobody <n@example.com>\"\n  expires 2099-01-01\n}\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(&waiver, p.join("waive.clic")).expect("symlink");
    let out = check(p);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("clic::E020"), "{t}");
    assert!(t.contains("waive.clic"), "{t}");
    assert!(t.contains("outside the project"), "{t}");
}

#[test]
fn a_template_override_linked_to_a_system_file_is_refused_not_embedded() {
    let dir = example_copy();
    let p = dir.path();
    let templates = p.join("compliance/templates");
    std::fs::create_dir_all(&templates).expect("mkdir");
    std::os::unix::fs::symlink("/etc/passwd", templates.join("gaps.md.hbs")).expect("symlink");
    let outs = tempfile::tempdir().expect("temp dir");
    let out_dir = outs.path().join("dossier");
    let out = clic()
        .arg("dossier")
        .arg(p)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("clic runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("gaps.md.hbs"), "{t}");
    assert!(t.contains("outside the project"), "{t}");
    assert!(!out_dir.exists(), "nothing is written");
}

#[test]
fn a_missing_artifact_is_e021_not_a_scan_problem() {
    let dir = example_copy();
    std::fs::remove_file(dir.path().join("model/cxr.onnx")).expect("remove");
    let out = check(dir.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("clic::E021"), "{t}");
    assert!(!t.contains("clic::E022"), "{t}");
}

#[test]
fn a_scan_linked_from_outside_the_project_is_refused() {
    let dir = example_copy();
    let p = dir.path();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let outside = elsewhere.path().join("cxr-0001.dcm");
    std::fs::rename(p.join("data/reference/cxr-0001.dcm"), &outside).expect("move");
    std::os::unix::fs::symlink(&outside, p.join("data/reference/cxr-0001.dcm")).expect("link");
    let out = check(p);
    assert_refused(&out, "clic::E022", "cxr-0001.dcm");
}

#[test]
fn a_fifo_anywhere_in_the_project_does_not_hang_check() {
    let dir = example_copy();
    let p = dir.path();
    std::fs::create_dir(p.join(".git")).expect("mkdir");
    let ok = std::process::Command::new("mkfifo")
        .arg(p.join("pipe"))
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("clic"))
        .arg("check")
        .arg(p)
        .args(["--stage", "ci"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("clic runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(matches!(status.code(), Some(0..=2)), "{status:?}");
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            unreachable!("clic check hung on a FIFO in the project");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
