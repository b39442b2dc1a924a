//! The part of a benchmark every task shares: the reference scans read and preprocessed
//! as the manifest says, scored by the model in batches, and each scan's row of the
//! output kept. One decoding thread per core streams tensors through a bounded queue to
//! the scoring thread, so memory holds a few batches of images however many scans there
//! are; batches are formed in file order, so outputs are the same bit for bit from run to
//! run. What the rows mean (a score, a class per finding, a mask) is the task's
//! ([`crate::task`]).

use super::{BenchError, BenchInputs, ScanFile, BATCH};
use crate::dicom::{self, Placement, ScanInfo};
use crate::engine::Model;
use crate::facts::artifact::sha256_hex;
use std::collections::{BTreeMap, BTreeSet};

/// The model's output for every readable scan of the reference set.
pub struct Inferred {
    /// Each scan, in file order, with its row of the output tensor (every value the
    /// model gave for it).
    pub scans: Vec<(ScanInfo, Vec<f32>)>,
    /// Where each scan sits in its study, in the same order.
    pub placements: Vec<Placement>,
    /// The rows of each further model [`infer_all`] ran, scan by scan in the same order.
    pub others: Vec<Other>,
    /// Files that could not be read, decoded or preprocessed: `file (syntax): reason`.
    pub unreadable: Vec<String>,
    /// Every file of the reference set, as shown (`/`-separated, relative to it).
    pub present: BTreeSet<String>,
    /// sha256 of the model file.
    pub model_sha256: String,
}

/// The output rows of a further model run on the same scans (the released version).
pub struct Other {
    /// Each scan's row, in the order of [`Inferred::scans`].
    pub rows: Vec<Vec<f32>>,
    /// sha256 of its model file.
    pub model_sha256: String,
}

/// How many values the task reads per scan from an output of this shape for a batch of
/// this many scans, or why the output does not fit the task.
pub type Layout<'a> = &'a (dyn Fn(&[i64], usize) -> Result<usize, String> + Sync);

/// A model a benchmark runs on every scan: its file (relative to the manifest) and the
/// output it reads.
#[derive(Debug, Clone, Copy)]
pub struct Scorer<'a> {
    /// The ONNX file, as the manifest names it.
    pub path: &'a str,
    /// The output tensor read.
    pub output: &'a str,
}

