//! Opening a file: its bytes, their digest, the Part 10 header, and a fallback for bare
//! data sets (no preamble, no file meta group) in a recognisable transfer syntax.

use super::stream::{self, Encoding};
use super::{Limits, ScanError};
use dicom_object::file::ReadPreamble;
use dicom_object::meta::FileMetaTable;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::{TransferSyntax, TransferSyntaxIndex, TransferSyntaxRegistry};
use std::io::Read;
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

/// Transfer syntaxes whose data set is deflated (PS3.5 A.5): Deflated Explicit VR
/// Little Endian and the two JPIP Referenced Deflate syntaxes.
const DEFLATED: &[&str] = &[
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.95",
    "1.2.840.10008.1.2.4.205",
];

const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";

/// How the data set of a transfer syntax is encoded (deflated ones once inflated).
fn encoding(uid: &str) -> Encoding {
    Encoding {
        big_endian: uid == EXPLICIT_VR_BE,
        explicit_vr: uid != IMPLICIT_VR_LE,
    }
}

/// Inflates a deflated data set, refusing one that inflates to more than `max` bytes
/// (a 1 MB file can inflate to gigabytes).
fn inflate(data: &[u8], max: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot inflate the deflated data set: {e}"))?;
    if out.len() as u64 > max {
        return Err(format!(
            "the deflated data set inflates to more than {max} bytes, the limit on the \
             size of a scan (raise it with `--max-scan-bytes`)"
        ));
    }
    Ok(out)
}

/// Reads and parses one file, within `limits`.
pub(crate) fn load(path: &Path, shown: &str, limits: &Limits) -> Result<Loaded, ScanError> {
    let bytes = read(path, shown, limits)?;
    load_bytes(&bytes, shown, limits)
}

/// The bytes of one file, within `limits`.
pub(crate) fn read(path: &Path, shown: &str, limits: &Limits) -> Result<Vec<u8>, ScanError> {
    crate::bench::input::read_regular(
        path,
        limits.max_scan_bytes,
        "the limit on the size of a scan; raise it with `--max-scan-bytes`",
    )
    .map_err(|e| ScanError::new(shown, None, format!("cannot read the file: {e}")))
}

/// Parses the bytes of one file, within `limits`. Before dicom-rs sees them, the
/// element stream is checked ([`super::stream`]): nesting, declared lengths and the
/// number of values are bounded, so parsing is bounded in stack, memory and time.
pub(crate) fn load_bytes(bytes: &[u8], shown: &str, limits: &Limits) -> Result<Loaded, ScanError> {
    load_digested(
        bytes,
        crate::facts::artifact::sha256_hex(bytes),
        shown,
        limits,
    )
}

/// [`load_bytes`] of bytes whose sha256 the caller computed as it read them (the
/// benchmark hashes each file once).
pub(crate) fn load_digested(
    bytes: &[u8],
    sha256: String,
    shown: &str,
    limits: &Limits,
) -> Result<Loaded, ScanError> {
    if bytes.len() as u64 > limits.max_scan_bytes {
        return Err(ScanError::new(
            shown,
            None,
            format!(
                "the file holds {} bytes, over the limit of {} on the size of a scan (raise it with `--max-scan-bytes`)",
                bytes.len(),
                limits.max_scan_bytes
            ),
        ));
    }
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
        let parse_error = |ts: Option<&str>, e: String| {
            ScanError::new(shown, ts, format!("cannot parse the DICOM file: {e}"))
        };
        let meta = stream::check_meta(body).map_err(|e| parse_error(None, e))?;
        let uid = meta
            .transfer_syntax
            .as_deref()
            .map(trim_uid)
            .ok_or_else(|| {
                parse_error(
                    None,
                    "the file meta group names no transfer syntax".to_owned(),
                )
            })?;
        if TransferSyntaxRegistry.get(uid).is_none() {
            return Err(parse_error(
                Some(uid),
                "clic does not know this transfer syntax".to_owned(),
            ));
        }
        let dataset = &body[meta.dataset_start..];
        if DEFLATED.contains(&uid) {
            // Inflated once, here, within the limit; dicom-rs reads the result as the
            // explicit VR little endian data set it is.
            let inflated =
                inflate(dataset, limits.max_scan_bytes).map_err(|e| parse_error(Some(uid), e))?;
            stream::check_dataset(&inflated, Encoding::EXPLICIT_LE)
                .map_err(|e| parse_error(Some(uid), e))?;
            let file_meta =
                FileMetaTable::from_reader(body).map_err(|e| parse_error(Some(uid), chain(&e)))?;
            let explicit = TransferSyntaxRegistry.get(EXPLICIT_VR_LE).ok_or_else(|| {
                parse_error(Some(uid), "no explicit VR little endian reader".to_owned())
            })?;
            let dataset = InMemDicomObject::read_dataset_with_ts(inflated.as_slice(), explicit)
                .map_err(|e| parse_error(Some(uid), chain(&e)))?;
            return Ok(Loaded {
                obj: dataset.with_exact_meta(file_meta),
                sha256,
                part10: true,
            });
        }
        stream::check_dataset(dataset, encoding(uid)).map_err(|e| parse_error(Some(uid), e))?;
        return match OpenFileOptions::new()
            .read_preamble(ReadPreamble::Never)
            .from_reader(body)
        {
            Ok(obj) => Ok(Loaded {
                obj,
                sha256,
                part10: true,
            }),
            Err(e) => Err(parse_error(Some(uid), chain(&e))),
        };
    }
    let Some(ts) = guess_bare_dataset(bytes) else {
        return Err(ScanError::new(
            shown,
            None,
            "not a DICOM file: no `DICM` prefix after a 128-byte preamble, \
             and the content does not start like a DICOM data set",
        ));
    };
    stream::check_dataset(bytes, encoding(ts.uid())).map_err(|e| {
        ScanError::new(
            shown,
            Some(ts.uid()),
            format!("not a DICOM Part 10 file (no file meta group); reading it as a bare data set failed: {e}"),
        )
    })?;
    let dataset = InMemDicomObject::read_dataset_with_ts(bytes, ts).map_err(|e| {
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
