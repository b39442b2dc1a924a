//! Hostile scans and reference-set files, end to end: the example project with one
//! hostile input added. Each made clic abort, claim gigabytes, read without end or take
//! half a minute; each must now be a `clic::E022` diagnostic naming the input, exit
//! status 2, in seconds.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
#[path = "../runner/tests/dicom_writer/mod.rs"]
mod dicom_writer;

use common::{clic, example_copy, text};
use dicom_writer::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `clic ARGS DIR`: (exit code, all output, how long it took).
fn run(args: &[&str], dir: &Path) -> (i32, String, Duration) {
    let started = Instant::now();
    let out = clic()
        .args(args)
        .arg(dir)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("clic runs");
    (
        out.status.code().unwrap_or(-1),
        text(&out),
        started.elapsed(),
    )
}

/// Asserts a run is exit 2 with `clic::E022` and every one of `needles` in its output.
fn assert_e022(what: &str, (code, out, took): (i32, String, Duration), needles: &[&str]) {
    assert_eq!(
        code, 2,
        "{what}: exit status (134 was a stack overflow)\n{out}"
    );
    assert!(out.contains("E022"), "{what}: no E022\n{out}");
    // A diagnostic's message is wrapped to the terminal's width, with a gutter: read it
    // as one line of words.
    let words = |t: &str| {
        t.replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let flat = words(&out);
    for n in needles {
        assert!(flat.contains(&words(n)), "{what}: `{n}` not in\n{out}");
    }
    assert!(took < Duration::from_secs(240), "{what}: took {took:?}");
}

fn add_scan(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join("data/reference").join(name), bytes).expect("write scan");
}

#[test]
fn a_scan_nested_1500_deep_is_e022_in_check_bench_and_inspect() {
    let dir = example_copy();
    let deep = part10(EXPLICIT_LE, &image_with(&nested_undefined(1500)));
    assert!(deep.len() < 64 << 10);
    add_scan(dir.path(), "deep.dcm", &deep);
    let needles = ["deep.dcm", "nested more than 64 levels deep"];
    assert_e022("check", run(&["check"], dir.path()), &needles);
    assert_e022("bench", run(&["bench"], dir.path()), &needles);
    let file = dir.path().join("data/reference/deep.dcm");
    let file = file.to_str().expect("utf-8 path");
    assert_e022(
        "inspect scan",
        run(&["inspect", "scan"], Path::new(file)),
        &needles,
    );
}

#[test]
fn two_scans_declaring_4_gb_are_e022_without_allocating_it() {
    let dir = example_copy();
    let mut d = image_attributes(4, 4);
    d.extend(header((0x7FE0, 0x0010), b"OW", 0xFFFF_FFF0));
    d.extend(vec![0u8; 34 << 10]);
    let long = part10(EXPLICIT_LE, &d);
    add_scan(dir.path(), "long-1.dcm", &long);
    add_scan(dir.path(), "long-2.dcm", &long);
    // Each was 4.2 GB on its decoding thread; the check is structural (the declared
    // length is compared with the bytes there are before dicom-rs sees the file).
    assert_e022(
        "check",
        run(&["check", "--threads", "2"], dir.path()),
        &["long-1.dcm", "declares 4294967280 bytes"],
    );
}

#[test]
fn a_1_mb_deflated_scan_inflating_to_1_gb_is_e022() {
    let dir = example_copy();
    let mut head = image_with(&[]);
    head.extend(header((0x0009, 0x1010), b"OB", 1 << 30));
    let bomb = part10(DEFLATED, &deflate_bomb(&head, 1024));
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    add_scan(dir.path(), "bomb.dcm", &bomb);
    assert_e022(
        "check",
        run(&["check"], dir.path()),
        &["bomb.dcm", "inflates to more than 536870912 bytes"],
    );
}

/// Makes a FIFO at `path`; false (after a visible skip, and never under CI) without
/// `mkfifo`.
fn fifo(path: &Path) -> bool {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    common::skip::require("mkfifo", made, "coreutils")
}

