//! CT and MR series: the headers of their files ([`read_headers`], [`read_folder`]), the
//! series they assemble into ([`assemble`]), the one a model reads ([`select`],
//! [`by_study`], [`select_inputs`]) and its voxels ([`load`]).
//!
//! A series is assembled as dicom-numpy's `combine_slices` and ITK's series reader do:
//! the slices of one SeriesInstanceUID, one per single-frame image or per frame of an
//! enhanced multi-frame object, ordered by their position along the slice normal
//! (`cross(row direction, column direction)` of ImageOrientationPatient). Whatever keeps
//! them from being one regular grid is a [`Problem`] naming the series and the numbers:
//! see [`assemble`] for the tolerances.

mod assemble;
mod header;
mod select;
mod voxels;

pub use assemble::{assemble, assemble_with, Tolerances};
pub use header::{read_folder, read_headers, MAX_FRAMES};
pub use select::{
    by_study, select, select_inputs, Candidate, InputError, SelectError, Selector, Study,
};
pub use voxels::load;

use super::Geometry;
use std::path::PathBuf;

/// What one slice's header says: one per single-frame image, one per frame of an
/// enhanced multi-frame object (its functional groups, per-frame overriding shared).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceHeader {
    /// The file.
    pub path: PathBuf,
    /// The frame in the file, from 0 (0 for a single-frame image).
    pub frame: u32,
    /// The number of frames in the file (1 for a single-frame image).
    pub frames: u32,
    /// SOPInstanceUID (empty when absent).
    pub sop_instance_uid: String,
    /// SeriesInstanceUID (empty when absent).
    pub series_uid: String,
    /// StudyInstanceUID (empty when absent).
    pub study_uid: String,
    /// PatientID (empty when absent).
    pub patient_id: String,
    /// Modality, e.g. `CT`.
    pub modality: String,
    /// SeriesDescription (empty when absent).
    pub description: String,
    /// ImageType's values, e.g. `ORIGINAL`, `PRIMARY`, `AXIAL`.
    pub image_type: Vec<String>,
    /// Rows (0 when absent).
    pub rows: u32,
    /// Columns (0 when absent).
    pub columns: u32,
    /// ImagePositionPatient: the centre of the first pixel (LPS, mm).
    pub position: Option<[f64; 3]>,
    /// ImageOrientationPatient: the row direction cosines, then the column ones.
    pub orientation: Option<[f64; 6]>,
    /// PixelSpacing: between rows (down a column), then between columns (mm).
    pub pixel_spacing: Option<[f64; 2]>,
    /// SliceThickness (mm).
    pub slice_thickness: Option<f64>,
    /// RescaleSlope (1 when absent, empty or zero).
    pub rescale_slope: f64,
    /// RescaleIntercept (0 when absent).
    pub rescale_intercept: f64,
}

/// One slice of an assembled series, in z order.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// The file.
    pub path: PathBuf,
    /// The frame in the file, from 0.
    pub frame: u32,
    /// SOPInstanceUID.
    pub sop_instance_uid: String,
    /// The modality LUT of this slice: value = stored * slope + intercept.
    pub rescale_slope: f64,
    /// See [`Slice::rescale_slope`].
    pub rescale_intercept: f64,
}

/// A series that is one regular grid of voxels.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// SeriesInstanceUID.
    pub uid: String,
    /// StudyInstanceUID (empty when absent).
    pub study_uid: String,
    /// PatientID (empty when absent).
    pub patient_id: String,
    /// Modality.
    pub modality: String,
    /// SeriesDescription.
    pub description: String,
    /// ImageType's values (of the first slice).
    pub image_type: Vec<String>,
    /// Where its voxels are: origin at the first slice's ImagePositionPatient.
    pub geometry: Geometry,
    /// The slices in z order (`geometry.size[2]` of them).
    pub slices: Vec<Slice>,
}

impl Series {
    /// The number of slices.
    pub fn len(&self) -> usize {
        self.slices.len()
    }

    /// Never true: a series has at least one slice.
    pub fn is_empty(&self) -> bool {
        self.slices.is_empty()
    }

    /// A single-slice series: a 2D image, its z spacing SliceThickness (1 mm without one).
    pub fn is_single_slice(&self) -> bool {
        self.slices.len() == 1
    }
}

/// A series that is not one regular grid, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("series `{series}`{}: {}", describe(.description), join(.problems))]
pub struct SeriesProblem {
    /// SeriesInstanceUID.
    pub series: String,
    /// SeriesDescription (of its first file).
    pub description: String,
    /// Every reason found (at least one).
    pub problems: Vec<Problem>,
}

fn describe(description: &str) -> String {
    if description.is_empty() {
        String::new()
    } else {
        format!(" (`{description}`)")
    }
}

