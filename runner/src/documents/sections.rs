//! The sections of the document templates that other parts of clic read by name: the
//! dossier fills items of MDR Annex II and III and AI Act Annex IV from them. Each is a
//! kind of document and the start of one heading of its template (compared
//! case-insensitively, as a prefix), declared here once, beside the templates, and
//! tested against them: renaming a heading in a template fails the test that names it.

/// A section of a kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionRef {
    /// The document kind, e.g. `intended_use`.
    pub kind: &'static str,
    /// The start of a heading of its template, lowercase, e.g. `intended purpose`, or a
    /// questionnaire item's number, e.g. `4.1`.
    pub heading: &'static str,
}

impl SectionRef {
    /// Whether a document heading is this section: it starts with [`Self::heading`],
    /// case-insensitively.
    pub fn matches(&self, heading: &str) -> bool {
        heading.to_lowercase().starts_with(self.heading)
    }
}

/// Sections of the `ai_questionnaire` template.
pub mod ai_questionnaire {
    use super::SectionRef;

    /// 2.1 Metrics and acceptance criteria
    pub const Q2_1: SectionRef = SectionRef {
        kind: "ai_questionnaire",
        heading: "2.1",
    };

    /// 3.1 Data collection and counts
    pub const Q3_1: SectionRef = SectionRef {
        kind: "ai_questionnaire",
        heading: "3.1",
    };

    /// 3.2 Sufficiency of the data
    pub const Q3_2: SectionRef = SectionRef {
        kind: "ai_questionnaire",
        heading: "3.2",
    };

    /// 4.1 Ground truth
    pub const Q4_1: SectionRef = SectionRef {
        kind: "ai_questionnaire",
        heading: "4.1",
    };

    /// 4.2 Annotator qualification
    pub const Q4_2: SectionRef = SectionRef {
        kind: "ai_questionnaire",
        heading: "4.2",
    };

    /// 4.3 Annotator disagreement
    pub const Q4_3: SectionRef = SectionRef {
        kind: "ai_questionnaire",
        heading: "4.3",
    };

    /// 6.1 Model and hyperparameters
    pub const Q6_1: SectionRef = SectionRef {
        kind: "ai_questionnaire",
        heading: "6.1",
    };

    /// 7.2 Changes after release
    pub const Q7_2: SectionRef = SectionRef {
        kind: "ai_questionnaire",
        heading: "7.2",
    };
}

/// Sections of the `clinical_evaluation` template.
pub mod clinical_evaluation {
    use super::SectionRef;

    /// Benefit-risk
    pub const BENEFIT_RISK: SectionRef = SectionRef {
        kind: "clinical_evaluation",
        heading: "benefit-risk",
    };

    /// Clinical evaluation plan
    pub const CLINICAL_EVALUATION_PLAN: SectionRef = SectionRef {
        kind: "clinical_evaluation",
        heading: "clinical evaluation plan",
    };

    /// Conclusions
    pub const CONCLUSIONS: SectionRef = SectionRef {
        kind: "clinical_evaluation",
        heading: "conclusions",
    };

    /// Post-market clinical follow-up
    pub const POST_MARKET_CLINICAL_FOLLOW_UP: SectionRef = SectionRef {
        kind: "clinical_evaluation",
        heading: "post-market clinical follow-up",
    };

    /// State of the art
    pub const STATE_OF_THE_ART: SectionRef = SectionRef {
        kind: "clinical_evaluation",
        heading: "state of the art",
    };
}

/// Sections of the `ifu` template.
pub mod ifu {
    use super::SectionRef;

    /// Contra-indications and warnings
    pub const CONTRA_INDICATIONS: SectionRef = SectionRef {
        kind: "ifu",
        heading: "contra-indications",
    };

    /// Human oversight
    pub const HUMAN_OVERSIGHT: SectionRef = SectionRef {
        kind: "ifu",
        heading: "human oversight",
    };

    /// Input specifications
    pub const INPUT_SPECIFICATIONS: SectionRef = SectionRef {
        kind: "ifu",
        heading: "input specifications",
    };

    /// Installation and minimum IT requirements
    pub const INSTALLATION: SectionRef = SectionRef {
        kind: "ifu",
        heading: "installation",
    };

    /// Intended purpose
    pub const INTENDED_PURPOSE: SectionRef = SectionRef {
        kind: "ifu",
        heading: "intended purpose",
    };

    /// Limitations and residual risks
    pub const LIMITATIONS: SectionRef = SectionRef {
        kind: "ifu",
        heading: "limitations",
    };

    /// Manufacturer and device identification
    pub const MANUFACTURER_AND_DEVICE: SectionRef = SectionRef {
        kind: "ifu",
        heading: "manufacturer and device",
    };

    /// Performance characteristics
    pub const PERFORMANCE_CHARACTERISTICS: SectionRef = SectionRef {
        kind: "ifu",
        heading: "performance characteristics",
    };

    /// Performance per group
    pub const PERFORMANCE_PER_GROUP: SectionRef = SectionRef {
        kind: "ifu",
        heading: "performance per group",
    };
}

