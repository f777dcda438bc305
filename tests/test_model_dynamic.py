"""Shape gears as ATC and ACL define them: acllite atc --dynamic_image_size / --dynamic_dims, the description
(aclmdlGetDynamicHW, aclmdlGetInputDynamicGearCount, aclmdlGetInputDynamicDims), the setters that fill
ascend_mbatch_shape_data (aclmdlSetDynamicHWSize, aclmdlSetInputDynamicDims), every gear run against numpy, and
every misuse with its code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, List, Sequence, Tuple

import numpy as np
import pytest
from onnx import TensorProto, helper

import acllite
from acllite.binding import ffi, lib
from acllite.tools import atc
from conftest import expect_error, ok, recent_message, requires_emulator
from test_model import Raw, get, put

pytestmark = requires_emulator

DYN = b"ascend_mbatch_shape_data"


def _save(path: Path, nodes: List[Any], inputs: List[Any], outputs: List[Any]) -> Path:
    model = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs), opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def hw_model(tmp_path: Path) -> Path:
    """y = relu(x) * 2 ([1, 3, H, W]); p = GlobalAveragePool(x) ([1, 3, 1, 1])."""
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    nodes = [helper.make_node("Constant", [], ["c2"], value=two), helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Mul", ["r", "c2"], ["y"]), helper.make_node("GlobalAveragePool", ["x"], ["p"])]
    f = TensorProto.FLOAT
    return _save(tmp_path / "hw.onnx", nodes, [helper.make_tensor_value_info("x", f, [1, 3, "h", "w"])],
                 [helper.make_tensor_value_info("y", f, [1, 3, "h", "w"]),
                  helper.make_tensor_value_info("p", f, [1, 3, 1, 1])])


def dims_model(tmp_path: Path) -> Path:
    """ya = a + 1 ([1, -1]); yb = b transposed ([-1, -1])."""
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    nodes = [helper.make_node("Constant", [], ["c1"], value=one), helper.make_node("Add", ["a", "c1"], ["ya"]),
             helper.make_node("Transpose", ["b"], ["yb"], perm=[1, 0])]
    f = TensorProto.FLOAT
    return _save(tmp_path / "dims.onnx", nodes,
                 [helper.make_tensor_value_info("a", f, [1, "n"]), helper.make_tensor_value_info("b", f, ["p", "q"])],
                 [helper.make_tensor_value_info("ya", f, [1, "n"]), helper.make_tensor_value_info("yb", f, ["q", "p"])])


HW_GEARS = [(8, 6), (4, 10), (16, 16)]  # not sorted: gear i is the i-th given
DIMS_GEARS = [(4, 2, 3), (8, 5, 1), (2, 1, 1)]


def load_file(path: Path) -> Tuple[int, Any]:
    cell = ffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromFile(str(path).encode(), cell), "aclmdlLoadFromFile")
    desc = lib.aclmdlCreateDesc()
    ok(lib.aclmdlGetDesc(desc, cell[0]), "aclmdlGetDesc")
    return int(cell[0]), desc


def dims_of(desc: Any, index: int, fn: Any = None) -> Tuple[int, ...]:
    d = ffi.new("aclmdlIODims *")
    ok((fn or lib.aclmdlGetInputDims)(desc, index, d))
    return tuple(d.dims[k] for k in range(d.dimCount))


def sizes(desc: Any) -> Tuple[List[int], List[int]]:
    return ([lib.aclmdlGetInputSizeByIndex(desc, i) for i in range(lib.aclmdlGetNumInputs(desc))],
            [lib.aclmdlGetOutputSizeByIndex(desc, i) for i in range(lib.aclmdlGetNumOutputs(desc))])


@pytest.fixture
def hw(acl: Any, tmp_path: Path) -> Any:
    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    model_id, desc = load_file(path)
    yield model_id, desc
    ok(lib.aclmdlDestroyDesc(desc))
    ok(lib.aclmdlUnload(model_id))


@pytest.fixture
def dims(acl: Any, tmp_path: Path) -> Any:
    path = atc.convert(str(dims_model(tmp_path)), str(tmp_path / "dims"), input_shape="a:1,-1;b:-1,-1",
                       input_format="ND", dynamic_dims=";".join(",".join(map(str, g)) for g in DIMS_GEARS))
    model_id, desc = load_file(path)
    yield model_id, desc
    ok(lib.aclmdlDestroyDesc(desc))
    ok(lib.aclmdlUnload(model_id))


def test_dynamic_hw_description(hw: Any) -> None:
    model_id, desc = hw
    assert lib.aclmdlGetNumInputs(desc) == 2
    assert ffi.string(lib.aclmdlGetInputNameByIndex(desc, 1)) == DYN
    index = ffi.new("size_t *")
    ok(lib.aclmdlGetInputIndexByName(desc, DYN, index))
    assert index[0] == 1
    assert dims_of(desc, 0) == (1, 3, -1, -1) and dims_of(desc, 1) == (2,)
    assert dims_of(desc, 0, lib.aclmdlGetInputDimsV2) == (1, 3, -1, -1)
    got = ffi.new("aclmdlHW *")
    ok(lib.aclmdlGetDynamicHW(desc, -1 & 0xFFFFFFFFFFFFFFFF, got))
    assert [tuple(got.hw[k]) for k in range(got.hwCount)] == HW_GEARS
    # buffers for the largest gear (16 x 16)
    assert sizes(desc) == ([3 * 16 * 16 * 4, 16], [3 * 16 * 16 * 4, 12])
    count = ffi.new("size_t *")
    ok(lib.aclmdlGetInputDynamicGearCount(desc, 0, count))
    assert count[0] == 0
    batch = ffi.new("aclmdlBatch *")
    ok(lib.aclmdlGetDynamicBatch(desc, batch))
    assert batch.batchCount == 0


def test_dynamic_hw_every_gear_against_numpy(hw: Any) -> None:
    model_id, desc = hw
    ins, outs = sizes(desc)
    raw = Raw(ins, outs)
    rng = np.random.default_rng(5)
    try:
        for h, w in HW_GEARS + HW_GEARS[::-1]:
            x = rng.standard_normal((1, 3, h, w)).astype(np.float32)
            put(raw.ptrs[0], x)
            ok(lib.aclmdlSetDynamicHWSize(model_id, raw.inp, 1, h, w), "aclmdlSetDynamicHWSize")
            assert list(get(raw.ptrs[1], np.uint64, (2,))) == [h, w]  # what ACL writes into the input
            ok(lib.aclmdlExecute(model_id, raw.inp, raw.out), "aclmdlExecute")
            np.testing.assert_allclose(get(raw.ptrs[2], np.float32, (1, 3, h, w)), np.maximum(x, 0) * 2, rtol=1e-6)
            np.testing.assert_allclose(get(raw.ptrs[3], np.float32, (1, 3, 1, 1)),
                                       x.mean(axis=(2, 3), keepdims=True), rtol=1e-5, atol=1e-6)
            assert dims_of(desc, 0, lib.aclmdlGetCurOutputDims) == (1, 3, h, w)
    finally:
        raw.close()


def test_dynamic_hw_misuse(hw: Any, tmp_path: Path) -> None:
    model_id, desc = hw
    ins, outs = sizes(desc)
    raw = Raw(ins, outs)
    try:
        expect_error(lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, "holds 0,0, not one of the model's dynamic image size",
                     lib.aclmdlExecute, model_id, raw.inp, raw.out)
        expect_error(lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID,
                     "height 6, width 8 is not one of the model's image size gears (8,6;4,10;16,16)",
                     lib.aclmdlSetDynamicHWSize, model_id, raw.inp, 1, 6, 8)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "index 0 is not the model's dynamic input (1",
                     lib.aclmdlSetDynamicHWSize, model_id, raw.inp, 0, 8, 6)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "dataset is NULL", lib.aclmdlSetDynamicHWSize, model_id, ffi.NULL,
                     1, 8, 6)
        expect_error(lib.ACL_ERROR_INVALID_MODEL_ID, "model id 999 is not loaded", lib.aclmdlSetDynamicHWSize, 999,
                     raw.inp, 1, 8, 6)
        expect_error(lib.ACL_ERROR_MODEL_NOT_DYNAMIC, "has no dynamic dims (--dynamic_dims) gears",
                     lib.aclmdlSetInputDynamicDims, model_id, raw.inp, 1, ffi.new("aclmdlIODims *"))
        expect_error(lib.ACL_ERROR_MODEL_NOT_DYNAMIC, "has no dynamic batch gears", lib.aclmdlSetDynamicBatchSize,
                     model_id, raw.inp, 1, 1)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "no dynamic dims gears", lib.aclmdlGetInputDynamicDims, desc, 0,
                     ffi.new("aclmdlIODims[1]"), 1)
    finally:
        raw.close()
    # a dynamic input buffer too small for the two values
    small = Raw([ins[0], 8], outs)
    try:
        expect_error(lib.ACL_ERROR_GE_DYNAMIC_INPUT_LENGTH_INVALID, "buffer 1 holds 8 bytes",
                     lib.aclmdlSetDynamicHWSize, model_id, small.inp, 1, 8, 6)
        expect_error(lib.ACL_ERROR_MODEL_INPUT_NOT_MATCH, "holds 8 bytes", lib.aclmdlExecute, model_id, small.inp,
                     small.out)
    finally:
        small.close()
    # a too small image buffer for the chosen gear
    short = Raw([3 * 8 * 6 * 4, 16], outs)
    try:
        ok(lib.aclmdlSetDynamicHWSize(model_id, short.inp, 1, 8, 6))
        ok(lib.aclmdlExecute(model_id, short.inp, short.out))
        ok(lib.aclmdlSetDynamicHWSize(model_id, short.inp, 1, 16, 16))
        expect_error(lib.ACL_ERROR_MODEL_INPUT_NOT_MATCH, "gear 2 (shape [1, 3, 16, 16]) needs 3072",
                     lib.aclmdlExecute, model_id, short.inp, short.out)
    finally:
        short.close()


def test_static_model_refuses_dynamic_values(acl: Any, tmp_path: Path) -> None:
    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "static"), input_shape="x:1,3,4,4")
    model_id, desc = load_file(path)
    ins, outs = sizes(desc)
    raw = Raw(ins, outs)
    try:
        got = ffi.new("aclmdlHW *")
        ok(lib.aclmdlGetDynamicHW(desc, 0, got))
        assert got.hwCount == 0
        expect_error(lib.ACL_ERROR_MODEL_NOT_DYNAMIC, "has no dynamic image size (--dynamic_image_size) gears",
                     lib.aclmdlSetDynamicHWSize, model_id, raw.inp, 0, 4, 4)
        expect_error(lib.ACL_ERROR_MODEL_NOT_DYNAMIC, "has no dynamic dims", lib.aclmdlSetInputDynamicDims, model_id,
                     raw.inp, 0, ffi.new("aclmdlIODims *"))
    finally:
        raw.close()
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(model_id))


def _all_dims(gear: Sequence[int]) -> List[int]:
    n, p, q = gear
    return [1, n, p, q]


def test_dynamic_dims_description(dims: Any) -> None:
    model_id, desc = dims
    assert lib.aclmdlGetNumInputs(desc) == 3
    assert dims_of(desc, 0) == (1, -1) and dims_of(desc, 1) == (-1, -1) and dims_of(desc, 2) == (3,)
    count = ffi.new("size_t *")
    ok(lib.aclmdlGetInputDynamicGearCount(desc, -1 & 0xFFFFFFFFFFFFFFFF, count))
    assert count[0] == 3
    table = ffi.new("aclmdlIODims[3]")
    ok(lib.aclmdlGetInputDynamicDims(desc, -1 & 0xFFFFFFFFFFFFFFFF, table, 3))
    assert [[table[k].dims[j] for j in range(table[k].dimCount)] for k in range(3)] == [_all_dims(g) for g in DIMS_GEARS]
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "gearCount 2 is less than the model's 3 gears",
                 lib.aclmdlGetInputDynamicDims, desc, 0, table, 2)
    # the largest gear of each tensor: a [1, 8]; b [2, 3] (6 elements)
    assert sizes(desc) == ([8 * 4, 6 * 4, 24], [8 * 4, 6 * 4])
    got = ffi.new("aclmdlHW *")
    ok(lib.aclmdlGetDynamicHW(desc, 0, got))
    assert got.hwCount == 0


def test_dynamic_dims_every_gear_against_numpy(dims: Any) -> None:
    model_id, desc = dims
    ins, outs = sizes(desc)
    raw = Raw(ins, outs)
    rng = np.random.default_rng(9)
    try:
        for gear in DIMS_GEARS[::-1] + DIMS_GEARS:
            n, p, q = gear
            a = rng.standard_normal((1, n)).astype(np.float32)
            b = rng.standard_normal((p, q)).astype(np.float32)
            put(raw.ptrs[0], a)
            put(raw.ptrs[1], b)
            d = ffi.new("aclmdlIODims *")
            d.dimCount = 4
            for k, v in enumerate(_all_dims(gear)):
                d.dims[k] = v
            ok(lib.aclmdlSetInputDynamicDims(model_id, raw.inp, 2, d), "aclmdlSetInputDynamicDims")
            assert list(get(raw.ptrs[2], np.uint64, (3,))) == list(gear)  # the dynamic dims, in order
            ok(lib.aclmdlExecute(model_id, raw.inp, raw.out), "aclmdlExecute")
            np.testing.assert_array_equal(get(raw.ptrs[3], np.float32, (1, n)), a + 1)
            np.testing.assert_array_equal(get(raw.ptrs[4], np.float32, (q, p)), b.T)
            assert dims_of(desc, 1, lib.aclmdlGetCurOutputDims) == (q, p)
    finally:
        raw.close()


def test_dynamic_dims_misuse(dims: Any) -> None:
    model_id, desc = dims
    ins, outs = sizes(desc)
    raw = Raw(ins, outs)
    try:
        d = ffi.new("aclmdlIODims *")
        d.dimCount = 3
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "dims.dimCount is 3; the model's inputs have 4 dimensions",
                     lib.aclmdlSetInputDynamicDims, model_id, raw.inp, 2, d)
        d.dimCount = 4
        for k, v in enumerate([1, 4, 3, 2]):
            d.dims[k] = v
        expect_error(lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, "dims [1, 4, 3, 2] are not one of the model's 3",
                     lib.aclmdlSetInputDynamicDims, model_id, raw.inp, 2, d)
        d.dims[0] = 2  # a static dim that differs
        d.dims[2], d.dims[3] = 2, 3
        expect_error(lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, "not one of the model's",
                     lib.aclmdlSetInputDynamicDims, model_id, raw.inp, 2, d)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "dims is NULL", lib.aclmdlSetInputDynamicDims, model_id, raw.inp, 2,
                     ffi.NULL)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "index 1 is not the model's dynamic input (2",
                     lib.aclmdlSetInputDynamicDims, model_id, raw.inp, 1, d)
        expect_error(lib.ACL_ERROR_MODEL_NOT_DYNAMIC, "has no dynamic image size", lib.aclmdlSetDynamicHWSize,
                     model_id, raw.inp, 2, 1, 1)
        expect_error(lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, "call aclmdlSetInputDynamicDims on the input dataset",
                     lib.aclmdlExecute, model_id, raw.inp, raw.out)
    finally:
        raw.close()


@pytest.mark.parametrize("options, fragment", [
    (dict(input_shape="x:1,3,-1,-1", dynamic_image_size="8,6"), "expected 2 to 100 gears, got 1"),
    (dict(input_shape="x:1,3,-1,-1", dynamic_image_size="8,6;8,6"), "repeats a gear"),
    (dict(input_shape="x:1,3,-1,-1", dynamic_image_size="8,6,1;4,4,1"), "has 3 values, expected 2"),
    (dict(input_shape="x:1,3,-1,-1", dynamic_image_size="8,x;4,4"), "digits, ',', ';' and ' ' only"),
    (dict(input_shape="x:1,-1,4,4", dynamic_image_size="8,6;4,4"), "only the height and width"),
    (dict(input_shape="x:1,3,4,4", dynamic_image_size="8,6;4,4"), "needs -1 dimensions"),
    (dict(input_shape="x:1,3,-1,-1", dynamic_image_size="8,6;4,4", input_format="ND"), "NCHW or NHWC"),
    (dict(input_shape="x:1,3,-1,-1", dynamic_dims="8,6;4,4"), "needs --input_format=ND"),
    (dict(input_shape="x:1,3,-1,-1", dynamic_dims="8;4", input_format="ND"), "each gear has 1 values but"),
    (dict(input_shape="x:1,3,-1,-1", dynamic_dims="8,6;4,4", dynamic_batch_size="1,2"), "takes one of"),
])
def test_atc_refuses_bad_gears(tmp_path: Path, options: Any, fragment: str) -> None:
    with pytest.raises(atc.AtcError) as info:
        atc.convert(str(hw_model(tmp_path)), str(tmp_path / "bad"), **options)
    assert fragment in str(info.value)


def test_gear_models_leave_nothing_alive(acl: Any, tmp_path: Path) -> None:
    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size="2,2;4,4")
    model_id, desc = load_file(path)
    work, weight = ffi.new("size_t *"), ffi.new("size_t *")
    ok(lib.aclmdlQuerySize(str(path).encode(), work, weight))
    assert work[0] == sum(sizes(desc)[0]) + sum(sizes(desc)[1])
    ok(lib.aclmdlDestroyDesc(desc))
    ok(lib.aclmdlUnload(model_id))
    assert acllite.emulator_leak_report() is not None


# ------------------------------------------------------------------------------------------ the objects


def test_model_object_runs_hw_gears(device: Any, tmp_path: Path) -> None:
    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    rng = np.random.default_rng(1)
    with acllite.Model(path, device) as m:
        assert m.hw_gears == tuple(HW_GEARS) and m.dims_gears == () and m.dynamic_input == 1
        assert [t.name for t in m.data_inputs] == ["x"]
        for h, w in HW_GEARS:
            x = rng.standard_normal((1, 3, h, w)).astype(np.float32)
            y, p = m.execute([x])
            assert y.shape == (1, 3, h, w) and p.shape == (1, 3, 1, 1)
            np.testing.assert_allclose(y, np.maximum(x, 0) * 2, rtol=1e-6)
            np.testing.assert_allclose(p, x.mean(axis=(2, 3), keepdims=True), rtol=1e-5, atol=1e-6)
        # explicit gear with a device buffer input
        x = rng.standard_normal((1, 3, 4, 10)).astype(np.float32)
        buf = acllite.DeviceBuffer(x.nbytes, device)
        buf.copy_from(x)
        y, _ = m.execute([buf], hw=(4, 10))
        np.testing.assert_allclose(y, np.maximum(x, 0) * 2, rtol=1e-6)
        buf.close()
        with pytest.raises(ValueError, match=r"height, width \(5, 5\) is not one of the model's gears"):
            m.execute([np.zeros((1, 3, 5, 5), np.float32)])
        with pytest.raises(ValueError, match="not dims gears"):
            m.execute([x], dims=[1, 3, 4, 10])


def test_model_object_runs_gears_on_a_stream(device: Any, tmp_path: Path) -> None:
    """execute_async on an image-size-gear model: a gear's first run is cut to the shapes the execution reports
    at wait(), later runs copy at the known shapes (into out= too); Model.execute_async (a new executor each time)
    as well; the outputs are execute()'s."""
    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    rng = np.random.default_rng(3)
    with acllite.Model(path, device) as m, acllite.Stream(device) as stream:
        ex = m.executor()
        try:
            for round_ in range(2):
                for h, w in HW_GEARS:
                    x = rng.standard_normal((1, 3, h, w)).astype(np.float32)
                    y, p = ex.execute_async([x], stream).wait()
                    assert y.shape == (1, 3, h, w) and p.shape == (1, 3, 1, 1), round_
                    np.testing.assert_allclose(y, np.maximum(x, 0) * 2, rtol=1e-6)
                    np.testing.assert_allclose(p, x.mean(axis=(2, 3), keepdims=True), rtol=1e-5, atol=1e-6)
            out = [np.empty((1, 3, 4, 10), np.float32), np.empty((1, 3, 1, 1), np.float32)]
            x = rng.standard_normal((1, 3, 4, 10)).astype(np.float32)
            got = ex.execute_async([x], stream, out=out, hw=(4, 10)).wait()
            assert got[0] is out[0]
            np.testing.assert_allclose(out[0], np.maximum(x, 0) * 2, rtol=1e-6)
        finally:
            ex.close()
        x = rng.standard_normal((1, 3, 16, 16)).astype(np.float32)
        y, _ = m.execute_async([x], stream).wait()
        np.testing.assert_array_equal(y, m.execute([x])[0])


