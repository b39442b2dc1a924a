//! The catalogues of [`crate::catalogue`] turned into the sections the templates show,
//! each item filled by [`crate::fill`] or marked not applicable with its justification.

use crate::catalogue::{self, Method, ANNEX_II, ANNEX_III, ANNEX_IV, GSPRS};
use crate::context::{Filled, Gaps};
use crate::fill;
use crate::performance::Benchmark;
use crate::regulatory::{AiActItem, AiActPoint, AnnexIISection, AnnexItem, PmsItem};
use crate::sources::Sources;
use crate::views::DocView;

/// One requirement of MDR Annex I, as the checklist shows it.
#[derive(Debug, Clone)]
pub struct GsprView {
    /// The clause, e.g. `Annex I 17.1`.
    pub reference: String,
    /// Its short title.
    pub title: String,
    /// Whether it is assessed in its sub-items.
    pub heading: bool,
    /// Whether it applies.
    pub applies: bool,
    /// Why it applies or not.
    pub rationale: String,
    /// Methods.
    pub method: String,
    /// Standards.
    pub standards: String,
}

/// Every GSPR of the catalogue, in the order of the text.
pub fn gspr_items() -> Vec<GsprView> {
    GSPRS
        .iter()
        .map(|g| GsprView {
            reference: g.id.to_string(),
            title: g.title().to_string(),
            heading: g.heading,
            applies: g.applicable,
            rationale: match (g.heading, g.justification) {
                (true, _) => "assessed in its sub-items below".to_string(),
                (false, Some(why)) => why.to_string(),
                (false, None) => format!(
                    "applies to standalone AI software for professional use ({})",
                    g.chapter.title()
                ),
            },
            method: if g.methods.is_empty() {
                "—".to_string()
            } else {
                g.methods
                    .iter()
                    .map(|m: &Method| m.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            standards: if g.standards.is_empty() {
                "—".to_string()
            } else {
                g.standards.join("; ")
            },
        })
        .collect()
}

fn short<'a>(id: &'a str, prefix: &str) -> &'a str {
    id.strip_prefix(prefix).unwrap_or(id)
}

/// MDR Annex II, sections 1 to 6, every item filled or justified.
pub fn annex_ii<'a>(
    src: &Sources<'a>,
    docs: &[DocView],
    benchmark: &Benchmark<'_>,
    gaps: &mut Gaps,
) -> Vec<AnnexIISection<'a>> {
    ANNEX_II
        .iter()
        .map(|s| {
            let items = s
                .items
                .iter()
                .map(|i| {
                    let reference = short(i.id, "Annex II ");
                    let title = i.title();
                    let said = |content: String| AnnexItem {
                        reference,
                        title,
                        content: Filled::Text(crate::escape::markdown(&content)),
                        facts: Vec::new(),
                        controls: Vec::new(),
                        documents: Vec::new(),
                    };
                    if i.heading {
                        return said("See the items below.".to_string());
                    }
                    if !i.applicable {
                        return said(format!(
                            "Not applicable: {}",
                            i.justification
                                .unwrap_or("the item does not bear on standalone software.")
                        ));
                    }
                    let item = fill::annex_ii(src, docs, benchmark, gaps, reference, title);
                    AnnexItem {
                        reference,
                        title,
                        content: item.content,
                        facts: item.facts,
                        controls: item.controls,
                        documents: item.documents,
                    }
                })
                .collect();
            AnnexIISection {
                number: s.number,
                title: s.title(),
                items,
            }
        })
        .collect()
}

/// MDR Annex III: the catalogue's items with what each must cover, filled from the
/// post-market surveillance plan document.
pub fn annex_iii_items(docs: &[DocView], gaps: &mut Gaps) -> Vec<PmsItem> {
    ANNEX_III
        .iter()
        .map(|p| {
            let reference = short(p.id, "Annex III ");
            PmsItem {
                reference,
                title: p.title(),
                elements: p.elements,
                content: fill::annex_iii(docs, gaps, reference, p.title()),
            }
        })
        .collect()
}

/// AI Act Annex IV, items 1 to 9.
pub fn ai_act<'a>(
    src: &Sources<'a>,
    docs: &[DocView],
    benchmark: &Benchmark<'_>,
    gaps: &mut Gaps,
) -> Vec<AiActItem<'a>> {
    ANNEX_IV
        .iter()
        .map(|item| {
            let reference = item.number.to_string();
            let (filled, see) = fill::ai_act(src, docs, benchmark, gaps, &reference, item.title());
            AiActItem {
                number: item.number,
                title: item.title(),
                points: item
                    .points
                    .iter()
                    .map(|p| AiActPoint {
                        reference: p.id.map(|i| short(i, "Annex IV ")),
                        requires: p.requires,
                    })
                    .collect(),
                content: filled.content,
                facts: filled.facts,
                controls: filled.controls,
                see,
            }
        })
        .collect()
}

/// Whether a catalogued clause is one the dossier must show covered: it applies and is
/// not a heading assessed in its sub-items.
pub fn applicable_clause(framework: &str, id: &str) -> bool {
    match framework {
        "mdr" => {
            if let Some(g) = catalogue::gspr(id) {
                return g.applicable && !g.heading;
            }
            ANNEX_II
                .iter()
                .flat_map(|s| s.items.iter())
                .find(|i| i.id == id)
                .is_none_or(|i| i.applicable && !i.heading)
        }
        _ => true,
    }
}
