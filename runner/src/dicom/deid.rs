//! The PS3.15 Annex E audit: which identifying attributes a scan still holds, never
//! their values.

use super::fields::{text, trim};
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An identifying attribute found in a scan. Its value is never recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeidFinding {
    /// Tag as `(gggg,eeee)`, upper-case hex.
    pub tag: String,
    /// Attribute keyword, e.g. `PatientName`.
    pub keyword: String,
    /// What the PS3.15 Annex E basic profile requires, as one letter: `Z` (empty), `X`
    /// (remove) or `D` (dummy). For attributes the profile lists as `X/Z/D`, `X/D` or
    /// `Z/D`, the first letter, the profile's default.
    pub action: String,
}

/// The de-identification audit of one scan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeidAudit {
    /// Identifying attributes still holding a value, in tag order, at any depth.
    pub findings: Vec<DeidFinding>,
    /// PatientIdentityRemoved is `YES`.
    pub identity_removed: bool,
    /// DeidentificationMethod or DeidentificationMethodCodeSequence is present and not
    /// empty.
    pub method_declared: bool,
    /// BurnedInAnnotation as stored (`YES`/`NO` are not identifying); `None` when absent.
    pub burned_in_annotation: Option<String>,
    /// Number of private (odd-group) data elements, at any depth.
    pub private_tags: u32,
}

/// Which option of Annex E (Table E.1-1) may keep an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No option keeps it.
    Plain,
    /// PatientID: a pseudonym is expected once the identity is declared removed.
    PatientId,
    /// Kept by the Retain Patient Characteristics Option (113108).
    Characteristic,
    /// Kept by the Retain Longitudinal Temporal Information options (113106, 113107).
    Temporal,
    /// Kept by the Retain Device Identity Option (113109).
    Device,
    /// Kept by the Retain Institution Identity Option (113112).
    Institution,
    /// A UID (`U`): pseudonymous by nature, never a finding, never shown.
    Uid,
}

pub(crate) struct Rule {
    pub(crate) tag: Tag,
    pub(crate) keyword: &'static str,
    action: &'static str,
    kind: Kind,
    /// Listed as absent by [`attributes`] when missing.
    pub(crate) core: bool,
}

const fn r(g: u16, e: u16, keyword: &'static str, action: &'static str, kind: Kind) -> Rule {
    Rule {
        tag: Tag(g, e),
        keyword,
        action,
        kind,
        core: false,
    }
}

const fn c(g: u16, e: u16, keyword: &'static str, action: &'static str, kind: Kind) -> Rule {
    Rule {
        core: true,
        ..r(g, e, keyword, action, kind)
    }
}

use Kind::{Characteristic as Ch, Device as Dev, Institution as Inst, Plain as P, Temporal as T};

