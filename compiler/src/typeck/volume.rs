//! Checks of the statements about volumes (issue 14): the series inputs, the
//! `segmentation` block, `quantify` and the claims on structures.

use super::items::once;
use crate::ast::*;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::schema::metrics::Bound;
use crate::schema::segmentation::{segmentation_metric, segmentation_metric_names, SegUnit};
use crate::source::Loc;
use std::collections::BTreeMap;

/// The structures of the manifest's `segmentation` block, with where each is declared.
pub(super) fn declared_structures(model: &Model) -> BTreeMap<&str, Loc> {
    let mut out = BTreeMap::new();
    for stmt in &model.stmts {
        if let ModelStmt::Segmentation { structures, .. } = &stmt.node {
            for s in structures {
                out.entry(s.node.name.node.as_str())
                    .or_insert(s.node.name.loc);
            }
        }
    }
    out
}

/// The structures of the manifest's `quantify volume of`.
fn quantified(model: &Model) -> Vec<&str> {
    model
        .stmts
        .iter()
        .filter_map(|s| match &s.node {
            ModelStmt::Quantify(names) => Some(names.iter().map(|n| n.node.as_str())),
            _ => None,
        })
        .flatten()
        .collect()
}

fn first_loc(model: &Model, pick: impl Fn(&ModelStmt) -> bool) -> Option<Loc> {
    model.stmts.iter().find(|s| pick(&s.node)).map(|s| s.loc)
}

fn number(l: &Literal) -> f64 {
    match l {
        Literal::Number { value, .. } | Literal::Percent { value, .. } => *value,
        _ => f64::NAN,
    }
}

/// The checks across statements: series inputs named apart and not beside a 2D input; a
/// `segmentation` only with a series input and neither `output` nor `findings` beside it.
pub(super) fn check_model_volumes(model: &Model, diags: &mut Vec<Diagnostic>) {
    let mut names: BTreeMap<&str, Loc> = BTreeMap::new();
    let mut first_series = None;
    for stmt in &model.stmts {
        if let ModelStmt::SeriesInput { tensor, .. } = &stmt.node {
            first_series.get_or_insert(stmt.loc);
            if let Some(first) = names.insert(tensor.node.as_str(), tensor.loc) {
                diags.push(
                    Diagnostic::new(
                        Code::E014,
                        format!("series input `{}` is declared twice", tensor.node),
                        tensor.loc,
                        "second time",
                    )
                    .with_label(first, "first time")
                    .with_help(
                        "give each series input its own name (the model's input tensor it feeds)",
                    ),
                );
            }
        }
    }
    let image = first_loc(model, |s| matches!(s, ModelStmt::Input { .. }));
    if let (Some(series), Some(image)) = (first_series, image) {
        diags.push(
            Diagnostic::new(
                Code::E016,
                "the manifest reads both single images (`input ... from dicom`) and series (`input ... series`)",
                image,
                "a 2D input",
            )
            .with_label(series, "a series input")
            .with_help("a model reads either single images or volumes: keep the `series` inputs, or the one `from dicom` input"),
        );
    }
    let Some(seg) = first_loc(model, |s| matches!(s, ModelStmt::Segmentation { .. })) else {
        return;
    };
    if first_series.is_none() {
        diags.push(
            Diagnostic::new(
                Code::E011,
                "`segmentation` needs a series input",
                seg,
                "segments which volume?",
            )
            .with_help("declare the series the model reads: `input \"ct\" series where modality CT { rescale from dicom ... }`"),
        );
    }
    for (what, loc) in [
        (
            "output",
            first_loc(model, |s| matches!(s, ModelStmt::Output { .. })),
        ),
        (
            "findings",
            first_loc(model, |s| matches!(s, ModelStmt::Findings { .. })),
        ),
    ] {
        if let Some(loc) = loc {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("the manifest has both `segmentation` and `{what}`"),
                    loc,
                    format!("`{what}`"),
                )
                .with_label(seg, "`segmentation`")
                .with_help("a manifest benchmarks one task: a segmentation model's output is its `segmentation` block; remove the `output`/`findings`, or the `segmentation`"),
            );
        }
    }
}

