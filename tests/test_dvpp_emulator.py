"""The emulator's DVPP through the raw binding: JPEG decode of every sampling against Pillow, the size rules, VPC
resize/crop/paste against numpy, JPEG encode, every rejection by code and message, and leaks after errors.

References and tolerances:

* Y of a decode equals, byte for byte, the Y that Pillow's libjpeg-turbo decodes from the same JPEG (``draft``
  to YCbCr); the chroma is within 1 of the 2x2 (or 2x1, 1x2) mean of Pillow's chroma.
* Against the JFIF conversion of Pillow's RGB decode (an independent route): Y mean absolute difference below 0.5
  and 99 % of pixels within 4 (RGB clipping loses the rest), chroma mean absolute difference below 1.5.
* Bilinear resize within 1 of a float numpy model of OpenCV's mapping (pixel centres, clamped edges); nearest and
  same-size crops exact.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest
from PIL import Image

from acllite.binding import ffi, lib
from conftest import child, expect_error, ok, recent_message, requires_emulator, run_python_ok

pytestmark = requires_emulator

DATA = Path(__file__).resolve().parent / "data"
NV12, NV21 = lib.PIXEL_FORMAT_YUV_SEMIPLANAR_420, lib.PIXEL_FORMAT_YVU_SEMIPLANAR_420
UNSUPPORTED_JPEG = lib.ACL_ERROR_UNSUPPORTED_JPEG
INVALID = lib.ACL_ERROR_INVALID_PARAM


def align(x: int, a: int) -> int:
    return (x + a - 1) // a * a


def photo(w: int, h: int, which: str = "astronaut") -> np.ndarray:
    from skimage import data as samples

    return np.asarray(Image.fromarray(getattr(samples, which)()).resize((w, h), Image.LANCZOS))


def jpeg_of(rgb: np.ndarray, **kw: Any) -> bytes:
    out = io.BytesIO()
    mode = "L" if rgb.ndim == 2 else "RGB"
    Image.fromarray(rgb, mode).save(out, "JPEG", quality=kw.pop("quality", 92), **kw)
    return out.getvalue()


class Dvpp:
    """A channel, a stream and what a test allocates, released by close() (checked: nothing may leak)."""

    def __init__(self) -> None:
        self.channel = lib.acldvppCreateChannelDesc()
        assert self.channel != ffi.NULL, recent_message()
        ok(lib.acldvppCreateChannel(self.channel), "acldvppCreateChannel")
        cell = ffi.new("aclrtStream *")
        ok(lib.aclrtCreateStream(cell), "aclrtCreateStream")
        self.stream = cell[0]
        self.buffers: List[Any] = []
        self.descs: List[Any] = []

    def malloc(self, n: int, fill: Optional[int] = None) -> Any:
        cell = ffi.new("void **")
        ok(lib.acldvppMalloc(cell, n), "acldvppMalloc")
        self.buffers.append(cell[0])
        if fill is not None:
            ffi.memmove(cell[0], bytes([fill]) * n, n)
        return cell[0]

    def put(self, data: bytes) -> Any:
        p = self.malloc(len(data))
        ffi.memmove(p, data, len(data))
        return p

    def pic(self, data: Any, size: int, fmt: int, w: int = 0, h: int = 0, ws: int = 0, hs: int = 0) -> Any:
        d = lib.acldvppCreatePicDesc()
        assert d != ffi.NULL
        self.descs.append(d)
        for fn, v in ((lib.acldvppSetPicDescData, data), (lib.acldvppSetPicDescSize, size),
                      (lib.acldvppSetPicDescFormat, fmt), (lib.acldvppSetPicDescWidth, w),
                      (lib.acldvppSetPicDescHeight, h), (lib.acldvppSetPicDescWidthStride, ws),
                      (lib.acldvppSetPicDescHeightStride, hs)):
            ok(fn(d, v))
        return d

    def sync(self) -> int:
        return lib.aclrtSynchronizeStream(self.stream)

    def decode(self, jpeg: bytes, fmt: int = NV12, size: Optional[int] = None) -> Tuple[Any, Any, int]:
        src = self.put(jpeg)
        if size is None:
            cell = ffi.new("uint32_t *")
            ok(lib.acldvppJpegPredictDecSize(jpeg, len(jpeg), fmt, cell), "acldvppJpegPredictDecSize")
            size = cell[0]
        out = self.malloc(size)
        d = self.pic(out, size, fmt)
        ok(lib.acldvppJpegDecodeAsync(self.channel, src, len(jpeg), d, self.stream), "acldvppJpegDecodeAsync")
        return d, out, size

    def close(self) -> None:
        ok(lib.aclrtSynchronizeStream(self.stream), "synchronize before close")
        for d in self.descs:
            ok(lib.acldvppDestroyPicDesc(d), "acldvppDestroyPicDesc")
        for b in self.buffers:
            ok(lib.acldvppFree(b), "acldvppFree")
        ok(lib.aclrtDestroyStream(self.stream))
        ok(lib.acldvppDestroyChannel(self.channel))
        ok(lib.acldvppDestroyChannelDesc(self.channel))


@pytest.fixture
def dv(acl: Any) -> Any:
    d = Dvpp()
    yield d
    d.close()


def geometry(d: Any) -> Tuple[int, int, int, int, int]:
    return (lib.acldvppGetPicDescWidth(d), lib.acldvppGetPicDescHeight(d), lib.acldvppGetPicDescWidthStride(d),
            lib.acldvppGetPicDescHeightStride(d), int(lib.acldvppGetPicDescFormat(d)))


def read(ptr: Any, n: int) -> np.ndarray:
    return np.frombuffer(ffi.buffer(ptr, n), np.uint8).copy()


def planes(buf: np.ndarray, w: int, h: int, ws: int, hs: int, sx: int = 1, sy: int = 1,
           v_first: bool = False) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, U, V of a semi-planar picture."""
    y = buf[: ws * hs].reshape(hs, ws)[:h, :w]
    cw, ch = w >> sx, h >> sy
    cstride = ws if sx else 2 * ws
    c = buf[ws * hs: ws * hs + cstride * ch].reshape(ch, cstride)[:, : 2 * cw].reshape(ch, cw, 2)
    u, v = (c[..., 1], c[..., 0]) if v_first else (c[..., 0], c[..., 1])
    return y, u, v


