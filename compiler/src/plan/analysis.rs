//! What a manifest says beyond one score per image: several findings read from the
//! model's outputs, the unit of analysis (image, study or patient) with the rule that
//! turns image scores into a unit's score, the version in the field to compare with,
//! and the claims on each finding, over the findings and against that version.
//!
//! A manifest with none of these is the one-finding short form (`output ...`, claims by
//! metric name) and its Plan leaves [`Analysis`] out entirely.

use super::lower::literal_fraction;
use crate::ast;
use crate::Literal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The analysis a manifest asks for, beyond the one-finding short form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The findings, in the manifest's order; empty: the one `output`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingSpec>,
    /// The unit of analysis; none: each image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitSpec>,
    /// The version in the field, scored on the same units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<CompareSpec>,
    /// Each finding's claims: finding, metric, bound (fractions for percentages).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub finding_claims: BTreeMap<String, BTreeMap<String, f64>>,
    /// Claims over the findings: `macro` or `worst`, metric, bound.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub summary_claims: BTreeMap<String, BTreeMap<String, f64>>,
    /// Non-inferiority margins to the compared version: metric, margin.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub noninferiority: BTreeMap<String, f64>,
    /// The readers' reads of the same units (`compare with readers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readers: Option<ReadersSpec>,
    /// Non-inferiority margins to the readers (their average): metric, margin.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub readers_noninferiority: BTreeMap<String, f64>,
}

/// The readers' reads of the reference set's units: a CSV of `reader`, the unit's key
/// (`file`, `SOPInstanceUID` or `StudyInstanceUID`) and one column per finding, each cell
/// a score in 0..1, a call (`positive`, `negative`) or empty (not read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadersSpec {
    /// The CSV, relative to the manifest.
    pub path: String,
}

impl Analysis {
    /// Whether the manifest asks for nothing beyond the short form.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The unit of analysis (each image when the manifest says none).
    pub fn level(&self) -> Level {
        self.unit.as_ref().map_or(Level::Image, |u| u.level)
    }
}

/// One finding the model reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingSpec {
    /// Its name, as claims and facts write it.
    pub name: String,
    /// The output tensor it is read from.
    pub tensor: String,
    /// Which element of a scan's output row.
    pub index: u32,
    /// How that element becomes a probability.
    pub activation: Activation,
    /// Operating threshold, on the probability.
    pub threshold: f64,
    /// Whether a probability equal to the threshold is positive.
    pub inclusive: bool,
    /// Meaning of a positive.
    pub positive: String,
}

/// How an output element becomes a finding's probability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activation {
    /// The element is a probability.
    Probability,
    /// The element is a logit: `1 / (1 + exp(-x))`.
    Sigmoid,
    /// A softmax over these elements of the row, read at the finding's own.
    Softmax {
        /// The elements, the finding's among them.
        over: Vec<u32>,
    },
}

impl Activation {
    /// The probability of the finding read at `index` from `row`; none when an element
    /// it needs is past the row's end.
    pub fn apply(&self, row: &[f32], index: u32) -> Option<f64> {
        let at = |i: u32| row.get(i as usize).map(|v| f64::from(*v));
        let x = at(index)?;
        Some(match self {
            Activation::Probability => x,
            Activation::Sigmoid => {
                // Written for each sign so that exp never overflows.
                if x >= 0.0 {
                    1.0 / (1.0 + (-x).exp())
                } else {
                    let e = x.exp();
                    e / (1.0 + e)
                }
            }
            Activation::Softmax { over } => {
                let values: Vec<f64> = over.iter().map(|i| at(*i)).collect::<Option<_>>()?;
                let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = values.iter().map(|v| (v - top).exp()).sum();
                (x - top).exp() / sum
            }
        })
    }

    /// The activation as the manifest writes it.
    pub fn text(&self) -> String {
        match self {
            Activation::Probability => "probability".to_string(),
            Activation::Sigmoid => "sigmoid".to_string(),
            Activation::Softmax { over } => format!(
                "softmax over {}",
                over.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// What the metrics count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Each image.
    Image,
    /// Each study (by StudyInstanceUID).
    Study,
    /// Each patient (by PatientID).
    Patient,
}

impl Level {
    /// As the manifest writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Image => "image",
            Level::Study => "study",
            Level::Patient => "patient",
        }
    }

    /// As the manifest writes it.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "image" => Level::Image,
            "study" => Level::Study,
            "patient" => Level::Patient,
            _ => return None,
        })
    }
}

/// The unit of analysis and its aggregation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitSpec {
    /// What the metrics count.
    pub level: Level,
    /// How the scores of a unit's images make its score: `max` or `mean`.
    pub aggregate: String,
    /// The image chosen by an attribute, before the rule applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<ViewRule>,
}

/// `view ViewPosition "PA", "AP" else ...`: a unit's score is its image whose attribute
/// has the first of these values that any of its images has (the first such image by
/// file when several have it); the aggregation rule applies when none has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewRule {
    /// The DICOM attribute, by keyword.
    pub attribute: String,
    /// Its values, preferred first.
    pub values: Vec<String>,
}

/// The DICOM attributes a `view` rule can read.
pub const VIEW_ATTRIBUTES: [&str; 2] = ["ViewPosition", "ImageLaterality"];

