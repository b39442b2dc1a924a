//! The segmentation and quantification part of the clinical performance report: per
//! structure, each metric's distribution over the cases (mean with its 95% interval,
//! median and quartiles, range, n), the claims with their verdicts, the empty cases as
//! Metrics Reloaded counts them, and, for a quantified structure, the agreement of its
//! volume with the reference's (Bland–Altman bias and limits of agreement, ICC(A,1) and
//! RMSE, each with its interval).
//!
//! [`SegmentationReport`] is the dossier's own input: the caller maps the runner's
//! evidence to it. [`view`] formats it for the template partial `_segmentation.md.hbs`
//! ([`PARTIAL`]; numbers are formatted here, so the template only places strings),
//! [`figures`] draws its figures (a distribution figure per structure, a Bland–Altman
//! figure per quantified structure), and [`markdown`] renders the section on its own.
//! A value that is missing or not finite is shown as "not computed" with the reason,
//! never as `NaN`.

use crate::render::RenderFailure;
use crate::shown::method_name;
use serde::{Deserialize, Serialize};

/// The segmentation evidence of a release, as the dossier reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentationReport {
    /// Each structure, in the manifest's order.
    pub structures: Vec<StructureReport>,
    /// The method of the summaries' intervals, as the metrics module names it
    /// (`cluster-bootstrap-percentile`).
    pub interval_method: String,
    /// Bootstrap resamples of those intervals (0 when the method is not a bootstrap).
    pub resamples: u64,
}

/// One structure of the segmentation (`liver`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StructureReport {
    /// Its name in the manifest.
    pub name: String,
    /// Cases scored.
    pub cases: u64,
    /// Cases whose reference and prediction are both empty (true negatives).
    pub empty_both: u64,
    /// Cases whose reference is empty and prediction is not.
    pub empty_reference: u64,
    /// Cases whose prediction is empty and reference is not.
    pub empty_prediction: u64,
    /// Each metric's summary over the cases that define it.
    pub metrics: Vec<MetricReport>,
    /// The claims on the structure (its metrics and its volume agreement).
    pub claims: Vec<ClaimReport>,
    /// The agreement of its volume with the reference's; none unless quantified.
    pub agreement: Option<AgreementReport>,
}

/// How a metric's values are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// A fraction or a number without unit (Dice, ICC), three decimals.
    #[default]
    #[serde(rename = "")]
    Fraction,
    /// A fraction shown as a percentage (relative volume difference), one decimal.
    #[serde(rename = "%")]
    Percent,
    /// Millimetres, two decimals.
    #[serde(rename = "mm")]
    Mm,
    /// Millilitres, one decimal.
    #[serde(rename = "mL")]
    Ml,
}

/// One metric of a structure, summarised over its cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricReport {
    /// Its registry name (`dice`, `hd95`).
    pub name: String,
    /// Its label (`Dice`, `NSD at 2 mm`).
    pub label: String,
    /// How its values are written.
    pub unit: Unit,
    /// Its value in each case that defines it, in the cases' order (fractions for %).
    pub per_case: Vec<f64>,
    /// The mean over those cases.
    pub mean: f64,
    /// The lower bound of the mean's 95% interval.
    pub ci_low: f64,
    /// Its upper bound.
    pub ci_high: f64,
    /// The median.
    pub median: f64,
    /// The first quartile.
    pub q1: f64,
    /// The third quartile.
    pub q3: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// Cases the summary counts.
    pub n: u64,
}

/// Which side of its bound a claim holds on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Met when the interval's lower end is at least the bound (Dice, ICC).
    #[default]
    AtLeast,
    /// Met when the interval's upper end is at most the bound (HD95, limits of agreement).
    AtMost,
    /// Met when the interval lies within plus or minus the bound (volume bias).
    Within,
}

