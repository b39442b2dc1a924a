//! The comparison with readers agrees with statsmodels (McNemar), scipy (mid-p), a numpy
//! DeLong and the independent Python clustered bootstrap on the fixture of
//! `tests/data/readers` (made by `make_readers_golden.py`; no Python at test time).
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_compiler::plan::{Activation, FindingSpec};
use clic_runner::metrics::cluster::Resampling;
use clic_runner::task::findings::compare::Delta;
use clic_runner::task::findings::readers::{
    compare, parse, resolve, verdict, Design, ReadKind, ReaderEntry,
};
use clic_runner::task::findings::units::UnitRow;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The bootstrap against its Python twin (same draws): only rounding.
const EXACT: f64 = 1e-12;

fn load() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/readers/readers.json");
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (|d| = {:e})",
        (got - want).abs()
    );
}

/// A difference against the Python bootstrap's interval of it.
fn interval(what: &str, d: Option<&Delta>, want: &Value) {
    let d = d.unwrap_or_else(|| panic!("{what}: no difference"));
    close(
        &format!("{what}.value"),
        d.value,
        num(&want["value"]),
        EXACT,
    );
    close(&format!("{what}.low"), d.low, num(&want["low"]), EXACT);
    close(&format!("{what}.high"), d.high, num(&want["high"]), EXACT);
    assert_eq!(d.method, "cluster-bootstrap-percentile", "{what}");
}

struct Fixture {
    out: Vec<clic_runner::task::findings::readers::ReaderFinding>,
    margins: BTreeMap<String, f64>,
    doc: Value,
}

fn run(margins: &[(&str, f64)]) -> Fixture {
    let doc = load();
    let names: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f.as_str().expect("name").to_string())
        .collect();
    let findings: Vec<FindingSpec> = names
        .iter()
        .map(|n| FindingSpec {
            name: n.clone(),
            tensor: "logits".to_string(),
            index: 0,
            activation: Activation::Probability,
            threshold: num(&doc["thresholds"][n]),
            inclusive: true,
            positive: String::new(),
        })
        .collect();
    let units: Vec<UnitRow> = doc["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| UnitRow {
            key: u["file"].as_str().expect("file").to_string(),
            patient: u["patient"].as_str().expect("patient").to_string(),
            images: vec![u["file"].as_str().expect("file").to_string()],
            chosen: None,
            scores: u["scores"]
                .as_array()
                .expect("scores")
                .iter()
                .map(num)
                .collect(),
            released: None,
            labels: u["labels"]
                .as_array()
                .expect("labels")
                .iter()
                .map(|l| l.as_bool())
                .collect(),
        })
        .collect();
    // Patients numbered in the units' order, as the benchmark numbers them.
    let mut ids: BTreeMap<String, u32> = BTreeMap::new();
    let cluster_of: Vec<u32> = units
        .iter()
        .map(|u| {
            let next = ids.len() as u32;
            *ids.entry(u.patient.clone()).or_insert(next)
        })
        .collect();
    assert_eq!(
        ids.len() as u64,
        doc["clusters"].as_u64().expect("clusters")
    );
    let table = parse(doc["csv"].as_str().expect("csv"), &names).expect("the CSV parses");
    assert_eq!(table.readers, vec!["R1", "R2", "R3"]);
    assert_eq!(
        table.kinds,
        vec![Some(ReadKind::Calls), Some(ReadKind::Scores)]
    );
    let reads = resolve(&table, |k| units.iter().position(|u| u.key == k)).expect("resolves");
    let margins: BTreeMap<String, f64> = margins.iter().map(|(m, v)| (m.to_string(), *v)).collect();
    let design = Design {
        findings: &findings,
        margins: &margins,
        units: &units,
        cluster_of: &cluster_of,
        clusters: ids.len() as u32,
        resampling: Resampling {
            resamples: u32::try_from(doc["resamples"].as_u64().expect("resamples")).expect("u32"),
            seed: doc["seed"].as_u64().expect("seed"),
        },
    };
    let out = compare(&table, &reads, &design).expect("compares");
    Fixture { out, margins, doc }
}

fn entries<'a>(f: &'a Fixture, finding: &str) -> &'a [ReaderEntry] {
    &f.out
        .iter()
        .find(|x| x.name == finding)
        .unwrap_or_else(|| panic!("no {finding}"))
        .entries
}

