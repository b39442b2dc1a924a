//! Concrete syntax: the pest grammar and the conversion of its pairs into the AST.
//! This is the only module that sees pest.

mod depth;
mod errors;
mod parse;

pub use parse::parse_module;

#[derive(pest_derive::Parser)]
#[grammar = "syntax/grammar.pest"]
pub(crate) struct ClicParser;
