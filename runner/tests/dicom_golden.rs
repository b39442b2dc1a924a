//! The DICOM module against the normative Python preprocessing (golden tensors from
//! `tests/data/dicom/make_golden.py`), over the whole reference set, and on broken and
//! identifying files.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use clic_compiler::plan::Preprocess;
use clic_runner::dicom::{self, ScanError, ScanInfo};
use dicom_core::{DataElement, PrimitiveValue, VR};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn reference() -> PathBuf {
    root().join("../examples/chest-xray-triage/data/reference")
}

/// The example manifest's steps.
fn steps() -> Vec<Preprocess> {
    vec![
        Preprocess::Rescale { fixed: None },
        Preprocess::Window {
            source: "dicom".into(),
            fixed: None,
            else_minmax: true,
        },
        Preprocess::InvertMonochrome1,
        Preprocess::Resize {
            width: 64,
            height: 64,
            interpolation: "bilinear".into(),
        },
        Preprocess::Normalize {
            mean: 0.5,
            std: 0.25,
        },
    ]
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clic-dicom-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
fn preprocessing_matches_python_within_1e_5() {
    let data = root().join("tests/data/dicom");
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("golden.json")).expect("golden.json"),
    )
    .expect("JSON");
    let tensors: Vec<f32> = std::fs::read(data.join("golden.f32"))
        .expect("golden.f32")
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let files = golden["files"].as_array().expect("files");
    assert_eq!(tensors.len(), files.len() * 64 * 64);
    let mut worst = 0.0f64;
    let mut syntaxes = std::collections::BTreeSet::new();
    for (k, rec) in files.iter().enumerate() {
        let name = rec["file"].as_str().expect("file");
        let (info, image) = dicom::read_scan(&reference().join(name), name).expect("reads");
        let s = |key: &str| rec[key].as_str().expect("string").to_owned();
        let n = |key: &str| rec[key].as_f64().expect("number");
        assert_eq!(info.file, name);
        assert_eq!(info.transfer_syntax, s("transfer_syntax"), "{name}");
        assert_eq!(info.sop_class, s("sop_class"), "{name}");
        assert_eq!(info.modality, s("modality"), "{name}");
        assert_eq!(info.manufacturer, s("manufacturer"), "{name}");
        assert_eq!(info.model_name, s("model_name"), "{name}");
        assert_eq!(info.sex, s("sex"), "{name}");
        assert_eq!(info.age, s("age"), "{name}");
        assert_eq!(info.photometric, s("photometric"), "{name}");
        // The golden holds Python's plain sha256 of the ids; clic's pseudonyms are keyed
        // (HMAC under the project secret), so they must never equal it.
        for (ours, plain) in [
            (&info.patient_hash, s("patient_hash")),
            (&info.study_hash, s("study_hash")),
        ] {
            assert_eq!(ours.is_empty(), plain.is_empty(), "{name}");
            if !plain.is_empty() {
                assert_ne!(*ours, plain, "{name}: an unsalted sha256");
            }
        }
        assert_eq!(info.sha256, s("sha256"), "{name}");
        assert_eq!(f64::from(info.rows), n("rows"), "{name}");
        assert_eq!(f64::from(info.columns), n("columns"), "{name}");
        assert_eq!(
            f64::from(info.bits_allocated),
            n("bits_allocated"),
            "{name}"
        );
        assert_eq!(f64::from(info.bits_stored), n("bits_stored"), "{name}");
        assert!(!info.transfer_syntax_name.is_empty());
        assert_eq!(info.frames, 1);
        assert!(info.part10);
        assert_eq!(
            (image.slope, image.intercept),
            (n("slope"), n("intercept")),
            "{name}"
        );
        let window = rec["window"]
            .as_array()
            .map(|w| (w[0].as_f64().expect("c"), w[1].as_f64().expect("w")));
        assert_eq!(image.window, window, "{name}");
        assert_eq!(image.monochrome1, s("photometric") == "MONOCHROME1");
        let (lo, hi, mean) = dicom::pixel_stats(&image);
        assert_eq!((lo, hi), (n("min"), n("max")), "{name}");
        assert!(
            (mean - n("mean")).abs() <= 1e-9 * n("mean").abs().max(1.0),
            "{name}"
        );

        let got = dicom::preprocess(&image, &steps()).expect("preprocesses");
        let want = &tensors[k * 4096..(k + 1) * 4096];
        assert_eq!(got.len(), want.len());
        let diff = got
            .iter()
            .zip(want)
            .map(|(g, w)| (f64::from(*g) - f64::from(*w)).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-5, "{name}: max abs difference {diff}");
        worst = worst.max(diff);
        syntaxes.insert(info.transfer_syntax.clone());
    }
    assert_eq!(
        syntaxes.len(),
        5,
        "every transfer syntax of the reference set"
    );
    eprintln!(
        "golden: {} files, max abs difference {worst:e}",
        files.len()
    );
}

