//! Segmentation of CT and MR series: each case is a series of the reference folder with
//! its reference mask (a row of the masks file: `series,mask`). The series is assembled
//! ([`crate::volume::series`]), preprocessed onto the model's grid
//! ([`crate::volume::preprocess`]), inferred, turned into a label map, carried back onto
//! the series' own grid, and compared with the reference mask
//! ([`crate::volume::masks`]) structure by structure
//! ([`crate::metrics::segmentation`]); quantified structures' volumes are compared as
//! paired measurements ([`crate::metrics::agreement`]).
//!
//! Cases stream through: at most a few cases' volumes are in memory at once whatever the
//! number of cases (each worker holds one case; the model runs one case at a time).

pub mod evidence;
mod masks_file;
mod setup;
pub mod subgroups;

pub use evidence::{Case, SegmentationEvidence, StructureResult};
pub(crate) use setup::series_inputs;
pub use setup::{InputSetup, Rule, Setup};

use crate::bench::pipeline::Counts;
use crate::bench::{BenchError, BenchEvidence, BenchInputs, ScanRow};
use crate::engine::Model;
use crate::metrics::agreement::{self, Pair};
use crate::metrics::cluster::Resampling;
use crate::metrics::segmentation::{self, CaseMetrics};
use crate::volume::series::{self, Series};
use crate::volume::{masks, preprocess, Volume};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// What one case needs once its series is found: its row of the masks file.
struct Job<'a> {
    line: usize,
    series: &'a Series,
    /// The series each further input reads, from the same study, in the inputs' order.
    others: Vec<&'a Series>,
    mask: PathBuf,
}

