"""Tests written for the survivors of the mutation runs over round two's code (docs/RELIABILITY.md, "Mutation
testing", the 2026-12-04 round-two run): each names the mutant it kills. The runner maps this file to every
round-two source (tests/mutation/targets.py)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from conftest import IS_EMULATOR, expect_error, ok

from acllite._native import ffi, lib

pytestmark = pytest.mark.skipif(not IS_EMULATOR, reason="needs the emulator backend")

INVALID_PARAM = 100000


@pytest.mark.parametrize("setter", ["aclvdecSetChannelDescOutPicWidth", "aclvdecSetChannelDescOutPicHeight"])
def test_vdec_largest_stream_size_is_0_or_within_128_to_the_soc_maximum(acl: Any, setter: str) -> None:
    """dvpp_vdec.c check_max_size: ``v < 128 || v > max`` (``&&`` accepts every value)."""
    fn = getattr(lib, setter)
    desc = lib.aclvdecCreateChannelDesc()
    try:
        for good in (0, 128, 4096):
            ok(fn(desc, good), "%s(%d)" % (setter, good))
        expect_error(INVALID_PARAM, "outside 128..4096", fn, desc, 127, func=setter)
        expect_error(INVALID_PARAM, "outside 128..4096", fn, desc, 4097, func=setter)
        assert getattr(lib, setter.replace("Set", "Get"))(desc) == 4096  # the refused values changed nothing
    finally:
        ok(lib.aclvdecDestroyChannelDesc(desc))


def _nal_types(unit: bytes, codec: str) -> list:
    """The NAL unit types of an Annex-B access unit (start codes of 3 or 4 bytes)."""
    out, i = [], unit.find(b"\0\0\1")
    while i >= 0:
        header = unit[i + 3]
        out.append((header >> 1) & 0x3F if codec == "h265" else header & 0x1F)
        i = unit.find(b"\0\0\1", i + 3)
    return out


@pytest.mark.parametrize("codec", ["h264", "h265"])
def test_venc_every_key_frame_carries_its_parameter_sets(codec: str) -> None:
    """acllite/emulator/video.py: the encoder options per codec (``if name == "libx264"`` negated gives x265 no
    repeat-headers: only its first key frame carried VPS/SPS/PPS, so a decoder joining later could not start)."""
    import numpy as np
    import video_clips as vc

    import acllite
    from acllite.image import Image, PixelFormat
    from acllite.video import VideoEncoder

    w, h = 128, 128
    # the random access pictures: IDR (H.264 5; H.265 19, 20) and H.265's CRA (21)
    params, idr = ({32, 33, 34}, {19, 20, 21}) if codec == "h265" else ({7, 8}, {5})
    with acllite.init(), acllite.Device(0) as dev:
        packets, pictures = [], []
        with VideoEncoder(dev, w, h, codec, key_frame_interval=3) as enc:
            for i in range(7):
                y, u, v = vc.pattern(w, h, i)
                nv12 = np.concatenate([y, np.stack([u, v], -1).reshape(h // 2, w)])
                pictures.append(Image.from_numpy(nv12, PixelFormat.NV12).copy_to("dvpp", dev))
                packets += enc.encode(pictures[-1])
            packets += enc.flush()
        for p in pictures:
            p.close()
    assert len(packets) == 7
    keys = [i for i, unit in enumerate(packets) if set(_nal_types(unit, codec)) & idr]
    assert keys[0] == 0 and len(keys) >= 3, keys  # every 3 frames (x264 restarts the interval at a scene cut)
    for i, unit in enumerate(packets):
        types = set(_nal_types(unit, codec))
        if types & idr:
            assert params <= types, (i, sorted(types))
        else:
            assert not types & params, (i, sorted(types))
    assert not any(acllite.emulator_leak_report().values())


def test_video_decoder_yields_frames_while_packets_still_come() -> None:
    """acllite/video.py VideoDecoder.decode: frames are yielded as they come back (the loop over ready() after each
    send), not all at the end of the stream (``for f in []`` kept every frame until flush)."""
    import time

    import video_clips as vc

    import acllite
    from acllite.video import VideoDecoder

    units = vc.access_units(vc.encode("h264", 160, 128, 8, 0))
    assert len(units) == 8
    consumed = []

    def packets():  # type: ignore[no-untyped-def]
        for i, u in enumerate(units):
            if i == 1:
                time.sleep(1.5)  # frame 0 is back by now (a 160x128 frame decodes in milliseconds)
            consumed.append(i)
            yield u

    with acllite.init(), acllite.Device(0) as dev:
        with VideoDecoder(dev, 160, 128, "h264") as dec:
            seen_at = []
            for f in dec.decode(packets()):
                seen_at.append(len(consumed))
                f.close()
    assert len(seen_at) == 8
    # frame 0 comes with the ready() after packet 1's send, not after the end of the stream
    assert seen_at[0] == 2, "frame 0 was not yielded while the packets still came: %s" % seen_at
    assert not any(acllite.emulator_leak_report().values())


UNINITIALIZE = 100001


def _settings_calls() -> list:
    """(name, call) of settings.c's and peer.c's entry points, each with valid arguments."""
    i32, u32, u64, i64 = ffi.new("int32_t *"), ffi.new("uint32_t *"), ffi.new("uint64_t *"), ffi.new("int64_t *")
    mode = ffi.new("aclrtFloatOverflowMode *")
    return [
        ("aclrtSetDeviceSatMode", lambda: lib.aclrtSetDeviceSatMode(0)),
        ("aclrtGetDeviceSatMode", lambda: lib.aclrtGetDeviceSatMode(mode)),
        ("aclrtSetOpWaitTimeout", lambda: lib.aclrtSetOpWaitTimeout(10)),
        ("aclrtSetOpExecuteTimeOut", lambda: lib.aclrtSetOpExecuteTimeOut(10)),
        ("aclrtSetOpExecuteTimeOutWithMs", lambda: lib.aclrtSetOpExecuteTimeOutWithMs(10)),
        ("aclrtSetOpExecuteTimeOutV2", lambda: lib.aclrtSetOpExecuteTimeOutV2(10, u64)),
        ("aclrtGetOpExecuteTimeout", lambda: lib.aclrtGetOpExecuteTimeout(u32)),
        ("aclrtGetOpTimeOutInterval", lambda: lib.aclrtGetOpTimeOutInterval(u64)),
        ("aclrtSetSysParamOpt", lambda: lib.aclrtSetSysParamOpt(0, 1)),
        ("aclrtGetSysParamOpt", lambda: lib.aclrtGetSysParamOpt(0, i64)),
        ("aclrtDeviceCanAccessPeer", lambda: lib.aclrtDeviceCanAccessPeer(i32, 0, 1)),
        ("aclrtDeviceEnablePeerAccess", lambda: lib.aclrtDeviceEnablePeerAccess(1, 0)),
        ("aclrtDeviceDisablePeerAccess", lambda: lib.aclrtDeviceDisablePeerAccess(1)),
        ("aclrtDevicePeerAccessStatus", lambda: lib.aclrtDevicePeerAccessStatus(0, 1, i32)),
    ]


def test_settings_and_peer_calls_need_acl_init(uninitialized: None) -> None:
    """settings.c, peer.c: every entry point refuses before aclInit with ACL_ERROR_UNINITIALIZE (the
    ``if (err) return err;`` after emu_require_init disabled let aclrtGetOpTimeOutInterval answer)."""
    for name, call in _settings_calls():
        expect_error(UNINITIALIZE, "aclInit", call, func=name)


def test_aipp_info_names_and_dims_of_both_shapes(acl: Any, tmp_path: Any) -> None:
    """acllite/emulator/engine.py _fill_dims: the input's name copied whole with its NUL (``len(raw) - 1`` cut the
    last character), the dims of the model's input and of AIPP's output, and their sizes."""
    import acllite
    from test_atc import _BASE, convert

    path = convert(tmp_path, _BASE % ("YUV420SP_U8", "csc_switch: true"))
    with acllite.Device(0) as dev, acllite.Model(path, dev) as m:
        (t,) = m.inputs
        info = ffi.new("aclAippInfo *")
        ok(lib.aclmdlGetFirstAippInfo(m.id, 0, info))
        out = info.outDims[0]
        for dims, shape in ((out.srcDims, t.shape), (out.aippOutdims, (1, 3, 8, 8))):
            assert ffi.string(dims.name).decode() == t.name and len(t.name) > 1
            assert list(dims.dims[0:dims.dimCount]) == list(shape)
        assert (info.srcDimNum, info.shapeCount, out.srcSize, out.aippOutSize) == (4, 1, t.nbytes, 4 * 3 * 8 * 8)


def test_extern_message_written_within_its_buffer() -> None:
    """acllite/emulator/_extern.py _write: at most size - 1 bytes and a NUL, nothing beyond ``size`` (size - 0
    wrote one byte past the buffer; size - 2 cut one more character; max(1, ...) wrote into a zero-sized one)."""
    from acllite.emulator import _extern

    for size, expect in ((8, b"abcdefg\0"), (2, b"a\0"), (1, b"\0"), (0, b""), (16, b"abcdefghij\0")):
        buf = ffi.new("char[24]", b"\xaa" * 23)
        _extern._write(buf, size, "abcdefghij")
        raw = bytes(ffi.buffer(buf, 24))
        assert raw[:len(expect)] == expect and raw[len(expect):23] == b"\xaa" * (23 - len(expect)), (size, raw)


def test_extern_code_of_takes_positive_int32_codes_only() -> None:
    """acllite/emulator/_extern.py _code_of: an exception's ``code`` is used when 0 < code < 2**31."""
    from acllite.emulator import _extern

    class Coded(Exception):
        def __init__(self, code: Any) -> None:
            super().__init__("x")
            self.code = code

    for code, expect in ((1, 1), (100000, 100000), (2 ** 31 - 1, 2 ** 31 - 1), (0, 7), (-1, 7), (2 ** 31, 7),
                         (True, 7), ("1", 7), (None, 7)):
        assert _extern._code_of(Coded(code), 7) == expect, code


