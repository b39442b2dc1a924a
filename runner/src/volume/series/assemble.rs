//! Slices into series: grouped by SeriesInstanceUID, ordered along the slice normal,
//! checked to be one regular grid.

use super::{Problem, Series, SeriesProblem, Slice, SliceHeader};
use crate::volume::Geometry;
use std::collections::BTreeMap;

/// The tolerances of [`assemble`]. The defaults follow dicom-numpy's `combine_slices`
/// (orthonormal cosines within 1e-4) and allow the rounding scanners write positions
/// with (DS values of a few decimals): a step may differ from the median step by 1% or by
/// 0.01 mm, whichever is larger, before the spacing is uneven (ITK's series reader warns
/// past a similar relative tolerance; dicom-numpy's exact comparison refuses series
/// rounded to 0.01 mm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// The largest difference of a direction cosine between slices, and the largest
    /// departure of ImageOrientationPatient from orthonormal (|row| - 1, |column| - 1,
    /// row . column). Default 1e-4.
    pub orientation: f64,
    /// The largest difference of PixelSpacing between slices (mm). Default 1e-3.
    pub pixel_spacing: f64,
    /// Two slices closer than this along the normal are at the same position (mm).
    /// Default 0.01.
    pub duplicate: f64,
    /// A step at least this many median steps is a gap of missing slices. Default 1.5.
    pub missing_ratio: f64,
    /// A step departing from the median by more than the larger of `uneven_relative *
    /// median` and `uneven_absolute` is uneven. Defaults 0.01 and 0.01 mm.
    pub uneven_relative: f64,
    /// See [`Tolerances::uneven_relative`].
    pub uneven_absolute: f64,
    /// A slice position further off the normal through the first slice than
    /// `shear_absolute + shear_relative * distance along the normal` is sheared (gantry
    /// tilt). Defaults 0.02 mm and 1e-3 (0.06 degrees).
    pub shear_absolute: f64,
    /// See [`Tolerances::shear_absolute`].
    pub shear_relative: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            orientation: 1e-4,
            pixel_spacing: 1e-3,
            duplicate: 0.01,
            missing_ratio: 1.5,
            uneven_relative: 0.01,
            uneven_absolute: 0.01,
            shear_absolute: 0.02,
            shear_relative: 1e-3,
        }
    }
}

/// The series of `headers`, in SeriesInstanceUID order: each a [`Series`] on a regular
/// grid or the [`SeriesProblem`] that keeps it from being one, with the default
/// [`Tolerances`].
///
/// Slices are ordered by their position along the slice normal, `cross(row, column)` of
/// ImageOrientationPatient; the geometry's origin is the first slice's
/// ImagePositionPatient, its z direction the unit vector from the first slice's position
/// to the last's, its spacing PixelSpacing's column spacing, row spacing, and the
/// distance between the first and last positions over the number of steps. A single
/// slice is a series too (a 2D image): its z direction is the normal, its z spacing
/// SliceThickness, 1 mm without one.
pub fn assemble(headers: &[SliceHeader]) -> Vec<Result<Series, SeriesProblem>> {
    assemble_with(headers, &Tolerances::default())
}

/// [`assemble`] with other tolerances.
pub fn assemble_with(
    headers: &[SliceHeader],
    tol: &Tolerances,
) -> Vec<Result<Series, SeriesProblem>> {
    let mut groups: BTreeMap<&str, Vec<&SliceHeader>> = BTreeMap::new();
    for h in headers {
        groups.entry(h.series_uid.as_str()).or_default().push(h);
    }
    groups
        .into_iter()
        .map(|(uid, mut slices)| {
            // The "first file" of messages is the same whatever order the headers came in.
            slices.sort_by(|a, b| (&a.path, a.frame).cmp(&(&b.path, b.frame)));
            one(uid, &slices, tol)
        })
        .collect()
}

