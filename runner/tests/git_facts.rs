//! `git.*` facts on real repositories, made in temporary folders with the git CLI and
//! with git2. Every git command runs with `GIT_CONFIG_GLOBAL=/dev/null`, no system
//! config, its own HOME and fixed author, committer and dates, so the tests do not
//! depend on the machine's git set-up.
#![expect(clippy::expect_used, reason = "tests fail loudly on a broken fixture")]

mod git;
#[path = "../../tests/common/skip.rs"]
mod skip;

use clic_compiler::plan::Value;
use clic_compiler::schema::{Provider, FACTS};
use clic_runner::facts::{FactError, FactProvider, GitFacts};
use git::{fact, fits, git_facts, list, project_files, s, spec, write, Sandbox};
use std::collections::BTreeMap;

#[test]
fn outside_any_repository_every_git_fact_is_unavailable() {
    let sb = Sandbox::new();
    let dir = sb.path("plain");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut facts = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(facts.provider(), Provider::Git);
    // But for the stray scans, which are then read from the disk.
    for path in git_facts().filter(|p| *p != "git.stray_scans") {
        assert_eq!(
            facts.fact(path, &[]),
            Err(FactError::unavailable("not inside a git repository")),
            "{path}"
        );
    }
}

#[test]
fn every_git_fact_is_served_with_its_declared_type() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    write(&dir, "model/classifier.onnx", "onnx");
    sb.commit(&dir, "Initial");
    sb.git(&dir, &["tag", "v1.0.0"]);
    sb.commit(&dir, "CR-1 second");
    let mut facts = GitFacts::new(&dir, Some(spec("1.0.0")));
    for def in FACTS.iter().filter(|f| f.provider == Provider::Git) {
        let v = fact(&mut facts, def.path);
        assert!(
            fits(def.ty, &v),
            "{} gave {v:?}, declared {}",
            def.path,
            def.ty
        );
        // A none only where the schema's doc line says when it is none.
        assert!(
            v != Value::Null || def.doc.contains("none"),
            "{} is none, but its doc line does not say when: {:?}",
            def.path,
            def.doc
        );
    }
}

#[test]
fn clean_untracked_modified_and_staged() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    sb.commit(&dir, "Initial");
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(true));
    assert_eq!(fact(&mut f, "git.untracked"), list(&[]));
    assert_eq!(fact(&mut f, "git.modified"), list(&[]));
    assert_eq!(fact(&mut f, "git.staged"), list(&[]));

    // An untracked model file, and an untracked file the manifest does not name.
    write(&dir, "model/classifier.onnx", "onnx");
    write(&dir, "notes.txt", "scratch");
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(false));
    assert_eq!(
        fact(&mut f, "git.untracked"),
        list(&["model/classifier.onnx"])
    );
    assert_eq!(fact(&mut f, "git.modified"), list(&[]));

    // An edited document and a new scan.
    write(&dir, "docs/ifu.md", "# IFU v2\n");
    write(&dir, "scans/b.dcm", "DICM");
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(
        fact(&mut f, "git.untracked"),
        list(&["model/classifier.onnx", "scans/b.dcm"])
    );
    assert_eq!(fact(&mut f, "git.modified"), list(&["docs/ifu.md"]));
    assert_eq!(fact(&mut f, "git.staged"), list(&[]));

    // Staging: the model becomes a staged change; README is staged but not named.
    write(&dir, "README.md", "readme 2\n");
    sb.git(&dir, &["add", "model/classifier.onnx", "README.md"]);
    sb.git(&dir, &["rm", "-q", "data/training.csv"]);
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(
        fact(&mut f, "git.staged"),
        list(&["README.md", "data/training.csv", "model/classifier.onnx"])
    );
    assert_eq!(
        fact(&mut f, "git.modified"),
        list(&["data/training.csv", "docs/ifu.md", "model/classifier.onnx"])
    );
    assert_eq!(fact(&mut f, "git.untracked"), list(&["scans/b.dcm"]));
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(false));

    // Ignored files are neither untracked nor a change.
    sb.commit(&dir, "Everything");
    write(&dir, ".gitignore", "*.tmp\n");
    sb.commit(&dir, "Ignore");
    write(&dir, "scans/x.tmp", "tmp");
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(true));
    assert_eq!(fact(&mut f, "git.untracked"), list(&[]));
}

