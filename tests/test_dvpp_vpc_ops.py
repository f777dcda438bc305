"""The remaining VPC operations (issue 16 section 3) against numpy references of their documented definitions:
acldvppVpcMakeBorderAsync (border types and values), acldvppVpcCalcHistAsync (counts per channel),
acldvppVpcEqualizeHistAsync (remapping through a LUT map; ImageProcessor.equalize_hist's LUT is OpenCV's
equalisation mapping), acldvppVpcPyrDownAsync (the documented 5x5 Gaussian [1 4 6 4 1]^T [1 4 6 4 1] / 256,
reflect-101 edges, round half up: exact), acldvppVpcBatchCropResizeMakeBorderAsync (bit-identical to a crop-resize
then a make-border), their limits and codes, and the leak report.

These operations exist on Ascend310P and newer (pyramid down on Ascend310P only) and the emulated SoC is chosen at
the first aclInit of a process, so each test runs the emulator in a child process on an Ascend310P3 and compares
what it wrote, here, with the references (written independently of the emulator's tables).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Dict, Optional

import numpy as np
import pytest

from conftest import child, requires_emulator, run_python_ok

pytestmark = requires_emulator

YUV400, NV12, NV21, YUV422SP, YUV444P, RGB888, BGR888, RGBA8888 = 0, 1, 2, 3, 11, 12, 13, 16
SUCCESS, INVALID_PARAM, INVALID_HANDLE, FEATURE_UNSUPPORTED = 0, 100000, 107017, 200006

#: Child helpers: a device, a stream and a VPC channel; DVPP pictures from numpy arrays; reading them back; and
#: at the end the leak report of aclrtResetDevice and aclFinalize. Inputs come from VPCOPS_IN (npz), results go
#: to VPCOPS_OUT (npz) and VPCOPS_JSON.
HELPERS = """
import json, os
import numpy as np
import acllite
IN = dict(np.load(os.environ["VPCOPS_IN"]))
OUT = {}
INFO = {}
ok(lib.aclInit(ffi.NULL))
ok(lib.aclrtSetDevice(0))
_cell = ffi.new("aclrtStream *")
ok(lib.aclrtCreateStream(_cell))
S = _cell[0]
CH = lib.acldvppCreateChannelDesc()
ok(lib.acldvppCreateChannel(CH))
_MEM = []
_DESCS = []

def pic(fmt, w, h, ws, hs, data=None, size=None):
    size = size if size is not None else (data.size if data is not None else ws * hs * 3)
    p = ffi.new("void **")
    ok(lib.acldvppMalloc(p, size), "acldvppMalloc")
    buf = np.zeros(size, np.uint8)
    if data is not None:
        flat = np.ascontiguousarray(data, np.uint8).ravel()
        buf[:flat.size] = flat
    ok(lib.aclrtMemcpy(p[0], size, ffi.from_buffer(buf), size, 1))
    d = lib.acldvppCreatePicDesc()
    for fn, v in ((lib.acldvppSetPicDescData, p[0]), (lib.acldvppSetPicDescSize, size),
                  (lib.acldvppSetPicDescFormat, fmt), (lib.acldvppSetPicDescWidth, w),
                  (lib.acldvppSetPicDescHeight, h), (lib.acldvppSetPicDescWidthStride, ws),
                  (lib.acldvppSetPicDescHeightStride, hs)):
        ok(fn(d, v))
    _MEM.append(p[0])
    _DESCS.append(d)
    return d

def read(d, n=None):
    size = n if n is not None else lib.acldvppGetPicDescSize(d)
    a = np.empty(size, np.uint8)
    ok(lib.aclrtMemcpy(ffi.from_buffer(a), size, lib.acldvppGetPicDescData(d), size, 2))
    return a

def border(top, bottom, left, right, kind, values=(0, 0, 0)):
    b = lib.acldvppCreateBorderConfig()
    for fn, v in ((lib.acldvppSetBorderConfigTop, top), (lib.acldvppSetBorderConfigBottom, bottom),
                  (lib.acldvppSetBorderConfigLeft, left), (lib.acldvppSetBorderConfigRight, right),
                  (lib.acldvppSetBorderConfigBorderType, kind)):
        ok(fn(b, v))
    for i, v in enumerate(values):
        ok(lib.acldvppSetBorderConfigValue(b, i, v))
    return b

def sync():
    ok(lib.aclrtSynchronizeStream(S), "aclrtSynchronizeStream")

def finish():
    for p in _MEM:
        ok(lib.acldvppFree(p))
    for d in _DESCS:
        ok(lib.acldvppDestroyPicDesc(d))
    ok(lib.acldvppDestroyChannel(CH))
    ok(lib.acldvppDestroyChannelDesc(CH))
    ok(lib.aclrtDestroyStream(S))
    ok(lib.aclrtResetDevice(0))
    INFO["leaks_reset"] = acllite.emulator_leak_report()
    ok(lib.aclFinalize())
    INFO["leaks_final"] = acllite.emulator_leak_report()
    np.savez(os.environ["VPCOPS_OUT"], **OUT)
    with open(os.environ["VPCOPS_JSON"], "w") as f:
        json.dump(INFO, f)
