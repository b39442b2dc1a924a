//! What made a failed expectation fail, for the reports: the values of the facts and
//! fields it compared, the items of a quantifier or a count that broke it (trimmed to
//! the fields the condition reads and the fields that name the item), and, for a fact
//! that only counts or flags (`scans.deid.files_with_identifiers`), the facts that name
//! what it counted ([`SHOWN_WITH`]). Computed only for failed checks, so a passing run's
//! evidence is unchanged.

use super::{truthy, Env};
use crate::evidence::Observation;
use clic_compiler::plan::{Ir, QuantKind, Value};
use std::collections::BTreeMap;

/// Culprit entries per expectation, at most.
const MAX_ENTRIES: usize = 12;

/// Items kept per list of culprits, at most (reports show fewer, with "and K more").
const MAX_ITEMS: usize = 1_000;

/// Outer items whose own culprits are shown when quantifiers nest
/// (`all f in benchmark.findings: all g in f.subgroups: ...`).
const MAX_NESTED: usize = 3;

/// Facts that only count or flag, and the facts that name what they count: when a
/// failed expectation reads the first, the others are shown with it.
pub const SHOWN_WITH: &[(&str, &[&str])] = &[
    (
        "scans.deid.files_with_identifiers",
        &["scans.deid.findings"],
    ),
    (
        "artifact.sha256_matches",
        &["model.artifact.sha256", "artifact.sha256"],
    ),
    ("artifact.matches_manifest", &["artifact.mismatches"]),
];

/// Record fields that name an item (a document's kind and path, a scan's file and tag,
/// a subgroup's attribute and value): kept when an item is shown, whatever the
/// condition reads.
const NAMING: &[&str] = &[
    "kind",
    "path",
    "file",
    "tag",
    "keyword",
    "name",
    "finding",
    "metric",
    "attribute",
    "value",
    "id",
    "summary",
];

