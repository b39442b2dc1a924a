#!/usr/bin/env python3
"""Writes the codec test corpus of runner/tests/data/codecs/ (issue 13) and its expected values.

    python3 tools/codecs/make_test_data.py

Deterministic: every synthetic image is a gradient plus noise from a fixed seed, and
the DICOM UIDs are derived from the file name. Each file is decoded back with pydicom's
own decoders (pylibjpeg-libjpeg, pylibjpeg-openjpeg, pyjpegls, pydicom's RLE), and
expected.json records, per frame, the sha256 of the decoded samples as little-endian
int32 (rows x columns x samples, interleaved), a few sample values and, for lossy
DCT-based JPEG, the decoded samples themselves (NAME.fK.ref, int16 LE) with the largest
difference clic may show against them. Files copied from pydicom's test corpus are
named pydicom_*.dcm; the encoders used for the rest are named in expected.json.

Versions: Python 3.11, numpy 2.4.6, pydicom 3.0.2, pylibjpeg 2.1.0,
pylibjpeg-openjpeg 2.6.0, pylibjpeg-libjpeg 2.5.0, pylibjpeg-rle 2.2.0,
pyjpegls 1.5.1, imagecodecs 2026.3.6 (libjpeg-turbo for the JPEG processes the others
cannot encode, OpenJPH for HTJ2K).
"""
import hashlib
import json
import shutil
from pathlib import Path

import imagecodecs as ic
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import UID

OUT = Path(__file__).resolve().parents[2] / "runner" / "tests" / "data" / "codecs"
PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
ROWS, COLS = 48, 64
ROOT = "1.2.826.0.1.3680043.10.1337"  # an example root; the UIDs are made up


def uid_for(name: str, n: int) -> str:
    return f"{ROOT}.{int(hashlib.sha256(name.encode()).hexdigest()[:12], 16)}.{n}"


def image(bits: int, signed: bool, spp: int = 1, seed: int = 0, frame: int = 0) -> np.ndarray:
    """A gradient over the whole range plus noise, with a flat block (JPEG-LS run mode)."""
    rng = np.random.default_rng(seed * 100 + frame)
    y, x = np.mgrid[0:ROWS, 0:COLS]
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    planes = []
    for c in range(spp):
        t = ((x + 2 * y + 17 * c + 5 * frame) % (COLS + 2 * ROWS)) / (COLS + 2 * ROWS)
        v = lo + t * (hi - lo) + rng.normal(0, (hi - lo) / 64, (ROWS, COLS))
        v[8:16, 8:24] = lo + (hi - lo) // 3  # flat
        planes.append(np.clip(np.rint(v), lo, hi))
    arr = np.stack(planes, axis=-1) if spp > 1 else planes[0]
    dtype = {(8, False): np.uint8, (8, True): np.int8}.get((bits, signed)) if bits <= 8 else None
    if dtype is None:
        dtype = np.int16 if signed else np.uint16
    return arr.astype(dtype)


def dataset(name, ts, bits_alloc, bits, signed, spp, photometric, frames=1):
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = UID(ts)
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = uid_for(name, 1)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = uid_for(name, 2)
    ds.SeriesInstanceUID = uid_for(name, 3)
    ds.Modality = "OT"
    ds.PatientID = "SYNTHETIC"
    ds.Rows, ds.Columns = ROWS, COLS
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = photometric
    if spp > 1:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_alloc, bits, bits - 1
    ds.PixelRepresentation = int(signed)
    return ds


def put_frames(ds, frames, fragments_per_frame=1, has_bot=True):
    ds.PixelData = encapsulate(frames, fragments_per_frame=fragments_per_frame, has_bot=has_bot)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True


def unsigned_view(arr, bits):
    """Signed samples as the bit patterns a codec is given (two's complement in `bits`)."""
    if arr.dtype.kind != "i":
        return arr
    return (arr.astype(np.int32) & ((1 << bits) - 1)).astype(np.uint16)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# --- JPEG-LS (pyjpegls through pydicom's encoder) ----------------------------------