def pillow_ycc(jpeg: bytes) -> np.ndarray:
    """What libjpeg-turbo decodes, as YCbCr (no colour conversion), the emulator's own codec route."""
    im = Image.open(io.BytesIO(jpeg))
    if im.mode == "RGB":
        im.draft("YCbCr", None)
    return np.asarray(im)


def box_mean(c: np.ndarray, sy: int, sx: int) -> np.ndarray:
    h, w = c.shape[0] >> sy << sy, c.shape[1] >> sx << sx
    c = c[:h, :w].astype(np.float64)
    return c.reshape(h >> sy, 1 << sy, w >> sx, 1 << sx).mean(axis=(1, 3))


# --------------------------------------------------------------------------------------------- decoding


SAMPLINGS = {  # name -> (Pillow subsampling or a shipped file, acldvppJpegFormat)
    "444": (0, lib.ACL_JPEG_CSS_444), "422": (1, lib.ACL_JPEG_CSS_422), "420": (2, lib.ACL_JPEG_CSS_420),
    "440": ("coffee_97x75_440.jpg", lib.ACL_JPEG_CSS_440), "gray": (None, lib.ACL_JPEG_CSS_GRAY),
}


def sample_jpeg(name: str, w: int = 301, h: int = 199) -> bytes:
    sub, _ = SAMPLINGS[name]
    if isinstance(sub, str):
        return (DATA / sub).read_bytes()
    rgb = photo(w, h)
    if sub is None:
        return jpeg_of(np.asarray(Image.fromarray(rgb).convert("L")))
    return jpeg_of(rgb, subsampling=sub)


@pytest.mark.parametrize("name", list(SAMPLINGS))
def test_decode_every_sampling_to_nv12(dv: Dvpp, name: str) -> None:
    jpeg = sample_jpeg(name)
    w, h, comps, fmt = (ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *"),
                        ffi.new("acldvppJpegFormat *"))
    ok(lib.acldvppJpegGetImageInfoV2(jpeg, len(jpeg), w, h, comps, fmt))
    width, height = w[0], h[0]
    assert fmt[0] == SAMPLINGS[name][1]
    assert comps[0] == (1 if name == "gray" else 3)
    ok(lib.acldvppJpegGetImageInfo(jpeg, len(jpeg), w, h, comps))
    assert (w[0], h[0]) == (width, height)

    d, out, size = dv.decode(jpeg)
    ok(dv.sync(), "decode")
    ew, eh = width & ~1, height & ~1  # odd sizes are rounded down to even for YUV420SP
    ws, hs = align(ew, 128), align(eh, 16)  # Ascend310's JPEGD strides
    assert geometry(d) == (ew, eh, ws, hs, NV12)
    assert size == ws * hs * 3 // 2, "acldvppJpegPredictDecSize must give what decode needs"
    assert lib.acldvppGetPicDescRetCode(d) == 0
    y, u, v = planes(read(out, size), ew, eh, ws, hs)
    ref = pillow_ycc(jpeg)
    if name == "gray":
        assert np.array_equal(y, ref[:eh, :ew])
        assert (u == 0x80).all() and (v == 0x80).all(), "grey JPEGs decode with UV 0x80"
        return
    assert np.array_equal(y, ref[:eh, :ew, 0]), "Y must be what libjpeg-turbo decodes"
    assert np.abs(u - box_mean(ref[:eh, :ew, 1], 1, 1)).max() <= 1
    assert np.abs(v - box_mean(ref[:eh, :ew, 2], 1, 1)).max() <= 1
    # an independent reference: Pillow's RGB decode through the JFIF matrix
    rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB")).astype(np.float64)[:eh, :ew]
    yr = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    ur = -0.168736 * rgb[..., 0] - 0.331264 * rgb[..., 1] + 0.5 * rgb[..., 2] + 128
    vr = 0.5 * rgb[..., 0] - 0.418688 * rgb[..., 1] - 0.081312 * rgb[..., 2] + 128
    err = np.abs(y - yr)
    assert err.mean() < 0.5 and np.percentile(err, 99) <= 4  # where RGB clipped, its Y lost more
    assert np.abs(u - box_mean(ur, 1, 1)).mean() < 1.5 and np.abs(v - box_mean(vr, 1, 1)).mean() < 1.5


@pytest.mark.parametrize("name,fmt,sx,sy", [("444", lib.PIXEL_FORMAT_YUV_SEMIPLANAR_444, 0, 0),
                                            ("422", lib.PIXEL_FORMAT_YVU_SEMIPLANAR_422, 1, 0),
                                            ("440", lib.PIXEL_FORMAT_YVU_SEMIPLANAR_440, 0, 1)])
def test_decode_to_the_source_sampling(dv: Dvpp, name: str, fmt: int, sx: int, sy: int) -> None:
    jpeg = sample_jpeg(name)
    d, out, size = dv.decode(jpeg, fmt)
    ok(dv.sync())
    w, h, ws, hs, got = geometry(d)
    assert got == fmt and ws == align(w, 128) and hs == align(h, 16)
    assert size == ws * hs * (3 if sx == sy == 0 else 2)
    v_first = fmt in (lib.PIXEL_FORMAT_YVU_SEMIPLANAR_422, lib.PIXEL_FORMAT_YVU_SEMIPLANAR_440)
    y, u, v = planes(read(out, size), w, h, ws, hs, sx, sy, v_first=v_first)
    ref = pillow_ycc(jpeg)
    assert np.array_equal(y, ref[:h, :w, 0])
    assert np.abs(u - box_mean(ref[:h, :w, 1], sy, sx)).max() <= 1
    # PIXEL_FORMAT_UNKNOWN gives the source sampling, V before U
    d2, _, _ = dv.decode(jpeg, lib.PIXEL_FORMAT_UNKNOWN)
    ok(dv.sync())
    assert geometry(d2)[4] == {0: lib.PIXEL_FORMAT_YVU_SEMIPLANAR_444, 1: lib.PIXEL_FORMAT_YVU_SEMIPLANAR_422}.get(
        sx if sy == 0 else 2, lib.PIXEL_FORMAT_YVU_SEMIPLANAR_440)


