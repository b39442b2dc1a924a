//! Hostile models and numbers that are not there, end to end: the example project with
//! its model swapped (and its sha256 re-pinned) for one that panicked, aborted or hung
//! clic, or whose scores silently passed the gate. Each case runs on tract and, where
//! the pip library is installed (mandatory under `CI=true`), on ONNX Runtime.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
#[path = "../runner/tests/onnx_writer/mod.rs"]
mod onnx_writer;

use common::{clic, example_copy, text};
use onnx_writer::*;
use std::path::Path;
use std::time::{Duration, Instant};

const OUTPUT_LINE: &str = r#"output "prob" positive when >= 0.5 means "pneumothorax suspected""#;

/// The example with `model` as its artifact (pinned) and, when given, another
/// `output` line.
fn project(model: &[u8], output_line: Option<&str>) -> tempfile::TempDir {
    let dir = example_copy();
    std::fs::write(dir.path().join("model/cxr.onnx"), model).expect("write model");
    let manifest = dir.path().join("model.clic");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let pin = clic_runner::facts::artifact::sha256_hex(model);
    let start = text.find("sha256 \"").expect("a pinned artifact") + 8;
    let mut text = format!("{}{pin}{}", &text[..start], &text[start + 64..]);
    assert!(
        text.contains(OUTPUT_LINE),
        "the example's output line changed"
    );
    if let Some(line) = output_line {
        text = text.replace(OUTPUT_LINE, line);
    }
    std::fs::write(&manifest, text).expect("write manifest");
    dir
}

/// The backends to run on: tract always; ONNX Runtime when the pip library is there.
fn backends() -> Vec<&'static str> {
    let mut out = vec!["tract"];
    if clic_runner::engine::find_pip_onnxruntime().is_some() {
        out.push("onnxruntime");
    } else {
        // The tract cases still run; the ONNX Runtime ones are skipped, visibly.
        common::skip::skip("ONNX Runtime", "pip install onnxruntime==1.31.1");
    }
    out
}

