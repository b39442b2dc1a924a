//! The Bland–Altman plot of a structure's volume: each case's difference (prediction −
//! reference) against the mean of the two volumes, in mL, with the bias as a solid line,
//! the 95% limits of agreement as dashed lines, the 95% interval of each as a band, the
//! line of no difference, and the agreement claims' bounds.

use super::distribution::{nice, Canvas, Scale};
use super::svg::{coord, shorten};
use super::{CURVE, GRID, GUIDE, INK, LINE, MARK};
use crate::escape;
use crate::segmentation::{AgreementReport, Bound, ClaimReport, Unit};

/// Width of the figure.
const W: f64 = 660.0;
/// Left edge of the plot area.
const L: f64 = 80.0;
/// Top edge.
const T: f64 = 44.0;
/// Right edge (the lines' labels go to its right).
const R: f64 = 500.0;
/// Bottom edge.
const B: f64 = 344.0;
/// Least vertical distance between two of the lines' labels.
const LABEL_GAP: f64 = 13.0;

fn ml(v: f64) -> String {
    Unit::Ml
        .with_unit(v)
        .unwrap_or_else(|| "not computed".to_string())
}

fn interval(i: (f64, f64)) -> String {
    match (Unit::Ml.number(i.0), Unit::Ml.number(i.1)) {
        (Some(l), Some(h)) => format!("95% CI {l} to {h}"),
        _ => "95% CI not computed".to_string(),
    }
}

/// `1 case`, `8 cases`.
fn cases(n: usize) -> String {
    if n == 1 {
        "1 case".to_string()
    } else {
        format!("{n} cases")
    }
}

fn finite(i: (f64, f64)) -> bool {
    i.0.is_finite() && i.1.is_finite()
}

/// The bounds of the agreement claims (`volume_loa`, `volume_bias`), as lines of the
/// plot: each at plus and minus its bound, in mL.
fn claim_lines(claims: &[ClaimReport]) -> Vec<(&ClaimReport, f64)> {
    claims
        .iter()
        .filter(|c| {
            matches!(c.metric.as_str(), "volume_loa" | "volume_bias")
                && c.unit == Unit::Ml
                && c.bound.is_finite()
        })
        .flat_map(|c| {
            let b = c.bound.abs();
            match c.direction {
                Bound::AtLeast => vec![(c, c.bound)],
                Bound::AtMost | Bound::Within => vec![(c, -b), (c, b)],
            }
        })
        .collect()
}

