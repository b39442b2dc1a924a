//! Every provider against the one contract, the fact schema: each declares exactly the
//! facts the schema gives its root (none unserved, none undeclared), and for the bundled
//! example every declared fact is served with a value of its declared type.
//!
//! The schema has no optional flag: what it says about absence is in its doc lines
//! ("...; none when not declared"). So a `none` is accepted only where the fact's doc line
//! (or, inside a record, the field's) says when it is none; anything the example cannot
//! serve is listed in [`NOT_SERVED`] with the reason.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use clic_compiler::plan::{Plan, Value};
use clic_compiler::schema::{FactDef, Provider, Type, FACTS};
use clic_runner::bench::BenchInputs;
use clic_runner::budget::Budget;
use clic_runner::facts::reference::{BenchmarkFacts, Reference, ScansFacts};
use clic_runner::facts::{
    ArtifactFacts, Conformance, DocumentsFacts, FactProvider, GitFacts, ModelFacts,
};
use common::{clic, example_copy, git};
use std::path::Path;

/// Facts the example cannot serve, each with why. (None today: every declared fact is
/// served for it.)
const NOT_SERVED: &[(&str, &str)] = &[];

/// Facts and record fields (`Record.field`) that may be none although their doc line does
/// not say "none", each with where the doc says it otherwise. (None today: every doc line
/// that can be none says when.)
const NONE_UNSAID: &[(&str, &str)] = &[];

/// The example's plan, as `clic compile --emit-plan` writes it.
fn plan(dir: &Path) -> Plan {
    let out = dir.join("plan.json");
    let run = clic()
        .args(["compile"])
        .arg(dir)
        .arg("--emit-plan")
        .arg(&out)
        .output()
        .expect("clic runs");
    assert!(run.status.success(), "{}", common::text(&run));
    let text = std::fs::read_to_string(&out).expect("plan");
    std::fs::remove_file(&out).expect("remove plan");
    serde_json::from_str(&text).expect("a plan")
}

/// Every provider of a run over the project in `dir`, as `clic check` assembles them.
fn providers(dir: &Path, plan: &Plan) -> Vec<Box<dyn FactProvider>> {
    let root = std::fs::canonicalize(dir).expect("canonical");
    let spec = plan.model.clone().expect("the example has a manifest");
    let budget = Budget::new(2);
    let reference = Reference::new(
        Some(BenchInputs {
            dir: root.clone(),
            root: root.clone(),
            spec: spec.clone(),
            budget,
        }),
        None,
        Box::new(|_, _| {}),
    );
    vec![
        Box::new(ModelFacts::new(Some(spec.clone()))),
        Box::new(ArtifactFacts::new(&root, &root, Some(spec.clone()), budget)),
        Box::new(ScansFacts(reference.clone())),
        Box::new(BenchmarkFacts(reference)),
        Box::new(GitFacts::new(&root, Some(spec.clone()))),
        Box::new(DocumentsFacts::new(&root, &root, Some(spec))),
    ]
}

/// Why `value` is not a value of `ty` (`doc` says when a none is allowed; `name` is the
/// fact or `Record.field`); none when it is.
fn misfit(ty: &Type, name: &str, doc: &str, value: &Value) -> Option<String> {
    let shown = || format!("{value:?} is not a {ty}");
    match (ty, value) {
        (_, Value::Null) if says_none(doc) || NONE_UNSAID.iter().any(|(n, _)| *n == name) => None,
        (_, Value::Null) => Some(format!("none, but its doc does not say when: {doc:?}")),
        (Type::Bool, Value::Bool(_))
        | (Type::Number, Value::Number(_))
        | (Type::String, Value::String(_))
        | (Type::Date, Value::Date(_))
        | (Type::Version, Value::Version(_))
        | (Type::Class, Value::Class(_)) => None,
        (Type::List(inner), Value::List(items)) => items
            .iter()
            .find_map(|v| misfit(inner, name, "", v).map(|why| format!("an element: {why}"))),
        (Type::Proportion | Type::Record(_), Value::Record(fields)) => {
            let def = ty.record().expect("a declared record");
            if let Some(extra) = fields
                .keys()
                .find(|k| !def.fields.iter().any(|f| f.0 == *k))
            {
                return Some(format!("field `{extra}` is not one of {}", def.name));
            }
            def.fields.iter().find_map(|(name, fty, fdoc)| {
                let v = fields.get(*name).unwrap_or(&Value::Null);
                misfit(&Type::parse(fty), &format!("{}.{name}", def.name), fdoc, v)
                    .map(|why| format!("`{name}`: {why}"))
            })
        }
        _ => Some(shown()),
    }
}

/// Whether a doc line says when the value is none.
fn says_none(doc: &str) -> bool {
    doc.contains("none") || doc.contains("None")
}

/// The argument lists a fact is read with: `benchmark.by` with every attribute clic
/// groups by; every other fact without arguments.
fn calls(def: &FactDef) -> Vec<Vec<Value>> {
    match def.params {
        [] => vec![vec![]],
        ["String"] if def.path == "benchmark.by" => clic_runner::bench::GROUPS
            .iter()
            .map(|g| vec![Value::String((*g).to_string())])
            .collect(),
        other => panic!("{}: no arguments to read it with {other:?}", def.path),
    }
}

#[test]
fn every_provider_declares_exactly_the_facts_the_schema_gives_it() {
    let dir = example_copy();
    let plan = plan(dir.path());
    let providers = providers(dir.path(), &plan);
    for p in Provider::ALL {
        let provider = providers
            .iter()
            .find(|x| x.provider() == p)
            .unwrap_or_else(|| panic!("no provider of `{}`", p.root()));
        let c = Conformance::of(provider.as_ref());
        assert!(c.is_exact(), "`{}`: {c:?}", p.root());
    }
}

#[test]
fn every_declared_fact_is_served_for_the_example_with_its_declared_type() {
    let dir = example_copy();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "Initial"]);
    let plan = plan(dir.path());
    let mut providers = providers(dir.path(), &plan);
    let mut wrong = Vec::new();
    for def in FACTS {
        let provider = providers
            .iter_mut()
            .find(|x| x.provider() == def.provider)
            .expect("a provider per root");
        let excused = NOT_SERVED.iter().find(|(p, _)| *p == def.path);
        for args in calls(def) {
            match (provider.fact(def.path, &args), excused) {
                (Ok(v), None) => wrong.extend(
                    misfit(&def.ty(), def.path, def.doc, &v)
                        .map(|why| format!("{} {args:?}: {why}", def.path)),
                ),
                (Err(e), None) => {
                    wrong.push(format!("{} {args:?}: unserved: {}", def.path, e.reason))
                }
                (Ok(v), Some((_, why))) => wrong.push(format!(
                    "{}: served ({v:?}) but listed as not served for the example ({why})",
                    def.path
                )),
                (Err(_), Some(_)) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
