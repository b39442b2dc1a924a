//! The regulatory structure of the dossier, as data: the general safety and performance
//! requirements of MDR Annex I with their applicability to standalone AI software, the
//! method and standards that demonstrate each; the sections of the MDR technical
//! documentation (Annex II) and of the post-market surveillance plan (Annex III); and
//! the technical documentation of a high-risk AI system (AI Act Annex IV).
//!
//! Every id is spelled as a citation (`Annex I 17.1`) and is a clause of the compiler's
//! framework catalogue ([`clic_compiler::frameworks::CLAUSES`]), which holds the one
//! declaration of its title: [`title`] reads it, so the GSPR checklist, `clic explain`
//! and the policies' citations cannot drift apart.
//!
//! Applicability is stated for the device clic documents: standalone software, used by
//! healthcare professionals, that analyses medical images acquired by other devices.
//! Where an item does not apply, the justification says why, so Annex II 4(a) ("why the
//! others do not apply") is answered item by item.

mod ai_act;
pub mod fills;
mod gspr;
pub mod gspr_sections;
mod mdr;
#[cfg(test)]
mod tests;

pub use ai_act::ANNEX_IV;
pub use gspr::GSPRS;
pub use mdr::{ANNEX_II, ANNEX_III};

use clic_compiler::frameworks::{clause, Clause};

/// How conformity with a requirement is demonstrated (the methods of Annex II 4(b)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// Verification or validation by executing tests, with protocols and reports.
    Test,
    /// Analysis: risk analysis, design analysis, calculation or review of evidence.
    Analysis,
    /// Inspection of documents, labelling or the product against the requirement.
    Inspection,
    /// Clinical evaluation (MDR Article 61, Annex XIV Part A).
    ClinicalEvaluation,
}

impl Method {
    /// The method as the GSPR checklist names it.
    pub fn label(self) -> &'static str {
        match self {
            Method::Test => "test",
            Method::Analysis => "analysis",
            Method::Inspection => "inspection",
            Method::ClinicalEvaluation => "clinical evaluation",
        }
    }
}

/// A chapter of MDR Annex I.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Chapter {
    /// Chapter I: general requirements (sections 1-9).
    General,
    /// Chapter II: requirements regarding design and manufacture (sections 10-22).
    DesignAndManufacture,
    /// Chapter III: requirements regarding the information supplied with the device (23).
    Information,
}

impl Chapter {
    /// The chapter's number and title as in Annex I.
    pub fn title(self) -> &'static str {
        match self {
            Chapter::General => "Chapter I: General requirements",
            Chapter::DesignAndManufacture => {
                "Chapter II: Requirements regarding design and manufacture"
            }
            Chapter::Information => {
                "Chapter III: Requirements regarding the information supplied with the device"
            }
        }
    }
}

/// One general safety and performance requirement of MDR Annex I, as the GSPR checklist
/// of Annex II 4 shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gspr {
    /// The clause, e.g. `Annex I 17.1`.
    pub id: &'static str,
    /// Its chapter.
    pub chapter: Chapter,
    /// True when the requirement is assessed in its sub-items (listed after it), not as a
    /// whole; a heading has no method or standard of its own.
    pub heading: bool,
    /// Whether it applies to standalone AI software for professional use.
    pub applicable: bool,
    /// Why it does not apply; `None` when it applies.
    pub justification: Option<&'static str>,
    /// How conformity is demonstrated; empty for headings and items that do not apply.
    pub methods: &'static [Method],
    /// Standards, common specifications and guidance applied.
    pub standards: &'static [&'static str],
}

impl Gspr {
    /// Its short title, from the compiler's framework catalogue.
    pub fn title(&self) -> &'static str {
        title("mdr", self.id)
    }
}

/// One item of the MDR technical documentation (Annex II).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocItem {
    /// The clause, e.g. `Annex II 1.1(a)`.
    pub id: &'static str,
    /// True for a grouping (`Annex II 1.1`) whose content is its lettered items.
    pub heading: bool,
    /// Whether it applies to standalone AI software.
    pub applicable: bool,
    /// Why it does not apply; `None` when it applies.
    pub justification: Option<&'static str>,
}

impl DocItem {
    /// Its short title, from the compiler's framework catalogue.
    pub fn title(&self) -> &'static str {
        title("mdr", self.id)
    }
}

/// One numbered section of MDR Annex II.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocSection {
    /// Section number, 1 to 6.
    pub number: u8,
    /// The clause, e.g. `Annex II 4`.
    pub id: &'static str,
    /// Its items, in the order of the text.
    pub items: &'static [DocItem],
}

impl DocSection {
    /// Its title, from the compiler's framework catalogue.
    pub fn title(&self) -> &'static str {
        title("mdr", self.id)
    }
}

/// One part of the post-market surveillance documentation (MDR Annex III).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PmsItem {
    /// The clause, e.g. `Annex III 1.1(a)`.
    pub id: &'static str,
    /// What it must cover, in the order of the text.
    pub elements: &'static [&'static str],
}

impl PmsItem {
    /// Its short title, from the compiler's framework catalogue.
    pub fn title(&self) -> &'static str {
        title("mdr", self.id)
    }
}

/// One requirement within an item of AI Act Annex IV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnexIvPoint {
    /// The lettered point's clause, e.g. `Annex IV 2(g)`; `None` where the text does not
    /// letter its points (items 3 to 9).
    pub id: Option<&'static str>,
    /// What the documentation must contain, paraphrasing the text.
    pub requires: &'static str,
}

/// One numbered item of AI Act Annex IV (technical documentation, Article 11(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnexIvItem {
    /// Item number, 1 to 9.
    pub number: u8,
    /// The clause, e.g. `Annex IV 3`.
    pub id: &'static str,
    /// What it requires, in the order of the text.
    pub points: &'static [AnnexIvPoint],
}

impl AnnexIvItem {
    /// Its short title, from the compiler's framework catalogue.
    pub fn title(&self) -> &'static str {
        title("ai_act", self.id)
    }
}

/// The title of a clause in the compiler's framework catalogue; empty for an unknown
/// clause (the tests keep every id of this module known).
pub fn title(framework: &str, id: &str) -> &'static str {
    clause(framework, id).map_or("", |c: &Clause| c.title)
}

/// The GSPR with this id.
pub fn gspr(id: &str) -> Option<&'static Gspr> {
    GSPRS.iter().find(|g| g.id == id)
}

/// Whether a clause cited as `cited` covers the catalogue clause `item`: the same
/// clause, or one of its sub-clauses (`Annex I 17.2(a)` and `Annex I 17.2.1` count towards
/// `Annex I 17.2`). White space does not count.
pub fn covers(cited: &str, item: &str) -> bool {
    let norm = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let (c, i) = (norm(cited), norm(item));
    !i.is_empty() && (c == i || c.starts_with(&format!("{i}.")) || c.starts_with(&format!("{i}(")))
}
