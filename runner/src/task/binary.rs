//! One score per image for one binary finding: the model's output gives a score per scan
//! (the manifest's `index` picks it from a row of several), positive when it passes the
//! manifest's threshold; each label is 0/1 or false/true. Its evidence is
//! [`BenchEvidence`]: a row per scan, the metrics over every labelled, scored scan, and
//! the overlap of the reference set with the training data.

use super::{Provenance, Task};
use crate::bench::labels::{self, Label};
use crate::bench::pipeline::Inferred;
use crate::bench::{
    leakage, score_layout, score_metrics, BenchError, BenchEvidence, BenchInputs, ScanRow,
    EVIDENCE_FORMAT,
};
use clic_compiler::plan::ModelSpec;
use std::collections::BTreeMap;

/// A binary score per scan, as the manifest's `output` line reads it.
#[derive(Debug, Clone)]
pub struct BinaryScore {
    /// The output tensor.
    output: String,
    /// Which value of a scan's row is the score.
    index: Option<u32>,
    /// Positive at or above (`inclusive`) or above this score.
    threshold: f64,
    inclusive: bool,
}

impl BinaryScore {
    /// The task of a manifest.
    pub fn of(spec: &ModelSpec) -> Result<Self, BenchError> {
        let output = spec
            .output
            .as_ref()
            .ok_or_else(|| BenchError::Manifest("the manifest has no `output` spec".to_string()))?;
        Ok(Self {
            output: output.tensor.clone(),
            index: output.index,
            threshold: output.threshold,
            inclusive: output.inclusive,
        })
    }
}

impl Task for BinaryScore {
    type Labels = BTreeMap<String, Label>;
    type Evidence = BenchEvidence;

    fn labels(&self, text: &str) -> Result<Self::Labels, String> {
        labels::parse(text)
    }

    fn layout(&self, shape: &[i64], batch: usize) -> Result<usize, String> {
        score_layout(&self.output, shape, batch, self.index).map(|(per, _)| per)
    }

    fn evidence(
        &self,
        inputs: &BenchInputs,
        labels: Self::Labels,
        inferred: Inferred,
        provenance: Provenance,
    ) -> Result<BenchEvidence, BenchError> {
        let at = self.index.unwrap_or(0) as usize;
        let mut nonfinite = Vec::new();
        let mut rows: Vec<ScanRow> = inferred
            .scans
            .into_iter()
            .map(|(info, row)| {
                let label = labels.get(&info.file).map(|l| l.positive);
                let score = row.get(at).map(|s| f64::from(*s));
                if score.is_some_and(|s| !s.is_finite()) {
                    nonfinite.push(info.file.clone());
                }
                ScanRow { info, label, score }
            })
            .collect();
        if !nonfinite.is_empty() {
            // A NaN compares false with every threshold: counted, it would be a negative.
            nonfinite.sort();
            return Err(BenchError::NonFinite {
                files: nonfinite,
                total: rows.len(),
            });
        }
        rows.sort_by(|a, b| a.info.file.cmp(&b.info.file));
        let labels_without_file = labels
            .keys()
            .filter(|k| !inferred.present.contains(k.as_str()))
            .cloned()
            .collect();
        let (leakage_patients, leakage_studies) = match &inputs.spec.training_patients {
            Some(t) => leakage(
                &inputs.dir.join(t),
                inputs.budget.read.max_list_bytes,
                &rows,
            )?,
            None => (0, 0),
        };
        let overall = score_metrics(&rows, self.threshold, self.inclusive);
        Ok(BenchEvidence {
            format: EVIDENCE_FORMAT,
            key: provenance.key,
            clic_version: env!("CARGO_PKG_VERSION").to_string(),
            model_sha256: inferred.model_sha256,
            labels_sha256: provenance.labels_sha256,
            backend: crate::engine::backend().name().to_string(),
            rows,
            unreadable: inferred.unreadable,
            labels_without_file,
            leakage_patients,
            leakage_studies,
            overall,
            findings: None,
            equivalence: None,
            robustness: None,
            segmentation: None,
        })
    }
}