/// A series input: its conditions (a valid description regex, each of description and
/// slices once, a slice range of whole numbers from low to high, no value twice) and
/// its steps (each kind once, values in range, an orientation code of one letter of
/// each of L/R, P/A, S/I).
pub(super) fn check_series_input(
    conditions: &[Node<SeriesCond>],
    steps: &[Node<VolumeStep>],
    diags: &mut Vec<Diagnostic>,
) {
    let mut kinds = BTreeMap::new();
    let mut values: BTreeMap<String, Loc> = BTreeMap::new();
    for c in conditions {
        match &c.node {
            SeriesCond::Modality(m) | SeriesCond::ImageType(m) => {
                let what = if matches!(c.node, SeriesCond::Modality(_)) {
                    "modality"
                } else {
                    "image type"
                };
                if let Some(first) = values.insert(format!("{what} {}", m.node), m.loc) {
                    diags.push(
                        Diagnostic::new(
                            Code::E014,
                            format!("`{what} {}` is given twice", m.node),
                            m.loc,
                            "second time",
                        )
                        .with_label(first, "first time")
                        .with_help("keep one"),
                    );
                }
            }
            SeriesCond::Description(pattern) => {
                once(&mut kinds, "description matches", c, diags);
                if let Err(err) = regex_syntax::Parser::new().parse(&pattern.node) {
                    let first = err
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid pattern")
                        .trim()
                        .to_string();
                    diags.push(
                        Diagnostic::new(Code::E010, "invalid regular expression", pattern.loc, first)
                            .with_help("patterns use Rust regex syntax; escape a literal `.` or `(` with a backslash; `(?i)` ignores case"),
                    );
                }
            }
            SeriesCond::Slices { min, max } => {
                once(&mut kinds, "slices", c, diags);
                let whole = |l: &Literal| {
                    let v = number(l);
                    (v.fract() == 0.0 && (1.0..=100_000.0).contains(&v)).then_some(v)
                };
                match (whole(&min.node), whole(&max.node)) {
                    (Some(lo), Some(hi)) if lo > hi => diags.push(
                        Diagnostic::new(
                            Code::E012,
                            "the slice range is empty",
                            c.loc,
                            "the fewest slices must not exceed the most",
                        )
                        .with_help("write the smaller number first: `slices 16 to 600`"),
                    ),
                    (Some(_), Some(_)) => {}
                    _ => diags.push(
                        Diagnostic::new(
                            Code::E012,
                            "a number of slices is a whole number in 1..100000",
                            c.loc,
                            "not a slice count",
                        )
                        .with_help("write the fewest and the most slices of the series: `slices 16 to 600`"),
                    ),
                }
            }
        }
    }
    for step in steps {
        let bad = |what: String, label: &str| Diagnostic::new(Code::E012, what, step.loc, label);
        let kind = match &step.node {
            VolumeStep::Prep(p) => match p {
                PrepStep::RescaleFromDicom | PrepStep::RescaleFixed { .. } => "rescale",
                PrepStep::WindowFixed { width, .. } => {
                    if width.parse::<f64>().map_or(true, |w| w <= 0.0) {
                        diags.push(bad("a window's width must be above 0".into(), "here"));
                    }
                    "window"
                }
                PrepStep::Clip { low, high } => {
                    if low.parse::<f64>().ok() >= high.parse::<f64>().ok() {
                        diags.push(
                            bad(
                                format!("clipping to {low} .. {high} leaves no values"),
                                "the lower bound must be below the upper",
                            )
                            .with_help("write the lower bound first, e.g. `clip -200 to 300`"),
                        );
                    }
                    "clip"
                }
                PrepStep::Normalize { mean, std } => {
                    if mean.len() != 1 || std.len() != 1 {
                        diags.push(
                            Diagnostic::new(
                                Code::E016,
                                "a volume has one channel: `normalize` takes one mean and one std",
                                step.loc,
                                "one of each",
                            )
                            .with_help("write `normalize mean M std S`, or `normalize zscore` for each volume's own"),
                        );
                    }
                    if std
                        .iter()
                        .any(|s| s.parse::<f64>().map_or(true, |s| s <= 0.0))
                    {
                        diags.push(bad("the standard deviation must be above 0".into(), "here"));
                    }
                    "normalize"
                }
                // The grammar admits no other shared step in a series block.
                _ => "other",
            },
            VolumeStep::NormalizeZscore => "normalize",
            VolumeStep::Resample { spacing, .. } => {
                for s in spacing {
                    if s.parse::<f64>().map_or(true, |v| !(v > 0.0 && v <= 100.0)) {
                        diags.push(
                            bad(format!("`{s}` is not a voxel spacing"), "a spacing is in mm, above 0 and at most 100")
                                .with_help("write the target spacing x, y, z in mm: `resample 1.5 x 1.5 x 3 mm linear`"),
                        );
                    }
                }
                "resample"
            }
            VolumeStep::Orient(code) => {
                if !orientation_code(code) {
                    diags.push(
                        bad(format!("`{code}` is not an orientation code"), "three letters, one of each of L/R, P/A, S/I")
                            .with_help("write the direction each axis (x, y, z) points to, one of each pair: `orient LPS` (DICOM's), `orient RAS` (NIfTI's)"),
                    );
                }
                "orient"
            }
            VolumeStep::CropOrPad { size, .. } => {
                for s in size {
                    if s.parse::<u32>().map_or(true, |v| v == 0 || v > 4096) {
                        diags.push(bad(
                            format!("`{s}` is not a volume size"),
                            "sizes are whole numbers of voxels in 1..4096",
                        ));
                    }
                }
                "crop or pad"
            }
        };
        once(&mut kinds, kind, step, diags);
    }
}

