//! Images grouped into the manifest's units of analysis (each image, each study by
//! StudyInstanceUID, or each patient by PatientID), each unit's score per finding made
//! from its images' by the aggregation rule, and its label per finding resolved from
//! the labels file's rows (per image or per study).

use super::labels::{FindingLabels, KeyKind};
use crate::bench::BenchError;
use crate::dicom::{Placement, ScanInfo};
use clic_compiler::plan::{Level, UnitSpec};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One unit of analysis and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRow {
    /// The unit: its file for an image, else the pseudonym of its StudyInstanceUID or
    /// PatientID.
    pub key: String,
    /// The pseudonym of its patient (empty when the scans carry no PatientID).
    pub patient: String,
    /// Its images, by file, sorted.
    pub images: Vec<String>,
    /// The image a `view` rule chose, when it chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<String>,
    /// Its probability per finding, in the manifest's order.
    pub scores: Vec<f64>,
    /// The compared version's probability per finding, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<Vec<f64>>,
    /// Its label per finding; none where it is not labelled.
    pub labels: Vec<Option<bool>>,
}

/// One scored image: its info, placement and probability per finding (and the compared
/// version's).
pub struct Image<'a> {
    /// What the file says.
    pub info: &'a ScanInfo,
    /// Where it sits in its study.
    pub placement: &'a Placement,
    /// Probability per finding.
    pub scores: Vec<f64>,
    /// The compared version's, when there is one.
    pub released: Option<Vec<f64>>,
}

/// The units of `images` under `unit`, sorted by their first image's file, and how many
/// label rows matched no image. The order (and so the patients' cluster numbers, and the
/// bootstrap's draws) never depends on the pseudonyms, which differ from one project
/// secret to another: a regulator's clone gets the same intervals.
pub fn units(
    images: &[Image<'_>],
    unit: &UnitSpec,
    labels: &FindingLabels,
) -> Result<(Vec<UnitRow>, u64), BenchError> {
    let findings = labels.rows.values().next().map_or(0, Vec::len);
    let nf = images.first().map_or(findings, |i| i.scores.len());
    // The images of each unit.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, img) in images.iter().enumerate() {
        let key = match unit.level {
            Level::Image => img.info.file.clone(),
            Level::Study => required(&img.info.study_hash, &img.info.file, "StudyInstanceUID")?,
            Level::Patient => required(&img.info.patient_hash, &img.info.file, "PatientID")?,
        };
        groups.entry(key).or_default().push(i);
    }
    // Each image's label per finding, from its own row or its study's.
    let image_key = |img: &Image<'_>| -> String {
        match labels.key {
            KeyKind::File => img.info.file.clone(),
            // A series' row carries its SeriesInstanceUID's pseudonym there
            // (`task::series`); which key fits what is scored is `labels::check_scored`'s.
            KeyKind::Sop | KeyKind::Series => img.placement.sop_hash.clone(),
            KeyKind::Study => img.info.study_hash.clone(),
        }
    };
    let mut matched: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(groups.len());
    for (key, members) in groups {
        let chosen = unit.view.as_ref().and_then(|rule| {
            rule.values.iter().find_map(|want| {
                members.iter().copied().find(|&m| {
                    images[m].placement.attribute(&rule.attribute) == Some(want.as_str())
                })
            })
        });
        let scores =
            aggregate(images, &members, chosen, nf, &unit.aggregate, false).unwrap_or_default();
        let released = aggregate(images, &members, chosen, nf, &unit.aggregate, true);
        // A unit's label: positive when any of its labelled rows is, negative when all
        // of them are negative, none when none is labelled.
        let mut unit_labels: Vec<Option<bool>> = vec![None; nf];
        let mut rows_seen = BTreeSet::new();
        for &m in &members {
            let k = image_key(&images[m]);
            if k.is_empty() || !rows_seen.insert(k.clone()) {
                continue;
            }
            if let Some(row) = labels.rows.get(&k) {
                matched.insert(k);
                for (u, l) in unit_labels.iter_mut().zip(row) {
                    if let Some(l) = l {
                        *u = Some(u.unwrap_or(false) || *l);
                    }
                }
            }
        }
        let mut files: Vec<String> = members
            .iter()
            .map(|&m| images[m].info.file.clone())
            .collect();
        files.sort();
        let patient = images[members[0]].info.patient_hash.clone();
        out.push(UnitRow {
            key,
            patient,
            images: files,
            chosen: chosen.map(|c| images[c].info.file.clone()),
            scores,
            released,
            labels: unit_labels,
        });
    }
    out.sort_by(|a, b| a.images.cmp(&b.images));
    let unmatched = labels.rows.keys().filter(|k| !matched.contains(*k)).count() as u64;
    Ok((out, unmatched))
}

