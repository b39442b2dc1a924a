//! The prevalence facts: the reference set's own prevalence, at which the sample's PPV,
//! NPV, accuracy and F1 hold, and PPV and NPV at each deployment prevalence the manifest
//! declares (`prevalence 2%, 5%`), by Bayes' theorem from the sensitivity and specificity
//! with Mercaldo et al. (2007) logit intervals ([`crate::metrics::at_prevalence`]).
//!
//! Computed from the metrics when a fact is read, not stored in the evidence: a changed
//! prevalence does not change what the benchmark measured.

use super::reference::record;
use crate::bench::BenchEvidence;
use crate::metrics::{at_prevalence, proportion_value, wilson_estimate, Metrics};
use clic_compiler::plan::{PrevalenceSpec, Value};
use std::collections::BTreeMap;

/// The facts served here, over the one finding's metrics.
pub const FACTS: [&str; 2] = ["benchmark.prevalence", "benchmark.at_prevalence"];

/// The value of one of [`FACTS`] for metrics `m` at the declared `prevalences`; none for
/// another path.
pub fn fact(m: &Metrics, path: &str, prevalences: &[f64]) -> Option<Value> {
    match path {
        "benchmark.prevalence" => Some(sample(m)),
        "benchmark.at_prevalence" => Some(at(m, prevalences)),
        _ => None,
    }
}

/// The prevalence of the set `m` is computed on: positives / n, Wilson interval.
pub fn sample(m: &Metrics) -> Value {
    proportion_value(&wilson_estimate(m.positives, m.n))
}

/// An `AtPrevalence` record per declared prevalence at which PPV and NPV are defined
/// (both classes present), in the order declared.
pub fn at(m: &Metrics, prevalences: &[f64]) -> Value {
    Value::List(
        prevalences
            .iter()
            .filter_map(|&p| at_prevalence(m, p))
            .map(|a| {
                record([
                    ("prevalence", Value::Number(a.prevalence)),
                    ("ppv", proportion_value(&a.ppv)),
                    ("npv", proportion_value(&a.npv)),
                ])
            })
            .collect(),
    )
}

/// The prevalences that hold for the evidence's one finding: the finding's own when the
/// manifest names it in a `findings` block, else the model's.
pub fn of_overall<'a>(ev: &BenchEvidence, spec: &'a PrevalenceSpec) -> &'a [f64] {
    match ev.findings.as_ref().and_then(|f| f.findings.first()) {
        Some(f) => spec.of(&f.name),
        None => &spec.model,
    }
}

/// `benchmark.findings` with each Finding's `prevalence` and `at_prevalence` added.
pub fn findings(list: Value, ev: &BenchEvidence, spec: &PrevalenceSpec) -> Value {
    let Value::List(items) = list else {
        return list;
    };
    let metrics: BTreeMap<&str, Option<&Metrics>> = ev
        .findings
        .iter()
        .flat_map(|f| f.findings.iter())
        .map(|r| (r.name.as_str(), r.metrics.as_ref()))
        .collect();
    Value::List(
        items
            .into_iter()
            .map(|item| {
                let Value::Record(mut fields) = item else {
                    return item;
                };
                let name = match fields.get("name") {
                    Some(Value::String(n)) => n.clone(),
                    _ => String::new(),
                };
                let m = metrics.get(name.as_str()).copied().flatten();
                fields.insert("prevalence".into(), m.map_or(Value::Null, sample));
                fields.insert(
                    "at_prevalence".into(),
                    m.map_or(Value::List(Vec::new()), |m| at(m, spec.of(&name))),
                );
                Value::Record(fields)
            })
            .collect(),
    )
}
