//! Lowering a checked program to the Plan.

use super::*;
use crate::ast::{self, Expr, ModelStmt, Node, PrepStep, UseTarget};
use crate::fmt::expr_text;
use crate::frameworks::framework;
use crate::resolve::Program;
use crate::source::{Loc, SourceMap};
use crate::typeck::{path_head, Head, Scope};
use crate::Literal;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Lowers a program that type-checked without errors.
pub(crate) fn lower(program: &Program, sources: &SourceMap) -> Plan {
    let at = |loc: Loc| source_loc(sources, loc);
    let model = program
        .model
        .as_ref()
        .map(|m| model_spec(m, program, sources));
    let mut checks = Vec::new();
    for policy in &program.policies {
        for control in &policy.node.controls {
            checks.push(check(&policy.node, control, &at));
        }
    }
    checks.sort_by(|a, b| a.id.cmp(&b.id));
    // The project's `override` statements set a control's stage.
    for stmt in program.model.iter().flat_map(|m| &m.node.stmts) {
        if let ModelStmt::Override { control, stage } = &stmt.node {
            if let (Some(c), Some(s)) = (
                checks.iter_mut().find(|c| c.id == control.node),
                Stage::parse(&stage.node),
            ) {
                c.stage = s;
            }
        }
    }
    let mut waivers: Vec<WaiverSpec> = program.waivers.iter().map(|w| waiver(w, &at)).collect();
    waivers.sort_by(|a, b| a.control.cmp(&b.control));
    let tests = program.tests.iter().map(|t| test(t, &at)).collect();
    let sources = sources
        .iter()
        .filter(|(id, _)| program.modules.iter().any(|(m, _)| m == id))
        .map(|(_, f)| SourceRef {
            path: f.path.clone(),
            origin: f.origin,
            sha256: sha256_hex(f.text.as_bytes()),
        })
        .collect();
    Plan {
        format: PLAN_FORMAT,
        model,
        checks,
        waivers,
        tests,
        sources,
    }
}

/// Lower-case hex sha256: the one digest format of clic's plans and evidence.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Lower-case hex of any bytes (digests, MACs, keys).
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn source_loc(sources: &SourceMap, loc: Loc) -> SourceLoc {
    let (line, column) = sources.line_col(loc.file, loc.start);
    let file = sources
        .get(loc.file)
        .map(|f| f.path.clone())
        .unwrap_or_default();
    SourceLoc {
        file,
        line,
        column,
        start: loc.start,
        end: loc.end,
    }
}

fn number(raw: &str) -> f64 {
    raw.parse().unwrap_or(0.0)
}

pub(super) fn literal_fraction(l: &Literal) -> f64 {
    match l {
        Literal::Number { value, .. } | Literal::Percent { value, .. } => *value,
        _ => 0.0,
    }
}

