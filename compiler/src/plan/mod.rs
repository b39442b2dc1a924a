//! The Plan: what the compiler hands the runner. It is plain serde data, so the two
//! sides share nothing but this module and the fact schema.

mod analysis;
mod lower;
pub use analysis::{
    Activation, Analysis, CompareSpec, FindingSpec, Level, ReadersSpec, UnitSpec, ViewRule,
    AGGREGATES, NONINFERIOR_METRICS, VIEW_ATTRIBUTES,
};
pub use lower::{sha256_hex, to_hex};
mod value;
mod volume;
pub use volume::{
    Interpolation3, SegmentationRule, SegmentationSpec, SeriesInputSpec, StructureClaim,
    StructureSpec, VolumeStep,
};

pub use crate::ast::{CmpOp, QuantKind};
pub(crate) use lower::lower;
pub use value::Value;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the Plan format; bumped on any incompatible change.
pub const PLAN_FORMAT: u32 = 1;

/// Everything the runner needs: the model spec, the checks, waivers and tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_FORMAT`].
    pub format: u32,
    /// The model manifest, if the project has one.
    pub model: Option<ModelSpec>,
    /// Checks, sorted by id.
    pub checks: Vec<Check>,
    /// Waivers, sorted by control id.
    pub waivers: Vec<WaiverSpec>,
    /// Test blocks, in source order.
    pub tests: Vec<TestSpec>,
    /// Every source file compiled, with its sha256.
    pub sources: Vec<SourceRef>,
}

/// A compiled source file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRef {
    /// Path as shown to users.
    pub path: String,
    /// `project` or `stdlib`.
    pub origin: crate::source::Origin,
    /// sha256 of its text.
    pub sha256: String,
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLoc {
    /// Path as shown to users.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset one past the end.
    pub end: usize,
}

/// The model manifest, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Intended purpose.
    pub purpose: String,
    /// Device class.
    pub class: String,
    /// Classification rule.
    pub classification_rule: Option<String>,
    /// Rule 11: significance of the information to the healthcare decision (MDCG 2019-11).
    /// Absent fields are left out of the Plan, so manifests without them keep their Plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub significance: Option<String>,
    /// Rule 11: state of the healthcare situation or patient condition (MDCG 2019-11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub situation: Option<String>,
    /// IEC 62304 software safety class: A, B or C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_class: Option<String>,
    /// The inference runtime the device ships with (`runtime onnxruntime "1.31.1"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeSpec>,
    /// The robustness study: the benchmark re-scored under each perturbation
    /// (`robustness { jpeg quality 75 noise 2% rotate 5 degrees }`); none when not declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robustness: Option<RobustnessSpec>,
    /// The deployment prevalences at which PPV and NPV are reported (`prevalence 2%, 5%`).
    #[serde(default, skip_serializing_if = "PrevalenceSpec::is_default")]
    pub prevalence: PrevalenceSpec,
    /// The ONNX artifact.
    pub artifact: ArtifactSpec,
    /// The input and its preprocessing.
    pub input: Option<InputSpec>,
    /// The output and its operating point.
    pub output: Option<OutputSpec>,
    /// The reference set.
    pub reference: Option<ReferenceSpec>,
    /// File listing the training patients.
    pub training_patients: Option<String>,
    /// Claims by name (fractions for percentages).
    pub claims: BTreeMap<String, f64>,
    /// Several findings, the unit of analysis, the compared version and their claims;
    /// left out of the Plan for the one-finding short form.
    #[serde(default, skip_serializing_if = "Analysis::is_default")]
    pub analysis: Analysis,
    /// The series inputs (`input "ct" series ...`), in the manifest's order; empty for a
    /// model of single images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series_inputs: Vec<SeriesInputSpec>,
    /// The segmentation output and its structures; none unless the manifest has a
    /// `segmentation` block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segmentation: Option<SegmentationSpec>,
    /// The structures whose volume is compared with the reference's (`quantify volume
    /// of liver, spleen`), in the manifest's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantify: Vec<String>,
    /// The claims on structures (`claims { liver { dice 0.9 hd95 at most 6 mm } }`), in
    /// the manifest's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub structure_claims: Vec<StructureClaim>,
    /// Documents by kind: path.
    pub documents: BTreeMap<String, String>,
    /// Policies in force, sorted.
    pub policies: Vec<String>,
    /// Where the manifest is.
    pub source: SourceLoc,
}

