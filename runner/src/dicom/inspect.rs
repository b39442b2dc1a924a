//! The attribute listing of `clic inspect scan`: an identifying attribute shows only as
//! present, empty or absent, never its value.

use super::deid::{is_binary, is_empty, rule, tag_string, RULES};
use super::fields::trim;
use super::open::{self, Object};
use super::ScanError;
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::Tag;
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::mem::InMemElement;
use std::path::Path;

/// The attributes of a file for `clic inspect scan`: `(tag, keyword, shown value)` in
/// tag order, file meta group first. Identifying attributes (the Annex E list, UIDs
/// included, and every private element) show only `present` or `empty`, never their
/// value; the main ones are also listed as `absent` when missing. Sequences show their
/// item count and binary values their length.
pub fn attributes(path: &Path) -> Result<Vec<(String, String, String)>, ScanError> {
    attributes_with(path, &super::Limits::default())
}

/// [`attributes`] within the given limits.
pub fn attributes_with(
    path: &Path,
    limits: &super::Limits,
) -> Result<Vec<(String, String, String)>, ScanError> {
    let shown = path.display().to_string();
    let loaded = open::load(path, &shown, limits)?;
    let obj: &Object = &loaded.obj;
    let mut rows: Vec<(Tag, String, String)> = meta_rows(obj);
    for elem in obj.iter() {
        let tag = elem.tag();
        let hidden = tag.group() % 2 == 1 || rule(tag).is_some();
        let value = if hidden {
            if is_empty(elem) { "empty" } else { "present" }.to_owned()
        } else {
            display_value(elem)
        };
        rows.push((tag, keyword(tag), value));
    }
    for rule in RULES.iter().filter(|r| r.core) {
        if obj.get(rule.tag).is_none() {
            rows.push((rule.tag, rule.keyword.to_owned(), "absent".to_owned()));
        }
    }
    rows.sort_by_key(|row| row.0);
    Ok(rows
        .into_iter()
        .map(|(tag, kw, v)| (tag_string(tag), kw, v))
        .collect())
}

fn keyword(tag: Tag) -> String {
    if tag.group() % 2 == 1 {
        return "Private".to_owned();
    }
    if let Some(rule) = rule(tag) {
        return rule.keyword.to_owned();
    }
    StandardDataDictionary
        .by_tag(tag)
        .map_or_else(|| "Unknown".to_owned(), |e| e.alias().to_owned())
}

fn meta_rows(obj: &Object) -> Vec<(Tag, String, String)> {
    let m = obj.meta();
    let present = |v: &str| {
        if open::trim_uid(v).is_empty() {
            "empty"
        } else {
            "present"
        }
    };
    let mut rows = vec![
        (
            Tag(0x0002, 0x0002),
            "MediaStorageSOPClassUID",
            open::trim_uid(&m.media_storage_sop_class_uid).to_owned(),
        ),
        (
            Tag(0x0002, 0x0003),
            "MediaStorageSOPInstanceUID",
            present(&m.media_storage_sop_instance_uid).to_owned(),
        ),
        (
            Tag(0x0002, 0x0010),
            "TransferSyntaxUID",
            open::trim_uid(&m.transfer_syntax).to_owned(),
        ),
        (
            Tag(0x0002, 0x0012),
            "ImplementationClassUID",
            open::trim_uid(&m.implementation_class_uid).to_owned(),
        ),
    ];
    if let Some(v) = &m.implementation_version_name {
        rows.push((
            Tag(0x0002, 0x0013),
            "ImplementationVersionName",
            trim(v).to_owned(),
        ));
    }
    // Application entity titles can name a station: shown as present only.
    for (tag, kw, v) in [
        (
            Tag(0x0002, 0x0016),
            "SourceApplicationEntityTitle",
            &m.source_application_entity_title,
        ),
        (
            Tag(0x0002, 0x0017),
            "SendingApplicationEntityTitle",
            &m.sending_application_entity_title,
        ),
        (
            Tag(0x0002, 0x0018),
            "ReceivingApplicationEntityTitle",
            &m.receiving_application_entity_title,
        ),
    ] {
        if let Some(v) = v {
            rows.push((tag, kw, present(v).to_owned()));
        }
    }
    rows.into_iter()
        .map(|(t, k, v)| (t, k.to_owned(), v))
        .collect()
}

/// Longest value shown, in characters.
const SHOWN_CHARS: usize = 64;

fn display_value(elem: &InMemElement) -> String {
    match elem.value() {
        Value::Sequence(seq) => format!("<sequence of {} item(s)>", seq.items().len()),
        Value::PixelSequence(seq) => {
            format!(
                "<encapsulated pixel data, {} fragment(s)>",
                seq.fragments().len()
            )
        }
        Value::Primitive(p) => {
            if is_binary(elem.vr()) {
                return format!("<{} bytes>", p.to_bytes().len());
            }
            let s = trim(&p.to_str()).to_owned();
            let mut out: String = s
                .chars()
                .take(SHOWN_CHARS)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if s.chars().count() > SHOWN_CHARS {
                out.push('…');
            }
            out
        }
    }
}