/// The attributes of PS3.15 Table E.1-1 (basic profile column) that clic audits, in tag
/// order. `core` ones are those clic's regulatory notes list.
pub(crate) const RULES: &[Rule] = &[
    c(0x0008, 0x0018, "SOPInstanceUID", "U", Kind::Uid),
    c(0x0008, 0x0020, "StudyDate", "Z", T),
    r(0x0008, 0x0021, "SeriesDate", "X/D", T),
    r(0x0008, 0x0022, "AcquisitionDate", "X/D", T),
    r(0x0008, 0x0023, "ContentDate", "Z/D", T),
    r(0x0008, 0x0024, "OverlayDate", "X", T),
    r(0x0008, 0x0025, "CurveDate", "X", T),
    r(0x0008, 0x002A, "AcquisitionDateTime", "X/D", T),
    c(0x0008, 0x0030, "StudyTime", "Z", T),
    r(0x0008, 0x0031, "SeriesTime", "X/D", T),
    r(0x0008, 0x0032, "AcquisitionTime", "X/D", T),
    r(0x0008, 0x0033, "ContentTime", "Z/D", T),
    r(0x0008, 0x0034, "OverlayTime", "X", T),
    r(0x0008, 0x0035, "CurveTime", "X", T),
    c(0x0008, 0x0050, "AccessionNumber", "Z", P),
    c(0x0008, 0x0080, "InstitutionName", "X/Z/D", Inst),
    c(0x0008, 0x0081, "InstitutionAddress", "X", Inst),
    c(0x0008, 0x0090, "ReferringPhysicianName", "Z", P),
    r(0x0008, 0x0092, "ReferringPhysicianAddress", "X", P),
    r(0x0008, 0x0094, "ReferringPhysicianTelephoneNumbers", "X", P),
    r(
        0x0008,
        0x0096,
        "ReferringPhysicianIdentificationSequence",
        "X",
        P,
    ),
    c(0x0008, 0x1010, "StationName", "X/Z/D", Dev),
    c(0x0008, 0x1030, "StudyDescription", "X", P),
    c(0x0008, 0x103E, "SeriesDescription", "X", P),
    r(0x0008, 0x1040, "InstitutionalDepartmentName", "X", Inst),
    r(0x0008, 0x1048, "PhysiciansOfRecord", "X", P),
    r(
        0x0008,
        0x1049,
        "PhysiciansOfRecordIdentificationSequence",
        "X",
        P,
    ),
    c(0x0008, 0x1050, "PerformingPhysicianName", "X", P),
    r(
        0x0008,
        0x1052,
        "PerformingPhysicianIdentificationSequence",
        "X",
        P,
    ),
    r(0x0008, 0x1060, "NameOfPhysiciansReadingStudy", "X", P),
    r(
        0x0008,
        0x1062,
        "PhysiciansReadingStudyIdentificationSequence",
        "X",
        P,
    ),
    c(0x0008, 0x1070, "OperatorsName", "X/Z/D", P),
    r(0x0008, 0x1072, "OperatorIdentificationSequence", "X/D", P),
    r(0x0008, 0x1080, "AdmittingDiagnosesDescription", "X", P),
    r(0x0008, 0x1084, "AdmittingDiagnosesCodeSequence", "X", P),
    r(0x0008, 0x1120, "ReferencedPatientSequence", "X", P),
    r(0x0008, 0x2111, "DerivationDescription", "X", P),
    c(0x0010, 0x0010, "PatientName", "Z", P),
    c(0x0010, 0x0020, "PatientID", "Z", Kind::PatientId),
    r(0x0010, 0x0021, "IssuerOfPatientID", "X", P),
    c(0x0010, 0x0030, "PatientBirthDate", "Z", P),
    c(0x0010, 0x0032, "PatientBirthTime", "X", P),
    c(0x0010, 0x0040, "PatientSex", "Z", Ch),
    c(0x0010, 0x1000, "OtherPatientIDs", "X", P),
    c(0x0010, 0x1001, "OtherPatientNames", "X", P),
    r(0x0010, 0x1002, "OtherPatientIDsSequence", "X", P),
    r(0x0010, 0x1005, "PatientBirthName", "X", P),
    c(0x0010, 0x1010, "PatientAge", "X", Ch),
    r(0x0010, 0x1020, "PatientSize", "X", Ch),
    r(0x0010, 0x1030, "PatientWeight", "X", Ch),
    c(0x0010, 0x1040, "PatientAddress", "X", P),
    r(0x0010, 0x1060, "PatientMotherBirthName", "X", P),
    r(0x0010, 0x1080, "MilitaryRank", "X", P),
    r(0x0010, 0x1081, "BranchOfService", "X", P),
    r(0x0010, 0x1090, "MedicalRecordLocator", "X", P),
    r(0x0010, 0x2150, "CountryOfResidence", "X", P),
    r(0x0010, 0x2152, "RegionOfResidence", "X", P),
    r(0x0010, 0x2154, "PatientTelephoneNumbers", "X", P),
    r(0x0010, 0x2160, "EthnicGroup", "X", Ch),
    r(0x0010, 0x2180, "Occupation", "X", P),
    r(0x0010, 0x21A0, "SmokingStatus", "X", Ch),
    r(0x0010, 0x21B0, "AdditionalPatientHistory", "X", P),
    r(0x0010, 0x21C0, "PregnancyStatus", "X", Ch),
    r(0x0010, 0x21F0, "PatientReligiousPreference", "X", P),
    c(0x0010, 0x4000, "PatientComments", "X", P),
    r(0x0018, 0x1000, "DeviceSerialNumber", "X/Z/D", Dev),
    c(0x0018, 0x1030, "ProtocolName", "X/D", P),
    r(0x0018, 0x4000, "AcquisitionComments", "X", P),
    c(0x0020, 0x000D, "StudyInstanceUID", "U", Kind::Uid),
    c(0x0020, 0x000E, "SeriesInstanceUID", "U", Kind::Uid),
    c(0x0020, 0x0010, "StudyID", "Z", P),
    c(0x0020, 0x0052, "FrameOfReferenceUID", "U", Kind::Uid),
    r(0x0020, 0x4000, "ImageComments", "X", P),
    r(0x0032, 0x1032, "RequestingPhysician", "X", P),
    r(0x0032, 0x1060, "RequestedProcedureDescription", "X", P),
    r(0x0032, 0x4000, "StudyComments", "X", P),
    r(0x0038, 0x0010, "AdmissionID", "X", P),
    r(0x0038, 0x0300, "CurrentPatientLocation", "X", P),
    r(0x0038, 0x0400, "PatientInstitutionResidence", "X", P),
    r(0x0040, 0x0006, "ScheduledPerformingPhysicianName", "X", P),
    r(0x0040, 0x0244, "PerformedProcedureStepStartDate", "X", T),
    r(0x0040, 0x0245, "PerformedProcedureStepStartTime", "X", T),
    r(0x0040, 0x0253, "PerformedProcedureStepID", "X", P),
    r(0x0040, 0x0254, "PerformedProcedureStepDescription", "X", P),
    r(0x0040, 0x0275, "RequestAttributesSequence", "X", P),
    r(0x0040, 0x1001, "RequestedProcedureID", "X", P),
    r(0x0400, 0x0561, "OriginalAttributesSequence", "X", P),
];

