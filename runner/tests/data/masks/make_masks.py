"""Fixtures of runner/tests/masks.rs: a small oblique CT series, NIfTI label maps and DICOM
SEGs on it, and the expected result of reading each (per structure: the voxel count and the
LPS centroid in mm), computed with nibabel's affine (NIfTI) and highdicom's pixel-to-patient
transform (SEG), not with clic's code. Deterministic: re-running rewrites the same bytes.

Made with: Python 3.11.7, numpy 2.4.6, pydicom 3.0.2, nibabel 5.4.2, highdicom 0.28.2
    pip install pydicom==3.0.2 nibabel==5.4.2 highdicom==0.28.2
Regenerate from the repository root:
    python runner/tests/data/masks/make_masks.py
"""
import copy
import gzip
import io
import json
import pathlib

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pack_bits, unpack_bits
from pydicom.sr.codedict import codes
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

HERE = pathlib.Path(__file__).resolve().parent
COLS, ROWS, SLICES = 15, 11, 8  # 165 pixels a frame: frames do not start on byte boundaries
ROW_SPACING, COL_SPACING, SLICE_SPACING = 0.7, 0.8, 2.5  # mm: PixelSpacing = [row, column]
ORIGIN = np.array([-20.5, 13.25, 40.0])


def uid(*parts):
    return generate_uid(entropy_srcs=["clic-masks-fixture", *map(str, parts)])


def rotation():
    """An oblique orientation: 20 degrees about z, then 10 about x (row, column, normal)."""
    a, b = np.radians(20.0), np.radians(10.0)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    m = rx @ rz
    row, col = m[:, 0], m[:, 1]
    return row, col, np.cross(row, col)


ROW_DIR, COL_DIR, NORMAL = rotation()
# DICOM writes DS values as text: round them so the files and the JSON agree exactly.
ROW_DIR, COL_DIR = np.round(ROW_DIR, 8), np.round(COL_DIR, 8)


def ct_series(series_uid, sop_uids, spacing=(ROW_SPACING, COL_SPACING), shift=(0.0, 0.0, 0.0)):
    study = uid("study")
    frame_of_reference = uid("for")
    out = []
    for k in range(SLICES):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = pydicom.uid.CTImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = sop_uids[k]
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = pydicom.uid.CTImageStorage
        ds.SOPInstanceUID = sop_uids[k]
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_of_reference
        ds.PatientID = "MASKS-001"
        ds.PatientName = "Masks^Fixture"
        ds.PatientBirthDate = ""
        ds.PatientSex = "O"
        ds.StudyDate = "20260101"
        ds.StudyTime = "120000"
        ds.StudyID = "1"
        ds.AccessionNumber = ""
        ds.ReferringPhysicianName = ""
        ds.Modality = "CT"
        ds.SeriesNumber = 1
        ds.InstanceNumber = k + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImageOrientationPatient = [float(v) for v in (*ROW_DIR, *COL_DIR)]
        pos = ORIGIN + np.array(shift) + k * SLICE_SPACING * NORMAL
        ds.ImagePositionPatient = [round(float(v), 6) for v in pos]
        ds.PixelSpacing = list(spacing)
        ds.SliceThickness = SLICE_SPACING
        ds.Rows, ds.Columns = ROWS, COLS
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = 0, 1
        pixels = (np.arange(ROWS * COLS, dtype=np.int16).reshape(ROWS, COLS) * 3 + 10 * k) - 200
        ds.PixelData = pixels.astype("<i2").tobytes()
        out.append(ds)
    return out


SERIES = uid("series")
SOPS = [uid("slice", k) for k in range(SLICES)]
CT = ct_series(SERIES, SOPS)


