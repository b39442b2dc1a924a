//! Agreement of a measured quantity (a structure's volume, a diameter) between the
//! model and the reference, on paired cases.
//!
//! - Bland–Altman (J. M. Bland, D. G. Altman, Lancet 1986; "Measuring agreement in
//!   method comparison studies", Stat Methods Med Res 8:135-160, 1999): the differences
//!   `d = predicted − reference`, their mean (the bias) with its t interval
//!   `bias ± t(0.975, n−1)·s/√n`, their SD `s` (n − 1 denominator), and the 95% limits
//!   of agreement `bias ± 1.96·s`, each with the 1999 paper's approximate interval
//!   `limit ± t(0.975, n−1)·√(3s²/n)` (not Carkeet's exact method).
//! - ICC(A,1): two-way model, absolute agreement, single measurement (K. O. McGraw,
//!   S. P. Wong, Psychol Methods 1:30-46, 1996, case A; Shrout and Fleiss's ICC(2,1),
//!   pingouin's `ICC2`), the two methods as the k = 2 raters:
//!   `(MSR − MSE) / (MSR + (k−1)·MSE + k·(MSC − MSE)/n)`, with McGraw and Wong's
//!   F-based 95% interval (the Satterthwaite degrees of freedom `v`, as pingouin).
//! - RMSE `√(mean d²)` with a patient-clustered percentile bootstrap 95% interval (the
//!   resampling of [`super::cluster`], as [`super::segmentation::summarize`]).
//!
//! Nothing here is NaN: fewer than two pairs is an error ([`AgreementError`]); an ICC
//! that its mean squares leave undefined is an [`IccUndefined`] reason.

use super::bootstrap::percentile;
use super::cluster::{Resampling, METHOD};
use super::segmentation::{per_cluster, record, resampled, Ci95};
use crate::stats::{f_quantile, t_quantile};
use clic_compiler::plan::Value;
use serde::{Deserialize, Serialize};

/// The multiplier of the SD in the limits of agreement (Bland and Altman's 1.96).
pub const LOA_Z: f64 = 1.96;

/// One case's measurement by the reference and by the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// The patient the case belongs to (any id; cases of one patient are resampled
    /// together).
    pub cluster: u32,
    /// The reference's measurement.
    pub reference: f64,
    /// The model's measurement.
    pub predicted: f64,
}

/// The ICC(A,1) with its interval and the mean squares it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Icc {
    /// ICC(A,1).
    pub value: f64,
    /// McGraw and Wong's F-based 95% interval.
    pub ci95: Ci95,
    /// Mean square between cases (rows).
    pub ms_rows: f64,
    /// Mean square between the two methods (columns).
    pub ms_columns: f64,
    /// Residual mean square.
    pub ms_error: f64,
}

/// Why the ICC is undefined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum IccUndefined {
    /// Every measurement is the same: the ICC is 0/0.
    #[error("every measurement is the same: the ICC is 0/0")]
    NoVariance,
    /// The two methods differ by the same amount on every case (no residual variance):
    /// the interval's F statistics divide by zero.
    #[error("the methods differ by a constant on every case: the ICC's interval is undefined")]
    NoResidualVariance,
    /// The interval's bounds came out non-finite.
    #[error("the ICC's F interval is not finite")]
    IntervalUndefined,
}

/// Bland–Altman, ICC and RMSE of paired measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Pairs.
    pub n: u64,
    /// Patients among them.
    pub clusters: u32,
    /// Mean difference, predicted − reference.
    pub bias: f64,
    /// The bias's t interval.
    pub bias_ci95: Ci95,
    /// SD of the differences (n − 1 denominator).
    pub sd: f64,
    /// bias − 1.96 SD.
    pub loa_low: f64,
    /// bias + 1.96 SD.
    pub loa_high: f64,
    /// The lower limit's approximate interval (Bland and Altman 1999).
    pub loa_low_ci95: Ci95,
    /// The upper limit's approximate interval.
    pub loa_high_ci95: Ci95,
    /// ICC(A,1), or why it is undefined.
    pub icc: Result<Icc, IccUndefined>,
    /// Root mean square of the differences.
    pub rmse: f64,
    /// Its patient-clustered percentile bootstrap interval.
    pub rmse_ci95: Ci95,
    /// Mean of the reference measurements.
    pub reference_mean: f64,
    /// Mean of the model's measurements.
    pub predicted_mean: f64,
}