@pytest.mark.parametrize("op", ["SoftmaxV2", "Softmax"])
def test_softmax_default_axis_is_the_last_of_three(acl: Any, op: str) -> None:
    """acllite/formats/singleop.py: SoftmaxV2/Softmax's default ``axes`` is [-1] (on a 2-D input [1] is the same
    axis, so the 2-D tests could not tell -1 from +1)."""
    import numpy as np
    from singleop_helpers import run

    from acllite import pyacl

    x = np.random.default_rng(3).uniform(-4, 4, (2, 3, 5)).astype(np.float32)
    (y,) = run(pyacl, op, [x], [(np.float32, x.shape)])
    e = np.exp(x - x.max(axis=2, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=2, keepdims=True), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("width,height,ws,hs", [(16, 16, 32, 16), (34, 20, 48, 20), (130, 101, 144, 100),
                                                (146, 98, 160, 98), (160, 128, 160, 128), (129, 127, 128, 126)])
def test_video_decoder_output_geometry(width: int, height: int, ws: int, hs: int) -> None:
    """acllite/video.py VideoDecoder: the output's strides (even width aligned to 16, at least 32; even height) and
    frame size, which every output buffer is allocated with."""
    import acllite
    from acllite.video import VideoDecoder

    with acllite.init(), acllite.Device(0) as dev:
        with VideoDecoder(dev, width, height, "h264") as dec:
            assert (dec.width_stride, dec.height_stride, dec.frame_bytes) == (ws, hs, ws * hs * 3 // 2)


#: aclDataType -> ge.proto.DataType, from ge.proto's enum (DT_FLOAT 1, DT_FLOAT16 2, DT_INT8 3, DT_UINT8 4, DT_INT16 5,
#: DT_UINT16 6, DT_INT32 7, DT_INT64 8, DT_UINT32 9, DT_UINT64 10, DT_BOOL 11, DT_DOUBLE 12, DT_BF16 27)
_ACL_TO_GE_PROTO = {0: 1, 1: 2, 2: 3, 4: 4, 6: 5, 7: 6, 3: 7, 9: 8, 8: 9, 10: 10, 12: 11, 11: 12, 27: 27}


def test_om_writer_data_types_read_back_the_same() -> None:
    """acllite/formats/om/_writer.py ACL_TO_PROTO: each aclDataType written as ge.proto's number (pinned above)
    and read back by the reader's own table as the same aclDataType."""
    from acllite.formats import om
    from acllite.formats.om import _writer

    assert _writer.ACL_TO_PROTO == _ACL_TO_GE_PROTO
    inputs = [om.TensorSpec("t%d" % dt, dt, 2, (2,)) for dt in sorted(_ACL_TO_GE_PROTO)]
    m = om.parse(om.build(om.ModelSpec("types", inputs, [om.TensorSpec("y", 0, 2, (2,))], b"\x08\x07")), "t.om")
    assert [(t.name, t.acl_dtype) for t in m.inputs] == [("t%d" % dt, dt) for dt in sorted(_ACL_TO_GE_PROTO)]


def _aipp_record(dims: list) -> dict:
    from acllite.emulator import checks

    params = {k: 0 for k in checks.AIPP_INT32_KEYS + checks.AIPP_SWITCH_KEYS}
    params.update({k: 1.0 for k in checks.AIPP_FLOAT_KEYS})
    return {"params": params, "input_format": "YUV420SP_U8", "model_dims": dims}


def test_aipp_output_dims_at_most_128() -> None:
    """acllite/emulator/checks.py MAX_IO_DIMS: aclmdlIODims holds 128 dims; an AIPP output of 129 is refused at
    load with ACL_ERROR_PARSE_MODEL."""
    from acllite.emulator import checks
    from acllite.emulator.engine import EngineError

    checks._aipp("input 0 'x'", _aipp_record([1] * 128))
    with pytest.raises(EngineError) as err:
        checks._aipp("input 0 'x'", _aipp_record([1] * 129))
    assert err.value.code == 100013 and "the AIPP output has 129 dimensions: at most 128" in str(err.value)


def test_acl_json_size_cap_is_one_mebibyte(uninitialized: None, tmp_path: Any) -> None:
    """files.c emu_read_file: a file above the cap is ACL_ERROR_INVALID_FILE_SIZE (``size < 0 && size > max``
    read any size); init.c's cap for acl.json is 1 MiB, and a file of exactly 1 MiB is read."""
    cap = 1 << 20
    path = tmp_path / "acl.json"
    path.write_bytes(b"{}" + b" " * (cap - 2))
    ok(lib.aclInit(str(path).encode()), "aclInit (1 MiB)")
    ok(lib.aclFinalize())
    path.write_bytes(b"{}" + b" " * (cap - 1))
    expect_error(lib.ACL_ERROR_INVALID_FILE_SIZE, "holds 1048577 bytes, more than the 1048576 accepted", lib.aclInit,
                 str(path).encode(), func="aclInit")


def test_vdec_channel_description_destroyed_once(acl: Any) -> None:
    """dvpp_vdec.c aclvdecDestroyChannelDesc: NULL and a destroyed description are refused (the check after
    live() disabled went on to use them)."""
    desc = lib.aclvdecCreateChannelDesc()
    ok(lib.aclvdecDestroyChannelDesc(desc))
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "not a live", lib.aclvdecDestroyChannelDesc, desc)
    expect_error(INVALID_PARAM, "is NULL", lib.aclvdecDestroyChannelDesc, ffi.NULL)


def _tensor_desc_calls(d: Any) -> list:
    dims = ffi.new("int64_t[1]", [2])
    out = ffi.new("int64_t *")
    rng = ffi.new("int64_t[1][2]")
    buf = ffi.new("char[8]")
    return [
        ("aclGetTensorDescDimV2", lambda: lib.aclGetTensorDescDimV2(d, 0, out)),
        ("aclGetTensorDescDimRange", lambda: lib.aclGetTensorDescDimRange(d, 0, 2, out)),
        ("aclSetTensorShapeRange", lambda: lib.aclSetTensorShapeRange(d, 1, rng)),
        ("aclSetTensorValueRange", lambda: lib.aclSetTensorValueRange(d, 1, rng)),
        ("aclSetTensorFormat", lambda: lib.aclSetTensorFormat(d, 2)),
        ("aclSetTensorOriginFormat", lambda: lib.aclSetTensorOriginFormat(d, 2)),
        ("aclSetTensorStorageFormat", lambda: lib.aclSetTensorStorageFormat(d, 2)),
        ("aclSetTensorShape", lambda: lib.aclSetTensorShape(d, 1, dims)),
        ("aclSetTensorOriginShape", lambda: lib.aclSetTensorOriginShape(d, 1, dims)),
        ("aclSetTensorStorageShape", lambda: lib.aclSetTensorStorageShape(d, 1, dims)),
        ("aclSetTensorDynamicInput", lambda: lib.aclSetTensorDynamicInput(d, b"x")),
        ("aclSetTensorConst", lambda: lib.aclSetTensorConst(d, buf, 8)),
        ("aclSetTensorPlaceMent", lambda: lib.aclSetTensorPlaceMent(d, 0)),
    ]


def test_tensor_desc_calls_refuse_null_and_destroyed_descriptions(acl: Any) -> None:
    """tensor_desc.c: every aclError call on a NULL or destroyed description returns ACL_ERROR_INVALID_PARAM (a
    swapped code in aclSetTensorDynamicInput went unnoticed) with a message naming the call."""
    dims = ffi.new("int64_t[1]", [2])
    gone = lib.aclCreateTensorDesc(0, 1, dims, 2)
    lib.aclDestroyTensorDesc(gone)
    for d in (ffi.NULL, gone):
        for name, call in _tensor_desc_calls(d):
            expect_error(INVALID_PARAM, "", call, func=name)


def test_frame_close_closes_its_picture_and_skips_none() -> None:
    """acllite/video.py Frame.close: the decoded picture's memory is released; a skipped frame (no picture)
    closes without error."""
    import numpy as np

    import acllite
    from acllite.image import Image, PixelFormat
    from acllite.video import Frame

    with acllite.init(), acllite.Device(0) as dev:
        img = Image.from_numpy(np.zeros((24, 16), np.uint8), PixelFormat.NV12).copy_to("dvpp", dev)
        f = Frame(0, None, img, 0)
        f.close()
        assert img.closed
        Frame(1, None, None, 0).close()
    assert not any(acllite.emulator_leak_report().values())


def test_exception_callback_runs_as_a_callback() -> None:
    """exception.c emu_exception_report: the callback runs inside a callback frame, so the last reset of another
    device from it is refused (dropping emu_callback_enter let it tear device 1 down from device 0's worker)."""
    from conftest import child, run_python_ok

    out = run_python_ok(child("""
    import threading
    ok(lib.aclInit(ffi.NULL))
    ok(lib.aclrtSetDevice(1))
    ok(lib.aclrtSetDevice(0))
    results = []
    @ffi.callback("void(aclrtExceptionInfo *)")
    def on_exception(info):
        results.append(lib.aclrtResetDevice(1))
    # a stream held by a blocking host callback until the report thread starts, so the memory can go first
    s = ffi.new("aclrtStream *"); ok(lib.aclrtCreateStream(s)); s = s[0]
    gate, stop = threading.Event(), threading.Event()
    def report():
        gate.wait()
        while not stop.is_set():
            lib.aclrtProcessReport(20)
    t = threading.Thread(target=report, daemon=True); t.start()
    ok(lib.aclrtSubscribeReport(t.ident, s))
    hold = ffi.callback("void(void *)", lambda _d: None)
    ok(lib.aclrtLaunchCallback(hold, ffi.NULL, lib.ACL_CALLBACK_BLOCK, s))
    victim = ffi.new("void **"); ok(lib.aclrtMalloc(victim, 64, 0))
    ok(lib.aclrtSetExceptionInfoCallback(on_exception))
    ok(lib.aclrtMemsetAsync(victim[0], 64, 1, 64, s))
    ok(lib.aclrtFree(victim[0]))
    gate.set()
    expect(lib.aclrtSynchronizeStream(s), lib.ACL_ERROR_RT_PARAM_INVALID)
    stop.set(); t.join()
    ok(lib.aclrtUnSubscribeReport(t.ident, s))
    ok(lib.aclrtSetExceptionInfoCallback(ffi.NULL))
    ok(lib.aclrtDestroyStream(s))
    print(results)
    ok(lib.aclrtResetDevice(1))  # still set: this reset is the last
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    """), env={"ACLLITE_EMU_DEVICES": "2"})
    assert out.strip() == "[%d]" % lib.ACL_ERROR_RT_CONTEXT_RELEASE_ERROR, out


@pytest.mark.parametrize("name,lo,hi", [("INT8", -128, 127), ("INT32", -2 ** 31, 2 ** 31 - 1),
                                        ("INT64", -2 ** 63, 2 ** 63 - 1), ("UINT64", 0, 2 ** 64 - 1),
                                        ("SIZE_T", 0, 2 ** 64 - 1)])
def test_engine_value_checks_take_exactly_the_c_range(name: str, lo: int, hi: int) -> None:
    """acllite/emulator/checks.py: the ranges values are checked against before a callback writes them into C
    (``-(1 << 64)`` as INT64's lower bound let a dimension below int64's minimum through)."""
    from acllite.emulator import checks
    from acllite.emulator.engine import EngineError

    ctype = getattr(checks, name)
    assert checks._int(lo, ctype, "v") == lo and checks._int(hi, ctype, "v") == hi
    for bad in (lo - 1, hi + 1):
        with pytest.raises(EngineError) as err:
            checks._int(bad, ctype, "v")
        expected = "v = %d does not fit %s (%d to %d)" % (bad, ctype[2], lo, hi)
        assert err.value.code == 100013 and expected in str(err.value)


# H.265 was a CRA (x265's open GOPs) until the encoder asked for closed GOPs (open-gop=0)
@pytest.mark.parametrize("codec", ["h264", "h265"])
def test_venc_forced_key_frame_is_an_idr(codec: str) -> None:
    """aclvencSetFrameConfigForceIFrame restarts the key frame interval with an IDR picture (docs/VIDEO.md:
    ``forced-idr``), parameter sets included."""
    import numpy as np
    import video_clips as vc

    import acllite
    from acllite.image import Image, PixelFormat
    from acllite.video import VideoEncoder

    w = h = 128
    params, idr = ({32, 33, 34}, {19, 20}) if codec == "h265" else ({7, 8}, {5})
    with acllite.init(), acllite.Device(0) as dev:
        packets, pictures = [], []
        with VideoEncoder(dev, w, h, codec, key_frame_interval=30) as enc:
            for i in range(6):
                y, u, v = vc.pattern(w, h, 0)  # one picture: no scene cut
                nv12 = np.concatenate([y, np.stack([u, v], -1).reshape(h // 2, w)])
                pictures.append(Image.from_numpy(nv12, PixelFormat.NV12).copy_to("dvpp", dev))
                packets += enc.encode(pictures[-1], force_key_frame=i == 3)
            packets += enc.flush()
        for p in pictures:
            p.close()
    types = [set(_nal_types(u, codec)) for u in packets]
    assert [bool(t & idr) for t in types] == [True, False, False, True, False, False], types
    assert params <= types[3]


def test_a_model_onnxruntime_cannot_run_fails_with_ge_failure(tmp_path: Any) -> None:
    """acllite/emulator/engine.py: an execution onnxruntime refuses (a Gather index out of range) returns
    ACL_ERROR_GE_FAILURE (500002) with onnxruntime's reason."""
    import numpy as np
    from onnx import TensorProto, helper

    import acllite
    from acllite.errors import AclError

    graph = helper.make_graph([helper.make_node("Gather", ["data", "idx"], ["y"])], "g",
                              [helper.make_tensor_value_info("data", TensorProto.FLOAT, [4]),
                               helper.make_tensor_value_info("idx", TensorProto.INT64, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / "gather.onnx"
    path.write_bytes(model.SerializeToString())
    data = np.arange(4, dtype=np.float32)
    with acllite.init(), acllite.Device(0) as dev, acllite.Model(path, dev) as m:
        (y,) = m.execute([data, np.array([3, 1], np.int64)])
        np.testing.assert_array_equal(y, [3.0, 1.0])
        with pytest.raises(AclError) as err:
            m.execute([data, np.array([0, 9], np.int64)])
    assert err.value.code == 500002 and "onnxruntime failed" in str(err.value), str(err.value)


def test_tensor_desc_ranges_need_their_arrays(acl: Any) -> None:
    """tensor_desc.c aclSetTensorShapeRange/aclSetTensorValueRange: a count with a NULL array, and a shape range
    whose count is not the tensor's dims, are ACL_ERROR_INVALID_PARAM (exact code)."""
    dims = ffi.new("int64_t[2]", [2, 3])
    d = lib.aclCreateTensorDesc(0, 2, dims, 2)
    try:
        expect_error(INVALID_PARAM, "dimsRange is NULL", lib.aclSetTensorShapeRange, d, 2, ffi.NULL)
        expect_error(INVALID_PARAM, "valueRange is NULL", lib.aclSetTensorValueRange, d, 1, ffi.NULL)
        expect_error(INVALID_PARAM, "dimsCount is 1 but the tensor has 2 dims", lib.aclSetTensorShapeRange, d, 1,
                     ffi.new("int64_t[1][2]", [[1, 2]]))
    finally:
        lib.aclDestroyTensorDesc(d)


def test_op_execute_timeout_v2_needs_its_output(acl: Any) -> None:
    """settings.c aclrtSetOpExecuteTimeOutV2: actualTimeout NULL is ACL_ERROR_INVALID_PARAM (exact code)."""
    expect_error(INVALID_PARAM, "actualTimeout is NULL", lib.aclrtSetOpExecuteTimeOutV2, 10, ffi.NULL)


def test_an_empty_acl_json_is_read_then_refused_as_json(uninitialized: None, tmp_path: Any) -> None:
    """files.c emu_read_file: a file of 0 bytes is read (``st_size <= 0`` refused it as a size error); acl.json's
    checker then refuses it: the top level must be an object."""
    path = tmp_path / "acl.json"
    path.write_bytes(b"")
    expect_error(lib.ACL_ERROR_PARSE_FILE, "is not valid JSON: the top level must be an object at byte 0",
                 lib.aclInit, str(path).encode(), func="aclInit")


def test_op_attribute_setters_refuse_null_and_destroyed_attributes(acl: Any) -> None:
    """op.c: every aclopSetAttr* on a NULL or destroyed aclopAttr, or with a NULL name, returns
    ACL_ERROR_INVALID_PARAM (a disabled ``if (!a) return err;`` wrote through NULL)."""
    i64, u8, f32 = ffi.new("int64_t[1]", [1]), ffi.new("uint8_t[1]", [1]), ffi.new("float[1]", [1.0])
    dt, s = ffi.new("aclDataType[1]", [0]), ffi.new("char[]", b"v")
    strs, counts = ffi.new("char *[1]", [s]), ffi.new("int[1]", [1])
    lists = ffi.new("int64_t *[1]", [i64])
    gone = lib.aclopCreateAttr()
    lib.aclopDestroyAttr(gone)
    for a in (ffi.NULL, gone):
        for name, call in [
            ("aclopSetAttrBool", lambda n: lib.aclopSetAttrBool(a, n, 1)),
            ("aclopSetAttrInt", lambda n: lib.aclopSetAttrInt(a, n, 1)),
            ("aclopSetAttrFloat", lambda n: lib.aclopSetAttrFloat(a, n, 1.0)),
            ("aclopSetAttrString", lambda n: lib.aclopSetAttrString(a, n, b"v")),
            ("aclopSetAttrDataType", lambda n: lib.aclopSetAttrDataType(a, n, 0)),
            ("aclopSetAttrListDataType", lambda n: lib.aclopSetAttrListDataType(a, n, 1, dt)),
            ("aclopSetAttrListBool", lambda n: lib.aclopSetAttrListBool(a, n, 1, u8)),
            ("aclopSetAttrListInt", lambda n: lib.aclopSetAttrListInt(a, n, 1, i64)),
            ("aclopSetAttrListFloat", lambda n: lib.aclopSetAttrListFloat(a, n, 1, f32)),
            ("aclopSetAttrListString", lambda n: lib.aclopSetAttrListString(a, n, 1, strs)),
            ("aclopSetAttrListListInt", lambda n: lib.aclopSetAttrListListInt(a, n, 1, counts, lists)),
        ]:
            expect_error(INVALID_PARAM, "", call, b"x", func=name)
    live = lib.aclopCreateAttr()
    try:
        expect_error(INVALID_PARAM, "attrName is NULL", lib.aclopSetAttrFloat, live, ffi.NULL, 1.0)
    finally:
        lib.aclopDestroyAttr(live)


def test_tensor_placement_takes_the_three_mem_types(acl: Any) -> None:
    """tensor_desc.c aclSetTensorPlaceMent: ACL_MEMTYPE_DEVICE (0), HOST (1) and HOST_COMPILE_INDEPENDENT (2) are
    accepted, anything else refused."""
    dims = ffi.new("int64_t[1]", [2])
    d = lib.aclCreateTensorDesc(0, 1, dims, 2)
    try:
        for m in (0, 1, 2):
            ok(lib.aclSetTensorPlaceMent(d, m), "aclSetTensorPlaceMent(%d)" % m)
        for m in (3, 7):
            expect_error(INVALID_PARAM, "memType %d is not an aclMemType" % m, lib.aclSetTensorPlaceMent, d, m)
    finally:
        lib.aclDestroyTensorDesc(d)


def test_utilization_extend_is_reserved(acl: Any) -> None:
    """device_info.c aclrtGetDeviceUtilizationRate: utilizationExtend must be NULL."""
    info = ffi.new("aclrtUtilizationInfo *")
    ok(lib.aclrtGetDeviceUtilizationRate(0, info))
    info.utilizationExtend = ffi.cast("void *", 0x10)
    expect_error(INVALID_PARAM, "utilizationExtend is a reserved parameter", lib.aclrtGetDeviceUtilizationRate, 0,
                 info)


def test_venc_without_pyav_says_so(acl: Any, monkeypatch: Any) -> None:
    """acllite/emulator/video.py: an encoder that cannot import PyAV answers ACL_ERROR_API_NOT_SUPPORT saying what
    to install (an ImportError caught as any other exception was INVALID_PARAM)."""
    from acllite.emulator import video as emu_video

    def no_pyav() -> Any:
        raise ImportError("No module named 'av'")

    monkeypatch.setattr(emu_video, "_module", no_pyav)
    desc = lib.aclvencCreateChannelDesc()
    thread = ffi.new("uint64_t *")
    callback = ffi.callback("aclvencCallback", lambda *_args: None)
    try:
        ok(lib.aclvencSetChannelDescCallback(desc, callback))
        for fn, value in ((lib.aclvencSetChannelDescEnType, 3), (lib.aclvencSetChannelDescPicFormat, 1),
                          (lib.aclvencSetChannelDescPicWidth, 128), (lib.aclvencSetChannelDescPicHeight, 128)):
            ok(fn(desc, value))
        import threading
        thread[0] = threading.get_ident()
        ok(lib.aclvencSetChannelDescThreadId(desc, thread[0]))
        expect_error(lib.ACL_ERROR_API_NOT_SUPPORT, "PyAV is not installed", lib.aclvencCreateChannel, desc)
    finally:
        lib.aclvencDestroyChannelDesc(desc)


def test_om_writer_gear_op_is_atcs_multi_batch_case() -> None:
    """acllite/formats/om/_writer.py _gear_op: the op holding the gears is ATC's ``ascend_mbatch_case`` of type
    ``Case`` (OpDef fields 1 name, 2 type; the reader finds gears by ``_batch_num``, so it could not tell a wrong
    field number)."""
    from acllite.formats import om
    from acllite.formats.om._container import read_blocks, read_header
    from acllite.formats.om._wire import parse

    spec = om.ModelSpec("g", [om.TensorSpec("x", 0, 0, (-1, 3))], [om.TensorSpec("y", 0, 2, (-1, 3))], b"\x08\x07",
                        gears={"batch": [(1,), (4,)]})
    data = memoryview(om.build(spec))
    header = read_header(data, "g.om")
    ((parts, datas),) = read_blocks(data[256:], header, "g.om")
    modeldef = parse(datas[[p.type for p in parts].index(0)])
    ops = [(op.string(1), op.string(2)) for g in modeldef.messages(7) for op in g.messages(6)]
    assert ("ascend_mbatch_case", "Case") in ops, ops


def test_a_stream_collected_in_a_cycle_is_released_at_the_end_of_the_collection() -> None:
    """acllite/_lifecycle.py _gc_phase: a release deferred during a collection runs when the collection ends (``if
    not _deferred`` left it queued until the next acllite call)."""
    import gc

    from conftest import live_counts

    import acllite

    with acllite.init(), acllite.Device(0) as dev:
        base = live_counts()["streams"]
        holder: list = [acllite.Stream(dev)]
        holder.append(holder)  # a cycle: only the collector frees it, and defers the release
        assert live_counts()["streams"] == base + 1
        del holder
        gc.collect()
        assert live_counts()["streams"] == base


def test_successful_releases_log_no_warning(caplog: Any) -> None:
    """acllite/_lifecycle.py Resource._run: only a release that fails is logged (``if not rc`` warned of every
    successful one)."""
    import logging

    import numpy as np

    import acllite

    with caplog.at_level(logging.WARNING, logger="acllite"):
        with acllite.init(), acllite.Device(0) as dev:
            s = acllite.Stream(dev)
            e = acllite.Event(dev)
            buf = acllite.DeviceBuffer(64, dev)
            buf.copy_from(np.zeros(64, np.uint8))
            for r in (buf, e, s):
                r.close()
    assert not [r for r in caplog.records if "failed with" in r.getMessage()], caplog.text


@pytest.mark.parametrize("src,dst,dims,expect", [
    (0, 1, [2, 3, 4, 5], [2, 4, 5, 3]),   # NCHW -> NHWC
    (1, 0, [2, 4, 5, 3], [2, 3, 4, 5]),   # NHWC -> NCHW
    (0, 0, [2, 3, 4, 5], [2, 3, 4, 5]),
    (1, 2, [2, 4, 5, 3], [2, 4, 5, 3]),   # to ND: the same dims
])
def test_trans_tensor_desc_format_reorders_the_dims(acl: Any, src: int, dst: int, dims: list, expect: list) -> None:
    """tensor_desc.c aclTransTensorDescFormat: N, C, H, W read from the source layout and written in the
    destination's order (all four dims differ, so a swapped C/H/W source shows)."""
    d = lib.aclCreateTensorDesc(0, 4, ffi.new("int64_t[4]", dims), src)
    out = ffi.new("aclTensorDesc **")
    try:
        ok(lib.aclTransTensorDescFormat(d, dst, out))
        got = [lib.aclGetTensorDescDim(out[0], k) for k in range(lib.aclGetTensorDescNumDims(out[0]))]
        assert (got, lib.aclGetTensorDescFormat(out[0])) == (expect, dst)
        lib.aclDestroyTensorDesc(out[0])
    finally:
        lib.aclDestroyTensorDesc(d)


def test_get_compile_option_range(acl: Any) -> None:
    """op.c aclGetCompileopt: options 0 .. ACL_OP_DEBUG_OPTION are read, others refused."""
    buf = ffi.new("char[256]")
    ok(lib.aclGetCompileopt(lib.ACL_OP_DEBUG_OPTION, buf, 256))
    ok(lib.aclGetCompileopt(0, buf, 256))
    for bad in (lib.ACL_OP_DEBUG_OPTION + 1, 0x7FFFFFFF, 0x80000000):  # the last is -1 as an int
        shown = bad if bad < 2 ** 31 else bad - 2 ** 32
        expect_error(INVALID_PARAM, "option %d is not an aclCompileOpt" % shown, lib.aclGetCompileopt, bad, buf, 256)


def test_video_encoder_raises_what_venc_refuses() -> None:
    """acllite/video.py VideoEncoder.encode: a picture aclvencSendFrame refuses (not the channel's size) raises
    AclError with its code, and nothing stays pending (``if not rc`` swallowed the refusal)."""
    import numpy as np

    import acllite
    from acllite.errors import AclError
    from acllite.image import Image, PixelFormat
    from acllite.video import VideoEncoder

    with acllite.init(), acllite.Device(0) as dev:
        small = Image.from_numpy(np.zeros((96, 64), np.uint8), PixelFormat.NV12).copy_to("dvpp", dev)
        with VideoEncoder(dev, 128, 128, "h264") as enc:
            with pytest.raises(AclError) as err:
                enc.encode(small)
            assert err.value.code == INVALID_PARAM and "aclvencSendFrame" in str(err.value), str(err.value)
            assert enc.flush() == []
        small.close()
    assert not any(acllite.emulator_leak_report().values())


def test_video_sinks_take_only_their_kind(monkeypatch: Any) -> None:
    """dvpp_video.c: an encoder's sink takes packets; a picture put into it is refused with ACL_ERROR_INVALID_PARAM
    (the engine never does this; the guard keeps a wrong engine from writing through a NULL callback)."""
    import numpy as np

    import acllite
    from acllite.emulator import video as emu_video
    from acllite.image import Image, PixelFormat
    from acllite.video import VideoEncoder

    codes: list = []
    real_encode = emu_video._Encoder.encode

    def encode(self: Any, y: Any, y_stride: int, uv: Any, uv_stride: int, v_first: bool, force_key: bool, tag: int,
               sink: Any) -> None:
        null = ffi.NULL
        codes.append(emu_video._put_picture(sink, tag, 16, 16, 0, 0, 0, null, 0, null, 0, null, 0))
        real_encode(self, y, y_stride, uv, uv_stride, v_first, force_key, tag, sink)

    monkeypatch.setattr(emu_video._Encoder, "encode", encode)
    with acllite.init(), acllite.Device(0) as dev:
        pic = Image.from_numpy(np.zeros((192, 128), np.uint8), PixelFormat.NV12).copy_to("dvpp", dev)
        with VideoEncoder(dev, 128, 128, "h264") as enc:
            packets = enc.encode(pic) + enc.flush()
        pic.close()
    assert len(packets) == 1 and codes and set(codes) == {INVALID_PARAM}, codes


def test_demuxer_names_the_file_without_video_and_reads_bytes(tmp_path: Any) -> None:
    """acllite/video.py Demuxer: a file without a video stream is a ValueError naming the file; bytes are read as
    a container in memory (the name test negated took fspath of the BytesIO, and named no file)."""
    import wave

    import video_clips as vc

    from acllite.video import Demuxer

    audio = tmp_path / "tone.wav"
    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    with pytest.raises(ValueError, match="^%s has no video stream$" % str(audio).replace(".", r"\.")):
        Demuxer(audio)
    raw = vc.encode("h264", 160, 128, 3, 0)
    with Demuxer(raw) as d:
        assert (d.codec, d.width, d.height, len(list(d.packets()))) == ("h264", 160, 128, 3)


def test_releases_deferred_in_a_callback_run_at_the_next_make_or_close() -> None:
    """acllite/_lifecycle.py Owned._own and Owned.close: a release queued inside a callback scope runs when the
    next acllite object is made, or the next one is closed (``if not _deferred`` skipped both drains)."""
    from conftest import live_counts

    import acllite
    from acllite.runtime import callback_scope

    with acllite.init(), acllite.Device(0) as dev:
        base = live_counts()["streams"]
        keep = acllite.Event(dev)
        s1, s2 = acllite.Stream(dev), acllite.Stream(dev)
        with callback_scope():
            s1.close()  # queued
        assert s1.closed and live_counts()["streams"] == base + 2
        e = acllite.DeviceBuffer(64, dev)  # making an object drains the queue (a buffer: only Owned._own does)
        assert live_counts()["streams"] == base + 1
        with callback_scope():
            s2.close()
        assert live_counts()["streams"] == base + 1
        keep.close()  # closing one drains it too
        assert live_counts()["streams"] == base
        e.close()


def test_vpc_refuses_a_picture_of_unknown_format(acl: Any) -> None:
    """dvpp_vpc.c check_picture: PIXEL_FORMAT_UNKNOWN (which acldvppSetPicDescFormat accepts) is not a VPC format:
    ACL_ERROR_INVALID_PARAM, exact code, for the input and the output."""
    from test_dvpp_emulator import Dvpp, nv12_output, nv12_picture

    dv = Dvpp()
    try:
        din, _, _, _ = nv12_picture(dv, 64, 64)
        out, _, _ = nv12_output(dv, 32, 32)
        cfg = lib.acldvppCreateResizeConfig()
        unknown = lib.PIXEL_FORMAT_UNKNOWN
        for desc, what in ((din, "inputDesc"), (out, "outputDesc")):
            ok(lib.acldvppSetPicDescFormat(desc, unknown))
            expect_error(INVALID_PARAM, "%s: format %d is not a VPC format" % (what, unknown),
                         lib.acldvppVpcResizeAsync, dv.channel, din, out, cfg, dv.stream)
            ok(lib.acldvppSetPicDescFormat(desc, 1))
        ok(lib.acldvppDestroyResizeConfig(cfg))
    finally:
        dv.close()


def test_a_stream_of_a_context_whose_close_is_queued_counts_as_closed() -> None:
    """acllite/_lifecycle.py Resource.released: an object is released when any owner up its chain is (a Context
    closed inside a callback scope is queued: its Stream is closed at once; ``while not r`` looked at nothing)."""
    import acllite
    from acllite.runtime import callback_scope

    with acllite.init(), acllite.Device(0) as dev:
        ctx = acllite.Context(dev)
        s = acllite.Stream(ctx)
        assert not s.closed
        with callback_scope():
            ctx.close()
        assert ctx.closed and s.closed
        with pytest.raises(ValueError, match="closed"):
            s.synchronize()


def test_an_unforeseen_error_in_model_load_is_an_internal_error_with_its_repr(acl: Any, monkeypatch: Any) -> None:
    """acllite/emulator/engine.py acllite_py_model_load: an exception other than the engine's own becomes
    ACL_ERROR_INTERNAL_ERROR (500000) with "model load failed: <repr>" (not the wrapper's generic text)."""
    from acllite.emulator import engine

    def boom(blob: bytes) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine.onnx_format, "describe", boom)
    data = b"\x08\x07" * 8
    mid = ffi.new("uint32_t *")
    expect_error(500000, "model load failed: RuntimeError('boom')", lib.aclmdlLoadFromMem, data, len(data), mid)


def test_a_frame_the_decoder_raises_on_is_refused_and_named(emu_log: Any, monkeypatch: Any) -> None:
    """acllite/emulator/video.py acllite_py_video_decode: an exception decoding one access unit refuses that frame
    (retCode 1) with "Type: message" in the channel's warning; the channel goes on with the next frames."""
    import video_clips as vc

    import acllite
    from acllite.emulator import video as emu_video
    from acllite.video import VideoDecoder

    real = emu_video._Decoder.decode
    calls = []

    def decode(self: Any, data: Any, size: int, tag: int, sink: Any) -> None:
        calls.append(tag)
        if len(calls) == 2:
            raise ValueError("bad access unit")
        real(self, data, size, tag, sink)

    monkeypatch.setattr(emu_video._Decoder, "decode", decode)
    units = vc.access_units(vc.encode("h264", 160, 128, 4, 0))
    with acllite.init(), acllite.Device(0) as dev:
        with VideoDecoder(dev, 160, 128, "h264") as dec:
            frames = list(dec.decode(units))
            codes = sorted((f.sent, f.ret_code) for f in frames)
            for f in frames:
                f.close()
    assert codes[1] == (1, 1) and [c for s, c in codes if s != 1] == [0, 0, 0], codes
    refused = [m for m in emu_log.warnings() if "could not be decoded" in m]
    assert len(refused) == 1 and refused[0].endswith("could not be decoded: ValueError: bad access unit"), refused


@pytest.mark.parametrize("width,height", [(160, 96), (96, 160)])
def test_vdec_refuses_a_stream_below_128_in_either_dimension(width: int, height: int) -> None:
    """dvpp_vdec.c: a stream narrower or lower than 128 is refused frame by frame with HI_ERR_VDEC_NOT_SUPPORT
    (``h < 128 && w > max_w`` let a 160x96 stream through)."""
    import video_clips as vc

    import acllite
    from acllite.video import VideoDecoder

    units = vc.access_units(vc.encode("h264", width, height, 2, 0))
    with acllite.init(), acllite.Device(0) as dev:
        with VideoDecoder(dev, width, height, "h264") as dec:
            frames = list(dec.decode(units))
    assert [(f.ret_code, f.image) for f in frames] == [(0xA0058008, None)] * 2


def test_an_op_handle_with_constant_inputs_runs(acl: Any, tmp_path: Any) -> None:
    """op.c aclopExecWithHandle: the handle's constant inputs are copied for the task (the dropped malloc left
    the copy NULL and the run refused); a Slice whose offsets and sizes are constants, run twice."""
    import numpy as np
    from singleop_helpers import Device, load, op_json, tensor_json

    from acllite import pyacl

    offsets, size = np.array([1, 2], np.int32), np.array([2, 3], np.int32)
    spec = op_json("Slice", [tensor_json(np.float32, [4, 6]), tensor_json(np.int32, [2], const=offsets),
                             tensor_json(np.int32, [2], const=size)], [tensor_json(np.float32, [2, 3])])
    load(pyacl, spec)
    dev = Device(pyacl)
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    try:
        descs = [dev.desc(np.float32, [4, 6]), dev.desc(np.int32, [2]), dev.desc(np.int32, [2])]
        for d, v in ((descs[1], offsets), (descs[2], size)):
            assert pyacl.set_tensor_const(d, pyacl.util.numpy_to_ptr(v), v.nbytes) == 0
        out_desc = dev.desc(np.float32, [2, 3])
        attr = pyacl.op.create_attr()
        handle, rc = pyacl.op.create_handle("Slice", descs, [out_desc], attr)
        assert rc == 0 and handle, pyacl.get_recent_err_msg()
        bufs = [dev.buffer(x.nbytes, x)[1], dev.buffer(8, offsets)[1], dev.buffer(8, size)[1]]
        for _ in range(2):
            out_ptr, out_buf = dev.buffer(2 * 3 * 4)
            assert pyacl.op.execute_with_handle(handle, bufs, [out_buf], dev.stream) == 0, pyacl.get_recent_err_msg()
            assert dev.sync() == 0, pyacl.get_recent_err_msg()
            np.testing.assert_array_equal(dev.read(out_ptr, np.float32, [2, 3]), x[1:3, 2:5])
        pyacl.op.destroy_handle(handle)
        pyacl.op.destroy_attr(attr)
    finally:
        dev.close()


def test_h265_encoding_prints_nothing(capfd: Any) -> None:
    """acllite/emulator/video.py _Encoder: libx265 is opened with log-level=error, so encoding writes nothing on
    the process's stderr (the negated ``if name == "libx264"`` left x265's info lines on stderr)."""
    import numpy as np
    import video_clips as vc

    import acllite
    from acllite.image import Image, PixelFormat
    from acllite.video import VideoEncoder

    w = h = 128
    y, u, v = vc.pattern(w, h, 0)
    nv12 = np.concatenate([y, np.stack([u, v], -1).reshape(h // 2, w)])
    capfd.readouterr()
    with acllite.init(), acllite.Device(0) as dev:
        pic = Image.from_numpy(nv12, PixelFormat.NV12).copy_to("dvpp", dev)
        with VideoEncoder(dev, w, h, "h265") as enc:
            packets = enc.encode(pic) + enc.flush()
        pic.close()
    assert len(packets) == 1
    err = capfd.readouterr().err
    assert "x265 [" not in err, err


# ---- the model and VPC code that landed after round two's run (group r2_models)


@pytest.mark.parametrize("crop_w, crop_h", [(8, 4), (6, 6)])
def test_dynamic_aipp_batches_must_give_one_output_size(acl: Any, tmp_path: Any, crop_w: int, crop_h: int) -> None:
    """model_aipp.c check_set: ``w != w0 || h != h0`` (``&&`` let a batch differ in one dimension only)."""
    from test_model import Raw
    from test_model_dynamic_aipp import H, W, data_size, dynamic_om, load, make_set, yuv_params

    mid = load(dynamic_om(tmp_path, 2))
    raw = Raw([4096, data_size(2)], [2 * 4 * 3 * H * W])
    p0 = yuv_params()
    p1 = dict(yuv_params(), crop_size_w=crop_w, crop_size_h=crop_h)
    mixed, same = make_set([p0, p1]), make_set([p0, yuv_params(x=0)])
    try:
        expect_error(INVALID_PARAM, "batch 1's AIPP output is %dx%d, batch 0's %dx%d: every batch must give the "
                     "same size" % (crop_w, crop_h, W, H), lib.aclmdlSetInputAIPP, mid, raw.inp, 1, mixed,
                     func="aclmdlSetInputAIPP")
        ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, same), "two batches of one size")
    finally:
        ok(lib.aclmdlDestroyAIPP(mixed))
        ok(lib.aclmdlDestroyAIPP(same))
        raw.close()
        ok(lib.aclmdlUnload(mid))


def test_batch_make_border_leaves_at_least_10x6_inside() -> None:
    """dvpp_vpc_ops.c dvpp_border_inner: ``lr + 10 > width || tb + 6 > height`` (``>=`` refused borders leaving
    exactly the 10x6 VPC minimum; dropping either side accepted borders leaving less)."""
    import numpy as np
    from test_dvpp_vpc_ops import run_ops

    nv = np.random.default_rng(3).integers(0, 256, (96 * 3 // 2, 128), dtype=np.uint8)
    res = run_ops("""
        roi = lib.acldvppCreateRoiConfig(0, 63, 0, 47)
        resize = lib.acldvppCreateResizeConfig()
        sb, db = lib.acldvppCreateBatchPicDesc(1), lib.acldvppCreateBatchPicDesc(1)
        mem = ffi.new("void *[2]")
        for k, (b, w, h) in enumerate(((sb, 128, 96), (db, 112, 96))):
            p = ffi.new("void **")
            ok(lib.acldvppMalloc(p, 128 * 144))
            mem[k] = p[0]
            ok(lib.aclrtMemcpy(p[0], 128 * 144, ffi.from_buffer(IN["nv"]), 128 * 144, 1))
            d = lib.acldvppGetPicDesc(b, 0)
            for fn, v in ((lib.acldvppSetPicDescData, p[0]), (lib.acldvppSetPicDescSize, 128 * 144),
                          (lib.acldvppSetPicDescFormat, 1), (lib.acldvppSetPicDescWidth, w),
                          (lib.acldvppSetPicDescHeight, h), (lib.acldvppSetPicDescWidthStride, 128),
                          (lib.acldvppSetPicDescHeightStride, 96)):
                ok(fn(d, v))
        nums = ffi.new("uint32_t[1]", [1])
        for name, tblr in (("exact", (44, 46, 50, 52)), ("narrow", (0, 0, 52, 52)), ("low", (46, 46, 0, 0))):
            b = border(*tblr, 0)
            INFO[name] = lib.acldvppVpcBatchCropResizeMakeBorderAsync(
                CH, sb, nums, 1, db, ffi.new("acldvppRoiConfig *[1]", [roi]), ffi.new("acldvppBorderConfig *[1]", [b]),
                resize, S)
            INFO[name + "_msg"] = lib.aclGetRecentErrMsg() != ffi.NULL and ffi.string(lib.aclGetRecentErrMsg()).decode()
            sync()
            ok(lib.acldvppDestroyBorderConfig(b))
        ok(lib.acldvppDestroyRoiConfig(roi))
        ok(lib.acldvppDestroyResizeConfig(resize))
        for k in range(2):
            ok(lib.acldvppFree(mem[k]))
        ok(lib.acldvppDestroyBatchPicDesc(sb))
        ok(lib.acldvppDestroyBatchPicDesc(db))
    """, {"nv": nv})
    assert res["exact"] == 0, res["exact_msg"]
    assert res["narrow"] == INVALID_PARAM and "left 52 + right 52, top 0 + bottom 0 leave less than 10x6 of its " \
        "112x96" in res["narrow_msg"]
    assert res["low"] == INVALID_PARAM and "top 46 + bottom 46 leave less than 10x6" in res["low_msg"]


def test_atc_shape_range_bounds() -> None:
    """acllite/tools/atc_gears.py parse_shape_range: every comparison at its boundary (a minimum of 0, min == max,
    -1 alone and as an open maximum, the int64 maximum) against ATC's --input_shape_range grammar."""
    from acllite.tools.atc_gears import GearError, parse_shape_range

    top = (1 << 63) - 1
    assert parse_shape_range("x:[0~4,3~3,-1,5,2~-1];y:[1~%d]" % top) == {
        "x": [(0, 4), (3, 3), (0, -1), (5, 5), (2, -1)], "y": [(1, top)]}
    for bad in ("x:[-2~4]", "x:[5~4]", "x:[1~-2]", "x:[0]", "x:[-2]", "x:[1~%d]" % (top + 1), "x:[%d]" % (top + 1)):
        with pytest.raises(GearError, match="is not a dimension, min~max"):
            parse_shape_range(bad)


def test_atc_gear_tables_bounds() -> None:
    """acllite/tools/atc_gears.py _parse_table: values 1 to the int64 maximum, 2 to 100 gears, one width."""
    import re

    from acllite.tools.atc_gears import GearError, parse_dims, parse_image_size

    top = (1 << 63) - 1
    assert parse_dims("1,%d;2,1" % top) == [(1, top), (2, 1)]
    assert parse_image_size("8,6;4,10") == [(8, 6), (4, 10)]  # the given order
    hundred = ";".join(str(k) for k in range(1, 101))
    assert len(parse_dims(hundred)) == 100
    for text, fragment in (("0,1;2,1", "every value is 1 to %d" % top), ("%d,1;2,1" % (top + 1), "every value is 1"),
                           ("1", "expected 2 to 100 gears, got 1"), (hundred + ";101", "expected 2 to 100 gears, "
                                                                                      "got 101"),
                           ("1,2;1,2", "repeats a gear"), ("1,2;1,2,3", "as many values"), ("1,,2;3,4", "empty value"),
                           ("1,-2;3,4", "digits, ',', ';'")):
        with pytest.raises(GearError, match=re.escape(fragment)):
            parse_dims(text)
    with pytest.raises(GearError, match="has 3 values, expected 2"):
        parse_image_size("1,2,3;4,5,6")


def test_dynamic_dims_table_is_written_whole(acl: Any, tmp_path: Any) -> None:
    """model_dynamic.c emu_gears_all_dims: each aclmdlIODims is cleared before it is filled (the ``memset`` dropped
    left the caller's bytes in the name and past dimCount)."""
    from acllite.binding import ffi as bffi
    from test_model_dynamic import DIMS_GEARS, _all_dims, dims_model, load_file
    from acllite.tools import atc

    path = atc.convert(str(dims_model(tmp_path)), str(tmp_path / "dims"), input_shape="a:1,-1;b:-1,-1",
                       input_format="ND", dynamic_dims=";".join(",".join(map(str, g)) for g in DIMS_GEARS))
    model_id, desc = load_file(path)
    try:
        table = bffi.new("aclmdlIODims[3]")
        raw = bffi.buffer(table)
        raw[:] = b"\x7f" * len(raw)
        ok(lib.aclmdlGetInputDynamicDims(desc, -1 & 0xFFFFFFFFFFFFFFFF, table, 3))
        for k, gear in enumerate(DIMS_GEARS):
            assert table[k].dimCount == 4
            assert list(table[k].dims) == _all_dims(gear) + [0] * (len(table[k].dims) - 4)
            assert bffi.string(table[k].name) == b""
    finally:
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(model_id))


def _identity_dims_model(path: Any, n_in: int, rank: int) -> Any:
    """n_in inputs of rank fully dynamic dims, each copied to an output (Identity)."""
    from onnx import TensorProto, helper

    f = TensorProto.FLOAT
    dims = [["d%d_%d" % (k, j) for j in range(rank)] for k in range(n_in)]
    graph = helper.make_graph([helper.make_node("Identity", ["i%d" % k], ["o%d" % k]) for k in range(n_in)], "g",
                              [helper.make_tensor_value_info("i%d" % k, f, dims[k]) for k in range(n_in)],
                              [helper.make_tensor_value_info("o%d" % k, f, dims[k]) for k in range(n_in)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def test_dims_gears_of_32_values_load_and_33_do_not(acl: Any, tmp_path: Any) -> None:
    """model_dynamic.c gears_read: a gear holds at most ACLLITE_EMU_MAX_DIMS (32) values, the limit itself included
    (the boundary next to the sampled ``dyn_index`` mutant of the same condition; the engine refuses 33 first)."""
    from acllite.binding import ffi as bffi
    from acllite.tools import atc

    for n_in, rank in ((4, 8), (3, 11)):
        values = n_in * rank
        shape = ";".join("i%d:%s" % (k, ",".join(["-1"] * rank)) for k in range(n_in))
        second = [1] * (values - 1) + [2]
        gears = ";".join([",".join(["1"] * values), ",".join(map(str, second))])
        path = atc.convert(str(_identity_dims_model(tmp_path / ("m%d.onnx" % values), n_in, rank)),
                           str(tmp_path / ("m%d" % values)), input_shape=shape, input_format="ND", dynamic_dims=gears)
        cell = bffi.new("uint32_t *")
        if values == 33:
            expect_error(lib.ACL_ERROR_PARSE_MODEL, "a values shape of 33 dimensions (at most 32)",
                         lib.aclmdlLoadFromFile, str(path).encode(), cell, func="aclmdlLoadFromFile")
            continue
        ok(lib.aclmdlLoadFromFile(str(path).encode(), cell), "aclmdlLoadFromFile (32 dynamic dims)")
        desc = lib.aclmdlCreateDesc()
        try:
            ok(lib.aclmdlGetDesc(desc, cell[0]))
            count = bffi.new("size_t *")
            ok(lib.aclmdlGetInputDynamicGearCount(desc, -1 & 0xFFFFFFFFFFFFFFFF, count))
            assert count[0] == 2
            table = bffi.new("aclmdlIODims[2]")
            ok(lib.aclmdlGetInputDynamicDims(desc, -1 & 0xFFFFFFFFFFFFFFFF, table, 2))
            assert [list(table[g].dims)[:table[g].dimCount] for g in range(2)] == [[1] * 32, second]
        finally:
            ok(lib.aclmdlDestroyDesc(desc))
            ok(lib.aclmdlUnload(cell[0]))


@pytest.mark.parametrize("shift", [1, 2])
def test_shape_gears_of_an_engine_naming_no_input_are_refused(acl: Any, tmp_path: Any, monkeypatch: Any,
                                                             shift: int) -> None:
    """model_dynamic.c gears_read: the engine's dynamic input index must name one of the model's inputs
    (``dyn_index > n_in`` let index n_in through, one past the inputs). The engine never does this: a model whose
    dynamic index is moved past its inputs stands for a wrong engine."""
    from acllite.binding import ffi as bffi
    from acllite.emulator import om_twin
    from acllite.tools import atc
    from test_model_dynamic import HW_GEARS, hw_model

    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    real = om_twin._dynamic_index
    monkeypatch.setattr(om_twin, "_dynamic_index", lambda inputs: real(inputs) + shift)
    cell = bffi.new("uint32_t *")
    expect_error(lib.ACL_ERROR_PARSE_MODEL, "the model's dynamic image size (--dynamic_image_size) is inconsistent "
                 "(3 gears of 2 values, dynamic input %d of 2)" % (1 + shift), lib.aclmdlLoadFromFile,
                 str(path).encode(), cell, func="aclmdlLoadFromFile")


#: every aclmdlAIPP setter with valid values after the set (switches on, sizes within range, batch 0)
_AIPP_SETTERS = (
    ("aclmdlSetAIPPInputFormat", (1,)),
    ("aclmdlSetAIPPCscParams", (1, 298, 516, 0, 298, -100, -208, 298, 0, 409, 16, 128, 128, 16, 128, 128)),
    ("aclmdlSetAIPPRbuvSwapSwitch", (1,)),
    ("aclmdlSetAIPPAxSwapSwitch", (0,)),
    ("aclmdlSetAIPPSrcImageSize", (16, 8)),
    ("aclmdlSetAIPPScfParams", (1, 32, 32, 16, 16, 0)),
    ("aclmdlSetAIPPCropParams", (1, 0, 0, 8, 6, 0)),
    ("aclmdlSetAIPPPaddingParams", (1, 1, 1, 1, 1, 0)),
    ("aclmdlSetAIPPDtcPixelMean", (1, 2, 3, 0, 0)),
    ("aclmdlSetAIPPDtcPixelMin", (0.5, 0.5, 0.5, 0.0, 0)),
    ("aclmdlSetAIPPPixelVarReci", (1.0, 1.0, 1.0, 1.0, 0)),
)


@pytest.mark.parametrize("setter, args", _AIPP_SETTERS, ids=[s for s, _ in _AIPP_SETTERS])
def test_aipp_setters_refuse_null_and_destroyed_sets(acl: Any, setter: str, args: tuple) -> None:
    """model_aipp.c: each setter checks its set before it writes (the ``if (!a) return`` after aipp_lock disabled
    in aclmdlSetAIPPCropParams wrote through NULL); the same values are taken by a live set."""
    from acllite.binding import ffi as bffi

    fn = getattr(lib, setter)
    live = lib.aclmdlCreateAIPP(1)
    assert live != bffi.NULL
    try:
        ok(fn(live, *args), setter)
    finally:
        ok(lib.aclmdlDestroyAIPP(live))
    expect_error(INVALID_PARAM, "aippParmsSet is NULL", fn, bffi.NULL, *args, func=setter)
    expect_error(INVALID_PARAM, "is not a live aclmdlAIPP (destroyed already?)", fn, live, *args, func=setter)


def test_queue_loaders_check_every_pointer_before_the_queues(acl: Any) -> None:
    """model_load.c aclmdlLoadFromMemWithQ / FromFileWithQ: a NULL modelId, model or path is INVALID_PARAM with its
    name, before the answer about queues (the ``modelId`` check of FromMemWithQ disabled gave API_NOT_SUPPORT)."""
    from acllite.binding import ffi as bffi

    q = bffi.new("uint32_t[1]", [3])
    cell = bffi.new("uint32_t *")
    data = b"\0" * 64  # never read: every call here is refused before the model
    for fn, head, what in ((lib.aclmdlLoadFromMemWithQ, (data, len(data)), "modelId is NULL"),
                           (lib.aclmdlLoadFromFileWithQ, (b"/nonexistent.om",), "modelId is NULL")):
        expect_error(INVALID_PARAM, what, fn, *head, bffi.NULL, q, 1, q, 1, func=fn.__name__)
    expect_error(INVALID_PARAM, "model is NULL", lib.aclmdlLoadFromMemWithQ, bffi.NULL, 64, cell, q, 1, q, 1,
                 func="aclmdlLoadFromMemWithQ")
    expect_error(INVALID_PARAM, "modelSize is 0", lib.aclmdlLoadFromMemWithQ, data, 0, cell, q, 1, q, 1,
                 func="aclmdlLoadFromMemWithQ")
    expect_error(INVALID_PARAM, "modelPath is NULL", lib.aclmdlLoadFromFileWithQ, bffi.NULL, cell, q, 1, q, 1,
                 func="aclmdlLoadFromFileWithQ")
    expect_error(INVALID_PARAM, "outputQ is NULL but its count is 2", lib.aclmdlLoadFromMemWithQ, data, len(data),
                 cell, q, 1, bffi.NULL, 2, func="aclmdlLoadFromMemWithQ")


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm")
@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="AddressSanitizer's quarantine keeps freed memory resident: the resident size says nothing")
def test_dynamic_hw_setter_keeps_no_memory(acl: Any, tmp_path: Any) -> None:
    """model_dynamic.c write_gear: the dataset's tensor array is freed on every call (``free(t)`` dropped leaked
    560 bytes a call: 28 MB over these 50,000 calls; the resident size grows by less than 4 MB here)."""
    from acllite.tools import atc
    from test_model import Raw
    from test_model_dynamic import HW_GEARS, hw_model, load_file, sizes

    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    model_id, desc = load_file(path)
    ins, outs = sizes(desc)
    raw = Raw(ins, outs)
    try:
        setter = lib.aclmdlSetDynamicHWSize
        for _ in range(2000):  # the allocator's first growth
            setter(model_id, raw.inp, 1, 8, 6)
        before = _resident_bytes()
        for _ in range(50000):
            setter(model_id, raw.inp, 1, 8, 6)
        grown = _resident_bytes() - before
        ok(setter(model_id, raw.inp, 1, 4, 10))
        assert grown < 4 << 20, "the resident size grew by %d bytes over 50,000 calls" % grown
    finally:
        raw.close()
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(model_id))


def test_create_aipp_refuses_batch_sizes_outside_1_to_127_as_invalid_param(acl: Any, emu_log: Any) -> None:
    """model_aipp.c aclmdlCreateAIPP: NULL for a batchSize of 0 or above 127 (batchNum is an int8_t), logged with
    ACL_ERROR_INVALID_PARAM (a function returning a pointer tells its code only in the log; the code swapped for
    ACL_ERROR_RT_PARAM_INVALID went unnoticed)."""
    from acllite.binding import ffi as bffi

    for bad in (0, 128, 1 << 63):
        assert lib.aclmdlCreateAIPP(bad) == bffi.NULL
        line = "aclmdlCreateAIPP: batchSize %d is outside 1 to 127 (error %d)" % (bad, INVALID_PARAM)
        assert line in emu_log.messages(), emu_log.messages()[-3:]
    for good in (1, 127):
        a = lib.aclmdlCreateAIPP(good)
        assert a != bffi.NULL
        ok(lib.aclmdlDestroyAIPP(a))


@pytest.mark.parametrize("dims", [(3,), (2, 1), (1,)])
def test_shape_gears_need_the_dynamic_input_of_their_values(acl: Any, tmp_path: Any, monkeypatch: Any,
                                                            dims: tuple) -> None:
    """model_dynamic.c gears_read: ascend_mbatch_shape_data is 1-D of exactly as many uint64 as a gear has values
    (``dimCount != 1 && dims[0] != n`` let [3] and [2, 1] through). A wrong engine stands for it: the model's
    dynamic input is described with other dims."""
    from acllite.binding import ffi as bffi
    from acllite.emulator import om_twin
    from acllite.tools import atc
    from test_model_dynamic import HW_GEARS, hw_model

    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    real = om_twin.Model

    def reshaped(inputs: Any, *args: Any, **kwargs: Any) -> Any:
        inputs[kwargs["dynamic_index"]].dims = dims
        return real(inputs, *args, **kwargs)

    monkeypatch.setattr(om_twin, "Model", reshaped)
    cell = bffi.new("uint32_t *")
    expect_error(lib.ACL_ERROR_PARSE_MODEL, "input 1 'ascend_mbatch_shape_data' is not the ascend_mbatch_shape_data "
                 "input of 2 uint64 values", lib.aclmdlLoadFromFile, str(path).encode(), cell,
                 func="aclmdlLoadFromFile")


def test_aipp_setters_write_every_field_into_the_parameter_block(acl: Any, tmp_path: Any) -> None:
    """model_aipp.c: each setter writes all of its values into the AippData block (CANN's kAippDynamicBatchPara:
    after the 64-byte common part, per image: switches at 0..2, crop at 8, scf at 24, padding at 40, little-endian
    int32), also those the emulator does not run (scf, switch off). Dropping the write of scfInputSizeH or of
    paddingSizeBottom went unnoticed: every padding test had a bottom of 0."""
    import struct

    import numpy as np
    from test_model import Raw, get
    from test_model_dynamic_aipp import H, W, data_size, dynamic_om, load, make_set, yuv_params

    mid = load(dynamic_om(tmp_path, 1))
    raw = Raw([4096, data_size(1)], [4 * 3 * H * W])
    a = make_set([yuv_params()])
    try:
        ok(lib.aclmdlSetAIPPCropParams(a, 1, 2, 0, W - 2, H - 2, 0))
        ok(lib.aclmdlSetAIPPScfParams(a, 0, 32, 24, 16, 20, 0))
        ok(lib.aclmdlSetAIPPPaddingParams(a, 1, 1, 1, 3, 0, 0))  # top 1, bottom 1, left 3, right 0
        ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, a), "aclmdlSetInputAIPP")
        block = get(raw.ptrs[1], np.uint8, (data_size(1),)).tobytes()
        e = 64
        assert tuple(block[e:e + 3]) == (1, 0, 1)
        assert struct.unpack_from("<4i", block, e + 8) == (2, 0, W - 2, H - 2)
        assert struct.unpack_from("<4i", block, e + 24) == (32, 24, 16, 20)
        assert struct.unpack_from("<4i", block, e + 40) == (1, 1, 3, 0)
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
        raw.close()
        ok(lib.aclmdlUnload(mid))


def test_pyr_down_output_must_be_half_in_both_dimensions() -> None:
    """dvpp_vpc_ops.c acldvppVpcPyrDownAsync: the output is the input's half in width and in height (``&&`` took an
    output half in one dimension only)."""
    from test_dvpp_vpc_ops import run_ops

    res = run_ops("""
        grey = pic(0, 64, 32, 64, 32, None, 64 * 32)
        for name, (w, h) in (("half", (32, 16)), ("wide", (32, 14)), ("tall", (30, 16))):
            out = pic(0, w, h, 32, 16, None, 32 * 16)
            INFO[name] = lib.acldvppVpcPyrDownAsync(CH, grey, out, ffi.NULL, S)
            INFO[name + "_msg"] = ffi.string(lib.aclGetRecentErrMsg()).decode() if INFO[name] else ""
        sync()
    """)
    assert res["half"] == 0
    assert res["wide"] == INVALID_PARAM and "outputDesc is 32x14: half of the input 64x32 is 32x16" in res["wide_msg"]
    assert res["tall"] == INVALID_PARAM and "outputDesc is 30x16: half of the input 64x32 is 32x16" in res["tall_msg"]


def test_vpc_op_objects_made_and_destroyed_on_many_threads(acl: Any) -> None:
    """dvpp_vpc_ops.c: border configurations, LUT maps and histograms made and destroyed on four threads at once:
    every call succeeds and each is removed once. (Written for ``emu_lock()`` dropped in ops_destroy, which it
    does not catch: from Python the threads rarely meet inside the registry; see docs/RELIABILITY.md.)"""
    import threading

    from acllite.binding import ffi as bffi

    kinds = ((lib.acldvppCreateBorderConfig, lib.acldvppDestroyBorderConfig),
             (lib.acldvppCreateLutMap, lib.acldvppDestroyLutMap), (lib.acldvppCreateHist, lib.acldvppDestroyHist))
    failures: list = []

    def work(seed: int) -> None:
        try:
            for k in range(10000):
                make, destroy = kinds[(seed + k) % 3]
                held = [make() for _ in range(1 + (k + seed) % 7)]  # the registry grows and shrinks
                if any(h == bffi.NULL for h in held):
                    failures.append("NULL from a create")
                for h in held:
                    rc = destroy(h)
                    if rc:
                        failures.append(rc)
        except BaseException as exc:  # reported below: no exception is lost on a thread
            failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    b = lib.acldvppCreateBorderConfig()
    ok(lib.acldvppDestroyBorderConfig(b))
    assert lib.acldvppDestroyBorderConfig(b) != 0  # removed once, and only once


def test_dynamic_aipp_block_size_is_64_plus_96_per_image(acl: Any) -> None:
    """acllite/formats/aipp.py's layout constants: 64 + 96 bytes per image, what aclmdlGetAippDataSize (C)
    answers."""
    from acllite.binding import ffi as bffi
    from acllite.formats.aipp import AIPP_BATCH_BYTES, AIPP_HEADER_BYTES

    cell = bffi.new("size_t *")
    for n in (1, 2, 5, 127):
        ok(lib.aclmdlGetAippDataSize(n, cell))
        assert AIPP_HEADER_BYTES + n * AIPP_BATCH_BYTES == cell[0] == 64 + 96 * n


def test_a_model_of_one_image_size_gear_loads_from_memory(acl: Any, tmp_path: Any) -> None:
    """acllite/emulator/engine.py acllite_py_model_shape_gears: the number of values comes from the first gear
    (``g.values[1]`` failed a model of one gear, which the ONNX reader and the C side accept; acllite atc writes
    2 to 100)."""
    import onnx
    from acllite.binding import ffi as bffi
    from acllite.formats.onnx import META_SHAPE_GEARS, ShapeGears
    from test_model_dynamic import hw_model

    model = onnx.load(str(hw_model(tmp_path)))
    gears = ShapeGears("image_size", [(8, 6)], [[(1, 3, 8, 6)]], [[(1, 3, 8, 6), (1, 3, 1, 1)]])
    onnx.helper.set_model_props(model, {META_SHAPE_GEARS: gears.to_json()})
    blob = model.SerializeToString()
    cell = bffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromMem(blob, len(blob), cell), "aclmdlLoadFromMem (one gear)")
    desc = lib.aclmdlCreateDesc()
    try:
        ok(lib.aclmdlGetDesc(desc, cell[0]))
        hw = bffi.new("aclmdlHW *")
        ok(lib.aclmdlGetDynamicHW(desc, -1 & 0xFFFFFFFFFFFFFFFF, hw))
        assert [tuple(hw.hw[k]) for k in range(hw.hwCount)] == [(8, 6)]
    finally:
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(cell[0]))


# ------------------------------------------------------------------ survivors of CI's random sample (2026-12-04)


def test_destroying_a_null_tensor_description_says_so(acl: Any) -> None:
    """Kills tensor_desc.c `emu_fail(... "desc is NULL")` dropped in aclDestroyTensorDesc (a void function: the
    message is all the caller gets)."""
    from conftest import recent_message

    lib.aclDestroyTensorDesc(ffi.NULL)
    assert recent_message() == "aclDestroyTensorDesc: desc is NULL"


@pytest.mark.parametrize("key", ["load_start_pos_w", "load_start_pos_h"])
def test_aipp_load_start_pos_takes_4095_not_4096(key: str) -> None:
    """Kills acllite/formats/aipp.py's range of load_start_pos_w/h (0..4095, ATC's AIPP template) moved to 4094."""
    from acllite.formats import aipp

    (block,) = aipp.parse_aipp_text("aipp_op {\naipp_mode: static\ninput_format: YUV400_U8\n%s: 4095\n}\n" % key)
    assert block.get(key) == 4095
    with pytest.raises(aipp.AippConfigError, match="4096"):
        aipp.parse_aipp_text("aipp_op {\naipp_mode: static\ninput_format: YUV400_U8\n%s: 4096\n}\n" % key)
