//! JPEG-LS (ITU-T T.87), lossless and near-lossless, with the pure-Rust `pure_jpegls`
//! decoder. It decodes single-component streams; a colour stream whose components are
//! coded in separate scans (ILV = 0) is decoded one scan at a time. Line- and sample-interleaved colour scans
//! (ILV 1 and 2) are refused with an error that says so.

/// Markers (T.87 Table C.1, T.81 Table B.1).
const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const SOF55: u8 = 0xF7;

/// A marker segment: its code and the bytes of the whole segment (marker included).
struct Segment<'a> {
    code: u8,
    bytes: &'a [u8],
}

/// The frame header and the scans of a stream.
struct Layout<'a> {
    /// Segments before the first scan other than SOI and SOF55 (LSE presets, APPn).
    tables: Vec<&'a [u8]>,
    precision: u8,
    height: u32,
    width: u32,
    components: Vec<u8>,
    /// Each scan: its SOS segment and entropy-coded data.
    scans: Vec<(&'a [u8], &'a [u8])>,
}

fn be16(data: &[u8], at: usize) -> Result<usize, String> {
    data.get(at..at + 2)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .ok_or_else(|| "the stream is truncated in a marker segment".to_owned())
}

fn segment(data: &[u8], at: usize) -> Result<Segment<'_>, String> {
    match (data.get(at), data.get(at + 1)) {
        (Some(0xFF), Some(&code)) => {
            let len = be16(data, at + 2)?;
            let bytes = data
                .get(at..at + 2 + len)
                .filter(|_| len >= 2)
                .ok_or_else(|| format!("the marker segment at byte {at} runs past the stream"))?;
            Ok(Segment { code, bytes })
        }
        _ => Err(format!("no marker at byte {at}")),
    }
}

/// Where the entropy-coded data starting at `from` ends: at the first marker (0xFF then
/// a byte with its high bit set; T.87 A.1 stuffs a 0 bit after every 0xFF in the data).
fn scan_end(data: &[u8], from: usize) -> usize {
    let mut i = from;
    while i + 1 < data.len() {
        if data[i] == 0xFF && data[i + 1] >= 0x80 {
            return i;
        }
        i += 1;
    }
    data.len()
}

fn layout(data: &[u8]) -> Result<Layout<'_>, String> {
    if !data.starts_with(&[0xFF, SOI]) {
        return Err("the stream does not start with SOI".to_owned());
    }
    let mut out = Layout {
        tables: Vec::new(),
        precision: 0,
        height: 0,
        width: 0,
        components: Vec::new(),
        scans: Vec::new(),
    };
    let mut at = 2;
    loop {
        while data.get(at) == Some(&0xFF) && data.get(at + 1) == Some(&0xFF) {
            at += 1; // fill bytes
        }
        if data.get(at) == Some(&0xFF) && data.get(at + 1) == Some(&EOI) {
            break;
        }
        if at >= data.len() {
            break; // no EOI: the last scan ran to the end
        }
        let seg = segment(data, at)?;
        at += seg.bytes.len();
        match seg.code {
            SOF55 => {
                let b = seg.bytes;
                if b.len() < 10 {
                    return Err("the SOF55 frame header is too short".to_owned());
                }
                out.precision = b[4];
                out.height = be16(b, 5)? as u32;
                out.width = be16(b, 7)? as u32;
                let n = usize::from(b[9]);
                if b.len() != 10 + 3 * n {
                    return Err(format!(
                        "the SOF55 frame header has {n} components in {} bytes",
                        b.len()
                    ));
                }
                out.components = (0..n).map(|i| b[10 + 3 * i]).collect();
            }
            SOS => {
                let end = scan_end(data, at);
                out.scans.push((seg.bytes, &data[at..end]));
                at = end;
            }
            0xC0..=0xCF if !matches!(seg.code, 0xC4 | 0xC8 | 0xCC) => {
                return Err(format!(
                    "the stream has a JPEG frame header (SOF{}), not JPEG-LS (SOF55)",
                    seg.code - 0xC0
                ));
            }
            _ if out.scans.is_empty() => out.tables.push(seg.bytes),
            _ => {} // segments between scans (none a decoder here needs)
        }
    }
    if out.components.is_empty() {
        return Err("the stream has no SOF55 frame header".to_owned());
    }
    if out.scans.is_empty() {
        return Err("the stream has no scan".to_owned());
    }
    Ok(out)
}

