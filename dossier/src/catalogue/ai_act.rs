//! The technical documentation of a high-risk AI system (AI Act Annex IV).

use super::{AnnexIvItem, AnnexIvPoint};

const fn point(id: &'static str, requires: &'static str) -> AnnexIvPoint {
    AnnexIvPoint {
        id: Some(id),
        requires,
    }
}

const fn text(requires: &'static str) -> AnnexIvPoint {
    AnnexIvPoint { id: None, requires }
}

/// The technical documentation of a high-risk AI system (AI Act Annex IV), items 1 to 9.
pub static ANNEX_IV: &[AnnexIvItem] = &[
    AnnexIvItem {
        number: 1,
        id: "Annex IV 1",
        points: &[
            point(
                "Annex IV 1(a)",
                "Its intended purpose, the name of the provider and the version of the system, \
                reflecting its relation to previous versions.",
            ),
            point(
                "Annex IV 1(b)",
                "How the system interacts, or can be used to interact, with hardware or \
                software, including other AI systems, that are not part of it.",
            ),
            point(
                "Annex IV 1(c)",
                "The versions of relevant software or firmware, and any requirement related to \
                version updates.",
            ),
            point(
                "Annex IV 1(d)",
                "All the forms in which the system is placed on the market or put into service, \
                e.g. software packages, downloads or APIs.",
            ),
            point(
                "Annex IV 1(e)",
                "The hardware on which the system is intended to run.",
            ),
            point(
                "Annex IV 1(f)",
                "Where the system is a component of products, photographs or illustrations of \
                their external features, marking and internal layout.",
            ),
            point(
                "Annex IV 1(g)",
                "A basic description of the user interface provided to the deployer.",
            ),
            point("Annex IV 1(h)", "Instructions for use for the deployer."),
        ],
    },
    AnnexIvItem {
        number: 2,
        id: "Annex IV 2",
        points: &[
            point(
                "Annex IV 2(a)",
                "The methods and steps of development, including recourse to pre-trained \
                systems or third-party tools and how they were used, integrated or modified.",
            ),
            point(
                "Annex IV 2(b)",
                "The design specifications: the general logic of the system and its algorithms, \
                key design choices with their rationale and assumptions (including about the \
                persons or groups it is used on), main classification choices, what it \
                optimises for and the relevance of its parameters, its expected output and \
                output quality, and trade-offs made to meet Chapter III Section 2.",
            ),
            point(
                "Annex IV 2(c)",
                "The system architecture, how software components build on or feed into each \
                other, and the computational resources used to develop, train, test and \
                validate it.",
            ),
            point(
                "Annex IV 2(d)",
                "Where relevant, datasheets of the training methods and data sets: provenance, \
                scope and main characteristics, how data were obtained and selected, labelling \
                procedures and data cleaning.",
            ),
            point(
                "Annex IV 2(e)",
                "An assessment of the human oversight measures needed under Article 14, \
                including technical measures that help deployers interpret the outputs \
                (Article 13(3)(d)).",
            ),
            point(
                "Annex IV 2(f)",
                "Where applicable, pre-determined changes to the system and its performance, \
                and the technical solutions that keep it compliant.",
            ),
            point(
                "Annex IV 2(g)",
                "The validation and testing procedures, the validation and testing data and \
                their main characteristics, the metrics of accuracy, robustness and \
                potentially discriminatory impact, and test logs and reports dated and signed \
                by the responsible persons.",
            ),
            point("Annex IV 2(h)", "The cybersecurity measures put in place."),
        ],
    },
    AnnexIvItem {
        number: 3,
        id: "Annex IV 3",
        points: &[
            text(
                "Its capabilities and limitations in performance, including the degrees of \
                accuracy for the specific persons or groups it is intended to be used on and \
                the overall expected level of accuracy for its intended purpose.",
            ),
            text(
                "The foreseeable unintended outcomes and sources of risk to health and safety, \
                fundamental rights and discrimination.",
            ),
            text(
                "The human oversight measures needed under Article 14, including the technical \
                measures that help deployers interpret the outputs.",
            ),
            text("Specifications of the input data, as appropriate."),
        ],
    },
    AnnexIvItem {
        number: 4,
        id: "Annex IV 4",
        points: &[text(
            "A description of the appropriateness of the performance metrics for the \
                specific AI system.",
        )],
    },
    AnnexIvItem {
        number: 5,
        id: "Annex IV 5",
        points: &[text(
            "A detailed description of the risk management system in accordance with \
                Article 9.",
        )],
    },
    AnnexIvItem {
        number: 6,
        id: "Annex IV 6",
        points: &[text(
            "A description of the relevant changes made by the provider to the system \
                through its life cycle.",
        )],
    },
    AnnexIvItem {
        number: 7,
        id: "Annex IV 7",
        points: &[text(
            "The harmonised standards applied in full or in part; where none were applied, \
                the solutions adopted to meet Chapter III Section 2, with the other standards \
                and technical specifications applied.",
        )],
    },
    AnnexIvItem {
        number: 8,
        id: "Annex IV 8",
        points: &[text(
            "A copy of the EU declaration of conformity referred to in Article 47.",
        )],
    },
    AnnexIvItem {
        number: 9,
        id: "Annex IV 9",
        points: &[text(
            "A detailed description of the system that evaluates the AI system's \
                performance in the post-market phase under Article 72, including the post- \
                market monitoring plan of Article 72(3).",
        )],
    },
];
