"""A ResNet-18 (torchvision's layout) as ONNX, from seeded random weights.

`build(seed)` returns the serialized model: input `image` [N, 3, 224, 224] float32,
output `prob` [N, 1] (a sigmoid of one logit). Batch normalisation is folded into
each convolution's weights and bias, as an exported inference graph has it. Weights
are He-normal from numpy's PCG64 seeded with `seed`; the classifier's weights are
scaled down so that the probabilities spread over (0, 1) instead of saturating.
11.2 M parameters, 1.8 GFLOPs per image, as the real architecture.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Graph:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.n = 0

    def name(self, what: str) -> str:
        self.n += 1
        return f"{what}_{self.n}"

    def const(self, array: np.ndarray, what: str) -> str:
        name = self.name(what)
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int, relu: bool) -> str:
        std = np.sqrt(2.0 / (cin * k * k))
        w = self.const(self.rng.normal(0.0, std, (cout, cin, k, k)), "w")
        b = self.const(self.rng.normal(0.0, 0.01, (cout,)), "b")
        y = self.name("conv")
        pad = k // 2
        self.nodes.append(
            helper.make_node(
                "Conv", [x, w, b], [y], kernel_shape=[k, k], strides=[stride, stride],
                pads=[pad, pad, pad, pad],
            )
        )
        return self.relu(y) if relu else y

    def relu(self, x: str) -> str:
        y = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [x], [y]))
        return y

    def block(self, x: str, cin: int, cout: int, stride: int) -> str:
        h = self.conv(x, cin, cout, 3, stride, relu=True)
        h = self.conv(h, cout, cout, 3, 1, relu=False)
        short = x if stride == 1 and cin == cout else self.conv(x, cin, cout, 1, stride, relu=False)
        y = self.name("add")
        self.nodes.append(helper.make_node("Add", [h, short], [y]))
        return self.relu(y)


def build(seed: int) -> bytes:
    g = Graph(seed)
    x = g.conv("image", 3, 64, 7, 2, relu=True)
    y = g.name("pool")
    g.nodes.append(
        helper.make_node("MaxPool", [x], [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    )
    x, cin = y, 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        x = g.block(x, cin, cout, stride)
        x = g.block(x, cout, cout, 1)
        cin = cout
    pooled = g.name("gap")
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled]))
    flat = g.name("flat")
    g.nodes.append(helper.make_node("Flatten", [pooled], [flat], axis=1))
    w = g.const(g.rng.normal(0.0, 1.0 / (np.sqrt(512) * 4.0), (1, 512)), "fc_w")
    b = g.const(np.zeros((1,)), "fc_b")
    logit = g.name("logit")
    g.nodes.append(helper.make_node("Gemm", [flat, w, b], [logit], transB=1))
    g.nodes.append(helper.make_node("Sigmoid", [logit], ["prob"]))
    graph = helper.make_graph(
        g.nodes,
        "resnet18",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 1])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="clic-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()
