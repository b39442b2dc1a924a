//! `artifact.*` facts: the ONNX file the manifest names — its digest, what the graph
//! declares, whether it loads and runs deterministically, and whether it agrees with
//! the manifest.

pub mod onnx;

use super::{BadInput, FactError, FactProvider, Reads};
use crate::budget::Budget;
use crate::engine::{EngineError, Model, OutputShapes};
use clic_compiler::plan::{ModelSpec, Value};
use clic_compiler::schema::Provider;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything clic establishes about a model file.
#[derive(Debug, Clone)]
pub struct ArtifactReport {
    /// The file, as named.
    pub path: PathBuf,
    /// sha256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// What the graph declares.
    pub info: onnx::OnnxInfo,
    /// Why the backend refused it, if it did.
    pub load_error: Option<String>,
    /// Whether two runs on the same input agreed bitwise (none if it could not run).
    pub deterministic: Option<bool>,
    /// The element type and shape of every output on a probe batch (none if the model
    /// could not run).
    pub probe: Option<OutputShapes>,
    /// The probe's batch size: [`PROBE_BATCH`], or the input's fixed first dimension.
    pub probe_batch: usize,
    /// The backend that loaded it.
    pub backend: String,
}

/// Why a model file cannot be inspected at all: invalid input, reported with exit 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    /// Missing or unreadable.
    #[error("cannot read the model `{path}`: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Not ONNX, or truncated.
    #[error("`{path}` is not a readable ONNX model: {reason}")]
    NotOnnx {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The model exceeds clic's limits, outran the time budget or crashed the backend:
    /// it cannot be trusted to run.
    #[error("the model `{path}` is refused: {reason}")]
    Refused {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The batch size of the probe runs: two scans, so that an output which ignores the
/// batch (a fixed `[1, 1]`) shows.
pub const PROBE_BATCH: usize = 2;

/// Lower-case hex sha256 and hex of any bytes: the compiler's, one encoder for plans
/// and evidence alike.
pub use clic_compiler::plan::{sha256_hex, to_hex};

/// The largest ONNX file read: 2 GiB, the most a protobuf message may hold (weights
/// beyond it live in external data files, which clic does not load).
pub const MAX_MODEL_BYTES: u64 = 2 << 30;

/// Reads a model file whole, in bounded memory: only a regular file (a link is followed
/// to one) of at most [`MAX_MODEL_BYTES`]; a FIFO or a device is refused unopened.
pub fn read_model(path: &Path) -> Result<Vec<u8>, String> {
    crate::bench::input::read_regular(
        path,
        MAX_MODEL_BYTES,
        "the most a protobuf message, and so an ONNX file, may hold",
    )
}

/// Reads, hashes, parses and loads a model file, and checks that it runs
/// deterministically on a fixed input.
pub fn inspect(path: &Path, budget: &Budget) -> Result<ArtifactReport, ArtifactError> {
    inspect_for(path, budget, None)
}

/// [`inspect`] for a manifest: an output it names that the graph declares other than
/// float32 is refused before the model is loaded (a backend may not survive loading it).
pub fn inspect_for(
    path: &Path,
    budget: &Budget,
    spec: Option<&ModelSpec>,
) -> Result<ArtifactReport, ArtifactError> {
    let shown = path.display().to_string();
    let bytes = read_model(path).map_err(|reason| ArtifactError::Unreadable {
        path: shown.clone(),
        reason,
    })?;
    let info = onnx::read(&bytes).map_err(|e| ArtifactError::NotOnnx {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    if let Some(reason) = spec
        .and_then(|s| s.output.as_ref())
        .and_then(|o| declared_output_problem(&info, &o.tensor))
    {
        return Err(ArtifactError::Refused {
            path: shown,
            reason,
        });
    }
    let backend = crate::engine::backend().name().to_string();
    let mut report = ArtifactReport {
        path: path.to_path_buf(),
        sha256: sha256_hex(&bytes),
        size_bytes: bytes.len() as u64,
        info,
        load_error: None,
        deterministic: None,
        probe: None,
        probe_batch: PROBE_BATCH,
        backend,
    };
    if report.info.external_data {
        report.load_error = Some(
            "the model keeps weights in external data files, which clic does not load".to_string(),
        );
        return Ok(report);
    }
    let refused = |e: EngineError| ArtifactError::Refused {
        path: shown.clone(),
        reason: e.to_string(),
    };
    match Model::load(&bytes, budget.threads) {
        Ok(model) => match determinism(
            &mut model.with_timeout(budget.inference_timeout),
            &report.info,
        ) {
            Ok((same, probe, batch)) => {
                report.deterministic = same;
                report.probe = Some(probe);
                report.probe_batch = batch;
            }
            Err(e) if e.is_hostile() => return Err(refused(e)),
            Err(_) => {}
        },
        Err(e) if e.is_hostile() => return Err(refused(e)),
        Err(e) => report.load_error = Some(e.to_string()),
    }
    Ok(report)
}

/// Runs the model twice on the same pseudo-random float input (batch [`PROBE_BATCH`];
/// symbolic dimensions set to it) and compares the first float32 output bitwise (none
/// when there is none); also returns every output's type and shape, and the batch size.
fn determinism(
    model: &mut Model,
    info: &onnx::OnnxInfo,
) -> Result<(Option<bool>, OutputShapes, usize), EngineError> {
    let Some(input) = info.inputs.first() else {
        return Err(EngineError::Run("the graph has no input".to_string()));
    };
    let output = info
        .outputs
        .iter()
        .find(|o| o.elem_type == "float32")
        .map(|o| o.name.clone());
    if input.elem_type != "float32" || info.inputs.len() != 1 {
        return Err(EngineError::Run(
            "only single float32-input models are exercised".to_string(),
        ));
    }
    let shape: Vec<usize> = input
        .shape
        .iter()
        .map(|d| {
            d.parse::<usize>()
                .ok()
                .filter(|&d| d > 0)
                .unwrap_or(PROBE_BATCH)
        })
        .collect();
    let len: usize = shape.iter().product();
    // A fixed xorshift sequence: the same input on every run and every machine.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let data: Vec<f32> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    let batch = shape.first().copied().unwrap_or(PROBE_BATCH);
    let (a, probe) = model.run_tensor(&input.name, &shape, data.clone(), output.as_deref())?;
    if output.is_none() {
        return Ok((None, probe, batch));
    }
    let (b, _) = model.run_tensor(&input.name, &shape, data, output.as_deref())?;
    let same = a.values.len() == b.values.len()
        && a.values
            .iter()
            .zip(&b.values)
            .all(|(x, y)| x.to_bits() == y.to_bits());
    Ok((Some(same), probe, batch))
}

/// Why the graph's declaration of the manifest's output rules out scores, if it does:
/// an element type other than float32. Checked before loading, since a backend may not
/// survive loading such a model (tract's binding panics on some).
pub fn declared_output_problem(info: &onnx::OnnxInfo, output: &str) -> Option<String> {
    let t = info.outputs.iter().find(|t| t.name == output)?;
    (t.elem_type != "float32" && t.elem_type != "unknown").then(|| {
        format!(
            "the output `{}` is {}, but clic reads scores as float32",
            t.name, t.elem_type
        )
    })
}

/// Why the manifest's output cannot give one score per scan, if it cannot: an element
/// type other than float32, a shape that does not follow the batch, several values per
/// scan and no `index`, an `index` past the row. Read from the probe run when there was
/// one, else from the shape the graph declares.
pub fn unscoreable(report: &ArtifactReport, spec: &ModelSpec) -> Option<String> {
    let output = spec.output.as_ref()?;
    let declared = report
        .info
        .outputs
        .iter()
        .find(|t| t.name == output.tensor)?;
    if declared.elem_type != "float32" && declared.elem_type != "unknown" {
        return Some(format!(
            "the output `{}` is {}, but clic reads scores as float32",
            output.tensor, declared.elem_type
        ));
    }
    let probed = report
        .probe
        .as_ref()
        .and_then(|p| p.iter().find(|(name, _, _)| *name == output.tensor));
    match probed {
        Some((_, ty, _)) if ty != "float32" => Some(format!(
            "the output `{}` is {ty}, but clic reads scores as float32",
            output.tensor
        )),
        Some((_, _, shape)) => {
            crate::bench::score_layout(&output.tensor, shape, report.probe_batch, output.index)
                .err()
        }
        None => {
            // Without a run, only what the declaration fixes: the values per scan.
            let per: Option<Vec<i64>> = declared
                .shape
                .iter()
                .skip(1)
                .map(|d| d.parse::<i64>().ok())
                .collect();
            let per = per?;
            let mut shape = vec![PROBE_BATCH as i64];
            shape.extend(per);
            crate::bench::score_layout(&output.tensor, &shape, PROBE_BATCH, output.index).err()
        }
    }
}

/// What differs between the manifest's declared input/output and the graph.
pub fn mismatches(report: &ArtifactReport, spec: &ModelSpec) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(input) = &spec.input {
        match report.info.inputs.iter().find(|t| t.name == input.tensor) {
            None => out.push(format!(
                "the manifest's input `{}` is not a graph input (graph inputs: {})",
                input.tensor,
                names(&report.info.inputs)
            )),
            Some(t) => {
                if t.elem_type != "float32" {
                    out.push(format!(
                        "input `{}` is {}, but preprocessing produces float32",
                        t.name, t.elem_type
                    ));
                }
                if t.shape.len() != 4 {
                    out.push(format!(
                        "input `{}` has rank {}, but images are fed as [batch, channels, height, width]",
                        t.name,
                        t.shape.len()
                    ));
                } else if let Some([c, h, w]) = input.tensor_shape() {
                    let expect = [None, Some(c), Some(h), Some(w)];
                    for (i, (dim, want)) in t.shape.iter().zip(expect).enumerate() {
                        if let (Ok(d), Some(want)) = (dim.parse::<usize>(), want) {
                            if d != want {
                                out.push(format!("input `{}` dimension {i} is {d}, but the manifest gives {want}", t.name));
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(output) = &spec.output {
        match report.info.outputs.iter().find(|t| t.name == output.tensor) {
            None => out.push(format!(
                "the manifest's output `{}` is not a graph output (graph outputs: {})",
                output.tensor,
                names(&report.info.outputs)
            )),
            Some(_) => out.extend(unscoreable(report, spec)),
        }
    }
    out
}

fn names(ts: &[onnx::TensorInfo]) -> String {
    let n: Vec<String> = ts.iter().map(|t| format!("`{}`", t.name)).collect();
    if n.is_empty() {
        "none".to_string()
    } else {
        n.join(", ")
    }
}

fn tensor_value(t: &onnx::TensorInfo) -> Value {
    let mut r = BTreeMap::new();
    r.insert("name".to_string(), Value::String(t.name.clone()));
    r.insert("elem_type".to_string(), Value::String(t.elem_type.clone()));
    r.insert(
        "shape".to_string(),
        Value::List(t.shape.iter().cloned().map(Value::String).collect()),
    );
    r.insert("rank".to_string(), Value::Number(t.shape.len() as f64));
    Value::Record(r)
}

/// How an `artifact.*` fact is read from the report and (optionally) the manifest.
type Read = fn(&ArtifactReport, Option<&ModelSpec>) -> Value;

fn record<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Record(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// Every `artifact.*` fact, with how it is read.
pub const FACTS: &[(&str, Read)] = &[
    ("artifact.exists", |_, _| Value::Bool(true)),
    ("artifact.sha256", |r, _| Value::String(r.sha256.clone())),
    ("artifact.size_bytes", |r, _| {
        Value::Number(r.size_bytes as f64)
    }),
    ("artifact.sha256_matches", |r, spec| {
        match spec.and_then(|s| s.artifact.sha256.as_ref()) {
            Some(pin) => Value::Bool(pin.eq_ignore_ascii_case(&r.sha256)),
            None => Value::Bool(false),
        }
    }),
    ("artifact.loads", |r, _| Value::Bool(r.load_error.is_none())),
    ("artifact.ir_version", |r, _| {
        Value::Number(r.info.ir_version as f64)
    }),
    ("artifact.opsets", |r, _| {
        Value::List(
            r.info
                .opsets
                .iter()
                .map(|(d, v)| {
                    record([
                        ("domain", Value::String(d.clone())),
                        ("version", Value::Number(*v as f64)),
                    ])
                })
                .collect(),
        )
    }),
    ("artifact.producer.name", |r, _| {
        Value::String(r.info.producer_name.clone())
    }),
    ("artifact.producer.version", |r, _| {
        Value::String(r.info.producer_version.clone())
    }),
    ("artifact.graph.name", |r, _| {
        Value::String(r.info.graph_name.clone())
    }),
    ("artifact.metadata", |r, _| {
        Value::List(
            r.info
                .metadata
                .iter()
                .map(|(k, v)| {
                    record([
                        ("key", Value::String(k.clone())),
                        ("value", Value::String(v.clone())),
                    ])
                })
                .collect(),
        )
    }),
    ("artifact.inputs", |r, _| {
        Value::List(r.info.inputs.iter().map(tensor_value).collect())
    }),
    ("artifact.outputs", |r, _| {
        Value::List(r.info.outputs.iter().map(tensor_value).collect())
    }),
    ("artifact.external_data", |r, _| {
        Value::Bool(r.info.external_data)
    }),
    ("artifact.custom_domains", |r, _| {
        Value::List(
            r.info
                .custom_domains
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        )
    }),
    ("artifact.operators", |r, _| {
        Value::List(
            r.info
                .operators
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        )
    }),
    ("artifact.deterministic", |r, _| {
        r.deterministic.map_or(Value::Null, Value::Bool)
    }),
    ("artifact.matches_manifest", |r, spec| {
        Value::Bool(spec.is_some_and(|s| mismatches(r, s).is_empty()))
    }),
    ("artifact.mismatches", |r, spec| {
        Value::List(
            spec.map(|s| mismatches(r, s))
                .unwrap_or_default()
                .into_iter()
                .map(Value::String)
                .collect(),
        )
    }),
];

/// The value of one `artifact.*` fact, given the report and (optionally) the manifest;
/// none for a path that is not one.
pub fn fact_value(report: &ArtifactReport, spec: Option<&ModelSpec>, path: &str) -> Option<Value> {
    FACTS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, read)| read(report, spec))
}

/// What `artifact.*` facts read: the model file.
pub fn inputs(spec: Option<&ModelSpec>) -> Reads {
    Reads::Files(
        spec.map(|m| vec![m.artifact.path.clone()])
            .unwrap_or_default(),
    )
}

/// Serves `artifact.*` for the manifest's model, inspecting the file on first use.
pub struct ArtifactFacts {
    dir: PathBuf,
    boundary: PathBuf,
    spec: Option<ModelSpec>,
    budget: Budget,
    report: Option<Result<ArtifactReport, FactError>>,
}

impl ArtifactFacts {
    /// Facts about the artifact the manifest names: its path is relative to `dir` (the
    /// manifest's folder) and must stay inside `boundary` (the project).
    pub fn new(dir: &Path, boundary: &Path, spec: Option<ModelSpec>, budget: Budget) -> Self {
        Self {
            dir: dir.to_path_buf(),
            boundary: boundary.to_path_buf(),
            spec,
            budget,
            report: None,
        }
    }

    fn report(&mut self) -> Result<&ArtifactReport, FactError> {
        if self.report.is_none() {
            let r = match &self.spec {
                None => Err(FactError::unavailable("the project has no model manifest")),
                Some(spec) => {
                    let named = &spec.artifact.path;
                    let path = self.dir.join(named);
                    let inside = std::fs::canonicalize(&path).map_or_else(
                        |_| crate::paths::normalize(&path).starts_with(&self.boundary),
                        |real| real.starts_with(&self.boundary),
                    );
                    if inside {
                        inspect_for(&path, &self.budget, Some(spec))
                            .map_err(|e| {
                                FactError::invalid(BadInput::Model, match e {
                                    ArtifactError::Unreadable { reason, .. } => format!("cannot read the model `{named}` that the manifest names: {reason}"),
                                    ArtifactError::NotOnnx { reason, .. } => format!("the model `{named}` that the manifest names is not a readable ONNX file: {reason}"),
                                    ArtifactError::Refused { reason, .. } => format!("the model `{named}` that the manifest names is refused: {reason}"),
                                })
                            })
                            .and_then(|r| match unscoreable(&r, spec) {
                                // No score can be read from it: no benchmark, no claim.
                                Some(why) => Err(FactError::invalid(BadInput::Model, format!(
                                    "the model `{named}` gives no score per scan as the manifest reads it: {why}"
                                ))),
                                None => Ok(r),
                            })
                    } else {
                        Err(FactError::invalid(
                            BadInput::Model,
                            format!("the model `{named}` lies outside the project"),
                        ))
                    }
                }
            };
            self.report = Some(r);
        }
        match &self.report {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(e.clone()),
            None => Err(FactError::unavailable("not inspected")),
        }
    }
}

impl FactProvider for ArtifactFacts {
    fn provider(&self) -> Provider {
        Provider::Artifact
    }

    fn serves(&self) -> Vec<String> {
        FACTS.iter().map(|(p, _)| p.to_string()).collect()
    }

    fn fact(&mut self, path: &str, _: &[Value]) -> Result<Value, FactError> {
        let spec = self.spec.clone();
        let report = self.report()?;
        fact_value(report, spec.as_ref(), path)
            .ok_or_else(|| FactError::unavailable(format!("`{path}` is not an artifact fact")))
    }
}
