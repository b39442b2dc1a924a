//! The paired tests and the patient-clustered bootstrap agree with statsmodels, mpmath,
//! a numpy DeLong and an independent Python clustered bootstrap on the fixtures of
//! `tests/data/paired` (made by `make_paired_golden.py`; no Python at test time).
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_runner::metrics::cluster::{
    findings_intervals, multiplicities, paired_findings_intervals, Finding, Interval, Intervals,
    Operating, PairedFinding, PairedIntervals, PairedUnit, Resampling, Unit,
};
use clic_runner::metrics::paired::{delong_paired, mcnemar};
use serde_json::Value;
use std::path::Path;

/// The clustered bootstrap against its Python twin: same draws, so only rounding.
const EXACT: f64 = 1e-12;

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/paired/{name}.json"));
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

fn flags(v: &Value) -> Vec<bool> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64() == Some(1))
        .collect()
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (|d| = {:e})",
        (got - want).abs()
    );
}

fn relative(what: &str, got: f64, want: f64, tol: f64) {
    if want == 0.0 {
        assert!(got.abs() < 1e-300, "{what}: got {got}, want 0");
    } else {
        let d = ((got - want) / want).abs();
        assert!(d <= tol, "{what}: got {got}, want {want} (relative {d:e})");
    }
}

#[test]
fn mcnemar_matches_statsmodels_and_mpmath() {
    let doc = load("mcnemar");
    for row in doc["tables"].as_array().expect("tables") {
        let (b, c) = (row["b"].as_u64().expect("b"), row["c"].as_u64().expect("c"));
        let what = format!("mcnemar({b}, {c})");
        let t = mcnemar(b, c);
        assert_eq!((t.b, t.c), (b, c));
        // scipy's binom.cdf drifts to ~2e-12 relative at b + c = 10^6; mpmath does not.
        relative(&what, t.exact_p_value, num(&row["exact_p_value"]), 5e-12);
        relative(
            &what,
            t.exact_p_value,
            num(&row["exact_p_value_mpmath"]),
            2e-13,
        );
        match (t.chi2, t.chi2_p_value) {
            (Some(chi2), Some(p)) => {
                relative(&what, chi2, num(&row["chi2"]), 1e-15);
                relative(&what, p, num(&row["chi2_p_value"]), 1e-11);
            }
            (None, None) => {
                assert!(row["chi2"].is_null() && b + c == 0, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn paired_delong_matches_numpy_and_sklearn() {
    let doc = load("delong");
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let units: Vec<PairedUnit> = flags(&case["labels"])
            .into_iter()
            .zip(nums(&case["candidate"]))
            .zip(nums(&case["reference"]))
            .map(|((label, candidate), reference)| PairedUnit {
                cluster: 0,
                label,
                candidate,
                reference,
            })
            .collect();
        let t = delong_paired(&units).expect("both classes");
        assert_eq!(Some(t.positives), case["positives"].as_u64(), "{name}");
        assert_eq!(Some(t.negatives), case["negatives"].as_u64(), "{name}");
        let tight = |f: &str, got: f64| close(&format!("{name}.{f}"), got, num(&case[f]), 1e-12);
        tight("auc_candidate", t.auc_candidate);
        tight("auc_reference", t.auc_reference);
        tight("auc_candidate_sklearn", t.auc_candidate);
        tight("auc_reference_sklearn", t.auc_reference);
        tight("delta", t.delta);
        let cov = t.covariance.expect("covariance");
        for (i, row) in cov.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                close(name, v, num(&case["covariance"][i][j]), 1e-15);
            }
        }
        let test = t.test.expect("test");
        tight("se", test.se);
        tight("low", test.low);
        tight("high", test.high);
        tight("z", test.z.expect("z"));
        relative(name, test.p_value.expect("p"), num(&case["p_value"]), 1e-10);
    }
}

/// A fixture finding's units, with the candidate's or the reference's score.
fn finding_units(f: &Value) -> Vec<PairedUnit> {
    let u = &f["units"];
    let clusters = u["cluster"].as_array().expect("clusters");
    clusters
        .iter()
        .zip(flags(&u["label"]))
        .zip(nums(&u["candidate"]).into_iter().zip(nums(&u["reference"])))
        .map(|((c, label), (candidate, reference))| PairedUnit {
            cluster: u32::try_from(c.as_u64().expect("cluster")).expect("u32"),
            label,
            candidate,
            reference,
        })
        .collect()
}

fn operating(v: &Value) -> Operating {
    Operating {
        threshold: num(&v["threshold"]),
        inclusive: v["inclusive"].as_bool().expect("inclusive"),
    }
}

fn same_interval(what: &str, got: Option<Interval>, want: &Value) {
    match got {
        None => assert!(want.is_null(), "{what}: got none, want {want}"),
        Some(i) => {
            assert!(!want.is_null(), "{what}: got {i:?}, want none");
            close(
                &format!("{what}.value"),
                i.value,
                num(&want["value"]),
                EXACT,
            );
            close(&format!("{what}.low"), i.low, num(&want["low"]), EXACT);
            close(&format!("{what}.high"), i.high, num(&want["high"]), EXACT);
            assert_eq!(
                Some(u64::from(i.used)),
                want["used"].as_u64(),
                "{what}.used"
            );
            assert_eq!(
                Some(u64::from(i.resamples)),
                want["resamples"].as_u64(),
                "{what}"
            );
        }
    }
}

fn same_intervals(what: &str, got: &Intervals, want: &Value) {
    same_interval(
        &format!("{what}.sens"),
        got.sensitivity,
        &want["sensitivity"],
    );
    same_interval(
        &format!("{what}.spec"),
        got.specificity,
        &want["specificity"],
    );
    same_interval(&format!("{what}.auc"), got.auc, &want["auc"]);
}

fn same_paired(what: &str, got: &PairedIntervals, want: &Value) {
    same_intervals(
        &format!("{what}.candidate"),
        &got.candidate,
        &want["candidate"],
    );
    same_intervals(
        &format!("{what}.reference"),
        &got.reference,
        &want["reference"],
    );
    let d = &want["delta"];
    same_interval(
        &format!("{what}.dsens"),
        got.delta_sensitivity,
        &d["sensitivity"],
    );
    same_interval(
        &format!("{what}.dspec"),
        got.delta_specificity,
        &d["specificity"],
    );
    same_interval(&format!("{what}.dauc"), got.delta_auc, &d["auc"]);
}

struct Fixture {
    clusters: u32,
    resampling: Resampling,
    findings: Vec<(Vec<PairedUnit>, Operating, Operating)>,
}

fn fixture(doc: &Value) -> Fixture {
    Fixture {
        clusters: u32::try_from(doc["clusters"].as_u64().expect("K")).expect("u32"),
        resampling: Resampling {
            resamples: u32::try_from(doc["resamples"].as_u64().expect("B")).expect("u32"),
            seed: doc["seed"].as_u64().expect("seed"),
        },
        findings: doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    finding_units(f),
                    operating(&f["candidate_operating"]),
                    operating(&f["reference_operating"]),
                )
            })
            .collect(),
    }
}

