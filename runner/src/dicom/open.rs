//! Opening a file: its bytes, their digest, the Part 10 header, and a fallback for bare
//! data sets (no preamble, no file meta group) in a recognisable transfer syntax.

use super::ScanError;
use dicom_object::file::ReadPreamble;
use dicom_object::meta::FileMetaTable;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::{TransferSyntax, TransferSyntaxIndex, TransferSyntaxRegistry};
use std::path::Path;

/// The parsed object type used throughout this module.
pub(crate) type Object = DefaultDicomObject;

/// A file read and parsed.
pub(crate) struct Loaded {
    /// The object, with its (possibly synthesised) file meta group.
    pub obj: Object,
    /// sha256 of the file's bytes.
    pub sha256: String,
    /// Whether the file had a Part 10 header.
    pub part10: bool,
}

/// The name of a transfer syntax, when the registry knows it.
pub(crate) fn ts_name(uid: &str) -> Option<&'static str> {
    TransferSyntaxRegistry
        .get(trim_uid(uid))
        .map(|ts| ts.name())
}

/// A UID without its padding.
pub(crate) fn trim_uid(uid: &str) -> &str {
    uid.trim_matches(|c: char| c == '\0' || c == ' ')
}

/// Joins an error and its sources, skipping repeats.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// Reads and parses one file.
pub(crate) fn load(path: &Path, shown: &str) -> Result<Loaded, ScanError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ScanError::new(shown, None, format!("cannot read the file: {e}")))?;
    let sha256 = crate::facts::artifact::sha256_hex(&bytes);
    let magic_at = |at: usize| bytes.get(at..at + 4) == Some(b"DICM".as_slice());
    let start = if magic_at(128) {
        Some(128)
    } else if magic_at(0) {
        Some(0)
    } else {
        None
    };
    if let Some(start) = start {
        let body = &bytes[start..];
        return match OpenFileOptions::new()
            .read_preamble(ReadPreamble::Never)
            .from_reader(body)
        {
            Ok(obj) => Ok(Loaded {
                obj,
                sha256,
                part10: true,
            }),
            Err(e) => {
                // Say which transfer syntax the header declares, if it can be read.
                let ts = FileMetaTable::from_reader(body)
                    .ok()
                    .map(|m| trim_uid(&m.transfer_syntax).to_owned());
                Err(ScanError::new(
                    shown,
                    ts.as_deref(),
                    format!("cannot parse the DICOM file: {}", chain(&e)),
                ))
            }
        };
    }
    let Some(ts) = guess_bare_dataset(&bytes) else {
        return Err(ScanError::new(
            shown,
            None,
            "not a DICOM file: no `DICM` prefix after a 128-byte preamble, \
             and the content does not start like a DICOM data set",
        ));
    };
    let dataset = InMemDicomObject::read_dataset_with_ts(bytes.as_slice(), ts).map_err(|e| {
        ScanError::new(
            shown,
            Some(ts.uid()),
            format!(
                "not a DICOM Part 10 file (no file meta group); reading it as a bare data set failed: {}",
                chain(&e)
            ),
        )
    })?;
    let uid = |tag| super::fields::text(&dataset, tag).unwrap_or_default();
    let meta = FileMetaTable {
        information_group_length: 0,
        information_version: [0, 1],
        media_storage_sop_class_uid: uid(dicom_dictionary_std::tags::SOP_CLASS_UID),
        media_storage_sop_instance_uid: uid(dicom_dictionary_std::tags::SOP_INSTANCE_UID),
        transfer_syntax: ts.uid().to_owned(),
        implementation_class_uid: String::new(),
        implementation_version_name: None,
        source_application_entity_title: None,
        sending_application_entity_title: None,
        receiving_application_entity_title: None,
        private_information_creator_uid: None,
        private_information: None,
    };
    Ok(Loaded {
        obj: dataset.with_exact_meta(meta),
        sha256,
        part10: false,
    })
}

/// Recognises a bare data set by its first element: group 0008 in either byte order,
/// explicit VR when a valid VR follows the tag.
fn guess_bare_dataset(bytes: &[u8]) -> Option<&'static TransferSyntax> {
    let head = bytes.get(..8)?;
    let explicit = dicom_core::VR::from_binary([head[4], head[5]]).is_some();
    let uid = if u16::from_le_bytes([head[0], head[1]]) == 0x0008 {
        if explicit {
            "1.2.840.10008.1.2.1"
        } else {
            "1.2.840.10008.1.2"
        }
    } else if u16::from_be_bytes([head[0], head[1]]) == 0x0008 && explicit {
        "1.2.840.10008.1.2.2"
    } else {
        return None;
    };
    TransferSyntaxRegistry.get(uid)
}
