//! Escaping of user and scan strings, the one home of clic's escapers: Markdown and HTML
//! for the dossier, XML for the JUnit report. A string from a manifest, a document, a
//! waiver or a DICOM file is data: it is never parsed as a template, and these functions
//! make sure it is not parsed as Markdown, HTML or XML either.
//!
//! [`html`] and [`xml`] differ on purpose: HTML writes `'` as `&#39;` and leaves control
//! characters as they are; XML writes `&apos;` and drops the control characters XML 1.0
//! cannot hold at all (all below U+0020 but tab, line feed and carriage return), so a name
//! read from a policy cannot make the report invalid.

/// Escapes text for inline use in CommonMark / GitHub Markdown: every character that
/// could start emphasis, code, a link, an image, raw HTML, an entity, a table cell or
/// strikethrough is backslash-escaped, line breaks become spaces (a value cannot start a
/// block of its own), and GitHub's bare-URL and e-mail autolinks are broken up.
pub fn markdown(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    let mut out = String::with_capacity(flat.len() + 8);
    let chars: Vec<char> = flat.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' | '@'
            | '$' | '^' => true,
            // `http://x`, `//host`: GitHub autolinks a scheme followed by `//`.
            ':' => next == Some('/'),
            // `www.x`: GitHub autolinks it.
            '.' => {
                i >= 3
                    && chars[i - 3..i]
                        .iter()
                        .collect::<String>()
                        .eq_ignore_ascii_case("www")
            }
            // A value at the start of a line must not open a list, a heading or a quote.
            '-' | '+' | '=' => i == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    // `1. text` or `1) text` at the start would open an ordered list.
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    let mut rest = out[digits..].chars();
    if digits > 0
        && matches!(rest.next(), Some('.' | ')'))
        && matches!(rest.next(), None | Some(' '))
    {
        out.insert(digits, '\\');
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for XML 1.0 element content and quoted attribute values (the JUnit
/// report): the five predefined entities, and the control characters XML cannot hold
/// dropped.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_neutralises_links_html_and_blocks() {
        let s = markdown("[click](http://evil.example) <script>alert(1)</script> *x* | y");
        assert!(!s.contains("[click]("), "{s}");
        assert!(s.contains("\\[click\\]"), "{s}");
        assert!(s.contains("\\<script\\>"), "{s}");
        assert!(s.contains("http\\://"), "{s}");
        assert!(s.contains("\\|"), "{s}");
        assert_eq!(markdown("1. one\n# two"), "1\\. one \\# two");
        assert_eq!(markdown("1.4.0"), "1.4.0");
        assert_eq!(markdown("- item"), "\\- item");
        assert_eq!(markdown("see www.evil.example"), "see www\\.evil.example");
        assert_eq!(markdown("qa@example.com"), "qa\\@example.com");
        assert_eq!(markdown("Art. 10(2)(f)"), "Art. 10(2)(f)");
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn xml_uses_the_predefined_entities_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml("<a b=\"'\">&\u{1}\u{1b}\t\n\r</a>"),
            "&lt;a b=&quot;&apos;&quot;&gt;&amp;\t\n\r&lt;/a&gt;"
        );
    }
}
