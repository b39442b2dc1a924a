#!/usr/bin/env python3
"""Seeded generator of synthetic, radiograph-like chest DICOM images.

Everything here is synthetic: no real patient, image, dataset or model weight is
used or downloaded.  The output is deterministic byte-for-byte for a given seed
and the pinned package versions in ../requirements.txt.

Usage (from examples/chest-xray-triage/):

    python tools/generate.py            # writes data/reference/ and data/training/
    python tools/generate.py --only reference
    python tools/generate.py --only training

Layout written:

    data/reference/cxr-0001.dcm ...   committed reference (test) set
    data/reference/labels.yaml         file -> {label, patient}
    data/training/trn-00001.dcm ...    training set (git-ignored, rebuilt here)
    data/training/labels.csv           file,label,patient (git-ignored)
    data/training-patients.txt         training PatientIDs (committed, for leakage checks)

Design notes
------------
* A *patient* has fixed anatomy (body size, lung shape, rib spacing, vessel
  pattern), drawn from a per-patient RNG; each *study* of that patient adds its
  own positioning, detector, noise and finding.  So two studies of one patient
  look alike, which is exactly why train/test splits must be by patient.
* Positive cases carry a pneumothorax-like finding: a crescent at one lung apex
  that is darker (air), has no lung markings, and is bounded by a thin pleural
  line.  Its size and contrast come from a "severity" draw, so some positives
  are obvious and some are barely visible.
* Five fictional manufacturers differ in intensity mapping, contrast (gamma),
  noise, sharpness, photometric interpretation, rescale and window tags.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
    generate_uid,
)

SEED = 20240611
ROWS = COLS = 128
UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's registered root for generated UIDs
CR_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.1")
DX_PRESENTATION_STORAGE = UID("1.2.840.10008.5.1.4.1.1.1.1")

HERE = Path(__file__).resolve().parent.parent  # examples/chest-xray-triage

# ---------------------------------------------------------------------------
# Manufacturers (fictional).  Fields:
#   modality, model name, gamma (contrast), DN offset, DN gain, noise (DN at
#   full signal), blur sigma (px), P(MONOCHROME1), P(non-identity rescale),
#   P(window tags present)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Vendor:
    name: str
    model: str
    modality: str
    gamma: float
    offset: float
    gain: float
    noise: float
    blur: float
    p_mono1: float
    p_rescale: float
    p_window: float
    weight: float


VENDORS = [
    Vendor("Northwind Imaging", "NW-DX 7000", "DX", 1.00, 180.0, 3300.0, 3.0, 0.55, 0.00, 0.60, 0.90, 0.28),
    Vendor("Aurora Radiography", "Aurora CR-350", "CR", 0.80, 420.0, 2900.0, 5.0, 0.90, 0.70, 0.00, 0.50, 0.22),
    Vendor("Helix Medical Systems", "HX Flat 43", "DX", 1.20, 250.0, 3500.0, 2.5, 0.45, 0.00, 0.25, 0.70, 0.22),
    Vendor("Kestrel Diagnostics", "KD-Portable 2", "DX", 0.90, 600.0, 2400.0, 7.0, 0.75, 0.00, 0.00, 0.00, 0.14),
    Vendor("Meridian Scientific", "MS-CR Vista", "CR", 1.10, 300.0, 3100.0, 4.0, 0.70, 0.35, 0.40, 0.30, 0.14),
]

# Transfer syntax mixes.  The reference set is committed, so it leans on JPEG 2000
# lossless to stay within the ~5 MB budget (an uncompressed 128x128 file is
# ~34 KB, a JPEG 2000 lossless one ~12 KB, RLE/Deflate ~25 KB).  The training set
# (not committed) is mostly Explicit VR Little Endian.
TS_REFERENCE = [
    (ExplicitVRLittleEndian, 0.12),
    (JPEG2000Lossless, 0.72),
    (RLELossless, 0.05),
    (DeflatedExplicitVRLittleEndian, 0.08),
    (ImplicitVRLittleEndian, 0.03),
]
TS_TRAINING = [
    (ExplicitVRLittleEndian, 0.70),
    (JPEG2000Lossless, 0.10),
    (RLELossless, 0.08),
    (DeflatedExplicitVRLittleEndian, 0.06),
    (ImplicitVRLittleEndian, 0.06),
]

PREVALENCE = 0.35


# ---------------------------------------------------------------------------
# Small numeric helpers (pure numpy, deterministic)
# ---------------------------------------------------------------------------


def _gauss_matrix(n: int, sigma: float) -> np.ndarray:
    """n x n matrix applying a 1-D Gaussian blur with edge renormalisation."""
    if sigma <= 0:
        return np.eye(n)
    i = np.arange(n)
    g = np.exp(-0.5 * ((i[:, None] - i[None, :]) / sigma) ** 2)
    return g / g.sum(axis=1, keepdims=True)


_GCACHE: dict[tuple[int, float], np.ndarray] = {}


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    key = (img.shape[0], round(sigma, 4))
    if key not in _GCACHE:
        _GCACHE[key] = _gauss_matrix(img.shape[0], sigma)
    g = _GCACHE[key]
    return g @ img @ g.T


def smoothstep_edge(d: np.ndarray, width: float) -> np.ndarray:
    """0 -> 1 soft step for signed distance d (positive = inside)."""
    return 1.0 / (1.0 + np.exp(-d / max(width, 1e-6)))


def seg_dist(x, y, x0, y0, x1, y1):
    dx, dy = x1 - x0, y1 - y0
    L2 = dx * dx + dy * dy + 1e-12
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / L2, 0.0, 1.0)
    return np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))


# ---------------------------------------------------------------------------
# Anatomy and finding
# ---------------------------------------------------------------------------


def patient_anatomy(rng: np.random.Generator) -> dict:
    a = {
        "body_w": rng.uniform(0.40, 0.48),  # half-widths as fraction of image
        "body_h": rng.uniform(0.55, 0.65),
        "lung_ax": rng.uniform(0.15, 0.19),
        "lung_ay": rng.uniform(0.28, 0.34),
        "lung_dx": rng.uniform(0.19, 0.23),
        "lung_cy": rng.uniform(0.47, 0.53),
        "heart_r": rng.uniform(0.12, 0.17),
        "rib_spacing": rng.uniform(0.085, 0.105),
        "rib_curve": rng.uniform(1.2, 2.0),
        "soft": rng.uniform(0.50, 0.60),
    }
    # vessel trees: per lung, a list of segments in lung-normalised coordinates
    trees = []
    for _side in range(2):
        segs = []
        for _ in range(int(rng.integers(14, 20))):
            ang = rng.uniform(-2.6, 1.9)  # 0 = lateral, negative = up
            length = rng.uniform(0.5, 1.05)
            bend = rng.uniform(-0.25, 0.25)
            segs.append((ang, length, bend, rng.uniform(0.6, 1.0)))
        trees.append(segs)
    a["trees"] = trees
    a["texture_seed"] = int(rng.integers(0, 2**31 - 1))
    return a


def render(anat: dict, study: dict, rng: np.random.Generator) -> np.ndarray:
    """Return an attenuation-like image in [0, 1] (bright = dense)."""
    n = ROWS
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float64)
    # positioning
    sx = 1.0 + study["scale"]
    cxi = n / 2 + study["shift_x"]
    cyi = n / 2 + study["shift_y"]
    rot = study["rot"]
    c, s = np.cos(rot), np.sin(rot)
    X = ((xx - cxi) * c + (yy - cyi) * s) / (n * sx)  # normalised, ~[-0.5,0.5]
    Y = (-(xx - cxi) * s + (yy - cyi) * c) / (n * sx) + 0.5
    px = 1.0 / (n * sx)  # one pixel in normalised units

    img = np.full((n, n), 0.04)
    # body (wider at shoulders)
    bw = anat["body_w"] * (1.0 + 0.10 * np.clip(0.45 - Y, 0, None))
    rb = np.sqrt((X / bw) ** 2 + ((Y - 0.58) / anat["body_h"]) ** 2)
    body = smoothstep_edge((1.0 - rb) * anat["body_w"], 1.5 * px)
    img += (anat["soft"] - 0.04) * body
    # spine / mediastinum
    img += 0.18 * smoothstep_edge(0.06 - np.abs(X), 1.5 * px) * body
    # heart (image right = patient left)
    rh = np.hypot((X - 0.05) / (anat["heart_r"] * 1.15), (Y - 0.66) / anat["heart_r"])
    img += 0.14 * smoothstep_edge((1.0 - rh) * anat["heart_r"], 1.2 * px)

    tex_rng = np.random.default_rng(anat["texture_seed"])
    tex = 1.5 * blur(tex_rng.standard_normal((n, n)), 1.6) - 1.5 * blur(tex_rng.standard_normal((n, n)), 3.5)

    lungs = np.zeros((n, n))
    markings = np.zeros((n, n))
    ribs = np.zeros((n, n))
    pleura = np.zeros((n, n))
    ptx = np.zeros((n, n))
    for side in (0, 1):
        sign = -1.0 if side == 0 else 1.0  # image left / right
        lcx = sign * anat["lung_dx"]
        lcy = anat["lung_cy"]
        ax, ay = anat["lung_ax"], anat["lung_ay"]
        u = (X - lcx) / ax
        v = (Y - lcy) / ay
        # flatten the medial-lower part for the heart on the image-right lung
        r = np.sqrt(u**2 + v**2)
        lung = smoothstep_edge((1.0 - r) * ax, 1.0 * px)
        lungs = np.maximum(lungs, lung)
        # vessels from the hilum
        hx, hy = lcx - sign * 0.45 * ax, lcy + 0.05 * ay
        for ang, length, bend, amp in anat["trees"][side]:
            a0 = ang
            if sign < 0:  # mirror so that angle 0 is lateral
                a0 = np.pi - ang
            # two sub-segments for a slight bend
            mx = hx + np.cos(a0) * ax * length * 0.5
            my = hy + np.sin(a0) * ay * length * 0.5
            a1 = a0 + bend * sign
            ex = mx + np.cos(a1) * ax * length * 0.55
            ey = my + np.sin(a1) * ay * length * 0.55
            d = np.minimum(seg_dist(X, Y, hx, hy, mx, my) / 1.3, seg_dist(X, Y, mx, my, ex, ey))
            dh = np.hypot((X - hx) / ax, (Y - hy) / ay)
            markings += amp * np.exp(-0.5 * (d / (0.7 * px)) ** 2) / (1.0 + 1.5 * dh)
        # ribs: arcs across the lung, posterior-rib-like
        phase = (Y - 0.17 - anat["rib_curve"] * (X - lcx + sign * 0.10) ** 2) / anat["rib_spacing"]
        band = 0.5 + 0.5 * np.cos(2 * np.pi * phase)
        ribs += (band**4) * lung

        if study["label"] == 1 and study["ptx_side"] == side:
            f = study["finding"]
            # phi: 0 = apex (up), positive towards lateral
            lat = u * sign  # lateral positive
            phi = np.arctan2(lat, -v)
            phi0, phi1 = f["phi0"], f["phi1"]
            t = np.clip((phi - phi0) / (phi1 - phi0), 0.0, 1.0)
            inside_arc = smoothstep_edge(np.minimum(phi - phi0, phi1 - phi), 0.05)
            depth = f["depth"] * np.sin(np.pi * np.clip(t, 0.02, 0.98)) ** 0.6
            edge_r = 1.0 - depth
            region = smoothstep_edge((r - edge_r) * ax, 0.6 * px) * inside_arc * lung
            ptx = np.maximum(ptx, region)
            line = np.exp(-0.5 * (((r - edge_r) * ax) / (0.6 * px)) ** 2) * inside_arc * (r < 1.0)
            pleura = np.maximum(pleura, line * f["line"])

    # ptx is applied below
    lung_tissue = lungs * (1.0 - ptx)
    img -= 0.30 * lungs
    img += 0.06 * ribs
    img += 0.08 * markings * lung_tissue
    img += 0.05 * tex * lung_tissue
    if study["label"] == 1:
        f = study["finding"]
        img -= f["delta"] * ptx
        img += 0.06 * pleura
    # clavicles
    for sign in (-1.0, 1.0):
        d = seg_dist(X, Y, sign * 0.04, 0.17, sign * 0.30, 0.11)
        img += 0.08 * np.exp(-0.5 * (d / (2.2 * px)) ** 2) * body
    # skin fold confounder in some negatives and positives alike
    if study["skinfold"]:
        sg = study["skinfold"]
        d = np.abs((X - sg[0]) * np.cos(sg[1]) + (Y - 0.45) * np.sin(sg[1]))
        img += 0.02 * np.exp(-0.5 * (d / (0.8 * px)) ** 2) * lungs * (np.abs(Y - 0.45) < 0.2)
    # heel effect / low-frequency gradient
    img *= 1.0 + study["heel"] * (Y - 0.5)
    return np.clip(img, 0.0, 1.0)


def draw_finding(rng: np.random.Generator) -> dict:
    # severity in [0,1]: beta skewed so a good share of cases are subtle
    sev = rng.beta(1.2, 1.0)
    return {
        "severity": float(sev),
        "depth": 0.10 + 0.50 * sev * rng.uniform(0.7, 1.2),
        "delta": 0.02 + 0.16 * sev * rng.uniform(0.7, 1.3),
        "line": float(np.clip(0.15 + 0.9 * sev * rng.uniform(0.4, 1.3), 0, 1)),
        "phi0": rng.uniform(-0.7, -0.2),
        "phi1": rng.uniform(0.9, 1.9),
    }


def detector(att: np.ndarray, vendor: Vendor, study: dict, rng: np.random.Generator) -> np.ndarray:
    """Map attenuation to 12-bit stored values (MONOCHROME2 sense)."""
    sig = att ** (vendor.gamma * study["gamma_jitter"])
    sig = blur(sig, vendor.blur)
    dn = vendor.offset + vendor.gain * study["exposure"] * sig
    # quantum-like noise: grows with the square root of the signal
    sd = vendor.noise * study["noise_jitter"] * np.sqrt(np.clip(sig, 0.02, 1.0))
    dn = dn + sd * rng.standard_normal(dn.shape)
    return np.clip(np.rint(dn), 0, 4095).astype(np.uint16)


# ---------------------------------------------------------------------------
# DICOM writing
# ---------------------------------------------------------------------------


def uid_for(*parts) -> UID:
    return generate_uid(prefix=UID_ROOT, entropy_srcs=[str(SEED)] + [str(p) for p in parts])


def choose(rng: np.random.Generator, items_weights):
    items = [i for i, _ in items_weights]
    w = np.array([w for _, w in items_weights], dtype=float)
    return items[int(rng.choice(len(items), p=w / w.sum()))]


def build_dataset(case: dict, stored: np.ndarray, rng: np.random.Generator) -> Dataset:
    vendor: Vendor = case["vendor"]
    ts: UID = case["ts"]
    ds = Dataset()
    sop_class = DX_PRESENTATION_STORAGE if vendor.modality == "DX" else CR_IMAGE_STORAGE
    study_uid = uid_for(case["set"], case["patient"], case["study_no"], "study")
    series_uid = uid_for(case["set"], case["patient"], case["study_no"], "series")
    sop_uid = uid_for(case["set"], case["patient"], case["study_no"], "instance")

    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ""
    ds.StudyTime = ""
    ds.AccessionNumber = ""
    ds.Modality = vendor.modality
    ds.Manufacturer = vendor.name
    ds.ReferringPhysicianName = ""
    ds.ManufacturerModelName = vendor.model
    # Patient module (de-identified; pseudonymous case id; retained sex/age)
    ds.PatientName = ""
    ds.PatientID = case["patient"]
    ds.PatientBirthDate = ""
    ds.PatientSex = case["sex"]
    ds.PatientAge = f"{case['age']:03d}Y"
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = [
        "DICOM PS3.15 E.1 Basic Profile",
        "Retain Patient Characteristics Option",
        "synthetic image, no source patient",
    ]
    codes = []
    for value, meaning in (
        ("113100", "Basic Application Confidentiality Profile"),
        ("113108", "Retain Patient Characteristics Option"),
    ):
        item = Dataset()
        item.CodeValue = value
        item.CodingSchemeDesignator = "DCM"
        item.CodeMeaning = meaning
        codes.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(codes)
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = case["view"]
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = ""
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ["L", "F"] if case["view"] == "AP" else ["R", "F"]
    # Image pixel module
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = case["photometric"]
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.ImagerPixelSpacing = [2.8, 2.8]
    ds.BurnedInAnnotation = "NO"
    ds.RecognizableVisualFeatures = "NO"
    ds.LongitudinalTemporalInformationModified = "REMOVED"
    if vendor.modality == "DX":
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.PixelIntensityRelationship = "LOG"
        ds.PixelIntensityRelationshipSign = 1 if case["photometric"] == "MONOCHROME2" else -1
    slope, intercept = case["rescale"]
    if vendor.modality == "DX" or (slope, intercept) != (1.0, 0.0):
        ds.RescaleIntercept = f"{intercept:g}"
        ds.RescaleSlope = f"{slope:g}"
        ds.RescaleType = "US"
    if case["window"] is not None:
        wc, ww = case["window"]
        ds.WindowCenter = [f"{c:g}" for c in wc] if len(wc) > 1 else f"{wc[0]:g}"
        ds.WindowWidth = [f"{w:g}" for w in ww] if len(ww) > 1 else f"{ww[0]:g}"
    ds.PixelData = stored.astype("<u2").tobytes()
    ds["PixelData"].VR = "OW"

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID(UID_ROOT + "20240611.1")
    meta.ImplementationVersionName = "CLIC_CXR_GEN_1"
    ds.file_meta = meta
    ds.preamble = b"\0" * 128

    if ts in (RLELossless, JPEG2000Lossless):
        if ts == RLELossless:
            ds.compress(ts, encoding_plugin="pydicom", generate_instance_uid=False)
        else:
            ds.compress(ts, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    else:
        ds.file_meta.TransferSyntaxUID = ts
    return ds


def make_case(set_name: str, idx: int, patient: str, study_no: int, anat_seed, label: int,
              demo: dict, ts_mix) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng([SEED, 1 if set_name == "reference" else 2, idx, 7])
    anat = patient_anatomy(np.random.default_rng(anat_seed))
    vendor = choose(rng, [(v, v.weight) for v in VENDORS])
    view = "AP" if (vendor.model.startswith("KD") or rng.random() < 0.15) else "PA"
    study = {
        "label": label,
        "scale": rng.uniform(-0.06, 0.06),
        "shift_x": rng.uniform(-4, 4),
        "shift_y": rng.uniform(-4, 4),
        "rot": rng.uniform(-0.06, 0.06),
        "heel": rng.uniform(-0.15, 0.15),
        "gamma_jitter": rng.uniform(0.92, 1.08),
        "exposure": rng.uniform(0.85, 1.1),
        "noise_jitter": rng.uniform(0.8, 1.25),
        "skinfold": (rng.uniform(-0.35, 0.35), rng.uniform(-0.4, 0.4)) if rng.random() < 0.2 else None,
        "ptx_side": int(rng.integers(0, 2)),
        "finding": draw_finding(rng),
    }
    att = render(anat, study, rng)
    stored = detector(att, vendor, study, rng)  # MONOCHROME2 sense, 0..4095

    photometric = "MONOCHROME1" if rng.random() < vendor.p_mono1 else "MONOCHROME2"
    if photometric == "MONOCHROME1":
        stored = (4095 - stored).astype(np.uint16)
    if rng.random() < vendor.p_rescale:
        rescale = choose(rng, [((0.5, -1024.0), 1), ((2.0, 0.0), 1), ((1.0, -2048.0), 1), ((0.25, 100.0), 1)])
    else:
        rescale = (1.0, 0.0)
    window = None
    if rng.random() < vendor.p_window:
        mod = stored.astype(np.float64) * rescale[0] + rescale[1]
        lo, hi = np.percentile(mod, [0.5, 99.5])
        lo -= rng.uniform(0.0, 0.1) * (hi - lo)
        hi += rng.uniform(0.0, 0.1) * (hi - lo)
        wc, ww = [round((lo + hi) / 2)], [max(2, round(hi - lo))]
        if rng.random() < 0.15:  # a second (narrower) window; readers use the first
            wc.append(wc[0] + 50)
            ww.append(max(2, round(ww[0] * 0.6)))
        window = (wc, ww)
    case = {
        "set": set_name,
        "patient": patient,
        "study_no": study_no,
        "vendor": vendor,
        "ts": choose(rng, ts_mix),
        "photometric": photometric,
        "rescale": rescale,
        "window": window,
        "view": view,
        "label": label,
        "severity": study["finding"]["severity"] if label else 0.0,
        **demo,
    }
    return case, stored


def plan(set_name: str, n_patients: int, p_second: float, prefix: str, width: int):
    """Patients and their studies, shuffled into file order."""
    rng = np.random.default_rng([SEED, 1 if set_name == "reference" else 2, 0])
    studies = []
    for p in range(n_patients):
        pid = f"{prefix}-{p + 1:0{width}d}"
        sex = "F" if rng.random() < 0.5 else "M"
        age = int(np.clip(round(rng.normal(58, 17)), 18, 90))
        n_st = 2 if rng.random() < p_second else 1
        anat_seed = [SEED, 1 if set_name == "reference" else 2, p, 3]
        for k in range(n_st):
            label = int(rng.random() < PREVALENCE)
            studies.append({"patient": pid, "study_no": k + 1, "anat_seed": anat_seed, "label": label,
                            "demo": {"sex": sex, "age": min(90, age + k)}})
    order = rng.permutation(len(studies))
    return [studies[i] for i in order]


def write_set(set_name: str, out: Path, n_patients: int, p_second: float, prefix: str, width: int,
              fname_fmt: str, ts_mix) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.dcm"):
        old.unlink()
    rows = []
    for idx, st in enumerate(plan(set_name, n_patients, p_second, prefix, width)):
        case, stored = make_case(set_name, idx, st["patient"], st["study_no"], st["anat_seed"],
                                 st["label"], st["demo"], ts_mix)
        ds = build_dataset(case, stored, np.random.default_rng([SEED, idx, 11]))
        fname = fname_fmt.format(idx + 1)
        ds.save_as(out / fname, enforce_file_format=True)
        rows.append({"file": fname, **case})
        if (idx + 1) % 500 == 0:
            print(f"  {set_name}: {idx + 1} files", file=sys.stderr)
    return rows


LABELS_HEADER = """\
# Reference labels for the chest-xray-triage example (synthetic data).
#
# Format: a YAML mapping.  Each key is a DICOM file name relative to
# data/reference/; each value is a mapping with exactly two keys:
#   label:   1 = pneumothorax-like finding present, 0 = absent (ground truth
#            known by construction: the generator drew it)
#   patient: the pseudonymous PatientID (0010,0020) stored in that file
#            ("REF-nnnn"); a patient may have up to two studies here.
# Keys are in file-name order.  Written by tools/generate.py; do not edit.
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["reference", "training"], help="generate only one set")
    ap.add_argument("--out", default=str(HERE / "data"), help="output data directory")
    ap.add_argument("--train-patients", type=int, default=3600)
    args = ap.parse_args()
    data = Path(args.out)

    if args.only in (None, "reference"):
        rows = write_set("reference", data / "reference", 275, 0.12, "REF", 4, "cxr-{:04d}.dcm", TS_REFERENCE)
        with open(data / "reference" / "labels.yaml", "w", newline="\n") as f:
            f.write(LABELS_HEADER)
            for r in sorted(rows, key=lambda r: r["file"]):
                f.write(f"{r['file']}: {{label: {r['label']}, patient: {r['patient']}}}\n")
        n_pos = sum(r["label"] for r in rows)
        print(f"reference: {len(rows)} files, {n_pos} positive ({n_pos / len(rows):.1%}), "
              f"{len({r['patient'] for r in rows})} patients")
    if args.only in (None, "training"):
        rows = write_set("training", data / "training", args.train_patients, 0.10, "TRN", 5,
                         "trn-{:05d}.dcm", TS_TRAINING)
        with open(data / "training" / "labels.csv", "w", newline="\n") as f:
            f.write("file,label,patient,severity\n")
            for r in sorted(rows, key=lambda r: r["file"]):
                f.write(f"{r['file']},{r['label']},{r['patient']},{r['severity']:.4f}\n")
        patients = sorted({r["patient"] for r in rows})
        with open(data / "training-patients.txt", "w", newline="\n") as f:
            f.write("".join(p + "\n" for p in patients))
        n_pos = sum(r["label"] for r in rows)
        print(f"training: {len(rows)} files, {n_pos} positive ({n_pos / len(rows):.1%}), "
              f"{len(patients)} patients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
