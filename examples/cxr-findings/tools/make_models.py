#!/usr/bin/env python3
"""Builds the two ONNX models of the example from hand-set weights, scores the
reference set with onnxruntime and prints the per-study metrics of both.

    python tools/make_models.py                # model/*.onnx, model/reference-scores*.csv
    python tools/make_models.py --calibrate    # re-derive the calibration constants

No training framework and no download: each model is a few fixed image regions
(hand-drawn masks on the preprocessed 64 x 64 image) combined with a handful of
weights, written with the onnx helper API.

The graph (both versions)
-------------------------
    image [N,1,64,64]
      -> AveragePool 2x2 stride 2 -> Flatten [N,1024]
      -> Gemm with the region masks [1024,R] -> region means [N,R]
    (2.0.0 only)
      image -> AveragePool 2x2 stride 1 [N,1,63,63] -> + zone penalties [1,2,63,63]
            -> ReduceMin over the image -> the darkest patch of each apex [N,2]
    features = Concat(region means, darkest patches)
    side0 = Gemm(features, W0) + b,  side1 = Gemm(features, W1) + b       [N,3]
    view gate = Relu(Gemm(features, g) + t)                                [N,1]
    logits = Max(side0, side1) - gate * k                                  [N,3]

One logit per finding (pneumothorax, effusion, cardiomegaly); the manifest applies
the sigmoid.  W0 reads the image-left lung, W1 the image-right lung, so the Max
finds a unilateral finding on either side; the cardiomegaly column is the same in
both.  The view gate is zero on a frontal image (the bright mediastinum between two
dark lungs) and large on a lateral one (one lung field, no mediastinal stripe), so
the lateral's logits are pulled down and the study's score (max over its images)
is the frontal's.

The findings' features
----------------------
- pneumothorax, 1.0.0: mid-lung mean minus the mean of the apical rim (a darker
  apex); 2.0.0: mid-lung mean minus the darkest 2x2 patch inside the upper lung,
  which sees a thin crescent the rim mean dilutes.
- effusion (both): mean of the lung base minus mid-lung mean (fluid is bright).
- cardiomegaly (both): the mean of the bands beside both heart borders minus
  mid-lung (a heart wider than the average reaches into them).

So 2.0.0 changes the pneumothorax feature only; effusion and cardiomegaly score the
same in both versions.

Calibration
-----------
Each feature's scale and offset are the constants in CALIBRATION below.  They were
set from development studies of the training patients (data/training-patients.txt,
rendered in memory by tools/generate.py, never from the reference set) by a
one-feature logistic regression, rounded to three significant digits;
`--calibrate` renders those studies again (about 4 minutes) and prints the fit.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent  # examples/cxr-findings
sys.path.insert(0, str(TOOLS))
import metrics as M  # noqa: E402
from preprocess import preprocess_file  # noqa: E402

FINDINGS = ("pneumothorax", "effusion", "cardiomegaly")
# The operating points (probability >= threshold is positive), per finding: the largest
# of 0.2, 0.3, 0.4, 0.5 at which 2.0.0 finds 85% of the development positives per study
# (`--calibrate` prints that table).  The manifest's findings block repeats them.
THRESHOLDS = {"pneumothorax": 0.2, "effusion": 0.4, "cardiomegaly": 0.3}

# ---------------------------------------------------------------------------
# Regions (hand-set): masks on the 32 x 32 grid of 2x2 means of the 64 x 64 input.
# Coordinates are normalised like the generator's: X = 0 at the image centre,
# +-0.5 at the edges; Y = 0 at the top, 1 at the bottom.  The lung template is an
# average lung (centre +-0.205, 0.50; half-axes 0.165 x 0.305).
# ---------------------------------------------------------------------------

LUNG = {"dx": 0.205, "cy": 0.50, "ax": 0.165, "ay": 0.305}
REGION_NAMES = ["mid0", "mid1", "rim0", "rim1", "base0", "base1", "heart0", "heart1", "centre"]
# The lung base (costophrenic angle) region in lung coordinates: v (down) between the
# two bounds, lateral coordinate above the third.  A parameter so that
# examples/failing/tools/build_findings.py can build a model with a misplaced one.
BASE = (0.4, 0.95, -0.1)


def _grid(n: int, step: float):
    """Normalised X, Y of the centres of n x n patches of step x step input pixels
    (2x2 means at stride 2 or stride 1 both have their centre at step * i + 1)."""
    c = (np.arange(n) * step + 1.0) / 64
    return np.broadcast_to(c[None, :] - 0.5, (n, n)), np.broadcast_to(c[:, None], (n, n))


def _lung(X, Y, sign):
    u = (X - sign * LUNG["dx"]) / LUNG["ax"]
    v = (Y - LUNG["cy"]) / LUNG["ay"]
    return u, v, np.hypot(u, v), np.arctan2(u * sign, -v)


def region_masks(base=BASE) -> np.ndarray:
    """[1024, R] float32: column r averages region r of the 32 x 32 grid."""
    X, Y = _grid(32, 2.0)
    cols = {}
    for s, sign in ((0, -1.0), (1, 1.0)):
        u, v, r, phi = _lung(X, Y, sign)
        cols[f"mid{s}"] = (r < 0.6) & (v > -0.5) & (v < 0.3)
        cols[f"rim{s}"] = (r > 0.5) & (r < 1.0) & (phi > -0.6) & (phi < 1.0)
        cols[f"base{s}"] = (v > base[0]) & (v < base[1]) & (u * sign > base[2]) & (r < 1.0)
        lo, hi = (0.08, 0.16) if sign < 0 else (0.15, 0.26)
        cols[f"heart{s}"] = (Y > 0.55) & (Y < 0.75) & (X * sign > lo) & (X * sign < hi)
    cols["centre"] = (np.abs(X) < 0.04) & (Y > 0.25) & (Y < 0.5)
    out = np.stack([cols[k].astype(np.float64) / cols[k].sum() for k in REGION_NAMES], axis=-1)
    return out.reshape(1024, len(REGION_NAMES)).astype(np.float32)


def zone_penalties() -> np.ndarray:
    """[1, 2, 63, 63] float32: 0 inside each upper lung zone, 100 elsewhere.

    Added to the 2x2 stride-1 means before ReduceMin, so the min is the darkest
    patch inside the zone.
    """
    X, Y = _grid(63, 1.0)
    out = []
    for sign in (-1.0, 1.0):
        _u, v, r, _phi = _lung(X, Y, sign)
        inside = (r < 0.95) & (v < -0.3)
        out.append(np.where(inside, 0.0, 100.0))
    return np.stack(out)[None].astype(np.float32)


# ---------------------------------------------------------------------------
# Weights (hand-set).  A feature is a linear form over the region means and the
# darkest patches; CALIBRATION maps it to a logit: logit = scale * feature + offset.
# ---------------------------------------------------------------------------

# (scale, offset) per version and finding, from `--calibrate` (see the module doc).
CALIBRATION = {
    "1.0.0": {"pneumothorax": (5.64, -1.96), "effusion": (10.6, -6.46), "cardiomegaly": (8.97, -6.27)},
    "2.0.0": {"pneumothorax": (8.33, -5.72), "effusion": (10.6, -6.46), "cardiomegaly": (8.97, -6.27)},
}
GATE_THRESHOLD = 0.6  # frontalness (centre - mean mid-lung) below which the gate opens
GATE_GAIN = 30.0  # logits lost per unit of frontalness below the threshold


def feature_names(version: str) -> list[str]:
    return REGION_NAMES + (["dark0", "dark1"] if version == "2.0.0" else [])


def feature_forms(version: str) -> dict[str, list[dict[str, float]]]:
    """Per finding, the linear form of its feature for side 0 and side 1."""
    forms = {}
    if version == "1.0.0":
        forms["pneumothorax"] = [{"mid0": 1, "rim0": -1}, {"mid1": 1, "rim1": -1}]
    else:
        forms["pneumothorax"] = [{"mid0": 1, "dark0": -1}, {"mid1": 1, "dark1": -1}]
    forms["effusion"] = [{"base0": 1, "mid0": -1}, {"base1": 1, "mid1": -1}]
    forms["cardiomegaly"] = [{"heart0": 0.5, "heart1": 0.5, "mid0": -0.5, "mid1": -0.5}] * 2
    return forms


def side_weights(version: str, calibration, forms=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    names = feature_names(version)
    forms = forms or feature_forms(version)
    W = np.zeros((2, len(names), 3))
    b = np.zeros(3)
    for j, f in enumerate(FINDINGS):
        scale, offset = calibration[f]
        for side in (0, 1):
            for k, w in forms[f][side].items():
                W[side, names.index(k), j] = scale * w
        b[j] = offset
    return W[0].astype(np.float32), W[1].astype(np.float32), b.astype(np.float32)


def gate_weights(version: str) -> tuple[np.ndarray, np.ndarray]:
    """g, t such that Relu(features @ g + t) = Relu(threshold - frontalness)."""
    names = feature_names(version)
    g = np.zeros((len(names), 1))
    g[names.index("centre"), 0] = -1.0
    g[names.index("mid0"), 0] = 0.5
    g[names.index("mid1"), 0] = 0.5
    return g.astype(np.float32), np.array([GATE_THRESHOLD], np.float32)


# ---------------------------------------------------------------------------
# The numpy mirror of the graph (for calibration and to cross-check onnxruntime)
# ---------------------------------------------------------------------------


def features_np(x: np.ndarray, version: str, base=BASE) -> np.ndarray:
    """x [N,1,64,64] float32 -> features [N,F] (float64)."""
    x = x.astype(np.float64)[:, 0]
    n = x.shape[0]
    p = x.reshape(n, 32, 2, 32, 2).mean(axis=(2, 4)).reshape(n, 1024)
    feats = [p @ region_masks(base).astype(np.float64)]
    if version == "2.0.0":
        s = (x[:, :-1, :-1] + x[:, 1:, :-1] + x[:, :-1, 1:] + x[:, 1:, 1:]) / 4.0
        z = zone_penalties().astype(np.float64)[0]
        feats.append(np.stack([(s + z[k]).min(axis=(1, 2)) for k in range(2)], axis=1))
    return np.concatenate(feats, axis=1)


def logits_np(x: np.ndarray, version: str, calibration, base=BASE, forms=None) -> np.ndarray:
    f = features_np(x, version, base)
    w0, w1, b = side_weights(version, calibration, forms)
    g, t = gate_weights(version)
    gate = np.maximum(f @ g.astype(np.float64) + t[0], 0.0)
    return np.maximum(f @ w0 + b, f @ w1 + b) - GATE_GAIN * gate


# ---------------------------------------------------------------------------
# ONNX
# ---------------------------------------------------------------------------


def build_model(version: str, calibration, doc: str, base=BASE, forms=None) -> onnx.ModelProto:
    """The ONNX model of `version`; `base` and `forms` change the effusion region or a
    finding's linear form (for the failing examples' degraded model)."""
    w0, w1, b = side_weights(version, calibration, forms)
    g, t = gate_weights(version)
    inits = [
        numpy_helper.from_array(region_masks(base), "region_masks"),
        numpy_helper.from_array(w0, "side0_weights"),
        numpy_helper.from_array(w1, "side1_weights"),
        numpy_helper.from_array(b, "bias"),
        numpy_helper.from_array(g, "gate_weights"),
        numpy_helper.from_array(t, "gate_threshold"),
        numpy_helper.from_array(np.full((1, 3), GATE_GAIN, np.float32), "gate_gain"),
    ]
    nodes = [
        helper.make_node("AveragePool", ["image"], ["pooled"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["pooled_flat"], axis=1, name="flatten"),
        helper.make_node("Gemm", ["pooled_flat", "region_masks"], ["regions"], name="regions"),
    ]
    feats = "regions"
    if version == "2.0.0":
        inits.append(numpy_helper.from_array(zone_penalties(), "zone_penalties"))
        nodes += [
            helper.make_node("AveragePool", ["image"], ["patches"], kernel_shape=[2, 2], strides=[1, 1],
                             name="patches"),
            helper.make_node("Add", ["patches", "zone_penalties"], ["zoned"], name="zones"),
            helper.make_node("ReduceMin", ["zoned"], ["darkest"], axes=[2, 3], keepdims=0, name="darkest"),
            helper.make_node("Concat", ["regions", "darkest"], ["features"], axis=1, name="features"),
        ]
        feats = "features"
    nodes += [
        helper.make_node("Gemm", [feats, "side0_weights", "bias"], ["side0"], name="side0"),
        helper.make_node("Gemm", [feats, "side1_weights", "bias"], ["side1"], name="side1"),
        helper.make_node("Max", ["side0", "side1"], ["either_side"], name="either_side"),
        helper.make_node("Gemm", [feats, "gate_weights", "gate_threshold"], ["gate_in"], name="gate_in"),
        helper.make_node("Relu", ["gate_in"], ["gate"], name="gate"),
        helper.make_node("Mul", ["gate", "gate_gain"], ["penalty"], name="penalty"),
        helper.make_node("Sub", ["either_side", "penalty"], ["logits"], name="logits"),
    ]
    graph = helper.make_graph(
        nodes,
        "cxr_findings",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="clic-example-cxr-findings", producer_version=version)
    model.ir_version = 8
    model.model_version = int(version.split(".")[0])
    model.doc_string = doc
    helper.set_model_props(model, {"version": version, "findings": ",".join(FINDINGS),
                                   "output": "logits (sigmoid gives the probability)"})
    onnx.checker.check_model(model, full_check=True)
    return model


DOCS = {
    "1.0.0": "cxr-findings 1.0.0 (released): synthetic example; apical rim mean for pneumothorax, "
             "basal brightness for effusion, both heart borders for cardiomegaly. Logits per finding.",
    "2.0.0": "cxr-findings 2.0.0: synthetic example; darkest apical patch for pneumothorax, basal "
             "brightness for effusion, both heart borders for cardiomegaly. Logits per finding.",
}
FILES = {"1.0.0": "released.onnx", "2.0.0": "cxr-findings.onnx"}


# ---------------------------------------------------------------------------
# Reference set, scores and metrics
# ---------------------------------------------------------------------------


def read_labels(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return [{"study": r["StudyInstanceUID"], **{k: int(r[k]) for k in FINDINGS}} for r in csv.DictReader(f)]


def load_reference(data: Path):
    """Preprocessed images, in file-name order, with their study, patient and view."""
    import pydicom

    files = sorted(p.name for p in data.glob("*.dcm"))
    xs, info = [], []
    for f in files:
        ds = pydicom.dcmread(data / f)
        xs.append(preprocess_file(data / f))
        info.append({"file": f, "study": str(ds.StudyInstanceUID), "patient": str(ds.PatientID),
                     "view": str(ds.ViewPosition), "manufacturer": str(ds.Manufacturer)})
    return files, np.stack(xs).astype(np.float32), info


def run_onnx(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(["logits"], {"image": x[i:i + 64]})[0] for i in range(0, len(x), 64)])


def per_study(info, logits, labels):
    """Study scores: the max over the study's images of the sigmoid, per finding."""
    prob = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    index = {lab["study"]: i for i, lab in enumerate(labels)}
    S = np.full((len(labels), 3), -np.inf)
    for row, im in zip(prob, info):
        i = index[im["study"]]
        S[i] = np.maximum(S[i], row)
    Y = np.array([[lab[k] for k in FINDINGS] for lab in labels])
    patients = [""] * len(labels)
    for im in info:
        patients[index[im["study"]]] = im["patient"]
    return Y, S, patients


