//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers: one rule per
//! control (its id, title, citations as help, level from severity), one result per
//! control that did not pass, located in the .clic file that declares the control —
//! or, for a standard-library control, at the manifest that put it in force — and at
//! the artifact when the control reads `artifact.*` facts.

use clic_compiler::plan::{Check, Plan, Severity, SourceLoc};
use clic_runner::evidence::{CheckResult, Evidence, Status};
use serde_json::{json, Value};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Blocker | Severity::Major => "error",
        Severity::Minor => "warning",
        Severity::Info => "note",
    }
}

fn help_text(c: &Check) -> String {
    let mut s: Vec<String> = c
        .citations
        .iter()
        .map(|x| format!("{} {}", x.framework_name, x.clause))
        .collect();
    s.insert(0, format!("{} — cites:", c.title));
    let mut text = s.join("\n- ");
    text.push_str(&format!(
        "\nExpects: {}",
        c.expect
            .iter()
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join(" AND ")
    ));
    if let Some(h) = &c.help {
        text.push_str(&format!("\nHow to fix: {h}"));
    }
    text
}

fn location(loc: &SourceLoc, base: &str) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": clic_runner::paths::join_slash(base, &loc.file), "uriBaseId": "SRCROOT" },
            "region": { "startLine": loc.line.max(1), "startColumn": loc.column.max(1) }
        }
    })
}

fn message(c: &Check, r: &CheckResult) -> String {
    let mut m = match r.status {
        Status::Failed => format!("{} failed: {}", c.id, c.title),
        Status::Unavailable => format!("{} could not be evaluated: {}", c.id, c.title),
        Status::Waived => format!("{} failed and is waived: {}", c.id, c.title),
        _ => format!("{}: {}", c.id, c.title),
    };
    for f in &r.failed {
        m.push_str(&format!(". Expected {f}"));
    }
    if let Some(u) = &r.unavailable {
        m.push_str(&format!(". `{}` is not available: {}", u.fact, u.reason));
    }
    let values: Vec<String> = r
        .observed
        .iter()
        .map(|o| format!("{} = {}", o.fact, o.value.display()))
        .collect();
    if !values.is_empty() {
        m.push_str(&format!(". Actual: {}", values.join("; ")));
    }
    m
}

/// The SARIF log of a run.
///
/// `base` is the folder clic checked, relative to the repository root (`""` when it is
/// the root, or outside a repository): locations are given from the root, where code
/// scanning looks for them.
/// SARIF 2.1.0.
pub struct Sarif;

impl super::Reporter for Sarif {
    fn render(&self, run: &super::Run<'_>) -> String {
        serde_json::to_string_pretty(&report(run.plan, run.evidence, run.base)).unwrap_or_default()
            + "\n"
    }
}

/// The SARIF log of a run.
pub fn report(plan: &Plan, evidence: &Evidence, base: &str) -> Value {
    let manifest = plan.model.as_ref().map(|m| m.source.clone());
    let artifact = plan.model.as_ref().map(|m| {
        let dir = std::path::Path::new(&m.source.file)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = if dir.is_empty() {
            m.artifact.path.clone()
        } else {
            format!("{dir}/{}", m.artifact.path)
        };
        SourceLoc {
            file,
            line: 1,
            column: 1,
            start: 0,
            end: 0,
        }
    });
    let rules: Vec<Value> = plan
        .checks
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.id.replace(['.', '-'], "_"),
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": format!("{} ({})", c.title, c.policy_title.clone().unwrap_or_else(|| c.policy.clone())) },
                "help": { "text": help_text(c) },
                "defaultConfiguration": { "level": level(c.severity) },
                "properties": {
                    "tags": c.citations.iter().map(|x| format!("{} {}", x.framework_name, x.clause)).collect::<Vec<_>>(),
                    "severity": c.severity.as_str(),
                    "stage": c.stage.as_str()
                }
            })
        })
        .collect();
    let results: Vec<Value> = evidence
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Unavailable | Status::Waived))
        .filter_map(|r| {
            let index = plan.checks.iter().position(|c| c.id == r.id)?;
            let c = &plan.checks[index];
            let declared = if c.source.file.starts_with("policies/") && !plan.sources.iter().any(|s| s.path == c.source.file && s.origin == clic_compiler::Origin::Project) {
                manifest.clone().unwrap_or_else(|| c.source.clone())
            } else {
                c.source.clone()
            };
            let mut locations = vec![location(&declared, base)];
            if c.facts.iter().any(|f| f.starts_with("artifact.")) {
                if let Some(a) = &artifact {
                    locations.push(location(a, base));
                }
            }
            let mut result = json!({
                "ruleId": c.id,
                "ruleIndex": index,
                "level": level(c.severity),
                "kind": "fail",
                "message": { "text": message(c, r) },
                "locations": locations,
            });
            if let Some(w) = &r.waiver {
                if w.state == "applied" {
                    result["suppressions"] = json!([{ "kind": "external", "status": "accepted", "justification": format!("{} (approved by {}, expires {})", w.waiver.reason, w.waiver.approved_by, w.waiver.expires) }]);
                }
            }
            Some(result)
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "clic",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules
            } },
            "originalUriBaseIds": { "SRCROOT": { "description": { "text": "The repository root (the git work tree), or the folder clic checked outside one." } } },
            "automationDetails": { "id": format!("clic/{}/", evidence.stage.as_str()) },
            "results": results
        }]
    })
}