/// Runs the segmentation benchmark of `inputs`, whose manifest `setup` describes.
/// `progress` is called with (cases done, cases) after each case.
pub fn run(
    inputs: &BenchInputs,
    setup: &Setup,
    key: String,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(BenchEvidence, Counts), BenchError> {
    let (folder, masks_path) = inputs.reference()?;
    let text = crate::bench::read_list(&masks_path, inputs.budget.read.max_list_bytes)?;
    let labels_sha256 = crate::facts::artifact::sha256_hex(text.as_bytes());
    let rows = masks_file::parse(&text).map_err(|reason| BenchError::Labels {
        path: masks_path.display().to_string(),
        reason,
    })?;
    let csv_dir = masks_path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    // The mask files are not scans: they are read as masks, never as slices.
    let mut mask_files = std::collections::BTreeSet::new();
    let mut masks_of = Vec::with_capacity(rows.len());
    for r in &rows {
        let path = csv_dir.join(&r.mask);
        if let Some(why) = crate::paths::escape(&inputs.root, &path) {
            return Err(BenchError::Labels {
                path: masks_path.display().to_string(),
                reason: format!("line {}: the mask `{}` {why}", r.line, r.mask),
            });
        }
        if let Ok(real) = std::fs::canonicalize(&path) {
            mask_files.insert(real);
        }
        masks_of.push(path);
    }
    let files: Vec<_> = inputs
        .scan_files()?
        .into_iter()
        .filter(|f| {
            !masks::is_nifti(&f.path)
                && std::fs::canonicalize(&f.path).map_or(true, |p| !mask_files.contains(&p))
        })
        .collect();
    let Slices {
        headers,
        rows: mut scan_rows,
        series: assembled,
    } = read_slices(inputs, &folder, &files, true)?;
    let shown = |p: &std::path::Path| p.strip_prefix(&folder).unwrap_or(p).display().to_string();
    let mut jobs = Vec::with_capacity(rows.len());
    let mut named = std::collections::BTreeSet::new();
    for (r, mask) in rows.iter().zip(masks_of) {
        let fail = |reason: String| BenchError::Labels {
            path: masks_path.display().to_string(),
            reason: format!("line {}: {reason}", r.line),
        };
        if !named.insert(r.series.as_str()) {
            return Err(fail(
                "this series has a mask on an earlier line already".to_string(),
            ));
        }
        let series = match assembled.get(&r.series) {
            None => {
                return Err(fail(
                    "no series under the reference folder has this SeriesInstanceUID".to_string(),
                ))
            }
            Some(Err(problem)) => {
                return Err(BenchError::Unreadable {
                    path: problem_files(&headers, &problem.series, &shown),
                    reason: format!(
                        "the series on line {} of the masks file cannot be assembled into one volume: {}",
                        r.line,
                        problem.problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                    ),
                })
            }
            Some(Ok(s)) => s,
        };
        let primary = &setup.inputs[0];
        if !primary.selector.matches(series) {
            return Err(fail(format!(
                "its series (modality {}, {} slice(s), description {:?}) is not one the input `{}` selects ({})",
                series.modality,
                series.len(),
                series.description,
                primary.tensor,
                primary.describe()
            )));
        }
        let others = other_inputs(&setup.inputs, series, &assembled, &shown).map_err(fail)?;
        jobs.push(Job {
            line: r.line,
            series,
            others,
            mask,
        });
    }
    let series_without_mask = assembled
        .keys()
        .filter(|uid| !named.contains(uid.as_str()))
        .count() as u64;
    // Each case's sex, age band and manufacturer, from its first slice's reading.
    let infos: BTreeMap<String, &crate::dicom::ScanInfo> = scan_rows
        .iter()
        .map(|r| (r.info.file.clone(), &r.info))
        .collect();
    let (model, model_sha256) = load_model(inputs, &inputs.spec.artifact.path, None)?;
    let model = Mutex::new(model);
    let total = jobs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(inputs.budget.threads.max(1))
        .build()
        .map_err(|e| BenchError::Manifest(format!("cannot start the workers: {e}")))?;
    let results: Vec<Result<Case, BenchError>> = pool.install(|| {
        jobs.par_iter()
            .with_max_len(1)
            .map(|job| {
                let case = score_case(inputs, setup, &model, job, &shown).map(|mut c| {
                    let first = job.series.slices.first().map(|s| shown(&s.path));
                    if let Some(info) = first.and_then(|f| infos.get(&f)) {
                        c.sex = info.sex.clone();
                        c.age_band = info.age_band.clone();
                        c.manufacturer = info.manufacturer.clone();
                    }
                    c
                });
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(n, total);
                case
            })
            .collect()
    });
    let mut cases = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    cases.sort_by(|a, b| a.series.cmp(&b.series));
    let summaries = summarize(setup, &cases)?;
    scan_rows.sort_by(|a, b| a.info.file.cmp(&b.info.file));
    let (leakage_patients, leakage_studies) = match &inputs.spec.training_patients {
        Some(t) => crate::bench::leakage(
            &inputs.dir.join(t),
            inputs.budget.read.max_list_bytes,
            &scan_rows,
        )?,
        None => (0, 0),
    };
    let counts = Counts {
        scans: scan_rows.len(),
        decoded: scan_rows.len(),
        inferred: total,
        ..Counts::default()
    };
    let backend = crate::engine::backend();
    let ev = BenchEvidence {
        format: crate::bench::EVIDENCE_FORMAT,
        key,
        clic_version: env!("CARGO_PKG_VERSION").to_string(),
        model_sha256,
        labels_sha256,
        backend: backend.name().to_string(),
        rows: scan_rows,
        unreadable: Vec::new(),
        labels_without_file: Vec::new(),
        leakage_patients,
        leakage_studies,
        overall: None,
        findings: None,
        equivalence: None,
        robustness: None,
        segmentation: Some(SegmentationEvidence {
            structures: setup.structures.iter().map(|s| s.name.clone()).collect(),
            cases,
            summaries,
            series_without_mask,
        }),
    };
    Ok((ev, counts))
}

/// The files of a series that cannot be assembled, as the message names them: the
/// first and how many more (never its UID).
pub(crate) fn problem_files(
    headers: &[series::SliceHeader],
    uid: &str,
    shown: &dyn Fn(&std::path::Path) -> String,
) -> String {
    let files: std::collections::BTreeSet<_> = headers
        .iter()
        .filter(|h| h.series_uid == uid)
        .map(|h| shown(&h.path))
        .collect();
    match (files.iter().next(), files.len()) {
        (Some(first), 1) => first.clone(),
        (Some(first), n) => format!("{first} and {} more file(s) of its series", n - 1),
        (None, _) => "a series of the reference folder".to_string(),
    }
}

/// The model at `path` (as the manifest names it) loaded to run one case at a time, and
/// its digest; with `output`, the graph must declare that output (checked before the
/// model loads).
pub(crate) fn load_model(
    inputs: &BenchInputs,
    path: &str,
    output: Option<&str>,
) -> Result<(Model, String), BenchError> {
    let bytes = crate::facts::artifact::read_model(&inputs.dir.join(path)).map_err(|reason| {
        BenchError::Unreadable {
            path: path.to_string(),
            reason,
        }
    })?;
    if let Some(why) = output.and_then(|output| {
        crate::facts::artifact::onnx::read(&bytes)
            .ok()
            .and_then(|info| crate::facts::artifact::declared_output_problem(&info, output))
    }) {
        return Err(BenchError::Output(why));
    }
    let sha256 = crate::facts::artifact::sha256_hex(&bytes);
    let model = Model::load(&bytes, inputs.budget.threads.max(1))?
        .with_timeout(inputs.budget.inference_timeout);
    Ok((model, sha256))
}

/// Every file of the reference folder read as slices, and the series they make.
pub(crate) struct Slices {
    /// Every slice's header.
    pub(crate) headers: Vec<series::SliceHeader>,
    /// Every file's reading, in file order (none when not asked for).
    pub(crate) rows: Vec<ScanRow>,
    /// Each series by SeriesInstanceUID: a volume, or why it is not one.
    pub(crate) series: BTreeMap<String, Result<Series, series::SeriesProblem>>,
}

/// Reads every file of `files` (under the reference folder `folder`) as slices, in
/// parallel, and assembles the series: a file that cannot be read as a DICOM slice is
/// an error naming it (a series with a slice missing would otherwise be scored). With
/// `readings`, each file's reading too.
pub(crate) fn read_slices(
    inputs: &BenchInputs,
    folder: &std::path::Path,
    files: &[crate::bench::ScanFile],
    readings: bool,
) -> Result<Slices, BenchError> {
    let limits = &inputs.budget.read;
    let read: Vec<_> = files
        .par_iter()
        .map(|f| {
            let headers = series::read_headers(&f.path, limits);
            let info = readings
                .then(|| crate::dicom::read_info(&f.path, &f.shown))
                .transpose();
            (f, headers, info)
        })
        .collect();
    let mut headers = Vec::new();
    let mut rows = Vec::with_capacity(read.len());
    let mut unreadable = Vec::new();
    for (f, h, info) in read {
        match (h, info) {
            (Ok(h), Ok(info)) => {
                headers.extend(h);
                rows.extend(info.map(|info| ScanRow {
                    info,
                    label: None,
                    score: None,
                }));
            }
            (Err(e), _) => unreadable.push(format!("{}: {e}", f.shown)),
            (_, Err(e)) => unreadable.push(format!("{}: {e}", f.shown)),
        }
    }
    if !unreadable.is_empty() {
        return Err(BenchError::Unreadable {
            path: folder.display().to_string(),
            reason: format!(
                "{} reference file(s) cannot be read as DICOM slices: {}",
                unreadable.len(),
                unreadable
                    .iter()
                    .take(crate::bench::NAMED_FILES)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        });
    }
    let mut assembled = BTreeMap::new();
    for s in series::assemble(&headers) {
        let uid = match &s {
            Ok(s) => s.uid.clone(),
            Err(p) => p.series.clone(),
        };
        assembled.insert(uid, s);
    }
    Ok(Slices {
        headers,
        rows,
        series: assembled,
    })
}

/// The series each further input (`inputs[1..]`) reads beside `series`: the one series
/// of its study the input selects, or why there is not exactly one (the files of those
/// it found, as `shown` shows them, never a UID).
pub(crate) fn other_inputs<'a>(
    inputs: &[InputSetup],
    series: &Series,
    assembled: &'a BTreeMap<String, Result<Series, series::SeriesProblem>>,
    shown: &dyn Fn(&std::path::Path) -> String,
) -> Result<Vec<&'a Series>, String> {
    let mut others = Vec::with_capacity(inputs.len().saturating_sub(1));
    for input in inputs.iter().skip(1) {
        let found: Vec<&Series> = assembled
            .values()
            .filter_map(|s| s.as_ref().ok())
            .filter(|s| s.study_uid == series.study_uid && input.selector.matches(s))
            .collect();
        match found.as_slice() {
            [one] => others.push(*one),
            _ => {
                let seen: Vec<String> = found
                    .iter()
                    .map(|s| {
                        let file = s.slices.first().map(|f| shown(&f.path)).unwrap_or_default();
                        format!("{file} ({:?})", s.description)
                    })
                    .collect();
                return Err(format!(
                    "the study of its series has {} series the input `{}` selects ({}), where one is expected{}",
                    found.len(),
                    input.tensor,
                    input.describe(),
                    if seen.is_empty() { String::new() } else { format!(": {}", seen.join(", ")) }
                ));
            }
        }
    }
    Ok(others)
}

