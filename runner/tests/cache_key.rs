//! The benchmark's cache key covers every input its provider declares
//! (`facts::reference::inputs`, the same list the pre-commit scope reads): changing any
//! byte of any of them gives another key, so a cached evidence entry is never reused for
//! inputs it was not made from.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

use clic_runner::bench::cache::FileDigests;
use clic_runner::bench::BenchInputs;
use clic_runner::budget::Budget;
use clic_runner::facts::{reference, Reads};
use std::path::{Path, PathBuf};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn inputs(dir: &Path) -> BenchInputs {
    let text = std::fs::read_to_string(dir.join("model.clic")).expect("manifest");
    let compiled = clic_compiler::compile_str("model.clic", &text);
    let spec = compiled.plan.and_then(|p| p.model).expect("compiles");
    BenchInputs {
        root: std::fs::canonicalize(dir).expect("root"),
        dir: dir.to_path_buf(),
        spec,
        budget: Budget::new(1),
    }
}

fn key(dir: &Path) -> String {
    inputs(dir)
        .cache_key(&FileDigests::open(None))
        .expect("a key")
}

/// One file a declared input stands for: the file itself, or the first scan of a folder.
fn a_file_of(path: &Path) -> PathBuf {
    if !path.is_dir() {
        return path.to_path_buf();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    files.sort();
    files.into_iter().next().expect("a scan in the folder")
}

#[test]
fn every_declared_input_of_the_benchmark_changes_its_cache_key() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/chest-xray-triage");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("example");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for part in ["model.clic", "model", "data"] {
        let from = example.join(part);
        if from.is_dir() {
            copy_tree(&from, &dir.join(part));
        } else {
            std::fs::copy(&from, dir.join(part)).expect("copy");
        }
    }
    let Reads::Files(declared) = reference::inputs(Some(&inputs(&dir).spec)) else {
        panic!("the benchmark reads files");
    };
    assert!(
        declared.len() >= 4,
        "model, reference folder, labels, training list: {declared:?}"
    );
    let mut seen = vec![key(&dir)];
    for input in &declared {
        let file = a_file_of(&dir.join(input));
        let mut bytes = std::fs::read(&file).expect("read");
        // Appending a line keeps a list file valid and a DICOM file's digest new.
        bytes.extend_from_slice(b"\n# changed\n");
        std::fs::write(&file, bytes).expect("write");
        let now = key(&dir);
        assert!(
            !seen.contains(&now),
            "changing `{}` (declared input `{input}`) left the cache key as it was",
            file.display()
        );
        seen.push(now);
    }
}