#[test]
fn manifest_paths_are_reported_from_the_repository_root() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    write(&dir, "docs/ifu.md", "# IFU\n");
    write(&dir, "project/model.clic", "model");
    sb.commit(&dir, "Initial");
    write(&dir, "project/model.onnx", "onnx");
    write(&dir, "docs/ifu.md", "# IFU 2\n");
    let mut m = spec("1.0.0");
    m.artifact.path = "model.onnx".into();
    m.reference = None;
    m.training_patients = None;
    m.documents = BTreeMap::from([("ifu".to_string(), "../docs/ifu.md".to_string())]);
    let mut f = GitFacts::new(&dir.join("project"), Some(m));
    assert_eq!(fact(&mut f, "git.untracked"), list(&["project/model.onnx"]));
    assert_eq!(fact(&mut f, "git.modified"), list(&["docs/ifu.md"]));
    assert_eq!(fact(&mut f, "git.lfs.scans"), Value::Null);
}

#[test]
fn dicom_files_outside_the_reference_set_are_stray() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    let mut preamble = vec![0u8; 128];
    preamble.extend_from_slice(b"DICM");
    preamble.extend_from_slice(&[2, 0, 0, 0]);
    write(&dir, "project/data/reference/a.dcm", "scan");
    write(&dir, "project/data/originals/p42.DCM", "scan");
    write(&dir, "project/notes.txt", "not a scan");
    std::fs::write(dir.join("project/IM0001"), &preamble).expect("write");
    std::fs::write(dir.join("project/README"), b"no preamble here").expect("write");
    write(&dir, "elsewhere/b.dcm", "another project's scan");
    sb.commit(&dir, "Initial");
    // Staged, not yet committed: caught before the commit.
    write(&dir, "project/tmp/export.dicom", "scan");
    sb.git(&dir, &["add", "project/tmp/export.dicom"]);
    // Untracked: not in the repository, so not reported.
    write(&dir, "project/scratch.dcm", "scan");
    let mut m = spec("1.0.0");
    m.reference = Some(clic_compiler::plan::ReferenceSpec {
        path: "data/reference".into(),
        labels: "data/reference/labels.yaml".into(),
    });
    let mut f = GitFacts::new(&dir.join("project"), Some(m));
    assert_eq!(
        fact(&mut f, "git.stray_scans"),
        list(&[
            "project/IM0001",
            "project/data/originals/p42.DCM",
            "project/tmp/export.dicom"
        ])
    );
}

#[test]
fn outside_any_repository_stray_scans_are_read_from_the_disk() {
    let sb = Sandbox::new();
    let dir = sb.path("plain");
    write(&dir, "data/reference/a.dcm", "scan");
    write(&dir, "exports/p1.dcm", "scan");
    write(&dir, ".cache/p2.dcm", "hidden: skipped");
    write(&dir, "notes.md", "text");
    let mut m = spec("1.0.0");
    m.reference = Some(clic_compiler::plan::ReferenceSpec {
        path: "data/reference".into(),
        labels: "data/reference/labels.yaml".into(),
    });
    let mut f = GitFacts::new(&dir, Some(m));
    assert_eq!(fact(&mut f, "git.stray_scans"), list(&["exports/p1.dcm"]));
}

#[test]
fn without_a_manifest_path_facts_are_unavailable_but_the_rest_is_served() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    sb.commit(&dir, "Initial");
    let mut f = GitFacts::new(&dir, None);
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(true));
    for path in [
        "git.untracked",
        "git.modified",
        "git.lfs.model",
        "git.lfs.scans",
        "git.stray_scans",
        "git.head.tag_matches_version",
    ] {
        assert_eq!(
            f.fact(path, &[]),
            Err(FactError::unavailable("the project has no model manifest")),
            "{path}"
        );
    }
}

#[test]
fn head_facts() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    let id = sb.commit(&dir, "Initial");
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.head.id"), s(&id));
    assert_eq!(fact(&mut f, "git.head.branch"), s("main"));
    assert_eq!(
        fact(&mut f, "git.head.author"),
        s("Ada Lovelace <ada@example.com>")
    );
    assert_eq!(
        fact(&mut f, "git.head.committer"),
        s("Clic Bot <bot@example.com>")
    );
    // 2024-03-05 23:31 at -02:00 is the 6th in UTC.
    assert_eq!(
        fact(&mut f, "git.head.date"),
        Value::Date("2024-03-06".into())
    );
    assert_eq!(fact(&mut f, "git.head.signed"), Value::Bool(false));
    assert_eq!(fact(&mut f, "git.head.verified"), Value::Bool(false));
    assert_eq!(fact(&mut f, "git.head.tag"), Value::Null);
    assert_eq!(
        fact(&mut f, "git.head.tag_matches_version"),
        Value::Bool(false)
    );
    assert_eq!(
        f.fact("git.nonsense", &[]),
        Err(FactError::unavailable("`git.nonsense` is not a git fact"))
    );
}

