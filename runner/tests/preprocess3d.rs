//! 3D preprocessing agrees with scipy (resampling), nibabel (orientation), MONAI's
//! convention (crop or pad) and numpy (z-score, window, labels back onto a grid) on the
//! fixtures of `tests/data/preprocess3d/golden.json`, made by `make_golden.py` there (no
//! Python at test time); an orientation comes back exactly through `labels_to`; hostile
//! parameters are errors, never allocations.
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_runner::volume::preprocess::{
    apply, labels_to, Interpolation, Orientation, PreprocessError, Step,
};
use clic_runner::volume::{Geometry, Volume};
use serde::Deserialize;
use std::path::Path;

const LIMIT: usize = 1 << 24;

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    kind: String,
    input: Fixture,
    params: serde_json::Value,
    expected: Fixture,
}

#[derive(Deserialize, Clone)]
struct Fixture {
    size: [usize; 3],
    spacing: [f64; 3],
    origin: [f64; 3],
    direction: [[f64; 3]; 3],
    #[serde(default)]
    data: Vec<f64>,
}

impl Fixture {
    fn geometry(&self) -> Geometry {
        Geometry {
            size: self.size,
            spacing: self.spacing,
            origin: self.origin,
            direction: self.direction,
        }
    }

    fn volume(&self) -> Volume<f32> {
        Volume {
            geometry: self.geometry(),
            data: self.data.iter().map(|&v| v as f32).collect(),
        }
    }

    fn labels(&self) -> Volume<u8> {
        Volume {
            geometry: self.geometry(),
            data: self.data.iter().map(|&v| v as u8).collect(),
        }
    }
}

fn golden() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/preprocess3d/golden.json");
    let text = std::fs::read_to_string(&path).expect("fixture file");
    let golden: Golden = serde_json::from_str(&text).expect("fixture JSON");
    golden.cases
}

fn cases(kind: &str) -> Vec<Case> {
    let found: Vec<Case> = golden().into_iter().filter(|c| c.kind == kind).collect();
    assert!(!found.is_empty(), "no `{kind}` case in the fixtures");
    found
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn assert_geometry(name: &str, got: &Geometry, want: &Fixture) {
    assert_eq!(got.size, want.size, "{name}: size");
    for a in 0..3 {
        assert!(
            close(got.spacing[a], want.spacing[a], 1e-9),
            "{name}: spacing {got:?}"
        );
        assert!(
            close(got.origin[a], want.origin[a], 1e-9),
            "{name}: origin {got:?}"
        );
        for c in 0..3 {
            assert!(
                close(got.direction[a][c], want.direction[a][c], 1e-9),
                "{name}: direction {got:?} want {:?}",
                want.direction
            );
        }
    }
}

/// Values as f32 against float64 references: a few ulps of the largest magnitude.
fn assert_data(name: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: voxels");
    let scale = want.iter().fold(1f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(f64::from(*g), *w, 4e-7 * scale),
            "{name}: voxel {i} is {g}, scipy/numpy say {w}"
        );
    }
}

fn run(case: &Case, step: Step) {
    let out =
        apply(case.input.volume(), &[step], LIMIT).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    assert_geometry(&case.name, &out.geometry, &case.expected);
    assert_data(&case.name, &out.data, &case.expected.data);
}

fn spacing_of(v: &serde_json::Value) -> [f64; 3] {
    let s: Vec<f64> = serde_json::from_value(v.clone()).expect("spacing");
    [s[0], s[1], s[2]]
}

#[test]
fn resample_matches_scipy_map_coordinates() {
    let all = cases("resample");
    assert_eq!(all.len(), 6);
    for case in &all {
        let interpolation = match case.params["interpolation"].as_str() {
            Some("linear") => Interpolation::Linear,
            Some("nearest") => Interpolation::Nearest,
            other => panic!("{}: interpolation {other:?}", case.name),
        };
        let spacing = spacing_of(&case.params["spacing"]);
        run(
            case,
            Step::Resample {
                spacing,
                interpolation,
            },
        );
    }
}

