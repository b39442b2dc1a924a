//! What the dossier assembles for the example, as the templates read it: the whole
//! context of the Markdown templates serialized to JSON (keys sorted, as handlebars sees
//! them), with the list of the files `assemble` makes from it, compared with
//! `tests/snapshots/context.json`. A change to what a context holds shows here as a diff
//! of that file in review, before it shows in any document.
//!
//! The input is fixed: the example's manifest and documents (read from
//! `examples/chest-xray-triage`), two waivers written here, a benchmark made of the
//! example's reference scores (`model/reference-scores.csv`) with made-up scan
//! attributes, check results given in a fixed rotation (passed, failed, not applicable,
//! not available, waived, a waiver expired, one control not run) and a fixed git state.
//! Nothing runs inference or git, so the snapshot is the same on every machine.
//!
//! After an intended change, regenerate the snapshot and review its diff:
//! `UPDATE_SNAPSHOTS=1 cargo test --workspace --test context_snapshot`.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

use clic_compiler::plan::{Plan, Severity, Stage, Value};
use clic_dossier::context::GitInfo;
use clic_dossier::render::Templates;
use clic_dossier::{assemble, context, integrity, Sources};
use clic_runner::bench::{self, BenchEvidence, ScanRow};
use clic_runner::dicom::{DeidAudit, ScanInfo};
use clic_runner::evidence::{
    blocks, CheckResult, Evidence, Observation, Status, Summary, WaiverState,
};
use clic_runner::facts::Unavailable;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Waivers of the fixture: one that holds on the waivers' date, one that has expired.
const WAIVERS: &str = r#"waiver mdr.performance.sensitivity-claim {
  reason "Reference set too small to show the claimed sensitivity; enlargement tracked in CAPA-7"
  approved_by "QA lead <qa@example.com>"
  expires 2099-12-31
  risk "RISK-3"
}

waiver dicom_deid.basic_profile.no-burned-in-text {
  reason "Burned-in names under review"
  approved_by "DPO <dpo@example.com>"
  expires 2024-01-31
}
"#;

/// The date waivers are judged as of.
const AS_OF: &str = "2024-06-01";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/chest-xray-triage")
}

fn snapshot_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/context.json")
}

fn plan() -> Plan {
    let manifest =
        std::fs::read_to_string(example().join("model.clic")).expect("the example's manifest");
    let compiled = clic_compiler::compile(
        vec![
            ("model.clic".to_string(), manifest),
            ("waivers.clic".to_string(), WAIVERS.to_string()),
        ],
        &mut clic_compiler::NoImports,
    );
    compiled
        .plan
        .unwrap_or_else(|| panic!("the fixture compiles: {:?}", compiled.diagnostics))
}

/// Every check of the plan but the last gets a result, its status in a fixed rotation;
/// waivers apply as the runner applies them.
fn evidence(plan: &Plan) -> Evidence {
    let rotation = [
        Status::Passed,
        Status::Passed,
        Status::Failed,
        Status::Passed,
        Status::Skipped,
        Status::Unavailable,
    ];
    let (run, not_run) = plan.checks.split_at(plan.checks.len() - 1);
    let results: Vec<CheckResult> = run
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let waiver = plan.waivers.iter().find(|w| w.control == c.id);
            let mut status = rotation[i % rotation.len()];
            if waiver.is_some() {
                status = Status::Failed;
            }
            let observed = c
                .facts
                .iter()
                .take(2)
                .enumerate()
                .map(|(j, f)| Observation {
                    fact: f.clone(),
                    value: if j == 0 {
                        Value::Number(i as f64 / 8.0)
                    } else {
                        Value::String(format!("value {i}"))
                    },
                })
                .collect();
            let mut r = CheckResult {
                id: c.id.clone(),
                status,
                severity: c.severity,
                failed: if status == Status::Failed {
                    c.expect.iter().take(1).map(|e| e.text.clone()).collect()
                } else {
                    Vec::new()
                },
                observed,
                unavailable: (status == Status::Unavailable).then(|| Unavailable {
                    fact: c.facts.first().cloned().unwrap_or_default(),
                    reason: "the fixture does not give it".to_string(),
                    invalid_input: false,
                    input: None,
                }),
                waiver: None,
                culprits: Vec::new(),
            };
            if let Some(w) = waiver {
                let state = if w.expires.as_str() < AS_OF {
                    "expired"
                } else {
                    r.status = Status::Waived;
                    "applied"
                };
                r.waiver = Some(WaiverState {
                    waiver: w.clone(),
                    state: state.to_string(),
                });
            }
            r
        })
        .collect();
    let mut summary = Summary::default();
    for r in &results {
        match r.status {
            Status::Passed => summary.passed += 1,
            Status::Failed => summary.failed += 1,
            Status::Waived => summary.waived += 1,
            Status::Skipped => summary.skipped += 1,
            Status::Unavailable => summary.unavailable += 1,
        }
    }
    Evidence {
        format: clic_runner::evidence::EVIDENCE_FORMAT,
        stage: Stage::Release,
        gate_passed: !results.iter().any(|r| blocks(r, Severity::Major)),
        results,
        not_run: not_run.iter().map(|c| c.id.clone()).collect(),
        untouched: Vec::new(),
        summary,
        fail_on: Severity::Major,
    }
}

