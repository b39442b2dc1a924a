//! How deeply expressions may nest, and the scan that enforces it before pest runs.
//!
//! pest is a recursive-descent parser: every `(`, `[`, `{`, `not` and quantifier body
//! nests its rules one level deeper on the Rust stack (about 10 KiB a parenthesis in a
//! debug build). pest 2.9 stops before the stack runs out, but at a depth that depends on
//! the thread's stack and with a bare parse error. [`scan`] reads the text once, without
//! recursion, and refuses with E019 a file nested deeper than the compiler accepts; the
//! AST builder then holds every expression to [`MAX_DEPTH`] levels, which bounds the
//! recursion of every later stage (type checking, lowering, formatting, evaluation,
//! serde, drop). Long flat `and`/`or` chains are not nesting: they are built as balanced
//! trees (see `Parse::logic_chain`).

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Loc};

/// The deepest expression tree the compiler builds: each parenthesis, `not`, `-`,
/// comparison, arithmetic operator, quantifier, list, record or call opens a level.
pub const MAX_DEPTH: usize = 128;

/// The bound [`scan`] holds the text to. The scan sees tokens, not statements, so it
/// counts conservatively: a `not` until the next `and`, `or`, `,` or closing bracket, a
/// quantifier until the next `,` or closing bracket, even when a statement ended before.
/// Its bound is therefore looser than [`MAX_DEPTH`], which the AST builder applies
/// exactly; it only has to keep pest's recursion within the stack.
pub const MAX_SCAN_DEPTH: usize = 2 * MAX_DEPTH;

/// The most brackets [`scan`] lets open at once. Brackets are counted exactly, and each
/// one in an expression is a level of its tree, so this refuses nothing the AST builder
/// would accept: `policy { control { ... } }` adds two blocks around an `expect`.
pub const MAX_BRACKETS: usize = MAX_DEPTH + 2;

const HELP: &str = "split it: give each part its own `expect`, or join flat conditions with \
                    `and` / `or` (a chain of those may be as long as needed) instead of nesting";

/// The E019 diagnostic for an expression nested more than [`MAX_DEPTH`] levels deep.
pub(crate) fn too_deep(loc: Loc) -> Diagnostic {
    Diagnostic::new(
        Code::E019,
        "expression nested too deeply",
        loc,
        format!("nested more than {MAX_DEPTH} levels deep here"),
    )
    .with_help(HELP)
}

/// E019 where pest's own stack guard stopped it (a thread with little stack): the text
/// nests deeper than can be parsed here, though perhaps not [`MAX_DEPTH`] levels.
pub(crate) fn too_deep_to_parse(loc: Loc) -> Diagnostic {
    Diagnostic::new(
        Code::E019,
        "expression nested too deeply",
        loc,
        "too deeply nested to parse",
    )
    .with_help(HELP)
}

/// One open bracket, with the prefix operators counted since it opened.
#[derive(Default)]
struct Frame {
    /// `not`s since the last `and`, `or` or `,` of this bracket.
    nots: usize,
    /// Quantifiers since the last `,` of this bracket (a body runs to the bracket's end),
    /// with the `not`s that were open around them.
    quantifiers: usize,
}

/// Checks, without recursion, that no expression of `text` nests more than
/// [`MAX_SCAN_DEPTH`] levels; strings and comments are skipped as the grammar reads them.
pub(crate) fn scan(file: FileId, text: &str) -> Result<(), Diagnostic> {
    let bytes = text.as_bytes();
    // INVARIANT: `depth` is the sum over `frames` of 1 + nots + quantifiers, minus the
    // 1 of the file-level frame.
    let mut frames: Vec<Frame> = vec![Frame::default()];
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        i += 1;
        match b {
            b'"' => i = string_end(bytes, i),
            b'#' => i = line_end(bytes, i),
            b'(' | b'[' | b'{' => {
                frames.push(Frame::default());
                depth += 1;
            }
            b')' | b']' | b'}' => {
                if frames.len() > 1 {
                    if let Some(f) = frames.pop() {
                        depth = depth.saturating_sub(1 + f.nots + f.quantifiers);
                    }
                }
            }
            b',' => {
                if let Some(f) = frames.last_mut() {
                    depth = depth.saturating_sub(f.nots + f.quantifiers);
                    f.nots = 0;
                    f.quantifiers = 0;
                }
            }
            b'.' => {
                // A field name may be a keyword (`x.all`): skip it.
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
            }
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                let Some(f) = frames.last_mut() else { break };
                match &text[start..i] {
                    "not" => {
                        f.nots += 1;
                        depth += 1;
                    }
                    "and" | "or" => {
                        depth = depth.saturating_sub(f.nots);
                        f.nots = 0;
                    }
                    "all" | "any" | "none" if binds_variable(bytes, i) => {
                        // The body may hold `and` and `or`: the `not`s around the
                        // quantifier stay open as long as it does.
                        f.quantifiers += 1 + f.nots;
                        f.nots = 0;
                        depth += 1;
                    }
                    _ => continue,
                }
            }
            _ => continue,
        }
        if depth > MAX_SCAN_DEPTH || frames.len() > MAX_BRACKETS + 1 {
            return Err(too_deep(Loc::new(file, start, i)));
        }
    }
    Ok(())
}

