//! Several findings per unit of analysis: each finding's probability read from an
//! element of the model's output row (through its activation), the images grouped into
//! units (image, study or patient) whose scores the aggregation rule makes, labels per
//! image or per study and finding, and per finding every metric of the registry at the
//! unit level. When a patient contributes several units, the intervals of sensitivity,
//! specificity and AUC come from a patient-clustered bootstrap
//! ([`crate::metrics::cluster`]); the macro averages always do. With a `compare`
//! statement the released version is scored on the same scans in the same pass and
//! compared unit by unit ([`compare`]).

pub mod compare;
pub mod labels;
mod predictions;
pub mod readers;
pub mod units;

use super::{Provenance, Task};
use crate::bench::pipeline::{Inferred, Scorer};
use crate::bench::{
    leakage, row_len, BenchError, BenchEvidence, BenchInputs, ScanRow, EVIDENCE_FORMAT,
};
use crate::metrics::cluster::{self, Finding as ClusterFinding, Operating, Resampling, Unit};
use crate::metrics::{self, Estimate, Metrics, Scored};
use clic_compiler::plan::{Activation, FindingSpec, ModelSpec, UnitSpec};
use clic_compiler::schema::metrics::metric;
pub use compare::Comparison;
use labels::FindingLabels;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use units::{Image, UnitRow};

/// What a multi-finding benchmark establishes, beside the per-scan rows of
/// [`BenchEvidence`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingsEvidence {
    /// The unit of analysis: image, study or patient.
    pub unit: String,
    /// How a unit's score is made from its images', as the manifest says it.
    pub aggregate: String,
    /// What the labels file's rows are keyed by.
    pub label_key: String,
    /// Every unit, sorted by its first image's file.
    pub units: Vec<UnitRow>,
    /// Patients the units belong to.
    pub patients: u64,
    /// Whether some patient has more than one unit (so intervals are clustered).
    pub clustered: bool,
    /// The bootstrap behind the clustered intervals and the macro averages.
    pub resampling: Resampling,
    /// Each finding, in the manifest's order.
    pub findings: Vec<FindingResult>,
    /// The macro averages over findings (patient-clustered bootstrap intervals).
    pub macro_average: MacroAverage,
    /// The micro averages: every (unit, finding) pair pooled, each called at its
    /// finding's threshold, the AUC over the pooled probabilities (patient-clustered
    /// bootstrap intervals: the pairs of one patient are resampled together).
    #[serde(default)]
    pub micro_average: MacroAverage,
    /// Columns of the labels file that name no finding of the manifest.
    pub unknown_findings: Vec<String>,
    /// Findings of the manifest the labels file has no column for.
    pub missing_findings: Vec<String>,
    /// Rows of the labels file that match no scan (counted: their keys may be UIDs).
    pub labels_without_unit: u64,
    /// The comparison with the released version, when the manifest names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<Comparison>,
    /// The comparison with the readers, when the manifest names their reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readers: Option<readers::ReadersComparison>,
}

/// One finding's result at the unit level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingResult {
    /// Its name.
    pub name: String,
    /// Its operating threshold and whether it is inclusive.
    pub threshold: f64,
    /// Whether a probability equal to the threshold is positive.
    pub inclusive: bool,
    /// What a positive means.
    pub positive: String,
    /// Units scored but not labelled for it.
    pub unlabelled: u64,
    /// Its metrics over the labelled units; none when there are none.
    pub metrics: Option<Metrics>,
    /// The manifest's claims on it that the evidence does not meet, as `metric bound`.
    pub claims_unmet: Vec<String>,
    /// How many claims the manifest makes on it.
    pub claimed: u64,
}

/// Averages over findings (the unweighted mean of the findings', or the pooled figure),
/// each with its clustered bootstrap interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MacroAverage {
    /// Mean sensitivity.
    pub sensitivity: Option<Estimate>,
    /// Mean specificity.
    pub specificity: Option<Estimate>,
    /// Mean ROC AUC.
    pub auc: Option<Estimate>,
}

/// The multi-finding task of a manifest.
#[derive(Debug, Clone)]
pub struct Findings {
    findings: Vec<FindingSpec>,
    unit: UnitSpec,
    spec: ModelSpec,
}

