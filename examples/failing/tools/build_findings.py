#!/usr/bin/env python3
"""Builds the data of the failing examples of the multi-finding example (deterministic).

Run from the repository root, with the pinned versions of
examples/cxr-findings/requirements.txt (pydicom, onnx, onnxruntime, numpy):

    python3 examples/failing/tools/build_findings.py

Each example under examples/failing/<name>/ gets, from examples/cxr-findings/:

- data/reference/: the studies of the first 14 reference patients (REF-0001 to
  REF-0014): 24 studies, 48 images, with 10 pneumothorax, 9 effusion and 11
  cardiomegaly positives, each file re-encoded as JPEG 2000 lossless (the same
  attributes and UIDs, pixel data identical, checked here), so that an example stays
  under the 1 MB tests/failing_examples.rs allows; a labels.csv restricted to them,
  rows in the same order;
- data/training-patients.txt: the passing example's training list;
- docs/: the passing example's documents, byte for byte;
- model/released.onnx: the released 1.0.0, byte for byte;
- model/cxr-findings.onnx: for finding-below-claim and worse-than-readers the passing
  example's 2.0.0, byte for byte; for worse-than-released a degraded 2.0.0 whose effusion feature also
  reads the cardiac silhouette (the shortcut a model can learn because effusion is more
  frequent with cardiomegaly): its effusion AUC falls below the released one's by more
  than the non-inferiority margin, while every absolute claim is still met.

- data/readers.csv (worse-than-readers only): an expert panel's reads of the 24
  studies (examples/cxr-findings/tools/readers.py --experts), near-perfect calls and
  cardiomegaly scores that separate the studies perfectly: the model's cardiomegaly AUC
  falls short of theirs by more than the 0.05 margin to the readers.

Then it scores each example with onnxruntime, prints its per-study metrics and checks
its manifest's claims (the same lower bounds as tools/make_models.py prints), so that
one can see that exactly the intended claim fails.  The manifests (model.clic) and
READMEs are written by hand, not by this script.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import sys
from pathlib import Path

import onnx
import pydicom
from pydicom.uid import JPEG2000Lossless

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "examples" / "cxr-findings"
FAILING = ROOT / "examples" / "failing"
sys.path.insert(0, str(SOURCE / "tools"))
import make_models as MM  # noqa: E402

EXAMPLES = ["finding-below-claim", "worse-than-released", "worse-than-readers"]
PATIENTS = 14  # REF-0001 .. REF-0014

# Each example's claims, as its model.clic states them (checked after the build).
VARIANT_CLAIMS = {
    "pneumothorax": {"sensitivity": 0.60, "specificity": 0.55, "auc": 0.80},
    "effusion": {"sensitivity": 0.60, "auc": 0.70},
    "cardiomegaly": {"sensitivity": 0.60, "auc": 0.70},
    "macro auc": 0.80,
    "non-inferior": {"auc": 0.05, "sensitivity": 0.10},
}
CLAIMS = {
    "finding-below-claim": {**VARIANT_CLAIMS, "effusion": {"sensitivity": 0.60, "auc": 0.98}},
    "worse-than-released": VARIANT_CLAIMS,
    "worse-than-readers": VARIANT_CLAIMS,
}
EXPECTED_FAILURES = {
    "finding-below-claim": ["effusion auc"],
    "worse-than-released": ["non-inferior effusion auc"],
    # Every claim checked here holds: what fails is the margin to the readers, which clic
    # checks (tests/failing_examples.rs).
    "worse-than-readers": [],
}

# The degraded effusion feature: lung base minus mid-lung at 0.2 of its weight, plus the
# mean of both heart-border bands minus the mean mid-lung (the cardiomegaly feature).
DEGRADED_EFFUSION = [
    {"base0": 0.2, "mid0": -0.7, "heart0": 0.5, "heart1": 0.5, "mid1": -0.5},
    {"base1": 0.2, "mid1": -0.7, "heart0": 0.5, "heart1": 0.5, "mid0": -0.5},
]
DEGRADED_DOC = ("cxr-findings 2.0.0 candidate (degraded, a failing clic example): its effusion feature "
                "also reads the cardiac silhouette. Logits per finding.")


def subset() -> tuple[list[str], str]:
    """The subset's file names and its labels.csv text."""
    ref = SOURCE / "data" / "reference"
    studies, files = set(), []
    for path in sorted(ref.glob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        if int(str(ds.PatientID).split("-")[1]) <= PATIENTS:
            files.append(path.name)
            studies.add(str(ds.StudyInstanceUID))
    lines = (ref / "labels.csv").read_text().splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",", 1)[0] in studies]
    return files, "\n".join(kept) + "\n"


