//! The metric registry: one row per clinical performance metric of the benchmark. The
//! `benchmark.<name>` and `model.claims.<name>` facts, the claims a manifest may make, the
//! metric fields of the `Subgroup` record, `clic bench`'s report and the dossier's tables
//! are all derived from these rows; the runner computes each row's value
//! (`clic_runner::metrics::registry`), and a runner test demands one computation per row.
//!
//! Adding a metric is adding a row here and its computation there.

use super::{FactDef, Provider};

/// What a metric's fact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An estimate in 0..1 with its n and 95% interval (a `Proportion` record).
    Proportion,
    /// A point value without interval (a `Number`).
    Number,
}

impl Kind {
    /// The type of its fact, as [`super::Type::parse`] reads it.
    pub const fn ty(self) -> &'static str {
        match self {
            Kind::Proportion => "Proportion",
            Kind::Number => "Number",
        }
    }
}

/// Which way a claim on the metric bounds it, and so what meets the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A floor (sensitivity 90%): met when the lower end of the 95% interval clears it.
    Lower,
    /// A ceiling on an error (ece 0.05): met when the point estimate stays within it.
    Upper,
}

/// How a value of the metric is shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// As a percentage with one decimal (81.4%).
    Percent,
    /// As a plain decimal (0.946).
    Decimal,
}

/// Declaration of one metric.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    /// Name, as a claim and a `benchmark` fact write it: `sensitivity`.
    pub name: &'static str,
    /// Its benchmark fact: `benchmark.<name>`.
    pub fact: &'static str,
    /// Its claim fact: `model.claims.<name>`.
    pub claim: &'static str,
    /// What its fact holds.
    pub kind: Kind,
    /// Which way a claim on it bounds it.
    pub bound: Bound,
    /// How its 95% interval is computed, as its `ci95.method` reads (`wilson`); none for a
    /// point value.
    pub interval: Option<&'static str>,
    /// How its values are shown.
    pub shown: Shown,
    /// Its name in reports' tables: `Sensitivity (recall)`.
    pub label: &'static str,
    /// The doc line of its benchmark fact.
    pub doc: &'static str,
    /// The doc line of its claim fact.
    pub claim_doc: &'static str,
    /// The doc line of its field in the `Subgroup` record; none: not computed per subgroup.
    pub subgroup: Option<&'static str>,
    /// How the post-market plan measures it in the field (MDR Annex III); none: as at
    /// release.
    pub monitoring: Option<&'static str>,
    /// The standard control whose result is the verdict on a claim of it; none: no
    /// standard control checks such a claim.
    pub control: Option<&'static str>,
}

impl MetricDef {
    /// The declaration of its benchmark fact.
    pub const fn fact_def(&self) -> FactDef {
        FactDef {
            path: self.fact,
            ty: self.kind.ty(),
            params: &[],
            provider: Provider::Benchmark,
            doc: self.doc,
        }
    }

    /// The declaration of its claim fact.
    pub const fn claim_def(&self) -> FactDef {
        FactDef {
            path: self.claim,
            ty: "Number",
            params: &[],
            provider: Provider::Model,
            doc: self.claim_doc,
        }
    }
}

/// One row: the name once, its two fact paths made from it.
macro_rules! metric {
    ($name:literal { $($field:ident: $value:expr),* $(,)? }) => {
        MetricDef {
            name: $name,
            fact: concat!("benchmark.", $name),
            claim: concat!("model.claims.", $name),
            $($field: $value),*
        }
    };
}

