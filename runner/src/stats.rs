//! Interval estimates shared by the evaluator and the benchmark.

/// The Wilson score 95% interval for `successes` out of `n`. With `n == 0` it is (0, 1).
pub fn wilson95(successes: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    const Z: f64 = 1.959_963_984_540_054;
    let p = successes / n;
    let z2 = Z * Z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z * ((p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()) / denom;
    ((center - half).max(0.0), (center + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden values from statsmodels 0.14.4:
    /// `proportion_confint(k, n, alpha=0.05, method="wilson")`.
    #[test]
    fn wilson_matches_statsmodels() {
        let golden = [
            (
                84.0,
                100.0,
                0.755_797_306_107_297_6,
                0.899_047_115_111_952_1,
            ),
            (0.0, 10.0, 0.0, 0.277_532_799_862_889_26),
            (10.0, 10.0, 0.722_467_200_137_110_6, 1.0),
            (3.0, 7.0, 0.158_219_855_251_469_64, 0.749_541_635_472_342_8),
        ];
        for (k, n, lo, hi) in golden {
            let (l, h) = wilson95(k, n);
            assert!(
                (l - lo).abs() < 1e-12 && (h - hi).abs() < 1e-12,
                "{k}/{n}: ({l}, {h}) vs ({lo}, {hi})"
            );
        }
    }

    #[test]
    fn wilson_edges() {
        assert_eq!(wilson95(0.0, 0.0), (0.0, 1.0));
        let (lo, _) = wilson95(0.0, 10.0);
        assert_eq!(lo, 0.0);
        let (_, hi) = wilson95(10.0, 10.0);
        assert!((hi - 1.0).abs() < 1e-12);
    }
}
