"""Dynamic AIPP as ATC and ACL define it: ``aipp_mode: dynamic`` in acllite atc's AIPP configuration adds the
AippData input (ascend_dynamic_aipp_data); aclmdlCreateAIPP and its setters build the parameters;
aclmdlSetInputAIPP / aclmdlSetAIPPByInputIndex write them into that input; each execution applies them. The
reference is the static-AIPP path (ONNX operators acllite atc compiles in front of the model) with the same
parameters: the outputs must be equal. Every misuse with its code and message."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest
from onnx import TensorProto, helper

from acllite.binding import ffi, lib
from acllite.formats.aipp import AippConfigError
from acllite.tools import atc
from conftest import expect_error, ok, requires_emulator
from test_model import Raw, get, put

pytestmark = requires_emulator

ACL_ERROR_INVALID_PARAM = 100000
ACL_ERROR_GE_PARAM_INVALID = 145000
ACL_ERROR_GE_DYNAMIC_INPUT_LENGTH_INVALID = 145012
ACL_ERROR_GE_AIPP_BATCH_EMPTY = 145014
ACL_ERROR_GE_AIPP_NOT_EXIST = 145015
YUV420SP, RGB888 = 1, 3
FORMATS = {"YUV420SP_U8": 1, "XRGB8888_U8": 2, "RGB888_U8": 3, "YUV400_U8": 4}
H, W = 6, 8  # the model's input
YUV_CSC = ((298, 516, 0), (298, -100, -208), (298, 0, 409))
RGB_CSC = ((66, 129, 25), (-38, -74, 112), (112, -94, -18))


def identity_model(path: Path, n: int, channels: int = 3) -> Path:
    """y = x + 0 ([n, C, H, W] float): the output is the preprocessed input itself."""
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    nodes = [helper.make_node("Constant", [], ["z"], value=zero), helper.make_node("Add", ["x", "z"], ["y"])]
    f = TensorProto.FLOAT
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", f, [n, channels, H, W])],
                          [helper.make_tensor_value_info("y", f, [n, channels, H, W])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


# One image's parameters, in the static configuration's names (the static path's reference).
Params = Dict[str, Any]


def yuv_params(x: int = 2, y: int = 0, mean: Tuple[int, ...] = (10, 20, 30), mn: Tuple[float, ...] = (0.5, 1.5, 2.0),
               var: Tuple[float, ...] = (0.5, 0.25, 2.0)) -> Params:
    p: Params = {"input_format": "YUV420SP_U8", "src_image_size_w": 12, "src_image_size_h": 8, "crop": True,
                 "load_start_pos_w": x, "load_start_pos_h": y, "crop_size_w": W, "crop_size_h": H,
                 "csc_switch": True}
    for r in range(3):
        for c in range(3):
            p["matrix_r%dc%d" % (r, c)] = YUV_CSC[r][c]
    for i in range(3):
        p["input_bias_%d" % i] = (16, 128, 128)[i]
        p["output_bias_%d" % i] = (16, 128, 128)[i]
        p["mean_chn_%d" % i], p["min_chn_%d" % i], p["var_reci_chn_%d" % i] = mean[i], mn[i], var[i]
    return p


def rgb_params() -> Params:
    """RGB888 -> YUV with the output biases, R/B swapped, no crop, padding."""
    p: Params = {"input_format": "RGB888_U8", "src_image_size_w": W - 2, "src_image_size_h": H - 1,
                 "csc_switch": True, "rbuv_swap_switch": True, "padding": True, "left_padding_size": 1,
                 "right_padding_size": 1, "top_padding_size": 1, "bottom_padding_size": 0}
    for r in range(3):
        for c in range(3):
            p["matrix_r%dc%d" % (r, c)] = RGB_CSC[r][c]
    for i in range(3):
        p["output_bias_%d" % i] = (16, 128, 128)[i]
        p["input_bias_%d" % i] = 0
        p["mean_chn_%d" % i], p["min_chn_%d" % i], p["var_reci_chn_%d" % i] = 3 * i, 0.0, 1.0
    return p


def static_conf(p: Params) -> str:
    lines = ["aipp_op {", " aipp_mode: static"] + [
        " %s: %s" % (k, str(v).lower() if isinstance(v, bool) else v) for k, v in p.items()] + ["}"]
    return "\n".join(lines) + "\n"


def image_bytes(p: Params, seed: int) -> np.ndarray:
    w, h = p["src_image_size_w"], p["src_image_size_h"]
    per_pixel = {"YUV420SP_U8": 1.5, "XRGB8888_U8": 4, "RGB888_U8": 3, "YUV400_U8": 1}[p["input_format"]]
    n = int(w * h * per_pixel)
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8)


def load(path: Path) -> int:
    cell = ffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromFile(str(path).encode(), cell), "aclmdlLoadFromFile")
    return int(cell[0])


def run_static(tmp_path: Path, p: Params, image: np.ndarray, tag: str) -> np.ndarray:
    conf = tmp_path / ("static_%s.cfg" % tag)
    conf.write_text(static_conf(p))
    om = atc.convert(str(identity_model(tmp_path / ("s_%s.onnx" % tag), 1)), str(tmp_path / ("static_" + tag)),
                     insert_op_conf=str(conf))
    mid = load(om)
    raw = Raw([image.nbytes], [4 * 3 * H * W])
    try:
        put(raw.ptrs[0], image)
        ok(lib.aclmdlExecute(mid, raw.inp, raw.out), "aclmdlExecute (static)")
        return get(raw.ptrs[1], np.float32, (1, 3, H, W))
    finally:
        raw.close()
        ok(lib.aclmdlUnload(mid))


def batched_dynamic_om(tmp_path: Path) -> Path:
    """The identity model with dynamic AIPP (max_src_image_size 200) and batch gears 1, 2, 4."""
    import onnx

    src = identity_model(tmp_path / "n.onnx", 1)
    model = onnx.load(str(src))
    for vi in list(model.graph.input) + list(model.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.save(model, str(src))
    conf = tmp_path / "dyn.cfg"
    conf.write_text("aipp_op {\n aipp_mode: dynamic\n max_src_image_size: 200\n}\n")
    return Path(atc.convert(str(src), str(tmp_path / "batched"), insert_op_conf=str(conf),
                            input_shape="x:-1,3,%d,%d" % (H, W), dynamic_batch_size="1,2,4"))


def dynamic_om(tmp_path: Path, n: int, max_bytes: int = 4096) -> Path:
    conf = tmp_path / "dynamic.cfg"
    conf.write_text("aipp_op {\n aipp_mode: dynamic\n related_input_rank: 0\n max_src_image_size: %d\n}\n" % max_bytes)
    return atc.convert(str(identity_model(tmp_path / "d.onnx", n)), str(tmp_path / "dynamic"),
                       insert_op_conf=str(conf))


def make_set(params: List[Params]) -> Any:
    """An aclmdlAIPP holding params (common part from the first)."""
    a = lib.aclmdlCreateAIPP(len(params))
    assert a != ffi.NULL
    p0 = params[0]
    ok(lib.aclmdlSetAIPPInputFormat(a, FORMATS[p0["input_format"]]))
    ok(lib.aclmdlSetAIPPSrcImageSize(a, p0["src_image_size_w"], p0["src_image_size_h"]))
    m = [p0.get("matrix_r%dc%d" % (r, c), 0) for r in range(3) for c in range(3)]
    bias = [p0.get("output_bias_%d" % i, 0) for i in range(3)] + [p0.get("input_bias_%d" % i, 0) for i in range(3)]
    ok(lib.aclmdlSetAIPPCscParams(a, int(p0.get("csc_switch", False)), *m, *bias))
    ok(lib.aclmdlSetAIPPRbuvSwapSwitch(a, int(p0.get("rbuv_swap_switch", False))))
    ok(lib.aclmdlSetAIPPAxSwapSwitch(a, int(p0.get("ax_swap_switch", False))))
    for b, p in enumerate(params):
        ok(lib.aclmdlSetAIPPCropParams(a, int(p.get("crop", False)), p.get("load_start_pos_w", 0),
                                       p.get("load_start_pos_h", 0), p.get("crop_size_w", 0), p.get("crop_size_h", 0),
                                       b))
        ok(lib.aclmdlSetAIPPPaddingParams(a, int(p.get("padding", False)), p.get("top_padding_size", 0),
                                          p.get("bottom_padding_size", 0), p.get("left_padding_size", 0),
                                          p.get("right_padding_size", 0), b))
        ok(lib.aclmdlSetAIPPScfParams(a, 0, 0, 0, 0, 0, b))
        ok(lib.aclmdlSetAIPPDtcPixelMean(a, *[p.get("mean_chn_%d" % i, 0) for i in range(3)], 0, b))
        ok(lib.aclmdlSetAIPPDtcPixelMin(a, *[p.get("min_chn_%d" % i, 0.0) for i in range(3)], 0.0, b))
        ok(lib.aclmdlSetAIPPPixelVarReci(a, *[p.get("var_reci_chn_%d" % i, 1.0) for i in range(3)], 1.0, b))
    return a


def data_size(n: int) -> int:
    cell = ffi.new("size_t *")
    ok(lib.aclmdlGetAippDataSize(n, cell))
    return int(cell[0])


def run_dynamic(om: Path, params: List[Params], images: List[np.ndarray], by_input_index: bool = False) -> np.ndarray:
    n = len(params)
    mid = load(om)
    image = np.concatenate(images)
    raw = Raw([4096 * n, data_size(n)], [4 * 3 * H * W * n])
    a = make_set(params)
    try:
        put(raw.ptrs[0], image)
        if by_input_index:
            ok(lib.aclmdlSetAIPPByInputIndex(mid, raw.inp, 0, a), "aclmdlSetAIPPByInputIndex")
        else:
            ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, a), "aclmdlSetInputAIPP")
        ok(lib.aclmdlExecute(mid, raw.inp, raw.out), "aclmdlExecute (dynamic)")
        return get(raw.ptrs[2], np.float32, (n, 3, H, W))
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
        raw.close()
        ok(lib.aclmdlUnload(mid))


# ------------------------------------------------------------------------------- equal to static AIPP


@pytest.mark.parametrize("by_input_index", [False, True])
def test_yuv420sp_crop_csc_dtc_equals_static(acl: Any, tmp_path: Path, by_input_index: bool) -> None:
    p = yuv_params()
    image = image_bytes(p, 1)
    want = run_static(tmp_path, p, image, "yuv")
    got = run_dynamic(dynamic_om(tmp_path, 1), [p], [image], by_input_index)
    assert np.abs(want).max() > 1  # not a trivially zero image
    np.testing.assert_array_equal(got, want)


def test_rgb888_swap_csc_padding_equals_static(acl: Any, tmp_path: Path) -> None:
    p = rgb_params()
    image = image_bytes(p, 2)
    want = run_static(tmp_path, p, image, "rgb")
    got = run_dynamic(dynamic_om(tmp_path, 1), [p], [image])
    np.testing.assert_array_equal(got, want)


def test_per_batch_element_parameters(acl: Any, tmp_path: Path) -> None:
    """Two images, each with its own crop and mean/min/var: each equals the static model built with its own."""
    params = [yuv_params(x=0, y=2), yuv_params(x=4, y=0, mean=(1, 2, 3), mn=(0.0, 0.25, 8.0), var=(1.0, 0.125, 4.0))]
    images = [image_bytes(p, 10 + b) for b, p in enumerate(params)]
    got = run_dynamic(dynamic_om(tmp_path, 2), params, images)
    for b, p in enumerate(params):
        want = run_static(tmp_path, p, images[b], "b%d" % b)
        np.testing.assert_array_equal(got[b:b + 1], want)
    assert not np.array_equal(got[0], got[1])


def plain_model(path: Path, channels: int, nhwc: bool, half: bool) -> Path:
    """y = x + 0 with a [1, C, H, W] (or [1, H, W, C]) float or float16 input."""
    elem = TensorProto.FLOAT16 if half else TensorProto.FLOAT
    dims = [1, H, W, channels] if nhwc else [1, channels, H, W]
    zero = helper.make_tensor("zero", elem, [], [0.0])
    nodes = [helper.make_node("Constant", [], ["z"], value=zero), helper.make_node("Add", ["x", "z"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", elem, dims)],
                          [helper.make_tensor_value_info("y", elem, dims)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def run_both(tmp_path: Path, p: Params, channels: int = 3, nhwc: bool = False, half: bool = False) -> Tuple[
        np.ndarray, np.ndarray]:
    """The static and the dynamic AIPP model of the same plain model, run on one image with the same parameters."""
    fmt = "NHWC" if nhwc else "NCHW"
    src = str(plain_model(tmp_path / "plain.onnx", channels, nhwc, half))
    conf = tmp_path / "static.cfg"
    conf.write_text(static_conf(p))
    static = atc.convert(src, str(tmp_path / "static"), insert_op_conf=str(conf), input_format=fmt)
    dconf = tmp_path / "dynamic.cfg"
    dconf.write_text("aipp_op {\n aipp_mode: dynamic\n max_src_image_size: 4096\n}\n")
    dynamic = atc.convert(src, str(tmp_path / "dynamic"), insert_op_conf=str(dconf), input_format=fmt)
    image = image_bytes(p, 7)
    elem = 2 if half else 4
    out_bytes = channels * H * W * elem
    results = []
    a = make_set([p])
    try:
        for om, n_in in ((static, 1), (dynamic, 2)):
            mid = load(om)
            raw = Raw([4096] + [data_size(1)] * (n_in - 1), [out_bytes])
            try:
                put(raw.ptrs[0], image)
                if n_in == 2:
                    ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, a), "aclmdlSetInputAIPP")
                ok(lib.aclmdlExecute(mid, raw.inp, raw.out), "aclmdlExecute")
                results.append(get(raw.ptrs[n_in], np.float16 if half else np.float32, (out_bytes // elem,)))
            finally:
                raw.close()
                ok(lib.aclmdlUnload(mid))
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
    return results[0], results[1]


def xrgb_params(ax_swap: bool) -> Params:
    p = rgb_params()
    p.update(input_format="XRGB8888_U8", ax_swap_switch=ax_swap)
    return p


@pytest.mark.parametrize("ax_swap", [False, True])
def test_xrgb8888_equals_static(acl: Any, tmp_path: Path, ax_swap: bool) -> None:
    want, got = run_both(tmp_path, xrgb_params(ax_swap))
    assert np.abs(want).max() > 1
    np.testing.assert_array_equal(got, want)


def test_yuv400_equals_static(acl: Any, tmp_path: Path) -> None:
    p: Params = {"input_format": "YUV400_U8", "src_image_size_w": W + 2, "src_image_size_h": H, "crop": True,
                 "load_start_pos_w": 2, "load_start_pos_h": 0, "crop_size_w": W, "crop_size_h": H,
                 "mean_chn_0": 100, "min_chn_0": 0.5, "var_reci_chn_0": 0.25}
    want, got = run_both(tmp_path, p, channels=1)
    assert np.abs(want).max() > 1
    np.testing.assert_array_equal(got, want)


def test_nhwc_and_float16_inputs_equal_static(acl: Any, tmp_path: Path) -> None:
    """The AIPP output laid out as the model input is (NHWC), and rounded to its type (float16) once."""
    for sub in ("nhwc", "half"):
        (tmp_path / sub).mkdir()
    want, got = run_both(tmp_path / "nhwc", yuv_params(), nhwc=True)
    np.testing.assert_array_equal(got, want)
    want, got = run_both(tmp_path / "half", yuv_params(var=(0.5, 0.25, 300.0)), half=True)
    assert np.abs(want.astype(np.float32)).max() > 1
    np.testing.assert_array_equal(got, want)


def test_block_written_by_hand_is_checked_at_execution(acl: Any, tmp_path: Path) -> None:
    """A program may write the AippData buffer itself: a crop outside the source, negative padding or a source
    size of 0 are refused at execution with GE_PARAM_INVALID, never read out of bounds."""
    mid = load(dynamic_om(tmp_path, 1))
    raw = Raw([4096, data_size(1)], [4 * 3 * H * W])
    a = make_set([yuv_params()])
    try:
        put(raw.ptrs[0], image_bytes(yuv_params(), 1))
        ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, a))
        good = get(raw.ptrs[1], np.uint8, (data_size(1),))
        ok(lib.aclmdlExecute(mid, raw.inp, raw.out), "aclmdlExecute (the block as written)")

        def with_i32(offset: int, value: int) -> np.ndarray:
            block = good.copy()
            block[offset:offset + 4] = np.frombuffer(np.int32(value).tobytes(), np.uint8)
            return block

        cases = [(with_i32(64 + 8, 2 ** 31 - 1), "the crop 8x6 at (2147483647, 0) is not inside the 12x8 source"),
                 (with_i32(64 + 12, -2), "the crop 8x6 at (2, -2) is not inside"),
                 (with_i32(8, 0), "a source image of 0x8"),
                 (with_i32(8, 2 ** 31 - 2), "bytes, more than the model's max_src_image_size 4096")]
        cases.append((with_i32(8, 13), "a source image of 13x8 (YUV420SP needs a positive, even width and height)"))
        cases.append((with_i32(12, 0), "a source image of 12x0"))
        padded = with_i32(64 + 40, -1)
        padded[64 + 2] = 1
        cases.append((padded, "negative padding (top -1"))
        formats = good.copy()
        formats[0] = 9
        cases.append((formats, "input format 9 is not emulated"))
        for block, fragment in cases:
            put(raw.ptrs[1], block)
            expect_error(ACL_ERROR_GE_PARAM_INVALID, fragment, lib.aclmdlExecute, mid, raw.inp, raw.out,
                         func="aclmdlExecute")
        put(raw.ptrs[1], good)
        ok(lib.aclmdlExecute(mid, raw.inp, raw.out), "aclmdlExecute (the block restored)")
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
        raw.close()
        ok(lib.aclmdlUnload(mid))


# ------------------------------------------------------------------------------- description and queries


def test_description_and_aipp_type(acl: Any, tmp_path: Path) -> None:
    mid = load(dynamic_om(tmp_path, 2, max_bytes=1000))
    desc = lib.aclmdlCreateDesc()
    try:
        ok(lib.aclmdlGetDesc(desc, mid))
        assert lib.aclmdlGetNumInputs(desc) == 2
        assert ffi.string(lib.aclmdlGetInputNameByIndex(desc, 1)) == b"ascend_dynamic_aipp_data"
        assert lib.aclmdlGetInputSizeByIndex(desc, 1) == 64 + 96 * 2 == data_size(2)
        assert lib.aclmdlGetInputSizeByIndex(desc, 0) == 2 * 1000
        kind, attached = ffi.new("aclmdlInputAippType *"), ffi.new("size_t *")
        ok(lib.aclmdlGetAippType(mid, 0, kind, attached))
        assert (kind[0], attached[0]) == (lib.ACL_DATA_WITH_DYNAMIC_AIPP, 1)
        ok(lib.aclmdlGetAippType(mid, 1, kind, attached))
        assert kind[0] == lib.ACL_DYNAMIC_AIPP_NODE
    finally:
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(mid))


def test_inspect_shows_dynamic_aipp(tmp_path: Path, capsys: Any) -> None:
    import argparse

    from acllite.tools import inspect as inspect_tool

    om = dynamic_om(tmp_path, 1)
    assert inspect_tool.main(argparse.Namespace(model=str(om), json=False)) == 0
    text = capsys.readouterr().out
    assert "dynamic AIPP" in text and "(dynamic AIPP parameters)" in text and "ascend_dynamic_aipp_data" in text


# ------------------------------------------------------------------------------------------- misuse


def test_setter_misuse(acl: Any) -> None:
    assert lib.aclmdlCreateAIPP(0) == ffi.NULL
    assert lib.aclmdlCreateAIPP(128) == ffi.NULL
    a = lib.aclmdlCreateAIPP(2)
    try:
        expect_error(ACL_ERROR_INVALID_PARAM, "inputFormat 5 is not an AIPP image format",
                     lib.aclmdlSetAIPPInputFormat, a, 5, func="aclmdlSetAIPPInputFormat")
        expect_error(ACL_ERROR_INVALID_PARAM, "rbuvSwapSwitch is 2; it takes 0 or 1",
                     lib.aclmdlSetAIPPRbuvSwapSwitch, a, 2, func="aclmdlSetAIPPRbuvSwapSwitch")
        expect_error(ACL_ERROR_INVALID_PARAM, "srcImageSizeW 4097 is outside 1 to 4096",
                     lib.aclmdlSetAIPPSrcImageSize, a, 4097, 8, func="aclmdlSetAIPPSrcImageSize")
        expect_error(ACL_ERROR_INVALID_PARAM, "batchIndex 2 is not below the set's batchSize 2",
                     lib.aclmdlSetAIPPCropParams, a, 1, 0, 0, 4, 4, 2, func="aclmdlSetAIPPCropParams")
        expect_error(ACL_ERROR_INVALID_PARAM, "cropSizeW 0 is outside 1 to 4096",
                     lib.aclmdlSetAIPPCropParams, a, 1, 0, 0, 0, 4, 0, func="aclmdlSetAIPPCropParams")
        expect_error(ACL_ERROR_INVALID_PARAM, "paddingSizeLeft 33 is outside 0 to 32",
                     lib.aclmdlSetAIPPPaddingParams, a, 1, 0, 0, 33, 0, 0, func="aclmdlSetAIPPPaddingParams")
        expect_error(ACL_ERROR_INVALID_PARAM, "dtcPixelVarReciChn1 70000 is outside float16's range",
                     lib.aclmdlSetAIPPPixelVarReci, a, 1.0, 70000.0, 1.0, 1.0, 0, func="aclmdlSetAIPPPixelVarReci")
        expect_error(ACL_ERROR_INVALID_PARAM, "dtcPixelMinChn0 nan is outside",
                     lib.aclmdlSetAIPPDtcPixelMin, a, float("nan"), 0.0, 0.0, 0.0, 0, func="aclmdlSetAIPPDtcPixelMin")
        expect_error(ACL_ERROR_INVALID_PARAM, "scfOutputSizeW 8 is outside 16 to 1920",
                     lib.aclmdlSetAIPPScfParams, a, 1, 32, 32, 8, 32, 0, func="aclmdlSetAIPPScfParams")
        expect_error(ACL_ERROR_INVALID_PARAM, "batchIndex 5 is not below",
                     lib.aclmdlSetAIPPDtcPixelMean, a, 0, 0, 0, 0, 5, func="aclmdlSetAIPPDtcPixelMean")
        expect_error(ACL_ERROR_INVALID_PARAM, "size is NULL", lib.aclmdlGetAippDataSize, 1, ffi.NULL,
                     func="aclmdlGetAippDataSize")
        expect_error(ACL_ERROR_INVALID_PARAM, "aippParmsSet is NULL", lib.aclmdlSetAIPPInputFormat, ffi.NULL, 1,
                     func="aclmdlSetAIPPInputFormat")
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
    expect_error(ACL_ERROR_INVALID_PARAM, "is not a live aclmdlAIPP", lib.aclmdlDestroyAIPP, a,
                 func="aclmdlDestroyAIPP")
    expect_error(ACL_ERROR_INVALID_PARAM, "is not a live aclmdlAIPP", lib.aclmdlSetAIPPAxSwapSwitch, a, 0,
                 func="aclmdlSetAIPPAxSwapSwitch")


def test_set_input_misuse(acl: Any, tmp_path: Path) -> None:
    mid = load(dynamic_om(tmp_path, 1))
    raw = Raw([4096, data_size(1)], [4 * 3 * H * W])
    small = Raw([4096, data_size(1) - 1], [4 * 3 * H * W])
    p = yuv_params()
    a = make_set([p])
    two = make_set([p, p])
    empty = lib.aclmdlCreateAIPP(1)
    try:
        expect_error(ACL_ERROR_INVALID_PARAM, "input 0 'x' of model %d is not a dynamic AIPP input" % mid,
                     lib.aclmdlSetInputAIPP, mid, raw.inp, 0, a, func="aclmdlSetInputAIPP")
        expect_error(ACL_ERROR_INVALID_PARAM, "index 2 out of range", lib.aclmdlSetInputAIPP, mid, raw.inp, 2, a,
                     func="aclmdlSetInputAIPP")
        expect_error(ACL_ERROR_GE_AIPP_NOT_EXIST, "input 1 'ascend_dynamic_aipp_data' of model %d has no dynamic "
                     "AIPP input attached" % mid, lib.aclmdlSetAIPPByInputIndex, mid, raw.inp, 1, a,
                     func="aclmdlSetAIPPByInputIndex")
        expect_error(ACL_ERROR_INVALID_PARAM, "index 5 out of range", lib.aclmdlSetAIPPByInputIndex, mid, raw.inp,
                     5, a, func="aclmdlSetAIPPByInputIndex")
        expect_error(100011, "model id %d is not loaded" % (mid + 100), lib.aclmdlSetAIPPByInputIndex, mid + 100,
                     raw.inp, 0, a, func="aclmdlSetAIPPByInputIndex")  # ACL_ERROR_INVALID_MODEL_ID
        expect_error(ACL_ERROR_INVALID_PARAM, "no input format: call aclmdlSetAIPPInputFormat first",
                     lib.aclmdlSetInputAIPP, mid, raw.inp, 1, empty, func="aclmdlSetInputAIPP")
        expect_error(ACL_ERROR_INVALID_PARAM, "holds 2 batch(es) (256 bytes); the model's AippData input "
                     "'ascend_dynamic_aipp_data' takes 160 bytes", lib.aclmdlSetInputAIPP, mid, raw.inp, 1, two,
                     func="aclmdlSetInputAIPP")
        expect_error(ACL_ERROR_GE_DYNAMIC_INPUT_LENGTH_INVALID,
                     "buffer 1 holds 159 bytes; the AIPP parameters need 160",
                     lib.aclmdlSetInputAIPP, mid, small.inp, 1, a, func="aclmdlSetInputAIPP")
        # the crop leaving the source image
        ok(lib.aclmdlSetAIPPCropParams(a, 1, 6, 0, W, H, 0))
        expect_error(ACL_ERROR_INVALID_PARAM, "batch 0: the crop [6, 14) x [0, 6) leaves the 12x8 source image",
                     lib.aclmdlSetInputAIPP, mid, raw.inp, 1, a, func="aclmdlSetInputAIPP")
        ok(lib.aclmdlSetAIPPCropParams(a, 1, 1, 0, W, H, 0))
        expect_error(ACL_ERROR_INVALID_PARAM, "a YUV420SP crop needs an even start, not (1, 0)",
                     lib.aclmdlSetInputAIPP, mid, raw.inp, 1, a, func="aclmdlSetInputAIPP")
        # padded wider than 1080 (a 1060-wide crop of a 1064x8 source, 32 + 32 columns of padding)
        wide = lib.aclmdlCreateAIPP(1)
        try:
            ok(lib.aclmdlSetAIPPInputFormat(wide, YUV420SP))
            ok(lib.aclmdlSetAIPPSrcImageSize(wide, 1064, 8))
            ok(lib.aclmdlSetAIPPCropParams(wide, 1, 0, 0, 1060, 6, 0))
            ok(lib.aclmdlSetAIPPPaddingParams(wide, 1, 0, 0, 32, 32, 0))
            expect_error(ACL_ERROR_INVALID_PARAM, "batch 0: the padded width 1124 is more than 1080",
                         lib.aclmdlSetInputAIPP, mid, raw.inp, 1, wide, func="aclmdlSetInputAIPP")
        finally:
            ok(lib.aclmdlDestroyAIPP(wide))
        # an output size other than the model's: refused at execution
        ok(lib.aclmdlSetAIPPCropParams(a, 1, 0, 0, W - 2, H, 0))
        ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, a))
        expect_error(ACL_ERROR_GE_PARAM_INVALID, "image 0: the AIPP output is 6x6; the model input needs 8x6",
                     lib.aclmdlExecute, mid, raw.inp, raw.out, func="aclmdlExecute")
        # executing before any parameters were written
        put(raw.ptrs[1], np.zeros(data_size(1), np.uint8))
        expect_error(ACL_ERROR_GE_AIPP_BATCH_EMPTY, "holds no AIPP parameters: call aclmdlSetInputAIPP",
                     lib.aclmdlExecute, mid, raw.inp, raw.out, func="aclmdlExecute")
    finally:
        for s in (a, two, empty):
            ok(lib.aclmdlDestroyAIPP(s))
        raw.close()
        small.close()
        ok(lib.aclmdlUnload(mid))


def test_static_model_has_no_dynamic_aipp(acl: Any, tmp_path: Path) -> None:
    p = yuv_params()
    conf = tmp_path / "s.cfg"
    conf.write_text(static_conf(p))
    mid = load(atc.convert(str(identity_model(tmp_path / "s.onnx", 1)), str(tmp_path / "s"), insert_op_conf=str(conf)))
    raw = Raw([4096], [4])
    a = make_set([p])
    try:
        expect_error(ACL_ERROR_GE_AIPP_NOT_EXIST, "has no dynamic AIPP input attached",
                     lib.aclmdlSetAIPPByInputIndex, mid, raw.inp, 0, a, func="aclmdlSetAIPPByInputIndex")
        kind, attached = ffi.new("aclmdlInputAippType *"), ffi.new("size_t *")
        ok(lib.aclmdlGetAippType(mid, 0, kind, attached))
        assert kind[0] == lib.ACL_DATA_WITH_STATIC_AIPP
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
        raw.close()
        ok(lib.aclmdlUnload(mid))


def test_leaked_sets_are_released_at_finalize(tmp_path: Path) -> None:
    from conftest import counts

    ok(lib.aclInit(ffi.NULL))
    try:
        assert lib.aclmdlCreateAIPP(3) != ffi.NULL
        assert counts("acllite_emu_live_counts")["aippParams"] == 1
    finally:
        ok(lib.aclFinalize())
    assert counts("acllite_emu_last_leak_report")["aippParams"] == 1
    assert counts("acllite_emu_live_counts")["aippParams"] == 0


@pytest.mark.parametrize("text, fragment", [
    ("aipp_op {\n aipp_mode: dynamic\n related_input_rank: 0\n}", "aipp_mode dynamic needs max_src_image_size"),
    ("aipp_op {\n aipp_mode: dynamic\n max_src_image_size: 100\n input_format: RGB888_U8\n}",
     "input_format cannot be set with aipp_mode dynamic"),
])
def test_atc_dynamic_config_errors(tmp_path: Path, text: str, fragment: str) -> None:
    conf = tmp_path / "x.cfg"
    conf.write_text(text)
    with pytest.raises(atc.AtcError, match=fragment):
        atc.convert(str(identity_model(tmp_path / "m.onnx", 1)), str(tmp_path / "out"), insert_op_conf=str(conf))


def test_pyacl_flow_equals_static(acl: Any, tmp_path: Path) -> None:
    """The same through the pyACL module, with pyACL's conventions ((value, ret) pairs, ints for pointers)."""
    import acllite.pyacl as pyacl

    p = yuv_params()
    image = image_bytes(p, 3)
    want = run_static(tmp_path, p, image, "py")
    model_id, ret = pyacl.mdl.load_from_file(str(dynamic_om(tmp_path, 1)))
    assert ret == 0
    size, ret = pyacl.mdl.get_aipp_data_size(1)
    assert (size, ret) == (160, 0)
    raw = Raw([4096, size], [4 * 3 * H * W])
    a = pyacl.mdl.create_aipp(1)
    assert a != 0
    try:
        put(raw.ptrs[0], image)
        m = [p["matrix_r%dc%d" % (r, c)] for r in range(3) for c in range(3)]
        calls = [pyacl.mdl.set_aipp_input_format(a, YUV420SP), pyacl.mdl.set_aipp_src_image_size(a, 12, 8),
                 pyacl.mdl.set_aipp_csc_params(a, 1, *m, 16, 128, 128, 16, 128, 128),
                 pyacl.mdl.set_aipp_rbuv_swap_switch(a, 0), pyacl.mdl.set_aipp_ax_swap_switch(a, 0),
                 pyacl.mdl.set_aipp_crop_params(a, 1, 2, 0, W, H, 0),
                 pyacl.mdl.set_aipp_padding_params(a, 0, 0, 0, 0, 0, 0),
                 pyacl.mdl.set_aipp_scf_params(a, 0, 0, 0, 0, 0, 0),
                 pyacl.mdl.set_aipp_dtc_pixel_mean(a, 10, 20, 30, 0, 0),
                 pyacl.mdl.set_aipp_dtc_pixel_min(a, 0.5, 1.5, 2.0, 0.0, 0),
                 pyacl.mdl.set_aipp_pixel_var_reci(a, 0.5, 0.25, 2.0, 1.0, 0),
                 pyacl.mdl.set_input_aipp(model_id, int(ffi.cast("uintptr_t", raw.inp)), 1, a)]
        assert calls == [0] * len(calls)
        inp, out = int(ffi.cast("uintptr_t", raw.inp)), int(ffi.cast("uintptr_t", raw.out))
        assert pyacl.mdl.execute(model_id, inp, out) == 0
        np.testing.assert_array_equal(get(raw.ptrs[2], np.float32, (1, 3, H, W)), want)
    finally:
        assert pyacl.mdl.destroy_aipp(a) == 0
        raw.close()
        assert pyacl.mdl.unload(model_id) == 0


