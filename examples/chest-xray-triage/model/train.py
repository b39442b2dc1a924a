#!/usr/bin/env python3
"""Train the example CNN on the synthetic training set and export model/cxr.onnx.

Run from examples/chest-xray-triage/ after `python tools/generate.py`:

    python model/train.py

Pure numpy (hand-written forward/backward in model/cnn.py), Adam, binary
cross-entropy, fixed seed.  10 % of the training *patients* are held out for
validation (no patient is in both parts).  After training it exports the ONNX
model, scores the reference set with onnxruntime (tools/evaluate.py) and writes
model/TRAINING.md and model/reference-scores.csv.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(HERE))

import cnn  # noqa: E402
from preprocess import preprocess_file  # noqa: E402

SEED = 1729
MODEL_VERSION = "1.4.0"
METADATA = {
    "clic.model": "cxr-pneumothorax",
    "version": MODEL_VERSION,
    "clic.example": "chest-xray-triage",
    "clic.training-data": "synthetic (tools/generate.py, seed 20240611)",
    "clic.preprocessing": "PREPROCESSING.md v1",
    "clic.decision-threshold": "0.5",
}


def load_training(data: Path):
    """Preprocessed training tensors, cached in data/training/cache.npz (git-ignored)."""
    labels_csv = data / "training" / "labels.csv"
    rows = list(csv.DictReader(open(labels_csv)))
    cache = data / "training" / "cache.npz"
    key = hashlib.sha256(labels_csv.read_bytes() + Path(ROOT / "tools" / "preprocess.py").read_bytes()).hexdigest()
    if cache.exists():
        z = np.load(cache)
        if str(z["key"]) == key:
            return z["x"], z["y"], z["patient"]
    t = time.time()
    x = np.stack([preprocess_file(data / "training" / r["file"]) for r in rows]).astype(np.float32)
    y = np.array([int(r["label"]) for r in rows], np.float32)
    pat = np.array([r["patient"] for r in rows])
    np.savez(cache, x=x, y=y, patient=pat, key=key)
    print(f"preprocessed {len(rows)} training images in {time.time() - t:.1f}s")
    return x, y, pat


def auc(y, s):
    """ROC AUC via the Mann-Whitney U statistic (ties count 1/2)."""
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, np.float64)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum()
    eq = (pos[:, None] == neg[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(pos) * len(neg)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--data", default=str(ROOT / "data"))
    ap.add_argument("--no-report", action="store_true", help="skip reference evaluation / TRAINING.md")
    args = ap.parse_args()
    data = Path(args.data)

    x, y, pat = load_training(data)
    rng = np.random.default_rng(SEED)
    patients = np.unique(pat)
    val_pat = set(rng.choice(patients, size=len(patients) // 10, replace=False).tolist())
    is_val = np.array([p in val_pat for p in pat])
    xtr, ytr, xva, yva = x[~is_val], y[~is_val], x[is_val], y[is_val]
    print(f"train {len(xtr)} images ({int(ytr.sum())} pos), validation {len(xva)} images "
          f"({int(yva.sum())} pos), {len(val_pat)} held-out patients")

    p = cnn.init_params(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    step = 0
    t0 = time.time()
    for epoch in range(1, args.epochs + 1):
        lr = args.lr * 0.5 * (1 + np.cos(np.pi * (epoch - 1) / args.epochs))  # cosine decay
        order = rng.permutation(len(xtr))
        tot = 0.0
        for s in range(0, len(order), args.batch):
            idx = order[s:s + args.batch]
            xb, yb = xtr[idx], ytr[idx][:, None]
            if rng.random() < 0.5:  # left-right flip augmentation
                xb = xb[:, :, :, ::-1]
            z, cache = cnn.forward(p, xb, keep=True)
            tot += float(np.sum(np.logaddexp(0, z) - yb * z))
            dz = ((cnn.sigmoid(z) - yb) / len(idx)).astype(np.float32)
            g = cnn.backward(p, cache, dz)
            step += 1
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v2[k] = b2 * v2[k] + (1 - b2) * g[k] ** 2
                mh = m[k] / (1 - b1**step)
                vh = v2[k] / (1 - b2**step)
                p[k] = (p[k] - lr * mh / (np.sqrt(vh) + eps)).astype(np.float32)
        sv = cnn.predict(p, xva)
        print(f"epoch {epoch:2d} lr {lr:.5f} loss {tot / len(xtr):.4f} val AUC {auc(yva, sv):.4f} "
              f"({time.time() - t0:.0f}s)", flush=True)
    train_seconds = time.time() - t0
    val_auc = auc(yva, cnn.predict(p, xva))

    model = cnn.to_onnx(p, METADATA, MODEL_VERSION)
    out = HERE / "cxr.onnx"
    out.write_bytes(model.SerializeToString())
    print(f"wrote {out} ({out.stat().st_size} bytes), validation AUC {val_auc:.4f}")

    if args.no_report:
        return 0
    import evaluate  # tools/evaluate.py

    res = evaluate.run(out, data / "reference", HERE / "reference-scores.csv")
    # cross-check: numpy forward agrees with onnxruntime
    xr = np.stack([preprocess_file(data / "reference" / f) for f in res["files"]])
    diff = float(np.max(np.abs(cnn.predict(p, xr) - res["scores"])))
    print(f"max |numpy - onnxruntime| on reference = {diff:.2e}")
    write_report(args, len(xtr), int(ytr.sum()), len(xva), int(yva.sum()), val_auc, res, train_seconds, out)
    return 0


def write_report(args, ntr, ptr, nva, pva, val_auc, res, secs, onnx_path):
    sha = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    text = f"""# Training record: cxr-pneumothorax {MODEL_VERSION} (synthetic example)