/// A claim on a structure and the gate's verdict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimReport {
    /// The metric's registry name (`dice`, `volume_loa`).
    pub metric: String,
    /// Its label.
    pub label: String,
    /// The claimed bound (fractions for %).
    pub bound: f64,
    /// Which side of it the claim holds on.
    pub direction: Bound,
    /// How the bound and the estimate are written.
    pub unit: Unit,
    /// The estimate the claim is judged on.
    pub estimate: f64,
    /// The lower bound of its 95% interval.
    pub ci_low: f64,
    /// Its upper bound.
    pub ci_high: f64,
    /// Whether the gate found it met.
    pub met: bool,
}

/// The agreement of a structure's volume with the reference's, in mL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgreementReport {
    /// (reference volume, predicted volume) of each case, mL.
    pub pairs: Vec<(f64, f64)>,
    /// The mean difference, prediction − reference.
    pub bias: f64,
    /// Its 95% interval.
    pub bias_ci: (f64, f64),
    /// The lower 95% limit of agreement (bias − 1.96 SD of the differences).
    pub loa_low: f64,
    /// The upper limit.
    pub loa_high: f64,
    /// The lower limit's 95% interval.
    pub loa_low_ci: (f64, f64),
    /// The upper limit's.
    pub loa_high_ci: (f64, f64),
    /// ICC(A,1): two-way random, absolute agreement, single measure.
    pub icc: f64,
    /// Its 95% interval.
    pub icc_ci: (f64, f64),
    /// The root mean square error of the volumes.
    pub rmse: f64,
    /// Its 95% interval.
    pub rmse_ci: (f64, f64),
    /// How the intervals were computed, as the metrics module names the method, or in
    /// words.
    pub interval_method: String,
}

impl AgreementReport {
    /// The cases with both volumes finite, as (mean of the two, prediction − reference).
    pub fn differences(&self) -> Vec<(f64, f64)> {
        self.pairs
            .iter()
            .filter(|(r, p)| r.is_finite() && p.is_finite())
            .map(|&(r, p)| ((r + p) / 2.0, p - r))
            .filter(|(m, d)| m.is_finite() && d.is_finite())
            .collect()
    }
}

/// The Metrics Reloaded rule for empty masks, as the report states it.
pub const EMPTY_RULE: &str = "Empty masks are counted and reported, never averaged in as a \
    number they do not have (Metrics Reloaded, Maier-Hein et al. 2024, asks that their handling \
    be stated): a case whose reference and prediction are both empty is a true negative, counted \
    but left out of the overlap and boundary summaries (Metrics Reloaded would score it 1); a \
    case with only one of them empty scores 0 on Dice, IoU and NSD, and its HD95 and ASSD are \
    undefined and left out (Metrics Reloaded would set them to a worst-case distance), so each \
    summary states its own n.";

/// The template partial of the section: (name in `{{> name}}`, file, built-in text).
pub const PARTIAL: (&str, &str, &str) = (
    "segmentation",
    "_segmentation.md.hbs",
    include_str!("../../templates/dossier/_segmentation.md.hbs"),
);

/// Why a value that is not finite is not shown.
const NOT_FINITE: &str = "not computed (not a finite number)";

/// The section's context.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentationView {
    /// How many structures.
    pub structure_count: usize,
    /// How the summaries' intervals were computed, in words.
    pub intervals: String,
    /// [`EMPTY_RULE`].
    pub empty_rule: &'static str,
    /// Each structure.
    pub structures: Vec<StructureView>,
}

/// One structure, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct StructureView {
    /// Its name.
    pub name: String,
    /// Cases scored.
    pub cases: u64,
    /// Both masks empty.
    pub empty_both: u64,
    /// Reference empty, prediction not.
    pub empty_reference: u64,
    /// Prediction empty, reference not.
    pub empty_prediction: u64,
    /// One row per metric.
    pub metrics: Vec<MetricView>,
    /// One row per claim.
    pub claims: Vec<ClaimView>,
    /// The distribution figure; none when the structure has no metric.
    pub figure: Option<FigureView>,
    /// The volume agreement; none unless quantified.
    pub agreement: Option<AgreementView>,
}

