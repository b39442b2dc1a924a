//! A series or study classifier (issue 14): a model that reads whole series (`input "t1"
//! series where ...`, no `segmentation` block) and gives one row of scores per series,
//! benchmarked by the findings or the binary task unchanged.
//!
//! Every series of the reference folder that the first series input selects is one row;
//! each further input reads the one series of the same study it selects, as a
//! segmentation case does ([`super::segmentation`]). A row stands for its series as a 2D
//! row stands for its image: its reading is the series' first slice's (patient, study,
//! the subgroup attributes), its file the series' first file, and its placement's SOP
//! pseudonym the pseudonym of its SeriesInstanceUID, so no UID reaches the evidence.
//! The findings task's study unit then aggregates a study's series, and labels keyed by
//! file (a series' first file) or by StudyInstanceUID match as they do for images.
//!
//! Series stream as segmentation cases do: a worker holds one series' volumes, and each
//! model runs one series at a time.

use crate::bench::pipeline::{Counts, Inferred, Layout, Other, Scorer};
use crate::bench::{BenchError, BenchInputs, NAMED_FILES};
use crate::dicom::{Placement, ScanInfo};
use crate::engine::Model;
use crate::task::segmentation::{self, InputSetup, Slices};
use crate::volume::series::{Series, SeriesProblem, Slice, SliceHeader};
use crate::volume::Geometry;
use clic_compiler::plan::ModelSpec;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Whether the manifest's benchmark scores series one row each: it reads series and
/// has no `segmentation` block.
pub fn applies(spec: &ModelSpec) -> bool {
    spec.reads_series() && spec.segmentation.is_none()
}

/// Why a sharded run refuses a series benchmark.
pub(crate) const SHARDED: &str = "a benchmark of series runs on one machine: `clic bench --shard` and `clic bench merge` score images and studies, not series yet";

/// One series to score, and the series of its study the further inputs read.
struct Job<'a> {
    series: &'a Series,
    others: Vec<&'a Series>,
    /// Its first file, as shown.
    first: String,
}

