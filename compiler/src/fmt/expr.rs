//! Printing expressions on one line, keeping the author's parentheses.

use super::quote;
use crate::ast::*;

/// The canonical text of an expression.
pub fn expr_text(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(&mut s, e);
    s
}

/// The text of a literal.
pub fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Number { raw, .. } => raw.clone(),
        Literal::Percent { raw, .. } => format!("{raw}%"),
        Literal::String(s) => quote(s),
        Literal::Date(s) | Literal::Version(s) => s.clone(),
        Literal::Bool(b) => b.to_string(),
        Literal::Class(c) => c.as_str().to_string(),
    }
}

/// The text of a path.
pub fn path_text(p: &Path) -> String {
    let mut s = String::new();
    write_path(&mut s, p);
    s
}

fn write_path(s: &mut String, p: &Path) {
    for (i, seg) in p.segments.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        s.push_str(&seg.node.name);
        if let Some(args) = &seg.node.args {
            s.push('(');
            for (j, a) in args.iter().enumerate() {
                if j > 0 {
                    s.push_str(", ");
                }
                write_expr(s, &a.node);
            }
            s.push(')');
        }
    }
}

fn write_expr(s: &mut String, e: &Expr) {
    match e {
        Expr::Lit(l) => s.push_str(&literal_text(l)),
        Expr::None => s.push_str("none"),
        Expr::Path(p) => write_path(s, p),
        Expr::Not(arg) => {
            s.push_str("not ");
            write_expr(s, &arg.node);
        }
        Expr::Neg(arg) => {
            s.push('-');
            write_expr(s, &arg.node);
        }
        Expr::Binary { op, lhs, rhs } => {
            write_expr(s, &lhs.node);
            s.push(' ');
            s.push_str(op.as_str());
            s.push(' ');
            write_expr(s, &rhs.node);
        }
        Expr::Compare { op, lhs, rhs } => {
            write_expr(s, &lhs.node);
            s.push(' ');
            s.push_str(op.as_str());
            s.push(' ');
            write_expr(s, &rhs.node);
        }
        Expr::In {
            negated,
            elem,
            list,
        } => {
            write_expr(s, &elem.node);
            s.push_str(if *negated { " not in " } else { " in " });
            write_expr(s, &list.node);
        }
        Expr::Matches { subject, pattern } => {
            write_expr(s, &subject.node);
            s.push_str(" matches ");
            s.push_str(&quote(&pattern.node));
        }
        Expr::Exists(p) => {
            s.push_str("exists ");
            write_path(s, &p.node);
        }
        Expr::Quantifier {
            kind,
            var,
            over,
            body,
        } => {
            s.push_str(kind.as_str());
            s.push(' ');
            s.push_str(&var.node);
            s.push_str(" in ");
            write_expr(s, &over.node);
            s.push_str(": ");
            write_expr(s, &body.node);
        }
        Expr::Count { over, filter } => {
            s.push_str("count(");
            match filter {
                Some((var, body)) => {
                    s.push_str(&var.node);
                    s.push_str(" in ");
                    write_expr(s, &over.node);
                    s.push_str(": ");
                    write_expr(s, &body.node);
                }
                None => write_expr(s, &over.node),
            }
            s.push(')');
        }
        Expr::Of { value, n } => {
            write_expr(s, &value.node);
            s.push_str(" of ");
            write_expr(s, &n.node);
        }
        Expr::List(items) => {
            s.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_expr(s, &item.node);
            }
            s.push(']');
        }
        Expr::Record(fields) => {
            s.push_str("{ ");
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&name.node);
                s.push_str(": ");
                write_expr(s, &value.node);
            }
            s.push_str(if fields.is_empty() { "}" } else { " }" });
        }
        Expr::Paren(inner) => {
            s.push('(');
            write_expr(s, &inner.node);
            s.push(')');
        }
    }
}
