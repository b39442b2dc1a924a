//! Reference masks read onto their source series agree with nibabel (NIfTI: its affine)
//! and highdicom (DICOM SEG: its pixel-to-patient transform) on the fixtures of
//! `tests/data/masks` (made by `make_masks.py`; no Python at test time): per structure,
//! the voxel count exactly and the LPS centroid to 1e-3 mm. Geometry mismatches, a
//! structure a SEG lacks, a SEG of another series and hostile files are typed errors.
#![expect(clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use clic_runner::volume::masks::{read_nifti, read_reference, MaskError, Structure};
use clic_runner::volume::{Geometry, Volume};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

const LIMIT: u64 = 16 << 20;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/masks")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

fn floats<const N: usize>(v: &Value) -> [f64; N] {
    let a = v.as_array().expect("an array");
    assert_eq!(a.len(), N, "{v}");
    std::array::from_fn(|i| a[i].as_f64().expect("a number"))
}

fn source(e: &Value) -> (Geometry, Vec<String>) {
    let g = &e["geometry"];
    let size: [f64; 3] = floats(&g["size"]);
    let d = g["direction"].as_array().expect("direction");
    let geometry = Geometry {
        size: size.map(|s| s as usize),
        spacing: floats(&g["spacing"]),
        origin: floats(&g["origin"]),
        direction: [floats(&d[0]), floats(&d[1]), floats(&d[2])],
    };
    let slices = e["slices"]
        .as_array()
        .expect("slices")
        .iter()
        .map(|s| s.as_str().expect("a UID").to_owned())
        .collect();
    (geometry, slices)
}

const STRUCTURES: [Structure<'static>; 2] = [
    Structure {
        name: "liver",
        label: 1,
    },
    Structure {
        name: "spleen",
        label: 2,
    },
];

/// The voxel count and the mean voxel centre (LPS mm) of a mask.
fn count_and_centroid(v: &Volume<bool>) -> (usize, [f64; 3]) {
    let [nx, ny, nz] = v.geometry.size;
    let mut n = 0;
    let mut sum = [0.0; 3];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                if v.at(x, y, z) {
                    n += 1;
                    let p = v.geometry.world(x as f64, y as f64, z as f64);
                    for (s, c) in sum.iter_mut().zip(p) {
                        *s += c;
                    }
                }
            }
        }
    }
    (n, sum.map(|s| s / n.max(1) as f64))
}

fn check_ok(name: &str, case: &Value, geometry: &Geometry, slices: &[String]) {
    let masks = read_reference(&dir().join(name), &STRUCTURES, geometry, slices, LIMIT)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(masks.len(), STRUCTURES.len(), "{name}");
    for (s, mask) in STRUCTURES.iter().zip(&masks) {
        assert_eq!(
            &mask.geometry, geometry,
            "{name} {}: not on the source",
            s.name
        );
        let want = &case["structures"][s.name];
        let (n, centroid) = count_and_centroid(mask);
        assert_eq!(
            n as u64,
            want["voxels"].as_u64().expect("voxels"),
            "{name} {}: voxel count",
            s.name
        );
        let c: [f64; 3] = floats(&want["centroid"]);
        for (got, want) in centroid.iter().zip(c) {
            assert!(
                (got - want).abs() < 1e-3,
                "{name} {}: centroid {centroid:?}, reference {c:?}",
                s.name
            );
        }
    }
}

fn cases(prefix: &str) -> Vec<(String, Value)> {
    let e = expected();
    let cases = e["cases"].as_object().expect("cases");
    let out: Vec<_> = cases
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert!(!out.is_empty(), "no {prefix} cases");
    out
}

