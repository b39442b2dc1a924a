//! The Plan's part for volumes (issue 14): the series inputs and their 3D preprocessing,
//! the segmentation output, the quantified structures and the claims on structures.
//! Manifests without them leave these fields out of the Plan.

use crate::ast::{self, Literal, ModelStmt, Node};
use serde::{Deserialize, Serialize};

/// A series input: which series of a study the model reads, and the volume's
/// preprocessing (`input "ct" series where modality CT ... { ... }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesInputSpec {
    /// The input's name: the model's input tensor it feeds.
    pub name: String,
    /// Accepted modalities (`modality CT`, several: any of them); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modalities: Vec<String>,
    /// A regex (Rust syntax) SeriesDescription must match; none: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Values ImageType must hold, each (`image type ORIGINAL`); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_type: Vec<String>,
    /// The fewest slices of the series (`slices 16 to 600`); none: no bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices_min: Option<u32>,
    /// The most slices of the series; none: no bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices_max: Option<u32>,
    /// The volume's preprocessing, in order.
    pub steps: Vec<VolumeStep>,
}

impl SeriesInputSpec {
    /// The shape `[D, H, W]` = `[z, y, x]` of the volume's tensor after the steps (the
    /// last `crop or pad` fixes it), or none when no step fixes the size. The model's
    /// input is `[N, 1, D, H, W]`.
    #[must_use]
    pub fn tensor_shape(&self) -> Option<[usize; 3]> {
        self.steps.iter().rev().find_map(|s| match s {
            VolumeStep::CropOrPad { size, .. } => Some([size[2], size[1], size[0]]),
            _ => None,
        })
    }
}

/// Interpolation of a resampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation3 {
    /// Trilinear.
    Linear,
    /// Nearest neighbour.
    Nearest,
}

/// One step of a volume's preprocessing; the runner applies them in order
/// (`clic_runner::volume::preprocess`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum VolumeStep {
    /// Modality LUT: from each slice's RescaleSlope/RescaleIntercept (`rescale from
    /// dicom`), or fixed (`rescale slope S intercept I`).
    Rescale {
        /// Fixed slope and intercept; none: the files' own.
        fixed: Option<(f64, f64)>,
    },
    /// Clip the values to `[low, high]` (`clip -200 to 300`).
    Clip {
        /// Lower bound.
        low: f64,
        /// Upper bound, above `low`.
        high: f64,
    },
    /// A fixed window to [0, 1] (`window center C width W`).
    Window {
        /// Center.
        center: f64,
        /// Width, above 0.
        width: f64,
    },
    /// Resample to a spacing (`resample 2 x 2 x 4 mm linear`).
    Resample {
        /// Target spacing x, y, z in mm.
        spacing_mm: [f64; 3],
        /// Interpolation.
        interpolation: Interpolation3,
    },
    /// Reorient the axes so x, y, z point to the code's directions (`orient LPS`:
    /// x to the patient's left, y posterior, z superior).
    Orient {
        /// Three letters, one of each of L/R, P/A, S/I.
        code: String,
    },
    /// Crop or pad to a size, centred (`crop or pad 64 x 64 x 24 fill -200`).
    CropOrPad {
        /// Target size x, y, z in voxels.
        size: [usize; 3],
        /// The value of added voxels.
        fill: f64,
    },
    /// `(x - mean) / std` over each volume's own voxels (`normalize zscore`).
    NormalizeZscore,
    /// `(x - mean) / std` (`normalize mean M std S`).
    Normalize {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
}

/// The mask output of a segmentation model and how it becomes a label map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentationSpec {
    /// Output tensor name.
    pub tensor: String,
    /// How the output becomes a label map.
    pub rule: SegmentationRule,
    /// The structures, in the manifest's order.
    pub structures: Vec<StructureSpec>,
}

/// How a segmentation output becomes a label map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentationRule {
    /// `[N, C, D, H, W]`: argmax over the channels, channel 0 the background.
    Argmax,
    /// `[N, C, D, H, W]`: each channel a structure on its own, a voxel in it where its
    /// sigmoid is at least `threshold`; where several are, the highest wins.
    Sigmoid {
        /// The probability threshold, in (0, 1).
        threshold: f64,
    },
    /// `[N, D, H, W]` or `[N, 1, D, H, W]`: the output is a label map.
    LabelMap,
}

/// A structure of the segmentation block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureSpec {
    /// Its name.
    pub name: String,
    /// Its channel (argmax, sigmoid) or label value (labelmap); also its label value in
    /// a NIfTI reference mask.
    pub index: u32,
}

