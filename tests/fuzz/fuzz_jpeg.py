"""Fuzz target: JPEG through the emulator's DVPP.

Per input: ``acldvppJpegGetImageInfo`` and ``...V2`` (must agree with each other), ``acldvppJpegPredictDecSize``
for NV12, and, when the header passed and the picture is small, ``acldvppJpegDecodeAsync`` into a DVPP buffer of
exactly the predicted size + ``aclrtSynchronizeStream``. Checked: only documented codes (0, 100000 invalid
parameter, 148052 unsupported JPEG), a message with every failure, a decoded geometry that fits the buffer, no
byte written past the buffer (canary), the decoded luma equal to libjpeg-turbo's (Pillow), in one of the eight
EXIF orientations, when the emulator says it decoded, ``retCode`` set on failure, and nothing left alive.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "jpeg"
MAX_LEN = 1 << 15
DECODE_LIMIT = 1 << 21  # predicted output bytes up to which the picture is also decoded
INFO_CODES = (0, 100000, 148052)
NV12 = 1

with H.instrumented():
    import numpy as np
    from acllite.binding import ffi, lib

acl: H.Acl = None  # type: ignore[assignment]  (setup() makes it)
channel = None
baseline: dict = {}


def setup() -> None:
    global acl, channel, baseline
    acl = H.Acl()
    channel = lib.acldvppCreateChannelDesc()
    H.check(channel != ffi.NULL, "acldvppCreateChannelDesc failed")
    H.ok(lib.acldvppCreateChannel(channel), "acldvppCreateChannel")
    baseline = acl.live_counts()


def _pillow_luma(data: bytes):  # type: ignore[no-untyped-def]
    from PIL import Image

    try:
        im = Image.open(io.BytesIO(data))
        if im.mode == "RGB":
            im.draft("YCbCr", None)
        im.load()
    except Exception:
        return None
    a = np.asarray(im)
    return a if a.ndim == 2 else a[..., 0]


def one_input(data: bytes) -> None:
    n = len(data)
    src = ffi.from_buffer(data) if n else ffi.NULL
    w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    fmt = ffi.new("acldvppJpegFormat *")
    rc1 = H.expect_code(lib.acldvppJpegGetImageInfo(src, n, w, h, c), INFO_CODES, "acldvppJpegGetImageInfo")
    info1 = (int(w[0]), int(h[0]), int(c[0]))
    rc2 = H.expect_code(lib.acldvppJpegGetImageInfoV2(src, n, w, h, c, fmt), INFO_CODES, "acldvppJpegGetImageInfoV2")
    H.check(rc1 == rc2, "GetImageInfo returned %d, GetImageInfoV2 %d", rc1, rc2)
    if rc1 == 0:
        H.check(info1 == (int(w[0]), int(h[0]), int(c[0])), "V1 and V2 disagree: %s vs %s", info1,
                (w[0], h[0], c[0]))
        H.check(1 <= info1[0] <= 65535 and 1 <= info1[1] <= 65535, "image size %dx%d", info1[0], info1[1])
        H.check(1 <= info1[2] <= 4, "%d components", info1[2])
        H.check(0 <= int(fmt[0]) <= 5 or int(fmt[0]) == 1000, "JPEG format %d", int(fmt[0]))
    size = ffi.new("uint32_t *")
    rc3 = H.expect_code(lib.acldvppJpegPredictDecSize(src, n, NV12, size), INFO_CODES, "acldvppJpegPredictDecSize")
    if rc3 == 0:
        H.check(rc1 == 0, "PredictDecSize accepted what GetImageInfo refused (%d)", rc1)
        H.check(size[0] > 0, "predicted size 0")
        width, height = info1[0], info1[1]
        H.check(size[0] >= (width & ~1) * (height & ~1) * 3 // 2, "predicted %d bytes for %dx%d", size[0], width,
                height)
    if rc3 == 0 and size[0] <= DECODE_LIMIT and n:
        _decode(data, int(size[0]))
    H.leak_check(acl, baseline, "the input")


def _decode(data: bytes, out_size: int) -> None:
    n = len(data)
    inp = acl.malloc("dvpp", n)
    out = acl.malloc("dvpp", out_size)
    desc = lib.acldvppCreatePicDesc()
    try:
        ffi.memmove(inp, data, n)
        H.fill_canary(inp, n)
        H.fill_canary(out, out_size)
        ffi.memmove(out, b"\x5a" * out_size, out_size)
        for fn, v in ((lib.acldvppSetPicDescData, out), (lib.acldvppSetPicDescSize, out_size),
                      (lib.acldvppSetPicDescFormat, NV12)):
            H.ok(fn(desc, v), "acldvppSetPicDesc*")
        rc = H.expect_code(lib.acldvppJpegDecodeAsync(channel, inp, n, desc, acl.stream), (0,),
                           "acldvppJpegDecodeAsync")
        if rc == 0:
            rs = H.expect_code(lib.aclrtSynchronizeStream(acl.stream), INFO_CODES, "aclrtSynchronizeStream")
            ret = int(lib.acldvppGetPicDescRetCode(desc))
            H.check((rs == 0) == (ret == 0), "synchronize returned %d but retCode is %d", rs, ret)
            if rs == 0:
                ow, oh = int(lib.acldvppGetPicDescWidth(desc)), int(lib.acldvppGetPicDescHeight(desc))
                ws, hs = int(lib.acldvppGetPicDescWidthStride(desc)), int(lib.acldvppGetPicDescHeightStride(desc))
                H.check(0 < ow <= ws and 0 < oh <= hs, "decoded %dx%d with strides %dx%d", ow, oh, ws, hs)
                H.check(ws * hs * 3 // 2 <= out_size, "strides %dx%d do not fit %d bytes", ws, hs, out_size)
                luma = _pillow_luma(data)
                H.check(luma is not None, "the emulator decoded what libjpeg-turbo refuses")
                # The emulator applies the EXIF orientation (its own EXIF reading: where Pillow finds the EXIF
                # corrupt they may differ), so the output must be one of the 8 turns of libjpeg-turbo's luma.
                y = np.frombuffer(ffi.buffer(out, ws * hs), np.uint8).reshape(hs, ws)[:oh, :ow]
                turns = [t for k in range(4) for t in (np.rot90(luma, k), np.rot90(luma, k)[:, ::-1])]
                H.check(any(t.shape[0] - oh in (0, 1) and t.shape[1] - ow in (0, 1) and np.array_equal(y, t[:oh, :ow])
                            for t in turns), "decoded luma is no orientation of libjpeg-turbo's")
            else:
                H.check(bytes(ffi.buffer(out, out_size)) == b"\x5a" * out_size,
                        "a refused decode wrote into the output buffer")
        H.canary_intact(out, out_size, "JPEGD output")
        H.canary_intact(inp, n, "JPEGD input")
        H.check(bytes(ffi.buffer(inp, n)) == data, "JPEGD changed its input")
    finally:
        H.ok(lib.acldvppDestroyPicDesc(desc), "acldvppDestroyPicDesc")
        acl.free("dvpp", out)
        acl.free("dvpp", inp)


def make_seeds() -> dict:
    from PIL import Image

    rng = np.random.default_rng(7)
    base = np.clip(np.add.outer(np.arange(40) * 5, np.arange(48) * 3)[..., None] + rng.integers(0, 30, (40, 48, 3)),
                   0, 255).astype(np.uint8)
    seeds = {}
    for name, sub in (("420", 2), ("422", 1), ("444", 0)):
        b = io.BytesIO()
        Image.fromarray(base).save(b, "JPEG", quality=60, subsampling=sub)
        seeds["q60_48x40_%s.jpg" % name] = b.getvalue()
    b = io.BytesIO()
    Image.fromarray(base[..., 0]).save(b, "JPEG", quality=50)
    seeds["gray_48x40.jpg"] = b.getvalue()
    b = io.BytesIO()
    Image.fromarray(base[:33, :35]).save(b, "JPEG", quality=40, progressive=True)
    seeds["progressive_35x33.jpg"] = b.getvalue()  # refused: 148052
    b = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turned
    Image.fromarray(base[:32, :48]).save(b, "JPEG", quality=50, exif=exif.tobytes())
    seeds["exif6_48x32.jpg"] = b.getvalue()
    b = io.BytesIO()
    Image.fromarray(base[:36, :38]).save(b, "JPEG", quality=50, restart_marker_blocks=1)
    seeds["restart_38x36.jpg"] = b.getvalue()
    return seeds


if __name__ == "__main__":
    H.main(sys.modules[__name__])
