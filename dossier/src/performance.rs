//! The typed context of the clinical performance report (STARD 2015): the data set, the
//! cross-tabulation, the estimates, the claims and the subgroups
//! ([`crate::context::benchmark`] builds it; [`crate::shown`] formats its numbers).

use crate::context::Filled;
use serde::Serialize;
use std::collections::BTreeMap;

/// The benchmark as the report shows it: measured, or why not. Templates read
/// `available` first; `dataset` and `key` are there whenever there is evidence, the
/// estimates only when a scan is both labelled and scored, `reason` only when not.
#[derive(Debug, Serialize)]
pub struct Benchmark<'a> {
    /// Whether there are estimates.
    pub available: bool,
    /// The inference backend, or why it is not known.
    pub backend: Filled,
    /// The benchmark's cache key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
    /// The reference set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Dataset<'a>>,
    /// Why there are no estimates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Filled>,
    /// The estimates.
    #[serde(flatten)]
    pub measured: Option<Measured<'a>>,
    /// Several findings per unit of analysis, when the manifest declares them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<crate::findings::FindingsReport>,
    /// The robustness study, formatted, when the manifest declares one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub robustness: Option<RobustnessView>,
    /// The segmentation of series per structure, when the model segments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segmentation: Option<crate::segmentation::SegmentationView>,
}

/// The robustness study as the clinical performance report shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RobustnessView {
    /// The largest drop of a metric, or why it is not known.
    pub largest_drop: String,
    /// The claimed bound.
    pub max_drop: String,
    /// One row per perturbation, every figure formatted.
    pub rows: Vec<std::collections::BTreeMap<&'static str, String>>,
}

impl RobustnessView {
    /// The view of a study.
    pub fn of(r: &clic_runner::bench::robustness::Robustness) -> Self {
        let value =
            |v: Option<f64>| v.map_or_else(|| "not computed".to_string(), |v| format!("{v:.3}"));
        let delta = |v: Option<f64>| {
            v.map_or_else(
                || "not computed".to_string(),
                |v| format!("{:+.1} points", v * 100.0),
            )
        };
        Self {
            largest_drop: r.largest_drop.map_or_else(
                || "not computed".to_string(),
                |d| format!("{:.1} points", d * 100.0),
            ),
            max_drop: format!("{:.1} points", r.max_drop * 100.0),
            rows: r
                .rows
                .iter()
                .map(|p| {
                    [
                        ("perturbation", p.perturbation.clone()),
                        ("units", p.units.to_string()),
                        ("auc", value(p.auc)),
                        ("delta_auc", delta(p.delta_auc)),
                        ("sensitivity", value(p.sensitivity)),
                        ("delta_sensitivity", delta(p.delta_sensitivity)),
                        ("specificity", value(p.specificity)),
                        ("delta_specificity", delta(p.delta_specificity)),
                    ]
                    .into_iter()
                    .collect()
                })
                .collect(),
        }
    }
}

impl Benchmark<'_> {
    /// No benchmark evidence: the backend and the results are gaps.
    pub fn missing(backend: Filled, reason: Filled) -> Self {
        Benchmark {
            available: false,
            backend,
            key: None,
            dataset: None,
            reason: Some(reason),
            measured: None,
            findings: None,
            robustness: None,
            segmentation: None,
        }
    }
}

/// The reference set: what was read, labelled and excluded, and its make-up.
#[derive(Debug, Serialize)]
pub struct Dataset<'a> {
    /// Files in the reference folder.
    pub scans: usize,
    /// Of them, readable.
    pub readable: usize,
    /// Readable and labelled.
    pub labelled: usize,
    /// Readable, without a label.
    pub unlabelled: usize,
    /// The files that could not be read.
    pub unreadable: &'a [String],
    /// How many.
    pub unreadable_count: usize,
    /// Labels that name no file.
    pub labels_without_file: &'a [String],
    /// How many.
    pub labels_without_file_count: usize,
    /// Patients, counted by hashed identifier.
    pub patients: usize,
    /// Studies, likewise.
    pub studies: usize,
    /// Patients shared with the training list.
    pub leakage_patients: u64,
    /// Studies shared with the training list.
    pub leakage_studies: u64,
    /// The scans by attribute (manufacturer, modality, ...).
    pub by: Vec<Breakdown>,
}

