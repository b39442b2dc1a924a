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

use clic_compiler::frameworks::{clause, Clause};
use Method::{Analysis, ClinicalEvaluation, Inspection, Test};

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

// Standards and guidance, spelled once.
const ISO_14971: &str = "ISO 14971:2019";
const AAMI_34971: &str = "AAMI TIR34971:2023";
const ISO_13485: &str = "ISO 13485:2016";
const IEC_62304: &str = "IEC 62304:2006+A1:2015";
const IEC_82304: &str = "IEC 82304-1:2016";
const IEC_62366: &str = "IEC 62366-1:2015+A1:2020";
const IEC_81001: &str = "IEC 81001-5-1:2021";
const ISO_20417: &str = "ISO 20417:2021";
const ISO_15223: &str = "ISO 15223-1:2021";
const DICOM: &str = "ISO 12052:2017 (DICOM)";
const STARD: &str = "STARD 2015";
const MDCG_2020_1: &str = "MDCG 2020-1";
const MDCG_2019_16: &str = "MDCG 2019-16";
const EIFU: &str = "Regulation (EU) 2021/2226";

const fn applies(
    id: &'static str,
    chapter: Chapter,
    methods: &'static [Method],
    standards: &'static [&'static str],
) -> Gspr {
    Gspr {
        id,
        chapter,
        heading: false,
        applicable: true,
        justification: None,
        methods,
        standards,
    }
}

const fn not_applicable(id: &'static str, chapter: Chapter, why: &'static str) -> Gspr {
    Gspr {
        id,
        chapter,
        heading: false,
        applicable: false,
        justification: Some(why),
        methods: &[],
        standards: &[],
    }
}

const fn heading(id: &'static str, chapter: Chapter) -> Gspr {
    Gspr {
        id,
        chapter,
        heading: true,
        applicable: true,
        justification: None,
        methods: &[],
        standards: &[],
    }
}

const I: Chapter = Chapter::General;
const II: Chapter = Chapter::DesignAndManufacture;
const III: Chapter = Chapter::Information;