/// Every metric, in the order reports list them.
pub const METRICS: &[MetricDef] = &[
    metric!("sensitivity" {
        kind: Kind::Proportion,
        bound: Bound::Lower,
        interval: Some("wilson"),
        shown: Shown::Percent,
        label: "Sensitivity (recall)",
        doc: "Sensitivity (recall) with n and Wilson 95% interval.",
        claim_doc: "The claimed sensitivity; none when not claimed.",
        subgroup: Some("Sensitivity in the group."),
        monitoring: Some("confirmed positive cases flagged / confirmed positive cases, Wilson interval"),
        control: Some("mdr.performance.sensitivity-claim"),
    }),
    metric!("specificity" {
        kind: Kind::Proportion,
        bound: Bound::Lower,
        interval: Some("wilson"),
        shown: Shown::Percent,
        label: "Specificity",
        doc: "Specificity with n and Wilson 95% interval.",
        claim_doc: "The claimed specificity; none when not claimed.",
        subgroup: Some("Specificity in the group."),
        monitoring: Some("confirmed negative cases not flagged / confirmed negative cases, Wilson interval"),
        control: Some("mdr.performance.specificity-claim"),
    }),
    metric!("ppv" {
        kind: Kind::Proportion,
        bound: Bound::Lower,
        interval: Some("wilson"),
        shown: Shown::Percent,
        label: "Positive predictive value (sample prevalence)",
        doc: "Positive predictive value with n and Wilson 95% interval.",
        claim_doc: "The claimed positive predictive value; none when not claimed.",
        subgroup: Some("PPV in the group."),
        monitoring: Some("confirmed positives among flagged cases, Wilson interval"),
        control: Some("mdr.performance.ppv-claim"),
    }),
    metric!("npv" {
        kind: Kind::Proportion,
        bound: Bound::Lower,
        interval: Some("wilson"),
        shown: Shown::Percent,
        label: "Negative predictive value (sample prevalence)",
        doc: "Negative predictive value with n and Wilson 95% interval.",
        claim_doc: "The claimed negative predictive value; none when not claimed.",
        subgroup: Some("NPV in the group."),
        monitoring: Some("confirmed negatives among unflagged cases, Wilson interval"),
        control: Some("mdr.performance.npv-claim"),
    }),
    metric!("accuracy" {
        kind: Kind::Proportion,
        bound: Bound::Lower,
        interval: Some("wilson"),
        shown: Shown::Percent,
        label: "Accuracy",
        doc: "Accuracy with n and Wilson 95% interval.",
        claim_doc: "The claimed accuracy; none when not claimed.",
        subgroup: Some("Accuracy in the group."),
        monitoring: None,
        control: Some("mdr.performance.accuracy-claim"),
    }),
    metric!("balanced_accuracy" {
        kind: Kind::Proportion,
        bound: Bound::Lower,
        interval: Some("mover-wilson"),
        shown: Shown::Percent,
        label: "Balanced accuracy (mean of sensitivity and specificity)",
        doc: "Balanced accuracy, (sensitivity + specificity) / 2, with n and a 95% interval combining the two Wilson intervals by MOVER (Zou & Donner 2008); none when a class is absent.",
        claim_doc: "The claimed balanced accuracy; none when not claimed.",
        subgroup: Some("Balanced accuracy in the group; none when the group has one class only."),
        monitoring: Some("mean of the sensitivity and the specificity on the confirmed cases, their Wilson intervals combined by MOVER"),
        control: Some("mdr.performance.balanced-accuracy-claim"),
    }),
    metric!("f1" {
        kind: Kind::Proportion,
        bound: Bound::Lower,
        interval: Some("bootstrap-percentile"),
        shown: Shown::Percent,
        label: "F1 score",
        doc: "F1 score (harmonic mean of PPV and sensitivity).",
        claim_doc: "The claimed F1 score; none when not claimed.",
        subgroup: None,
        monitoring: None,
        control: Some("mdr.performance.f1-claim"),
    }),
    metric!("auc" {
        kind: Kind::Proportion,
        bound: Bound::Lower,
        interval: Some("delong"),
        shown: Shown::Decimal,
        label: "ROC AUC",
        doc: "ROC AUC with DeLong 95% interval.",
        claim_doc: "The claimed ROC AUC; none when not claimed.",
        subgroup: Some("ROC AUC in the group; none when the group has one class only."),
        monitoring: Some("ROC AUC of the scores against the confirmed diagnoses, DeLong interval"),
        control: Some("mdr.performance.auc-claim"),
    }),
    metric!("brier" {
        kind: Kind::Number,
        bound: Bound::Upper,
        interval: None,
        shown: Shown::Decimal,
        label: "Brier score",
        doc: "Brier score of the scores against the labels.",
        claim_doc: "The claimed Brier score (upper bound); none when not claimed.",
        subgroup: None,
        monitoring: Some("Brier score of the scores against the confirmed diagnoses (an upper bound: a reassessment is triggered when it exceeds the threshold)"),
        control: Some("mdr.performance.brier-claim"),
    }),
    metric!("ece" {
        kind: Kind::Proportion,
        bound: Bound::Upper,
        interval: Some("bootstrap-basic"),
        shown: Shown::Decimal,
        label: "Expected calibration error (10 bins)",
        doc: "Expected calibration error over 10 equal-width bins, with n and a seeded basic bootstrap 95% interval (2000 resamples of the cases, cut to 0..1; it corrects for the plug-in ECE's upward bias, so it may lie below the estimate). A claim on it is a ceiling on the estimate.",
        claim_doc: "The claimed expected calibration error (upper bound); none when not claimed.",
        subgroup: None,
        monitoring: Some("expected calibration error of the scores against the confirmed diagnoses (an upper bound: a reassessment is triggered when it exceeds the threshold)"),
        control: Some("mdr.performance.ece-claim"),
    }),
];

