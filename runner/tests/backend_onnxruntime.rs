//! The ONNX Runtime backend (the shared library from the onnxruntime wheel) agrees with
//! ONNX Runtime (Python) on the example model. Under `CI=true` a missing library fails
//! the test; elsewhere the test prints a `SKIPPED` line and passes.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod common;
#[path = "../../tests/common/skip.rs"]
mod skip;

#[test]
fn onnxruntime_matches_python_within_1e_4() {
    let backend = clic_runner::engine::backend();
    if backend.name() != "onnxruntime" {
        let why = backend
            .warning
            .clone()
            .unwrap_or_else(|| "no ONNX Runtime library found".to_string());
        skip::skip(
            "ONNX Runtime",
            &format!("{why}; pip install onnxruntime==1.31.1"),
        );
        return;
    }
    common::agrees_with_golden();
}
