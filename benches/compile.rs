//! Compiling a project of 10,000 generated controls: parse, resolve, type-check, lower.
//! Run with `cargo bench --bench compile`.
#![expect(
    missing_docs,
    reason = "criterion macros generate undocumented functions"
)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// A source of `policies` x `controls` controls with realistic expressions.
fn generated(policies: usize, controls: usize) -> String {
    let mut s = String::new();
    for p in 0..policies {
        s.push_str(&format!("policy bench.p{p} \"Generated policy {p}\" {{\n"));
        for c in 0..controls {
            let expect = match c % 4 {
                0 => format!("benchmark.sensitivity.ci95.low >= {}%", 50 + c % 40),
                1 => "all g in benchmark.by(\"Manufacturer\"): g.sensitivity >= benchmark.sensitivity - 5%".to_string(),
                2 => "artifact.sha256 matches \"^[0-9a-f]{64}$\" and artifact.loads".to_string(),
                _ => "count(f in scans.deid.findings: f.action == \"Z\") == 0 or model.class >= IIb".to_string(),
            };
            s.push_str(&format!(
                "  control c{c} \"Generated control {c}\" {{\n    cites mdr \"Annex I 17.1\", ai_act \"Art. 15(1)\"\n    severity major\n    stage ci\n    expect {expect}\n  }}\n"
            ));
        }
        s.push_str("}\n\n");
    }
    s
}

fn bench(c: &mut Criterion) {
    let source = generated(100, 100);
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.bench_function("10k controls", |b| {
        b.iter(|| {
            let out = clic_compiler::compile_str("bench.clic", black_box(&source));
            assert!(out.plan.is_some_and(|p| p.checks.len() == 10_000));
        })
    });
    group.bench_function("10k controls: parse only", |b| {
        b.iter(|| clic_compiler::parse_module(clic_compiler::FileId(0), black_box(&source)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench
}
criterion_main!(benches);
