//! The README is executable: its clic examples compile and their tests pass, its set-up
//! commands are the ones CI runs, and the reference in docs/ lists every diagnostic code.
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

/// The commands of the README's `sh` blocks, one a line, comments and blank lines left out.
fn sh_commands(text: &str) -> Vec<String> {
    text.split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .flat_map(str::lines)
        .map(|l| l.split(" #").next().unwrap_or(l).trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn the_readme_set_up_is_what_ci_runs() {
    let commands = sh_commands(&readme());
    for expected in [
        "cargo install --path . --locked",
        "cargo run --release -- check examples/chest-xray-triage",
        "cargo test --workspace",
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "README.md shows `{expected}`: {commands:?}"
        );
    }
    let ci =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect(".ci/run");
    let last = ci
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        .expect("a command");
    assert_eq!(
        last, "cargo test --workspace",
        "CI runs the README's test command"
    );
}

#[test]
fn the_reference_lists_every_diagnostic_code() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/codes.md"))
        .expect("docs/codes.md");
    for code in clic_compiler::diagnostics::ALL_CODES {
        assert!(
            text.contains(&format!("`{}`", code.id())),
            "docs/codes.md does not list {}",
            code.id()
        );
    }
}

#[test]
fn the_readme_links_to_files_that_exist() {
    let text = readme();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut links = 0;
    for part in text.split("](").skip(1) {
        let target = part.split(')').next().unwrap_or("");
        let file = target.split('#').next().unwrap_or("");
        if file.is_empty() || file.contains("://") {
            continue;
        }
        links += 1;
        assert!(
            root.join(file).exists(),
            "README.md links to {target}, which is missing"
        );
    }
    assert!(links >= 7, "the README links to its reference");
}
