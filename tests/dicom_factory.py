"""Build small DICOM files with pydicom for the reader tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid


def empty_dx(path: Path) -> FileDataset:
    """A DX secondary-capture dataset with its file meta and UIDs, no pixels yet."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    return ds


def write_dicom(
    path: Path,
    pixels: np.ndarray,
    monochrome1: bool = False,
    spacing: tuple[float, float] | None = None,
    slope: float = 2.0,
    intercept: float = -100.0,
    window: tuple[float, float] | None = None,
    imager_spacing: bool = False,
    presentation: str | None = None,
) -> None:
    """Store ``(pixels - intercept) / slope`` as uint16 so the modality rescale restores ``pixels``."""
    ds = empty_dx(path)
    stored = np.round((pixels.astype(np.float64) - intercept) / slope).astype(np.uint16)
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 16, 16, 15
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    if presentation:
        ds.PresentationLUTShape = presentation
    if spacing:
        if imager_spacing:
            ds.ImagerPixelSpacing = list(spacing)
        else:
            ds.PixelSpacing = list(spacing)
    ds.PixelData = stored.tobytes()
    ds.save_as(path, enforce_file_format=True)
