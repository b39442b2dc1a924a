#!/usr/bin/env python3
"""Seeded generator of synthetic abdominal CT series with liver and spleen masks.

Everything here is synthetic: no real patient, image, dataset or model weight is
used or downloaded. The output is deterministic byte for byte for the fixed seed and
the pinned package versions in ../requirements.txt (no timestamps, no random UIDs:
every UID is a hash of the seed and the case under pydicom's root).

Usage (from examples/ct-segmentation/):

    python tools/generate.py          # writes data/reference/ and data/training-patients.txt

Layout written:

    data/reference/series-01/slice-001.dcm ...  single-frame CT Image Storage files
    data/reference/series-07/enhanced-ct.dcm    one series as an Enhanced CT multi-frame object
    data/reference/masks/series-01.seg.dcm      its reference mask, DICOM SEG (BINARY), segments
                                                "liver" (1) and "spleen" (2)
    data/reference/masks/series-05.nii.gz       two series' masks as NIfTI (label 1 liver,
                                                2 spleen; affine in RAS)
    data/reference/masks.csv                    series,mask (SeriesInstanceUID, path relative
                                                to the CSV's folder)
    data/training-patients.txt                  the development PatientIDs, one a line

The development series (patients TRN-nnnnn) are never written: tools/make_model.py and
tools/metrics.py render them in memory with `render_series` to set the claims.

Design notes
------------
* A *patient* has fixed anatomy: body ellipse with a subcutaneous fat ring, a spine, a
  liver (patient right, -x in LPS) and a spleen (patient left, +x, posterior), each a
  gently deformed ellipsoid; the spleen of a second study may have grown (a
  splenomegaly follow-up, what volumetry is for). Each *study* is one series with its
  own scanner, pixel spacing, slice spacing and count, table position, noise and a
  slightly different organ density.
* Intensities in HU: air -1000, fat -100, soft tissue 8-18, liver 54-64, spleen
  106-120, bone 450, with partial volume (12 sub-samples a voxel) and Gaussian noise
  (sigma 10-16 HU by scanner). Stored as unsigned 12-bit values, RescaleSlope 1,
  RescaleIntercept -1024.
* The reference masks are the generator's truth: a voxel is an organ's when its centre
  is inside the organ (the spleen wins where both are).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian

SEED = 20261202
UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's registered root for generated UIDs
CT_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2")
ENHANCED_CT_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2.1")
MATRIX = 48
STRUCTURES = ("liver", "spleen")

HERE = Path(__file__).resolve().parent.parent  # examples/ct-segmentation

# Reference patients by number of studies: 8 with one, 8 with two (16 patients, 24 series).
STUDY_COUNTS = [1] * 8 + [2] * 8
N_TRAINING_PATIENTS = 120
# Series written specially (1-based numbers of the reference series, after shuffling).
ENHANCED_SERIES = 7  # one Enhanced CT multi-frame object
REVERSED_SERIES = 3  # files numbered from the head down (InstanceNumber too)
FLIPPED_SERIES = 11  # ImageOrientationPatient -1\0\0\0\-1\0 (RAS-like in-plane)
NIFTI_SERIES = (5, 18)  # masks as NIfTI instead of DICOM SEG


@dataclass(frozen=True)
class Scanner:
    manufacturer: str
    model: str
    noise: float  # HU, standard deviation
    kernel: str
    kvp: str


SCANNERS = [
    Scanner("Fjordline Medical", "FL-CT 64", 12.0, "STANDARD", "120"),
    Scanner("Osprey Systems", "OS Helix 128", 10.0, "B30f", "120"),
    Scanner("Vireo Diagnostics", "VD-CT 32", 16.0, "SOFT", "110"),
]

DEID_METHOD = "PS3.15 E basic profile; retain patient characteristics"


# ---------------------------------------------------------------------------
# UIDs and small helpers
# ---------------------------------------------------------------------------


def uid(*parts: object) -> UID:
    """A deterministic UID: the seed and the parts hashed, under pydicom's root."""
    h = hashlib.sha256(("|".join([str(SEED)] + [str(p) for p in parts])).encode()).digest()
    return UID(UID_ROOT + str(int.from_bytes(h[:15], "big")))


