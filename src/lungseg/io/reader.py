"""The one reader of chest X-rays, for training, evaluation and segmentation alike.

PNG, JPEG, TIFF, BMP (8/16-bit, gray, RGB, alpha) or DICOM, files or in-memory arrays. Every reader
returns an :class:`XRay`: the pixels as float32 in [0, 1] with bright = dense (bone white, as on a
standard display), plus the pixel spacing in mm when the file states it. Integer data is scaled by
its real bit depth (BitsStored for DICOM; the smallest depth that holds the values otherwise), so
10- and 12-bit data stored in 16-bit containers keeps all its grey levels. An image file whose EXIF (or TIFF)
Orientation tag says viewers show it turned or mirrored is read as they show it, so masks lie on what users see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from lungseg.io.dicom_meta import DICOM_SUFFIXES, is_dicom
from lungseg.io.exif import as_displayed, exif_orientation
from lungseg.io.pydicom_import import enable_gdcm, import_pydicom

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# The largest image read: 100 megapixels (a 10000x10000 film; hospital X-rays are under 25 MP). Larger
# declared sizes are refused before decoding, so a decompression bomb cannot exhaust memory.
MAX_PIXELS = 100_000_000
DICOM_PLUGINS = ("pip install 'lungseg[dicom]' (GDCM: JPEG, JPEG lossless, JPEG-LS, JPEG 2000, RLE), or pydicom's "
                 "other plugins: pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg")


def _to_gray(img: Image.Image) -> np.ndarray:
    """PIL image of any common mode -> 2-D array (uint8, uint16, int32 or float32)."""
    mode = img.mode
    if mode in ("L", "I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return np.asarray(img)
    if mode == "1":
        return np.asarray(img.convert("L"))
    if mode in ("LA", "La"):
        return np.asarray(img.getchannel(0))
    return np.asarray(img.convert("RGB").convert("L"))  # RGB, RGBA, P, CMYK, YCbCr: luminance


def read_gray(path: str | Path) -> np.ndarray:
    """Read an image file as a 2-D array in its own dtype, upright as its EXIF orientation says."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            check_size(path, img.size[1], img.size[0])
            img.load()
            orientation = exif_orientation(img)
            if orientation != 1:
                log.info("%s: turned as its EXIF orientation tag (%d) says viewers show it", path, orientation)
            return as_displayed(_to_gray(img), orientation)
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found; check the path") from None
    except Exception as exc:  # decoders of damaged files raise OSError, SyntaxError, TypeError, ...
        if isinstance(exc, ValueError) and str(exc).startswith(str(path)):
            raise
        raise ValueError(
            f"{path}: cannot be read as an image ({exc}); replace it with a valid PNG/JPEG/TIFF/BMP file"
        ) from exc


def check_size(path: Path, rows: int, cols: int) -> None:
    """Refuse an image whose declared size is above :data:`MAX_PIXELS` or has no pixels."""
    if rows * cols > MAX_PIXELS:
        raise ValueError(
            f"{path}: declares {cols}x{rows} pixels, above lungseg's limit of {MAX_PIXELS // 1_000_000} megapixels; "
            "downscale it first (a chest X-ray needs no more than about 25 megapixels)"
        )
    if rows * cols == 0:
        raise ValueError(f"{path}: the image has no pixels ({cols}x{rows}); export it again")


def bit_depth(arr: np.ndarray) -> int:
    """Bits that hold a non-negative integer image: 8 at least, else the fewest that fit its maximum."""
    top = int(arr.max(initial=0))
    return max(8, top.bit_length())


def to_unit_float(arr: np.ndarray, bits: int | None = None) -> np.ndarray:
    """Scale an integer or float image to float32 in [0, 1].

    Non-negative integers are divided by ``2**bits - 1`` (``bits`` from the data when not given), so
    exposure is kept for 8-bit images and 10/12/16-bit data fills the range; signed integers with
    negative values and floats are min-max scaled; NaN and inf become 0.
    """
    if np.issubdtype(arr.dtype, np.integer) and arr.size and int(arr.min()) >= 0:
        bits = bits or bit_depth(arr)
        out = np.multiply(arr, np.float32(1 / (2**bits - 1)), dtype=np.float32)  # one pass, no temporaries
        return np.minimum(out, 1.0, out=out)
    arr = arr.astype(np.float32)
    finite = np.isfinite(arr)
    if not finite.any():
        return np.zeros_like(arr)
    lo, hi = float(arr[finite].min()), float(arr[finite].max())
    if hi <= lo:
        return np.zeros_like(arr)
    return np.where(finite, (arr - lo) / (hi - lo), 0.0).astype(np.float32)


