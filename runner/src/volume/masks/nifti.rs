//! NIfTI-1 and NIfTI-2 label maps (`.nii`, `.nii.gz`; single-file `n+1` / `n+2` only),
//! read into a [`Volume<u16>`] in DICOM's LPS coordinates.
//!
//! The voxel-to-world transform is the sform when `sform_code > 0`, else the qform
//! (quaternion and `qfac`) when `qform_code > 0`, else the pixdim scaling of the NIfTI
//! standard's "method 1" (no rotation, origin 0; nibabel's fallback centres the volume
//! instead). NIfTI's world is RAS: x and y are negated to give LPS.

use super::MaskError;
use crate::volume::{Geometry, Volume};
use std::io::Read;
use std::path::Path;

const NIFTI1_HEADER: usize = 348;

/// Reads the NIfTI label map at `path`: at most `limit_bytes` read from disk and, for a
/// gzip file, at most `limit_bytes` inflated. Values are label numbers: scaled values
/// (scl_slope, scl_inter) must be whole numbers in 0..=65535.
pub fn read_nifti(path: &Path, limit_bytes: u64) -> Result<Volume<u16>, MaskError> {
    let bytes = crate::bench::input::read_regular(
        path,
        limit_bytes,
        "the limit on the size of a reference mask",
    )
    .map_err(|reason| MaskError::Read {
        mask: path.to_owned(),
        reason,
    })?;
    let invalid = |reason: String| MaskError::Nifti {
        mask: path.to_owned(),
        reason,
    };
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        gunzip(&bytes, limit_bytes).map_err(invalid)?
    } else {
        bytes
    };
    parse(&bytes).map_err(invalid)
}

/// Inflates a gzip file (all its members), refusing one that inflates to more than
/// `max` bytes: a few kilobytes of gzip can inflate to gigabytes.
fn gunzip(data: &[u8], max: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot inflate the gzip stream: {e}"))?;
    if out.len() as u64 > max {
        return Err(format!(
            "the gzip stream inflates to more than {max} bytes, the limit on the size of a \
             reference mask"
        ));
    }
    Ok(out)
}

/// Fixed-offset reads in the header's byte order.
struct Fields<'a> {
    bytes: &'a [u8],
    big_endian: bool,
}

impl Fields<'_> {
    fn take<const N: usize>(&self, at: usize) -> Result<[u8; N], String> {
        let mut b: [u8; N] = self
            .bytes
            .get(at..at + N)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| format!("the header is truncated at byte {at}"))?;
        if self.big_endian {
            b.reverse();
        }
        Ok(b)
    }
    fn i16(&self, at: usize) -> Result<i64, String> {
        Ok(i64::from(i16::from_le_bytes(self.take(at)?)))
    }
    fn i32(&self, at: usize) -> Result<i64, String> {
        Ok(i64::from(i32::from_le_bytes(self.take(at)?)))
    }
    fn i64(&self, at: usize) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.take(at)?))
    }
    fn f32(&self, at: usize) -> Result<f64, String> {
        Ok(f64::from(f32::from_le_bytes(self.take(at)?)))
    }
    fn f64(&self, at: usize) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.take(at)?))
    }
}

/// What the reader uses of a NIfTI-1 or NIfTI-2 header.
#[derive(Debug)]
struct Header {
    big_endian: bool,
    header_size: usize,
    dim: [i64; 8],
    datatype: i64,
    bitpix: i64,
    pixdim: [f64; 8],
    vox_offset: f64,
    scl_slope: f64,
    scl_inter: f64,
    qform_code: i64,
    sform_code: i64,
    quatern: [f64; 3],
    qoffset: [f64; 3],
    srow: [[f64; 4]; 3],
}

