//! The perturbations of the robustness study (`robustness { jpeg quality 75 noise 2%
//! rotate 5 degrees }`), applied to a scan's decoded stored samples before the
//! manifest's preprocessing. Each is deterministic: the noise is drawn from a generator
//! seeded by the scan's digest, so a re-run perturbs every scan alike.
//!
//! - **JPEG**: the image mapped linearly from its stored range onto 8 bits, encoded as a
//!   baseline JPEG at the stated quality (`jpeg-encoder`), decoded (`jpeg-decoder`) and
//!   mapped back; so it is quantised to 8 bits as well as compressed, as an 8-bit lossy
//!   export of a 12- or 16-bit image is.
//! - **JPEG 2000**: the samples shifted to start at 0 (the stored minimum) and encoded
//!   as a lossy J2K codestream at the stated compression ratio, at the precision of the
//!   stored range (the bits from its minimum to its maximum, at most 16), then decoded
//!   and shifted back: the ratio is that of the image at that precision
//!   (`components x bits x pixels / 8` bytes) to the codestream's bytes, as OpenJPEG and
//!   Pillow's `quality_mode="rates"` count it. The irreversible 9/7 wavelet, one layer,
//!   OpenJPEG's other defaults ([`j2k`]); so the recompression of a lossy JPEG 2000
//!   export, without the 8-bit quantisation of the JPEG one.
//! - **Noise**: Gaussian, of standard deviation the stated fraction of the stored range
//!   (`max - min`), added to each sample and rounded to the nearest integer.
//! - **Rotation**: about the image's centre by the stated angle (counter-clockwise for
//!   a positive angle, as Pillow's `Image.rotate`), bilinear with Pillow's sampling
//!   (pixel centres at half-integers; a neighbour outside the image is the edge's), the
//!   corners left outside filled with the value displayed black (the stored minimum, the
//!   maximum of a MONOCHROME1 image), rounded to integers.

mod j2k;

use super::Image;
use clic_compiler::plan::Perturbation;

/// The image under `p`; `seed` (the scan's sha256) seeds the noise.
pub fn apply(image: &Image, p: &Perturbation, seed: &str) -> Result<Image, String> {
    let (samples, offset) = image.samples();
    let out: Vec<i32> = match p {
        Perturbation::Jpeg { quality } => jpeg(image, *quality)?,
        Perturbation::Jpeg2000 { ratio } => jpeg2000(image, *ratio)?.0,
        Perturbation::Noise { fraction } => {
            let (lo, hi) = image.sample_range();
            let sigma = fraction * (f64::from(hi) - f64::from(lo));
            let mut g = Gauss::new(seed);
            samples
                .iter()
                .map(|&s| clamp_i32(f64::from(s) + sigma * g.next()))
                .collect()
        }
        Perturbation::Rotate { degrees } => {
            // The corners are filled with the value displayed black: the stored minimum,
            // or the maximum of a MONOCHROME1 image.
            let (lo, hi) = image.sample_range();
            let fill = if image.monochrome1 { hi } else { lo };
            let plane = image.rows * image.columns;
            let mut out = Vec::with_capacity(samples.len());
            for c in 0..image.channels() {
                let src: Vec<f64> = samples[c * plane..(c + 1) * plane]
                    .iter()
                    .map(|&s| f64::from(s))
                    .collect();
                let r = rotate(&src, image.columns, image.rows, *degrees, f64::from(fill));
                out.extend(r.into_iter().map(clamp_i32));
            }
            out
        }
    };
    let _ = offset;
    image.with_samples(out)
}

fn clamp_i32(v: f64) -> i32 {
    v.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// A plane of `w x h` values rotated by `degrees` about its centre, as Pillow's
/// `Image.rotate(degrees, resample=BILINEAR, fillcolor=fill)` on a mode `F` image.
pub fn rotate(src: &[f64], w: usize, h: usize, degrees: f64, fill: f64) -> Vec<f64> {
    let angle = -(degrees % 360.0).to_radians();
    let (cos, sin) = (angle.cos(), angle.sin());
    // Pillow's affine matrix: input = M * output, about the centre (w/2, h/2).
    let (a, b, d, e) = (cos, sin, -sin, cos);
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let c = a * -cx + b * -cy + cx;
    let f = d * -cx + e * -cy + cy;
    let at = |x: isize, y: isize| -> f64 {
        let x = x.clamp(0, w as isize - 1) as usize;
        let y = y.clamp(0, h as isize - 1) as usize;
        src[y * w + x]
    };
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let (ox, oy) = (x as f64 + 0.5, y as f64 + 0.5);
            let xin = a * ox + b * oy + c;
            let yin = d * ox + e * oy + f;
            if xin < 0.0 || xin >= w as f64 || yin < 0.0 || yin >= h as f64 {
                out.push(fill);
                continue;
            }
            let (xs, ys) = (xin - 0.5, yin - 0.5);
            let (x0, y0) = (xs.floor(), ys.floor());
            let (dx, dy) = (xs - x0, ys - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let row = |yy: isize| at(x0, yy) + (at(x0 + 1, yy) - at(x0, yy)) * dx;
            let v1 = row(y0);
            let v2 = if y0 + 1 >= 0 && y0 + 1 < h as isize {
                row(y0 + 1)
            } else {
                v1
            };
            out.push(v1 + (v2 - v1) * dy);
        }
    }
    out
}

