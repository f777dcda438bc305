"""Red-team findings of round 2 (dynamic shapes, dynamic AIPP, model loading with configurations, single
operators, VDEC/VENC, VPC extras, the pyACL wrappers): each test is a call sequence that crashed, corrupted,
leaked or answered wrongly before its fix, and must now be refused cleanly or answer right."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conftest import expect_error, ffi, lib, ok, recent_message, requires_emulator
from test_model import Raw, put
from test_model_dynamic import _desc_dims, _set_shape, ranged  # noqa: F401  (ranged: a fixture)

pytestmark = requires_emulator


def refused_void(fragment: str, fn: Any, *args: Any) -> None:
    """A function returning nothing refused the call: its message names it and contains fragment."""
    assert fn(*args) is None
    msg = recent_message() or ""
    assert msg.startswith(fn.__name__ + ": ") and fragment in msg, msg


def test_a_datasets_own_description_cannot_be_destroyed_by_the_program(ranged: Any) -> None:  # noqa: F811
    """aclDestroyTensorDesc(aclmdlGetDatasetTensorDesc(...)) freed the dataset's description; the next execution
    read it (heap-use-after-free in emu_dataset_desc_dims) and aclmdlDestroyDataset freed it again."""
    model_id, _ = ranged
    raw = Raw([64, 12], [64, 16 * 8, 16 * 3 * 4])
    try:
        _set_shape(raw.inp, 0, [4])
        owned = lib.aclmdlGetDatasetTensorDesc(raw.inp, 0)
        refused_void("belongs to a dataset", lib.aclDestroyTensorDesc, owned)
        assert _desc_dims(owned) == (4,)
        put(raw.ptrs[0], np.ones(4, np.float32))
        ok(lib.aclmdlExecute(model_id, raw.inp, raw.out), "aclmdlExecute")
        out_desc = lib.aclmdlGetDatasetTensorDesc(raw.out, 1)
        refused_void("belongs to a dataset", lib.aclDestroyTensorDesc, out_desc)
        assert _desc_dims(out_desc) == (1, 4)
    finally:
        raw.close()


# ------------------------------------------------------------------------------------------ acllite.video


def test_a_refused_duplicate_channel_id_keeps_the_owners_id() -> None:
    """VideoDecoder(channel_id=<an id another decoder holds>) was refused by aclvdecCreateChannel, and its clean-up
    released that id from acllite's record of ids in use: the next VideoDecoder() took the same id and failed."""
    import acllite
    from acllite.video import VideoDecoder

    with acllite.init(), acllite.Device(0) as dev:
        with VideoDecoder(dev, 320, 240, "h264") as first:
            with pytest.raises(acllite.AclError, match="channel id %d is in use" % first._channel_id):
                VideoDecoder(dev, 320, 240, "h264", channel_id=first._channel_id)
            with VideoDecoder(dev, 320, 240, "h264") as second:
                assert second._channel_id != first._channel_id
    assert not any(acllite.emulator_leak_report().values()), acllite.emulator_leak_report()


def test_a_send_that_cannot_get_its_output_buffer_releases_its_stream_description() -> None:
    """VideoDecoder.send with DVPP memory too short for the output picture raised, and left the access unit's
    stream description alive (acllite.emulator_leak_report() {'dvppDescs': 1} at aclFinalize)."""
    import acllite
    import video_clips as vc
    from acllite.video import VideoDecoder

    unit = vc.access_units(vc.encode("h264", 320, 240, 1, 0), "h264")[0]
    with acllite.init(), acllite.Device(0) as dev:
        with VideoDecoder(dev, 1920, 1080, "h264") as dec:
            held = []
            cell = ffi.new("void **")
            ok(lib.acldvppMalloc(cell, (4 << 30) - (256 << 20)), "acldvppMalloc")  # Ascend310: a 4 GiB window
            held.append(cell[0])
            while lib.acldvppMalloc(cell, 1 << 20) == 0:  # the rest, 1 MiB at a time
                held.append(cell[0])
            ok(lib.acldvppFree(held.pop()))  # room for the access unit, not for a 1080p picture
            try:
                with pytest.raises(acllite.AclError, match="acldvppMalloc"):
                    dec.send(unit)
            finally:
                for p in held:
                    ok(lib.acldvppFree(p))
    assert not any(acllite.emulator_leak_report().values()), acllite.emulator_leak_report()


def test_encoding_a_closed_picture_releases_its_description() -> None:
    """VideoEncoder.encode of an image closed already raised and left its picture description alive."""
    import acllite
    from acllite.image import Image, PixelFormat
    from acllite.video import VideoEncoder

    w, h = 256, 144
    with acllite.init(), acllite.Device(0) as dev:
        with VideoEncoder(dev, w, h, "h264") as enc:
            picture = Image.from_numpy(np.zeros((h * 3 // 2, w), np.uint8), PixelFormat.NV12).copy_to("dvpp", dev)
            picture.close()
            with pytest.raises(Exception):
                enc.encode(picture)
    assert not any(acllite.emulator_leak_report().values()), acllite.emulator_leak_report()
