//! The canonical formatter: two-space indentation, one statement per line, one blank
//! line between items, blank lines inside blocks collapsed to one, comments kept.
//! It prints the AST, so `parse(format(x)) == parse(x)`, and it is idempotent.

mod comments;
mod expr;

pub use expr::{expr_text, literal_text};

use crate::ast::*;
use crate::diagnostics::Diagnostic;
use crate::source::FileId;
use crate::syntax::parse_module;
use comments::Comment;

/// Formats a source file, or returns its syntax errors.
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let (module, diags) = parse_module(FileId(0), text);
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut p = Printer {
        text,
        out: String::new(),
        indent: 0,
        comments: comments::scan(text),
        next: 0,
    };
    p.module(&module);
    Ok(p.out)
}

/// Quotes a string the way the lexer reads it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Printer<'t> {
    text: &'t str,
    out: String,
    indent: usize,
    comments: Vec<Comment>,
    /// The first comment not printed yet.
    next: usize,
}

impl Printer<'_> {
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// Prints every comment that starts before `offset`: trailing comments stay at the
    /// end of the line they followed, the others get their own line.
    fn comments_before(&mut self, offset: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= offset {
                break;
            }
            let text = c.text.clone();
            if !c.own_line && self.out.ends_with('\n') && !self.out.trim_end().is_empty() {
                self.out.pop();
                self.out.push(' ');
                self.out.push_str(&text);
                self.out.push('\n');
            } else {
                if c.blank_before
                    && !self.out.is_empty()
                    && !self.out.ends_with("\n\n")
                    && !self.out.ends_with("{\n")
                {
                    self.out.push('\n');
                }
                self.line(&text);
            }
            self.next += 1;
        }
    }

    /// Whether the source has a blank line between two offsets.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        self.text
            .get(from..to)
            .is_some_and(|gap| gap.matches('\n').count() >= 2)
    }

    fn module(&mut self, module: &Module) {
        for (i, item) in module.items.iter().enumerate() {
            let loc = item_loc(item);
            // Comments trailing the previous item stay on its last line.
            while let Some(c) = self.comments.get(self.next) {
                if c.own_line || c.start >= loc.start {
                    break;
                }
                self.comments_before(c.start + 1);
            }
            if i > 0 {
                self.out.push('\n');
            }
            self.comments_before(loc.start);
            match item {
                Item::Use(targets) => {
                    let s = use_text(&targets.node);
                    self.line(&s);
                }
                Item::Model(m) => self.model(&m.node, m.loc),
                Item::Policy(p) => self.policy(&p.node, p.loc),
                Item::Waiver(w) => self.waiver(&w.node, w.loc),
                Item::Test(t) => self.test(&t.node, t.loc),
            }
        }
        self.comments_before(usize::MAX);
    }

    /// Opens a block, prints its statements with `each`, closes it.
    fn block<T>(
        &mut self,
        header: &str,
        end: usize,
        stmts: &[T],
        loc_of: impl Fn(&T) -> crate::source::Loc,
        mut each: impl FnMut(&mut Self, &T),
    ) {
        self.line(&format!("{header} {{"));
        self.indent += 1;
        let mut prev_end = None;
        for stmt in stmts {
            let loc = loc_of(stmt);
            if let Some(pe) = prev_end {
                // A comment trailing the previous statement stays on its line, and the
                // gap starts after it: it ends at the next own-line comment or statement.
                let mut from = pe;
                while let Some(c) = self.comments.get(self.next) {
                    if c.own_line || c.start >= loc.start {
                        break;
                    }
                    from = c.start + c.text.len();
                    self.comments_before(c.start + 1);
                }
                let first_comment = self
                    .comments
                    .get(self.next)
                    .map_or(loc.start, |c| c.start.min(loc.start));
                if self.blank_between(from, first_comment) {
                    self.out.push('\n');
                }
            }
            self.comments_before(loc.start);
            each(self, stmt);
            prev_end = Some(loc.end);
        }
        self.comments_before(end.saturating_sub(1));
        self.indent -= 1;
        self.line("}");
    }

    fn model(&mut self, m: &Model, loc: crate::source::Loc) {
        self.block(
            &format!("model {}", m.name.node),
            loc.end,
            &m.stmts,
            |s| s.loc,
            |p, s| p.model_stmt(&s.node, s.loc.end),
        );
    }

    fn model_stmt(&mut self, s: &ModelStmt, end: usize) {
        match s {
            ModelStmt::Version(v) => self.line(&format!("version {}", quote(&v.node))),
            ModelStmt::Purpose(v) => self.line(&format!("purpose {}", quote(&v.node))),
            ModelStmt::Class { class, rule } => {
                let rule = rule
                    .as_ref()
                    .map(|r| format!(" by rule {}", r.node))
                    .unwrap_or_default();
                self.line(&format!("class {}{rule}", class.node.as_str()));
            }
            ModelStmt::Artifact { path, sha256 } => {
                let pin = sha256
                    .as_ref()
                    .map(|h| format!(" sha256 {}", quote(&h.node)))
                    .unwrap_or_default();
                self.line(&format!("artifact {}{pin}", quote(&path.node)));
            }
            ModelStmt::Input { tensor, steps } => {
                self.block(
                    &format!("input {} from dicom", quote(&tensor.node)),
                    end,
                    steps,
                    |s| s.loc,
                    |p, s| {
                        let text = prep_text(&s.node);
                        p.line(&text);
                    },
                );
            }
            ModelStmt::SeriesInput {
                tensor,
                conditions,
                steps,
            } => {
                let conds: Vec<String> = conditions
                    .iter()
                    .map(|c| match &c.node {
                        SeriesCond::Modality(m) => format!("modality {}", m.node),
                        SeriesCond::Description(d) => {
                            format!("description matches {}", quote(&d.node))
                        }
                        SeriesCond::ImageType(v) => format!("image type {}", v.node),
                        SeriesCond::Slices { min, max } => format!(
                            "slices {} to {}",
                            expr::literal_text(&min.node),
                            expr::literal_text(&max.node)
                        ),
                    })
                    .collect();
                let conds = if conds.is_empty() {
                    String::new()
                } else {
                    format!(" where {}", conds.join(", "))
                };
                self.block(
                    &format!("input {} series{conds}", quote(&tensor.node)),
                    end,
                    steps,
                    |s| s.loc,
                    |p, s| {
                        let text = volume_step_text(&s.node);
                        p.line(&text);
                    },
                );
            }
            ModelStmt::Segmentation {
                tensor,
                rule,
                structures,
            } => {
                let rule = match &rule.node {
                    SegRule::Argmax => "argmax".to_string(),
                    SegRule::LabelMap => "labelmap".to_string(),
                    SegRule::Sigmoid(t) => format!("sigmoid threshold {}", expr::literal_text(t)),
                };
                self.block(
                    &format!("segmentation {} {rule}", quote(&tensor.node)),
                    end,
                    structures,
                    |s| s.loc,
                    |p, s| {
                        let kind = if s.node.label { "label" } else { "channel" };
                        let text = format!(
                            "{} {kind} {}",
                            s.node.name.node,
                            expr::literal_text(&s.node.index.node)
                        );
                        p.line(&text);
                    },
                );
            }
            ModelStmt::Quantify(names) => {
                let names: Vec<&str> = names.iter().map(|n| n.node.as_str()).collect();
                self.line(&format!("quantify volume of {}", names.join(", ")));
            }
            ModelStmt::Output {
                tensor,
                index,
                inclusive,
                threshold,
                meaning,
            } => {
                let op = if *inclusive { ">=" } else { ">" };
                let index = index.as_ref().map_or_else(String::new, |i| {
                    format!(" index {}", expr::literal_text(&i.node))
                });
                self.line(&format!(
                    "output {}{index} positive when {op} {} means {}",
                    quote(&tensor.node),
                    expr::literal_text(&threshold.node),
                    quote(&meaning.node)
                ));
            }
            ModelStmt::Reference { path, labels } => self.line(&format!(
                "reference {} labels {}",
                quote(&path.node),
                quote(&labels.node)
            )),
            ModelStmt::Training(t) => self.line(&format!("training patients {}", quote(&t.node))),
            ModelStmt::Claims(claims) => {
                self.block(
                    "claims",
                    end,
                    claims,
                    |c| c.loc,
                    |p, c| p.line(&claim_text(&c.node)),
                );
            }
            ModelStmt::Findings { tensor, findings } => {
                let header = tensor.as_ref().map_or_else(
                    || "findings".to_string(),
                    |t| format!("findings {}", quote(&t.node)),
                );
                self.block(
                    &header,
                    end,
                    findings,
                    |f| f.loc,
                    |p, f| {
                        p.line(&finding_text(&f.node));
                    },
                );
            }
            ModelStmt::Unit { level, aggregate } => {
                let aggregate = aggregate.as_ref().map_or_else(String::new, |a| {
                    let view = a
                        .node
                        .view
                        .as_ref()
                        .map_or_else(String::new, |(attr, values)| {
                            let values: Vec<String> =
                                values.iter().map(|v| quote(&v.node)).collect();
                            format!("view {} {} else ", attr.node, values.join(", "))
                        });
                    format!(" aggregate {view}{}", a.node.rule.node)
                });
                self.line(&format!("unit {}{aggregate}", level.node));
            }
            ModelStmt::Compare {
                predictions,
                path,
                sha256,
                version,
                thresholds,
            } => {
                let sha = sha256
                    .as_ref()
                    .map_or_else(String::new, |h| format!(" sha256 {}", quote(&h.node)));
                let version = version
                    .as_ref()
                    .map_or_else(String::new, |v| format!(" version {}", quote(&v.node)));
                let thresholds = if thresholds.is_empty() {
                    String::new()
                } else {
                    let inner: Vec<String> = thresholds.iter().map(bound_text).collect();
                    format!(" thresholds {{ {} }}", inner.join(" "))
                };
                let what = if *predictions { "predictions " } else { "" };
                self.line(&format!(
                    "compare with {what}{}{sha}{version}{thresholds}",
                    quote(&path.node)
                ));
            }
            ModelStmt::Readers { path } => {
                self.line(&format!("compare with readers {}", quote(&path.node)));
            }
            ModelStmt::Documents(docs) => {
                self.block(
                    "documents",
                    end,
                    docs,
                    |(k, v)| k.loc.to(v.loc),
                    |p, (k, v)| {
                        let text = format!("{} {}", k.node, quote(&v.node));
                        p.line(&text);
                    },
                );
            }
            ModelStmt::Use(targets) => self.line(&use_text(targets)),
            ModelStmt::Override { control, stage } => {
                self.line(&format!("override {} stage {}", control.node, stage.node));
            }
            ModelStmt::Significance {
                significance,
                situation,
            } => {
                let situation = situation
                    .as_ref()
                    .map(|s| format!(" situation {}", s.node))
                    .unwrap_or_default();
                self.line(&format!("significance {}{situation}", significance.node));
            }
            ModelStmt::SafetyClass(c) => self.line(&format!("safety class {}", c.node)),
            ModelStmt::Runtime {
                name,
                version,
                tolerance,
            } => {
                let version = version
                    .as_ref()
                    .map(|v| format!(" {}", quote(&v.node)))
                    .unwrap_or_default();
                let tolerance = tolerance
                    .as_ref()
                    .map(|t| format!(" tolerance {}", expr::literal_text(&t.node)))
                    .unwrap_or_default();
                self.line(&format!("runtime {}{version}{tolerance}", name.node));
            }
            ModelStmt::Prevalence(values) => self.line(&prevalence_text(values)),
            ModelStmt::Robustness(items) => {
                self.line("robustness {");
                self.indent += 1;
                for item in items {
                    self.line(&match &item.node {
                        RobustnessItem::Jpeg(q) => {
                            format!("jpeg quality {}", expr::literal_text(q))
                        }
                        RobustnessItem::Jpeg2000(r) => {
                            format!("jpeg2000 ratio {}", expr::literal_text(r))
                        }
                        RobustnessItem::Noise(f) => format!("noise {}", expr::literal_text(f)),
                        RobustnessItem::Rotate(d) => {
                            format!("rotate {} degrees", expr::literal_text(d))
                        }
                        RobustnessItem::MaxDrop(b) => {
                            format!("drop at most {}", expr::literal_text(b))
                        }
                    });
                }
                self.indent -= 1;
                self.line("}");
            }
        }
    }

    fn policy(&mut self, pol: &Policy, loc: crate::source::Loc) {
        let title = pol
            .title
            .as_ref()
            .map(|t| format!(" {}", quote(&t.node)))
            .unwrap_or_default();
        self.block(
            &format!("policy {}{title}", pol.name.node),
            loc.end,
            &pol.controls,
            |c| c.loc,
            |p, c| p.control(&c.node, c.loc),
        );
    }

    fn control(&mut self, c: &Control, loc: crate::source::Loc) {
        let header = format!("control {} {}", c.name.node, quote(&c.title.node));
        self.block(
            &header,
            loc.end,
            &c.stmts,
            |s| s.loc,
            |p, s| {
                let text = match &s.node {
                    ControlStmt::Cites(cs) => {
                        let parts: Vec<String> = cs
                            .iter()
                            .map(|c| {
                                format!("{} {}", c.node.framework.node, quote(&c.node.clause.node))
                            })
                            .collect();
                        format!("cites {}", parts.join(", "))
                    }
                    ControlStmt::Severity(v) => format!("severity {}", v.node),
                    ControlStmt::Stage(v) => format!("stage {}", v.node),
                    ControlStmt::AppliesWhen(e) => format!("applies when {}", expr_text(&e.node)),
                    ControlStmt::Expect(e) => format!("expect {}", expr_text(&e.node)),
                    ControlStmt::Help(h) => format!("help {}", quote(&h.node)),
                };
                p.line(&text);
            },
        );
    }

    fn waiver(&mut self, w: &Waiver, loc: crate::source::Loc) {
        self.block(
            &format!("waiver {}", w.control.node),
            loc.end,
            &w.stmts,
            |s| s.loc,
            |p, s| {
                let text = match &s.node {
                    WaiverStmt::Reason(v) => format!("reason {}", quote(&v.node)),
                    WaiverStmt::ApprovedBy(v) => format!("approved_by {}", quote(&v.node)),
                    WaiverStmt::Expires(v) => format!("expires {}", v.node),
                    WaiverStmt::Risk(v) => format!("risk {}", quote(&v.node)),
                };
                p.line(&text);
            },
        );
    }

    fn test(&mut self, t: &TestBlock, loc: crate::source::Loc) {
        self.block(
            &format!("test {}", quote(&t.name.node)),
            loc.end,
            &t.stmts,
            |s| s.loc,
            |p, s| match &s.node {
                TestStmt::Given(assignments) => {
                    for (i, (path, value)) in assignments.iter().enumerate() {
                        if i > 0 {
                            p.comments_before(path.loc.start);
                        }
                        let lead = if i == 0 { "given" } else { "     " };
                        let text = format!(
                            "{lead} {} = {}",
                            expr::path_text(&path.node),
                            expr_text(&value.node)
                        );
                        p.line(&text);
                    }
                }
                TestStmt::Expect { control, outcome } => {
                    p.line(&format!("expect {} {}", control.node, outcome.node))
                }
            },
        );
    }
}

