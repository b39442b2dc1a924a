//! 3D preprocessing of CT and MR volumes: the steps of a series input's block, applied in
//! order to a volume in patient coordinates, giving the model's grid with its geometry.
//!
//! - `Clip` clamps to `[low, high]`; `Window` maps to `[0, 1]` as the 2D window does
//!   (PS3.3 C.11.2.1.2.1 LINEAR: `clamp((x - (c - 0.5)) / (w - 1) + 0.5, 0, 1)`, a step at
//!   `c - 0.5` for `w == 1`);
//! - `Resample` keeps the centre of voxel 0 where it is (the origin is unchanged) and
//!   gives each axis `max(1, round(size * spacing / new_spacing))` voxels (round half to
//!   even, as Python's `round` and numpy's in SimpleITK and nnU-Net recipes); output voxel
//!   `i` samples the source at index `i * new_spacing / spacing`, trilinear with the edges
//!   clamped or nearest (`floor(c + 0.5)`): `scipy.ndimage.map_coordinates` with
//!   `order=1` or `order=0` and `mode='nearest'`;
//! - `Orient` permutes and flips the axes so that x, y and z point to the code's
//!   directions, each output axis taking the input axis closest to it (nibabel's
//!   `io_orientation` + `ornt_transform`); the geometry moves with the voxels exactly;
//! - `CropOrPad` is MONAI's `ResizeWithPadOrCrop` (`CenterSpatialCrop`, then `SpatialPad`
//!   with `method='symmetric'`): per axis, a crop starting at `floor(n / 2) -
//!   floor(target / 2)` (one more than `floor((n - target) / 2)` when `n` is even and
//!   `target` odd), or a pad of `floor((target - n) / 2)` before; the origin follows;
//! - `ZScore` is `(x - mean) / std` over the whole volume (population std), zeros for a
//!   constant volume; `Normalize` is `(x - mean) / std` with given ones.
//!
//! [`labels_to`] is the inverse for a predicted label map: it carries a map on the model's
//! grid back onto the source series' grid through patient coordinates.

mod crop;
mod labels;
mod orient;
mod resample;

pub use labels::labels_to;
pub use orient::Orientation;

use super::Volume;

/// How `Resample` computes a value between source voxel centres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// The source voxel whose centre is nearest (`floor(c + 0.5)` per axis).
    Nearest,
    /// Trilinear, the edges clamped.
    Linear,
}

/// One step of a series input's preprocessing.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Clamp every value to `[low, high]`.
    Clip {
        /// The lower bound.
        low: f32,
        /// The upper bound, above `low`.
        high: f32,
    },
    /// A linear VOI window to `[0, 1]`.
    Window {
        /// The window's centre.
        center: f64,
        /// The window's width, at least 1.
        width: f64,
    },
    /// Resample to a spacing (mm, along x, y, z).
    Resample {
        /// The new distance between voxel centres along x, y and z, in mm.
        spacing: [f64; 3],
        /// How values between source voxel centres are computed.
        interpolation: Interpolation,
    },
    /// Reorient the axes to a declared orientation.
    Orient(Orientation),
    /// Crop or pad, centred, to a size (x, y, z).
    CropOrPad {
        /// The voxels along x, y and z.
        size: [usize; 3],
        /// The value of padded voxels.
        fill: f32,
    },
    /// `(x - mean) / std` with the volume's own mean and population std.
    ZScore,
    /// `(x - mean) / std` with fixed ones.
    Normalize {
        /// Subtracted first.
        mean: f32,
        /// Divided by; non-zero.
        std: f32,
    },
}

impl Step {
    /// The step's name as the manifest writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Clip { .. } => "clip",
            Step::Window { .. } => "window",
            Step::Resample { .. } => "resample",
            Step::Orient(_) => "orient",
            Step::CropOrPad { .. } => "crop or pad",
            Step::ZScore => "normalize zscore",
            Step::Normalize { .. } => "normalize",
        }
    }
}

/// Why a volume could not be preprocessed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PreprocessError {
    /// The voxel values do not fill the geometry.
    #[error(
        "the volume has {found} values where its geometry of {} x {} x {} voxels needs {expected}",
        .size[0], .size[1], .size[2]
    )]
    DataLength {
        /// The geometry's size (x, y, z).
        size: [usize; 3],
        /// The voxels the geometry has.
        expected: usize,
        /// The values there are.
        found: usize,
    },
    /// The input volume's geometry cannot be worked on.
    #[error("the volume's geometry is unusable: {reason}")]
    Geometry {
        /// What is wrong.
        reason: String,
    },
    /// A step's parameters (or the volume they meet) are invalid.
    #[error("preprocessing step {step} (`{name}`): {reason}")]
    Parameter {
        /// The step's position, from 1.
        step: usize,
        /// The step's name.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A step would make more voxels than allowed.
    #[error(
        "preprocessing step {step} (`{name}`) would make {} voxels, above the limit of {limit}",
        count(*.voxels)
    )]
    TooLarge {
        /// The step's position, from 1.
        step: usize,
        /// The step's name.
        name: &'static str,
        /// The voxels it would make.
        voxels: f64,
        /// The most voxels allowed.
        limit: usize,
    },
    /// An orientation code is not one.
    #[error("`{code}` is not an orientation code: {reason}")]
    Orientation {
        /// The code as written.
        code: String,
        /// What is wrong.
        reason: String,
    },
}

