//! Resampling to a new spacing on the same axes, the centre of voxel 0 fixed.

use super::{within, Interpolation, StepError};
use crate::volume::{Geometry, Volume};
use rayon::prelude::*;

/// One output coordinate along an axis: the two source indices around it and the weight
/// of the second (0 for nearest).
#[derive(Clone, Copy)]
struct Tap {
    low: usize,
    high: usize,
    weight: f64,
}

pub(super) fn resample(
    volume: Volume<f32>,
    spacing: [f64; 3],
    interpolation: Interpolation,
    limit: usize,
) -> Result<Volume<f32>, StepError> {
    if !spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
        return Err(StepError::Parameter(format!(
            "cannot resample to a spacing of {spacing:?} mm: each must be positive and finite"
        )));
    }
    let g = &volume.geometry;
    let size = within(
        [0, 1, 2].map(|a| {
            (g.size[a] as f64 * g.spacing[a] / spacing[a])
                .round_ties_even()
                .max(1.0)
        }),
        limit,
    )?;
    if size == g.size && spacing == g.spacing {
        return Ok(volume);
    }
    let taps: [Vec<Tap>; 3] =
        [0, 1, 2].map(|a| axis(size[a], g.size[a], spacing[a], g.spacing[a], interpolation));
    let [nx, ny, _] = g.size;
    let [mx, my, mz] = size;
    let src = &volume.data;
    let mut out = vec![0f32; mx * my * mz];
    let [tx, ty, tz] = &taps;
    out.par_chunks_mut(mx * my)
        .zip(tz.par_iter())
        .for_each(|(slab, z)| {
            for (row, y) in slab.chunks_exact_mut(mx).zip(ty) {
                let line = |yy: usize, zz: usize| &src[(yy + ny * zz) * nx..][..nx];
                match interpolation {
                    Interpolation::Nearest => {
                        let r = line(y.low, z.low);
                        for (o, x) in row.iter_mut().zip(tx) {
                            *o = r[x.low];
                        }
                    }
                    Interpolation::Linear => {
                        let (r00, r10) = (line(y.low, z.low), line(y.high, z.low));
                        let (r01, r11) = (line(y.low, z.high), line(y.high, z.high));
                        let lerp = |a: f64, b: f64, w: f64| a + (b - a) * w;
                        for (o, x) in row.iter_mut().zip(tx) {
                            let at = |r: &[f32]| {
                                lerp(f64::from(r[x.low]), f64::from(r[x.high]), x.weight)
                            };
                            let c0 = lerp(at(r00), at(r10), y.weight);
                            let c1 = lerp(at(r01), at(r11), y.weight);
                            *o = lerp(c0, c1, z.weight) as f32;
                        }
                    }
                }
            }
        });
    Ok(Volume {
        geometry: Geometry {
            size,
            spacing,
            origin: g.origin,
            direction: g.direction,
        },
        data: out,
    })
}

/// The taps of `m` output voxels `new` mm apart over `n` source voxels `old` mm apart:
/// output `i` is at source index `i * new / old` (scipy's coordinates), clamped to the
/// edges.
fn axis(m: usize, n: usize, new: f64, old: f64, interpolation: Interpolation) -> Vec<Tap> {
    let last = n - 1;
    (0..m)
        .map(|i| {
            let c = i as f64 * new / old;
            match interpolation {
                Interpolation::Nearest => {
                    let k = ((c + 0.5).floor().max(0.0) as usize).min(last);
                    Tap {
                        low: k,
                        high: k,
                        weight: 0.0,
                    }
                }
                Interpolation::Linear => {
                    if c >= last as f64 {
                        Tap {
                            low: last,
                            high: last,
                            weight: 0.0,
                        }
                    } else {
                        let low = c.floor().max(0.0) as usize;
                        Tap {
                            low,
                            high: low + 1,
                            weight: c - low as f64,
                        }
                    }
                }
            }
        })
        .collect()
}