fn model_spec(m: &Node<ast::Model>, program: &Program, sources: &SourceMap) -> ModelSpec {
    let mut spec = ModelSpec {
        name: m.node.name.node.clone(),
        version: String::new(),
        purpose: String::new(),
        class: String::new(),
        classification_rule: None,
        significance: None,
        situation: None,
        safety_class: None,
        runtime: None,
        robustness: None,
        prevalence: PrevalenceSpec::default(),
        artifact: ArtifactSpec {
            path: String::new(),
            sha256: None,
        },
        input: None,
        output: None,
        reference: None,
        training_patients: None,
        claims: BTreeMap::new(),
        analysis: Default::default(),
        series_inputs: Vec::new(),
        segmentation: None,
        quantify: Vec::new(),
        structure_claims: Vec::new(),
        documents: BTreeMap::new(),
        policies: Vec::new(),
        source: source_loc(sources, m.node.name.loc),
    };
    let mut used: BTreeSet<String> = BTreeSet::new();
    for stmt in &m.node.stmts {
        match &stmt.node {
            ModelStmt::Version(v) => spec.version = v.node.clone(),
            ModelStmt::Purpose(p) => spec.purpose = p.node.clone(),
            ModelStmt::Class { class, rule } => {
                spec.class = class.node.as_str().to_string();
                spec.classification_rule = rule.as_ref().map(|r| r.node.clone());
            }
            ModelStmt::Artifact { path, sha256 } => {
                spec.artifact = ArtifactSpec {
                    path: path.node.clone(),
                    sha256: sha256.as_ref().map(|s| s.node.to_ascii_lowercase()),
                }
            }
            ModelStmt::Input { tensor, steps } => {
                let mut modalities = Vec::new();
                let mut out = Vec::new();
                for step in steps {
                    match &step.node {
                        PrepStep::Modalities(ms) => {
                            modalities.extend(ms.iter().map(|m| m.node.clone()))
                        }
                        PrepStep::RescaleFromDicom => out.push(Preprocess::Rescale { fixed: None }),
                        PrepStep::RescaleFixed { slope, intercept } => {
                            out.push(Preprocess::Rescale {
                                fixed: Some((number(slope), number(intercept))),
                            })
                        }
                        PrepStep::WindowFromDicom { else_minmax } => out.push(Preprocess::Window {
                            source: "dicom".into(),
                            fixed: None,
                            else_minmax: *else_minmax,
                        }),
                        PrepStep::WindowFixed { center, width } => out.push(Preprocess::Window {
                            source: "fixed".into(),
                            fixed: Some((number(center), number(width))),
                            else_minmax: false,
                        }),
                        PrepStep::WindowMinMax => out.push(Preprocess::Window {
                            source: "minmax".into(),
                            fixed: None,
                            else_minmax: false,
                        }),
                        PrepStep::InvertMonochrome1 => out.push(Preprocess::InvertMonochrome1),
                        PrepStep::Resize {
                            width,
                            height,
                            interpolation,
                        } => out.push(Preprocess::Resize {
                            width: width.parse().unwrap_or(0),
                            height: height.parse().unwrap_or(0),
                            interpolation: interpolation
                                .clone()
                                .unwrap_or_else(|| "bilinear".into()),
                        }),
                        PrepStep::Normalize { mean, std } => {
                            out.push(match (mean.as_slice(), std.as_slice()) {
                                ([mean], [std]) => Preprocess::Normalize {
                                    mean: number(mean),
                                    std: number(std),
                                },
                                _ => Preprocess::NormalizeChannels {
                                    mean: mean.iter().map(|m| number(m)).collect(),
                                    std: std.iter().map(|s| number(s)).collect(),
                                },
                            })
                        }
                        PrepStep::WindowPercentile { low, high } => {
                            out.push(Preprocess::WindowPercentile {
                                low: number(low),
                                high: number(high),
                            })
                        }
                        PrepStep::Crop { width, height, at } => out.push(Preprocess::Crop {
                            width: width.parse().unwrap_or(0),
                            height: height.parse().unwrap_or(0),
                            at: at
                                .as_ref()
                                .map(|(x, y)| (x.parse().unwrap_or(0), y.parse().unwrap_or(0))),
                        }),
                        PrepStep::PadSquare { fill } => {
                            out.push(Preprocess::PadSquare { fill: number(fill) })
                        }
                        PrepStep::Letterbox {
                            width,
                            height,
                            interpolation,
                            fill,
                        } => out.push(Preprocess::Letterbox {
                            width: width.parse().unwrap_or(0),
                            height: height.parse().unwrap_or(0),
                            interpolation: interpolation
                                .clone()
                                .unwrap_or_else(|| "bilinear".into()),
                            fill: number(fill),
                        }),
                        PrepStep::Clip { low, high } => out.push(Preprocess::Clip {
                            low: number(low),
                            high: number(high),
                        }),
                        PrepStep::Channels(n) => out.push(Preprocess::Channels {
                            count: n.parse().unwrap_or(0),
                        }),
                        PrepStep::Color(mode) => out.push(Preprocess::Color { mode: mode.clone() }),
                    }
                }
                spec.input = Some(InputSpec {
                    tensor: tensor.node.clone(),
                    modalities,
                    steps: out,
                });
            }
            ModelStmt::Output {
                tensor,
                index,
                inclusive,
                threshold,
                meaning,
            } => {
                spec.output = Some(OutputSpec {
                    tensor: tensor.node.clone(),
                    // Typeck admits only whole numbers in u32 range.
                    index: index.as_ref().and_then(|i| match i.node {
                        Literal::Number { value, .. } => output_index(value),
                        _ => None,
                    }),
                    threshold: literal_fraction(&threshold.node),
                    inclusive: *inclusive,
                    positive: meaning.node.clone(),
                })
            }
            ModelStmt::Reference { path, labels } => {
                spec.reference = Some(ReferenceSpec {
                    path: path.node.clone(),
                    labels: labels.node.clone(),
                })
            }
            ModelStmt::Training(t) => spec.training_patients = Some(t.node.clone()),
            ModelStmt::Claims(claims) => {
                let structures: Vec<&str> = m
                    .node
                    .stmts
                    .iter()
                    .filter_map(|s| match &s.node {
                        ModelStmt::Segmentation { structures, .. } => Some(structures),
                        _ => None,
                    })
                    .flatten()
                    .map(|s| s.node.name.node.as_str())
                    .collect();
                super::analysis::lower_claims(claims, &structures, &mut spec);
            }
            ModelStmt::SeriesInput {
                tensor,
                conditions,
                steps,
            } => spec
                .series_inputs
                .push(super::volume::lower_series_input(tensor, conditions, steps)),
            ModelStmt::Segmentation { .. } => {
                spec.segmentation = super::volume::lower_segmentation(&stmt.node);
            }
            ModelStmt::Quantify(names) => {
                spec.quantify = names.iter().map(|n| n.node.clone()).collect();
            }
            ModelStmt::Findings { tensor, findings } => {
                spec.analysis.findings = super::analysis::lower_findings(tensor, findings);
                for f in findings.iter().filter(|f| !f.node.prevalence.is_empty()) {
                    spec.prevalence.findings.insert(
                        f.node.name.node.clone(),
                        f.node
                            .prevalence
                            .iter()
                            .map(|v| literal_fraction(&v.node))
                            .collect(),
                    );
                }
            }
            ModelStmt::Unit { level, aggregate } => {
                spec.analysis.unit = super::analysis::lower_unit(level, aggregate);
            }
            ModelStmt::Compare {
                predictions,
                path,
                sha256,
                version,
                thresholds,
            } => {
                spec.analysis.compare = Some(CompareSpec {
                    path: path.node.clone(),
                    predictions: *predictions,
                    sha256: sha256.as_ref().map(|h| h.node.clone()),
                    version: version.as_ref().map(|v| v.node.clone()),
                    thresholds: thresholds
                        .iter()
                        .map(|(n, v)| (n.node.clone(), literal_fraction(&v.node)))
                        .collect(),
                });
            }
            ModelStmt::Readers { path } => {
                spec.analysis.readers = Some(super::analysis::ReadersSpec {
                    path: path.node.clone(),
                });
            }
            ModelStmt::Documents(docs) => {
                for (kind, path) in docs {
                    spec.documents.insert(kind.node.clone(), path.node.clone());
                }
            }
            ModelStmt::Use(targets) => {
                for t in targets {
                    if let UseTarget::Name(n) = &t.node {
                        used.insert(n.clone());
                    }
                }
            }
            ModelStmt::Override { .. } => {}
            ModelStmt::Significance {
                significance,
                situation,
            } => {
                spec.significance = Some(significance.node.clone());
                spec.situation = situation.as_ref().map(|s| s.node.clone());
            }
            ModelStmt::SafetyClass(c) => spec.safety_class = Some(c.node.clone()),
            ModelStmt::Robustness(items) => {
                let mut r = RobustnessSpec {
                    perturbations: Vec::new(),
                    max_drop: DEFAULT_MAX_DROP,
                };
                for item in items {
                    match &item.node {
                        ast::RobustnessItem::Jpeg(q) => r.perturbations.push(Perturbation::Jpeg {
                            // Typeck admits whole numbers in 1..=100 only.
                            quality: literal_fraction(q).clamp(1.0, 100.0) as u32,
                        }),
                        ast::RobustnessItem::Jpeg2000(ratio) => {
                            r.perturbations.push(Perturbation::Jpeg2000 {
                                ratio: literal_fraction(ratio),
                            })
                        }
                        ast::RobustnessItem::Noise(f) => {
                            r.perturbations.push(Perturbation::Noise {
                                fraction: literal_fraction(f),
                            })
                        }
                        ast::RobustnessItem::Rotate(d) => {
                            r.perturbations.push(Perturbation::Rotate {
                                degrees: literal_fraction(d),
                            });
                        }
                        ast::RobustnessItem::MaxDrop(b) => r.max_drop = literal_fraction(b),
                    }
                }
                spec.robustness = Some(r);
            }
            ModelStmt::Prevalence(values) => {
                spec.prevalence.model = values.iter().map(|v| literal_fraction(&v.node)).collect();
            }
            ModelStmt::Runtime {
                name,
                version,
                tolerance,
            } => {
                spec.runtime = Some(RuntimeSpec {
                    name: name.node.clone(),
                    version: version.as_ref().map(|v| v.node.clone()),
                    tolerance: tolerance.as_ref().map(|t| literal_fraction(&t.node)),
                });
            }
        }
    }
    // The policies in force that the manifest's `use` names, by exact name or module.
    spec.policies = program
        .policies
        .iter()
        .map(|p| p.node.name.node.clone())
        .filter(|p| {
            used.iter()
                .any(|u| p == u || p.starts_with(&format!("{u}.")))
        })
        .collect();
    spec
}

