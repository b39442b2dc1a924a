//! What fills each item of MDR Annex II, Annex III and AI Act Annex IV, as data: the
//! document sections that hold it, the documents it rests on, the controls that cover it,
//! what the manifest and the other inputs say of it, and in which order these count.
//! `crate::fill` reads these rows; an item without a row is filled by a document section
//! whose heading carries its reference or title, or is a gap.

use clic_runner::documents::sections::{
    ai_questionnaire, clinical_evaluation, ifu, intended_use, pms_plan, release_notes,
    risk_management, software_architecture, software_development_plan, soup_list, SectionRef,
};

/// What the inputs other than the documents say of an item (`crate::fill` computes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// Nothing.
    Nothing,
    /// Name, version and intended purpose.
    Identity,
    /// The principle of operation: the input, the preprocessing and the output.
    Operation,
    /// The qualification as software with a medical purpose.
    Qualification,
    /// The class and the classification rule.
    Classification,
    /// The one configuration: the model file.
    Configuration,
    /// The key functional element: the model and its sha256.
    KeyElements,
    /// Software has no raw materials.
    RawMaterials,
    /// The input, the operating point and the claims.
    Inputs,
    /// The release from version control: the commit and its date.
    Release,
    /// The GSPR checklist answers it.
    GsprChecklist,
    /// The benchmark's estimates.
    Benchmark,
    /// The subgroup tables of the clinical performance report.
    Subgroups,
    /// The metrics of the clinical performance report and how they are judged.
    Metrics,
    /// Version control: the commit and its tag.
    Changes,
    /// The frameworks and standards the controls apply.
    Frameworks,
    /// The post-market monitoring plan is the MDR surveillance plan.
    Monitoring,
}

/// A fact line of an item, from the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// The device's trade name.
    TradeName,
    /// Its version.
    Version,
    /// Its intended purpose.
    Purpose,
}

/// In which order an item's text is taken from the sections its row names (S), a section
/// whose heading carries the item's reference or title (H) and what the inputs derive (D).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// S, else H, else D.
    Sections,
    /// D only.
    Derived,
    /// D and S together (D first), else either, else H.
    DerivedThenSections,
    /// S and D together (S first), else either, else H.
    SectionsThenDerived,
    /// S, else D (H is not looked for).
    SectionsElseDerived,
}

/// What fills the items of one row.
#[derive(Debug, Clone, Copy)]
pub struct Fill {
    /// The items (references without spaces, `1.1(a)`; Annex IV by number, `2`).
    pub items: &'static [&'static str],
    /// The document sections that hold it, joined in this order.
    pub sections: &'static [SectionRef],
    /// The kinds of document it rests on, listed with their approval.
    pub documents: &'static [&'static str],
    /// The controls that cover it: clauses of a framework. Controls of more than one
    /// framework are listed each once, sorted by id; of one, in the plan's order.
    pub controls: &'static [(&'static str, &'static [&'static str])],
    /// Its fact lines, in this order.
    pub facts: &'static [Fact],
    /// The other files of the dossier it refers to: (file, title).
    pub see: &'static [(&'static str, &'static str)],
    /// What the inputs say of it.
    pub derived: Derived,
    /// How the above count.
    pub order: Order,
}

/// A row with nothing but the items: a section with the item's reference or title fills it.
pub const NOTHING: Fill = Fill {
    items: &[],
    sections: &[],
    documents: &[],
    controls: &[],
    facts: &[],
    see: &[],
    derived: Derived::Nothing,
    order: Order::Sections,
};

