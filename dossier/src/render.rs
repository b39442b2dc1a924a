//! Rendering: the handlebars templates of `templates/dossier/` (built into the binary,
//! each overridable by `compliance/templates/<same name>` in the project's repository)
//! into Markdown documents, and those documents into one self-contained HTML page.
//!
//! Two registries, both in strict mode (a template naming a field the context does not
//! have is an error, never an empty string): the Markdown one escapes every `{{value}}`
//! for Markdown, the HTML one for HTML. User strings only ever reach a template as data.

use crate::{escape, quote};
use clic_runner::fsio::io_reason;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One document of the dossier: its template and its output file.
#[derive(Debug, Clone, Copy)]
pub struct Document {
    /// Template name (a file of `templates/dossier/`, without `.hbs`'s folder).
    pub template: &'static str,
    /// Output file in the dossier folder.
    pub output: &'static str,
    /// Title, for the navigation of the HTML page.
    pub title: &'static str,
    /// The built-in template text.
    pub builtin: &'static str,
}

/// The documents, in reading order.
pub const DOCUMENTS: &[Document] = &[
    Document {
        template: "annex-ii.md.hbs",
        output: "annex-ii.md",
        title: "MDR Annex II — Technical documentation",
        builtin: include_str!("../../templates/dossier/annex-ii.md.hbs"),
    },
    Document {
        template: "annex-iii.md.hbs",
        output: "annex-iii.md",
        title: "MDR Annex III — Post-market surveillance plan",
        builtin: include_str!("../../templates/dossier/annex-iii.md.hbs"),
    },
    Document {
        template: "gspr-checklist.md.hbs",
        output: "gspr-checklist.md",
        title: "GSPR checklist (MDR Annex I)",
        builtin: include_str!("../../templates/dossier/gspr-checklist.md.hbs"),
    },
    Document {
        template: "ai-act-annex-iv.md.hbs",
        output: "ai-act-annex-iv.md",
        title: "EU AI Act Annex IV — Technical documentation",
        builtin: include_str!("../../templates/dossier/ai-act-annex-iv.md.hbs"),
    },
    Document {
        template: "clinical-performance.md.hbs",
        output: "clinical-performance.md",
        title: "Clinical performance report (STARD 2015)",
        builtin: include_str!("../../templates/dossier/clinical-performance.md.hbs"),
    },
    Document {
        template: "traceability.md.hbs",
        output: "traceability.md",
        title: "Traceability matrix",
        builtin: include_str!("../../templates/dossier/traceability.md.hbs"),
    },
    Document {
        template: "waivers.md.hbs",
        output: "waivers.md",
        title: "Waiver register",
        builtin: include_str!("../../templates/dossier/waivers.md.hbs"),
    },
    Document {
        template: "gaps.md.hbs",
        output: "gaps.md",
        title: "Gap report",
        builtin: include_str!("../../templates/dossier/gaps.md.hbs"),
    },
    Document {
        template: "evidence-appendix.md.hbs",
        output: "evidence-appendix.md",
        title: "Evidence appendix",
        builtin: include_str!("../../templates/dossier/evidence-appendix.md.hbs"),
    },
];

/// Partials shared by the Markdown documents: (name used in `{{> name}}`, file, text).
pub const PARTIALS: &[(&str, &str, &str)] = &[
    (
        "status",
        "_status.md.hbs",
        include_str!("../../templates/dossier/_status.md.hbs"),
    ),
    crate::segmentation::PARTIAL,
];

/// The HTML page's layout.
pub const LAYOUT: (&str, &str) = (
    "index.html.hbs",
    include_str!("../../templates/dossier/index.html.hbs"),
);

/// Where a template came from.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// Template file name.
    pub name: String,
    /// The overriding file, relative to the project folder; none for the built-in one.
    pub overridden_by: Option<String>,
    /// The overriding file on disk.
    pub path: Option<PathBuf>,
    /// sha256 of the text used.
    pub sha256: String,
}

/// Why the dossier cannot be rendered.
#[derive(Debug, Clone)]
pub struct RenderFailure {
    /// The template at fault.
    pub template: String,
    /// What went wrong.
    pub message: String,
}

