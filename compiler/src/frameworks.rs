//! The built-in catalogue of frameworks that controls may cite.

/// A framework that controls may cite.
#[derive(Debug, Clone, Copy)]
pub struct Framework {
    /// Id used in `cites`, e.g. `mdr`.
    pub id: &'static str,
    /// Short name, e.g. `MDR`.
    pub short: &'static str,
    /// Full title.
    pub title: &'static str,
}

/// Every framework, in a fixed order.
pub const FRAMEWORKS: &[Framework] = &[
    Framework {
        id: "mdr",
        short: "MDR",
        title: "Regulation (EU) 2017/745 on medical devices",
    },
    Framework {
        id: "ai_act",
        short: "AI Act",
        title: "Regulation (EU) 2024/1689, the Artificial Intelligence Act",
    },
    Framework {
        id: "gdpr",
        short: "GDPR",
        title: "Regulation (EU) 2016/679, the General Data Protection Regulation",
    },
    Framework {
        id: "iec62304",
        short: "IEC 62304",
        title: "IEC 62304:2006+A1:2015 Medical device software — Software life cycle processes",
    },
    Framework {
        id: "iso14971",
        short: "ISO 14971",
        title: "ISO 14971:2019 Medical devices — Application of risk management to medical devices",
    },
    Framework {
        id: "iso13485",
        short: "ISO 13485",
        title: "ISO 13485:2016 Medical devices — Quality management systems",
    },
    Framework {
        id: "ps3_15",
        short: "DICOM PS3.15",
        title: "DICOM PS3.15 Security and System Management Profiles (Annex E de-identification)",
    },
    Framework {
        id: "stard",
        short: "STARD 2015",
        title: "STARD 2015 reporting guideline for diagnostic accuracy studies",
    },
    Framework {
        id: "claim",
        short: "CLAIM",
        title: "Checklist for Artificial Intelligence in Medical Imaging",
    },
    Framework {
        id: "team_nb",
        short: "Team-NB",
        title: "Team-NB / IG-NB questionnaire on artificial intelligence in medical devices",
    },
];

/// The framework with this id.
pub fn framework(id: &str) -> Option<&'static Framework> {
    FRAMEWORKS.iter().find(|f| f.id == id)
}

/// A clause of a framework that clic knows by name: the regulatory structure of the
/// dossier (MDR Annex I GSPRs, Annex II and III, AI Act Annex IV) is built on these ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clause {
    /// Id of the framework, e.g. `mdr`.
    pub framework: &'static str,
    /// The clause as cited, e.g. `Annex I 17.1`.
    pub id: &'static str,
    /// Short title, paraphrasing the text.
    pub title: &'static str,
}

const fn mdr(id: &'static str, title: &'static str) -> Clause {
    Clause {
        framework: "mdr",
        id,
        title,
    }
}

const fn ai_act(id: &'static str, title: &'static str) -> Clause {
    Clause {
        framework: "ai_act",
        id,
        title,
    }
}

