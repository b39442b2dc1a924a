//! The inference engine: ONNX models run through `ort`, on one of two backends chosen
//! once per process. The pure-Rust tract backend is always there; the ONNX Runtime
//! shared library is used when `ORT_DYLIB_PATH` names it or when `pip install
//! onnxruntime` put it where clic looks, and a library that fails to load falls back
//! to tract with a warning.

mod dylib;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Which backend runs the models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendKind {
    /// tract, compiled into clic.
    Tract,
    /// The ONNX Runtime shared library.
    OnnxRuntime {
        /// Where it was loaded from.
        library: PathBuf,
    },
}

/// The backend in use, and how it was chosen.
#[derive(Debug, Clone)]
pub struct Backend {
    /// Which one.
    pub kind: BackendKind,
    /// Its version.
    pub version: String,
    /// Why a requested ONNX Runtime was not used, when it was not.
    pub warning: Option<String>,
}

impl Backend {
    /// `tract` or `onnxruntime`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            BackendKind::Tract => "tract",
            BackendKind::OnnxRuntime { .. } => "onnxruntime",
        }
    }
}

/// The version of tract behind ort-tract.
pub const TRACT_VERSION: &str = "tract 0.23 (ort-tract 0.5.0)";

static BACKEND: OnceLock<Backend> = OnceLock::new();
static ENVIRONMENT: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

/// The backend of this process, chosen on first use: `CLIC_BACKEND=tract` forces tract;
/// otherwise `ORT_DYLIB_PATH`, else an ONNX Runtime installed by pip, else tract.
pub fn backend() -> &'static Backend {
    BACKEND.get_or_init(choose)
}

fn choose() -> Backend {
    let forced_tract = std::env::var("CLIC_BACKEND").is_ok_and(|b| b.eq_ignore_ascii_case("tract"));
    let mut warning = None;
    if !forced_tract {
        let candidate = match std::env::var_os("ORT_DYLIB_PATH") {
            Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
            _ => find_pip_onnxruntime(),
        };
        if let Some(library) = candidate {
            match dylib::load(&library) {
                Ok((api, version)) => {
                    if ort::set_api(api) {
                        return Backend {
                            kind: BackendKind::OnnxRuntime { library },
                            version,
                            warning: None,
                        };
                    }
                    warning = Some("another ONNX API was already set in this process".to_string());
                }
                Err(e) => warning = Some(format!("{e}; using tract instead")),
            }
        }
    }
    ort::set_api(ort_tract::api());
    Backend {
        kind: BackendKind::Tract,
        version: TRACT_VERSION.to_string(),
        warning,
    }
}

/// Where `pip install onnxruntime` puts the library: `site-packages/onnxruntime/capi/`
/// of a virtualenv, the user's site, pyenv versions or the system Pythons.
pub fn find_pip_onnxruntime() -> Option<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        roots.push(PathBuf::from(venv).join("lib"));
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        roots.push(home.join(".local/lib"));
        if let Ok(versions) = std::fs::read_dir(home.join(".pyenv/versions")) {
            let mut vs: Vec<PathBuf> = versions
                .filter_map(|e| e.ok().map(|e| e.path().join("lib")))
                .collect();
            vs.sort();
            roots.extend(vs.into_iter().rev());
        }
    }
    roots.push(PathBuf::from("/usr/local/lib"));
    roots.push(PathBuf::from("/usr/lib"));
    for root in roots {
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        let mut pythons: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("python3"))
            })
            .collect();
        pythons.sort();
        for py in pythons.into_iter().rev() {
            for packages in ["site-packages", "dist-packages"] {
                if let Some(lib) = library_in(&py.join(packages).join("onnxruntime/capi")) {
                    return Some(lib);
                }
            }
        }
    }
    None
}

fn library_in(capi: &Path) -> Option<PathBuf> {
    let mut libs: Vec<PathBuf> = std::fs::read_dir(capi)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so"))
        })
        .collect();
    libs.sort();
    libs.pop()
}

fn environment() -> Result<&'static ort::environment::Environment, EngineError> {
    backend();
    ENVIRONMENT
        .get_or_init(|| {
            ort::init()
                .with_name("clic")
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| EngineError::Backend(e.clone()))
}

/// Why a model cannot be loaded or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The backend could not start.
    #[error("the inference backend failed to start: {0}")]
    Backend(String),
    /// The backend refused the model.
    #[error("the model does not load: {0}")]
    Load(String),
    /// Running the model failed.
    #[error("inference failed: {0}")]
    Run(String),
}

/// A loaded model: the session is built once and reused for every batch.
pub struct Model {
    session: ort::session::Session,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").finish_non_exhaustive()
    }
}

impl Model {
    /// Builds a session from the bytes of an ONNX file, with `threads` intra-op threads.
    pub fn load(bytes: &[u8], threads: usize) -> Result<Model, EngineError> {
        let env = environment()?;
        let builder =
            ort::session::Session::builder(env).map_err(|e| EngineError::Load(e.to_string()))?;
        let mut builder = builder
            .with_intra_threads(threads.max(1))
            .map_err(|e| EngineError::Load(e.to_string()))?;
        let session = builder
            .commit_from_memory(bytes)
            .map_err(|e| EngineError::Load(e.to_string()))?;
        Ok(Model { session })
    }

    /// Runs one batch: `data` in row-major order with `shape`, fed to `input`; returns
    /// the `output` tensor's values.
    pub fn run(
        &mut self,
        input: &str,
        shape: &[usize],
        data: Vec<f32>,
        output: &str,
    ) -> Result<Vec<f32>, EngineError> {
        let dims: Vec<i64> = shape
            .iter()
            .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
            .collect();
        let tensor = ort::value::Tensor::from_array((dims, data))
            .map_err(|e| EngineError::Run(e.to_string()))?;
        let outputs = self
            .session
            .run(ort::inputs![input => tensor])
            .map_err(|e| EngineError::Run(e.to_string()))?;
        let value = outputs
            .get(output)
            .ok_or_else(|| EngineError::Run(format!("the model has no output `{output}`")))?;
        let (_, values) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| EngineError::Run(e.to_string()))?;
        Ok(values.to_vec())
    }
}
