//! The fixtures of the codes the command line raises, not the compiler: a path, a model,
//! a reference set, a document, a dossier record or a key that cannot be used
//! (`clic::E020`–`E023`, `E030`, `E031`). The compiler's codes have their fixtures in
//! `compiler/tests/fixtures/invalid/`; these need files on disk, so each case is a small
//! project in a temporary folder, and each must exit 2 with its code and no other. A code
//! with no fixture, here or there, fails `every_code_has_a_fixture_here_or_in_the_compiler`.
#![expect(
    clippy::expect_used,
    reason = "a test helper that cannot set up its fixture should fail the test loudly"
)]

mod common;

use common::{clic, example, text};
use std::path::Path;

/// A manifest whose artifact is `artifact`, with `extra` statements before its end.
fn manifest(artifact: &str, extra: &str) -> String {
    format!(
        "model demo {{\n  version \"1.0.0\"\n  purpose \"Flags chest radiographs.\"\n  class IIa by rule 11\n  artifact \"{artifact}\"\n{extra}}}\n"
    )
}

/// A temporary folder with `files` in its subfolder `project/`, so that a path can
/// lead out of the project and still find a file.
fn project_in_folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, bytes) in files {
        let p = dir.path().join("project").join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    dir
}

fn example_model() -> Vec<u8> {
    std::fs::read(example().join("model/cxr.onnx")).expect("the example's model")
}

/// Runs clic in `dir` and asserts it refuses the input with `code` alone, naming `says`.
fn assert_refused(dir: &Path, args: &[&str], code: &str, says: &str) {
    let out = clic()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("clic runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "clic {args:?}: {all}");
    assert!(
        all.contains(&format!("clic::{code}")),
        "clic {args:?}: {all}"
    );
    let others: Vec<&str> = all
        .match_indices("clic::E")
        .filter_map(|(i, _)| all.get(i..i + 10))
        .filter(|c| *c != format!("clic::{code}"))
        .collect();
    assert!(
        others.is_empty(),
        "clic {args:?} also gives {others:?}: {all}"
    );
    assert!(
        all.contains(says),
        "clic {args:?} does not say `{says}`: {all}"
    );
}

#[test]
fn e020_a_path_that_cannot_be_read_holds_no_source_or_leads_out_of_the_project() {
    let dir = project_in_folder(&[("policy.clic", b"use mdr.performance\n")]);
    let root = dir.path();
    assert_refused(root, &["compile", "no/such/folder"], "E020", "no such file");
    std::fs::create_dir(root.join("empty")).expect("mkdir");
    assert_refused(root, &["check", "empty"], "E020", "no .clic file");
    std::fs::write(root.join("shared.clic"), "use gdpr\n").expect("write");
    std::os::unix::fs::symlink(root.join("shared.clic"), root.join("project/shared.clic"))
        .expect("link");
    assert_refused(root, &["compile", "project"], "E020", "shared.clic");
}

#[test]
fn e021_a_model_outside_the_project_or_not_onnx() {
    let dir = project_in_folder(&[("model.clic", manifest("../outside.onnx", "").as_bytes())]);
    std::fs::write(dir.path().join("outside.onnx"), example_model()).expect("write");
    assert_refused(
        dir.path(),
        &["compile", "project"],
        "E021",
        "`../outside.onnx`",
    );
    let dir = project_in_folder(&[
        (
            "model.clic",
            manifest("cxr.onnx", "  use iec62304.configuration\n").as_bytes(),
        ),
        ("cxr.onnx", b"a text file, not a model\n"),
    ]);
    assert_refused(dir.path(), &["check", "project"], "E021", "`cxr.onnx`");
}

#[test]
fn e022_a_reference_set_outside_the_project_or_an_invalid_labels_file() {
    let outside = "  reference \"../data\" labels \"../data/labels.yaml\"\n";
    let dir = project_in_folder(&[("model.clic", manifest("cxr.onnx", outside).as_bytes())]);
    std::fs::create_dir(dir.path().join("data")).expect("mkdir");
    std::fs::write(dir.path().join("project/cxr.onnx"), example_model()).expect("write");
    assert_refused(dir.path(), &["compile", "project"], "E022", "`../data`");
    let benchmarked = "  input \"image\" from dicom {\n    resize 64 x 64\n  }\n  output \"prob\" positive when >= 0.5 means \"finding\"\n  reference \"data\" labels \"data/labels.yaml\"\n  claims {\n    sensitivity 90%\n  }\n  use mdr.performance\n";
    let dir = project_in_folder(&[
        ("model.clic", manifest("cxr.onnx", benchmarked).as_bytes()),
        ("data/labels.yaml", b"{{{\n"),
    ]);
    std::fs::write(dir.path().join("project/cxr.onnx"), example_model()).expect("write");
    assert_refused(dir.path(), &["check", "project"], "E022", "labels.yaml");
}

#[test]
fn e023_a_document_outside_the_project_or_with_a_date_that_is_not_a_date() {
    let outside = "  documents {\n    dpia \"../dpia.md\"\n  }\n";
    let dir = project_in_folder(&[("model.clic", manifest("cxr.onnx", outside).as_bytes())]);
    std::fs::write(dir.path().join("dpia.md"), "# DPIA\n").expect("write");
    assert_refused(dir.path(), &["compile", "project"], "E023", "`../dpia.md`");
    let named = "  documents {\n    dpia \"docs/dpia.md\"\n  }\n  use gdpr.dpia\n";
    let dpia = "---\napproved_by: DPO <dpo@example.com>\ndate: 03/02/2026\n---\n# DPIA\n";
    let dir = project_in_folder(&[
        ("model.clic", manifest("cxr.onnx", named).as_bytes()),
        ("docs/dpia.md", dpia.as_bytes()),
    ]);
    assert_refused(dir.path(), &["check", "project"], "E023", "`03/02/2026`");
}

#[test]
fn e030_a_dossier_record_that_clic_did_not_write() {
    let dir = project_in_folder(&[("dossier/evidence.json", b"{}\n")]);
    assert_refused(
        dir.path(),
        &["verify", "project/dossier"],
        "E030",
        "evidence.json",
    );
}

#[test]
fn e031_a_signing_key_that_is_not_a_key() {
    let policy = "policy local.p \"p\" {\n  control c \"c\" {\n    cites mdr \"Annex I 1\"\n    severity minor\n    expect exists model.version\n  }\n}\n";
    let dir = project_in_folder(&[("policy.clic", policy.as_bytes()), ("key", b"not a key\n")]);
    let args = [
        "check",
        "project",
        "--attest",
        "project/attestation.json",
        "--sign",
        "project/key",
    ];
    assert_refused(dir.path(), &args, "E031", "not an OpenSSH private key");
    assert!(
        !dir.path().join("project/attestation.json").exists(),
        "nothing is written"
    );
}

#[test]
fn every_code_has_a_fixture_here_or_in_the_compiler() {
    let fixtures = common::root().join("compiler/tests/fixtures/invalid");
    let mut expected = String::new();
    for e in std::fs::read_dir(&fixtures)
        .expect("compiler fixtures")
        .flatten()
    {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        expected.push_str(text.lines().next().unwrap_or_default());
        expected.push('\n');
    }
    let here = include_str!("cli_codes.rs");
    for code in clic_compiler::diagnostics::ALL_CODES {
        let bare = format!("{code:?}");
        let case = format!("fn {}_", bare.to_ascii_lowercase());
        assert!(
            expected.contains(&bare) || here.contains(&case),
            "{bare} has no fixture: add a file to compiler/tests/fixtures/invalid/ or a `{case}...` test here"
        );
    }
}
