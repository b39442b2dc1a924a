//! A series classifier (issue 14): a model that reads whole MR series and gives one
//! probability per finding per series, benchmarked by the findings task (per study, a
//! study's score the highest of its series') and by the binary task, unchanged. The
//! scores, the study aggregation and the AUC are checked against values computed here
//! from the pixel data the test writes; what breaks a series, a label for no study and
//! an input that selects nothing are coded diagnostics or counted, never a panic, a
//! silent pass or a UID in the output.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
#[path = "../runner/tests/dicom_writer/mod.rs"]
mod dicom_writer;
#[path = "../runner/tests/onnx_writer/mod.rs"]
mod onnx_writer;

use common::{clic, text};
use dicom_writer::el;
use onnx_writer::{float_tensor, graph, model, node, value_info, Attr, Dim, FLOAT};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The root of every UID the fixture writes: none may reach an output.
const UID_ROOT: &str = "1.2.826.0.1.3680043.10.543";
/// Each series: 8 slices of 6 x 6 pixels.
const SLICES: usize = 8;
const SIDE: usize = 6;
/// The model's probabilities: `sigmoid(SCALE[f] * mean + BIAS[f])` over the series'
/// rescaled values.
const SCALE: [f64; 2] = [0.05, -0.04];
const BIAS: [f64; 2] = [-2.5, 2.0];
const INTERCEPT: f64 = -1000.0;

const MANIFEST: &str = r#"model brain-triage {
  version "1.0.0"
  purpose "Flags brain MR studies with a suspected lesion or haemorrhage for prioritised reading."
  class IIa by rule 11
  artifact "model/triage.onnx"
  input "t1" series where modality MR, description matches "^T1" {
    rescale from dicom
  }
  findings "probs" {
    lesion index 0 positive when >= 0.5 means "lesion suspected"
    bleed index 1 positive when >= 0.5 means "haemorrhage suspected"
  }
  unit study aggregate max
  reference "data/reference" labels "data/reference/labels.csv"
}
"#;

/// The same model read as a binary classifier of each series (its first probability).
const BINARY: &str = r#"model brain-triage {
  version "1.0.0"
  purpose "Flags brain MR series with a suspected lesion for prioritised reading."
  class IIa by rule 11
  artifact "model/triage.onnx"
  input "t1" series where modality MR, description matches "^T1" {
    rescale from dicom
  }
  output "probs" index 0 positive when >= 0.5 means "lesion suspected"
  reference "data/reference" labels "data/reference/labels.yaml"
}
"#;

const POLICY: &str = r#"policy local.triage "The triage model separates the findings" {
  control finding-auc "Every finding's AUC is at least 0.5" {
    cites mdr "Annex I 17.1"
    severity major
    stage ci
    expect all f in benchmark.findings: f.auc >= 0.5
  }
}
"#;

/// One series of the fixture.
#[derive(Debug, Clone)]
struct SeriesDef {
    study: usize,
    patient: usize,
    /// Its folder under the reference folder.
    folder: String,
    description: &'static str,
    uid: String,
    /// The rescaled value of every voxel is `base` plus a small pattern.
    base: f64,
}

impl SeriesDef {
    /// The stored value of voxel (x, y, z).
    fn stored(&self, x: usize, y: usize, z: usize) -> u16 {
        let value = self.base + (((x + 2 * y + 3 * z) % 5) * 4) as f64;
        (value - INTERCEPT) as u16
    }

    /// The mean of its rescaled values, from the stored values as written.
    fn mean(&self) -> f64 {
        let mut sum = 0.0;
        for z in 0..SLICES {
            for y in 0..SIDE {
                for x in 0..SIDE {
                    sum += f64::from(self.stored(x, y, z)) + INTERCEPT;
                }
            }
        }
        sum / (SLICES * SIDE * SIDE) as f64
    }

    fn probability(&self, finding: usize) -> f64 {
        let logit = SCALE[finding] * self.mean() + BIAS[finding];
        1.0 / (1.0 + (-logit).exp())
    }

    fn first_file(&self) -> String {
        format!("{}/slice-0.dcm", self.folder)
    }
}

