//! Segmentation metrics per case and structure, and their summaries over cases.
//!
//! Per case, a reference and a predicted boolean mask on one [`Geometry`]: Dice, IoU,
//! normalised surface distance (surface Dice) at a tolerance in mm, HD95, average
//! symmetric surface distance (mm), the volumes (mL) and their absolute and relative
//! difference ([`compare`]). The boundary metrics are MONAI's (1.6:
//! `compute_hausdorff_distance(percentile=95)`, `compute_average_surface_distance(
//! symmetric=True)`, `compute_surface_dice(class_thresholds=[tol])`, all with `spacing`
//! and without sub-voxel surfaces), computed in f64 where MONAI rounds distances to f32:
//! - the surface of a mask is its voxels with a face neighbour outside the mask or the
//!   volume ([`super::distance`]); the distance of a surface voxel of one mask is the
//!   Euclidean distance in mm to the nearest surface voxel of the other (an exact
//!   distance transform, never all pairs);
//! - HD95 = max(p95(pred → ref), p95(ref → pred)), each directed 95th percentile by
//!   linear interpolation (`torch.quantile`, numpy's default); note that DeepMind's
//!   `surface-distance` takes one percentile of the pooled, area-weighted distances
//!   instead;
//! - ASSD = the mean of both directions' distances pooled (sum / (|S_p| + |S_r|));
//! - NSD = (#{pred → ref ≤ τ} + #{ref → pred ≤ τ}) / (|S_p| + |S_r|), surface voxels
//!   counted (not weighted by area).
//!
//! Empty masks, as Metrics Reloaded (Maier-Hein et al., Nature Methods 21:195-212, 2024;
//! its reference code `MetricsReloaded/metrics/pairwise_measures.py` and
//! `processes/overall_process.py`) treats them and the shared design of issue 14 fixes
//! them: Metrics Reloaded scores a case where both masks are empty as a correct
//! solution (Dice = NSD = 1, distances 0) and says a case where only one is empty has
//! undefined distances that "need to be set to the worse case in aggregation" (its
//! `WORSE` table: Dice, IoU, NSD 0; HD, HD95, ASSD a maximum of 1000). Here no value is
//! ever NaN and no case is silently dropped, and the choices are typed by
//! [`Emptiness`]:
//! - both empty: a true negative for the structure, counted (`empty_both`), every
//!   overlap and boundary metric `None` (left out of the summaries, not scored 1, so a
//!   set of empty cases cannot lift a mean Dice);
//! - reference empty, prediction not: Dice = IoU = NSD = 0 (Metrics Reloaded's worst
//!   value), HD95 and ASSD `None` (no distance to an absent surface; an arbitrary
//!   1000 mm would dominate any mean), counted (`empty_reference`);
//! - prediction empty, reference not: the same, counted (`empty_prediction`).
//!
//! Summaries over cases: the mean with a patient-clustered percentile bootstrap 95%
//! interval ([`super::cluster`]'s resampling: its seed and draws, the clusters present
//! in the values), the median, quartiles (linear interpolation), min, max and n.

use super::bootstrap::percentile;
use super::distance::{check_grid, surface_unchecked, transform, DistanceError};
use crate::volume::{Geometry, Volume};
use clic_compiler::plan::Value;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod summary;

pub(crate) use summary::{per_cluster, resampled};
pub use summary::{summarize, summarize_structure, StructureSummary, Summary, SummaryError};

/// A 95% interval and how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ci95 {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// The method, e.g. `cluster-bootstrap-percentile`, `t`.
    pub method: String,
}

impl Ci95 {
    /// The interval as the clic `Interval` record {`low`, `high`, `method`}.
    pub fn fact_value(&self) -> Value {
        record([
            ("low", Value::Number(self.low)),
            ("high", Value::Number(self.high)),
            ("method", Value::String(self.method.clone())),
        ])
    }
}

/// A clic record of named values.
pub(crate) fn record<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Record(named(fields))
}

pub(super) fn named<const N: usize>(fields: [(&str, Value); N]) -> BTreeMap<String, Value> {
    fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Which of a case's two masks are empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emptiness {
    /// Both masks have voxels: every metric is defined.
    Neither,
    /// Neither mask has a voxel: a true negative; no overlap or boundary metric.
    Both,
    /// The reference is empty, the prediction is not: overlaps 0, no distances.
    Reference,
    /// The prediction is empty, the reference is not: overlaps 0, no distances.
    Prediction,
}