/// Runs `clic ARGS DIR` on `backend`; returns (exit code, all output, how long it took).
fn run(backend: &str, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> (i32, String, Duration) {
    let mut cmd = clic();
    cmd.args(args).arg(dir).timeout(Duration::from_secs(240));
    if backend == "tract" {
        cmd.env("CLIC_BACKEND", "tract");
    } else {
        cmd.env_remove("CLIC_BACKEND");
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().expect("clic runs");
    let all = text(&out);
    let code = out.status.code().unwrap_or(-1);
    (code, all, started.elapsed())
}

fn assert_refused(backend: &str, args: &[&str], dir: &Path, code: &str, words: &[&str]) {
    let (status, out, _) = run(backend, args, dir, &[]);
    assert_eq!(status, 2, "{backend} {args:?}: exit {status}\n{out}");
    assert!(
        out.contains(&format!("clic::{code}")),
        "{backend} {args:?}: no {code}\n{out}"
    );
    for w in words {
        assert!(out.contains(w), "{backend} {args:?}: no `{w}`\n{out}");
    }
    assert!(
        !out.contains("panicked"),
        "{backend} {args:?}: a panic\n{out}"
    );
}

/// `mean` (`[N, 1]`) through `nodes` to `prob`.
fn scored(nodes: Vec<Vec<u8>>, inits: &[Vec<u8>], shape: &[Dim]) -> Vec<u8> {
    image_model(nodes, inits, "prob", FLOAT, Some(shape))
}

#[test]
fn an_int64_output_is_e021_on_both_backends() {
    let model = image_model(
        vec![node("Cast", &["mean"], &["prob"], &[("to", Attr::Int(7))])],
        &[],
        "prob",
        INT64,
        Some(&batch_by_one()),
    );
    let dir = project(&model, None);
    for b in backends() {
        assert_refused(b, &["check"], dir.path(), "E021", &["int64"]);
        assert_refused(b, &["bench"], dir.path(), "E021", &["int64"]);
    }
}

#[test]
fn a_constant_of_shape_of_2_31_elements_is_e021_not_an_abort() {
    let nodes = vec![
        node(
            "Constant",
            &[],
            &["shape"],
            &[("value", Attr::Tensor(int64_tensor("", &[1], &[1 << 31])))],
        ),
        node(
            "ConstantOfShape",
            &["shape"],
            &["big"],
            &[("value", Attr::Tensor(float_tensor("", &[1], &[0.0])))],
        ),
        node(
            "ReduceSum",
            &["big"],
            &["total"],
            &[("keepdims", Attr::Int(0))],
        ),
        node("Add", &["mean", "total"], &["prob"], &[]),
    ];
    let dir = project(&scored(nodes, &[], &batch_by_one()), None);
    for b in backends() {
        assert_refused(b, &["check"], dir.path(), "E021", &["2147483648 elements"]);
        assert_refused(b, &["bench"], dir.path(), "E021", &["2147483648 elements"]);
    }
}

/// A Loop adding 1 per iteration; its trip count is `trips`, or 1e12 computed from the
/// input (which no reading of the graph can know).
fn counting_loop(trips: Option<i64>) -> Vec<u8> {
    let body = adding_loop_body();
    let mut nodes = Vec::new();
    let mut inits = vec![bool_tensor("cond", true), float_tensor("zero", &[], &[0.0])];
    match trips {
        Some(t) => inits.push(int64_tensor("trips", &[], &[t])),
        None => {
            inits.push(float_tensor("huge", &[], &[1e12]));
            nodes.push(node(
                "ReduceMax",
                &["image"],
                &["peak"],
                &[("keepdims", Attr::Int(0))],
            ));
            nodes.push(node("Mul", &["peak", "zero"], &["nothing"], &[]));
            nodes.push(node("Add", &["nothing", "huge"], &["trips_f"], &[]));
            nodes.push(node(
                "Cast",
                &["trips_f"],
                &["trips"],
                &[("to", Attr::Int(7))],
            ));
        }
    }
    nodes.push(node(
        "Loop",
        &["trips", "cond", "zero"],
        &["count"],
        &[("body", Attr::Graph(body))],
    ));
    nodes.push(node("Add", &["mean", "count"], &["prob"], &[]));
    scored(nodes, &inits, &batch_by_one())
}

#[test]
fn a_loop_of_10_12_iterations_is_e021_at_once() {
    let dir = project(&counting_loop(Some(1_000_000_000_000)), None);
    for b in backends() {
        let started = Instant::now();
        assert_refused(
            b,
            &["check"],
            dir.path(),
            "E021",
            &["1000000000000 iterations"],
        );
        assert!(started.elapsed() < Duration::from_secs(120));
    }
}

#[test]
fn a_runaway_loop_is_stopped_by_the_per_batch_budget() {
    let dir = project(&counting_loop(None), None);
    // The budget from the environment, and from the flag (which wins). (tract does not
    // implement Loop: it refuses the model at load.)
    for b in backends().into_iter().filter(|b| *b == "onnxruntime") {
        for (args, env) in [
            (vec!["check"], vec![("CLIC_INFERENCE_TIMEOUT", "3")]),
            (
                vec!["check", "--inference-timeout", "3s"],
                vec![("CLIC_INFERENCE_TIMEOUT", "100")],
            ),
        ] {
            let (status, out, took) = run(b, &args, dir.path(), &env);
            assert_eq!(status, 2, "{b} {args:?}\n{out}");
            assert!(
                out.contains("clic::E021") && out.contains("longer than 3 s"),
                "{b} {args:?}\n{out}"
            );
            assert!(took < Duration::from_secs(90), "{b}: took {took:?}");
        }
    }
}

/// `Range(0, n)` of 2^31 int64 (16 GiB), `n` computed from the pixel values (their peak
/// times zero, plus 2^31): no reading of the graph can know it.
fn size_from_the_pixels() -> Vec<u8> {
    let nodes = vec![
        node(
            "ReduceMax",
            &["image"],
            &["peak"],
            &[("keepdims", Attr::Int(0))],
        ),
        node("Mul", &["peak", "zero"], &["nothing"], &[]),
        node("Add", &["nothing", "huge"], &["count_f"], &[]),
        node("Cast", &["count_f"], &["count"], &[("to", Attr::Int(7))]),
        node("Range", &["start", "count", "step"], &["ramp"], &[]),
        node("Cast", &["ramp"], &["big"], &[("to", Attr::Int(1))]),
        node(
            "ReduceSum",
            &["big"],
            &["total"],
            &[("keepdims", Attr::Int(0))],
        ),
        node("Mul", &["total", "zero"], &["none"], &[]),
        node("Add", &["mean", "none"], &["prob"], &[]),
    ];
    let inits = [
        float_tensor("zero", &[], &[0.0]),
        float_tensor("huge", &[], &[2_147_483_648.0]),
        int64_tensor("start", &[], &[0]),
        int64_tensor("step", &[], &[1]),
    ];
    scored(nodes, &inits, &batch_by_one())
}

#[test]
fn a_tensor_sized_by_the_pixels_is_e021_within_the_memory_limit() {
    // On tract this aborted clic (exit 134) or took 8 GiB; the model now runs in a child
    // process limited to `--max-inference-memory`, which dies alone.
    let dir = project(&size_from_the_pixels(), None);
    for b in backends() {
        for cmd in ["check", "bench"] {
            let (status, out, took) =
                run(b, &[cmd, "--max-inference-memory", "1GiB"], dir.path(), &[]);
            assert_eq!(status, 2, "{b} {cmd}: exit {status}\n{out}");
            assert!(out.contains("clic::E021"), "{b} {cmd}\n{out}");
            assert!(out.contains("memory"), "{b} {cmd}: says why\n{out}");
            assert!(!out.contains("panicked"), "{b} {cmd}\n{out}");
            assert!(took < Duration::from_secs(120), "{b} {cmd}: took {took:?}");
        }
    }
}

#[test]
fn nan_scores_fail_the_gate_and_name_the_scans() {
    let nodes = vec![node("Mul", &["mean", "nan"], &["prob"], &[])];
    let model = scored(
        nodes,
        &[float_tensor("nan", &[], &[f32::NAN])],
        &batch_by_one(),
    );
    let dir = project(&model, None);
    for b in backends() {
        let (status, out, _) = run(b, &["check"], dir.path(), &[]);
        assert_eq!(status, 1, "{b}: the gate must fail\n{out}");
        assert!(out.contains("non-finite score"), "{b}\n{out}");
        assert!(
            out.contains("cxr-0001.dcm"),
            "{b}: the scans are named\n{out}"
        );
        assert_refused(
            b,
            &["bench"],
            dir.path(),
            "E021",
            &["non-finite", "cxr-0001.dcm"],
        );
    }
}

/// `[N, 2]`: column 0 is `1 - s`, column 1 is `s = sigmoid(8 * (mean - 0.5))`.
fn two_class_softmax() -> Vec<u8> {
    let nodes = vec![
        node("Sub", &["mean", "half"], &["centred"], &[]),
        node("Mul", &["centred", "eight"], &["logit"], &[]),
        node("Sigmoid", &["logit"], &["s"], &[]),
        node("Sub", &["one", "s"], &["not_s"], &[]),
        node(
            "Concat",
            &["not_s", "s"],
            &["prob"],
            &[("axis", Attr::Int(1))],
        ),
    ];
    scored(
        nodes,
        &[
            float_tensor("half", &[], &[0.5]),
            float_tensor("eight", &[], &[8.0]),
            float_tensor("one", &[], &[1.0]),
        ],
        &[Dim::Named("N"), Dim::Fixed(2)],
    )
}

fn predictions(backend: &str, dir: &Path) -> Vec<f64> {
    let csv = dir.join("predictions.csv");
    let (status, out, _) = run(
        backend,
        &["bench", "--predictions", csv.to_str().expect("utf-8 path")],
        dir,
        &[],
    );
    assert_eq!(status, 0, "{backend}\n{out}");
    std::fs::read_to_string(&csv)
        .expect("predictions")
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .nth(3)
                .expect("a score")
                .parse()
                .expect("a number")
        })
        .collect()
}

