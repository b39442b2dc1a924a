//! Throughput of the example model on a batch of 256 preprocessed 64x64 images, on the
//! backend the process chooses. Compare the two backends with
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

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

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
    let mut session = clic_runner::engine::Model::load(&model, threads).expect("loads");
    let name = clic_runner::engine::backend().name();
    let mut group = c.benchmark_group("inference");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(format!("{name}: batch of {BATCH} 64x64"), |b| {
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
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
