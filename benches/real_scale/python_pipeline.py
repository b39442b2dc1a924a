#!/usr/bin/env python3
"""What a team would otherwise run: pydicom + pylibjpeg/pyjpegls + numpy + onnxruntime.

    python3 benches/real_scale/python_pipeline.py PROJECT --procs P [--out scores.csv]

Scores every scan of PROJECT/data/reference with PROJECT/model/resnet18.onnx, with the
preprocessing of make_workload.py's manifest: modality LUT, the file's VOI window
(PS3.3 LINEAR) else min-max, bilinear resize to 224 x 224 (half-pixel centres, no
antialiasing), the grey plane repeated to three channels, ImageNet mean/std.
P processes each take every P-th file and run decoding and inference for it, each
with cores / P inference threads, batches of 32. Writes `file,score` rows sorted by file.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
from pathlib import Path

import numpy as np

OUT = 224
MEAN = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
STD = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
BATCH = 32


def weights(n_in: int, n_out: int):
    src = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0, n_in - 1)
    i0 = np.floor(src).astype(np.int64)
    return i0, np.minimum(i0 + 1, n_in - 1), (src - i0)


def preprocess(path: Path) -> np.ndarray:
    import pydicom

    ds = pydicom.dcmread(path)
    m = ds.pixel_array.astype(np.float32) * float(ds.get("RescaleSlope", 1) or 1) + float(
        ds.get("RescaleIntercept", 0) or 0
    )
    c, w = ds.get("WindowCenter"), ds.get("WindowWidth")
    if c is not None and w is not None and float(w) > 1:
        y = np.clip((m - (float(c) - 0.5)) / (float(w) - 1) + 0.5, 0, 1)
    else:
        lo, hi = float(m.min()), float(m.max())
        y = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
    h, wd = y.shape
    y0, y1, fy = weights(h, OUT)
    x0, x1, fx = weights(wd, OUT)
    rows = y[y0, :] * (1 - fy)[:, None] + y[y1, :] * fy[:, None]
    r = rows[:, x0] * (1 - fx)[None, :] + rows[:, x1] * fx[None, :]
    return ((np.repeat(r[None].astype(np.float32), 3, axis=0) - MEAN) / STD).astype(np.float32)


def work(args) -> list[tuple[str, float]]:
    model, files, threads = args
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    out = []
    for i in range(0, len(files), BATCH):
        chunk = files[i : i + BATCH]
        batch = np.stack([preprocess(f) for f in chunk])
        probs = session.run(["prob"], {"image": batch})[0].reshape(-1)
        out.extend((f.name, float(p)) for f, p in zip(chunk, probs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("project", type=Path)
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    files = sorted((args.project / "data" / "reference").glob("*.dcm"))
    model = str(args.project / "model" / "resnet18.onnx")
    threads = max(1, (os.cpu_count() or 1) // args.procs)
    shares = [(model, files[k :: args.procs], threads) for k in range(args.procs)]
    if args.procs == 1:
        rows = work(shares[0])
    else:
        with mp.get_context("fork").Pool(args.procs) as pool:
            rows = [r for part in pool.map(work, shares) for r in part]
    rows.sort()
    if args.out:
        args.out.write_text("file,score\n" + "".join(f"{f},{s:.9g}\n" for f, s in rows))
    print(f"{len(rows)} scans", file=sys.stderr)


if __name__ == "__main__":
    main()