/// The scans by the values of one attribute.
#[derive(Debug, Serialize)]
pub struct Breakdown {
    /// The attribute, in words.
    pub attribute: &'static str,
    /// Its values, sorted, each with its count.
    pub values: Vec<Count>,
}

/// A value and how many scans have it.
#[derive(Debug, Serialize)]
pub struct Count {
    /// The value (`unknown` when empty).
    pub value: String,
    /// Scans.
    pub n: usize,
}

/// The estimates over every labelled, scored scan.
#[derive(Debug, Serialize)]
pub struct Measured<'a> {
    /// The operating threshold, e.g. `>= 0.5`.
    pub threshold: String,
    /// The cross-tabulation against the reference standard.
    pub crosstab: Crosstab,
    /// Every proportion of the registry that is defined.
    pub metrics: Vec<MetricRow>,
    /// The Brier score, four decimals.
    pub brier: String,
    /// The expected calibration error, four decimals.
    pub ece: String,
    /// The reference set's prevalence (`33.0%`), at which its PPV, NPV, accuracy and F1
    /// hold.
    pub prevalence: String,
    /// PPV and NPV at each deployment prevalence the manifest declares.
    pub at_prevalence: Vec<AtPrevalenceRow>,
    /// Why there are none: no prevalence declared, or a class absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_prevalence_gap: Option<Filled>,
    /// The manifest's claims against the estimates.
    pub claims: Vec<ClaimView<'a>>,
    /// The subgroup tables.
    pub subgroups: Vec<SubgroupTable>,
    /// How many subgroup comparisons were made and what multiplicity adjustment applies.
    pub multiplicity: String,
    /// The figure files the report may show.
    pub figures: Vec<String>,
    /// Whether there is a ROC figure.
    pub has_roc: bool,
    /// Whether there is a calibration figure.
    pub has_calibration: bool,
    /// Whether there is a forest plot.
    pub has_forest: bool,
}

/// The index test against the reference standard.
#[derive(Debug, Serialize)]
pub struct Crosstab {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// True negatives.
    pub tn: u64,
    /// Called positive.
    pub test_positive: u64,
    /// Called negative.
    pub test_negative: u64,
    /// Positive by the reference standard.
    pub positives: u64,
    /// Negative by the reference standard.
    pub negatives: u64,
    /// Analysed.
    pub n: u64,
}

/// An estimate with its interval, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct EstimateView {
    /// The point estimate.
    pub value: String,
    /// The interval's lower bound.
    pub low: String,
    /// Its upper bound.
    pub high: String,
    /// `low–high`.
    pub ci: String,
    /// The interval's method, in words.
    pub method: String,
    /// `successes/n`, or `n = n`.
    pub count: String,
    /// Cases.
    pub n: u64,
    /// The unformatted numbers.
    pub raw: RawEstimate,
}

/// An estimate's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct RawEstimate {
    /// The point estimate.
    pub value: f64,
    /// The interval's lower bound.
    pub low: f64,
    /// Its upper bound.
    pub high: f64,
}

/// PPV and NPV at one deployment prevalence the manifest declares.
#[derive(Debug, Clone, Serialize)]
pub struct AtPrevalenceRow {
    /// The prevalence, as the manifest writes it (`2%`).
    pub prevalence: String,
    /// Positive predictive value at it.
    pub ppv: EstimateView,
    /// Negative predictive value at it.
    pub npv: EstimateView,
}

