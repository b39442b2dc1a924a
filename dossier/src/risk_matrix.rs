//! The hazard ↔ risk control ↔ verification matrix of Annex II 5(b): the risk file's
//! hazards (its hazards table) and risk controls (its risk control table, see
//! [`clic_runner::documents::risk`]), each control with the clic controls its
//! verification cites and whether they passed in this release's run.

use clic_runner::documents::risk::{hazards, Hazard};
use clic_runner::documents::LoadedDocument;
use clic_runner::evidence::verification::resolve;
use clic_runner::evidence::{Evidence, Status};
use serde::Serialize;

/// The matrix, as the dossier shows it.
#[derive(Debug, Default, Serialize)]
pub struct RiskMatrix {
    /// Whether the risk file has a hazards or a risk control table.
    pub available: bool,
    /// The risk file, as the manifest names it.
    pub path: Option<String>,
    /// One row per risk control of a hazard (a hazard without one has one row).
    pub rows: Vec<RiskRow>,
    /// Hazards with a risk control verified by a clic control that passed.
    pub verified: usize,
    /// Hazards in the matrix.
    pub hazards: usize,
}

/// A risk control of a hazard, with its verification.
#[derive(Debug, Serialize)]
pub struct RiskRow {
    /// The hazard's id.
    pub hazard_id: String,
    /// The hazard, in words.
    pub hazard: String,
    /// The risk control; `none` for a hazard without one.
    pub control: String,
    /// The verification cell as the risk file writes it.
    pub verification: String,
    /// The cited clic controls that passed in this run.
    pub passed_by: Vec<String>,
    /// Cited references that name no control of the plan.
    pub unresolved: Vec<String>,
    /// `verified`, `review only`, `NOT VERIFIED` (a cited control did not pass) or
    /// `NO RISK CONTROL`.
    pub status: &'static str,
    /// The hazard's own status, on its first row only: `verified` or `NOT VERIFIED`.
    pub hazard_status: Option<&'static str>,
}

fn rows_of(h: &Hazard, controls: &[(String, Option<Status>)]) -> (Vec<RiskRow>, bool) {
    let mut rows = Vec::new();
    let mut any = false;
    for c in &h.controls {
        let (resolution, verified) = resolve(&c.verified_by, controls);
        any |= verified;
        let status = if verified {
            "verified"
        } else if c.verified_by.is_empty() {
            "review only"
        } else {
            "NOT VERIFIED"
        };
        rows.push(RiskRow {
            hazard_id: h.id.clone(),
            hazard: h.hazard.clone(),
            control: c.control.clone(),
            verification: c.verification.clone(),
            passed_by: resolution.passed_by,
            unresolved: resolution.unresolved,
            status,
            hazard_status: None,
        });
    }
    if rows.is_empty() {
        rows.push(RiskRow {
            hazard_id: h.id.clone(),
            hazard: h.hazard.clone(),
            control: "none".to_string(),
            verification: String::new(),
            passed_by: Vec::new(),
            unresolved: Vec::new(),
            status: "NO RISK CONTROL",
            hazard_status: None,
        });
    }
    if let Some(first) = rows.first_mut() {
        first.hazard_status = Some(if any { "verified" } else { "NOT VERIFIED" });
    }
    (rows, any)
}

/// The matrix of the risk file among `documents`, against the run's results.
pub fn matrix(
    documents: &[LoadedDocument],
    plan: &clic_compiler::plan::Plan,
    evidence: &Evidence,
) -> RiskMatrix {
    let Some(doc) = documents
        .iter()
        .find(|d| d.kind == "risk_management" && d.exists && d.error.is_none())
    else {
        return RiskMatrix::default();
    };
    let all = hazards(&doc.body);
    let controls: Vec<(String, Option<Status>)> = plan
        .checks
        .iter()
        .map(|c| {
            let status = evidence
                .results
                .iter()
                .find(|r| r.id == c.id)
                .map(|r| r.status);
            (c.id.clone(), status)
        })
        .collect();
    let mut out = RiskMatrix {
        available: !all.is_empty(),
        path: doc.path.clone(),
        rows: Vec::new(),
        verified: 0,
        hazards: all.len(),
    };
    for h in &all {
        let (rows, verified) = rows_of(h, &controls);
        out.verified += usize::from(verified);
        out.rows.extend(rows);
    }
    out
}
