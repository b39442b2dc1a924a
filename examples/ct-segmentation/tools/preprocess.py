"""Preprocessing of the ct-segmentation example, and the mapping of a predicted label map
back to the source series: the normative definition of the manifest's `input "ct"` block
(model/PREPROCESSING.md says the same in words). All arithmetic in float64; the tensor is
cast to float32 at the very end.

Coordinates as runner/src/volume/mod.rs: patient coordinates (LPS, mm); a volume is
indexed [z, y, x] in numpy (x = columns, along ImageOrientationPatient[0:3]; y = rows,
along IOP[3:6]; z = slices, along the normal with increasing position); `origin` is the
centre of voxel (0, 0, 0); `dirs[a]` is the unit vector of axis a (x, y, z).

Steps, for one series:
  1. assemble: single-frame files sorted by their position along the slice normal
     (normal = cross(IOP row, IOP column)); an Enhanced CT object's frames by their
     PlanePositionSequence the same way. Spacing x, y from PixelSpacing (column spacing,
     row spacing), z from the distance between the first two positions.
  2. rescale from dicom: HU = stored * RescaleSlope + RescaleIntercept.
  3. clip -200 to 300.
  4. resample 6 x 6 x 6 mm linear: per axis a, new size m = floor(n * s / s' + 0.5);
     new voxel i samples the old index u = i * s' / s (voxel 0's centre kept), clamped
     to [0, n - 1]; linear between floor(u) and floor(u) + 1 (separable, = trilinear).
  5. orient LPS: axes permuted and flipped so that x, y, z point to +L, +P, +S; the
     origin becomes the centre of the voxel that is now first.
  6. crop or pad 56 x 56 x 32 fill -200: per axis, centred with floor splits: a longer
     axis loses floor((n - T) / 2) voxels at its start, a shorter one gains
     floor((T - n) / 2) at its start, filled with -200; the origin moves with them.
  7. normalize zscore: (v - mean) / std over all voxels of the result (std with 1/N;
     all zeros if std is 0). Tensor [1, 32, 56, 56] = [1, z, y, x], float32.

The model's label map (argmax over its 3 channels) lives on the grid of step 6. It is
mapped back to the source series by nearest neighbour through patient coordinates: each
source voxel's centre p, its fractional index q on the model grid, floor(q + 0.5); a
source voxel outside the model grid is background.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom

CLIP = (-200.0, 300.0)
SPACING = (6.0, 6.0, 6.0)  # x, y, z mm
SIZE = (56, 56, 32)  # x, y, z
FILL = -200.0
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"


class Geo:
    """size (x, y, z), spacing (x, y, z), origin (LPS mm), dirs (3 x 3, rows = x, y, z axes)."""

    def __init__(self, size, spacing, origin, dirs):
        self.size = tuple(int(v) for v in size)
        self.spacing = tuple(float(v) for v in spacing)
        self.origin = np.asarray(origin, dtype=np.float64)
        self.dirs = np.asarray(dirs, dtype=np.float64)

    def world(self, ijk: np.ndarray) -> np.ndarray:
        """Patient positions of fractional indices ijk (..., 3) ordered x, y, z."""
        return self.origin + sum(ijk[..., a, None] * self.spacing[a] * self.dirs[a] for a in range(3))

    def index(self, p: np.ndarray) -> np.ndarray:
        d = p - self.origin
        return np.stack([(d @ self.dirs[a]) / self.spacing[a] for a in range(3)], axis=-1)

    def as_dict(self) -> dict:
        return {"size": list(self.size), "spacing": list(self.spacing), "origin": self.origin.tolist(),
                "direction": self.dirs.tolist()}


def _floats(v) -> list[float]:
    return [float(x) for x in v]


def read_series(folder: Path) -> tuple[Geo, np.ndarray, list[pydicom.Dataset]]:
    """The series in folder: geometry, HU volume [z, y, x] and the datasets (slice order)."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix == ".dcm")
    dss = [pydicom.dcmread(p) for p in files]
    if len(dss) == 1 and dss[0].SOPClassUID == ENHANCED_CT:
        ds = dss[0]
        shared = ds.SharedFunctionalGroupsSequence[0]
        iop = _floats(shared.PlaneOrientationSequence[0].ImageOrientationPatient)
        ps = _floats(shared.PixelMeasuresSequence[0].PixelSpacing)
        pvt = shared.PixelValueTransformationSequence[0]
        slope, intercept = float(pvt.RescaleSlope), float(pvt.RescaleIntercept)
        positions = [np.array(_floats(f.PlanePositionSequence[0].ImagePositionPatient))
                     for f in ds.PerFrameFunctionalGroupsSequence]
        frames = ds.pixel_array.astype(np.float64)
        planes = [frames[i] for i in range(frames.shape[0])]
    else:
        iop = _floats(dss[0].ImageOrientationPatient)
        ps = _floats(dss[0].PixelSpacing)
        slope, intercept = float(dss[0].RescaleSlope), float(dss[0].RescaleIntercept)
        positions = [np.array(_floats(d.ImagePositionPatient)) for d in dss]
        planes = [d.pixel_array.astype(np.float64) for d in dss]
    row, col = np.array(iop[:3]), np.array(iop[3:])
    normal = np.cross(row, col)
    key = [float(p @ normal) for p in positions]
    order = np.argsort(key, kind="stable")
    positions = [positions[i] for i in order]
    vol = np.stack([planes[i] for i in order]) * slope + intercept
    dz = float(np.linalg.norm(positions[1] - positions[0])) if len(positions) > 1 else 1.0
    geo = Geo((vol.shape[2], vol.shape[1], vol.shape[0]), (ps[1], ps[0], dz), positions[0],
              [row, col, normal])
    dss_sorted = [dss[i] for i in order] if len(dss) > 1 else dss
    return geo, vol, dss_sorted


