//! The little Markdown clic reads in a document: where the front matter ends, the ATX
//! headings (`## Title`) outside fenced code blocks, and the questionnaire items (a
//! heading followed by an `**Answer:**` line).

/// A heading of a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    /// 1 for `#`, 2 for `##`, ... 6.
    pub level: u8,
    /// Its text, without the `#` marks and surrounding spaces.
    pub text: String,
    /// Line in the file, counting from 1 (front matter included).
    pub line: usize,
}

/// A question with an answer slot, as it stands in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawItem {
    /// The heading the `**Answer:**` line belongs to.
    pub question: String,
    /// Everything from the marker to the next heading, trimmed.
    pub answer: String,
    /// Line of the heading.
    pub line: usize,
}

/// The front matter and the body of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    /// The YAML between the `---` lines, preceded by one empty line per line above it so
    /// that YAML error locations are lines of the file; none without front matter.
    pub yaml: Option<String>,
    /// The Markdown after the closing `---`.
    pub body: &'a str,
    /// The file line of the body's first line.
    pub body_line: usize,
}

/// Why front matter cannot be split off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unclosed;

/// Splits off YAML front matter: a first line `---`, closed by a line `---` or `...`.
pub(crate) fn split(text: &str) -> Result<Split<'_>, Unclosed> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Ok(Split {
            yaml: None,
            body: text,
            body_line: 1,
        });
    }
    let mut offset = first.len();
    let mut yaml = String::from("\n");
    for (i, line) in lines.enumerate() {
        offset += line.len();
        let bare = line.trim_end();
        if bare == "---" || bare == "..." {
            return Ok(Split {
                yaml: Some(yaml),
                body: &text[offset..],
                body_line: i + 3,
            });
        }
        yaml.push_str(line.trim_end_matches(['\n', '\r']));
        yaml.push('\n');
    }
    Err(Unclosed)
}

/// An ATX heading: up to three spaces, 1-6 `#`, then a space (or nothing).
fn heading(line: &str) -> Option<(u8, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let after = &rest[hashes..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let mut text = after.trim();
    // An optional closing sequence of `#`s, preceded by a space.
    let stripped = text.trim_end_matches('#');
    if stripped.is_empty() || stripped.ends_with([' ', '\t']) {
        text = stripped.trim_end();
    }
    Some((u8::try_from(hashes).unwrap_or(6), text.to_string()))
}

/// The opening of a fenced code block: its character and length.
fn fence(line: &str) -> Option<(char, usize)> {
    let t = line.trim_start_matches(' ');
    if line.len() - t.len() > 3 {
        return None;
    }
    for c in ['`', '~'] {
        let n = t.len() - t.trim_start_matches(c).len();
        if n >= 3 {
            return Some((c, n));
        }
    }
    None
}

/// One line of the body with what it is.
enum Line<'a> {
    Heading(Heading),
    Text(&'a str),
}

/// The body's lines, headings recognised outside fenced code blocks.
fn lines(body: &str, first_line: usize) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (i, raw) in body.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if let Some((c, n)) = open {
            if fence(line).is_some_and(|(c2, n2)| c2 == c && n2 >= n)
                && line.trim().chars().all(|x| x == c)
            {
                open = None;
            }
            out.push(Line::Text(line));
            continue;
        }
        if let Some(f) = fence(line) {
            open = Some(f);
            out.push(Line::Text(line));
            continue;
        }
        match heading(line) {
            Some((level, text)) => out.push(Line::Heading(Heading {
                level,
                text,
                line: first_line + i,
            })),
            None => out.push(Line::Text(line)),
        }
    }
    out
}

/// Every heading of the body, in order.
pub(crate) fn headings(body: &str, first_line: usize) -> Vec<Heading> {
    lines(body, first_line)
        .into_iter()
        .filter_map(|l| match l {
            Line::Heading(h) => Some(h),
            Line::Text(_) => None,
        })
        .collect()
}

/// The answer marker, in either of the ways people bold it.
fn answer_start(line: &str) -> Option<&str> {
    let t = line.trim_start();
    ["**Answer:**", "**Answer**:"]
        .iter()
        .find_map(|m| t.strip_prefix(m))
}

