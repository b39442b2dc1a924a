//! `clic bench`: the reference-set benchmark, its evidence and per-scan predictions.

use super::Status;
use crate::output::{print_error, write_atomic};
use crate::project::io_reason;
use clic_compiler::plan::ModelSpec;
use clic_compiler::schema::metrics::{Shown, METRICS};
use clic_compiler::Code;
use clic_runner::bench::BenchEvidence;
use clic_runner::budget::Budget;
use clic_runner::facts::reference::{Progress, Provenance};
use clic_runner::metrics::registry::{self, Reading};
use clic_runner::metrics::Estimate;
use std::io::IsTerminal;
use std::path::Path;

/// A progress bar on a terminal; nothing otherwise.
pub fn progress() -> Progress {
    if !std::io::stderr().is_terminal() {
        return Box::new(|_, _| {});
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "benchmark {bar:40} {pos}/{len} scans {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Box::new(move |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        if done >= total {
            bar.finish_and_clear();
        }
    })
}

pub use super::bench_shard::{merge, parse_shard, shard};

/// Runs `clic bench`.
pub fn run(path: &Path, predictions: Option<&Path>, json: bool, budget: &Budget) -> Status {
    let Some(session) = crate::session::Session::open(path) else {
        return Status::Invalid;
    };
    let Some(spec) = session.plan.model.as_ref() else {
        print_error(
            Code::E020,
            "the project has no model manifest to benchmark",
            Some("write a `model` block with `reference` and `labels`"),
        );
        return Status::Invalid;
    };
    let shared = session.reference(budget);
    let mut r = shared.borrow_mut();
    // Computed (or loaded) once; read again below.
    let computed = r.evidence().is_ok();
    let counts = if computed { r.counts() } else { None };
    let (ev, provenance) = match r.evidence() {
        Ok(x) => x,
        Err(e) if e.input == Some(clic_runner::facts::BadInput::Model) => {
            print_error(
                Code::E021,
                &e.reason,
                Some("fix the model, or the manifest's `output` line (`index` names the score's element)"),
            );
            return Status::Invalid;
        }
        Err(e) => {
            print_error(
                Code::E022,
                &e.reason,
                Some("fix the reference set, its labels file or the manifest's `reference` line"),
            );
            return Status::Invalid;
        }
    };
    if provenance == Provenance::Cached {
        eprintln!(
            "reused cached evidence {} (nothing it depends on changed)",
            &ev.key[..12]
        );
    } else if let Some(c) = counts {
        eprintln!(
            "scored {} scans: {} decoded, {} tensors and {} model rows from the cache, {} rows inferred",
            c.scans, c.decoded, c.tensors_reused, c.rows_reused, c.inferred
        );
    }
    report(ev, spec, predictions, json)
}

/// Prints the evidence (and writes the predictions): what `clic bench` and `clic bench
/// merge` show of a benchmark.
pub(super) fn report(
    ev: &BenchEvidence,
    spec: &ModelSpec,
    predictions: Option<&Path>,
    json: bool,
) -> Status {
    if let Some(target) = predictions {
        if let Err(e) = write_atomic(target, predictions_csv(ev, spec).as_bytes()) {
            print_error(
                Code::E020,
                &format!("cannot write `{}`: {}", target.display(), io_reason(&e)),
                None,
            );
            return Status::Invalid;
        }
    }
    if !ev.unreadable.is_empty() {
        for u in &ev.unreadable {
            eprintln!("clic::E022 {u}");
        }
        print_error(
            Code::E022,
            &format!(
                "{} reference scan(s) cannot be read or decoded; the benchmark fails",
                ev.unreadable.len()
            ),
            None,
        );
        return Status::Invalid;
    }
    if json {
        let mut v = serde_json::to_value(clic_dossier::benchmark::evidence_json(ev, spec))
            .unwrap_or_default();
        if let (Some(f), Some(o)) = (&ev.findings, v.as_object_mut()) {
            o.insert(
                "findings".to_string(),
                serde_json::to_value(f).unwrap_or_default(),
            );
        }
        if let (Some(s), Some(o)) = (&ev.segmentation, v.as_object_mut()) {
            o.insert(
                "segmentation".to_string(),
                serde_json::to_value(s).unwrap_or_default(),
            );
        }
        crate::output::outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        crate::output::out!("{}", human(ev, spec));
    }
    Status::Ok
}

fn pct(e: &Estimate) -> String {
    format!(
        "{:>6.1}%  [{:.1}–{:.1}]  n={:<5} {}",
        e.value * 100.0,
        e.low * 100.0,
        e.high * 100.0,
        e.n,
        e.method
    )
}

fn human(ev: &BenchEvidence, spec: &ModelSpec) -> String {
    // A series classifier's rows are its series, not its files.
    let unit = if clic_runner::task::series::applies(spec) {
        "series"
    } else {
        "scans"
    };
    let mut out = format!(
        "reference set: {} {unit}, backend {}\n",
        ev.rows.len(),
        ev.backend
    );
    if let Some(f) = &ev.findings {
        out.push_str(&super::bench_findings::human(f));
        return out;
    }
    if let Some(s) = &ev.segmentation {
        out.push_str(&super::bench_segmentation::human(s));
        return out;
    }
    let Some(m) = &ev.overall else {
        out.push_str("no scan is both labelled and scored\n");
        return out;
    };
    out.push_str(&metric_lines(m));
    out
}

/// The confusion counts at the threshold and one line per metric of the registry.
pub(super) fn metric_lines(m: &clic_runner::metrics::Metrics) -> String {
    let mut out = format!(
        "threshold {} ({}): TP {}  FP {}  TN {}  FN {}\n",
        m.threshold,
        if m.inclusive { ">=" } else { ">" },
        m.tp,
        m.fp,
        m.tn,
        m.fn_
    );
    // One line per metric of the registry; an undefined one (the AUC of one class) has none.
    for def in METRICS {
        let name = def.name;
        out.push_str(&match (registry::reading(m, def), def.shown) {
            (Reading::Estimate(None), _) => continue,
            (Reading::Estimate(Some(e)), Shown::Percent) => format!("  {name:<12} {}\n", pct(e)),
            (Reading::Estimate(Some(e)), Shown::Decimal) => format!(
                "  {name:<12} {:.4}  [{:.4}–{:.4}]  {}\n",
                e.value, e.low, e.high, e.method
            ),
            (Reading::Number(x), _) => format!("  {name:<12} {x:.4}\n"),
        });
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per scan: file, sha256, label, score, predicted class and the subgroup
/// attributes (never an identifying value).
pub fn predictions_csv(ev: &BenchEvidence, spec: &ModelSpec) -> String {
    let (t, inclusive) = spec
        .output
        .as_ref()
        .map_or((0.5, true), |o| (o.threshold, o.inclusive));
    let mut out = String::from("file,sha256,label,score,predicted,Manufacturer,ManufacturerModelName,Modality,PatientSex,AgeBand,TransferSyntax\n");
    for r in &ev.rows {
        let score = r.score.map_or(String::new(), |s| format!("{s:.9}"));
        let predicted = r.score.map_or(String::new(), |s| {
            u8::from(if inclusive { s >= t } else { s > t }).to_string()
        });
        let label = r.label.map_or(String::new(), |l| u8::from(l).to_string());
        let i = &r.info;
        let fields = [
            &i.file,
            &i.sha256,
            &label,
            &score,
            &predicted,
            &i.manufacturer,
            &i.model_name,
            &i.modality,
            &i.sex,
            &i.age_band,
            &i.transfer_syntax,
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}
