//! Diagnostics: every error the compiler reports, with a stable [`Code`], labelled
//! locations and help. Rendering to text is miette's job; see [`Diagnostic::report`].

mod codes;

pub use codes::{Code, ALL as ALL_CODES};

use crate::source::{Loc, SourceMap};
use miette::{LabeledSpan, NamedSource, SourceSpan};

/// A labelled location.
#[derive(Debug, Clone)]
pub struct Label {
    /// Where.
    pub loc: Loc,
    /// What to say there.
    pub text: String,
}

/// One compiler diagnostic.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// One-line message, lowercase, user input in backticks.
    pub message: String,
    /// The primary label first.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a primary label.
    pub fn new(code: Code, message: impl Into<String>, loc: Loc, label: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            labels: vec![Label {
                loc,
                text: label.into(),
            }],
            help: None,
        }
    }

    /// Adds help.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, loc: Loc, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            loc,
            text: text.into(),
        });
        self
    }

    /// The primary location.
    pub fn loc(&self) -> Option<Loc> {
        self.labels.first().map(|l| l.loc)
    }

    /// A miette report over the source it points into.
    pub fn report(&self, sources: &SourceMap) -> Report {
        let primary = self.loc();
        let file = primary.and_then(|l| sources.get(l.file));
        let source = file.map(|f| NamedSource::new(f.path.clone(), f.text.clone()));
        let mut labels = Vec::new();
        let mut notes = Vec::new();
        for (i, label) in self.labels.iter().enumerate() {
            let same_file = primary.is_some_and(|p| p.file == label.loc.file);
            let drawn = same_file && file.is_some_and(|f| drawable(&f.text, label.loc));
            if drawn {
                let span = SourceSpan::new(
                    label.loc.start.into(),
                    label.loc.end.saturating_sub(label.loc.start),
                );
                let text = Some(label.text.clone());
                labels.push(if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                });
            } else if let Some(other) = sources.get(label.loc.file) {
                let (line, col) = sources.line_col(label.loc.file, label.loc.start);
                notes.push(format!("{}: {}:{line}:{col}", label.text, other.path));
            }
        }
        let mut help = self.help.clone().unwrap_or_default();
        for note in notes {
            if !help.is_empty() {
                help.push('\n');
            }
            help.push_str(&note);
        }
        Report {
            code: self.code.id(),
            message: self.message.clone(),
            source,
            labels,
            help: (!help.is_empty()).then_some(help),
        }
    }

    /// `path:line:col` of the primary location.
    pub fn position(&self, sources: &SourceMap) -> Option<(String, usize, usize)> {
        let loc = self.loc()?;
        let file = sources.get(loc.file)?;
        let (line, col) = sources.line_col(loc.file, loc.start);
        Some((file.path.clone(), line, col))
    }
}

/// The longest line a label may be drawn under. miette pads to a label's column with a
/// formatting width, which Rust limits to 65,535 (it panics beyond), and a line of
/// thousands of columns is unreadable anyway: a label on a longer line is listed as
/// `label: path:line:col` instead, the way labels in other files are.
pub const MAX_DRAWN_LINE: usize = 1_000;

/// Whether every line that `loc` touches is short enough to draw a label under.
fn drawable(text: &str, loc: Loc) -> bool {
    let (Some(before), Some(after)) = (text.get(..loc.start), text.get(loc.end..)) else {
        return false;
    };
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let end = loc.end + after.find('\n').unwrap_or(after.len());
    text.get(start..end)
        .is_some_and(|lines| lines.split('\n').all(|l| l.len() <= MAX_DRAWN_LINE))
}

/// A diagnostic bound to its source, ready for miette to render.
#[derive(Debug)]
pub struct Report {
    code: String,
    message: String,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

/// Renders diagnostics as plain text (no colour), the way snapshots and logs see them.
pub fn render_plain(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100);
    let mut out = String::new();
    for d in diagnostics {
        let report = d.report(sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&report.message);
        }
        out.push('\n');
    }
    out
}

/// Closest candidate to `wanted` by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(wanted, c);
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.8).map(|(_, c)| c)
}
