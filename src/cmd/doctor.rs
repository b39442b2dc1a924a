//! `clic doctor`: the inference backend in use and how to switch.

use super::Status;
use clic_runner::engine::{backend, find_pip_onnxruntime, BackendKind};

/// Runs `clic doctor`.
pub fn run() -> Status {
    let b = backend();
    println!("clic {}", env!("CARGO_PKG_VERSION"));
    match &b.kind {
        BackendKind::Tract => println!(
            "inference backend: tract (pure Rust, built in), {}",
            b.version
        ),
        BackendKind::OnnxRuntime { library } => {
            println!(
                "inference backend: ONNX Runtime {} from {}",
                b.version,
                library.display()
            )
        }
    }
    if let Some(w) = &b.warning {
        println!("warning: {w}");
    }
    println!();
    println!("to switch:");
    println!("  ONNX Runtime: set ORT_DYLIB_PATH=/path/to/libonnxruntime.so.<version>,");
    println!("                or `pip install onnxruntime` (clic finds it in site-packages)");
    match find_pip_onnxruntime() {
        Some(p) => println!("                found here: {}", p.display()),
        None => println!("                (no pip-installed ONNX Runtime found)"),
    }
    println!("  tract:        set CLIC_BACKEND=tract");
    Status::Ok
}
