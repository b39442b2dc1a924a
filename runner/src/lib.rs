//! The clic runner: it takes a compiled [`Plan`](clic_compiler::Plan), gathers the
//! facts its checks need from providers (`facts`), evaluates every check (`eval`),
//! applies waivers, and records the outcome as [`Evidence`](evidence::Evidence). It
//! knows nothing of syntax: the Plan and the fact schema are its whole contract with
//! the compiler.

pub mod allowed_signers;
pub mod bench;
pub mod budget;
pub mod dicom;
pub mod documents;
pub mod engine;
pub mod eval;
pub mod evidence;
pub mod facts;
pub mod fsio;
pub mod metrics;
pub mod paths;
pub mod pseudonym;
pub mod stats;
pub mod task;
pub mod testing;
pub mod volume;