"""


def run_ops(code: str, inputs: Optional[Dict[str, np.ndarray]] = None, soc: str = "Ascend310P3"
            ) -> Dict[str, Any]:
    """Run code (after the helpers, before finish()) in a child on soc; return its outputs and INFO; the leak
    reports must be empty."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {k: os.path.join(tmp, k) for k in ("in.npz", "out.npz", "info.json")}
        np.savez(paths["in.npz"], **(inputs or {"none": np.zeros(1)}))
        run_python_ok(child(HELPERS) + "\n" + _dedent(code) + "\nfinish()\n",
                      env={"ACLLITE_EMU_SOC": soc, "VPCOPS_IN": paths["in.npz"], "VPCOPS_OUT": paths["out.npz"],
                           "VPCOPS_JSON": paths["info.json"]}, timeout=120)
        with np.load(paths["out.npz"]) as z:
            out: Dict[str, Any] = {k: z[k] for k in z.files}
        with open(paths["info.json"]) as f:
            info = json.load(f)
    assert not any(info.pop("leaks_reset").values())
    assert not any(info.pop("leaks_final").values())
    out.update(info)
    return out


def _dedent(code: str) -> str:
    import textwrap
    return textwrap.dedent(code)


def stride16(w: int) -> int:
    return (w + 15) // 16 * 16


# ------------------------------------------------------------------------------------- references

NP_PAD_MODE = {1: "edge", 2: "symmetric", 3: "reflect"}  # replicate, reflect (fedcba|abcd), reflect-101 (edcb|abcd)


def pad_plane(plane: np.ndarray, top: int, bottom: int, left: int, right: int, kind: int, value: int) -> np.ndarray:
    if kind == 0:
        return np.pad(plane, ((top, bottom), (left, right)), mode="constant", constant_values=value)
    return np.pad(plane, ((top, bottom), (left, right)), mode=NP_PAD_MODE[kind])  # type: ignore[call-overload]


