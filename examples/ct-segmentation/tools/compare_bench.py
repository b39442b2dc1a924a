#!/usr/bin/env python3
"""Compares clic's per-case segmentation metrics with the independent reference.

    clic bench --format json examples/ct-segmentation > /tmp/bench.json
    python3 examples/ct-segmentation/tools/compare_bench.py /tmp/bench.json

Matches each case of the benchmark's `segmentation.cases` (whose series and patient are
hashed) to `model/reference-metrics.json` by its size and the liver's reference voxel
count, and prints the largest absolute difference of every metric per structure. Exit
code 1 when a case does not match or a difference exceeds its tolerance (the voxel
counts and volumes exactly, Dice/IoU/NSD 1e-6, HD95/ASSD 1e-3 mm: MONAI computes in
float32).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
PAIRS = [("dice", "dice", 1e-6), ("iou", "iou", 1e-6), ("nsd_2mm", "nsd", 1e-6), ("hd95", "hd95", 1e-3),
         ("assd", "assd", 1e-3), ("rvd", "rvd", 1e-9), ("volume_pred_ml", "predicted_ml", 1e-6),
         ("volume_ref_ml", "reference_ml", 1e-6)]
STRUCTURES = ("liver", "spleen")


def main(argv: list[str]) -> int:
    bench = json.loads(Path(argv[0]).read_text())["segmentation"]["cases"]
    ref = json.loads((HERE / "model" / "reference-metrics.json").read_text())["reference"]["cases"]
    worst: dict[tuple[str, str], float] = {}
    bad = 0
    for c in ref:
        g = c["geometry"]
        vv = g["spacing"][0] * g["spacing"][1] * g["spacing"][2] / 1000.0
        voxels = round(c["liver"]["volume_ref_ml"] / vv)
        m = [b for b in bench if list(b["size"]) == g["size"] and b["metrics"][0]["reference_voxels"] == voxels]
        if len(m) != 1:
            print(f"{c['folder']}: {len(m)} matching cases in the benchmark")
            bad += 1
            continue
        for i, s in enumerate(STRUCTURES):
            got = m[0]["metrics"][i]
            for mine, theirs, tol in PAIRS:
                d = abs(c[s][mine] - got[theirs])
                worst[(s, mine)] = max(worst.get((s, mine), 0.0), d)
                if d > tol:
                    print(f"{c['folder']} {s} {mine}: reference {c[s][mine]} clic {got[theirs]}")
                    bad += 1
    for (s, metric), d in sorted(worst.items()):
        print(f"{s:7} {metric:15} largest difference {d:.2e}")
    print(f"{len(ref)} cases, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
