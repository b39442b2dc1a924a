//! The reporting checklists of a diagnostic accuracy study of an AI model, STARD 2015 and
//! CLAIM, item by item: each item a benchmark can support is filled from what the inputs
//! say — the manifest, the documents the manifest names (the section that holds it, cited
//! with the document's version), the reference set's make-up and the benchmark's
//! estimates — and an item nothing fills is a gap, recorded in the gap report under its
//! number so that the team is prompted for it.
//!
//! The items are paraphrased. STARD 2015 is numbered as published (Bossuyt et al., BMJ
//! 2015). CLAIM is numbered as its first edition numbers its 42 items (Mongan et al.,
//! Radiology: AI 2020); its 2024 update (Tejani et al.) revises the wording of items, and
//! whether it renumbers any is not verified here, which the report says.

use crate::context::{Filled, Gaps};
use crate::performance::Benchmark;
use crate::sources::Sources;
use crate::views::DocView;
use clic_runner::documents::sections::{
    ai_questionnaire as aiq, clinical_evaluation as ce, ifu, intended_use as iu,
    software_architecture as sa, soup_list as soup, SectionRef,
};
use serde::Serialize;

/// The document the checklists appear in (and the gap report names).
const DOC: &str = "clinical-performance.md";

/// What the inputs derive for an item (computed here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum D {
    Title,
    Summary,
    Purpose,
    Hypotheses,
    IndexTest,
    Cutoff,
    ReferenceCategories,
    IndexBlinded,
    Methods,
    Indeterminate,
    Missing,
    Variability,
    Flow,
    Baseline,
    Crosstab,
    Estimates,
    AdverseIndex,
    Protocol,
    Goal,
    Preprocessing,
    Subsets,
    DataElements,
    Disjoint,
    Backend,
    TestPartition,
}

