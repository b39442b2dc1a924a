//! The long explanations of the diagnostic codes (`compiler/src/diagnostics/explain/`,
//! printed by `clic explain E0xx`): every code has one, with a `## Wrong` and a `## Fixed`
//! example. Where the examples are `clic` blocks, the wrong one gives exactly its code and
//! the fixed one compiles without any diagnostic, so an explanation cannot drift from what
//! the compiler does. The codes the command line raises (a path, a model, a scan, a
//! document, a dossier or a key that cannot be used) show a shell session instead; the CLI
//! tests in `tests/cli_codes.rs` give each of them a case.

use clic_compiler::diagnostics::{render_plain, Code, ALL_CODES};
use clic_compiler::{compile, Loader};
use std::collections::BTreeMap;
use std::path::Path;

/// The codes raised outside the compiler, by the command line.
const CLI_CODES: [Code; 6] = [
    Code::E020,
    Code::E021,
    Code::E022,
    Code::E023,
    Code::E030,
    Code::E031,
];

/// A fenced block: its info string (`clic`, `clic b.clic`, `sh`) and its text.
struct Block {
    info: String,
    text: String,
}

/// The fenced blocks of the section under `## {heading}`, up to the next `## ` heading.
fn section(explanation: &str, heading: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut inside = false;
    let mut fence: Option<Block> = None;
    for line in explanation.lines() {
        if fence.is_none() && line.starts_with("## ") {
            inside = line.trim_end() == format!("## {heading}");
            continue;
        }
        if !inside {
            continue;
        }
        match (&mut fence, line.strip_prefix("```")) {
            (None, Some(info)) => {
                fence = Some(Block {
                    info: info.trim().to_string(),
                    text: String::new(),
                });
            }
            (Some(_), Some("")) => blocks.extend(fence.take()),
            (Some(b), _) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(
        fence.is_none(),
        "an unclosed code block under `## {heading}`"
    );
    blocks
}

/// The `clic` blocks of a section as project files: `clic NAME` names one, the first
/// unnamed one is `example.clic`.
fn clic_files(blocks: &[Block]) -> Option<Vec<(String, String)>> {
    let files: Vec<(String, String)> = blocks
        .iter()
        .filter_map(|b| {
            let mut words = b.info.split_whitespace();
            (words.next() == Some("clic")).then(|| {
                let name = words.next().unwrap_or("example.clic").to_string();
                (name, b.text.clone())
            })
        })
        .collect();
    (!files.is_empty()).then_some(files)
}

/// Serves imports from the example's own files, as a project folder would.
struct Files(BTreeMap<String, String>);

impl Loader for Files {
    fn load(&mut self, _from: &str, target: &str) -> Result<(String, String), String> {
        self.0
            .get(target)
            .map(|t| (target.to_string(), t.clone()))
            .ok_or_else(|| "no such file or folder".to_string())
    }
}

/// The codes the files give, sorted, and the rendered diagnostics.
fn codes_of(files: Vec<(String, String)>) -> (Vec<Code>, String) {
    let mut loader = Files(files.iter().cloned().collect());
    let out = compile(files, &mut loader);
    let mut codes: Vec<Code> = out.diagnostics.iter().map(|d| d.code).collect();
    codes.sort();
    (codes, render_plain(&out.diagnostics, &out.sources))
}

#[test]
fn every_code_explains_itself_with_a_wrong_and_a_fixed_example() {
    for code in ALL_CODES {
        let text = code.explanation();
        let first = text.lines().next().unwrap_or_default();
        assert!(
            !first.is_empty() && !first.starts_with('#') && !first.starts_with("```"),
            "explain/{code:?}.md must open with what the code means"
        );
        for heading in ["Wrong", "Fixed"] {
            assert!(
                !section(text, heading).is_empty(),
                "explain/{code:?}.md has no code block under `## {heading}`"
            );
        }
    }
}

#[test]
fn the_wrong_example_gives_exactly_its_code_and_the_fixed_one_compiles() {
    for code in ALL_CODES {
        let text = code.explanation();
        let wrong = clic_files(&section(text, "Wrong"));
        let fixed = clic_files(&section(text, "Fixed"));
        if CLI_CODES.contains(&code) {
            assert!(
                wrong.is_none() && fixed.is_none(),
                "{code:?} is raised by the command line: its examples are shell sessions"
            );
            continue;
        }
        let wrong = wrong.unwrap_or_else(|| panic!("{code:?}: the wrong example is not `clic`"));
        let fixed = fixed.unwrap_or_else(|| panic!("{code:?}: the fixed example is not `clic`"));
        let (codes, rendered) = codes_of(wrong);
        assert!(
            !codes.is_empty() && codes.iter().all(|c| *c == code),
            "the wrong example of {code:?} gives {codes:?}, not just {code:?}:\n{rendered}"
        );
        let (codes, rendered) = codes_of(fixed);
        assert!(
            codes.is_empty(),
            "the fixed example of {code:?} gives {codes:?}:\n{rendered}"
        );
    }
}

#[test]
fn every_explanation_file_belongs_to_a_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/diagnostics/explain");
    for entry in std::fs::read_dir(&dir).expect("the explanations folder") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        let code = name.strip_suffix(".md").and_then(Code::parse);
        let code = code.unwrap_or_else(|| panic!("explain/{name} is not `E0xx.md` of a code"));
        let text = std::fs::read_to_string(dir.join(&*name)).expect("readable");
        assert_eq!(
            text,
            code.explanation(),
            "explain/{name} is not what {code:?} embeds"
        );
    }
}