/// A metric's row.
#[derive(Debug, Clone, Serialize)]
pub struct MetricView {
    /// Its label.
    pub label: String,
    /// Its unit, in words (`fraction`, `%`, `mm`, `mL`).
    pub unit: &'static str,
    /// `mean [low to high]`, or why not.
    pub mean: String,
    /// `median [q1 to q3]`.
    pub median: String,
    /// `min to max`.
    pub range: String,
    /// Cases counted.
    pub n: u64,
}

/// A claim's row.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimView {
    /// The metric's label.
    pub label: String,
    /// The claim as written (`at least 0.900`, `at most 6.00 mm`, `within ±50.0 mL`).
    pub claimed: String,
    /// The estimate, with its unit.
    pub estimate: String,
    /// `low to high`.
    pub ci: String,
    /// `met` or `NOT MET`.
    pub verdict: &'static str,
}

/// A figure the section shows.
#[derive(Debug, Clone, Serialize)]
pub struct FigureView {
    /// Its file in the dossier (`figures/segmentation-1.svg`).
    pub path: String,
    /// Its alternative text.
    pub alt: String,
    /// Its caption.
    pub caption: String,
}

/// The volume agreement, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementView {
    /// Cases with both volumes.
    pub n: usize,
    /// How its intervals were computed, in words.
    pub method: String,
    /// Bias, limits of agreement, ICC and RMSE.
    pub rows: Vec<AgreementRow>,
    /// The Bland–Altman figure.
    pub figure: FigureView,
}

/// A statistic of the agreement.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementRow {
    /// What it is.
    pub statistic: &'static str,
    /// The estimate, with its unit.
    pub estimate: String,
    /// Its 95% interval, or why not.
    pub ci: String,
}

impl Unit {
    /// The unit column's word.
    pub fn word(self) -> &'static str {
        match self {
            Unit::Fraction => "fraction",
            Unit::Percent => "%",
            Unit::Mm => "mm",
            Unit::Ml => "mL",
        }
    }

    /// `v` as its unit writes it, without the unit (a percentage for [`Unit::Percent`]);
    /// none when it is not finite.
    pub fn number(self, v: f64) -> Option<String> {
        let (v, decimals) = match self {
            Unit::Fraction => (v, 3),
            Unit::Percent => (v * 100.0, 1),
            Unit::Mm => (v, 2),
            Unit::Ml => (v, 1),
        };
        v.is_finite().then(|| fixed(v, decimals))
    }

    /// `v` with its unit (`6.00 mm`, `15.0%`).
    pub fn with_unit(self, v: f64) -> Option<String> {
        let n = self.number(v)?;
        Some(match self {
            Unit::Fraction => n,
            Unit::Percent => format!("{n}%"),
            Unit::Mm => format!("{n} mm"),
            Unit::Ml => format!("{n} mL"),
        })
    }
}

/// `v` with `decimals` fixed decimals, never `-0.0`.
fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// `low to high` in `unit`, or why not.
fn interval(unit: Unit, (low, high): (f64, f64), suffix: bool) -> String {
    let f = |v| {
        if suffix {
            unit.with_unit(v)
        } else {
            unit.number(v)
        }
    };
    match (f(low), f(high)) {
        (Some(l), Some(h)) => format!("{l} to {h}"),
        _ => NOT_FINITE.to_string(),
    }
}

/// Why a metric has no summary.
fn no_summary(s: &StructureReport) -> String {
    let empty = s.empty_both + s.empty_reference + s.empty_prediction;
    if s.cases == 0 {
        "not computed (no case was scored)".to_string()
    } else if empty >= s.cases {
        "not computed (every case has an empty reference or prediction mask, which leaves it undefined)"
            .to_string()
    } else {
        "not computed (no case defines it)".to_string()
    }
}

