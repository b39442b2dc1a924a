//! Pest pairs to AST, with error recovery: `bad_item` and `bad_stmt` regions are
//! re-parsed strictly to produce a precise diagnostic, and parsing goes on after them.

use super::depth;
use super::errors::syntax_error;
use super::{ClicParser, Rule};
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Loc};
use pest::iterators::{Pair, Pairs};
use pest::Parser;
use recover::{trimmed_len, unknown_statement};

mod expr;
mod outputs;
mod prep;
mod recover;
mod volume;

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
        match rule {
            Rule::claims_stmt => return self.claims_stmt(pair),
            Rule::findings_stmt => return self.findings_stmt(pair),
            Rule::unit_stmt => return self.unit_stmt(pair),
            Rule::compare_stmt => return self.compare_stmt(pair),
            Rule::readers_stmt => return self.readers_stmt(pair),
            Rule::series_input_stmt => return self.series_input_stmt(pair),
            Rule::segmentation_stmt => return self.segmentation_stmt(pair),
            Rule::quantify_stmt => return self.quantify_stmt(pair),
            Rule::prevalence_stmt => {
                return Some(ModelStmt::Prevalence(self.prevalence_values(pair)))
            }
            Rule::robustness_stmt => {
                let mut items = Vec::new();
                for item in pair.into_inner() {
                    let loc = self.loc(&item);
                    let (kind, n) = match item.as_rule() {
                        Rule::perturbation => {
                            let p = item.into_inner().next()?;
                            let kind = p.as_rule();
                            (kind, p.into_inner().next()?)
                        }
                        kind => (kind, item.into_inner().next()?),
                    };
                    let lit = if n.as_rule() == Rule::signed_number {
                        Literal::Number {
                            value: n.as_str().parse().ok()?,
                            raw: n.as_str().to_string(),
                        }
                    } else {
                        self.literal_of(&n)?
                    };
                    items.push(Node::new(
                        match kind {
                            Rule::perturb_jpeg => RobustnessItem::Jpeg(lit),
                            Rule::perturb_j2k => RobustnessItem::Jpeg2000(lit),
                            Rule::perturb_noise => RobustnessItem::Noise(lit),
                            Rule::perturb_rotate => RobustnessItem::Rotate(lit),
                            _ => RobustnessItem::MaxDrop(lit),
                        },
                        loc,
                    ));
                }
                return Some(ModelStmt::Robustness(items));
            }
            _ => {}
        }
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
            Rule::runtime_stmt => {
                let name = self.text_node(&inner.next()?);
                let mut version = None;
                let mut tolerance = None;
                for p in inner {
                    if p.as_rule() == Rule::runtime_tolerance {
                        let n = p.into_inner().next()?;
                        tolerance = Some(Node::new(self.literal_of(&n)?, self.loc(&n)));
                    } else {
                        version = Some(self.string(p));
                    }
                }
                ModelStmt::Runtime {
                    name,
                    version,
                    tolerance,
                }
            }
            _ => return None,
        })
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
}
