//! Where the team's documents hold the evidence of each GSPR that applies: the sections a
//! reviewer opens to check the requirement (the Annex II 4(d) cross-reference from a
//! requirement to the controlled documents). The GSPR checklist cites each with the
//! document's version, and says whether a control checked what it says; the headings a
//! covering control names in its expectations are cited too, read from the plan.

use clic_runner::documents::sections::{
    clinical_evaluation as ce, ifu, pms_plan as pms, release_notes as rn, risk_management as rm,
    software_architecture as sa, software_development_plan as sdp, soup_list as soup, SectionRef,
};

const fn s(kind: &'static str, heading: &'static str) -> SectionRef {
    SectionRef { kind, heading }
}

const CE_CLINICAL_PERFORMANCE: SectionRef = s("clinical_evaluation", "clinical performance");
const RM_HAZARDS: SectionRef = s("risk_management", "hazards");
const RM_ESTIMATION: SectionRef = s("risk_management", "risk estimation");
const RM_EVALUATION: SectionRef = s("risk_management", "risk evaluation");
const RM_POST_PRODUCTION: SectionRef = s("risk_management", "production and post-production");
const IU_MISUSE: SectionRef = s("intended_use", "reasonably foreseeable misuse");
const IFU_TRAINING: SectionRef = s("ifu", "user training");
const IFU_BENEFITS: SectionRef = s("ifu", "clinical benefits");
const IFU_INCIDENTS: SectionRef = s("ifu", "reporting incidents");
const SDP_CONFIGURATION: SectionRef = s("software_development_plan", "configuration management");
const RN_ANOMALIES: SectionRef = s("release_notes", "known residual anomalies");
const AIQ_CYBERSECURITY: SectionRef = s("ai_questionnaire", "2.4");
const AIQ_ROBUSTNESS: SectionRef = s("ai_questionnaire", "2.3");

/// The sections that hold the evidence of each GSPR that applies, by clause.
// A table, one requirement a line: rustfmt would spread each over many.
#[rustfmt::skip]
pub static GSPR_SECTIONS: &[(&str, &[SectionRef])] = &[
    ("Annex I 1", &[CE_CLINICAL_PERFORMANCE, ce::BENEFIT_RISK, rm::OVERALL_RESIDUAL_RISK]),
    ("Annex I 2", &[rm::RISK_CONTROL, rm::OVERALL_RESIDUAL_RISK]),
    ("Annex I 3", &[rm::RISK_MANAGEMENT_PLAN, RM_HAZARDS, RM_ESTIMATION, RM_EVALUATION,
        rm::RISK_CONTROL, RM_POST_PRODUCTION]),
    ("Annex I 4", &[rm::RISK_CONTROL, ifu::LIMITATIONS]),
    ("Annex I 5", &[ifu::HUMAN_OVERSIGHT, IFU_TRAINING, IU_MISUSE]),
    ("Annex I 6", &[rm::DRIFT, pms::PERFORMANCE_MONITORING]),
    ("Annex I 7", &[rn::BUILD_AND_ARCHIVE, rn::DELIVERY]),
    ("Annex I 8", &[ce::BENEFIT_RISK, ifu::LIMITATIONS, rm::DISCRIMINATORY_OUTPUT]),
    ("Annex I 14.1", &[ifu::INPUT_SPECIFICATIONS, sa::INTERFACES]),
    ("Annex I 14.2(d)", &[soup::HARDWARE_AND_SOFTWARE, ifu::INSTALLATION]),
    ("Annex I 14.4", &[ifu::INSTALLATION, rn::DELIVERY]),
    ("Annex I 14.5", &[sa::INTERFACES, ifu::INPUT_SPECIFICATIONS]),
    ("Annex I 14.6", &[ifu::PERFORMANCE_CHARACTERISTICS, ifu::HUMAN_OVERSIGHT]),
    ("Annex I 15.1", &[ifu::PERFORMANCE_CHARACTERISTICS, ifu::PERFORMANCE_PER_GROUP,
        CE_CLINICAL_PERFORMANCE]),
    ("Annex I 17.1", &[rn::VERIFICATION_SUMMARY, sdp::VERIFICATION, AIQ_ROBUSTNESS]),
    ("Annex I 17.2", &[sdp::LIFE_CYCLE, SDP_CONFIGURATION, sa::SOFTWARE_ITEMS]),
    ("Annex I 17.4", &[ifu::INSTALLATION, soup::HARDWARE_AND_SOFTWARE]),
    ("Annex I 18.1", &[rm::RISK_CONTROL, RN_ANOMALIES]),
    ("Annex I 18.8", &[ifu::INSTALLATION, AIQ_CYBERSECURITY]),
    ("Annex I 23.1", &[ifu::MANUFACTURER_AND_DEVICE]),
    ("Annex I 23.1(f)", &[ifu::MANUFACTURER_AND_DEVICE, rn::DELIVERY]),
    ("Annex I 23.2", &[ifu::MANUFACTURER_AND_DEVICE, IFU_INCIDENTS]),
    ("Annex I 23.4", &[ifu::INTENDED_PURPOSE, ifu::CONTRA_INDICATIONS, ifu::LIMITATIONS,
        IFU_INCIDENTS]),
    ("Annex I 23.4(b)", &[ifu::INTENDED_PURPOSE, ifu::CONTRA_INDICATIONS]),
    ("Annex I 23.4(c)", &[IFU_BENEFITS]),
    ("Annex I 23.4(e)", &[ifu::PERFORMANCE_CHARACTERISTICS]),
    ("Annex I 23.4(g)", &[ifu::LIMITATIONS, ifu::CONTRA_INDICATIONS]),
    ("Annex I 23.4(h)", &[ifu::PERFORMANCE_CHARACTERISTICS, ifu::PERFORMANCE_PER_GROUP]),
    ("Annex I 23.4(j)", &[IFU_TRAINING]),
    ("Annex I 23.4(q)", &[ifu::INPUT_SPECIFICATIONS]),
    ("Annex I 23.4(ab)", &[ifu::INSTALLATION]),
];

/// The sections that hold the evidence of a GSPR; none for one without a row.
pub fn sections(id: &str) -> &'static [SectionRef] {
    GSPR_SECTIONS
        .iter()
        .find(|(g, _)| *g == id)
        .map_or(&[], |(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::GSPRS;

    #[test]
    fn every_gspr_that_applies_names_the_sections_that_hold_its_evidence() {
        for g in GSPRS.iter().filter(|g| g.applicable && !g.heading) {
            assert!(!sections(g.id).is_empty(), "{} names no section", g.id);
        }
        for (id, _) in GSPR_SECTIONS {
            let g = crate::catalogue::gspr(id).unwrap_or_else(|| panic!("{id} is no GSPR"));
            assert!(
                g.applicable && !g.heading,
                "{id} does not apply or is a heading"
            );
        }
    }

    #[test]
    fn every_section_named_is_a_heading_of_its_documents_template() {
        for (id, refs) in GSPR_SECTIONS {
            for r in refs.iter() {
                let t = clic_runner::documents::templates::template(r.kind)
                    .unwrap_or_else(|| panic!("{id}: no template of kind {}", r.kind));
                let headings = t.required_headings().into_iter().chain(t.questions());
                assert!(
                    headings.into_iter().any(|h| r.matches(&h)),
                    "{id}: the {} template has no heading starting with `{}`",
                    r.kind,
                    r.heading
                );
            }
        }
    }
}
