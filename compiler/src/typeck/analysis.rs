//! Checks of what a manifest says beyond one score per image: the `findings` block,
//! the `unit` of analysis, the `compare` statement and the claims on findings, over
//! findings and against the compared version.

use crate::ast::*;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::plan::{output_index, AGGREGATES, NONINFERIOR_METRICS, VIEW_ATTRIBUTES};
use crate::schema::CLAIMS;
use crate::source::Loc;
use std::collections::BTreeMap;

/// The metrics a `macro` or `worst` claim may name.
fn summary_metrics() -> Vec<&'static str> {
    crate::schema::metrics::SUMMARY_METRICS.to_vec()
}

/// The findings a manifest declares, with where.
fn declared_findings(model: &Model) -> BTreeMap<&str, Loc> {
    let mut out = BTreeMap::new();
    for stmt in &model.stmts {
        if let ModelStmt::Findings { findings, .. } = &stmt.node {
            for f in findings {
                out.entry(f.node.name.node.as_str())
                    .or_insert(f.node.name.loc);
            }
        }
    }
    out
}

fn has(model: &Model, pick: impl Fn(&ModelStmt) -> bool) -> Option<Loc> {
    model.stmts.iter().find(|s| pick(&s.node)).map(|s| s.loc)
}

/// Checks a `findings` block: names unique, a tensor for each, whole indices, softmax
/// groups that hold their finding, thresholds in 0..1; and no `output` beside it.
pub(super) fn check_findings(
    model: &Model,
    tensor: &Option<Node<String>>,
    findings: &[Node<Finding>],
    loc: Loc,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(output) = has(model, |s| matches!(s, ModelStmt::Output { .. })) {
        diags.push(
            Diagnostic::new(
                Code::E016,
                "the manifest has both `output` and `findings`",
                output,
                "the one-finding short form",
            )
            .with_label(loc, "several findings")
            .with_help("keep `findings` and move the `output` line into it as one finding: `name index K positive when >= T means \"...\"`"),
        );
    }
    if findings.is_empty() {
        diags.push(
            Diagnostic::new(Code::E016, "the `findings` block declares no finding", loc, "empty")
                .with_help("declare each finding: `effusion index 1 sigmoid positive when >= 0.5 means \"pleural effusion suspected\"`"),
        );
    }
    let mut names: BTreeMap<&str, Loc> = BTreeMap::new();
    for f in findings {
        let f = &f.node;
        if let Some(first) = names.insert(f.name.node.as_str(), f.name.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("finding `{}` is declared twice", f.name.node),
                    f.name.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
        if f.tensor.is_none() && tensor.is_none() {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("finding `{}` names no output tensor", f.name.node),
                    f.name.loc,
                    "read from which output?",
                )
                .with_help("name the tensor for the block (`findings \"logits\" { ... }`) or for the finding (`effusion from \"logits\" index 1 ...`)"),
            );
        }
        let index = f.index.as_ref().and_then(|i| whole(i, diags));
        if f.index.is_none() {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("finding `{}` does not say which element of the output it is read from", f.name.node),
                    f.name.loc,
                    "no `index`",
                )
                .with_help("write `index K`, the finding's position in each scan's output row, counting from 0"),
            );
        }
        if let Some(Node {
            node: Activation::Softmax(over),
            loc,
        }) = &f.activation
        {
            let over: Vec<Option<u32>> = over.iter().map(|n| whole(n, diags)).collect();
            let mut seen = std::collections::BTreeSet::new();
            if over.len() < 2 || over.iter().flatten().any(|i| !seen.insert(*i)) {
                diags.push(
                    Diagnostic::new(
                        Code::E016,
                        "a softmax runs over two or more different elements",
                        *loc,
                        "here",
                    )
                    .with_help(
                        "list the elements of the softmax group, each once: `softmax over 0, 1, 2`",
                    ),
                );
            }
            if let Some(i) = index {
                if !over.contains(&Some(i)) {
                    diags.push(
                        Diagnostic::new(
                            Code::E016,
                            format!("finding `{}` is read at element {i}, which its softmax group does not hold", f.name.node),
                            *loc,
                            "the group",
                        )
                        .with_help(format!("add {i} to the group, or read the finding at one of its elements")),
                    );
                }
            }
        }
        threshold(&f.threshold, diags);
    }
    // INVARIANT: the runner reads every finding of a run from one output row, so the
    // findings share one tensor (the block's, or the first finding's own).
    let mut first: Option<&Node<String>> = tensor.as_ref();
    for f in findings {
        let Some(own) = f.node.tensor.as_ref() else {
            continue;
        };
        match first {
            None => first = Some(own),
            Some(t) if t.node != own.node => diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!(
                        "finding `{}` is read from the output `{}`, the other findings from `{}`",
                        f.node.name.node, own.node, t.node
                    ),
                    own.loc,
                    "another output",
                )
                .with_label(t.loc, "the findings' output")
                .with_help(format!(
                    "clic reads the findings of one run from one output tensor: read `{}` from `{}`, or concatenate the outputs in the model",
                    f.node.name.node, t.node
                )),
            ),
            Some(_) => {}
        }
    }
}