impl ModelSpec {
    /// Whether the model segments volumes (its manifest has a `segmentation` block).
    #[must_use]
    pub fn is_segmentation(&self) -> bool {
        self.segmentation.is_some()
    }

    /// Whether the model reads series (volumes) rather than single images.
    #[must_use]
    pub fn reads_series(&self) -> bool {
        !self.series_inputs.is_empty()
    }

    /// The names of the segmentation's structures, in the manifest's order; empty
    /// without a `segmentation` block.
    #[must_use]
    pub fn structures(&self) -> Vec<&str> {
        self.segmentation
            .iter()
            .flat_map(|s| s.structures.iter().map(|st| st.name.as_str()))
            .collect()
    }

    /// The claims on one structure, in the manifest's order.
    pub fn claims_on<'a>(&'a self, structure: &'a str) -> impl Iterator<Item = &'a StructureClaim> {
        self.structure_claims
            .iter()
            .filter(move |c| c.structure == structure)
    }
}

/// The artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactSpec {
    /// Path relative to the project root.
    pub path: String,
    /// Pinned digest.
    pub sha256: Option<String>,
}

/// The model input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Tensor name.
    pub tensor: String,
    /// Accepted modalities.
    pub modalities: Vec<String>,
    /// Preprocessing, in order.
    pub steps: Vec<Preprocess>,
}

impl InputSpec {
    /// The shape `[channels, height, width]` of one image's tensor after the steps, or
    /// none when no step fixes the size (the model takes a fixed size, so the manifest
    /// must). The batch dimension comes first in the model's input: `[N, C, H, W]`.
    #[must_use]
    pub fn tensor_shape(&self) -> Option<[usize; 3]> {
        tensor_shape(&self.steps)
    }
}

/// The shape `[channels, height, width]` the steps give every image, or none when no
/// step fixes the size: the last `resize`, `letterbox` or `crop` sets it, a later
/// `pad square` makes it square; `channels` sets the channels (1 otherwise).
#[must_use]
pub fn tensor_shape(steps: &[Preprocess]) -> Option<[usize; 3]> {
    let mut size: Option<(usize, usize)> = None;
    let mut channels = 1;
    for s in steps {
        match s {
            Preprocess::Resize { width, height, .. }
            | Preprocess::Letterbox { width, height, .. }
            | Preprocess::Crop { width, height, .. } => {
                size = Some((*height as usize, *width as usize));
            }
            Preprocess::PadSquare { .. } => size = size.map(|(h, w)| (h.max(w), h.max(w))),
            Preprocess::Channels { count } => channels = *count as usize,
            _ => {}
        }
    }
    size.map(|(h, w)| [channels, h, w])
}

