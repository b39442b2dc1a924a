//! The distribution of each segmentation metric over the cases of one structure: a row
//! per metric on its own axis, with a box plot (the quartiles, the median inside, and
//! whiskers at the minimum and the maximum: every case is drawn, so no case is hidden
//! as an outlier would be), every case as a dot with a fixed vertical jitter, and each
//! claim on the metric as a dashed line. Also the drawing helpers the Bland–Altman
//! figure shares: a canvas with a caller-chosen id, and "nice" axes.

use super::svg::{coord, fixed, shorten, Svg};
use super::{CURVE, GRID, INK, LINE, MARK};
use crate::escape;
use crate::segmentation::{Bound, ClaimReport, MetricReport, StructureReport, Unit};

/// Width of the figure (fits the printed column, as the forest plot does).
const W: f64 = 680.0;
/// Left end of each row's axis.
const PLOT_L: f64 = 200.0;
/// Right end.
const PLOT_R: f64 = 648.0;
/// Top of the first row.
const TOP: f64 = 44.0;
/// Height of a row.
const ROW_H: f64 = 80.0;
/// Half the height of a box.
const BOX_H: f64 = 10.0;
/// The largest vertical offset of a case's dot from the row's centre line.
const JITTER: f64 = 13.0;
/// Longest metric label, in characters.
const LABEL: usize = 26;

/// An SVG document whose id the caller chooses (several figures of one kind share the
/// page, and ids must be unique in it). Attribute fragments passed to its methods are
/// constants of the figures; text content is always escaped.
pub(super) struct Canvas(Svg);

impl Canvas {
    /// A figure with id prefix `clic-<id>`; `id` is cleaned to ASCII letters, digits and
    /// `-`.
    pub(super) fn new(id: &str, width: f64, height: f64, title: &str, desc: &str) -> Canvas {
        let id: String = id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        Canvas(Svg::new(&id, width, height, title, desc))
    }

    pub(super) fn raw(&mut self, s: &str) {
        self.0.raw(s);
    }

    pub(super) fn text(&mut self, x: f64, y: f64, anchor: &str, attrs: &str, content: &str) {
        self.0.text(x, y, anchor, attrs, content);
    }

    /// A line; `attrs` (a class, a dash) is a constant fragment of the figure.
    pub(super) fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), attrs: &str) {
        self.0.raw(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {attrs}/>\n",
            coord(x1),
            coord(y1),
            coord(x2),
            coord(y2),
        ));
    }

    pub(super) fn finish(self) -> String {
        self.0.finish()
    }
}

/// A linear map from values to pixels: `lo` to `a`, `hi` to `b` (for a y axis, `a` is
/// the bottom).
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) step: f64,
    pub(super) a: f64,
    pub(super) b: f64,
}

impl Scale {
    pub(super) fn at(&self, v: f64) -> f64 {
        let t = ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0);
        self.a + t * (self.b - self.a)
    }

    /// The tick values: the multiples of `step` from `lo` to `hi`.
    pub(super) fn ticks(&self) -> Vec<f64> {
        let first = (self.lo / self.step).round() as i64;
        let last = (self.hi / self.step).round() as i64;
        (first..=last.min(first + 40))
            .map(|i| i as f64 * self.step)
            .collect()
    }

    /// A tick value as its label writes it: as few decimals as the step needs.
    pub(super) fn label(&self, v: f64) -> String {
        let decimals = (0..=6)
            .find(|&d| {
                let x = self.step * 10f64.powi(d);
                (x - x.round()).abs() < 1e-6 * x.abs().max(1.0)
            })
            .unwrap_or(6);
        fixed(v, decimals as usize)
    }
}

