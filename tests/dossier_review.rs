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

/// The cells of a Markdown table row (a `\|` inside a cell does not split it).
fn cells(row: &str) -> Vec<String> {
    row.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_string())
        .collect()
}

/// The GSPR checklist's rows, as cells: GSPR, requirement, applies, why, method,
/// standards, controls, documents, evidence, verdict.
fn gspr_rows() -> Vec<Vec<String>> {
    read("gspr-checklist.md")
        .lines()
        .filter(|l| l.starts_with("| <a id=\"gspr-"))
        .map(cells)
        .collect()
}

#[test]
fn each_gspr_that_applies_has_its_own_justification_and_cites_its_documents_with_version_and_section(
) {
    let rows = gspr_rows();
    assert!(!rows.is_empty(), "no GSPR row");
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut cited = 0;
    for r in &rows {
        assert_eq!(r.len(), 10, "a GSPR row without its ten cells: {r:?}");
        if r[2] != "yes" {
            continue;
        }
        if let Some(other) = seen.insert(r[3].clone(), r[0].clone()) {
            panic!("{} and {other} share one justification: {}", r[0], r[3]);
        }
        let docs = &r[7];
        if docs != "—" {
            cited += 1;
            let n = docs.matches("`docs/").count();
            assert!(n > 0, "{}: a citation names no document: {docs}", r[0]);
            assert_eq!(
                docs.matches(" version ").count(),
                n,
                "{}: a cited document without its version: {docs}",
                r[0]
            );
            assert_eq!(
                docs.matches(", section \"").count(),
                n,
                "{}: a cited document without its section: {docs}",
                r[0]
            );
        }
    }
    assert!(cited > 0, "no GSPR row cites a document");
    let b = rows
        .iter()
        .find(|r| r[0].contains("Annex I 23.4(b)"))
        .expect("the row of 23.4(b)");
    assert!(
        b[7].contains("`docs/ifu.md` version 1.4.0, section \"Intended purpose\""),
        "23.4(b) does not cite the IFU's intended purpose with its version: {}",
        b[7]
    );
    assert!(
        b[3].contains("The IFU states the intended purpose"),
        "23.4(b)'s justification does not say what its control tests: {}",
        b[3]
    );
    let accuracy = rows
        .iter()
        .find(|r| r[0].contains("Annex I 15.1"))
        .expect("the row of 15.1");
    assert!(
        accuracy[3].contains("benchmark.sensitivity = "),
        "15.1's justification does not give the measured sensitivity: {}",
        accuracy[3]
    );
}

/// The numbers of the cover's line on how the requirements are evidenced: (applying,
/// measurement, reviewed document, presence only, open).
fn evidenced_counts(md: &str) -> (usize, usize, usize, usize, usize) {
    let line = md
        .lines()
        .find(|l| l.contains("How the requirements are evidenced"))
        .unwrap_or_else(|| panic!("no line on how the requirements are evidenced"));
    let number_before = |words: &str| -> usize {
        let at = line
            .find(words)
            .unwrap_or_else(|| panic!("`{words}` is not in: {line}"));
        line[..at]
            .split_whitespace()
            .last()
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no number before `{words}` in: {line}"))
    };
    (
        number_before("general safety and performance requirements"),
        number_before("are evidenced by measurement"),
        number_before("by a reviewed document"),
        number_before("by a document's or a declaration's presence only"),
        number_before("by no passing control"),
    )
}