/// The aggregation rules.
pub const AGGREGATES: [&str; 2] = ["max", "mean"];

/// The version in the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareSpec {
    /// Its ONNX file, or its predictions file, relative to the manifest.
    pub path: String,
    /// Whether `path` holds its predictions (a CSV of `file` and a probability per
    /// finding, as the released version gave them) rather than its model.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub predictions: bool,
    /// Its pinned digest.
    pub sha256: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// Its own operating thresholds by finding, where they differ from the candidate's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds: BTreeMap<String, f64>,
}

/// The metrics a non-inferiority margin may bound.
pub const NONINFERIOR_METRICS: [&str; 3] = ["sensitivity", "specificity", "auc"];

/// The findings of a `findings` block (typeck has checked every index and threshold).
pub(super) fn lower_findings(
    tensor: &Option<ast::Node<String>>,
    findings: &[ast::Node<ast::Finding>],
) -> Vec<FindingSpec> {
    findings
        .iter()
        .map(|f| {
            let f = &f.node;
            let whole = |l: &Literal| match l {
                Literal::Number { value, .. } => super::output_index(*value).unwrap_or(0),
                _ => 0,
            };
            FindingSpec {
                name: f.name.node.clone(),
                tensor: f
                    .tensor
                    .as_ref()
                    .or(tensor.as_ref())
                    .map(|t| t.node.clone())
                    .unwrap_or_default(),
                index: f.index.as_ref().map_or(0, |i| whole(&i.node)),
                activation: match f.activation.as_ref().map(|a| &a.node) {
                    None | Some(ast::Activation::Probability) => Activation::Probability,
                    Some(ast::Activation::Sigmoid) => Activation::Sigmoid,
                    Some(ast::Activation::Softmax(over)) => Activation::Softmax {
                        over: over.iter().map(|n| whole(&n.node)).collect(),
                    },
                },
                threshold: literal_fraction(&f.threshold.node),
                inclusive: f.inclusive,
                positive: f.meaning.node.clone(),
            }
        })
        .collect()
}

/// The unit of a `unit` statement (typeck has checked its words).
pub(super) fn lower_unit(
    level: &ast::Node<String>,
    aggregate: &Option<ast::Node<ast::Aggregate>>,
) -> Option<UnitSpec> {
    Some(UnitSpec {
        level: Level::parse(&level.node)?,
        aggregate: aggregate
            .as_ref()
            .map_or_else(|| "max".to_string(), |a| a.node.rule.node.clone()),
        view: aggregate
            .as_ref()
            .and_then(|a| a.node.view.as_ref())
            .map(|(attribute, values)| ViewRule {
                attribute: attribute.node.clone(),
                values: values.iter().map(|v| v.node.clone()).collect(),
            }),
    })
}

/// The claims of a `claims` block, each where the spec keeps it.
pub(super) fn lower_claims(
    claims: &[ast::Node<ast::Claim>],
    structures: &[&str],
    spec: &mut super::ModelSpec,
) {
    let fraction = |v: &ast::Node<Literal>| literal_fraction(&v.node);
    for c in claims {
        match &c.node {
            ast::Claim::Metric { name, value } => {
                spec.claims.insert(name.node.clone(), fraction(value));
            }
            ast::Claim::Finding { finding, claims }
                if structures.contains(&finding.node.as_str()) =>
            {
                spec.structure_claims
                    .extend(super::volume::lower_structure_claims(&finding.node, claims));
            }
            ast::Claim::Finding { finding, claims } => {
                let entry = spec
                    .analysis
                    .finding_claims
                    .entry(finding.node.clone())
                    .or_default();
                for c in claims {
                    entry.insert(c.node.name.node.clone(), fraction(&c.node.value));
                }
            }
            ast::Claim::Summary { kind, name, value } => {
                spec.analysis
                    .summary_claims
                    .entry(kind.node.clone())
                    .or_default()
                    .insert(name.node.clone(), fraction(value));
            }
            ast::Claim::NonInferior { readers, margins } => {
                let to = if *readers {
                    &mut spec.analysis.readers_noninferiority
                } else {
                    &mut spec.analysis.noninferiority
                };
                for (name, value) in margins {
                    to.insert(name.node.clone(), fraction(value));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_at_both_ends_and_softmax_sums_to_one() {
        let s = Activation::Sigmoid;
        assert_eq!(s.apply(&[0.0], 0), Some(0.5));
        assert_eq!(s.apply(&[1000.0], 0), Some(1.0));
        assert_eq!(s.apply(&[-1000.0], 0), Some(0.0));
        assert!((s.apply(&[2.0], 0).unwrap_or(0.0) - 0.880_797_077_977_882_3).abs() < 1e-15);
        let m = Activation::Softmax {
            over: vec![0, 1, 2],
        };
        let row = [1.0, 2.0, 3.0];
        let total: f64 = (0..3).filter_map(|i| m.apply(&row, i)).sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert!((m.apply(&row, 2).unwrap_or(0.0) - 0.665_240_955_774_821_6).abs() < 1e-12);
        assert_eq!(m.apply(&row[..2], 0), None, "an element past the row");
        assert_eq!(Activation::Probability.apply(&row, 5), None);
    }
}