/// Every GSPR of MDR Annex I chapters I to III (sections 1 to 23), with the sub-items that
/// bear on software, in the order of the text.
// A table, one requirement a line (or two): rustfmt would spread each over many.
#[rustfmt::skip]
pub static GSPRS: &[Gspr] = &[
    // Chapter I.
    applies("Annex I 1", I, &[ClinicalEvaluation, Analysis, Test],
        &[ISO_14971, ISO_13485, MDCG_2020_1]),
    applies("Annex I 2", I, &[Analysis], &[ISO_14971]),
    applies("Annex I 3", I, &[Analysis, Inspection], &[ISO_14971, AAMI_34971, ISO_13485]),
    applies("Annex I 4", I, &[Analysis, Inspection], &[ISO_14971]),
    applies("Annex I 5", I, &[Test, Analysis], &[IEC_62366, IEC_82304]),
    applies("Annex I 6", I, &[Analysis, Test], &[ISO_14971, IEC_62304, IEC_82304]),
    // Software is delivered electronically: the integrity of what is delivered (digests of
    // the software and the model) is what transport and storage can harm.
    applies("Annex I 7", I, &[Inspection, Test], &[IEC_62304, IEC_82304]),
    applies("Annex I 8", I, &[Analysis, ClinicalEvaluation], &[ISO_14971, MDCG_2020_1]),
    not_applicable("Annex I 9", I,
        "The device has an intended medical purpose; section 9 concerns the products \
         without one listed in Annex XVI."),
    // Chapter II.
    not_applicable("Annex I 10", II,
        "Standalone software has no materials, substances or particles and no contact \
         with the body."),
    not_applicable("Annex I 11", II,
        "Software has no contact with patients or users, is not supplied sterile and \
         carries no risk of microbial contamination."),
    not_applicable("Annex I 12", II,
        "The device incorporates no medicinal substance and no substance introduced \
         into the body."),
    not_applicable("Annex I 13", II,
        "The device incorporates no tissues, cells or substances of biological origin."),
    heading("Annex I 14", II),
    applies("Annex I 14.1", II, &[Analysis, Test], &[IEC_82304, IEC_62304, ISO_14971]),
    heading("Annex I 14.2", II),
    not_applicable("Annex I 14.2(a)", II,
        "Software has no physical features (volume, pressure, dimensions, ergonomics of a \
         body) that could injure."),
    not_applicable("Annex I 14.2(b)", II,
        "Software emits nothing and has no physical exposure of its own: magnetic, \
         electromagnetic, climatic and pressure influences act on the host hardware, \
         which the minimum requirements of 17.4 specify."),
    not_applicable("Annex I 14.2(c)", II,
        "Software has no contact with materials, liquids, substances or gases."),
    applies("Annex I 14.2(d)", II, &[Test, Analysis],
        &[IEC_62304, IEC_82304, IEC_81001, ISO_14971]),
    not_applicable("Annex I 14.2(e)", II,
        "Software has no enclosure into which a substance could enter."),
    not_applicable("Annex I 14.2(f)", II,
        "Software emits no energy or signal that could interfere with devices used in \
         investigations or treatment; interaction with other software is 14.2(d) and 14.5."),
    not_applicable("Annex I 14.2(g)", II,
        "There are no ageing materials and no measuring or control mechanism to calibrate; \
         change of the model's performance over time is addressed under 6 and 17.1 and by \
         post-market surveillance."),
    not_applicable("Annex I 14.3", II,
        "Software has no energy source, flammable material or ignition source."),
    // Installation, configuration (the operating threshold) and updates.
    applies("Annex I 14.4", II, &[Inspection, Test], &[IEC_82304, IEC_62304]),
    applies("Annex I 14.5", II, &[Test], &[DICOM, IEC_82304, IEC_62304]),
    // The score and the flag the user reads.
    applies("Annex I 14.6", II, &[Test, Inspection], &[IEC_62366]),
    not_applicable("Annex I 14.7", II,
        "There are no physical parts or substances to dispose of; the software is \
         uninstalled electronically."),
    heading("Annex I 15", II),
    applies("Annex I 15.1", II, &[Test, ClinicalEvaluation, Analysis],
        &[STARD, MDCG_2020_1, IEC_82304]),
    not_applicable("Annex I 15.2", II,
        "The output is a dimensionless score and a binary result, not a measured quantity \
         with a unit; a quantity, if ever reported, must be in legal units."),
    not_applicable("Annex I 16", II,
        "The device emits no ionising or non-ionising radiation; it analyses images \
         acquired by other devices."),
    heading("Annex I 17", II),
    applies("Annex I 17.1", II, &[Test, Analysis], &[IEC_62304, IEC_82304, ISO_14971]),
    applies("Annex I 17.2", II, &[Inspection, Test, Analysis],
        &[IEC_62304, IEC_82304, ISO_14971, IEC_81001, ISO_13485]),
    not_applicable("Annex I 17.3", II,
        "The device is not intended to run on mobile computing platforms; this applies \
         if the instructions for use ever name one."),
    applies("Annex I 17.4", II, &[Inspection, Test], &[IEC_82304, IEC_81001, ISO_20417]),
    // Software is an active device (MDR Article 2(4)).
    heading("Annex I 18", II),
    applies("Annex I 18.1", II, &[Analysis, Test], &[IEC_62304, ISO_14971]),
    not_applicable("Annex I 18.2", II,
        "Patient safety does not depend on a power supply internal to the device; the \
         software runs on host hardware."),
    not_applicable("Annex I 18.3", II,
        "Patient safety does not depend on an external power supply; a power loss stops \
         the analysis, a single fault addressed under 18.1."),
    not_applicable("Annex I 18.4", II,
        "The device does not monitor clinical parameters of a patient."),
    not_applicable("Annex I 18.5", II,
        "Software generates no electromagnetic emissions; the electromagnetic \
         compatibility of the host hardware is that hardware's conformity."),
    not_applicable("Annex I 18.6", II,
        "Software is not itself subject to electromagnetic disturbance; the immunity of \
         the host hardware is that hardware's conformity."),
    not_applicable("Annex I 18.7", II,
        "Software has no electrical parts; protection against electric shock is that of \
         the host hardware."),
    applies("Annex I 18.8", II, &[Test, Analysis], &[IEC_81001, IEC_82304, MDCG_2019_16]),
    not_applicable("Annex I 19", II, "The device is not an active implantable device."),
    not_applicable("Annex I 20", II,
        "Software has no moving parts, stores no mechanical energy and has no surfaces \
         that heat."),
    not_applicable("Annex I 21", II,
        "The device supplies no energy or substance to the patient."),
    not_applicable("Annex I 22", II,
        "The device is intended for healthcare professionals, not lay persons; this \
         applies if the intended users ever include lay persons."),
    // Chapter III.
    heading("Annex I 23", III),
    applies("Annex I 23.1", III, &[Inspection], &[ISO_20417, ISO_15223]),
    applies("Annex I 23.1(f)", III, &[Inspection], &[EIFU, ISO_20417]),
    applies("Annex I 23.2", III, &[Inspection], &[ISO_20417, ISO_15223, IEC_82304]),
    not_applicable("Annex I 23.3", III,
        "The device is not supplied sterile and has no sterile packaging."),
    applies("Annex I 23.4", III, &[Inspection], &[ISO_20417, IEC_82304, IEC_62366]),
    applies("Annex I 23.4(b)", III, &[Inspection], &[ISO_20417]),
    applies("Annex I 23.4(c)", III, &[Inspection, ClinicalEvaluation], &[ISO_20417, MDCG_2020_1]),
    applies("Annex I 23.4(e)", III, &[Inspection, Test], &[ISO_20417, STARD]),
    applies("Annex I 23.4(g)", III, &[Inspection, Analysis], &[ISO_20417, ISO_14971]),
    applies("Annex I 23.4(h)", III, &[Inspection], &[ISO_20417]),
    applies("Annex I 23.4(j)", III, &[Inspection], &[ISO_20417, IEC_62366]),
    applies("Annex I 23.4(q)", III, &[Inspection], &[ISO_20417, IEC_82304]),
    applies("Annex I 23.4(ab)", III, &[Inspection], &[IEC_82304, IEC_81001]),
];

