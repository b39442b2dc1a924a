//! Reorientation of the axes to a declared orientation code.

use super::PreprocessError;
use crate::volume::{Geometry, Volume};
use std::fmt;
use std::str::FromStr;

/// An orientation code such as `LPS`, `RAS` or `LAS`: the patient direction each of x, y
/// and z points toward (`L`eft, `R`ight, `P`osterior, `A`nterior, `S`uperior,
/// `I`nferior); `LPS` is DICOM's patient coordinate system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Orientation {
    /// Per output axis: the LPS axis (0 = L, 1 = P, 2 = S) and whether it points the
    /// opposite way (toward R, A or I).
    axes: [(usize, bool); 3],
}

impl Orientation {
    /// Reads a three-letter code, each of L/R, A/P and S/I once (case-insensitive).
    pub fn parse(code: &str) -> Result<Orientation, PreprocessError> {
        let bad = |reason: String| PreprocessError::Orientation {
            code: code.to_owned(),
            reason,
        };
        let letters: Vec<char> = code.chars().map(|c| c.to_ascii_uppercase()).collect();
        if letters.len() != 3 {
            return Err(bad(format!(
                "it has {} letters where a code has 3, such as `LPS` or `RAS`",
                letters.len()
            )));
        }
        let mut axes = [(0, false); 3];
        let mut seen = [false; 3];
        for (slot, &c) in axes.iter_mut().zip(&letters) {
            let axis = match c {
                'L' => (0, false),
                'R' => (0, true),
                'P' => (1, false),
                'A' => (1, true),
                'S' => (2, false),
                'I' => (2, true),
                other => return Err(bad(format!("`{other}` is not one of L, R, A, P, S, I"))),
            };
            if seen[axis.0] {
                return Err(bad(format!(
                    "{} appears twice; each of L/R, A/P and S/I must appear once",
                    ["L/R", "A/P", "S/I"][axis.0]
                )));
            }
            seen[axis.0] = true;
            *slot = axis;
        }
        Ok(Orientation { axes })
    }

    /// The unit vector (LPS) output axis `o` points along.
    fn target(&self, o: usize) -> (usize, f64) {
        let (axis, opposite) = self.axes[o];
        (axis, if opposite { -1.0 } else { 1.0 })
    }
}

impl FromStr for Orientation {
    type Err = PreprocessError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Orientation::parse(code)
    }
}

impl fmt::Display for Orientation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (axis, opposite) in self.axes {
            let pair = [['L', 'R'], ['P', 'A'], ['S', 'I']][axis];
            write!(f, "{}", pair[usize::from(opposite)])?;
        }
        Ok(())
    }
}

/// For each LPS axis, the input axis closest to it and the sign of its component:
/// nibabel's `io_orientation` (input axes in order of their largest component, each
/// taking the LPS axis it is most aligned with among those left).
fn closest(direction: &[[f64; 3]; 3]) -> [(usize, f64); 3] {
    let largest = |a: usize| direction[a].iter().fold(0f64, |m, c| m.max(c.abs()));
    let mut order = [0, 1, 2];
    // A stable sort: equal input axes keep their order.
    order.sort_by(|&a, &b| largest(b).total_cmp(&largest(a)));
    let mut taken = [false; 3];
    let mut world = [(0, 1.0); 3];
    for a in order {
        let mut best: Option<usize> = None;
        for w in (0..3).filter(|&w| !taken[w]) {
            if best.is_none_or(|b| direction[a][w].abs() > direction[a][b].abs()) {
                best = Some(w);
            }
        }
        // INVARIANT: three input axes take three distinct LPS axes, one left each time.
        let w = best.unwrap_or(0);
        taken[w] = true;
        world[w] = (a, if direction[a][w] < 0.0 { -1.0 } else { 1.0 });
    }
    world
}

pub(super) fn orient(volume: Volume<f32>, orientation: Orientation) -> Volume<f32> {
    let g = &volume.geometry;
    let world = closest(&g.direction);
    // Per output axis: the input axis it is and whether it runs backward.
    let map: [(usize, bool); 3] = [0, 1, 2].map(|o| {
        let (w, sign) = orientation.target(o);
        let (a, s) = world[w];
        (a, s != sign)
    });
    if map == [(0, false), (1, false), (2, false)] {
        return volume;
    }
    let size = map.map(|(a, _)| g.size[a]);
    let spacing = map.map(|(a, _)| g.spacing[a]);
    let direction = map.map(|(a, flip)| {
        let d = g.direction[a];
        if flip {
            d.map(|c| -c)
        } else {
            d
        }
    });
    let mut corner = [0.0; 3];
    for (a, flip) in map {
        if flip {
            corner[a] = (g.size[a] - 1) as f64;
        }
    }
    let origin = g.world(corner[0], corner[1], corner[2]);
    let stride = [1, g.size[0], g.size[0] * g.size[1]];
    // The source index of output (0, 0, 0) and the step of each output axis.
    let start: usize = map
        .iter()
        .map(|&(a, flip)| if flip { (g.size[a] - 1) * stride[a] } else { 0 })
        .sum();
    let step = map.map(|(a, flip)| {
        let s = stride[a] as isize;
        if flip {
            -s
        } else {
            s
        }
    });
    let mut data = Vec::with_capacity(volume.data.len());
    for k in 0..size[2] {
        for j in 0..size[1] {
            let row = start as isize + step[1] * j as isize + step[2] * k as isize;
            // INVARIANT: every index is a source voxel's (a permutation with flips).
            let row = row as usize;
            match step[0] {
                1 => data.extend_from_slice(&volume.data[row..row + size[0]]),
                -1 => data.extend(volume.data[row + 1 - size[0]..=row].iter().rev()),
                s => data.extend(
                    (0..size[0]).map(|i| volume.data[row.wrapping_add_signed(s * i as isize)]),
                ),
            }
        }
    }
    Volume {
        geometry: Geometry {
            size,
            spacing,
            origin,
            direction,
        },
        data,
    }
}
