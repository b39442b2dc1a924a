//! The abstract syntax tree. Every node carries a [`Loc`]; nodes compare by structure only.

mod expr;

pub use expr::{BinOp, CmpOp, Expr, Literal, Path, QuantKind, Segment};

use crate::source::Loc;

/// A value with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<T> {
    /// The value.
    pub node: T,
    /// Where it was written.
    pub loc: Loc,
}

impl<T> Node<T> {
    /// Wraps a value.
    pub fn new(node: T, loc: Loc) -> Self {
        Self { node, loc }
    }
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `use a.b, "file.clic"`
    Use(Node<Vec<Node<UseTarget>>>),
    /// `model name { ... }`
    Model(Node<Model>),
    /// `policy name "title" { control ... }`
    Policy(Node<Policy>),
    /// `waiver control.id { ... }`
    Waiver(Node<Waiver>),
    /// `test "name" { given ... expect ... }`
    Test(Node<TestBlock>),
}

/// What a `use` names.
#[derive(Debug, Clone, PartialEq)]
pub enum UseTarget {
    /// A policy or policy module of the standard library or of the project: `mdr.performance`, `mdr`.
    Name(String),
    /// A project file, relative to the importing file: `"policies/local.clic"`.
    Path(String),
}

/// A model manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The model's name.
    pub name: Node<String>,
    /// Its statements in source order.
    pub stmts: Vec<Node<ModelStmt>>,
}

/// A statement of a model manifest.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelStmt {
    /// `version "1.4.0"`
    Version(Node<String>),
    /// `purpose "..."`
    Purpose(Node<String>),
    /// `class IIa by rule 11`
    Class {
        /// The device class.
        class: Node<DeviceClass>,
        /// The classification rule, e.g. `11`.
        rule: Option<Node<String>>,
    },
    /// `artifact "model.onnx" sha256 "..."`
    Artifact {
        /// Path of the ONNX file.
        path: Node<String>,
        /// The pinned digest.
        sha256: Option<Node<String>>,
    },
    /// `input "image" from dicom { ... }`
    Input {
        /// Input tensor name.
        tensor: Node<String>,
        /// The preprocessing steps in order.
        steps: Vec<Node<PrepStep>>,
    },
    /// `output "prob" [index 1] positive when >= 0.5 means "..."`
    Output {
        /// Output tensor name.
        tensor: Node<String>,
        /// Which element of a scan's output row is the score (`index 1` of a `[N, 2]`
        /// softmax); none when each scan has one value.
        index: Option<Node<Literal>>,
        /// `>=` (true) or `>` (false).
        inclusive: bool,
        /// The operating threshold.
        threshold: Node<Literal>,
        /// What a positive means.
        meaning: Node<String>,
    },
    /// `reference "dir" labels "labels.yaml"`
    Reference {
        /// Folder of reference scans.
        path: Node<String>,
        /// Labels file.
        labels: Node<String>,
    },
    /// `training patients "file"`
    Training(Node<String>),
    /// `claims { sensitivity 90% effusion { auc 0.9 } macro auc 0.9 ... }`
    Claims(Vec<Node<Claim>>),
    /// `findings "logits" { effusion index 1 sigmoid positive when >= 0.5 means "..." }`:
    /// several findings, each read from an element of an output row.
    Findings {
        /// The output tensor read unless a finding names its own (`from "t"`).
        tensor: Option<Node<String>>,
        /// The findings, in source order.
        findings: Vec<Node<Finding>>,
    },
    /// `unit study aggregate max`: what the metrics count, and how the scores of its
    /// images make a unit's score.
    Unit {
        /// `image`, `study` or `patient`, as written.
        level: Node<String>,
        /// The aggregation rule; none: the default (`max`).
        aggregate: Option<Node<Aggregate>>,
    },
    /// `compare with "model/released.onnx" sha256 "..." version "1.0.0"`: the version in
    /// the field, scored on the same units.
    Compare {
        /// Whether `path` is its predictions (a CSV of file and a probability per
        /// finding) rather than its ONNX model.
        predictions: bool,
        /// Path of its ONNX file, or of its predictions.
        path: Node<String>,
        /// Its pinned digest.
        sha256: Option<Node<String>>,
        /// Its version.
        version: Option<Node<String>>,
        /// Its own thresholds, by finding, where they differ from the candidate's.
        thresholds: Vec<(Node<String>, Node<Literal>)>,
    },
    /// `compare with readers "data/readers.csv"`: readers' reads of the same units (a
    /// CSV of reader, unit and a score or call per finding), the comparator of a reader
    /// study.
    Readers {
        /// Path of the CSV, relative to the manifest.
        path: Node<String>,
    },
    /// `documents { dpia "docs/dpia.md" ... }`
    Documents(Vec<(Node<String>, Node<String>)>),
    /// `use mdr.performance, ...` — the policies in force.
    Use(Vec<Node<UseTarget>>),
    /// `override mdr.performance.auc-claim stage pre-commit` — a control's stage, set by
    /// the project instead of its policy.
    Override {
        /// Control id.
        control: Node<String>,
        /// Stage name.
        stage: Node<String>,
    },
    /// `significance drive-management situation serious` — what MDR Annex VIII Rule 11
    /// turns on, in the terms of MDCG 2019-11.
    Significance {
        /// Significance of the information to the healthcare decision, as written.
        significance: Node<String>,
        /// State of the healthcare situation or patient condition, as written.
        situation: Option<Node<String>>,
    },
    /// `safety class B` — the IEC 62304 software safety class.
    SafetyClass(Node<String>),
    /// `runtime onnxruntime "1.31.1"` — the inference runtime the device ships with.
    Runtime {
        /// `onnxruntime` or `tract`.
        name: Node<String>,
        /// The version it ships with, as the runtime reports it.
        version: Option<Node<String>>,
        /// `tolerance 0.0001`: the largest difference between two backends' scores of
        /// the reference set at which evidence of the other stands for this runtime's.
        tolerance: Option<Node<Literal>>,
    },
    /// `prevalence 2%, 5%` — the prevalence(s) of the target condition where the device
    /// is deployed, at which PPV and NPV are reported beside the reference set's own.
    Prevalence(Vec<Node<Literal>>),
    /// `robustness { jpeg quality 75 jpeg2000 ratio 10 noise 2% rotate 5 degrees drop at most 3% }` — the
    /// benchmark re-scored under perturbations, and the largest drop claimed.
    Robustness(Vec<Node<RobustnessItem>>),
    /// `input "ct" series where modality CT, ... { resample 2 x 2 x 4 mm linear ... }` —
    /// a series the model reads as a volume, and the volume's preprocessing.
    SeriesInput {
        /// Input tensor name (the input's name).
        tensor: Node<String>,
        /// The `where` conditions, in source order.
        conditions: Vec<Node<SeriesCond>>,
        /// The volume's preprocessing, in order.
        steps: Vec<Node<VolumeStep>>,
    },
    /// `segmentation "mask" argmax { liver channel 1 ... }` — the mask output of a
    /// segmentation model and how it becomes a label map.
    Segmentation {
        /// Output tensor name.
        tensor: Node<String>,
        /// How the output becomes a label map.
        rule: Node<SegRule>,
        /// The structures, in source order.
        structures: Vec<Node<SegStructure>>,
    },
    /// `quantify volume of liver, spleen` — the structures whose volume is compared
    /// with the reference's.
    Quantify(Vec<Node<String>>),
}

