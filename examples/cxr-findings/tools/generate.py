#!/usr/bin/env python3
"""Seeded generator of synthetic chest radiograph studies with three findings.

Everything here is synthetic: no real patient, image, dataset or model weight is
used or downloaded.  The output is deterministic byte-for-byte for the fixed seed
and the pinned package versions in ../requirements.txt (no timestamps, no random
UIDs: every UID is a hash of the seed and the case under a fixed root).

Usage (from examples/cxr-findings/):

    python tools/generate.py          # writes data/reference/ and data/training-patients.txt

Layout written:

    data/reference/st-0001-frontal.dcm   the frontal (PA or AP) image of study 1
    data/reference/st-0001-lateral.dcm   its lateral (LL or LATERAL) image
    ...
    data/reference/labels.csv            one row per study: StudyInstanceUID and 0/1 per finding
    data/training-patients.txt           the development (training) PatientIDs, one a line
    data/readers.csv                     three synthetic readers' reads of the studies (tools/readers.py)

The development studies (patients TRN-nnnnn) are not written: tools/make_models.py
renders them in memory with the functions below, to set the models' calibration.

Design notes
------------
* A *patient* has fixed anatomy (body size, lung shape, rib spacing, vessels) and
  a cardiothoracic ratio; each *study* adds its own positioning, detector, noise
  and findings.  A patient has one to three studies, so studies of one patient are
  alike (the unit of analysis is the study, the independent unit the patient).
* Each study is a frontal image (PA, or AP for the portable unit) and a lateral one.
  Three findings, each present or absent per study:
  - pneumothorax: a darker crescent at one lung apex with no lung markings, bounded
    by a thin pleural line (severity drawn per case, some barely visible);
  - pleural effusion: fluid density filling one or both costophrenic angles, with
    a meniscus rising laterally;
  - cardiomegaly: a wide cardiac silhouette (cardiothoracic ratio above 0.5; the
    ratio is a trait of the patient, jittered per study).
  All three are drawn on the frontal image; the lateral shows them more weakly.
* Five fictional manufacturers differ in intensity mapping, contrast, noise,
  sharpness, bit depth (12, 14 or 16 bits stored), photometric interpretation,
  rescale and window tags, and how they name the lateral view.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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

SEED = 20261115
ROWS = COLS = 128
UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's registered root for generated UIDs
CR_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.1")
DX_PRESENTATION_STORAGE = UID("1.2.840.10008.5.1.4.1.1.1.1")
FINDINGS = ("pneumothorax", "effusion", "cardiomegaly")

HERE = Path(__file__).resolve().parent.parent  # examples/cxr-findings

# Patients of the reference set by number of studies: 28 with one, 20 with two and
# 12 with three (60 patients, 104 studies, 208 images).
STUDY_COUNTS = [1] * 28 + [2] * 20 + [3] * 12
# Development (training) patients, rendered by make_models.py, never written.
N_TRAINING_PATIENTS = 400

P_PNEUMOTHORAX = 0.30
P_EFFUSION = (0.20, 0.45)  # without / with cardiomegaly (heart failure makes it likelier)
P_CARDIOMEGALY_PATIENT = 0.30


@dataclass(frozen=True)
class Vendor:
    name: str
    model: str
    modality: str
    bits: int  # BitsStored
    gamma: float
    offset: float  # fraction of the full scale
    gain: float  # fraction of the full scale
    noise: float  # fraction of the full scale, at full signal
    blur: float
    p_mono1: float
    p_rescale: float
    p_window: float
    lateral_name: str
    portable: bool
    weight: float


VENDORS = [
    Vendor("Fjordline Medical", "FL-DX 900", "DX", 12, 1.00, 0.045, 0.80, 0.0008, 0.55, 0.00, 0.60, 0.90, "LL", False, 0.26),
    Vendor("Calder Imaging", "Calder CR-20", "CR", 12, 0.85, 0.100, 0.70, 0.0012, 0.90, 0.70, 0.00, 0.50, "LATERAL", False, 0.20),
    Vendor("Osprey Systems", "OS Flat 35", "DX", 14, 1.15, 0.060, 0.85, 0.0006, 0.45, 0.00, 0.30, 0.70, "LL", False, 0.22),
    Vendor("Tamarind Radiology", "TR-Mobile 4", "DX", 12, 0.90, 0.150, 0.60, 0.0017, 0.75, 0.00, 0.00, 0.00, "LL", True, 0.16),
    Vendor("Vireo Diagnostics", "VD-CR 5", "CR", 16, 1.10, 0.070, 0.80, 0.0009, 0.70, 0.35, 0.40, 0.30, "LATERAL", False, 0.16),
]

# The reference set is committed, so it leans on JPEG 2000 lossless (~12 KB a file
# against ~34 KB uncompressed) to stay near 3 MB.
TS_REFERENCE = [
    (ExplicitVRLittleEndian, 0.12),
    (JPEG2000Lossless, 0.70),
    (RLELossless, 0.07),
    (DeflatedExplicitVRLittleEndian, 0.07),
    (ImplicitVRLittleEndian, 0.04),
]


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


def soft(d: np.ndarray, width: float) -> np.ndarray:
    """0 -> 1 soft step for signed distance d (positive = inside)."""
    return 1.0 / (1.0 + np.exp(-d / max(width, 1e-6)))


def seg_dist(x, y, x0, y0, x1, y1):
    dx, dy = x1 - x0, y1 - y0
    L2 = dx * dx + dy * dy + 1e-12
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / L2, 0.0, 1.0)
    return np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))


def choose(rng: np.random.Generator, items_weights):
    items = [i for i, _ in items_weights]
    w = np.array([w for _, w in items_weights], dtype=float)
    return items[int(rng.choice(len(items), p=w / w.sum()))]


# ---------------------------------------------------------------------------
# Patients, studies and findings
# ---------------------------------------------------------------------------


def patient_traits(rng: np.random.Generator) -> dict:
    """Anatomy and characteristics fixed for a patient across studies."""
    a = {
        "sex": "F" if rng.random() < 0.5 else "M",
        "age": int(np.clip(round(rng.normal(62, 15)), 18, 90)),
        "body_w": rng.uniform(0.40, 0.47),
        "body_h": rng.uniform(0.55, 0.65),
        "lung_ax": rng.uniform(0.15, 0.18),
        "lung_ay": rng.uniform(0.28, 0.33),
        "lung_dx": rng.uniform(0.19, 0.22),
        "lung_cy": rng.uniform(0.47, 0.52),
        "rib_spacing": rng.uniform(0.085, 0.105),
        "rib_curve": rng.uniform(1.2, 2.0),
        "soft": rng.uniform(0.50, 0.60),
        "cardiomegaly": bool(rng.random() < P_CARDIOMEGALY_PATIENT),
    }
    # cardiothoracic ratio: enlarged hearts from 0.51 up, normal ones below 0.49
    a["ctr"] = rng.uniform(0.51, 0.63) if a["cardiomegaly"] else rng.uniform(0.37, 0.49)
    trees = []
    for _side in range(2):
        segs = []
        for _ in range(int(rng.integers(14, 20))):
            segs.append((rng.uniform(-2.6, 1.9), rng.uniform(0.5, 1.05), rng.uniform(-0.25, 0.25),
                         rng.uniform(0.6, 1.0)))
        trees.append(segs)
    a["trees"] = trees
    a["texture_seed"] = int(rng.integers(0, 2**31 - 1))
    return a


def draw_study(rng: np.random.Generator, traits: dict) -> dict:
    """Positioning, detector, findings and their severities for one study."""
    ctr = float(np.clip(traits["ctr"] + rng.normal(0.0, 0.012), 0.33, 0.68))
    cm = int(ctr > 0.5)
    ptx = int(rng.random() < P_PNEUMOTHORAX)
    eff = int(rng.random() < P_EFFUSION[cm])
    vendor = choose(rng, [(v, v.weight) for v in VENDORS])
    sev_p = float(rng.beta(1.4, 1.0))
    sev_e = float(rng.beta(1.3, 1.0))
    eff_sides = [int(rng.integers(0, 2))]
    if rng.random() < 0.35:
        eff_sides = [0, 1]
    return {
        "labels": {"pneumothorax": ptx, "effusion": eff, "cardiomegaly": cm},
        "ctr": ctr,
        "vendor": vendor,
        "frontal_view": "AP" if (vendor.portable or rng.random() < 0.12) else "PA",
        "ptx": {
            "side": int(rng.integers(0, 2)),
            "severity": sev_p,
            "depth": 0.15 + 0.50 * sev_p * rng.uniform(0.7, 1.2),
            "delta": 0.04 + 0.17 * sev_p * rng.uniform(0.7, 1.3),
            "line": float(np.clip(0.15 + 0.9 * sev_p * rng.uniform(0.4, 1.3), 0, 1)),
            "phi0": rng.uniform(-0.7, -0.2),
            "phi1": rng.uniform(0.9, 1.9),
        },
        "eff": {
            "sides": eff_sides,
            "severity": sev_e,
            "level": 0.10 + 0.40 * sev_e * rng.uniform(0.7, 1.2),  # fraction of the lung height filled
            "rise": rng.uniform(0.25, 0.50),  # how far the meniscus climbs the lateral wall
            "opacity": 0.55 + 0.45 * rng.uniform(0.6, 1.0),
        },
        "views": [draw_positioning(rng), draw_positioning(rng)],
        "skinfold": (rng.uniform(-0.35, 0.35), rng.uniform(-0.4, 0.4)) if rng.random() < 0.2 else None,
    }


def draw_positioning(rng: np.random.Generator) -> dict:
    return {
        "scale": rng.uniform(-0.05, 0.05),
        "shift_x": rng.uniform(-3.5, 3.5),
        "shift_y": rng.uniform(-3.5, 3.5),
        "rot": rng.uniform(-0.05, 0.05),
        "heel": rng.uniform(-0.15, 0.15),
        "gamma_jitter": rng.uniform(0.93, 1.07),
        "exposure": rng.uniform(0.85, 1.1),
        "noise_jitter": rng.uniform(0.8, 1.25),
    }


def _grid(pos: dict):
    n = ROWS
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float64)
    sx = 1.0 + pos["scale"]
    cxi = n / 2 + pos["shift_x"]
    cyi = n / 2 + pos["shift_y"]
    c, s = np.cos(pos["rot"]), np.sin(pos["rot"])
    X = ((xx - cxi) * c + (yy - cyi) * s) / (n * sx)  # normalised, ~[-0.5, 0.5]
    Y = (-(xx - cxi) * s + (yy - cyi) * c) / (n * sx) + 0.5
    return X, Y, 1.0 / (n * sx)


def _texture(traits: dict) -> np.ndarray:
    n = ROWS
    tex_rng = np.random.default_rng(traits["texture_seed"])
    return 1.5 * blur(tex_rng.standard_normal((n, n)), 1.6) - 1.5 * blur(tex_rng.standard_normal((n, n)), 3.5)


def render_frontal(traits: dict, study: dict) -> np.ndarray:
    """An attenuation-like frontal image in [0, 1] (bright = dense)."""
    X, Y, px = _grid(study["views"][0])
    lab = study["labels"]
    img = np.full(X.shape, 0.04)
    bw = traits["body_w"] * (1.0 + 0.10 * np.clip(0.45 - Y, 0, None))
    rb = np.sqrt((X / bw) ** 2 + ((Y - 0.58) / traits["body_h"]) ** 2)
    body = soft((1.0 - rb) * traits["body_w"], 1.5 * px)
    img += (traits["soft"] - 0.04) * body
    img += 0.18 * soft(0.06 - np.abs(X), 1.5 * px) * body  # spine / mediastinum
    # heart: its width is the cardiothoracic ratio times the thoracic width; it lies
    # more to the patient's left (image right)
    thorax_w = 2.0 * (traits["lung_dx"] + traits["lung_ax"])
    hw = 0.5 * study["ctr"] * thorax_w
    hcx = 0.03 + 0.25 * (hw - 0.15)
    hh = 0.11 + 0.25 * (hw - 0.15)
    rh = np.hypot((X - hcx) / hw, (Y - 0.67) / hh)
    heart = soft((1.0 - rh) * hh, 1.2 * px)

    tex = _texture(traits)
    lungs = np.zeros(X.shape)
    markings = np.zeros(X.shape)
    ribs = np.zeros(X.shape)
    pleura = np.zeros(X.shape)
    ptx = np.zeros(X.shape)
    fluid = np.zeros(X.shape)
    for side in (0, 1):
        sign = -1.0 if side == 0 else 1.0  # image left / right
        lcx = sign * traits["lung_dx"]
        lcy = traits["lung_cy"]
        ax, ay = traits["lung_ax"], traits["lung_ay"]
        u = (X - lcx) / ax
        v = (Y - lcy) / ay
        r = np.sqrt(u**2 + v**2)
        lung = soft((1.0 - r) * ax, 1.0 * px)
        lungs = np.maximum(lungs, lung)
        hx, hy = lcx - sign * 0.45 * ax, lcy + 0.05 * ay
        for ang, length, bend, amp in traits["trees"][side]:
            a0 = np.pi - ang if sign < 0 else ang
            mx = hx + np.cos(a0) * ax * length * 0.5
            my = hy + np.sin(a0) * ay * length * 0.5
            a1 = a0 + bend * sign
            ex = mx + np.cos(a1) * ax * length * 0.55
            ey = my + np.sin(a1) * ay * length * 0.55
            d = np.minimum(seg_dist(X, Y, hx, hy, mx, my) / 1.3, seg_dist(X, Y, mx, my, ex, ey))
            dh = np.hypot((X - hx) / ax, (Y - hy) / ay)
            markings += amp * np.exp(-0.5 * (d / (0.7 * px)) ** 2) / (1.0 + 1.5 * dh)
        phase = (Y - 0.17 - traits["rib_curve"] * (X - lcx + sign * 0.10) ** 2) / traits["rib_spacing"]
        ribs += ((0.5 + 0.5 * np.cos(2 * np.pi * phase)) ** 4) * lung
        lat = u * sign  # lateral positive
        if lab["pneumothorax"] and study["ptx"]["side"] == side:
            f = study["ptx"]
            phi = np.arctan2(lat, -v)  # 0 = apex, positive towards lateral
            t = np.clip((phi - f["phi0"]) / (f["phi1"] - f["phi0"]), 0.0, 1.0)
            inside_arc = soft(np.minimum(phi - f["phi0"], f["phi1"] - phi), 0.05)
            edge_r = 1.0 - f["depth"] * np.sin(np.pi * np.clip(t, 0.02, 0.98)) ** 0.6
            ptx = np.maximum(ptx, soft((r - edge_r) * ax, 0.6 * px) * inside_arc * lung)
            line = np.exp(-0.5 * (((r - edge_r) * ax) / (0.6 * px)) ** 2) * inside_arc * (r < 1.0)
            pleura = np.maximum(pleura, line * f["line"])
        if lab["effusion"] and side in study["eff"]["sides"]:
            e = study["eff"]
            # the fluid fills the lung from its base up to a level that rises laterally
            level = 1.0 - 2.0 * e["level"] - e["rise"] * np.clip(lat, 0.0, None) ** 2
            fluid = np.maximum(fluid, soft((v - level) * ay, 1.2 * px) * lung * e["opacity"])

    # the heart hides the lung behind it (a silhouette), the fluid the lung base
    lung_tissue = lungs * (1.0 - ptx) * (1.0 - fluid) * (1.0 - 0.8 * heart)
    img -= 0.30 * lungs * (1.0 - 0.7 * heart)
    img += 0.06 * ribs
    img += 0.08 * markings * lung_tissue
    img += 0.05 * tex * lung_tissue
    img += 0.26 * fluid  # fluid is about as dense as soft tissue
    img += 0.06 * heart * (1.0 - 0.4 * fluid)
    if lab["pneumothorax"]:
        img -= study["ptx"]["delta"] * ptx
        img += 0.06 * pleura
    for sign in (-1.0, 1.0):  # clavicles
        d = seg_dist(X, Y, sign * 0.04, 0.17, sign * 0.30, 0.11)
        img += 0.08 * np.exp(-0.5 * (d / (2.2 * px)) ** 2) * body
    if study["skinfold"]:  # a confounder in negatives and positives alike
        sg = study["skinfold"]
        d = np.abs((X - sg[0]) * np.cos(sg[1]) + (Y - 0.45) * np.sin(sg[1]))
        img += 0.02 * np.exp(-0.5 * (d / (0.8 * px)) ** 2) * lungs * (np.abs(Y - 0.45) < 0.2)
    img *= 1.0 + study["views"][0]["heel"] * (Y - 0.5)
    return np.clip(img, 0.0, 1.0)


def render_lateral(traits: dict, study: dict) -> np.ndarray:
    """An attenuation-like lateral image in [0, 1]; anterior is image left.

    The lungs overlap into one field; the findings show more weakly than on the
    frontal image: a faint dark apical cap for a pneumothorax, a blunted posterior
    costophrenic sulcus for an effusion, a larger anterior heart shadow for
    cardiomegaly.
    """
    X, Y, px = _grid(study["views"][1])
    lab = study["labels"]
    img = np.full(X.shape, 0.04)
    bw = 0.85 * traits["body_w"]
    rb = np.sqrt((X / bw) ** 2 + ((Y - 0.56) / traits["body_h"]) ** 2)
    body = soft((1.0 - rb) * bw, 1.5 * px)
    img += (traits["soft"] - 0.04) * body
    # shoulders and arms over the upper chest
    img += 0.16 * soft(0.24 - Y, 3.0 * px) * body
    # spine, posterior (image right), with vertebral bodies
    spine = soft(0.05 - np.abs(X - 0.27), 1.5 * px) * soft(Y - 0.10, 2 * px) * body
    vert = 0.5 + 0.5 * np.cos(2 * np.pi * (Y - 0.1) / 0.075)
    img += (0.14 + 0.05 * vert) * spine
    ax, ay = 0.27 * traits["lung_ax"] / 0.165, traits["lung_ay"] * 1.02
    u = (X - 0.02) / ax
    v = (Y - traits["lung_cy"]) / ay
    r = np.sqrt(u**2 + v**2)
    lung = soft((1.0 - r) * ax, 1.2 * px)
    # heart, anterior and low; wider with the cardiothoracic ratio
    hr = 0.10 + 0.35 * (study["ctr"] - 0.45)
    rh = np.hypot((X + 0.08) / (hr * 1.2), (Y - 0.68) / hr)
    heart = soft((1.0 - rh) * hr, 1.5 * px)
    tex = _texture(traits)[::-1, :]
    img -= 0.24 * lung
    img += 0.04 * tex * lung
    img += 0.10 * heart * lung
    if lab["pneumothorax"]:
        f = study["ptx"]
        cap = soft((r - (1.0 - 0.6 * f["depth"])) * ax, 1.0 * px) * soft(-v - 0.3, 0.1) * lung
        img -= 0.35 * f["delta"] * cap
    if lab["effusion"]:
        e = study["eff"]
        level = 1.0 - 1.4 * e["level"] - 0.5 * e["rise"] * np.clip(u, 0.0, None) ** 2
        fl = soft((v - level) * ay, 1.5 * px) * lung * soft(u - 0.1, 0.15)
        img += 0.35 * 0.26 * e["opacity"] * fl
    img *= 1.0 + study["views"][1]["heel"] * (Y - 0.5)
    return np.clip(img, 0.0, 1.0)


def detector(att: np.ndarray, vendor: Vendor, pos: dict, rng: np.random.Generator) -> np.ndarray:
    """Map attenuation to stored values of the vendor's bit depth (MONOCHROME2 sense)."""
    full = float(2**vendor.bits - 1)
    sig = att ** (vendor.gamma * pos["gamma_jitter"])
    sig = blur(sig, vendor.blur)
    dn = full * (vendor.offset + vendor.gain * pos["exposure"] * sig)
    sd = full * vendor.noise * pos["noise_jitter"] * np.sqrt(np.clip(sig, 0.02, 1.0))
    dn = dn + sd * rng.standard_normal(dn.shape)
    return np.clip(np.rint(dn), 0, full).astype(np.uint16)


