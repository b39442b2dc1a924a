#!/usr/bin/env python3
"""Golden figures of the cxr-findings example, computed independently of clic.

From the per-image logits onnxruntime gave (model/reference-scores*.csv, written by
tools/make_models.py), the labels (data/reference/labels.csv) and the DICOM attributes
read with pydicom, this script builds the per-study evidence the manifest asks for and
writes tests/data/cxr_findings_golden.json, which tests/findings_example.rs compares
with `clic bench --json` (no Python at test time). Run from the repository root:

    python3 examples/cxr-findings/tools/golden.py

What comes from where:
  - units: one per StudyInstanceUID, its images' probabilities sigmoid(logit) (the
    logit read as float32, as the model gives it) aggregated by max; units in the order
    of their first file, patients numbered by first appearance in that order (clic
    numbers them the same way, so its bootstrap draws the same patients);
  - AUC per finding: scikit-learn roc_auc_score; counts at the thresholds by numpy;
  - the patient-clustered bootstrap (2000 resamples, clic's default seed): the Python
    twin of runner/tests/data/paired/make_paired_golden.py (its own generator stream,
    every resample built physically, AUC by scikit-learn per resample);
  - candidate − released (the released version at its own thresholds): the same
    bootstrap paired; DeLong's paired test from the
    O(m*n) kernel (make_paired_golden.delong_paired); McNemar's exact test by
    statsmodels on the positives (sensitivity) and negatives (specificity).
"""
from __future__ import annotations

import csv
import json
import pathlib
import sys

import numpy as np
import pydicom
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar

ROOT = pathlib.Path(__file__).resolve().parents[3]
HERE = ROOT / "examples" / "cxr-findings"
sys.path.insert(0, str(ROOT / "runner" / "tests" / "data" / "paired"))
import make_paired_golden as twin  # noqa: E402

FINDINGS = ["pneumothorax", "effusion", "cardiomegaly"]
THRESHOLDS = {"pneumothorax": 0.2, "effusion": 0.4, "cardiomegaly": 0.3}
# The released 1.0.0's own thresholds (the manifest's `compare ... thresholds`).
RELEASED = {**THRESHOLDS, "pneumothorax": 0.5}
SEED = 0x636C_6963_436C_7573  # clic's metrics::cluster::DEFAULT_SEED
RESAMPLES = 2000


def sigmoid(x: float) -> float:
    x = float(np.float32(x))
    if x >= 0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


def logits(name: str) -> dict[str, list[float]]:
    with open(HERE / "model" / name) as f:
        return {r["file"]: [float(r[k]) for k in FINDINGS] for r in csv.DictReader(f)}


def main() -> None:
    cand, rel = logits("reference-scores.csv"), logits("reference-scores-released.csv")
    ref = HERE / "data" / "reference"
    studies: dict[str, list[str]] = {}
    patient_of: dict[str, str] = {}
    for path in sorted(ref.glob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        studies.setdefault(str(ds.StudyInstanceUID), []).append(path.name)
        patient_of[str(ds.StudyInstanceUID)] = str(ds.PatientID)
    with open(ref / "labels.csv") as f:
        labels = {r["StudyInstanceUID"]: [int(r[k]) for k in FINDINGS] for r in csv.DictReader(f)}
    units = sorted(studies.items(), key=lambda kv: sorted(kv[1]))
    clusters: dict[str, int] = {}
    cluster, y, a, b = [], [], [], []
    for uid, files in units:
        clusters.setdefault(patient_of[uid], len(clusters))
        cluster.append(clusters[patient_of[uid]])
        y.append(labels[uid])
        a.append([max(sigmoid(cand[f][i]) for f in files) for i in range(3)])
        b.append([max(sigmoid(rel[f][i]) for f in files) for i in range(3)])
    cluster, y, a, b = np.array(cluster), np.array(y, bool), np.array(a), np.array(b)
    findings = [
        {"cluster": cluster, "y": y[:, i], "a": a[:, i], "b": b[:, i],
         "ta": THRESHOLDS[n], "ia": True, "tb": RELEASED[n], "ib": True}
        for i, n in enumerate(FINDINGS)
    ]
    boot = twin.clustered_bootstrap(findings, len(clusters), SEED, RESAMPLES)
    # Micro averages: every (study, finding) pair pooled; calls at each finding's
    # threshold for sensitivity and specificity, the pooled probabilities for the AUC.
    thr = np.array([THRESHOLDS[n] for n in FINDINGS])
    calls = (a >= thr).astype(float)
    pooled_cluster = np.repeat(cluster, 3)
    micro_designs = [
        {"cluster": pooled_cluster, "y": y.ravel(), "a": calls.ravel(), "b": calls.ravel(),
         "ta": 0.5, "ia": True, "tb": 0.5, "ib": True},
        {"cluster": pooled_cluster, "y": y.ravel(), "a": a.ravel(), "b": a.ravel(),
         "ta": 0.5, "ia": True, "tb": 0.5, "ib": True},
    ]
    micro = twin.clustered_bootstrap(micro_designs, len(clusters), SEED, RESAMPLES)
    out = []
    for i, n in enumerate(FINDINGS):
        yi, ai, bi = y[:, i], a[:, i], b[:, i]
        ca, cb = ai >= THRESHOLDS[n], bi >= RELEASED[n]
        pos = [[int((ca & cb & yi).sum()), int((ca & ~cb & yi).sum())],
               [int((~ca & cb & yi).sum()), int((~ca & ~cb & yi).sum())]]
        neg_a, neg_b = ~ca, ~cb
        neg = [[int((neg_a & neg_b & ~yi).sum()), int((neg_a & ~neg_b & ~yi).sum())],
               [int((~neg_a & neg_b & ~yi).sum()), int((~neg_a & ~neg_b & ~yi).sum())]]
        try:
            d = twin.delong_paired(yi, ai, bi)
        except ZeroDivisionError:  # identical scores: se = 0, no test
            d = {"delta": float(roc_auc_score(yi, ai) - roc_auc_score(yi, bi)), "p_value": None}
        out.append({
            "name": n,
            "n": int(len(yi)), "positives": int(yi.sum()),
            "tp": int((ca & yi).sum()), "fp": int((ca & ~yi).sum()),
            "tn": int((~ca & ~yi).sum()), "fn": int((~ca & yi).sum()),
            "auc_sklearn": float(roc_auc_score(yi, ai)),
            "clustered": boot["findings"][i]["candidate"],
            "delta": boot["findings"][i]["delta"],
            "delong_paired": {"delta": d["delta"], "p_value": d["p_value"]},
            "mcnemar_sensitivity_p": float(mcnemar(pos, exact=True).pvalue),
            "mcnemar_specificity_p": float(mcnemar(neg, exact=True).pvalue),
        })
    doc = {
        "source": f"{twin.VERSIONS}, pydicom {pydicom.__version__}; "
                  "examples/cxr-findings/tools/golden.py",
        "units": len(units), "patients": len(clusters),
        "resamples": RESAMPLES, "seed": SEED,
        "findings": out,
        "macro": boot["macro_average"]["candidate"],
        "micro": {
            "sensitivity": micro["findings"][0]["candidate"]["sensitivity"],
            "specificity": micro["findings"][0]["candidate"]["specificity"],
            "auc": micro["findings"][1]["candidate"]["auc"],
            "auc_sklearn": float(roc_auc_score(y.ravel(), a.ravel())),
        },
    }
    target = ROOT / "tests" / "data" / "cxr_findings_golden.json"
    target.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
