//! Hostile DICOM files, built byte by byte here, are per-file scan errors that say what
//! is wrong, read in bounded stack, memory and time: sequences nested deeper than the
//! limit, lengths beyond the bytes of the file, a deflated data set that inflates past
//! the limit, an image declaring more pixels than the limit, and inputs that are not
//! regular files.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod dicom_writer;
#[path = "../../tests/common/skip.rs"]
mod skip;

use clic_runner::dicom::{self, Limits, MAX_DEPTH};
use dicom_writer::*;
use std::path::Path;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

/// Runs `f` on a thread with the 2 MiB stack of the benchmark's decoding threads.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

#[test]
fn the_builders_make_a_readable_image() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = write(dir.path(), "ok.dcm", &part10(EXPLICIT_LE, &image_with(&[])));
    let (info, image) = dicom::read_scan(&p, "ok.dcm").expect("a valid image reads");
    assert_eq!(
        (info.rows, info.columns, info.modality.as_str()),
        (4, 4, "DX")
    );
    assert_eq!(image.value(5), Some(500.0));
}

#[test]
fn sequences_nested_1500_deep_are_refused_before_they_are_parsed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = part10(EXPLICIT_LE, &image_with(&nested_undefined(1500)));
    assert!(
        bytes.len() < 64 << 10,
        "a small file: {} bytes",
        bytes.len()
    );
    let p = write(dir.path(), "deep.dcm", &bytes);
    // Before the check, dicom-rs's recursive reader overflowed this stack (abort).
    let e = on_small_stack(move || dicom::read_scan(&p, "deep.dcm")).expect_err("refused");
    assert!(
        e.reason
            .contains(&format!("nested more than {MAX_DEPTH} levels deep")),
        "{e}"
    );
    assert_eq!(e.file, "deep.dcm");

    let p = write(
        dir.path(),
        "deep-implicit.dcm",
        &part10(IMPLICIT_LE, &nested_implicit_defined(1500)),
    );
    let e = on_small_stack(move || dicom::read_info(&p, "deep-implicit.dcm"))
        .expect_err("refused in implicit VR with defined lengths too");
    assert!(e.reason.contains("nested more than"), "{e}");
}

#[test]
fn nesting_up_to_the_limit_reads_on_a_small_stack() {
    let dir = tempfile::tempdir().expect("temp dir");
    let at = write(
        dir.path(),
        "at.dcm",
        &part10(EXPLICIT_LE, &image_with(&nested_undefined(MAX_DEPTH))),
    );
    let (info, _) = on_small_stack(move || dicom::read_scan(&at, "at.dcm"))
        .expect("nesting at the limit is read");
    assert_eq!(info.rows, 4);
    let over = write(
        dir.path(),
        "over.dcm",
        &part10(EXPLICIT_LE, &image_with(&nested_undefined(MAX_DEPTH + 1))),
    );
    assert!(dicom::read_scan(&over, "over.dcm").is_err());
    let implicit = write(
        dir.path(),
        "implicit.dcm",
        &part10(IMPLICIT_LE, &nested_implicit_defined(MAX_DEPTH)),
    );
    on_small_stack(move || dicom::read_info(&implicit, "implicit.dcm"))
        .expect("implicit VR, defined lengths, at the limit");
}

#[test]
fn a_length_beyond_the_file_is_refused_before_anything_allocates() {
    let dir = tempfile::tempdir().expect("temp dir");
    // PixelData declaring 0xFFFFFFF0 bytes in a 34 KB file: dicom-rs zero-filled 4.2 GB
    // for it before finding the bytes missing.
    let mut d = image_attributes(4, 4);
    d.extend(header((0x7FE0, 0x0010), b"OW", 0xFFFF_FFF0));
    d.extend(vec![0u8; 34 << 10]);
    let p = write(dir.path(), "long.dcm", &part10(EXPLICIT_LE, &d));
    let e = dicom::read_scan(&p, "long.dcm").expect_err("refused");
    assert!(
        e.reason.contains("(7FE0,0010)") && e.reason.contains("declares 4294967280 bytes"),
        "{e}"
    );
    assert_eq!(e.transfer_syntax.as_deref(), Some(EXPLICIT_LE));

    // Any element, in the meta group too, and an item inside a sequence.
    let mut d = image_attributes(4, 4);
    d.extend(header((0x0009, 0x1010), b"OB", 0xFFFF_FFF0));
    d.extend([0u8; 64]);
    let p = write(dir.path(), "private.dcm", &part10(EXPLICIT_LE, &d));
    let e = dicom::read_info(&p, "private.dcm").expect_err("refused");
    assert!(e.reason.contains("declares 4294967280 bytes"), "{e}");

    let mut d = image_attributes(4, 4);
    d.extend(header((0x0040, 0xA730), b"SQ", u32::MAX));
    d.extend(item_header(0xE000, 0xFFFF_FFF0));
    d.extend([0u8; 64]);
    let p = write(dir.path(), "item.dcm", &part10(EXPLICIT_LE, &d));
    let e = dicom::read_info(&p, "item.dcm").expect_err("refused");
    assert!(e.reason.contains("an item at byte"), "{e}");

    let mut bytes = part10(EXPLICIT_LE, &image_with(&[]));
    // The length of (0002,0001), 2 bytes at offset 128 + 4 + 12 + 8.
    bytes[152..156].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let p = write(dir.path(), "meta.dcm", &bytes);
    let e = dicom::read_info(&p, "meta.dcm").expect_err("refused");
    assert!(e.reason.contains("file meta element (0002,0001)"), "{e}");
}