fn count(voxels: f64) -> String {
    if voxels < 1e15 {
        format!("{voxels:.0}")
    } else {
        format!("{voxels:.2e}")
    }
}

/// What went wrong in one step, before the step's place is known.
enum StepError {
    Parameter(String),
    TooLarge(f64),
}

/// Applies `steps` in order and returns the final volume with its geometry (the model's
/// grid). A step that would make more than `limit_voxels` voxels is refused before
/// anything is allocated.
pub fn apply(
    volume: Volume<f32>,
    steps: &[Step],
    limit_voxels: usize,
) -> Result<Volume<f32>, PreprocessError> {
    check(&volume)?;
    let mut volume = volume;
    for (index, step) in steps.iter().enumerate() {
        volume = one(volume, step, limit_voxels).map_err(|e| match e {
            StepError::Parameter(reason) => PreprocessError::Parameter {
                step: index + 1,
                name: step.name(),
                reason,
            },
            StepError::TooLarge(voxels) => PreprocessError::TooLarge {
                step: index + 1,
                name: step.name(),
                voxels,
                limit: limit_voxels,
            },
        })?;
    }
    Ok(volume)
}

fn one(mut volume: Volume<f32>, step: &Step, limit: usize) -> Result<Volume<f32>, StepError> {
    let bad = |reason: String| Err(StepError::Parameter(reason));
    match *step {
        Step::Clip { low, high } => {
            if !(low.is_finite() && high.is_finite() && low < high) {
                return bad(format!(
                    "cannot clip to {low} .. {high}: the lower bound first"
                ));
            }
            volume.data.iter_mut().for_each(|v| *v = v.clamp(low, high));
        }
        Step::Window { center, width } => {
            if !center.is_finite() || !width.is_finite() || width < 1.0 {
                return bad(format!(
                    "cannot window at center {center} width {width}: the width must be at least 1"
                ));
            }
            let lo = center - 0.5;
            if width == 1.0 {
                volume
                    .data
                    .iter_mut()
                    .for_each(|v| *v = if f64::from(*v) > lo { 1.0 } else { 0.0 });
            } else {
                let den = width - 1.0;
                volume.data.iter_mut().for_each(|v| {
                    *v = ((f64::from(*v) - lo) / den + 0.5).clamp(0.0, 1.0) as f32;
                });
            }
        }
        Step::Resample {
            spacing,
            interpolation,
        } => return resample::resample(volume, spacing, interpolation, limit),
        Step::Orient(orientation) => return Ok(orient::orient(volume, orientation)),
        Step::CropOrPad { size, fill } => return crop::crop_or_pad(volume, size, fill, limit),
        Step::ZScore => {
            let n = volume.data.len() as f64;
            let mean = volume.data.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = volume
                .data
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / n;
            if !mean.is_finite() || !var.is_finite() {
                return bad("the volume has non-finite values".to_owned());
            }
            let std = var.sqrt();
            if std == 0.0 {
                volume.data.iter_mut().for_each(|v| *v = 0.0);
            } else {
                volume
                    .data
                    .iter_mut()
                    .for_each(|v| *v = ((f64::from(*v) - mean) / std) as f32);
            }
        }
        Step::Normalize { mean, std } => {
            if !mean.is_finite() || !std.is_finite() || std == 0.0 {
                return bad(format!("cannot normalise with mean {mean} and std {std}"));
            }
            volume.data.iter_mut().for_each(|v| *v = (*v - mean) / std);
        }
    }
    Ok(volume)
}

/// The input must fill its geometry, with positive finite spacings and orthonormal axes
/// (what [`Geometry::index`] and the orientation's choice of axes assume).
fn check(volume: &Volume<f32>) -> Result<(), PreprocessError> {
    let g = &volume.geometry;
    let geometry = |reason: String| Err(PreprocessError::Geometry { reason });
    if g.size.contains(&0) {
        return geometry(format!("its size {:?} has an empty axis", g.size));
    }
    let expected = g.size.iter().try_fold(1usize, |a, &n| a.checked_mul(n));
    if expected != Some(volume.data.len()) {
        return Err(PreprocessError::DataLength {
            size: g.size,
            expected: expected.unwrap_or(usize::MAX),
            found: volume.data.len(),
        });
    }
    if !g.spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
        return geometry(format!("its spacing {:?} mm is not positive", g.spacing));
    }
    if !g.origin.iter().all(|c| c.is_finite()) {
        return geometry(format!("its origin {:?} is not finite", g.origin));
    }
    let dot = |a: &[f64; 3], b: &[f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let d = &g.direction;
    let unit = d.iter().all(|a| (dot(a, a) - 1.0).abs() < 1e-3);
    let orthogonal = [(0, 1), (0, 2), (1, 2)]
        .iter()
        .all(|&(a, b)| dot(&d[a], &d[b]).abs() < 1e-3);
    if !(unit && orthogonal) {
        return geometry(format!("its axes {d:?} are not orthonormal unit vectors"));
    }
    Ok(())
}

/// The voxels of a grid of `size`, refused above `limit` (computed in f64 so a hostile
/// size cannot overflow).
fn within(size: [f64; 3], limit: usize) -> Result<[usize; 3], StepError> {
    let voxels = size.iter().product::<f64>();
    if !voxels.is_finite() || voxels > limit as f64 {
        return Err(StepError::TooLarge(voxels));
    }
    // INVARIANT: each factor is at least 1 and the product at most `limit`, so each fits.
    Ok(size.map(|n| n as usize))
}
