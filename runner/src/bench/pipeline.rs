//! The part of a benchmark every task shares: the reference scans read and preprocessed
//! as the manifest says, scored by the model in batches, and each scan's row of the
//! output kept. One decoding thread per core streams tensors through a bounded queue to
//! the scoring thread, so memory holds a few batches of images however many scans there
//! are; batches are formed in file order, so outputs are the same bit for bit from run to
//! run. What the rows mean (a score, a class per finding, a mask) is the task's
//! ([`crate::task`]).

use super::cache::FileDigests;
use super::records;
use super::scan::{Context, Outcome, ReadScan};
use super::shard::Shard;
use super::store::{Kind, Store};
use super::{BenchError, BenchInputs, BATCH};
use crate::dicom::{Placement, ScanInfo};
use crate::engine::Model;
use crate::facts::artifact::sha256_hex;
use serde::{Deserialize, Serialize};
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
    let digests = FileDigests::open(None);
    score(inputs, scorers, layout, progress, &Reuse::none(&digests)).map(|(u, _)| u.assemble())
}

/// What a run took from the cache and what it computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Scans of the shard (every scan without one).
    pub scans: usize,
    /// Scans decoded and preprocessed.
    pub decoded: usize,
    /// Scans whose tensor came from the cache (not decoded, but inferred).
    pub tensors_reused: usize,
    /// Model rows taken from the cache.
    pub rows_reused: usize,
    /// Model rows inferred.
    pub inferred: usize,
}

/// What a run may reuse and which scans it scores.
#[derive(Clone, Copy)]
pub struct Reuse<'a> {
    /// The digests of files (the run adds those it hashes).
    pub digests: &'a FileDigests,
    /// The per-scan cache, if any.
    pub store: Option<&'a Store>,
    /// The shard scored; every scan when none.
    pub shard: Option<Shard>,
    /// Another backend than this process's to score on (in a child process), when any.
    pub on: Option<&'a crate::engine::Alternative>,
    /// The perturbation of the robustness study applied to every decoded image, if any.
    pub perturb: Option<&'a clic_compiler::plan::Perturbation>,
}

impl<'a> Reuse<'a> {
    /// No cache, every scan.
    pub fn none(digests: &'a FileDigests) -> Self {
        Self {
            digests,
            store: None,
            shard: None,
            on: None,
            perturb: None,
        }
    }
}

/// What became of one scan, as a shard file records it and a merge reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Unit {
    /// Scored: its record, placement and each model's row (as the bits of each f32, so a
    /// row read back is the row computed).
    Scan {
        /// What the file says.
        info: Box<ScanInfo>,
        /// Where it sits in its study.
        placement: Placement,
        /// Each model's row, in scorer order.
        rows: Vec<Vec<u32>>,
    },
    /// Cannot be scored: the evidence's message.
    Unreadable(String),
}

/// Every scan a run scored, by its index among the reference set's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Units {
    /// (index in [`Units::present`], what became of it), in file order.
    pub units: Vec<(usize, Unit)>,
    /// Every file of the reference set, as shown, sorted.
    pub present: Vec<String>,
    /// Each model's digest, in scorer order.
    pub models: Vec<String>,
}

impl Units {
    /// The inference every task reads.
    pub fn assemble(self) -> Inferred {
        let mut scans = Vec::new();
        let mut placements = Vec::new();
        let mut others: Vec<Vec<Vec<f32>>> = vec![Vec::new(); self.models.len().saturating_sub(1)];
        let mut unreadable = Vec::new();
        for (_, unit) in self.units {
            match unit {
                Unit::Scan {
                    info,
                    placement,
                    rows,
                } => {
                    let mut rows = rows
                        .into_iter()
                        .map(|r| r.into_iter().map(f32::from_bits).collect::<Vec<f32>>());
                    scans.push((*info, rows.next().unwrap_or_default()));
                    placements.push(placement);
                    for (k, row) in rows.enumerate() {
                        if let Some(o) = others.get_mut(k) {
                            o.push(row);
                        }
                    }
                }
                Unit::Unreadable(message) => unreadable.push(message),
            }
        }
        let mut models = self.models.into_iter();
        Inferred {
            scans,
            placements,
            model_sha256: models.next().unwrap_or_default(),
            others: others
                .into_iter()
                .zip(models)
                .map(|(rows, model_sha256)| Other { rows, model_sha256 })
                .collect(),
            unreadable,
            present: self.present.into_iter().collect(),
        }
    }
}