def report(name: str, Y, S, patients, boot: bool = True) -> dict:
    out = {}
    print(f"\n{name}: {len(Y)} studies, {len(set(patients))} patients")
    print(f"  {'finding':13s} {'pos':>4s}  {'AUC [DeLong 95%]':24s} {'sensitivity [Wilson]':30s} "
          f"{'specificity [Wilson]':30s}")
    for j, f in enumerate(FINDINGS):
        y, s, t = Y[:, j], S[:, j], THRESHOLDS[f]
        auc, lo, hi = M.auc_delong(y, s)
        se = M.rate(y, s >= t, True)
        sp = M.rate(y, s >= t, False)
        out[f] = {"auc": (auc, lo, hi), "sens": se, "spec": sp}
        line = (f"  {f:13s} {int(y.sum()):4d}  {auc:.3f} [{lo:.3f}, {hi:.3f}]     "
                f"{se[0]:.3f} ({se[1]}/{se[2]}) [{se[3]:.3f}, {se[4]:.3f}]   "
                f"{sp[0]:.3f} ({sp[1]}/{sp[2]}) [{sp[3]:.3f}, {sp[4]:.3f}]")
        print(line)
        if boot:
            b_auc = M.bootstrap(patients, lambda i: M.auc_delong(y[i], s[i])[0])
            b_se = M.bootstrap(patients, lambda i: M.rate(y[i], s[i] >= t, True)[0])
            b_sp = M.bootstrap(patients, lambda i: M.rate(y[i], s[i] >= t, False)[0])
            print(f"  {'':13s} {'':4s}  patient bootstrap: AUC [{b_auc[0]:.3f}, {b_auc[1]:.3f}]  "
                  f"sens [{b_se[0]:.3f}, {b_se[1]:.3f}]  spec [{b_sp[0]:.3f}, {b_sp[1]:.3f}]")
            out[f]["boot"] = {"auc": b_auc, "sens": b_se, "spec": b_sp}
    mac = M.macro_auc(Y, S)
    out["macro"] = mac
    line = f"  macro AUC {mac[0]:.3f} [{mac[1]:.3f}, {mac[2]:.3f}]"
    if boot:
        bm = M.bootstrap(patients, lambda i: float(np.mean([M.auc_delong(Y[i, j], S[i, j])[0] for j in range(3)])))
        line += f"  (patient bootstrap [{bm[0]:.3f}, {bm[1]:.3f}])"
        out["macro_boot"] = bm
    print(line)
    return out


