//! The released version's predictions, when the manifest compares with them rather than
//! with its model (`compare with predictions "release/1.0.0.csv"`): a CSV of `file`
//! (relative to the reference folder) and one column per finding, each a probability in
//! 0..1 as the released version gave it.
//!
//! ```text
//! file,pneumothorax,effusion
//! st-0001-frontal.dcm,0.0734,0.3101
//! ```

use crate::bench::{read_list, BenchError, BenchInputs};
use crate::facts::artifact::sha256_hex;
use std::collections::BTreeMap;

/// The predictions by file, in the manifest's finding order.
pub(super) struct Predictions {
    rows: BTreeMap<String, Vec<f64>>,
    path: String,
    /// sha256 of the file.
    pub(super) sha256: String,
}

impl Predictions {
    /// The released probabilities of a scan; a scan without a row is invalid input.
    pub(super) fn of(&self, file: &str) -> Result<Vec<f64>, BenchError> {
        self.rows.get(file).cloned().ok_or_else(|| BenchError::Labels {
            path: self.path.clone(),
            reason: format!(
                "the released version's predictions have no row for `{file}`; compare on the same scans"
            ),
        })
    }
}

/// Reads the predictions file at `path` (relative to the manifest) for these findings.
pub(super) fn read(
    inputs: &BenchInputs,
    path: &str,
    findings: &[String],
) -> Result<Predictions, BenchError> {
    let full = inputs.dir.join(path);
    let text = read_list(&full, inputs.budget.read.max_list_bytes)?;
    let fail = |reason: String| BenchError::Labels {
        path: path.to_string(),
        reason,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, header)) = lines.next() else {
        return Err(fail(
            "it has no header row (`file` and one column per finding)".to_string(),
        ));
    };
    let header = super::labels::cells(header).map_err(|e| fail(format!("its header: {e}")))?;
    if header.first().map(String::as_str) != Some("file") {
        return Err(fail("its first column is not `file`".to_string()));
    }
    let mut at = Vec::with_capacity(findings.len());
    for f in findings {
        match header.iter().position(|h| h == f) {
            Some(i) => at.push(i),
            None => return Err(fail(format!("it has no column for the finding `{f}`"))),
        }
    }
    let mut rows = BTreeMap::new();
    for (n, line) in lines {
        let cells = super::labels::cells(line).map_err(|e| fail(format!("line {n}: {e}")))?;
        if cells.len() != header.len() {
            return Err(fail(format!(
                "line {n} has {} cells, but the header has {}",
                cells.len(),
                header.len()
            )));
        }
        let mut probabilities = Vec::with_capacity(at.len());
        for (f, &i) in findings.iter().zip(&at) {
            let p: f64 = cells[i]
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .ok_or_else(|| {
                    fail(format!(
                        "line {n}, `{f}`: `{}` is not a probability in 0..1",
                        cells[i]
                    ))
                })?;
            probabilities.push(p);
        }
        if rows.insert(cells[0].to_string(), probabilities).is_some() {
            return Err(fail(format!("line {n}: `{}` is given twice", cells[0])));
        }
    }
    Ok(Predictions {
        rows,
        path: path.to_string(),
        sha256: sha256_hex(text.as_bytes()),
    })
}