fn check(
    policy: &ast::Policy,
    control: &Node<ast::Control>,
    at: &impl Fn(Loc) -> SourceLoc,
) -> Check {
    let mut citations = Vec::new();
    let mut severity = Severity::Major;
    let mut stage = Stage::Ci;
    let mut applies_when = None;
    let mut expect = Vec::new();
    let mut help = None;
    let mut facts = BTreeSet::new();
    for stmt in &control.node.stmts {
        match &stmt.node {
            ast::ControlStmt::Cites(cs) => {
                for c in cs {
                    let f = framework(&c.node.framework.node);
                    citations.push(CitationSpec {
                        framework: c.node.framework.node.clone(),
                        framework_name: f
                            .map_or_else(|| c.node.framework.node.clone(), |f| f.short.to_string()),
                        clause: c.node.clause.node.clone(),
                    });
                }
            }
            ast::ControlStmt::Severity(s) => {
                severity = Severity::parse(&s.node).unwrap_or(Severity::Major)
            }
            ast::ControlStmt::Stage(s) => stage = Stage::parse(&s.node).unwrap_or(Stage::Ci),
            ast::ControlStmt::AppliesWhen(e) => applies_when = Some(expectation(e, &mut facts)),
            ast::ControlStmt::Expect(e) => expect.push(expectation(e, &mut facts)),
            ast::ControlStmt::Help(h) => help = Some(h.node.clone()),
        }
    }
    Check {
        id: format!("{}.{}", policy.name.node, control.node.name.node),
        policy: policy.name.node.clone(),
        policy_title: policy.title.as_ref().map(|t| t.node.clone()),
        title: control.node.title.node.clone(),
        citations,
        severity,
        stage,
        applies_when,
        expect,
        help,
        facts: facts.into_iter().collect(),
        source: at(control.node.name.loc),
    }
}

