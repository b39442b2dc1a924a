//! The task seam: a task other than the binary score runs on the example's reference set
//! through the shared pipeline (files, decoding, preprocessing, batched inference) with
//! nothing but its own labels, layout and evidence, and the binary task run the same way
//! gives the benchmark's evidence.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

use clic_runner::bench::pipeline::Inferred;
use clic_runner::bench::{BenchError, BenchInputs};
use clic_runner::budget::Budget;
use clic_runner::task::{self, Provenance, Task};
use std::path::Path;

fn example() -> BenchInputs {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/chest-xray-triage");
    let text = std::fs::read_to_string(dir.join("model.clic")).expect("manifest");
    let compiled = clic_compiler::compile_str("model.clic", &text);
    let spec = compiled.plan.and_then(|p| p.model).expect("compiles");
    BenchInputs {
        root: std::fs::canonicalize(dir.join("..")).expect("root"),
        dir,
        spec,
        budget: Budget::new(2),
    }
}

/// A toy task: how many labels the file has, and every scan's whole output row.
struct Rows;

impl Task for Rows {
    type Labels = usize;
    type Evidence = (usize, Vec<(String, Vec<f32>)>, usize);

    fn labels(&self, text: &str) -> Result<usize, String> {
        Ok(text
            .lines()
            .filter(|l| l.contains(':') && !l.trim_start().starts_with('#'))
            .count())
    }

    fn layout(&self, shape: &[i64], batch: usize) -> Result<usize, String> {
        clic_runner::bench::row_len("prob", shape, batch)
    }

    fn evidence(
        &self,
        _: &BenchInputs,
        labels: usize,
        inferred: Inferred,
        _: Provenance,
    ) -> Result<Self::Evidence, BenchError> {
        Ok((
            labels,
            inferred
                .scans
                .into_iter()
                .map(|(info, row)| (info.file, row))
                .collect(),
            inferred.unreadable.len(),
        ))
    }
}

#[test]
fn another_task_runs_through_the_shared_pipeline() {
    let inputs = example();
    let (labels, rows, unreadable) =
        task::run(&Rows, &inputs, String::new(), &|_, _| {}).expect("runs");
    assert_eq!(unreadable, 0);
    assert!(
        labels >= rows.len(),
        "{labels} labels, {} scans",
        rows.len()
    );
    assert_eq!(rows.len(), 309, "every scan of the example");
    assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "in file order");
    assert!(rows.iter().all(|(_, r)| r.len() == 1 && r[0].is_finite()));

    // The binary task through the same seam gives the benchmark's own evidence, score for
    // score.
    let binary = task::binary::BinaryScore::of(&inputs.spec).expect("a binary output");
    let ev = task::run(&binary, &inputs, "k".to_string(), &|_, _| {}).expect("runs");
    let direct = clic_runner::bench::run(&inputs, "k".to_string(), &|_, _| {}).expect("runs");
    assert_eq!(ev, direct);
    for ((file, row), r) in rows.iter().zip(&ev.rows) {
        assert_eq!(file, &r.info.file);
        assert_eq!(Some(f64::from(row[0])), r.score);
    }
}
