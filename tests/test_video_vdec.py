"""VDEC and VENC on the emulator through the raw API, against PyAV's own decode of clips the tests encode.

Decoded pictures: Y identical to PyAV's, chroma identical too (the emulator copies FFmpeg's planes; 10-bit samples
rounded to 8 bits the same way in both); limits and misuse with their codes and messages; leak reports empty
after channels destroyed with frames in flight; the callback thread in every order of unsubscribing."""

from __future__ import annotations

import threading
import time
from typing import Any, List, Optional, Tuple

import numpy as np
import pytest

from conftest import IS_EMULATOR, ReportThread, expect_error, leak_report, ok, recent_message
import video_clips as vc

from acllite._native import ffi, lib

pytestmark = pytest.mark.skipif(not IS_EMULATOR, reason="needs the emulator backend")

NOPIC, FAILED, NOT_SUPPORT, BUF_SMALL = 0x20000, 1, 0xA0058008, 0xA0058013


class Channel:
    """A VDEC channel with its report thread; frames sent with an output of the stream's size (or given)."""

    def __init__(self, codec: str = "h264", reporter: Optional[ReportThread] = None, channel_id: int = 0,
                 out_format: int = 1, out_mode: int = 0):
        self.reporter = reporter or ReportThread()
        self.reporter.start_processing()
        self.got: List[Tuple[int, int, int, int, int, int, int, Optional[np.ndarray], bool]] = []
        self.cb = ffi.callback("aclvdecCallback", self._on_frame)
        self.desc = lib.aclvdecCreateChannelDesc()
        ok(lib.aclvdecSetChannelDescChannelId(self.desc, channel_id))
        ok(lib.aclvdecSetChannelDescThreadId(self.desc, self.reporter.ident))
        ok(lib.aclvdecSetChannelDescCallback(self.desc, self.cb))
        ok(lib.aclvdecSetChannelDescEnType(self.desc, 0 if codec == "hevc" else 3))
        ok(lib.aclvdecSetChannelDescOutPicFormat(self.desc, out_format))
        ok(lib.aclvdecSetChannelDescOutMode(self.desc, out_mode))
        self.keep: List[Any] = []
        self.created = False

    def create(self) -> "Channel":
        ok(lib.aclvdecCreateChannel(self.desc), "aclvdecCreateChannel")
        self.created = True
        return self

    def _on_frame(self, inp: Any, out: Any, ud: Any) -> None:
        ident = int(ffi.cast("intptr_t", ud))
        if out == ffi.NULL:
            self.got.append((ident, -1, 0, 0, 0, 0, 0, None, threading.get_ident() == self.reporter.ident))
            return
        rc = lib.acldvppGetPicDescRetCode(out)
        w, h = lib.acldvppGetPicDescWidth(out), lib.acldvppGetPicDescHeight(out)
        ws, hs = lib.acldvppGetPicDescWidthStride(out), lib.acldvppGetPicDescHeightStride(out)
        size = lib.acldvppGetPicDescSize(out)
        buf = None
        if rc == 0:
            buf = np.empty(size, np.uint8)
            ok(lib.aclrtMemcpy(ffi.from_buffer(buf), size, lib.acldvppGetPicDescData(out), size, 2))
        self.got.append((ident, rc, w, h, ws, hs, size, buf, threading.get_ident() == self.reporter.ident))

    def stream_desc(self, unit: bytes, eos: int = 0) -> Any:
        sd = lib.acldvppCreateStreamDesc()
        if unit:
            p = ffi.new("void **")
            ok(lib.acldvppMalloc(p, len(unit)))
            ok(lib.aclrtMemcpy(p[0], len(unit), ffi.from_buffer(unit), len(unit), 1))
            ok(lib.acldvppSetStreamDescData(sd, p[0]))
            ok(lib.acldvppSetStreamDescSize(sd, len(unit)))
            self.keep.append(("dvpp", p[0]))
        ok(lib.acldvppSetStreamDescEos(sd, eos))
        self.keep.append(("stream", sd))
        return sd

    def pic_desc(self, size: int, fmt: int = 1, geometry: Tuple[int, int, int, int] = (0, 0, 0, 0)) -> Any:
        p = ffi.new("void **")
        ok(lib.acldvppMalloc(p, size))
        pd = lib.acldvppCreatePicDesc()
        ok(lib.acldvppSetPicDescData(pd, p[0]))
        ok(lib.acldvppSetPicDescSize(pd, size))
        ok(lib.acldvppSetPicDescFormat(pd, fmt))
        w, h, ws, hs = geometry
        for fn, v in ((lib.acldvppSetPicDescWidth, w), (lib.acldvppSetPicDescHeight, h),
                      (lib.acldvppSetPicDescWidthStride, ws), (lib.acldvppSetPicDescHeightStride, hs)):
            ok(fn(pd, v))
        self.keep += [("dvpp", p[0]), ("pic", pd)]
        return pd

    def send(self, unit: bytes, size: int, ident: int, skip: bool = False, **kw: Any) -> int:
        sd = self.stream_desc(unit)
        if skip:
            return lib.aclvdecSendSkippedFrame(self.desc, sd, ffi.NULL, ffi.cast("void *", ident))
        return lib.aclvdecSendFrame(self.desc, sd, self.pic_desc(size, **kw), ffi.NULL, ffi.cast("void *", ident))

    def eos(self) -> int:
        return lib.aclvdecSendFrame(self.desc, self.stream_desc(b"", 1), ffi.NULL, ffi.NULL, ffi.NULL)

    def close(self, stop_reporter: bool = True) -> None:
        if self.created:
            ok(lib.aclvdecDestroyChannel(self.desc), "aclvdecDestroyChannel")
            self.created = False
        if stop_reporter:
            self.reporter.stop()
        ok(lib.aclvdecDestroyChannelDesc(self.desc))
        self.release()

    def release(self) -> None:
        for kind, h in self.keep:
            if kind == "dvpp":
                lib.acldvppFree(h)
            elif kind == "stream":
                lib.acldvppDestroyStreamDesc(h)
            else:
                lib.acldvppDestroyPicDesc(h)
        self.keep.clear()