/// The image through an 8-bit baseline JPEG at `quality` (1..=100) and back.
fn jpeg(image: &Image, quality: u32) -> Result<Vec<i32>, String> {
    let (samples, _) = image.samples();
    let (lo, hi) = image.sample_range();
    let span = (f64::from(hi) - f64::from(lo)).max(1.0);
    let (w, h) = (image.columns, image.rows);
    let (w16, h16) = (
        u16::try_from(w).map_err(|_| format!("a JPEG holds at most 65535 columns, not {w}"))?,
        u16::try_from(h).map_err(|_| format!("a JPEG holds at most 65535 rows, not {h}"))?,
    );
    let plane = w * h;
    let to8 = |s: i32| ((f64::from(s) - f64::from(lo)) * 255.0 / span).round() as u8;
    let (bytes, colour): (Vec<u8>, jpeg_encoder::ColorType) = if image.channels() == 3 {
        let mut rgb = Vec::with_capacity(plane * 3);
        for i in 0..plane {
            for c in 0..3 {
                rgb.push(to8(samples[c * plane + i]));
            }
        }
        (rgb, jpeg_encoder::ColorType::Rgb)
    } else {
        (
            samples.iter().map(|&s| to8(s)).collect(),
            jpeg_encoder::ColorType::Luma,
        )
    };
    let q = u8::try_from(quality.clamp(1, 100)).unwrap_or(100);
    let mut encoded = Vec::new();
    jpeg_encoder::Encoder::new(&mut encoded, q)
        .encode(&bytes, w16, h16, colour)
        .map_err(|e| format!("JPEG encoding failed: {e}"))?;
    let mut decoder = jpeg_decoder::Decoder::new(encoded.as_slice());
    let decoded = decoder
        .decode()
        .map_err(|e| format!("JPEG decoding failed: {e}"))?;
    if decoded.len() != bytes.len() {
        return Err(format!(
            "the JPEG decoded to {} samples, not {}",
            decoded.len(),
            bytes.len()
        ));
    }
    let back = |v: u8| clamp_i32(f64::from(lo) + f64::from(v) * span / 255.0);
    Ok(if image.channels() == 3 {
        let mut out = vec![0; plane * 3];
        for i in 0..plane {
            for c in 0..3 {
                out[c * plane + i] = back(decoded[i * 3 + c]);
            }
        }
        out
    } else {
        decoded.into_iter().map(back).collect()
    })
}

/// The image through a lossy JPEG 2000 round trip at `ratio` (uncompressed bytes at the
/// stored range's precision over the codestream's bytes, > 1), and the codestream's
/// length in bytes: what `jpeg2000 ratio R` does to a scan.
pub fn jpeg2000_round_trip(image: &Image, ratio: f64) -> Result<(Image, usize), String> {
    let (samples, bytes) = jpeg2000(image, ratio)?;
    Ok((image.with_samples(samples)?, bytes))
}

fn jpeg2000(image: &Image, ratio: f64) -> Result<(Vec<i32>, usize), String> {
    if !(ratio.is_finite() && ratio > 1.0) {
        return Err(format!(
            "a JPEG 2000 compression ratio is above 1, not {ratio}"
        ));
    }
    let (samples, _) = image.samples();
    let (lo, hi) = image.sample_range();
    let span = i64::from(hi) - i64::from(lo);
    let precision = (64 - span.leading_zeros()).max(1);
    if precision > 16 {
        return Err(format!(
            "JPEG 2000 recompression takes a stored range of at most 16 bits; this image spans {precision} bits ({lo} to {hi})"
        ));
    }
    let shifted: Vec<i32> = samples.iter().map(|&s| s - lo).collect();
    let (decoded, bytes) = j2k::round_trip(
        &j2k::Planes {
            samples: &shifted,
            width: image.columns,
            height: image.rows,
            channels: image.channels(),
            precision,
        },
        ratio,
    )?;
    Ok((decoded.into_iter().map(|s| s + lo).collect(), bytes))
}

