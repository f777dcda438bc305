"""Tests written for mutants that survived the mutation runner (tests/mutation, docs/RELIABILITY.md "Mutation
testing"): each names the code it pins down. Expected values are literals worked out by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper

from acllite import Image, PixelFormat
from acllite.dvpp import _place
from acllite.formats.aipp import AippConfigError, parse_aipp_text
from acllite.image import align, picture_bytes
from acllite.tools import atc
from conftest import converted_onnx, requires_emulator


# ------------------------------------------------------------------------------------------------ layouts


def test_align() -> None:
    assert [align(v, 16) for v in (0, 1, 15, 16, 17, 683)] == [0, 16, 16, 16, 32, 688]
    assert [align(v, 128) for v in (1, 128, 129, 333)] == [128, 128, 256, 384]
    assert align(7, 2) == 8 and align(8, 2) == 8


def _planes(fmt: PixelFormat, w: int, h: int, chroma_rows: int) -> np.ndarray:
    """Unpadded pixels as to_numpy gives them: Y rows, then the chroma plane seen as rows of w bytes."""
    return (np.arange((h + chroma_rows) * w) % 251).astype(np.uint8).reshape(h + chroma_rows, w)


@pytest.mark.parametrize("fmt, chroma_rows, chroma_at, chroma_stride, chroma_bytes", [
    # 20x4 into width stride 32, height stride 4 (Y plane 128 bytes); chroma rows of (w >> sx) * 2 bytes
    (PixelFormat.NV12, 2, 128, 32, 20),        # 4:2:0: 2 rows of 20 bytes, 32 apart
    (PixelFormat.YUV422SP, 4, 128, 32, 20),    # 4:2:2: 4 rows of 20 bytes, 32 apart
    (PixelFormat.YUV444SP, 8, 128, 64, 40),    # 4:4:4: 4 rows of 40 bytes, 64 apart (two stride rows each)
    (PixelFormat.YUV440SP, 4, 128, 64, 40),    # 4:4:0: 2 rows of 40 bytes, 64 apart
])
def test_place_writes_planes_at_the_stride_offsets(fmt: PixelFormat, chroma_rows: int, chroma_at: int,
                                                   chroma_stride: int, chroma_bytes: int) -> None:
    w, h, ws, hs = 20, 4, 32, 4
    px = _planes(fmt, w, h, chroma_rows)
    src = Image.from_numpy(px, fmt)
    dst = Image(np.zeros(picture_bytes(fmt, ws, hs), np.uint8), fmt, w, h, width_stride=ws, height_stride=hs)
    flat = np.full(dst.nbytes, 0xEE, np.uint8)
    _place(src, dst, flat)
    for r in range(h):
        assert flat[r * ws: r * ws + w].tolist() == px[r].tolist()
        assert (flat[r * ws + w: (r + 1) * ws] == 0xEE).all()  # padding untouched
    chroma = px[h:].reshape(-1)
    n_rows = chroma.size // chroma_bytes
    for r in range(n_rows):
        at = chroma_at + r * chroma_stride
        assert flat[at: at + chroma_bytes].tolist() == chroma[r * chroma_bytes:(r + 1) * chroma_bytes].tolist(), r


# ---------------------------------------------------------------------------------------------- atc, AIPP


def test_dynamic_batch_needs_a_dynamic_input(tmp_path: Path) -> None:
    vi = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    vo = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [vi], [vo]),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    (tmp_path / "m.onnx").write_bytes(model.SerializeToString())
    with pytest.raises(atc.AtcError, match="--dynamic_batch_size needs an input whose batch is -1"):
        atc.convert(str(tmp_path / "m.onnx"), str(tmp_path / "out"), input_shape="x:1,2", dynamic_batch_size="1,2")


@pytest.mark.parametrize("key", ["top_padding_size", "bottom_padding_size", "left_padding_size",
                                 "right_padding_size"])
def test_negative_padding_is_refused(key: str) -> None:
    text = "aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n padding: true\n %s: -1\n}" % key
    with pytest.raises(AippConfigError, match="pad.cfg:5: %s -1 is outside 0 to 32" % key):
        parse_aipp_text(text, "pad.cfg")  # the parser refuses it, naming the line
    block = parse_aipp_text(text.replace("-1", "1"), "pad.cfg")[0]
    block.values[key] = -1  # a block made otherwise: resolve() refuses it too
    with pytest.raises(AippConfigError, match="pad.cfg:1: aipp_op: %s is negative" % key):
        block.resolve((3, 8, 8))


# -------------------------------------------------------------------------------------------------- pyACL


@requires_emulator
def test_pyacl_handles_never_seen_before_are_passed_on(acl: Any) -> None:
    """pyACL functions turn an int handle into a pointer through a cache; an int the cache has never seen must
    still reach the C call (which refuses it), not become NULL (the default stream...)."""
    from acllite import pyacl as acl_mod

    bogus = iter(range(0x7A5A0000, 0x7A5A0000 + 64 * 0x1000, 0x1000))
    assert acl_mod.rt.synchronize_stream(next(bogus)) != 0
    assert acl_mod.rt.destroy_stream(next(bogus)) != 0
    assert acl_mod.rt.synchronize_event(next(bogus)) != 0
    assert acl_mod.rt.destroy_event(next(bogus)) != 0
    assert acl_mod.rt.set_context(next(bogus)) != 0
    assert acl_mod.rt.destroy_context(next(bogus)) != 0


# ------------------------------------------------------------------------------------------ OM attributes

def _attr_list(field: int, payload: bytes, val_type: int = 0) -> Any:
    """attr_value of AttrDef{list (1): ListValue{<field>: payload, val_type (20)}} (ge_ir.proto numbers)."""
    import om_builder as ob
    from acllite.formats.om._attrs import attr_value
    from acllite.formats.om._wire import parse

    lv = payload + (ob.f_int(20, val_type) if val_type else b"")
    return attr_value(parse(ob.f_bytes(1, lv)))


@pytest.mark.parametrize("val_type", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
def test_om_list_attributes_by_value_type(val_type: int) -> None:
    """ListValue {s 2, i 3, f 4, b 5, bt 7, dt 12, val_type 20}; ListValueType {NONE 0, STRING 1, INT 2, FLOAT 3,
    BOOL 4, BYTES 5, ..., DATA_TYPE 10}. With val_type NONE, whichever field is present."""
    import struct

    import om_builder as ob

    cases = {
        1: (ob.f_str(2, "a") + ob.f_str(2, "bc"), ["a", "bc"]),
        2: (ob.f_packed(3, [7, 300]), [7, 300]),
        3: (ob.f_bytes(4, struct.pack("<2f", 0.5, -2.0)), [0.5, -2.0]),
        4: (ob.f_packed(5, [1, 0]), [True, False]),
        5: (ob.f_bytes(7, b"\x01\x02") + ob.f_bytes(7, b""), [b"\x01\x02", b""]),
        10: (ob.f_packed(12, [1, 9]), [1, 9]),
        6: (ob.f_bytes(8, b"") + ob.f_bytes(8, b""), ["<tensor desc>", "<tensor desc>"]),
        7: (ob.f_bytes(9, b""), ["<tensor>"]),
        8: (ob.f_bytes(10, b""), ["<graph>"]),
        9: (ob.f_bytes(11, ob.attrs(2, {"k": 5})), [{"k": 5}]),
    }
    if val_type:
        payload, expected = cases[val_type]
        assert _attr_list(0, payload, val_type) == expected
    else:
        for kind, (payload, expected) in cases.items():
            if kind not in (7, 8):  # without a type, tensors (9) and graphs (10) are not looked for
                assert _attr_list(0, payload) == expected, kind


# ----------------------------------------------------------------------------------------- Model dtypes


def test_model_dtype_table() -> None:
    from acllite.binding import lib
    from acllite.model import ACL_TO_NUMPY

    expected = {"ACL_FLOAT": np.float32, "ACL_FLOAT16": np.float16, "ACL_INT8": np.int8, "ACL_INT32": np.int32,
                "ACL_UINT8": np.uint8, "ACL_INT16": np.int16, "ACL_UINT16": np.uint16, "ACL_UINT32": np.uint32,
                "ACL_INT64": np.int64, "ACL_UINT64": np.uint64, "ACL_DOUBLE": np.float64, "ACL_BOOL": np.bool_}
    assert {getattr(lib, name): np.dtype(t) for name, t in expected.items()} == ACL_TO_NUMPY


# ---------------------------------------------------------------------------------------------- acl.util


def test_pyacl_util_pointer_checks() -> None:
    from acllite.pyacl import util

    data = np.arange(16, dtype=np.float32)
    ptr = data.ctypes.data
    assert util.ptr_to_bytes(ptr, 8) == data[:2].tobytes()
    view = util.ptr_to_numpy(ptr, (2, 2), np.dtype(np.float32).num)
    assert view.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert util.ptr_to_bytes(0, 0) == b"" and util.ptr_to_numpy(0, (0, 3), 11).shape == (0, 3)
    with pytest.raises(ValueError, match="acl.util.ptr_to_bytes: ptr is NULL"):
        util.ptr_to_bytes(0, 4)
    with pytest.raises(ValueError, match="acl.util.ptr_to_numpy: ptr is NULL"):
        util.ptr_to_numpy(0, 4, 11)
    with pytest.raises(TypeError, match="acl.util.ptr_to_bytes: ptr: a pointer or handle must be an int, not str"):
        util.ptr_to_bytes("1234", 4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not int64"):
        util.ptr_to_bytes(np.int64(ptr), 4)  # type: ignore[arg-type]

    class Address(int):
        pass

    assert util.ptr_to_bytes(Address(ptr), 4) == data[:1].tobytes()  # int subclasses are ints


# ------------------------------------------------------------------------------------------ Image.to_rgb


@pytest.mark.parametrize("fmt, pixel", [
    (PixelFormat.RGB888, [10, 20, 30]), (PixelFormat.BGR888, [30, 20, 10]),
    (PixelFormat.RGBA8888, [10, 20, 30, 99]), (PixelFormat.BGRA8888, [30, 20, 10, 99]),
    (PixelFormat.ARGB8888, [99, 10, 20, 30]), (PixelFormat.ABGR8888, [99, 30, 20, 10]),
])
def test_to_rgb_channel_orders(fmt: PixelFormat, pixel: list) -> None:
    px = np.array(pixel * 4, np.uint8).reshape(2, 2, len(pixel))
    assert Image.from_numpy(px, fmt).to_rgb().reshape(-1, 3).tolist() == [[10, 20, 30]] * 4


# ------------------------------------------------------------------------------------- emulator's model.c


@requires_emulator
def test_load_from_mem_with_mem_refuses_an_empty_model(acl: Any) -> None:
    from acllite.binding import ffi, lib
    from conftest import expect_error

    mid = ffi.new("uint32_t *")
    for data, size in ((ffi.NULL, 16), (ffi.new("char[16]"), 0)):
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "the model is empty", lib.aclmdlLoadFromMemWithMem, data, size,
                     mid, ffi.NULL, 0, ffi.NULL, 0)


def test_pyacl_app_log_levels(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from acllite import pyacl as acl_mod

    with caplog.at_level(logging.DEBUG, logger="acllite.pyacl.app"):
        for level in (0, 1, 2, 3, 7):
            acl_mod.app_log(level, "message %d" % level)
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "acllite.pyacl.app"] == [
        (logging.DEBUG, "message 0"), (logging.INFO, "message 1"), (logging.WARNING, "message 2"),
        (logging.ERROR, "message 3"), (logging.INFO, "message 7")]


def test_aipp_crop_from_a_one_pixel_wide_source() -> None:
    block = parse_aipp_text("aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n crop: true\n"
                            " src_image_size_w: 1\n src_image_size_h: 8\n}")[0]
    p = block.resolve((3, 8, 1))
    assert (p["src_image_size_w"], p["src_image_size_h"], p["crop_size_w"], p["crop_size_h"]) == (1, 8, 1, 8)


# ----------------------------------------------------------------------------------- pyACL, cold cache

from test_pyacl import models  # noqa: E402,F401 - the module's fixture, for the test below
from test_pyacl import test_every_covered_function_returns_pyacls_shape as _every_covered_function  # noqa: E402


@pytest.fixture
def cold_pointer_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyACL functions turn int handles into pointers with ``cached(x) or pointer(x)``: with the cache always
    missing (as for handles a program computed, or after the cache was cleared), only the second half works.
    Every shim looks up one dict (``_common._POINTERS``): emptied, and ``pointer`` given a fresh one to fill."""
    from acllite.pyacl import _common

    _common._POINTERS.clear()
    monkeypatch.setattr(_common, "_POINTERS", {})