impl Findings {
    /// The task of a manifest with a `findings` block or a `unit` (the one-finding short
    /// form scored per study is one finding, named `finding`); none for the short form
    /// scored per image.
    pub fn of(spec: &ModelSpec) -> Result<Option<Self>, BenchError> {
        let a = &spec.analysis;
        if a.findings.is_empty() && a.unit.is_none() {
            return Ok(None);
        }
        let findings = if a.findings.is_empty() {
            let o = spec.output.as_ref().ok_or_else(|| {
                BenchError::Manifest("the manifest has no `output` or `findings`".to_string())
            })?;
            vec![FindingSpec {
                name: "finding".to_string(),
                tensor: o.tensor.clone(),
                index: o.index.unwrap_or(0),
                activation: Activation::Probability,
                threshold: o.threshold,
                inclusive: o.inclusive,
                positive: o.positive.clone(),
            }]
        } else {
            a.findings.clone()
        };
        // The compiler refuses findings of two outputs (E016, on the finding); a plan
        // built some other way is still refused here rather than misread.
        if let Some(other) = findings.iter().find(|f| f.tensor != findings[0].tensor) {
            return Err(BenchError::Manifest(format!(
                "the findings are read from two outputs (`{}` and `{}`); clic reads the findings of one run from one output tensor",
                findings[0].tensor, other.tensor
            )));
        }
        let unit = a.unit.clone().unwrap_or(UnitSpec {
            level: clic_compiler::plan::Level::Image,
            aggregate: "max".to_string(),
            view: None,
        });
        Ok(Some(Self {
            findings,
            unit,
            spec: spec.clone(),
        }))
    }

    /// The output tensor every finding is read from.
    pub fn output(&self) -> &str {
        &self.findings[0].tensor
    }

    fn names(&self) -> Vec<String> {
        self.findings.iter().map(|f| f.name.clone()).collect()
    }

    /// Each finding's probability from a row of the output.
    fn probabilities(&self, row: &[f32]) -> Option<Vec<f64>> {
        self.findings
            .iter()
            .map(|f| f.activation.apply(row, f.index))
            .collect()
    }

    fn aggregate_text(&self) -> String {
        let rule = self.unit.aggregate.clone();
        match &self.unit.view {
            Some(v) => format!(
                "view {} {} else {rule}",
                v.attribute,
                v.values
                    .iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => rule,
        }
    }
}

impl Task for Findings {
    type Labels = FindingLabels;
    type Evidence = BenchEvidence;

    fn labels(&self, text: &str) -> Result<FindingLabels, String> {
        let l = labels::parse(text, &self.names())?;
        labels::check_scored(l.key, super::series::applies(&self.spec))?;
        Ok(l)
    }

    fn layout(&self, shape: &[i64], batch: usize) -> Result<usize, String> {
        let per = row_len(self.output(), shape, batch)?;
        for f in &self.findings {
            let needed = match &f.activation {
                Activation::Softmax { over } => over.iter().copied().max().unwrap_or(f.index),
                _ => f.index,
            };
            if needed as usize >= per {
                return Err(format!(
                    "the finding `{}` reads element {needed} of the output `{}`, but each scan has {per} value(s); elements count from 0",
                    f.name,
                    self.output()
                ));
            }
        }
        Ok(per)
    }

    fn scorers<'a>(&'a self, spec: &'a ModelSpec) -> Result<Vec<Scorer<'a>>, BenchError> {
        let mut out = vec![Scorer {
            path: &spec.artifact.path,
            output: self.output(),
        }];
        if let Some(c) = spec.analysis.compare.as_ref().filter(|c| !c.predictions) {
            out.push(Scorer {
                path: &c.path,
                output: self.output(),
            });
        }
        Ok(out)
    }