def round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def _resample_axis(v: np.ndarray, axis: int, n_new: int, ratio: float) -> np.ndarray:
    """Linear along one numpy axis: new i samples old u = i * ratio, clamped."""
    n = v.shape[axis]
    u = np.clip(np.arange(n_new) * ratio, 0.0, n - 1.0)
    i0 = np.floor(u).astype(int)
    i1 = np.minimum(i0 + 1, n - 1)
    f = u - i0
    a = np.take(v, i0, axis=axis)
    b = np.take(v, i1, axis=axis)
    shape = [1] * v.ndim
    shape[axis] = n_new
    f = f.reshape(shape)
    return a * (1.0 - f) + b * f


def resample(vol: np.ndarray, geo: Geo, spacing=SPACING) -> tuple[np.ndarray, Geo]:
    new_size = [round_half_up(geo.size[a] * geo.spacing[a] / spacing[a]) for a in range(3)]
    out = vol
    for a in range(3):  # a: x, y, z -> numpy axis 2, 1, 0
        out = _resample_axis(out, 2 - a, new_size[a], spacing[a] / geo.spacing[a])
    return out, Geo(new_size, spacing, geo.origin, geo.dirs)


def orient_lps(vol: np.ndarray, geo: Geo) -> tuple[np.ndarray, Geo]:
    """Permute and flip so that axis a points along +e_a (oblique-free volumes)."""
    src_for = []  # for each target axis t, the source axis and its sign
    for t in range(3):
        a = int(np.argmax([abs(geo.dirs[s][t]) for s in range(3)]))
        src_for.append((a, 1.0 if geo.dirs[a][t] > 0 else -1.0))
    # numpy axes: target t is numpy axis 2 - t; source a is numpy axis 2 - a
    perm = [2 - src_for[2 - nt][0] for nt in range(3)]
    out = np.transpose(vol, perm)
    corner = [0.0, 0.0, 0.0]
    for t, (a, sgn) in enumerate(src_for):
        if sgn < 0:
            out = np.flip(out, axis=2 - t)
            corner[a] = geo.size[a] - 1
    origin = geo.world(np.array(corner))
    size = [geo.size[src_for[t][0]] for t in range(3)]
    spacing = [geo.spacing[src_for[t][0]] for t in range(3)]
    return np.ascontiguousarray(out), Geo(size, spacing, origin, np.eye(3))


def crop_or_pad(vol: np.ndarray, geo: Geo, size=SIZE, fill=FILL) -> tuple[np.ndarray, Geo]:
    out = vol
    origin = geo.origin.copy()
    for a in range(3):
        ax = 2 - a
        n, t = out.shape[ax], size[a]
        if n >= t:
            start = (n - t) // 2
            out = np.take(out, np.arange(start, start + t), axis=ax)
            origin = origin + start * geo.spacing[a] * geo.dirs[a]
        else:
            before = (t - n) // 2
            pad = [(0, 0)] * 3
            pad[ax] = (before, t - n - before)
            out = np.pad(out, pad, constant_values=fill)
            origin = origin - before * geo.spacing[a] * geo.dirs[a]
    return out, Geo(size, geo.spacing, origin, geo.dirs)


def zscore(v: np.ndarray) -> np.ndarray:
    m, s = float(v.mean()), float(v.std())
    return np.zeros_like(v) if s == 0 else (v - m) / s


def preprocess(vol_hu: np.ndarray, geo: Geo) -> tuple[np.ndarray, Geo]:
    """Steps 3-7: the model tensor [1, z, y, x] float32 and the model grid's geometry."""
    v = np.clip(vol_hu, *CLIP)
    v, g = resample(v, geo)
    v, g = orient_lps(v, g)
    v, g = crop_or_pad(v, g)
    return zscore(v).astype(np.float32)[None], g


def labels_back(labels: np.ndarray, model_geo: Geo, geo: Geo) -> tuple[np.ndarray, float]:
    """Nearest-neighbour map of a model-grid label map [z, y, x] to the source grid.

    Also returns the smallest distance of any fractional index from a rounding tie (.5),
    so that a caller can check the mapping is not ambiguous.
    """
    nx, ny, nz = geo.size
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    ijk = np.stack([i, j, k], axis=-1).astype(np.float64)
    q = model_geo.index(geo.world(ijk))
    tie = float(np.min(np.abs(np.abs(q - np.floor(q)) - 0.5)))
    r = np.floor(q + 0.5).astype(int)
    inside = np.all((r >= 0) & (r < np.array(model_geo.size)), axis=-1)
    out = np.zeros((nz, ny, nx), dtype=np.uint8)
    rr = r[inside]
    out[inside] = labels[rr[:, 2], rr[:, 1], rr[:, 0]]
    return out, tie
