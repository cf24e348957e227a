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


COMPRESSED = ("JPEGLosslessProcess14_1", "JPEGLSLossless", "JPEG2000Lossless", "RLELossless")


def compress_dicom(src: Path, dst: Path, syntax: str) -> None:
    """``src`` written again to ``dst`` with its pixel data compressed by GDCM (``lungseg[dicom]``), ``syntax`` a
    ``gdcm.TransferSyntax`` name (:data:`COMPRESSED`): the files PACS exports hold."""
    import gdcm

    reader = gdcm.ImageReader()
    reader.SetFileName(str(src))
    if not reader.Read():
        raise ValueError(f"{src}: GDCM cannot read it")
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(getattr(gdcm.TransferSyntax, syntax)))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise ValueError(f"{src}: GDCM cannot compress it as {syntax}")
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(dst))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    if not writer.Write():
        raise ValueError(f"{dst}: GDCM cannot write it")


def write_non_image(path: Path, sop_class: str) -> None:
    """A DICOM object without pixels of ``sop_class`` (a DICOMDIR, a presentation state, a structured report, ...),
    as a PACS export holds beside its images."""
    ds = empty_dx(path)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = sop_class
    ds.Modality = "SR" if ".88." in sop_class else "PR"
    ds.save_as(path, enforce_file_format=True)
