//! `clic init [DIR]`: scaffolds a compliance set-up into an existing model repository —
//! a model manifest using the standard policies, a pre-commit configuration, a GitHub
//! Actions workflow, a GitLab CI job, the benchmark split over machines (a GitHub Actions
//! matrix and a Kubernetes Indexed Job that shard and merge), and the document templates (intended use, risk
//! management file, ..., the DPIA and Team-NB questionnaires) under `docs/`, which the
//! manifest's `documents` block names. Existing files are never overwritten: each one
//! kept is reported.

use super::Status;
use crate::output::{print_error, write_atomic};
use crate::project::io_reason;
use clic_compiler::Code;
use std::path::Path;

const FILES: [(&str, &str); 6] = [
    (
        "model.clic",
        include_str!("../../templates/init/model.clic"),
    ),
    (
        ".pre-commit-config.yaml",
        include_str!("../../templates/init/pre-commit-config.yaml"),
    ),
    (
        ".github/workflows/clic.yml",
        include_str!("../../templates/init/github-workflow.yml"),
    ),
    (
        ".gitlab-ci.yml",
        include_str!("../../templates/init/gitlab-ci.yml"),
    ),
    (
        ".github/workflows/clic-bench-shards.yml",
        include_str!("../../templates/init/github-bench-shards.yml"),
    ),
    (
        "deploy/clic-bench-job.yaml",
        include_str!("../../templates/init/k8s-bench-job.yaml"),
    ),
];

/// A model name from a folder name: lowercase letters, digits and hyphens.
fn model_name(dir: &Path) -> String {
    let raw = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().to_lowercase()))
        .unwrap_or_default();
    let mut name: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').to_string();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name = format!("model-{name}");
    }
    name.trim_end_matches('-').to_string()
}

/// Runs `clic init`.
pub fn run(dir: &Path) -> Status {
    // A folder that does not exist yet is made, as `git init DIR` does.
    if !dir.exists() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            print_error(
                Code::E020,
                &format!("cannot create `{}`: {}", dir.display(), io_reason(&e)),
                None,
            );
            return Status::Invalid;
        }
        eprintln!("created   {}/", dir.display());
    }
    if !dir.is_dir() {
        print_error(
            Code::E020,
            &format!("`{}` is not a folder", dir.display()),
            Some("run `clic init` in the model's repository"),
        );
        return Status::Invalid;
    }
    let name = model_name(dir);
    let documents = clic_runner::documents::TEMPLATES
        .iter()
        .map(|t| (t.scaffold_path(), t.text.to_string()));
    let files = FILES
        .iter()
        .map(|(file, template)| {
            // The CI scaffolds install (and cache) the clic release that wrote them.
            let text = template
                .replace("{{name}}", &name)
                .replace("{{clic_version}}", env!("CARGO_PKG_VERSION"));
            (file.to_string(), text)
        })
        .chain(documents);
    for (file, text) in files {
        let target = dir.join(&file);
        if target.exists() {
            eprintln!("kept      {file} (exists)");
            continue;
        }
        if let Some(parent) = target.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                print_error(
                    Code::E020,
                    &format!("cannot create `{}`: {}", parent.display(), io_reason(&e)),
                    None,
                );
                return Status::Invalid;
            }
        }
        if let Err(e) = write_atomic(&target, text.as_bytes()) {
            print_error(
                Code::E020,
                &format!("cannot write `{file}`: {}", io_reason(&e)),
                None,
            );
            return Status::Invalid;
        }
        eprintln!("created   {file}");
    }
    eprintln!(
        "\nnext: fill in the TODOs of model.clic, pin the artifact's sha256, then `clic check`;"
    );
    eprintln!(
        "      write the documents in docs/ (answer each `**Answer:** TODO`, fill in the approval"
    );
    eprintln!("      front matter) and `use` the policies that check them.");
    eprintln!("      `pip install pre-commit && pre-commit install` runs it before every commit.");
    Status::Ok
}
