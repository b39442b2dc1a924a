//! A benchmark run that reuses what it can: the whole evidence when no input changed
//! (one entry under the benchmark's key), else per-scan records (a scan's reading, its
//! tensor, each model's row; [`super::store`]), so that a new model version costs
//! inference only and a new or changed scan one decode. The evidence is always
//! assembled from per-scan units by the task, so it is the same bytes however much was
//! reused. A shard run scores one shard's units ([`super::shard`]); a merge assembles
//! the evidence from every shard's units.

use super::cache::{self, FileDigests};
use super::pipeline::{self, Counts, Reuse, Units};
use super::shard::{Shard, ShardFile};
use super::store::Store;
use super::{read_list, BenchError, BenchEvidence, BenchInputs};
use crate::facts::artifact::sha256_hex;
use crate::task::{binary::BinaryScore, findings::Findings, Provenance, Task};
use std::path::Path;

/// Called with (done, total) as scans are scored.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Where the units come from.
enum Source<'a> {
    /// Scored now, reusing the cache.
    Score(Reuse<'a>, Progress<'a>),
    /// Merged from shards.
    Units(Units),
}

/// The evidence of the manifest's task from `source`, under the key `key` computes
/// once every scan's digest is known.
fn evidence<T: Task<Evidence = BenchEvidence>>(
    task: &T,
    inputs: &BenchInputs,
    source: Source<'_>,
    key: &dyn Fn() -> Result<String, BenchError>,
) -> Result<(BenchEvidence, Counts), BenchError> {
    let (_, labels_path) = inputs.reference()?;
    let text = read_list(&labels_path, inputs.budget.read.max_list_bytes)?;
    let labels = task.labels(&text).map_err(|reason| BenchError::Labels {
        path: labels_path.display().to_string(),
        reason,
    })?;
    let mut equivalent = None;
    let mut scored_with = None;
    let (units, counts) = match source {
        Source::Score(reuse, progress) => {
            scored_with = Some(reuse);
            let scorers = task.scorers(&inputs.spec)?;
            let layout = |shape: &[i64], batch: usize| task.layout(shape, batch);
            let scored = pipeline::score(inputs, &scorers, &layout, progress, &reuse)?;
            // Evidence of another backend than the declared runtime: the same tensors
            // scored on the declared runtime too, when the manifest gives a tolerance.
            if let (Some(tolerance), Some(first)) = (
                super::equivalence::wanted(&inputs.spec),
                scorers.first().copied(),
            ) {
                equivalent = Some(super::equivalence::measure(
                    inputs, first, &layout, &reuse, &scored.0, tolerance,
                ));
            }
            scored
        }
        Source::Units(units) => (units, Counts::default()),
    };
    let key = key()?;
    let mut ev = task.evidence(
        inputs,
        labels,
        units.assemble(),
        Provenance {
            key,
            labels_sha256: sha256_hex(text.as_bytes()),
        },
    )?;
    ev.equivalence = equivalent;
    if let (Some(reuse), Some(study)) = (scored_with, &inputs.spec.robustness) {
        ev.robustness = Some(robustness(task, inputs, &text, &reuse, study, &ev)?);
    }
    Ok((ev, counts))
}

/// The robustness study: the manifest's model re-scored under each perturbation (its
/// rows cached per scan under the perturbed tensor's key), each run's metrics against
/// the unperturbed evidence `ev`. A perturbation under which the benchmark cannot be
/// computed (a scan unreadable, a score not finite) gives a row without metrics.
fn robustness<T: Task<Evidence = BenchEvidence>>(
    task: &T,
    inputs: &BenchInputs,
    labels: &str,
    reuse: &Reuse<'_>,
    study: &clic_compiler::plan::RobustnessSpec,
    ev: &BenchEvidence,
) -> Result<super::robustness::Robustness, BenchError> {
    let scorers = task.scorers(&inputs.spec)?;
    let first = scorers.first().copied().into_iter().collect::<Vec<_>>();
    let layout = |shape: &[i64], batch: usize| task.layout(shape, batch);
    let (_, labels_path) = inputs.reference()?;
    let mut rows = Vec::new();
    for p in &study.perturbations {
        let on = Reuse {
            perturb: Some(p),
            ..*reuse
        };
        let scored = pipeline::score(inputs, &first, &layout, &|_, _| {}, &on);
        let (metrics, unreadable) = match scored {
            Ok((units, _)) => {
                let unreadable = units
                    .units
                    .iter()
                    .filter(|(_, u)| matches!(u, pipeline::Unit::Unreadable(_)))
                    .count() as u64;
                let labels = task.labels(labels).map_err(|reason| BenchError::Labels {
                    path: labels_path.display().to_string(),
                    reason,
                })?;
                let perturbed = task.evidence(
                    inputs,
                    labels,
                    units.assemble(),
                    Provenance {
                        key: String::new(),
                        labels_sha256: String::new(),
                    },
                );
                (perturbed.ok().and_then(|e| e.overall), unreadable)
            }
            Err(_) => (None, 0),
        };
        rows.push(super::robustness::row(
            p.label(),
            metrics.as_ref(),
            ev.overall.as_ref(),
            unreadable,
        ));
    }
    Ok(super::robustness::study(study.max_drop, rows))
}