#[test]
fn every_reference_file_reads_and_passes_the_audit() {
    let labels: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(reference().join("labels.yaml")).expect("labels"),
    )
    .expect("YAML");
    let mut names: Vec<String> = std::fs::read_dir(reference())
        .expect("reference folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".dcm"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 309);
    for name in &names {
        let (info, image) = dicom::read_scan(&reference().join(name), name).expect("reads");
        let patient = labels[name.as_str()]["patient"].as_str().expect("patient");
        assert_eq!(info.patient_hash, dicom::hash_id(patient), "{name}");
        assert!(
            info.deid.findings.is_empty(),
            "{name}: {:?}",
            info.deid.findings
        );
        assert!(
            info.deid.identity_removed && info.deid.method_declared,
            "{name}"
        );
        assert_eq!(info.deid.burned_in_annotation.as_deref(), Some("NO"));
        assert_eq!(info.deid.private_tags, 0);
        assert_ne!(info.age_band, "unknown", "{name}");
        let json = serde_json::to_string(&info).expect("JSON");
        assert!(
            !json.contains("REF-"),
            "{name}: the PatientID leaks into {json}"
        );
        let back: ScanInfo = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back, info);
        let x = dicom::preprocess(&image, &steps()).expect("preprocesses");
        assert_eq!(x.len(), 64 * 64);
        assert!(x.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn a_truncated_file_is_a_scan_error_naming_it() {
    let dir = scratch("truncated");
    for name in [
        "cxr-0001.dcm",
        "cxr-0024.dcm",
        "cxr-0058.dcm",
        "cxr-0005.dcm",
    ] {
        let bytes = std::fs::read(reference().join(name)).expect("reference file");
        for keep in [bytes.len() / 2, bytes.len() - 10, 200] {
            let path = dir.join(name);
            std::fs::write(&path, &bytes[..keep]).expect("write");
            let shown = format!("cut/{name}");
            let err: ScanError = dicom::read_scan(&path, &shown).expect_err("truncated");
            assert_eq!(err.file, shown);
            let text = err.to_string();
            assert!(text.starts_with(&format!("`{shown}`")), "{text}");
            if keep > 200 {
                assert!(err.transfer_syntax.is_some(), "{text}");
                assert!(
                    text.contains("(transfer syntax 1.2.840.10008.1.2"),
                    "{text}"
                );
            }
        }
    }
}

#[test]
fn a_non_dicom_file_is_a_scan_error() {
    let dir = scratch("non-dicom");
    for (name, bytes) in [
        (
            "notes.txt",
            b"patient list\nnothing to see here\n".repeat(10),
        ),
        ("empty.dcm", Vec::new()),
        ("zeros.dcm", vec![0u8; 300]),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("write");
        let err = dicom::read_scan(&path, name).expect_err("not DICOM");
        assert_eq!(err.file, name);
        assert_eq!(err.transfer_syntax, None);
        assert!(err.to_string().contains("not a DICOM file"), "{err}");
    }
    let err = dicom::read_scan(&dir.join("missing.dcm"), "missing.dcm").expect_err("missing");
    assert!(err.reason.contains("cannot read"), "{err}");
}

/// A copy of a reference file with `edit` applied, written with dicom-object.
fn edited(
    dir: &Path,
    name: &str,
    edit: impl FnOnce(&mut dicom_object::DefaultDicomObject),
) -> PathBuf {
    let mut obj = dicom_object::open_file(reference().join(name)).expect("opens");
    edit(&mut obj);
    let path = dir.join(name);
    obj.write_to_file(&path).expect("writes");
    path
}

#[test]
fn an_identifying_attribute_is_a_finding_without_its_value() {
    let dir = scratch("identifying");
    let path = edited(&dir, "cxr-0024.dcm", |obj| {
        obj.put(DataElement::new(
            dicom_dictionary_std::tags::PATIENT_NAME,
            VR::PN,
            PrimitiveValue::from("Doe^Jane"),
        ));
        obj.put(DataElement::new(
            dicom_dictionary_std::tags::INSTITUTION_NAME,
            VR::LO,
            PrimitiveValue::from("St Elsewhere Hospital"),
        ));
        obj.put(DataElement::new(
            dicom_dictionary_std::tags::STATION_NAME,
            VR::SH,
            PrimitiveValue::from("ANONYMIZED"),
        ));
        obj.put(DataElement::new(
            dicom_core::Tag(0x0009, 0x0010),
            VR::LO,
            PrimitiveValue::from("ACME 1.0"),
        ));
    });
    let (info, _) = dicom::read_scan(&path, "cxr-0024.dcm").expect("reads");
    let found: Vec<(&str, &str, &str)> = info
        .deid
        .findings
        .iter()
        .map(|f| (f.tag.as_str(), f.keyword.as_str(), f.action.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("(0008,0080)", "InstitutionName", "X"),
            ("(0010,0010)", "PatientName", "Z"),
        ],
        "a dummy StationName is not a finding"
    );
    assert_eq!(info.deid.private_tags, 1);
    let json = serde_json::to_string(&info).expect("JSON");
    for secret in ["Doe", "Jane", "Elsewhere", "REF-", "ACME"] {
        assert!(!json.contains(secret), "{secret} leaks into {json}");
    }
    let rows = dicom::attributes(&path).expect("attributes");
    let shown = |kw: &str| {
        rows.iter()
            .find(|r| r.1 == kw)
            .map(|r| r.2.clone())
            .unwrap_or_else(|| format!("no row for {kw}"))
    };
    assert_eq!(shown("PatientName"), "present");
    assert_eq!(shown("PatientID"), "present");
    assert_eq!(shown("PatientBirthDate"), "empty");
    assert_eq!(shown("PatientAddress"), "absent");
    assert_eq!(shown("StudyInstanceUID"), "present");
    assert_eq!(shown("Private"), "present");
    assert_eq!(shown("Modality"), info.modality);
    assert_eq!(shown("TransferSyntaxUID"), info.transfer_syntax);
    assert!(rows.windows(2).all(|w| w[0].0 <= w[1].0), "tag order");
    let obj = dicom_object::open_file(&path).expect("opens");
    let uid = |tag| {
        obj.element(tag)
            .expect("uid")
            .to_str()
            .expect("text")
            .trim_end_matches('\0')
            .to_owned()
    };
    let study = uid(dicom_dictionary_std::tags::STUDY_INSTANCE_UID);
    let sop = uid(dicom_dictionary_std::tags::SOP_INSTANCE_UID);
    let all = format!("{rows:?}");
    for secret in ["Doe", "Elsewhere", "REF-", "ACME", &study, &sop] {
        assert!(!all.contains(secret), "{secret} shown by attributes()");
    }
}

#[test]
fn patient_id_is_a_finding_unless_identity_is_declared_removed() {
    let dir = scratch("identity");
    let path = edited(&dir, "cxr-0024.dcm", |obj| {
        obj.remove_element(dicom_dictionary_std::tags::PATIENT_IDENTITY_REMOVED);
        obj.remove_element(dicom_dictionary_std::tags::DEIDENTIFICATION_METHOD);
        obj.remove_element(dicom_dictionary_std::tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE);
    });
    let info = dicom::read_info(&path, "cxr-0024.dcm").expect("reads");
    let keywords: Vec<&str> = info
        .deid
        .findings
        .iter()
        .map(|f| f.keyword.as_str())
        .collect();
    // Without the Retain Patient Characteristics Option, sex and age are findings too.
    assert_eq!(keywords, ["PatientID", "PatientSex", "PatientAge"]);
    assert!(!info.deid.identity_removed && !info.deid.method_declared);
}

fn preprocess_data() -> PathBuf {
    root().join("tests/data/preprocess")
}

/// Every step against its numpy reference (`tests/data/preprocess/make_reference.py`):
/// the runner fuses the pointwise steps into a lookup table and reads only the pixels a
/// resize needs; numpy applies each formula to the whole array in turn. They agree to
/// 1e-6 relative (`|got - want| <= 1e-6 * max(1, |want|)`, f32 outputs).
#[test]
fn preprocessing_steps_match_numpy() {
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(preprocess_data().join("cases.json")).expect("cases.json"),
    )
    .expect("JSON");
    let tolerance = reference["tolerance"].as_f64().expect("tolerance");
    assert_eq!(tolerance, 1e-6);
    let cases = reference["cases"].as_array().expect("cases");
    assert!(cases.len() >= 15);
    let mut worst = 0.0f64;
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let img = &case["image"];
        let n = |key: &str| img[key].as_u64().expect("size") as usize;
        let stored: Vec<i32> = img["stored"]
            .as_array()
            .expect("stored")
            .iter()
            .map(|v| i32::try_from(v.as_i64().expect("int")).expect("fits"))
            .collect();
        let colour = if n("channels") == 3 {
            dicom::Colour::Rgb
        } else {
            dicom::Colour::Gray
        };
        let mut image = dicom::Image::new(n("rows"), n("columns"), colour, stored).expect("image");
        image.slope = img["slope"].as_f64().expect("slope");
        image.intercept = img["intercept"].as_f64().expect("intercept");
        image.monochrome1 = img["monochrome1"].as_bool().expect("bool");
        image.window = img["window"]
            .as_array()
            .map(|w| (w[0].as_f64().expect("c"), w[1].as_f64().expect("w")));
        let steps: Vec<Preprocess> =
            serde_json::from_value(case["steps"].clone()).expect("steps in the Plan's form");
        let shape: Vec<usize> = serde_json::from_value(case["shape"].clone()).expect("shape");
        assert_eq!(
            clic_compiler::plan::tensor_shape(&steps).map(|s| s.to_vec()),
            Some(shape.clone()).filter(|_| steps.iter().any(|s| matches!(
                s,
                Preprocess::Resize { .. } | Preprocess::Letterbox { .. } | Preprocess::Crop { .. }
            ))),
            "{name}"
        );
        let want: Vec<f64> = serde_json::from_value(case["expected"].clone()).expect("expected");
        let got = dicom::preprocess(&image, &steps).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.len(), shape.iter().product::<usize>(), "{name}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let diff = (f64::from(*g) - w).abs();
            worst = worst.max(diff / w.abs().max(1.0));
            assert!(
                diff <= tolerance * w.abs().max(1.0),
                "{name}: element {i} is {g}, numpy {w}"
            );
        }
    }
    eprintln!(
        "numpy steps: {} cases, worst relative difference {worst:e}",
        cases.len()
    );
}

