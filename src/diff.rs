//! A unified diff of two texts by lines (`clic fmt --check` shows what it would change):
//! the longest common subsequence, hunks with three lines of context, `---`/`+++`
//! headers as `diff -u` writes them.

/// Lines of context around a change.
const CONTEXT: usize = 3;

/// Beyond this many line pairs the table is not built: the whole file is one change.
const MAX_CELLS: usize = 16_000_000;

/// One line of the edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same(usize, usize),
    Del(usize),
    Add(usize),
}

/// The unified diff turning `old` into `new`, both shown as `path`; empty when equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = script(&a, &b);
    let mut out = String::new();
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    if changed.is_empty() {
        return out;
    }
    out.push_str(&format!("--- {path}\n+++ {path} (formatted)\n"));
    // Group changes whose context overlaps into hunks.
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(CONTEXT);
        let mut end = changed[i];
        while i + 1 < changed.len() && changed[i + 1] <= end + 2 * CONTEXT + 1 {
            i += 1;
            end = changed[i];
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let hunk = &ops[start..end];
        let (mut a0, mut b0) = (None, None);
        let (mut na, mut nb) = (0, 0);
        for op in hunk {
            match *op {
                Op::Same(x, y) => {
                    a0.get_or_insert(x);
                    b0.get_or_insert(y);
                    na += 1;
                    nb += 1;
                }
                Op::Del(x) => {
                    a0.get_or_insert(x);
                    na += 1;
                }
                Op::Add(y) => {
                    b0.get_or_insert(y);
                    nb += 1;
                }
            }
        }
        let first = |o: Option<usize>, n: usize, before: usize| {
            // `diff -u` numbers from 1; an empty side names the line before it.
            if n == 0 {
                before
            } else {
                o.map_or(before, |x| x + 1)
            }
        };
        let (before_a, before_b) = preceding(&ops[..start]);
        out.push_str(&format!(
            "@@ -{},{na} +{},{nb} @@\n",
            first(a0, na, before_a),
            first(b0, nb, before_b)
        ));
        for op in hunk {
            match *op {
                Op::Same(x, _) => out.push_str(&format!(" {}\n", a[x])),
                Op::Del(x) => out.push_str(&format!("-{}\n", a[x])),
                Op::Add(y) => out.push_str(&format!("+{}\n", b[y])),
            }
        }
        i += 1;
    }
    out
}

/// How many lines of each side come before the ops `done`.
fn preceding(done: &[Op]) -> (usize, usize) {
    done.iter().fold((0, 0), |(a, b), op| match op {
        Op::Same(..) => (a + 1, b + 1),
        Op::Del(_) => (a + 1, b),
        Op::Add(_) => (a, b + 1),
    })
}

/// The edit script from `a` to `b` by longest common subsequence.
fn script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > MAX_CELLS {
        return (0..n).map(Op::Del).chain((0..m).map(Op::Add)).collect();
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n + m);
    while i < n && j < m {
        if a[i] == b[j] {
            ops.push(Op::Same(i, j));
            i += 1;
            j += 1;
        } else if lcs[at(i + 1, j)] >= lcs[at(i, j + 1)] {
            ops.push(Op::Del(i));
            i += 1;
        } else {
            ops.push(Op::Add(j));
            j += 1;
        }
    }
    ops.extend((i..n).map(Op::Del));
    ops.extend((j..m).map(Op::Add));
    ops
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a.clic", "x\ny\n", "x\ny\n"), "");
    }

    #[test]
    fn a_changed_line_is_one_hunk_with_its_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified("a.clic", old, new),
            "--- a.clic\n+++ a.clic (formatted)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn distant_changes_are_separate_hunks() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 2\n", "two\n")
            .replace("line 19\n", "nineteen\n");
        let d = unified("a.clic", &old, &new);
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert!(d.contains("-line 19\n+nineteen\n"), "{d}");
    }

    #[test]
    fn an_added_line_at_the_start() {
        let d = unified("a.clic", "b\n", "a\nb\n");
        assert_eq!(
            d,
            "--- a.clic\n+++ a.clic (formatted)\n@@ -1,1 +1,2 @@\n+a\n b\n"
        );
    }
}