def compare(Y, S_new, S_old, patients, boot: bool = True) -> dict:
    out = {}
    print("\n2.0.0 minus 1.0.0 (same studies):")
    for j, f in enumerate(FINDINGS):
        y, t = Y[:, j], THRESHOLDS[f]
        d = M.auc_difference(y, S_new[:, j], S_old[:, j])
        ds = M.sensitivity_difference(y, S_new[:, j] >= t, S_old[:, j] >= t)
        out[f] = {"auc": d, "sens": ds}
        line = (f"  {f:13s} AUC {d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}] (paired DeLong)   "
                f"sensitivity {ds[0]:+.3f} [{ds[1]:+.3f}, {ds[2]:+.3f}] (Newcombe paired)")
        if boot:
            sn, so = S_new[:, j], S_old[:, j]
            b = M.bootstrap(patients, lambda i: M.auc_delong(y[i], sn[i])[0] - M.auc_delong(y[i], so[i])[0])
            bs = M.bootstrap(patients, lambda i: M.rate(y[i], sn[i] >= t, True)[0] - M.rate(y[i], so[i] >= t, True)[0])
            out[f]["boot"] = {"auc": b, "sens": bs}
            line += f"\n  {'':13s} patient bootstrap: AUC [{b[0]:+.3f}, {b[1]:+.3f}]  sensitivity [{bs[0]:+.3f}, {bs[1]:+.3f}]"
        print(line)
    return out


