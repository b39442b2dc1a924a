//! Rank-based metrics: the ROC curve and the ROC AUC with its DeLong interval.
//!
//! The AUC variance is DeLong's (E. R. DeLong, D. M. DeLong, D. L. Clarke-Pearson,
//! "Comparing the areas under two or more correlated receiver operating characteristic
//! curves: a nonparametric approach", Biometrics 44(3):837-845, 1988), computed by the
//! O(n log n) midrank algorithm of X. Sun and W. Xu, "Fast Implementation of DeLong's
//! Algorithm for Comparing the Areas Under Correlated Receiver Operating Characteristic
//! Curves", IEEE Signal Processing Letters 21(11):1389-1393, 2014.

use super::{Estimate, RocPoint, Scored, Z95};

/// 1-based midranks of `values` (tied values share the mean of their ranks), in the
/// input order, like `scipy.stats.rankdata(method="average")`.
pub(super) fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && same(values[order[j]], values[order[i]]) {
            j += 1;
        }
        // Positions i..j (0-based) hold ranks i+1..=j; their mean is (i + 1 + j) / 2.
        let mid = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = mid;
        }
        i = j;
    }
    ranks
}

/// The AUC and its DeLong variance for positive scores `x` and negative scores `y`;
/// the variance is `None` when a class has fewer than 2 cases (it is then undefined).
/// Both slices must be non-empty.
pub(super) fn delong(x: &[f64], y: &[f64]) -> (f64, Option<f64>) {
    let (m, n) = (x.len(), y.len());
    let (mf, nf) = (m as f64, n as f64);
    let tx = midranks(x);
    let ty = midranks(y);
    let z: Vec<f64> = x.iter().chain(y).copied().collect();
    let tz = midranks(&z);
    // Structural components (placement values): V10_i is the fraction of negatives
    // below positive i (ties count 1/2), V01_j the fraction of positives above negative j.
    let v10: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / nf).collect();
    let v01: Vec<f64> = (0..n).map(|j| 1.0 - (tz[m + j] - ty[j]) / mf).collect();
    let auc = mean(&v10);
    if m < 2 || n < 2 {
        return (auc, None);
    }
    let var = sample_var(&v10) / mf + sample_var(&v01) / nf;
    (auc, Some(var))
}

/// The ROC AUC of sorted cases with its DeLong 95% interval (auc ± z·sd, clipped to
/// 0..1); `None` when one class is absent. With fewer than 2 cases in a class the
/// variance is undefined and the interval is (0, 1).
pub(super) fn auc_delong(sorted: &[Scored]) -> Option<Estimate> {
    let x: Vec<f64> = sorted.iter().filter(|c| c.label).map(|c| c.score).collect();
    let y: Vec<f64> = sorted
        .iter()
        .filter(|c| !c.label)
        .map(|c| c.score)
        .collect();
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let (auc, var) = delong(&x, &y);
    let n = sorted.len() as u64;
    Some(match var {
        Some(var) => {
            let half = Z95 * var.max(0.0).sqrt();
            // The normal interval can pass 0 or 1; it is cut there, and the method
            // says so, so no reader takes a cut bound for a computed one.
            let clipped = auc - half < 0.0 || auc + half > 1.0;
            Estimate {
                value: auc,
                n,
                successes: None,
                low: (auc - half).clamp(0.0, 1.0),
                high: (auc + half).clamp(0.0, 1.0),
                method: if clipped { "delong-clipped" } else { "delong" }.to_string(),
            }
        }
        None => Estimate {
            value: auc,
            n,
            successes: None,
            low: 0.0,
            high: 1.0,
            method: "delong (undefined: fewer than 2 cases in a class)".to_string(),
        },
    })
}

/// The ROC curve of cases sorted by ascending score, as scikit-learn's
/// `roc_curve(drop_intermediate=False)`: (0, 0) at threshold +inf, then one point per
/// distinct score, highest first. Empty when one class is absent.
pub(super) fn roc_curve(sorted: &[Scored]) -> Vec<RocPoint> {
    let p = sorted.iter().filter(|c| c.label).count() as f64;
    let q = sorted.len() as f64 - p;
    if p == 0.0 || q == 0.0 {
        return Vec::new();
    }
    let mut out = vec![RocPoint {
        fpr: 0.0,
        tpr: 0.0,
        threshold: f64::INFINITY,
    }];
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut rest = sorted;
    while let Some(last) = rest.last() {
        let s = last.score;
        let cut = rest
            .iter()
            .rposition(|c| !same(c.score, s))
            .map_or(0, |i| i + 1);
        for c in &rest[cut..] {
            if c.label {
                tp += 1;
            } else {
                fp += 1;
            }
        }
        out.push(RocPoint {
            fpr: fp as f64 / q,
            tpr: tp as f64 / p,
            threshold: s,
        });
        rest = &rest[..cut];
    }
    out
}