#[test]
fn the_cover_says_how_many_requirements_rest_on_a_measurement_a_reviewed_document_or_a_presence() {
    let (all, measured, reviewed, presence, open) = evidenced_counts(&read("annex-ii.md"));
    assert_eq!(
        measured + reviewed + presence + open,
        all,
        "the kinds do not add up to the requirements"
    );
    let rows = gspr_rows();
    let applying: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "yes").collect();
    assert_eq!(
        applying.len(),
        all,
        "the cover counts other requirements than the checklist"
    );
    let count = |kind: &str| applying.iter().filter(|r| r[8] == kind).count();
    assert_eq!(count("measurement"), measured, "measured rows");
    assert_eq!(
        count("reviewed document"),
        reviewed,
        "reviewed-document rows"
    );
    assert_eq!(count("presence only"), presence, "presence rows");
    assert_eq!(count("none"), open, "open rows");
    // What each rests on follows from what its controls read.
    let kind_of = |id: &str| {
        applying
            .iter()
            .find(|r| r[0].contains(&format!("</a>{id}")))
            .map(|r| r[8].clone())
            .unwrap_or_else(|| panic!("no row {id}"))
    };
    assert_eq!(kind_of("Annex I 15.1"), "measurement");
    assert_eq!(kind_of("Annex I 23.4(b)"), "reviewed document");
    // The page's cover says it beside the verdict.
    let html = read("index.html");
    let verdict = html.find("id=\"verdict\"").expect("the cover's verdict");
    let line = html
        .find("id=\"evidenced\"")
        .expect("the cover's evidence line");
    assert!(
        line > verdict && html[verdict..line].matches("<p ").count() <= 1,
        "the evidence line is not beside the verdict"
    );
    assert!(html[line..].contains(&format!("{measured} are evidenced by measurement")));
}

/// The rows of a reporting checklist (`### STARD 2015`, `### CLAIM`): item -> content.
fn checklist(heading: &str) -> Vec<(String, String)> {
    section(&read("clinical-performance.md"), heading)
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Item") && !l.starts_with("|---"))
        .map(|l| {
            let c = cells(l);
            (c[0].clone(), c[3].clone())
        })
        .collect()
}

#[test]
fn every_stard_and_claim_item_is_filled_or_listed_in_the_gap_report_by_number() {
    let gaps = gap_rows("Sections the inputs could not fill");
    let listed = |name: &str| gaps.iter().any(|r| r.contains(&format!("{name} (")));
    let stard = checklist("STARD 2015");
    // The items the review found absent, each filled or prompted.
    for n in [
        "1", "2", "4", "5", "6", "7", "8", "9", "11", "13a", "13b", "17", "18", "21a", "21b", "22",
        "25", "26", "27", "28", "29", "30",
    ] {
        let (_, content) = stard
            .iter()
            .find(|(i, _)| i == n)
            .unwrap_or_else(|| panic!("STARD 2015 item {n} is absent"));
        let gap = content.contains("Not filled");
        assert_eq!(
            gap,
            listed(&format!("STARD 2015 item {n}")),
            "STARD 2015 item {n} is {} yet {} in the gap report: {content}",
            if gap { "not filled" } else { "filled" },
            if gap { "not listed" } else { "listed" }
        );
    }
    let claim = checklist("CLAIM");
    for n in 1..=42 {
        let n = n.to_string();
        let (_, content) = claim
            .iter()
            .find(|(i, _)| *i == n)
            .unwrap_or_else(|| panic!("CLAIM item {n} is absent"));
        let gap = content.contains("Not filled");
        assert_eq!(
            gap,
            listed(&format!("CLAIM item {n}")),
            "CLAIM item {n} is filled or listed wrongly: {content}"
        );
    }
    // What the example's documents and evidence hold is filled, not prompted.
    for (n, from) in [
        ("6", "3.3 Inclusion and exclusion criteria"),
        ("18", "3.2 Sufficiency"),
    ] {
        let (_, content) = stard.iter().find(|(i, _)| i == n).expect("item");
        assert!(
            !content.contains("Not filled"),
            "STARD {n} is not filled from {from}"
        );
    }
    let (_, estimates) = stard.iter().find(|(i, _)| i == "24").expect("item 24");
    assert!(
        estimates.contains("95% CI"),
        "STARD 24 has no interval: {estimates}"
    );
}

/// The released example with its manifest's `runtime` line replaced by `line`, committed,
/// signed and tagged again.
fn released_with_runtime(line: &str) -> tempfile::TempDir {
    let repo = release::repo();
    let root = repo.path();
    let manifest = root.join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(text.contains("runtime onnxruntime \"1.31.1\""), "{text}");
    std::fs::write(
        &manifest,
        text.replace("runtime onnxruntime \"1.31.1\"", line),
    )
    .expect("write");
    let key = release::key(root).display().to_string();
    common::git(root, &["add", "model.clic"]);
    common::git(
        root,
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &format!("user.signingkey={key}"),
            "commit",
            "-S",
            "-q",
            "-m",
            "CR-2 Runtime equivalence tolerance",
        ],
    );
    common::git(root, &["tag", "-f", "v1.4.0"]);
    repo
}

