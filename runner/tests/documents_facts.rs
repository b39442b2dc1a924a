//! `documents.*` facts and `clic_runner::documents::load_all` on documents written into
//! temporary projects: present, missing and undeclared documents, missing headings,
//! missing or partial approval, bad dates and broken front matter, unanswered
//! questionnaire items, paths outside the project, non-UTF-8 files; the templates
//! themselves; and the bundled example's documents, which must stay complete.
#![expect(clippy::expect_used, reason = "tests fail loudly on a broken fixture")]

use clic_compiler::plan::{ModelSpec, Value};
use clic_compiler::schema::{self, Provider, Type, DOCUMENT_KINDS, FACTS};
use clic_runner::documents::{load_all, template, LoadedDocument, TEMPLATES};
use clic_runner::facts::{DocumentsFacts, FactProvider};
use std::path::{Path, PathBuf};

/// A manifest naming these documents (kind, path).
fn spec(documents: &[(&str, &str)]) -> ModelSpec {
    let block: String = documents
        .iter()
        .map(|(k, p)| format!("    {k} \"{p}\"\n"))
        .collect();
    let text = format!(
        "model cxr {{\n  version \"1.0.0\"\n  purpose \"triage\"\n  class IIa\n  artifact \"m.onnx\"\n  documents {{\n{block}  }}\n}}\n"
    );
    let compiled = clic_compiler::compile_str("model.clic", &text);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    compiled
        .plan
        .and_then(|p| p.model)
        .expect("the manifest compiles")
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("folder");
    std::fs::write(p, bytes).expect("write");
}

const APPROVAL: &str =
    "---\napproved_by: \"QA lead <qa@example.com>\"\ndate: 2024-06-11\nversion: \"2.1\"\n---\n";

/// A document of `kind` with every heading of its template, each question answered.
fn complete(kind: &str) -> String {
    let t = template(kind).expect("template");
    let mut text = format!("{APPROVAL}\n# {}\n", t.title());
    let questions = t.questions();
    for h in t.required_headings() {
        text.push_str(&format!("\n## {h}\n\nWritten.\n"));
        // Questions sit under the section they follow in the template; for the test it
        // is enough that each appears once with an answer.
        if Some(&h) == t.required_headings().last() {
            for q in &questions {
                text.push_str(&format!("\n### {q}\n\n**Answer:** Answered.\n"));
            }
        }
    }
    text
}

fn doc<'a>(docs: &'a [LoadedDocument], kind: &str) -> &'a LoadedDocument {
    docs.iter().find(|d| d.kind == kind).expect("every kind")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&root).expect("repo");
    (dir, root)
}

#[test]
fn one_document_per_kind_sorted_declared_or_not() {
    let (_t, root) = project();
    write(&root, "docs/ifu.md", complete("ifu").as_bytes());
    let docs = load_all(&root, &root, Some(&spec(&[("ifu", "docs/ifu.md")])));
    let kinds: Vec<&str> = docs.iter().map(|d| d.kind.as_str()).collect();
    let mut expected = DOCUMENT_KINDS.to_vec();
    expected.sort_unstable();
    assert_eq!(kinds, expected);
    let declared: Vec<&str> = docs
        .iter()
        .filter(|d| d.declared)
        .map(|d| d.kind.as_str())
        .collect();
    assert_eq!(declared, vec!["ifu"]);
    // Without a manifest nothing is declared.
    assert!(load_all(&root, &root, None).iter().all(|d| !d.declared));
}

#[test]
fn a_complete_approved_document() {
    let (_t, root) = project();
    write(
        &root,
        "docs/risk.md",
        complete("risk_management").as_bytes(),
    );
    let docs = load_all(
        &root,
        &root,
        Some(&spec(&[("risk_management", "docs/risk.md")])),
    );
    let d = doc(&docs, "risk_management");
    assert!(d.declared && d.exists && d.approved(), "{d:?}");
    assert_eq!(d.error, None);
    assert_eq!(d.path.as_deref(), Some("docs/risk.md"));
    assert_eq!(
        d.front_matter.approved_by.as_deref(),
        Some("QA lead <qa@example.com>")
    );
    assert_eq!(d.front_matter.date.as_deref(), Some("2024-06-11"));
    assert_eq!(d.front_matter.version.as_deref(), Some("2.1"));
    assert!(d.missing_headings.is_empty(), "{:?}", d.missing_headings);
    assert!(d.unanswered.is_empty());
    assert!(d.body.starts_with("\n# Risk management file"), "{}", d.body);
    assert_eq!(d.section("Drift").as_deref(), Some("Written."));
    // Headings carry their line in the file, front matter included.
    let first = d.headings.first().expect("a heading");
    assert_eq!((first.level, first.line), (1, 7));
}