/// [`evidence`] of the manifest's task.
fn of_task(
    inputs: &BenchInputs,
    source: Source<'_>,
    key: &dyn Fn() -> Result<String, BenchError>,
) -> Result<(BenchEvidence, Counts), BenchError> {
    if let Some(setup) = segmentation_setup(inputs)? {
        let Source::Score(_, progress) = source else {
            return Err(BenchError::Manifest(SHARDED_SEGMENTATION.to_string()));
        };
        return crate::task::segmentation::run(inputs, &setup, key()?, progress);
    }
    if crate::task::series::applies(&inputs.spec) {
        let Source::Score(_, progress) = source else {
            return Err(BenchError::Manifest(
                crate::task::series::SHARDED.to_string(),
            ));
        };
        let key = key()?;
        return match Findings::of(&inputs.spec)? {
            Some(task) => crate::task::run_counted(&task, inputs, key, progress),
            None => {
                crate::task::run_counted(&BinaryScore::of(&inputs.spec)?, inputs, key, progress)
            }
        };
    }
    match Findings::of(&inputs.spec)? {
        Some(task) => evidence(&task, inputs, source, key),
        None => evidence(&BinaryScore::of(&inputs.spec)?, inputs, source, key),
    }
}

/// Why a segmentation benchmark is not sharded.
const SHARDED_SEGMENTATION: &str = "a segmentation benchmark runs on one machine: `clic bench --shard` and `clic bench merge` score images and studies, not series yet";

/// The segmentation task of the manifest, if it has a `segmentation` block.
fn segmentation_setup(
    inputs: &BenchInputs,
) -> Result<Option<crate::task::segmentation::Setup>, BenchError> {
    crate::task::segmentation::Setup::of(&inputs.spec).map_err(BenchError::Manifest)
}

/// The scans' (file, sha256), each hashed only if no earlier step of the run did.
fn scan_digests(
    inputs: &BenchInputs,
    digests: &FileDigests,
) -> Result<Vec<(String, String)>, BenchError> {
    inputs
        .scan_files()?
        .into_iter()
        .map(|f| {
            let d = digests
                .digest(&f.path)
                .map_err(|reason| BenchError::Unreadable {
                    path: f.shown.clone(),
                    reason,
                })?;
            Ok((f.shown, d))
        })
        .collect()
}