/// Colour files written with pydicom: RGB and YBR_FULL, pixel-interleaved and planar,
/// and YBR_FULL_422, decode to the RGB samples pydicom's `pixel_array` gives.
#[test]
fn colour_images_decode_as_pydicom() {
    let data = preprocess_data();
    let files: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("colour.json")).expect("colour.json"),
    )
    .expect("JSON");
    for f in files.as_array().expect("files") {
        let name = f["file"].as_str().expect("file");
        let (info, image) = dicom::read_scan(&data.join("colour").join(name), name).expect("reads");
        assert_eq!(image.colour, dicom::Colour::Rgb, "{name}");
        assert_eq!((image.rows, image.columns), (6, 8), "{name}");
        assert!(info.photometric.starts_with("RGB") || info.photometric.starts_with("YBR"));
        let want: Vec<i64> = serde_json::from_value(f["rgb"].clone()).expect("rgb");
        let got: Vec<i64> = (0..image.len())
            .map(|i| image.stored(i).expect("in range"))
            .collect();
        assert_eq!(got, want, "{name}");

        // Fed without a colour step, it is a per-scan error saying what to write.
        let err = dicom::preprocess(&image, &steps()).expect_err("colour refused");
        assert!(
            err.contains("`color luminance`") && err.contains("`color rgb`"),
            "{err}"
        );
        let rgb = [
            Preprocess::Color { mode: "rgb".into() },
            Preprocess::Channels { count: 3 },
            Preprocess::Resize {
                width: 4,
                height: 3,
                interpolation: "area".into(),
            },
        ];
        assert_eq!(
            dicom::preprocess(&image, &rgb).expect("rgb").len(),
            3 * 4 * 3
        );
        let grey = [
            Preprocess::Color {
                mode: "luminance".into(),
            },
            Preprocess::Resize {
                width: 8,
                height: 6,
                interpolation: "nearest".into(),
            },
        ];
        let y = dicom::preprocess(&image, &grey).expect("luminance");
        let at = |c: usize, i: usize| want[c * 48 + i] as f64;
        for (i, v) in y.iter().enumerate() {
            let l = 0.299 * at(0, i) + 0.587 * at(1, i) + 0.114 * at(2, i);
            assert_eq!(*v, l as f32, "{name}");
        }
    }
}