#[test]
fn a_declared_missing_document_lacks_everything_but_is_not_an_error() {
    let (_t, root) = project();
    let docs = load_all(&root, &root, Some(&spec(&[("dpia", "docs/dpia.md")])));
    let d = doc(&docs, "dpia");
    let t = template("dpia").expect("template");
    assert!(d.declared && !d.exists && !d.approved());
    assert_eq!(d.error, None);
    assert_eq!(d.missing_headings, t.required_headings());
    assert_eq!(d.unanswered, t.questions());
    assert!(d.unanswered.len() >= 10);
}

#[test]
fn missing_headings_are_named_in_template_order() {
    let (_t, root) = project();
    let text = complete("ifu")
        .replace("## Human oversight\n", "## Oversight by people\n")
        .replace("## Performance per group\n", "")
        // Case and spacing do not matter; fenced code does not count.
        .replace("## Intended purpose\n", "##   INTENDED   purpose\n")
        .replace("## User training\n", "```\n## User training\n```\n");
    write(&root, "docs/ifu.md", text.as_bytes());
    let docs = load_all(&root, &root, Some(&spec(&[("ifu", "docs/ifu.md")])));
    assert_eq!(
        doc(&docs, "ifu").missing_headings,
        strings(&["Performance per group", "Human oversight", "User training"])
    );
}

#[test]
fn approval_needs_approver_date_and_version() {
    let (_t, root) = project();
    let body = complete("soup_list");
    let body = body.split_once("---\n\n").map(|x| x.1).expect("body");
    let cases: [(&str, bool); 5] = [
        ("", false),
        ("---\napproved_by: QA\ndate: 2024-06-11\n---\n", false),
        (
            "---\napproved_by: \"\"\ndate: 2024-06-11\nversion: 1\n---\n",
            false,
        ),
        (
            "---\napproved_by: TODO\ndate: 2024-06-11\nversion: 1\n---\n",
            false,
        ),
        (
            "---\napproved_by: QA\ndate: 2024-06-11\nversion: 1.0\nowner: RA\n---\n",
            true,
        ),
    ];
    for (front, approved) in cases {
        write(&root, "docs/soup.md", format!("{front}{body}").as_bytes());
        let docs = load_all(&root, &root, Some(&spec(&[("soup_list", "docs/soup.md")])));
        let d = doc(&docs, "soup_list");
        assert_eq!(d.error, None, "{front}");
        assert_eq!(d.approved(), approved, "{front}");
        assert!(d.missing_headings.is_empty(), "{front}");
    }
    let docs = load_all(&root, &root, Some(&spec(&[("soup_list", "docs/soup.md")])));
    let fm = &doc(&docs, "soup_list").front_matter;
    assert_eq!(fm.version.as_deref(), Some("1.0"));
    assert_eq!(fm.other.get("owner").map(String::as_str), Some("RA"));
}

#[test]
fn bad_dates_and_broken_front_matter_name_the_file_and_line() {
    let (_t, root) = project();
    let cases = [
        (
            "---\napproved_by: QA\ndate: 2024-02-30\nversion: 1\n---\n# SOUP list\n",
            "`docs/soup.md` line 3: `date` is `2024-02-30`, not a calendar date",
        ),
        (
            "---\napproved_by: QA\nversion: 1\ndate: 11/06/2024\n---\n",
            "`docs/soup.md` line 4: `date` is `11/06/2024`",
        ),
        (
            "---\napproved_by: [QA\nversion: 1\n---\n",
            "`docs/soup.md` line 3: front matter is not valid YAML",
        ),
        (
            "---\napproved_by:\n  - QA\n---\n",
            "`docs/soup.md` line 2: `approved_by` must be a single value",
        ),
        (
            "---\napproved_by: QA\n# SOUP list\n",
            "`docs/soup.md` line 1: the front matter opened by `---` is never closed",
        ),
    ];
    for (text, reason) in cases {
        write(&root, "docs/soup.md", text.as_bytes());
        let docs = load_all(&root, &root, Some(&spec(&[("soup_list", "docs/soup.md")])));
        let d = doc(&docs, "soup_list");
        let got = d
            .error
            .as_ref()
            .map(|e| e.reason.clone())
            .unwrap_or_default();
        assert!(got.starts_with(reason), "{text:?}: {got}");
        assert!(d.exists && !d.approved());
        let mut facts =
            DocumentsFacts::new(&root, &root, Some(spec(&[("soup_list", "docs/soup.md")])));
        let e = facts.fact("documents.soup_list", &[]).expect_err("invalid");
        assert!(e.invalid_input && e.reason == got);
        let e = facts.fact("documents.all", &[]).expect_err("invalid");
        assert!(e.invalid_input);
        // Another document is still served.
        assert!(facts.fact("documents.ifu", &[]).is_ok());
    }
}