/// An element index: a whole number in u32's range.
fn whole(n: &Node<Literal>, diags: &mut Vec<Diagnostic>) -> Option<u32> {
    let i = match n.node {
        Literal::Number { value, .. } => output_index(value),
        _ => None,
    };
    if i.is_none() {
        diags.push(
            Diagnostic::new(
                Code::E012,
                "an output index is a whole number",
                n.loc,
                "not an element index",
            )
            .with_help("write the element's position in each scan's output row, counting from 0"),
        );
    }
    i
}

/// An operating threshold, on a probability.
pub(super) fn threshold(t: &Node<Literal>, diags: &mut Vec<Diagnostic>) {
    if let Literal::Number { value, .. } = t.node {
        if !(0.0..=1.0).contains(&value) {
            diags.push(
                Diagnostic::new(
                    Code::E012,
                    "the threshold must lie in 0..1",
                    t.loc,
                    "out of range",
                )
                .with_help("scores are probabilities; write e.g. 0.5"),
            );
        }
    }
}

/// Checks the released version's thresholds: each on a declared finding, once, in 0..1.
pub(super) fn check_released_thresholds(
    model: &Model,
    thresholds: &[(Node<String>, Node<Literal>)],
    diags: &mut Vec<Diagnostic>,
) {
    let findings = declared_findings(model);
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for (name, value) in thresholds {
        if !findings.contains_key(name.node.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("a released threshold for `{}`, which the manifest does not declare as a finding", name.node),
                    name.loc,
                    "not a finding",
                )
                .with_help("give thresholds for the findings of the `findings` block"),
            );
        }
        if let Some(first) = seen.insert(name.node.as_str(), name.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("finding `{}` has two released thresholds", name.node),
                    name.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
        threshold(value, diags);
    }
}

/// Checks a `unit` statement: a known level; an aggregation only for studies and
/// patients, with a known rule and attribute.
pub(super) fn check_unit(
    level: &Node<String>,
    aggregate: &Option<Node<Aggregate>>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(a) = aggregate else {
        return;
    };
    if level.node == "image" {
        diags.push(
            Diagnostic::new(
                Code::E016,
                "an image is scored on its own: it has nothing to aggregate",
                a.loc,
                "here",
            )
            .with_help("drop the `aggregate` clause, or make the unit `study` or `patient`"),
        );
    }
    if !AGGREGATES.contains(&a.node.rule.node.as_str()) {
        diags.push(Diagnostic::new(
            Code::E016,
            format!("unknown aggregation `{}`", a.node.rule.node),
            a.node.rule.loc,
            format!("rules are {}", AGGREGATES.join(", ")),
        ));
    }
    if let Some((attribute, values)) = &a.node.view {
        if !VIEW_ATTRIBUTES.contains(&attribute.node.as_str()) {
            let mut d = Diagnostic::new(
                Code::E016,
                format!("clic cannot choose a view by `{}`", attribute.node),
                attribute.loc,
                "not a view attribute",
            );
            d = match did_you_mean(&attribute.node, VIEW_ATTRIBUTES) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!(
                    "views are chosen by {}",
                    VIEW_ATTRIBUTES.join(", ")
                )),
            };
            diags.push(d);
        }
        if values.iter().any(|v| v.node.trim().is_empty()) {
            diags.push(Diagnostic::new(
                Code::E012,
                "a view value is empty",
                attribute.loc,
                "here",
            ));
        }
    }
}

