//! DICOM reading for the `scans.*` facts and for inference: what clic records about a
//! scan ([`ScanInfo`], never a patient-identifying value), the PS3.15 Annex E audit of
//! its attributes ([`DeidAudit`]), the decoded first frame ([`Image`], its stored
//! integer samples) and the manifest's preprocessing ([`preprocess`]), which reproduces
//! the normative `tools/preprocess.py` of the example to the last bit of f64 arithmetic.
//!
//! Every failure is a per-file [`ScanError`] that names the file and, when known, its
//! transfer syntax; nothing here panics on a malformed or unsupported file. A hostile
//! file is read in bounded stack, memory and time: only a regular file of at most
//! [`Limits::max_scan_bytes`] is read, its element stream is checked before dicom-rs
//! parses it (sequences nested at most [`MAX_DEPTH`] deep, every declared length within
//! the bytes there are, at most [`MAX_VALUES`] values), a deflated data set inflates to
//! at most [`Limits::max_scan_bytes`], and an image holds at most [`Limits::max_pixels`]
//! pixels before anything decodes it.

mod codecs;
mod deid;
mod fields;
mod guard;
mod inspect;
mod open;
pub mod perturb;
mod pixels;
mod preprocess;
mod stream;

pub use deid::{DeidAudit, DeidFinding};
pub use fields::{age_band, hash_id};
pub use inspect::{attributes, attributes_with};
pub use pixels::{Colour, Image};
pub use preprocess::{pixel_stats, preprocess};
pub use stream::{MAX_DEPTH, MAX_VALUES};
pub(crate) use {codecs::encoded_frame, open::load as load_object, pixels::decode_first_frame};

use dicom_dictionary_std::tags;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The limits a scan is read within. The defaults hold real images with room to spare
/// (a 2500 x 2000 radiograph at 12 bits is 10 MB and 5 million pixels; a CT slice,
/// 512 x 512). The benchmark reads within the defaults (documented in the README);
/// a caller of [`read_scan_with`] or [`read_bytes`] may give others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file read, and the largest a deflated data set may inflate to, in
    /// bytes. Default [`Limits::MAX_SCAN_BYTES`].
    pub max_scan_bytes: u64,
    /// The most pixels an image may declare: Rows x Columns x NumberOfFrames x
    /// SamplesPerPixel. Default [`Limits::MAX_PIXELS`].
    pub max_pixels: u64,
}

impl Limits {
    /// 512 MiB.
    pub const MAX_SCAN_BYTES: u64 = 512 << 20;
    /// 2^28 = 268,435,456 pixels (16384 x 16384, or 1,024 CT slices of 512 x 512).
    pub const MAX_PIXELS: u64 = 1 << 28;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_scan_bytes: Self::MAX_SCAN_BYTES,
            max_pixels: Self::MAX_PIXELS,
        }
    }
}

/// Everything clic records about one scan, never a patient-identifying value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanInfo {
    /// Path relative to the reference folder, with `/` separators.
    pub file: String,
    /// sha256 (hex) of the file's bytes.
    pub sha256: String,
    /// Transfer syntax UID.
    pub transfer_syntax: String,
    /// Its name, e.g. `JPEG 2000 Image Compression (Lossless Only)`; empty when unknown.
    pub transfer_syntax_name: String,
    /// Whether the file has a DICOM Part 10 header (preamble, `DICM`, file meta group).
    /// Files without one are read as a bare data set with a guessed transfer syntax.
    pub part10: bool,
    /// SOP Class UID (from the data set, else the file meta group).
    pub sop_class: String,
    /// Modality, e.g. `CR`.
    pub modality: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Manufacturer's Model Name.
    pub model_name: String,
    /// PatientSex as stored (`M`, `F`, `O` or empty).
    pub sex: String,
    /// PatientAge as stored, e.g. `045Y`, or empty.
    pub age: String,
    /// Age band from PatientAge: `0-17`, `18-39`, `40-59`, `60-79`, `80+` or `unknown`.
    pub age_band: String,
    /// Rows (0 when absent).
    pub rows: u32,
    /// Columns (0 when absent).
    pub columns: u32,
    /// BitsAllocated (0 when absent).
    pub bits_allocated: u16,
    /// BitsStored (0 when absent).
    pub bits_stored: u16,
    /// PixelRepresentation: 0 unsigned, 1 signed.
    pub pixel_representation: u16,
    /// PhotometricInterpretation, e.g. `MONOCHROME2`.
    pub photometric: String,
    /// NumberOfFrames (1 for a single-frame image, 0 without pixel data).
    pub frames: u32,
    /// sha256 (hex) of the PatientID as [`hash_id`] computes it; empty without one.
    /// Never the id itself.
    pub patient_hash: String,
    /// sha256 (hex) of the StudyInstanceUID as [`hash_id`] computes it; empty without one.
    pub study_hash: String,
    /// The de-identification audit.
    pub deid: DeidAudit,
}