/// 12 studies of 8 patients: each has a T1 and a T1 post-contrast series (both read);
/// every third also has a FLAIR series, which the input does not select.
fn fixture() -> Vec<SeriesDef> {
    let mut out = Vec::new();
    for study in 0..12 {
        let patient = [0, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 7][study];
        let mut add = |kind: &str, description: &'static str, base: f64| {
            out.push(SeriesDef {
                study,
                patient,
                folder: format!("st{study:02}-{kind}"),
                description,
                uid: format!("{UID_ROOT}.{study}.{}", out.len() + 1),
                base,
            });
        };
        let b = (study * 37 % 60) as f64;
        add("t1", "T1 axial", 20.0 + b);
        add("t1c", "T1 post contrast", 10.0 + (study * 23 % 70) as f64);
        if study.is_multiple_of(3) {
            add("flair", "FLAIR axial", 200.0);
        }
    }
    out
}

/// The labels of each study per finding; study 5 is not labelled for `bleed`.
fn study_labels(study: usize) -> [Option<bool>; 2] {
    let lesion = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1][study] == 1;
    let bleed = [0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0][study] == 1;
    [Some(lesion), (study != 5).then_some(bleed)]
}

fn study_uid(study: usize) -> String {
    format!("{UID_ROOT}.{study}")
}

/// A Part 10 MR image, explicit VR little endian.
fn slice(s: &SeriesDef, z: usize) -> Vec<u8> {
    let sop = format!("{}.{}", s.uid, z + 1);
    let mr = b"1.2.840.10008.5.1.4.1.1.4";
    let mut d = Vec::new();
    d.extend(el((0x0008, 0x0008), b"CS", b"ORIGINAL\\PRIMARY\\AXIAL"));
    d.extend(el((0x0008, 0x0016), b"UI", mr));
    d.extend(el((0x0008, 0x0018), b"UI", sop.as_bytes()));
    d.extend(el((0x0008, 0x0060), b"CS", b"MR"));
    d.extend(el(
        (0x0008, 0x0070),
        b"LO",
        if s.patient.is_multiple_of(2) {
            b"Acme"
        } else {
            b"Zeta"
        },
    ));
    d.extend(el((0x0008, 0x103E), b"LO", s.description.as_bytes()));
    d.extend(el(
        (0x0010, 0x0020),
        b"LO",
        format!("PAT-{:03}", s.patient).as_bytes(),
    ));
    d.extend(el(
        (0x0010, 0x0040),
        b"CS",
        if s.patient.is_multiple_of(3) {
            b"F"
        } else {
            b"M"
        },
    ));
    d.extend(el((0x0010, 0x1010), b"AS", b"045Y"));
    d.extend(el((0x0018, 0x0050), b"DS", b"2"));
    d.extend(el((0x0020, 0x000D), b"UI", study_uid(s.study).as_bytes()));
    d.extend(el((0x0020, 0x000E), b"UI", s.uid.as_bytes()));
    d.extend(el((0x0020, 0x0013), b"IS", (z + 1).to_string().as_bytes()));
    d.extend(el(
        (0x0020, 0x0032),
        b"DS",
        format!("0\\0\\{}", 2 * z).as_bytes(),
    ));
    d.extend(el((0x0020, 0x0037), b"DS", b"1\\0\\0\\0\\1\\0"));
    d.extend(el((0x0028, 0x0002), b"US", &1u16.to_le_bytes()));
    d.extend(el((0x0028, 0x0004), b"CS", b"MONOCHROME2"));
    d.extend(el((0x0028, 0x0010), b"US", &(SIDE as u16).to_le_bytes()));
    d.extend(el((0x0028, 0x0011), b"US", &(SIDE as u16).to_le_bytes()));
    d.extend(el((0x0028, 0x0030), b"DS", b"1\\1"));
    d.extend(el((0x0028, 0x0100), b"US", &16u16.to_le_bytes()));
    d.extend(el((0x0028, 0x0101), b"US", &16u16.to_le_bytes()));
    d.extend(el((0x0028, 0x0102), b"US", &15u16.to_le_bytes()));
    d.extend(el((0x0028, 0x0103), b"US", &0u16.to_le_bytes()));
    d.extend(el((0x0028, 0x1052), b"DS", b"-1000"));
    d.extend(el((0x0028, 0x1053), b"DS", b"1"));
    let mut pixels = Vec::with_capacity(SIDE * SIDE * 2);
    for y in 0..SIDE {
        for x in 0..SIDE {
            pixels.extend(s.stored(x, y, z).to_le_bytes());
        }
    }
    d.extend(el((0x7FE0, 0x0010), b"OW", &pixels));
    let mut meta = Vec::new();
    meta.extend(el((0x0002, 0x0001), b"OB", &[0, 1]));
    meta.extend(el((0x0002, 0x0002), b"UI", mr));
    meta.extend(el((0x0002, 0x0003), b"UI", sop.as_bytes()));
    meta.extend(el(
        (0x0002, 0x0010),
        b"UI",
        dicom_writer::EXPLICIT_LE.as_bytes(),
    ));
    meta.extend(el((0x0002, 0x0012), b"UI", b"1.2.3.5"));
    let mut out = vec![0u8; 128];
    out.extend(b"DICM");
    out.extend(el(
        (0x0002, 0x0000),
        b"UL",
        &(meta.len() as u32).to_le_bytes(),
    ));
    out.extend(meta);
    out.extend(d);
    out
}