const fn item(id: &'static str) -> DocItem {
    DocItem {
        id,
        heading: false,
        applicable: true,
        justification: None,
    }
}

const fn group(id: &'static str) -> DocItem {
    DocItem {
        id,
        heading: true,
        applicable: true,
        justification: None,
    }
}

const fn na(id: &'static str, why: &'static str) -> DocItem {
    DocItem {
        id,
        heading: false,
        applicable: false,
        justification: Some(why),
    }
}

/// The sections of the MDR technical documentation (Annex II), 1 to 6, with their items.
pub static ANNEX_II: &[DocSection] = &[
    DocSection {
        number: 1,
        id: "Annex II 1",
        items: &[
            group("Annex II 1.1"),
            item("Annex II 1.1(a)"),
            item("Annex II 1.1(b)"),
            item("Annex II 1.1(c)"),
            item("Annex II 1.1(d)"),
            item("Annex II 1.1(e)"),
            item("Annex II 1.1(f)"),
            item("Annex II 1.1(g)"),
            item("Annex II 1.1(h)"),
            item("Annex II 1.1(i)"),
            item("Annex II 1.1(j)"),
            na(
                "Annex II 1.1(k)",
                "Software has no raw materials and no direct or indirect contact with the body.",
            ),
            item("Annex II 1.1(l)"),
            group("Annex II 1.2"),
            item("Annex II 1.2(a)"),
            item("Annex II 1.2(b)"),
        ],
    },
    DocSection {
        number: 2,
        id: "Annex II 2",
        items: &[item("Annex II 2(a)"), item("Annex II 2(b)")],
    },
    DocSection {
        number: 3,
        id: "Annex II 3",
        items: &[
            item("Annex II 3(a)"),
            item("Annex II 3(b)"),
            item("Annex II 3(c)"),
        ],
    },
    DocSection {
        number: 4,
        id: "Annex II 4",
        items: &[
            item("Annex II 4(a)"),
            item("Annex II 4(b)"),
            item("Annex II 4(c)"),
            item("Annex II 4(d)"),
        ],
    },
    DocSection {
        number: 5,
        id: "Annex II 5",
        items: &[item("Annex II 5(a)"), item("Annex II 5(b)")],
    },
    DocSection {
        number: 6,
        id: "Annex II 6",
        items: &[
            group("Annex II 6.1"),
            item("Annex II 6.1(a)"),
            item("Annex II 6.1(b)"),
            item("Annex II 6.1(c)"),
            item("Annex II 6.1(d)"),
            group("Annex II 6.2"),
            na(
                "Annex II 6.2(a)",
                "The device incorporates no medicinal substance.",
            ),
            na(
                "Annex II 6.2(b)",
                "The device is not manufactured with tissues or cells of human or animal origin.",
            ),
            na(
                "Annex II 6.2(c)",
                "The device is not composed of substances introduced into the body.",
            ),
            na(
                "Annex II 6.2(d)",
                "Software contains no CMR or endocrine-disrupting substances.",
            ),
            na(
                "Annex II 6.2(e)",
                "The device is not placed on the market sterile or in a defined \
                 microbiological condition.",
            ),
            na(
                "Annex II 6.2(f)",
                "The device has no measuring function: its output is a score and a binary \
                 result; its diagnostic accuracy is documented under 6.1(b).",
            ),
            item("Annex II 6.2(g)"),
        ],
    },
];