fn metric_view(s: &StructureReport, m: &MetricReport) -> MetricView {
    let u = m.unit;
    let dash = || "—".to_string();
    if m.n == 0 {
        return MetricView {
            label: m.label.clone(),
            unit: u.word(),
            mean: no_summary(s),
            median: dash(),
            range: dash(),
            n: 0,
        };
    }
    let mean = match u.number(m.mean) {
        None => NOT_FINITE.to_string(),
        Some(v) => match (u.number(m.ci_low), u.number(m.ci_high)) {
            (Some(l), Some(h)) => format!("{v} [{l} to {h}]"),
            _ => format!("{v} [95% CI {NOT_FINITE}]"),
        },
    };
    let median = match u.number(m.median) {
        None => NOT_FINITE.to_string(),
        Some(v) => match (u.number(m.q1), u.number(m.q3)) {
            (Some(l), Some(h)) => format!("{v} [{l} to {h}]"),
            _ => format!("{v} [IQR {NOT_FINITE}]"),
        },
    };
    MetricView {
        label: m.label.clone(),
        unit: u.word(),
        mean,
        median,
        range: interval(u, (m.min, m.max), false),
        n: m.n,
    }
}

/// A claim as written.
pub fn claimed(c: &ClaimReport) -> String {
    let b = c
        .unit
        .with_unit(c.bound)
        .unwrap_or_else(|| NOT_FINITE.to_string());
    match c.direction {
        Bound::AtLeast => format!("at least {b}"),
        Bound::AtMost => format!("at most {b}"),
        Bound::Within => format!("within ±{b}"),
    }
}

fn claim_view(c: &ClaimReport) -> ClaimView {
    ClaimView {
        label: c.label.clone(),
        claimed: claimed(c),
        estimate: c
            .unit
            .with_unit(c.estimate)
            .unwrap_or_else(|| NOT_FINITE.to_string()),
        ci: interval(c.unit, (c.ci_low, c.ci_high), true),
        verdict: if c.met { "met" } else { "NOT MET" },
    }
}

/// The file name (without `figures/` and `.svg`) of the `k`-th structure's (from 1)
/// distribution figure. Figures are named by position, not by the structure's name, so
/// the name needs no cleaning to be a file name or an id.
pub fn distribution_name(k: usize) -> String {
    format!("segmentation-{k}")
}

/// The file name of the `k`-th structure's Bland–Altman figure.
pub fn bland_altman_name(k: usize) -> String {
    format!("bland-altman-{k}")
}

fn agreement_view(k: usize, name: &str, a: &AgreementReport) -> AgreementView {
    let n = a.differences().len();
    let ml = Unit::Ml;
    let why = if n < 2 {
        "not computed (fewer than two cases have both volumes)"
    } else {
        NOT_FINITE
    };
    let shown = |u: Unit, v: f64| u.with_unit(v).unwrap_or_else(|| why.to_string());
    let ci = |u: Unit, i: (f64, f64)| match (u.with_unit(i.0), u.with_unit(i.1)) {
        (Some(l), Some(h)) => format!("{l} to {h}"),
        _ => why.to_string(),
    };
    let rows = vec![
        AgreementRow {
            statistic: "Bias (mean of prediction − reference)",
            estimate: shown(ml, a.bias),
            ci: ci(ml, a.bias_ci),
        },
        AgreementRow {
            statistic: "Lower limit of agreement (bias − 1.96 SD)",
            estimate: shown(ml, a.loa_low),
            ci: ci(ml, a.loa_low_ci),
        },
        AgreementRow {
            statistic: "Upper limit of agreement (bias + 1.96 SD)",
            estimate: shown(ml, a.loa_high),
            ci: ci(ml, a.loa_high_ci),
        },
        AgreementRow {
            statistic: "ICC(A,1), absolute agreement, single measure",
            estimate: shown(Unit::Fraction, a.icc),
            ci: ci(Unit::Fraction, a.icc_ci),
        },
        AgreementRow {
            statistic: "RMSE of the volumes",
            estimate: shown(ml, a.rmse),
            ci: ci(ml, a.rmse_ci),
        },
    ];
    AgreementView {
        n,
        method: if a.interval_method.trim().is_empty() {
            "not stated".to_string()
        } else {
            method_name(&a.interval_method)
        },
        rows,
        figure: FigureView {
            path: format!("figures/{}.svg", bland_altman_name(k)),
            alt: format!("Bland–Altman plot of the volume of {name}"),
            caption: format!(
                "Bland–Altman plot of the volume of {name}: each case's difference (prediction − reference) against the mean of the two volumes, in mL, with the bias, the 95% limits of agreement and their 95% intervals as bands."
            ),
        },
    }
}

