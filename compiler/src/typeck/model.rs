//! Checks of the `model` block: the statements it must hold, their values, the input
//! and output specs, the claims and the documents it names.

use super::items::{missing, once};
use crate::ast::*;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::schema::DOCUMENT_KINDS;
use std::collections::BTreeMap;

pub(super) fn check_model(model: &Node<Model>, diags: &mut Vec<Diagnostic>) {
    let mut seen = BTreeMap::new();
    for stmt in &model.node.stmts {
        match &stmt.node {
            ModelStmt::Version(v) => {
                once(&mut seen, "version", stmt, diags);
                if !is_semver(&v.node) {
                    diags.push(
                        Diagnostic::new(
                            Code::E012,
                            format!("`{}` is not a version", v.node),
                            v.loc,
                            "not MAJOR.MINOR.PATCH",
                        )
                        .with_help("write a semantic version such as \"1.4.0\""),
                    );
                }
            }
            ModelStmt::Purpose(_) => once(&mut seen, "purpose", stmt, diags),
            ModelStmt::Class { .. } => once(&mut seen, "class", stmt, diags),
            ModelStmt::Artifact { sha256, .. } => {
                once(&mut seen, "artifact", stmt, diags);
                if let Some(h) = sha256 {
                    pinned(h, diags);
                }
            }
            ModelStmt::Input { steps, .. } => {
                once(&mut seen, "input", stmt, diags);
                check_input(steps, diags);
            }
            ModelStmt::Output {
                threshold, index, ..
            } => {
                once(&mut seen, "output", stmt, diags);
                if let Some(index) = index {
                    let whole = match index.node {
                        Literal::Number { value, .. } => crate::plan::output_index(value).is_some(),
                        _ => false,
                    };
                    if !whole {
                        diags.push(
                            Diagnostic::new(
                                Code::E012,
                                "an output index is a whole number",
                                index.loc,
                                "not an element index",
                            )
                            .with_help("write the position of the score in each scan's output row, counting from 0, e.g. `index 1` for the positive class of a two-class softmax"),
                        );
                    }
                }
                super::analysis::threshold(threshold, diags);
            }
            ModelStmt::Reference { .. } => once(&mut seen, "reference", stmt, diags),
            ModelStmt::Training(_) => once(&mut seen, "training", stmt, diags),
            ModelStmt::Significance { .. } => once(&mut seen, "significance", stmt, diags),
            ModelStmt::SafetyClass(_) => once(&mut seen, "safety class", stmt, diags),
            ModelStmt::Runtime { .. } => once(&mut seen, "runtime", stmt, diags),
            ModelStmt::Robustness(items) => {
                once(&mut seen, "robustness", stmt, diags);
                check_robustness(items, diags);
            }
            ModelStmt::Prevalence(values) => {
                once(&mut seen, "prevalence", stmt, diags);
                check_prevalence(values, diags);
            }
            ModelStmt::Claims(claims) => {
                once(&mut seen, "claims", stmt, diags);
                super::analysis::check_claims(&model.node, claims, diags);
            }
            ModelStmt::Findings { tensor, findings } => {
                once(&mut seen, "findings", stmt, diags);
                super::analysis::check_findings(&model.node, tensor, findings, stmt.loc, diags);
                for f in findings {
                    check_prevalence(&f.node.prevalence, diags);
                }
            }
            ModelStmt::Unit { level, aggregate } => {
                once(&mut seen, "unit", stmt, diags);
                super::analysis::check_unit(level, aggregate, diags);
            }
            ModelStmt::Compare {
                sha256, thresholds, ..
            } => {
                once(&mut seen, "compare", stmt, diags);
                if let Some(h) = sha256 {
                    pinned(h, diags);
                }
                super::analysis::check_released_thresholds(&model.node, thresholds, diags);
            }
            ModelStmt::Readers { .. } => {
                if !seen.contains_key("compare with readers") {
                    super::analysis::check_readers(&model.node, stmt.loc, diags);
                }
                once(&mut seen, "compare with readers", stmt, diags);
            }
            ModelStmt::Documents(docs) => {
                once(&mut seen, "documents", stmt, diags);
                for (kind, _) in docs {
                    if !DOCUMENT_KINDS.contains(&kind.node.as_str()) {
                        let mut d = Diagnostic::new(
                            Code::E016,
                            format!("unknown document kind `{}`", kind.node),
                            kind.loc,
                            "not a document kind",
                        );
                        d = match did_you_mean(&kind.node, DOCUMENT_KINDS) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!("kinds are {}", DOCUMENT_KINDS.join(", "))),
                        };
                        diags.push(d);
                    }
                }
            }
            ModelStmt::SeriesInput {
                conditions, steps, ..
            } => super::volume::check_series_input(conditions, steps, diags),
            ModelStmt::Segmentation {
                rule, structures, ..
            } => {
                once(&mut seen, "segmentation", stmt, diags);
                super::volume::check_segmentation(rule, structures, stmt.loc, diags);
            }
            ModelStmt::Quantify(names) => {
                once(&mut seen, "quantify", stmt, diags);
                super::volume::check_quantify(&model.node, names, diags);
            }
            ModelStmt::Use(_) | ModelStmt::Override { .. } => {}
        }
    }
    super::volume::check_model_volumes(&model.node, diags);
    missing(
        &seen,
        &["version", "purpose", "class", "artifact"],
        &format!("model `{}`", model.node.name.node),
        model.node.name.loc,
        model.loc,
        diags,
    );
}