def source_geometry(datasets):
    """The source geometry as clic's Geometry states it (LPS, x = columns)."""
    first = datasets[0]
    iop = np.array(first.ImageOrientationPatient, dtype=float)
    positions = [np.array(d.ImagePositionPatient, dtype=float) for d in datasets]
    normal = np.cross(iop[:3], iop[3:])
    dz = float(np.dot(positions[1] - positions[0], normal))
    return {
        "size": [COLS, ROWS, len(datasets)],
        "spacing": [float(first.PixelSpacing[1]), float(first.PixelSpacing[0]), dz],
        "origin": [float(v) for v in positions[0]],
        "direction": [list(map(float, iop[:3])), list(map(float, iop[3:])), list(map(float, normal))],
    }


def structures_zyx():
    """The reference structures on the source grid, [z, y, x]."""
    z, y, x = np.meshgrid(np.arange(SLICES), np.arange(ROWS), np.arange(COLS), indexing="ij")
    liver = ((x - 5) / 4.2) ** 2 + ((y - 5) / 3.6) ** 2 + ((z - 3) / 2.6) ** 2 <= 1.0
    spleen = (x >= 10) & (x <= 13) & (y >= 2) & (y <= 5) & (z >= 4) & (z <= 6)
    return liver, spleen


LIVER, SPLEEN = structures_zyx()


def ras_affine(geom, flip_z=False):
    d = np.array(geom["direction"]).T * np.array(geom["spacing"])
    lps = np.eye(4)
    lps[:3, :3] = d
    lps[:3, 3] = geom["origin"]
    if flip_z:
        # The k axis reversed: voxel k is source slice n-1-k.
        lps[:3, 3] = lps[:3, 3] + lps[:3, 2] * (geom["size"][2] - 1)
        lps[:3, 2] = -lps[:3, 2]
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps


def expected_nifti(path, labels):
    """Voxel count and LPS centroid per label, from the file nibabel reads back."""
    img = nib.load(str(path))
    data = np.asanyarray(img.dataobj)
    out = {}
    for name, value in labels.items():
        ijk = np.argwhere(np.rint(data) == value)
        ras = nib.affines.apply_affine(img.affine, ijk)
        lps = ras * np.array([-1.0, -1.0, 1.0])
        out[name] = {"voxels": int(len(ijk)), "centroid": [float(v) for v in lps.mean(axis=0)]}
    return out


def write_gzip(path, raw):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as f:
        f.write(raw)
    path.write_bytes(buf.getvalue())


