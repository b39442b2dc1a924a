//! Quoting the team's Markdown into the dossier.
//!
//! A passage of a document the manifest names (a section, a questionnaire answer) and a
//! control's title are Markdown their authors wrote: bold, code, numbered lists. Escaping
//! them as plain text shows `**DICOM reader**` and backticks to the reader; pasting them
//! as they are would let them open a heading, raw HTML or a link in the dossier. So a
//! quote is parsed, and written back as a safe subset of Markdown: paragraphs, emphasis,
//! strong, code spans and blocks, lists (ordered lists keep their numbers), block quotes
//! and tables. Everything else becomes text: a heading becomes a bold paragraph, raw HTML
//! is escaped, a link keeps its text and shows its target as text, an image its alt text.
//! Every text run is escaped with [`escape::markdown`], so the output is valid Markdown in
//! the `.md` files and renders as the author meant in the HTML page; nothing in it can
//! open a block outside the quote or reach outside the dossier.

use crate::escape;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::iter::Peekable;

/// A block of a quote, as it is written back.
#[derive(Debug)]
enum Block {
    /// One line of inline Markdown, escaped.
    Para(String),
    /// A list: its first number (none for bullets) and its items.
    List(Option<u64>, Vec<Vec<Block>>),
    Quote(Vec<Block>),
    /// The code, verbatim.
    Code(String),
    /// Header cells, then rows.
    Table(Vec<String>, Vec<Vec<String>>),
}

/// `md` (the team's Markdown) as safe block Markdown, for a block position of a template
/// (never inside a table cell or a list item of the template).
pub fn blocks(md: &str) -> String {
    let parsed = parse(md, false);
    render(&parsed).join("\n").trim_end().to_string()
}

/// `md` as one line of safe inline Markdown (a title, a table cell): its blocks run
/// together, separated by spaces; `|` is escaped everywhere, code spans included.
pub fn inline(md: &str) -> String {
    let mut out = String::new();
    flatten(&parse(md, true), &mut out);
    guard_start(out.trim())
}

fn parse(md: &str, table: bool) -> Vec<Block> {
    let md = md.replace("\r\n", "\n");
    let mut events = Parser::new_ext(&md, Options::ENABLE_TABLES).peekable();
    let mut p = Quoter { table };
    p.blocks(&mut events)
}

fn flatten(blocks: &[Block], out: &mut String) {
    let push = |s: &str, out: &mut String| {
        if s.is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(s);
    };
    for b in blocks {
        match b {
            Block::Para(s) => push(s, out),
            Block::List(_, items) => {
                for item in items {
                    flatten(item, out);
                }
            }
            Block::Quote(inner) => flatten(inner, out),
            Block::Code(code) => push(&code_span(code, true), out),
            Block::Table(head, rows) => {
                for cell in head.iter().chain(rows.iter().flatten()) {
                    push(cell, out);
                }
            }
        }
    }
}

struct Quoter {
    /// Whether code spans must escape `|` (in a table cell, or for [`inline`]).
    table: bool,
}

type Events<'a> = Peekable<Parser<'a>>;

