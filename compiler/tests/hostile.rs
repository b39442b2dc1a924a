//! Hostile sources: very long and very deeply nested expressions. Each either compiles
//! or gives a coded diagnostic; none may overflow the stack of the compiler, the
//! formatter, the Plan's serde or the drop of its trees. The tests run on the test
//! harness's threads (2 MiB of stack by default), smaller than a program's main thread.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use clic_compiler::diagnostics::render_plain;
use clic_compiler::fmt::format_source;
use clic_compiler::plan::Ir;
use clic_compiler::{compile_str, Compilation};

/// A policy whose only control expects `expr`.
fn policy(expr: &str) -> String {
    format!(
        "policy local.p \"p\" {{\n  control c \"c\" {{\n    cites mdr \"Annex I 1\"\n    severity major\n    expect {expr}\n  }}\n}}\n"
    )
}

fn codes(c: &Compilation) -> Vec<String> {
    c.diagnostics.iter().map(|d| d.code.id()).collect()
}

/// Compiles `text`, renders its diagnostics, and returns the compilation.
fn compile(text: &str) -> Compilation {
    let c = compile_str("hostile.clic", text);
    render_plain(&c.diagnostics, &c.sources);
    c
}

/// The only diagnostic of `text` is E019, with its label inside the text.
fn assert_too_deep(text: &str) {
    let c = compile(text);
    assert_eq!(
        codes(&c),
        ["clic::E019"],
        "{}",
        render_plain(&c.diagnostics, &c.sources)
    );
    let loc = c.diagnostics[0].loc().expect("a location");
    assert!(loc.start < loc.end && loc.end <= text.len(), "{loc:?}");
    assert!(c.plan.is_none());
}

/// The depth of an IR tree, measured without recursion.
fn ir_depth(ir: &Ir) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(ir, 1usize)];
    while let Some((ir, d)) = stack.pop() {
        deepest = deepest.max(d);
        let children: Vec<&Ir> = match ir {
            Ir::Const { .. } | Ir::Fact { .. } | Ir::Var { .. } => vec![],
            Ir::Field { base: a, .. }
            | Ir::Not { arg: a }
            | Ir::Neg { arg: a }
            | Ir::Exists { arg: a }
            | Ir::Matches { subject: a, .. } => vec![a],
            Ir::And { lhs, rhs }
            | Ir::Or { lhs, rhs }
            | Ir::Arith { lhs, rhs, .. }
            | Ir::Compare { lhs, rhs, .. } => vec![lhs, rhs],
            Ir::In { elem, list, .. } => vec![elem, list],
            Ir::Quantifier { over, body, .. } => vec![over, body],
            Ir::Count { over, filter } => {
                let mut v = vec![over.as_ref()];
                v.extend(filter.as_ref().map(|(_, b)| b.as_ref()));
                v
            }
            Ir::Proportion { value, n } => vec![value, n],
            Ir::List { items } => items.iter().collect(),
            Ir::Record { fields } => fields.iter().map(|(_, v)| v).collect(),
        };
        stack.extend(children.into_iter().map(|c| (c, d + 1)));
    }
    deepest
}

fn and_chain(terms: usize, op: &str) -> String {
    (0..terms)
        .map(|i| format!("benchmark.sensitivity >= 0.{}", i % 10))
        .collect::<Vec<_>>()
        .join(&format!(" {op} "))
}

#[test]
fn ten_thousand_conditions_joined_by_and_compile_to_a_shallow_plan() {
    let text = policy(&and_chain(10_000, "and"));
    assert!(text.len() > 100_000);
    let c = compile(&text);
    assert!(c.diagnostics.is_empty(), "{:?}", codes(&c));
    let plan = c.plan.expect("a plan");
    let expectation = &plan.checks[0].expect[0];
    // 10,000 operands: 14 levels of `and`, then the comparison and its operands.
    assert!(
        ir_depth(&expectation.ir) <= 14 + 2,
        "{}",
        ir_depth(&expectation.ir)
    );
    assert_eq!(expectation.text.matches(" and ").count(), 9_999);
    let json = serde_json::to_string(&plan).expect("the plan serialises");
    let back: serde_json::Value = serde_json::from_str(&json).expect("and reads back");
    assert!(back.is_object());
    let formatted = format_source(&text).expect("it formats");
    assert_eq!(formatted.matches(" and ").count(), 9_999);
}

