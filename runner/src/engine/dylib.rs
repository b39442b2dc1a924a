//! Loading ONNX Runtime's C API from its shared library. This is the one place in clic
//! that needs `unsafe`: ort's `alternative-backend` mode takes the API table by value,
//! and the table has to come out of a dynamically loaded library.
#![expect(
    unsafe_code,
    reason = "ONNX Runtime's C API is reached through a dynamically loaded library"
)]

use std::ffi::CStr;
use std::path::Path;
use std::sync::OnceLock;

/// The loaded library, kept for the life of the process: ort keeps pointers into it.
static LIBRARY: OnceLock<libloading::Library> = OnceLock::new();

/// Opens the library at `path` and returns its API table and version string.
pub(super) fn load(path: &Path) -> Result<(ort::sys::OrtApi, String), String> {
    // SAFETY: loading a library runs its initialisers; the file is the ONNX Runtime
    // library the user pointed us at (or the one pip installed), which is what it claims.
    let library = unsafe { libloading::Library::new(path) }
        .map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
    // SAFETY: `OrtGetApiBase` has this signature in every ONNX Runtime release.
    let get_base: libloading::Symbol<'_, unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
        unsafe { library.get(b"OrtGetApiBase\0") }
            .map_err(|e| format!("`{}` is not ONNX Runtime: {e}", path.display()))?;
    // SAFETY: the function takes no argument and returns a pointer to a static table.
    let base = unsafe { get_base() };
    if base.is_null() {
        return Err("OrtGetApiBase returned nothing".to_string());
    }
    // SAFETY: `base` is non-null and points to the library's static OrtApiBase.
    let base = unsafe { &*base };
    // SAFETY: GetVersionString returns a static, NUL-terminated string.
    let version = unsafe { CStr::from_ptr((base.GetVersionString)()) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: GetApi returns null for an unsupported version, else a static table.
    let api = unsafe { (base.GetApi)(ort::sys::ORT_API_VERSION) };
    if api.is_null() {
        return Err(format!(
            "ONNX Runtime {version} does not offer API version {}",
            ort::sys::ORT_API_VERSION
        ));
    }
    // SAFETY: non-null, points to a static table of function pointers valid while the
    // library stays loaded, which it does: it is stored in LIBRARY below.
    let api = unsafe { std::ptr::read(api) };
    let _ = LIBRARY.set(library);
    Ok((api, version))
}
