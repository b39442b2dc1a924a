//! Hostile ONNX models: each is refused with a reason, never a panic, an abort or a
//! run that does not end. The models are written here byte by byte (`onnx_writer`).
//! This binary runs on the backend the process chooses (ONNX Runtime when the pip
//! library is found, else tract); `tests/hostile_models.rs` runs the CLI on both.

mod onnx_writer;

use clic_runner::engine::{limits, EngineError, Model};
use clic_runner::facts::artifact::{inspect, ArtifactError};
use onnx_writer::*;
use std::time::{Duration, Instant};

/// `prob = mean(image) + sum(big)` where `big = ConstantOfShape(shape)`; the shape is
/// given as a Constant node or as an initializer.
fn constant_of_shape(elements: i64, as_initializer: bool) -> Vec<u8> {
    let shape = int64_tensor(if as_initializer { "shape" } else { "" }, &[1], &[elements]);
    let mut nodes = Vec::new();
    let mut inits = Vec::new();
    if as_initializer {
        inits.push(shape);
    } else {
        nodes.push(node(
            "Constant",
            &[],
            &["shape"],
            &[("value", Attr::Tensor(shape))],
        ));
    }
    nodes.push(node(
        "ConstantOfShape",
        &["shape"],
        &["big"],
        &[("value", Attr::Tensor(float_tensor("", &[1], &[1.0])))],
    ));
    nodes.push(node(
        "ReduceSum",
        &["big"],
        &["total"],
        &[("keepdims", Attr::Int(0))],
    ));
    nodes.push(node("Add", &["mean", "total"], &["prob"], &[]));
    image_model(nodes, &inits, "prob", FLOAT, Some(&batch_by_one()))
}

/// `prob = mean(image) + v` where `v` counts the iterations of a Loop whose trip count
/// is `trips` (a constant), or, when `trips` is none, is computed from the input (so no
/// reading of the graph can know it): `1e12 + 0 * max(image)`.
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
    image_model(nodes, &inits, "prob", FLOAT, Some(&batch_by_one()))
}

/// `prob = int64(mean(image))`, declared int64 `[N, 1]`.
fn int64_output() -> Vec<u8> {
    image_model(
        vec![node("Cast", &["mean"], &["prob"], &[("to", Attr::Int(7))])],
        &[],
        "prob",
        INT64,
        Some(&batch_by_one()),
    )
}

fn image(batch: usize) -> Vec<f32> {
    (0..batch * 64 * 64).map(|i| (i % 7) as f32 / 7.0).collect()
}

/// The reason of a refusal before loading; anything else is described so that the
/// caller's assertion on the reason fails with it.
fn refused(r: Result<Model, EngineError>) -> String {
    match r {
        Err(EngineError::Limit(m)) => m,
        Err(other) => format!("not refused by a limit: {other:?}"),
        Ok(_) => "not refused: the model loaded".to_string(),
    }
}

#[test]
fn a_constant_of_shape_of_2_31_elements_is_refused_before_any_backend_sees_it() {
    for as_initializer in [false, true] {
        let model = constant_of_shape(1 << 31, as_initializer);
        let why = refused(Model::load(&model, 1));
        assert!(
            why.contains("2147483648 elements") && why.contains("ConstantOfShape"),
            "{why}"
        );
    }
    // The same graph with a small constant loads and runs: the limit is what refuses.
    let mut small = Model::load(&constant_of_shape(1000, false), 1).expect("a small one loads");
    let scores = small
        .run("image", &[2, 1, 64, 64], image(2), "prob")
        .expect("and runs");
    assert_eq!(scores.len(), 2);
    assert!(
        scores.iter().all(|s| (*s - 1000.0).abs() < 2.0),
        "{scores:?}"
    );
}

