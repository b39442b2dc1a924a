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

    /// Reference: statsmodels.stats.proportion.proportion_confint(84, 100, method="wilson")
    /// = (0.7557901, 0.8990466).
    #[test]
    fn wilson_matches_statsmodels() {
        let (lo, hi) = wilson95(84.0, 100.0);
        assert!((lo - 0.755_790_1).abs() < 1e-6, "{lo}");
        assert!((hi - 0.899_046_6).abs() < 1e-6, "{hi}");
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
