//! A lossy JPEG 2000 round trip through the C OpenJPEG library that `openjpeg-sys`
//! builds from source for dicom-pixeldata's JPEG 2000 decoding (the same library, no
//! second copy): encode a J2K codestream at a compression ratio, decode it back.
//!
//! This is the one module of the perturbations that needs `unsafe`: OpenJPEG's API is C
//! (raw pointers, callbacks). Its invariants, kept by every function here:
//! - every object OpenJPEG allocates (image, codec, stream) is owned by a guard that
//!   destroys it exactly once, on every path, error or not;
//! - the stream callbacks receive a pointer to a Rust buffer that outlives the stream
//!   (it is a local of the function that destroys the stream), and never unwind;
//! - the samples copied into or out of an image are bounds-checked against the
//!   component's own `w * h`.
//!
//! Encoding parameters are OpenJPEG's defaults (as Pillow's encoder, which the tests
//! compare with, leaves them): one quality layer whose rate is the ratio
//! (`cp_disto_alloc`, `tcp_rates[0]`), the irreversible 9/7 wavelet, 64 x 64 code-blocks,
//! LRCP, no tiling, six resolutions, fewer for an image under 32 pixels a side (as
//! Pillow). OpenJPEG counts the ratio against `components * precision` bits per pixel
//! and the headers' bytes.
#![expect(
    unsafe_code,
    reason = "OpenJPEG is a C library, reached through openjpeg-sys's raw bindings"
)]

use openjpeg_sys as opj;
use std::ffi::{c_char, c_void, CStr};
use std::ptr::NonNull;

/// An image to encode: planar unsigned samples, each below `2^precision`.
pub(super) struct Planes<'a> {
    /// `channels` planes of `width * height` samples.
    pub samples: &'a [i32],
    pub width: usize,
    pub height: usize,
    /// 1 (gray) or 3 (RGB, encoded with the irreversible colour transform).
    pub channels: usize,
    /// Bits per sample, 1..=16.
    pub precision: u32,
}

/// The decoded samples (planar, as given) and the codestream's length in bytes.
pub(super) fn round_trip(p: &Planes<'_>, ratio: f64) -> Result<(Vec<i32>, usize), String> {
    let code = encode(p, ratio)?;
    let samples = decode(&code, p)?;
    Ok((samples, code.len()))
}

struct Image(NonNull<opj::opj_image_t>);
impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: the pointer came from opj_image_create / opj_read_header and is
        // destroyed only here.
        unsafe { opj::opj_image_destroy(self.0.as_ptr()) }
    }
}

struct Codec(NonNull<opj::opj_codec_t>);
impl Drop for Codec {
    fn drop(&mut self) {
        // SAFETY: from opj_create_compress / opj_create_decompress, destroyed only here.
        unsafe { opj::opj_destroy_codec(self.0.as_ptr()) }
    }
}

struct Stream(NonNull<opj::opj_stream_t>);
impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: from opj_stream_create, destroyed only here; its user data has no free
        // function (the buffer is the caller's).
        unsafe { opj::opj_stream_destroy(self.0.as_ptr()) }
    }
}

/// A byte buffer with a position, the user data of a stream.
struct Buffer {
    bytes: Vec<u8>,
    pos: usize,
}

/// OpenJPEG's messages of one codec: its errors, for the error we return.
#[derive(Default)]
struct Messages(Vec<String>);

unsafe extern "C" fn on_error(msg: *const c_char, data: *mut c_void) {
    if msg.is_null() || data.is_null() {
        return;
    }
    // SAFETY: `data` is the `Messages` registered with the codec, alive while it is;
    // `msg` is a NUL-terminated string OpenJPEG owns for the call.
    let (messages, text) = unsafe { (&mut *data.cast::<Messages>(), CStr::from_ptr(msg)) };
    messages.0.push(text.to_string_lossy().trim().to_string());
}

unsafe extern "C" fn write(bytes: *mut c_void, n: usize, data: *mut c_void) -> usize {
    // SAFETY: `data` is the stream's `Buffer`; `bytes` holds `n` bytes to write.
    let (b, src) = unsafe {
        (
            &mut *data.cast::<Buffer>(),
            std::slice::from_raw_parts(bytes.cast::<u8>(), n),
        )
    };
    let end = b.pos + n;
    if b.bytes.len() < end {
        b.bytes.resize(end, 0);
    }
    b.bytes[b.pos..end].copy_from_slice(src);
    b.pos = end;
    n
}