/// Every metric of one structure in one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseMetrics {
    /// Which masks are empty; says why a metric below is `None`.
    pub emptiness: Emptiness,
    /// 2|R ∩ P| / (|R| + |P|); `None` when both are empty.
    pub dice: Option<f64>,
    /// |R ∩ P| / |R ∪ P|; `None` when both are empty.
    pub iou: Option<f64>,
    /// Surface Dice at [`CaseMetrics::nsd_tolerance_mm`]; `None` when both are empty.
    pub nsd: Option<f64>,
    /// The tolerance of the NSD, mm.
    pub nsd_tolerance_mm: f64,
    /// Symmetric 95th percentile Hausdorff distance, mm; `None` unless both masks have
    /// voxels.
    pub hd95: Option<f64>,
    /// Average symmetric surface distance, mm; `None` unless both masks have voxels.
    pub assd: Option<f64>,
    /// Reference volume, mL.
    pub reference_ml: f64,
    /// Predicted volume, mL.
    pub predicted_ml: f64,
    /// Predicted − reference volume, mL (signed).
    pub volume_difference_ml: f64,
    /// |predicted − reference|, mL.
    pub abs_volume_difference_ml: f64,
    /// |predicted − reference| / reference (a fraction); `None` when the reference is
    /// empty.
    pub rvd: Option<f64>,
    /// Reference voxels.
    pub reference_voxels: u64,
    /// Predicted voxels.
    pub predicted_voxels: u64,
    /// Voxels in both.
    pub intersection_voxels: u64,
    /// Surface voxels of the reference.
    pub reference_surface_voxels: u64,
    /// Surface voxels of the prediction.
    pub predicted_surface_voxels: u64,
}

/// Why a comparison refused its masks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SegmentationError {
    /// The two masks are not on one geometry.
    #[error("the predicted mask's geometry ({prediction}) is not the reference's ({reference})")]
    GeometryMismatch {
        /// The reference's size and spacing, as text.
        reference: String,
        /// The prediction's size and spacing, as text.
        prediction: String,
    },
    /// A mask does not fit the grid, or the grid is unusable.
    #[error("{mask} mask: {source}")]
    Grid {
        /// `reference` or `prediction`.
        mask: &'static str,
        /// What is wrong.
        source: DistanceError,
    },
    /// The NSD tolerance is negative or not finite.
    #[error("the surface Dice tolerance {0} mm is not a finite number >= 0")]
    BadTolerance(f64),
}

/// Both directions' surface distances of a case, mm.
#[derive(Debug, Clone, PartialEq)]
pub struct SurfaceDistances {
    /// For each surface voxel of the prediction, the distance to the reference surface.
    pub prediction_to_reference: Vec<f64>,
    /// For each surface voxel of the reference, the distance to the predicted surface.
    pub reference_to_prediction: Vec<f64>,
}

/// [`compare_masks`] of two volumes, which must have the same size and spacing (the
/// reference readers check origin and orientation against the source series).
pub fn compare(
    reference: &Volume<bool>,
    prediction: &Volume<bool>,
    nsd_tolerance_mm: f64,
) -> Result<CaseMetrics, SegmentationError> {
    let (r, p) = (&reference.geometry, &prediction.geometry);
    if r.size != p.size || r.spacing != p.spacing {
        return Err(SegmentationError::GeometryMismatch {
            reference: format!("size {:?}, spacing {:?} mm", r.size, r.spacing),
            prediction: format!("size {:?}, spacing {:?} mm", p.size, p.spacing),
        });
    }
    compare_masks(r, &reference.data, &prediction.data, nsd_tolerance_mm)
}