/// A per-file error: names the file and, when known, the transfer syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{file}`{}: {reason}", ts_suffix(.transfer_syntax.as_deref()))]
pub struct ScanError {
    /// The file as shown to users.
    pub file: String,
    /// Its transfer syntax UID, when the file got that far.
    pub transfer_syntax: Option<String>,
    /// What went wrong.
    pub reason: String,
}

impl ScanError {
    pub(crate) fn new(
        file: &str,
        transfer_syntax: Option<&str>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_owned(),
            transfer_syntax: transfer_syntax.map(str::to_owned),
            reason: reason.into(),
        }
    }
}

fn ts_suffix(uid: Option<&str>) -> String {
    match uid {
        None => String::new(),
        Some(uid) => match open::ts_name(uid) {
            Some(name) => format!(" (transfer syntax {uid}, {name})"),
            None => format!(" (transfer syntax {uid}, unknown)"),
        },
    }
}

/// Reads one file: its [`ScanInfo`] (metadata and de-identification audit) and its
/// decoded first frame. `shown` is the name used in the record and in errors (the path
/// relative to the reference folder, `/` separators).
///
/// Fails for files that cannot be read or parsed, and for images whose first frame cannot
/// be decoded or is neither grayscale (MONOCHROME1/2) nor colour (RGB, YBR_FULL,
/// YBR_FULL_422).
pub fn read_scan(path: &Path, shown: &str) -> Result<(ScanInfo, Image), ScanError> {
    read_scan_with(path, shown, &Limits::default())
}

/// [`read_scan`] within the given limits.
pub fn read_scan_with(
    path: &Path,
    shown: &str,
    limits: &Limits,
) -> Result<(ScanInfo, Image), ScanError> {
    let loaded = open::load(path, shown, limits)?;
    let (info, image) = parts(&loaded, shown, limits);
    Ok((info, image?))
}

/// Where an image sits in its study, as a unit-of-analysis rule reads it. Never part of
/// the evidence as such: the task that groups images records what it chose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// ViewPosition (PA, AP, LL, ...), padding removed; empty when absent.
    pub view_position: String,
    /// ImageLaterality (R, L, U, B); empty when absent.
    pub image_laterality: String,
    /// The pseudonym of the SOPInstanceUID (as `patient_hash` is of the PatientID);
    /// empty when absent.
    pub sop_hash: String,
}

impl Placement {
    /// The value of an attribute a `view` rule names, by keyword.
    pub fn attribute(&self, keyword: &str) -> Option<&str> {
        match keyword {
            "ViewPosition" => Some(&self.view_position),
            "ImageLaterality" => Some(&self.image_laterality),
            _ => None,
        }
    }
}

/// [`read_scan_with`], with where the image sits in its study.
pub fn read_scan_placed(
    path: &Path,
    shown: &str,
    limits: &Limits,
) -> Result<(ScanInfo, Placement, Image), ScanError> {
    let loaded = open::load(path, shown, limits)?;
    let placement = placement(&loaded.obj);
    let (info, image) = parts(&loaded, shown, limits);
    Ok((info, placement, image?))
}

/// A scan parsed from bytes already read and hashed, its pixels not yet decoded: the
/// benchmark reads each file once, learns its patient's shard before decoding, and
/// decodes only the scans it scores.
pub struct Parsed {
    loaded: open::Loaded,
    shown: String,
    limits: Limits,
}

/// The bytes of one scan file, within `limits` (a regular file, at most
/// [`Limits::max_scan_bytes`]), as [`read_scan`] reads them.
pub fn read_file(path: &Path, shown: &str, limits: &Limits) -> Result<Vec<u8>, ScanError> {
    open::read(path, shown, limits)
}

/// Parses the bytes of one file whose sha256 the caller computed as it read them.
pub fn parse_digested(
    bytes: &[u8],
    sha256: String,
    shown: &str,
    limits: &Limits,
) -> Result<Parsed, ScanError> {
    Ok(Parsed {
        loaded: open::load_digested(bytes, sha256, shown, limits)?,
        shown: shown.to_owned(),
        limits: *limits,
    })
}

impl Parsed {
    /// What the file says ([`read_scan`]'s record).
    pub fn info(&self) -> ScanInfo {
        scan_info(&self.loaded, &self.shown)
    }

    /// Where the image sits in its study.
    pub fn placement(&self) -> Placement {
        placement(&self.loaded.obj)
    }

    /// The first frame decoded, `info` being [`Parsed::info`].
    pub fn decode(&self, info: &ScanInfo) -> Result<Image, ScanError> {
        pixels::decode_first_frame(
            &self.loaded.obj,
            &self.shown,
            &info.transfer_syntax,
            &self.limits,
        )
    }