    fn evidence(
        &self,
        inputs: &BenchInputs,
        labels: FindingLabels,
        inferred: Inferred,
        provenance: Provenance,
    ) -> Result<BenchEvidence, BenchError> {
        let released_rows = inferred.others.first().map(|o| &o.rows);
        // The released version's predictions, when the manifest gives them as a file.
        let predictions = match self
            .spec
            .analysis
            .compare
            .as_ref()
            .filter(|c| c.predictions)
        {
            Some(c) => Some(predictions::read(inputs, &c.path, &self.names())?),
            None => None,
        };
        let mut nonfinite = Vec::new();
        let mut images = Vec::with_capacity(inferred.scans.len());
        for (k, ((info, row), placement)) in
            inferred.scans.iter().zip(&inferred.placements).enumerate()
        {
            let scores = self.probabilities(row).unwrap_or_default();
            let released = match &predictions {
                Some(p) => Some(p.of(&info.file)?),
                None => released_rows
                    .and_then(|r| r.get(k))
                    .and_then(|r| self.probabilities(r)),
            };
            if scores
                .iter()
                .chain(released.iter().flatten())
                .any(|s| !s.is_finite())
            {
                nonfinite.push(info.file.clone());
            }
            images.push(Image {
                info,
                placement,
                scores,
                released,
            });
        }
        if !nonfinite.is_empty() {
            nonfinite.sort();
            return Err(BenchError::NonFinite {
                files: nonfinite,
                total: images.len(),
            });
        }
        let (units, labels_without_unit) = units::units(&images, &self.unit, &labels)?;
        let reads = match &self.spec.analysis.readers {
            Some(r) => Some(self.reads(inputs, &r.path, &images, &units)?),
            None => None,
        };
        let mut rows: Vec<ScanRow> = inferred
            .scans
            .iter()
            .map(|(info, _)| ScanRow {
                info: info.clone(),
                label: None,
                score: None,
            })
            .collect();
        rows.sort_by(|a, b| a.info.file.cmp(&b.info.file));
        let (leakage_patients, leakage_studies) = match &inputs.spec.training_patients {
            Some(t) => leakage(
                &inputs.dir.join(t),
                inputs.budget.read.max_list_bytes,
                &rows,
            )?,
            None => (0, 0),
        };
        let mut findings_evidence = self.assess(units, labels, labels_without_unit, reads)?;
        if let Some(c) = findings_evidence.compare.as_mut() {
            c.model_sha256 = match (&predictions, inferred.others.first()) {
                (Some(p), _) => p.sha256.clone(),
                (None, Some(other)) => other.model_sha256.clone(),
                (None, None) => String::new(),
            };
        }
        Ok(BenchEvidence {
            format: EVIDENCE_FORMAT,
            key: provenance.key,
            clic_version: env!("CARGO_PKG_VERSION").to_string(),
            model_sha256: inferred.model_sha256,
            labels_sha256: provenance.labels_sha256,
            backend: crate::engine::backend().name().to_string(),
            rows,
            unreadable: inferred.unreadable,
            labels_without_file: Vec::new(),
            leakage_patients,
            leakage_studies,
            // The short form scored per study: its one finding is the benchmark's.
            overall: if self.spec.analysis.findings.is_empty() {
                findings_evidence.findings[0].metrics.clone()
            } else {
                None
            },
            findings: Some(findings_evidence),
            equivalence: None,
            robustness: None,
            segmentation: None,
        })
    }
}

/// The readers' CSV, read and matched to the units.
struct Reads {
    path: String,
    sha256: String,
    table: readers::ReaderTable,
    resolved: Vec<readers::Resolved>,
}

impl Findings {
    /// Reads the readers' CSV at `path` (relative to the manifest) and matches its rows
    /// to the units: by file (the unit of that image), SOPInstanceUID (likewise) or
    /// StudyInstanceUID (the unit of that study), each UID by its pseudonym.
    fn reads(
        &self,
        inputs: &BenchInputs,
        path: &str,
        images: &[Image<'_>],
        units: &[UnitRow],
    ) -> Result<Reads, BenchError> {
        let fail = |reason: String| BenchError::Readers {
            path: path.to_string(),
            reason,
        };
        let text =
            crate::bench::read_list(&inputs.dir.join(path), inputs.budget.read.max_list_bytes)?;
        let table = readers::parse(&text, &self.names()).map_err(fail)?;
        readers::check_key(table.key, self.unit.level).map_err(fail)?;
        labels::check_scored(table.key, super::series::applies(&self.spec)).map_err(fail)?;
        let mut unit_of_file: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, u) in units.iter().enumerate() {
            for f in &u.images {
                unit_of_file.insert(f.as_str(), i);
            }
        }
        let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
        for img in images {
            let Some(&u) = unit_of_file.get(img.info.file.as_str()) else {
                continue;
            };
            let key = match table.key {
                labels::KeyKind::File => img.info.file.clone(),
                labels::KeyKind::Sop | labels::KeyKind::Series => img.placement.sop_hash.clone(),
                labels::KeyKind::Study => img.info.study_hash.clone(),
            };
            if !key.is_empty() {
                by_key.insert(key, u);
            }
        }
        let resolved = readers::resolve(&table, |k| by_key.get(k).copied()).map_err(fail)?;
        Ok(Reads {
            path: path.to_string(),
            sha256: crate::facts::artifact::sha256_hex(text.as_bytes()),
            table,
            resolved,
        })
    }