impl Agreement {
    /// The larger of |loa_low| and |loa_high| (the `volume_loa` claim's estimate).
    pub fn loa_max_abs(&self) -> f64 {
        self.loa_low.abs().max(self.loa_high.abs())
    }

    /// The clic `Agreement` record of the shared design: `n`, `bias`, `bias_ci95`,
    /// `loa_low`, `loa_high`, `loa_low_ci95`, `loa_high_ci95`, `icc` and `icc_ci95`
    /// (null when the ICC is undefined), `rmse`, `rmse_ci95`, `reference_mean_ml` (the
    /// reference mean, named for volumes in mL).
    pub fn fact_value(&self) -> Value {
        let (icc, icc_ci95) = match &self.icc {
            Ok(i) => (Value::Number(i.value), i.ci95.fact_value()),
            Err(_) => (Value::Null, Value::Null),
        };
        record([
            ("n", Value::Number(self.n as f64)),
            ("bias", Value::Number(self.bias)),
            ("bias_ci95", self.bias_ci95.fact_value()),
            ("loa_low", Value::Number(self.loa_low)),
            ("loa_high", Value::Number(self.loa_high)),
            ("loa_low_ci95", self.loa_low_ci95.fact_value()),
            ("loa_high_ci95", self.loa_high_ci95.fact_value()),
            ("icc", icc),
            ("icc_ci95", icc_ci95),
            ("rmse", Value::Number(self.rmse)),
            ("rmse_ci95", self.rmse_ci95.fact_value()),
            ("reference_mean_ml", Value::Number(self.reference_mean)),
        ])
    }
}

/// Why [`agreement`] refused its pairs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AgreementError {
    /// Fewer than two pairs: no SD, no interval.
    #[error("{n} paired measurement(s): agreement needs at least 2")]
    TooFewPairs {
        /// Pairs given.
        n: usize,
    },
    /// A measurement is NaN or infinite.
    #[error("pair {index}: the {which} measurement {value} is not a finite number")]
    NonFinite {
        /// Position of the pair in the input.
        index: usize,
        /// `reference` or `predicted`.
        which: &'static str,
        /// The offending value.
        value: f64,
    },
    /// No resample was asked for.
    #[error("the bootstrap needs at least one resample")]
    NoResamples,
}

