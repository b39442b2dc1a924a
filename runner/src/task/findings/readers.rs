//! The model against readers on the same units (`compare with readers "data/readers.csv"`):
//! a reader study's comparator. The CSV has a row per reader and unit, a column per
//! finding, each cell a score in 0..1, a call (`positive` or `negative`) or empty (that
//! reader did not read that unit for that finding):
//!
//! ```text
//! reader,StudyInstanceUID,pneumothorax,effusion,cardiomegaly
//! R1,1.2.826.0.1.3680043.10.999.1.1,positive,negative,0.82
//! R2,1.2.826.0.1.3680043.10.999.1.1,negative,,0.40
//! ```
//!
//! The second column names what a row is keyed by, as the labels file's first does:
//! `file` (relative to the reference folder; the row reads the unit that image belongs
//! to), `SOPInstanceUID` (likewise) or `StudyInstanceUID` (a study, or at `unit patient`
//! the patient whose study it is; not at `unit image`). UIDs are kept as pseudonyms only.
//!
//! A finding's reads are all scores, compared by ROC AUC, or all calls, compared by
//! sensitivity and specificity at the model's operating point. Per finding and reader,
//! on the units that reader read which are labelled for the finding: ΔAUC (model −
//! reader) with DeLong's paired test, Δsensitivity and Δspecificity with McNemar's exact
//! test and mid-p, each difference with a paired patient-clustered bootstrap interval
//! (DeLong's own interval for ΔAUC when every patient has one unit). The readers pooled
//! are their average: each difference the mean over readers of the model's figure on the
//! reader's units less the reader's, from one set of resampled patients for every
//! reader (the macro average of [`crate::metrics::cluster::paired_findings_intervals`]
//! with one "finding" per reader), so the pooled interval accounts for the readers
//! reading the same patients. A non-inferiority margin to the readers is decided on the
//! pooled difference: it holds when the lower end of its 95% interval lies above minus
//! the margin.

use super::compare::{Delta, Figures, Margin};
use super::labels::{cells, stored_key, KeyKind};
use super::units::UnitRow;
use crate::metrics::cluster::{self, Operating, PairedFinding, PairedUnit, Resampling};
use crate::metrics::paired;
use clic_compiler::plan::{FindingSpec, Level};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The reader name of the readers pooled, which no reader of the CSV may take.
pub const POOLED: &str = "pooled";

/// What the readers gave for a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadKind {
    /// Scores in 0..1: compared by ROC AUC.
    Scores,
    /// Calls, positive or negative: compared by sensitivity and specificity.
    Calls,
}

impl ReadKind {
    /// As the facts write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadKind::Scores => "scores",
            ReadKind::Calls => "calls",
        }
    }

    fn one(self) -> &'static str {
        match self {
            ReadKind::Scores => "score",
            ReadKind::Calls => "call",
        }
    }

    /// Whether a margin on `metric` is read on this kind.
    pub fn compares(self, metric: &str) -> bool {
        match self {
            ReadKind::Scores => metric == "auc",
            ReadKind::Calls => metric == "sensitivity" || metric == "specificity",
        }
    }
}

/// A readers' CSV, read against the manifest's findings.
#[derive(Debug, Clone, PartialEq)]
pub struct ReaderTable {
    /// What the rows are keyed by.
    pub key: KeyKind,
    /// The readers, in the order the CSV first names them.
    pub readers: Vec<String>,
    /// Per finding of the manifest: what its reads are; none when the CSV has no column
    /// for it or no reader read it.
    pub kinds: Vec<Option<ReadKind>>,
    /// The rows, in the CSV's order.
    pub rows: Vec<ReadRow>,
}

/// One row: a reader's reads of one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRow {
    /// Its line in the CSV (from 1).
    pub line: usize,
    /// The reader, as an index into [`ReaderTable::readers`].
    pub reader: usize,
    /// The key as stored: the file, or a UID's pseudonym.
    pub key: String,
    /// The key as a message may show it: the file, or "its StudyInstanceUID" (never a
    /// UID's value).
    pub shown: String,
    /// Per finding of the manifest: the score (a call is 1 or 0); none where empty.
    pub values: Vec<Option<f64>>,
}