pub(crate) fn rule(tag: Tag) -> Option<&'static Rule> {
    RULES
        .binary_search_by(|r| r.tag.cmp(&tag))
        .ok()
        .map(|i| &RULES[i])
}

/// `(gggg,eeee)`.
pub(crate) fn tag_string(tag: Tag) -> String {
    format!("({:04X},{:04X})", tag.group(), tag.element())
}

/// Which retention options the file declares.
#[derive(Debug, Default)]
struct Options {
    identity_removed: bool,
    patient_characteristics: bool,
    dates: bool,
    device: bool,
    institution: bool,
}

impl Options {
    fn of(obj: &InMemDicomObject) -> Self {
        let method = text(obj, tags::DEIDENTIFICATION_METHOD)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let codes: Vec<String> = obj
            .get(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE)
            .and_then(|e| e.items())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| text(item, tags::CODE_VALUE))
                    .collect()
            })
            .unwrap_or_default();
        let declared =
            |code: &str, words: &str| codes.iter().any(|c| c == code) || method.contains(words);
        let ltim = text(obj, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).unwrap_or_default();
        Self {
            identity_removed: text(obj, tags::PATIENT_IDENTITY_REMOVED)
                .is_some_and(|v| v.eq_ignore_ascii_case("YES")),
            patient_characteristics: declared("113108", "retain patient characteristics"),
            dates: declared("113106", "retain longitudinal temporal information")
                || declared("113107", "retain longitudinal temporal information")
                || ltim.eq_ignore_ascii_case("MODIFIED"),
            device: declared("113109", "retain device identity"),
            institution: declared("113112", "retain institution identity"),
        }
    }

    fn keeps(&self, kind: Kind) -> bool {
        match kind {
            Kind::Plain => false,
            Kind::Uid => true,
            Kind::PatientId => self.identity_removed,
            Kind::Characteristic => self.patient_characteristics,
            Kind::Temporal => self.dates,
            Kind::Device => self.device,
            Kind::Institution => self.institution,
        }
    }
}

/// The text of an element when it holds a value: `Some("")` for an empty one, `None`
/// for a sequence or binary value (whose emptiness [`is_empty`] decides).
fn value_text(elem: &InMemElement) -> Option<String> {
    match elem.value() {
        Value::Primitive(p) if !is_binary(elem.vr()) => Some(trim(&p.to_str()).to_owned()),
        _ => None,
    }
}

