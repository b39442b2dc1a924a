//! The segmentation and agreement metrics against MONAI 1.6.1, pingouin 0.7.0 and scipy
//! 1.17.1 on the fixtures of `tests/data/segmetrics/golden.json` (made by
//! `make_golden.py` beside it; no Python at test time), and the distance transform
//! against brute force.
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_compiler::plan::Value;
use clic_runner::metrics::agreement::{agreement, AgreementError, IccUndefined, Pair};
use clic_runner::metrics::cluster::Resampling;
use clic_runner::metrics::distance::{squared_distance_transform, surface};
use clic_runner::metrics::segmentation::{
    compare, compare_masks, summarize, summarize_structure, CaseMetrics, Emptiness,
};
use clic_runner::stats::{f_quantile, t_quantile};
use clic_runner::volume::{Geometry, Volume};
use proptest::prelude::*;
use std::path::Path;

/// Against the float64 re-implementation of MONAI's definitions.
const F64: f64 = 1e-9;
/// Against MONAI itself, whose distances are float32.
const F32_REL: f64 = 2e-6;

type Json = serde_json::Value;

fn golden() -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/segmetrics/golden.json");
    let text = std::fs::read_to_string(&path).expect("golden file");
    serde_json::from_str(&text).expect("golden JSON")
}

