#!/usr/bin/env python3
"""Builds the data of the segmentation failing examples from this example (deterministic).

Run from the repository root, with the pinned versions of
examples/ct-segmentation/requirements.txt plus pylibjpeg 2.1.0 and pylibjpeg-openjpeg
2.6.0 (the JPEG 2000 encoder):

    python3 examples/ct-segmentation/tools/build_failing.py

Each example under examples/failing/<name>/ gets, from examples/ct-segmentation/:

- data/reference/: the series of five reference patients (REF-0001, REF-0003, REF-0009,
  REF-0012, REF-0016): 8 series, among them the series with a flipped in-plane
  orientation (series-11) and both NIfTI masks; every CT file re-encoded as JPEG 2000
  lossless (the same attributes and UIDs, pixel data identical, checked here), so that an
  example stays under the 1 MB tests/failing_examples.rs allows; their masks byte for
  byte, and a masks.csv restricted to them, rows in the same order;
- data/training-patients.txt, docs/ and model/ct-organs.onnx: byte for byte;
- waivers.clic: the subgroup-evidence waivers of 8 series (no group can reach the 10 cases
  a Dice comparison needs, so the example fails for its one reason only).

seg-wrong-geometry: the NIfTI mask of series-05 has its origin moved 15 mm along the
patient's z axis (its affine's translation), as a mask exported from another
reconstruction of the same scan would; every voxel and the rest of its header unchanged.

Then it measures each example as tools/metrics.py does (MONAI), prints the per-structure
summaries and checks the manifest's claims, so that one can see that exactly the intended
claim fails (seg-below-claim) and that the other cases meet every claim
(seg-wrong-geometry). The manifests and READMEs are written by hand.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import sys
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import JPEG2000Lossless

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "examples" / "ct-segmentation"
FAILING = ROOT / "examples" / "failing"
sys.path.insert(0, str(SOURCE / "tools"))
import metrics as M  # noqa: E402
import preprocess as pp  # noqa: E402

EXAMPLES = ["seg-below-claim", "seg-wrong-geometry"]
PATIENTS = {"REF-0001", "REF-0003", "REF-0009", "REF-0012", "REF-0016"}
BROKEN_SERIES = "series-05"
SHIFT_MM = 15.0

# The claims of each variant's model.clic (checked after the build): lower bounds for
# dice, volume_icc; upper bounds for the distances and the limits of agreement.
CLAIMS = {
    "seg-below-claim": {
        "liver": {"dice": 0.86, "nsd_2mm": 0.35, "hd95": ("max", 20.0), "volume_icc": 0.30, "volume_loa": ("max", 250.0)},
        "spleen": {"dice": 0.90, "assd": ("max", 5.0), "hd95": ("max", 14.0), "volume_icc": 0.40, "volume_loa": ("max", 110.0)},
    },
}
CLAIMS["seg-wrong-geometry"] = {
    "liver": dict(CLAIMS["seg-below-claim"]["liver"]),
    "spleen": dict(CLAIMS["seg-below-claim"]["spleen"], dice=0.75),
}


# 8 series of 5 patients: no sex, age band or manufacturer reaches 10 cases, whatever the
# split, so the subgroup-evidence controls would fail beside each variant's one reason.
WAIVERS = """# 8 reference series of 5 patients: no group of sex, age band or manufacturer reaches the
# 10 cases with a Dice from 5 patients that a subgroup comparison needs.
waiver performance.subgroups.subgroup-evidence-per-structure {
  reason "8 reference series of 5 patients: no sex or age band reaches the 10 cases from 5 patients a group needs to be judged"
  approved_by "QA lead <qa@example.com>"
  expires 2028-06-30
  risk "H6"
}

waiver ai_act.high_risk.robustness-evidence-per-structure {
  reason "8 reference series of 5 patients: no manufacturer reaches the 10 cases from 5 patients robustness needs to be judged"
  approved_by "QA lead <qa@example.com>"
  expires 2028-06-30
  risk "H6"
}
"""


def copy_series(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.dcm")):
        ds = pydicom.dcmread(f)
        before = ds.pixel_array.copy()
        ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg", generate_instance_uid=False)
        out = dst / f.name
        ds.save_as(out, enforce_file_format=True)
        after = pydicom.dcmread(out).pixel_array
        if not np.array_equal(before, after):
            raise SystemExit(f"{out}: JPEG 2000 round trip changed the pixels")


def shift_nifti(path: Path, dz: float) -> None:
    """Moves a NIfTI mask's origin by dz mm along patient z (RAS z = LPS z)."""
    import nibabel as nib

    img = nib.load(str(path))
    affine = img.affine.copy()
    affine[2, 3] += dz
    data = np.asarray(img.dataobj)
    new = nib.Nifti1Image(data, affine, header=img.header)
    new.set_qform(affine, code=1)
    new.set_sform(affine, code=1)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(new.to_bytes())
    path.write_bytes(buf.getvalue())