/// Clauses clic knows, in the order of the texts. Exhaustive for the parts of
/// [`CATALOGUED_PARTS`] (a citation there must name one of these, `clic::E018`); other
/// citations are accepted as written.
// A table, one clause a line: rustfmt would spread each over four.
#[rustfmt::skip]
pub const CLAUSES: &[Clause] = &[
    // MDR Annex I, chapter I: general requirements.
    mdr("Annex I 1", "Intended performance; safe and effective; risks acceptable against benefits"),
    mdr("Annex I 2", "Risks reduced as far as possible without worsening the benefit-risk ratio"),
    mdr("Annex I 3", "Risk management system, maintained over the whole life cycle"),
    mdr("Annex I 4", "Risk control measures in order of priority; residual risks communicated"),
    mdr("Annex I 5", "Risks related to use error: ergonomics, use environment, intended users"),
    mdr("Annex I 6", "Characteristics and performance maintained over the lifetime"),
    mdr("Annex I 7", "Characteristics and performance not harmed by transport and storage"),
    mdr("Annex I 8", "Known and foreseeable risks and side-effects minimised and acceptable"),
    mdr("Annex I 9", "Products without an intended medical purpose (Annex XVI)"),
    // MDR Annex I, chapter II: design and manufacture.
    mdr("Annex I 10", "Chemical, physical and biological properties"),
    mdr("Annex I 11", "Infection and microbial contamination"),
    mdr("Annex I 12", "Devices incorporating a medicinal substance or absorbed by the body"),
    mdr("Annex I 13", "Devices incorporating materials of biological origin"),
    mdr("Annex I 14", "Construction of devices and interaction with their environment"),
    mdr("Annex I 14.1", "Safe combination with other devices or equipment; restrictions stated"),
    mdr("Annex I 14.2", "Risks from physical features, environment and interactions reduced"),
    mdr("Annex I 14.2(a)", "Risk of injury from physical features"),
    mdr("Annex I 14.2(b)", "Risks from external influences and environmental conditions"),
    mdr("Annex I 14.2(c)", "Risks from contact with materials, liquids, substances and gases"),
    mdr("Annex I 14.2(d)", "Risks from negative interaction of software with its IT environment"),
    mdr("Annex I 14.2(e)", "Risks of accidental ingress of substances into the device"),
    mdr("Annex I 14.2(f)", "Risks of reciprocal interference with other devices"),
    mdr("Annex I 14.2(g)", "No maintenance or calibration possible; ageing; loss of accuracy"),
    mdr("Annex I 14.3", "Fire or explosion in normal use and single fault condition"),
    mdr("Annex I 14.4", "Adjustment, calibration and maintenance performed safely"),
    mdr("Annex I 14.5", "Reliable and safe interoperability and compatibility"),
    mdr("Annex I 14.6", "Measurement, monitoring and display scales follow ergonomic principles"),
    mdr("Annex I 14.7", "Safe disposal"),
    mdr("Annex I 15", "Devices with a diagnostic or measuring function"),
    mdr("Annex I 15.1", "Sufficient accuracy, precision and stability; limits of accuracy stated"),
    mdr("Annex I 15.2", "Measurements expressed in legal units"),
    mdr("Annex I 16", "Protection against radiation"),
    mdr("Annex I 17", "Electronic programmable systems and software"),
    mdr("Annex I 17.1", "Repeatability, reliability and performance; single fault condition"),
    mdr("Annex I 17.2", "State-of-the-art life cycle, risk management incl. security, V&V"),
    mdr("Annex I 17.3", "Software for mobile computing platforms"),
    mdr("Annex I 17.4", "Minimum hardware, IT network and IT security requirements"),
    mdr("Annex I 18", "Active devices and devices connected to them"),
    mdr("Annex I 18.1", "Active devices: consequences of a single fault condition"),
    mdr("Annex I 18.2", "Internal power supply: means of determining its state"),
    mdr("Annex I 18.3", "External power supply: alarm on power failure"),
    mdr("Annex I 18.4", "Monitoring of clinical parameters: alarm systems"),
    mdr("Annex I 18.5", "Electromagnetic interference with other devices reduced"),
    mdr("Annex I 18.6", "Immunity to electromagnetic disturbance"),
    mdr("Annex I 18.7", "Protection against accidental electric shock"),
    mdr("Annex I 18.8", "Protection against unauthorised access that could hamper the device"),
    mdr("Annex I 19", "Active implantable devices"),
    mdr("Annex I 20", "Protection against mechanical and thermal risks"),
    mdr("Annex I 21", "Protection against risks of devices supplying energy or substances"),
    mdr("Annex I 22", "Devices intended for use by lay persons"),
    // MDR Annex I, chapter III: information supplied with the device.
    mdr("Annex I 23", "Label and instructions for use"),
    mdr("Annex I 23.1", "General requirements on the information supplied by the manufacturer"),
    mdr("Annex I 23.1(f)", "Instructions for use in electronic form"),
    mdr("Annex I 23.2", "Information on the label"),
    mdr("Annex I 23.3", "Information on the packaging which maintains the sterile condition"),
    mdr("Annex I 23.4", "Information in the instructions for use"),
    mdr("Annex I 23.4(b)", "IFU: intended purpose, indications, contra-indications, users"),
    mdr("Annex I 23.4(c)", "IFU: clinical benefits to be expected"),
    mdr("Annex I 23.4(e)", "IFU: performance characteristics"),
    mdr("Annex I 23.4(g)", "IFU: residual risks, contra-indications, undesirable side-effects"),
    mdr("Annex I 23.4(h)", "IFU: specifications for appropriate use, e.g. degree of accuracy"),
    mdr("Annex I 23.4(j)", "IFU: special facilities, training or qualifications of users"),
    mdr("Annex I 23.4(q)", "IFU: devices and equipment for a safe combination; restrictions"),
    mdr("Annex I 23.4(ab)", "IFU: minimum hardware, IT network and IT security requirements"),
    // MDR Annex II: technical documentation.
    mdr("Annex II 1", "Device description and specification, including variants and accessories"),
    mdr("Annex II 1.1", "Device description and specification"),
    mdr("Annex II 1.1(a)", "Trade name, general description, intended purpose and users"),
    mdr("Annex II 1.1(b)", "Basic UDI-DI or other unambiguous identification"),
    mdr("Annex II 1.1(c)", "Patient population, conditions, indications, contra-indications"),
    mdr("Annex II 1.1(d)", "Principles of operation and mode of action"),
    mdr("Annex II 1.1(e)", "Rationale for qualification as a device"),
    mdr("Annex II 1.1(f)", "Risk class and the classification rule applied (Annex VIII)"),
    mdr("Annex II 1.1(g)", "Novel features"),
    mdr("Annex II 1.1(h)", "Accessories and products used in combination"),
    mdr("Annex II 1.1(i)", "Configurations and variants"),
    mdr("Annex II 1.1(j)", "Key functional elements, including software"),
    mdr("Annex II 1.1(k)", "Raw materials of key functional elements and in body contact"),
    mdr("Annex II 1.1(l)", "Technical specifications"),
    mdr("Annex II 1.2", "Previous and similar generations of the device"),
    mdr("Annex II 1.2(a)", "Previous generations of the device"),
    mdr("Annex II 1.2(b)", "Similar devices on the Union or international markets"),
    mdr("Annex II 2", "Information to be supplied by the manufacturer"),
    mdr("Annex II 2(a)", "Labels on the device and its packaging"),
    mdr("Annex II 2(b)", "Instructions for use"),
    mdr("Annex II 3", "Design and manufacturing information"),
    mdr("Annex II 3(a)", "Design stages"),
    mdr("Annex II 3(b)", "Manufacturing processes, their validation and final product testing"),
    mdr("Annex II 3(c)", "Design and manufacturing sites, suppliers and sub-contractors"),
    mdr("Annex II 4", "General safety and performance requirements"),
    mdr("Annex II 4(a)", "GSPRs that apply, and why the others do not"),
    mdr("Annex II 4(b)", "Method used to demonstrate conformity with each applicable GSPR"),
    mdr("Annex II 4(c)", "Harmonised standards, common specifications or other solutions"),
    mdr("Annex II 4(d)", "Controlled documents evidencing conformity, cross-referenced"),
    mdr("Annex II 5", "Benefit-risk analysis and risk management"),
    mdr("Annex II 5(a)", "Benefit-risk analysis (Annex I sections 1 and 8)"),
    mdr("Annex II 5(b)", "Solutions adopted and results of risk management (Annex I section 3)"),
    mdr("Annex II 6", "Product verification and validation"),
    mdr("Annex II 6.1", "Pre-clinical and clinical data"),
    mdr("Annex II 6.1(a)", "Results of tests and evaluation of published literature"),
    mdr("Annex II 6.1(b)", "Test protocols, data analysis, software verification and validation"),
    mdr("Annex II 6.1(c)", "Clinical evaluation report and plan"),
    mdr("Annex II 6.1(d)", "PMCF plan and evaluation report, or why PMCF does not apply"),
    mdr("Annex II 6.2", "Additional information in specific cases"),
    mdr("Annex II 6.2(a)", "Devices incorporating a medicinal substance"),
    mdr("Annex II 6.2(b)", "Devices made with tissues or cells of human or animal origin"),
    mdr("Annex II 6.2(c)", "Devices composed of substances introduced into the body"),
    mdr("Annex II 6.2(d)", "Devices containing CMR or endocrine-disrupting substances"),
    mdr("Annex II 6.2(e)", "Devices placed on the market sterile or in a microbiological state"),
    mdr("Annex II 6.2(f)", "Devices with a measuring function"),
    mdr("Annex II 6.2(g)", "Devices to be connected to other devices"),
    // MDR Annex III: post-market surveillance.
    mdr("Annex III 1", "Post-market surveillance plan (Article 84)"),
    mdr("Annex III 1.1(a)", "PMS plan: information collected and used"),
    mdr("Annex III 1.1(b)", "PMS plan: processes, methods, indicators, thresholds and PMCF"),
    mdr("Annex III 1.2", "PSUR (Article 86) and post-market surveillance report (Article 85)"),
    // AI Act Annex IV: technical documentation of a high-risk AI system.
    ai_act("Annex IV 1", "General description of the AI system"),
    ai_act("Annex IV 1(a)", "Intended purpose, provider, version and relation to earlier versions"),
    ai_act("Annex IV 1(b)", "Interaction with hardware, software and other AI systems"),
    ai_act("Annex IV 1(c)", "Versions of software or firmware; update requirements"),
    ai_act("Annex IV 1(d)", "Forms in which the system is placed on the market"),
    ai_act("Annex IV 1(e)", "Hardware on which the system is intended to run"),
    ai_act("Annex IV 1(f)", "Photographs or illustrations of products it is a component of"),
    ai_act("Annex IV 1(g)", "User interface provided to the deployer"),
    ai_act("Annex IV 1(h)", "Instructions for use for the deployer"),
    ai_act("Annex IV 2", "Elements of the AI system and its development process"),
    ai_act("Annex IV 2(a)", "Development methods, incl. pre-trained systems and third-party tools"),
    ai_act("Annex IV 2(b)", "Design specifications: logic, key choices, optimisation, trade-offs"),
    ai_act("Annex IV 2(c)", "System architecture and computational resources"),
    ai_act("Annex IV 2(d)", "Data requirements: datasheets, provenance, selection, labelling"),
    ai_act("Annex IV 2(e)", "Assessment of human oversight measures (Article 14)"),
    ai_act("Annex IV 2(f)", "Pre-determined changes and continuous compliance"),
    ai_act("Annex IV 2(g)", "Validation and testing: data, metrics, dated and signed test reports"),
    ai_act("Annex IV 2(h)", "Cybersecurity measures"),
    ai_act("Annex IV 3", "Monitoring, functioning and control of the AI system"),
    ai_act("Annex IV 4", "Appropriateness of the performance metrics"),
    ai_act("Annex IV 5", "Risk management system (Article 9)"),
    ai_act("Annex IV 6", "Relevant changes through the life cycle"),
    ai_act("Annex IV 7", "Harmonised standards or other solutions applied"),
    ai_act("Annex IV 8", "Copy of the EU declaration of conformity (Article 47)"),
    ai_act("Annex IV 9", "Post-market monitoring system and plan (Article 72)"),
];