/// Values the compiler cannot see are per-scan errors that say what is wrong: a crop
/// larger than the image, a channel count the image does not have.
#[test]
fn impossible_steps_are_per_scan_errors() {
    let name = "cxr-0001.dcm";
    let (_, image) = dicom::read_scan(&reference().join(name), name).expect("reads");
    let crop = [Preprocess::Crop {
        width: 4000,
        height: 10,
        at: None,
    }];
    let err = dicom::preprocess(&image, &crop).expect_err("too large");
    assert!(err.contains("cannot crop 4000 x 10 centred"), "{err}");
    let boxed = [Preprocess::Crop {
        width: 10,
        height: 10,
        at: Some((u32::MAX, 0)),
    }];
    assert!(dicom::preprocess(&image, &boxed).is_err_and(|e| e.contains("at 4294967295, 0")));
    let percentile = [Preprocess::WindowPercentile {
        low: 60.0,
        high: 40.0,
    }];
    assert!(dicom::preprocess(&image, &percentile).is_err());
    let clip = [Preprocess::Clip {
        low: 1.0,
        high: f64::NAN,
    }];
    assert!(dicom::preprocess(&image, &clip).is_err());
    let normalize = [Preprocess::NormalizeChannels {
        mean: vec![0.0; 3],
        std: vec![1.0; 3],
    }];
    assert!(dicom::preprocess(&image, &normalize).is_err_and(|e| e.contains("1 channel")));
}