/// The benchmark's evidence, and what was reused: `None` when it was reused whole. `cache_dir` is
/// `.clic/cache` (none: nothing is reused or stored); `rehash` hashes every input from
/// its bytes, trusting no stamp (the release stage and the dossier). Each file is hashed
/// at most once.
pub fn obtain(
    inputs: &BenchInputs,
    cache_dir: Option<&Path>,
    rehash: bool,
    progress: Progress<'_>,
) -> Result<(BenchEvidence, Option<Counts>), BenchError> {
    let mut digests = FileDigests::open(cache_dir);
    if rehash {
        digests = digests.rehashing();
    }
    let head = inputs.key_head(&digests)?;
    let files = inputs.scan_files()?;
    // Every scan known by its stamp: the whole evidence may be reused without reading one.
    if let Some(dir) = cache_dir {
        let known: Option<Vec<(String, String)>> = files
            .iter()
            .map(|f| digests.known(&f.path).map(|d| (f.shown.clone(), d)))
            .collect();
        if let Some(scans) = known {
            let key = inputs.key_finish(&head, &scans, &digests)?;
            if let Some(ev) = cache::load(dir, &key) {
                digests.save();
                return Ok((ev, None));
            }
        }
    }
    let store = cache_dir.map(Store::new);
    let reuse = Reuse {
        digests: &digests,
        store: store.as_ref(),
        shard: None,
        on: None,
        perturb: None,
    };
    let key = || inputs.key_finish(&head, &scan_digests(inputs, &digests)?, &digests);
    let scored = of_task(inputs, Source::Score(reuse, progress), &key);
    report_remote(store.as_ref());
    let (ev, counts) = scored?;
    digests.save();
    if let (Some(dir), Some(store)) = (cache_dir, &store) {
        let _ = cache::store(dir, &ev);
        if let Ok(limit) = super::store::size_limit() {
            store.gc(limit);
        }
    }
    Ok((ev, Some(counts)))
}

/// The units of one shard, with what a merge checks them against. The labels are read
/// (a bad labels file stops a shard as it stops a run), every scan is hashed (every
/// shard agrees on the key) and only the shard's scans are decoded and scored.
pub fn shard(
    inputs: &BenchInputs,
    cache_dir: Option<&Path>,
    which: Shard,
    progress: Progress<'_>,
) -> Result<ShardFile, BenchError> {
    let digests = FileDigests::open(cache_dir);
    let head = inputs.key_head(&digests)?;
    let store = cache_dir.map(Store::new);
    let reuse = Reuse {
        digests: &digests,
        store: store.as_ref(),
        shard: Some(which),
        on: None,
        perturb: None,
    };
    if segmentation_setup(inputs)?.is_some() {
        return Err(BenchError::Manifest(SHARDED_SEGMENTATION.to_string()));
    }
    if crate::task::series::applies(&inputs.spec) {
        return Err(BenchError::Manifest(
            crate::task::series::SHARDED.to_string(),
        ));
    }
    let (_, labels_path) = inputs.reference()?;
    let text = read_list(&labels_path, inputs.budget.read.max_list_bytes)?;
    let units = match Findings::of(&inputs.spec)? {
        Some(task) => shard_units(&task, inputs, &text, &reuse, progress),
        None => shard_units(
            &BinaryScore::of(&inputs.spec)?,
            inputs,
            &text,
            &reuse,
            progress,
        ),
    };
    report_remote(store.as_ref());
    let units = units?;
    let scans = scan_digests(inputs, &digests)?;
    let key = inputs.key_finish(&head, &scans, &digests)?;
    digests.save();
    if let Some(store) = &store {
        if let Ok(limit) = super::store::size_limit() {
            store.gc(limit);
        }
    }
    Ok(ShardFile::new(
        which,
        sha256_hex(head.as_bytes()),
        key,
        scans,
        units,
    ))
}

fn shard_units<T: Task>(
    task: &T,
    inputs: &BenchInputs,
    labels: &str,
    reuse: &Reuse<'_>,
    progress: Progress<'_>,
) -> Result<Units, BenchError> {
    let (_, labels_path) = inputs.reference()?;
    task.labels(labels).map_err(|reason| BenchError::Labels {
        path: labels_path.display().to_string(),
        reason,
    })?;
    let scorers = task.scorers(&inputs.spec)?;
    pipeline::score(
        inputs,
        &scorers,
        &|shape, batch| task.layout(shape, batch),
        progress,
        reuse,
    )
    .map(|(units, _)| units)
}

/// Why shards cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// The shards do not fit together, or not this project.
    #[error("{0}")]
    Shards(String),
    /// The project's benchmark inputs are invalid.
    #[error("{0}")]
    Bench(#[from] BenchError),
}

