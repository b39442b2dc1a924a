//! Reporters of a check run: human text, JSON, SARIF 2.1.0 and JUnit XML.

pub mod junit;
pub mod sarif;
