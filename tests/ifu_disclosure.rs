//! The IFU against the risk file (`documents.consistency.ifu_missing_risks`,
//! `iso14971.risk_control.residual-risks-disclosed`): both examples disclose every risk
//! control their risk files mark as information for safety, and copies of the example
//! whose IFU drops a statement, or whose risk file promises one the IFU never makes, fail
//! and name the hazard.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, example, example_copy, root, without_robustness};
use serde_json::Value;
use std::path::Path;

const CONTROL: &str = "iso14971.risk_control.residual-risks-disclosed";
const FACT: &str = "documents.consistency.ifu_missing_risks";

/// The control's result and the fact's entries on a CI run (pre-commit runs only the
/// checks whose inputs are staged).
fn disclosure(dir: &Path) -> (String, Vec<String>) {
    let out = clic()
        .arg("check")
        .arg(dir)
        .args(["--stage", "ci", "--format", "json"])
        .output()
        .expect("clic runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let r = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == CONTROL)
        .unwrap_or_else(|| panic!("no result for {CONTROL}"));
    let missing = r["observed"]
        .as_array()
        .expect("observed")
        .iter()
        .find(|o| o["fact"] == FACT)
        .unwrap_or_else(|| panic!("{FACT} not observed in {r}"))["value"]["list"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["string"].as_str().expect("a string").to_string())
        .collect();
    (r["status"].as_str().expect("status").to_string(), missing)
}

/// A copy of the example without its robustness study, which this control does not read.
fn copy() -> tempfile::TempDir {
    let dir = example_copy();
    without_robustness(dir.path());
    dir
}

fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let p = dir.join(rel);
    let text = std::fs::read_to_string(&p).expect("read");
    assert!(text.contains(from), "{rel} does not hold {from:?}");
    std::fs::write(p, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn both_examples_disclose_their_information_for_safety() {
    for dir in [example(), root().join("examples/cxr-findings")] {
        let (status, missing) = disclosure(&dir);
        assert_eq!(status, "passed", "{}: {missing:?}", dir.display());
        assert!(missing.is_empty(), "{missing:?}");
    }
}

#[test]
fn an_ifu_without_a_statement_the_risk_file_quotes_fails_on_that_hazard() {
    let dir = copy();
    // The IFU no longer says that a flag may be false (H2's information for safety).
    edit(
        dir.path(),
        "docs/ifu.md",
        "- A flag does not confirm a pneumothorax:",
        "- A flag is usually right:",
    );
    let (status, missing) = disclosure(dir.path());
    assert_eq!(status, "failed", "{missing:?}");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].starts_with("H2: ")
            && missing[0].contains("\"A flag does not confirm a pneumothorax\""),
        "{missing:?}"
    );
}

#[test]
fn a_statement_moved_out_of_the_warnings_is_not_disclosed() {
    let dir = copy();
    // The warning now stands under the clinical benefits, not a safety section.
    edit(
        dir.path(),
        "docs/ifu.md",
        "- The absence of a flag does not exclude a pneumothorax. Read every study.\n",
        "",
    );
    edit(
        dir.path(),
        "docs/ifu.md",
        "diagnosis and treatment.\n",
        "diagnosis and treatment. The absence of a flag does not exclude a pneumothorax.\n",
    );
    let (status, missing) = disclosure(dir.path());
    assert_eq!(status, "failed", "{missing:?}");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].starts_with("H1: "), "{missing:?}");
}

#[test]
fn an_information_control_without_a_statement_needs_its_hazard_named() {
    let dir = copy();
    // H4 gains an information control with no IFU statement: the IFU must name H4.
    edit(
        dir.path(),
        "docs/risk-management.md",
        "| H5 | Protection:",
        "| H4 | Information: the IFU says performance may drift | IFU review |  |\n| H5 | Protection:",
    );
    let (status, missing) = disclosure(dir.path());
    assert_eq!(status, "failed", "{missing:?}");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].starts_with("H4: ") && missing[0].contains("do not name H4"));
    edit(
        dir.path(),
        "docs/ifu.md",
        "## Limitations and residual risks\n",
        "## Limitations and residual risks\n\n- Performance may drift with new equipment (H4).\n",
    );
    let (status, missing) = disclosure(dir.path());
    assert_eq!(status, "passed", "{missing:?}");
}
