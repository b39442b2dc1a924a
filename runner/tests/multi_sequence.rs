//! A segmentation model with two series inputs (multi-sequence MR, `input "flair" ...`,
//! `input "dwi" ...`): each case's second series is the one of its study that the second
//! input selects, fed to the model by name; a study with none or several such series is
//! an error naming the masks file's line, never a guess.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod onnx_writer;

use clic_runner::bench::{BenchError, BenchInputs};
use clic_runner::budget::Budget;
use clic_runner::task::segmentation::{self, Setup};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use onnx_writer::{graph, model, node, value_info, Attr, Dim, FLOAT};
use std::path::Path;

const MANIFEST: &str = r#"model two-sequences {
  version "1.0.0"
  purpose "Segments the liver on two co-registered sequences of a study."
  class IIa by rule 11
  artifact "model/two.onnx"
  input "first" series where description matches "^first" {
    rescale from dicom
    clip -200 to 300
    resample 6 x 6 x 6 mm linear
    orient LPS
    crop or pad 56 x 56 x 32 fill -200
    normalize zscore
  }
  input "second" series where description matches "^second" {
    rescale from dicom
    clip -200 to 300
    resample 6 x 6 x 6 mm linear
    orient LPS
    crop or pad 56 x 56 x 32 fill -200
    normalize zscore
  }
  segmentation "mask" argmax {
    liver channel 1
  }
  reference "data/reference" labels "data/reference/masks.csv"
  claims {
    liver { dice 0.1 hd95 at most 500 mm }
  }
}
"#;

/// `mask = [0, second - first]` over the channels: a voxel is liver where the second
/// input is above the first. Fed the same series twice, the model would predict nothing.
fn two_input_model(dir: &Path) {
    let shape = [
        Dim::Fixed(1),
        Dim::Fixed(1),
        Dim::Fixed(32),
        Dim::Fixed(56),
        Dim::Fixed(56),
    ];
    let out = [
        Dim::Fixed(1),
        Dim::Fixed(2),
        Dim::Fixed(32),
        Dim::Fixed(56),
        Dim::Fixed(56),
    ];
    let g = graph(
        "two",
        &[
            node("Sub", &["first", "first"], &["zero"], &[]),
            node("Sub", &["second", "first"], &["diff"], &[]),
            node(
                "Concat",
                &["zero", "diff"],
                &["mask"],
                &[("axis", Attr::Int(1))],
            ),
        ],
        &[],
        &[
            value_info("first", FLOAT, Some(&shape)),
            value_info("second", FLOAT, Some(&shape)),
        ],
        &[value_info("mask", FLOAT, Some(&out))],
    );
    std::fs::create_dir_all(dir.join("model")).expect("mkdir");
    std::fs::write(dir.join("model/two.onnx"), model(&g)).expect("model");
}