fn join(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One reason a series is not a volume.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// The files carry no SeriesInstanceUID.
    #[error("{files} slice(s) have no SeriesInstanceUID, e.g. `{file}`")]
    NoSeriesUid {
        /// How many slices.
        files: usize,
        /// One of their files.
        file: String,
    },
    /// A slice lacks an attribute of the image plane (position, orientation, spacing).
    #[error("{count} slice(s) lack {attribute}, e.g. `{file}`{}", frame_suffix(*.frame))]
    MissingGeometry {
        /// ImagePositionPatient, ImageOrientationPatient or PixelSpacing.
        attribute: &'static str,
        /// How many slices lack it.
        count: usize,
        /// The first such file.
        file: String,
        /// Its frame, for a multi-frame object.
        frame: Option<u32>,
    },
    /// ImageOrientationPatient's two directions are not unit vectors at right angles.
    #[error(
        "ImageOrientationPatient {orientation:?} is not orthonormal (row length {row_norm:.6}, \
         column length {column_norm:.6}, dot product {dot:.6}; tolerance {tolerance})"
    )]
    NotOrthonormal {
        /// The orientation.
        orientation: [f64; 6],
        /// |row direction|.
        row_norm: f64,
        /// |column direction|.
        column_norm: f64,
        /// row . column.
        dot: f64,
        /// The tolerance on each.
        tolerance: f64,
    },
    /// Slices are oriented differently.
    #[error(
        "mixed orientations: `{file}` has ImageOrientationPatient {other:?}, the first slice \
         {first:?} (cosines differ by {difference:.6}, tolerance {tolerance})"
    )]
    MixedOrientation {
        /// The first slice's.
        first: [f64; 6],
        /// The differing one's.
        other: [f64; 6],
        /// Its file.
        file: String,
        /// The largest difference of a cosine.
        difference: f64,
        /// The tolerance.
        tolerance: f64,
    },
    /// Slices have different Rows x Columns.
    #[error("mixed image sizes: `{file}` is {columns} x {rows}, the first slice {first_columns} x {first_rows} (columns x rows)")]
    MixedSize {
        /// The first slice's rows.
        first_rows: u32,
        /// The first slice's columns.
        first_columns: u32,
        /// The differing one's rows.
        rows: u32,
        /// The differing one's columns.
        columns: u32,
        /// Its file.
        file: String,
    },
    /// Slices have different PixelSpacing.
    #[error("mixed pixel spacing: `{file}` has {other:?} mm, the first slice {first:?} mm (tolerance {tolerance} mm)")]
    MixedPixelSpacing {
        /// The first slice's.
        first: [f64; 2],
        /// The differing one's.
        other: [f64; 2],
        /// Its file.
        file: String,
        /// The tolerance.
        tolerance: f64,
    },
    /// PixelSpacing is not positive and finite.
    #[error("PixelSpacing {spacing:?} is not positive")]
    BadPixelSpacing {
        /// The value.
        spacing: [f64; 2],
    },
    /// Several slices at one position.
    #[error(
        "duplicate slices: `{first}` and `{second}` are both at {position:.3} mm along the \
         slice normal ({count} duplicate(s) in all; tolerance {tolerance} mm)"
    )]
    DuplicateSlices {
        /// Distance along the normal (mm).
        position: f64,
        /// One file (with `#frame` for a multi-frame object).
        first: String,
        /// The other.
        second: String,
        /// How many slices share a position with the slice before them.
        count: usize,
        /// The tolerance.
        tolerance: f64,
    },
    /// A gap of at least 1.5 steps: slices are missing.
    #[error(
        "missing slices: a gap of {gap:.3} mm between {from:.3} and {to:.3} mm along the \
         slice normal, {ratio:.2} times the median step of {median:.3} mm (about {missing} \
         slice(s) missing; {gaps} gap(s) in all)"
    )]
    MissingSlices {
        /// Where the gap starts (mm along the normal).
        from: f64,
        /// Where it ends.
        to: f64,
        /// Its size (mm).
        gap: f64,
        /// The median step (mm).
        median: f64,
        /// gap / median.
        ratio: f64,
        /// round(gap / median) - 1.
        missing: usize,
        /// How many gaps of at least 1.5 steps.
        gaps: usize,
    },
    /// Steps differ from the median by more than the tolerance (and less than 1.5 steps).
    #[error(
        "uneven spacing: a step of {step:.4} mm at {at:.3} mm along the slice normal, the \
         median step {median:.4} mm (steps from {min:.4} to {max:.4} mm; tolerance {tolerance:.4} mm)"
    )]
    UnevenSpacing {
        /// The step furthest from the median (mm).
        step: f64,
        /// Where it starts (mm along the normal).
        at: f64,
        /// The median step.
        median: f64,
        /// The smallest step.
        min: f64,
        /// The largest.
        max: f64,
        /// The tolerance applied.
        tolerance: f64,
    },
    /// The slice positions do not lie along the slice normal (gantry tilt, shear).
    #[error(
        "the slice positions are not along the slice normal (gantry tilt or shear): `{file}` \
         is {offset:.3} mm off the normal through the first slice, {angle:.2} degrees"
    )]
    Sheared {
        /// The slice furthest off.
        file: String,
        /// Its distance from the line (mm).
        offset: f64,
        /// The angle between the normal and the line through the positions (degrees).
        angle: f64,
    },
}

fn frame_suffix(frame: Option<u32>) -> String {
    frame.map_or_else(String::new, |f| format!(" frame {f}"))
}

/// Why a file's headers or a series' voxels could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeriesError {
    /// The file could not be read or parsed (its own message names it).
    #[error(transparent)]
    Scan(#[from] crate::dicom::ScanError),
    /// A folder could not be listed.
    #[error("cannot list `{folder}`: {reason}")]
    Folder {
        /// The folder.
        folder: String,
        /// The reason.
        reason: String,
    },
    /// The file's attributes do not make images.
    #[error("`{file}`: {reason}")]
    Header {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A frame could not be decoded or is not what the series needs.
    #[error("`{file}` frame {frame}: {reason}")]
    Frame {
        /// The file.
        file: String,
        /// The frame.
        frame: u32,
        /// What is wrong.
        reason: String,
    },
    /// The series holds more voxels than a run may read.
    #[error(
        "series `{series}` holds {voxels} voxels ({size:?}), over the limit of {limit} on the \
         pixels read (raise it with `--max-pixels`)"
    )]
    TooLarge {
        /// SeriesInstanceUID.
        series: String,
        /// Its voxels.
        voxels: u64,
        /// Its size (x, y, z).
        size: [usize; 3],
        /// The limit.
        limit: u64,
    },
}