/// `probs = sigmoid(mean(t1) * SCALE + BIAS)`, `[1, 2]`, for a `[1, 1, 8, 6, 6]` input.
fn write_model(dir: &Path) {
    write_model_as(dir, "model/triage.onnx", BIAS);
}

/// The model with another bias, at `path`.
fn write_model_as(dir: &Path, path: &str, bias: [f64; 2]) {
    let input = [
        Dim::Fixed(1),
        Dim::Fixed(1),
        Dim::Fixed(SLICES as i64),
        Dim::Fixed(SIDE as i64),
        Dim::Fixed(SIDE as i64),
    ];
    let g = graph(
        "triage",
        &[
            node(
                "ReduceMean",
                &["t1"],
                &["mean"],
                &[
                    ("axes", Attr::Ints(vec![2, 3, 4])),
                    ("keepdims", Attr::Int(0)),
                ],
            ),
            node("Mul", &["mean", "scale"], &["scaled"], &[]),
            node("Add", &["scaled", "bias"], &["logits"], &[]),
            node("Sigmoid", &["logits"], &["probs"], &[]),
        ],
        &[
            float_tensor("scale", &[2], &SCALE.map(|v| v as f32)),
            float_tensor("bias", &[2], &bias.map(|v| v as f32)),
        ],
        &[value_info("t1", FLOAT, Some(&input))],
        &[value_info(
            "probs",
            FLOAT,
            Some(&[Dim::Fixed(1), Dim::Fixed(2)]),
        )],
    );
    std::fs::create_dir_all(dir.join("model")).expect("mkdir");
    std::fs::write(dir.join(path), model(&g)).expect("model");
}

fn labels_csv(extra: &str) -> String {
    let mut csv = String::from("StudyInstanceUID,lesion,bleed\n");
    for study in 0..12 {
        let cell = |l: Option<bool>| l.map_or(String::new(), |l| u8::from(l).to_string());
        let [lesion, bleed] = study_labels(study);
        csv.push_str(&format!(
            "{},{},{}\n",
            study_uid(study),
            cell(lesion),
            cell(bleed)
        ));
    }
    csv.push_str(extra);
    csv
}