def nifti_fixtures(geom):
    labels_zyx = np.zeros((SLICES, ROWS, COLS), dtype=np.uint8)
    labels_zyx[LIVER] = 1
    labels_zyx[SPLEEN] = 2
    xyz = labels_zyx.transpose(2, 1, 0)  # NIfTI's i, j, k = x, y, z
    cases = {}

    img = nib.Nifti1Image(xyz, ras_affine(geom))
    img.set_qform(ras_affine(geom), code=1)
    img.set_sform(ras_affine(geom), code=1)
    nib.save(img, str(HERE / "labels.nii"))
    cases["labels.nii"] = {"expect": "ok"}

    # Gzipped, int16, sform only (qform code 0).
    img = nib.Nifti1Image(xyz.astype(np.int16), ras_affine(geom))
    img.set_qform(None, code=0)
    img.set_sform(ras_affine(geom), code=2)
    write_gzip(HERE / "labels.nii.gz", img.to_bytes())
    cases["labels.nii.gz"] = {"expect": "ok"}

    # The qform alone, float32 labels, the k axis reversed (qfac = -1).
    flipped = xyz[:, :, ::-1].astype(np.float32)
    img = nib.Nifti1Image(flipped, ras_affine(geom, flip_z=True))
    img.set_sform(None, code=0)
    img.set_qform(ras_affine(geom, flip_z=True), code=1)
    nib.save(img, str(HERE / "labels-qform.nii"))
    assert img.header["pixdim"][0] == -1.0, img.header["pixdim"]
    cases["labels-qform.nii"] = {"expect": "ok"}

    # NIfTI-2, uint16.
    img = nib.Nifti2Image(xyz.astype(np.uint16), ras_affine(geom))
    img.set_sform(ras_affine(geom), code=1)
    nib.save(img, str(HERE / "labels-nifti2.nii"))
    cases["labels-nifti2.nii"] = {"expect": "ok"}

    # Big-endian int16.
    img = nib.Nifti1Image(xyz.astype(">i2"), ras_affine(geom), header=nib.Nifti1Header(endianness=">"))
    img.set_sform(ras_affine(geom), code=1)
    nib.save(img, str(HERE / "labels-bigendian.nii"))
    assert nib.load(str(HERE / "labels-bigendian.nii")).header.endianness == ">"
    cases["labels-bigendian.nii"] = {"expect": "ok"}

    # The i and j axes swapped and j reversed (stored [y, x, z], y running up), gzipped.
    a = ras_affine(geom)
    swapped = np.eye(4)
    swapped[:3, 0] = -a[:3, 1]
    swapped[:3, 1] = a[:3, 0]
    swapped[:3, 2] = a[:3, 2]
    swapped[:3, 3] = a[:3, 3] + a[:3, 1] * (ROWS - 1)
    data = xyz.transpose(1, 0, 2)[::-1, :, :]  # voxel (i, j) = source (x = j, y = ROWS-1-i)
    img = nib.Nifti1Image(np.ascontiguousarray(data), swapped)
    write_gzip(HERE / "labels-transposed.nii.gz", img.to_bytes())
    cases["labels-transposed.nii.gz"] = {"expect": "ok"}

    # On a wrong geometry: shifted 1.5 mm along the rows; slices 3 mm apart.
    shifted = ras_affine(geom)
    shifted[:3, 3] += np.array([-1, -1, 1]) * ROW_DIR * 1.5
    img = nib.Nifti1Image(xyz, shifted)
    nib.save(img, str(HERE / "labels-shifted.nii"))
    cases["labels-shifted.nii"] = {"expect": "geometry", "what": "origin"}
    spaced = ras_affine(geom)
    spaced[:3, 2] *= 3.0 / SLICE_SPACING
    img = nib.Nifti1Image(xyz, spaced)
    nib.save(img, str(HERE / "labels-spacing.nii"))
    cases["labels-spacing.nii"] = {"expect": "geometry", "what": "spacing"}

    for name, case in cases.items():
        if case["expect"] == "ok":
            case["structures"] = expected_nifti(HERE / name, {"liver": 1, "spleen": 2})
    return cases


def segment_descriptions(second_label):
    algo = hd.AlgorithmIdentificationSequence(
        name="clic fixture", version="1", family=codes.cid7162.ArtificialIntelligence
    )
    return [
        hd.seg.SegmentDescription(
            segment_number=1,
            segment_label="Liver",
            segmented_property_category=codes.SCT.Organ,
            segmented_property_type=codes.SCT.Liver,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algo,
        ),
        hd.seg.SegmentDescription(
            segment_number=2,
            segment_label=second_label,
            segmented_property_category=codes.SCT.Organ,
            segmented_property_type=codes.SCT.Spleen,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algo,
        ),
    ]


def make_seg(source, pixel_array, kind, name, second_label="Organ 2"):
    seg = hd.seg.Segmentation(
        source_images=source,
        pixel_array=pixel_array,
        segmentation_type=kind,
        segment_descriptions=segment_descriptions(second_label),
        series_instance_uid=uid("seg-series", name),
        series_number=100,
        sop_instance_uid=uid("seg", name),
        instance_number=1,
        manufacturer="clic",
        manufacturer_model_name="fixture",
        software_versions="1",
        device_serial_number="1",
        max_fractional_value=255,
        content_label="FIXTURE",
    )
    # A fixed date and time: the same bytes on every run.
    for attr in ("ContentDate", "SeriesDate", "InstanceCreationDate"):
        if attr in seg:
            setattr(seg, attr, "20260101")
    for attr in ("ContentTime", "SeriesTime", "InstanceCreationTime"):
        if attr in seg:
            setattr(seg, attr, "120000")
    for item in seg.get("ContributingEquipmentSequence", []):
        item.ContributionDateTime = "20260101120000"
    organization = uid("dimension-organization", name)
    for item in [*seg.DimensionOrganizationSequence, *seg.DimensionIndexSequence]:
        item.DimensionOrganizationUID = organization
    return seg


