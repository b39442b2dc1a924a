//! CT/MR series assembly, selection and voxels against the independent pydicom + numpy
//! reference (dicom-numpy's `combine_slices` method) stored beside the fixtures of
//! `tests/data/series` (made by `make_series.py`; no Python at test time).
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_runner::budget::ReadLimits;
use clic_runner::volume::series::{
    assemble, assemble_with, by_study, load, read_folder, read_headers, select, select_inputs,
    Problem, SelectError, Selector, Series, SeriesError, SeriesProblem, SliceHeader, Tolerances,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/series")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(data().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected JSON")
}

fn headers(case: &str) -> Vec<SliceHeader> {
    let (headers, errors) =
        read_folder(&data().join(case), &ReadLimits::default()).expect("the folder lists");
    assert!(errors.is_empty(), "{case}: {errors:?}");
    headers
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol,
            "{what}: got {got:?}, the reference {want:?}"
        );
    }
}

fn kind(p: &Problem) -> &'static str {
    match p {
        Problem::NoSeriesUid { .. } => "NoSeriesUid",
        Problem::MissingGeometry { .. } => "MissingGeometry",
        Problem::NotOrthonormal { .. } => "NotOrthonormal",
        Problem::MixedOrientation { .. } => "MixedOrientation",
        Problem::MixedSize { .. } => "MixedSize",
        Problem::MixedPixelSpacing { .. } => "MixedPixelSpacing",
        Problem::BadPixelSpacing { .. } => "BadPixelSpacing",
        Problem::DuplicateSlices { .. } => "DuplicateSlices",
        Problem::MissingSlices { .. } => "MissingSlices",
        Problem::UnevenSpacing { .. } => "UnevenSpacing",
        Problem::Sheared { .. } => "Sheared",
    }
}

/// The slice as the reference names it: the file name, `#frame` in a multi-frame object.
fn slice_name(series: &Series, z: usize) -> String {
    let s = &series.slices[z];
    let name = s
        .path
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned();
    if name == "enhanced.dcm" {
        format!("{name}#{}", s.frame)
    } else {
        name
    }
}

fn check_series(case: &str, got: &Series, want: &Value) {
    let what = format!("{case} {}", got.uid);
    let g = &want["geometry"];
    let size: Vec<usize> = numbers(&g["size"]).iter().map(|v| *v as usize).collect();
    assert_eq!(got.geometry.size.to_vec(), size, "{what}: size");
    close(
        &got.geometry.spacing,
        &numbers(&g["spacing"]),
        1e-6,
        &format!("{what}: spacing"),
    );
    close(
        &got.geometry.origin,
        &numbers(&g["origin"]),
        1e-9,
        &format!("{what}: origin"),
    );
    for (axis, want_axis) in got
        .geometry
        .direction
        .iter()
        .zip(g["direction"].as_array().expect("directions"))
    {
        close(
            axis,
            &numbers(want_axis),
            1e-6,
            &format!("{what}: direction"),
        );
    }
    let order: Vec<String> = (0..got.len()).map(|z| slice_name(got, z)).collect();
    let want_order: Vec<String> = want["order"]
        .as_array()
        .expect("order")
        .iter()
        .map(|v| v.as_str().expect("a name").to_owned())
        .collect();
    assert_eq!(order, want_order, "{what}: slice order");
    assert_eq!(
        got.description,
        want["description"].as_str().expect("description")
    );
    assert_eq!(got.modality, want["modality"].as_str().expect("modality"));
    let volume = load(got, &ReadLimits::default()).expect("the voxels load");
    assert_eq!(volume.geometry, got.geometry);
    let voxels: Vec<f64> = volume.data.iter().map(|v| f64::from(*v)).collect();
    close(
        &voxels,
        &numbers(&want["voxels"]),
        1e-3,
        &format!("{what}: voxels"),
    );
}