/// Runs the manifest's model on every scan of the reference set. `layout` checks each
/// batch's output shape; `progress` is called with (done, total) after each batch.
pub fn infer(
    inputs: &BenchInputs,
    layout: Layout<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Inferred, BenchError> {
    let output = inputs
        .spec
        .output
        .as_ref()
        .ok_or_else(|| BenchError::Manifest("the manifest has no `output` spec".to_string()))?;
    let scorer = Scorer {
        path: &inputs.spec.artifact.path,
        output: &output.tensor,
    };
    infer_all(inputs, &[scorer], layout, progress)
}

/// Runs each of `scorers` (the first is the manifest's model; [`Inferred::others`] holds
/// the rest) on every scan of the reference set, decoding each scan once.
pub fn infer_all(
    inputs: &BenchInputs,
    scorers: &[Scorer<'_>],
    layout: Layout<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Inferred, BenchError> {
    let spec = &inputs.spec;
    let input = spec
        .input
        .as_ref()
        .ok_or_else(|| BenchError::Manifest("the manifest has no `input` spec".to_string()))?;
    let mut models = Vec::with_capacity(scorers.len());
    for scorer in scorers {
        models.push(load(inputs, scorer)?);
    }
    if models.is_empty() {
        return Err(BenchError::Manifest("no model to run".to_string()));
    }
    let [channels, height, width] = input.tensor_shape().ok_or_else(|| {
        BenchError::Manifest(
            "the input spec needs a `resize` step: the model takes a fixed size".to_string(),
        )
    })?;
    let files = inputs.scan_files()?;
    let total = files.len();
    let scan_limits = inputs.budget.read.scan();
    let decode = |f: &ScanFile| -> Result<(ScanInfo, Placement, Vec<f32>), String> {
        let (info, placement, image) =
            dicom::read_scan_placed(&f.path, &f.shown, &scan_limits).map_err(|e| e.to_string())?;
        if !input.modalities.is_empty() && !input.modalities.contains(&info.modality) {
            return Err(format!(
                "`{}`: modality {} is not among those the manifest accepts ({})",
                f.shown,
                info.modality,
                input.modalities.join(", ")
            ));
        }
        let tensor =
            dicom::preprocess(&image, &input.steps).map_err(|e| format!("`{}`: {e}", f.shown))?;
        Ok((info, placement, tensor))
    };
    let mut scans: Vec<(ScanInfo, Vec<f32>)> = Vec::with_capacity(total);
    let mut placements = Vec::with_capacity(total);
    let mut others: Vec<Vec<Vec<f32>>> = vec![Vec::with_capacity(total); models.len() - 1];
    let mut unreadable = Vec::new();
    // Workers take the files in order from a shared counter, so results arrive nearly in
    // order and a small reorder buffer restores it: every batch holds the same scans
    // (files BATCH*k ..) whatever the timing, and outputs are reproducible bit for bit.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::sync_channel(2 * BATCH);
    let scored: Result<(), BenchError> = std::thread::scope(|scope| {
        for _ in 0..inputs.budget.threads.max(1) {
            let tx = tx.clone();
            let (files, decode, next) = (&files, &decode, &next);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                // A send fails once the scoring side has stopped (on an inference
                // error): decoding stops with it.
                if tx.send((i, decode(f))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Owned here, so that an inference error drops it and stops the workers.
        let rx = rx;
        let mut waiting = BTreeMap::new();
        let mut batch: Vec<f32> = Vec::with_capacity(BATCH * channels * height * width);
        let mut infos: Vec<ScanInfo> = Vec::with_capacity(BATCH);
        let mut done = 0;
        while done < total {
            let Some(r) = waiting.remove(&done) else {
                match rx.recv() {
                    Ok((i, r)) => {
                        waiting.insert(i, r);
                        continue;
                    }
                    Err(_) => break,
                }
            };
            done += 1;
            match r {
                Ok((info, placement, tensor)) => {
                    batch.extend_from_slice(&tensor);
                    infos.push(info);
                    placements.push(placement);
                }
                Err(e) => unreadable.push(e),
            }
            if (done % BATCH == 0 || done == total) && !infos.is_empty() {
                let data = std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(BATCH * channels * height * width),
                );
                let shape = [infos.len(), channels, height, width];
                // The further models get a copy; the manifest's model the batch itself.
                for (k, (model, scorer)) in models.iter_mut().zip(scorers).enumerate().skip(1) {
                    let rows = run(model, scorer, &input.tensor, &shape, data.clone(), layout)?;
                    others[k - 1].extend(rows);
                }
                let rows = run(
                    &mut models[0],
                    &scorers[0],
                    &input.tensor,
                    &shape,
                    data,
                    layout,
                )?;
                for (info, row) in std::mem::take(&mut infos).into_iter().zip(rows) {
                    scans.push((info, row));
                }
            }
            if done % BATCH == 0 || done == total {
                progress(done, total);
            }
        }
        Ok(())
    });
    scored?;
    let mut digests = models.into_iter().map(|(_, sha256)| sha256);
    let model_sha256 = digests.next().unwrap_or_default();
    Ok(Inferred {
        scans,
        placements,
        others: others
            .into_iter()
            .zip(digests)
            .map(|(rows, model_sha256)| Other { rows, model_sha256 })
            .collect(),
        unreadable,
        present: files.into_iter().map(|f| f.shown).collect(),
        model_sha256,
    })
}

/// Loads a scorer's model (its output checked against the graph first), with its digest.
fn load(inputs: &BenchInputs, scorer: &Scorer<'_>) -> Result<(Model, String), BenchError> {
    let bytes =
        crate::facts::artifact::read_model(&inputs.dir.join(scorer.path)).map_err(|reason| {
            BenchError::Unreadable {
                path: scorer.path.to_string(),
                reason,
            }
        })?;
    if let Some(why) = crate::facts::artifact::onnx::read(&bytes)
        .ok()
        .and_then(|info| crate::facts::artifact::declared_output_problem(&info, scorer.output))
    {
        return Err(BenchError::Output(why));
    }
    // The scoring thread runs each model with one intra-op thread, so no idle inference
    // pool spins against the decoders.
    let model = Model::load(&bytes, 1)?.with_timeout(inputs.budget.inference_timeout);
    Ok((model, sha256_hex(&bytes)))
}

/// One batch through one model: each scan's row of the scorer's output.
fn run(
    model: &mut (Model, String),
    scorer: &Scorer<'_>,
    input: &str,
    shape: &[usize],
    data: Vec<f32>,
    layout: Layout<'_>,
) -> Result<Vec<Vec<f32>>, BenchError> {
    let scans = shape[0];
    let (out, _) = model
        .0
        .run_tensor(input, shape, data, Some(scorer.output))?;
    let per = layout(&out.shape, scans).map_err(BenchError::Output)?;
    if out.values.len() != scans * per {
        return Err(BenchError::Output(format!(
            "the output `{}` holds {} values for a batch of {scans} scans of {per} each",
            scorer.output,
            out.values.len(),
        )));
    }
    Ok(out.values.chunks(per).map(<[f32]>::to_vec).collect())
}