def nv12_planes(buf: np.ndarray, w: int, h: int, ws: int, hs: int):
    y = buf[:ws * hs].reshape(hs, ws)[:h, :w]
    uv = buf[ws * hs:ws * hs + ws * hs // 2].reshape(hs // 2, ws)[:h // 2, :w]
    return y, uv[:, 0::2], uv[:, 1::2]


def pyr_down_reference(img: np.ndarray) -> np.ndarray:
    """OpenCV's pyrDown definition: the 5x5 binomial kernel / 256, reflect-101 edges, every second sample."""
    k = np.array([1, 4, 6, 4, 1], np.int64)
    kernel = np.outer(k, k)
    p = np.pad(img.astype(np.int64), 2, mode="reflect")
    h, w = img.shape
    acc = np.zeros((h // 2, w // 2), np.int64)
    for dy in range(5):
        for dx in range(5):
            acc += kernel[dy, dx] * p[dy:dy + 2 * (h // 2):2, dx:dx + 2 * (w // 2):2]
    return ((acc + 128) // 256).astype(np.uint8)


def equalize_reference(channel: np.ndarray) -> np.ndarray:
    """OpenCV's equalizeHist: lut[v] = round(255 * (cdf(v) - cdf(vmin)) / (N - cdf(vmin))), half to even."""
    hist = np.bincount(channel.ravel(), minlength=256)
    cdf = np.cumsum(hist)
    nz = int(np.flatnonzero(hist)[0])
    n = channel.size
    if hist[nz] == n:
        return np.full_like(channel, nz)
    lut = np.rint((cdf - hist[nz]) * (255.0 / (n - hist[nz]))).clip(0, 255).astype(np.uint8)  # cvRound
    lut[:nz] = 0
    return lut[channel]


# ---------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("kind", [0, 1, 2, 3])
def test_make_border_yuv400_and_nv12_every_type(kind: int) -> None:
    rng = np.random.default_rng(kind)
    w, h, top, bottom, left, right = 40, 30, 4, 6, 8, 2
    grey = rng.integers(0, 256, (h, w), dtype=np.uint8)
    nv = rng.integers(0, 256, (h * 3 // 2, w), dtype=np.uint8)
    ow, oh = w + left + right, h + top + bottom
    res = run_ops("""
        w, h, ow, oh = %d, %d, %d, %d
        b = border(%d, %d, %d, %d, %d, (17, 90, 200))
        src = pic(0, w, h, 48, h, np.pad(IN["grey"], ((0, 0), (0, 8))), 48 * h)
        dst = pic(0, ow, oh, 64, oh, None, 64 * oh)
        ok(lib.acldvppVpcMakeBorderAsync(CH, src, dst, b, S))
        src2 = pic(1, w, h, 48, h, np.pad(IN["nv"], ((0, 0), (0, 8))), 48 * h * 3 // 2)
        dst2 = pic(1, ow, oh, 64, oh, None, 64 * oh * 3 // 2)
        ok(lib.acldvppVpcMakeBorderAsync(CH, src2, dst2, b, S))
        sync()
        OUT["grey"] = read(dst)
        OUT["nv"] = read(dst2)
        INFO["getters"] = [lib.acldvppGetBorderConfigTop(b), lib.acldvppGetBorderConfigBottom(b),
                           lib.acldvppGetBorderConfigLeft(b), lib.acldvppGetBorderConfigRight(b),
                           int(lib.acldvppGetBorderConfigBorderType(b))] + [
                           lib.acldvppGetBorderConfigValue(b, i) for i in range(4)]
        ok(lib.acldvppDestroyBorderConfig(b))
    """ % (w, h, ow, oh, top, bottom, left, right, kind), {"grey": grey, "nv": nv})
    assert res["getters"] == [top, bottom, left, right, kind, 17.0, 90.0, 200.0, 0.0]
    got = res["grey"].reshape(oh, 64)[:, :ow]
    assert np.array_equal(got, pad_plane(grey, top, bottom, left, right, kind, 17))
    y, u, v = nv12_planes(res["nv"], ow, oh, 64, oh)
    sy, su, sv = nv12_planes(np.pad(nv, ((0, 0), (0, 8))).ravel(), w, h, 48, h)
    assert np.array_equal(y, pad_plane(sy, top, bottom, left, right, kind, 17))
    assert np.array_equal(u, pad_plane(su, top // 2, bottom // 2, left // 2, right // 2, kind, 90))
    assert np.array_equal(v, pad_plane(sv, top // 2, bottom // 2, left // 2, right // 2, kind, 200))


def test_make_border_rgb_constant_values_per_channel() -> None:
    rng = np.random.default_rng(7)
    w, h = 32, 12
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    res = run_ops("""
        b = border(2, 2, 16, 0, 0, (10, 20, 30))
        src = pic(12, 32, 12, 96, 12, IN["rgb"], 96 * 12)
        dst = pic(12, 48, 16, 144, 16, None, 144 * 16)
        ok(lib.acldvppVpcMakeBorderAsync(CH, src, dst, b, S))
        dst2 = pic(13, 48, 16, 144, 16, None, 144 * 16)
        src2 = pic(13, 32, 12, 96, 12, IN["rgb"], 96 * 12)
        ok(lib.acldvppVpcMakeBorderAsync(CH, src2, dst2, b, S))
        sync()
        OUT["rgb"] = read(dst)
        OUT["bgr"] = read(dst2)
        ok(lib.acldvppDestroyBorderConfig(b))
    """, {"rgb": rgb})
    want = np.stack([pad_plane(rgb[..., c], 2, 2, 16, 0, 0, (10, 20, 30)[c]) for c in range(3)], axis=-1)
    assert np.array_equal(res["rgb"].reshape(16, 48, 3), want)
    # BGR888: the values are still R, G, B (index 0 is R): the border's bytes are B, G, R
    want_bgr = np.stack([pad_plane(rgb[..., c], 2, 2, 16, 0, 0, (30, 20, 10)[c]) for c in range(3)], axis=-1)
    assert np.array_equal(res["bgr"].reshape(16, 48, 3), want_bgr)


def test_calc_hist_counts_per_channel_and_clear() -> None:
    rng = np.random.default_rng(11)
    w, h = 64, 40
    nv = rng.integers(0, 256, (h * 3 // 2, w), dtype=np.uint8)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    res = run_ops("""
        hist = lib.acldvppCreateHist()
        INFO["dims"] = lib.acldvppGetHistDims(hist)
        src = pic(1, 64, 40, 64, 40, IN["nv"], 64 * 60)
        ok(lib.acldvppVpcCalcHistAsync(CH, src, hist, ffi.NULL, S))
        sync()
        INFO["ret"] = lib.acldvppGetHistRetCode(hist)
        data, n = ffi.new("uint32_t **"), ffi.new("uint16_t *")
        for dim in range(3):
            ok(lib.acldvppGetHistData(hist, dim, data, n))
            OUT["nv%d" % dim] = np.frombuffer(ffi.buffer(data[0], 4 * n[0]), np.uint32).copy()
        src2 = pic(13, 64, 40, 192, 40, IN["rgb"], 192 * 40)
        ok(lib.acldvppVpcCalcHistAsync(CH, src2, hist, ffi.NULL, S))
        sync()
        for dim in range(3):
            ok(lib.acldvppGetHistData(hist, dim, data, n))
            OUT["bgr%d" % dim] = np.frombuffer(ffi.buffer(data[0], 4 * n[0]), np.uint32).copy()
        ok(lib.acldvppClearHist(hist))
        ok(lib.acldvppGetHistData(hist, 0, data, n))
        INFO["cleared"] = int(np.frombuffer(ffi.buffer(data[0], 4 * n[0]), np.uint32).sum())
        INFO["bad_dim"] = lib.acldvppGetHistData(hist, 3, data, n)
        # destroyed while its task is queued: the task keeps it alive, nothing leaks
        ok(lib.acldvppVpcCalcHistAsync(CH, src, hist, ffi.NULL, S))
        ok(lib.acldvppDestroyHist(hist))
        sync()
    """, {"nv": nv, "rgb": rgb})
    assert res["dims"] == 3 and res["ret"] == 0 and res["cleared"] == 0 and res["bad_dim"] == INVALID_PARAM
    y, u, v = nv[:h], nv[h:, 0::2], nv[h:, 1::2]
    for dim, plane in enumerate((y, u, v)):
        assert np.array_equal(res["nv%d" % dim], np.bincount(plane.ravel(), minlength=256)), dim
    for dim in range(3):  # R, G, B order whatever the byte order (BGR888 input)
        assert np.array_equal(res["bgr%d" % dim], np.bincount(rgb[..., 2 - dim].ravel(), minlength=256)), dim


def test_equalize_hist_remaps_through_the_lut_map() -> None:
    rng = np.random.default_rng(13)
    w, h = 48, 20
    nv = rng.integers(0, 256, (h * 3 // 2, w), dtype=np.uint8)
    luts = rng.integers(0, 256, (3, 256), dtype=np.uint8)
    res = run_ops("""
        m = lib.acldvppCreateLutMap()
        INFO["dims"] = lib.acldvppGetLutMapDims(m)
        data, n = ffi.new("uint8_t **"), ffi.new("uint32_t *")
        INFO["identity"] = True
        for dim in range(3):
            ok(lib.acldvppGetLutMapData(m, dim, data, n))
            INFO["identity"] &= bytes(ffi.buffer(data[0], n[0])) == bytes(range(256))
            ffi.memmove(data[0], IN["luts"][dim].tobytes(), 256)
        src = pic(1, 48, 20, 48, 20, IN["nv"], 48 * 30)
        dst = pic(1, 48, 20, 48, 20, None, 48 * 30)
        ok(lib.acldvppVpcEqualizeHistAsync(CH, src, dst, m, S))
        sync()
        OUT["nv"] = read(dst)
        ok(lib.acldvppDestroyLutMap(m))
    """, {"nv": nv, "luts": luts})
    assert res["dims"] == 3 and res["identity"]
    got = res["nv"].reshape(h * 3 // 2, w)
    assert np.array_equal(got[:h], luts[0][nv[:h]])
    assert np.array_equal(got[h:, 0::2], luts[1][nv[h:, 0::2]])
    assert np.array_equal(got[h:, 1::2], luts[2][nv[h:, 1::2]])


@pytest.mark.parametrize("size", [(64, 48), (100, 38), (20, 12)])
def test_pyr_down_gaussian_5x5(size: Any) -> None:
    w, h = size
    img = np.random.default_rng(w).integers(0, 256, (h, w), dtype=np.uint8)
    ws, ows, ohs = max(32, stride16(w)), max(32, stride16(w // 2)), (h // 2 + 1) // 2 * 2  # VPC's stride rules
    res = run_ops("""
        w, h, ws, ows, ohs = %d, %d, %d, %d, %d
        src = pic(0, w, h, ws, h, np.pad(IN["img"], ((0, 0), (0, ws - w))), ws * h)
        dst = pic(0, w // 2, h // 2, ows, ohs, None, ows * ohs)
        ok(lib.acldvppVpcPyrDownAsync(CH, src, dst, ffi.NULL, S))
        sync()
        OUT["out"] = read(dst)
    """ % (w, h, ws, ows, ohs), {"img": img})
    got = res["out"].reshape(ohs, ows)[:h // 2, :w // 2]
    assert np.array_equal(got, pyr_down_reference(img))  # exact: integer kernel, round half up


def test_batch_crop_resize_make_border_is_crop_resize_then_make_border() -> None:
    rng = np.random.default_rng(17)
    nv = rng.integers(0, 256, (240 * 3 // 2, 320), dtype=np.uint8)
    res = run_ops("""
        borders = [border(2, 4, 6, 8, 0, (16, 128, 128)), border(4, 4, 4, 4, 1), border(2, 2, 2, 2, 2),
                   border(6, 2, 0, 10, 3)]
        rois = [lib.acldvppCreateRoiConfig(*r) for r in ((0, 63, 0, 47), (32, 191, 16, 127), (100, 299, 100, 199),
                                                        (10, 109, 20, 79))]
        resize = lib.acldvppCreateResizeConfig()
        ok(lib.acldvppSetResizeConfigInterpolation(resize, 1))
        sb, db = lib.acldvppCreateBatchPicDesc(1), lib.acldvppCreateBatchPicDesc(4)
        src_mem = ffi.new("void **")
        ok(lib.acldvppMalloc(src_mem, 320 * 360))
        ok(lib.aclrtMemcpy(src_mem[0], 320 * 360, ffi.from_buffer(IN["nv"]), 320 * 360, 1))
        sd = lib.acldvppGetPicDesc(sb, 0)
        for fn, v in ((lib.acldvppSetPicDescData, src_mem[0]), (lib.acldvppSetPicDescSize, 320 * 360),
                      (lib.acldvppSetPicDescFormat, 1), (lib.acldvppSetPicDescWidth, 320),
                      (lib.acldvppSetPicDescHeight, 240), (lib.acldvppSetPicDescWidthStride, 320),
                      (lib.acldvppSetPicDescHeightStride, 240)):
            ok(fn(sd, v))
        outs = []
        for k in range(4):
            p = ffi.new("void **")
            ok(lib.acldvppMalloc(p, 128 * 96 * 3 // 2))
            ok(lib.aclrtMemset(p[0], 128 * 96 * 3 // 2, 0, 128 * 96 * 3 // 2))
            d = lib.acldvppGetPicDesc(db, k)
            for fn, v in ((lib.acldvppSetPicDescData, p[0]), (lib.acldvppSetPicDescSize, 128 * 96 * 3 // 2),
                          (lib.acldvppSetPicDescFormat, 1), (lib.acldvppSetPicDescWidth, 112),
                          (lib.acldvppSetPicDescHeight, 96), (lib.acldvppSetPicDescWidthStride, 128),
                          (lib.acldvppSetPicDescHeightStride, 96)):
                ok(fn(d, v))
            outs.append((p[0], d))
        nums = ffi.new("uint32_t[1]", [4])
        ok(lib.acldvppVpcBatchCropResizeMakeBorderAsync(CH, sb, nums, 1, db, ffi.new("acldvppRoiConfig *[4]", rois),
                                                        ffi.new("acldvppBorderConfig *[4]", borders), resize, S))
        sync()
        # the same through the single calls: crop-resize to the inner size, then make the border
        for k in range(4):
            t, b_, l, r = (lib.acldvppGetBorderConfigTop(borders[k]), lib.acldvppGetBorderConfigBottom(borders[k]),
                           lib.acldvppGetBorderConfigLeft(borders[k]), lib.acldvppGetBorderConfigRight(borders[k]))
            iw, ih = 112 - l - r, 96 - t - b_
            mid = pic(1, iw, ih, (iw + 15) // 16 * 16, ih, None, (iw + 15) // 16 * 16 * ih * 3 // 2)
            ok(lib.acldvppVpcCropResizeAsync(CH, sd, mid, rois[k], resize, S))
            single = pic(1, 112, 96, 128, 96, None, 128 * 96 * 3 // 2)
            ok(lib.acldvppVpcMakeBorderAsync(CH, mid, single, borders[k], S))
            sync()
            OUT["single%d" % k] = read(single)
            OUT["batch%d" % k] = read(outs[k][1])
        # a border leaving less than 10x6 inside: refused
        big = border(50, 50, 0, 0, 0)
        INFO["too_big"] = lib.acldvppVpcBatchCropResizeMakeBorderAsync(
            CH, sb, nums, 1, db, ffi.new("acldvppRoiConfig *[4]", rois), ffi.new("acldvppBorderConfig *[4]",
            [big] * 4), resize, S)
        INFO["too_big_msg"] = msg()
        for b in borders + [big]:
            ok(lib.acldvppDestroyBorderConfig(b))
        for r in rois:
            ok(lib.acldvppDestroyRoiConfig(r))
        ok(lib.acldvppDestroyResizeConfig(resize))
        for p, _ in outs:
            ok(lib.acldvppFree(p))
        ok(lib.acldvppFree(src_mem[0]))
        ok(lib.acldvppDestroyBatchPicDesc(sb))
        ok(lib.acldvppDestroyBatchPicDesc(db))
    """, {"nv": nv})
    for k in range(4):
        assert np.array_equal(res["batch%d" % k], res["single%d" % k]), k
    assert res["too_big"] == INVALID_PARAM and "leave less than 10x6" in res["too_big_msg"]


LIMITS = """
R = {}
def rec(name, rc):
    R[name] = [int(rc), msg() or ""]
grey = pic(0, 64, 32, 64, 32, None, 64 * 32)
grey_out = pic(0, 80, 40, 80, 40, None, 80 * 40)
nv = pic(1, 64, 32, 64, 32, None, 64 * 48)
b = border(4, 4, 8, 8, 0)
rec("border-size-mismatch", lib.acldvppVpcMakeBorderAsync(CH, grey, nv, b, S))
rec("border-null-config", lib.acldvppVpcMakeBorderAsync(CH, grey, grey_out, ffi.NULL, S))
big = pic(1, 4160, 16, 4160, 16, None, 4160 * 24)
rec("border-input-too-wide", lib.acldvppVpcMakeBorderAsync(CH, big, grey_out, b, S))
rec("border-value-index", lib.acldvppSetBorderConfigValue(b, 4, 1.0))
rec("border-value-range", lib.acldvppSetBorderConfigValue(b, 0, 256.0))
rec("border-value-nan", lib.acldvppSetBorderConfigValue(b, 0, float("nan")))
rec("border-type", lib.acldvppSetBorderConfigBorderType(b, 4))
gone = lib.acldvppCreateBorderConfig()
ok(lib.acldvppDestroyBorderConfig(gone))
rec("border-destroyed", lib.acldvppVpcMakeBorderAsync(CH, grey, grey_out, gone, S))
rec("border-destroy-twice", lib.acldvppDestroyBorderConfig(gone))
m = lib.acldvppCreateLutMap()
sp444 = pic(5, 64, 32, 64, 32, None, 64 * 96)
rec("lut-format", lib.acldvppVpcEqualizeHistAsync(CH, sp444, sp444, m, S))
rec("lut-output-mismatch", lib.acldvppVpcEqualizeHistAsync(CH, nv, grey, m, S))
rec("lut-null", lib.acldvppVpcEqualizeHistAsync(CH, nv, nv, ffi.NULL, S))
data, n = ffi.new("uint8_t **"), ffi.new("uint32_t *")
rec("lut-dim", lib.acldvppGetLutMapData(m, 3, data, n))
rec("lut-data-null", lib.acldvppGetLutMapData(m, 0, ffi.NULL, n))
ok(lib.acldvppDestroyLutMap(m))
rec("lut-destroyed", lib.acldvppVpcEqualizeHistAsync(CH, nv, nv, m, S))
R["lut-dims-destroyed"] = [lib.acldvppGetLutMapDims(m), msg() or ""]
h = lib.acldvppCreateHist()
rgba = pic(16, 32, 16, 128, 16, None, 128 * 16)
rec("hist-reserve", lib.acldvppVpcCalcHistAsync(CH, nv, h, ffi.cast("void *", 8), S))
rec("hist-format", lib.acldvppVpcCalcHistAsync(CH, rgba, h, ffi.NULL, S))
rec("hist-null", lib.acldvppVpcCalcHistAsync(CH, nv, ffi.NULL, ffi.NULL, S))
ok(lib.acldvppDestroyHist(h))
rec("hist-destroyed", lib.acldvppVpcCalcHistAsync(CH, nv, h, ffi.NULL, S))
rec("hist-clear-destroyed", lib.acldvppClearHist(h))
small = pic(0, 18, 12, 32, 12, None, 32 * 12)
half = pic(0, 32, 16, 32, 16, None, 32 * 16)
rec("pyr-format", lib.acldvppVpcPyrDownAsync(CH, nv, half, ffi.NULL, S))
rec("pyr-too-small", lib.acldvppVpcPyrDownAsync(CH, small, half, ffi.NULL, S))
rec("pyr-not-half", lib.acldvppVpcPyrDownAsync(CH, grey, grey, ffi.NULL, S))
rec("pyr-reserve", lib.acldvppVpcPyrDownAsync(CH, grey, half, ffi.cast("void *", 8), S))
sb, db = lib.acldvppCreateBatchPicDesc(1), lib.acldvppCreateBatchPicDesc(1)
roi = lib.acldvppCreateRoiConfig(0, 31, 0, 15)
resize = lib.acldvppCreateResizeConfig()
nums = ffi.new("uint32_t[1]", [1])
rec("batch-borders-null", lib.acldvppVpcBatchCropResizeMakeBorderAsync(
    CH, sb, nums, 1, db, ffi.new("acldvppRoiConfig *[1]", [roi]), ffi.NULL, resize, S))
rec("batch-border-null", lib.acldvppVpcBatchCropResizeMakeBorderAsync(
    CH, sb, nums, 1, db, ffi.new("acldvppRoiConfig *[1]", [roi]), ffi.new("acldvppBorderConfig *[1]"), resize, S))
ok(lib.acldvppDestroyRoiConfig(roi))
ok(lib.acldvppDestroyResizeConfig(resize))
ok(lib.acldvppDestroyBatchPicDesc(sb))
ok(lib.acldvppDestroyBatchPicDesc(db))
ok(lib.acldvppDestroyBorderConfig(b))
sync()
INFO["R"] = R
"""

#: name: (code, fragment of the message)
LIMIT_ROWS = {
    "border-size-mismatch": (INVALID_PARAM, "with borders left 8, right 8, top 4, bottom 4 is 80x40"),
    "border-null-config": (INVALID_PARAM, "borderConfig is NULL"),
    "border-input-too-wide": (INVALID_PARAM, "outside 10x6..4096x4096"),
    "border-value-index": (INVALID_PARAM, "index 4"),
    "border-value-range": (INVALID_PARAM, "not a pixel value 0..255"),
    "border-value-nan": (INVALID_PARAM, "not a pixel value 0..255"),
    "border-type": (INVALID_PARAM, "border type 4"),
    "border-destroyed": (INVALID_HANDLE, "is not a live border configuration"),
    "border-destroy-twice": (INVALID_HANDLE, "is not a live border configuration"),
    "lut-format": (INVALID_PARAM, "YUV444SP is not remapped"),
    "lut-output-mismatch": (INVALID_PARAM, "must match inputDesc"),
    "lut-null": (INVALID_PARAM, "lutMap is NULL"),
    "lut-dim": (INVALID_PARAM, "dim 3: a LUT map has 3 dimensions"),
    "lut-data-null": (INVALID_PARAM, "data is NULL"),
    "lut-destroyed": (INVALID_HANDLE, "is not a live LUT map"),
    "lut-dims-destroyed": (0, "is not a live LUT map"),  # 0 dims, the message set
    "hist-reserve": (INVALID_PARAM, "reserve must be NULL"),
    "hist-format": (INVALID_PARAM, "RGBA8888 has no histogram"),
    "hist-null": (INVALID_PARAM, "hist is NULL"),
    "hist-destroyed": (INVALID_HANDLE, "is not a live histogram"),
    "hist-clear-destroyed": (INVALID_HANDLE, "is not a live histogram"),
    "pyr-format": (INVALID_PARAM, "YUV400 only"),
    "pyr-too-small": (INVALID_PARAM, "18x12 is outside 20x12..2048x2048"),
    "pyr-not-half": (INVALID_PARAM, "half of the input 64x32 is 32x16"),
    "pyr-reserve": (INVALID_PARAM, "reserve must be NULL"),
    "batch-borders-null": (INVALID_PARAM, "borderCfgs is NULL"),
    "batch-border-null": (INVALID_PARAM, "borderCfgs[0] is NULL"),
}


def test_limits_and_misuse_codes_and_messages() -> None:
    got = run_ops(LIMITS)["R"]
    assert set(got) == set(LIMIT_ROWS)
    for name, (code, fragment) in LIMIT_ROWS.items():
        rc, message = got[name]
        assert rc == code, (name, rc, message)
        assert fragment in message, (name, message)


SOC_CALLS = """
grey = pic(0, 64, 32, 64, 32, None, 64 * 32)
half = pic(0, 32, 16, 32, 16, None, 32 * 16)
out = pic(0, 80, 40, 80, 40, None, 80 * 40)
b = border(4, 4, 8, 8, 0)
m = lib.acldvppCreateLutMap()
h = lib.acldvppCreateHist()
R = {}
for name, call in (("border", lambda: lib.acldvppVpcMakeBorderAsync(CH, grey, out, b, S)),
                   ("lut", lambda: lib.acldvppVpcEqualizeHistAsync(CH, grey, grey, m, S)),
                   ("hist", lambda: lib.acldvppVpcCalcHistAsync(CH, grey, h, ffi.NULL, S)),
                   ("pyr", lambda: lib.acldvppVpcPyrDownAsync(CH, grey, half, ffi.NULL, S))):
    rc = call()
    R[name] = [int(rc), msg() or ""]
sync()
for fn, o in ((lib.acldvppDestroyBorderConfig, b), (lib.acldvppDestroyLutMap, m), (lib.acldvppDestroyHist, h)):
    ok(fn(o))
INFO["R"] = R
"""


@pytest.mark.parametrize("soc,working", [("Ascend310", ()), ("Ascend910", ()),
                                         ("Ascend910B1", ("border", "lut", "hist"))])
def test_where_the_operations_exist(soc: str, working: Any) -> None:
    got = run_ops(SOC_CALLS, soc=soc)["R"]
    for name, (rc, message) in got.items():
        if name in working:
            assert rc == SUCCESS, (name, message)
        else:
            assert rc == FEATURE_UNSUPPORTED, (name, rc, message)
            assert ("Ascend310P only" if name == "pyr" else "Ascend310P and newer") in message


PYACL_PROGRAM = """
import json, os
import numpy as np
import acllite
import acllite.pyacl as acl

def check(ret, what):
    assert ret == 0, "%s: %d %s" % (what, ret, acl.get_recent_err_msg())

check(acl.init(), "init")
check(acl.rt.set_device(0), "set_device")
stream, ret = acl.rt.create_stream()
check(ret, "create_stream")
chan = acl.media.dvpp_create_channel_desc()
check(acl.media.dvpp_create_channel(chan), "create_channel")
img = (np.arange(64 * 16) % 251).astype(np.uint8).reshape(16, 64)
buffers = []

def picture(w, h, data=None):
    size = w * h
    ptr, ret = acl.media.dvpp_malloc(size)
    check(ret, "dvpp_malloc")
    host = np.zeros(size, np.uint8) if data is None else np.ascontiguousarray(data).ravel()
    check(acl.rt.memcpy(ptr, size, acl.util.numpy_to_ptr(host), size, 1), "memcpy")
    d = acl.media.dvpp_create_pic_desc()
    for fn, v in ((acl.media.dvpp_set_pic_desc_data, ptr), (acl.media.dvpp_set_pic_desc_size, size),
                  (acl.media.dvpp_set_pic_desc_format, 0), (acl.media.dvpp_set_pic_desc_width, w),
                  (acl.media.dvpp_set_pic_desc_height, h), (acl.media.dvpp_set_pic_desc_width_stride, w),
                  (acl.media.dvpp_set_pic_desc_height_stride, h)):
        check(fn(d, v), fn.__name__)
    buffers.append((ptr, d))
    return d, ptr, size

def read(ptr, size):
    out = np.zeros(size, np.uint8)
    check(acl.rt.memcpy(acl.util.numpy_to_ptr(out), size, ptr, size, 2), "memcpy back")
    return out

res = {}
src, _, _ = picture(64, 16, img)
b = acl.media.dvpp_create_border_config()
for fn, v in ((acl.media.dvpp_set_border_config_top, 2), (acl.media.dvpp_set_border_config_bottom, 2),
              (acl.media.dvpp_set_border_config_left, 16), (acl.media.dvpp_set_border_config_right, 0),
              (acl.media.dvpp_set_border_config_border_type, 1)):
    check(fn(b, v), fn.__name__)
check(acl.media.dvpp_set_border_config_value(b, 0, 7.0), "set value")
res["value"] = acl.media.dvpp_get_border_config_value(b, 0)
res["sides"] = [acl.media.dvpp_get_border_config_top(b), acl.media.dvpp_get_border_config_left(b),
                acl.media.dvpp_get_border_config_border_type(b)]
dst, dptr, dsize = picture(80, 20)
check(acl.media.dvpp_vpc_make_border_async(chan, src, dst, b, stream), "make_border")
hist = acl.media.dvpp_create_hist()
check(acl.media.dvpp_vpc_calc_hist_async(chan, src, hist, 0, stream), "calc_hist")
lut = acl.media.dvpp_create_lut_map()
res["lut_dims"] = acl.media.dvpp_get_lut_map_dims(lut)
lptr, llen, ret = acl.media.dvpp_get_lut_map_data(lut, 0)
check(ret, "get_lut_map_data")
table = (255 - np.arange(256)).astype(np.uint8)
check(acl.rt.memcpy(lptr, llen, acl.util.numpy_to_ptr(table), 256, 0), "write the LUT")
inv, iptr, isize = picture(64, 16)
check(acl.media.dvpp_vpc_equalize_hist_async(chan, src, inv, lut, stream), "equalize_hist")
half, hptr, hsize = picture(32, 8)
check(acl.media.dvpp_vpc_pyr_down_async(chan, src, half, 0, stream), "pyr_down")
check(acl.rt.synchronize_stream(stream), "synchronize")
res["border"] = read(dptr, dsize).tolist()
res["hist_dims"] = acl.media.dvpp_get_hist_dims(hist)
hdata, hlen, ret = acl.media.dvpp_get_hist_data(hist, 0)
check(ret, "get_hist_data")
res["hist"] = acl.util.ptr_to_numpy(hdata, (hlen,), 6).tolist()
res["hist_ret"] = acl.media.dvpp_get_hist_ret_code(hist)
res["inverted"] = read(iptr, isize).tolist()
res["half"] = read(hptr, hsize).tolist()
check(acl.media.dvpp_clear_hist(hist), "clear_hist")
check(acl.media.dvpp_destroy_hist(hist), "destroy_hist")
check(acl.media.dvpp_destroy_lut_map(lut), "destroy_lut_map")
check(acl.media.dvpp_destroy_border_config(b), "destroy_border_config")
for ptr, d in buffers:
    check(acl.media.dvpp_free(ptr), "dvpp_free")
    check(acl.media.dvpp_destroy_pic_desc(d), "destroy_pic_desc")
check(acl.media.dvpp_destroy_channel(chan), "destroy_channel")
check(acl.media.dvpp_destroy_channel_desc(chan), "destroy_channel_desc")
check(acl.rt.destroy_stream(stream), "destroy_stream")
check(acl.rt.reset_device(0), "reset_device")
check(acl.finalize(), "finalize")
res["leaks"] = acllite.emulator_leak_report()
print(json.dumps(res))
"""


def test_pyacl_functions_on_the_emulator() -> None:
    """The acl.media functions of the objects and operations, pyACL's return conventions, in a pyACL program."""
    res = json.loads(run_python_ok(PYACL_PROGRAM, env={"ACLLITE_EMU_SOC": "Ascend310P3"}).strip().splitlines()[-1])
    img = (np.arange(64 * 16) % 251).astype(np.uint8).reshape(16, 64)
    assert res["value"] == 7.0 and res["sides"] == [2, 16, 1] and res["lut_dims"] == 3 and res["hist_dims"] == 3
    assert np.array_equal(np.array(res["border"], np.uint8).reshape(20, 80), pad_plane(img, 2, 2, 16, 0, 1, 0))
    assert res["hist"] == np.bincount(img.ravel(), minlength=256).tolist() and res["hist_ret"] == 0
    assert np.array_equal(np.array(res["inverted"], np.uint8).reshape(16, 64), 255 - img)
    assert np.array_equal(np.array(res["half"], np.uint8).reshape(8, 32), pyr_down_reference(img))
    assert not any(res["leaks"].values())


PROCESSOR_PROGRAM = """
import json, os
import numpy as np
import acllite
from acllite.dvpp import BORDER_REFLECT_101, BORDER_CONSTANT, ImageProcessor
from acllite.image import Image, PixelFormat

IN = dict(np.load(os.environ["VPCOPS_IN"]))
OUT = {}
with acllite.init(), acllite.Device(0) as dev, ImageProcessor(dev) as proc:
    grey = Image.from_numpy(IN["grey"], PixelFormat.YUV400)
    nv = Image.from_numpy(IN["nv"], PixelFormat.NV12)
    rgb = Image.from_numpy(IN["rgb"], PixelFormat.RGB888)
    for name, img in (("border_grey", proc.make_border(grey, 3, 5, 7, 9, BORDER_REFLECT_101)),
                      ("border_nv", proc.make_border(nv, 2, 4, 6, 8, BORDER_CONSTANT, (16, 128, 200))),
                      ("equalized_grey", proc.equalize_hist(grey)),
                      ("equalized_rgb", proc.equalize_hist(rgb)),
                      ("pyr", proc.pyr_down(grey))):
        OUT[name] = img.to_numpy()
        OUT[name + "_size"] = np.array([img.width, img.height])
        img.close()
    OUT["hist_nv"] = proc.calc_hist(nv)
    try:
        proc.pyr_down(nv)
    except ValueError as e:
        OUT["pyr_nv_error"] = np.array([str(e)])
    for img in (grey, nv, rgb):
        img.close()
OUT["leaks"] = np.array(sorted(k for k, v in acllite.emulator_leak_report().items() if v))
np.savez(os.environ["VPCOPS_OUT"], **OUT)
"""


def test_image_processor_methods() -> None:
    rng = np.random.default_rng(23)
    grey = rng.integers(40, 160, (36, 50), dtype=np.uint8)  # a narrow range: equalisation spreads it
    nv = rng.integers(0, 256, (24 * 3 // 2, 32), dtype=np.uint8)
    rgb = rng.integers(0, 120, (20, 16, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        inp, outp = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(inp, grey=grey, nv=nv, rgb=rgb)
        run_python_ok(PROCESSOR_PROGRAM, env={"ACLLITE_EMU_SOC": "Ascend310P3", "VPCOPS_IN": inp,
                                              "VPCOPS_OUT": outp}, timeout=120)
        with np.load(outp) as z:
            out = {k: z[k] for k in z.files}
    assert out["leaks"].size == 0, out["leaks"]
    assert out["border_grey_size"].tolist() == [50 + 16, 36 + 8]
    assert np.array_equal(out["border_grey"], pad_plane(grey, 3, 5, 7, 9, 3, 0))
    assert out["border_nv_size"].tolist() == [32 + 14, 24 + 6]
    bn = out["border_nv"].reshape(-1)
    ow, oh = 46, 30
    y, uv = bn[:ow * oh].reshape(oh, ow), bn[ow * oh:].reshape(oh // 2, ow)
    assert np.array_equal(y, pad_plane(nv[:24], 2, 4, 6, 8, 0, 16))
    assert np.array_equal(uv[:, 0::2], pad_plane(nv[24:, 0::2], 1, 2, 3, 4, 0, 128))
    assert np.array_equal(uv[:, 1::2], pad_plane(nv[24:, 1::2], 1, 2, 3, 4, 0, 200))
    assert np.array_equal(out["equalized_grey"], equalize_reference(grey))
    eq = out["equalized_rgb"].reshape(20, 16, 3)
    for c in range(3):
        assert np.array_equal(eq[..., c], equalize_reference(rgb[..., c])), c
    assert np.array_equal(out["pyr"], pyr_down_reference(grey))
    hist = out["hist_nv"]
    assert hist.shape == (3, 256) and hist.dtype == np.uint32
    for dim, plane in enumerate((nv[:24], nv[24:, 0::2], nv[24:, 1::2])):
        assert np.array_equal(hist[dim], np.bincount(plane.ravel(), minlength=256)), dim
    assert "YUV400" in str(out["pyr_nv_error"][0])


def test_objects_left_alive_are_counted_and_released_at_finalize() -> None:
    """A border configuration, LUT map and histogram never destroyed: counted in dvppDescs by aclFinalize (which
    releases them)."""
    out = run_python_ok(child("""
        import json
        import acllite
        ok(lib.aclInit(ffi.NULL))
        objs = [lib.acldvppCreateBorderConfig(), lib.acldvppCreateLutMap(), lib.acldvppCreateHist()]
        assert all(o != ffi.NULL for o in objs)
        live = acllite.emulator_live_counts()["dvppDescs"]
        ok(lib.aclFinalize())
        print(json.dumps({"live": live, "leaks": acllite.emulator_leak_report()}))
    """), env={"ACLLITE_EMU_SOC": "Ascend310"})
    res = json.loads(out.strip().splitlines()[-1])
    assert res["leaks"]["dvppDescs"] == 3
    assert sum(res["leaks"].values()) == 3 and res["live"] == 3