#[test]
fn orient_matches_nibabel_data_and_geometry() {
    for case in &cases("orient") {
        let code = case.params["code"].as_str().expect("code");
        let orientation = Orientation::parse(code).expect("a valid code");
        assert_eq!(orientation.to_string(), code);
        run(case, Step::Orient(orientation));
    }
}

#[test]
fn crop_or_pad_matches_monai_convention() {
    for case in &cases("crop_or_pad") {
        let size: Vec<usize> = serde_json::from_value(case.params["size"].clone()).expect("size");
        let fill = case.params["fill"].as_f64().expect("fill") as f32;
        run(
            case,
            Step::CropOrPad {
                size: [size[0], size[1], size[2]],
                fill,
            },
        );
    }
}

#[test]
fn zscore_and_window_match_numpy() {
    for case in &cases("zscore") {
        run(case, Step::ZScore);
    }
    for case in &cases("window") {
        let center = case.params["center"].as_f64().expect("center");
        let width = case.params["width"].as_f64().expect("width");
        run(case, Step::Window { center, width });
    }
}

#[test]
fn labels_to_matches_numpy_nearest_through_patient_coordinates() {
    for case in &cases("labels_to") {
        let target: Fixture =
            serde_json::from_value(case.params["target"].clone()).expect("target geometry");
        let out = labels_to(&case.input.labels(), &target.geometry());
        assert_eq!(out.geometry, target.geometry(), "{}", case.name);
        let want: Vec<u8> = case.expected.data.iter().map(|&v| v as u8).collect();
        let inside = want.iter().filter(|&&v| v > 0).count();
        assert!(
            inside > want.len() / 4,
            "{}: the case should overlap",
            case.name
        );
        assert_eq!(out.data, want, "{}", case.name);
    }
}

/// A label map oriented to the model's grid and carried back is the same map, for every
/// orientation code, from the permuted, flipped and rotated fixture geometry.
#[test]
fn orient_then_labels_to_is_the_identity() {
    let source = cases("orient").remove(0).input;
    let labels: Vec<u8> = (0..source.data.len()).map(|i| (i * 7 % 5) as u8).collect();
    for code in ["LPS", "RAS", "LAS", "AIL", "SRA", "ipl"] {
        let orientation = Orientation::parse(code).expect("a valid code");
        let volume = Volume {
            geometry: source.geometry(),
            data: labels.iter().map(|&v| f32::from(v)).collect(),
        };
        let model = apply(volume, &[Step::Orient(orientation)], LIMIT).expect("orient");
        let model = Volume {
            geometry: model.geometry,
            data: model.data.iter().map(|&v| v as u8).collect(),
        };
        let back = labels_to(&model, &source.geometry());
        assert_eq!(back.data, labels, "{code}");
        // The oriented axes point where the code says.
        let toward = |c: char| match c.to_ascii_uppercase() {
            'L' => (0, 1.0),
            'R' => (0, -1.0),
            'P' => (1, 1.0),
            'A' => (1, -1.0),
            'S' => (2, 1.0),
            _ => (2, -1.0),
        };
        for (axis, c) in model.geometry.direction.iter().zip(code.chars()) {
            let (w, sign) = toward(c);
            assert!(axis[w] * sign > 0.9, "{code}: axis {axis:?} for `{c}`");
        }
    }
}