#[test]
fn unanswered_questions_are_empty_todo_or_deleted() {
    let (_t, root) = project();
    let t = template("ai_questionnaire").expect("template");
    let questions = t.questions();
    assert_eq!(questions.len(), 27, "{questions:?}");
    let mut text = complete("ai_questionnaire");
    // 1.1 left as TODO, 1.2 empty with only guidance, 4.2 deleted, 6.1 answered on the
    // lines below its marker; one question the template does not ask, unanswered.
    text = text
        .replace(
            "### 1.1 Machine-learning task\n\n**Answer:** Answered.",
            "### 1.1 Machine-learning task\n\n**Answer:** TODO: describe the task",
        )
        .replace(
            "### 1.2 Quantified goals\n\n**Answer:** Answered.",
            "### 1.2 Quantified goals\n\n> guidance\n\n**Answer:**\n",
        )
        .replace(
            "### 4.2 Annotator qualification\n\n**Answer:** Answered.\n",
            "",
        )
        .replace(
            "### 6.1 Model and hyperparameters\n\n**Answer:** Answered.",
            "### 6.1 Model and hyperparameters\n\n**Answer:**\nThree convolutions.\n\nAdam.",
        );
    text.push_str("\n### 8.1 Our own question\n\n**Answer:** TODO\n");
    write(&root, "docs/aiq.md", text.as_bytes());
    let docs = load_all(
        &root,
        &root,
        Some(&spec(&[("ai_questionnaire", "docs/aiq.md")])),
    );
    let d = doc(&docs, "ai_questionnaire");
    assert_eq!(
        d.unanswered,
        strings(&[
            "1.1 Machine-learning task",
            "1.2 Quantified goals",
            "4.2 Annotator qualification",
            "8.1 Our own question",
        ])
    );
    let item = |q: &str| {
        d.items
            .iter()
            .find(|i| i.question == q)
            .expect("an item")
            .clone()
    };
    assert_eq!(
        item("6.1 Model and hyperparameters").answer.as_deref(),
        Some("Three convolutions.\n\nAdam.")
    );
    assert_eq!(item("4.2 Annotator qualification").line, None);
    assert_eq!(d.items.len(), 28);
    assert_eq!(
        d.items.last().map(|i| i.question.as_str()),
        Some("8.1 Our own question")
    );
}

#[test]
fn a_path_outside_the_project_is_invalid_input() {
    let (t, root) = project();
    write(t.path(), "elsewhere/ifu.md", complete("ifu").as_bytes());
    // Inside through `..` is fine; outside through `..`, absolutely or by a link is not.
    write(&root, "docs/ifu.md", complete("ifu").as_bytes());
    let inside = load_all(&root, &root, Some(&spec(&[("ifu", "docs/../docs/ifu.md")])));
    assert_eq!(doc(&inside, "ifu").error, None);
    let absolute = t.path().join("elsewhere/ifu.md");
    let mut paths = vec![
        "../elsewhere/ifu.md".to_string(),
        "../elsewhere/missing.md".to_string(),
        absolute.to_string_lossy().into_owned(),
    ];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(t.path().join("elsewhere"), root.join("linked"))
            .expect("symlink");
        paths.push("linked/ifu.md".to_string());
    }
    for p in paths {
        let docs = load_all(&root, &root, Some(&spec(&[("ifu", &p)])));
        let d = doc(&docs, "ifu");
        assert_eq!(
            d.error.as_ref().map(|e| e.reason.clone()),
            Some(format!(
                "the instructions for use `{p}` that the manifest names lies outside the project"
            ))
        );
        let mut facts = DocumentsFacts::new(&root, &root, Some(spec(&[("ifu", &p)])));
        let e = facts.fact("documents.ifu", &[]).expect_err("invalid");
        assert!(e.invalid_input);
    }
}