/// An orientation code: three letters, one of each of L/R, P/A and S/I.
pub fn orientation_code(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() != 3 {
        return false;
    }
    let axis = |c: u8| match c {
        b'L' | b'R' => Some(0),
        b'P' | b'A' => Some(1),
        b'S' | b'I' => Some(2),
        _ => None,
    };
    let mut seen = [false; 3];
    for &c in b {
        match axis(c) {
            Some(a) if !seen[a] => seen[a] = true,
            _ => return false,
        }
    }
    true
}

/// A `segmentation` block: at least one structure, names unique, indices whole and
/// unique, `label` with `labelmap` only and `channel` otherwise, no structure on
/// argmax's background channel 0, a sigmoid threshold in 0..1.
pub(super) fn check_segmentation(
    rule: &Node<SegRule>,
    structures: &[Node<SegStructure>],
    loc: Loc,
    diags: &mut Vec<Diagnostic>,
) {
    if structures.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::E016,
                "the `segmentation` block declares no structure",
                loc,
                "empty",
            )
            .with_help("name each structure and its channel: `liver channel 1`"),
        );
    }
    if let SegRule::Sigmoid(t) = &rule.node {
        let v = number(t);
        if !(v > 0.0 && v < 1.0) {
            diags.push(
                Diagnostic::new(Code::E012, "a sigmoid threshold lies strictly between 0 and 1", rule.loc, "out of range")
                    .with_help("write the probability at which a voxel is in the structure: `sigmoid threshold 0.5`"),
            );
        }
    }
    let labelmap = matches!(rule.node, SegRule::LabelMap);
    let mut names: BTreeMap<&str, Loc> = BTreeMap::new();
    let mut indices: BTreeMap<u64, Loc> = BTreeMap::new();
    for s in structures {
        let st = &s.node;
        if let Some(first) = names.insert(st.name.node.as_str(), st.name.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("structure `{}` is declared twice", st.name.node),
                    st.name.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
        let word = if st.label { "label" } else { "channel" };
        if st.label != labelmap {
            let help = if labelmap {
                "a label map's structures are its label values: `liver label 1`"
            } else {
                "a probability or logit output's structures are its channels: `liver channel 1` (or read a label map with `labelmap`)"
            };
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!(
                        "`{word}` with a `{}` segmentation",
                        match rule.node {
                            SegRule::Argmax => "argmax",
                            SegRule::Sigmoid(_) => "sigmoid",
                            SegRule::LabelMap => "labelmap",
                        }
                    ),
                    s.loc,
                    format!("not a {word} here"),
                )
                .with_help(help),
            );
        }
        let v = number(&st.index.node);
        if !(v.fract() == 0.0 && (0.0..=65_535.0).contains(&v)) {
            diags.push(
                Diagnostic::new(
                    Code::E012,
                    format!("a {word} is a whole number in 0..65535"),
                    st.index.loc,
                    "out of range",
                )
                .with_help(format!("write the structure's {word}, counting from 0")),
            );
            continue;
        }
        let index = v as u64;
        if index == 0 && matches!(rule.node, SegRule::Argmax) {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("structure `{}` is on channel 0, the background of an argmax", st.name.node),
                    st.index.loc,
                    "the background",
                )
                .with_help("with `argmax` channel 0 is the background: number the structures from 1, or use `sigmoid threshold T` for independent channels"),
            );
        }
        if index == 0 && labelmap {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!(
                        "structure `{}` is label 0, the background of a label map",
                        st.name.node
                    ),
                    st.index.loc,
                    "the background",
                )
                .with_help("label 0 is the background: give each structure its label value from 1"),
            );
        }
        if let Some(first) = indices.insert(index, st.index.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("{word} {index} is given to two structures"),
                    st.index.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
    }
}