/// The Bland–Altman figure of the volume of structure `name`; `id` names it in the page
/// (`bland-altman-1`).
pub fn bland_altman(id: &str, name: &str, a: &AgreementReport, claims: &[ClaimReport]) -> String {
    let points = a.differences();
    let claims = claim_lines(claims);
    let legend_top = B + 66.0;
    let height = legend_top + 4.0 * LINE + 8.0;
    let icc = match (
        Unit::Fraction.number(a.icc),
        Unit::Fraction.number(a.icc_ci.0),
        Unit::Fraction.number(a.icc_ci.1),
    ) {
        (Some(v), Some(l), Some(h)) => format!("ICC(A,1) {v} (95% CI {l} to {h})"),
        (Some(v), _, _) => format!("ICC(A,1) {v} (95% CI not computed)"),
        _ => "ICC(A,1) not computed".to_string(),
    };
    let rmse = format!("RMSE {} ({})", ml(a.rmse), interval(a.rmse_ci));
    let bias = format!("Bias {} ({})", ml(a.bias), interval(a.bias_ci));
    let loa = format!(
        "Limits of agreement {} ({}) and {} ({})",
        ml(a.loa_low),
        interval(a.loa_low_ci),
        ml(a.loa_high),
        interval(a.loa_high_ci)
    );
    let desc = format!(
        "Bland–Altman plot of the volume of {name} on {}: prediction − reference against their mean, in mL. {bias}. {loa}. {icc}. {rmse}.{}",
        cases(points.len()),
        claims
            .first()
            .map_or(String::new(), |(c, _)| format!(
                " Claim: {} {}.",
                c.label,
                crate::segmentation::claimed(c)
            ))
    );
    let title = format!("Bland–Altman plot: volume of {name}");
    let mut svg = Canvas::new(id, W, height, &title, &desc);
    svg.text(
        12.0,
        24.0,
        "start",
        "font-size=\"14\" font-weight=\"bold\"",
        &shorten(&title, 76),
    );
    let scales = scales(&points, a, &claims);
    let note = if points.is_empty() {
        Some("Not computed: no case has both volumes as finite numbers.")
    } else if scales.is_none() {
        Some("Not computed: the volumes are too large to draw.")
    } else {
        None
    };
    frame(&mut svg, scales.as_ref());
    match (note, scales) {
        (None, Some((x, y))) => plot(&mut svg, &x, &y, &points, a, &claims),
        (note, _) => svg.text(
            (L + R) / 2.0,
            (T + B) / 2.0,
            "middle",
            "class=\"clic-note\" font-style=\"italic\"",
            note.unwrap_or_default(),
        ),
    }
    let mut y = legend_top;
    svg.line(
        (L, y),
        (L + 16.0, y),
        &format!("stroke=\"{CURVE}\" stroke-width=\"2\""),
    );
    svg.text(
        L + 24.0,
        y + 4.0,
        "start",
        "",
        &format!("{bias}, {}", cases(points.len())),
    );
    y += LINE;
    svg.line(
        (L, y),
        (L + 16.0, y),
        &format!("stroke=\"{MARK}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\""),
    );
    svg.text(
        L + 24.0,
        y + 4.0,
        "start",
        "",
        &if a.loa_low.is_finite() && a.loa_high.is_finite() {
            format!(
                "Limits of agreement, bias ± 1.96 SD: {} to {}",
                ml(a.loa_low),
                ml(a.loa_high)
            )
        } else {
            "Limits of agreement, bias ± 1.96 SD: not computed".to_string()
        },
    );
    y += LINE;
    svg.raw(&format!(
        "<rect x=\"{}\" y=\"{}\" width=\"16.00\" height=\"10.00\" fill=\"{CURVE}\" \
         fill-opacity=\"0.15\"/>\n",
        coord(L),
        coord(y - 5.0)
    ));
    svg.text(
        L + 24.0,
        y + 4.0,
        "start",
        "",
        "Bands: the 95% intervals of the bias and of each limit",
    );
    y += LINE;
    svg.text(L + 24.0, y + 4.0, "start", "", &format!("{icc}; {rmse}"));
    svg.finish()
}

/// The axes of the plot: x over the means, y over the differences, the lines, their
/// intervals, the claims and 0.
fn scales(
    points: &[(f64, f64)],
    a: &AgreementReport,
    claims: &[(&ClaimReport, f64)],
) -> Option<(Scale, Scale)> {
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let mut ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    ys.push(0.0);
    ys.extend([a.bias, a.loa_low, a.loa_high]);
    for i in [a.bias_ci, a.loa_low_ci, a.loa_high_ci] {
        ys.extend([i.0, i.1]);
    }
    ys.extend(claims.iter().map(|c| c.1));
    let range = |v: &[f64]| {
        let f = v.iter().copied().filter(|x| x.is_finite());
        (
            f.clone().fold(f64::INFINITY, f64::min),
            f.fold(f64::NEG_INFINITY, f64::max),
        )
    };
    // A margin of 5% on each side keeps the points and lines off the frame.
    let padded = |(lo, hi): (f64, f64)| {
        let m = (hi - lo) * 0.05;
        (lo - m, hi + m)
    };
    let (x0, x1) = padded(range(&xs));
    let (y0, y1) = padded(range(&ys));
    Some((nice(x0, x1, 5.0, L, R)?, nice(y0, y1, 6.0, B, T)?))
}

/// The frame, grid, ticks and axis titles; the grid and ticks only when there are axes.
fn frame(svg: &mut Canvas, scales: Option<&(Scale, Scale)>) {
    if let Some((x, y)) = scales {
        for v in x.ticks() {
            let px = x.at(v);
            svg.line((px, T), (px, B), &format!("stroke=\"{GRID}\""));
            svg.line(
                (px, B),
                (px, B + 4.0),
                &format!("class=\"clic-xtick\" stroke=\"{INK}\""),
            );
            svg.text(
                px,
                B + 16.0,
                "middle",
                "class=\"clic-xtick-label\" font-size=\"11\"",
                &x.label(v),
            );
        }
        for v in y.ticks() {
            let py = y.at(v);
            svg.line((L, py), (R, py), &format!("stroke=\"{GRID}\""));
            svg.line(
                (L - 4.0, py),
                (L, py),
                &format!("class=\"clic-ytick\" stroke=\"{INK}\""),
            );
            svg.text(
                L - 8.0,
                py + 4.0,
                "end",
                "class=\"clic-ytick-label\" font-size=\"11\"",
                &y.label(v),
            );
        }
    }
    svg.raw(&format!(
        "<rect class=\"clic-frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
         fill=\"none\" stroke=\"{INK}\"/>\n",
        coord(L),
        coord(T),
        coord(R - L),
        coord(B - T),
    ));
    svg.text(
        (L + R) / 2.0,
        B + 40.0,
        "middle",
        "",
        "Mean of the reference and predicted volumes (mL)",
    );
    svg.raw(&format!(
        "<text x=\"0\" y=\"0\" text-anchor=\"middle\" transform=\"translate({} {}) rotate(-90)\">{}</text>\n",
        coord(L - 52.0),
        coord((T + B) / 2.0),
        escape::html("Prediction − reference (mL)"),
    ));
}