def test_the_block_in_the_aippdata_input_is_the_devices_layout(acl: Any, tmp_path: Path) -> None:
    """aclmdlSetInputAIPP writes CANN's kAippDynamicPara layout: the fields at their offsets, little-endian, and the
    reserved bytes (header 5-7 and 46-63, each element's 4-7 and 80-95) zero."""
    mid = load(dynamic_om(tmp_path, 2))
    raw = Raw([4096 * 2, data_size(2)], [4 * 2 * 3 * H * W])
    params = [yuv_params(), yuv_params(x=4, mean=(7, 8, 9), mn=(0.25, 0.5, 1.0), var=(2.0, 4.0, 0.5))]
    a = make_set(params)
    try:
        ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, a))
        block = get(raw.ptrs[1], np.uint8, (data_size(2),))
        head = block[:64]
        assert list(head[:5]) == [YUV420SP, 1, 0, 0, 2]  # format, CSC, RB/UV swap, AX swap, batch
        assert np.frombuffer(head[8:16].tobytes(), "<i4").tolist() == [12, 8]
        assert np.frombuffer(head[16:34].tobytes(), "<i2").tolist() == [v for row in YUV_CSC for v in row]
        assert list(head[40:46]) == [16, 128, 128, 16, 128, 128]  # output biases, input biases
        assert not head[5:8].any() and not head[46:].any()
        for b, p in enumerate(params):
            e = block[64 + 96 * b: 64 + 96 * (b + 1)]
            assert list(e[:4]) == [1, 0, 0, 0] and not e[4:8].any() and not e[80:].any()
            assert np.frombuffer(e[8:24].tobytes(), "<i4").tolist() == [p["load_start_pos_w"], 0, W, H]
            assert np.frombuffer(e[56:64].tobytes(), "<i2").tolist() == [p["mean_chn_%d" % i] for i in range(3)] + [0]
            assert np.frombuffer(e[64:72].tobytes(), "<f2").tolist() == [p["min_chn_%d" % i] for i in range(3)] + [0]
            assert np.frombuffer(e[72:80].tobytes(), "<f2").tolist() == [p["var_reci_chn_%d" % i]
                                                                         for i in range(3)] + [1.0]
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
        raw.close()
        ok(lib.aclmdlUnload(mid))


