//! The figures of the clinical performance report, as inline SVG: the ROC curve with the
//! operating point, the calibration (reliability) plot, and a forest plot of subgroup
//! sensitivity and specificity.
//!
//! The SVG is self-contained (no script, style sheet, font or link; a generic font
//! family), accessible (`role="img"` with a `<title>` and a `<desc>` that states the
//! numbers), and byte-stable: coordinates have two decimals and estimates three, so the
//! same evidence always gives the same bytes. Every string that comes from the evidence
//! (attribute values read from DICOM, interval methods) is XML-escaped.
//!
//! Inputs the metrics cannot draw (one class only, no cases, one calibration bin, no
//! subgroup) give a figure with a note that says why, never a panic or a missing file.

use crate::escape;
use clic_compiler::plan::ModelSpec;
use clic_runner::bench::{self, BenchEvidence, ScanRow};
use clic_runner::metrics::{Estimate, Metrics};

/// Left edge of the unit-square plot area (ROC and calibration).
const X0: f64 = 80.0;
/// Top edge of the unit-square plot area.
const Y0: f64 = 44.0;
/// Side of the unit-square plot area.
const SIDE: f64 = 360.0;
/// Width of the ROC and calibration figures.
const SQUARE_W: f64 = 660.0;
/// Height of one legend line.
const LINE: f64 = 18.0;

const INK: &str = "#1b1b1b";
const CURVE: &str = "#1f4e79";
const MARK: &str = "#b03a2e";
const GUIDE: &str = "#8c8c8c";
const GRID: &str = "#e3e3e3";

/// Every figure of the evidence, by file name without extension (`roc`, `calibration`,
/// `forest`), in that order; none when no reference scan is both labelled and scored
/// (the report then says so). Subgroups are computed at the manifest's operating point,
/// as the overall metrics are.
pub fn all(spec: &ModelSpec, ev: &BenchEvidence) -> Vec<(&'static str, String)> {
    let Some(m) = &ev.overall else {
        return Vec::new();
    };
    let (threshold, inclusive) = spec
        .output
        .as_ref()
        .map_or((m.threshold, m.inclusive), |o| (o.threshold, o.inclusive));
    let groups = subgroups(&ev.rows, threshold, inclusive);
    vec![
        ("roc", roc(m)),
        ("calibration", calibration(m)),
        ("forest", forest(m, &groups)),
    ]
}

/// One row of the forest plot: the scans whose `attribute` reads `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subgroup {
    /// The DICOM attribute grouped by, one of [`bench::GROUPS`].
    pub attribute: String,
    /// Its value (`unknown` when the scans lack it).
    pub value: String,
    /// Metrics over the subgroup's labelled, scored scans; `None` when it has none.
    pub metrics: Option<Metrics>,
}

/// The subgroups of every attribute of [`bench::GROUPS`], in that order, each sorted by
/// value, with their metrics at `threshold`. A subgroup without a labelled, scored scan
/// is kept (with no metrics), so the figure shows it as "n/a" rather than hiding it.
pub fn subgroups(rows: &[ScanRow], threshold: f64, inclusive: bool) -> Vec<Subgroup> {
    let mut out = Vec::new();
    for attribute in bench::GROUPS {
        for (value, members) in bench::group_by(rows, attribute).unwrap_or_default() {
            out.push(Subgroup {
                attribute: attribute.to_string(),
                value,
                metrics: bench::score_metrics(members, threshold, inclusive),
            });
        }
    }
    out
}

/// The ROC curve with the chance diagonal, the operating point marked and labelled
/// (threshold, sensitivity, 1 - specificity), and the AUC with its 95% interval in the
/// legend.
pub fn roc(m: &Metrics) -> String {
    let op = operating_point(m);
    let auc = match &m.auc {
        Some(a) => format!(
            "AUC {} (95% CI {} to {}, {})",
            fixed3(a.value),
            fixed3(a.low),
            fixed3(a.high),
            a.method
        ),
        None => "AUC not defined (one class only)".to_string(),
    };
    let threshold = threshold_label(m);
    let op_text = match op {
        Some((fpr, tpr)) => format!(
            "Operating point (threshold {threshold}): sensitivity {}, 1 − specificity {}",
            fixed3(tpr),
            fixed3(fpr)
        ),
        None => format!("Operating point (threshold {threshold}): not defined"),
    };
    let cases = format!(
        "{} cases: {} positive, {} negative",
        m.n, m.positives, m.negatives
    );
    let note = if m.n == 0 {
        Some("No labelled, scored case: the ROC curve is not defined.".to_string())
    } else if m.positives == 0 || m.negatives == 0 || m.roc.is_empty() {
        let (has, lacks) = if m.negatives == 0 {
            ("positive", "negative")
        } else {
            ("negative", "positive")
        };
        Some(format!(
            "Only {has} cases ({}), no {lacks} one: the ROC curve and its AUC are not defined.",
            m.n
        ))
    } else {
        None
    };
    let desc = match &note {
        Some(note) => format!("ROC curve. {note} {cases}."),
        None => format!("ROC curve of {cases}; {auc}; {op_text}."),
    };
    let legend = 4.0;
    let height = Y0 + SIDE + 72.0 + legend * LINE;
    let mut svg = Svg::new("roc", SQUARE_W, height, "ROC curve", &desc);
    svg.heading(X0, 24.0, "ROC curve");
    unit_axes(
        &mut svg,
        "1 − specificity (false positive rate)",
        40.0,
        "Sensitivity (true positive rate)",
    );
    if let Some(note) = &note {
        svg.note(note);
    } else {
        svg.line(0.0, 0.0, 1.0, 1.0, GUIDE, Some("5 4"));
        let points: Vec<(f64, f64)> = m.roc.iter().map(|p| (p.fpr, p.tpr)).collect();
        svg.polyline("clic-curve", &points, CURVE);
        if let Some((fpr, tpr)) = op {
            svg.circle("clic-op", fpr, tpr, 5.0, MARK);
            operating_label(&mut svg, fpr, tpr, &threshold);
        }
    }
    // Swatches only for what is drawn.
    let drawn = note.is_none();
    let mut y = Y0 + SIDE + 72.0;
    if drawn {
        svg.swatch_line(y, CURVE, None);
    }
    svg.legend(y, &format!("ROC curve, {cases}"));
    y += LINE;
    svg.legend(y, &auc);
    y += LINE;
    if drawn && op.is_some() {
        svg.swatch_dot(y, MARK);
    }
    svg.legend(y, &op_text);
    y += LINE;
    if drawn {
        svg.swatch_line(y, GUIDE, Some("5 4"));
    }
    svg.legend(y, "Chance (AUC 0.5)");
    svg.finish()
}