fn header(bytes: &[u8]) -> Result<Header, String> {
    let first = bytes
        .get(..4)
        .ok_or("the file holds fewer than 4 bytes: no NIfTI header")?;
    let le = i32::from_le_bytes([first[0], first[1], first[2], first[3]]);
    let be = i32::from_be_bytes([first[0], first[1], first[2], first[3]]);
    let (size, big_endian) = match (le, be) {
        (348 | 540, _) => (le as usize, false),
        (_, 348 | 540) => (be as usize, true),
        _ => {
            return Err(format!(
                "sizeof_hdr is {le}, not 348 (NIfTI-1) or 540 (NIfTI-2): not a NIfTI file"
            ))
        }
    };
    if bytes.len() < size {
        return Err(format!(
            "the file holds {} bytes, fewer than its {size}-byte header",
            bytes.len()
        ));
    }
    let f = Fields { bytes, big_endian };
    if size == NIFTI1_HEADER {
        let magic = &bytes[344..348];
        match magic {
            b"n+1\0" => {}
            b"ni1\0" => {
                return Err(
                    "a two-file NIfTI (.hdr and .img) is not read; write a single \
                            .nii or .nii.gz"
                        .to_owned(),
                )
            }
            _ => {
                return Err(format!(
                    "the magic is {:?}, not `n+1` (an Analyze 7.5 header is not read)",
                    String::from_utf8_lossy(magic)
                ))
            }
        }
        let mut dim = [0i64; 8];
        for (i, d) in dim.iter_mut().enumerate() {
            *d = f.i16(40 + 2 * i)?;
        }
        let mut pixdim = [0f64; 8];
        for (i, p) in pixdim.iter_mut().enumerate() {
            *p = f.f32(76 + 4 * i)?;
        }
        let mut srow = [[0f64; 4]; 3];
        for (r, row) in srow.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = f.f32(280 + 16 * r + 4 * c)?;
            }
        }
        Ok(Header {
            big_endian,
            header_size: size,
            dim,
            datatype: f.i16(70)?,
            bitpix: f.i16(72)?,
            pixdim,
            vox_offset: f.f32(108)?,
            scl_slope: f.f32(112)?,
            scl_inter: f.f32(116)?,
            qform_code: f.i16(252)?,
            sform_code: f.i16(254)?,
            quatern: [f.f32(256)?, f.f32(260)?, f.f32(264)?],
            qoffset: [f.f32(268)?, f.f32(272)?, f.f32(276)?],
            srow,
        })
    } else {
        let magic = &bytes[4..12];
        if &magic[..4] == b"ni2\0" {
            return Err(
                "a two-file NIfTI-2 (.hdr and .img) is not read; write a single \
                        .nii or .nii.gz"
                    .to_owned(),
            );
        }
        if magic != b"n+2\0\r\n\x1a\n" {
            return Err(format!(
                "the NIfTI-2 magic is {:?}, not `n+2` followed by \\r\\n\\x1a\\n",
                String::from_utf8_lossy(magic)
            ));
        }
        let mut dim = [0i64; 8];
        for (i, d) in dim.iter_mut().enumerate() {
            *d = f.i64(16 + 8 * i)?;
        }
        let mut pixdim = [0f64; 8];
        for (i, p) in pixdim.iter_mut().enumerate() {
            *p = f.f64(104 + 8 * i)?;
        }
        let mut srow = [[0f64; 4]; 3];
        for (r, row) in srow.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = f.f64(400 + 32 * r + 8 * c)?;
            }
        }
        let vox_offset = f.i64(168)?;
        Ok(Header {
            big_endian,
            header_size: size,
            dim,
            datatype: f.i16(12)?,
            bitpix: f.i16(14)?,
            pixdim,
            vox_offset: vox_offset as f64,
            scl_slope: f.f64(176)?,
            scl_inter: f.f64(184)?,
            qform_code: f.i32(344)?,
            sform_code: f.i32(348)?,
            quatern: [f.f64(352)?, f.f64(360)?, f.f64(368)?],
            qoffset: [f.f64(376)?, f.f64(384)?, f.f64(392)?],
            srow,
        })
    }
}

/// A NIfTI datatype clic reads: its code, size in bytes and name.
#[derive(Debug, Clone, Copy)]
enum Kind {
    U8,
    I8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Kind {
    fn of(code: i64) -> Option<Self> {
        Some(match code {
            2 => Self::U8,
            256 => Self::I8,
            4 => Self::I16,
            512 => Self::U16,
            8 => Self::I32,
            768 => Self::U32,
            16 => Self::F32,
            64 => Self::F64,
            _ => return None,
        })
    }
    fn bytes(self) -> usize {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::I16 | Self::U16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }
    fn value(self, b: &[u8], big_endian: bool) -> f64 {
        let mut buf = [0u8; 8];
        let n = self.bytes();
        buf[..n].copy_from_slice(&b[..n]);
        if big_endian {
            buf[..n].reverse();
        }
        match self {
            Self::U8 => f64::from(buf[0]),
            Self::I8 => f64::from(buf[0] as i8),
            Self::I16 => f64::from(i16::from_le_bytes([buf[0], buf[1]])),
            Self::U16 => f64::from(u16::from_le_bytes([buf[0], buf[1]])),
            Self::I32 => f64::from(i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])),
            Self::U32 => f64::from(u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])),
            Self::F32 => f64::from(f32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])),
            Self::F64 => f64::from_le_bytes(buf),
        }
    }
}

