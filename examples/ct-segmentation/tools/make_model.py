#!/usr/bin/env python3
"""Builds the ct-organs segmentation model (model/ct-organs.onnx) with the onnx helper API.

No training framework, hand-set weights. Opset 17, IR version 8 (as the other examples).

Input  "ct"   [N, 1, 32, 56, 56] float32: the z-scored volume of tools/preprocess.py
              (HU clipped to -200..300, 6 mm voxels, LPS, 56 x 56 x 32 centred).
Output "mask" [N, 3, 32, 56, 56] float32 logits: background, liver, spleen (argmax).

Graph, node by node:
  1. HU again from the z-scores: every volume holds air (clipped to exactly -200) and
     cortical bone of the spine (clipped to exactly 300), so the volume's minimum and
     maximum are -200 and 300 HU whatever normalisation was applied:
        hu = (ct - ReduceMin(ct)) / (ReduceMax(ct) - ReduceMin(ct)) * 500 - 200
     (a per-volume affine normalisation, z-score or another, is undone exactly).
  2. s = Conv(hu), a 3 x 3 x 3 mean (weights 1/27, zero padding): noise down ~5x.
  3. Intensity bands as tents, min(a, b) = a - Relu(a - b):
        liver  = min(s - 29, 85 - s)      (liver 54-64 HU; tissue 8-18; spleen 106-120)
        spleen = min(s - 45, 220 - s)
  4. The spleen's zone: zn = Clip((MaxPool3x3x3(s) - 95) / 5, 0, 1), within one voxel of
     spleen-dense tissue (the spleen is small at 6 mm: half its voxels are edge voxels),
     times 1 - Clip((MaxPool7x7x7(s) - 200) / 20, 0, 1): not within three voxels of bone,
     whose smoothed rim is as dense.
     The liver's exclusion: yn = Clip((MaxPool5x5x5(s) - 95) / 5, 0, 1), within two
     voxels of it (the spleen's smoothed rim passes through the liver band), also
     times 1 - g7 (near the spine the bone gate below does it).
  5. A bone gate: g = Clip((MaxPool5x5x5(s) - 200) / 20, 0, 1): within two voxels of
     bone, the smoothed edge of the spine passes through both bands; g suppresses it.
  6. logits = [0, 0.1 liver - 100 g - 5 yn, 0.1 spleen - 100 g + 5 zn - 5] (Concat, axis 1).
It segments well but not perfectly: partial volume at organ edges (the tents' bounds
are midpoints), the 6 mm grid and the mapping back, and the gate near the spine.

Usage (from examples/ct-segmentation/):  python tools/make_model.py
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent.parent
OUT = HERE / "model" / "ct-organs.onnx"
D, H, W = 32, 56, 56

LIVER = (29.0, 85.0)
SPLEEN = (45.0, 220.0)
ZONE = 95.0  # the spleen's zone: within one voxel of a voxel above 95 HU
ZONE_W = 5.0
BONE = 200.0
SCALE = 0.1


def const(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def build() -> onnx.ModelProto:
    nodes = []
    inits = [
        const("c500", 500.0), const("c200", 200.0),
        const("liver_lo", LIVER[0]), const("liver_hi2", LIVER[0] + LIVER[1]),
        const("spleen_lo", SPLEEN[0]), const("spleen_hi2", SPLEEN[0] + SPLEEN[1]),
        const("two", 2.0), const("scale", SCALE), const("bone", BONE), const("bone_w", 1.0 / 20.0),
        const("zone", ZONE), const("zone_s", 1.0 / 5.0), const("zone_w", ZONE_W),
        const("zero", 0.0), const("one", 1.0), const("gate_w", 100.0),
        const("mean_w", np.full((1, 1, 3, 3, 3), 1.0 / 27.0)),
    ]
    n = helper.make_node
    nodes += [
        n("ReduceMin", ["ct"], ["zmin"], axes=[1, 2, 3, 4], keepdims=1),
        n("ReduceMax", ["ct"], ["zmax"], axes=[1, 2, 3, 4], keepdims=1),
        n("Sub", ["ct", "zmin"], ["z0"]),
        n("Sub", ["zmax", "zmin"], ["zr"]),
        n("Div", ["z0", "zr"], ["u"]),
        n("Mul", ["u", "c500"], ["u500"]),
        n("Sub", ["u500", "c200"], ["hu"]),
        n("Conv", ["hu", "mean_w"], ["s"], kernel_shape=[3, 3, 3], pads=[1, 1, 1, 1, 1, 1]),
        # liver tent: (s - lo) - Relu(2 s - (lo + hi))
        n("Sub", ["s", "liver_lo"], ["l_a"]),
        n("Mul", ["s", "two"], ["s2"]),
        n("Sub", ["s2", "liver_hi2"], ["l_d"]),
        n("Relu", ["l_d"], ["l_r"]),
        n("Sub", ["l_a", "l_r"], ["l_t"]),
        n("Sub", ["s", "spleen_lo"], ["p_a"]),
        n("Sub", ["s2", "spleen_hi2"], ["p_d"]),
        n("Relu", ["p_d"], ["p_r"]),
        n("Sub", ["p_a", "p_r"], ["p_t"]),
        # bone gate
        n("MaxPool", ["s"], ["smax"], kernel_shape=[5, 5, 5], pads=[2, 2, 2, 2, 2, 2], strides=[1, 1, 1]),
        n("Sub", ["smax", "bone"], ["b_d"]),
        n("Mul", ["b_d", "bone_w"], ["b_s"]),
        n("Clip", ["b_s", "zero", "one"], ["g"]),
        n("Mul", ["g", "gate_w"], ["g100"]),
        # the spleen's zone
        n("MaxPool", ["s"], ["s3"], kernel_shape=[3, 3, 3], pads=[1, 1, 1, 1, 1, 1], strides=[1, 1, 1]),
        n("Sub", ["s3", "zone"], ["z_d"]),
        n("Mul", ["z_d", "zone_s"], ["z_s"]),
        n("Clip", ["z_s", "zero", "one"], ["zn_raw"]),
        # not where bone is within three voxels: the spine's rim is dense too
        n("MaxPool", ["s"], ["s7"], kernel_shape=[7, 7, 7], pads=[3, 3, 3, 3, 3, 3], strides=[1, 1, 1]),
        n("Sub", ["s7", "bone"], ["b7_d"]),
        n("Mul", ["b7_d", "bone_w"], ["b7_s"]),
        n("Clip", ["b7_s", "zero", "one"], ["g7"]),
        n("Mul", ["zn_raw", "g7"], ["zn_bone"]),
        n("Sub", ["zn_raw", "zn_bone"], ["zn"]),
        n("Mul", ["zn", "zone_w"], ["zn5"]),
        n("Mul", ["l_t", "scale"], ["l_s"]),
        n("Sub", ["l_s", "g100"], ["l_g"]),
        # the liver is kept two voxels away from spleen-dense tissue (the spleen's rim)
        n("Sub", ["smax", "zone"], ["y_d"]),
        n("Mul", ["y_d", "zone_s"], ["y_s"]),
        n("Clip", ["y_s", "zero", "one"], ["yn_raw"]),
        n("Mul", ["yn_raw", "g7"], ["yn_bone"]),
        n("Sub", ["yn_raw", "yn_bone"], ["yn"]),
        n("Mul", ["yn", "zone_w"], ["yn5"]),
        n("Sub", ["l_g", "yn5"], ["liver"]),
        n("Mul", ["p_t", "scale"], ["p_s"]),
        n("Sub", ["p_s", "g100"], ["p_g"]),
        n("Add", ["p_g", "zn5"], ["p_z"]),
        n("Sub", ["p_z", "zone_w"], ["spleen"]),
        n("Mul", ["s", "zero"], ["background"]),
        n("Concat", ["background", "liver", "spleen"], ["mask"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "ct-organs",
        [helper.make_tensor_value_info("ct", TensorProto.FLOAT, ["N", 1, D, H, W])],
        [helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["N", 3, D, H, W])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="clic-example", producer_version="1.0.0")
    model.ir_version = 8
    model.doc_string = "ct-organs 1.0.0: liver and spleen on abdominal CT (synthetic example, hand-set weights)"
    onnx.checker.check_model(model, full_check=True)
    return model


def mirror(ct: np.ndarray) -> np.ndarray:
    """The same graph in numpy (float64), for the check against onnxruntime."""
    from scipy import ndimage

    x = ct.astype(np.float64)
    out = []
    for v in x[:, 0]:
        hu = (v - v.min()) / (v.max() - v.min()) * 500 - 200
        s = ndimage.uniform_filter(hu, size=3, mode="constant", cval=0.0)
        lt = (s - LIVER[0]) - np.maximum(2 * s - LIVER[0] - LIVER[1], 0)
        pt = (s - SPLEEN[0]) - np.maximum(2 * s - SPLEEN[0] - SPLEEN[1], 0)
        smax = ndimage.maximum_filter(s, size=5, mode="constant", cval=-np.inf)
        g = np.clip((smax - BONE) / 20.0, 0, 1)
        zn = np.clip((ndimage.maximum_filter(s, size=3, mode="constant", cval=-np.inf) - ZONE) / 5.0, 0, 1)
        g7 = np.clip((ndimage.maximum_filter(s, size=7, mode="constant", cval=-np.inf) - BONE) / 20.0, 0, 1)
        zn = zn - zn * g7
        yn = np.clip((smax - ZONE) / 5.0, 0, 1)
        yn = yn - yn * g7
        out.append(np.stack([np.zeros_like(s), SCALE * lt - 100 * g - ZONE_W * yn,
                             SCALE * pt - 100 * g + ZONE_W * zn - ZONE_W]))
    return np.stack(out)


def main() -> int:
    model = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(model.SerializeToString())
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"{OUT.relative_to(HERE)}: {OUT.stat().st_size} bytes, sha256 {digest}")
    # numpy mirror against onnxruntime on one reference series
    import onnxruntime as ort

    sys.path.insert(0, str(Path(__file__).parent))
    import preprocess as pp

    geo, hu, _ = pp.read_series(HERE / "data" / "reference" / "series-01")
    x, _ = pp.preprocess(hu, geo)
    sess = ort.InferenceSession(str(OUT), providers=["CPUExecutionProvider"])
    y = sess.run(["mask"], {"ct": x[None]})[0]
    ym = mirror(x[None])
    print(f"onnxruntime vs numpy mirror: max abs difference {np.abs(y - ym).max():.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
