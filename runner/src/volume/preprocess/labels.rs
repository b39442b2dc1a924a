//! A label map on the model's grid carried back onto another grid (the source series').

use crate::volume::{Geometry, Volume};
use rayon::prelude::*;

/// The label map `labels` (on the model's grid) sampled on `target`'s grid: each target
/// voxel centre, through patient coordinates, falls in the model voxel whose index is
/// nearest (`floor(c + 0.5)` per axis, as `Resample`'s nearest); outside the model's grid
/// the label is 0 (background). A permutation or flip of axes comes back exactly.
pub fn labels_to(labels: &Volume<u8>, target: &Geometry) -> Volume<u8> {
    let model = &labels.geometry;
    // The model index is affine in the target index: base + i * ex + j * ey + k * ez.
    let base = model.index(target.world(0.0, 0.0, 0.0));
    let edge = |p: [f64; 3]| {
        let q = model.index(p);
        [q[0] - base[0], q[1] - base[1], q[2] - base[2]]
    };
    let e = [
        edge(target.world(1.0, 0.0, 0.0)),
        edge(target.world(0.0, 1.0, 0.0)),
        edge(target.world(0.0, 0.0, 1.0)),
    ];
    let [tx, ty, _] = target.size;
    let [nx, ny, nz] = model.size;
    let within = |c: f64, n: usize| {
        let t = c + 0.5;
        // NaN and infinities (a degenerate model grid) fall outside; inside, `t >= 0`
        // and the truncation is the floor (`floor` itself is a libm call on x86-64).
        (t >= 0.0 && t < n as f64).then_some(t as usize)
    };
    let mut data = vec![0u8; target.voxels()];
    if tx == 0 || ty == 0 {
        return Volume {
            geometry: target.clone(),
            data,
        };
    }
    data.par_chunks_mut(tx * ty)
        .enumerate()
        .for_each(|(k, slab)| {
            for (j, row) in slab.chunks_exact_mut(tx).enumerate() {
                let (j, k) = (j as f64, k as f64);
                let line = [0, 1, 2].map(|a| base[a] + j * e[1][a] + k * e[2][a]);
                for (i, out) in row.iter_mut().enumerate() {
                    let i = i as f64;
                    let c = [0, 1, 2].map(|a| line[a] + i * e[0][a]);
                    if let (Some(x), Some(y), Some(z)) =
                        (within(c[0], nx), within(c[1], ny), within(c[2], nz))
                    {
                        *out = labels.data.get(x + nx * (y + ny * z)).copied().unwrap_or(0);
                    }
                }
            }
        });
    Volume {
        geometry: target.clone(),
        data,
    }
}