def test_model_object_runs_dims_gears(device: Any, tmp_path: Path) -> None:
    path = atc.convert(str(dims_model(tmp_path)), str(tmp_path / "dims"), input_shape="a:1,-1;b:-1,-1",
                       input_format="ND", dynamic_dims=";".join(",".join(map(str, g)) for g in DIMS_GEARS))
    rng = np.random.default_rng(2)
    with acllite.Model(path, device) as m:
        assert m.dims_gears == tuple(tuple(_all_dims(g)) for g in DIMS_GEARS) and m.hw_gears == ()
        for n, p, q in DIMS_GEARS:
            a = rng.standard_normal((1, n)).astype(np.float32)
            b = rng.standard_normal((p, q)).astype(np.float32)
            ya, yb = m.execute([a, b])
            np.testing.assert_array_equal(ya, a + 1)
            np.testing.assert_array_equal(yb, b.T)
        with pytest.raises(ValueError, match=r"dims \(1, 3, 2, 2\) are not one of the model's gears"):
            m.execute([np.zeros((1, 3), np.float32), np.zeros((2, 2), np.float32)])


def test_inspect_shows_gears_and_the_emulators_sizes(acl: Any, tmp_path: Path) -> None:
    from acllite.tools import inspect as inspect_tool

    path = atc.convert(str(dims_model(tmp_path)), str(tmp_path / "dims"), input_shape="a:1,-1;b:-1,-1",
                       input_format="ND", dynamic_dims=";".join(",".join(map(str, g)) for g in DIMS_GEARS))
    report = inspect_tool.describe(path)
    assert report["dynamic_dims"] == [list(g) for g in DIMS_GEARS] and report["dynamic_hw"] == []
    text = inspect_tool.format_text(report)
    assert "dynamic dims:       4x2x3, 8x5x1, 2x1x1" in text
    model_id, desc = load_file(path)
    try:  # the input sizes inspect reads from the OM are the emulator's (the largest gear's); outputs of dynamic
        # dims are listed as the OM describes them (elements x element size: dynamic)
        assert [t["size"] for t in report["inputs"]] == sizes(desc)[0]
        assert [t["dims"] for t in report["outputs"]] == [[1, -1], [-1, -1]]
    finally:
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(model_id))
    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    assert "dynamic image size: 8x6, 4x10, 16x16" in inspect_tool.format_text(inspect_tool.describe(path))


