//! The pipe tables of a document (GitHub-flavoured Markdown): a header row, a delimiter
//! row of dashes (`|---|:---:|`), then body rows up to the first line that is not a row.
//! Tables inside fenced code blocks are not read. Cells are trimmed; `\|` is a literal
//! bar inside a cell.

/// A table: its header cells and its body rows, each as many cells as the header (a
/// short row is padded with empty cells, the excess of a long one dropped, as GFM does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The header cells.
    pub header: Vec<String>,
    /// The body rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The index of the first header cell `wanted` accepts (given it lowercased).
    pub fn column(&self, wanted: impl Fn(&str) -> bool) -> Option<usize> {
        self.header.iter().position(|h| wanted(&h.to_lowercase()))
    }
}

/// Every table of a Markdown text, in order.
pub fn tables(text: &str) -> Vec<Table> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if let Some(f) = fence {
            if line.starts_with(f) {
                fence = None;
            }
            i += 1;
            continue;
        }
        if line.starts_with("```") || line.starts_with("~~~") {
            fence = Some(&line[..3]);
            i += 1;
            continue;
        }
        let delimiter = lines.get(i + 1).map(|l| l.trim());
        match (row(line), delimiter.filter(|d| is_delimiter(d))) {
            (Some(header), Some(_)) if !header.is_empty() => {
                let width = header.len();
                let mut rows = Vec::new();
                i += 2;
                while let Some(mut cells) = lines.get(i).and_then(|l| row(l.trim())) {
                    cells.resize(width, String::new());
                    rows.push(cells);
                    i += 1;
                }
                out.push(Table { header, rows });
            }
            _ => i += 1,
        }
    }
    out
}

/// The cells of a line that is a table row (it holds a bar outside code); none otherwise.
fn row(line: &str) -> Option<Vec<String>> {
    if line.is_empty() || !line.contains('|') {
        return None;
    }
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = match inner.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => inner,
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    Some(cells)
}

/// `|---|:---:|---:|`: every cell dashes with optional alignment colons.
fn is_delimiter(line: &str) -> bool {
    row(line).is_some_and(|cells| {
        !cells.is_empty()
            && cells.iter().all(|c| {
                let core = c.trim_start_matches(':').trim_end_matches(':');
                !core.is_empty() && core.chars().all(|ch| ch == '-')
            })
    })
}

/// The code spans of a cell (the text between single backticks), in order.
pub fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A cell without its code spans, split at commas and semicolons into the phrases it
/// holds (`IFU review; integration test`).
pub fn phrases(cell: &str) -> Vec<String> {
    let prose: String = cell
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join(" ");
    prose
        .split([',', ';'])
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("and") && p != "-")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_table_and_skips_code() {
        let text = "intro\n\n| id | hazard |\n|---|:--|\n| H1 | false \\| negative |\n| H2 |\nafter\n\n```\n| a | b |\n|---|---|\n| x | y |\n```\n";
        let t = tables(text);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].header, vec!["id", "hazard"]);
        assert_eq!(
            t[0].rows,
            vec![
                vec!["H1".to_string(), "false | negative".to_string()],
                vec!["H2".to_string(), String::new()]
            ]
        );
        assert_eq!(t[0].column(|h| h == "hazard"), Some(1));
    }

    #[test]
    fn a_bar_without_a_delimiter_row_is_no_table() {
        assert!(tables("a | b\nc | d\n").is_empty());
    }

    #[test]
    fn code_spans_and_phrases() {
        let cell = "`mdr.performance.*`, `mdr.gspr.ifu-complete`; IFU review";
        assert_eq!(
            code_spans(cell),
            vec!["mdr.performance.*", "mdr.gspr.ifu-complete"]
        );
        assert_eq!(phrases(cell), vec!["IFU review"]);
    }
}
