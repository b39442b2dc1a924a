"""What a team would otherwise run for the series classifier of make_workload.py: pydicom
reads each series' slices, the ct-segmentation example's numpy preprocessing
(examples/ct-segmentation/tools/preprocess.py: sort along the normal, rescale, resample
linear, centred crop or pad, z-score) with the manifest's steps, onnxruntime scores each
series, and each study keeps the highest score per finding. No metrics, intervals or
evidence: the Python side does less work than clic bench.

    python3 python_pipeline.py PROJECT [--procs N]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples/ct-segmentation/tools"))
import preprocess as pp  # noqa: E402

SPACING = (2.0, 2.0, 2.0)
SIZE = (64, 64, 32)
_session = None


def score(folder: str) -> tuple[str, list[float]]:
    global _session
    if _session is None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        _session = ort.InferenceSession(str(Path(folder).parents[2] / "model/triage.onnx"), opts)
    geo, vol, dss = pp.read_series(Path(folder))
    v, g = pp.resample(vol, geo, SPACING)
    v, g = pp.crop_or_pad(v, g, SIZE, 0.0)
    x = pp.zscore(v).astype(np.float32)[None, None]
    (probs,) = _session.run(None, {"t1": x})
    return str(dss[0].StudyInstanceUID), [float(p) for p in probs[0]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("project", type=Path)
    ap.add_argument("--procs", type=int, default=1)
    a = ap.parse_args()
    folders = sorted(str(p) for p in (a.project / "data/reference").iterdir() if p.is_dir())
    with ProcessPoolExecutor(a.procs) as ex:
        rows = list(ex.map(score, folders, chunksize=4))
    studies: dict[str, list[float]] = {}
    for study, probs in rows:
        best = studies.setdefault(study, probs)
        studies[study] = [max(x, y) for x, y in zip(best, probs)]
    print(f"{len(rows)} series, {len(studies)} studies")


if __name__ == "__main__":
    main()