/// The loaded templates.
pub struct Templates {
    md: Handlebars<'static>,
    html: Handlebars<'static>,
    /// Every template and partial, with its origin.
    pub sources: Vec<TemplateSource>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

/// The folders searched for overrides, in order: `compliance/templates/` under the
/// project folder, then under the repository root.
pub fn override_dirs(base: &Path, root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![base.join("compliance/templates")];
    let r = root.join("compliance/templates");
    if !dirs.contains(&r) {
        dirs.push(r);
    }
    dirs
}

fn text_for(
    name: &str,
    builtin: &str,
    dirs: &[PathBuf],
    (base, root): (&Path, &Path),
) -> Result<(String, TemplateSource), RenderFailure> {
    for d in dirs {
        let p = d.join(name);
        if std::fs::symlink_metadata(&p).is_err() {
            continue;
        }
        if let Some(why) = clic_runner::paths::escape(root, &p) {
            return Err(RenderFailure {
                template: p.display().to_string(),
                message: format!("it cannot be used: {why}"),
            });
        }
        if p.is_file() {
            let text = std::fs::read_to_string(&p).map_err(|e| RenderFailure {
                template: p.display().to_string(),
                message: format!("cannot read it: {}", io_reason(&e)),
            })?;
            let shown = p.strip_prefix(base).map_or_else(
                |_| p.display().to_string(),
                |r| r.to_string_lossy().replace('\\', "/"),
            );
            let sha256 = clic_runner::facts::artifact::sha256_hex(text.as_bytes());
            return Ok((
                text,
                TemplateSource {
                    name: name.to_string(),
                    overridden_by: Some(shown),
                    path: Some(p),
                    sha256,
                },
            ));
        }
    }
    Ok((
        builtin.to_string(),
        TemplateSource {
            name: name.to_string(),
            overridden_by: None,
            path: None,
            sha256: clic_runner::facts::artifact::sha256_hex(builtin.as_bytes()),
        },
    ))
}

impl Templates {
    /// Loads the built-in templates, each replaced by its override when one exists.
    /// Overrides must lie, after links, inside `root` (the project's root).
    pub fn load(dirs: &[PathBuf], base: &Path, root: &Path) -> Result<Self, RenderFailure> {
        let at = (base, root);
        let mut md = Handlebars::new();
        md.set_strict_mode(true);
        md.register_escape_fn(escape::markdown);
        md.register_helper("fill", Box::new(Fill));
        md.register_helper("code", Box::new(Code));
        md.register_helper("paragraphs", Box::new(Paragraphs));
        md.register_helper("inline", Box::new(Inline { html: false }));
        md.register_helper("anchor", Box::new(Anchor));
        md.register_helper("hash", Box::new(Hash));
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        html.register_escape_fn(escape::html);
        html.register_helper("inline", Box::new(Inline { html: true }));
        html.register_helper("anchor", Box::new(Anchor));
        html.register_helper("badge", Box::new(Badge));
        let mut sources = Vec::new();
        let syntax = |name: &str, e: handlebars::TemplateError| RenderFailure {
            template: name.to_string(),
            message: e.to_string(),
        };
        for (partial, file, builtin) in PARTIALS {
            let (text, src) = text_for(file, builtin, dirs, at)?;
            md.register_partial(partial, text)
                .map_err(|e| syntax(file, e))?;
            sources.push(src);
        }
        for d in DOCUMENTS {
            let (text, src) = text_for(d.template, d.builtin, dirs, at)?;
            md.register_template_string(d.template, text)
                .map_err(|e| syntax(d.template, e))?;
            sources.push(src);
        }
        let (text, src) = text_for(LAYOUT.0, LAYOUT.1, dirs, at)?;
        html.register_template_string(LAYOUT.0, text)
            .map_err(|e| syntax(LAYOUT.0, e))?;
        sources.push(src);
        Ok(Self { md, html, sources })
    }

    /// Renders one Markdown document.
    pub fn markdown(
        &self,
        doc: &Document,
        ctx: &impl serde::Serialize,
    ) -> Result<String, RenderFailure> {
        self.md
            .render(doc.template, ctx)
            .map_err(|e| RenderFailure {
                template: doc.template.to_string(),
                message: e.to_string(),
            })
    }

