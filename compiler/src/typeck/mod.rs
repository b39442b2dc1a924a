//! Type checking: every expression against the fact schema, every block for the
//! statements it must hold. Reports all errors; never stops at the first.

mod analysis;
mod constant;
mod items;
mod model;
mod volume;

pub(crate) use items::check_program;

use crate::ast::*;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::schema::{self, FactDef, Type, FACTS};
use crate::source::Loc;

/// Variables bound by enclosing quantifiers.
pub(crate) type Scope = Vec<(String, Type)>;

/// What a path starts with.
pub(crate) enum Head {
    /// A bound variable (one segment).
    Var(String, Type),
    /// A fact (as many segments as its dotted path has).
    Fact(&'static FactDef, usize),
}

/// Splits a path into its head (variable or fact) and the fields read after it.
pub(crate) fn path_head(path: &Path, scope: &Scope) -> Option<Head> {
    let first = path.segments.first()?;
    if let Some((_, t)) = scope.iter().rev().find(|(n, _)| *n == first.node.name) {
        return Some(Head::Var(first.node.name.clone(), t.clone()));
    }
    let mut dotted = String::new();
    let mut best = None;
    for (i, seg) in path.segments.iter().enumerate() {
        if i > 0 {
            dotted.push('.');
        }
        dotted.push_str(&seg.node.name);
        if let Some(def) = schema::fact(&dotted) {
            best = Some(Head::Fact(def, i + 1));
        }
        if seg.node.args.is_some() {
            break;
        }
    }
    best
}

pub(crate) struct Typeck<'d> {
    pub diags: &'d mut Vec<Diagnostic>,
}

