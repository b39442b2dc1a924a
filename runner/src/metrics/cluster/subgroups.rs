//! The subgroups of one attribute when units cluster by patient: each subgroup's own
//! sensitivity, specificity and AUC, and its difference from the rest of the units
//! (subgroup − complement) in sensitivity, specificity and accuracy, all from one set
//! of resampled patients.
//!
//! A patient may have units in a subgroup and in its complement (an age band or a
//! scanner can change between a patient's studies), so the two sides are not
//! independent samples: resampling patients and computing both sides from the same
//! weights keeps that dependence, which Newcombe's interval for independent samples
//! cannot. The caller widens these intervals by Wilson's and Newcombe's
//! ([`crate::metrics::subgroup`]); the reason is there.

use super::prepared::{ratio, Cells, Prepared};
use super::resample::{interval, samples};
use super::{
    check_design, check_threshold, check_unit, ClusterError, Interval, Operating, Resampling, Unit,
};

/// One subgroup under the clustered bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupIntervals {
    /// The subgroup's sensitivity.
    pub sensitivity: Option<Interval>,
    /// The subgroup's specificity.
    pub specificity: Option<Interval>,
    /// The subgroup's ROC AUC.
    pub auc: Option<Interval>,
    /// Subgroup − rest, in the order of [`crate::metrics::subgroup::COMPARED`]
    /// (sensitivity, specificity, accuracy); none where undefined.
    pub differences: [Option<Interval>; 3],
    /// For each difference, the share of the resamples (where it is defined) in which it
    /// is at or below −margin: the bootstrap's one-sided p value of non-inferiority.
    pub at_or_below_margin: [Option<f64>; 3],
}

fn accuracy(c: Cells) -> Option<f64> {
    ratio(c.tp + c.tn, c.p + c.n)
}

fn minus(a: Cells, b: Cells) -> Cells {
    Cells {
        p: a.p.saturating_sub(b.p),
        tp: a.tp.saturating_sub(b.tp),
        n: a.n.saturating_sub(b.n),
        tn: a.tn.saturating_sub(b.tn),
    }
}

