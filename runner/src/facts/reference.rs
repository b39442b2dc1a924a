//! `scans.*` and `benchmark.*` facts: both read one benchmark run of the reference set,
//! computed on first use or reused from the cache.

use super::{BadInput, FactError, FactProvider};
use crate::bench::{self, cache, BenchEvidence, BenchInputs, ScanRow};
use crate::metrics::registry;
use clic_compiler::plan::Value;
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
        let mut digests = cache::FileDigests::open(self.cache_dir.as_deref());
        if self.rehash {
            digests = digests.rehashing();
        }
        let key = inputs
            .cache_key(&digests)
            .map_err(|e| FactError::invalid(at_fault(&e), e.to_string()))?;
        digests.save();
        if let Some(dir) = &self.cache_dir {
            if let Some(ev) = cache::load(dir, &key) {
                return Ok((ev, Provenance::Cached));
            }
        }
        let ev = bench::run(inputs, key, &*self.progress).map_err(|e| {
            if e.is_invalid_input() {
                FactError::invalid(at_fault(&e), e.to_string())
            } else {
                FactError::unavailable_because(at_fault(&e), e.to_string())
            }
        })?;
        if let Some(dir) = &self.cache_dir {
            let _ = cache::store(dir, &ev);
        }
        Ok((ev, Provenance::Computed))
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

fn record(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Record(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

impl FactProvider for ScansFacts {
    fn provider(&self) -> Provider {
        Provider::Scans
    }

    fn fact(&mut self, path: &str, _: &[Value]) -> Result<Value, FactError> {
        let mut r = self.0.borrow_mut();
        let (ev, _) = r.evidence()?;
        let rows = &ev.rows;
        let files = |pred: &dyn Fn(&ScanRow) -> bool| {
            Value::List(
                rows.iter()
                    .filter(|r| pred(r))
                    .map(|r| Value::String(r.info.file.clone()))
                    .collect(),
            )
        };
        Ok(match path {
            "scans.count" => num((rows.len() + ev.unreadable.len()) as f64),
            "scans.patients" => num(rows
                .iter()
                .map(|r| &r.info.patient_hash)
                .collect::<BTreeSet<_>>()
                .len() as f64),
            "scans.studies" => num(rows
                .iter()
                .map(|r| &r.info.study_hash)
                .collect::<BTreeSet<_>>()
                .len() as f64),
            "scans.modalities" => strings(rows.iter().map(|r| r.info.modality.clone())),
            "scans.manufacturers" => strings(rows.iter().map(|r| r.info.manufacturer.clone())),
            "scans.transfer_syntaxes" => {
                strings(rows.iter().map(|r| r.info.transfer_syntax.clone()))
            }
            "scans.sizes" => strings(
                rows.iter()
                    .map(|r| format!("{}x{}", r.info.rows, r.info.columns)),
            ),
            "scans.unreadable" => {
                Value::List(ev.unreadable.iter().cloned().map(Value::String).collect())
            }
            "scans.unlabelled" => files(&|r| r.label.is_none()),
            "scans.labels_without_file" => Value::List(
                ev.labels_without_file
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            ),
            "scans.deid.findings" => Value::List(
                rows.iter()
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
            ),
            "scans.deid.files_with_identifiers" => num(rows
                .iter()
                .filter(|r| !r.info.deid.findings.is_empty())
                .count() as f64),
            "scans.deid.identity_removed" => {
                Value::Bool(rows.iter().all(|r| r.info.deid.identity_removed))
            }
            "scans.deid.method_declared" => {
                Value::Bool(rows.iter().all(|r| r.info.deid.method_declared))
            }
            "scans.deid.burned_in_annotation" => {
                files(&|r| r.info.deid.burned_in_annotation.as_deref() != Some("NO"))
            }
            "scans.deid.private_tags" => {
                num(rows.iter().filter(|r| r.info.deid.private_tags > 0).count() as f64)
            }
            "scans.leakage.patients" => num(ev.leakage_patients as f64),
            "scans.leakage.studies" => num(ev.leakage_studies as f64),
            other => {
                return Err(FactError::unavailable(format!(
                    "`{other}` is not a scans fact"
                )))
            }
        })
    }
}

impl FactProvider for BenchmarkFacts {
    fn provider(&self) -> Provider {
        Provider::Benchmark
    }

    fn fact(&mut self, path: &str, args: &[Value]) -> Result<Value, FactError> {
        let mut r = self.0.borrow_mut();
        let threshold = r
            .inputs
            .as_ref()
            .and_then(|i| i.spec.output.as_ref())
            .map(|o| (o.threshold, o.inclusive));
        let (ev, _) = r.evidence()?;
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
        let overall = ev.overall.as_ref().ok_or_else(|| {
            FactError::unavailable("no reference scan is both labelled and scored")
        })?;
        let name = path.strip_prefix("benchmark.").unwrap_or(path);
        if name == "by" {
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
            let subgroups = groups
                .into_iter()
                .filter_map(|(value, rows)| {
                    let m = bench::score_metrics(rows, t, inclusive)?;
                    Some(registry::subgroup(attribute, &value, &m))
                })
                .collect();
            return Ok(Value::List(subgroups));
        }
        registry::fact(overall, name)
            .ok_or_else(|| FactError::unavailable(format!("`{path}` is not a benchmark fact")))
    }
}