fn run(prefix: &str) {
    let e = expected();
    let (geometry, slices) = source(&e);
    for (name, case) in cases(prefix) {
        match case["expect"].as_str().expect("expect") {
            "ok" => check_ok(&name, &case, &geometry, &slices),
            "geometry" => {
                let err =
                    read_reference(&dir().join(&name), &STRUCTURES, &geometry, &slices, LIMIT);
                match err {
                    Err(MaskError::Geometry {
                        what,
                        mask,
                        expected,
                        found,
                    }) => {
                        assert_eq!(what, case["what"].as_str().expect("what"), "{name}");
                        assert_eq!(mask, dir().join(&name));
                        assert_ne!(expected, found, "{name}");
                    }
                    other => panic!("{name}: want a geometry error, got {other:?}"),
                }
            }
            "wrong-series" => {
                let err =
                    read_reference(&dir().join(&name), &STRUCTURES, &geometry, &slices, LIMIT);
                match err {
                    Err(MaskError::WrongSeries { referenced, .. }) => {
                        let want: Vec<String> = case["referenced"]
                            .as_array()
                            .expect("referenced")
                            .iter()
                            .map(|v| v.as_str().expect("UID").to_owned())
                            .collect();
                        assert_eq!(referenced, want, "{name}");
                    }
                    other => panic!("{name}: want a wrong-series error, got {other:?}"),
                }
            }
            other => panic!("{name}: unknown expectation {other}"),
        }
    }
}

#[test]
fn nifti_label_maps_agree_with_nibabel() {
    run("labels");
}

#[test]
fn a_geometry_mismatch_names_the_numbers() {
    let e = expected();
    let (geometry, slices) = source(&e);
    let err = read_reference(
        &dir().join("labels-shifted.nii"),
        &STRUCTURES,
        &geometry,
        &slices,
        LIMIT,
    )
    .expect_err("shifted");
    let text = err.to_string();
    assert!(text.contains("labels-shifted.nii"), "{text}");
    assert!(text.contains("origin"), "{text}");
    assert!(text.contains("-20.5"), "{text}");
}

/// A NIfTI-1 header (352 bytes: header and empty extension flag) for uint8 voxels.
fn nifti1_header(dims: [i16; 4]) -> Vec<u8> {
    let mut b = vec![0u8; 352];
    b[..4].copy_from_slice(&348i32.to_le_bytes());
    b[40..42].copy_from_slice(&dims[0].to_le_bytes());
    for (i, d) in dims[1..].iter().enumerate() {
        b[42 + 2 * i..44 + 2 * i].copy_from_slice(&d.to_le_bytes());
    }
    b[70..72].copy_from_slice(&2i16.to_le_bytes());
    b[72..74].copy_from_slice(&8i16.to_le_bytes());
    for i in 1..4 {
        b[76 + 4 * i..80 + 4 * i].copy_from_slice(&1.0f32.to_le_bytes());
    }
    b[108..112].copy_from_slice(&352f32.to_le_bytes());
    b[344..348].copy_from_slice(b"n+1\0");
    b
}

#[test]
fn a_gzip_bomb_is_refused_within_the_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("bomb.nii.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&nifti1_header([3, 1024, 1024, 16]))
        .expect("gzip");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..16 {
        gz.write_all(&zeros).expect("gzip");
    }
    let bytes = gz.finish().expect("gzip");
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    std::fs::write(&path, &bytes).expect("write");
    match read_nifti(&path, 4 << 20) {
        Err(MaskError::Nifti { reason, .. }) => {
            assert!(reason.contains("inflates to more than"), "{reason}");
        }
        other => panic!("want a refusal, got {other:?}"),
    }
    // Within a limit that holds it, the same file reads (all background).
    let read = read_nifti(&path, 32 << 20).expect("within the limit");
    assert_eq!(read.geometry.size, [1024, 1024, 16]);
}