/// Each input's series (`series[k]` for `inputs[k]`) read, its modality LUT applied as
/// the input says, and preprocessed onto the model's grid: the model's named inputs
/// (`[1, 1, D, H, W]` each) and the first input's grid. `at_case` turns a reason into
/// the error naming the case.
pub(crate) fn input_tensors(
    inputs: &BenchInputs,
    setup: &[InputSetup],
    series: &[&Series],
    at_case: &dyn Fn(String) -> BenchError,
) -> Result<(crate::engine::Inputs, crate::volume::Geometry), BenchError> {
    let limits = &inputs.budget.read;
    let limit_voxels = usize::try_from(limits.max_pixels).unwrap_or(usize::MAX);
    let mut tensors = Vec::with_capacity(setup.len());
    let mut grid = None;
    for (input, series) in setup.iter().zip(series) {
        let volume = match input.rescale {
            None => series::load(series, limits),
            Some((slope, intercept)) => {
                let mut fixed = (*series).clone();
                for s in &mut fixed.slices {
                    s.rescale_slope = slope;
                    s.rescale_intercept = intercept;
                }
                series::load(&fixed, limits)
            }
        }
        .map_err(|e| at_case(format!("the input `{}`: {e}", input.tensor)))?;
        let on_grid = preprocess::apply(volume, &input.steps, limit_voxels).map_err(|e| {
            at_case(format!(
                "the input `{}`'s preprocessing fails: {e}",
                input.tensor
            ))
        })?;
        let [nx, ny, nz] = on_grid.geometry.size;
        tensors.push((input.tensor.clone(), vec![1, 1, nz, ny, nx], on_grid.data));
        grid.get_or_insert(on_grid.geometry);
    }
    let grid = grid.ok_or_else(|| BenchError::Manifest("no series input".to_string()))?;
    Ok((tensors, grid))
}

