//! The fact schema: one declaration of every fact the checks can read, with its type,
//! the provider that fills it, and a one-line doc. The type checker, `clic explain`
//! and the runner's provider registry all read this table. The metrics' facts come from
//! one row each in the metric registry ([`metrics`]).

pub mod metrics;
pub mod segmentation;
mod table;

pub use metrics::CLAIMS;
pub use table::{FACTS, RECORDS};

use serde::{Deserialize, Serialize};

/// The component of the runner that computes a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// The model manifest itself.
    Model,
    /// The ONNX artifact.
    Artifact,
    /// The reference DICOM scans.
    Scans,
    /// The benchmark of the model on the reference scans.
    Benchmark,
    /// The git repository.
    Git,
    /// The human-written documents.
    Documents,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 6] = [
        Provider::Model,
        Provider::Artifact,
        Provider::Scans,
        Provider::Benchmark,
        Provider::Git,
        Provider::Documents,
    ];

    /// The root of the facts it provides.
    pub fn root(self) -> &'static str {
        match self {
            Provider::Model => "model",
            Provider::Artifact => "artifact",
            Provider::Scans => "scans",
            Provider::Benchmark => "benchmark",
            Provider::Git => "git",
            Provider::Documents => "documents",
        }
    }
}

/// Declaration of one fact.
#[derive(Debug, Clone, Copy)]
pub struct FactDef {
    /// Dotted path, e.g. `benchmark.sensitivity`.
    pub path: &'static str,
    /// Type, written as in [`Type::parse`].
    pub ty: &'static str,
    /// Types of the call arguments, for facts read as calls (`benchmark.by("Manufacturer")`).
    pub params: &'static [&'static str],
    /// The provider that fills it.
    pub provider: Provider,
    /// One line for users.
    pub doc: &'static str,
}

impl FactDef {
    /// The parsed type.
    pub fn ty(&self) -> Type {
        Type::parse(self.ty)
    }
}

/// Declaration of a record type.
#[derive(Debug, Clone, Copy)]
pub struct RecordDef {
    /// Name, e.g. `Subgroup`.
    pub name: &'static str,
    /// One line for users.
    pub doc: &'static str,
    /// Fields: name, type, doc.
    pub fields: &'static [(&'static str, &'static str, &'static str)],
}

/// The type of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// true / false.
    Bool,
    /// A real number.
    Number,
    /// An estimate in 0..1 with its number of cases and 95% interval; reads as a Number.
    Proportion,
    /// Text.
    String,
    /// A calendar date.
    Date,
    /// A semantic version.
    Version,
    /// A device class, ordered I < IIa < IIb < III.
    Class,
    /// A list.
    List(Box<Type>),
    /// A named record.
    Record(&'static str),
    /// The type of `none` and of an empty list's elements: fits anything.
    Any,
}

impl Type {
    /// Parses `Number`, `List<Subgroup>`, ...; unknown names are records.
    pub fn parse(s: &str) -> Type {
        match s {
            "Bool" => Type::Bool,
            "Number" => Type::Number,
            "Proportion" => Type::Proportion,
            "String" => Type::String,
            "Date" => Type::Date,
            "Version" => Type::Version,
            "Class" => Type::Class,
            _ => match s.strip_prefix("List<").and_then(|r| r.strip_suffix('>')) {
                Some(inner) => Type::List(Box::new(Type::parse(inner))),
                None => RECORDS
                    .iter()
                    .find(|r| r.name == s)
                    .map_or(Type::Any, |r| Type::Record(r.name)),
            },
        }
    }

    /// Whether a value of this type reads as a number.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Number | Type::Proportion | Type::Any)
    }

    /// Whether values of the two types can be compared or assigned.
    pub fn fits(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Any, _) | (_, Type::Any) => true,
            (a, b) if a.is_numeric() && b.is_numeric() => true,
            (Type::List(a), Type::List(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }

    /// The record declaration behind a record type (Proportion included).
    pub fn record(&self) -> Option<&'static RecordDef> {
        let name = match self {
            Type::Record(n) => *n,
            Type::Proportion => "Proportion",
            _ => return None,
        };
        RECORDS.iter().find(|r| r.name == name)
    }
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Bool => f.write_str("Bool"),
            Type::Number => f.write_str("Number"),
            Type::Proportion => f.write_str("Proportion"),
            Type::String => f.write_str("String"),
            Type::Date => f.write_str("Date"),
            Type::Version => f.write_str("Version"),
            Type::Class => f.write_str("Class"),
            Type::List(t) => write!(f, "List<{t}>"),
            Type::Record(n) => f.write_str(n),
            Type::Any => f.write_str("none"),
        }
    }
}

/// The declaration of a fact path, if any.
pub fn fact(path: &str) -> Option<&'static FactDef> {
    FACTS.iter().find(|f| f.path == path)
}

/// Whether any fact lies under this prefix (`benchmark`, `git.head`).
pub fn is_prefix(prefix: &str) -> bool {
    FACTS.iter().any(|f| {
        f.path.len() > prefix.len()
            && f.path.starts_with(prefix)
            && f.path.as_bytes()[prefix.len()] == b'.'
    })
}

/// The document kinds a manifest may name, each read as `documents.<kind>`.
pub const DOCUMENT_KINDS: [&str; 11] = [
    "intended_use",
    "risk_management",
    "software_development_plan",
    "software_architecture",
    "soup_list",
    "clinical_evaluation",
    "ifu",
    "pms_plan",
    "dpia",
    "ai_questionnaire",
    "release_notes",
];