/// The steps of the `input` block: each at most once, its numbers in range, and the
/// channels consistent (`color` before `channels`, `color rgb` with three channels, a
/// `normalize` list per channel).
fn check_input(steps: &[Node<PrepStep>], diags: &mut Vec<Diagnostic>) {
    let mut kinds = BTreeMap::new();
    // The channels declared so far, and the `color` step, if any.
    let mut channels = 1;
    let mut color: Option<&Node<PrepStep>> = None;
    for step in steps {
        let bad = |what: String, label: &str| Diagnostic::new(Code::E012, what, step.loc, label);
        let kind = match &step.node {
            PrepStep::Modalities(_) => "modalities",
            PrepStep::RescaleFromDicom | PrepStep::RescaleFixed { .. } => "rescale",
            PrepStep::WindowFromDicom { .. }
            | PrepStep::WindowFixed { .. }
            | PrepStep::WindowMinMax => "window",
            PrepStep::WindowPercentile { low, high } => {
                let p = |s: &str| s.parse::<f64>().ok().filter(|p| (0.0..=100.0).contains(p));
                for q in [low, high] {
                    if p(q).is_none() {
                        diags.push(bad(
                            format!("`{q}` is not a percentile"),
                            "percentiles are in 0..100",
                        ));
                    }
                }
                if let (Some(l), Some(h)) = (p(low), p(high)) {
                    if l >= h {
                        diags.push(
                            bad(format!("the window from percentile {low} to {high} is empty"), "the lower percentile must be below the upper")
                                .with_help("write the lower percentile first, e.g. `window percentile 0.5 99.5`"),
                        );
                    }
                }
                "window"
            }
            PrepStep::InvertMonochrome1 => "invert",
            PrepStep::Resize { width, height, .. } => {
                pixel_sizes(&[width, height], step, diags);
                "resize"
            }
            PrepStep::Letterbox { width, height, .. } => {
                pixel_sizes(&[width, height], step, diags);
                "letterbox"
            }
            PrepStep::Crop { width, height, at } => {
                pixel_sizes(&[width, height], step, diags);
                if let Some((x, y)) = at {
                    for v in [x, y] {
                        if v.parse::<u32>().map_or(true, |v| v > 16384) {
                            diags.push(bad(
                                format!("`{v}` is not a pixel position"),
                                "positions are whole numbers in 0..16384",
                            ));
                        }
                    }
                }
                "crop"
            }
            PrepStep::PadSquare { .. } => "pad",
            PrepStep::Clip { low, high } => {
                if low.parse::<f64>().ok() >= high.parse::<f64>().ok() {
                    diags.push(
                        bad(
                            format!("clipping to {low} .. {high} leaves no values"),
                            "the lower bound must be below the upper",
                        )
                        .with_help("write the lower bound first, e.g. `clip -1024 to 3071`"),
                    );
                }
                "clip"
            }
            PrepStep::Channels(n) => {
                match n.parse::<u32>() {
                    Ok(c @ (1 | 3)) => channels = c as usize,
                    _ => diags.push(bad(
                        format!("`{n}` is not a channel count"),
                        "a tensor has 1 or 3 channels",
                    )),
                }
                "channels"
            }
            PrepStep::Color(_) => {
                if kinds.contains_key("channels") {
                    diags.push(
                        Diagnostic::new(Code::E016, "`color` comes after `channels`", step.loc, "too late")
                            .with_help("say what a colour image becomes before the channels of the tensor: move `color` above `channels`"),
                    );
                }
                color = Some(step);
                "color"
            }
            PrepStep::Normalize { mean, std } => {
                for s in std {
                    if s.parse::<f64>().map_or(true, |s| s <= 0.0) {
                        diags.push(bad(
                            "the standard deviation must be above 0".to_string(),
                            "here",
                        ));
                    }
                }
                if mean.len() != std.len() {
                    diags.push(
                        Diagnostic::new(
                            Code::E016,
                            format!("`normalize` gives {} mean(s) and {} standard deviation(s)", mean.len(), std.len()),
                            step.loc,
                            "counts differ",
                        )
                        .with_help("give one mean and one std for all channels, or one of each per channel"),
                    );
                } else if mean.len() != 1 && mean.len() != channels {
                    diags.push(
                        Diagnostic::new(
                            Code::E016,
                            format!("`normalize` gives a mean and a std for {} channels, but the tensor has {channels} here", mean.len()),
                            step.loc,
                            "one per channel",
                        )
                        .with_help("give one mean and std per channel of the tensor; `channels 3` before `normalize` makes three"),
                    );
                }
                "normalize"
            }
        };
        once(&mut kinds, kind, step, diags);
    }
    if let Some(step) = color {
        if matches!(&step.node, PrepStep::Color(m) if m == "rgb") && channels != 3 {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    "`color rgb` feeds three channels, but the tensor has one",
                    step.loc,
                    "three channels",
                )
                .with_help(
                    "add `channels 3` after `color rgb`, or write `color luminance` to feed one",
                ),
            );
        }
    }
}

