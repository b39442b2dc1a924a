//! The tract backend agrees with ONNX Runtime (Python) on the example model.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod common;

#[test]
fn tract_matches_onnxruntime_within_1e_4() {
    // SAFETY-free in edition 2021: set before any backend is chosen in this process.
    std::env::set_var("CLIC_BACKEND", "tract");
    assert_eq!(clic_runner::engine::backend().name(), "tract");
    common::agrees_with_golden();
}