/// One case: its series read and preprocessed, inferred, carried back and compared.
fn score_case(
    inputs: &BenchInputs,
    setup: &Setup,
    model: &Mutex<Model>,
    job: &Job<'_>,
    shown: &dyn Fn(&std::path::Path) -> String,
) -> Result<Case, BenchError> {
    let series = job.series;
    let first = series
        .slices
        .first()
        .map(|s| shown(&s.path))
        .unwrap_or_default();
    let at_case = |reason: String| BenchError::Unreadable {
        path: format!(
            "{first} (the series on line {} of the masks file)",
            job.line
        ),
        reason,
    };
    let all: Vec<&Series> = std::iter::once(series)
        .chain(job.others.iter().copied())
        .collect();
    // The masks are on the first input's grid.
    let (tensors, grid) = input_tensors(inputs, &setup.inputs, &all, &at_case)?;
    let limits = &inputs.budget.read;
    let output = {
        let mut m = model
            .lock()
            .map_err(|_| BenchError::Manifest("an earlier case's inference failed".to_string()))?;
        m.run_inputs(tensors, Some(&setup.output))?.0
    };
    let labels = setup
        .label_map(&output.shape, &output.values, grid)
        .map_err(BenchError::Output)?;
    let on_series = preprocess::labels_to(&labels, &series.geometry);
    drop(labels);
    let structures: Vec<masks::Structure> = setup
        .structures
        .iter()
        .map(|s| masks::Structure {
            name: &s.name,
            label: s.index,
        })
        .collect();
    let sop: Vec<String> = series
        .slices
        .iter()
        .map(|s| s.sop_instance_uid.clone())
        .collect();
    let reference = masks::read_reference(
        &job.mask,
        &structures,
        &series.geometry,
        &sop,
        limits.max_scan_bytes,
    )
    .map_err(|e| BenchError::Mask {
        line: job.line,
        reason: e.to_string(),
    })?;
    let mut metrics: Vec<CaseMetrics> = Vec::with_capacity(structures.len());
    for (k, (s, reference)) in setup.structures.iter().zip(&reference).enumerate() {
        let label = u8::try_from(k + 1).unwrap_or(u8::MAX);
        let predicted = Volume {
            geometry: series.geometry.clone(),
            data: on_series.data.iter().map(|&v| v == label).collect(),
        };
        let m = segmentation::compare(reference, &predicted, s.nsd_tolerance_mm)
            .map_err(|e| at_case(format!("structure `{}`: {e}", s.name)))?;
        metrics.push(m);
    }
    Ok(Case {
        series: crate::dicom::hash_id(&series.uid),
        patient: crate::dicom::hash_id(&series.patient_id),
        slices: series.len() as u64,
        sex: String::new(),
        age_band: String::new(),
        manufacturer: String::new(),
        size: series.geometry.size,
        spacing: series.geometry.spacing,
        metrics,
    })
}