#[test]
fn a_non_utf8_file_or_a_folder_is_invalid_input() {
    let (_t, root) = project();
    let mut bytes = APPROVAL.as_bytes().to_vec();
    bytes.extend_from_slice(b"# IFU\n\nCaf\xe9\n");
    write(&root, "docs/ifu.md", &bytes);
    std::fs::create_dir_all(root.join("docs/pms")).expect("folder");
    let docs = load_all(
        &root,
        &root,
        Some(&spec(&[("ifu", "docs/ifu.md"), ("pms_plan", "docs/pms")])),
    );
    let reason = |k: &str| {
        doc(&docs, k)
            .error
            .as_ref()
            .map(|e| e.reason.clone())
            .unwrap_or_default()
    };
    let at = APPROVAL.len() + "# IFU\n\nCaf".len();
    assert_eq!(
        reason("ifu"),
        format!("the document `docs/ifu.md` is not UTF-8 text (line 8, byte {at})")
    );
    assert_eq!(
        reason("pms_plan"),
        "cannot read the document `docs/pms`: it is a folder, not a file"
    );
}

/// Whether a value fits a declared type (none fits any).
fn fits(ty: &Type, v: &Value) -> bool {
    match (ty, v) {
        (_, Value::Null) | (Type::Any, _) => true,
        (Type::Bool, Value::Bool(_))
        | (Type::Number, Value::Number(_))
        | (Type::String, Value::String(_))
        | (Type::Date, Value::Date(_)) => true,
        (Type::List(inner), Value::List(items)) => items.iter().all(|i| fits(inner, i)),
        (Type::Record(_), Value::Record(fields)) => {
            let def = ty.record().expect("a record type");
            def.fields.len() == fields.len()
                && def.fields.iter().all(|(name, fty, _)| {
                    fields
                        .get(*name)
                        .is_some_and(|f| fits(&Type::parse(fty), f))
                })
        }
        _ => false,
    }
}

