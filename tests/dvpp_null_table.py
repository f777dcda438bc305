"""The table of tests/test_dvpp_null_data.py: every DVPP entry point with NULL picture data, a NULL description
and zero sizes, and the code and message each must give.

Run as a script, it runs the rows in this process and prints one JSON result per row::

    ACLLITE_EMU_STRICT=0 ACLLITE_EMU_SOC=Ascend310P3 python tests/dvpp_null_table.py

It imports no conftest (which clears the ``ACLLITE_EMU_*`` settings the emulator reads at aclInit).

A row is ``(entry point, variant, code, message fragment)``; ``call(env, variant)`` makes valid arguments, breaks
the one the variant names, and calls the entry point. Adding an entry point = one CALLS function and its rows.
Lenient mode (``ACLLITE_EMU_STRICT=0``) relaxes memory kinds, never safety: every row expects the same result in
both modes. After a row the output buffer must hold its canary and the output description its fields.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zlib
from typing import Any, Callable, Dict, List, Optional, Tuple

YUV400 = 0
NV12 = 1
RGB888 = 12
CANARY = 0xA5
W, H = 64, 48           # the input picture (NV12, strides 64 x 48)
OW, OH = 32, 24         # the VPC output picture (NV12, strides 32 x 24)
IN_SIZE = W * H * 3 // 2
OUT_SIZE = OW * OH * 3 // 2
DEC_SIZE = 128 * 48 * 3 // 2   # JPEGD output of a 64 x 48 JPEG (width stride 128)
PNG_SIZE = 128 * 3 * 48        # PNGD output of a 64 x 48 RGB PNG


def jpeg_bytes() -> bytes:
    import numpy as np
    from PIL import Image

    rgb = (np.add.outer(np.arange(H), np.arange(W))[..., None] * [1, 2, 3] % 256).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=90)
    return out.getvalue()


def png_bytes() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\0" + bytes((x + y) % 256 for x in range(W * 3)) for y in range(H))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class Env:
    """A device, a stream, a channel of every mode and the pictures one row uses (made fresh for each row)."""

    def __init__(self, lib: Any, ffi: Any) -> None:
        self.lib, self.ffi = lib, ffi
        cell = ffi.new("aclrtStream *")
        assert lib.aclrtCreateStream(cell) == 0
        self.stream = cell[0]
        self.channel = lib.acldvppCreateChannelDesc()
        self.pngd = b"310P" in ffi.string(lib.aclrtGetSocName())
        if self.pngd:
            assert lib.acldvppSetChannelDescMode(self.channel, 1 | 2 | 4 | 8) == 0
        assert lib.acldvppCreateChannel(self.channel) == 0
        self.jpeg, self.png = jpeg_bytes(), png_bytes()
        self.buffers: List[Any] = []
        self.descs: List[Any] = []
        self.outputs: List[Tuple[Any, int]] = []  # (pointer, size): must keep their canary
        self.watched: List[Tuple[Any, Tuple[int, ...]]] = []  # output descriptions and the fields they must keep

    def malloc(self, size: int, fill: int = CANARY) -> Any:
        cell = self.ffi.new("void **")
        assert self.lib.acldvppMalloc(cell, size) == 0
        self.buffers.append(cell[0])
        self.ffi.memmove(cell[0], bytes([fill]) * size, size)
        return cell[0]

    def put(self, data: bytes) -> Any:
        p = self.malloc(len(data))
        self.ffi.memmove(p, data, len(data))
        return p

    def pic(self, data: Any, size: int, fmt: int = NV12, w: int = 0, h: int = 0, ws: int = 0, hs: int = 0) -> Any:
        lib = self.lib
        d = lib.acldvppCreatePicDesc()
        self.descs.append(d)
        for fn, v in ((lib.acldvppSetPicDescData, data), (lib.acldvppSetPicDescSize, size),
                      (lib.acldvppSetPicDescFormat, fmt), (lib.acldvppSetPicDescWidth, w),
                      (lib.acldvppSetPicDescHeight, h), (lib.acldvppSetPicDescWidthStride, ws),
                      (lib.acldvppSetPicDescHeightStride, hs)):
            assert fn(d, v) == 0
        return d

    def chan(self, variant: str) -> Any:
        return self.ffi.NULL if variant == "null-channel" else self.channel

    def input_pic(self, variant: str, role: str = "in") -> Any:
        """The input picture (NV12 64x48), broken as the variant says when it names this role."""
        if variant == role + "-null-desc":
            return self.ffi.NULL
        data = self.ffi.NULL if variant == role + "-null-data" else self.put(bytes(range(256)) * (IN_SIZE // 256))
        size = 0 if variant == role + "-zero-size" else IN_SIZE
        w, h = (0, 0) if variant == role + "-zero-dims" else (W, H)
        return self.pic(data, size, NV12, w, h, W, H)

    def output_pic(self, variant: str, size: int = OUT_SIZE, fmt: int = NV12, dims: Tuple[int, int] = (OW, OH),
                   strides: Tuple[int, int] = (OW, OH)) -> Any:
        """An output picture (canary-filled), broken as the variant says ("out-..."); watched."""
        if variant == "out-null-desc":
            return self.ffi.NULL
        data = self.ffi.NULL
        if variant != "out-null-data":
            data = self.malloc(size)
            self.outputs.append((data, size))
        w, h = (0, 0) if variant == "out-zero-dims" else dims
        d = self.pic(data, 0 if variant == "out-zero-size" else size, fmt, w, h, *strides)
        self.watched.append((d, self.fields(d)))
        return d

    def fields(self, d: Any) -> Tuple[int, ...]:
        lib = self.lib
        return tuple(int(f(d)) for f in (lib.acldvppGetPicDescSize, lib.acldvppGetPicDescFormat,
                                         lib.acldvppGetPicDescWidth, lib.acldvppGetPicDescHeight,
                                         lib.acldvppGetPicDescWidthStride, lib.acldvppGetPicDescHeightStride,
                                         lib.acldvppGetPicDescRetCode))

    def untouched(self) -> bool:
        """Every output buffer holds its canary and every output description the fields it was given."""
        canaries = all(bytes(self.ffi.buffer(p, n)) == bytes([CANARY]) * n for p, n in self.outputs)
        return canaries and all(self.fields(d) == fields for d, fields in self.watched)

    def reset(self) -> None:
        lib = self.lib
        lib.aclrtSynchronizeStream(self.stream)
        for d in self.descs:
            assert lib.acldvppDestroyPicDesc(d) == 0
        for b in self.buffers:
            assert lib.acldvppFree(b) == 0
        self.buffers, self.descs, self.outputs, self.watched = [], [], [], []

    def close(self) -> None:
        self.reset()
        lib = self.lib
        assert lib.acldvppDestroyChannel(self.channel) == 0
        assert lib.acldvppDestroyChannelDesc(self.channel) == 0
        assert lib.aclrtDestroyStream(self.stream) == 0


# ------------------------------------------------------------------------------------- the entry points


def _vpc(name: str, crop: bool, paste: bool, resize: bool) -> Callable[[Env, str], int]:
    def call(env: Env, variant: str) -> int:
        lib = env.lib
        inp, out = env.input_pic(variant), env.output_pic(variant)
        rois = ([lib.acldvppCreateRoiConfig(0, 31, 0, 23)] if crop else []) + \
            ([lib.acldvppCreateRoiConfig(0, OW - 1, 0, OH - 1)] if paste else [])
        configs = [lib.acldvppCreateResizeConfig()] if resize else []
        try:
            return getattr(lib, name)(env.chan(variant), inp, out, *rois, *configs, env.stream)
        finally:
            for roi in rois:
                lib.acldvppDestroyRoiConfig(roi)
            for cfg in configs:
                lib.acldvppDestroyResizeConfig(cfg)
    return call


def _convert(env: Env, variant: str) -> int:
    inp = env.input_pic(variant)
    out = env.output_pic(variant, size=IN_SIZE, dims=(W, H), strides=(W, H))
    return env.lib.acldvppVpcConvertColorAsync(env.chan(variant), inp, out, env.stream)


def _decode(png: bool) -> Callable[[Env, str], int]:
    def call(env: Env, variant: str) -> int:
        lib = env.lib
        data = env.png if png else env.jpeg
        src = env.ffi.NULL if variant == "in-null-data" else env.put(data)
        size = 0 if variant == "in-zero-size" else len(data)
        out = env.output_pic(variant, PNG_SIZE if png else DEC_SIZE, RGB888 if png else NV12, (0, 0), (0, 0))
        return (lib.acldvppPngDecodeAsync if png else lib.acldvppJpegDecodeAsync)(env.chan(variant), src, size,
                                                                                   out, env.stream)
    return call


def _encode(env: Env, variant: str) -> int:
    lib, ffi = env.lib, env.ffi
    inp = env.input_pic(variant)
    capacity = ffi.new("uint32_t *", 0 if variant == "out-zero-size" else 1 << 16)
    data = ffi.NULL
    if variant != "out-null-data":
        data = env.malloc(1 << 16)
        env.outputs.append((data, 1 << 16))
    cfg = lib.acldvppCreateJpegeConfig()
    try:
        return lib.acldvppJpegEncodeAsync(env.chan(variant), inp, data,
                                          ffi.NULL if variant == "out-null-size" else capacity, cfg, env.stream)
    finally:
        lib.acldvppDestroyJpegeConfig(cfg)


def _predict_enc(env: Env, variant: str) -> int:
    lib, ffi = env.lib, env.ffi
    cfg = lib.acldvppCreateJpegeConfig()
    try:
        return lib.acldvppJpegPredictEncSize(env.input_pic(variant), cfg,
                                             ffi.NULL if variant == "out-null-size" else ffi.new("uint32_t *"))
    finally:
        lib.acldvppDestroyJpegeConfig(cfg)


def _query(name: str, png: bool, kind: str) -> Callable[[Env, str], int]:
    """The synchronous queries on image data: info (width, height, components) or a predicted size."""
    def call(env: Env, variant: str) -> int:
        lib, ffi = env.lib, env.ffi
        data = env.png if png else env.jpeg
        src = ffi.NULL if variant == "in-null-data" else ffi.from_buffer(data)
        size = 0 if variant == "in-zero-size" else len(data)
        out = ffi.NULL if variant == "out-null-size" else ffi.new("uint32_t *")
        if kind == "predict":
            return getattr(lib, name)(src, size, RGB888 if png else NV12, out)
        extra = [ffi.new("acldvppJpegFormat *")] if name.endswith("V2") else []
        return getattr(lib, name)(src, size, out, ffi.new("uint32_t *"), ffi.new("int32_t *"), *extra)
    return call


def _make_border(env: Env, variant: str) -> int:
    lib = env.lib
    inp = env.input_pic(variant)
    out = env.output_pic(variant, size=80 * 56 * 3 // 2, dims=(80, 56), strides=(80, 56))
    b = lib.acldvppCreateBorderConfig()
    for fn, v in ((lib.acldvppSetBorderConfigTop, 4), (lib.acldvppSetBorderConfigBottom, 4),
                  (lib.acldvppSetBorderConfigLeft, 8), (lib.acldvppSetBorderConfigRight, 8)):
        assert fn(b, v) == 0
    try:
        return lib.acldvppVpcMakeBorderAsync(env.chan(variant), inp, out, b, env.stream)
    finally:
        lib.acldvppDestroyBorderConfig(b)


def _equalize(env: Env, variant: str) -> int:
    lib = env.lib
    inp = env.input_pic(variant)
    out = env.output_pic(variant, size=IN_SIZE, dims=(W, H), strides=(W, H))
    m = lib.acldvppCreateLutMap()
    try:
        return lib.acldvppVpcEqualizeHistAsync(env.chan(variant), inp, out, m, env.stream)
    finally:
        lib.acldvppDestroyLutMap(m)


def _calc_hist(env: Env, variant: str) -> int:
    lib = env.lib
    inp = env.input_pic(variant)
    h = env.ffi.NULL if variant == "out-null-desc" else lib.acldvppCreateHist()
    try:
        return lib.acldvppVpcCalcHistAsync(env.chan(variant), inp, h, env.ffi.NULL, env.stream)
    finally:
        if h != env.ffi.NULL:
            lib.aclrtSynchronizeStream(env.stream)
            lib.acldvppDestroyHist(h)


def _pyr_down(env: Env, variant: str) -> int:
    """A YUV400 64x48 input (the NV12 input's luma), a YUV400 32x24 output."""
    ffi = env.ffi
    if variant == "in-null-desc":
        inp = ffi.NULL
    else:
        data = ffi.NULL if variant == "in-null-data" else env.put(bytes(range(256)) * (W * H // 256))
        w, h = (0, 0) if variant == "in-zero-dims" else (W, H)
        inp = env.pic(data, 0 if variant == "in-zero-size" else W * H, YUV400, w, h, W, H)
    out = env.output_pic(variant, size=OW * OH, fmt=YUV400)
    return env.lib.acldvppVpcPyrDownAsync(env.chan(variant), inp, out, ffi.NULL, env.stream)


CALLS: Dict[str, Callable[[Env, str], int]] = {
    "acldvppVpcResizeAsync": _vpc("acldvppVpcResizeAsync", False, False, True),
    "acldvppVpcCropAsync": _vpc("acldvppVpcCropAsync", True, False, False),
    "acldvppVpcCropResizeAsync": _vpc("acldvppVpcCropResizeAsync", True, False, True),
    "acldvppVpcCropAndPasteAsync": _vpc("acldvppVpcCropAndPasteAsync", True, True, False),
    "acldvppVpcCropResizePasteAsync": _vpc("acldvppVpcCropResizePasteAsync", True, True, True),
    "acldvppVpcConvertColorAsync": _convert,
    "acldvppJpegDecodeAsync": _decode(False),
    "acldvppPngDecodeAsync": _decode(True),
    "acldvppJpegEncodeAsync": _encode,
    "acldvppJpegPredictEncSize": _predict_enc,
    "acldvppJpegPredictDecSize": _query("acldvppJpegPredictDecSize", False, "predict"),
    "acldvppPngPredictDecSize": _query("acldvppPngPredictDecSize", True, "predict"),
    "acldvppJpegGetImageInfo": _query("acldvppJpegGetImageInfo", False, "info"),
    "acldvppJpegGetImageInfoV2": _query("acldvppJpegGetImageInfoV2", False, "info"),
    "acldvppPngGetImageInfo": _query("acldvppPngGetImageInfo", True, "info"),
    "acldvppVpcMakeBorderAsync": _make_border,
    "acldvppVpcEqualizeHistAsync": _equalize,
    "acldvppVpcCalcHistAsync": _calc_hist,
    "acldvppVpcPyrDownAsync": _pyr_down,
}

#: Entry points that exist only on Ascend310P and newer (the others run on both SoCs of the test).
NEEDS_310P = {"acldvppVpcConvertColorAsync", "acldvppPngDecodeAsync", "acldvppVpcMakeBorderAsync",
              "acldvppVpcEqualizeHistAsync", "acldvppVpcCalcHistAsync", "acldvppVpcPyrDownAsync"}
#: Entry points without an output picture (a histogram instead: "out-null-desc" is a NULL histogram).
NO_OUTPUT_PICTURE = {"acldvppVpcCalcHistAsync"}
#: The operations of issue 16 section 3 (their own rows below, not the generic VPC ones).
_VPC_OPS = {"acldvppVpcMakeBorderAsync", "acldvppVpcEqualizeHistAsync", "acldvppVpcCalcHistAsync",
            "acldvppVpcPyrDownAsync"}

INVALID = 100000
_VPC_ROWS = [
    ("in-null-data", INVALID, "input data is NULL"),
    ("out-null-data", INVALID, "output data is NULL"),
    ("in-null-desc", INVALID, "inputDesc is NULL"),
    ("out-null-desc", INVALID, "outputDesc is NULL"),
    ("in-zero-size", INVALID, "inputDesc: size 0 is too small"),
    ("out-zero-size", INVALID, "outputDesc: size 0 is too small"),
    ("in-zero-dims", INVALID, "inputDesc: 0x0 is outside the input resolution range"),
    ("null-channel", INVALID, "channel description is NULL"),
]
_DECODE_ROWS = [
    ("in-null-data", INVALID, "data is NULL"),
    ("in-zero-size", INVALID, "size is 0"),
    ("out-null-data", INVALID, "output data is NULL"),
    ("out-null-desc", INVALID, "outputDesc is NULL"),
    ("out-zero-size", INVALID, "outputDesc: size is 0"),
    ("null-channel", INVALID, "channel description is NULL"),
]
_QUERY_ROWS = [
    ("in-null-data", INVALID, "data is NULL"),
    ("in-zero-size", INVALID, "size is 0"),
    ("out-null-size", INVALID, "an output pointer is NULL"),
]

#: (entry point, variant, code, fragment of the message, which starts with the entry point's name)
ROWS: List[Tuple[str, str, int, str]] = (
    [(name, v, c, f) for name in CALLS if name.startswith("acldvppVpc") and name != "acldvppVpcConvertColorAsync"
     and name not in _VPC_OPS for v, c, f in _VPC_ROWS] +
    [(name, v, c, f) for name in ("acldvppVpcMakeBorderAsync", "acldvppVpcEqualizeHistAsync")
     for v, c, f in _VPC_ROWS] +
    [("acldvppVpcCalcHistAsync", v, c, f.replace("inputDesc", "srcPicDesc")) for v, c, f in _VPC_ROWS
     if not v.startswith("out-")] +  # the argument is srcPicDesc there
    [("acldvppVpcCalcHistAsync", "out-null-desc", INVALID, "hist is NULL")] +
    [("acldvppVpcPyrDownAsync", v, c, f) for v, c, f in _VPC_ROWS if v != "in-zero-dims"] +
    [("acldvppVpcPyrDownAsync", "in-zero-dims", INVALID, "inputDesc: 0x0 is outside 20x12..2048x2048")] +
    [("acldvppVpcConvertColorAsync", v, c, f) for v, c, f in _VPC_ROWS if v != "out-zero-dims"] +
    [("acldvppVpcConvertColorAsync", "out-zero-dims", 0, "")] +  # documented: 0 takes the input's size
    [(name, v, c, f) for name in ("acldvppJpegDecodeAsync", "acldvppPngDecodeAsync") for v, c, f in _DECODE_ROWS] +
    [("acldvppJpegEncodeAsync", "in-null-data", INVALID, "input data is NULL"),
     ("acldvppJpegEncodeAsync", "in-null-desc", INVALID, "inputDesc is NULL"),
     ("acldvppJpegEncodeAsync", "in-zero-size", INVALID, "inputDesc: size 0 is too small"),
     ("acldvppJpegEncodeAsync", "in-zero-dims", INVALID, "inputDesc: 0x0 is outside 32x32..8192x8192"),
     ("acldvppJpegEncodeAsync", "out-null-data", INVALID, "data is NULL"),
     ("acldvppJpegEncodeAsync", "out-null-size", INVALID, "size is NULL"),
     ("acldvppJpegEncodeAsync", "out-zero-size", INVALID, "*size (the output capacity) is 0"),
     ("acldvppJpegEncodeAsync", "null-channel", INVALID, "channel description is NULL"),
     # the prediction reads the description's sizes, never its data
     ("acldvppJpegPredictEncSize", "in-null-data", 0, ""),
     ("acldvppJpegPredictEncSize", "in-null-desc", INVALID, "inputDesc is NULL"),
     ("acldvppJpegPredictEncSize", "in-zero-size", INVALID, "inputDesc: size 0 is too small"),
     ("acldvppJpegPredictEncSize", "in-zero-dims", INVALID, "inputDesc: 0x0 is outside"),
     ("acldvppJpegPredictEncSize", "out-null-size", INVALID, "size is NULL")] +
    [(name, v, c, f) for name in CALLS if "GetImageInfo" in name or "PredictDecSize" in name
     for v, c, f in _QUERY_ROWS]
)


def row_id(row: Tuple[str, str, int, str]) -> str:
    return "%s-%s" % (row[0][len("acldvpp"):], row[1])


def run_rows(rows: List[Tuple[str, str, int, str]]) -> List[Dict[str, Any]]:
    """Run the rows the configured SoC has; for each: the call's code and message, whether a queued task failed
    at synchronize, and whether the outputs stayed untouched."""
    import acllite  # noqa: F401  (registers the codec)
    from acllite.binding import ffi, lib

    def message() -> Optional[str]:
        p = lib.aclGetRecentErrMsg()
        return None if p == ffi.NULL else ffi.string(p).decode(errors="replace")

    assert lib.aclInit(ffi.NULL) == 0 and lib.aclrtSetDevice(0) == 0, message()
    env = Env(lib, ffi)
    results = []
    for row in rows:
        name, variant = row[0], row[1]
        if name in NEEDS_310P and not env.pngd:
            continue
        rc = CALLS[name](env, variant)
        msg = message()
        sync = lib.aclrtSynchronizeStream(env.stream)  # nothing was queued by a refused call
        results.append({"id": row_id(row), "rc": int(rc), "message": msg, "sync": int(sync),
                        "untouched": env.untouched()})
        env.reset()
    env.close()
    assert lib.aclrtResetDevice(0) == 0 and lib.aclFinalize() == 0, message()
    return results


if __name__ == "__main__":
    for result in run_rows(ROWS):
        print(json.dumps(result))
    sys.stdout.flush()
