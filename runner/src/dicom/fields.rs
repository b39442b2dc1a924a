//! Reading single attribute values, the age band and the identifier hash.

use dicom_core::{Tag, VR};
use dicom_object::InMemDicomObject;

/// The value of a non-sequence attribute as text, without DICOM padding (spaces and
/// NULs at either end); `None` when absent or not text-convertible.
pub(crate) fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let elem = obj.get(tag)?;
    if elem.vr() == VR::UN {
        // An attribute of unknown VR keeps its raw bytes; text attributes read as text.
        let bytes = elem.to_bytes().ok()?;
        return Some(trim(&String::from_utf8_lossy(&bytes)).to_owned());
    }
    let s = elem.to_str().ok()?;
    Some(trim(&s).to_owned())
}

/// Strips DICOM padding.
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c == ' ' || c == '\0')
}

/// An unsigned integer attribute.
pub(crate) fn uint(obj: &InMemDicomObject, tag: Tag) -> Option<u32> {
    obj.get(tag)?.to_int::<u32>().ok()
}

/// The first value of a possibly multi-valued numeric attribute (DS, IS or binary), as
/// `tools/preprocess.py` reads WindowCenter/WindowWidth: `None` when absent or empty.
pub(crate) fn first_number(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    let elem = obj.get(tag)?;
    let s = elem.to_str().ok()?;
    let first = trim(s.split('\\').next()?);
    if first.is_empty() {
        return None;
    }
    first.trim().parse::<f64>().ok()
}

/// The keyed pseudonym ([`crate::pseudonym::of`]) of an identifier with its DICOM
/// padding removed. The same function maps a PatientID read from a file and a plain id
/// from a training list, so the two can be compared without ever storing the id.
pub fn hash_id(id: &str) -> String {
    crate::pseudonym::of(trim(id))
}

/// The age band of a PatientAge value (`nnnD`, `nnnW`, `nnnM` or `nnnY`): `0-17`,
/// `18-39`, `40-59`, `60-79`, `80+`, or `unknown` when empty or malformed. A bare number
/// is read as years.
pub fn age_band(age: &str) -> &'static str {
    let age = trim(age);
    let (digits, unit) = match age.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&age[..i], c.to_ascii_uppercase()),
        Some(_) => (age, 'Y'),
        None => return "unknown",
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return "unknown";
    }
    let Ok(n) = digits.parse::<u32>() else {
        return "unknown";
    };
    let years = match unit {
        'Y' => n,
        'M' => n / 12,
        'W' => n.saturating_mul(7) / 365,
        'D' => n / 365,
        _ => return "unknown",
    };
    match years {
        0..=17 => "0-17",
        18..=39 => "18-39",
        40..=59 => "40-59",
        60..=79 => "60-79",
        _ => "80+",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands() {
        assert_eq!(age_band("045Y"), "40-59");
        assert_eq!(age_band("018Y"), "18-39");
        assert_eq!(age_band("017Y"), "0-17");
        assert_eq!(age_band("080Y"), "80+");
        assert_eq!(age_band("079Y"), "60-79");
        assert_eq!(age_band("240M"), "18-39");
        assert_eq!(age_band("003W"), "0-17");
        assert_eq!(age_band("100D"), "0-17");
        assert_eq!(age_band("60"), "60-79");
        assert_eq!(age_band(""), "unknown");
        assert_eq!(age_band("Y"), "unknown");
        assert_eq!(age_band("04xY"), "unknown");
        assert_eq!(age_band("045Q"), "unknown");
    }

    #[test]
    fn hash_ignores_padding() {
        assert_eq!(hash_id("REF-001 "), hash_id("REF-001"));
        // Keyed: never the plain sha256 of the id, which is brute-forced in a second.
        assert_ne!(
            hash_id("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
