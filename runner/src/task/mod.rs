//! What a benchmark measures. A task reads the reference set's labels, says how many
//! values of the model's output it reads per scan, and turns each scan's row of the
//! output, with its label, into the task's evidence: rows, metrics, and what the facts,
//! the reports and the dossier read. The reading, decoding, preprocessing and batched
//! inference every task shares are [`crate::bench::pipeline`]'s.
//!
//! Today's one task is [`binary::BinaryScore`]: one score per image, one binary finding.
//! A new task (findings per study, segmentation, quantification) is a module here with
//! its own labels, rows and metrics.

pub mod binary;
pub mod findings;
pub mod segmentation;

use crate::bench::pipeline::{self, Inferred, Scorer};
use crate::bench::{read_list, BenchError, BenchInputs};
use crate::facts::artifact::sha256_hex;
use clic_compiler::plan::ModelSpec;

/// What every task's evidence records of its inputs.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The cache key: sha256 over every input.
    pub key: String,
    /// sha256 of the labels file.
    pub labels_sha256: String,
}

/// One kind of benchmark.
pub trait Task: Sync {
    /// The reference set's labels, by file.
    type Labels;
    /// What a run of the task establishes.
    type Evidence;

    /// Reads the labels file; the error names the entry at fault.
    fn labels(&self, text: &str) -> Result<Self::Labels, String>;

    /// How many values per scan the task reads from an output of `shape` for a batch of
    /// `batch` scans, or why the output does not fit the task.
    fn layout(&self, shape: &[i64], batch: usize) -> Result<usize, String>;

    /// The models run on every scan and the output each is read at: the manifest's
    /// model and its `output` unless the task says otherwise (the first is the
    /// manifest's model; the others' rows are [`Inferred::others`]).
    fn scorers<'a>(&'a self, spec: &'a ModelSpec) -> Result<Vec<Scorer<'a>>, BenchError> {
        let output = spec
            .output
            .as_ref()
            .ok_or_else(|| BenchError::Manifest("the manifest has no `output` spec".to_string()))?;
        Ok(vec![Scorer {
            path: &spec.artifact.path,
            output: &output.tensor,
        }])
    }

    /// The evidence of the inferred scans and their labels.
    fn evidence(
        &self,
        inputs: &BenchInputs,
        labels: Self::Labels,
        inferred: Inferred,
        provenance: Provenance,
    ) -> Result<Self::Evidence, BenchError>;
}

/// Runs `task` on the reference set of `inputs`: its labels read first (a bad labels
/// file stops the run before any inference), then every scan inferred, then the task's
/// evidence.
pub fn run<T: Task>(
    task: &T,
    inputs: &BenchInputs,
    key: String,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<T::Evidence, BenchError> {
    let (_, labels_path) = inputs.reference()?;
    let text = read_list(&labels_path, inputs.budget.read.max_list_bytes)?;
    let labels = task.labels(&text).map_err(|reason| BenchError::Labels {
        path: labels_path.display().to_string(),
        reason,
    })?;
    let scorers = task.scorers(&inputs.spec)?;
    let inferred = pipeline::infer_all(
        inputs,
        &scorers,
        &|shape, batch| task.layout(shape, batch),
        progress,
    )?;
    task.evidence(
        inputs,
        labels,
        inferred,
        Provenance {
            key,
            labels_sha256: sha256_hex(text.as_bytes()),
        },
    )
}