#[test]
fn a_fragment_beyond_the_file_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut d = image_attributes(4, 4);
    d.extend(header((0x7FE0, 0x0010), b"OB", u32::MAX));
    d.extend(item_header(0xE000, 0));
    d.extend(item_header(0xE000, 0xFFFF_FFF0));
    d.extend([0u8; 128]);
    let p = write(
        dir.path(),
        "fragment.dcm",
        &part10("1.2.840.10008.1.2.5", &d),
    );
    let e = dicom::read_info(&p, "fragment.dcm").expect_err("refused");
    assert!(e.reason.contains("a pixel data fragment"), "{e}");
}

#[test]
fn many_text_values_are_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 30,000 elements of 40 values each: every value would be a separate string.
    let mut d = image_attributes(4, 4);
    let values = vec![b'\\'; 40];
    for e in 0..30_000u16 {
        d.extend(el((0x0011, 0x1000u16.wrapping_add(e)), b"CS", &values));
    }
    let p = write(dir.path(), "values.dcm", &part10(EXPLICIT_LE, &d));
    let e = dicom::read_info(&p, "values.dcm").expect_err("refused");
    assert!(e.reason.contains("elements, items and values"), "{e}");
}

#[test]
fn a_deflated_data_set_inflating_past_the_limit_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = Limits {
        max_scan_bytes: 4 << 20,
        ..Limits::default()
    };
    // A valid deflated image reads.
    let deflated = deflate(&image_with(&[]));
    let (info, image) = dicom::read_bytes(&part10(DEFLATED, &deflated), "ok.dcm", &limits)
        .expect("a deflated image parses");
    assert_eq!(info.transfer_syntax, DEFLATED);
    assert_eq!(image.expect("and decodes").value(5), Some(500.0));

    // 16 MiB of zeros after the image, in a file of a few KB.
    let mut head = image_with(&[]);
    head.extend(header((0x0009, 0x1010), b"OB", 16 << 20));
    let bomb = part10(DEFLATED, &deflate_bomb(&head, 16));
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let e = dicom::read_bytes(&bomb, "bomb.dcm", &limits).expect_err("refused");
    assert!(
        e.reason
            .contains(&format!("inflates to more than {} bytes", 4 << 20)),
        "{e}"
    );
    // Under a limit above what it inflates to, it is read.
    let roomy = Limits {
        max_scan_bytes: 32 << 20,
        ..Limits::default()
    };
    assert!(dicom::read_bytes(&bomb, "bomb.dcm", &roomy).is_ok());
    let p = write(dir.path(), "bomb.dcm", &bomb);
    assert!(dicom::read_scan(&p, "bomb.dcm").is_ok());
}

#[test]
fn pixel_counts_over_the_limit_are_refused_before_decoding() {
    let mut d = image_attributes(65535, 65535);
    d.extend(el((0x7FE0, 0x0010), b"OW", &[0u8; 32]));
    let bytes = part10(EXPLICIT_LE, &d);
    let (_, image) = dicom::read_bytes(&bytes, "huge.dcm", &Limits::default()).expect("parses");
    let e = image.expect_err("refused");
    assert!(
        e.reason.contains("declares 4294836225 pixels")
            && e.reason
                .contains(&format!("limit of {}", Limits::MAX_PIXELS)),
        "{e}"
    );
    // Frames count: 512 x 512 x 2000 frames.
    let mut d = image_attributes(512, 512);
    d.extend(el((0x0028, 0x0008), b"IS", b"2000"));
    d.extend(el((0x7FE0, 0x0010), b"OW", &[0u8; 32]));
    let (_, image) =
        dicom::read_bytes(&part10(EXPLICIT_LE, &d), "ct.dcm", &Limits::default()).expect("parses");
    assert!(image.expect_err("refused").reason.contains("pixels"));
    // Real sizes are far inside the limit: 2500 x 2000 and 512 x 512 x 1000.
    const { assert!(2500 * 2000 * 20 < Limits::MAX_PIXELS && 512 * 512 * 1000 < Limits::MAX_PIXELS) };
}

