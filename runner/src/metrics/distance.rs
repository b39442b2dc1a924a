//! The exact Euclidean distance transform of a 3D boolean mask on an anisotropic grid,
//! and a mask's surface voxels: what the boundary metrics of [`super::segmentation`]
//! (HD95, ASSD, NSD) rest on. Never all pairs: the transform is O(voxels).
//!
//! The transform is separable (P. F. Felzenszwalb, D. P. Huttenlocher, "Distance
//! Transforms of Sampled Functions", Theory of Computing 8:415-428, 2012): the squared
//! distance along z is found by a forward and a backward scan over the slices, then the
//! lower envelope of parabolas `(Δ·s)² + f` is taken along y and along x. Each voxel's
//! squared distance is a sum of squared per-axis offsets in mm, `(Δx·sx)² + (Δy·sy)² +
//! (Δz·sz)²`, the value scipy's `distance_transform_edt(sampling=...)` takes the root of.
//!
//! The surface is MONAI's (`monai.metrics.utils.get_mask_edges` without `spacing`): a
//! mask voxel is on the surface when its binary erosion by the 6-connected cross
//! (scipy's `binary_erosion` with its default structure and `border_value=0`) removes
//! it, i.e. when one of its 6 face neighbours is outside the mask or outside the volume.

use rayon::prelude::*;

/// The most voxels a transform accepts (a grid past this is refused, not allocated).
pub const MAX_VOXELS: usize = 1 << 31;

/// Why a transform or a surface refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistanceError {
    /// The mask does not hold one value per voxel of the grid.
    #[error("the mask has {got} voxels, its grid {size:?} has {expected}")]
    LengthMismatch {
        /// The grid's size (x, y, z).
        size: [usize; 3],
        /// Voxels the grid has.
        expected: usize,
        /// Values the mask has.
        got: usize,
    },
    /// A spacing is not a positive finite number of mm.
    #[error("spacing {spacing} mm along axis {axis} is not a positive finite number")]
    BadSpacing {
        /// 0 = x, 1 = y, 2 = z.
        axis: usize,
        /// The offending spacing.
        spacing: f64,
    },
    /// The grid has more voxels than [`MAX_VOXELS`] (or their count overflows).
    #[error("the grid {size:?} has more than {MAX_VOXELS} voxels")]
    TooLarge {
        /// The grid's size (x, y, z).
        size: [usize; 3],
    },
}

/// Checks that `mask` fits `size` and `spacing` is usable; returns the voxel count.
pub fn check_grid(
    mask_len: usize,
    size: [usize; 3],
    spacing: [f64; 3],
) -> Result<usize, DistanceError> {
    let voxels = size
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .filter(|&v| v <= MAX_VOXELS)
        .ok_or(DistanceError::TooLarge { size })?;
    if mask_len != voxels {
        return Err(DistanceError::LengthMismatch {
            size,
            expected: voxels,
            got: mask_len,
        });
    }
    for (axis, &s) in spacing.iter().enumerate() {
        if !(s.is_finite() && s > 0.0) {
            return Err(DistanceError::BadSpacing { axis, spacing: s });
        }
    }
    Ok(voxels)
}

/// The squared Euclidean distance, in mm², from every voxel to the nearest `true` voxel
/// of `features` (0 on a feature; `f64::INFINITY` everywhere when there is none).
/// `features` is indexed `x + size[0] * (y + size[1] * z)`; `spacing` is (x, y, z) in mm.
pub fn squared_distance_transform(
    features: &[bool],
    size: [usize; 3],
    spacing: [f64; 3],
) -> Result<Vec<f64>, DistanceError> {
    check_grid(features.len(), size, spacing)?;
    Ok(transform(features, size, spacing))
}

/// The Euclidean distance, in mm, from every voxel to the nearest `true` voxel of
/// `features`: the square root of [`squared_distance_transform`].
pub fn distance_transform(
    features: &[bool],
    size: [usize; 3],
    spacing: [f64; 3],
) -> Result<Vec<f64>, DistanceError> {
    let mut d = squared_distance_transform(features, size, spacing)?;
    d.par_iter_mut().for_each(|v| *v = v.sqrt());
    Ok(d)
}

