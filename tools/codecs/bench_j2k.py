#!/usr/bin/env python3
"""JPEG 2000 decode timing at real size, the Python side (issue 13).

    python3 tools/codecs/bench_j2k.py make DIR [N]   # N 2048 x 2048 12-bit lossless files
    python3 tools/codecs/bench_j2k.py time DIR [ROUNDS]

`make` writes each image twice: DIR/NN.j2k (the raw codestream, what
tools/codecs/j2k-bench decodes) and DIR/NN.dcm (the same codestream in a DICOM file,
transfer syntax 1.2.840.10008.1.2.4.90). `time` decodes every .dcm with pydicom +
pylibjpeg-openjpeg (C OpenJPEG), single-threaded, and prints the median and mean per image.
Versions used for the figures in the report: numpy 2.4.6, pydicom 3.0.2,
pylibjpeg 2.1.0, pylibjpeg-openjpeg 2.6.0.
"""
import sys
import time
from pathlib import Path

import numpy as np


def make(out: Path, n: int) -> None:
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEG2000Lossless, ExplicitVRLittleEndian, generate_uid
    from openjpeg import encode as encode_array

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(13)
    y, x = np.mgrid[0:2048, 0:2048]
    for i in range(n):
        # A smooth radiograph-like field plus noise: compresses about as a CR does (~2-3:1).
        field = 1800 + 900 * np.sin(x / (180.0 + 10 * i)) * np.cos(y / 240.0) + 0.3 * (x - y)
        arr = np.clip(field + rng.normal(0, 25, field.shape), 0, 4095).astype(np.uint16)
        stream = encode_array(arr, bits_stored=12, photometric_interpretation=2, use_mct=False)
        (out / f"{i:02d}.j2k").write_bytes(stream)
        meta = FileMetaDataset()
        meta.TransferSyntaxUID = JPEG2000Lossless
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = "DX"
        ds.Rows, ds.Columns = arr.shape
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = encapsulate([stream])
        ds["PixelData"].VR = "OB"
        ds.save_as(out / f"{i:02d}.dcm", enforce_file_format=True)
        print(f"{i:02d}: {len(stream)} bytes ({arr.nbytes / len(stream):.2f}:1)")


def time_python(folder: Path, rounds: int) -> None:
    import pydicom

    files = sorted(folder.glob("*.dcm"))
    blobs = [f.read_bytes() for f in files]
    import io

    for b in blobs:  # warm-up
        pydicom.dcmread(io.BytesIO(b)).pixel_array
    times = []
    for _ in range(rounds):
        for b in blobs:
            t = time.perf_counter()
            arr = pydicom.dcmread(io.BytesIO(b)).pixel_array
            times.append((time.perf_counter() - t) * 1e3)
            assert arr.shape == (2048, 2048)
    times.sort()
    print(
        f"pydicom + pylibjpeg-openjpeg: {len(times)} decodes of {len(files)} files, "
        f"median {times[len(times) // 2]:.1f} ms, mean {sum(times) / len(times):.1f} ms per image"
    )


if __name__ == "__main__":
    cmd, folder = sys.argv[1], Path(sys.argv[2])
    if cmd == "make":
        make(folder, int(sys.argv[3]) if len(sys.argv) > 3 else 10)
    else:
        time_python(folder, int(sys.argv[3]) if len(sys.argv) > 3 else 3)