impl Typeck<'_> {
    fn error(&mut self, d: Diagnostic) -> Type {
        self.diags.push(d);
        Type::Any
    }

    /// Checks an expression that must be a Bool.
    pub fn bool_expr(&mut self, e: &Node<Expr>, what: &str, scope: &mut Scope) {
        let t = self.expr(e, scope);
        if t != Type::Bool && t != Type::Any {
            self.diags.push(
                Diagnostic::new(
                    Code::E003,
                    format!("{what} must be a Bool, but this is a {t}"),
                    e.loc,
                    format!("this is a {t}"),
                )
                .with_help("compare it with something, e.g. `>= 90%`, or use a Bool fact"),
            );
        }
    }

    /// The type of an expression, reporting every error inside it.
    pub fn expr(&mut self, e: &Node<Expr>, scope: &mut Scope) -> Type {
        match &e.node {
            Expr::Lit(l) => literal_type(l),
            Expr::None => Type::Any,
            Expr::Paren(inner) => self.expr(inner, scope),
            Expr::Path(p) => self.path(p, e.loc, scope),
            Expr::Not(arg) => {
                self.bool_expr(arg, "the operand of `not`", scope);
                Type::Bool
            }
            Expr::Neg(arg) => {
                let t = self.expr(arg, scope);
                self.numeric(&t, arg.loc, "`-`");
                Type::Number
            }
            Expr::Binary {
                op: op @ (BinOp::And | BinOp::Or),
                lhs,
                rhs,
            } => {
                let what = format!("each side of `{}`", op.as_str());
                self.bool_expr(lhs, &what, scope);
                self.bool_expr(rhs, &what, scope);
                Type::Bool
            }
            Expr::Binary { op, lhs, rhs } => {
                let (l, r) = (self.expr(lhs, scope), self.expr(rhs, scope));
                let what = format!("`{}`", op.as_str());
                self.numeric(&l, lhs.loc, &what);
                self.numeric(&r, rhs.loc, &what);
                Type::Number
            }
            Expr::Compare { op, lhs, rhs } => {
                let (l, r) = (self.expr(lhs, scope), self.expr(rhs, scope));
                let ordered = matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
                let comparable = l.fits(&r)
                    && (!ordered
                        || l.is_numeric()
                        || r.is_numeric()
                        || matches!(l, Type::Date | Type::Version | Type::Class));
                if !comparable && l != Type::Any && r != Type::Any {
                    let help = if ordered && l == r {
                        format!("`{}` orders numbers, dates, versions and device classes; a {l} has no order", op.as_str())
                    } else {
                        "both sides must have the same type; numbers and proportions mix"
                            .to_string()
                    };
                    return self.error(
                        Diagnostic::new(
                            Code::E003,
                            format!("cannot compare a {l} with a {r}"),
                            e.loc,
                            format!("{l} {} {r}", op.as_str()),
                        )
                        .with_label(lhs.loc, format!("this is a {l}"))
                        .with_label(rhs.loc, format!("this is a {r}"))
                        .with_help(help),
                    );
                }
                Type::Bool
            }
            Expr::In { elem, list, .. } => {
                let (el, li) = (self.expr(elem, scope), self.expr(list, scope));
                match &li {
                    Type::List(inner) if !el.fits(inner) => self.error(
                        Diagnostic::new(
                            Code::E003,
                            format!("a {el} cannot be in a {li}"),
                            elem.loc,
                            format!("this is a {el}"),
                        )
                        .with_label(list.loc, format!("this is a {li}")),
                    ),
                    Type::List(_) | Type::Any => Type::Bool,
                    other => self.error(
                        Diagnostic::new(
                            Code::E003,
                            format!("`in` needs a list on its right, but this is a {other}"),
                            list.loc,
                            format!("this is a {other}"),
                        )
                        .with_help("write a list such as `[\"CR\", \"DX\"]` or use a List fact"),
                    ),
                }
            }
            Expr::Matches { subject, pattern } => {
                let t = self.expr(subject, scope);
                if t != Type::String && t != Type::Any {
                    self.diags.push(Diagnostic::new(
                        Code::E003,
                        format!("`matches` needs a String, but this is a {t}"),
                        subject.loc,
                        format!("this is a {t}"),
                    ));
                }
                if let Err(err) = regex_syntax::Parser::new().parse(&pattern.node) {
                    let first = err
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid pattern")
                        .trim()
                        .to_string();
                    self.diags.push(
                        Diagnostic::new(Code::E010, "invalid regular expression", pattern.loc, first)
                            .with_help("patterns use Rust regex syntax; escape a literal `.` or `(` with a backslash"),
                    );
                }
                Type::Bool
            }
            Expr::Exists(p) => {
                self.path(&p.node, p.loc, scope);
                Type::Bool
            }
            Expr::Quantifier {
                var, over, body, ..
            } => {
                let elem = self.list_elem(over, scope);
                self.bind(var, elem, scope, |tc, scope| {
                    tc.bool_expr(body, "the condition of a quantifier", scope)
                });
                Type::Bool
            }
            Expr::Count { over, filter } => {
                let elem = self.list_elem(over, scope);
                if let Some((var, body)) = filter {
                    self.bind(var, elem, scope, |tc, scope| {
                        tc.bool_expr(body, "the condition of `count`", scope)
                    });
                }
                Type::Number
            }
            Expr::Of { value, n } => {
                let (v, c) = (self.expr(value, scope), self.expr(n, scope));
                self.numeric(&v, value.loc, "`of`");
                self.numeric(&c, n.loc, "`of`");
                Type::Proportion
            }
            Expr::List(items) => {
                let mut elem = Type::Any;
                for item in items {
                    let t = self.expr(item, scope);
                    if elem == Type::Any {
                        elem = t;
                    } else if !elem.fits(&t) {
                        self.diags.push(Diagnostic::new(
                            Code::E003,
                            format!("a list of {elem} cannot hold a {t}"),
                            item.loc,
                            format!("this is a {t}"),
                        ));
                    }
                }
                Type::List(Box::new(elem))
            }
            Expr::Record(_) => self.error(
                Diagnostic::new(
                    Code::E003,
                    "a record literal can only be test data",
                    e.loc,
                    "record literal",
                )
                .with_help("use `{ field: value }` in a test's `given`"),
            ),
        }
    }

    fn bind(
        &mut self,
        var: &Node<String>,
        ty: Type,
        scope: &mut Scope,
        body: impl FnOnce(&mut Self, &mut Scope),
    ) {
        if Type::Any != ty
            && FACTS
                .iter()
                .any(|f| f.path.split('.').next() == Some(var.node.as_str()))
        {
            self.diags.push(
                Diagnostic::new(
                    Code::E015,
                    format!("`{}` is a fact root and cannot name a variable", var.node),
                    var.loc,
                    "shadows a fact root",
                )
                .with_help("pick another name, e.g. `g` or `item`"),
            );
        }
        scope.push((var.node.clone(), ty));
        body(self, scope);
        scope.pop();
    }

    fn list_elem(&mut self, over: &Node<Expr>, scope: &mut Scope) -> Type {
        match self.expr(over, scope) {
            Type::List(inner) => *inner,
            Type::Any => Type::Any,
            other => self.error(
                Diagnostic::new(Code::E003, format!("expected a list, but this is a {other}"), over.loc, format!("this is a {other}"))
                    .with_help("quantifiers and `count` range over List facts, e.g. `benchmark.by(\"Manufacturer\")`"),
            ),
        }
    }

    fn numeric(&mut self, t: &Type, loc: Loc, what: &str) {
        if !t.is_numeric() {
            self.diags.push(Diagnostic::new(
                Code::E003,
                format!("{what} needs a Number, but this is a {t}"),
                loc,
                format!("this is a {t}"),
            ));
        }
    }

    /// The type of a path; reports unknown facts, fields and wrong arguments.
    pub fn path(&mut self, path: &Path, loc: Loc, scope: &mut Scope) -> Type {
        let Some(head) = path_head(path, scope) else {
            return self.unknown_fact(path, loc, scope);
        };
        let (mut ty, used) = match head {
            Head::Var(_, t) => (t, 1),
            Head::Fact(def, used) => {
                let last = &path.segments[used - 1];
                match (&last.node.args, def.params.is_empty()) {
                    (Some(args), false) => {
                        if args.len() != def.params.len() {
                            self.diags.push(Diagnostic::new(
                                Code::E003,
                                format!(
                                    "`{}` takes {} argument(s), but {} were given",
                                    def.path,
                                    def.params.len(),
                                    args.len()
                                ),
                                last.loc,
                                "wrong number of arguments",
                            ));
                        }
                        for (arg, param) in args.iter().zip(def.params) {
                            let want = Type::parse(param);
                            let got = self.expr(arg, scope);
                            if !got.fits(&want)
                                || (got.is_numeric() != want.is_numeric() && got != Type::Any)
                            {
                                self.diags.push(Diagnostic::new(
                                    Code::E003,
                                    format!("expected a {want}, but this is a {got}"),
                                    arg.loc,
                                    format!("this is a {got}"),
                                ));
                            }
                        }
                    }
                    (None, false) => {
                        self.diags.push(
                            Diagnostic::new(
                                Code::E003,
                                format!("`{}` needs an argument", def.path),
                                last.loc,
                                "called without arguments",
                            )
                            .with_help(format!("write `{}(\"Manufacturer\")`", def.path)),
                        );
                    }
                    (Some(_), true) => {
                        self.diags.push(Diagnostic::new(
                            Code::E003,
                            format!("`{}` is not a function", def.path),
                            last.loc,
                            "takes no arguments",
                        ));
                    }
                    (None, true) => {}
                }
                (def.ty(), used)
            }
        };
        for seg in &path.segments[used..] {
            let Some(record) = ty.record() else {
                return self.error(
                    Diagnostic::new(Code::E013, format!("a {ty} has no field `{}`", seg.node.name), seg.loc, "no such field")
                        .with_help(match &ty {
                            Type::List(_) => "to read a field of each element, use a quantifier: `all x in list: x.field ...`".to_string(),
                            _ => format!("a {ty} has no fields"),
                        }),
                );
            };
            match record.fields.iter().find(|(n, _, _)| *n == seg.node.name) {
                Some((_, t, _)) => ty = Type::parse(t),
                None => {
                    let mut d = Diagnostic::new(
                        Code::E013,
                        format!("a {} has no field `{}`", record.name, seg.node.name),
                        seg.loc,
                        "no such field",
                    );
                    d = match did_you_mean(&seg.node.name, record.fields.iter().map(|(n, _, _)| *n))
                    {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => {
                            let names: Vec<&str> =
                                record.fields.iter().map(|(n, _, _)| *n).collect();
                            d.with_help(format!("its fields are {}", names.join(", ")))
                        }
                    };
                    return self.error(d);
                }
            }
            if seg.node.args.is_some() {
                return self.error(Diagnostic::new(
                    Code::E003,
                    format!("field `{}` is not a function", seg.node.name),
                    seg.loc,
                    "takes no arguments",
                ));
            }
        }
        ty
    }

    fn unknown_fact(&mut self, path: &Path, loc: Loc, scope: &Scope) -> Type {
        let dotted = path.dotted();
        if schema::is_prefix(&dotted) {
            let members: Vec<&str> = FACTS
                .iter()
                .filter(|f| f.path.starts_with(&format!("{dotted}.")))
                .map(|f| f.path)
                .take(4)
                .collect();
            return self.error(
                Diagnostic::new(
                    Code::E002,
                    format!("`{dotted}` is a group of facts, not a fact"),
                    loc,
                    "a group of facts",
                )
                .with_help(format!(
                    "read one of its facts, e.g. {}",
                    members
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
        let root = path
            .segments
            .first()
            .map(|s| s.node.name.as_str())
            .unwrap_or("");
        let is_root = FACTS.iter().any(|f| f.path.split('.').next() == Some(root));
        let mut candidates: Vec<&str> = FACTS.iter().map(|f| f.path).collect();
        candidates.extend(scope.iter().map(|(n, _)| n.as_str()));
        let mut d = if path.segments.len() == 1 && !is_root {
            Diagnostic::new(
                Code::E002,
                format!("unknown fact or variable `{dotted}`"),
                loc,
                "not a fact, nor a variable in scope",
            )
        } else {
            Diagnostic::new(
                Code::E002,
                format!("unknown fact `{dotted}`"),
                loc,
                "not in the fact schema",
            )
        };
        d = match did_you_mean(&dotted, candidates) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("`clic explain facts` lists every fact with its type"),
        };
        self.error(d)
    }
}

/// The type of a literal.
pub(crate) fn literal_type(l: &Literal) -> Type {
    match l {
        Literal::Number { .. } | Literal::Percent { .. } => Type::Number,
        Literal::String(_) => Type::String,
        Literal::Date(_) => Type::Date,
        Literal::Version(_) => Type::Version,
        Literal::Bool(_) => Type::Bool,
        Literal::Class(_) => Type::Class,
    }
}