/// One model's units of every finding.
fn single(fx: &Fixture, candidate: bool) -> Vec<(Vec<Unit>, Operating)> {
    fx.findings
        .iter()
        .map(|(units, c, r)| {
            let units = units
                .iter()
                .map(|u| Unit {
                    cluster: u.cluster,
                    label: u.label,
                    score: if candidate { u.candidate } else { u.reference },
                })
                .collect();
            (units, if candidate { *c } else { *r })
        })
        .collect()
}

fn run_single(
    fx: &Fixture,
    candidate: bool,
    r: Resampling,
) -> clic_runner::metrics::cluster::FindingsIntervals {
    let data = single(fx, candidate);
    let findings: Vec<Finding<'_>> = data
        .iter()
        .map(|(units, operating)| Finding {
            units,
            operating: *operating,
        })
        .collect();
    findings_intervals(&findings, fx.clusters, r).expect("valid fixture")
}

fn run_paired(
    fx: &Fixture,
    r: Resampling,
) -> clic_runner::metrics::cluster::PairedFindingsIntervals {
    let findings: Vec<PairedFinding<'_>> = fx
        .findings
        .iter()
        .map(|(units, c, rf)| PairedFinding {
            units,
            candidate: *c,
            reference: *rf,
        })
        .collect();
    paired_findings_intervals(&findings, fx.clusters, r).expect("valid fixture")
}

#[test]
fn clustered_bootstrap_matches_the_python_procedure() {
    let doc = load("cluster");
    let fx = fixture(&doc);
    for (b, want) in doc["multiplicities"].as_object().expect("draws") {
        let b: u32 = b.parse().expect("resample index");
        let want: Vec<u32> = nums(want).iter().map(|&x| x as u32).collect();
        assert_eq!(
            multiplicities(fx.resampling.seed, b, fx.clusters),
            want,
            "b {b}"
        );
    }
    let exp = &doc["expected"];
    let paired = run_paired(&fx, fx.resampling);
    for (f, got) in paired.findings.iter().enumerate() {
        same_paired(&format!("finding {f}"), got, &exp["findings"][f]);
    }
    same_paired("macro", &paired.macro_average, &exp["macro_average"]);
    // The rare finding's resamples without a positive are skipped, and counted.
    let rare = paired.findings[2].candidate.auc.expect("defined");
    assert!(rare.used < rare.resamples, "{rare:?}");
    // One model alone draws the same patients as the paired run.
    for (candidate, key) in [(true, "candidate"), (false, "reference")] {
        let one = run_single(&fx, candidate, fx.resampling);
        for (f, got) in one.findings.iter().enumerate() {
            same_intervals(&format!("{key} {f}"), got, &exp["findings"][f][key]);
        }
        same_intervals(
            &format!("{key} macro"),
            &one.macro_average,
            &exp["macro_average"][key],
        );
    }
}