#[test]
fn devices_fifos_and_oversized_files_are_not_read() {
    let e = dicom::read_scan(Path::new("/dev/zero"), "zero.dcm").expect_err("a device");
    assert!(e.reason.contains("character device"), "{e}");
    let dir = tempfile::tempdir().expect("temp dir");
    let link = dir.path().join("link.dcm");
    std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
    let e = dicom::read_info(&link, "link.dcm").expect_err("a link to a device");
    assert!(e.reason.contains("not a regular file"), "{e}");
    let fifo = dir.path().join("fifo.dcm");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        // Opening a FIFO for reading would block until a writer came.
        let e = dicom::read_info(&fifo, "fifo.dcm").expect_err("a FIFO");
        assert!(e.reason.contains("FIFO"), "{e}");
    } else {
        skip::skip("mkfifo", "coreutils");
    }
    let p = write(
        dir.path(),
        "big.dcm",
        &part10(EXPLICIT_LE, &image_with(&[])),
    );
    let small = Limits {
        max_scan_bytes: 100,
        ..Limits::default()
    };
    let e = dicom::read_scan_with(&p, "big.dcm", &small).expect_err("over the limit");
    assert!(e.reason.contains("limit on the size of a scan"), "{e}");
}

/// A 4 x 4 image whose pixel data is encapsulated as one fragment.
fn encapsulated(ts: &str, fragment: &[u8]) -> Vec<u8> {
    let mut fragment = fragment.to_vec();
    if fragment.len() % 2 == 1 {
        fragment.push(0);
    }
    let mut d = image_attributes(4, 4);
    d.extend(header((0x7FE0, 0x0010), b"OB", u32::MAX));
    d.extend(item_header(0xE000, 0));
    d.extend(item_header(0xE000, fragment.len() as u32));
    d.extend(fragment);
    d.extend(item_header(0xE0DD, 0));
    part10(ts, &d)
}

#[test]
fn a_jpeg_frame_larger_than_the_attributes_is_refused_before_decoding() {
    // SOI, then SOF0: 8 bits, 65535 x 65535, one component. jpeg-decoder allocates for
    // the frame its header declares, whatever Rows and Columns say.
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
    ];
    jpeg.extend([0x01, 0x11, 0x00, 0xFF, 0xD9]);
    let bytes = encapsulated("1.2.840.10008.1.2.4.50", &jpeg);
    let (_, image) = dicom::read_bytes(&bytes, "jpeg.dcm", &Limits::default()).expect("parses");
    let e = image.expect_err("refused");
    assert!(
        e.reason
            .contains("the JPEG stream is 65535 x 65535 with 1 component(s)"),
        "{e}"
    );
}

#[test]
fn a_deflated_frame_inflating_past_one_frame_is_refused() {
    let bytes = encapsulated("1.2.840.10008.1.2.8.1", &deflate_bomb(&[], 16));
    assert!(bytes.len() < 64 << 10);
    let (_, image) = dicom::read_bytes(&bytes, "frame.dcm", &Limits::default()).expect("parses");
    let e = image.expect_err("refused");
    assert!(
        e.reason
            .contains("inflates to more than the 32 bytes of one frame"),
        "{e}"
    );
    // One frame's worth decodes.
    let pixels: Vec<u8> = (0..16u16).flat_map(|v| (v * 100).to_le_bytes()).collect();
    let bytes = encapsulated("1.2.840.10008.1.2.8.1", &deflate(&pixels));
    let (_, image) = dicom::read_bytes(&bytes, "frame.dcm", &Limits::default()).expect("parses");
    assert_eq!(image.expect("decodes").value(5), Some(500.0));
}

/// Mutations of real scans (every 40th of the example's), deterministic:
/// flipped bytes, lengths set to huge values, truncations. Reading and decoding each
/// must give a result or a scan error, never a panic (the fuzz target `fuzz/dicom`
/// explores further).
#[test]
fn mutated_real_scans_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut names: Vec<_> =
        std::fs::read_dir(root.join("examples/chest-xray-triage/data/reference"))
            .expect("example scans")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
            .collect();
    names.sort();
    let seeds: Vec<_> = names.into_iter().step_by(40).collect();
    assert!(!seeds.is_empty());
    // xorshift64: the same mutations on every run.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let limits = Limits {
        max_scan_bytes: 16 << 20,
        max_pixels: 1 << 22,
    };
    let mut cases = 0;
    for seed in &seeds {
        let bytes = std::fs::read(seed).expect("seed");
        for _ in 0..150 {
            let mut m = bytes.clone();
            let at = (next() as usize) % m.len();
            let end = (at + 4).min(m.len());
            match next() % 4 {
                0 => m[at] ^= 1 << (next() % 8),
                1 => m[at..end].fill(0xFF),
                2 => m.truncate(at),
                _ => {
                    let v = (next() as u32).to_le_bytes();
                    m[at..end].copy_from_slice(&v[..end - at]);
                }
            }
            let result = std::panic::catch_unwind(|| {
                if let Ok((_, Ok(image))) = dicom::read_bytes(&m, "m.dcm", &limits) {
                    let _ = dicom::pixel_stats(&image);
                }
            });
            assert!(
                result.is_ok(),
                "a mutation of {} panicked (offset {at})",
                seed.display()
            );
            cases += 1;
        }
    }
    assert!(cases >= 600, "{cases} cases");
}