/// A model a run may need: loaded once the first scan that needs it is read (a run
/// whose rows are all cached loads none), its bytes read and hashed once. It runs with
/// an intra-op thread per core of the budget (idle, they block and leave the cores to the
/// decoders); ONNX Runtime's results do not depend on the thread count
/// (benches/real_scale/RESULTS.md).
struct Slot<'s> {
    scorer: Scorer<'s>,
    bytes: Option<std::sync::Arc<Vec<u8>>>,
    /// Its loading, under way on a thread of its own since the first scan that needs it
    /// was read, so that it overlaps the decoding of the next ones.
    loading: Option<std::thread::JoinHandle<Result<Model, crate::engine::EngineError>>>,
    model: Option<(Model, String)>,
    sha256: String,
    /// A cached row of it was used: it loaded and ran on these inputs before.
    hit: bool,
}

impl Slot<'_> {
    /// Starts loading the model on a thread of its own, unless it is loaded or loading
    /// (a thread that cannot start leaves it to [`Slot::model`]).
    fn start(&mut self, threads: usize, on: Option<&crate::engine::Alternative>) {
        if self.model.is_some() || self.loading.is_some() {
            return;
        }
        let Some(bytes) = self.bytes.clone() else {
            return;
        };
        let on = on.cloned();
        self.loading = std::thread::Builder::new()
            .name("clic-model-load".to_string())
            .spawn(move || match &on {
                Some(on) => Model::load_on(&bytes, threads, on),
                None => Model::load(&bytes, threads),
            })
            .ok();
    }

    fn model(
        &mut self,
        inputs: &BenchInputs,
        on: Option<&crate::engine::Alternative>,
    ) -> Result<&mut (Model, String), BenchError> {
        if self.model.is_none() {
            let threads = inputs.budget.threads;
            let model = match self.loading.take() {
                Some(loading) => loading.join().unwrap_or_else(|_| {
                    Err(crate::engine::EngineError::Panicked(
                        "the thread loading the model failed".to_string(),
                    ))
                }),
                None => {
                    let bytes = self.bytes.clone().unwrap_or_default();
                    match on {
                        Some(on) => Model::load_on(&bytes, threads, on),
                        None => Model::load(&bytes, threads),
                    }
                }
            }?
            .with_timeout(inputs.budget.inference_timeout);
            self.bytes = None;
            self.model = Some((model, self.sha256.clone()));
        }
        self.model
            .as_mut()
            .ok_or_else(|| BenchError::Manifest("no model to run".to_string()))
    }
}