def jls(name, bits, signed, near, bits_alloc=16, spp=1, photometric="MONOCHROME2"):
    ts = pydicom.uid.JPEGLSNearLossless if near else pydicom.uid.JPEGLSLossless
    ds = dataset(name, ts, bits_alloc, bits, signed, spp, photometric)
    arr = image(bits, signed, spp, seed=len(name))
    ds.PixelData = arr.tobytes()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    kw = {"jls_error": near} if near else {}
    ds.compress(ts, arr, encoding_plugin="pyjpegls", **kw)
    return ds, {"encoder": "pyjpegls (CharLS) via pydicom", "lossy": bool(near), "max_error": 0,
                "near": near}


@case
def jls_lossless_u16():
    return jls("jls_lossless_u16", 16, False, 0)


@case
def jls_lossless_s12():
    return jls("jls_lossless_s12", 12, True, 0)


@case
def jls_lossless_u8():
    return jls("jls_lossless_u8", 8, False, 0, bits_alloc=8)


@case
def jls_near3_u12():
    return jls("jls_near3_u12", 12, False, 3)


@case
def jls_near2_u8():
    return jls("jls_near2_u8", 8, False, 2, bits_alloc=8)


@case
def jls_lossless_rgb8():
    return jls("jls_lossless_rgb8", 8, False, 0, bits_alloc=8, spp=3, photometric="RGB")


@case
def jls_ilv0_rgb8():
    """Colour with one scan per component (ILV 0), written by pyjpegls directly."""
    import jpeg_ls

    name = "jls_ilv0_rgb8"
    ds = dataset(name, pydicom.uid.JPEGLSLossless, 8, 8, False, 3, "RGB")
    planar = np.ascontiguousarray(image(8, False, 3, seed=5).transpose(2, 0, 1))  # ILV 0 takes planes
    put_frames(ds, [bytes(jpeg_ls.encode_array(planar, 0, interleave_mode=0))])
    return ds, {"encoder": "pyjpegls (CharLS) encode_array interleave_mode=0", "lossy": False}


# --- JPEG (libjpeg-turbo through imagecodecs) ---------------------------------------
def jpeg(name, ts, bits, arr, photometric, bits_alloc, lossy, **kw):
    spp = 1 if arr.ndim == 2 else arr.shape[-1]
    ds = dataset(name, ts, bits_alloc, bits, False, spp, photometric)
    put_frames(ds, [ic.jpeg8_encode(arr, **kw)])
    return ds, {"encoder": f"imagecodecs.jpeg8_encode {kw}", "lossy": lossy}


@case
def jpeg_sv1_u16():
    arr = image(16, False, seed=21)
    return jpeg("jpeg_sv1_u16", pydicom.uid.JPEGLosslessSV1, 16, arr, "MONOCHROME2", 16, False,
                lossless=True, predictor=1, bitspersample=16)


@case
def jpeg_sv1_u12():
    arr = image(12, False, seed=22)
    return jpeg("jpeg_sv1_u12", pydicom.uid.JPEGLosslessSV1, 12, arr, "MONOCHROME2", 16, False,
                lossless=True, predictor=1, bitspersample=12)


@case
def jpeg_p14_pred6_u16():
    arr = image(16, False, seed=23)
    return jpeg("jpeg_p14_pred6_u16", pydicom.uid.JPEGLossless, 16, arr, "MONOCHROME2", 16,
                False, lossless=True, predictor=6, bitspersample=16)


@case
def jpeg_p14_pred7_u8():
    arr = image(8, False, seed=24)
    return jpeg("jpeg_p14_pred7_u8", pydicom.uid.JPEGLossless, 8, arr, "MONOCHROME2", 8, False,
                lossless=True, predictor=7, bitspersample=8)


@case
def jpeg_ext_u12():
    arr = image(12, False, seed=25)
    return jpeg("jpeg_ext_u12", pydicom.uid.JPEGExtended12Bit, 12, arr, "MONOCHROME2", 16, True,
                level=95, bitspersample=12)


