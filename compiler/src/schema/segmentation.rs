//! The segmentation metric registry (issue 14): one row per metric a claim on a
//! structure may name (`claims { liver { dice 0.9 hd95 at most 6 mm } }`). The type
//! checker reads the rows to check a structure's claims (the unit, whether `at most` is
//! written, the nsd tolerance, the volume metrics on quantified structures); the runner
//! computes each (`clic_runner::metrics::{segmentation, distance, agreement}`).

use super::metrics::Bound;

/// The unit of a segmentation metric's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegUnit {
    /// A fraction in 0..1, written as one (0.9) or as a percentage (90%).
    Fraction,
    /// Millimetres: `6 mm` (the `mm` may be left out).
    Mm,
    /// Millilitres: `150 ml` (the `ml` may be left out).
    Ml,
    /// A coefficient without a unit in 0..1 (an ICC), written as a plain number.
    Coefficient,
}

impl SegUnit {
    /// As a claim writes it after the value: `mm`, `ml`; none for fractions.
    pub const fn suffix(self) -> Option<&'static str> {
        match self {
            SegUnit::Mm => Some("mm"),
            SegUnit::Ml => Some("ml"),
            SegUnit::Fraction | SegUnit::Coefficient => None,
        }
    }

    /// How people read it.
    pub const fn label(self) -> &'static str {
        match self {
            SegUnit::Fraction => "fraction",
            SegUnit::Mm => "mm",
            SegUnit::Ml => "mL",
            SegUnit::Coefficient => "-",
        }
    }
}

/// One metric of the registry.
#[derive(Debug, Clone, Copy)]
pub struct SegMetric {
    /// As claims and facts name it: `dice`.
    pub name: &'static str,
    /// As tables show it: `Dice`.
    pub label: &'static str,
    /// The unit of its value.
    pub unit: SegUnit,
    /// Which way a claim bounds it: a lower bound is met when the 95% interval's low end
    /// clears it, an upper bound (`at most`) when its high end stays within it.
    pub bound: Bound,
    /// Whether a claim states a tolerance in mm after the value (`nsd 0.9 at 2 mm`).
    pub needs_tolerance: bool,
    /// Whether it compares volumes (only on a structure of `quantify volume of`).
    pub volume: bool,
    /// What it is.
    pub doc: &'static str,
}

/// Every segmentation metric, in the order reports show them.
pub const SEGMENTATION_METRICS: &[SegMetric] = &[
    SegMetric { name: "dice", label: "Dice", unit: SegUnit::Fraction, bound: Bound::Lower, needs_tolerance: false, volume: false, doc: "Dice similarity coefficient 2|P∩R| / (|P| + |R|), per case." },
    SegMetric { name: "iou", label: "IoU", unit: SegUnit::Fraction, bound: Bound::Lower, needs_tolerance: false, volume: false, doc: "Jaccard index (intersection over union) |P∩R| / |P∪R|, per case." },
    SegMetric { name: "nsd", label: "NSD", unit: SegUnit::Fraction, bound: Bound::Lower, needs_tolerance: true, volume: false, doc: "Normalised surface distance (surface Dice) at the tolerance `at T mm`: the share of both surfaces within T mm of the other, per case." },
    SegMetric { name: "hd95", label: "HD95", unit: SegUnit::Mm, bound: Bound::Upper, needs_tolerance: false, volume: false, doc: "95th percentile of the symmetric Hausdorff distance between the surface voxels, in mm, per case." },
    SegMetric { name: "assd", label: "ASSD", unit: SegUnit::Mm, bound: Bound::Upper, needs_tolerance: false, volume: false, doc: "Average symmetric surface distance, in mm, per case." },
    SegMetric { name: "rvd", label: "RVD", unit: SegUnit::Fraction, bound: Bound::Upper, needs_tolerance: false, volume: false, doc: "Absolute relative volume difference |Vp - Vr| / Vr, per case." },
    SegMetric { name: "volume_bias", label: "Volume bias", unit: SegUnit::Ml, bound: Bound::Upper, needs_tolerance: false, volume: true, doc: "Bland-Altman mean difference of the volumes (prediction - reference), in mL: met when its 95% interval lies within ± the claim." },
    SegMetric { name: "volume_loa", label: "Volume LoA", unit: SegUnit::Ml, bound: Bound::Upper, needs_tolerance: false, volume: true, doc: "Bland-Altman 95% limits of agreement of the volumes, the larger of |low| and |high|, in mL." },
    SegMetric { name: "volume_icc", label: "Volume ICC", unit: SegUnit::Coefficient, bound: Bound::Lower, needs_tolerance: false, volume: true, doc: "ICC(A,1) of the volumes: two-way random effects, absolute agreement, single measure (McGraw & Wong 1996; ICC2 of Shrout & Fleiss)." },
    SegMetric { name: "volume_rmse", label: "Volume RMSE", unit: SegUnit::Ml, bound: Bound::Upper, needs_tolerance: false, volume: true, doc: "Root mean square error of the volumes, in mL." },
];

/// The metric of this name, if it is one.
pub fn segmentation_metric(name: &str) -> Option<&'static SegMetric> {
    SEGMENTATION_METRICS.iter().find(|m| m.name == name)
}

/// The names of the metrics.
pub fn segmentation_metric_names() -> Vec<&'static str> {
    SEGMENTATION_METRICS.iter().map(|m| m.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_only_nsd_needs_a_tolerance() {
        let mut names = segmentation_metric_names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SEGMENTATION_METRICS.len());
        let tol: Vec<&str> = SEGMENTATION_METRICS
            .iter()
            .filter(|m| m.needs_tolerance)
            .map(|m| m.name)
            .collect();
        assert_eq!(tol, ["nsd"]);
        assert!(SEGMENTATION_METRICS
            .iter()
            .all(|m| m.volume == m.name.starts_with("volume_")));
    }
}