#[test]
fn a_shape_computed_from_constants_is_followed() {
    // shape = Concat(Constant [65536], Constant [32768]) * 1: 2^31 elements again.
    let nodes = vec![
        node(
            "Constant",
            &[],
            &["a"],
            &[("value", Attr::Tensor(int64_tensor("", &[1], &[65_536])))],
        ),
        node(
            "Constant",
            &[],
            &["b"],
            &[("value_ints", Attr::Ints(vec![32_768]))],
        ),
        node("Concat", &["a", "b"], &["ab"], &[("axis", Attr::Int(0))]),
        node("Constant", &[], &["one"], &[("value_int", Attr::Int(1))]),
        node("Mul", &["ab", "one"], &["shape"], &[]),
        node(
            "ConstantOfShape",
            &["shape"],
            &["big"],
            &[("value", Attr::Tensor(float_tensor("", &[1], &[1.0])))],
        ),
        node(
            "ReduceSum",
            &["big"],
            &["total"],
            &[("keepdims", Attr::Int(0))],
        ),
        node("Add", &["mean", "total"], &["prob"], &[]),
    ];
    let model = image_model(nodes, &[], "prob", FLOAT, Some(&batch_by_one()));
    assert!(refused(Model::load(&model, 1)).contains("2147483648"));
}

#[test]
fn a_shape_computed_from_the_input_is_bounded_below_by_its_fixed_dimensions() {
    // Expand(image, Shape(image) * [1, 100000, 1000, 1]): at least 1 x 100000 x 64000 x 64
    // elements whatever the batch; the batch alone (Shape - 1) bounds nothing.
    let expanded = |factors: &[i64]| {
        let nodes = vec![
            node("Shape", &["image"], &["dims"], &[]),
            node("Mul", &["dims", "factors"], &["shape"], &[]),
            node("Expand", &["image", "shape"], &["big"], &[]),
            node(
                "ReduceSum",
                &["big"],
                &["total"],
                &[("keepdims", Attr::Int(0))],
            ),
            node("Add", &["mean", "total"], &["prob"], &[]),
        ];
        image_model(
            nodes,
            &[int64_tensor("factors", &[4], factors)],
            "prob",
            FLOAT,
            Some(&batch_by_one()),
        )
    };
    let why = refused(Model::load(&expanded(&[1, 100_000, 1000, 1]), 1));
    assert!(why.contains("Expand"), "{why}");
    // Within the limit the same graph loads: the bound is not a blanket refusal.
    assert!(Model::load(&expanded(&[1, 1, 1, 1]), 1).is_ok());
}

