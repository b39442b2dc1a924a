//! Pest pairs to AST, with error recovery: `bad_item` and `bad_stmt` regions are
//! re-parsed strictly to produce a precise diagnostic, and parsing goes on after them.

use super::depth::{self, MAX_DEPTH};
use super::errors::syntax_error;
use super::{ClicParser, Rule};
use crate::ast::*;
use crate::dates::is_calendar_date;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Loc};
use pest::iterators::{Pair, Pairs};
use pest::Parser;

/// Parses one file. Returns the items that parsed and a diagnostic for every region that did not.
pub fn parse_module(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    let mut p = Parse {
        file,
        text,
        diags: Vec::new(),
        too_deep: false,
    };
    // pest recurses on nesting: a file nested deeper than it could parse is refused whole.
    if let Err(d) = depth::scan(file, text) {
        return (Module::default(), vec![d]);
    }
    let module = match ClicParser::parse(Rule::file, text) {
        Ok(mut pairs) => p.module(pairs.next()),
        Err(err) => {
            p.diags.push(syntax_error(file, text, 0, &err));
            Module::default()
        }
    };
    (module, p.diags)
}

/// Resolves the escapes of a string body.
pub(crate) fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

struct Parse<'t> {
    file: FileId,
    text: &'t str,
    diags: Vec<Diagnostic>,
    /// Whether the statement being read already reported an expression nested too deeply.
    too_deep: bool,
}

/// Which strict rule explains a bad statement in a given block.
#[derive(Clone, Copy)]
enum Block {
    Model,
    Policy,
    Control,
    Waiver,
    Test,
}

impl<'t> Parse<'t> {
    /// The location of a pair, without the whitespace and comments pest lets a
    /// rule swallow after its last token.
    fn loc(&self, pair: &Pair<'_, Rule>) -> Loc {
        let span = pair.as_span();
        Loc::new(
            self.file,
            span.start(),
            span.start() + trimmed_len(span.as_str()),
        )
    }

    fn module(&mut self, file: Option<Pair<'t, Rule>>) -> Module {
        let mut items = Vec::new();
        let Some(file) = file else {
            return Module::default();
        };
        for pair in file.into_inner() {
            let loc = self.loc(&pair);
            match pair.as_rule() {
                Rule::use_decl => items.push(Item::Use(Node::new(
                    self.use_targets(pair.into_inner()),
                    loc,
                ))),
                Rule::model => items.push(Item::Model(Node::new(self.model(pair), loc))),
                Rule::policy => items.push(Item::Policy(Node::new(self.policy(pair), loc))),
                Rule::waiver => items.push(Item::Waiver(Node::new(self.waiver(pair), loc))),
                Rule::test => items.push(Item::Test(Node::new(self.test(pair), loc))),
                Rule::bad_item => self.recover(Rule::probe_item, loc),
                _ => {}
            }
        }
        Module { items }
    }

    /// Re-parses a region strictly to explain why it did not parse.
    fn recover(&mut self, probe: Rule, loc: Loc) {
        let rest = &self.text[loc.start..];
        let diag = match ClicParser::parse(probe, rest) {
            Err(err) => unknown_statement(probe, self.file, rest, loc.start)
                .unwrap_or_else(|| syntax_error(self.file, self.text, loc.start, &err)),
            Ok(_) => Diagnostic::new(
                Code::E001,
                "this does not belong here",
                loc,
                "unexpected statement",
            ),
        };
        self.diags.push(diag);
    }

    /// An expression statement followed, on its own line, by text that does not parse:
    /// the expression was cut short (`expect a >=`). Re-parses the expression with the
    /// rest of its line to report what was expected, and blanks the partial expression
    /// so it raises no follow-on type error.
    fn cut_short(&mut self, stmts: &mut [Node<ControlStmt>], bad: Loc) -> bool {
        let Some(last) = stmts.last_mut() else {
            return false;
        };
        let expr = match &mut last.node {
            ControlStmt::Expect(e) | ControlStmt::AppliesWhen(e) => e,
            _ => return false,
        };
        let between = self.text.get(last.loc.end..bad.start).unwrap_or("\n");
        if between.contains('\n') {
            return false;
        }
        let start = expr.loc.start;
        let slice = self.text.get(start..bad.end).unwrap_or("");
        let Err(err) = ClicParser::parse(Rule::probe_expr, slice) else {
            return false;
        };
        self.diags
            .push(syntax_error(self.file, self.text, start, &err));
        expr.node = Expr::None;
        true
    }