/// One preprocessing step; the runner applies them in order. The exact formula of each
/// is documented on `clic_runner::dicom::preprocess` and in the README.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Preprocess {
    /// Modality LUT: from the file, or fixed.
    Rescale {
        /// Fixed slope and intercept; none means the file's own.
        fixed: Option<(f64, f64)>,
    },
    /// VOI window.
    Window {
        /// `dicom`, `fixed` or `minmax`.
        source: String,
        /// Fixed center and width.
        fixed: Option<(f64, f64)>,
        /// With `dicom`: fall back to min/max when the file has no window.
        else_minmax: bool,
    },
    /// A window between two percentiles of the image's values, to [0, 1].
    WindowPercentile {
        /// Lower percentile, in 0..100.
        low: f64,
        /// Upper percentile, above `low`, in 0..100.
        high: f64,
    },
    /// Invert MONOCHROME1 images.
    InvertMonochrome1,
    /// Clip the values to `[low, high]`.
    Clip {
        /// Lower bound.
        low: f64,
        /// Upper bound, above `low`.
        high: f64,
    },
    /// Resize.
    Resize {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Interpolation.
        interpolation: String,
    },
    /// Crop to `width` x `height`: at a column and row (its top-left pixel), or centred.
    Crop {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Column and row of the top-left pixel; none: centred.
        at: Option<(u32, u32)>,
    },
    /// Pad to a square with `fill`, the image centred.
    PadSquare {
        /// The value of the added pixels.
        fill: f64,
    },
    /// Resize keeping the aspect ratio to fit `width` x `height`, then pad to that size
    /// with `fill`, the image centred.
    Letterbox {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Interpolation.
        interpolation: String,
        /// The value of the added pixels.
        fill: f64,
    },
    /// The tensor's channels: 3 repeats a grayscale image in each (a colour image has
    /// its own three).
    Channels {
        /// 1 or 3.
        count: u32,
    },
    /// What a colour image becomes: `rgb` (its three channels) or `luminance`.
    Color {
        /// `rgb` or `luminance`.
        mode: String,
    },
    /// `(x - mean) / std`.
    Normalize {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// `(x - mean[c]) / std[c]` in channel `c`.
    NormalizeChannels {
        /// A mean per channel.
        mean: Vec<f64>,
        /// A standard deviation per channel.
        std: Vec<f64>,
    },
}

/// The model output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSpec {
    /// Tensor name.
    pub tensor: String,
    /// Which element of each scan's output row is the score (`index 1` of a `[N, 2]`
    /// softmax); none when the model gives one value per scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Operating threshold.
    pub threshold: f64,
    /// Whether a score equal to the threshold is positive.
    pub inclusive: bool,
    /// Meaning of a positive.
    pub positive: String,
}

/// The element index of an `output ... index N` statement: a whole number that fits
/// `u32`, else none.
pub fn output_index(value: f64) -> Option<u32> {
    (value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value)).then_some(value as u32)
}

/// The reference set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceSpec {
    /// Folder.
    pub path: String,
    /// Labels file.
    pub labels: String,
}

/// Severity of a control, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information.
    Info,
    /// Minor.
    Minor,
    /// Major.
    Major,
    /// Blocks the gate.
    Blocker,
}

impl Severity {
    /// Parses a severity as written.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "info" => Self::Info,
            "minor" => Self::Minor,
            "major" => Self::Major,
            "blocker" => Self::Blocker,
            _ => return None,
        })
    }

    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Blocker => "blocker",
        }
    }
}

/// The stage at which a control runs; each stage includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Every commit: cheap, cached.
    PreCommit,
    /// Every CI run.
    Ci,
    /// A release.
    Release,
}

impl Stage {
    /// Parses a stage as written.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pre-commit" => Self::PreCommit,
            "ci" => Self::Ci,
            "release" => Self::Release,
            _ => return None,
        })
    }

    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreCommit => "pre-commit",
            Self::Ci => "ci",
            Self::Release => "release",
        }
    }
}

/// A clause cited by a control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitationSpec {
    /// Framework id.
    pub framework: String,
    /// Framework short name, e.g. `MDR`.
    pub framework_name: String,
    /// Clause.
    pub clause: String,
}

/// One check: a control of a policy in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// `policy.control`.
    pub id: String,
    /// Policy name.
    pub policy: String,
    /// Policy title.
    pub policy_title: Option<String>,
    /// Control title.
    pub title: String,
    /// Citations.
    pub citations: Vec<CitationSpec>,
    /// Severity.
    pub severity: Severity,
    /// Stage.
    pub stage: Stage,
    /// The condition under which the control applies.
    pub applies_when: Option<Expectation>,
    /// What must hold; every one must.
    pub expect: Vec<Expectation>,
    /// How to fix a failure.
    pub help: Option<String>,
    /// Facts it reads, sorted.
    pub facts: Vec<String>,
    /// Where the control is declared.
    pub source: SourceLoc,
}

