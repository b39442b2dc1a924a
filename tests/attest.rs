//! `clic check --attest FILE --sign KEY`: an in-toto Statement v1 with a test-result
//! predicate in a DSSE envelope, checked by independent implementations — Python's
//! `securesystemslib` verifies the envelope's ed25519 signature with the public key from
//! the key's `.pub` file, `in-toto-attestation`'s protobuf bindings parse the statement
//! and the predicate strictly (an unknown field fails), and the subjects' digests are
//! compared with `hashlib.sha256` of the files. The key id is compared with what
//! `ssh-keygen -l` prints.
//!
//! Under `CI=true` the Python packages must be installed (.ci/run does); elsewhere their
//! absence prints `SKIPPED` and the test returns.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
mod release;

use common::{clic, text};
use release::{key, keygen, repo};
use std::path::Path;
use std::process::Output;

/// The independent check. argv: envelope, project folder, public key line.
const VERIFY_PY: &str = r#"
import base64, hashlib, json, os, sys
from google.protobuf import json_format
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.predicates.test_result.v0 import test_result_pb2

envelope_path, project, public_line = sys.argv[1], sys.argv[2], sys.argv[3]
with open(envelope_path) as f:
    raw = json.load(f)

# The raw ed25519 key is the last 32 bytes of the OpenSSH public key blob.
blob = base64.b64decode(public_line.split()[1])
assert blob[:4] == (11).to_bytes(4, "big") and blob[4:15] == b"ssh-ed25519", "an ed25519 key"
public = blob[-32:]
keyid = raw["signatures"][0]["keyid"]
key = SSlibKey(keyid, "ed25519", "ed25519", {"public": public.hex()})

def verify(data):
    env = Envelope.from_dict(json.loads(json.dumps(data)))
    env.verify([key], 1)
    return env

env = verify(raw)
assert env.payload_type == "application/vnd.in-toto+json", env.payload_type

# The check can fail: one byte of the payload changed, or another key.
tampered = json.loads(json.dumps(raw))
payload = bytearray(base64.b64decode(tampered["payload"]))
payload[-2] ^= 1
tampered["payload"] = base64.b64encode(bytes(payload)).decode()
try:
    verify(tampered)
    sys.exit("a tampered payload verified")
except Exception:
    pass

statement = json.loads(env.payload)
pb = json_format.ParseDict(statement, statement_pb2.Statement())
Statement.copy_from_pb(pb).validate()
assert pb.type == "https://in-toto.io/Statement/v1", pb.type
assert pb.predicate_type == "https://in-toto.io/attestation/test-result/v0.1", pb.predicate_type
predicate = json_format.ParseDict(statement["predicate"], test_result_pb2.TestResult())
for rd in predicate.configuration:
    ResourceDescriptor.copy_from_pb(rd).validate()

