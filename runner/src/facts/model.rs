//! `model.*` facts: read from the manifest as the Plan carries it.
//!
//! [`FACTS`] declares every fact this provider serves beside how it reads it; the claims
//! (`model.claims.<metric>`) come from the metric registry, one per row.

use super::{FactError, FactProvider, Reads};
use clic_compiler::plan::{ModelSpec, Preprocess, Value};
use clic_compiler::schema::metrics::METRICS;
use clic_compiler::schema::Provider;
use std::collections::BTreeMap;

/// Serves `model.*` from the Plan's model spec.
#[derive(Debug, Clone)]
pub struct ModelFacts {
    spec: Option<ModelSpec>,
}

impl ModelFacts {
    /// Facts of this manifest; without one, every `model.*` fact is unavailable.
    pub fn new(spec: Option<ModelSpec>) -> Self {
        Self { spec }
    }
}

/// How a `model.*` fact is read from the manifest.
type Read = fn(&ModelSpec) -> Value;

/// Every `model.*` fact but the claims, with how it is read.
pub const FACTS: &[(&str, Read)] = &[
    ("model.name", |m| Value::String(m.name.clone())),
    ("model.version", |m| Value::Version(m.version.clone())),
    ("model.purpose", |m| Value::String(m.purpose.clone())),
    ("model.class", |m| Value::Class(m.class.clone())),
    ("model.classification_rule", |m| {
        opt(m.classification_rule.as_ref())
    }),
    ("model.artifact.path", |m| {
        Value::String(m.artifact.path.clone())
    }),
    ("model.artifact.sha256", |m| opt(m.artifact.sha256.as_ref())),
    ("model.input.tensor", |m| {
        opt(m.input.as_ref().map(|i| &i.tensor))
    }),
    ("model.input.modalities", |m| {
        let mut all: Vec<&String> = Vec::new();
        let series = m.series_inputs.iter().flat_map(|s| s.modalities.iter());
        for x in m
            .input
            .iter()
            .flat_map(|i| i.modalities.iter())
            .chain(series)
        {
            if !all.contains(&x) {
                all.push(x);
            }
        }
        Value::List(all.into_iter().cloned().map(Value::String).collect())
    }),
    ("model.input.width", |m| {
        resize(m).map_or(Value::Null, |r| Value::Number(f64::from(r.0)))
    }),
    ("model.input.height", |m| {
        resize(m).map_or(Value::Null, |r| Value::Number(f64::from(r.1)))
    }),
    ("model.input.interpolation", |m| {
        resize(m).map_or(Value::Null, |r| Value::String(r.2))
    }),
    ("model.findings", |m| {
        Value::List(
            m.analysis
                .findings
                .iter()
                .map(|f| Value::String(f.name.clone()))
                .collect(),
        )
    }),
    ("model.unit", |m| {
        Value::String(m.analysis.level().as_str().to_string())
    }),
    ("model.compare.path", |m| {
        opt(m.analysis.compare.as_ref().map(|c| &c.path))
    }),
    ("model.compare.version", |m| {
        opt(m.analysis.compare.as_ref().and_then(|c| c.version.as_ref()))
    }),
    ("model.compare.readers", |m| {
        opt(m.analysis.readers.as_ref().map(|r| &r.path))
    }),
    ("model.claims.findings", |m| {
        Value::List(
            m.analysis
                .finding_claims
                .iter()
                .flat_map(|(finding, claims)| {
                    claims.iter().map(move |(metric, bound)| {
                        Value::Record(BTreeMap::from([
                            ("finding".to_string(), Value::String(finding.clone())),
                            ("metric".to_string(), Value::String(metric.clone())),
                            ("bound".to_string(), Value::Number(*bound)),
                        ]))
                    })
                })
                .collect(),
        )
    }),
    ("model.claims.structures", |m| {
        Value::List(
            m.structure_claims
                .iter()
                .map(|c| {
                    Value::Record(BTreeMap::from([
                        ("structure".to_string(), Value::String(c.structure.clone())),
                        ("metric".to_string(), Value::String(c.metric.clone())),
                        ("bound".to_string(), Value::Number(c.bound)),
                        (
                            "tolerance_mm".to_string(),
                            c.tolerance_mm.map_or(Value::Null, Value::Number),
                        ),
                    ]))
                })
                .collect(),
        )
    }),
    ("model.structures", |m| {
        Value::List(
            m.structures()
                .into_iter()
                .map(|s| Value::String(s.to_string()))
                .collect(),
        )
    }),
    ("model.quantified", |m| {
        Value::List(m.quantify.iter().cloned().map(Value::String).collect())
    }),
    ("model.inputs.series", |m| {
        Value::List(
            m.series_inputs
                .iter()
                .map(|s| {
                    let count =
                        |n: Option<u32>| n.map_or(Value::Null, |n| Value::Number(f64::from(n)));
                    Value::Record(BTreeMap::from([
                        ("name".to_string(), Value::String(s.name.clone())),
                        (
                            "modalities".to_string(),
                            Value::List(s.modalities.iter().cloned().map(Value::String).collect()),
                        ),
                        ("description".to_string(), opt(s.description.as_ref())),
                        ("slices_min".to_string(), count(s.slices_min)),
                        ("slices_max".to_string(), count(s.slices_max)),
                    ]))
                })
                .collect(),
        )
    }),
    ("model.claims.macro.sensitivity", |m| {
        summary(m, "macro", "sensitivity")
    }),
    ("model.claims.macro.specificity", |m| {
        summary(m, "macro", "specificity")
    }),
    ("model.claims.macro.auc", |m| summary(m, "macro", "auc")),
    ("model.claims.worst.sensitivity", |m| {
        summary(m, "worst", "sensitivity")
    }),
    ("model.claims.worst.specificity", |m| {
        summary(m, "worst", "specificity")
    }),
    ("model.claims.worst.auc", |m| summary(m, "worst", "auc")),
    ("model.input.normalized", |m| {
        Value::Bool(m.input.as_ref().is_some_and(|i| {
            i.steps.iter().any(|s| {
                matches!(
                    s,
                    Preprocess::Normalize { .. } | Preprocess::NormalizeChannels { .. }
                )
            })
        }))
    }),
    ("model.output.tensor", |m| {
        opt(m.output.as_ref().map(|o| &o.tensor))
    }),
    ("model.output.threshold", |m| {
        m.output
            .as_ref()
            .map_or(Value::Null, |o| Value::Number(o.threshold))
    }),
    ("model.output.positive", |m| {
        opt(m.output.as_ref().map(|o| &o.positive))
    }),
    ("model.reference.path", |m| {
        opt(m.reference.as_ref().map(|r| &r.path))
    }),
    ("model.reference.labels", |m| {
        opt(m.reference.as_ref().map(|r| &r.labels))
    }),
    ("model.training.patients", |m| {
        opt(m.training_patients.as_ref())
    }),
    ("model.prevalence", |m| {
        Value::List(
            m.prevalence
                .model
                .iter()
                .map(|p| Value::Number(*p))
                .collect(),
        )
    }),
    ("model.safety_class", |m| opt(m.safety_class.as_ref())),
    ("model.runtime.name", |m| {
        opt(m.runtime.as_ref().map(|r| &r.name))
    }),
    ("model.runtime.version", |m| {
        opt(m.runtime.as_ref().and_then(|r| r.version.as_ref()))
    }),
    ("model.robustness.perturbations", |m| {
        Value::List(
            m.robustness
                .iter()
                .flat_map(|r| r.perturbations.iter().map(|p| Value::String(p.label())))
                .collect(),
        )
    }),
    ("model.robustness.max_drop", |m| {
        m.robustness
            .as_ref()
            .map_or(Value::Null, |r| Value::Number(r.max_drop))
    }),
    ("model.significance", |m| opt(m.significance.as_ref())),
    ("model.situation", |m| opt(m.situation.as_ref())),
    ("model.documents", |m| {
        Value::List(
            m.documents
                .iter()
                .map(|(k, p)| {
                    let mut r = BTreeMap::new();
                    r.insert("kind".to_string(), Value::String(k.clone()));
                    r.insert("path".to_string(), Value::String(p.clone()));
                    Value::Record(r)
                })
                .collect(),
        )
    }),
    ("model.policies", |m| {
        Value::List(m.policies.iter().cloned().map(Value::String).collect())
    }),
];