/// A claim on a structure (`liver { hd95 at most 6 mm }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureClaim {
    /// The structure.
    pub structure: String,
    /// The metric, a name of [`crate::schema::segmentation::SEGMENTATION_METRICS`].
    pub metric: String,
    /// The bound: a fraction for percentages and fractions, mm for distances, mL for
    /// volumes; a floor or a ceiling as the metric's registry row says.
    pub bound: f64,
    /// nsd's tolerance in mm; none for the other metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance_mm: Option<f64>,
}

fn number(s: &str) -> f64 {
    s.parse().unwrap_or(0.0)
}

fn literal(l: &Literal) -> f64 {
    super::lower::literal_fraction(l)
}

/// The Plan's series input of an `input ... series` statement.
pub(super) fn lower_series_input(
    tensor: &Node<String>,
    conditions: &[Node<ast::SeriesCond>],
    steps: &[Node<ast::VolumeStep>],
) -> SeriesInputSpec {
    let mut spec = SeriesInputSpec {
        name: tensor.node.clone(),
        modalities: Vec::new(),
        description: None,
        image_type: Vec::new(),
        slices_min: None,
        slices_max: None,
        steps: Vec::new(),
    };
    for c in conditions {
        match &c.node {
            ast::SeriesCond::Modality(m) => spec.modalities.push(m.node.clone()),
            ast::SeriesCond::Description(d) => spec.description = Some(d.node.clone()),
            ast::SeriesCond::ImageType(v) => spec.image_type.push(v.node.clone()),
            ast::SeriesCond::Slices { min, max } => {
                // Typeck admits whole numbers in 1..=100000 only.
                spec.slices_min = Some(literal(&min.node) as u32);
                spec.slices_max = Some(literal(&max.node) as u32);
            }
        }
    }
    for s in steps {
        let step = match &s.node {
            ast::VolumeStep::Prep(p) => match p {
                ast::PrepStep::RescaleFromDicom => VolumeStep::Rescale { fixed: None },
                ast::PrepStep::RescaleFixed { slope, intercept } => VolumeStep::Rescale {
                    fixed: Some((number(slope), number(intercept))),
                },
                ast::PrepStep::Clip { low, high } => VolumeStep::Clip {
                    low: number(low),
                    high: number(high),
                },
                ast::PrepStep::WindowFixed { center, width } => VolumeStep::Window {
                    center: number(center),
                    width: number(width),
                },
                ast::PrepStep::Normalize { mean, std } => VolumeStep::Normalize {
                    mean: mean.first().map_or(0.0, |m| number(m)),
                    std: std.first().map_or(1.0, |s| number(s)),
                },
                // The grammar admits no other shared step in a series block.
                _ => continue,
            },
            ast::VolumeStep::Resample {
                spacing,
                interpolation,
            } => VolumeStep::Resample {
                spacing_mm: [
                    number(&spacing[0]),
                    number(&spacing[1]),
                    number(&spacing[2]),
                ],
                interpolation: if interpolation == "nearest" {
                    Interpolation3::Nearest
                } else {
                    Interpolation3::Linear
                },
            },
            ast::VolumeStep::Orient(code) => VolumeStep::Orient { code: code.clone() },
            ast::VolumeStep::CropOrPad { size, fill } => VolumeStep::CropOrPad {
                size: [0, 1, 2].map(|i| size[i].parse().unwrap_or(0)),
                fill: number(fill),
            },
            ast::VolumeStep::NormalizeZscore => VolumeStep::NormalizeZscore,
        };
        spec.steps.push(step);
    }
    spec
}

/// The Plan's segmentation of a `segmentation` statement.
pub(super) fn lower_segmentation(stmt: &ModelStmt) -> Option<SegmentationSpec> {
    let ModelStmt::Segmentation {
        tensor,
        rule,
        structures,
    } = stmt
    else {
        return None;
    };
    Some(SegmentationSpec {
        tensor: tensor.node.clone(),
        rule: match &rule.node {
            ast::SegRule::Argmax => SegmentationRule::Argmax,
            ast::SegRule::LabelMap => SegmentationRule::LabelMap,
            ast::SegRule::Sigmoid(t) => SegmentationRule::Sigmoid {
                threshold: literal(t),
            },
        },
        structures: structures
            .iter()
            .map(|s| StructureSpec {
                name: s.node.name.node.clone(),
                // Typeck admits whole numbers in 0..=65535 only.
                index: literal(&s.node.index.node) as u32,
            })
            .collect(),
    })
}

/// The claims on one structure.
pub(super) fn lower_structure_claims(
    structure: &str,
    claims: &[Node<ast::ScopedClaim>],
) -> Vec<StructureClaim> {
    claims
        .iter()
        .map(|c| StructureClaim {
            structure: structure.to_string(),
            metric: c.node.name.node.clone(),
            bound: literal(&c.node.value.node),
            tolerance_mm: c.node.tolerance.as_ref().map(|t| literal(&t.node)),
        })
        .collect()
}
