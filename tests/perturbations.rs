//! The robustness study's perturbations (runner/src/dicom/perturb.rs) against independent
//! references: the rotation against Pillow's `Image.rotate(..., resample=BILINEAR)` on a
//! float image, the noise's distribution against numpy's normal generator (a two-sample
//! Kolmogorov-Smirnov distance). Both need python3 with Pillow and numpy: a visible skip
//! without them, a failure under CI.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use clic_runner::dicom::perturb::{rotate, Gauss};
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
