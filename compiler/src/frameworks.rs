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