/// The bands, lines, points and the lines' labels.
fn plot(
    svg: &mut Canvas,
    x: &Scale,
    y: &Scale,
    points: &[(f64, f64)],
    a: &AgreementReport,
    claims: &[(&ClaimReport, f64)],
) {
    let band = |svg: &mut Canvas, class: &str, i: (f64, f64), fill: &str, opacity: &str| {
        if finite(i) {
            let (top, bottom) = (y.at(i.0.max(i.1)), y.at(i.0.min(i.1)));
            svg.raw(&format!(
                "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
                 fill=\"{fill}\" fill-opacity=\"{opacity}\"/>\n",
                coord(L),
                coord(top),
                coord(R - L),
                coord(bottom - top),
            ));
        }
    };
    band(svg, "clic-bias-ci", a.bias_ci, CURVE, "0.15");
    band(svg, "clic-loa-ci", a.loa_low_ci, MARK, "0.12");
    band(svg, "clic-loa-ci", a.loa_high_ci, MARK, "0.12");
    svg.line(
        (L, y.at(0.0)),
        (R, y.at(0.0)),
        &format!("class=\"clic-zero\" stroke=\"{GUIDE}\""),
    );
    // The lines, each with its label at the right of the plot.
    let mut labels: Vec<(f64, String, &str)> = Vec::new();
    for (_, v) in claims {
        svg.line(
            (L, y.at(*v)),
            (R, y.at(*v)),
            &format!("class=\"clic-claim\" stroke=\"{INK}\" stroke-dasharray=\"2 3\""),
        );
        labels.push((y.at(*v), format!("claim {}", ml(*v)), INK));
    }
    if a.bias.is_finite() {
        svg.line(
            (L, y.at(a.bias)),
            (R, y.at(a.bias)),
            &format!("class=\"clic-bias\" stroke=\"{CURVE}\" stroke-width=\"2\""),
        );
        labels.push((y.at(a.bias), format!("bias {}", ml(a.bias)), CURVE));
    }
    for (v, what) in [(a.loa_high, "upper"), (a.loa_low, "lower")] {
        if v.is_finite() {
            svg.line(
                (L, y.at(v)),
                (R, y.at(v)),
                &format!(
                    "class=\"clic-loa\" stroke=\"{MARK}\" stroke-width=\"1.5\" \
                     stroke-dasharray=\"6 4\""
                ),
            );
            labels.push((y.at(v), format!("{what} LoA {}", ml(v)), MARK));
        }
    }
    for &(m, d) in points {
        svg.raw(&format!(
            "<circle class=\"clic-pair\" cx=\"{}\" cy=\"{}\" r=\"3.50\" fill=\"{INK}\" \
             fill-opacity=\"0.7\" stroke=\"#ffffff\"/>\n",
            coord(x.at(m)),
            coord(y.at(d)),
        ));
    }
    // Top to bottom, each label at least LABEL_GAP below the one above it, and all of
    // them inside the plot's height.
    labels.sort_by(|p, q| p.0.total_cmp(&q.0));
    let mut at = T + 4.0 - LABEL_GAP;
    let mut placed: Vec<f64> = Vec::new();
    for (py, _, _) in &labels {
        at = (py + 4.0).max(at + LABEL_GAP);
        placed.push(at);
    }
    let overflow = placed
        .last()
        .map_or(0.0, |last| (last - (B + 4.0)).max(0.0));
    for ((_, text, colour), at) in labels.iter().zip(placed) {
        svg.text(
            R + 8.0,
            at - overflow,
            "start",
            &format!("class=\"clic-line-label\" fill=\"{colour}\" font-size=\"11\""),
            &shorten(text, 24),
        );
    }
}