fn width(i: Option<Interval>) -> f64 {
    let i = i.expect("defined");
    i.high - i.low
}

#[test]
fn one_study_per_patient_is_the_plain_bootstrap() {
    let doc = load("cluster_sanity");
    let d = &doc["one_per_cluster"];
    let units: Vec<Unit> = flags(&d["labels"])
        .into_iter()
        .zip(nums(&d["scores"]))
        .enumerate()
        .map(|(i, (label, score))| Unit {
            cluster: u32::try_from(i).expect("u32"),
            label,
            score,
        })
        .collect();
    let k = u32::try_from(units.len()).expect("u32");
    let got =
        clic_runner::metrics::cluster::intervals(&units, k, operating(d), Resampling::default())
            .expect("valid");
    let plain = &d["plain_bootstrap"];
    // 2000 clustered resamples against 20000 plain ones (other generators): the Monte
    // Carlo error of a 2.5% bound is about 0.002 here, a sensitivity step 1/160.
    for (name, iv) in [
        ("sensitivity", got.sensitivity),
        ("specificity", got.specificity),
        ("auc", got.auc),
    ] {
        let iv = iv.expect("defined");
        close(name, iv.low, num(&plain[name]["low"]), 0.012);
        close(name, iv.high, num(&plain[name]["high"]), 0.012);
    }
}

#[test]
fn strongly_clustered_data_widen_the_interval() {
    let doc = load("cluster_sanity");
    let d = &doc["strongly_clustered"];
    let clusters: Vec<u32> = nums(&d["cluster"]).iter().map(|&c| c as u32).collect();
    let labels = flags(&d["labels"]);
    let scores = nums(&d["scores"]);
    let make = |by_patient: bool| -> Vec<Unit> {
        (0..labels.len())
            .map(|i| Unit {
                cluster: if by_patient { clusters[i] } else { i as u32 },
                label: labels[i],
                score: scores[i],
            })
            .collect()
    };
    let k_patients = clusters.iter().max().expect("units") + 1;
    let r = Resampling::default();
    let op = operating(d);
    let clustered =
        clic_runner::metrics::cluster::intervals(&make(true), k_patients, op, r).expect("valid");
    let naive = clic_runner::metrics::cluster::intervals(&make(false), labels.len() as u32, op, r)
        .expect("valid");
    // 5 studies per patient sharing label and most of the score: the design effect is
    // near 5, so the width near √5 ≈ 2.2 times the naive one.
    for (name, c, n) in [
        ("sensitivity", clustered.sensitivity, naive.sensitivity),
        ("specificity", clustered.specificity, naive.specificity),
        ("auc", clustered.auc, naive.auc),
    ] {
        let (wc, wn) = (width(c), width(n));
        assert!(wc > 1.6 * wn, "{name}: clustered width {wc} vs naive {wn}");
    }
}

#[test]
fn deterministic_across_runs_seeds_and_threads() {
    let fx = fixture(&load("cluster"));
    let r = Resampling {
        resamples: 500,
        seed: 99,
    };
    let bits = |p: &clic_runner::metrics::cluster::PairedFindingsIntervals| -> Vec<u64> {
        let mut out = Vec::new();
        for f in p.findings.iter().chain(std::iter::once(&p.macro_average)) {
            for i in [
                f.candidate.sensitivity,
                f.candidate.auc,
                f.reference.specificity,
                f.delta_sensitivity,
                f.delta_specificity,
                f.delta_auc,
            ]
            .into_iter()
            .flatten()
            {
                out.extend([i.value.to_bits(), i.low.to_bits(), i.high.to_bits()]);
            }
        }
        out
    };
    let a = run_paired(&fx, r);
    assert_eq!(bits(&a), bits(&run_paired(&fx, r)), "same seed, same bits");
    let other = run_paired(&fx, Resampling { seed: 100, ..r });
    assert_ne!(bits(&a), bits(&other), "another seed moves the bounds");
    let pool = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
    };
    let sequential = pool(1).install(|| run_paired(&fx, r));
    let parallel = pool(4).install(|| run_paired(&fx, r));
    assert_eq!(bits(&a), bits(&sequential), "in turn");
    assert_eq!(bits(&a), bits(&parallel), "on 4 threads");
    assert_eq!(a, parallel);
}
