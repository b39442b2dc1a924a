//! The headers of a series' files: one [`SliceHeader`] per single-frame image, one per
//! frame of an enhanced multi-frame object (PS3.3 C.7.6.16: each frame's functional
//! groups, per-frame overriding shared, then the top-level attributes).
//!
//! Files are opened the way every scan is ([`crate::dicom`]): a regular file within
//! `max_scan_bytes`, its element stream checked before dicom-rs parses it. The pixel data
//! is parsed with it but never decoded here.

use super::{SeriesError, SliceHeader};
use crate::budget::ReadLimits;
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use std::path::{Path, PathBuf};

/// The slice headers of one file: none for a file without pixel data (a structured
/// report, a DICOMDIR), one for a single-frame image, one per frame of a multi-frame
/// object with per-frame functional groups.
pub fn read_headers(path: &Path, limits: &ReadLimits) -> Result<Vec<SliceHeader>, SeriesError> {
    let shown = path.display().to_string();
    let loaded = crate::dicom::load_object(path, &shown, &limits.scan())?;
    headers_of(&loaded.obj, path, &shown, limits)
}

/// The slice headers of every file under `folder` (recursively, in path order, hidden
/// files and folders skipped), and the files that could not be read, each its error.
pub fn read_folder(
    folder: &Path,
    limits: &ReadLimits,
) -> Result<(Vec<SliceHeader>, Vec<SeriesError>), SeriesError> {
    let mut files = Vec::new();
    list(folder, &mut files, 0)?;
    files.sort();
    let mut headers = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match read_headers(&file, limits) {
            Ok(h) => headers.extend(h),
            Err(e) => errors.push(e),
        }
    }
    Ok((headers, errors))
}

/// The most frames of one multi-frame object: each becomes a header in memory. Enhanced
/// CT and MR objects hold hundreds to a few thousand (a 4D MR, some tens of thousands).
pub const MAX_FRAMES: u32 = 1 << 16;

/// Folders nested deeper than this are not listed (a loop of bind mounts, a hostile tree).
const MAX_FOLDER_DEPTH: usize = 32;