def render_study(traits: dict, study: dict, noise_seed) -> tuple[np.ndarray, np.ndarray]:
    """Stored values (MONOCHROME2 sense) of the frontal and the lateral image."""
    vendor = study["vendor"]
    out = []
    for k, att in enumerate((render_frontal(traits, study), render_lateral(traits, study))):
        rng = np.random.default_rng(list(noise_seed) + [k])
        out.append(detector(att, vendor, study["views"][k], rng))
    return out[0], out[1]


# ---------------------------------------------------------------------------
# The plan: patients, their studies, file order
# ---------------------------------------------------------------------------


def plan_reference() -> list[dict]:
    """The reference studies, in file order (shuffled, so a patient's studies scatter)."""
    rng = np.random.default_rng([SEED, 1, 0])
    counts = [STUDY_COUNTS[i] for i in rng.permutation(len(STUDY_COUNTS))]
    studies = []
    for p, n_st in enumerate(counts):
        pid = f"REF-{p + 1:04d}"
        traits = patient_traits(np.random.default_rng([SEED, 1, p, 3]))
        for k in range(n_st):
            study = draw_study(np.random.default_rng([SEED, 1, p, 4, k]), traits)
            studies.append({"patient": pid, "study_no": k + 1, "traits": traits, "study": study,
                            "age": min(90, traits["age"] + k)})
    order = rng.permutation(len(studies))
    return [studies[i] for i in order]