def test_decode_nv21_swaps_chroma(dv: Dvpp) -> None:
    jpeg = sample_jpeg("420", 64, 48)
    d1, o1, n = dv.decode(jpeg, NV12)
    d2, o2, _ = dv.decode(jpeg, NV21)
    ok(dv.sync())
    a, b = read(o1, n), read(o2, n)
    _, u1, v1 = planes(a, 64, 48, 128, 48)
    _, u2, v2 = planes(b, 64, 48, 128, 48, v_first=True)
    assert np.array_equal(u1, u2) and np.array_equal(v1, v2) and not np.array_equal(u1, v1)


@pytest.mark.parametrize("w,h", [(32, 32), (33, 35), (8192, 32), (32, 8192)])
def test_decode_extreme_and_odd_sizes(dv: Dvpp, w: int, h: int) -> None:
    rng = np.random.default_rng(w * h)
    rgb = (rng.integers(0, 256, (h, w, 3)) // 32 * 32).astype(np.uint8)
    jpeg = jpeg_of(rgb, subsampling=2)
    d, out, size = dv.decode(jpeg)
    ok(dv.sync())
    ew, eh = w & ~1, h & ~1
    assert geometry(d)[:4] == (ew, eh, align(ew, 128), align(eh, 16))
    y, _, _ = planes(read(out, size), ew, eh, align(ew, 128), align(eh, 16))
    assert np.array_equal(y, pillow_ycc(jpeg)[:eh, :ew, 0])


def test_decode_largest_picture(dv: Dvpp) -> None:
    """8192x8192: Pillow's storage is not one block here, so rows go in strips."""
    jpeg = jpeg_of(np.full((8192, 8192, 3), (40, 120, 200), np.uint8), subsampling=2, quality=50)
    d, out, size = dv.decode(jpeg)
    ok(dv.sync())
    assert geometry(d)[:4] == (8192, 8192, 8192, 8192)
    buf = np.frombuffer(ffi.buffer(out, size), np.uint8)
    y, u, v = planes(buf, 8192, 8192, 8192, 8192)
    ref = pillow_ycc(jpeg[:])[::1024, ::1024]
    assert np.array_equal(y[::1024, ::1024], ref[..., 0])
    assert abs(int(u[-1, -1]) - int(ref[-1, -1, 1])) <= 1 and abs(int(v[0, 0]) - int(ref[0, 0, 2])) <= 1


def test_exif_orientation_turns_the_picture(dv: Dvpp) -> None:
    rgb = photo(120, 80)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise
    jpeg = jpeg_of(rgb, subsampling=2, exif=exif.tobytes())
    w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    ok(lib.acldvppJpegGetImageInfo(jpeg, len(jpeg), w, h, c))
    assert (w[0], h[0]) == (120, 80), "image info reports the stored size"
    d, out, size = dv.decode(jpeg)
    ok(dv.sync())
    assert geometry(d)[:2] == (80, 120)
    assert size == align(80, 128) * align(120, 16) * 3 // 2
    y, _, _ = planes(read(out, size), 80, 120, 128, 128)
    ref = np.asarray(Image.fromarray(pillow_ycc(jpeg)[..., 0]).transpose(Image.Transpose.ROTATE_270))
    assert np.array_equal(y, ref)


# ---------------------------------------------------------------------------------------- rejections


def patched(jpeg: bytes, marker: int, offset: int, value: bytes) -> bytes:
    """jpeg with bytes replaced at offset (from the segment's length field) of the first segment marker."""
    i = jpeg.index(bytes([0xFF, marker]))
    b = bytearray(jpeg)
    b[i + 2 + offset: i + 2 + offset + len(value)] = value
    return bytes(b)


def bad_jpegs() -> Dict[str, Tuple[bytes, int, List[str]]]:
    base = sample_jpeg("420", 64, 48)
    progressive = jpeg_of(photo(64, 48), progressive=True)
    cmyk = io.BytesIO()
    Image.fromarray(photo(64, 48)).convert("CMYK").save(cmyk, "JPEG")
    return {
        "progressive": (progressive, UNSUPPORTED_JPEG, ["progressive", "baseline Huffman"]),
        "arithmetic": ((DATA / "coffee_97x75_arith.jpg").read_bytes(), UNSUPPORTED_JPEG, ["arithmetic-coded"]),
        "411": ((DATA / "coffee_97x75_411.jpg").read_bytes(), UNSUPPORTED_JPEG, ["4:1:1 sampling"]),
        "cmyk": (cmyk.getvalue(), UNSUPPORTED_JPEG, ["CMYK"]),
        "12-bit": (patched(base, 0xC0, 2, b"\x0c"), UNSUPPORTED_JPEG, ["12-bit"]),
        "too small": (sample_jpeg("420", 31, 40), UNSUPPORTED_JPEG, ["31x40", "32x32 to 8192x8192"]),
        "too large": (patched(base, 0xC0, 5, (8193).to_bytes(2, "big")), UNSUPPORTED_JPEG, ["8193x48"]),
        "truncated": (base[: len(base) // 2], INVALID, ["truncated"]),
        "no EOI": (base[:-2], INVALID, ["truncated", "without an EOI"]),
        "not a JPEG": (b"\x89PNG\r\n\x1a\n" + base[8:], INVALID, ["not a JPEG"]),
        "bad segment": (patched(base, 0xDB, 0, b"\xff\xff"), INVALID, ["corrupt", "claims"]),
        "bad DHT": (patched(base, 0xC4, 2, b"\x57"), INVALID, ["Huffman table"]),
    }


def test_every_bad_jpeg_is_refused_at_synchronize_and_the_output_is_untouched(dv: Dvpp) -> None:
    for name, (jpeg, code, fragments) in bad_jpegs().items():
        size = 1 << 16
        out = dv.malloc(size, fill=0xAB)
        d = dv.pic(out, size, NV12)
        src = dv.put(jpeg)
        ok(lib.acldvppJpegDecodeAsync(dv.channel, src, len(jpeg), d, dv.stream), name)  # queued: checked when it runs
        rc = dv.sync()
        msg = recent_message() or ""
        assert rc == code, "%s: synchronize returned %d, expected %d: %s" % (name, rc, code, msg)
        assert msg.startswith("acldvppJpegDecodeAsync: "), msg
        for f in fragments:
            assert f in msg, "%s: %r not in %r" % (name, f, msg)
        assert (read(out, size) == 0xAB).all(), "%s: the output was written" % name
        assert lib.acldvppGetPicDescRetCode(d) == code
        # the synchronous queries refuse the same data with the same code
        cell = ffi.new("uint32_t *")
        expect_error(code, fragments[0], lib.acldvppJpegPredictDecSize, jpeg, len(jpeg), NV12, cell)


def test_output_checks(dv: Dvpp) -> None:
    jpeg = sample_jpeg("420", 64, 48)
    need = 128 * 48 * 3 // 2
    out = dv.malloc(need, fill=0x11)
    d = dv.pic(out, need - 1, NV12)
    src = dv.put(jpeg)
    ok(lib.acldvppJpegDecodeAsync(dv.channel, src, len(jpeg), d, dv.stream))
    assert dv.sync() == INVALID and "needs 9216 bytes" in recent_message()
    assert (read(out, need) == 0x11).all()
    d2 = dv.pic(out, need, lib.PIXEL_FORMAT_RGB_888)
    expect_error(INVALID, "not a JPEGD output format", lib.acldvppJpegDecodeAsync, dv.channel, src, len(jpeg), d2,
                 dv.stream)
    d3 = dv.pic(out, need, lib.PIXEL_FORMAT_YUV_SEMIPLANAR_444)  # a 4:2:0 JPEG has no 4:4:4 source format
    ok(lib.acldvppJpegDecodeAsync(dv.channel, src, len(jpeg), d3, dv.stream))
    assert dv.sync() == INVALID and "decodes to YUV420SP NV12/NV21" in recent_message()
    expect_error(INVALID, "data is NULL", lib.acldvppJpegDecodeAsync, dv.channel, ffi.NULL, 10, d, dv.stream)
    cell = ffi.new("uint32_t *")
    expect_error(INVALID, "size is 0", lib.acldvppJpegPredictDecSize, jpeg, 0, NV12, cell)


def test_memory_kinds_are_enforced(dv: Dvpp) -> None:
    jpeg = sample_jpeg("420", 64, 48)
    need = 128 * 48 * 3 // 2
    cell = ffi.new("void **")
    ok(lib.aclrtMalloc(cell, need, 0))
    dev_mem = cell[0]
    try:
        d = dv.pic(dev_mem, need, NV12)
        src = dv.put(jpeg)
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, ["output data", "device memory", "acldvppMalloc",
                                                      "ACLLITE_EMU_STRICT=0"],
                     lib.acldvppJpegDecodeAsync, dv.channel, src, len(jpeg), d, dv.stream)
        host = ffi.from_buffer(jpeg)
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, ["data", "host memory"], lib.acldvppJpegDecodeAsync,
                     dv.channel, host, len(jpeg), dv.pic(dv.malloc(need), need, NV12), dv.stream)
        small = dv.malloc(100)
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "leaves its allocation", lib.acldvppJpegDecodeAsync,
                     dv.channel, src, len(jpeg), dv.pic(small, need, NV12), dv.stream)
    finally:
        ok(lib.aclrtFree(dev_mem))


