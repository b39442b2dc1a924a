//! The series a model reads, chosen as a deployed app chooses it: by modality, series
//! description, image type and number of slices; one per named input of a study.

use super::Series;
use std::collections::BTreeMap;
use std::fmt;

/// What a manifest's `input "ct" series where ...` asks of a series. Every clause is
/// optional: an empty selector takes any series.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    /// The series' Modality is one of these (case-insensitive); any when empty.
    pub modalities: Vec<String>,
    /// SeriesDescription matches this (a search, as `regex::Regex::is_match`).
    pub description: Option<regex::Regex>,
    /// Each of these is among the series' ImageType values (case-insensitive).
    pub image_type: Vec<String>,
    /// The number of slices is within this inclusive range.
    pub slices: Option<(usize, usize)>,
}

impl Selector {
    /// Whether `series` is one this selector takes.
    pub fn matches(&self, series: &Series) -> bool {
        let modality = self.modalities.is_empty()
            || self
                .modalities
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&series.modality));
        let description = self
            .description
            .as_ref()
            .is_none_or(|re| re.is_match(&series.description));
        let image_type = self.image_type.iter().all(|want| {
            series
                .image_type
                .iter()
                .any(|have| have.eq_ignore_ascii_case(want))
        });
        let slices = self
            .slices
            .is_none_or(|(lo, hi)| (lo..=hi).contains(&series.len()));
        modality && description && image_type && slices
    }
}

impl fmt::Display for Selector {
    /// The manifest's words: `modality CT, description matches "abdomen", ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.modalities.is_empty() {
            parts.push(format!("modality {}", self.modalities.join(" or ")));
        }
        if let Some(re) = &self.description {
            parts.push(format!("description matches {:?}", re.as_str()));
        }
        if !self.image_type.is_empty() {
            parts.push(format!("image type {}", self.image_type.join(" and ")));
        }
        if let Some((lo, hi)) = self.slices {
            parts.push(format!("slices {lo} to {hi}"));
        }
        if parts.is_empty() {
            f.write_str("any series")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// A series as an error message lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// SeriesInstanceUID.
    pub uid: String,
    /// SeriesDescription.
    pub description: String,
    /// Modality.
    pub modality: String,
    /// ImageType's values.
    pub image_type: Vec<String>,
    /// Its number of slices.
    pub slices: usize,
}

impl Candidate {
    fn of(s: &Series) -> Self {
        Self {
            uid: s.uid.clone(),
            description: s.description.clone(),
            modality: s.modality.clone(),
            image_type: s.image_type.clone(),
            slices: s.len(),
        }
    }
}

fn list(candidates: &[Candidate]) -> String {
    if candidates.is_empty() {
        return "none".to_owned();
    }
    candidates
        .iter()
        .map(|c| {
            format!(
                "`{}` ({} `{}`, {}, {} slice(s))",
                c.uid,
                c.modality,
                c.description,
                c.image_type.join("\\"),
                c.slices
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why no single series was selected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// No series matches.
    #[error("no series matches {selector}; the series are: {}", list(.series))]
    NoMatch {
        /// The selector, in the manifest's words.
        selector: String,
        /// Every series there was.
        series: Vec<Candidate>,
    },
    /// Several match where one is expected.
    #[error("several series where one is expected: {} match {selector}: {}", .matches.len(), list(.matches))]
    Several {
        /// The selector, in the manifest's words.
        selector: String,
        /// The matching series, in UID order.
        matches: Vec<Candidate>,
    },
}

/// The one series of `series` that `sel` takes: an error when none or several do.
pub fn select<'a>(series: &'a [Series], sel: &Selector) -> Result<&'a Series, SelectError> {
    select_from(series.iter(), sel)
}

fn select_from<'a>(
    series: impl Iterator<Item = &'a Series> + Clone,
    sel: &Selector,
) -> Result<&'a Series, SelectError> {
    let mut matches: Vec<&Series> = series.clone().filter(|s| sel.matches(s)).collect();
    matches.sort_by(|a, b| a.uid.cmp(&b.uid));
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(SelectError::NoMatch {
            selector: sel.to_string(),
            series: series.map(Candidate::of).collect(),
        }),
        several => Err(SelectError::Several {
            selector: sel.to_string(),
            matches: several.iter().map(|s| Candidate::of(s)).collect(),
        }),
    }
}

/// The series of one study.
#[derive(Debug, Clone)]
pub struct Study<'a> {
    /// StudyInstanceUID (empty for series without one, grouped together).
    pub uid: String,
    /// The PatientID of its first series.
    pub patient_id: String,
    /// Its series, in SeriesInstanceUID order.
    pub series: Vec<&'a Series>,
}

/// `series` grouped by StudyInstanceUID, in UID order.
pub fn by_study(series: &[Series]) -> Vec<Study<'_>> {
    let mut studies: BTreeMap<&str, Vec<&Series>> = BTreeMap::new();
    for s in series {
        studies.entry(&s.study_uid).or_default().push(s);
    }
    studies
        .into_iter()
        .map(|(uid, mut series)| {
            series.sort_by(|a, b| a.uid.cmp(&b.uid));
            Study {
                uid: uid.to_owned(),
                patient_id: series
                    .first()
                    .map(|s| s.patient_id.clone())
                    .unwrap_or_default(),
                series,
            }
        })
        .collect()
}

/// Why a named input found no single series in a study.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("input `{input}`, study `{study}`: {error}")]
pub struct InputError {
    /// The input's name.
    pub input: String,
    /// StudyInstanceUID.
    pub study: String,
    /// Why.
    #[source]
    pub error: SelectError,
}

/// One series per named input of a multi-sequence model (`input "flair" series where
/// ...`, `input "dwi" ...`), in the inputs' order; every input that found none or several
/// is an error.
pub fn select_inputs<'a>(
    study: &Study<'a>,
    inputs: &[(&str, &Selector)],
) -> Result<Vec<&'a Series>, Vec<InputError>> {
    let mut chosen = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (name, sel) in inputs {
        match select_from(study.series.iter().copied(), sel) {
            Ok(s) => chosen.push(s),
            Err(error) => errors.push(InputError {
                input: (*name).to_owned(),
                study: study.uid.clone(),
                error,
            }),
        }
    }
    if errors.is_empty() {
        Ok(chosen)
    } else {
        Err(errors)
    }
}
