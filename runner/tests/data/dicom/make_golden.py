"""Golden preprocessing of reference scans, computed with the normative
examples/chest-xray-triage/tools/preprocess.py (pydicom + numpy). The Rust runner
(runner/src/dicom) must agree within 1e-5 (runner/tests/dicom_golden.rs).

The files cover every transfer syntax of the reference set (JPEG 2000 Lossless,
Explicit VR Little Endian, Implicit VR Little Endian, Deflated Explicit VR Little
Endian, RLE Lossless), MONOCHROME1 and MONOCHROME2, rescaled files, files with one
and with two window values, and files without a window (min-max).

Writes golden.f32 (the [N, 1, 64, 64] tensors, little-endian float32, in the order
of golden.json) and golden.json (per file: metadata read by pydicom, the modality-LUT
pixel statistics). Regenerate from the repository root:
    python runner/tests/data/dicom/make_golden.py
"""
import hashlib, json, pathlib, sys
import numpy as np
import pydicom

here = pathlib.Path(__file__).resolve().parent
example = here.parents[3] / "examples/chest-xray-triage"
sys.path.insert(0, str(example / "tools"))
import preprocess  # noqa: E402

FILES = [
    "cxr-0001.dcm",  # JPEG 2000, MONOCHROME2, no rescale, no window
    "cxr-0010.dcm",  # JPEG 2000, MONOCHROME2, rescale, window
    "cxr-0062.dcm",  # JPEG 2000, MONOCHROME1, rescale, two windows
    "cxr-0004.dcm",  # JPEG 2000, MONOCHROME1, window
    "cxr-0003.dcm",  # Explicit VR LE, MONOCHROME1, rescale, no window
    "cxr-0123.dcm",  # Explicit VR LE, MONOCHROME2, rescale, window
    "cxr-0118.dcm",  # Explicit VR LE, MONOCHROME1, two windows
    "cxr-0014.dcm",  # Implicit VR LE, MONOCHROME2, rescale, two windows
    "cxr-0058.dcm",  # Implicit VR LE, MONOCHROME2, plain
    "cxr-0045.dcm",  # Deflated, MONOCHROME2, rescale, two windows
    "cxr-0134.dcm",  # Deflated, MONOCHROME1, window
    "cxr-0005.dcm",  # RLE, MONOCHROME2, rescale, window
    "cxr-0162.dcm",  # RLE, MONOCHROME1, rescale, no window
]

tensors, records = [], []
for name in FILES:
    path = example / "data/reference" / name
    ds = pydicom.dcmread(path)
    x = preprocess.preprocess_dataset(ds)
    assert x.shape == (1, 64, 64) and x.dtype == np.float32, (x.shape, x.dtype)
    tensors.append(x)
    slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
    m = preprocess.modality_lut(ds.pixel_array, slope, intercept)
    window = None
    if "WindowCenter" in ds and "WindowWidth" in ds:
        window = [preprocess._first(ds.WindowCenter), preprocess._first(ds.WindowWidth)]
    records.append({
        "file": name,
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "sop_class": str(ds.SOPClassUID),
        "modality": str(ds.Modality),
        "manufacturer": str(ds.Manufacturer),
        "model_name": str(ds.ManufacturerModelName),
        "sex": str(ds.PatientSex),
        "age": str(ds.PatientAge),
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "bits_allocated": int(ds.BitsAllocated),
        "bits_stored": int(ds.BitsStored),
        "photometric": str(ds.PhotometricInterpretation),
        "slope": slope,
        "intercept": intercept,
        "window": window,
        "patient_hash": hashlib.sha256(str(ds.PatientID).encode()).hexdigest(),
        "study_hash": hashlib.sha256(str(ds.StudyInstanceUID).encode()).hexdigest(),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "min": float(m.min()),
        "max": float(m.max()),
        "mean": float(m.mean()),
    })

(here / "golden.f32").write_bytes(np.stack(tensors).astype("<f4").tobytes())
out = {
    "source": f"tools/preprocess.py with pydicom {pydicom.__version__}, numpy {np.__version__}",
    "shape": [len(FILES), 1, 64, 64],
    "files": records,
}
(here / "golden.json").write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {len(FILES)} tensors")
