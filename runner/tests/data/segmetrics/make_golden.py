#!/usr/bin/env python3
"""Golden values for runner/tests/segmetrics.rs: segmentation metrics from MONAI and
agreement statistics from pingouin / scipy, on small synthetic cases.

Run (from the repository root; writes golden.json beside this script):
    python -m venv /tmp/segvenv
    /tmp/segvenv/bin/pip install monai==1.6.1 torch==2.15.0 pingouin==0.7.0 \
        scipy==1.17.1 numpy==2.4.6 surface-distance==0.1
    /tmp/segvenv/bin/python runner/tests/data/segmetrics/make_golden.py

Per mask case:
- "monai": MONAI 1.6.1's compute_dice / compute_iou (ignore_empty=False),
  compute_hausdorff_distance(percentile=95), compute_average_surface_distance(
  symmetric=True), compute_surface_dice(class_thresholds=[tol]), all with `spacing`,
  include_background=True on a one-channel [1, 1, D, H, W] tensor. MONAI returns its
  distances in float32 (and NaN for empty masks).
- "f64": the same definitions re-implemented here in float64 with scipy
  (binary_erosion edges, distance_transform_edt with sampling, linear percentiles), and
  checked against MONAI's above to float32 precision before anything is written. The
  Rust tests compare to "f64" at 1e-9 and to "monai" at float32's relative precision.
- "deepmind": DeepMind's surface-distance 0.1 (surfel areas, a pooled percentile):
  other definitions, kept for information, not compared.
Masks are stored as the flat indices of their true voxels, x fastest (numpy [z, y, x]
in C order), with size and spacing given as (x, y, z).
"""
import json
import sys
from pathlib import Path

import numpy as np
import scipy
from scipy import ndimage, stats
import torch
import monai
from monai.metrics import (
    compute_average_surface_distance,
    compute_dice,
    compute_hausdorff_distance,
    compute_iou,
    compute_surface_dice,
)
import pingouin
import pandas as pd

try:
    import surface_distance as deepmind
except ImportError:  # informational only
    deepmind = None


def ellipsoid(shape, spacing_xyz, centre_mm, radii_mm):
    nz, ny, nx = shape
    z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    sx, sy, sz = spacing_xyz
    cx, cy, cz = centre_mm
    rx, ry, rz = radii_mm
    return ((x * sx - cx) / rx) ** 2 + ((y * sy - cy) / ry) ** 2 + ((z * sz - cz) / rz) ** 2 <= 1.0


def box(shape, lo, hi):
    m = np.zeros(shape, dtype=bool)
    m[lo[2] : hi[2] + 1, lo[1] : hi[1] + 1, lo[0] : hi[0] + 1] = True
    return m


def blob(shape, seed, sigma, level):
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return noise > level