impl SegmentationView {
    /// The performance in one paragraph, for the summaries of Annex II and AI Act Annex
    /// IV: per structure each claim with its estimate, interval and verdict (a structure
    /// without claims gives its metrics' means).
    pub fn summary(&self) -> String {
        let lines: Vec<String> = self
            .structures
            .iter()
            .map(|s| {
                let parts: Vec<String> = if s.claims.is_empty() {
                    s.metrics
                        .iter()
                        .map(|m| format!("{} {} (n {})", m.label, m.mean, m.n))
                        .collect()
                } else {
                    s.claims
                        .iter()
                        .map(|c| {
                            format!(
                                "{} claimed {}, measured {} (95% CI {}), {}",
                                c.label, c.claimed, c.estimate, c.ci, c.verdict
                            )
                        })
                        .collect()
                };
                format!("{} ({} cases): {}", s.name, s.cases, parts.join("; "))
            })
            .collect();
        format!(
            "On the reference set, per structure: {}. See the clinical performance report.",
            lines.join(". ")
        )
    }
}

/// The section's context.
pub fn view(report: &SegmentationReport) -> SegmentationView {
    let method = if report.interval_method.trim().is_empty() {
        "an interval whose method is not stated".to_string()
    } else {
        method_name(&report.interval_method)
    };
    let resamples = if report.resamples > 0 {
        format!(" with {} resamples", report.resamples)
    } else {
        String::new()
    };
    let intervals = format!(
        "Each mean's 95% interval is a {method}{resamples}. The median, the interquartile range (IQR) and the range are of the cases the summary counts (its n)."
    );
    let structures = report
        .structures
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let k = i + 1;
            StructureView {
                name: s.name.clone(),
                cases: s.cases,
                empty_both: s.empty_both,
                empty_reference: s.empty_reference,
                empty_prediction: s.empty_prediction,
                metrics: s.metrics.iter().map(|m| metric_view(s, m)).collect(),
                claims: s.claims.iter().map(claim_view).collect(),
                figure: (!s.metrics.is_empty()).then(|| FigureView {
                    path: format!("figures/{}.svg", distribution_name(k)),
                    alt: format!("Distribution of each metric over the cases of {}", s.name),
                    caption: format!(
                        "Each metric of {} over the cases that define it: the box spans the quartiles with the median inside, the whiskers reach the minimum and the maximum, each dot is a case, and a dashed line is a claim.",
                        s.name
                    ),
                }),
                agreement: s.agreement.as_ref().map(|a| agreement_view(k, &s.name, a)),
            }
        })
        .collect();
    SegmentationView {
        structure_count: report.structures.len(),
        intervals,
        empty_rule: EMPTY_RULE,
        structures,
    }
}

/// Every figure of the section, by file name without `figures/` and `.svg` (as
/// [`crate::figures::all`] names them): per structure its distribution figure (when it
/// has a metric), then its Bland–Altman figure (when it is quantified).
pub fn figures(report: &SegmentationReport) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, s) in report.structures.iter().enumerate() {
        let k = i + 1;
        if !s.metrics.is_empty() {
            out.push((
                distribution_name(k),
                crate::figures::distribution::distribution(&distribution_name(k), s),
            ));
        }
        if let Some(a) = &s.agreement {
            out.push((
                bland_altman_name(k),
                crate::figures::bland_altman::bland_altman(
                    &bland_altman_name(k),
                    &s.name,
                    a,
                    &s.claims,
                ),
            ));
        }
    }
    out
}

/// The section as Markdown, rendered from the built-in partial on its own (the
/// clinical performance report includes the same partial, overridable, with
/// `{{> segmentation}}`).
pub fn markdown(view: &SegmentationView) -> Result<String, RenderFailure> {
    let mut hb = handlebars::Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(crate::escape::markdown);
    hb.render_template(PARTIAL.2, view)
        .map_err(|e| RenderFailure {
            template: PARTIAL.1.to_string(),
            message: e.to_string(),
        })
}