fn expectation(e: &Node<Expr>, facts: &mut BTreeSet<String>) -> Expectation {
    let mut scope = Scope::new();
    Expectation {
        text: expr_text(&e.node),
        ir: ir(e, &mut scope, facts),
    }
}

fn waiver(w: &Node<ast::Waiver>, at: &impl Fn(Loc) -> SourceLoc) -> WaiverSpec {
    let mut spec = WaiverSpec {
        control: w.node.control.node.clone(),
        reason: String::new(),
        approved_by: String::new(),
        expires: String::new(),
        risk: None,
        source: at(w.node.control.loc),
    };
    for stmt in &w.node.stmts {
        match &stmt.node {
            ast::WaiverStmt::Reason(s) => spec.reason = s.node.clone(),
            ast::WaiverStmt::ApprovedBy(s) => spec.approved_by = s.node.clone(),
            ast::WaiverStmt::Expires(s) => spec.expires = s.node.clone(),
            ast::WaiverStmt::Risk(s) => spec.risk = Some(s.node.clone()),
        }
    }
    spec
}

fn test(t: &Node<ast::TestBlock>, at: &impl Fn(Loc) -> SourceLoc) -> TestSpec {
    let mut given = Vec::new();
    let mut expect = Vec::new();
    let mut unused = BTreeSet::new();
    for stmt in &t.node.stmts {
        match &stmt.node {
            ast::TestStmt::Given(assignments) => {
                for (path, value) in assignments {
                    let (fact, args) = match path_head(&path.node, &Scope::new()) {
                        Some(Head::Fact(def, used)) => {
                            let args = path
                                .node
                                .segments
                                .get(used - 1)
                                .and_then(|s| s.node.args.as_ref());
                            let args = args
                                .map(|a| a.iter().map(|e| const_value(&e.node)).collect())
                                .unwrap_or_default();
                            (def.path.to_string(), args)
                        }
                        _ => (path.node.dotted(), Vec::new()),
                    };
                    given.push(GivenFact {
                        fact,
                        args,
                        value: ir(value, &mut Scope::new(), &mut unused),
                    });
                }
            }
            ast::TestStmt::Expect { control, outcome } => expect.push(ExpectedOutcome {
                control: control.node.clone(),
                outcome: match outcome.node.as_str() {
                    "passes" => Outcome::Passes,
                    "skipped" => Outcome::Skipped,
                    _ => Outcome::Fails,
                },
            }),
        }
    }
    TestSpec {
        name: t.node.name.node.clone(),
        given,
        expect,
        source: at(t.node.name.loc),
    }
}

