"""Loading with options and the other entry points (issue 15 section 4): aclmdlCreateConfigHandle /
aclmdlSetConfigOpt / aclmdlLoadWithConfig for every load type, the queue loaders answered as a device without
queues, aclmdlExecuteV2 / aclmdlExecuteAsyncV2 with execution configurations, aclmdlGetDescFromFile/FromMem,
aclmdlQueryExeOMDesc and aclmdlGetTensorRealName, each against a numpy reference or its exact code and message."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Tuple

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from acllite.binding import ffi, lib
from acllite.tools import atc
from conftest import create_stream, expect_error, leak_report, malloc, ok, read_device, requires_emulator, \
    write_device

pytestmark = requires_emulator

W = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5) / 4
X = np.random.default_rng(7).standard_normal((2, 3)).astype(np.float32)
MDL = {name: getattr(lib, name) for name in dir(lib) if name.startswith("ACL_MDL_")}


@pytest.fixture
def model_om(tmp_path: Path) -> Path:
    """y = x @ W for x [2, 3], as acllite atc writes it (NAME.om carrying the ONNX model)."""
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
                          [numpy_helper.from_array(W, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    (tmp_path / "mm.onnx").write_bytes(m.SerializeToString())
    return atc.convert(str(tmp_path / "mm.onnx"), str(tmp_path / "mm"))


def _set(h: Any, attr: str, value: Any) -> int:
    """aclmdlSetConfigOpt with the value's C type from the option's name (pointers: their address)."""
    if attr.endswith("_INT32"):
        cell = ffi.new("int32_t *", value)
    elif attr.endswith("_PTR"):
        keep = ffi.new("char[]", value) if isinstance(value, bytes) else value
        cell = ffi.new("void **", keep)
        _set.keep.append(keep)  # type: ignore[attr-defined]
    else:
        cell = ffi.new("size_t *", value)
    return lib.aclmdlSetConfigOpt(h, MDL[attr], cell, ffi.sizeof(ffi.typeof(cell).item))


_set.keep = []  # type: ignore[attr-defined]
_set.__name__ = "aclmdlSetConfigOpt"  # what expect_error names in the message


def _config(**options: Any) -> Any:
    h = lib.aclmdlCreateConfigHandle()
    assert h != ffi.NULL
    for attr, value in options.items():
        ok(_set(h, "ACL_MDL_" + attr, value), attr)
    return h


def _datasets(n_in: List[Tuple[Any, int]], n_out: List[Tuple[Any, int]]) -> Tuple[Any, Any]:
    out = []
    for buffers in (n_in, n_out):
        ds = lib.aclmdlCreateDataset()
        for ptr, size in buffers:
            ok(lib.aclmdlAddDatasetBuffer(ds, lib.aclCreateDataBuffer(ptr, size)))
        out.append(ds)
    return out[0], out[1]


def _free(ds: Any) -> None:
    for i in range(lib.aclmdlGetDatasetNumBuffers(ds)):
        buf = lib.aclmdlGetDatasetBuffer(ds, i)
        ok(lib.aclrtFree(lib.aclGetDataBufferAddr(buf)))
        ok(lib.aclDestroyDataBuffer(buf))
    ok(lib.aclmdlDestroyDataset(ds))


def _execute(model_id: int, how: str = "v1", handle: Any = ffi.NULL) -> np.ndarray:
    x_dev, y_dev = malloc(X.nbytes), malloc(2 * 4 * 4)
    write_device(x_dev, X.tobytes())
    inp, out = _datasets([(x_dev, X.nbytes)], [(y_dev, 32)])
    try:
        if how == "v1":
            ok(lib.aclmdlExecute(model_id, inp, out))
        elif how == "v2":
            ok(lib.aclmdlExecuteV2(model_id, inp, out, ffi.NULL, handle))
        else:
            stream = create_stream()
            ok(lib.aclmdlExecuteAsyncV2(model_id, inp, out, stream, handle))
            ok(lib.aclrtSynchronizeStream(stream))
            ok(lib.aclrtDestroyStream(stream))
        return np.frombuffer(read_device(y_dev, 32), np.float32).reshape(2, 4)
    finally:
        _free(inp)
        _free(out)


def _check_runs(model_id: int) -> None:
    np.testing.assert_allclose(_execute(model_id), X @ W, rtol=1e-6, atol=1e-6)
    ok(lib.aclmdlUnload(model_id))


def _sizes(path: Path) -> Tuple[int, int]:
    work, weight = ffi.new("size_t *"), ffi.new("size_t *")
    ok(lib.aclmdlQuerySize(str(path).encode(), work, weight))
    return work[0], weight[0]


# ------------------------------------------------------------------------------------ load with config


def test_load_with_config_from_file_and_memory(acl: Any, model_om: Path) -> None:
    cell = ffi.new("uint32_t *")
    h = _config(LOAD_TYPE_SIZET=lib.ACL_MDL_LOAD_FROM_FILE, PATH_PTR=str(model_om).encode(), PRIORITY_INT32=3,
                WORKSPACE_MEM_OPTIMIZE=1, MEM_MALLOC_POLICY_SIZET=0)
    ok(lib.aclmdlLoadWithConfig(h, cell))
    ok(lib.aclmdlDestroyConfigHandle(h))  # the model does not depend on the handle
    _check_runs(cell[0])
    data = model_om.read_bytes()
    host = ffi.from_buffer(data)
    h = _config(LOAD_TYPE_SIZET=lib.ACL_MDL_LOAD_FROM_MEM, MEM_ADDR_PTR=host, MEM_SIZET=len(data))
    ok(lib.aclmdlLoadWithConfig(h, cell))
    ok(lib.aclmdlDestroyConfigHandle(h))
    _check_runs(cell[0])


def test_load_with_config_and_user_memory_enforces_the_queried_sizes(acl: Any, model_om: Path) -> None:
    work, weight = _sizes(model_om)
    assert work == X.nbytes + 32 and weight == W.nbytes
    wptr, gptr = malloc(work), malloc(weight)
    data = model_om.read_bytes()
    host = ffi.from_buffer(data)
    cell = ffi.new("uint32_t *")
    for load_type, source in ((lib.ACL_MDL_LOAD_FROM_FILE_WITH_MEM, {"PATH_PTR": str(model_om).encode()}),
                              (lib.ACL_MDL_LOAD_FROM_MEM_WITH_MEM, {"MEM_ADDR_PTR": host, "MEM_SIZET": len(data)})):
        h = _config(LOAD_TYPE_SIZET=load_type, WORKSPACE_ADDR_PTR=wptr, WORKSPACE_SIZET=work - 1,
                    WEIGHT_ADDR_PTR=gptr, WEIGHT_SIZET=weight, **source)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "workPtr holds %d bytes; the model needs %d" % (work - 1, work),
                     lib.aclmdlLoadWithConfig, h, cell)
        ok(_set(h, "ACL_MDL_WORKSPACE_SIZET", work))
        ok(_set(h, "ACL_MDL_WEIGHT_SIZET", weight - 1))
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "weightPtr holds %d bytes; the model needs %d" % (weight - 1,
                     weight), lib.aclmdlLoadWithConfig, h, cell)
        ok(_set(h, "ACL_MDL_WEIGHT_SIZET", weight))
        ok(lib.aclmdlLoadWithConfig(h, cell))
        _check_runs(cell[0])
        ok(lib.aclmdlDestroyConfigHandle(h))
    h = _config(LOAD_TYPE_SIZET=lib.ACL_MDL_LOAD_FROM_FILE_WITH_MEM, PATH_PTR=str(model_om).encode(),
                WORKSPACE_ADDR_PTR=wptr)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "ACL_MDL_WORKSPACE_ADDR_PTR and ACL_MDL_WORKSPACE_SIZET go together",
                 lib.aclmdlLoadWithConfig, h, cell)
    ok(lib.aclmdlDestroyConfigHandle(h))
    ok(lib.aclrtFree(wptr))
    ok(lib.aclrtFree(gptr))


@pytest.mark.parametrize("options, fragment", [
    ({}, "ACL_MDL_LOAD_TYPE_SIZET is not set; every load needs it"),
    ({"LOAD_TYPE_SIZET": 1}, "ACL_MDL_PATH_PTR is not set; loading from a file needs it"),
    ({"LOAD_TYPE_SIZET": 3}, "ACL_MDL_MEM_ADDR_PTR is not set; loading from memory needs it"),
    ({"LOAD_TYPE_SIZET": 1, "PATH_PTR": b"/no/such/model.om"}, "does not exist"),
])
def test_load_with_config_says_what_is_missing(acl: Any, options: dict, fragment: str) -> None:
    h = _config(**options)
    code = lib.ACL_ERROR_INVALID_FILE if "PATH_PTR" in options else lib.ACL_ERROR_INVALID_PARAM
    expect_error(code, fragment, lib.aclmdlLoadWithConfig, h, ffi.new("uint32_t *"))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "modelId is NULL", lib.aclmdlLoadWithConfig, h, ffi.NULL)
    ok(lib.aclmdlDestroyConfigHandle(h))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "not a live handle", lib.aclmdlLoadWithConfig, h, ffi.new("uint32_t *"))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "not a live handle", lib.aclmdlDestroyConfigHandle, h)


def test_set_config_opt_checks_each_option(acl: Any) -> None:
    h = lib.aclmdlCreateConfigHandle()
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "ACL_MDL_PRIORITY_INT32: 8 is not 0 to 7", _set, h,
                 "ACL_MDL_PRIORITY_INT32", 8)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "ACL_MDL_LOAD_TYPE_SIZET: 7 is no load type", _set, h,
                 "ACL_MDL_LOAD_TYPE_SIZET", 7)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "ACL_MDL_WORKSPACE_MEM_OPTIMIZE: 2 is not 0 (off) or 1 (on)", _set, h,
                 "ACL_MDL_WORKSPACE_MEM_OPTIMIZE", 2)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "ACL_MDL_PATH_PTR: the path is empty", _set, h, "ACL_MDL_PATH_PTR", b"")
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "ACL_MDL_PATH_PTR: the path is NULL", _set, h, "ACL_MDL_PATH_PTR",
                 ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "ACL_MDL_MEM_SIZET: valueSize is 4; the value is a size_t (8 bytes)",
                 lib.aclmdlSetConfigOpt, h, lib.ACL_MDL_MEM_SIZET, ffi.new("int32_t *", 1), 4)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "attrValue is NULL", lib.aclmdlSetConfigOpt, h, lib.ACL_MDL_MEM_SIZET,
                 ffi.NULL, 8)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "attr 99 is no aclmdlConfigAttr", lib.aclmdlSetConfigOpt, h, 99,
                 ffi.new("size_t *"), 8)
    expect_error(lib.ACL_ERROR_API_NOT_SUPPORT, "ACL_MDL_KERNEL_PTR: loading a model from its precompiled kernels",
                 _set, h, "ACL_MDL_KERNEL_PTR", ffi.new("char[]", 8))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "handle is NULL", _set, ffi.NULL, "ACL_MDL_MEM_SIZET", 1)
    ok(lib.aclmdlDestroyConfigHandle(h))


def test_queue_loaders_answer_as_a_device_without_queues(acl: Any, model_om: Path) -> None:
    q = ffi.new("uint32_t[1]", [3])
    cell = ffi.new("uint32_t *")
    path = str(model_om).encode()
    expect_error(lib.ACL_ERROR_API_NOT_SUPPORT, "needs the device's queue service (acltdtCreateQueue)",
                 lib.aclmdlLoadFromFileWithQ, path, cell, q, 1, q, 1)
    data = model_om.read_bytes()
    expect_error(lib.ACL_ERROR_API_NOT_SUPPORT, "load it without queues", lib.aclmdlLoadFromMemWithQ, data, len(data),
                 cell, q, 1, q, 1)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "inputQ is NULL but its count is 2", lib.aclmdlLoadFromFileWithQ, path,
                 cell, ffi.NULL, 2, q, 1)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "modelId is NULL", lib.aclmdlLoadFromFileWithQ, path, ffi.NULL, q, 1,
                 q, 1)
    h = _config(LOAD_TYPE_SIZET=lib.ACL_MDL_LOAD_FROM_FILE_WITH_Q, PATH_PTR=path, INPUTQ_NUM_SIZET=1,
                INPUTQ_ADDR_PTR=q, OUTPUTQ_NUM_SIZET=1, OUTPUTQ_ADDR_PTR=q)
    expect_error(lib.ACL_ERROR_API_NOT_SUPPORT, "acltdtCreateQueue", lib.aclmdlLoadWithConfig, h, cell)
    ok(lib.aclmdlDestroyConfigHandle(h))


def test_a_forgotten_config_handle_is_released_and_reported_at_finalize(uninitialized: None) -> None:
    ok(lib.aclInit(ffi.NULL))
    lib.aclmdlCreateConfigHandle()
    lib.aclmdlCreateExecConfigHandle()
    ok(lib.aclFinalize())
    assert leak_report()["modelConfigs"] == 2


# ------------------------------------------------------------------------------------------ execute V2


def test_execute_v2_and_async_v2_with_an_execution_config(acl: Any, model_om: Path) -> None:
    cell = ffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromFile(str(model_om).encode(), cell))
    h = lib.aclmdlCreateExecConfigHandle()
    for attr in ("ACL_MDL_STREAM_SYNC_TIMEOUT", "ACL_MDL_EVENT_SYNC_TIMEOUT"):
        ok(lib.aclmdlSetExecConfigOpt(h, MDL[attr], ffi.new("int32_t *", 1000), 4))
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "%s: 0 ms: a timeout is -1 (wait forever) or positive" % attr,
                     lib.aclmdlSetExecConfigOpt, h, MDL[attr], ffi.new("int32_t *", 0), 4)
    ok(lib.aclmdlSetExecConfigOpt(h, lib.ACL_MDL_AICQOS_SIZET, ffi.new("size_t *", 1), 8))  # reserved
    expect_error(lib.ACL_ERROR_API_NOT_SUPPORT, "ACL_MDL_WORK_ADDR_PTR: per-execution work memory is not supported",
                 lib.aclmdlSetExecConfigOpt, h, lib.ACL_MDL_WORK_ADDR_PTR, ffi.new("void **"), ffi.sizeof("void *"))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "valueSize is 8; the value takes 4 bytes", lib.aclmdlSetExecConfigOpt, h,
                 lib.ACL_MDL_STREAM_SYNC_TIMEOUT, ffi.new("int64_t *", 5), 8)
    for how in ("v2", "async"):
        np.testing.assert_allclose(_execute(cell[0], how, h), X @ W, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(_execute(cell[0], how, ffi.NULL), X @ W, rtol=1e-6, atol=1e-6)
    ok(lib.aclmdlDestroyExecConfigHandle(h))
    x_dev, y_dev = malloc(X.nbytes), malloc(32)
    inp, out = _datasets([(x_dev, X.nbytes)], [(y_dev, 32)])
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "not a live handle", lib.aclmdlExecuteV2, cell[0], inp, out, ffi.NULL, h)
    expect_error(lib.ACL_ERROR_INVALID_MODEL_ID, "aclmdlExecuteV2: model id 999", lib.aclmdlExecuteV2, 999, inp, out,
                 ffi.NULL, ffi.NULL)
    _free(inp)
    _free(out)
    ok(lib.aclmdlUnload(cell[0]))


# --------------------------------------------------------------------------- descriptions without loading


def _describe(desc: Any) -> Tuple[Any, ...]:
    dims = ffi.new("aclmdlIODims *")
    ok(lib.aclmdlGetInputDims(desc, 0, dims))
    in_dims = [dims.dims[k] for k in range(dims.dimCount)]
    ok(lib.aclmdlGetOutputDims(desc, 0, dims))
    out_dims = [dims.dims[k] for k in range(dims.dimCount)]
    return (lib.aclmdlGetNumInputs(desc), lib.aclmdlGetNumOutputs(desc), in_dims, out_dims,
            lib.aclmdlGetInputSizeByIndex(desc, 0), lib.aclmdlGetOutputSizeByIndex(desc, 0),
            ffi.string(lib.aclmdlGetInputNameByIndex(desc, 0)), ffi.string(lib.aclmdlGetOutputNameByIndex(desc, 0)))


def test_desc_from_file_and_memory_match_the_loaded_models(acl: Any, model_om: Path, tmp_path: Path) -> None:
    cell = ffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromFile(str(model_om).encode(), cell))
    loaded = lib.aclmdlCreateDesc()
    ok(lib.aclmdlGetDesc(loaded, cell[0]))
    want = _describe(loaded)
    assert want == (1, 1, [2, 3], [2, 4], 24, 32, b"x", b"y:0")
    data = model_om.read_bytes()
    onnx_path = tmp_path / "mm.onnx"
    for fill in (lambda d: lib.aclmdlGetDescFromFile(d, str(model_om).encode()),
                 lambda d: lib.aclmdlGetDescFromMem(d, data, len(data)),
                 lambda d: lib.aclmdlGetDescFromFile(d, str(onnx_path).encode())):
        d = lib.aclmdlCreateDesc()
        ok(fill(d))
        got = _describe(d)
        assert got[:6] == want[:6]
        ok(lib.aclmdlDestroyDesc(d))
    assert live_models() == 1  # describing loads nothing
    d = lib.aclmdlCreateDesc()
    expect_error(lib.ACL_ERROR_INVALID_FILE, "does not exist", lib.aclmdlGetDescFromFile, d, b"/no/such.om")
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "model is NULL", lib.aclmdlGetDescFromMem, d, ffi.NULL, 4)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "modelDesc is NULL", lib.aclmdlGetDescFromMem, ffi.NULL, data, len(data))
    ok(lib.aclmdlDestroyDesc(d))

    # aclmdlGetTensorRealName: the name as described, also from an output's node name without its port
    assert ffi.string(lib.aclmdlGetTensorRealName(loaded, b"y")) == b"y:0"
    assert ffi.string(lib.aclmdlGetTensorRealName(loaded, b"y:0")) == b"y:0"
    assert ffi.string(lib.aclmdlGetTensorRealName(loaded, b"x")) == b"x"
    assert lib.aclmdlGetTensorRealName(loaded, b"z") == ffi.NULL
    assert "the model has no tensor named 'z'" in ffi.string(lib.aclGetRecentErrMsg()).decode()
    ok(lib.aclmdlDestroyDesc(loaded))
    ok(lib.aclmdlUnload(cell[0]))


def live_models() -> int:
    counts = ffi.new("acllite_emu_counts *")
    ok(lib.acllite_emu_live_counts(counts))
    return int(counts.models)


def test_query_exe_om_desc(acl: Any, model_om: Path) -> None:
    desc = ffi.new("aclmdlExeOMDesc *")
    desc.kernelSize = 99
    ok(lib.aclmdlQueryExeOMDesc(str(model_om).encode(), desc))
    assert (desc.workSize, desc.weightSize) == _sizes(model_om)
    assert (desc.modelDescSize, desc.kernelSize, desc.staticTaskSize, desc.dynamicTaskSize) == (0, 0, 0, 0)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "mdlPartitionSize is NULL", lib.aclmdlQueryExeOMDesc,
                 str(model_om).encode(), ffi.NULL)


def test_model_object_loads_with_a_priority(acl: Any, model_om: Path) -> None:
    import acllite

    with acllite.Device(0) as device:
        for source in (model_om, model_om.read_bytes()):
            with acllite.Model(source, device, priority=2) as model:
                (y,) = model.execute([X])
                np.testing.assert_allclose(y, X @ W, rtol=1e-6, atol=1e-6)
        with pytest.raises(acllite.AclError, match="ACL_MDL_PRIORITY_INT32: 9 is not 0 to 7"):
            acllite.Model(model_om, device, priority=9)
        with pytest.raises(ValueError, match="priority 4294967296 is not 0 to 7"):
            acllite.Model(model_om, device, priority=1 << 32)
        with pytest.raises(TypeError, match="priority must be an int"):
            acllite.Model(model_om, device, priority=True)
