#!/usr/bin/env python3
"""Golden numbers for runner/tests/preprocess3d.rs (3D preprocessing of volumes).

Made with: python 3.11.7, numpy 2.4.6, scipy 1.17.1, nibabel 5.4.2.
Command (from the repository root):
    python3 runner/tests/data/preprocess3d/make_golden.py > runner/tests/data/preprocess3d/golden.json

Volumes are in DICOM patient coordinates (LPS, mm); `data` is x fastest (index
x + nx * (y + ny * z)); here arrays are indexed arr[x, y, z].

References, independent of the Rust code:
- resample: scipy.ndimage.map_coordinates(order=1 | 0, mode='nearest') at source index
  i * new_spacing / spacing, new size max(1, round(n * spacing / new_spacing)) (Python's
  round, half to even), origin unchanged.
- orient: nibabel.orientations io_orientation, axcodes2ornt, ornt_transform,
  apply_orientation and inv_ornt_aff on the RAS affine (LPS flipped in x and y).
- crop or pad: MONAI ResizeWithPadOrCrop = CenterSpatialCrop then
  SpatialPad(method='symmetric'), written out from MONAI's monai/transforms/croppad/array.py at
  Project-MONAI/MONAI d388d1c6fec8cb3a0eebee5b5a0b9776ca59ca83 (MONAI needs torch, not
  installed): crop centre n // 2, start max(centre - t // 2, 0), end start + t; then pad
  (w // 2, w - w // 2) with w = max(t - n, 0); the affine moved by the crop start minus
  the pad before.
- zscore: (x - mean) / std with numpy's mean and std (ddof=0) in float64.
- window: DICOM PS3.3 C.11.2.1.2.1 linear, clamp((x - (c - 0.5)) / (w - 1) + 0.5, 0, 1).
- labels_to: each target voxel centre through the affines into the model grid, the index
  floor(c + 0.5), outside -> 0 (numpy, written independently of the Rust code).
"""
import json
import sys

import nibabel as nib
import numpy as np
import scipy
from nibabel import orientations as ornt
from scipy.ndimage import map_coordinates

rng = np.random.default_rng(14)
FLIP = np.diag([-1.0, -1.0, 1.0, 1.0])  # LPS <-> RAS


def rotation(axis, degrees):
    axis = np.asarray(axis, float)
    axis /= np.linalg.norm(axis)
    t = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * (k @ k)


def f32(a):
    return [float(v) for v in np.asarray(a, np.float32).ravel()]


def volume(arr, spacing, origin, direction, as_int=False):
    """arr indexed [x, y, z] -> the JSON form, data x fastest."""
    flat = np.asarray(arr).transpose(2, 1, 0).ravel()
    return {
        "size": list(arr.shape),
        "spacing": [float(s) for s in spacing],
        "origin": [float(c) for c in origin],
        "direction": [[float(c) for c in d] for d in direction],
        "data": [int(v) for v in flat] if as_int else f32(flat),
    }


def affine(spacing, origin, direction):
    a = np.eye(4)
    for i in range(3):
        a[:3, i] = np.asarray(direction[i]) * spacing[i]
    a[:3, 3] = origin
    return a


def geometry_of(aff):
    cols = aff[:3, :3]
    spacing = np.linalg.norm(cols, axis=0)
    direction = (cols / spacing).T
    return spacing, aff[:3, 3], direction


def resample(arr, spacing, new, order):
    m = [max(1, int(round(n * s / t))) for n, s, t in zip(arr.shape, spacing, new)]
    coords = [np.arange(k) * t / s for k, t, s in zip(m, new, spacing)]
    grid = np.meshgrid(*coords, indexing="ij")
    return map_coordinates(arr.astype(np.float64), grid, order=order, mode="nearest")


def orient(arr, spacing, origin, direction, code):
    aff = FLIP @ affine(spacing, origin, direction)
    transform = ornt.ornt_transform(ornt.io_orientation(aff), ornt.axcodes2ornt(tuple(code)))
    out = ornt.apply_orientation(arr, transform)
    new = FLIP @ (aff @ ornt.inv_ornt_aff(transform, arr.shape))
    return out, geometry_of(new)


