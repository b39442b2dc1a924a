//! The standard library: clic sources under `policies/`, embedded in the binary.

/// One embedded file: its path in the clic repository and its text.
#[derive(Debug, Clone, Copy)]
pub struct StdFile {
    /// Path shown in diagnostics, e.g. `policies/mdr.clic`.
    pub path: &'static str,
    /// The source.
    pub text: &'static str,
}

/// Every file of the standard library.
pub const FILES: &[StdFile] = &[
    StdFile {
        path: "policies/mdr.clic",
        text: include_str!("../../policies/mdr.clic"),
    },
    StdFile {
        path: "policies/iec62304.clic",
        text: include_str!("../../policies/iec62304.clic"),
    },
    StdFile {
        path: "policies/gdpr.clic",
        text: include_str!("../../policies/gdpr.clic"),
    },
    StdFile {
        path: "policies/ai_act.clic",
        text: include_str!("../../policies/ai_act.clic"),
    },
    StdFile {
        path: "policies/iso14971.clic",
        text: include_str!("../../policies/iso14971.clic"),
    },
    StdFile {
        path: "policies/dicom_deid.clic",
        text: include_str!("../../policies/dicom_deid.clic"),
    },
    StdFile {
        path: "policies/performance.clic",
        text: include_str!("../../policies/performance.clic"),
    },
];
