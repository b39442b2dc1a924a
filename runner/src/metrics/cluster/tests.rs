use super::*;
use crate::metrics::bootstrap::splitmix64;
use crate::metrics::{compute, Scored};

/// A small deterministic generator for test data (SplitMix64).
struct Gen(u64);

impl Gen {
    fn unit(&mut self) -> f64 {
        (splitmix64(&mut self.0) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `k` patients with 1 to 4 studies each; scores rounded to 2 decimals (ties).
fn data(k: u32, seed: u64) -> Vec<Unit> {
    let mut g = Gen(seed);
    let mut units = Vec::new();
    for cluster in 0..k {
        let sick = g.unit() < 0.4;
        let studies = 1 + (g.unit() * 4.0) as u32;
        for _ in 0..studies {
            let label = if g.unit() < 0.8 { sick } else { !sick };
            let shift = if label { 0.25 } else { 0.0 };
            let score = ((0.2 + shift + 0.5 * g.unit()) * 100.0).round() / 100.0;
            units.push(Unit {
                cluster,
                label,
                score,
            });
        }
    }
    units
}

const OP: Operating = Operating {
    threshold: 0.5,
    inclusive: true,
};

fn r(resamples: u32) -> Resampling {
    Resampling { resamples, seed: 7 }
}

#[test]
fn multiplicities_sum_to_k_and_follow_the_seed() {
    let a = multiplicities(1, 0, 50);
    assert_eq!(a.iter().sum::<u32>(), 50);
    assert_eq!(a, multiplicities(1, 0, 50));
    assert_ne!(a, multiplicities(2, 0, 50));
    assert_ne!(a, multiplicities(1, 1, 50));
    assert!(multiplicities(1, 0, 0).is_empty());
}

#[test]
fn observed_values_are_the_unclustered_metrics() {
    let units = data(80, 3);
    let iv = intervals(&units, 80, OP, r(50)).unwrap_or_else(|e| panic!("{e}"));
    let cases: Vec<Scored> = units
        .iter()
        .map(|u| Scored {
            label: u.label,
            score: u.score,
        })
        .collect();
    let m = compute(&cases, 0.5, true);
    let sens = iv.sensitivity.map(|i| i.value);
    assert_eq!(sens, Some(m.sensitivity.value));
    assert_eq!(iv.specificity.map(|i| i.value), Some(m.specificity.value));
    let auc = iv.auc.map_or(f64::NAN, |i| i.value);
    let want = m.auc.map_or(f64::NAN, |a| a.value);
    assert!((auc - want).abs() < 1e-15, "{auc} vs {want}");
}

#[test]
fn weighted_auc_is_the_auc_of_the_replicated_units() {
    let units = data(30, 11);
    let prepared = Prepared::new(units.iter().map(|u| (u.cluster, u.label, u.score)), OP);
    for b in 0..20 {
        let mult = multiplicities(5, b, 30);
        let replicated: Vec<Scored> = units
            .iter()
            .flat_map(|u| {
                let c = Scored {
                    label: u.label,
                    score: u.score,
                };
                std::iter::repeat_n(c, mult[u.cluster as usize] as usize)
            })
            .collect();
        let m = compute(&replicated, 0.5, true);
        let [sens, spec, auc] = prepared.statistics(&mult, &mut Vec::new());
        assert_eq!(sens, (m.positives > 0).then_some(m.sensitivity.value));
        assert_eq!(spec, (m.negatives > 0).then_some(m.specificity.value));
        let want = m.auc.map(|a| a.value);
        match (auc, want) {
            (Some(a), Some(w)) => assert!((a - w).abs() < 1e-14, "b {b}: {a} vs {w}"),
            (a, w) => assert_eq!(a, w),
        }
    }
}

#[test]
fn a_resample_without_positives_is_skipped() {
    // Positives come from one patient of 20: about (19/20)^20 = 36% of the resamples
    // draw it not at all.
    let mut units: Vec<Unit> = (0..20)
        .map(|c| Unit {
            cluster: c,
            label: false,
            score: f64::from(c) / 40.0,
        })
        .collect();
    units.push(Unit {
        cluster: 0,
        label: true,
        score: 0.9,
    });
    let iv = intervals(&units, 20, OP, r(400)).unwrap_or_else(|e| panic!("{e}"));
    let sens = iv.sensitivity.unwrap_or_else(|| panic!("defined"));
    assert!(sens.used < 400 && sens.used > 150, "{sens:?}");
    let spec = iv.specificity.unwrap_or_else(|| panic!("defined"));
    assert_eq!(spec.used, 400);
    assert!(iv.auc.is_some_and(|a| a.used == sens.used));
}

#[test]
fn undefined_on_the_observed_units_is_none() {
    let units: Vec<Unit> = (0..10)
        .map(|c| Unit {
            cluster: c,
            label: false,
            score: 0.1,
        })
        .collect();
    let iv = intervals(&units, 10, OP, r(20)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((iv.sensitivity, iv.auc), (None, None));
    assert!(iv.specificity.is_some());
}

#[test]
fn macro_average_is_the_mean_of_the_findings() {
    let (a, b) = (data(60, 1), data(60, 2));
    let findings = [
        Finding {
            units: &a,
            operating: OP,
        },
        Finding {
            units: &b,
            operating: OP,
        },
    ];
    let all = findings_intervals(&findings, 60, r(100)).unwrap_or_else(|e| panic!("{e}"));
    let v = |i: &Intervals| i.auc.map_or(f64::NAN, |x| x.value);
    let want = (v(&all.findings[0]) + v(&all.findings[1])) / 2.0;
    assert_eq!(v(&all.macro_average), want);
    // The single-finding call draws the same clusters.
    let one = intervals(&a, 60, OP, r(100)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one, all.findings[0]);
}

#[test]
fn paired_difference_of_a_model_with_itself_is_zero() {
    let units: Vec<PairedUnit> = data(40, 9)
        .iter()
        .map(|u| PairedUnit {
            cluster: u.cluster,
            label: u.label,
            candidate: u.score,
            reference: u.score,
        })
        .collect();
    let p = paired_intervals(&units, 40, OP, OP, r(50)).unwrap_or_else(|e| panic!("{e}"));
    let d = p.delta_auc.unwrap_or_else(|| panic!("defined"));
    assert_eq!((d.value, d.low, d.high), (0.0, 0.0, 0.0));
    assert_eq!(p.candidate, p.reference);
}

#[test]
fn bad_input_is_refused() {
    let units = data(5, 1);
    let e = |u: &[Unit], k, op, res| intervals(u, k, op, res).err();
    assert_eq!(e(&units, 0, OP, r(10)), Some(ClusterError::NoClusters));
    assert_eq!(e(&units, 5, OP, r(0)), Some(ClusterError::NoResamples));
    assert_eq!(
        e(&units, MAX_CLUSTERS + 1, OP, r(10)),
        Some(ClusterError::TooManyClusters {
            clusters: MAX_CLUSTERS + 1
        })
    );
    assert!(matches!(
        e(&units, 3, OP, r(10)),
        Some(ClusterError::ClusterOutOfRange { cluster: 3, .. })
    ));
    let mut nan = units.clone();
    nan[1].score = f64::NAN;
    assert!(matches!(
        e(&nan, 5, OP, r(10)),
        Some(ClusterError::NonFiniteScore { index: 1, .. })
    ));
    let bad = Operating {
        threshold: f64::INFINITY,
        inclusive: false,
    };
    assert!(matches!(
        e(&units, 5, bad, r(10)),
        Some(ClusterError::NonFiniteThreshold { .. })
    ));
    assert_eq!(
        findings_intervals(&[], 5, r(10)).err(),
        Some(ClusterError::NoFindings)
    );
}