fn small() -> Volume<f32> {
    Volume {
        geometry: Geometry {
            size: [8, 8, 4],
            spacing: [0.7, 0.7, 2.0],
            origin: [0.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        },
        data: (0..256).map(|i| i as f32).collect(),
    }
}

#[test]
fn hostile_parameters_are_errors_not_allocations() {
    let resample = |spacing| Step::Resample {
        spacing,
        interpolation: Interpolation::Linear,
    };
    // 1e-6 mm would be ~1e20 voxels: refused before any allocation.
    let err = apply(small(), &[resample([1e-6, 1e-6, 1e-6])], LIMIT).expect_err("too large");
    assert!(
        matches!(err, PreprocessError::TooLarge { step: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("resample"), "{err}");
    for spacing in [
        [0.0, 1.0, 1.0],
        [-1.0, 1.0, 1.0],
        [f64::NAN, 1.0, 1.0],
        [1.0, f64::INFINITY, 1.0],
    ] {
        let err = apply(small(), &[resample(spacing)], LIMIT).expect_err("bad spacing");
        assert!(matches!(err, PreprocessError::Parameter { .. }), "{err}");
    }
    let crop = |size| Step::CropOrPad { size, fill: 0.0 };
    let err = apply(small(), &[crop([0, 4, 4])], LIMIT).expect_err("size 0");
    assert!(matches!(err, PreprocessError::Parameter { .. }), "{err}");
    let err = apply(small(), &[crop([usize::MAX, usize::MAX, 2])], LIMIT).expect_err("huge");
    assert!(matches!(err, PreprocessError::TooLarge { .. }), "{err}");
    // The limit counts the voxels a step makes, at the second step too.
    let err = apply(small(), &[Step::ZScore, crop([100, 100, 100])], 999_999).expect_err("limit");
    assert!(
        matches!(err, PreprocessError::TooLarge { step: 2, .. }),
        "{err}"
    );
    assert!(apply(small(), &[crop([100, 100, 100])], 1_000_000).is_ok());
    for bad in [
        Step::Clip {
            low: 5.0,
            high: 1.0,
        },
        Step::Window {
            center: 40.0,
            width: 0.5,
        },
        Step::Normalize {
            mean: 0.0,
            std: 0.0,
        },
        Step::Normalize {
            mean: f32::NAN,
            std: 1.0,
        },
    ] {
        let err = apply(small(), &[bad], LIMIT).expect_err("bad parameter");
        assert!(matches!(err, PreprocessError::Parameter { .. }), "{err}");
    }
    for code in ["LP", "LPSX", "LLS", "LPQ", "", "RAI "] {
        let err = Orientation::parse(code).expect_err(code);
        assert!(err.to_string().contains(&format!("`{code}`")), "{err}");
    }
    // A volume that does not fill its geometry, or a degenerate geometry.
    let mut short = small();
    short.data.pop();
    assert!(matches!(
        apply(short, &[], LIMIT),
        Err(PreprocessError::DataLength { .. })
    ));
    let mut flat = small();
    flat.geometry.spacing[2] = 0.0;
    assert!(matches!(
        apply(flat, &[], LIMIT),
        Err(PreprocessError::Geometry { .. })
    ));
    let mut skew = small();
    skew.geometry.direction[1] = [1.0, 0.0, 0.0];
    assert!(matches!(
        apply(skew, &[], LIMIT),
        Err(PreprocessError::Geometry { .. })
    ));
}

#[test]
fn zscore_of_a_constant_volume_is_zeros() {
    let mut v = small();
    v.data.iter_mut().for_each(|x| *x = -1000.0);
    let out = apply(v, &[Step::ZScore], LIMIT).expect("zscore");
    assert!(out.data.iter().all(|&x| x == 0.0));
}

/// The whole block of the shared design's example in one call, ending on the model's grid.
#[test]
fn a_manifest_block_ends_on_the_model_grid() {
    let steps = [
        Step::Clip {
            low: -200.0,
            high: 300.0,
        },
        Step::Resample {
            spacing: [2.0, 2.0, 4.0],
            interpolation: Interpolation::Linear,
        },
        Step::Orient(Orientation::parse("LPS").expect("code")),
        Step::CropOrPad {
            size: [64, 64, 24],
            fill: -200.0,
        },
        Step::ZScore,
    ];
    let out = apply(small(), &steps, LIMIT).expect("block");
    assert_eq!(out.geometry.size, [64, 64, 24]);
    assert_eq!(out.data.len(), 64 * 64 * 24);
    assert_eq!(out.geometry.spacing, [2.0, 2.0, 4.0]);
    assert!(out.data.iter().all(|v| v.is_finite()));
}

/// Axes as rows: a signed permutation of LPS turned by a rotation (any angle).
fn axes(perm: usize, signs: u8, axis: [f64; 3], degrees: f64) -> [[f64; 3]; 3] {
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let norm = (axis[0].powi(2) + axis[1].powi(2) + axis[2].powi(2)).sqrt();
    let k = if norm < 1e-3 {
        [0.0, 0.0, 1.0]
    } else {
        axis.map(|c| c / norm)
    };
    let (s, c) = degrees.to_radians().sin_cos();
    // Rodrigues: R v = v cos + (k x v) sin + k (k . v)(1 - cos).
    let rotate = |v: [f64; 3]| {
        let cross = [
            k[1] * v[2] - k[2] * v[1],
            k[2] * v[0] - k[0] * v[2],
            k[0] * v[1] - k[1] * v[0],
        ];
        let dot = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
        [0, 1, 2].map(|i| v[i] * c + cross[i] * s + k[i] * dot * (1.0 - c))
    };
    [0, 1, 2].map(|a| {
        let mut v = [0.0; 3];
        v[orders[perm][a]] = if signs >> a & 1 == 1 { -1.0 } else { 1.0 };
        rotate(v)
    })
}

fn code(index: usize) -> String {
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let letters = [['L', 'R'], ['P', 'A'], ['S', 'I']];
    orders[index % 6]
        .iter()
        .enumerate()
        .map(|(slot, &w)| letters[w][(index / 6) >> slot & 1])
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Any orthonormal axes, any code: orient then `labels_to` gives the map back, and the
    /// oriented axes are the input's, permuted and flipped.
    #[test]
    fn orient_round_trips_on_any_axes(
        perm in 0usize..6, signs in 0u8..8,
        axis in proptest::array::uniform3(-1.0f64..1.0), degrees in 0.0f64..180.0,
        size in proptest::array::uniform3(1usize..6),
        spacing in proptest::array::uniform3(0.3f64..4.0),
        origin in proptest::array::uniform3(-300.0f64..300.0),
        target in 0usize..48,
    ) {
        let geometry = Geometry { size, spacing, origin, direction: axes(perm, signs, axis, degrees) };
        let n = geometry.voxels();
        let labels: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        let volume = Volume { geometry: geometry.clone(), data: labels.iter().map(|&v| f32::from(v)).collect() };
        let orientation = Orientation::parse(&code(target)).expect("a generated code");
        let model = apply(volume, &[Step::Orient(orientation)], LIMIT).expect("orient");
        let mut sorted = model.data.clone();
        sorted.sort_by(f32::total_cmp);
        let mut original: Vec<f32> = labels.iter().map(|&v| f32::from(v)).collect();
        original.sort_by(f32::total_cmp);
        proptest::prop_assert_eq!(sorted, original);
        let dot = |a: &[f64; 3], b: &[f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        for (o, letter) in code(target).chars().enumerate() {
            let d = &model.geometry.direction[o];
            let a = (0..3)
                .find(|&a| dot(d, &geometry.direction[a]).abs() > 1.0 - 1e-12)
                .expect("an input axis, flipped or not");
            proptest::prop_assert_eq!(model.geometry.size[o], size[a]);
            proptest::prop_assert_eq!(model.geometry.spacing[o], spacing[a]);
            let (w, sign) = match letter {
                'L' => (0, 1.0),
                'R' => (0, -1.0),
                'P' => (1, 1.0),
                'A' => (1, -1.0),
                'S' => (2, 1.0),
                _ => (2, -1.0),
            };
            proptest::prop_assert!(d[w] * sign >= 0.0, "axis {} {:?} toward {}", o, d, letter);
        }
        let model = Volume { geometry: model.geometry, data: model.data.iter().map(|&v| v as u8).collect() };
        let back = labels_to(&model, &geometry);
        proptest::prop_assert_eq!(back.data, labels);
    }

    /// Crop or pad keeps every kept voxel where it was in the patient: carried back, the
    /// kept voxels are the source's and the rest background.
    #[test]
    fn crop_or_pad_keeps_positions(
        perm in 0usize..6, signs in 0u8..8,
        axis in proptest::array::uniform3(-1.0f64..1.0), degrees in 0.0f64..180.0,
        size in proptest::array::uniform3(1usize..8),
        target in proptest::array::uniform3(1usize..10),
        spacing in proptest::array::uniform3(0.3f64..4.0),
    ) {
        let geometry = Geometry { size, spacing, origin: [1.0, -2.0, 3.0], direction: axes(perm, signs, axis, degrees) };
        let labels: Vec<u8> = (0..geometry.voxels()).map(|i| (i % 200 + 1) as u8).collect();
        let volume = Volume { geometry: geometry.clone(), data: labels.iter().map(|&v| f32::from(v)).collect() };
        let model = apply(volume, &[Step::CropOrPad { size: target, fill: 0.0 }], LIMIT).expect("crop or pad");
        proptest::prop_assert_eq!(model.geometry.size, target);
        let kept: usize = (0..3).map(|a| size[a].min(target[a])).product();
        proptest::prop_assert_eq!(model.data.iter().filter(|&&v| v > 0.0).count(), kept);
        let model = Volume { geometry: model.geometry, data: model.data.iter().map(|&v| v as u8).collect() };
        let back = labels_to(&model, &geometry);
        for (b, l) in back.data.iter().zip(&labels) {
            proptest::prop_assert!(*b == 0 || b == l);
        }
        proptest::prop_assert_eq!(back.data.iter().filter(|&&v| v > 0).count(), kept);
    }

    /// Resampling to the volume's own spacing changes nothing; a constant stays constant.
    #[test]
    fn resample_identity_and_constant(
        size in proptest::array::uniform3(1usize..7),
        spacing in proptest::array::uniform3(0.3f64..4.0),
        new in proptest::array::uniform3(0.3f64..4.0),
        linear in proptest::bool::ANY,
    ) {
        let interpolation = if linear { Interpolation::Linear } else { Interpolation::Nearest };
        let geometry = Geometry { size, spacing, origin: [0.0; 3], direction: axes(0, 0, [0.0; 3], 0.0) };
        let data: Vec<f32> = (0..geometry.voxels()).map(|i| (i * 37 % 101) as f32).collect();
        let volume = Volume { geometry, data };
        let same = apply(volume.clone(), &[Step::Resample { spacing, interpolation }], LIMIT).expect("same");
        proptest::prop_assert_eq!(&same, &volume);
        let constant = Volume { data: vec![-7.5; volume.data.len()], ..volume };
        let out = apply(constant, &[Step::Resample { spacing: new, interpolation }], LIMIT).expect("resample");
        proptest::prop_assert!(out.data.iter().all(|&v| v == -7.5));
        proptest::prop_assert_eq!(out.geometry.origin, [0.0; 3]);
    }
}

/// A model grid whose geometry is degenerate maps to background, without a panic.
#[test]
fn labels_to_from_a_degenerate_grid_is_background() {
    let target = small().geometry;
    let mut geometry = target.clone();
    geometry.spacing = [0.0, f64::NAN, 1.0];
    let labels = Volume {
        geometry,
        data: vec![1u8; 3],
    };
    let out = labels_to(&labels, &target);
    assert_eq!(out.data.len(), target.voxels());
    assert!(out.data.iter().all(|&v| v == 0));
}
