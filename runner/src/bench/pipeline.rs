//! The part of a benchmark every task shares: the reference scans read and preprocessed
//! as the manifest says, scored by the model in batches, and each scan's row of the
//! output kept. One decoding thread per core streams tensors through a bounded queue to
//! the scoring thread, so memory holds a few batches of images however many scans there
//! are; batches are formed in file order, so outputs are the same bit for bit from run to
//! run. What the rows mean (a score, a class per finding, a mask) is the task's
//! ([`crate::task`]).

use super::{BenchError, BenchInputs, ScanFile, BATCH};
use crate::dicom::{self, ScanInfo};
use crate::engine::Model;
use crate::facts::artifact::sha256_hex;
use clic_compiler::plan::Preprocess;
use std::collections::{BTreeMap, BTreeSet};

/// The model's output for every readable scan of the reference set.
pub struct Inferred {
    /// Each scan, in file order, with its row of the output tensor (every value the
    /// model gave for it).
    pub scans: Vec<(ScanInfo, Vec<f32>)>,
    /// Files that could not be read, decoded or preprocessed: `file (syntax): reason`.
    pub unreadable: Vec<String>,
    /// Every file of the reference set, as shown (`/`-separated, relative to it).
    pub present: BTreeSet<String>,
    /// sha256 of the model file.
    pub model_sha256: String,
}

/// How many values the task reads per scan from an output of this shape for a batch of
/// this many scans, or why the output does not fit the task.
pub type Layout<'a> = &'a (dyn Fn(&[i64], usize) -> Result<usize, String> + Sync);

/// Runs the manifest's model on every scan of the reference set. `layout` checks each
/// batch's output shape; `progress` is called with (done, total) after each batch.
pub fn infer(
    inputs: &BenchInputs,
    layout: Layout<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Inferred, BenchError> {
    let spec = &inputs.spec;
    let model_path = inputs.dir.join(&spec.artifact.path);
    let model_bytes = crate::facts::artifact::read_model(&model_path).map_err(|reason| {
        BenchError::Unreadable {
            path: spec.artifact.path.clone(),
            reason,
        }
    })?;
    let input = spec
        .input
        .as_ref()
        .ok_or_else(|| BenchError::Manifest("the manifest has no `input` spec".to_string()))?;
    let output = spec
        .output
        .as_ref()
        .ok_or_else(|| BenchError::Manifest("the manifest has no `output` spec".to_string()))?;
    let (height, width) = input
        .steps
        .iter()
        .find_map(|s| match s {
            Preprocess::Resize { width, height, .. } => Some((*height as usize, *width as usize)),
            _ => None,
        })
        .ok_or_else(|| {
            BenchError::Manifest(
                "the input spec needs a `resize` step: the model takes a fixed size".to_string(),
            )
        })?;
    if let Some(why) = crate::facts::artifact::onnx::read(&model_bytes)
        .ok()
        .and_then(|info| crate::facts::artifact::declared_output_problem(&info, output))
    {
        return Err(BenchError::Output(why));
    }
    // This thread scores the batches with one intra-op thread, so no idle inference pool
    // spins against the decoders.
    let mut model = Model::load(&model_bytes, 1)?.with_timeout(inputs.budget.inference_timeout);
    let files = inputs.scan_files()?;
    let total = files.len();
    let scan_limits = inputs.budget.read.scan();
    let decode = |f: &ScanFile| -> Result<(ScanInfo, Vec<f32>), String> {
        let (info, image) =
            dicom::read_scan_with(&f.path, &f.shown, &scan_limits).map_err(|e| e.to_string())?;
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
        Ok((info, tensor))
    };
    let mut scans: Vec<(ScanInfo, Vec<f32>)> = Vec::with_capacity(total);
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
        let mut batch: Vec<f32> = Vec::with_capacity(BATCH * height * width);
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
                Ok((info, tensor)) => {
                    batch.extend_from_slice(&tensor);
                    infos.push(info);
                }
                Err(e) => unreadable.push(e),
            }
            if (done % BATCH == 0 || done == total) && !infos.is_empty() {
                let (out, _) = model.run_tensor(
                    &input.tensor,
                    &[infos.len(), 1, height, width],
                    std::mem::replace(&mut batch, Vec::with_capacity(BATCH * height * width)),
                    Some(&output.tensor),
                )?;
                let per = layout(&out.shape, infos.len()).map_err(BenchError::Output)?;
                if out.values.len() != infos.len() * per {
                    return Err(BenchError::Output(format!(
                        "the output `{}` holds {} values for a batch of {} scans of {per} each",
                        output.tensor,
                        out.values.len(),
                        infos.len()
                    )));
                }
                for (info, row) in std::mem::take(&mut infos)
                    .into_iter()
                    .zip(out.values.chunks(per))
                {
                    scans.push((info, row.to_vec()));
                }
            }
            if done % BATCH == 0 || done == total {
                progress(done, total);
            }
        }
        Ok(())
    });
    scored?;
    Ok(Inferred {
        scans,
        unreadable,
        present: files.into_iter().map(|f| f.shown).collect(),
        model_sha256: sha256_hex(&model_bytes),
    })
}