/// Every metric of a reference and a predicted mask on `geometry` (indexed as
/// [`Volume`]), the NSD at `nsd_tolerance_mm`.
pub fn compare_masks(
    geometry: &Geometry,
    reference: &[bool],
    prediction: &[bool],
    nsd_tolerance_mm: f64,
) -> Result<CaseMetrics, SegmentationError> {
    if !(nsd_tolerance_mm.is_finite() && nsd_tolerance_mm >= 0.0) {
        return Err(SegmentationError::BadTolerance(nsd_tolerance_mm));
    }
    check_masks(geometry, reference, prediction)?;
    let (nr, np, ni) = counts(reference, prediction);
    let voxel_ml = geometry.voxel_volume() / 1000.0;
    let reference_ml = nr as f64 * voxel_ml;
    let predicted_ml = np as f64 * voxel_ml;
    let emptiness = match (nr == 0, np == 0) {
        (false, false) => Emptiness::Neither,
        (true, true) => Emptiness::Both,
        (true, false) => Emptiness::Reference,
        (false, true) => Emptiness::Prediction,
    };
    let overlap = |v: f64| (emptiness != Emptiness::Both).then_some(v);
    let union = nr + np - ni;
    let distances = if emptiness == Emptiness::Neither {
        surface_distances_checked(geometry, reference, prediction)
    } else {
        None
    };
    let (mut nsd, mut hd95, mut assd) = (overlap(0.0), None, None);
    let (mut rs, mut ps) = (0, 0);
    if let Some(d) = &distances {
        rs = d.reference_to_prediction.len() as u64;
        ps = d.prediction_to_reference.len() as u64;
        let all = d
            .prediction_to_reference
            .iter()
            .chain(&d.reference_to_prediction);
        let within = all.clone().filter(|&&v| v <= nsd_tolerance_mm).count();
        nsd = Some(within as f64 / (rs + ps) as f64);
        assd = Some(all.sum::<f64>() / (rs + ps) as f64);
        hd95 = Some(
            directed_p95(&d.prediction_to_reference).max(directed_p95(&d.reference_to_prediction)),
        );
    } else if emptiness != Emptiness::Both {
        // One mask is empty: its surface has no voxel, the other's all count.
        let (sr, sp) = surface_counts(geometry, reference, prediction);
        rs = sr;
        ps = sp;
    }
    let difference = predicted_ml - reference_ml;
    Ok(CaseMetrics {
        emptiness,
        dice: overlap(if nr + np == 0 {
            0.0
        } else {
            2.0 * ni as f64 / (nr + np) as f64
        }),
        iou: overlap(if union == 0 {
            0.0
        } else {
            ni as f64 / union as f64
        }),
        nsd,
        nsd_tolerance_mm,
        hd95,
        assd,
        reference_ml,
        predicted_ml,
        volume_difference_ml: difference,
        abs_volume_difference_ml: difference.abs(),
        rvd: (nr > 0).then(|| (np as f64 - nr as f64).abs() / nr as f64),
        reference_voxels: nr,
        predicted_voxels: np,
        intersection_voxels: ni,
        reference_surface_voxels: rs,
        predicted_surface_voxels: ps,
    })
}

/// Both directions' surface distances of two masks on `geometry`; `None` when either
/// mask is empty.
pub fn surface_distances(
    geometry: &Geometry,
    reference: &[bool],
    prediction: &[bool],
) -> Result<Option<SurfaceDistances>, SegmentationError> {
    check_masks(geometry, reference, prediction)?;
    Ok(surface_distances_checked(geometry, reference, prediction))
}

fn check_masks(
    geometry: &Geometry,
    reference: &[bool],
    prediction: &[bool],
) -> Result<(), SegmentationError> {
    for (mask, m) in [("reference", reference), ("prediction", prediction)] {
        check_grid(m.len(), geometry.size, geometry.spacing)
            .map_err(|source| SegmentationError::Grid { mask, source })?;
    }
    Ok(())
}

/// |R|, |P|, |R ∩ P|.
fn counts(reference: &[bool], prediction: &[bool]) -> (u64, u64, u64) {
    reference
        .par_chunks(1 << 16)
        .zip(prediction.par_chunks(1 << 16))
        .map(|(r, p)| {
            let (mut a, mut b, mut c) = (0u64, 0u64, 0u64);
            for (&x, &y) in r.iter().zip(p) {
                a += u64::from(x);
                b += u64::from(y);
                c += u64::from(x & y);
            }
            (a, b, c)
        })
        .reduce(|| (0, 0, 0), |x, y| (x.0 + y.0, x.1 + y.1, x.2 + y.2))
}