fn opt(s: Option<&String>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.clone()))
}

/// The manifest's resize (or letterbox) step: width, height, interpolation.
fn resize(m: &ModelSpec) -> Option<(u32, u32, String)> {
    m.input.as_ref()?.steps.iter().find_map(|s| match s {
        Preprocess::Resize {
            width,
            height,
            interpolation,
        }
        | Preprocess::Letterbox {
            width,
            height,
            interpolation,
            ..
        } => Some((*width, *height, interpolation.clone())),
        _ => None,
    })
}

/// A claim over the findings (`macro auc 0.9`), none when not made.
fn summary(m: &ModelSpec, kind: &str, metric: &str) -> Value {
    m.analysis
        .summary_claims
        .get(kind)
        .and_then(|c| c.get(metric))
        .map_or(Value::Null, |v| Value::Number(*v))
}

/// What `model.*` facts read: the manifest alone, which is a `.clic` source.
pub fn inputs(_: Option<&ModelSpec>) -> Reads {
    Reads::Sources
}

impl FactProvider for ModelFacts {
    fn provider(&self) -> Provider {
        Provider::Model
    }

    fn serves(&self) -> Vec<String> {
        let claims = METRICS.iter().map(|d| d.claim.to_string());
        FACTS
            .iter()
            .map(|(p, _)| p.to_string())
            .chain(claims)
            .collect()
    }

    fn fact(&mut self, path: &str, _: &[Value]) -> Result<Value, FactError> {
        let Some(m) = &self.spec else {
            return Err(FactError::unavailable("the project has no model manifest"));
        };
        if let Some((_, read)) = FACTS.iter().find(|(p, _)| *p == path) {
            return Ok(read(m));
        }
        match METRICS.iter().find(|d| d.claim == path) {
            Some(d) => Ok(m
                .claims
                .get(d.name)
                .map_or(Value::Null, |v| Value::Number(*v))),
            None => Err(FactError::unavailable(format!(
                "`{path}` is not a model fact"
            ))),
        }
    }
}
