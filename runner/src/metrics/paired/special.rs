//! The two special functions the paired tests need, with no dependency: the
//! complementary error function (normal and chi-square(1) tail probabilities) and the
//! lower tail of the Binomial(n, 1/2) distribution (McNemar's exact test), both
//! accurate to about 1e-14 relative, checked against mpmath at 40 digits in
//! `tests/data/paired`.

/// The complementary error function, erfc(x) = 2/√π ∫ₓ^∞ e^(−t²) dt, for any x; 0 past
/// x ≈ 27.2 (where it underflows), 2 below x ≈ −6.
pub(crate) fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 1.0 {
        return 1.0 - erf_series(x);
    }
    if x > 27.3 {
        return 0.0;
    }
    erfc_fraction(x)
}

/// erf(x) = 2/√π e^(−x²) Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)) (Abramowitz and Stegun
/// 7.1.6): every term is positive, so nothing cancels. Used for 0 <= x < 1, where it
/// converges in under 30 terms.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let (mut term, mut sum) = (x, x);
    let mut n = 0.0;
    loop {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        let next = sum + term;
        if next == sum {
            break;
        }
        sum = next;
    }
    std::f64::consts::FRAC_2_SQRT_PI * exp_minus_square(x) * sum
}

/// erfc(x) = 2x/√π e^(−x²) / (2x²+1 − 1·2/(2x²+5 − 3·4/(2x²+9 − …))) (the even
/// contraction of Laplace's continued fraction, A&S 7.1.14), by the modified Lentz
/// method; for x >= 1 it converges in under 100 terms.
fn erfc_fraction(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let y = 2.0 * x * x;
    let mut f = y + 1.0;
    let (mut c, mut d) = (f, 0.0);
    for n in 1..500u32 {
        let n = f64::from(n);
        let a = -(2.0 * n - 1.0) * (2.0 * n);
        let b = y + 1.0 + 4.0 * n;
        d = b + a * d;
        d = if d == 0.0 { TINY } else { 1.0 / d };
        c = b + a / c;
        if c == 0.0 {
            c = TINY;
        }
        let step = c * d;
        f *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    std::f64::consts::FRAC_2_SQRT_PI * x * exp_minus_square(x) / f
}

/// e^(−x²) without the rounding error of x² (which e^ would magnify by x²): x = h + l
/// with h on a 2^-16 grid, so h² is exact and x² = h² + l(x + h).
fn exp_minus_square(x: f64) -> f64 {
    let h = (x * 65536.0).floor() / 65536.0;
    (-h * h).exp() * (-(x - h) * (x + h)).exp()
}

/// P(X <= m) for X ~ Binomial(n, 1/2), m < n/2, as its logarithm: the pmf at m by
/// C. Loader's saddle-point expansion ("Fast and Accurate Computation of Binomial
/// Probabilities", 2000; R's `dbinom`), times the sum of the ratios of the lower terms,
/// which fall geometrically (t(i−1)/t(i) = i/(n−i+1)). No factorial is formed, so n
/// can be in the millions.
pub(super) fn ln_binomial_half_cdf(m: u64, n: u64) -> f64 {
    let mut sum = 1.0;
    let mut ratio = 1.0;
    let mut j = 0u64;
    while j < m {
        ratio *= (m - j) as f64 / (n - m + j + 1) as f64;
        sum += ratio;
        j += 1;
        if ratio < 1e-17 * sum {
            break;
        }
    }
    ln_binomial_half_pmf(m, n) + sum.ln()
}

/// ln P(X = x) for X ~ Binomial(n, 1/2), 0 <= x <= n (Loader 2000).
pub(super) fn ln_binomial_half_pmf(x: u64, n: u64) -> f64 {
    let nf = n as f64;
    if x == 0 || x == n {
        return -nf * std::f64::consts::LN_2;
    }
    let (xf, yf) = (x as f64, (n - x) as f64);
    let half = nf / 2.0;
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(xf, half) - bd0(yf, half);
    lc + 0.5 * (nf / (2.0 * std::f64::consts::PI * xf * yf)).ln()
}

/// ln(k!) − ((k + 1/2) ln k − k + ln √(2π)) for k >= 1: the error of Stirling's formula.
fn stirlerr(k: u64) -> f64 {
    // k = 1..=15, computed with mpmath at 50 digits.
    const SMALL: [f64; 15] = [
        0.081_061_466_795_327_26,
        0.041_340_695_955_409_3,
        0.027_677_925_684_998_34,
        0.020_790_672_103_765_093,
        0.016_644_691_189_821_193,
        0.013_876_128_823_070_748,
        0.011_896_709_945_891_77,
        0.010_411_265_261_972_096,
        0.009_255_462_182_712_733,
        0.008_330_563_433_362_87,
        0.007_573_675_487_951_841,
        0.006_942_840_107_209_53,
        0.006_408_994_188_004_207,
        0.005_951_370_112_758_847_5,
        0.005_554_733_551_962_801,
    ];
    if (1..=15).contains(&k) {
        return SMALL[(k - 1) as usize];
    }
    // The asymptotic series 1/12k − 1/360k³ + 1/1260k⁵ − 1/1680k⁷ + 1/1188k⁹; the next
    // term is below 1e-16 from k = 16 on.
    let kf = k as f64;
    let kk = kf * kf;
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    (S0 - (S1 - (S2 - (S3 - S4 / kk) / kk) / kk) / kk) / kf
}

/// x ln(x/np) + np − x, the deviance term of Loader 2000, by its series when x is
/// near np (where the direct form cancels).
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let v = (x - np) / (x + np);
        let v2 = v * v;
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        let mut j = 1.0;
        loop {
            ej *= v2;
            let next = s + ej / (2.0 * j + 1.0);
            if next == s {
                return s;
            }
            s = next;
            j += 1.0;
        }
    }
    x * (x / np).ln() + np - x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn erfc_against_mpmath() {
        // mpmath.erfc at 40 digits.
        for (x, want) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.5, 4.069_520_174_449_589e-4),
            (10.0, 2.088_487_583_762_545e-45),
        ] {
            assert!(rel(erfc(x), want) < 2e-14, "erfc({x}) = {}", erfc(x));
        }
        assert_eq!(erfc(-1.0), 2.0 - erfc(1.0));
        assert_eq!(erfc(40.0), 0.0);
        assert!(erfc(f64::NAN).is_nan());
    }

    #[test]
    fn binomial_small_exact() {
        // P(X <= 3), n = 8: (1 + 8 + 28 + 56) / 256.
        let p = ln_binomial_half_cdf(3, 8).exp();
        assert!(rel(p, 93.0 / 256.0) < 1e-14, "{p}");
        // P(X <= 0), n = 30 = 2^-30.
        assert!(rel(ln_binomial_half_cdf(0, 30).exp(), 2f64.powi(-30)) < 1e-15);
    }

    #[test]
    fn stirlerr_is_continuous_at_the_switch() {
        // ln 16! − 16.5 ln 16 + 16 − ln √(2π), from the exact 16! = 20922789888000.
        let exact = 20_922_789_888_000f64.ln() - 16.5 * 16f64.ln() + 16.0
            - (2.0 * std::f64::consts::PI).sqrt().ln();
        assert!((stirlerr(16) - exact).abs() < 1e-14);
    }
}