/// Copies `from`'s slices to `to` as another series of the same study: new UIDs, the
/// description given; `negate` stores the slices' values as 4095 minus themselves (the
/// second sequence then differs from the first everywhere).
fn copy_series(from: &Path, to: &Path, description: &str, uid_suffix: &str, negate: bool) {
    std::fs::create_dir_all(to).expect("mkdir");
    let mut files: Vec<_> = std::fs::read_dir(from)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let mut obj = dicom_object::open_file(&f).expect("open");
        for tag in [tags::SERIES_INSTANCE_UID, tags::SOP_INSTANCE_UID] {
            let uid = obj
                .element(tag)
                .expect("uid")
                .to_str()
                .expect("text")
                .to_string();
            let uid = format!("{}{uid_suffix}", uid.trim_end_matches('\0'));
            obj.put(DataElement::new(
                tag,
                VR::UI,
                PrimitiveValue::from(uid.as_str()),
            ));
        }
        let sop = obj
            .element(tags::SOP_INSTANCE_UID)
            .expect("sop")
            .to_str()
            .expect("t")
            .to_string();
        obj.meta_mut().media_storage_sop_instance_uid = sop;
        obj.put(DataElement::new(
            tags::SERIES_DESCRIPTION,
            VR::LO,
            PrimitiveValue::from(description),
        ));
        if negate {
            let pixels: Vec<u16> = obj
                .element(tags::PIXEL_DATA)
                .expect("pixels")
                .to_multi_int::<u16>()
                .expect("u16 pixels")
                .iter()
                .map(|v| 4095u16.saturating_sub(*v))
                .collect();
            obj.put(DataElement::new(
                tags::PIXEL_DATA,
                VR::OW,
                PrimitiveValue::U16(pixels.into()),
            ));
        }
        obj.write_to_file(to.join(f.file_name().expect("name")))
            .expect("write");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The example's series 1 and 2 with their masks, each as a "first" series and a
/// "second" (negated) copy in the same study.
fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ct-segmentation");
    let reference = tmp.path().join("data/reference");
    copy_tree(
        &example.join("data/reference/masks"),
        &reference.join("masks"),
    );
    let csv = std::fs::read_to_string(example.join("data/reference/masks.csv")).expect("csv");
    let rows: Vec<&str> = csv.lines().take(3).collect();
    std::fs::write(reference.join("masks.csv"), rows.join("\n") + "\n").expect("csv");
    for s in ["series-01", "series-02"] {
        let from = example.join("data/reference").join(s);
        copy_series(&from, &reference.join(s), "first sequence", "", false);
        copy_series(
            &from,
            &reference.join(format!("{s}-second")),
            "second sequence",
            ".9",
            true,
        );
    }
    two_input_model(tmp.path());
    std::fs::write(tmp.path().join("model.clic"), MANIFEST).expect("manifest");
    tmp
}

fn inputs(dir: &Path) -> BenchInputs {
    let text = std::fs::read_to_string(dir.join("model.clic")).expect("manifest");
    let compiled = clic_compiler::compile_str("model.clic", &text);
    let spec = compiled.plan.and_then(|p| p.model).expect("compiles");
    BenchInputs {
        root: std::fs::canonicalize(dir).expect("root"),
        dir: dir.to_path_buf(),
        spec,
        budget: Budget::new(1),
    }
}

fn run(dir: &Path) -> Result<clic_runner::task::segmentation::SegmentationEvidence, BenchError> {
    let inputs = inputs(dir);
    let setup = Setup::of(&inputs.spec)
        .expect("setup")
        .expect("a segmentation");
    assert_eq!(setup.inputs.len(), 2);
    segmentation::run(&inputs, &setup, "key".to_string(), &|_, _| {})
        .map(|(ev, _)| ev.segmentation.expect("segmentation evidence"))
}

#[test]
fn each_case_reads_its_studys_second_sequence() {
    let p = project();
    let ev = run(p.path()).expect("runs");
    assert_eq!(ev.cases.len(), 2);
    // Each case's two inputs are two different series (the second its study's negated
    // copy): the model predicts voxels. One series fed to both would predict none.
    for c in &ev.cases {
        let m = &c.metrics[0];
        assert!(m.predicted_voxels > 0, "{m:?}");
    }
}

#[test]
fn a_study_without_or_with_two_second_sequences_is_named_by_its_line() {
    let p = project();
    let reference = p.path().join("data/reference");
    std::fs::remove_dir_all(reference.join("series-02-second")).expect("remove");
    let e = run(p.path()).expect_err("no second sequence").to_string();
    assert!(
        e.contains("line 3") && e.contains("0 series the input `second`"),
        "{e}"
    );
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ct-segmentation");
    let from = example.join("data/reference/series-01");
    copy_series(
        &from,
        &reference.join("series-01-again"),
        "second again",
        ".8",
        false,
    );
    copy_series(
        &example.join("data/reference/series-02"),
        &reference.join("series-02-second"),
        "second sequence",
        ".9",
        true,
    );
    let e = run(p.path()).expect_err("two second sequences").to_string();
    assert!(
        e.contains("line 2") && e.contains("2 series the input `second`"),
        "{e}"
    );
    assert!(!e.contains("1.2.826"), "no UID in the message: {e}");
}
