//! The hazard ↔ risk control ↔ verification matrix of a risk management file.
//!
//! The structure the risk file must have (its template shows it):
//! - a **hazards table**: the first table with an `id` column and a `hazard` column
//!   (`| id | hazard | hazardous situation | harm |`), one hazard per row;
//! - a **risk control table**: the first table with a `hazard` column, a column naming
//!   the risk control (`risk control`) and a `verification` column. Each row is one risk
//!   control of the hazards its first cell lists (`H1`, or `H1, H3`); its verification
//!   cell cites the clic controls that verify it in backticks
//!   (`` `mdr.performance.sensitivity-claim` ``, `` `mdr.performance.*` `` for every
//!   control of a policy) and says in words what else verifies it (`IFU review`).
//!
//! A risk control is **information for safety** (ISO 14971 7.1 c, MDR Annex I 4 c) when
//! the first word of its risk control cell is `Information` or `IFU` (`Information: the
//! IFU warns ...`, `IFU warning`; emphasis allowed), or when the table's optional **IFU column** (a header beginning
//! with `ifu` or `disclosed`: `IFU statement`, `disclosed in the IFU`) holds something
//! for its row. That column says how the IFU discloses the residual risk: the statement
//! it makes, in double quotes (`"The absence of a flag does not exclude a
//! pneumothorax"`; several quoted statements are each required), or unquoted as the
//! whole cell. Without a statement, the IFU discloses the hazard by naming its id.
//! [`super::consistency`] checks the IFU against these.
//!
//! A hazard no row names has no risk control; a row naming a hazard the hazards table
//! lacks is kept as a hazard of its own, with no description, so that nothing it claims
//! is lost.

use super::tables::{code_spans, phrases, tables, Table};

/// A hazard with its risk controls and what verifies them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hazard {
    /// Its id, e.g. `H1`.
    pub id: String,
    /// The hazard in words; empty when only the risk control table names it.
    pub hazard: String,
    /// Its risk controls, in the table's order.
    pub controls: Vec<RiskControl>,
}

/// One row of the risk control table, for one hazard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RiskControl {
    /// The risk control in words.
    pub control: String,
    /// The clic control ids (or `policy.*` patterns) its verification cites.
    pub verified_by: Vec<String>,
    /// What else verifies it, in words.
    pub reviews: Vec<String>,
    /// The verification cell as written.
    pub verification: String,
    /// Whether it is information for safety: the IFU must disclose it.
    pub information: bool,
    /// The statements its IFU column quotes (what the IFU must say); empty without one.
    pub ifu: Vec<String>,
}

impl Hazard {
    /// Every clic control id its risk controls cite, deduplicated, in order.
    pub fn verified_by(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.controls {
            for v in &c.verified_by {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
        }
        out
    }

    /// Every verification in words, deduplicated, in order.
    pub fn reviews(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.controls {
            for v in &c.reviews {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
        }
        out
    }
}

fn hazards_columns(t: &Table) -> Option<(usize, usize)> {
    let id = t.column(|h| h == "id" || h == "hazard id")?;
    let hazard = t.column(|h| h == "hazard")?;
    (id != hazard).then_some((id, hazard))
}

fn controls_columns(t: &Table) -> Option<(usize, usize, usize)> {
    let hazard = t.column(|h| h.starts_with("hazard"))?;
    let control = t.column(|h| h.contains("control"))?;
    let verification = t.column(|h| h.starts_with("verif"))?;
    (hazard != control && control != verification).then_some((hazard, control, verification))
}

/// The risk control table's IFU column: a header beginning with `ifu` or `disclosed`.
fn ifu_column(t: &Table) -> Option<usize> {
    t.column(|h| h.starts_with("ifu") || h.starts_with("disclosed"))
}

/// Whether a risk control cell states information for safety: its first word (after
/// any emphasis marks) is `Information` or `IFU`.
fn is_information(cell: &str) -> bool {
    let word: String = cell
        .trim_start_matches(['*', '_', ' '])
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect();
    word.eq_ignore_ascii_case("information") || word.eq_ignore_ascii_case("ifu")
}

/// The statements an IFU cell quotes: its double-quoted phrases, or the whole cell
/// when it quotes none; nothing for an empty cell or a dash.
pub fn statements(cell: &str) -> Vec<String> {
    let cell = cell.trim();
    if cell.is_empty()
        || cell
            .chars()
            .all(|c| matches!(c, '-' | '\u{2013}' | '\u{2014}'))
    {
        return Vec::new();
    }
    let straight = cell.replace(['\u{201c}', '\u{201d}'], "\"");
    let quoted: Vec<String> = straight
        .split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if quoted.is_empty() {
        vec![cell.to_string()]
    } else {
        quoted
    }
}

/// The hazard ids a cell lists: `H1`, `H1, H3`, `H1 and H2`.
fn ids(cell: &str) -> Vec<String> {
    cell.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|s| s.trim_matches('`').trim())
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("and"))
        .map(str::to_string)
        .collect()
}

