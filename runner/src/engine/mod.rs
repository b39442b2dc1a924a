//! The inference engine: ONNX models run through `ort`, on one of two backends chosen
//! once per process. The pure-Rust tract backend is always there; the ONNX Runtime
//! shared library is used when `ORT_DYLIB_PATH` names it or when `pip install
//! onnxruntime` put it where clic looks, and a library that fails to load falls back
//! to tract with a warning.

mod dylib;
pub mod limits;
pub mod sandbox;

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

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

/// The version of the backend `name` when it is this process's backend, else none.
/// Evidence records its backend's name; its cache key holds the name and the version,
/// so evidence of this process's backend was produced by this version.
pub fn version_of(name: &str) -> Option<&'static str> {
    let b = backend();
    (b.name() == name).then_some(b.version.as_str())
}

/// A backend other than this process's, that a model can be run on in an inference
/// process of its own ([`Model::load_on`]): to show that evidence of one backend stands
/// for the other's (`runtime onnxruntime "1.31.1" tolerance 0.0001`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// Which one.
    pub kind: BackendKind,
    /// Its version, as it reports itself.
    pub version: String,
}

impl Alternative {
    /// `tract` or `onnxruntime`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            BackendKind::Tract => "tract",
            BackendKind::OnnxRuntime { .. } => "onnxruntime",
        }
    }
}

static ALTERNATIVE: OnceLock<Result<Alternative, String>> = OnceLock::new();

/// The other backend, or why there is none: tract when this process runs on ONNX
/// Runtime; ONNX Runtime when this process runs on tract (even when `CLIC_BACKEND=tract`
/// chose it) and its library is found (`ORT_DYLIB_PATH`, else pip's) and loads. The
/// library is opened here only to read its version; models run on it in a child process.
pub fn alternative() -> Result<&'static Alternative, String> {
    ALTERNATIVE
        .get_or_init(|| match backend().kind {
            BackendKind::OnnxRuntime { .. } => Ok(Alternative {
                kind: BackendKind::Tract,
                version: TRACT_VERSION.to_string(),
            }),
            BackendKind::Tract => {
                let library = match std::env::var_os("ORT_DYLIB_PATH") {
                    Some(p) if !p.is_empty() => PathBuf::from(p),
                    _ => find_pip_onnxruntime().ok_or_else(|| {
                        "no ONNX Runtime library is found (set ORT_DYLIB_PATH, or `pip install onnxruntime`)"
                            .to_string()
                    })?,
                };
                let (_, version) = dylib::load(&library)?;
                Ok(Alternative {
                    kind: BackendKind::OnnxRuntime { library },
                    version,
                })
            }
        })
        .as_ref()
        .map_err(Clone::clone)
}

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum EngineError {
    /// The backend could not start.
    #[error("the inference backend failed to start: {0}")]
    Backend(String),
    /// The backend refused the model.
    #[error("the model does not load: {0}")]
    Load(String),
    /// The graph asks for more than clic allows (see [`limits`]); it was not loaded.
    #[error("{0}")]
    Limit(String),
    /// Running the model failed.
    #[error("inference failed: {0}")]
    Run(String),
    /// The output cannot be read as scores.
    #[error("{0}")]
    Output(String),
    /// One batch ran longer than the budget; the run was stopped.
    #[error("inference on one batch ran longer than {secs} s and was stopped (the per-batch budget; raise it with `--inference-timeout SECONDS`)")]
    Timeout {
        /// The budget, in seconds.
        secs: u64,
    },
    /// The backend panicked.
    #[error("the inference backend failed: {0}")]
    Panicked(String),
}

impl EngineError {
    /// Whether the model itself is at fault and cannot be trusted to run (a limit, a
    /// runaway or a crash), as opposed to a model the backend merely does not support.
    pub fn is_hostile(&self) -> bool {
        matches!(
            self,
            EngineError::Limit(_)
                | EngineError::Timeout { .. }
                | EngineError::Panicked(_)
                | EngineError::Output(_)
        )
    }
}

/// The environment variable that sets the per-batch inference budget, in seconds.
pub const TIMEOUT_VARIABLE: &str = "CLIC_INFERENCE_TIMEOUT";