/// The robustness study of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustnessSpec {
    /// Each perturbation, in the manifest's order.
    pub perturbations: Vec<Perturbation>,
    /// The largest drop of a metric (AUC, sensitivity, specificity) under a perturbation
    /// that the manifest claims (`drop at most 3%`); 0.05 when not stated.
    pub max_drop: f64,
}

/// The bound on the largest drop when the manifest states none.
pub const DEFAULT_MAX_DROP: f64 = 0.05;

/// One perturbation of the robustness study, applied to the decoded image before the
/// preprocessing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perturbation {
    /// `jpeg quality 75`: through an 8-bit baseline JPEG at this quality (1..=100).
    Jpeg {
        /// The encoder's quality.
        quality: u32,
    },
    /// `jpeg2000 ratio 10`: through a lossy JPEG 2000 round trip at this compression ratio
    /// (uncompressed size over compressed size, > 1).
    Jpeg2000 {
        /// The compression ratio.
        ratio: f64,
    },
    /// `noise 2%`: Gaussian noise of this standard deviation, as a fraction of the stored
    /// range, seeded by the scan's digest.
    Noise {
        /// The fraction of the stored range.
        fraction: f64,
    },
    /// `rotate 5 degrees`: a bilinear rotation about the centre, counter-clockwise.
    Rotate {
        /// The angle.
        degrees: f64,
    },
}

impl Perturbation {
    /// As the manifest writes it: `jpeg quality 75`, `jpeg2000 ratio 10`, `noise 2%`,
    /// `rotate 5 degrees`.
    pub fn label(&self) -> String {
        match self {
            Perturbation::Jpeg { quality } => format!("jpeg quality {quality}"),
            Perturbation::Jpeg2000 { ratio } => format!("jpeg2000 ratio {ratio}"),
            Perturbation::Noise { fraction } => format!("noise {}%", fraction * 100.0),
            Perturbation::Rotate { degrees } => format!("rotate {degrees} degrees"),
        }
    }
}

/// The inference runtime the device ships with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeSpec {
    /// `onnxruntime` or `tract`, as clic names its backends.
    pub name: String,
    /// The version it ships with, as the runtime reports it; none when not declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The largest difference between the scores of two backends on the reference set at
    /// which evidence of another backend stands for this runtime's (`tolerance 0.0001`);
    /// none when not declared (evidence must then come from this runtime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
}

/// The deployment prevalences a manifest declares, as fractions in (0, 1) and in the order
/// written: the prevalence of the target condition where the device is used, at which
/// PPV and NPV are reported beside the reference set's own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrevalenceSpec {
    /// The model's `prevalence`: of its one finding, and of every finding that declares
    /// none of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model: Vec<f64>,
    /// Each finding's own (`... means "..." prevalence 2%`), by finding.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub findings: BTreeMap<String, Vec<f64>>,
}

impl PrevalenceSpec {
    /// Whether the manifest declares no prevalence.
    pub fn is_default(&self) -> bool {
        self.model.is_empty() && self.findings.is_empty()
    }

    /// The prevalences of a finding: its own, else the model's (empty: none declared).
    pub fn of(&self, finding: &str) -> &[f64] {
        self.findings
            .get(finding)
            .map_or(self.model.as_slice(), Vec::as_slice)
    }
}

/// An expression with its canonical text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    /// Canonical source text.
    pub text: String,
    /// The expression.
    pub ir: Ir,
}

/// A waiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiverSpec {
    /// Control id.
    pub control: String,
    /// Why.
    pub reason: String,
    /// Approver.
    pub approved_by: String,
    /// Last day it holds (YYYY-MM-DD, UTC).
    pub expires: String,
    /// Risk-file reference.
    pub risk: Option<String>,
    /// Where it is declared.
    pub source: SourceLoc,
}

