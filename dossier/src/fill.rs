//! Fills each item of MDR Annex II, Annex III and AI Act Annex IV as its row in
//! [`crate::catalogue::fills`] says: from the sections of the documents the manifest
//! names, a section whose heading carries the item's reference (e.g. `1.1(b)`) or its
//! title, and what the manifest, the benchmark, git and the check results say. An item
//! nothing fills is a named gap.

use crate::catalogue::fills::{self, Derived, Fact, Fill, Order};
use crate::context::{Filled, Gaps};
use crate::performance::Benchmark;
use crate::regulatory::{DocRef, FactLine, SeeAlso};
use crate::rows::ControlRef;
use crate::sources::Sources;
use crate::views::{find_section, DocView};
use clic_runner::documents::sections::SectionRef;

/// The section of a document that carries this item: a heading with its reference
/// (`1.1(b)`) or its title's leading words.
pub fn from_documents(docs: &[DocView], reference: &str, title: &str) -> Option<String> {
    let key = title
        .split([',', ';', '(', ':'])
        .next()
        .unwrap_or(title)
        .trim()
        .to_lowercase();
    let r = reference.to_lowercase();
    let mut words: Vec<&str> = vec![r.as_str()];
    if key.len() >= 6 {
        words.push(key.as_str());
    }
    find_section(docs, &[], &words)
}

/// The sections of the documents that hold an item, joined: each names a heading of a
/// document template ([`clic_runner::documents::sections`]). Markdown: each passage as its
/// author wrote it, after a line that says where it comes from.
pub fn gather(docs: &[DocView], wanted: &[SectionRef]) -> Option<String> {
    let mut parts = Vec::new();
    for want in wanted {
        let Some(d) = docs.iter().find(|d| d.exists && d.kind == want.kind) else {
            continue;
        };
        if let Some((title, body)) = d.sections.iter().find(|(t, _)| want.matches(t)) {
            // The label is clic's, escaped; the passage is the author's Markdown, on
            // its own so that a list or a table in it starts where it should.
            parts.push(format!(
                "{} ({}):\n\n{}",
                crate::escape::markdown(title),
                crate::escape::markdown(&d.path),
                body.trim()
            ));
        }
    }
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// Controls citing a clause of `framework` that `covers` the item.
pub fn controls_for<'a>(
    src: &Sources<'a>,
    framework: &str,
    clauses: &[&str],
) -> Vec<ControlRef<'a>> {
    src.plan
        .checks
        .iter()
        .filter(|c| {
            c.citations.iter().any(|x| {
                x.framework == framework
                    && clauses
                        .iter()
                        .any(|k| crate::catalogue::covers(&x.clause, k) || x.clause.starts_with(k))
            })
        })
        .map(|c| {
            let status =
                crate::context::control(c, src.evidence.results.iter().find(|r| r.id == c.id))
                    .status;
            ControlRef {
                id: &c.id,
                title: &c.title,
                status,
            }
        })
        .collect()
}

/// Controls of several frameworks' clauses, each once, sorted by id.
fn controls_any<'a>(src: &Sources<'a>, wanted: &[(&str, &[&str])]) -> Vec<ControlRef<'a>> {
    let mut all: Vec<ControlRef<'a>> = wanted
        .iter()
        .flat_map(|(fw, clauses)| controls_for(src, fw, clauses))
        .collect();
    all.sort_by(|a, b| a.id.cmp(b.id));
    all.dedup_by(|a, b| a.id == b.id);
    all
}

fn docs_of(docs: &[DocView], kinds: &[&str]) -> Vec<DocRef> {
    docs.iter()
        .filter(|d| d.declared && kinds.contains(&d.kind.as_str()))
        .map(|d| DocRef {
            kind: d.kind.clone(),
            path: d.path.clone(),
            approval: if d.exists {
                Filled::Text(approval_text(d))
            } else {
                Filled::marker(format!("{} does not exist", d.path))
            },
        })
        .collect()
}