/// The declaration of a metric, if any.
pub fn metric(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.name == name)
}

/// The claims a manifest may make, each read as `model.claims.<name>`: every metric.
pub const CLAIMS: [&str; METRICS.len()] = {
    let mut out = [""; METRICS.len()];
    let mut i = 0;
    while i < METRICS.len() {
        out[i] = METRICS[i].name;
        i += 1;
    }
    out
};

/// The record fields every `Subgroup` has before its metrics.
const SUBGROUP_HEAD: [(&str, &str, &str); 5] = [
    ("attribute", "String", "The DICOM attribute grouped by."),
    ("value", "String", "The attribute's value for this group."),
    ("n", "Number", "Scans in the group."),
    ("positives", "Number", "Positive scans in the group."),
    ("negatives", "Number", "Negative scans in the group."),
];

/// The record field every `Subgroup` has after its metrics.
const SUBGROUP_TAIL: (&str, &str, &str) = (
    "vs_rest",
    "SubgroupComparison",
    "The group against the rest of the units (every other group of the attribute): the difference of its sensitivity, specificity and accuracy, with its 95% interval, whether the group is large enough to be judged, and the non-inferiority p values.",
);

const SUBGROUP_LEN: usize = {
    let (mut n, mut i) = (SUBGROUP_HEAD.len() + 1, 0);
    while i < METRICS.len() {
        if METRICS[i].subgroup.is_some() {
            n += 1;
        }
        i += 1;
    }
    n
};

/// The fields of the `Subgroup` record: its head, then every metric computed per
/// subgroup, in registry order, then its comparison with the rest.
pub const SUBGROUP_FIELDS: [(&str, &str, &str); SUBGROUP_LEN] = {
    let mut out = [("", "", ""); SUBGROUP_LEN];
    let mut i = 0;
    while i < SUBGROUP_HEAD.len() {
        out[i] = SUBGROUP_HEAD[i];
        i += 1;
    }
    let mut j = 0;
    while j < METRICS.len() {
        if let Some(doc) = METRICS[j].subgroup {
            out[i] = (METRICS[j].name, METRICS[j].kind.ty(), doc);
            i += 1;
        }
        j += 1;
    }
    out[i] = SUBGROUP_TAIL;
    out
};

/// The record fields every `Finding` has before its metrics.
const FINDING_HEAD: [(&str, &str, &str); 8] = [
    ("name", "String", "The finding, as the manifest names it."),
    ("n", "Number", "Units labelled for the finding and scored."),
    ("positives", "Number", "Units labelled positive for it."),
    ("negatives", "Number", "Units labelled negative for it."),
    ("unlabelled", "Number", "Units scored but not labelled for it."),
    ("threshold", "Number", "Its operating threshold, on the probability."),
    ("claimed", "Number", "How many claims the manifest makes on it."),
    (
        "claims_unmet",
        "List<String>",
        "Its claims the evidence does not meet, as `metric bound` (`sensitivity 90%`): a floor is met when the 95% interval's lower end clears it, a ceiling when the estimate stays within it.",
    ),
];