/// The value of a literal expression (call arguments are literals).
fn const_value(e: &Expr) -> Value {
    match e {
        Expr::Lit(l) => literal_value(l),
        Expr::Paren(inner) => const_value(&inner.node),
        _ => Value::Null,
    }
}

fn literal_value(l: &Literal) -> Value {
    match l {
        Literal::Number { value, .. } | Literal::Percent { value, .. } => Value::Number(*value),
        Literal::String(s) => Value::String(s.clone()),
        Literal::Date(d) => Value::Date(d.clone()),
        Literal::Version(v) => Value::Version(v.clone()),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Class(c) => Value::Class(c.as_str().to_string()),
    }
}

fn ir(e: &Node<Expr>, scope: &mut Scope, facts: &mut BTreeSet<String>) -> Ir {
    let b = |x: Ir| Box::new(x);
    match &e.node {
        Expr::Lit(l) => Ir::Const {
            value: literal_value(l),
        },
        Expr::None => Ir::Const { value: Value::Null },
        Expr::Paren(inner) => ir(inner, scope, facts),
        Expr::Path(p) => path_ir(p, scope, facts),
        Expr::Not(arg) => Ir::Not {
            arg: b(ir(arg, scope, facts)),
        },
        Expr::Neg(arg) => Ir::Neg {
            arg: b(ir(arg, scope, facts)),
        },
        Expr::Binary { op, lhs, rhs } => {
            let (l, r) = (b(ir(lhs, scope, facts)), b(ir(rhs, scope, facts)));
            match op {
                ast::BinOp::And => Ir::And { lhs: l, rhs: r },
                ast::BinOp::Or => Ir::Or { lhs: l, rhs: r },
                ast::BinOp::Add => Ir::Arith {
                    arith: ArithOp::Add,
                    lhs: l,
                    rhs: r,
                },
                ast::BinOp::Sub => Ir::Arith {
                    arith: ArithOp::Sub,
                    lhs: l,
                    rhs: r,
                },
                ast::BinOp::Mul => Ir::Arith {
                    arith: ArithOp::Mul,
                    lhs: l,
                    rhs: r,
                },
                ast::BinOp::Div => Ir::Arith {
                    arith: ArithOp::Div,
                    lhs: l,
                    rhs: r,
                },
            }
        }
        Expr::Compare { op, lhs, rhs } => Ir::Compare {
            cmp: *op,
            lhs: b(ir(lhs, scope, facts)),
            rhs: b(ir(rhs, scope, facts)),
        },
        Expr::In {
            negated,
            elem,
            list,
        } => Ir::In {
            negated: *negated,
            elem: b(ir(elem, scope, facts)),
            list: b(ir(list, scope, facts)),
        },
        Expr::Matches { subject, pattern } => Ir::Matches {
            subject: b(ir(subject, scope, facts)),
            pattern: pattern.node.clone(),
        },
        Expr::Exists(p) => Ir::Exists {
            arg: b(path_ir(&p.node, scope, facts)),
        },
        Expr::Quantifier {
            kind,
            var,
            over,
            body,
        } => {
            let over = b(ir(over, scope, facts));
            scope.push((var.node.clone(), crate::schema::Type::Any));
            let body = b(ir(body, scope, facts));
            scope.pop();
            Ir::Quantifier {
                kind: *kind,
                var: var.node.clone(),
                over,
                body,
            }
        }
        Expr::Count { over, filter } => {
            let over = b(ir(over, scope, facts));
            let filter = filter.as_ref().map(|(var, body)| {
                scope.push((var.node.clone(), crate::schema::Type::Any));
                let body = b(ir(body, scope, facts));
                scope.pop();
                (var.node.clone(), body)
            });
            Ir::Count { over, filter }
        }
        Expr::Of { value, n } => Ir::Proportion {
            value: b(ir(value, scope, facts)),
            n: b(ir(n, scope, facts)),
        },
        Expr::List(items) => Ir::List {
            items: items.iter().map(|i| ir(i, scope, facts)).collect(),
        },
        Expr::Record(fields) => {
            let mut fs: Vec<(String, Ir)> = fields
                .iter()
                .map(|(n, v)| (n.node.clone(), ir(v, scope, facts)))
                .collect();
            fs.sort_by(|a, b| a.0.cmp(&b.0));
            Ir::Record { fields: fs }
        }
    }
}

fn path_ir(p: &ast::Path, scope: &Scope, facts: &mut BTreeSet<String>) -> Ir {
    let (mut out, used) = match path_head(p, scope) {
        Some(Head::Var(name, _)) => (Ir::Var { name }, 1),
        Some(Head::Fact(def, used)) => {
            let args: Vec<Value> = p.segments[used - 1]
                .node
                .args
                .as_ref()
                .map(|a| a.iter().map(|e| const_value(&e.node)).collect())
                .unwrap_or_default();
            let shown = if args.is_empty() {
                def.path.to_string()
            } else {
                format!(
                    "{}({})",
                    def.path,
                    args.iter()
                        .map(Value::display)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            facts.insert(shown);
            (
                Ir::Fact {
                    path: def.path.to_string(),
                    args,
                },
                used,
            )
        }
        None => (Ir::Const { value: Value::Null }, p.segments.len()),
    };
    for seg in &p.segments[used..] {
        out = Ir::Field {
            base: Box::new(out),
            field: seg.node.name.clone(),
        };
    }
    out
}