def cases():
    out = []
    shape = (14, 22, 26)  # z, y, x
    sp = (0.8, 0.7, 2.5)  # x, y, z mm
    out.append(("sphere_vs_shifted_sphere", shape, sp, 2.03,
                ellipsoid(shape, sp, (10, 8, 16), (6, 6, 9)),
                ellipsoid(shape, sp, (11.5, 8.7, 18.5), (6, 6, 9))))
    out.append(("ellipsoid_vs_larger_rotated", shape, sp, 1.47,
                ellipsoid(shape, sp, (10, 7.5, 15), (7, 4, 10)),
                ellipsoid(shape, sp, (10.4, 7.9, 16), (5, 5.5, 12))))
    m = ellipsoid(shape, sp, (9, 8, 14), (5, 5, 8))
    out.append(("identical", shape, sp, 1.13, m, m.copy()))
    z = np.zeros(shape, dtype=bool)
    out.append(("empty_reference", shape, sp, 2.0, z, m.copy()))
    out.append(("empty_prediction", shape, sp, 2.0, m.copy(), z.copy()))
    out.append(("both_empty", shape, sp, 2.0, z, z.copy()))
    s1 = np.zeros(shape, dtype=bool)
    s1[5, 9, 12] = True
    s2 = np.zeros(shape, dtype=bool)
    s2[7, 12, 15] = True
    out.append(("single_voxels", shape, sp, 5.9, s1, s2))
    out.append(("single_voxel_in_sphere", shape, sp, 3.1, m.copy(), s1))
    shape2 = (9, 12, 10)
    sp2 = (1.2, 0.9, 3.0)
    out.append(("touching_border", shape2, sp2, 1.05,
                box(shape2, (0, 0, 0), (6, 11, 4)),
                box(shape2, (2, 0, 0), (9, 9, 8))))
    out.append(("full_volume_vs_slab", shape2, sp2, 2.45,
                np.ones(shape2, dtype=bool),
                box(shape2, (0, 0, 2), (9, 11, 6))))
    shape3 = (16, 20, 18)
    sp3 = (0.75, 1.1, 2.0)
    out.append(("random_blobs", shape3, sp3, 2.03, blob(shape3, 7, 2.0, 0.05), blob(shape3, 8, 2.0, 0.05)))
    out.append(("nested_boxes", shape3, sp3, 1.13,
                box(shape3, (2, 3, 2), (15, 17, 12)),
                box(shape3, (5, 6, 4), (11, 12, 9))))
    out.append(("disjoint_spheres", shape, sp, 2.03,
                ellipsoid(shape, sp, (5, 7, 10), (3, 3, 5)),
                ellipsoid(shape, sp, (15, 9, 22), (3, 3, 5))))
    return out


def edges(m):
    return ndimage.binary_erosion(m) ^ m


def f64_metrics(ref, pred, sp_zyx, tol):
    nr, np_, ni = int(ref.sum()), int(pred.sum()), int((ref & pred).sum())
    out = {
        "dice": None if nr + np_ == 0 else 2 * ni / (nr + np_),
        "iou": None if nr + np_ == 0 else ni / (nr + np_ - ni),
        "reference_voxels": nr, "predicted_voxels": np_, "intersection_voxels": ni,
        "reference_surface_voxels": int(edges(ref).sum()),
        "predicted_surface_voxels": int(edges(pred).sum()),
    }
    if nr == 0 or np_ == 0:
        out.update(hd95=None, assd=None, nsd=None if nr + np_ == 0 else 0.0)
        return out
    er, ep = edges(ref), edges(pred)
    d_pr = ndimage.distance_transform_edt(~er, sampling=sp_zyx)[ep]
    d_rp = ndimage.distance_transform_edt(~ep, sampling=sp_zyx)[er]
    allv = np.concatenate([d_pr, d_rp])
    out["hd95"] = float(max(np.percentile(d_pr, 95), np.percentile(d_rp, 95)))
    out["assd"] = float(allv.mean())
    out["nsd"] = float((allv <= tol).sum() / allv.size)
    # ties at the tolerance would make f32 and f64 disagree: keep the cases clear of them
    assert np.min(np.abs(allv - tol)) > 1e-4, ("a distance sits on the tolerance", tol, allv[np.argmin(np.abs(allv - tol))])
    return out


def monai_metrics(ref, pred, sp_zyx, tol):
    y = torch.from_numpy(ref[None, None].astype(np.float32))
    yp = torch.from_numpy(pred[None, None].astype(np.float32))
    sp = list(sp_zyx)
    val = lambda t: None if not np.isfinite(float(t.reshape(-1)[0])) else float(t.reshape(-1)[0])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "dice": val(compute_dice(yp, y, include_background=True, ignore_empty=False)),
            "iou": val(compute_iou(yp, y, include_background=True, ignore_empty=False)),
            "hd95": val(compute_hausdorff_distance(yp, y, include_background=True, percentile=95, spacing=sp)),
            "assd": val(compute_average_surface_distance(yp, y, include_background=True, symmetric=True, spacing=sp)),
            "nsd": val(compute_surface_dice(yp, y, class_thresholds=[tol], include_background=True, spacing=sp)),
        }