/// The evidence of every shard's units together: the same bytes as one run on one
/// machine. The shards must be all N of one benchmark of this project's inputs (the
/// manifest, models, labels, limits and scans it holds now, each hashed at most once),
/// made under this project's secret. The merged evidence is stored in `cache_dir` as a run's
/// would be.
pub fn merge(
    inputs: &BenchInputs,
    cache_dir: Option<&Path>,
    shards: Vec<ShardFile>,
) -> Result<BenchEvidence, MergeError> {
    let digests = FileDigests::open(cache_dir);
    let head = inputs.key_head(&digests)?;
    let combined =
        ShardFile::combine(shards, &sha256_hex(head.as_bytes())).map_err(MergeError::Shards)?;
    let (units, scans, key) = (combined.units, combined.scans, combined.key);
    // The evidence is of this project's scans: the shards must have scored them.
    let here = scan_digests(inputs, &digests)?;
    if here != scans {
        let differs = here.iter().zip(&scans).find(|(a, b)| a != b).map_or_else(
            || format!("{} scan(s) here, {} in the shards", here.len(), scans.len()),
            |(a, _)| format!("`{}` differs", a.0),
        );
        return Err(MergeError::Shards(format!(
            "the shards scored other reference scans than this project holds ({differs})"
        )));
    }
    let local = inputs.key_finish(&head, &scans, &digests)?;
    if local != key {
        return Err(MergeError::Shards(format!(
            "the shards' benchmark key {} is not the one this project's inputs give ({}): an input the key covers but the shards do not record differs",
            key.get(..12).unwrap_or(&key),
            &local[..12]
        )));
    }
    digests.save();
    if let Some(dir) = cache_dir {
        // Each scan's record and rows, so that a later run reuses them as it would
        // this machine's own (a new model or a changed scan costs only what changed).
        let store = Store::new(dir);
        match Findings::of(&inputs.spec)? {
            Some(task) => store_units(&task, inputs, &store, &units, &scans)?,
            None => store_units(
                &BinaryScore::of(&inputs.spec)?,
                inputs,
                &store,
                &units,
                &scans,
            )?,
        }
        report_remote(Some(&store));
        if let Ok(limit) = super::store::size_limit() {
            store.gc(limit);
        }
    }
    let (ev, _) = of_task(inputs, Source::Units(units), &|| Ok(key.clone()))?;
    if let Some(dir) = cache_dir {
        let _ = cache::store(dir, &ev);
    }
    Ok(ev)
}

/// What a run did with the shared cache, on stderr, when one is in use.
fn report_remote(store: Option<&Store>) {
    if let Some(remote) = store.and_then(Store::remote) {
        remote.report();
    }
}

/// Writes the reading record and each model's row of every scored unit into `store`, as
/// a run that scored them here would (the record's shard is unknown: a sharded run reads
/// the file again). `scans` are the reference set's (file, sha256), indexed as the
/// units. A row is written only with a shape the task's layout accepts, so a row read
/// back is checked as a run's; unreadable scans are not recorded (the benchmark fails
/// on them anyway).
fn store_units<T: Task>(
    task: &T,
    inputs: &BenchInputs,
    store: &Store,
    units: &super::pipeline::Units,
    scans: &[(String, String)],
) -> Result<(), BenchError> {
    use super::pipeline::Unit;
    use super::records::{self, Reading, ShardOf};
    use super::store::Kind;
    let Some(input) = inputs.spec.input.as_ref() else {
        return Ok(());
    };
    let scorers = task.scorers(&inputs.spec)?;
    let limits = inputs.budget.read.scan();
    for (index, unit) in &units.units {
        let Unit::Scan {
            info,
            placement,
            rows,
        } = unit
        else {
            continue;
        };
        let Some((shown, sha256)) = scans.get(*index) else {
            continue;
        };
        let tk = records::tensor_key(sha256, input, &limits);
        for ((row, model), scorer) in rows.iter().zip(&units.models).zip(&scorers) {
            let len = row.len();
            let shape: &[usize] = if task.layout(&[1, len as i64], 1) == Ok(len) {
                &[len]
            } else if len == 1 && task.layout(&[1], 1) == Ok(1) {
                &[]
            } else {
                continue;
            };
            let values: Vec<f32> = row.iter().copied().map(f32::from_bits).collect();
            let key = records::score_key(&tk, model, scorer.output);
            let _ = store.put(Kind::Score, &key, &records::encode_f32(shape, &values));
        }
        let reading = Reading::Read {
            info: info.clone(),
            placement: placement.clone(),
            shard: ShardOf::Unknown,
        };
        let _ = store.put(
            Kind::Read,
            &records::read_key(&tk, shown),
            &reading.encode(),
        );
    }
    Ok(())
}