#[test]
fn every_documents_fact_is_served_with_its_declared_type() {
    let (_t, root) = project();
    write(&root, "docs/ifu.md", complete("ifu").as_bytes());
    write(&root, "docs/dpia.md", b"# DPIA\n");
    let spec = spec(&[
        ("ifu", "docs/ifu.md"),
        ("dpia", "docs/dpia.md"),
        ("pms_plan", "docs/pms.md"),
    ]);
    let mut facts = DocumentsFacts::new(&root, &root, Some(spec));
    assert_eq!(facts.provider(), Provider::Documents);
    let defs: Vec<_> = FACTS
        .iter()
        .filter(|f| f.provider == Provider::Documents)
        .collect();
    // One record per kind, `documents.all`, and the facts read out of documents' content
    // (the intended use's wording, the risk file's hazard tables, the SOUP list's rows),
    // which are none when the document that holds them is absent, as their docs say.
    const READ_FROM_CONTENT: [&str; 9] = [
        "documents.consistency.ifu_missing_risks",
        "documents.purpose.significance",
        "documents.purpose.situation",
        "documents.risk.hazards",
        "documents.soup.items",
        "documents.soup.missing",
        "documents.soup.unconfirmed",
        "documents.soup.unlisted_operators",
        "documents.soup.version_mismatches",
    ];
    assert_eq!(
        defs.len(),
        DOCUMENT_KINDS.len() + 1 + READ_FROM_CONTENT.len()
    );
    for def in defs {
        let v = facts.fact(def.path, &[]).expect("served");
        assert!(fits(&def.ty(), &v), "{} gave {v:?}", def.path);
        if READ_FROM_CONTENT.contains(&def.path) {
            assert!(
                !matches!(v, Value::Null) || def.doc.contains("none"),
                "{} is none and its doc does not say when",
                def.path
            );
        } else {
            assert!(!matches!(v, Value::Null), "{}", def.path);
        }
    }
    let Ok(Value::List(all)) = facts.fact("documents.all", &[]) else {
        unreachable!("documents.all is a list");
    };
    let kinds: Vec<_> = all
        .iter()
        .map(|d| match d {
            Value::Record(r) => r.get("kind").map(Value::display).unwrap_or_default(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(kinds, ["\"dpia\"", "\"ifu\"", "\"pms_plan\""]);
    let Ok(Value::Record(ifu)) = facts.fact("documents.ifu", &[]) else {
        unreachable!("a record");
    };
    assert_eq!(ifu.get("approved"), Some(&Value::Bool(true)));
    assert_eq!(ifu.get("date"), Some(&Value::Date("2024-06-11".into())));
    assert_eq!(ifu.get("version"), Some(&Value::String("2.1".into())));
    let Ok(Value::Record(pms)) = facts.fact("documents.pms_plan", &[]) else {
        unreachable!("a record");
    };
    assert_eq!(pms.get("exists"), Some(&Value::Bool(false)));
    assert_eq!(pms.get("declared"), Some(&Value::Bool(true)));
    let Ok(Value::Record(soup)) = facts.fact("documents.soup_list", &[]) else {
        unreachable!("a record");
    };
    assert_eq!(soup.get("declared"), Some(&Value::Bool(false)));
    assert_eq!(soup.get("path"), Some(&Value::Null));
    // Without a manifest there is nothing to read.
    let mut none = DocumentsFacts::new(&root, &root, None);
    let e = none.fact("documents.ifu", &[]).expect_err("unavailable");
    assert!(!e.invalid_input);
}

#[test]
fn every_kind_has_a_template_with_approval_and_headings() {
    let mut kinds: Vec<&str> = TEMPLATES.iter().map(|t| t.kind).collect();
    kinds.sort_unstable();
    let mut expected = DOCUMENT_KINDS.to_vec();
    expected.sort_unstable();
    assert_eq!(kinds, expected);
    let (_t, root) = project();
    for t in TEMPLATES {
        assert!(schema::fact(&format!("documents.{}", t.kind)).is_some());
        assert!(t.required_headings().len() >= 5, "{}", t.kind);
        let path = t.scaffold_path();
        write(&root, &path, t.text.as_bytes());
        let docs = load_all(&root, &root, Some(&spec(&[(t.kind, &path)])));
        let d = doc(&docs, t.kind);
        // A fresh template is readable, has its headings, and is neither approved nor
        // answered.
        assert_eq!(d.error, None, "{}", t.kind);
        assert!(d.missing_headings.is_empty(), "{}", t.kind);
        assert!(!d.approved(), "{}", t.kind);
        assert_eq!(d.unanswered, t.questions(), "{}", t.kind);
        assert_eq!(t.text.contains("**Answer:**"), !t.questions().is_empty());
    }
    for q in ["dpia", "ai_questionnaire"] {
        assert!(
            !template(q).expect("template").questions().is_empty(),
            "{q}"
        );
    }
}

#[test]
fn the_bundled_example_documents_are_complete() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/chest-xray-triage");
    let text = std::fs::read_to_string(example.join("model.clic")).expect("manifest");
    let compiled = clic_compiler::compile_str("model.clic", &text);
    let model = compiled.plan.and_then(|p| p.model).expect("compiles");
    let docs = load_all(&example, &example, Some(&model));
    for d in &docs {
        assert!(d.declared && d.exists, "{}", d.kind);
        assert_eq!(d.error, None, "{}", d.kind);
        assert!(d.approved(), "{}", d.kind);
        assert!(
            d.missing_headings.is_empty(),
            "{}: {:?}",
            d.kind,
            d.missing_headings
        );
        assert!(d.unanswered.is_empty(), "{}: {:?}", d.kind, d.unanswered);
        assert!(
            d.empty_sections.is_empty(),
            "{}: {:?}",
            d.kind,
            d.empty_sections
        );
    }
}

#[test]
fn sections_left_as_the_template_wrote_them_are_empty() {
    let (_tmp, root) = project();
    // The template as `clic init` copies it, approved but never written.
    let t = template("risk_management").expect("template");
    let (_, body) = t.text.split_at(t.text.find("\n# ").expect("title") + 1);
    write(
        &root,
        "docs/risk.md",
        format!("{APPROVAL}\n{body}").as_bytes(),
    );
    let docs = load_all(
        &root,
        &root,
        Some(&spec(&[("risk_management", "docs/risk.md")])),
    );
    let d = doc(&docs, "risk_management");
    assert!(d.approved());
    assert!(d.missing_headings.is_empty(), "{:?}", d.missing_headings);
    assert_eq!(d.empty_sections, t.required_headings());

    // Written sections are not empty; a `TODO` or nothing at all is.
    let mut text = complete("risk_management");
    let headings = t.required_headings();
    let (first, second) = (&headings[0], &headings[1]);
    text = text.replacen(
        &format!("## {first}\n\nWritten.\n"),
        &format!("## {first}\n\nTODO: describe\n"),
        1,
    );
    text = text.replacen(
        &format!("## {second}\n\nWritten.\n"),
        &format!("## {second}\n"),
        1,
    );
    write(&root, "docs/risk.md", text.as_bytes());
    let docs = load_all(
        &root,
        &root,
        Some(&spec(&[("risk_management", "docs/risk.md")])),
    );
    assert_eq!(
        doc(&docs, "risk_management").empty_sections,
        vec![first.clone(), second.clone()]
    );
}
