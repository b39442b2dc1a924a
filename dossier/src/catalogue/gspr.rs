//! The general safety and performance requirements of MDR Annex I, chapters I to III,
//! with their applicability, methods and standards.

use super::Method::{Analysis, ClinicalEvaluation, Inspection, Test};
use super::{Chapter, Gspr, Method};

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