/// A condition of a series input's `where`.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesCond {
    /// `modality CT`: one accepted modality (several conditions: any of them).
    Modality(Node<String>),
    /// `description matches "(?i)abdomen"`: a regex on SeriesDescription.
    Description(Node<String>),
    /// `image type ORIGINAL`: a value ImageType must hold.
    ImageType(Node<String>),
    /// `slices 16 to 600`: the number of slices, as written.
    Slices {
        /// The fewest slices.
        min: Node<Literal>,
        /// The most slices.
        max: Node<Literal>,
    },
}

/// A preprocessing step of a series input's volume.
#[derive(Debug, Clone, PartialEq)]
pub enum VolumeStep {
    /// A step shared with the 2D input: `rescale from dicom`, `rescale slope .. intercept
    /// ..`, `clip A to B`, `window center C width W`, `normalize mean M std S`.
    Prep(PrepStep),
    /// `resample 2 x 2 x 4 mm linear`: the target spacing x, y, z in mm, as written.
    Resample {
        /// Spacing x, y, z, as written.
        spacing: [String; 3],
        /// `linear` or `nearest`.
        interpolation: String,
    },
    /// `orient LPS`: the orientation code, as written.
    Orient(String),
    /// `crop or pad 64 x 64 x 24 fill -200`: target size x, y, z (centred) and the fill.
    CropOrPad {
        /// Size x, y, z, as written.
        size: [String; 3],
        /// The value of added voxels, as written.
        fill: String,
    },
    /// `normalize zscore`: per volume.
    NormalizeZscore,
}

/// How a segmentation output becomes a label map.
#[derive(Debug, Clone, PartialEq)]
pub enum SegRule {
    /// `argmax`: over channels, channel 0 the background.
    Argmax,
    /// `sigmoid threshold 0.5`: each channel on its own.
    Sigmoid(Literal),
    /// `labelmap`: the output is a label map.
    LabelMap,
}

