//! What a benchmark measures. A task reads the reference set's labels, says how many
//! values of the model's output it reads per scan, and turns each scan's row of the
//! output, with its label, into the task's evidence: rows, metrics, and what the facts,
//! the reports and the dossier read. The reading, decoding, preprocessing and batched
//! inference every task shares are [`crate::bench::pipeline`]'s.
//!
//! The tasks: [`binary::BinaryScore`], one score per image, one binary finding;
//! [`findings::Findings`], several findings per image, study or patient;
//! [`segmentation`], masks of series. A model that reads series and gives scores is
//! scored one row per series ([`series`]) and benchmarked by the first two unchanged.

pub mod binary;
pub mod findings;
pub mod segmentation;
pub mod series;

use crate::bench::pipeline::{self, Counts, Inferred, Scorer};
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
/// file stops the run before any inference), then every scan inferred (every series,
/// one row each, when the model reads series: [`series`]), then the task's evidence.
pub fn run<T: Task>(
    task: &T,
    inputs: &BenchInputs,
    key: String,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<T::Evidence, BenchError> {
    run_counted(task, inputs, key, progress).map(|(evidence, _)| evidence)
}

/// [`run`], with what the run computed (known for series only; zero for scans, whose
/// run without a cache is [`pipeline::infer_all`]'s).
pub(crate) fn run_counted<T: Task>(
    task: &T,
    inputs: &BenchInputs,
    key: String,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(T::Evidence, Counts), BenchError> {
    let (_, labels_path) = inputs.reference()?;
    let text = read_list(&labels_path, inputs.budget.read.max_list_bytes)?;
    let labels = task.labels(&text).map_err(|reason| BenchError::Labels {
        path: labels_path.display().to_string(),
        reason,
    })?;
    let scorers = task.scorers(&inputs.spec)?;
    let layout = |shape: &[i64], batch: usize| task.layout(shape, batch);
    let (inferred, counts) = if series::applies(&inputs.spec) {
        series::infer(inputs, &scorers, &layout, progress)?
    } else {
        (
            pipeline::infer_all(inputs, &scorers, &layout, progress)?,
            Counts::default(),
        )
    };
    let evidence = task.evidence(
        inputs,
        labels,
        inferred,
        Provenance {
            key,
            labels_sha256: sha256_hex(text.as_bytes()),
        },
    )?;
    Ok((evidence, counts))
}