fn approval_text(d: &DocView) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &d.version {
        parts.push(format!("version {v}"));
    }
    if let Some(a) = &d.approved_by {
        parts.push(format!("approved by {a}"));
    }
    if let Some(t) = &d.date {
        parts.push(format!("dated {t}"));
    }
    if parts.is_empty() {
        "present; no version, approver or date recorded".to_string()
    } else {
        parts.join(", ")
    }
}

/// One item: its content (from the inputs, or a gap), facts, controls and documents.
pub struct Item<'a> {
    /// Main text, or a gap.
    pub content: Filled,
    /// Labelled facts.
    pub facts: Vec<FactLine<'a>>,
    /// Controls covering it.
    pub controls: Vec<ControlRef<'a>>,
    /// Documents it rests on.
    pub documents: Vec<DocRef>,
}

fn bench_summary(benchmark: &Benchmark<'_>) -> Option<String> {
    if let (Some(f), None) = (&benchmark.findings, &benchmark.measured) {
        return Some(f.summary());
    }
    let m = benchmark.measured.as_ref()?;
    let parts: Vec<String> = m
        .metrics
        .iter()
        .map(|e| {
            format!(
                "{} {} (95% CI {}, {})",
                e.name, e.estimate.value, e.estimate.ci, e.estimate.method
            )
        })
        .collect();
    Some(format!(
        "On the reference set of {} analysed cases: {}. See the clinical performance report.",
        m.crosstab.n,
        parts.join("; ")
    ))
}

/// What the manifest declares of Rule 11's two axes (MDCG 2019-11), in words.
fn significance(spec: &clic_compiler::plan::ModelSpec) -> String {
    let meaning = |s: &str| match s {
        "treat-or-diagnose" => "to treat or diagnose",
        "drive-management" => "to drive clinical management",
        "inform-management" => "to inform clinical management",
        "monitor" => "to monitor physiological processes",
        "monitor-vital" => "to monitor vital physiological parameters",
        _ => "for another purpose",
    };
    match (&spec.significance, &spec.situation) {
        (Some(s), Some(t)) => format!(
            "The manifest declares significance {s} situation {t}: the information is used {} in a {t} healthcare situation (MDCG 2019-11).",
            meaning(s)
        ),
        (Some(s), None) => format!(
            "The manifest declares significance {s} (the information is used {}) and no healthcare situation.",
            meaning(s)
        ),
        _ => "The manifest declares no significance (MDCG 2019-11), so Rule 11's class cannot be checked.".to_string(),
    }
}

