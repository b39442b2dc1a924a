//! Checks of blocks: the statements each must hold, their values, citations, and
//! the controls waivers and tests name.

use super::model::check_model;
use super::{literal_type, path_head, Head, Scope, Typeck};
use crate::ast::*;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::frameworks::{catalogued, clause, framework, CLAUSES, FRAMEWORKS};
use crate::resolve::Program;
use crate::schema::Type;
use crate::source::Loc;
use std::collections::BTreeMap;

/// Checks every block of the program.
pub(crate) fn check_program(program: &Program, diags: &mut Vec<Diagnostic>) {
    if let Some(model) = &program.model {
        check_model(model, diags);
    }
    let mut ids: BTreeMap<String, Loc> = BTreeMap::new();
    for policy in &program.policies {
        for control in &policy.node.controls {
            let id = format!("{}.{}", policy.node.name.node, control.node.name.node);
            if let Some(first) = ids.get(&id) {
                diags.push(
                    Diagnostic::new(
                        Code::E007,
                        format!("control `{id}` is defined twice"),
                        control.node.name.loc,
                        "defined again here",
                    )
                    .with_label(*first, "first defined here"),
                );
            } else {
                ids.insert(id, control.node.name.loc);
            }
            check_control(control, diags);
        }
    }
    if let Some(model) = &program.model {
        check_overrides(model, &ids, diags);
    }
    let mut waived: BTreeMap<&str, Loc> = BTreeMap::new();
    for waiver in &program.waivers {
        let id = waiver.node.control.node.as_str();
        known_control(id, waiver.node.control.loc, &ids, diags);
        if let Some(first) = waived.insert(id, waiver.node.control.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E007,
                    format!("control `{id}` is waived twice"),
                    waiver.node.control.loc,
                    "second waiver",
                )
                .with_label(first, "first waiver")
                .with_help("keep one waiver per control; merge the reasons"),
            );
        }
        check_waiver(waiver, diags);
    }
    let mut tests: BTreeMap<&str, Loc> = BTreeMap::new();
    for test in &program.tests {
        if let Some(first) = tests.insert(test.node.name.node.as_str(), test.node.name.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E007,
                    format!("test `{}` is defined twice", test.node.name.node),
                    test.node.name.loc,
                    "defined again here",
                )
                .with_label(first, "first defined here"),
            );
        }
        check_test(test, &ids, diags);
    }
}

/// Each `override` names a control in force, once.
fn check_overrides(model: &Node<Model>, ids: &BTreeMap<String, Loc>, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for stmt in &model.node.stmts {
        let ModelStmt::Override { control, .. } = &stmt.node else {
            continue;
        };
        known_control(&control.node, control.loc, ids, diags);
        if let Some(first) = seen.insert(control.node.as_str(), control.loc) {
            diags.push(
                Diagnostic::new(
                    Code::E014,
                    format!("the stage of `{}` is overridden twice", control.node),
                    control.loc,
                    "second time",
                )
                .with_label(first, "first time"),
            );
        }
    }
}

fn known_control(
    id: &str,
    loc: Loc,
    ids: &BTreeMap<String, Loc>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if ids.contains_key(id) {
        return true;
    }
    let mut d = Diagnostic::new(
        Code::E005,
        format!("unknown control `{id}`"),
        loc,
        "no control in force has this id",
    );
    d = match did_you_mean(id, ids.keys().map(String::as_str)) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help("control ids are `policy.control`; is its policy in a `use`?"),
    };
    diags.push(d);
    false
}

/// Reports a statement given twice.
pub(super) fn once<T>(
    seen: &mut BTreeMap<&'static str, Loc>,
    what: &'static str,
    stmt: &Node<T>,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(first) = seen.insert(what, stmt.loc) {
        diags.push(
            Diagnostic::new(
                Code::E014,
                format!("`{what}` is given twice"),
                stmt.loc,
                "second time",
            )
            .with_label(first, "first time")
            .with_help("keep one"),
        );
    }
}

pub(super) fn missing(
    seen: &BTreeMap<&'static str, Loc>,
    needed: &[&'static str],
    block: &str,
    loc: Loc,
    within: Loc,
    diags: &mut Vec<Diagnostic>,
) {
    // A block with a syntax error lost statements to recovery: don't pile on.
    let broken = diags.iter().any(|d| {
        d.code == Code::E001
            && d.loc().is_some_and(|l| {
                l.file == within.file && (within.start..within.end).contains(&l.start)
            })
    });
    if broken {
        return;
    }
    let absent: Vec<String> = needed
        .iter()
        .filter(|n| !seen.contains_key(*n))
        .map(|n| format!("`{n}`"))
        .collect();
    if !absent.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::E011,
                format!("{block} lacks {}", absent.join(", ")),
                loc,
                "declared here",
            )
            .with_help(format!("add {}", absent.join(" and "))),
        );
    }
}

