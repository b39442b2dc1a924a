//! A subgroup against the rest agrees with statsmodels on the fixture of
//! `tests/data/metrics/subgroup_difference.json` (made by `make_subgroup_difference.py`;
//! no Python at test time): Newcombe's interval of the difference, the one-sided
//! non-inferiority p value that inverts it, and Holm's adjustment.
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_runner::metrics::subgroup::{holm, newcombe, newcombe_p, MARGIN};
use clic_runner::metrics::Z95;
use serde_json::Value;
use std::path::Path;

/// statsmodels computes the Wilson bounds in a different order of operations.
const INTERVAL: f64 = 1e-12;
/// Both sides find the p value by bisection (over z here, over alpha there).
const P_VALUE: f64 = 1e-9;

fn load() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/metrics/subgroup_difference.json");
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (|d| = {:e})",
        (got - want).abs()
    );
}

#[test]
fn newcombe_matches_statsmodels() {
    let doc = load();
    assert_eq!(num(&doc["margin"]), MARGIN);
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 8);
    for c in cases {
        let (x1, n1, x2, n2) = (
            count(&c["x1"]),
            count(&c["n1"]),
            count(&c["x2"]),
            count(&c["n2"]),
        );
        let what = format!("{x1}/{n1} vs {x2}/{n2}");
        let (d, low, high) = newcombe(x1, n1, x2, n2, Z95).expect("defined");
        close(
            &format!("{what}: difference"),
            d,
            num(&c["difference"]),
            1e-15,
        );
        close(&format!("{what}: low"), low, num(&c["low"]), INTERVAL);
        close(&format!("{what}: high"), high, num(&c["high"]), INTERVAL);
        let p = newcombe_p(x1, n1, x2, n2, MARGIN).expect("defined");
        close(&format!("{what}: p"), p, num(&c["p_noninferior"]), P_VALUE);
    }
}

#[test]
fn holm_matches_statsmodels() {
    let doc = load();
    let cases = doc["cases"].as_array().expect("cases");
    for f in doc["families"].as_array().expect("families") {
        let members: Vec<usize> = f["cases"]
            .as_array()
            .expect("members")
            .iter()
            .map(|i| count(i) as usize)
            .collect();
        // Holm over the Rust p values, against statsmodels' over its own.
        let ps: Vec<f64> = members
            .iter()
            .map(|&i| {
                let c = &cases[i];
                newcombe_p(
                    count(&c["x1"]),
                    count(&c["n1"]),
                    count(&c["x2"]),
                    count(&c["n2"]),
                    MARGIN,
                )
                .expect("defined")
            })
            .collect();
        let got = holm(&ps);
        let want = f["p_holm"].as_array().expect("adjusted");
        assert_eq!(got.len(), want.len());
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            close(
                &format!("family {members:?}, {k}"),
                *g,
                num(w),
                4.0 * P_VALUE,
            );
        }
    }
}

/// The clustered bootstrap of subgroups against the rest, against its Python twin (same
/// draws, the resamples built physically there): only rounding may differ.
#[test]
fn clustered_subgroups_match_the_python_twin() {
    use clic_runner::metrics::cluster::subgroups::subgroups;
    use clic_runner::metrics::cluster::{Interval, Operating, Resampling, Unit};
    let doc = load();
    let d = &doc["clustered"];
    let groups = count(&d["groups"]) as usize;
    let ints = |k: &str| -> Vec<u64> { d[k].as_array().expect(k).iter().map(count).collect() };
    let (cluster, group, labels) = (ints("cluster"), ints("group"), ints("labels"));
    let scores: Vec<f64> = d["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .map(num)
        .collect();
    let mut sides: Vec<Vec<Unit>> = vec![Vec::new(); groups];
    for i in 0..cluster.len() {
        sides[group[i] as usize].push(Unit {
            cluster: cluster[i] as u32,
            label: labels[i] == 1,
            score: scores[i],
        });
    }
    let slices: Vec<&[Unit]> = sides.iter().map(Vec::as_slice).collect();
    let op = Operating {
        threshold: num(&d["threshold"]),
        inclusive: true,
    };
    let resampling = Resampling {
        resamples: count(&d["resamples"]) as u32,
        seed: count(&d["seed"]),
    };
    let got = subgroups(
        &slices,
        count(&d["clusters"]) as u32,
        op,
        resampling,
        MARGIN,
    )
    .expect("bootstrap");
    let check = |what: &str, iv: Option<Interval>, want: &Value| match (iv, want.is_null()) {
        (None, true) => {}
        (Some(iv), false) => {
            close(
                &format!("{what}.value"),
                iv.value,
                num(&want["value"]),
                1e-12,
            );
            close(&format!("{what}.low"), iv.low, num(&want["low"]), 1e-12);
            close(&format!("{what}.high"), iv.high, num(&want["high"]), 1e-12);
            assert_eq!(u64::from(iv.used), count(&want["used"]), "{what}.used");
        }
        _ => panic!("{what}: {iv:?} against {want}"),
    };
    let expected = d["expected"].as_array().expect("expected");
    assert_eq!(got.len(), expected.len());
    for (g, (r, want)) in got.iter().zip(expected).enumerate() {
        check(
            &format!("group {g} sensitivity"),
            r.sensitivity,
            &want["own"][0],
        );
        check(
            &format!("group {g} specificity"),
            r.specificity,
            &want["own"][1],
        );
        for m in 0..3 {
            let w = &want["differences"][m];
            check(&format!("group {g} difference {m}"), r.differences[m], w);
            if !w.is_null() {
                let p = r.at_or_below_margin[m].expect("defined");
                close(
                    &format!("group {g} difference {m} share"),
                    p,
                    num(&w["at_or_below_margin"]),
                    1e-12,
                );
            }
        }
    }
}