def test_atc_command_line_takes_the_gear_options(tmp_path: Path) -> None:
    from acllite.tools import cli

    src = hw_model(tmp_path)
    assert cli.main(["atc", "--framework=5", "--model=%s" % src, "--output=%s" % (tmp_path / "c"),
                     "--input_shape=x:1,3,-1,-1", "--dynamic_image_size=2,2;4,4"]) == 0
    assert "--dynamic_image_size" in (tmp_path / "c.om").read_bytes().decode("latin-1")
    src = dims_model(tmp_path)
    assert cli.main(["atc", "--framework=5", "--model=%s" % src, "--output=%s" % (tmp_path / "d"),
                     "--input_shape=a:1,-1;b:-1,-1", "--input_format=ND", "--dynamic_dims=1,1,1;2,2,2"]) == 0


# ------------------------------------------------------------------------------------------ shape ranges


def range_model(tmp_path: Path) -> Path:
    """y = x * 2 ([n]); nz = NonZero(x) ([1, count of non-zero x]: known only after the run); s = x[:, None] + m
    ([n, 3], m static [1, 3])."""
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    one = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    nodes = [helper.make_node("Constant", [], ["c2"], value=two), helper.make_node("Mul", ["x", "c2"], ["y"]),
             helper.make_node("NonZero", ["x"], ["nz"]), helper.make_node("Constant", [], ["ax"], value=one),
             helper.make_node("Unsqueeze", ["x", "ax"], ["xc"]), helper.make_node("Add", ["xc", "m"], ["s"])]
    f = TensorProto.FLOAT
    return _save(tmp_path / "ranged.onnx", nodes,
                 [helper.make_tensor_value_info("x", f, ["n"]), helper.make_tensor_value_info("m", f, [1, 3])],
                 [helper.make_tensor_value_info("y", f, ["n"]),
                  helper.make_tensor_value_info("nz", TensorProto.INT64, [1, "k"]),
                  helper.make_tensor_value_info("s", f, ["n", 3])])