/// Hostile variants of a NIfTI file: each is an error, never a panic.
fn nifti_mutations(good: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for cut in [0, 3, 100, 347, 348, 351, 352, 353, good.len() - 1] {
        out.push((
            format!("truncated at {cut}"),
            good[..cut.min(good.len())].to_vec(),
        ));
    }
    let set = |at: usize, v: &[u8]| {
        let mut b = good.to_vec();
        b[at..at + v.len()].copy_from_slice(v);
        b
    };
    out.push(("dim[0] 2".into(), set(40, &2i16.to_le_bytes())));
    out.push(("dim[0] 8".into(), set(40, &8i16.to_le_bytes())));
    out.push(("dim[1] 0".into(), set(42, &0i16.to_le_bytes())));
    out.push(("dim[2] -5".into(), set(44, &(-5i16).to_le_bytes())));
    out.push(("huge dims".into(), {
        let b = set(42, &i16::MAX.to_le_bytes());
        let mut b = b;
        b[44..46].copy_from_slice(&i16::MAX.to_le_bytes());
        b[46..48].copy_from_slice(&i16::MAX.to_le_bytes());
        b
    }));
    out.push(("4D".into(), {
        let mut b = set(40, &4i16.to_le_bytes());
        b[48..50].copy_from_slice(&3i16.to_le_bytes());
        b
    }));
    out.push(("datatype 128 (rgb)".into(), set(70, &128i16.to_le_bytes())));
    out.push(("bitpix 16 for uint8".into(), set(72, &16i16.to_le_bytes())));
    out.push(("vox_offset NaN".into(), set(108, &f32::NAN.to_le_bytes())));
    out.push(("vox_offset 1e9".into(), set(108, &1e9f32.to_le_bytes())));
    out.push(("vox_offset 10".into(), set(108, &10f32.to_le_bytes())));
    out.push(("magic".into(), set(344, b"xyz\0")));
    out.push(("two files".into(), set(344, b"ni1\0")));
    out.push(("sizeof_hdr".into(), set(0, &349i32.to_le_bytes())));
    out.push(("scl_slope 0.5".into(), set(112, &0.5f32.to_le_bytes())));
    out.push(("sform NaN".into(), set(280, &f32::NAN.to_le_bytes())));
    out.push(("sform zero axis".into(), {
        let mut b = good.to_vec();
        for r in 0..3 {
            b[280 + 16 * r..284 + 16 * r].copy_from_slice(&0f32.to_le_bytes());
        }
        b
    }));
    out.push(("sform sheared".into(), set(296, &0.5f32.to_le_bytes())));
    out
}

