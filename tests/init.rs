//! `clic init` scaffolds the document templates into `docs/` and a manifest that names
//! them; it never overwrites a file; and the scaffolded documents are then checked:
//! unfilled they fail the gate, broken they are invalid input (`clic::E023`).
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod common;

use clic_runner::documents::TEMPLATES;
use common::clic;
use predicates::prelude::*;
use std::path::Path;

fn init(dir: &Path) -> String {
    let out = clic()
        .arg("init")
        .arg(dir)
        .output()
        .expect("clic init runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn init_copies_every_document_template_and_names_it_in_the_manifest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let said = init(dir.path());
    for t in TEMPLATES {
        let path = t.scaffold_path();
        let text = std::fs::read_to_string(dir.path().join(&path)).expect("scaffolded");
        assert_eq!(text, t.text, "{path} is the template as shipped");
        assert!(said.contains(&format!("created   {path}")), "{said}");
    }
    // The manifest names exactly those files, by kind.
    let out = clic()
        .args(["compile", "--emit-plan", "-"])
        .arg(dir.path().join("model.clic"))
        .output()
        .expect("clic compile runs");
    assert!(out.status.success(), "{out:?}");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON plan");
    let named = plan["model"]["documents"]
        .as_object()
        .expect("a documents block");
    assert_eq!(named.len(), TEMPLATES.len());
    for t in TEMPLATES {
        assert_eq!(
            named.get(t.kind).and_then(|p| p.as_str()),
            Some(t.scaffold_path().as_str()),
            "{}",
            t.kind
        );
    }
}

#[test]
fn init_keeps_existing_documents_and_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("docs")).expect("docs");
    let ours = "---\napproved_by: DPO\ndate: 2024-01-01\nversion: 3\n---\n# Our DPIA\n";
    std::fs::write(dir.path().join("docs/dpia.md"), ours).expect("write");
    let said = init(dir.path());
    assert!(said.contains("kept      docs/dpia.md (exists)"), "{said}");
    assert!(!said.contains("created   docs/dpia.md"), "{said}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("docs/dpia.md")).expect("kept"),
        ours
    );
    assert!(dir.path().join("docs/ifu.md").is_file());
    // A second run creates nothing.
    let again = init(dir.path());
    assert!(!again.contains("created"), "{again}");
    assert_eq!(again.matches("kept").count(), TEMPLATES.len() + 6);
}

/// A scaffolded project whose manifest uses `policies` instead of the default ones.
fn scaffold_using(policies: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    init(dir.path());
    let manifest = dir.path().join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let used = text.replace(
        "use iec62304.configuration, mdr.performance, gdpr.dicom_deid",
        &format!("use {policies}"),
    );
    assert_ne!(used, text, "the scaffold's `use` line");
    std::fs::write(&manifest, used).expect("write");
    dir
}

#[test]
fn unfilled_templates_fail_the_gate_with_what_is_missing() {
    let dir = scaffold_using("gdpr.dpia, iec62304.deliverables");
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ FAIL         dpia-approved"))
        .stdout(predicate::str::contains("approved: false"))
        .stdout(predicate::str::contains("A.1 Purposes of the processing"))
        .stdout(predicate::str::contains("UNAVAILABLE").not());
}

#[test]
fn a_broken_document_is_invalid_input() {
    let dir = scaffold_using("gdpr.dpia");
    let dpia = dir.path().join("docs/dpia.md");
    let text = std::fs::read_to_string(&dpia).expect("dpia");
    std::fs::write(&dpia, text.replacen("date: \"\"", "date: 2024-02-30", 1)).expect("write");
    clic()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clic::E023"))
        .stderr(predicate::str::contains(
            "`docs/dpia.md` line 4: `date` is `2024-02-30`, not a calendar date",
        ));
}

/// Every `run` (GitHub) or `args` line (Kubernetes) under `v`, joined.
fn commands(v: &serde_yaml::Value) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    (Some("run"), serde_yaml::Value::String(s)) => out.push(s.clone()),
                    (Some("args"), serde_yaml::Value::Sequence(items)) => {
                        out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)));
                    }
                    _ => out.extend(commands(v)),
                }
            }
        }
        serde_yaml::Value::Sequence(items) => out.extend(items.iter().flat_map(commands)),
        _ => {}
    }
    out
}