/// An axis from `lo` to `hi` (widened to whole steps of 1, 2, 2.5 or 5 times a power of
/// ten, about `target` of them) mapped onto `a`..`b`; none when the values cannot make
/// an axis (not finite, or too far apart to subtract).
pub(super) fn nice(lo: f64, hi: f64, target: f64, a: f64, b: f64) -> Option<Scale> {
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - d, hi + d)
    };
    let raw = (hi - lo) / target;
    if !raw.is_finite() || raw <= 0.0 {
        return None;
    }
    // The power of ten at or below `raw`, by repeated multiplication (the same bits on
    // every platform, unlike `log10`).
    let mut mag = 1.0_f64;
    for _ in 0..400 {
        if mag > raw {
            mag /= 10.0;
        } else if mag * 10.0 <= raw {
            mag *= 10.0;
        } else {
            break;
        }
    }
    let f = raw / mag;
    let step = mag
        * if f <= 1.0 {
            1.0
        } else if f <= 2.0 {
            2.0
        } else if f <= 2.5 {
            2.5
        } else if f <= 5.0 {
            5.0
        } else {
            10.0
        };
    let lo = (lo / step).floor() * step;
    let hi = (hi / step).ceil() * step;
    (hi > lo && hi.is_finite() && lo.is_finite()).then_some(Scale { lo, hi, step, a, b })
}

/// The vertical offset of the `i`-th case's dot, in -1..1: the fractional parts of
/// multiples of the golden ratio, evenly spread and the same on every run.
pub(super) fn jitter(i: usize) -> f64 {
    let x = (i as f64 + 1.0) * 0.618_033_988_749_894_9;
    (x - x.floor()) * 2.0 - 1.0
}

/// A metric's value as drawn: a percentage for [`Unit::Percent`].
fn drawn(unit: Unit, v: f64) -> f64 {
    match unit {
        Unit::Percent => v * 100.0,
        _ => v,
    }
}

/// The claims on `metric`, each with the values its lines are drawn at.
fn claim_lines<'a>(
    m: &MetricReport,
    claims: &'a [ClaimReport],
) -> Vec<(&'a ClaimReport, Vec<f64>)> {
    claims
        .iter()
        .filter(|c| c.metric == m.name && c.bound.is_finite())
        .map(|c| {
            let b = drawn(m.unit, c.bound);
            let at = match c.direction {
                Bound::Within => vec![-b.abs(), b.abs()],
                _ => vec![b],
            };
            (c, at)
        })
        .collect()
}

/// The axis of a metric's row, over its cases, its summary and its claims.
fn row_scale(m: &MetricReport, claims: &[(&ClaimReport, Vec<f64>)]) -> Option<Scale> {
    let mut values: Vec<f64> = m.per_case.iter().map(|&v| drawn(m.unit, v)).collect();
    values.extend(
        [m.q1, m.q3, m.median, m.min, m.max]
            .iter()
            .map(|&v| drawn(m.unit, v)),
    );
    values.extend(claims.iter().flat_map(|(_, at)| at.iter().copied()));
    let finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if finite.is_empty() {
        return None;
    }
    if m.unit == Unit::Fraction && lo >= 0.0 && hi <= 1.0 {
        return Some(Scale {
            lo: 0.0,
            hi: 1.0,
            step: 0.2,
            a: PLOT_L,
            b: PLOT_R,
        });
    }
    // Distances, volumes and their relative differences are not negative: the axis
    // starts at 0 so the rows read alike.
    // A margin of 5% past the largest keeps it and a claim there off the axis's end.
    let lo = lo.min(0.0);
    nice(lo, hi + (hi - lo) * 0.05, 5.0, PLOT_L, PLOT_R)
}

/// Why a row draws nothing, or none when it draws.
fn row_note(s: &StructureReport, m: &MetricReport, finite_cases: usize) -> Option<String> {
    if m.n == 0 && finite_cases == 0 {
        let empty = s.empty_both + s.empty_reference + s.empty_prediction;
        return Some(if s.cases == 0 {
            "not computed: no case was scored".to_string()
        } else if empty >= s.cases {
            "not computed: every case has an empty mask".to_string()
        } else {
            "not computed: no case defines it".to_string()
        });
    }
    None
}

/// A summary value for the description.
fn said(unit: Unit, v: f64) -> String {
    unit.with_unit(v)
        .unwrap_or_else(|| "not computed".to_string())
}