/// Scores the scans of `reuse`'s shard with each of `scorers`, reusing what the cache
/// holds: a scan whose rows are cached is not decoded, nor is one whose tensor is (only
/// inferred), and a model none of whose rows is missing is not loaded.
pub fn score(
    inputs: &BenchInputs,
    scorers: &[Scorer<'_>],
    layout: Layout<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    reuse: &Reuse<'_>,
) -> Result<(Units, Counts), BenchError> {
    let spec = &inputs.spec;
    let mut counts = Counts::default();
    let input = spec
        .input
        .as_ref()
        .ok_or_else(|| BenchError::Manifest("the manifest has no `input` spec".to_string()))?;
    let mut slots = Vec::with_capacity(scorers.len());
    for scorer in scorers {
        slots.push(read_model(inputs, scorer, reuse.digests)?);
    }
    if slots.is_empty() {
        return Err(BenchError::Manifest("no model to run".to_string()));
    }
    let shape = input.tensor_shape().ok_or_else(|| {
        BenchError::Manifest(
            "the input spec needs a `resize` step: the model takes a fixed size".to_string(),
        )
    })?;
    let [channels, height, width] = shape;
    let files = inputs.scan_files()?;
    let total = files.len();
    let ctx = Context {
        input,
        limits: inputs.budget.read.scan(),
        shape,
        digests: reuse.digests,
        store: reuse.store,
        shard: reuse.shard,
        models: slots
            .iter()
            .map(|s| (s.sha256.clone(), s.scorer.output.to_string()))
            .collect(),
        layout,
        on: reuse.on,
        perturb: reuse.perturb,
    };
    let mut units: Vec<(usize, Unit)> = Vec::with_capacity(total);
    // Scans read, in file order, whose rows are not all known yet.
    let mut pending: Vec<(usize, ReadScan)> = Vec::with_capacity(BATCH);
    // Workers take the files in order from a shared counter, so results arrive nearly in
    // order and a small reorder buffer restores it: every batch holds the same scans
    // (those of files BATCH*k .. that need inference) whatever the timing, and outputs
    // are reproducible bit for bit.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::sync_channel(2 * BATCH);
    let scored: Result<(), BenchError> = std::thread::scope(|scope| {
        for _ in 0..inputs.budget.threads.max(1) {
            let tx = tx.clone();
            let (files, ctx, next) = (&files, &ctx, &next);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                // A send fails once the scoring side has stopped (on an inference
                // error): decoding stops with it.
                if tx.send((i, ctx.scan(f))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Owned here, so that an inference error drops it and stops the workers.
        let rx = rx;
        let mut waiting = BTreeMap::new();
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
            let index = done;
            done += 1;
            match r {
                Outcome::Elsewhere => {}
                Outcome::Unreadable(message) => {
                    counts.scans += 1;
                    units.push((index, Unit::Unreadable(message)));
                }
                Outcome::Read(scan) => {
                    counts.scans += 1;
                    if scan.decoded {
                        counts.decoded += 1;
                    } else if scan.tensor.is_some() {
                        counts.tensors_reused += 1;
                    }
                    for (slot, row) in slots.iter_mut().zip(&scan.rows) {
                        slot.hit |= row.is_some();
                        counts.rows_reused += usize::from(row.is_some());
                        if row.is_none() {
                            slot.start(inputs.budget.threads, reuse.on);
                        }
                    }
                    pending.push((index, *scan));
                }
            }
            if done % BATCH == 0 || done == total {
                let mut batch = std::mem::take(&mut pending);
                for (m, slot) in slots.iter_mut().enumerate() {
                    let need: Vec<usize> = (0..batch.len())
                        .filter(|&j| batch[j].1.rows[m].is_none())
                        .collect();
                    if need.is_empty() {
                        continue;
                    }
                    let mut data = Vec::with_capacity(need.len() * channels * height * width);
                    for &j in &need {
                        data.extend_from_slice(batch[j].1.tensor.as_deref().unwrap_or_default());
                    }
                    let shape = [need.len(), channels, height, width];
                    let scorer = slot.scorer;
                    let model = slot.model(inputs, reuse.on)?;
                    let (rows, dims) = run(model, &scorer, &input.tensor, &shape, data, layout)?;
                    counts.inferred += rows.len();
                    let mut batch_rows = rows.into_iter();
                    for &j in &need {
                        let row = batch_rows.next().unwrap_or_default();
                        if let (Some(store), Some(tk)) = (reuse.store, &batch[j].1.tensor_key) {
                            let key = ctx.score_key(tk, m);
                            let _ = store.put(Kind::Score, &key, &records::encode_f32(&dims, &row));
                        }
                        batch[j].1.rows[m] = Some(row);
                    }
                }
                for (index, scan) in batch {
                    units.push((
                        index,
                        Unit::Scan {
                            info: Box::new(scan.info),
                            placement: scan.placement,
                            rows: scan
                                .rows
                                .into_iter()
                                .map(|r| {
                                    r.unwrap_or_default()
                                        .into_iter()
                                        .map(f32::to_bits)
                                        .collect()
                                })
                                .collect(),
                        },
                    ));
                }
                progress(done, total);
            }
        }
        Ok(())
    });
    scored?;
    // A model neither run nor met in the cache is loaded all the same, so a model that
    // cannot load fails every run alike, whatever the scans.
    for slot in &mut slots {
        if !slot.hit {
            slot.model(inputs, reuse.on)?;
        }
    }
    units.sort_by_key(|u| u.0);
    Ok((
        Units {
            units,
            present: files.into_iter().map(|f| f.shown).collect(),
            models: slots.into_iter().map(|s| s.sha256).collect(),
        },
        counts,
    ))
}

/// Reads a scorer's model (its output checked against the graph first) and its digest,
/// hashing its bytes unless this run already did.
fn read_model<'s>(
    inputs: &BenchInputs,
    scorer: &Scorer<'s>,
    digests: &FileDigests,
) -> Result<Slot<'s>, BenchError> {
    let path = inputs.dir.join(scorer.path);
    let meta = std::fs::metadata(&path).ok();
    let bytes =
        crate::facts::artifact::read_model(&path).map_err(|reason| BenchError::Unreadable {
            path: scorer.path.to_string(),
            reason,
        })?;
    if let Some(why) = crate::facts::artifact::onnx::read(&bytes)
        .ok()
        .and_then(|info| crate::facts::artifact::declared_output_problem(&info, scorer.output))
    {
        return Err(BenchError::Output(why));
    }
    let sha256 = match digests.known(&path) {
        Some(d) => d,
        None => {
            let d = sha256_hex(&bytes);
            if let Some(meta) = &meta {
                digests.record(&path, meta, &d);
            }
            d
        }
    };
    Ok(Slot {
        scorer: *scorer,
        bytes: Some(std::sync::Arc::new(bytes)),
        loading: None,
        model: None,
        sha256,
        hit: false,
    })
}

/// One batch through one model: each scan's row of the scorer's output, and the shape
/// of a row (the output's dimensions after the batch).
fn run(
    model: &mut (Model, String),
    scorer: &Scorer<'_>,
    input: &str,
    shape: &[usize],
    data: Vec<f32>,
    layout: Layout<'_>,
) -> Result<(Vec<Vec<f32>>, Vec<usize>), BenchError> {
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
    let dims = out
        .shape
        .iter()
        .skip(1)
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect();
    Ok((out.values.chunks(per).map(<[f32]>::to_vec).collect(), dims))
}