#[test]
fn init_scaffolds_a_sharded_benchmark_for_github_actions_and_kubernetes() {
    let dir = tempfile::tempdir().expect("temp dir");
    init(dir.path());
    let text = std::fs::read_to_string(dir.path().join(".github/workflows/clic-bench-shards.yml"))
        .expect("the matrix workflow");
    let gh: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let shards = gh["jobs"]["shard"]["strategy"]["matrix"]["shard"]
        .as_sequence()
        .expect("a matrix of shards");
    let n = shards.len();
    assert_eq!(
        shards
            .iter()
            .filter_map(serde_yaml::Value::as_u64)
            .collect::<Vec<_>>(),
        (1..=n as u64).collect::<Vec<_>>()
    );
    let shard_runs = commands(&gh["jobs"]["shard"]);
    assert!(
        shard_runs.iter().any(|r| r.starts_with(&format!(
            "clic bench --shard ${{{{ matrix.shard }}}}/{n} --output "
        ))),
        "{shard_runs:?}"
    );
    assert_eq!(gh["jobs"]["merge"]["needs"].as_str(), Some("shard"));
    assert!(
        commands(&gh["jobs"]["merge"])
            .iter()
            .any(|r| r.starts_with("clic bench merge ")),
        "{:?}",
        commands(&gh["jobs"]["merge"])
    );

    let text = std::fs::read_to_string(dir.path().join("deploy/clic-bench-job.yaml"))
        .expect("the Kubernetes jobs");
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("valid YAML"))
        .collect();
    assert_eq!(docs.len(), 2, "the indexed job and the merge");
    let job = &docs[0];
    assert_eq!(job["kind"].as_str(), Some("Job"));
    assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"));
    let n = job["spec"]["completions"].as_u64().expect("completions");
    let args = commands(job).join(" ");
    assert!(
        args.contains(&format!(
            "clic bench --shard $((JOB_COMPLETION_INDEX + 1))/{n} --output"
        )),
        "{args}"
    );
    assert!(!text.contains("{{name}}"), "the model's name is filled in");
    assert!(commands(&docs[1]).join(" ").contains("clic bench merge "));
}

/// The CI scaffolds install clic once and cache it: the install step runs only on a cache
/// miss, the cache is keyed on the clic version the scaffold was written for, the release
/// binary is checked against its sha256 before a source build is tried, and the variable
/// naming clic's repository is explained where it is used.
#[test]
fn ci_scaffolds_cache_clic_keyed_on_its_version_and_explain_the_repository_variable() {
    let dir = tempfile::tempdir().expect("temp dir");
    init(dir.path());
    let version = env!("CARGO_PKG_VERSION");
    for file in [
        ".github/workflows/clic.yml",
        ".github/workflows/clic-bench-shards.yml",
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).expect("scaffold");
        assert!(
            !text.contains("{{clic_version}}") && !text.contains("{{name}}"),
            "{file}: every placeholder filled in"
        );
        assert!(
            text.contains("# Where clic comes from: set the repository variable CLIC_REPOSITORY")
        );
        let gh: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
        assert_eq!(gh["env"]["CLIC_VERSION"].as_str(), Some(version), "{file}");
        let jobs = gh["jobs"].as_mapping().expect("jobs");
        for (job, spec) in jobs {
            let steps = spec["steps"].as_sequence().expect("steps");
            let cache = steps
                .iter()
                .find(|s| {
                    s["uses"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("actions/cache@"))
                })
                .unwrap_or_else(|| panic!("{file} {job:?}: a cache step"));
            let key = cache["with"]["key"].as_str().expect("a cache key");
            assert!(key.contains("env.CLIC_VERSION"), "{key}");
            let id = cache["id"].as_str().expect("the cache step's id");
            for step in steps {
                let Some(run) = step["run"].as_str() else {
                    continue;
                };
                if run.contains("cargo install") {
                    assert_eq!(
                        step["if"].as_str(),
                        Some(format!("steps.{id}.outputs.cache-hit != 'true'").as_str()),
                        "{file} {job:?}: installs only on a cache miss"
                    );
                    let download = run.find("sha256sum -c").expect("the checksum is checked");
                    assert!(download < run.find("cargo install").expect("fallback"));
                    assert!(run.contains("--tag \"v$CLIC_VERSION\""), "{run}");
                    // The shared S3 cache, which the shard jobs use, is an optional feature.
                    assert!(run.contains("--features full"), "{run}");
                }
            }
        }
    }
    let text = std::fs::read_to_string(dir.path().join(".gitlab-ci.yml")).expect("scaffold");
    let gl: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    assert_eq!(
        gl["clic"]["variables"]["CLIC_VERSION"].as_str(),
        Some(version)
    );
    assert_eq!(
        gl["clic"]["cache"]["key"].as_str(),
        Some("clic-$CLIC_VERSION")
    );
    let before = commands_of(&gl["clic"]["before_script"]).join("\n");
    assert!(
        before.contains("if [ ! -x .clic-bin/bin/clic ]"),
        "{before}"
    );
    assert!(text.contains("# Where clic comes from: set the CI/CD variable CLIC_REPOSITORY"));
}

fn commands_of(v: &serde_yaml::Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
