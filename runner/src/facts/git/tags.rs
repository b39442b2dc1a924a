//! Tags and the last release.

use super::version::{self, SemVer};
use git2::{Oid, Repository};

/// A tag and the commit it points at (annotated tags peeled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tag {
    /// Short name, e.g. `v1.4.0`.
    pub name: String,
    /// The commit.
    pub commit: Oid,
}

/// Every tag that points, directly or through tag objects, at a commit.
pub(super) fn all(repo: &Repository) -> Result<Vec<Tag>, git2::Error> {
    let mut refs: Vec<(String, Oid)> = Vec::new();
    repo.tag_foreach(|oid, name| {
        let name = String::from_utf8_lossy(name);
        let short = name.strip_prefix("refs/tags/").unwrap_or(&name).to_string();
        refs.push((short, oid));
        true
    })?;
    let mut tags = Vec::new();
    for (name, oid) in refs {
        let Ok(object) = repo.find_object(oid, None) else {
            continue;
        };
        if let Ok(commit) = object.peel_to_commit() {
            tags.push(Tag {
                name,
                commit: commit.id(),
            });
        }
    }
    tags.sort_by(|a, b| version::compare(&a.name, &b.name));
    Ok(tags)
}

/// The highest `v<MAJOR.MINOR.PATCH>` tag (no pre-release) on a commit reachable from
/// `head` other than `head` itself.
pub(super) fn last_release(
    repo: &Repository,
    head: Oid,
    tags: &[Tag],
) -> Result<Option<Tag>, git2::Error> {
    let mut best: Option<(SemVer, &Tag)> = None;
    for tag in tags {
        let Some(v) = SemVer::from_tag(&tag.name).filter(SemVer::is_release) else {
            continue;
        };
        if best
            .as_ref()
            .is_some_and(|(b, t)| (b, &t.name) >= (&v, &tag.name))
        {
            continue;
        }
        if tag.commit != head && repo.graph_descendant_of(head, tag.commit)? {
            best = Some((v, tag));
        }
    }
    Ok(best.map(|(_, t)| t.clone()))
}