    fn bad_stmt(&mut self, block: Block, pair: &Pair<'_, Rule>) {
        let probe = match block {
            Block::Model => Rule::probe_model_stmt,
            Block::Policy => Rule::probe_control,
            Block::Control => Rule::probe_control_stmt,
            Block::Waiver => Rule::probe_waiver_stmt,
            Block::Test => Rule::probe_test_stmt,
        };
        let loc = self.loc(pair);
        self.recover(probe, loc);
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Node<String> {
        let loc = self.loc(&pair);
        let body = pair.into_inner().next().map_or("", |b| b.as_str());
        Node::new(unescape(body), loc)
    }

    fn text_node(&self, pair: &Pair<'_, Rule>) -> Node<String> {
        Node::new(pair.as_str().to_string(), self.loc(pair))
    }

    fn use_targets(&mut self, pairs: Pairs<'t, Rule>) -> Vec<Node<UseTarget>> {
        pairs
            .filter(|p| p.as_rule() == Rule::use_target)
            .filter_map(|t| {
                let loc = self.loc(&t);
                let inner = t.into_inner().next()?;
                Some(Node::new(
                    match inner.as_rule() {
                        Rule::string => UseTarget::Path(self.string(inner).node),
                        _ => UseTarget::Name(inner.as_str().to_string()),
                    },
                    loc,
                ))
            })
            .collect()
    }

    // ------------------------------------------------------------ model

    fn model(&mut self, pair: Pair<'t, Rule>) -> Model {
        let mut inner = pair.into_inner();
        inner.next(); // keyword
        let name = inner
            .next()
            .map(|p| self.text_node(&p))
            .unwrap_or_else(|| Node::new(String::new(), Loc::default()));
        let mut stmts = Vec::new();
        for stmt in inner {
            if stmt.as_rule() == Rule::bad_stmt {
                self.bad_stmt(Block::Model, &stmt);
            } else if let Some(s) = self.model_stmt(stmt.clone()) {
                stmts.push(Node::new(s, self.loc(&stmt)));
            }
        }
        Model { name, stmts }
    }

    fn model_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        Some(match rule {
            Rule::version_stmt => ModelStmt::Version(self.string(inner.next()?)),
            Rule::purpose_stmt => ModelStmt::Purpose(self.string(inner.next()?)),
            Rule::class_stmt => {
                let c = inner.next()?;
                let class = Node::new(DeviceClass::parse(c.as_str())?, self.loc(&c));
                let rule = inner.next().map(|r| self.text_node(&r));
                ModelStmt::Class { class, rule }
            }
            Rule::artifact_stmt => {
                let path = self.string(inner.next()?);
                let sha256 = inner.next().map(|s| self.string(s));
                ModelStmt::Artifact { path, sha256 }
            }
            Rule::input_stmt => {
                let tensor = self.string(inner.next()?);
                let steps = inner.filter_map(|s| self.prep_step(s)).collect();
                ModelStmt::Input { tensor, steps }
            }
            Rule::output_stmt => {
                let tensor = self.string(inner.next()?);
                let mut op = inner.next()?;
                let mut index = None;
                if op.as_rule() == Rule::output_index {
                    let n = op.clone().into_inner().next()?;
                    index = Some(Node::new(self.literal_of(&n)?, self.loc(&n)));
                    op = inner.next()?;
                }
                let inclusive = op.as_str() == ">=";
                let t = inner.next()?;
                let threshold = Node::new(self.literal_of(&t)?, self.loc(&t));
                let meaning = self.string(inner.next()?);
                ModelStmt::Output {
                    tensor,
                    index,
                    inclusive,
                    threshold,
                    meaning,
                }
            }
            Rule::reference_stmt => {
                let path = self.string(inner.next()?);
                let labels = self.string(inner.next()?);
                ModelStmt::Reference { path, labels }
            }
            Rule::training_stmt => ModelStmt::Training(self.string(inner.next()?)),
            Rule::claims_stmt => {
                let mut claims = Vec::new();
                for claim in inner {
                    let mut c = claim.into_inner();
                    let (Some(n), Some(v)) = (c.next(), c.next()) else {
                        continue;
                    };
                    let name = self.text_node(&n);
                    let loc = self.loc(&v);
                    if let Some(lit) = self.literal_of(&v) {
                        claims.push((name, Node::new(lit, loc)));
                    }
                }
                ModelStmt::Claims(claims)
            }
            Rule::documents_stmt => {
                let mut docs = Vec::new();
                for doc in inner {
                    let mut d = doc.into_inner();
                    let (Some(k), Some(p)) = (d.next(), d.next()) else {
                        continue;
                    };
                    docs.push((self.text_node(&k), self.string(p)));
                }
                ModelStmt::Documents(docs)
            }
            Rule::use_decl => ModelStmt::Use(self.use_targets(inner)),
            Rule::override_stmt => {
                let control = self.text_node(&inner.next()?);
                let stage = self.text_node(&inner.next()?);
                ModelStmt::Override { control, stage }
            }
            Rule::significance_stmt => {
                let significance = self.text_node(&inner.next()?);
                let situation = inner.next().map(|s| self.text_node(&s));
                ModelStmt::Significance {
                    significance,
                    situation,
                }
            }
            Rule::safety_stmt => ModelStmt::SafetyClass(self.text_node(&inner.next()?)),
            _ => return None,
        })
    }

