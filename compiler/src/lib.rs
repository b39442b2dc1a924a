//! The clic language compiler.
//!
//! It turns `.clic` sources (model manifests, policies, waivers, tests) into a
//! [`Plan`]: the checks to run, each with its citations, severity, stage, the facts it
//! reads and its expression in a small IR. The stages are `syntax` (pest, the only
//! place that sees the grammar) -> `ast` -> `resolve` (imports, names) -> `typeck`
//! (against the fact schema in `schema`) -> `plan`. Every error is a [`Diagnostic`]
//! with a stable code. The compiler is pure: file access goes through a [`Loader`].

pub mod ast;
mod dates;
pub mod diagnostics;
pub mod fmt;
pub mod frameworks;
pub mod plan;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod stdlib;
mod syntax;
mod typeck;

pub use ast::Literal;
pub use dates::{is_calendar_date, utc_date};
pub use diagnostics::{Code, Diagnostic};
pub use plan::Plan;
pub use resolve::{Loader, NoImports, Program};
pub use source::{FileId, Loc, Origin, SourceMap};
pub use syntax::parse_module;

/// The result of a compilation: the sources it read, the diagnostics, and the Plan
/// when there was no error.
#[derive(Debug)]
pub struct Compilation {
    /// Every file read.
    pub sources: SourceMap,
    /// Every error, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The Plan, present exactly when `diagnostics` is empty.
    pub plan: Option<Plan>,
    /// The resolved program (for `clic explain` and the formatter's callers).
    pub program: Program,
}

/// Compiles project sources given as `(path, text)`, reading imports through `loader`.
pub fn compile(roots: Vec<(String, String)>, loader: &mut dyn Loader) -> Compilation {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    let program = resolve::resolve(&mut sources, roots, loader, &mut diagnostics);
    typeck::check_program(&program, &mut diagnostics);
    diagnostics.sort_by_key(|d| d.loc().map(|l| (l.file, l.start)));
    let plan = diagnostics
        .is_empty()
        .then(|| plan::lower(&program, &sources));
    Compilation {
        sources,
        diagnostics,
        plan,
        program,
    }
}

/// Compiles a single source text that imports nothing by path.
pub fn compile_str(path: &str, text: &str) -> Compilation {
    compile(vec![(path.to_string(), text.to_string())], &mut NoImports)
}
