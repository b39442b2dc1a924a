//! How a number reads in the dossier: percentages, estimates with their interval, claims.
//! Numbers are formatted here, once, so templates only place strings.

use crate::performance::{EstimateView, RawEstimate};
use clic_compiler::schema::metrics::{self, Shown};
use clic_runner::metrics::Estimate;

/// A fraction as a percentage with one decimal.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "n/a".to_string()
    }
}

/// An interval method's name, in words.
pub fn method_name(m: &str) -> String {
    match m {
        "wilson" => "Wilson score".to_string(),
        "delong" => "DeLong".to_string(),
        "delong-clipped" => {
            "DeLong (the normal interval passes the 0..1 bound and is cut there)".to_string()
        }
        "bootstrap-percentile" => "percentile bootstrap (seeded)".to_string(),
        "bootstrap-basic" => {
            "basic bootstrap (seeded; reflected percentiles, cut at 0)".to_string()
        }
        "mover-wilson" => "MOVER over the Wilson intervals".to_string(),
        "cluster-bootstrap-percentile" => {
            "patient-clustered percentile bootstrap (seeded)".to_string()
        }
        "delong-paired" => "paired DeLong".to_string(),
        "newcombe" => "Newcombe's hybrid score interval (method 10)".to_string(),
        other => match other.strip_prefix("cluster-bootstrap+") {
            // A subgroup's interval widened by the clustered bootstrap, bound by bound.
            Some(base) => format!(
                "the wider, bound by bound, of the patient-clustered percentile bootstrap (seeded) and {}",
                method_name(base)
            ),
            None => other.to_string(),
        },
    }
}

/// An estimate with its interval, n and method, formatted. `percent`: shown as a
/// percentage (proportions), else with three decimals (AUC).
pub fn estimate(e: &Estimate, percent: bool) -> EstimateView {
    let f = |x: f64| {
        if percent {
            pct(x)
        } else if x.is_finite() {
            format!("{x:.3}")
        } else {
            "n/a".to_string()
        }
    };
    let count = e
        .successes
        .map_or_else(|| format!("n = {}", e.n), |s| format!("{s}/{}", e.n));
    EstimateView {
        value: f(e.value),
        low: f(e.low),
        high: f(e.high),
        ci: format!("{}–{}", f(e.low), f(e.high)),
        method: method_name(&e.method),
        count,
        n: e.n,
        raw: RawEstimate {
            value: e.value,
            low: e.low,
            high: e.high,
        },
    }
}

/// A claim as written: as its metric is shown (a percentage, or three decimals for the
/// AUC and the calibration errors).
pub fn claim_shown(name: &str, v: f64) -> String {
    match metrics::metric(name).map(|d| d.shown) {
        Some(Shown::Decimal) => format!("{v:.3}"),
        _ => pct(v),
    }
}
