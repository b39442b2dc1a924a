//! The figures of the clinical performance report, as inline SVG: the ROC curve with the
//! operating point, the calibration (reliability) plot, and a forest plot of subgroup
//! sensitivity and specificity.
//!
//! The SVG is self-contained (no script, style sheet, font or link; a generic font
//! family), accessible (`role="img"` with a `<title>` and a `<desc>` that states the
//! numbers), and byte-stable: coordinates have two decimals and estimates three, so the
//! same evidence always gives the same bytes. Every string that comes from the evidence
//! (attribute values read from DICOM, interval methods) is XML-escaped.
//!
//! Inputs the metrics cannot draw (one class only, no cases, one calibration bin, no
//! subgroup) give a figure with a note that says why, never a panic or a missing file.

pub mod bland_altman;
pub mod distribution;
mod forest;
mod square;
mod svg;
#[cfg(test)]
mod tests;

pub use forest::forest;
pub use square::{calibration, roc};

use clic_compiler::plan::ModelSpec;
use clic_runner::bench::{self, BenchEvidence, ScanRow};
use clic_runner::metrics::Metrics;

/// Left edge of the unit-square plot area (ROC and calibration).
pub(super) const X0: f64 = 80.0;
/// Top edge of the unit-square plot area.
pub(super) const Y0: f64 = 44.0;
/// Side of the unit-square plot area.
pub(super) const SIDE: f64 = 360.0;
/// Width of the ROC and calibration figures.
pub(super) const SQUARE_W: f64 = 660.0;
/// Height of one legend line.
pub(super) const LINE: f64 = 18.0;

pub(super) const INK: &str = "#1b1b1b";
pub(super) const CURVE: &str = "#1f4e79";
pub(super) const MARK: &str = "#b03a2e";
pub(super) const GUIDE: &str = "#8c8c8c";
pub(super) const GRID: &str = "#e3e3e3";

/// Every figure of the evidence, by file name without extension (`roc`, `calibration`,
/// `forest`, in that order; with several findings, `roc-<finding>` for each); none when no reference scan is both labelled and scored
/// (the report then says so). Subgroups are computed at the manifest's operating point,
/// as the overall metrics are.
pub fn all(spec: &ModelSpec, ev: &BenchEvidence) -> Vec<(String, String)> {
    let Some(m) = &ev.overall else {
        // Several findings: a ROC curve per measured finding, `roc-<finding>`.
        return per_finding(ev)
            .into_iter()
            .map(|(name, m)| (format!("roc-{name}"), roc(m)))
            .collect();
    };
    let (threshold, inclusive) = spec
        .output
        .as_ref()
        .map_or((m.threshold, m.inclusive), |o| (o.threshold, o.inclusive));
    let groups = subgroups(&ev.rows, threshold, inclusive);
    vec![
        ("roc".to_string(), roc(m)),
        ("calibration".to_string(), calibration(m)),
        ("forest".to_string(), forest(m, &groups)),
    ]
}

/// The findings drawn one by one (a ROC figure each): every finding with metrics, when
/// the evidence has several findings and no overall figure. A finding's name is an
/// identifier of the manifest, so it is a safe file name.
pub fn per_finding(ev: &BenchEvidence) -> Vec<(&str, &Metrics)> {
    match (&ev.findings, &ev.overall) {
        (Some(f), None) => f
            .findings
            .iter()
            .filter_map(|r| Some((r.name.as_str(), r.metrics.as_ref()?)))
            .collect(),
        _ => Vec::new(),
    }
}

/// One row of the forest plot: the scans whose `attribute` reads `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subgroup {
    /// The DICOM attribute grouped by, one of [`bench::GROUPS`].
    pub attribute: String,
    /// Its value (`unknown` when the scans lack it).
    pub value: String,
    /// Metrics over the subgroup's labelled, scored scans; `None` when it has none.
    pub metrics: Option<Metrics>,
}

/// The subgroups of every attribute of [`bench::GROUPS`], in that order, each sorted by
/// value, with their metrics at `threshold`. A subgroup without a labelled, scored scan
/// is kept (with no metrics), so the figure shows it as "n/a" rather than hiding it.
pub fn subgroups(rows: &[ScanRow], threshold: f64, inclusive: bool) -> Vec<Subgroup> {
    let mut out = Vec::new();
    for attribute in bench::GROUPS {
        for (value, members) in bench::group_by(rows, attribute).unwrap_or_default() {
            out.push(Subgroup {
                attribute: attribute.to_string(),
                value,
                metrics: bench::score_metrics(members, threshold, inclusive),
            });
        }
    }
    out
}

/// (1 - specificity, sensitivity) at the operating threshold, from the cross-tab; `None`
/// when a class is absent.
pub(super) fn operating_point(m: &Metrics) -> Option<(f64, f64)> {
    (m.positives > 0 && m.negatives > 0).then(|| {
        (
            m.fp as f64 / m.negatives as f64,
            m.tp as f64 / m.positives as f64,
        )
    })
}

/// `≥ 0.5` or `> 0.5`: the threshold exactly, in Rust's shortest round-trip form.
pub(super) fn threshold_label(m: &Metrics) -> String {
    format!("{} {}", if m.inclusive { "≥" } else { ">" }, m.threshold)
}

/// x of a value in 0..1 on the unit-square plot.
pub(super) fn px(v: f64) -> f64 {
    X0 + clamp01(v) * SIDE
}

/// y of a value in 0..1 on the unit-square plot.
pub(super) fn py(v: f64) -> f64 {
    Y0 + (1.0 - clamp01(v)) * SIDE
}

/// `v` within 0..1; NaN as 0.
pub(super) fn clamp01(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(0.0, 1.0)
    }
}
