//! When the claims, the model and the reference set last changed, read from the
//! history: the evidence that the claims were specified before the model and the
//! reference set they are measured on (`git.claims.prespecified`).
//!
//! - The claims are the manifest's claims as the compiler reads them: the model's
//!   claims, each finding's, the summary claims and the non-inferiority margins. A
//!   commit that reformats the manifest, edits a comment or changes another statement
//!   does not change them; `72%` and `0.72` are the same claim. A version of the manifest
//!   that this clic cannot compile is compared by the text of its `claims { ... }` blocks
//!   (comments and spacing dropped), so a change between a compiling version and one that
//!   does not is a change.
//! - The model is the artifact file (its blob, so an LFS pointer changes with the model)
//!   and the manifest's sha256 pin of it.
//! - The reference set is the reference folder (its tree: any scan or label) and the
//!   labels file.
//! - Paths are the current manifest's: an artifact renamed in the past is not followed.
//! - A commit changes a part when the part differs from every parent (the root commit:
//!   when the part is present). A merge that takes one side's version is not a change;
//!   the commit on that side that made it is. Walking from HEAD, newest first in
//!   topological order, the first commit that changes a part is when it last changed.

use git2::{Commit, ObjectType, Oid, Repository, Sort, Tree};
use std::collections::HashMap;
use std::path::Path;

/// The parts of the project whose history is compared, as paths relative to the
/// repository root.
pub(super) struct Parts {
    /// The manifest file.
    pub manifest: String,
    /// The artifact.
    pub artifact: Option<String>,
    /// The reference folder and the labels file.
    pub reference: Vec<String>,
}

/// The commit that last changed a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Change {
    /// The commit.
    pub id: Oid,
    /// Its committer time (Unix seconds).
    pub time: i64,
}

/// When each part last changed; none when no commit holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct LastChanges {
    pub claims: Option<Change>,
    pub model: Option<Change>,
    pub reference: Option<Change>,
}

/// What a commit holds of each part.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    claims: Option<String>,
    model: Option<(Option<Oid>, Option<String>)>,
    reference: Option<Vec<Option<Oid>>>,
}

/// The manifest as history compares it: its claims and its pin.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Manifest {
    claims: String,
    pin: Option<String>,
}

struct Walker<'r> {
    repo: &'r Repository,
    parts: &'r Parts,
    manifests: HashMap<Oid, Manifest>,
    states: HashMap<Oid, State>,
}

/// When the claims, the model and the reference set last changed, in the history of `head`.
pub(super) fn last_changes(
    repo: &Repository,
    head: Oid,
    parts: &Parts,
) -> Result<LastChanges, git2::Error> {
    let mut w = Walker {
        repo,
        parts,
        manifests: HashMap::new(),
        states: HashMap::new(),
    };
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    walk.push(head)?;
    let mut out = LastChanges::default();
    for id in walk {
        let commit = repo.find_commit(id?)?;
        let state = w.state(&commit)?;
        let mut parents = Vec::new();
        for parent in commit.parents() {
            parents.push(w.state(&parent)?);
        }
        let change = Change {
            id: commit.id(),
            time: commit.time().seconds(),
        };
        let changed = |part: &dyn Fn(&State) -> bool| {
            if parents.is_empty() {
                true
            } else {
                parents.iter().all(part)
            }
        };
        if out.claims.is_none()
            && state.claims.is_some()
            && changed(&|p: &State| p.claims != state.claims)
        {
            out.claims = Some(change);
        }
        if out.model.is_none()
            && state.model.is_some()
            && changed(&|p: &State| p.model != state.model)
        {
            out.model = Some(change);
        }
        if out.reference.is_none()
            && state.reference.is_some()
            && changed(&|p: &State| p.reference != state.reference)
        {
            out.reference = Some(change);
        }
        let done = |c: &Option<Change>, wanted: bool| c.is_some() || !wanted;
        if done(&out.claims, true)
            && done(&out.model, parts.artifact.is_some())
            && done(&out.reference, !parts.reference.is_empty())
        {
            break;
        }
    }
    Ok(out)
}

