//! Time of the preprocessing of one real-size radiograph: a 2048 x 2048 image of 12-bit
//! stored values to a 224 x 224 tensor (rescale from the file, the file's window,
//! invert MONOCHROME1, resize, normalise), bilinear and area, and the ImageNet form
//! (3 channels, centre crop, per-channel normalisation). Beside it, the previous
//! implementation (kept here for comparison): the decoded frame as a full-size f64
//! plane after the modality LUT, a copy of it, and one full f64 pass per step before
//! the resize. Prints the median of each. Run with
//! `cargo bench --workspace --bench preprocess`.
#![expect(
    clippy::expect_used,
    reason = "a benchmark without its input cannot run"
)]

use clic_compiler::plan::Preprocess;
use clic_runner::dicom::{self, Colour, Image};
use std::hint::black_box;
use std::time::{Duration, Instant};

const SIDE: usize = 2048;
const OUT: u32 = 224;

/// A smooth 12-bit image with noise (SplitMix64), like a radiograph's range.
fn stored() -> Vec<i32> {
    let mut state = 0x2048_u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..SIDE * SIDE)
        .map(|i| {
            let (y, x) = ((i / SIDE) as f64, (i % SIDE) as f64);
            let base = 2048.0 + 1500.0 * ((x / 300.0).sin() * (y / 410.0).cos());
            (base as i32 + (next() % 64) as i32 - 32).clamp(0, 4095)
        })
        .collect()
}

fn steps(interpolation: &str) -> Vec<Preprocess> {
    vec![
        Preprocess::Rescale { fixed: None },
        Preprocess::Window {
            source: "dicom".into(),
            fixed: None,
            else_minmax: true,
        },
        Preprocess::InvertMonochrome1,
        Preprocess::Resize {
            width: OUT,
            height: OUT,
            interpolation: interpolation.into(),
        },
        Preprocess::Normalize {
            mean: 0.5,
            std: 0.25,
        },
    ]
}

fn imagenet() -> Vec<Preprocess> {
    vec![
        Preprocess::Rescale { fixed: None },
        Preprocess::WindowPercentile {
            low: 0.5,
            high: 99.5,
        },
        Preprocess::Resize {
            width: 256,
            height: 256,
            interpolation: "area".into(),
        },
        Preprocess::Crop {
            width: OUT,
            height: OUT,
            at: None,
        },
        Preprocess::Channels { count: 3 },
        Preprocess::NormalizeChannels {
            mean: vec![0.485, 0.456, 0.406],
            std: vec![0.229, 0.224, 0.225],
        },
    ]
}

/// The previous implementation, for comparison: what `decode_first_frame` and
/// `preprocess` did with the example's steps (bilinear only; `area` was refused).
mod old {
    pub struct Image {
        pub rows: usize,
        pub columns: usize,
        pub values: Vec<f64>,
        pub window: (f64, f64),
        pub monochrome1: bool,
    }

    /// The decoder's output: stored values as f64 after the modality LUT.
    pub fn decode(stored: &[i32], slope: f64, intercept: f64) -> Vec<f64> {
        let mut values: Vec<f64> = stored.iter().map(|&s| f64::from(s)).collect();
        for v in &mut values {
            *v = *v * slope + intercept;
        }
        values
    }

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

