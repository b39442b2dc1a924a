//! `clic dossier` and `clic verify` end to end on the example, copied into a git
//! repository with a fixed commit date so dates and hashes are real: every document is
//! written, two runs are byte-identical, `verify` passes and catches any change, hostile
//! strings are escaped in every format, a failing render leaves the previous dossier
//! intact, and the HTML renders in headless Chromium without a single network request.
//!
//! Under `CI=true` a missing Chromium fails the browser test; elsewhere it says so and
//! passes.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;
mod release;

use common::{clic, copy_tree, example, git, snapshot, text};
use pulldown_cmark::{Event, Parser, Tag};
use std::path::{Path, PathBuf};
use std::process::Output;

const DOCUMENTS: [&str; 9] = [
    "annex-ii.md",
    "annex-iii.md",
    "gspr-checklist.md",
    "ai-act-annex-iv.md",
    "clinical-performance.md",
    "traceability.md",
    "waivers.md",
    "gaps.md",
    "evidence-appendix.md",
];

/// Commits every change as the release the standard policies ask for: a change request
/// in the message, signed (with an ssh key kept inside `.git/`, so the work tree stays
/// clean), and tagged `v` + the manifest's version.
fn commit_release(root: &Path, message: &str) {
    release::trust_key(root);
    release::commit_signed(root, &["-A"], message);
    git(root, &["tag", "-f", "v1.4.0"]);
}

