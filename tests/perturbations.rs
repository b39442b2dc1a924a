//! The robustness study's perturbations (runner/src/dicom/perturb.rs) against independent
//! references: the rotation against Pillow's `Image.rotate(..., resample=BILINEAR)` on a
//! float image, the noise's distribution against numpy's normal generator (a two-sample
//! Kolmogorov-Smirnov distance), the JPEG 2000 round trip against Pillow's encoder
//! (`quality_mode="rates"`, the OpenJPEG its wheel bundles: PSNR and codestream size at
//! the same ratio). They need python3 with Pillow (built with OpenJPEG) and numpy: a
//! visible skip without them, a failure under CI.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use clic_runner::dicom::perturb::{jpeg2000_round_trip, rotate, Gauss};
use clic_runner::dicom::{Colour, Image};
use std::io::Write;
use std::process::{Command, Stdio};

fn python_has(modules: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a python script with `input` on its standard input; its standard output.
fn python(script: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python3 ends");
    assert!(
        out.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

const ROTATE: &str = r#"
import sys
from PIL import Image
w, h, deg, fill = sys.stdin.readline().split()
w, h, deg, fill = int(w), int(h), float(deg), float(fill)
vals = [float(v) for v in sys.stdin.readline().split()]
im = Image.new("F", (w, h))
im.putdata(vals)
out = im.rotate(deg, resample=Image.Resampling.BILINEAR, fillcolor=fill)
print(" ".join(repr(v) for v in out.getdata()))
"#;

#[test]
fn the_rotation_is_pillows_bilinear_rotation_about_the_centre() {
    if !common::skip::require(
        "python3 with Pillow",
        python_has("PIL"),
        "pip install pillow",
    ) {
        return;
    }
    for (w, h, deg) in [(37usize, 29usize, 5.0f64), (32, 32, -7.5), (20, 41, 30.0)] {
        // A smooth ramp with texture, so every interpolation weight matters.
        let src: Vec<f64> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                (x * 13.0 + y * 7.0) % 97.0 + (x * y) % 11.0
            })
            .collect();
        let fill = -3.0;
        let ours = rotate(&src, w, h, deg, fill);
        let line: Vec<String> = src.iter().map(f64::to_string).collect();
        let theirs: Vec<f64> = python(
            ROTATE,
            &format!("{w} {h} {deg} {fill}\n{}\n", line.join(" ")),
        )
        .split_whitespace()
        .map(|v| v.parse().expect("a number"))
        .collect();
        assert_eq!(theirs.len(), ours.len());
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        // Pillow computes in float32 (and rounds its matrix to 15 digits).
        assert!(
            worst < 1e-3,
            "{w}x{h} by {deg} degrees: differs from Pillow by {worst}"
        );
    }
}

const NORMAL: &str = r#"
import sys, numpy as np
n = int(sys.stdin.readline())
print(" ".join(repr(float(v)) for v in np.random.default_rng(2026).normal(size=n)))
"#;

#[test]
fn the_noise_is_distributed_as_numpys_standard_normal() {
    if !common::skip::require(
        "python3 with numpy",
        python_has("numpy"),
        "pip install numpy",
    ) {
        return;
    }
    let n = 20_000;
    let mut g = Gauss::new("a scan's sha256");
    let mut ours: Vec<f64> = (0..n).map(|_| g.next()).collect();
    let mut theirs: Vec<f64> = python(NORMAL, &format!("{n}\n"))
        .split_whitespace()
        .map(|v| v.parse().expect("a number"))
        .collect();
    ours.sort_by(f64::total_cmp);
    theirs.sort_by(f64::total_cmp);
    // The two-sample Kolmogorov-Smirnov distance; at 1% the critical value is
    // 1.63 * sqrt(2 / n).
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < ours.len() && j < theirs.len() {
        if ours[i] <= theirs[j] {
            i += 1;
        } else {
            j += 1;
        }
        d = d.max((i as f64 / n as f64 - j as f64 / n as f64).abs());
    }
    let critical = 1.63 * (2.0 / n as f64).sqrt();
    assert!(
        d < critical,
        "KS distance {d} to numpy's normal (critical {critical})"
    );
    // And a generator that is not normal is told apart: uniform deviates, scaled to unit
    // variance, are far from it.
    let mut u = Gauss::new("another");
    let mut uniform: Vec<f64> = (0..n)
        .map(|_| {
            let z = u.next();
            (z.abs().min(3.0) / 3.0 - 0.5) * 12f64.sqrt()
        })
        .collect();
    uniform.sort_by(f64::total_cmp);
    let (mut i, mut j, mut far) = (0usize, 0usize, 0f64);
    while i < uniform.len() && j < theirs.len() {
        if uniform[i] <= theirs[j] {
            i += 1;
        } else {
            j += 1;
        }
        far = far.max((i as f64 / n as f64 - j as f64 / n as f64).abs());
    }
    assert!(
        far > critical,
        "the KS check cannot tell a non-normal sample apart ({far})"
    );
}

/// Pillow's lossy JPEG 2000 round trip of a gray image: `w h ratio mode` (`L` for 8 bits,
/// `I;16` for 16), then the samples; prints the codestream's length, then the decoded
/// samples. The same parameters as clic's: one layer at the ratio, the 9/7 wavelet, a
/// raw codestream (no JP2 boxes), OpenJPEG's defaults otherwise.
const J2K: &str = r#"
import io, sys
from PIL import Image, features
assert features.check("jpg_2000"), "Pillow without OpenJPEG"
w, h, ratio, mode = sys.stdin.readline().split()
w, h, ratio = int(w), int(h), float(ratio)
vals = [int(v) for v in sys.stdin.readline().split()]
im = Image.new(mode, (w, h))
im.putdata(vals)
buf = io.BytesIO()
im.save(buf, "JPEG2000", quality_mode="rates", quality_layers=[ratio], irreversible=True, no_jp2=True)
print(len(buf.getvalue()))
out = Image.open(io.BytesIO(buf.getvalue()))
out.load()
print(" ".join(str(v) for v in out.getdata()))
"#;

fn pillow_has_openjpeg() -> bool {
    python_has("PIL.features; assert PIL.features.check('jpg_2000')")
}

/// PSNR in dB of `b` against `a`, peak the `bits`' range.
fn psnr(a: &[i32], b: &[i32], bits: u32) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(x - y).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    let peak = f64::from((1u32 << bits) - 1);
    10.0 * (peak * peak / mse).log10()
}