/// Bland–Altman, ICC(A,1) and RMSE of `pairs` (module doc).
pub fn agreement(pairs: &[Pair], resampling: Resampling) -> Result<Agreement, AgreementError> {
    for (index, p) in pairs.iter().enumerate() {
        for (which, value) in [("reference", p.reference), ("predicted", p.predicted)] {
            if !value.is_finite() {
                return Err(AgreementError::NonFinite {
                    index,
                    which,
                    value,
                });
            }
        }
    }
    let n = pairs.len();
    if n < 2 {
        return Err(AgreementError::TooFewPairs { n });
    }
    if resampling.resamples == 0 {
        return Err(AgreementError::NoResamples);
    }
    let nf = n as f64;
    let d: Vec<f64> = pairs.iter().map(|p| p.predicted - p.reference).collect();
    let bias = d.iter().sum::<f64>() / nf;
    let sd = (d.iter().map(|x| (x - bias) * (x - bias)).sum::<f64>() / (nf - 1.0)).sqrt();
    let t = t_quantile(0.975, nf - 1.0);
    let t_ci = |centre: f64, se: f64| Ci95 {
        low: centre - t * se,
        high: centre + t * se,
        method: "t".to_string(),
    };
    let (loa_low, loa_high) = (bias - LOA_Z * sd, bias + LOA_Z * sd);
    let loa_se = (3.0 * sd * sd / nf).sqrt();
    let (sums, counts) = per_cluster(pairs.iter().map(|p| {
        let e = p.predicted - p.reference;
        (p.cluster, e * e)
    }));
    let k = sums.len() as u32;
    let rmse = (d.iter().map(|x| x * x).sum::<f64>() / nf).sqrt();
    let boot = resampled(resampling, k, |mult| {
        let (mut s, mut c) = (0.0, 0u64);
        for ((&m, &sum), &cnt) in mult.iter().zip(&sums).zip(&counts) {
            s += f64::from(m) * sum;
            c += u64::from(m) * cnt;
        }
        (s / c as f64).sqrt()
    });
    Ok(Agreement {
        n: n as u64,
        clusters: k,
        bias,
        bias_ci95: t_ci(bias, sd / nf.sqrt()),
        sd,
        loa_low,
        loa_high,
        loa_low_ci95: t_ci(loa_low, loa_se),
        loa_high_ci95: t_ci(loa_high, loa_se),
        icc: icc_a1(pairs),
        rmse,
        rmse_ci95: Ci95 {
            low: percentile(&boot, 0.025),
            high: percentile(&boot, 0.975),
            method: METHOD.to_string(),
        },
        reference_mean: pairs.iter().map(|p| p.reference).sum::<f64>() / nf,
        predicted_mean: pairs.iter().map(|p| p.predicted).sum::<f64>() / nf,
    })
}

/// ICC(A,1) of at least two pairs, the two methods as k = 2 raters.
fn icc_a1(pairs: &[Pair]) -> Result<Icc, IccUndefined> {
    let n = pairs.len() as f64;
    let k = 2.0;
    let col = [
        pairs.iter().map(|p| p.reference).sum::<f64>() / n,
        pairs.iter().map(|p| p.predicted).sum::<f64>() / n,
    ];
    let grand = 0.5 * (col[0] + col[1]);
    let (mut ss_rows, mut ss_error) = (0.0, 0.0);
    for p in pairs {
        let row = 0.5 * (p.reference + p.predicted);
        ss_rows += k * (row - grand) * (row - grand);
        for (x, c) in [p.reference, p.predicted].iter().zip(col) {
            let e = x - row - c + grand;
            ss_error += e * e;
        }
    }
    let ss_cols: f64 = col.iter().map(|c| n * (c - grand) * (c - grand)).sum();
    let msr = ss_rows / (n - 1.0);
    let msc = ss_cols / (k - 1.0);
    let mse = ss_error / ((n - 1.0) * (k - 1.0));
    let denom = msr + (k - 1.0) * mse + k * (msc - mse) / n;
    if denom <= 0.0 || msr + msc + mse == 0.0 {
        return Err(IccUndefined::NoVariance);
    }
    if mse <= 0.0 {
        return Err(IccUndefined::NoResidualVariance);
    }
    let icc = (msr - mse) / denom;
    // McGraw and Wong (1996), case A's interval (pingouin's ICC2).
    let fc = msc / mse;
    let a = k * icc * fc + n * (1.0 + (k - 1.0) * icc) - k * icc;
    let vn = (k - 1.0) * (n - 1.0) * a * a;
    let b = n * (1.0 + (k - 1.0) * icc) - k * icc;
    let vd = (n - 1.0) * k * k * icc * icc * fc * fc + b * b;
    let v = vn / vd;
    let f_up = f_quantile(0.975, n - 1.0, v);
    let f_low = f_quantile(0.975, v, n - 1.0);
    let low = n * (msr - f_up * mse) / (f_up * (k * msc + (k * n - k - n) * mse) + n * msr);
    let high = n * (f_low * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_low * msr);
    if !(low.is_finite() && high.is_finite() && icc.is_finite()) {
        return Err(IccUndefined::IntervalUndefined);
    }
    Ok(Icc {
        value: icc,
        ci95: Ci95 {
            low,
            high,
            method: "f-mcgraw-wong".to_string(),
        },
        ms_rows: msr,
        ms_columns: msc,
        ms_error: mse,
    })
}