/// The calibration (reliability) plot: mean score against the observed fraction of
/// positives for each non-empty bin, with the bins' n under the axis, the diagonal of
/// perfect calibration, and the ECE in the legend.
pub fn calibration(m: &Metrics) -> String {
    let note = match m.calibration.as_slice() {
        [] => Some("No labelled, scored case: calibration is not defined.".to_string()),
        [only] => Some(format!(
            "Every score falls in one bin ({} to {}): calibration across the score range \
             cannot be judged.",
            fixed1(only.lower),
            fixed1(only.upper)
        )),
        _ => None,
    };
    let ece = format!(
        "ECE {} (10 equal-width bins, weighted by n); Brier score {}",
        fixed3(m.ece),
        fixed3(m.brier)
    );
    let bins: Vec<String> = m
        .calibration
        .iter()
        .map(|b| {
            format!(
                "{} to {}: n {}, mean score {}, observed {}",
                fixed1(b.lower),
                fixed1(b.upper),
                b.n,
                fixed3(b.mean_score),
                fixed3(b.observed_rate)
            )
        })
        .collect();
    let desc = format!(
        "Calibration plot of {} cases. {}{ece}. Bins: {}.",
        m.n,
        note.as_deref().map_or(String::new(), |n| format!("{n} ")),
        if bins.is_empty() {
            "none".to_string()
        } else {
            bins.join("; ")
        }
    );
    // With bins drawn, the note goes in the legend, clear of the points.
    let note_in_legend = note.is_some() && !m.calibration.is_empty();
    let legend_top = Y0 + SIDE + 90.0;
    let lines = if note_in_legend { 4.0 } else { 3.0 };
    let height = legend_top + lines * LINE;
    let mut svg = Svg::new("calibration", SQUARE_W, height, "Calibration plot", &desc);
    svg.heading(X0, 24.0, "Calibration (reliability) plot");
    unit_axes(
        &mut svg,
        "Mean predicted score",
        54.0,
        "Observed fraction positive",
    );
    svg.line(0.0, 0.0, 1.0, 1.0, GUIDE, Some("5 4"));
    if let (Some(note), false) = (&note, note_in_legend) {
        svg.note(note);
    }
    let points: Vec<(f64, f64)> = m
        .calibration
        .iter()
        .map(|b| (b.mean_score, b.observed_rate))
        .collect();
    if points.len() > 1 {
        svg.polyline("clic-curve", &points, CURVE);
    }
    for &(x, y) in &points {
        svg.circle("clic-bin", x, y, 4.0, CURVE);
    }
    // The bins' n, one row under the tick labels, each under its bin's centre.
    let count_y = Y0 + SIDE + 34.0;
    svg.text(
        X0 - 10.0,
        count_y,
        "end",
        "fill=\"#555555\" font-size=\"10\"",
        "n",
    );
    for b in &m.calibration {
        let cx = px((b.lower + b.upper) / 2.0);
        svg.text(
            cx,
            count_y,
            "middle",
            "class=\"clic-n\" fill=\"#555555\" font-size=\"10\"",
            &b.n.to_string(),
        );
    }
    let mut y = legend_top;
    svg.swatch_dot(y, CURVE);
    svg.legend(
        y,
        &format!(
            "Observed fraction vs mean score per bin, {} cases (empty bins omitted)",
            m.n
        ),
    );
    y += LINE;
    svg.legend(y, &ece);
    y += LINE;
    svg.swatch_line(y, GUIDE, Some("5 4"));
    svg.legend(y, "Perfect calibration");
    if let (Some(note), true) = (&note, note_in_legend) {
        y += LINE;
        svg.text(
            X0 + 24.0,
            y + 4.0,
            "start",
            "class=\"clic-note\" font-style=\"italic\"",
            note,
        );
    }
    svg.finish()
}

/// Left edge of the forest plot's n column (right-aligned at it).
const F_N: f64 = 310.0;
/// Left edges of the sensitivity and specificity panels.
const F_PANELS: [f64; 2] = [330.0, 730.0];
/// Width of a forest panel's axis.
const F_PANEL_W: f64 = 200.0;
/// Width of the forest figure.
const F_W: f64 = 1140.0;
/// Offset of the estimate from the k/n column.
const F_KN: f64 = 60.0;
/// Height of a forest row.
const F_ROW: f64 = 20.0;
/// Baseline of the first forest row.
const F_TOP: f64 = 84.0;
/// Longest row label, in characters, before it is cut short (the full label is the
/// row's tooltip).
const F_LABEL: usize = 40;

