//! `clic doctor`: the inference backend in use and how to switch.

use super::Status;
use clic_runner::engine::{backend, find_pip_onnxruntime, BackendKind};

/// Runs `clic doctor`.
pub fn run() -> Status {
    let b = backend();
    crate::output::outln!("clic {}", env!("CARGO_PKG_VERSION"));
    match &b.kind {
        BackendKind::Tract => crate::output::outln!(
            "inference backend: tract (pure Rust, built in), {}",
            b.version
        ),
        BackendKind::OnnxRuntime { library } => {
            crate::output::outln!(
                "inference backend: ONNX Runtime {} from {}",
                b.version,
                library.display()
            )
        }
    }
    if let Some(w) = &b.warning {
        crate::output::outln!("warning: {w}");
    }
    crate::output::outln!();
    crate::output::outln!("to switch:");
    crate::output::outln!(
        "  ONNX Runtime: set ORT_DYLIB_PATH=/path/to/libonnxruntime.so.<version>,"
    );
    crate::output::outln!(
        "                or `pip install onnxruntime` (clic finds it in site-packages)"
    );
    match find_pip_onnxruntime() {
        Some(p) => crate::output::outln!("                found here: {}", p.display()),
        None => crate::output::outln!("                (no pip-installed ONNX Runtime found)"),
    }
    crate::output::outln!("  tract:        set CLIC_BACKEND=tract");
    Status::Ok
}
