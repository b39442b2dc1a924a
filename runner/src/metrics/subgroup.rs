//! A subgroup against the rest of the units: the difference of its sensitivity,
//! specificity and accuracy from those of every other unit (subgroup − complement), with
//! a 95% interval, whether the subgroup is large enough to be judged at all, and the
//! one-sided p value of non-inferiority with its Holm adjustment over the subgroups of
//! one attribute.
//!
//! - Unclustered units (one unit per patient, or the one-finding short form scored per
//!   image): the subgroup and its complement are independent samples, and the interval
//!   of the difference of two proportions is Newcombe's hybrid score interval (R. G.
//!   Newcombe, "Interval estimation for the difference between independent
//!   proportions: comparison of eleven methods", Statistics in Medicine 17:873-890,
//!   1998, method 10), built from the two Wilson score intervals:
//!   `L = d − √((p₁ − l₁)² + (u₂ − p₂)²)`, `U = d + √((u₁ − p₁)² + (p₂ − l₂)²)`. It is
//!   statsmodels' `confint_proportions_2indep(method="newcomb", compare="diff")`
//!   (golden values in `tests/data/metrics/subgroup_difference.json`).
//! - Patient-clustered units: see [`super::cluster::subgroups`].
//!
//! The rule of the minimum sample ([`MIN_UNITS`], [`MIN_POSITIVES`], [`MIN_NEGATIVES`])
//! is one place: a subgroup below it is *not assessable* for the metric. Its difference
//! is still computed and shown, but it takes no part in a verdict: the standard parity
//! controls judge only assessable subgroups, and the subgroup-evidence controls fail on
//! the others, so a thin group is never counted as evidence of parity.

use super::paired::special::erfc;
use super::Z95;
use serde::{Deserialize, Serialize};

/// Fewest units a subgroup needs for any of its comparisons to be assessable. With 30
/// units a Wilson interval of a proportion near 90% is still ±10 points wide; below it
/// a difference of 5 points cannot be shown either way.
pub const MIN_UNITS: u64 = 30;
/// Fewest positive units a subgroup needs for its sensitivity to be assessable (with
/// fewer, one missed positive moves the sensitivity by more than 10 points).
pub const MIN_POSITIVES: u64 = 10;
/// Fewest negative units a subgroup needs for its specificity to be assessable.
pub const MIN_NEGATIVES: u64 = 10;
/// The non-inferiority margin the p values test: a subgroup is non-inferior when its
/// difference from the rest is above −5 points (the standard parity controls' margin,
/// which they state themselves on the interval's lower bound).
pub const MARGIN: f64 = 0.05;
/// The one-sided level of the non-inferiority test that matches a two-sided 95%
/// interval's lower bound.
pub const ALPHA: f64 = 0.025;
/// The interval method of an unclustered difference.
pub const NEWCOMBE: &str = "newcombe";
/// What a method widened by the patient-clustered percentile bootstrap starts with:
/// `cluster-bootstrap+wilson` is bound by bound the wider of the two.
pub const CLUSTER_PREFIX: &str = "cluster-bootstrap";
/// The interval method of a clustered difference: bound by bound the wider of the
/// patient-clustered percentile bootstrap and Newcombe's.
pub const CLUSTERED: &str = "cluster-bootstrap+newcombe";
/// The multiplicity adjustment of the p values.
pub const ADJUSTMENT: &str = "holm";

/// A metric compared between a subgroup and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compared {
    /// True positives / positives.
    Sensitivity,
    /// True negatives / negatives.
    Specificity,
    /// (True positives + true negatives) / units.
    Accuracy,
}

/// Every metric compared, in the order records list them.
pub const COMPARED: [Compared; 3] = [
    Compared::Sensitivity,
    Compared::Specificity,
    Compared::Accuracy,
];

impl Compared {
    /// Its name, as the metric registry and the facts write it.
    pub const fn name(self) -> &'static str {
        match self {
            Compared::Sensitivity => "sensitivity",
            Compared::Specificity => "specificity",
            Compared::Accuracy => "accuracy",
        }
    }

    /// Its successes and denominator in `c`.
    pub const fn counts(self, c: &Counts) -> (u64, u64) {
        match self {
            Compared::Sensitivity => (c.tp, c.tp + c.fn_),
            Compared::Specificity => (c.tn, c.tn + c.fp),
            Compared::Accuracy => (c.tp + c.tn, c.n()),
        }
    }

    /// Whether a subgroup of counts `c` is large enough for this metric to be judged:
    /// [`MIN_UNITS`] units, and [`MIN_POSITIVES`] positives for the sensitivity,
    /// [`MIN_NEGATIVES`] negatives for the specificity. The accuracy mixes both classes;
    /// it needs the units only.
    pub const fn assessable(self, c: &Counts) -> bool {
        c.n() >= MIN_UNITS
            && match self {
                Compared::Sensitivity => c.tp + c.fn_ >= MIN_POSITIVES,
                Compared::Specificity => c.tn + c.fp >= MIN_NEGATIVES,
                Compared::Accuracy => true,
            }
    }
}

