//! The reference-set benchmark: its inputs (the reference folder walked, the labels file
//! and training list read in bounded memory), the inference every task shares
//! ([`pipeline`]: every scan read, preprocessed and scored in batches), and the binary
//! task's evidence ([`crate::task`] turns outputs into it). The evidence is cached in
//! `.clic/cache` under a key of every input that can change it.

pub mod cache;
pub mod equivalence;
pub mod input;
pub mod labels;
pub mod pipeline;
pub mod records;
pub mod remote;
pub mod reuse;
pub mod robustness;
mod scan;
pub mod shard;
pub mod store;

use crate::dicom::ScanInfo;
use crate::engine::EngineError;
use crate::facts::artifact::sha256_hex;
use crate::metrics::{self, Metrics, Scored};
use clic_compiler::plan::ModelSpec;
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
    /// Metrics over every labelled, scored scan; none when there are none (and with
    /// several findings, which `findings` holds).
    pub overall: Option<Metrics>,
    /// Several findings per unit of analysis, when the manifest declares them or a unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<crate::task::findings::FindingsEvidence>,
    /// The comparison with the declared runtime's scores, when the manifest declares a
    /// runtime with a tolerance and the evidence is of another backend
    /// ([`equivalence`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equivalence: Option<equivalence::Equivalence>,
    /// The robustness study, when the manifest declares one ([`robustness`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robustness: Option<robustness::Robustness>,
    /// The segmentation of series, when the manifest's output is a mask
    /// ([`crate::task::segmentation`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segmentation: Option<crate::task::segmentation::SegmentationEvidence>,
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
    /// A reference mask does not fit its series (segmentation).
    #[error(
        "the reference mask of line {line} of the masks file does not fit its series: {reason}"
    )]
    Mask {
        /// The masks file's line naming it.
        line: usize,
        /// Why, with the mask's path.
        reason: String,
    },
    /// The readers' CSV (`compare with readers`) is invalid.
    #[error("the readers' file `{path}` is invalid: {reason}")]
    Readers {
        /// The file, as the manifest names it.
        path: String,
        /// Why, with the line at fault.
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
    let per = row_len(output, shape, batch)?;
    let shown = shown_shape(shape);
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

fn shown_shape(shape: &[i64]) -> String {
    format!(
        "[{}]",
        shape
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// How many values each scan has in an output of `shape` for a batch of `batch` scans:
/// the first dimension must be the batch, and every scan has at least one value.
pub fn row_len(output: &str, shape: &[i64], batch: usize) -> Result<usize, String> {
    let shown = shown_shape(shape);
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
    Ok(per)
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
pub(crate) struct ScanFile {
    pub(crate) shown: String,
    pub(crate) path: PathBuf,
}

impl BenchInputs {
    pub(crate) fn reference(&self) -> Result<(PathBuf, PathBuf), BenchError> {
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
    pub(crate) fn scan_files(&self) -> Result<Vec<ScanFile>, BenchError> {
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
        let head = self.key_head(files)?;
        let mut scans = Vec::new();
        for f in self.scan_files()? {
            let digest = files
                .digest(&f.path)
                .map_err(|reason| BenchError::Unreadable {
                    path: f.shown.clone(),
                    reason,
                })?;
            scans.push((f.shown, digest));
        }
        self.key_finish(&head, &scans, files)
    }

    /// The key's lines before the scans' (every input but the reference scans).
    pub(crate) fn key_head(&self, files: &cache::FileDigests) -> Result<String, BenchError> {
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
        // The comparison with the declared runtime (absent when none is wanted, so the
        // key of a manifest without a tolerance is as it was).
        if let Some(line) = equivalence::key_line(&self.spec) {
            h.push_str(&line);
        }
        if let Some(r) = &self.spec.robustness {
            h.push_str(&format!(
                "robustness {}\n",
                serde_json::to_string(r).unwrap_or_default()
            ));
        }
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
        // Series inputs, the segmentation and what it is measured with (absent for the
        // other tasks, whose key is as it was).
        if !self.spec.series_inputs.is_empty() || self.spec.segmentation.is_some() {
            h.push_str(&format!(
                "volume {} {} {} {}\n",
                serde_json::to_string(&self.spec.series_inputs).unwrap_or_default(),
                serde_json::to_string(&self.spec.segmentation).unwrap_or_default(),
                serde_json::to_string(&self.spec.quantify).unwrap_or_default(),
                // The claims' NSD tolerances are the NSD's.
                serde_json::to_string(&self.spec.structure_claims).unwrap_or_default(),
            ));
        }
        // Findings, unit and comparison (absent for the short form, whose key is as it was).
        if !self.spec.analysis.is_default() {
            h.push_str(&format!(
                "analysis {}\n",
                serde_json::to_string(&self.spec.analysis).unwrap_or_default()
            ));
        }
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
        Ok(h)
    }

    /// The key of [`Self::key_head`]'s lines, the scans' (file, sha256) in file order,
    /// and every further input's.
    pub(crate) fn key_finish(
        &self,
        head: &str,
        scans: &[(String, String)],
        files: &cache::FileDigests,
    ) -> Result<String, BenchError> {
        let mut h = head.to_string();
        for (shown, digest) in scans {
            h.push_str(&format!("scan {shown} {digest}\n"));
        }
        // Every other file the benchmark's provider declares it reads
        // (`facts::reference::inputs`): an input added there is keyed here too, so the
        // pre-commit scope and the cache can never disagree on what the evidence depends on.
        for extra in self.undigested_inputs() {
            let path = self.dir.join(&extra);
            h.push_str(&format!(
                "input-file {extra} {}\n",
                files
                    .digest(&path)
                    .map_err(|reason| BenchError::Unreadable {
                        path: extra.clone(),
                        reason
                    })?
            ));
        }
        Ok(sha256_hex(h.as_bytes()))
    }

    /// The files the benchmark's provider declares it reads that the named lines of
    /// [`Self::cache_key`] (model, reference folder, labels, training list) do not cover.
    fn undigested_inputs(&self) -> Vec<String> {
        let crate::facts::Reads::Files(declared) =
            crate::facts::reference::inputs(Some(&self.spec))
        else {
            return Vec::new();
        };
        let mut covered = vec![self.spec.artifact.path.clone()];
        if let Some(r) = &self.spec.reference {
            covered.push(r.path.clone());
            covered.push(r.labels.clone());
        }
        covered.extend(self.spec.training_patients.clone());
        declared
            .into_iter()
            .filter(|d| !covered.contains(d))
            .collect()
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
pub(crate) fn read_list(path: &Path, max: u64) -> Result<String, BenchError> {
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

/// Runs the benchmark of the manifest's task (today the one task, a binary score per
/// scan: [`crate::task::binary`]). `progress` is called with (done, total) after each
/// batch.
pub fn run(
    inputs: &BenchInputs,
    key: String,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BenchEvidence, BenchError> {
    if let Some(setup) =
        crate::task::segmentation::Setup::of(&inputs.spec).map_err(BenchError::Manifest)?
    {
        return crate::task::segmentation::run(inputs, &setup, key, progress).map(|(ev, _)| ev);
    }
    if let Some(task) = crate::task::findings::Findings::of(&inputs.spec)? {
        return crate::task::run(&task, inputs, key, progress);
    }
    let task = crate::task::binary::BinaryScore::of(&inputs.spec)?;
    crate::task::run(&task, inputs, key, progress)
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
pub(crate) fn leakage(list: &Path, max: u64, rows: &[ScanRow]) -> Result<(u64, u64), BenchError> {
    let text = read_list(list, max)?;
    let training: BTreeSet<String> = text
        .lines()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        // The same keyed pseudonym a scan's PatientID and StudyInstanceUID get: an
        // unkeyed digest here matched nothing, and every leak passed unseen.
        .map(crate::dicom::hash_id)
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

/// How to read an attribute clic groups by ([`GROUPS`]) from a scan's info.
pub fn group_reader(attribute: &str) -> Option<fn(&ScanInfo) -> &str> {
    Some(match attribute {
        "Manufacturer" => |i| &i.manufacturer,
        "ManufacturerModelName" => |i| &i.model_name,
        "Modality" => |i| &i.modality,
        "PatientSex" => |i| &i.sex,
        "AgeBand" | "PatientAge" => |i| &i.age_band,
        "TransferSyntax" => |i| &i.transfer_syntax_name,
        _ => return None,
    })
}

/// Rows grouped by an attribute, sorted by value.
pub fn group_by<'a>(
    rows: &'a [ScanRow],
    attribute: &str,
) -> Option<BTreeMap<String, Vec<&'a ScanRow>>> {
    let read = group_reader(attribute)?;
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