#[test]
fn a_loop_of_10_12_iterations_is_refused_before_loading() {
    let why = refused(Model::load(&counting_loop(Some(1_000_000_000_000)), 1));
    assert!(why.contains("1000000000000 iterations"), "{why}");
    // And through the artifact facts: an invalid model (E021), not a load failure.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("loop.onnx");
    std::fs::write(&path, counting_loop(Some(1_000_000_000_000))).expect("write");
    match inspect(&path, &clic_runner::budget::Budget::new(1)) {
        Err(ArtifactError::Refused { reason, .. }) => assert!(reason.contains("iterations")),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn tensors_and_subgraphs_past_the_limits_are_refused() {
    // An initializer that declares 2^31 elements (with no data behind them).
    let t = float_tensor("w", &[1 << 16, 1 << 15], &[]);
    let model = image_model(
        vec![node("Identity", &["mean"], &["prob"], &[])],
        &[t],
        "prob",
        FLOAT,
        Some(&batch_by_one()),
    );
    assert!(refused(Model::load(&model, 1)).contains("initializer `w`"));
    // A ConstantOfShape hidden in a Loop body is read too.
    let body = graph(
        "body",
        &[
            node("Identity", &["cond_in"], &["cond_out"], &[]),
            node(
                "Constant",
                &[],
                &["s"],
                &[("value", Attr::Tensor(int64_tensor("", &[1], &[1 << 31])))],
            ),
            node("ConstantOfShape", &["s"], &["big"], &[]),
            node(
                "ReduceSum",
                &["big"],
                &["v_out"],
                &[("keepdims", Attr::Int(0))],
            ),
        ],
        &[],
        &[
            value_info("i", INT64, Some(&[])),
            value_info("cond_in", BOOL, Some(&[])),
            value_info("v_in", FLOAT, Some(&[])),
        ],
        &[
            value_info("cond_out", BOOL, Some(&[])),
            value_info("v_out", FLOAT, Some(&[])),
        ],
    );
    let model = image_model(
        vec![
            node(
                "Loop",
                &["trips", "cond", "zero"],
                &["count"],
                &[("body", Attr::Graph(body))],
            ),
            node("Add", &["mean", "count"], &["prob"], &[]),
        ],
        &[
            int64_tensor("trips", &[], &[2]),
            bool_tensor("cond", true),
            float_tensor("zero", &[], &[0.0]),
        ],
        "prob",
        FLOAT,
        Some(&batch_by_one()),
    );
    assert!(refused(Model::load(&model, 1)).contains("ConstantOfShape"));
    // Subgraphs nested past the limit.
    let mut g = graph("leaf", &[], &[], &[], &[]);
    for _ in 0..=limits::MAX_SUBGRAPH_DEPTH {
        g = graph(
            "nest",
            &[node(
                "If",
                &["c"],
                &["o"],
                &[("then_branch", Attr::Graph(g))],
            )],
            &[],
            &[],
            &[],
        );
    }
    let model = model_of(&g);
    assert!(refused(Model::load(&model, 1)).contains("nest deeper"));
}

fn model_of(g: &[u8]) -> Vec<u8> {
    onnx_writer::model(g)
}

#[test]
fn an_int64_output_is_an_error_not_a_panic() {
    // tract's binding panics while loading it (caught); ONNX Runtime loads it, and the
    // run reads an int64 tensor where scores are float32 (an error, not a panic).
    match Model::load(&int64_output(), 1) {
        Err(EngineError::Panicked(m)) => assert!(m.contains("not supported"), "{m}"),
        Ok(mut model) => match model.run("image", &[2, 1, 64, 64], image(2), "prob") {
            Err(EngineError::Output(m)) => assert!(m.contains("int64"), "{m}"),
            other => panic!("expected an output error, got {other:?}"),
        },
        Err(other) => panic!("expected a caught panic or an output error, got {other:?}"),
    }
}

#[test]
fn a_loop_whose_trip_count_only_the_data_decides_is_stopped_by_the_budget() {
    let bytes = counting_loop(None);
    // No reading of the graph can know the trip count: it loads.
    let mut model = match Model::load(&bytes, 1) {
        Ok(m) => m.with_timeout(Duration::from_secs(2)),
        Err(e) => {
            // tract may not run this Loop at all; that is a refusal too, not a hang.
            eprintln!("the backend does not load the loop ({e}); the budget is not exercised here");
            assert!(matches!(e, EngineError::Load(_)), "{e:?}");
            return;
        }
    };
    let started = Instant::now();
    let r = model.run("image", &[2, 1, 64, 64], image(2), "prob");
    let took = started.elapsed();
    match r {
        Err(EngineError::Timeout { secs }) => assert_eq!(secs, 2),
        // A backend that rejects the loop at run time has not hung either.
        Err(EngineError::Run(m)) => eprintln!("the backend rejects the loop at run time: {m}"),
        other => panic!("expected the budget to stop the run, got {other:?}"),
    }
    assert!(took < Duration::from_secs(20), "stopped after {took:?}");
    // The model is unusable after a stopped run, and says so.
    assert!(model
        .run("image", &[2, 1, 64, 64], image(2), "prob")
        .is_err());
}

#[test]
fn the_budget_is_per_batch_and_documented() {
    assert_eq!(
        clic_runner::engine::DEFAULT_BATCH_TIMEOUT,
        Duration::from_secs(600)
    );
    assert_eq!(limits::MAX_TENSOR_ELEMENTS, (1u64 << 28) as f64);
    assert_eq!(limits::MAX_LOOP_ITERATIONS, (1u64 << 20) as f64);
}

#[test]
fn a_loop_with_a_small_constant_trip_count_runs() {
    // tract does not implement Loop: a clean load error. ONNX Runtime runs it.
    let mut model = match Model::load(&counting_loop(Some(5)), 1) {
        Ok(m) => m,
        Err(e) => {
            assert_eq!(clic_runner::engine::backend().name(), "tract", "{e}");
            assert!(
                matches!(e, EngineError::Load(ref m) if m.contains("Loop")),
                "{e:?}"
            );
            return;
        }
    };
    let scores = model
        .run("image", &[2, 1, 64, 64], image(2), "prob")
        .expect("runs");
    assert!(scores.iter().all(|s| (*s - 5.0).abs() < 1.0), "{scores:?}");
}