#[test]
fn hostile_nifti_files_are_errors() {
    let good = std::fs::read(dir().join("labels.nii")).expect("labels.nii");
    let tmp = tempfile::tempdir().expect("tempdir");
    let e = expected();
    let (geometry, slices) = source(&e);
    for (what, bytes) in nifti_mutations(&good) {
        let path = tmp.path().join("m.nii");
        std::fs::write(&path, &bytes).expect("write");
        let got = read_reference(&path, &STRUCTURES, &geometry, &slices, LIMIT);
        match got {
            Err(MaskError::Nifti { mask, reason }) => {
                assert_eq!(mask, path, "{what}");
                assert!(!reason.is_empty(), "{what}");
            }
            Err(MaskError::Geometry { .. }) if what.starts_with("sform") => {}
            other => panic!("{what}: want an error, got {other:?}"),
        }
        // And gzipped, the same.
        let gz_path = tmp.path().join("m.nii.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes).expect("gzip");
        std::fs::write(&gz_path, gz.finish().expect("gzip")).expect("write");
        assert!(
            read_reference(&gz_path, &STRUCTURES, &geometry, &slices, LIMIT).is_err(),
            "{what} (gzip)"
        );
    }
    // A truncated gzip stream.
    let gz = std::fs::read(dir().join("labels.nii.gz")).expect("labels.nii.gz");
    let path = tmp.path().join("cut.nii.gz");
    std::fs::write(&path, &gz[..gz.len() / 2]).expect("write");
    assert!(matches!(
        read_nifti(&path, LIMIT),
        Err(MaskError::Nifti { .. })
    ));
    // Over the size limit on disk.
    assert!(matches!(
        read_nifti(&dir().join("labels.nii"), 100),
        Err(MaskError::Read { .. })
    ));
    // Not a file.
    assert!(matches!(
        read_nifti(tmp.path(), LIMIT),
        Err(MaskError::Read { .. })
    ));
}

#[test]
fn a_non_integer_label_is_an_error() {
    let mut b = nifti1_header([3, 2, 1, 1]);
    b[70..72].copy_from_slice(&16i16.to_le_bytes());
    b[72..74].copy_from_slice(&32i16.to_le_bytes());
    b.extend_from_slice(&1.0f32.to_le_bytes());
    b.extend_from_slice(&1.5f32.to_le_bytes());
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("f.nii");
    std::fs::write(&path, &b).expect("write");
    match read_nifti(&path, LIMIT) {
        Err(MaskError::Nifti { reason, .. }) => assert!(reason.contains("1.5"), "{reason}"),
        other => panic!("want an error, got {other:?}"),
    }
}

#[test]
fn dicom_segs_agree_with_highdicom() {
    run("seg");
}

#[test]
fn seg_frames_are_placed_by_position_without_the_slice_uids() {
    let e = expected();
    let (geometry, _) = source(&e);
    let case = &e["cases"]["seg-binary.dcm"];
    check_ok("seg-binary.dcm", case, &geometry, &[]);
}

#[test]
fn a_structure_the_seg_lacks_is_named_with_the_segments_it_has() {
    let e = expected();
    let (geometry, slices) = source(&e);
    let structures = [Structure {
        name: "kidney",
        label: 3,
    }];
    let err = read_reference(
        &dir().join("seg-binary.dcm"),
        &structures,
        &geometry,
        &slices,
        LIMIT,
    );
    match err {
        Err(MaskError::MissingStructure {
            structure,
            segments,
            ..
        }) => {
            assert_eq!(structure, "kidney");
            assert_eq!(
                segments,
                vec!["1: `Liver` (Liver)", "2: `Organ 2` (Spleen)"]
            );
        }
        other => panic!("want a missing structure, got {other:?}"),
    }
}

#[test]
fn a_seg_frame_on_no_source_slice_is_an_error() {
    let e = expected();
    let (mut geometry, slices) = source(&e);
    // The source is two slices shorter: frames on slices 6 and 7 match nothing; their
    // UIDs are not among the source's.
    geometry.size[2] = 6;
    let err = read_reference(
        &dir().join("seg-binary.dcm"),
        &STRUCTURES,
        &geometry,
        &slices[..6],
        LIMIT,
    );
    assert!(
        matches!(err, Err(MaskError::UnmatchedFrame { .. })),
        "{err:?}"
    );
    let err = read_reference(
        &dir().join("seg-binary.dcm"),
        &STRUCTURES,
        &geometry,
        &[],
        LIMIT,
    );
    assert!(
        matches!(err, Err(MaskError::UnmatchedFrame { .. })),
        "{err:?}"
    );
}

#[test]
fn hostile_segs_are_errors_not_panics() {
    let good = std::fs::read(dir().join("seg-binary.dcm")).expect("seg-binary.dcm");
    let tmp = tempfile::tempdir().expect("tempdir");
    let e = expected();
    let (geometry, slices) = source(&e);
    let path = tmp.path().join("m.dcm");
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in (0..good.len()).step_by(97) {
        variants.push((format!("truncated at {cut}"), good[..cut].to_vec()));
    }
    // Deterministic byte flips (xorshift), over the whole file.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..300 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut b = good.clone();
        let at = (state % b.len() as u64) as usize;
        b[at] ^= (state >> 32) as u8 | 1;
        variants.push((format!("flip {i} at {at}"), b));
    }
    let mut ok = 0;
    for (what, bytes) in variants {
        std::fs::write(&path, &bytes).expect("write");
        match read_reference(&path, &STRUCTURES, &geometry, &slices, LIMIT) {
            Ok(masks) => {
                ok += 1;
                assert_eq!(masks.len(), 2, "{what}");
            }
            Err(e) => assert!(e.to_string().contains("m.dcm"), "{what}: {e}"),
        }
    }
    // Most flips land in pixel data or text and still read; truncations never do.
    assert!(ok > 0, "no variant read");
    // Not a SEG: a CT slice.
    let err = read_reference(
        &dir().join("ct/slice-00.dcm"),
        &STRUCTURES,
        &geometry,
        &slices,
        LIMIT,
    );
    match err {
        Err(MaskError::Seg { reason, .. }) => assert!(reason.contains("SOP class"), "{reason}"),
        other => panic!("want not-a-SEG, got {other:?}"),
    }
}