fn check_problem(case: &str, got: &SeriesProblem, want: &Value) {
    let name = want["problem"].as_str().expect("a problem");
    let message = got.to_string();
    assert!(message.contains(&got.series), "{message}");
    let p = got
        .problems
        .iter()
        .find(|p| kind(p) == name)
        .unwrap_or_else(|| panic!("{case}: the reference says {name}, clic says {message}"));
    let near = |a: f64, key: &str| {
        let b = want[key].as_f64().expect(key);
        assert!(
            (a - b).abs() < 1e-6,
            "{case}: {key} {a} vs the reference's {b}"
        );
    };
    match p {
        Problem::MissingSlices {
            gap,
            median,
            missing,
            ..
        } => {
            near(*gap, "gap");
            near(*median, "median");
            assert_eq!(*missing as u64, want["missing"].as_u64().expect("missing"));
        }
        Problem::UnevenSpacing { step, median, .. } => {
            near(*step, "step");
            near(*median, "median");
        }
        Problem::DuplicateSlices { position, .. } => near(*position, "position"),
        Problem::MixedOrientation { difference, .. } => near(*difference, "difference"),
        Problem::NotOrthonormal { dot, .. } => near(*dot, "dot"),
        Problem::Sheared { angle, .. } => near(*angle, "angle"),
        Problem::MissingGeometry { attribute, .. } => {
            assert_eq!(*attribute, want["attribute"].as_str().expect("attribute"));
        }
        _ => {}
    }
    // The message states the numbers, not only the kind.
    assert!(message.chars().any(|c| c.is_ascii_digit()), "{message}");
}

#[test]
fn every_case_agrees_with_the_pydicom_numpy_reference() {
    let expected = expected();
    let cases = expected["cases"].as_object().expect("cases");
    assert!(cases.len() >= 15, "the fixture has {} cases", cases.len());
    for (case, want) in cases {
        let want = want.as_array().expect("series");
        let got = assemble(&headers(case));
        assert_eq!(got.len(), want.len(), "{case}: series");
        for (got, want) in got.iter().zip(want) {
            let uid = want["series"].as_str().expect("uid");
            match (got, want.get("problem")) {
                (Ok(series), None) => {
                    assert_eq!(series.uid, uid);
                    check_series(case, series, want);
                }
                (Err(problem), Some(_)) => {
                    assert_eq!(problem.series, uid);
                    check_problem(case, problem, want);
                }
                (Ok(_), Some(p)) => panic!("{case}: the reference finds {p}, clic assembles it"),
                (Err(e), None) => panic!("{case}: the reference assembles it, clic says {e}"),
            }
        }
    }
}

#[test]
fn the_order_of_the_headers_does_not_matter() {
    let mut h = headers("shuffled");
    let forward = assemble(&h);
    h.reverse();
    h.swap(1, 4);
    assert_eq!(assemble(&h), forward);
    let series = forward[0].as_ref().expect("assembles");
    // Sorted along the normal (+z here): each slice above the one before.
    let z: Vec<f64> = (0..series.len())
        .map(|k| series.geometry.world(0.0, 0.0, k as f64)[2])
        .collect();
    assert!(z.windows(2).all(|w| w[1] > w[0]), "{z:?}");
}

#[test]
fn an_enhanced_object_is_the_same_volume_as_its_single_frames() {
    let single = assemble(&headers("rescale"));
    let single = single[0].as_ref().expect("single frames assemble");
    let reference = load(single, &ReadLimits::default()).expect("voxels");
    for case in ["enhanced", "enhanced_rle"] {
        let h = headers(case);
        assert_eq!(h.len(), 4, "{case}: one header per frame");
        assert!(h.iter().all(|h| h.frames == 4));
        let got = assemble(&h);
        let got = got[0].as_ref().expect("the enhanced object assembles");
        let g = &got.geometry;
        assert_eq!(g.size, single.geometry.size, "{case}");
        close(&g.spacing, &single.geometry.spacing, 1e-9, case);
        close(&g.origin, &single.geometry.origin, 1e-9, case);
        for (a, b) in g.direction.iter().zip(&single.geometry.direction) {
            close(a, b, 1e-9, case);
        }
        // The per-frame rescale, not the shared one (7, 7) the fixture also carries.
        let slopes: Vec<f64> = got.slices.iter().map(|s| s.rescale_slope).collect();
        let want: Vec<f64> = single.slices.iter().map(|s| s.rescale_slope).collect();
        assert_eq!(slopes, want, "{case}");
        let volume = load(got, &ReadLimits::default()).expect("the frames decode");
        assert_eq!(volume.data, reference.data, "{case}: voxels");
    }
}

