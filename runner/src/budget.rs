//! What one run may spend: the cores it uses, the size of what it reads, and the time a
//! model may take. The defaults bound a hostile input; a team with larger inputs (a whole
//! CT series in one multi-frame file, a labels file of millions of rows) raises them with
//! `--max-scan-bytes`, `--max-pixels`, `--max-list-bytes` and `--inference-timeout`.
//!
//! The reading limits decide what evidence is: a scan over a limit is unreadable, so a
//! benchmark made under raised limits is cached under them (a run with the defaults never
//! reuses it) and a dossier records them, for `clic verify --regenerate` to use again. The
//! time limit does not: it depends on the machine, and a run past it has no evidence.

use crate::dicom::Limits;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The limits on what a run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadLimits {
    /// The largest scan file read, and the most a deflated data set may inflate to.
    pub max_scan_bytes: u64,
    /// The most pixels an image may declare (Rows x Columns x frames x samples).
    pub max_pixels: u64,
    /// The largest labels file or training list read.
    pub max_list_bytes: u64,
}

impl ReadLimits {
    /// The DICOM part.
    pub fn scan(&self) -> Limits {
        Limits {
            max_scan_bytes: self.max_scan_bytes,
            max_pixels: self.max_pixels,
        }
    }

    /// Whether these are the defaults.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_scan_bytes: Limits::MAX_SCAN_BYTES,
            max_pixels: Limits::MAX_PIXELS,
            max_list_bytes: crate::bench::input::MAX_LIST_BYTES,
        }
    }
}

/// Everything a run may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Decoding and inference threads (at least one).
    pub threads: usize,
    /// What it reads.
    pub read: ReadLimits,
    /// How long one batch of inference may run.
    pub inference_timeout: Duration,
}

impl Budget {
    /// The default limits with `threads` threads; the inference budget from
    /// [`crate::engine::batch_timeout`].
    pub fn new(threads: usize) -> Self {
        Self {
            threads: threads.max(1),
            read: ReadLimits::default(),
            inference_timeout: crate::engine::batch_timeout(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_documented_constants() {
        let r = ReadLimits::default();
        assert!(r.is_default());
        assert_eq!(r.max_scan_bytes, 512 << 20);
        assert_eq!(r.max_pixels, 1 << 28);
        assert_eq!(r.max_list_bytes, 64 << 20);
        assert_eq!(r.scan(), Limits::default());
        let raised = ReadLimits {
            max_pixels: 1 << 30,
            ..r
        };
        assert!(!raised.is_default());
        assert_eq!(Budget::new(0).threads, 1);
    }

    #[test]
    fn a_record_with_an_unknown_limit_is_refused() {
        let e = serde_json::from_str::<ReadLimits>(
            r#"{"max_scan_bytes":1,"max_pixels":1,"max_list_bytes":1,"max_other":1}"#,
        );
        assert!(e.is_err());
    }
}