@pytest.fixture
def ranged(acl: Any, tmp_path: Path) -> Any:
    path = atc.convert(str(range_model(tmp_path)), str(tmp_path / "ranged"), input_shape_range="x:[1~16]",
                       input_format="ND")
    model_id, desc = load_file(path)
    yield model_id, desc
    ok(lib.aclmdlDestroyDesc(desc))
    ok(lib.aclmdlUnload(model_id))


def _set_shape(ds: Any, index: int, dims: Sequence[int], dtype: int = 0) -> None:
    arr = ffi.new("int64_t[]", list(dims) or [0])
    td = lib.aclCreateTensorDesc(dtype, len(dims), arr, 2)  # ACL_FORMAT_ND
    assert td != ffi.NULL
    ok(lib.aclmdlSetDatasetTensorDesc(ds, td, index), "aclmdlSetDatasetTensorDesc")
    lib.aclDestroyTensorDesc(td)  # the dataset keeps its own copy


def _desc_dims(td: Any) -> Tuple[int, ...]:
    assert td != ffi.NULL
    n = lib.aclGetTensorDescNumDims(td)
    out = []
    for k in range(n):
        cell = ffi.new("int64_t *")
        ok(lib.aclGetTensorDescDimV2(td, k, cell))
        out.append(int(cell[0]))
    return tuple(out)


def test_shape_range_description(ranged: Any) -> None:
    model_id, desc = ranged
    r = ffi.new("aclmdlIODimsRange *")
    ok(lib.aclmdlGetInputDimsRange(desc, 0, r))
    assert [tuple(r.range[k]) for k in range(r.rangeCount)] == [(1, 16)]
    ok(lib.aclmdlGetInputDimsRange(desc, 1, r))
    assert [tuple(r.range[k]) for k in range(r.rangeCount)] == [(1, 1), (3, 3)]
    assert dims_of(desc, 0) == (-1,)
    # an input is sized for its largest shape; outputs of dynamic size are sized by the program
    assert sizes(desc) == ([16 * 4, 12], [0, 0, 0])
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "index 2 out of range", lib.aclmdlGetInputDimsRange, desc, 2, r)


def test_shape_ranges_are_in_the_om_and_inspect(tmp_path: Path) -> None:
    from acllite.formats import om
    from acllite.tools import inspect as inspect_tool

    path = atc.convert(str(range_model(tmp_path)), str(tmp_path / "ranged"), input_shape_range="x:[1~16]")
    described = om.read(str(path))
    assert [t.shape_range for t in described.inputs] == [((1, 16),), ()]
    assert "range [1~16]" in inspect_tool.format_text(inspect_tool.describe(path))


def test_shape_range_runs_each_shape_with_data_dependent_outputs(ranged: Any) -> None:
    model_id, desc = ranged
    raw = Raw([64, 12], [64, 16 * 8, 16 * 3 * 4])
    rng = np.random.default_rng(4)
    m = rng.standard_normal((1, 3)).astype(np.float32)
    put(raw.ptrs[1], m)
    try:
        for n in (3, 16, 1, 7):
            x = rng.standard_normal(n).astype(np.float32)
            x[rng.random(n) < 0.4] = 0
            put(raw.ptrs[0], x)
            _set_shape(raw.inp, 0, [n])
            ok(lib.aclmdlExecute(model_id, raw.inp, raw.out), "aclmdlExecute")
            count = int(np.count_nonzero(x))
            assert _desc_dims(lib.aclmdlGetDatasetTensorDesc(raw.out, 0)) == (n,)
            assert _desc_dims(lib.aclmdlGetDatasetTensorDesc(raw.out, 1)) == (1, count)
            assert _desc_dims(lib.aclmdlGetDatasetTensorDesc(raw.out, 2)) == (n, 3)
            assert dims_of(desc, 1, lib.aclmdlGetCurOutputDims) == (1, count)
            np.testing.assert_array_equal(get(raw.ptrs[2], np.float32, (n,)), x * 2)
            np.testing.assert_array_equal(get(raw.ptrs[3], np.int64, (1, count)), np.array(np.nonzero(x)))
            np.testing.assert_allclose(get(raw.ptrs[4], np.float32, (n, 3)), x[:, None] + m, rtol=1e-6)
        # the dataset's descriptions go with the dataset
        stream = ffi.new("aclrtStream *")
        ok(lib.aclrtCreateStream(stream))
        _set_shape(raw.inp, 0, [5])
        put(raw.ptrs[0], np.arange(5, dtype=np.float32))
        ok(lib.aclmdlExecuteAsync(model_id, raw.inp, raw.out, stream[0]))
        ok(lib.aclrtSynchronizeStream(stream[0]))
        assert _desc_dims(lib.aclmdlGetDatasetTensorDesc(raw.out, 1)) == (1, 4)
        ok(lib.aclrtDestroyStream(stream[0]))
    finally:
        raw.close()