# The claims of model.clic, as lower bounds (a proportion or an AUC) and margins.
CLAIMS = {
    "pneumothorax": {"sensitivity": 0.65, "specificity": 0.75, "auc": 0.83},
    "effusion": {"sensitivity": 0.70, "auc": 0.88},
    "cardiomegaly": {"sensitivity": 0.75, "auc": 0.80},
    "macro auc": 0.87,
    "non-inferior": {"auc": 0.05, "sensitivity": 0.10},
}


def check_claims(claims: dict, res: dict, cmp: dict) -> list[str]:
    """Print each claim against its lower bounds and return the claims that fail.

    An absolute claim must be cleared by both its analytic lower bound (Wilson or DeLong)
    and its patient-bootstrap one.  A non-inferiority claim is judged on the patient
    bootstrap of the paired difference (clic's method: both versions on the same
    resampled patients); the paired DeLong or Newcombe bound is printed beside it.
    Newcombe's interval is not zero even when the two versions flag the same studies
    (about +-0.3 with 9 positives all found), so it is shown, not judged.
    """
    failed = []
    key = {"sensitivity": "sens", "specificity": "spec", "auc": "auc"}

    def line(name, claim, judged, shown=()):
        ok = all(lo >= claim for lo in judged)
        text = ", ".join(f"{lo:+.3f}" for lo in judged)
        if shown:
            text += " (analytic " + ", ".join(f"{lo:+.3f}" for lo in shown) + ", not judged)"
        print(f"  {'pass' if ok else 'FAIL'}  {name:36s} claim {claim:+.3f}  lower bounds {text}")
        if not ok:
            failed.append(name)

    print("\nclaims (lower bounds: analytic and patient bootstrap; non-inferiority: bootstrap):")
    for f in FINDINGS:
        for metric, claim in claims.get(f, {}).items():
            r = res[f][key[metric]]
            line(f"{f} {metric}", claim, [r[3] if metric != "auc" else r[1], res[f]["boot"][key[metric]][0]])
    if "macro auc" in claims:
        line("macro auc", claims["macro auc"], [res["macro"][1], res["macro_boot"][0]])
    for metric, margin in claims.get("non-inferior", {}).items():
        for f in FINDINGS:
            c = cmp[f]
            line(f"non-inferior {f} {metric}", -margin, [c["boot"][key[metric]][0]], [c[key[metric]][1]])
    return failed