/// One structure of a `segmentation` block: `liver channel 1` or `liver label 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct SegStructure {
    /// Its name.
    pub name: Node<String>,
    /// Whether it is written with `label` (else `channel`).
    pub label: bool,
    /// Its channel or label value, as written.
    pub index: Node<Literal>,
}

/// One claim of a finding's or a structure's block: `sensitivity 85%`,
/// `hd95 at most 6 mm`, `nsd 0.9 at 2 mm`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedClaim {
    /// The metric.
    pub name: Node<String>,
    /// Where `at most` is written before the value, if it is.
    pub at_most: Option<Node<()>>,
    /// The bound.
    pub value: Node<Literal>,
    /// Its unit after it (`mm`, `ml`), if written.
    pub unit: Option<Node<String>>,
    /// `at 2 mm` after the value: the tolerance (nsd).
    pub tolerance: Option<Node<Literal>>,
}

/// One statement of a `robustness` block, with its number as written.
#[derive(Debug, Clone, PartialEq)]
pub enum RobustnessItem {
    /// `jpeg quality 75`.
    Jpeg(Literal),
    /// `jpeg2000 ratio 10`.
    Jpeg2000(Literal),
    /// `noise 2%`.
    Noise(Literal),
    /// `rotate 5 degrees`.
    Rotate(Literal),
    /// `drop at most 3%`.
    MaxDrop(Literal),
}

/// One claim of a `claims` block.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// `sensitivity 90%`: a claim on the one finding.
    Metric {
        /// The metric.
        name: Node<String>,
        /// The bound.
        value: Node<Literal>,
    },
    /// `effusion { sensitivity 85% auc 0.9 }`: a finding's own claims, or a structure's
    /// (`liver { dice 0.9 hd95 at most 6 mm }`).
    Finding {
        /// The finding or structure.
        finding: Node<String>,
        /// Its claims.
        claims: Vec<Node<ScopedClaim>>,
    },
    /// `macro auc 0.9`, `worst sensitivity 80%`: a claim over the findings.
    Summary {
        /// `macro` or `worst`.
        kind: Node<String>,
        /// The metric.
        name: Node<String>,
        /// The bound.
        value: Node<Literal>,
    },
    /// `non-inferior to released { auc by 0.05 sensitivity by 5% }`, or `to readers`.
    NonInferior {
        /// Whether the comparator is the readers (`to readers`) rather than the released
        /// version.
        readers: bool,
        /// Metric, margin.
        margins: Vec<(Node<String>, Node<Literal>)>,
    },
}

/// One finding of a `findings` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Its name, as claims and facts write it.
    pub name: Node<String>,
    /// Its own output tensor (`from "t"`); none: the block's.
    pub tensor: Option<Node<String>>,
    /// Which element of a scan's output row it is read from.
    pub index: Option<Node<Literal>>,
    /// How the element becomes a probability; none: it is one.
    pub activation: Option<Node<Activation>>,
    /// `>=` (true) or `>` (false).
    pub inclusive: bool,
    /// The operating threshold, on the probability.
    pub threshold: Node<Literal>,
    /// What a positive means.
    pub meaning: Node<String>,
    /// `prevalence 2%, 5%` at the end of its line: its deployment prevalence(s); empty:
    /// the model's `prevalence`, if any.
    pub prevalence: Vec<Node<Literal>>,
}

/// How an output element becomes a finding's probability.
#[derive(Debug, Clone, PartialEq)]
pub enum Activation {
    /// It is one already.
    Probability,
    /// A logit: 1 / (1 + e^-x).
    Sigmoid,
    /// A softmax over these elements of the row (the finding's own among them).
    Softmax(Vec<Node<Literal>>),
}

/// How the scores of a unit's images make the unit's score.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// `view ViewPosition "PA", "AP" else`: the image whose attribute has the first of
    /// these values that any image has; the rule applies when none has.
    pub view: Option<(Node<String>, Vec<Node<String>>)>,
    /// `max` or `mean`, as written.
    pub rule: Node<String>,
}

/// A device class under MDR Annex VIII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeviceClass {
    /// Class I.
    I,
    /// Class IIa.
    IIa,
    /// Class IIb.
    IIb,
    /// Class III.
    III,
}

impl DeviceClass {
    /// The class as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::I => "I",
            Self::IIa => "IIa",
            Self::IIb => "IIb",
            Self::III => "III",
        }
    }

    /// Parses a class as written.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "I" => Self::I,
            "IIa" => Self::IIa,
            "IIb" => Self::IIb,
            "III" => Self::III,
            _ => return None,
        })
    }
}

