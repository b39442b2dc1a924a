//! Centred crop or pad to a size, MONAI's `ResizeWithPadOrCrop` convention.

use super::{within, StepError};
use crate::volume::{Geometry, Volume};

/// The source index of output index 0 along an axis of `n` voxels made `target` long:
/// a crop starts at `n / 2 - target / 2` (MONAI `CenterSpatialCrop`: centre `n // 2`,
/// start `centre - roi // 2`), a pad puts `(target - n) / 2` voxels before (MONAI
/// `SpatialPad`, `method='symmetric'`), i.e. source index `-(target - n) / 2`.
pub(super) fn shift(n: usize, target: usize) -> isize {
    if target <= n {
        (n / 2 - target / 2) as isize
    } else {
        -(((target - n) / 2) as isize)
    }
}

pub(super) fn crop_or_pad(
    volume: Volume<f32>,
    size: [usize; 3],
    fill: f32,
    limit: usize,
) -> Result<Volume<f32>, StepError> {
    if size.contains(&0) {
        return Err(StepError::Parameter(format!(
            "cannot crop or pad to {} x {} x {}: every axis needs a voxel",
            size[0], size[1], size[2]
        )));
    }
    if !fill.is_finite() {
        return Err(StepError::Parameter(format!("cannot pad with {fill}")));
    }
    let size = within(size.map(|n| n as f64), limit)?;
    let g = &volume.geometry;
    if size == g.size {
        return Ok(volume);
    }
    let s: [isize; 3] = [0, 1, 2].map(|a| shift(g.size[a], size[a]));
    let [nx, ny, nz] = g.size.map(|n| n as isize);
    let [mx, my, mz] = size;
    let mut out = vec![fill; mx * my * mz];
    // The output x range whose source is inside: source x = output x + s[0].
    let x0 = (-s[0]).max(0) as usize;
    let x1 = (nx - s[0]).clamp(0, mx as isize) as usize;
    if x0 < x1 {
        for z in 0..mz {
            let sz = z as isize + s[2];
            if !(0..nz).contains(&sz) {
                continue;
            }
            for y in 0..my {
                let sy = y as isize + s[1];
                if !(0..ny).contains(&sy) {
                    continue;
                }
                // INVARIANT: sx = x0 + s[0] >= 0 and x1 - 1 + s[0] < nx.
                let from = ((sy + ny * sz) * nx + x0 as isize + s[0]) as usize;
                let to = x0 + mx * (y + my * z);
                out[to..to + (x1 - x0)].copy_from_slice(&volume.data[from..from + (x1 - x0)]);
            }
        }
    }
    let origin = g.world(s[0] as f64, s[1] as f64, s[2] as f64);
    Ok(Volume {
        geometry: Geometry {
            size,
            spacing: g.spacing,
            origin,
            direction: g.direction,
        },
        data: out,
    })
}
