//! Helpers shared by the CLI tests (`mod common;` in each `tests/*.rs`): the binary, the
//! repository and its bundled example, copies of it, temporary projects, git with a fixed
//! identity and date, and the output of a run.
#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

pub mod skip;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The `clic` binary, without colour. A run that takes ten minutes has hung: it fails
/// rather than block the suite.
pub fn clic() -> Command {
    let mut cmd = Command::cargo_bin("clic").expect("the clic binary is built");
    cmd.env("NO_COLOR", "1");
    cmd.timeout(std::time::Duration::from_secs(600));
    cmd
}

/// The clic repository.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled example project.
pub fn example() -> PathBuf {
    root().join("examples/chest-xray-triage")
}

/// A project in a temporary folder holding `files` (`(path, text)`, folders made as needed).
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// Copies the files of `from` to `to`, recursively (the `.clic` cache excluded).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let name = e.file_name();
        if name == ".clic" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if e.file_type().expect("file type").is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// A copy of the whole example in a temporary folder.
pub fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&example(), dir.path());
    dir
}

/// Takes the robustness study out of the manifest of the example's copy in `dir`: each
/// declared perturbation adds its own read, tensor and row per scan, which tests counting
/// the scans' own cache entries leave out.
pub fn without_robustness(dir: &Path) {
    let manifest = dir.join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let start = text
        .find("  robustness {")
        .expect("the example's robustness block");
    let end = start + text[start..].find("\n  }\n").expect("its end") + "\n  }\n".len();
    std::fs::write(&manifest, format!("{}{}", &text[..start], &text[end..])).expect("write");
}

/// Runs git in `dir` with a fixed identity and date and no user or system configuration
/// (so commits, and the dossiers made of them, are the same on every machine); panics
/// when it fails.
pub fn git(dir: &Path, args: &[&str]) -> Output {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "RA Manager")
        .env("GIT_AUTHOR_EMAIL", "ra@example.com")
        .env("GIT_COMMITTER_NAME", "RA Manager")
        .env("GIT_COMMITTER_EMAIL", "ra@example.com")
        .env("GIT_AUTHOR_DATE", "2026-02-03T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-02-03T10:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Standard output and error of a run, together.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir` (links not followed) with its bytes, sorted by path.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let ty = e.file_type().expect("file type");
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .into_owned();
            if ty.is_dir() {
                stack.push(e.path());
            } else if ty.is_symlink() {
                let to = std::fs::read_link(e.path()).expect("link");
                out.push((rel, format!("-> {}", to.display()).into_bytes()));
            } else {
                out.push((rel, std::fs::read(e.path()).expect("read")));
            }
        }
    }
    out.sort();
    out
}