/// A scan of the reference set with made-up attributes that vary with its index.
fn scan(i: usize, file: &str, label: Option<bool>, score: f64) -> ScanRow {
    let pick = |values: &[&str]| values[i % values.len()].to_string();
    ScanRow {
        info: ScanInfo {
            file: file.to_string(),
            sha256: format!("{i:064x}"),
            transfer_syntax: "1.2.840.10008.1.2.1".to_string(),
            transfer_syntax_name: pick(&["Explicit VR Little Endian", "JPEG Lossless"]),
            part10: true,
            sop_class: "1.2.840.10008.5.1.4.1.1.1.1".to_string(),
            modality: pick(&["CR", "DX"]),
            manufacturer: pick(&["ACME", "Globex", "Initech"]),
            model_name: pick(&["X1", "X2", ""]),
            sex: pick(&["F", "M", "F", ""]),
            age: String::new(),
            age_band: pick(&["18-39", "40-59", "60-79", "80+", "unknown"]),
            rows: 64,
            columns: if i.is_multiple_of(7) { 48 } else { 64 },
            bits_allocated: 16,
            bits_stored: 12,
            pixel_representation: 0,
            photometric: "MONOCHROME2".to_string(),
            frames: 1,
            patient_hash: format!("patient-{}", i / 2),
            study_hash: format!("study-{i}"),
            deid: DeidAudit::default(),
        },
        label,
        score: Some(score),
    }
}

/// The example's reference scores as a benchmark; every 40th scan is left unlabelled.
fn bench() -> BenchEvidence {
    let csv = std::fs::read_to_string(example().join("model/reference-scores.csv"))
        .expect("the example's reference scores");
    let rows: Vec<ScanRow> = csv
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            let [file, label, score] = cells[..] else {
                panic!("a row of three cells: {line}");
            };
            let score: f64 = score.parse().expect("a score");
            scan(i, file, (i % 40 != 39).then_some(label == "1"), score)
        })
        .collect();
    BenchEvidence {
        format: bench::EVIDENCE_FORMAT,
        key: "fixture-key".to_string(),
        clic_version: "0.0.0-fixture".to_string(),
        model_sha256: "fixture-model-sha256".to_string(),
        labels_sha256: "fixture-labels-sha256".to_string(),
        backend: "tract (fixture)".to_string(),
        overall: bench::score_metrics(&rows, 0.5, true),
        rows,
        unreadable: Vec::new(),
        labels_without_file: vec!["cxr-9999.dcm".to_string()],
        leakage_patients: 1,
        leakage_studies: 0,
        findings: None,
        equivalence: None,
        robustness: None,
        segmentation: None,
    }
}

/// What the snapshot holds.
#[derive(serde::Serialize)]
struct Assembled<'a> {
    /// The context of the Markdown templates.
    context: serde_json::Value,
    /// The files `assemble` makes from it.
    files: Vec<&'a str>,
}

#[test]
fn the_example_context_as_assembled() {
    let plan = plan();
    let spec = plan.model.clone().expect("the example has a model");
    let evidence = evidence(&plan);
    let bench = bench();
    let dir = example();
    let documents = clic_runner::documents::load_all(&dir, &dir, Some(&spec));
    let git = GitInfo {
        commit: Some("0123456789abcdef0123456789abcdef01234567".to_string()),
        date: Some(AS_OF.to_string()),
        tag: Some("v1.4.0".to_string()),
        branch: Some("main".to_string()),
        changed: Some(Vec::new()),
        missing: None,
    };
    let inputs = integrity::inputs(&dir, &dir, &plan, &[]);
    let templates = Templates::load(&[], &dir, &dir).expect("the built-in templates load");
    let limits = clic_runner::budget::ReadLimits::default();
    let src = Sources {
        plan: &plan,
        spec: &spec,
        evidence: &evidence,
        bench: Ok(&bench),
        documents: &documents,
        git: &git,
        inputs: &inputs,
        waivers_as_of: AS_OF,
        read_limits: &limits,
        clic_version: "0.0.0-fixture",
        graph: None,
    };
    let figures: BTreeMap<String, String> = clic_dossier::figures::all(&spec, &bench)
        .into_iter()
        .map(|(name, svg)| (format!("figures/{name}.svg"), svg))
        .collect();
    // As a JSON value, the context's keys are sorted, as handlebars sees them.
    let ctx = serde_json::to_value(context(&src, &templates, &figures)).expect("serializes");
    let files = assemble(&src, &templates).unwrap_or_else(|e| panic!("{e:?}"));
    let shown = Assembled {
        context: ctx,
        files: files.keys().map(String::as_str).collect(),
    };
    let mut text = serde_json::to_string_pretty(&shown).expect("serializes");
    text.push('\n');
    let path = snapshot_file();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(&path, &text).expect("write the snapshot");
        return;
    }
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    if old != text {
        let line = old
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| old.lines().count().min(text.lines().count()));
        panic!(
            "the assembled context differs from {} from line {}:\n  was: {}\n  now: {}\n\
             if the change is intended, regenerate it with \
             `UPDATE_SNAPSHOTS=1 cargo test --workspace --test context_snapshot` and review its diff",
            path.display(),
            line + 1,
            old.lines().nth(line).unwrap_or("<end of file>"),
            text.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}
