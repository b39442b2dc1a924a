//! The manifest's claims against the estimates, for the STARD report and the Annex III
//! indicators. The verdict on a claim is the result of the control that judges it at the
//! gate (the registry names it: [`MetricDef::control`]), never recomputed here, so the
//! report cannot disagree with the gate.

use crate::performance::{ClaimView, Observed, PointView};
use crate::shown::{claim_shown, estimate};
use clic_compiler::plan::ModelSpec;
use clic_compiler::schema::metrics::{metric, Bound, MetricDef, Shown};
use clic_runner::evidence::{CheckResult, Evidence, Status};
use clic_runner::metrics::registry::{self, Reading};
use clic_runner::metrics::Metrics;

/// Every claim of the manifest, with the estimate it bounds and the gate's verdict.
pub fn claims<'a>(spec: &'a ModelSpec, m: &Metrics, evidence: &Evidence) -> Vec<ClaimView<'a>> {
    spec.claims
        .iter()
        .map(|(name, claimed)| {
            let def = metric(name);
            let result = def
                .and_then(|d| d.control)
                .and_then(|id| evidence.results.iter().find(|r| r.id == id));
            let bound = def.map_or(Bound::Lower, |d| d.bound);
            let shown = claim_shown(name, *claimed);
            let (met, verdict) = verdict(result, bound);
            ClaimView {
                name,
                claimed: match bound {
                    Bound::Lower => shown,
                    Bound::Upper => format!("at most {shown}"),
                },
                observed: observed(def, m),
                met,
                verdict,
            }
        })
        .collect()
}

/// The estimate a claim bounds, formatted; "not measured" when the benchmark has none.
fn observed(def: Option<&MetricDef>, m: &Metrics) -> Observed {
    match def.map(|d| (d, registry::reading(m, d))) {
        Some((d, Reading::Estimate(Some(e)))) => {
            Observed::Estimate(estimate(e, d.shown == Shown::Percent))
        }
        // A point value is claimed as a bound on an error, met by the estimate itself.
        Some((d, Reading::Number(v))) => Observed::Point(PointView {
            value: format!("{v:.4}"),
            ci: "point estimate",
            method: d.label,
            count: format!("n = {}", m.n),
        }),
        _ => Observed::Point(PointView {
            value: "not measured".to_string(),
            ci: "n/a",
            method: "",
            count: String::new(),
        }),
    }
}

/// Whether the claim is met, and the verdict in words, from its control's result.
fn verdict(result: Option<&CheckResult>, bound: Bound) -> (bool, String) {
    let (met, not_met) = match bound {
        Bound::Lower => (
            "the 95% lower bound clears the claim",
            "the 95% lower bound is below the claim",
        ),
        Bound::Upper => (
            "the estimate stays within the claimed bound",
            "the estimate exceeds the claimed bound",
        ),
    };
    match result.map(|r| r.status) {
        Some(Status::Passed) => (true, format!("met: {met}")),
        Some(Status::Failed) => (false, format!("NOT MET: {not_met}")),
        Some(Status::Waived) => (
            false,
            format!("NOT MET: {not_met} (waived; see the waiver register)"),
        ),
        Some(Status::Unavailable) => (false, "not measured by the benchmark".to_string()),
        Some(Status::Skipped) => (
            false,
            "not judged: the control that checks it does not apply".to_string(),
        ),
        None => (
            false,
            "not judged: no control of the policies in force checks this claim".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clic_compiler::plan::Severity;

    fn result(status: Status) -> CheckResult {
        CheckResult {
            id: "mdr.performance.sensitivity-claim".to_string(),
            status,
            severity: Severity::Blocker,
            failed: Vec::new(),
            observed: Vec::new(),
            unavailable: None,
            waiver: None,
            culprits: Vec::new(),
        }
    }

    /// The verdict follows the gate's result, whatever the estimate says.
    #[test]
    fn verdicts_follow_the_result() {
        let v = |s| verdict(Some(&result(s)), Bound::Lower);
        assert_eq!(
            v(Status::Passed),
            (
                true,
                "met: the 95% lower bound clears the claim".to_string()
            )
        );
        assert!(v(Status::Failed).1.starts_with("NOT MET"));
        assert!(v(Status::Waived).1.contains("waived"));
        assert!(!v(Status::Unavailable).0 && !v(Status::Skipped).0);
        assert_eq!(
            verdict(None, Bound::Upper).1,
            "not judged: no control of the policies in force checks this claim"
        );
        assert_eq!(
            verdict(Some(&result(Status::Failed)), Bound::Upper).1,
            "NOT MET: the estimate exceeds the claimed bound"
        );
    }
}