impl Env<'_> {
    /// The culprits of `ir`, an expectation that did not hold.
    pub fn culprits(&mut self, ir: &Ir) -> Vec<Observation> {
        let mut out = Vec::new();
        self.why(ir, true, "", &mut out);
        out.truncate(MAX_ENTRIES);
        out
    }

    /// Whether `ir` holds (false when it cannot be evaluated).
    fn holds(&mut self, ir: &Ir) -> bool {
        self.eval(ir).is_ok_and(|v| truthy(&v))
    }

    /// Why `ir` did not evaluate to `want`; entries are labelled after `prefix`.
    fn why(&mut self, ir: &Ir, want: bool, prefix: &str, out: &mut Vec<Observation>) {
        if out.len() >= MAX_ENTRIES {
            return;
        }
        match ir {
            Ir::Not { arg } => self.why(arg, !want, prefix, out),
            // `a and b` false: the sides that are false; `a or b` true (wanted false):
            // the sides that are true. Otherwise every side is to blame.
            Ir::And { lhs, rhs } | Ir::Or { lhs, rhs } => {
                let is_and = matches!(ir, Ir::And { .. });
                for side in [lhs, rhs] {
                    let blamed = if is_and == want {
                        self.holds(side) != want
                    } else {
                        true
                    };
                    if blamed {
                        self.why(side, want, prefix, out);
                    }
                }
            }
            Ir::Quantifier {
                kind,
                var,
                over,
                body,
            } => {
                // The items to name: those that fail an `all`, or that hold for a
                // `none` (or an `any` that must not hold). An `any` that no item
                // satisfies has no culprit item; its list is shown.
                let pick = match (kind, want) {
                    (QuantKind::All, true) => Some(false),
                    (QuantKind::None, true) | (QuantKind::Any, false) => Some(true),
                    _ => None,
                };
                match pick {
                    Some(pick) => {
                        let label = format!(
                            "{prefix}{var} in {} that {}",
                            text(over).unwrap_or_else(|| "the list".to_string()),
                            if pick { "hold" } else { "fail" }
                        );
                        self.items(var, over, body, pick, &label, prefix, out);
                    }
                    None => self.operand(over, prefix, out),
                }
            }
            Ir::Compare { lhs, rhs, .. } => {
                self.operand(lhs, prefix, out);
                self.operand(rhs, prefix, out);
            }
            Ir::In { elem, list, .. } => {
                self.operand(elem, prefix, out);
                self.operand(list, prefix, out);
            }
            Ir::Exists { arg } => self.operand(arg, prefix, out),
            Ir::Matches { subject, .. } => self.operand(subject, prefix, out),
            _ => self.operand(ir, prefix, out),
        }
    }

    /// Names the items of `over` for which `body` is `pick`, and, for the first few,
    /// the culprits of a condition that itself quantifies.
    #[expect(clippy::too_many_arguments, reason = "one recursive step of `why`")]
    fn items(
        &mut self,
        var: &str,
        over: &Ir,
        body: &Ir,
        pick: bool,
        label: &str,
        prefix: &str,
        out: &mut Vec<Observation>,
    ) {
        let Ok(Value::List(items)) = self.eval(over) else {
            return;
        };
        let read = fields_read(body, var);
        let mut shown = Vec::new();
        let mut picked = Vec::new();
        for item in items {
            self.vars.push((var.to_string(), item.clone()));
            let holds = self.holds(body);
            self.vars.pop();
            if holds == pick {
                if shown.len() < MAX_ITEMS {
                    shown.push(trim(&item, &read));
                }
                picked.push(item);
            }
        }
        push(out, label.to_string(), Value::List(shown));
        if !quantifies(body) {
            return;
        }
        for item in picked.into_iter().take(MAX_NESTED) {
            let inner = format!("{prefix}{var} = {}: ", naming(&item));
            self.vars.push((var.to_string(), item));
            self.why(body, !pick, &inner, out);
            self.vars.pop();
        }
    }

    /// Shows an operand: a fact, a field or a variable with its value (and the facts
    /// that name what a counting fact counts); the items a `count` counted.
    fn operand(&mut self, ir: &Ir, prefix: &str, out: &mut Vec<Observation>) {
        match ir {
            Ir::Const { .. } | Ir::List { .. } | Ir::Record { .. } => {}
            Ir::Arith { lhs, rhs, .. } => {
                self.operand(lhs, prefix, out);
                self.operand(rhs, prefix, out);
            }
            Ir::Neg { arg } => self.operand(arg, prefix, out),
            Ir::Count { over, filter: None } => self.operand(over, prefix, out),
            Ir::Count {
                over,
                filter: Some((var, body)),
            } => {
                let label = format!(
                    "{prefix}{var} in {} that count",
                    text(over).unwrap_or_else(|| "the list".to_string())
                );
                self.items(var, over, body, true, &label, prefix, out);
            }
            _ => {
                let Some(shown) = text(ir) else { return };
                if let Ok(v) = self.eval(ir) {
                    push(out, format!("{prefix}{shown}"), v);
                }
                if let Ir::Fact { path, args } = ir {
                    if args.is_empty() {
                        self.shown_with(path, prefix, out);
                    }
                }
            }
        }
    }

    /// The facts [`SHOWN_WITH`] `path`.
    fn shown_with(&mut self, path: &str, prefix: &str, out: &mut Vec<Observation>) {
        let Some((_, others)) = SHOWN_WITH.iter().find(|(p, _)| *p == path) else {
            return;
        };
        for other in *others {
            if let Ok(v) = self.facts.get(other, &[]) {
                push(out, format!("{prefix}{other}"), v);
            }
        }
    }
}

/// Adds an entry unless one with the same label is there.
fn push(out: &mut Vec<Observation>, fact: String, value: Value) {
    if out.len() < MAX_ENTRIES && !out.iter().any(|o| o.fact == fact) {
        out.push(Observation { fact, value });
    }
}