/// The values of a `prevalence` statement: each strictly between 0 and 1 (0%..100%),
/// none given twice (`2%` and `0.02` are the same prevalence).
fn check_prevalence(values: &[Node<Literal>], diags: &mut Vec<Diagnostic>) {
    let mut seen: Vec<(f64, crate::source::Loc)> = Vec::new();
    for v in values {
        let (value, shown) = match &v.node {
            Literal::Percent { value, raw } => (*value, format!("{raw}%")),
            Literal::Number { value, raw } => (*value, raw.clone()),
            _ => continue,
        };
        // A percentage over 100% was reported by the parser (E012) already.
        if matches!(v.node, Literal::Percent { .. }) && value > 1.0 {
            continue;
        }
        if !(value > 0.0 && value < 1.0) {
            diags.push(
                Diagnostic::new(
                    Code::E012,
                    format!("`{shown}` is not a prevalence"),
                    v.loc,
                    "a prevalence lies strictly between 0 and 1 (0%..100%)",
                )
                .with_help("write the share of the intended population that has the condition where the device is used, e.g. `prevalence 2%, 5%`"),
            );
            continue;
        }
        match seen.iter().find(|(x, _)| *x == value) {
            Some((_, first)) => diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("the prevalence {shown} is given twice"),
                    v.loc,
                    "second time",
                )
                .with_label(*first, "first time")
                .with_help("keep one"),
            ),
            None => seen.push((value, v.loc)),
        }
    }
}