def test_write_dynamic_aipp_refuses_a_set_the_runtime_cannot_create(acl: Any, tmp_path: Path) -> None:
    """acllite.dynamic_aipp: aclmdlCreateAIPP refusing (more than 127 images) raises its AclError."""
    import acllite
    from acllite.dynamic_aipp import write_dynamic_aipp
    from acllite.formats.aipp import AippParams

    p = AippParams(dict(yuv_params(), aipp_mode="static")).resolve((3, H, W))
    with pytest.raises(acllite.AclError) as info:
        write_dynamic_aipp(0, ffi.NULL, 1, [p] * 128)
    assert info.value.code == ACL_ERROR_INVALID_PARAM and "aclmdlCreateAIPP" in str(info.value)


def test_random_blocks_never_read_out_of_bounds(acl: Any, tmp_path: Path) -> None:
    """Parameter blocks of random bytes (a valid block with random fields overwritten): every execution either
    runs or is refused with one of the execution-time codes; the ASan build of CI checks that nothing is read or
    written outside the buffers."""
    mid = load(dynamic_om(tmp_path, 1, max_bytes=256))
    raw = Raw([256, data_size(1)], [4 * 3 * H * W])
    a = make_set([yuv_params()])
    rng = np.random.default_rng(11)
    codes = {ACL_ERROR_GE_PARAM_INVALID, ACL_ERROR_GE_AIPP_BATCH_EMPTY, 100017}
    try:
        put(raw.ptrs[0], rng.integers(0, 256, 256, dtype=np.uint8))
        ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, a))
        good = get(raw.ptrs[1], np.uint8, (data_size(1),))
        ran = 0
        for _ in range(300):
            block = good.copy()
            for _ in range(int(rng.integers(1, 4))):  # a few fields: switches, sizes, crop, padding
                at = int(rng.choice([0, 1, 2, 3, 4, 8, 12, 64, 65, 66, 72, 76, 80, 84, 104, 108, 112, 116]))
                width = 1 if at in (0, 1, 2, 3, 4, 64, 65, 66) else 4
                block[at:at + width] = rng.integers(0, 256, width, dtype=np.uint8)
            put(raw.ptrs[1], block)
            rc = lib.aclmdlExecute(mid, raw.inp, raw.out)
            assert rc == 0 or rc in codes, (rc, block[:16], block[64:120])
            ran += rc == 0
        assert ran > 0  # some of the blocks are still valid
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
        raw.close()
        ok(lib.aclmdlUnload(mid))