/// Readers are compared unit by unit, at the unit of analysis: a manifest of the
/// one-finding short form says which (`unit image`), since its images are otherwise
/// scored one by one without units.
pub(super) fn check_readers(model: &Model, at: Loc, diags: &mut Vec<Diagnostic>) {
    let findings = has(model, |s| matches!(s, ModelStmt::Findings { .. })).is_some();
    let unit = has(model, |s| matches!(s, ModelStmt::Unit { .. })).is_some();
    if !findings && !unit {
        diags.push(
            Diagnostic::new(
                Code::E016,
                "readers are compared with the model unit by unit, and the manifest declares neither findings nor a unit of analysis",
                at,
                "compared on which units?",
            )
            .with_help("declare the unit the readers read: `unit image` (its one finding is the column `finding` of the readers' CSV), or `unit study`"),
        );
    }
}

/// Checks the `claims` block against the manifest: short-form claims only without
/// findings, finding claims only on declared findings, `macro`/`worst` over findings,
/// non-inferiority only with a `compare` statement.
pub(super) fn check_claims(model: &Model, claims: &[Node<Claim>], diags: &mut Vec<Diagnostic>) {
    let findings = declared_findings(model);
    let several = has(model, |s| matches!(s, ModelStmt::Findings { .. })).is_some();
    let compare = has(model, |s| matches!(s, ModelStmt::Compare { .. })).is_some();
    let readers = has(model, |s| matches!(s, ModelStmt::Readers { .. })).is_some();
    let mut readers_margins_seen = false;
    let mut plain = Vec::new();
    let mut per_finding: BTreeMap<&str, Loc> = BTreeMap::new();
    let mut summary = Vec::new();
    let mut margins_seen = false;
    for c in claims {
        match &c.node {
            Claim::Metric { name, value } => {
                if several {
                    diags.push(
                        Diagnostic::new(
                            Code::E016,
                            format!("claim `{}` names no finding, and the model has several", name.node),
                            name.loc,
                            "which finding?",
                        )
                        .with_help(format!(
                            "claim it per finding (`{} {{ {} ... }}`), or over the findings (`worst {} ...`, `macro {} ...`)",
                            findings.keys().next().copied().unwrap_or("finding"),
                            name.node,
                            name.node,
                            name.node
                        )),
                    );
                }
                plain.push((name.clone(), value.clone()));
            }
            Claim::Finding { finding, claims }
                if super::volume::is_structure(model, &finding.node) =>
            {
                if let Some(first) = per_finding.insert(finding.node.as_str(), finding.loc) {
                    diags.push(
                        Diagnostic::new(
                            Code::E014,
                            format!("structure `{}` has two claims blocks", finding.node),
                            finding.loc,
                            "second time",
                        )
                        .with_label(first, "first time")
                        .with_help("merge them into one block"),
                    );
                }
                super::volume::check_structure_claims(model, finding, claims, diags);
            }
            Claim::Finding { finding, claims } => {
                let structures = super::volume::declared_structures(model);
                if !structures.is_empty() && !findings.contains_key(finding.node.as_str()) {
                    let names: Vec<&str> = structures.keys().copied().collect();
                    let d = Diagnostic::new(
                        Code::E016,
                        format!(
                            "claims on `{}`, which the manifest does not declare as a structure",
                            finding.node
                        ),
                        finding.loc,
                        "not a structure",
                    );
                    diags.push(match did_you_mean(&finding.node, names.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!("the structures are {}", names.join(", "))),
                    });
                    continue;
                }
                let claims = &super::volume::plain_finding_claims(finding, claims, diags);
                if !findings.contains_key(finding.node.as_str()) {
                    let names: Vec<&str> = findings.keys().copied().collect();
                    let mut d = Diagnostic::new(
                        Code::E016,
                        format!(
                            "claims on `{}`, which the manifest does not declare as a finding",
                            finding.node
                        ),
                        finding.loc,
                        "not a finding",
                    );
                    d = match did_you_mean(&finding.node, names.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None if names.is_empty() => {
                            d.with_help("declare the model's findings in a `findings` block first")
                        }
                        None => d.with_help(format!("the findings are {}", names.join(", "))),
                    };
                    diags.push(d);
                }
                if let Some(first) = per_finding.insert(finding.node.as_str(), finding.loc) {
                    diags.push(
                        Diagnostic::new(
                            Code::E014,
                            format!("finding `{}` has two claims blocks", finding.node),
                            finding.loc,
                            "second time",
                        )
                        .with_label(first, "first time")
                        .with_help("merge them into one block"),
                    );
                }
                bounds(claims, &CLAIMS, "claim", diags);
            }
            Claim::Summary { kind, name, value } => {
                if !several {
                    diags.push(
                        Diagnostic::new(
                            Code::E016,
                            format!("a `{}` claim is over several findings, and the manifest declares none", kind.node),
                            kind.loc,
                            "over which findings?",
                        )
                        .with_help("declare the findings in a `findings` block, or claim the metric plainly: `sensitivity 90%`"),
                    );
                }
                summary.push((
                    Node::new(format!("{} {}", kind.node, name.node), name.loc),
                    name.clone(),
                    value.clone(),
                ));
            }
            Claim::NonInferior {
                readers: to_readers,
                margins,
            } => {
                if *to_readers {
                    if !readers {
                        diags.push(
                            Diagnostic::new(Code::E011, "non-inferior to readers, but the manifest names no readers' reads", c.loc, "compared with whom?")
                                .with_help("name the readers' CSV (reader, unit, a score or call per finding): `compare with readers \"data/readers.csv\"`"),
                        );
                    }
                    if readers_margins_seen {
                        diags.push(Diagnostic::new(
                            Code::E014,
                            "a second `non-inferior to readers` block",
                            c.loc,
                            "merge it with the first",
                        ));
                    }
                    readers_margins_seen = true;
                } else if !compare {
                    diags.push(
                        Diagnostic::new(Code::E011, "non-inferior to released, but the manifest names no released version", c.loc, "compared with what?")
                            .with_help("name the version in the field: `compare with \"model/released.onnx\" sha256 \"...\" version \"1.0.0\"`"),
                    );
                }
                if !*to_readers {
                    if margins_seen {
                        diags.push(Diagnostic::new(
                            Code::E014,
                            "a second `non-inferior` block",
                            c.loc,
                            "merge it with the first",
                        ));
                    }
                    margins_seen = true;
                }
                bounds(
                    margins,
                    &NONINFERIOR_METRICS,
                    "non-inferiority margin",
                    diags,
                );
                for (name, v) in margins {
                    if literal_value(&v.node).is_some_and(|m| m <= 0.0 || m >= 1.0) {
                        diags.push(
                            Diagnostic::new(Code::E012, format!("the margin of `{}` must lie strictly between 0 and 1", name.node), v.loc, "out of range")
                                .with_help("write the largest loss you accept, e.g. `sensitivity by 5%` or `auc by 0.02`"),
                        );
                    }
                }
            }
        }
    }
    bounds(&plain, &CLAIMS, "claim", diags);
    let allowed = summary_metrics();
    let mut seen: BTreeMap<String, Loc> = BTreeMap::new();
    for (key, name, value) in &summary {
        if !allowed.contains(&name.node.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("no claim over findings on `{}`", name.node),
                    name.loc,
                    "not a metric claimed over findings",
                )
                .with_help(format!(
                    "claims over findings are on {}",
                    allowed.join(", ")
                )),
            );
        }
        over_one(name, value, diags);
        if let Some(first) = seen.insert(key.node.clone(), key.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("claim `{}` is given twice", key.node),
                    key.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
    }
}

