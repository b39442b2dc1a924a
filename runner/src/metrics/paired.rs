//! Paired tests of two models scored on the same cases: DeLong's test of two correlated
//! ROC AUCs, and McNemar's test of paired binary calls.
//!
//! Both treat cases as independent: with several studies per patient, give the
//! patient-clustered bootstrap of [`super::cluster`] (whose differences are candidate −
//! reference, as here) the last word on the intervals.

pub(crate) mod special;

use super::cluster::{Operating, PairedUnit};
use super::rank::midranks;
use super::Z95;
use serde::{Deserialize, Serialize};

/// DeLong's test of two correlated ROC AUCs on the same cases (E. R. DeLong, D. M.
/// DeLong, D. L. Clarke-Pearson, "Comparing the areas under two or more correlated
/// receiver operating characteristic curves: a nonparametric approach", Biometrics
/// 44(3):837-845, 1988), with the structural components computed from midranks in
/// O(n log n) (X. Sun, W. Xu, IEEE Signal Processing Letters 21(11):1389-1393, 2014).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedDelong {
    /// Positive cases (m).
    pub positives: u64,
    /// Negative cases (n).
    pub negatives: u64,
    /// The candidate's AUC (ties count 1/2), "a".
    pub auc_candidate: f64,
    /// The reference's AUC, "b".
    pub auc_reference: f64,
    /// auc_candidate − auc_reference.
    pub delta: f64,
    /// The 2x2 covariance matrix S = S10/m + S01/n of the two AUCs (candidate first),
    /// from the sample covariances (denominator m − 1, n − 1) of the structural
    /// components; `None` with fewer than 2 cases in a class.
    pub covariance: Option<[[f64; 2]; 2]>,
    /// The test of Δ = 0; `None` with fewer than 2 cases in a class.
    pub test: Option<DelongTest>,
}

/// The normal test of Δ = auc_candidate − auc_reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DelongTest {
    /// Standard error of Δ: √(S₁₁ + S₂₂ − 2 S₁₂), computed as the variance of the
    /// differences of the structural components (the same quantity, never negative).
    pub se: f64,
    /// Δ − 1.959963984540054 · se, at least −1.
    pub low: f64,
    /// Δ + 1.959963984540054 · se, at most 1.
    pub high: f64,
    /// Δ / se; `None` when se is 0 (the components differ by the same amount on every
    /// case, or not at all: the normal test is undefined, and the interval is [Δ, Δ]).
    pub z: Option<f64>,
    /// Two-sided p value 2·(1 − Φ(|z|)); `None` when `z` is.
    pub p_value: Option<f64>,
}

/// Why [`delong_paired`] gave no test.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PairedError {
    /// A score is NaN or infinite.
    #[error("case {index}: score {score} is not a finite number")]
    NonFiniteScore {
        /// Position of the case in the input.
        index: usize,
        /// The offending score.
        score: f64,
    },
    /// A class is absent, so neither AUC is defined.
    #[error(
        "the AUCs need positive and negative cases ({positives} positive, {negatives} negative)"
    )]
    ClassAbsent {
        /// Positive cases.
        positives: u64,
        /// Negative cases.
        negatives: u64,
    },
}

