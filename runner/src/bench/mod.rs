//! The reference-set benchmark: every scan read and preprocessed as the manifest says,
//! scored by the model in batches, and the results kept as evidence. One decoding
//! thread per core streams tensors through a bounded queue to the scoring thread, so
//! memory holds a few batches of images however many scans there are, and batches are
//! formed in file order, so scores are the same bit for bit from run to run. The
//! evidence is cached in `.clic/cache` under a key of every input that can change it.

pub mod cache;
pub mod input;
pub mod labels;

use crate::dicom::{self, ScanInfo};
use crate::engine::{EngineError, Model};
use crate::facts::artifact::sha256_hex;
use crate::metrics::{self, Metrics, Scored};
use clic_compiler::plan::{ModelSpec, Preprocess};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Version of the evidence format; part of the cache key.
pub const EVIDENCE_FORMAT: u32 = 1;

/// Scans decoded per inference batch.
pub const BATCH: usize = 64;

/// One scan of the reference set and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRow {
    /// What the file says (never an identifying value).
    pub info: ScanInfo,
    /// Its label, when the labels file has one.
    pub label: Option<bool>,
    /// The model's score.
    pub score: Option<f64>,
}

/// The evidence of one benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchEvidence {
    /// [`EVIDENCE_FORMAT`].
    pub format: u32,
    /// The cache key: sha256 over every input.
    pub key: String,
    /// clic's version.
    pub clic_version: String,
    /// sha256 of the model file.
    pub model_sha256: String,
    /// sha256 of the labels file.
    pub labels_sha256: String,
    /// The backend that scored the scans.
    pub backend: String,
    /// Every readable scan, sorted by file.
    pub rows: Vec<ScanRow>,
    /// Files that could not be read or decoded: `file (transfer syntax): reason`.
    pub unreadable: Vec<String>,
    /// Labels that name no file.
    pub labels_without_file: Vec<String>,
    /// Patients (hashed) in both the training list and the reference set.
    pub leakage_patients: u64,
    /// Studies (hashed StudyInstanceUIDs) in both the training list and the reference set.
    pub leakage_studies: u64,
    /// Metrics over every labelled, scored scan; none when there are none.
    pub overall: Option<Metrics>,
}

/// Why a benchmark cannot run: invalid input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BenchError {
    /// The manifest lacks what a benchmark needs.
    #[error("{0}")]
    Manifest(String),
    /// A file the manifest names cannot be read.
    #[error("cannot read `{path}`: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The labels file is invalid.
    #[error("the labels file `{path}` is invalid: {reason}")]
    Labels {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The model does not load or run.
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// The model's output cannot be read as one score per scan.
    #[error("{0}")]
    Output(String),
    /// The model gave NaN or an infinite score: no metric can be computed.
    #[error("the model gives a non-finite score (NaN or infinite) for {} of {total} reference scan(s), so no metric can be computed: {}", files.len(), shown_files(files))]
    NonFinite {
        /// The scans, by file (at most [`NAMED_FILES`] are named in the message).
        files: Vec<String>,
        /// Scans scored.
        total: usize,
    },
}

/// How many files a message names before it says how many more there are.
pub const NAMED_FILES: usize = 10;

fn shown_files(files: &[String]) -> String {
    let mut s: Vec<String> = files
        .iter()
        .take(NAMED_FILES)
        .map(|f| format!("`{f}`"))
        .collect();
    if files.len() > NAMED_FILES {
        s.push(format!("and {} more", files.len() - NAMED_FILES));
    }
    s.join(", ")
}

impl BenchError {
    /// Whether an input file is at fault (exit status 2); otherwise the benchmark's
    /// figures are merely unavailable (the gate fails).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, BenchError::NonFinite { .. })
    }

    /// Whether the model is at fault (E021) rather than the reference set (E022).
    pub fn is_model(&self) -> bool {
        matches!(
            self,
            BenchError::Engine(_) | BenchError::Output(_) | BenchError::NonFinite { .. }
        )
    }
}

