//! `model.*` facts: read from the manifest as the Plan carries it.

use super::{FactError, FactProvider};
use clic_compiler::plan::{ModelSpec, Value};
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

fn opt(s: Option<&String>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.clone()))
}

impl FactProvider for ModelFacts {
    fn provider(&self) -> Provider {
        Provider::Model
    }

    fn fact(&mut self, path: &str, _: &[Value]) -> Result<Value, FactError> {
        let Some(m) = &self.spec else {
            return Err(FactError::unavailable("the project has no model manifest"));
        };
        let input = m.input.as_ref();
        let resize = input.and_then(|i| {
            i.steps.iter().find_map(|s| match s {
                clic_compiler::plan::Preprocess::Resize {
                    width,
                    height,
                    interpolation,
                } => Some((*width, *height, interpolation.clone())),
                _ => None,
            })
        });
        let output = m.output.as_ref();
        Ok(match path {
            "model.name" => Value::String(m.name.clone()),
            "model.version" => Value::Version(m.version.clone()),
            "model.purpose" => Value::String(m.purpose.clone()),
            "model.class" => Value::Class(m.class.clone()),
            "model.classification_rule" => opt(m.classification_rule.as_ref()),
            "model.artifact.path" => Value::String(m.artifact.path.clone()),
            "model.artifact.sha256" => opt(m.artifact.sha256.as_ref()),
            "model.input.tensor" => opt(input.map(|i| &i.tensor)),
            "model.input.modalities" => Value::List(input.map_or_else(Vec::new, |i| {
                i.modalities.iter().cloned().map(Value::String).collect()
            })),
            "model.input.width" => resize
                .as_ref()
                .map_or(Value::Null, |r| Value::Number(f64::from(r.0))),
            "model.input.height" => resize
                .as_ref()
                .map_or(Value::Null, |r| Value::Number(f64::from(r.1))),
            "model.input.interpolation" => resize.map_or(Value::Null, |r| Value::String(r.2)),
            "model.input.normalized" => Value::Bool(input.is_some_and(|i| {
                i.steps
                    .iter()
                    .any(|s| matches!(s, clic_compiler::plan::Preprocess::Normalize { .. }))
            })),
            "model.output.tensor" => opt(output.map(|o| &o.tensor)),
            "model.output.threshold" => output.map_or(Value::Null, |o| Value::Number(o.threshold)),
            "model.output.positive" => opt(output.map(|o| &o.positive)),
            "model.reference.path" => opt(m.reference.as_ref().map(|r| &r.path)),
            "model.reference.labels" => opt(m.reference.as_ref().map(|r| &r.labels)),
            "model.training.patients" => opt(m.training_patients.as_ref()),
            "model.safety_class" => opt(m.safety_class.as_ref()),
            "model.significance" => opt(m.significance.as_ref()),
            "model.situation" => opt(m.situation.as_ref()),
            "model.documents" => Value::List(
                m.documents
                    .iter()
                    .map(|(k, p)| {
                        let mut r = BTreeMap::new();
                        r.insert("kind".to_string(), Value::String(k.clone()));
                        r.insert("path".to_string(), Value::String(p.clone()));
                        Value::Record(r)
                    })
                    .collect(),
            ),
            "model.policies" => {
                Value::List(m.policies.iter().cloned().map(Value::String).collect())
            }
            other => match other.strip_prefix("model.claims.") {
                Some(claim) => m
                    .claims
                    .get(claim)
                    .map_or(Value::Null, |v| Value::Number(*v)),
                None => {
                    return Err(FactError::unavailable(format!(
                        "`{other}` is not a model fact"
                    )))
                }
            },
        })
    }
}