fn item_loc(item: &Item) -> crate::source::Loc {
    match item {
        Item::Use(n) => n.loc,
        Item::Model(n) => n.loc,
        Item::Policy(n) => n.loc,
        Item::Waiver(n) => n.loc,
        Item::Test(n) => n.loc,
    }
}

fn use_text(targets: &[Node<UseTarget>]) -> String {
    let parts: Vec<String> = targets
        .iter()
        .map(|t| match &t.node {
            UseTarget::Name(n) => n.clone(),
            UseTarget::Path(p) => quote(p),
        })
        .collect();
    format!("use {}", parts.join(", "))
}

fn prep_text(step: &PrepStep) -> String {
    match step {
        PrepStep::Modalities(ms) => format!(
            "modalities {}",
            ms.iter()
                .map(|m| m.node.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        PrepStep::RescaleFromDicom => "rescale from dicom".to_string(),
        PrepStep::RescaleFixed { slope, intercept } => {
            format!("rescale slope {slope} intercept {intercept}")
        }
        PrepStep::WindowFromDicom { else_minmax: true } => {
            "window from dicom else minmax".to_string()
        }
        PrepStep::WindowFromDicom { else_minmax: false } => "window from dicom".to_string(),
        PrepStep::WindowFixed { center, width } => format!("window center {center} width {width}"),
        PrepStep::WindowMinMax => "window minmax".to_string(),
        PrepStep::InvertMonochrome1 => "invert monochrome1".to_string(),
        PrepStep::Resize {
            width,
            height,
            interpolation,
        } => match interpolation {
            Some(i) => format!("resize {width} x {height} {i}"),
            None => format!("resize {width} x {height}"),
        },
        PrepStep::Normalize { mean, std } => {
            format!("normalize mean {} std {}", mean.join(", "), std.join(", "))
        }
        PrepStep::WindowPercentile { low, high } => format!("window percentile {low} {high}"),
        PrepStep::Crop { width, height, at } => match at {
            Some((x, y)) => format!("crop {width} x {height} at {x}, {y}"),
            None => format!("crop center {width} x {height}"),
        },
        PrepStep::PadSquare { fill } => format!("pad square fill {fill}"),
        PrepStep::Letterbox {
            width,
            height,
            interpolation,
            fill,
        } => match interpolation {
            Some(i) => format!("letterbox {width} x {height} {i} fill {fill}"),
            None => format!("letterbox {width} x {height} fill {fill}"),
        },
        PrepStep::Clip { low, high } => format!("clip {low} to {high}"),
        PrepStep::Channels(n) => format!("channels {n}"),
        PrepStep::Color(mode) => format!("color {mode}"),
    }
}

/// A metric and its bound as written: `sensitivity 90%`.
fn bound_text((name, value): &(Node<String>, Node<Literal>)) -> String {
    format!("{} {}", name.node, expr::literal_text(&value.node))
}

/// One claim of a finding's or structure's block: `hd95 at most 6 mm`, `nsd 0.9 at 2 mm`.
fn scoped_claim_text(c: &ScopedClaim) -> String {
    let mut out = c.name.node.clone();
    if c.at_most.is_some() {
        out.push_str(" at most");
    }
    out.push(' ');
    out.push_str(&expr::literal_text(&c.value.node));
    if let Some(u) = &c.unit {
        out.push(' ');
        out.push_str(&u.node);
    }
    if let Some(t) = &c.tolerance {
        out.push_str(&format!(" at {} mm", expr::literal_text(&t.node)));
    }
    out
}

/// One step of a series input's block.
fn volume_step_text(s: &VolumeStep) -> String {
    match s {
        VolumeStep::Prep(p) => prep_text(p),
        VolumeStep::Resample {
            spacing: [x, y, z],
            interpolation,
        } => format!("resample {x} x {y} x {z} mm {interpolation}"),
        VolumeStep::Orient(code) => format!("orient {code}"),
        VolumeStep::CropOrPad {
            size: [x, y, z],
            fill,
        } => format!("crop or pad {x} x {y} x {z} fill {fill}"),
        VolumeStep::NormalizeZscore => "normalize zscore".to_string(),
    }
}

/// One claim of a `claims` block, on one line.
fn claim_text(c: &Claim) -> String {
    match c {
        Claim::Metric { name, value } => bound_text(&(name.clone(), value.clone())),
        Claim::Summary { kind, name, value } => format!(
            "{} {}",
            kind.node,
            bound_text(&(name.clone(), value.clone()))
        ),
        Claim::Finding { finding, claims } => {
            let inner: Vec<String> = claims.iter().map(|c| scoped_claim_text(&c.node)).collect();
            format!("{} {{ {} }}", finding.node, inner.join(" "))
        }
        Claim::NonInferior { readers, margins } => {
            let inner: Vec<String> = margins
                .iter()
                .map(|(n, v)| format!("{} by {}", n.node, expr::literal_text(&v.node)))
                .collect();
            let to = if *readers { "readers" } else { "released" };
            format!("non-inferior to {to} {{ {} }}", inner.join(" "))
        }
    }
}

/// One finding of a `findings` block, on one line.
fn finding_text(f: &Finding) -> String {
    let mut out = f.name.node.clone();
    if let Some(t) = &f.tensor {
        out.push_str(&format!(" from {}", quote(&t.node)));
    }
    if let Some(i) = &f.index {
        out.push_str(&format!(" index {}", expr::literal_text(&i.node)));
    }
    match f.activation.as_ref().map(|a| &a.node) {
        None => {}
        Some(Activation::Probability) => out.push_str(" probability"),
        Some(Activation::Sigmoid) => out.push_str(" sigmoid"),
        Some(Activation::Softmax(over)) => {
            let over: Vec<String> = over.iter().map(|n| expr::literal_text(&n.node)).collect();
            out.push_str(&format!(" softmax over {}", over.join(", ")));
        }
    }
    let op = if f.inclusive { ">=" } else { ">" };
    out.push_str(&format!(
        " positive when {op} {} means {}",
        expr::literal_text(&f.threshold.node),
        quote(&f.meaning.node)
    ));
    if !f.prevalence.is_empty() {
        out.push_str(&format!(" {}", prevalence_text(&f.prevalence)));
    }
    out
}

/// `prevalence 2%, 5%`, each value as written.
fn prevalence_text(values: &[Node<Literal>]) -> String {
    let values: Vec<String> = values.iter().map(|v| expr::literal_text(&v.node)).collect();
    format!("prevalence {}", values.join(", "))
}
