//! Unit tests of the metrics module: edge cases, shapes and invariances.

use super::*;

fn cases(v: &[(bool, f64)]) -> Vec<Scored> {
    v.iter()
        .map(|&(label, score)| Scored { label, score })
        .collect()
}

#[test]
fn empty_input() {
    let m = compute(&[], 0.5, true);
    assert_eq!((m.n, m.positives, m.negatives), (0, 0, 0));
    for e in [&m.sensitivity, &m.specificity, &m.ppv, &m.npv, &m.accuracy] {
        assert_eq!((e.value, e.n, e.low, e.high), (0.0, 0, 0.0, 1.0));
        assert_eq!(e.method, "wilson (no cases)");
    }
    assert_eq!((m.f1.low, m.f1.high), (0.0, 1.0));
    assert!(m.auc.is_none() && m.roc.is_empty() && m.calibration.is_empty());
    assert_eq!((m.brier, m.ece.value), (0.0, 0.0));
    assert_eq!((m.ece.low, m.ece.high), (0.0, 1.0));
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<Metrics>(&json).unwrap(), m);
}

#[test]
fn single_class() {
    let m = compute(&cases(&[(true, 0.9), (true, 0.2), (true, 0.6)]), 0.5, true);
    assert_eq!((m.tp, m.fn_, m.fp, m.tn), (2, 1, 0, 0));
    assert!(m.auc.is_none() && m.roc.is_empty());
    assert_eq!(m.specificity.method, "wilson (no cases)");
    assert!((m.sensitivity.value - 2.0 / 3.0).abs() < 1e-15);
    assert!((m.f1.value - 0.8).abs() < 1e-15);
}

#[test]
fn all_same_score() {
    let c = cases(&[(true, 0.4), (false, 0.4), (true, 0.4), (false, 0.4)]);
    let incl = compute(&c, 0.4, true);
    assert_eq!((incl.tp, incl.fp, incl.tn, incl.fn_), (2, 2, 0, 0));
    let excl = compute(&c, 0.4, false);
    assert_eq!((excl.tp, excl.fp, excl.tn, excl.fn_), (0, 0, 2, 2));
    let auc = incl.auc.unwrap();
    assert_eq!(auc.value, 0.5);
    assert_eq!(incl.roc.len(), 2);
    assert_eq!((incl.roc[1].fpr, incl.roc[1].tpr), (1.0, 1.0));
    assert_eq!(incl.calibration.len(), 1);
    assert!((incl.ece.value - 0.1).abs() < 1e-15);
    // F1 is 0/0 when nothing is called positive and no positive is present.
    let none = compute(&cases(&[(false, 0.1), (false, 0.2)]), 0.5, true);
    assert_eq!(none.f1.value, 0.0);
}

#[test]
fn order_does_not_matter() {
    let mut c: Vec<Scored> = (0..97u32)
        .map(|i| Scored {
            label: (i * 7) % 3 == 0,
            score: f64::from((i * 37) % 101) / 100.0,
        })
        .collect();
    let a = compute(&c, 0.5, true);
    c.reverse();
    c.rotate_left(13);
    assert_eq!(compute(&c, 0.5, true), a);
}

#[test]
fn json_shape() {
    let m = compute(&cases(&[(true, 0.8), (false, 0.3)]), 0.5, true);
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["fn"], 0);
    assert!(v.get("fn_").is_none());
    assert!(v["roc"][0]["threshold"].is_null());
    assert_eq!(serde_json::from_value::<Metrics>(v).unwrap(), m);
}

#[test]
fn proportion_value_matches_eval_shape() {
    let e = wilson_estimate(84, 100);
    assert_eq!(proportion_value(&e), crate::eval::proportion(0.84, 100.0));
    let auc = compute(&cases(&[(true, 0.8), (false, 0.3), (true, 0.2)]), 0.5, true)
        .auc
        .unwrap();
    let Value::Record(r) = proportion_value(&auc) else {
        panic!("not a record")
    };
    assert!(!r.contains_key("successes"));
}

#[test]
fn fact_value_keys() {
    let m = compute(&cases(&[(true, 0.8), (false, 0.3)]), 0.5, true);
    let Value::Record(r) = m.fact_value() else {
        panic!("not a record")
    };
    let keys: Vec<&str> = r.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "accuracy",
            "auc",
            "balanced_accuracy",
            "brier",
            "ece",
            "f1",
            "fn",
            "fp",
            "n",
            "negatives",
            "npv",
            "positives",
            "ppv",
            "sensitivity",
            "specificity",
            "threshold",
            "tn",
            "tp"
        ]
    );
}

#[test]
fn try_compute_checks() {
    let bad = cases(&[(true, 0.5), (false, f64::NAN)]);
    assert!(matches!(
        try_compute(&bad, 0.5, true),
        Err(MetricsError::NonFiniteScore { index: 1, .. })
    ));
    let bad = cases(&[(true, 1.5)]);
    assert!(matches!(
        try_compute(&bad, 0.5, true),
        Err(MetricsError::ScoreOutOfRange { index: 0, .. })
    ));
    assert!(try_compute(&[], f64::NAN, true).is_err());
    assert!(try_compute(&cases(&[(true, 1.0), (false, 0.0)]), 0.5, false).is_ok());
    // compute itself neither panics nor stalls on non-finite input.
    let odd = cases(&[
        (true, f64::NAN),
        (false, f64::NAN),
        (true, f64::INFINITY),
        (false, 0.2),
    ]);
    assert_eq!(compute(&odd, 0.5, true).roc.len(), 4);
    assert_eq!(compute(&odd, f64::NAN, true).tp, 0);
}
