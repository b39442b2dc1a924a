//! The dossier's software bill of materials (`sbom.cdx.json`) is valid CycloneDX 1.6:
//! validated against the official schema (tests/schemas/cyclonedx/, vendored with the
//! two schemas it references, resolved locally: nothing is downloaded), deterministic,
//! covered by `clic verify`, and it says what clic knows: the model with its graph's
//! operators and its model card's metrics and subgroup slices, the runtime, the SOUP
//! list's items and the crates of the build.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, example_copy, git, text};
use serde_json::Value;
use std::path::Path;

fn schema(name: &str) -> Value {
    let path = common::root().join("tests/schemas/cyclonedx").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("vendored schema")).expect("JSON")
}

/// The official CycloneDX 1.6 validator, its `$ref`s to the SPDX licence list and JSF
/// resolved from the vendored copies.
fn errors(bom: &Value) -> Vec<String> {
    let (spdx, jsf) = (schema("spdx.schema.json"), schema("jsf-0.82.schema.json"));
    let registry = jsonschema::Registry::new()
        .add("http://cyclonedx.org/schema/spdx.schema.json", &spdx)
        .and_then(|r| r.add("http://cyclonedx.org/schema/jsf-0.82.schema.json", &jsf))
        .and_then(|r| r.prepare())
        .expect("the referenced schemas register");
    let validator = jsonschema::options()
        .with_registry(&registry)
        .build(&schema("bom-1.6.schema.json"))
        .expect("the CycloneDX schema compiles");
    validator
        .iter_errors(bom)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// The example, committed (a fixed date), and its dossier in `out`.
fn dossier(out_name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = example_copy();
    let root = dir.path();
    std::fs::write(root.join(".gitignore"), ".clic/\nout*/\n").expect("write");
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "CR-1 Release 1.4.0"]);
    let out = root.join(out_name);
    let run = clic()
        .arg("dossier")
        .arg(root)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("clic runs");
    assert!(
        out.join("sbom.cdx.json").is_file(),
        "no SBOM written: {}",
        text(&run)
    );
    (dir, out)
}

fn read(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("sbom.cdx.json")).expect("read"))
        .expect("the SBOM is JSON")
}

fn properties<'a>(c: &'a Value, name: &str) -> Vec<&'a str> {
    c["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == name)
        .filter_map(|p| p["value"].as_str())
        .collect()
}

#[test]
fn the_sbom_is_valid_cyclonedx_1_6_and_says_what_clic_knows() {
    let (dir, out) = dossier("out-a");
    let bom = read(&out);
    let errs = errors(&bom);
    assert!(
        errs.is_empty(),
        "sbom.cdx.json does not validate: {errs:#?}"
    );
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(
        bom["metadata"]["timestamp"], "2026-02-03T00:00:00Z",
        "the release commit's date, not the clock's"
    );
    assert!(bom["serialNumber"]
        .as_str()
        .is_some_and(|s| s.starts_with("urn:uuid:")));

    let components = bom["components"].as_array().expect("components");
    let model = components
        .iter()
        .find(|c| c["type"] == "machine-learning-model")
        .expect("the model is a machine-learning-model component");
    assert_eq!(
        model["hashes"][0]["content"],
        "28990ed261983c65b45e0ad3fadf197175ef56d42b8dc949fe3bd20fa5faa9e1"
    );
    assert_eq!(properties(model, "clic:onnx:opset"), vec!["ai.onnx 17"]);
    assert_eq!(
        properties(model, "clic:onnx:operator"),
        vec![
            "Conv",
            "Flatten",
            "Gemm",
            "GlobalMaxPool",
            "MaxPool",
            "Relu",
            "Sigmoid"
        ],
        "the graph's operators, read from the ONNX file"
    );
    let metrics = model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
        .as_array()
        .expect("performance metrics");
    let overall = metrics
        .iter()
        .find(|m| m["type"] == "sensitivity" && m.get("slice").is_none())
        .unwrap_or_else(|| panic!("an overall sensitivity: {metrics:#?}"));
    let value: f64 = overall["value"]
        .as_str()
        .expect("value")
        .parse()
        .expect("a number");
    assert!((value - 83.0 / 102.0).abs() < 1e-9, "{value}");
    assert!(overall["confidenceInterval"]["lowerBound"].is_string());
    assert!(
        metrics.iter().any(|m| m["slice"]
            .as_str()
            .is_some_and(|s| s.starts_with("PatientSex="))),
        "the subgroups are slices"
    );

    let runtime = components
        .iter()
        .find(|c| c["bom-ref"] == "runtime")
        .expect("the runtime");
    assert_eq!(runtime["name"], "onnxruntime");
    assert_eq!(runtime["version"], "1.31.1");
    assert_eq!(properties(runtime, "clic:soup:status"), vec!["identified"]);
    assert!(
        components
            .iter()
            .any(|c| c["name"] == "pydicom" && properties(c, "clic:soup:status") == ["unconfirmed"]),
        "the SOUP list's other items, as declared"
    );
    let tool = &bom["metadata"]["tools"]["components"][0];
    assert_eq!(tool["name"], "clic");
    let crates = tool["components"].as_array().expect("crates");
    assert!(crates.iter().any(|c| c["purl"]
        .as_str()
        .is_some_and(|p| p.starts_with("pkg:cargo/serde_json@"))));

    // Deterministic, and covered by the integrity record.
    let again = dir.path().join("out-b");
    clic()
        .arg("dossier")
        .arg(dir.path())
        .arg("--out")
        .arg(&again)
        .output()
        .expect("clic runs");
    assert_eq!(
        std::fs::read(out.join("sbom.cdx.json")).expect("a"),
        std::fs::read(again.join("sbom.cdx.json")).expect("b"),
        "the same inputs give the same SBOM"
    );
    let record = std::fs::read_to_string(out.join("evidence.json")).expect("record");
    assert!(
        record.contains("\"sbom.cdx.json\""),
        "the record lists the SBOM"
    );
    let mut tampered = bom.clone();
    tampered["components"][0]["version"] = Value::String("9.9.9".into());
    std::fs::write(
        out.join("sbom.cdx.json"),
        serde_json::to_vec_pretty(&tampered).expect("json"),
    )
    .expect("write");
    let v = clic().arg("verify").arg(&out).output().expect("clic runs");
    assert_ne!(
        v.status.code(),
        Some(0),
        "a changed SBOM fails verify: {}",
        text(&v)
    );
    assert!(text(&v).contains("sbom.cdx.json"), "{}", text(&v));
}

#[test]
fn the_validator_rejects_a_broken_sbom() {
    let (_dir, out) = dossier("out");
    let bom = read(&out);
    let mut wrong_type = bom.clone();
    wrong_type["components"][0]["type"] = Value::String("neural-network".into());
    assert!(!errors(&wrong_type).is_empty(), "an unknown component type");
    let mut bad_metric = bom.clone();
    bad_metric["components"][0]["modelCard"]["quantitativeAnalysis"]["performanceMetrics"][0]
        ["value"] = Value::from(0.8);
    assert!(
        !errors(&bad_metric).is_empty(),
        "a metric value that is not a string"
    );
    let mut bad_serial = bom;
    bad_serial["serialNumber"] = Value::String("urn:uuid:not-a-uuid".into());
    assert!(!errors(&bad_serial).is_empty(), "a malformed serial number");
}
