//! `benchmark.json` (format `clic.bench/1`), which `clic bench --json` prints too: every
//! metric of the registry with its n, interval and method, overall and per subgroup, plus
//! the curves for plots.
//!
//! A metric's name is a key beside the counts (`"auc"` next to `"n"`), and the file has
//! always been written with its keys sorted, so [`evidence_json`] returns the record
//! [`Sorted`].

use crate::contexts::Sorted;
use clic_compiler::plan::ModelSpec;
use clic_compiler::schema::metrics::METRICS;
use clic_runner::bench::{self, BenchEvidence, GROUPS};
use clic_runner::metrics::registry::{self, Reading};
use clic_runner::metrics::{CalibrationBin, Estimate, Metrics, RocPoint};
use serde::Serialize;
use std::collections::BTreeMap;

/// `benchmark.json`.
#[derive(Debug, Serialize)]
pub struct BenchJson<'a> {
    /// `clic.bench/1`.
    pub format: &'static str,
    /// The cache key.
    pub key: &'a str,
    /// The version of clic that ran it.
    pub clic_version: &'a str,
    /// The inference backend.
    pub backend: &'a str,
    /// sha256 of the model file.
    pub model_sha256: &'a str,
    /// sha256 of the labels file.
    pub labels_sha256: &'a str,
    /// Files in the reference folder.
    pub scans: usize,
    /// The files that could not be read.
    pub unreadable: &'a [String],
    /// The readable files without a label.
    pub unlabelled: Vec<&'a str>,
    /// The metrics over every labelled, scored scan; null when there are none.
    pub overall: Option<MetricsJson>,
    /// The ROC curve.
    pub roc: Option<&'a [RocPoint]>,
    /// The calibration bins.
    pub calibration: Option<&'a [CalibrationBin]>,
    /// The metrics of every subgroup, by attribute and value.
    pub subgroups: BTreeMap<&'static str, BTreeMap<String, MetricsJson>>,
    /// With several findings, those drawn in a ROC figure of their own
    /// (`figures/roc-<finding>.svg`), which `clic verify` expects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub figures_per_finding: Vec<&'a str>,
}

/// The counts and every metric of the registry, by its name.
#[derive(Debug, Serialize)]
pub struct MetricsJson {
    /// Analysed scans.
    pub n: u64,
    /// Positive by the reference standard.
    pub positives: u64,
    /// Negative.
    pub negatives: u64,
    /// The operating threshold.
    pub threshold: f64,
    /// Whether a score at the threshold is positive.
    pub inclusive: bool,
    /// The confusion matrix.
    pub confusion: Confusion,
    /// Every metric of the registry.
    #[serde(flatten)]
    pub metrics: BTreeMap<&'static str, MetricJson>,
}

/// The confusion matrix.
#[derive(Debug, Serialize)]
pub struct Confusion {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// True negatives.
    pub tn: u64,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

/// A metric: an estimate (`null` where undefined), or a point value.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum MetricJson {
    /// A proportion with its interval.
    Estimate(Option<EstimateJson>),
    /// A point value.
    Number(f64),
}

/// An estimate with its n and interval.
#[derive(Debug, Serialize)]
pub struct EstimateJson {
    /// The point estimate.
    pub value: f64,
    /// Cases.
    pub n: u64,
    /// Successes, for a proportion of counts.
    pub successes: Option<u64>,
    /// The 95% interval.
    pub ci95: Ci95,
}

/// A 95% interval and its method.
#[derive(Debug, Serialize)]
pub struct Ci95 {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// The method's id.
    pub method: String,
}

fn estimate_json(e: &Estimate) -> EstimateJson {
    EstimateJson {
        value: e.value,
        n: e.n,
        successes: e.successes,
        ci95: Ci95 {
            low: e.low,
            high: e.high,
            method: e.method.clone(),
        },
    }
}

/// The counts and every metric of the registry (`null` where undefined).
fn metrics_json(m: &Metrics) -> MetricsJson {
    MetricsJson {
        n: m.n,
        positives: m.positives,
        negatives: m.negatives,
        threshold: m.threshold,
        inclusive: m.inclusive,
        confusion: Confusion {
            tp: m.tp,
            fp: m.fp,
            tn: m.tn,
            fn_: m.fn_,
        },
        metrics: METRICS
            .iter()
            .map(|def| {
                let v = match registry::reading(m, def) {
                    Reading::Estimate(e) => MetricJson::Estimate(e.map(estimate_json)),
                    Reading::Number(x) => MetricJson::Number(x),
                };
                (def.name, v)
            })
            .collect(),
    }
}

/// The benchmark evidence as JSON (format `clic.bench/1`): every metric with its n,
/// interval and method, overall and per subgroup, plus the curves for plots.
pub fn evidence_json<'a>(ev: &'a BenchEvidence, spec: &ModelSpec) -> Sorted<BenchJson<'a>> {
    let (t, inclusive) = spec
        .output
        .as_ref()
        .map_or((0.5, true), |o| (o.threshold, o.inclusive));
    let subgroups = GROUPS
        .into_iter()
        .map(|attribute| {
            let groups = bench::group_by(&ev.rows, attribute)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(value, rows)| {
                    bench::score_metrics(rows, t, inclusive).map(|m| (value, metrics_json(&m)))
                })
                .collect();
            (attribute, groups)
        })
        .collect();
    Sorted(BenchJson {
        format: "clic.bench/1",
        key: &ev.key,
        clic_version: &ev.clic_version,
        backend: &ev.backend,
        model_sha256: &ev.model_sha256,
        labels_sha256: &ev.labels_sha256,
        scans: ev.rows.len() + ev.unreadable.len(),
        unreadable: &ev.unreadable,
        unlabelled: ev
            .rows
            .iter()
            .filter(|r| r.label.is_none())
            .map(|r| r.info.file.as_str())
            .collect(),
        overall: ev.overall.as_ref().map(metrics_json),
        roc: ev.overall.as_ref().map(|m| m.roc.as_slice()),
        calibration: ev.overall.as_ref().map(|m| m.calibration.as_slice()),
        subgroups,
        figures_per_finding: crate::figures::per_finding(ev)
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
    })
}
