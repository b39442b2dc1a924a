//! The balanced accuracy agrees with scikit-learn's `balanced_accuracy_score`, and its
//! MOVER-Wilson interval with one computed from statsmodels' Wilson intervals, on the
//! fixtures of `tests/data/metrics` (`balanced_accuracy.json`, made by
//! `make_balanced.py` from the cases of `metrics_golden.rs`; no Python at test time).
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use clic_runner::metrics::{compute, Scored};
use serde_json::Value;
use std::path::Path;

/// Values and Wilson-derived bounds: the same arithmetic in another language.
const TIGHT: f64 = 1e-9;

fn load(name: &str) -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/metrics/{name}.json"));
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn cases(doc: &Value) -> Vec<Scored> {
    let labels = doc["cases"]["labels"].as_array().expect("labels");
    let scores = doc["cases"]["scores"].as_array().expect("scores");
    labels
        .iter()
        .zip(scores)
        .map(|(l, s)| Scored {
            label: l.as_u64().expect("label 0/1") == 1,
            score: s.as_f64().expect("score"),
        })
        .collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

#[test]
fn balanced_accuracy_matches_scikit_learn() {
    let golden = load("balanced_accuracy");
    assert!(golden["source"]
        .as_str()
        .expect("source")
        .contains("balanced_accuracy_score"));
    let (mut runs, mut undefined, mut worst) = (0, 0, 0.0f64);
    for (name, fixture_runs) in golden["fixtures"].as_object().expect("fixtures") {
        let cases = cases(&load(name));
        for run in fixture_runs.as_array().expect("runs") {
            let threshold = num(&run["threshold"]);
            let inclusive = run["inclusive"].as_bool().expect("inclusive");
            let what = format!("{name} @ {threshold} inclusive={inclusive}");
            let m = compute(&cases, threshold, inclusive);
            runs += 1;
            let want = &run["balanced_accuracy"];
            let Some(got) = &m.balanced_accuracy else {
                assert!(want.is_null(), "{what}: none, want {want}");
                undefined += 1;
                continue;
            };
            assert!(!want.is_null(), "{what}: {got:?}, want none");
            for (field, g, w) in [
                ("value", got.value, &want["value"]),
                ("low", got.low, &want["low"]),
                ("high", got.high, &want["high"]),
            ] {
                let d = (g - num(w)).abs();
                assert!(d <= TIGHT, "{what}: {field}: got {g}, want {w}");
                worst = worst.max(d);
            }
            assert_eq!(Some(got.n), want["n"].as_u64(), "{what}: n");
            assert_eq!(got.successes, None, "{what}: not a count ratio");
            assert_eq!(got.method, want["method"].as_str().expect("method"));
            // It is the mean of the two estimates it is made from.
            let mean = (m.sensitivity.value + m.specificity.value) / 2.0;
            assert!((got.value - mean).abs() < 1e-15, "{what}");
        }
    }
    assert_eq!((runs, undefined), (10, 1));
    println!("{runs} runs ({undefined} with one class); largest |difference| {worst:e}");
}