def deepmind_metrics(ref, pred, sp_zyx, tol):
    if deepmind is None or not ref.any() or not pred.any():
        return None
    sd = deepmind.compute_surface_distances(ref, pred, spacing_mm=sp_zyx)
    a, b = deepmind.compute_average_surface_distance(sd)
    return {
        "hd95": float(deepmind.compute_robust_hausdorff(sd, 95)),
        "average_surface_distance_gt_to_pred": float(a),
        "average_surface_distance_pred_to_gt": float(b),
        "nsd": float(deepmind.compute_surface_dice_at_tolerance(sd, tol)),
    }


def mask_cases():
    rows = []
    for name, shape, sp, tol, ref, pred in cases():
        sp_zyx = (sp[2], sp[1], sp[0])
        f = f64_metrics(ref, pred, sp_zyx, tol)
        m = monai_metrics(ref, pred, sp_zyx, tol)
        if ref.any() and pred.any():
            for k in ("dice", "iou", "hd95", "assd", "nsd"):
                assert abs(m[k] - f[k]) <= 2e-6 * max(1.0, abs(f[k])), (name, k, m[k], f[k])
        else:
            for k in ("dice", "iou"):
                if f[k] is not None:
                    assert m[k] == f[k], (name, k, m[k], f[k])
            assert m["hd95"] is None and m["assd"] is None, (name, m)
        vox = sp[0] * sp[1] * sp[2]
        rows.append({
            "name": name,
            "size": [shape[2], shape[1], shape[0]],
            "spacing": list(sp),
            "nsd_tolerance_mm": tol,
            "reference": np.flatnonzero(ref.ravel()).tolist(),
            "prediction": np.flatnonzero(pred.ravel()).tolist(),
            "reference_ml": int(ref.sum()) * vox / 1000.0,
            "predicted_ml": int(pred.sum()) * vox / 1000.0,
            "f64": f,
            "monai": m,
            "deepmind": deepmind_metrics(ref, pred, sp_zyx, tol),
        })
    return rows


def agreement(ref, pred):
    ref, pred = np.asarray(ref, float), np.asarray(pred, float)
    n = len(ref)
    d = pred - ref
    bias, sd = d.mean(), d.std(ddof=1)
    t = stats.t.ppf(0.975, n - 1)
    se_loa = np.sqrt(3 * sd**2 / n)
    lo, hi = bias - 1.96 * sd, bias + 1.96 * sd
    long = pd.DataFrame({
        "case": np.concatenate([np.arange(n), np.arange(n)]),
        "method": ["reference"] * n + ["predicted"] * n,
        "value": np.concatenate([ref, pred]),
    })
    icc = pingouin.intraclass_corr(data=long, targets="case", raters="method", ratings="value")
    row = icc.set_index("Type").loc["ICC(A,1)"]
    # McGraw & Wong's case A interval in full precision (pingouin's formulas, which its
    # table may round): checked against pingouin's to its printed precision.
    k = 2.0
    x = np.stack([ref, pred], axis=1)
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    resid = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand
    mse = (resid**2).sum() / ((n - 1) * (k - 1))
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    assert abs(icc2 - float(row["ICC"])) < 1e-12, (icc2, row["ICC"])
    fj = msc / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    f2u = stats.f.ppf(0.975, n - 1, v)
    f2l = stats.f.ppf(0.975, v, n - 1)
    l2 = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
    u2 = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
    ci = np.asarray(row["CI95"], float)
    assert abs(ci[0] - l2) < 0.006 and abs(ci[1] - u2) < 0.006, (ci, l2, u2)
    return {
        "reference": ref.tolist(), "predicted": pred.tolist(),
        "bias": bias, "sd": sd,
        "bias_ci95": [bias - t * sd / np.sqrt(n), bias + t * sd / np.sqrt(n)],
        "loa_low": lo, "loa_high": hi,
        "loa_low_ci95": [lo - t * se_loa, lo + t * se_loa],
        "loa_high_ci95": [hi - t * se_loa, hi + t * se_loa],
        "icc": float(row["ICC"]), "icc_ci95": [l2, u2],
        "pingouin_icc_ci95": ci.tolist(),
        "ms_rows": msr, "ms_columns": msc, "ms_error": mse,
        "rmse": float(np.sqrt((d**2).mean())),
        "reference_mean": ref.mean(), "predicted_mean": pred.mean(),
    }