#[test]
fn an_enhanced_object_of_several_fragments_a_frame_is_the_same_volume() {
    // JPEG 2000 frames, one fragment each (found by the Extended Offset Table), and the
    // same frames cut in three fragments, found by the Basic Offset Table or by the
    // codestreams' start markers: one volume (the voxels are also pydicom's, in
    // `every_case_agrees_with_the_pydicom_numpy_reference`).
    let volume = |case: &str| {
        let h = headers(case);
        assert_eq!(h.len(), 4, "{case}: one header per frame");
        let got = assemble(&h);
        let series = got[0].as_ref().expect("the enhanced object assembles");
        load(series, &ReadLimits::default())
            .unwrap_or_else(|e| panic!("{case}: the frames decode: {e}"))
    };
    let one = volume("enhanced_j2k");
    assert_eq!(one.geometry.size, [32, 32, 4]);
    for case in ["enhanced_j2k_frag", "enhanced_j2k_frag_nobot"] {
        let several = volume(case);
        assert_eq!(several.geometry, one.geometry, "{case}");
        assert_eq!(several.data, one.data, "{case}: voxels");
    }

    // Its Extended Offset Table with frame 2's offset inside a fragment: the frame error
    // names the table and the offset, as for a 2D image.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = std::fs::read(data().join("enhanced_j2k/enhanced.dcm")).expect("fixture");
    let head = [0xE0, 0x7F, 0x01, 0x00, b'O', b'V', 0, 0];
    let at = bytes
        .windows(8)
        .position(|w| w == head)
        .expect("an Extended Offset Table")
        + 12;
    let third = at + 16..at + 24;
    let offset = u64::from_le_bytes(bytes[third.clone()].try_into().expect("8 bytes")) + 4;
    bytes[third].copy_from_slice(&offset.to_le_bytes());
    write(&dir.path().join("enhanced.dcm"), &bytes);
    let (h, errors) = read_folder(dir.path(), &ReadLimits::default()).expect("lists");
    assert!(errors.is_empty(), "{errors:?}");
    let got = assemble(&h);
    let series = got[0].as_ref().expect("the headers still assemble");
    match load(series, &ReadLimits::default()) {
        Err(SeriesError::Frame { reason, .. }) => assert!(
            reason.contains(&format!(
                "the Extended Offset Table (7FE0,0001)'s offset {offset} for frame 2 does not start"
            )),
            "{reason}"
        ),
        other => panic!("a frame error, not {other:?}"),
    }
}

#[test]
fn each_slice_has_its_own_rescale() {
    let got = assemble(&headers("rescale"));
    let s = got[0].as_ref().expect("assembles");
    let lut: Vec<(f64, f64)> = s
        .slices
        .iter()
        .map(|s| (s.rescale_slope, s.rescale_intercept))
        .collect();
    assert_eq!(
        lut,
        vec![(1.0, -1024.0), (0.5, -1000.0), (2.0, 0.0), (1.0, -1024.0)]
    );
}

#[test]
fn a_single_slice_is_a_2d_series_of_its_thickness() {
    let got = assemble(&headers("single"));
    let s = got[0].as_ref().expect("a single slice assembles");
    assert!(s.is_single_slice());
    assert_eq!(s.geometry.spacing[2], 3.0);
    assert_eq!(s.geometry.direction[2], [0.0, 0.0, 1.0]);
}

#[test]
fn the_tolerances_are_the_documented_ones() {
    let uneven = headers("uneven");
    assert!(assemble(&uneven)[0].is_err());
    let loose = Tolerances {
        uneven_relative: 0.2,
        ..Tolerances::default()
    };
    let got = assemble_with(&uneven, &loose);
    let s = got[0].as_ref().expect("within a 20% tolerance");
    // Spacing from the first and last positions: 8.3 mm over 4 steps.
    assert!((s.geometry.spacing[2] - 8.3 / 4.0).abs() < 1e-9);
    // A step 0.02 mm off a 2.5 mm median is within 1% (0.025 mm); 0.03 mm is not.
    for (shift, ok) in [(0.02, true), (0.03, false)] {
        let mut h = headers("shuffled");
        for h in &mut h {
            if let Some(p) = &mut h.position {
                if p[2] > 44.0 {
                    p[2] += shift;
                }
            }
        }
        assert_eq!(assemble(&h)[0].is_ok(), ok, "shift {shift}");
    }
}