# ------------------------------------------------------------------------------- acllite.Model (aipp=)


def test_model_object_takes_aipp_parameters(device: Any, tmp_path: Path) -> None:
    """acllite.Model runs a dynamic-AIPP model with aipp= (a static configuration's keys, ATC's defaults): the same
    outputs as the static model built with the same configuration; the parameters stay for the next calls; one
    dict per image; misuse refused before anything runs."""
    import acllite

    p, q = yuv_params(), yuv_params(x=4, y=2, mean=(1, 2, 3), mn=(0.0, 0.25, 8.0), var=(1.0, 0.125, 4.0))
    for params in (p, q):  # every CSC argument counts
        params.update(input_bias_0=10, input_bias_1=120, input_bias_2=136)
    images = [image_bytes(p, 21), image_bytes(q, 22)]
    want = [run_static(tmp_path, params, image, "m%d" % k) for k, (params, image) in enumerate(zip((p, q), images))]
    with acllite.Model(str(dynamic_om(tmp_path, 1)), device) as model:
        assert (model.aipp_input, model.aipp_data_input, model.aipp_chw) == (0, 1, (3, H, W))
        assert [t.name for t in model.data_inputs] == ["x"]
        with pytest.raises(ValueError, match="has dynamic AIPP: give aipp="):
            model.execute([images[0]])
        np.testing.assert_array_equal(model.execute([images[0]], aipp=p)[0], want[0])
        np.testing.assert_array_equal(model.execute([images[0]])[0], want[0])  # the parameters stay
        np.testing.assert_array_equal(model.execute([images[1]], aipp=dict(q))[0], want[1])
        ex = model.executor()
        with acllite.Stream(device) as stream:
            got = ex.execute_async([images[1]], stream, aipp=q).wait()
        np.testing.assert_array_equal(got[0], want[1])
        ex.close()
        with pytest.raises(AippConfigError, match="the crop .* leaves the 12x8 source image"):
            model.execute([images[0]], aipp=dict(p, load_start_pos_w=6))
        with pytest.raises(ValueError, match="takes 1 image"):
            model.execute([images[0]], aipp=[p, q])
        with pytest.raises(AippConfigError, match="'load_start_pos' is not a key of an aipp_op block"):
            model.execute([images[0]], aipp=dict(p, load_start_pos=2))
        with pytest.raises(AippConfigError, match="mean_chn_0 300 is outside 0 to 255"):
            model.execute([images[0]], aipp=dict(p, mean_chn_0=300))
        with pytest.raises(AippConfigError, match="crop takes true or false"):
            model.execute([images[0]], aipp=dict(p, crop="yes"))
        with pytest.raises(TypeError, match="aipp= takes a dict of AIPP parameters or a list of them, not int"):
            model.execute([images[0]], aipp=5)
        # RGB888 with output biases, swap and padding (every CSC argument counts)
        r = rgb_params()
        r.update(output_bias_0=1, output_bias_1=2, output_bias_2=3, min_chn_2=0.5, var_reci_chn_1=0.25)
        rgb = image_bytes(r, 23)
        np.testing.assert_array_equal(model.execute([rgb], aipp=r)[0], run_static(tmp_path, r, rgb, "rgb"))
    # a batch of two with parameters of their own
    (tmp_path / "two").mkdir()
    with acllite.Model(str(dynamic_om(tmp_path / "two", 2)), device) as model:
        got = model.execute([np.concatenate(images)], aipp=[p, q])[0]
        np.testing.assert_array_equal(got[0:1], want[0])
        np.testing.assert_array_equal(got[1:2], want[1])
        with pytest.raises(ValueError, match="image 1 differs from image 0 in src_image_size_w"):
            model.execute([np.concatenate(images)], aipp=[p, dict(q, src_image_size_w=14)])
    with acllite.Model(str(identity_model(tmp_path / "plain.onnx", 1)), device) as plain:
        with pytest.raises(ValueError, match="has no dynamic AIPP input"):
            plain.execute([np.zeros((1, 3, H, W), np.float32)], aipp=p)


