//! The GSPR checklist's evidence of each requirement, as a reviewer reads it: the
//! sections of the team's documents that hold it (each with its document's version, and
//! what a control checked of it), and a justification made from what its controls test
//! and what they found — their titles, their results and the figures they measured — and
//! from the documents that no control checks, which the reviewer must read. Each row
//! thus says its own thing; none shares a sentence written once for all.

use crate::catalogue::gspr_sections;
use crate::context::{status_word, Filled};
use crate::evidenced::{self, Kind};
use crate::regulatory::GsprCitation;
use crate::views::DocView;
use clic_compiler::plan::Check;
use clic_runner::evidence::{CheckResult, Status};

/// A control that covers a requirement, with its result (none when not run).
#[derive(Debug, Clone, Copy)]
pub struct Covering<'a> {
    /// The control.
    pub check: &'a Check,
    /// Its result.
    pub result: Option<&'a CheckResult>,
}

/// A section sought: the document kind and the start of its heading, lowercase.
struct Sought {
    kind: String,
    heading: String,
}

impl Sought {
    /// As [`clic_runner::documents::sections::SectionRef::matches`]: the heading starts with it, case-insensitively.
    fn matches(&self, heading: &str) -> bool {
        heading.to_lowercase().starts_with(&self.heading)
    }
}

/// The sections that hold the evidence of requirement `id`: the catalogue's, then the
/// headings its covering controls name, each once, in that order.
fn sought(id: &str, covering: &[Covering<'_>]) -> Vec<Sought> {
    let mut out: Vec<Sought> = gspr_sections::sections(id)
        .iter()
        .map(|r| Sought {
            kind: r.kind.to_string(),
            heading: r.heading.to_string(),
        })
        .collect();
    for c in covering {
        for (kind, headings) in evidenced::documents_read(c.check) {
            for h in headings {
                let h = h.to_lowercase();
                if !out
                    .iter()
                    .any(|s| s.kind == kind && h.starts_with(&s.heading))
                {
                    out.push(Sought {
                        kind: kind.clone(),
                        heading: h,
                    });
                }
            }
        }
    }
    out
}

/// The documents that hold the evidence of requirement `id`, section by section, and the
/// kinds of document it needs that the manifest does not name or that do not exist (in
/// words).
pub fn citations(
    id: &str,
    covering: &[Covering<'_>],
    docs: &[DocView],
) -> (Vec<GsprCitation>, Vec<String>) {
    let mut cited = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    for s in sought(id, covering) {
        let doc = docs.iter().find(|d| d.kind == s.kind);
        let Some(d) = doc.filter(|d| d.declared && d.exists) else {
            let why = match doc {
                Some(d) if d.declared => format!("{} ({}) does not exist", d.path, s.kind),
                _ => format!("the manifest names no {} document", s.kind),
            };
            if !missing.contains(&why) {
                missing.push(why);
            }
            continue;
        };
        let found = d.headings.iter().find(|h| s.matches(h));
        let section = found.cloned().unwrap_or_else(|| {
            clic_runner::documents::templates::template(&s.kind)
                .and_then(|t| {
                    t.required_headings()
                        .into_iter()
                        .chain(t.questions())
                        .find(|h| s.matches(h))
                })
                .unwrap_or_else(|| s.heading.clone())
        });
        let state = match found {
            None => "absent",
            Some(h)
                if d.sections
                    .iter()
                    .any(|(x, body)| x == h && !body.trim().is_empty()) =>
            {
                "written"
            }
            Some(_) => "empty",
        };
        let checked = covering
            .iter()
            .filter(|c| c.result.is_some_and(|r| r.status != Status::Skipped))
            .filter_map(|c| evidenced::section_checked(c.check, &s.kind, &section))
            .max();
        let approval = covering
            .iter()
            .filter(|c| c.result.is_some_and(|r| r.status != Status::Skipped))
            .any(|c| evidenced::approval_checked(c.check, &s.kind));
        cited.push(GsprCitation {
            path: d.path.clone(),
            version: match &d.version {
                Some(v) if !v.trim().is_empty() => Filled::Text(v.clone()),
                _ => Filled::marker(format!("{} records no version in its front matter", d.path)),
            },
            section,
            state,
            checked: match (checked, approval) {
                (Some(Kind::ReviewedDocument | Kind::Measurement), _) => {
                    "a control checks that it is written"
                }
                (Some(Kind::Presence), _) => "a control checks only that the heading exists",
                (None, true) => {
                    "no control checks what it says; one checks the document's approval"
                }
                (None, false) => "no control checks it",
            },
        });
    }
    (cited, missing)
}

/// The longest shown value of a measured figure in a justification; a longer one (a
/// list of subgroups) is named, not shown.
const SHOWN: usize = 72;

/// What a control found, in words: its measured figures and the claims they are held
/// against.
fn found(r: &CheckResult) -> Vec<String> {
    r.observed
        .iter()
        .filter(|o| {
            let path = o.fact.split('(').next().unwrap_or(&o.fact);
            evidenced::of_fact(path, &Default::default()) == Kind::Measurement
                || path.starts_with("model.claims.")
        })
        .map(|o| {
            let v = o.value.display();
            if v.chars().count() > SHOWN {
                format!("{} read", o.fact)
            } else {
                format!("{} = {v}", o.fact)
            }
        })
        .collect()
}

/// The justification of a requirement that applies: what its controls test and found,
/// and what of its documents no control checks.
pub fn justification(
    covering: &[Covering<'_>],
    cited: &[GsprCitation],
    missing: &[String],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let run: Vec<&Covering<'_>> = covering
        .iter()
        .filter(|c| c.result.is_some_and(|r| r.status != Status::Skipped))
        .collect();
    if covering.is_empty() {
        parts.push("No control of the policies in force tests it.".to_string());
    } else if run.is_empty() {
        parts.push(format!(
            "None of its {} control(s) applies to this device or ran at this stage.",
            covering.len()
        ));
    } else {
        let tested: Vec<String> = run
            .iter()
            .map(|c| {
                let Some(r) = c.result else {
                    return c.check.title.clone();
                };
                let mut s = format!(
                    "{} ({}, {}",
                    c.check.title,
                    status_word(r.status),
                    evidenced::of_check(c.check).label()
                );
                let figures = found(r);
                if !figures.is_empty() {
                    s.push_str(": ");
                    s.push_str(&figures.join(", "));
                }
                s.push(')');
                s
            })
            .collect();
        parts.push(format!("Tested by: {}.", tested.join("; ")));
        let skipped = covering.len() - run.len();
        if skipped > 0 {
            parts.push(format!(
                "{skipped} other covering control(s) do not apply to this device or did not run."
            ));
        }
    }
    let unchecked: Vec<String> = cited
        .iter()
        .filter(|c| !c.checked.starts_with("a control checks that"))
        .map(|c| format!("{} \"{}\" ({})", c.path, c.section, c.state))
        .collect();
    if !unchecked.is_empty() {
        parts.push(format!(
            "For the reviewer to read, as no control checks what it says: {}.",
            unchecked.join(", ")
        ));
    }
    for m in missing {
        parts.push(format!("Not evidenced by a document: {m}."));
    }
    parts.join(" ")
}