def ds_str(v: float, nd: int = 3) -> str:
    """A decimal string (DS) value, rounded, without a trailing '-0'."""
    s = f"{round(v, nd):.{nd}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# ---------------------------------------------------------------------------
# Patients, studies and series
# ---------------------------------------------------------------------------


def patient_traits(rng: np.random.Generator) -> dict:
    """Anatomy fixed for a patient across studies (mm, LPS, relative to the body centre)."""
    sex = "F" if rng.random() < 0.45 else "M"
    scale = 1.0 if sex == "M" else 0.93
    p = {
        "sex": sex,
        "age": int(np.clip(round(rng.normal(58, 14)), 21, 89)),
        "body_a": rng.uniform(130, 158) * scale,  # x semi-axis
        "body_b": rng.uniform(96, 116) * scale,  # y semi-axis
        "fat": rng.uniform(10, 24),
        "liver_c": np.array([rng.uniform(-72, -52), rng.uniform(-12, 8), rng.uniform(8, 26)]),
        "liver_r": np.array([rng.uniform(62, 84), rng.uniform(52, 70), rng.uniform(48, 64)]) * scale,
        "liver_rot": rng.uniform(-0.35, 0.15),
        "liver_wave": (rng.uniform(0.04, 0.09), rng.uniform(0, 2 * np.pi), int(rng.integers(2, 4))),
        "spleen_c": np.array([rng.uniform(78, 96), rng.uniform(22, 44), rng.uniform(14, 34)]),
        "spleen_r": np.array([rng.uniform(30, 44), rng.uniform(22, 32), rng.uniform(34, 50)]) * scale,
        "spleen_rot": rng.uniform(-0.6, -0.1),
        "spleen_wave": (rng.uniform(0.03, 0.08), rng.uniform(0, 2 * np.pi), int(rng.integers(2, 4))),
        "splenomegaly": bool(rng.random() < 0.3),
    }
    if p["splenomegaly"]:
        p["spleen_r"] = p["spleen_r"] * rng.uniform(1.15, 1.35)
    return p


def tie_free(n: int, spacing: float, target: float = 6.0, margin: float = 0.05) -> bool:
    """Whether the source voxel centres i * spacing sit at least `margin` (in target
    voxels) from a rounding tie of the 6 mm grid, so that mapping the model's labels back
    by nearest neighbour is never ambiguous (a crop or pad moves by whole voxels)."""
    frac = (np.arange(n) * spacing / target) % 1.0
    return bool(np.min(np.abs(frac - 0.5)) > margin)


def study_params(rng: np.random.Generator, patient: dict, k: int) -> dict:
    """One study (one series): scanner, geometry, densities, noise."""
    scanner = SCANNERS[int(rng.integers(0, len(SCANNERS)))]
    n = int(rng.integers(16, 25))
    while True:  # spacings whose voxel centres never fall half-way between 6 mm centres
        dz = round(float(max(rng.uniform(5.2, 8.2), 128.0 / n)), 2)
        dxy = round(float(rng.uniform(6.6, 7.6)), 2)
        if tie_free(n, dz) and tie_free(MATRIX, dxy):
            break
    spleen_growth = 1.0
    if k > 0 and patient["splenomegaly"]:
        spleen_growth = float(rng.uniform(1.06, 1.18))  # the follow-up study: it grew
    return {
        "scanner": scanner,
        "slices": n,
        "dz": dz,
        "dxy": dxy,
        # the body centre relative to the field of view's centre (table position, centring)
        "shift": np.array([rng.uniform(-9, 9), rng.uniform(-12, 6), rng.uniform(-12, 12)]),
        "z_table": round(float(rng.uniform(-420, -360)), 1),
        "tissue": float(rng.uniform(8, 18)),
        "liver_hu": float(rng.uniform(54, 64)),
        "spleen_hu": float(rng.uniform(106, 120)),
        "spleen_growth": spleen_growth,
        "organ_jitter": rng.normal(0, 2.0, size=3),
        "noise_seed": int(rng.integers(0, 2**31 - 1)),
    }