/// The 2x2 table of a set of units at the operating point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// True negatives.
    pub tn: u64,
    /// False negatives.
    pub fn_: u64,
}

impl Counts {
    /// The table of a metrics record.
    pub const fn of(m: &super::Metrics) -> Self {
        Counts {
            tp: m.tp,
            fp: m.fp,
            tn: m.tn,
            fn_: m.fn_,
        }
    }

    /// Units.
    pub const fn n(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// Cell by cell sum.
    pub const fn plus(self, o: Counts) -> Counts {
        Counts {
            tp: self.tp + o.tp,
            fp: self.fp + o.fp,
            tn: self.tn + o.tn,
            fn_: self.fn_ + o.fn_,
        }
    }

    /// Cell by cell difference, saturating at 0 (`self` holds `o`).
    pub const fn minus(self, o: Counts) -> Counts {
        Counts {
            tp: self.tp.saturating_sub(o.tp),
            fp: self.fp.saturating_sub(o.fp),
            tn: self.tn.saturating_sub(o.tn),
            fn_: self.fn_.saturating_sub(o.fn_),
        }
    }
}

/// One metric of one subgroup against the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// The metric compared.
    pub metric: Compared,
    /// Subgroup − rest; none when either side has no case for the metric.
    pub value: Option<f64>,
    /// Lower bound of the 95% interval (0 when undefined).
    pub low: f64,
    /// Upper bound of the 95% interval (0 when undefined).
    pub high: f64,
    /// How the interval was computed: [`NEWCOMBE`] or [`CLUSTERED`].
    pub method: String,
    /// The rest's estimate; none when it has no case for the metric.
    pub rest: Option<f64>,
    /// The rest's denominator for the metric.
    pub rest_n: u64,
    /// Whether the subgroup is large enough to be judged ([`Compared::assessable`]) and
    /// the difference is defined.
    pub assessable: bool,
    /// One-sided p value of H₀: difference ≤ −[`MARGIN`] (the subgroup is inferior by
    /// the margin) against H₁: difference > −margin, from the same interval method
    /// (the p at which the interval's lower bound is exactly −margin); none when the
    /// difference is undefined.
    pub p_noninferior: Option<f64>,
    /// [`Self::p_noninferior`] adjusted by Holm's step-down over the family (every
    /// assessable comparison of the attribute's subgroups in one scope, [`holm`]); none
    /// for a comparison that is not assessable, which is not tested.
    pub p_holm: Option<f64>,
    /// Comparisons in the family the Holm adjustment is over.
    pub family: u64,
}

/// The Wilson score interval of `x` out of `n` at normal quantile `z` (>= 0); (0, 1)
/// for `n == 0`. At `z` = [`Z95`] it is [`crate::stats::wilson95`].
pub fn wilson(x: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (x, n) = (x as f64, n as f64);
    let p = x / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()) / denom;
    ((center - half).max(0.0), (center + half).min(1.0))
}

/// Newcombe's hybrid score interval (method 10) of `x1/n1 − x2/n2` at normal quantile
/// `z`; none when a denominator is 0.
pub fn newcombe(x1: u64, n1: u64, x2: u64, n2: u64, z: f64) -> Option<(f64, f64, f64)> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let (l1, u1) = wilson(x1, n1, z);
    let (l2, u2) = wilson(x2, n2, z);
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((d, low.max(-1.0), high.min(1.0)))
}

