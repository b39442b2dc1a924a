//! `scans.*` and `benchmark.*` facts: both read one benchmark run of the reference set,
//! computed on first use or reused from the cache.

use super::{BadInput, FactError, FactProvider, Reads};
use crate::bench::{self, BenchEvidence, BenchInputs, ScanRow};
use crate::metrics::{registry, subgroup};
use clic_compiler::plan::{ModelSpec, Value};
use clic_compiler::schema::metrics::METRICS;
use clic_compiler::schema::Provider;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;

/// Called with (done, total) as scans are scored.
pub type Progress = Box<dyn Fn(usize, usize) + Sync>;

/// How the evidence was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Computed in this run.
    Computed,
    /// Reused from `.clic/cache`: nothing it depends on changed.
    Cached,
}

/// The benchmark shared by the two providers.
pub struct Reference {
    inputs: Option<BenchInputs>,
    cache_dir: Option<PathBuf>,
    progress: Progress,
    rehash: bool,
    state: Option<Result<(BenchEvidence, Provenance), FactError>>,
    counts: RefCell<Option<bench::pipeline::Counts>>,
}

impl Reference {
    /// A benchmark of the manifest's reference set; `cache_dir` is `.clic/cache` (none: no cache).
    pub fn new(
        inputs: Option<BenchInputs>,
        cache_dir: Option<PathBuf>,
        progress: Progress,
    ) -> Rc<RefCell<Self>> {
        Rc::new(RefCell::new(Self {
            inputs,
            cache_dir,
            progress,
            rehash: false,
            state: None,
            counts: RefCell::new(None),
        }))
    }

    /// Hashes every input from its bytes instead of trusting the digest index's stamps
    /// (the release stage and the dossier: their evidence must be of the bytes there are).
    pub fn rehash_inputs(&mut self) {
        self.rehash = true;
    }

    /// The evidence, computing or loading it on first use.
    pub fn evidence(&mut self) -> Result<(&BenchEvidence, Provenance), FactError> {
        if self.state.is_none() {
            self.state = Some(self.obtain());
        }
        match &self.state {
            Some(Ok((ev, p))) => Ok((ev, *p)),
            Some(Err(e)) => Err(e.clone()),
            None => Err(FactError::unavailable("not run")),
        }
    }

    /// The benchmark's inputs, when the project has a manifest.
    pub fn inputs(&self) -> Option<&BenchInputs> {
        self.inputs.as_ref()
    }

    /// What a computed benchmark took from the per-scan cache and what it computed.
    pub fn counts(&self) -> Option<bench::pipeline::Counts> {
        *self.counts.borrow()
    }

    /// The cache folder (`.clic/cache`), if any.
    pub fn cache_dir(&self) -> Option<&std::path::Path> {
        self.cache_dir.as_deref()
    }

    /// How the evidence was obtained, once it has been.
    pub fn provenance(&self) -> Option<Provenance> {
        match &self.state {
            Some(Ok((_, p))) => Some(*p),
            _ => None,
        }
    }

    fn obtain(&self) -> Result<(BenchEvidence, Provenance), FactError> {
        let inputs = self
            .inputs
            .as_ref()
            .ok_or_else(|| FactError::unavailable("the project has no model manifest"))?;
        if inputs.spec.reference.is_none() {
            return Err(FactError::unavailable(
                "the manifest names no reference set",
            ));
        }
        let (ev, counts) = bench::reuse::obtain(
            inputs,
            self.cache_dir.as_deref(),
            self.rehash,
            &*self.progress,
        )
        .map_err(|e| {
            if e.is_invalid_input() {
                FactError::invalid(at_fault(&e), e.to_string())
            } else {
                FactError::unavailable_because(at_fault(&e), e.to_string())
            }
        })?;
        match counts {
            None => Ok((ev, Provenance::Cached)),
            Some(c) => {
                *self.counts.borrow_mut() = Some(c);
                Ok((ev, Provenance::Computed))
            }
        }
    }
}