    /// What a sharded benchmark groups the scan by, the same on every machine (no
    /// project secret): the sha256 of `patient` and the PatientID, else of `study` and
    /// the StudyInstanceUID; `None` without either (the caller falls back to the file).
    /// Never recorded: an unsalted digest of an id is no pseudonym.
    pub fn shard_digest(&self) -> Option<String> {
        let obj = &self.loaded.obj;
        [
            ("patient", tags::PATIENT_ID),
            ("study", tags::STUDY_INSTANCE_UID),
        ]
        .into_iter()
        .find_map(|(what, tag)| {
            fields::text(obj, tag)
                .filter(|v| !v.is_empty())
                .map(|v| crate::facts::artifact::sha256_hex(format!("{what}\0{v}").as_bytes()))
        })
    }
}

fn placement(obj: &open::Object) -> Placement {
    let text = |tag| fields::text(obj, tag).unwrap_or_default();
    let sop = text(tags::SOP_INSTANCE_UID);
    Placement {
        view_position: text(tags::VIEW_POSITION),
        image_laterality: text(tags::IMAGE_LATERALITY),
        sop_hash: if sop.is_empty() {
            String::new()
        } else {
            hash_id(&sop)
        },
    }
}

/// Like [`read_scan`], but a file that parses yields its [`ScanInfo`] even when its
/// pixels cannot be decoded, so its metadata and audit can still be recorded.
pub fn read_scan_parts(
    path: &Path,
    shown: &str,
) -> Result<(ScanInfo, Result<Image, ScanError>), ScanError> {
    let limits = Limits::default();
    let loaded = open::load(path, shown, &limits)?;
    Ok(parts(&loaded, shown, &limits))
}

/// Like [`read_scan_parts`], from the bytes of a file already in memory (what the fuzz
/// target calls).
pub fn read_bytes(
    bytes: &[u8],
    shown: &str,
    limits: &Limits,
) -> Result<(ScanInfo, Result<Image, ScanError>), ScanError> {
    let loaded = open::load_bytes(bytes, shown, limits)?;
    Ok(parts(&loaded, shown, limits))
}

fn parts(
    loaded: &open::Loaded,
    shown: &str,
    limits: &Limits,
) -> (ScanInfo, Result<Image, ScanError>) {
    let info = scan_info(loaded, shown);
    let image = pixels::decode_first_frame(&loaded.obj, shown, &info.transfer_syntax, limits);
    (info, image)
}

/// Reads one file's [`ScanInfo`] without decoding its pixels.
pub fn read_info(path: &Path, shown: &str) -> Result<ScanInfo, ScanError> {
    let loaded = open::load(path, shown, &Limits::default())?;
    Ok(scan_info(&loaded, shown))
}

fn scan_info(loaded: &open::Loaded, shown: &str) -> ScanInfo {
    use fields::{text, uint};
    let obj = &loaded.obj;
    let meta = obj.meta();
    let transfer_syntax = open::trim_uid(&meta.transfer_syntax).to_owned();
    let transfer_syntax_name = open::ts_name(&transfer_syntax)
        .unwrap_or_default()
        .to_owned();
    let sop_class = text(obj, tags::SOP_CLASS_UID)
        .unwrap_or_else(|| open::trim_uid(&meta.media_storage_sop_class_uid).to_owned());
    let age = text(obj, tags::PATIENT_AGE).unwrap_or_default();
    let has_pixels = obj.get(tags::PIXEL_DATA).is_some()
        || obj.get(tags::FLOAT_PIXEL_DATA).is_some()
        || obj.get(tags::DOUBLE_FLOAT_PIXEL_DATA).is_some();
    let frames = text(obj, tags::NUMBER_OF_FRAMES)
        .and_then(|f| f.parse::<u32>().ok())
        .unwrap_or(u32::from(has_pixels));
    let hash_of = |tag| {
        text(obj, tag)
            .filter(|v| !v.is_empty())
            .map_or_else(String::new, |v| hash_id(&v))
    };
    ScanInfo {
        file: shown.to_owned(),
        sha256: loaded.sha256.clone(),
        transfer_syntax,
        transfer_syntax_name,
        part10: loaded.part10,
        sop_class,
        modality: text(obj, tags::MODALITY).unwrap_or_default(),
        manufacturer: text(obj, tags::MANUFACTURER).unwrap_or_default(),
        model_name: text(obj, tags::MANUFACTURER_MODEL_NAME).unwrap_or_default(),
        sex: text(obj, tags::PATIENT_SEX).unwrap_or_default(),
        age_band: age_band(&age).to_owned(),
        age,
        rows: uint(obj, tags::ROWS).unwrap_or(0),
        columns: uint(obj, tags::COLUMNS).unwrap_or(0),
        bits_allocated: uint16(obj, tags::BITS_ALLOCATED),
        bits_stored: uint16(obj, tags::BITS_STORED),
        pixel_representation: uint16(obj, tags::PIXEL_REPRESENTATION),
        photometric: text(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default(),
        frames,
        patient_hash: hash_of(tags::PATIENT_ID),
        study_hash: hash_of(tags::STUDY_INSTANCE_UID),
        deid: deid::audit(obj),
    }
}

fn uint16(obj: &open::Object, tag: dicom_core::Tag) -> u16 {
    fields::uint(obj, tag)
        .and_then(|v| u16::try_from(v).ok())
        .unwrap_or(0)
}
