//! The formatter over every .clic file of the repository: idempotent, and it changes
//! no meaning (the AST of the output equals the AST of the input). The standard
//! library and the examples are kept formatted.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use clic_compiler::fmt::format_source;
use clic_compiler::{parse_module, FileId};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn clic_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![repo()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_dir() {
                if !matches!(name.as_str(), "target" | ".git" | ".clic" | "fuzz") {
                    stack.push(path);
                }
            } else if name.ends_with(".clic") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fmt_is_idempotent_and_keeps_the_ast() {
    let files = clic_files();
    assert!(files.len() >= 10, "found only {} .clic files", files.len());
    let mut checked = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let (before, errors) = parse_module(FileId(0), &text);
        if !errors.is_empty() {
            assert!(
                format_source(&text).is_err(),
                "{}: fmt must refuse a file with syntax errors",
                path.display()
            );
            continue;
        }
        let once = format_source(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let twice = format_source(&once).expect("formatted output parses");
        assert_eq!(once, twice, "{}: fmt is not idempotent", path.display());
        let (after, errors) = parse_module(FileId(0), &once);
        assert!(
            errors.is_empty(),
            "{}: formatted output does not parse",
            path.display()
        );
        assert_eq!(before, after, "{}: fmt changed the meaning", path.display());
        let comments = |s: &str| s.lines().filter(|l| l.contains('#')).count();
        assert!(
            comments(&once) >= comments(&text),
            "{}: fmt lost a comment",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 5);
}

#[test]
fn shipped_sources_are_formatted() {
    for path in clic_files() {
        let shown = path
            .strip_prefix(repo())
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        if !(shown.starts_with("policies")
            || (shown.starts_with("examples") && !shown.contains("failing/syntax-error"))
            || (shown.contains("fixtures/valid") && !shown.contains("messy")))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let formatted = format_source(&text).unwrap_or_else(|e| panic!("{shown}: {e:?}"));
        assert_eq!(formatted, text, "{shown} is not formatted; run `clic fmt`");
    }
}

#[test]
fn comments_stay_where_they_were() {
    let text = std::fs::read_to_string(
        repo().join("compiler/tests/fixtures/valid/comments_and_blank_lines.clic"),
    )
    .expect("fixture");
    insta::assert_snapshot!(format_source(&text).expect("formats"));
}

#[test]
fn a_blank_line_after_a_statement_with_a_trailing_comment_is_kept() {
    let text = "model m {\n  version \"1.0.0\" # the version\n\n  purpose \"x\"\n  class I by rule 11 # trailing\n  # own line\n  artifact \"m.onnx\"\n}\n";
    let out = format_source(text).expect("formats");
    assert_eq!(out, text, "the blank line (and its absence) survive");
    assert_eq!(format_source(&out).expect("formats"), out, "idempotent");
}
