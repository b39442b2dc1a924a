//! Fuzz target: clic's own ONNX protobuf reader and the graph limits that run before any
//! backend sees a model. Arbitrary bytes must give a model description or an error,
//! never a panic, and the limit check must end (it follows subgraphs only to
//! `MAX_SUBGRAPH_DEPTH`).
//!
//! The two modules are included by path: they need only `thiserror`, while a dependency
//! on clic-runner would build tract and ONNX Runtime's bindings with the sanitizers.
//! Seed with `fuzz/seed.sh` (the example model and the test models).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../runner/src/facts/artifact/onnx.rs"]
#[allow(dead_code)]
pub mod onnx;

#[path = "../../runner/src/engine/limits.rs"]
#[allow(dead_code)]
mod limits;

/// The paths `limits` names its reader by.
mod facts {
    pub mod artifact {
        pub use crate::onnx;
    }
}

/// The two errors `limits` gives, as the engine declares them.
#[derive(Debug)]
#[allow(dead_code)]
enum EngineError {
    Limit(String),
    Load(String),
}

fuzz_target!(|data: &[u8]| {
    let _ = onnx::read(data);
    // The limits read deeper than the reader (node attributes, tensor data), so a file
    // may pass one and not the other: either answer is fine, a panic or a hang is not.
    let _ = limits::check(data);
});
