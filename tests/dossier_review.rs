//! The example's release dossier read as a notified-body reviewer reads it (issue 17):
//! every statement a reviewer found wrong is a test here. The example is released once
//! (signed, tagged, in a fresh repository) and its dossier written once; each test reads
//! the documents it is about.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
mod release;

use common::{clic, text};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The released example and its dossier, made once for every test of this file.
struct Released {
    _repo: tempfile::TempDir,
    _out: tempfile::TempDir,
    dossier: PathBuf,
}

fn released() -> &'static Released {
    static ONCE: OnceLock<Released> = OnceLock::new();
    ONCE.get_or_init(|| {
        let repo = release::repo();
        let out = tempfile::tempdir().expect("temp dir");
        let dossier = out.path().join("dossier");
        let run = clic()
            .arg("dossier")
            .arg(repo.path())
            .arg("--out")
            .arg(&dossier)
            .output()
            .expect("clic runs");
        assert!(
            matches!(run.status.code(), Some(0 | 1)),
            "clic dossier: {}",
            text(&run)
        );
        Released {
            _repo: repo,
            _out: out,
            dossier,
        }
    })
}

fn read(rel: &str) -> String {
    let p: &Path = &released().dossier;
    std::fs::read_to_string(p.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The text of the Markdown section whose heading starts with `heading`, up to the next
/// heading of any level.
fn section(md: &str, heading: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in md.lines() {
        if line.starts_with('#') {
            if inside {
                break;
            }
            inside = line.trim_start_matches('#').trim().starts_with(heading);
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(!out.trim().is_empty(), "no section `{heading}`");
    out
}

#[test]
fn annex_ii_1_1_e_states_the_significance_the_manifest_declares() {
    let e = section(&read("annex-ii.md"), "1.1(e)");
    assert!(
        !e.contains("not declared"),
        "1.1(e) says the significance is not declared though the manifest declares it:\n{e}"
    );
    assert!(
        e.contains("The manifest declares significance drive-management situation serious"),
        "1.1(e) does not state the manifest's significance:\n{e}"
    );
}

#[test]
fn annex_ii_1_2_b_is_not_a_copy_of_1_2_a() {
    let md = read("annex-ii.md");
    let a = section(&md, "1.2(a)");
    let b = section(&md, "1.2(b)");
    assert_ne!(a, b, "1.2(b) repeats 1.2(a) word for word");
    assert!(
        !b.contains("Changes since the previous release"),
        "1.2(b), similar devices, quotes the release notes' changes:\n{b}"
    );
    assert!(
        b.contains("State of the art"),
        "1.2(b) does not quote the state of the art:\n{b}"
    );
}

/// The row of the GSPR checklist whose anchor is `id` (`Annex-I-23.4-b-`).
fn gspr_row(id: &str) -> String {
    let md = read("gspr-checklist.md");
    let anchor = format!("<a id=\"gspr-{id}\"></a>");
    md.lines()
        .find(|l| l.contains(&anchor))
        .unwrap_or_else(|| panic!("no GSPR row {id}"))
        .to_string()
}

#[test]
fn the_ifu_sub_items_of_gspr_23_4_the_ifu_holds_are_covered_by_their_own_control() {
    for (item, control) in [
        ("Annex-I-23.4-b-", "mdr.gspr.ifu-intended-purpose"),
        ("Annex-I-23.4-c-", "mdr.gspr.ifu-clinical-benefits"),
        ("Annex-I-23.4-j-", "mdr.gspr.ifu-training"),
        ("Annex-I-23.4-ab-", "mdr.gspr.ifu-it-requirements"),
    ] {
        let row = gspr_row(item);
        assert!(
            !row.contains("OPEN"),
            "{item} is open though the IFU holds it:\n{row}"
        );
        assert!(
            row.contains(&format!("`{control}`")) && row.contains("**passed**"),
            "{item} is not covered by {control}:\n{row}"
        );
    }
}

/// The rows of the gap report's table under `heading`.
fn gap_rows(heading: &str) -> Vec<String> {
    section(&read("gaps.md"), heading)
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Framework"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_gap_report_lists_no_filled_documentation_item_and_no_clause_of_another_class() {
    let open = gap_rows("Clauses without a passing control");
    for row in &open {
        assert!(
            !(row.contains("Annex II ") && row.contains("no control of the policies in force")),
            "a filled Annex II item is listed as a gap: {row}"
        );
        assert!(
            !row.contains("| 5.4.2 |") && !row.contains("| 5.3.5 |"),
            "a class C clause of IEC 62304 is open for a class B device: {row}"
        );
    }
    // The item no document fills stays a gap, in the sections table.
    let sections = gap_rows("Sections the inputs could not fill");
    assert!(
        sections.iter().any(|r| r.contains("1.1(g) Novel features")),
        "the unfilled 1.1(g) is not in the sections table: {sections:?}"
    );
    // The class C clauses are named as not applicable, with the condition.
    let na = gap_rows("Clauses that do not apply to this device");
    assert!(
        na.iter()
            .any(|r| r.contains("| 5.4.2 |") && r.contains("model.safety\\_class")),
        "5.4.2 is not listed as not applicable with its condition: {na:?}"
    );
}

#[test]
fn annex_ii_1_1_i_names_the_runtime_of_the_evidence_and_the_one_the_device_ships_on() {
    let i = section(&read("annex-ii.md"), "1.1(i)");
    assert!(
        !i.contains("clic's inference engine"),
        "1.1(i) hides which runtime produced the evidence:\n{i}"
    );
    assert!(
        i.contains("the device ships on onnxruntime 1.31.1"),
        "1.1(i) does not name the runtime the manifest declares:\n{i}"
    );
    assert!(
        i.contains("the benchmark evidence of this dossier was produced on onnxruntime"),
        "1.1(i) does not name the runtime that produced the evidence:\n{i}"
    );
}

#[test]
fn a_release_evidenced_on_another_runtime_than_the_declared_one_fails() {
    let repo = release::repo();
    let out = tempfile::tempdir().expect("temp dir");
    let run = clic()
        .arg("dossier")
        .arg(repo.path())
        .arg("--out")
        .arg(out.path().join("d"))
        .env("CLIC_BACKEND", "tract")
        .output()
        .expect("clic runs");
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(
        text(&run).contains("iec62304.configuration.evidence-runtime"),
        "the runtime control does not fail the release: {}",
        text(&run)
    );
    let annex = std::fs::read_to_string(out.path().join("d/annex-ii.md")).expect("annex-ii.md");
    let i = section(&annex, "1.1(i)");
    assert!(
        i.contains("ships on onnxruntime") && i.contains("produced on tract"),
        "1.1(i) does not show the two runtimes apart:\n{i}"
    );
}

#[test]
fn annex_iii_states_the_trigger_rule_of_the_teams_pms_plan_not_another() {
    let md = read("annex-iii.md");
    let plan = std::fs::read_to_string(common::example().join("docs/pms-plan.md"))
        .expect("the example's PMS plan");
    let rule = plan
        .lines()
        .find(|l| l.contains("Observed sensitivity below"))
        .expect("the plan's sensitivity trigger")
        .trim_start_matches("- ");
    assert!(
        md.contains(rule),
        "Annex III does not quote the plan's trigger `{rule}`"
    );
    assert!(
        !md.contains("has a 95% interval whose upper bound falls below the threshold"),
        "Annex III states a trigger rule of clic's own beside the plan's"
    );
}

#[test]
fn annex_iv_1_c_to_e_2_c_and_2_f_are_filled_from_the_documents_that_hold_them() {
    let md = read("ai-act-annex-iv.md");
    let one = section(&md, "1. General description");
    for (what, from) in [
        (
            "1(c) versions of software",
            "SOUP items (docs/soup-list.md)",
        ),
        (
            "1(c) update requirements",
            "Monitoring and updates (docs/soup-list.md)",
        ),
        (
            "1(d) forms placed on the market",
            "Delivery (docs/release-notes.md)",
        ),
        (
            "1(e) hardware",
            "Installation and minimum IT requirements (docs/ifu.md)",
        ),
    ] {
        assert!(
            one.contains(from),
            "Annex IV {what} is not filled from {from}"
        );
    }
    let two = section(&md, "2. Elements of the AI system");
    for (what, from) in [
        (
            "2(c) architecture",
            "Software items (docs/software-architecture.md)",
        ),
        (
            "2(f) pre-determined changes",
            "7.2 Changes after release (docs/ai-questionnaire.md)",
        ),
    ] {
        assert!(
            two.contains(from),
            "Annex IV {what} is not filled from {from}"
        );
    }
}
