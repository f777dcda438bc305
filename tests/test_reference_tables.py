"""Tables pinned to the documentation, as literal numbers (issue 18, survivor 2).

A test that computes its expected values from the same table as the implementation agrees with any mistake in
that table: swapping two coefficients of the default RGB->YUV matrix in acllite/formats/aipp.py went unnoticed
because the emulated AIPP and the numpy reference both read it. Here every expected value is written out:

* AIPP colour conversion: the defaults ATC fills in (BT.601 narrow range; ATC's AIPP configuration guide, "CSC
  configuration": YUV420SP->BGR rows (298, 516, 0), (298, -100, -208), (298, 0, 409) with input biases 16, 128,
  128; RGB->YUV rows (66, 129, 25), (-38, -74, 112), (112, -94, -18) with output biases 16, 128, 128), the matrix
  rederived from BT.601's luma weights, and converted pixels computed by hand (out = M.in / 256, halves up);
* VPC: resized pixels computed by hand from the bilinear (OpenCV pixel-centre) and nearest definitions;
* picture layout: plane offsets and sizes for given strides, JPEGD's output geometry (width stride aligned to
  128, height stride to 16, NV12 size ws * hs * 3 / 2);
* the OM format: ge_ir.proto field numbers and the ge.proto DataType -> aclDataType map
  (../shared/notes/om_format_and_conventions.md), on hand-encoded messages and on ATC's own a3c_pong_model.om.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
import pytest
from onnx import TensorProto, helper

import acllite
from acllite import Image, ImageProcessor, PixelFormat
from acllite.binding import ffi, lib
from acllite.formats import onnx as onnx_format
from acllite.formats.aipp import parse_aipp_text, reference_aipp
from acllite.formats.om import _modeldef, _types
from acllite.formats.om._wire import parse
from acllite.image import picture_bytes
from acllite.tools import atc
from conftest import converted_onnx, requires_emulator

#: ../shared/data/om/a3c_pong_model.om beside the checkout (or beside a folder of worktrees)
SHARED_OM = next((p / "shared" / "data" / "om" / "a3c_pong_model.om" for p in Path(__file__).resolve().parents
                  if (p / "shared" / "data" / "om" / "a3c_pong_model.om").is_file()),
                 Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "om" / "a3c_pong_model.om")

# ------------------------------------------------------------------------------------------------ AIPP CSC

YUV2BGR_601_NARROW = {"matrix_r0c0": 298, "matrix_r0c1": 516, "matrix_r0c2": 0,
                      "matrix_r1c0": 298, "matrix_r1c1": -100, "matrix_r1c2": -208,
                      "matrix_r2c0": 298, "matrix_r2c1": 0, "matrix_r2c2": 409,
                      "input_bias_0": 16, "input_bias_1": 128, "input_bias_2": 128}
RGB2YUV_601_NARROW = {"matrix_r0c0": 66, "matrix_r0c1": 129, "matrix_r0c2": 25,
                      "matrix_r1c0": -38, "matrix_r1c1": -74, "matrix_r1c2": 112,
                      "matrix_r2c0": 112, "matrix_r2c1": -94, "matrix_r2c2": -18,
                      "output_bias_0": 16, "output_bias_1": 128, "output_bias_2": 128}

#: RGB888 pixel -> YUV (BT.601 narrow range, halves rounded up): Y = 16 + round((66 R + 129 G + 25 B) / 256) ...
RGB_TO_YUV_PIXELS = [
    ((0, 0, 0), (16, 128, 128)),
    ((255, 255, 255), (235, 128, 128)),
    ((255, 0, 0), (82, 90, 240)),
    ((0, 255, 0), (144, 54, 34)),  # 129 x 255 / 256 = 128.496: 128 + 16
    ((0, 0, 255), (41, 240, 110)),
]
#: YUV420SP pixel (Y, U, V) -> (B, G, R): e.g. red (81, 90, 240): R = round((298 * 65 + 409 * 112) / 256) = 255
YUV_TO_BGR_PIXELS = [
    ((235, 128, 128), (255, 255, 255)),
    ((16, 128, 128), (0, 0, 0)),
    ((81, 90, 240), (0, 0, 255)),
    ((145, 54, 34), (1, 255, 0)),
    ((41, 240, 110), (255, 0, 0)),
    ((126, 128, 128), (128, 128, 128)),
]


def _csc_config(fmt: str) -> str:
    return "aipp_op {\n aipp_mode: static\n input_format: %s\n csc_switch: true\n}\n" % fmt


@pytest.mark.parametrize("fmt, defaults", [("YUV420SP_U8", YUV2BGR_601_NARROW), ("YVU420SP_U8", YUV2BGR_601_NARROW),
                                           ("RGB888_U8", RGB2YUV_601_NARROW), ("XRGB8888_U8", RGB2YUV_601_NARROW)])
def test_csc_defaults_are_the_documented_bt601_matrices(fmt: str, defaults: Dict[str, int]) -> None:
    channels = 3
    params = parse_aipp_text(_csc_config(fmt))[0].resolve((channels, 8, 8))
    assert {k: params[k] for k in defaults} == defaults


def test_rgb2yuv_matrix_is_bt601() -> None:
    """The literal rows above, rederived: BT.601 luma weights, luma scaled to 219 and chroma to 224 of 255, x256."""
    kr, kb = 0.299, 0.114
    kg = 1 - kr - kb
    luma = [kr, kg, kb]
    cb = [-kr / (2 * (1 - kb)), -kg / (2 * (1 - kb)), 0.5]
    cr = [0.5, -kg / (2 * (1 - kr)), -kb / (2 * (1 - kr))]
    rows = [[round(w * 219 / 255 * 256) for w in luma]] + [[round(w * 224 / 255 * 256) for w in r] for r in (cb, cr)]
    m = RGB2YUV_601_NARROW
    assert rows == [[m["matrix_r%dc%d" % (r, c)] for c in range(3)] for r in range(3)]
    # the inverse's rows, same scaling: 255/219 x 256 = 298, 2 (1 - kb) x 255/224 x 256 = 516, ...
    inv = [[298, round(2 * (1 - kb) * 255 / 224 * 256), 0],
           [298, round(-2 * (1 - kb) * kb / kg * 255 / 224 * 256), round(-2 * (1 - kr) * kr / kg * 255 / 224 * 256)],
           [298, 0, round(2 * (1 - kr) * 255 / 224 * 256)]]
    y = YUV2BGR_601_NARROW
    assert inv == [[y["matrix_r%dc%d" % (r, c)] for c in range(3)] for r in range(3)]
    assert round(255 / 219 * 256) == 298


def _rgb_image() -> np.ndarray:
    img = np.zeros((8, 8, 3), np.uint8)
    for k, (rgb, _) in enumerate(RGB_TO_YUV_PIXELS):
        img[0, k] = rgb
    return img


def _nv12_image() -> np.ndarray:
    """8x8 NV12: the pixels of YUV_TO_BGR_PIXELS on 2x2 blocks, left to right, top to bottom."""
    y = np.zeros((8, 8), np.uint8)
    uv = np.full((4, 4, 2), 128, np.uint8)
    for k, ((yy, u, v), _) in enumerate(YUV_TO_BGR_PIXELS):
        by, bx = divmod(k, 4)
        y[2 * by:2 * by + 2, 2 * bx:2 * bx + 2] = yy
        uv[by, bx] = (u, v)
    return np.concatenate([y.reshape(-1), uv.reshape(-1)])


def _converted_session(tmp_path: Path, fmt: str) -> Any:
    vi = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
    vo = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 3, 8, 8])
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["input"], ["out"])], "g", [vi], [vo]),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    (tmp_path / "id.onnx").write_bytes(model.SerializeToString())
    (tmp_path / "aipp.cfg").write_text(_csc_config(fmt))
    out = atc.convert(str(tmp_path / "id.onnx"), str(tmp_path / "conv"), insert_op_conf=str(tmp_path / "aipp.cfg"))
    return onnx_format.session(converted_onnx(out).SerializeToString())


def test_rgb_to_yuv_pixels(tmp_path: Path) -> None:
    params = parse_aipp_text(_csc_config("RGB888_U8"))[0].resolve((3, 8, 8))
    img = _rgb_image()
    ref = reference_aipp(params, img.reshape(-1))
    (emulated,) = _converted_session(tmp_path, "RGB888_U8").run(None, {"input": img.reshape(1, -1)})
    for k, (rgb, yuv) in enumerate(RGB_TO_YUV_PIXELS):
        assert tuple(ref[:, 0, k]) == yuv, "reference: RGB %s -> %s, expected %s" % (rgb, tuple(ref[:, 0, k]), yuv)
        got = tuple(emulated[0, :, 0, k])
        assert got == yuv, "emulated AIPP: RGB %s -> %s, expected %s" % (rgb, got, yuv)


def test_yuv420sp_to_bgr_pixels(tmp_path: Path) -> None:
    params = parse_aipp_text(_csc_config("YUV420SP_U8"))[0].resolve((3, 8, 8))
    data = _nv12_image()
    ref = reference_aipp(params, data)
    (emulated,) = _converted_session(tmp_path, "YUV420SP_U8").run(None, {"input": data.reshape(1, -1)})
    for k, (yuv, bgr) in enumerate(YUV_TO_BGR_PIXELS):
        by, bx = divmod(k, 4)
        for dy in (0, 1):
            for dx in (0, 1):
                at = (2 * by + dy, 2 * bx + dx)
                assert tuple(ref[:, at[0], at[1]]) == bgr, "reference: YUV %s -> %s, expected BGR %s" % (
                    yuv, tuple(ref[:, at[0], at[1]]), bgr)
                got = tuple(emulated[0, :, at[0], at[1]])
                assert got == bgr, "emulated AIPP: YUV %s at %s -> %s, expected BGR %s" % (yuv, at, got, bgr)


# --------------------------------------------------------------------------------------------------- VPC

#: The source: Y[r, c] = A[c] + B[r] (multiples of 4, so that bilinear weights of 1/4, 1/2, 3/4 give integers;
#: bilinear interpolation of a sum is the sum of the 1-D interpolations). 32x16, chroma 128.
VPC_A = [0, 40, 136, 128, 16, 120, 120, 16, 128, 136, 40, 0, 16, 88, 56, 80,
         0, 136, 8, 96, 80, 120, 56, 48, 96, 40, 40, 96, 48, 56, 120, 80]
VPC_B = [0, 24, 88, 0, 48, 40, 72, 48, 64, 24, 24, 64, 48, 72, 40, 48]

#: (out w, out h, interpolation) -> first row (x 0..5), first column (y 0..5), and pixels {(x, y): value}.
#: Bilinear, 2x up: src = (d + 0.5) / 2 - 0.5, clamped to [0, n - 1]: d = 3 -> 1.25 -> 0.75 A1 + 0.25 A2 = 64.
#: Bilinear, 2x down: src = 2 d + 0.5: the mean of two samples, d = 1 -> (A2 + A3) / 2 + (B0 + B1) / 2 = 144.
#: Nearest: src = floor(d * in / out).
VPC_EXPECTED = {
    (64, 32, 1): ([0, 10, 30, 64, 112, 134], [0, 6, 18, 40, 72, 66], {(63, 31): 128, (1, 1): 16, (5, 3): 174}),
    (64, 32, 2): ([0, 0, 40, 40, 136, 136], [0, 0, 24, 24, 88, 88], {(63, 31): 128, (1, 1): 0, (5, 3): 160}),
    (16, 8, 1): ([32, 144, 80, 80, 144, 32], [32, 64, 64, 80, 64, 64], {(15, 7): 144, (1, 1): 176, (5, 3): 80}),
    (16, 8, 2): ([0, 136, 16, 120, 128, 40], [0, 88, 48, 72, 64, 24], {(15, 7): 160, (1, 1): 224, (5, 3): 112}),
}


@requires_emulator
@pytest.mark.parametrize("size", sorted(VPC_EXPECTED))
def test_vpc_resize_pixels(acl: Any, size: Tuple[int, int, int]) -> None:
    ow, oh, interpolation = size
    y = np.array([[a + b for a in VPC_A] for b in VPC_B], np.uint8)
    nv12 = np.concatenate([y, np.full((8, 32), 128, np.uint8)])
    row, column, pixels = VPC_EXPECTED[size]
    with acllite.Device(0) as dev, ImageProcessor(dev) as ip:
        with ip.resize(Image.from_numpy(nv12, PixelFormat.NV12), ow, oh, interpolation=interpolation) as out:
            got = out.to_numpy()
    assert got[0, :6].tolist() == row
    assert got[:6, 0].tolist() == column
    assert {xy: int(got[xy[1], xy[0]]) for xy in pixels} == pixels
    assert (got[oh:] == 128).all()  # constant chroma stays constant


# ------------------------------------------------------------------------------------------------ layouts


@pytest.mark.parametrize("fmt, ws, hs, nbytes", [
    (PixelFormat.NV12, 640, 480, 460800), (PixelFormat.NV21, 640, 480, 460800),
    (PixelFormat.YUV422SP, 640, 480, 614400), (PixelFormat.YUV444SP, 640, 480, 921600),
    (PixelFormat.YUV440SP, 640, 480, 614400), (PixelFormat.YUV400, 640, 480, 307200),
    (PixelFormat.YUYV, 1280, 480, 614400), (PixelFormat.RGB888, 1920, 480, 921600),
    (PixelFormat.ARGB8888, 2560, 480, 1228800), (PixelFormat.NV12, 1024, 688, 1056768),
])
def test_picture_bytes(fmt: PixelFormat, ws: int, hs: int, nbytes: int) -> None:
    assert picture_bytes(fmt, ws, hs) == nbytes


def test_nv12_plane_offsets_with_strides() -> None:
    """32x6 NV12 with width stride 48 and height stride 8: Y row r at 48 r, the UV plane at 48 x 8 = 384."""
    flat = (np.arange(48 * 12) % 251).astype(np.uint8)
    img = Image(flat, PixelFormat.NV12, 32, 6, width_stride=48, height_stride=8)
    assert img.nbytes == 576
    px = img.to_numpy()
    assert px.shape == (9, 32)
    assert px[0, :3].tolist() == [0, 1, 2]
    assert px[5, :3].tolist() == [240, 241, 242]  # Y row 5 at byte 240
    assert px[6, :3].tolist() == [133, 134, 135]  # UV row 0 at byte 384 (384 % 251)
    assert px[8, -2:].tolist() == [8, 9]  # UV row 2 at byte 480: its bytes 30, 31 are 510, 511 (% 251)


def _flat_jpeg(w: int, h: int, subsampling: int) -> bytes:
    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.fromarray(np.full((h, w, 3), 100, np.uint8)).save(out, "JPEG", subsampling=subsampling)
    return out.getvalue()


@requires_emulator
@pytest.mark.parametrize("w, h, sub, geometry", [
    # (width, height, width stride, height stride, bytes): strides aligned to 128 x 16, odd sizes rounded down
    (1024, 683, 2, (1024, 682, 1024, 688, 1056768)),
    (333, 251, 2, (332, 250, 384, 256, 147456)),
    (64, 48, 0, (64, 48, 128, 48, 9216)),
    (200, 100, 2, (200, 100, 256, 112, 43008)),  # where aligning to 8 or 16 differ
])
def test_jpegd_output_geometry(acl: Any, w: int, h: int, sub: int, geometry: Tuple[int, ...]) -> None:
    jpeg = _flat_jpeg(w, h, sub)
    cell = ffi.new("uint32_t *")
    assert lib.acldvppJpegPredictDecSize(ffi.from_buffer(jpeg), len(jpeg), lib.PIXEL_FORMAT_YUV_SEMIPLANAR_420,
                                         cell) == 0
    assert cell[0] == geometry[4]
    with acllite.Device(0) as dev, ImageProcessor(dev) as ip, ip.decode_jpeg(jpeg) as out:
        assert (out.width, out.height, out.width_stride, out.height_stride, out.nbytes) == geometry
        assert out.format == PixelFormat.NV12


# ----------------------------------------------------------------------------------------------------- OM

#: ge.proto.DataType (the notes' list) -> the aclDataType constant of the declaration
PROTO_DTYPES = [(1, "ACL_FLOAT"), (2, "ACL_FLOAT16"), (3, "ACL_INT8"), (4, "ACL_UINT8"), (5, "ACL_INT16"),
                (6, "ACL_UINT16"), (7, "ACL_INT32"), (8, "ACL_INT64"), (9, "ACL_UINT32"), (10, "ACL_UINT64"),
                (11, "ACL_BOOL"), (12, "ACL_DOUBLE")]


@pytest.mark.parametrize("proto, acl_name", PROTO_DTYPES)
def test_om_dtype_map(proto: int, acl_name: str) -> None:
    acl_dtype = _types.dtype_from_proto(proto)
    assert acl_dtype == getattr(lib, acl_name)
    assert "ACL_" + _types.dtype_name(acl_dtype) == acl_name
    size = {"FLOAT": 4, "FLOAT16": 2, "INT8": 1, "UINT8": 1, "INT16": 2, "UINT16": 2, "INT32": 4, "INT64": 8,
            "UINT32": 4, "UINT64": 8, "BOOL": 1, "DOUBLE": 8}[acl_name[4:]]
    assert _types.dtype_size(acl_dtype) == size == lib.aclDataTypeSize(acl_dtype)


def test_om_dtype_map_unknown() -> None:
    assert _types.dtype_from_proto(0) == -1  # DT_UNDEFINED
    assert _types.dtype_from_proto(10_000) == -1


def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _field(number: int, value: Any) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def test_om_tensor_descriptor_field_numbers() -> None:
    """TensorDescriptor {name 1, dtype 2, shape 3 {dim 1}, layout 4, size 10}, encoded here by hand."""
    shape = b"".join(_field(1, d) for d in (2, 3, 5, 7))
    td = _field(1, "t") + _field(2, 9) + _field(3, shape) + _field(4, "NHWC") + _field(10, 840)
    d = _modeldef._tensor_desc(parse(td))
    assert (d.dtype, d.format, d.dims, d.size) == (lib.ACL_UINT32, lib.ACL_FORMAT_NHWC, (2, 3, 5, 7), 840)


def test_om_modeldef_field_numbers() -> None:
    """ModelDef {name 1, version 2, custom_version 3, graph 7}; GraphDef {name 1, op 6}; OpDef {name 1, type 2,
    attr 10, src_name 24, src_index 25, input_desc 33}."""
    shape = b"".join(_field(1, d) for d in (1, 4))
    td_in = _field(2, 1) + _field(3, shape) + _field(4, "ND")
    td_out = _field(2, 2) + _field(3, shape) + _field(4, "ND")
    data_op = _field(1, "x") + _field(2, "Data") + _field(33, td_in)
    out_op = _field(1, "output") + _field(2, "NetOutput") + _field(24, "relu") + _field(25, 3) + _field(33, td_out)
    graph = _field(1, "g0") + _field(6, data_op) + _field(6, out_op)
    model = _field(1, "m") + _field(2, 2) + _field(3, "1.2.3") + _field(7, graph)
    info = _modeldef.read_modeldef(memoryview(model), "test")
    assert (info.name, info.graph_name, info.version, info.custom_version) == ("m", "g0", 2, "1.2.3")
    assert [(t.name, t.acl_dtype, t.format, t.dims, t.size) for t in info.inputs] == [
        ("x", lib.ACL_FLOAT, lib.ACL_FORMAT_ND, (1, 4), 16)]
    assert [(t.name, t.acl_dtype, t.dims, t.size) for t in info.outputs] == [
        ("output_0_relu_3", lib.ACL_FLOAT16, (1, 4), 8)]


def test_om_field_numbers_on_a_real_file() -> None:
    """ATC's a3c_pong_model.om, walked with the literal field numbers (README of ../shared/data/om)."""
    if not SHARED_OM.is_file():
        pytest.skip("the shared OM file %s is absent (see ../shared/data/om/README.md)" % SHARED_OM)
    raw = SHARED_OM.read_bytes()
    assert raw[:4] == b"IMOD"
    # v1 header (256 bytes), tiny partition table: u32 count, then (type, offset, size) u32 triples
    (count,) = struct.unpack_from("<I", raw, 256)
    entries = [struct.unpack_from("<III", raw, 260 + 12 * i) for i in range(count)]
    assert entries[0] == (0, 0, 30191)
    start = 260 + 12 * count
    model = parse(raw[start:start + 30191])
    assert model.string(1) == "a3c_pong_model"
    graph = model.messages(7)[0]
    assert graph.string(1) == "a3c_pong_model_0"
    ops = {op.string(1): op for op in graph.messages(6)}
    s = ops["s"]
    assert s.string(2) == "Data"
    td = s.messages(33)[0]
    assert (td.uint(2), td.message(3).int64s(1), td.string(4)) == (1, [1, 42, 42, 1], "NHWC")  # DT_FLOAT
    outs = [op for op in graph.messages(6) if op.string(2) == "NetOutput"]
    assert len(outs) == 1 and outs[0].messages(33)[0].message(3).int64s(1) == [1]
    info = _modeldef.read_modeldef(memoryview(raw[start:start + 30191]), "a3c")
    assert [(t.name, t.acl_dtype, t.format, t.dims, t.size) for t in info.inputs] == [
        ("s", lib.ACL_FLOAT, lib.ACL_FORMAT_NHWC, (1, 42, 42, 1), 7056)]
    assert [(t.name, t.acl_dtype, t.dims) for t in info.outputs] == [("out_a:0", lib.ACL_FLOAT, (1,))]