/// Runs each of `scorers` (the first is the manifest's model; [`Inferred::others`] holds
/// the rest) on every series of the reference set the manifest's first series input
/// selects: one row per series, in the order of the series' first files. `layout`
/// checks each output's shape for one series; `progress` is called with (series done,
/// series) after each series.
pub fn infer(
    inputs: &BenchInputs,
    scorers: &[Scorer<'_>],
    layout: Layout<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Inferred, Counts), BenchError> {
    if scorers.is_empty() {
        return Err(BenchError::Manifest("no model to run".to_string()));
    }
    let setup = segmentation::series_inputs(&inputs.spec).map_err(BenchError::Manifest)?;
    let Some(primary) = setup.first() else {
        return Err(BenchError::Manifest(
            "the manifest has no series input".to_string(),
        ));
    };
    let (folder, _) = inputs.reference()?;
    let files = inputs.scan_files()?;
    // Each row's reading is its first slice's, read by the worker that scores it.
    let slices = segmentation::read_slices(inputs, &folder, &files, false)?;
    let shown = |p: &Path| {
        p.strip_prefix(&folder)
            .unwrap_or(p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    };
    refuse_broken(&setup, &slices, &shown)?;
    let mut jobs = Vec::new();
    for s in slices.series.values().filter_map(|s| s.as_ref().ok()) {
        if !primary.selector.matches(s) {
            continue;
        }
        let first = first_file(s, &shown);
        let others =
            segmentation::other_inputs(&setup, s, &slices.series, &shown).map_err(|reason| {
                BenchError::Unreadable {
                    path: first.clone(),
                    reason,
                }
            })?;
        jobs.push(Job {
            series: s,
            others,
            first,
        });
    }
    if jobs.is_empty() {
        return Err(BenchError::Unreadable {
            path: folder.display().to_string(),
            reason: format!(
                "no series of the reference folder is one the input `{}` selects ({}); {}",
                primary.tensor,
                primary.describe(),
                found(&slices.series, &shown)
            ),
        });
    }
    // In file order, so that rows, units and the bootstrap's clusters are the same
    // whatever the project secret (the UIDs' pseudonyms) and the workers' timing.
    jobs.sort_by(|a, b| a.first.cmp(&b.first));
    let mut models = Vec::with_capacity(scorers.len());
    for scorer in scorers {
        let (model, sha256) = segmentation::load_model(inputs, scorer.path, Some(scorer.output))?;
        models.push((Mutex::new(model), sha256));
    }
    let total = jobs.len();
    let done = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(inputs.budget.threads.max(1))
        .build()
        .map_err(|e| BenchError::Manifest(format!("cannot start the workers: {e}")))?;
    let scored: Vec<Result<Scored, BenchError>> = pool.install(|| {
        jobs.par_iter()
            .with_max_len(1)
            .map(|job| {
                let rows = score_series(inputs, &setup, &models, scorers, layout, job);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                rows
            })
            .collect()
    });
    let mut scans = Vec::with_capacity(total);
    let mut placements = Vec::with_capacity(total);
    let mut others: Vec<Vec<Vec<f32>>> =
        vec![Vec::with_capacity(total); models.len().saturating_sub(1)];
    for (job, rows) in jobs.iter().zip(scored) {
        let (info, rows) = rows?;
        let mut rows = rows.into_iter();
        scans.push((info, rows.next().unwrap_or_default()));
        placements.push(Placement {
            sop_hash: crate::dicom::hash_id(&job.series.uid),
            ..Placement::default()
        });
        for (other, row) in others.iter_mut().zip(rows) {
            other.push(row);
        }
    }
    let mut digests = models.into_iter().map(|(_, sha256)| sha256);
    let model_sha256 = digests.next().unwrap_or_default();
    let inferred = Inferred {
        present: scans.iter().map(|(info, _)| info.file.clone()).collect(),
        scans,
        placements,
        others: others
            .into_iter()
            .zip(digests)
            .map(|(rows, model_sha256)| Other { rows, model_sha256 })
            .collect(),
        unreadable: Vec::new(),
        model_sha256,
    };
    let counts = Counts {
        scans: files.len(),
        decoded: files.len(),
        inferred: total * scorers.len(),
        ..Counts::default()
    };
    Ok((inferred, counts))
}

/// A series' reading (its first slice's) and its row of each model's output.
type Scored = (ScanInfo, Vec<Vec<f32>>);

/// One series, scored by every model.
fn score_series(
    inputs: &BenchInputs,
    setup: &[InputSetup],
    models: &[(Mutex<Model>, String)],
    scorers: &[Scorer<'_>],
    layout: Layout<'_>,
    job: &Job<'_>,
) -> Result<Scored, BenchError> {
    let at_series = |reason: String| BenchError::Unreadable {
        path: format!("{} (the first file of its series)", job.first),
        reason,
    };
    let all: Vec<&Series> = std::iter::once(job.series)
        .chain(job.others.iter().copied())
        .collect();
    let (tensors, _) = segmentation::input_tensors(inputs, setup, &all, &at_series)?;
    let mut rows = Vec::with_capacity(models.len());
    for ((model, _), scorer) in models.iter().zip(scorers) {
        let output = {
            let mut m = model.lock().map_err(|_| {
                BenchError::Manifest("an earlier series' inference failed".to_string())
            })?;
            m.run_inputs(tensors.clone(), Some(scorer.output))?.0
        };
        let per = layout(&output.shape, 1).map_err(BenchError::Output)?;
        if output.values.len() != per {
            return Err(BenchError::Output(format!(
                "the output `{}` holds {} values for one series, where its shape {:?} makes {per}",
                scorer.output,
                output.values.len(),
                output.shape
            )));
        }
        rows.push(output.values);
    }
    let first = job.series.slices.first().map(|s| s.path.as_path());
    let info = first
        .ok_or_else(|| at_series("the series has no slice".to_string()))
        .and_then(|path| {
            crate::dicom::read_info(path, &job.first).map_err(|e| at_series(e.to_string()))
        })?;
    Ok((info, rows))
}

/// A series that cannot be assembled into one volume is an error when an input would
/// read it (judged by its first slice's modality, description and image type, and its
/// number of slices); one no input reads (a broken localizer) is left out.
fn refuse_broken(
    setup: &[InputSetup],
    slices: &Slices,
    shown: &dyn Fn(&Path) -> String,
) -> Result<(), BenchError> {
    for (uid, s) in &slices.series {
        let Err(problem) = s else { continue };
        let Some(as_read) = stand_in(&slices.headers, problem) else {
            continue;
        };
        if let Some(input) = setup.iter().find(|i| i.selector.matches(&as_read)) {
            return Err(BenchError::Unreadable {
                path: segmentation::problem_files(&slices.headers, uid, shown),
                reason: format!(
                    "a series the input `{}` selects cannot be assembled into one volume: {}",
                    input.tensor,
                    problem
                        .problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            });
        }
    }
    Ok(())
}

/// What a selector sees of a series that is not one volume: its first slice's
/// attributes and its slices (its geometry is not read).
fn stand_in(headers: &[SliceHeader], problem: &SeriesProblem) -> Option<Series> {
    let of: Vec<&SliceHeader> = headers
        .iter()
        .filter(|h| h.series_uid == problem.series)
        .collect();
    let first = of.first()?;
    Some(Series {
        uid: first.series_uid.clone(),
        study_uid: first.study_uid.clone(),
        patient_id: first.patient_id.clone(),
        modality: first.modality.clone(),
        description: first.description.clone(),
        image_type: first.image_type.clone(),
        geometry: Geometry {
            size: [first.columns as usize, first.rows as usize, of.len()],
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        },
        slices: of
            .iter()
            .map(|h| Slice {
                path: h.path.clone(),
                frame: h.frame,
                sop_instance_uid: h.sop_instance_uid.clone(),
                rescale_slope: h.rescale_slope,
                rescale_intercept: h.rescale_intercept,
            })
            .collect(),
    })
}

fn first_file(s: &Series, shown: &dyn Fn(&Path) -> String) -> String {
    s.slices.first().map(|f| shown(&f.path)).unwrap_or_default()
}

/// The series the reference folder holds, as a message names them: by first file,
/// modality, slices and description, never by UID.
fn found(
    series: &BTreeMap<String, Result<Series, SeriesProblem>>,
    shown: &dyn Fn(&Path) -> String,
) -> String {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for s in series.values().filter_map(|s| s.as_ref().ok()) {
        seen.insert(format!(
            "{} (modality {}, {} slice(s), description {:?})",
            first_file(s, shown),
            s.modality,
            s.len(),
            s.description
        ));
    }
    if seen.is_empty() {
        return "it holds no series that is one volume".to_string();
    }
    let n = seen.len();
    let mut named: Vec<String> = seen.into_iter().take(NAMED_FILES).collect();
    if n > NAMED_FILES {
        named.push(format!("and {} more", n - NAMED_FILES));
    }
    format!("it holds {n} series: {}", named.join(", "))
}
