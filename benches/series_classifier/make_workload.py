"""The series classifier's benchmark workload (issue 14): NSERIES brain-MR-like series of
SIDE x SIDE x NSLICES 16-bit slices (1 mm pixels, 2 mm slices), one study and series each,
two patients' studies per patient, labels by StudyInstanceUID for two findings, a small ONNX
model (the mean of the z-scored volume, scaled, to two sigmoids: its cost is the engine's
reading and preprocessing, not inference) and the manifest of a study-level triage.

    python3 make_workload.py OUT NSERIES SIDE NSLICES       (deterministic: seed 0)
"""
import sys, os, numpy as np, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
import onnx
from onnx import helper, TensorProto

out, nseries, side, nslices = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ref = os.path.join(out, "data/reference")
os.makedirs(ref, exist_ok=True)
root = "1.2.826.0.1.3680043.10.544"
rng = np.random.default_rng(0)
labels = ["StudyInstanceUID,lesion,bleed"]
for s in range(nseries):
    study = f"{root}.{s}"
    series = f"{root}.{s}.1"
    d = os.path.join(ref, f"st{s:04d}")
    os.makedirs(d, exist_ok=True)
    base = int(rng.integers(0, 200))
    for z in range(nslices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
        meta.MediaStorageSOPInstanceUID = f"{series}.{z+1}"
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset(); ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID; ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = "MR"; ds.SeriesDescription = "T1 axial"; ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.PatientID = f"P{s//2:04d}"; ds.PatientSex = "MF"[s % 2]; ds.PatientAge = "050Y"
        ds.StudyInstanceUID = study; ds.SeriesInstanceUID = series; ds.InstanceNumber = z + 1
        ds.ImagePositionPatient = [0, 0, 2 * z]; ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [1, 1]; ds.SliceThickness = 2
        ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = side; ds.Columns = side; ds.BitsAllocated = 16; ds.BitsStored = 16; ds.HighBit = 15
        ds.PixelRepresentation = 0; ds.RescaleIntercept = 0; ds.RescaleSlope = 1
        px = (base + rng.integers(0, 100, size=(side, side))).astype(np.uint16)
        ds.PixelData = px.tobytes()
        ds.save_as(os.path.join(d, f"slice-{z:03d}.dcm"), enforce_file_format=True)
    labels.append(f"{study},{int(base > 100)},{int(base % 3 == 0)}")
open(os.path.join(ref, "labels.csv"), "w").write("\n".join(labels) + "\n")
os.makedirs(os.path.join(out, "model"), exist_ok=True)
g = helper.make_graph(
    [helper.make_node("ReduceMean", ["t1"], ["m"], axes=[2, 3, 4], keepdims=0),
     helper.make_node("Mul", ["m", "scale"], ["s"]), helper.make_node("Add", ["s", "bias"], ["l"]),
     helper.make_node("Sigmoid", ["l"], ["probs"])], "triage",
    [helper.make_tensor_value_info("t1", TensorProto.FLOAT, [1, 1, 32, 64, 64])],
    [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 2])],
    [helper.make_tensor("scale", TensorProto.FLOAT, [2], [0.02, -0.01]), helper.make_tensor("bias", TensorProto.FLOAT, [2], [-2.0, 1.0])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
onnx.save(m, os.path.join(out, "model/triage.onnx"))
open(os.path.join(out, "model.clic"), "w").write('''model brain-triage {
  version "1.0.0"
  purpose "Flags brain MR studies with a suspected lesion for prioritised reading."
  class IIa by rule 11
  artifact "model/triage.onnx"
  input "t1" series where modality MR, description matches "^T1" {
    rescale from dicom
    resample 2 x 2 x 2 mm linear
    crop or pad 64 x 64 x 32 fill 0
    normalize zscore
  }
  findings "probs" {
    lesion index 0 positive when >= 0.5 means "lesion suspected"
    bleed index 1 positive when >= 0.5 means "haemorrhage suspected"
  }
  unit study aggregate max
  reference "data/reference" labels "data/reference/labels.csv"
}
''')
