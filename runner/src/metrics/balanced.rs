//! Balanced accuracy, (sensitivity + specificity) / 2, with a MOVER-Wilson 95% interval.
//!
//! Sensitivity and specificity are proportions of disjoint sets of cases (the positives
//! and the negatives), so they are independent, and the interval of their mean follows
//! from their own Wilson intervals by MOVER, the method of variance estimates recovery
//! (G. Y. Zou and A. Donner, "Construction of confidence limits about effect measures: a
//! general approach", Statistics in Medicine 27(10):1693-1702, 2008; R. G. Newcombe,
//! Statistics in Medicine 17(8):873-890, 1998, for the difference of two proportions).
//! For `θ = (p₁ + p₂) / 2` with Wilson limits `(l₁, u₁)` and `(l₂, u₂)`:
//!
//! ```text
//! low  = (p₁ + p₂ − √((p₁ − l₁)² + (p₂ − l₂)²)) / 2
//! high = (p₁ + p₂ + √((u₁ − p₁)² + (u₂ − p₂)²)) / 2
//! ```
//!
//! It keeps the Wilson interval's good coverage near 0 and 1, where the Wald interval of
//! the mean does not, and it stays inside 0..1: `low >= (l₁ + l₂) / 2 >= 0` and
//! `high <= (u₁ + u₂) / 2 <= 1`.

use super::Estimate;

/// The interval method, as the estimate's `method` reads.
pub(super) const METHOD: &str = "mover-wilson";

/// Balanced accuracy from the sensitivity and specificity estimates; none when either
/// class is absent (one of the two is then undefined, as the AUC is).
pub(super) fn estimate(sensitivity: &Estimate, specificity: &Estimate) -> Option<Estimate> {
    if sensitivity.n == 0 || specificity.n == 0 {
        return None;
    }
    let (p1, p2) = (sensitivity.value, specificity.value);
    let below = (p1 - sensitivity.low).hypot(p2 - specificity.low);
    let above = (sensitivity.high - p1).hypot(specificity.high - p2);
    Some(Estimate {
        value: (p1 + p2) / 2.0,
        n: sensitivity.n + specificity.n,
        successes: None,
        low: ((p1 + p2 - below) / 2.0).max(0.0),
        high: ((p1 + p2 + above) / 2.0).min(1.0),
        method: METHOD.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::wilson_estimate;

    #[test]
    fn mean_of_the_two_within_their_limits() {
        let (se, sp) = (wilson_estimate(83, 102), wilson_estimate(204, 207));
        let b = estimate(&se, &sp).unwrap();
        assert!((b.value - (83.0 / 102.0 + 204.0 / 207.0) / 2.0).abs() < 1e-15);
        assert_eq!((b.n, b.successes, b.method.as_str()), (309, None, METHOD));
        // Narrower than averaging the limits, wider than neither.
        assert!((se.low + sp.low) / 2.0 <= b.low && b.low < b.value);
        assert!(b.value < b.high && b.high <= (se.high + sp.high) / 2.0);
    }

    #[test]
    fn undefined_without_both_classes_and_bounded_at_the_edges() {
        let none = wilson_estimate(0, 0);
        assert!(estimate(&none, &wilson_estimate(3, 4)).is_none());
        assert!(estimate(&wilson_estimate(3, 4), &none).is_none());
        let perfect = estimate(&wilson_estimate(5, 5), &wilson_estimate(7, 7)).unwrap();
        assert_eq!((perfect.value, perfect.high), (1.0, 1.0));
        assert!(perfect.low > 0.5 && perfect.low < 1.0);
        let zero = estimate(&wilson_estimate(0, 5), &wilson_estimate(0, 7)).unwrap();
        assert_eq!((zero.value, zero.low), (0.0, 0.0));
    }
}
