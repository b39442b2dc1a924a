#!/usr/bin/env python3
"""Score the reference set with the ONNX model (onnxruntime, CPU) and report metrics.

Run from examples/chest-xray-triage/:

    python tools/evaluate.py [--model model/cxr.onnx] [--data data/reference] [--out model/reference-scores.csv]

Writes a CSV with a header `file,label,score`: one row per file in labels.yaml
order (sorted by file name), `score` being the model output `prob` formatted
with 9 significant digits (enough to round-trip float32).  Prints ROC AUC and
sensitivity/specificity at threshold 0.5 (positive when score >= 0.5).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pydicom

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from preprocess import preprocess_dataset  # noqa: E402

THRESHOLD = 0.5


def read_labels(path: Path) -> dict[str, dict]:
    """Parse labels.yaml (the flow-mapping-per-line format written by generate.py)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, rest = line.partition(":")
        rest = rest.strip()
        assert rest.startswith("{") and rest.endswith("}"), line
        fields = dict(kv.strip().split(":", 1) for kv in rest[1:-1].split(","))
        out[key.strip()] = {"label": int(fields["label"].strip()), "patient": fields["patient"].strip()}
    return out


def auc(y, s):
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, np.float64)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum()
    eq = (pos[:, None] == neg[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(pos) * len(neg)))


def metrics(y, s):
    y = np.asarray(y).astype(int)
    pred = (np.asarray(s) >= THRESHOLD).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    n_pos = int(y.sum())
    n = len(y)
    return {
        "n": n, "n_pos": n_pos, "tp": tp, "tn": tn, "auc": auc(y, s),
        "sensitivity": tp / n_pos if n_pos else float("nan"),
        "specificity": tn / (n - n_pos) if n - n_pos else float("nan"),
    }


def run(model: Path, data: Path, out_csv: Path | None) -> dict:
    import onnxruntime as ort

    labels = read_labels(data / "labels.yaml")
    files = sorted(labels)
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    xs, info = [], []
    for f in files:
        ds = pydicom.dcmread(data / f)
        xs.append(preprocess_dataset(ds))
        info.append({
            "manufacturer": str(ds.Manufacturer), "modality": str(ds.Modality), "sex": str(ds.PatientSex),
            "syntax": ds.file_meta.TransferSyntaxUID.name, "photometric": str(ds.PhotometricInterpretation),
        })
    x = np.stack(xs).astype(np.float32)
    scores = np.concatenate([sess.run(["prob"], {"image": x[s:s + 64]})[0][:, 0] for s in range(0, len(x), 64)])
    y = np.array([labels[f]["label"] for f in files])
    if out_csv is not None:
        with open(out_csv, "w", newline="\n") as fh:
            fh.write("file,label,score\n")
            for f, lab, sc in zip(files, y, scores):
                fh.write(f"{f},{lab},{float(sc):.9g}\n")
    res = metrics(y, scores)
    res["files"], res["scores"] = files, scores
    subgroups = []
    for key in ("manufacturer", "modality", "sex", "photometric", "syntax"):
        for val in sorted(Counter(i[key] for i in info)):
            sel = np.array([i[key] == val for i in info])
            subgroups.append((f"{key} = {val}", metrics(y[sel], scores[sel])))
    res["subgroups"] = subgroups
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "model" / "cxr.onnx"))
    ap.add_argument("--data", default=str(ROOT / "data" / "reference"))
    ap.add_argument("--out", default=str(ROOT / "model" / "reference-scores.csv"))
    args = ap.parse_args()
    res = run(Path(args.model), Path(args.data), Path(args.out))
    print(f"reference: {res['n']} images, {res['n_pos']} positive")
    print(f"ROC AUC      {res['auc']:.4f}")
    print(f"sensitivity  {res['sensitivity']:.4f}  ({res['tp']}/{res['n_pos']}) at score >= {THRESHOLD}")
    print(f"specificity  {res['specificity']:.4f}  ({res['tn']}/{res['n'] - res['n_pos']})")
    for name, g in res["subgroups"]:
        print(f"  {name:55s} n={g['n']:3d} pos={g['n_pos']:3d} AUC={g['auc']:.3f} "
              f"sens={g['sensitivity']:.3f} spec={g['specificity']:.3f}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