/// A test block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestSpec {
    /// Name.
    pub name: String,
    /// Facts it sets.
    pub given: Vec<GivenFact>,
    /// Outcomes it expects.
    pub expect: Vec<ExpectedOutcome>,
    /// Where it is declared.
    pub source: SourceLoc,
}

/// A fact set by a test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GivenFact {
    /// Fact path.
    pub fact: String,
    /// Call arguments.
    pub args: Vec<Value>,
    /// The value, as a constant expression.
    pub value: Ir,
}

/// An outcome a test expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedOutcome {
    /// Control id.
    pub control: String,
    /// `passes`, `fails` or `skipped`.
    pub outcome: Outcome,
}

/// The outcome of a check in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every expectation held.
    Passes,
    /// One did not.
    Fails,
    /// The control did not apply.
    Skipped,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArithOp {
    /// `+`
    #[serde(rename = "+")]
    Add,
    /// `-`
    #[serde(rename = "-")]
    Sub,
    /// `*`
    #[serde(rename = "*")]
    Mul,
    /// `/`
    #[serde(rename = "/")]
    Div,
}

/// The expression IR: typed by the compiler, evaluated by the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Ir {
    /// A constant.
    Const {
        /// The value.
        value: Value,
    },
    /// A fact.
    Fact {
        /// Its path.
        path: String,
        /// Call arguments.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<Value>,
    },
    /// A bound variable.
    Var {
        /// Its name.
        name: String,
    },
    /// A field of a record.
    Field {
        /// The record.
        base: Box<Ir>,
        /// The field.
        field: String,
    },
    /// Negation.
    Not {
        /// Operand.
        arg: Box<Ir>,
    },
    /// Arithmetic negation.
    Neg {
        /// Operand.
        arg: Box<Ir>,
    },
    /// Conjunction (short-circuit).
    And {
        /// Left.
        lhs: Box<Ir>,
        /// Right.
        rhs: Box<Ir>,
    },
    /// Disjunction (short-circuit).
    Or {
        /// Left.
        lhs: Box<Ir>,
        /// Right.
        rhs: Box<Ir>,
    },
    /// Arithmetic.
    Arith {
        /// Operator.
        arith: ArithOp,
        /// Left.
        lhs: Box<Ir>,
        /// Right.
        rhs: Box<Ir>,
    },
    /// Comparison.
    Compare {
        /// Operator.
        cmp: CmpOp,
        /// Left.
        lhs: Box<Ir>,
        /// Right.
        rhs: Box<Ir>,
    },
    /// Membership.
    In {
        /// `not in`.
        negated: bool,
        /// Element.
        elem: Box<Ir>,
        /// List.
        list: Box<Ir>,
    },
    /// Regex match (unanchored, Rust regex syntax).
    Matches {
        /// The string.
        subject: Box<Ir>,
        /// The pattern.
        pattern: String,
    },
    /// Whether a value is present.
    Exists {
        /// The value.
        arg: Box<Ir>,
    },
    /// `all|any|none x in list: body`.
    Quantifier {
        /// Kind.
        kind: QuantKind,
        /// Bound variable.
        var: String,
        /// The list.
        over: Box<Ir>,
        /// The condition.
        body: Box<Ir>,
    },
    /// `count(list)`, `count(x in list: cond)`.
    Count {
        /// The list.
        over: Box<Ir>,
        /// Bound variable and condition.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<(String, Box<Ir>)>,
    },
    /// `value of n`: a proportion.
    Proportion {
        /// Point value.
        value: Box<Ir>,
        /// Number of cases.
        n: Box<Ir>,
    },
    /// A list.
    List {
        /// Items.
        items: Vec<Ir>,
    },
    /// A record.
    Record {
        /// Fields, sorted by name.
        fields: Vec<(String, Ir)>,
    },
}
