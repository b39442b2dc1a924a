#!/usr/bin/env python3
"""Whether clic and the Python pipeline agree on a segmentation workload.

    python3 benches/segmentation/compare.py CLIC.json PYTHON.json [--tol 1e-4]

CLIC.json is `clic bench --format json`; PYTHON.json is python_pipeline.py --out. Prints,
per structure, the mean of each metric from both and their difference, and the largest
difference between the sorted per-case Dice values (clic's cases carry a pseudonymised
series, so cases are compared as distributions). Exits 1 when a structure's mean Dice
differs by more than --tol, or the numbers of cases differ.
"""

from __future__ import annotations

import argparse
import json
import sys

METRICS = (("dice", "dice"), ("iou", "iou"), ("nsd", "nsd_2mm"), ("hd95", "hd95"), ("assd", "assd"),
           ("rvd", "rvd"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("clic")
    ap.add_argument("python")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    seg = json.load(open(a.clic))["segmentation"]
    py = json.load(open(a.python))
    ok = True
    if len(seg["cases"]) != len(py["cases"]):
        print(f"cases: clic {len(seg['cases'])}, python {len(py['cases'])}: DIFFERENT")
        ok = False
    for i, s in enumerate(seg["summaries"]):
        name = s["name"]
        ps = py["summary"][name]
        parts = []
        for cm, pm in METRICS:
            c, p = s["summary"][cm]["mean"], ps[pm]["mean"]
            parts.append(f"{cm} {c:.6f}/{p:.6f} ({c - p:+.1e})")
        cd = sorted(c["metrics"][i]["dice"] for c in seg["cases"] if c["metrics"][i].get("dice") is not None)
        pd = sorted(c[name]["dice"] for c in py["cases"] if "dice" in c[name])
        case_diff = max(abs(x - y) for x, y in zip(cd, pd)) if len(cd) == len(pd) and cd else float("nan")
        d = abs(s["summary"]["dice"]["mean"] - ps["dice"]["mean"])
        verdict = "AGREE" if d <= a.tol else "DIFFER"
        ok &= d <= a.tol
        vb_c, vb_p = s["volume"]["bias"], ps["volume"]["bias"]
        print(f"{name}: mean dice clic {s['summary']['dice']['mean']:.6f} python {ps['dice']['mean']:.6f} "
              f"|diff| {d:.1e} <= {a.tol:g}: {verdict}; per-case dice max |diff| {case_diff:.1e}; "
              f"volume bias {vb_c:.3f}/{vb_p:.3f} mL")
        print("    means clic/python: " + ", ".join(parts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