@case
def jpeg_base_u8():
    arr = image(8, False, seed=26)
    return jpeg("jpeg_base_u8", pydicom.uid.JPEGBaseline8Bit, 8, arr, "MONOCHROME2", 8, True,
                level=95)


@case
def jpeg_base_ybr422():
    arr = image(8, False, spp=3, seed=27)
    return jpeg("jpeg_base_ybr422", pydicom.uid.JPEGBaseline8Bit, 8, arr, "YBR_FULL_422", 8,
                True, level=95, colorspace="RGB", outcolorspace="YCBCR", subsampling="422")


# --- RLE (pydicom's own encoder) -----------------------------------------------------
def rle(name, bits, signed, spp=1, photometric="MONOCHROME2", frames=1, bits_alloc=None):
    bits_alloc = bits_alloc or (8 if bits <= 8 else 16)
    ds = dataset(name, pydicom.uid.ExplicitVRLittleEndian, bits_alloc, bits, signed, spp,
                 photometric, frames)
    arrs = [image(bits, signed, spp, seed=len(name), frame=k) for k in range(frames)]
    arr = np.stack(arrs) if frames > 1 else arrs[0]
    ds.PixelData = arr.tobytes()
    ds.compress(pydicom.uid.RLELossless, arr, encoding_plugin="pydicom")
    return ds, {"encoder": "pydicom RLE", "lossy": False}


@case
def rle_s16():
    return rle("rle_s16", 16, True)


@case
def rle_u8():
    return rle("rle_u8", 8, False)


@case
def rle_rgb8():
    return rle("rle_rgb8", 8, False, spp=3, photometric="RGB")


@case
def rle_rgb16_2frames():
    return rle("rle_rgb16_2frames", 16, False, spp=3, photometric="RGB", frames=2)


@case
def rle_ybr_full():
    return rle("rle_ybr_full", 8, False, spp=3, photometric="YBR_FULL")


# --- JPEG 2000 (pylibjpeg-openjpeg through pydicom's encoder) ------------------------
def j2k(name, ts, bits, signed, spp=1, photometric="MONOCHROME2", bits_alloc=16, **kw):
    ds = dataset(name, pydicom.uid.ExplicitVRLittleEndian, bits_alloc, bits, signed, spp,
                 photometric)
    arr = image(bits, signed, spp, seed=len(name))
    ds.PixelData = arr.tobytes()
    ds.compress(ts, arr, encoding_plugin="pylibjpeg", **kw)
    lossy = ts == pydicom.uid.JPEG2000
    return ds, {"encoder": f"pylibjpeg-openjpeg via pydicom {kw}", "lossy": lossy}


@case
def j2k_lossless_s16():
    return j2k("j2k_lossless_s16", pydicom.uid.JPEG2000Lossless, 16, True)


@case
def j2k_lossless_u12():
    return j2k("j2k_lossless_u12", pydicom.uid.JPEG2000Lossless, 12, False)


@case
def j2k_lossless_rgb8():
    return j2k("j2k_lossless_rgb8", pydicom.uid.JPEG2000Lossless, 8, False, spp=3,
               photometric="RGB", bits_alloc=8)


@case
def j2k_lossy_u12():
    return j2k("j2k_lossy_u12", pydicom.uid.JPEG2000, 12, False, j2k_cr=[8])


@case
def j2k_lossy_rgb8():
    return j2k("j2k_lossy_rgb8", pydicom.uid.JPEG2000, 8, False, spp=3, photometric="RGB",
               bits_alloc=8, j2k_cr=[10])


# --- HTJ2K (OpenJPH through imagecodecs) ---------------------------------------------
def htj2k(name, ts, bits, signed, reversible, **kw):
    ds = dataset(name, ts, 16, bits, signed, 1, "MONOCHROME2")
    arr = image(bits, signed, seed=len(name))
    data = unsigned_view(arr, bits) if False else arr
    put_frames(ds, [ic.htj2k_encode(data, reversible=reversible, **kw)])
    return ds, {"encoder": f"imagecodecs.htj2k_encode reversible={reversible} {kw}",
                "lossy": not reversible}


