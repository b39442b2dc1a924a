//! The stable diagnostic codes, each with its long explanation (`clic explain E0xx`).

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
        self.doc().0
    }

    /// The long explanation.
    pub fn explanation(self) -> &'static str {
        self.doc().1
    }

    fn doc(self) -> (&'static str, &'static str) {
        match self {
            Code::E001 => ("syntax error", "The text does not follow the clic grammar. The label shows where parsing stopped and what was expected there. Every broken statement of a file is reported, and the rest of the file is still checked."),
            Code::E002 => ("unknown fact", "An expression reads a fact that the fact schema does not declare. `clic explain facts` lists every fact with its type; the help suggests the closest name."),
            Code::E003 => ("type mismatch", "An operator or statement received a value of the wrong type, e.g. a date compared with a number, or an `expect` that is not a boolean. The message names both types."),
            Code::E004 => ("unknown policy", "A `use` names a policy that neither the standard library nor the project defines. Standard policies are imported by name (`use mdr.performance`); project files by quoted path."),
            Code::E005 => ("unknown control", "A waiver or a test names a control id that no policy in force defines. Control ids are `policy.control`, e.g. `mdr.performance.sensitivity-claim`."),
            Code::E006 => ("unknown framework", "A citation names a framework outside the built-in catalogue (mdr, ai_act, gdpr, iec62304, iso14971, iso13485, ps3_15, stard, claim, team_nb)."),
            Code::E007 => ("duplicate definition", "Two models, policies, controls, waivers or tests share a name. Names must be unique across the project and the standard library it uses."),
            Code::E008 => ("import cycle", "Files import each other in a cycle. Move the shared policies into a file that both import."),
            Code::E009 => ("import not found", "A `use \"path\"` names a file that cannot be read, or that lies outside the project folder."),
            Code::E010 => ("invalid regular expression", "The pattern after `matches` is not a valid regular expression (Rust `regex` syntax)."),
            Code::E011 => ("missing statement", "A block lacks a statement it must have: a control needs `cites`, `severity` and at least one `expect`; a waiver needs `reason`, `approved_by` and `expires`; a model needs `version`, `purpose`, `class` and `artifact`; a test needs at least one `expect`."),
            Code::E012 => ("invalid literal", "A literal cannot be read: a date that is not a calendar date, a percentage over 100%, a sha256 that is not 64 hex digits, a number out of range."),
            Code::E013 => ("unknown field", "A path reads a field that the record does not have. The help lists the closest field."),
            Code::E014 => ("statement given twice", "A statement that may appear once in a block appears more than once."),
            Code::E015 => ("unknown variable", "A name is used as a variable outside the quantifier that binds it, or a variable shadows a fact root."),
            Code::E016 => ("invalid manifest", "The model manifest holds a value that cannot be right: an unknown claim, an unknown document kind, an unknown interpolation, more than one model in a project."),
            Code::E017 => ("invalid test data", "A `given` in a test assigns a value whose type does not fit the fact, or an `expect` names an outcome twice."),
            Code::E018 => ("unknown clause", "A citation names a clause of a part of a framework that clic catalogues clause by clause (MDR Annex I, II and III, AI Act Annex IV), and that part has no such clause, e.g. `mdr \"Annex I 17.9\"`. The dossier's GSPR checklist, Annex II and Annex IV sections are built on these ids, so a mistyped one would leave a requirement uncovered. `clic explain` lists nothing here: the help names the closest clause. Citations of other parts and frameworks are accepted as written."),
            Code::E019 => ("expression nested too deeply", "An expression nests more than 128 levels deep. Each parenthesis, `not`, unary `-`, comparison, arithmetic operator (`a + b + c` is two levels), quantifier, `count`, list, record and call argument opens a level. Conditions joined by `and` or by `or` are not nested, however many there are: a chain of 10,000 of them is fine. The limit keeps a hostile or generated file from exhausting the stack of the compiler or of the evaluator; a file with brackets, `not`s or quantifiers nested several hundred deep is refused as a whole before it is parsed. Split the expression into several `expect` statements, or flatten it into a chain of `and` / `or`."),
            Code::E021 => ("invalid model artifact", "The ONNX file that the manifest names (or that `clic inspect model` was given) is missing, truncated, not ONNX, or lies outside the project. Facts about it cannot be established, so the run stops with exit status 2."),
            Code::E022 => ("invalid reference set", "A reference scan cannot be read or decoded (the message names the file and its transfer syntax), the labels file is invalid, or the manifest's reference folder is missing. A benchmark never skips a file silently: it stops with exit status 2."),
            Code::E023 => ("invalid document", "A document that the manifest's `documents` block names lies outside the project, is a folder, cannot be read, is not UTF-8 text, or has front matter that is not valid YAML (the message names the file and the line), e.g. an approval `date` that is not a calendar date YYYY-MM-DD. A missing document is not this error: it is reported by the checks that need it. The run stops with exit status 2."),
            Code::E030 => ("invalid dossier record", "The dossier's `evidence.json` cannot be what `clic dossier` wrote: it is not JSON of the record format this clic reads (`clic.dossier-evidence/2`), or it lists an output whose path is absolute, contains `..`, `.` or an empty part, or appears twice. `clic verify` reads nothing outside the dossier folder, so such a record is refused before any file is opened. A record of an older format is verified with the clic version it names."),
            Code::E031 => ("unusable key or signature input", "The SSH key given to `--sign` cannot be used (unreadable, not an OpenSSH private key, protected by a passphrase, or not ed25519), or the `--allowed-signers` file has a line that is not `principals [options] key-type base64-key [comment]` (the message names the line). clic never prompts for a passphrase: sign with an unencrypted key kept for releases, e.g. in the CI's secret store."),
            Code::E020 => ("unreadable input", "A file or folder given on the command line cannot be read, or holds no .clic file."),
        }
    }
}