/// A row of the estimates table.
#[derive(Debug, Serialize)]
pub struct MetricRow {
    /// The metric's label.
    pub name: &'static str,
    /// For a figure that depends on the prevalence (PPV, NPV, accuracy, F1): `at the
    /// reference set's prevalence of 33.0%`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Its estimate.
    #[serde(flatten)]
    pub estimate: EstimateView,
}

/// A value shown without an interval: a point value claimed as a bound, or a metric not
/// measured.
#[derive(Debug, Clone, Serialize)]
pub struct PointView {
    /// The value, or `not measured`.
    pub value: String,
    /// `point estimate`, or `n/a`.
    pub ci: &'static str,
    /// The metric's label; empty when not measured.
    pub method: &'static str,
    /// `n = n`; empty when not measured.
    pub count: String,
}

/// What the benchmark says of a claimed metric.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Observed {
    /// An estimate with its interval.
    Estimate(EstimateView),
    /// A point value, or nothing measured.
    Point(PointView),
}

impl Observed {
    /// The value shown.
    pub fn value(&self) -> &str {
        match self {
            Observed::Estimate(e) => &e.value,
            Observed::Point(p) => &p.value,
        }
    }

    /// The interval shown.
    pub fn ci(&self) -> &str {
        match self {
            Observed::Estimate(e) => &e.ci,
            Observed::Point(p) => p.ci,
        }
    }
}

/// A claim of the manifest against its estimate, with the gate's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimView<'a> {
    /// The metric.
    pub name: &'a str,
    /// The claim as written (`at most ...` for an upper bound).
    pub claimed: String,
    /// The estimate it bounds.
    pub observed: Observed,
    /// Whether the gate found it met.
    pub met: bool,
    /// The verdict, in words.
    pub verdict: String,
}

/// The subgroups of one attribute.
#[derive(Debug, Serialize)]
pub struct SubgroupTable {
    /// The attribute.
    pub attribute: &'static str,
    /// Its values with labelled, scored scans.
    pub groups: Vec<SubgroupRow>,
    /// Assessable comparisons of its groups against the rest (the Holm family's size).
    pub comparisons: u64,
    /// Comparisons of its groups that are not assessable.
    pub not_assessable: u64,
}

/// A subgroup's difference from the rest of the scans in one metric, as shown.
#[derive(Debug, Serialize)]
pub struct DifferenceView {
    /// The difference in points with its 95% interval, or why there is none; a group
    /// too small to judge says so.
    pub shown: String,
    /// Whether the group is large enough to be judged on the metric.
    pub assessable: bool,
    /// The interval's method, in words.
    pub method: String,
    /// The Holm-adjusted one-sided p value of lagging by 5 points (four decimals), `—`
    /// where not assessable.
    pub p_holm: String,
}

/// One subgroup: its counts and every metric the registry computes per subgroup, under
/// the metric's name (`sensitivity`, `auc`, ...).
#[derive(Debug, Serialize)]
pub struct SubgroupRow {
    /// The attribute's value.
    pub value: String,
    /// Analysed scans.
    pub n: u64,
    /// Positive by the reference standard.
    pub positives: u64,
    /// Negative.
    pub negatives: u64,
    /// The metrics, by the registry's name.
    #[serde(flatten)]
    pub metrics: BTreeMap<&'static str, SubgroupMetric>,
    /// Its differences from the rest of the scans, by metric (sensitivity, specificity,
    /// accuracy).
    pub vs_rest: BTreeMap<&'static str, DifferenceView>,
}

/// A metric of a subgroup.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SubgroupMetric {
    /// An estimate with its interval.
    Estimate(EstimateView),
    /// A point value.
    Number(f64),
    /// Not defined: the subgroup has one class only.
    Undefined {
        /// `n/a (one class only)`.
        value: &'static str,
        /// `n/a`.
        ci: &'static str,
        /// Empty.
        method: &'static str,
    },
}