    /// Renders the HTML page; `ctx` carries the documents already converted to HTML.
    pub fn html(&self, ctx: &impl serde::Serialize) -> Result<String, RenderFailure> {
        self.html.render(LAYOUT.0, ctx).map_err(|e| RenderFailure {
            template: LAYOUT.0.to_string(),
            message: e.to_string(),
        })
    }
}

/// The string a `{{fill}}` or `{{code}}` parameter shows, or why there is none (the
/// context holds `{"gap": "why"}`, null or an empty string).
fn shown(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(if *b { "yes" } else { "no" }.to_string()),
        Value::Object(o) => Err(o
            .get("gap")
            .and_then(Value::as_str)
            .unwrap_or("the inputs do not say")
            .to_string()),
        _ => Err("the inputs do not say".to_string()),
    }
}

fn write_gap(why: &str, out: &mut dyn Output) -> HelperResult {
    out.write("**Not filled** — ")?;
    out.write(&escape::markdown(why))?;
    out.write(" (see the [gap report](gaps.md))")?;
    Ok(())
}

/// `{{fill value}}`: the value, escaped; or, when the inputs could not fill it, a
/// visible marker that names the gap. A section is never left blank.
struct Fill;

impl HelperDef for Fill {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let v = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("fill", 0))?
            .value();
        match shown(v) {
            Ok(s) => out.write(&r.get_escape_fn()(&s))?,
            Err(why) => write_gap(&why, out)?,
        }
        Ok(())
    }
}

/// `{{paragraphs value}}`: like `{{fill}}`, for a value that is Markdown (a passage
/// quoted from a document, or clic's own text escaped where it was made): written back
/// through [`quote::blocks`], so its bold, code and lists show as their author meant and
/// nothing in it can open a heading, raw HTML or a link. For block positions only, never
/// inside a table or a list item.
struct Paragraphs;

impl HelperDef for Paragraphs {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let v = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("paragraphs", 0))?
            .value();
        match shown(v) {
            Ok(s) => out.write(&quote::blocks(&s))?,
            Err(why) => write_gap(&why, out)?,
        }
        Ok(())
    }
}

/// `{{inline value}}`: a value that is inline Markdown (a control's title, which its
/// policy may write with code spans), as one line of safe Markdown ([`quote::inline`])
/// in the Markdown documents, or as HTML in the page. A gap is shown as `{{fill}}`
/// shows it.
struct Inline {
    html: bool,
}

impl HelperDef for Inline {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let v = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("inline", 0))?
            .value();
        match (shown(v), self.html) {
            (Ok(s), false) => out.write(&quote::inline(&s))?,
            (Ok(s), true) => out.write(&inline_html(&quote::inline(&s)))?,
            (Err(why), false) => write_gap(&why, out)?,
            (Err(why), true) => out.write(&format!(
                "<strong>Not filled</strong> — {}",
                escape::html(&why)
            ))?,
        }
        Ok(())
    }
}

/// One line of safe inline Markdown as HTML, without the paragraph around it.
pub fn inline_html(md: &str) -> String {
    let html = crate::page::to_html("", md, &BTreeMap::new(), &mut Default::default()).html;
    let html = html.trim_end();
    html.strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .unwrap_or(html)
        .to_string()
}

/// `{{code value}}`: the value as a Markdown code span, whose content no renderer
/// interprets: the fence is longer than any run of backticks inside, line breaks become
/// spaces, and `|` is escaped for table cells. A gap is shown as `{{fill}}` shows it.
struct Code;

impl HelperDef for Code {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let v = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("code", 0))?
            .value();
        match shown(v) {
            Ok(s) => out.write(&code_span(&s))?,
            Err(why) => write_gap(&why, out)?,
        }
        Ok(())
    }
}

/// `{{anchor "control" id}}`: the page anchor of `id` under `prefix`
/// (`control-std.release.clean-tree`): every character outside ASCII letters, digits,
/// `-`, `_` and `.` becomes `-`, so it needs no escaping in a link, an id or Markdown.
struct Anchor;

