//! What a segmentation benchmark reads from the manifest: the series input (which series,
//! its preprocessing), the mask output and how it becomes a label map, the structures.

use crate::volume::preprocess::Step;
use crate::volume::series::Selector;
use crate::volume::{Geometry, Volume};

/// How the model's mask output becomes a label map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// `[N, C, D, H, W]` scores: each voxel takes the channel of the highest (channel 0
    /// is the background).
    Argmax,
    /// `[N, C, D, H, W]` logits: a structure's voxel is one whose sigmoid reaches the
    /// threshold; where several do, the highest wins.
    Sigmoid(f32),
    /// `[N, D, H, W]` or `[N, 1, D, H, W]` label values.
    LabelMap,
}

/// The series input the model reads.
#[derive(Debug, Clone)]
pub struct InputSetup {
    /// The model's input tensor.
    pub tensor: String,
    /// Which series of a study it reads.
    pub selector: Selector,
    /// Its preprocessing onto the model's grid.
    pub steps: Vec<Step>,
    /// The modality LUT applied to the stored values: none, each slice's own
    /// (`rescale from dicom`); a fixed slope and intercept (`rescale slope S intercept
    /// I`, and slope 1 intercept 0, the stored values, without a `rescale` step).
    pub rescale: Option<(f64, f64)>,
}

impl InputSetup {
    /// The selection in words, for a message.
    pub fn describe(&self) -> String {
        let s = &self.selector;
        let mut parts = Vec::new();
        if !s.modalities.is_empty() {
            parts.push(format!("modality {}", s.modalities.join(" or ")));
        }
        if let Some(d) = &s.description {
            parts.push(format!("description matches {:?}", d.as_str()));
        }
        if !s.image_type.is_empty() {
            parts.push(format!("image type {}", s.image_type.join(", ")));
        }
        if let Some((lo, hi)) = s.slices {
            parts.push(format!("{lo} to {hi} slices"));
        }
        if parts.is_empty() {
            "any series".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// One structure the model segments.
#[derive(Debug, Clone, PartialEq)]
pub struct StructureSetup {
    /// Its name in the manifest.
    pub name: String,
    /// Its channel of the output (argmax, sigmoid) or its value in a label map; also its
    /// value in a NIfTI reference label map.
    pub index: u16,
    /// The tolerance of its normalised surface distance, mm.
    pub nsd_tolerance_mm: f64,
    /// Whether its volume is quantified (`quantify volume of`).
    pub quantified: bool,
}

/// Everything the segmentation task reads from the manifest.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The series inputs, in the manifest's order. A case is a series of the first (the
    /// masks file names it, and its grid is the masks'); each other input reads the one
    /// series of the same study it selects (multi-sequence MR: `input "flair" ...`,
    /// `input "dwi" ...`).
    pub inputs: Vec<InputSetup>,
    /// The mask output tensor.
    pub output: String,
    /// How it becomes a label map.
    pub rule: Rule,
    /// The structures, in the manifest's order; structure `k` is label `k + 1` of the
    /// label maps [`Setup::label_map`] gives.
    pub structures: Vec<StructureSetup>,
}

impl Setup {
    /// The label map of one case's output (`shape`, `values`) on the model's grid
    /// `geometry`: 0 for background, `k + 1` for structure `k`.
    pub fn label_map(
        &self,
        shape: &[i64],
        values: &[f32],
        geometry: Geometry,
    ) -> Result<Volume<u8>, String> {
        let [nx, ny, nz] = geometry.size;
        let voxels = geometry.voxels();
        let dims: Vec<usize> = shape
            .iter()
            .map(|&d| usize::try_from(d).unwrap_or(0))
            .collect();
        let spatial_ok = |d: &[usize]| d == [nz, ny, nx];
        let channels = match (self.rule, dims.as_slice()) {
            (Rule::LabelMap, [1, rest @ ..]) if spatial_ok(rest) => 1,
            (Rule::LabelMap, [1, 1, rest @ ..]) if spatial_ok(rest) => 1,
            (Rule::Argmax | Rule::Sigmoid(_), [1, c, rest @ ..]) if spatial_ok(rest) => *c,
            _ => {
                let wanted = match self.rule {
                    Rule::LabelMap => format!("[1, {nz}, {ny}, {nx}] or [1, 1, {nz}, {ny}, {nx}]"),
                    _ => format!("[1, C, {nz}, {ny}, {nx}]"),
                };
                return Err(format!(
                    "the output `{}` has shape {shape:?} for one case, where the model's grid makes it {wanted}",
                    self.output
                ));
            }
        };
        if values.len() != channels.saturating_mul(voxels) {
            return Err(format!(
                "the output `{}` holds {} values for its shape {shape:?}",
                self.output,
                values.len()
            ));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "the output `{}` holds a non-finite value (NaN or infinite) at element {i}: no mask can be read from it",
                self.output
            ));
        }
        let mut by_index = vec![0u8; channels.max(256)];
        for (k, s) in self.structures.iter().enumerate() {
            let i = usize::from(s.index);
            if self.rule != Rule::LabelMap && i >= channels {
                return Err(format!(
                    "the structure `{}` is read from channel {i}, but the output `{}` has {channels} channel(s)",
                    s.name, self.output
                ));
            }
            if let Some(slot) = by_index.get_mut(i) {
                *slot = u8::try_from(k + 1).map_err(|_| "more than 254 structures".to_string())?;
            }
        }
        let mut data = vec![0u8; voxels];
        match self.rule {
            Rule::LabelMap => {
                for (d, &v) in data.iter_mut().zip(values) {
                    let r = v.round();
                    if (0.0..=255.0).contains(&r) {
                        *d = by_index[r as usize];
                    }
                }
            }
            Rule::Argmax => {
                for (v, d) in data.iter_mut().enumerate() {
                    let mut best = (0usize, values[v]);
                    for c in 1..channels {
                        let x = values[c * voxels + v];
                        if x > best.1 {
                            best = (c, x);
                        }
                    }
                    *d = by_index[best.0];
                }
            }
            Rule::Sigmoid(threshold) => {
                // sigmoid(x) >= t  <=>  x >= logit(t), for t in (0, 1).
                let at = (threshold / (1.0 - threshold)).ln();
                for (v, d) in data.iter_mut().enumerate() {
                    let mut best: Option<(usize, f32)> = None;
                    for s in &self.structures {
                        let c = usize::from(s.index);
                        let x = values[c * voxels + v];
                        if x >= at && best.is_none_or(|b| x > b.1) {
                            best = Some((c, x));
                        }
                    }
                    *d = best.map_or(0, |b| by_index[b.0]);
                }
            }
        }
        Ok(Volume { geometry, data })
    }
}

