//! Everything a dossier is made from, as typed inputs.

use crate::context::GitInfo;
use crate::integrity::FileHash;
use clic_compiler::plan::{ModelSpec, Plan};
use clic_runner::bench::BenchEvidence;
use clic_runner::evidence::Evidence;

/// Everything a dossier is made from.
pub struct Sources<'a> {
    /// The compiled project.
    pub plan: &'a Plan,
    /// Its model manifest.
    pub spec: &'a ModelSpec,
    /// The release-stage results.
    pub evidence: &'a Evidence,
    /// The benchmark evidence, or why there is none.
    pub bench: Result<&'a BenchEvidence, String>,
    /// The documents the manifest names, as read.
    pub documents: &'a [clic_runner::documents::LoadedDocument],
    /// Git state.
    pub git: &'a GitInfo,
    /// Every input with its hash.
    pub inputs: &'a [FileHash],
    /// The date waivers were evaluated as of.
    pub waivers_as_of: &'a str,
    /// The reading limits of the run (recorded in `results.json` when not the defaults,
    /// so that `clic verify --regenerate` reads as this run did).
    pub read_limits: &'a clic_runner::budget::ReadLimits,
    /// The version of clic that makes the dossier (recorded in it).
    pub clic_version: &'a str,
    /// What the model's graph declares (its opsets and operators, for the SBOM); none
    /// when the artifact cannot be read.
    pub graph: Option<&'a clic_runner::facts::artifact::onnx::OnnxInfo>,
}
