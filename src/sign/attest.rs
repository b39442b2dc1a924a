//! `clic check --attest FILE --sign KEY`: the gate's outcome as an in-toto Statement v1
//! with a test-result predicate, in a DSSE envelope signed with the team's SSH key.
//!
//! - Subjects: the model artifact, the labels file and **each reference scan**, named by
//!   their path relative to the project (as in the dossier's `evidence.json`), each with
//!   the sha256 of its bytes read now. One subject per file, rather than one digest over
//!   the set, lets anyone check a single scan with `sha256sum` and lets in-toto tooling
//!   match artifacts by digest.
//! - Predicate (`https://in-toto.io/attestation/test-result/v0.1`): `result` is the gate
//!   (`PASSED` or `FAILED`); `failedTests` are the controls that fail the gate,
//!   `warnedTests` the controls that failed below `--fail-on` or are waived,
//!   `passedTests` those that passed (controls that do not apply are in none);
//!   `configuration` holds every policy source compiled (path and sha256 of its text)
//!   and `clic-options.json` (clic's version, the stage, `--fail-on`, the date waivers
//!   were judged as of), embedded and hashed.
//! - Envelope: DSSE, payloadType `application/vnd.in-toto+json`, one ed25519 signature
//!   over the PAE whose keyid is the key's SHA256 fingerprint (as `ssh-keygen -l` prints).

use super::{dsse, Key};
use base64ct::{Base64, Encoding};
use clic_compiler::plan::{Plan, Severity, Stage};
use clic_dossier::integrity;
use clic_runner::evidence::{blocks, Evidence, Status};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The in-toto Statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The test-result predicate type.
pub const PREDICATE_TYPE: &str = "https://in-toto.io/attestation/test-result/v0.1";
/// The DSSE payload type of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// What `--attest` asks for.
pub struct Request {
    /// Where to write the envelope.
    pub out: PathBuf,
    /// The key that signs it.
    pub key: Key,
}

/// The statement of a run.
pub fn statement(
    base: &Path,
    manifest_dir: &Path,
    plan: &Plan,
    evidence: &Evidence,
    (stage, fail_on, today): (Stage, Severity, &str),
) -> Value {
    let subjects: Vec<Value> = integrity::inputs(base, manifest_dir, plan, &[])
        .into_iter()
        .filter(|f| matches!(f.role.as_str(), "model" | "labels" | "reference scan"))
        .filter(|f| !f.sha256.is_empty())
        .map(|f| json!({ "name": f.path, "digest": { "sha256": f.sha256 } }))
        .collect();
    let (mut passed, mut warned, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    for r in &evidence.results {
        if blocks(r, evidence.fail_on) {
            failed.push(r.id.clone());
        } else {
            match r.status {
                Status::Passed => passed.push(r.id.clone()),
                Status::Failed | Status::Unavailable | Status::Waived => warned.push(r.id.clone()),
                Status::Skipped => {}
            }
        }
    }
    let options = json!({
        "clic_version": env!("CARGO_PKG_VERSION"),
        "stage": stage.as_str(),
        "fail_on": fail_on.as_str(),
        "waivers_as_of": today,
    });
    let options_bytes = serde_json::to_vec(&options).unwrap_or_default();
    let mut configuration: Vec<Value> = plan
        .sources
        .iter()
        .map(|s| json!({ "name": s.path, "digest": { "sha256": s.sha256 } }))
        .collect();
    configuration.push(json!({
        "name": "clic-options.json",
        "mediaType": "application/json",
        "content": Base64::encode_string(&options_bytes),
        "digest": { "sha256": clic_runner::facts::artifact::sha256_hex(&options_bytes) },
        "annotations": options,
    }));
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "result": if evidence.gate_passed { "PASSED" } else { "FAILED" },
            "configuration": configuration,
            "passedTests": passed,
            "warnedTests": warned,
            "failedTests": failed,
        },
    })
}

/// Signs the statement and writes the envelope; prints a diagnostic on failure.
pub fn write(request: &Request, statement: &Value) -> Result<(), ()> {
    let payload = serde_json::to_vec(statement).unwrap_or_default();
    let envelope = match dsse::envelope(&request.key, PAYLOAD_TYPE, &payload) {
        Ok(e) => e,
        Err(why) => {
            crate::output::print_error(
                clic_compiler::Code::E031,
                &format!("cannot sign the attestation: {why}"),
                None,
            );
            return Err(());
        }
    };
    let mut text = serde_json::to_vec_pretty(&envelope).unwrap_or_default();
    text.push(b'\n');
    crate::output::write_atomic(&request.out, &text).map_err(|e| {
        crate::output::print_error(
            clic_compiler::Code::E020,
            &format!(
                "cannot write `{}`: {}",
                request.out.display(),
                crate::project::io_reason(&e)
            ),
            None,
        );
    })
}