def read_mask(path: str | Path) -> np.ndarray:
    """Read a mask as a boolean array; any value > 0 is lung (0/255 and 0/1 both work)."""
    return read_gray(path) > 0


@dataclass
class XRay:
    """An X-ray's pixels and the row/column pixel spacing in mm (None if unknown).

    ``data`` is the decoded array as the file holds it (uint8 or uint16 for most PNGs) and ``scale`` maps it
    to [0, 1]; float data is already in [0, 1] (``scale`` 1). Keeping the integers spares a 5000x6000 film
    its 120 MB float copy: :attr:`pixels` makes the float image when one is wanted, and indexing an XRay
    (``xray[::8, ::8]``) gives float pixels of just that part.
    """

    data: np.ndarray
    spacing: tuple[float, float] | None = None
    source: str = ""
    scale: float = 1.0
    offset: float = 0.0  # pixels = (data - offset) * scale: a DICOM's min-max scaling, or its MONOCHROME1 flip

    @property
    def pixels(self) -> np.ndarray:
        """(H, W) float32 in [0, 1] (the data itself when it is float32 already)."""
        return self[...]

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape

    @property
    def is_float(self) -> bool:
        """Whether ``data`` already is the float32 [0, 1] image (nothing to convert)."""
        return self.data.dtype == np.float32 and self.scale == 1.0 and self.offset == 0.0

    def __getitem__(self, key) -> np.ndarray:
        """Float32 pixels in [0, 1] of ``data[key]``: only that part is converted."""
        part = self.data[key]
        if self.is_float:
            return part
        if self.offset:
            out = np.subtract(part, np.float32(self.offset), dtype=np.float32)
            out *= np.float32(self.scale)
            return np.clip(out, 0.0, 1.0, out=out)
        out = np.multiply(part, np.float32(self.scale), dtype=np.float32)
        return np.minimum(out, 1.0, out=out)  # as to_unit_float: rounding never leaves [0, 1]


def _spacing(ds) -> tuple[float, float] | None:
    for key in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(key)
        if value is not None and len(value) == 2:
            try:
                row, col = float(value[0]), float(value[1])
            except (TypeError, ValueError):
                continue
            if row > 0 and col > 0:
                return row, col
    return None


def _decoded(ds, path: Path) -> np.ndarray:
    """The DICOM's pixel array; a ValueError naming the transfer syntax and the plugins when none decodes it."""
    try:
        return ds.pixel_array
    except Exception as exc:  # pydicom raises several types when no decoder fits
        error = exc
    if enable_gdcm():  # compressed pixel data: GDCM, kept out of pydicom's start-up, is given to it now
        try:
            return ds.pixel_array
        except Exception as exc:
            error = exc
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    name = getattr(syntax, "name", "unknown transfer syntax")
    raise ValueError(f"{path}: cannot decode DICOM pixel data ({name}: {error}); {DICOM_PLUGINS}") from error


