//! Reporters of a check run, one per file behind one trait: human text, `clic.check/1`
//! JSON, SARIF 2.1.0 and JUnit XML. [`Format`] is the one list of them, the command
//! line's `--format` values included.

pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use clic_compiler::plan::Plan;
use clic_runner::evidence::Evidence;

/// What a reporter reads: the plan, the evidence of the run, and the checked folder
/// relative to the repository root (`/`-separated; empty at the root or outside git),
/// which SARIF needs for its artifact locations.
pub struct Run<'a> {
    /// The compiled plan.
    pub plan: &'a Plan,
    /// The run's evidence.
    pub evidence: &'a Evidence,
    /// The checked folder, relative to the repository root.
    pub base: &'a str,
    /// Only what did not pass (`clic check -q`): the human report leaves out the rest.
    pub quiet: bool,
    /// Whether the report goes to a terminal that takes colour (not NO_COLOR).
    pub colour: bool,
}

/// A report of a run.
pub trait Reporter {
    /// The whole report, as written to its file or to standard output.
    fn render(&self, run: &Run<'_>) -> String;
}

/// The report formats of `clic check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// `clic.check/1` JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
}

impl Format {
    /// The reporter of this format.
    pub fn reporter(self) -> &'static dyn Reporter {
        match self {
            Format::Human => &human::Human,
            Format::Json => &json::Json,
            Format::Sarif => &sarif::Sarif,
            Format::Junit => &junit::Junit,
        }
    }
}