    /// The metrics of every finding over the units, the clustered intervals, the macro
    /// averages, the claims' verdicts and the comparisons.
    fn assess(
        &self,
        units: Vec<UnitRow>,
        labels: FindingLabels,
        labels_without_unit: u64,
        reads: Option<Reads>,
    ) -> Result<FindingsEvidence, BenchError> {
        // Clusters: patients by pseudonym, numbered in the units' order (by file, so the
        // same under every project secret); a unit without a patient is its own.
        let mut clusters: BTreeMap<String, u32> = BTreeMap::new();
        let cluster_of: Vec<u32> = units
            .iter()
            .map(|u| {
                let key = if u.patient.is_empty() {
                    format!("unit:{}", u.key)
                } else {
                    u.patient.clone()
                };
                let next = clusters.len() as u32;
                *clusters.entry(key).or_insert(next)
            })
            .collect();
        let k = clusters.len() as u32;
        let clustered = (k as usize) < units.len();
        let resampling = Resampling::default();
        let per_finding: Vec<Vec<Unit>> = (0..self.findings.len())
            .map(|f| {
                units
                    .iter()
                    .zip(&cluster_of)
                    .filter_map(|(u, &cluster)| {
                        Some(Unit {
                            cluster,
                            label: u.labels[f]?,
                            score: u.scores[f],
                        })
                    })
                    .collect()
            })
            .collect();
        let bootstrap = if k == 0 {
            None
        } else {
            let designs: Vec<ClusterFinding<'_>> = per_finding
                .iter()
                .zip(&self.findings)
                .map(|(units, f)| ClusterFinding {
                    units,
                    operating: Operating {
                        threshold: f.threshold,
                        inclusive: f.inclusive,
                    },
                })
                .collect();
            Some(
                cluster::findings_intervals(&designs, k, resampling)
                    .map_err(|e| BenchError::Output(e.to_string()))?,
            )
        };
        let mut findings = Vec::with_capacity(self.findings.len());
        for (f, spec) in self.findings.iter().enumerate() {
            let cases: Vec<Scored> = per_finding[f]
                .iter()
                .map(|u| Scored {
                    label: u.label,
                    score: u.score,
                })
                .collect();
            let mut m = (!cases.is_empty())
                .then(|| metrics::compute(&cases, spec.threshold, spec.inclusive));
            if let (Some(m), Some(b), true) = (m.as_mut(), &bootstrap, clustered) {
                let iv = &b.findings[f];
                clustered_interval(&mut m.sensitivity, iv.sensitivity);
                clustered_interval(&mut m.specificity, iv.specificity);
                if let Some(auc) = m.auc.as_mut() {
                    clustered_interval(auc, iv.auc);
                }
            }
            let claims = self
                .spec
                .analysis
                .finding_claims
                .get(&spec.name)
                .cloned()
                .unwrap_or_default();
            findings.push(FindingResult {
                name: spec.name.clone(),
                threshold: spec.threshold,
                inclusive: spec.inclusive,
                positive: spec.positive.clone(),
                unlabelled: (units.len() - per_finding[f].len()) as u64,
                claims_unmet: unmet(&claims, m.as_ref()),
                claimed: claims.len() as u64,
                metrics: m,
            });
        }
        let n = units.len() as u64;
        let macro_average = MacroAverage {
            sensitivity: bootstrap
                .as_ref()
                .and_then(|b| b.macro_average.sensitivity)
                .map(|i| estimate(i, n)),
            specificity: bootstrap
                .as_ref()
                .and_then(|b| b.macro_average.specificity)
                .map(|i| estimate(i, n)),
            auc: bootstrap
                .as_ref()
                .and_then(|b| b.macro_average.auc)
                .map(|i| estimate(i, n)),
        };
        let micro_average = if k == 0 {
            MacroAverage::default()
        } else {
            micro(&per_finding, &self.findings, k, resampling)?
        };
        let compare = match &self.spec.analysis.compare {
            Some(c) => Some(compare::compare(
                c,
                &self.findings,
                &self.spec.analysis.noninferiority,
                &units,
                &cluster_of,
                k,
                resampling,
            )?),
            None => None,
        };
        let readers = match reads {
            Some(r) => {
                let margins = &self.spec.analysis.readers_noninferiority;
                let design = readers::Design {
                    findings: &self.findings,
                    margins,
                    units: &units,
                    cluster_of: &cluster_of,
                    clusters: k,
                    resampling,
                };
                let findings =
                    readers::compare(&r.table, &r.resolved, &design).map_err(|reason| {
                        BenchError::Readers {
                            path: r.path.clone(),
                            reason,
                        }
                    })?;
                let (unverified_margins, noninferior) = readers::verdict(&findings, margins);
                Some(readers::ReadersComparison {
                    path: r.path,
                    sha256: r.sha256,
                    key: r.table.key.as_str().to_string(),
                    readers: r.table.readers.clone(),
                    rows: r.table.rows.len() as u64,
                    findings,
                    margins: margins.clone(),
                    unverified_margins,
                    noninferior,
                })
            }
            None => None,
        };
        Ok(FindingsEvidence {
            unit: self.unit.level.as_str().to_string(),
            aggregate: self.aggregate_text(),
            label_key: labels.key.as_str().to_string(),
            patients: clusters.keys().filter(|c| !c.starts_with("unit:")).count() as u64,
            clustered,
            resampling,
            units,
            findings,
            macro_average,
            micro_average,
            unknown_findings: labels.unknown_findings,
            missing_findings: labels.missing_findings,
            labels_without_unit,
            compare,
            readers,
        })
    }
}

/// The micro averages of the findings' units: sensitivity and specificity of the pooled
/// calls (each finding at its own operating point), the AUC of the pooled probabilities,
/// both from the same resampled patients.
fn micro(
    per_finding: &[Vec<Unit>],
    findings: &[FindingSpec],
    clusters: u32,
    resampling: Resampling,
) -> Result<MacroAverage, BenchError> {
    let called = |u: &Unit, f: &FindingSpec| {
        if f.inclusive {
            u.score >= f.threshold
        } else {
            u.score > f.threshold
        }
    };
    let calls: Vec<Unit> = per_finding
        .iter()
        .zip(findings)
        .flat_map(|(units, f)| {
            units.iter().map(move |u| Unit {
                score: if called(u, f) { 1.0 } else { 0.0 },
                ..*u
            })
        })
        .collect();
    let pooled: Vec<Unit> = per_finding.iter().flatten().copied().collect();
    let at_half = Operating {
        threshold: 0.5,
        inclusive: true,
    };
    let designs = [
        ClusterFinding {
            units: &calls,
            operating: at_half,
        },
        ClusterFinding {
            units: &pooled,
            operating: at_half,
        },
    ];
    let b = cluster::findings_intervals(&designs, clusters, resampling)
        .map_err(|e| BenchError::Output(e.to_string()))?;
    let n = pooled.len() as u64;
    Ok(MacroAverage {
        sensitivity: b.findings[0].sensitivity.map(|i| estimate(i, n)),
        specificity: b.findings[0].specificity.map(|i| estimate(i, n)),
        auc: b.findings[1].auc.map(|i| estimate(i, n)),
    })
}

/// Replaces an estimate's interval by the clustered bootstrap's (an undefined bootstrap
/// interval leaves the estimate's own, which then says so by its method).
fn clustered_interval(e: &mut Estimate, iv: Option<cluster::Interval>) {
    if let Some(iv) = iv {
        e.low = iv.low;
        e.high = iv.high;
        e.method = cluster::METHOD.to_string();
    }
}

/// An estimate from a bootstrap interval over `n` units.
fn estimate(iv: cluster::Interval, n: u64) -> Estimate {
    Estimate {
        value: iv.value,
        n,
        successes: None,
        low: iv.low,
        high: iv.high,
        method: cluster::METHOD.to_string(),
    }
}

/// The claims (metric, bound) the metrics do not meet, as `metric bound`: a claim the
/// metric cannot be computed for is unmet too.
fn unmet(claims: &BTreeMap<String, f64>, m: Option<&Metrics>) -> Vec<String> {
    claims
        .iter()
        .filter(|(name, bound)| {
            let Some(def) = metric(name) else {
                return true;
            };
            !m.and_then(|m| crate::metrics::registry::read(m, def.name))
                .is_some_and(|r| crate::metrics::registry::meets(def, r, **bound))
        })
        .map(|(name, bound)| format!("{name} {}", shown_bound(name, *bound)))
        .collect()
}

fn shown_bound(name: &str, bound: f64) -> String {
    match metric(name).map(|m| m.shown) {
        Some(clic_compiler::schema::metrics::Shown::Percent) => {
            format!("{}%", (bound * 1000.0).round() / 10.0)
        }
        _ => format!("{bound}"),
    }
}