fn num(v: &Json) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn opt(v: &Json) -> Option<f64> {
    v.as_f64()
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

fn close_opt(what: &str, got: Option<f64>, want: Option<f64>, tol: f64) {
    match (got, want) {
        (Some(g), Some(w)) => close(what, g, w, tol),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

fn geometry(case: &Json) -> Geometry {
    let size: Vec<usize> = case["size"]
        .as_array()
        .expect("size")
        .iter()
        .map(|v| v.as_u64().expect("size entry") as usize)
        .collect();
    let spacing: Vec<f64> = case["spacing"]
        .as_array()
        .expect("spacing")
        .iter()
        .map(num)
        .collect();
    Geometry {
        size: [size[0], size[1], size[2]],
        spacing: [spacing[0], spacing[1], spacing[2]],
        origin: [0.0; 3],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    }
}

fn mask(case: &Json, key: &str, voxels: usize) -> Vec<bool> {
    let mut m = vec![false; voxels];
    for i in case[key].as_array().expect("indices") {
        m[i.as_u64().expect("index") as usize] = true;
    }
    m
}

fn case_metrics(case: &Json) -> CaseMetrics {
    let g = geometry(case);
    let r = mask(case, "reference", g.voxels());
    let p = mask(case, "prediction", g.voxels());
    compare_masks(&g, &r, &p, num(&case["nsd_tolerance_mm"])).expect("comparable masks")
}

#[test]
fn masks_match_monai_and_its_float64_twin() {
    let g = golden();
    let cases = g["masks"].as_array().expect("masks");
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let m = case_metrics(case);
        let f = &case["f64"];
        let monai = &case["monai"];
        for (key, got) in [
            ("dice", m.dice),
            ("iou", m.iou),
            ("nsd", m.nsd),
            ("hd95", m.hd95),
            ("assd", m.assd),
        ] {
            close_opt(&format!("{name} {key} (f64)"), got, opt(&f[key]), F64);
            // MONAI gives NaN (null here) where one mask is empty and 1 for Dice and IoU
            // where both are (`ignore_empty=False`): the shared rules leave those out.
            if m.emptiness == Emptiness::Both {
                continue;
            }
            if let Some(want) = opt(&monai[key]) {
                let got = got.unwrap_or_else(|| panic!("{name} {key}: none, MONAI {want}"));
                close(&format!("{name} {key} (MONAI)"), got, want, F32_REL);
            }
        }
        for (key, got) in [
            ("reference_voxels", m.reference_voxels),
            ("predicted_voxels", m.predicted_voxels),
            ("intersection_voxels", m.intersection_voxels),
            ("reference_surface_voxels", m.reference_surface_voxels),
            ("predicted_surface_voxels", m.predicted_surface_voxels),
        ] {
            assert_eq!(Some(got), f[key].as_u64(), "{name} {key}");
        }
        close(
            &format!("{name} reference_ml"),
            m.reference_ml,
            num(&case["reference_ml"]),
            F64,
        );
        close(
            &format!("{name} predicted_ml"),
            m.predicted_ml,
            num(&case["predicted_ml"]),
            F64,
        );
        let (vr, vp) = (num(&case["reference_ml"]), num(&case["predicted_ml"]));
        close(
            &format!("{name} avd"),
            m.abs_volume_difference_ml,
            (vp - vr).abs(),
            F64,
        );
        close_opt(
            &format!("{name} rvd"),
            m.rvd,
            (vr > 0.0).then(|| (vp - vr).abs() / vr),
            F64,
        );
        let want = match name {
            "empty_reference" => Emptiness::Reference,
            "empty_prediction" => Emptiness::Prediction,
            "both_empty" => Emptiness::Both,
            _ => Emptiness::Neither,
        };
        assert_eq!(m.emptiness, want, "{name}");
    }
}

#[test]
fn the_empty_cases_are_typed_and_never_nan() {
    let g = golden();
    let by_name = |n: &str| {
        g["masks"]
            .as_array()
            .expect("masks")
            .iter()
            .find(|c| c["name"] == n)
            .map(case_metrics)
            .expect("case")
    };
    let both = by_name("both_empty");
    assert_eq!(
        (both.dice, both.iou, both.nsd, both.hd95, both.assd, both.rvd),
        (None, None, None, None, None, None)
    );
    let r = by_name("empty_reference");
    assert_eq!(
        (r.dice, r.iou, r.nsd, r.hd95, r.assd, r.rvd),
        (Some(0.0), Some(0.0), Some(0.0), None, None, None)
    );
    assert_eq!(r.reference_surface_voxels, 0);
    assert!(r.predicted_surface_voxels > 0);
    let p = by_name("empty_prediction");
    assert_eq!(
        (p.dice, p.nsd, p.hd95, p.assd, p.rvd),
        (Some(0.0), Some(0.0), None, None, Some(1.0))
    );

    let cases: Vec<(u32, CaseMetrics)> = g["masks"]
        .as_array()
        .expect("masks")
        .iter()
        .enumerate()
        .map(|(i, c)| (i as u32 / 2, case_metrics(c)))
        .collect();
    let s = summarize_structure(&cases, Resampling::default()).expect("summary");
    assert_eq!(
        (s.empty_both, s.empty_reference, s.empty_prediction),
        (1, 1, 1)
    );
    let n = cases.len() as u64;
    assert_eq!(s.dice.as_ref().expect("dice").n, n - 1);
    assert_eq!(s.hd95.as_ref().expect("hd95").n, n - 3);
    assert_eq!(s.rvd.as_ref().expect("rvd").n, n - 2);
    let json = serde_json::to_string(&s).expect("json");
    assert!(!json.contains("NaN"), "{json}");
    let facts = s.fact_fields();
    assert_eq!(facts["empty_both"], Value::Number(1.0));
    let Value::Record(dice) = &facts["dice"] else {
        panic!("dice is not a record: {:?}", facts["dice"]);
    };
    assert_eq!(dice["n"], Value::Number((n - 1) as f64));
    assert!(matches!(&dice["ci95"], Value::Record(ci) if ci.contains_key("method")));
    let only_empty = [cases[5].clone()];
    let none = summarize_structure(&only_empty, Resampling::default()).expect("summary");
    assert_eq!(none.fact_fields()["hd95"], Value::Null);
}

#[test]
fn volumes_on_different_geometries_are_refused() {
    let g = Geometry {
        size: [2, 2, 2],
        spacing: [1.0, 1.0, 2.0],
        origin: [0.0; 3],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };
    let a = Volume {
        geometry: g.clone(),
        data: vec![true; 8],
    };
    let mut h = g.clone();
    h.spacing[2] = 2.5;
    let b = Volume {
        geometry: h,
        data: vec![true; 8],
    };
    assert!(compare(&a, &b, 1.0).is_err());
    assert!(compare(&a, &a, f64::NAN).is_err());
    assert!(compare_masks(&g, &[true; 7], &[true; 8], 1.0).is_err());
    let same = compare(&a, &a, 1.0).expect("same geometry");
    assert_eq!(
        (same.dice, same.hd95, same.nsd),
        (Some(1.0), Some(0.0), Some(1.0))
    );
}

#[test]
fn t_and_f_quantiles_match_scipy() {
    let g = golden();
    for q in g["quantiles"]["t"].as_array().expect("t") {
        let (p, df) = (num(&q["p"]), num(&q["df"]));
        close(
            &format!("t.ppf({p}, {df})"),
            t_quantile(p, df),
            num(&q["q"]),
            1e-10,
        );
    }
    for q in g["quantiles"]["f"].as_array().expect("f") {
        let (p, a, b) = (num(&q["p"]), num(&q["d1"]), num(&q["d2"]));
        close(
            &format!("f.ppf({p}, {a}, {b})"),
            f_quantile(p, a, b),
            num(&q["q"]),
            1e-10,
        );
    }
    assert!(t_quantile(1.0, 3.0).is_nan() && f_quantile(0.5, 0.0, 2.0).is_nan());
}

#[test]
fn agreement_matches_pingouin_and_scipy() {
    let g = golden();
    for set in g["agreement"].as_array().expect("agreement") {
        let name = set["name"].as_str().expect("name");
        let r: Vec<f64> = set["reference"]
            .as_array()
            .expect("r")
            .iter()
            .map(num)
            .collect();
        let p: Vec<f64> = set["predicted"]
            .as_array()
            .expect("p")
            .iter()
            .map(num)
            .collect();
        let pairs: Vec<Pair> = r
            .iter()
            .zip(&p)
            .enumerate()
            .map(|(i, (&reference, &predicted))| Pair {
                cluster: i as u32,
                reference,
                predicted,
            })
            .collect();
        let a = agreement(&pairs, Resampling::default()).expect("agreement");
        let pair = |v: &Json| (num(&v[0]), num(&v[1]));
        for (key, got) in [
            ("bias", a.bias),
            ("sd", a.sd),
            ("loa_low", a.loa_low),
            ("loa_high", a.loa_high),
            ("rmse", a.rmse),
            ("reference_mean", a.reference_mean),
            ("predicted_mean", a.predicted_mean),
        ] {
            close(&format!("{name} {key}"), got, num(&set[key]), 1e-9);
        }
        for (key, got) in [
            ("bias_ci95", &a.bias_ci95),
            ("loa_low_ci95", &a.loa_low_ci95),
            ("loa_high_ci95", &a.loa_high_ci95),
        ] {
            let (lo, hi) = pair(&set[key]);
            close(&format!("{name} {key} low"), got.low, lo, 1e-9);
            close(&format!("{name} {key} high"), got.high, hi, 1e-9);
        }
        let icc = a.icc.as_ref().expect("icc defined");
        close(&format!("{name} icc"), icc.value, num(&set["icc"]), 1e-9);
        let (lo, hi) = pair(&set["icc_ci95"]);
        close(&format!("{name} icc low"), icc.ci95.low, lo, 1e-9);
        close(&format!("{name} icc high"), icc.ci95.high, hi, 1e-9);
        let (plo, phi) = pair(&set["pingouin_icc_ci95"]);
        assert!((icc.ci95.low - plo).abs() <= 0.0051 && (icc.ci95.high - phi).abs() <= 0.0051);
        close(
            &format!("{name} ms_error"),
            icc.ms_error,
            num(&set["ms_error"]),
            1e-9,
        );
        assert!(
            a.rmse_ci95.low <= a.rmse && a.rmse <= a.rmse_ci95.high,
            "{name}: {a:?}"
        );
    }
}

#[test]
fn degenerate_agreement_is_typed() {
    let pair = |cluster, reference, predicted| Pair {
        cluster,
        reference,
        predicted,
    };
    let r = Resampling::default();
    assert_eq!(
        agreement(&[pair(0, 1.0, 2.0)], r),
        Err(AgreementError::TooFewPairs { n: 1 })
    );
    assert!(matches!(
        agreement(&[pair(0, 1.0, f64::NAN), pair(1, 1.0, 1.0)], r),
        Err(AgreementError::NonFinite { index: 0, .. })
    ));
    let same = agreement(
        &[pair(0, 5.0, 5.0), pair(1, 5.0, 5.0), pair(2, 5.0, 5.0)],
        r,
    )
    .expect("ok");
    assert_eq!(same.icc, Err(IccUndefined::NoVariance));
    assert_eq!((same.bias, same.sd, same.rmse), (0.0, 0.0, 0.0));
    let shifted = agreement(
        &[pair(0, 1.0, 3.0), pair(1, 4.0, 6.0), pair(2, 9.0, 11.0)],
        r,
    )
    .expect("ok");
    assert_eq!(shifted.icc, Err(IccUndefined::NoResidualVariance));
    assert_eq!((shifted.loa_low, shifted.loa_high), (2.0, 2.0));
    assert_eq!((shifted.bias_ci95.low, shifted.bias_ci95.high), (2.0, 2.0));
    let json = serde_json::to_string(&shifted).expect("json");
    assert!(!json.contains("NaN"), "{json}");
    let Value::Record(facts) = shifted.fact_value() else {
        panic!("not a record");
    };
    assert_eq!(
        (&facts["icc"], &facts["icc_ci95"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(facts["loa_high"], Value::Number(2.0));
    assert_eq!(facts.len(), 12);
}

#[test]
fn summary_quantiles_match_numpy_and_the_interval_is_clustered() {
    let g = golden();
    let s = &g["summary"];
    let v: Vec<f64> = s["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(num)
        .collect();
    let cases: Vec<(u32, f64)> = v
        .iter()
        .enumerate()
        .map(|(i, &x)| (100 - i as u32, x))
        .collect();
    let r = Resampling::default();
    let sum = summarize(&cases, r).expect("ok").expect("some");
    for (key, got) in [
        ("mean", sum.mean),
        ("median", sum.median),
        ("q1", sum.q1),
        ("q3", sum.q3),
        ("min", sum.min),
        ("max", sum.max),
    ] {
        close(key, got, num(&s[key]), 1e-12);
    }
    assert_eq!((sum.n, sum.clusters), (v.len() as u64, v.len() as u32));
    assert!(
        sum.ci95.low < sum.mean && sum.mean < sum.ci95.high,
        "{sum:?}"
    );
    // Two identical cases per patient: the patient means, hence every resampled mean,
    // are unchanged, so the interval must be too (a case-level bootstrap would narrow it).
    let doubled: Vec<(u32, f64)> = cases.iter().flat_map(|&c| [c, c]).collect();
    let d = summarize(&doubled, r).expect("ok").expect("some");
    assert_eq!(d.n, 2 * sum.n);
    close("doubled low", d.ci95.low, sum.ci95.low, 1e-12);
    close("doubled high", d.ci95.high, sum.ci95.high, 1e-12);
    // Input order does not matter.
    let mut rev = cases.clone();
    rev.reverse();
    assert_eq!(summarize(&rev, r).expect("ok"), Some(sum));
    assert_eq!(summarize(&[], r).expect("ok"), None);
    assert!(summarize(&[(0, f64::INFINITY)], r).is_err());
}

fn brute(features: &[bool], size: [usize; 3], spacing: [f64; 3]) -> Vec<f64> {
    let [nx, ny, _] = size;
    let coords = |j: usize| [j % nx, (j / nx) % ny, j / (nx * ny)];
    (0..features.len())
        .map(|i| {
            let a = coords(i);
            features
                .iter()
                .enumerate()
                .filter(|(_, &f)| f)
                .map(|(j, _)| {
                    let b = coords(j);
                    (0..3)
                        .map(|k| {
                            let d = (a[k] as f64 - b[k] as f64) * spacing[k];
                            d * d
                        })
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn distance_transform_equals_brute_force(
        nx in 1usize..7, ny in 1usize..7, nz in 1usize..6,
        sx in 0.3f64..3.0, sy in 0.3f64..3.0, sz in 0.3f64..5.0,
        density in 0.0f64..0.4,
        seed in any::<u64>(),
    ) {
        let n = nx * ny * nz;
        let mut state = seed | 1;
        let features: Vec<bool> = (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 10_000) as f64 / 10_000.0 < density
            })
            .collect();
        let size = [nx, ny, nz];
        let spacing = [sx, sy, sz];
        let got = squared_distance_transform(&features, size, spacing).expect("grid");
        let want = brute(&features, size, spacing);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            if w.is_infinite() {
                prop_assert!(g.is_infinite(), "voxel {}: {} vs inf", i, g);
            } else {
                prop_assert!((g - w).abs() <= 1e-9 * w.max(1.0), "voxel {}: {} vs {}", i, g, w);
            }
        }
        // The surface is the mask minus its 6-connected erosion (border outside).
        let s = surface(&features, size).expect("grid");
        for i in 0..n {
            let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
            let inside = |dx: i64, dy: i64, dz: i64| {
                let (a, b, c) = (x as i64 + dx, y as i64 + dy, z as i64 + dz);
                a >= 0 && b >= 0 && c >= 0 && (a as usize) < nx && (b as usize) < ny && (c as usize) < nz
                    && features[a as usize + nx * (b as usize + ny * c as usize)]
            };
            let eroded = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
                .iter()
                .all(|&(a, b, c)| inside(a, b, c));
            prop_assert_eq!(s[i], features[i] && !eroded, "voxel {}", i);
        }
    }
}

/// A liver-sized pair on a 512 x 512 x 300 CT grid: every metric, timed (printed, never
/// asserted) and checked against scipy.
#[test]
#[ignore = "timing only: cargo test --workspace --test segmetrics -- --ignored --nocapture"]
fn liver_sized_pair_is_timed() {
    let g = Geometry {
        size: [512, 512, 300],
        spacing: [0.78, 0.78, 1.5],
        origin: [0.0; 3],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };
    let ellipsoid = |c: [f64; 3], r: [f64; 3]| -> Vec<bool> {
        let mut m = vec![false; g.voxels()];
        for z in 0..300 {
            for y in 0..512 {
                for x in 0..512 {
                    let p = [x as f64 * 0.78, y as f64 * 0.78, z as f64 * 1.5];
                    let q: f64 = (0..3).map(|k| ((p[k] - c[k]) / r[k]).powi(2)).sum();
                    m[x + 512 * (y + 512 * z)] = q <= 1.0;
                }
            }
        }
        m
    };
    // ~1.6 L each, like a liver.
    let r = ellipsoid([180.0, 200.0, 220.0], [95.0, 75.0, 55.0]);
    let p = ellipsoid([184.0, 197.0, 224.0], [92.0, 78.0, 53.0]);
    let start = std::time::Instant::now();
    let m = compare_masks(&g, &r, &p, 2.0).expect("metrics");
    let took = start.elapsed();
    println!(
        "512x512x300 liver-sized pair: {:.2} s for all metrics ({:.0} mL vs {:.0} mL, dice {:.4}, hd95 {:.3} mm)",
        took.as_secs_f64(),
        m.reference_ml,
        m.predicted_ml,
        m.dice.unwrap_or_default(),
        m.hd95.unwrap_or_default()
    );
    // Checked against scipy on the same pair (golden.json's `liver_sized`), never the time.
    let g = golden();
    let want = &g["liver_sized"];
    for (key, got) in [
        ("dice", m.dice),
        ("iou", m.iou),
        ("hd95", m.hd95),
        ("assd", m.assd),
        ("nsd", m.nsd),
    ] {
        close_opt(&format!("liver {key}"), got, opt(&want[key]), F64);
    }
    assert_eq!(
        Some(m.reference_surface_voxels),
        want["reference_surface_voxels"].as_u64()
    );
    assert_eq!(
        Some(m.predicted_surface_voxels),
        want["predicted_surface_voxels"].as_u64()
    );
    close("liver mL", m.reference_ml, num(&want["reference_ml"]), F64);
}
