//! `clic bench --shard K/N --output FILE` and `clic bench merge SHARD...`: the benchmark
//! split by hashed patient over several machines (a CI matrix, a Kubernetes Indexed
//! Job), and the shards' units merged into the evidence one machine would make.

use super::Status;
use crate::output::{print_error, write_atomic};
use crate::project::io_reason;
use clic_compiler::Code;
use clic_runner::bench::reuse::{self, MergeError};
use clic_runner::bench::shard::{Shard, ShardFile};
use clic_runner::bench::BenchError;
use std::path::{Path, PathBuf};

/// Reads `--shard K/N` (clap's value parser: a refusal is E020, exit 2).
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text)
}

/// The diagnostic of a benchmark that cannot run.
fn bench_error(e: &BenchError) -> Status {
    if e.is_model() {
        print_error(
            Code::E021,
            &e.to_string(),
            Some("fix the model, or the manifest's `output` line (`index` names the score's element)"),
        );
    } else {
        print_error(
            Code::E022,
            &e.to_string(),
            Some("fix the reference set, its labels file or the manifest's `reference` line"),
        );
    }
    Status::Invalid
}

/// The project's manifest and its benchmark, or the diagnostic printed.
fn open(
    path: &Path,
    budget: &clic_runner::budget::Budget,
) -> Option<(crate::session::Session, crate::session::SharedReference)> {
    let session = crate::session::Session::open(path)?;
    if session.plan.model.is_none() {
        print_error(
            Code::E020,
            "the project has no model manifest to benchmark",
            Some("write a `model` block with `reference` and `labels`"),
        );
        return None;
    }
    let shared = session.reference(budget);
    Some((session, shared))
}

/// Runs `clic bench --shard K/N --output FILE`.
pub fn shard(
    path: &Path,
    which: Shard,
    output: &Path,
    budget: &clic_runner::budget::Budget,
) -> Status {
    let Some((_session, shared)) = open(path, budget) else {
        return Status::Invalid;
    };
    let r = shared.borrow();
    let Some(inputs) = r.inputs() else {
        return Status::Invalid;
    };
    let progress = super::bench::progress();
    let file = match reuse::shard(inputs, r.cache_dir(), which, &*progress) {
        Ok(f) => f,
        Err(e) => return bench_error(&e),
    };
    if let Err(e) = write_atomic(output, &file.encode()) {
        print_error(
            Code::E020,
            &format!("cannot write `{}`: {}", output.display(), io_reason(&e)),
            None,
        );
        return Status::Invalid;
    }
    let unreadable: Vec<&String> = file
        .units
        .units
        .iter()
        .filter_map(|(_, u)| match u {
            clic_runner::bench::pipeline::Unit::Unreadable(m) => Some(m),
            clic_runner::bench::pipeline::Unit::Scan { .. } => None,
        })
        .collect();
    eprintln!(
        "shard {which}: {} of {} scans, written to `{}`",
        file.units.units.len(),
        file.units.present.len(),
        output.display()
    );
    if !unreadable.is_empty() {
        for u in &unreadable {
            eprintln!("clic::E022 {u}");
        }
        print_error(
            Code::E022,
            &format!(
                "{} reference scan(s) of shard {which} cannot be read or decoded; the benchmark fails",
                unreadable.len()
            ),
            None,
        );
        return Status::Invalid;
    }
    Status::Ok
}

/// Runs `clic bench merge SHARD...`.
pub fn merge(path: &Path, shards: &[PathBuf], predictions: Option<&Path>, json: bool) -> Status {
    let budget = clic_runner::budget::Budget::new(1);
    let Some((session, shared)) = open(path, &budget) else {
        return Status::Invalid;
    };
    let mut files = Vec::with_capacity(shards.len());
    for p in shards {
        let read = clic_runner::bench::input::read_regular(
            p,
            clic_runner::bench::input::MAX_LIST_BYTES.saturating_mul(16),
            "for a shard file",
        )
        .and_then(|bytes| ShardFile::decode(&bytes));
        match read {
            Ok(f) => files.push(f),
            Err(why) => {
                print_error(
                    Code::E020,
                    &format!("the shard file `{}` cannot be merged: {why}", p.display()),
                    Some("give the files `clic bench --shard K/N --output FILE` wrote, from this project"),
                );
                return Status::Invalid;
            }
        }
    }
    let r = shared.borrow();
    let Some(inputs) = r.inputs() else {
        return Status::Invalid;
    };
    let ev = match reuse::merge(inputs, r.cache_dir(), files) {
        Ok(ev) => ev,
        Err(MergeError::Bench(e)) => return bench_error(&e),
        Err(MergeError::Shards(why)) => {
            print_error(
                Code::E020,
                &format!("the shards cannot be merged: {why}"),
                Some("merge the N files of one `clic bench --shard K/N` split of this project, each once"),
            );
            return Status::Invalid;
        }
    };
    let Some(spec) = session.plan.model.as_ref() else {
        return Status::Invalid;
    };
    super::bench::report(&ev, spec, predictions, json)
}