/// The project: manifest, policy, model, every series' slices and both labels files.
fn project() -> (tempfile::TempDir, Vec<SeriesDef>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let series = fixture();
    let reference = dir.join("data/reference");
    for s in &series {
        let folder = reference.join(&s.folder);
        std::fs::create_dir_all(&folder).expect("mkdir");
        for z in 0..SLICES {
            std::fs::write(folder.join(format!("slice-{z}.dcm")), slice(s, z)).expect("slice");
        }
    }
    std::fs::write(reference.join("labels.csv"), labels_csv("")).expect("labels");
    // The binary task's labels, by each T1 series' first file: its study's lesion label.
    let mut yaml = String::new();
    for s in series.iter().filter(|s| s.description.starts_with("T1")) {
        let lesion = study_labels(s.study)[0] == Some(true);
        yaml.push_str(&format!("{}: {}\n", s.first_file(), u8::from(lesion)));
    }
    std::fs::write(reference.join("labels.yaml"), yaml).expect("labels");
    write_model(dir);
    std::fs::write(dir.join("model.clic"), MANIFEST).expect("manifest");
    std::fs::write(dir.join("policy.clic"), POLICY).expect("policy");
    (tmp, series)
}

fn bench_json(dir: &Path) -> (std::process::Output, Value) {
    let out = clic()
        .args(["bench", "--format", "json"])
        .arg(dir)
        .output()
        .expect("clic runs");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, v)
}

/// The AUC of `scores` against `labels` by the Mann-Whitney count (ties half).
fn auc(pairs: &[(f64, bool)]) -> f64 {
    let pos: Vec<f64> = pairs.iter().filter(|p| p.1).map(|p| p.0).collect();
    let neg: Vec<f64> = pairs.iter().filter(|p| !p.1).map(|p| p.0).collect();
    let mut wins = 0.0;
    for p in &pos {
        for n in &neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-5, "{what}: clic {a}, by hand {b}");
}