def test_model_object_runs_shape_ranges(device: Any, tmp_path: Path) -> None:
    """acllite.Model on a ranged model: each call describes its inputs' shapes, outputs come back at the shapes the
    run reports (a data-dependent NonZero included); an unbounded range grows the buffers (the output 4x the
    start size is re-run, not cut); misuse refused before anything runs."""
    rng = np.random.default_rng(8)
    m_in = rng.standard_normal((1, 3)).astype(np.float32)
    for rng_text, sizes in (("x:[1~16]", (3, 16, 1, 7)), ("x:[1~-1]", (5, 20000))):
        sub = tmp_path / rng_text.replace(":", "_").replace("~", "_").replace("[", "").replace("]", "")
        sub.mkdir()
        path = atc.convert(str(range_model(sub)), str(sub / "ranged"), input_shape_range=rng_text, input_format="ND")
        with acllite.Model(path, device) as m:
            assert m.input_ranges[0] == ((1, 16 if "16" in rng_text else -1),) and m.input_ranges[1] is None
            for n in sizes:
                x = rng.standard_normal(n).astype(np.float32)
                x[rng.random(n) < 0.4] = 0
                y, nz, s_ = m.execute([x, m_in])
                np.testing.assert_array_equal(y, x * 2)
                np.testing.assert_array_equal(nz, np.array(np.nonzero(x)))
                np.testing.assert_allclose(s_, x[:, None] + m_in, rtol=1e-6)
            if "16" in rng_text:
                with pytest.raises(ValueError, match=r"has shape \(17,\); the model takes dims within \[\[1, 16\]\]"):
                    m.execute([np.zeros(17, np.float32), m_in])
                with acllite.DeviceBuffer(64, device) as buf, pytest.raises(TypeError, match="takes numpy arrays"):
                    m.execute([buf, m_in])
                with acllite.Stream(device) as stream, pytest.raises(ValueError, match="has shape ranges"):
                    m.execute_async([x, m_in], stream)


def sum_model(tmp_path: Path) -> Path:
    """y = ReduceSum(x) ([1]: its size does not depend on x's)."""
    f = TensorProto.FLOAT
    return _save(tmp_path / "sum.onnx", [helper.make_node("ReduceSum", ["x"], ["y"], keepdims=1)],
                 [helper.make_tensor_value_info("x", f, ["n"])], [helper.make_tensor_value_info("y", f, [1])])


def test_an_unbounded_range_with_outputs_of_fixed_size_is_a_ranged_model(device: Any, tmp_path: Path) -> None:
    """x:[1~-1] reads [1, -1] from aclmdlGetInputDimsRange, as the ONNX model's own symbolic dim does; the emulator
    tells them apart (acllite_emu_model_input_has_ranges), so acllite.Model runs the ranged model at any size."""
    onnx_path = sum_model(tmp_path)
    ranged = atc.convert(str(onnx_path), str(tmp_path / "sum"), input_shape_range="x:[1~-1]", input_format="ND")
    has = ffi.new("int32_t *")
    for path, want in ((ranged, 1), (onnx_path, 0)):
        model_id, desc = load_file(Path(path))
        try:
            ok(lib.acllite_emu_model_input_has_ranges(desc, 0, has))
            assert has[0] == want, path
            cell = ffi.new("aclmdlIODimsRange *")
            ok(lib.aclmdlGetInputDimsRange(desc, 0, cell))
            assert (cell.rangeCount, cell.range[0][0], cell.range[0][1]) == (1, 1, -1)  # the same for both
            expect_error(100000, "index 1", lib.acllite_emu_model_input_has_ranges, desc, 1, has)
            expect_error(100000, "hasRanges is NULL", lib.acllite_emu_model_input_has_ranges, desc, 0, ffi.NULL)
        finally:
            ok(lib.aclmdlDestroyDesc(desc))
            ok(lib.aclmdlUnload(model_id))
    with acllite.Model(ranged, device) as m:
        assert m.input_ranges == (((1, -1),),)
        for n in (1, 5, 3000):
            x = np.arange(n, dtype=np.float32)
            (y,) = m.execute([x])
            np.testing.assert_allclose(y, [x.sum()], rtol=1e-6)
    with acllite.Model(str(onnx_path), device) as m:
        assert m.input_ranges == ()  # a symbolic dim: the model's batch, no ranges to describe


def test_a_tensor_without_elements_is_refused_clearly(device: Any, tmp_path: Path) -> None:
    """[n, 0] in and out: neither a shape range (no tensor description to read back) nor a batch of any size."""
    f = TensorProto.FLOAT
    path = _save(tmp_path / "empty.onnx", [helper.make_node("Identity", ["x"], ["y"])],
                 [helper.make_tensor_value_info("x", f, ["n", 0])], [helper.make_tensor_value_info("y", f, ["n", 0])])
    with acllite.Model(str(path), device) as m, pytest.raises(
            ValueError, match=r"x has shape \(-1, 0\): acllite.Model does not run tensors without elements"):
        m.execute([np.zeros((3, 0), np.float32)])


def test_ranges_written_in_input_shape(acl: Any, tmp_path: Path) -> None:
    """Newer CANN's --input_shape with min~max or -1 and no gear option is --input_shape_range's ranges."""
    a = atc.convert(str(range_model(tmp_path)), str(tmp_path / "a"), input_shape="x:1~16;m:1,3", input_format="ND")
    b = atc.convert(str(range_model(tmp_path)), str(tmp_path / "b"), input_shape="x:-1", input_format="ND")
    for path, want in ((a, [1, 16]), (b, [0, -1])):
        model_id, desc = load_file(path)
        try:
            r = ffi.new("aclmdlIODimsRange *")
            ok(lib.aclmdlGetInputDimsRange(desc, 0, r))
            assert (r.rangeCount, [r.range[0][0], r.range[0][1]]) == (1, want)
        finally:
            ok(lib.aclmdlDestroyDesc(desc))
            ok(lib.aclmdlUnload(model_id))


def test_shape_range_misuse(ranged: Any) -> None:
    model_id, desc = ranged
    raw = Raw([64, 12], [64, 16, 16 * 3 * 4])
    try:
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "set its shape with aclmdlSetDatasetTensorDesc", lib.aclmdlExecute,
                     model_id, raw.inp, raw.out)
        assert lib.aclmdlGetDatasetTensorDesc(raw.out, 0) == ffi.NULL
        assert "aclmdlGetDatasetTensorDesc: buffer 0 has no tensor description" in (recent_message() or "")
        _set_shape(raw.inp, 0, [17])
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "shape [17] is outside the model's range (dimension 0: 17 not in "
                     "[1, 16]", lib.aclmdlExecute, model_id, raw.inp, raw.out)
        _set_shape(raw.inp, 0, [2, 2])
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "the dataset's description has 2 dimensions", lib.aclmdlExecute,
                     model_id, raw.inp, raw.out)
        _set_shape(raw.inp, 0, [4])
        put(raw.ptrs[0], np.ones(4, np.float32))
        # nz needs 4 x 8 bytes; its buffer holds 16
        expect_error(lib.ACL_ERROR_MODEL_OUTPUT_NOT_MATCH, "produced 32 bytes; its buffer holds 16", lib.aclmdlExecute,
                     model_id, raw.inp, raw.out)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "index 5 out of range", lib.aclmdlSetDatasetTensorDesc, raw.inp,
                     lib.aclmdlGetDatasetTensorDesc(raw.inp, 0), 5)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "is not a live tensor description", lib.aclmdlSetDatasetTensorDesc,
                     raw.inp, ffi.cast("aclTensorDesc *", 0x1234), 0)
    finally:
        raw.close()
    small = Raw([8, 12], [64, 128, 192])
    try:
        _set_shape(small.inp, 0, [4])
        expect_error(lib.ACL_ERROR_MODEL_INPUT_NOT_MATCH, "input 0 'x' holds 8 bytes; shape [4] needs 16",
                     lib.aclmdlExecute, model_id, small.inp, small.out)
    finally:
        small.close()


