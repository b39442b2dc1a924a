//! Requirements a signature evidences (MDR Annex I 17.2, 17.4 and 18.8: the released
//! software is what the team made, protected from unauthorised change): a signature is
//! evidence only when it is verified against the team's allowed signers, so the GSPR
//! checklist shows such a requirement as met only when the control that verifies the
//! release signature passes, whatever else covers it.

use clic_compiler::plan::Check;
use clic_compiler::Plan;
use clic_runner::evidence::{Evidence, Status};

/// The facts that say a signature is verified (not merely present).
pub const VERIFIED_FACTS: [&str; 3] = [
    "git.head.verified",
    "git.head.signature.verified",
    "git.tag.signature.verified",
];

/// Whether a control reads whether a signature is verified.
pub fn verifies_signature(check: &Check) -> bool {
    check
        .facts
        .iter()
        .any(|f| VERIFIED_FACTS.contains(&f.as_str()))
}

/// Of the controls `covering` a requirement (their ids), those that verify a signature and
/// apply to this release: none when there is none; else whether one of them passed.
pub fn verified(plan: &Plan, evidence: &Evidence, covering: &[&str]) -> Option<bool> {
    let mut any = false;
    let mut passed = false;
    for check in plan
        .checks
        .iter()
        .filter(|c| covering.contains(&c.id.as_str()) && verifies_signature(c))
    {
        let status = evidence
            .results
            .iter()
            .find(|r| r.id == check.id)
            .map(|r| r.status);
        if status == Some(Status::Skipped) {
            continue;
        }
        any = true;
        passed |= status == Some(Status::Passed);
    }
    any.then_some(passed)
}