/// The parts of the frameworks that [`CLAUSES`] lists clause by clause: a citation in
/// one of them must name a listed clause.
pub const CATALOGUED_PARTS: &[(&str, &str)] = &[
    ("mdr", "Annex I "),
    ("mdr", "Annex II "),
    ("mdr", "Annex III "),
    ("ai_act", "Annex IV "),
];

/// Whether `id` falls in a part of `framework` that [`CLAUSES`] lists clause by clause.
pub fn catalogued(framework: &str, id: &str) -> bool {
    CATALOGUED_PARTS
        .iter()
        .any(|(f, part)| *f == framework && id.starts_with(part))
}

/// The clause of `framework` cited as `id`, if clic knows it.
pub fn clause(framework: &str, id: &str) -> Option<&'static Clause> {
    CLAUSES
        .iter()
        .find(|c| c.framework == framework && c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn clauses_are_unique_and_name_known_frameworks() {
        let mut seen = BTreeSet::new();
        for c in CLAUSES {
            assert!(framework(c.framework).is_some(), "{c:?}");
            assert!(seen.insert((c.framework, c.id)), "duplicate {c:?}");
            assert!(!c.title.trim().is_empty(), "{c:?}");
        }
        assert_eq!(
            clause("mdr", "Annex I 17.1").map(|c| c.id),
            Some("Annex I 17.1")
        );
        assert!(clause("ai_act", "Annex I 17.1").is_none());
    }
}
