//! Reference segmentation masks: a NIfTI-1/NIfTI-2 label map ([`nifti`]) or a DICOM
//! Segmentation ([`seg`]), read into one boolean volume per structure on the geometry of
//! the source series the model read.
//!
//! The mask must lie on the source series' voxel grid: same size, spacing (to 1e-3,
//! relative), origin (1e-2 mm) and axis directions (1e-4). A NIfTI grid whose axes are
//! the source's permuted or reversed (dcm2niix flips the rows, for example) is the same
//! set of voxel centres and is read by re-indexing, never by interpolation; anything else
//! is a [`MaskError::Geometry`] naming what differs and by how much.
//!
//! Hostile files are read in bounded memory: at most `limit_bytes` are read from disk,
//! a gzip stream inflates to at most `limit_bytes`, and a header's dimensions must be
//! backed by the bytes that follow it before anything is allocated for them.

mod nifti;
mod seg;

pub use nifti::read_nifti;

use super::{Geometry, Volume};
use std::path::{Path, PathBuf};

/// A structure the reference masks are read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Structure<'a> {
    /// Its name in the manifest; a DICOM SEG segment matches it by SegmentLabel
    /// (case-insensitive), else by the CodeMeaning of SegmentedPropertyTypeCodeSequence.
    pub name: &'a str,
    /// Its value in a NIfTI label map.
    pub label: u16,
}

/// Why a reference mask cannot be read onto the source series.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MaskError {
    /// The file cannot be read (missing, not a regular file, over the size limit).
    #[error("`{}`: cannot read the reference mask: {reason}", .mask.display())]
    Read {
        /// The mask file.
        mask: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A NIfTI file that is malformed or holds no usable label map.
    #[error("`{}`: not a usable NIfTI label map: {reason}", .mask.display())]
    Nifti {
        /// The mask file.
        mask: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A DICOM file that is not a usable Segmentation.
    #[error("`{}`: not a usable DICOM SEG: {reason}", .mask.display())]
    Seg {
        /// The mask file.
        mask: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The mask is not on the source series' voxel grid.
    #[error(
        "`{}`: the mask's {what} {} differs from the source series' {}",
        .mask.display(), numbers(.found), numbers(.expected)
    )]
    Geometry {
        /// The mask file.
        mask: PathBuf,
        /// `size`, `spacing`, `origin` or `orientation`.
        what: &'static str,
        /// The source series' values: size x, y, z; spacing x, y, z in mm; origin in LPS
        /// mm; orientation as the x, y and z unit vectors in LPS. A DICOM SEG is compared
        /// per frame: size and spacing x, y only, orientation the x and y vectors, origin
        /// the position of the frame's slice.
        expected: Vec<f64>,
        /// The mask's values, in the same order.
        found: Vec<f64>,
    },
    /// A DICOM SEG without a segment for a structure.
    #[error(
        "`{}`: no segment matches structure `{structure}` by SegmentLabel or CodeMeaning; \
         the file's segments: {}",
        .mask.display(), segment_list(.segments)
    )]
    MissingStructure {
        /// The mask file.
        mask: PathBuf,
        /// The structure's name.
        structure: String,
        /// The segments the file has, as `number: label (code meaning)`.
        segments: Vec<String>,
    },
    /// A DICOM SEG whose ReferencedSeriesSequence names no image of the source series.
    #[error(
        "`{}`: the DICOM SEG does not reference the source series \
         (its ReferencedSeriesSequence names {})",
        .mask.display(), series_list(.referenced)
    )]
    WrongSeries {
        /// The mask file.
        mask: PathBuf,
        /// The SeriesInstanceUIDs it references.
        referenced: Vec<String>,
    },
    /// A DICOM SEG frame that lies on no slice of the source series.
    #[error("`{}`: frame {frame} matches no slice of the source series: {reason}", .mask.display())]
    UnmatchedFrame {
        /// The mask file.
        mask: PathBuf,
        /// The frame's number (1-based, as DICOM counts frames).
        frame: usize,
        /// Its reference or position, and why it matches none.
        reason: String,
    },
}