@requires_emulator
def test_every_covered_pyacl_function_with_a_cold_pointer_cache(cold_pointer_cache: None, uninitialized: None,
                                                                 models: Any) -> None:  # noqa: F811
    _every_covered_function(uninitialized, models)


# --------------------------------------------------------------------------------------- runtime, OM types


@requires_emulator
def test_synchronize_lets_go_of_the_host_arrays_of_async_copies(acl: Any) -> None:
    import gc
    import weakref

    import acllite

    with acllite.Device(0) as dev, dev.create_stream() as stream, dev.alloc(4096) as buf:
        data = np.ones(4096, np.uint8)
        ref = weakref.ref(data)
        buf.copy_from(data, stream)
        del data
        gc.collect()
        assert ref() is not None  # kept alive while the copy may still read it
        stream.synchronize()
        gc.collect()
        assert ref() is None


def test_om_tensors_are_immutable() -> None:
    import dataclasses

    from acllite.formats.om import OmTensor

    t = OmTensor("x", 0, 0, (1, 2), (1, 2), 8, 8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.size = 16  # type: ignore[misc]
    assert hash(t) == hash(OmTensor("x", 0, 0, (1, 2), (1, 2), 8, 8))


@requires_emulator
def test_a_timed_out_synchronize_keeps_the_host_arrays(acl: Any) -> None:
    import gc
    import weakref

    import acllite
    from conftest import StreamHold

    with acllite.Device(0) as dev, dev.create_stream() as stream, dev.alloc(4096) as buf:
        hold = StreamHold(stream.handle)
        try:
            data = np.ones(4096, np.uint8)
            ref = weakref.ref(data)
            buf.copy_from(data, stream)
            del data
            with pytest.raises(acllite.AclTimeoutError):
                stream.synchronize(timeout_ms=20)
            gc.collect()
            assert ref() is not None  # the copy has not run: its source must stay alive
        finally:
            hold.close()
        stream.synchronize()
        gc.collect()
        assert ref() is None


@requires_emulator
def test_event_record_on_the_default_stream_and_on_a_stream(acl: Any) -> None:
    import acllite
    from conftest import StreamHold

    with acllite.Device(0) as dev, dev.create_stream() as stream, dev.create_event() as event:
        event.record()  # the default stream
        event.synchronize()
        assert event.query()
        with StreamHold(stream.handle) as hold:
            event.record(stream)
            assert not event.query()  # recorded on the held stream, not on the default one
            hold.release()
            event.synchronize()
        assert event.query()


# ----------------------------------------------------------------------------------------- OM dtype maps

#: ge.proto DataType 13.. (ge_ir.proto) -> aclDataType (ge::DataType numbering) and its name
PROTO_DTYPES_MORE = [(13, 13, "STRING"), (14, 14, "DUAL_SUB_INT8"), (15, 15, "DUAL_SUB_UINT8"),
                     (16, 16, "COMPLEX64"), (17, 17, "COMPLEX128"), (18, 18, "QINT8"), (19, 19, "QINT16"),
                     (20, 20, "QINT32"), (21, 21, "QUINT8"), (22, 22, "QUINT16"), (23, 23, "RESOURCE"),
                     (24, 24, "STRING_REF"), (25, 25, "DUAL"), (26, 26, "VARIANT"), (27, 27, "BF16"),
                     (28, 29, "INT4")]


def test_om_dtype_map_beyond_the_common_types() -> None:
    from acllite.binding import lib
    from acllite.formats.om import _types

    assert [(p, _types.dtype_from_proto(p), _types.dtype_name(_types.dtype_from_proto(p)))
            for p, _, _ in PROTO_DTYPES_MORE] == PROTO_DTYPES_MORE
    assert (lib.ACL_STRING, lib.ACL_COMPLEX64, lib.ACL_COMPLEX128, lib.ACL_BF16, lib.ACL_INT4) == (13, 16, 17, 27, 29)
    # the old tensor attribute __tensor_desc_data_type__: 13 is DUAL, 14..22 as numbered
    self_defined = {13: 25, 14: 14, 15: 15, 16: 16, 17: 17, 18: 18, 19: 19, 20: 20, 21: 21, 22: 22}
    assert {k: _types.dtype_from_proto(0, k) for k in range(12, 24)} == {**self_defined, 12: -1, 23: -1}


# ------------------------------------------------------------------------------------------- YUV to RGB


def test_yuv_to_rgb_jfif_pixels() -> None:
    """JFIF: R = Y + 1.402 (V - 128), G = Y - 0.344136 (U - 128) - 0.714136 (V - 128), B = Y + 1.772 (U - 128)."""
    from acllite.image import yuv_to_rgb

    yuv = np.array([[128, 128, 128], [76, 85, 255], [150, 44, 21], [29, 255, 107], [255, 128, 128]], np.uint8)
    rgb = yuv_to_rgb(yuv[:, 0], yuv[:, 1], yuv[:, 2])
    assert rgb.tolist() == [[128, 128, 128], [254, 0, 0], [0, 255, 1], [0, 0, 254], [255, 255, 255]]


# ---------------------------------------------------------------------------------------------- op.cast


@requires_emulator
def test_pyacl_cast_checks_both_buffer_sizes(acl: Any) -> None:
    """acl.op.cast is aclopCast: where the emulator does not emulate it, it says so; where it does, it checks
    both buffers' sizes."""
    from acllite import pyacl
    from acllite.pyacl import op, rt

    import test_pyacl_surface as surface

    if "aclopCast" in surface.NOT_EMULATED:
        assert op.cast(0, 0, 0, 0, 0, 0) == 200001
        assert pyacl.get_recent_err_msg() == surface._not_emulated_message("aclopCast")
        return

    src_desc, dst_desc = pyacl.create_tensor_desc(0, [6], 2), pyacl.create_tensor_desc(1, [6], 2)
    stream, _ = rt.create_stream()
    bufs = []
    try:
        dev_in, _ = rt.malloc(24, 0)
        dev_out, _ = rt.malloc(12, 0)
        bufs += [dev_in, dev_out]
        from test_pyacl import _cast_model

        model = _cast_model(6)  # aclopCast runs the Cast model that matches (as on a device)
        assert op.load(pyacl.util.bytes_to_ptr(model), len(model)) == 0
        ok_in, short_in = pyacl.create_data_buffer(dev_in, 24), pyacl.create_data_buffer(dev_in, 20)
        ok_out, short_out = pyacl.create_data_buffer(dev_out, 12), pyacl.create_data_buffer(dev_out, 10)
        try:
            assert op.cast(src_desc, ok_in, dst_desc, ok_out, 0, stream) == 0
            assert op.cast(src_desc, short_in, dst_desc, ok_out, 0, stream) == 100000
            assert op.cast(src_desc, ok_in, dst_desc, short_out, 0, stream) == 100000
        finally:
            for db in (ok_in, short_in, ok_out, short_out):
                pyacl.destroy_data_buffer(db)
    finally:
        for p in bufs:
            rt.free(p)
        rt.destroy_stream(stream)
        pyacl.destroy_tensor_desc(src_desc)
        pyacl.destroy_tensor_desc(dst_desc)


# -------------------------------------------------------------------------------------- JPEG, DHT ids


@requires_emulator
def test_jpeg_with_a_huffman_table_of_id_3_decodes(acl: Any) -> None:
    """DHT table ids go 0..3 (ITU T.81 B.2.4.2): an extra, unused AC table 3 is valid."""
    import io

    import acllite
    from acllite import ImageProcessor
    from PIL import Image as PILImage

    y, x = np.mgrid[0:32, 0:48]
    out = io.BytesIO()
    PILImage.fromarray(np.stack([x * 5, y * 7, x + y], -1).astype(np.uint8)).save(out, "JPEG", quality=90)
    jpeg = out.getvalue()
    sos = jpeg.index(b"\xff\xda")
    table = bytes([0x13]) + bytes([1] + [0] * 15) + bytes([0])  # class 1 (AC), id 3: one code of length 1
    dht = b"\xff\xc4" + (2 + len(table)).to_bytes(2, "big") + table
    patched = jpeg[:sos] + dht + jpeg[sos:]
    with acllite.Device(0) as dev, ImageProcessor(dev) as ip:
        with ip.decode_jpeg(jpeg) as a, ip.decode_jpeg(patched) as b:
            assert np.array_equal(a.to_numpy(), b.to_numpy())


# ------------------------------------------------------------------------------------- atc, NHWC output


def test_aipp_into_an_nhwc_model(tmp_path: Path) -> None:
    """With --input_format=NHWC the AIPP output is transposed to [N, H, W, C] for the model."""
    from acllite.formats import onnx as onnx_format
    from acllite.formats.aipp import reference_aipp

    vi = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4, 6, 3])
    vo = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 4, 6, 3])
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["input"], ["out"])], "g", [vi], [vo]),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    (tmp_path / "m.onnx").write_bytes(model.SerializeToString())
    cfg = "aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n mean_chn_0: 10\n var_reci_chn_2: 0.5\n}\n"
    (tmp_path / "aipp.cfg").write_text(cfg)
    out = atc.convert(str(tmp_path / "m.onnx"), str(tmp_path / "conv"), insert_op_conf=str(tmp_path / "aipp.cfg"),
                      input_format="NHWC")
    img = np.random.default_rng(4).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    (got,) = onnx_format.session(converted_onnx(out).SerializeToString()).run(None, {"input": img.reshape(1, -1)})
    params = parse_aipp_text(cfg)[0].resolve((3, 4, 6))
    assert got.shape == (1, 4, 6, 3)
    np.testing.assert_allclose(got[0], reference_aipp(params, img.reshape(-1)).transpose(1, 2, 0))
    assert got[0, 1, 2].tolist() == [img[1, 2, 0] - 10.0, float(img[1, 2, 1]), img[1, 2, 2] * 0.5]


