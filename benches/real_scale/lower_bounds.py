#!/usr/bin/env python3
"""The lower bounds of issue 13's throughput targets on this machine, for the note.

    python3 benches/real_scale/lower_bounds.py infer MODEL --scans N [--threads T] [--batch B]
    python3 benches/real_scale/lower_bounds.py decode PROJECT [--procs P]
    python3 benches/real_scale/lower_bounds.py invariance MODEL...

infer   ONNX Runtime alone on N preprocessed [3, 224, 224] tensors (seeded normal values:
        the model's cost does not depend on them) in batches of B (default 64, clic's
        batch), T intra-op threads (default: every core), intra-op spinning off as clic
        runs it; the session's load is timed apart. Best of 3.
decode  The decoder alone: every scan of PROJECT/data/reference read and decoded to
        integers by pydicom + pylibjpeg (C OpenJPEG for JPEG 2000, CharLS for JPEG-LS),
        no preprocessing, P processes (default: every core) each taking every P-th file.

invariance  Whether ONNX Runtime's outputs are the same bit for bit whatever the intra-op
        thread count (1-4) and the batch size (1, 7, 16, 32, 64) for 64 seeded inputs of
        each MODEL's input shape (its first dimension the batch): what lets clic run the
        bench's model on every core without changing its evidence.

Prints one line per measurement: `infer|decode ... seconds=S per_scan_ms=M`, or
`invariance MODEL threads=T batch=B equal|DIFFERS`.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path


def infer(args) -> None:
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    t0 = time.perf_counter()
    session = ort.InferenceSession(str(args.model), opts, providers=["CPUExecutionProvider"])
    load = time.perf_counter() - t0
    name = session.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((args.batch, 3, 224, 224)).astype(np.float32)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        left = args.scans
        while left > 0:
            n = min(left, args.batch)
            session.run(None, {name: x[:n]})
            left -= n
        best = min(best, time.perf_counter() - t0)
    print(
        f"infer scans={args.scans} threads={args.threads} batch={args.batch} "
        f"load_s={load:.2f} seconds={best:.2f} per_scan_ms={best / args.scans * 1000:.1f}"
    )


def decode_some(files: list[Path]) -> int:
    import pydicom

    for f in files:
        pydicom.dcmread(f).pixel_array
    return len(files)


def decode(args) -> None:
    files = sorted((args.project / "data" / "reference").glob("*.dcm"))
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(args.procs) as pool:
        n = sum(pool.map(decode_some, [files[k :: args.procs] for k in range(args.procs)]))
    wall = time.perf_counter() - t0
    print(
        f"decode scans={n} procs={args.procs} seconds={wall:.2f} "
        f"per_scan_ms={wall / n * 1000:.1f} per_scan_per_core_ms={wall * args.procs / n * 1000:.1f}"
    )


def invariance(args) -> None:
    import numpy as np
    import onnxruntime as ort

    def session(model: Path, threads: int):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        return ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])

    differ = 0
    for model in args.models:
        first = session(model, 1)
        inp = first.get_inputs()[0]
        shape = tuple(d if isinstance(d, int) else 1 for d in inp.shape[1:])
        x = np.random.default_rng(0).standard_normal((64, *shape)).astype(np.float32)
        ref = first.run(None, {inp.name: x})[0]
        for threads in (1, 2, 3, 4):
            s = session(model, threads)
            for b in (1, 7, 16, 32, 64):
                out = np.concatenate([s.run(None, {inp.name: x[i : i + b]})[0] for i in range(0, 64, b)])
                same = np.array_equal(out.view(np.uint32), ref.view(np.uint32))
                differ += not same
                print(f"invariance {model.name} threads={threads} batch={b} {'equal' if same else 'DIFFERS'}")
    raise SystemExit(1 if differ else 0)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    i = sub.add_parser("infer")
    i.add_argument("model", type=Path)
    i.add_argument("--scans", type=int, default=60)
    i.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    i.add_argument("--batch", type=int, default=64)
    d = sub.add_parser("decode")
    d.add_argument("project", type=Path)
    d.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    v = sub.add_parser("invariance")
    v.add_argument("models", type=Path, nargs="+")
    args = ap.parse_args()
    {"infer": infer, "decode": decode, "invariance": invariance}[args.what](args)


if __name__ == "__main__":
    main()