/// What the inputs other than the documents say of an item.
fn derived(d: Derived, src: &Sources<'_>, benchmark: &Benchmark<'_>) -> Option<String> {
    let spec = src.spec;
    match d {
        Derived::Nothing => None,
        Derived::Identity => Some(format!("{} {}: {}", spec.name, spec.version, spec.purpose)),
        Derived::Operation => {
            let input = spec.input.as_ref().map_or_else(String::new, |i| {
                let steps = crate::context::preprocessing(spec);
                format!(
                    "It reads {} DICOM images into the tensor {} ({}).",
                    i.modalities.join(", "),
                    i.tensor,
                    steps.join("; ")
                )
            });
            let output = spec.output.as_ref().map_or_else(String::new, |o| {
                format!(
                    " A neural network ({}) gives a score in {}; a score {} {} means \"{}\".",
                    spec.artifact.path,
                    o.tensor,
                    if o.inclusive { ">=" } else { ">" },
                    o.threshold,
                    o.positive
                )
            });
            Some(format!("{input}{output}"))
        }
        Derived::Qualification => Some(format!(
            "Software with a medical purpose under MDR Article 2(1), given its intended purpose: {}. {}",
            spec.purpose.trim_end_matches('.'),
            significance(spec)
        )),
        Derived::Classification => Some(match &spec.classification_rule {
            Some(rule) => format!("Class {} by rule {rule} of Annex VIII.", spec.class),
            None => format!("Class {}; the manifest names no classification rule.", spec.class),
        }),
        Derived::Configuration => {
            let ships = match &spec.runtime {
                Some(r) => format!(
                    "the device ships on {}{}",
                    r.name,
                    r.version.as_ref().map_or_else(String::new, |v| format!(" {v}"))
                ),
                None => "the manifest does not declare the runtime the device ships with".to_string(),
            };
            let evidence = match &benchmark.backend {
                crate::context::Filled::Text(b) => format!("the benchmark evidence of this dossier was produced on {b}"),
                _ => "no benchmark evidence records a runtime".to_string(),
            };
            Some(format!(
                "One configuration: the model file {}; {ships}; {evidence}; no variant is declared.",
                spec.artifact.path
            ))
        }
        Derived::KeyElements => Some(format!(
            "The software's key functional element is the model {}{}, with the preprocessing of the manifest.",
            spec.artifact.path,
            spec.artifact
                .sha256
                .as_ref()
                .map_or_else(String::new, |s| format!(" (sha256 {s})"))
        )),
        Derived::RawMaterials => Some("Not applicable: software has no raw materials.".to_string()),
        Derived::Inputs => spec.input.as_ref().map(|i| {
            format!(
                "Input: {} DICOM images. Operating point: {}. Claims: {}.",
                i.modalities.join(", "),
                spec.output.as_ref().map_or("none".to_string(), |o| format!(
                    "score {} {}",
                    if o.inclusive { ">=" } else { ">" },
                    o.threshold
                )),
                spec.claims
                    .iter()
                    .map(|(k, v)| format!("{k} {}", crate::shown::claim_shown(k, *v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
        Derived::Release => match (&src.git.commit, &src.git.date) {
            (Some(c), Some(d)) => Some(format!(
                "Software is manufactured by release from version control: the released model {} is the file at commit {c} of {d}, pinned by sha256 in the manifest.",
                spec.artifact.path
            )),
            _ => None,
        },
        Derived::GsprChecklist => Some(
            "See the GSPR checklist (MDR Annex I): for every requirement, whether it applies and why, the method, the standards, and the controls with their results, cross-referenced to the evidence.".to_string(),
        ),
        Derived::Benchmark => bench_summary(benchmark),
        Derived::Subgroups => benchmark.measured.as_ref().map(|_| {
            "Accuracy for specific groups of persons and settings is in the subgroup tables of the clinical performance report.".to_string()
        }),
        Derived::Metrics => Some("Sensitivity and specificity at the operating point, with Wilson 95% intervals, and ROC AUC with a DeLong interval, as STARD 2015 item 24 asks for diagnostic accuracy; claims are judged on the lower bound of the interval.".to_string()),
        Derived::Changes => src.git.commit.as_ref().map(|c| {
            format!(
                "Changes are made under version control; this documentation is of commit {c}{}.",
                src.git.tag.as_ref().map_or_else(String::new, |t| format!(", tag {t}"))
            )
        }),
        Derived::Frameworks => {
            let mut names: Vec<&str> = Vec::new();
            for c in &src.plan.checks {
                for x in &c.citations {
                    if !names.contains(&x.framework_name.as_str()) {
                        names.push(x.framework_name.as_str());
                    }
                }
            }
            (!names.is_empty()).then(|| {
                format!("Frameworks and standards the controls apply: {}.", names.join(", "))
            })
        }
        Derived::Monitoring => Some("The post-market monitoring plan is part of the MDR post-market surveillance plan (Annex III), with indicators and thresholds from the claims.".to_string()),
    }
}

/// Two texts of an item together, else either.
fn joined(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}\n\n{b}")),
        (a, b) => a.or(b),
    }
}

/// What fills an item: its content (or none), facts, controls, documents and the files
/// it refers to.
struct Found<'a> {
    content: Option<String>,
    facts: Vec<FactLine<'a>>,
    controls: Vec<ControlRef<'a>>,
    documents: Vec<DocRef>,
    see: Vec<SeeAlso>,
}

impl<'a> Found<'a> {
    /// The item, its content filled or a gap recorded under `document`.
    fn item(self, gaps: &mut Gaps, document: &str, section: &str) -> (Item<'a>, Vec<SeeAlso>) {
        let item = Item {
            content: gaps.fill(document, section, self.content, UNFILLED),
            facts: self.facts,
            controls: self.controls,
            documents: self.documents,
        };
        (item, self.see)
    }
}

/// An item filled as its row says.
fn filled<'a>(
    row: &Fill,
    src: &Sources<'a>,
    docs: &[DocView],
    benchmark: &Benchmark<'_>,
    reference: &str,
    title: &str,
) -> Found<'a> {
    let spec = src.spec;
    let heading = || from_documents(docs, reference, title);
    let sections = gather(docs, row.sections);
    // What clic says is plain text; the item's content is Markdown.
    let derived = derived(row.derived, src, benchmark).map(|s| crate::escape::markdown(&s));
    let content = match row.order {
        Order::Sections => sections.or_else(heading).or(derived),
        Order::Derived => derived,
        Order::DerivedThenSections => joined(derived, sections).or_else(heading),
        Order::SectionsThenDerived => joined(sections, derived).or_else(heading),
        Order::SectionsElseDerived => sections.or(derived),
    };
    let facts = row
        .facts
        .iter()
        .map(|f| match f {
            Fact::TradeName => FactLine {
                label: "Trade name",
                value: &spec.name,
            },
            Fact::Version => FactLine {
                label: "Version",
                value: &spec.version,
            },
            Fact::Purpose => FactLine {
                label: "Intended purpose",
                value: &spec.purpose,
            },
        })
        .collect();
    let controls = match row.controls {
        [] => Vec::new(),
        [(fw, clauses)] => controls_for(src, fw, clauses),
        several => controls_any(src, several),
    };
    let see = row
        .see
        .iter()
        .map(|&(file, title)| SeeAlso { file, title })
        .collect();
    Found {
        content,
        facts,
        controls,
        documents: docs_of(docs, row.documents),
        see,
    }
}

/// What an item nothing fills says in its place.
const UNFILLED: &str = "neither the manifest nor the documents it names say this (a document heading with the item's reference or title fills it)";

/// Fills an item of MDR Annex II.
pub fn annex_ii<'a>(
    src: &Sources<'a>,
    docs: &[DocView],
    benchmark: &Benchmark<'_>,
    gaps: &mut Gaps,
    reference: &str,
    title: &str,
) -> Item<'a> {
    let row = fills::fill(fills::ANNEX_II_FILLS, &reference.replace(' ', ""));
    filled(row, src, docs, benchmark, reference, title)
        .item(gaps, "annex-ii.md", &format!("{reference} {title}"))
        .0
}

/// Fills an item of AI Act Annex IV.
pub fn ai_act<'a>(
    src: &Sources<'a>,
    docs: &[DocView],
    benchmark: &Benchmark<'_>,
    gaps: &mut Gaps,
    reference: &str,
    title: &str,
) -> (Item<'a>, Vec<SeeAlso>) {
    let row = fills::fill(
        fills::ANNEX_IV_FILLS,
        reference.trim().trim_end_matches('.'),
    );
    filled(row, src, docs, benchmark, reference, title).item(
        gaps,
        "ai-act-annex-iv.md",
        &format!("{reference} {title}"),
    )
}

/// Fills an item of the Annex III plan from the post-market surveillance plan document
/// (`pms_plan`): the sections of its template that answer the item.
pub fn annex_iii(docs: &[DocView], gaps: &mut Gaps, reference: &str, title: &str) -> Filled {
    let row = fills::fill(fills::ANNEX_III_FILLS, &reference.replace(' ', ""));
    let content = gather(docs, row.sections).or_else(|| from_documents(docs, reference, title));
    gaps.fill(
        "annex-iii.md",
        &format!("{reference} {title}"),
        content,
        "the manifest names no post-market surveillance plan (pms_plan) that describes it",
    )
}