/// DeLong's paired test of the candidate's and the reference's AUC on `units` (their
/// clusters are ignored: every unit is a case).
pub fn delong_paired(units: &[PairedUnit]) -> Result<PairedDelong, PairedError> {
    for (index, u) in units.iter().enumerate() {
        for score in [u.candidate, u.reference] {
            if !score.is_finite() {
                return Err(PairedError::NonFiniteScore { index, score });
            }
        }
    }
    let pos: Vec<&PairedUnit> = units.iter().filter(|u| u.label).collect();
    let neg: Vec<&PairedUnit> = units.iter().filter(|u| !u.label).collect();
    let (m, n) = (pos.len(), neg.len());
    if m == 0 || n == 0 {
        return Err(PairedError::ClassAbsent {
            positives: m as u64,
            negatives: n as u64,
        });
    }
    let scores = |set: &[&PairedUnit], cand: bool| -> Vec<f64> {
        set.iter()
            .map(|u| if cand { u.candidate } else { u.reference })
            .collect()
    };
    let (v10_a, v01_a) = components(&scores(&pos, true), &scores(&neg, true));
    let (v10_b, v01_b) = components(&scores(&pos, false), &scores(&neg, false));
    let (auc_a, auc_b) = (mean(&v10_a), mean(&v10_b));
    let delta = auc_a - auc_b;
    let mut out = PairedDelong {
        positives: m as u64,
        negatives: n as u64,
        auc_candidate: auc_a,
        auc_reference: auc_b,
        delta,
        covariance: None,
        test: None,
    };
    if m < 2 || n < 2 {
        return Ok(out);
    }
    let (mf, nf) = (m as f64, n as f64);
    let s10 = covariance(&v10_a, &v10_b);
    let s01 = covariance(&v01_a, &v01_b);
    let cell = |i: usize, j: usize| s10[i][j] / mf + s01[i][j] / nf;
    out.covariance = Some([[cell(0, 0), cell(0, 1)], [cell(1, 0), cell(1, 1)]]);
    let diff = |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(x, y)| x - y).collect() };
    let var = sample_var(&diff(&v10_a, &v10_b)) / mf + sample_var(&diff(&v01_a, &v01_b)) / nf;
    let se = var.max(0.0).sqrt();
    let z = (se > 0.0).then(|| delta / se);
    out.test = Some(DelongTest {
        se,
        low: (delta - Z95 * se).max(-1.0),
        high: (delta + Z95 * se).min(1.0),
        z,
        p_value: z.map(|z| special::erfc(z.abs() / std::f64::consts::SQRT_2)),
    });
    Ok(out)
}

/// The structural components of DeLong 1988 for positive scores `x` and negative scores
/// `y`: V10ᵢ = the fraction of negatives below positive i (ties 1/2), V01ⱼ = the
/// fraction of positives above negative j, from midranks as in Sun and Xu 2014.
fn components(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (m, n) = (x.len(), y.len());
    let (tx, ty) = (midranks(x), midranks(y));
    let z: Vec<f64> = x.iter().chain(y).copied().collect();
    let tz = midranks(&z);
    let v10 = (0..m).map(|i| (tz[i] - tx[i]) / n as f64).collect();
    let v01 = (0..n)
        .map(|j| 1.0 - (tz[m + j] - ty[j]) / m as f64)
        .collect();
    (v10, v01)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample variance (denominator len − 1); len >= 2.
fn sample_var(v: &[f64]) -> f64 {
    let mu = mean(v);
    v.iter().map(|a| (a - mu) * (a - mu)).sum::<f64>() / (v.len() as f64 - 1.0)
}

/// The 2x2 sample covariance matrix of `a` and `b` (denominator len − 1); len >= 2.
fn covariance(a: &[f64], b: &[f64]) -> [[f64; 2]; 2] {
    let (ma, mb) = (mean(a), mean(b));
    let d = a.len() as f64 - 1.0;
    let cross = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / d;
    [[sample_var(a), cross], [cross, sample_var(b)]]
}

/// McNemar's test of paired binary outcomes (Q. McNemar, "Note on the sampling error of
/// the difference between correlated proportions or percentages", Psychometrika
/// 12(2):153-157, 1947) from its discordant counts, as statsmodels'
/// `mcnemar([[·, b], [c, ·]])`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    /// Pairs where the candidate's outcome is true and the reference's false.
    pub b: u64,
    /// Pairs where the candidate's outcome is false and the reference's true.
    pub c: u64,
    /// The exact two-sided p value, min(1, 2·P(X <= min(b, c))) for X ~ Binomial(b + c,
    /// 1/2) (statsmodels' `exact=True`); 1 when b + c = 0.
    pub exact_p_value: f64,
    /// The chi-square statistic with continuity correction, (|b − c| − 1)² / (b + c)
    /// (statsmodels' `exact=False, correction=True`, which like it does not clip
    /// |b − c| − 1 at 0, so b = c gives 1/(b + c)); `None` when b + c = 0.
    pub chi2: Option<f64>,
    /// Its p value, P(χ²₁ >= chi2); `None` when b + c = 0.
    pub chi2_p_value: Option<f64>,
}

