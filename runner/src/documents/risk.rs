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
        for r in &t.rows {
            let rc = RiskControl {
                control: r[control].clone(),
                verified_by: code_spans(&r[verification]),
                reviews: phrases(&r[verification]),
                verification: r[verification].clone(),
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