def geometry(st: dict, flipped: bool = False) -> dict:
    """The series' geometry: origin (LPS mm of voxel 0), spacing, direction, size."""
    n, dxy, dz = st["slices"], st["dxy"], st["dz"]
    half = (MATRIX - 1) / 2 * dxy
    if flipped:
        dirs = np.array([[-1.0, 0, 0], [0, -1.0, 0], [0, 0, 1.0]])
    else:
        dirs = np.eye(3)
    # voxel 0 such that the field of view's centre is at (0, 0) in-plane
    ox, oy = -half * dirs[0][0], -half * dirs[1][1]
    origin = np.array([round(ox, 3), round(oy, 3), st["z_table"]])
    return {"size": (MATRIX, MATRIX, n), "spacing": (dxy, dxy, dz), "origin": origin, "dirs": dirs}


def organ_inside(pts: np.ndarray, c: np.ndarray, r: np.ndarray, rot: float, wave) -> np.ndarray:
    """Whether points (..., 3) are inside a deformed ellipsoid (rotation about z)."""
    d = pts - c
    cs, sn = np.cos(rot), np.sin(rot)
    x = (cs * d[..., 0] + sn * d[..., 1]) / r[0]
    y = (-sn * d[..., 0] + cs * d[..., 1]) / r[1]
    z = d[..., 2] / r[2]
    amp, phase, lobes = wave
    theta = np.arctan2(y, x)
    q = np.sqrt(x * x + y * y + z * z)
    return q < 1.0 + amp * np.sin(lobes * theta + phase) * np.cos(1.3 * z)