def monai_pad_or_crop(arr, target, fill, spacing, origin, direction):
    # ResizeWithPadOrCrop.__call__: self.padder(self.cropper(img)).
    starts = [max(n // 2 - t // 2, 0) for n, t in zip(arr.shape, target)]
    arr = arr[tuple(slice(s, s + t) for s, t in zip(starts, target))]
    widths = [max(t - n, 0) for n, t in zip(arr.shape, target)]
    pads = [(w // 2, w - w // 2) for w in widths]
    arr = np.pad(arr, pads, mode="constant", constant_values=fill)
    shift = np.array([s - p[0] for s, p in zip(starts, pads)], float)
    aff = affine(spacing, origin, direction)
    new_origin = aff[:3, :3] @ shift + aff[:3, 3]
    return arr, new_origin


def labels_to(labels, m_spacing, m_origin, m_direction, target):
    t_aff = affine(target["spacing"], target["origin"], target["direction"])
    m_aff = affine(m_spacing, m_origin, m_direction)
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in target["size"]], indexing="ij"), -1)
    world = idx @ t_aff[:3, :3].T + t_aff[:3, 3]
    c = (world - m_aff[:3, 3]) @ np.linalg.inv(m_aff[:3, :3]).T
    frac = np.abs(c - np.floor(c) - 0.5)
    assert frac.min() > 1e-6, "a target centre falls half-way: pick another geometry"
    r = np.floor(c + 0.5).astype(int)
    inside = np.all((r >= 0) & (r < np.array(labels.shape)), axis=-1)
    out = np.zeros(target["size"], np.uint8)
    rr = np.where(inside[..., None], r, 0)
    out[inside] = labels[rr[..., 0], rr[..., 1], rr[..., 2]][inside]
    return out


cases = []

# An anisotropic random volume on oblique axes.
a_dir = rotation([0.3, -0.5, 1.0], 17.0)
a = dict(spacing=[0.8, 1.1, 2.5], origin=[-50.2, 30.1, 12.0], direction=a_dir.T)
a_arr = rng.uniform(-1000, 1000, size=(7, 6, 5)).astype(np.float32)
a_in = volume(a_arr, **a)
for new in ([1.3, 0.7, 1.9], [0.45, 2.05, 6.3]):
    for order, name in ((1, "linear"), (0, "nearest")):
        out = resample(a_arr, a["spacing"], new, order)
        cases.append({
            "name": f"resample {new} {name}, anisotropic oblique",
            "kind": "resample",
            "input": a_in,
            "params": {"spacing": new, "interpolation": name},
            "expected": volume(out, new, a["origin"], a["direction"]),
        })

# Exact half-way positions (nearest rounds them up) and a size tie (5 * 1 / 2 = 2.5 -> 2).
b = dict(spacing=[1.0, 1.0, 2.0], origin=[10.0, -20.0, 30.0], direction=np.eye(3))
b_arr = rng.uniform(-100, 100, size=(5, 4, 3)).astype(np.float32)
for order, name in ((1, "linear"), (0, "nearest")):
    new = [2.0, 0.5, 3.0]
    out = resample(b_arr, b["spacing"], new, order)
    cases.append({
        "name": f"resample half-way positions {name}",
        "kind": "resample",
        "input": volume(b_arr, **b),
        "params": {"spacing": new, "interpolation": name},
        "expected": volume(out, new, b["origin"], b["direction"]),
    })

# Axes permuted and flipped, then rotated 12 degrees: x ~ -S, y ~ +L, z ~ -P.
perm = np.array([[0, 0, -1], [1, 0, 0], [0, -1, 0]], float)  # rows: axes in LPS
c_dir = (rotation([1.0, 2.0, 0.5], 12.0) @ perm.T).T
c = dict(spacing=[0.9, 1.7, 3.0], origin=[120.5, -88.25, 40.0], direction=c_dir)
c_arr = rng.uniform(-500, 500, size=(4, 3, 5)).astype(np.float32)
for code in ("LPS", "RAS", "LAS", "AIL"):
    out, (sp, org, dr) = orient(c_arr, code=code, **c)
    cases.append({
        "name": f"orient {code} from x~I y~L z~A, rotated",
        "kind": "orient",
        "input": volume(c_arr, **c),
        "params": {"code": code},
        "expected": volume(out, sp, org, dr),
    })

# Crop or pad, odd and even sizes.
d = dict(spacing=[0.7, 1.3, 2.2], origin=[5.0, 6.0, -7.0], direction=a_dir.T)
d_arr = rng.uniform(-50, 50, size=(6, 5, 4)).astype(np.float32)
for target in ([3, 8, 4], [5, 9, 1], [7, 2, 6], [6, 5, 7]):
    out, org = monai_pad_or_crop(d_arr, target, -200.0, **d)
    cases.append({
        "name": f"crop or pad 6x5x4 to {target}",
        "kind": "crop_or_pad",
        "input": volume(d_arr, **d),
        "params": {"size": target, "fill": -200.0},
        "expected": volume(out, d["spacing"], org, d["direction"]),
    })

# Z-score and a window.
e = dict(spacing=[1.0, 1.0, 1.0], origin=[0.0, 0.0, 0.0], direction=np.eye(3))
e_arr = (rng.normal(40, 200, size=(5, 4, 3))).astype(np.float32)
x = e_arr.astype(np.float64)
cases.append({
    "name": "zscore",
    "kind": "zscore",
    "input": volume(e_arr, **e),
    "params": {},
    "expected": volume((x - x.mean()) / x.std(), **e),
})
cases.append({
    "name": "window 40 400",
    "kind": "window",
    "input": volume(e_arr, **e),
    "params": {"center": 40.0, "width": 400.0},
    "expected": volume(np.clip((x - 39.5) / 399.0 + 0.5, 0.0, 1.0), **e),
})

# A label map on a model grid (rotated, coarser) carried back onto a source grid.
m_dir = rotation([0.2, 0.1, 1.0], 9.0).T
m = dict(spacing=[1.9, 2.3, 3.1], origin=[-3.1, -2.2, -4.7], direction=m_dir)
m_arr = rng.integers(0, 4, size=(6, 5, 4)).astype(np.uint8)
target = {"size": [13, 9, 7], "spacing": [0.8, 1.2, 2.0], "origin": [-4.0, -3.0, -6.0],
          "direction": np.eye(3).tolist()}
out = labels_to(m_arr, target=target, m_spacing=m["spacing"], m_origin=m["origin"],
                m_direction=m["direction"])
cases.append({
    "name": "labels_to a source grid from a rotated coarser model grid",
    "kind": "labels_to",
    "input": volume(m_arr, as_int=True, **m),
    "params": {"target": {k: v for k, v in target.items()}},
    "expected": volume(out, target["spacing"], target["origin"], target["direction"], as_int=True),
})

json.dump({
    "made_by": "runner/tests/data/preprocess3d/make_golden.py",
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                 "scipy": scipy.__version__, "nibabel": nib.__version__},
    "cases": cases,
}, sys.stdout, indent=1)
sys.stdout.write("\n")