/// The post-market surveillance plan (MDR Annex III section 1.1, Article 84) and the
/// periodic reports (section 1.2).
pub static ANNEX_III: &[PmsItem] = &[
    PmsItem {
        id: "Annex III 1.1(a)",
        elements: &[
            "Serious incidents, including information from PSURs, and field safety \
             corrective actions",
            "Non-serious incidents and data on any undesirable side-effects",
            "Information from trend reporting",
            "Relevant specialist or technical literature, databases and registers",
            "Feedback and complaints from users, distributors and importers",
            "Publicly available information about similar medical devices",
        ],
    },
    PmsItem {
        id: "Annex III 1.1(b)",
        elements: &[
            "A proactive and systematic process to collect the information of 1.1(a), \
             allowing a correct characterisation of the device's performance",
            "Effective and appropriate methods and processes to assess the collected data",
            "Suitable indicators and threshold values for the continuous reassessment of \
             the benefit-risk analysis and of the risk management (Annex I section 3)",
            "Effective and appropriate methods and tools to investigate complaints and \
             analyse market-related experience collected in the field",
            "Methods and protocols to manage the events subject to trend reporting \
             (Article 88), including how a statistically significant increase in the \
             frequency or severity of incidents is established, and the observation period",
            "Methods and protocols to communicate with competent authorities, notified \
             bodies, economic operators and users",
            "Reference to the procedures that fulfil the obligations of Articles 83, 84 \
             and 86",
            "Systematic procedures to identify and initiate appropriate measures, \
             including corrective actions",
            "Effective tools to trace and identify devices for which corrective actions \
             might be necessary",
            "A PMCF plan (Annex XIV Part B), or a justification of why PMCF does not apply",
        ],
    },
    PmsItem {
        id: "Annex III 1.2",
        elements: &[
            "Periodic safety update report (Article 86) for classes IIa, IIb and III: \
             updated at least every two years for class IIa, at least annually for \
             classes IIb and III",
            "Post-market surveillance report (Article 85) for class I, updated when \
             necessary",
        ],
    },
];

const fn point(id: &'static str, requires: &'static str) -> AnnexIvPoint {
    AnnexIvPoint {
        id: Some(id),
        requires,
    }
}

const fn text(requires: &'static str) -> AnnexIvPoint {
    AnnexIvPoint { id: None, requires }
}

