//! The CT segmentation example (`examples/ct-segmentation`: 24 series of 16 patients,
//! liver and spleen, reference masks as DICOM SEG and NIfTI) benchmarked by clic agrees
//! with an independent computation of the same figures: the example's
//! `model/reference-metrics.json`, made by `tools/metrics.py` from onnxruntime's output
//! of numpy/scipy preprocessing, with MONAI's metrics (Dice, IoU, surface Dice, HD95,
//! ASSD) and pingouin's ICC.
//!
//! Every case's metrics are compared (as sorted lists per structure and metric: the
//! evidence names cases by keyed pseudonyms, the reference by UID), then each summary's
//! mean, median and quartiles. The bootstrap intervals come from two generators (clic's
//! seeded cluster draws, numpy's), so they are compared within the resampling noise only.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, copy_tree, root, text};
use serde_json::Value;

/// MONAI computes in float32 (its distances are float32 of spacings like 6.86 mm); clic
/// in f64.
const CLOSE: f64 = 2e-5;

fn f(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: {v} is not a number"))
}

fn near(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!(
        (got - want).abs() <= tolerance * want.abs().max(1.0),
        "{what}: clic {got}, reference {want}"
    );
}

fn bench_json(dir: &std::path::Path) -> Value {
    let run = clic()
        .args(["bench", "--format", "json"])
        .arg(dir)
        .output()
        .expect("clic runs");
    assert!(run.status.success(), "{}", text(&run));
    serde_json::from_slice(&run.stdout).expect("JSON")
}

#[test]
fn the_ct_example_matches_monai_and_pingouin() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("examples/ct-segmentation/model/reference-metrics.json"),
        )
        .expect("reference metrics"),
    )
    .expect("reference JSON");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("ct-segmentation");
    copy_tree(&root().join("examples/ct-segmentation"), &dir);
    let out = bench_json(&dir);
    let seg = &out["segmentation"];
    let cases = seg["cases"].as_array().expect("cases");
    let want_cases = golden["reference"]["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), want_cases.len());
    let structures = seg["structures"].as_array().expect("structures");
    for (k, name) in structures.iter().enumerate() {
        let name = name.as_str().expect("name");
        // Per case, as sorted lists.
        for (metric, theirs) in [
            ("dice", "dice"),
            ("iou", "iou"),
            ("nsd", "nsd_2mm"),
            ("hd95", "hd95"),
            ("assd", "assd"),
            ("rvd", "rvd"),
            ("reference_ml", "volume_ref_ml"),
            ("predicted_ml", "volume_pred_ml"),
        ] {
            let mut got: Vec<f64> = cases
                .iter()
                .map(|c| f(&c["metrics"][k][metric], &format!("{name} {metric}")))
                .collect();
            let mut want: Vec<f64> = want_cases
                .iter()
                .map(|c| f(&c[name][theirs], &format!("reference {name} {theirs}")))
                .collect();
            got.sort_by(f64::total_cmp);
            want.sort_by(f64::total_cmp);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                near(
                    *g,
                    *w,
                    CLOSE,
                    &format!("{name} {metric} (case {i} in order)"),
                );
            }
        }
        // The summaries.
        let summary = &seg["summaries"][k]["summary"];
        let want = &golden["reference"]["summary"][name];
        for (metric, theirs) in [
            ("dice", "dice"),
            ("iou", "iou"),
            ("nsd", "nsd_2mm"),
            ("hd95", "hd95"),
            ("assd", "assd"),
            ("rvd", "rvd"),
        ] {
            for q in ["mean", "median", "q1", "q3", "min", "max"] {
                near(
                    f(&summary[metric][q], q),
                    f(&want[theirs][q], q),
                    CLOSE,
                    &format!("{name} {metric} {q}"),
                );
            }
            assert_eq!(summary[metric]["n"], want[theirs]["n"], "{name} {metric} n");
            // Two bootstraps of the same clusters: within a tenth of the interval's width.
            let (lo, hi) = (
                f(&want[theirs]["ci95"]["low"], "low"),
                f(&want[theirs]["ci95"]["high"], "high"),
            );
            let slack = 0.1 * (hi - lo);
            for (end, w) in [("low", lo), ("high", hi)] {
                let g = f(&summary[metric]["ci95"][end], end);
                assert!(
                    (g - w).abs() <= slack,
                    "{name} {metric} ci95.{end}: clic {g}, reference {w} (slack {slack})"
                );
            }
        }
        for q in ["empty_both", "empty_reference", "empty_prediction", "cases"] {
            assert_eq!(summary[q], want[q], "{name} {q}");
        }
        // The volumes' agreement: Bland–Altman and ICC(A,1) are closed forms.
        let v = &seg["summaries"][k]["volume"];
        let wv = &want["volume"];
        for q in ["bias", "sd", "loa_low", "loa_high"] {
            near(
                f(&v[q], q),
                f(&wv[q], q),
                1e-6,
                &format!("{name} volume {q}"),
            );
        }
        near(
            f(&v["rmse"], "rmse"),
            f(&wv["rmse"], "rmse"),
            1e-6,
            &format!("{name} RMSE"),
        );
        let icc = &v["icc"]["Ok"];
        near(
            f(&icc["value"], "icc"),
            f(&wv["icc"], "icc"),
            1e-6,
            &format!("{name} ICC(A,1)"),
        );
        // pingouin rounds its F interval to two digits.
        for (end, i) in [("low", 0), ("high", 1)] {
            let (g, w) = (f(&icc["ci95"][end], end), f(&wv["icc_ci95_F"][i], end));
            assert!(
                (g - w).abs() <= 0.005 + 1e-9,
                "{name} ICC ci95.{end}: clic {g}, pingouin {w}"
            );
        }
    }
}