/// Reads a readers' CSV for these findings. Errors name the line and column at fault,
/// never a UID's value.
pub fn parse(text: &str, findings: &[String]) -> Result<ReaderTable, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((hl, header)) = lines.next() else {
        return Err(
            "it has no header row (`reader`, the unit's key and one column per finding)"
                .to_string(),
        );
    };
    let header = cells(header).map_err(|e| format!("line {hl} (the header): {e}"))?;
    if header.first().map(String::as_str) != Some("reader") {
        return Err(format!(
            "line {hl} (the header): its first column is `{}`, not `reader`",
            header.first().map_or("", String::as_str)
        ));
    }
    let key = header
        .get(1)
        .and_then(|k| KeyKind::parse(k))
        .ok_or_else(|| {
            format!(
                "line {hl} (the header): its second column is `{}`, not the unit's key (`file`, `SOPInstanceUID`, `SeriesInstanceUID` or `StudyInstanceUID`)",
                header.get(1).map_or("", String::as_str)
            )
        })?;
    if header.len() < 3 {
        return Err(format!(
            "line {hl} (the header): it names no finding; the findings are {}",
            names(findings)
        ));
    }
    let mut at: Vec<Option<usize>> = vec![None; findings.len()];
    for (i, h) in header.iter().enumerate().skip(2) {
        let Some(f) = findings.iter().position(|f| f == h) else {
            let hint =
                clic_compiler::diagnostics::did_you_mean(h, findings.iter().map(String::as_str))
                    .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
            return Err(format!(
                "line {hl} (the header): the column `{h}` names no finding of the manifest{hint}; the findings are {}",
                names(findings)
            ));
        };
        if at[f].is_some() {
            return Err(format!(
                "line {hl} (the header): the finding `{h}` has two columns"
            ));
        }
        at[f] = Some(i);
    }
    let mut readers: Vec<String> = Vec::new();
    let mut reads_of: Vec<u64> = Vec::new();
    let mut kinds: Vec<Option<(ReadKind, usize)>> = vec![None; findings.len()];
    let mut rows = Vec::new();
    for (n, line) in lines {
        let c = cells(line).map_err(|e| format!("line {n}: {e}"))?;
        if c.len() != header.len() {
            return Err(format!(
                "line {n} has {} cells, but the header has {}",
                c.len(),
                header.len()
            ));
        }
        let name = &c[0];
        if name.is_empty() {
            return Err(format!("line {n}: the reader is empty"));
        }
        if name == POOLED {
            return Err(format!(
                "line {n}: `{POOLED}` names the readers' average in the evidence; name the reader otherwise"
            ));
        }
        if c[1].is_empty() {
            return Err(format!("line {n}: the unit's {} is empty", key.as_str()));
        }
        let reader = match readers.iter().position(|r| r == name) {
            Some(r) => r,
            None => {
                readers.push(name.clone());
                reads_of.push(0);
                readers.len() - 1
            }
        };
        let mut values = vec![None; findings.len()];
        for (f, col) in at.iter().enumerate() {
            let Some(cell) = col.map(|i| c[i].as_str()).filter(|s| !s.is_empty()) else {
                continue;
            };
            let (kind, value) = if cell.eq_ignore_ascii_case("positive") {
                (ReadKind::Calls, 1.0)
            } else if cell.eq_ignore_ascii_case("negative") {
                (ReadKind::Calls, 0.0)
            } else {
                let p = cell
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or_else(|| {
                        format!(
                            "line {n}, `{}`: `{cell}` is not a score in 0..1, `positive` or `negative`",
                            findings[f]
                        )
                    })?;
                (ReadKind::Scores, p)
            };
            match kinds[f] {
                None => kinds[f] = Some((kind, n)),
                Some((k, first)) if k != kind => {
                    return Err(format!(
                        "line {n}, `{}`: a {} where line {first} gives a {}; a finding's reads are all scores or all calls",
                        findings[f],
                        kind.one(),
                        k.one()
                    ));
                }
                Some(_) => {}
            }
            values[f] = Some(value);
            reads_of[reader] += 1;
        }
        let raw = c[1].as_str();
        rows.push(ReadRow {
            line: n,
            reader,
            key: stored_key(key, raw),
            shown: match key {
                KeyKind::File => format!("`{raw}`"),
                other => format!("its {}", other.as_str()),
            },
            values,
        });
    }
    if rows.is_empty() {
        return Err("it has a header but no reads".to_string());
    }
    if let Some(r) = reads_of.iter().position(|&k| k == 0) {
        return Err(format!(
            "the reader `{}` reads no unit: every finding cell of their rows is empty",
            readers[r]
        ));
    }
    Ok(ReaderTable {
        key,
        readers,
        kinds: kinds.into_iter().map(|k| k.map(|(k, _)| k)).collect(),
        rows,
    })
}