This file is written by `model/train.py`; do not edit by hand.

## Reproduce

From `examples/chest-xray-triage/`:

```sh
python -m pip install -r requirements.txt
python tools/generate.py          # data/reference/ (committed) and data/training/ (git-ignored)
python model/train.py             # trains, writes model/cxr.onnx, TRAINING.md, reference-scores.csv
python tools/evaluate.py          # re-scores the reference set with onnxruntime only
```

Training is deterministic for a given machine and the pinned package versions
(seeded numpy, single process); a different BLAS or CPU can change the last bits
of the weights and so the scores slightly.

## Setup

- Data: synthetic radiographs from `tools/generate.py` (seed 20240611). Training
  set: {ntr} images ({ptr} positive) for fitting and {nva} images ({pva} positive)
  held out for validation, split by patient (seed {SEED}). The reference set shares
  no patient with the training set.
- Preprocessing: `tools/preprocess.py` (described in `model/PREPROCESSING.md`).
- Model: `model/cnn.py`, 3 conv layers (8/16/16 channels) + global max pool +
  dense + sigmoid, {sum(int(np.prod(t.dims)) for t in __import__('onnx').load(str(onnx_path)).graph.initializer)} parameters.
- Optimiser: Adam, learning rate {args.lr} with cosine decay, batch {args.batch},
  {args.epochs} epochs, binary cross-entropy, random left-right flips.
- Training time: {secs:.0f} s wall clock (numpy, 2-core machine shared with a Rust build).
- Output: `model/cxr.onnx`, opset 17, IR version 8, input `image` [N,1,64,64]
  float32, output `prob` [N,1] float32; sha256 `{sha}`.

## Results

| set | images | positives | ROC AUC | sensitivity @0.5 | specificity @0.5 |
|---|---|---|---|---|---|
| validation (held-out training patients) | {nva} | {pva} | {val_auc:.4f} | | |
| reference (`data/reference/`) | {res['n']} | {res['n_pos']} | {res['auc']:.4f} | {res['sensitivity']:.4f} ({res['tp']}/{res['n_pos']}) | {res['specificity']:.4f} ({res['tn']}/{res['n'] - res['n_pos']}) |

A case is called positive when `prob >= 0.5`. Per-file scores are in
`model/reference-scores.csv`.

### Reference set by subgroup

| subgroup | images | positives | ROC AUC | sensitivity | specificity |
|---|---|---|---|---|---|
"""
    for name, g in res["subgroups"]:
        text += (f"| {name} | {g['n']} | {g['n_pos']} | {g['auc']:.4f} | {g['sensitivity']:.4f} | "
                 f"{g['specificity']:.4f} |\n")
    (HERE / "TRAINING.md").write_text(text)
    print(f"wrote {HERE / 'TRAINING.md'}")


if __name__ == "__main__":
    sys.exit(main())
