"""A tiny CNN in plain numpy (forward + backward) and its ONNX export.

Architecture (input [N,1,64,64], cross-correlation like ONNX Conv):
    Conv 3x3, 1->8,  pad 1 -> Relu -> MaxPool 2x2/2     [N, 8,32,32]
    Conv 3x3, 8->16, pad 1 -> Relu -> MaxPool 2x2/2     [N,16,16,16]
    Conv 3x3, 16->16, pad 1 -> Relu                     [N,16,16,16]
    GlobalMaxPool -> Flatten -> Gemm 16->1 -> Sigmoid       prob [N,1]
(HEAD = "avg" switches the head to GlobalAveragePool; the released model uses "max".)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

LAYERS = [(1, 8), (8, 16), (16, 16)]
HEAD = "max"  # "max" (GlobalMaxPool) or "avg" (GlobalAveragePool)


def init_params(rng: np.random.Generator) -> dict:
    p = {}
    for i, (cin, cout) in enumerate(LAYERS, start=1):
        fan_in = cin * 9
        p[f"W{i}"] = (rng.standard_normal((cout, cin, 3, 3)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        p[f"B{i}"] = np.zeros(cout, np.float32)
    p["Wd"] = (rng.standard_normal((1, LAYERS[-1][1])) * 0.1).astype(np.float32)
    p["Bd"] = np.zeros(1, np.float32)
    return p


def conv_fwd(x, W, b):
    B, C, H, Wd = x.shape
    F = W.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = sliding_window_view(xp, (3, 3), axis=(2, 3))  # B,C,H,W,3,3
    cols = np.ascontiguousarray(cols.transpose(0, 2, 3, 1, 4, 5)).reshape(B * H * Wd, C * 9)
    out = cols @ W.reshape(F, C * 9).T + b
    return out.reshape(B, H, Wd, F).transpose(0, 3, 1, 2), cols


def conv_bwd(dout, cols, x_shape, W, need_dx=True):
    B, C, H, Wd = x_shape
    F = W.shape[0]
    d2 = dout.transpose(0, 2, 3, 1).reshape(-1, F)
    dW = (d2.T @ cols).reshape(W.shape)
    db = d2.sum(axis=0)
    if not need_dx:
        return None, dW, db
    dcols = (d2 @ W.reshape(F, C * 9)).reshape(B, H, Wd, C, 3, 3)
    dxp = np.zeros((B, C, H + 2, Wd + 2), dtype=dout.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + H, j:j + Wd] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, 1:-1, 1:-1], dW, db


def pool_fwd(x):
    B, C, H, W = x.shape
    xr = x.reshape(B, C, H // 2, 2, W // 2, 2)
    out = xr.max(axis=(3, 5))
    mask = xr == out[:, :, :, None, :, None]
    return out, mask


def pool_bwd(dout, mask):
    B, C, h, _, w, _ = mask.shape
    return (mask * dout[:, :, :, None, :, None]).reshape(B, C, h * 2, w * 2)


def forward(p, x, keep=False):
    cache = {}
    a = x
    for i in (1, 2, 3):
        z, cols = conv_fwd(a, p[f"W{i}"], p[f"B{i}"])
        cache[f"in{i}"] = (a.shape, cols)
        r = np.maximum(z, 0)
        cache[f"relu{i}"] = z > 0
        if i < 3:
            a, mask = pool_fwd(r)
            cache[f"pool{i}"] = mask
        else:
            a = r
    if HEAD == "max":
        g = a.max(axis=(2, 3))  # global max pool -> [B,16]
        cache["gmp_mask"] = a == g[:, :, None, None]
    else:
        g = a.mean(axis=(2, 3))  # global average pool -> [B,16]
    cache["gap_shape"] = a.shape
    cache["g"] = g
    logit = g @ p["Wd"].T + p["Bd"]  # [B,1]
    return (logit, cache) if keep else logit


def backward(p, cache, dlogit):
    grads = {}
    g = cache["g"]
    grads["Wd"] = dlogit.T @ g
    grads["Bd"] = dlogit.sum(axis=0)
    dg = dlogit @ p["Wd"]  # [B,16]
    B, C, H, W = cache["gap_shape"]
    if HEAD == "max":
        mask = cache["gmp_mask"]
        da = (mask * (dg / mask.sum(axis=(2, 3)))[:, :, None, None]).astype(np.float32)
    else:
        da = np.broadcast_to(dg[:, :, None, None] / (H * W), (B, C, H, W)).astype(np.float32)
    for i in (3, 2, 1):
        if i < 3:
            da = pool_bwd(da, cache[f"pool{i}"])
        dz = da * cache[f"relu{i}"]
        shape, cols = cache[f"in{i}"]
        da, grads[f"W{i}"], grads[f"B{i}"] = conv_bwd(dz, cols, shape, p[f"W{i}"], need_dx=i > 1)
    return grads


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def predict(p, x, batch=256):
    out = []
    for s in range(0, len(x), batch):
        out.append(sigmoid(forward(p, x[s:s + batch]))[:, 0])
    return np.concatenate(out) if out else np.zeros(0)


def to_onnx(p, metadata: dict, producer_version: str):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.asarray(v, np.float32), name=k) for k, v in sorted(p.items())]
    nodes = []
    cur = "image"
    for i in (1, 2, 3):
        nodes.append(helper.make_node("Conv", [cur, f"W{i}", f"B{i}"], [f"conv{i}"], name=f"conv{i}",
                                      kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]))
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"], name=f"relu{i}"))
        cur = f"relu{i}"
        if i < 3:
            nodes.append(helper.make_node("MaxPool", [cur], [f"pool{i}"], name=f"pool{i}",
                                          kernel_shape=[2, 2], strides=[2, 2]))
            cur = f"pool{i}"
    nodes.append(helper.make_node("GlobalMaxPool" if HEAD == "max" else "GlobalAveragePool", [cur], ["gap"],
                                  name="global_pool"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
    nodes.append(helper.make_node("Gemm", ["flat", "Wd", "Bd"], ["logit"], name="dense", transB=1))
    nodes.append(helper.make_node("Sigmoid", ["logit"], ["prob"], name="sigmoid"))
    graph = helper.make_graph(
        nodes, "cxr_pneumothorax",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 64, 64])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 1])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="clic-example-cxr-train", producer_version=producer_version)
    model.ir_version = 8
    model.doc_string = ("Synthetic-data example model for clic: chest radiograph pneumothorax-like finding "
                        "triage. Input: preprocessed 64x64 image (see PREPROCESSING.md). Output: probability.")
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    return model
