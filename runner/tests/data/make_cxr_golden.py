"""Golden outputs of the example model on four real, preprocessed reference scans,
computed with the onnxruntime Python package (the reference implementation). The Rust
backends must agree with these within 1e-4.

Writes cxr_probe.f32 (the [4, 1, 64, 64] input, little-endian float32) and
cxr_golden.json (the scores). Regenerate from the repository root:
    python runner/tests/data/make_cxr_golden.py
"""
import json, pathlib, sys
import numpy as np
import onnxruntime as ort

here = pathlib.Path(__file__).resolve().parent
example = here.parents[2] / "examples/chest-xray-triage"
sys.path.insert(0, str(example / "tools"))
from preprocess import preprocess_file  # noqa: E402

files = ["cxr-0001.dcm", "cxr-0008.dcm", "cxr-0013.dcm", "cxr-0019.dcm"]
x = np.stack([preprocess_file(example / "data/reference" / f) for f in files]).astype(np.float32)
assert x.shape == (4, 1, 64, 64), x.shape
sess = ort.InferenceSession(str(example / "model/cxr.onnx"), providers=["CPUExecutionProvider"])
(prob,) = sess.run(["prob"], {"image": x})
(here / "cxr_probe.f32").write_bytes(x.astype("<f4").tobytes())
out = {
    "source": f"onnxruntime {ort.__version__} (Python) on examples/chest-xray-triage/model/cxr.onnx",
    "input": "cxr_probe.f32: tools/preprocess.py applied to " + ", ".join(files),
    "shape": [4, 1, 64, 64],
    "prob": [float(v) for v in prob.reshape(-1)],
}
(here / "cxr_golden.json").write_text(json.dumps(out, indent=2) + "\n")
print(out["prob"])
