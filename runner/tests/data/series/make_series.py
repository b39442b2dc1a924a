#!/usr/bin/env python3
"""Writes the CT/MR series fixtures of runner/tests/series.rs and their expected results.

Run from the repository root:

    python3 runner/tests/data/series/make_series.py

Made with pydicom 3.0.2 and numpy 2.4.6 (the versions are also written into
expected.json). Deterministic: the same files and numbers on every run.

Each case is a folder of tiny DICOM files (4 columns x 3 rows, 16-bit signed). The files
are written first; the expected results are then computed from the files as read back by
pydicom, independently of clic, the way dicom-numpy's `combine_slices` does it: slice
cosine = cross(row cosine, column cosine), slice positions = dot(slice cosine,
ImagePositionPatient), sorted; z spacing = median difference of the positions; origin = the
first slice's ImagePositionPatient; voxels = pixel_array * RescaleSlope + RescaleIntercept
per slice (per frame, from the functional groups, for an enhanced object; pydicom decodes
RLE itself). A case that cannot be one volume gets the reason's numbers instead.
"""

import copy
import json
import os
import shutil

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended, generate_frames
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, RLELossless

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS, COLUMNS = 3, 4
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
ROOT = "1.2.826.0.1.3680043.10.1401.14"
RNG = np.random.default_rng(14)


def uid(*parts):
    return ".".join([ROOT] + [str(p) for p in parts])


def ds_text(values):
    """Decimal strings pydicom writes as given (at most 16 characters each)."""
    return [float(f"{v:.10g}") for v in values]


def base(sop_class, sop_uid):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = uid(0)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.PatientID = "SERIES-01"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ROWS
    ds.Columns = COLUMNS
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    return ds


def pixels():
    return RNG.integers(-1000, 1500, size=(ROWS, COLUMNS), dtype=np.int16)


class Spec:
    """One single-frame series: a slice per (position, orientation, rescale)."""

    def __init__(self, name, series, positions, orientation, spacing=(0.8, 0.6), **kw):
        self.name = name
        self.series = series
        self.positions = [np.asarray(p, float) for p in positions]
        n = len(self.positions)
        self.orientations = kw.get("orientations") or [orientation] * n
        self.spacing = spacing
        self.rescale = kw.get("rescale") or [(1.0, -1024.0)] * n
        self.modality = kw.get("modality", "CT")
        self.description = kw.get("description", "Abdomen 2.5mm")
        self.image_type = kw.get("image_type", ["ORIGINAL", "PRIMARY", "AXIAL"])
        self.study = kw.get("study", uid(1))
        self.thickness = kw.get("thickness", 2.5)
        self.pixels = [pixels() for _ in range(n)]
        self.drop = kw.get("drop", set())

    def write(self, folder, names=None):
        os.makedirs(folder, exist_ok=True)
        n = len(self.positions)
        names = names or [f"{k:02d}.dcm" for k in range(n)]
        for k in range(n):
            sop = uid(2, self.series, k + 1)
            ds = base(MR_IMAGE if self.modality == "MR" else CT_IMAGE, sop)
            ds.StudyInstanceUID = self.study
            ds.SeriesInstanceUID = uid(3, self.series)
            ds.Modality = self.modality
            ds.SeriesDescription = self.description
            ds.ImageType = self.image_type
            ds.InstanceNumber = k + 1
            if ("position", k) not in self.drop:
                ds.ImagePositionPatient = ds_text(self.positions[k])
            ds.ImageOrientationPatient = ds_text(self.orientations[k])
            ds.PixelSpacing = ds_text(self.spacing)
            ds.SliceThickness = self.thickness
            slope, intercept = self.rescale[k]
            ds.RescaleSlope = slope
            ds.RescaleIntercept = intercept
            ds.PixelData = self.pixels[k].tobytes()
            ds.save_as(os.path.join(folder, names[k]), enforce_file_format=True)