/// Decodes one JPEG-LS frame of `rows` x `columns` pixels of `samples` samples each into
/// interleaved little-endian samples of `bits_allocated` (8 or 16) bits.
pub(super) fn decode(
    data: &[u8],
    rows: u32,
    columns: u32,
    samples: u32,
    bits_allocated: u32,
) -> Result<Vec<u8>, String> {
    let l = layout(data)?;
    if (l.width, l.height) != (columns, rows) || l.components.len() != samples as usize {
        return Err(format!(
            "the stream is {} x {} with {} component(s), the attributes say {columns} x {rows} with {samples}",
            l.width,
            l.height,
            l.components.len()
        ));
    }
    if !(bits_allocated == 8 || bits_allocated == 16) || u32::from(l.precision) > bits_allocated {
        return Err(format!(
            "{}-bit samples in BitsAllocated {bits_allocated} are not supported",
            l.precision
        ));
    }
    let planes: Vec<Vec<u16>> = if l.components.len() == 1 {
        vec![one(data, columns, rows)?]
    } else {
        separate_scans(&l)?
            .iter()
            .map(|s| one(s, columns, rows))
            .collect::<Result<_, _>>()?
    };
    let n = rows as usize * columns as usize;
    let width = (bits_allocated / 8) as usize;
    let mut out = Vec::with_capacity(n * planes.len() * width);
    for i in 0..n {
        for plane in &planes {
            let v = *plane.get(i).ok_or("the decoder returned too few samples")?;
            if width == 1 {
                out.push(u8::try_from(v).map_err(|_| format!("sample {v} does not fit 8 bits"))?);
            } else {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    Ok(out)
}

fn one(stream: &[u8], columns: u32, rows: u32) -> Result<Vec<u16>, String> {
    jpegls::decode(stream, columns, rows)
        .map(|(pixels, _, _)| pixels)
        .map_err(|e| e.to_string())
}

/// A colour stream coded one component per scan (ILV = 0) as one single-component
/// stream per component, in the frame header's component order.
fn separate_scans(l: &Layout<'_>) -> Result<Vec<Vec<u8>>, String> {
    let mut streams = Vec::with_capacity(l.components.len());
    for &component in &l.components {
        let (sos, entropy) =
            l.scans
                .iter()
                .find(|(sos, _)| sos.get(4) == Some(&1) && sos.get(5) == Some(&component))
                .ok_or_else(|| {
                    let ilv = l.scans[0]
                        .0
                        .get(5 + 2 * usize::from(l.scans[0].0.get(4).copied().unwrap_or(0)) + 1);
                    match ilv {
                        Some(1) => {
                            "colour scans interleaved by line (ILV 1) are not supported".to_owned()
                        }
                        Some(2) => "colour scans interleaved by sample (ILV 2) are not supported"
                            .to_owned(),
                        _ => format!("no scan codes component {component}"),
                    }
                })?;
        // SOS: FF DA, Ls, Ns = 1, Cs, Tm, NEAR, ILV, Al/Ah.
        if sos.len() != 10 || sos[8] != 0 {
            return Err("a single-component scan header is malformed".to_owned());
        }
        let mut s = vec![0xFF, SOI];
        for t in &l.tables {
            s.extend_from_slice(t);
        }
        let (h, w) = (l.height as u16, l.width as u16);
        s.extend_from_slice(&[0xFF, SOF55, 0, 11, l.precision]);
        s.extend_from_slice(&h.to_be_bytes());
        s.extend_from_slice(&w.to_be_bytes());
        s.extend_from_slice(&[1, component, 0x11, 0]);
        s.extend_from_slice(sos);
        s.extend_from_slice(entropy);
        s.extend_from_slice(&[0xFF, EOI]);
        streams.push(s);
    }
    Ok(streams)
}