/// Each structure's summaries over the cases, and its volumes' agreement.
fn summarize(setup: &Setup, cases: &[Case]) -> Result<Vec<StructureResult>, BenchError> {
    // Clusters: the patients, numbered in the order of their pseudonyms.
    let mut patients: BTreeMap<&str, u32> = BTreeMap::new();
    for c in cases {
        let next = patients.len() as u32;
        patients.entry(c.patient.as_str()).or_insert(next);
    }
    let resampling = Resampling::default();
    let mut out = Vec::with_capacity(setup.structures.len());
    for (k, s) in setup.structures.iter().enumerate() {
        let per: Vec<(u32, CaseMetrics)> = cases
            .iter()
            .filter_map(|c| Some((patients[c.patient.as_str()], c.metrics.get(k)?.clone())))
            .collect();
        let summary = segmentation::summarize_structure(&per, resampling)
            .map_err(|e| BenchError::Output(format!("structure `{}`: {e}", s.name)))?;
        let (volume, volume_missing) = if s.quantified {
            let pairs: Vec<Pair> = per
                .iter()
                .map(|(c, m)| Pair {
                    cluster: *c,
                    reference: m.reference_ml,
                    predicted: m.predicted_ml,
                })
                .collect();
            match agreement::agreement(&pairs, resampling) {
                Ok(a) => (Some(a), None),
                Err(e) => (None, Some(e.to_string())),
            }
        } else {
            (None, None)
        };
        out.push(StructureResult {
            name: s.name.clone(),
            summary,
            volume,
            volume_missing,
        });
    }
    Ok(out)
}