#[test]
fn each_study_scores_the_highest_of_its_series_and_the_findings_metrics_follow() {
    let (tmp, series) = project();
    let (out, v) = bench_json(tmp.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(!t.contains(UID_ROOT), "no UID in the output: {t}");
    let f = &v["findings"];
    assert_eq!(f["unit"], "study", "{f}");
    let units = f["units"].as_array().expect("units");
    assert_eq!(units.len(), 12, "one unit per study");
    // 24 rows: the T1 series; the FLAIR series are not read.
    assert_eq!(v["scans"], 24, "{t}");
    let by_first: BTreeMap<String, &SeriesDef> =
        series.iter().map(|s| (s.first_file(), s)).collect();
    let mut per_finding: [Vec<(f64, bool)>; 2] = [Vec::new(), Vec::new()];
    for u in units {
        let images: Vec<&str> = u["images"]
            .as_array()
            .expect("images")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(images.len(), 2, "a study's two T1 series: {u}");
        let members: Vec<&SeriesDef> = images.iter().map(|i| by_first[*i]).collect();
        assert!(members.iter().all(|s| s.description.starts_with("T1")));
        let study = members[0].study;
        assert!(members.iter().all(|s| s.study == study));
        for finding in 0..2 {
            let want = members
                .iter()
                .map(|s| s.probability(finding))
                .fold(f64::NEG_INFINITY, f64::max);
            let got = u["scores"][finding].as_f64().expect("score");
            close(got, want, &format!("study {study}, finding {finding}"));
            if let Some(label) = study_labels(study)[finding] {
                assert_eq!(u["labels"][finding], Value::Bool(label));
                per_finding[finding].push((want, label));
            } else {
                assert_eq!(u["labels"][finding], Value::Null);
            }
        }
    }
    for (k, name) in ["lesion", "bleed"].iter().enumerate() {
        let r = &f["findings"][k];
        assert_eq!(r["name"], *name);
        let got = r["metrics"]["auc"]["value"].as_f64().expect("auc");
        close(got, auc(&per_finding[k]), name);
        assert_eq!(r["unlabelled"], u64::from(k == 1), "{name}");
    }
    // 8 patients, some with two studies: the intervals are patient-clustered.
    assert_eq!(f["patients"], 8);
    assert_eq!(f["clustered"], true);
    assert_eq!(f["labels_without_unit"], 0);
}

#[test]
fn check_reads_the_findings_facts_of_a_series_classifier() {
    let (tmp, _) = project();
    let run = |policy: &str| {
        std::fs::write(tmp.path().join("policy.clic"), policy).expect("policy");
        let out = clic()
            .args(["check", "--format", "json"])
            .arg(tmp.path())
            .output()
            .expect("clic runs");
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        let result = report["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|r| r["id"] == "local.triage.finding-auc")
            .cloned()
            .expect("the control ran");
        (out, result)
    };
    let (out, result) = run(POLICY);
    assert_eq!(result["status"], "passed", "{}", text(&out));
    // Above what the evidence shows: the same fact fails the control.
    let (out, result) = run(&POLICY.replace(">= 0.5", ">= 0.999"));
    assert_eq!(result["status"], "failed", "{}", text(&out));
    assert!(!text(&out).contains(UID_ROOT));
}

#[test]
fn the_binary_task_scores_each_series() {
    let (tmp, series) = project();
    std::fs::write(tmp.path().join("model.clic"), BINARY).expect("manifest");
    let csv = tmp.path().join("predictions.csv");
    let out = clic()
        .arg("bench")
        .arg(tmp.path())
        .arg("--predictions")
        .arg(&csv)
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("reference set: 24 series"),
        "the summary counts series, not files: {}",
        text(&out)
    );
    let text_csv = std::fs::read_to_string(&csv).expect("predictions");
    let by_first: BTreeMap<String, &SeriesDef> =
        series.iter().map(|s| (s.first_file(), s)).collect();
    let mut rows = 0;
    let mut pairs = Vec::new();
    for line in text_csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let s = by_first[cells[0]];
        assert!(s.description.starts_with("T1"), "{line}");
        let score: f64 = cells[3].parse().expect("score");
        close(score, s.probability(0), cells[0]);
        let label = study_labels(s.study)[0] == Some(true);
        assert_eq!(cells[2], if label { "1" } else { "0" }, "{line}");
        pairs.push((s.probability(0), label));
        rows += 1;
    }
    assert_eq!(rows, 24);
    let (out, v) = bench_json(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(v["overall"]["auc"]["n"], 24);
    let got = v["overall"]["auc"]["value"].as_f64().expect("the AUC");
    close(got, auc(&pairs), "the series' AUC");
}

fn fails_with(dir: &Path, said: &[&str]) {
    let out = clic().arg("bench").arg(dir).output().expect("clic runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("E022"), "{t}");
    for s in said {
        assert!(t.contains(s), "`{s}` not in: {t}");
    }
    assert!(!t.contains(UID_ROOT), "no UID in the message: {t}");
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn a_series_missing_a_slice_is_named_with_the_gap() {
    let (tmp, _) = project();
    std::fs::remove_file(tmp.path().join("data/reference/st04-t1c/slice-3.dcm")).expect("remove");
    fails_with(
        tmp.path(),
        &["st04-t1c/", "the input `t1` selects", "missing slices"],
    );
}

#[test]
fn a_broken_series_no_input_reads_is_left_out() {
    let (tmp, _) = project();
    std::fs::remove_file(tmp.path().join("data/reference/st03-flair/slice-1.dcm")).expect("remove");
    let (out, v) = bench_json(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(v["scans"], 24);
}

#[test]
fn a_label_for_no_study_is_counted_not_matched() {
    let (tmp, _) = project();
    std::fs::write(
        tmp.path().join("data/reference/labels.csv"),
        labels_csv(&format!("{UID_ROOT}.99,1,0\n")),
    )
    .expect("labels");
    let (out, v) = bench_json(tmp.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(v["findings"]["labels_without_unit"], 1, "{t}");
    assert_eq!(v["findings"]["units"].as_array().map(Vec::len), Some(12));
    assert!(!t.contains(UID_ROOT), "{t}");
}

#[test]
fn an_input_that_selects_no_series_is_named_with_what_there_is() {
    let (tmp, _) = project();
    std::fs::write(
        tmp.path().join("model.clic"),
        MANIFEST.replace("^T1", "^DWI"),
    )
    .expect("manifest");
    fails_with(
        tmp.path(),
        &[
            "no series of the reference folder is one the input `t1` selects",
            "description matches \"^DWI\"",
            "28 series",
        ],
    );
}

#[test]
fn a_sharded_run_refuses_series() {
    let (tmp, _) = project();
    let out = clic()
        .args(["bench", "--shard", "1/2", "--output"])
        .arg(tmp.path().join("shard.json"))
        .arg(tmp.path())
        .output()
        .expect("clic runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("runs on one machine"), "{t}");
}

#[test]
fn labels_by_series_uid_label_each_series_and_sop_keys_are_refused() {
    let (tmp, series) = project();
    std::fs::write(
        tmp.path().join("model.clic"),
        MANIFEST.replace("unit study aggregate max", "unit image"),
    )
    .expect("manifest");
    // Each T1 series labelled on its own: lesion where its own probability is above
    // 0.5, so the AUC is 1.
    let mut csv = String::from("SeriesInstanceUID,lesion,bleed\n");
    let t1: Vec<&SeriesDef> = series
        .iter()
        .filter(|s| s.description.starts_with("T1"))
        .collect();
    for s in &t1 {
        csv.push_str(&format!(
            "{},{},\n",
            s.uid,
            u8::from(s.probability(0) >= 0.5)
        ));
    }
    std::fs::write(tmp.path().join("data/reference/labels.csv"), &csv).expect("labels");
    let (out, v) = bench_json(tmp.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let f = &v["findings"];
    assert_eq!(f["label_key"], "SeriesInstanceUID");
    let units = f["units"].as_array().expect("units");
    assert_eq!(units.len(), 24, "one unit per series");
    for u in units {
        let first = u["images"][0].as_str().expect("file");
        let s = t1
            .iter()
            .find(|s| s.first_file() == first)
            .expect("a T1 series");
        close(
            u["scores"][0].as_f64().expect("score"),
            s.probability(0),
            first,
        );
        assert_eq!(u["labels"][0], Value::Bool(s.probability(0) >= 0.5), "{u}");
    }
    assert_eq!(f["findings"][0]["metrics"]["auc"]["value"], 1.0);
    assert_eq!(f["findings"][1]["unlabelled"], 24);
    assert_eq!(f["labels_without_unit"], 0);
    assert!(!t.contains(UID_ROOT), "{t}");
    // SOPInstanceUIDs name slices, not what is scored.
    std::fs::write(
        tmp.path().join("data/reference/labels.csv"),
        csv.replacen("SeriesInstanceUID", "SOPInstanceUID", 1),
    )
    .expect("labels");
    fails_with(tmp.path(), &["keyed by SOPInstanceUID", "reads series"]);
}

/// Two inputs: `probs = sigmoid((mean(t1) - mean(t1c)) * SCALE + BIAS)`.
fn write_two_input_model(dir: &Path) {
    let input = [
        Dim::Fixed(1),
        Dim::Fixed(1),
        Dim::Fixed(SLICES as i64),
        Dim::Fixed(SIDE as i64),
        Dim::Fixed(SIDE as i64),
    ];
    let g = graph(
        "two",
        &[
            node("Sub", &["t1", "t1c"], &["diff"], &[]),
            node(
                "ReduceMean",
                &["diff"],
                &["mean"],
                &[
                    ("axes", Attr::Ints(vec![2, 3, 4])),
                    ("keepdims", Attr::Int(0)),
                ],
            ),
            node("Mul", &["mean", "scale"], &["scaled"], &[]),
            node("Add", &["scaled", "bias"], &["logits"], &[]),
            node("Sigmoid", &["logits"], &["probs"], &[]),
        ],
        &[
            float_tensor("scale", &[2], &SCALE.map(|v| v as f32)),
            float_tensor("bias", &[2], &BIAS.map(|v| v as f32)),
        ],
        &[
            value_info("t1", FLOAT, Some(&input)),
            value_info("t1c", FLOAT, Some(&input)),
        ],
        &[value_info(
            "probs",
            FLOAT,
            Some(&[Dim::Fixed(1), Dim::Fixed(2)]),
        )],
    );
    std::fs::write(dir.join("model/two.onnx"), model(&g)).expect("model");
}

#[test]
fn a_second_input_reads_the_series_of_the_same_study() {
    let (tmp, series) = project();
    write_two_input_model(tmp.path());
    let manifest = MANIFEST
        .replace("model/triage.onnx", "model/two.onnx")
        .replace(
            r#"input "t1" series where modality MR, description matches "^T1" {"#,
            r#"input "t1" series where modality MR, description matches "^T1 axial" {
    rescale from dicom
  }
  input "t1c" series where modality MR, description matches "^T1 post" {"#,
        );
    std::fs::write(tmp.path().join("model.clic"), &manifest).expect("manifest");
    let (out, v) = bench_json(tmp.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let units = v["findings"]["units"].as_array().expect("units");
    assert_eq!(units.len(), 12);
    for u in units {
        let first = u["images"][0].as_str().expect("file");
        assert_eq!(u["images"].as_array().map(Vec::len), Some(1), "{u}");
        let t1 = series.iter().find(|s| s.first_file() == first).expect("t1");
        assert_eq!(t1.description, "T1 axial");
        let t1c = series
            .iter()
            .find(|s| s.study == t1.study && s.description == "T1 post contrast")
            .expect("t1c");
        for f in 0..2 {
            let logit = SCALE[f] * (t1.mean() - t1c.mean()) + BIAS[f];
            let want = 1.0 / (1.0 + (-logit).exp());
            close(u["scores"][f].as_f64().expect("score"), want, first);
        }
    }
    // A study without the second input's series is named by its first input's file.
    let gone = tmp.path().join("data/reference/st07-t1c");
    std::fs::remove_dir_all(&gone).expect("remove");
    fails_with(
        tmp.path(),
        &[
            "st07-t1/slice-0.dcm",
            "has 0 series the input `t1c` selects",
            "where one is expected",
        ],
    );
}

#[test]
fn the_dossier_reports_the_findings_of_series_without_a_uid() {
    let (tmp, _) = project();
    let out = tmp.path().join("dossier");
    let run = clic()
        .arg("dossier")
        .arg(tmp.path())
        .arg("--out")
        .arg(&out)
        .output()
        .expect("clic runs");
    let report = std::fs::read_to_string(out.join("clinical-performance.md"))
        .unwrap_or_else(|_| panic!("no report: {}", text(&run)));
    for want in [
        "The unit of analysis is the **study**: 12 units of 8 patients",
        "## Finding: lesion",
        "## Finding: bleed",
    ] {
        assert!(
            report.contains(want),
            "the report lacks {want:?}:\n{report}"
        );
    }
    for (path, bytes) in common::snapshot(&out) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(UID_ROOT),
            "a UID in {path}"
        );
    }
}

#[test]
fn the_released_version_is_scored_on_the_same_series_and_compared() {
    let (tmp, series) = project();
    let released = [BIAS[0] - 0.5, BIAS[1] + 0.25];
    write_model_as(tmp.path(), "model/released.onnx", released);
    std::fs::write(
        tmp.path().join("model.clic"),
        MANIFEST.replace(
            "  unit study aggregate max\n",
            "  unit study aggregate max\n  compare with \"model/released.onnx\" version \"0.9.0\"\n",
        ),
    )
    .expect("manifest");
    let (out, v) = bench_json(tmp.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let f = &v["findings"];
    assert_eq!(f["compare"]["version"], "0.9.0", "{t}");
    assert_eq!(f["compare"]["findings"].as_array().map(Vec::len), Some(2));
    let by_first: BTreeMap<String, &SeriesDef> =
        series.iter().map(|s| (s.first_file(), s)).collect();
    for u in f["units"].as_array().expect("units") {
        for finding in 0..2 {
            let want = u["images"]
                .as_array()
                .expect("images")
                .iter()
                .filter_map(Value::as_str)
                .map(|i| {
                    let logit = SCALE[finding] * by_first[i].mean() + released[finding];
                    1.0 / (1.0 + (-logit).exp())
                })
                .fold(f64::NEG_INFINITY, f64::max);
            let got = u["released"][finding].as_f64().expect("released score");
            close(got, want, "the released version's study score");
        }
    }
}