def shuffle_binary_frames(seg, order):
    n = int(seg.NumberOfFrames)
    bits = unpack_bits(seg.PixelData)[: n * ROWS * COLS].reshape(n, ROWS * COLS)
    seg.PixelData = pack_bits(bits[order].reshape(-1))
    items = list(seg.PerFrameFunctionalGroupsSequence)
    seg.PerFrameFunctionalGroupsSequence = pydicom.Sequence([items[i] for i in order])


def stored_frames(seg):
    """The frames as stored: BINARY bits unpacked from the whole stream, LSB first."""
    n = int(seg.NumberOfFrames)
    if seg.SegmentationType == "LABELMAP":
        dtype = np.uint8 if seg.BitsAllocated == 8 else np.dtype("<u2")
        return np.frombuffer(seg.PixelData, dtype=dtype)[: n * ROWS * COLS].reshape(n, ROWS, COLS)
    if seg.SegmentationType == "BINARY":
        raw = np.frombuffer(seg.PixelData, dtype=np.uint8)
        bits = np.unpackbits(raw, bitorder="little")[: n * ROWS * COLS]
        return bits.reshape(n, ROWS, COLS).astype(bool)
    values = np.frombuffer(seg.PixelData, dtype=np.uint8)[: n * ROWS * COLS].reshape(n, ROWS, COLS)
    return values / float(seg.MaximumFractionalValue) >= 0.5


def expected_seg(seg):
    """Per segment number: voxel count and LPS centroid, by highdicom's transform."""
    frames = stored_frames(seg)
    shared = seg.SharedFunctionalGroupsSequence[0]
    iop = shared.PlaneOrientationSequence[0].ImageOrientationPatient
    spacing = shared.PixelMeasuresSequence[0].PixelSpacing
    points = {}
    labelmap = seg.SegmentationType == "LABELMAP"
    numbers = [int(s.SegmentNumber) for s in seg.SegmentSequence]
    for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
        ipp = item.PlanePositionSequence[0].ImagePositionPatient
        transform = hd.spatial.PixelToReferenceTransformer(
            image_position=ipp, image_orientation=iop, pixel_spacing=spacing
        )
        if labelmap:
            on = {number: frames[f] == number for number in numbers}
        else:
            number = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
            on = {number: frames[f]}
        for number, mask in on.items():
            rc = np.argwhere(mask)
            if len(rc):
                points.setdefault(number, []).append(transform(rc[:, ::-1]))
    out = {}
    for number, chunks in points.items():
        p = np.concatenate(chunks)
        out[number] = {"voxels": int(len(p)), "centroid": [float(v) for v in p.mean(axis=0)]}
    return out


def save(ds, name):
    ds.save_as(str(HERE / name), enforce_file_format=True)


