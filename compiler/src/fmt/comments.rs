//! Finding the comments of a source file (the parser drops them).

/// A `#` comment.
#[derive(Debug, Clone)]
pub(super) struct Comment {
    /// Byte offset of the `#`.
    pub start: usize,
    /// The comment, `#` included, trailing spaces removed.
    pub text: String,
    /// Whether only whitespace precedes it on its line.
    pub own_line: bool,
    /// Whether a blank line precedes it.
    pub blank_before: bool,
}

/// Every comment, in order. Strings are skipped so a `#` inside one is not a comment.
pub(super) fn scan(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'#' {
            let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
            let line_start = text[..i].rfind('\n').map_or(0, |s| s + 1);
            let own_line = text[line_start..i].trim().is_empty();
            let prev_line = text[..line_start.saturating_sub(1)].rsplit('\n').next();
            let blank_before =
                own_line && line_start > 0 && prev_line.is_some_and(|l| l.trim().is_empty());
            out.push(Comment {
                start: i,
                text: text[i..end].trim_end().to_string(),
                own_line,
                blank_before,
            });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}