#[test]
fn a_missing_series_uid_and_mixed_sizes_are_problems() {
    let mut h = headers("shuffled");
    h[2].rows = 5;
    let got = assemble(&h);
    let e = got[0].as_ref().expect_err("mixed sizes");
    assert!(
        matches!(e.problems[0], Problem::MixedSize { rows: 5, .. }),
        "{e}"
    );
    let mut h = headers("shuffled");
    for h in &mut h {
        h.series_uid.clear();
    }
    let e = assemble(&h).remove(0).expect_err("no uid");
    assert!(
        matches!(e.problems[0], Problem::NoSeriesUid { files: 6, .. }),
        "{e}"
    );
}

/// A Part 10 file of a structured report: no pixel data.
fn report(path: &Path) {
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
    let sr = "1.2.840.10008.5.1.4.1.1.88.11";
    let obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, PrimitiveValue::from(sr)),
        DataElement::new(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from("1.2.3.4"),
        ),
        DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("SR")),
        DataElement::new(
            tags::SERIES_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from("1.2.3"),
        ),
    ]);
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(sr)
        .media_storage_sop_instance_uid("1.2.3.4")
        .transfer_syntax("1.2.840.10008.1.2.1");
    obj.with_meta(meta)
        .expect("meta")
        .write_to_file(path)
        .expect("write the report");
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn garbage_and_truncated_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = std::fs::read(data().join("shuffled/00.dcm")).expect("fixture");
    let enhanced = std::fs::read(data().join("enhanced_rle/enhanced.dcm")).expect("fixture");
    write(
        &dir.path().join("garbage.dcm"),
        b"this is not DICOM at all, not even close",
    );
    write(&dir.path().join("empty.dcm"), b"");
    for cut in [10, 132, 200, good.len() / 2, good.len() - 7] {
        write(&dir.path().join(format!("cut{cut}.dcm")), &good[..cut]);
    }
    for cut in [400, enhanced.len() / 2, enhanced.len() - 3] {
        write(&dir.path().join(format!("mf{cut}.dcm")), &enhanced[..cut]);
    }
    write(&dir.path().join("good.dcm"), &good);
    // A file without pixel data (a structured report) has no slice and is no error.
    report(&dir.path().join("report.dcm"));
    let (h, errors) = read_folder(dir.path(), &ReadLimits::default()).expect("lists");
    assert_eq!(h.len(), 1, "only the whole image has a header");
    assert!(errors.len() >= 8, "{errors:?}");
    for e in &errors {
        let text = e.to_string();
        assert!(text.contains(".dcm"), "the error names the file: {text}");
    }
    assert!(read_headers(&dir.path().join("garbage.dcm"), &ReadLimits::default()).is_err());

    // A file truncated after its header was read: the voxels are an error.
    let folder = dir.path().join("series");
    std::fs::create_dir(&folder).expect("mkdir");
    for name in ["00.dcm", "01.dcm", "02.dcm"] {
        std::fs::copy(data().join("rescale").join(name), folder.join(name)).expect("copy");
    }
    let (h, _) = read_folder(&folder, &ReadLimits::default()).expect("lists");
    let got = assemble(&h);
    let series = got[0].as_ref().expect("the three files assemble");
    write(&folder.join("01.dcm"), &good[..good.len() - 11]);
    let e = load(series, &ReadLimits::default()).expect_err("truncated");
    assert!(e.to_string().contains("01.dcm"), "{e}");
}