/// The example (manifest, model, reference set, training list) plus `extra` files, as a
/// new repository: the manifest with its claims and the documents committed first, then
/// the rest as the release.
fn repo_with(
    extra: &[(&str, &str)],
    manifest_edit: impl Fn(String) -> String,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let src = example();
    copy_tree(&src.join("model"), &root.join("model"));
    copy_tree(&src.join("data/reference"), &root.join("data/reference"));
    if src.join("docs").is_dir() {
        copy_tree(&src.join("docs"), &root.join("docs"));
    }
    std::fs::copy(
        src.join("data/training-patients.txt"),
        root.join("data/training-patients.txt"),
    )
    .expect("copy");
    let manifest = std::fs::read_to_string(src.join("model.clic")).expect("manifest");
    std::fs::write(root.join("model.clic"), manifest_edit(manifest)).expect("write");
    // The example's waivers (its subgroup parity, which 309 scans cannot show).
    std::fs::copy(src.join("waivers.clic"), root.join("waivers.clic")).expect("copy");
    for (rel, text) in extra {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    std::fs::write(root.join(".gitignore"), ".clic/\nout*/\n").expect("write");
    git(root, &["init", "-q", "-b", "main"]);
    release::trust_key(root);
    let mut specified = vec!["model.clic", "waivers.clic", ".gitignore"];
    if root.join("docs").is_dir() {
        specified.push("docs");
    }
    release::commit_signed(
        root,
        &specified,
        "CR-1 Specify 1.4.0: the manifest and its claims",
    );
    commit_release(root, "CR-1 Release 1.4.0");
    dir
}

fn repo() -> tempfile::TempDir {
    repo_with(&[], |m| m)
}

fn dossier(project: &Path, out: &Path) -> Output {
    clic()
        .arg("dossier")
        .arg(project)
        .arg("--out")
        .arg(out)
        .output()
        .expect("clic runs")
}

fn verify(dir: &Path, repo: Option<&Path>) -> Output {
    let mut c = clic();
    c.arg("verify").arg(dir);
    if let Some(r) = repo {
        c.arg("--repo").arg(r);
    }
    c.output().expect("clic runs")
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn the_example_gives_every_document_twice_the_same_bytes_and_verifies() {
    let repo = repo();
    let a = repo.path().join("out-a");
    let out = dossier(repo.path(), &a);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for doc in DOCUMENTS {
        let md = read(&a, doc);
        assert!(md.starts_with("# "), "{doc} starts with its title");
        assert!(
            md.contains("Release gate: passed"),
            "{doc} states the gate on its first lines"
        );
        assert!(!md.contains("{{"), "{doc}: no template syntax left");
    }
    for f in [
        "index.html",
        "evidence.json",
        "results.json",
        "benchmark.json",
        "scans.sha256",
        "figures/roc.svg",
        "figures/calibration.svg",
        "figures/forest.svg",
    ] {
        assert!(a.join(f).is_file(), "{f} written");
    }
    // The date shown is the commit's, never the clock's.
    let appendix = read(&a, "evidence-appendix.md");
    assert!(appendix.contains("2026-02-03"), "{appendix}");
    let head = String::from_utf8_lossy(&git(repo.path(), &["rev-parse", "HEAD"]).stdout)
        .trim()
        .to_string();
    assert!(appendix.contains(&head), "the commit id is in the appendix");
    // One sha256 line per reference scan.
    let scans = read(&a, "scans.sha256");
    assert_eq!(scans.lines().count(), 309);
    // The clinical report: cross-tab, intervals with their method, subgroups, figures.
    let report = read(&a, "clinical-performance.md");
    for needle in [
        "Reference positive",
        "95% CI",
        "Wilson",
        "DeLong",
        "Manufacturer",
    ] {
        assert!(report.contains(needle), "clinical report has {needle}");
    }
    let html = read(&a, "index.html");
    assert!(html.contains("Release gate: PASSED"));
    assert_eq!(html.matches("<svg").count(), 3, "three inline figures");
    for doc in DOCUMENTS {
        let id = doc.trim_end_matches(".md");
        assert!(
            html.contains(&format!("id=\"doc-{id}\"")),
            "{id} in the page"
        );
    }

    // Two runs: byte-identical, into another folder and over the first one.
    let b = repo.path().join("out-b");
    assert_eq!(dossier(repo.path(), &b).status.code(), Some(0));
    assert_eq!(snapshot(&a), snapshot(&b), "two runs give the same bytes");
    let before = snapshot(&a);
    assert_eq!(dossier(repo.path(), &a).status.code(), Some(0));
    assert_eq!(
        before,
        snapshot(&a),
        "a rerun over the dossier gives the same bytes"
    );

    let out = verify(&a, Some(repo.path()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The record's digest, printed by both commands, pins every file.
    let printed = |o: &Output| {
        text(o)
            .lines()
            .find_map(|l| l.strip_prefix("evidence.json sha256 "))
            .map(|l| l.chars().take(64).collect::<String>())
            .expect("the record's digest")
    };
    assert_eq!(printed(&out), printed(&dossier(repo.path(), &b)));
    assert!(text(&out).contains("repository: matches"), "{}", text(&out));
}

#[test]
fn verify_fails_on_one_changed_byte_a_missing_file_an_extra_file_and_a_changed_model() {
    let repo = repo();
    let d = repo.path().join("out");
    assert_eq!(dossier(repo.path(), &d).status.code(), Some(0));
    assert_eq!(verify(&d, None).status.code(), Some(0));

    // One byte.
    let target = d.join("annex-ii.md");
    let original = std::fs::read(&target).expect("read");
    let mut changed = original.clone();
    let last = changed.len() - 2;
    changed[last] ^= 0x01;
    std::fs::write(&target, &changed).expect("write");
    let out = verify(&d, None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("changed: annex-ii.md"),
        "{}",
        text(&out)
    );
    std::fs::write(&target, &original).expect("restore");
    assert_eq!(verify(&d, None).status.code(), Some(0));

    // The record itself is covered too: a changed output hash in it no longer matches.
    let svg = d.join("figures/roc.svg");
    let bytes = std::fs::read(&svg).expect("read");
    std::fs::remove_file(&svg).expect("remove");
    let out = verify(&d, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("missing: figures/roc.svg"),
        "{}",
        text(&out)
    );
    std::fs::write(&svg, bytes).expect("restore");

    std::fs::write(d.join("notes.txt"), "added later").expect("write");
    let out = verify(&d, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("extra: notes.txt"), "{}", text(&out));
    std::fs::remove_file(d.join("notes.txt")).expect("remove");
    assert_eq!(verify(&d, Some(repo.path())).status.code(), Some(0));

    // The repository moves on: the model is retrained.
    let model = repo.path().join("model/cxr.onnx");
    let mut bytes = std::fs::read(&model).expect("read");
    let i = bytes.len() - 1;
    bytes[i] ^= 0x01;
    std::fs::write(&model, bytes).expect("write");
    let out = verify(&d, Some(repo.path()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("input changed: model/cxr.onnx"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("DOES NOT MATCH"), "{}", text(&out));
    // The dossier's own files still match their record.
    assert!(text(&out).contains("match evidence.json"), "{}", text(&out));
}

#[test]
fn a_folder_without_a_record_is_invalid_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = verify(dir.path(), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("clic::E020"), "{}", text(&out));
    // Nor will the dossier overwrite a folder of the user's that is not a dossier.
    std::fs::write(dir.path().join("thesis.docx"), "mine").expect("write");
    let repo = repo();
    let out = dossier(repo.path(), dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(read(dir.path(), "thesis.docx"), "mine");
}

const HOSTILE_LINK: &str = "[click me](https://evil.example/x)";
const HOSTILE_SCRIPT: &str = "<script>alert(1)</script>";
const HOSTILE_HBS: &str = "{{device.name}}{{#each controls}}X{{/each}}";

fn hostile(tag: &str) -> String {
    format!(
        "{tag} {HOSTILE_SCRIPT} {HOSTILE_LINK} {HOSTILE_HBS} <img src=x onerror=alert(2)> *b* | c"
    )
}

/// Every link in a Markdown file points inside the dossier, and it holds no raw HTML but
/// the templates' anchors.
fn assert_markdown_inert(name: &str, md: &str) {
    for ev in Parser::new_ext(md, pulldown_cmark::Options::all()) {
        match ev {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                assert!(
                    !dest_url.contains(':') && !dest_url.starts_with("//"),
                    "{name}: a link to {dest_url}"
                );
            }
            // The one raw HTML a template writes: an anchor, `<a id="..."></a>`, whose
            // id clic made of letters, digits, `-`, `_` and `.`.
            Event::InlineHtml(h)
                if h.as_ref() == "</a>"
                    || h.strip_prefix("<a id=\"")
                        .and_then(|r| r.strip_suffix("\">"))
                        .is_some_and(|id| {
                            id.chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                        }) => {}
            Event::Html(h) | Event::InlineHtml(h) => panic!("{name}: raw HTML {h}"),
            _ => {}
        }
    }
    assert!(
        !md.contains(HOSTILE_LINK),
        "{name}: the link text is escaped"
    );
}

/// The tags of an HTML text: (lower-case name, attribute text). Escaped text (`&lt;`)
/// holds no tag, so user strings shown as text do not appear here.
fn tags(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let inner = rest[..end].trim_start_matches('/');
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!' || *c == '-' || *c == ':')
            .collect::<String>()
            .to_ascii_lowercase();
        let attrs = inner.get(name.len()..).unwrap_or("").to_ascii_lowercase();
        out.push((name, attrs));
        rest = &rest[end..];
    }
    out
}

/// No tag of the page can run script or fetch anything: no script, image, frame, link
/// or object element, no event handler or source attribute, links only to anchors of
/// the page, and no external reference in the style sheet.
fn assert_html_inert(html: &str) {
    for (name, attrs) in tags(html) {
        assert!(
            !matches!(
                name.as_str(),
                "script"
                    | "img"
                    | "iframe"
                    | "frame"
                    | "link"
                    | "object"
                    | "embed"
                    | "image"
                    | "use"
                    | "base"
                    | "form"
                    | "audio"
                    | "video"
                    | "source"
            ),
            "a live <{name}> element"
        );
        for attr in attrs.split_whitespace() {
            let key = attr.split('=').next().unwrap_or("");
            assert!(!key.starts_with("on"), "an event handler: <{name}{attrs}>");
            assert!(
                !matches!(
                    key,
                    "src"
                        | "srcset"
                        | "action"
                        | "formaction"
                        | "xlink:href"
                        | "background"
                        | "poster"
                ),
                "a reference: <{name}{attrs}>"
            );
            if key == "href" {
                assert!(
                    attr.starts_with("href=\"#"),
                    "a link out of the page: <{name}{attrs}>"
                );
            }
        }
    }
    let style = html
        .split("<style>")
        .nth(1)
        .and_then(|s| s.split("</style>").next())
        .unwrap_or("")
        .to_ascii_lowercase();
    for needle in ["url(", "@import", "http:", "https:", "//"] {
        assert!(
            !style.contains(needle),
            "the style sheet references {needle}"
        );
    }
}

#[test]
fn hostile_strings_in_every_field_stay_text() {
    let policy = format!(
        "policy local.hostile {:?} {{\n  control probe {:?} {{\n    cites mdr \"Annex I 17.1\"\n    severity minor\n    stage release\n    expect model.class == IIb\n    help {:?}\n  }}\n}}\n\nwaiver local.hostile.probe {{\n  reason {:?}\n  approved_by {:?}\n  expires 2099-01-01\n  risk {:?}\n}}\n",
        hostile("policy title"),
        hostile("control title"),
        hostile("help"),
        hostile("waiver reason"),
        hostile("approver"),
        hostile("risk"),
    );
    let document = format!(
        "---\napproved_by: \"{}\"\ndate: 2026-01-10\nversion: \"1\"\n---\n# Risk management file\n\n## Risk control\n\n{}\n\n<script>alert(3)</script>\n\n## Overall residual risk\n\n{}\n",
        hostile("approver of the risk file"),
        hostile("risk control"),
        hostile("residual risk")
    );
    let questionnaire = format!(
        "{}\n### 9.9 {}\n\n**Answer:** {}\n",
        std::fs::read_to_string(example().join("docs/ai-questionnaire.md")).unwrap_or_default(),
        hostile("question"),
        hostile("answer")
    );
    let repo = repo_with(
        &[
            ("policies/local.clic", &policy),
            ("docs/risk-management.md", &document),
            ("docs/ai-questionnaire.md", &questionnaire),
        ],
        |m| {
            m.lines()
                .map(|l| {
                    if l.trim_start().starts_with("purpose ") {
                        format!("  purpose {:?}", hostile("purpose"))
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                .replace(
                    "means \"pneumothorax suspected\"",
                    &format!("means {:?}", hostile("meaning")),
                )
                .replace("  use ", "  use local.hostile, ")
        },
    );
    // A DICOM Manufacturer too: overwrite "Kestrel Diagnostics" (19 bytes) in place.
    let mut planted = 0;
    let mut scans: Vec<PathBuf> = std::fs::read_dir(repo.path().join("data/reference"))
        .expect("reference set")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "dcm"))
        .collect();
    scans.sort();
    let mut bad = ["<script>xx</script>", "[a](http://e.io/xy)"].into_iter();
    for p in scans {
        let mut bytes = std::fs::read(&p).expect("scan");
        let needle = b"Kestrel Diagnostics";
        if let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) {
            let Some(b) = bad.next() else { break };
            bytes[at..at + needle.len()].copy_from_slice(b.as_bytes());
            std::fs::write(&p, bytes).expect("write");
            planted += 1;
        }
    }
    assert_eq!(planted, 2, "the example's scans name their manufacturer");
    commit_release(repo.path(), "CR-2 Hostile scans");

    let d = repo.path().join("out");
    let out = dossier(repo.path(), &d);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "the dossier is written: {}",
        text(&out)
    );
    let mut seen_purpose = false;
    for doc in DOCUMENTS {
        let md = read(&d, doc);
        assert_markdown_inert(doc, &md);
        // Handlebars syntax in data is shown as written, never expanded.
        if md.contains("purpose ") {
            seen_purpose |= md.contains("{{device.name}}{{\\#each controls}}X{{/each}}");
        }
    }
    assert!(
        seen_purpose,
        "the purpose is shown with its braces as written"
    );
    // The hostile texts did reach the documents (as text).
    assert!(
        read(&d, "annex-ii.md").contains("risk control"),
        "the risk file's text"
    );
    assert!(
        read(&d, "annex-ii.md").contains("approver of the risk file"),
        "its approver"
    );
    assert!(
        read(&d, "ai-act-annex-iv.md").contains("answer"),
        "the questionnaire's answer"
    );
    assert!(
        read(&d, "clinical-performance.md").contains("meaning"),
        "the output's meaning"
    );
    assert!(
        read(&d, "traceability.md").contains("control title"),
        "the control's title"
    );
    let waivers = read(&d, "waivers.md");
    assert!(waivers.contains("waiver reason"), "{waivers}");
    let report = read(&d, "clinical-performance.md");
    assert!(
        report.contains("\\<script\\>xx\\</script\\>"),
        "the manufacturer, escaped"
    );
    let html = read(&d, "index.html");
    assert_html_inert(&html);
    assert!(
        html.contains("&lt;script&gt;alert(1)"),
        "the hostile text is shown, escaped"
    );
    assert!(html.contains(HOSTILE_HBS), "braces shown as written");
    assert!(
        html.contains("&lt;script&gt;xx&lt;/script&gt;"),
        "the manufacturer, escaped"
    );
    for (name, bytes) in snapshot(&d) {
        if name.ends_with(".svg") {
            let svg = String::from_utf8(bytes).expect("utf-8");
            assert!(!svg.to_ascii_lowercase().contains("<script"), "{name}");
        }
    }
}

#[test]
fn a_failing_render_leaves_the_previous_dossier_intact() {
    let repo = repo();
    let d = repo.path().join("out");
    assert_eq!(dossier(repo.path(), &d).status.code(), Some(0));
    let before = snapshot(&d);
    // A team's template that names a field the context does not have: strict mode.
    let t = repo.path().join("compliance/templates/waivers.md.hbs");
    std::fs::create_dir_all(t.parent().expect("parent")).expect("mkdir");
    std::fs::write(&t, "# Waivers\n\n{{no_such.field}}\n").expect("write");
    let out = dossier(repo.path(), &d);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("waivers.md.hbs"), "{}", text(&out));
    assert_eq!(before, snapshot(&d), "the previous dossier is untouched");
    // A template that does not parse.
    std::fs::write(&t, "{{#if status.passed}}unclosed\n").expect("write");
    assert_eq!(dossier(repo.path(), &d).status.code(), Some(2));
    assert_eq!(before, snapshot(&d));
    let leftovers: Vec<_> = std::fs::read_dir(repo.path())
        .expect("folder")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("clic-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary folder is left behind");
    assert_eq!(verify(&d, None).status.code(), Some(0));
}

#[test]
fn a_team_template_overrides_the_built_in_one_and_is_an_input() {
    let repo = repo_with(
        &[(
            "compliance/templates/waivers.md.hbs",
            "# Our waiver register\n\n{{> status}}\n\n{{#each waivers}}- {{control}}\n{{else}}No waiver.\n{{/each}}\n",
        )],
        |m| m,
    );
    let d = repo.path().join("out");
    let out = dossier(repo.path(), &d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let md = read(&d, "waivers.md");
    assert!(md.starts_with("# Our waiver register"), "{md}");
    // The team's template lists the example's waivers its own way.
    assert!(md.contains("- performance.subgroups.sex-parity"), "{md}");
    let record = read(&d, "evidence.json");
    assert!(
        record.contains("compliance/templates/waivers.md.hbs"),
        "{record}"
    );
    assert!(read(&d, "evidence-appendix.md").contains("overridden by"));
}

#[test]
fn a_failing_release_says_so_on_its_first_page_and_exits_1() {
    let repo = repo_with(&[], |m| m.replace("sensitivity 72%", "sensitivity 99%"));
    let d = repo.path().join("out");
    let out = dossier(repo.path(), &d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let html = read(&d, "index.html");
    let banner = html.find("RELEASE GATE FAILED").expect("the banner");
    let first_document = html.find("<section class=\"doc\"").expect("documents");
    assert!(banner < first_document, "the banner comes first");
    assert!(!html.contains("Release gate: PASSED"));
    for doc in DOCUMENTS {
        let md = read(&d, doc);
        let head: String = md.lines().take(4).collect::<Vec<_>>().join("\n");
        assert!(head.contains("RELEASE GATE FAILED"), "{doc}: {head}");
    }
    assert!(read(&d, "evidence.json").contains("\"gate\": \"failed\""));
    assert_eq!(verify(&d, Some(repo.path())).status.code(), Some(0));
}

#[test]
fn outside_version_control_the_gap_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = example();
    copy_tree(&src.join("model"), &dir.path().join("model"));
    copy_tree(
        &src.join("data/reference"),
        &dir.path().join("data/reference"),
    );
    std::fs::copy(
        src.join("data/training-patients.txt"),
        dir.path().join("data/training-patients.txt"),
    )
    .expect("copy");
    std::fs::copy(src.join("model.clic"), dir.path().join("model.clic")).expect("copy");
    let d = dir.path().join("out");
    let out = clic()
        .arg("dossier")
        .arg(dir.path())
        .arg("--out")
        .arg(&d)
        .arg("--today")
        .arg("2026-02-03")
        .env(
            "GIT_CEILING_DIRECTORIES",
            dir.path().parent().expect("parent"),
        )
        .output()
        .expect("runs");
    // The release controls read git facts, which are not available: the gate fails,
    // and the dossier is still written, saying so.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(read(&d, "index.html").contains("RELEASE GATE FAILED"));
    let gaps = read(&d, "gaps.md");
    assert!(gaps.contains("not under version control"), "{gaps}");
    assert!(read(&d, "evidence-appendix.md").contains("Not filled"));
}

/// Requests made by the page itself (not the browser's own housekeeping) in a Chromium
/// net log: those whose network isolation key is the file's.
fn page_requests(netlog: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(netlog).expect("net log written");
    let log: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("net log is JSON");
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64();
    log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_u64() == start)
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .filter(|u| !u.starts_with("file:") && !u.starts_with("data:"))
        .collect()
}

fn chromium(page: &Path, profile: &Path, netlog: &Path) -> String {
    let out = std::process::Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_html_renders_in_headless_chromium_without_any_request() {
    let repo = repo();
    let d = repo.path().join("out");
    assert_eq!(dossier(repo.path(), &d).status.code(), Some(0));
    let html = read(&d, "index.html");
    // Statically: nothing outside the page is referenced.
    assert_html_inert(&html);
    assert!(html.contains("@media print"), "a print stylesheet");

    if !common::skip::require(
        "chromium",
        Path::new("/usr/bin/chromium").exists(),
        "apt-get install chromium",
    ) {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    // The detector sees a page's requests: a page that makes some is caught.
    let bait = work.path().join("bait.html");
    std::fs::write(
        &bait,
        "<!DOCTYPE html><html><body><img src=\"http://img.invalid/x.png\"></body></html>",
    )
    .expect("write");
    let log = work.path().join("bait.json");
    chromium(&bait, &work.path().join("profile-bait"), &log);
    assert_eq!(page_requests(&log), ["http://img.invalid/x.png"]);

    let log = work.path().join("dossier.json");
    let dom = chromium(&d.join("index.html"), &work.path().join("profile"), &log);
    assert!(
        dom.contains("Technical documentation of cxr-pneumothorax"),
        "rendered"
    );
    assert!(dom.contains("id=\"doc-clinical-performance\""));
    assert_eq!(dom.matches("<svg").count(), 3, "the figures render inline");
    assert!(page_requests(&log).is_empty(), "{:?}", page_requests(&log));

    // Printed, the cover and each document start a page of their own.
    let pdf = work.path().join("dossier.pdf");
    let out = std::process::Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.path().join("profile-pdf").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", d.join("index.html").display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&pdf).expect("a PDF is printed");
    assert!(bytes.starts_with(b"%PDF"));
    let pages = bytes
        .windows(12)
        .filter(|w| w.starts_with(b"/Type /Page") && w[11] != b's')
        .count();
    assert!(pages > DOCUMENTS.len(), "{pages} pages");
}

/// A copy of the page that Chromium may run a script in (its Content-Security-Policy,
/// which forbids any, removed), with `script` run at the end of the body; with `print`,
/// the print stylesheet applies on screen, so a window as wide as the printed column
/// (A4 less the page margins: 182 mm, 688 px) lays the page out as paper does.
fn scripted_copy(page: &Path, to: &Path, script: &str, print: bool) {
    let html = std::fs::read_to_string(page).expect("page");
    let start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("the page has a CSP");
    let end = start + html[start..].find('>').expect("meta ends") + 1;
    let mut html = format!("{}{}", &html[..start], &html[end..]);
    if print {
        html = html.replace("@media print {", "@media all {");
    }
    let html = html.replace("</body>", &format!("<script>{script}</script></body>"));
    std::fs::write(to, html).expect("write");
}

fn headless(profile: &Path, width: u32, height: u32) -> std::process::Command {
    let mut cmd = std::process::Command::new("/usr/bin/chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--window-size={width},{height}"));
    cmd
}

/// The page as Chromium lays it out `width` px wide: what `tests/data/dossier_layout.js`
/// measures (links and anchors, figures against their column, table headers, the text a
/// reader sees, result badges).
fn layout(page: &Path, work: &Path, width: u32, print: bool) -> serde_json::Value {
    let name = format!("layout-{width}-{print}");
    let copy = work.join(format!("{name}.html"));
    scripted_copy(page, &copy, include_str!("data/dossier_layout.js"), print);
    let out = headless(&work.join(format!("profile-{name}")), width, 1000)
        .arg("--dump-dom")
        .arg(format!("file://{}", copy.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let json = dom
        .rsplit_once("<pre id=\"clic-layout\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(json, _)| {
            json.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
        })
        .unwrap_or_else(|| panic!("the script ran: {}", String::from_utf8_lossy(&out.stderr)));
    serde_json::from_str(&json).expect("layout JSON")
}

/// What is wrong with the page as laid out (see [`layout`]): nothing, for a page a
/// regulator can read.
fn layout_faults(l: &serde_json::Value, width: u32) -> Vec<String> {
    let mut faults = Vec::new();
    let list =
        |key: &str| -> Vec<serde_json::Value> { l[key].as_array().cloned().unwrap_or_default() };
    for key in [
        "dangling",
        "broken_headers",
        "broken_badges",
        "raw_bold",
        "raw_backticks",
        "flat_lists",
    ] {
        let found = list(key);
        if !found.is_empty() {
            faults.push(format!("{width} px: {key}: {found:?}"));
        }
    }
    let contents: Vec<String> = list("contents")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    // The contents reach every document, every Annex item and every control.
    for wanted in [
        "#doc-evidence-appendix",
        "#annex-ii-1-1-a-trade-name-general-description-intended-purpose",
        "#control-iec62304.release.version-tagged",
        "#results",
    ] {
        if !contents.iter().any(|c| c == wanted) {
            faults.push(format!("the contents do not link {wanted}"));
        }
    }
    let ids: Vec<String> = list("ids")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != ids.len() {
        faults.push(format!("{} ids given twice", ids.len() - unique.len()));
    }
    let figures = list("figures");
    if figures.len() != 3 {
        faults.push(format!("{} figures", figures.len()));
    }
    for f in &figures {
        let num = |k: &str| f[k].as_f64().unwrap_or(f64::NAN);
        if num("width").is_nan() || num("width") > num("column") + 0.5 {
            faults.push(format!("{width} px: figure wider than its column: {f}"));
        }
        // Text drawn smaller than 10 px is hard to read on screen and on paper.
        if num("smallest_text").is_nan() || num("smallest_text") < 10.0 {
            faults.push(format!("{width} px: figure text under 10 px: {f}"));
        }
        if f["outside"].as_array().is_none_or(|o| !o.is_empty()) {
            faults.push(format!("{width} px: text outside its figure: {f}"));
        }
    }
    let items: Vec<String> = list("quoted_list_items")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    if !items.iter().any(|i| i == "DICOM reader") {
        faults.push(format!(
            "the quoted numbered list is not an <ol>: {items:?}"
        ));
    }
    let badges = list("badges");
    let colour = |class: &str| {
        badges
            .iter()
            .find(|b| b["class"].as_str() == Some(class))
            .and_then(|b| b["color"].as_str().map(str::to_string))
    };
    // The release passes: its results are passed or not applicable, and look it.
    match (colour("status status-pass"), colour("status status-na")) {
        (Some(pass), Some(na)) if pass != na => {}
        other => faults.push(format!("results of two statuses look alike: {other:?}")),
    }
    for b in &badges {
        let known = ["pass", "fail", "waived", "na", "unavailable"]
            .iter()
            .any(|c| b["class"].as_str() == Some(&format!("status status-{c}")));
        if !known || b["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
            faults.push(format!("a result badge without its status in words: {b}"));
        }
    }
    if l["trace_rows_without_badge"].as_u64() != Some(0) {
        faults.push(format!(
            "{} traceability rows without a result badge",
            l["trace_rows_without_badge"]
        ));
    }
    faults
}

/// A screenshot of `pick` (a script expression giving the elements to show) alone in the
/// page's column, 1280 px wide: in `CLIC_DOSSIER_SCREENSHOTS` when set (to look at), else
/// in `work`.
fn screenshot(page: &Path, work: &Path, name: &str, pick: &str, height: u32) -> PathBuf {
    let dir = std::env::var_os("CLIC_DOSSIER_SCREENSHOTS")
        .map_or_else(|| work.to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let png = dir.join(format!("{name}.png"));
    let copy = work.join(format!("shot-{name}.html"));
    let script = format!(
        "(function(){{const m=document.querySelector('main');\
         const keep=({pick}).map(e=>e.cloneNode(true));m.replaceChildren(...keep);}})();"
    );
    scripted_copy(page, &copy, &script, false);
    let out = headless(&work.join(format!("profile-shot-{name}")), 1280, height)
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", copy.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A blank 1280 px page compresses to a few KB; one with the content, to far more.
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "{name}: {size} bytes: nothing drawn?");
    png
}

#[test]
fn the_page_reads_well_in_a_browser_on_screen_and_on_paper() {
    let repo = repo();
    let d = repo.path().join("out");
    assert_eq!(dossier(repo.path(), &d).status.code(), Some(0));
    // In the Markdown, the quoted numbered list stays a list with its bold items.
    let md = read(&d, "annex-ii.md");
    let mut in_list = false;
    let mut bold_in_list = Vec::new();
    let mut strong = false;
    for ev in Parser::new(&md) {
        match ev {
            Event::Start(Tag::List(Some(1))) => in_list = true,
            Event::End(pulldown_cmark::TagEnd::List(true)) => in_list = false,
            Event::Start(Tag::Strong) => strong = true,
            Event::End(pulldown_cmark::TagEnd::Strong) => strong = false,
            Event::Text(t) if in_list && strong => bold_in_list.push(t.to_string()),
            _ => {}
        }
    }
    assert!(
        bold_in_list.iter().any(|t| t == "DICOM reader"),
        "{bold_in_list:?}"
    );
    let trace = read(&d, "traceability.md");
    assert!(!trace.contains("| `0") && trace.contains("…`](evidence-appendix.md#result-"));

    if !common::skip::require(
        "chromium",
        Path::new("/usr/bin/chromium").exists(),
        "apt-get install chromium",
    ) {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let page = d.join("index.html");
    let mut faults = layout_faults(&layout(&page, work.path(), 1280, false), 1280);
    faults.extend(layout_faults(&layout(&page, work.path(), 688, true), 688));
    assert!(faults.is_empty(), "{}", faults.join("\n"));

    for (name, pick, height) in [
        ("cover", "[document.querySelector('header'), document.querySelector('nav')].map(e => { e.querySelectorAll('details').forEach(x => x.open = x === e.querySelector('details')); return e; })", 1400),
        ("quoted-list", "[...document.querySelectorAll('#doc-annex-ii ol')].filter(o => o.textContent.includes('DICOM reader')).flatMap(o => [o.previousElementSibling, o])", 500),
        ("forest", "[...document.querySelectorAll('figure')].slice(2)", 900),
        ("traceability", "[document.querySelector('#doc-traceability table')]", 900),
        ("appendix-results", "[document.getElementById('results'), document.getElementById('results').nextElementSibling.nextElementSibling]", 700),
    ] {
        screenshot(&page, work.path(), name, pick, height);
    }
}