def test_dynamic_aipp_with_batch_gears(acl: Any, tmp_path: Path) -> None:
    """--dynamic_batch_size with aipp_mode: dynamic: the AippData input holds the largest gear's parameters (the set
    is created with the largest batch, as ACL requires) and each execution applies the first `batch` of them; the
    raw API and acllite.Model, each gear against the static model."""
    import acllite

    om = batched_dynamic_om(tmp_path)
    params = [yuv_params(x=2 * (b % 3), mean=(b, 2 * b, 3 * b)) for b in range(4)]
    images = [image_bytes(p, 30 + b) for b, p in enumerate(params)]
    want = [run_static(tmp_path, p, image, "g%d" % b) for b, (p, image) in enumerate(zip(params, images))]
    mid = load(om)
    raw = Raw([4 * 200, data_size(4), 8], [4 * 4 * 3 * H * W])
    a = make_set(params)
    try:
        assert data_size(4) == 64 + 96 * 4
        put(raw.ptrs[0], np.concatenate(images))
        ok(lib.aclmdlSetInputAIPP(mid, raw.inp, 1, a), "aclmdlSetInputAIPP")
        for batch in (1, 2, 4):
            ok(lib.aclmdlSetDynamicBatchSize(mid, raw.inp, 2, batch), "aclmdlSetDynamicBatchSize")
            ok(lib.aclmdlExecute(mid, raw.inp, raw.out), "aclmdlExecute at batch %d" % batch)
            got = get(raw.ptrs[3], np.float32, (batch, 3, H, W))
            for b in range(batch):
                np.testing.assert_array_equal(got[b:b + 1], want[b])
        small = make_set(params[:2])  # the set must hold the largest gear's images
        try:
            expect_error(ACL_ERROR_INVALID_PARAM, "create it with that batchSize", lib.aclmdlSetInputAIPP, mid,
                         raw.inp, 1, small, func="aclmdlSetInputAIPP")
        finally:
            ok(lib.aclmdlDestroyAIPP(small))
    finally:
        ok(lib.aclmdlDestroyAIPP(a))
        raw.close()
        ok(lib.aclmdlUnload(mid))
    with acllite.Device(0) as dev, acllite.Model(str(om), dev) as m:
        got = m.execute([np.stack(images[:2])], aipp=params[:2])[0]
        np.testing.assert_array_equal(got, np.concatenate(want[:2]))
        got = m.execute([np.stack(images)], aipp=params)[0]
        np.testing.assert_array_equal(got, np.concatenate(want))