/// McNemar's test from the discordant counts. Exact for b + c into the millions (the
/// binomial tail is summed from a saddle-point pmf, with no factorial formed).
pub fn mcnemar(b: u64, c: u64) -> McNemar {
    let n = b.saturating_add(c);
    let m = b.min(c);
    let exact_p_value = if 2 * u128::from(m) >= u128::from(n) {
        // P(X <= n/2) >= 1/2, so the doubled tail is clipped to 1.
        1.0
    } else {
        (std::f64::consts::LN_2 + special::ln_binomial_half_cdf(m, n))
            .exp()
            .min(1.0)
    };
    let (chi2, chi2_p_value) = if n == 0 {
        (None, None)
    } else {
        let d = b.abs_diff(c) as f64 - 1.0;
        let chi2 = d * d / n as f64;
        (Some(chi2), Some(special::erfc((chi2 / 2.0).sqrt())))
    };
    McNemar {
        b,
        c,
        exact_p_value,
        chi2,
        chi2_p_value,
    }
}

/// McNemar's two-sided mid-p value from the discordant counts: 2·P(X < m) + P(X = m)
/// for X ~ Binomial(b + c, 1/2) and m = min(b, c), that is the exact p value (unclipped)
/// less the probability of the observed split (M. W. Fagerland, S. Lydersen, P. Laake,
/// "The McNemar test for binary matched-pairs data: mid-p and asymptotic are better than
/// exact conditional", BMC Medical Research Methodology 13:91, 2013). 1 when b = c
/// (and when b + c = 0).
pub fn mcnemar_mid_p(b: u64, c: u64) -> f64 {
    let n = b.saturating_add(c);
    let m = b.min(c);
    if 2 * u128::from(m) >= u128::from(n) {
        return 1.0;
    }
    let exact = (std::f64::consts::LN_2 + special::ln_binomial_half_cdf(m, n)).exp();
    let point = special::ln_binomial_half_pmf(m, n).exp();
    (exact - point).clamp(0.0, 1.0)
}

/// McNemar's test of paired outcomes (candidate's, reference's), e.g. whether each
/// model called a case correctly.
pub fn mcnemar_pairs(pairs: impl IntoIterator<Item = (bool, bool)>) -> McNemar {
    let (mut b, mut c) = (0u64, 0u64);
    for (cand, refr) in pairs {
        b += u64::from(cand && !refr);
        c += u64::from(!cand && refr);
    }
    mcnemar(b, c)
}

/// McNemar's test of the sensitivities: among the positive units, whether each model
/// calls the unit positive at its operating point.
pub fn mcnemar_sensitivity(
    units: &[PairedUnit],
    candidate: Operating,
    reference: Operating,
) -> McNemar {
    mcnemar_pairs(units.iter().filter(|u| u.label).map(|u| {
        (
            called(u.candidate, candidate),
            called(u.reference, reference),
        )
    }))
}

/// McNemar's test of the specificities: among the negative units, whether each model
/// calls the unit negative at its operating point.
pub fn mcnemar_specificity(
    units: &[PairedUnit],
    candidate: Operating,
    reference: Operating,
) -> McNemar {
    mcnemar_pairs(units.iter().filter(|u| !u.label).map(|u| {
        (
            !called(u.candidate, candidate),
            !called(u.reference, reference),
        )
    }))
}

fn called(score: f64, op: Operating) -> bool {
    if op.inclusive {
        score >= op.threshold
    } else {
        score > op.threshold
    }
}

#[cfg(test)]
mod tests;
