//! Which input a failure blames is set where it is known, not guessed from the fact's
//! name: a model that the backend cannot load breaks the benchmark, and `clic check`
//! reports it as the model's fault (`clic::E021`), not the reference set's (`E022`).
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
#[path = "../runner/tests/onnx_writer/mod.rs"]
mod onnx_writer;

use common::{clic, example_copy, text};
use onnx_writer::*;

/// The example with `model` as its artifact, its sha256 re-pinned.
fn project(model: &[u8]) -> tempfile::TempDir {
    let dir = example_copy();
    std::fs::write(dir.path().join("model/cxr.onnx"), model).expect("write model");
    let manifest = dir.path().join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let pin = clic_runner::facts::artifact::sha256_hex(model);
    let start = text.find("sha256 \"").expect("a pinned artifact") + 8;
    let text = format!("{}{pin}{}", &text[..start], &text[start + 64..]);
    std::fs::write(&manifest, text).expect("write manifest");
    dir
}

/// `prob = mean + (a Loop that adds 1 three times)`: valid ONNX, and a score per scan,
/// but tract implements no `Loop`, so it does not load the model.
fn three_trip_loop() -> Vec<u8> {
    let body = adding_loop_body();
    let inits = [
        bool_tensor("cond", true),
        float_tensor("zero", &[], &[0.0]),
        int64_tensor("trips", &[], &[3]),
    ];
    let nodes = vec![
        node(
            "Loop",
            &["trips", "cond", "zero"],
            &["count"],
            &[("body", Attr::Graph(body))],
        ),
        node("Add", &["mean", "count"], &["prob"], &[]),
    ];
    image_model(nodes, &inits, "prob", FLOAT, Some(&batch_by_one()))
}

#[test]
fn a_model_tract_cannot_load_is_e021_on_check() {
    let dir = project(&three_trip_loop());
    let out = clic()
        .arg("check")
        .arg(dir.path())
        .env("CLIC_BACKEND", "tract")
        .output()
        .expect("clic runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("clic::E021"), "{all}");
    assert!(!all.contains("clic::E022"), "{all}");
    assert!(
        all.contains("Loop"),
        "the message names what tract lacks\n{all}"
    );
}
