//! Comparison semantics. Absent values compare false with everything, so a check on
//! a missing value fails rather than passes.

use clic_compiler::plan::{CmpOp, Value};
use std::cmp::Ordering;

/// Equality with numeric coercion (a Proportion equals its value).
pub fn equal(a: &Value, b: &Value) -> bool {
    order(a, b) == Some(Ordering::Equal) || (a == b && !matches!(a, Value::Null))
}

/// Applies a comparison operator.
pub fn compare(op: CmpOp, a: &Value, b: &Value) -> bool {
    if matches!(op, CmpOp::Ne) {
        return !matches!(a, Value::Null) && !matches!(b, Value::Null) && !equal(a, b);
    }
    let Some(ord) = order(a, b) else {
        return op == CmpOp::Eq && a == b && !matches!(a, Value::Null);
    };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::String(x), Value::String(y)) | (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Version(x), Value::Version(y)) => Some(version_key(x).cmp(&version_key(y))),
        (Value::Class(x), Value::Class(y)) => Some(class_rank(x).cmp(&class_rank(y))),
        _ => a.as_number()?.partial_cmp(&b.as_number()?),
    }
}

/// Semantic-version precedence: numeric core, and a pre-release sorts before its release.
fn version_key(v: &str) -> (Vec<u64>, bool, String) {
    let v = v.trim_start_matches('v');
    let (core, pre) = v.split_once('-').map_or((v, None), |(c, p)| (c, Some(p)));
    let core = core.split('+').next().unwrap_or(core);
    (
        core.split('.').map(|p| p.parse().unwrap_or(0)).collect(),
        pre.is_none(),
        pre.unwrap_or("").to_string(),
    )
}

fn class_rank(c: &str) -> u8 {
    match c {
        "I" => 0,
        "IIa" => 1,
        "IIb" => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_semantically() {
        let v = |s: &str| Value::Version(s.to_string());
        assert!(compare(CmpOp::Gt, &v("1.10.0"), &v("1.9.9")));
        assert!(compare(CmpOp::Lt, &v("1.4.0-rc.1"), &v("1.4.0")));
        assert!(compare(CmpOp::Eq, &v("1.4.0"), &v("1.4.0")));
    }

    #[test]
    fn classes_order_by_risk() {
        let c = |s: &str| Value::Class(s.to_string());
        assert!(compare(CmpOp::Ge, &c("IIb"), &c("IIa")));
        assert!(compare(CmpOp::Lt, &c("I"), &c("III")));
    }

    #[test]
    fn absent_values_never_satisfy_a_comparison() {
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ] {
            assert!(!compare(op, &Value::Null, &Value::Number(1.0)), "{op:?}");
        }
    }
}
