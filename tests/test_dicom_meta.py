"""The DICOM file meta header read without pydicom: its SOP Class, and which objects hold no X-ray."""

import numpy as np
import pytest

from lungseg.io.dicom_meta import is_dicom, non_image_kind, sop_class

from .dicom_factory import write_dicom, write_non_image


def test_the_sop_class_of_an_image_and_of_objects_without_one(tmp_path):
    write_dicom(tmp_path / "dx.dcm", np.zeros((8, 8), np.float32))
    assert sop_class(tmp_path / "dx.dcm") == "1.2.840.10008.5.1.4.1.1.7"  # the factory's secondary capture
    assert non_image_kind(tmp_path / "dx.dcm") is None
    for uid, kind in [("1.2.840.10008.1.3.10", "DICOMDIR index"),
                      ("1.2.840.10008.5.1.4.1.1.11.1", "presentation state"),
                      ("1.2.840.10008.5.1.4.1.1.88.59", "structured report or key-object selection"),
                      ("1.2.840.10008.5.1.4.1.1.104.1", "encapsulated document"),
                      ("1.2.840.10008.5.1.4.1.1.481.3", "RT structure set")]:  # fmt: skip
        write_non_image(tmp_path / "x", uid)
        assert (sop_class(tmp_path / "x"), non_image_kind(tmp_path / "x")) == (uid, kind)


X_RAY_CLASSES = ["1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1.1",
                 "1.2.840.10008.5.1.4.1.1.481.1", "1.2.840.10008.5.1.4.1.1.481.31"]  # fmt: skip


@pytest.mark.parametrize("uid", X_RAY_CLASSES)
def test_x_ray_classes_are_not_taken_for_objects_without_one(tmp_path, uid):
    """CR, DX (for presentation and processing), an RT image, and a UID that only starts like a listed one."""
    write_non_image(tmp_path / "x.dcm", uid)
    assert non_image_kind(tmp_path / "x.dcm") is None


def test_files_without_a_readable_meta_header_are_left_to_the_reader(tmp_path):
    (tmp_path / "short.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")  # cut inside the first element
    (tmp_path / "png.dcm").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 200)
    (tmp_path / "wrong_group").write_bytes(b"\0" * 128 + b"DICM" + b"\x08\x00\x16\x00UI\x04\x001.2\0")
    for name in ("short.dcm", "png.dcm", "wrong_group", "missing.dcm"):
        assert sop_class(tmp_path / name) is None and non_image_kind(tmp_path / name) is None
    assert is_dicom(tmp_path / "wrong_group") and not is_dicom(tmp_path / "missing")