def enhanced(spec, folder, series, frame_order, rle=False, j2k=None):
    """The slices of `spec` as one Enhanced CT object, its frames in `frame_order`; RLE,
    or JPEG 2000 lossless (pylibjpeg-openjpeg) with `j2k` = (fragments per frame, offset
    table: "basic", "none" or "extended", the last by pydicom's `encapsulate_extended`)."""
    os.makedirs(folder, exist_ok=True)
    ds = base(ENHANCED_CT, uid(4, series))
    ds.StudyInstanceUID = spec.study
    ds.SeriesInstanceUID = uid(3, series)
    ds.Modality = spec.modality
    ds.SeriesDescription = spec.description
    ds.ImageType = spec.image_type
    ds.NumberOfFrames = len(frame_order)
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = ds_text(spec.spacing)
    measures.SliceThickness = spec.thickness
    shared.PixelMeasuresSequence = [measures]
    orientation = Dataset()
    orientation.ImageOrientationPatient = ds_text(spec.orientations[0])
    shared.PlaneOrientationSequence = [orientation]
    # A shared rescale every frame overrides: the per-frame value must win.
    shared_rescale = Dataset()
    shared_rescale.RescaleSlope = 7
    shared_rescale.RescaleIntercept = 7
    shared_rescale.RescaleType = "HU"
    shared.PixelValueTransformationSequence = [shared_rescale]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames = []
    for k in frame_order:
        item = Dataset()
        position = Dataset()
        position.ImagePositionPatient = ds_text(spec.positions[k])
        item.PlanePositionSequence = [position]
        rescale = Dataset()
        rescale.RescaleSlope, rescale.RescaleIntercept = spec.rescale[k]
        rescale.RescaleType = "HU"
        item.PixelValueTransformationSequence = [rescale]
        content = Dataset()
        content.InStackPositionNumber = k + 1
        item.FrameContentSequence = [content]
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = frames
    data = np.stack([spec.pixels[k] for k in frame_order])
    ds.Rows, ds.Columns = data.shape[1:]
    if rle:
        ds.compress(RLELossless, data, generate_instance_uid=False)
    elif j2k:
        fragments, table = j2k
        ds.compress(JPEG2000Lossless, data, encoding_plugin="pylibjpeg",
                    generate_instance_uid=False)
        codestreams = list(generate_frames(ds.PixelData, number_of_frames=len(frame_order)))
        if table == "extended":
            ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = (
                encapsulate_extended(codestreams))
        else:
            ds.PixelData = encapsulate(codestreams, fragments_per_frame=fragments,
                                       has_bot=table == "basic")
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    else:
        ds.PixelData = data.tobytes()
    ds.save_as(os.path.join(folder, "enhanced.dcm"), enforce_file_format=True)


# ----------------------------------------------------------------------------- reference


def frames_of(path):
    """(dataset, frame, position, orientation, spacing, slope, intercept, pixels) per frame."""
    ds = pydicom.dcmread(path)
    out = []
    if "PerFrameFunctionalGroupsSequence" in ds:
        arr = ds.pixel_array
        shared = ds.SharedFunctionalGroupsSequence[0]

        def get(item, seq, attr):
            for group in (item, shared):
                if seq in group and attr in group[seq].value[0]:
                    return group[seq].value[0][attr].value
            return None

        for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
            out.append(
                dict(
                    ds=ds,
                    frame=f,
                    position=get(item, "PlanePositionSequence", "ImagePositionPatient"),
                    orientation=get(item, "PlaneOrientationSequence", "ImageOrientationPatient"),
                    spacing=get(item, "PixelMeasuresSequence", "PixelSpacing"),
                    slope=float(get(item, "PixelValueTransformationSequence", "RescaleSlope")),
                    intercept=float(
                        get(item, "PixelValueTransformationSequence", "RescaleIntercept")
                    ),
                    pixels=arr[f],
                )
            )
    else:
        out.append(
            dict(
                ds=ds,
                frame=0,
                position=ds.get("ImagePositionPatient"),
                orientation=ds.ImageOrientationPatient,
                spacing=ds.PixelSpacing,
                slope=float(ds.RescaleSlope),
                intercept=float(ds.RescaleIntercept),
                pixels=ds.pixel_array,
            )
        )
    return out


