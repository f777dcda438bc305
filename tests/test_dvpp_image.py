"""acllite's images and ImageProcessor: real photographs decoded, resized, cropped, pasted and encoded through
DVPP; numpy views; memory kinds; asynchronous use on a stream; errors; release; images into Model.execute.

Tolerances: decoded Y equals Pillow's libjpeg-turbo decode (YCbCr, no colour conversion) exactly; a round trip
through the JPEG encoder keeps Y PSNR above 35 dB at level 90; resizes are checked exactly against the raw-API
tests' numpy model in tests/test_dvpp_emulator.py, here against Pillow's bilinear at a looser bound.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Tuple

import numpy as np
import pytest
from PIL import Image as PILImage

import acllite
from acllite import DvppBuffer, Image, ImageProcessor, PixelFormat
from acllite.image import DEVICE, DVPP, HOST
from conftest import requires_emulator

pytestmark = requires_emulator


def photo_jpeg(which: str = "astronaut", size: Tuple[int, int] = (512, 341), **kw: Any) -> bytes:
    from skimage import data as samples

    im = PILImage.fromarray(getattr(samples, which)()).resize(size, PILImage.LANCZOS)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=kw.pop("quality", 90), **kw)
    return out.getvalue()


def pillow_y(jpeg: bytes) -> np.ndarray:
    im = PILImage.open(io.BytesIO(jpeg))
    im.draft("YCbCr", None)
    return np.asarray(im)[..., 0]


@pytest.fixture
def ip(device: Any) -> Any:
    with ImageProcessor(device) as p:
        yield p


@pytest.mark.parametrize("which", ["astronaut", "coffee", "chelsea"])
def test_decode_real_photographs(ip: ImageProcessor, which: str) -> None:
    jpeg = photo_jpeg(which, (333, 251))
    src = Image.from_bytes(jpeg)
    assert (src.format, src.width, src.height, src.memory) == ("jpeg", 333, 251, HOST)
    with ip.decode_jpeg(src) as img:
        assert (img.format, img.width, img.height) == (PixelFormat.NV12, 332, 250)
        assert (img.width_stride, img.height_stride, img.memory) == (384, 256, DVPP)
        assert img.nbytes == 384 * 256 * 3 // 2
        px = img.to_numpy()
        assert px.shape == (375, 332)
        assert np.array_equal(px[:250], pillow_y(jpeg)[:250, :332])
        rgb = img.to_rgb()
        ref = np.asarray(PILImage.open(io.BytesIO(jpeg)).convert("RGB"))[:250, :332]
        assert np.abs(rgb.astype(int) - ref).mean() < 3  # chroma repeated, not interpolated


def test_resize_crop_paste_encode_pipeline(ip: ImageProcessor, tmp_path: Path) -> None:
    jpeg = photo_jpeg()
    with ip.decode_jpeg(jpeg) as big:
        small = ip.resize(big, 224, 224)
        assert (small.width, small.height, small.width_stride, small.height_stride) == (224, 224, 224, 224)
        assert small.nbytes == 224 * 224 * 3 // 2
        ref = np.asarray(PILImage.fromarray(big.to_numpy()[: big.height]).resize((224, 224), PILImage.BILINEAR))
        assert np.abs(small.to_numpy()[:224].astype(int) - ref).mean() < 4  # Pillow filters (antialias) wider
        crop = ip.crop(big, (100, 50, 300, 250))
        assert (crop.width, crop.height, crop.width_stride) == (200, 200, 208)
        assert np.array_equal(crop.to_numpy()[:200], big.to_numpy()[50:250, 100:300])
        canvas = ip.resize(big, 320, 240)
        before = canvas.to_numpy().copy()
        assert ip.crop_and_paste(big, (0, 0, 100, 100), canvas, (32, 20, 132, 120)) is canvas
        after = canvas.to_numpy()
        assert np.array_equal(after[20:120, 32:132], big.to_numpy()[:100, :100])
        assert np.array_equal(after[:20], before[:20]) and np.array_equal(after[120:240], before[120:240])
        enc = ip.encode_jpeg(small, level=90)
        assert enc.format == "jpeg" and 1000 < enc.nbytes < 224 * 224 * 3
        data = enc.to_numpy().tobytes()
        y_back = pillow_y(data).astype(float)
        psnr = 10 * np.log10(255 ** 2 / np.mean((y_back - small.to_numpy()[:224]) ** 2))
        assert psnr > 35
        enc.save(tmp_path / "small.jpg")
        assert Image.open(tmp_path / "small.jpg").width == 224
        small.save(tmp_path / "small.png")
        assert PILImage.open(tmp_path / "small.png").size == (224, 224)
        for x in (small, crop, canvas, enc):
            x.close()


def test_asynchronous_on_a_stream(ip: ImageProcessor, device: Any) -> None:
    jpeg = photo_jpeg(size=(640, 480))
    stream = device.create_stream()
    img = ip.decode_jpeg(jpeg, stream=stream)
    assert (img.width, img.height, img.width_stride, img.height_stride) == (640, 480, 640, 480), \
        "a decode's geometry is known when it is queued, so work on it can be queued behind it"
    small = ip.resize(img, 96, 64, stream=stream)
    enc = ip.encode_jpeg(small, stream=stream)
    stream.synchronize()
    assert (img.width, img.height, img.width_stride) == (640, 480, 640)
    assert small.to_numpy().shape == (96, 96)
    assert enc.to_numpy()[:2].tobytes() == b"\xff\xd8" and enc.nbytes < 96 * 64 * 3
    for x in (img, small, enc):
        x.close()
    # an error of queued work comes out of synchronize, with the device's code and message
    bad = io.BytesIO()
    PILImage.new("RGB", (64, 64)).save(bad, "JPEG", progressive=True)
    with pytest.raises(acllite.AclError) as info:
        ip.decode_jpeg(bad.getvalue(), stream=stream)  # the size query refuses it before anything is queued
    assert info.value.code == 148052  # ACL_ERROR_UNSUPPORTED_JPEG
    assert "progressive" in info.value.message
    stream.close()


def test_images_from_numpy_and_memory_kinds(ip: ImageProcessor, device: Any) -> None:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (48, 70, 3), dtype=np.uint8)
    img = Image.from_numpy(rgb)
    assert (img.format, img.width, img.height, img.width_stride, img.memory) == (PixelFormat.RGB888, 70, 48, 210,
                                                                                HOST)
    view = img.to_numpy()
    assert np.shares_memory(view, rgb), "a host image gives a view"
    wide = np.zeros((48, 100, 3), np.uint8)
    wide[:, :70] = rgb
    sliced = Image.from_numpy(wide[:, :70])
    assert sliced.width_stride == 300 and np.shares_memory(sliced.to_numpy(), wide)
    nv12 = ip.resize(img, 64, 48)  # RGB from the host: copied in with VPC's strides, converted, scaled
    y = nv12.to_numpy()[:48].astype(float)
    ref = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    assert y.shape == (48, 64) and abs(y.mean() - ref.mean()) < 2
    on_device = nv12.copy_to(DEVICE)
    assert on_device.memory == DEVICE and np.array_equal(on_device.to_numpy(), nv12.to_numpy())
    back = ip.resize(on_device, 32, 24)  # device memory is copied to DVPP memory first
    assert back.memory == DVPP
    host = nv12.copy_to(HOST)
    assert host.memory == HOST and np.array_equal(host.to_numpy(), nv12.to_numpy())
    buf = DvppBuffer(1000, device)
    with pytest.raises(TypeError):
        buf.numpy()
    for x in (nv12, on_device, back, buf):
        x.close()


def test_errors_name_what_is_wrong(ip: ImageProcessor, device: Any) -> None:
    with ip.decode_jpeg(photo_jpeg(size=(64, 48))) as img:
        with pytest.raises(acllite.AclInvalidParamError) as info:
            ip.crop(img, (1, 0, 21, 10))
        assert "left and top must be even" in info.value.message
        with pytest.raises(acllite.AclInvalidParamError, match="1/32 to 16"):
            ip.resize(img, 2048, 48)
        with pytest.raises(acllite.AclNotSupportedError, match="no VPC colour conversion"):
            ip.convert_color(img, PixelFormat.RGB888)
        with pytest.raises(ValueError, match="empty"):
            ip.crop(img, (10, 10, 10, 20))
        with pytest.raises(TypeError):
            ip.resize(Image.from_bytes(photo_jpeg(size=(64, 48))), 32, 32)
    with pytest.raises(acllite.AclInvalidParamError, match="is not a marker"):
        ip.decode_jpeg(b"\xff\xd8 not really")
    with pytest.raises(ValueError, match="neither a JPEG nor a PNG"):
        Image.from_bytes(b"GIF89a....")
    assert acllite.emulator_live_counts()["dvppDescs"] == 0, "descriptions are released after errors"


def test_close_is_idempotent_and_release_is_ordered(device: Any) -> None:
    ip = ImageProcessor(device)
    img = ip.decode_jpeg(photo_jpeg(size=(64, 48)))
    ip.close()
    ip.close()
    with pytest.raises(ValueError, match="closed"):
        ip.resize(img, 32, 32)
    img.close()
    img.close()
    live = acllite.emulator_live_counts()
    assert (live["dvppChannels"], live["dvppDescs"], live["dvppAllocations"]) == (0, 0, 0)


def test_gc_after_device_reset_does_not_double_release(acl: Any) -> None:
    dev = acllite.Device(0)
    ip = ImageProcessor(dev)
    img = ip.decode_jpeg(photo_jpeg(size=(64, 48)))
    acllite.finalize()  # releases everything; the objects become inert
    del ip, img
    import gc

    gc.collect()
    dev.close()


def test_image_into_model_execute(ip: ImageProcessor, device: Any) -> None:
    """A DVPP image goes to Model.execute by pointer: the model sees the NV12 bytes."""
    from onnx import TensorProto, helper

    n = 64 * 48 * 3 // 2
    graph = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.UINT8, [n])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])])
    model_bytes = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model_bytes.ir_version = 8
    with ip.decode_jpeg(photo_jpeg(size=(64, 48))) as img:
        assert img.nbytes == 128 * 48 * 3 // 2  # strided: make a tight copy with a resize to the model's size
        with ip.resize(img, 64, 48) as tight, acllite.Model(model_bytes.SerializeToString(), device) as model:
            assert tight.nbytes == n
            (out,) = model.execute([tight])
            assert np.array_equal(out.astype(np.uint8), tight.to_numpy().reshape(-1))