/// The surface voxels of `mask`: those with a 6-neighbour outside the mask or outside
/// the grid (MONAI's `get_mask_edges`, module doc).
pub fn surface(mask: &[bool], size: [usize; 3]) -> Result<Vec<bool>, DistanceError> {
    check_grid(mask.len(), size, [1.0; 3])?;
    Ok(surface_unchecked(mask, size))
}

/// [`surface`] on a mask known to fit `size`.
pub(crate) fn surface_unchecked(mask: &[bool], size: [usize; 3]) -> Vec<bool> {
    let [nx, ny, nz] = size;
    let plane = nx * ny;
    let mut out = vec![false; mask.len()];
    if plane == 0 || nz == 0 {
        return out;
    }
    out.par_chunks_mut(plane)
        .enumerate()
        .for_each(|(z, slice)| {
            for y in 0..ny {
                for x in 0..nx {
                    let i = x + nx * (y + ny * z);
                    if !mask[i] {
                        continue;
                    }
                    let interior = x > 0
                        && x + 1 < nx
                        && y > 0
                        && y + 1 < ny
                        && z > 0
                        && z + 1 < nz
                        && mask[i - 1]
                        && mask[i + 1]
                        && mask[i - nx]
                        && mask[i + nx]
                        && mask[i - plane]
                        && mask[i + plane];
                    slice[x + nx * y] = !interior;
                }
            }
        });
    out
}

/// The transform on a checked grid.
pub(crate) fn transform(features: &[bool], size: [usize; 3], spacing: [f64; 3]) -> Vec<f64> {
    let [nx, ny, nz] = size;
    let plane = nx * ny;
    let mut g = vec![f64::INFINITY; features.len()];
    if features.is_empty() {
        return g;
    }
    // Along z: the distance to the nearest feature of the same (x, y) column, by a
    // forward and a backward scan over whole slices (contiguous memory).
    let sz = spacing[2];
    let mut last: Vec<Option<usize>> = vec![None; plane];
    for z in 0..nz {
        let base = z * plane;
        for (p, l) in last.iter_mut().enumerate() {
            if features[base + p] {
                *l = Some(z);
            }
            if let Some(f) = *l {
                let d = (z - f) as f64 * sz;
                g[base + p] = d * d;
            }
        }
    }
    last.fill(None);
    for z in (0..nz).rev() {
        let base = z * plane;
        for (p, l) in last.iter_mut().enumerate() {
            if features[base + p] {
                *l = Some(z);
            }
            if let Some(f) = *l {
                let d = (f - z) as f64 * sz;
                let v = d * d;
                if v < g[base + p] {
                    g[base + p] = v;
                }
            }
        }
    }
    // Along y: per slice, each column of the slice (stride nx).
    let sy = spacing[1];
    g.par_chunks_mut(plane).for_each(|slice| {
        let mut env = Envelope::new(ny);
        let mut line = vec![0.0; ny];
        for x in 0..nx {
            for (y, v) in line.iter_mut().enumerate() {
                *v = slice[x + nx * y];
            }
            env.transform(&mut line, sy);
            for (y, v) in line.iter().enumerate() {
                slice[x + nx * y] = *v;
            }
        }
    });
    // Along x: each row (contiguous).
    let sx = spacing[0];
    g.par_chunks_mut(nx.max(1) * 64).for_each(|rows| {
        let mut env = Envelope::new(nx);
        for row in rows.chunks_mut(nx) {
            env.transform(row, sx);
        }
    });
    g
}

/// Scratch space of the 1D lower envelope of parabolas.
struct Envelope {
    /// Grid positions of the parabolas of the envelope.
    v: Vec<usize>,
    /// Boundaries between them, in grid units (`z[k]..z[k+1]` is parabola `v[k]`'s).
    z: Vec<f64>,
    /// The input line (the transform is written over it).
    f: Vec<f64>,
}

impl Envelope {
    fn new(n: usize) -> Self {
        Envelope {
            v: Vec::with_capacity(n),
            z: Vec::with_capacity(n + 1),
            f: Vec::with_capacity(n),
        }
    }