fn literal_value(l: &Literal) -> Option<f64> {
    match l {
        Literal::Number { value, .. } | Literal::Percent { value, .. } => Some(*value),
        _ => None,
    }
}

fn over_one(name: &Node<String>, value: &Node<Literal>, diags: &mut Vec<Diagnostic>) {
    if let Literal::Number { value: v, .. } = value.node {
        if v > 1.0 {
            diags.push(
                Diagnostic::new(
                    Code::E012,
                    format!("claim `{}` is over 1", name.node),
                    value.loc,
                    "out of range",
                )
                .with_help("write a percentage (90%) or a fraction (0.9)"),
            );
        }
    }
}

/// Metric bounds of one list: known metrics, in range, each once.
fn bounds(
    list: &[(Node<String>, Node<Literal>)],
    known: &[&str],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let mut names = BTreeMap::new();
    for (name, value) in list {
        if !known.contains(&name.node.as_str()) {
            let mut d = Diagnostic::new(
                Code::E016,
                format!("unknown {what} `{}`", name.node),
                name.loc,
                format!("not a {what} clic can check"),
            );
            d = match did_you_mean(&name.node, known.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("{what}s are on {}", known.join(", "))),
            };
            diags.push(d);
        }
        if what == "claim" {
            over_one(name, value, diags);
        }
        if let Some(first) = names.insert(name.node.clone(), name.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("{what} `{}` is given twice", name.node),
                    name.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
    }
}
