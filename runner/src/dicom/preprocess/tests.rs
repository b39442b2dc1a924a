use super::*;
use crate::dicom::pixels::Colour;

fn image(rows: usize, columns: usize, values: Vec<i32>) -> Image {
    Image::new(rows, columns, Colour::Gray, values).expect("an image")
}

#[test]
fn halving_is_the_mean_of_each_block() {
    let img = image(2, 4, vec![0, 2, 4, 8, 2, 4, 0, 0]);
    let steps = [Preprocess::Resize {
        width: 2,
        height: 1,
        interpolation: "bilinear".into(),
    }];
    assert_eq!(preprocess(&img, &steps), Ok(vec![2.0, 3.0]));
}

#[test]
fn nearest_and_area() {
    let img = image(1, 4, vec![1, 2, 3, 4]);
    let resize = |interpolation: &str| Preprocess::Resize {
        width: 2,
        height: 1,
        interpolation: interpolation.into(),
    };
    assert_eq!(preprocess(&img, &[resize("nearest")]), Ok(vec![2.0, 4.0]));
    assert_eq!(preprocess(&img, &[resize("area")]), Ok(vec![1.5, 3.5]));
    // Three outputs from four inputs: blocks [0, 2), [1, 3), [2, 4).
    let three = Preprocess::Resize {
        width: 3,
        height: 1,
        interpolation: "area".into(),
    };
    assert_eq!(preprocess(&img, &[three]), Ok(vec![1.5, 2.5, 3.5]));
    assert!(preprocess(&img, &[resize("cubic")]).is_err_and(|e| e.contains("cubic")));
}

#[test]
fn window_rules() {
    let mut img = image(1, 3, vec![0, 10, 20]);
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
    // Without a window, the reflection across the range.
    assert_eq!(
        preprocess(&img, &[Preprocess::InvertMonochrome1]),
        Ok(vec![20.0, 10.0, 0.0])
    );
}

#[test]
fn fixed_rescale_starts_from_stored_values() {
    let mut img = image(1, 2, vec![0, 1000]);
    img.slope = 2.0;
    img.intercept = -1024.0;
    let fixed = Preprocess::Rescale {
        fixed: Some((1.0, 0.0)),
    };
    assert_eq!(preprocess(&img, &[fixed]), Ok(vec![0.0, 1000.0]));
    assert_eq!(preprocess(&img, &[]), Ok(vec![0.0, 1000.0]));
    assert_eq!(
        preprocess(&img, &[Preprocess::Rescale { fixed: None }]),
        Ok(vec![-1024.0, 976.0])
    );
    assert_eq!(pixel_stats(&img), (-1024.0, 976.0, -24.0));
}

#[test]
fn a_decreasing_rescale_keeps_the_range_and_the_window() {
    // slope -1: the stored maximum is the smallest value.
    let mut img = image(1, 3, vec![0, 5, 20]);
    img.slope = -1.0;
    let steps = [
        Preprocess::Rescale { fixed: None },
        Preprocess::Window {
            source: "minmax".into(),
            fixed: None,
            else_minmax: false,
        },
    ];
    assert_eq!(preprocess(&img, &steps), Ok(vec![1.0, 0.75, 0.0]));
    assert_eq!(pixel_stats(&img), (-20.0, 0.0, -25.0 / 3.0));
}

/// The table and the direct evaluation of the chain agree, on a range too wide for a
/// table (a 32-bit image) and on one that fits.
#[test]
fn wide_ranges_evaluate_the_chain_directly() {
    let steps = [
        Preprocess::Rescale {
            fixed: Some((0.5, 3.0)),
        },
        Preprocess::Window {
            source: "minmax".into(),
            fixed: None,
            else_minmax: false,
        },
        Preprocess::Resize {
            width: 2,
            height: 1,
            interpolation: "bilinear".into(),
        },
    ];
    let wide = image(1, 4, vec![-(1 << 30), 7, 1 << 20, 1 << 30]);
    let got = preprocess(&wide, &steps).expect("preprocesses");
    let v = |s: f64| ((s * 0.5 + 3.0) - (-(2f64.powi(30)) * 0.5 + 3.0)) / 2f64.powi(30);
    let want = [
        0.5 * v(-(2f64.powi(30))) + 0.5 * v(7.0),
        0.5 * v(2f64.powi(20)) + 0.5 * v(2f64.powi(30)),
    ];
    assert_eq!(got, want.map(|w| w as f32).to_vec());
}
