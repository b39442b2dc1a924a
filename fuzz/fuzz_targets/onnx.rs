//! Fuzz target: clic's own ONNX protobuf reader and the graph limits that run before any
//! backend sees a model. Arbitrary bytes must give a model description or an error,
//! never a panic, and the limit check must end (it follows subgraphs only to
//! `MAX_SUBGRAPH_DEPTH`). No backend is loaded: the target exercises clic's code only.
//! Seed `fuzz/corpus/onnx/` with `.onnx` files (the example's model, the hostile test
//! models).
#![no_main]

use clic_runner::engine::limits;
use clic_runner::facts::artifact::onnx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = onnx::read(data);
    // The limits read deeper than the reader (node attributes, tensor data), so a file
    // may pass one and not the other: either answer is fine, a panic or a hang is not.
    let _ = limits::check(data);
});