def write_scores(path: Path, files, logits) -> None:
    with open(path, "w", newline="\n") as fh:
        fh.write("file," + ",".join(FINDINGS) + "\n")
        for f, row in zip(files, logits):
            fh.write(f + "," + ",".join(f"{float(v):.9g}" for v in row) + "\n")


# ---------------------------------------------------------------------------
# Calibration from the development studies
# ---------------------------------------------------------------------------


def logistic_1d(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood logistic regression of y on one feature (Newton steps)."""
    a, b = 0.0, 0.0
    for _ in range(100):
        z = a * x + b
        p = 1 / (1 + np.exp(-z))
        g = np.array([np.sum((y - p) * x), np.sum(y - p)])
        w = p * (1 - p)
        H = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(H, g)
        a, b = a + step[0], b + step[1]
        if np.abs(step).max() < 1e-10:
            break
    return a, b


def calibrate() -> dict:
    import generate as G

    from preprocess import preprocess_array

    xs, xls, ys = [], [], []
    for k, e in enumerate(G.iter_training()):
        st = e["study"]
        for view, out in ((0, xs), (1, xls)):
            stored = e["frontal"] if view == 0 else e["lateral"]
            enc = G.encoding(np.random.default_rng([G.SEED, 2, k, 8, view]), st["vendor"], stored)
            c = w = None
            if enc["window"]:
                c, w = float(enc["window"][0][0]), float(enc["window"][1][0])
            out.append(preprocess_array(enc["stored"], *enc["rescale"], c, w, enc["photometric"]))
        ys.append([st["labels"][f] for f in FINDINGS])
    x = np.stack(xs).astype(np.float32)
    xl = np.stack(xls).astype(np.float32)
    Y = np.array(ys)
    print(f"development: {len(x)} frontal images of {len(G.training_patients())} training patients; "
          f"positives {Y.sum(axis=0).tolist()}")
    result = {}
    for version in ("1.0.0", "2.0.0"):
        f = features_np(x, version)
        names = feature_names(version)
        forms = feature_forms(version)
        result[version] = {}
        for j, fin in enumerate(FINDINGS):
            vals = [sum(w * f[:, names.index(k)] for k, w in forms[fin][side].items()) for side in (0, 1)]
            feat = np.maximum(vals[0], vals[1])
            a, b = logistic_1d(feat, Y[:, j].astype(np.float64))
            a, b = float(f"{a:.3g}"), float(f"{b:.3g}")
            result[version][fin] = (a, b)
            print(f"  {version} {fin:13s} scale {a:8.3g} offset {b:8.3g}   development AUC "
                  f"{M.auc_delong(Y[:, j], feat)[0]:.3f} (frontal images)")
    print("per development study (max over both views), with the calibration above:")
    for version in ("1.0.0", "2.0.0"):
        S = 1 / (1 + np.exp(-np.maximum(logits_np(x, version, result[version]),
                                        logits_np(xl, version, result[version]))))
        for j, fin in enumerate(FINDINGS):
            y = Y[:, j].astype(bool)
            cells = " | ".join(f">= {t}: sens {np.mean(S[y, j] >= t):.3f} spec {np.mean(S[~y, j] < t):.3f}"
                               for t in (0.2, 0.3, 0.4, 0.5))
            print(f"  {version} {fin:13s} AUC {M.auc_delong(y, S[:, j])[0]:.3f}  {cells}")
    return result


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calibrate", action="store_true", help="re-derive CALIBRATION and print it")
    ap.add_argument("--no-bootstrap", action="store_true")
    args = ap.parse_args()
    if args.calibrate:
        print(calibrate())
        return 0
    model_dir = ROOT / "model"
    model_dir.mkdir(exist_ok=True)
    for version in ("1.0.0", "2.0.0"):
        model = build_model(version, CALIBRATION[version], DOCS[version])
        path = model_dir / FILES[version]
        onnx.save(model, str(path))
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes, sha256 {sha256(path)}")

    data = ROOT / "data" / "reference"
    labels = read_labels(data / "labels.csv")
    files, x, info = load_reference(data)
    results = {}
    for version in ("1.0.0", "2.0.0"):
        logits = run_onnx(model_dir / FILES[version], x)
        mirror = logits_np(x, version, CALIBRATION[version])
        err = float(np.abs(mirror - logits).max())
        assert err < 1e-3, f"{version}: numpy mirror differs from onnxruntime by {err}"
        name = "reference-scores.csv" if version == "2.0.0" else "reference-scores-released.csv"
        write_scores(model_dir / name, files, logits)
        results[version] = (logits, per_study(info, logits, labels))
        print(f"{version}: onnxruntime and the numpy mirror agree to {err:.2e}; wrote model/{name}")
    boot = not args.no_bootstrap
    reports = {}
    for version in ("1.0.0", "2.0.0"):
        logits, (Y, S, patients) = results[version]
        reports[version] = report(f"{version} per study (max over views)", Y, S, patients, boot)
    Y, S_new, patients = results["2.0.0"][1]
    cmp = compare(Y, S_new, results["1.0.0"][1][1], patients, boot)
    failed = check_claims(CLAIMS, reports["2.0.0"], cmp) if boot else []
    # per image, to show why the aggregation matters
    logits = results["2.0.0"][0]
    prob = 1 / (1 + np.exp(-logits.astype(np.float64)))
    index = {lab["study"]: i for i, lab in enumerate(labels)}
    Yi = np.array([Y[index[im["study"]]] for im in info])
    frontal = np.array([im["view"] in ("PA", "AP") for im in info])
    print("\n2.0.0 per image instead (study label on both images):")
    for j, f in enumerate(FINDINGS):
        print(f"  {f:13s} AUC all images {M.auc_delong(Yi[:, j], prob[:, j])[0]:.3f}, frontal only "
              f"{M.auc_delong(Yi[frontal, j], prob[frontal, j])[0]:.3f}, lateral only "
              f"{M.auc_delong(Yi[~frontal, j], prob[~frontal, j])[0]:.3f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