/// The technical documentation of a high-risk AI system (AI Act Annex IV), items 1 to 9.
pub static ANNEX_IV: &[AnnexIvItem] = &[
    AnnexIvItem {
        number: 1,
        id: "Annex IV 1",
        points: &[
            point(
                "Annex IV 1(a)",
                "Its intended purpose, the name of the provider and the version of the system, \
                reflecting its relation to previous versions.",
            ),
            point(
                "Annex IV 1(b)",
                "How the system interacts, or can be used to interact, with hardware or \
                software, including other AI systems, that are not part of it.",
            ),
            point(
                "Annex IV 1(c)",
                "The versions of relevant software or firmware, and any requirement related to \
                version updates.",
            ),
            point(
                "Annex IV 1(d)",
                "All the forms in which the system is placed on the market or put into service, \
                e.g. software packages, downloads or APIs.",
            ),
            point(
                "Annex IV 1(e)",
                "The hardware on which the system is intended to run.",
            ),
            point(
                "Annex IV 1(f)",
                "Where the system is a component of products, photographs or illustrations of \
                their external features, marking and internal layout.",
            ),
            point(
                "Annex IV 1(g)",
                "A basic description of the user interface provided to the deployer.",
            ),
            point("Annex IV 1(h)", "Instructions for use for the deployer."),
        ],
    },
    AnnexIvItem {
        number: 2,
        id: "Annex IV 2",
        points: &[
            point(
                "Annex IV 2(a)",
                "The methods and steps of development, including recourse to pre-trained \
                systems or third-party tools and how they were used, integrated or modified.",
            ),
            point(
                "Annex IV 2(b)",
                "The design specifications: the general logic of the system and its algorithms, \
                key design choices with their rationale and assumptions (including about the \
                persons or groups it is used on), main classification choices, what it \
                optimises for and the relevance of its parameters, its expected output and \
                output quality, and trade-offs made to meet Chapter III Section 2.",
            ),
            point(
                "Annex IV 2(c)",
                "The system architecture, how software components build on or feed into each \
                other, and the computational resources used to develop, train, test and \
                validate it.",
            ),
            point(
                "Annex IV 2(d)",
                "Where relevant, datasheets of the training methods and data sets: provenance, \
                scope and main characteristics, how data were obtained and selected, labelling \
                procedures and data cleaning.",
            ),
            point(
                "Annex IV 2(e)",
                "An assessment of the human oversight measures needed under Article 14, \
                including technical measures that help deployers interpret the outputs \
                (Article 13(3)(d)).",
            ),
            point(
                "Annex IV 2(f)",
                "Where applicable, pre-determined changes to the system and its performance, \
                and the technical solutions that keep it compliant.",
            ),
            point(
                "Annex IV 2(g)",
                "The validation and testing procedures, the validation and testing data and \
                their main characteristics, the metrics of accuracy, robustness and \
                potentially discriminatory impact, and test logs and reports dated and signed \
                by the responsible persons.",
            ),
            point("Annex IV 2(h)", "The cybersecurity measures put in place."),
        ],
    },
    AnnexIvItem {
        number: 3,
        id: "Annex IV 3",
        points: &[
            text(
                "Its capabilities and limitations in performance, including the degrees of \
                accuracy for the specific persons or groups it is intended to be used on and \
                the overall expected level of accuracy for its intended purpose.",
            ),
            text(
                "The foreseeable unintended outcomes and sources of risk to health and safety, \
                fundamental rights and discrimination.",
            ),
            text(
                "The human oversight measures needed under Article 14, including the technical \
                measures that help deployers interpret the outputs.",
            ),
            text("Specifications of the input data, as appropriate."),
        ],
    },
    AnnexIvItem {
        number: 4,
        id: "Annex IV 4",
        points: &[text(
            "A description of the appropriateness of the performance metrics for the \
                specific AI system.",
        )],
    },
    AnnexIvItem {
        number: 5,
        id: "Annex IV 5",
        points: &[text(
            "A detailed description of the risk management system in accordance with \
                Article 9.",
        )],
    },
    AnnexIvItem {
        number: 6,
        id: "Annex IV 6",
        points: &[text(
            "A description of the relevant changes made by the provider to the system \
                through its life cycle.",
        )],
    },
    AnnexIvItem {
        number: 7,
        id: "Annex IV 7",
        points: &[text(
            "The harmonised standards applied in full or in part; where none were applied, \
                the solutions adopted to meet Chapter III Section 2, with the other standards \
                and technical specifications applied.",
        )],
    },
    AnnexIvItem {
        number: 8,
        id: "Annex IV 8",
        points: &[text(
            "A copy of the EU declaration of conformity referred to in Article 47.",
        )],
    },
    AnnexIvItem {
        number: 9,
        id: "Annex IV 9",
        points: &[text(
            "A detailed description of the system that evaluates the AI system's \
                performance in the post-market phase under Article 72, including the post- \
                market monitoring plan of Article 72(3).",
        )],
    },
];

