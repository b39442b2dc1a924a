//! The multi-finding example (`examples/cxr-findings`, three findings per study, a
//! released version to compare with) benchmarked by clic agrees with an independent
//! Python computation of the same figures (`tests/data/cxr_findings_golden.json`, made by
//! `examples/cxr-findings/tools/golden.py` from onnxruntime's logits with scikit-learn,
//! statsmodels and a Python twin of the patient-clustered bootstrap).
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, copy_tree, root, text};
use serde_json::Value;

/// Scores differ by ~1e-7 between tract and ONNX Runtime; intervals follow.
const CLOSE: f64 = 1e-6;

fn close(got: &Value, want: &Value, what: &str) {
    let (g, w) = (
        got.as_f64()
            .unwrap_or_else(|| panic!("{what}: clic gave {got}")),
        want.as_f64()
            .unwrap_or_else(|| panic!("{what}: golden is {want}")),
    );
    assert!((g - w).abs() <= CLOSE, "{what}: clic {g}, reference {w}");
}

fn interval(got: &Value, want: &Value, what: &str) {
    for k in ["low", "high"] {
        close(&got[k], &want[k], &format!("{what}.{k}"));
    }
}

#[test]
fn the_findings_example_matches_the_python_reference() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/cxr_findings_golden.json"))
            .expect("golden"),
    )
    .expect("golden JSON");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cxr-findings");
    copy_tree(&root().join("examples/cxr-findings"), &dir);
    let run = clic()
        .args(["bench", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("clic runs");
    assert!(run.status.success(), "{}", text(&run));
    let out: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let f = &out["findings"];
    assert_eq!(f["unit"], "study");
    assert_eq!(
        f["units"].as_array().map(Vec::len),
        golden["units"].as_u64().map(|n| n as usize)
    );
    assert_eq!(f["patients"], golden["patients"]);
    assert_eq!(f["clustered"], true);
    assert_eq!(f["resampling"]["resamples"], golden["resamples"]);
    assert_eq!(f["resampling"]["seed"], golden["seed"]);
    let compare = &f["compare"]["findings"];
    for (i, want) in golden["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .enumerate()
    {
        let name = want["name"].as_str().expect("name");
        let got = &f["findings"][i];
        assert_eq!(got["name"], want["name"]);
        let m = &got["metrics"];
        for k in ["tp", "fp", "tn", "fn"] {
            assert_eq!(m[k], want[k], "{name}.{k}");
        }
        close(
            &m["auc"]["value"],
            &want["auc_sklearn"],
            &format!("{name} auc"),
        );
        for k in ["sensitivity", "specificity", "auc"] {
            assert_eq!(m[k]["method"], "cluster-bootstrap-percentile", "{name}.{k}");
            interval(&m[k], &want["clustered"][k], &format!("{name} {k}"));
        }
        let c = &compare[i];
        assert_eq!(c["name"], want["name"]);
        close(
            &c["delta_auc"]["value"],
            &want["delong_paired"]["delta"],
            &format!("{name} Δauc"),
        );
        match want["delong_paired"]["p_value"].as_f64() {
            Some(_) => close(
                &c["delta_auc"]["p_value"],
                &want["delong_paired"]["p_value"],
                &format!("{name} DeLong p"),
            ),
            None => assert!(
                c["delta_auc"]["p_value"].is_null(),
                "{name}: identical scores, no test"
            ),
        }
        for (k, key) in [
            ("auc", "delta_auc"),
            ("sensitivity", "delta_sensitivity"),
            ("specificity", "delta_specificity"),
        ] {
            interval(&c[key], &want["delta"][k], &format!("{name} Δ{k}"));
        }
        close(
            &c["delta_sensitivity"]["p_value"],
            &want["mcnemar_sensitivity_p"],
            &format!("{name} McNemar (sensitivity)"),
        );
        close(
            &c["delta_specificity"]["p_value"],
            &want["mcnemar_specificity_p"],
            &format!("{name} McNemar (specificity)"),
        );
    }
    for k in ["sensitivity", "specificity", "auc"] {
        for (key, avg) in [("macro_average", "macro"), ("micro_average", "micro")] {
            let got = &f[key][k];
            close(
                &got["value"],
                &golden[avg][k]["value"],
                &format!("{avg} {k}"),
            );
            interval(got, &golden[avg][k], &format!("{avg} {k}"));
        }
    }
    close(
        &f["micro_average"]["auc"]["value"],
        &golden["micro"]["auc_sklearn"],
        "micro AUC against scikit-learn's average=\"micro\"",
    );
}

/// A copy of the example, to change.
fn copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cxr-findings");
    copy_tree(&root().join("examples/cxr-findings"), &dir);
    (tmp, dir)
}

#[test]
fn the_findings_example_passes_its_gate() {
    let (_tmp, dir) = copy();
    let run = clic()
        .args(["check", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("clic runs");
    let report: Value = serde_json::from_slice(&run.stdout).expect("JSON report");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert_eq!(report["gate"], "passed");
    assert_eq!(report["summary"]["failed"], 0);
    assert_eq!(report["summary"]["unavailable"], 0);
    let ran: Vec<&str> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "passed")
        .filter_map(|r| r["id"].as_str())
        .collect();
    for id in [
        "mdr.performance.finding-claims",
        "mdr.performance.macro-claims",
        "iec62304.change_control.noninferior-to-released",
        "iec62304.change_control.operating-point-recalibrated",
        "performance.labels.labels-complete",
    ] {
        assert!(ran.contains(&id), "{id} passed");
    }
}

#[test]
fn a_bad_labels_row_is_invalid_input_naming_its_line() {
    for (labels, want) in [
        (
            "StudyInstanceUID,pneumothorax,effusion,cardiomegaly\n1.2.3,1,0,yes\n",
            "line 2, `cardiomegaly`: the label is `yes`",
        ),
        (
            "StudyInstanceUID,pneumothorax,effusion,cardiomegaly\n1.2.3,1,0\n",
            "line 2 has 3 cells, but the header has 4",
        ),
        (
            "PatientID,pneumothorax\nP1,1\n",
            "a labels file with several findings is CSV",
        ),
    ] {
        let (_tmp, dir) = copy();
        std::fs::write(dir.join("data/reference/labels.csv"), labels).expect("write");
        let run = clic()
            .args(["bench"])
            .arg(&dir)
            .output()
            .expect("clic runs");
        let out = text(&run);
        assert_eq!(run.status.code(), Some(2), "{out}");
        assert!(
            out.contains("clic::E022") && out.contains(want),
            "{want}: {out}"
        );
        assert!(!out.contains("1.2.3"), "a UID reaches no output: {out}");
    }
}

#[test]
fn a_stray_label_column_and_an_unlabelled_finding_are_reported() {
    let (_tmp, dir) = copy();
    let path = dir.join("data/reference/labels.csv");
    let original = std::fs::read_to_string(&path).expect("labels");
    // Misspell one finding's column: it names no finding, and the finding has no labels.
    std::fs::write(&path, original.replacen("effusion", "efusion", 1)).expect("write");
    let run = clic()
        .args(["check", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("clic runs");
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let report: Value = serde_json::from_slice(&run.stdout).expect("JSON report");
    let labels = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == "performance.labels.labels-complete")
        .expect("labels-complete");
    assert_eq!(labels["status"], "failed");
}

#[test]
fn the_dossier_reports_every_finding_its_unit_intervals_and_the_comparison() {
    let (tmp, dir) = copy();
    let out = tmp.path().join("dossier");
    let run = clic()
        .arg("dossier")
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("clic runs");
    // Outside a git repository the release gate fails (no tag, no signature); the
    // dossier is written all the same and says so.
    assert!(
        out.join("clinical-performance.md").is_file(),
        "{}",
        text(&run)
    );
    let report = std::fs::read_to_string(out.join("clinical-performance.md")).expect("report");
    for want in [
        "The unit of analysis is the **study**: 104 units of 60 patients",
        "by the rule `max`",
        "## Finding: pneumothorax (STARD 23, 24)",
        "## Finding: effusion (STARD 23, 24)",
        "## Finding: cardiomegaly (STARD 23, 24)",
        "| Sensitivity (recall) | 86.7% | 72.0%–97.1% | 26/30 | patient-clustered percentile bootstrap (seeded) |",
        "| ece | at most 0.120 | **met** |",
        "| Macro ROC AUC | 0.939 |",
        "| Micro ROC AUC |",
        "## Comparison with the released version (IEC 62304 change control)",
        "**non-inferior by every declared margin**",
        "32.7% at 0.2 (released 20.2% at 0.5)",
    ] {
        assert!(report.contains(want), "the report lacks {want:?}:\n{report}");
    }
    assert!(!report.contains("no reference scan is both labelled and scored"));
    // The post-market plan monitors the findings' claims, from their release baselines.
    let pms = std::fs::read_to_string(out.join("annex-iii.md")).expect("annex III");
    assert!(
        pms.contains("| effusion sensitivity | 70.0% | 89.7% (78.9%–97.7%) |"),
        "{pms}"
    );
    assert!(!pms.contains("the manifest makes no performance claim"));
    // Annex II and AI Act Annex IV summarise the benchmark per finding: each claim, the
    // measured value, its interval and the interval's method.
    for file in ["annex-ii.md", "ai-act-annex-iv.md"] {
        let annex = std::fs::read_to_string(out.join(file)).expect("annex");
        for want in [
            "On the reference set of 104 study units of 60 patients, per finding: pneumothorax: ",
            "pneumothorax: auc claimed 0.830, measured 0.937 (95% CI 0.870–0.991, patient-clustered percentile bootstrap (seeded)), met",
            "cardiomegaly: auc claimed 0.800",
        ] {
            assert!(annex.contains(want), "{file} lacks {want:?}");
        }
    }
}

/// `clic bench --format json` of a project: its findings evidence.
fn findings_of(dir: &std::path::Path) -> Value {
    let run = clic()
        .args(["bench", "--format", "json"])
        .arg(dir)
        .output()
        .expect("clic runs");
    assert!(run.status.success(), "{}", text(&run));
    let out: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    out["findings"].clone()
}

/// The released version's predictions as a file: each image's probabilities, from the
/// logits onnxruntime gave for it (`model/reference-scores-released.csv`).
fn released_predictions(dir: &std::path::Path) -> String {
    let logits =
        std::fs::read_to_string(dir.join("model/reference-scores-released.csv")).expect("logits");
    let mut out = String::from("file,pneumothorax,effusion,cardiomegaly\n");
    for line in logits.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let p: Vec<String> = cells[1..]
            .iter()
            .map(|l| {
                // The sigmoid as clic computes it, so that identical scores stay tied.
                let x = f64::from(l.parse::<f32>().expect("a logit"));
                let p = if x >= 0.0 {
                    1.0 / (1.0 + (-x).exp())
                } else {
                    x.exp() / (1.0 + x.exp())
                };
                format!("{p:?}")
            })
            .collect();
        out.push_str(&format!("{},{}\n", cells[0], p.join(",")));
    }
    out
}

#[test]
fn comparing_with_the_released_predictions_equals_comparing_with_its_model() {
    let (_a, by_model) = copy();
    let (_b, by_predictions) = copy();
    std::fs::write(
        by_predictions.join("model/released-predictions.csv"),
        released_predictions(&by_predictions),
    )
    .expect("write");
    let manifest = by_predictions.join("model.clic");
    let text_of = std::fs::read_to_string(&manifest).expect("manifest");
    let start = text_of.find("  compare with ").expect("a compare line");
    let end = start + text_of[start..].find(" version ").expect("its version");
    let changed = format!(
        "{}  compare with predictions \"model/released-predictions.csv\"{}",
        &text_of[..start],
        &text_of[end..]
    );
    std::fs::write(&manifest, changed).expect("write");
    std::fs::remove_file(by_predictions.join("model/released.onnx")).expect("no released model");
    let (m, p) = (findings_of(&by_model), findings_of(&by_predictions));
    let (m, p) = (&m["compare"], &p["compare"]);
    assert_eq!(m["noninferior"], p["noninferior"]);
    for i in 0..3 {
        let (a, b) = (&m["findings"][i], &p["findings"][i]);
        for key in ["delta_auc", "delta_sensitivity", "delta_specificity"] {
            for k in ["value", "low", "high", "p_value"] {
                if a[key][k].is_null() {
                    assert!(b[key][k].is_null(), "{key}.{k}");
                } else {
                    close(&b[key][k], &a[key][k], &format!("finding {i} {key}.{k}"));
                }
            }
        }
        close(&b["score_shift"], &a["score_shift"], "score shift");
    }
    // A scan the predictions do not cover is invalid input naming it.
    let csv = by_predictions.join("model/released-predictions.csv");
    let all = std::fs::read_to_string(&csv).expect("predictions");
    let without: String = all
        .lines()
        .filter(|l| !l.starts_with("st-0002-lateral.dcm"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&csv, without).expect("write");
    let run = clic()
        .arg("bench")
        .arg(&by_predictions)
        .output()
        .expect("clic runs");
    let out = text(&run);
    assert_eq!(run.status.code(), Some(2), "{out}");
    assert!(
        out.contains("clic::E022") && out.contains("no row for `st-0002-lateral.dcm`"),
        "{out}"
    );
    // A value that is not a probability names its line.
    std::fs::write(&csv, all.replacen(",0.", ",1.5", 1)).expect("write");
    let run = clic()
        .arg("bench")
        .arg(&by_predictions)
        .output()
        .expect("clic runs");
    let out = text(&run);
    assert_eq!(run.status.code(), Some(2), "{out}");
    assert!(
        out.contains("line 2") && out.contains("is not a probability in 0..1"),
        "{out}"
    );
}

#[test]
fn a_released_version_outside_the_project_is_refused_not_read() {
    let outside = tempfile::tempdir().expect("tempdir");
    let stray = outside.path().join("released.onnx");
    std::fs::copy(
        root().join("examples/cxr-findings/model/released.onnx"),
        &stray,
    )
    .expect("copy");
    for (how, code) in [("", "clic::E021"), ("predictions ", "clic::E022")] {
        // By path, and through a link inside the project.
        let (_tmp, dir) = copy();
        let link = dir.join("model/linked.onnx");
        std::os::unix::fs::symlink(&stray, &link).expect("symlink");
        for target in [stray.display().to_string(), "model/linked.onnx".to_string()] {
            let manifest = dir.join("model.clic");
            let text_of = std::fs::read_to_string(&manifest).expect("manifest");
            let start = text_of.find("  compare with ").expect("a compare line");
            let end = start + text_of[start..].find(" sha256 ").expect("its pin");
            std::fs::write(
                &manifest,
                format!(
                    "{}  compare with {how}\"{target}\"{}",
                    &text_of[..start],
                    &text_of[end..]
                ),
            )
            .expect("write");
            let run = clic().arg("check").arg(&dir).output().expect("clic runs");
            let out = text(&run);
            assert_eq!(run.status.code(), Some(2), "{target}: {out}");
            assert!(
                out.contains(code) && out.contains("outside the project"),
                "{target}: {out}"
            );
        }
    }
}

#[test]
fn verify_expects_every_per_finding_figure_the_evidence_names() {
    let (tmp, dir) = copy();
    let out = tmp.path().join("dossier");
    clic()
        .arg("dossier")
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("clic runs");
    let report = std::fs::read_to_string(out.join("clinical-performance.md")).expect("report");
    for f in ["pneumothorax", "effusion", "cardiomegaly"] {
        assert!(out.join(format!("figures/roc-{f}.svg")).is_file(), "{f}");
        assert!(report.contains(&format!("](figures/roc-{f}.svg)")), "{f}");
    }
    let verify = |d: &std::path::Path| clic().arg("verify").arg(d).output().expect("runs");
    let run = verify(&out);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    // A tampered figure fails.
    let fig = out.join("figures/roc-effusion.svg");
    std::fs::write(&fig, b"<svg/>").expect("write");
    let run = verify(&out);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(
        text(&run).contains("figures/roc-effusion.svg"),
        "{}",
        text(&run)
    );
    // A figure removed with its line in the record fails too: the evidence names it.
    std::fs::remove_file(&fig).expect("remove");
    let record = out.join("evidence.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("record")).expect("JSON");
    v["outputs"]
        .as_array_mut()
        .expect("outputs")
        .retain(|o| o["path"] != "figures/roc-effusion.svg");
    std::fs::write(&record, serde_json::to_string_pretty(&v).expect("JSON")).expect("write");
    let run = verify(&out);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(
        text(&run).contains("figures/roc-effusion.svg"),
        "{}",
        text(&run)
    );
}