fn check_control(control: &Node<Control>, diags: &mut Vec<Diagnostic>) {
    let mut seen = BTreeMap::new();
    let mut tc = Typeck { diags };
    for stmt in &control.node.stmts {
        match &stmt.node {
            ControlStmt::Cites(citations) => {
                once(&mut seen, "cites", stmt, tc.diags);
                for c in citations {
                    if framework(&c.node.framework.node).is_none() {
                        let ids = FRAMEWORKS.iter().map(|f| f.id);
                        let mut d = Diagnostic::new(
                            Code::E006,
                            format!("unknown framework `{}`", c.node.framework.node),
                            c.node.framework.loc,
                            "not in the catalogue",
                        );
                        d = match did_you_mean(&c.node.framework.node, ids) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!(
                                "frameworks are {}",
                                FRAMEWORKS
                                    .iter()
                                    .map(|f| f.id)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        tc.diags.push(d);
                    }
                    let (fw, clause_id) = (&c.node.framework.node, &c.node.clause.node);
                    if catalogued(fw, clause_id) && clause(fw, clause_id).is_none() {
                        let known = CLAUSES
                            .iter()
                            .filter(|k| k.framework == fw.as_str())
                            .map(|k| k.id);
                        let mut d = Diagnostic::new(
                            Code::E018,
                            format!(
                                "unknown clause `{clause_id}` of {}",
                                framework(fw).map_or(fw.as_str(), |f| f.short)
                            ),
                            c.node.clause.loc,
                            "not a clause of this part",
                        );
                        d = match did_you_mean(clause_id, known) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(
                                "`clic explain` of a control shows the clauses it cites; the catalogue is compiler/src/frameworks.rs",
                            ),
                        };
                        tc.diags.push(d);
                    }
                    if c.node.clause.node.trim().is_empty() {
                        tc.diags.push(Diagnostic::new(
                            Code::E012,
                            "a citation needs a clause",
                            c.node.clause.loc,
                            "empty clause",
                        ));
                    }
                }
            }
            ControlStmt::Severity(_) => once(&mut seen, "severity", stmt, tc.diags),
            ControlStmt::Stage(_) => once(&mut seen, "stage", stmt, tc.diags),
            ControlStmt::Help(_) => once(&mut seen, "help", stmt, tc.diags),
            ControlStmt::AppliesWhen(e) => {
                once(&mut seen, "applies when", stmt, tc.diags);
                tc.bool_expr(e, "`applies when`", &mut Scope::new());
            }
            ControlStmt::Expect(e) => {
                seen.entry("expect").or_insert(stmt.loc);
                tc.bool_expr(e, "`expect`", &mut Scope::new());
            }
        }
    }
    missing(
        &seen,
        &["cites", "severity", "expect"],
        &format!("control `{}`", control.node.name.node),
        control.node.name.loc,
        control.loc,
        tc.diags,
    );
}

fn check_waiver(waiver: &Node<Waiver>, diags: &mut Vec<Diagnostic>) {
    let mut seen = BTreeMap::new();
    for stmt in &waiver.node.stmts {
        let (what, text) = match &stmt.node {
            WaiverStmt::Reason(s) => ("reason", Some(s)),
            WaiverStmt::ApprovedBy(s) => ("approved_by", Some(s)),
            WaiverStmt::Expires(_) => ("expires", None),
            WaiverStmt::Risk(s) => ("risk", Some(s)),
        };
        once(&mut seen, what, stmt, diags);
        if let Some(s) = text.filter(|s| s.node.trim().is_empty()) {
            diags.push(
                Diagnostic::new(Code::E012, format!("`{what}` is empty"), s.loc, "empty")
                    .with_help("a waiver must say why, and who approved it"),
            );
        }
    }
    missing(
        &seen,
        &["reason", "approved_by", "expires"],
        &format!("the waiver of `{}`", waiver.node.control.node),
        waiver.node.control.loc,
        waiver.loc,
        diags,
    );
}