def test_atc_refuses_bad_ranges(tmp_path: Path) -> None:
    src = str(range_model(tmp_path))
    for text, fragment in (("x:1~16", "is not NAME:[d0,d1,...]"), ("x:[16~1]", "is not a dimension"),
                           ("x:[1~a]", "is not a number"), ("q:[1~4]", "the model has no input 'q'"),
                           ("x:[1,2]", "'x' has 2 dimensions")):
        with pytest.raises(atc.AtcError, match=re.escape(fragment)):
            atc.convert(src, str(tmp_path / "bad"), input_shape_range=text)
    with pytest.raises(atc.AtcError, match="cannot be used with --dynamic_batch_size"):
        atc.convert(src, str(tmp_path / "bad"), input_shape_range="x:[1~4]", input_shape="x:-1",
                    dynamic_batch_size="1,2")


def test_input_dims_v2_is_the_model_side_of_static_aipp(acl: Any, tmp_path: Path) -> None:
    """aclmdlGetInputDims describes the image an AIPP input takes; aclmdlGetInputDimsV2 the model's input after
    AIPP (the OM's input_dims); other inputs answer the same to both."""
    f = TensorProto.FLOAT
    src = _save(tmp_path / "id.onnx", [helper.make_node("Identity", ["x"], ["y"])],
                [helper.make_tensor_value_info("x", f, [1, 3, 8, 8])], [helper.make_tensor_value_info("y", f, [1, 3, 8, 8])])
    cfg = tmp_path / "aipp.cfg"
    cfg.write_text("aipp_op { aipp_mode: static input_format: YUV420SP_U8 csc_switch: true }\n")
    path = atc.convert(str(src), str(tmp_path / "aipp"), insert_op_conf=str(cfg))
    model_id, desc = load_file(path)
    try:
        assert dims_of(desc, 0) == (1, 8, 8, 3)
        assert dims_of(desc, 0, lib.aclmdlGetInputDimsV2) == (1, 3, 8, 8)
    finally:
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(model_id))
    plain = atc.convert(str(src), str(tmp_path / "plain"))
    model_id, desc = load_file(plain)
    try:
        assert dims_of(desc, 0, lib.aclmdlGetInputDimsV2) == dims_of(desc, 0) == (1, 3, 8, 8)
    finally:
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(model_id))


def _release_pyacl(acl: Any, made: List[Any]) -> None:
    """Destroy what a pyACL program made ((pointer, data buffer) pairs and datasets), then reset and finalize."""
    for item in made:
        if isinstance(item, tuple):
            acl.destroy_data_buffer(item[1])
            acl.rt.free(item[0])
        else:
            acl.mdl.destroy_dataset(item)
    acl.rt.reset_device(0)
    acl.finalize()


def test_pyacl_dynamic_hw_and_dims_programs(tmp_path: Path) -> None:
    """The calls of the samples' dynamic-HW program (get_input_index_by_name, get_dynamic_hw, set_dynamic_hw_size,
    execute) and of a dims program (get_input_dynamic_gear_count, get_input_dynamic_dims, set_input_dynamic_dims)
    through the pyACL-compatible module (the reserved index given as 0: -1 is the next test)."""
    import acllite.pyacl as acl

    hw_path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                          dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    dims_path = atc.convert(str(dims_model(tmp_path)), str(tmp_path / "dims"), input_shape="a:1,-1;b:-1,-1",
                            input_format="ND", dynamic_dims=";".join(",".join(map(str, g)) for g in DIMS_GEARS))
    assert acl.init() == 0
    assert acl.rt.set_device(0) == 0
    made: List[Any] = []

    def buffers(sizes: Sequence[int]) -> Tuple[int, List[int]]:
        ds = acl.mdl.create_dataset()
        ptrs = []
        for n in sizes:
            ptr, ret = acl.rt.malloc(n, 0)
            assert ret == 0
            db = acl.create_data_buffer(ptr, n)
            _, ret = acl.mdl.add_dataset_buffer(ds, db)
            assert ret == 0
            made.append((ptr, db))
            ptrs.append(ptr)
        made.append(ds)
        return ds, ptrs

    try:
        model_id, ret = acl.mdl.load_from_file(str(hw_path))
        assert ret == 0
        desc = acl.mdl.create_desc()
        assert acl.mdl.get_desc(desc, model_id) == 0
        index, ret = acl.mdl.get_input_index_by_name(desc, "ascend_mbatch_shape_data")
        assert (index, ret) == (1, 0)
        info, ret = acl.mdl.get_dynamic_hw(desc, 0)
        assert ret == 0 and info["hw"] == [list(g) for g in HW_GEARS]
        ins, (x_ptr, _) = buffers([acl.mdl.get_input_size_by_index(desc, i) for i in range(2)])
        outs, (y_ptr, _) = buffers([acl.mdl.get_output_size_by_index(desc, i) for i in range(2)])
        for h, w in HW_GEARS:
            x = np.random.default_rng(h).standard_normal((1, 3, h, w)).astype(np.float32)
            assert acl.rt.memcpy(x_ptr, x.nbytes, acl.util.numpy_to_ptr(x), x.nbytes, 1) == 0
            assert acl.mdl.set_dynamic_hw_size(model_id, ins, index, h, w) == 0
            assert acl.mdl.execute(model_id, ins, outs) == 0
            y = np.empty_like(x)
            assert acl.rt.memcpy(acl.util.numpy_to_ptr(y), y.nbytes, y_ptr, y.nbytes, 2) == 0
            np.testing.assert_allclose(y, np.maximum(x, 0) * 2, rtol=1e-6)
        assert acl.mdl.set_dynamic_hw_size(model_id, ins, index, 5, 5) == 145013
        assert acl.mdl.destroy_desc(desc) == 0
        assert acl.mdl.unload(model_id) == 0

        model_id, ret = acl.mdl.load_from_file(str(dims_path))
        desc = acl.mdl.create_desc()
        assert acl.mdl.get_desc(desc, model_id) == 0
        count, ret = acl.mdl.get_input_dynamic_gear_count(desc, 0)
        assert (count, ret) == (3, 0)
        gears, ret = acl.mdl.get_input_dynamic_dims(desc, 0, count)
        assert ret == 0 and [g["dims"] for g in gears] == [_all_dims(g) for g in DIMS_GEARS]
        ins, (a_ptr, b_ptr, _) = buffers([acl.mdl.get_input_size_by_index(desc, i) for i in range(3)])
        outs, (ya_ptr, _) = buffers([acl.mdl.get_output_size_by_index(desc, i) for i in range(2)])
        a = np.arange(8, dtype=np.float32).reshape(1, 8)
        assert acl.rt.memcpy(a_ptr, a.nbytes, acl.util.numpy_to_ptr(a), a.nbytes, 1) == 0
        assert acl.mdl.set_input_dynamic_dims(model_id, ins, 2, gears[1]) == 0
        assert acl.mdl.execute(model_id, ins, outs) == 0
        ya = np.empty_like(a)
        assert acl.rt.memcpy(acl.util.numpy_to_ptr(ya), ya.nbytes, ya_ptr, ya.nbytes, 2) == 0
        np.testing.assert_array_equal(ya, a + 1)
        assert acl.mdl.destroy_desc(desc) == 0
        assert acl.mdl.unload(model_id) == 0
    finally:
        _release_pyacl(acl, made)