/// Where an item's text comes from, tried in order.
#[derive(Debug, Clone, Copy)]
enum Src {
    /// What the inputs derive.
    Derived(D),
    /// The sections of the documents that hold it, joined.
    Sections(&'static [SectionRef]),
    /// A section of any document whose heading contains one of the words.
    Headings(&'static [&'static str]),
    /// The same as this STARD item.
    Stard(&'static str),
}

/// An item of a checklist.
#[derive(Debug, Clone, Copy)]
struct Item {
    number: &'static str,
    topic: &'static str,
    asks: &'static str,
    from: &'static [Src],
}

const fn q(heading: &'static str) -> SectionRef {
    SectionRef {
        kind: "ai_questionnaire",
        heading,
    }
}

const Q1_1: SectionRef = q("1.1");
const Q2_3: SectionRef = q("2.3");
const Q3_3: SectionRef = q("3.3");
const Q3_4: SectionRef = q("3.4");
const Q3_7: SectionRef = q("3.7");
const Q5_1: SectionRef = q("5.1");
const Q5_2: SectionRef = q("5.2");
const Q6_3: SectionRef = q("6.3");
const Q6_5: SectionRef = q("6.5");
const DPIA_D1: SectionRef = SectionRef {
    kind: "dpia",
    heading: "d.1",
};

use Src::{Derived, Headings, Sections, Stard};

/// STARD 2015, its 30 items (with their lettered parts).
#[rustfmt::skip]
static STARD: &[Item] = &[
    Item { number: "1", topic: "Title", asks: "Identification as a study of diagnostic accuracy using at least one measure of accuracy", from: &[Derived(D::Title)] },
    Item { number: "2", topic: "Abstract", asks: "Structured summary of study design, methods, results and conclusions", from: &[Derived(D::Summary)] },
    Item { number: "3", topic: "Background", asks: "Scientific and clinical background, including the intended use and clinical role of the index test", from: &[Sections(&[iu::INTENDED_PURPOSE]), Derived(D::Purpose)] },
    Item { number: "4", topic: "Objectives", asks: "Study objectives and hypotheses", from: &[Derived(D::Hypotheses)] },
    Item { number: "5", topic: "Study design", asks: "Whether data collection was planned before the index test and reference standard were performed (prospective) or after (retrospective)", from: &[Headings(&["study design", "prospective", "retrospective"])] },
    Item { number: "6", topic: "Participants", asks: "Eligibility criteria", from: &[Sections(&[Q3_3, iu::PATIENT_POPULATION])] },
    Item { number: "7", topic: "Participants", asks: "On what basis potentially eligible participants were identified", from: &[Sections(&[aiq::Q3_1])] },
    Item { number: "8", topic: "Participants", asks: "Where and when potentially eligible participants were identified (setting, location and dates)", from: &[Headings(&["setting", "sites", "recruitment"]), Sections(&[aiq::Q3_1])] },
    Item { number: "9", topic: "Participants", asks: "Whether participants formed a consecutive, random or convenience series", from: &[Headings(&["sampling", "consecutive", "convenience"])] },
    Item { number: "10a", topic: "Test methods", asks: "Index test, in sufficient detail to allow replication", from: &[Derived(D::IndexTest)] },
    Item { number: "10b", topic: "Test methods", asks: "Reference standard, in sufficient detail to allow replication", from: &[Sections(&[aiq::Q4_1]), Headings(&["reference standard", "ground truth"])] },
    Item { number: "11", topic: "Test methods", asks: "Rationale for choosing the reference standard (if alternatives exist)", from: &[Headings(&["rationale for the reference", "choice of the reference", "choice of reference"])] },
    Item { number: "12a", topic: "Test methods", asks: "Definition of and rationale for the positivity cut-off of the index test, pre-specified or exploratory", from: &[Derived(D::Cutoff)] },
    Item { number: "12b", topic: "Test methods", asks: "Definition of and rationale for the result categories of the reference standard", from: &[Derived(D::ReferenceCategories)] },
    Item { number: "13a", topic: "Test methods", asks: "Whether clinical information and reference standard results were available to the performers or readers of the index test", from: &[Derived(D::IndexBlinded)] },
    Item { number: "13b", topic: "Test methods", asks: "Whether clinical information and index test results were available to the assessors of the reference standard", from: &[Headings(&["blinding", "blinded"])] },
    Item { number: "14", topic: "Analysis", asks: "Methods for estimating or comparing measures of diagnostic accuracy", from: &[Derived(D::Methods)] },
    Item { number: "15", topic: "Analysis", asks: "How indeterminate index test or reference standard results were handled", from: &[Derived(D::Indeterminate)] },
    Item { number: "16", topic: "Analysis", asks: "How missing data on the index test and reference standard were handled", from: &[Derived(D::Missing)] },
    Item { number: "17", topic: "Analysis", asks: "Any analyses of variability in diagnostic accuracy, distinguishing pre-specified from exploratory", from: &[Derived(D::Variability)] },
    Item { number: "18", topic: "Analysis", asks: "Intended sample size and how it was determined", from: &[Headings(&["sample size"]), Sections(&[aiq::Q3_2])] },
    Item { number: "19", topic: "Participants", asks: "Flow of participants, using a diagram", from: &[Derived(D::Flow)] },
    Item { number: "20", topic: "Participants", asks: "Baseline demographic and clinical characteristics of participants", from: &[Derived(D::Baseline)] },
    Item { number: "21a", topic: "Participants", asks: "Distribution of severity of disease in those with the target condition", from: &[Headings(&["severity"])] },
    Item { number: "21b", topic: "Participants", asks: "Distribution of alternative diagnoses in those without the target condition", from: &[Headings(&["alternative diagnos"])] },
    Item { number: "22", topic: "Participants", asks: "Time interval and any clinical interventions between index test and reference standard", from: &[Headings(&["time interval", "interval between"])] },
    Item { number: "23", topic: "Test results", asks: "Cross tabulation of the index test results by the results of the reference standard", from: &[Derived(D::Crosstab)] },
    Item { number: "24", topic: "Test results", asks: "Estimates of diagnostic accuracy and their precision (such as 95% confidence intervals)", from: &[Derived(D::Estimates)] },
    Item { number: "25", topic: "Test results", asks: "Any adverse events from performing the index test or the reference standard", from: &[Headings(&["adverse event"]), Derived(D::AdverseIndex)] },
    Item { number: "26", topic: "Discussion", asks: "Study limitations, including sources of potential bias, statistical uncertainty and generalisability", from: &[Sections(&[ifu::LIMITATIONS]), Headings(&["limitation"])] },
    Item { number: "27", topic: "Discussion", asks: "Implications for practice, including the intended use and clinical role of the index test", from: &[Sections(&[ce::CONCLUSIONS, ce::BENEFIT_RISK])] },
    Item { number: "28", topic: "Other information", asks: "Registration number and name of registry", from: &[Headings(&["registration", "registry"])] },
    Item { number: "29", topic: "Other information", asks: "Where the full study protocol can be accessed", from: &[Headings(&["study protocol"]), Derived(D::Protocol)] },
    Item { number: "30", topic: "Other information", asks: "Sources of funding and other support; role of funders", from: &[Headings(&["funding"])] },
];

/// CLAIM, its 42 items.
#[rustfmt::skip]
static CLAIM: &[Item] = &[
    Item { number: "1", topic: "Title", asks: "Identification as a study of AI methodology, specifying the category of technology used", from: &[Sections(&[Q1_1, sa::MODEL_ARCHITECTURE])] },
    Item { number: "2", topic: "Abstract", asks: "Structured summary of study design, methods, results and conclusions", from: &[Stard("2")] },
    Item { number: "3", topic: "Introduction", asks: "Scientific and clinical background, including the intended use and role of the AI approach", from: &[Stard("3")] },
    Item { number: "4", topic: "Introduction", asks: "Study objectives and hypotheses", from: &[Stard("4")] },
    Item { number: "5", topic: "Study design", asks: "Prospective or retrospective study", from: &[Stard("5")] },
    Item { number: "6", topic: "Study design", asks: "Study goal (model creation, exploratory, feasibility, non-inferiority ...)", from: &[Derived(D::Goal)] },
    Item { number: "7", topic: "Data", asks: "Data sources", from: &[Sections(&[aiq::Q3_1])] },
    Item { number: "8", topic: "Data", asks: "Eligibility criteria: how, where and when potentially eligible participants or studies were identified", from: &[Stard("6")] },
    Item { number: "9", topic: "Data", asks: "Data pre-processing steps", from: &[Derived(D::Preprocessing)] },
    Item { number: "10", topic: "Data", asks: "Selection of data subsets, if applicable", from: &[Derived(D::Subsets)] },
    Item { number: "11", topic: "Data", asks: "Definitions of data elements, with references to common data elements", from: &[Derived(D::DataElements)] },
    Item { number: "12", topic: "Data", asks: "De-identification methods", from: &[Sections(&[Q3_7, DPIA_D1])] },
    Item { number: "13", topic: "Data", asks: "How missing data were handled", from: &[Stard("16")] },
    Item { number: "14", topic: "Ground truth", asks: "Definition of the reference standard, in sufficient detail to allow replication", from: &[Stard("10b")] },
    Item { number: "15", topic: "Ground truth", asks: "Rationale for choosing the reference standard (if alternatives exist)", from: &[Stard("11")] },
    Item { number: "16", topic: "Ground truth", asks: "Source of the reference standard's annotations; qualifications and preparation of annotators", from: &[Sections(&[aiq::Q4_2])] },
    Item { number: "17", topic: "Ground truth", asks: "Annotation tools", from: &[Headings(&["annotation tool"])] },
    Item { number: "18", topic: "Ground truth", asks: "Measurement of inter- and intra-rater variability; methods to mitigate it or resolve discrepancies", from: &[Sections(&[aiq::Q4_3])] },
    Item { number: "19", topic: "Data partitions", asks: "Intended sample size and how it was determined", from: &[Stard("18")] },
    Item { number: "20", topic: "Data partitions", asks: "How data were assigned to partitions; their proportions", from: &[Sections(&[Q5_1, Q5_2])] },
    Item { number: "21", topic: "Data partitions", asks: "Level at which partitions are disjoint (image, study, patient, institution)", from: &[Derived(D::Disjoint)] },
    Item { number: "22", topic: "Model", asks: "Detailed description of the model: inputs, outputs, intermediate layers and connections", from: &[Sections(&[sa::MODEL_ARCHITECTURE, aiq::Q6_1])] },
    Item { number: "23", topic: "Model", asks: "Software libraries, frameworks and packages", from: &[Sections(&[soup::SOUP_ITEMS]), Derived(D::Backend)] },
    Item { number: "24", topic: "Model", asks: "Initialisation of model parameters (randomisation, transfer learning)", from: &[Sections(&[Q6_5])] },
    Item { number: "25", topic: "Training", asks: "Details of the training approach: augmentation, hyperparameters, number of models trained", from: &[Sections(&[aiq::Q6_1])] },
    Item { number: "26", topic: "Training", asks: "Method of selecting the final model", from: &[Headings(&["model selection"]), Sections(&[Q5_2])] },
    Item { number: "27", topic: "Training", asks: "Ensembling techniques, if applicable", from: &[Headings(&["ensembl"])] },
    Item { number: "28", topic: "Evaluation", asks: "Metrics of model performance", from: &[Sections(&[aiq::Q2_1]), Derived(D::Methods)] },
    Item { number: "29", topic: "Evaluation", asks: "Statistical measures of significance and uncertainty (such as confidence intervals)", from: &[Derived(D::Methods)] },
    Item { number: "30", topic: "Evaluation", asks: "Robustness or sensitivity analysis", from: &[Sections(&[Q2_3])] },
    Item { number: "31", topic: "Evaluation", asks: "Methods for explainability or interpretability, and how they were validated", from: &[Headings(&["explainab", "interpretab", "saliency"])] },
    Item { number: "32", topic: "Evaluation", asks: "Validation or testing on external data", from: &[Headings(&["external validation", "external data", "external test"])] },
    Item { number: "33", topic: "Results", asks: "Flow of participants or cases, with inclusions and exclusions", from: &[Stard("19")] },
    Item { number: "34", topic: "Results", asks: "Demographic and clinical characteristics of the cases in each partition", from: &[Sections(&[Q3_4]), Stard("20")] },
    Item { number: "35", topic: "Results", asks: "Performance metrics of the final model on all data partitions", from: &[Derived(D::TestPartition)] },
    Item { number: "36", topic: "Results", asks: "Estimates of diagnostic accuracy and their precision", from: &[Stard("24")] },
    Item { number: "37", topic: "Results", asks: "Failure analysis of incorrectly classified cases", from: &[Sections(&[Q6_3])] },
    Item { number: "38", topic: "Discussion", asks: "Study limitations, including potential bias, statistical uncertainty and generalisability", from: &[Stard("26")] },
    Item { number: "39", topic: "Discussion", asks: "Implications for practice, including the intended use and clinical role", from: &[Stard("27")] },
    Item { number: "40", topic: "Other information", asks: "Registration number and name of registry", from: &[Stard("28")] },
    Item { number: "41", topic: "Other information", asks: "Where the full study protocol can be accessed", from: &[Stard("29")] },
    Item { number: "42", topic: "Other information", asks: "Sources of funding and other support; role of funders", from: &[Stard("30")] },
];

/// The reporting checklists of the clinical performance report.
#[derive(Debug, Serialize)]
pub struct Reporting {
    /// STARD 2015, item by item.
    pub stard: Vec<ReportItem>,
    /// CLAIM, item by item.
    pub claim: Vec<ReportItem>,
}

/// An item of a reporting checklist, filled or a gap.
#[derive(Debug, Clone, Serialize)]
pub struct ReportItem {
    /// Its number, e.g. `13a`.
    pub item: &'static str,
    /// Its topic.
    pub topic: &'static str,
    /// What it asks, paraphrased.
    pub asks: &'static str,
    /// What the inputs say of it, or the gap (recorded in the gap report by number).
    pub content: Filled,
    /// Where that comes from.
    pub source: String,
}

/// The longest passage quoted from a document into a checklist's cell.
const QUOTED: usize = 320;

/// A line of a passage as prose: a list item without its marker, a table row as its
/// cells; a table's rule is dropped.
fn prose(line: &str) -> Option<String> {
    let l = line.trim();
    if l.starts_with('|') {
        let cells: Vec<&str> = l
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':')))
        {
            return None;
        }
        return Some(format!("{};", cells.join(", ")));
    }
    let l = l
        .strip_prefix("- ")
        .or_else(|| l.strip_prefix("* "))
        .unwrap_or(l);
    let l = match l.split_once(". ") {
        Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => l,
    };
    Some(l.to_string())
}

