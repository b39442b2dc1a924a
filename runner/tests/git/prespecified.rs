//! Pre-specification from history: the commit that last changed the claims (as the
//! compiler reads them, not the manifest's bytes) against the commits that last changed
//! the model and the reference set.

use super::{fact, s, spec, write, Sandbox};
use clic_compiler::plan::{ModelSpec, Value};
use clic_runner::facts::GitFacts;
use std::path::Path;

/// The sample manifest's spec, with a claim (pre-specification is about claims).
fn claiming() -> ModelSpec {
    let mut m = spec("1.0.0");
    m.claims.insert("sensitivity".into(), 0.8);
    m
}

/// A manifest naming the sample's paths, with `claims` as its claims block and `extra`
/// lines.
fn manifest(claims: &str, extra: &str) -> String {
    format!(
        "model cxr {{\n  version \"1.0.0\"\n  purpose \"triage\"\n  class IIa\n{extra}  artifact \"model/classifier.onnx\"\n  reference \"scans\" labels \"scans/labels.csv\"\n  {claims}\n}}\n"
    )
}

fn facts(dir: &Path) -> GitFacts {
    GitFacts::new(dir, Some(claiming()))
}

fn data(dir: &Path, model: &str) {
    write(dir, "model/classifier.onnx", model);
    write(dir, "scans/labels.csv", "file,label\na.dcm,1\n");
    write(dir, "scans/a.dcm", "DICM");
}

#[test]
fn claims_committed_before_the_model_and_the_reference_set_are_prespecified() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    write(
        &dir,
        "model.clic",
        &manifest("claims { sensitivity 80% }", ""),
    );
    let claims = sb.commit(&dir, "Specify the claims");
    data(&dir, "weights v1");
    let model = sb.commit(&dir, "The model and the reference set");

    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.claims.last_changed"), s(&claims));
    assert_eq!(fact(&mut f, "git.model.last_changed"), s(&model));
    assert_eq!(fact(&mut f, "git.reference.last_changed"), s(&model));
    // The sandbox's first commits are on 2024-03-06 (UTC).
    assert_eq!(
        fact(&mut f, "git.claims.last_changed_on"),
        Value::Date("2024-03-06".into())
    );
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Bool(true));

    // A comment, new spacing and another statement are no change of the claims.
    write(
        &dir,
        "model.clic",
        &manifest(
            "# set from the validation study\n  claims {\n    sensitivity   80%\n  }",
            "  safety class B\n",
        ),
    );
    sb.commit(&dir, "Reformat the manifest");
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.claims.last_changed"), s(&claims));
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Bool(true));

    // A new model after the claims: still pre-specified, the model's commit moves.
    data(&dir, "weights v2");
    let retrained = sb.commit(&dir, "Retrain");
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.model.last_changed"), s(&retrained));
    assert_eq!(fact(&mut f, "git.reference.last_changed"), s(&model));
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Bool(true));

    // Lowering the claim after the model was scored: fitted to the result.
    write(
        &dir,
        "model.clic",
        &manifest("claims { sensitivity 75% }", ""),
    );
    let lowered = sb.commit(&dir, "Lower the claim");
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.claims.last_changed"), s(&lowered));
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Bool(false));
}

#[test]
fn claims_committed_with_the_model_are_not_prespecified() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    write(
        &dir,
        "model.clic",
        &manifest("claims { sensitivity 80% }", ""),
    );
    data(&dir, "weights v1");
    let all = sb.commit(&dir, "Everything at once");
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.claims.last_changed"), s(&all));
    assert_eq!(fact(&mut f, "git.model.last_changed"), s(&all));
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Bool(false));

    // Only the reference set changed after the claims: the model's commit still holds them.
    write(&dir, "scans/b.dcm", "DICM");
    sb.commit(&dir, "One more scan");
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Bool(false));
}

#[test]
fn a_manifest_that_does_not_compile_is_compared_by_its_claims_text() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    // Not a manifest this clic compiles (an unknown statement), with claims.
    let broken = |claims: &str| format!("model cxr {{\n  frobnicate yes\n  {claims}\n}}\n");
    write(&dir, "model.clic", &broken("claims { sensitivity 80% }"));
    let claims = sb.commit(&dir, "Claims");
    data(&dir, "weights v1");
    sb.commit(&dir, "Model");
    write(
        &dir,
        "model.clic",
        &broken("# a comment\n  claims {  sensitivity 80%  }"),
    );
    sb.commit(&dir, "Comment");
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.claims.last_changed"), s(&claims));
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Bool(true));
    write(&dir, "model.clic", &broken("claims { sensitivity 70% }"));
    sb.commit(&dir, "Lower");
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Bool(false));
}

#[test]
fn without_claims_or_history_pre_specification_is_none() {
    let sb = Sandbox::new();
    let dir = sb.init("repo");
    // No commit yet.
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Null);
    assert_eq!(fact(&mut f, "git.claims.last_changed"), Value::Null);
    write(
        &dir,
        "model.clic",
        &manifest("claims { sensitivity 80% }", ""),
    );
    sb.commit(&dir, "Claims only");
    // Neither the model nor the reference set is committed.
    let mut f = facts(&dir);
    assert_eq!(fact(&mut f, "git.model.last_changed"), Value::Null);
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Null);
    // A manifest without claims.
    data(&dir, "weights");
    sb.commit(&dir, "Model");
    let mut f = GitFacts::new(&dir, Some(spec("1.0.0")));
    assert_eq!(fact(&mut f, "git.claims.prespecified"), Value::Null);
}
