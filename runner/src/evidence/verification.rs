//! The verification of risk controls by clic's own controls: the risk file's hazard
//! matrix (`documents.risk.hazards`) cites control ids, and whether a hazard is verified
//! depends on which of them passed in this run. A check that reads the matrix is
//! therefore evaluated after every other check of the run ([`deferred`]), through a
//! fact source that fills in each hazard's `passed_by`, `unresolved` and `verified`
//! from the results so far ([`Resolving`]). A value that already states them (a test's
//! `given`) is left as it is.

use crate::documents::risk::cites;
use crate::evidence::{CheckResult, Status};
use crate::facts::{FactSource, Unavailable};
use clic_compiler::plan::{Check, Value};

/// The fact whose value depends on the run's results.
pub const HAZARDS: &str = "documents.risk.hazards";

/// Whether a check reads the hazard matrix, and so runs after the others.
pub fn deferred(check: &Check) -> bool {
    check.facts.iter().any(|f| f == HAZARDS)
}

/// A fact source that resolves the hazard matrix against the results of a run.
pub struct Resolving<'a> {
    inner: &'a mut dyn FactSource,
    /// Every control id of the plan, with its status when it ran.
    controls: Vec<(String, Option<Status>)>,
}

impl<'a> Resolving<'a> {
    /// Over `inner`, with the plan's control ids and the results so far.
    pub fn new(inner: &'a mut dyn FactSource, ids: &[String], results: &[CheckResult]) -> Self {
        let controls = ids
            .iter()
            .map(|id| {
                let status = results.iter().find(|r| &r.id == id).map(|r| r.status);
                (id.clone(), status)
            })
            .collect();
        Self { inner, controls }
    }

    /// Fills in one hazard record's resolution, unless it states it already.
    fn resolve(&self, hazard: Value) -> Value {
        let Value::Record(mut fields) = hazard else {
            return hazard;
        };
        if fields.get("verified").is_some_and(|v| *v != Value::Null) {
            return Value::Record(fields);
        }
        let cited: Vec<String> = match fields.get("verified_by") {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let (resolution, verified) = resolve(&cited, &self.controls);
        let strings = |v: Vec<String>| Value::List(v.into_iter().map(Value::String).collect());
        fields.insert("passed_by".to_string(), strings(resolution.passed_by));
        fields.insert("unresolved".to_string(), strings(resolution.unresolved));
        fields.insert("verified".to_string(), Value::Bool(verified));
        Value::Record(fields)
    }
}

/// What the cited references name among the plan's controls.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Controls cited that passed in this run.
    pub passed_by: Vec<String>,
    /// References naming no control of the plan.
    pub unresolved: Vec<String>,
}

/// Resolves cited references against the plan's controls and their statuses. A hazard
/// is verified when some reference holds: an id whose control passed, or a `policy.*`
/// pattern every control of which that ran passed (at least one ran). A waived failure
/// verifies nothing.
pub fn resolve(cited: &[String], controls: &[(String, Option<Status>)]) -> (Resolution, bool) {
    let mut out = Resolution::default();
    let mut verified = false;
    for reference in cited {
        let matched: Vec<&(String, Option<Status>)> = controls
            .iter()
            .filter(|(id, _)| cites(reference, id))
            .collect();
        if matched.is_empty() {
            out.unresolved.push(reference.clone());
            continue;
        }
        let ran: Vec<Status> = matched.iter().filter_map(|(_, s)| *s).collect();
        let relevant: Vec<Status> = ran.into_iter().filter(|s| *s != Status::Skipped).collect();
        for (id, s) in &matched {
            if *s == Some(Status::Passed) && !out.passed_by.contains(id) {
                out.passed_by.push(id.clone());
            }
        }
        if !relevant.is_empty() && relevant.iter().all(|s| *s == Status::Passed) {
            verified = true;
        }
    }
    (out, verified)
}

impl FactSource for Resolving<'_> {
    fn get(&mut self, path: &str, args: &[Value]) -> Result<Value, Unavailable> {
        let v = self.inner.get(path, args)?;
        if path != HAZARDS {
            return Ok(v);
        }
        Ok(match v {
            Value::List(items) => Value::List(items.into_iter().map(|h| self.resolve(h)).collect()),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, s: Option<Status>) -> (String, Option<Status>) {
        (id.to_string(), s)
    }

    #[test]
    fn an_id_that_passed_verifies() {
        let controls = [
            c("mdr.performance.sensitivity-claim", Some(Status::Passed)),
            c("mdr.performance.specificity-claim", Some(Status::Failed)),
            c("mdr.gspr.ifu-complete", None),
        ];
        let (r, ok) = resolve(&["mdr.performance.sensitivity-claim".into()], &controls);
        assert!(ok);
        assert_eq!(r.passed_by, vec!["mdr.performance.sensitivity-claim"]);
        let (r, ok) = resolve(
            &[
                "mdr.performance.*".into(),
                "mdr.gspr.ifu-complete".into(),
                "x.y".into(),
            ],
            &controls,
        );
        assert!(
            !ok,
            "a pattern with a failed control, a control not run, an unknown id"
        );
        assert_eq!(r.unresolved, vec!["x.y"]);
        let (_, ok) = resolve(
            &["mdr.performance.specificity-claim".into()],
            &[c("mdr.performance.specificity-claim", Some(Status::Waived))],
        );
        assert!(!ok, "a waived failure verifies nothing");
    }
}
