//! Fuzz target: parse, resolve, type-check and lower arbitrary UTF-8, render its
//! diagnostics, and format it. Beyond "no panic" it checks the invariants of
//! `compiler/tests/robustness.rs`: a Plan exactly when there is no diagnostic, every
//! label within its file on char boundaries, and a formatter whose output parses to
//! the same module and is a fixed point.
//!
//! Deep nesting and long chains are part of the input space: a text nested deeper than
//! the compiler accepts must give E019, never a stack overflow, and a label past column
//! 65,535 must render. The dictionary (`clic.dict`) holds 64-byte runs of brackets,
//! `not`s, `-`s and `and` / `+` chains, and `seed.sh` seeds the e019 fixture; run with
//! `-max_len=200000` so that mutants can grow past the limits (the default of 4096 bytes
//! reaches the AST limit of 128 levels, not the depth scan's).
#![no_main]

use clic_compiler::diagnostics::render_plain;
use clic_compiler::fmt::format_source;
use clic_compiler::{compile_str, parse_module, Diagnostic, FileId, Origin, SourceMap};
use libfuzzer_sys::fuzz_target;

fn check_locations(diags: &[Diagnostic], sources: &SourceMap) {
    for d in diags {
        for label in &d.labels {
            let loc = label.loc;
            let text = sources.get(loc.file).map(|f| f.text.as_str());
            assert!(text.is_some(), "{}: label in unknown file", d.message);
            let text = text.unwrap_or("");
            assert!(
                loc.start <= loc.end && loc.end <= text.len(),
                "{}: label {}..{} outside a text of {} bytes",
                d.message,
                loc.start,
                loc.end,
                text.len()
            );
            assert!(
                text.is_char_boundary(loc.start) && text.is_char_boundary(loc.end),
                "{}: label {}..{} not on char boundaries",
                d.message,
                loc.start,
                loc.end
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    let c = compile_str("fuzz.clic", text);
    assert_eq!(c.plan.is_some(), c.diagnostics.is_empty());
    check_locations(&c.diagnostics, &c.sources);
    let _ = render_plain(&c.diagnostics, &c.sources);

    match format_source(text) {
        Err(diags) => {
            assert!(
                !diags.is_empty(),
                "format_source failed without a diagnostic"
            );
            let mut sources = SourceMap::default();
            sources.add("fuzz.clic", text, Origin::Project);
            check_locations(&diags, &sources);
        }
        Ok(formatted) => {
            let (before, before_diags) = parse_module(FileId(0), text);
            assert!(
                before_diags.is_empty(),
                "formatted a text that does not parse"
            );
            let (after, after_diags) = parse_module(FileId(0), &formatted);
            assert!(
                after_diags.is_empty(),
                "the formatted text does not parse:\n{formatted}"
            );
            assert!(before == after, "parse(fmt(x)) != parse(x):\n{formatted}");
            let again = format_source(&formatted);
            assert!(
                again.as_ref().ok() == Some(&formatted),
                "fmt(fmt(x)) != fmt(x):\n{formatted}"
            );
        }
    }
});