@case
def htj2k_lossless_u16():
    return htj2k("htj2k_lossless_u16", pydicom.uid.HTJ2KLossless, 16, False, True)


@case
def htj2k_rpcl_u12():
    return htj2k("htj2k_rpcl_u12", pydicom.uid.HTJ2KLosslessRPCL, 12, False, True, tlm=True)


@case
def htj2k_lossy_u12():
    return htj2k("htj2k_lossy_u12", pydicom.uid.HTJ2K, 12, False, False, level=40)


# --- Multi-frame ---------------------------------------------------------------------
def multi(name, ts, fragments_per_frame, has_bot, encode, bits=12, frames=3):
    ds = dataset(name, ts, 16, bits, False, 1, "MONOCHROME2", frames)
    arrs = [image(bits, False, seed=31, frame=k) for k in range(frames)]
    if ts == pydicom.uid.ExplicitVRLittleEndian:
        ds.PixelData = np.stack(arrs).tobytes()
    else:
        put_frames(ds, [encode(a) for a in arrs], fragments_per_frame, has_bot)
    return ds, {"encoder": "pydicom encapsulate", "lossy": False,
                "fragments_per_frame": fragments_per_frame, "basic_offset_table": has_bot}


def enc_j2k(a):
    return ic.jpeg2k_encode(a, level=0, reversible=True, bitspersample=12, codecformat="J2K")


def enc_jls(a):
    return ic.jpegls_encode(a, level=0)


@case
def multi_native_3():
    return multi("multi_native_3", pydicom.uid.ExplicitVRLittleEndian, 1, False, None)


@case
def multi_j2k_1frag_bot():
    return multi("multi_j2k_1frag_bot", pydicom.uid.JPEG2000Lossless, 1, True, enc_j2k)


@case
def multi_j2k_3frag_bot():
    return multi("multi_j2k_3frag_bot", pydicom.uid.JPEG2000Lossless, 3, True, enc_j2k)


@case
def multi_j2k_3frag_nobot():
    return multi("multi_j2k_3frag_nobot", pydicom.uid.JPEG2000Lossless, 3, False, enc_j2k)


@case
def multi_jls_2frag_nobot():
    return multi("multi_jls_2frag_nobot", pydicom.uid.JPEGLSLossless, 2, False, enc_jls)


@case
def multi_jls_1frag_nobot():
    return multi("multi_jls_1frag_nobot", pydicom.uid.JPEGLSLossless, 1, False, enc_jls)


# --- From pydicom's test corpus (origin: pydicom 3.0.2, pydicom/data/test_files) ------
COPIED = {
    "pydicom_JPEGLSNearLossless_16.dcm": "JPEGLSNearLossless_16.dcm",
    "pydicom_MR_small_jpeg_ls_lossless.dcm": "MR_small_jpeg_ls_lossless.dcm",
    "pydicom_SC_rgb_jls_lossy_line.dcm": "SC_rgb_jls_lossy_line.dcm",
    "pydicom_SC_rgb_jls_lossy_sample.dcm": "SC_rgb_jls_lossy_sample.dcm",
    "pydicom_JPGExtended.dcm": "JPGExtended.dcm",
    "pydicom_SC_rgb_jpeg_gdcm.dcm": "SC_rgb_jpeg_gdcm.dcm",
    "pydicom_SC_rgb_dcmtk_ybr422.dcm": "SC_rgb_dcmtk_+eb+cy+np.dcm",
    "pydicom_SC_rgb_dcmtk_rgb.dcm": "SC_rgb_dcmtk_+eb+cr.dcm",
    "pydicom_SC_rgb_rle_16bit_2frame.dcm": "SC_rgb_rle_16bit_2frame.dcm",
    "pydicom_SC_rgb_rle_32bit.dcm": "SC_rgb_rle_32bit.dcm",
    "pydicom_GDCMJ2K_TextGBR.dcm": "GDCMJ2K_TextGBR.dcm",
    "pydicom_MR_small_RLE.dcm": "MR_small_RLE.dcm",
}
COPIED_LOSSY = {"pydicom_JPGExtended.dcm", "pydicom_SC_rgb_dcmtk_ybr422.dcm",
                "pydicom_SC_rgb_dcmtk_rgb.dcm", "pydicom_JPEGLSNearLossless_16.dcm",
                "pydicom_SC_rgb_jls_lossy_line.dcm", "pydicom_SC_rgb_jls_lossy_sample.dcm"}