/// A label map from the bytes of a whole (inflated) NIfTI file.
pub(super) fn parse(bytes: &[u8]) -> Result<Volume<u16>, String> {
    let h = header(bytes)?;
    let ndim = h.dim[0];
    if !(3..=7).contains(&ndim) {
        return Err(format!(
            "dim[0] is {ndim}: a label map has 3 dimensions (or more, all beyond the third of size 1)"
        ));
    }
    let mut size = [0usize; 3];
    for (a, s) in size.iter_mut().enumerate() {
        let d = h.dim[a + 1];
        if d < 1 {
            return Err(format!(
                "dim[{}] is {d}: every dimension must be at least 1",
                a + 1
            ));
        }
        *s = usize::try_from(d).map_err(|_| format!("dim[{}] is {d}: too large", a + 1))?;
    }
    for a in 4..=ndim as usize {
        if h.dim[a] != 1 {
            return Err(format!(
                "dim[{a}] is {}: a label map is 3D (a 4D file with more than one volume is not one)",
                h.dim[a]
            ));
        }
    }
    let kind = Kind::of(h.datatype).ok_or_else(|| {
        format!(
            "datatype {} is not read (uint8, int8, int16, uint16, int32, uint32, float32 or float64)",
            h.datatype
        )
    })?;
    if h.bitpix != 8 * kind.bytes() as i64 {
        return Err(format!(
            "bitpix is {}, but datatype {} has {} bits",
            h.bitpix,
            h.datatype,
            8 * kind.bytes()
        ));
    }
    if !h.vox_offset.is_finite()
        || h.vox_offset.fract() != 0.0
        || h.vox_offset < h.header_size as f64
    {
        return Err(format!(
            "vox_offset is {}: the voxels must start at a whole byte offset after the {}-byte header",
            h.vox_offset, h.header_size
        ));
    }
    let voxels = size
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or("the dimensions overflow")?;
    let need = voxels
        .checked_mul(kind.bytes())
        .ok_or("the dimensions overflow")?;
    let start = h.vox_offset as u64;
    let available = (bytes.len() as u64).saturating_sub(start);
    if (need as u64) > available {
        return Err(format!(
            "the header declares {} x {} x {} voxels of {} bytes ({need} bytes from offset {start}), \
             the file holds {available}: truncated or wrong dimensions",
            size[0],
            size[1],
            size[2],
            kind.bytes()
        ));
    }
    let geometry = geometry(&h, size)?;
    // INVARIANT: start + need <= bytes.len(), checked above.
    let raw = &bytes[start as usize..start as usize + need];
    let (slope, inter) = scaling(&h);
    let mut data = Vec::with_capacity(voxels);
    for (n, b) in raw.chunks_exact(kind.bytes()).enumerate() {
        let v = kind.value(b, h.big_endian) * slope + inter;
        let r = v.round();
        if !v.is_finite() || (v - r).abs() > 1e-3 || !(0.0..=65535.0).contains(&r) {
            let [nx, ny, _] = size;
            return Err(format!(
                "voxel ({}, {}, {}) holds {v}: a label map holds whole numbers from 0 to 65535",
                n % nx,
                (n / nx) % ny,
                n / (nx * ny)
            ));
        }
        data.push(r as u16);
    }
    Ok(Volume { geometry, data })
}

/// The scaling nibabel applies: none when scl_slope is 0 or not finite.
fn scaling(h: &Header) -> (f64, f64) {
    if h.scl_slope == 0.0 || !h.scl_slope.is_finite() {
        (1.0, 0.0)
    } else {
        let inter = if h.scl_inter.is_finite() {
            h.scl_inter
        } else {
            0.0
        };
        (h.scl_slope, inter)
    }
}

/// The rotation of a NIfTI quaternion (b, c, d; a from the unit norm), as nifti1_io's
/// `quatern_to_mat44` computes it.
fn quaternion_rotation([b, c, d]: [f64; 3]) -> [[f64; 3]; 3] {
    let (mut a, mut b, mut c, mut d) = (1.0 - (b * b + c * c + d * d), b, c, d);
    if a < 1e-7 {
        let n = 1.0 / (b * b + c * c + d * d).sqrt();
        b *= n;
        c *= n;
        d *= n;
        a = 0.0;
    } else {
        a = a.sqrt();
    }
    [
        [
            a * a + b * b - c * c - d * d,
            2.0 * (b * c - a * d),
            2.0 * (b * d + a * c),
        ],
        [
            2.0 * (b * c + a * d),
            a * a + c * c - b * b - d * d,
            2.0 * (c * d - a * b),
        ],
        [
            2.0 * (b * d - a * c),
            2.0 * (c * d + a * b),
            a * a + d * d - c * c - b * b,
        ],
    ]
}