def world_points(geo: dict, sub: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Patient positions of voxel centres (or sub-sample offsets), shape (nz, ny, nx, [s,] 3)."""
    nx, ny, nz = geo["size"]
    sx, sy, sz = geo["spacing"]
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    if sub is not None:
        i = i[..., None] + sub[0]
        j = j[..., None] + sub[1]
        k = k[..., None] + sub[2]
    d = geo["dirs"]
    o = geo["origin"]
    return (o + i[..., None] * sx * d[0] + j[..., None] * sy * d[1] + k[..., None] * sz * d[2])


def phantom(patient: dict, st: dict, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HU and label (0 background, 1 liver, 2 spleen) at patient positions pts (..., 3)."""
    body_c = np.array([st["shift"][0], st["shift"][1], 0.0])
    # z of the anatomy: the table position plus the field's extent centre
    zc = st["z_table"] + (st["slices"] - 1) * st["dz"] / 2 + st["shift"][2]
    body_c[2] = zc
    d = pts - body_c
    a, b = patient["body_a"], patient["body_b"]
    ell = (d[..., 0] / a) ** 2 + (d[..., 1] / b) ** 2
    inner = (d[..., 0] / (a - patient["fat"])) ** 2 + (d[..., 1] / (b - patient["fat"])) ** 2
    hu = np.full(pts.shape[:-1], -1000.0)
    hu[ell < 1.0] = -100.0
    hu[inner < 1.0] = st["tissue"]
    spine = (d[..., 0] ** 2 + (d[..., 1] - (b - patient["fat"] - 30)) ** 2) < 17.0**2
    hu[spine] = 450.0
    lab = np.zeros(pts.shape[:-1], dtype=np.uint8)
    liver = organ_inside(pts, body_c + patient["liver_c"] + st["organ_jitter"], patient["liver_r"],
                         patient["liver_rot"], patient["liver_wave"]) & (inner < 1.0) & ~spine
    sr = patient["spleen_r"] * st["spleen_growth"]
    spleen = organ_inside(pts, body_c + patient["spleen_c"] + st["organ_jitter"], sr,
                          patient["spleen_rot"], patient["spleen_wave"]) & (inner < 1.0) & ~spine
    hu[liver] = st["liver_hu"]
    hu[spleen] = st["spleen_hu"]
    lab[liver] = 1
    lab[spleen] = 2
    return hu, lab


def render_series(patient: dict, st: dict, flipped: bool = False) -> tuple[dict, np.ndarray, np.ndarray]:
    """The series' geometry, HU volume [z, y, x] (float, with noise) and label map [z, y, x]."""
    geo = geometry(st, flipped)
    # partial volume: 2 x 2 in-plane, 3 across the slice (thickness = spacing)
    offs = [(-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)]
    si = np.array([o[0] for o in offs for _ in range(3)])
    sj = np.array([o[1] for o in offs for _ in range(3)])
    sk = np.array([z for _ in offs for z in (-1 / 3, 0.0, 1 / 3)])
    hu_sub, _ = phantom(patient, st, world_points(geo, (si, sj, sk)))
    hu = hu_sub.mean(axis=-1)
    _, lab = phantom(patient, st, world_points(geo))
    noise = np.random.default_rng(st["noise_seed"]).normal(0.0, st["scanner"].noise, size=hu.shape)
    hu = hu + noise
    return geo, hu, lab


# ---------------------------------------------------------------------------
# DICOM writing
# ---------------------------------------------------------------------------


def deid(ds: Dataset) -> None:
    """PS3.15 Annex E basic profile, retain patient characteristics (as the other examples)."""
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = DEID_METHOD
    codes = []
    for value, meaning in (("113100", "Basic Application Confidentiality Profile"),
                           ("113108", "Retain Patient Characteristics Option")):
        c = Dataset()
        c.CodeValue = value
        c.CodingSchemeDesignator = "DCM"
        c.CodeMeaning = meaning
        codes.append(c)
    ds.DeidentificationMethodCodeSequence = Sequence(codes)
    ds.LongitudinalTemporalInformationModified = "REMOVED"


def base_dataset(case: dict, sop_class: UID, sop_uid: UID) -> Dataset:
    st, pat = case["study"], case["patient"]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID(UID_ROOT + "20261202.1")
    meta.ImplementationVersionName = "CLIC_CT_EX_1"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ""
    ds.StudyTime = ""
    ds.AccessionNumber = ""
    ds.Modality = "CT"
    ds.Manufacturer = st["scanner"].manufacturer
    ds.ManufacturerModelName = st["scanner"].model
    ds.ReferringPhysicianName = ""
    ds.PatientName = ""
    ds.PatientID = case["patient_id"]
    ds.PatientBirthDate = ""
    ds.PatientSex = pat["sex"]
    ds.PatientAge = f"{pat['age'] + case['study_index']:03d}Y"
    ds.BodyPartExamined = "ABDOMEN"
    ds.KVP = st["scanner"].kvp
    ds.ConvolutionKernel = st["scanner"].kernel
    ds.PatientPosition = "FFS"
    ds.StudyInstanceUID = case["study_uid"]
    ds.SeriesInstanceUID = case["series_uid"]
    ds.StudyID = ""
    ds.SeriesNumber = 2
    ds.FrameOfReferenceUID = case["for_uid"]
    ds.PositionReferenceIndicator = ""
    ds.BurnedInAnnotation = "NO"
    ds.RecognizableVisualFeatures = "NO"
    deid(ds)
    return ds


def stored(hu: np.ndarray) -> np.ndarray:
    """Unsigned 12-bit stored values for RescaleIntercept -1024, slope 1."""
    return np.clip(np.rint(hu + 1024.0), 0, 4095).astype(np.uint16)


def pixel_attrs(ds: Dataset) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = MATRIX
    ds.Columns = MATRIX
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0


def iop(geo: dict) -> list[str]:
    d = geo["dirs"]
    return [ds_str(v, 6) for v in (*d[0], *d[1])]


def ipp(geo: dict, k: int) -> list[str]:
    p = geo["origin"] + k * geo["spacing"][2] * geo["dirs"][2]
    return [ds_str(v) for v in p]


def write_single_frames(case: dict, folder: Path, geo: dict, hu: np.ndarray, reversed_order: bool) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    n = geo["size"][2]
    paths = []
    px = stored(hu)
    for k in range(n):
        number = n - k if reversed_order else k + 1
        sop = uid("sop", case["series_uid"], k)
        ds = base_dataset(case, CT_IMAGE_STORAGE, sop)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.SliceThickness = ds_str(geo["spacing"][2], 2)
        ds.InstanceNumber = number
        ds.ImagePositionPatient = ipp(geo, k)
        ds.ImageOrientationPatient = iop(geo)
        ds.SliceLocation = ipp(geo, k)[2]
        ds.AcquisitionNumber = 1
        ds.PixelSpacing = [ds_str(geo["spacing"][1], 2), ds_str(geo["spacing"][0], 2)]
        pixel_attrs(ds)
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
        ds.WindowCenter = "40"
        ds.WindowWidth = "400"
        ds.PixelData = px[k].tobytes()
        path = folder / f"slice-{number:03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def typed(item: Dataset, **kw: object) -> Dataset:
    """Sets attributes converting numbers to the VR's type (FD/FL floats, DS strings)."""
    from pydicom.datadict import dictionary_VR

    for key, value in kw.items():
        vr = dictionary_VR(key)
        if vr in ("FD", "FL"):
            value = [float(v) for v in value] if isinstance(value, list) else float(value)
        item.__setattr__(key, value)
    return item


def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    c = Dataset()
    c.CodeValue = value
    c.CodingSchemeDesignator = scheme
    c.CodeMeaning = meaning
    return c


def write_enhanced(case: dict, folder: Path, geo: dict, hu: np.ndarray) -> Path:
    """One Enhanced CT Image Storage object (PS3.3 A.38), frames in slice order."""
    folder.mkdir(parents=True, exist_ok=True)
    n = geo["size"][2]
    sop = uid("sop", case["series_uid"], "enhanced")
    ds = base_dataset(case, ENHANCED_CT_STORAGE, sop)
    for kw in ("KVP", "ConvolutionKernel"):  # per-frame macros hold these in an enhanced object
        delattr(ds, kw)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.InstanceNumber = 1
    # Dates are Type 1 here (ContentDate, AcquisitionDateTime): this object keeps dummy
    # ones, shifted to 1900-01-01, and says so (Retain Longitudinal Temporal Information
    # with Modified Dates, 113107; LongitudinalTemporalInformationModified MODIFIED).
    ds.ContentDate = "19000101"
    ds.ContentTime = "000000"
    ds.AcquisitionDateTime = "19000101000000"
    typed(ds, AcquisitionDuration="500")
    ds.DeidentificationMethodCodeSequence.append(
        code_item("113107", "DCM", "Retain Longitudinal Temporal Information Modified Dates Option"))
    ds.LongitudinalTemporalInformationModified = "MODIFIED"
    ds.ContentQualification = "PRODUCT"
    ds.DeviceSerialNumber = "0000"  # Type 1 in Enhanced General Equipment: a dummy
    ds.SoftwareVersions = "1.0"
    ds.PixelPresentation = "MONOCHROME"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    ds.AcquisitionNumber = 1
    ds.AcquisitionContextSequence = Sequence([])
    ds.PresentationLUTShape = "IDENTITY"
    ds.LossyImageCompression = "00"
    ds.NumberOfFrames = n
    pixel_attrs(ds)
    dim_org = uid("dimorg", case["series_uid"])
    org = Dataset()
    org.DimensionOrganizationUID = dim_org
    ds.DimensionOrganizationSequence = Sequence([org])
    ds.DimensionOrganizationType = "3D"
    idx = Dataset()
    idx.DimensionOrganizationUID = dim_org
    idx.DimensionIndexPointer = 0x00200032  # ImagePositionPatient
    idx.FunctionalGroupPointer = 0x00209113  # PlanePositionSequence
    idx.DimensionDescriptionLabel = "Image Position"
    ds.DimensionIndexSequence = Sequence([idx])

    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = [ds_str(geo["spacing"][1], 2), ds_str(geo["spacing"][0], 2)]
    pm.SliceThickness = ds_str(geo["spacing"][2], 2)
    pm.SpacingBetweenSlices = ds_str(geo["spacing"][2], 2)
    shared.PixelMeasuresSequence = Sequence([pm])
    po = Dataset()
    po.ImageOrientationPatient = iop(geo)
    shared.PlaneOrientationSequence = Sequence([po])
    pvt = Dataset()
    pvt.RescaleIntercept = "-1024"
    pvt.RescaleSlope = "1"
    pvt.RescaleType = "HU"
    shared.PixelValueTransformationSequence = Sequence([pvt])
    voi = Dataset()
    voi.WindowCenter = "40"
    voi.WindowWidth = "400"
    shared.FrameVOILUTSequence = Sequence([voi])
    fa = Dataset()
    fa.AnatomicRegionSequence = Sequence([code_item("818981001", "SCT", "Abdomen")])
    fa.FrameLaterality = "U"
    shared.FrameAnatomySequence = Sequence([fa])
    ft = Dataset()
    ft.FrameType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ft.PixelPresentation = "MONOCHROME"
    ft.VolumetricProperties = "VOLUME"
    ft.VolumeBasedCalculationTechnique = "NONE"
    shared.CTImageFrameTypeSequence = Sequence([ft])
    irr = Dataset()
    irr.IrradiationEventUID = uid("irradiation", case["series_uid"])
    shared.IrradiationEventIdentificationSequence = Sequence([irr])
    at = Dataset()
    at.AcquisitionType = "SEQUENCED"
    at.ConstantVolumeFlag = "NO"
    at.FluoroscopyFlag = "NO"
    shared.CTAcquisitionTypeSequence = Sequence([at])
    ad = Dataset()
    ad.DataCollectionDiameter = "500"
    ad.TableHeight = "150"
    ad.GantryDetectorTilt = "0"
    typed(ad, TotalCollimationWidth=ds_str(geo["spacing"][2], 2))
    typed(ad, SingleCollimationWidth=ds_str(geo["spacing"][2], 2))
    ad.RotationDirection = "CW"
    typed(ad, RevolutionTime="0.5")
    shared.CTAcquisitionDetailsSequence = Sequence([ad])
    geo_item = Dataset()
    geo_item.DistanceSourceToDetector = "1040"
    typed(geo_item, DistanceSourceToDataCollectionCenter="570")
    shared.CTGeometrySequence = Sequence([geo_item])
    td = Dataset()
    typed(td, TableSpeed="0")
    typed(td, TableFeedPerRotation="0")
    shared.CTTableDynamicsSequence = Sequence([td])
    rec = Dataset()
    rec.ReconstructionAlgorithm = "FILTER_BACK_PROJ"
    rec.ConvolutionKernel = case["study"]["scanner"].kernel
    rec.ConvolutionKernelGroup = "SOFT_TISSUE"
    rec.ReconstructionDiameter = ds_str(MATRIX * geo["spacing"][0], 1)
    typed(rec, ReconstructionPixelSpacing=[ds_str(geo["spacing"][1], 2), ds_str(geo["spacing"][0], 2)])
    typed(rec, ReconstructionAngle="360")
    rec.ImageFilter = "NONE"
    shared.CTReconstructionSequence = Sequence([rec])
    exp = Dataset()
    typed(exp, ExposureTimeInms="500")
    typed(exp, XRayTubeCurrentInmA="200")
    typed(exp, ExposureInmAs="100")
    exp.ExposureModulationType = "NONE"
    typed(exp, CTDIvol="8.5")
    shared.CTExposureSequence = Sequence([exp])
    xr = Dataset()
    xr.KVP = case["study"]["scanner"].kvp
    xr.FocalSpots = ["1.2"]
    xr.FilterType = "BODY"
    xr.FilterMaterial = ["ALUMINUM"]
    shared.CTXRayDetailsSequence = Sequence([xr])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    frames = []
    for k in range(n):
        f = Dataset()
        fc = Dataset()
        fc.FrameAcquisitionNumber = 1
        fc.FrameReferenceDateTime = "19000101000000"
        fc.FrameAcquisitionDateTime = "19000101000000"
        typed(fc, FrameAcquisitionDuration=500)
        fc.DimensionIndexValues = [k + 1]
        fc.StackID = "1"
        fc.InStackPositionNumber = k + 1
        f.FrameContentSequence = Sequence([fc])
        pp = Dataset()
        pp.ImagePositionPatient = ipp(geo, k)
        f.PlanePositionSequence = Sequence([pp])
        cp = Dataset()
        typed(cp, TablePosition=ds_str(float(ipp(geo, k)[2])))
        typed(cp, ReconstructionTargetCenterPatient=["0", "0", ipp(geo, k)[2]])
        typed(cp, DataCollectionCenterPatient=["0", "0", ipp(geo, k)[2]])
        f.CTPositionSequence = Sequence([cp])
        frames.append(f)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    ds.PixelData = stored(hu).tobytes()
    path = folder / "enhanced-ct.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def write_seg(case: dict, source_paths: list[Path], lab: np.ndarray, path: Path) -> None:
    """The reference mask as a DICOM SEG (BINARY) made by highdicom from the source files."""
    import highdicom as hd
    from pydicom import dcmread
    from pydicom.sr.codedict import codes

    sources = [dcmread(p) for p in source_paths]
    if len(sources) == 1:  # the enhanced object: frames in slice order
        pixel = np.stack([(lab == 1), (lab == 2)], axis=-1).astype(np.uint8)
    else:
        # highdicom wants the frames in the order of source_images; ours are in slice order
        pixel = np.stack([(lab == 1), (lab == 2)], axis=-1).astype(np.uint8)
    algo = None
    descs = []
    for number, (name, prop) in enumerate((("liver", codes.SCT.Liver), ("spleen", codes.SCT.Spleen)), start=1):
        descs.append(hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=name,
            segmented_property_category=codes.SCT.Organ,
            segmented_property_type=prop,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
            algorithm_identification=algo,
        ))
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=pixel,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descs,
        series_instance_uid=uid("seg-series", case["series_uid"]),
        series_number=300,
        sop_instance_uid=uid("seg-sop", case["series_uid"]),
        instance_number=1,
        manufacturer="clic example",
        manufacturer_model_name="ct-segmentation generator",
        software_versions="1.0",
        device_serial_number="0000",
        content_label="REFERENCE",
        content_date="19000101",
        content_time="000000",
        series_date="19000101",
        series_time="000000",
        omit_empty_frames=True,
    )
    # highdicom stamps the time of creation and a random dimension organisation UID:
    # removed or made deterministic (and no date survives de-identification)
    for kw in ("SeriesDate", "SeriesTime", "InstanceCreationDate", "InstanceCreationTime"):
        if kw in seg:
            delattr(seg, kw)
    for item in seg.get("ContributingEquipmentSequence", []):
        if "ContributionDateTime" in item:
            del item.ContributionDateTime
    dim_org = uid("seg-dimorg", case["series_uid"])
    for item in list(seg.get("DimensionOrganizationSequence", [])) + list(seg.get("DimensionIndexSequence", [])):
        item.DimensionOrganizationUID = dim_org
    seg.PatientAge = sources[0].PatientAge
    deid(seg)
    seg.BurnedInAnnotation = "NO"
    seg.file_meta.ImplementationClassUID = UID(UID_ROOT + "20261202.1")
    seg.file_meta.ImplementationVersionName = "CLIC_CT_EX_1"
    if "ImplementationVersionName" in seg.file_meta and "SourceApplicationEntityTitle" in seg.file_meta:
        del seg.file_meta.SourceApplicationEntityTitle
    path.parent.mkdir(parents=True, exist_ok=True)
    seg.save_as(path, enforce_file_format=True)


