//! The unit-square figures: the ROC curve and the calibration plot.

use super::svg::{coord, fixed1, fixed3, Svg};
use super::{
    operating_point, px, py, threshold_label, CURVE, GRID, GUIDE, INK, LINE, MARK, SIDE, SQUARE_W,
    X0, Y0,
};
use crate::escape;
use clic_runner::metrics::Metrics;

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
        "ECE {} (95% CI {}-{}, basic bootstrap; 10 equal-width bins, weighted by n); Brier score {}",
        fixed3(m.ece.value),
        fixed3(m.ece.low),
        fixed3(m.ece.high),
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

/// The operating point's three-line label, beside the point and inside the plot area.
pub(super) fn operating_label(svg: &mut Svg, fpr: f64, tpr: f64, threshold: &str) {
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
pub(super) fn unit_axes(svg: &mut Svg, x_title: &str, x_title_below: f64, y_title: &str) {
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