unsafe extern "C" fn read(bytes: *mut c_void, n: usize, data: *mut c_void) -> usize {
    // SAFETY: `data` is the stream's `Buffer`; `bytes` has room for `n` bytes.
    let b = unsafe { &mut *data.cast::<Buffer>() };
    let left = b.bytes.len().saturating_sub(b.pos);
    if left == 0 {
        return usize::MAX; // OpenJPEG's end of stream: (OPJ_SIZE_T)-1
    }
    let k = left.min(n);
    // SAFETY: as above; `k <= n` bytes are written.
    let dst = unsafe { std::slice::from_raw_parts_mut(bytes.cast::<u8>(), k) };
    dst.copy_from_slice(&b.bytes[b.pos..b.pos + k]);
    b.pos += k;
    k
}

unsafe extern "C" fn skip(n: i64, data: *mut c_void) -> i64 {
    // SAFETY: `data` is the stream's `Buffer`.
    let b = unsafe { &mut *data.cast::<Buffer>() };
    match usize::try_from(n).ok().and_then(|n| b.pos.checked_add(n)) {
        Some(p) => {
            b.pos = p;
            n
        }
        None => -1,
    }
}

unsafe extern "C" fn seek(n: i64, data: *mut c_void) -> i32 {
    // SAFETY: `data` is the stream's `Buffer`.
    let b = unsafe { &mut *data.cast::<Buffer>() };
    match usize::try_from(n) {
        Ok(p) => {
            b.pos = p;
            1
        }
        Err(_) => 0,
    }
}

/// A stream over `buffer`, which must outlive it.
fn stream(buffer: &mut Buffer, input: bool) -> Result<Stream, String> {
    const CHUNK: usize = 1 << 20;
    // SAFETY: creates an empty stream; the callbacks and user data are set before use,
    // and the user data (`buffer`) outlives the returned guard at every call site.
    unsafe {
        let s = NonNull::new(opj::opj_stream_create(CHUNK, i32::from(input)))
            .map(Stream)
            .ok_or("OpenJPEG could not create a stream")?;
        if input {
            opj::opj_stream_set_read_function(s.0.as_ptr(), Some(read));
            opj::opj_stream_set_user_data_length(s.0.as_ptr(), buffer.bytes.len() as u64);
        } else {
            opj::opj_stream_set_write_function(s.0.as_ptr(), Some(write));
        }
        opj::opj_stream_set_skip_function(s.0.as_ptr(), Some(skip));
        opj::opj_stream_set_seek_function(s.0.as_ptr(), Some(seek));
        opj::opj_stream_set_user_data(s.0.as_ptr(), (buffer as *mut Buffer).cast(), None);
        Ok(s)
    }
}

fn failed(what: &str, messages: &Messages) -> String {
    match messages.0.last() {
        Some(m) => format!("JPEG 2000 {what} failed: {m}"),
        None => format!("JPEG 2000 {what} failed"),
    }
}

/// The number of resolutions for a `w x h` image: OpenJPEG's 6, fewer while the
/// smallest one would be under a pixel (Pillow's rule).
fn resolutions(w: usize, h: usize) -> i32 {
    let mut n = 6;
    while n > 1 && (w < 1 << (n - 1) || h < 1 << (n - 1)) {
        n -= 1;
    }
    n
}