names = set()
for s in pb.subject:
    with open(os.path.join(project, s.name), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert s.digest["sha256"] == digest, (s.name, s.digest["sha256"], digest)
    names.add(s.name)
print(json.dumps({
    "result": predicate.result,
    "passed": list(predicate.passed_tests),
    "warned": list(predicate.warned_tests),
    "failed": list(predicate.failed_tests),
    "subjects": sorted(names),
    "configuration": [rd.name for rd in predicate.configuration],
    "keyid": keyid,
}))
"#;

fn check(project: &Path, args: &[&str]) -> Output {
    clic()
        .arg("check")
        .arg(project)
        .args(args)
        .output()
        .expect("clic runs")
}

fn python_ready() -> bool {
    release::have(
        std::process::Command::new("python3").args([
            "-c",
            "import securesystemslib.dsse, securesystemslib.signer, in_toto_attestation.v1.statement, cryptography",
        ]),
        "python3 with securesystemslib[crypto] and in-toto-attestation",
    )
}

fn independent_check(envelope: &Path, project: &Path, key: &Path) -> serde_json::Value {
    let out = std::process::Command::new("python3")
        .args(["-c", VERIFY_PY])
        .arg(envelope)
        .arg(project)
        .arg(release::public_key(key))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("the script's summary")
}

#[test]
fn the_attestation_verifies_with_securesystemslib_and_in_toto_and_names_the_inputs() {
    if !python_ready() {
        return;
    }
    let repo = repo();
    let key = key(repo.path());
    let envelope = repo.path().join("out-attestation.json");
    let out = check(
        repo.path(),
        &[
            "--stage",
            "release",
            "--attest",
            envelope.to_str().expect("utf-8"),
            "--sign",
            key.to_str().expect("utf-8"),
        ],
    );
    let gate = out.status.code();
    assert!(matches!(gate, Some(0 | 1)), "{}", text(&out));
    let summary = independent_check(&envelope, repo.path(), &key);

    // The gate is the result, and the controls are sorted into the lists.
    let want = if gate == Some(0) { "PASSED" } else { "FAILED" };
    assert_eq!(summary["result"], want, "{summary}");
    let passed = summary["passed"].as_array().expect("list");
    assert!(passed.len() > 10, "{summary}");
    assert!(
        passed
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.starts_with("mdr."))),
        "{summary}"
    );
    // The subjects: the model, the labels and every reference scan.
    let subjects: Vec<&str> = summary["subjects"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(subjects.contains(&"model/cxr.onnx"), "{subjects:?}");
    let scans = subjects.iter().filter(|s| s.ends_with(".dcm")).count();
    let on_disk = std::fs::read_dir(repo.path().join("data/reference"))
        .expect("reference")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "dcm"))
        .count();
    assert_eq!(scans, on_disk, "one subject per scan");
    let configuration = summary["configuration"].to_string();
    assert!(configuration.contains("model.clic"), "{configuration}");
    assert!(
        configuration.contains("clic-options.json"),
        "{configuration}"
    );
    // The key id is the fingerprint ssh-keygen prints for the key.
    let listed = release::ssh_keygen(&["-l", "-E", "sha256", "-f", key.to_str().expect("utf-8")]);
    let fingerprint = String::from_utf8_lossy(&listed.stdout)
        .split_whitespace()
        .nth(1)
        .expect("fingerprint")
        .to_string();
    assert_eq!(summary["keyid"], fingerprint.as_str());
}

#[test]
fn a_failing_gate_is_attested_as_failed_with_the_failing_controls() {
    if !python_ready() {
        return;
    }
    let repo = repo();
    let key = key(repo.path());
    // The manifest claims a sensitivity the model does not reach.
    let manifest = repo.path().join("model.clic");
    let text_of = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(text_of.contains("sensitivity 72%"));
    std::fs::write(
        &manifest,
        text_of.replace("sensitivity 72%", "sensitivity 99%"),
    )
    .expect("write");
    let envelope = repo.path().join("out-attestation.json");
    let out = check(
        repo.path(),
        &[
            "--attest",
            envelope.to_str().expect("utf-8"),
            "--sign",
            key.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let summary = independent_check(&envelope, repo.path(), &key);
    assert_eq!(summary["result"], "FAILED", "{summary}");
    assert!(
        !summary["failed"].as_array().expect("list").is_empty(),
        "{summary}"
    );
}

#[test]
fn an_attestation_needs_a_key_that_can_sign() {
    let repo = repo();
    let envelope = repo.path().join("out-attestation.json");
    let e = envelope.to_str().expect("utf-8");
    // --attest without --sign is a usage error.
    let out = check(repo.path(), &["--attest", e]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let keys = tempfile::tempdir().expect("temp dir");
    let encrypted = keys.path().join("k");
    keygen(&encrypted, "ed25519", "a passphrase");
    let out = check(
        repo.path(),
        &["--attest", e, "--sign", encrypted.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("clic::E031"), "{}", text(&out));
    assert!(!envelope.exists(), "nothing is written");
}