/// Whether an event starts or ends a block (so it ends the inline run before it).
fn is_block(ev: &Event<'_>) -> bool {
    match ev {
        Event::Start(t) => !matches!(
            t,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        // The end of any span or block ends the run it closes (the caller consumes it).
        Event::End(_) => true,
        Event::Rule | Event::Html(_) | Event::DisplayMath(_) => true,
        _ => false,
    }
}

impl Quoter {
    /// Blocks up to the end of the container being read (consumed) or of the input.
    fn blocks(&mut self, ev: &mut Events<'_>) -> Vec<Block> {
        let mut out = Vec::new();
        while let Some(next) = ev.peek() {
            if !is_block(next) {
                let line = self.inline(ev);
                push_para(&mut out, line);
                continue;
            }
            let Some(e) = ev.next() else { break };
            match e {
                Event::End(_) => break,
                Event::Start(Tag::Paragraph) => {
                    let line = self.inline(ev);
                    ev.next();
                    push_para(&mut out, line);
                }
                Event::Start(Tag::Heading { .. }) => {
                    let line = self.inline(ev);
                    ev.next();
                    let line = line.trim();
                    if !line.is_empty() {
                        out.push(Block::Para(format!("**{line}**")));
                    }
                }
                Event::Start(Tag::BlockQuote(_)) => {
                    let inner = self.blocks(ev);
                    if !inner.is_empty() {
                        out.push(Block::Quote(inner));
                    }
                }
                Event::Start(Tag::CodeBlock(_)) => {
                    let mut code = String::new();
                    for e in ev.by_ref() {
                        match e {
                            Event::Text(t) => code.push_str(&t),
                            Event::End(_) => break,
                            _ => {}
                        }
                    }
                    out.push(Block::Code(code));
                }
                Event::Start(Tag::HtmlBlock) => {
                    let mut text = String::new();
                    for e in ev.by_ref() {
                        match e {
                            Event::Html(t) | Event::Text(t) => text.push_str(&t),
                            Event::End(_) => break,
                            _ => {}
                        }
                    }
                    push_para(&mut out, escape::markdown(text.trim()));
                }
                Event::Start(Tag::List(start)) => {
                    let mut items = Vec::new();
                    while let Some(e) = ev.next() {
                        match e {
                            Event::Start(Tag::Item) => items.push(self.blocks(ev)),
                            Event::End(_) => break,
                            _ => {}
                        }
                    }
                    out.push(Block::List(start, items));
                }
                Event::Start(Tag::Table(_)) => out.push(self.table(ev)),
                Event::Html(t) | Event::DisplayMath(t) => {
                    push_para(&mut out, escape::markdown(t.trim()));
                }
                // Any other container (footnotes, definition lists: not enabled) is read
                // through, its blocks kept.
                Event::Start(_) => out.extend(self.blocks(ev)),
                _ => {}
            }
        }
        out
    }

    fn table(&mut self, ev: &mut Events<'_>) -> Block {
        let was = std::mem::replace(&mut self.table, true);
        let mut head = Vec::new();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut in_head = false;
        while let Some(e) = ev.next() {
            match e {
                Event::Start(Tag::TableHead) => in_head = true,
                Event::End(TagEnd::TableHead) => in_head = false,
                Event::Start(Tag::TableRow) => rows.push(Vec::new()),
                Event::Start(Tag::TableCell) => {
                    let cell = self.inline(ev);
                    ev.next();
                    let cell = guard_start(cell.trim());
                    if in_head {
                        head.push(cell);
                    } else if let Some(r) = rows.last_mut() {
                        r.push(cell);
                    }
                }
                Event::End(TagEnd::Table) => break,
                _ => {}
            }
        }
        self.table = was;
        Block::Table(head, rows)
    }

    /// An inline run, up to (not including) the next block event or the end of the span
    /// or block it is in.
    fn inline(&mut self, ev: &mut Events<'_>) -> String {
        let mut out = String::new();
        while let Some(next) = ev.peek() {
            if is_block(next) {
                break;
            }
            let Some(e) = ev.next() else { break };
            match e {
                Event::Text(t) | Event::InlineHtml(t) | Event::InlineMath(t) => {
                    out.push_str(&escape::markdown(&t));
                }
                Event::Code(c) => out.push_str(&code_span(&c, self.table)),
                Event::SoftBreak | Event::HardBreak => out.push(' '),
                Event::FootnoteReference(f) => out.push_str(&escape::markdown(&format!("[{f}]"))),
                Event::TaskListMarker(done) => {
                    out.push_str(if done { "\\[x\\] " } else { "\\[ \\] " })
                }
                Event::Start(Tag::Emphasis) => self.wrap(ev, "*", &mut out),
                Event::Start(Tag::Strong) => self.wrap(ev, "**", &mut out),
                Event::Start(Tag::Link { dest_url, .. }) => {
                    let text = self.until_end(ev);
                    out.push_str(&text);
                    let dest = dest_url.trim();
                    let shown = escape::markdown(dest);
                    if !dest.is_empty() && !dest.starts_with('#') && shown != text.trim() {
                        out.push_str(&format!(" ({shown})"));
                    }
                }
                // Images keep their alt text; the rest (strikethrough, super- and
                // subscripts: not enabled) their text.
                Event::Start(_) => {
                    let text = self.until_end(ev);
                    out.push_str(&text);
                }
                _ => {}
            }
        }
        out
    }

    /// The inline content up to the end of the span just opened (consumed).
    fn until_end(&mut self, ev: &mut Events<'_>) -> String {
        let inner = self.inline(ev);
        if matches!(ev.peek(), Some(Event::End(_))) {
            ev.next();
        }
        inner
    }

    /// `marker` + the span's content + `marker`: the content trimmed (a delimiter next
    /// to a space would not open or close), the spaces kept outside; nothing for an
    /// empty span (`****` alone is a thematic break).
    fn wrap(&mut self, ev: &mut Events<'_>, marker: &str, out: &mut String) {
        let inner = self.until_end(ev);
        let t = inner.trim();
        if t.is_empty() {
            out.push_str(&inner);
            return;
        }
        if inner.starts_with(' ') {
            out.push(' ');
        }
        out.push_str(&format!("{marker}{t}{marker}"));
        if inner.ends_with(' ') {
            out.push(' ');
        }
    }
}

fn push_para(out: &mut Vec<Block>, line: String) {
    let line = guard_start(line.trim());
    if !line.is_empty() {
        out.push(Block::Para(line));
    }
}

/// `s` made unable to open a block at the start of a line: a list, heading, quote,
/// thematic break or table marker there is escaped.
fn guard_start(s: &str) -> String {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let mut after = s[digits..].chars();
    if digits > 0
        && matches!(after.next(), Some('.' | ')'))
        && after.next().is_none_or(char::is_whitespace)
    {
        return format!("{}\\{}", &s[..digits], &s[digits..]);
    }
    match s.chars().next() {
        Some('-' | '+' | '=' | '#' | '>' | '|' | '~' | '_') => format!("\\{s}"),
        Some('*') if !s.starts_with("**") && !s[1..].starts_with(|c: char| !c.is_whitespace()) => {
            format!("\\{s}")
        }
        _ => s.to_string(),
    }
}

/// A Markdown code span holding `s` literally: the fence is longer than any run of
/// backticks inside, line breaks become spaces, and in a table `|` is escaped.
pub fn code_span(s: &str, table: bool) -> String {
    let mut flat: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    if table {
        flat = flat.replace('|', "\\|");
    }
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

/// The lines of `blocks`, a blank line between blocks.
fn render(blocks: &[Block]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // The list before this block, to alternate markers: two lists written one after the
    // other with the same marker would read back as one.
    let mut last_list: Option<(bool, bool)> = None;
    for b in blocks {
        if !out.is_empty() {
            out.push(String::new());
        }
        match b {
            Block::Para(s) => {
                out.push(s.clone());
                last_list = None;
            }
            Block::List(start, items) => {
                let ordered = start.is_some();
                let alt = matches!(last_list, Some((o, a)) if o == ordered && !a);
                last_list = Some((ordered, alt));
                out.extend(render_list(*start, items, alt));
            }
            Block::Quote(inner) => {
                last_list = None;
                for line in render(inner) {
                    out.push(if line.is_empty() {
                        ">".to_string()
                    } else {
                        format!("> {line}")
                    });
                }
            }
            Block::Code(code) => {
                last_list = None;
                let code: String = code
                    .chars()
                    .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
                    .collect();
                let mut longest = 0;
                let mut run = 0;
                for c in code.chars() {
                    run = if c == '`' { run + 1 } else { 0 };
                    longest = longest.max(run);
                }
                let fence = "`".repeat((longest + 1).max(3));
                out.push(fence.clone());
                out.extend(code.lines().map(str::to_string));
                out.push(fence);
            }
            Block::Table(head, rows) => {
                last_list = None;
                let width = head.len().max(1);
                let row = |cells: &[String]| {
                    let mut cells: Vec<&str> = cells.iter().map(String::as_str).collect();
                    cells.resize(width, "");
                    format!("| {} |", cells.join(" | "))
                };
                out.push(row(head));
                out.push(format!("|{}", "---|".repeat(width)));
                for r in rows {
                    out.push(row(r));
                }
            }
        }
    }
    out
}

fn render_list(start: Option<u64>, items: &[Vec<Block>], alt: bool) -> Vec<String> {
    let tight = items.iter().all(|item| {
        matches!(
            item.as_slice(),
            [] | [Block::Para(_)] | [Block::Para(_), Block::List(..)]
        )
    });
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 && !tight {
            out.push(String::new());
        }
        let marker = match start {
            Some(n) => format!(
                "{}{} ",
                n.saturating_add(i as u64),
                if alt { ')' } else { '.' }
            ),
            None => format!("{} ", if alt { '*' } else { '-' }),
        };
        let indent = " ".repeat(marker.len());
        let lines = if tight {
            // A tight item's nested list follows its line without a blank line.
            let mut lines = render(item);
            lines.retain(|l| !l.is_empty());
            lines
        } else {
            render(item)
        };
        if lines.is_empty() {
            out.push(marker.trim_end().to_string());
        }
        for (j, line) in lines.iter().enumerate() {
            out.push(if j == 0 {
                format!("{marker}{line}")
            } else if line.is_empty() {
                String::new()
            } else {
                format!("{indent}{line}")
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HTML a quote renders to.
    fn html(md: &str) -> String {
        let mut out = String::new();
        pulldown_cmark::html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_TABLES));
        out
    }

    #[test]
    fn a_numbered_list_with_bold_and_code_stays_one() {
        let src = "1. **DICOM reader**: opens the file,\n   decodes it.\n2. **Preprocessing**: \
                   see `model/PREPROCESSING.md`.\n3. Inference.";
        let md = blocks(src);
        assert_eq!(
            md,
            "1. **DICOM reader**: opens the file, decodes it.\n2. **Preprocessing**: see \
             `model/PREPROCESSING.md`.\n3. Inference."
        );
        let h = html(&md);
        assert!(h.starts_with("<ol>"), "{h}");
        assert!(h.contains("<strong>DICOM reader</strong>"), "{h}");
        assert!(h.contains("<code>model/PREPROCESSING.md</code>"), "{h}");
        assert_eq!(
            html(&md),
            html(src).replace("file,\ndecodes", "file, decodes")
        );
    }

    #[test]
    fn nested_lists_quotes_code_and_tables_keep_their_shape() {
        let src = "Intro *x*.\n\n- a\n  - b\n- c\n\n3. three\n4. four\n\n> quoted\n\n\
                   ```rust\nlet x = 1;\n```\n\n| A | B |\n|---|---|\n| `a\\|b` | 2 |\n";
        let md = blocks(src);
        let h = html(&md);
        assert!(h.contains("<ul>\n<li>a\n<ul>\n<li>b</li>"), "{md}\n{h}");
        assert!(h.contains("<ol start=\"3\">"), "{h}");
        assert!(h.contains("<blockquote>"), "{h}");
        assert!(h.contains("<pre><code>let x = 1;"), "{h}");
        assert!(
            h.contains("<th>A</th>") && h.contains("<code>a|b</code>"),
            "{h}"
        );
        assert!(h.contains("<em>x</em>"), "{h}");
    }

    #[test]
    fn nothing_opens_a_heading_html_a_link_or_an_image() {
        let src = "# Big\n\n<script>alert(1)</script>\n\nsee [here](https://evil.example) \
                   <b>x</b> ![alt](https://evil.example/x.png) http://bare.example\n\n***\n\n\
                   ****\n\n** **";
        let md = blocks(src);
        let h = html(&md);
        for bad in ["<h1", "<script", "<b>", "<a ", "<img", "<hr"] {
            assert!(!h.contains(bad), "{bad} in {h} from {md}");
        }
        assert!(h.contains("<strong>Big</strong>"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(h.contains("here (https://evil.example)"), "{h}");
        assert!(h.contains("alt"), "{h}");
    }

    #[test]
    fn adjacent_lists_stay_two_and_text_cannot_start_a_block() {
        let md = blocks("- a\n\n\n* b\n");
        assert_eq!(html(&md).matches("<ul>").count(), 2, "{md}");
        for s in ["\\- x", "\\+ x", "1\\. x", "1\\.", "\\# x", "\\> x"] {
            let h = html(&blocks(s));
            assert!(h.starts_with("<p>"), "{s}: {h}");
        }
    }

    #[test]
    fn inline_is_one_line_safe_in_a_table_cell() {
        assert_eq!(
            inline("HEAD carries the tag `v` + the version"),
            "HEAD carries the tag `v` + the version"
        );
        let cell = inline("a | b `c|d`\n\n- item\n\n# h");
        assert!(!cell.contains('\n'), "{cell}");
        let table = format!("| x |\n|---|\n| {cell} |\n");
        let h = html(&table);
        assert_eq!(h.matches("<td>").count(), 1, "{h}");
        assert!(h.contains("<code>c|d</code>"), "{h}");
        assert_eq!(inline("- x"), "x");
        assert_eq!(inline("\\- x"), "\\- x");
        assert_eq!(inline("96.5% and 2) x"), "96.5% and 2) x");
    }

    #[test]
    fn quoting_twice_changes_nothing() {
        for src in [
            "1. **a** `b`\n2. c\n\n- d\n  - e\n\n> f\n\n| A |\n|---|\n| g |",
            "text with * star and _under_ and \\*escaped\\*",
            "# h\n\n<b>x</b> [l](u)",
        ] {
            let once = blocks(src);
            assert_eq!(blocks(&once), once, "{src}");
        }
    }
}
