#!/usr/bin/env python3
"""Seeded synthetic readers' reads of the reference studies (numpy only).

Everything here is synthetic: three fictional radiologists "read" each study of the
reference set, their reads drawn from the study's labels with a fixed seed; no real
reader or read is used. The output is deterministic for the seed and numpy's
generator (numpy.random.default_rng, PCG64).

    python tools/readers.py            # writes data/readers.csv from data/reference/labels.csv

tools/generate.py calls `write` after it writes the labels, so a full regeneration
writes this file too. The CSV is the readers' file of `compare with readers` (see
docs/labels.md in the clic repository):

    reader,StudyInstanceUID,pneumothorax,effusion,cardiomegaly
    R1,1.2.826...,negative,positive,0.80

Pneumothorax and effusion are read as calls (positive or negative), cardiomegaly as a
score in 0..1 (the reader's confidence on a 0-100 scale in steps of 5). R1 and R2 read
every study; R3 reads about two thirds of them (an empty cell is "not read").

Each reader calls a finding positive with probability `sensitivity` when the study has
it and `1 - specificity` when it does not; a cardiomegaly score is the logistic of
`separation * (2 * label - 1) / 2` plus normal noise of unit variance, so that its
ROC AUC is about Phi(separation / sqrt(2)).

The readers of this example are general radiologists reading at the speed of a triage
list (a little less sensitive than the model at its operating points, about as
specific); `python tools/readers.py --experts` writes the expert panel of the failing
variant examples/failing/worse-than-readers instead (near-perfect calls), against which
the model is worse.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

SEED = 20261115
FINDINGS = ("pneumothorax", "effusion", "cardiomegaly")
HERE = Path(__file__).resolve().parent.parent  # examples/cxr-findings

# Per reader: the share of studies read, and per finding (sensitivity, specificity) for
# calls or ("score", separation) for scores.
GENERAL = {
    "R1": (1.0, {"pneumothorax": (0.80, 0.93), "effusion": (0.84, 0.90), "cardiomegaly": ("score", 1.9)}),
    "R2": (1.0, {"pneumothorax": (0.74, 0.95), "effusion": (0.80, 0.92), "cardiomegaly": ("score", 1.6)}),
    "R3": (0.66, {"pneumothorax": (0.78, 0.91), "effusion": (0.86, 0.88), "cardiomegaly": ("score", 1.8)}),
}
EXPERTS = {
    "E1": (1.0, {"pneumothorax": (1.0, 1.0), "effusion": (1.0, 1.0), "cardiomegaly": ("score", 6.0)}),
    "E2": (1.0, {"pneumothorax": (1.0, 1.0), "effusion": (0.98, 1.0), "cardiomegaly": ("score", 6.0)}),
}


def read_labels(path: Path) -> list[dict]:
    """The labels CSV's rows: StudyInstanceUID and 0/1 per finding, in file order."""
    with open(path, newline="") as f:
        return [
            {"study_uid": r["StudyInstanceUID"], **{k: int(r[k]) for k in FINDINGS}}
            for r in csv.DictReader(f)
        ]


def reads(rows: list[dict], panel: dict, seed: list[int]) -> str:
    """The readers' CSV text for the studies `rows` (each with study_uid and labels)."""
    rng = np.random.default_rng(seed)
    lines = ["reader,StudyInstanceUID," + ",".join(FINDINGS)]
    for name, (share, spec) in panel.items():
        # Draws in a fixed order: whether the reader reads the study, then each finding.
        for r in rows:
            read = rng.random() < share
            cells = []
            for k in FINDINGS:
                y = r[k]
                mode = spec[k]
                if mode[0] == "score":
                    z = mode[1] * (2 * y - 1) / 2 + rng.standard_normal()
                    value = f"{round(20 / (1 + np.exp(-z))) / 20:.2f}"
                else:
                    sens, specificity = mode
                    p = sens if y else 1 - specificity
                    value = "positive" if rng.random() < p else "negative"
                cells.append(value if read else "")
            if read:
                lines.append(f"{name},{r['study_uid']}," + ",".join(cells))
    return "\n".join(lines) + "\n"


def write(data: Path, rows: list[dict], experts: bool = False) -> Path:
    """Writes data/readers.csv for the reference studies `rows`."""
    panel, seed = (EXPERTS, [SEED, 12]) if experts else (GENERAL, [SEED, 11])
    out = data / "readers.csv"
    out.write_bytes(reads(rows, panel, seed).encode())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(HERE / "data"), help="the data directory (reference/labels.csv in it)")
    ap.add_argument("--experts", action="store_true", help="the expert panel of the failing variant")
    args = ap.parse_args()
    data = Path(args.data)
    rows = read_labels(data / "reference" / "labels.csv")
    out = write(data, rows, args.experts)
    text = out.read_text().splitlines()[1:]
    by_reader: dict[str, int] = {}
    for line in text:
        by_reader[line.split(",", 1)[0]] = by_reader.get(line.split(",", 1)[0], 0) + 1
    print(f"{out}: " + ", ".join(f"{r} reads {n} of {len(rows)} studies" for r, n in by_reader.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
