"""Preprocessing of the cxr-findings example: tools/make_models.py (calibration on the
development studies, reference scores) and examples/failing/tools/build_findings.py.

A copy of examples/chest-xray-triage/tools/preprocess.py: both examples declare the same
`input` block.  This file is the normative definition; model/PREPROCESSING.md describes
the same steps in words for the Rust re-implementation.  All arithmetic is done in
float64 and the result is cast to float32 at the very end.

Steps, for one single-frame grayscale DICOM image:
  1. stored values S (unsigned/signed integers as decoded, no masking needed here)
  2. modality LUT:  M = S * RescaleSlope + RescaleIntercept  (defaults 1 and 0)
  3. VOI window to [0, 1]:
       - if WindowCenter and WindowWidth are present (first value of each when
         multi-valued) and width >= 1:  DICOM PS3.3 C.11.2.1.2.1 "LINEAR":
           y = clip((M - (c - 0.5)) / (w - 1) + 0.5, 0, 1)        (w > 1)
           y = (M > c - 0.5) ? 1 : 0                              (w == 1)
       - otherwise min-max:  y = (M - min(M)) / (max(M) - min(M)), or all 0 if
         max == min
  4. if PhotometricInterpretation is MONOCHROME1:  y = 1 - y
     (this is the inversion of the value across the window range)
  5. resize to 64 x 64, bilinear, half-pixel centres, no antialiasing
     (same as OpenCV INTER_LINEAR / PyTorch align_corners=False without antialias):
       for output index i in [0, out):  src = (i + 0.5) * (in / out) - 0.5
       src clamped to [0, in - 1];  i0 = floor(src);  i1 = min(i0 + 1, in - 1)
       frac = src - i0; value = (1 - frac) * v[i0] + frac * v[i1]
     applied along rows (y) and columns (x) separably (the result is identical
     to the 2-D bilinear formula).
  6. normalise:  x = (y - 0.5) / 0.25, cast to float32, shape [1, 64, 64].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom

OUT_SIZE = 64
MEAN = 0.5
STD = 0.25


def _first(value) -> float:
    """First value of a possibly multi-valued DS element."""
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        value = value[0]
    return float(value)


def modality_lut(stored: np.ndarray, slope: float = 1.0, intercept: float = 0.0) -> np.ndarray:
    return stored.astype(np.float64) * float(slope) + float(intercept)


def window_to_unit(m: np.ndarray, center: float | None, width: float | None) -> np.ndarray:
    if center is not None and width is not None and width >= 1.0:
        c, w = float(center), float(width)
        if w == 1.0:
            return (m > c - 0.5).astype(np.float64)
        return np.clip((m - (c - 0.5)) / (w - 1.0) + 0.5, 0.0, 1.0)
    lo, hi = float(m.min()), float(m.max())
    if hi == lo:
        return np.zeros_like(m, dtype=np.float64)
    return (m - lo) / (hi - lo)


def _resize_weights(n_in: int, n_out: int):
    scale = n_in / n_out
    src = (np.arange(n_out, dtype=np.float64) + 0.5) * scale - 0.5
    src = np.clip(src, 0.0, n_in - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    return i0, i1, frac


def resize_bilinear(img: np.ndarray, out_h: int = OUT_SIZE, out_w: int = OUT_SIZE) -> np.ndarray:
    h, w = img.shape
    y0, y1, fy = _resize_weights(h, out_h)
    x0, x1, fx = _resize_weights(w, out_w)
    rows = img[y0, :] * (1.0 - fy)[:, None] + img[y1, :] * fy[:, None]
    return rows[:, x0] * (1.0 - fx)[None, :] + rows[:, x1] * fx[None, :]


def preprocess_array(stored: np.ndarray, slope=1.0, intercept=0.0, center=None, width=None,
                     photometric: str = "MONOCHROME2") -> np.ndarray:
    m = modality_lut(stored, slope, intercept)
    y = window_to_unit(m, center, width)
    if photometric == "MONOCHROME1":
        y = 1.0 - y
    r = resize_bilinear(y)
    return ((r - MEAN) / STD).astype(np.float32)[None, :, :]


def preprocess_dataset(ds: pydicom.Dataset) -> np.ndarray:
    stored = ds.pixel_array  # stored values, no modality/VOI LUT applied by pydicom
    if stored.ndim != 2:
        raise ValueError(f"expected a single-frame grayscale image, got shape {stored.shape}")
    slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
    center = width = None
    if "WindowCenter" in ds and "WindowWidth" in ds and ds.WindowCenter is not None and ds.WindowWidth is not None:
        center, width = _first(ds.WindowCenter), _first(ds.WindowWidth)
    return preprocess_array(stored, slope, intercept, center, width, str(ds.PhotometricInterpretation))


def preprocess_file(path: str | Path) -> np.ndarray:
    return preprocess_dataset(pydicom.dcmread(path))