/// `quantify volume of a, b`: each a declared structure, each once.
pub(super) fn check_quantify(model: &Model, names: &[Node<String>], diags: &mut Vec<Diagnostic>) {
    let structures = declared_structures(model);
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for n in names {
        if !structures.contains_key(n.node.as_str()) {
            diags.push(unknown_structure(&n.node, n.loc, &structures, "quantifies"));
        }
        if let Some(first) = seen.insert(n.node.as_str(), n.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("`{}` is quantified twice", n.node),
                    n.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
    }
}

fn unknown_structure(
    name: &str,
    loc: Loc,
    structures: &BTreeMap<&str, Loc>,
    verb: &str,
) -> Diagnostic {
    let names: Vec<&str> = structures.keys().copied().collect();
    let d = Diagnostic::new(
        Code::E016,
        format!("the manifest {verb} `{name}`, which its `segmentation` block does not declare"),
        loc,
        "not a structure",
    );
    match did_you_mean(name, names.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None if names.is_empty() => {
            d.with_help("declare the structures in a `segmentation` block: `segmentation \"mask\" argmax { liver channel 1 }`")
        }
        None => d.with_help(format!("the structures are {}", names.join(", "))),
    }
}

/// Whether the claims block's target is a structure (so its claims are checked here).
pub(super) fn is_structure(model: &Model, name: &str) -> bool {
    declared_structures(model).contains_key(name)
}

/// The claims on one structure: known metrics, each once; the unit the metric's; `at
/// most` on, and only on, an upper bound; a tolerance on nsd only, in mm above 0; volume
/// metrics on quantified structures; values in range.
pub(super) fn check_structure_claims(
    model: &Model,
    structure: &Node<String>,
    claims: &[Node<ScopedClaim>],
    diags: &mut Vec<Diagnostic>,
) {
    let quantified = quantified(model);
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for c in claims {
        let cl = &c.node;
        let name = cl.name.node.as_str();
        let Some(m) = segmentation_metric(name) else {
            let known = segmentation_metric_names();
            let d = Diagnostic::new(
                Code::E016,
                format!("unknown segmentation metric `{name}`"),
                cl.name.loc,
                "not a metric clic can check",
            );
            diags.push(match did_you_mean(name, known.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("a structure's claims are on {}", known.join(", "))),
            });
            continue;
        };
        if let Some(first) = seen.insert(name, cl.name.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("claim `{name}` on `{}` is given twice", structure.node),
                    cl.name.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
        match (m.bound, &cl.at_most) {
            (Bound::Lower, Some(at)) => diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("`{name}` is claimed as a floor: `at most` does not apply"),
                    at.loc,
                    "a higher value is better",
                )
                .with_help(format!(
                    "write the lowest value claimed: `{name} {}`",
                    crate::fmt::literal_text(&cl.value.node)
                )),
            ),
            (Bound::Upper, None) => diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("`{name}` is claimed as a ceiling: write `at most`"),
                    cl.value.loc,
                    "a lower value is better",
                )
                .with_help(format!(
                    "write `{name} at most {}{}`",
                    crate::fmt::literal_text(&cl.value.node),
                    m.unit.suffix().map(|u| format!(" {u}")).unwrap_or_default()
                )),
            ),
            _ => {}
        }
        // The unit: a percentage only on fractions, `mm`/`ml` only on its own metrics.
        let percent = matches!(cl.value.node, Literal::Percent { .. });
        let wrong_unit = match (&cl.unit, m.unit) {
            (Some(u), unit) => unit.suffix() != Some(u.node.as_str()),
            (None, _) => false,
        } || (percent && m.unit != SegUnit::Fraction);
        if wrong_unit {
            let at = cl.unit.as_ref().map_or(cl.value.loc, |u| u.loc);
            let expected = match m.unit {
                SegUnit::Fraction => {
                    "a fraction (0.9) or a percentage (90%), without a unit".to_string()
                }
                SegUnit::Coefficient => "a plain number in 0..1, without a unit".to_string(),
                SegUnit::Mm => "a distance in `mm`".to_string(),
                SegUnit::Ml => "a volume in `ml`".to_string(),
            };
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("`{name}` is not measured in this unit"),
                    at,
                    format!("{name} is {}", m.unit.label()),
                )
                .with_help(format!("write {expected}")),
            );
        } else {
            let v = number(&cl.value.node);
            let in_range = match m.unit {
                SegUnit::Fraction | SegUnit::Coefficient => (0.0..=1.0).contains(&v),
                SegUnit::Mm | SegUnit::Ml => v.is_finite() && v > 0.0,
            };
            if !in_range {
                diags.push(
                    Diagnostic::new(
                        Code::E012,
                        format!("claim `{name}` is out of range"),
                        cl.value.loc,
                        match m.unit {
                            SegUnit::Fraction | SegUnit::Coefficient => "a fraction lies in 0..1",
                            _ => "a distance or volume is above 0",
                        },
                    )
                    .with_help("write a percentage (90%) or a fraction (0.9) for overlaps, a positive number of mm or ml for distances and volumes"),
                );
            }
        }
        match (&cl.tolerance, m.needs_tolerance) {
            (None, true) => diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("`{name}` needs its tolerance"),
                    c.loc,
                    "within how many mm?",
                )
                .with_help(format!(
                    "state the distance at which surfaces agree: `{name} {} at 2 mm`",
                    crate::fmt::literal_text(&cl.value.node)
                )),
            ),
            (Some(t), false) => diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("`{name}` takes no tolerance"),
                    t.loc,
                    "only nsd has one",
                )
                .with_help("remove `at T mm`"),
            ),
            (Some(t), true) => {
                let v = number(&t.node);
                if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                    diags.push(Diagnostic::new(
                        Code::E012,
                        "a tolerance is in mm, above 0 and at most 100",
                        t.loc,
                        "out of range",
                    ));
                }
            }
            (None, false) => {}
        }
        if m.volume && !quantified.contains(&structure.node.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!(
                        "`{name}` compares volumes, and `{}` is not quantified",
                        structure.node
                    ),
                    cl.name.loc,
                    "no volume to compare",
                )
                .with_help(format!("add `quantify volume of {}`", structure.node)),
            );
        }
    }
}

/// A finding's claims: the metrics and bounds of today's finding claims, without a
/// structure claim's `at most`, unit or tolerance.
pub(super) fn plain_finding_claims(
    finding: &Node<String>,
    claims: &[Node<ScopedClaim>],
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Node<String>, Node<Literal>)> {
    let mut out = Vec::new();
    for c in claims {
        let cl = &c.node;
        let extra = cl
            .at_most
            .as_ref()
            .map(|a| a.loc)
            .or(cl.unit.as_ref().map(|u| u.loc))
            .or(cl.tolerance.as_ref().map(|t| t.loc));
        if let Some(at) = extra {
            diags.push(
                Diagnostic::new(
                    Code::E016,
                    format!("a claim on finding `{}` is a bare bound", finding.node),
                    at,
                    "only a structure's claims take `at most`, a unit or a tolerance",
                )
                .with_help(format!(
                    "write `{} {}`",
                    cl.name.node,
                    crate::fmt::literal_text(&cl.value.node)
                )),
            );
        }
        out.push((cl.name.clone(), cl.value.clone()));
    }
    out
}
