//! Consistency between the team's own documents: the IFU against the risk file.
//!
//! Every risk control the risk file marks as information for safety ([`super::risk`]:
//! its cell begins with `Information` or `IFU`, or its row fills the risk control
//! table's IFU column) must be disclosed by the IFU's **safety sections**: every section
//! whose heading names warnings, contra-indications, precautions, cautions, limitations
//! or residual risks (`## Contra-indications and warnings`, `## Limitations and residual
//! risks`), sub-sections included and quoted guidance (`>` lines) left out. A control is
//! disclosed when those sections hold each statement its IFU column quotes, or, when it
//! quotes none, name its hazard's id as a word (`H3`). Statements compare
//! case-insensitively, with runs of white space (line breaks included) as one space,
//! emphasis and code marks (`*`, `_`, `` ` ``) dropped, curly quotes as straight ones and
//! a final full stop optional.

use super::markdown::{headings, section};
use super::risk::Hazard;

/// Whether a heading names a safety section of the IFU.
fn is_safety_heading(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "warning",
        "contra-indication",
        "contraindication",
        "precaution",
        "caution",
        "limitation",
        "residual risk",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// A text as statements are compared: lowercase, marks dropped, white space collapsed,
/// without a final full stop.
fn normalize(text: &str) -> String {
    let plain: String = text
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`'))
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        })
        .collect();
    let mut out = plain
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    while out.ends_with('.') {
        out.pop();
    }
    out
}

/// The text of the IFU's safety sections, normalized; empty when it has none.
pub fn safety_text(ifu: &str) -> String {
    let parts: Vec<String> = headings(ifu, 1)
        .iter()
        .filter(|h| is_safety_heading(&h.text))
        .filter_map(|h| section(ifu, &h.text))
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with('>'))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    normalize(&parts.join("\n"))
}

/// Whether `word` stands in `text` as a whole word (not inside `H10` or `EH1`).
fn names(text: &str, word: &str) -> bool {
    let word = word.to_lowercase();
    if word.is_empty() {
        return false;
    }
    text.match_indices(&word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The information-for-safety risk controls of `hazards` that the IFU (its body; none
/// when it is missing) does not disclose, one entry per hazard and control, in the
/// matrix's order: the hazard's id, what the IFU lacks, and the risk control.
pub fn ifu_missing_risks(hazards: &[Hazard], ifu: Option<&str>) -> Vec<String> {
    let text = ifu.map(safety_text).unwrap_or_default();
    let mut out = Vec::new();
    for h in hazards {
        for c in h.controls.iter().filter(|c| c.information) {
            let control = c.control.split_whitespace().collect::<Vec<_>>().join(" ");
            if ifu.is_none() {
                out.push(format!(
                    "{}: the IFU is missing (the manifest names none, or the file is not there), so nothing discloses the risk control `{control}`",
                    h.id
                ));
                continue;
            }
            if c.ifu.is_empty() {
                if !names(&text, &h.id) {
                    out.push(format!(
                        "{}: the IFU's warnings and residual risks do not name {} and the risk control table quotes no IFU statement for `{control}`",
                        h.id, h.id
                    ));
                }
                continue;
            }
            for s in &c.ifu {
                if !text.contains(&normalize(s)) {
                    out.push(format!(
                        "{}: the IFU's warnings and residual risks do not say \"{s}\" (risk control `{control}`)",
                        h.id
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::risk::hazards;

    const RISK: &str = "| id | hazard |\n|---|---|\n| H1 | false negative |\n| H2 | false positive |\n| H3 | off-population |\n| H4 | drift |\n\n| hazard | risk control | verification | IFU statement |\n|---|---|---|---|\n| H1, H2 | Information: the IFU warns | IFU review | \"The absence of a flag does not exclude a pneumothorax\" |\n| H3 | Information: contra-indications | IFU review | |\n| H4 | Protection: PMS | `mdr.pms.pms-plan` | |\n";

    const IFU: &str = "# Instructions for use\n\n## Intended purpose\n\nFlags studies (H3 is not named here).\n\n## Contra-indications and warnings\n\n> Guidance: the absence of a flag does not exclude a pneumothorax.\n\n- Do not use for children (H3).\n- The *absence* of a flag does not\n  exclude a pneumothorax. Read every study.\n\n## Limitations and residual risks\n\n### Known misses\n\nSmall apical ones.\n";

    #[test]
    fn the_example_form_is_disclosed() {
        assert_eq!(
            ifu_missing_risks(&hazards(RISK), Some(IFU)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_statement_only_in_guidance_or_outside_the_safety_sections_is_not_disclosed() {
        let ifu = IFU.replace(
            "- The *absence* of a flag does not\n  exclude a pneumothorax. Read every study.\n",
            "",
        );
        let got = ifu_missing_risks(&hazards(RISK), Some(&ifu));
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].starts_with("H1: ") && got[1].starts_with("H2: "),
            "{got:?}"
        );
        assert!(got[0].contains("\"The absence of a flag does not exclude a pneumothorax\""));
        // H3 is named only in the intended purpose: not disclosed.
        let ifu = IFU.replace("children (H3)", "children");
        let got = ifu_missing_risks(&hazards(RISK), Some(&ifu));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("H3: ") && got[0].contains("do not name H3"),
            "{got:?}"
        );
    }

    #[test]
    fn an_id_is_a_whole_word_and_a_missing_ifu_discloses_nothing() {
        let ifu = IFU.replace("children (H3)", "children (H30, EH3)");
        assert_eq!(ifu_missing_risks(&hazards(RISK), Some(&ifu)).len(), 1);
        let got = ifu_missing_risks(&hazards(RISK), None);
        assert_eq!(
            got.len(),
            3,
            "H1, H2, H3; H4's control is no information: {got:?}"
        );
        assert!(got.iter().all(|g| g.contains("the IFU is missing")));
    }

    #[test]
    fn a_risk_file_without_information_controls_asks_nothing_of_the_ifu() {
        let risk = "| id | hazard |\n|---|---|\n| H1 | x |\n\n| hazard | risk control | verification |\n|---|---|---|\n| H1 | Protection: a gate | `a.b` |\n";
        assert!(ifu_missing_risks(&hazards(risk), None).is_empty());
        assert!(ifu_missing_risks(&hazards(""), Some("")).is_empty());
    }

    #[test]
    fn statements_compare_without_marks_case_or_final_stop() {
        assert_eq!(
            normalize("  The **Absence** of a\n flag\u{2019}s `score`.  "),
            "the absence of a flag's score"
        );
        assert!(!is_safety_heading("Performance characteristics"));
        assert!(is_safety_heading("Contraindications"));
    }
}
