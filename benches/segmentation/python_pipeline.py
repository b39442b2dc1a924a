#!/usr/bin/env python3
"""The Python pipeline a team would otherwise run on a segmentation workload, for
benches/segmentation.sh: the same work as `clic bench` on the project DIR.

    python3 benches/segmentation/python_pipeline.py DIR [--procs P] [--out FILE.json]

For every row of DIR/data/reference/masks.csv: the series read with pydicom and assembled
(examples/ct-segmentation/tools/preprocess.py: read_series), its NIfTI reference mask read
and checked against the series' geometry (tools/metrics.py: read_nifti), the model
preprocessing, onnxruntime inference and the labels mapped back (metrics.py: predict,
which calls preprocess.preprocess and preprocess.labels_back), and the per-case metrics
with MONAI (metrics.py: case_metrics: Dice, IoU, NSD at 2 mm, the manifest's only
tolerance, HD95, ASSD, volumes); then the summaries with the patient-clustered bootstrap
and the volume agreement (metrics.py: summarise, pingouin's ICC). The normative example
code is imported, not copied.

--procs 2 splits the cases over two worker processes (each with its own onnxruntime
session); the parent summarises. The JSON written has the per-case metrics, the
summaries, and each process's peak RSS (getrusage), whose sum bounds the pipeline's peak.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "ct-segmentation" / "tools"))
import metrics as M  # noqa: E402
import preprocess as pp  # noqa: E402

M.NSD_TOLERANCES = (2.0,)  # the manifest's tolerance only, as clic computes


def cases_of(project: Path) -> list[tuple[str, Path, Path, str]]:
    """(SeriesInstanceUID, series folder, mask path, PatientID) per masks.csv row."""
    import pydicom

    ref = project / "data" / "reference"
    by_uid = {}
    for folder in sorted(p for p in ref.iterdir() if p.is_dir() and p.name.startswith("series-")):
        first = pydicom.dcmread(next(folder.glob("*.dcm")), stop_before_pixels=True)
        by_uid[str(first.SeriesInstanceUID)] = (folder, str(first.PatientID))
    with open(ref / "masks.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [(r["series"], by_uid[r["series"]][0], ref / r["mask"], by_uid[r["series"]][1]) for r in rows]


def score(job: tuple[str, Path, Path, str]) -> dict:
    uid, folder, mask, patient = job
    geo, vol, _ = pp.read_series(folder)
    ref = M.read_nifti(mask, geo)
    pred = M.predict(vol, geo)
    c = {"series": uid, "patient": patient}
    c.update(M.case_metrics(pred, ref, geo))
    return c


def worker(jobs: list, model: Path, queue) -> None:
    M.MODEL = model
    out = [score(j) for j in jobs]
    queue.put((out, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    t0 = time.perf_counter()
    model = a.project / "model" / "ct-organs.onnx"
    jobs = cases_of(a.project)
    rss_kib = []
    if a.procs <= 1:
        M.MODEL = model
        cases = [score(j) for j in jobs]
    else:
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        procs = [ctx.Process(target=worker, args=(jobs[k::a.procs], model, queue)) for k in range(a.procs)]
        for p in procs:
            p.start()
        parts = [queue.get() for _ in procs]
        for p in procs:
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"a worker failed (exit {p.exitcode})")
        order = {j[0]: i for i, j in enumerate(jobs)}
        cases = sorted((c for part, _ in parts for c in part), key=lambda c: order[c["series"]])
        rss_kib = [kib for _, kib in parts]
    summary = M.summarise(cases)
    rss_kib.insert(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    result = {"cases": cases, "summary": summary, "procs": a.procs, "wall_s": time.perf_counter() - t0,
              "peak_rss_kib_per_process": rss_kib, "versions": M.versions()}
    if a.out:
        a.out.write_text(json.dumps(result, indent=1) + "\n")
    for name, s in summary.items():
        print(f"{name}: dice {s['dice']['mean']:.6f} hd95 {s['hd95']['mean']:.4f} n {s['dice']['n']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