/// The row of `item` in `rows`; [`NOTHING`] when none names it.
pub fn fill(rows: &'static [Fill], item: &str) -> &'static Fill {
    rows.iter()
        .find(|f| f.items.contains(&item))
        .unwrap_or(&NOTHING)
}

use Derived as D;
use Order as O;

/// MDR Annex II.
pub static ANNEX_II_FILLS: &[Fill] = &[
    Fill {
        items: &["1.1(a)"],
        sections: &[
            intended_use::INTENDED_PURPOSE,
            intended_use::INTENDED_USERS,
            intended_use::USE_ENVIRONMENT,
        ],
        documents: &["intended_use"],
        facts: &[Fact::TradeName, Fact::Version, Fact::Purpose],
        derived: D::Identity,
        ..NOTHING
    },
    Fill {
        items: &["1.1(c)"],
        sections: &[
            intended_use::PATIENT_POPULATION,
            intended_use::MEDICAL_INDICATION,
            intended_use::CONTRA_INDICATIONS,
            ifu::CONTRA_INDICATIONS,
        ],
        documents: &["intended_use", "ifu"],
        ..NOTHING
    },
    Fill {
        items: &["1.1(b)"],
        sections: &[ifu::MANUFACTURER_AND_DEVICE],
        ..NOTHING
    },
    Fill {
        items: &["6.2(g)"],
        sections: &[software_architecture::INTERFACES, intended_use::INPUT_DATA],
        ..NOTHING
    },
    // The previous generations are what the release notes record of the earlier
    // releases; similar devices are the state of the art the clinical evaluation
    // surveys. Each item has its own source, never a shared one.
    Fill {
        items: &["1.2(a)"],
        sections: &[release_notes::CHANGES_SINCE],
        documents: &["release_notes"],
        ..NOTHING
    },
    Fill {
        items: &["1.2(b)"],
        sections: &[clinical_evaluation::STATE_OF_THE_ART],
        documents: &["clinical_evaluation"],
        ..NOTHING
    },
    Fill {
        items: &["1.1(d)"],
        sections: &[intended_use::PRINCIPLE_OF_OPERATION],
        derived: D::Operation,
        ..NOTHING
    },
    Fill {
        items: &["1.1(e)"],
        sections: &[intended_use::QUALIFICATION],
        derived: D::Qualification,
        order: O::DerivedThenSections,
        ..NOTHING
    },
    Fill {
        items: &["1.1(f)"],
        controls: &[("mdr", &["Annex VIII"])],
        derived: D::Classification,
        order: O::Derived,
        ..NOTHING
    },
    Fill {
        items: &["1.1(i)"],
        derived: D::Configuration,
        ..NOTHING
    },
    Fill {
        items: &["1.1(j)"],
        sections: &[
            software_architecture::SOFTWARE_ITEMS,
            software_architecture::MODEL_ARCHITECTURE,
        ],
        derived: D::KeyElements,
        ..NOTHING
    },
    Fill {
        items: &["1.1(k)"],
        derived: D::RawMaterials,
        order: O::Derived,
        ..NOTHING
    },
    Fill {
        items: &["1.1(l)"],
        sections: &[ifu::INPUT_SPECIFICATIONS, ifu::INSTALLATION],
        derived: D::Inputs,
        ..NOTHING
    },
    Fill {
        items: &["3(a)"],
        sections: &[
            software_development_plan::LIFE_CYCLE,
            software_development_plan::STANDARDS_METHODS,
        ],
        documents: &["software_development_plan"],
        controls: &[("iec62304", &["5"])],
        ..NOTHING
    },
    Fill {
        items: &["3(b)"],
        sections: &[
            release_notes::BUILD_AND_ARCHIVE,
            software_development_plan::MAINTENANCE_AND_RELEASE,
        ],
        controls: &[("iec62304", &["8", "5.8"]), ("mdr", &["Annex II 3"])],
        derived: D::Release,
        order: O::DerivedThenSections,
        ..NOTHING
    },
    Fill {
        items: &["4", "4(a)", "4(b)", "4(c)", "4(d)"],
        derived: D::GsprChecklist,
        order: O::Derived,
        ..NOTHING
    },
    Fill {
        items: &["5(a)"],
        sections: &[
            clinical_evaluation::BENEFIT_RISK,
            risk_management::OVERALL_RESIDUAL_RISK,
        ],
        documents: &["clinical_evaluation", "risk_management"],
        ..NOTHING
    },
    Fill {
        items: &["5", "5(b)"],
        sections: &[
            risk_management::RISK_CONTROL,
            risk_management::OVERALL_RESIDUAL_RISK,
            risk_management::RISK_MANAGEMENT_REVIEW,
        ],
        documents: &["risk_management"],
        controls: &[("iso14971", &["4", "5", "6", "7", "8", "9", "10"])],
        ..NOTHING
    },
    Fill {
        items: &["6.1(a)", "6.1(b)", "6.1", "6"],
        sections: &[
            software_development_plan::VERIFICATION,
            release_notes::VERIFICATION_SUMMARY,
        ],
        documents: &["software_development_plan", "release_notes"],
        controls: &[
            ("mdr", &["Annex I 17", "Annex I 15"]),
            ("iec62304", &["5.7"]),
        ],
        derived: D::Benchmark,
        order: O::DerivedThenSections,
        ..NOTHING
    },
    Fill {
        items: &["6.1(c)"],
        sections: &[
            clinical_evaluation::CLINICAL_EVALUATION_PLAN,
            clinical_evaluation::CONCLUSIONS,
        ],
        documents: &["clinical_evaluation"],
        ..NOTHING
    },
    Fill {
        items: &["6.1(d)"],
        sections: &[
            clinical_evaluation::POST_MARKET_CLINICAL_FOLLOW_UP,
            pms_plan::POST_MARKET_CLINICAL_FOLLOW_UP,
        ],
        documents: &["clinical_evaluation", "pms_plan"],
        ..NOTHING
    },
    Fill {
        items: &["2", "2(a)", "2(b)"],
        sections: &[
            ifu::MANUFACTURER_AND_DEVICE,
            ifu::INTENDED_PURPOSE,
            ifu::CONTRA_INDICATIONS,
            ifu::PERFORMANCE_CHARACTERISTICS,
            ifu::LIMITATIONS,
        ],
        documents: &["ifu"],
        ..NOTHING
    },
];

/// The post-market surveillance plan (MDR Annex III), from the `pms_plan` document.
pub static ANNEX_III_FILLS: &[Fill] = &[
    Fill {
        items: &["1.1(a)"],
        sections: &[
            pms_plan::INFORMATION_COLLECTED,
            pms_plan::SCOPE_AND_RESPONSIBILITIES,
        ],
        ..NOTHING
    },
    Fill {
        items: &["1.1(b)"],
        sections: &[
            pms_plan::PROACTIVE_COLLECTION,
            pms_plan::PERFORMANCE_MONITORING,
            pms_plan::INDICATORS_AND_THRESHOLDS,
            pms_plan::TREND_REPORTING,
            pms_plan::CORRECTIVE_ACTIONS,
            pms_plan::POST_MARKET_CLINICAL_FOLLOW_UP,
        ],
        ..NOTHING
    },
    Fill {
        items: &["1.2"],
        sections: &[pms_plan::PERIODIC_SAFETY_UPDATE_REPORT],
        ..NOTHING
    },
];

/// AI Act Annex IV, by item number.
pub static ANNEX_IV_FILLS: &[Fill] = &[
    Fill {
        items: &["1"],
        sections: &[
            ifu::MANUFACTURER_AND_DEVICE,
            intended_use::INTENDED_PURPOSE,
            intended_use::INPUT_DATA,
            // 1(c) versions of software and update requirements.
            soup_list::SOUP_ITEMS,
            soup_list::MONITORING_AND_UPDATES,
            // 1(d) the forms in which it is placed on the market.
            release_notes::DELIVERY,
            // 1(e) the hardware it runs on.
            ifu::INSTALLATION,
            soup_list::HARDWARE_AND_SOFTWARE,
        ],
        facts: &[Fact::Purpose, Fact::Version],
        see: &[("annex-ii.md", "MDR Annex II, section 1")],
        derived: D::Identity,
        ..NOTHING
    },
    Fill {
        items: &["2"],
        sections: &[
            software_architecture::MODEL_ARCHITECTURE,
            // 2(c) the architecture: how the software items feed each other.
            software_architecture::SOFTWARE_ITEMS,
            ai_questionnaire::Q3_1,
            ai_questionnaire::Q4_1,
            ai_questionnaire::Q6_1,
            // 2(f) pre-determined changes.
            ai_questionnaire::Q7_2,
        ],
        controls: &[("ai_act", &["Art. 10", "Art. 15"])],
        see: &[("clinical-performance.md", "Clinical performance report")],
        derived: D::Benchmark,
        order: O::SectionsThenDerived,
        ..NOTHING
    },
    Fill {
        items: &["3"],
        sections: &[
            ifu::LIMITATIONS,
            ifu::HUMAN_OVERSIGHT,
            ifu::PERFORMANCE_PER_GROUP,
        ],
        controls: &[("ai_act", &["Art. 13", "Art. 14", "Art. 15"])],
        see: &[(
            "clinical-performance.md",
            "Clinical performance report (subgroups)",
        )],
        derived: D::Subgroups,
        ..NOTHING
    },
    Fill {
        items: &["4"],
        sections: &[ai_questionnaire::Q2_1],
        see: &[("clinical-performance.md", "Clinical performance report")],
        derived: D::Metrics,
        ..NOTHING
    },
    Fill {
        items: &["5"],
        sections: &[
            risk_management::RISK_MANAGEMENT_PLAN,
            risk_management::PERFORMANCE_SHORTFALL,
            risk_management::DRIFT,
            risk_management::DISCRIMINATORY_OUTPUT,
        ],
        controls: &[("ai_act", &["Art. 9"])],
        see: &[("annex-ii.md", "MDR Annex II, section 5")],
        ..NOTHING
    },
    Fill {
        items: &["6"],
        sections: &[release_notes::CHANGES_SINCE],
        see: &[("evidence-appendix.md", "Evidence appendix")],
        derived: D::Changes,
        ..NOTHING
    },
    Fill {
        items: &["7"],
        sections: &[software_development_plan::STANDARDS_METHODS],
        see: &[("gspr-checklist.md", "GSPR checklist")],
        derived: D::Frameworks,
        ..NOTHING
    },
    Fill {
        items: &["9"],
        sections: &[pms_plan::PERFORMANCE_MONITORING],
        see: &[("annex-iii.md", "Post-market surveillance plan")],
        derived: D::Monitoring,
        order: O::SectionsElseDerived,
        ..NOTHING
    },
];
