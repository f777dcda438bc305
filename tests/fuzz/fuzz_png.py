"""Fuzz target: PNG through the emulator's DVPP (Ascend310P3: PNGD exists there).

Per input: ``acldvppPngGetImageInfo``, ``acldvppPngPredictDecSize`` for RGB888, and, when both pass and the
picture is small, ``acldvppPngDecodeAsync`` into a DVPP buffer of exactly the predicted size +
``aclrtSynchronizeStream``. Checked: only documented codes (0, 100000 invalid parameter, 200006 feature
unsupported), a message with every failure, the decoded pixels equal to Pillow's RGB when the emulator says it
decoded, an untouched buffer when it refused, no byte written past the buffer, nothing left alive.

An input that starts with ``F`` is the rest with every chunk's CRC recomputed first, so that mutations reach
past the CRC check (the seeds come in both forms).
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "png"
MAX_LEN = 1 << 15
ENV = {"ACLLITE_EMU_SOC": "Ascend310P3"}
DECODE_LIMIT = 1 << 21
CODES = (0, 100000, 200006)
RGB888 = 12

H.apply_env(ENV)
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
    H.ok(lib.acldvppSetChannelDescMode(channel, 8), "acldvppSetChannelDescMode(PNGD)")
    H.ok(lib.acldvppCreateChannel(channel), "acldvppCreateChannel")
    baseline = acl.live_counts()


def _pillow_rgb(data: bytes):  # type: ignore[no-untyped-def]
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return np.asarray(im.convert("RGB"))
    except Exception:
        return None


def fix_crcs(png: bytes) -> bytes:
    out = bytearray(png)
    pos = 8
    while pos + 12 <= len(out):
        length = struct.unpack_from(">I", out, pos)[0]
        end = pos + 8 + length
        if end + 4 > len(out):
            break
        struct.pack_into(">I", out, end, zlib.crc32(bytes(out[pos + 4:end])) & 0xFFFFFFFF)
        pos = end + 4
    return bytes(out)


def one_input(data: bytes) -> None:
    if data[:1] == b"F":
        data = fix_crcs(data[1:])
    n = len(data)
    src = ffi.from_buffer(data) if n else ffi.NULL
    w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    rc1 = H.expect_code(lib.acldvppPngGetImageInfo(src, n, w, h, c), CODES, "acldvppPngGetImageInfo")
    if rc1 == 0:
        H.check(1 <= w[0] and 1 <= h[0], "image size %dx%d", w[0], h[0])
        H.check(c[0] in (1, 2, 3, 4), "%d components", c[0])
    size = ffi.new("uint32_t *")
    rc2 = H.expect_code(lib.acldvppPngPredictDecSize(src, n, RGB888, size), CODES, "acldvppPngPredictDecSize")
    if rc2 == 0:
        H.check(rc1 == 0, "PredictDecSize accepted what GetImageInfo refused (%d)", rc1)
        H.check(size[0] >= w[0] * h[0] * 3, "predicted %d bytes for %dx%d RGB", size[0], w[0], h[0])
        if size[0] <= DECODE_LIMIT:
            _decode(data, int(size[0]), int(w[0]), int(h[0]))
    H.leak_check(acl, baseline, "the input")


def _decode(data: bytes, out_size: int, width: int, height: int) -> None:
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
                      (lib.acldvppSetPicDescFormat, RGB888)):
            H.ok(fn(desc, v), "acldvppSetPicDesc*")
        H.expect_code(lib.acldvppPngDecodeAsync(channel, inp, n, desc, acl.stream), (0,), "acldvppPngDecodeAsync")
        rs = H.expect_code(lib.aclrtSynchronizeStream(acl.stream), CODES, "aclrtSynchronizeStream")
        ret = int(lib.acldvppGetPicDescRetCode(desc))
        H.check((rs == 0) == (ret == 0), "synchronize returned %d but retCode is %d", rs, ret)
        if rs == 0:
            ow, oh = int(lib.acldvppGetPicDescWidth(desc)), int(lib.acldvppGetPicDescHeight(desc))
            ws, hs = int(lib.acldvppGetPicDescWidthStride(desc)), int(lib.acldvppGetPicDescHeightStride(desc))
            H.check((ow, oh) == (width, height), "decoded %dx%d, the header says %dx%d", ow, oh, width, height)
            H.check(ow * 3 <= ws and oh <= hs and ws * hs <= out_size, "strides %dx%d for %dx%d in %d bytes", ws, hs,
                    ow, oh, out_size)
            ref = _pillow_rgb(data)
            H.check(ref is not None, "the emulator decoded what Pillow refuses")
            px = np.frombuffer(ffi.buffer(out, ws * oh), np.uint8).reshape(oh, ws)[:, :ow * 3].reshape(oh, ow, 3)
            H.check(ref.shape == px.shape and np.array_equal(px, ref), "decoded pixels differ from Pillow's")
        else:
            H.check(bytes(ffi.buffer(out, out_size)) == b"\x5a" * out_size,
                    "a refused decode wrote into the output buffer")
        H.canary_intact(out, out_size, "PNGD output")
        H.canary_intact(inp, n, "PNGD input")
    finally:
        H.ok(lib.acldvppDestroyPicDesc(desc), "acldvppDestroyPicDesc")
        acl.free("dvpp", out)
        acl.free("dvpp", inp)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def make_seeds() -> dict:
    from PIL import Image

    rng = np.random.default_rng(5)
    seeds = {}
    for mode, shape in (("RGB", (34, 40, 3)), ("RGBA", (32, 33, 4)), ("L", (36, 32)), ("LA", (32, 32, 2))):
        b = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(b, "PNG", compress_level=1)
        seeds["%s_%dx%d.png" % (mode.lower(), shape[1], shape[0])] = b.getvalue()
    b = io.BytesIO()
    Image.fromarray(rng.integers(0, 4, (32, 32), dtype=np.uint8), "L").convert("P").save(b, "PNG")
    seeds["palette_32x32.png"] = b.getvalue()  # refused: 200006
    # interlaced (Adam7), written by hand: Pillow writes no interlaced PNG
    raw = b"".join(b"\0" + bytes(rng.integers(0, 256, 32 * 3, dtype=np.uint8)) for _ in range(32))
    ihdr = struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)
    seeds["rgb_32x32_two_idat.png"] = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) +
                                       _chunk(b"IDAT", zlib.compress(raw)[:40]) +
                                       _chunk(b"IDAT", zlib.compress(raw)[40:]) + _chunk(b"IEND", b""))
    seeds.update({"F" + k: b"F" + v for k, v in seeds.items()})
    return seeds


if __name__ == "__main__":
    H.main(sys.modules[__name__])