/// Sizes in pixels: whole numbers in 1..16384.
fn pixel_sizes(dims: &[&String], step: &Node<PrepStep>, diags: &mut Vec<Diagnostic>) {
    for dim in dims {
        if dim.parse::<u32>().map_or(true, |d| d == 0 || d > 16384) {
            diags.push(Diagnostic::new(
                Code::E012,
                format!("`{dim}` is not a pixel size"),
                step.loc,
                "sizes are whole numbers in 1..16384",
            ));
        }
    }
}

/// A pinned digest: 64 hex digits.
fn pinned(h: &Node<String>, diags: &mut Vec<Diagnostic>) {
    if h.node.len() != 64 || !h.node.bytes().all(|b| b.is_ascii_hexdigit()) {
        diags.push(
            Diagnostic::new(
                Code::E012,
                "the pinned sha256 is not 64 hex digits",
                h.loc,
                format!("{} characters", h.node.len()),
            )
            .with_help("run `sha256sum` on the artifact and paste the digest"),
        );
    }
}

fn is_semver(s: &str) -> bool {
    let core = s.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A `robustness` block: a JPEG quality is a whole number in 1..=100, a JPEG 2000
/// compression ratio a finite number above 1, noise a percentage
/// of at most 50%, a rotation within ±45 degrees, the claimed drop in 0..1; at least one
/// perturbation, and at most one `drop at most`.
fn check_robustness(items: &[Node<RobustnessItem>], diags: &mut Vec<Diagnostic>) {
    let value = |l: &Literal| match l {
        Literal::Number { value, .. } | Literal::Percent { value, .. } => *value,
        _ => f64::NAN,
    };
    let mut drops = 0;
    let mut perturbations = 0;
    for item in items {
        let (ok, what, help) = match &item.node {
            RobustnessItem::Jpeg(q) => {
                perturbations += 1;
                let v = value(q);
                (
                    v.fract() == 0.0 && (1.0..=100.0).contains(&v),
                    "a JPEG quality",
                    "write a whole number from 1 (smallest file) to 100 (best quality)",
                )
            }
            RobustnessItem::Jpeg2000(r) => {
                perturbations += 1;
                let v = value(r);
                (
                    v.is_finite() && v > 1.0,
                    "a JPEG 2000 compression ratio",
                    "write the compression ratio (uncompressed size over compressed size), a finite number above 1: `jpeg2000 ratio 10`",
                )
            }
            RobustnessItem::Noise(f) => {
                perturbations += 1;
                (
                    (0.0..=0.5).contains(&value(f)),
                    "a noise level",
                    "write the noise's standard deviation as a percentage of the stored range, at most 50%",
                )
            }
            RobustnessItem::Rotate(d) => {
                perturbations += 1;
                (
                    (-45.0..=45.0).contains(&value(d)),
                    "a rotation",
                    "write a small angle in degrees, within -45 and 45",
                )
            }
            RobustnessItem::MaxDrop(b) => {
                drops += 1;
                (
                    (0.0..=1.0).contains(&value(b)),
                    "a largest drop",
                    "write the largest drop of a metric as a percentage (`drop at most 3%`) or a fraction",
                )
            }
        };
        if !ok {
            diags.push(
                Diagnostic::new(
                    Code::E012,
                    format!("{what} out of range in `robustness`"),
                    item.loc,
                    "out of range",
                )
                .with_help(help),
            );
        }
        if drops == 2 && matches!(item.node, RobustnessItem::MaxDrop(_)) {
            diags.push(Diagnostic::new(
                Code::E012,
                "`drop at most` is stated twice in `robustness`",
                item.loc,
                "second bound",
            ));
        }
    }
    if perturbations == 0 {
        if let Some(first) = items.first() {
            diags.push(
                Diagnostic::new(
                    Code::E012,
                    "`robustness` declares no perturbation",
                    first.loc,
                    "nothing to re-score under",
                )
                .with_help(
                    "add `jpeg quality 75`, `jpeg2000 ratio 10`, `noise 2%` or `rotate 5 degrees`",
                ),
            );
        }
    }
}