#[test]
fn a_training_list_that_is_a_device_or_a_fifo_is_e022_unread() {
    let dir = example_copy();
    let list = dir.path().join("data/training-patients.txt");
    std::fs::remove_file(&list).expect("remove");
    // A link to /dev/zero read 8.4 GB. (It lies outside the project, which is refused
    // too; either way, nothing reads it.)
    std::os::unix::fs::symlink("/dev/zero", &list).expect("symlink");
    assert_e022(
        "training -> /dev/zero",
        run(&["check"], dir.path()),
        &["training-patients.txt"],
    );
    std::fs::remove_file(&list).expect("remove");
    // Inside the project: a FIFO, and a link to one. Reading either would block.
    // (Named with an extension: `git.stray_scans` opens extension-less files to look
    // for a DICOM preamble, which is another check's business.)
    if fifo(&dir.path().join("data/pipe.fifo")) {
        std::os::unix::fs::symlink("pipe.fifo", &list).expect("symlink");
        assert_e022(
            "training -> FIFO",
            run(&["check"], dir.path()),
            &["training-patients.txt", "it is a FIFO, not a regular file"],
        );
    }
}

#[test]
fn a_labels_file_too_deep_too_big_or_not_a_file_is_e022() {
    let dir = example_copy();
    let labels = dir.path().join("data/reference/labels.yaml");
    // 100,000 nested `[` took serde_yaml 34 s.
    std::fs::write(&labels, "[".repeat(100_000)).expect("write labels");
    let (code, out, took) = run(&["check"], dir.path());
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert_e022(
        "deep labels",
        (code, out, took),
        &["labels.yaml", "100000 levels deep"],
    );
    // Over the size limit: a sparse file, nothing written.
    let f = std::fs::File::create(&labels).expect("create");
    f.set_len((64 << 20) + 1).expect("sparse file");
    assert_e022(
        "labels over 64 MiB",
        run(&["check"], dir.path()),
        &["labels.yaml", "over the limit of 67108864"],
    );
    std::fs::remove_file(&labels).expect("remove");
    if fifo(&labels) {
        assert_e022(
            "labels FIFO",
            run(&["check"], dir.path()),
            &["labels.yaml", "FIFO"],
        );
    }
}

#[test]
fn link_cycles_and_fifos_in_the_reference_folder_are_e022() {
    let dir = example_copy();
    let refs = dir.path().join("data/reference");
    std::os::unix::fs::symlink(".", refs.join("a")).expect("symlink");
    std::os::unix::fs::symlink(".", refs.join("b")).expect("symlink");
    assert_e022(
        "a -> . and b -> .",
        run(&["check"], dir.path()),
        &["link cycle"],
    );
    std::fs::remove_file(refs.join("a")).expect("remove");
    std::fs::remove_file(refs.join("b")).expect("remove");
    if fifo(&refs.join("pipe.dcm")) {
        // Reading it would block until a writer came.
        assert_e022("a FIFO", run(&["check"], dir.path()), &["pipe.dcm", "FIFO"]);
    }
}

#[test]
fn a_model_or_a_document_that_is_a_fifo_is_refused_unopened() {
    // Both were read with `std::fs::read`, which blocks on a FIFO until a writer comes.
    let dir = example_copy();
    let model = dir.path().join("model/cxr.onnx");
    std::fs::remove_file(&model).expect("remove model");
    if fifo(&model) {
        let (code, out, took) = run(&["check"], dir.path());
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("E021") && out.contains("FIFO"), "{out}");
        assert!(took < Duration::from_secs(240), "{took:?}");
    }
    let dir = example_copy();
    let doc = dir.path().join("docs/ifu.md");
    std::fs::remove_file(&doc).expect("remove document");
    if fifo(&doc) {
        let (code, out, took) = run(&["check"], dir.path());
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("E023") && out.contains("FIFO"), "{out}");
        assert!(took < Duration::from_secs(240), "{took:?}");
    }
}
