//! Expressions.

use super::{DeviceClass, Node};

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Lit(Literal),
    /// `none`: the absent value.
    None,
    /// A fact path or a bound variable with fields.
    Path(Path),
    /// `not e`
    Not(Box<Node<Expr>>),
    /// `-e`
    Neg(Box<Node<Expr>>),
    /// `a and b`, `a or b`, arithmetic.
    Binary {
        /// Operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<Node<Expr>>,
        /// Right operand.
        rhs: Box<Node<Expr>>,
    },
    /// `a >= b`
    Compare {
        /// Operator.
        op: CmpOp,
        /// Left operand.
        lhs: Box<Node<Expr>>,
        /// Right operand.
        rhs: Box<Node<Expr>>,
    },
    /// `a in b`, `a not in b`
    In {
        /// `not in`.
        negated: bool,
        /// The element.
        elem: Box<Node<Expr>>,
        /// The list.
        list: Box<Node<Expr>>,
    },
    /// `a matches "regex"`
    Matches {
        /// The string.
        subject: Box<Node<Expr>>,
        /// The pattern.
        pattern: Node<String>,
    },
    /// `exists path`
    Exists(Node<Path>),
    /// `all x in list: body`
    Quantifier {
        /// all / any / none.
        kind: QuantKind,
        /// The bound variable.
        var: Node<String>,
        /// The list.
        over: Box<Node<Expr>>,
        /// The condition.
        body: Box<Node<Expr>>,
    },
    /// `count(list)` or `count(x in list: cond)`
    Count {
        /// The list.
        over: Box<Node<Expr>>,
        /// Optional variable and condition.
        filter: Option<(Node<String>, Box<Node<Expr>>)>,
    },
    /// `x of n`: a proportion with its number of cases.
    Of {
        /// The point value.
        value: Box<Node<Expr>>,
        /// The number of cases.
        n: Box<Node<Expr>>,
    },
    /// `[a, b]`
    List(Vec<Node<Expr>>),
    /// `{ field: value, ... }` (test data only).
    Record(Vec<(Node<String>, Node<Expr>)>),
    /// `( e )`, kept so that formatting preserves the author's grouping.
    Paren(Box<Node<Expr>>),
}

/// Binary operators other than comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `and`
    And,
    /// `or`
    Or,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOp {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::And => "and",
            Self::Or => "or",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CmpOp {
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl CmpOp {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }

    /// Parses an operator as written.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "==" => Self::Eq,
            "!=" => Self::Ne,
            "<" => Self::Lt,
            "<=" => Self::Le,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            _ => return None,
        })
    }
}

/// Quantifier kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuantKind {
    /// Every element satisfies the body (true on an empty list).
    All,
    /// At least one element does.
    Any,
    /// No element does.
    None,
}

impl QuantKind {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Any => "any",
            Self::None => "none",
        }
    }
}

/// A literal as written, with its parsed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `0.9`, `12`
    Number {
        /// Parsed value.
        value: f64,
        /// As written.
        raw: String,
    },
    /// `90%`: the value is stored as a fraction (0.9).
    Percent {
        /// Fraction.
        value: f64,
        /// As written, without the `%`.
        raw: String,
    },
    /// A string (unescaped).
    String(String),
    /// `2027-03-01`
    Date(String),
    /// `1.4.0`
    Version(String),
    /// `true` / `false`
    Bool(bool),
    /// `IIa`
    Class(DeviceClass),
}

/// A dotted path: `benchmark.by("Manufacturer")`, `g.sensitivity.ci95.low`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// The segments; the first is a fact root or a bound variable.
    pub segments: Vec<Node<Segment>>,
}

impl Path {
    /// The path as written, without arguments: `benchmark.by.sensitivity`.
    pub fn dotted(&self) -> String {
        let names: Vec<&str> = self.segments.iter().map(|s| s.node.name.as_str()).collect();
        names.join(".")
    }
}

/// One segment of a path.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Its name.
    pub name: String,
    /// Call arguments, if the segment is a call: `by("Manufacturer")`.
    pub args: Option<Vec<Node<Expr>>>,
}