fn check_test(test: &Node<TestBlock>, ids: &BTreeMap<String, Loc>, diags: &mut Vec<Diagnostic>) {
    let mut expected: BTreeMap<String, Loc> = BTreeMap::new();
    let mut given: BTreeMap<String, Loc> = BTreeMap::new();
    for stmt in &test.node.stmts {
        match &stmt.node {
            TestStmt::Expect { control, .. } => {
                known_control(&control.node, control.loc, ids, diags);
                if let Some(first) = expected.insert(control.node.clone(), control.loc) {
                    diags.push(
                        Diagnostic::new(
                            Code::E017,
                            format!("the outcome of `{}` is expected twice", control.node),
                            control.loc,
                            "second time",
                        )
                        .with_label(first, "first time"),
                    );
                }
            }
            TestStmt::Given(assignments) => {
                for (path, value) in assignments {
                    check_given(path, value, &mut given, diags);
                }
            }
        }
    }
    if expected.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::E011,
                format!("test `{}` expects nothing", test.node.name.node),
                test.node.name.loc,
                "no `expect`",
            )
            .with_help("add `expect policy.control passes` (or `fails`, `skipped`)"),
        );
    }
}

fn check_given(
    path: &Node<Path>,
    value: &Node<Expr>,
    given: &mut BTreeMap<String, Loc>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut scope = Scope::new();
    let mut tc = Typeck { diags };
    let ty = tc.path(&path.node, path.loc, &mut scope);
    let whole_fact = matches!(path_head(&path.node, &scope), Some(Head::Fact(_, used)) if used == path.node.segments.len());
    if ty != Type::Any && !whole_fact {
        tc.diags.push(
            Diagnostic::new(
                Code::E017,
                "a test can only set whole facts",
                path.loc,
                "a field of a fact",
            )
            .with_help("set the whole fact, e.g. `benchmark.sensitivity = 0.84 of 100`"),
        );
        return;
    }
    let key = format!("{:?}", path.node);
    if let Some(first) = given.insert(key, path.loc) {
        tc.diags.push(
            Diagnostic::new(
                Code::E017,
                format!("`{}` is given twice", path.node.dotted()),
                path.loc,
                "second time",
            )
            .with_label(first, "first time"),
        );
    }
    if ty != Type::Any {
        check_value(&ty, value, &mut tc);
    }
}

/// Checks test data against the type it must have.
fn check_value(want: &Type, value: &Node<Expr>, tc: &mut Typeck<'_>) {
    let mismatch = |tc: &mut Typeck<'_>, got: &str| {
        tc.diags.push(
            Diagnostic::new(
                Code::E017,
                format!("expected a {want}, but this is {got}"),
                value.loc,
                format!("this is {got}"),
            )
            .with_help(match want {
                Type::Proportion => "write a proportion as `0.84 of 100` (value of n)".to_string(),
                Type::Record(_) => "write a record as `{ field: value, ... }`".to_string(),
                Type::List(_) => "write a list as `[a, b]`".to_string(),
                _ => format!("write a {want} literal"),
            }),
        );
    };
    match (&value.node, want) {
        (Expr::None, _) => {}
        (Expr::Paren(inner), _) => check_value(want, inner, tc),
        (Expr::Of { value: share, n }, Type::Proportion | Type::Number) => {
            tc.expr(value, &mut Scope::new());
            super::constant::check_proportion(share, n, tc.diags);
        }
        (Expr::Record(fields), t) if t.record().is_some() => {
            let Some(record) = t.record() else { return };
            for (name, v) in fields {
                match record.fields.iter().find(|(n, _, _)| *n == name.node) {
                    Some((_, ft, _)) => check_value(&Type::parse(ft), v, tc),
                    None => {
                        let mut d = Diagnostic::new(
                            Code::E013,
                            format!("a {} has no field `{}`", record.name, name.node),
                            name.loc,
                            "no such field",
                        );
                        if let Some(s) =
                            did_you_mean(&name.node, record.fields.iter().map(|(n, _, _)| *n))
                        {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        tc.diags.push(d);
                    }
                }
            }
        }
        (Expr::List(items), Type::List(inner)) => {
            for item in items {
                check_value(inner, item, tc);
            }
        }
        (Expr::Lit(l), t) => {
            let got = literal_type(l);
            let fits = match t {
                Type::Proportion => false,
                _ => got.fits(t),
            };
            if !fits {
                mismatch(tc, &format!("a {got}"));
            }
        }
        (Expr::Neg(_), Type::Number) => {
            tc.expr(value, &mut Scope::new());
        }
        (Expr::Record(_), _) => mismatch(tc, "a record"),
        (Expr::List(_), _) => mismatch(tc, "a list"),
        (Expr::Of { .. }, _) => mismatch(tc, "a Proportion"),
        _ => mismatch(tc, "not a constant"),
    }
}
