//! Evaluating the IR against facts.

mod ops;

use crate::facts::{shown, FactSource, Unavailable};
use clic_compiler::plan::{ArithOp, Ir, QuantKind, Value};
use std::collections::BTreeMap;

/// Evaluation state: the facts, the variables in scope, and every fact value read
/// (for reports: "the actual values that made it fail").
pub struct Env<'f> {
    facts: &'f mut dyn FactSource,
    vars: Vec<(String, Value)>,
    /// Facts read, by shown path, in first-read order.
    pub observed: Vec<(String, Value)>,
}

impl<'f> Env<'f> {
    /// An environment over a fact source.
    pub fn new(facts: &'f mut dyn FactSource) -> Self {
        Self {
            facts,
            vars: Vec::new(),
            observed: Vec::new(),
        }
    }

    /// Evaluates an expression. An unavailable fact aborts the evaluation: a check
    /// that cannot read its facts never passes.
    pub fn eval(&mut self, ir: &Ir) -> Result<Value, Unavailable> {
        Ok(match ir {
            Ir::Const { value } => value.clone(),
            Ir::Fact { path, args } => {
                let v = self.facts.get(path, args)?;
                let key = shown(path, args);
                if !self.observed.iter().any(|(k, _)| *k == key) {
                    self.observed.push((key, v.clone()));
                }
                v
            }
            Ir::Var { name } => self
                .vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map_or(Value::Null, |(_, v)| v.clone()),
            Ir::Field { base, field } => match self.eval(base)? {
                Value::Record(fields) => fields.get(field).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            },
            Ir::Not { arg } => Value::Bool(!truthy(&self.eval(arg)?)),
            Ir::Neg { arg } => self
                .eval(arg)?
                .as_number()
                .map_or(Value::Null, |n| Value::Number(-n)),
            Ir::And { lhs, rhs } => {
                Value::Bool(truthy(&self.eval(lhs)?) && truthy(&self.eval(rhs)?))
            }
            Ir::Or { lhs, rhs } => {
                Value::Bool(truthy(&self.eval(lhs)?) || truthy(&self.eval(rhs)?))
            }
            Ir::Arith { arith, lhs, rhs } => {
                let (l, r) = (self.eval(lhs)?.as_number(), self.eval(rhs)?.as_number());
                match (l, r) {
                    (Some(l), Some(r)) => {
                        let v = match arith {
                            ArithOp::Add => l + r,
                            ArithOp::Sub => l - r,
                            ArithOp::Mul => l * r,
                            ArithOp::Div => l / r,
                        };
                        if v.is_finite() {
                            Value::Number(v)
                        } else {
                            Value::Null
                        }
                    }
                    _ => Value::Null,
                }
            }
            Ir::Compare { cmp, lhs, rhs } => {
                let (l, r) = (self.eval(lhs)?, self.eval(rhs)?);
                Value::Bool(ops::compare(*cmp, &l, &r))
            }
            Ir::In {
                negated,
                elem,
                list,
            } => {
                let (e, l) = (self.eval(elem)?, self.eval(list)?);
                let found = match l {
                    Value::List(items) => items.iter().any(|i| ops::equal(i, &e)),
                    _ => false,
                };
                Value::Bool(found != *negated)
            }
            Ir::Matches { subject, pattern } => match self.eval(subject)? {
                Value::String(s) => {
                    Value::Bool(regex::Regex::new(pattern).is_ok_and(|re| re.is_match(&s)))
                }
                _ => Value::Bool(false),
            },
            Ir::Exists { arg } => Value::Bool(!matches!(self.eval(arg)?, Value::Null)),
            Ir::Quantifier {
                kind,
                var,
                over,
                body,
            } => {
                let items = match self.eval(over)? {
                    Value::List(items) => items,
                    _ => Vec::new(),
                };
                let mut hits = 0usize;
                for item in &items {
                    self.vars.push((var.clone(), item.clone()));
                    let r = self.eval(body);
                    self.vars.pop();
                    if truthy(&r?) {
                        hits += 1;
                        if *kind != QuantKind::All {
                            break;
                        }
                    } else if *kind == QuantKind::All {
                        break;
                    }
                }
                Value::Bool(match kind {
                    QuantKind::All => hits == items.len(),
                    QuantKind::Any => hits > 0,
                    QuantKind::None => hits == 0,
                })
            }
            Ir::Count { over, filter } => {
                let items = match self.eval(over)? {
                    Value::List(items) => items,
                    _ => Vec::new(),
                };
                let n = match filter {
                    None => items.len(),
                    Some((var, body)) => {
                        let mut n = 0;
                        for item in items {
                            self.vars.push((var.clone(), item));
                            let r = self.eval(body);
                            self.vars.pop();
                            n += usize::from(truthy(&r?));
                        }
                        n
                    }
                };
                Value::Number(n as f64)
            }
            Ir::Proportion { value, n } => {
                match (self.eval(value)?.as_number(), self.eval(n)?.as_number()) {
                    (Some(v), Some(n)) => proportion(v, n),
                    _ => Value::Null,
                }
            }
            Ir::List { items } => Value::List(
                items
                    .iter()
                    .map(|i| self.eval(i))
                    .collect::<Result<_, _>>()?,
            ),
            Ir::Record { fields } => {
                let mut out = BTreeMap::new();
                for (name, v) in fields {
                    out.insert(name.clone(), self.eval(v)?);
                }
                Value::Record(out)
            }
        })
    }
}

/// A Proportion record: `value` of `n`, with its successes and Wilson 95% interval.
pub fn proportion(value: f64, n: f64) -> Value {
    let successes = (value * n).round();
    let (low, high) = crate::stats::wilson95(successes, n);
    let mut ci = BTreeMap::new();
    ci.insert("low".to_string(), Value::Number(low));
    ci.insert("high".to_string(), Value::Number(high));
    ci.insert("method".to_string(), Value::String("wilson".to_string()));
    let mut r = BTreeMap::new();
    r.insert("value".to_string(), Value::Number(value));
    r.insert("n".to_string(), Value::Number(n));
    r.insert("successes".to_string(), Value::Number(successes));
    r.insert("ci95".to_string(), Value::Record(ci));
    Value::Record(r)
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}
