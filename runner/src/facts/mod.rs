//! Fact providers. Each provider fills the facts of one root of the fact schema;
//! [`Facts`] routes a request to its provider and memoises the answer.
//!
//! Beside its code each provider declares the facts it serves (a table of fact paths
//! and how to read each, which its [`FactProvider::fact`] dispatches on) and the inputs
//! it reads ([`inputs`]); the schema stays the one contract the compiler reads, and
//! [`Conformance`] says where a provider and the schema disagree. A failure that an
//! input causes names it ([`BadInput`]), and so its diagnostic code.

pub mod artifact;
pub mod documents;
pub mod findings;
pub mod git;
mod model;
pub mod prevalence;
pub mod reference;
pub mod segmentation;

pub use artifact::ArtifactFacts;
pub use documents::DocumentsFacts;
pub use git::GitFacts;
pub use model::ModelFacts;

use clic_compiler::plan::{ModelSpec, Value};
use clic_compiler::schema::{self, Provider};
use std::collections::BTreeMap;

/// Why a fact has no value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unavailable {
    /// The fact, with its arguments.
    pub fact: String,
    /// Why, in words.
    pub reason: String,
    /// Whether the cause is invalid input (a missing or broken file): exit status 2.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invalid_input: bool,
    /// Which input is at fault, when `invalid_input` (then its diagnostic's code).
    // INVARIANT: `input.is_some() == invalid_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<BadInput>,
}

/// The input at fault when a fact cannot be computed because of it: what the user must
/// fix, and so the diagnostic code of the failure. Set by the provider at the point it
/// knows, never guessed from the fact's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadInput {
    /// The model artifact: missing, unreadable, not ONNX, refused, or not loadable or
    /// runnable by the backend (`clic::E021`).
    Model,
    /// The reference set: a scan, the labels file or the training list (`clic::E022`).
    Reference,
    /// A document the manifest names (`clic::E023`).
    Document,
    /// The allowed-signers (or revocation) file git's configuration names, against which
    /// signatures are verified (`clic::E031`).
    Signers,
}

impl BadInput {
    /// Its diagnostic code.
    pub fn code(self) -> clic_compiler::Code {
        match self {
            BadInput::Model => clic_compiler::Code::E021,
            BadInput::Reference => clic_compiler::Code::E022,
            BadInput::Document => clic_compiler::Code::E023,
            BadInput::Signers => clic_compiler::Code::E031,
        }
    }
}

/// Why a provider cannot give a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactError {
    /// Why, in words.
    pub reason: String,
    /// Whether the cause is invalid input rather than a missing provider or value.
    // INVARIANT: `invalid_input` implies `input.is_some()`; the constructors keep it.
    pub invalid_input: bool,
    /// Which input is at fault: always when `invalid_input`; also when an input makes the
    /// fact unavailable without being broken (a model that gives NaN scores).
    pub input: Option<BadInput>,
}

impl FactError {
    /// The fact cannot be computed here.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            invalid_input: false,
            input: None,
        }
    }

    /// An input file is missing or broken: `input` says which (exit status 2, with its
    /// code).
    pub fn invalid(input: BadInput, reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            invalid_input: true,
            input: Some(input),
        }
    }

    /// The fact cannot be computed because of `input`, which is not broken as a file is:
    /// the gate fails, the run does not (a model that gives NaN scores).
    pub fn unavailable_because(input: BadInput, reason: impl Into<String>) -> Self {
        Self {
            input: Some(input),
            ..Self::unavailable(reason)
        }
    }

    /// Its diagnostic code, when an input is at fault.
    pub fn code(&self) -> Option<clic_compiler::Code> {
        self.input.map(BadInput::code)
    }
}

/// A source of facts for one provider root.
///
/// Each provider declares beside its code the facts it serves ([`FactProvider::serves`],
/// read from the table its [`FactProvider::fact`] dispatches on) and the inputs it reads
/// ([`inputs`]); the schema stays the one contract the compiler reads, and
/// [`Conformance::of`] (which a runner test demands be empty for every provider) says
/// where the two disagree.
pub trait FactProvider {
    /// Which root it serves.
    fn provider(&self) -> Provider;
    /// Every fact path it serves: the rows of the table [`FactProvider::fact`] dispatches
    /// on, so that a path outside it is never served.
    fn serves(&self) -> Vec<String>;
    /// The value of a fact under its root. `Value::Null` means the fact is known to be absent.
    fn fact(&mut self, path: &str, args: &[Value]) -> Result<Value, FactError>;
}

/// A provider root that this build of clic does not fill yet: every fact under it is
/// unavailable, so a check that needs one fails with that reason rather than passing.
#[derive(Debug, Clone, Copy)]
pub struct NotProvided(pub Provider);

impl FactProvider for NotProvided {
    fn provider(&self) -> Provider {
        self.0
    }

    fn serves(&self) -> Vec<String> {
        Vec::new()
    }