def nv12_planes(buf: np.ndarray, w: int, h: int, ws: int, hs: int, nv21: bool = False) -> Tuple[np.ndarray, ...]:
    y = buf[: ws * h].reshape(h, ws)[:, :w]
    uv = buf[ws * hs: ws * hs + ws * h // 2].reshape(h // 2, ws)[:, :w]
    u, v = (uv[:, 1::2], uv[:, 0::2]) if nv21 else (uv[:, 0::2], uv[:, 1::2])
    return y, u, v


def decode_all(codec: str, units: List[bytes], w: int, h: int, **kw: Any) -> Channel:
    ch = Channel(codec, **kw).create()
    size = max(vc_align(w, 16), 32) * vc_align(h, 2) * 3 // 2
    for i, u in enumerate(units):
        ok(ch.send(u, size, i), "aclvdecSendFrame %d" % i)
    ok(ch.eos(), "end of stream")
    return ch


def vc_align(v: int, a: int) -> int:
    return (v + a - 1) // a * a


def check_against_reference(ch: Channel, ref: List[Tuple[np.ndarray, ...]], w: int, h: int) -> None:
    assert len(ch.got) == len(ref)
    for k, (ident, rc, gw, gh, ws, hs, size, buf, on_thread) in enumerate(ch.got):
        assert on_thread, "callback ran outside the report thread"
        assert rc == 0, (k, hex(rc))
        assert (gw, gh, ws, hs) == (w, h, max(vc_align(w, 16), 32), vc_align(h, 2))
        assert size == ws * hs * 3 // 2
        y, u, v = nv12_planes(buf, w, h, ws, hs)
        ry, ru, rv = ref[k]
        assert np.array_equal(y, ry), "Y of frame %d" % k
        assert np.abs(u.astype(int) - ru).max() <= 1 and np.abs(v.astype(int) - rv).max() <= 1


@pytest.mark.parametrize("codec,w,h,frames,bframes", [
    ("h264", 320, 240, 14, 2),      # B-frames: display order differs from decoding order
    ("h264", 202, 130, 6, 0),       # sizes not multiples of 16 (width stride 208, height stride 130)
    ("hevc", 352, 288, 8, 2),
    ("hevc", 258, 146, 4, 0),
])
def test_decode_matches_pyav(acl: Any, codec: str, w: int, h: int, frames: int, bframes: int) -> None:
    units = vc.access_units(vc.encode(codec, w, h, frames, bframes), codec)
    ref = vc.reference(units, codec)
    ch = decode_all(codec, units, w, h)
    try:
        check_against_reference(ch, ref, w, h)
        # callbacks come in display order, each with its own frame's user data
        shown = [g[0] for g in ch.got]
        assert sorted(shown) == list(range(len(units)))
        if bframes:
            assert shown != sorted(shown)
    finally:
        ch.close()


def test_decode_10bit_hevc_and_4k(acl: Any) -> None:
    units = vc.access_units(vc.encode("hevc", 256, 144, 3, 0, pix_fmt="yuv420p10le"), "hevc")
    ch = decode_all("hevc", units, 256, 144)
    try:
        check_against_reference(ch, vc.reference(units, "hevc"), 256, 144)
    finally:
        ch.close()
    units = vc.access_units(vc.encode("h264", 4096, 2160, 2, 0), "h264")
    ch = decode_all("h264", units, 4096, 2160)
    try:
        check_against_reference(ch, vc.reference(units, "h264"), 4096, 2160)
    finally:
        ch.close()


def test_nv21_scaling_and_skipped_frames(acl: Any) -> None:
    units = vc.access_units(vc.encode("h264", 320, 240, 6, 0), "h264")
    ref = vc.reference(units, "h264")
    ch = Channel("h264", out_format=2).create()
    try:
        ok(ch.send(units[0], 320 * 240 * 3 // 2, 0, fmt=0))  # format not set: the channel's (NV21)
        ok(ch.send(units[1], 320 * 240 * 3 // 2, 1, skip=True))
        ok(ch.send(units[2], 160 * 120 * 3 // 2, 2, fmt=2, geometry=(160, 120, 160, 120)))  # VDEC's VPC scales
        ok(ch.eos())
        by = {g[0]: g for g in ch.got}
        y, u, v = nv12_planes(by[0][7], 320, 240, 320, 240, nv21=True)
        assert np.array_equal(y, ref[0][0]) and np.array_equal(u, ref[0][1]) and np.array_equal(v, ref[0][2])
        assert by[1][1] == -1  # skipped: output NULL in the callback
        ident, rc, w, h, ws, hs, size, buf, _ = by[2]
        assert (rc, w, h, ws, hs) == (0, 160, 120, 160, 120)
        small, _, _ = nv12_planes(buf, 160, 120, 160, 120, nv21=True)
        expect = ref[2][0].reshape(120, 2, 160, 2).astype(np.float64).mean(axis=(1, 3))  # 2:1 bilinear: 2x2 mean
        assert np.abs(small.astype(np.float64) - expect).max() <= 1
    finally:
        ch.close()


def test_corrupt_frame_keeps_the_channel_working(acl: Any, emu_log: Any) -> None:
    units = vc.access_units(vc.encode("h264", 320, 240, 10, 0), "h264")
    ref = vc.reference(units, "h264")
    bad = list(units)
    bad[5] = b"\x00\x00\x00\x01" + bytes(300)  # not a slice the decoder can take
    ch = decode_all("h264", bad, 320, 240)
    try:
        results = {g[0]: g for g in ch.got}
        assert len(results) == 10
        assert results[5][1] in (FAILED, NOPIC)
        for k in (0, 1, 2, 3, 4):  # before: decoded exactly
            assert results[k][1] == 0 and np.array_equal(nv12_planes(results[k][7], 320, 240, 320, 240)[0], ref[k][0])
        assert all(results[k][1] == 0 for k in range(6, 10))  # after: the channel goes on
        assert any("frame 5" in m for m in emu_log.warnings())
    finally:
        ch.close()


def test_unsupported_streams_and_small_buffers(acl: Any) -> None:
    units = vc.access_units(vc.encode("h264", 128, 128, 2, 0, pix_fmt="yuv420p", options={"profile": "high"}))
    ch = Channel("h264").create()
    try:
        ok(ch.send(units[0], 100, 0))  # far too small for 128x128 (size known at decode time)
        ok(ch.eos())
        assert ch.got[0][1] == BUF_SMALL
    finally:
        ch.close()
    ten = vc.access_units(vc.encode("h264", 128, 128, 1, 0, pix_fmt="yuv420p10le"))  # High 10: not on VDEC
    ch = decode_all("h264", ten, 128, 128)
    try:
        assert ch.got[0][1] == NOT_SUPPORT
    finally:
        ch.close()
    tiny = vc.access_units(vc.encode("h264", 96, 96, 1, 0))  # below 128x128
    ch = decode_all("h264", tiny, 96, 96)
    try:
        assert ch.got[0][1] == NOT_SUPPORT
    finally:
        ch.close()


def test_misuse_codes_and_messages(acl: Any) -> None:
    ch = Channel("h264")
    try:
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "not created", ch.send, b"\0\0\0\1", 100, 0,
                     func="aclvdecSendFrame")
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "[0, 31]", lib.aclvdecSetChannelDescChannelId, ch.desc, 32)
        expect_error(lib.ACL_ERROR_FEATURE_UNSUPPORTED, "reference-frame",
                     lib.aclvdecSetChannelDescRefFrameNum, ch.desc, 4)
        expect_error(lib.ACL_ERROR_FEATURE_UNSUPPORTED, "colour-conversion", lib.aclvdecSetChannelDescParam, ch.desc,
                     lib.ACL_VDEC_CSC_MATRIX_UINT32, 4, ffi.new("uint32_t *", 1))
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "takes 8 bytes", lib.aclvdecSetChannelDescParam, ch.desc,
                     lib.ACL_VDEC_THREAD_ID_UINT64, 4, ffi.new("uint64_t *", 1))
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "NV12 (1) or NV21 (2)", lib.aclvdecSetChannelDescOutPicFormat,
                     ch.desc, 12)
        ch.create()
        other = Channel("h264", reporter=ch.reporter)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "in use", lib.aclvdecCreateChannel, other.desc)
        ok(lib.aclvdecDestroyChannelDesc(other.desc))
        unit = vc.access_units(vc.encode("h264", 320, 240, 1, 0))[0]
        send = "aclvdecSendFrame"
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "set all four",
                     lambda: ch.send(unit, 320 * 240 * 2, 1, geometry=(320, 240, 0, 0)), func=send)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "too small",
                     lambda: ch.send(unit, 1000, 1, geometry=(320, 240, 320, 240)), func=send)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "width stride",
                     lambda: ch.send(unit, 999999, 1, geometry=(320, 240, 328, 240)), func=send)
        empty = ch.stream_desc(b"")
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "without eos", lib.aclvdecSendFrame, ch.desc, empty,
                     ch.pic_desc(1000), ffi.NULL, ffi.NULL)
        # host memory is not DVPP memory
        host = np.zeros(320 * 240 * 3 // 2, np.uint8)
        pd = lib.acldvppCreatePicDesc()
        ok(lib.acldvppSetPicDescData(pd, ffi.from_buffer(host)))
        ok(lib.acldvppSetPicDescSize(pd, host.size))
        ch.keep.append(("pic", pd))
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "acldvppMalloc", lib.aclvdecSendFrame, ch.desc,
                     ch.stream_desc(unit), pd, ffi.NULL, ffi.NULL)
        ok(ch.eos())
    finally:
        ch.close()
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "not a live", lib.aclvdecDestroyChannel, ch.desc)