fn names(findings: &[String]) -> String {
    findings
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row matched to its unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The reader, as an index into [`ReaderTable::readers`].
    pub reader: usize,
    /// The unit, as an index into the evidence's units.
    pub unit: usize,
    /// Per finding: the reader's score (a call is 1 or 0); none where not read.
    pub values: Vec<Option<f64>>,
}

/// Whether rows keyed by `key` can name a unit at `level`: a study's UID names no one
/// image.
pub fn check_key(key: KeyKind, level: Level) -> Result<(), String> {
    if key == KeyKind::Study && level == Level::Image {
        return Err(
            "its rows are keyed by StudyInstanceUID, but the unit of analysis is the image: key them by `file` or `SOPInstanceUID`"
                .to_string(),
        );
    }
    Ok(())
}

/// Matches every row to its unit by `lookup` (a stored key to the unit's index). A row
/// whose unit is not in the reference set, or a second row of a reader on one unit, is
/// an error naming its line.
pub fn resolve(
    table: &ReaderTable,
    lookup: impl Fn(&str) -> Option<usize>,
) -> Result<Vec<Resolved>, String> {
    let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let unit = lookup(&row.key).ok_or_else(|| {
            format!(
                "line {}: {} matches no unit of the reference set; readers are compared with the model on its units",
                row.line, row.shown
            )
        })?;
        if let Some(first) = seen.insert((row.reader, unit), row.line) {
            return Err(format!(
                "line {}: the reader `{}` reads the unit of line {first} again; give one row per reader and unit",
                row.line, table.readers[row.reader]
            ));
        }
        out.push(Resolved {
            reader: row.reader,
            unit,
            values: row.values.clone(),
        });
    }
    Ok(out)
}

/// The comparison with the readers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadersComparison {
    /// The CSV, as the manifest names it.
    pub path: String,
    /// sha256 of the CSV.
    pub sha256: String,
    /// What its rows are keyed by.
    pub key: String,
    /// The readers, in the order the CSV first names them.
    pub readers: Vec<String>,
    /// Its rows (a reader's reads of one unit).
    pub rows: u64,
    /// Each finding of the manifest, in its order.
    pub findings: Vec<ReaderFinding>,
    /// The manifest's margins to the readers: metric, margin.
    pub margins: BTreeMap<String, f64>,
    /// Margins no finding can decide (an `auc` margin and no finding read with scores, a
    /// sensitivity or specificity margin and none read with calls): each is unmet.
    pub unverified_margins: Vec<String>,
    /// Whether every margin holds for every finding it applies to, and none is
    /// unverified (true when no margin is declared).
    pub noninferior: bool,
}

/// One finding against the readers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderFinding {
    /// The finding.
    pub name: String,
    /// What the readers gave for it; none when they did not read it.
    pub kind: Option<ReadKind>,
    /// The readers pooled first, then each reader with paired units, in the CSV's order;
    /// empty when no read unit is labelled for it.
    pub entries: Vec<ReaderEntry>,
}

/// The model against one reader, or the readers pooled, on one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderEntry {
    /// The reader; [`POOLED`] for the readers' average.
    pub reader: String,
    /// Whether this is the readers' average.
    pub pooled: bool,
    /// Readers behind it.
    pub readers: u64,
    /// Units paired (summed over the readers when pooled).
    pub n: u64,
    /// The reader's figures (the readers' mean when pooled).
    pub reader_figures: Figures,
    /// The model's on the same units.
    pub model: Figures,
    /// Model − reader ROC AUC (scores).
    pub delta_auc: Option<Delta>,
    /// Model − reader sensitivity (calls).
    pub delta_sensitivity: Option<Delta>,
    /// Model − reader specificity (calls).
    pub delta_specificity: Option<Delta>,
    /// The margins that apply to the finding's kind, each with whether it holds on this
    /// entry's difference.
    pub margins: Vec<Margin>,
    /// Whether every such margin holds (true when none applies).
    pub noninferior: bool,
}