/// A dossier of `repo` made on tract, with `env` set: its output, and Annex II 1.1(i).
fn dossier_on_tract(repo: &Path, env: &[(&str, &str)]) -> (std::process::Output, String) {
    let out = tempfile::tempdir().expect("temp dir");
    let mut cmd = clic();
    cmd.arg("dossier")
        .arg(repo)
        .arg("--out")
        .arg(out.path().join("d"))
        .env("CLIC_BACKEND", "tract");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = cmd.output().expect("clic runs");
    let annex = std::fs::read_to_string(out.path().join("d/annex-ii.md")).expect("annex-ii.md");
    (run, section(&annex, "1.1(i)"))
}

/// Whether ONNX Runtime's library is there to compare with (visible skip, CI failure).
fn onnx_runtime_present() -> bool {
    let present = std::env::var_os("ORT_DYLIB_PATH").is_some_and(|p| !p.is_empty())
        || clic_runner::engine::find_pip_onnxruntime().is_some();
    common::skip::require("ONNX Runtime", present, "pip install onnxruntime==1.31.1")
}

/// The largest difference Annex II 1.1(i) reports.
fn largest_difference(i: &str) -> f64 {
    let after = i
        .split("largest difference ")
        .nth(1)
        .unwrap_or_else(|| panic!("no largest difference in:\n{i}"));
    after
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after `largest difference` in:\n{i}"))
}

#[test]
fn a_release_evidenced_on_tract_passes_the_runtime_control_when_shown_equivalent_to_onnx_runtime() {
    if !onnx_runtime_present() {
        return;
    }
    let repo = released_with_runtime("runtime onnxruntime \"1.31.1\" tolerance 0.001");
    let (run, i) = dossier_on_tract(repo.path(), &[]);
    assert!(
        !text(&run).contains("iec62304.configuration.evidence-runtime"),
        "the runtime control fails though the two backends agree: {}\n{i}",
        text(&run)
    );
    assert!(
        i.contains("produced on tract")
            && i.contains("shown equivalent to onnxruntime 1.31.1, the declared runtime")
            && i.contains("no operating-point call differs"),
        "1.1(i) does not report the equivalence shown:\n{i}"
    );
    // Two real backends differ in the last bits of a float, never by much.
    let d = largest_difference(&i);
    assert!(d > 0.0 && d < 1e-3, "largest difference {d}:\n{i}");
}

#[test]
fn a_release_evidenced_on_tract_fails_when_the_backends_differ_by_more_than_the_tolerance() {
    if !onnx_runtime_present() {
        return;
    }
    // Tolerance 0: bit for bit, which tract and ONNX Runtime are not.
    let repo = released_with_runtime("runtime onnxruntime \"1.31.1\" tolerance 0");
    let (run, i) = dossier_on_tract(repo.path(), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(
        text(&run).contains("iec62304.configuration.evidence-runtime"),
        "the runtime control passes with scores outside the tolerance: {}",
        text(&run)
    );
    assert!(
        i.contains("NOT equivalent to onnxruntime 1.31.1") && largest_difference(&i) > 0.0,
        "1.1(i) does not say the backends differ:\n{i}"
    );
}

#[test]
fn a_declared_tolerance_without_the_declared_runtime_to_compare_with_fails_the_release() {
    let repo = released_with_runtime("runtime onnxruntime \"1.31.1\" tolerance 0.001");
    let (run, i) = dossier_on_tract(
        repo.path(),
        &[("ORT_DYLIB_PATH", "/no/such/libonnxruntime.so.1.31.1")],
    );
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(
        text(&run).contains("iec62304.configuration.evidence-runtime"),
        "the runtime control passes with no comparison made: {}",
        text(&run)
    );
    assert!(
        i.contains("not shown equivalent to onnxruntime") && i.contains("/no/such/"),
        "1.1(i) does not say why no equivalence is shown:\n{i}"
    );
}

/// The row of the GSPR checklist `md` whose anchor is `id`.
fn gspr_row_of(md: &str, id: &str) -> String {
    let anchor = format!("<a id=\"gspr-{id}\"></a>");
    md.lines()
        .find(|l| l.contains(&anchor))
        .unwrap_or_else(|| panic!("no GSPR row {id}"))
        .to_string()
}

/// The status of control `id` in a dossier's results.json.
fn status_in(dossier: &Path, id: &str) -> String {
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dossier.join("results.json")).expect("results.json"),
    )
    .expect("JSON");
    let all = results["results"].as_array().expect("a list of results");
    all.iter()
        .map(|r| &r["result"])
        .find(|r| r["id"] == id)
        .and_then(|r| r["status"].as_str())
        .unwrap_or_else(|| panic!("no result for {id}"))
        .to_string()
}