#[test]
fn long_or_chains_and_mixed_chains_compile_too() {
    let c = compile(&policy(&and_chain(10_000, "or")));
    assert!(c.diagnostics.is_empty(), "{:?}", codes(&c));
    let mixed = (0..5_000)
        .map(|i| format!("(exists model.version or benchmark.n >= {i})"))
        .collect::<Vec<_>>()
        .join(" and ");
    let c = compile(&policy(&mixed));
    assert!(c.diagnostics.is_empty(), "{:?}", codes(&c));
}

#[test]
fn short_chains_keep_their_left_leaning_shape() {
    let c = compile(&policy(
        "exists model.version and exists model.purpose and exists model.class",
    ));
    let plan = c.plan.expect("a plan");
    let Ir::And { lhs, rhs } = &plan.checks[0].expect[0].ir else {
        panic!("an `and`");
    };
    assert!(matches!(lhs.as_ref(), Ir::And { .. }), "{lhs:?}");
    assert!(matches!(rhs.as_ref(), Ir::Exists { .. }), "{rhs:?}");
}

#[test]
fn nesting_up_to_the_limit_compiles_and_one_more_level_is_e019() {
    // `exists x` is the root's one level below the parentheses.
    let nested = |n: usize| {
        policy(&format!(
            "{}exists model.version{}",
            "(".repeat(n),
            ")".repeat(n)
        ))
    };
    let c = compile(&nested(127));
    assert!(c.diagnostics.is_empty(), "{:?}", codes(&c));
    assert!(c.plan.is_some());
    assert_too_deep(&nested(128));
    let nots = |n: usize| policy(&format!("{}exists model.version", "not ".repeat(n)));
    assert!(compile(&nots(127)).diagnostics.is_empty());
    assert_too_deep(&nots(128));
}

#[test]
fn parentheses_100k_deep_are_e019() {
    let deep = 100_000;
    assert_too_deep(&policy(&format!(
        "{}exists model.version{}",
        "(".repeat(deep),
        ")".repeat(deep)
    )));
    // Unclosed, as a fuzzer would write it.
    assert_too_deep(&policy(&"(".repeat(deep)));
    assert_too_deep(&policy(&"[".repeat(deep)));
    assert_too_deep(&"{".repeat(deep));
}

#[test]
fn nesting_that_passes_the_scan_is_still_e019() {
    // Fewer brackets than the scan refuses, more levels than the AST builder accepts.
    let n = 128;
    assert_too_deep(&policy(&format!(
        "{}exists model.version{}",
        "(".repeat(n),
        ")".repeat(n)
    )));
    assert_too_deep(&policy(&format!(
        "{}exists model.version",
        "not ".repeat(250)
    )));
    // Quantifiers and parentheses 250 levels deep together: more than pest can parse on
    // a test thread's stack in a debug build, so its stack guard stops it (also E019).
    assert_too_deep(&policy(&format!(
        "{}true{}",
        "all g in benchmark.by(\"Manufacturer\"): (".repeat(125),
        ")".repeat(125)
    )));
    assert_too_deep(&policy(&format!(
        "count({}benchmark.by(\"Manufacturer\"){}) > 1",
        "[".repeat(126),
        "]".repeat(126)
    )));
}