fn list(folder: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), SeriesError> {
    let fail = |e: std::io::Error| SeriesError::Folder {
        folder: folder.display().to_string(),
        reason: e.to_string(),
    };
    if depth > MAX_FOLDER_DEPTH {
        return Err(SeriesError::Folder {
            folder: folder.display().to_string(),
            reason: format!("nested more than {MAX_FOLDER_DEPTH} folders deep"),
        });
    }
    for entry in std::fs::read_dir(folder).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // Symbolic links are not followed: the file type is the link's own.
        let kind = entry.file_type().map_err(fail)?;
        if kind.is_dir() {
            list(&entry.path(), out, depth + 1)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn headers_of(
    obj: &InMemDicomObject,
    path: &Path,
    shown: &str,
    limits: &ReadLimits,
) -> Result<Vec<SliceHeader>, SeriesError> {
    let bad = |reason: String| SeriesError::Header {
        file: shown.to_owned(),
        reason,
    };
    if obj.get(tags::PIXEL_DATA).is_none()
        && obj.get(tags::FLOAT_PIXEL_DATA).is_none()
        && obj.get(tags::DOUBLE_FLOAT_PIXEL_DATA).is_none()
    {
        return Ok(Vec::new());
    }
    let rows = uint(obj, tags::ROWS).unwrap_or(0);
    let columns = uint(obj, tags::COLUMNS).unwrap_or(0);
    let frames = match text(obj, tags::NUMBER_OF_FRAMES) {
        None => 1,
        Some(n) => n
            .parse::<u32>()
            .map_err(|_| bad(format!("NumberOfFrames `{n}` is not a number")))?
            .max(1),
    };
    if frames > MAX_FRAMES {
        return Err(bad(format!(
            "NumberOfFrames {frames} is over the {MAX_FRAMES} frames a series object may hold"
        )));
    }
    let pixels = u64::from(frames)
        .saturating_mul(u64::from(rows))
        .saturating_mul(u64::from(columns));
    if pixels > limits.max_pixels {
        return Err(bad(format!(
            "the object declares {pixels} pixels ({frames} frame(s) of {columns} x {rows}), \
             over the limit of {} on the pixels of a scan (raise it with `--max-pixels`)",
            limits.max_pixels
        )));
    }
    let shared = first_item(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let per_frame = obj
        .get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .and_then(|e| e.value().items());
    if frames > 1 && per_frame.is_none() {
        return Err(bad(format!(
            "a multi-frame object of {frames} frames without per-frame functional groups \
             (PerFrameFunctionalGroupsSequence) gives no position per frame"
        )));
    }
    if let Some(items) = per_frame {
        if items.len() != frames as usize {
            return Err(bad(format!(
                "PerFrameFunctionalGroupsSequence has {} item(s) for {frames} frame(s)",
                items.len()
            )));
        }
    }
    let common = SliceHeader {
        path: path.to_path_buf(),
        frame: 0,
        frames,
        sop_instance_uid: text(obj, tags::SOP_INSTANCE_UID).unwrap_or_default(),
        series_uid: text(obj, tags::SERIES_INSTANCE_UID).unwrap_or_default(),
        study_uid: text(obj, tags::STUDY_INSTANCE_UID).unwrap_or_default(),
        patient_id: text(obj, tags::PATIENT_ID).unwrap_or_default(),
        modality: text(obj, tags::MODALITY).unwrap_or_default(),
        description: text(obj, tags::SERIES_DESCRIPTION).unwrap_or_default(),
        image_type: multi_text(obj, tags::IMAGE_TYPE),
        rows,
        columns,
        position: None,
        orientation: None,
        pixel_spacing: None,
        slice_thickness: None,
        rescale_slope: 1.0,
        rescale_intercept: 0.0,
    };
    let mut out = Vec::with_capacity(frames as usize);
    for frame in 0..frames {
        let groups = Groups {
            frame: per_frame.and_then(|items| items.get(frame as usize)),
            shared,
            top: obj,
        };
        let slope = groups
            .number(
                tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
                tags::RESCALE_SLOPE,
            )
            .filter(|s| *s != 0.0)
            .unwrap_or(1.0);
        let intercept = groups
            .number(
                tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
                tags::RESCALE_INTERCEPT,
            )
            .unwrap_or(0.0);
        out.push(SliceHeader {
            frame,
            position: groups
                .numbers::<3>(tags::PLANE_POSITION_SEQUENCE, tags::IMAGE_POSITION_PATIENT),
            orientation: groups.numbers::<6>(
                tags::PLANE_ORIENTATION_SEQUENCE,
                tags::IMAGE_ORIENTATION_PATIENT,
            ),
            pixel_spacing: groups.numbers::<2>(tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING),
            slice_thickness: groups.number(tags::PIXEL_MEASURES_SEQUENCE, tags::SLICE_THICKNESS),
            rescale_slope: slope,
            rescale_intercept: intercept,
            ..common.clone()
        });
    }
    Ok(out)
}

/// Where one frame's attribute is found: its per-frame functional group, the shared
/// functional groups, then the top level of the object.
struct Groups<'a> {
    frame: Option<&'a InMemDicomObject>,
    shared: Option<&'a InMemDicomObject>,
    top: &'a InMemDicomObject,
}

impl Groups<'_> {
    /// The values of `attribute` of functional group `macro_seq`, all finite, exactly `N`.
    fn numbers<const N: usize>(&self, macro_seq: Tag, attribute: Tag) -> Option<[f64; N]> {
        self.find(macro_seq, attribute, |obj| {
            let v = numbers(obj, attribute)?;
            <[f64; N]>::try_from(v.as_slice()).ok()
        })
    }

    fn number(&self, macro_seq: Tag, attribute: Tag) -> Option<f64> {
        self.find(macro_seq, attribute, |obj| {
            numbers(obj, attribute)?.first().copied()
        })
    }

    fn find<T>(
        &self,
        macro_seq: Tag,
        attribute: Tag,
        read: impl Fn(&InMemDicomObject) -> Option<T>,
    ) -> Option<T> {
        for group in [self.frame, self.shared].into_iter().flatten() {
            if let Some(item) = first_item(group, macro_seq) {
                if item.get(attribute).is_some() {
                    return read(item);
                }
            }
        }
        read(self.top)
    }
}

fn first_item(obj: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    obj.get(tag)?.value().items()?.first()
}

/// Every value of a numeric attribute (DS, IS, FD, ...), `None` when absent, empty,
/// unreadable or not finite.
fn numbers(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let v = obj.get(tag)?.to_multi_float64().ok()?;
    (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
}

fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    Some(trim(&s).to_owned())
}

fn multi_text(obj: &InMemDicomObject, tag: Tag) -> Vec<String> {
    text(obj, tag)
        .map(|s| {
            s.split('\\')
                .map(|v| trim(v).to_owned())
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c == ' ' || c == '\0')
}

fn uint(obj: &InMemDicomObject, tag: Tag) -> Option<u32> {
    obj.get(tag)?.to_int::<u32>().ok()
}
