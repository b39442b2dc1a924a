#!/usr/bin/env python3
"""Check the reference set: every file reads and decodes, is de-identified, and
is consistent with labels.yaml; print transfer syntax / manufacturer / modality
/ sex counts and a sha256 digest of the whole set (for determinism checks).

    python tools/verify.py [data/reference] [--training-patients data/training-patients.txt]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from pathlib import Path

import pydicom

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import read_labels  # noqa: E402

MUST_BE_EMPTY_OR_ABSENT = ["PatientName", "PatientBirthDate", "AccessionNumber", "ReferringPhysicianName",
                           "StudyDate", "StudyTime", "StudyID"]
MUST_BE_ABSENT = ["InstitutionName", "InstitutionAddress", "StationName", "OperatorsName",
                  "PerformingPhysicianName", "OtherPatientIDs", "OtherPatientNames", "PatientAddress",
                  "PatientBirthTime", "PatientComments", "StudyDescription", "SeriesDescription",
                  "ProtocolName", "SeriesDate"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", default=str(ROOT / "data" / "reference"))
    ap.add_argument("--training-patients", default=str(ROOT / "data" / "training-patients.txt"))
    args = ap.parse_args()
    data = Path(args.data)
    labels = read_labels(data / "labels.yaml")
    files = sorted(p.name for p in data.glob("*.dcm"))
    errors = []
    if files != sorted(labels):
        errors.append("labels.yaml keys differ from the .dcm files present")
    counts = {k: Counter() for k in ("syntax", "manufacturer", "modality", "sex", "photometric", "sop class",
                                     "rescale", "window")}
    digest = hashlib.sha256()
    uids = set()
    for f in files:
        digest.update(f.encode() + b"\0" + (data / f).read_bytes())
        ds = pydicom.dcmread(data / f)  # raises if there is no valid preamble / file meta
        arr = ds.pixel_array
        if arr.shape != (ds.Rows, ds.Columns) or arr.max() > 4095:
            errors.append(f"{f}: bad pixel array {arr.shape} max {arr.max()}")
        for kw in MUST_BE_EMPTY_OR_ABSENT:
            if kw in ds and ds.data_element(kw).value not in (None, ""):
                errors.append(f"{f}: {kw} not empty")
        for kw in MUST_BE_ABSENT:
            if kw in ds:
                errors.append(f"{f}: {kw} present")
        if any(el.tag.is_private for el in ds.iterall()):
            errors.append(f"{f}: private elements present")
        if ds.get("PatientIdentityRemoved") != "YES" or ds.get("BurnedInAnnotation") != "NO":
            errors.append(f"{f}: PatientIdentityRemoved/BurnedInAnnotation")
        codes = {i.CodeValue for i in ds.get("DeidentificationMethodCodeSequence", [])}
        if "113100" not in codes or not ds.get("DeidentificationMethod"):
            errors.append(f"{f}: de-identification method missing")
        if ds.PatientID != labels.get(f, {}).get("patient"):
            errors.append(f"{f}: PatientID {ds.PatientID} differs from labels.yaml")
        for uid in (ds.SOPInstanceUID, ds.SeriesInstanceUID):
            if uid in uids:
                errors.append(f"{f}: duplicate UID {uid}")
            uids.add(uid)
        counts["syntax"][ds.file_meta.TransferSyntaxUID.name] += 1
        counts["manufacturer"][f"{ds.Manufacturer} / {ds.ManufacturerModelName}"] += 1
        counts["modality"][ds.Modality] += 1
        counts["sex"][ds.PatientSex] += 1
        counts["photometric"][ds.PhotometricInterpretation] += 1
        counts["sop class"][ds.SOPClassUID.name] += 1
        counts["rescale"]["non-identity" if (float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0)))
                          != (1.0, 0.0) else "identity/absent"] += 1
        counts["window"]["present" if "WindowCenter" in ds else "absent"] += 1
    ref_patients = {v["patient"] for v in labels.values()}
    tp = Path(args.training_patients)
    if tp.exists():
        overlap = ref_patients & set(tp.read_text().split())
        if overlap:
            errors.append(f"patients in both training and reference: {sorted(overlap)[:5]}")
    n_pos = sum(v["label"] for v in labels.values())
    per_patient = Counter(v["patient"] for v in labels.values())
    print(f"{len(files)} files, {n_pos} positive ({n_pos / max(1, len(files)):.1%}), {len(ref_patients)} patients, "
          f"{sum(1 for c in per_patient.values() if c > 1)} with 2 studies")
    for k, c in counts.items():
        print(f"{k}:")
        for v, n in sorted(c.items(), key=lambda kv: -kv[1]):
            print(f"  {n:4d}  {v}")
    print(f"set sha256: {digest.hexdigest()}")
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
