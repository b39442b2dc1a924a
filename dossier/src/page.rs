//! The Markdown documents as the HTML page shows them: converted with pulldown-cmark,
//! every heading given a stable anchor (for the contents), every result shown as a
//! coloured badge that also says it in words, and nothing that reaches outside the page.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A heading of a document, for the page's contents.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// Its anchor in the page.
    pub id: String,
    /// Its text as HTML (already escaped).
    pub html: String,
}

/// A document converted to HTML, with its headings.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The HTML.
    pub html: String,
    /// Its headings in order, each with its anchor.
    pub headings: Vec<Heading>,
}

/// The anchors already given in the page, so that each is given once.
#[derive(Debug, Default)]
pub struct Anchors(BTreeSet<String>);

impl Anchors {
    /// `wanted`, or `wanted-2`, `-3` ... when it is taken: in reading order, so the same
    /// documents always give the same anchors.
    fn claim(&mut self, wanted: &str) -> String {
        let mut id = wanted.to_string();
        let mut n = 2;
        while self.0.contains(&id) {
            id = format!("{wanted}-{n}");
            n += 1;
        }
        self.0.insert(id.clone());
        id
    }
}

/// Whether `id` may be an anchor: ASCII letters, digits, `-`, `_` and `.`, starting with
/// a letter.
pub fn valid_anchor(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The anchor of a heading's text: its words, lower-case, joined by `-`, cut at a word
/// boundary past 48 characters.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() >= 48 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(
            word.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase()),
        );
    }
    out.trim_end_matches('-').to_string()
}

/// The CSS class of a result's badge: a status, a waiver's state or a claim's verdict
/// as the templates write them (in bold); none for any other bold text.
pub fn status_class(text: &str) -> Option<&'static str> {
    let t = text.trim();
    Some(match t {
        "passed" | "valid" | "met" => "pass",
        "FAILED" | "expired" | "NOT MET" => "fail",
        "waived" => "waived",
        "NOT AVAILABLE" => "unavailable",
        "not applicable" | "not run at this stage" => "na",
        _ if t.starts_with("met:") => "pass",
        _ if t.starts_with("NOT MET") => "fail",
        _ => return None,
    })
}

/// The id of an explicit anchor a template wrote as `<a id="..."></a>` (two inline HTML
/// events), when `a` and `b` are that.
fn anchor_of(a: &Event<'_>, b: Option<&Event<'_>>) -> Option<String> {
    let (Event::InlineHtml(open), Some(Event::InlineHtml(close))) = (a, b) else {
        return None;
    };
    let id = open.strip_prefix("<a id=\"")?.strip_suffix("\">")?;
    (close.as_ref() == "</a>" && valid_anchor(id)).then(|| id.to_string())
}

