//! Hostile `.clic` sources through the binary: `compile`, `check` and `test` give a
//! normal result or a coded diagnostic with exit status 2, never a stack overflow
//! (exit 134) or a panic (exit 101); arithmetic without a value never passes a gate.
#![expect(
    clippy::expect_used,
    reason = "a test helper that cannot set up its fixture should fail the test loudly"
)]

mod common;

use common::{clic, project};
use predicates::prelude::*;

const MODEL: &str = r#"model demo {
  version "1.2.0"
  purpose "Flags chest radiographs for prioritised reading."
  class IIa by rule 11
  artifact "model.onnx"
  claims {
    sensitivity 90%
  }
}
"#;

/// A policy `local.p` whose control `c` expects `expr`.
fn policy(expr: &str) -> String {
    format!(
        "policy local.p \"p\" {{\n  control c \"c\" {{\n    cites mdr \"Annex I 1\"\n    severity blocker\n    expect {expr}\n  }}\n}}\n"
    )
}

/// A test block that sets the sensitivity claim and expects `outcome` of `local.p.c`.
fn test_block(claim: &str, outcome: &str) -> String {
    format!(
        "test \"t\" {{\n  given model.claims.sensitivity = {claim}\n  expect local.p.c {outcome}\n}}\n"
    )
}

/// Runs `clic <cmd> <dir>` and returns its exit code, stdout and stderr.
fn run(cmd: &str, dir: &tempfile::TempDir) -> (Option<i32>, String, String) {
    let out = clic().arg(cmd).arg(dir.path()).output().expect("clic runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ten_thousand_conditions_joined_by_and_compile_check_and_test() {
    let chain = vec!["model.claims.sensitivity >= 50%"; 10_000].join(" and ");
    let source = policy(&chain);
    assert!(source.len() > 100_000);
    let dir = project(&[
        ("model.clic", MODEL),
        ("policy.clic", &source),
        ("tests.clic", &test_block("90%", "passes")),
    ]);
    let out = clic()
        .arg("compile")
        .arg(dir.path())
        .args(["--emit-plan", "-"])
        .assert()
        .success();
    let plan: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).expect("the plan is JSON");
    assert_eq!(plan["checks"][0]["id"], "local.p.c");
    assert_eq!(plan["checks"][0]["expect"][0]["ir"]["op"], "and");
    let (code, out, err) = run("check", &dir);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("gate: passed"), "{out}");
    let (code, out, err) = run("test", &dir);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
}

#[test]
fn deep_nesting_is_e019_in_compile_check_and_test() {
    let deep = 100_000;
    for expr in [
        format!(
            "{}model.claims.sensitivity >= 50%{}",
            "(".repeat(deep),
            ")".repeat(deep)
        ),
        format!("{}exists model.version", "not ".repeat(deep)),
        format!(
            "model.claims.sensitivity >= {}",
            vec!["0.1"; 10_000].join(" + ")
        ),
    ] {
        let dir = project(&[
            ("model.clic", MODEL),
            ("policy.clic", &policy(&expr)),
            ("tests.clic", &test_block("90%", "passes")),
        ]);
        for cmd in ["compile", "check", "test"] {
            let (code, out, err) = run(cmd, &dir);
            assert_eq!(code, Some(2), "{cmd}: {out}{}", &err[..err.len().min(2000)]);
            assert!(
                err.contains("clic::E019"),
                "{cmd}: {}",
                &err[..err.len().min(2000)]
            );
            assert!(err.contains("expression nested too deeply"), "{cmd}");
        }
    }
}

/// An `expect` on one line of about 70,000 columns that ends in `tail`.
fn long_line(tail: &str) -> String {
    policy(&format!(
        "{}{tail}",
        "exists model.version and ".repeat(2_900)
    ))
}

#[test]
fn an_error_past_column_65535_is_reported_not_a_panic() {
    for (tail, code, label) in [
        (
            "model.claims.sensitivity >= \"high\"",
            "clic::E003",
            "this is a String",
        ),
        (
            "model.claims.sensitivity >= )",
            "clic::E001",
            "unexpected `)`",
        ),
    ] {
        let dir = project(&[("model.clic", MODEL), ("policy.clic", &long_line(tail))]);
        for cmd in ["compile", "check"] {
            let (status, _, err) = run(cmd, &dir);
            assert_eq!(status, Some(2), "{cmd}: {}", &err[..err.len().min(2000)]);
            assert!(err.contains(code), "{cmd}: {err}");
            // The place is given as a note; the 70,000-column line is not printed.
            assert!(err.contains(&format!("{label}: policy.clic:5:")), "{err}");
            assert!(err.len() < 10_000, "{} bytes", err.len());
        }
    }
}

#[test]
fn the_colour_renderer_of_a_terminal_reports_it_too() {
    // `script` gives clic a terminal, so it renders in colour.
    let script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok();
    if !common::skip::require("script", script, "util-linux") {
        return;
    }
    let dir = project(&[
        ("model.clic", MODEL),
        (
            "policy.clic",
            &long_line("model.claims.sensitivity >= \"high\""),
        ),
    ]);
    let bin = assert_cmd::cargo::cargo_bin("clic");
    let command = format!("'{}' compile '{}'", bin.display(), dir.path().display());
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .output()
        .expect("script runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("clic::E003"), "{text}");
    assert!(text.contains("\u{1b}["), "not coloured: {text}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn division_by_zero_is_unavailable_and_fails_the_gate() {
    let dir = project(&[
        ("model.clic", MODEL),
        (
            "policy.clic",
            &policy("not (model.claims.sensitivity / 0 == model.claims.sensitivity / 0)"),
        ),
        ("tests.clic", &test_block("90%", "passes")),
    ]);
    let (code, out, err) = run("check", &dir);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("UNAVAILABLE"), "{out}");
    assert!(out.contains("`0.9 / 0`: is a division by zero"), "{out}");
    assert!(out.contains("gate: FAILED"), "{out}");
    let (code, out, err) = run("test", &dir);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("could not be evaluated: `0.9 / 0` is a division by zero"),
        "{out}"
    );
}

#[test]
fn proportions_a_benchmark_cannot_give_are_e017() {
    for (claim, message) in [
        (
            "7 of 10",
            "a proportion lies between 0 and 1, but this is `7`",
        ),
        (
            "0.9 of -5",
            "the number of cases is a whole number, 0 or more, but this is `-5`",
        ),
    ] {
        let tests = format!(
            "test \"t\" {{\n  given benchmark.sensitivity = {claim}\n  expect local.p.c passes\n}}\n"
        );
        let dir = project(&[
            ("policy.clic", &policy("benchmark.sensitivity >= 0.5")),
            ("tests.clic", &tests),
        ]);
        clic()
            .arg("test")
            .arg(dir.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains("clic::E017"))
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains("tests.clic:2:"));
    }
}
