//! An SVG document being written, and the fixed-decimal numbers it is written with.

use super::{px, py, CURVE, GUIDE, INK, SIDE, X0, Y0};
use crate::escape;

/// `v` with `decimals` fixed decimals; never `-0.00`, NaN or `inf` (those become 0).
pub(super) fn fixed(v: f64, decimals: usize) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

pub(super) fn coord(v: f64) -> String {
    fixed(v, 2)
}

pub(super) fn fixed1(v: f64) -> String {
    fixed(v, 1)
}

pub(super) fn fixed2(v: f64) -> String {
    fixed(v, 2)
}

pub(super) fn fixed3(v: f64) -> String {
    fixed(v, 3)
}

/// `s` cut to `max` characters, ending in `…` when cut.
pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// An SVG document being written. Attribute fragments passed to its methods are
/// constants of this module; text content is always escaped.
pub(super) struct Svg {
    out: String,
}

impl Svg {
    pub(super) fn new(name: &str, width: f64, height: f64, title: &str, desc: &str) -> Svg {
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

    pub(super) fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    pub(super) fn text(&mut self, x: f64, y: f64, anchor: &str, attrs: &str, content: &str) {
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

    pub(super) fn heading(&mut self, x: f64, y: f64, content: &str) {
        self.text(
            x,
            y,
            "start",
            "font-size=\"14\" font-weight=\"bold\"",
            content,
        );
    }

    /// A note across the middle of the unit-square plot area.
    pub(super) fn note(&mut self, note: &str) {
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
    pub(super) fn line(
        &mut self,
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        stroke: &str,
        dash: Option<&str>,
    ) {
        let dash = dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
        self.out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\"{dash}/>\n",
            coord(px(x1)),
            coord(py(y1)),
            coord(px(x2)),
            coord(py(y2)),
        ));
    }

    pub(super) fn polyline(&mut self, class: &str, points: &[(f64, f64)], stroke: &str) {
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

    pub(super) fn circle(&mut self, class: &str, x: f64, y: f64, r: f64, fill: &str) {
        self.out.push_str(&format!(
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\" \
             stroke=\"#ffffff\"/>\n",
            coord(px(x)),
            coord(py(y)),
            coord(r),
        ));
    }

    pub(super) fn legend(&mut self, y: f64, content: &str) {
        self.text(X0 + 24.0, y + 4.0, "start", "", content);
    }

    pub(super) fn swatch_line(&mut self, y: f64, stroke: &str, dash: Option<&str>) {
        let dash = dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
        self.out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{stroke}\" \
             stroke-width=\"2\"{dash}/>\n",
            coord(X0),
            coord(X0 + 16.0),
            y = coord(y),
        ));
    }

    pub(super) fn swatch_dot(&mut self, y: f64, fill: &str) {
        self.out.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"4.00\" fill=\"{fill}\"/>\n",
            coord(X0 + 8.0),
            coord(y),
        ));
    }

    pub(super) fn swatch_square(&mut self, x: f64, y: f64) {
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

    pub(super) fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// The byte index where `s` is best split into two lines of about `width` characters:
/// the last space at or before the `width`-th character, else the end.
pub(super) fn split_at_space(s: &str, width: usize) -> usize {
    if s.chars().count() <= width {
        return s.len();
    }
    let limit = s.char_indices().nth(width).map_or(s.len(), |(i, _)| i);
    s[..limit].rfind(' ').unwrap_or(limit)
}
