#!/usr/bin/env python3
"""Checks the ct-segmentation reference set, as clic will read it.

Every series assembles (single-frame files ordered along the slice normal, evenly spaced,
one orientation; or one Enhanced CT object); every file is de-identified (PS3.15 Annex E
basic profile with the Retain Patient Characteristics Option: no names, dates, descriptions
or private elements; PatientIdentityRemoved YES); masks.csv names every series once; every
mask reads (DICOM SEG: segments "liver" and "spleen", frames on the series' slices; NIfTI:
the series' size, spacing, origin and orientation) and holds both organs; no reference
patient is a training patient; no voxel of the source maps to a rounding tie of the model
grid. Prints the counts and a sha256 digest of the whole set (for the README's
determinism check).

Usage (from examples/ct-segmentation/):  python tools/verify.py
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pydicom

sys.path.insert(0, str(Path(__file__).parent))
import metrics as M  # noqa: E402
import preprocess as pp  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
DATA = HERE / "data"
REF = DATA / "reference"

# Attributes that must be absent or empty (a subset of PS3.15 Table E.1-1 that a
# generator could plausibly write) and those that must be empty when present.
MUST_BE_EMPTY = ["PatientName", "PatientBirthDate", "AccessionNumber", "ReferringPhysicianName", "StudyID",
                 "StudyDate", "StudyTime"]
MUST_BE_ABSENT = ["InstitutionName", "InstitutionAddress", "StationName", "StudyDescription", "SeriesDescription",
                  "OperatorsName", "PerformingPhysicianName", "ProtocolName", "SeriesDate", "SeriesTime",
                  "AcquisitionDate", "AcquisitionTime", "InstanceCreationDate", "InstanceCreationTime",
                  "PatientAddress", "OtherPatientIDs", "ImageComments", "PatientBirthTime"]


def check_deid(ds: pydicom.Dataset, name: str, errors: list[str]) -> None:
    if ds.get("PatientIdentityRemoved") != "YES":
        errors.append(f"{name}: PatientIdentityRemoved is not YES")
    codes = [c.CodeValue for c in ds.get("DeidentificationMethodCodeSequence", [])]
    if "113100" not in codes or "113108" not in codes:
        errors.append(f"{name}: de-identification codes 113100/113108 missing")
    for kw in MUST_BE_EMPTY:
        if str(ds.get(kw, "")).strip("^ "):
            errors.append(f"{name}: {kw} is not empty")
    for kw in MUST_BE_ABSENT:
        if kw in ds:
            errors.append(f"{name}: {kw} is present")
    dated = ds.get("LongitudinalTemporalInformationModified") == "MODIFIED" and "113107" in codes
    for kw in ("ContentDate", "AcquisitionDateTime"):
        v = str(ds.get(kw, ""))
        if v and not (v.startswith("1900") and (dated or kw == "ContentDate")):
            errors.append(f"{name}: {kw} {v} is not a dummy date")
    private = [e.tag for e in ds.iterall() if e.tag.is_private]
    if private:
        errors.append(f"{name}: {len(private)} private elements")
    if not str(ds.PatientID).startswith("REF-"):
        errors.append(f"{name}: PatientID is not a REF- pseudonym")


def main() -> int:
    errors: list[str] = []
    training = set((DATA / "training-patients.txt").read_text().split())
    digest = hashlib.sha256()
    files = sorted(p for p in REF.rglob("*") if p.is_file())
    for p in files:
        rel = p.relative_to(REF).as_posix()
        digest.update(rel.encode() + b"\0" + p.read_bytes())
    series = {}
    sexes, ages, makers, kinds, spacing, slices = Counter(), [], Counter(), Counter(), [], []
    for folder in sorted(p for p in REF.iterdir() if p.is_dir() and p.name.startswith("series-")):
        dss = [pydicom.dcmread(p) for p in sorted(folder.glob("*.dcm"))]
        uids = {str(d.SeriesInstanceUID) for d in dss}
        if len(uids) != 1:
            errors.append(f"{folder.name}: {len(uids)} series in one folder")
        for d, p in zip(dss, sorted(folder.glob("*.dcm"))):
            check_deid(d, f"{folder.name}/{p.name}", errors)
        geo, vol, sorted_dss = pp.read_series(folder)
        if len(dss) > 1:
            z = [float(np.dot(np.array([float(v) for v in d.ImagePositionPatient]), geo.dirs[2])) for d in sorted_dss]
            gaps = np.diff(z)
            if np.abs(gaps - gaps[0]).max() > 1e-3:
                errors.append(f"{folder.name}: uneven slice spacing")
            if len({tuple(d.ImageOrientationPatient) for d in dss}) != 1:
                errors.append(f"{folder.name}: mixed orientations")
            kinds["single-frame"] += 1
        else:
            kinds["enhanced"] += 1
        d0 = dss[0]
        series[str(d0.SeriesInstanceUID)] = (folder, geo, str(d0.PatientID))
        sexes[(str(d0.PatientID), d0.PatientSex)] += 1
        ages.append(int(str(d0.PatientAge)[:3]))
        makers[str(d0.Manufacturer)] += 1
        spacing.append(geo.spacing)
        slices.append(geo.size[2])
        if str(d0.PatientID) in training:
            errors.append(f"{folder.name}: patient {d0.PatientID} is a training patient")
        # the mapping back must not meet a rounding tie
        x, mg = pp.preprocess(vol, geo)
        _, tie = pp.labels_back(np.zeros(x.shape[1:], dtype=np.uint8), mg, geo)
        if tie < 0.02:
            errors.append(f"{folder.name}: a voxel maps within {tie:.3f} of a rounding tie")
    with open(REF / "masks.csv", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["series", "mask"]:
            errors.append(f"masks.csv: header {reader.fieldnames}, expected series,mask")
        rows = list(reader)
    seen = Counter(r["series"] for r in rows)
    for uid, count in seen.items():
        if count > 1:
            errors.append(f"masks.csv: series {uid} listed {count} times")
    if set(seen) != set(series):
        errors.append(f"masks.csv: {len(set(series) - set(seen))} series without a mask, "
                      f"{len(set(seen) - set(series))} unknown series")
    mask_kinds = Counter()
    volumes = {"liver": [], "spleen": []}
    for r in rows:
        if r["series"] not in series:
            continue
        folder, geo, _ = series[r["series"]]
        path = REF / r["mask"]
        try:
            if path.name.endswith((".nii", ".nii.gz")):
                lab = M.read_nifti(path, geo)
                mask_kinds["NIfTI"] += 1
            else:
                seg = pydicom.dcmread(path)
                check_deid(seg, r["mask"], errors)
                if seg.SegmentationType != "BINARY":
                    errors.append(f"{r['mask']}: SegmentationType {seg.SegmentationType}")
                if str(seg.ReferencedSeriesSequence[0].SeriesInstanceUID) != r["series"]:
                    errors.append(f"{r['mask']}: refers to another series")
                lab = M.read_seg(path, geo)
                mask_kinds["DICOM SEG"] += 1
        except M.MaskError as e:
            errors.append(str(e))
            continue
        vv = float(np.prod(geo.spacing)) / 1000
        for name, k in M.STRUCTURES.items():
            if not (lab == k).any():
                errors.append(f"{r['mask']}: no {name}")
            volumes[name].append(float((lab == k).sum() * vv))
    patients = Counter(p for _, _, p in series.values())
    print(f"{len(series)} series of {len(patients)} patients "
          f"({sum(1 for c in patients.values() if c == 1)} with one study, "
          f"{sum(1 for c in patients.values() if c == 2)} with two); {kinds['single-frame']} single-frame series, "
          f"{kinds['enhanced']} Enhanced CT; {sum(slices)} slices ({min(slices)}-{max(slices)} a series)")
    sex = Counter(s for (_, s) in sexes)
    print(f"patients by PatientSex: {dict(sex)}; PatientAge {min(ages)}-{max(ages)}; manufacturers {dict(makers)}")
    sp = np.array(spacing)
    print(f"pixel spacing {sp[:, 0].min():.2f}-{sp[:, 0].max():.2f} mm, slice spacing {sp[:, 2].min():.2f}-"
          f"{sp[:, 2].max():.2f} mm")
    print(f"masks: {dict(mask_kinds)}; liver {min(volumes['liver']):.0f}-{max(volumes['liver']):.0f} mL, "
          f"spleen {min(volumes['spleen']):.0f}-{max(volumes['spleen']):.0f} mL")
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} files, {size / 1e6:.2f} MB; training patients {len(training)}")
    print(f"set sha256: {digest.hexdigest()}")
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