/// A byte of a word. `-` is not one: `x-all y in l: ...` is `x - (all y in l: ...)`.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The end of a string whose opening quote is before `i`: after its closing quote, or at
/// the end of its line (an unterminated string, as the grammar's recovery reads it).
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return i + 1,
            b'\n' => return i,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn line_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// After a quantifier word: whether a variable and `in` follow (`all x in`), which tells
/// the quantifier `none x in ...` from the literal `none`.
fn binds_variable(bytes: &[u8], i: usize) -> bool {
    let i = skip_blank(bytes, i);
    let var_end = word_end(bytes, i);
    if var_end == i {
        return false;
    }
    let j = skip_blank(bytes, var_end);
    word_end(bytes, j) == j + 2 && bytes.get(j..j + 2) == Some(b"in")
}

fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_word_byte(bytes[i]) {
        i += 1;
    }
    i
}

/// Skips whitespace and comments.
fn skip_blank(bytes: &[u8], mut i: usize) -> usize {
    loop {
        match bytes.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
            Some(b'#') => i = line_end(bytes, i),
            _ => return i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str) -> bool {
        scan(FileId(0), text).is_ok()
    }

    #[test]
    fn brackets_nots_and_quantifiers_count() {
        let n = MAX_SCAN_DEPTH;
        let b = MAX_BRACKETS;
        assert!(depth_ok(&format!("{}x{}", "(".repeat(b), ")".repeat(b))));
        assert!(!depth_ok(&format!(
            "{}x{}",
            "(".repeat(b + 1),
            ")".repeat(b + 1)
        )));
        assert!(depth_ok(&format!("{}x", "not ".repeat(n))));
        assert!(!depth_ok(&"(".repeat(100_000)));
        assert!(!depth_ok(&"not ".repeat(n + 1)));
        assert!(!depth_ok(&"[".repeat(b + 1)));
        assert!(!depth_ok(&"{".repeat(b + 1)));
        assert!(!depth_ok(&"all x in l: ".repeat(n + 1)));
        assert!(!depth_ok(&"none x in l: ".repeat(n + 1)));
        assert!(!depth_ok(&"x-all y in l: ".repeat(n + 1)));
        // A `not` around a quantifier stays open past the `and`s of its body.
        assert!(!depth_ok(&"not all x in l: a and ".repeat(n / 2 + 1)));
    }

    #[test]
    fn flat_sequences_do_not_count() {
        let n = 10 * MAX_SCAN_DEPTH;
        assert!(depth_ok(&"not a and ".repeat(n)));
        assert!(depth_ok(&"(x) ".repeat(n)));
        assert!(depth_ok(&"[not a, not b] ".repeat(n)));
        assert!(depth_ok(&"x == none and ".repeat(n)));
        assert!(depth_ok(&"x.all.any.none ".repeat(n)));
    }

    #[test]
    fn strings_and_comments_are_skipped() {
        let n = MAX_BRACKETS + 1;
        assert!(depth_ok(&format!("\"{}\"", "(".repeat(n))));
        assert!(depth_ok(&format!("# {}\nx", "(".repeat(n))));
        assert!(depth_ok(&format!("\"\\\"{}\"", "(".repeat(n))));
        // An unterminated string ends at its line.
        assert!(!depth_ok(&format!("\"abc\n{}", "(".repeat(n))));
    }

    #[test]
    fn the_label_points_at_the_first_level_too_many() {
        let text = format!("expect {}", "(".repeat(MAX_BRACKETS + 5));
        // (`Loc`s compare equal whatever their offsets: compare the offsets.)
        let at = |text: &str| {
            scan(FileId(0), text)
                .err()
                .map(|d| (d.labels[0].loc.start, d.labels[0].loc.end))
        };
        let start = "expect ".len() + MAX_BRACKETS;
        assert_eq!(at(&text), Some((start, start + 1)));
        let text = format!("expect {}x", "not ".repeat(MAX_SCAN_DEPTH + 1));
        let start = "expect ".len() + 4 * MAX_SCAN_DEPTH;
        assert_eq!(at(&text), Some((start, start + 3)));
    }
}
