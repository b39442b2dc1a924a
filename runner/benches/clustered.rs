//! Time of the patient-clustered bootstrap at the size of a real multi-finding reference
//! set: 10,000 studies from 4,000 patients, 5 findings, two models, 2,000 resamples.
//! Prints the time of each part; the whole must stay under 5 s on the project's
//! 2-core machine. Run with `cargo bench --workspace --bench clustered`.

use clic_runner::metrics::cluster::{
    findings_intervals, paired_findings_intervals, ClusterError, Finding, Operating, PairedFinding,
    PairedUnit, Resampling, Unit,
};
use clic_runner::metrics::paired::{delong_paired, mcnemar_sensitivity};
use std::time::Instant;

const PATIENTS: u32 = 4_000;
const STUDIES: u32 = 10_000;
const FINDINGS: usize = 5;

/// SplitMix64: seeded synthetic data without a dependency.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

/// Every study's patient (each patient at least one study), then per finding the
/// studies' labels and both models' scores (3 decimals, so some ties).
fn data() -> Vec<Vec<PairedUnit>> {
    let mut g = Gen(0x636c_6963_6265_6e63);
    let patient: Vec<u32> = (0..STUDIES)
        .map(|s| {
            if s < PATIENTS {
                s
            } else {
                (g.next() % u64::from(PATIENTS)) as u32
            }
        })
        .collect();
    let effect: Vec<f64> = (0..PATIENTS).map(|_| g.normal()).collect();
    let prevalence = [0.05, 0.1, 0.2, 0.3, 0.4];
    prevalence
        .iter()
        .map(|&prev| {
            let sick: Vec<bool> = (0..PATIENTS).map(|_| g.unit() < prev).collect();
            patient
                .iter()
                .map(|&p| {
                    let mut label = sick[p as usize];
                    if g.unit() < 0.1 {
                        label = !label;
                    }
                    let signal = if label { 1.0 } else { -1.0 };
                    let shared = 0.8 * effect[p as usize];
                    let round = |x: f64| (1000.0 / (1.0 + (-x).exp())).round() / 1000.0;
                    PairedUnit {
                        cluster: p,
                        label,
                        candidate: round(signal + shared + 0.8 * g.normal()),
                        reference: round(0.6 * signal + shared + 0.9 * g.normal()),
                    }
                })
                .collect()
        })
        .collect()
}

fn main() -> Result<(), ClusterError> {
    let data = data();
    let op = Operating {
        threshold: 0.5,
        inclusive: true,
    };
    let r = Resampling::default();
    let studies: usize = data.iter().map(Vec::len).sum::<usize>() / FINDINGS;
    println!(
        "clustered bootstrap: {studies} studies, {PATIENTS} patients, {FINDINGS} findings, {} resamples, {} threads",
        r.resamples,
        rayon::current_num_threads()
    );

    let single: Vec<Vec<Unit>> = data
        .iter()
        .map(|f| {
            f.iter()
                .map(|u| Unit {
                    cluster: u.cluster,
                    label: u.label,
                    score: u.candidate,
                })
                .collect()
        })
        .collect();
    let findings: Vec<Finding<'_>> = single
        .iter()
        .map(|units| Finding {
            units,
            operating: op,
        })
        .collect();
    let paired: Vec<PairedFinding<'_>> = data
        .iter()
        .map(|units| PairedFinding {
            units,
            candidate: op,
            reference: op,
        })
        .collect();

    let total = Instant::now();
    let t = Instant::now();
    let one = findings_intervals(&findings, PATIENTS, r)?;
    let single_time = t.elapsed();
    let t = Instant::now();
    let both = paired_findings_intervals(&paired, PATIENTS, r)?;
    let paired_time = t.elapsed();
    let total_time = total.elapsed();

    let t = Instant::now();
    let mut tests = 0;
    for units in &data {
        tests += usize::from(delong_paired(units).is_ok());
        let _ = mcnemar_sensitivity(units, op, op);
    }
    let tests_time = t.elapsed();

    println!(
        "  one model: sensitivity, specificity, AUC of each finding + macro averages: {:.3} s",
        single_time.as_secs_f64()
    );
    println!(
        "  paired: both models, the differences, per finding + macro averages:    {:.3} s",
        paired_time.as_secs_f64()
    );
    println!("  total: {:.3} s (budget 5 s)", total_time.as_secs_f64());
    println!(
        "  paired DeLong + McNemar on {tests} findings: {:.3} s",
        tests_time.as_secs_f64()
    );
    let show = |name: &str, i: Option<clic_runner::metrics::cluster::Interval>| {
        if let Some(i) = i {
            println!(
                "  {name}: {:.4} [{:.4}, {:.4}] ({} of {} resamples)",
                i.value, i.low, i.high, i.used, i.resamples
            );
        }
    };
    show("macro AUC", one.macro_average.auc);
    show("macro ΔAUC", both.macro_average.delta_auc);
    show("finding 0 Δsensitivity", both.findings[0].delta_sensitivity);
    Ok(())
}
