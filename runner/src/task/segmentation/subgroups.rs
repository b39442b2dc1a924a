//! Subgroup parity of a segmentation model (issue 17's subgroup section, for issue 14):
//! per structure, per attribute (PatientSex, AgeBand, Manufacturer) and per value, the
//! group's mean Dice with its patient-clustered interval, and its difference from the
//! rest of the cases (group − rest) with a patient-clustered percentile bootstrap 95%
//! interval and a one-sided p value of non-inferiority by [`MARGIN`], Holm-adjusted over
//! the attribute's assessable groups.
//!
//! - Groups: a case's value as stored in its series' first slice; a case without one is
//!   in the group `unknown` (as `benchmark.by` groups scans), so no case is dropped and
//!   every case is in exactly one group of an attribute. The rest of a group is every
//!   other case of the structure that defines a Dice.
//! - The difference's interval: each resample draws the patients once
//!   ([`crate::metrics::cluster::multiplicities`], its seed and 2000 resamples) and both
//!   sides are computed from the same weights — a patient may have series in the group
//!   and in the rest (an age band or a scanner changes between studies), so the two
//!   sides are not independent. The mean of a side is the mean of its drawn cases. A
//!   resample where a side has no case is left out; the interval is the 2.5th and
//!   97.5th percentiles (linear interpolation, numpy's default) of the others.
//! - `p_noninferior`: the bootstrap's share of the (defined) resamples in which the
//!   difference is at or below −[`MARGIN`] (H0: the group lags the rest by the margin or
//!   more); not a normal approximation. Its resolution is one resample (1/2000).
//! - `assessable`: the group and the rest each have at least [`MIN_CASES`] cases with a
//!   Dice from at least [`MIN_PATIENTS`] patients. The binary task asks for 30 units
//!   (and 10 positives / negatives) because a proportion's information is one bit a
//!   unit and its interval from fewer than 30 is mostly width; a Dice is a continuous
//!   per-case value whose between-case spread on an organ is a few points, so 10 cases
//!   already give a mean to a couple of points. The patients bound is the clustered
//!   bootstrap's: with fewer than 5 patients a side has under 126 distinct resamples
//!   and its percentiles are coarse. Below either bound the group is reported, with its
//!   numbers, as not assessable, never as passing.
//! - `p_holm`: Holm's step-down ([`crate::metrics::subgroup::holm`]) over the assessable
//!   groups of one attribute for one structure; none for a group not assessable.

use super::evidence::{Case, SegmentationEvidence};
use crate::metrics::cluster::{multiplicities, Resampling, METHOD};
use crate::metrics::segmentation::{summarize, Ci95, Summary, SummaryError};
use crate::metrics::subgroup::holm;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The non-inferiority margin of a group's mean Dice against the rest's.
pub const MARGIN: f64 = 0.05;
/// The fewest cases with a Dice a group and its rest each need to be judged.
pub const MIN_CASES: u64 = 10;
/// The fewest patients a group and its rest each need to be judged.
pub const MIN_PATIENTS: u32 = 5;
/// The attributes grouped by, in the order of the facts.
pub const ATTRIBUTES: [&str; 3] = ["PatientSex", "AgeBand", "Manufacturer"];
/// The value of a case that does not record the attribute.
pub const UNKNOWN: &str = "unknown";

/// A group against the rest of the cases.
#[derive(Debug, Clone, PartialEq)]
pub struct VsRest {
    /// Mean Dice of the group − mean Dice of the rest; none when either has no Dice.
    pub difference: Option<f64>,
    /// Its patient-clustered percentile bootstrap 95% interval.
    pub ci95: Option<Ci95>,
    /// Share of the resamples with a difference at or below −[`MARGIN`].
    pub p_noninferior: Option<f64>,
    /// `p_noninferior`, Holm-adjusted over the attribute's assessable groups.
    pub p_holm: Option<f64>,
    /// Whether both sides have [`MIN_CASES`] cases and [`MIN_PATIENTS`] patients.
    pub assessable: bool,
}