def reference(folder):
    """dicom-numpy's combine_slices, per SeriesInstanceUID, with its checks as numbers."""
    frames = []
    for name in sorted(os.listdir(folder)):
        for fr in frames_of(os.path.join(folder, name)):
            fr["file"] = name
            frames.append(fr)
    by_series = {}
    for fr in frames:
        by_series.setdefault(str(fr["ds"].SeriesInstanceUID), []).append(fr)
    out = []
    for series_uid in sorted(by_series):
        group = by_series[series_uid]
        ds0 = group[0]["ds"]
        entry = dict(
            series=series_uid,
            description=str(ds0.SeriesDescription),
            modality=str(ds0.Modality),
            slices=len(group),
        )
        out.append(entry)
        if any(fr["position"] is None for fr in group):
            entry["problem"] = "MissingGeometry"
            entry["attribute"] = "ImagePositionPatient"
            continue
        iop = np.array(group[0]["orientation"], float)
        row, col = iop[:3], iop[3:]
        if (
            abs(np.linalg.norm(row) - 1) > 1e-4
            or abs(np.linalg.norm(col) - 1) > 1e-4
            or abs(np.dot(row, col)) > 1e-4
        ):
            entry["problem"] = "NotOrthonormal"
            entry["dot"] = float(np.dot(row, col))
            continue
        diffs = [np.abs(np.array(fr["orientation"], float) - iop).max() for fr in group]
        if max(diffs) > 1e-4:
            entry["problem"] = "MixedOrientation"
            entry["difference"] = float(max(diffs))
            continue
        normal = np.cross(row, col)
        positions = np.array([np.dot(normal, np.array(fr["position"], float)) for fr in group])
        order = np.argsort(positions, kind="stable")
        group = [group[i] for i in order]
        positions = positions[order]
        steps = np.diff(positions)
        if len(steps) and steps.min() <= 0.01:
            entry["problem"] = "DuplicateSlices"
            entry["position"] = float(positions[int(np.argmin(steps))])
            continue
        ipp = np.array([np.array(fr["position"], float) for fr in group])
        if len(group) > 1:
            # The angle between the slice normal and the line through the positions.
            line = ipp[-1] - ipp[0]
            angle = np.degrees(np.arccos(min(1.0, abs(np.dot(line, normal)) / np.linalg.norm(line))))
            if angle > 0.05:
                entry["problem"] = "Sheared"
                entry["angle"] = float(angle)
                continue
            median = float(np.median(steps))
            if steps.max() >= 1.5 * median:
                entry["problem"] = "MissingSlices"
                entry["gap"] = float(steps.max())
                entry["median"] = median
                entry["missing"] = int(round(steps.max() / median)) - 1
                continue
            worst = steps[int(np.argmax(np.abs(steps - median)))]
            if abs(worst - median) > max(0.01, 0.01 * median):
                entry["problem"] = "UnevenSpacing"
                entry["step"] = float(worst)
                entry["median"] = median
                continue
            z_spacing = median
            z_direction = normal
        else:
            z_spacing = float(ds0.SliceThickness)
            z_direction = normal
        spacing = [float(v) for v in group[0]["spacing"]]
        volume = np.stack([fr["pixels"] * fr["slope"] + fr["intercept"] for fr in group])
        entry["geometry"] = dict(
            size=[int(ds0.Columns), int(ds0.Rows), len(group)],
            spacing=[spacing[1], spacing[0], z_spacing],
            origin=[float(v) for v in ipp[0]],
            direction=[row.tolist(), col.tolist(), [float(v) for v in z_direction]],
        )
        entry["order"] = [
            f"{fr['file']}#{fr['frame']}" if "NumberOfFrames" in fr["ds"] else fr["file"]
            for fr in group
        ]
        entry["voxels"] = [float(v) for v in volume.ravel()]  # x fastest, then y, then z
    return out


def rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    x, y, z = axis
    c, s = np.cos(angle), np.sin(angle)
    return np.array(
        [
            [c + x * x * (1 - c), x * y * (1 - c) - z * s, x * z * (1 - c) + y * s],
            [y * x * (1 - c) + z * s, c + y * y * (1 - c), y * z * (1 - c) - x * s],
            [z * x * (1 - c) - y * s, z * y * (1 - c) + x * s, c + z * z * (1 - c)],
        ]
    )


def stack(origin, normal, steps):
    origin, normal = np.asarray(origin, float), np.asarray(normal, float)
    at = np.concatenate([[0.0], np.cumsum(steps)])
    return [origin + a * normal for a in at]


def main():
    for entry in os.listdir(HERE):
        if os.path.isdir(os.path.join(HERE, entry)):
            shutil.rmtree(os.path.join(HERE, entry))
    axial = [1, 0, 0, 0, 1, 0]
    z = [0, 0, 1]
    cases = {}

    # Files named in shuffled order: sorted along the normal, not by name.
    s = Spec("shuffled", 1, stack([-120.5, -98.25, 40.0], z, [2.5] * 5), axial)
    names = [f"{n:02d}.dcm" for n in RNG.permutation(6)]
    s.write(os.path.join(HERE, "shuffled"), names)

    # Oblique: rotated 20 degrees about (1, 2, 3); the positions along its normal.
    r = rotation([1, 2, 3], np.radians(20))
    row, col = r @ np.array([1.0, 0, 0]), r @ np.array([0, 1.0, 0])
    s = Spec("oblique", 2, stack([10.0, -20.0, 30.0], np.cross(row, col), [3.0] * 4),
             list(row) + list(col), spacing=(0.7, 0.9))
    s.write(os.path.join(HERE, "oblique"))

    # The normal points to the feet (row L, column to anterior: cross = -z); files named
    # in head-first order, the reverse of the normal's.
    s = Spec("reversed", 3, stack([0.0, 0.0, 100.0], [0, 0, -1], [2.0] * 4), [1, 0, 0, 0, -1, 0])
    s.write(os.path.join(HERE, "reversed"), [f"{n:02d}.dcm" for n in reversed(range(5))])

    s = Spec("missing", 4, stack([0.0, 0.0, 0.0], z, [2.0, 2.0, 4.0, 2.0, 2.0]), axial)
    s.write(os.path.join(HERE, "missing"))

    s = Spec("duplicate", 5, stack([0.0, 0.0, 0.0], z, [2.0, 0.0, 2.0, 2.0]), axial)
    s.write(os.path.join(HERE, "duplicate"))

    s = Spec("uneven", 6, stack([0.0, 0.0, 0.0], z, [2.0, 2.0, 2.3, 2.0]), axial)
    s.write(os.path.join(HERE, "uneven"))

    tilted = list(rotation([1, 0, 0], 0.01) @ np.array([0, 1.0, 0]))
    s = Spec("mixed_orientation", 7, stack([0.0, 0.0, 0.0], z, [2.0] * 3), axial,
             orientations=[axial, axial, [1, 0, 0] + tilted, axial])
    s.write(os.path.join(HERE, "mixed_orientation"))

    # Gantry tilt: each slice 2 mm up and 0.35 mm along the column direction (10 degrees).
    tilt = np.array([0, np.tan(np.radians(10)), 1.0]) * 2.0
    s = Spec("sheared", 8, [np.array([0.0, 0.0, 0.0]) + k * tilt for k in range(5)], axial)
    s.write(os.path.join(HERE, "sheared"))

    s = Spec("single", 9, [[5.0, 6.0, 7.0]], axial, thickness=3.0)
    s.write(os.path.join(HERE, "single"))

    s = Spec("non_orthonormal", 10, stack([0.0, 0.0, 0.0], z, [2.0] * 3), [1, 0, 0, 0.1, 1, 0])
    s.write(os.path.join(HERE, "non_orthonormal"))

    s = Spec("no_position", 11, stack([0.0, 0.0, 0.0], z, [2.0] * 3), axial,
             drop={("position", 2)})
    s.write(os.path.join(HERE, "no_position"))

    # Several series in one folder, for selection: two CT series of one study, an MR one
    # of another.
    folder = os.path.join(HERE, "several")
    Spec("abdomen", 12, stack([0.0, 0.0, 0.0], z, [5.0] * 3), axial,
         description="Abdomen 5mm").write(folder, [f"a{k}.dcm" for k in range(4)])
    Spec("lung", 13, stack([0.0, 0.0, 0.0], z, [1.0] * 5), axial, description="Lung 1mm",
         image_type=["DERIVED", "SECONDARY", "AXIAL"]).write(folder, [f"l{k}.dcm" for k in range(6)])
    Spec("flair", 14, stack([0.0, 0.0, 0.0], z, [4.0] * 2), axial, modality="MR",
         description="AX FLAIR", study=uid(1, 2)).write(folder, [f"m{k}.dcm" for k in range(3)])

    # Per-slice rescale, oblique, as single frames and as one enhanced object (native and
    # RLE), its frames stored in another order than along the normal.
    r = rotation([0, 1, 0], np.radians(30))
    row, col = r @ np.array([1.0, 0, 0]), r @ np.array([0, 1.0, 0])
    rescale = [(1.0, -1024.0), (0.5, -1000.0), (2.0, 0.0), (1.0, -1024.0)]
    s = Spec("rescale", 15, stack([-50.0, 25.0, 12.5], np.cross(row, col), [1.25] * 3),
             list(row) + list(col), spacing=(0.5, 0.75), rescale=rescale)
    s.write(os.path.join(HERE, "rescale"))
    enhanced(s, os.path.join(HERE, "enhanced"), 16, [2, 0, 3, 1])
    enhanced(s, os.path.join(HERE, "enhanced_rle"), 17, [3, 1, 0, 2], rle=True)
    # The same slices as JPEG 2000, 32 x 32 (OpenJPEG's five decompositions need 32
    # pixels a side; its own generator, so that the other fixtures keep their pixels): one
    # fragment per frame (with pydicom's Extended Offset Table), and three fragments per
    # frame found by the Basic Offset Table or by each codestream's start marker.
    j = copy.copy(s)
    big = np.random.default_rng(18)
    j.pixels = [big.integers(-1000, 1500, size=(32, 32), dtype=np.int16) for _ in s.pixels]
    enhanced(j, os.path.join(HERE, "enhanced_j2k"), 18, [1, 3, 2, 0], j2k=(1, "extended"))
    enhanced(j, os.path.join(HERE, "enhanced_j2k_frag"), 19, [1, 3, 2, 0], j2k=(3, "basic"))
    enhanced(j, os.path.join(HERE, "enhanced_j2k_frag_nobot"), 20, [0, 2, 1, 3],
             j2k=(3, "none"))

    for case in sorted(os.listdir(HERE)):
        if os.path.isdir(os.path.join(HERE, case)):
            cases[case] = reference(os.path.join(HERE, case))
    out = dict(
        generator="runner/tests/data/series/make_series.py",
        command="python3 runner/tests/data/series/make_series.py",
        versions=dict(pydicom=pydicom.__version__, numpy=np.__version__),
        method="dicom-numpy combine_slices: slice cosine = cross(row, column), positions "
        "along it sorted, z spacing = median step, voxels = pixel_array * slope + intercept "
        "(x fastest, then y, then z)",
        cases=cases,
    )
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
