use super::*;
use crate::metrics::rank::delong;

fn unit(label: bool, candidate: f64, reference: f64) -> PairedUnit {
    PairedUnit {
        cluster: 0,
        label,
        candidate,
        reference,
    }
}

fn sample() -> Vec<PairedUnit> {
    [
        (true, 0.9, 0.7),
        (true, 0.8, 0.8),
        (true, 0.8, 0.4),
        (true, 0.55, 0.2),
        (true, 0.4, 0.3),
        (false, 0.1, 0.2),
        (false, 0.4, 0.5),
        (false, 0.35, 0.1),
        (false, 0.8, 0.6),
        (false, 0.2, 0.2),
        (false, 0.55, 0.3),
    ]
    .iter()
    .map(|&(l, a, b)| unit(l, a, b))
    .collect()
}

#[test]
fn single_aucs_and_variances_are_rank_rs_delong() {
    let units = sample();
    let t = delong_paired(&units).unwrap();
    let split = |cand: bool, label: bool| -> Vec<f64> {
        units
            .iter()
            .filter(|u| u.label == label)
            .map(|u| if cand { u.candidate } else { u.reference })
            .collect()
    };
    let (auc_a, var_a) = delong(&split(true, true), &split(true, false));
    let (auc_b, var_b) = delong(&split(false, true), &split(false, false));
    assert_eq!((t.auc_candidate, t.auc_reference), (auc_a, auc_b));
    let s = t.covariance.unwrap();
    assert!((s[0][0] - var_a.unwrap()).abs() < 1e-15);
    assert!((s[1][1] - var_b.unwrap()).abs() < 1e-15);
    let test = t.test.unwrap();
    let from_cov = (s[0][0] + s[1][1] - 2.0 * s[0][1]).sqrt();
    assert!((test.se - from_cov).abs() < 1e-14);
    assert!(test.low < t.delta && t.delta < test.high);
    let p = test.p_value.unwrap();
    assert!(p > 0.0 && p < 1.0);
}

#[test]
fn a_model_against_itself_has_no_test_statistic() {
    let units: Vec<PairedUnit> = sample()
        .iter()
        .map(|u| unit(u.label, u.candidate, u.candidate))
        .collect();
    let t = delong_paired(&units).unwrap();
    let test = t.test.unwrap();
    assert_eq!(
        (t.delta, test.se, test.low, test.high),
        (0.0, 0.0, 0.0, 0.0)
    );
    assert_eq!((test.z, test.p_value), (None, None));
}

#[test]
fn degenerate_classes() {
    let one_positive = [
        unit(true, 0.9, 0.2),
        unit(false, 0.1, 0.3),
        unit(false, 0.3, 0.1),
    ];
    let t = delong_paired(&one_positive).unwrap();
    assert_eq!((t.auc_candidate, t.auc_reference), (1.0, 0.5));
    assert_eq!((t.covariance, t.test), (None, None));
    let no_positive = [unit(false, 0.1, 0.3)];
    assert_eq!(
        delong_paired(&no_positive),
        Err(PairedError::ClassAbsent {
            positives: 0,
            negatives: 1
        })
    );
    assert_eq!(
        delong_paired(&[]),
        Err(PairedError::ClassAbsent {
            positives: 0,
            negatives: 0
        })
    );
    let nan = [unit(true, 0.9, f64::NAN), unit(false, 0.1, 0.3)];
    assert!(matches!(
        delong_paired(&nan),
        Err(PairedError::NonFiniteScore { index: 0, .. })
    ));
}

#[test]
fn mcnemar_edges() {
    let none = mcnemar(0, 0);
    assert_eq!(
        (none.exact_p_value, none.chi2, none.chi2_p_value),
        (1.0, None, None)
    );
    let tie = mcnemar(5, 5);
    assert_eq!((tie.exact_p_value, tie.chi2), (1.0, Some(0.1)));
    // 2 P(X <= 3), X ~ Bin(8, 1/2) = 2 · 93/256.
    assert!((mcnemar(3, 5).exact_p_value - 186.0 / 256.0).abs() < 1e-15);
    assert_eq!(mcnemar(5, 3).exact_p_value, mcnemar(3, 5).exact_p_value);
    // (|0 − 30| − 1)² / 30.
    assert_eq!(mcnemar(0, 30).chi2, Some(841.0 / 30.0));
}

#[test]
fn mcnemar_large_counts_do_not_overflow() {
    let far = mcnemar(1, 999_999);
    assert_eq!(far.exact_p_value, 0.0);
    assert_eq!(far.chi2_p_value, Some(0.0));
    let near = mcnemar(499_000, 501_000);
    assert!(
        near.exact_p_value > 0.04 && near.exact_p_value < 0.05,
        "{near:?}"
    );
    let huge = mcnemar(u64::MAX, u64::MAX);
    assert_eq!(huge.exact_p_value, 1.0);
    assert!(huge.chi2.is_some_and(f64::is_finite));
}

#[test]
fn mcnemar_of_calls() {
    let units = sample();
    let op = |t| Operating {
        threshold: t,
        inclusive: true,
    };
    // Positives' calls at 0.5: candidate 1,1,1,1,0; reference 1,1,0,0,0.
    let s = mcnemar_sensitivity(&units, op(0.5), op(0.5));
    assert_eq!((s.b, s.c), (2, 0));
    // Negatives called negative: candidate 1,1,1,0,1,0; reference 1,0,1,0,1,1.
    let t = mcnemar_specificity(&units, op(0.5), op(0.5));
    assert_eq!((t.b, t.c), (1, 1));
    assert_eq!(
        mcnemar_pairs([(true, false), (true, true), (false, true)]).b,
        1
    );
}
