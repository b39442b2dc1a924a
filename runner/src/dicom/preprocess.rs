//! The manifest's preprocessing, step by step, in f64 with the exact arithmetic of
//! `examples/chest-xray-triage/tools/preprocess.py` (numpy), cast to f32 at the end.

use super::Image;
use clic_compiler::plan::Preprocess;

/// The working image between steps.
struct Plane {
    rows: usize,
    columns: usize,
    data: Vec<f64>,
    /// Whether a window step has mapped the values to [0, 1].
    unit: bool,
}

/// Applies the manifest's preprocessing steps in order to the image and returns the
/// tensor `[1, H, W]`, flattened row-major, as f32.
///
/// The first step receives the stored values (before any LUT). The steps:
/// - `Rescale` maps `x` to `x * slope + intercept`, with the file's slope and intercept
///   (1 and 0 when absent) or fixed ones;
/// - `Window` maps to [0, 1]: `dicom` uses the file's first WindowCenter/WindowWidth
///   when present with width >= 1 (PS3.3 C.11.2.1.2.1 LINEAR: for `w > 1`,
///   `clamp((x - (c - 0.5)) / (w - 1) + 0.5, 0, 1)`; for `w == 1`, `x > c - 0.5`), else
///   min-max when `else_minmax` (an error otherwise); `fixed` uses the given window;
///   `minmax` is `(x - min) / (max - min)`, or 0 everywhere for a constant image;
/// - `InvertMonochrome1`, for MONOCHROME1 images only, is `1 - y` after a window, or a
///   reflection across the value range (`min + max - x`) without one;
/// - `Resize` is separable with half-pixel centres and no antialiasing: `bilinear`
///   (OpenCV `INTER_LINEAR`, PyTorch `align_corners=False`) or `nearest` (the source
///   pixel whose centre is nearest: `floor((i + 0.5) * in / out)`); `area` is not
///   supported yet;
/// - `Normalize` is `(x - mean) / std`.
pub fn preprocess(image: &Image, steps: &[Preprocess]) -> Result<Vec<f32>, String> {
    if image.values.len() != image.rows.saturating_mul(image.columns) || image.values.is_empty() {
        return Err(format!(
            "the image holds {} values for {} x {} pixels",
            image.values.len(),
            image.rows,
            image.columns
        ));
    }
    // The modality LUT of the file has already been applied to `values`, with the same
    // arithmetic: reuse it when the first step asks for exactly that.
    let (data, rest) = match steps.split_first() {
        Some((Preprocess::Rescale { fixed: None }, rest)) => (image.values.clone(), rest),
        _ => (image.stored(), steps),
    };
    let mut plane = Plane {
        rows: image.rows,
        columns: image.columns,
        data,
        unit: false,
    };
    for step in rest {
        apply(&mut plane, image, step)?;
    }
    Ok(plane.data.iter().map(|&v| v as f32).collect())
}