def test_pyacl_reserved_index_minus_one(tmp_path: Path) -> None:
    """pyACL's documentation and the samples' dynamic-HW programs pass the reserved index -1 (C's (size_t)-1)."""
    import acllite.pyacl as acl

    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size="2,2;4,4")
    assert acl.init() == 0
    try:
        assert acl.rt.set_device(0) == 0
        model_id, ret = acl.mdl.load_from_file(str(path))
        desc = acl.mdl.create_desc()
        try:
            assert acl.mdl.get_desc(desc, model_id) == 0
            info, ret = acl.mdl.get_dynamic_hw(desc, -1)
            assert ret == 0 and info["hw"] == [[2, 2], [4, 4]]
        finally:
            acl.mdl.destroy_desc(desc)
            acl.mdl.unload(model_id)
    finally:
        acl.rt.reset_device(0)
        acl.finalize()


def test_pyacl_shape_range_program(tmp_path: Path) -> None:
    """A shape-range program through the pyACL-compatible module: the ranges (get_input_dims_range), each
    execution's input shape set with set_dataset_tensor_desc, the outputs' shapes read back with
    get_dataset_tensor_desc, and a description's own ranges (set_tensor_shape_range, get_tensor_desc_dim_range)."""
    import acllite.pyacl as acl

    path = atc.convert(str(range_model(tmp_path)), str(tmp_path / "ranged"), input_shape_range="x:[1~16]",
                       input_format="ND")
    assert acl.init() == 0
    assert acl.rt.set_device(0) == 0
    made: List[Any] = []
    try:
        model_id, ret = acl.mdl.load_from_file(str(path))
        assert ret == 0
        desc = acl.mdl.create_desc()
        assert acl.mdl.get_desc(desc, model_id) == 0
        ranges, ret = acl.mdl.get_input_dims_range(desc, 0)
        assert ret == 0 and ranges["range"] == [[1, 16]]
        ins, outs = acl.mdl.create_dataset(), acl.mdl.create_dataset()
        ptrs = []
        for ds, sizes in ((ins, [64, 12]), (outs, [64, 16 * 8, 16 * 3 * 4])):
            for n in sizes:
                ptr, ret = acl.rt.malloc(n, 0)
                db = acl.create_data_buffer(ptr, n)
                assert acl.mdl.add_dataset_buffer(ds, db) == (ds, 0)
                made.append((ptr, db))
                ptrs.append(ptr)
        made += [ins, outs]
        m = np.ones((1, 3), np.float32)
        assert acl.rt.memcpy(ptrs[1], m.nbytes, acl.util.numpy_to_ptr(m), m.nbytes, 1) == 0
        for n in (5, 2):
            x = np.arange(n, dtype=np.float32)  # one zero: n - 1 non-zero elements
            assert acl.rt.memcpy(ptrs[0], x.nbytes, acl.util.numpy_to_ptr(x), x.nbytes, 1) == 0
            td = acl.create_tensor_desc(0, [n], 2)
            assert acl.mdl.set_dataset_tensor_desc(ins, td, 0) == (ins, 0)
            acl.destroy_tensor_desc(td)
            assert acl.mdl.execute(model_id, ins, outs) == 0
            nz = acl.mdl.get_dataset_tensor_desc(outs, 1)
            assert acl.get_tensor_desc_num_dims(nz) == 2
            assert [acl.get_tensor_desc_dim_v2(nz, k) for k in range(2)] == [(1, 0), (n - 1, 0)]
            y = np.empty(n, np.float32)
            assert acl.rt.memcpy(acl.util.numpy_to_ptr(y), y.nbytes, ptrs[2], y.nbytes, 2) == 0
            np.testing.assert_array_equal(y, x * 2)
        td = acl.create_tensor_desc(0, [-1, 3], 2)
        assert acl.set_tensor_shape_range(td, [[1, 16], [3, 3]]) == 0
        assert acl.get_tensor_desc_dim_range(td, 0, 2) == ([1, 16], 0)
        assert acl.get_tensor_desc_dim_range(td, 1, 2) == ([3, 3], 0)
        acl.destroy_tensor_desc(td)
        assert acl.mdl.destroy_desc(desc) == 0
        assert acl.mdl.unload(model_id) == 0
    finally:
        _release_pyacl(acl, made)


# ------------------------------------------------------------------------- static AIPP at image size gears

AIPP_YUV = ("aipp_op {\n aipp_mode: static\n input_format: YUV420SP_U8\n csc_switch: true\n"
            " mean_chn_0: 10\n mean_chn_1: 20\n mean_chn_2: 30\n min_chn_0: 0.5\n var_reci_chn_0: 0.5\n"
            " var_reci_chn_1: 0.25\n var_reci_chn_2: 2.0\n}\n")
AIPP_RGB = "aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n rbuv_swap_switch: true\n mean_chn_1: 100\n}\n"


def gear_aipp_model(tmp_path: Path, conf: str, name: str = "hw_aipp", **options: Any) -> Path:
    cfg = tmp_path / (name + ".cfg")
    cfg.write_text(conf)
    options.setdefault("input_shape", "x:1,3,-1,-1")
    options.setdefault("dynamic_image_size", ";".join("%d,%d" % g for g in HW_GEARS))
    return atc.convert(str(hw_model(tmp_path)), str(tmp_path / name), insert_op_conf=str(cfg), **options)


def aipp_reference(conf: str, image: np.ndarray, h: int, w: int) -> np.ndarray:
    """The configuration's AIPP at a source of w x h (numpy, acllite.formats.aipp.reference_aipp)."""
    from acllite.formats.aipp import parse_aipp_text, reference_aipp

    block = parse_aipp_text(conf)[0]
    block.values.update(src_image_size_w=w, src_image_size_h=h)
    return reference_aipp(block.resolve((3, h, w)), image)[None]


