//! The flags that set the reading limits and the inference budget: each reaches the
//! reader it names (check, bench, dossier, inspect), a scan over a limit names the flag
//! that raises it, evidence made under other limits is never reused under the defaults,
//! a dossier records raised limits for `clic verify --regenerate`, and a bad value is a
//! usage error (exit 2), never a limit of zero or an overflow.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
mod release;

use common::{clic, example_copy, text};
use std::path::Path;

/// Runs `clic ARGS DIR`: (exit code, all output).
fn run(args: &[&str], dir: &Path) -> (i32, String) {
    let out = clic()
        .args(args)
        .arg(dir)
        .timeout(std::time::Duration::from_secs(600))
        .output()
        .expect("clic runs");
    (out.status.code().unwrap_or(-1), text(&out))
}

/// The example's scans are 128 x 128 (16,384 pixels) and 11-14 KB each.
#[test]
fn a_lowered_limit_reaches_every_reader_and_names_its_flag() {
    let dir = example_copy();
    let p = dir.path();
    for (args, needles) in [
        (
            vec!["check", "--max-pixels", "10000"],
            vec![
                "E022",
                "16384 pixels",
                "over the limit of 10000",
                "--max-pixels",
            ],
        ),
        (
            vec!["bench", "--max-scan-bytes", "4KiB"],
            vec!["E022", "over the limit of 4096", "--max-scan-bytes"],
        ),
        (
            vec!["check", "--max-list-bytes", "100B"],
            vec![
                "E022",
                "labels",
                "over the limit of 100",
                "--max-list-bytes",
            ],
        ),
    ] {
        let (code, out) = run(&args, p);
        assert_eq!(code, 2, "{args:?}\n{out}");
        for n in needles {
            assert!(out.contains(n), "{args:?}: `{n}` not in\n{out}");
        }
    }
    let scan = p.join("data/reference/cxr-0001.dcm");
    let (code, out) = run(&["inspect", "scan", "--max-pixels", "16383"], &scan);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--max-pixels"), "{out}");
    let (code, out) = run(&["inspect", "scan", "--max-pixels", "16384"], &scan);
    assert_eq!(code, 0, "at the limit is within it\n{out}");
    // And a dossier under a lowered limit writes nothing.
    let out_dir = p.join("dossier-out");
    let (code, out) = run(
        &[
            "dossier",
            "--max-pixels",
            "10000",
            "--out",
            out_dir.to_str().expect("utf-8"),
        ],
        p,
    );
    assert_eq!(code, 2, "{out}");
    assert!(!out_dir.exists(), "nothing written on exit 2");
}

#[test]
fn evidence_made_under_other_limits_is_not_reused_under_the_defaults() {
    let dir = example_copy();
    let p = dir.path();
    let (code, out) = run(&["check", "--max-pixels", "1_000_000_000"], p);
    assert!(
        code == 0 || code == 1,
        "raised limits read the example\n{out}"
    );
    // Same limits again: reused.
    let (_, out) = run(&["check", "--max-pixels", "1_000_000_000"], p);
    assert!(out.contains("reused cached benchmark evidence"), "{out}");
    // The defaults: computed afresh, as a cold run would.
    let (_, out) = run(&["check"], p);
    assert!(!out.contains("reused cached benchmark evidence"), "{out}");
    // A lowered limit after a warm run under the defaults: still refused, as cold.
    let (code, out) = run(&["check", "--max-pixels", "10000"], p);
    assert_eq!(
        code, 2,
        "the cache does not hide a scan over the limit\n{out}"
    );
}

#[test]
fn bad_limit_values_are_usage_errors() {
    let dir = example_copy();
    let p = dir.path();
    for args in [
        ["check", "--max-scan-bytes", "0"],
        ["check", "--max-scan-bytes=-1", "--"],
        ["check", "--max-scan-bytes", "1.5GB"],
        ["check", "--max-scan-bytes", "2 parsecs"],
        ["check", "--max-scan-bytes", "99999999999999999999999"],
        ["bench", "--max-pixels", "0"],
        ["bench", "--max-pixels", "2^30"],
        ["dossier", "--max-list-bytes", "4096TiB"],
        ["check", "--inference-timeout", "0"],
        ["check", "--inference-timeout", "8d"],
        ["check", "--inference-timeout", "200h"],
        ["check", "--max-inference-memory", "0"],
        ["bench", "--max-inference-memory", "2048TiB"],
        ["check", "--max-inference-memory", "lots"],
        ["check", "--threads", "0"],
        ["bench", "--threads", "1000000"],
    ] {
        let (code, out) = run(&args, p);
        assert_eq!(code, 2, "{args:?}\n{out}");
        let flag = args[1].split('=').next().unwrap_or_default();
        assert!(out.contains(flag), "{args:?}: the flag is named\n{out}");
        assert!(!out.contains("panicked"), "{args:?}\n{out}");
        assert!(
            out.contains("clic::E020"),
            "{args:?}: a coded diagnostic\n{out}"
        );
    }
    assert!(!p.join(".clic/cache").exists(), "no run started");
}

#[test]
fn raised_limits_are_recorded_in_the_dossier_and_only_then() {
    let dir = example_copy();
    let p = dir.path();
    let results = |d: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join("results.json")).expect("results.json"))
            .expect("json")
    };
    let plain = p.join("plain");
    let (code, out) = run(&["dossier", "--out", plain.to_str().expect("utf-8")], p);
    assert!(code == 0 || code == 1, "{out}");
    assert!(
        results(&plain).get("limits").is_none(),
        "defaults: no record"
    );
    let raised = p.join("raised");
    let (code, out) = run(
        &[
            "dossier",
            "--max-pixels",
            "1073741824",
            "--max-list-bytes",
            "1GiB",
            "--out",
            raised.to_str().expect("utf-8"),
        ],
        p,
    );
    assert!(code == 0 || code == 1, "{out}");
    assert_eq!(
        results(&raised)["limits"],
        serde_json::json!({
            "max_scan_bytes": 512u64 << 20,
            "max_pixels": 1u64 << 30,
            "max_list_bytes": 1u64 << 30,
        })
    );
}

#[test]
fn regeneration_reads_with_the_limits_the_dossier_records() {
    let repo = release::repo();
    let d = repo.path().join("out");
    let out = clic()
        .arg("dossier")
        .arg(repo.path())
        .args(["--max-pixels", "1073741824", "--out"])
        .arg(&d)
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Rebuilt with the defaults, results.json would hold no `limits` and differ.
    let out = clic()
        .arg("verify")
        .arg(&d)
        .arg("--repo")
        .arg(repo.path())
        .arg("--regenerate")
        .output()
        .expect("clic runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("regeneration: identical"),
        "{}",
        text(&out)
    );
}
