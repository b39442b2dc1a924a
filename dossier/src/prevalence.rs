//! Figures that depend on the prevalence: the reference set's own prevalence, at which its
//! PPV, NPV, accuracy and F1 hold, and PPV and NPV at each deployment prevalence the
//! manifest declares (`prevalence 2%, 5%`), with their Mercaldo et al. (2007) logit
//! intervals ([`clic_runner::metrics::at_prevalence`]).

use crate::context::{Filled, Gaps};
use crate::performance::AtPrevalenceRow;
use crate::shown::{estimate, pct};
use clic_runner::metrics::{at_prevalence, Metrics};

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

/// PPV and NPV at each declared prevalence at which they are defined.
pub fn rows(m: &Metrics, prevalences: &[f64]) -> Vec<AtPrevalenceRow> {
    prevalences
        .iter()
        .filter_map(|&p| at_prevalence(m, p))
        .map(|a| AtPrevalenceRow {
            prevalence: declared(a.prevalence),
            ppv: estimate(&a.ppv, true),
            npv: estimate(&a.npv, true),
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