#[test]
fn the_jpeg2000_round_trip_matches_pillows_openjpeg_at_the_same_ratio() {
    if !common::skip::require(
        "python3 with Pillow built with OpenJPEG",
        pillow_has_openjpeg(),
        "pip install pillow",
    ) {
        return;
    }
    // Gray images with smooth regions, edges and texture, spanning the full 8 and 16 bits
    // (so that clic's precision, that of the stored range, is Pillow's).
    let (w, h) = (128usize, 96usize);
    let picture = |x: usize, y: usize| -> f64 {
        let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
        let disc = if (fx - 0.4).powi(2) + (fy - 0.5).powi(2) < 0.06 {
            0.35
        } else {
            0.0
        };
        let texture = ((x * 7919 + y * 104_729) % 97) as f64 / 97.0 * 0.1;
        (0.45 * fx + 0.1 * (fy * 9.0).sin() + disc + texture).clamp(0.0, 1.0)
    };
    for (bits, mode) in [(8u32, "L"), (16, "I;16")] {
        let top = f64::from((1u32 << bits) - 1);
        let mut samples: Vec<i32> = (0..w * h)
            .map(|i| (picture(i % w, i / w) * top).round() as i32)
            .collect();
        samples[0] = 0;
        samples[1] = top as i32;
        let image = Image::new(h, w, Colour::Gray, samples.clone()).expect("an image");
        let line: Vec<String> = samples.iter().map(i32::to_string).collect();
        let mut last = f64::INFINITY;
        for ratio in [4.0, 10.0, 25.0] {
            let (ours, our_bytes) = jpeg2000_round_trip(&image, ratio).expect("round trip");
            let ours: Vec<i32> = (0..ours.len())
                .map(|i| ours.stored(i).expect("a sample") as i32)
                .collect();
            let out = python(
                J2K,
                &format!("{w} {h} {ratio} {mode}\n{}\n", line.join(" ")),
            );
            let mut lines = out.lines();
            let their_bytes: usize = lines
                .next()
                .and_then(|l| l.trim().parse().ok())
                .expect("the codestream's length");
            let theirs: Vec<i32> = lines
                .next()
                .expect("the samples")
                .split_whitespace()
                .map(|v| v.parse().expect("an integer"))
                .collect();
            assert_eq!(theirs.len(), samples.len());
            let (p_ours, p_theirs) = (psnr(&samples, &ours, bits), psnr(&samples, &theirs, bits));
            eprintln!(
                "{bits}-bit, ratio {ratio}: clic {p_ours:.3} dB in {our_bytes} bytes, Pillow {p_theirs:.3} dB in {their_bytes} bytes"
            );
            // The same OpenJPEG (2.5.3 built by openjpeg-sys, Pillow's wheel 2.5.x) with
            // the same parameters: the PSNR within 0.1 dB, the size within 2%.
            assert!(
                (p_ours - p_theirs).abs() < 0.1,
                "{bits}-bit at ratio {ratio}: PSNR {p_ours:.3} dB, Pillow's {p_theirs:.3} dB"
            );
            let size = our_bytes as f64 / their_bytes as f64;
            assert!(
                (size - 1.0).abs() < 0.02,
                "{bits}-bit at ratio {ratio}: {our_bytes} bytes, Pillow's {their_bytes}"
            );
            // Lossy, and more so at a higher ratio.
            assert!(
                p_ours.is_finite() && p_ours < last,
                "{p_ours} dB after {last} dB"
            );
            last = p_ours;
        }
    }
}
