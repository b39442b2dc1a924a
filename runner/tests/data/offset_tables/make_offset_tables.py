#!/usr/bin/env python3
"""Writes the Extended Offset Table corpus of runner/tests/data/offset_tables/ (issue 13) and
its expected values, in the format of runner/tests/data/codecs/expected.json.

    python3 runner/tests/data/offset_tables/make_offset_tables.py

Multi-frame objects whose frames are found by the Extended Offset Table (7FE0,0001) and
its Lengths (7FE0,0002) (PS3.3 C.7.6.3.1.8, PS3.5 A.4), the Basic Offset Table empty:
- written by pydicom's `encapsulate_extended` (one fragment per frame, as PS3.3 requires
  of an object with an Extended Offset Table), JPEG 2000 lossless and RLE lossless;
- several fragments per frame with the table written here (each frame's first fragment
  item, each frame's length the sum of its fragments'), which PS3.3 does not allow but
  which leaves no doubt about the frames; pydicom itself reads a frame's `length` bytes
  after its first item header and so cannot decode these, and their reference is
  pydicom's decoding of the same fragments under a Basic Offset Table;
- the lengths without the pad byte of an odd frame.
Each frame's samples are pydicom's (`pydicom.pixels.pixel_array`, which reads the
Extended Offset Table): expected.json records the sha256 of each frame's samples as
little-endian int32 and the first four.

Deterministic: a gradient plus noise from a fixed seed; the UIDs derive from the name.
Versions: Python 3.11, numpy 2.4.6, pydicom 3.0.2, pylibjpeg 2.1.0, pylibjpeg-openjpeg
2.6.0 (JPEG 2000 encoding and decoding; RLE is pydicom's own).
"""
import hashlib
import json
import struct
from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended, generate_frames
from pydicom.pixels import pixel_array
from pydicom.uid import UID, ExplicitVRLittleEndian, JPEG2000Lossless, RLELossless

OUT = Path(__file__).resolve().parent
ROWS, COLS, FRAMES = 48, 64, 3
ROOT = "1.2.826.0.1.3680043.10.1337.13"  # an example root; the UIDs are made up


def uid_for(name: str, n: int) -> str:
    return f"{ROOT}.{int(hashlib.sha256(name.encode()).hexdigest()[:12], 16)}.{n}"


def image(bits: int, signed: bool, frame: int) -> np.ndarray:
    rng = np.random.default_rng(1300 + frame)
    y, x = np.mgrid[0:ROWS, 0:COLS]
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    t = ((x + 2 * y + 5 * frame) % (COLS + 2 * ROWS)) / (COLS + 2 * ROWS)
    v = lo + t * (hi - lo) + rng.normal(0, (hi - lo) / 64, (ROWS, COLS))
    return np.clip(np.rint(v), lo, hi).astype(np.int16 if signed else np.uint16)


def dataset(name: str, bits: int, signed: bool) -> tuple[Dataset, np.ndarray]:
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = UID(ExplicitVRLittleEndian)
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"  # Multi-frame Grayscale Word SC
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
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = FRAMES
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, bits, bits - 1
    ds.PixelRepresentation = int(signed)
    arr = np.stack([image(bits, signed, k) for k in range(FRAMES)])
    ds.PixelData = arr.tobytes()
    return ds, arr


def encoded_frames(name: str, ts: str, bits: int, signed: bool) -> tuple[Dataset, list[bytes]]:
    """The dataset, compressed by pydicom, and each frame's codestream."""
    ds, arr = dataset(name, bits, signed)
    plugin = "pylibjpeg" if ts == JPEG2000Lossless else "pydicom"
    ds.compress(ts, arr, encoding_plugin=plugin, generate_instance_uid=False)
    frames = list(generate_frames(ds.PixelData, number_of_frames=FRAMES))
    return ds, frames