#[test]
fn detached_head_has_no_branch() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    let first = sb.commit(&dir, "Initial");
    sb.commit(&dir, "Second");
    sb.git(&dir, &["checkout", "-q", "--detach", &first]);
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.head.branch"), Value::Null);
    assert_eq!(fact(&mut f, "git.head.id"), s(&first));
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(true));
}

#[test]
fn unborn_head() {
    let sb = Sandbox::new();
    let empty = sb.init("empty");
    let mut f = GitFacts::new(&empty, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(true));
    assert_eq!(fact(&mut f, "git.staged"), list(&[]));

    let dir = sb.init("repo");
    project_files(&dir);
    write(&dir, "model/classifier.onnx", "onnx");
    sb.git(&dir, &["add", "docs", "scans/labels.csv", "README.md"]);
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    for path in [
        "git.head.id",
        "git.head.branch",
        "git.head.author",
        "git.head.committer",
        "git.head.date",
        "git.head.signed",
        "git.head.verified",
        "git.head.tag",
        "git.head.tag_matches_version",
        "git.last_release.tag",
        "git.last_release.changed_files",
    ] {
        assert_eq!(fact(&mut f, path), Value::Null, "{path}");
    }
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(false));
    assert_eq!(
        fact(&mut f, "git.staged"),
        list(&["README.md", "docs/ifu.md", "scans/labels.csv"])
    );
    assert_eq!(
        fact(&mut f, "git.untracked"),
        list(&["data/training.csv", "model/classifier.onnx", "scans/a.dcm"])
    );
    assert_eq!(
        fact(&mut f, "git.modified"),
        list(&["docs/ifu.md", "scans/labels.csv"])
    );
    assert_eq!(fact(&mut f, "git.since_release.commits"), list(&[]));
}

#[test]
fn linked_worktree() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    let id = sb.commit(&dir, "Initial");
    let wt = sb.path("wt");
    sb.git(
        &dir,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature",
            wt.to_str().expect("utf-8"),
        ],
    );
    write(&wt, "docs/ifu.md", "# IFU in the worktree\n");
    write(&wt, "model/classifier.onnx", "onnx");
    let mut f = GitFacts::new(&wt, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.head.branch"), s("feature"));
    assert_eq!(fact(&mut f, "git.head.id"), s(&id));
    assert_eq!(fact(&mut f, "git.clean"), Value::Bool(false));
    assert_eq!(fact(&mut f, "git.modified"), list(&["docs/ifu.md"]));
    assert_eq!(
        fact(&mut f, "git.untracked"),
        list(&["model/classifier.onnx"])
    );
    // The main work tree is untouched.
    let mut main = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut main, "git.head.branch"), s("main"));
    assert_eq!(fact(&mut main, "git.clean"), Value::Bool(true));
    // A tag made in one is seen from the other.
    sb.git(&dir, &["tag", "v1.0.0"]);
    let mut f = GitFacts::new(&wt, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.head.tag"), s("v1.0.0"));
    assert_eq!(
        fact(&mut f, "git.head.tag_matches_version"),
        Value::Bool(true)
    );
}

#[test]
fn lfs_attributes() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    write(&dir, "model/classifier.onnx", "onnx");
    sb.commit(&dir, "Initial");
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.lfs.model"), Value::Bool(false));
    assert_eq!(fact(&mut f, "git.lfs.scans"), Value::Bool(false));

    // The root marks the model; the scans folder its DICOM files (labels.csv is not a scan).
    write(
        &dir,
        ".gitattributes",
        "*.onnx filter=lfs diff=lfs merge=lfs -text\n",
    );
    write(
        &dir,
        "scans/.gitattributes",
        "*.dcm filter=lfs diff=lfs merge=lfs -text\n",
    );
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.lfs.model"), Value::Bool(true));
    assert_eq!(fact(&mut f, "git.lfs.scans"), Value::Bool(true));

    // One scan that LFS does not cover.
    write(&dir, "scans/sub/b.png", "png");
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.lfs.scans"), Value::Bool(false));

    // No reference set declared.
    let mut m = spec("1.0.0");
    m.reference = None;
    let mut f = GitFacts::new(&dir, Some(m));
    assert_eq!(fact(&mut f, "git.lfs.scans"), Value::Null);
}