# The largest difference allowed against pydicom's decoded samples: JPEG's DCT processes
# leave the inverse DCT's rounding and the chroma upsampling to the decoder (ISO 10918-1
# A.3.3 bounds the IDCT error, not its bits); JPEG-LS near-lossless, JPEG 2000 and HTJ2K
# decoding are exact.
# Chroma upsampling of 4:2:2 JPEG is the decoder's choice too (libjpeg's triangular
# filter against jpeg-decoder's), and the noisy synthetic chroma makes it show.
BOUND = {"1.2.840.10008.1.2.4.50": 8, "1.2.840.10008.1.2.4.51": 8}
BOUND_SUBSAMPLED = 16


DCT_JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}


def reference(path: Path):
    """pydicom's decoded samples, as the codec gives them: a DCT JPEG's YCbCr comes out as
    RGB (what libjpeg and jpeg-decoder both do), JPEG 2000's YBR_RCT/YBR_ICT as RGB (the
    codestream's inverse colour transform), anything else as stored (YBR_FULL RLE stays
    YBR_FULL: conversion is preprocessing's business)."""
    from pydicom.pixels import pixel_array

    ds = pydicom.dcmread(path)
    arr = pixel_array(ds, raw=str(ds.file_meta.TransferSyntaxUID) not in DCT_JPEG)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    arr = arr.reshape(frames, ds.Rows, ds.Columns, -1)
    return ds, arr


def decoded_photometric(ts: str, pi: str) -> str:
    if pi.startswith("YBR") and (ts in DCT_JPEG or pi in ("YBR_RCT", "YBR_ICT")):
        return "RGB"
    return pi


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    expected = {}
    entries = []
    for fn in CASES:
        ds, info = fn()
        path = OUT / f"{fn.__name__}.dcm"
        ds.save_as(path, enforce_file_format=True)
        entries.append((path, info))
    for new, old in COPIED.items():
        shutil.copyfile(PYDICOM_FILES / old, OUT / new)
        entries.append((OUT / new, {"encoder": f"pydicom test file {old}",
                                    "lossy": new in COPIED_LOSSY}))
    for path, info in entries:
        ds, arr = reference(path)
        ts = str(ds.file_meta.TransferSyntaxUID)
        info = dict(info)
        info.update({
            "transfer_syntax": ts,
            "rows": int(ds.Rows), "columns": int(ds.Columns),
            "samples_per_pixel": int(ds.SamplesPerPixel),
            "bits_allocated": int(ds.BitsAllocated), "bits_stored": int(ds.BitsStored),
            "pixel_representation": int(ds.PixelRepresentation),
            "photometric": str(ds.PhotometricInterpretation),
            "decoded_photometric": decoded_photometric(ts, str(ds.PhotometricInterpretation)),
            "frames": [],
        })
        bound = BOUND.get(ts, 0)
        if str(ds.PhotometricInterpretation) == "YBR_FULL_422":
            bound = max(bound, BOUND_SUBSAMPLED)
        info.setdefault("max_error", bound if info["lossy"] else 0)
        for k, f in enumerate(arr):
            samples = f.astype("<i4")
            entry = {
                "sha256": hashlib.sha256(samples.tobytes()).hexdigest(),
                "first": [int(v) for v in samples.reshape(-1)[:4]],
                "min": int(samples.min()), "max": int(samples.max()),
            }
            # Inexact codecs keep pydicom's samples (int16 LE) where they are small.
            if info["max_error"] > 0 and samples.size <= 100_000:
                ref = f"{path.stem}.f{k}.ref"
                (OUT / ref).write_bytes(samples.astype("<i2").tobytes())
                entry["reference"] = ref
            info["frames"].append(entry)
        expected[path.name] = info
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(expected)} files, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