#[test]
fn prefix_minus_and_arithmetic_chains_are_bounded() {
    assert_too_deep(&policy(&format!("benchmark.n >= {}1", "-".repeat(100_000))));
    assert_too_deep(&policy(&format!(
        "benchmark.n >= {}",
        vec!["1"; 10_000].join(" + ")
    )));
    assert_too_deep(&policy(&format!(
        "benchmark.n >= {}",
        vec!["2"; 10_000].join(" * ")
    )));
    let c = compile(&policy(&format!(
        "benchmark.n >= {}",
        vec!["1"; 100].join(" + ")
    )));
    assert!(c.diagnostics.is_empty(), "{:?}", codes(&c));
}

#[test]
fn deep_test_data_is_e019_too() {
    let text = format!(
        "{}test \"t\" {{\n  given benchmark.sensitivity = {}0.9 of 10{}\n  expect local.p.c passes\n}}\n",
        policy("benchmark.sensitivity >= 0.5"),
        "(".repeat(200),
        ")".repeat(200)
    );
    assert_too_deep(&text);
}

#[test]
fn each_statement_reports_its_own_depth_error() {
    // 128 parentheses in two blocks: within the scan, one level too deep for the AST.
    let deep = format!("{}exists model.version{}", "(".repeat(128), ")".repeat(128));
    let text = format!(
        "policy local.p \"p\" {{\n  control c \"c\" {{\n    cites mdr \"Annex I 1\"\n    severity major\n    expect {deep}\n    expect {deep} and {deep}\n  }}\n}}\n"
    );
    let c = compile(&text);
    assert_eq!(codes(&c), ["clic::E019", "clic::E019"]);
    // The AST builder's label: the node one level too deep, inside the second statement.
    let second = text.rfind("expect").expect("two statements");
    assert!(c.diagnostics[1].loc().expect("a place").start > second);
}

#[test]
fn the_formatter_refuses_what_the_compiler_refuses() {
    let text = policy(&format!("{}exists model.version", "not ".repeat(300)));
    let err = format_source(&text).expect_err("too deep to format");
    assert_eq!(err[0].code.id(), "clic::E019");
}

/// A policy whose `expect` is one line of about 70,000 columns ending in `tail`.
fn long_line(tail: &str) -> String {
    let head = "exists model.version and ".repeat(2_900);
    assert!(head.len() > 70_000);
    policy(&format!("{head}{tail}"))
}

#[test]
fn a_diagnostic_past_column_65535_renders_with_its_place_as_a_note() {
    for (tail, code, label) in [
        ("benchmark.n >= \"many\"", "clic::E003", "this is a String"),
        ("benchmark.n >= )", "clic::E001", "unexpected `)`"),
    ] {
        let text = long_line(tail);
        let c = compile_str("hostile.clic", &text);
        assert_eq!(codes(&c)[0], code);
        let (_, line, col) = c.diagnostics[0].position(&c.sources).expect("a place");
        assert!(col > 70_000, "{col}");
        let plain = render_plain(&c.diagnostics, &c.sources);
        assert!(plain.contains(code), "{plain}");
        assert!(
            plain.contains(&format!("{label}: hostile.clic:{line}:")),
            "{plain}"
        );
        // The 70,000-column line itself is not printed.
        assert!(plain.len() < 10_000, "{} bytes", plain.len());
        // The coloured renderer a terminal gets goes through the same report.
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode());
        for d in &c.diagnostics {
            let mut out = String::new();
            handler
                .render_report(&mut out, &d.report(&c.sources))
                .expect("renders");
            assert!(out.contains(&d.message), "{out}");
        }
    }
}

#[test]
fn labels_on_ordinary_lines_are_still_drawn() {
    let text = policy("benchmark.n >= \"many\"");
    let c = compile_str("hostile.clic", &text);
    let plain = render_plain(&c.diagnostics, &c.sources);
    assert!(plain.contains("╰── this is a String"), "{plain}");
    assert!(!plain.contains("this is a String: hostile.clic"), "{plain}");
}
