//! The forest plot of subgroup sensitivity and specificity.

use super::svg::{coord, fixed2, fixed3, shorten, Svg};
use super::{clamp01, threshold_label, Subgroup, CURVE, GRID, GUIDE, INK, LINE};
use crate::escape;
use clic_runner::metrics::{Estimate, Metrics};

/// Left edge of the forest plot's n column (right-aligned at it).
pub(super) const F_N: f64 = 310.0;
/// Left edges of the sensitivity and specificity panels.
pub(super) const F_PANELS: [f64; 2] = [330.0, 730.0];
/// Width of a forest panel's axis.
pub(super) const F_PANEL_W: f64 = 200.0;
/// Width of the forest figure.
pub(super) const F_W: f64 = 1140.0;
/// Offset of the estimate from the k/n column.
pub(super) const F_KN: f64 = 60.0;
/// Height of a forest row.
pub(super) const F_ROW: f64 = 20.0;
/// Baseline of the first forest row.
pub(super) const F_TOP: f64 = 84.0;
/// Longest row label, in characters, before it is cut short (the full label is the
/// row's tooltip).
pub(super) const F_LABEL: usize = 40;

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
pub(super) fn forest_row(
    svg: &mut Svg,
    row: usize,
    label: &str,
    n: u64,
    m: Option<&Metrics>,
    bold: bool,
) {
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
pub(super) fn forest_axis(svg: &mut Svg, panel: f64, axis_y: f64) {
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
pub(super) fn shown(e: &Estimate, why: &str) -> String {
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
