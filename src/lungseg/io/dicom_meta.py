"""What a DICOM file is, from its file meta header alone (no pydicom): an image, or an object that holds no X-ray.

A folder exported from a PACS holds more than images: the DICOMDIR index, presentation states, structured reports,
key-object selections, encapsulated PDFs. Segmenting them can only fail, and a folder run would report each as a
failed input; :func:`non_image_kind` names them from the Media Storage SOP Class UID (0002,0002) that every DICOM
file's meta header carries, in the first few hundred bytes, so a folder search can leave them out.
"""

from __future__ import annotations

import struct
from pathlib import Path

DICOM_SUFFIXES = (".dcm", ".dicom", ".dic")
HEADER_BYTES = 4096  # the file meta group is a few hundred bytes; a file whose group runs past this is read as an image
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}

# SOP Classes (a UID and the UIDs under it) of objects without an X-ray to segment -> what the log calls them
NON_IMAGE_CLASSES = {
    "1.2.840.10008.1.3.10": "DICOMDIR index",
    "1.2.840.10008.5.1.4.1.1.11": "presentation state",
    "1.2.840.10008.5.1.4.1.1.88": "structured report or key-object selection",
    "1.2.840.10008.5.1.4.1.1.104": "encapsulated document",
    "1.2.840.10008.5.1.4.1.1.9": "waveform",
    "1.2.840.10008.5.1.4.1.1.66": "raw data, registration or segmentation",
    "1.2.840.10008.5.1.4.1.1.481.3": "RT structure set",
    "1.2.840.10008.5.1.4.1.1.481.5": "RT plan",
}


def is_dicom(path: Path) -> bool:
    """True for a .dcm-like suffix or a file with the DICM preamble at byte 128."""
    if path.suffix.lower() in DICOM_SUFFIXES:
        return True
    try:
        with path.open("rb") as f:
            f.seek(128)
            return f.read(4) == b"DICM"
    except OSError:
        return False


def file_head(path: Path) -> bytes:
    """The first :data:`HEADER_BYTES` of a file (empty where it cannot be read): the preamble and the meta header."""
    try:
        with path.open("rb") as f:
            return f.read(HEADER_BYTES)
    except OSError:
        return b""


def sop_class(path: Path) -> str | None:
    """The Media Storage SOP Class UID of a DICOM file's meta header; None without one (no preamble, a damaged or
    unreadable header: the reader then says what is wrong)."""
    return sop_class_in(file_head(path))


def has_preamble(head: bytes) -> bool:
    """Whether a file's :func:`file_head` carries the DICM preamble at byte 128."""
    return head[128:132] == b"DICM"


def sop_class_in(head: bytes) -> str | None:
    """:func:`sop_class` of a file's :func:`file_head`."""
    if not has_preamble(head):
        return None
    pos = 132
    while pos + 8 <= len(head):  # the meta group is always explicit VR, little endian
        group, element = struct.unpack_from("<HH", head, pos)
        if group != 0x0002:
            return None
        vr = head[pos + 4 : pos + 6]
        if vr in _LONG_VRS:
            if pos + 12 > len(head):
                return None
            length, pos = struct.unpack_from("<I", head, pos + 8)[0], pos + 12
        else:
            length, pos = struct.unpack_from("<H", head, pos + 6)[0], pos + 8
        if element == 0x0002:
            return head[pos : pos + length].rstrip(b"\0 ").decode("ascii", "replace")
        pos += length
    return None


def non_image_kind(path: Path) -> str | None:
    """What ``path`` is when it is a DICOM object that holds no X-ray (:data:`NON_IMAGE_CLASSES`), else None."""
    return non_image_kind_in(file_head(path))


def non_image_kind_in(head: bytes) -> str | None:
    """:func:`non_image_kind` of a file's :func:`file_head`."""
    uid = sop_class_in(head)
    if uid is None:
        return None
    return next((kind for root, kind in NON_IMAGE_CLASSES.items() if uid == root or uid.startswith(root + ".")), None)