/// Converts a rendered Markdown document (`doc`: its file name without `.md`) to HTML.
/// Raw HTML in the Markdown (which only user text could have put there) is shown as
/// text, except a template's `<a id="..."></a>` anchor; links are kept only when they
/// point inside the dossier (another document becomes an in-page anchor); an image whose
/// target is one of `figures` (`figures/roc.svg` ...) becomes that inline SVG, and any
/// other image its alt text. Every heading gets an anchor: its explicit one, else `doc`
/// and its text's [`slug`].
pub fn to_html(
    doc: &str,
    md: &str,
    figures: &BTreeMap<String, String>,
    anchors: &mut Anchors,
) -> Converted {
    let source: Vec<Event<'_>> = Parser::new_ext(md, Options::ENABLE_TABLES).collect();
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut headings = Vec::new();
    // Whether each open link was kept, so its end is kept or dropped alike.
    let mut links: Vec<bool> = Vec::new();
    // Whether each open image was replaced by its figure (then its alt text goes).
    let mut images: Vec<bool> = Vec::new();
    // The open heading: where its start is in `events`, and its explicit anchor.
    let mut heading: Option<(usize, Option<String>)> = None;
    let mut i = 0;
    while i < source.len() {
        let ev = source[i].clone();
        i += 1;
        if let Some(id) = anchor_of(&ev, source.get(i)) {
            i += 1;
            match &mut heading {
                Some((_, explicit @ None)) => *explicit = Some(id),
                _ => {
                    let id = anchors.claim(&id);
                    events.push(Event::InlineHtml(CowStr::from(format!(
                        "<a id=\"{id}\"></a>"
                    ))));
                }
            }
            continue;
        }
        match ev {
            Event::Html(s) | Event::InlineHtml(s) => events.push(Event::Text(s)),
            Event::Start(Tag::Heading { .. }) => {
                heading = Some((events.len(), None));
                events.push(ev);
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some((at, explicit)) = heading.take() {
                    let inner = &events[at + 1..];
                    let text: String = inner
                        .iter()
                        .filter_map(|e| match e {
                            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join("");
                    let id = anchors.claim(&explicit.unwrap_or_else(|| {
                        let s = slug(&text);
                        if s.is_empty() {
                            doc.to_string()
                        } else {
                            format!("{doc}-{s}")
                        }
                    }));
                    let mut html = String::new();
                    // The contents link to the heading: a link inside it would nest.
                    let shown = inner.iter().filter(|e| {
                        !matches!(e, Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link))
                    });
                    pulldown_cmark::html::push_html(&mut html, shown.cloned());
                    headings.push(Heading {
                        level: heading_number(level),
                        id: id.clone(),
                        html,
                    });
                    events[at] = Event::Start(Tag::Heading {
                        level,
                        id: Some(CowStr::from(id)),
                        classes: Vec::new(),
                        attrs: Vec::new(),
                    });
                }
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Strong) => {
                // `**passed**`: a result, shown as a badge.
                let badge = match (source.get(i), source.get(i + 1)) {
                    (Some(Event::Text(t)), Some(Event::End(TagEnd::Strong))) => {
                        status_class(t).map(|c| (c, t.clone()))
                    }
                    _ => None,
                };
                match badge {
                    Some((class, t)) => {
                        events.push(Event::InlineHtml(CowStr::from(format!(
                            "<strong class=\"status status-{class}\">{}</strong>",
                            crate::escape::html(&t)
                        ))));
                        i += 2;
                    }
                    None => events.push(ev),
                }
            }
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
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Converted { html, headings }
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The in-page anchor of a link inside the dossier; none for anything else (a URL, a
/// path outside the dossier).
fn local_target(dest: &str) -> Option<String> {
    if let Some(anchor) = dest.strip_prefix('#') {
        return valid_anchor(anchor).then(|| format!("#{anchor}"));
    }
    let (file, anchor) = dest.split_once('#').unwrap_or((dest, ""));
    let doc = crate::render::DOCUMENTS.iter().find(|d| d.output == file)?;
    let stem = doc.output.trim_end_matches(".md");
    if anchor.is_empty() {
        Some(format!("#doc-{stem}"))
    } else {
        valid_anchor(anchor).then(|| format!("#{anchor}"))
    }
}

/// One entry of the page's contents: a document, or a heading, with the entries below it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The anchor it links to.
    pub id: String,
    /// Its text as HTML.
    pub html: String,
    /// The entries below it.
    pub children: Vec<Entry>,
}

/// The contents of a document: its second- and third-level headings, each third-level
/// one under the second-level one before it (the first-level heading is the document's
/// own entry).
pub fn contents(headings: &[Heading]) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for h in headings {
        let entry = Entry {
            id: h.id.clone(),
            html: h.html.clone(),
            children: Vec::new(),
        };
        match (h.level, out.last_mut()) {
            (2, _) | (3, None) => out.push(entry),
            (3, Some(parent)) => parent.children.push(entry),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(md: &str) -> Converted {
        let figures = BTreeMap::from([("figures/roc.svg".to_string(), "<svg></svg>".to_string())]);
        to_html("doc", md, &figures, &mut Anchors::default())
    }

    #[test]
    fn raw_html_is_text_and_foreign_links_are_dropped() {
        let out = html(
            "<script>alert(1)</script>\n\nsee [out](https://evil.example) and [gaps](gaps.md) \
             <b>x</b> <a id=\"x\" onclick=\"y\"></a> <a id=\"bad id\"></a>\n\n\
             ![ROC](figures/roc.svg)\n\n![x](https://evil.example/x.png)\n",
        )
        .html;
        assert!(!out.contains("<script"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(!out.contains("evil"), "{out}");
        assert!(out.contains("href=\"#doc-gaps\""), "{out}");
        assert!(!out.contains("<a id"), "{out}");
        assert!(
            out.contains("<figure class=\"figure\"><svg></svg></figure>"),
            "{out}"
        );
        assert!(!out.contains("ROC</"), "{out}");
        assert!(!out.contains("<img"), "{out}");
    }

    #[test]
    fn every_heading_gets_a_stable_unique_anchor() {
        let out = html(
            "# Title\n\n## 1. Device\n\n### 1.1(a) Trade name, *general*\n\n### 1.1(a) Trade \
             name, general\n\n### <a id=\"control-std.x_y\"></a>`std.x_y` — t\n\ntext <a \
             id=\"row-1\"></a> here\n",
        );
        let ids: Vec<&str> = out.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "doc-title",
                "doc-1-device",
                "doc-1-1-a-trade-name-general",
                "doc-1-1-a-trade-name-general-2",
                "control-std.x_y"
            ]
        );
        assert!(out
            .html
            .contains("<h3 id=\"control-std.x_y\"><code>std.x_y</code> — t</h3>"));
        assert!(
            out.html.contains("text <a id=\"row-1\"></a> here"),
            "{}",
            out.html
        );
        let toc = contents(&out.headings);
        assert_eq!(toc.len(), 1);
        assert_eq!(toc[0].children.len(), 3);
        assert_eq!(
            toc[0].children[0].html,
            "1.1(a) Trade name, <em>general</em>"
        );
    }

    #[test]
    fn results_are_badges_that_say_their_status() {
        let out =
            html("| a | b |\n|---|---|\n| **passed** | **FAILED** |\n\n**other** **NOT MET: x**")
                .html;
        assert!(
            out.contains("<strong class=\"status status-pass\">passed</strong>"),
            "{out}"
        );
        assert!(
            out.contains("<strong class=\"status status-fail\">FAILED</strong>"),
            "{out}"
        );
        assert!(out.contains("<strong>other</strong>"), "{out}");
        assert!(out.contains("status-fail\">NOT MET: x<"), "{out}");
    }
}