/// A passage as one line, cut at a sentence end (or a word) near [`QUOTED`] characters.
fn excerpt(text: &str) -> String {
    let lines: Vec<String> = text.lines().filter_map(prose).collect();
    let flat = lines
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // Inline code marks (`prob`) are the document's Markdown, not its words: the cell
    // shows the quote as text, where they would read as stray backticks.
    let flat = flat
        .trim_start_matches("**Answer:**")
        .trim()
        .replace('`', "");
    if flat.chars().count() <= QUOTED {
        return flat;
    }
    let cut: String = flat.chars().take(QUOTED).collect();
    if let Some(i) = cut.rfind(". ") {
        if i > QUOTED / 3 {
            return cut[..=i].to_string();
        }
    }
    match cut.rfind(' ') {
        Some(i) => format!("{} …", &cut[..i]),
        None => format!("{cut} …"),
    }
}

/// A document's path with its version, as a citation.
fn cite(d: &DocView, heading: &str) -> String {
    match &d.version {
        Some(v) if !v.trim().is_empty() => format!("{} (version {v}), \"{heading}\"", d.path),
        _ => format!("{} (no version recorded), \"{heading}\"", d.path),
    }
}

fn from_sections(docs: &[DocView], refs: &[SectionRef]) -> Option<(String, String)> {
    let mut texts = Vec::new();
    let mut sources = Vec::new();
    for r in refs {
        for d in docs.iter().filter(|d| d.exists && d.kind == r.kind) {
            if let Some((h, body)) = d
                .sections
                .iter()
                .find(|(h, body)| r.matches(h) && !body.trim().is_empty())
            {
                texts.push(excerpt(body));
                sources.push(cite(d, h));
            }
        }
    }
    (!texts.is_empty()).then(|| (texts.join(" "), sources.join("; ")))
}