def agreement_sets():
    rng = np.random.default_rng(20261202)
    ref = rng.uniform(900, 2200, 16).round(1)  # liver-like volumes, mL
    pred = (ref * 1.03 + rng.normal(-20, 45, 16)).round(1)
    small_ref = [150.2, 171.9, 98.4, 203.3]
    small_pred = [161.0, 165.5, 110.1, 199.0]
    return [
        {"name": "liver_volumes_16", **agreement(ref, pred)},
        {"name": "spleen_volumes_4", **agreement(small_ref, small_pred)},
    ]


def quantiles():
    t = [(p, df, stats.t.ppf(p, df)) for p, df in
         [(0.975, 1), (0.975, 2), (0.975, 3), (0.975, 5), (0.975, 15), (0.975, 29), (0.975, 100.5),
          (0.025, 7), (0.9, 4), (0.6, 12)]]
    f = [(p, a, b, stats.f.ppf(p, a, b)) for p, a, b in
         [(0.975, 15, 14.2), (0.975, 14.2, 15), (0.975, 3, 1.7), (0.975, 1.7, 3), (0.975, 1, 1),
          (0.975, 40, 60), (0.5, 5, 8), (0.025, 10, 20), (0.975, 2.5, 250.0)]]
    return {
        "t": [{"p": p, "df": df, "q": q} for p, df, q in t],
        "f": [{"p": p, "d1": a, "d2": b, "q": q} for p, a, b, q in f],
    }


def liver_sized():
    """The 512 x 512 x 300 pair of the timing test, by the float64 definitions (on the
    union's bounding box widened by one voxel, which changes no surface or distance)."""
    sx, sy, sz = 0.78, 0.78, 1.5
    z, y, x = np.ogrid[:300, :512, :512]

    def ell(c, r):
        return ((x * sx - c[0]) / r[0]) ** 2 + ((y * sy - c[1]) / r[1]) ** 2 + ((z * sz - c[2]) / r[2]) ** 2 <= 1.0

    ref = ell([180.0, 200.0, 220.0], [95.0, 75.0, 55.0])
    pred = ell([184.0, 197.0, 224.0], [92.0, 78.0, 53.0])
    idx = np.nonzero(ref | pred)
    box = tuple(slice(max(a.min() - 1, 0), a.max() + 2) for a in idx)
    out = f64_metrics(ref[box], pred[box], (sz, sy, sx), 2.0)
    out["reference_ml"] = int(ref.sum()) * sx * sy * sz / 1000.0
    return out


def summary():
    v = [0.91, 0.87, 0.954, 0.62, 0.88, 0.9, 0.79, 0.935, 0.71]
    return {"values": v, "mean": float(np.mean(v)), "median": float(np.median(v)),
            "q1": float(np.percentile(v, 25)), "q3": float(np.percentile(v, 75)),
            "min": float(np.min(v)), "max": float(np.max(v))}


def main():
    golden = {
        "generated_by": "runner/tests/data/segmetrics/make_golden.py",
        "versions": {
            "python": sys.version.split()[0], "monai": monai.__version__, "torch": torch.__version__,
            "pingouin": pingouin.__version__, "scipy": scipy.__version__, "numpy": np.__version__,
            "surface_distance": "0.1" if deepmind is not None else None,
        },
        "masks": mask_cases(),
        "agreement": agreement_sets(),
        "quantiles": quantiles(),
        "summary": summary(),
        "liver_sized": liver_sized(),
    }
    out = Path(__file__).with_name("golden.json")
    out.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