/// The anchor of `id` under `prefix`, as `{{anchor}}` writes it.
pub fn anchor(prefix: &str, id: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("{}-{}", clean(prefix), clean(id))
}

impl HelperDef for Anchor {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = |i: usize| {
            h.param(i)
                .ok_or(RenderErrorReason::ParamNotFoundForIndex("anchor", i))
                .map(|p| shown(p.value()).unwrap_or_default())
        };
        out.write(&anchor(&param(0)?, &param(1)?))?;
        Ok(())
    }
}

/// How many hex digits of a sha256 a table shows.
pub const SHORT_HASH: usize = 12;

/// `{{hash sha256 "result" id}}`: in a table, a sha256 shortened to its first
/// [`SHORT_HASH`] hex digits, linked to the evidence appendix's row of `id` (anchor
/// `prefix-id`) where the full digest is, and with the full digest as the link's title.
/// A value that is not a sha256 is shown whole, as `{{code}}` shows it.
struct Hash;

impl HelperDef for Hash {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = |i: usize| {
            h.param(i)
                .ok_or(RenderErrorReason::ParamNotFoundForIndex("hash", i))
                .map(|p| p.value().clone())
        };
        let value = param(0)?;
        let prefix = shown(&param(1)?).unwrap_or_default();
        let id = shown(&param(2)?).unwrap_or_default();
        match shown(&value) {
            Ok(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
                out.write(&format!(
                    "[`{}…`](evidence-appendix.md#{} \"sha256 {s}\")",
                    &s[..SHORT_HASH],
                    anchor(&prefix, &id)
                ))?;
            }
            Ok(s) => out.write(&code_span(&s))?,
            Err(why) => write_gap(&why, out)?,
        }
        Ok(())
    }
}

/// `{{badge status}}` (the page's cover): a result in words, in a badge coloured by
/// [`crate::page::status_class`].
struct Badge;

impl HelperDef for Badge {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let v = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("badge", 0))?
            .value();
        let s = shown(v).unwrap_or_else(|why| why);
        let class = crate::page::status_class(&s).unwrap_or("other");
        out.write(&format!(
            "<strong class=\"status status-{class}\">{}</strong>",
            escape::html(&s)
        ))?;
        Ok(())
    }
}

/// A Markdown code span holding `s` literally, safe in a table cell.
pub fn code_span(s: &str) -> String {
    quote::code_span(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    use pulldown_cmark::{Event, Options, Parser, Tag};

    #[test]
    fn paragraphs_keep_the_authors_lists_and_open_no_heading_html_or_rule() {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(escape::markdown);
        hb.register_helper("paragraphs", Box::new(Paragraphs));
        #[derive(serde::Serialize)]
        struct Ctx {
            v: &'static str,
        }
        let ctx = Ctx {
            v: "# heading\n\n- item\n\n1. **item**\n\n> quote\n\n<b>x</b>\n\n---\n\n[l](https://x.example)",
        };
        let md = hb
            .render_template("before\n\n{{paragraphs v}}\n\nafter", &ctx)
            .unwrap_or_default();
        let mut lists = 0;
        let mut paragraphs = 0;
        for ev in Parser::new_ext(&md, Options::all()) {
            match ev {
                Event::Start(Tag::List(_)) => lists += 1,
                Event::Start(Tag::Paragraph) => paragraphs += 1,
                Event::Start(Tag::Heading { .. } | Tag::Link { .. })
                | Event::Html(_)
                | Event::InlineHtml(_)
                | Event::Rule => panic!("{ev:?} in {md}"),
                _ => {}
            }
        }
        assert_eq!(lists, 2, "{md}");
        // before, the heading (bold), the quote, the HTML (text), the link, after.
        assert_eq!(paragraphs, 6, "{md}");
        assert!(md.ends_with("\n\nafter"), "{md}");
    }

    #[test]
    fn inline_shows_a_titles_code_in_markdown_and_in_html() {
        assert_eq!(
            inline_html(&quote::inline("the tag `v` + <b>x</b>")),
            "the tag <code>v</code> + &lt;b&gt;x&lt;/b&gt;"
        );
    }
}