def copy_as_jpeg2000(src: Path, dst: Path) -> None:
    """Writes src to dst with its pixel data JPEG 2000 lossless (a copy if it already is)."""
    ds = pydicom.dcmread(src)
    if ds.file_meta.TransferSyntaxUID == JPEG2000Lossless:
        shutil.copyfile(src, dst)
        return
    pixels = ds.pixel_array.copy()
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        ds.decompress(generate_instance_uid=False)
    ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    ds.save_as(dst, enforce_file_format=True)
    if not (pydicom.dcmread(dst).pixel_array == pixels).all():
        raise SystemExit(f"{dst}: pixel data changed by the re-encoding")


def degraded_model() -> onnx.ModelProto:
    forms = dict(MM.feature_forms("2.0.0"))
    forms["effusion"] = DEGRADED_EFFUSION
    return MM.build_model("2.0.0", MM.CALIBRATION["2.0.0"], DEGRADED_DOC, forms=forms)


def build(name: str, files: list[str], labels: str) -> None:
    example = FAILING / name
    for sub in ("data", "docs", "model"):
        if (example / sub).exists():
            shutil.rmtree(example / sub)
    ref = example / "data" / "reference"
    ref.mkdir(parents=True)
    for f in files:
        copy_as_jpeg2000(SOURCE / "data" / "reference" / f, ref / f)
    (ref / "labels.csv").write_text(labels)
    shutil.copyfile(SOURCE / "data" / "training-patients.txt", example / "data" / "training-patients.txt")
    shutil.copytree(SOURCE / "docs", example / "docs")
    (example / "model").mkdir()
    shutil.copyfile(SOURCE / "model" / "released.onnx", example / "model" / "released.onnx")
    if name == "worse-than-released":
        onnx.save(degraded_model(), str(example / "model" / "cxr-findings.onnx"))
    else:
        shutil.copyfile(SOURCE / "model" / "cxr-findings.onnx", example / "model" / "cxr-findings.onnx")
    if name == "worse-than-readers":
        # An expert panel (tools/readers.py --experts) reads the subset's studies.
        import readers

        readers.write(example / "data", readers.read_labels(ref / "labels.csv"), experts=True)


def evaluate(name: str) -> list[str]:
    example = FAILING / name
    data = example / "data" / "reference"
    labels = MM.read_labels(data / "labels.csv")
    files, x, info = MM.load_reference(data)
    studies = {}
    for version, file in (("1.0.0", "released.onnx"), ("2.0.0", "cxr-findings.onnx")):
        logits = MM.run_onnx(example / "model" / file, x)
        studies[version] = MM.per_study(info, logits, labels)
    Y, S_old, patients = studies["1.0.0"]
    _, S_new, _ = studies["2.0.0"]
    print(f"\n=== {name}")
    for file in ("cxr-findings.onnx", "released.onnx"):
        digest = hashlib.sha256((example / "model" / file).read_bytes()).hexdigest()
        print(f"model/{file}: sha256 {digest}")
    MM.report("released 1.0.0", Y, S_old, patients)
    res = MM.report("2.0.0 (this example's model/cxr-findings.onnx)", Y, S_new, patients)
    cmp = MM.compare(Y, S_new, S_old, patients)
    failed = MM.check_claims(CLAIMS[name], res, cmp)
    size = sum(f.stat().st_size for f in example.rglob("*") if f.is_file() and ".clic" not in f.parts)
    print(f"{name}: {size / 1024:.0f} KiB; failing claims {failed} (expected {EXPECTED_FAILURES[name]})")
    return failed


def main() -> int:
    files, labels = subset()
    rows = list(csv.DictReader(labels.splitlines()))
    print(f"subset: {len(files)} images, {len(rows)} studies of {PATIENTS} patients; positives "
          + ", ".join(f"{k} {sum(int(r[k]) for r in rows)}" for k in MM.FINDINGS))
    bad = 0
    for name in EXAMPLES:
        build(name, files, labels)
        if evaluate(name) != EXPECTED_FAILURES[name]:
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