def test_lenient_mode_warns_instead() -> None:
    out = run_python_ok(child("""
        import io, numpy as np
        from PIL import Image
        b = io.BytesIO(); Image.new("RGB", (64, 48), (10, 200, 30)).save(b, "JPEG"); jpeg = b.getvalue()
        ok(lib.aclInit(ffi.NULL)); ok(lib.aclrtSetDevice(0))
        ch = lib.acldvppCreateChannelDesc(); ok(lib.acldvppCreateChannel(ch))
        cell = ffi.new("void **"); need = 128 * 48 * 3 // 2
        ok(lib.aclrtMalloc(cell, need, 0))
        d = lib.acldvppCreatePicDesc()
        ok(lib.acldvppSetPicDescData(d, cell[0])); ok(lib.acldvppSetPicDescSize(d, need))
        ok(lib.acldvppSetPicDescFormat(d, 1))
        ok(lib.acldvppJpegDecodeAsync(ch, ffi.from_buffer(jpeg), len(jpeg), d, ffi.NULL))
        ok(lib.aclrtSynchronizeStream(ffi.NULL))
        print(lib.acldvppGetPicDescWidth(d), lib.acldvppGetPicDescHeight(d))
        ok(lib.acldvppDestroyPicDesc(d)); ok(lib.aclrtFree(cell[0]))
        ok(lib.acldvppDestroyChannel(ch)); ok(lib.acldvppDestroyChannelDesc(ch))
        ok(lib.aclrtResetDevice(0)); ok(lib.aclFinalize())
    """), env={"ACLLITE_EMU_STRICT": "0"})
    assert out.split() == ["64", "48"]


# ------------------------------------------------------------------------------------------- objects


