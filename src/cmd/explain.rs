//! `clic explain`: a control, a fact, a diagnostic code, or the lists of facts, policies,
//! controls and codes. `explain facts` and `explain controls` print the reference pages
//! `docs/facts.md` and `docs/controls.md` are (a test keeps the committed files current).

use super::Status;
use crate::project::Project;
use clic_compiler::diagnostics::{Code, ALL_CODES};
use clic_compiler::plan::{Check, Plan};
use clic_compiler::schema::{self, FACTS, RECORDS};
use clic_compiler::{compile, compile_str, frameworks, stdlib};
use std::path::Path;

/// Runs `clic explain`.
pub fn run(what: &str, path: &Path) -> Status {
    if let Some(code) = Code::parse(what) {
        crate::output::outln!(
            "{}: {}\n\n{}",
            code.id(),
            code.title(),
            code.explanation().trim_end()
        );
        return Status::Ok;
    }
    match what {
        "facts" => {
            crate::output::out!("{}", facts_reference());
            return Status::Ok;
        }
        "controls" => {
            crate::output::out!("{}", controls_reference());
            return Status::Ok;
        }
        "policies" => {
            for c in std_plan().map(|p| p.checks).unwrap_or_default() {
                crate::output::outln!(
                    "{:<50} [{}, {}] {}",
                    c.id,
                    c.severity.as_str(),
                    c.stage.as_str(),
                    c.title
                );
            }
            return Status::Ok;
        }
        "codes" => {
            for c in ALL_CODES {
                crate::output::outln!("{}  {}", c.id(), c.title());
            }
            return Status::Ok;
        }
        _ => {}
    }
    if let Some(def) = schema::fact(what) {
        let params = if def.params.is_empty() {
            String::new()
        } else {
            format!("({})", def.params.join(", "))
        };
        crate::output::outln!(
            "{}{params} : {}\n\n{}\n\nprovided by: {}",
            def.path,
            def.ty,
            def.doc,
            def.provider.root()
        );
        if let Some(record) = def.ty().record().or_else(|| match def.ty() {
            schema::Type::List(inner) => inner.record(),
            _ => None,
        }) {
            crate::output::outln!("\n{} fields:", record.name);
            for (n, t, d) in record.fields {
                crate::output::outln!("  {n:<18} {t:<14} {d}");
            }
        }
        return Status::Ok;
    }
    let project_plan = Project::discover(path)
        .ok()
        .and_then(|p| compile(p.files.clone(), &mut p.loader()).plan);
    let mut checks: Vec<Check> = Vec::new();
    for c in project_plan
        .iter()
        .chain(std_plan().iter())
        .flat_map(|p| p.checks.clone())
    {
        if !checks.iter().any(|k| k.id == c.id) {
            checks.push(c);
        }
    }
    if let Some(check) = checks.iter().find(|c| c.id == what) {
        crate::output::out!("{}", control_text(check));
        return Status::Ok;
    }
    // A control's short name (`sensitivity-claim`), or the end of its id
    // (`performance.sensitivity-claim`), when exactly one control has it.
    let suffix = format!(".{what}");
    let by_name: Vec<&Check> = checks.iter().filter(|c| c.id.ends_with(&suffix)).collect();
    match by_name.as_slice() {
        [check] => {
            crate::output::out!("{}", control_text(check));
            return Status::Ok;
        }
        [] => {}
        several => {
            let ids: Vec<String> = several.iter().map(|c| format!("`{}`", c.id)).collect();
            crate::output::print_error(
                Code::E005,
                &format!("`{what}` names {} controls", several.len()),
                Some(&format!("say which: {}", ids.join(", "))),
            );
            return Status::Invalid;
        }
    }
    let codes: Vec<String> = ALL_CODES.iter().map(|c| format!("{c:?}")).collect();
    let mut candidates: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
    candidates.extend(FACTS.iter().map(|f| f.path));
    candidates.extend(codes.iter().map(String::as_str));
    candidates.extend(["facts", "controls", "policies", "codes"]);
    let short: Vec<(&str, &str)> = checks
        .iter()
        .filter_map(|c| c.id.rsplit_once('.').map(|(_, name)| (name, c.id.as_str())))
        .collect();
    let suggestion = clic_compiler::diagnostics::did_you_mean(what, candidates.iter().copied())
        .or_else(|| {
            clic_compiler::diagnostics::did_you_mean(what, short.iter().map(|(n, _)| *n))
                .and_then(|n| short.iter().find(|(s, _)| *s == n).map(|(_, id)| *id))
        });
    let help = match suggestion {
        Some(s) => format!("did you mean `{s}`? (`clic explain policies`, `clic explain facts` and `clic explain codes` list them all)"),
        None => "try `clic explain policies`, `clic explain facts` or `clic explain codes`".to_string(),
    };
    crate::output::print_error(
        Code::E005,
        &format!("`{what}` is neither a control, a fact nor a diagnostic code"),
        Some(&help),
    );
    Status::Invalid
}