#[test]
fn the_release_signature_is_verified_and_the_claims_precede_the_model() {
    let dossier: &Path = &released().dossier;
    for id in [
        "ai_act.high_risk.cybersecurity",
        "mdr.performance.claims-prespecified",
        "mdr.technical_documentation.approved-before-release",
    ] {
        assert_eq!(status_in(dossier, id), "passed", "{id}");
    }
    for row in ["Annex-I-17.4", "Annex-I-18.8"] {
        let r = gspr_row(row);
        assert!(
            r.contains("yes:"),
            "{row} is not met on a verified signature:\n{r}"
        );
    }
}

#[test]
fn a_signature_by_an_unlisted_key_and_claims_lowered_after_the_model_fail_the_release() {
    let repo = release::repo();
    let root = repo.path();
    // The claims are lowered after the model was scored, in a signed commit of its own.
    let manifest = std::fs::read_to_string(root.join("model.clic")).expect("manifest");
    let lowered = manifest.replace("sensitivity 72%", "sensitivity 70%");
    assert_ne!(lowered, manifest, "the example's sensitivity claim moved");
    std::fs::write(root.join("model.clic"), lowered).expect("write");
    release::commit_signed(root, &["model.clic"], "CR-2 Lower the sensitivity claim");
    common::git(root, &["tag", "-f", "v1.4.0"]);
    // The allowed signers file lists another key than the one that signed.
    let other = root.join(".git/other-key");
    release::keygen(&other, "ed25519", "");
    std::fs::write(
        release::allowed_signers(root),
        format!(
            "ra@example.com namespaces=\"git\" {}\n",
            release::public_key(&other)
        ),
    )
    .expect("write");
    let out = tempfile::tempdir().expect("temp dir");
    let dossier = out.path().join("d");
    let run = clic()
        .arg("dossier")
        .arg(root)
        .arg("--out")
        .arg(&dossier)
        .output()
        .expect("clic runs");
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert_eq!(
        status_in(&dossier, "ai_act.high_risk.cybersecurity"),
        "failed"
    );
    assert_eq!(
        status_in(&dossier, "mdr.performance.claims-prespecified"),
        "failed"
    );
    let md = std::fs::read_to_string(dossier.join("gspr-checklist.md")).expect("checklist");
    for row in ["Annex-I-17.4", "Annex-I-18.8"] {
        let r = gspr_row_of(&md, row);
        assert!(
            r.contains("the release signature is not verified"),
            "{row} shows as met on an unverified signature:\n{r}"
        );
    }
}

#[test]
fn a_garbled_allowed_signers_file_is_a_coded_error_not_a_verdict() {
    let repo = release::repo();
    let root = repo.path();
    std::fs::write(
        release::allowed_signers(root),
        "ra@example.com namespaces=\"git\" ssh-ed25519 not-a-key\n",
    )
    .expect("write");
    let out = tempfile::tempdir().expect("temp dir");
    let run = clic()
        .arg("dossier")
        .arg(root)
        .arg("--out")
        .arg(out.path().join("d"))
        .output()
        .expect("clic runs");
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let t = text(&run).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(t.contains("clic::E031") && t.contains("line 1"), "{t}");
}
