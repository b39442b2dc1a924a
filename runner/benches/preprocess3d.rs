//! Time of the 3D preprocessing of one real-size CT: a 512 x 512 x 300 volume at
//! 0.75 x 0.75 x 1.0 mm resampled to 1.5 mm isotropic (256 x 256 x 200), linear and
//! nearest, on all of rayon's threads and on one; then the model's 1.5 mm label map
//! carried back onto the 512 x 512 x 300 grid (`labels_to`), whole and cropped to
//! 96 x 96 x 64, an orientation to RAS and a crop to 192 x 192 x 160. Prints the median of each. Run with
//! `cargo bench --workspace --bench preprocess3d` (a `[[bench]]` with `harness = false`).
#![expect(
    clippy::expect_used,
    reason = "a benchmark without its input cannot run"
)]

use clic_runner::volume::preprocess::{apply, labels_to, Interpolation, Orientation, Step};
use clic_runner::volume::{Geometry, Volume};
use std::hint::black_box;
use std::time::{Duration, Instant};

const LIMIT: usize = 1 << 30;

fn ct() -> Volume<f32> {
    let size = [512, 512, 300];
    let data = (0..size[0] * size[1] * size[2])
        .map(|i| {
            let (x, y, z) = (i % 512, (i / 512) % 512, i / (512 * 512));
            let r = ((x as f32 - 256.0).powi(2) + (y as f32 - 256.0).powi(2)).sqrt();
            let body = if r < 200.0 { 40.0 } else { -1000.0 };
            body + ((x * 31 + y * 17 + z * 7) % 64) as f32
        })
        .collect();
    Volume {
        geometry: Geometry {
            size,
            spacing: [0.75, 0.75, 1.0],
            origin: [-192.0, -192.0, -150.0],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        },
        data,
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// The median time of `f` over `n` runs, each on a fresh copy of the input (the copy is
/// not timed).
fn time<T>(n: usize, input: &T, f: impl Fn(T) -> usize) -> Duration
where
    T: Clone,
{
    median(
        (0..n)
            .map(|_| {
                let copy = input.clone();
                let start = Instant::now();
                black_box(f(copy));
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let volume = ct();
    let resample = |interpolation| {
        vec![Step::Resample {
            spacing: [1.5, 1.5, 1.5],
            interpolation,
        }]
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool");
    let threads = rayon::current_num_threads();
    for (name, interpolation) in [
        ("linear", Interpolation::Linear),
        ("nearest", Interpolation::Nearest),
    ] {
        let steps = resample(interpolation);
        let run = |v: Volume<f32>| apply(v, &steps, LIMIT).expect("resample").data.len();
        let all = time(5, &volume, run);
        let single = one.install(|| time(5, &volume, run));
        println!(
            "resample 512x512x300 (0.75x0.75x1.0 mm) to 1.5 mm {name}: {:.1} ms on {threads} threads, {:.1} ms on 1",
            all.as_secs_f64() * 1e3,
            single.as_secs_f64() * 1e3
        );
    }
    let model = apply(volume.clone(), &resample(Interpolation::Nearest), LIMIT).expect("model");
    let labels = Volume {
        geometry: model.geometry.clone(),
        data: model.data.iter().map(|&v| u8::from(v > 0.0)).collect(),
    };
    let target = volume.geometry.clone();
    let back = time(5, &labels, |l| labels_to(&l, &target).data.len());
    println!(
        "labels_to 256x256x200 -> 512x512x300: {:.1} ms on {threads} threads",
        back.as_secs_f64() * 1e3
    );
    let cropped = apply(
        model.clone(),
        &[Step::CropOrPad {
            size: [96, 96, 64],
            fill: -1000.0,
        }],
        LIMIT,
    )
    .expect("crop");
    let small = Volume {
        geometry: cropped.geometry.clone(),
        data: cropped.data.iter().map(|&v| u8::from(v > 0.0)).collect(),
    };
    let back = time(5, &small, |l| labels_to(&l, &target).data.len());
    println!(
        "labels_to 96x96x64 (a crop of the 1.5 mm grid) -> 512x512x300: {:.1} ms on {threads} threads",
        back.as_secs_f64() * 1e3
    );
    let ras = vec![Step::Orient(Orientation::parse("RAS").expect("code"))];
    let orient = time(3, &volume, |v| {
        apply(v, &ras, LIMIT).expect("orient").data.len()
    });
    println!(
        "orient 512x512x300 LPS -> RAS: {:.1} ms",
        orient.as_secs_f64() * 1e3
    );
    let crop = vec![Step::CropOrPad {
        size: [192, 192, 160],
        fill: -1000.0,
    }];
    let cropped = time(3, &volume, |v| {
        apply(v, &crop, LIMIT).expect("crop").data.len()
    });
    println!(
        "crop 512x512x300 -> 192x192x160: {:.1} ms",
        cropped.as_secs_f64() * 1e3
    );
}