def split(frame: bytes, parts: int) -> list[bytes]:
    """A codestream cut into `parts` fragments of even length (the last takes the rest)."""
    size = max(2, (len(frame) // parts) & ~1)
    out = [frame[k * size:(k + 1) * size] for k in range(parts - 1)]
    out.append(frame[(parts - 1) * size:])
    return [f for f in out if f]


def items(fragments: list[bytes]) -> bytes:
    """Encapsulated pixel data: an empty Basic Offset Table, then one item per fragment."""
    out = bytearray(b"\xfe\xff\x00\xe0" + struct.pack("<I", 0))
    for f in fragments:
        f = f + b"\x00" * (len(f) % 2)
        out += b"\xfe\xff\x00\xe0" + struct.pack("<I", len(f)) + f
    return bytes(out)


def put_extended(ds: Dataset, frames: list[list[bytes]], padded: bool = True) -> None:
    """The fragments of each frame, with an Extended Offset Table written here."""
    offsets, lengths, at = [], [], 0
    for fragments in frames:
        offsets.append(at)
        held = 0
        for f in fragments:
            n = len(f) + len(f) % 2
            at += 8 + n
            held += n
        lengths.append(held if padded else held - sum(len(f) % 2 for f in fragments))
    ds.PixelData = items([f for fragments in frames for f in fragments])
    ds.ExtendedOffsetTable = struct.pack(f"<{len(offsets)}Q", *offsets)
    ds.ExtendedOffsetTableLengths = struct.pack(f"<{len(lengths)}Q", *lengths)
    finish(ds)


def finish(ds: Dataset) -> None:
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def eot_j2k_u12():
    ds, frames = encoded_frames("eot_j2k_u12", JPEG2000Lossless, 12, False)
    data, offsets, lengths = encapsulate_extended(frames)
    ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = data, offsets, lengths
    finish(ds)
    return ds, None, {"encoder": "pylibjpeg-openjpeg via pydicom; encapsulate_extended",
                      "fragments_per_frame": 1}


@case
def eot_rle_s16():
    ds, frames = encoded_frames("eot_rle_s16", RLELossless, 16, True)
    data, offsets, lengths = encapsulate_extended(frames)
    ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = data, offsets, lengths
    finish(ds)
    return ds, None, {"encoder": "pydicom RLE; encapsulate_extended", "fragments_per_frame": 1}


@case
def eot_j2k_3frag():
    ds, frames = encoded_frames("eot_j2k_3frag", JPEG2000Lossless, 12, False)
    put_extended(ds, [split(f, 3) for f in frames])
    # pydicom reads one fragment per frame from an Extended Offset Table: the reference is
    # the same fragments under a Basic Offset Table.
    ref = pydicom.dcmread(BytesIO(bytes_of(ds)))
    del ref.ExtendedOffsetTable, ref.ExtendedOffsetTableLengths
    ref.PixelData = encapsulate([f for f in frames], fragments_per_frame=3, has_bot=True)
    finish(ref)
    return ds, ref, {"encoder": "pylibjpeg-openjpeg via pydicom; 3 fragments per frame, "
                                "Extended Offset Table written by the generator",
                     "fragments_per_frame": 3}


@case
def eot_j2k_unpadded():
    ds, frames = encoded_frames("eot_j2k_unpadded", JPEG2000Lossless, 12, False)
    # Each codestream without the pad byte after its EOC marker (frame 1's is odd): the
    # fragment is padded, its length is not.
    frames = [f[:-1] if f.endswith(b"\xff\xd9\x00") else f for f in frames]
    assert any(len(f) % 2 for f in frames)
    put_extended(ds, [[f] for f in frames], padded=False)
    return ds, None, {"encoder": "pylibjpeg-openjpeg via pydicom; an odd frame's length "
                                 "without its pad byte", "fragments_per_frame": 1}


def bytes_of(ds: Dataset) -> bytes:
    b = BytesIO()
    ds.save_as(b, enforce_file_format=True)
    return b.getvalue()


def main():
    for old in OUT.glob("*.dcm"):
        old.unlink()
    expected = {}
    for name, fn in CASES.items():
        ds, ref, info = fn()
        path = OUT / f"{name}.dcm"
        ds.save_as(path, enforce_file_format=True)
        back = pydicom.dcmread(path)
        assert len(back.PixelData) and back.ExtendedOffsetTable
        arr = pixel_array(ref if ref is not None else back, raw=True)
        arr = arr.reshape(FRAMES, ROWS, COLS, -1)
        ts = str(back.file_meta.TransferSyntaxUID)
        info.update({
            "transfer_syntax": ts,
            "rows": ROWS, "columns": COLS, "samples_per_pixel": 1,
            "bits_allocated": 16, "bits_stored": int(back.BitsStored),
            "pixel_representation": int(back.PixelRepresentation),
            "photometric": "MONOCHROME2", "decoded_photometric": "MONOCHROME2",
            "lossy": False, "max_error": 0,
            "extended_offsets": list(struct.unpack(f"<{FRAMES}Q", back.ExtendedOffsetTable)),
            "extended_lengths": list(struct.unpack(f"<{FRAMES}Q",
                                                   back.ExtendedOffsetTableLengths)),
            "frames": [],
        })
        for f in arr:
            samples = f.astype("<i4")
            info["frames"].append({
                "sha256": hashlib.sha256(samples.tobytes()).hexdigest(),
                "first": [int(v) for v in samples.reshape(-1)[:4]],
                "min": int(samples.min()), "max": int(samples.max()),
            })
        expected[path.name] = info
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in OUT.glob("*.dcm"))
    print(f"{len(expected)} files, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