/// Everything [`compare`] reads.
pub struct Design<'a> {
    /// The manifest's findings.
    pub findings: &'a [FindingSpec],
    /// Margins to the readers: metric, margin.
    pub margins: &'a BTreeMap<String, f64>,
    /// The evidence's units, with their scores and labels.
    pub units: &'a [UnitRow],
    /// Each unit's cluster (patient), in `0..clusters`.
    pub cluster_of: &'a [u32],
    /// Clusters.
    pub clusters: u32,
    /// The bootstrap's resamples and seed.
    pub resampling: Resampling,
}

/// A call is 1 and a negative 0: called positive at 0.5.
const CALLED: Operating = Operating {
    threshold: 0.5,
    inclusive: true,
};

/// The model against the readers, per finding.
pub fn compare(
    table: &ReaderTable,
    reads: &[Resolved],
    d: &Design<'_>,
) -> Result<Vec<ReaderFinding>, String> {
    let clustered = (d.clusters as usize) < d.units.len();
    let method = if clustered {
        cluster::METHOD.to_string()
    } else {
        "bootstrap-percentile (paired)".to_string()
    };
    let mut out = Vec::with_capacity(d.findings.len());
    for (f, spec) in d.findings.iter().enumerate() {
        let kind = table.kinds.get(f).copied().flatten();
        let mut finding = ReaderFinding {
            name: spec.name.clone(),
            kind,
            entries: Vec::new(),
        };
        let Some(kind) = kind else {
            out.push(finding);
            continue;
        };
        let op = Operating {
            threshold: spec.threshold,
            inclusive: spec.inclusive,
        };
        // Each reader's paired units, in the units' order.
        let mut per_reader: Vec<(usize, Vec<PairedUnit>)> = Vec::new();
        for r in 0..table.readers.len() {
            let mut mine: Vec<(usize, PairedUnit)> = reads
                .iter()
                .filter(|read| read.reader == r)
                .filter_map(|read| {
                    let u = d.units.get(read.unit)?;
                    Some((
                        read.unit,
                        PairedUnit {
                            cluster: *d.cluster_of.get(read.unit)?,
                            label: (*u.labels.get(f)?)?,
                            candidate: *u.scores.get(f)?,
                            reference: (*read.values.get(f)?)?,
                        },
                    ))
                })
                .collect();
            mine.sort_by_key(|(u, _)| *u);
            if !mine.is_empty() {
                per_reader.push((r, mine.into_iter().map(|(_, p)| p).collect()));
            }
        }
        if per_reader.is_empty() || d.clusters == 0 {
            out.push(finding);
            continue;
        }
        let designs: Vec<PairedFinding<'_>> = per_reader
            .iter()
            .map(|(_, units)| PairedFinding {
                units,
                candidate: op,
                reference: CALLED,
            })
            .collect();
        let boot = cluster::paired_findings_intervals(&designs, d.clusters, d.resampling)
            .map_err(|e| e.to_string())?;
        let margins_of = |delta_of: &dyn Fn(&str) -> Option<f64>| -> Vec<Margin> {
            d.margins
                .iter()
                .filter(|(metric, _)| kind.compares(metric))
                .map(|(metric, &margin)| Margin {
                    metric: metric.clone(),
                    margin,
                    met: delta_of(metric).is_some_and(|low| low > -margin),
                })
                .collect()
        };
        let entry = |reader: String,
                     pooled: bool,
                     readers: u64,
                     n: u64,
                     iv: &cluster::PairedIntervals,
                     deltas: [Option<Delta>; 3]| {
            let [delta_auc, delta_sensitivity, delta_specificity] = deltas;
            let low = |metric: &str| {
                match metric {
                    "auc" => delta_auc.as_ref(),
                    "sensitivity" => delta_sensitivity.as_ref(),
                    _ => delta_specificity.as_ref(),
                }
                .map(|d| d.low)
            };
            let margins = margins_of(&low);
            let figures = |side: &cluster::Intervals| match kind {
                ReadKind::Scores => Figures {
                    auc: side.auc.map(|i| i.value),
                    sensitivity: None,
                    specificity: None,
                },
                ReadKind::Calls => Figures {
                    auc: None,
                    sensitivity: side.sensitivity.map(|i| i.value),
                    specificity: side.specificity.map(|i| i.value),
                },
            };
            ReaderEntry {
                reader,
                pooled,
                readers,
                n,
                reader_figures: figures(&iv.reference),
                model: figures(&iv.candidate),
                delta_auc,
                delta_sensitivity,
                delta_specificity,
                noninferior: margins.iter().all(|m| m.met),
                margins,
            }
        };
        // The readers pooled: the bootstrap's macro average over the readers.
        let m = &boot.macro_average;
        let pooled_delta = |iv: Option<cluster::Interval>| {
            iv.map(|b| Delta {
                value: b.value,
                low: b.low,
                high: b.high,
                method: method.clone(),
                p_value: None,
                mid_p_value: None,
                test: "none (readers pooled: bootstrap interval only)".to_string(),
            })
        };
        let pooled_deltas = match kind {
            ReadKind::Scores => [pooled_delta(m.delta_auc), None, None],
            ReadKind::Calls => [
                None,
                pooled_delta(m.delta_sensitivity),
                pooled_delta(m.delta_specificity),
            ],
        };
        let total: u64 = per_reader.iter().map(|(_, u)| u.len() as u64).sum();
        finding.entries.push(entry(
            POOLED.to_string(),
            true,
            per_reader.len() as u64,
            total,
            m,
            pooled_deltas,
        ));
        for (i, (r, units)) in per_reader.iter().enumerate() {
            let iv = &boot.findings[i];
            let deltas = match kind {
                ReadKind::Scores => [auc_delta(units, iv, clustered, &method), None, None],
                ReadKind::Calls => {
                    let call = |b: Option<cluster::Interval>, mc: paired::McNemar| {
                        b.map(|b| Delta {
                            value: b.value,
                            low: b.low,
                            high: b.high,
                            method: method.clone(),
                            p_value: Some(mc.exact_p_value),
                            mid_p_value: Some(paired::mcnemar_mid_p(mc.b, mc.c)),
                            test: "mcnemar-exact".to_string(),
                        })
                    };
                    [
                        None,
                        call(
                            iv.delta_sensitivity,
                            paired::mcnemar_sensitivity(units, op, CALLED),
                        ),
                        call(
                            iv.delta_specificity,
                            paired::mcnemar_specificity(units, op, CALLED),
                        ),
                    ]
                }
            };
            finding.entries.push(entry(
                table.readers[*r].clone(),
                false,
                1,
                units.len() as u64,
                iv,
                deltas,
            ));
        }
        out.push(finding);
    }
    Ok(out)
}

