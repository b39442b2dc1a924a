//! Builds DICOM files byte by byte for the hostile-input tests (runner and CLI): explicit
//! VR little endian elements, Part 10 files, nested sequences and deflate bombs.
#![allow(
    dead_code,
    reason = "each test file uses a different subset of the builders"
)]
#![expect(
    clippy::expect_used,
    reason = "a test that cannot build its fixture should fail loudly"
)]

pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
pub const DEFLATED: &str = "1.2.840.10008.1.2.1.99";

/// VRs with a 16-bit length in explicit VR.
pub fn short(vr: &[u8; 2]) -> bool {
    [
        b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
        b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
    ]
    .contains(&vr)
}

/// One explicit VR little endian element header.
pub fn header(tag: (u16, u16), vr: &[u8; 2], len: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(tag.0.to_le_bytes());
    out.extend(tag.1.to_le_bytes());
    out.extend(vr);
    if short(vr) {
        out.extend((len as u16).to_le_bytes());
    } else {
        out.extend([0, 0]);
        out.extend(len.to_le_bytes());
    }
    out
}

/// One explicit VR little endian element, its value padded to an even length.
pub fn el(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(if vr == b"UI" || vr == b"OB" { 0 } else { b' ' });
    }
    let mut out = header(tag, vr, value.len() as u32);
    out.extend(value);
    out
}

pub fn item_header(element: u16, len: u32) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    out.extend(element.to_le_bytes());
    out.extend(len.to_le_bytes());
    out
}

/// A Part 10 file: preamble, `DICM`, the file meta group, then `dataset` as given.
pub fn part10(ts: &str, dataset: &[u8]) -> Vec<u8> {
    let mut meta = Vec::new();
    meta.extend(el((0x0002, 0x0001), b"OB", &[0, 1]));
    meta.extend(el((0x0002, 0x0002), b"UI", b"1.2.840.10008.5.1.4.1.1.1.1"));
    meta.extend(el((0x0002, 0x0003), b"UI", b"1.2.3.4"));
    meta.extend(el((0x0002, 0x0010), b"UI", ts.as_bytes()));
    meta.extend(el((0x0002, 0x0012), b"UI", b"1.2.3.5"));
    let mut out = vec![0u8; 128];
    out.extend(b"DICM");
    out.extend(el(
        (0x0002, 0x0000),
        b"UL",
        &(meta.len() as u32).to_le_bytes(),
    ));
    out.extend(meta);
    out.extend(dataset);
    out
}

/// The attributes of a small MONOCHROME2 image, before its pixel data.
pub fn image_attributes(rows: u16, columns: u16) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(el((0x0008, 0x0016), b"UI", b"1.2.840.10008.5.1.4.1.1.1.1"));
    d.extend(el((0x0008, 0x0060), b"CS", b"DX"));
    d.extend(el((0x0028, 0x0002), b"US", &1u16.to_le_bytes()));
    d.extend(el((0x0028, 0x0004), b"CS", b"MONOCHROME2"));
    d.extend(el((0x0028, 0x0010), b"US", &rows.to_le_bytes()));
    d.extend(el((0x0028, 0x0011), b"US", &columns.to_le_bytes()));
    d.extend(el((0x0028, 0x0100), b"US", &16u16.to_le_bytes()));
    d.extend(el((0x0028, 0x0101), b"US", &12u16.to_le_bytes()));
    d.extend(el((0x0028, 0x0102), b"US", &11u16.to_le_bytes()));
    d.extend(el((0x0028, 0x0103), b"US", &0u16.to_le_bytes()));
    d
}

/// A deflated data set (raw deflate, as PS3.5 A.5 requires).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    let mut enc = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::fast());
    enc.write_all(data).expect("deflate");
    enc.finish().expect("deflate");
    out
}

/// A whole 4 x 4 image with `before` inserted before its pixel data.
pub fn image_with(before: &[u8]) -> Vec<u8> {
    let mut d = image_attributes(4, 4);
    d.extend(before);
    let pixels: Vec<u8> = (0..16u16).flat_map(|v| (v * 100).to_le_bytes()).collect();
    d.extend(el((0x7FE0, 0x0010), b"OW", &pixels));
    d
}

/// `depth` ContentSequences nested in one another, undefined lengths throughout, in
/// explicit VR little endian.
pub fn nested_undefined(depth: usize) -> Vec<u8> {
    let mut d = Vec::new();
    for _ in 0..depth {
        d.extend(header((0x0040, 0xA730), b"SQ", u32::MAX));
        d.extend(item_header(0xE000, u32::MAX));
    }
    d.extend(el((0x0040, 0xA040), b"CS", b"TEXT"));
    for _ in 0..depth {
        d.extend(item_header(0xE00D, 0));
        d.extend(item_header(0xE0DD, 0));
    }
    d
}

/// `depth` ContentSequences nested in one another with defined lengths, in implicit VR
/// little endian (the VR comes from the dictionary).
pub fn nested_implicit_defined(depth: usize) -> Vec<u8> {
    let implicit = |tag: (u16, u16), value: &[u8]| {
        let mut out = Vec::new();
        out.extend(tag.0.to_le_bytes());
        out.extend(tag.1.to_le_bytes());
        out.extend((value.len() as u32).to_le_bytes());
        out.extend(value);
        out
    };
    let mut inner = implicit((0x0040, 0xA040), b"TEXT");
    for _ in 0..depth {
        let mut item = item_header(0xE000, inner.len() as u32);
        item.extend(&inner);
        inner = implicit((0x0040, 0xA730), &item);
    }
    inner
}

/// A raw deflate stream that inflates to `head` followed by `zero_mib` MiB of zeros,
/// about 1 KB per MiB: the zeros are one compressed block, repeated.
pub fn deflate_bomb(head: &[u8], zero_mib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let compress = |c: &mut Compress, input: &[u8], flush| {
        let mut out = Vec::with_capacity(input.len() + 1024);
        let mut consumed = 0;
        loop {
            let before_in = c.total_in();
            c.compress_vec(&input[consumed..], &mut out, flush)
                .expect("compress");
            consumed += (c.total_in() - before_in) as usize;
            if consumed == input.len() && out.len() < out.capacity() {
                return out;
            }
            out.reserve(1 << 16);
        }
    };
    let mut c = Compress::new(Compression::best(), false);
    let mut out = compress(&mut c, head, FlushCompress::Full);
    // After a full flush the compressor starts afresh, so each MiB of zeros compresses to
    // the same bytes.
    let zeros = compress(&mut c, &vec![0u8; 1 << 20], FlushCompress::Full);
    for _ in 0..zero_mib {
        out.extend(&zeros);
    }
    out.extend(compress(&mut c, &[], FlushCompress::Finish));
    out
}