#[test]
fn a_binary_value_of_a_partial_length_is_refused() {
    // Found by fuzzing: Modality re-coded as an AT of 2 bytes. dicom-rs read no tag but
    // advanced 2 bytes past its data, read the next header out of step, and allocated
    // 1.9 GB for the "length" it found there.
    let mut d = image_attributes(4, 4);
    d.extend(el((0x0008, 0x0060), b"AT", b"CR"));
    d.extend(el((0x0008, 0x0070), b"LO", b"Aurora Imaging Co"));
    let dir = tempfile::tempdir().expect("temp dir");
    let p = write(dir.path(), "at.dcm", &part10(EXPLICIT_LE, &d));
    let e = dicom::read_info(&p, "at.dcm").expect_err("refused");
    assert!(
        e.reason.contains("(0008,0060)")
            && e.reason.contains("not a whole number of 4-byte values"),
        "{e}"
    );
}

/// Where the value of the Extended Offset Table (7FE0,0001, VR OV) of `bytes` starts, and
/// its length.
fn extended_offset_table(bytes: &[u8]) -> (usize, usize) {
    let head = [0xE0, 0x7F, 0x01, 0x00, b'O', b'V', 0, 0];
    let at = bytes
        .windows(8)
        .position(|w| w == head)
        .expect("an Extended Offset Table");
    let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes"));
    (at + 12, len as usize)
}

#[test]
fn a_wrong_extended_offset_table_is_a_scan_error_naming_it() {
    let good =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/offset_tables/eot_j2k_3frag.dcm");
    let bytes = std::fs::read(&good).expect("fixture");
    dicom::read_scan(&good, "good.dcm").expect("the fixture reads");
    let (value, len) = extended_offset_table(&bytes);
    assert_eq!(len, 24, "3 frames");
    let dir = tempfile::tempdir().expect("temp dir");

    // Frame 1's offset moved 2 bytes into a fragment (frame 0, the one read, is sound).
    let mut shifted = bytes.clone();
    let offset = u64::from_le_bytes(shifted[value + 8..value + 16].try_into().expect("8"));
    shifted[value + 8..value + 16].copy_from_slice(&(offset + 2).to_le_bytes());
    let p = write(dir.path(), "shifted.dcm", &shifted);
    let e = dicom::read_scan(&p, "shifted.dcm").expect_err("refused");
    assert!(
        e.reason.contains(&format!(
            "the Extended Offset Table (7FE0,0001)'s offset {} for frame 1 does not start a fragment item",
            offset + 2
        )),
        "{e}"
    );
    assert_eq!(e.file, "shifted.dcm");
    assert_eq!(e.transfer_syntax.as_deref(), Some("1.2.840.10008.1.2.4.90"));

    // Two entries for three frames: the element 8 bytes shorter.
    let mut short = bytes[..value - 4].to_vec();
    short.extend(16u32.to_le_bytes());
    short.extend(&bytes[value..value + 16]);
    short.extend(&bytes[value + 24..]);
    let p = write(dir.path(), "short.dcm", &short);
    let e = dicom::read_scan(&p, "short.dcm").expect_err("refused");
    assert!(
        e.reason
            .contains("the Extended Offset Table (7FE0,0001) has 2 entries for 3 frames"),
        "{e}"
    );

    // A length that is not a whole number of 64-bit values: refused as the file is read.
    let mut partial = bytes[..value - 4].to_vec();
    partial.extend(20u32.to_le_bytes());
    partial.extend(&bytes[value..value + 20]);
    partial.extend(&bytes[value + 24..]);
    let p = write(dir.path(), "partial.dcm", &partial);
    let e = dicom::read_scan(&p, "partial.dcm").expect_err("refused");
    assert!(
        e.reason.contains("(7FE0,0001)") && e.reason.contains("not a whole number of 8-byte"),
        "{e}"
    );
}