/// Every standard policy, compiled.
fn std_plan() -> Option<Plan> {
    let mut modules: Vec<String> = Vec::new();
    for f in stdlib::FILES {
        for item in clic_compiler::parse_module(clic_compiler::FileId(0), f.text)
            .0
            .items
        {
            if let clic_compiler::ast::Item::Policy(p) = item {
                modules.push(p.node.name.node);
            }
        }
    }
    if modules.is_empty() {
        return None;
    }
    compile_str("stdlib.clic", &format!("use {}\n", modules.join(", "))).plan
}

fn control_text(c: &Check) -> String {
    let mut out = format!("{}\n  {}\n\n", c.id, c.title);
    if let Some(t) = &c.policy_title {
        out.push_str(&format!("policy:   {} — {t}\n", c.policy));
    }
    out.push_str(&format!(
        "severity: {}\nstage:    {}\n",
        c.severity.as_str(),
        c.stage.as_str()
    ));
    out.push_str("cites:\n");
    for x in &c.citations {
        let title = frameworks::framework(&x.framework).map_or("", |f| f.title);
        out.push_str(&format!("  {} {} ({title})\n", x.framework_name, x.clause));
    }
    if let Some(a) = &c.applies_when {
        out.push_str(&format!("applies when:\n  {}\n", a.text));
    }
    out.push_str("expects:\n");
    for e in &c.expect {
        out.push_str(&format!("  {}\n", e.text));
    }
    out.push_str("reads:\n");
    for f in &c.facts {
        let path = f.split('(').next().unwrap_or(f);
        match schema::fact(path) {
            Some(def) => out.push_str(&format!("  {f} : {}  — {}\n", def.ty, def.doc)),
            None => out.push_str(&format!("  {f}\n")),
        }
    }
    if let Some(h) = &c.help {
        out.push_str(&format!("help:\n  {h}\n"));
    }
    out.push_str(&format!(
        "declared at {}:{}:{}\n",
        c.source.file, c.source.line, c.source.column
    ));
    out
}

/// The fact reference, generated from the schema (docs/facts.md is this text).
pub fn facts_reference() -> String {
    let mut out = String::from("# Fact reference\n\nGenerated by `clic explain facts` from the fact schema.\n\n| fact | type | provider | meaning |\n|---|---|---|---|\n");
    for f in FACTS {
        let params = if f.params.is_empty() {
            String::new()
        } else {
            format!("({})", f.params.join(", "))
        };
        out.push_str(&format!(
            "| `{}{params}` | `{}` | {} | {} |\n",
            f.path,
            f.ty,
            f.provider.root(),
            f.doc
        ));
    }
    out.push_str("\n## Records\n");
    for r in RECORDS {
        out.push_str(&format!(
            "\n### {}\n\n{}\n\n| field | type | meaning |\n|---|---|---|\n",
            r.name, r.doc
        ));
        for (n, t, d) in r.fields {
            out.push_str(&format!("| `{n}` | `{t}` | {d} |\n"));
        }
    }
    out
}

/// The control reference, generated from the standard policy library (docs/controls.md is
/// this text): every standard control under its policy, with its severity, stage,
/// citations, what it expects and its help.
pub fn controls_reference() -> String {
    let mut out = String::from(
        "# Control reference\n\nGenerated by `clic explain controls` from the standard policy library in `policies/` \
         (regenerate with `cargo run -- explain controls > docs/controls.md`). \
         `clic explain CONTROL` prints one control with the facts it reads.\n",
    );
    let checks = std_plan().map(|p| p.checks).unwrap_or_default();
    out.push_str("\n| framework | title |\n|---|---|\n");
    for f in frameworks::FRAMEWORKS {
        if checks
            .iter()
            .any(|c| c.citations.iter().any(|x| x.framework == f.id))
        {
            out.push_str(&format!("| {} | {} |\n", f.short, f.title));
        }
    }
    let mut policy = None;
    for c in &checks {
        if policy != Some(&c.policy) {
            policy = Some(&c.policy);
            out.push_str(&format!("\n## `{}`", c.policy));
            if let Some(t) = &c.policy_title {
                out.push_str(&format!(" — {t}"));
            }
            out.push_str(&format!("\n\nDeclared in `{}`.\n", c.source.file));
        }
        out.push_str(&format!("\n### `{}`\n\n{}\n\n", c.id, c.title));
        out.push_str(&format!(
            "- severity `{}`, stage `{}`\n",
            c.severity.as_str(),
            c.stage.as_str()
        ));
        let cites: Vec<String> = c
            .citations
            .iter()
            .map(|x| format!("{} {}", x.framework_name, x.clause))
            .collect();
        out.push_str(&format!("- cites {}\n", cites.join("; ")));
        if let Some(a) = &c.applies_when {
            out.push_str(&format!("- applies when `{}`\n", a.text));
        }
        for e in &c.expect {
            out.push_str(&format!("- expects `{}`\n", e.text));
        }
        if let Some(h) = &c.help {
            out.push_str(&format!("\n{h}\n"));
        }
    }
    out
}
