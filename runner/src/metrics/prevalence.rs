//! PPV and NPV at a stated prevalence (STARD 2015; the sample's own PPV and NPV hold only
//! at the sample's prevalence, which in an enriched test set is not the clinical one).
//!
//! By Bayes' theorem from the sensitivity and specificity, with the logit intervals of
//! N. D. Mercaldo, K. F. Lau, X. H. Zhou, "Confidence intervals for predictive values
//! with an emphasis to case-control designs", Statistics in Medicine 26(10):2170-2183,
//! 2007: the standard logit interval (their Eq. 8-11) when every cell of the 2x2 table
//! is non-zero, else the logit interval on the adjusted estimates of their Table II
//! (z²/2 successes added to z² trials), as the R package `bdpv` does.

use super::{Estimate, Metrics, Z95};
use serde::{Deserialize, Serialize};

/// PPV and NPV at a stated prevalence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtPrevalence {
    /// The stated prevalence, in (0, 1).
    pub prevalence: f64,
    /// Positive predictive value at that prevalence (`n` = every case).
    pub ppv: Estimate,
    /// Negative predictive value at that prevalence (`n` = every case).
    pub npv: Estimate,
}

/// PPV and NPV of `m`'s operating point at `prevalence`, with 95% logit intervals.
/// `None` when the prevalence is not strictly between 0 and 1, or a class is absent.
pub fn at_prevalence(m: &Metrics, prevalence: f64) -> Option<AtPrevalence> {
    let p = prevalence;
    if !(p > 0.0 && p < 1.0) || m.positives == 0 || m.negatives == 0 {
        return None;
    }
    let (tp, fn_, fp, tn) = (m.tp as f64, m.fn_ as f64, m.fp as f64, m.tn as f64);
    let (n1, n0) = (tp + fn_, fp + tn);
    let (se, sp) = (tp / n1, tn / n0);
    let ppv = se * p / (se * p + (1.0 - sp) * (1.0 - p));
    let npv = sp * (1.0 - p) / (sp * (1.0 - p) + (1.0 - se) * p);
    // Estimates used on the logit scale, and the trial counts of their variances.
    let (method, se_t, sp_t, m1, m0) = if [m.tp, m.fn_, m.fp, m.tn].iter().all(|&k| k > 0) {
        ("logit (Mercaldo 2007)", se, sp, n1, n0)
    } else {
        let k2 = Z95 * Z95;
        (
            "adjusted logit (Mercaldo 2007)",
            (tp + k2 / 2.0) / (n1 + k2),
            (tn + k2 / 2.0) / (n0 + k2),
            n1 + k2,
            n0 + k2,
        )
    };
    let logit_ppv = (se_t * p / ((1.0 - sp_t) * (1.0 - p))).ln();
    let var_ppv = (1.0 - se_t) / se_t / m1 + sp_t / (1.0 - sp_t) / m0;
    let logit_npv = (sp_t * (1.0 - p) / ((1.0 - se_t) * p)).ln();
    let var_npv = se_t / (1.0 - se_t) / m1 + (1.0 - sp_t) / sp_t / m0;
    let est = |value: f64, logit: f64, var: f64| {
        let half = Z95 * var.sqrt();
        Estimate {
            value,
            n: m.n,
            successes: None,
            low: expit(logit - half),
            high: expit(logit + half),
            method: method.to_string(),
        }
    };
    Some(AtPrevalence {
        prevalence: p,
        ppv: est(ppv, logit_ppv, var_ppv),
        npv: est(npv, logit_npv, var_npv),
    })
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::super::{compute, Scored};
    use super::*;

    fn table(tp: u32, fn_: u32, fp: u32, tn: u32) -> Metrics {
        let mut c = Vec::new();
        let mut push = |k: u32, label: bool, score: f64| {
            c.extend((0..k).map(|_| Scored { label, score }));
        };
        push(tp, true, 0.9);
        push(fn_, true, 0.1);
        push(fp, false, 0.9);
        push(tn, false, 0.1);
        compute(&c, 0.5, true)
    }

    #[test]
    fn at_sample_prevalence_equals_sample_ppv() {
        let m = table(30, 10, 20, 40);
        let a = at_prevalence(&m, 0.4).unwrap_or_else(|| unreachable!());
        assert!((a.ppv.value - m.ppv.value).abs() < 1e-12);
        assert!((a.npv.value - m.npv.value).abs() < 1e-12);
        assert_eq!(a.ppv.method, "logit (Mercaldo 2007)");
        assert!(a.ppv.low < a.ppv.value && a.ppv.value < a.ppv.high);
    }

    #[test]
    fn zero_cell_uses_adjusted_logit() {
        let m = table(20, 0, 5, 25);
        let a = at_prevalence(&m, 0.05).unwrap_or_else(|| unreachable!());
        assert_eq!(a.npv.value, 1.0);
        assert_eq!(a.ppv.method, "adjusted logit (Mercaldo 2007)");
        assert!(a.npv.low > 0.9 && a.npv.high <= 1.0);
        assert!(a.ppv.low.is_finite() && a.ppv.high.is_finite());
    }

    #[test]
    fn undefined_cases() {
        let m = table(20, 5, 5, 25);
        assert!(at_prevalence(&m, 0.0).is_none());
        assert!(at_prevalence(&m, 1.0).is_none());
        assert!(at_prevalence(&m, f64::NAN).is_none());
        assert!(at_prevalence(&table(0, 0, 5, 25), 0.1).is_none());
    }
}