    pub fn preprocess(image: &Image, h: usize, w: usize) -> Vec<f32> {
        let mut data = image.values.clone();
        let (c, wd) = image.window;
        let (lo, den) = (c - 0.5, wd - 1.0);
        for v in &mut data {
            *v = ((*v - lo) / den + 0.5).clamp(0.0, 1.0);
        }
        if image.monochrome1 {
            for v in &mut data {
                *v = 1.0 - *v;
            }
        }
        let cols = image.columns;
        let mut rows = Vec::with_capacity(h * cols);
        for (y0, y1, fy) in taps(image.rows, h) {
            let (a, b) = (
                &data[y0 * cols..(y0 + 1) * cols],
                &data[y1 * cols..(y1 + 1) * cols],
            );
            rows.extend(a.iter().zip(b).map(|(a, b)| a * (1.0 - fy) + b * fy));
        }
        let xs = taps(cols, w);
        let mut out = Vec::with_capacity(h * w);
        for row in rows.chunks_exact(cols) {
            out.extend(
                xs.iter()
                    .map(|&(x0, x1, fx)| row[x0] * (1.0 - fx) + row[x1] * fx),
            );
        }
        for v in &mut out {
            *v = (*v - 0.5) / 0.25;
        }
        out.iter().map(|&v| v as f32).collect()
    }
}

/// The median time of `f` over `runs` runs, after one warm-up.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let samples = stored();
    let (slope, intercept, window) = (1.0, -1024.0, (1000.0, 3000.0));
    let mut image = Image::new(SIDE, SIDE, Colour::Gray, samples.clone()).expect("an image");
    image.slope = slope;
    image.intercept = intercept;
    image.window = Some(window);
    image.monochrome1 = true;
    let runs = 15;

    let old_image = old::Image {
        rows: SIDE,
        columns: SIDE,
        values: old::decode(&samples, slope, intercept),
        window,
        monochrome1: true,
    };
    // The two agree bit for bit on the example's steps.
    let new_tensor = dicom::preprocess(&image, &steps("bilinear")).expect("preprocesses");
    assert_eq!(
        new_tensor,
        old::preprocess(&old_image, OUT as usize, OUT as usize)
    );

    let old_pre = median(runs, || {
        black_box(old::preprocess(
            black_box(&old_image),
            OUT as usize,
            OUT as usize,
        ));
    });
    let old_total = median(runs, || {
        let img = old::Image {
            values: old::decode(black_box(&samples), slope, intercept),
            ..old_image_meta(window)
        };
        black_box(old::preprocess(&img, OUT as usize, OUT as usize));
    });
    let new_bilinear = median(runs, || {
        black_box(dicom::preprocess(black_box(&image), &steps("bilinear")).expect("ok"));
    });
    let new_total = median(runs, || {
        let mut img = Image::new(SIDE, SIDE, Colour::Gray, black_box(samples.clone())).expect("ok");
        img.slope = slope;
        img.intercept = intercept;
        img.window = Some(window);
        img.monochrome1 = true;
        black_box(dicom::preprocess(&img, &steps("bilinear")).expect("ok"));
    });
    let new_area = median(runs, || {
        black_box(dicom::preprocess(black_box(&image), &steps("area")).expect("ok"));
    });
    let new_imagenet = median(runs, || {
        black_box(dicom::preprocess(black_box(&image), &imagenet()).expect("ok"));
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "preprocess of a {SIDE} x {SIDE} 12-bit image to {OUT} x {OUT}, median of {runs} runs:"
    );
    println!(
        "  old, bilinear (f64 plane given):              {:8.2} ms",
        ms(old_pre)
    );
    println!(
        "  new, bilinear (integer image given):          {:8.2} ms  ({:.1}x)",
        ms(new_bilinear),
        ms(old_pre) / ms(new_bilinear)
    );
    println!(
        "  old, f64 plane from the samples + bilinear:   {:8.2} ms",
        ms(old_total)
    );
    println!(
        "  new, image from the samples + bilinear:       {:8.2} ms  ({:.1}x)",
        ms(new_total),
        ms(old_total) / ms(new_total)
    );
    println!(
        "  new, area:                                    {:8.2} ms",
        ms(new_area)
    );
    println!("  new, percentile window, area 256, crop 224, 3 channels, ImageNet normalisation: {:8.2} ms", ms(new_imagenet));
}

fn old_image_meta(window: (f64, f64)) -> old::Image {
    old::Image {
        rows: SIDE,
        columns: SIDE,
        values: Vec::new(),
        window,
        monochrome1: true,
    }
}