def test_destroy_with_frames_in_flight_leaves_nothing(acl: Any) -> None:
    units = vc.access_units(vc.encode("h264", 320, 240, 12, 2), "h264")
    ch = Channel("h264").create()
    for i, u in enumerate(units):
        ok(ch.send(u, 320 * 240 * 3 // 2, i))
    ch.close()  # no end of stream: destroy drains the decoder and waits for every callback
    assert sorted(g[0] for g in ch.got) == list(range(12)) and all(g[1] == 0 for g in ch.got)
    ok(lib.aclrtResetDevice(0))
    assert not any(leak_report().values()), leak_report()
    ok(lib.aclrtSetDevice(0))


@pytest.mark.parametrize("order", ["destroy-then-stop", "stop-then-destroy", "user-stream-first",
                                   "user-stream-last", "destroy-on-report-thread"])
def test_report_thread_orders(acl: Any, order: str) -> None:
    units = vc.access_units(vc.encode("h264", 256, 144, 4, 0), "h264")
    reporter = ReportThread()
    user_stream = ffi.new("aclrtStream *")
    ok(lib.aclrtCreateStream(user_stream))
    ok(lib.aclrtSubscribeReport(reporter.ident, user_stream[0]))  # the thread also serves the program's stream
    ch = Channel("h264", reporter=reporter).create()
    size = 256 * 144 * 3 // 2
    for i, u in enumerate(units):
        ok(ch.send(u, size, i))
    started = time.monotonic()
    if order == "user-stream-first":
        ok(lib.aclrtUnSubscribeReport(reporter.ident, user_stream[0]))
    if order == "stop-then-destroy":
        reporter.stop()  # nobody runs the callbacks any more: destroy gives up waiting instead of hanging
        ch.close(stop_reporter=False)
        assert time.monotonic() - started < 10
    elif order == "destroy-on-report-thread":
        done: List[int] = []
        # the report thread itself destroys the channel: it runs the pending callbacks while it waits
        reporter.stop()
        t = threading.Thread(target=lambda: done.append(lib.aclvdecDestroyChannel(ch.desc)))
        t.start()
        t.join(10)
        ch.created = False
        ok(done[0])
        ch.close(stop_reporter=False)
    else:
        ch.close(stop_reporter=order != "destroy-then-stop")
        if order == "destroy-then-stop":
            reporter.stop()
        assert len(ch.got) == 4
    if order != "user-stream-first":
        ok(lib.aclrtUnSubscribeReport(reporter.ident, user_stream[0]))
    expect_error(lib.ACL_ERROR_STREAM_NOT_SUBSCRIBE, "not subscribed", lib.aclrtUnSubscribeReport, reporter.ident,
                 user_stream[0])
    ok(lib.aclrtDestroyStream(user_stream[0]))
    reporter.stop()
    assert reporter.unexpected in ([],) or all(rc == lib.ACL_ERROR_THREAD_NOT_SUBSCRIBE for rc, _ in
                                               reporter.unexpected)


def test_destroy_from_its_own_callback_is_refused(acl: Any) -> None:
    units = vc.access_units(vc.encode("h264", 256, 144, 2, 0), "h264")
    results: List[int] = []
    ch = Channel("h264")

    def inner(inp: Any, out: Any, ud: Any) -> None:
        results.append(lib.aclvdecDestroyChannel(ch.desc))
        results.append(lib.aclvdecSendFrame(ch.desc, ch.keep[-1][1] if False else eos, ffi.NULL, ffi.NULL, ffi.NULL))

    eos = ch.stream_desc(b"", 1)
    ch.cb = ffi.callback("aclvdecCallback", inner)
    ok(lib.aclvdecSetChannelDescCallback(ch.desc, ch.cb))
    ch.create()
    ok(ch.send(units[0], 256 * 144 * 3 // 2, 0))
    ok(ch.eos())
    assert results == [lib.ACL_ERROR_RT_STREAM_NOT_COMPLETE] * 2
    ch.close()


def test_without_pyav_the_channel_says_what_to_install(acl: Any) -> None:
    table = ffi.new("acllite_emu_video_codec *")
    lib.acllite_emu_set_video_codec(ffi.NULL)
    try:
        ch = Channel("h264")
        expect_error(lib.ACL_ERROR_API_NOT_SUPPORT, "acllite[video]", lib.aclvdecCreateChannel, ch.desc)
        ch.close()
    finally:
        from acllite.emulator import video

        assert table is not None
        video.register()


# ------------------------------------------------------------------------------------------------- VENC


def test_venc_round_trip(acl: Any) -> None:
    """VENC (libx264) encodes NV12 pictures; the stream decodes back through VDEC and through PyAV, above 35 dB."""
    w, h, n = 320, 240, 8
    reporter = ReportThread()
    reporter.start_processing()
    packets: List[Tuple[int, bytes, int]] = []

    def on_packet(pic: Any, stream: Any, ud: Any) -> None:
        size = lib.acldvppGetStreamDescSize(stream)
        host = np.empty(size, np.uint8)
        ok(lib.aclrtMemcpy(ffi.from_buffer(host), size, lib.acldvppGetStreamDescData(stream), size, 2))
        packets.append((int(ffi.cast("intptr_t", ud)), host.tobytes(), lib.acldvppGetStreamDescRetCode(stream)))

    cb = ffi.callback("aclvencCallback", on_packet)
    desc = lib.aclvencCreateChannelDesc()
    for fn, v in ((lib.aclvencSetChannelDescThreadId, reporter.ident), (lib.aclvencSetChannelDescCallback, cb),
                  (lib.aclvencSetChannelDescEnType, 2), (lib.aclvencSetChannelDescPicFormat, 1),
                  (lib.aclvencSetChannelDescPicWidth, w), (lib.aclvencSetChannelDescPicHeight, h),
                  (lib.aclvencSetChannelDescKeyFrameInterval, 4), (lib.aclvencSetChannelDescMaxBitRate, 4000)):
        ok(fn(desc, v))
    ok(lib.aclvencCreateChannel(desc))
    config = lib.aclvencCreateFrameConfig()
    bufs, pics, originals = [], [], []
    for i in range(n):
        y, u, v = vc.pattern(w, h, i)
        nv12 = np.concatenate([y.reshape(-1), np.stack([u, v], -1).reshape(-1)])
        originals.append(y)
        p = ffi.new("void **")
        ok(lib.acldvppMalloc(p, nv12.size))
        ok(lib.aclrtMemcpy(p[0], nv12.size, ffi.from_buffer(nv12), nv12.size, 1))
        pd = lib.acldvppCreatePicDesc()
        for fn, val in ((lib.acldvppSetPicDescData, p[0]), (lib.acldvppSetPicDescSize, nv12.size),
                        (lib.acldvppSetPicDescFormat, 1), (lib.acldvppSetPicDescWidth, w),
                        (lib.acldvppSetPicDescHeight, h), (lib.acldvppSetPicDescWidthStride, w),
                        (lib.acldvppSetPicDescHeightStride, h)):
            ok(fn(pd, val))
        ok(lib.aclvencSetFrameConfigForceIFrame(config, 1 if i == 5 else 0))
        ok(lib.aclvencSendFrame(desc, pd, ffi.NULL, config, ffi.cast("void *", i)))
        bufs.append(p[0])
        pics.append(pd)
    ok(lib.aclvencSetFrameConfigEos(config, 1))
    ok(lib.aclvencSendFrame(desc, ffi.NULL, ffi.NULL, config, ffi.NULL))
    ok(lib.aclvencDestroyChannel(desc))
    reporter.stop()
    for b, pd in zip(bufs, pics):
        lib.acldvppFree(b)
        lib.acldvppDestroyPicDesc(pd)
    ok(lib.aclvencDestroyFrameConfig(config))
    ok(lib.aclvencDestroyChannelDesc(desc))
    assert [p[0] for p in packets] == list(range(n)) and all(p[2] == 0 for p in packets)
    units = [p[1] for p in packets]
    ref = vc.reference(units, "h264")  # PyAV decodes VENC's stream
    assert len(ref) == n
    for k in range(n):
        mse = np.mean((ref[k][0].astype(np.float64) - originals[k]) ** 2)
        assert 10 * np.log10(255 ** 2 / max(mse, 1e-9)) > 35, k
    ch = decode_all("h264", units, w, h)  # and our VDEC gives PyAV's pictures
    try:
        check_against_reference(ch, ref, w, h)
    finally:
        ch.close()


def test_venc_limits(acl: Any) -> None:
    desc = lib.aclvencCreateChannelDesc()
    reporter = ReportThread()
    cb = ffi.callback("aclvencCallback", lambda *a: None)
    ok(lib.aclvencSetChannelDescThreadId(desc, reporter.ident))
    ok(lib.aclvencSetChannelDescCallback(desc, cb))
    ok(lib.aclvencSetChannelDescPicWidth(desc, 2048))  # Ascend310: 128..1920
    ok(lib.aclvencSetChannelDescPicHeight(desc, 1080))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "128x128..1920x1920", lib.aclvencCreateChannel, desc)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "0 (default), 1 (VBR) or 2 (CBR)", lib.aclvencSetChannelDescRcMode,
                 desc, 3)
    ok(lib.aclvencDestroyChannelDesc(desc))
    reporter.stop()
