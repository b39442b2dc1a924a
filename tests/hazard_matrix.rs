//! The risk file's hazard ↔ risk control ↔ verification matrix (`documents.risk.hazards`,
//! `iso14971.risk_control.controls-verified`): resolved against the run's own results,
//! so a hazard is verified only when a clic control its verification cites passed; and
//! the SOUP list compared with the manifest's runtime and the graph's operators
//! (`iec62304.deliverables.soup-matches-device`). On the example and on copies of it
//! broken one way each.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, example, example_copy};
use serde_json::Value;
use std::path::Path;

const MATRIX: &str = "iso14971.risk_control.controls-verified";
const SOUP: &str = "iec62304.deliverables.soup-matches-device";

fn check(dir: &Path) -> Value {
    let out = clic()
        .arg("check")
        .arg(dir)
        .args(["--stage", "ci", "--format", "json"])
        .output()
        .expect("clic runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

fn observed<'a>(r: &'a Value, fact: &str) -> &'a Value {
    r["observed"]
        .as_array()
        .expect("observed")
        .iter()
        .find(|o| o["fact"] == fact)
        .map(|o| &o["value"])
        .unwrap_or_else(|| panic!("{fact} not observed in {r}"))
}

/// `id -> verified` of the observed hazard records.
fn verified(r: &Value) -> Vec<(String, bool)> {
    observed(r, "documents.risk.hazards")["list"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|h| {
            let h = &h["record"];
            (
                h["id"]["string"].as_str().expect("id").to_string(),
                h["verified"]["bool"].as_bool().expect("resolved"),
            )
        })
        .collect()
}

fn edit(dir: &Path, rel: &str, f: impl Fn(String) -> String) {
    let p = dir.join(rel);
    let text = std::fs::read_to_string(&p).expect("read");
    let changed = f(text.clone());
    assert_ne!(changed, text, "the edit of {rel} changed nothing");
    std::fs::write(p, changed).expect("write");
}

#[test]
fn the_example_verifies_every_hazard_and_its_soup_list_matches() {
    let report = check(&example());
    let r = result(&report, MATRIX);
    let hazards = verified(r);
    assert_eq!(hazards.len(), 6, "H1-H6: {hazards:?}");
    let not: Vec<&str> = hazards
        .iter()
        .filter(|(_, v)| !v)
        .map(|(id, _)| id.as_str())
        .collect();
    // H6 is verified by the parity controls alone; where they are waived, so is this
    // control, for H6 only (examples/chest-xray-triage/waivers.clic).
    let parity = result(&report, "performance.subgroups.sex-parity")["status"] == "passed"
        || result(&report, "performance.subgroups.age-parity")["status"] == "passed";
    if parity {
        assert!(not.is_empty(), "{hazards:?}");
        assert_eq!(r["status"], "passed", "{r}");
    } else {
        assert_eq!(not, vec!["H6"], "{hazards:?}");
        assert_eq!(r["status"], "waived", "{r}");
    }
    let s = result(&report, SOUP);
    assert_eq!(s["status"], "passed", "{s}");
}

#[test]
fn a_hazard_without_a_verified_control_fails_the_matrix() {
    let dir = example_copy();
    // Without the example's waivers: its waiver of this control covers H6 alone.
    let _ = std::fs::remove_file(dir.path().join("waivers.clic"));
    // H4's one risk control now cites a control no policy has, and H6's a control that
    // fails on this reference set (a sensitivity claim of 99%).
    edit(dir.path(), "docs/risk-management.md", |t| {
        t.replace(
            "`mdr.pms.pms-plan`; quarterly",
            "`mdr.pms.no-such-control`; quarterly",
        )
        .replace(
            "`performance.subgroups.sex-parity`, `performance.subgroups.age-parity`",
            "`mdr.performance.sensitivity-claim`",
        )
    });
    edit(dir.path(), "model.clic", |t| {
        t.replace("sensitivity 72%", "sensitivity 99%")
    });
    let report = check(dir.path());
    let r = result(&report, MATRIX);
    assert_eq!(r["status"], "failed", "{r}");
    let hazards = verified(r);
    let not: Vec<&str> = hazards
        .iter()
        .filter(|(_, v)| !v)
        .map(|(id, _)| id.as_str())
        .collect();
    // H1's other controls (the IFU's figures) still verify it; H4 and H6 have none.
    assert_eq!(not, vec!["H4", "H6"], "{hazards:?}");
    let h4 = observed(r, "documents.risk.hazards")["list"]
        .as_array()
        .expect("list")
        .iter()
        .find(|h| h["record"]["id"]["string"] == "H4")
        .expect("H4");
    assert_eq!(
        h4["record"]["unresolved"]["list"][0]["string"],
        "mdr.pms.no-such-control"
    );
}

#[test]
fn a_risk_file_without_its_control_table_fails_the_matrix() {
    let dir = example_copy();
    // Without the example's waivers: its waiver of this control covers H6 alone.
    let _ = std::fs::remove_file(dir.path().join("waivers.clic"));
    edit(dir.path(), "docs/risk-management.md", |t| {
        t.replace(
            "| hazard | risk control | verification |",
            "| hazard | measure | checked by |",
        )
    });
    let report = check(dir.path());
    let r = result(&report, MATRIX);
    assert_eq!(r["status"], "failed", "{r}");
    assert!(
        verified(r).iter().all(|(_, v)| !v),
        "no hazard has a risk control"
    );
}

#[test]
fn a_soup_list_at_another_runtime_version_or_silent_on_an_operator_fails() {
    let dir = example_copy();
    edit(dir.path(), "docs/soup-list.md", |t| {
        t.replace("| Microsoft | 1.31.1 |", "| Microsoft | 1.30.0 |")
            .replace("GlobalMaxPool, ", "")
    });
    let report = check(dir.path());
    let r = result(&report, SOUP);
    assert_eq!(r["status"], "failed", "{r}");
    assert_eq!(
        observed(r, "documents.soup.version_mismatches")["list"][0]["string"],
        "ONNX Runtime: SOUP list 1.30.0, manifest 1.31.1"
    );
    assert_eq!(
        observed(r, "documents.soup.unlisted_operators")["list"][0]["string"],
        "GlobalMaxPool"
    );
}