def training_patients() -> list[str]:
    return [f"TRN-{p + 1:05d}" for p in range(N_TRAINING_PATIENTS)]


def iter_training(max_studies: int | None = None):
    """The development studies (one or two per training patient), rendered in memory.

    Yields (patient, labels, frontal stored, lateral stored, vendor, photometric info).
    """
    count = 0
    for p, pid in enumerate(training_patients()):
        traits = patient_traits(np.random.default_rng([SEED, 2, p, 3]))
        n_st = 2 if np.random.default_rng([SEED, 2, p, 5]).random() < 0.3 else 1
        for k in range(n_st):
            study = draw_study(np.random.default_rng([SEED, 2, p, 4, k]), traits)
            frontal, lateral = render_study(traits, study, [SEED, 2, p, 6, k])
            yield {"patient": pid, "study": study, "frontal": frontal, "lateral": lateral}
            count += 1
            if max_studies is not None and count >= max_studies:
                return


# ---------------------------------------------------------------------------
# DICOM writing
# ---------------------------------------------------------------------------


def uid_for(*parts) -> UID:
    return generate_uid(prefix=UID_ROOT, entropy_srcs=[str(SEED)] + [str(p) for p in parts])


def encoding(rng: np.random.Generator, vendor: Vendor, stored: np.ndarray) -> dict:
    """How one image is stored: photometric interpretation, rescale, window, syntax."""
    full = 2**vendor.bits - 1
    photometric = "MONOCHROME1" if rng.random() < vendor.p_mono1 else "MONOCHROME2"
    if photometric == "MONOCHROME1":
        stored = (full - stored).astype(np.uint16)
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
    ts = choose(rng, TS_REFERENCE)
    return {"stored": stored, "photometric": photometric, "rescale": rescale, "window": window, "ts": ts}