fn from_headings(docs: &[DocView], words: &[&str]) -> Option<(String, String)> {
    for d in docs.iter().filter(|d| d.exists) {
        for (h, body) in &d.sections {
            let low = h.to_lowercase();
            if words.iter().any(|w| low.contains(w)) && !body.trim().is_empty() {
                return Some((excerpt(body), cite(d, h)));
            }
        }
    }
    None
}

/// What the inputs derive for an item; none when they cannot (no benchmark).
fn derived(d: D, src: &Sources<'_>, b: &Benchmark<'_>) -> Option<(String, String)> {
    let spec = src.spec;
    let manifest = spec.source.file.clone();
    let m = b.measured.as_ref();
    let ds = b.dataset.as_ref();
    let evidence = "the benchmark evidence (benchmark.json)".to_string();
    let metric_names = || {
        m.map(|m| {
            m.metrics
                .iter()
                .map(|r| r.name.to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let estimates = || {
        m.map(|m| {
            m.metrics
                .iter()
                .map(|r| {
                    format!(
                        "{} {} (95% CI {}, {})",
                        r.name, r.estimate.value, r.estimate.ci, r.estimate.method
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
    };
    match d {
        D::Title => Some((
            format!(
                "Clinical performance report of {} {}: a diagnostic accuracy study of the model on its reference set, measuring {}.",
                spec.name,
                spec.version,
                metric_names().filter(|s| !s.is_empty()).unwrap_or_else(|| "each finding's accuracy".to_string())
            ),
            "this report's title and the benchmark evidence".to_string(),
        )),
        D::Summary => {
            let m = m?;
            let ds = ds?;
            let met = m.claims.iter().filter(|c| c.met).count();
            Some((
                format!(
                    "Design: the locked model scored on the reference set {} ({} scans of {} patients; {} positive, {} negative by the reference standard). Methods: the manifest's operating point ({}) and claims; 95% intervals as listed. Results: {}. Conclusion: {} of {} claims met.",
                    spec.reference.as_ref().map_or("", |r| r.path.as_str()),
                    m.crosstab.n, ds.patients, m.crosstab.positives, m.crosstab.negatives,
                    m.threshold,
                    m.claims.iter().map(|c| format!("{} {}", c.name, c.observed.value())).collect::<Vec<_>>().join(", "),
                    met, m.claims.len()
                ),
                evidence,
            ))
        }
        D::Purpose => Some((spec.purpose.clone(), format!("the manifest ({manifest}), purpose"))),
        D::Hypotheses => (!spec.claims.is_empty()).then(|| {
            (
                format!(
                    "Each claim is a hypothesis tested on the reference set: {}; a floor is met when the lower bound of the 95% interval clears it, a bound on an error when the estimate stays within it.",
                    spec.claims.iter().map(|(n, v)| format!("{n} {}", crate::shown::claim_shown(n, *v))).collect::<Vec<_>>().join(", ")
                ),
                format!("the manifest's claims ({manifest})"),
            )
        }),
        D::IndexTest => Some((
            format!(
                "The model {} (sha256 {}) run on {}, on the input {} prepared as: {}; its output {}.",
                spec.artifact.path,
                spec.artifact.sha256.as_deref().unwrap_or("not pinned"),
                b.backend.shown(),
                spec.input.as_ref().map_or("not declared", |i| i.tensor.as_str()),
                crate::context::preprocessing(spec).join("; "),
                spec.output.as_ref().map_or("not declared", |o| o.tensor.as_str())
            ),
            format!("the manifest ({manifest}) and the benchmark evidence"),
        )),
        D::Cutoff => spec.output.as_ref().map(|o| {
            (
                format!(
                    "Score {} {} is positive (\"{}\"), fixed in the manifest as the operating point; this report applies it as declared and fits no threshold to the reference set.",
                    if o.inclusive { ">=" } else { ">" },
                    o.threshold,
                    o.positive
                ),
                format!("the manifest's output statement ({manifest})"),
            )
        }),
        D::ReferenceCategories => spec.reference.as_ref().map(|r| {
            (
                format!(
                    "Two categories, positive and negative, one per scan of the labels file {}; {} labels name no scan.",
                    r.labels,
                    ds.map_or(0, |d| d.labels_without_file_count)
                ),
                "the labels file and the benchmark evidence".to_string(),
            )
        }),
        D::IndexBlinded => Some((
            "The index test is the model: it receives only the preprocessed image named by the manifest's input; neither clinical information nor the reference standard is among its inputs.".to_string(),
            format!("the manifest's input statement ({manifest})"),
        )),
        D::Methods => m.map(|m| {
            let mut methods: Vec<String> = m.metrics.iter().map(|r| format!("{}: {}", r.name, r.estimate.method)).collect();
            methods.dedup();
            (
                format!("Each estimate at the operating point with its 95% interval: {}.", methods.join("; ")),
                evidence.clone(),
            )
        }),
        D::Indeterminate => ds.map(|ds| {
            (
                format!(
                    "The index test gives a score for every readable scan, so it has no indeterminate result; {} unreadable file(s) are excluded and listed; the reference standard is a binary label per scan.",
                    ds.unreadable_count
                ),
                evidence.clone(),
            )
        }),
        D::Missing => ds.map(|ds| {
            (
                format!(
                    "Excluded, not imputed: {} file(s) not readable, {} readable scan(s) without a label, {} label(s) naming no file; {} of {} files analysed.",
                    ds.unreadable_count, ds.unlabelled, ds.labels_without_file_count, ds.labelled, ds.scans
                ),
                evidence.clone(),
            )
        }),
        D::Variability => m.map(|m| {
            (
                format!(
                    "The estimates per {} (the subgroup tables below): a fixed list of clic's, computed for every release whatever its results, so pre-specified, and tested by the subgroup controls of the policies in force; no analysis is exploratory.",
                    m.subgroups.iter().map(|s| s.attribute).collect::<Vec<_>>().join(", ")
                ),
                "clic's subgroup list and the benchmark evidence".to_string(),
            )
        }),
        D::Flow => ds.map(|ds| {
            (
                format!(
                    "{} files in the reference folder; {} not readable; {} readable without a label; {} analysed (the flow section above).",
                    ds.scans, ds.unreadable_count, ds.unlabelled, ds.labelled
                ),
                evidence.clone(),
            )
        }),
        D::Baseline => ds.map(|ds| {
            let shown = |attr: &str| {
                ds.by
                    .iter()
                    .find(|b| b.attribute == attr)
                    .map(|b| b.values.iter().map(|c| format!("{} {}", c.value, c.n)).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            };
            (
                format!(
                    "{} patients; sex: {}; age band: {}; modality: {} (the tables of the participants section above).",
                    ds.patients,
                    shown("Patient sex"),
                    shown("Age band"),
                    shown("Modality")
                ),
                "the reference scans' DICOM attributes".to_string(),
            )
        }),
        D::Crosstab => m.map(|m| {
            let c = &m.crosstab;
            (
                format!("TP {}, FP {}, FN {}, TN {} of {} (the cross-tabulation above).", c.tp, c.fp, c.fn_, c.tn, c.n),
                evidence.clone(),
            )
        }),
        D::Estimates => estimates().map(|e| (e, evidence.clone())),
        D::AdverseIndex => Some((
            "The index test is software applied to stored images: performing it carries no risk to participants. Adverse events of performing the reference standard are not stated by the documents.".to_string(),
            "the nature of the index test".to_string(),
        )),
        D::Protocol => Some((
            format!(
                "The pre-specified analysis is the manifest {manifest} (claims, operating point, reference set, labels) and the policies in force, each listed with its sha256 in the evidence appendix."
            ),
            "the evidence appendix".to_string(),
        )),
        D::Goal => (!spec.claims.is_empty()).then(|| {
            (
                "Validation of a locked model (its sha256 pinned by the manifest) against the manifest's claims, each tested by a control of the policies in force.".to_string(),
                format!("the manifest ({manifest})"),
            )
        }),
        D::Preprocessing => spec.input.as_ref().map(|_| {
            (
                crate::context::preprocessing(spec).join("; "),
                format!("the manifest's input statement ({manifest})"),
            )
        }),
        D::Subsets => ds.map(|ds| {
            (
                format!(
                    "No subset is selected: every readable, labelled scan of the reference set is analysed ({} of {}).",
                    ds.labelled, ds.scans
                ),
                evidence.clone(),
            )
        }),
        D::DataElements => spec.output.as_ref().map(|o| {
            (
                format!(
                    "The label: positive means \"{}\"; the DICOM attributes read (PS3.6 data elements): Modality (0008,0060), Manufacturer (0008,0070), ManufacturerModelName (0008,1090), PatientSex (0010,0040), PatientAge (0010,1010, as age bands), the transfer syntax and the image's rows and columns.",
                    o.positive
                ),
                "the manifest and the DICOM attributes the benchmark reads".to_string(),
            )
        }),
        D::Disjoint => ds.filter(|_| spec.training_patients.is_some()).map(|ds| {
            (
                format!(
                    "Patient level, checked: {} patient(s) and {} stud(ies) of the reference set are in the training list (by hashed identifier).",
                    ds.leakage_patients, ds.leakage_studies
                ),
                format!("the training patient list {} and the reference scans", spec.training_patients.as_deref().unwrap_or_default()),
            )
        }),
        D::Backend => Some((b.backend.shown(), evidence.clone())),
        D::TestPartition => estimates().map(|e| {
            (
                format!("On the test partition (the reference set): {e}. The training and validation partitions' figures are not part of this evidence."),
                evidence.clone(),
            )
        }),
    }
}

/// What was looked for, in words, for a gap's reason.
fn looked_for(from: &[Src]) -> String {
    let parts: Vec<String> = from
        .iter()
        .map(|f| match f {
            Derived(_) => "the benchmark evidence".to_string(),
            Sections(refs) => refs
                .iter()
                .map(|r| format!("the {} document's \"{}\" section", r.kind, r.heading))
                .collect::<Vec<_>>()
                .join(" or "),
            Headings(words) => format!(
                "a section of a document the manifest names headed with {}",
                words
                    .iter()
                    .map(|w| format!("\"{w}\""))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Stard(n) => format!("STARD 2015 item {n}"),
        })
        .collect();
    format!(
        "nothing the inputs hold says it (looked for: {})",
        parts.join("; ")
    )
}

fn fill_item(
    checklist: &str,
    it: &Item,
    src: &Sources<'_>,
    docs: &[DocView],
    b: &Benchmark<'_>,
    stard: &[ReportItem],
    gaps: &mut Gaps,
) -> ReportItem {
    let mut found: Option<(Filled, String)> = None;
    for f in it.from {
        let got = match f {
            Derived(d) => derived(*d, src, b).map(|(t, s)| (Filled::Text(t), s)),
            Sections(refs) => from_sections(docs, refs).map(|(t, s)| (Filled::Text(t), s)),
            Headings(words) => from_headings(docs, words).map(|(t, s)| (Filled::Text(t), s)),
            Stard(n) => stard.iter().find(|s| s.item == *n).map(|s| {
                let source = format!("as STARD 2015 item {n}: {}", s.source);
                match &s.content {
                    Filled::Text(t) => (Filled::Text(t.clone()), source),
                    Filled::Gap { .. } => (
                        Filled::marker(format!("as STARD 2015 item {n}, which nothing fills")),
                        source,
                    ),
                }
            }),
        };
        if let Some(g) = got {
            found = Some(g);
            break;
        }
    }
    let (content, source) = match found {
        Some((Filled::Text(t), s)) => (Filled::Text(t), s),
        Some((Filled::Gap { gap }, s)) => (
            gaps.gap(
                DOC,
                &format!("{checklist} item {} ({})", it.number, it.topic),
                &gap,
            ),
            s,
        ),
        None => (
            gaps.gap(
                DOC,
                &format!("{checklist} item {} ({}): {}", it.number, it.topic, it.asks),
                &looked_for(it.from),
            ),
            "—".to_string(),
        ),
    };
    ReportItem {
        item: it.number,
        topic: it.topic,
        asks: it.asks,
        content,
        source,
    }
}

/// The STARD 2015 and CLAIM checklists, every item filled or a gap.
pub fn checklists(
    src: &Sources<'_>,
    docs: &[DocView],
    b: &Benchmark<'_>,
    gaps: &mut Gaps,
) -> Reporting {
    let mut stard: Vec<ReportItem> = Vec::new();
    for it in STARD {
        let r = fill_item("STARD 2015", it, src, docs, b, &stard, gaps);
        stard.push(r);
    }
    let claim = CLAIM
        .iter()
        .map(|it| fill_item("CLAIM", it, src, docs, b, &stard, gaps))
        .collect();
    Reporting { stard, claim }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stard_has_its_30_items_and_claim_its_42() {
        let numbers: Vec<u32> = STARD
            .iter()
            .map(|i| i.number.trim_end_matches(['a', 'b']).parse().unwrap())
            .collect();
        for n in 1..=30 {
            assert!(numbers.contains(&n), "STARD item {n} is missing");
        }
        assert_eq!(CLAIM.len(), 42);
        for (i, it) in CLAIM.iter().enumerate() {
            assert_eq!(it.number, (i + 1).to_string());
        }
    }

    #[test]
    fn a_claim_item_the_same_as_a_stard_item_names_one_that_exists() {
        for it in CLAIM {
            for f in it.from {
                if let Stard(n) = f {
                    assert!(
                        STARD.iter().any(|s| s.number == *n),
                        "CLAIM {} names STARD {n}",
                        it.number
                    );
                }
            }
        }
    }

    #[test]
    fn a_long_passage_is_cut_at_a_sentence_or_a_word() {
        let long = "One sentence here. ".repeat(40);
        let e = excerpt(&long);
        assert!(e.chars().count() <= QUOTED + 2, "{e}");
        assert!(e.ends_with('.'), "{e}");
        assert_eq!(excerpt("**Answer:** Short."), "Short.");
        assert_eq!(excerpt("- One.\n- Two."), "One. Two.");
        assert_eq!(
            excerpt("| item | version |\n|---|---|\n| ONNX Runtime | 1.31.1 |"),
            "item, version; ONNX Runtime, 1.31.1;"
        );
    }
}
