//! The MDR technical file of a clic project, as a library: `clic dossier` renders it,
//! `clic verify` checks it.
//!
//! The crate takes typed inputs — the Plan, the check results, the benchmark evidence,
//! the documents as the runner read them, git and the input hashes ([`Sources`]) — and
//! returns files: [`assemble`] makes every file of the dossier in memory (the Markdown
//! documents, `index.html`, the figures, `results.json`, `benchmark.json`,
//! `scans.sha256` and `evidence.json`), and [`write::replace_dir`] puts them in place.
//! Nothing in [`assemble`] reads the clock, so two runs on the same inputs give the same
//! bytes. [`integrity`] is the record `evidence.json` and the checks `clic verify` makes
//! against it. The templates are `templates/dossier/` (built in; a project overrides them
//! from `compliance/templates/`). It sits between the runner and the CLI:
//! compiler ← runner ← dossier ← CLI; it never calls back into the CLI.

pub mod adapt;
pub mod benchmark;
pub mod catalogue;
pub mod claims;
pub mod context;
pub mod contexts;
pub mod escape;
pub mod evidenced;
pub mod figures;
pub mod fill;
pub mod findings;
pub mod integrity;
pub mod justify;
pub mod page;
pub mod performance;
pub mod prevalence;
pub mod quote;
pub mod regulatory;
pub mod render;
pub mod reporting;
pub mod risk_matrix;
pub mod rows;
pub mod sbom;
pub mod sections;
pub mod segmentation;
pub mod segmentation_report;
pub mod shown;
pub mod signatures;
pub mod sources;
pub mod subgroups;
pub mod views;
pub mod write;

use clic_compiler::plan::ModelSpec;
use clic_runner::bench::BenchEvidence;
use context::Gaps;
use contexts::{
    Appendix, Context, GapReport, Page, PageDocument, ResultEntry, Results, ScansManifest, Sorted,
    TemplateRow,
};
pub use integrity::SCANS_MANIFEST;
use integrity::{FileHash, GitState, Record};
use performance::Benchmark;
use render::{RenderFailure, Templates, DOCUMENTS};
pub use sources::Sources;
use std::collections::BTreeMap;

fn json_bytes(v: &impl serde::Serialize) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(v).unwrap_or_default();
    b.push(b'\n');
    b
}

/// The figures of the clinical report, by their path in the dossier.
fn figures(spec: &ModelSpec, bench: Result<&BenchEvidence, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(ev) = bench else {
        return out;
    };
    for (name, svg) in figures::all(spec, ev) {
        out.insert(format!("figures/{name}.svg"), svg);
    }
    if let Some(s) = &ev.segmentation {
        let report = segmentation_report::report(s, &spec.structure_claims);
        for (name, svg) in segmentation::figures(&report) {
            out.insert(format!("figures/{name}.svg"), svg);
        }
    }
    out
}

/// The context of every template.
pub fn context<'a>(
    src: &Sources<'a>,
    templates: &'a Templates,
    figs: &BTreeMap<String, String>,
) -> Context<'a> {
    let mut gaps = Gaps::default();
    let spec = src.spec;
    let release = context::release(src.git, &mut gaps);
    let device = context::device(spec, &mut gaps);
    let benchmark = match &src.bench {
        Ok(ev) => context::benchmark(spec, ev, src.evidence, figs, &mut gaps),
        Err(why) => Benchmark::missing(
            gaps.gap("clinical-performance.md", "Inference backend", why),
            gaps.gap(
                "clinical-performance.md",
                "Clinical performance (STARD 2015)",
                why,
            ),
        ),
    };
    let hash_of = |role: &str| {
        src.inputs
            .iter()
            .find(|f| f.role == role && !f.sha256.is_empty())
            .map(|f| f.sha256.clone())
    };
    let scans: Vec<&FileHash> = src
        .inputs
        .iter()
        .filter(|f| f.role == "reference scan")
        .collect();
    let scans_text = scans_manifest(src.inputs);
    let model_sha = hash_of("model");
    let doc = "evidence-appendix.md";
    let appendix = Appendix {
        groups: context::input_groups(src.inputs),
        scans_manifest: ScansManifest {
            file: SCANS_MANIFEST,
            sha256: clic_runner::facts::artifact::sha256_hex(scans_text.as_bytes()),
            count: scans.len(),
        },
        model_sha256: gaps.fill(
            doc,
            "Model sha256",
            model_sha,
            "the model file named by the manifest is missing",
        ),
        pinned_sha256: gaps.fill(
            doc,
            "Pinned model sha256",
            spec.artifact.sha256.clone(),
            "the manifest does not pin the artifact's sha256",
        ),
        labels_sha256: gaps.fill(
            doc,
            "Labels sha256",
            hash_of("labels"),
            "the manifest names no labels file, or it is missing",
        ),
        manifest: &spec.source.file,
        manifest_sha256: gaps.fill(
            doc,
            "Manifest sha256",
            src.plan
                .sources
                .iter()
                .find(|s| s.path == spec.source.file)
                .map(|s| s.sha256.clone()),
            "the manifest's source is not recorded",
        ),
        bench_key: gaps.fill(
            doc,
            "Benchmark cache key",
            src.bench.as_ref().ok().map(|b| b.key.clone()),
            "no benchmark evidence",
        ),
        templates: templates
            .sources
            .iter()
            .map(|t| TemplateRow {
                name: &t.name,
                source: t.overridden_by.as_ref().map_or_else(
                    || "built into clic".to_string(),
                    |p| format!("overridden by {p}"),
                ),
                sha256: &t.sha256,
            })
            .collect(),
    };
    let views = views::doc_views(src.documents);
    let docs = sections::documents(&views, &mut gaps);
    let text = sections::texts(&views, &mut gaps);
    let reporting = reporting::checklists(src, &views, &benchmark, &mut gaps);
    let regulatory = sections::regulatory(src, &views, &benchmark, &mut gaps);
    let controls = context::controls(src.plan, src.evidence);
    let traceability = context::traceability(src.plan, src.evidence);
    let gap_clauses = sections::uncovered(src.plan, src.evidence);
    let mut unfilled = gaps.0;
    unfilled.sort();
    unfilled.dedup();
    let mut frameworks: Vec<&str> = Vec::new();
    for f in clic_compiler::frameworks::FRAMEWORKS {
        if src
            .plan
            .checks
            .iter()
            .any(|c| c.citations.iter().any(|x| x.framework == f.id))
        {
            frameworks.push(f.short);
        }
    }
    Context {
        clic_version: src.clic_version,
        status: context::status(src.evidence, src.plan),
        release,
        device,
        benchmark,
        documents: docs,
        text,
        reporting,
        risk_matrix: risk_matrix::matrix(src.documents, src.plan, src.evidence),
        regulatory,
        controls,
        traceability,
        waivers: context::waivers(src.plan, src.evidence),
        waivers_as_of: src.waivers_as_of,
        appendix,
        gaps: GapReport {
            frameworks,
            clauses: gap_clauses.open,
            not_applicable: gap_clauses.not_applicable,
            sections: unfilled,
        },
    }
}

