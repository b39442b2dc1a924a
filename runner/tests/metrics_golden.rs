//! The metrics module agrees with scikit-learn, statsmodels and a numpy DeLong on the
//! fixtures of `tests/data/metrics` (made by `make_golden.py`; no Python at test time).
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_runner::metrics::{at_prevalence, compute, Estimate, Metrics, Scored};
use serde_json::Value;
use std::path::Path;

/// Counts, proportions, Wilson bounds, AUC, Brier, ROC.
const TIGHT: f64 = 1e-9;
/// DeLong bounds, ECE and calibration bins, PPV/NPV at prevalence.
const LOOSE: f64 = 1e-6;
/// Rust's 2000-resample bootstrap against numpy's 20000 (different generators): a sanity
/// check of the method, not a golden value.
const BOOTSTRAP: f64 = 0.03;

const FIXTURES: [&str; 5] = [
    "small_ties",
    "synthetic_500",
    "all_negative",
    "threshold_ties",
    "perfect_separation",
];

fn load(name: &str) -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/metrics/{name}.json"));
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn cases(doc: &Value) -> Vec<Scored> {
    let labels = doc["cases"]["labels"].as_array().expect("labels");
    let scores = doc["cases"]["scores"].as_array().expect("scores");
    assert_eq!(labels.len(), scores.len());
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

/// Records the largest difference seen, and fails past `tol`.
struct Check {
    what: String,
    worst: f64,
}

impl Check {
    fn close(&mut self, field: &str, got: f64, want: f64, tol: f64) {
        let d = (got - want).abs();
        assert!(
            d <= tol,
            "{}: {field}: got {got}, want {want} (|d| = {d:e})",
            self.what
        );
        self.worst = self.worst.max(d);
    }

    fn count(&mut self, field: &str, got: u64, want: &Value) {
        assert_eq!(Some(got), want.as_u64(), "{}: {field}", self.what);
    }

    fn wilson(&mut self, field: &str, got: &Estimate, want: &Value) {
        self.close(
            &format!("{field}.value"),
            got.value,
            num(&want["value"]),
            TIGHT,
        );
        self.close(&format!("{field}.low"), got.low, num(&want["low"]), TIGHT);
        self.close(
            &format!("{field}.high"),
            got.high,
            num(&want["high"]),
            TIGHT,
        );
        self.count(&format!("{field}.n"), got.n, &want["n"]);
        self.count(
            &format!("{field}.successes"),
            got.successes.expect("successes"),
            &want["successes"],
        );
        assert_eq!(
            got.method,
            want["method"].as_str().expect("method"),
            "{}: {field}",
            self.what
        );
    }
}

/// Checks one operating point; returns the largest differences seen (tight, loose, bootstrap).
fn check_run(fixture: &str, cases: &[Scored], run: &Value) -> (f64, f64, f64) {
    let threshold = num(&run["threshold"]);
    let inclusive = run["inclusive"].as_bool().expect("inclusive");
    let m = compute(cases, threshold, inclusive);
    let mut c = Check {
        what: format!("{fixture} @ {threshold} inclusive={inclusive}"),
        worst: 0.0,
    };
    let mut loose = Check {
        what: c.what.clone(),
        worst: 0.0,
    };

    for (field, got) in [
        ("n", m.n),
        ("positives", m.positives),
        ("negatives", m.negatives),
        ("tp", m.tp),
        ("fp", m.fp),
        ("tn", m.tn),
        ("fn", m.fn_),
    ] {
        c.count(field, got, &run[field]);
    }
    c.wilson("sensitivity", &m.sensitivity, &run["sensitivity"]);
    c.wilson("specificity", &m.specificity, &run["specificity"]);
    c.wilson("ppv", &m.ppv, &run["ppv"]);
    c.wilson("npv", &m.npv, &run["npv"]);
    c.wilson("accuracy", &m.accuracy, &run["accuracy"]);
    c.close("f1", m.f1.value, num(&run["f1"]), TIGHT);
    c.close("brier", m.brier, num(&run["brier"]), TIGHT);

    // F1 bootstrap: brackets the estimate, is deterministic, is near numpy's.
    assert_eq!(m.f1.method, "bootstrap-percentile");
    assert!(
        m.f1.low <= m.f1.value && m.f1.value <= m.f1.high,
        "{}: {:?}",
        c.what,
        m.f1
    );
    assert_eq!(
        compute(cases, threshold, inclusive).f1,
        m.f1,
        "{}: bootstrap",
        c.what
    );
    let reference = &run["f1_bootstrap_reference"];
    let boot = (m.f1.low - num(&reference["low"]))
        .abs()
        .max((m.f1.high - num(&reference["high"])).abs());
    assert!(boot < BOOTSTRAP, "{}: f1 {:?} vs {reference}", c.what, m.f1);

    // AUC: value tight, DeLong bounds loose.
    match (&m.auc, run["auc"].is_null()) {
        (None, true) => assert!(m.roc.is_empty(), "{}: ROC without AUC", c.what),
        (Some(auc), false) => {
            c.close("auc", auc.value, num(&run["auc"]["value"]), TIGHT);
            loose.close("auc.low", auc.low, num(&run["auc"]["low"]), LOOSE);
            loose.close("auc.high", auc.high, num(&run["auc"]["high"]), LOOSE);
            assert_eq!(auc.method, "delong");
        }
        (got, _) => panic!("{}: auc {got:?} vs {}", c.what, run["auc"]),
    }

    // ROC curve, point by point; the first threshold is +inf (null in the JSON).
    let roc = run["roc"].as_array().expect("roc");
    assert_eq!(m.roc.len(), roc.len(), "{}: ROC length", c.what);
    for (i, (got, want)) in m.roc.iter().zip(roc).enumerate() {
        c.close(&format!("roc[{i}].fpr"), got.fpr, num(&want[0]), TIGHT);
        c.close(&format!("roc[{i}].tpr"), got.tpr, num(&want[1]), TIGHT);
        if want[2].is_null() {
            assert_eq!(got.threshold, f64::INFINITY, "{}: roc[{i}]", c.what);
        } else {
            c.close(
                &format!("roc[{i}].threshold"),
                got.threshold,
                num(&want[2]),
                TIGHT,
            );
        }
    }

    // Calibration.
    loose.close("ece", m.ece.value, num(&run["ece"]), LOOSE);
    let bins = run["calibration"].as_array().expect("calibration");
    assert_eq!(m.calibration.len(), bins.len(), "{}: bins", c.what);
    for (got, want) in m.calibration.iter().zip(bins) {
        c.close("bin.lower", got.lower, num(&want["lower"]), TIGHT);
        c.close("bin.upper", got.upper, num(&want["upper"]), TIGHT);
        c.count("bin.n", got.n, &want["n"]);
        loose.close(
            "bin.mean_score",
            got.mean_score,
            num(&want["mean_score"]),
            LOOSE,
        );
        loose.close(
            "bin.observed_rate",
            got.observed_rate,
            num(&want["observed_rate"]),
            LOOSE,
        );
    }

    // PPV and NPV at the stated prevalence.
    let want = &run["at_prevalence"];
    if want.is_null() {
        assert!(
            at_prevalence(&m, 0.1).is_none(),
            "{}: at_prevalence",
            c.what
        );
    } else {
        let got = at_prevalence(&m, num(&want["prevalence"])).expect("at_prevalence");
        for (field, e) in [("ppv", &got.ppv), ("npv", &got.npv)] {
            c.close(
                &format!("{field}@prev"),
                e.value,
                num(&want[field]["value"]),
                TIGHT,
            );
            loose.close(
                &format!("{field}@prev.low"),
                e.low,
                num(&want[field]["low"]),
                LOOSE,
            );
            loose.close(
                &format!("{field}@prev.high"),
                e.high,
                num(&want[field]["high"]),
                LOOSE,
            );
            assert_eq!(e.method, want[field]["method"].as_str().expect("method"));
        }
    }

    // The whole record survives JSON (numbers to within an ulp or so: serde_json without
    // its `float_roundtrip` feature may misround 17-digit decimals).
    let json = serde_json::to_value(&m).expect("serialize");
    let back: Metrics = serde_json::from_value(json.clone()).expect("deserialize");
    let again = serde_json::to_value(&back).expect("serialize");
    assert!(json_close(&json, &again), "{}: JSON round trip", c.what);
    (c.worst, loose.worst, boot)
}

/// Same shape, same strings and booleans, numbers within relative 1e-15.
fn json_close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            (x - y).abs() <= 1e-15 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_close(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_close(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn metrics_match_reference_tools() {
    let (mut worst_tight, mut worst_loose, mut worst_boot, mut runs) = (0.0f64, 0.0f64, 0.0f64, 0);
    for name in FIXTURES {
        let doc = load(name);
        assert!(doc["source"]
            .as_str()
            .expect("source")
            .contains("scikit-learn"));
        let cases = cases(&doc);
        for run in doc["runs"].as_array().expect("runs") {
            let (t, l, b) = check_run(name, &cases, run);
            worst_boot = worst_boot.max(b);
            worst_tight = worst_tight.max(t);
            worst_loose = worst_loose.max(l);
            runs += 1;
        }
    }
    assert_eq!(runs, 10);
    println!("{runs} runs; largest |difference|: tight fields {worst_tight:e}, loose fields {worst_loose:e}, bootstrap bounds vs numpy {worst_boot:.4}");
}

#[test]
fn inclusive_and_exclusive_differ_on_ties() {
    let doc = load("threshold_ties");
    let cases = cases(&doc);
    let incl = compute(&cases, 0.5, true);
    let excl = compute(&cases, 0.5, false);
    assert!(incl.tp > excl.tp && incl.fp > excl.fp);
    // Threshold-free metrics do not depend on the operating point.
    assert_eq!(incl.auc, excl.auc);
    assert_eq!((incl.brier, incl.ece), (excl.brier, excl.ece));
    assert_eq!(incl.roc, excl.roc);
}

#[test]
fn input_order_does_not_matter() {
    let doc = load("synthetic_500");
    let mut cases = cases(&doc);
    let a = compute(&cases, 0.5, true);
    cases.reverse();
    let b = compute(&cases, 0.5, true);
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_string(&a).expect("serialize"),
        serde_json::to_string(&b).expect("serialize")
    );
}

#[test]
fn perfect_separation_has_a_point_interval() {
    let m = compute(&cases(&load("perfect_separation")), 0.5, true);
    let auc = m.auc.expect("both classes");
    assert_eq!((auc.value, auc.low, auc.high), (1.0, 1.0, 1.0));
}