# ------------------------------------------------------------------------------------ OM model attributes


def test_om_model_attributes_up_to_1024_bytes_are_collected() -> None:
    """Model attributes (AttrDef messages) of at most 1024 bytes are described; larger ones (task lists) not."""
    import om_builder as ob
    from acllite.formats import om

    # AttrDef{s (2): n bytes} is 1 + 2 + n bytes for 128 <= n < 16384
    md = ob.model_def("m", [ob.graph("g", [])], {"fits": "a" * 1021, "too_big": "b" * 1022})
    m = om.parse(ob.om_file(ob.V2, [[(0, md)]]), "attrs.om")
    assert m.attributes.get("fits") == "a" * 1021
    assert "too_big" not in m.attributes


# ------------------------------------------------------------------------------------- the pyACL shim


def test_shim_says_when_the_real_pyacl_is_missing(tmp_path: Path) -> None:
    """``ACLLITE_PYACL=real`` with no other ``acl`` on the path: an ImportError that says so."""
    import subprocess
    import sys

    from acllite.pyacl import __main__ as runner
    from conftest import child_env

    proc = subprocess.run([sys.executable, "-c", "import acl"], cwd=str(tmp_path), capture_output=True, text=True,
                          env=child_env({"PYTHONPATH": runner.shim_dir(), "ACLLITE_PYACL": "real"}), timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().split("\n")[-1].startswith("ImportError: ACLLITE_PYACL=real, but "), proc.stderr


def test_acl_finalize_runs_the_pyacl_finalize_hooks() -> None:
    """Kills acllite/pyacl/_common.py `for hook in _finalize_hooks` run zero times: the registries pyACL keeps for
    handles (pending callbacks, config strings, VDEC/VENC callbacks) must end with a successful acl.finalize."""
    import acllite.pyacl as acl
    from acllite.pyacl import _common

    ran = []

    def hook() -> None:
        ran.append(True)

    _common.on_finalize(hook)
    try:
        assert acl.init() == 0
        assert ran == []
        assert acl.finalize() == 0
        assert ran == [True]
    finally:
        _common._finalize_hooks.remove(hook)


def test_atc_help_exits_0() -> None:
    """Kills acllite/tools/atc.py `return 0` after --help turned into 1 (CI's random sample, 2026-12-04): asking for
    help is not a failure."""
    from acllite.tools import atc

    assert atc.main(["--help"]) == 0
    assert atc.main(["-h"]) == 0


def test_png_decoded_as_stored_is_rgba_with_alpha_and_rgb_without() -> None:
    """Kills acllite/dvpp.py `alpha = comps[0] in (2, 4)` turned into (2, 3) (CI's random sample, 2026-12-04): a PNG
    decoded with PixelFormat.UNKNOWN ("as stored") on a SoC with PNGD is RGBA8888 when it has alpha (4 components:
    RGBA; 2: grey + alpha), RGB888 when not (3: RGB)."""
    from conftest import run_python_ok

    out = run_python_ok('''
import io
import numpy as np
from PIL import Image as PILImage
import acllite
from acllite.dvpp import ImageProcessor
from acllite.image import PixelFormat

def png(mode):
    buf = io.BytesIO()
    PILImage.fromarray(np.full((32, 32, len(mode)), 200, np.uint8), mode).save(buf, "PNG")
    return buf.getvalue()

with acllite.init(), acllite.Device(0) as d, ImageProcessor(d) as ip:
    s = d.create_stream()
    for mode in ("RGBA", "RGB"):
        # queued: the resize works from the geometry predicted before the decode has run
        img = ip.decode_png(png(mode), PixelFormat.UNKNOWN, stream=s)
        small = ip.resize(img, 16, 16, stream=s)
        s.synchronize()
        print(mode, PixelFormat(img.format).name, int(small.to_rgb()[8, 8, 0]))
        small.close()
        img.close()
    s.close()
''', {"ACLLITE_EMU_SOC": "Ascend310P3"})
    rows = [line.split() for line in out.splitlines()]
    assert [r[:2] for r in rows] == [["RGBA", "RGBA8888"], ["RGB", "RGB888"]], out
    assert all(abs(int(r[2]) - 200) <= 3 for r in rows), out  # the grey 200 survives the resize