    fn fact(&mut self, _: &str, _: &[Value]) -> Result<Value, FactError> {
        Err(FactError::unavailable(format!(
            "no provider computes `{}.*` facts in this version of clic",
            self.0.root()
        )))
    }
}

/// Where a provider's declaration and the schema disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conformance {
    /// Facts the schema gives the provider that it does not serve.
    pub unserved: Vec<String>,
    /// Facts it serves that the schema does not give it.
    pub undeclared: Vec<String>,
}

impl Conformance {
    /// How `provider`'s declaration compares with the schema's facts of its root.
    pub fn of(provider: &dyn FactProvider) -> Self {
        let served: std::collections::BTreeSet<String> = provider.serves().into_iter().collect();
        let declared: std::collections::BTreeSet<String> = schema::FACTS
            .iter()
            .filter(|f| f.provider == provider.provider())
            .map(|f| f.path.to_string())
            .collect();
        Self {
            unserved: declared.difference(&served).cloned().collect(),
            undeclared: served.difference(&declared).cloned().collect(),
        }
    }

    /// Whether the two agree.
    pub fn is_exact(&self) -> bool {
        self.unserved.is_empty() && self.undeclared.is_empty()
    }
}

/// The inputs a provider reads, declared beside it: what a staged change must touch for
/// the provider's facts to change (the pre-commit scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reads {
    /// Only the `.clic` sources (the manifest as the Plan carries it).
    Sources,
    /// These files and folders, as the manifest names them (relative to its folder).
    Files(Vec<String>),
    /// The repository itself: whatever is staged is its subject.
    Repository,
}

/// What `provider` reads for this manifest (none: the project has no manifest).
pub fn inputs(provider: Provider, spec: Option<&ModelSpec>) -> Reads {
    match provider {
        Provider::Model => model::inputs(spec),
        Provider::Artifact => artifact::inputs(spec),
        Provider::Scans | Provider::Benchmark => reference::inputs(spec),
        Provider::Git => git::inputs(spec),
        Provider::Documents => documents::inputs(spec),
    }
}

/// Facts set explicitly, e.g. by a test's `given`; everything else is unavailable.
#[derive(Debug, Clone, Default)]
pub struct GivenFacts {
    values: BTreeMap<(String, Vec<String>), Value>,
}

impl GivenFacts {
    /// Sets a fact.
    pub fn set(&mut self, path: &str, args: &[Value], value: Value) {
        self.values.insert(
            (path.to_string(), args.iter().map(Value::display).collect()),
            value,
        );
    }

    /// The value set for a fact.
    pub fn get(&self, path: &str, args: &[Value]) -> Option<&Value> {
        self.values
            .get(&(path.to_string(), args.iter().map(Value::display).collect()))
    }
}

/// Where facts come from during an evaluation.
pub trait FactSource {
    /// The value of a fact, or why it is unavailable.
    fn get(&mut self, path: &str, args: &[Value]) -> Result<Value, Unavailable>;
}

impl FactSource for GivenFacts {
    fn get(&mut self, path: &str, args: &[Value]) -> Result<Value, Unavailable> {
        GivenFacts::get(self, path, args)
            .cloned()
            .ok_or_else(|| Unavailable {
                fact: shown(path, args),
                reason: "the test does not give it".to_string(),
                invalid_input: false,
                input: None,
            })
    }
}

/// `path` or `path(arg, ...)`.
pub fn shown(path: &str, args: &[Value]) -> String {
    if args.is_empty() {
        path.to_string()
    } else {
        format!(
            "{path}({})",
            args.iter()
                .map(Value::display)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The registry: one provider per root, with memoised answers.
pub struct Facts {
    providers: Vec<Box<dyn FactProvider>>,
    memo: BTreeMap<String, Result<Value, Unavailable>>,
}

impl Facts {
    /// A registry over these providers; roots without one are [`NotProvided`].
    pub fn new(mut providers: Vec<Box<dyn FactProvider>>) -> Self {
        for p in Provider::ALL {
            if !providers.iter().any(|x| x.provider() == p) {
                providers.push(Box::new(NotProvided(p)));
            }
        }
        Self {
            providers,
            memo: BTreeMap::new(),
        }
    }
}

impl FactSource for Facts {
    fn get(&mut self, path: &str, args: &[Value]) -> Result<Value, Unavailable> {
        let key = shown(path, args);
        if let Some(hit) = self.memo.get(&key) {
            return hit.clone();
        }
        let result = match schema::fact(path) {
            None => Err(FactError::unavailable(format!(
                "`{path}` is not in the fact schema"
            ))),
            Some(def) => match self
                .providers
                .iter_mut()
                .find(|p| p.provider() == def.provider)
            {
                Some(p) => p.fact(path, args),
                None => Err(FactError::unavailable("no provider")),
            },
        }
        .map_err(|e| Unavailable {
            fact: key.clone(),
            reason: e.reason,
            invalid_input: e.invalid_input,
            // What it records is the code of an invalid input's diagnostic.
            input: e.input.filter(|_| e.invalid_input),
        });
        self.memo.insert(key, result.clone());
        result
    }
}