fn encode(p: &Planes<'_>, ratio: f64) -> Result<Vec<u8>, String> {
    let (w, h) = (
        u32::try_from(p.width).map_err(|_| "the image is too wide for JPEG 2000")?,
        u32::try_from(p.height).map_err(|_| "the image is too tall for JPEG 2000")?,
    );
    let plane = p.width * p.height;
    if p.samples.len() != plane * p.channels || !(1..=16).contains(&p.precision) {
        return Err("JPEG 2000: the planes do not match the image's size".to_string());
    }
    let mut params = vec![
        opj::opj_image_cmptparm_t {
            dx: 1,
            dy: 1,
            w,
            h,
            x0: 0,
            y0: 0,
            prec: p.precision,
            bpp: p.precision,
            sgnd: 0,
        };
        p.channels
    ];
    let space = if p.channels == 3 {
        opj::COLOR_SPACE::OPJ_CLRSPC_SRGB
    } else {
        opj::COLOR_SPACE::OPJ_CLRSPC_GRAY
    };
    let mut messages = Messages::default();
    let mut out = Buffer {
        bytes: Vec::new(),
        pos: 0,
    };
    // SAFETY: the image is created for `channels` components of `w * h` samples, each
    // component's data filled within that length; the parameters struct is initialised
    // by OpenJPEG before we set fields; the codec's error handler gets `messages`, which
    // outlives the codec (declared before it, dropped after it).
    unsafe {
        let image = NonNull::new(opj::opj_image_create(
            p.channels as u32,
            params.as_mut_ptr(),
            space,
        ))
        .map(Image)
        .ok_or("OpenJPEG could not allocate the image")?;
        let img = &mut *image.0.as_ptr();
        (img.x0, img.y0, img.x1, img.y1) = (0, 0, w, h);
        for c in 0..p.channels {
            let comp = &*img.comps.add(c);
            if comp.data.is_null() || (comp.w as usize) * (comp.h as usize) != plane {
                return Err("OpenJPEG allocated an image of another size".to_string());
            }
            std::slice::from_raw_parts_mut(comp.data, plane)
                .copy_from_slice(&p.samples[c * plane..(c + 1) * plane]);
        }
        let mut cp = std::mem::zeroed::<opj::opj_cparameters_t>();
        opj::opj_set_default_encoder_parameters(&mut cp);
        cp.tcp_numlayers = 1;
        cp.tcp_rates[0] = ratio as f32;
        cp.cp_disto_alloc = 1;
        cp.irreversible = 1;
        cp.numresolution = resolutions(p.width, p.height);
        cp.tcp_mct = u8::from(p.channels == 3) as c_char;
        let codec = NonNull::new(opj::opj_create_compress(opj::CODEC_FORMAT::OPJ_CODEC_J2K))
            .map(Codec)
            .ok_or("OpenJPEG could not create an encoder")?;
        opj::opj_set_error_handler(
            codec.0.as_ptr(),
            Some(on_error),
            (&mut messages as *mut Messages).cast(),
        );
        if opj::opj_setup_encoder(codec.0.as_ptr(), &mut cp, image.0.as_ptr()) == 0 {
            return Err(failed("encoder set-up", &messages));
        }
        let s = stream(&mut out, false)?;
        let ok = opj::opj_start_compress(codec.0.as_ptr(), image.0.as_ptr(), s.0.as_ptr()) != 0
            && opj::opj_encode(codec.0.as_ptr(), s.0.as_ptr()) != 0
            && opj::opj_end_compress(codec.0.as_ptr(), s.0.as_ptr()) != 0;
        drop(s);
        drop(codec);
        if !ok {
            return Err(failed("encoding", &messages));
        }
    }
    Ok(out.bytes)
}

fn decode(code: &[u8], p: &Planes<'_>) -> Result<Vec<i32>, String> {
    let plane = p.width * p.height;
    let mut messages = Messages::default();
    let mut input = Buffer {
        bytes: code.to_vec(),
        pos: 0,
    };
    // SAFETY: as in `encode`; the decoded image is checked to have `channels`
    // components of `width x height` before its data is read within that length.
    unsafe {
        let codec = NonNull::new(opj::opj_create_decompress(opj::CODEC_FORMAT::OPJ_CODEC_J2K))
            .map(Codec)
            .ok_or("OpenJPEG could not create a decoder")?;
        opj::opj_set_error_handler(
            codec.0.as_ptr(),
            Some(on_error),
            (&mut messages as *mut Messages).cast(),
        );
        let mut dp = std::mem::zeroed::<opj::opj_dparameters_t>();
        opj::opj_set_default_decoder_parameters(&mut dp);
        if opj::opj_setup_decoder(codec.0.as_ptr(), &mut dp) == 0 {
            return Err(failed("decoder set-up", &messages));
        }
        let s = stream(&mut input, true)?;
        let mut raw: *mut opj::opj_image_t = std::ptr::null_mut();
        let header = opj::opj_read_header(s.0.as_ptr(), codec.0.as_ptr(), &mut raw) != 0;
        let image = NonNull::new(raw).map(Image);
        let image = match (header, image) {
            (true, Some(i)) => i,
            _ => return Err(failed("header reading", &messages)),
        };
        if opj::opj_decode(codec.0.as_ptr(), s.0.as_ptr(), image.0.as_ptr()) == 0
            || opj::opj_end_decompress(codec.0.as_ptr(), s.0.as_ptr()) == 0
        {
            return Err(failed("decoding", &messages));
        }
        let img = &*image.0.as_ptr();
        if img.numcomps as usize != p.channels || img.comps.is_null() {
            return Err("the JPEG 2000 round trip changed the components".to_string());
        }
        let mut out = Vec::with_capacity(plane * p.channels);
        for c in 0..p.channels {
            let comp = &*img.comps.add(c);
            if comp.data.is_null() || comp.w as usize != p.width || comp.h as usize != p.height {
                return Err("the JPEG 2000 round trip changed the image's size".to_string());
            }
            out.extend_from_slice(std::slice::from_raw_parts(comp.data, plane));
        }
        Ok(out)
    }
}