/// Model − reader AUC: DeLong's paired test; with clustered units the bootstrap's
/// interval beside DeLong's p (which treats the units as independent, as its test says).
fn auc_delta(
    units: &[PairedUnit],
    iv: &cluster::PairedIntervals,
    clustered: bool,
    method: &str,
) -> Option<Delta> {
    let d = paired::delong_paired(units).ok()?;
    match iv.delta_auc {
        Some(b) if clustered => Some(Delta {
            value: d.delta,
            low: b.low,
            high: b.high,
            method: method.to_string(),
            p_value: d.test.and_then(|t| t.p_value),
            mid_p_value: None,
            test: "delong-paired (units as independent)".to_string(),
        }),
        _ => d.test.map(|t| Delta {
            value: d.delta,
            low: t.low,
            high: t.high,
            method: "delong-paired".to_string(),
            p_value: t.p_value,
            mid_p_value: None,
            test: "delong-paired".to_string(),
        }),
    }
}

/// The comparison's verdict over the findings: the margins no finding can decide, and
/// whether every margin holds on every finding's pooled difference and none is
/// undecided.
pub fn verdict(findings: &[ReaderFinding], margins: &BTreeMap<String, f64>) -> (Vec<String>, bool) {
    let unverified: Vec<String> = margins
        .keys()
        .filter(|metric| {
            !findings.iter().any(|f| {
                f.kind.is_some_and(|k| k.compares(metric)) && f.entries.iter().any(|e| e.pooled)
            })
        })
        .cloned()
        .collect();
    let held = findings
        .iter()
        .flat_map(|f| f.entries.iter().filter(|e| e.pooled))
        .all(|e| e.noninferior);
    let noninferior = held && unverified.is_empty();
    (unverified, noninferior)
}

#[cfg(test)]
mod tests;
