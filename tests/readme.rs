//! The README is executable: its clic examples compile and their tests pass, and its
//! table of diagnostic codes lists every code.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot read its inputs should fail loudly"
)]

mod common;

use common::clic;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

fn clic_blocks(text: &str) -> Vec<String> {
    text.split("```clic\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_examples_compile_and_their_tests_pass() {
    let blocks = clic_blocks(&readme());
    assert!(blocks.len() >= 2, "the README shows the language");
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, block) in blocks.iter().enumerate() {
        std::fs::write(dir.path().join(format!("readme{i}.clic")), block).expect("write");
    }
    clic().arg("test").arg(dir.path()).assert().success();
    clic()
        .arg("fmt")
        .arg("--check")
        .arg(dir.path())
        .assert()
        .success();
}

#[test]
fn readme_lists_every_diagnostic_code() {
    let text = readme();
    for code in clic_compiler::diagnostics::ALL_CODES {
        assert!(
            text.contains(&format!("`{}`", code.id())),
            "README.md does not list {}",
            code.id()
        );
    }
}