def write_nifti(geo: dict, lab: np.ndarray, path: Path) -> None:
    """The label map as NIfTI-1 (uint8, 1 liver, 2 spleen), data [x, y, z], affine in RAS."""
    import nibabel as nib

    m = np.eye(4)
    for axis in range(3):
        m[:3, axis] = geo["dirs"][axis] * geo["spacing"][axis]
    m[:3, 3] = geo["origin"]
    affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ m  # LPS -> RAS
    img = nib.Nifti1Image(np.ascontiguousarray(lab.transpose(2, 1, 0)).astype(np.uint8), affine)
    img.header.set_xyzt_units("mm")
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    # gzip without a timestamp: write the .nii bytes ourselves
    import gzip
    import io

    raw = img.to_bytes()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    path.write_bytes(buf.getvalue())


# ---------------------------------------------------------------------------
# The sets
# ---------------------------------------------------------------------------


def reference_cases() -> list[dict]:
    """The 24 reference series of 16 patients, in the (shuffled) order they are numbered."""
    rng = np.random.default_rng(SEED)
    cases = []
    for p_index, count in enumerate(STUDY_COUNTS):
        patient = patient_traits(rng)
        pid = f"REF-{p_index + 1:04d}"
        for k in range(count):
            st = study_params(rng, patient, k)
            cases.append({"patient": patient, "patient_id": pid, "study": st, "study_index": k * 1})
    order = np.random.default_rng(SEED + 1).permutation(len(cases))
    out = []
    for number, idx in enumerate(order, start=1):
        c = dict(cases[idx])
        c["number"] = number
        c["name"] = f"series-{number:02d}"
        c["study_uid"] = uid("study", c["patient_id"], c["study_index"])
        c["series_uid"] = uid("series", c["patient_id"], c["study_index"])
        c["for_uid"] = uid("for", c["patient_id"], c["study_index"])
        c["flipped"] = number == FLIPPED_SERIES
        out.append(c)
    return out