def build_dataset(entry: dict, view: str, enc: dict) -> Dataset:
    study = entry["study"]
    traits = entry["traits"]
    vendor: Vendor = study["vendor"]
    lateral = view in ("LL", "LATERAL")
    series_no = 2 if lateral else 1
    stored = enc["stored"]
    ds = Dataset()
    sop_class = DX_PRESENTATION_STORAGE if vendor.modality == "DX" else CR_IMAGE_STORAGE
    study_uid = uid_for("reference", entry["patient"], entry["study_no"], "study")
    series_uid = uid_for("reference", entry["patient"], entry["study_no"], "series", series_no)
    sop_uid = uid_for("reference", entry["patient"], entry["study_no"], "instance", series_no)

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
    # Patient module (de-identified; pseudonymous case id; retained sex and age)
    ds.PatientName = ""
    ds.PatientID = entry["patient"]
    ds.PatientBirthDate = ""
    ds.PatientSex = traits["sex"]
    ds.PatientAge = f"{entry['age']:03d}Y"
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
    ds.ViewPosition = view
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = ""
    ds.SeriesNumber = series_no
    ds.InstanceNumber = 1
    if lateral:
        ds.PatientOrientation = ["P", "F"]
    else:
        ds.PatientOrientation = ["L", "F"] if view == "AP" else ["R", "F"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = enc["photometric"]
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = vendor.bits
    ds.HighBit = vendor.bits - 1
    ds.PixelRepresentation = 0
    ds.ImagerPixelSpacing = [2.8, 2.8]
    ds.BurnedInAnnotation = "NO"
    ds.RecognizableVisualFeatures = "NO"
    ds.LongitudinalTemporalInformationModified = "REMOVED"
    if vendor.modality == "DX":
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.PixelIntensityRelationship = "LOG"
        ds.PixelIntensityRelationshipSign = 1 if enc["photometric"] == "MONOCHROME2" else -1
    slope, intercept = enc["rescale"]
    if vendor.modality == "DX" or (slope, intercept) != (1.0, 0.0):
        ds.RescaleIntercept = f"{intercept:g}"
        ds.RescaleSlope = f"{slope:g}"
        ds.RescaleType = "US"
    if enc["window"] is not None:
        wc, ww = enc["window"]
        ds.WindowCenter = [f"{c:g}" for c in wc] if len(wc) > 1 else f"{wc[0]:g}"
        ds.WindowWidth = [f"{w:g}" for w in ww] if len(ww) > 1 else f"{ww[0]:g}"
    ds.PixelData = stored.astype("<u2").tobytes()
    ds["PixelData"].VR = "OW"

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID(UID_ROOT + "20261115.1")
    meta.ImplementationVersionName = "CLIC_CXF_GEN_1"
    ds.file_meta = meta
    ds.preamble = b"\0" * 128

    ts = enc["ts"]
    if ts == RLELossless:
        ds.compress(ts, encoding_plugin="pydicom", generate_instance_uid=False)
    elif ts == JPEG2000Lossless:
        ds.compress(ts, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    else:
        ds.file_meta.TransferSyntaxUID = ts
    return ds


def write_reference(out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob("*.dcm")) + list(out.glob("labels.*")):
        old.unlink()
    rows = []
    for idx, entry in enumerate(plan_reference()):
        study = entry["study"]
        vendor = study["vendor"]
        frontal, lateral = render_study(entry["traits"], study, [SEED, 1, idx, 6])
        stem = f"st-{idx + 1:04d}"
        for kind, stored, view in (("frontal", frontal, study["frontal_view"]),
                                   ("lateral", lateral, vendor.lateral_name)):
            enc = encoding(np.random.default_rng([SEED, 1, idx, 8, 0 if kind == "frontal" else 1]), vendor, stored)
            ds = build_dataset(entry, view, enc)
            ds.save_as(out / f"{stem}-{kind}.dcm", enforce_file_format=True)
        rows.append({"stem": stem, "study_uid": uid_for("reference", entry["patient"], entry["study_no"], "study"),
                     "patient": entry["patient"], **study["labels"]})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "data"), help="output data directory")
    args = ap.parse_args()
    data = Path(args.out)
    rows = write_reference(data / "reference")
    with open(data / "reference" / "labels.csv", "w", newline="\n") as f:
        f.write("StudyInstanceUID," + ",".join(FINDINGS) + "\n")
        for r in rows:
            f.write(r["study_uid"] + "," + ",".join(str(r[k]) for k in FINDINGS) + "\n")
    with open(data / "training-patients.txt", "w", newline="\n") as f:
        f.write("".join(p + "\n" for p in training_patients()))
    # The readers' reads of the same studies (tools/readers.py), from their labels.
    import readers

    readers.write(data, [{"study_uid": r["study_uid"], **{k: r[k] for k in FINDINGS}} for r in rows])
    patients = {r["patient"] for r in rows}
    print(f"reference: {len(rows)} studies ({2 * len(rows)} images) of {len(patients)} patients")
    for k in FINDINGS:
        n = sum(r[k] for r in rows)
        print(f"  {k:13s} {n:3d} positive ({n / len(rows):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
