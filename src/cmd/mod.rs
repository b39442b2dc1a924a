//! The subcommands.

pub mod bench;
mod bench_findings;
mod bench_segmentation;
mod bench_shard;
pub mod cache;
pub mod check;
pub mod compile;
pub mod doctor;
pub mod dossier;
pub mod explain;
pub mod fmt;
pub mod init;
pub mod inspect;
pub mod test;
pub mod verify;

/// Exit status of a subcommand: the contract README.md states under "Exit codes".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Every gate passed.
    Ok = 0,
    /// A gate or a test failed.
    Failed = 1,
    /// The input is invalid; a diagnostic was printed.
    Invalid = 2,
}