/// Where each scan's score lies in an output of `shape` for a batch of `batch` scans:
/// (values per scan, the element that is the score). The first dimension must be the
/// batch; the rest is one row per scan, and a row of more than one value needs the
/// manifest's `index`.
pub fn score_layout(
    output: &str,
    shape: &[i64],
    batch: usize,
    index: Option<u32>,
) -> Result<(usize, usize), String> {
    let shown = format!(
        "[{}]",
        shape
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let Some((&first, rest)) = shape.split_first() else {
        return Err(format!(
            "the output `{output}` is a single value {shown} for the whole batch, not one score per scan"
        ));
    };
    if usize::try_from(first).ok() != Some(batch) {
        return Err(format!(
            "the output `{output}` has shape {shown} for a batch of {batch} scans: its first dimension must be the batch (one row per scan), not a fixed or broadcast size"
        ));
    }
    let per = rest
        .iter()
        .try_fold(1usize, |acc, &d| {
            usize::try_from(d).ok().and_then(|d| acc.checked_mul(d))
        })
        .unwrap_or(0);
    if per == 0 {
        return Err(format!(
            "the output `{output}` has shape {shown}: no value per scan"
        ));
    }
    match index {
        None if per > 1 => Err(format!(
            "the output `{output}` has {per} values per scan (shape {shown}) and the manifest does not say which is the score; write `output \"{output}\" index K positive when ...` with K the position of the positive class's score (1 in a two-class softmax whose classes are negative, positive)"
        )),
        None => Ok((per, 0)),
        Some(i) => {
            let i = i as usize;
            if i < per {
                Ok((per, i))
            } else {
                Err(format!(
                    "the manifest reads element {i} of the output `{output}`, but each scan has {per} value(s) (shape {shown}); elements count from 0"
                ))
            }
        }
    }
}

/// Where a benchmark reads its inputs.
#[derive(Debug, Clone)]
pub struct BenchInputs {
    /// The manifest's folder: its paths are relative to it.
    pub dir: PathBuf,
    /// The project's root (canonical): no scan may resolve outside it.
    pub root: PathBuf,
    /// The manifest.
    pub spec: ModelSpec,
    /// Threads, reading limits and the inference budget.
    pub budget: crate::budget::Budget,
}

/// A reference scan file found on disk, with its digest.
#[derive(Debug, Clone)]
struct ScanFile {
    shown: String,
    path: PathBuf,
}

impl BenchInputs {
    fn reference(&self) -> Result<(PathBuf, PathBuf), BenchError> {
        let r = self.spec.reference.as_ref().ok_or_else(|| {
            BenchError::Manifest(
                "the manifest names no reference set (`reference \"dir\" labels \"file\"`)"
                    .to_string(),
            )
        })?;
        Ok((self.dir.join(&r.path), self.dir.join(&r.labels)))
    }

    /// The files of the reference set, sorted: every regular file but the labels file,
    /// dotfiles and documentation (`.md`, `.txt`, `.yaml`, `.yml`, `.json`, `.csv`).
    fn scan_files(&self) -> Result<Vec<ScanFile>, BenchError> {
        let (folder, labels) = self.reference()?;
        if !folder.is_dir() {
            return Err(BenchError::Unreadable {
                path: folder.display().to_string(),
                reason: "no such folder".to_string(),
            });
        }
        let mut out = Vec::new();
        for entry in walkdir_sorted(&folder)? {
            let path = entry;
            if path == labels {
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if name.starts_with('.')
                || matches!(ext.as_str(), "md" | "txt" | "yaml" | "yml" | "json" | "csv")
            {
                continue;
            }
            let shown = path
                .strip_prefix(&folder)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if let Some(why) = crate::paths::escape(&self.root, &path) {
                return Err(BenchError::Unreadable {
                    path: shown,
                    reason: why.to_string(),
                });
            }
            out.push(ScanFile { shown, path });
        }
        Ok(out)
    }

    /// The cache key: clic's version, the evidence format, the model's digest, the
    /// preprocessing and output spec, the labels' digest, and every scan's digest.
    pub fn cache_key(&self, files: &cache::FileDigests) -> Result<String, BenchError> {
        let (_, labels) = self.reference()?;
        let model = self.dir.join(&self.spec.artifact.path);
        let mut h = String::new();
        h.push_str(&format!(
            "clic {} evidence {EVIDENCE_FORMAT}\n",
            env!("CARGO_PKG_VERSION")
        ));
        // The backend scores the scans: evidence from tract is never reported as ONNX
        // Runtime's. (Rows pseudonymised under another secret are not reused either:
        // their entry's MAC does not verify, see `cache::load`.)
        let backend = crate::engine::backend();
        h.push_str(&format!("backend {} {}\n", backend.name(), backend.version));
        h.push_str(&format!(
            "model {}\n",
            files
                .digest(&model)
                .map_err(|reason| BenchError::Unreadable {
                    path: self.spec.artifact.path.clone(),
                    reason
                })?
        ));
        let max_list = self.budget.read.max_list_bytes;
        list_file(&labels, max_list)?;
        h.push_str(&format!(
            "labels {}\n",
            files
                .digest(&labels)
                .map_err(|reason| BenchError::Unreadable {
                    path: labels.display().to_string(),
                    reason
                })?
        ));
        h.push_str(&format!(
            "input {}\n",
            serde_json::to_string(&self.spec.input).unwrap_or_default()
        ));
        h.push_str(&format!(
            "output {}\n",
            serde_json::to_string(&self.spec.output).unwrap_or_default()
        ));
        if let Some(t) = &self.spec.training_patients {
            list_file(&self.dir.join(t), max_list)?;
            h.push_str(&format!(
                "training {}\n",
                files.digest(&self.dir.join(t)).unwrap_or_default()
            ));
        }
        // Raised limits can make a scan readable that the defaults refuse: evidence made
        // under them is never reused by a run within the defaults.
        if !self.budget.read.is_default() {
            h.push_str(&format!(
                "limits {}\n",
                serde_json::to_string(&self.budget.read).unwrap_or_default()
            ));
        }
        for f in self.scan_files()? {
            h.push_str(&format!(
                "scan {} {}\n",
                f.shown,
                files
                    .digest(&f.path)
                    .map_err(|reason| BenchError::Unreadable {
                        path: f.shown.clone(),
                        reason
                    })?
            ));
        }
        Ok(sha256_hex(h.as_bytes()))
    }
}

/// Checks, without reading it, that a labels file or training list is a regular file
/// (links followed) of at most `max` bytes: a link to `/dev/zero` is refused before
/// anything reads it.
fn list_file(path: &Path, max: u64) -> Result<(), BenchError> {
    let fail = |reason: String| BenchError::Unreadable {
        path: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if let Some(why) = input::not_regular(&meta) {
        return Err(fail(why));
    }
    if meta.len() > max {
        return Err(fail(format!(
            "it holds {} bytes, over the limit of {max} for a labels file or training list \
             (raise it with `--max-list-bytes`)",
            meta.len(),
        )));
    }
    Ok(())
}

/// Reads a labels file or training list of at most `max` bytes as text, in bounded
/// memory ([`list_file`]).
fn read_list(path: &Path, max: u64) -> Result<String, BenchError> {
    let fail = |reason: String| BenchError::Unreadable {
        path: path.display().to_string(),
        reason,
    };
    let bytes = input::read_regular(
        path,
        max,
        "for a labels file or training list (raise it with `--max-list-bytes`)",
    )
    .map_err(fail)?;
    String::from_utf8(bytes).map_err(|_| fail("it is not UTF-8 text".to_string()))
}

/// Every file under `dir`, sorted. Links are followed, to files and to folders, but a
/// folder is walked once: a link back to a folder already walked (`a -> .`) is an
/// error naming the link, never a walk without end. A FIFO, socket or device, a link to
/// nothing, and a folder that cannot be listed are errors too, never skipped in silence
/// (a reference set with a scan missing would be scored without it).
fn walkdir_sorted(dir: &Path) -> Result<Vec<PathBuf>, BenchError> {
    let fail = |path: &Path, reason: String| BenchError::Unreadable {
        path: path.display().to_string(),
        reason,
    };
    let mut out = Vec::new();
    let mut walked: BTreeSet<PathBuf> = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let real = std::fs::canonicalize(&d).map_err(|e| fail(&d, e.to_string()))?;
        if !walked.insert(real.clone()) {
            return Err(fail(
                &d,
                format!(
                    "a link in the reference folder leads to `{}`, a folder already walked \
                     (a link cycle, or a folder reached twice)",
                    real.display()
                ),
            ));
        }
        let entries = std::fs::read_dir(&d).map_err(|e| fail(&d, e.to_string()))?;
        let mut names = Vec::new();
        for e in entries {
            names.push(e.map_err(|e| fail(&d, e.to_string()))?.path());
        }
        // Sorted, so the first error reported is the same from run to run.
        names.sort();
        for p in names {
            let meta = std::fs::metadata(&p).map_err(|e| {
                let dangling = std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_symlink());
                fail(
                    &p,
                    if dangling {
                        "it is a link to nothing".to_string()
                    } else {
                        e.to_string()
                    },
                )
            })?;
            if meta.is_dir() {
                stack.push(p);
            } else if let Some(why) = input::not_regular(&meta) {
                return Err(fail(&p, why));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Runs the benchmark. `progress` is called with (done, total) after each batch.
pub fn run(
    inputs: &BenchInputs,
    key: String,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BenchEvidence, BenchError> {
    let spec = &inputs.spec;
    let (_, labels_path) = inputs.reference()?;
    let labels_text = read_list(&labels_path, inputs.budget.read.max_list_bytes)?;
    let labels = labels::parse(&labels_text).map_err(|reason| BenchError::Labels {
        path: labels_path.display().to_string(),
        reason,
    })?;
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
    // Streaming: the decoding threads turn files into tensors without pause, through a
    // bounded queue (memory holds a few batches, however many scans there are); this
    // thread scores them in batches with one intra-op thread, so no idle inference pool
    // spins against the decoders.
    if let Some(why) = crate::facts::artifact::onnx::read(&model_bytes)
        .ok()
        .and_then(|info| crate::facts::artifact::declared_output_problem(&info, output))
    {
        return Err(BenchError::Output(why));
    }
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
    let mut rows: Vec<ScanRow> = Vec::with_capacity(total);
    let mut unreadable = Vec::new();
    let mut nonfinite: Vec<String> = Vec::new();
    // Workers take the files in order from a shared counter, so results arrive nearly in
    // order and a small reorder buffer restores it: every batch holds the same scans
    // (files BATCH*k ..) whatever the timing, and scores are reproducible bit for bit.
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
                let (scores, _) = model.run_tensor(
                    &input.tensor,
                    &[infos.len(), 1, height, width],
                    std::mem::replace(&mut batch, Vec::with_capacity(BATCH * height * width)),
                    Some(&output.tensor),
                )?;
                let (per, at) =
                    score_layout(&output.tensor, &scores.shape, infos.len(), output.index)
                        .map_err(BenchError::Output)?;
                for (i, info) in std::mem::take(&mut infos).into_iter().enumerate() {
                    let label = labels.get(&info.file).map(|l| l.positive);
                    let score = scores.values.get(i * per + at).map(|s| f64::from(*s));
                    if score.is_some_and(|s| !s.is_finite()) {
                        nonfinite.push(info.file.clone());
                    }
                    rows.push(ScanRow { info, label, score });
                }
            }
            if done % BATCH == 0 || done == total {
                progress(done, total);
            }
        }
        Ok(())
    });
    scored?;
    if !nonfinite.is_empty() {
        // A NaN compares false with every threshold: counted, it would be a negative.
        nonfinite.sort();
        return Err(BenchError::NonFinite {
            files: nonfinite,
            total: rows.len(),
        });
    }
    rows.sort_by(|a, b| a.info.file.cmp(&b.info.file));
    let present: BTreeSet<&str> = files.iter().map(|f| f.shown.as_str()).collect();
    let labels_without_file = labels
        .keys()
        .filter(|k| !present.contains(k.as_str()))
        .cloned()
        .collect();
    let (leakage_patients, leakage_studies) = match &spec.training_patients {
        Some(t) => leakage(
            &inputs.dir.join(t),
            inputs.budget.read.max_list_bytes,
            &rows,
        )?,
        None => (0, 0),
    };
    let overall = score_metrics(&rows, output.threshold, output.inclusive);
    Ok(BenchEvidence {
        format: EVIDENCE_FORMAT,
        key,
        clic_version: env!("CARGO_PKG_VERSION").to_string(),
        model_sha256: sha256_hex(&model_bytes),
        labels_sha256: sha256_hex(labels_text.as_bytes()),
        backend: crate::engine::backend().name().to_string(),
        rows,
        unreadable,
        labels_without_file,
        leakage_patients,
        leakage_studies,
        overall,
    })
}

/// Metrics over the labelled, scored rows; none when there are none, or when a score is
/// not finite (a NaN would count as a negative and pass a specificity claim).
pub fn score_metrics<'a>(
    rows: impl IntoIterator<Item = &'a ScanRow>,
    threshold: f64,
    inclusive: bool,
) -> Option<Metrics> {
    let cases: Vec<Scored> = rows
        .into_iter()
        .filter_map(|r| {
            Some(Scored {
                label: r.label?,
                score: r.score?,
            })
        })
        .collect();
    if cases.is_empty() || cases.iter().any(|c| !c.score.is_finite()) {
        return None;
    }
    Some(metrics::compute(&cases, threshold, inclusive))
}

/// Patients and studies of the reference set whose hashed id is in the training list.
/// The list holds one id per line (a PatientID, or a StudyInstanceUID); it is compared by
/// sha256, so neither side's plain ids reach the evidence.
fn leakage(list: &Path, max: u64, rows: &[ScanRow]) -> Result<(u64, u64), BenchError> {
    let text = read_list(list, max)?;
    let training: BTreeSet<String> = text
        .lines()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|id| sha256_hex(id.as_bytes()))
        .collect();
    let patients: BTreeSet<&str> = rows.iter().map(|r| r.info.patient_hash.as_str()).collect();
    let studies: BTreeSet<&str> = rows.iter().map(|r| r.info.study_hash.as_str()).collect();
    let count = |set: &BTreeSet<&str>| set.iter().filter(|h| training.contains(**h)).count() as u64;
    Ok((count(&patients), count(&studies)))
}

/// The DICOM attributes the benchmark can group by, and how to read each from a row.
pub const GROUPS: [&str; 6] = [
    "Manufacturer",
    "ManufacturerModelName",
    "Modality",
    "PatientSex",
    "AgeBand",
    "TransferSyntax",
];

/// Rows grouped by an attribute, sorted by value.
pub fn group_by<'a>(
    rows: &'a [ScanRow],
    attribute: &str,
) -> Option<BTreeMap<String, Vec<&'a ScanRow>>> {
    let read: fn(&ScanInfo) -> &str = match attribute {
        "Manufacturer" => |i| &i.manufacturer,
        "ManufacturerModelName" => |i| &i.model_name,
        "Modality" => |i| &i.modality,
        "PatientSex" => |i| &i.sex,
        "AgeBand" | "PatientAge" => |i| &i.age_band,
        "TransferSyntax" => |i| &i.transfer_syntax_name,
        _ => return None,
    };
    let mut out: BTreeMap<String, Vec<&ScanRow>> = BTreeMap::new();
    for r in rows {
        let v = read(&r.info);
        out.entry(if v.is_empty() {
            "unknown".to_string()
        } else {
            v.to_string()
        })
        .or_default()
        .push(r);
    }
    Some(out)
}