    /// `line[q] = min_p (s·(q − p))² + line[p]` over the finite `line[p]`: Felzenszwalb
    /// and Huttenlocher's algorithm, with infinite samples left out of the envelope (a
    /// line without a finite sample stays infinite).
    fn transform(&mut self, line: &mut [f64], s: f64) {
        self.f.clear();
        self.f.extend_from_slice(line);
        self.v.clear();
        self.z.clear();
        let f = &self.f;
        let s2 = s * s;
        // The crossing, in grid units, of the parabolas rooted at q and p (p < q).
        let cross = |q: usize, p: usize| -> f64 {
            let (qf, pf) = (q as f64, p as f64);
            ((f[q] / s2 + qf * qf) - (f[p] / s2 + pf * pf)) / (2.0 * (qf - pf))
        };
        for (q, fq) in f.iter().enumerate() {
            if !fq.is_finite() {
                continue;
            }
            loop {
                match self.v.last() {
                    None => {
                        self.v.push(q);
                        self.z.push(f64::NEG_INFINITY);
                        break;
                    }
                    Some(&p) => {
                        let x = cross(q, p);
                        // INVARIANT: z has one entry per parabola in v.
                        if x <= self.z[self.z.len() - 1] {
                            self.v.pop();
                            self.z.pop();
                        } else {
                            self.v.push(q);
                            self.z.push(x);
                            break;
                        }
                    }
                }
            }
        }
        if self.v.is_empty() {
            return;
        }
        let mut k = 0;
        for (q, out) in line.iter_mut().enumerate() {
            let qf = q as f64;
            while k + 1 < self.v.len() && self.z[k + 1] < qf {
                k += 1;
            }
            let p = self.v[k];
            let d = (q as f64 - p as f64) * s;
            *out = d * d + f[p];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(features: &[bool], size: [usize; 3], spacing: [f64; 3]) -> Vec<f64> {
        let [nx, ny, nz] = size;
        let mut out = vec![f64::INFINITY; features.len()];
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let mut best = f64::INFINITY;
                    for (j, &f) in features.iter().enumerate() {
                        if f {
                            let (fx, fy, fz) = (j % nx, (j / nx) % ny, j / (nx * ny));
                            let dx = (x as f64 - fx as f64) * spacing[0];
                            let dy = (y as f64 - fy as f64) * spacing[1];
                            let dz = (z as f64 - fz as f64) * spacing[2];
                            best = best.min(dx * dx + dy * dy + dz * dz);
                        }
                    }
                    out[x + nx * (y + ny * z)] = best;
                }
            }
        }
        out
    }

    #[test]
    fn single_feature_and_empty() {
        let size = [5, 4, 3];
        let mut f = vec![false; 60];
        assert!(transform(&f, size, [1.0; 3])
            .iter()
            .all(|v| v.is_infinite()));
        f[1 + 5 * (2 + 4)] = true;
        let sp = [0.5, 0.7, 2.5];
        for (a, b) in transform(&f, size, sp).iter().zip(brute(&f, size, sp)) {
            // The sums' order differs (z, y, x here; x, y, z there): the last bit may.
            assert!((a - b).abs() <= 1e-12 * b.max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn surface_of_a_cube_and_border() {
        let size = [5, 5, 5];
        let m = vec![true; 125];
        let s = surface_unchecked(&m, size);
        // Everything touches the border except the 3x3x3 core.
        assert_eq!(s.iter().filter(|&&b| b).count(), 125 - 27);
        let mut m = vec![false; 125];
        for z in 1..4 {
            for y in 1..4 {
                for x in 1..4 {
                    m[x + 5 * (y + 5 * z)] = true;
                }
            }
        }
        let s = surface_unchecked(&m, size);
        assert_eq!(s.iter().filter(|&&b| b).count(), 26);
        assert!(!s[2 + 5 * (2 + 5 * 2)]);
    }

    #[test]
    fn refuses_bad_grids() {
        assert!(matches!(
            squared_distance_transform(&[true; 3], [2, 2, 1], [1.0; 3]),
            Err(DistanceError::LengthMismatch { .. })
        ));
        assert!(matches!(
            squared_distance_transform(&[true; 4], [2, 2, 1], [1.0, 0.0, 1.0]),
            Err(DistanceError::BadSpacing { axis: 1, .. })
        ));
        assert!(matches!(
            squared_distance_transform(&[], [usize::MAX, 2, 1], [1.0; 3]),
            Err(DistanceError::TooLarge { .. })
        ));
        assert_eq!(
            squared_distance_transform(&[], [0, 3, 3], [1.0; 3]),
            Ok(vec![])
        );
    }
}