/// Sections of the `intended_use` template.
pub mod intended_use {
    use super::SectionRef;

    /// Contra-indications and warnings
    pub const CONTRA_INDICATIONS: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "contra-indications",
    };

    /// Input data
    pub const INPUT_DATA: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "input data",
    };

    /// Intended purpose
    pub const INTENDED_PURPOSE: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "intended purpose",
    };

    /// Intended users
    pub const INTENDED_USERS: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "intended users",
    };

    /// Medical indication
    pub const MEDICAL_INDICATION: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "medical indication",
    };

    /// Patient population
    pub const PATIENT_POPULATION: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "patient population",
    };

    /// Principle of operation
    pub const PRINCIPLE_OF_OPERATION: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "principle of operation",
    };

    /// Qualification and classification
    pub const QUALIFICATION: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "qualification",
    };

    /// Use environment
    pub const USE_ENVIRONMENT: SectionRef = SectionRef {
        kind: "intended_use",
        heading: "use environment",
    };
}

/// Sections of the `pms_plan` template.
pub mod pms_plan {
    use super::SectionRef;

    /// Corrective actions and communication
    pub const CORRECTIVE_ACTIONS: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "corrective actions",
    };

    /// Indicators and thresholds
    pub const INDICATORS_AND_THRESHOLDS: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "indicators and thresholds",
    };

    /// Information collected
    pub const INFORMATION_COLLECTED: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "information collected",
    };

    /// Performance monitoring in the field
    pub const PERFORMANCE_MONITORING: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "performance monitoring",
    };

    /// Periodic safety update report
    pub const PERIODIC_SAFETY_UPDATE_REPORT: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "periodic safety update report",
    };

    /// Post-market clinical follow-up
    pub const POST_MARKET_CLINICAL_FOLLOW_UP: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "post-market clinical follow-up",
    };

    /// Proactive collection and assessment
    pub const PROACTIVE_COLLECTION: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "proactive collection",
    };

    /// Scope and responsibilities
    pub const SCOPE_AND_RESPONSIBILITIES: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "scope and responsibilities",
    };

    /// Trend reporting and complaints
    pub const TREND_REPORTING: SectionRef = SectionRef {
        kind: "pms_plan",
        heading: "trend reporting",
    };
}

/// Sections of the `release_notes` template.
pub mod release_notes {
    use super::SectionRef;

    /// Build and archive
    pub const BUILD_AND_ARCHIVE: SectionRef = SectionRef {
        kind: "release_notes",
        heading: "build and archive",
    };

    /// Delivery
    pub const DELIVERY: SectionRef = SectionRef {
        kind: "release_notes",
        heading: "delivery",
    };

    /// Changes since the previous release
    pub const CHANGES_SINCE: SectionRef = SectionRef {
        kind: "release_notes",
        heading: "changes since",
    };

    /// Verification summary
    pub const VERIFICATION_SUMMARY: SectionRef = SectionRef {
        kind: "release_notes",
        heading: "verification summary",
    };
}

/// Sections of the `risk_management` template.
pub mod risk_management {
    use super::SectionRef;

    /// Discriminatory output
    pub const DISCRIMINATORY_OUTPUT: SectionRef = SectionRef {
        kind: "risk_management",
        heading: "discriminatory output",
    };

    /// Drift
    pub const DRIFT: SectionRef = SectionRef {
        kind: "risk_management",
        heading: "drift",
    };

    /// Overall residual risk
    pub const OVERALL_RESIDUAL_RISK: SectionRef = SectionRef {
        kind: "risk_management",
        heading: "overall residual risk",
    };

    /// Performance shortfall
    pub const PERFORMANCE_SHORTFALL: SectionRef = SectionRef {
        kind: "risk_management",
        heading: "performance shortfall",
    };

    /// Risk control
    pub const RISK_CONTROL: SectionRef = SectionRef {
        kind: "risk_management",
        heading: "risk control",
    };

    /// Risk management plan
    pub const RISK_MANAGEMENT_PLAN: SectionRef = SectionRef {
        kind: "risk_management",
        heading: "risk management plan",
    };

    /// Risk management review
    pub const RISK_MANAGEMENT_REVIEW: SectionRef = SectionRef {
        kind: "risk_management",
        heading: "risk management review",
    };
}

/// Sections of the `software_architecture` template.
pub mod software_architecture {
    use super::SectionRef;

    /// Interfaces
    pub const INTERFACES: SectionRef = SectionRef {
        kind: "software_architecture",
        heading: "interfaces",
    };

    /// Model architecture and design choices
    pub const MODEL_ARCHITECTURE: SectionRef = SectionRef {
        kind: "software_architecture",
        heading: "model architecture",
    };

    /// Software items
    pub const SOFTWARE_ITEMS: SectionRef = SectionRef {
        kind: "software_architecture",
        heading: "software items",
    };
}

/// Sections of the `software_development_plan` template.
pub mod software_development_plan {
    use super::SectionRef;

    /// Life cycle model and deliverables
    pub const LIFE_CYCLE: SectionRef = SectionRef {
        kind: "software_development_plan",
        heading: "life cycle",
    };