def build(name: str) -> Path:
    dest = FAILING / name
    for sub in ("data", "docs", "model"):
        if (dest / sub).exists():
            shutil.rmtree(dest / sub)
    ref_src = SOURCE / "data" / "reference"
    ref = dest / "data" / "reference"
    ref.mkdir(parents=True)
    with open(ref_src / "masks.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    kept = []
    for row in rows:
        folder = next(p for p in ref_src.iterdir() if p.is_dir() and p.name.startswith("series-")
                      and str(pydicom.dcmread(next(p.glob("*.dcm")), stop_before_pixels=True).SeriesInstanceUID)
                      == row["series"])
        patient = str(pydicom.dcmread(next(folder.glob("*.dcm")), stop_before_pixels=True).PatientID)
        if patient not in PATIENTS:
            continue
        copy_series(folder, ref / folder.name)
        (ref / row["mask"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ref_src / row["mask"], ref / row["mask"])
        kept.append(row)
    (ref / "masks.csv").write_text("series,mask\n" + "".join(f"{r['series']},{r['mask']}\n" for r in kept))
    shutil.copyfile(SOURCE / "data" / "training-patients.txt", dest / "data" / "training-patients.txt")
    shutil.copytree(SOURCE / "docs", dest / "docs")
    (dest / "waivers.clic").write_text(WAIVERS)
    (dest / "model").mkdir()
    shutil.copyfile(SOURCE / "model" / "ct-organs.onnx", dest / "model" / "ct-organs.onnx")
    if name == "seg-wrong-geometry":
        shift_nifti(ref / "masks" / f"{BROKEN_SERIES}.nii.gz", SHIFT_MM)
    return dest


def measure(dest: Path) -> tuple[list[dict], list[str]]:
    ref = dest / "data" / "reference"
    cases, problems = [], []
    with open(ref / "masks.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    folders = {str(pydicom.dcmread(next(p.glob("*.dcm")), stop_before_pixels=True).SeriesInstanceUID): p
               for p in ref.iterdir() if p.is_dir() and p.name.startswith("series-")}
    for row in rows:
        folder = folders[row["series"]]
        geo, vol, dss = pp.read_series(folder)
        path = ref / row["mask"]
        try:
            lab = M.read_nifti(path, geo) if path.name.endswith(".nii.gz") else M.read_seg(path, geo)
        except M.MaskError as e:
            problems.append(f"{folder.name}: {e}")
            continue
        c = {"patient": str(dss[0].PatientID), "folder": folder.name}
        c.update(M.case_metrics(M.predict(vol, geo), lab, geo))
        cases.append(c)
    return cases, problems


def check(name: str, summary: dict) -> list[str]:
    unmet = []
    for structure, claims in CLAIMS[name].items():
        s = summary[structure]
        for metric, bound in claims.items():
            if metric == "volume_icc":
                low = min(s["volume"]["icc_ci95_bootstrap"][0], s["volume"]["icc_ci95_F"][0])
                ok, shown = low >= bound, f"low {low:.3f}"
            elif metric == "volume_loa":
                high = s["volume"]["loa_abs_max_ci95_bootstrap"][1]
                ok, shown = high <= bound[1], f"high {high:.1f}"
            elif isinstance(bound, tuple):
                high = s[metric]["ci95"]["high"]
                ok, shown = high <= bound[1], f"high {high:.3f}"
            else:
                low = s[metric]["ci95"]["low"]
                ok, shown = low >= bound, f"low {low:.3f}"
            b = bound[1] if isinstance(bound, tuple) else bound
            print(f"    {structure} {metric} claim {b}: {shown} {'met' if ok else 'NOT MET'}")
            if not ok:
                unmet.append(f"{structure}.{metric}")
    return unmet


def main() -> int:
    for name in EXAMPLES:
        dest = build(name)
        cases, problems = measure(dest)
        size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file() and ".clic" not in p.parts)
        print(f"{name}: {len(cases)} series measured, {len({c['patient'] for c in cases})} patients, "
              f"{size / 1e6:.3f} MB")
        for p in problems:
            print(f"  mask problem: {p}")
        summary = M.summarise(cases)
        for structure, s in summary.items():
            v = s["volume"]
            print(f"  {structure}: dice {s['dice']['mean']:.3f} ({s['dice']['ci95']['low']:.3f}-"
                  f"{s['dice']['ci95']['high']:.3f}), hd95 {s['hd95']['mean']:.1f} (to {s['hd95']['ci95']['high']:.1f}), "
                  f"assd {s['assd']['mean']:.2f} (to {s['assd']['ci95']['high']:.2f}), nsd@2 {s['nsd_2mm']['mean']:.3f} "
                  f"(from {s['nsd_2mm']['ci95']['low']:.3f}), ICC {v['icc']:.3f} {v['icc_ci95_F']} "
                  f"boot {v['icc_ci95_bootstrap'][0]:.3f}, LoA max {v['loa_abs_max']:.1f} "
                  f"(to {v['loa_abs_max_ci95_bootstrap'][1]:.1f})")
        unmet = check(name, summary)
        print(f"  unmet: {unmet or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