/// A preprocessing step of the model input.
#[derive(Debug, Clone, PartialEq)]
pub enum PrepStep {
    /// Accepted DICOM modalities.
    Modalities(Vec<Node<String>>),
    /// Modality LUT from the file's RescaleSlope/RescaleIntercept.
    RescaleFromDicom,
    /// A fixed modality LUT.
    RescaleFixed {
        /// Slope, as written.
        slope: String,
        /// Intercept, as written.
        intercept: String,
    },
    /// Window from the file's VOI attributes; `else minmax` when absent.
    WindowFromDicom {
        /// Fall back to the image's min/max when the file has no window.
        else_minmax: bool,
    },
    /// A fixed window.
    WindowFixed {
        /// Center, as written.
        center: String,
        /// Width, as written.
        width: String,
    },
    /// The image's own min/max.
    WindowMinMax,
    /// Invert MONOCHROME1 images.
    InvertMonochrome1,
    /// Resize to width x height.
    Resize {
        /// Width in pixels, as written.
        width: String,
        /// Height in pixels, as written.
        height: String,
        /// Interpolation, as written (`bilinear` when absent).
        interpolation: Option<String>,
    },
    /// `(x - mean) / std`, one pair for every channel or one per channel.
    Normalize {
        /// Means, as written.
        mean: Vec<String>,
        /// Standard deviations, as written.
        std: Vec<String>,
    },
    /// A window between two percentiles of the image's values.
    WindowPercentile {
        /// Lower percentile, as written.
        low: String,
        /// Upper percentile, as written.
        high: String,
    },
    /// Crop to width x height, centred or at a position.
    Crop {
        /// Width in pixels, as written.
        width: String,
        /// Height in pixels, as written.
        height: String,
        /// Column and row of the top-left pixel, as written; centred when absent.
        at: Option<(String, String)>,
    },
    /// Pad to a square, the image centred.
    PadSquare {
        /// The value of the added pixels, as written.
        fill: String,
    },
    /// Resize keeping the aspect ratio to fit width x height, then pad to it.
    Letterbox {
        /// Width in pixels, as written.
        width: String,
        /// Height in pixels, as written.
        height: String,
        /// Interpolation, as written (`bilinear` when absent).
        interpolation: Option<String>,
        /// The value of the added pixels, as written.
        fill: String,
    },
    /// Clip the values to `[low, high]`.
    Clip {
        /// Lower bound, as written.
        low: String,
        /// Upper bound, as written.
        high: String,
    },
    /// The number of channels of the tensor, as written.
    Channels(String),
    /// What a colour image becomes: `rgb` or `luminance`.
    Color(String),
}

/// A policy: a named group of controls.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Dotted name, e.g. `mdr.performance`.
    pub name: Node<String>,
    /// Optional description.
    pub title: Option<Node<String>>,
    /// Its controls.
    pub controls: Vec<Node<Control>>,
}

/// A control: one compliance check.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    /// Name within the policy.
    pub name: Node<String>,
    /// One-line title.
    pub title: Node<String>,
    /// Statements in source order.
    pub stmts: Vec<Node<ControlStmt>>,
}

/// A statement of a control.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlStmt {
    /// `cites mdr "Annex I 17.1", ...`
    Cites(Vec<Node<Citation>>),
    /// `severity blocker`
    Severity(Node<String>),
    /// `stage ci`
    Stage(Node<String>),
    /// `applies when <expr>`
    AppliesWhen(Node<Expr>),
    /// `expect <expr>`
    Expect(Node<Expr>),
    /// `help "..."`
    Help(Node<String>),
}

/// A citation of a clause of a framework.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    /// Framework id from the catalogue, e.g. `mdr`.
    pub framework: Node<String>,
    /// Clause as written, e.g. `Annex I 17.1`.
    pub clause: Node<String>,
}

/// A waiver of one control.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    /// Full id of the control.
    pub control: Node<String>,
    /// Statements in source order.
    pub stmts: Vec<Node<WaiverStmt>>,
}

/// A statement of a waiver.
#[derive(Debug, Clone, PartialEq)]
pub enum WaiverStmt {
    /// Why.
    Reason(Node<String>),
    /// Who approved it.
    ApprovedBy(Node<String>),
    /// Last day it holds (ISO 8601).
    Expires(Node<String>),
    /// The risk-file entry it relates to.
    Risk(Node<String>),
}

/// A test block.
#[derive(Debug, Clone, PartialEq)]
pub struct TestBlock {
    /// Its name.
    pub name: Node<String>,
    /// Statements in source order.
    pub stmts: Vec<Node<TestStmt>>,
}

/// A statement of a test.
#[derive(Debug, Clone, PartialEq)]
pub enum TestStmt {
    /// `given fact = value ...`
    Given(Vec<(Node<Path>, Node<Expr>)>),
    /// `expect control.id passes|fails|skipped`
    Expect {
        /// Full control id.
        control: Node<String>,
        /// Expected outcome.
        outcome: Node<String>,
    },
}