/// How long one batch may run before it is stopped: 600 s unless `--inference-timeout`
/// or [`TIMEOUT_VARIABLE`] says otherwise. A batch of 64 scans of a large CNN takes
/// seconds on two cores; a model that runs for ten minutes on one batch is looping.
pub const DEFAULT_BATCH_TIMEOUT: Duration = Duration::from_secs(600);

/// The per-batch budget in force.
pub fn batch_timeout() -> Duration {
    std::env::var(TIMEOUT_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(DEFAULT_BATCH_TIMEOUT, Duration::from_secs)
}

/// How long a stopped run is given to return once ONNX Runtime was told to terminate.
const GRACE: Duration = Duration::from_secs(10);

/// One output of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Its dimensions as the backend gave them.
    pub shape: Vec<i64>,
    /// Its values, row-major.
    pub values: Vec<f32>,
}

/// A run's inputs: each one's name, shape and row-major values.
pub type Inputs = Vec<(String, Vec<usize>, Vec<f32>)>;

/// The element type and shape of every output of a run, by name.
pub type OutputShapes = Vec<(String, String, Vec<i64>)>;

struct Job {
    input: String,
    shape: Vec<usize>,
    /// Every input's values, in order: `input`'s first, then each of `more`'s.
    data: Vec<f32>,
    output: Option<String>,
    /// The further inputs of a model with several (one per series of a multi-sequence
    /// study), each with its shape; their values follow `input`'s in `data`.
    more: Vec<(String, Vec<usize>)>,
}

type JobResult = Result<(Output, OutputShapes), EngineError>;

/// The thread that owns the session: a run that never returns is abandoned there,
/// never waited for.
struct Worker {
    jobs: mpsc::Sender<Job>,
    results: mpsc::Receiver<JobResult>,
    stop: Stop,
}

/// How a run past the budget is stopped.
enum Stop {
    /// ONNX Runtime checks this flag between kernels; tract ignores it.
    Flag(Arc<ort::session::RunOptions>),
    /// The model runs in a child process ([`sandbox`]), which is killed.
    Process(sandbox::Process),
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Stop::Process(p) = &self.stop {
            p.kill();
        }
    }
}

/// A loaded model: the session is built once and reused for every batch, on a thread of
/// its own so that a batch that runs past the budget can be stopped (ONNX Runtime) or
/// abandoned (tract) while the caller reports it.
pub struct Model {
    worker: Option<Worker>,
    timeout: Duration,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").finish_non_exhaustive()
    }
}

