#!/usr/bin/env python3
"""Builds the data of the failing examples from the passing one (deterministic).

Run from the repository root, with the pinned versions of
examples/chest-xray-triage/requirements.txt (pydicom, onnx, numpy):

    python3 examples/failing/tools/build.py

Each example under examples/failing/<name>/ gets:

- data/reference/: the first 36 scans of the passing example's reference set
  (11 positive, 25 negative; every manufacturer and transfer syntax) and a
  labels.yaml restricted to them;
- data/training-patients.txt: the passing example's training list;
- model/cxr.onnx: the passing example's model, byte for byte.

Then it breaks two of them on purpose:

- identifying-scan: cxr-0007.dcm gets PatientName and PatientBirthDate back
  (fictional values; the pixel data is unchanged, so the benchmark is too);
- hash-mismatch: model/cxr.onnx is the passing model with one weight of its
  first convolution nudged by 1e-3 (it still loads and scores almost the same,
  but its sha256 no longer matches the digest pinned in the manifest).

The manifests (model.clic) and READMEs are written by hand, not by this script.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pydicom
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "examples" / "chest-xray-triage"
FAILING = ROOT / "examples" / "failing"
EXAMPLES = [
    "identifying-scan",
    "hash-mismatch",
    "claim-not-met",
    "expired-waiver",
    "missing-document",
    "syntax-error",
]
SUBSET = 36  # the first 36 reference scans, in file-name order
IDENTIFYING_SCAN = "cxr-0007.dcm"


def subset_labels() -> tuple[list[str], str]:
    """The names of the subset's files and its labels.yaml text."""
    text = (SOURCE / "data" / "reference" / "labels.yaml").read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    entries = [line for line in text.splitlines() if line.startswith("cxr-")]
    entries = sorted(entries)[:SUBSET]
    names = [line.split(":", 1)[0] for line in entries]
    header = [
        "# Reference labels of a failing clic example: the first 36 entries of",
        "# examples/chest-xray-triage/data/reference/labels.yaml, whose header follows.",
        "# Written by examples/failing/tools/build.py; do not edit.",
        "#",
        *header,
    ]
    return names, "\n".join(header + entries) + "\n"


def copy_common(example: Path, names: list[str], labels: str) -> None:
    ref = example / "data" / "reference"
    if ref.exists():
        shutil.rmtree(ref)
    ref.mkdir(parents=True)
    for name in names:
        shutil.copyfile(SOURCE / "data" / "reference" / name, ref / name)
    (ref / "labels.yaml").write_text(labels)
    shutil.copyfile(
        SOURCE / "data" / "training-patients.txt",
        example / "data" / "training-patients.txt",
    )
    (example / "model").mkdir(exist_ok=True)
    shutil.copyfile(SOURCE / "model" / "cxr.onnx", example / "model" / "cxr.onnx")


def restore_identity(path: Path) -> None:
    """Puts a (fictional) patient name and birth date back into a scan."""
    ds = pydicom.dcmread(path)
    ds.PatientName = "DOE^JANE"
    ds.PatientBirthDate = "19580412"
    ds.save_as(path)


def perturb_model(path: Path) -> None:
    """Nudges one weight of the first float initializer by 1e-3."""
    model = onnx.load(str(path))
    for init in model.graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT:
            weights = numpy_helper.to_array(init).copy()
            weights.flat[0] += np.float32(1e-3)
            init.CopyFrom(numpy_helper.from_array(weights, init.name))
            break
    onnx.save(model, str(path))


def main() -> None:
    names, labels = subset_labels()
    for name in EXAMPLES:
        copy_common(FAILING / name, names, labels)
    restore_identity(FAILING / "identifying-scan" / "data" / "reference" / IDENTIFYING_SCAN)
    perturb_model(FAILING / "hash-mismatch" / "model" / "cxr.onnx")
    for name in EXAMPLES:
        files = [f for f in (FAILING / name).rglob("*") if f.is_file() and ".clic" not in f.parts]
        size = sum(f.stat().st_size for f in files)
        print(f"{name}: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
