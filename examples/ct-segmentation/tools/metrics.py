#!/usr/bin/env python3
"""The independent reference of the ct-segmentation example's benchmark.

Reads every reference series (tools/preprocess.py), its reference mask (DICOM SEG with
pydicom, NIfTI with nibabel, each checked against the series' geometry), runs the model
with onnxruntime, maps the labels back, and computes per case and structure, with
MONAI's metric functions (monai.metrics; spacing in mm, include_background, one-hot):

  dice   compute_dice                       iou   compute_iou
  nsd    compute_surface_dice, class_thresholds [T] mm (T = 2 and the claim's 7)
  hd95   compute_hausdorff_distance, percentile 95, directed False: the larger of the
         two directed 95th percentiles of surface-voxel distances
  assd   compute_average_surface_distance, symmetric True: the mean of both directions'
         distances pooled
  volumes in mL (voxel count x voxel volume), rvd = |Vp - Vr| / Vr

then per structure the mean with a patient-clustered percentile bootstrap 95% interval
(seed 20261202, 2000 resamples of the patients), median, quartiles (numpy linear), min,
max, n; the volume agreement: Bland-Altman bias (pred - ref) and 95% limits of agreement
(bias +- 1.96 SD, SD with n - 1), RMSE, and ICC(A,1) (pingouin's ICC2, with its 95% F
interval). The same on the development series of the training patients (rendered in
memory, never written), from which the claims were set.

Writes model/reference-metrics.json with the package versions.

Usage (from examples/ct-segmentation/):  python tools/metrics.py
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import generate as gen  # noqa: E402
import preprocess as pp  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
REF = HERE / "data" / "reference"
MODEL = HERE / "model" / "ct-organs.onnx"
OUT = HERE / "model" / "reference-metrics.json"
STRUCTURES = {"liver": 1, "spleen": 2}
NSD_TOLERANCES = (2.0, 7.0)
SEED = 20261202
RESAMPLES = 2000


class MaskError(Exception):
    pass


def read_seg(path: Path, geo: pp.Geo) -> np.ndarray:
    """A DICOM SEG's segments as a label map [z, y, x] on the series' grid (checked)."""
    import pydicom

    ds = pydicom.dcmread(path)
    labels = {}
    for seg in ds.SegmentSequence:
        name = str(seg.SegmentLabel).lower()
        labels[int(seg.SegmentNumber)] = STRUCTURES.get(name, 0)
    shared = ds.SharedFunctionalGroupsSequence[0]
    ps = [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing]
    iop = [float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient]
    if abs(ps[1] - geo.spacing[0]) > 1e-3 or abs(ps[0] - geo.spacing[1]) > 1e-3:
        raise MaskError(f"{path.name}: pixel spacing {ps} differs from the series' {geo.spacing[:2]}")
    if np.abs(np.array(iop) - np.concatenate([geo.dirs[0], geo.dirs[1]])).max() > 1e-4:
        raise MaskError(f"{path.name}: orientation {iop} differs from the series'")
    if (int(ds.Rows), int(ds.Columns)) != (geo.size[1], geo.size[0]):
        raise MaskError(f"{path.name}: {ds.Rows} x {ds.Columns} differs from the series' matrix")
    px = ds.pixel_array.reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    out = np.zeros((geo.size[2], geo.size[1], geo.size[0]), dtype=np.uint8)
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        number = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        pos = np.array([float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient])
        q = geo.index(pos)
        k = int(round(q[2]))
        if abs(q[0]) > 1e-3 or abs(q[1]) > 1e-3 or abs(q[2] - k) > 1e-3 or not 0 <= k < geo.size[2]:
            raise MaskError(f"{path.name}: frame {f + 1} at {pos.tolist()} is on no slice of the series")
        out[k][px[f] > 0] = labels[number]
    return out


def read_nifti(path: Path, geo: pp.Geo) -> np.ndarray:
    import nibabel as nib

    img = nib.load(str(path))
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ img.affine
    spacing = np.linalg.norm(lps[:3, :3], axis=0)
    dirs = (lps[:3, :3] / spacing).T
    origin = lps[:3, 3]
    data = np.asarray(img.dataobj)
    if tuple(data.shape) != geo.size:
        raise MaskError(f"{path.name}: size {data.shape} differs from the series' {geo.size}")
    if np.abs(spacing - np.array(geo.spacing)).max() > 1e-3:
        raise MaskError(f"{path.name}: spacing {spacing.round(3).tolist()} differs from the series' {geo.spacing}")
    if np.abs(origin - geo.origin).max() > 1e-2:
        raise MaskError(f"{path.name}: origin {origin.round(3).tolist()} differs from the series' {geo.origin.tolist()}")
    if np.abs(dirs - geo.dirs).max() > 1e-4:
        raise MaskError(f"{path.name}: orientation differs from the series'")
    return np.ascontiguousarray(data.transpose(2, 1, 0)).astype(np.uint8)


_SESSION = None


def predict(vol_hu: np.ndarray, geo: pp.Geo) -> np.ndarray:
    global _SESSION
    import onnxruntime as ort

    if _SESSION is None:
        _SESSION = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    x, mg = pp.preprocess(vol_hu, geo)
    y = _SESSION.run(["mask"], {"ct": x[None]})[0][0]
    lab = np.argmax(y, axis=0).astype(np.uint8)
    back, tie = pp.labels_back(lab, mg, geo)
    if tie < 0.01:
        raise RuntimeError("a source voxel maps to a rounding tie of the model grid")
    return back


def case_metrics(pred: np.ndarray, ref: np.ndarray, geo: pp.Geo) -> dict:
    import torch
    from monai.metrics import (compute_average_surface_distance, compute_dice,
                               compute_hausdorff_distance, compute_iou, compute_surface_dice)

    vv = geo.spacing[0] * geo.spacing[1] * geo.spacing[2] / 1000.0
    out = {}
    for name, k in STRUCTURES.items():
        p = (pred == k).transpose(2, 1, 0)  # [x, y, z]
        r = (ref == k).transpose(2, 1, 0)
        vp, vr = float(p.sum() * vv), float(r.sum() * vv)
        m = {"volume_ref_ml": vr, "volume_pred_ml": vp}
        if r.sum() == 0 and p.sum() == 0:
            m["empty"] = "both"
        elif r.sum() == 0 or p.sum() == 0:
            m["empty"] = "reference" if r.sum() == 0 else "prediction"
            m.update(dice=0.0, iou=0.0, **{f"nsd_{t:g}mm": 0.0 for t in NSD_TOLERANCES})
        else:
            yp = torch.from_numpy(p[None, None].astype(np.float32))
            yr = torch.from_numpy(r[None, None].astype(np.float32))
            sp = list(geo.spacing)
            m["dice"] = float(compute_dice(yp, yr, include_background=True)[0, 0])
            m["iou"] = float(compute_iou(yp, yr, include_background=True)[0, 0])
            for t in NSD_TOLERANCES:
                m[f"nsd_{t:g}mm"] = float(compute_surface_dice(yp, yr, class_thresholds=[t], include_background=True,
                                                              spacing=sp)[0, 0])
            m["hd95"] = float(compute_hausdorff_distance(yp, yr, include_background=True, percentile=95,
                                                         spacing=sp)[0, 0])
            m["assd"] = float(compute_average_surface_distance(yp, yr, include_background=True, symmetric=True,
                                                               spacing=sp)[0, 0])
            m["rvd"] = abs(vp - vr) / vr
        out[name] = m
    return out


def cluster_bootstrap(values: np.ndarray, patients: list[str], stat, seed: int = SEED) -> tuple[float, float]:
    ids = sorted(set(patients))
    groups = [np.flatnonzero(np.array(patients) == i) for i in ids]
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(RESAMPLES):
        pick = rng.integers(0, len(groups), size=len(groups))
        idx = np.concatenate([groups[i] for i in pick])
        stats.append(stat(idx))
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return float(lo), float(hi)


def summary(values: list[float], patients: list[str]) -> dict:
    v = np.array(values, dtype=np.float64)
    lo, hi = cluster_bootstrap(v, patients, lambda idx: float(v[idx].mean()))
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {"mean": float(v.mean()), "median": float(med), "q1": float(q1), "q3": float(q3), "min": float(v.min()),
            "max": float(v.max()), "n": int(v.size),
            "ci95": {"low": lo, "high": hi, "method": "patient-clustered percentile bootstrap, 2000 resamples"}}


def icc_a1(p: np.ndarray, r: np.ndarray) -> float:
    """ICC(A,1) of McGraw and Wong (1996), two raters: the formula, for the bootstrap."""
    x = np.stack([r, p], axis=1)
    n, k = x.shape
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    sse = ((x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand) ** 2).sum()
    mse = sse / ((n - 1) * (k - 1))
    return float((msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n))


def agreement(pred: list[float], ref: list[float], patients: list[str]) -> dict:
    import pandas as pd
    import pingouin as pg

    p, r = np.array(pred), np.array(ref)
    d = p - r
    n = d.size
    sd = float(d.std(ddof=1))
    bias = float(d.mean())
    rows = [{"case": i, "rater": "ref", "v": r[i]} for i in range(n)] + \
           [{"case": i, "rater": "pred", "v": p[i]} for i in range(n)]
    icc = pg.intraclass_corr(data=pd.DataFrame(rows), targets="case", raters="rater", ratings="v")
    table = icc.set_index("Type")
    icc2 = table.loc["ICC(A,1)"] if "ICC(A,1)" in table.index else table.loc["ICC2"]
    ci = [float(c) for c in icc2["CI95" if "CI95" in icc2 else "CI95%"]]  # pingouin rounds it to 2 digits

    def boot(f):
        return cluster_bootstrap(d, patients, lambda idx: f(idx))

    return {
        "n": n, "bias": bias,
        "bias_ci95_bootstrap": boot(lambda idx: float(d[idx].mean())),
        "sd": sd, "loa_low": bias - 1.96 * sd, "loa_high": bias + 1.96 * sd,
        "loa_abs_max": max(abs(bias - 1.96 * sd), abs(bias + 1.96 * sd)),
        "loa_abs_max_ci95_bootstrap": boot(lambda idx: float(max(abs(d[idx].mean() - 1.96 * d[idx].std(ddof=1)),
                                                                 abs(d[idx].mean() + 1.96 * d[idx].std(ddof=1))))),
        "icc": float(icc2["ICC"]), "icc_ci95_F": ci,
        "icc_formula": icc_a1(p, r),
        "icc_ci95_bootstrap": cluster_bootstrap(d, patients, lambda idx: icc_a1(p[idx], r[idx])),
        "rmse": float(np.sqrt(np.mean(d ** 2))),
        "reference_mean_ml": float(r.mean()),
    }


def summarise(cases: list[dict]) -> dict:
    patients = [c["patient"] for c in cases]
    out = {}
    for name in STRUCTURES:
        s = {"cases": len(cases)}
        defined = [c for c in cases if "empty" not in c[name]]
        s["empty_both"] = sum(1 for c in cases if c[name].get("empty") == "both")
        s["empty_reference"] = sum(1 for c in cases if c[name].get("empty") == "reference")
        s["empty_prediction"] = sum(1 for c in cases if c[name].get("empty") == "prediction")
        for metric in ["dice", "iou"] + [f"nsd_{t:g}mm" for t in NSD_TOLERANCES] + ["hd95", "assd", "rvd"]:
            sel = [c for c in cases if metric in c[name]]
            s[metric] = summary([c[name][metric] for c in sel], [c["patient"] for c in sel])
        s["volume"] = agreement([c[name]["volume_pred_ml"] for c in defined],
                                [c[name]["volume_ref_ml"] for c in defined], [c["patient"] for c in defined])
        out[name] = s
    del patients
    return out


def reference_cases() -> list[dict]:
    import pydicom

    cases = []
    with open(REF / "masks.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    by_uid = {}
    for folder in sorted(p for p in REF.iterdir() if p.is_dir() and p.name.startswith("series-")):
        first = pydicom.dcmread(next(folder.glob("*.dcm")), stop_before_pixels=True)
        by_uid[str(first.SeriesInstanceUID)] = (folder, str(first.PatientID))
    for row in rows:
        folder, patient = by_uid[row["series"]]
        geo, vol, _ = pp.read_series(folder)
        mask_path = REF / row["mask"]
        ref = read_nifti(mask_path, geo) if mask_path.name.endswith((".nii", ".nii.gz")) else read_seg(mask_path, geo)
        pred = predict(vol, geo)
        c = {"series": row["series"], "folder": folder.name, "patient": patient, "mask": row["mask"],
             "geometry": geo.as_dict()}
        c.update(case_metrics(pred, ref, geo))
        cases.append(c)
        print(f"{folder.name} {patient} liver dice {c['liver']['dice']:.3f} hd95 {c['liver']['hd95']:.1f} "
              f"spleen dice {c['spleen']['dice']:.3f} hd95 {c['spleen']['hd95']:.1f}", file=sys.stderr)
    return cases


def development_cases(n_patients: int = 40) -> list[dict]:
    cases = []
    for c in gen.development_cases(n_patients):
        geo_d, hu, lab = gen.render_series(c["patient"], c["study"], c["flipped"])
        geo = pp.Geo(geo_d["size"], geo_d["spacing"], geo_d["origin"], geo_d["dirs"])
        hu = gen.stored(hu).astype(np.float64) - 1024.0  # as stored and rescaled
        d = {"patient": c["patient_id"]}
        d.update(case_metrics(predict(hu, geo), lab, geo))
        cases.append(d)
    return cases


def versions() -> dict:
    import importlib.metadata as md

    return {p: md.version(p) for p in ("numpy", "scipy", "pydicom", "highdicom", "nibabel", "onnx", "onnxruntime",
                                       "torch", "monai", "pingouin", "pandas")} | {"python": sys.version.split()[0]}


def main() -> int:
    ref = reference_cases()
    dev = development_cases()
    result = {
        "source": "examples/ct-segmentation/tools/metrics.py (python tools/metrics.py)",
        "versions": versions(),
        "definitions": {
            "dice": "monai.metrics.compute_dice", "iou": "monai.metrics.compute_iou",
            "nsd": "monai.metrics.compute_surface_dice(class_thresholds=[T], spacing)",
            "hd95": "monai.metrics.compute_hausdorff_distance(percentile=95, directed=False, spacing): "
                    "max of the two directed 95th percentiles",
            "assd": "monai.metrics.compute_average_surface_distance(symmetric=True, spacing)",
            "rvd": "|Vp - Vr| / Vr", "volume": "voxel count x voxel volume, mL",
            "icc": "pingouin.intraclass_corr ICC(A,1) (= Shrout-Fleiss ICC2), CI95 from the F distribution (rounded to 2 digits by pingouin)",
            "loa": "bias +- 1.96 SD (ddof 1)",
            "bootstrap": f"patient-clustered percentile, seed {SEED}, {RESAMPLES} resamples (numpy default_rng)",
        },
        "reference": {"cases": ref, "summary": summarise(ref)},
        "development": {"cases": len(dev), "patients": len({c["patient"] for c in dev}), "summary": summarise(dev)},
    }
    OUT.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    for part in ("development", "reference"):
        print(part)
        for name, s in result[part]["summary"].items():
            print(f"  {name}: " + ", ".join(
                f"{m} {s[m]['mean']:.3f} ({s[m]['ci95']['low']:.3f}-{s[m]['ci95']['high']:.3f})"
                for m in ("dice", "iou", "nsd_2mm", "nsd_7mm", "hd95", "assd", "rvd")))
            v = s["volume"]
            print(f"    volume: bias {v['bias']:.1f} mL, LoA {v['loa_low']:.1f} to {v['loa_high']:.1f} "
                  f"(max {v['loa_abs_max']:.1f}, CI {v['loa_abs_max_ci95_bootstrap'][0]:.1f}-"
                  f"{v['loa_abs_max_ci95_bootstrap'][1]:.1f}), ICC {v['icc']:.3f} {v['icc_ci95_F']} "
                  f"(bootstrap {v['icc_ci95_bootstrap'][0]:.3f}-{v['icc_ci95_bootstrap'][1]:.3f}), "
                  f"RMSE {v['rmse']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