/// Whether a clause cited as `cited` covers the catalogue clause `item`: the same
/// clause, or one of its sub-clauses (`Annex I 17.2(a)` and `Annex I 17.2.1` count towards
/// `Annex I 17.2`). White space does not count.
pub fn covers(cited: &str, item: &str) -> bool {
    let norm = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let (c, i) = (norm(cited), norm(item));
    !i.is_empty() && (c == i || c.starts_with(&format!("{i}.")) || c.starts_with(&format!("{i}(")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every id this module uses, with its framework.
    fn every_id() -> Vec<(&'static str, &'static str)> {
        let mut ids: Vec<(&str, &str)> = GSPRS.iter().map(|g| ("mdr", g.id)).collect();
        for s in ANNEX_II {
            ids.push(("mdr", s.id));
            ids.extend(s.items.iter().map(|i| ("mdr", i.id)));
        }
        ids.extend(ANNEX_III.iter().map(|p| ("mdr", p.id)));
        for item in ANNEX_IV {
            ids.push(("ai_act", item.id));
            ids.extend(
                item.points
                    .iter()
                    .filter_map(|p| p.id)
                    .map(|id| ("ai_act", id)),
            );
        }
        ids
    }

    #[test]
    fn every_id_is_a_clause_of_the_compiler_catalogue() {
        for (framework, id) in every_id() {
            let c = clause(framework, id);
            assert!(
                c.is_some(),
                "{framework} `{id}` is not in compiler/src/frameworks.rs"
            );
            assert!(!title(framework, id).is_empty(), "{id}");
        }
        assert_eq!(
            gspr("Annex I 17.1").map(Gspr::title),
            clause("mdr", "Annex I 17.1").map(|c| c.title)
        );
        assert_eq!(title("mdr", "Annex I 99"), "");
    }

    #[test]
    fn ids_are_unique() {
        let mut seen = BTreeSet::new();
        for id in every_id() {
            assert!(seen.insert(id), "duplicate {id:?}");
        }
    }

    #[test]
    fn gsprs_cover_sections_1_to_23_in_order() {
        let sections: Vec<u32> = GSPRS
            .iter()
            .filter_map(|g| g.id.strip_prefix("Annex I ")?.parse().ok())
            .collect();
        assert_eq!(sections, (1..=23).collect::<Vec<_>>());
        for g in GSPRS {
            let n: u32 =
                g.id.trim_start_matches("Annex I ")
                    .split(['.', '('])
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            let chapter = match n {
                1..=9 => Chapter::General,
                10..=22 => Chapter::DesignAndManufacture,
                _ => Chapter::Information,
            };
            assert_eq!(g.chapter, chapter, "{}", g.id);
        }
        for id in [
            "Annex I 14.2(d)",
            "Annex I 15.1",
            "Annex I 17.1",
            "Annex I 17.2",
            "Annex I 17.3",
            "Annex I 17.4",
            "Annex I 18.8",
            "Annex I 23.4",
        ] {
            assert!(gspr(id).is_some(), "{id}");
        }
    }

    #[test]
    fn applicability_is_justified_and_assessed() {
        for g in GSPRS {
            match (g.applicable, g.justification) {
                (false, Some(why)) => assert!(why.trim().len() > 20, "{}", g.id),
                (false, None) => panic!("{} does not apply but says not why", g.id),
                (true, Some(_)) => panic!("{} applies yet has a justification", g.id),
                (true, None) => {}
            }
            if g.applicable && !g.heading {
                assert!(!g.methods.is_empty(), "{} has no method", g.id);
                assert!(!g.standards.is_empty(), "{} has no standard", g.id);
            } else {
                assert!(g.methods.is_empty() && g.standards.is_empty(), "{}", g.id);
            }
        }
        for s in ANNEX_II {
            for i in s.items {
                assert_eq!(i.applicable, i.justification.is_none(), "{}", i.id);
                if let Some(why) = i.justification {
                    assert!(why.trim().len() > 20, "{}", i.id);
                }
            }
        }
        // The software GSPRs apply; sterility, radiation and implants do not.
        for id in [
            "Annex I 14.2(d)",
            "Annex I 15.1",
            "Annex I 17.2",
            "Annex I 17.4",
        ] {
            assert_eq!(gspr(id).map(|g| g.applicable), Some(true), "{id}");
        }
        for id in ["Annex I 11", "Annex I 16", "Annex I 19", "Annex I 23.3"] {
            assert_eq!(gspr(id).map(|g| g.applicable), Some(false), "{id}");
        }
    }

    #[test]
    fn headings_are_followed_by_their_sub_items() {
        for (i, g) in GSPRS.iter().enumerate() {
            let subs: Vec<&Gspr> = GSPRS[i + 1..]
                .iter()
                .take_while(|s| {
                    s.id.strip_prefix(g.id)
                        .is_some_and(|r| r.starts_with('.') || r.starts_with('('))
                })
                .collect();
            assert_eq!(
                g.heading,
                !subs.is_empty() && g.id != "Annex I 23.1" && g.id != "Annex I 23.4",
                "{}",
                g.id
            );
            if g.heading {
                assert_eq!(g.applicable, subs.iter().any(|s| s.applicable), "{}", g.id);
            }
        }
    }

    #[test]
    fn annex_ii_has_sections_1_to_6() {
        let numbers: Vec<u8> = ANNEX_II.iter().map(|s| s.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
        for s in ANNEX_II {
            assert_eq!(s.id, format!("Annex II {}", s.number));
            assert!(!s.items.is_empty(), "{}", s.id);
            for i in s.items {
                let rest = i.id.strip_prefix(s.id).unwrap_or("");
                assert!(
                    rest.starts_with('.') || rest.starts_with('('),
                    "{} in {}",
                    i.id,
                    s.id
                );
            }
        }
        let letters = |prefix: &str| {
            ANNEX_II
                .iter()
                .flat_map(|s| s.items)
                .filter(|i| i.id.starts_with(prefix) && i.id.len() > prefix.len())
                .count()
        };
        assert_eq!(letters("Annex II 1.1("), 12, "1.1(a) to (l)");
        assert_eq!(letters("Annex II 4("), 4, "4(a) to (d)");
        assert_eq!(letters("Annex II 6.2("), 7, "6.2(a) to (g)");
    }

    #[test]
    fn annex_iii_covers_the_pms_plan_and_reports() {
        let ids: Vec<&str> = ANNEX_III.iter().map(|p| p.id).collect();
        assert_eq!(
            ids,
            ["Annex III 1.1(a)", "Annex III 1.1(b)", "Annex III 1.2"]
        );
        assert_eq!(ANNEX_III[0].elements.len(), 6);
        assert_eq!(ANNEX_III[1].elements.len(), 10);
        assert!(ANNEX_III[1].elements[9].contains("PMCF"));
    }

    #[test]
    fn annex_iv_has_exactly_items_1_to_9() {
        let numbers: Vec<u8> = ANNEX_IV.iter().map(|i| i.number).collect();
        assert_eq!(numbers, (1..=9).collect::<Vec<u8>>());
        for item in ANNEX_IV {
            assert_eq!(item.id, format!("Annex IV {}", item.number));
            assert!(!item.points.is_empty(), "{}", item.id);
            for p in item.points {
                assert!(p.requires.ends_with('.'), "{}: {}", item.id, p.requires);
                if let Some(id) = p.id {
                    assert!(id.starts_with(&format!("{}(", item.id)), "{id}");
                }
            }
        }
        let lettered = |n: usize| ANNEX_IV[n].points.iter().filter(|p| p.id.is_some()).count();
        assert_eq!((lettered(0), lettered(1)), (8, 8), "1(a)-(h) and 2(a)-(h)");
    }

    #[test]
    fn the_standard_library_cites_only_gsprs_of_the_catalogue() {
        for file in clic_compiler::stdlib::FILES {
            for (at, _) in file.text.match_indices("mdr \"Annex I ") {
                let rest = &file.text[at + 5..];
                let id = rest.split('"').next().unwrap_or("");
                assert!(
                    gspr(id).is_some(),
                    "{}: `{id}` is not a GSPR of the catalogue",
                    file.path
                );
            }
        }
    }
}