@pytest.mark.parametrize("fmt", ["YUV400_U8", "XRGB8888_U8"])
def test_model_object_runs_every_dynamic_format(device: Any, tmp_path: Path, fmt: str) -> None:
    """aipp= with YUV400 (one channel) and XRGB8888: the static model's outputs."""
    import acllite

    channels = 1 if fmt == "YUV400_U8" else 3
    if fmt == "YUV400_U8":
        p: Params = {"input_format": fmt, "src_image_size_w": W, "src_image_size_h": H, "mean_chn_0": 100,
                     "var_reci_chn_0": 0.5}
    else:
        p = xrgb_params(True)
    src = str(plain_model(tmp_path / "plain.onnx", channels, False, False))
    conf = tmp_path / "static.cfg"
    conf.write_text(static_conf(p))
    dconf = tmp_path / "dynamic.cfg"
    dconf.write_text("aipp_op {\n aipp_mode: dynamic\n max_src_image_size: 4096\n}\n")
    image = image_bytes(p, 9)
    with acllite.Model(str(atc.convert(src, str(tmp_path / "s"), insert_op_conf=str(conf))), device) as static, \
            acllite.Model(str(atc.convert(src, str(tmp_path / "d"), insert_op_conf=str(dconf))), device) as dynamic:
        want = static.execute([image])[0]
        np.testing.assert_array_equal(dynamic.execute([image], aipp=p)[0], want)
        assert np.abs(want).max() > 1