def test_descriptions_and_handles(acl: Any) -> None:
    d = lib.acldvppCreatePicDesc()
    assert lib.acldvppGetPicDescFormat(d) == lib.PIXEL_FORMAT_YUV_400, "the documented default"
    ok(lib.acldvppSetPicDescWidth(d, 640))
    assert lib.acldvppGetPicDescWidth(d) == 640
    expect_error(INVALID, "not a pixel format", lib.acldvppSetPicDescFormat, d, 999)
    ok(lib.acldvppDestroyPicDesc(d))
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "not a live picture description", lib.acldvppDestroyPicDesc, d)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "not a live", lib.acldvppSetPicDescSize, d, 4)
    assert lib.acldvppGetPicDescWidth(d) == 0
    expect_error(INVALID, "is NULL", lib.acldvppDestroyPicDesc, ffi.NULL)

    roi = lib.acldvppCreateRoiConfig(0, 9, 0, 5)
    ok(lib.acldvppSetRoiConfig(roi, 2, 11, 4, 9))
    ok(lib.acldvppSetRoiConfigLeft(roi, 4))
    ok(lib.acldvppDestroyRoiConfig(roi))
    rc = lib.acldvppCreateResizeConfig()
    expect_error(INVALID, "interpolation 6", lib.acldvppSetResizeConfigInterpolation, rc, 6)
    ok(lib.acldvppSetResizeConfigInterpolation(rc, 2))
    assert lib.acldvppGetResizeConfigInterpolation(rc) == 2
    ok(lib.acldvppDestroyResizeConfig(rc))
    je = lib.acldvppCreateJpegeConfig()
    expect_error(INVALID, "outside [0, 100]", lib.acldvppSetJpegeConfigLevel, je, 101)
    ok(lib.acldvppSetJpegeConfigLevel(je, 80))
    assert lib.acldvppGetJpegeConfigLevel(je) == 80
    ok(lib.acldvppDestroyJpegeConfig(je))

    ch = lib.acldvppCreateChannelDesc()
    expect_error(INVALID, "mode 0x10", lib.acldvppSetChannelDescMode, ch, 16)
    expect_error(lib.ACL_ERROR_FEATURE_UNSUPPORTED, ["PNGD", "Ascend310"],
                 lambda c: (lib.acldvppSetChannelDescMode(c, 8), lib.acldvppCreateChannel(c))[1], ch,
                 func="acldvppCreateChannel")
    ok(lib.acldvppSetChannelDescMode(ch, lib.DVPP_CHNMODE_VPC))
    ok(lib.acldvppCreateChannel(ch))
    assert lib.acldvppGetChannelDescChannelId(ch) > 0
    expect_error(INVALID, "created already", lib.acldvppCreateChannel, ch)
    jpeg = sample_jpeg("420", 64, 48)
    d = lib.acldvppCreatePicDesc()
    expect_error(INVALID, "without 0x2", lib.acldvppJpegDecodeAsync, ch, ffi.from_buffer(jpeg), len(jpeg), d,
                 ffi.NULL)
    ok(lib.acldvppDestroyChannel(ch))
    expect_error(INVALID, "is not created", lib.acldvppDestroyChannel, ch)
    ok(lib.acldvppDestroyChannelDesc(ch))
    ok(lib.acldvppDestroyPicDesc(d))


def test_before_init(uninitialized: Any) -> None:
    assert lib.acldvppCreatePicDesc() == ffi.NULL
    assert "aclInit" in recent_message()
    cell = ffi.new("void **")
    expect_error(lib.ACL_ERROR_UNINITIALIZE, "not initialized", lib.acldvppMalloc, cell, 64)


def test_leaks_are_counted_and_released(acl: Any) -> None:
    ch = lib.acldvppCreateChannelDesc()
    ok(lib.acldvppCreateChannel(ch))
    lib.acldvppCreatePicDesc()
    lib.acldvppCreateRoiConfig(0, 9, 0, 5)
    cell = ffi.new("void **")
    ok(lib.acldvppMalloc(cell, 1000))
    counts = ffi.new("acllite_emu_counts *")
    ok(lib.acllite_emu_live_counts(counts))
    assert (counts.dvppChannels, counts.dvppDescs, counts.dvppAllocations) == (1, 2, 1)
    ok(lib.aclrtResetDevice(0))
    ok(lib.acllite_emu_last_leak_report(counts))
    assert (counts.dvppChannels, counts.dvppAllocations, counts.dvppBytes) == (1, 1, 1000)
    ok(lib.aclFinalize())
    ok(lib.acllite_emu_last_leak_report(counts))
    assert (counts.dvppChannels, counts.dvppDescs) == (1, 2)
    ok(lib.acllite_emu_live_counts(counts))
    assert (counts.dvppChannels, counts.dvppDescs, counts.dvppAllocations) == (0, 0, 0)


def test_destroying_a_description_while_its_decode_is_queued_is_safe(dv: Dvpp) -> None:
    jpeg = sample_jpeg("420", 640, 480)
    src = dv.put(jpeg)
    size = 640 * 480 * 3 // 2
    out = dv.malloc(size)
    for _ in range(4):
        d = lib.acldvppCreatePicDesc()
        ok(lib.acldvppSetPicDescData(d, out))
        ok(lib.acldvppSetPicDescSize(d, size))
        ok(lib.acldvppSetPicDescFormat(d, NV12))
        ok(lib.acldvppJpegDecodeAsync(dv.channel, src, len(jpeg), d, dv.stream))
        ok(lib.acldvppDestroyPicDesc(d))
    ok(dv.sync())


# ------------------------------------------------------------------------------------------------ VPC


