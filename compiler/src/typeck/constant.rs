//! Test data read as constants: the proportions a `given` sets must be ones a benchmark
//! could produce.

use crate::ast::{BinOp, Expr, Literal, Node};
use crate::diagnostics::{Code, Diagnostic};
use crate::fmt::expr_text;

/// The value of a constant numeric expression (literals, `-`, parentheses, arithmetic),
/// if it is one and is finite.
pub(crate) fn number(e: &Expr) -> Option<f64> {
    let v = match e {
        Expr::Lit(Literal::Number { value, .. } | Literal::Percent { value, .. }) => *value,
        Expr::Paren(inner) => number(&inner.node)?,
        Expr::Neg(inner) => -number(&inner.node)?,
        Expr::Binary { op, lhs, rhs } => {
            let (l, r) = (number(&lhs.node)?, number(&rhs.node)?);
            match op {
                BinOp::Add => l + r,
                BinOp::Sub => l - r,
                BinOp::Mul => l * r,
                BinOp::Div => l / r,
                BinOp::And | BinOp::Or => return None,
            }
        }
        _ => return None,
    };
    v.is_finite().then_some(v)
}

/// `value of n` as test data: a constant share in 0..1 of a whole number of cases.
pub(crate) fn check_proportion(value: &Node<Expr>, n: &Node<Expr>, diags: &mut Vec<Diagnostic>) {
    match number(&value.node) {
        Some(v) if (0.0..=1.0).contains(&v) => {}
        Some(_) => diags.push(
            Diagnostic::new(
                Code::E017,
                format!(
                    "a proportion lies between 0 and 1, but this is `{}`",
                    expr_text(&value.node)
                ),
                value.loc,
                "not between 0 and 1",
            )
            .with_help("write the share of cases, e.g. `0.7 of 10` or `70% of 10`"),
        ),
        // A literal of another type is already a type error.
        None if matches!(value.node, Expr::Lit(_)) => {}
        None => diags.push(not_constant(value, "the share")),
    }
    match number(&n.node) {
        Some(k) if k >= 0.0 && k.fract() == 0.0 => {}
        Some(k) => diags.push(
            Diagnostic::new(
                Code::E017,
                format!(
                    "the number of cases is a whole number, 0 or more, but this is `{}`",
                    expr_text(&n.node)
                ),
                n.loc,
                if k < 0.0 {
                    "negative"
                } else {
                    "not a whole number"
                },
            )
            .with_help("write how many cases the proportion is of, e.g. `0.7 of 10`"),
        ),
        None if matches!(n.node, Expr::Lit(_)) => {}
        None => diags.push(not_constant(n, "the number of cases")),
    }
}

fn not_constant(e: &Node<Expr>, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E017,
        format!("{what} of a proportion in test data must be a number"),
        e.loc,
        "not a constant number",
    )
    .with_help("test data is written as literals, e.g. `0.84 of 100`")
}