#[test]
fn a_series_over_the_pixel_limit_is_refused() {
    let got = assemble(&headers("shuffled"));
    let s = got[0].as_ref().expect("assembles");
    let limits = ReadLimits {
        max_pixels: 60,
        ..ReadLimits::default()
    };
    let e = load(s, &limits).expect_err("72 voxels over 60");
    assert!(
        matches!(
            e,
            SeriesError::TooLarge {
                voxels: 72,
                limit: 60,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("--max-pixels"), "{e}");
}

fn several() -> Vec<Series> {
    assemble(&headers("several"))
        .into_iter()
        .map(|r| r.expect("assembles"))
        .collect()
}

fn re(s: &str) -> Option<regex::Regex> {
    Some(regex::Regex::new(s).expect("regex"))
}

#[test]
fn selection_finds_one_none_or_several() {
    let series = several();
    assert_eq!(series.len(), 3);
    let ct = Selector {
        modalities: vec!["ct".to_owned()],
        ..Selector::default()
    };
    match select(&series, &ct) {
        Err(SelectError::Several { matches, .. }) => {
            let uids: Vec<&str> = matches.iter().map(|m| m.uid.as_str()).collect();
            assert_eq!(uids, [series[0].uid.as_str(), series[1].uid.as_str()]);
        }
        other => panic!("two CT series: {other:?}"),
    }
    let message = select(&series, &ct).expect_err("several").to_string();
    assert!(
        message.contains("several series where one is expected"),
        "{message}"
    );
    assert!(
        message.contains("Abdomen 5mm") && message.contains("Lung 1mm"),
        "{message}"
    );
    assert!(message.contains(&series[0].uid), "{message}");

    let abdomen = Selector {
        description: re("(?i)abdomen"),
        ..ct.clone()
    };
    assert_eq!(
        select(&series, &abdomen).expect("one").description,
        "Abdomen 5mm"
    );
    let derived = Selector {
        image_type: vec!["DERIVED".to_owned(), "axial".to_owned()],
        ..ct.clone()
    };
    assert_eq!(
        select(&series, &derived).expect("one").description,
        "Lung 1mm"
    );
    let thin = Selector {
        slices: Some((5, 600)),
        ..Selector::default()
    };
    assert_eq!(select(&series, &thin).expect("one").len(), 6);
    let original_ct = Selector {
        image_type: vec!["ORIGINAL".to_owned()],
        slices: Some((1, 4)),
        ..ct.clone()
    };
    assert_eq!(
        select(&series, &original_ct).expect("one").description,
        "Abdomen 5mm"
    );

    let dwi = Selector {
        modalities: vec!["MR".to_owned()],
        description: re("DWI|diffusion"),
        ..Selector::default()
    };
    let e = select(&series, &dwi).expect_err("none");
    assert!(
        matches!(&e, SelectError::NoMatch { series, .. } if series.len() == 3),
        "{e}"
    );
    let message = e.to_string();
    assert!(
        message.contains("no series matches modality MR"),
        "{message}"
    );
    assert!(
        message.contains("AX FLAIR"),
        "the candidates are listed: {message}"
    );
}

#[test]
fn multi_sequence_inputs_select_one_series_each_per_study() {
    let series = several();
    let studies = by_study(&series);
    assert_eq!(studies.len(), 2);
    assert_eq!(studies[0].series.len(), 2);
    assert_eq!(studies[1].series.len(), 1);
    let flair = Selector {
        modalities: vec!["MR".to_owned()],
        description: re("FLAIR"),
        ..Selector::default()
    };
    let ct = Selector {
        modalities: vec!["CT".to_owned()],
        description: re("Abdomen"),
        ..Selector::default()
    };
    let mr_study = studies
        .iter()
        .find(|s| s.series[0].modality == "MR")
        .expect("the MR study");
    let chosen = select_inputs(mr_study, &[("flair", &flair)]).expect("one FLAIR");
    assert_eq!(chosen[0].description, "AX FLAIR");
    let errors = select_inputs(mr_study, &[("flair", &flair), ("ct", &ct)]).expect_err("no CT");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].input, "ct");
    assert!(
        errors[0].to_string().contains("input `ct`"),
        "{}",
        errors[0]
    );
}

#[test]
fn corrupted_bytes_anywhere_are_errors_not_panics() {
    // Every byte of the enhanced RLE object (header, functional groups, fragments) and of
    // a single-frame image, overwritten in turn: reading, assembling and loading return
    // whatever they return, without a panic.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut seen_errors = 0;
    for source in ["enhanced_rle/enhanced.dcm", "rescale/01.dcm"] {
        let original = std::fs::read(data().join(source)).expect("fixture");
        for at in (0..original.len()).step_by(4) {
            for value in [0xFF, original[at].wrapping_add(1)] {
                let mut bytes = original.clone();
                bytes[at] = value;
                let path = dir.path().join("x.dcm");
                write(&path, &bytes);
                match read_headers(&path, &ReadLimits::default()) {
                    Err(_) => seen_errors += 1,
                    Ok(h) => {
                        for series in assemble(&h).into_iter().flatten() {
                            if load(&series, &ReadLimits::default()).is_err() {
                                seen_errors += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(seen_errors > 0);
}