/// The forest plot: one row per subgroup (attribute = value, n), with the point estimate
/// and 95% Wilson interval of sensitivity (left panel) and specificity (right panel),
/// and the overall estimate as a dashed reference line. A subgroup without positives
/// (or negatives) shows "n/a" in that panel.
pub fn forest(overall: &Metrics, groups: &[Subgroup]) -> String {
    let threshold = threshold_label(overall);
    let rows = 1 + groups.len().max(1);
    let axis_y = F_TOP + rows as f64 * F_ROW - 6.0;
    let height = axis_y + 40.0 + 2.0 * LINE + 8.0;
    let attributes = {
        let mut a: Vec<&str> = groups.iter().map(|g| g.attribute.as_str()).collect();
        a.dedup();
        a.len()
    };
    let desc = format!(
        "Forest plot of sensitivity and specificity with 95% Wilson intervals at threshold \
         {threshold}: overall sensitivity {}, specificity {}; {} subgroups of {} attributes. {}",
        shown(&overall.sensitivity, "no positives"),
        shown(&overall.specificity, "no negatives"),
        groups.len(),
        attributes,
        groups
            .iter()
            .map(|g| {
                let (sens, spec) = match &g.metrics {
                    Some(m) => (
                        shown(&m.sensitivity, "no positives"),
                        shown(&m.specificity, "no negatives"),
                    ),
                    None => ("n/a (no cases)".to_string(), "n/a (no cases)".to_string()),
                };
                format!(
                    "{} = {}, n {}: sensitivity {sens}, specificity {spec}",
                    g.attribute,
                    g.value,
                    g.metrics.as_ref().map_or(0, |m| m.n)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut svg = Svg::new("forest", F_W, height, "Subgroup forest plot", &desc);
    svg.heading(
        12.0,
        24.0,
        &format!("Sensitivity and specificity by subgroup (threshold {threshold})"),
    );
    svg.text(12.0, 58.0, "start", "font-weight=\"bold\"", "Subgroup");
    svg.text(F_N, 58.0, "end", "font-weight=\"bold\"", "n");
    for (panel, name) in F_PANELS.iter().zip(["Sensitivity", "Specificity"]) {
        svg.text(
            panel + F_PANEL_W / 2.0,
            44.0,
            "middle",
            "font-weight=\"bold\"",
            name,
        );
        let text_x = panel + F_PANEL_W + 10.0;
        svg.text(text_x, 58.0, "start", "font-weight=\"bold\"", "k/n");
        svg.text(
            text_x + F_KN,
            58.0,
            "start",
            "font-weight=\"bold\"",
            "Estimate (95% CI)",
        );
        forest_axis(&mut svg, *panel, axis_y);
    }
    // The overall reference lines, behind the rows.
    for (panel, e) in F_PANELS
        .iter()
        .zip([&overall.sensitivity, &overall.specificity])
    {
        if e.n > 0 {
            let x = panel + clamp01(e.value) * F_PANEL_W;
            svg.raw(&format!(
                "<line class=\"clic-ref\" x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" \
                 stroke=\"{GUIDE}\" stroke-dasharray=\"4 3\"/>\n",
                x = coord(x),
                y1 = coord(F_TOP - 14.0),
                y2 = coord(axis_y),
            ));
        }
    }
    forest_row(&mut svg, 0, "Overall", overall.n, Some(overall), true);
    if groups.is_empty() {
        svg.text(
            12.0,
            F_TOP + F_ROW,
            "start",
            "class=\"clic-note\" fill=\"#555555\" font-style=\"italic\"",
            "No subgroup: no scored scan carries a grouping attribute.",
        );
    }
    let mut previous: Option<&str> = None;
    for (i, g) in groups.iter().enumerate() {
        let row = i + 1;
        if previous.is_some_and(|p| p != g.attribute) {
            let y = F_TOP + row as f64 * F_ROW - 14.0;
            svg.raw(&format!(
                "<line x1=\"12.00\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{GRID}\"/>\n",
                y = coord(y),
                x2 = coord(F_W - 12.0),
            ));
        }
        previous = Some(&g.attribute);
        let label = format!("{} = {}", g.attribute, g.value);
        let n = g.metrics.as_ref().map_or(0, |m| m.n);
        forest_row(&mut svg, row, &label, n, g.metrics.as_ref(), false);
    }
    let y = axis_y + 40.0;
    svg.swatch_square(12.0, y);
    svg.text(
        32.0,
        y + 4.0,
        "start",
        "",
        "Point estimate; whiskers: 95% Wilson interval; n/a: no positives (sensitivity) or \
         no negatives (specificity) in the subgroup",
    );
    svg.raw(&format!(
        "<line x1=\"12.00\" y1=\"{y}\" x2=\"26.00\" y2=\"{y}\" stroke=\"{GUIDE}\" \
         stroke-dasharray=\"4 3\"/>\n",
        y = coord(y + LINE),
    ));
    svg.text(32.0, y + LINE + 4.0, "start", "", "Overall estimate");
    svg.finish()
}

/// One row of the forest plot.
fn forest_row(svg: &mut Svg, row: usize, label: &str, n: u64, m: Option<&Metrics>, bold: bool) {
    let y = F_TOP + row as f64 * F_ROW;
    let weight = if bold { "font-weight=\"bold\"" } else { "" };
    svg.raw("<g class=\"clic-row\">");
    svg.raw(&format!("<title>{}</title>\n", escape::html(label)));
    svg.text(12.0, y, "start", weight, &shorten(label, F_LABEL));
    svg.text(F_N, y, "end", weight, &n.to_string());
    let panels = [
        (F_PANELS[0], m.map(|m| &m.sensitivity), "no positives"),
        (F_PANELS[1], m.map(|m| &m.specificity), "no negatives"),
    ];
    for (panel, e, why) in panels {
        let text_x = panel + F_PANEL_W + 10.0;
        match e {
            Some(e) if e.n > 0 => {
                let cy = y - 4.0;
                let (lo, mid, hi) = (
                    panel + clamp01(e.low) * F_PANEL_W,
                    panel + clamp01(e.value) * F_PANEL_W,
                    panel + clamp01(e.high) * F_PANEL_W,
                );
                svg.raw(&format!(
                    "<line class=\"clic-ci\" x1=\"{}\" y1=\"{cy}\" x2=\"{}\" y2=\"{cy}\" \
                     stroke=\"{CURVE}\" stroke-width=\"1.5\"/>\n",
                    coord(lo),
                    coord(hi),
                    cy = coord(cy),
                ));
                svg.raw(&format!(
                    "<rect class=\"clic-est\" x=\"{}\" y=\"{}\" width=\"7.00\" height=\"7.00\" \
                     fill=\"{CURVE}\"/>\n",
                    coord(mid - 3.5),
                    coord(cy - 3.5),
                ));
                let k = e
                    .successes
                    .map_or(String::new(), |k| format!("{k}/{}", e.n));
                svg.text(text_x, y, "start", "", &k);
                svg.text(
                    text_x + F_KN,
                    y,
                    "start",
                    "",
                    &format!("{} ({}–{})", fixed3(e.value), fixed3(e.low), fixed3(e.high)),
                );
            }
            _ => {
                let why = if m.is_none() { "no cases" } else { why };
                svg.text(
                    panel + F_PANEL_W / 2.0,
                    y,
                    "middle",
                    "class=\"clic-na\" fill=\"#8c8c8c\"",
                    "n/a",
                );
                svg.text(
                    text_x,
                    y,
                    "start",
                    "fill=\"#555555\"",
                    &format!("n/a ({why})"),
                );
            }
        }
    }
    svg.raw("</g>\n");
}

/// The 0-1 axis under a forest panel.
fn forest_axis(svg: &mut Svg, panel: f64, axis_y: f64) {
    svg.raw(&format!(
        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{INK}\"/>\n",
        coord(panel),
        coord(panel + F_PANEL_W),
        y = coord(axis_y),
    ));
    for i in 0..=4 {
        let v = f64::from(i) / 4.0;
        let x = panel + v * F_PANEL_W;
        svg.raw(&format!(
            "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{INK}\"/>\n",
            x = coord(x),
            y1 = coord(axis_y),
            y2 = coord(axis_y + 4.0),
        ));
        svg.text(x, axis_y + 17.0, "middle", "font-size=\"11\"", &fixed2(v));
    }
}

/// An estimate as the forest plot's description states it.
fn shown(e: &Estimate, why: &str) -> String {
    if e.n == 0 {
        return format!("n/a ({why})");
    }
    format!(
        "{} (95% CI {} to {})",
        fixed3(e.value),
        fixed3(e.low),
        fixed3(e.high)
    )
}

/// (1 - specificity, sensitivity) at the operating threshold, from the cross-tab; `None`
/// when a class is absent.
fn operating_point(m: &Metrics) -> Option<(f64, f64)> {
    (m.positives > 0 && m.negatives > 0).then(|| {
        (
            m.fp as f64 / m.negatives as f64,
            m.tp as f64 / m.positives as f64,
        )
    })
}

/// `≥ 0.5` or `> 0.5`: the threshold exactly, in Rust's shortest round-trip form.
fn threshold_label(m: &Metrics) -> String {
    format!("{} {}", if m.inclusive { "≥" } else { ">" }, m.threshold)
}

/// The operating point's three-line label, beside the point and inside the plot area.
fn operating_label(svg: &mut Svg, fpr: f64, tpr: f64, threshold: &str) {
    let lines = [
        format!("threshold {threshold}"),
        format!("sensitivity {}", fixed3(tpr)),
        format!("1 − specificity {}", fixed3(fpr)),
    ];
    let (x, anchor) = if fpr < 0.55 {
        (px(fpr) + 10.0, "start")
    } else {
        (px(fpr) - 10.0, "end")
    };
    // Below the point unless it sits near the bottom, then above.
    let first = if tpr > 0.25 {
        py(tpr) + 18.0
    } else {
        py(tpr) - 36.0
    };
    for (i, line) in lines.iter().enumerate() {
        svg.text(
            x,
            first + i as f64 * 14.0,
            anchor,
            &format!("class=\"clic-op-label\" fill=\"{MARK}\" font-size=\"11\""),
            line,
        );
    }
}

/// The frame, grid, ticks and axis titles of a unit-square plot.
/// The x-axis title sits `x_title_below` under the plot area.
fn unit_axes(svg: &mut Svg, x_title: &str, x_title_below: f64, y_title: &str) {
    for i in 0..=5 {
        let v = f64::from(i) / 5.0;
        if i > 0 && i < 5 {
            svg.line(v, 0.0, v, 1.0, GRID, None);
            svg.line(0.0, v, 1.0, v, GRID, None);
        }
        svg.text(
            px(v),
            Y0 + SIDE + 16.0,
            "middle",
            "font-size=\"11\"",
            &fixed1(v),
        );
        svg.text(X0 - 8.0, py(v) + 4.0, "end", "font-size=\"11\"", &fixed1(v));
    }
    svg.raw(&format!(
        "<rect class=\"clic-frame\" x=\"{}\" y=\"{}\" width=\"{side}\" height=\"{side}\" \
         fill=\"none\" stroke=\"{INK}\"/>\n",
        coord(X0),
        coord(Y0),
        side = coord(SIDE),
    ));
    svg.text(
        X0 + SIDE / 2.0,
        Y0 + SIDE + x_title_below,
        "middle",
        "",
        x_title,
    );
    svg.raw(&format!(
        "<text x=\"0\" y=\"0\" text-anchor=\"middle\" transform=\"translate({} {}) rotate(-90)\">{}</text>\n",
        coord(X0 - 44.0),
        coord(Y0 + SIDE / 2.0),
        escape::html(y_title),
    ));
}

/// x of a value in 0..1 on the unit-square plot.
fn px(v: f64) -> f64 {
    X0 + clamp01(v) * SIDE
}

/// y of a value in 0..1 on the unit-square plot.
fn py(v: f64) -> f64 {
    Y0 + (1.0 - clamp01(v)) * SIDE
}

/// `v` within 0..1; NaN as 0.
fn clamp01(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(0.0, 1.0)
    }
}

/// `v` with `decimals` fixed decimals; never `-0.00`, NaN or `inf` (those become 0).
fn fixed(v: f64, decimals: usize) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn coord(v: f64) -> String {
    fixed(v, 2)
}

fn fixed1(v: f64) -> String {
    fixed(v, 1)
}

fn fixed2(v: f64) -> String {
    fixed(v, 2)
}

fn fixed3(v: f64) -> String {
    fixed(v, 3)
}

/// `s` cut to `max` characters, ending in `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// An SVG document being written. Attribute fragments passed to its methods are
/// constants of this module; text content is always escaped.
struct Svg {
    out: String,
}

impl Svg {
    fn new(name: &'static str, width: f64, height: f64, title: &str, desc: &str) -> Svg {
        let (w, h) = (coord(width), coord(height));
        let out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
             aria-labelledby=\"clic-{name}-title clic-{name}-desc\" width=\"{w}\" \
             height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" \
             font-size=\"12\" fill=\"{INK}\">\n\
             <title id=\"clic-{name}-title\">{}</title>\n\
             <desc id=\"clic-{name}-desc\">{}</desc>\n\
             <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
            escape::html(title),
            escape::html(desc),
        );
        Svg { out }
    }

    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn text(&mut self, x: f64, y: f64, anchor: &str, attrs: &str, content: &str) {
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" {attrs}")
        };
        self.out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\"{attrs}>{}</text>\n",
            coord(x),
            coord(y),
            escape::html(content),
        ));
    }

    fn heading(&mut self, x: f64, y: f64, content: &str) {
        self.text(
            x,
            y,
            "start",
            "font-size=\"14\" font-weight=\"bold\"",
            content,
        );
    }

    /// A note across the middle of the unit-square plot area.
    fn note(&mut self, note: &str) {
        self.raw(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"44.00\" fill=\"#ffffff\" \
             stroke=\"{GUIDE}\"/>\n",
            coord(X0 + 10.0),
            coord(Y0 + SIDE / 2.0 - 26.0),
            coord(SIDE - 20.0),
        ));
        // Two lines of at most ~50 characters, split at a space.
        let cut = split_at_space(note, 50);
        let (a, b) = note.split_at(cut);
        for (i, line) in [a.trim(), b.trim()].iter().enumerate() {
            if !line.is_empty() {
                self.text(
                    X0 + SIDE / 2.0,
                    Y0 + SIDE / 2.0 - 8.0 + i as f64 * 16.0,
                    "middle",
                    "class=\"clic-note\" font-style=\"italic\"",
                    line,
                );
            }
        }
    }

    /// A line between two points of the unit square.
    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, dash: Option<&str>) {
        let dash = dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
        self.out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\"{dash}/>\n",
            coord(px(x1)),
            coord(py(y1)),
            coord(px(x2)),
            coord(py(y2)),
        ));
    }

    fn polyline(&mut self, class: &str, points: &[(f64, f64)], stroke: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{},{}", coord(px(x)), coord(py(y))))
            .collect();
        self.out.push_str(&format!(
            "<polyline class=\"{class}\" points=\"{}\" fill=\"none\" stroke=\"{stroke}\" \
             stroke-width=\"2\" stroke-linejoin=\"round\"/>\n",
            pts.join(" "),
        ));
    }

    fn circle(&mut self, class: &str, x: f64, y: f64, r: f64, fill: &str) {
        self.out.push_str(&format!(
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\" \
             stroke=\"#ffffff\"/>\n",
            coord(px(x)),
            coord(py(y)),
            coord(r),
        ));
    }

    fn legend(&mut self, y: f64, content: &str) {
        self.text(X0 + 24.0, y + 4.0, "start", "", content);
    }

    fn swatch_line(&mut self, y: f64, stroke: &str, dash: Option<&str>) {
        let dash = dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
        self.out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{stroke}\" \
             stroke-width=\"2\"{dash}/>\n",
            coord(X0),
            coord(X0 + 16.0),
            y = coord(y),
        ));
    }

    fn swatch_dot(&mut self, y: f64, fill: &str) {
        self.out.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"4.00\" fill=\"{fill}\"/>\n",
            coord(X0 + 8.0),
            coord(y),
        ));
    }

    fn swatch_square(&mut self, x: f64, y: f64) {
        self.out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{CURVE}\" \
             stroke-width=\"1.5\"/>\n<rect x=\"{}\" y=\"{}\" width=\"7.00\" height=\"7.00\" \
             fill=\"{CURVE}\"/>\n",
            coord(x),
            coord(x + 14.0),
            coord(x + 3.5),
            coord(y - 3.5),
            y = coord(y),
        ));
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// The byte index where `s` is best split into two lines of about `width` characters:
/// the last space at or before the `width`-th character, else the end.
fn split_at_space(s: &str, width: usize) -> usize {
    if s.chars().count() <= width {
        return s.len();
    }
    let limit = s.char_indices().nth(width).map_or(s.len(), |(i, _)| i);
    s[..limit].rfind(' ').unwrap_or(limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clic_runner::dicom::{DeidAudit, ScanInfo};
    use clic_runner::metrics::{compute, Scored};

    /// A minimal XML check: tags balance, one root `svg`, attribute values quoted, and
    /// text and attributes hold no raw `<`, `>` or `&` outside an entity.
    fn well_formed(svg: &str) -> Result<(), String> {
        fn entities_ok(s: &str) -> Result<(), String> {
            for (i, _) in s.match_indices('&') {
                let rest = &s[i..];
                if !["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|e| rest.starts_with(e))
                {
                    return Err(format!("raw `&` in {s:?}"));
                }
            }
            Ok(())
        }
        if !svg.starts_with("<svg ") {
            return Err("does not start with <svg".into());
        }
        let mut stack: Vec<String> = Vec::new();
        let mut roots = 0;
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            if text.contains('>') {
                return Err(format!("raw `>` in text {text:?}"));
            }
            entities_ok(text)?;
            let after = &rest[open + 1..];
            let close = after.find('>').ok_or("unclosed tag")?;
            let tag = &after[..close];
            rest = &after[close + 1..];
            if tag.contains('<') || !tag.matches('"').count().is_multiple_of(2) {
                return Err(format!("malformed tag <{tag}>"));
            }
            entities_ok(tag)?;
            if let Some(name) = tag.strip_prefix('/') {
                match stack.pop() {
                    Some(open) if open == name => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
                continue;
            }
            let name = tag
                .trim_end_matches('/')
                .split_whitespace()
                .next()
                .ok_or("empty tag")?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("bad element name {name:?}"));
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !tag.ends_with('/') {
                stack.push(name.to_string());
            }
        }
        if !rest.trim().is_empty() {
            return Err(format!("text after the root: {rest:?}"));
        }
        match (stack.is_empty(), roots) {
            (true, 1) => Ok(()),
            _ => Err(format!("unclosed {stack:?} or {roots} roots")),
        }
    }

    /// The value of `attr` in every tag with `class="class"`.
    fn attrs(svg: &str, class: &str, attr: &str) -> Vec<String> {
        let marker = format!("class=\"{class}\"");
        svg.split('<')
            .filter(|tag| tag.contains(&marker))
            .filter_map(|tag| {
                let at = tag.find(&format!(" {attr}=\""))? + attr.len() + 3;
                tag[at..].split('"').next().map(str::to_string)
            })
            .collect()
    }

    fn num(s: &str) -> f64 {
        s.parse().unwrap_or(f64::NAN)
    }

    fn inside_plot(x: f64, y: f64) -> bool {
        (X0..=X0 + SIDE).contains(&x) && (Y0..=Y0 + SIDE).contains(&y)
    }

    fn cases(pos: &[f64], neg: &[f64]) -> Vec<Scored> {
        let p = pos.iter().map(|&score| Scored { label: true, score });
        let n = neg.iter().map(|&score| Scored {
            label: false,
            score,
        });
        p.chain(n).collect()
    }

    /// 4 positives and 4 negatives: at >= 0.5, tp 3 and fp 1.
    fn sample() -> Metrics {
        compute(
            &cases(&[0.9, 0.8, 0.6, 0.3], &[0.7, 0.4, 0.2, 0.1]),
            0.5,
            true,
        )
    }

    /// 60 cases spread over the score range.
    fn spread() -> Metrics {
        let c: Vec<Scored> = (0..60)
            .map(|i| {
                let score = (f64::from(i) + 0.5) / 60.0;
                Scored {
                    label: i % 3 != 0 && score > 0.3,
                    score,
                }
            })
            .collect();
        compute(&c, 0.5, true)
    }

    fn group(attribute: &str, value: &str, m: Option<Metrics>) -> Subgroup {
        Subgroup {
            attribute: attribute.to_string(),
            value: value.to_string(),
            metrics: m,
        }
    }

    #[test]
    fn figures_are_well_formed_self_contained_and_accessible() {
        let m = spread();
        let groups = vec![
            group("Manufacturer", "ACME", Some(sample())),
            group("PatientSex", "F", Some(m.clone())),
        ];
        for svg in [roc(&m), calibration(&m), forest(&m, &groups)] {
            well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
            assert!(svg.contains("role=\"img\""), "{svg}");
            assert!(
                svg.contains("<title id=") && svg.contains("<desc id="),
                "{svg}"
            );
            for banned in [
                "<script",
                "<style",
                "href",
                "url(",
                "@import",
                "<image",
                "<foreignObject",
            ] {
                assert!(!svg.contains(banned), "{banned} in {svg}");
            }
        }
    }

    #[test]
    fn roc_marks_the_operating_point_at_its_coordinates() {
        let svg = roc(&sample());
        // fpr 1/4, tpr 3/4.
        assert_eq!(attrs(&svg, "clic-op", "cx"), ["170.00"]);
        assert_eq!(attrs(&svg, "clic-op", "cy"), ["134.00"]);
        assert_eq!(
            (px(0.25), py(0.75)),
            (X0 + 0.25 * SIDE, Y0 + 0.25 * SIDE),
            "the plot's scale"
        );
        assert!(svg.contains(">threshold ≥ 0.5<"), "{svg}");
        assert!(svg.contains(">sensitivity 0.750<"), "{svg}");
        assert!(svg.contains(">1 − specificity 0.250<"), "{svg}");
        let auc = sample().auc.map(|a| a.value).unwrap_or(f64::NAN);
        assert!(svg.contains(&format!("AUC {}", fixed3(auc))), "{svg}");
        assert!(svg.contains("95% CI") && svg.contains("delong"), "{svg}");
        // The chance diagonal from (0, 0) to (1, 1).
        assert!(
            svg.contains("x1=\"80.00\" y1=\"404.00\" x2=\"440.00\" y2=\"44.00\""),
            "{svg}"
        );
        let op_label_x = attrs(&svg, "clic-op-label", "x");
        assert_eq!(op_label_x.len(), 3);
        assert!(op_label_x.iter().all(|x| num(x) > X0 && num(x) < X0 + SIDE));
    }

    #[test]
    fn curves_and_points_stay_inside_the_plot_area() {
        for m in [sample(), spread()] {
            for svg in [roc(&m), calibration(&m)] {
                let mut n = 0;
                for points in attrs(&svg, "clic-curve", "points") {
                    for p in points.split(' ') {
                        let (x, y) = p.split_once(',').unwrap_or(("", ""));
                        assert!(inside_plot(num(x), num(y)), "{p}");
                        n += 1;
                    }
                }
                for class in ["clic-op", "clic-bin"] {
                    let xs = attrs(&svg, class, "cx");
                    let ys = attrs(&svg, class, "cy");
                    assert_eq!(xs.len(), ys.len());
                    for (x, y) in xs.iter().zip(&ys) {
                        assert!(inside_plot(num(x), num(y)), "{x},{y}");
                        n += 1;
                    }
                }
                assert!(n >= 2, "nothing drawn in {svg}");
            }
        }
        // The ROC polyline has every point of the curve.
        let m = spread();
        let svg = roc(&m);
        let drawn = attrs(&svg, "clic-curve", "points");
        assert_eq!(drawn.len(), 1);
        assert_eq!(drawn[0].split(' ').count(), m.roc.len());
    }

    #[test]
    fn calibration_shows_each_bin_with_its_n_and_the_ece() {
        let m = spread();
        let svg = calibration(&m);
        assert_eq!(attrs(&svg, "clic-bin", "cx").len(), m.calibration.len());
        let first = &m.calibration[0];
        assert_eq!(
            attrs(&svg, "clic-bin", "cx")[0],
            coord(X0 + first.mean_score * SIDE)
        );
        assert_eq!(
            attrs(&svg, "clic-bin", "cy")[0],
            coord(Y0 + (1.0 - first.observed_rate) * SIDE)
        );
        let ns: Vec<String> = m.calibration.iter().map(|b| b.n.to_string()).collect();
        let shown: Vec<String> = svg
            .split("class=\"clic-n\"")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1)?.split('<').next().map(str::to_string))
            .collect();
        assert_eq!(shown, ns);
        assert!(svg.contains(&format!("ECE {}", fixed3(m.ece))), "{svg}");
        assert!(!svg.contains("clic-note"), "{svg}");
    }

    #[test]
    fn forest_has_a_row_per_subgroup_and_na_for_a_missing_class() {
        let only_positive = compute(&cases(&[0.9, 0.2], &[]), 0.5, true);
        let groups = vec![
            group("Manufacturer", "ACME", Some(sample())),
            group("Manufacturer", "Other", Some(only_positive)),
            group("PatientSex", "unknown", None),
        ];
        let overall = sample();
        let svg = forest(&overall, &groups);
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        // Overall plus three rows, none dropped.
        assert_eq!(svg.matches("class=\"clic-row\"").count(), 4);
        for label in [
            "Manufacturer = ACME",
            "Manufacturer = Other",
            "PatientSex = unknown",
        ] {
            assert!(svg.contains(&format!(">{label}<")), "{label}");
        }
        assert!(svg.contains(">n/a (no negatives)<"), "{svg}");
        assert!(svg.contains(">n/a (no cases)<"), "{svg}");
        // Two estimates for ACME and overall, one (sensitivity) for Other.
        assert_eq!(attrs(&svg, "clic-est", "x").len(), 5);
        // The sensitivity of ACME: 3/4 with its Wilson interval, drawn on panel 1.
        let s = &sample().sensitivity;
        assert!(svg.contains(">3/4<"), "{svg}");
        let ci = format!("{} ({}–{})", fixed3(s.value), fixed3(s.low), fixed3(s.high));
        assert!(svg.contains(&ci), "{ci}");
        let x1 = attrs(&svg, "clic-ci", "x1");
        assert_eq!(x1[0], coord(F_PANELS[0] + s.low * F_PANEL_W));
        // The overall reference lines, one per panel.
        let refs = attrs(&svg, "clic-ref", "x1");
        assert_eq!(
            refs,
            [
                coord(F_PANELS[0] + overall.sensitivity.value * F_PANEL_W),
                coord(F_PANELS[1] + overall.specificity.value * F_PANEL_W)
            ]
        );
    }

    #[test]
    fn hostile_labels_are_escaped() {
        let hostile = "<script>alert(\"x\")</script> & 'q'";
        let mut m = sample();
        if let Some(a) = m.auc.as_mut() {
            a.method = hostile.to_string();
        }
        let groups = vec![group(hostile, hostile, Some(sample()))];
        for svg in [roc(&m), forest(&m, &groups)] {
            well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
            assert!(!svg.contains("<script"), "{svg}");
            assert!(svg.contains("&lt;script&gt;"), "{svg}");
            assert!(
                svg.contains("&quot;x&quot;") && svg.contains("&amp; &#39;q&#39;"),
                "{svg}"
            );
        }
        // A long label is cut short in the row, whole in its tooltip.
        let long = "x".repeat(100);
        let svg = forest(&m, &[group("Manufacturer", &long, Some(sample()))]);
        assert!(svg.contains(&format!("<title>Manufacturer = {long}</title>")));
        let cut = format!("Manufacturer = {}…", "x".repeat(F_LABEL - 16));
        assert_eq!(cut.chars().count(), F_LABEL);
        assert!(svg.contains(&format!(">{cut}<")), "{svg}");
    }

    #[test]
    fn degenerate_inputs_give_a_figure_with_a_note() {
        let one_class = compute(&cases(&[0.9, 0.7, 0.2], &[]), 0.5, true);
        let empty = compute(&[], 0.5, true);
        let one_bin = compute(&cases(&[0.25, 0.21], &[0.22, 0.29]), 0.5, true);
        assert_eq!(one_bin.calibration.len(), 1);
        let svg = roc(&one_class);
        assert!(
            svg.contains("Only positive cases (3), no negative one"),
            "{svg}"
        );
        assert!(attrs(&svg, "clic-curve", "points").is_empty());
        assert!(attrs(&svg, "clic-op", "cx").is_empty());
        assert!(roc(&empty).contains("No labelled, scored case"));
        assert!(calibration(&empty).contains("No labelled, scored case"));
        let svg = calibration(&one_bin);
        assert!(svg.contains("one bin (0.2 to 0.3)"), "{svg}");
        assert_eq!(attrs(&svg, "clic-bin", "cx").len(), 1);
        let svg = forest(&empty, &[]);
        assert!(svg.contains("No subgroup"), "{svg}");
        assert!(svg.contains(">n/a (no positives)<") && svg.contains(">n/a (no negatives)<"));
        assert!(attrs(&svg, "clic-ref", "x1").is_empty());
        for svg in [
            roc(&one_class),
            roc(&empty),
            calibration(&one_class),
            calibration(&empty),
            calibration(&one_bin),
            forest(
                &one_class,
                &[group("Modality", "CR", Some(one_class.clone()))],
            ),
            forest(&empty, &[]),
        ] {
            well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        let c = cases(&[0.9, 0.8, 0.6, 0.3], &[0.7, 0.4, 0.2, 0.1]);
        let mut reversed = c.clone();
        reversed.reverse();
        let (a, b) = (compute(&c, 0.5, true), compute(&reversed, 0.5, true));
        let groups = vec![group("Modality", "DX", Some(a.clone()))];
        assert_eq!(roc(&a), roc(&b));
        assert_eq!(calibration(&a), calibration(&b));
        assert_eq!(forest(&a, &groups), forest(&b, &groups));
        assert_eq!(roc(&a), roc(&a.clone()));
    }

    #[test]
    fn numbers_have_fixed_decimals() {
        assert_eq!(fixed(-0.0, 2), "0.00");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-0.5, 1), "-0.5");
        assert_eq!(fixed(f64::NAN, 3), "0.000");
        assert_eq!(fixed(f64::INFINITY, 2), "0.00");
        assert_eq!(fixed(1.0 / 3.0, 3), "0.333");
        assert_eq!(split_at_space("aaa bbb ccc", 6), 3);
        assert_eq!(split_at_space("short", 50), 5);
    }

    fn row(file: &str, manufacturer: &str, label: Option<bool>, score: Option<f64>) -> ScanRow {
        ScanRow {
            info: ScanInfo {
                file: file.to_string(),
                sha256: String::new(),
                transfer_syntax: String::new(),
                transfer_syntax_name: "Explicit VR Little Endian".to_string(),
                part10: true,
                sop_class: String::new(),
                modality: "DX".to_string(),
                manufacturer: manufacturer.to_string(),
                model_name: String::new(),
                sex: "F".to_string(),
                age: String::new(),
                age_band: "40-59".to_string(),
                rows: 8,
                columns: 8,
                bits_allocated: 16,
                bits_stored: 12,
                pixel_representation: 0,
                photometric: "MONOCHROME2".to_string(),
                frames: 1,
                patient_hash: file.to_string(),
                study_hash: file.to_string(),
                deid: DeidAudit::default(),
            },
            label,
            score,
        }
    }

    #[test]
    fn all_draws_the_three_figures_of_the_evidence() {
        let rows = vec![
            row("a.dcm", "ACME", Some(true), Some(0.9)),
            row("b.dcm", "ACME", Some(false), Some(0.2)),
            row("c.dcm", "Globex", Some(true), Some(0.7)),
            row("d.dcm", "Globex", Some(false), Some(0.6)),
            row("e.dcm", "Initech", None, Some(0.4)),
        ];
        let groups = subgroups(&rows, 0.5, true);
        let manufacturers: Vec<(&str, bool)> = groups
            .iter()
            .filter(|g| g.attribute == "Manufacturer")
            .map(|g| (g.value.as_str(), g.metrics.is_some()))
            .collect();
        // Initech has no labelled scan: kept, without metrics.
        assert_eq!(
            manufacturers,
            [("ACME", true), ("Globex", true), ("Initech", false)]
        );
        assert_eq!(
            groups.len(),
            3 + 1 + 1 + 1 + 1 + 1,
            "ModelName is `unknown`"
        );
        let mut ev = BenchEvidence {
            format: bench::EVIDENCE_FORMAT,
            key: String::new(),
            clic_version: String::new(),
            model_sha256: String::new(),
            labels_sha256: String::new(),
            backend: "tract".to_string(),
            overall: bench::score_metrics(&rows, 0.5, true),
            rows,
            unreadable: Vec::new(),
            labels_without_file: Vec::new(),
            leakage_patients: 0,
            leakage_studies: 0,
        };
        let spec: ModelSpec = serde_json::from_value(serde_json::json!({
            "name": "m", "version": "1", "purpose": "p", "class": "IIa",
            "classification_rule": null,
            "artifact": { "path": "m.onnx", "sha256": null },
            "input": null,
            "output": { "tensor": "y", "threshold": 0.5, "inclusive": true, "positive": "finding" },
            "reference": null, "training_patients": null, "claims": {}, "documents": {},
            "policies": [],
            "source": { "file": "model.clic", "line": 1, "column": 1, "start": 0, "end": 0 }
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let figs = all(&spec, &ev);
        let names: Vec<&str> = figs.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["roc", "calibration", "forest"]);
        for (_, svg) in &figs {
            well_formed(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        }
        assert!(figs[2].1.contains(">Manufacturer = Initech<"));
        ev.overall = None;
        assert!(all(&spec, &ev).is_empty());
    }
}