def nv12_picture(dv: Dvpp, w: int, h: int, seed: int = 0) -> Tuple[Any, Any, np.ndarray, np.ndarray]:
    """A random NV12 picture with 16-aligned strides in DVPP memory: (desc, ptr, Y, UV (h/2, w/2, 2))."""
    rng = np.random.default_rng(seed)
    ws, hs = align(w, 16), align(h, 2)
    y = rng.integers(0, 256, (h, w), dtype=np.uint8)
    uv = rng.integers(0, 256, (h // 2, w // 2, 2), dtype=np.uint8)
    buf = np.zeros(ws * hs * 3 // 2, np.uint8)
    buf[: ws * hs].reshape(hs, ws)[:h, :w] = y
    buf[ws * hs:].reshape(hs // 2, ws)[: h // 2, :w] = uv.reshape(h // 2, w)
    p = dv.put(buf.tobytes())
    return dv.pic(p, buf.size, NV12, w, h, ws, hs), p, y, uv


def nv12_output(dv: Dvpp, w: int, h: int, fill: int = 0) -> Tuple[Any, Any, int]:
    ws, hs = align(w, 16), align(h, 2)
    n = ws * hs * 3 // 2
    p = dv.malloc(n, fill=fill)
    return dv.pic(p, n, NV12, w, h, ws, hs), p, n


def out_planes(p: Any, n: int, w: int, h: int) -> Tuple[np.ndarray, np.ndarray]:
    ws, hs = align(w, 16), align(h, 2)
    buf = read(p, n)
    y = buf[: ws * hs].reshape(hs, ws)[:h, :w]
    uv = buf[ws * hs:].reshape(hs // 2, ws)[: h // 2, :w].reshape(h // 2, w // 2, 2)
    return y, uv


def ref_resize(src: np.ndarray, ow: int, oh: int, mode: str) -> np.ndarray:
    """Float model of the documented interpolations (OpenCV pixel-centre mapping, edges clamped)."""
    sh, sw = src.shape[:2]

    def coords(n_out: int, n_in: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = np.arange(n_out, dtype=np.float64)
        if mode == "nearest":
            i = np.minimum(np.floor(d * n_in / n_out), n_in - 1).astype(int)
            return i, i, np.zeros(n_out)
        f = np.clip((d + 0.5) * n_in / n_out - 0.5, 0, None)
        i0 = np.minimum(np.floor(f), n_in - 1).astype(int)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, np.where(i0 >= n_in - 1, 0.0, f - np.floor(f))

    x0, x1, wx = coords(ow, sw)
    y0, y1, wy = coords(oh, sh)
    s = src.astype(np.float64)
    if s.ndim == 2:
        s = s[..., None]
    wx, wy = wx[None, :, None], wy[:, None, None]
    top = s[y0][:, x0] * (1 - wx) + s[y0][:, x1] * wx
    bot = s[y1][:, x0] * (1 - wx) + s[y1][:, x1] * wx
    return (top * (1 - wy) + bot * wy).reshape(oh, ow, -1).squeeze()


@pytest.mark.parametrize("w,h,ow,oh,interp", [(640, 480, 224, 224, 1), (301 & ~1, 199 & ~1, 512, 384, 1),
                                             (640, 480, 224, 224, 2), (100, 64, 100, 64, 1)])
def test_resize_against_numpy(dv: Dvpp, w: int, h: int, ow: int, oh: int, interp: int) -> None:
    din, _, y, uv = nv12_picture(dv, w, h, seed=w + ow)
    dout, p, n = nv12_output(dv, ow, oh)
    cfg = lib.acldvppCreateResizeConfig()
    ok(lib.acldvppSetResizeConfigInterpolation(cfg, interp))
    ok(lib.acldvppVpcResizeAsync(dv.channel, din, dout, cfg, dv.stream))
    ok(dv.sync())
    ok(lib.acldvppDestroyResizeConfig(cfg))
    oy, ouv = out_planes(p, n, ow, oh)
    mode = "nearest" if interp == 2 else "bilinear"
    tol = 0 if mode == "nearest" or (w, h) == (ow, oh) else 1
    assert np.abs(oy - ref_resize(y, ow, oh, mode)).max() <= tol
    assert np.abs(ouv - ref_resize(uv, ow // 2, oh // 2, mode)).max() <= tol


def test_crop_and_paste_against_numpy(dv: Dvpp) -> None:
    din, _, y, uv = nv12_picture(dv, 320, 240, seed=7)
    # crop (left 32, top 20, 96x64) at the same size: an exact copy
    dout, p, n = nv12_output(dv, 96, 64)
    roi = lib.acldvppCreateRoiConfig(32, 127, 20, 83)
    ok(lib.acldvppVpcCropAsync(dv.channel, din, dout, roi, dv.stream))
    ok(dv.sync())
    oy, ouv = out_planes(p, n, 96, 64)
    assert np.array_equal(oy, y[20:84, 32:128]) and np.array_equal(ouv, uv[10:42, 16:64])
    # crop and paste, scaled 2x into (left 48, top 10) of a grey canvas: the rest stays as it was
    canvas, cp, cn = nv12_output(dv, 400, 300, fill=0x40)
    paste = lib.acldvppCreateRoiConfig(48, 48 + 192 - 1, 10, 10 + 128 - 1)
    ok(lib.acldvppVpcCropAndPasteAsync(dv.channel, din, canvas, roi, paste, dv.stream))
    ok(dv.sync())
    cy, cuv = out_planes(cp, cn, 400, 300)
    assert np.abs(cy[10:138, 48:240] - ref_resize(y[20:84, 32:128], 192, 128, "bilinear")).max() <= 1
    assert np.abs(cuv[5:69, 24:120] - ref_resize(uv[10:42, 16:64], 96, 64, "bilinear")).max() <= 1
    mask = np.ones(cy.shape, bool)
    mask[10:138, 48:240] = False
    assert (cy[mask] == 0x40).all()
    for r in (roi, paste):
        ok(lib.acldvppDestroyRoiConfig(r))


def test_vpc_rejections(dv: Dvpp) -> None:
    din, _, _, _ = nv12_picture(dv, 320, 240)
    dout, _, _ = nv12_output(dv, 96, 64)
    s = dv.stream

    def crop(l: int, r: int, t: int, b: int, out: Any = dout) -> Any:
        roi = lib.acldvppCreateRoiConfig(l, r, t, b)
        rc = lib.acldvppVpcCropAsync(dv.channel, din, out, roi, s)
        ok(lib.acldvppDestroyRoiConfig(roi))
        return rc

    crop.__name__ = "acldvppVpcCropAsync"
    expect_error(INVALID, "left and top must be even", crop, 33, 128, 20, 83)
    expect_error(INVALID, "left and top must be even", crop, 32, 126, 20, 83)  # right must be odd
    expect_error(INVALID, "leaves the input picture", crop, 256, 351, 0, 63)
    expect_error(INVALID, "outside 10x6", crop, 0, 7, 0, 63)
    expect_error(INVALID, "right and bottom are inclusive", crop, 40, 31, 0, 63)
    big, _, _ = nv12_output(dv, 4000, 100)
    expect_error(INVALID, "1/32 to 16", crop, 0, 199, 0, 63, big)  # 200 -> 4000 is x20
    expect_error(INVALID, "1/32 to 16", crop, 0, 15, 0, 63, big)

    canvas, _, _ = nv12_output(dv, 400, 300)
    roi = lib.acldvppCreateRoiConfig(0, 95, 0, 63)
    paste = lib.acldvppCreateRoiConfig(40, 135, 0, 63)
    expect_error(INVALID, "multiple of 16", lib.acldvppVpcCropAndPasteAsync, dv.channel, din, canvas, roi, paste, s)
    ok(lib.acldvppSetRoiConfig(paste, 320, 415, 0, 63))
    expect_error(INVALID, "leaves the output picture", lib.acldvppVpcCropAndPasteAsync, dv.channel, din, canvas, roi,
                 paste, s)
    for r in (roi, paste):
        ok(lib.acldvppDestroyRoiConfig(r))

    cfg = lib.acldvppCreateResizeConfig()
    odd, _, _ = nv12_output(dv, 96, 64)
    ok(lib.acldvppSetPicDescWidth(odd, 95))
    expect_error(INVALID, "width 95 must be even", lib.acldvppVpcResizeAsync, dv.channel, din, odd, cfg, s)
    rgb_out = dv.pic(dv.malloc(96 * 3 * 64), 96 * 3 * 64, lib.PIXEL_FORMAT_RGB_888, 96, 64, 96 * 3, 64)
    expect_error(INVALID, ["writes YUV420SP NV12 or NV21", "RGB888"], lib.acldvppVpcResizeAsync, dv.channel, din,
                 rgb_out, cfg, s)
    bad_stride = dv.pic(dv.malloc(100 * 64 * 2), 100 * 64 * 2, NV12, 96, 64, 100, 64)
    expect_error(INVALID, "width stride 100", lib.acldvppVpcResizeAsync, dv.channel, din, bad_stride, cfg, s)
    small = dv.pic(dv.malloc(1000), 1000, NV12, 96, 64, 96, 64)
    expect_error(INVALID, "takes 9216 bytes", lib.acldvppVpcResizeAsync, dv.channel, din, small, cfg, s)
    expect_error(INVALID, "resizeConfig is NULL", lib.acldvppVpcResizeAsync, dv.channel, din, dout, ffi.NULL, s)
    ok(lib.acldvppSetResizeConfigInterpolation(cfg, 5))
    expect_error(INVALID, "interpolation 5 is not supported on Ascend310", lib.acldvppVpcResizeAsync, dv.channel,
                 din, dout, cfg, s)
    ok(lib.acldvppDestroyResizeConfig(cfg))
    expect_error(lib.ACL_ERROR_FEATURE_UNSUPPORTED, "no VPC colour conversion", lib.acldvppVpcConvertColorAsync,
                 dv.channel, din, dout, s)
    cell = ffi.new("aclrtStream *")
    ok(lib.aclrtCreateStream(cell))
    ok(lib.aclrtDestroyStream(cell[0]))
    cfg = lib.acldvppCreateResizeConfig()
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "not a live stream", lib.acldvppVpcResizeAsync, dv.channel, din,
                 dout, cfg, cell[0])
    ok(lib.acldvppDestroyResizeConfig(cfg))


def test_vpc_input_formats(dv: Dvpp) -> None:
    """Packed YUV and RGB inputs are read in place (RGB through the JFIF matrix) and resized to NV12."""
    rgb = photo(64, 48)
    ys, us, vs = (np.rint(c) for c in rgb_to_yuv_np(rgb))
    cfg = lib.acldvppCreateResizeConfig()
    ok(lib.acldvppSetResizeConfigInterpolation(cfg, 1))
    cases = {
        lib.PIXEL_FORMAT_RGB_888: (rgb.reshape(48, -1), 3),
        lib.PIXEL_FORMAT_BGR_888: (rgb[..., ::-1].reshape(48, -1), 3),
        lib.PIXEL_FORMAT_YUYV_PACKED_422: (np.stack([ys[:, 0::2], us[:, 0::2], ys[:, 1::2], vs[:, 0::2]], -1)
                                           .reshape(48, -1).astype(np.uint8), 2),
    }
    for fmt, (rows, bpp) in cases.items():
        ws = align(64, 16) * bpp
        buf = np.zeros((48, ws), np.uint8)
        buf[:, : rows.shape[1]] = rows
        din = dv.pic(dv.put(buf.tobytes()), buf.size, fmt, 64, 48, ws, 48)
        dout, p, n = nv12_output(dv, 64, 48)
        ok(lib.acldvppVpcResizeAsync(dv.channel, din, dout, cfg, dv.stream), "format %d" % fmt)
        ok(dv.sync())
        oy, ouv = out_planes(p, n, 64, 48)
        assert np.abs(oy.astype(int) - ys).max() <= 1, fmt
        ref_u = us.reshape(24, 2, 32, 2).mean(axis=(1, 3)) if bpp == 3 else us[:, 0::2].reshape(24, 2, 32).mean(1)
        assert np.abs(ouv[..., 0] - ref_u).max() <= 1.5, fmt
    ok(lib.acldvppDestroyResizeConfig(cfg))


def rgb_to_yuv_np(rgb: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    return (0.299 * r + 0.587 * g + 0.114 * b, -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
            0.5 * r - 0.418688 * g - 0.081312 * b + 128)


# -------------------------------------------------------------------------------------------- encoding


def test_encode_round_trip_and_predicted_size(dv: Dvpp) -> None:
    jpeg = jpeg_of(photo(640, 480, "coffee"), subsampling=2, quality=95)
    d, out, size = dv.decode(jpeg)
    ok(dv.sync())
    w, h, ws, hs, _ = geometry(d)
    ok(lib.acldvppSetPicDescWidth(d, w))
    cfg = lib.acldvppCreateJpegeConfig()
    results = {}
    for level in (0, 95, 30):
        ok(lib.acldvppSetJpegeConfigLevel(cfg, level))
        pred = ffi.new("uint32_t *")
        ok(lib.acldvppJpegPredictEncSize(d, cfg, pred))
        assert pred[0] == align(w, 16) * align(h, 16) * 3 + 2048
        dst = dv.malloc(pred[0])
        n = ffi.new("uint32_t *", pred[0])
        ok(lib.acldvppJpegEncodeAsync(dv.channel, d, dst, n, cfg, dv.stream))
        ok(dv.sync())
        assert 0 < n[0] <= pred[0]
        enc = bytes(ffi.buffer(dst, n[0]))
        assert enc[:2] == b"\xff\xd8" and enc[-2:] == b"\xff\xd9"
        back = Image.open(io.BytesIO(enc))
        assert back.size == (w, h) and back.mode == "RGB"
        y_in = planes(read(out, size), w, h, ws, hs)[0].astype(np.float64)
        y_back = pillow_ycc(enc)[..., 0].astype(np.float64)
        psnr = 10 * np.log10(255 ** 2 / np.mean((y_in - y_back) ** 2))
        results[level] = (n[0], psnr)
    # level 0 encodes like 100: the largest file, as faithful as 95 (both limited by the DCT's rounding)
    assert results[0][0] > results[95][0] > results[30][0], results
    assert min(results[0][1], results[95][1]) > 50 > results[30][1] > 30, results
    # too small an output buffer: refused at synchronize, nothing written past it
    small = ffi.new("uint32_t *", 1000)
    dst = dv.malloc(1000)
    ok(lib.acldvppJpegEncodeAsync(dv.channel, d, dst, small, cfg, dv.stream))
    assert dv.sync() == INVALID and "acldvppJpegPredictEncSize" in recent_message()
    ok(lib.acldvppSetPicDescWidth(d, 31))
    expect_error(INVALID, "outside 32x32..8192x8192", lib.acldvppJpegPredictEncSize, d, cfg, small)
    ok(lib.acldvppDestroyJpegeConfig(cfg))


# ---------------------------------------------------------------------------------- other SoC (310P)


def test_ascend310p_rules() -> None:
    """Ascend310P3: JPEGD width stride aligned to 64; PNG decoding; colour conversion."""
    code = child("""
        import io, json, numpy as np
        from PIL import Image
        ok(lib.aclInit(ffi.NULL)); ok(lib.aclrtSetDevice(0))
        res = {}
        def put(data):
            c = ffi.new("void **"); ok(lib.acldvppMalloc(c, len(data))); ffi.memmove(c[0], data, len(data)); return c[0]
        def desc(p, n, f, w=0, h=0, ws=0, hs=0):
            d = lib.acldvppCreatePicDesc()
            for fn, v in ((lib.acldvppSetPicDescData, p), (lib.acldvppSetPicDescSize, n), (lib.acldvppSetPicDescFormat, f),
                          (lib.acldvppSetPicDescWidth, w), (lib.acldvppSetPicDescHeight, h),
                          (lib.acldvppSetPicDescWidthStride, ws), (lib.acldvppSetPicDescHeightStride, hs)):
                ok(fn(d, v))
            return d
        ch = lib.acldvppCreateChannelDesc(); ok(lib.acldvppCreateChannel(ch))
        rng = np.random.default_rng(1)
        rgb = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
        b = io.BytesIO(); Image.fromarray(rgb).save(b, "JPEG", quality=90); jpeg = b.getvalue()
        n = ffi.new("uint32_t *"); ok(lib.acldvppJpegPredictDecSize(jpeg, len(jpeg), 1, n))
        res["jpeg_size"] = n[0]
        out = put(bytes(n[0])); d = desc(out, n[0], 1)
        ok(lib.acldvppJpegDecodeAsync(ch, put(jpeg), len(jpeg), d, ffi.NULL)); ok(lib.aclrtSynchronizeStream(ffi.NULL))
        res["jpeg_strides"] = [lib.acldvppGetPicDescWidthStride(d), lib.acldvppGetPicDescHeightStride(d)]
        rgba = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
        b = io.BytesIO(); Image.fromarray(rgba, "RGBA").save(b, "PNG"); png = b.getvalue()
        w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
        ok(lib.acldvppPngGetImageInfo(png, len(png), w, h, c)); res["png_info"] = [w[0], h[0], c[0]]
        for fmt in (12, 16):
            ok(lib.acldvppPngPredictDecSize(png, len(png), fmt, n))
            out = put(bytes(n[0])); d = desc(out, n[0], fmt)
            ok(lib.acldvppPngDecodeAsync(ch, put(png), len(png), d, ffi.NULL)); ok(lib.aclrtSynchronizeStream(ffi.NULL))
            ws = lib.acldvppGetPicDescWidthStride(d); bpp = 3 if fmt == 12 else 4
            px = np.frombuffer(ffi.buffer(out, n[0]), np.uint8).reshape(-1, ws)[:40, :60 * bpp].reshape(40, 60, bpp)
            res["png_%d" % fmt] = [n[0], ws, bool(np.array_equal(px, rgba[..., :bpp]))]
        bad = bytearray(png); bad[40] ^= 0xFF
        rc = lib.acldvppPngPredictDecSize(bytes(bad), len(bad), 12, n); res["png_bad_crc"] = [rc, msg()]
        # NV12 -> RGB888 colour conversion, width/height 0: taken from the input
        yy, xx = np.mgrid[0:48, 0:64]; cy, cx = np.mgrid[0:24, 0:32]
        y = (40 + 2 * xx + yy).astype(np.uint8); uv = np.stack([80 + 2 * cx, 180 - 2 * cy], -1).astype(np.uint8)
        src = np.concatenate([y, uv.reshape(24, 64)]).tobytes()
        din = desc(put(src), len(src), 1, 64, 48, 64, 48)
        outp = put(bytes(64 * 3 * 48)); dout = desc(outp, 64 * 3 * 48, 12)
        ok(lib.acldvppVpcConvertColorAsync(ch, din, dout, ffi.NULL)); ok(lib.aclrtSynchronizeStream(ffi.NULL))
        res["convert_geometry"] = [lib.acldvppGetPicDescWidth(dout), lib.acldvppGetPicDescHeight(dout),
                                   lib.acldvppGetPicDescWidthStride(dout)]
        got = np.frombuffer(ffi.buffer(outp, 64 * 3 * 48), np.uint8).reshape(48, 64, 3).astype(float)
        u = uv[..., 0].repeat(2, 0).repeat(2, 1).astype(float) - 128; v = uv[..., 1].repeat(2, 0).repeat(2, 1).astype(float) - 128
        ref = np.stack([y + 1.402 * v, y - 0.344136 * u - 0.714136 * v, y + 1.772 * u], -1).clip(0, 255)
        res["convert_err_inner"] = float(np.abs(got - ref)[2:-2, 2:-2].mean())
        print(json.dumps(res))
    """)
    res = json.loads(run_python_ok(code, env={"ACLLITE_EMU_SOC": "Ascend310P3"}).strip().splitlines()[-1])
    assert res["jpeg_size"] == align(70, 64) * align(50, 16) * 3 // 2
    assert res["jpeg_strides"] == [64 * 2 if 70 > 64 else 64, 64]
    assert res["png_info"] == [60, 40, 4]
    assert res["png_12"] == [align(60, 128) * 3 * align(40, 16), 128 * 3, True]
    assert res["png_16"] == [align(60, 128) * 4 * align(40, 16), 128 * 4, True]
    assert res["png_bad_crc"][0] == INVALID and "bad CRC" in res["png_bad_crc"][1]
    assert res["convert_geometry"] == [64, 48, 64 * 3]
    assert res["convert_err_inner"] < 2  # smooth chroma: bilinear upsampling and repetition agree
