//! A label map on the model's grid carried back onto another grid (the source series').

use crate::volume::{Geometry, Volume};
use rayon::prelude::*;

/// The label map `labels` (on the model's grid) sampled on `target`'s grid: each target
/// voxel centre, through patient coordinates, falls in the model voxel whose index is
/// nearest (`floor(c + 0.5)` per axis, as `Resample`'s nearest); outside the model's grid
/// the label is 0 (background). A permutation or flip of axes comes back exactly. The
/// result has `target.voxels()` bytes: `target` is the grid of a volume that exists (the
/// source series), not a size read from a file.
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
    let n = [nx, ny, nz];
    // Model voxel of target voxel `i` of the row starting at `line`, if inside: per axis
    // `floor(c + 0.5)` in `0..n`. NaN and infinities (a degenerate model grid) fall
    // outside; inside, `t >= 0` and the truncation is the floor.
    let voxel = |line: &[f64; 3], i: usize| {
        let mut at = [0usize; 3];
        for a in 0..3 {
            let t = line[a] + i as f64 * e[0][a] + 0.5;
            if !(t >= 0.0 && t < n[a] as f64) {
                return None;
            }
            at[a] = t as usize;
        }
        Some(at[0] + nx * (at[1] + ny * at[2]))
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
                let (mut lo, mut hi) = run(&line, &e[0], n, tx);
                // INVARIANT: each coordinate is monotone in i (floating-point addition and
                // multiplication are), so the inside of a row is one run; `run` brackets
                // it and the exact test trims the ends.
                while lo < hi && voxel(&line, lo).is_none() {
                    lo += 1;
                }
                while hi > lo && voxel(&line, hi - 1).is_none() {
                    hi -= 1;
                }
                for (i, out) in row.iter_mut().enumerate().take(hi).skip(lo) {
                    if let Some(v) = voxel(&line, i) {
                        *out = labels.data.get(v).copied().unwrap_or(0);
                    }
                }
            }
        });
    Volume {
        geometry: target.clone(),
        data,
    }
}

/// A range of target indices `i` (within `0..len`) that holds every `i` whose model
/// coordinates `line + i * step + 0.5` are all in `[0, n)`, widened by 2 against rounding.
fn run(line: &[f64; 3], step: &[f64; 3], n: [usize; 3], len: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (0f64, len as f64);
    for a in 0..3 {
        let b = line[a] + 0.5;
        if step[a] == 0.0 {
            if !(b >= 0.0 && b < n[a] as f64) {
                return (0, 0);
            }
            continue;
        }
        let (p, q) = (-b / step[a], (n[a] as f64 - b) / step[a]);
        lo = lo.max(p.min(q).floor() - 2.0);
        hi = hi.min(p.max(q).ceil() + 2.0);
    }
    if lo.is_nan() || hi.is_nan() || lo >= hi {
        return (0, 0);
    }
    // INVARIANT: 0 <= lo < hi <= len here, so both fit.
    (lo.max(0.0) as usize, hi.min(len as f64) as usize)
}
