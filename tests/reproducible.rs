//! The dossier is reproducible (issue 11, section 6): made cold, made again warm from the
//! cache, and made from a fresh clone of the commit — by a regulator, with another
//! project secret and no cache — it has the same bytes, file for file.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, example_copy, git, snapshot, text};
use std::path::Path;

fn dossier(project: &Path, out: &Path) {
    let run = clic()
        .arg("dossier")
        .arg(project)
        .arg("--out")
        .arg(out)
        .output()
        .expect("clic runs");
    assert!(
        matches!(run.status.code(), Some(0 | 1)),
        "clic dossier: {}",
        text(&run)
    );
}

fn differing(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut names: Vec<String> = a
        .iter()
        .filter(|(p, bytes)| b.iter().find(|(q, _)| q == p).map(|(_, c)| c) != Some(bytes))
        .map(|(p, _)| p.clone())
        .collect();
    names.extend(
        b.iter()
            .filter(|(q, _)| !a.iter().any(|(p, _)| p == q))
            .map(|(q, _)| q.clone()),
    );
    names
}

#[test]
fn cold_warm_and_a_fresh_clone_give_the_same_dossier_bytes() {
    let dir = example_copy();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "Release 1.4.0"]);
    let outs = tempfile::tempdir().expect("temp dir");

    let cold = outs.path().join("cold");
    dossier(p, &cold);
    assert!(
        p.join(".clic/cache").is_dir(),
        "the cold run filled the cache"
    );
    let warm = outs.path().join("warm");
    dossier(p, &warm);

    let clone = outs.path().join("clone");
    git(
        outs.path(),
        &["clone", "-q", &p.display().to_string(), "clone"],
    );
    assert!(!clone.join(".clic").exists(), "a fresh clone has no cache");
    let regulator = outs.path().join("regulator");
    dossier(&clone, &regulator);

    let (cold, warm, regulator) = (snapshot(&cold), snapshot(&warm), snapshot(&regulator));
    assert!(cold.len() > 10, "{} files", cold.len());
    assert_eq!(
        differing(&cold, &warm),
        Vec::<String>::new(),
        "cold vs warm"
    );
    assert_eq!(
        differing(&cold, &regulator),
        Vec::<String>::new(),
        "the team's vs a fresh clone's"
    );
}