/// The NSD tolerance of a structure with no `nsd ... at T mm` claim, mm.
pub const DEFAULT_NSD_TOLERANCE_MM: f64 = 2.0;

impl Setup {
    /// The segmentation task of `spec`, none when its manifest has no `segmentation`
    /// block; an error when the block cannot be run as written.
    pub fn of(spec: &clic_compiler::plan::ModelSpec) -> Result<Option<Setup>, String> {
        use clic_compiler::plan::SegmentationRule;
        let Some(seg) = &spec.segmentation else {
            return Ok(None);
        };
        if spec.series_inputs.is_empty() {
            return Err(
                "a segmentation model needs a series input (`input \"ct\" series ...`)".to_string(),
            );
        }
        let inputs = series_inputs(spec)?;
        let rule = match seg.rule {
            SegmentationRule::Argmax => Rule::Argmax,
            SegmentationRule::Sigmoid { threshold } => Rule::Sigmoid(threshold as f32),
            SegmentationRule::LabelMap => Rule::LabelMap,
        };
        let structures = seg
            .structures
            .iter()
            .map(|s| {
                let tolerance = spec
                    .structure_claims
                    .iter()
                    .find(|c| c.structure == s.name && c.metric == "nsd")
                    .and_then(|c| c.tolerance_mm)
                    .unwrap_or(DEFAULT_NSD_TOLERANCE_MM);
                Ok(StructureSetup {
                    name: s.name.clone(),
                    index: u16::try_from(s.index)
                        .map_err(|_| format!("the structure `{}`'s index is too large", s.name))?,
                    nsd_tolerance_mm: tolerance,
                    quantified: spec.quantify.contains(&s.name),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Some(Setup {
            inputs,
            output: seg.tensor.clone(),
            rule,
            structures,
        }))
    }
}

/// The manifest's series inputs, in its order, as a series task reads them.
pub(crate) fn series_inputs(
    spec: &clic_compiler::plan::ModelSpec,
) -> Result<Vec<InputSetup>, String> {
    spec.series_inputs.iter().map(input_setup).collect()
}

/// What the task reads of one series input of the manifest.
fn input_setup(input: &clic_compiler::plan::SeriesInputSpec) -> Result<InputSetup, String> {
    use clic_compiler::plan::{Interpolation3, VolumeStep};
    let description = input
        .description
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| format!("the input `{}`'s description pattern: {e}", input.name))?;
    let selector = Selector {
        modalities: input.modalities.clone(),
        description,
        image_type: input.image_type.clone(),
        slices: match (input.slices_min, input.slices_max) {
            (None, None) => None,
            (lo, hi) => Some((
                lo.map_or(0, |v| v as usize),
                hi.map_or(usize::MAX, |v| v as usize),
            )),
        },
    };
    let mut rescale = None;
    let mut steps = Vec::new();
    for s in &input.steps {
        steps.push(match s {
            VolumeStep::Rescale { fixed } => {
                rescale = Some(*fixed);
                continue;
            }
            VolumeStep::Clip { low, high } => Step::Clip {
                low: *low as f32,
                high: *high as f32,
            },
            VolumeStep::Window { center, width } => Step::Window {
                center: *center,
                width: *width,
            },
            VolumeStep::Resample {
                spacing_mm,
                interpolation,
            } => Step::Resample {
                spacing: *spacing_mm,
                interpolation: match interpolation {
                    Interpolation3::Linear => crate::volume::preprocess::Interpolation::Linear,
                    Interpolation3::Nearest => crate::volume::preprocess::Interpolation::Nearest,
                },
            },
            VolumeStep::Orient { code } => Step::Orient(
                crate::volume::preprocess::Orientation::parse(code)
                    .map_err(|e| format!("the input `{}`: {e}", input.name))?,
            ),
            VolumeStep::CropOrPad { size, fill } => Step::CropOrPad {
                size: *size,
                fill: *fill as f32,
            },
            VolumeStep::NormalizeZscore => Step::ZScore,
            VolumeStep::Normalize { mean, std } => Step::Normalize {
                mean: *mean as f32,
                std: *std as f32,
            },
        });
    }
    Ok(InputSetup {
        tensor: input.name.clone(),
        selector,
        steps,
        rescale: rescale.unwrap_or(Some((1.0, 0.0))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(rule: Rule, indices: &[u16]) -> Setup {
        Setup {
            inputs: vec![InputSetup {
                tensor: "ct".into(),
                selector: Selector::default(),
                steps: Vec::new(),
                rescale: None,
            }],
            output: "mask".into(),
            rule,
            structures: indices
                .iter()
                .enumerate()
                .map(|(k, &index)| StructureSetup {
                    name: format!("s{k}"),
                    index,
                    nsd_tolerance_mm: 1.0,
                    quantified: false,
                })
                .collect(),
        }
    }

    fn grid(n: usize) -> Geometry {
        Geometry {
            size: [n, 1, 1],
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    #[test]
    fn argmax_sigmoid_and_label_maps_give_the_structures_labels() {
        // Three voxels, three channels (background, a, b), channel-major.
        let values = [
            5.0, 0.0, 0.0, /* a */ 1.0, 3.0, 0.0, /* b */ 0.0, 2.0, 4.0,
        ];
        let m = setup(Rule::Argmax, &[1, 2])
            .label_map(&[1, 3, 1, 1, 3], &values, grid(3))
            .expect("argmax");
        assert_eq!(m.data, vec![0, 1, 2]);
        // Sigmoid at 0.5 (logit 0): voxel 0 has a at 1.0, b at 0.0 (>= 0): a wins.
        let m = setup(Rule::Sigmoid(0.5), &[1, 2])
            .label_map(&[1, 3, 1, 1, 3], &values, grid(3))
            .expect("sigmoid");
        assert_eq!(m.data, vec![1, 1, 2]);
        let m = setup(Rule::Sigmoid(0.9), &[1, 2])
            .label_map(&[1, 3, 1, 1, 3], &values, grid(3))
            .expect("sigmoid");
        assert_eq!(m.data, vec![0, 1, 2], "logit(0.9) = 2.197");
        let m = setup(Rule::LabelMap, &[7, 2])
            .label_map(&[1, 1, 1, 3], &[7.0, 2.0, 3.0], grid(3))
            .expect("labels");
        assert_eq!(m.data, vec![1, 2, 0]);
    }

    #[test]
    fn an_output_off_the_grid_or_short_or_not_finite_is_refused() {
        let s = setup(Rule::Argmax, &[1]);
        let e = s
            .label_map(&[1, 2, 1, 1, 4], &[0.0; 8], grid(3))
            .expect_err("grid");
        assert!(e.contains("[1, C, 1, 1, 3]"), "{e}");
        let e = s
            .label_map(&[1, 2, 1, 1, 3], &[0.0; 5], grid(3))
            .expect_err("short");
        assert!(e.contains("5 values"), "{e}");
        let e = s
            .label_map(
                &[1, 2, 1, 1, 3],
                &[0.0, f32::NAN, 0.0, 0.0, 0.0, 0.0],
                grid(3),
            )
            .expect_err("nan");
        assert!(e.contains("non-finite"), "{e}");
        let e = setup(Rule::Argmax, &[4])
            .label_map(&[1, 2, 1, 1, 3], &[0.0; 6], grid(3))
            .expect_err("channel");
        assert!(e.contains("channel 4"), "{e}");
    }
}
