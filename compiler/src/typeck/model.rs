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
                let mut kinds = BTreeMap::new();
                for step in steps {
                    let kind = match &step.node {
                        PrepStep::Modalities(_) => "modalities",
                        PrepStep::RescaleFromDicom | PrepStep::RescaleFixed { .. } => "rescale",
                        PrepStep::WindowFromDicom { .. }
                        | PrepStep::WindowFixed { .. }
                        | PrepStep::WindowMinMax => "window",
                        PrepStep::InvertMonochrome1 => "invert",
                        PrepStep::Resize { width, height, .. } => {
                            for dim in [width, height] {
                                if dim.parse::<u32>().map_or(true, |d| d == 0 || d > 16384) {
                                    diags.push(Diagnostic::new(
                                        Code::E012,
                                        format!("`{dim}` is not a pixel size"),
                                        step.loc,
                                        "sizes are whole numbers in 1..16384",
                                    ));
                                }
                            }
                            "resize"
                        }
                        PrepStep::Normalize { std, .. } => {
                            if std.parse::<f64>().map_or(true, |s| s <= 0.0) {
                                diags.push(Diagnostic::new(
                                    Code::E012,
                                    "the standard deviation must be above 0",
                                    step.loc,
                                    "here",
                                ));
                            }
                            "normalize"
                        }
                    };
                    once(&mut kinds, kind, step, diags);
                }
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
            ModelStmt::Claims(claims) => {
                once(&mut seen, "claims", stmt, diags);
                super::analysis::check_claims(&model.node, claims, diags);
            }
            ModelStmt::Findings { tensor, findings } => {
                once(&mut seen, "findings", stmt, diags);
                super::analysis::check_findings(&model.node, tensor, findings, stmt.loc, diags);
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
            ModelStmt::Use(_) | ModelStmt::Override { .. } => {}
        }
    }
    missing(
        &seen,
        &["version", "purpose", "class", "artifact"],
        &format!("model `{}`", model.node.name.node),
        model.node.name.loc,
        model.loc,
        diags,
    );
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