thread_local! {
    /// Set while a backend call runs under [`quietly`]: its panic is reported as an
    /// [`EngineError::Panicked`], not printed.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

static QUIET_HOOK: std::sync::Once = std::sync::Once::new();

/// Set in an inference worker process ([`sandbox::serve`]): every panic is printed, for
/// its parent to read why it ended.
static LOUD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs a backend call, catching a panic; the panic hook stays silent for it (and only
/// for it: other threads, and this one afterwards, keep the previous hook).
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) || LOUD.load(std::sync::atomic::Ordering::Relaxed)
            {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    r
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

impl Model {
    /// Builds a session from the bytes of an ONNX file, with `threads` intra-op threads.
    /// The graph is first checked against clic's [`limits`]: a model that would ask for
    /// a tensor or a loop beyond them is refused before any backend sees it.
    ///
    /// When the CLI enabled a [`sandbox`], the model runs in a child process within the
    /// inference memory limit; otherwise on a thread of this process.
    pub fn load(bytes: &[u8], threads: usize) -> Result<Model, EngineError> {
        limits::check(bytes)?;
        if let Some(sandbox) = sandbox::current() {
            let timeout = batch_timeout();
            let (jobs, results, process) = sandbox::spawn(sandbox, bytes, threads, timeout)?;
            return Ok(Model {
                worker: Some(Worker {
                    jobs,
                    results,
                    stop: Stop::Process(process),
                }),
                timeout,
            });
        }
        Self::load_here(bytes, threads)
    }

    /// Builds a session as [`Model::load`] does, on another backend than this process's:
    /// always in a child process, so the CLI's sandbox must be enabled.
    pub fn load_on(bytes: &[u8], threads: usize, on: &Alternative) -> Result<Model, EngineError> {
        limits::check(bytes)?;
        let sandbox = sandbox::current().ok_or_else(|| {
            EngineError::Backend(format!(
                "a model runs on {} beside this process's backend only in an inference process of its own, and none is enabled",
                on.name()
            ))
        })?;
        let timeout = batch_timeout();
        let (jobs, results, process) =
            sandbox::spawn_on(sandbox, &on.kind, on.name(), bytes, threads, timeout)?;
        Ok(Model {
            worker: Some(Worker {
                jobs,
                results,
                stop: Stop::Process(process),
            }),
            timeout,
        })
    }

    /// [`Model::load`] on a thread of this process.
    fn load_here(bytes: &[u8], threads: usize) -> Result<Model, EngineError> {
        limits::check(bytes)?;
        let env = environment()?;
        let session = quietly(|| {
            let builder = ort::session::Session::builder(env)
                .map_err(|e| EngineError::Load(e.to_string()))?;
            let mut builder = builder
                .with_intra_threads(threads.max(1))
                .map_err(|e| EngineError::Load(e.to_string()))?;
            // Idle intra-op threads block instead of spinning: a benchmark decodes on
            // every core while a batch runs, and a spinning pool takes the decoders' time
            // between kernels (tract ignores the entry).
            builder = builder
                .with_intra_op_spinning(false)
                .map_err(|e| EngineError::Load(e.to_string()))?;
            builder
                .commit_from_memory(bytes)
                .map_err(|e| EngineError::Load(e.to_string()))
        })
        .map_err(|p| EngineError::Panicked(panic_message(&*p)))??;
        let stop = Arc::new(
            ort::session::RunOptions::new().map_err(|e| EngineError::Backend(e.to_string()))?,
        );
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (result_tx, results) = mpsc::channel();
        let options = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("clic-inference".to_string())
            .spawn(move || {
                let mut session = session;
                for job in job_rx {
                    let r = quietly(|| run_once(&mut session, &options, job))
                        .unwrap_or_else(|p| Err(EngineError::Panicked(panic_message(&*p))));
                    if result_tx.send(r).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| EngineError::Backend(format!("cannot start the inference thread: {e}")))?;
        Ok(Model {
            worker: Some(Worker {
                jobs,
                results,
                stop: Stop::Flag(stop),
            }),
            timeout: batch_timeout(),
        })
    }

    /// Sets the per-batch budget of this model (by default [`batch_timeout`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
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
        Ok(self.run_tensor(input, shape, data, Some(output))?.0.values)
    }

    /// Runs one batch as [`Model::run`] does, and returns the `output` tensor with its
    /// shape (empty when `output` is none), and the element type and shape of every
    /// output. A run past the budget is stopped and the model is unusable afterwards.
    pub fn run_tensor(
        &mut self,
        input: &str,
        shape: &[usize],
        data: Vec<f32>,
        output: Option<&str>,
    ) -> Result<(Output, OutputShapes), EngineError> {
        self.run_inputs(vec![(input.to_string(), shape.to_vec(), data)], output)
    }

    /// Runs one batch of a model with several inputs, each given by name with its shape
    /// and row-major values, as [`Model::run_tensor`] runs one.
    pub fn run_inputs(
        &mut self,
        inputs: Inputs,
        output: Option<&str>,
    ) -> Result<(Output, OutputShapes), EngineError> {
        let mut inputs = inputs.into_iter();
        let Some((input, shape, mut data)) = inputs.next() else {
            return Err(EngineError::Run(
                "a run needs at least one input".to_string(),
            ));
        };
        let mut more = Vec::new();
        for (name, shape, values) in inputs {
            more.push((name, shape));
            data.extend(values);
        }
        let worker = self.worker.as_ref().ok_or_else(|| {
            EngineError::Run("the model was stopped after an earlier failure".to_string())
        })?;
        let job = Job {
            input,
            shape,
            data,
            output: output.map(str::to_string),
            more,
        };
        if worker.jobs.send(job).is_err() {
            self.worker = None;
            return Err(EngineError::Run(
                "the inference thread has stopped".to_string(),
            ));
        }
        match worker.results.recv_timeout(self.timeout) {
            Ok(r) => {
                if matches!(r, Err(EngineError::Panicked(_))) {
                    self.worker = None;
                }
                r
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let e = match &worker.stop {
                    Stop::Process(p) => p.why_it_ended(),
                    Stop::Flag(_) => EngineError::Panicked(
                        "the inference thread ended without an answer".to_string(),
                    ),
                };
                self.worker = None;
                Err(e)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                match &worker.stop {
                    // ONNX Runtime checks the flag between kernels (and in each loop
                    // iteration); tract ignores it, and its thread is left to the process.
                    Stop::Flag(flag) => {
                        let _ = flag.terminate();
                        let _ = worker.results.recv_timeout(GRACE);
                    }
                    Stop::Process(p) => p.kill(),
                }
                self.worker = None;
                Err(EngineError::Timeout {
                    secs: self.timeout.as_secs().max(1),
                })
            }
        }
    }
}

fn run_once(
    session: &mut ort::session::Session,
    options: &ort::session::RunOptions,
    job: Job,
) -> JobResult {
    let mut named = Vec::with_capacity(1 + job.more.len());
    let mut data = job.data.into_iter();
    for (name, shape) in std::iter::once((job.input, job.shape)).chain(job.more) {
        let len = shape.iter().product::<usize>();
        let values: Vec<f32> = data.by_ref().take(len).collect();
        if values.len() != len {
            return Err(EngineError::Run(format!(
                "the input `{name}` has {} values for its shape {shape:?}",
                values.len()
            )));
        }
        let dims: Vec<i64> = shape
            .iter()
            .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
            .collect();
        let tensor = ort::value::Tensor::from_array((dims, values))
            .map_err(|e| EngineError::Run(e.to_string()))?;
        named.push((name, ort::session::SessionInputValue::from(tensor)));
    }
    let outputs = session.run_with_options(named, options).map_err(|e| {
        let said = e.to_string();
        // ONNX Runtime reports a failed allocation as an error of the run: in a worker
        // under a memory limit, that is the model asking for more than the limit.
        match sandbox::LIMIT.get() {
            Some(&limit) if sandbox::is_out_of_memory(&said) => {
                sandbox::out_of_memory(limit, &said)
            }
            _ => EngineError::Run(said),
        }
    })?;
    let mut shapes = Vec::new();
    for (name, value) in outputs.iter() {
        let (ty, shape) = match value.dtype() {
            ort::value::ValueType::Tensor { ty, shape, .. } => {
                (element_name(*ty).to_string(), shape.to_vec())
            }
            other => (other.to_string(), Vec::new()),
        };
        shapes.push((name.to_string(), ty, shape));
    }
    let Some(name) = job.output else {
        return Ok((
            Output {
                shape: Vec::new(),
                values: Vec::new(),
            },
            shapes,
        ));
    };
    let value = outputs
        .get(&name)
        .ok_or_else(|| EngineError::Run(format!("the model has no output `{name}`")))?;
    match value.dtype() {
        ort::value::ValueType::Tensor {
            ty: ort::value::TensorElementType::Float32,
            ..
        } => {}
        ort::value::ValueType::Tensor { ty, .. } => {
            return Err(EngineError::Output(format!(
                "the output `{name}` is {}, but scores are read as float32",
                element_name(*ty)
            )))
        }
        other => {
            return Err(EngineError::Output(format!(
                "the output `{name}` is a {other}, not a tensor of scores"
            )))
        }
    }
    let (shape, values) = value
        .try_extract_tensor::<f32>()
        .map_err(|e| EngineError::Run(e.to_string()))?;
    Ok((
        Output {
            shape: shape.to_vec(),
            values: values.to_vec(),
        },
        shapes,
    ))
}

/// The name clic's facts give an element type (as [`crate::facts::artifact::onnx::elem_type`]).
fn element_name(ty: ort::value::TensorElementType) -> &'static str {
    use ort::value::TensorElementType as T;
    match ty {
        T::Float32 => "float32",
        T::Float64 => "float64",
        T::Float16 => "float16",
        T::Bfloat16 => "bfloat16",
        T::Int8 => "int8",
        T::Int16 => "int16",
        T::Int32 => "int32",
        T::Int64 => "int64",
        T::Uint8 => "uint8",
        T::Uint16 => "uint16",
        T::Uint32 => "uint32",
        T::Uint64 => "uint64",
        T::Bool => "bool",
        T::String => "string",
        _ => "unknown",
    }
}
