//! The stable diagnostic codes, each with its long explanation (`clic explain E0xx`).
//!
//! The explanations live in `explain/E0xx.md`, one file per code as `rustc --explain` keeps
//! them: what the code means, then a `## Wrong` and a `## Fixed` example. The examples of
//! language errors are `clic` blocks that `compiler/tests/explanations.rs` compiles: the
//! wrong one must give exactly its code, the fixed one nothing.

/// A stable diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// Syntax error.
    E001,
    /// Unknown fact.
    E002,
    /// Type mismatch.
    E003,
    /// Unknown policy.
    E004,
    /// Unknown control.
    E005,
    /// Unknown framework in a citation.
    E006,
    /// Duplicate definition.
    E007,
    /// Import cycle.
    E008,
    /// Imported file cannot be read.
    E009,
    /// Invalid regular expression.
    E010,
    /// Missing mandatory statement.
    E011,
    /// Invalid literal.
    E012,
    /// Unknown field of a record.
    E013,
    /// Statement given twice.
    E014,
    /// Unknown variable or misuse of a variable.
    E015,
    /// Invalid manifest content.
    E016,
    /// Invalid test data.
    E017,
    /// A citation names a clause that its framework's catalogued part does not have.
    E018,
    /// An expression nested too deeply.
    E019,
    /// Input file or folder cannot be read.
    E020,
    /// A model artifact is missing, truncated or not ONNX.
    E021,
    /// The reference set cannot be benchmarked: an unreadable scan or labels file.
    E022,
    /// A document the manifest names cannot be read: outside the project, not UTF-8 text,
    /// or with malformed front matter.
    E023,
    /// A dossier's `evidence.json` is malformed: not its format, or an output path that
    /// is absolute, leaves the dossier or is listed twice.
    E030,
    /// A signing key, an allowed-signers file or a signature cannot be used.
    E031,
}

/// Every code, in order.
pub const ALL: [Code; 25] = [
    Code::E001,
    Code::E002,
    Code::E003,
    Code::E004,
    Code::E005,
    Code::E006,
    Code::E007,
    Code::E008,
    Code::E009,
    Code::E010,
    Code::E011,
    Code::E012,
    Code::E013,
    Code::E014,
    Code::E015,
    Code::E016,
    Code::E017,
    Code::E018,
    Code::E019,
    Code::E020,
    Code::E021,
    Code::E022,
    Code::E023,
    Code::E030,
    Code::E031,
];

impl Code {
    /// `clic::E001`
    pub fn id(self) -> String {
        format!("clic::{self:?}")
    }

    /// Parses `E001` or `clic::E001`.
    pub fn parse(s: &str) -> Option<Code> {
        let bare = s.strip_prefix("clic::").unwrap_or(s).to_ascii_uppercase();
        ALL.into_iter().find(|c| format!("{c:?}") == bare)
    }

    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            Code::E001 => "syntax error",
            Code::E002 => "unknown fact",
            Code::E003 => "type mismatch",
            Code::E004 => "unknown policy",
            Code::E005 => "unknown control",
            Code::E006 => "unknown framework",
            Code::E007 => "duplicate definition",
            Code::E008 => "import cycle",
            Code::E009 => "import not found",
            Code::E010 => "invalid regular expression",
            Code::E011 => "missing statement",
            Code::E012 => "invalid literal",
            Code::E013 => "unknown field",
            Code::E014 => "statement given twice",
            Code::E015 => "unknown variable",
            Code::E016 => "invalid manifest",
            Code::E017 => "invalid test data",
            Code::E018 => "unknown clause",
            Code::E019 => "expression nested too deeply",
            Code::E020 => "unreadable input",
            Code::E021 => "invalid model artifact",
            Code::E022 => "invalid reference set",
            Code::E023 => "invalid document",
            Code::E030 => "invalid dossier record",
            Code::E031 => "unusable key or signature input",
        }
    }

    /// The long explanation, with a wrong and a fixed example (Markdown).
    pub fn explanation(self) -> &'static str {
        match self {
            Code::E001 => include_str!("explain/E001.md"),
            Code::E002 => include_str!("explain/E002.md"),
            Code::E003 => include_str!("explain/E003.md"),
            Code::E004 => include_str!("explain/E004.md"),
            Code::E005 => include_str!("explain/E005.md"),
            Code::E006 => include_str!("explain/E006.md"),
            Code::E007 => include_str!("explain/E007.md"),
            Code::E008 => include_str!("explain/E008.md"),
            Code::E009 => include_str!("explain/E009.md"),
            Code::E010 => include_str!("explain/E010.md"),
            Code::E011 => include_str!("explain/E011.md"),
            Code::E012 => include_str!("explain/E012.md"),
            Code::E013 => include_str!("explain/E013.md"),
            Code::E014 => include_str!("explain/E014.md"),
            Code::E015 => include_str!("explain/E015.md"),
            Code::E016 => include_str!("explain/E016.md"),
            Code::E017 => include_str!("explain/E017.md"),
            Code::E018 => include_str!("explain/E018.md"),
            Code::E019 => include_str!("explain/E019.md"),
            Code::E020 => include_str!("explain/E020.md"),
            Code::E021 => include_str!("explain/E021.md"),
            Code::E022 => include_str!("explain/E022.md"),
            Code::E023 => include_str!("explain/E023.md"),
            Code::E030 => include_str!("explain/E030.md"),
            Code::E031 => include_str!("explain/E031.md"),
        }
    }
}