fn shown(h: &SliceHeader) -> String {
    if h.frames > 1 {
        format!("{}#{}", h.path.display(), h.frame)
    } else {
        h.path.display().to_string()
    }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

fn unit(a: [f64; 3]) -> [f64; 3] {
    let n = norm(a);
    [a[0] / n, a[1] / n, a[2] / n]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Whether a slice lacks an attribute of the image plane.
type Lacks = fn(&SliceHeader) -> bool;

/// A slice whose geometry attributes are all present.
struct Placed<'a> {
    header: &'a SliceHeader,
    position: [f64; 3],
    /// Distance along the normal (mm).
    along: f64,
}

fn one(uid: &str, slices: &[&SliceHeader], tol: &Tolerances) -> Result<Series, SeriesProblem> {
    let Some(first) = slices.first() else {
        return Err(SeriesProblem {
            series: uid.to_owned(),
            description: String::new(),
            problems: Vec::new(),
        });
    };
    let fail = |problems: Vec<Problem>| SeriesProblem {
        series: uid.to_owned(),
        description: first.description.clone(),
        problems,
    };
    let mut problems = Vec::new();
    if uid.is_empty() {
        problems.push(Problem::NoSeriesUid {
            files: slices.len(),
            file: shown(first),
        });
    }
    let missing: [(&'static str, Lacks); 4] = [
        ("Rows and Columns", |h| h.rows == 0 || h.columns == 0),
        ("ImagePositionPatient", |h| h.position.is_none()),
        ("ImageOrientationPatient", |h| h.orientation.is_none()),
        ("PixelSpacing", |h| h.pixel_spacing.is_none()),
    ];
    for (attribute, lacks) in missing {
        let lacking: Vec<&&SliceHeader> = slices.iter().filter(|h| lacks(h)).collect();
        if let Some(h) = lacking.first() {
            problems.push(Problem::MissingGeometry {
                attribute,
                count: lacking.len(),
                file: h.path.display().to_string(),
                frame: (h.frames > 1).then_some(h.frame),
            });
        }
    }
    let (Some(orientation), Some(spacing)) = (first.orientation, first.pixel_spacing) else {
        return Err(fail(problems));
    };
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let row = [orientation[0], orientation[1], orientation[2]];
    let column = [orientation[3], orientation[4], orientation[5]];
    let (row_norm, column_norm, cosines) = (norm(row), norm(column), dot(row, column));
    if (row_norm - 1.0).abs() > tol.orientation
        || (column_norm - 1.0).abs() > tol.orientation
        || cosines.abs() > tol.orientation
    {
        return Err(fail(vec![Problem::NotOrthonormal {
            orientation,
            row_norm,
            column_norm,
            dot: cosines,
            tolerance: tol.orientation,
        }]));
    }
    let worst = slices
        .iter()
        .filter_map(|h| {
            let o = h.orientation?;
            let d = o
                .iter()
                .zip(orientation)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            Some((d, h, o))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((difference, h, other)) = worst {
        if difference > tol.orientation {
            problems.push(Problem::MixedOrientation {
                first: orientation,
                other,
                file: shown(h),
                difference,
                tolerance: tol.orientation,
            });
        }
    }
    if let Some(h) = slices
        .iter()
        .find(|h| (h.rows, h.columns) != (first.rows, first.columns))
    {
        problems.push(Problem::MixedSize {
            first_rows: first.rows,
            first_columns: first.columns,
            rows: h.rows,
            columns: h.columns,
            file: shown(h),
        });
    }
    if !(spacing.iter().all(|s| *s > 0.0)) {
        problems.push(Problem::BadPixelSpacing { spacing });
    }
    if let Some((h, other)) = slices.iter().find_map(|h| {
        let s = h.pixel_spacing?;
        let differs = s
            .iter()
            .zip(spacing)
            .any(|(a, b)| (a - b).abs() > tol.pixel_spacing);
        differs.then_some((h, s))
    }) {
        problems.push(Problem::MixedPixelSpacing {
            first: spacing,
            other,
            file: shown(h),
            tolerance: tol.pixel_spacing,
        });
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }

    let (row, column) = (unit(row), unit(column));
    let normal = unit(cross(row, column));
    let mut placed: Vec<Placed<'_>> = slices
        .iter()
        .filter_map(|h| {
            let position = h.position?;
            Some(Placed {
                header: h,
                position,
                along: dot(position, normal),
            })
        })
        .collect();
    placed.sort_by(|a, b| {
        a.along
            .total_cmp(&b.along)
            .then_with(|| a.header.sop_instance_uid.cmp(&b.header.sop_instance_uid))
    });
    let (Some(p0), Some(last)) = (placed.first(), placed.last()) else {
        return Err(fail(problems));
    };
    let (origin, last_position) = (p0.position, last.position);
    let n = placed.len();

    // Duplicates first: the steps are meaningless with them.
    let duplicates: Vec<(&Placed<'_>, &Placed<'_>)> = placed
        .windows(2)
        .filter(|w| w[1].along - w[0].along <= tol.duplicate)
        .map(|w| (&w[0], &w[1]))
        .collect();
    if let Some((a, b)) = duplicates.first() {
        return Err(fail(vec![Problem::DuplicateSlices {
            position: a.along,
            first: shown(a.header),
            second: shown(b.header),
            count: duplicates.len(),
            tolerance: tol.duplicate,
        }]));
    }

    if n >= 2 {
        let sheared = placed
            .iter()
            .map(|p| {
                let v = sub(p.position, origin);
                let along = dot(v, normal);
                let off = sub(v, [normal[0] * along, normal[1] * along, normal[2] * along]);
                (norm(off), along, p)
            })
            .filter(|(off, along, _)| *off > tol.shear_absolute + tol.shear_relative * along.abs())
            .max_by(|a, b| (a.0 / a.1.abs()).total_cmp(&(b.0 / b.1.abs())));
        if let Some((offset, along, p)) = sheared {
            problems.push(Problem::Sheared {
                file: shown(p.header),
                offset,
                angle: offset.atan2(along.abs()).to_degrees(),
            });
        }
        let steps: Vec<(f64, f64)> = placed
            .windows(2)
            .map(|w| (w[1].along - w[0].along, w[0].along))
            .collect();
        let mut sorted: Vec<f64> = steps.iter().map(|s| s.0).collect();
        sorted.sort_by(f64::total_cmp);
        let median = if sorted.len() % 2 == 1 {
            sorted[sorted.len() / 2]
        } else {
            (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
        };
        let gaps: Vec<&(f64, f64)> = steps
            .iter()
            .filter(|(s, _)| *s >= tol.missing_ratio * median)
            .collect();
        if let Some(&&(gap, from)) = gaps.iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
            problems.push(Problem::MissingSlices {
                from,
                to: from + gap,
                gap,
                median,
                ratio: gap / median,
                missing: ((gap / median).round() as usize).saturating_sub(1),
                gaps: gaps.len(),
            });
        }
        let tolerance = (tol.uneven_relative * median).max(tol.uneven_absolute);
        let uneven = steps
            .iter()
            .filter(|(s, _)| *s < tol.missing_ratio * median)
            .max_by(|a, b| (a.0 - median).abs().total_cmp(&(b.0 - median).abs()));
        if let Some(&(step, at)) = uneven {
            if (step - median).abs() > tolerance {
                problems.push(Problem::UnevenSpacing {
                    step,
                    at,
                    median,
                    min: sorted[0],
                    max: sorted[sorted.len() - 1],
                    tolerance,
                });
            }
        }
        if !problems.is_empty() {
            return Err(fail(problems));
        }
    }

    let (z_direction, z_spacing) = if n >= 2 {
        let span = sub(last_position, origin);
        (unit(span), norm(span) / (n - 1) as f64)
    } else {
        (
            normal,
            first.slice_thickness.filter(|t| *t > 0.0).unwrap_or(1.0),
        )
    };
    Ok(Series {
        uid: uid.to_owned(),
        study_uid: first.study_uid.clone(),
        patient_id: first.patient_id.clone(),
        modality: first.modality.clone(),
        description: first.description.clone(),
        image_type: first.image_type.clone(),
        geometry: Geometry {
            size: [first.columns as usize, first.rows as usize, n],
            spacing: [spacing[1], spacing[0], z_spacing],
            origin,
            direction: [row, column, z_direction],
        },
        slices: placed
            .iter()
            .map(|p| Slice {
                path: p.header.path.clone(),
                frame: p.header.frame,
                sop_instance_uid: p.header.sop_instance_uid.clone(),
                rescale_slope: p.header.rescale_slope,
                rescale_intercept: p.header.rescale_intercept,
            })
            .collect(),
    })
}
