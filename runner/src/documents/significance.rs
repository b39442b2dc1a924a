//! What the intended use says of MDR Annex VIII Rule 11, in the terms of MDCG 2019-11:
//! the significance of the information to the healthcare decision and the state of the
//! healthcare situation, read from the document's text so that they can be compared with
//! what the manifest declares (`significance drive-management situation serious`).
//!
//! Each level is found by its manifest term (`drive-management`, `situation serious`) or
//! by the phrase MDCG 2019-11 uses for it (`drives clinical management`, `a serious
//! situation`), case-insensitively, in the whole text outside front matter. A level the
//! text names only to deny it ("does not drive clinical management") counts too: the
//! check is that the document and the manifest use the same words, and a document that
//! names two levels is flagged for a reader to settle.

/// The significance levels and the phrases that state each, lower case.
const SIGNIFICANCE: &[(&str, &[&str])] = &[
    (
        "treat-or-diagnose",
        &[
            "treat-or-diagnose",
            "treat or diagnose",
            "to treat or to diagnose",
        ],
    ),
    (
        "drive-management",
        &[
            "drive-management",
            "drive clinical management",
            "drives clinical management",
            "driving clinical management",
            "drive the clinical management",
            "drives the clinical management",
        ],
    ),
    (
        "inform-management",
        &[
            "inform-management",
            "inform clinical management",
            "informs clinical management",
            "informing clinical management",
            "inform the clinical management",
            "informs the clinical management",
        ],
    ),
    (
        "monitor-vital",
        &[
            "monitor-vital",
            "monitor vital physiological",
            "monitors vital physiological",
        ],
    ),
];

/// The situations, the words that name each before `situation` / `condition` or after
/// `situation`.
const SITUATIONS: [&str; 3] = ["critical", "non-serious", "serious"];

/// The significance levels the text states, in the order of [`SIGNIFICANCE`].
pub fn significance(text: &str) -> Vec<String> {
    let t = normalise(text);
    SIGNIFICANCE
        .iter()
        .filter(|(_, phrases)| phrases.iter().any(|p| t.contains(p)))
        .map(|(level, _)| (*level).to_string())
        .collect()
}

/// The healthcare situations the text states: `<level> situation`, `<level> condition`,
/// `<level> healthcare situation` or `situation <level>`.
pub fn situation(text: &str) -> Vec<String> {
    let t = normalise(text);
    let words: Vec<&str> = t
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut found = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let level = SITUATIONS.iter().find(|s| *w == **s);
        let Some(level) = level else {
            continue;
        };
        let next = words.get(i + 1).copied();
        let after = words.get(i + 2).copied();
        let prev = i.checked_sub(1).and_then(|j| words.get(j)).copied();
        let states = matches!(
            next,
            Some("situation" | "situations" | "condition" | "conditions")
        ) || (next == Some("healthcare")
            && matches!(after, Some("situation" | "situations")))
            || prev == Some("situation");
        if states && !found.iter().any(|f: &String| f == level) {
            found.push((*level).to_string());
        }
    }
    found.sort_by_key(|f| SITUATIONS.iter().position(|s| s == f));
    found
}

/// Lower case, `non serious` as `non-serious`, runs of white space as one space, and
/// Markdown emphasis and code marks dropped.
fn normalise(text: &str) -> String {
    let plain: String = text
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`'))
        .collect::<String>()
        .to_lowercase();
    plain
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("non serious", "non-serious")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_terms_and_the_phrases() {
        let t = "In the terms of MDCG 2019-11 the information **drives clinical\nmanagement** of a serious situation (the manifest's `significance drive-management situation serious`).";
        assert_eq!(significance(t), ["drive-management"]);
        assert_eq!(situation(t), ["serious"]);
        let t = "It informs clinical management in a non-serious healthcare situation.";
        assert_eq!(significance(t), ["inform-management"]);
        assert_eq!(situation(t), ["non-serious"]);
        let t = "Critical conditions; software to treat or diagnose.";
        assert_eq!(significance(t), ["treat-or-diagnose"]);
        assert_eq!(situation(t), ["critical"]);
        assert!(significance("A triage tool for radiographs.").is_empty());
        // "serious" alone, or of something else, is no situation.
        assert!(situation("A serious injury is not expected.").is_empty());
        // Two levels named: both are reported.
        assert_eq!(
            significance(
                "It drives clinical management; earlier versions only inform clinical management."
            ),
            ["drive-management", "inform-management"]
        );
    }
}