/// Standard normal deviates from a splitmix64 stream seeded by a text (Box-Muller).
pub struct Gauss {
    state: u64,
    spare: Option<f64>,
}

impl Gauss {
    /// The stream of `seed` (a scan's digest): the same seed gives the same deviates.
    pub fn new(seed: &str) -> Self {
        let digest = crate::facts::artifact::sha256_hex(seed.as_bytes());
        let state = u64::from_str_radix(&digest[..16], 16).unwrap_or(0x9e37_79b9_7f4a_7c15);
        Self { state, spare: None }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform deviate in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// The next standard normal deviate.
    #[expect(
        clippy::should_implement_trait,
        reason = "an endless stream, not an iterator"
    )]
    pub fn next(&mut self) -> f64 {
        if let Some(s) = self.spare.take() {
            return s;
        }
        let (u, v) = (self.uniform(), self.uniform());
        let r = (-2.0 * u.ln()).sqrt();
        let t = std::f64::consts::TAU * v;
        self.spare = Some(r * t.sin());
        r * t.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dicom::pixels::Colour;

    fn gray(w: usize, h: usize, f: impl Fn(usize, usize) -> i32) -> Image {
        let samples = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y));
        Image::new(h, w, Colour::Gray, samples.collect()).expect("an image")
    }

    /// The normal CDF (Abramowitz and Stegun 7.1.26 for erf, |error| < 1.5e-7).
    fn phi(x: f64) -> f64 {
        let z = x.abs() / std::f64::consts::SQRT_2;
        let t = 1.0 / (1.0 + 0.327_591_1 * z);
        let poly = t
            * (0.254_829_592
                + t * (-0.284_496_736
                    + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
        let erf = 1.0 - poly * (-z * z).exp();
        0.5 * (1.0 + if x < 0.0 { -erf } else { erf })
    }

    #[test]
    fn noise_is_gaussian_of_the_stated_fraction_of_the_range_and_the_same_for_a_seed() {
        // A flat image at 2000 within a range of 0..4000: sigma is 2% of 4000 = 80.
        let mut img = gray(200, 200, |_, _| 2000);
        img = img
            .with_samples({
                let mut s = vec![2000; 40_000];
                s[0] = 0;
                s[1] = 4000;
                s
            })
            .expect("image");
        let p = Perturbation::Noise { fraction: 0.02 };
        let a = apply(&img, &p, "scan-a").expect("noise");
        assert_eq!(
            a,
            apply(&img, &p, "scan-a").expect("noise"),
            "not deterministic"
        );
        assert_ne!(
            a,
            apply(&img, &p, "scan-b").expect("noise"),
            "the seed does not matter"
        );
        let (samples, _) = a.samples();
        let d: Vec<f64> = samples[2..]
            .iter()
            .map(|&s| f64::from(s) - 2000.0)
            .collect();
        let n = d.len() as f64;
        let mean = d.iter().sum::<f64>() / n;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(mean.abs() < 1.5, "mean {mean}");
        assert!((sd - 80.0).abs() < 1.0, "sd {sd}");
        // Kolmogorov-Smirnov against N(0, 80) (rounding moves a value by at most 0.5):
        // at 1% the critical distance is 1.63 / sqrt(n).
        let mut z: Vec<f64> = d.iter().map(|x| x / 80.0).collect();
        z.sort_by(f64::total_cmp);
        let ks = z
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = phi(x);
                (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
            })
            .fold(0.0, f64::max);
        // Rounded deviates step by 1/80 sd: the ECDF jumps add up to phi's slope * 1/80.
        assert!(ks < 1.63 / n.sqrt() + 0.4 / 80.0, "KS distance {ks}");
    }

    #[test]
    fn a_rotation_by_zero_is_the_image_and_by_ninety_turns_it_counter_clockwise() {
        let img = gray(4, 4, |x, y| (y * 4 + x) as i32 * 10);
        let same = apply(&img, &Perturbation::Rotate { degrees: 0.0 }, "s").expect("rotate");
        assert_eq!(same, img);
        let r = rotate(
            &(0..16).map(f64::from).collect::<Vec<_>>(),
            4,
            4,
            90.0,
            -1.0,
        );
        // Counter-clockwise: the top row becomes the left column, read bottom to top.
        let left: Vec<f64> = (0..4).map(|y| r[y * 4]).collect();
        for (got, want) in left.iter().zip([3.0, 2.0, 1.0, 0.0]) {
            assert!((got - want).abs() < 1e-9, "{left:?}");
        }
    }

    #[test]
    fn jpeg_loses_detail_and_loses_less_at_a_higher_quality() {
        let img = gray(64, 64, |x, y| {
            ((x * 37 + y * 11) % 97) as i32 * 40 + (x as i32) * 8
        });
        let err = |q: u32| {
            let out = apply(&img, &Perturbation::Jpeg { quality: q }, "s").expect("jpeg");
            let (a, _) = img.samples();
            let (b, _) = out.samples();
            (a.iter()
                .zip(b)
                .map(|(x, y)| f64::from(x - y).powi(2))
                .sum::<f64>()
                / a.len() as f64)
                .sqrt()
        };
        let (low, high) = (err(30), err(95));
        assert!(low > 0.0 && high > 0.0, "lossless? {low} {high}");
        assert!(
            low > high,
            "quality 30 ({low}) is no worse than 95 ({high})"
        );
    }
    fn rmse(a: &Image, b: &Image) -> f64 {
        let (x, _) = a.samples();
        let (y, _) = b.samples();
        (x.iter()
            .zip(y)
            .map(|(p, q)| f64::from(p - q).powi(2))
            .sum::<f64>()
            / x.len() as f64)
            .sqrt()
    }

    /// A 12-bit image with edges and texture, 96 x 80.
    fn twelve_bit() -> Image {
        gray(96, 80, |x, y| {
            let ramp = (x * 30 + y * 12) as i32;
            let disc = if (x as i32 - 40).pow(2) + (y as i32 - 38).pow(2) < 400 {
                1200
            } else {
                0
            };
            (ramp + disc + ((x * 7919 + y * 104_729) % 257) as i32).min(4095)
        })
    }

    #[test]
    fn jpeg2000_meets_its_ratio_and_loses_more_at_a_higher_one() {
        let img = twelve_bit();
        let raw = 96 * 80 * 12 / 8;
        let mut last = 0.0;
        for ratio in [5.0, 10.0, 20.0, 40.0] {
            let (out, bytes) = jpeg2000_round_trip(&img, ratio).expect("round trip");
            let achieved = raw as f64 / bytes as f64;
            // OpenJPEG's rate control stops at or under the target (headers counted).
            assert!(
                achieved >= ratio * 0.97 && achieved < ratio * 1.6,
                "ratio {ratio}: {bytes} bytes of {raw}, {achieved:.2}:1"
            );
            let e = rmse(&img, &out);
            assert!(e > last, "ratio {ratio}: rmse {e} not above {last}");
            last = e;
            let (lo, hi) = out.sample_range();
            assert!(
                lo >= 0 && hi <= 4095,
                "outside the stored range: {lo}..{hi}"
            );
        }
        assert_eq!(
            apply(&img, &Perturbation::Jpeg2000 { ratio: 10.0 }, "a"),
            apply(&img, &Perturbation::Jpeg2000 { ratio: 10.0 }, "b"),
            "not deterministic"
        );
    }

    #[test]
    fn jpeg2000_keeps_an_offset_range_small_and_colour_images_and_refuses_what_it_cannot() {
        // A signed range far from 0 is shifted, not clipped.
        let img = gray(40, 30, |x, y| -2000 + (x * 20 + y * 9) as i32);
        let (out, _) = jpeg2000_round_trip(&img, 8.0).expect("round trip");
        assert!(rmse(&img, &out) < 30.0, "rmse {}", rmse(&img, &out));
        // Images smaller than the six resolutions need.
        for (w, h) in [(1, 1), (3, 2), (17, 5)] {
            let img = gray(w, h, |x, y| (x * 50 + y * 30) as i32);
            jpeg2000_round_trip(&img, 2.0).expect("a small image");
        }
        // RGB, planar.
        let plane = 32 * 24;
        let rgb = Image::new(
            24,
            32,
            Colour::Rgb,
            (0..plane * 3).map(|i| ((i * 37) % 256) as i32).collect(),
        )
        .expect("rgb");
        let (out, _) = jpeg2000_round_trip(&rgb, 4.0).expect("rgb round trip");
        assert_eq!(out.len(), plane * 3);
        // A ratio of 1 or less, or a range over 16 bits.
        assert!(jpeg2000_round_trip(&img, 1.0).is_err());
        let wide = gray(8, 8, |x, _| if x == 0 { 0 } else { 70_000 });
        let e = jpeg2000_round_trip(&wide, 10.0).expect_err("17 bits");
        assert!(e.contains("16 bits"), "{e}");
    }
}