/// The geometry (LPS) of the header's voxel-to-world transform.
fn geometry(h: &Header, size: [usize; 3]) -> Result<Geometry, String> {
    // columns[a] = the RAS step of one voxel along axis a; offset = voxel (0,0,0).
    let (columns, offset, source) = if h.sform_code > 0 {
        let mut columns = [[0f64; 3]; 3];
        for (a, col) in columns.iter_mut().enumerate() {
            *col = [h.srow[0][a], h.srow[1][a], h.srow[2][a]];
        }
        (
            columns,
            [h.srow[0][3], h.srow[1][3], h.srow[2][3]],
            "the sform",
        )
    } else if h.qform_code > 0 {
        let r = quaternion_rotation(h.quatern);
        let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let steps = [h.pixdim[1], h.pixdim[2], h.pixdim[3] * qfac];
        for (a, s) in h.pixdim[1..4].iter().enumerate() {
            if s.is_nan() || *s <= 0.0 {
                return Err(format!(
                    "pixdim[{}] is {s}: a voxel size must be positive",
                    a + 1
                ));
            }
        }
        let mut columns = [[0f64; 3]; 3];
        for (a, col) in columns.iter_mut().enumerate() {
            *col = [r[0][a] * steps[a], r[1][a] * steps[a], r[2][a] * steps[a]];
        }
        (columns, h.qoffset, "the qform")
    } else {
        let mut columns = [[0f64; 3]; 3];
        for (a, col) in columns.iter_mut().enumerate() {
            let s = h.pixdim[a + 1];
            if s.is_nan() || s <= 0.0 {
                return Err(format!(
                    "pixdim[{}] is {s}: a voxel size must be positive",
                    a + 1
                ));
            }
            col[a] = s;
        }
        (columns, [0.0; 3], "pixdim")
    };
    if columns
        .iter()
        .flatten()
        .chain(&offset)
        .any(|v| !v.is_finite())
    {
        return Err(format!(
            "{source} holds a value that is not a finite number"
        ));
    }
    let mut spacing = [0f64; 3];
    let mut direction = [[0f64; 3]; 3];
    for (a, col) in columns.iter().enumerate() {
        let n = (col[0] * col[0] + col[1] * col[1] + col[2] * col[2]).sqrt();
        if n.is_nan() || n <= 0.0 {
            return Err(format!("{source} gives axis {a} no length"));
        }
        spacing[a] = n;
        // RAS to LPS.
        direction[a] = [-col[0] / n, -col[1] / n, col[2] / n];
    }
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let dot: f64 = (0..3).map(|c| direction[a][c] * direction[b][c]).sum();
        if dot.abs() > 1e-4 {
            return Err(format!(
                "{source} is sheared: its axes {a} and {b} are not perpendicular (cosine {dot:.6})"
            ));
        }
    }
    Ok(Geometry {
        size,
        spacing,
        origin: [-offset[0], -offset[1], offset[2]],
        direction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal NIfTI-1 file: uint8 voxels, pixdim only.
    fn nifti1(dims: [i16; 4], voxels: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 352];
        b[..4].copy_from_slice(&348i32.to_le_bytes());
        b[40..42].copy_from_slice(&dims[0].to_le_bytes());
        for (i, d) in dims[1..].iter().enumerate() {
            b[42 + 2 * i..44 + 2 * i].copy_from_slice(&d.to_le_bytes());
        }
        b[70..72].copy_from_slice(&2i16.to_le_bytes());
        b[72..74].copy_from_slice(&8i16.to_le_bytes());
        for i in 1..4 {
            b[76 + 4 * i..80 + 4 * i].copy_from_slice(&1.5f32.to_le_bytes());
        }
        b[108..112].copy_from_slice(&352f32.to_le_bytes());
        b[344..348].copy_from_slice(b"n+1\0");
        b.extend_from_slice(voxels);
        b
    }

    #[test]
    fn pixdim_only_is_method_1() {
        let v = parse(&nifti1([3, 2, 1, 1], &[0, 3])).expect("a valid file");
        assert_eq!(v.data, vec![0, 3]);
        assert_eq!(v.geometry.spacing, [1.5; 3]);
        assert_eq!(v.geometry.direction[0], [-1.0, 0.0, 0.0]);
    }

    #[test]
    fn huge_dimensions_in_a_tiny_file_are_refused() {
        let err = parse(&nifti1([3, 30000, 30000, 30000], &[0; 8]));
        assert!(matches!(&err, Err(e) if e.contains("truncated")), "{err:?}");
    }

    #[test]
    fn identity_quaternion() {
        let r = quaternion_rotation([0.0, 0.0, 0.0]);
        assert_eq!(r, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    }
}