fn difference(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

/// Every subgroup of a partition of one finding's units (`groups[g]` holds subgroup
/// `g`'s units, every unit's cluster in `0..clusters`), at one operating point; the
/// rest of subgroup `g` is every unit of the other subgroups. One entry per subgroup.
pub fn subgroups(
    groups: &[&[Unit]],
    clusters: u32,
    operating: Operating,
    resampling: Resampling,
    margin: f64,
) -> Result<Vec<GroupIntervals>, ClusterError> {
    check_design(groups.len(), clusters, resampling)?;
    check_threshold(0, operating)?;
    for (g, units) in groups.iter().enumerate() {
        for (index, u) in units.iter().enumerate() {
            check_unit(g, index, u.cluster, u.score, clusters)?;
        }
    }
    let prepared: Vec<Prepared> = groups
        .iter()
        .map(|units| {
            Prepared::new(
                units.iter().map(|u| (u.cluster, u.label, u.score)),
                operating,
            )
        })
        .collect();
    let all = Prepared::new(
        groups
            .iter()
            .flat_map(|units| units.iter().map(|u| (u.cluster, u.label, u.score))),
        operating,
    );
    // Per subgroup: its sensitivity, specificity, AUC, then the three differences.
    let eval = |mult: &[u32], scratch: &mut Vec<u64>| {
        let total = all.cells(mult);
        let mut row: Vec<Option<f64>> = Vec::with_capacity(6 * prepared.len());
        for p in &prepared {
            let own = p.statistics(mult, scratch);
            let c = p.cells(mult);
            let rest = minus(total, c);
            row.extend(own);
            row.push(difference(ratio(c.tp, c.p), ratio(rest.tp, rest.p)));
            row.push(difference(ratio(c.tn, c.n), ratio(rest.tn, rest.n)));
            row.push(difference(accuracy(c), accuracy(rest)));
        }
        row
    };
    let (observed, sorted) = samples(clusters, resampling, eval);
    let iv = |i: usize| interval(observed[i], &sorted[i], resampling);
    let below = |i: usize| {
        let v = &sorted[i];
        (observed[i].is_some() && !v.is_empty()).then(|| {
            let k = v.partition_point(|d| *d <= -margin);
            k as f64 / v.len() as f64
        })
    };
    Ok((0..prepared.len())
        .map(|g| {
            let b = 6 * g;
            GroupIntervals {
                sensitivity: iv(b),
                specificity: iv(b + 1),
                auc: iv(b + 2),
                differences: [iv(b + 3), iv(b + 4), iv(b + 5)],
                at_or_below_margin: [below(b + 3), below(b + 4), below(b + 5)],
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::cluster::intervals;

    fn unit(cluster: u32, label: bool, score: f64) -> Unit {
        Unit {
            cluster,
            label,
            score,
        }
    }

    /// Two groups over eight patients, some with units in both groups.
    fn design() -> (Vec<Unit>, Vec<Unit>) {
        let a = vec![
            unit(0, true, 0.9),
            unit(0, true, 0.4),
            unit(1, false, 0.2),
            unit(2, true, 0.8),
            unit(3, false, 0.6),
            unit(3, false, 0.1),
        ];
        let b = vec![
            unit(0, false, 0.3),
            unit(4, true, 0.7),
            unit(5, false, 0.2),
            unit(6, true, 0.3),
            unit(7, true, 0.95),
            unit(7, false, 0.05),
        ];
        (a, b)
    }

    const OP: Operating = Operating {
        threshold: 0.5,
        inclusive: true,
    };

    #[test]
    fn the_observed_differences_are_the_counts() {
        let (a, b) = design();
        let r = subgroups(&[&a, &b], 8, OP, Resampling::default(), 0.05).expect("bootstrap");
        // a: sensitivity 2/3, specificity 2/3, accuracy 4/6; b: 2/3, 3/3, 5/6.
        let d = r[0].differences.map(|d| d.map(|i| i.value));
        assert_eq!(d[0], Some(2.0 / 3.0 - 2.0 / 3.0));
        assert_eq!(d[1], Some(2.0 / 3.0 - 1.0));
        assert_eq!(d[2], Some(4.0 / 6.0 - 5.0 / 6.0));
        assert_eq!(r[1].differences[1].map(|i| i.value), Some(1.0 - 2.0 / 3.0));
        for g in &r {
            for (iv, p) in g.differences.iter().zip(g.at_or_below_margin) {
                let (iv, p) = (iv.expect("defined"), p.expect("defined"));
                assert!(iv.low <= iv.value && iv.value <= iv.high, "{iv:?}");
                assert!((0.0..=1.0).contains(&p));
            }
        }
    }

    /// A subgroup's own intervals are those of the bootstrap of the group alone: the
    /// same draws, since the draws depend on (seed, resample, K) only.
    #[test]
    fn own_intervals_are_the_groups_bootstrap() {
        let (a, b) = design();
        let r = subgroups(&[&a, &b], 8, OP, Resampling::default(), 0.05).expect("bootstrap");
        let alone = intervals(&a, 8, OP, Resampling::default()).expect("bootstrap");
        assert_eq!(r[0].sensitivity, alone.sensitivity);
        assert_eq!(r[0].specificity, alone.specificity);
        assert_eq!(r[0].auc, alone.auc);
    }

    #[test]
    fn deterministic_and_checked() {
        let (a, b) = design();
        let one = subgroups(&[&a, &b], 8, OP, Resampling::default(), 0.05);
        let two = subgroups(&[&a, &b], 8, OP, Resampling::default(), 0.05);
        assert_eq!(one, two);
        assert!(subgroups(&[&a, &b], 7, OP, Resampling::default(), 0.05).is_err());
        assert!(subgroups(&[], 8, OP, Resampling::default(), 0.05).is_err());
    }
}