/// The record fields every `Finding` has after its metrics.
const FINDING_TAIL: [(&str, &str, &str); 3] = [
    (
        "subgroups",
        "List<Subgroup>",
        "Its metrics per value of every DICOM attribute clic groups by (each Subgroup's `attribute` says which), over the units whose first image has that value.",
    ),
    (
        "prevalence",
        "Proportion",
        "Its prevalence in the reference set: positives / n with its Wilson 95% interval, the prevalence at which its PPV, NPV, accuracy and F1 hold.",
    ),
    (
        "at_prevalence",
        "List<AtPrevalence>",
        "Its PPV and NPV at each deployment prevalence declared for it (its own `prevalence`, else the model's), in the order written; empty when none is declared or a class is absent.",
    ),
];

/// The metrics whose value depends on the prevalence of the set they are computed on:
/// reported as holding at the reference set's prevalence.
pub const PREVALENCE_DEPENDENT: [&str; 4] = ["ppv", "npv", "accuracy", "f1"];

const FINDING_LEN: usize = FINDING_HEAD.len() + METRICS.len() + FINDING_TAIL.len();

/// The fields of the `Finding` record: its head, every metric of the registry in
/// registry order (none where undefined, as the `benchmark.*` fact's doc says), then its
/// subgroups.
pub const FINDING_FIELDS: [(&str, &str, &str); FINDING_LEN] = {
    let mut out = [("", "", ""); FINDING_LEN];
    let mut i = 0;
    while i < FINDING_HEAD.len() {
        out[i] = FINDING_HEAD[i];
        i += 1;
    }
    let mut j = 0;
    while j < METRICS.len() {
        out[i] = (METRICS[j].name, METRICS[j].kind.ty(), METRICS[j].doc);
        i += 1;
        j += 1;
    }
    let mut k = 0;
    while k < FINDING_TAIL.len() {
        out[i] = FINDING_TAIL[k];
        i += 1;
        k += 1;
    }
    out
};

/// The metrics a `macro` or `worst` claim may bound.
pub const SUMMARY_METRICS: [&str; 3] = ["sensitivity", "specificity", "auc"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_paths_follow_them() {
        for (i, m) in METRICS.iter().enumerate() {
            assert!(METRICS[..i].iter().all(|o| o.name != m.name), "{}", m.name);
            assert_eq!(m.fact, format!("benchmark.{}", m.name));
            assert_eq!(m.claim, format!("model.claims.{}", m.name));
            assert_eq!(metric(m.name).map(|d| d.name), Some(m.name));
        }
    }

    #[test]
    fn intervals_and_bounds_agree_with_kinds() {
        for m in METRICS {
            // A point value has no interval whose lower end could clear a floor.
            match m.kind {
                Kind::Proportion => assert!(m.interval.is_some(), "{}", m.name),
                Kind::Number => {
                    assert!(m.interval.is_none(), "{}", m.name);
                    assert_eq!(m.bound, Bound::Upper, "{}", m.name);
                }
            }
            if m.subgroup.is_some() {
                assert_eq!(m.kind, Kind::Proportion, "{}", m.name);
            }
        }
    }

    #[test]
    fn every_metric_fact_is_declared() {
        for m in METRICS {
            for path in [m.fact, m.claim] {
                assert!(super::super::fact(path).is_some(), "{path}");
            }
        }
    }

    /// A claim's control is a standard control that reads the claim and the estimate it
    /// bounds, so its result is the gate's verdict on that claim.
    #[test]
    fn claim_controls_read_their_metric() {
        let mut modules = Vec::new();
        for f in crate::stdlib::FILES {
            for item in crate::parse_module(crate::FileId(0), f.text).0.items {
                if let crate::ast::Item::Policy(p) = item {
                    modules.push(p.node.name.node);
                }
            }
        }
        let source = format!("use {}\n", modules.join(", "));
        let plan = crate::compile_str("stdlib.clic", &source)
            .plan
            .expect("the standard library compiles");
        for m in METRICS {
            let Some(id) = m.control else { continue };
            let check = plan.checks.iter().find(|c| c.id == id).unwrap_or_else(|| {
                panic!("{}: no standard control `{id}`", m.name);
            });
            for path in [m.fact, m.claim] {
                assert!(
                    check.facts.iter().any(|f| f == path),
                    "{id} reads no {path}"
                );
            }
        }
    }
}