pub(crate) fn is_binary(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN
    )
}

/// Whether an element holds no value: zero items, zero bytes, or only padding and
/// person-name delimiters.
pub(crate) fn is_empty(elem: &InMemElement) -> bool {
    match elem.value() {
        Value::Sequence(seq) => seq.items().is_empty(),
        Value::PixelSequence(seq) => seq.fragments().is_empty(),
        Value::Primitive(p) => match value_text(elem) {
            Some(s) => s
                .chars()
                .all(|c| matches!(c, ' ' | '\0' | '^' | '=' | '\\')),
            None => p.to_bytes().is_empty(),
        },
    }
}

/// Whether a value is a recognisable dummy (for attributes where the profile allows
/// `D`): a placeholder word, or only filler characters.
fn looks_dummy(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "ANON",
        "ANONYMOUS",
        "ANONYMIZED",
        "ANONYMISED",
        "DEIDENTIFIED",
        "DE-IDENTIFIED",
        "REMOVED",
        "REDACTED",
        "DUMMY",
        "UNKNOWN",
        "NONE",
        "N/A",
        "NA",
        "NOT RECORDED",
        "19000101",
        "00010101",
    ];
    let v = value.trim().to_ascii_uppercase();
    WORDS.contains(&v.as_str())
        || v.chars()
            .all(|c| matches!(c, 'X' | '*' | '0' | '-' | '_' | '^' | ' ' | '.' | ':' | '/'))
}

/// Audits a data set (the file meta group holds nothing identifying but UIDs).
pub(crate) fn audit(obj: &InMemDicomObject) -> DeidAudit {
    let options = Options::of(obj);
    let mut found: BTreeMap<Tag, &'static Rule> = BTreeMap::new();
    let mut private_tags = 0u32;
    walk(obj, &options, &mut found, &mut private_tags, 0);
    let method_declared = [
        tags::DEIDENTIFICATION_METHOD,
        tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE,
    ]
    .iter()
    .any(|&t| obj.get(t).is_some_and(|e| !is_empty(e)));
    DeidAudit {
        findings: found
            .values()
            .map(|rule| DeidFinding {
                tag: tag_string(rule.tag),
                keyword: rule.keyword.to_owned(),
                action: rule.action[..1].to_owned(),
            })
            .collect(),
        identity_removed: options.identity_removed,
        method_declared,
        burned_in_annotation: text(obj, tags::BURNED_IN_ANNOTATION),
        private_tags,
    }
}

/// Nesting beyond this is not audited (no real object comes near it).
const MAX_DEPTH: usize = 32;

fn walk(
    obj: &InMemDicomObject,
    options: &Options,
    found: &mut BTreeMap<Tag, &'static Rule>,
    private_tags: &mut u32,
    depth: usize,
) {
    for elem in obj.iter() {
        let tag = elem.tag();
        if tag.group() % 2 == 1 {
            *private_tags = private_tags.saturating_add(1);
        }
        if let Some(rule) = rule(tag) {
            if !is_empty(elem) && !options.keeps(rule.kind) {
                let dummy =
                    rule.action.contains('D') && value_text(elem).is_some_and(|v| looks_dummy(&v));
                if !dummy {
                    found.entry(tag).or_insert(rule);
                }
            }
        }
        if depth < MAX_DEPTH {
            if let Some(items) = elem.items() {
                for item in items {
                    walk(item, options, found, private_tags, depth + 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_sorted_and_unique() {
        assert!(RULES.windows(2).all(|w| w[0].tag < w[1].tag));
        assert!(RULES
            .iter()
            .all(|r| matches!(&r.action[..1], "X" | "Z" | "D" | "U")));
    }

    #[test]
    fn dummies() {
        assert!(looks_dummy("ANONYMIZED"));
        assert!(looks_dummy("XXXX"));
        assert!(!looks_dummy("St Mary Hospital"));
        assert!(!looks_dummy("20240101"));
    }
}