    /// Maintenance and release
    pub const MAINTENANCE_AND_RELEASE: SectionRef = SectionRef {
        kind: "software_development_plan",
        heading: "maintenance and release",
    };

    /// Standards, methods and tools
    pub const STANDARDS_METHODS: SectionRef = SectionRef {
        kind: "software_development_plan",
        heading: "standards, methods",
    };

    /// Verification
    pub const VERIFICATION: SectionRef = SectionRef {
        kind: "software_development_plan",
        heading: "verification",
    };
}

/// Sections of the `soup_list` template.
pub mod soup_list {
    use super::SectionRef;

    /// SOUP items
    pub const SOUP_ITEMS: SectionRef = SectionRef {
        kind: "soup_list",
        heading: "soup items",
    };

    /// Hardware and software requirements
    pub const HARDWARE_AND_SOFTWARE: SectionRef = SectionRef {
        kind: "soup_list",
        heading: "hardware and software",
    };

    /// Monitoring and updates
    pub const MONITORING_AND_UPDATES: SectionRef = SectionRef {
        kind: "soup_list",
        heading: "monitoring and updates",
    };
}

/// Every section declared here.
pub const ALL: &[SectionRef] = &[
    ai_questionnaire::Q2_1,
    ai_questionnaire::Q3_1,
    ai_questionnaire::Q3_2,
    ai_questionnaire::Q4_1,
    ai_questionnaire::Q4_2,
    ai_questionnaire::Q4_3,
    ai_questionnaire::Q6_1,
    ai_questionnaire::Q7_2,
    clinical_evaluation::BENEFIT_RISK,
    clinical_evaluation::CLINICAL_EVALUATION_PLAN,
    clinical_evaluation::CONCLUSIONS,
    clinical_evaluation::POST_MARKET_CLINICAL_FOLLOW_UP,
    clinical_evaluation::STATE_OF_THE_ART,
    ifu::CONTRA_INDICATIONS,
    ifu::HUMAN_OVERSIGHT,
    ifu::INPUT_SPECIFICATIONS,
    ifu::INSTALLATION,
    ifu::INTENDED_PURPOSE,
    ifu::LIMITATIONS,
    ifu::MANUFACTURER_AND_DEVICE,
    ifu::PERFORMANCE_CHARACTERISTICS,
    ifu::PERFORMANCE_PER_GROUP,
    intended_use::CONTRA_INDICATIONS,
    intended_use::INPUT_DATA,
    intended_use::INTENDED_PURPOSE,
    intended_use::INTENDED_USERS,
    intended_use::MEDICAL_INDICATION,
    intended_use::PATIENT_POPULATION,
    intended_use::PRINCIPLE_OF_OPERATION,
    intended_use::QUALIFICATION,
    intended_use::USE_ENVIRONMENT,
    pms_plan::CORRECTIVE_ACTIONS,
    pms_plan::INDICATORS_AND_THRESHOLDS,
    pms_plan::INFORMATION_COLLECTED,
    pms_plan::PERFORMANCE_MONITORING,
    pms_plan::PERIODIC_SAFETY_UPDATE_REPORT,
    pms_plan::POST_MARKET_CLINICAL_FOLLOW_UP,
    pms_plan::PROACTIVE_COLLECTION,
    pms_plan::SCOPE_AND_RESPONSIBILITIES,
    pms_plan::TREND_REPORTING,
    release_notes::BUILD_AND_ARCHIVE,
    release_notes::CHANGES_SINCE,
    release_notes::DELIVERY,
    release_notes::VERIFICATION_SUMMARY,
    risk_management::DISCRIMINATORY_OUTPUT,
    risk_management::DRIFT,
    risk_management::OVERALL_RESIDUAL_RISK,
    risk_management::PERFORMANCE_SHORTFALL,
    risk_management::RISK_CONTROL,
    risk_management::RISK_MANAGEMENT_PLAN,
    risk_management::RISK_MANAGEMENT_REVIEW,
    software_architecture::INTERFACES,
    software_architecture::MODEL_ARCHITECTURE,
    software_architecture::SOFTWARE_ITEMS,
    software_development_plan::LIFE_CYCLE,
    software_development_plan::MAINTENANCE_AND_RELEASE,
    software_development_plan::STANDARDS_METHODS,
    software_development_plan::VERIFICATION,
    soup_list::HARDWARE_AND_SOFTWARE,
    soup_list::MONITORING_AND_UPDATES,
    soup_list::SOUP_ITEMS,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::template;

    #[test]
    fn every_section_is_one_heading_of_its_template() {
        for s in ALL {
            let t = template(s.kind).unwrap_or_else(|| panic!("no template of kind {}", s.kind));
            let body = crate::documents::markdown::split(t.text).map_or(t.text, |s| s.body);
            let found: Vec<String> = crate::documents::markdown::headings(body, 1)
                .into_iter()
                .map(|h| h.text)
                .filter(|h| s.matches(h))
                .collect();
            assert_eq!(found.len(), 1, "{} \"{}\": {found:?}", s.kind, s.heading);
        }
    }
}
