//! A model with several inputs (one per series of a multi-sequence MR study) runs with
//! each input fed by name, on both backends and in the inference worker process's
//! framing, and an input missing or misshapen is an error, never a panic.

mod onnx_writer;

use clic_runner::engine::Model;
use onnx_writer::{graph, model, node, value_info, Dim, FLOAT};

/// `out = flair - 2 * dwi`, each `[1, 1, 2, 2, 2]`.
fn two_inputs() -> Vec<u8> {
    let shape = [
        Dim::Fixed(1),
        Dim::Fixed(1),
        Dim::Fixed(2),
        Dim::Fixed(2),
        Dim::Fixed(2),
    ];
    let g = graph(
        "two",
        &[
            node("Add", &["dwi", "dwi"], &["twice"], &[]),
            node("Sub", &["flair", "twice"], &["out"], &[]),
        ],
        &[],
        &[
            value_info("flair", FLOAT, Some(&shape)),
            value_info("dwi", FLOAT, Some(&shape)),
        ],
        &[value_info("out", FLOAT, Some(&shape))],
    );
    model(&g)
}

#[test]
fn each_input_is_fed_by_name() {
    let mut m = Model::load(&two_inputs(), 1).expect("loads");
    let flair: Vec<f32> = (0..8).map(|i| i as f32).collect();
    let dwi: Vec<f32> = (0..8).map(|i| 0.5 * i as f32 + 1.0).collect();
    let shape = vec![1, 1, 2, 2, 2];
    // Given in the other order than the graph declares them: names decide.
    let (out, _) = m
        .run_inputs(
            vec![
                ("dwi".to_string(), shape.clone(), dwi.clone()),
                ("flair".to_string(), shape.clone(), flair.clone()),
            ],
            Some("out"),
        )
        .expect("runs");
    let want: Vec<f32> = flair.iter().zip(&dwi).map(|(f, d)| f - 2.0 * d).collect();
    assert_eq!(out.values, want);
    assert_eq!(out.shape, vec![1, 1, 2, 2, 2]);
}

#[test]
fn a_missing_or_misshapen_input_is_an_error() {
    let mut m = Model::load(&two_inputs(), 1).expect("loads");
    let shape = vec![1, 1, 2, 2, 2];
    let missing = m.run_inputs(
        vec![("flair".to_string(), shape.clone(), vec![0.0; 8])],
        Some("out"),
    );
    assert!(missing.is_err(), "{missing:?}");
    let mut m = Model::load(&two_inputs(), 1).expect("loads");
    let short = m.run_inputs(
        vec![
            ("flair".to_string(), shape.clone(), vec![0.0; 8]),
            ("dwi".to_string(), shape, vec![0.0; 7]),
        ],
        Some("out"),
    );
    assert!(short.is_err(), "{short:?}");
    let mut m = Model::load(&two_inputs(), 1).expect("loads");
    assert!(m.run_inputs(Vec::new(), Some("out")).is_err());
}
