"""Reference outputs of the manifest's preprocessing steps, computed with numpy (f64,
cast to f32 at the end) straight from the formulas documented on
runner/src/dicom/preprocess.rs and in the README, one step after another on whole
arrays. The Rust runner, which fuses the pointwise steps into a lookup table and reads
only the pixels a resize needs, must agree within 1e-6 (f32)
(runner/tests/dicom_golden.rs, `preprocessing_steps_match_numpy`).

OpenCV and PyTorch are not installed here, so the resizes are numpy implementations
of their documented definitions: bilinear as OpenCV INTER_LINEAR (half-pixel centres,
no antialiasing), area as PyTorch `interpolate(mode="area")` (= adaptive_avg_pool2d),
the centre crop as torchvision's `center_crop`. Percentiles are numpy's default
(`method="linear"`). Colour: YBR_FULL and YBR_FULL_422 files written with pydicom and
read back with pydicom's `pixel_array` (converted to RGB by pydicom).

Writes cases.json (the images as stored integers, the steps in the Plan's JSON form,
the expected tensors) and colour/*.dcm with colour.json. Regenerate from the
repository root:
    python runner/tests/data/preprocess/make_reference.py
"""
import json, pathlib
import numpy as np

here = pathlib.Path(__file__).resolve().parent
rng = np.random.default_rng(20261201)


# ------------------------------------------------------------------ the steps, in numpy
def percentile_window(x, low, high):
    lo, hi = np.percentile(x, [low, high])
    if hi == lo:
        return np.zeros_like(x)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def taps(n_in, n_out):
    scale = n_in / n_out
    src = np.clip((np.arange(n_out, dtype=np.float64) + 0.5) * scale - 0.5, 0.0, n_in - 1)
    i0 = np.floor(src).astype(np.int64)
    return i0, np.minimum(i0 + 1, n_in - 1), src - i0


def bilinear(x, h, w):
    y0, y1, fy = taps(x.shape[1], h)
    x0, x1, fx = taps(x.shape[2], w)
    rows = x[:, y0, :] * (1.0 - fy)[None, :, None] + x[:, y1, :] * fy[None, :, None]
    return rows[:, :, x0] * (1.0 - fx) + rows[:, :, x1] * fx


def nearest(x, h, w):
    ys = np.minimum(np.floor((np.arange(h) + 0.5) * x.shape[1] / h).astype(np.int64), x.shape[1] - 1)
    xs = np.minimum(np.floor((np.arange(w) + 0.5) * x.shape[2] / w).astype(np.int64), x.shape[2] - 1)
    return x[:, ys][:, :, xs]


def area(x, h, w):
    """torch.nn.functional.adaptive_avg_pool2d: block [floor(i*in/out), ceil((i+1)*in/out))."""
    c, rows, cols = x.shape
    out = np.empty((c, h, w))
    for i in range(h):
        a, b = (i * rows) // h, -((-(i + 1) * rows) // h)
        for j in range(w):
            l, r = (j * cols) // w, -((-(j + 1) * cols) // w)
            out[:, i, j] = x[:, a:b, l:r].mean(axis=(1, 2))
    return out


def resize(x, h, w, how):
    return {"bilinear": bilinear, "nearest": nearest, "area": area}[how](x, h, w)


def pad_to(x, h, w, fill):
    c, rows, cols = x.shape
    out = np.full((c, h, w), float(fill))
    top, left = (h - rows) // 2, (w - cols) // 2
    out[:, top:top + rows, left:left + cols] = x
    return out