impl Walker<'_> {
    fn state(&mut self, commit: &Commit<'_>) -> Result<State, git2::Error> {
        if let Some(s) = self.states.get(&commit.id()) {
            return Ok(s.clone());
        }
        let tree = commit.tree()?;
        let manifest = match entry(&tree, &self.parts.manifest) {
            Some(id) => Some(self.manifest(id)?),
            None => None,
        };
        let model = self.parts.artifact.as_deref().and_then(|a| {
            let file = entry(&tree, a);
            let pin = manifest.as_ref().and_then(|m| m.pin.clone());
            (file.is_some() || pin.is_some()).then_some((file, pin))
        });
        let reference: Vec<Option<Oid>> = self
            .parts
            .reference
            .iter()
            .map(|p| entry(&tree, p))
            .collect();
        let state = State {
            claims: manifest.map(|m| m.claims),
            model,
            reference: reference.iter().any(Option::is_some).then_some(reference),
        };
        self.states.insert(commit.id(), state.clone());
        Ok(state)
    }

    fn manifest(&mut self, blob: Oid) -> Result<Manifest, git2::Error> {
        if let Some(m) = self.manifests.get(&blob) {
            return Ok(m.clone());
        }
        let object = self.repo.find_object(blob, None)?;
        let text = match object.as_blob() {
            Some(b) => String::from_utf8_lossy(b.content()).into_owned(),
            None => String::new(),
        };
        let m = read_manifest(&self.parts.manifest, &text);
        self.manifests.insert(blob, m.clone());
        Ok(m)
    }
}

/// The id of the tree entry at `path` (a blob or a tree); none when absent.
fn entry(tree: &Tree<'_>, path: &str) -> Option<Oid> {
    if path.is_empty() {
        return Some(tree.id());
    }
    let e = tree.get_path(Path::new(path)).ok()?;
    matches!(e.kind(), Some(ObjectType::Blob | ObjectType::Tree)).then(|| e.id())
}

/// The claims and the pin of a manifest's text.
fn read_manifest(name: &str, text: &str) -> Manifest {
    let compiled = clic_compiler::compile_str(name, text);
    if let Some(spec) = compiled.plan.and_then(|p| p.model) {
        let a = &spec.analysis;
        let claims = serde_json::json!({
            "claims": spec.claims,
            "findings": a.finding_claims,
            "summary": a.summary_claims,
            "noninferiority": a.noninferiority,
        });
        return Manifest {
            claims: format!("compiled {claims}"),
            pin: spec.artifact.sha256,
        };
    }
    Manifest {
        claims: format!("text {}", claims_text(text)),
        pin: None,
    }
}

/// The text of every `claims { ... }` block, comments and spacing dropped: how a
/// manifest this clic cannot compile is compared.
pub(super) fn claims_text(text: &str) -> String {
    let words: Vec<&str> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .flat_map(|l| {
            l.split_inclusive(['{', '}'])
                .flat_map(|p| match p.strip_suffix(['{', '}']) {
                    Some(head) => vec![head, &p[head.len()..]],
                    None => vec![p],
                })
                .collect::<Vec<_>>()
        })
        .flat_map(str::split_whitespace)
        .collect();
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "claims" && words.get(i + 1) == Some(&"{") {
            let mut depth = 0usize;
            let mut j = i + 1;
            while j < words.len() {
                match words[j] {
                    "{" => depth += 1,
                    "}" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                out.push(words[j]);
                j += 1;
                if depth == 0 {
                    break;
                }
            }
            out.push(";");
            i = j;
        } else {
            i += 1;
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_text_ignores_comments_and_spacing() {
        let a = "model m {\n  # set before scoring\n  claims {\n    sensitivity 72%\n  }\n}\n";
        let b = "model m {\n  claims { sensitivity   72% } # same\n}\n";
        assert_eq!(claims_text(a), claims_text(b));
        assert_eq!(claims_text(a), "{ sensitivity 72% } ;");
        let c = "model m {\n  claims {\n    sensitivity 80%\n  }\n}\n";
        assert_ne!(claims_text(a), claims_text(c));
        assert_eq!(claims_text("model m { version \"1\" }"), "");
    }

    #[test]
    fn compiled_claims_ignore_how_they_are_written() {
        let m = |claims: &str| {
            format!(
                "model m {{\n  version \"1.0.0\"\n  purpose \"p\"\n  class IIa\n  artifact \"m.onnx\"\n  {claims}\n}}\n"
            )
        };
        let a = read_manifest("model.clic", &m("claims {\n sensitivity 72%\n }"));
        let b = read_manifest(
            "model.clic",
            &m("# a comment\n  claims { sensitivity 0.72 }"),
        );
        let c = read_manifest("model.clic", &m("claims { sensitivity 80% }"));
        assert!(a.claims.starts_with("compiled"), "{}", a.claims);
        assert_eq!(a.claims, b.claims);
        assert_ne!(a.claims, c.claims);
    }
}