/// The distribution figure of structure `s`; `id` names it in the page
/// (`segmentation-1`).
pub fn distribution(id: &str, s: &StructureReport) -> String {
    let rows = s.metrics.len().max(1);
    let legend_top = TOP + rows as f64 * ROW_H + 16.0;
    let height = legend_top + 3.0 * LINE + 8.0;
    let desc = format!(
        "Distribution over the cases of {}, {} cases ({} with both masks empty, {} with an empty reference only, {} with an empty prediction only). {}",
        s.name,
        s.cases,
        s.empty_both,
        s.empty_reference,
        s.empty_prediction,
        s.metrics
            .iter()
            .map(|m| {
                let claims: Vec<String> = s
                    .claims
                    .iter()
                    .filter(|c| c.metric == m.name)
                    .map(|c| format!("claim {}", crate::segmentation::claimed(c)))
                    .collect();
                format!(
                    "{}: n {}, median {} (quartiles {} to {}), range {} to {}{}",
                    m.label,
                    m.n,
                    said(m.unit, m.median),
                    said(m.unit, m.q1),
                    said(m.unit, m.q3),
                    said(m.unit, m.min),
                    said(m.unit, m.max),
                    if claims.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", claims.join(", "))
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    let title = format!("Distribution per case: {}", s.name);
    let mut svg = Canvas::new(id, W, height, &title, &desc);
    svg.text(
        12.0,
        24.0,
        "start",
        "font-size=\"14\" font-weight=\"bold\"",
        &shorten(&title, 80),
    );
    if s.metrics.is_empty() {
        svg.text(
            12.0,
            TOP + 24.0,
            "start",
            "class=\"clic-note\" font-style=\"italic\"",
            "No metric is reported for this structure.",
        );
    }
    for (r, m) in s.metrics.iter().enumerate() {
        row(&mut svg, s, m, TOP + r as f64 * ROW_H, r > 0);
    }
    legend(&mut svg, legend_top);
    svg.finish()
}

/// One metric's row, its top at `top`.
fn row(svg: &mut Canvas, s: &StructureReport, m: &MetricReport, top: f64, rule: bool) {
    let cy = top + 26.0;
    let axis_y = top + 50.0;
    let claims = claim_lines(m, &s.claims);
    let cases: Vec<(usize, f64)> = m
        .per_case
        .iter()
        .map(|&v| drawn(m.unit, v))
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .collect();
    svg.raw(&format!(
        "<g class=\"clic-metric\" data-metric=\"{}\">\n<title>{}</title>\n",
        escape::html(&m.name),
        escape::html(&m.label)
    ));
    if rule {
        svg.line(
            (12.0, top - 2.0),
            (W - 12.0, top - 2.0),
            &format!("stroke=\"{GRID}\""),
        );
    }
    svg.text(
        12.0,
        top + 18.0,
        "start",
        "font-weight=\"bold\"",
        &shorten(&m.label, LABEL),
    );
    let unit = match m.unit {
        Unit::Fraction => String::new(),
        u => format!(", {}", u.word()),
    };
    svg.text(
        12.0,
        top + 34.0,
        "start",
        "font-size=\"11\"",
        &format!("n = {}{unit}", m.n),
    );
    for (i, (c, _)) in claims.iter().take(2).enumerate() {
        svg.text(
            12.0,
            top + 50.0 + i as f64 * 14.0,
            "start",
            &format!("font-size=\"11\" fill=\"{MARK}\""),
            &shorten(
                &format!(
                    "claim {}: {}",
                    crate::segmentation::claimed(c),
                    if c.met { "met" } else { "NOT MET" }
                ),
                34,
            ),
        );
    }
    let scale = row_scale(m, &claims);
    let note = row_note(s, m, cases.len()).or_else(|| {
        scale
            .is_none()
            .then(|| "not drawn: the values are too large to share an axis".to_string())
    });
    match (note, scale) {
        (None, Some(x)) => {
            axis(svg, &x, axis_y);
            box_plot(svg, m, &x, cy);
            for &(i, v) in &cases {
                svg.raw(&format!(
                    "<circle class=\"clic-case\" cx=\"{}\" cy=\"{}\" r=\"3.00\" fill=\"{INK}\" \
                     fill-opacity=\"0.55\"/>\n",
                    coord(x.at(v)),
                    coord(cy + jitter(i) * JITTER),
                ));
            }
            for (_, at) in &claims {
                for &b in at {
                    svg.line(
                        (x.at(b), top + 6.0),
                        (x.at(b), axis_y),
                        &format!(
                            "class=\"clic-claim\" stroke=\"{MARK}\" stroke-width=\"1.5\" \
                             stroke-dasharray=\"5 3\""
                        ),
                    );
                }
            }
            let dropped = m.per_case.len() - cases.len();
            if dropped > 0 {
                svg.text(
                    PLOT_R,
                    top + 10.0,
                    "end",
                    "class=\"clic-note\" fill=\"#555555\" font-size=\"11\"",
                    &format!("{dropped} case(s) not finite, not drawn"),
                );
            }
        }
        (note, _) => {
            svg.text(
                (PLOT_L + PLOT_R) / 2.0,
                cy + 4.0,
                "middle",
                "class=\"clic-note\" font-style=\"italic\"",
                &note.unwrap_or_default(),
            );
        }
    }
    svg.raw("</g>\n");
}

/// The box (quartiles, median) and the whiskers (minimum, maximum), where finite.
fn box_plot(svg: &mut Canvas, m: &MetricReport, x: &Scale, cy: f64) {
    let d = |v: f64| drawn(m.unit, v);
    let (q1, q3, med, min, max) = (d(m.q1), d(m.q3), d(m.median), d(m.min), d(m.max));
    let whisker = format!("class=\"clic-whisker\" stroke=\"{CURVE}\" stroke-width=\"1.5\"");
    let cap = format!("class=\"clic-cap\" stroke=\"{CURVE}\" stroke-width=\"1.5\"");
    if min.is_finite() && max.is_finite() && q1.is_finite() && q3.is_finite() {
        svg.line((x.at(min), cy), (x.at(q1), cy), &whisker);
        svg.line((x.at(q3), cy), (x.at(max), cy), &whisker);
        for v in [min, max] {
            svg.line((x.at(v), cy - 6.0), (x.at(v), cy + 6.0), &cap);
        }
    }
    if q1.is_finite() && q3.is_finite() {
        svg.raw(&format!(
            "<rect class=\"clic-box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
             fill=\"#dbe6f1\" stroke=\"{CURVE}\" stroke-width=\"1.5\"/>\n",
            coord(x.at(q1)),
            coord(cy - BOX_H),
            coord((x.at(q3) - x.at(q1)).max(0.0)),
            coord(2.0 * BOX_H),
        ));
    }
    if med.is_finite() {
        svg.line(
            (x.at(med), cy - BOX_H),
            (x.at(med), cy + BOX_H),
            &format!("class=\"clic-median\" stroke=\"{CURVE}\" stroke-width=\"2.5\""),
        );
    }
}

/// A row's axis: the line, ticks and their labels.
fn axis(svg: &mut Canvas, x: &Scale, y: f64) {
    svg.line((x.a, y), (x.b, y), &format!("stroke=\"{INK}\""));
    for v in x.ticks() {
        let px = x.at(v);
        svg.line(
            (px, y - 40.0),
            (px, y),
            &format!("class=\"clic-grid\" stroke=\"{GRID}\""),
        );
        svg.line(
            (px, y),
            (px, y + 4.0),
            &format!("class=\"clic-xtick\" stroke=\"{INK}\""),
        );
        svg.text(
            px,
            y + 16.0,
            "middle",
            "class=\"clic-xtick-label\" font-size=\"11\"",
            &x.label(v),
        );
    }
}

fn legend(svg: &mut Canvas, y: f64) {
    svg.raw(&format!(
        "<rect x=\"12.00\" y=\"{}\" width=\"16.00\" height=\"10.00\" fill=\"#dbe6f1\" \
         stroke=\"{CURVE}\"/>\n",
        coord(y - 5.0)
    ));
    svg.text(
        36.0,
        y + 4.0,
        "start",
        "",
        "Box: first to third quartile, the thick line the median; whiskers: minimum, maximum",
    );
    svg.raw(&format!(
        "<circle cx=\"20.00\" cy=\"{}\" r=\"3.00\" fill=\"{INK}\" fill-opacity=\"0.55\"/>\n",
        coord(y + LINE)
    ));
    svg.text(
        36.0,
        y + LINE + 4.0,
        "start",
        "",
        "Dots: the cases, spread up and down by a fixed offset that means nothing",
    );
    svg.line(
        (12.0, y + 2.0 * LINE),
        (28.0, y + 2.0 * LINE),
        &format!("stroke=\"{MARK}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\""),
    );
    svg.text(
        36.0,
        y + 2.0 * LINE + 4.0,
        "start",
        "",
        "Dashed: a claim's bound. Each row has its own axis; fractions run from 0 to 1",
    );
}
