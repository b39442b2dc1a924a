//! The forest plot of subgroup sensitivity and specificity.

use super::svg::{coord, fixed1, fixed2, fixed3, shorten, Svg};
use super::{clamp01, threshold_label, Subgroup, CURVE, GRID, GUIDE, INK, LINE};
use crate::escape;
use clic_runner::metrics::{Estimate, Metrics};

/// Right edge of the forest plot's n column (right-aligned at it).
pub(super) const F_N: f64 = 226.0;
/// Left edges of the sensitivity and specificity panels.
pub(super) const F_PANELS: [f64; 2] = [238.0, 454.0];
/// Width of a forest panel's axis.
pub(super) const F_PANEL_W: f64 = 104.0;
/// Width of the forest figure: it fits the printed column (A4, 182 mm: 688 px) and the
/// page's, so its text is drawn at the size it is written with.
pub(super) const F_W: f64 = 680.0;
/// Offset of the estimate from its panel's right edge.
pub(super) const F_EST: f64 = 8.0;
/// Height of a forest row.
pub(super) const F_ROW: f64 = 20.0;
/// Baseline of the first forest row.
pub(super) const F_TOP: f64 = 84.0;
/// Longest row label (a subgroup's value, under its attribute), in characters, before it
/// is cut short (the full label is the row's tooltip).
pub(super) const F_LABEL: usize = 26;

/// The forest plot: one row per subgroup (its value, under a heading row per attribute,
/// and n), with the point estimate and 95% Wilson interval of sensitivity (left panel) and
/// specificity (right panel), two decimals drawn (three in the description and in the
/// report's tables), and the overall estimate as a dashed reference line. A subgroup without positives
/// (or negatives) shows "n/a" in that panel.
pub fn forest(overall: &Metrics, groups: &[Subgroup]) -> String {
    let threshold = threshold_label(overall);
    let mut attributes: Vec<&str> = groups.iter().map(|g| g.attribute.as_str()).collect();
    attributes.dedup();
    // Overall, then each attribute's heading row and its values.
    let rows = 1 + (attributes.len() + groups.len()).max(1);
    let axis_y = F_TOP + rows as f64 * F_ROW - 6.0;
    let height = axis_y + 40.0 + 3.0 * LINE + 8.0;
    let desc = format!(
        "Forest plot of sensitivity and specificity with 95% Wilson intervals at threshold \
         {threshold}: overall sensitivity {}, specificity {}; {} subgroups of {} attributes. {}",
        shown(&overall.sensitivity, "no positives"),
        shown(&overall.specificity, "no negatives"),
        groups.len(),
        attributes.len(),
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
    for (panel, name) in F_PANELS
        .iter()
        .zip(["Sensitivity (95% CI)", "Specificity (95% CI)"])
    {
        svg.text(
            panel + (F_PANEL_W + F_EST + 92.0) / 2.0,
            58.0,
            "middle",
            "font-weight=\"bold\"",
            name,
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
    forest_row(
        &mut svg,
        0,
        ("Overall", "Overall"),
        overall.n,
        Some(overall),
        true,
    );
    if groups.is_empty() {
        svg.text(
            12.0,
            F_TOP + F_ROW,
            "start",
            "class=\"clic-note\" fill=\"#555555\" font-style=\"italic\"",
            "No subgroup: no scored scan carries a grouping attribute.",
        );
    }
    let mut row = 0;
    let mut previous: Option<&str> = None;
    for g in groups {
        if previous != Some(g.attribute.as_str()) {
            row += 1;
            let y = F_TOP + row as f64 * F_ROW;
            if previous.is_some() {
                svg.raw(&format!(
                    "<line x1=\"12.00\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{GRID}\"/>\n",
                    y = coord(y - 14.0),
                    x2 = coord(F_W - 12.0),
                ));
            }
            svg.text(
                12.0,
                y,
                "start",
                "class=\"clic-attr\" font-weight=\"bold\"",
                &shorten(&g.attribute, F_LABEL),
            );
            previous = Some(&g.attribute);
        }
        row += 1;
        let label = format!("{} = {}", g.attribute, g.value);
        let n = g.metrics.as_ref().map_or(0, |m| m.n);
        forest_row(
            &mut svg,
            row,
            (&label, &g.value),
            n,
            g.metrics.as_ref(),
            false,
        );
    }
    let y = axis_y + 40.0;
    svg.swatch_square(12.0, y);
    svg.text(
        32.0,
        y + 4.0,
        "start",
        "",
        "Point estimate; whiskers: 95% Wilson interval",
    );
    svg.raw(&format!(
        "<line x1=\"12.00\" y1=\"{y}\" x2=\"26.00\" y2=\"{y}\" stroke=\"{GUIDE}\" \
         stroke-dasharray=\"4 3\"/>\n",
        y = coord(y + LINE),
    ));
    svg.text(32.0, y + LINE + 4.0, "start", "", "Overall estimate");
    svg.text(
        12.0,
        y + 2.0 * LINE + 4.0,
        "start",
        "",
        "n/a: no positives (sensitivity) or no negatives (specificity) in the subgroup",
    );
    svg.finish()
}

/// One row of the forest plot: `label` is (the row's full name, its tooltip; what the
/// row shows, a subgroup's value under its attribute's heading row).
pub(super) fn forest_row(
    svg: &mut Svg,
    row: usize,
    (full, shown_label): (&str, &str),
    n: u64,
    m: Option<&Metrics>,
    bold: bool,
) {
    let y = F_TOP + row as f64 * F_ROW;
    let weight = if bold { "font-weight=\"bold\"" } else { "" };
    let x = if bold { 12.0 } else { 24.0 };
    svg.raw("<g class=\"clic-row\">");
    svg.raw(&format!("<title>{}</title>\n", escape::html(full)));
    svg.text(x, y, "start", weight, &shorten(shown_label, F_LABEL));
    svg.text(F_N, y, "end", weight, &n.to_string());
    let panels = [
        (F_PANELS[0], m.map(|m| &m.sensitivity), "no positives"),
        (F_PANELS[1], m.map(|m| &m.specificity), "no negatives"),
    ];
    for (panel, e, why) in panels {
        let text_x = panel + F_PANEL_W + F_EST;
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
                svg.text(
                    text_x,
                    y,
                    "start",
                    "font-size=\"11\"",
                    &format!("{} ({}–{})", fixed2(e.value), fixed2(e.low), fixed2(e.high)),
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
                    "fill=\"#555555\" font-size=\"11\"",
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
    // Ticks at the quarters, labelled at 0, 0.5 and 1 (a label per quarter would touch
    // its neighbours on a panel this narrow).
    for i in 0..=4 {
        let v = f64::from(i) / 4.0;
        let x = panel + v * F_PANEL_W;
        svg.raw(&format!(
            "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{INK}\"/>\n",
            x = coord(x),
            y1 = coord(axis_y),
            y2 = coord(axis_y + 4.0),
        ));
        if i % 2 == 0 {
            svg.text(x, axis_y + 17.0, "middle", "font-size=\"11\"", &fixed1(v));
        }
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