/// Every questionnaire item: a heading whose section holds an `**Answer:**` line. The
/// answer runs from the marker to the next heading.
pub(crate) fn items(body: &str, first_line: usize) -> Vec<RawItem> {
    let mut out: Vec<RawItem> = Vec::new();
    let mut current: Option<&Heading> = None;
    let mut capturing = false;
    let parsed = lines(body, first_line);
    for l in &parsed {
        match l {
            Line::Heading(h) => {
                current = Some(h);
                capturing = false;
            }
            Line::Text(t) => {
                if capturing {
                    if let Some(item) = out.last_mut() {
                        item.answer.push('\n');
                        item.answer.push_str(t);
                    }
                } else if let (Some(h), Some(rest)) = (current, answer_start(t)) {
                    capturing = true;
                    out.push(RawItem {
                        question: h.text.clone(),
                        answer: rest.to_string(),
                        line: h.line,
                    });
                }
            }
        }
    }
    for item in &mut out {
        item.answer = item.answer.trim().to_string();
    }
    out
}

/// The text of a section: the lines below its heading up to the next heading of the same
/// or a higher level (sub-sections included), trimmed; none when no heading has that text.
pub(crate) fn section(body: &str, title: &str) -> Option<String> {
    let wanted = normalize(title);
    let mut level = None;
    let mut text: Vec<String> = Vec::new();
    for l in lines(body, 1) {
        match (l, level) {
            (Line::Heading(h), None) => {
                if normalize(&h.text) == wanted {
                    level = Some(h.level);
                }
            }
            (Line::Heading(h), Some(lv)) => {
                if h.level <= lv {
                    break;
                }
                text.push(format!("{} {}", "#".repeat(usize::from(h.level)), h.text));
            }
            (Line::Text(t), Some(_)) => text.push(t.to_string()),
            (Line::Text(_), None) => {}
        }
    }
    level.map(|_| text.join("\n").trim().to_string())
}

/// Headings and questions compare case-insensitively, with runs of white space as one.
pub(crate) fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether a section says nothing yet: empty once the template's guidance (quoted
/// lines) and a questionnaire's `**Answer:**` marker are dropped, or a placeholder
/// ([`is_placeholder`]).
pub fn says_nothing(text: &str) -> bool {
    let kept: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .collect::<Vec<_>>()
        .join(" ");
    is_placeholder(kept.trim().trim_start_matches("**Answer:**"))
}

/// The placeholder rule, the one clic keeps: an answer or a section is missing when it
/// is empty or a `TODO` placeholder (`TODO`, `TODO: ...`, `TODO.`, `TODO write it`), not
/// when it merely starts with the word (`TODOs are tracked in Jira`).
pub fn is_placeholder(answer: &str) -> bool {
    let t = answer.trim();
    if t.is_empty() {
        return true;
    }
    match t.strip_prefix("TODO") {
        Some(rest) => rest.is_empty() || rest.starts_with([':', ' ', '\n', '.', '-', '—']),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_split_with_file_lines() {
        let s = split("---\na: 1\nb: 2\n---\n# T\n").ok();
        assert_eq!(
            s,
            Some(Split {
                yaml: Some("\na: 1\nb: 2\n".to_string()),
                body: "# T\n",
                body_line: 5
            })
        );
        assert_eq!(split("---\na: 1\n"), Err(Unclosed));
        assert_eq!(split("# T").ok().and_then(|s| s.yaml), None);
    }

    #[test]
    fn headings_skip_code_and_closing_hashes() {
        let h = headings("# A #\n```\n## not\n```\n##B\n  ### C\n", 1);
        let texts: Vec<_> = h
            .iter()
            .map(|h| (h.level, h.text.as_str(), h.line))
            .collect();
        assert_eq!(texts, vec![(1, "A", 1), (3, "C", 6)]);
    }

    #[test]
    fn answers_run_to_the_next_heading() {
        let body = "## S\n### Q1\nguide\n**Answer:** yes\nmore\n### Q2\n**Answer:**\n";
        let items = items(body, 1);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].answer, "yes\nmore");
        assert_eq!(items[1].answer, "");
        assert!(is_placeholder("TODO: fill"));
        assert!(!is_placeholder("TODOs are tracked in Jira"));
    }

    #[test]
    fn a_section_of_guidance_and_a_placeholder_says_nothing() {
        assert!(says_nothing("> Describe the users.\n\nTODO."));
        assert!(says_nothing("**Answer:** TODO: fill"));
        assert!(says_nothing("> guidance only\n"));
        assert!(!says_nothing("> Describe the users.\n\nRadiologists."));
        assert!(!says_nothing("**Answer:** Yes, see 3.1."));
    }

    #[test]
    fn a_section_stops_at_its_sibling() {
        let body = "## A\none\n### A1\ntwo\n## B\nthree\n";
        assert_eq!(section(body, "a").as_deref(), Some("one\n### A1\ntwo"));
        assert_eq!(section(body, "B").as_deref(), Some("three"));
        assert_eq!(section(body, "C"), None);
    }
}