@pytest.mark.parametrize("conf,per_pixel", [(AIPP_YUV, 1.5), (AIPP_RGB, 3)])
def test_static_aipp_follows_each_image_size_gear(acl: Any, tmp_path: Path, conf: str, per_pixel: float) -> None:
    """atc --dynamic_image_size with a static aipp_op (no crop, padding or source size, as ACL requires): the input
    takes the gear's source images ([1, H, W, C] uint8, sized for the largest gear), the AIPP runs at each gear's
    size, and the model sees its result: each gear against numpy."""
    from acllite.tools import inspect as inspect_tool

    path = gear_aipp_model(tmp_path, conf)
    biggest = max(h * w for h, w in HW_GEARS)
    report = inspect_tool.describe(path)  # the OM records what the emulator reports
    assert report["inputs"][0]["size"] == int(biggest * per_pixel) and report["dynamic_hw"] == [list(g) for g in
                                                                                                HW_GEARS]
    model_id, desc = load_file(path)
    try:
        assert dims_of(desc, 0) == (1, -1, -1, 3)
        assert lib.aclmdlGetInputDataType(desc, 0) == lib.ACL_UINT8
        assert lib.aclmdlGetInputSizeByIndex(desc, 0) == int(biggest * per_pixel)
        kind, attached = ffi.new("aclmdlInputAippType *"), ffi.new("size_t *")
        ok(lib.aclmdlGetAippType(model_id, 0, kind, attached))
        assert kind[0] == lib.ACL_DATA_WITH_STATIC_AIPP
        info = ffi.new("aclAippInfo *")
        ok(lib.aclmdlGetFirstAippInfo(model_id, 0, info))
        assert info.inputFormat == (lib.ACL_YUV420SP_U8 if per_pixel == 1.5 else lib.ACL_RGB888_U8)
        raw = Raw([int(biggest * per_pixel), 8 * 2], [4 * 3 * biggest, 12])
        try:
            for k, (h, w) in enumerate(HW_GEARS):
                image = np.random.default_rng(k).integers(0, 256, int(h * w * per_pixel), dtype=np.uint8)
                put(raw.ptrs[0], image)
                ok(lib.aclmdlSetDynamicHWSize(model_id, raw.inp, 1, h, w), "aclmdlSetDynamicHWSize")
                ok(lib.aclmdlExecute(model_id, raw.inp, raw.out), "aclmdlExecute at gear %d" % k)
                x = aipp_reference(conf, image, h, w)
                assert np.abs(x).max() > 1
                np.testing.assert_array_equal(get(raw.ptrs[2], np.float32, (1, 3, h, w)), np.maximum(x, 0) * 2)
                np.testing.assert_allclose(get(raw.ptrs[3], np.float32, (1, 3, 1, 1)),
                                           x.mean(axis=(2, 3), keepdims=True), rtol=1e-5, atol=1e-4)
            # a buffer too small for the gear is refused before the AIPP reads it
            small = Raw([16 * 10, 16], [4 * 3 * biggest, 12])
            try:
                ok(lib.aclmdlSetDynamicHWSize(model_id, small.inp, 1, 16, 16))
                assert lib.aclmdlExecute(model_id, small.inp, small.out) == 100017  # MODEL_INPUT_NOT_MATCH
            finally:
                small.close()
        finally:
            raw.close()
    finally:
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(model_id))


def test_gray_static_aipp_at_image_size_gears_takes_one_channel_images(acl: Any, tmp_path: Path) -> None:
    """YUV400 source images have one channel: the input is described as [1, H, W, 1] and takes H x W bytes."""
    f = TensorProto.FLOAT
    gray = _save(tmp_path / "gray.onnx", [helper.make_node("Relu", ["x"], ["y"])],
                 [helper.make_tensor_value_info("x", f, [1, 1, "h", "w"])],
                 [helper.make_tensor_value_info("y", f, [1, 1, "h", "w"])])
    cfg = tmp_path / "gray.cfg"
    cfg.write_text("aipp_op {\n aipp_mode: static\n input_format: YUV400_U8\n mean_chn_0: 10\n}\n")
    path = atc.convert(str(gray), str(tmp_path / "gray"), insert_op_conf=str(cfg), input_shape="x:1,1,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    model_id, desc = load_file(Path(path))
    try:
        assert dims_of(desc, 0) == (1, -1, -1, 1)
        assert lib.aclmdlGetInputSizeByIndex(desc, 0) == max(h * w for h, w in HW_GEARS)
        h, w = HW_GEARS[0]
        image = np.random.default_rng(3).integers(0, 256, h * w, dtype=np.uint8)
        raw = Raw([max(hh * ww for hh, ww in HW_GEARS), 8 * 2], [4 * max(hh * ww for hh, ww in HW_GEARS)])
        try:
            put(raw.ptrs[0], image)
            ok(lib.aclmdlSetDynamicHWSize(model_id, raw.inp, 1, h, w), "aclmdlSetDynamicHWSize")
            ok(lib.aclmdlExecute(model_id, raw.inp, raw.out), "aclmdlExecute")
            np.testing.assert_array_equal(get(raw.ptrs[2], np.float32, (1, 1, h, w)),
                                          np.maximum(image.reshape(1, 1, h, w).astype(np.float32) - 10, 0))
        finally:
            raw.close()
    finally:
        ok(lib.aclmdlDestroyDesc(desc))
        ok(lib.aclmdlUnload(model_id))


def test_static_aipp_at_a_gear_equals_the_static_model_of_that_size(acl: Any, tmp_path: Path) -> None:
    """The emulator's AIPP at a gear (C) and acllite atc's static AIPP operators (ONNX) at the same size agree."""
    h, w = HW_GEARS[0]
    image = np.random.default_rng(5).integers(0, 256, h * w * 3 // 2, dtype=np.uint8)
    fixed_conf = AIPP_YUV.replace("aipp_mode: static\n", "aipp_mode: static\n src_image_size_w: %d\n "
                                  "src_image_size_h: %d\n" % (w, h))
    outs = []
    for path, gear in ((gear_aipp_model(tmp_path, AIPP_YUV), True),
                       (gear_aipp_model(tmp_path, fixed_conf, "fixed", input_shape="x:1,3,%d,%d" % (h, w),
                                        dynamic_image_size=None), False)):
        model_id, desc = load_file(path)
        raw = Raw([lib.aclmdlGetInputSizeByIndex(desc, 0)] + ([16] if gear else []), [4 * 3 * h * w, 12])
        try:
            put(raw.ptrs[0], image)
            if gear:
                ok(lib.aclmdlSetDynamicHWSize(model_id, raw.inp, 1, h, w))
            ok(lib.aclmdlExecute(model_id, raw.inp, raw.out), "aclmdlExecute")
            outs.append(get(raw.ptrs[2 if gear else 1], np.float32, (1, 3, h, w)))
        finally:
            raw.close()
            ok(lib.aclmdlDestroyDesc(desc))
            ok(lib.aclmdlUnload(model_id))
    np.testing.assert_array_equal(outs[0], outs[1])


@pytest.mark.parametrize("conf,options,fragment", [
    (AIPP_YUV.replace("csc_switch: true", "crop: true"), {}, "crop cannot be used with --dynamic_image_size"),
    (AIPP_YUV.replace("csc_switch: true", "padding: true"), {}, "padding cannot be used with --dynamic_image_size"),
    (AIPP_YUV.replace("csc_switch: true", "src_image_size_w: 16"), {}, "src_image_size_w must be 0 or left out"),
    ("aipp_op {\n aipp_mode: dynamic\n max_src_image_size: 1000\n}\n", {},
     "dynamic AIPP with --dynamic_image_size is not supported"),
    (AIPP_YUV, {"dynamic_image_size": "8,6;5,10"}, "YUV420SP needs even heights and widths; gear (5, 10)"),
    (AIPP_YUV, {"input_shape": "x:1,3,-1,-1", "dynamic_image_size": None, "dynamic_dims": "4,4;8,8",
                "input_format": "ND"}, "AIPP cannot be used with dynamic dims"),
])
def test_atc_refuses_aipp_the_gears_cannot_take(tmp_path: Path, conf: str, options: Any, fragment: str) -> None:
    with pytest.raises(atc.AtcError, match=re.escape(fragment)):
        gear_aipp_model(tmp_path, conf, **options)