/// `scans.sha256`: one `sha256  path` line per reference scan, sorted by path.
pub fn scans_manifest(inputs: &[FileHash]) -> String {
    inputs
        .iter()
        .filter(|f| f.role == "reference scan")
        .map(|f| format!("{}  {}\n", f.sha256, f.path))
        .collect()
}

/// Every file of the dossier, by its path inside the dossier folder.
pub fn assemble(
    src: &Sources<'_>,
    templates: &Templates,
) -> Result<BTreeMap<String, Vec<u8>>, RenderFailure> {
    let figs = figures(src.spec, src.bench.clone());
    let ctx = context(src, templates, &figs);
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut pages = Vec::new();
    let mut anchors = page::Anchors::default();
    for d in DOCUMENTS {
        let md = templates.markdown(d, &ctx)?;
        let id = d.output.trim_end_matches(".md");
        let converted = page::to_html(id, &md, &figs, &mut anchors);
        pages.push(PageDocument {
            id: id.to_string(),
            title: d.title,
            contents: page::contents(&converted.headings),
            html: converted.html,
        });
        files.insert(d.output.to_string(), md.into_bytes());
    }
    let page = Page {
        name: &src.spec.name,
        version: &src.spec.version,
        purpose: &src.spec.purpose,
        class: ctx.device.class,
        commit: ctx.release.commit.shown(),
        date: ctx.release.date.shown(),
        clic_version: src.clic_version,
        status: &ctx.status,
        documents: pages,
    };
    files.insert(
        "index.html".to_string(),
        templates.html(&page)?.into_bytes(),
    );
    for (name, svg) in &figs {
        files.insert(name.clone(), format!("{svg}\n").into_bytes());
    }
    files.insert(
        SCANS_MANIFEST.to_string(),
        scans_manifest(src.inputs).into_bytes(),
    );
    let gate = if src.evidence.gate_passed {
        "passed"
    } else {
        "failed"
    };
    let run = Results {
        fail_on: &src.evidence.fail_on,
        format: "clic.dossier-results/1",
        gate,
        limits: (!src.read_limits.is_default()).then_some(Sorted(src.read_limits)),
        results: src
            .evidence
            .results
            .iter()
            .map(|r| ResultEntry {
                result: Sorted(r),
                sha256: context::result_hash(r),
            })
            .collect(),
        stage: &src.evidence.stage,
        summary: Sorted(&src.evidence.summary),
        waivers_as_of: src.waivers_as_of,
    };
    files.insert("results.json".to_string(), json_bytes(&run));
    files.insert(
        sbom::FILE.to_string(),
        json_bytes(&sbom::document(src, &ctx.benchmark)),
    );
    if let Ok(ev) = src.bench {
        files.insert(
            "benchmark.json".to_string(),
            json_bytes(&benchmark::evidence_json(ev, src.spec)),
        );
    }
    let record = Record {
        format: integrity::FORMAT.to_string(),
        clic_version: src.clic_version.to_string(),
        model: format!("{} {}", src.spec.name, src.spec.version),
        gate: if src.evidence.gate_passed {
            "passed"
        } else {
            "failed"
        }
        .to_string(),
        git: GitState {
            commit: src.git.commit.clone(),
            date: src.git.date.clone(),
            clean: src.git.changed.as_ref().map(Vec::is_empty),
            tag: src.git.tag.clone(),
        },
        inputs: src.inputs.to_vec(),
        outputs: files
            .iter()
            .map(|(path, bytes)| FileHash {
                path: path.clone(),
                role: String::new(),
                sha256: clic_runner::facts::artifact::sha256_hex(bytes),
            })
            .collect(),
    };
    files.insert(integrity::RECORD.to_string(), json_bytes(&record));
    Ok(files)
}
