//! Tags, releases and the commits since: made with the git CLI and with git2.

use super::{commit_field, fact, list, project_files, s, spec, write, Sandbox};
use clic_compiler::plan::Value;
use clic_runner::facts::git::DEFAULT_CHANGE_REQUEST;
use clic_runner::facts::GitFacts;
use std::path::Path;

/// A commit made with git2 rather than the CLI: every file in the work tree is staged.
fn git2_commit(dir: &Path, message: &str, when: i64) -> String {
    let repo = git2::Repository::open(dir).expect("open with git2");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let who = git2::Signature::new(
        "Grace Hopper",
        "grace@example.com",
        &git2::Time::new(when, 60),
    )
    .expect("signature");
    let parent = repo.head().expect("head").peel_to_commit().expect("parent");
    repo.commit(Some("HEAD"), &who, &who, message, &tree, &[&parent])
        .expect("commit")
        .to_string()
}

#[test]
fn tags_releases_and_commits_since() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    write(&dir, "model/classifier.onnx", "v1");
    sb.commit(&dir, "Initial release");
    sb.git(&dir, &["tag", "-a", "v1.3.0", "-m", "Release 1.3.0"]);
    write(&dir, "model/classifier.onnx", "v2");
    let c2 = sb.commit(
        &dir,
        "CR-12 fix the preprocessing\n\nWindowing used the wrong centre.",
    );
    sb.git(&dir, &["tag", "v1.4.0-rc1"]);
    // A release on a side branch is not reachable from main.
    sb.git(&dir, &["checkout", "-q", "-b", "side"]);
    sb.commit(&dir, "Side work");
    sb.git(&dir, &["tag", "v9.0.0"]);
    sb.git(&dir, &["checkout", "-q", "main"]);
    write(&dir, "docs/ifu.md", "# IFU 1.4\n");
    let c3 = sb.commit(&dir, "Update the IFU for jira-7");
    sb.git(&dir, &["tag", "v1.4.0"]);
    sb.git(&dir, &["tag", "candidate"]);
    sb.git(&dir, &["tag", "-a", "v1.4.0-rc2", "-m", "rc2"]);

    let mut f = GitFacts::new(&dir, Some(spec("1.4.0")));
    assert_eq!(fact(&mut f, "git.head.tag"), s("v1.4.0"));
    assert_eq!(
        fact(&mut f, "git.head.tag_matches_version"),
        Value::Bool(true)
    );
    // HEAD is the release being made: the last release is the one before.
    assert_eq!(fact(&mut f, "git.last_release.tag"), s("v1.3.0"));
    assert_eq!(
        fact(&mut f, "git.last_release.changed_files"),
        list(&["docs/ifu.md", "model/classifier.onnx"])
    );
    let commits = fact(&mut f, "git.since_release.commits");
    let Value::List(commits) = commits else {
        unreachable!("a list: {commits:?}")
    };
    assert_eq!(commits.len(), 2);
    assert_eq!(commit_field(&commits[0], "id"), &s(&c3));
    assert_eq!(
        commit_field(&commits[0], "summary"),
        &s("Update the IFU for jira-7")
    );
    assert_eq!(commit_field(&commits[0], "change_request"), &s("jira-7"));
    assert_eq!(commit_field(&commits[1], "id"), &s(&c2));
    assert_eq!(
        commit_field(&commits[1], "summary"),
        &s("CR-12 fix the preprocessing")
    );
    assert_eq!(
        commit_field(&commits[1], "message"),
        &s("CR-12 fix the preprocessing\n\nWindowing used the wrong centre.")
    );
    assert_eq!(
        commit_field(&commits[1], "author"),
        &s("Ada Lovelace <ada@example.com>")
    );
    assert_eq!(commit_field(&commits[1], "signed"), &Value::Bool(false));
    assert_eq!(commit_field(&commits[1], "change_request"), &s("CR-12"));

    let mut other = GitFacts::new(&dir, Some(spec("1.5.0")));
    assert_eq!(fact(&mut other, "git.head.tag"), s("v1.4.0"));
    assert_eq!(
        fact(&mut other, "git.head.tag_matches_version"),
        Value::Bool(false)
    );

    // One more commit, made with git2: v1.4.0 is now the last release.
    write(&dir, "scans/b.dcm", "DICM");
    let c4 = git2_commit(&dir, "Add a scan\n\nNo ticket.", 1_710_000_000);
    let mut f = GitFacts::new(&dir, Some(spec("1.4.0")));
    assert_eq!(fact(&mut f, "git.head.id"), s(&c4));
    assert_eq!(
        fact(&mut f, "git.head.author"),
        s("Grace Hopper <grace@example.com>")
    );
    assert_eq!(
        fact(&mut f, "git.head.date"),
        Value::Date("2024-03-09".into())
    );
    assert_eq!(fact(&mut f, "git.head.tag"), Value::Null);
    assert_eq!(
        fact(&mut f, "git.head.tag_matches_version"),
        Value::Bool(false)
    );
    assert_eq!(fact(&mut f, "git.last_release.tag"), s("v1.4.0"));
    assert_eq!(
        fact(&mut f, "git.last_release.changed_files"),
        list(&["scans/b.dcm"])
    );
    let Value::List(commits) = fact(&mut f, "git.since_release.commits") else {
        unreachable!("a list")
    };
    assert_eq!(commits.len(), 1);
    assert_eq!(commit_field(&commits[0], "summary"), &s("Add a scan"));
    assert_eq!(commit_field(&commits[0], "change_request"), &Value::Null);
}

#[test]
fn without_a_release_every_commit_is_since_the_release() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    let first = sb.commit(&dir, "First");
    let second = sb.commit(&dir, "Second");
    // A pre-release is not a release; a tag at HEAD is not the last release.
    sb.git(&dir, &["tag", "v0.1.0-beta", &first]);
    sb.git(&dir, &["tag", "v0.1.0"]);
    let mut f = GitFacts::new(&dir, Some(spec("0.1.0")));
    assert_eq!(fact(&mut f, "git.last_release.tag"), Value::Null);
    assert_eq!(fact(&mut f, "git.last_release.changed_files"), Value::Null);
    let Value::List(commits) = fact(&mut f, "git.since_release.commits") else {
        unreachable!("a list")
    };
    let ids: Vec<&Value> = commits.iter().map(|c| commit_field(c, "id")).collect();
    assert_eq!(ids, [&s(&second), &s(&first)]);
}

#[test]
fn change_request_pattern_is_a_parameter() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    project_files(&dir);
    sb.commit(&dir, "Fix TICKET#42, not CR-1");
    assert!(regex::Regex::new(DEFAULT_CHANGE_REQUEST).is_ok());
    let re = regex::Regex::new(r"TICKET#\d+").expect("regex");
    let mut f = GitFacts::with_change_request(&dir, Some(spec("1.0.0")), re);
    let Value::List(commits) = fact(&mut f, "git.since_release.commits") else {
        unreachable!("a list")
    };
    assert_eq!(commit_field(&commits[0], "change_request"), &s("TICKET#42"));
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    let Value::List(commits) = fact(&mut f, "git.since_release.commits") else {
        unreachable!("a list")
    };
    assert_eq!(commit_field(&commits[0], "change_request"), &s("CR-1"));
}
