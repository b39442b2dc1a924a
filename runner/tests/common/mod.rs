//! Shared by the two backend test binaries (each is its own process, because a
//! process chooses its backend once).

use clic_runner::engine::Model;
use std::path::Path;

/// Runs the example model on the golden probe and compares with onnxruntime (Python).
pub fn agrees_with_golden() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = std::fs::read(root.join("../examples/chest-xray-triage/model/cxr.onnx"))
        .expect("example model");
    let probe = std::fs::read(root.join("tests/data/cxr_probe.f32")).expect("probe input");
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/data/cxr_golden.json")).expect("golden"),
    )
    .expect("JSON");
    let input: Vec<f32> = probe
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let expected: Vec<f64> = golden["prob"]
        .as_array()
        .expect("prob")
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    let mut session = Model::load(&model, 2).expect("the example model loads");
    // Reuse the session: every batch must give the same answers.
    for _ in 0..2 {
        let got = session
            .run("image", &[4, 1, 64, 64], input.clone(), "prob")
            .expect("inference");
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert!(
                (f64::from(*g) - e).abs() < 1e-4,
                "backend gives {g}, onnxruntime (Python) gives {e}"
            );
        }
    }
}