fn apply(plane: &mut Plane, image: &Image, step: &Preprocess) -> Result<(), String> {
    match step {
        Preprocess::Rescale { fixed } => {
            let (slope, intercept) = fixed.unwrap_or((image.slope, image.intercept));
            for v in &mut plane.data {
                *v = *v * slope + intercept;
            }
            plane.unit = false;
        }
        Preprocess::Window {
            source,
            fixed,
            else_minmax,
        } => {
            match source.as_str() {
                "dicom" => match image.window.filter(|(_, w)| *w >= 1.0) {
                    Some((c, w)) => linear(&mut plane.data, c, w),
                    None if *else_minmax => minmax(&mut plane.data),
                    None => {
                        return Err("the file has no usable VOI window (WindowCenter and \
                                    WindowWidth with a width of at least 1)"
                            .to_owned())
                    }
                },
                "fixed" => match fixed {
                    Some((c, w)) if *w >= 1.0 => linear(&mut plane.data, *c, *w),
                    Some((_, w)) => return Err(format!("window width {w} is below 1")),
                    None => return Err("a fixed window needs a center and a width".to_owned()),
                },
                "minmax" => minmax(&mut plane.data),
                other => return Err(format!("unknown window source `{other}`")),
            }
            plane.unit = true;
        }
        Preprocess::InvertMonochrome1 => {
            if image.monochrome1 {
                if plane.unit {
                    for v in &mut plane.data {
                        *v = 1.0 - *v;
                    }
                } else {
                    let (lo, hi) = range(&plane.data);
                    for v in &mut plane.data {
                        *v = lo + hi - *v;
                    }
                }
            }
        }
        Preprocess::Resize {
            width,
            height,
            interpolation,
        } => {
            let (w, h) = (*width as usize, *height as usize);
            if w == 0 || h == 0 {
                return Err(format!("cannot resize to {width} x {height}"));
            }
            plane.data = match interpolation.as_str() {
                "bilinear" => bilinear(plane, h, w),
                "nearest" => nearest(plane, h, w),
                "area" => return Err("`area` interpolation is not supported yet".to_owned()),
                other => return Err(format!("unknown interpolation `{other}`")),
            };
            plane.rows = h;
            plane.columns = w;
        }
        Preprocess::Normalize { mean, std } => {
            if *std == 0.0 || !std.is_finite() || !mean.is_finite() {
                return Err(format!("cannot normalise with mean {mean} and std {std}"));
            }
            for v in &mut plane.data {
                *v = (*v - mean) / std;
            }
        }
    }
    Ok(())
}

/// PS3.3 C.11.2.1.2.1 LINEAR to [0, 1]; `w >= 1`.
fn linear(data: &mut [f64], c: f64, w: f64) {
    if w == 1.0 {
        for v in data {
            *v = if *v > c - 0.5 { 1.0 } else { 0.0 };
        }
    } else {
        let (lo, den) = (c - 0.5, w - 1.0);
        for v in data {
            *v = ((*v - lo) / den + 0.5).clamp(0.0, 1.0);
        }
    }
}

fn range(data: &[f64]) -> (f64, f64) {
    data.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

fn minmax(data: &mut [f64]) {
    let (lo, hi) = range(data);
    if hi == lo {
        data.fill(0.0);
    } else {
        let den = hi - lo;
        for v in data {
            *v = (*v - lo) / den;
        }
    }
}

/// Source taps of one axis: `(i0, i1, frac)` per output index, as `_resize_weights`.
fn taps(n_in: usize, n_out: usize) -> Vec<(usize, usize, f64)> {
    let scale = n_in as f64 / n_out as f64;
    let last = (n_in - 1) as f64;
    (0..n_out)
        .map(|i| {
            let src = ((i as f64 + 0.5) * scale - 0.5).clamp(0.0, last);
            let f = src.floor();
            let i0 = f as usize;
            (i0, (i0 + 1).min(n_in - 1), src - f)
        })
        .collect()
}

fn bilinear(plane: &Plane, h: usize, w: usize) -> Vec<f64> {
    let (cols, src) = (plane.columns, &plane.data);
    // Rows first: R[i][c] = Y[y0][c] * (1 - fy) + Y[y1][c] * fy.
    let mut rows = Vec::with_capacity(h * cols);
    for (y0, y1, fy) in taps(plane.rows, h) {
        let (a, b) = (
            &src[y0 * cols..(y0 + 1) * cols],
            &src[y1 * cols..(y1 + 1) * cols],
        );
        rows.extend(a.iter().zip(b).map(|(a, b)| a * (1.0 - fy) + b * fy));
    }
    // Then columns: O[i][j] = R[i][x0] * (1 - fx) + R[i][x1] * fx.
    let xs = taps(cols, w);
    let mut out = Vec::with_capacity(h * w);
    for row in rows.chunks_exact(cols) {
        out.extend(
            xs.iter()
                .map(|&(x0, x1, fx)| row[x0] * (1.0 - fx) + row[x1] * fx),
        );
    }
    out
}

fn nearest_index(n_in: usize, n_out: usize) -> Vec<usize> {
    let scale = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|i| (((i as f64 + 0.5) * scale).floor() as usize).min(n_in - 1))
        .collect()
}

