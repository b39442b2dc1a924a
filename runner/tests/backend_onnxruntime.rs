//! The ONNX Runtime backend (the shared library from the onnxruntime wheel) agrees with
//! ONNX Runtime (Python) on the example model. Under `CI=true` a missing library fails
//! the test; elsewhere the test says so and passes.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod common;

#[test]
fn onnxruntime_matches_python_within_1e_4() {
    let backend = clic_runner::engine::backend();
    if backend.name() != "onnxruntime" {
        let why = backend
            .warning
            .clone()
            .unwrap_or_else(|| "no ONNX Runtime library found".to_string());
        assert!(
            std::env::var("CI").is_err(),
            "CI must exercise ONNX Runtime: {why} (`pip install onnxruntime==1.31.1`)"
        );
        eprintln!("skipped: {why}");
        return;
    }
    common::agrees_with_golden();
}
