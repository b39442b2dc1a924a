//! Volumes: CT and MR series assembled from their DICOM files ([`series`]), reference
//! masks read from DICOM SEG and NIfTI ([`masks`]), 3D preprocessing ([`preprocess`]).
//!
//! Every volume is in DICOM's patient coordinates (LPS, millimetres), indexed
//! `x + size[0] * (y + size[1] * z)`: `x` along a row (columns), `y` down the columns
//! (rows), `z` across slices. A tensor of one volume is `[D, H, W]` = `[z, y, x]`, the same
//! order in memory.

pub mod masks;
pub mod preprocess;
pub mod series;

/// Where a volume's voxels are in the patient: DICOM's image plane module, per slice
/// stack (PS3.3 C.7.6.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// Voxels along x (columns), y (rows) and z (slices).
    pub size: [usize; 3],
    /// Distance between voxel centres along x, y and z, in mm.
    pub spacing: [f64; 3],
    /// The centre of voxel (0, 0, 0) in patient coordinates (LPS, mm).
    pub origin: [f64; 3],
    /// Unit vectors of the x, y and z axes in patient coordinates: x is the row
    /// direction (ImageOrientationPatient's first triple), y the column direction (its
    /// second), z the direction of increasing slice index.
    pub direction: [[f64; 3]; 3],
}

impl Geometry {
    /// The number of voxels.
    pub fn voxels(&self) -> usize {
        self.size.iter().product()
    }

    /// The volume of one voxel, in mm³.
    pub fn voxel_volume(&self) -> f64 {
        self.spacing.iter().product()
    }

    /// The patient position (LPS, mm) of the centre of voxel (`i`, `j`, `k`), indices
    /// along x, y and z (fractional indices between centres).
    pub fn world(&self, i: f64, j: f64, k: f64) -> [f64; 3] {
        let steps = [
            i * self.spacing[0],
            j * self.spacing[1],
            k * self.spacing[2],
        ];
        let mut p = self.origin;
        for (axis, step) in self.direction.iter().zip(steps) {
            for (c, d) in p.iter_mut().zip(axis) {
                *c += d * step;
            }
        }
        p
    }

    /// The fractional voxel indices (x, y, z) of patient position `p`: the inverse of
    /// [`Geometry::world`] (the axes are orthonormal).
    pub fn index(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [
            p[0] - self.origin[0],
            p[1] - self.origin[1],
            p[2] - self.origin[2],
        ];
        let mut out = [0.0; 3];
        for (o, (axis, s)) in out.iter_mut().zip(self.direction.iter().zip(self.spacing)) {
            *o = (axis[0] * d[0] + axis[1] * d[1] + axis[2] * d[2]) / s;
        }
        out
    }
}

/// A volume of voxels of type `T` on its geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume<T> {
    /// Where its voxels are.
    pub geometry: Geometry,
    /// `geometry.voxels()` values, x fastest, then y, then z.
    pub data: Vec<T>,
}

impl<T: Copy> Volume<T> {
    /// The value at integer indices (x, y, z).
    pub fn at(&self, x: usize, y: usize, z: usize) -> T {
        let [nx, ny, _] = self.geometry.size;
        self.data[x + nx * (y + ny * z)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_and_index_are_inverse_on_an_oblique_geometry() {
        let c = std::f64::consts::FRAC_1_SQRT_2;
        let g = Geometry {
            size: [4, 5, 6],
            spacing: [0.7, 0.9, 2.5],
            origin: [-100.0, 20.0, 35.5],
            direction: [[c, c, 0.0], [-c, c, 0.0], [0.0, 0.0, 1.0]],
        };
        let p = g.world(1.5, 2.0, 3.25);
        let back = g.index(p);
        for (a, b) in back.iter().zip([1.5, 2.0, 3.25]) {
            assert!((a - b).abs() < 1e-9, "{back:?}");
        }
        assert_eq!(g.voxels(), 120);
    }
}