def seg_fixtures():
    cases = {}
    both = np.stack([LIVER, SPLEEN], axis=-1).astype(np.uint8)  # [z, y, x, segment]

    seg = make_seg(CT, both, hd.seg.SegmentationTypeValues.BINARY, "binary")
    n = int(seg.NumberOfFrames)
    order = np.random.default_rng(14).permutation(n)
    assert (order != np.arange(n)).any()
    shuffle_binary_frames(seg, order)
    save(seg, "seg-binary.dcm")
    got = expected_seg(pydicom.dcmread(HERE / "seg-binary.dcm"))
    cases["seg-binary.dcm"] = {
        "expect": "ok",
        "frames": n,
        "structures": {"liver": got[1], "spleen": got[2]},
    }

    # FRACTIONAL: a soft liver, placed by position (no DerivationImageSequence).
    z, y, x = np.meshgrid(np.arange(SLICES), np.arange(ROWS), np.arange(COLS), indexing="ij")
    r = np.sqrt(((x - 5) / 4.2) ** 2 + ((y - 5) / 3.6) ** 2 + ((z - 3) / 2.6) ** 2)
    soft_liver = np.clip(1.5 - r, 0.0, 1.0)
    soft_spleen = SPLEEN * 0.75
    fractional = np.stack([soft_liver, soft_spleen], axis=-1).astype(np.float32)
    seg = make_seg(
        CT, fractional, hd.seg.SegmentationTypeValues.FRACTIONAL, "fractional", second_label="SPLEEN"
    )
    for item in seg.PerFrameFunctionalGroupsSequence:
        del item.DerivationImageSequence
    save(seg, "seg-fractional.dcm")
    got = expected_seg(pydicom.dcmread(HERE / "seg-fractional.dcm"))
    cases["seg-fractional.dcm"] = {
        "expect": "ok",
        "frames": int(seg.NumberOfFrames),
        "structures": {"liver": got[1], "spleen": got[2]},
    }

    # LABELMAP (Label Map Segmentation Storage): one 8-bit frame a slice, the segment numbers.
    labelmap = np.zeros((SLICES, ROWS, COLS), dtype=np.uint8)
    labelmap[LIVER] = 1
    labelmap[SPLEEN] = 2
    seg = make_seg(CT, labelmap, hd.seg.SegmentationTypeValues.LABELMAP, "labelmap", second_label="spleen")
    save(seg, "seg-labelmap.dcm")
    got = expected_seg(pydicom.dcmread(HERE / "seg-labelmap.dcm"))
    cases["seg-labelmap.dcm"] = {
        "expect": "ok",
        "frames": int(seg.NumberOfFrames),
        "structures": {"liver": got[1], "spleen": got[2]},
    }

    # The same images, but the SEG was drawn on 0.9 x 0.8 mm pixels.
    wrong = ct_series(SERIES, SOPS, spacing=(0.9, 0.8))
    seg = make_seg(wrong, both, hd.seg.SegmentationTypeValues.BINARY, "wrong-geometry")
    save(seg, "seg-wrong-geometry.dcm")
    cases["seg-wrong-geometry.dcm"] = {"expect": "geometry", "what": "spacing"}

    # Another series on the same grid: no image of the source referenced.
    other_series = uid("other-series")
    other = ct_series(other_series, [uid("other", k) for k in range(SLICES)])
    seg = make_seg(other, both, hd.seg.SegmentationTypeValues.BINARY, "other-series")
    save(seg, "seg-other-series.dcm")
    cases["seg-other-series.dcm"] = {"expect": "wrong-series", "referenced": [other_series]}
    return cases


def main():
    (HERE / "ct").mkdir(exist_ok=True)
    for k, ds in enumerate(CT):
        ds.save_as(str(HERE / "ct" / f"slice-{k:02}.dcm"), enforce_file_format=True)
    geom = source_geometry([pydicom.dcmread(HERE / "ct" / f"slice-{k:02}.dcm") for k in range(SLICES)])
    out = {
        "source": "runner/tests/data/masks/make_masks.py: nibabel "
        f"{nib.__version__}, highdicom {hd.__version__}, pydicom {pydicom.__version__}",
        "geometry": geom,
        "slices": SOPS,
        "series": SERIES,
        "structures": [{"name": "liver", "label": 1}, {"name": "spleen", "label": 2}],
        "cases": {**nifti_fixtures(geom), **seg_fixtures()},
    }
    (HERE / "expected.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
