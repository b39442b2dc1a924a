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

/// `ln Γ(x)` for `x > 0`: the Lanczos approximation (g = 7, 9 terms; relative error
/// near 1e-15), with Γ(x) = Γ(x + 1) / x below 0.5.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return ln_gamma(x + 1.0) - x.ln();
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function `I_x(a, b)` for `a, b > 0`, `x` in 0..1:
/// the continued fraction (modified Lentz), on the side of `(a + 1) / (a + b + 2)` where
/// it converges fast. NaN for arguments outside those ranges.
pub fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if x == 0.0 || x == 1.0 {
        return x;
    }
    let front = |x: f64, a: f64, b: f64| {
        (a * x.ln() + b * (1.0 - x).ln() + ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b)).exp()
    };
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - front(x, a, b) * beta_fraction(1.0 - x, b, a) / b;
    }
    front(x, a, b) * beta_fraction(x, a, b) / a
}

/// The continued fraction of the incomplete beta function (Numerical Recipes' `betacf`).
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The `x` in 0..1 with `I_x(a, b) = p`, by bisection to the last bit (`I_x` is
/// increasing in `x`).
fn inverse_incomplete_beta(p: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if regularized_incomplete_beta(mid, a, b) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The `p` quantile of Student's t distribution with `df > 0` degrees of freedom
/// (scipy's `t.ppf`); NaN when `p` is outside (0, 1) or `df` is not positive.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df > 0.0) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    // P(|T| > t) = I_{df / (df + t²)}(df / 2, 1 / 2).
    let tail = 2.0 * p.min(1.0 - p);
    let x = inverse_incomplete_beta(tail, 0.5 * df, 0.5);
    let t = (df * (1.0 - x) / x).sqrt();
    if p > 0.5 {
        t
    } else {
        -t
    }
}

/// The `p` quantile of the F distribution with `d1, d2 > 0` degrees of freedom (scipy's
/// `f.ppf`; non-integer degrees of freedom allowed); NaN outside those ranges.
pub fn f_quantile(p: f64, d1: f64, d2: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && d1 > 0.0 && d2 > 0.0) {
        return f64::NAN;
    }
    // P(F <= f) = I_{d1 f / (d1 f + d2)}(d1 / 2, d2 / 2).
    let x = inverse_incomplete_beta(p, 0.5 * d1, 0.5 * d2);
    d2 * x / (d1 * (1.0 - x))
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