/// The input a failed benchmark blames: the model when it does not load or run or gives
/// no score per scan, else the reference set.
fn at_fault(e: &bench::BenchError) -> BadInput {
    if e.is_model() {
        BadInput::Model
    } else {
        BadInput::Reference
    }
}

/// What `scans.*` and `benchmark.*` facts read: the benchmark's inputs, that is the
/// model that scores the scans, the reference folder, its labels and the training list.
pub fn inputs(spec: Option<&ModelSpec>) -> Reads {
    let Some(m) = spec else {
        return Reads::Files(Vec::new());
    };
    let mut files = vec![m.artifact.path.clone()];
    if let Some(r) = &m.reference {
        files.push(r.path.clone());
        files.push(r.labels.clone());
    }
    files.extend(m.training_patients.clone());
    files.extend(m.analysis.compare.as_ref().map(|c| c.path.clone()));
    files.extend(m.analysis.readers.as_ref().map(|r| r.path.clone()));
    Reads::Files(files)
}

/// Serves `scans.*`.
pub struct ScansFacts(pub Rc<RefCell<Reference>>);

/// Serves `benchmark.*`.
pub struct BenchmarkFacts(pub Rc<RefCell<Reference>>);

fn strings(items: impl IntoIterator<Item = String>) -> Value {
    let set: BTreeSet<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
    Value::List(set.into_iter().map(Value::String).collect())
}

fn num(n: impl Into<f64>) -> Value {
    Value::Number(n.into())
}