def letterbox_size(rows, cols, h, w):
    if cols * h >= rows * w:
        return min(max((2 * rows * w + cols) // (2 * cols), 1), h), w
    return h, min(max((2 * cols * h + rows) // (2 * rows), 1), w)


def run(img, steps):
    """Every step in order on the whole array, as the formulas say."""
    x = np.asarray(img["stored"], dtype=np.float64).reshape(img["channels"], img["rows"], img["columns"])
    unit = False
    for s in steps:
        k = s["step"]
        if k == "rescale":
            slope, intercept = s["fixed"] or (img["slope"], img["intercept"])
            x, unit = x * slope + intercept, False
        elif k == "window":
            src = s["source"]
            win = img.get("window") if src == "dicom" else s.get("fixed")
            if src != "minmax" and win and win[1] >= 1:
                c, wd = win
                x = (x > c - 0.5).astype(np.float64) if wd == 1 else np.clip((x - (c - 0.5)) / (wd - 1) + 0.5, 0, 1)
            else:
                lo, hi = x.min(), x.max()
                x = np.zeros_like(x) if hi == lo else (x - lo) / (hi - lo)
            unit = True
        elif k == "window_percentile":
            x, unit = percentile_window(x, s["low"], s["high"]), True
        elif k == "invert_monochrome1":
            if img["monochrome1"]:
                x = 1.0 - x if unit else x.min() + x.max() - x
        elif k == "clip":
            x = np.clip(x, s["low"], s["high"])
        elif k == "resize":
            x = resize(x, s["height"], s["width"], s["interpolation"])
        elif k == "crop":
            if s["at"] is None:
                top = int(round((x.shape[1] - s["height"]) / 2.0))
                left = int(round((x.shape[2] - s["width"]) / 2.0))
            else:
                left, top = s["at"]
            x = x[:, top:top + s["height"], left:left + s["width"]]
        elif k == "pad_square":
            side = max(x.shape[1], x.shape[2])
            x = pad_to(x, side, side, s["fill"])
        elif k == "letterbox":
            nh, nw = letterbox_size(x.shape[1], x.shape[2], s["height"], s["width"])
            x = pad_to(resize(x, nh, nw, s["interpolation"]), s["height"], s["width"], s["fill"])
        elif k == "channels":
            if s["count"] == 3 and x.shape[0] == 1:
                x = np.repeat(x, 3, axis=0)
        elif k == "color":
            if s["mode"] == "luminance" and x.shape[0] == 3:
                x = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None]
        elif k == "normalize":
            x = (x - s["mean"]) / s["std"]
        elif k == "normalize_channels":
            m, sd = np.asarray(s["mean"]), np.asarray(s["std"])
            x = (x - m[:, None, None]) / sd[:, None, None]
        else:
            raise ValueError(k)
    return x.astype(np.float32)


# ------------------------------------------------------------------ inputs
def image(rows, cols, channels, lo, hi, **kw):
    stored = rng.integers(lo, hi + 1, size=channels * rows * cols)
    base = dict(rows=rows, columns=cols, channels=channels, stored=stored.tolist(),
                slope=1.0, intercept=0.0, window=None, monochrome1=False)
    base.update(kw)
    return base


ct = image(37, 53, 1, -1024, 3071, slope=1.0, intercept=-1024.0, window=[40.0, 400.0])
cr = image(41, 29, 1, 0, 4095, monochrome1=True, slope=0.5, intercept=10.0)
# A flat region and a few outliers, so that percentiles fall between values.
flat = image(24, 24, 1, 100, 103)
flat["stored"][0], flat["stored"][1] = 4000, -50
rgb = image(19, 31, 3, 0, 255)
wide = image(9, 11, 1, -(1 << 30), 1 << 30)

imagenet = dict(step="normalize_channels", mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
cases = [
    ("example pipeline", ct, [dict(step="rescale", fixed=None),
                              dict(step="window", source="dicom", fixed=None, else_minmax=True),
                              dict(step="invert_monochrome1"),
                              dict(step="resize", width=16, height=12, interpolation="bilinear"),
                              dict(step="normalize", mean=0.5, std=0.25)]),
    ("area downscale", ct, [dict(step="rescale", fixed=None),
                            dict(step="window", source="fixed", fixed=[40.0, 400.0], else_minmax=False),
                            dict(step="resize", width=10, height=7, interpolation="area")]),
    ("area upscale", flat, [dict(step="resize", width=31, height=29, interpolation="area")]),
    ("nearest", cr, [dict(step="rescale", fixed=None),
                     dict(step="resize", width=13, height=17, interpolation="nearest")]),
    ("percentile window", flat, [dict(step="window_percentile", low=0.5, high=99.5),
                                 dict(step="resize", width=8, height=8, interpolation="bilinear")]),
    ("percentile after a decreasing rescale", cr, [dict(step="rescale", fixed=[-2.0, 7.0]),
                                                   dict(step="window_percentile", low=2.0, high=97.5),
                                                   dict(step="invert_monochrome1"),
                                                   dict(step="resize", width=9, height=9, interpolation="area")]),
    ("clip and reflect", cr, [dict(step="rescale", fixed=None),
                              dict(step="clip", low=300.0, high=1500.0),
                              dict(step="invert_monochrome1"),
                              dict(step="resize", width=7, height=11, interpolation="bilinear")]),
    ("imagenet", ct, [dict(step="rescale", fixed=None),
                      dict(step="window_percentile", low=1.0, high=99.0),
                      dict(step="pad_square", fill=0.0),
                      dict(step="resize", width=20, height=20, interpolation="area"),
                      dict(step="crop", width=15, height=16, at=None),
                      dict(step="channels", count=3),
                      imagenet]),
    ("crop box then resize", ct, [dict(step="rescale", fixed=None),
                                  dict(step="crop", width=30, height=21, at=[5, 9]),
                                  dict(step="window", source="minmax", fixed=None, else_minmax=False),
                                  dict(step="resize", width=12, height=8, interpolation="bilinear")]),
    ("centre crop odd margins", cr, [dict(step="crop", width=20, height=38, at=None),
                                     dict(step="window", source="minmax", fixed=None, else_minmax=False)]),
    ("letterbox", ct, [dict(step="rescale", fixed=None),
                       dict(step="window", source="dicom", fixed=None, else_minmax=True),
                       dict(step="letterbox", width=16, height=16, interpolation="bilinear", fill=0.0),
                       dict(step="channels", count=3)]),
    ("letterbox tall", cr, [dict(step="letterbox", width=12, height=9, interpolation="area", fill=-1.0)]),
    ("pad then window", cr, [dict(step="pad_square", fill=0.0),
                             dict(step="window", source="minmax", fixed=None, else_minmax=False),
                             dict(step="resize", width=10, height=10, interpolation="bilinear")]),
    ("replicated percentiles", flat, [dict(step="channels", count=3),
                                      dict(step="window_percentile", low=10.0, high=60.0),
                                      dict(step="resize", width=5, height=5, interpolation="nearest")]),
    ("rgb", rgb, [dict(step="color", mode="rgb"),
                  dict(step="channels", count=3),
                  dict(step="window", source="minmax", fixed=None, else_minmax=False),
                  dict(step="resize", width=12, height=10, interpolation="area"),
                  imagenet]),
    ("luminance", rgb, [dict(step="color", mode="luminance"),
                        dict(step="window_percentile", low=5.0, high=95.0),
                        dict(step="resize", width=12, height=10, interpolation="bilinear"),
                        dict(step="channels", count=3)]),
    ("wide range", wide, [dict(step="rescale", fixed=[0.5, 3.0]),
                          dict(step="window_percentile", low=25.0, high=75.0),
                          dict(step="resize", width=4, height=3, interpolation="area")]),
]

out = []
for name, img, steps in cases:
    t = run(img, steps)
    out.append(dict(name=name, image=img, steps=steps, shape=list(t.shape),
                    expected=[float(v) for v in t.ravel()]))
(here / "cases.json").write_text(json.dumps(dict(tolerance=1e-6, cases=out)) + "\n")


# ------------------------------------------------------------------ colour files (pydicom)
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

colour_dir = here / "colour"
colour_dir.mkdir(exist_ok=True)


def write(name, photometric, planar, samples_bytes, rows, cols):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.1011.1"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = photometric
    ds.PlanarConfiguration = planar
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = samples_bytes
    path = colour_dir / name
    ds.save_as(path, enforce_file_format=True)
    back = pydicom.dcmread(path)
    arr = back.pixel_array  # pydicom 3 converts YBR_FULL(_422) to RGB
    return arr.reshape(rows, cols, 3)


rows, cols = 6, 8
pix = rng.integers(0, 256, size=(rows, cols, 3), dtype=np.uint8)
colour = []
for name, pi, planar, data in [
    ("rgb-interleaved.dcm", "RGB", 0, pix.tobytes()),
    ("rgb-planar.dcm", "RGB", 1, pix.transpose(2, 0, 1).tobytes()),
    ("ybr-full-interleaved.dcm", "YBR_FULL", 0, pix.tobytes()),
    ("ybr-full-planar.dcm", "YBR_FULL", 1, pix.transpose(2, 0, 1).tobytes()),
]:
    rgb_out = write(name, pi, planar, data, rows, cols)
    colour.append(dict(file=name, rows=rows, columns=cols, rgb=rgb_out.transpose(2, 0, 1).ravel().tolist()))

# YBR_FULL_422: each pair of pixels `Y1 Y2 Cb Cr`.
y = rng.integers(0, 256, size=(rows, cols), dtype=np.uint8)
cb = rng.integers(0, 256, size=(rows, cols // 2), dtype=np.uint8)
cr = rng.integers(0, 256, size=(rows, cols // 2), dtype=np.uint8)
packed = np.stack([y[:, 0::2], y[:, 1::2], cb, cr], axis=-1).tobytes()
rgb_out = write("ybr-full-422.dcm", "YBR_FULL_422", 0, packed, rows, cols)
colour.append(dict(file="ybr-full-422.dcm", rows=rows, columns=cols, rgb=rgb_out.transpose(2, 0, 1).ravel().tolist()))
(here / "colour.json").write_text(json.dumps(colour) + "\n")
print(f"{len(out)} cases, {len(colour)} colour files")