/// An operand as written, when it is a fact, a variable or a field of one.
fn text(ir: &Ir) -> Option<String> {
    match ir {
        Ir::Fact { path, args } => Some(crate::facts::shown(path, args)),
        Ir::Var { name } => Some(name.clone()),
        Ir::Field { base, field } => text(base).map(|b| format!("{b}.{field}")),
        _ => None,
    }
}

/// The fields of `var` that `ir` reads (`d.exists` reads `exists`).
fn fields_read(ir: &Ir, var: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![ir];
    while let Some(ir) = stack.pop() {
        if let Ir::Field { base, field } = ir {
            if matches!(base.as_ref(), Ir::Var { name } if name == var) && !out.contains(field) {
                out.push(field.clone());
            }
        }
        stack.extend(children(ir));
    }
    out
}

/// Whether `ir` holds a quantifier or a filtered count.
fn quantifies(ir: &Ir) -> bool {
    let mut stack = vec![ir];
    while let Some(ir) = stack.pop() {
        if matches!(
            ir,
            Ir::Quantifier { .. }
                | Ir::Count {
                    filter: Some(_),
                    ..
                }
        ) {
            return true;
        }
        stack.extend(children(ir));
    }
    false
}

/// The sub-expressions of `ir`.
fn children(ir: &Ir) -> Vec<&Ir> {
    match ir {
        Ir::Const { .. } | Ir::Fact { .. } | Ir::Var { .. } => Vec::new(),
        Ir::Field { base, .. } => vec![base],
        Ir::Not { arg } | Ir::Neg { arg } | Ir::Exists { arg } => vec![arg],
        Ir::Matches { subject, .. } => vec![subject],
        Ir::And { lhs, rhs }
        | Ir::Or { lhs, rhs }
        | Ir::Arith { lhs, rhs, .. }
        | Ir::Compare { lhs, rhs, .. } => vec![lhs, rhs],
        Ir::In { elem, list, .. } => vec![elem, list],
        Ir::Quantifier { over, body, .. } => vec![over, body],
        Ir::Count { over, filter } => {
            let mut v: Vec<&Ir> = vec![over];
            if let Some((_, body)) = filter {
                v.push(body);
            }
            v
        }
        Ir::Proportion { value, n } => vec![value, n],
        Ir::List { items } => items.iter().collect(),
        Ir::Record { fields } => fields.iter().map(|(_, v)| v).collect(),
    }
}

