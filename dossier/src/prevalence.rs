//! Figures that depend on the prevalence: the reference set's own prevalence, at which its
//! PPV, NPV, accuracy and F1 hold, and PPV and NPV at each deployment prevalence the
//! manifest declares (`prevalence 2%, 5%`), with their Mercaldo et al. (2007) logit
//! intervals ([`clic_runner::metrics::at_prevalence`]).
//!
//! Those intervals come from the counts of the 2x2 table, as if every unit were an
//! independent patient. Where patients contribute several units (studies of one patient),
//! the sensitivity and specificity carry patient-clustered bootstrap intervals but the
//! predictive values at a declared prevalence do not: their method says so, row by row,
//! rather than read as clustered beside the clustered figures they derive from.

use crate::context::{Filled, Gaps};
use crate::performance::AtPrevalenceRow;
use crate::shown::{estimate, pct};
use clic_runner::metrics::{at_prevalence, cluster, Metrics};

/// The prevalence of the set `m` is computed on, as a percentage (`33.0%`); `n/a` with no
/// case.
pub fn sample(m: &Metrics) -> String {
    if m.n == 0 {
        return "n/a".to_string();
    }
    pct(m.positives as f64 / m.n as f64)
}

/// The note beside a metric whose value depends on the prevalence: `at the reference
/// set's prevalence of 33.0%`; none for another metric.
pub fn note(metric: &str, m: &Metrics) -> Option<String> {
    clic_compiler::schema::metrics::PREVALENCE_DEPENDENT
        .contains(&metric)
        .then(|| format!("at the reference set's prevalence of {}", sample(m)))
}

/// A prevalence as the manifest would write it: `2%`, `3.5%`.
fn declared(p: f64) -> String {
    let shown = format!("{:.4}", p * 100.0);
    let shown = shown.trim_end_matches('0').trim_end_matches('.');
    format!("{shown}%")
}

/// What the method of a predictive value at a declared prevalence adds when the
/// sensitivity or specificity it derives from has a patient-clustered interval.
pub const UNCLUSTERED: &str =
    ", treating each unit as an independent patient: not patient-clustered, although patients contribute several units";

/// Whether `m`'s sensitivity or specificity interval is patient-clustered.
fn clustered(m: &Metrics) -> bool {
    [&m.sensitivity.method, &m.specificity.method]
        .iter()
        .any(|method| method.as_str() == cluster::METHOD)
}

/// PPV and NPV at each declared prevalence at which they are defined; their method says
/// when the units are not independent ([`UNCLUSTERED`]).
pub fn rows(m: &Metrics, prevalences: &[f64]) -> Vec<AtPrevalenceRow> {
    let note = if clustered(m) { UNCLUSTERED } else { "" };
    prevalences
        .iter()
        .filter_map(|&p| at_prevalence(m, p))
        .map(|a| {
            let (mut ppv, mut npv) = (estimate(&a.ppv, true), estimate(&a.npv, true));
            ppv.method.push_str(note);
            npv.method.push_str(note);
            AtPrevalenceRow {
                prevalence: declared(a.prevalence),
                ppv,
                npv,
            }
        })
        .collect()
}

/// Why there are no rows, as a gap of the clinical performance report: no prevalence
/// declared (for `what`, the model or a finding), or a class absent; none when there are
/// rows.
pub fn gap(
    rows: &[AtPrevalenceRow],
    prevalences: &[f64],
    what: &str,
    m: &Metrics,
    gaps: &mut Gaps,
) -> Option<Filled> {
    if !rows.is_empty() {
        return None;
    }
    let section = format!("PPV and NPV at the deployment prevalence, {what} (STARD 24)");
    let why = if prevalences.is_empty() {
        format!(
            "the manifest declares no deployment prevalence (`prevalence 2%, 5%`), so PPV and NPV are known only at the reference set's prevalence of {}",
            sample(m)
        )
    } else {
        "the reference set lacks positive or negative cases, so PPV and NPV are not defined"
            .to_string()
    };
    Some(gaps.gap("clinical-performance.md", &section, &why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clic_runner::metrics::{compute, Scored};

    /// 40 units, 20 positive: 16 found, 2 false positives.
    fn metrics() -> Metrics {
        let cases: Vec<Scored> = (0..40)
            .map(|i| Scored {
                label: i < 20,
                score: if i < 16 || (20..22).contains(&i) {
                    0.9
                } else {
                    0.1
                },
            })
            .collect();
        compute(&cases, 0.5, true)
    }

    #[test]
    fn independent_units_keep_mercaldos_method_and_clustered_ones_say_it_does_not_cluster() {
        let m = metrics();
        let plain = rows(&m, &[0.05]);
        assert_eq!(plain.len(), 1);
        assert!(
            !plain[0].ppv.method.contains("independent"),
            "{}",
            plain[0].ppv.method
        );
        let mut c = m.clone();
        c.sensitivity.method = cluster::METHOD.to_string();
        let noted = rows(&c, &[0.05]);
        assert!(noted[0].ppv.method.starts_with(&plain[0].ppv.method));
        assert!(noted[0].ppv.method.ends_with(UNCLUSTERED));
        assert!(noted[0].npv.method.ends_with(UNCLUSTERED));
        // The figures themselves are unchanged.
        assert_eq!(noted[0].ppv.ci, plain[0].ppv.ci);
    }
}