def development_cases(n_patients: int = 40) -> list[dict]:
    """Series of the first training patients (TRN-), rendered in memory, never written."""
    rng = np.random.default_rng(SEED + 7)
    cases = []
    for p in range(n_patients):
        patient = patient_traits(rng)
        for k in range(1 + int(rng.random() < 0.5)):
            st = study_params(rng, patient, k)
            cases.append({"patient": patient, "patient_id": f"TRN-{p + 1:05d}", "study": st,
                          "study_index": k, "flipped": bool(rng.random() < 0.1)})
    return cases


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "data")
    args = ap.parse_args(argv)
    ref = args.out / "reference"
    if ref.exists():
        for p in sorted(ref.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
    ref.mkdir(parents=True, exist_ok=True)
    rows = []
    for c in reference_cases():
        geo, hu, lab = render_series(c["patient"], c["study"], c["flipped"])
        folder = ref / c["name"]
        if c["number"] == ENHANCED_SERIES:
            sources = [write_enhanced(c, folder, geo, hu)]
        else:
            sources = write_single_frames(c, folder, geo, hu, c["number"] == REVERSED_SERIES)
        if c["number"] in NIFTI_SERIES:
            mask = Path("masks") / f"{c['name']}.nii.gz"
            write_nifti(geo, lab, ref / mask)
        else:
            mask = Path("masks") / f"{c['name']}.seg.dcm"
            write_seg(c, sources, lab, ref / mask)
        rows.append(f"{c['series_uid']},{mask.as_posix()}")
    (ref / "masks.csv").write_text("series,mask\n" + "\n".join(rows) + "\n")
    ids = [f"TRN-{i:05d}" for i in range(1, N_TRAINING_PATIENTS + 1)]
    (args.out / "training-patients.txt").write_text("\n".join(ids) + "\n")
    print(f"wrote {len(rows)} series to {ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