/// A record value of named fields.
pub(super) fn record(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Record(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// How a `scans.*` fact is read from the benchmark's evidence.
type Read = fn(&BenchEvidence) -> Value;

/// The reference set's files whose row satisfies `pred`.
fn files(ev: &BenchEvidence, pred: impl Fn(&ScanRow) -> bool) -> Value {
    Value::List(
        ev.rows
            .iter()
            .filter(|r| pred(r))
            .map(|r| Value::String(r.info.file.clone()))
            .collect(),
    )
}

/// How many distinct values `key` takes over the rows.
fn distinct<T: Ord>(ev: &BenchEvidence, key: impl Fn(&ScanRow) -> T) -> Value {
    num(ev.rows.iter().map(key).collect::<BTreeSet<_>>().len() as f64)
}

/// Every `scans.*` fact, with how it is read.
pub const SCANS: &[(&str, Read)] = &[
    ("scans.count", |ev| {
        num((ev.rows.len() + ev.unreadable.len()) as f64)
    }),
    ("scans.patients", |ev| {
        distinct(ev, |r| r.info.patient_hash.clone())
    }),
    ("scans.studies", |ev| {
        distinct(ev, |r| r.info.study_hash.clone())
    }),
    ("scans.modalities", |ev| {
        strings(ev.rows.iter().map(|r| r.info.modality.clone()))
    }),
    ("scans.manufacturers", |ev| {
        strings(ev.rows.iter().map(|r| r.info.manufacturer.clone()))
    }),
    ("scans.transfer_syntaxes", |ev| {
        strings(ev.rows.iter().map(|r| r.info.transfer_syntax.clone()))
    }),
    ("scans.sizes", |ev| {
        strings(
            ev.rows
                .iter()
                .map(|r| format!("{}x{}", r.info.rows, r.info.columns)),
        )
    }),
    ("scans.unreadable", |ev| {
        Value::List(ev.unreadable.iter().cloned().map(Value::String).collect())
    }),
    ("scans.unlabelled", |ev| match &ev.findings {
        // Several findings per unit: the scans of units labelled for no finding.
        Some(f) => Value::List(
            f.units
                .iter()
                .filter(|u| u.labels.iter().all(Option::is_none))
                .flat_map(|u| u.images.iter().cloned().map(Value::String))
                .collect(),
        ),
        None => files(ev, |r| r.label.is_none()),
    }),
    ("scans.labels_without_file", |ev| {
        Value::List(
            ev.labels_without_file
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        )
    }),
    ("scans.deid.findings", |ev| {
        Value::List(
            ev.rows
                .iter()
                .flat_map(|r| {
                    r.info.deid.findings.iter().map(|f| {
                        record([
                            ("file", Value::String(r.info.file.clone())),
                            ("tag", Value::String(f.tag.clone())),
                            ("keyword", Value::String(f.keyword.clone())),
                            ("action", Value::String(f.action.clone())),
                        ])
                    })
                })
                .collect(),
        )
    }),
    ("scans.deid.files_with_identifiers", |ev| {
        num(ev
            .rows
            .iter()
            .filter(|r| !r.info.deid.findings.is_empty())
            .count() as f64)
    }),
    ("scans.deid.identity_removed", |ev| {
        Value::Bool(ev.rows.iter().all(|r| r.info.deid.identity_removed))
    }),
    ("scans.deid.method_declared", |ev| {
        Value::Bool(ev.rows.iter().all(|r| r.info.deid.method_declared))
    }),
    ("scans.deid.burned_in_annotation", |ev| {
        files(ev, |r| {
            r.info.deid.burned_in_annotation.as_deref() != Some("NO")
        })
    }),
    ("scans.deid.private_tags", |ev| {
        num(ev
            .rows
            .iter()
            .filter(|r| r.info.deid.private_tags > 0)
            .count() as f64)
    }),
    ("scans.leakage.patients", |ev| {
        num(ev.leakage_patients as f64)
    }),
    ("scans.leakage.studies", |ev| num(ev.leakage_studies as f64)),
];

impl FactProvider for ScansFacts {
    fn provider(&self) -> Provider {
        Provider::Scans
    }

    fn serves(&self) -> Vec<String> {
        SCANS.iter().map(|(p, _)| p.to_string()).collect()
    }

    fn fact(&mut self, path: &str, _: &[Value]) -> Result<Value, FactError> {
        let mut r = self.0.borrow_mut();
        let (ev, _) = r.evidence()?;
        match SCANS.iter().find(|(p, _)| *p == path) {
            Some((_, read)) => Ok(read(ev)),
            None => Err(FactError::unavailable(format!(
                "`{path}` is not a scans fact"
            ))),
        }
    }
}

/// The `benchmark.*` facts of the counts and the threshold, as
/// [`registry::counts`] names them; every metric of the registry is one more, and
/// [`BY`] the metrics per subgroup.
pub const COUNTS: [&str; 8] = [
    "benchmark.n",
    "benchmark.positives",
    "benchmark.negatives",
    "benchmark.threshold",
    "benchmark.tp",
    "benchmark.fp",
    "benchmark.tn",
    "benchmark.fn",
];

/// The benchmark's metrics per value of a DICOM attribute.
pub const BY: &str = "benchmark.by";

/// The backend that produced the evidence.
pub const BACKEND: [&str; 2] = ["benchmark.backend.name", "benchmark.backend.version"];

/// The robustness study's facts.
pub const ROBUSTNESS: [&str; 2] = ["benchmark.robustness", "benchmark.robustness.largest_drop"];

/// A robustness fact: an empty list and none without a study.
fn robustness_fact(ev: &BenchEvidence, path: &str) -> Option<Value> {
    let opt_num = |n: Option<f64>| n.map_or(Value::Null, Value::Number);
    match path {
        "benchmark.robustness" => Some(Value::List(
            ev.robustness
                .iter()
                .flat_map(|r| &r.rows)
                .map(|r| {
                    record([
                        ("perturbation", Value::String(r.perturbation.clone())),
                        ("units", num(r.units as f64)),
                        ("unreadable", num(r.unreadable as f64)),
                        ("auc", opt_num(r.auc)),
                        ("sensitivity", opt_num(r.sensitivity)),
                        ("specificity", opt_num(r.specificity)),
                        ("delta_auc", opt_num(r.delta_auc)),
                        ("delta_sensitivity", opt_num(r.delta_sensitivity)),
                        ("delta_specificity", opt_num(r.delta_specificity)),
                    ])
                })
                .collect(),
        )),
        "benchmark.robustness.largest_drop" => {
            Some(opt_num(ev.robustness.as_ref().and_then(|r| r.largest_drop)))
        }
        _ => None,
    }
}

/// The comparison of the evidence's backend with the declared runtime.
pub const EQUIVALENCE: [&str; 8] = [
    "benchmark.equivalence.backend",
    "benchmark.equivalence.version",
    "benchmark.equivalence.tolerance",
    "benchmark.equivalence.units",
    "benchmark.equivalence.max_abs_diff",
    "benchmark.equivalence.flips",
    "benchmark.equivalence.within_tolerance",
    "benchmark.equivalence.unavailable",
];

/// An equivalence fact: none when no comparison was wanted (the evidence is of the
/// declared runtime, or the manifest gives no tolerance).
fn equivalence_fact(ev: &BenchEvidence, path: &str) -> Option<Value> {
    let field = path.strip_prefix("benchmark.equivalence.")?;
    let Some(eq) = &ev.equivalence else {
        return Some(Value::Null);
    };
    let opt_num = |n: Option<f64>| n.map_or(Value::Null, Value::Number);
    Some(match field {
        "backend" => Value::String(eq.backend.clone()),
        "version" if eq.version.is_empty() => Value::Null,
        "version" => Value::String(eq.version.clone()),
        "tolerance" => num(eq.tolerance),
        "units" => num(eq.units as f64),
        "max_abs_diff" => opt_num(eq.max_abs_diff),
        "flips" => opt_num(eq.flips.map(|f| f as f64)),
        "within_tolerance" => Value::Bool(eq.within_tolerance),
        "unavailable" => eq.unavailable.clone().map_or(Value::Null, Value::String),
        _ => return None,
    })
}

/// The backend facts: its name from the evidence, its version from
/// [`crate::engine::version_of`].
fn backend_fact(ev: &BenchEvidence, path: &str) -> Option<Value> {
    match path {
        "benchmark.backend.name" => Some(Value::String(ev.backend.clone())),
        "benchmark.backend.version" => Some(
            crate::engine::version_of(&ev.backend)
                .map_or(Value::Null, |v| Value::String(v.to_string())),
        ),
        _ => None,
    }
}

impl FactProvider for BenchmarkFacts {
    fn provider(&self) -> Provider {
        Provider::Benchmark
    }

    fn serves(&self) -> Vec<String> {
        let metrics = METRICS.iter().map(|d| d.fact);
        COUNTS
            .into_iter()
            .chain([BY])
            .chain(BACKEND)
            .chain(EQUIVALENCE)
            .chain(ROBUSTNESS)
            .chain(metrics)
            .chain(super::findings::FACTS)
            .chain(super::prevalence::FACTS)
            .chain(super::segmentation::FACTS)
            .map(str::to_string)
            .collect()
    }

    fn fact(&mut self, path: &str, args: &[Value]) -> Result<Value, FactError> {
        let mut r = self.0.borrow_mut();
        let threshold = r
            .inputs
            .as_ref()
            .and_then(|i| i.spec.output.as_ref())
            .map(|o| (o.threshold, o.inclusive));
        let prevalences = r
            .inputs
            .as_ref()
            .map(|i| i.spec.prevalence.clone())
            .unwrap_or_default();
        let structure_claims = r
            .inputs
            .as_ref()
            .map(|i| i.spec.structure_claims.clone())
            .unwrap_or_default();
        let (ev, _) = r.evidence()?;
        if let Some(v) = backend_fact(ev, path)
            .or_else(|| equivalence_fact(ev, path))
            .or_else(|| robustness_fact(ev, path))
        {
            return Ok(v);
        }
        if super::segmentation::FACTS.contains(&path) {
            let claims: Vec<super::segmentation::Claim<'_>> = structure_claims
                .iter()
                .map(|c| super::segmentation::Claim {
                    structure: &c.structure,
                    metric: &c.metric,
                    bound: c.bound,
                })
                .collect();
            return Ok(match (path, &ev.segmentation) {
                ("benchmark.series.without_mask", Some(s)) => num(s.series_without_mask as f64),
                ("benchmark.series.without_mask", None) => Value::Null,
                (_, Some(s)) => super::segmentation::structures(s, &claims),
                (_, None) => Value::List(Vec::new()),
            });
        }
        if let Some(s) = &ev.segmentation {
            if path == "benchmark.n" {
                return Ok(num(s.cases.len() as f64));
            }
            return Err(FactError::unavailable(format!(
                "the model segments {} structure(s) per series: read their metrics in `benchmark.segmentation`",
                s.structures.len()
            )));
        }
        if !ev.unreadable.is_empty() {
            let first = ev
                .unreadable
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            return Err(FactError::invalid(
                BadInput::Reference,
                format!(
                "{} reference scan(s) cannot be read or decoded, so the benchmark fails: {first}",
                ev.unreadable.len()
            ),
            ));
        }
        if let Some(v) = super::findings::fact(ev, path) {
            if path == "benchmark.findings" {
                return Ok(super::prevalence::findings(v, ev, &prevalences));
            }
            return Ok(v);
        }
        if let Some(f) = &ev.findings {
            if path == "benchmark.n" {
                return Ok(num(ev.rows.len() as f64));
            }
            if ev.overall.is_none() {
                return Err(FactError::unavailable(format!(
                    "the model reports {} findings per {}: read each finding's metrics in `benchmark.findings` (and its subgroups in their `subgroups`)",
                    f.findings.len(),
                    f.unit
                )));
            }
        }
        let overall = ev.overall.as_ref().ok_or_else(|| {
            FactError::unavailable("no reference scan is both labelled and scored")
        })?;
        if let (Some(f), true) = (&ev.findings, path == BY) {
            // One finding per unit: its subgroups, by the attribute asked for.
            let Some(Value::String(attribute)) = args.first() else {
                return Err(FactError::unavailable(
                    "`benchmark.by` needs an attribute name",
                ));
            };
            let infos = ev
                .rows
                .iter()
                .map(|r| (r.info.file.as_str(), &r.info))
                .collect();
            let all = super::findings::subgroups(f, 0, &f.findings[0], &infos);
            return Ok(Value::List(
                all.into_iter()
                    .filter(|g| matches!(g, Value::Record(r) if r.get("attribute") == Some(&Value::String(attribute.clone()))))
                    .collect(),
            ));
        }
        if path == BY {
            let Some(Value::String(attribute)) = args.first() else {
                return Err(FactError::unavailable(
                    "`benchmark.by` needs an attribute name",
                ));
            };
            let groups = bench::group_by(&ev.rows, attribute).ok_or_else(|| {
                FactError::unavailable(format!(
                    "cannot group by `{attribute}`; clic groups by {}",
                    bench::GROUPS.join(", ")
                ))
            })?;
            let (t, inclusive) = threshold.unwrap_or((overall.threshold, overall.inclusive));
            // Each group against the rest of the scored scans: images are the units here,
            // taken as independent (Newcombe's interval), as the overall intervals are.
            let scored: Vec<(String, crate::metrics::Metrics)> = groups
                .into_iter()
                .filter_map(|(value, rows)| {
                    Some((value, bench::score_metrics(rows, t, inclusive)?))
                })
                .collect();
            let table: Vec<subgroup::Counts> = scored
                .iter()
                .map(|(_, m)| subgroup::Counts::of(m))
                .collect();
            let vs_rest = subgroup::against_rest(&table);
            let subgroups = scored
                .iter()
                .zip(&vs_rest)
                .map(|((value, m), ds)| registry::subgroup(attribute, value, m, ds))
                .collect();
            return Ok(Value::List(subgroups));
        }
        let declared_here = super::prevalence::of_overall(ev, &prevalences);
        if let Some(v) = super::prevalence::fact(overall, path, declared_here) {
            return Ok(v);
        }
        let declared = COUNTS.contains(&path) || METRICS.iter().any(|d| d.fact == path);
        path.strip_prefix("benchmark.")
            .filter(|_| declared)
            .and_then(|name| registry::fact(overall, name))
            .ok_or_else(|| FactError::unavailable(format!("`{path}` is not a benchmark fact")))
    }
}