/// The bounding box of the voxels of either mask, widened by one voxel within the
/// grid: `(low, high)` inclusive per axis, `None` when both are empty. Cropping to it
/// changes no surface and no distance (MONAI crops the same way).
fn union_box(
    size: [usize; 3],
    reference: &[bool],
    prediction: &[bool],
) -> Option<([usize; 3], [usize; 3])> {
    let [nx, ny, _] = size;
    let plane = nx * ny;
    let boxes = reference
        .par_chunks(plane)
        .zip(prediction.par_chunks(plane))
        .enumerate()
        .filter_map(|(z, (r, p))| {
            let mut b: Option<([usize; 3], [usize; 3])> = None;
            for (i, (&a, &c)) in r.iter().zip(p).enumerate() {
                if a | c {
                    let (x, y) = (i % nx, i / nx);
                    let e = b.get_or_insert(([x, y, z], [x, y, z]));
                    e.0 = [e.0[0].min(x), e.0[1].min(y), z];
                    e.1 = [e.1[0].max(x), e.1[1].max(y), z];
                }
            }
            b
        })
        .reduce_with(|a, b| {
            (
                [a.0[0].min(b.0[0]), a.0[1].min(b.0[1]), a.0[2].min(b.0[2])],
                [a.1[0].max(b.1[0]), a.1[1].max(b.1[1]), a.1[2].max(b.1[2])],
            )
        })?;
    let low = [0, 1, 2].map(|a| boxes.0[a].saturating_sub(1));
    let high = [0, 1, 2].map(|a| (boxes.1[a] + 1).min(size[a] - 1));
    Some((low, high))
}

/// The part of `mask` inside the box, indexed like a volume of the box's size.
fn crop(mask: &[bool], size: [usize; 3], low: [usize; 3], high: [usize; 3]) -> Vec<bool> {
    let [nx, ny, _] = size;
    let (cx, cy, cz) = (
        high[0] - low[0] + 1,
        high[1] - low[1] + 1,
        high[2] - low[2] + 1,
    );
    let mut out = vec![false; cx * cy * cz];
    out.par_chunks_mut(cx * cy)
        .enumerate()
        .for_each(|(k, slice)| {
            let z = low[2] + k;
            for j in 0..cy {
                let start = low[0] + nx * (low[1] + j + ny * z);
                slice[j * cx..(j + 1) * cx].copy_from_slice(&mask[start..start + cx]);
            }
        });
    out
}

fn surface_counts(geometry: &Geometry, reference: &[bool], prediction: &[bool]) -> (u64, u64) {
    let Some((low, high)) = union_box(geometry.size, reference, prediction) else {
        return (0, 0);
    };
    let size = [0, 1, 2].map(|a| high[a] - low[a] + 1);
    let count = |m: &[bool]| {
        let s = surface_unchecked(&crop(m, geometry.size, low, high), size);
        s.iter().filter(|&&b| b).count() as u64
    };
    (count(reference), count(prediction))
}

fn surface_distances_checked(
    geometry: &Geometry,
    reference: &[bool],
    prediction: &[bool],
) -> Option<SurfaceDistances> {
    let (low, high) = union_box(geometry.size, reference, prediction)?;
    let size = [0, 1, 2].map(|a| high[a] - low[a] + 1);
    let rs = surface_unchecked(&crop(reference, geometry.size, low, high), size);
    let ps = surface_unchecked(&crop(prediction, geometry.size, low, high), size);
    if !rs.contains(&true) || !ps.contains(&true) {
        return None;
    }
    let directed = |from: &[bool], to: &[bool]| -> Vec<f64> {
        let d2 = transform(to, size, geometry.spacing);
        from.iter()
            .zip(&d2)
            .filter(|(&f, _)| f)
            .map(|(_, &d)| d.sqrt())
            .collect()
    };
    Some(SurfaceDistances {
        prediction_to_reference: directed(&ps, &rs),
        reference_to_prediction: directed(&rs, &ps),
    })
}

/// The 95th percentile of non-empty distances, linear interpolation.
fn directed_p95(d: &[f64]) -> f64 {
    let mut v = d.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.95)
}