/// The standard normal upper tail, P(Z > z).
fn upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The one-sided p value of H₀: `x1/n1 − x2/n2 ≤ −margin` by inverting Newcombe's
/// interval: the z at which the interval's lower bound is exactly −margin, p = P(Z > z)
/// (so p <= 0.025 exactly when the 95% interval's lower bound is >= −margin). When the
/// estimate itself is at or below −margin, the upper bound is inverted instead and p >=
/// 0.5. None when a denominator is 0.
pub fn newcombe_p(x1: u64, n1: u64, x2: u64, n2: u64, margin: f64) -> Option<f64> {
    let (d, _, _) = newcombe(x1, n1, x2, n2, 0.0)?;
    let target = -margin;
    // Lower bound at z: decreasing in z from d (z = 0); upper bound: increasing from d.
    let bound = |z: f64, lower: bool| {
        newcombe(x1, n1, x2, n2, z).map_or(f64::NAN, |(_, l, h)| if lower { l } else { h })
    };
    let lower = d > target;
    let beyond = |z: f64| {
        let b = bound(z, lower);
        if lower {
            b > target
        } else {
            b < target
        }
    };
    // The bounds stop moving past z = 40 (Wilson's interval is then [0, 1] to double
    // precision): a bound that has not reached −margin there never does.
    const Z_MAX: f64 = 40.0;
    if beyond(Z_MAX) {
        return Some(if lower { 0.0 } else { 1.0 });
    }
    let (mut lo, mut hi) = (0.0, Z_MAX);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if beyond(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 {
            break;
        }
    }
    let z = 0.5 * (lo + hi);
    Some(if lower {
        upper_tail(z)
    } else {
        1.0 - upper_tail(z)
    })
}

/// Holm's step-down adjustment (S. Holm, "A simple sequentially rejective multiple test
/// procedure", Scandinavian Journal of Statistics 6:65-70, 1979) of `p`, in its order:
/// with the p values sorted ascending, the i-th (from 1) of m becomes
/// `max over j <= i of min(1, (m − j + 1) p_(j))`. Ties keep input order, so the result
/// is deterministic. It is statsmodels' `multipletests(method="holm")`.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        let adjusted = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adjusted);
        out[i] = running;
    }
    out
}

/// The unclustered difference of `metric` between the subgroup `group` and the rest
/// `rest`, with its Newcombe interval and p value (not yet Holm-adjusted: [`adjust`]).
pub fn unclustered(metric: Compared, group: &Counts, rest: &Counts) -> Difference {
    let (x1, n1) = metric.counts(group);
    let (x2, n2) = metric.counts(rest);
    let iv = newcombe(x1, n1, x2, n2, Z95);
    let rest_value = (n2 > 0).then(|| x2 as f64 / n2 as f64);
    Difference {
        metric,
        value: iv.map(|(d, _, _)| d),
        low: iv.map_or(0.0, |(_, l, _)| l),
        high: iv.map_or(0.0, |(_, _, h)| h),
        method: NEWCOMBE.to_string(),
        rest: rest_value,
        rest_n: n2,
        assessable: iv.is_some() && metric.assessable(group),
        p_noninferior: newcombe_p(x1, n1, x2, n2, MARGIN),
        p_holm: None,
        family: 0,
    }
}

/// Widens an unclustered difference by the patient-clustered bootstrap's interval
/// (`iv`) and p value (`p`, the share of resamples at or below −margin), where they are
/// defined: bound by bound the wider interval, and the larger p value, so that the
/// interval's lower bound clears −margin only when both methods' do (see
/// [`crate::facts::findings::subgroups`] for why).
pub fn widen(d: &mut Difference, iv: Option<super::cluster::Interval>, p: Option<f64>) {
    let (Some(iv), Some(_)) = (iv, d.value) else {
        return;
    };
    d.low = d.low.min(iv.low);
    d.high = d.high.max(iv.high);
    d.method = CLUSTERED.to_string();
    if let (Some(a), Some(b)) = (d.p_noninferior, p) {
        d.p_noninferior = Some(a.max(b));
    }
}

/// Every subgroup's comparisons against the rest, unclustered: `groups` are the
/// subgroups of one attribute (a partition of the units), each by its 2x2 table. One
/// entry per group, in its order, each with [`COMPARED`]'s differences, Holm-adjusted
/// over the family.
pub fn against_rest(groups: &[Counts]) -> Vec<Vec<Difference>> {
    let total = groups.iter().fold(Counts::default(), |a, g| a.plus(*g));
    let mut out: Vec<Vec<Difference>> = groups
        .iter()
        .map(|g| {
            let rest = total.minus(*g);
            COMPARED.iter().map(|&m| unclustered(m, g, &rest)).collect()
        })
        .collect();
    adjust(&mut out);
    out
}