/// An item as shown: a record keeps the fields that name it and the plain fields the
/// condition reads (a list or a nested record is left out, an interval kept).
fn trim(item: &Value, read: &[String]) -> Value {
    let Value::Record(fields) = item else {
        return item.clone();
    };
    let kept: BTreeMap<String, Value> = fields
        .iter()
        .filter(|(k, v)| {
            NAMING.contains(&k.as_str())
                || (read.contains(k)
                    && match v {
                        Value::List(_) => false,
                        Value::Record(r) => r.contains_key("value") && r.contains_key("n"),
                        _ => true,
                    })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Record(kept)
}

/// What names an item in a label: its naming fields, or the item itself.
fn naming(item: &Value) -> String {
    match item {
        Value::Record(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .filter(|(k, v)| NAMING.contains(&k.as_str()) && !matches!(v, Value::Null))
                .map(|(k, v)| format!("{k}: {}", v.display()))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other.display(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{evaluate, Status};
    use crate::facts::GivenFacts;
    use clic_compiler::compile_str;

    fn culprits(expr: &str, facts: &[(&str, Value)]) -> Vec<Observation> {
        let text = format!(
            "policy local.t \"t\" {{\n  control c \"c\" {{\n    cites mdr \"Annex I 1\"\n    severity blocker\n    expect {expr}\n  }}\n}}\n"
        );
        let c = compile_str("t.clic", &text);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        let plan = c.plan.expect("a plan");
        let mut given = GivenFacts::default();
        for (path, v) in facts {
            given.set(path, &[], v.clone());
        }
        let r = evaluate(&plan.checks[0], &mut given);
        assert_eq!(r.status, Status::Failed, "{expr}");
        r.culprits
    }

    fn record(fields: &[(&str, Value)]) -> Value {
        Value::Record(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn s(x: &str) -> Value {
        Value::String(x.to_string())
    }

    #[test]
    fn a_counting_fact_brings_the_facts_that_name_what_it_counts() {
        let finding = record(&[("file", s("IM-7.dcm")), ("tag", s("(0010,0010)"))]);
        let c = culprits(
            "scans.deid.files_with_identifiers == 0",
            &[
                ("scans.deid.files_with_identifiers", Value::Number(1.0)),
                ("scans.deid.findings", Value::List(vec![finding.clone()])),
            ],
        );
        assert_eq!(c[1].fact, "scans.deid.findings");
        assert_eq!(c[1].value, Value::List(vec![finding]));
    }

    #[test]
    fn an_all_names_the_items_that_fail_with_the_fields_it_reads() {
        let doc = |kind: &str, exists: bool| {
            record(&[
                ("kind", s(kind)),
                ("exists", Value::Bool(exists)),
                ("approved", Value::Bool(exists)),
                ("missing_headings", Value::List(vec![s("Risks")])),
                ("approved_by", Value::Null),
            ])
        };
        let c = culprits(
            "all d in documents.all: d.exists and d.approved",
            &[(
                "documents.all",
                Value::List(vec![doc("ifu", true), doc("dpia", false)]),
            )],
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].fact, "d in documents.all that fail");
        assert_eq!(
            c[0].value,
            Value::List(vec![record(&[
                ("approved", Value::Bool(false)),
                ("exists", Value::Bool(false)),
                ("kind", s("dpia")),
            ])])
        );
    }

    #[test]
    fn a_conjunction_blames_only_its_false_sides() {
        let c = culprits(
            "documents.dpia.exists and documents.dpia.approved",
            &[(
                "documents.dpia",
                record(&[
                    ("exists", Value::Bool(true)),
                    ("approved", Value::Bool(false)),
                ]),
            )],
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].fact, "documents.dpia.approved");
    }

    #[test]
    fn nested_quantifiers_name_the_inner_items_under_the_outer_one() {
        let g = |v: &str, n: f64| {
            record(&[
                ("attribute", s("PatientSex")),
                ("value", s(v)),
                ("n", Value::Number(n)),
            ])
        };
        let f = record(&[
            ("name", s("effusion")),
            ("subgroups", Value::List(vec![g("F", 40.0), g("M", 12.0)])),
        ]);
        let c = culprits(
            "all f in benchmark.findings: all g in f.subgroups: g.n >= 30",
            &[("benchmark.findings", Value::List(vec![f]))],
        );
        assert_eq!(c[0].fact, "f in benchmark.findings that fail");
        assert_eq!(
            c[1].fact,
            "f = {name: \"effusion\"}: g in f.subgroups that fail"
        );
        assert_eq!(c[1].value, Value::List(vec![g("M", 12.0)]));
    }

    #[test]
    fn a_passing_check_has_no_culprits() {
        let text = "policy local.t \"t\" {\n  control c \"c\" {\n    cites mdr \"Annex I 1\"\n    severity blocker\n    expect benchmark.n > 1\n  }\n}\n";
        let plan = compile_str("t.clic", text).plan.expect("a plan");
        let mut given = GivenFacts::default();
        given.set("benchmark.n", &[], Value::Number(5.0));
        assert!(evaluate(&plan.checks[0], &mut given).culprits.is_empty());
    }

    #[test]
    fn every_fact_shown_with_another_is_declared() {
        let declared = |p: &str| clic_compiler::schema::FACTS.iter().any(|f| f.path == p);
        for (fact, others) in SHOWN_WITH {
            assert!(declared(fact), "{fact}");
            for o in *others {
                assert!(declared(o), "{o}");
            }
        }
    }
}
