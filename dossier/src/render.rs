//! Rendering: the handlebars templates of `templates/dossier/` (built into the binary,
//! each overridable by `compliance/templates/<same name>` in the project's repository)
//! into Markdown documents, and those documents into one self-contained HTML page.
//!
//! Two registries, both in strict mode (a template naming a field the context does not
//! have is an error, never an empty string): the Markdown one escapes every `{{value}}`
//! for Markdown, the HTML one for HTML. User strings only ever reach a template as data.

use crate::escape;
use clic_runner::fsio::io_reason;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
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
pub const PARTIALS: &[(&str, &str, &str)] = &[(
    "status",
    "_status.md.hbs",
    include_str!("../../templates/dossier/_status.md.hbs"),
)];

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
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        html.register_escape_fn(escape::html);
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

/// `{{paragraphs value}}`: like `{{fill}}`, but a blank line in the value starts a new
/// paragraph; each paragraph is escaped on its own, so none can open a block of its own
/// (a heading, a list, a quote, a fence, raw HTML). For block positions only, never
/// inside a table or a list item.
struct Paragraphs;

impl HelperDef for Paragraphs {
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
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("paragraphs", 0))?
            .value();
        match shown(v) {
            Ok(s) => {
                let text = s.replace("\r\n", "\n");
                let mut first = true;
                let mut para = String::new();
                let mut flush = |para: &mut String, out: &mut dyn Output| -> HelperResult {
                    if !para.trim().is_empty() {
                        if !first {
                            out.write("\n\n")?;
                        }
                        out.write(&r.get_escape_fn()(para.trim()))?;
                        first = false;
                    }
                    para.clear();
                    Ok(())
                };
                for line in text.lines() {
                    if line.trim().is_empty() {
                        flush(&mut para, out)?;
                    } else {
                        para.push_str(line);
                        para.push('\n');
                    }
                }
                flush(&mut para, out)?;
            }
            Err(why) => write_gap(&why, out)?,
        }
        Ok(())
    }
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

/// A Markdown code span holding `s` literally.
pub fn code_span(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in flat.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') || flat.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// Converts a rendered Markdown document to HTML. Raw HTML in the Markdown (which only
/// user text could have put there) is shown as text; links are kept only when they
/// point inside the dossier (another document becomes an in-page anchor); an image
/// whose target is one of `figures` (`figures/roc.svg` ...) becomes that inline SVG,
/// and any other image its alt text.
pub fn markdown_to_html(md: &str, figures: &BTreeMap<String, String>) -> String {
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES);
    let mut events: Vec<Event<'_>> = Vec::new();
    // Whether each open link was kept, so its end is kept or dropped alike.
    let mut links: Vec<bool> = Vec::new();
    // Whether each open image was replaced by its figure (then its alt text goes).
    let mut images: Vec<bool> = Vec::new();
    for ev in parser {
        match ev {
            Event::Html(s) | Event::InlineHtml(s) => events.push(Event::Text(s)),
            Event::Start(Tag::Image { dest_url, .. }) => {
                let svg = figures.get(dest_url.as_ref());
                if let Some(svg) = svg {
                    events.push(Event::Html(CowStr::from(format!(
                        "<figure class=\"figure\">{svg}</figure>"
                    ))));
                }
                images.push(svg.is_some());
            }
            Event::End(TagEnd::Image) => {
                images.pop();
            }
            Event::Text(_) | Event::Code(_) if images.last() == Some(&true) => {}
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => match local_target(&dest_url) {
                Some(target) => {
                    links.push(true);
                    events.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url: CowStr::from(target),
                        title,
                        id,
                    }));
                }
                None => links.push(false),
            },
            Event::End(TagEnd::Link) => {
                if links.pop() == Some(true) {
                    events.push(Event::End(TagEnd::Link));
                }
            }
            other => events.push(other),
        }
    }
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    out
}

/// The in-page anchor of a link inside the dossier; none for anything else (a URL, a
/// path outside the dossier).
fn local_target(dest: &str) -> Option<String> {
    if let Some(anchor) = dest.strip_prefix('#') {
        return anchor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
            .then(|| format!("#{anchor}"));
    }
    let (file, anchor) = dest.split_once('#').unwrap_or((dest, ""));
    let doc = DOCUMENTS.iter().find(|d| d.output == file)?;
    let stem = doc.output.trim_end_matches(".md");
    if anchor.is_empty() {
        Some(format!("#doc-{stem}"))
    } else if anchor
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Some(format!("#{anchor}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_of_user_text_open_no_block() {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(escape::markdown);
        hb.register_helper("paragraphs", Box::new(Paragraphs));
        #[derive(serde::Serialize)]
        struct Ctx {
            v: &'static str,
        }
        let ctx = Ctx {
            v: "# heading\n\n- item\n\n1. item\n\n> quote\n\n```\n\n<b>x</b>\n\n    code\n\n---",
        };
        let md = hb
            .render_template("{{paragraphs v}}", &ctx)
            .unwrap_or_default();
        let mut paragraphs = 0;
        for ev in Parser::new_ext(&md, Options::all()) {
            match ev {
                Event::Start(Tag::Paragraph) => paragraphs += 1,
                Event::Start(
                    Tag::Heading { .. } | Tag::List(_) | Tag::BlockQuote(_) | Tag::CodeBlock(_),
                )
                | Event::Html(_)
                | Event::InlineHtml(_)
                | Event::Rule => panic!("a block opened: {ev:?} in {md}"),
                _ => {}
            }
        }
        assert_eq!(paragraphs, 8, "{md}");
    }

    #[test]
    fn raw_html_is_text_and_foreign_links_are_dropped() {
        let figures = BTreeMap::from([("figures/roc.svg".to_string(), "<svg></svg>".to_string())]);
        let html = markdown_to_html(
            "<script>alert(1)</script>\n\nsee [out](https://evil.example) and [gaps](gaps.md) \
             <b>x</b>\n\n![ROC](figures/roc.svg)\n\n![x](https://evil.example/x.png)\n",
            &figures,
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("evil"), "{html}");
        assert!(html.contains("href=\"#doc-gaps\""), "{html}");
        assert!(
            html.contains("<figure class=\"figure\"><svg></svg></figure>"),
            "{html}"
        );
        assert!(!html.contains("ROC</"), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }
}