    fn prep_step(&mut self, pair: Pair<'t, Rule>) -> Option<Node<PrepStep>> {
        let loc = self.loc(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let step = match rule {
            Rule::modalities => PrepStep::Modalities(inner.map(|m| self.text_node(&m)).collect()),
            Rule::rescale => {
                let how = inner.next()?;
                match how.as_rule() {
                    Rule::rescale_dicom => PrepStep::RescaleFromDicom,
                    _ => {
                        let mut n = how.into_inner();
                        PrepStep::RescaleFixed {
                            slope: n.next()?.as_str().to_string(),
                            intercept: n.next()?.as_str().to_string(),
                        }
                    }
                }
            }
            Rule::window => {
                let how = inner.next()?;
                match how.as_rule() {
                    Rule::window_dicom => PrepStep::WindowFromDicom {
                        else_minmax: how.as_str().contains("minmax"),
                    },
                    Rule::window_minmax => PrepStep::WindowMinMax,
                    _ => {
                        let mut n = how.into_inner();
                        PrepStep::WindowFixed {
                            center: n.next()?.as_str().to_string(),
                            width: n.next()?.as_str().to_string(),
                        }
                    }
                }
            }
            Rule::invert => PrepStep::InvertMonochrome1,
            Rule::resize => PrepStep::Resize {
                width: inner.next()?.as_str().to_string(),
                height: inner.next()?.as_str().to_string(),
                interpolation: inner.next().map(|i| i.as_str().to_string()),
            },
            Rule::normalize => PrepStep::Normalize {
                mean: inner.next()?.as_str().to_string(),
                std: inner.next()?.as_str().to_string(),
            },
            _ => return None,
        };
        Some(Node::new(step, loc))
    }

    // ------------------------------------------------------------ policies

    fn policy(&mut self, pair: Pair<'t, Rule>) -> Policy {
        let mut name = Node::new(String::new(), Loc::default());
        let mut title = None;
        let mut controls = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::dotted_name => name = self.text_node(&p),
                Rule::string => title = Some(self.string(p)),
                Rule::control => {
                    let loc = self.loc(&p);
                    controls.push(Node::new(self.control(p), loc));
                }
                Rule::bad_stmt => self.bad_stmt(Block::Policy, &p),
                _ => {}
            }
        }
        Policy {
            name,
            title,
            controls,
        }
    }

    fn control(&mut self, pair: Pair<'t, Rule>) -> Control {
        let mut name = Node::new(String::new(), Loc::default());
        let mut title = Node::new(String::new(), Loc::default());
        let mut stmts = Vec::new();
        for p in pair.into_inner() {
            let loc = self.loc(&p);
            let rule = p.as_rule();
            let stmt = match rule {
                Rule::name => {
                    name = self.text_node(&p);
                    continue;
                }
                Rule::string => {
                    title = self.string(p);
                    continue;
                }
                Rule::bad_stmt => {
                    if !self.cut_short(&mut stmts, loc) {
                        self.bad_stmt(Block::Control, &p);
                    }
                    continue;
                }
                Rule::cites => ControlStmt::Cites(
                    p.into_inner()
                        .filter_map(|c| {
                            let cloc = self.loc(&c);
                            let mut ci = c.into_inner();
                            let framework = self.text_node(&ci.next()?);
                            let clause = self.string(ci.next()?);
                            Some(Node::new(Citation { framework, clause }, cloc))
                        })
                        .collect(),
                ),
                Rule::severity => match p.into_inner().next() {
                    Some(s) => ControlStmt::Severity(self.text_node(&s)),
                    None => continue,
                },
                Rule::stage => match p.into_inner().next() {
                    Some(s) => ControlStmt::Stage(self.text_node(&s)),
                    None => continue,
                },
                Rule::applies | Rule::expect => {
                    let Some(e) = p.into_inner().next() else {
                        continue;
                    };
                    let expr = self.root_expr(e);
                    if rule == Rule::applies {
                        ControlStmt::AppliesWhen(expr)
                    } else {
                        ControlStmt::Expect(expr)
                    }
                }
                Rule::help => match p.into_inner().next() {
                    Some(s) => ControlStmt::Help(self.string(s)),
                    None => continue,
                },
                _ => continue,
            };
            stmts.push(Node::new(stmt, loc));
        }
        Control { name, title, stmts }
    }

    // ------------------------------------------------------------ waivers and tests

    fn waiver(&mut self, pair: Pair<'t, Rule>) -> Waiver {
        let mut control = Node::new(String::new(), Loc::default());
        let mut stmts = Vec::new();
        for p in pair.into_inner() {
            let loc = self.loc(&p);
            let rule = p.as_rule();
            if rule == Rule::dotted_name {
                control = self.text_node(&p);
                continue;
            }
            if rule == Rule::bad_stmt {
                self.bad_stmt(Block::Waiver, &p);
                continue;
            }
            let Some(v) = p.into_inner().next() else {
                continue;
            };
            let stmt = match rule {
                Rule::reason => WaiverStmt::Reason(self.string(v)),
                Rule::approved_by => WaiverStmt::ApprovedBy(self.string(v)),
                Rule::expires => {
                    self.check_date(&v);
                    WaiverStmt::Expires(self.text_node(&v))
                }
                Rule::risk => WaiverStmt::Risk(self.string(v)),
                _ => continue,
            };
            stmts.push(Node::new(stmt, loc));
        }
        Waiver { control, stmts }
    }

    fn test(&mut self, pair: Pair<'t, Rule>) -> TestBlock {
        let mut name = Node::new(String::new(), Loc::default());
        let mut stmts = Vec::new();
        for p in pair.into_inner() {
            let loc = self.loc(&p);
            match p.as_rule() {
                Rule::string => name = self.string(p),
                Rule::bad_stmt => self.bad_stmt(Block::Test, &p),
                Rule::given => {
                    let mut assignments = Vec::new();
                    for a in p.into_inner() {
                        let mut ai = a.into_inner();
                        let (Some(path), Some(value)) = (ai.next(), ai.next()) else {
                            continue;
                        };
                        let ploc = self.loc(&path);
                        self.too_deep = false;
                        let path = Node::new(self.path(path, 1), ploc);
                        assignments.push((path, self.root_expr(value)));
                    }
                    stmts.push(Node::new(TestStmt::Given(assignments), loc));
                }
                Rule::outcome_stmt => {
                    let mut oi = p.into_inner();
                    let (Some(c), Some(o)) = (oi.next(), oi.next()) else {
                        continue;
                    };
                    stmts.push(Node::new(
                        TestStmt::Expect {
                            control: self.text_node(&c),
                            outcome: self.text_node(&o),
                        },
                        loc,
                    ));
                }
                _ => {}
            }
        }
        TestBlock { name, stmts }
    }

    // ------------------------------------------------------------ expressions

    /// The expression of a statement. Its tree is at most [`MAX_DEPTH`] deep; a deeper
    /// one is reported once (E019) and left out, so no later stage recurses deeper.
    fn root_expr(&mut self, pair: Pair<'t, Rule>) -> Node<Expr> {
        self.too_deep = false;
        self.expr(pair, 1)
    }

    /// Reports an expression nested too deeply, once per statement; stands in `none`.
    fn deep(&mut self, loc: Loc) -> Node<Expr> {
        if !self.too_deep {
            self.too_deep = true;
            self.diags.push(depth::too_deep(loc));
        }
        Node::new(Expr::None, loc)
    }

    /// An expression node at `depth` (the root is at 1). The grammar's precedence rules
    /// nest pairs that add nothing when they have one child; they are stepped through in
    /// a loop, so the recursion here follows the tree that is built, not the grammar.
    fn expr(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Node<Expr> {
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
    fn logic_chain(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Node<Expr> {
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

    fn balanced(&mut self, op: BinOp, operands: &[Pair<'t, Rule>], depth: usize) -> Node<Expr> {
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
    fn arithmetic_chain(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Node<Expr> {
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

    fn comparison(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Node<Expr> {
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
    fn path(&mut self, pair: Pair<'t, Rule>, depth: usize) -> Path {
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

    fn literal(&mut self, pair: Pair<'t, Rule>) -> Option<Literal> {
        let inner = pair.into_inner().next()?;
        self.literal_of(&inner)
    }

    /// A literal from one of its token rules; reports out-of-range values.
    fn literal_of(&mut self, tok: &Pair<'_, Rule>) -> Option<Literal> {
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

    fn check_date(&mut self, tok: &Pair<'_, Rule>) {
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

/// Length of `text` without trailing whitespace and trailing `#` comments.
fn trimmed_len(text: &str) -> usize {
    let mut t = text.trim_end();
    loop {
        let line_start = t.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&t[line_start..]) {
            Some(c) => t = t[..line_start + c].trim_end(),
            None => return t.len(),
        }
    }
}

/// Where a `#` comment starts in a line, skipping strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

/// A statement that starts with an unknown word: name it and suggest the closest keyword.
fn unknown_statement(probe: Rule, file: FileId, rest: &str, offset: usize) -> Option<Diagnostic> {
    let keywords: &[&str] = match probe {
        Rule::probe_model_stmt => &[
            "version",
            "purpose",
            "class",
            "artifact",
            "input",
            "output",
            "reference",
            "training",
            "claims",
            "documents",
            "significance",
            "safety",
            "use",
        ],
        Rule::probe_control_stmt => &["cites", "severity", "stage", "applies", "expect", "help"],
        Rule::probe_waiver_stmt => &["reason", "approved_by", "expires", "risk"],
        Rule::probe_test_stmt => &["given", "expect"],
        Rule::probe_control => &["control"],
        Rule::probe_item => &["use", "model", "policy", "waiver", "test"],
        _ => return None,
    };
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let list = keywords
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if word.is_empty() {
        let len = rest.chars().next().map_or(0, char::len_utf8);
        let here = Loc::new(file, offset, offset + len);
        let found = rest
            .chars()
            .next()
            .map_or_else(|| "end of file".to_string(), |c| format!("`{c}`"));
        return Some(Diagnostic::new(
            Code::E001,
            format!("expected a statement: {list}"),
            here,
            format!("unexpected {found}"),
        ));
    }
    if keywords.contains(&word.as_str()) {
        return None;
    }
    let help = match crate::diagnostics::did_you_mean(&word, keywords.iter().copied()) {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!("expected one of {list}"),
    };
    let here = Loc::new(file, offset, offset + word.len());
    Some(
        Diagnostic::new(
            Code::E001,
            format!("unknown statement `{word}`"),
            here,
            "not a statement here",
        )
        .with_help(format!("{help} (statements here: {list})")),
    )
}
