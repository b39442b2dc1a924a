//! Every file of runner/tests/data/codecs/ decoded frame by frame against pydicom's own
//! decoders (tools/codecs/make_test_data.py wrote the files and expected.json), and each
//! codec's stream truncated and corrupted.

use super::frames::{FrameError, Table};
use super::*;
use crate::dicom::open::load;
use crate::dicom::Limits;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/codecs")
}

/// The Extended Offset Table corpus (runner/tests/data/offset_tables/make_offset_tables.py).
fn eot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/offset_tables")
}

fn expected() -> serde_json::Map<String, Json> {
    expected_in(&dir())
}

fn expected_in(dir: &Path) -> serde_json::Map<String, Json> {
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap_or_default();
    match serde_json::from_str(&text) {
        Ok(Json::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn open(name: &str) -> Object {
    open_in(&dir(), name)
}

fn open_in(dir: &Path, name: &str) -> Object {
    match load(&dir.join(name), name, &Limits::default()) {
        Ok(l) => l.obj,
        Err(e) => unreachable_file(name, &e.to_string()),
    }
}

#[allow(clippy::panic)]
fn unreachable_file(name: &str, why: &str) -> ! {
    panic!("{name}: {why}")
}

/// Files nothing in the build decodes, and what their error must say.
const REFUSED: &[(&str, &str)] = &[
    ("jpeg_ext_u12.dcm", "12-bit samples (SOF1)"),
    ("pydicom_JPGExtended.dcm", "12-bit samples (SOF1)"),
    (
        "pydicom_SC_rgb_jls_lossy_line.dcm",
        "interleaved by line (ILV 1)",
    ),
    (
        "pydicom_SC_rgb_jls_lossy_sample.dcm",
        "interleaved by sample (ILV 2)",
    ),
    ("jls_lossless_rgb8.dcm", "interleaved by sample (ILV 2)"),
    ("pydicom_SC_rgb_rle_32bit.dcm", "for BitsAllocated 32"),
];

/// The decoded samples as pydicom gives them: each masked to BitsStored and
/// sign-extended when PixelRepresentation is 1.
fn samples(d: &DecodedPixelData<'_>) -> Vec<i32> {
    let bits = u32::from(d.bits_stored());
    let signed = d.pixel_representation() == dicom_pixeldata::PixelRepresentation::Signed;
    let value = |raw: u32| -> i32 {
        let v = if bits >= 32 {
            raw
        } else {
            raw & ((1u32 << bits) - 1)
        };
        if signed && bits < 32 && (v >> (bits - 1)) & 1 == 1 {
            (i64::from(v) - (1i64 << bits)) as i32
        } else {
            v as i32
        }
    };
    match d.bits_allocated() {
        8 => d.data().iter().map(|b| value(u32::from(*b))).collect(),
        16 => d
            .data()
            .chunks_exact(2)
            .map(|b| value(u32::from(u16::from_le_bytes([b[0], b[1]]))))
            .collect(),
        _ => d
            .data()
            .chunks_exact(4)
            .map(|b| value(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .collect(),
    }
}

fn sha256_le(values: &[i32]) -> String {
    let mut h = Sha256::new();
    for v in values {
        h.update(v.to_le_bytes());
    }
    format!("{:x}", h.finalize())
}

/// Checks one file against expected.json; returns what went wrong, if anything.
fn check_file(name: &str, want: &Json) -> Result<(), String> {
    check_object(&open(name), want)
}

/// Checks each frame of `obj` against its expected.json entry `want`.
fn check_object(obj: &Object, want: &Json) -> Result<(), String> {
    let n = (want["rows"].as_u64().unwrap_or(0)
        * want["columns"].as_u64().unwrap_or(0)
        * want["samples_per_pixel"].as_u64().unwrap_or(0)) as usize;
    let bound = want["max_error"].as_i64().unwrap_or(0);
    let frames = want["frames"].as_array().cloned().unwrap_or_default();
    if frames.is_empty() {
        return Err("no frame expected".to_owned());
    }
    for (k, f) in frames.iter().enumerate() {
        let d = decode_frame(obj, k as u32).map_err(|e| format!("frame {k}: {e}"))?;
        let got = samples(&d);
        if got.len() < n {
            return Err(format!("frame {k}: {} samples, {n} expected", got.len()));
        }
        let got = &got[..n];
        let photometric = d.photometric_interpretation().as_str().to_owned();
        if photometric != want["decoded_photometric"].as_str().unwrap_or("") {
            return Err(format!(
                "frame {k}: labelled {photometric}, {} expected",
                want["decoded_photometric"]
            ));
        }
        if d.number_of_frames() != 1 || d.rows() as u64 != want["rows"].as_u64().unwrap_or(0) {
            return Err(format!(
                "frame {k}: {} frames of {} rows",
                d.number_of_frames(),
                d.rows()
            ));
        }
        let first: Vec<i64> = got.iter().take(4).map(|v| i64::from(*v)).collect();
        let want_first: Vec<i64> = f["first"]
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_i64).collect())
            .unwrap_or_default();
        if bound == 0 {
            if first != want_first {
                return Err(format!(
                    "frame {k}: first samples {first:?}, {want_first:?} expected"
                ));
            }
            if sha256_le(got) != f["sha256"].as_str().unwrap_or("") {
                return Err(format!("frame {k}: the samples differ from pydicom's"));
            }
        } else {
            let Some(reference) = f["reference"].as_str() else {
                return Err(format!("frame {k}: no reference samples for a lossy file"));
            };
            let bytes = std::fs::read(dir().join(reference)).map_err(|e| e.to_string())?;
            let refs: Vec<i32> = bytes
                .chunks_exact(2)
                .map(|b| i32::from(i16::from_le_bytes([b[0], b[1]])))
                .collect();
            if refs.len() != n {
                return Err(format!(
                    "frame {k}: {} reference samples for {n}",
                    refs.len()
                ));
            }
            let worst = got
                .iter()
                .zip(&refs)
                .map(|(a, b)| i64::from((a - b).abs()))
                .max();
            if worst.unwrap_or(i64::MAX) > bound {
                return Err(format!(
                    "frame {k}: off by up to {worst:?} from pydicom, {bound} allowed"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn every_file_decodes_as_pydicom_does() {
    let expected = expected();
    assert!(
        expected.len() >= 40,
        "expected.json lists {} files",
        expected.len()
    );
    let mut failures = Vec::new();
    for (name, want) in &expected {
        if REFUSED.iter().any(|(n, _)| n == name) {
            continue;
        }
        if let Err(e) = check_file(name, want) {
            failures.push(format!("{name} ({}): {e}", want["transfer_syntax"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} file(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn what_cannot_be_decoded_is_refused_by_name() {
    for (name, why) in REFUSED {
        let obj = open(name);
        let ts = trim_uid(&obj.meta().transfer_syntax).to_owned();
        match decode_frame(&obj, 0) {
            Ok(_) => unreachable_file(name, "decoded, but nothing in the build can"),
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(why), "{name}: {e}");
                if !ts.ends_with(".80") && !ts.ends_with(".81") {
                    assert!(
                        e.contains(&named(&ts)) && e.contains("not supported"),
                        "{name}: {e}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_frame_past_the_last_is_an_error() {
    let obj = open("multi_j2k_3frag_nobot.dcm");
    assert!(decode_frame(&obj, 2).is_ok());
    let e = decode_frame(&obj, 3)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("frame 3") && e.contains("has 3"), "{e}");
}

#[test]
fn an_unknown_transfer_syntax_is_named() {
    let mut obj = open("rle_u8.dcm");
    obj.meta_mut().transfer_syntax = "1.2.3.4.5".to_owned();
    let e = decode_frame(&obj, 0)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("1.2.3.4.5 (unknown) is not supported"), "{e}");
}

#[test]
fn fragments_map_to_frames() {
    let f = |lens: &[usize], first: u8| -> Vec<Vec<u8>> {
        lens.iter()
            .map(|n| {
                let mut v = vec![0u8; *n];
                v[0] = first;
                v
            })
            .collect()
    };
    // Offsets: fragment items of 10, 6, 12 and 4 bytes start at 0, 18, 32, 52.
    let frags = f(&[10, 6, 12, 4], 0);
    let basic = |offsets: &[u64], frames| frames::by_offsets(Table::Basic, offsets, &frags, frames);
    assert_eq!(basic(&[0, 32], 2), Ok(vec![0..2, 2..4]));
    assert_eq!(basic(&[0, 18, 32, 52], 4), Ok(vec![0..1, 1..2, 2..3, 3..4]));
    assert!(matches!(
        basic(&[0, 30], 2),
        Err(FrameError::NotAFragment {
            frame: 1,
            offset: 30,
            ..
        })
    ));
    assert!(matches!(
        basic(&[0, 18, 52], 2),
        Err(FrameError::Count {
            entries: 3,
            frames: 2,
            ..
        })
    ));
    assert!(matches!(
        basic(&[18, 32], 2),
        Err(FrameError::FirstNotZero { offset: 18, .. })
    ));
    assert!(matches!(
        basic(&[0, 32, 18], 3),
        Err(FrameError::NotIncreasing {
            frame: 2,
            offset: 18,
            previous: 32,
            ..
        })
    ));
    assert!(matches!(
        basic(&[0, 0], 2),
        Err(FrameError::NotIncreasing { .. })
    ));
    // 64-bit offsets past 4 GiB and past the fragments are errors, not overflows.
    assert!(matches!(
        frames::by_offsets(Table::Extended, &[0, 1 << 33], &frags, 2),
        Err(FrameError::NotAFragment {
            offset: 8_589_934_592,
            ..
        })
    ));
    assert!(frames::by_offsets(Table::Extended, &[0, u64::MAX], &frags, 2).is_err());
    // The Extended Lengths: the sum of the frame's fragments, or one less (a pad byte).
    let ext = |lengths: &[u64]| frames::by_extended(&[0, 32], lengths, &frags, 2);
    assert_eq!(ext(&[16, 16]), Ok(vec![0..2, 2..4]));
    assert_eq!(ext(&[15, 15]), Ok(vec![0..2, 2..4]));
    assert!(matches!(
        ext(&[16, 14]),
        Err(FrameError::Length {
            frame: 1,
            length: 14,
            fragments: 2,
            held: 16
        })
    ));
    assert!(matches!(
        ext(&[u64::MAX, 16]),
        Err(FrameError::Length { frame: 0, .. })
    ));
    assert!(matches!(
        ext(&[16]),
        Err(FrameError::Count {
            table: Table::ExtendedLengths,
            entries: 1,
            ..
        })
    ));
    let mut jls = f(&[4, 4, 4, 4], 0);
    jls[0][..2].copy_from_slice(&[0xFF, 0xD8]);
    jls[3][..2].copy_from_slice(&[0xFF, 0xD8]);
    let ts = "1.2.840.10008.1.2.4.80";
    assert_eq!(frames::by_start_marker(&jls, 2, 0, ts), Ok(0..3));
    assert_eq!(frames::by_start_marker(&jls, 2, 1, ts), Ok(3..4));
    assert!(frames::by_start_marker(&jls, 3, 1, ts).is_err());
    assert!(matches!(
        frames::by_start_marker(&jls, 2, 1, "1.2.840.10008.1.2.5"),
        Err(FrameError::OneEach {
            fragments: 4,
            frames: 2
        })
    ));
}

/// One file per codec, its frame 0 codestream truncated to a third, its header
/// overwritten, or its data overwritten.
const HOSTILE: &[&str] = &[
    "jls_lossless_u16.dcm",
    "jls_near3_u12.dcm",
    "jls_ilv0_rgb8.dcm",
    "jpeg_sv1_u16.dcm",
    "jpeg_p14_pred6_u16.dcm",
    "jpeg_base_u8.dcm",
    "jpeg_base_ybr422.dcm",
    "rle_s16.dcm",
    "rle_rgb8.dcm",
    "j2k_lossless_s16.dcm",
    "j2k_lossy_rgb8.dcm",
    "htj2k_lossless_u16.dcm",
    "multi_j2k_3frag_bot.dcm",
    "multi_jls_2frag_nobot.dcm",
];

fn with_fragments(obj: &Object, f: impl Fn(&[u8]) -> Vec<u8>) -> Object {
    let mut out = obj.clone();
    if let Some(Value::PixelSequence(seq)) = obj.get(tags::PIXEL_DATA).map(|e| e.value()) {
        let fragments: Vec<Vec<u8>> = seq.fragments().iter().map(|x| f(x)).collect();
        out.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            Value::PixelSequence(PixelFragmentSequence::new(
                seq.offset_table().to_vec(),
                fragments,
            )),
        ));
    }
    out
}

/// Overwrites `at` with a pattern of 0xFF 0x90 pairs (a marker, SOT in JPEG 2000).
fn scribble(b: &[u8], at: std::ops::Range<usize>) -> Vec<u8> {
    let mut c = b.to_vec();
    let end = at.end.min(c.len());
    let start = at.start.min(end);
    for (i, x) in c[start..end].iter_mut().enumerate() {
        *x = if (start + i).is_multiple_of(2) {
            0xFF
        } else {
            0x90
        };
    }
    c
}

#[test]
fn truncated_and_corrupted_streams_are_errors() {
    let mut failures = Vec::new();
    for name in HOSTILE {
        let obj = open(name);
        let truncated = with_fragments(&obj, |b| b[..b.len() / 3].to_vec());
        let header = with_fragments(&obj, |b| scribble(b, 2..40));
        for (how, o) in [("truncated", &truncated), ("header corrupted", &header)] {
            match decode_frame(o, 0) {
                Ok(_) => failures.push(format!("{name} {how}: decoded")),
                Err(e) if e.to_string().starts_with("the decoder failed") => {
                    failures.push(format!("{name} {how}: the codec panicked: {e}"))
                }
                Err(_) => {}
            }
        }
        // The entropy-coded data overwritten: a codec without a check on its data (JPEG
        // 2000 resynchronises on markers, RLE has none) may give an image, but no codec
        // panics.
        let data = with_fragments(&obj, |b| scribble(b, b.len() / 2..b.len()));
        if let Err(e) = decode_frame(&data, 0) {
            if e.to_string().starts_with("the decoder failed") {
                failures.push(format!("{name} data corrupted: the codec panicked: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_broken_stream_is_a_per_file_error_naming_the_file() {
    let obj = with_fragments(&open("jls_lossless_u16.dcm"), |b| b[..b.len() / 3].to_vec());
    let mut bytes = Vec::new();
    if let Err(e) = obj.write_all(&mut bytes) {
        unreachable_file("jls_lossless_u16.dcm", &e.to_string());
    }
    let got = crate::dicom::read_bytes(&bytes, "scans/broken.dcm", &Limits::default());
    let e = match got {
        Ok((_, Err(e))) => e.to_string(),
        Ok((_, Ok(_))) => unreachable_file("scans/broken.dcm", "decoded"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("`scans/broken.dcm`") && e.contains("1.2.840.10008.1.2.4.80"),
        "{e}"
    );
}

/// The values of an Extended Offset Table element of `obj` (empty when absent).
fn table_of(obj: &Object, tag: Tag) -> Vec<u64> {
    match obj.get(tag).map(|e| e.value()) {
        Some(Value::Primitive(PrimitiveValue::U64(v))) => v.to_vec(),
        _ => Vec::new(),
    }
}

fn fragments_of(obj: &Object) -> Vec<Vec<u8>> {
    match obj.get(tags::PIXEL_DATA).map(|e| e.value()) {
        Some(Value::PixelSequence(seq)) => seq.fragments().to_vec(),
        _ => Vec::new(),
    }
}

/// `obj` with other pixel data fragments and Basic Offset Table.
fn with_pixels(obj: &Object, basic: Vec<u32>, fragments: Vec<Vec<u8>>) -> Object {
    let mut out = obj.clone();
    out.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(basic, fragments)),
    ));
    out
}

/// `obj` with element `tag` set to `value` (VR OV for 64-bit values) or removed.
fn with_table(obj: &Object, tag: Tag, value: Option<PrimitiveValue>) -> Object {
    let mut out = obj.clone();
    match value {
        Some(v @ PrimitiveValue::U64(_)) => out.put(DataElement::new(tag, VR::OV, v)),
        Some(v) => out.put(DataElement::new(tag, VR::OB, v)),
        None => {
            out.remove_element(tag);
            None
        }
    };
    out
}

fn u64s(v: &[u64]) -> Option<PrimitiveValue> {
    Some(PrimitiveValue::U64(v.iter().copied().collect()))
}

/// The Extended Offset Table and Lengths of `frames`, each a list of fragments.
fn extended_for(frames: &[Vec<Vec<u8>>]) -> (Vec<u64>, Vec<u64>) {
    let (mut offsets, mut lengths, mut at) = (Vec::new(), Vec::new(), 0u64);
    for fragments in frames {
        offsets.push(at);
        let held: u64 = fragments.iter().map(|f| f.len() as u64).sum();
        at += held + 8 * fragments.len() as u64;
        lengths.push(held);
    }
    (offsets, lengths)
}

/// The frame's samples' sha256 as expected.json records them, or the decoder's error.
fn frame_sha(obj: &Object, frame: u32) -> Result<String, String> {
    decode_frame(obj, frame)
        .map(|d| sha256_le(&samples(&d)))
        .map_err(|e| e.to_string())
}

#[test]
fn extended_offset_tables_decode_as_pydicom_does() {
    let expected = expected_in(&eot_dir());
    assert!(expected.len() >= 4, "{} files", expected.len());
    let mut failures = Vec::new();
    for (name, want) in &expected {
        let obj = open_in(&eot_dir(), name);
        // The fixture is what it says: an Extended Offset Table, the Basic one empty.
        let offsets = table_of(&obj, tags::EXTENDED_OFFSET_TABLE);
        assert_eq!(offsets.len(), 3, "{name}");
        let want_offsets: Vec<u64> = want["extended_offsets"]
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_u64).collect())
            .unwrap_or_default();
        assert_eq!(offsets, want_offsets, "{name}");
        match obj.get(tags::PIXEL_DATA).map(|e| e.value()) {
            Some(Value::PixelSequence(seq)) => assert!(seq.offset_table().is_empty(), "{name}"),
            _ => unreachable_file(name, "not encapsulated"),
        }
        if let Err(e) = check_object(&obj, want) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_extended_offset_table_decides_the_frames() {
    // RLE, each frame cut in two fragments: without an offset table that is refused (RLE
    // has no start marker); the Extended Offset Table says which fragments are whose.
    let want = &expected_in(&eot_dir())["eot_rle_s16.dcm"];
    let rle = open_in(&eot_dir(), "eot_rle_s16.dcm");
    let halves: Vec<Vec<Vec<u8>>> = fragments_of(&rle)
        .iter()
        .map(|f| {
            let cut = (f.len() / 2) & !1;
            vec![f[..cut].to_vec(), f[cut..].to_vec()]
        })
        .collect();
    let (offsets, lengths) = extended_for(&halves);
    let split = with_pixels(&rle, Vec::new(), halves.concat());
    let split = with_table(&split, tags::EXTENDED_OFFSET_TABLE, u64s(&offsets));
    let split = with_table(&split, tags::EXTENDED_OFFSET_TABLE_LENGTHS, u64s(&lengths));
    assert_eq!(check_object(&split, want), Ok(()));
    let bare = with_table(&split, tags::EXTENDED_OFFSET_TABLE, None);
    let bare = with_table(&bare, tags::EXTENDED_OFFSET_TABLE_LENGTHS, None);
    let e = frame_sha(&bare, 0).err().unwrap_or_default();
    assert!(e.contains("6 fragments for 3 frames"), "{e}");

    // JPEG 2000, three fragments a frame: a table that starts frame 1 one fragment late
    // (its lengths made to agree) gives frame 1 a codestream without its start.
    let name = "eot_j2k_3frag.dcm";
    let want = &expected_in(&eot_dir())[name];
    let j2k = open_in(&eot_dir(), name);
    let fragments = fragments_of(&j2k);
    assert_eq!(fragments.len(), 9);
    let mut frames: Vec<Vec<Vec<u8>>> = fragments.chunks(3).map(<[_]>::to_vec).collect();
    let moved = frames[1].remove(0);
    frames[0].push(moved);
    let (offsets, lengths) = extended_for(&frames);
    let late = with_table(&j2k, tags::EXTENDED_OFFSET_TABLE, u64s(&offsets));
    let late = with_table(&late, tags::EXTENDED_OFFSET_TABLE_LENGTHS, u64s(&lengths));
    let sha1 = want["frames"][1]["sha256"].as_str().unwrap_or_default();
    assert_eq!(frame_sha(&j2k, 1).as_deref(), Ok(sha1));
    assert_ne!(frame_sha(&late, 1).as_deref(), Ok(sha1));
}

#[test]
fn a_wrong_extended_offset_table_is_an_error_naming_it() {
    let name = "eot_j2k_3frag.dcm";
    let obj = open_in(&eot_dir(), name);
    let offsets = table_of(&obj, tags::EXTENDED_OFFSET_TABLE);
    let lengths = table_of(&obj, tags::EXTENDED_OFFSET_TABLE_LENGTHS);
    assert_eq!((offsets.len(), lengths.len()), (3, 3));
    let eot = tags::EXTENDED_OFFSET_TABLE;
    let eotl = tags::EXTENDED_OFFSET_TABLE_LENGTHS;
    let with = |tag, v| with_table(&obj, tag, v);
    let shifted = [offsets[0], offsets[1] + 2, offsets[2]];
    let longer = [lengths[0], lengths[1], lengths[2] + 10];
    let swapped = [offsets[0], offsets[2], offsets[1]];
    let bytes12 = Some(PrimitiveValue::U8(vec![0u8; 12].into()));
    let cases: Vec<(&str, Object, String)> = vec![
        (
            "an offset inside a fragment",
            with(eot, u64s(&shifted)),
            format!(
                "the Extended Offset Table (7FE0,0001)'s offset {} for frame 1 does not start a fragment item",
                shifted[1]
            ),
        ),
        (
            "a length that disagrees",
            with(eotl, u64s(&longer)),
            format!(
                "the Extended Offset Table Lengths (7FE0,0002) give frame 2 {} bytes; its 3 fragment(s) hold {}",
                longer[2], lengths[2]
            ),
        ),
        (
            "fewer offsets than frames",
            with(eot, u64s(&offsets[..2])),
            "the Extended Offset Table (7FE0,0001) has 2 entries for 3 frames".to_owned(),
        ),
        (
            "more lengths than frames",
            with(eotl, u64s(&[lengths[0], lengths[1], lengths[2], 4])),
            "the Extended Offset Table Lengths (7FE0,0002) has 4 entries for 3 frames".to_owned(),
        ),
        (
            "offsets not increasing",
            with(eot, u64s(&swapped)),
            format!(
                "offsets do not increase: frame 2 at {}, after frame 1 at {}",
                offsets[1], offsets[2]
            ),
        ),
        (
            "a first offset that is not 0",
            with(eot, u64s(&[8, offsets[1], offsets[2]])),
            "gives frame 0 the offset 8".to_owned(),
        ),
        (
            "an offset past 4 GiB",
            with(eot, u64s(&[0, offsets[1], 1 << 33])),
            "offset 8589934592 for frame 2 does not start".to_owned(),
        ),
        (
            "a table of 12 bytes",
            with(eot, bytes12),
            "the Extended Offset Table (7FE0,0001) holds 12 bytes, not a whole number of 64-bit values"
                .to_owned(),
        ),
        (
            "no lengths",
            with(eotl, None),
            "the Extended Offset Table (7FE0,0001) is present without the Extended Offset Table Lengths (7FE0,0002)"
                .to_owned(),
        ),
        (
            "a Basic Offset Table as well",
            with_pixels(&obj, vec![0, 3558, 7124], fragments_of(&obj)),
            "both the Basic Offset Table (3 entries) and the Extended Offset Table (7FE0,0001) are present"
                .to_owned(),
        ),
    ];
    let mut failures = Vec::new();
    for (what, o, want) in &cases {
        // Frame 0 is sound in every case: the whole table is checked before any frame.
        match decode_frame(o, 0) {
            Ok(_) => failures.push(format!("{what}: decoded")),
            Err(e) if !e.to_string().contains(want.as_str()) => {
                failures.push(format!("{what}: `{e}`, expected `{want}`"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