#[test]
fn a_two_column_output_needs_an_index_and_the_index_picks_the_column() {
    let model = two_class_softmax();
    let bare = project(&model, None);
    let second = project(
        &model,
        Some(r#"output "prob" index 1 positive when >= 0.5 means "pneumothorax suspected""#),
    );
    let first = project(
        &model,
        Some(r#"output "prob" index 0 positive when >= 0.5 means "pneumothorax suspected""#),
    );
    let past = project(
        &model,
        Some(r#"output "prob" index 2 positive when >= 0.5 means "pneumothorax suspected""#),
    );
    for b in backends() {
        assert_refused(
            b,
            &["check"],
            bare.path(),
            "E021",
            &["2 values per scan", "index"],
        );
        assert_refused(b, &["bench"], bare.path(), "E021", &["2 values per scan"]);
        assert_refused(b, &["check"], past.path(), "E021", &["element 2"]);
        let s = predictions(b, second.path());
        let not_s = predictions(b, first.path());
        assert_eq!(s.len(), not_s.len());
        assert!(!s.is_empty());
        for (a, c) in s.iter().zip(&not_s) {
            assert!(
                (a + c - 1.0).abs() < 1e-5,
                "{b}: index 1 gives {a}, index 0 gives {c}"
            );
        }
        // The check passes the manifest agreement with an index (no E021 about it).
        let (_, out, _) = run(b, &["check"], second.path(), &[]);
        assert!(!out.contains("clic::E021"), "{b}\n{out}");
    }
}

#[test]
fn an_output_that_ignores_the_batch_is_rejected() {
    // One value for the whole batch, declared [1, 1]: every scan would get it.
    let nodes = vec![
        node(
            "ReduceMean",
            &["image"],
            &["all"],
            &[
                ("axes", Attr::Ints(vec![0, 1, 2, 3])),
                ("keepdims", Attr::Int(1)),
            ],
        ),
        node("Reshape", &["all", "one_by_one"], &["prob"], &[]),
    ];
    let model = scored(
        nodes,
        &[int64_tensor("one_by_one", &[2], &[1, 1])],
        &[Dim::Fixed(1), Dim::Fixed(1)],
    );
    let dir = project(&model, None);
    for b in backends() {
        assert_refused(
            b,
            &["check"],
            dir.path(),
            "E021",
            &["first dimension must be the batch"],
        );
        assert_refused(
            b,
            &["bench"],
            dir.path(),
            "E021",
            &["first dimension must be the batch"],
        );
    }
}

#[test]
fn a_label_that_is_a_word_is_an_error_not_a_positive() {
    let dir = example_copy();
    let labels = dir.path().join("data/reference/labels.yaml");
    let text = std::fs::read_to_string(&labels).expect("labels");
    let first = text
        .lines()
        .find(|l| l.starts_with("cxr-") && l.contains("label: 1"))
        .expect("a positive label")
        .to_string();
    std::fs::write(
        &labels,
        text.replacen(&first, &first.replace("label: 1", "label: yes"), 1),
    )
    .expect("write labels");
    let (status, out, _) = run("tract", &["bench"], dir.path(), &[]);
    assert_eq!(status, 2, "{out}");
    assert!(out.contains("clic::E022") && out.contains("`yes`"), "{out}");
}