fn numbers(v: &[f64]) -> String {
    let shown: Vec<String> = v
        .iter()
        .map(|x| {
            let s = format!("{x:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" {
                "0".to_owned()
            } else {
                s.to_owned()
            }
        })
        .collect();
    format!("[{}]", shown.join(", "))
}

fn segment_list(s: &[String]) -> String {
    if s.is_empty() {
        "none".to_owned()
    } else {
        s.join(", ")
    }
}

fn series_list(s: &[String]) -> String {
    if s.is_empty() {
        "no series".to_owned()
    } else {
        s.iter()
            .map(|u| format!("`{u}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The tolerances of the geometry match.
const SPACING_RELATIVE: f64 = 1e-3;
const ORIGIN_MM: f64 = 1e-2;
const DIRECTION: f64 = 1e-4;

/// Reads the reference mask at `path` (`.nii`, `.nii.gz`, else a DICOM SEG) into one
/// volume per structure, in the order of `structures`, each on `source` (the geometry
/// of the series the model read, whose SOPInstanceUIDs in slice order are
/// `source_slices`; empty when unknown, then SEG frames are placed by position alone).
/// At most `limit_bytes` are read from the file, or inflated from a `.nii.gz`.
///
/// A NIfTI's structures are its voxels of value [`Structure::label`]. A DICOM SEG must
/// reference the source series: some image its ReferencedSeriesSequence names is one of
/// `source_slices` (checked when they are given), else [`MaskError::WrongSeries`].
pub fn read_reference(
    path: &Path,
    structures: &[Structure],
    source: &Geometry,
    source_slices: &[String],
    limit_bytes: u64,
) -> Result<Vec<Volume<bool>>, MaskError> {
    if is_nifti(path) {
        let labels = read_nifti(path, limit_bytes)?;
        let labels = onto_source(path, &labels, source)?;
        Ok(structures
            .iter()
            .map(|s| Volume {
                geometry: labels.geometry.clone(),
                data: labels.data.iter().map(|&v| v == s.label).collect(),
            })
            .collect())
    } else {
        seg::read_seg(path, structures, source, source_slices, limit_bytes)
    }
}

/// Whether `path` names a NIfTI file (`.nii` or `.nii.gz`, any case).
pub fn is_nifti(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".nii") || name.ends_with(".nii.gz")
}

/// How one axis of a mask maps onto the source: the source axis it lies along, and
/// whether it runs the other way.
#[derive(Debug, Clone, Copy)]
struct AxisMap {
    source_axis: usize,
    reversed: bool,
}

fn close_direction(a: &[f64; 3], b: &[f64; 3], sign: f64) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (x - sign * y).abs() <= DIRECTION)
}

fn flat(d: &[[f64; 3]; 3]) -> Vec<f64> {
    d.iter().flatten().copied().collect()
}

/// `mask` re-indexed onto `source`, when its voxel centres are the source's (its axes
/// the source's, possibly permuted and reversed); otherwise the first difference found,
/// in the order orientation, size, spacing, origin.
pub fn onto_source<T: Copy>(
    path: &Path,
    mask: &Volume<T>,
    source: &Geometry,
) -> Result<Volume<T>, MaskError> {
    let m = &mask.geometry;
    let mismatch = |what, expected: Vec<f64>, found: Vec<f64>| MaskError::Geometry {
        mask: path.to_owned(),
        what,
        expected,
        found,
    };
    let mut maps = [None::<AxisMap>; 3];
    for (a, dir) in m.direction.iter().enumerate() {
        maps[a] = source.direction.iter().enumerate().find_map(|(b, sdir)| {
            [(1.0, false), (-1.0, true)]
                .into_iter()
                .find(|(sign, _)| close_direction(dir, sdir, *sign))
                .map(|(_, reversed)| AxisMap {
                    source_axis: b,
                    reversed,
                })
        });
    }
    let [Some(m0), Some(m1), Some(m2)] = maps else {
        return Err(mismatch(
            "orientation",
            flat(&source.direction),
            flat(&m.direction),
        ));
    };
    let maps = [m0, m1, m2];
    let mut seen = [false; 3];
    for map in &maps {
        seen[map.source_axis] = true;
    }
    if !seen.iter().all(|&s| s) {
        return Err(mismatch(
            "orientation",
            flat(&source.direction),
            flat(&m.direction),
        ));
    }
    // The mask's size and spacing in the source's axis order.
    let mut size = [0usize; 3];
    let mut spacing = [0f64; 3];
    for (a, map) in maps.iter().enumerate() {
        let b = map.source_axis;
        size[b] = m.size[a];
        spacing[b] = m.spacing[a];
    }
    if size != source.size {
        let as_f64 = |s: [usize; 3]| s.iter().map(|&n| n as f64).collect();
        return Err(mismatch("size", as_f64(source.size), as_f64(size)));
    }
    if spacing
        .iter()
        .zip(source.spacing)
        .any(|(f, e)| (f - e).abs() > SPACING_RELATIVE * e.abs())
    {
        return Err(mismatch(
            "spacing",
            source.spacing.to_vec(),
            spacing.to_vec(),
        ));
    }
    // The mask voxel that sits on source voxel (0, 0, 0).
    let mut corner = [0f64; 3];
    for (a, map) in maps.iter().enumerate() {
        if map.reversed {
            corner[a] = m.size[a].saturating_sub(1) as f64;
        }
    }
    let origin = m.world(corner[0], corner[1], corner[2]);
    if origin
        .iter()
        .zip(source.origin)
        .any(|(f, e)| (f - e).abs() > ORIGIN_MM)
    {
        return Err(mismatch("origin", source.origin.to_vec(), origin.to_vec()));
    }
    let data = if maps
        .iter()
        .enumerate()
        .all(|(a, map)| map.source_axis == a && !map.reversed)
    {
        mask.data.clone()
    } else {
        reindex(mask, &maps)
    };
    Ok(Volume {
        geometry: source.clone(),
        data,
    })
}

/// The values of `mask` in the source's index order, `maps` saying where each mask axis
/// goes. INVARIANT: `maps` is a permutation and the sizes agree (checked by the caller).
fn reindex<T: Copy>(mask: &Volume<T>, maps: &[AxisMap; 3]) -> Vec<T> {
    let [nx, ny, nz] = mask.geometry.size;
    let mut src_size = [0usize; 3];
    for (a, map) in maps.iter().enumerate() {
        src_size[map.source_axis] = mask.geometry.size[a];
    }
    let mut out = mask.data.clone();
    let mut idx = 0usize;
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let mut s = [0usize; 3];
                for (a, (map, v)) in maps.iter().zip([i, j, k]).enumerate() {
                    s[map.source_axis] = if map.reversed {
                        mask.geometry.size[a] - 1 - v
                    } else {
                        v
                    };
                }
                let at = s[0] + src_size[0] * (s[1] + src_size[1] * s[2]);
                if let (Some(slot), Some(&v)) = (out.get_mut(at), mask.data.get(idx)) {
                    *slot = v;
                }
                idx += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry() -> Geometry {
        Geometry {
            size: [3, 2, 2],
            spacing: [0.5, 0.75, 2.0],
            origin: [10.0, -4.0, 30.0],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    #[test]
    fn a_reversed_and_permuted_grid_is_re_indexed() {
        let source = geometry();
        let data: Vec<u16> = (0..12).collect();
        let src = Volume {
            geometry: source.clone(),
            data: data.clone(),
        };
        // The mask's x runs along the source's -y, its y along the source's x.
        let mut g = source.clone();
        g.size = [2, 3, 2];
        g.spacing = [0.75, 0.5, 2.0];
        g.direction = [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        g.origin = source.world(0.0, 1.0, 0.0);
        let mut mask = Volume {
            geometry: g,
            data: vec![0; 12],
        };
        for k in 0..2 {
            for j in 0..3 {
                for i in 0..2 {
                    // Source voxel at the same centre: x = j, y = 1 - i.
                    mask.data[i + 2 * (j + 3 * k)] = src.at(j, 1 - i, k);
                }
            }
        }
        let back = onto_source(Path::new("m.nii"), &mask, &source);
        assert_eq!(back.map(|v| v.data), Ok(data));
    }

    #[test]
    fn an_origin_off_by_a_millimetre_is_named() {
        let source = geometry();
        let mut g = source.clone();
        g.origin[2] += 1.0;
        let mask = Volume {
            geometry: g,
            data: vec![0u16; 12],
        };
        let err = onto_source(Path::new("m.nii"), &mask, &source);
        match err {
            Err(MaskError::Geometry { what, found, .. }) => {
                assert_eq!(what, "origin");
                assert_eq!(found, vec![10.0, -4.0, 31.0]);
            }
            other => panic!("{other:?}"),
        }
    }
}