/// Holm-adjusts the p values of one family: every assessable comparison in `family`
/// (each subgroup's differences); a comparison that is not assessable keeps no adjusted
/// p value. Every entry records the family's size.
pub fn adjust(family: &mut [Vec<Difference>]) {
    let tested: Vec<(usize, usize, f64)> = family
        .iter()
        .enumerate()
        .flat_map(|(g, ds)| ds.iter().enumerate().map(move |(k, d)| (g, k, d)))
        .filter_map(|(g, k, d)| match (d.assessable, d.p_noninferior) {
            (true, Some(p)) => Some((g, k, p)),
            _ => None,
        })
        .collect();
    let adjusted = holm(&tested.iter().map(|t| t.2).collect::<Vec<_>>());
    let size = tested.len() as u64;
    for ds in family.iter_mut() {
        for d in ds.iter_mut() {
            d.family = size;
            d.p_holm = None;
        }
    }
    for ((g, k, _), p) in tested.iter().zip(adjusted) {
        family[*g][*k].p_holm = Some(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(tp: u64, fn_: u64, tn: u64, fp: u64) -> Counts {
        Counts { tp, fp, tn, fn_ }
    }

    #[test]
    fn wilson_at_95_is_the_shared_one() {
        for (x, n) in [(0, 10), (3, 7), (84, 100), (10, 10), (1, 1)] {
            let (l, h) = wilson(x, n, Z95);
            let (l2, h2) = crate::stats::wilson95(x as f64, n as f64);
            assert!((l - l2).abs() < 1e-15 && (h - h2).abs() < 1e-15, "{x}/{n}");
        }
    }

    /// A vendor at 2 of 4 against 90 of 100 elsewhere: its upper bound reaches the
    /// overall estimate minus 5 points (the old rule passed it), but the lower bound of
    /// its difference is far below −5 points, and it is not assessable anyway.
    #[test]
    fn two_of_four_is_neither_parity_nor_assessable() {
        let group = counts(2, 2, 0, 0);
        let rest = counts(90, 10, 0, 0);
        let d = unclustered(Compared::Sensitivity, &group, &rest);
        assert!(!d.assessable);
        assert!(d.low < -0.5, "{d:?}");
        assert!(d.p_noninferior.is_some_and(|p| p > 0.5), "{d:?}");
    }

    #[test]
    fn the_p_value_inverts_the_interval() {
        for (x1, n1, x2, n2) in [(45, 50, 180, 200), (40, 50, 185, 200), (30, 30, 50, 60)] {
            let p = newcombe_p(x1, n1, x2, n2, MARGIN).expect("defined");
            let (_, low, _) = newcombe(x1, n1, x2, n2, Z95).expect("defined");
            assert_eq!(
                p <= ALPHA,
                low >= -MARGIN,
                "{x1}/{n1} vs {x2}/{n2}: p {p}, low {low}"
            );
            // At the p value's own level the lower bound is the margin.
            if p > 1e-12 && p < 0.5 {
                let (mut lo, mut hi) = (0.0, 40.0);
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if upper_tail(mid) > p {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let (_, l, _) = newcombe(x1, n1, x2, n2, lo).expect("defined");
                assert!((l + MARGIN).abs() < 1e-9, "{l}");
            }
        }
        assert_eq!(newcombe_p(1, 0, 1, 2, MARGIN), None);
    }

    #[test]
    fn holm_steps_down() {
        // By hand: sorted 1/16, 1/8, 1/4 of m = 3 -> 3/16, max(3/16, 2/8), max(.., 1/4).
        assert_eq!(holm(&[0.25, 0.0625, 0.125]), vec![0.25, 0.1875, 0.25]);
        assert_eq!(holm(&[0.5, 0.6]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn thin_groups_are_left_out_of_the_family() {
        let groups = [
            counts(45, 5, 45, 5),
            counts(90, 10, 85, 15),
            counts(3, 1, 4, 2),
        ];
        let all = against_rest(&groups);
        assert_eq!(all.len(), 3);
        // Two assessable groups x three metrics; the thin one is in no family.
        for d in &all[0] {
            assert_eq!(d.family, 6);
            assert!(d.p_holm.is_some() && d.p_holm >= d.p_noninferior);
        }
        assert!(all[2].iter().all(|d| !d.assessable && d.p_holm.is_none()));
        // The rest of group 0 is groups 1 and 2.
        assert_eq!(all[0][0].rest_n, 104);
        assert_eq!(all[0][0].rest, Some(93.0 / 104.0));
    }

    #[test]
    fn the_minimum_sample_is_per_metric() {
        let few_positives = counts(8, 1, 40, 2);
        assert!(!Compared::Sensitivity.assessable(&few_positives));
        assert!(Compared::Specificity.assessable(&few_positives));
        assert!(Compared::Accuracy.assessable(&few_positives));
        let few_units = counts(12, 2, 12, 2);
        assert!(COMPARED.iter().all(|m| !m.assessable(&few_units)));
    }
}
