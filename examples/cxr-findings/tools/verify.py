#!/usr/bin/env python3
"""Check a reference set of the cxr-findings example: every file reads and decodes,
is de-identified, each study has one frontal and one lateral image, labels.csv has
one row per study and a 0/1 (or empty) cell per finding, and no reference patient
is a training patient; print the counts and a sha256 digest of the whole set (for
the determinism check).

    python tools/verify.py [data/reference] [--training-patients data/training-patients.txt]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections import Counter
from pathlib import Path

import pydicom

ROOT = Path(__file__).resolve().parent.parent
FINDINGS = ("pneumothorax", "effusion", "cardiomegaly")
FRONTAL, LATERAL = ("PA", "AP"), ("LL", "LATERAL")

MUST_BE_EMPTY_OR_ABSENT = ["PatientName", "PatientBirthDate", "AccessionNumber", "ReferringPhysicianName",
                           "StudyDate", "StudyTime", "StudyID"]
MUST_BE_ABSENT = ["InstitutionName", "InstitutionAddress", "StationName", "OperatorsName",
                  "PerformingPhysicianName", "OtherPatientIDs", "OtherPatientNames", "PatientAddress",
                  "PatientBirthTime", "PatientComments", "StudyDescription", "SeriesDescription",
                  "ProtocolName", "SeriesDate"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", default=str(ROOT / "data" / "reference"))
    ap.add_argument("--training-patients", default=None)
    args = ap.parse_args()
    data = Path(args.data)
    tp = Path(args.training_patients) if args.training_patients else data.parent / "training-patients.txt"
    errors = []
    with open(data / "labels.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    if header != ["StudyInstanceUID", *FINDINGS]:
        errors.append(f"labels.csv header is {header}")
    labels = {}
    for r in rows:
        if len(r) != 4 or any(v not in ("0", "1", "") for v in r[1:]):
            errors.append(f"labels.csv: bad row {r}")
            continue
        if r[0] in labels:
            errors.append(f"labels.csv: study {r[0]} twice")
        labels[r[0]] = r[1:]
    files = sorted(p.name for p in data.glob("*.dcm"))
    counts = {k: Counter() for k in ("syntax", "manufacturer", "modality", "view", "sex", "photometric",
                                     "bits stored", "rescale", "window")}
    digest = hashlib.sha256()
    digest.update((data / "labels.csv").read_bytes())
    uids = set()
    views: dict[str, list[str]] = {}
    patient_of: dict[str, str] = {}
    for f in files:
        digest.update(f.encode() + b"\0" + (data / f).read_bytes())
        ds = pydicom.dcmread(data / f)
        arr = ds.pixel_array
        if arr.shape != (ds.Rows, ds.Columns) or int(arr.max()) >= 2 ** int(ds.BitsStored):
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
        for uid in (ds.SOPInstanceUID, ds.SeriesInstanceUID):
            if uid in uids:
                errors.append(f"{f}: duplicate UID {uid}")
            uids.add(uid)
        study = str(ds.StudyInstanceUID)
        views.setdefault(study, []).append(str(ds.ViewPosition))
        if patient_of.setdefault(study, str(ds.PatientID)) != str(ds.PatientID):
            errors.append(f"{f}: study {study} has two PatientIDs")
        counts["syntax"][ds.file_meta.TransferSyntaxUID.name] += 1
        counts["manufacturer"][f"{ds.Manufacturer} / {ds.ManufacturerModelName}"] += 1
        counts["modality"][f"{ds.Modality} ({ds.SOPClassUID.name})"] += 1
        counts["view"][ds.ViewPosition] += 1
        counts["sex"][ds.PatientSex] += 1
        counts["photometric"][ds.PhotometricInterpretation] += 1
        counts["bits stored"][str(ds.BitsStored)] += 1
        counts["rescale"]["non-identity" if (float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0)))
                          != (1.0, 0.0) else "identity/absent"] += 1
        counts["window"]["present" if "WindowCenter" in ds else "absent"] += 1
    for study, vs in views.items():
        if sorted(v in FRONTAL for v in vs) != [False, True] or not all(v in FRONTAL + LATERAL for v in vs):
            errors.append(f"study {study}: views {vs}, not one frontal and one lateral")
    if set(views) != set(labels):
        errors.append(f"labels.csv studies differ from the files' ({len(labels)} rows, {len(views)} studies)")
    patients = Counter(patient_of.values())
    if tp.exists():
        overlap = set(patients) & set(tp.read_text().split())
        if overlap:
            errors.append(f"patients in both training and reference: {sorted(overlap)[:5]}")
    else:
        errors.append(f"{tp} missing")
    print(f"{len(files)} images, {len(views)} studies, {len(patients)} patients "
          f"(by number of studies: {dict(sorted(Counter(patients.values()).items()))})")
    for j, k in enumerate(FINDINGS):
        pos = sum(1 for v in labels.values() if v[j] == "1")
        print(f"  {k:13s} {pos:3d} positive studies ({pos / max(1, len(labels)):.1%})")
    for k, c in counts.items():
        print(f"{k}:")
        for v, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:4d}  {v}")
    ages = sorted(int(pydicom.dcmread(data / f, stop_before_pixels=True).PatientAge[:3]) for f in files)
    print(f"PatientAge {ages[0]:03d}Y-{ages[-1]:03d}Y")
    print(f"set sha256: {digest.hexdigest()}")
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