/// Tied scores: equal, or both NaN (so a NaN score cannot stall the grouping).
fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample variance (denominator len - 1); callers ensure len >= 2.
fn sample_var(v: &[f64]) -> f64 {
    let mu = mean(v);
    v.iter().map(|a| (a - mu) * (a - mu)).sum::<f64>() / (v.len() as f64 - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delong_interval_cut_at_1_says_so() {
        let case = |score: f64, label: bool| Scored { score, label };
        // Nearly separated: the normal interval passes 1.
        let near: Vec<Scored> = vec![
            case(0.1, false),
            case(0.2, false),
            case(0.3, false),
            case(0.35, true),
            case(0.4, false),
            case(0.8, true),
            case(0.9, true),
        ];
        let e = auc_delong(&near).expect("both classes");
        assert!(e.high <= 1.0);
        assert_eq!(e.method, "delong-clipped", "{e:?}");
        // Overlapping classes: nothing cut, plain DeLong.
        let mixed: Vec<Scored> = (0..40)
            .map(|i| case(f64::from(i) / 40.0, i % 3 == 1))
            .collect();
        let e = auc_delong(&mixed).expect("both classes");
        assert!(e.low > 0.0 && e.high < 1.0, "{e:?}");
        assert_eq!(e.method, "delong");
    }

    #[test]
    fn midranks_like_scipy() {
        // scipy.stats.rankdata([0.3, 0.1, 0.3, 0.2, 0.3]) = [4, 1, 4, 2, 4]
        assert_eq!(
            midranks(&[0.3, 0.1, 0.3, 0.2, 0.3]),
            [4.0, 1.0, 4.0, 2.0, 4.0]
        );
        assert!(midranks(&[]).is_empty());
        assert_eq!(midranks(&[-0.0, 0.0]), [1.5, 1.5]);
    }

    /// DeLong by the O(m·n) definition, to check the midrank version.
    fn delong_naive(x: &[f64], y: &[f64]) -> (f64, f64) {
        let psi = |a: f64, b: f64| {
            if a > b {
                1.0
            } else if a == b {
                0.5
            } else {
                0.0
            }
        };
        let v10: Vec<f64> = x
            .iter()
            .map(|&a| y.iter().map(|&b| psi(a, b)).sum::<f64>() / y.len() as f64)
            .collect();
        let v01: Vec<f64> = y
            .iter()
            .map(|&b| x.iter().map(|&a| psi(a, b)).sum::<f64>() / x.len() as f64)
            .collect();
        let var = sample_var(&v10) / x.len() as f64 + sample_var(&v01) / y.len() as f64;
        (mean(&v10), var)
    }

    #[test]
    fn fast_delong_equals_naive() {
        let x = [0.9, 0.8, 0.8, 0.55, 0.4, 0.3, 0.8];
        let y = [0.1, 0.4, 0.35, 0.8, 0.2, 0.55, 0.05, 0.4];
        let (a, v) = delong(&x, &y);
        let (an, vn) = delong_naive(&x, &y);
        assert!((a - an).abs() < 1e-14 && (v.unwrap_or(f64::NAN) - vn).abs() < 1e-14);
    }

    #[test]
    fn one_case_in_a_class_has_no_variance() {
        let c = [
            Scored {
                label: false,
                score: 0.2,
            },
            Scored {
                label: false,
                score: 0.4,
            },
            Scored {
                label: true,
                score: 0.3,
            },
        ];
        let e = auc_delong(&c).unwrap_or_else(|| unreachable!());
        assert_eq!(e.value, 0.5);
        assert_eq!((e.low, e.high), (0.0, 1.0));
        assert!(e.method.starts_with("delong (undefined"));
    }

    #[test]
    fn perfect_separation_has_zero_width() {
        let (a, v) = delong(&[0.9, 0.8], &[0.1, 0.2, 0.3]);
        assert_eq!((a, v), (1.0, Some(0.0)));
    }

    #[test]
    fn roc_of_ties() {
        let c = [
            Scored {
                label: false,
                score: 0.2,
            },
            Scored {
                label: false,
                score: 0.5,
            },
            Scored {
                label: true,
                score: 0.5,
            },
            Scored {
                label: true,
                score: 0.9,
            },
        ];
        let r = roc_curve(&c);
        let pts: Vec<(f64, f64, f64)> = r.iter().map(|p| (p.fpr, p.tpr, p.threshold)).collect();
        assert_eq!(
            pts,
            [
                (0.0, 0.0, f64::INFINITY),
                (0.0, 0.5, 0.9),
                (0.5, 1.0, 0.5),
                (1.0, 1.0, 0.2)
            ]
        );
    }
}
