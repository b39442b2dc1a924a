//! What a segmentation benchmark establishes: each case's metrics per structure, and
//! each structure's summaries over the cases (with the volumes' agreement where the
//! manifest quantifies them). Cases are named by keyed pseudonyms, never by a UID.

use crate::metrics::agreement::Agreement;
use crate::metrics::segmentation::{CaseMetrics, StructureSummary};
use serde::{Deserialize, Serialize};

/// The evidence of a segmentation benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentationEvidence {
    /// The structures, in the manifest's order.
    pub structures: Vec<String>,
    /// The cases (one series each), in the order of their pseudonyms.
    pub cases: Vec<Case>,
    /// Per structure (in [`SegmentationEvidence::structures`]' order), its summaries.
    pub summaries: Vec<StructureResult>,
    /// Series of the reference folder that no row of the masks file names (not scored).
    pub series_without_mask: u64,
}

/// One case: a series, its reference mask and the model's prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Keyed pseudonym of the SeriesInstanceUID.
    pub series: String,
    /// Keyed pseudonym of the PatientID (the bootstrap's cluster).
    pub patient: String,
    /// Slices of the series.
    pub slices: u64,
    /// PatientSex as stored in its first slice (`M`, `F`, `O` or empty).
    #[serde(default)]
    pub sex: String,
    /// Age band from its first slice's PatientAge ([`crate::dicom::ScanInfo::age_band`]).
    #[serde(default)]
    pub age_band: String,
    /// Manufacturer of its first slice.
    #[serde(default)]
    pub manufacturer: String,
    /// The series' voxels along x, y and z.
    pub size: [usize; 3],
    /// Its spacing (mm) along x, y and z.
    pub spacing: [f64; 3],
    /// Per structure, in the manifest's order, the metrics of this case.
    pub metrics: Vec<CaseMetrics>,
}

/// One structure's results over the cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureResult {
    /// The structure.
    pub name: String,
    /// Its metrics' summaries.
    pub summary: StructureSummary,
    /// The agreement of its predicted volumes with the reference's (mL), when the
    /// manifest quantifies it; none otherwise, or with fewer than two cases.
    pub volume: Option<Agreement>,
    /// Why the agreement is none although the structure is quantified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_missing: Option<String>,
}
