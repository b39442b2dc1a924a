//! A failing check names its culprit, not only the fact that counted it: which file and
//! tag still identify a patient, the digest clic computed beside the pinned one, the
//! document that is named but absent (and help that says so), bounded lists; and the
//! summary counts what failed the gate, an expired waiver included, with its file:line.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot run the binary should fail loudly"
)]

mod common;

use common::{clic, copy_tree, project, root, text};

/// The human report of `clic check` on a failing example (exit 1).
fn check(dir: &std::path::Path) -> String {
    let out = clic().arg("check").arg(dir).output().expect("clic runs");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failing(name: &str) -> std::path::PathBuf {
    root().join("examples/failing").join(name)
}

#[test]
fn an_identifying_scan_is_named_by_file_and_tag() {
    let out = check(&failing("identifying-scan"));
    assert!(out.contains("culprit   scans.deid.findings (2):"), "{out}");
    assert!(
        out.contains("file: \"cxr-0007.dcm\", keyword: \"PatientName\", tag: \"(0010,0010)\""),
        "{out}"
    );
}

#[test]
fn a_hash_mismatch_shows_the_pinned_and_the_actual_digest() {
    let out = check(&failing("hash-mismatch"));
    let pinned = "28990ed261983c65b45e0ad3fadf197175ef56d42b8dc949fe3bd20fa5faa9e1";
    let model = std::fs::read(failing("hash-mismatch").join("model/cxr.onnx")).expect("model");
    let actual = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(&model);
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_ne!(pinned, actual);
    assert!(
        out.contains(&format!("model.artifact.sha256 = \"{pinned}\"")),
        "{out}"
    );
    assert!(
        out.contains(&format!("culprit   artifact.sha256 = \"{actual}\"")),
        "{out}"
    );
}

#[test]
fn a_named_but_absent_document_is_reported_as_missing_not_as_unnamed() {
    let out = check(&failing("missing-document"));
    assert!(
        out.contains(
            "missing   `docs/dpia.md`, which the manifest names as its `dpia`, does not exist"
        ),
        "{out}"
    );
    assert!(out.contains("help      create `docs/dpia.md`"), "{out}");
    assert!(!out.contains("Name the DPIA in the manifest"), "{out}");
    assert!(
        out.contains("culprit   documents.dpia.exists = false"),
        "{out}"
    );
    // 17 unanswered questions: five shown, the rest counted.
    assert!(out.contains("… and 12 more"), "{out}");
}

#[test]
fn a_misspelled_document_path_names_the_document_in_a_short_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&root().join("examples/chest-xray-triage"), dir.path());
    let manifest = dir.path().join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let (from, to) = ("\"docs/ifu.md\"", "\"docs/ifu.mdx\"");
    assert!(text.contains(from), "the example names docs/ifu.md");
    std::fs::write(&manifest, text.replace(from, to)).expect("write");
    let out = clic()
        .args(["check", "--stage", "pre-commit"])
        .arg(dir.path())
        .output()
        .expect("clic runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("culprit   d in documents.all that fail (1):"),
        "{stdout}"
    );
    assert!(
        stdout.contains("kind: \"ifu\", path: \"docs/ifu.mdx\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("missing   `docs/ifu.mdx`, which the manifest names as its `ifu`"),
        "{stdout}"
    );
    let longest = stdout.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest <= 200, "a line of {longest} characters:\n{stdout}");
}

#[test]
fn an_expired_waiver_on_a_passing_control_is_counted_and_located() {
    let model = "model demo {\n  version \"1.2.0\"\n  purpose \"Flags chest radiographs for prioritised reading.\"\n  class IIa by rule 11\n  artifact \"model.onnx\"\n}\n";
    let policy = "policy local.manifest \"The manifest is complete\" {\n  control class-rule \"The class states its rule\" {\n    cites mdr \"Annex VIII Rule 11\"\n    severity major\n    stage pre-commit\n    expect exists model.classification_rule\n  }\n}\n";
    let waiver = "waiver local.manifest.class-rule {\n  reason \"Rule under review\"\n  approved_by \"QA lead <qa@example.com>\"\n  expires 2030-01-31\n}\n";
    let dir = project(&[
        ("model.clic", model),
        ("policy.clic", policy),
        ("waivers.clic", waiver),
    ]);
    let out = clic()
        .args(["check", "--stage", "pre-commit", "--today", "2030-02-01"])
        .arg(dir.path())
        .output()
        .expect("clic runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    assert!(stdout.contains(", 1 expired waiver;"), "{stdout}");
    assert!(
        stdout.contains("failed the gate (1):\n  local.manifest.class-rule (expired waiver)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("waivers.clic:1:8: waiver for local.manifest.class-rule"),
        "{stdout}"
    );
    assert!(
        stdout.contains("help: fix what the control finds, or renew the waiver"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("gate: FAILED"));
}