/// The hazard matrix of a risk file's body: its hazards, in the hazards table's order,
/// then those only its risk control table names.
pub fn hazards(body: &str) -> Vec<Hazard> {
    let all = tables(body);
    let mut out: Vec<Hazard> = Vec::new();
    if let Some((t, (id, hazard))) = all.iter().find_map(|t| hazards_columns(t).map(|c| (t, c))) {
        for r in t.rows.iter().filter(|r| !r[id].is_empty()) {
            if !out.iter().any(|h| h.id == r[id]) {
                out.push(Hazard {
                    id: r[id].clone(),
                    hazard: r[hazard].clone(),
                    controls: Vec::new(),
                });
            }
        }
    }
    if let Some((t, (hazard, control, verification))) =
        all.iter().find_map(|t| controls_columns(t).map(|c| (t, c)))
    {
        let ifu = ifu_column(t).filter(|&i| i != hazard && i != control && i != verification);
        for r in &t.rows {
            let statements = ifu.map(|i| statements(&r[i])).unwrap_or_default();
            let rc = RiskControl {
                control: r[control].clone(),
                verified_by: code_spans(&r[verification]),
                reviews: phrases(&r[verification]),
                verification: r[verification].clone(),
                information: is_information(&r[control]) || !statements.is_empty(),
                ifu: statements,
            };
            for id in ids(&r[hazard]) {
                match out.iter_mut().find(|h| h.id == id) {
                    Some(h) => h.controls.push(rc.clone()),
                    None => out.push(Hazard {
                        id,
                        hazard: String::new(),
                        controls: vec![rc.clone()],
                    }),
                }
            }
        }
    }
    out
}

/// Whether a cited reference names the control `id`: the id itself, or `prefix.*` for
/// every control under the prefix.
pub fn cites(reference: &str, id: &str) -> bool {
    match reference.strip_suffix(".*") {
        Some(prefix) => id
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.')),
        None => reference == id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "## Hazards\n\n| id | hazard | harm |\n|---|---|---|\n| H1 | false negative | delay |\n| H2 | false positive | wait |\n\n## Risk control\n\n| hazard | risk control | verification |\n|---|---|---|\n| H1, H9 | claims gate the release | `mdr.performance.*`; release review |\n| H1 | IFU warning | `mdr.gspr.ifu-complete` |\n";

    #[test]
    fn builds_the_matrix() {
        let h = hazards(FILE);
        assert_eq!(
            h.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            vec!["H1", "H2", "H9"]
        );
        assert_eq!(h[0].controls.len(), 2);
        assert_eq!(
            h[0].verified_by(),
            vec!["mdr.performance.*", "mdr.gspr.ifu-complete"]
        );
        assert_eq!(h[0].reviews(), vec!["release review"]);
        assert!(h[1].controls.is_empty(), "H2 has no risk control");
        assert_eq!(h[2].hazard, "", "H9 only the control table names");
    }

    #[test]
    fn information_for_safety_by_its_wording_or_its_ifu_column() {
        let file = "| hazard | risk control | verification | IFU statement |\n|---|---|---|---|\n| H1 | **Information:** the IFU warns | IFU review | \"Read every study.\"; \u{201c}A flag is no diagnosis\u{201d} |\n| H2 | Protection: a gate | `a.b` | |\n| H3 | Design: refuse other images | test | Other images are refused. |\n| H4 | information for safety | review | - |\n";
        let h = hazards(file);
        let c = |i: usize| &h[i].controls[0];
        assert!(c(0).information);
        assert_eq!(
            c(0).ifu,
            vec!["Read every study.", "A flag is no diagnosis"]
        );
        assert!(!c(1).information, "a protection with no IFU statement");
        assert!(c(2).information, "an IFU statement makes it information");
        assert_eq!(c(2).ifu, vec!["Other images are refused."]);
        assert!(
            c(3).information && c(3).ifu.is_empty(),
            "a dash is no statement"
        );
        // Without an IFU column, only the wording counts.
        let h = hazards(FILE);
        assert!(!h[0].controls[0].information);
        assert!(h[0].controls[1].information, "an `IFU warning`");
        assert!(!is_information("IFUs elsewhere") && !is_information("Informal review"));
    }

    #[test]
    fn a_pattern_cites_the_controls_under_it() {
        assert!(cites(
            "mdr.performance.*",
            "mdr.performance.sensitivity-claim"
        ));
        assert!(!cites("mdr.performance.*", "mdr.performances.x"));
        assert!(cites("mdr.gspr.ifu-complete", "mdr.gspr.ifu-complete"));
        assert!(!cites("mdr.gspr.ifu", "mdr.gspr.ifu-complete"));
    }
}
