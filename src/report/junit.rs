//! JUnit XML: one test suite per policy, one test case per control; a failure carries
//! the expectation that did not hold and the values read.

use clic_compiler::plan::Plan;
use clic_dossier::escape::xml;
use clic_runner::evidence::{Evidence, Status};
use std::collections::BTreeMap;

/// The JUnit XML of a run.
/// JUnit XML.
pub struct Junit;

impl super::Reporter for Junit {
    fn render(&self, run: &super::Run<'_>) -> String {
        report(run.plan, run.evidence)
    }
}

/// The JUnit XML of a run.
pub fn report(plan: &Plan, evidence: &Evidence) -> String {
    let mut suites: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut counts: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for r in &evidence.results {
        let Some(c) = plan.checks.iter().find(|c| c.id == r.id) else {
            continue;
        };
        let entry = counts.entry(c.policy.as_str()).or_default();
        entry.0 += 1;
        let name =
            c.id.strip_prefix(&format!("{}.", c.policy))
                .unwrap_or(&c.id);
        let mut case = format!(
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">\n",
            xml(&c.policy),
            xml(name),
            xml(&c.source.file),
            c.source.line
        );
        let values: Vec<String> = r
            .observed
            .iter()
            .map(|o| format!("{} = {}", o.fact, o.value.display()))
            .collect();
        let cites: Vec<String> = c
            .citations
            .iter()
            .map(|x| format!("{} {}", x.framework_name, x.clause))
            .collect();
        match r.status {
            Status::Failed | Status::Unavailable => {
                entry.1 += 1;
                let msg = match &r.unavailable {
                    Some(u) => format!("not available: `{}`: {}", u.fact, u.reason),
                    None => format!("expected {}", r.failed.join(" and ")),
                };
                case.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{}\">{}\nactual: {}\ncites: {}</failure>\n",
                    xml(&msg),
                    c.severity.as_str(),
                    xml(&c.title),
                    xml(&values.join("; ")),
                    xml(&cites.join("; "))
                ));
            }
            Status::Skipped | Status::Waived => {
                entry.2 += 1;
                let why = match &r.waiver {
                    Some(w) if r.status == Status::Waived => format!(
                        "waived: {} (approved by {}, expires {})",
                        w.waiver.reason, w.waiver.approved_by, w.waiver.expires
                    ),
                    _ => "does not apply".to_string(),
                };
                case.push_str(&format!("      <skipped message=\"{}\"/>\n", xml(&why)));
            }
            Status::Passed => {}
        }
        case.push_str("    </testcase>\n");
        suites.entry(c.policy.as_str()).or_default().push(case);
    }
    let (tests, failures, skipped) = counts
        .values()
        .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
    let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"clic\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n");
    for (policy, cases) in suites {
        let (t, f, s) = counts.get(policy).copied().unwrap_or_default();
        out.push_str(&format!("  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">\n", xml(policy)));
        for c in cases {
            out.push_str(&c);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