/// One group of one attribute for one structure.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The attribute (one of [`ATTRIBUTES`]).
    pub attribute: &'static str,
    /// Its value ([`UNKNOWN`] when the case does not record it).
    pub value: String,
    /// Cases of the group (for the structure, whether or not they define a Dice).
    pub n: u64,
    /// Patients among them.
    pub patients: u32,
    /// Mean Dice over the group's cases that define it; none when none does.
    pub dice: Option<Summary>,
    /// The group against the rest.
    pub vs_rest: VsRest,
}

fn value<'a>(c: &'a Case, attribute: &str) -> &'a str {
    let v = match attribute {
        "PatientSex" => &c.sex,
        "AgeBand" => &c.age_band,
        _ => &c.manufacturer,
    };
    if v.is_empty() {
        UNKNOWN
    } else {
        v
    }
}

/// The `q` quantile of ascending `v` by linear interpolation (numpy's default).
fn quantile(v: &[f64], q: f64) -> f64 {
    let h = (v.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// The difference group − rest of `(patient, in_group, dice)` cases (patients in
/// `0..k`): the estimate, the interval and the share at or below −margin; none when a
/// side has no case.
pub fn difference(
    cases: &[(u32, bool, f64)],
    k: u32,
    resampling: Resampling,
    margin: f64,
) -> Option<(f64, Ci95, f64)> {
    // Per patient: (sum, count) in the group and in the rest.
    let mut sums = vec![[0.0f64; 2]; k as usize];
    let mut counts = vec![[0u64; 2]; k as usize];
    for &(p, g, d) in cases {
        let side = usize::from(!g);
        sums[p as usize][side] += d;
        counts[p as usize][side] += 1;
    }
    let stat = |w: &dyn Fn(usize) -> f64| -> Option<f64> {
        let (mut s, mut c) = ([0.0f64; 2], [0.0f64; 2]);
        for p in 0..k as usize {
            let m = w(p);
            for side in 0..2 {
                s[side] += m * sums[p][side];
                c[side] += m * counts[p][side] as f64;
            }
        }
        (c[0] > 0.0 && c[1] > 0.0).then(|| s[0] / c[0] - s[1] / c[1])
    };
    let estimate = stat(&|_| 1.0)?;
    let mut draws: Vec<f64> = (0..resampling.resamples)
        .into_par_iter()
        .filter_map(|b| {
            let mult = multiplicities(resampling.seed, b, k);
            stat(&|p| f64::from(mult[p]))
        })
        .collect();
    if draws.is_empty() {
        return None;
    }
    draws.sort_by(f64::total_cmp);
    let below = draws.iter().filter(|&&d| d <= -margin).count();
    Some((
        estimate,
        Ci95 {
            low: quantile(&draws, 0.025),
            high: quantile(&draws, 0.975),
            method: METHOD.to_string(),
        },
        below as f64 / draws.len() as f64,
    ))
}

/// Every group of every attribute of structure `k` (its index in the evidence's
/// structures), attribute by attribute in [`ATTRIBUTES`]' order, values sorted.
pub fn structure_groups(
    ev: &SegmentationEvidence,
    k: usize,
    resampling: Resampling,
) -> Result<Vec<Group>, SummaryError> {
    // Patients numbered in the order of the cases (their pseudonyms' order).
    let mut ids: BTreeMap<&str, u32> = BTreeMap::new();
    for c in &ev.cases {
        let next = ids.len() as u32;
        ids.entry(c.patient.as_str()).or_insert(next);
    }
    let kp = ids.len() as u32;
    let cases: Vec<(&Case, u32, Option<f64>)> = ev
        .cases
        .iter()
        .filter_map(|c| Some((c, ids[c.patient.as_str()], c.metrics.get(k)?.dice)))
        .collect();
    let mut out = Vec::new();
    for attribute in ATTRIBUTES {
        let mut values: BTreeMap<&str, ()> = BTreeMap::new();
        for (c, _, _) in &cases {
            values.insert(value(c, attribute), ());
        }
        let start = out.len();
        for v in values.keys() {
            let member = |c: &Case| value(c, attribute) == *v;
            let group: Vec<&(&Case, u32, Option<f64>)> =
                cases.iter().filter(|x| member(x.0)).collect();
            let mut patients: Vec<u32> = group.iter().map(|x| x.1).collect();
            patients.sort_unstable();
            patients.dedup();
            let dice_cases: Vec<(u32, f64)> =
                group.iter().filter_map(|x| Some((x.1, x.2?))).collect();
            let dice = summarize(&dice_cases, resampling)?;
            let flagged: Vec<(u32, bool, f64)> = cases
                .iter()
                .filter_map(|x| Some((x.1, member(x.0), x.2?)))
                .collect();
            let side = |g: bool| {
                let mut p: Vec<u32> = flagged.iter().filter(|x| x.1 == g).map(|x| x.0).collect();
                let n = p.len() as u64;
                p.sort_unstable();
                p.dedup();
                n >= MIN_CASES && p.len() as u32 >= MIN_PATIENTS
            };
            let d = difference(&flagged, kp, resampling, MARGIN);
            out.push(Group {
                attribute,
                value: (*v).to_string(),
                n: group.len() as u64,
                patients: patients.len() as u32,
                dice,
                vs_rest: VsRest {
                    difference: d.as_ref().map(|d| d.0),
                    ci95: d.as_ref().map(|d| d.1.clone()),
                    p_noninferior: d.as_ref().map(|d| d.2),
                    p_holm: None,
                    assessable: d.is_some() && side(true) && side(false),
                },
            });
        }
        adjust(&mut out[start..]);
    }
    Ok(out)
}

/// Holm-adjusts the p values of the assessable groups of one attribute.
pub fn adjust(groups: &mut [Group]) {
    let family: Vec<usize> = (0..groups.len())
        .filter(|&i| groups[i].vs_rest.assessable && groups[i].vs_rest.p_noninferior.is_some())
        .collect();
    let p: Vec<f64> = family
        .iter()
        .filter_map(|&i| groups[i].vs_rest.p_noninferior)
        .collect();
    for (&i, q) in family.iter().zip(holm(&p)) {
        groups[i].vs_rest.p_holm = Some(q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::segmentation::{CaseMetrics, Emptiness};

    fn metrics(dice: Option<f64>) -> CaseMetrics {
        CaseMetrics {
            emptiness: if dice.is_some() {
                Emptiness::Neither
            } else {
                Emptiness::Both
            },
            dice,
            iou: dice,
            nsd: dice,
            nsd_tolerance_mm: 2.0,
            hd95: None,
            assd: None,
            reference_ml: 1.0,
            predicted_ml: 1.0,
            volume_difference_ml: 0.0,
            abs_volume_difference_ml: 0.0,
            rvd: None,
            reference_voxels: 1,
            predicted_voxels: 1,
            intersection_voxels: 1,
            reference_surface_voxels: 1,
            predicted_surface_voxels: 1,
        }
    }

    fn case(patient: u32, sex: &str, dice: Option<f64>) -> Case {
        Case {
            series: format!("s{patient}-{sex}-{dice:?}"),
            patient: format!("p{patient:02}"),
            slices: 20,
            sex: sex.to_string(),
            age_band: String::new(),
            manufacturer: "ACME".to_string(),
            size: [4, 4, 4],
            spacing: [1.0; 3],
            metrics: vec![metrics(dice)],
        }
    }

    fn evidence(cases: Vec<Case>) -> SegmentationEvidence {
        SegmentationEvidence {
            structures: vec!["liver".to_string()],
            cases,
            summaries: Vec::new(),
            series_without_mask: 0,
        }
    }

    #[test]
    fn quantile_is_numpys_linear() {
        // numpy.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) = [1.075, 2.5, 3.925]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&v, 0.025) - 1.075).abs() < 1e-12);
        assert!((quantile(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile(&v, 0.975) - 3.925).abs() < 1e-12);
    }

    #[test]
    fn a_constant_gap_has_a_degenerate_interval_and_a_certain_p() {
        let r = Resampling::default();
        // The group at 0.80, the rest at 0.90, whatever patients a resample draws.
        let lag: Vec<(u32, bool, f64)> = (0..12)
            .map(|p| (p, p < 6, if p < 6 { 0.80 } else { 0.90 }))
            .collect();
        let (d, ci, p) = difference(&lag, 12, r, MARGIN).expect("defined");
        assert!((d + 0.10).abs() < 1e-12, "{d}");
        assert!((ci.low + 0.10).abs() < 1e-12 && (ci.high + 0.10).abs() < 1e-12);
        assert_eq!(p, 1.0, "every resample lags by 0.10 >= the margin");
        // 0.02 ahead: no resample at or below -0.05.
        let ahead: Vec<(u32, bool, f64)> = lag
            .iter()
            .map(|&(q, g, _)| (q, g, if g { 0.92 } else { 0.90 }))
            .collect();
        let (d, _, p) = difference(&ahead, 12, r, MARGIN).expect("defined");
        assert!((d - 0.02).abs() < 1e-12);
        assert_eq!(p, 0.0);
        // No case in the rest: undefined.
        let alone: Vec<(u32, bool, f64)> = (0..4).map(|q| (q, true, 0.9)).collect();
        assert!(difference(&alone, 4, r, MARGIN).is_none());
    }

    #[test]
    fn the_interval_is_the_percentiles_of_patients_drawn_once_for_both_sides() {
        // Patients 0..8; patient 2 and 5 have a case on each side (a changed band).
        let cases: Vec<(u32, bool, f64)> = vec![
            (0, true, 0.71),
            (1, true, 0.83),
            (2, true, 0.90),
            (3, true, 0.78),
            (2, false, 0.93),
            (4, false, 0.88),
            (5, false, 0.95),
            (5, true, 0.60),
            (6, false, 0.91),
            (7, false, 0.86),
        ];
        let r = Resampling {
            resamples: 400,
            seed: 7,
        };
        let (d, ci, p) = difference(&cases, 8, r, MARGIN).expect("defined");
        // Point estimate by hand: group mean (0.71+0.83+0.90+0.78+0.60)/5 = 0.764,
        // rest (0.93+0.88+0.95+0.91+0.86)/5 = 0.906.
        assert!((d - (0.764 - 0.906)).abs() < 1e-12, "{d}");
        // The same resamples, replicating each drawn patient's cases.
        let mut draws = Vec::new();
        for b in 0..r.resamples {
            let mult = multiplicities(r.seed, b, 8);
            let (mut g, mut rest) = (Vec::new(), Vec::new());
            for &(q, side, v) in &cases {
                for _ in 0..mult[q as usize] {
                    if side {
                        g.push(v)
                    } else {
                        rest.push(v)
                    }
                }
            }
            if g.is_empty() || rest.is_empty() {
                continue;
            }
            let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
            draws.push(mean(&g) - mean(&rest));
        }
        draws.sort_by(f64::total_cmp);
        assert!((ci.low - quantile(&draws, 0.025)).abs() < 1e-12);
        assert!((ci.high - quantile(&draws, 0.975)).abs() < 1e-12);
        let share = draws.iter().filter(|&&x| x <= -MARGIN).count() as f64 / draws.len() as f64;
        assert!((p - share).abs() < 1e-12);
        assert!(ci.low < d && d < ci.high && p > 0.5, "{ci:?} {p}");
    }

    fn group(p: f64, assessable: bool) -> Group {
        Group {
            attribute: "AgeBand",
            value: String::new(),
            n: 10,
            patients: 5,
            dice: None,
            vs_rest: VsRest {
                difference: Some(0.0),
                ci95: None,
                p_noninferior: Some(p),
                p_holm: None,
                assessable,
            },
        }
    }

    #[test]
    fn holm_is_over_the_assessable_groups_only() {
        // statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03], method="holm")
        // gives [0.03, 0.06, 0.06]; the group not assessable is outside the family.
        let mut g = vec![
            group(0.01, true),
            group(0.04, true),
            group(0.001, false),
            group(0.03, true),
        ];
        adjust(&mut g);
        let got: Vec<Option<f64>> = g.iter().map(|g| g.vs_rest.p_holm).collect();
        let want = [Some(0.03), Some(0.06), None, Some(0.06)];
        for (a, b) in got.iter().zip(want) {
            assert!(
                match (a, b) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-12,
                    (None, None) => true,
                    _ => false,
                },
                "{got:?}"
            );
        }
    }

    #[test]
    fn groups_need_ten_cases_and_five_patients_on_both_sides() {
        // F: 10 cases of 5 patients; M: 10 cases of 4 patients, one more without a Dice.
        let mut cases: Vec<Case> = (0..10).map(|i| case(i / 2, "F", Some(0.9))).collect();
        cases.extend((0..10).map(|i| case(10 + i / 3, "M", Some(0.85 + 0.01 * f64::from(i)))));
        cases.push(case(20, "M", None));
        let ev = evidence(cases.clone());
        let g = structure_groups(&ev, 0, Resampling::default()).expect("groups");
        let sex: Vec<&Group> = g.iter().filter(|g| g.attribute == "PatientSex").collect();
        assert_eq!(sex.len(), 2);
        assert_eq!(
            (sex[0].value.as_str(), sex[0].n, sex[0].patients),
            ("F", 10, 5)
        );
        assert_eq!(
            (sex[1].value.as_str(), sex[1].n, sex[1].patients),
            ("M", 11, 5)
        );
        assert_eq!(
            sex[1].dice.as_ref().map(|d| d.n),
            Some(10),
            "the Dice over the cases defining it"
        );
        // M's 10 Dice cases are from patients 10..13 (4): neither side is assessable.
        assert!(!sex[0].vs_rest.assessable && !sex[1].vs_rest.assessable);
        assert!(sex.iter().all(|g| g.vs_rest.p_holm.is_none()));
        // group - rest: F 0.9 against M's mean 0.895, and its mirror.
        let d = sex[0].vs_rest.difference.expect("defined");
        assert!((d - 0.005).abs() < 1e-12, "{d}");
        assert!((sex[1].vs_rest.difference.expect("defined") + 0.005).abs() < 1e-12);
        // Age is not recorded: one group, `unknown`, with no rest.
        let age: Vec<&Group> = g.iter().filter(|g| g.attribute == "AgeBand").collect();
        assert_eq!(age.len(), 1);
        assert_eq!(age[0].value, UNKNOWN);
        assert!(age[0].vs_rest.difference.is_none() && !age[0].vs_rest.assessable);
        // A fifth patient for M makes both sides assessable, and Holm runs over the two.
        cases[20].patient = "p30".to_string();
        cases[20].metrics = vec![metrics(Some(0.9))];
        let g = structure_groups(&evidence(cases), 0, Resampling::default()).expect("groups");
        let sex: Vec<&Group> = g.iter().filter(|g| g.attribute == "PatientSex").collect();
        assert!(sex[0].vs_rest.assessable && sex[1].vs_rest.assessable);
        let (p0, p1) = (
            sex[0].vs_rest.p_noninferior.unwrap(),
            sex[1].vs_rest.p_noninferior.unwrap(),
        );
        let lo = p0.min(p1);
        let want = (2.0 * lo).min(1.0).max(p0.max(p1));
        let got = sex
            .iter()
            .map(|g| g.vs_rest.p_holm.unwrap())
            .fold(0.0, f64::max);
        assert!((got - want).abs() < 1e-12);
    }
}