fn nearest(plane: &Plane, h: usize, w: usize) -> Vec<f64> {
    let xs = nearest_index(plane.columns, w);
    let mut out = Vec::with_capacity(h * w);
    for y in nearest_index(plane.rows, h) {
        let row = &plane.data[y * plane.columns..(y + 1) * plane.columns];
        out.extend(xs.iter().map(|&x| row[x]));
    }
    out
}

/// Minimum, maximum and mean of the image after the modality LUT (zeros when empty).
pub fn pixel_stats(image: &Image) -> (f64, f64, f64) {
    if image.values.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let (lo, hi) = range(&image.values);
    let mean = image.values.iter().sum::<f64>() / image.values.len() as f64;
    (lo, hi, mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(rows: usize, columns: usize, values: Vec<f64>) -> Image {
        Image {
            rows,
            columns,
            values,
            window: None,
            monochrome1: false,
            slope: 1.0,
            intercept: 0.0,
        }
    }

    #[test]
    fn halving_is_the_mean_of_each_block() {
        let img = image(2, 4, vec![0.0, 2.0, 4.0, 8.0, 2.0, 4.0, 0.0, 0.0]);
        let steps = [Preprocess::Resize {
            width: 2,
            height: 1,
            interpolation: "bilinear".into(),
        }];
        assert_eq!(preprocess(&img, &steps), Ok(vec![2.0, 3.0]));
    }

    #[test]
    fn nearest_and_area() {
        let img = image(1, 4, vec![1.0, 2.0, 3.0, 4.0]);
        let resize = |interpolation: &str| Preprocess::Resize {
            width: 2,
            height: 1,
            interpolation: interpolation.into(),
        };
        assert_eq!(preprocess(&img, &[resize("nearest")]), Ok(vec![2.0, 4.0]));
        assert!(preprocess(&img, &[resize("area")]).is_err_and(|e| e.contains("not supported yet")));
    }

    #[test]
    fn window_rules() {
        let mut img = image(1, 3, vec![0.0, 10.0, 20.0]);
        let dicom = |else_minmax| Preprocess::Window {
            source: "dicom".into(),
            fixed: None,
            else_minmax,
        };
        assert_eq!(preprocess(&img, &[dicom(true)]), Ok(vec![0.0, 0.5, 1.0]));
        assert!(preprocess(&img, &[dicom(false)]).is_err());
        img.window = Some((10.0, 1.0));
        assert_eq!(preprocess(&img, &[dicom(false)]), Ok(vec![0.0, 1.0, 1.0]));
        img.window = Some((10.0, 0.5));
        assert_eq!(preprocess(&img, &[dicom(true)]), Ok(vec![0.0, 0.5, 1.0]));
        img.monochrome1 = true;
        assert_eq!(
            preprocess(&img, &[dicom(true), Preprocess::InvertMonochrome1]),
            Ok(vec![1.0, 0.5, 0.0])
        );
    }

    #[test]
    fn fixed_rescale_starts_from_stored_values() {
        let mut img = image(1, 2, vec![-1024.0, 976.0]);
        img.slope = 2.0;
        img.intercept = -1024.0;
        let fixed = Preprocess::Rescale {
            fixed: Some((1.0, 0.0)),
        };
        assert_eq!(preprocess(&img, &[fixed]), Ok(vec![0.0, 1000.0]));
        assert_eq!(preprocess(&img, &[]), Ok(vec![0.0, 1000.0]));
        assert_eq!(pixel_stats(&img), (-1024.0, 976.0, -24.0));
    }
}
