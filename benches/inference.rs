//! Throughput of the example model on a batch of 256 preprocessed 64x64 images, on the
//! backend the process chooses, in this process and in the inference worker process the
//! CLI uses (`engine::sandbox`); and the cost of that process for a real model's input, a
//! batch of 64 `[3, 224, 224]` images (38 MiB through the pipe each way in, a
//! global average pool, so the transfer dominates). Compare the two backends with
//! `CLIC_BACKEND=tract cargo bench --bench inference` and `cargo bench --bench inference`
//! (ONNX Runtime, when the onnxruntime wheel is installed).
#![expect(
    missing_docs,
    reason = "criterion macros generate undocumented functions"
)]
#![expect(
    clippy::expect_used,
    reason = "a benchmark without its model cannot run"
)]

#[path = "../runner/tests/onnx_writer/mod.rs"]
mod onnx_writer;

use clic_runner::engine::{sandbox, Model};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use onnx_writer::{graph, model, node, value_info, Attr, Dim, FLOAT};
use std::hint::black_box;

/// `image` `[N, 3, 224, 224]` -> the mean of each image, `[N, 1]`.
fn pooled_224() -> Vec<u8> {
    model(&graph(
        "pool",
        &[node(
            "ReduceMean",
            &["image"],
            &["prob"],
            &[("axes", Attr::Ints(vec![2, 3])), ("keepdims", Attr::Int(0))],
        )],
        &[],
        &[value_info(
            "image",
            FLOAT,
            Some(&[
                Dim::Named("N"),
                Dim::Fixed(3),
                Dim::Fixed(224),
                Dim::Fixed(224),
            ]),
        )],
        &[value_info(
            "prob",
            FLOAT,
            Some(&[Dim::Named("N"), Dim::Fixed(3)]),
        )],
    ))
}

fn bench(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = std::fs::read(root.join("examples/chest-xray-triage/model/cxr.onnx"))
        .expect("example model");
    let probe = std::fs::read(root.join("runner/tests/data/cxr_probe.f32")).expect("probe");
    let one: Vec<f32> = probe
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    const BATCH: usize = 256;
    let input: Vec<f32> = one.iter().copied().cycle().take(BATCH * 64 * 64).collect();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    // In process first: the sandbox, once enabled, holds for every later load.
    let mut here = Model::load(&model, threads).expect("loads");
    let pooled = pooled_224();
    let mut pooled_here = Model::load(&pooled, threads).expect("loads");
    sandbox::enable(sandbox::Sandbox {
        executable: env!("CARGO_BIN_EXE_clic").into(),
        memory: sandbox::default_memory(),
    });
    let mut worker = Model::load(&model, threads).expect("loads in the worker");
    let mut pooled_worker = Model::load(&pooled, threads).expect("loads in the worker");
    let name = clic_runner::engine::backend().name();
    let mut group = c.benchmark_group("inference");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (place, session) in [("in process", &mut here), ("worker process", &mut worker)] {
        group.bench_function(format!("{name}, {place}: batch of {BATCH} 64x64"), |b| {
            b.iter(|| {
                session
                    .run(
                        "image",
                        &[BATCH, 1, 64, 64],
                        black_box(input.clone()),
                        "prob",
                    )
                    .expect("runs")
            })
        });
    }
    const BIG: usize = 64;
    let images: Vec<f32> = (0..BIG * 3 * 224 * 224)
        .map(|i| (i % 251) as f32 / 251.0)
        .collect();
    group.throughput(Throughput::Elements(BIG as u64));
    for (place, session) in [
        ("in process", &mut pooled_here),
        ("worker process", &mut pooled_worker),
    ] {
        group.bench_function(
            format!("{name}, {place}: batch of {BIG} 3x224x224, pooled"),
            |b| {
                b.iter(|| {
                    session
                        .run(
                            "image",
                            &[BIG, 3, 224, 224],
                            black_box(images.clone()),
                            "prob",
                        )
                        .expect("runs")
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
