//! HEAD, the staged change, and commits since the last release.

use super::{git_err, FactError};
use clic_compiler::plan::Value;
use git2::{Commit, ErrorCode, Oid, Repository, Signature, Sort, Tree};
use regex::Regex;
use std::collections::BTreeMap;

/// HEAD's commit id; none on an unborn HEAD (a repository without commits).
pub(super) fn head_id(repo: &Repository) -> Result<Option<Oid>, FactError> {
    match repo.head() {
        Ok(r) => r
            .peel_to_commit()
            .map(|c| Some(c.id()))
            .map_err(|e| git_err(&e)),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(git_err(&e)),
    }
}

/// `Name <email>`.
pub(super) fn person(s: &Signature<'_>) -> String {
    format!(
        "{} <{}>",
        String::from_utf8_lossy(s.name_bytes()),
        String::from_utf8_lossy(s.email_bytes())
    )
}

/// Whether a commit carries a signature header (gpg, ssh or x509 alike).
pub(super) fn is_signed(commit: &Commit<'_>) -> bool {
    commit.header_field_bytes("gpgsig").is_ok()
        || commit.header_field_bytes("gpgsig-sha256").is_ok()
}

/// `YYYY-MM-DD` of a Unix time, in UTC.
pub(super) use clic_compiler::utc_date;

/// `git.head.id`, `.author`, `.committer`, `.date`, `.signed`; none on an unborn HEAD.
pub(super) fn head_fact(repo: &Repository, path: &str) -> Result<Value, FactError> {
    let Some(id) = head_id(repo)? else {
        return Ok(Value::Null);
    };
    let commit = repo.find_commit(id).map_err(|e| git_err(&e))?;
    Ok(match path {
        "git.head.id" => Value::String(id.to_string()),
        "git.head.author" => Value::String(person(&commit.author())),
        "git.head.committer" => Value::String(person(&commit.committer())),
        "git.head.date" => Value::Date(utc_date(commit.time().seconds())),
        _ => Value::Bool(is_signed(&commit)),
    })
}

/// The current branch; none on a detached or unborn HEAD.
pub(super) fn branch(repo: &Repository) -> Result<Value, FactError> {
    if head_id(repo)?.is_none() || repo.head_detached().map_err(|e| git_err(&e))? {
        return Ok(Value::Null);
    }
    let head = repo.head().map_err(|e| git_err(&e))?;
    Ok(Value::String(
        String::from_utf8_lossy(head.shorthand_bytes()).into_owned(),
    ))
}

fn head_tree(repo: &Repository) -> Result<Option<Tree<'_>>, git2::Error> {
    match repo.head() {
        Ok(r) => r.peel_to_tree().map(Some),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

fn diff_paths(diff: &git2::Diff<'_>) -> Vec<String> {
    let mut out: Vec<String> = diff
        .deltas()
        .flat_map(|d| [d.old_file().path_bytes(), d.new_file().path_bytes()])
        .flatten()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Paths the index changes against HEAD (every index entry on an unborn HEAD), sorted.
pub(super) fn staged(repo: &Repository) -> Result<Vec<String>, git2::Error> {
    let tree = head_tree(repo)?;
    let diff = repo.diff_tree_to_index(tree.as_ref(), None, None)?;
    Ok(diff_paths(&diff))
}

/// Paths that differ between two commits' trees, sorted.
pub(super) fn changed_files(
    repo: &Repository,
    from: Oid,
    to: Oid,
) -> Result<Vec<String>, git2::Error> {
    let old = repo.find_commit(from)?.tree()?;
    let new = repo.find_commit(to)?.tree()?;
    let diff = repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
    Ok(diff_paths(&diff))
}

/// A `Commit` record.
pub(super) fn record(commit: &Commit<'_>, change_request: Option<&Regex>) -> Value {
    let message = String::from_utf8_lossy(commit.message_bytes())
        .trim_end()
        .to_string();
    let summary = message
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let cr = change_request
        .and_then(|re| re.find(&message))
        .map_or(Value::Null, |m| Value::String(m.as_str().to_string()));
    let mut r = BTreeMap::new();
    r.insert("id".to_string(), Value::String(commit.id().to_string()));
    r.insert("summary".to_string(), Value::String(summary));
    r.insert("message".to_string(), Value::String(message));
    r.insert(
        "author".to_string(),
        Value::String(person(&commit.author())),
    );
    r.insert("signed".to_string(), Value::Bool(is_signed(commit)));
    r.insert("change_request".to_string(), cr);
    Value::Record(r)
}

/// Commits reachable from `head` but not from `since`, newest first.
pub(super) fn commits(
    repo: &Repository,
    head: Oid,
    since: Option<Oid>,
    change_request: Option<&Regex>,
) -> Result<Vec<Value>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    walk.push(head)?;
    if let Some(since) = since {
        walk.hide(since)?;
    }
    let mut out = Vec::new();
    for id in walk {
        let commit = repo.find_commit(id?)?;
        out.push(record(&commit, change_request));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::utc_date;

    #[test]
    fn dates_in_utc() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_709_164_799), "2024-02-28");
        assert_eq!(utc_date(1_709_164_800), "2024-02-29");
        assert_eq!(utc_date(-1), "1969-12-31");
        assert_eq!(utc_date(4_102_444_800), "2100-01-01");
    }
}
