//! What the dossier assembles for the example, snapshotted: every Markdown document in
//! full, and the list of the other files. The example is committed in a fresh repository
//! with a fixed identity and date, so only the commit id varies with the example's
//! contents; it is shown as `<commit>`. A change to a template, a context or the
//! catalogue shows here as a diff of the documents it changes.

mod common;

use common::{clic, example_copy, git, snapshot, text};

#[test]
fn the_example_dossier_as_assembled() {
    let dir = example_copy();
    let p = dir.path();
    let _ = std::fs::remove_dir_all(p.join(".clic/cache"));
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "Release 1.4.0"]);
    let commit = String::from_utf8_lossy(&git(p, &["rev-parse", "HEAD"]).stdout)
        .trim()
        .to_string();
    let out = tempfile::tempdir().expect("temp dir");
    let run = clic()
        .arg("dossier")
        .arg(p)
        .arg("--out")
        .arg(out.path().join("dossier"))
        .output()
        .expect("clic runs");
    assert!(
        matches!(run.status.code(), Some(0 | 1)),
        "clic dossier: {}",
        text(&run)
    );
    let mut files = snapshot(&out.path().join("dossier"));
    files.sort();
    let mut shown = String::new();
    for (name, _) in &files {
        shown.push_str(&format!("{name}\n"));
    }
    for (name, bytes) in &files {
        if name.ends_with(".md") {
            let md = String::from_utf8_lossy(bytes).replace(&commit, "<commit>");
            shown.push_str(&format!("\n===== {name} =====\n{md}"));
        }
    }
    insta::assert_snapshot!(shown);
}
