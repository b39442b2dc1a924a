//! Evaluating the IR against facts.

mod culprits;
mod ops;

pub use culprits::SHOWN_WITH;

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
                    (Some(l), Some(r)) => Value::Number(arithmetic(*arith, l, r)?),
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

/// `l op r`. A division by zero, or any result that is not a finite number, has no
/// value: it makes the expression unavailable, so its check can neither pass nor fail
/// (`not (0/0 == 0/0)` would otherwise pass on NaN).
fn arithmetic(op: ArithOp, l: f64, r: f64) -> Result<f64, Unavailable> {
    let (v, sign) = match op {
        ArithOp::Add => (l + r, "+"),
        ArithOp::Sub => (l - r, "-"),
        ArithOp::Mul => (l * r, "*"),
        ArithOp::Div => (l / r, "/"),
    };
    if v.is_finite() {
        return Ok(v);
    }
    let reason = if op == ArithOp::Div && r == 0.0 {
        "is a division by zero"
    } else {
        "has no finite value"
    };
    Err(Unavailable {
        fact: format!(
            "{} {sign} {}",
            Value::Number(l).display(),
            Value::Number(r).display()
        ),
        reason: reason.to_string(),
        invalid_input: false,
        input: None,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{evaluate, Status};
    use crate::facts::GivenFacts;
    use crate::testing::run_test;
    use clic_compiler::{compile_str, Plan};

    /// A policy `local.t` with one control `c` expecting `expr`, then `tests`.
    fn plan(expr: &str, tests: &str) -> Plan {
        let text = format!(
            "policy local.t \"t\" {{\n  control c \"c\" {{\n    cites mdr \"Annex I 1\"\n    severity blocker\n    expect {expr}\n  }}\n}}\n{tests}"
        );
        let c = compile_str("t.clic", &text);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        c.plan.expect("a plan")
    }

    fn given(n: f64) -> GivenFacts {
        let mut facts = GivenFacts::default();
        facts.set("benchmark.n", &[], Value::Number(n));
        facts
    }

    #[test]
    fn division_by_zero_makes_the_check_unavailable() {
        for expr in [
            "not (0 / 0 == 0 / 0)",
            "benchmark.n / 0 >= 0",
            "not (benchmark.n / (benchmark.n - 10) < 0)",
            "1 / 0 != 1",
        ] {
            let p = plan(expr, "");
            let r = evaluate(&p.checks[0], &mut given(10.0));
            assert_eq!(r.status, Status::Unavailable, "{expr}");
            let u = r.unavailable.expect("a reason");
            assert_eq!(u.reason, "is a division by zero", "{expr}");
            assert!(u.fact.ends_with("/ 0"), "{expr}: {}", u.fact);
        }
    }

    #[test]
    fn results_beyond_the_numbers_make_the_check_unavailable() {
        // 10^200 * 10^200 overflows to infinity.
        let big = format!("1{}", "0".repeat(200));
        let p = plan(&format!("{big} * {big} > benchmark.n"), "");
        let r = evaluate(&p.checks[0], &mut given(1.0));
        assert_eq!(r.status, Status::Unavailable);
        let u = r.unavailable.expect("a reason");
        assert_eq!(u.reason, "has no finite value");
    }

    #[test]
    fn finite_arithmetic_still_passes_and_fails() {
        let p = plan("benchmark.n / 4 == 2.5 and benchmark.n - 10 == 0", "");
        assert_eq!(
            evaluate(&p.checks[0], &mut given(10.0)).status,
            Status::Passed
        );
        assert_eq!(
            evaluate(&p.checks[0], &mut given(8.0)).status,
            Status::Failed
        );
    }

    #[test]
    fn a_test_block_expecting_a_pass_on_nan_fails() {
        let p = plan(
            "not (benchmark.n / 0 == benchmark.n / 0)",
            "test \"nan\" {\n  given benchmark.n = 0\n  expect local.t.c passes\n}\n",
        );
        let r = run_test(&p, &p.tests[0]);
        assert!(!r.ok);
        assert_eq!(
            r.expectations[0].actual,
            "could not be evaluated: `0 / 0` is a division by zero"
        );
    }

    #[test]
    fn a_long_and_chain_evaluates_in_order() {
        let terms: Vec<String> = (0..10_000)
            .map(|i| format!("benchmark.n >= {}", i % 7))
            .collect();
        let p = plan(&terms.join(" and "), "");
        assert_eq!(
            evaluate(&p.checks[0], &mut given(6.0)).status,
            Status::Passed
        );
        assert_eq!(
            evaluate(&p.checks[0], &mut given(5.0)).status,
            Status::Failed
        );
        let p = plan(&terms.join(" or "), "");
        assert_eq!(
            evaluate(&p.checks[0], &mut given(0.0)).status,
            Status::Passed
        );
        assert_eq!(
            evaluate(&p.checks[0], &mut given(-1.0)).status,
            Status::Failed
        );
    }
}