/// A unit's probability per finding: its chosen image's, else the rule over its images
/// (`mean`, or `max`); the compared version's when `released` (none without one).
fn aggregate(
    images: &[Image<'_>],
    members: &[usize],
    chosen: Option<usize>,
    findings: usize,
    rule: &str,
    released: bool,
) -> Option<Vec<f64>> {
    let scores = |m: usize| -> Option<&Vec<f64>> {
        if released {
            images[m].released.as_ref()
        } else {
            Some(&images[m].scores)
        }
    };
    if let Some(c) = chosen {
        return scores(c).cloned();
    }
    let rows: Vec<&Vec<f64>> = members.iter().filter_map(|&m| scores(m)).collect();
    if rows.is_empty() {
        return None;
    }
    Some(
        (0..findings)
            .map(|f| {
                let values = rows.iter().map(|r| r[f]);
                if rule == "mean" {
                    values.sum::<f64>() / rows.len() as f64
                } else {
                    values.fold(f64::NEG_INFINITY, f64::max)
                }
            })
            .collect(),
    )
}

fn required(hash: &str, file: &str, attribute: &str) -> Result<String, BenchError> {
    if hash.is_empty() {
        return Err(BenchError::Unreadable {
            path: file.to_string(),
            reason: format!(
                "it has no {attribute}, so it cannot be grouped into its unit of analysis"
            ),
        });
    }
    Ok(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clic_compiler::plan::ViewRule;

    fn info(file: &str, study: &str, patient: &str) -> ScanInfo {
        ScanInfo {
            file: file.to_string(),
            study_hash: study.to_string(),
            patient_hash: patient.to_string(),
            ..ScanInfo::default()
        }
    }

    fn place(view: &str) -> Placement {
        Placement {
            view_position: view.to_string(),
            ..Placement::default()
        }
    }

    fn unit(level: Level, aggregate: &str, view: Option<&[&str]>) -> UnitSpec {
        UnitSpec {
            level,
            aggregate: aggregate.to_string(),
            view: view.map(|v| ViewRule {
                attribute: "ViewPosition".to_string(),
                values: v.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }

    fn labels(key: KeyKind, rows: &[(&str, &[Option<bool>])]) -> FindingLabels {
        FindingLabels {
            key,
            rows: rows
                .iter()
                .map(|(k, l)| (k.to_string(), l.to_vec()))
                .collect(),
            unknown_findings: Vec::new(),
            missing_findings: Vec::new(),
        }
    }

    /// Two studies of one patient: s1 a frontal (PA) and a lateral, s2 one AP image.
    fn fixture() -> (Vec<ScanInfo>, Vec<Placement>) {
        (
            vec![
                info("s1-lat.dcm", "S1", "P1"),
                info("s1-pa.dcm", "S1", "P1"),
                info("s2-ap.dcm", "S2", "P1"),
            ],
            vec![place("LL"), place("PA"), place("AP")],
        )
    }

    fn images<'a>(
        infos: &'a [ScanInfo],
        places: &'a [Placement],
        scores: &[[f64; 2]],
    ) -> Vec<Image<'a>> {
        infos
            .iter()
            .zip(places)
            .zip(scores)
            .map(|((info, placement), s)| Image {
                info,
                placement,
                scores: s.to_vec(),
                released: None,
            })
            .collect()
    }

    #[test]
    fn study_scores_by_max_mean_and_the_preferred_view() {
        let (infos, places) = fixture();
        let imgs = images(&infos, &places, &[[0.9, 0.1], [0.3, 0.6], [0.5, 0.5]]);
        let l = labels(KeyKind::Study, &[("S1", &[Some(true), Some(false)])]);
        let (max, unmatched) = units(&imgs, &unit(Level::Study, "max", None), &l).expect("units");
        assert_eq!(unmatched, 0);
        assert_eq!(max.len(), 2);
        assert_eq!(max[0].key, "S1");
        assert_eq!(max[0].scores, vec![0.9, 0.6]);
        assert_eq!(max[0].images, vec!["s1-lat.dcm", "s1-pa.dcm"]);
        assert_eq!(max[0].labels, vec![Some(true), Some(false)]);
        assert_eq!(max[1].labels, vec![None, None], "S2 has no label row");
        let (mean, _) = units(&imgs, &unit(Level::Study, "mean", None), &l).expect("units");
        assert!((mean[0].scores[0] - 0.6).abs() < 1e-12);
        // The frontal view when the study has one; else the rule.
        let (view, _) =
            units(&imgs, &unit(Level::Study, "max", Some(&["PA", "AP"])), &l).expect("units");
        assert_eq!(view[0].scores, vec![0.3, 0.6]);
        assert_eq!(view[0].chosen.as_deref(), Some("s1-pa.dcm"));
        assert_eq!(view[1].chosen.as_deref(), Some("s2-ap.dcm"));
        let (none, _) =
            units(&imgs, &unit(Level::Study, "mean", Some(&["LATERAL"])), &l).expect("units");
        assert_eq!(none[0].chosen, None);
        assert!((none[0].scores[1] - 0.35).abs() < 1e-12);
    }

    #[test]
    fn image_labels_make_study_and_patient_labels() {
        let (infos, places) = fixture();
        let imgs = images(&infos, &places, &[[0.9, 0.1], [0.3, 0.6], [0.5, 0.5]]);
        // Per image: the lateral positive for the first finding, the frontal negative;
        // the second finding labelled on the frontal only; a row for a missing file.
        let l = labels(
            KeyKind::File,
            &[
                ("s1-lat.dcm", &[Some(true), None]),
                ("s1-pa.dcm", &[Some(false), Some(false)]),
                ("gone.dcm", &[Some(true), Some(true)]),
            ],
        );
        let (studies, unmatched) =
            units(&imgs, &unit(Level::Study, "max", None), &l).expect("units");
        assert_eq!(unmatched, 1, "the row of gone.dcm");
        assert_eq!(
            studies[0].labels,
            vec![Some(true), Some(false)],
            "any positive image"
        );
        let (patients, _) = units(&imgs, &unit(Level::Patient, "max", None), &l).expect("units");
        assert_eq!(patients.len(), 1);
        assert_eq!(patients[0].images.len(), 3);
        assert_eq!(patients[0].scores, vec![0.9, 0.6]);
        let (each, _) = units(&imgs, &unit(Level::Image, "max", None), &l).expect("units");
        assert_eq!(each.len(), 3);
        assert_eq!(each[2].labels, vec![None, None]);
        // Study labels reach every image of the study when the unit is an image.
        let l = labels(KeyKind::Study, &[("S1", &[Some(true), Some(false)])]);
        let (each, _) = units(&imgs, &unit(Level::Image, "max", None), &l).expect("units");
        assert_eq!(each[0].labels, vec![Some(true), Some(false)]);
        assert_eq!(each[1].labels, vec![Some(true), Some(false)]);
    }

    #[test]
    fn a_scan_without_the_unit_attribute_is_named() {
        let infos = vec![info("a.dcm", "", "P1")];
        let places = vec![place("")];
        let imgs = images(&infos, &places, &[[0.1, 0.2]]);
        let l = labels(KeyKind::File, &[]);
        let e = units(&imgs, &unit(Level::Study, "max", None), &l).expect_err("no study uid");
        assert!(
            e.to_string().contains("`a.dcm`") && e.to_string().contains("StudyInstanceUID"),
            "{e}"
        );
    }
}