/// The example's reference masks (24 series: DICOM SEG by highdicom and two NIfTI, one
/// series with a flipped in-plane orientation, one Enhanced CT), each read onto its
/// series as `volume::series` assembles it: the reference volumes agree with those
/// MONAI's pipeline computed from the same masks (`model/reference-metrics.json`).
#[test]
fn the_examples_reference_masks_read_onto_their_series() {
    use clic_runner::budget::ReadLimits;
    use clic_runner::volume::series::{assemble, read_folder};
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ct-segmentation");
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(example.join("model/reference-metrics.json")).expect("metrics"),
    )
    .expect("JSON");
    let reference = example.join("data/reference");
    let cases = metrics["reference"]["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    let limits = ReadLimits::default();
    for case in cases {
        let folder = reference.join(case["folder"].as_str().expect("folder"));
        let (headers, errors) = read_folder(&folder, &limits).expect("folder");
        assert!(errors.is_empty(), "{errors:?}");
        let series = assemble(&headers)
            .into_iter()
            .find_map(|s| {
                s.ok()
                    .filter(|s| s.uid == case["series"].as_str().expect("uid"))
            })
            .expect("the case's series assembles");
        let slices: Vec<String> = series
            .slices
            .iter()
            .map(|s| s.sop_instance_uid.clone())
            .collect();
        let mask = reference.join(case["mask"].as_str().expect("mask"));
        let masks = read_reference(&mask, &STRUCTURES, &series.geometry, &slices, LIMIT)
            .unwrap_or_else(|e| panic!("{e}"));
        for (s, m) in STRUCTURES.iter().zip(&masks) {
            let ml =
                m.data.iter().filter(|&&v| v).count() as f64 * m.geometry.voxel_volume() / 1000.0;
            let want = case[s.name]["volume_ref_ml"].as_f64().expect("volume");
            assert!(
                (ml - want).abs() <= 1e-6 * want.max(1.0),
                "{} {}: {ml} mL, MONAI's reference {want} mL",
                mask.display(),
                s.name
            );
        }
    }
}

/// SEG headers that lie: each is a typed error before any pixel is read.
#[test]
fn seg_headers_that_lie_are_errors() {
    use dicom_core::VR;
    use dicom_dictionary_std::tags;
    let e = expected();
    let (geometry, slices) = source(&e);
    let tmp = tempfile::tempdir().expect("tempdir");
    type Edit = fn(&mut dicom_object::DefaultDicomObject);
    let edits: [(&str, Edit, &str); 7] = [
        (
            "two billion frames",
            |o| {
                o.put_str(tags::NUMBER_OF_FRAMES, VR::IS, "2000000000");
            },
            "more than",
        ),
        (
            "more frames than functional groups",
            |o| {
                o.put_str(tags::NUMBER_OF_FRAMES, VR::IS, "9");
            },
            "PixelData holds",
        ),
        (
            "1-bit label map",
            |o| {
                o.put_str(tags::SEGMENTATION_TYPE, VR::CS, "LABELMAP");
            },
            "BitsAllocated",
        ),
        (
            "unknown type",
            |o| {
                o.put_str(tags::SEGMENTATION_TYPE, VR::CS, "SURFACE");
            },
            "SURFACE",
        ),
        (
            "no per-frame groups",
            |o| {
                o.remove_element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
            },
            "PerFrameFunctionalGroupsSequence",
        ),
        (
            "no pixel data",
            |o| {
                o.remove_element(tags::PIXEL_DATA);
            },
            "PixelData",
        ),
        (
            "no segments",
            |o| {
                o.remove_element(tags::SEGMENT_SEQUENCE);
            },
            "SegmentSequence",
        ),
    ];
    for (what, edit, says) in edits {
        let mut obj =
            dicom_object::open_file(dir().join("seg-binary.dcm")).expect("seg-binary.dcm");
        edit(&mut obj);
        let path = tmp.path().join("edited.dcm");
        obj.write_to_file(&path).expect("write");
        match read_reference(&path, &STRUCTURES, &geometry, &slices, LIMIT) {
            Err(MaskError::Seg { reason, .. }) => {
                assert!(reason.contains(says), "{what}: {reason}");
            }
            other => panic!("{what}: want a SEG error, got {other:?}"),
        }
    }
    // Rows that are not the source's: a size mismatch with the numbers.
    let mut obj = dicom_object::open_file(dir().join("seg-binary.dcm")).expect("seg-binary.dcm");
    obj.put_element(dicom_object::mem::InMemElement::new(
        tags::ROWS,
        VR::US,
        dicom_core::PrimitiveValue::from(65535u16),
    ));
    let path = tmp.path().join("rows.dcm");
    obj.write_to_file(&path).expect("write");
    match read_reference(&path, &STRUCTURES, &geometry, &slices, LIMIT) {
        Err(MaskError::Geometry {
            what,
            expected,
            found,
            ..
        }) => {
            assert_eq!(what, "size");
            assert_eq!(expected, vec![15.0, 11.0]);
            assert_eq!(found, vec![15.0, 65535.0]);
        }
        other => panic!("want a size mismatch, got {other:?}"),
    }
}