def _dicom_pixels(ds, raw: np.ndarray) -> np.ndarray:
    """Apply modality rescale and VOI LUT/window, invert as shown (:func:`shown_inverted`); float32 in [0, 1]."""
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    if raw.ndim == 3 and ds.get("SamplesPerPixel", 1) == 1:
        raw = raw[0]  # multi-frame: take the first frame
    if raw.ndim == 3:  # colour DICOM (rare for X-rays): luminance
        raw = raw[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    values = apply_modality_lut(_stored_bits(ds, raw), ds).astype(np.float32)
    if "WindowCenter" in ds or "VOILUTSequence" in ds:
        values = apply_voi_lut(values, ds, prefer_lut=True).astype(np.float32)
    pixels = to_unit_float(values)
    return 1.0 - pixels if shown_inverted(ds) else pixels


def shown_inverted(ds) -> bool:
    """Whether a viewer shows low values bright: MONOCHROME1, or MONOCHROME2 under an INVERSE Presentation LUT Shape
    (some DX/CR systems; both together cancel). Only the grey data's display is turned, as the standard says."""
    mono1 = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
    inverse = str(ds.get("PresentationLUTShape", "")).strip().upper() == "INVERSE"
    return mono1 != inverse


def _stored_bits(ds, raw: np.ndarray) -> np.ndarray:
    """Unsigned integer pixels with the bits above BitsStored cleared (some writers leave overlay data there)."""
    stored = int(ds.get("BitsStored", 0) or 0)
    if np.issubdtype(raw.dtype, np.integer) and stored and stored < raw.dtype.itemsize * 8:
        return raw & ((1 << stored) - 1) if not ds.get("PixelRepresentation", 0) else raw
    return raw


def _plain_dicom(ds, raw: np.ndarray, spacing, source: str) -> XRay | None:
    """A grey X-ray without a window or lookup table, as an XRay that keeps its integers and the min-max scaling
    of :func:`_dicom_pixels` as (offset, scale): no full-size float copy. A linear rescale drops out of min-max
    scaling but for its sign. None for anything else."""
    slope = float(ds.get("RescaleSlope", 1) or 1)
    lut = any(k in ds for k in ("ModalityLUTSequence", "WindowCenter", "VOILUTSequence"))
    if lut or ds.get("SamplesPerPixel", 1) != 1:
        return None
    if raw.ndim != 2 or not np.issubdtype(raw.dtype, np.integer) or raw.dtype.itemsize > 2 or not raw.size:
        return None
    raw = _stored_bits(ds, raw)
    lo, hi = int(raw.min()), int(raw.max())
    if hi <= lo:
        return None
    if shown_inverted(ds) != (slope < 0):
        return XRay(raw, spacing, source, -1.0 / (hi - lo), float(hi))
    return XRay(raw, spacing, source, 1.0 / (hi - lo), float(lo))


def read_dicom(path: Path) -> XRay:
    pydicom = import_pydicom()
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, force=path.suffix.lower() in DICOM_SUFFIXES)
    except (InvalidDicomError, OSError, EOFError, ValueError, AttributeError) as exc:
        raise ValueError(f"{path}: unreadable DICOM ({exc}); export the image again or convert it to PNG") from exc
    except Exception as exc:  # damaged headers raise NotImplementedError, KeyError, ... inside pydicom
        raise ValueError(f"{path}: unreadable DICOM ({exc!r}); export the image again or convert it to PNG") from exc
    try:
        has_pixels = "PixelData" in ds
    except Exception as exc:  # pydicom parses lazily: a damaged element can fail here
        raise ValueError(f"{path}: damaged DICOM ({exc!r}); export the image again or convert it to PNG") from exc
    if not has_pixels:
        raise ValueError(f"{path}: DICOM file without pixel data (not an image); pass the image series instead")
    try:
        check_size(path, int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0))
        raw, spacing = _decoded(ds, path), _spacing(ds)
        return _plain_dicom(ds, raw, spacing, str(path)) or XRay(_dicom_pixels(ds, raw), spacing, str(path))
    except ValueError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise ValueError(f"{path}: damaged DICOM ({exc}); export the image again or convert it to PNG") from exc
    except Exception as exc:  # pydicom raises many types (TypeError, KeyError, ...) on damaged headers
        raise ValueError(f"{path}: damaged DICOM ({exc!r}); export the image again or convert it to PNG") from exc


def read_xray(path: str | Path) -> XRay:
    """Read any supported X-ray file; a ValueError names the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file; check the path")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: empty file (0 bytes); copy or export it again")
    if is_dicom(path):
        return read_dicom(path)
    return scaled_xray(read_gray(path), str(path))


def scaled_xray(arr: np.ndarray, source: str = "") -> XRay:
    """An XRay that keeps non-negative integer data as it is, with the scale of :func:`to_unit_float`."""
    if np.issubdtype(arr.dtype, np.integer) and arr.size and int(arr.min()) >= 0 and arr.dtype.itemsize <= 2:
        return XRay(arr, None, source, 1 / (2 ** bit_depth(arr) - 1))
    return XRay(to_unit_float(arr), None, source)


def from_array(array: np.ndarray) -> XRay:
    """An in-memory image (H, W), (H, W, 3) or (H, W, 4), any numeric dtype, as an XRay."""
    arr = np.asarray(array)
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        lum = arr[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        if np.issubdtype(arr.dtype, np.integer) and arr.size and int(arr.min()) >= 0:
            return XRay(np.clip(lum / float(2 ** bit_depth(arr) - 1), 0.0, 1.0).astype(np.float32))
        return XRay(to_unit_float(lum))
    if arr.ndim != 2:
        raise ValueError(f"an image array must be (H, W) or (H, W, 3|4), got shape {arr.shape}")
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    return XRay(to_unit_float(arr))
