//! The fixture corpus: every `tests/fixtures/{valid,invalid}/*.clic` file states its
//! expected outcome in its first line (`# expect: ok` or `# expect: E001 E003 ...`);
//! the rendered diagnostics (or the Plan) are snapshots. Adding a case is adding a file.
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_compiler::diagnostics::render_plain;
use clic_compiler::{compile, Loader};
use std::path::{Path, PathBuf};

/// Reads imports from the fixture's own folder.
struct DirLoader(PathBuf);

impl Loader for DirLoader {
    fn load(&mut self, _from: &str, target: &str) -> Result<(String, String), String> {
        std::fs::read_to_string(self.0.join(target))
            .map(|t| (target.to_string(), t))
            .map_err(|_| "no such file or folder".to_string())
    }
}

fn expected_codes(text: &str) -> Vec<String> {
    let first = text.lines().next().unwrap_or_default();
    let spec = first
        .strip_prefix("# expect:")
        .unwrap_or_else(|| panic!("first line must be `# expect: ...`, found {first:?}"));
    let mut codes: Vec<String> = spec
        .split_whitespace()
        .filter(|c| *c != "ok")
        .map(|c| format!("clic::{c}"))
        .collect();
    codes.sort();
    codes
}

fn run(path: &Path) -> (Vec<String>, String, Option<String>) {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    let dir = path.parent().expect("parent").to_path_buf();
    let out = compile(vec![(name, text)], &mut DirLoader(dir));
    let mut codes: Vec<String> = out.diagnostics.iter().map(|d| d.code.id()).collect();
    codes.sort();
    let rendered = render_plain(&out.diagnostics, &out.sources);
    let plan = out
        .plan
        .map(|p| serde_json::to_string_pretty(&p).expect("plan serialises"));
    (codes, rendered, plan)
}

#[test]
fn invalid_fixtures_report_exactly_their_codes() {
    insta::glob!("fixtures/invalid/*.clic", |path| {
        let text = std::fs::read_to_string(path).expect("readable");
        let (codes, rendered, plan) = run(path);
        assert_eq!(
            codes,
            expected_codes(&text),
            "codes of {}:\n{rendered}",
            path.display()
        );
        assert!(plan.is_none(), "an invalid file must not produce a plan");
        insta::assert_snapshot!(format!("{text}\n---- diagnostics ----\n{rendered}"));
    });
}

#[test]
fn valid_fixtures_compile_to_their_plan() {
    insta::glob!("fixtures/valid/*.clic", |path| {
        let text = std::fs::read_to_string(path).expect("readable");
        assert!(
            expected_codes(&text).is_empty(),
            "{} must start with `# expect: ok`",
            path.display()
        );
        let (codes, rendered, plan) = run(path);
        assert!(codes.is_empty(), "{}:\n{rendered}", path.display());
        insta::assert_snapshot!(plan.expect("valid fixtures compile"));
    });
}

#[test]
fn every_code_has_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut covered = String::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "clic") {
            covered.push_str(
                std::fs::read_to_string(&path)
                    .expect("readable")
                    .lines()
                    .next()
                    .unwrap_or_default(),
            );
        }
    }
    for code in clic_compiler::diagnostics::ALL_CODES {
        let bare = format!("{code:?}");
        if matches!(
            bare.as_str(),
            "E020" | "E021" | "E022" | "E023" | "E030" | "E031"
        ) {
            continue; // raised by the command line: its fixtures are in tests/cli_codes.rs
        }
        assert!(covered.contains(&bare), "no invalid fixture expects {bare}");
    }
}