#[test]
fn calls_match_statsmodels_mcnemar_scipy_mid_p_and_the_python_bootstrap() {
    let f = run(&[]);
    let want = &f.doc["expected"]["effusion"];
    let got = entries(&f, "effusion");
    let readers = want["readers"].as_array().expect("readers");
    assert_eq!(got.len(), readers.len() + 1, "the pool and each reader");
    let pooled = &got[0];
    assert!(pooled.pooled && pooled.reader == "pooled");
    assert_eq!(pooled.readers, 3);
    interval(
        "effusion pooled Δsensitivity",
        pooled.delta_sensitivity.as_ref(),
        &want["pooled"]["delta"]["sensitivity"],
    );
    interval(
        "effusion pooled Δspecificity",
        pooled.delta_specificity.as_ref(),
        &want["pooled"]["delta"]["specificity"],
    );
    assert_eq!(pooled.delta_auc, None, "calls have no AUC");
    close(
        "pooled reader sensitivity",
        pooled.reader_figures.sensitivity.expect("sensitivity"),
        num(&want["pooled"]["reference"]["sensitivity"]["value"]),
        EXACT,
    );
    for (e, w) in got[1..].iter().zip(readers) {
        let who = format!("effusion {}", e.reader);
        assert_eq!(e.reader, w["reader"].as_str().expect("reader"));
        assert_eq!(e.n, w["n"].as_u64().expect("n"), "{who}");
        for (stat, d) in [
            ("sensitivity", e.delta_sensitivity.as_ref()),
            ("specificity", e.delta_specificity.as_ref()),
        ] {
            let what = format!("{who} Δ{stat}");
            interval(&what, d, &w["bootstrap"]["delta"][stat]);
            let mc = &w[format!("mcnemar_{stat}")];
            let d = d.expect("delta");
            assert_eq!(d.test, "mcnemar-exact", "{what}");
            close(
                &format!("{what} exact p"),
                d.p_value.expect("p"),
                num(&mc["exact_p_value"]),
                1e-12,
            );
            close(
                &format!("{what} mid-p"),
                d.mid_p_value.expect("mid-p"),
                num(&mc["mid_p_value"]),
                1e-12,
            );
        }
        close(
            &format!("{who} model sensitivity"),
            e.model.sensitivity.expect("sensitivity"),
            num(&w["bootstrap"]["candidate"]["sensitivity"]["value"]),
            EXACT,
        );
        close(
            &format!("{who} reader specificity"),
            e.reader_figures.specificity.expect("specificity"),
            num(&w["bootstrap"]["reference"]["specificity"]["value"]),
            EXACT,
        );
    }
}

#[test]
fn scores_match_numpy_delong_and_the_python_bootstrap() {
    let f = run(&[]);
    let want = &f.doc["expected"]["nodule"];
    let got = entries(&f, "nodule");
    let readers = want["readers"].as_array().expect("readers");
    assert_eq!(got.len(), readers.len() + 1);
    interval(
        "nodule pooled ΔAUC",
        got[0].delta_auc.as_ref(),
        &want["pooled"]["delta"]["auc"],
    );
    assert_eq!(got[0].delta_sensitivity, None, "scores are compared by AUC");
    for (e, w) in got[1..].iter().zip(readers) {
        let who = format!("nodule {}", e.reader);
        assert_eq!(e.n, w["n"].as_u64().expect("n"), "{who}");
        let d = e.delta_auc.as_ref().expect("ΔAUC");
        // Clustered units: the bootstrap's interval, DeLong's value and p.
        interval(&who, Some(d), &w["bootstrap"]["delta"]["auc"]);
        close(
            &format!("{who} DeLong Δ"),
            d.value,
            num(&w["delong"]["delta"]),
            1e-12,
        );
        close(
            &format!("{who} DeLong p"),
            d.p_value.expect("p"),
            num(&w["delong"]["p_value"]),
            1e-10,
        );
        assert_eq!(d.test, "delong-paired (units as independent)");
        close(
            &format!("{who} reader AUC"),
            e.reader_figures.auc.expect("auc"),
            num(&w["delong"]["auc_reference"]),
            1e-12,
        );
        close(
            &format!("{who} model AUC"),
            e.model.auc.expect("auc"),
            num(&w["delong"]["auc_candidate"]),
            1e-12,
        );
    }
}

#[test]
fn margins_are_decided_on_the_pooled_lower_bound() {
    // The pooled Δspecificity of effusion has its lower bound near -0.40: a margin of
    // 0.5 holds, one of 0.3 does not; the AUC margin applies to nodule only.
    let f = run(&[("specificity", 0.5), ("auc", 0.3)]);
    let low = |finding: &str, pick: fn(&ReaderEntry) -> Option<&Delta>| {
        pick(&entries(&f, finding)[0]).expect("pooled").low
    };
    let spec_low = low("effusion", |e| e.delta_specificity.as_ref());
    let auc_low = low("nodule", |e| e.delta_auc.as_ref());
    assert!(spec_low > -0.5 && spec_low < -0.3, "{spec_low}");
    assert!(auc_low > -0.3, "{auc_low}");
    let pooled = &entries(&f, "effusion")[0];
    assert_eq!(
        pooled.margins.len(),
        1,
        "only the specificity margin applies to calls"
    );
    assert!(pooled.noninferior);
    let (unverified, noninferior) = verdict(&f.out, &f.margins);
    assert!(unverified.is_empty());
    assert!(noninferior);
    let f = run(&[("specificity", 0.3), ("auc", 0.3)]);
    assert!(!entries(&f, "effusion")[0].noninferior);
    assert!(entries(&f, "nodule")[0].noninferior);
    let (_, noninferior) = verdict(&f.out, &f.margins);
    assert!(!noninferior, "one finding's margin fails");
}
