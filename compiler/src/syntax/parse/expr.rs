//! Expressions: pest's precedence rules to a balanced AST, nested at most
//! [`MAX_DEPTH`] deep, and the literals and paths in them.

use super::{unescape, Parse, Rule};
use crate::ast::*;
use crate::dates::is_calendar_date;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::Loc;
use crate::syntax::depth::{self, MAX_DEPTH};
use pest::iterators::Pair;

impl<'t> Parse<'t> {
    /// The expression of a statement. Its tree is at most [`MAX_DEPTH`] deep; a deeper
    /// one is reported once (E019) and left out, so no later stage recurses deeper.
    pub(super) fn root_expr(&mut self, pair: Pair<'t, Rule>) -> Node<Expr> {
        self.too_deep = false;
        self.expr(pair, 1)
    }

    /// Reports an expression nested too deeply, once per statement; stands in `none`.
    pub(super) fn deep(&mut self, loc: Loc) -> Node<Expr> {
        if !self.too_deep {
            self.too_deep = true;
            self.diags.push(depth::too_deep(loc));
        }
        Node::new(Expr::None, loc)
    }

    /// An expression node at `depth` (the root is at 1). The grammar's precedence rules
    /// nest pairs that add nothing when they have one child; they are stepped through in
    /// a loop, so the recursion here follows the tree that is built, not the grammar.
    pub(super) fn expr(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Node<Expr> {
        let pair = step_through(pair);
        let loc = self.loc(&pair);
        if depth > MAX_DEPTH {
            return self.deep(loc);
        }
        let inner = depth + 1;
        let rule = pair.as_rule();
        match rule {
            Rule::paren => match pair.into_inner().next() {
                Some(e) => Node::new(Expr::Paren(Box::new(self.expr(e, inner))), loc),
                None => Node::new(Expr::None, loc),
            },
            Rule::disjunction | Rule::conjunction => self.logic_chain(pair, depth),
            Rule::additive | Rule::multiplicative => self.arithmetic_chain(pair, depth),
            Rule::negation => {
                let arg = pair.into_inner().find(|p| p.as_rule() != Rule::kw_not);
                match arg {
                    Some(arg) => Node::new(Expr::Not(Box::new(self.expr(arg, inner))), loc),
                    None => Node::new(Expr::None, loc),
                }
            }
            Rule::comparison => self.comparison(pair, depth),
            Rule::proportion => {
                let mut parts = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_of);
                let (Some(value), Some(n)) = (parts.next(), parts.next()) else {
                    return Node::new(Expr::None, loc);
                };
                Node::new(
                    Expr::Of {
                        value: Box::new(self.expr(value, inner)),
                        n: Box::new(self.expr(n, inner)),
                    },
                    loc,
                )
            }
            Rule::unary => {
                let mut parts: Vec<_> = pair.into_inner().collect();
                let Some(primary) = parts.pop() else {
                    return Node::new(Expr::None, loc);
                };
                // `- - x`: the primary sits one level below the last `-`.
                if depth + parts.len() > MAX_DEPTH {
                    return self.deep(loc);
                }
                let mut e = self.expr(primary, depth + parts.len());
                for neg in parts.iter().rev() {
                    let nloc = self.loc(neg).to(e.loc);
                    e = Node::new(Expr::Neg(Box::new(e)), nloc);
                }
                e
            }
            Rule::literal => match self.literal(pair.clone()) {
                Some(l) => Node::new(Expr::Lit(l), loc),
                None => Node::new(Expr::None, loc),
            },
            Rule::none => Node::new(Expr::None, loc),
            Rule::path => {
                let path = self.path(pair, depth);
                Node::new(Expr::Path(path), loc)
            }
            Rule::exists => match pair.into_inner().find(|p| p.as_rule() == Rule::path) {
                Some(p) => {
                    let ploc = self.loc(&p);
                    Node::new(Expr::Exists(Node::new(self.path(p, inner), ploc)), loc)
                }
                None => Node::new(Expr::None, loc),
            },
            Rule::list => Node::new(
                Expr::List(pair.into_inner().map(|e| self.expr(e, inner)).collect()),
                loc,
            ),
            Rule::record => {
                let mut fields = Vec::new();
                for f in pair.into_inner() {
                    let mut fi = f.into_inner();
                    let (Some(n), Some(v)) = (fi.next(), fi.next()) else {
                        continue;
                    };
                    fields.push((self.text_node(&n), self.expr(v, inner)));
                }
                Node::new(Expr::Record(fields), loc)
            }
            Rule::quantifier => {
                let mut parts = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_in);
                let (Some(kind), Some(var), Some(over), Some(body)) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Node::new(Expr::None, loc);
                };
                let kind = match kind.as_str() {
                    "all" => QuantKind::All,
                    "any" => QuantKind::Any,
                    _ => QuantKind::None,
                };
                let var = self.text_node(&var);
                Node::new(
                    Expr::Quantifier {
                        kind,
                        var,
                        over: Box::new(self.expr(over, inner)),
                        body: Box::new(self.expr(body, inner)),
                    },
                    loc,
                )
            }
            Rule::count => {
                let Some(arg) = pair.into_inner().find(|p| p.as_rule() != Rule::kw_count) else {
                    return Node::new(Expr::None, loc);
                };
                if arg.as_rule() == Rule::count_filter {
                    let mut parts = arg.into_inner().filter(|p| p.as_rule() != Rule::kw_in);
                    let (Some(var), Some(over), Some(body)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        return Node::new(Expr::None, loc);
                    };
                    let var = self.text_node(&var);
                    let over = Box::new(self.expr(over, inner));
                    let body = Box::new(self.expr(body, inner));
                    Node::new(
                        Expr::Count {
                            over,
                            filter: Some((var, body)),
                        },
                        loc,
                    )
                } else {
                    Node::new(
                        Expr::Count {
                            over: Box::new(self.expr(arg, inner)),
                            filter: None,
                        },
                        loc,
                    )
                }
            }
            _ => Node::new(Expr::None, loc),
        }
    }

    /// `a and b and c`, `a or b or c`: built as a balanced tree of the same operator,
    /// whatever the length of the chain, so that 10,000 conditions joined by `and` nest
    /// 14 levels, not 10,000.
    ///
    /// INVARIANT: `and` and `or` are associative, and the operands keep their order, so
    /// the tree means what the left-leaning one would and is evaluated (and short-
    /// circuits) in the same order. Up to three operands, the tree is the left-leaning one.
    pub(super) fn logic_chain(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Node<Expr> {
        let op = if pair.as_rule() == Rule::disjunction {
            BinOp::Or
        } else {
            BinOp::And
        };
        let operands: Vec<_> = pair
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::kw_and | Rule::kw_or))
            .collect();
        self.balanced(op, &operands, depth)
    }

    pub(super) fn balanced(
        &mut self,
        op: BinOp,
        operands: &[Pair<'t, Rule>],
        depth: usize,
    ) -> Node<Expr> {
        match operands {
            [] => Node::new(Expr::None, Loc::default()),
            [one] => self.expr(one.clone(), depth),
            _ => {
                if depth > MAX_DEPTH {
                    let (first, last) = (&operands[0], &operands[operands.len() - 1]);
                    let loc = self.loc(first).to(self.loc(last));
                    return self.deep(loc);
                }
                // The left half takes the odd operand: `a and b and c` is `(a and b) and c`.
                let (left, right) = operands.split_at(operands.len().div_ceil(2));
                let lhs = self.balanced(op, left, depth + 1);
                let rhs = self.balanced(op, right, depth + 1);
                let loc = lhs.loc.to(rhs.loc);
                Node::new(
                    Expr::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    loc,
                )
            }
        }
    }

    /// `a + b - c`, `a * b / c`: left-associative, one level per operator (floating-point
    /// arithmetic is not associative, so the chain keeps its shape).
    pub(super) fn arithmetic_chain(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Node<Expr> {
        let loc = self.loc(&pair);
        let parts: Vec<_> = pair.into_inner().collect();
        let operators = parts.len() / 2;
        // The first operand sits below every operator.
        if depth + operators > MAX_DEPTH {
            return self.deep(loc);
        }
        let mut parts = parts.into_iter();
        let Some(first) = parts.next() else {
            return Node::new(Expr::None, loc);
        };
        let mut lhs = self.expr(first, depth + operators);
        let mut level = depth + operators;
        while let (Some(op), Some(rhs)) = (parts.next(), parts.next()) {
            let op = match op.as_str() {
                "+" => BinOp::Add,
                "-" => BinOp::Sub,
                "*" => BinOp::Mul,
                _ => BinOp::Div,
            };
            // This operator's node is one level up; its right operand one below it.
            let rhs = self.expr(rhs, level);
            level -= 1;
            let loc = lhs.loc.to(rhs.loc);
            lhs = Node::new(
                Expr::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                loc,
            );
        }
        lhs
    }

    pub(super) fn comparison(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Node<Expr> {
        let loc = self.loc(&pair);
        let inner = depth + 1;
        let mut parts = pair.into_inner();
        let Some(first) = parts.next() else {
            return Node::new(Expr::None, loc);
        };
        let lhs = self.expr(first, inner);
        let Some(op) = parts.next() else { return lhs };
        let Some(rhs) = parts.next() else { return lhs };
        let lhs = Box::new(lhs);
        let expr = match op.as_rule() {
            Rule::cmp_op => {
                let op = CmpOp::parse(op.as_str()).unwrap_or(CmpOp::Eq);
                Expr::Compare {
                    op,
                    lhs,
                    rhs: Box::new(self.expr(rhs, inner)),
                }
            }
            Rule::not_in => Expr::In {
                negated: true,
                elem: lhs,
                list: Box::new(self.expr(rhs, inner)),
            },
            Rule::kw_in => Expr::In {
                negated: false,
                elem: lhs,
                list: Box::new(self.expr(rhs, inner)),
            },
            _ => {
                let pattern = self.string(rhs);
                Expr::Matches {
                    subject: lhs,
                    pattern,
                }
            }
        };
        Node::new(expr, loc)
    }

    /// A path whose node is at `depth`: its call arguments are one level below.
    pub(super) fn path(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Path {
        let mut segments = Vec::new();
        for seg in pair.into_inner() {
            let loc = self.loc(&seg);
            match seg.as_rule() {
                Rule::ident => segments.push(Node::new(
                    Segment {
                        name: seg.as_str().to_string(),
                        args: None,
                    },
                    loc,
                )),
                Rule::segment => {
                    let mut si = seg.into_inner();
                    let Some(name) = si.next() else { continue };
                    let args = si
                        .next()
                        .map(|a| a.into_inner().map(|e| self.expr(e, depth + 1)).collect());
                    let name_loc = self.loc(&name);
                    let end = if args.is_some() { loc } else { name_loc };
                    segments.push(Node::new(
                        Segment {
                            name: name.as_str().to_string(),
                            args,
                        },
                        Loc::new(self.file, name_loc.start, end.end),
                    ));
                }
                _ => {}
            }
        }
        Path { segments }
    }

    pub(super) fn literal(&mut self, pair: Pair<'t, Rule>) -> Option<Literal> {
        let inner = pair.into_inner().next()?;
        self.literal_of(&inner)
    }

    /// A literal from one of its token rules; reports out-of-range values.
    pub(super) fn literal_of(&mut self, tok: &Pair<'_, Rule>) -> Option<Literal> {
        let s = tok.as_str();
        Some(match tok.as_rule() {
            Rule::number => Literal::Number {
                value: s.parse().ok()?,
                raw: s.to_string(),
            },
            Rule::percent => {
                let raw = s.trim_end_matches('%');
                let value: f64 = raw.parse().ok()?;
                if value > 100.0 {
                    self.diags.push(
                        Diagnostic::new(
                            Code::E012,
                            format!("`{s}` is over 100%"),
                            self.loc(tok),
                            "a percentage must lie in 0%..100%",
                        )
                        .with_help("write a percentage between 0% and 100%, or a plain number"),
                    );
                }
                Literal::Percent {
                    value: value / 100.0,
                    raw: raw.to_string(),
                }
            }
            Rule::string => Literal::String(unescape(
                tok.clone().into_inner().next().map_or("", |b| b.as_str()),
            )),
            Rule::date => {
                self.check_date(tok);
                Literal::Date(s.to_string())
            }
            Rule::version => Literal::Version(s.to_string()),
            Rule::boolean => Literal::Bool(s == "true"),
            Rule::class => Literal::Class(DeviceClass::parse(s)?),
            _ => return None,
        })
    }

    pub(super) fn check_date(&mut self, tok: &Pair<'_, Rule>) {
        if !is_calendar_date(tok.as_str()) {
            self.diags.push(
                Diagnostic::new(
                    Code::E012,
                    format!("`{}` is not a calendar date", tok.as_str()),
                    self.loc(tok),
                    "no such day",
                )
                .with_help("dates are ISO 8601: YYYY-MM-DD"),
            );
        }
    }
}

/// Steps through the precedence rules that have a single child and so add no node
/// (`expr`, a disjunction of one conjunction, a comparison without an operator...).
fn step_through(mut pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    loop {
        let single = matches!(
            pair.as_rule(),
            Rule::expr
                | Rule::disjunction
                | Rule::conjunction
                | Rule::negation
                | Rule::comparison
                | Rule::additive
                | Rule::proportion
                | Rule::multiplicative
                | Rule::unary
        );
        if !single {
            return pair;
        }
        let mut children = pair.clone().into_inner();
        match (children.next(), children.next()) {
            (Some(only), None) if !matches!(only.as_rule(), Rule::kw_not | Rule::neg) => {
                pair = only;
            }
            _ => return pair,
        }
    }
}
