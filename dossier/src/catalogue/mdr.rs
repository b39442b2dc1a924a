//! The MDR technical documentation (Annex II) and the post-market surveillance plan
//! (Annex III).

use super::{DocItem, DocSection, PmsItem};

const fn item(id: &'static str) -> DocItem {
    DocItem {
        id,
        heading: false,
        applicable: true,
        justification: None,
    }
}

const fn group(id: &'static str) -> DocItem {
    DocItem {
        id,
        heading: true,
        applicable: true,
        justification: None,
    }
}

const fn na(id: &'static str, why: &'static str) -> DocItem {
    DocItem {
        id,
        heading: false,
        applicable: false,
        justification: Some(why),
    }
}

/// The sections of the MDR technical documentation (Annex II), 1 to 6, with their items.
pub static ANNEX_II: &[DocSection] = &[
    DocSection {
        number: 1,
        id: "Annex II 1",
        items: &[
            group("Annex II 1.1"),
            item("Annex II 1.1(a)"),
            item("Annex II 1.1(b)"),
            item("Annex II 1.1(c)"),
            item("Annex II 1.1(d)"),
            item("Annex II 1.1(e)"),
            item("Annex II 1.1(f)"),
            item("Annex II 1.1(g)"),
            item("Annex II 1.1(h)"),
            item("Annex II 1.1(i)"),
            item("Annex II 1.1(j)"),
            na(
                "Annex II 1.1(k)",
                "Software has no raw materials and no direct or indirect contact with the body.",
            ),
            item("Annex II 1.1(l)"),
            group("Annex II 1.2"),
            item("Annex II 1.2(a)"),
            item("Annex II 1.2(b)"),
        ],
    },
    DocSection {
        number: 2,
        id: "Annex II 2",
        items: &[item("Annex II 2(a)"), item("Annex II 2(b)")],
    },
    DocSection {
        number: 3,
        id: "Annex II 3",
        items: &[
            item("Annex II 3(a)"),
            item("Annex II 3(b)"),
            item("Annex II 3(c)"),
        ],
    },
    DocSection {
        number: 4,
        id: "Annex II 4",
        items: &[
            item("Annex II 4(a)"),
            item("Annex II 4(b)"),
            item("Annex II 4(c)"),
            item("Annex II 4(d)"),
        ],
    },
    DocSection {
        number: 5,
        id: "Annex II 5",
        items: &[item("Annex II 5(a)"), item("Annex II 5(b)")],
    },
    DocSection {
        number: 6,
        id: "Annex II 6",
        items: &[
            group("Annex II 6.1"),
            item("Annex II 6.1(a)"),
            item("Annex II 6.1(b)"),
            item("Annex II 6.1(c)"),
            item("Annex II 6.1(d)"),
            group("Annex II 6.2"),
            na(
                "Annex II 6.2(a)",
                "The device incorporates no medicinal substance.",
            ),
            na(
                "Annex II 6.2(b)",
                "The device is not manufactured with tissues or cells of human or animal origin.",
            ),
            na(
                "Annex II 6.2(c)",
                "The device is not composed of substances introduced into the body.",
            ),
            na(
                "Annex II 6.2(d)",
                "Software contains no CMR or endocrine-disrupting substances.",
            ),
            na(
                "Annex II 6.2(e)",
                "The device is not placed on the market sterile or in a defined \
                 microbiological condition.",
            ),
            na(
                "Annex II 6.2(f)",
                "The device has no measuring function: its output is a score and a binary \
                 result; its diagnostic accuracy is documented under 6.1(b).",
            ),
            item("Annex II 6.2(g)"),
        ],
    },
];

/// The post-market surveillance plan (MDR Annex III section 1.1, Article 84) and the
/// periodic reports (section 1.2).
pub static ANNEX_III: &[PmsItem] = &[
    PmsItem {
        id: "Annex III 1.1(a)",
        elements: &[
            "Serious incidents, including information from PSURs, and field safety \
             corrective actions",
            "Non-serious incidents and data on any undesirable side-effects",
            "Information from trend reporting",
            "Relevant specialist or technical literature, databases and registers",
            "Feedback and complaints from users, distributors and importers",
            "Publicly available information about similar medical devices",
        ],
    },
    PmsItem {
        id: "Annex III 1.1(b)",
        elements: &[
            "A proactive and systematic process to collect the information of 1.1(a), \
             allowing a correct characterisation of the device's performance",
            "Effective and appropriate methods and processes to assess the collected data",
            "Suitable indicators and threshold values for the continuous reassessment of \
             the benefit-risk analysis and of the risk management (Annex I section 3)",
            "Effective and appropriate methods and tools to investigate complaints and \
             analyse market-related experience collected in the field",
            "Methods and protocols to manage the events subject to trend reporting \
             (Article 88), including how a statistically significant increase in the \
             frequency or severity of incidents is established, and the observation period",
            "Methods and protocols to communicate with competent authorities, notified \
             bodies, economic operators and users",
            "Reference to the procedures that fulfil the obligations of Articles 83, 84 \
             and 86",
            "Systematic procedures to identify and initiate appropriate measures, \
             including corrective actions",
            "Effective tools to trace and identify devices for which corrective actions \
             might be necessary",
            "A PMCF plan (Annex XIV Part B), or a justification of why PMCF does not apply",
        ],
    },
    PmsItem {
        id: "Annex III 1.2",
        elements: &[
            "Periodic safety update report (Article 86) for classes IIa, IIb and III: \
             updated at least every two years for class IIa, at least annually for \
             classes IIb and III",
            "Post-market surveillance report (Article 85) for class I, updated when \
             necessary",
        ],
    },
];
