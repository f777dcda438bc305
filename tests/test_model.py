"""Models on the emulator: aclmdl* through the raw binding, and acllite.Model.

Every model is built here with onnx.helper, run, and checked against numpy; descriptions are checked against
what was built; each bad input is checked by its exact code and message.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, List, Sequence, Tuple

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import acllite
from acllite.binding import ffi, lib
from conftest import expect_error, ok, requires_emulator, run_python_ok, child

pytestmark = requires_emulator

H2D, D2H = 1, 2


def make_model(nodes: List[Any], inputs: List[Any], outputs: List[Any], inits: Sequence[Any] = ()) -> bytes:
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def vi(name: str, elem: int, shape: Sequence[Any]) -> Any:
    return helper.make_tensor_value_info(name, elem, list(shape))


def scale_model(batch: Any = "N") -> bytes:
    """y = x * w, x: [batch, 4] float32."""
    w = numpy_helper.from_array(np.array([1, 2, 3, 4], np.float32), "w")
    return make_model([helper.make_node("Mul", ["x", "w"], ["y"])], [vi("x", TensorProto.FLOAT, [batch, 4])],
                      [vi("y", TensorProto.FLOAT, [batch, 4])], [w])


def two_io_model() -> bytes:
    """sum = a + b (int32 [2, 3]); prod = a * b as float16 of (c) -> c * 2 (float16 [3])."""
    two = numpy_helper.from_array(np.array(2, np.float16), "two")
    nodes = [helper.make_node("Add", ["a", "b"], ["sum"]), helper.make_node("Mul", ["c", "two"], ["twice"])]
    return make_model(nodes, [vi("a", TensorProto.INT32, [2, 3]), vi("b", TensorProto.INT32, [2, 3]),
                              vi("c", TensorProto.FLOAT16, [3])],
                      [vi("sum", TensorProto.INT32, [2, 3]), vi("twice", TensorProto.FLOAT16, [3])], [two])


def matmul_conv_model() -> Tuple[bytes, np.ndarray, np.ndarray]:
    """y = Conv(x, k) then MatMul with m: x [1, 1, 5, 5], k [2, 1, 3, 3] -> [1, 2, 3, 3] @ m [3, 2]."""
    rng = np.random.default_rng(7)
    k = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    m = rng.standard_normal((3, 2)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "k"], ["c"]), helper.make_node("MatMul", ["c", "m"], ["y"])]
    data = make_model(nodes, [vi("x", TensorProto.FLOAT, [1, 1, 5, 5])], [vi("y", TensorProto.FLOAT, [1, 2, 3, 2])],
                      [numpy_helper.from_array(k, "k"), numpy_helper.from_array(m, "m")])
    return data, k, m


def conv_ref(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    out = np.zeros((1, k.shape[0], x.shape[2] - 2, x.shape[3] - 2), np.float32)
    for o in range(k.shape[0]):
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[0, o, i, j] = np.sum(x[0, 0, i:i + 3, j:j + 3] * k[o, 0])
    return out


# ----------------------------------------------------------------------------------------- raw helpers


def load(data: bytes) -> int:
    cell = ffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromMem(ffi.from_buffer(data), len(data), cell), "aclmdlLoadFromMem")
    assert cell[0] != 0
    return int(cell[0])


class Raw:
    """Device buffers, data buffers and datasets for one execution through the raw API."""

    def __init__(self, in_sizes: Sequence[int], out_sizes: Sequence[int]):
        self.ptrs: List[Any] = []
        self.dbs: List[Any] = []
        self.inp = lib.aclmdlCreateDataset()
        self.out = lib.aclmdlCreateDataset()
        for ds, sizes in ((self.inp, in_sizes), (self.out, out_sizes)):
            for size in sizes:
                cell = ffi.new("void **")
                ok(lib.aclrtMalloc(cell, size, 0), "aclrtMalloc")
                db = lib.aclCreateDataBuffer(cell[0], size)
                ok(lib.aclmdlAddDatasetBuffer(ds, db), "aclmdlAddDatasetBuffer")
                self.ptrs.append(cell[0])
                self.dbs.append(db)

    def close(self) -> None:
        ok(lib.aclmdlDestroyDataset(self.inp))
        ok(lib.aclmdlDestroyDataset(self.out))
        for db in self.dbs:
            ok(lib.aclDestroyDataBuffer(db))
        for p in self.ptrs:
            ok(lib.aclrtFree(p))


def put(ptr: Any, arr: np.ndarray) -> None:
    ok(lib.aclrtMemcpy(ptr, arr.nbytes, ffi.from_buffer(arr), arr.nbytes, H2D), "aclrtMemcpy H2D")


def get(ptr: Any, dtype: Any, shape: Sequence[int]) -> np.ndarray:
    out = np.empty(shape, dtype)
    ok(lib.aclrtMemcpy(ffi.from_buffer(out, require_writable=True), out.nbytes, ptr, out.nbytes, D2H), "D2H")
    return out


# -------------------------------------------------------------------------------------- descriptions


def test_description_matches_the_built_model(acl: Any) -> None:
    mid = load(two_io_model())
    desc = lib.aclmdlCreateDesc()
    ok(lib.aclmdlGetDesc(desc, mid))
    assert lib.aclmdlGetNumInputs(desc) == 3 and lib.aclmdlGetNumOutputs(desc) == 2
    assert [ffi.string(lib.aclmdlGetInputNameByIndex(desc, i)).decode() for i in range(3)] == ["a", "b", "c"]
    assert [ffi.string(lib.aclmdlGetOutputNameByIndex(desc, i)).decode() for i in range(2)] == ["sum", "twice"]
    assert [lib.aclmdlGetInputSizeByIndex(desc, i) for i in range(3)] == [24, 24, 6]
    assert [lib.aclmdlGetOutputSizeByIndex(desc, i) for i in range(2)] == [24, 6]
    assert [lib.aclmdlGetInputDataType(desc, i) for i in range(3)] == [lib.ACL_INT32, lib.ACL_INT32, lib.ACL_FLOAT16]
    assert lib.aclmdlGetOutputDataType(desc, 1) == lib.ACL_FLOAT16
    assert lib.aclmdlGetInputFormat(desc, 0) == lib.ACL_FORMAT_ND
    dims = ffi.new("aclmdlIODims *")
    ok(lib.aclmdlGetInputDims(desc, 0, dims))
    assert (ffi.string(dims.name), dims.dimCount, list(dims.dims[0:2])) == (b"a", 2, [2, 3])
    ok(lib.aclmdlGetInputDimsV2(desc, 2, dims))
    assert (dims.dimCount, dims.dims[0]) == (1, 3)
    ok(lib.aclmdlGetOutputDims(desc, 1, dims))
    assert ffi.string(dims.name) == b"twice"
    idx = ffi.new("size_t *")
    ok(lib.aclmdlGetInputIndexByName(desc, b"c", idx))
    assert idx[0] == 2
    ok(lib.aclmdlGetOutputIndexByName(desc, b"twice", idx))
    assert idx[0] == 1
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "no input named 'zz'", lib.aclmdlGetInputIndexByName, desc, b"zz", idx)
    # Out-of-range indexes: 0 / NULL / undefined, each with a message.
    assert lib.aclmdlGetInputSizeByIndex(desc, 3) == 0
    assert "index 3 out of range" in ffi.string(lib.aclGetRecentErrMsg()).decode()
    assert lib.aclmdlGetOutputNameByIndex(desc, 9) == ffi.NULL
    assert lib.aclmdlGetInputDataType(desc, 5) == lib.ACL_DT_UNDEFINED
    assert lib.aclmdlGetOutputFormat(desc, 5) == lib.ACL_FORMAT_UNDEFINED
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "out of range", lib.aclmdlGetOutputDims, desc, 2, dims)
    # Static model: no dynamic gears, no AIPP.
    batch = ffi.new("aclmdlBatch *")
    ok(lib.aclmdlGetDynamicBatch(desc, batch))
    assert batch.batchCount == 0
    hw = ffi.new("aclmdlHW *")
    ok(lib.aclmdlGetDynamicHW(desc, 0, hw))
    assert hw.hwCount == 0
    t, attached = ffi.new("aclmdlInputAippType *"), ffi.new("size_t *")
    ok(lib.aclmdlGetAippType(mid, 0, t, attached))
    assert (t[0], attached[0]) == (lib.ACL_DATA_WITHOUT_AIPP, lib.ACL_INVALID_NODE_INDEX)
    expect_error(lib.ACL_ERROR_GE_AIPP_NOT_EXIST, "has no static AIPP", lib.aclmdlGetFirstAippInfo, mid, 0,
                 ffi.new("aclAippInfo *"))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "out of range", lib.aclmdlGetAippType, mid, 7, t, attached)
    raw = Raw([24, 24, 6], [24, 6])
    expect_error(lib.ACL_ERROR_MODEL_NOT_DYNAMIC, "no dynamic batch", lib.aclmdlSetDynamicBatchSize, mid, raw.inp, 0, 4)
    expect_error(lib.ACL_ERROR_MODEL_NOT_DYNAMIC, "no dynamic image size", lib.aclmdlSetDynamicHWSize, mid, raw.inp,
                 0, 8, 8)
    raw.close()
    ok(lib.aclmdlUnload(mid))
    # The description outlives the model.
    assert lib.aclmdlGetNumInputs(desc) == 3
    ok(lib.aclmdlDestroyDesc(desc))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "not a live description", lib.aclmdlDestroyDesc, desc)


def test_query_size(acl: Any, tmp_path: Path) -> None:
    data, k, m = matmul_conv_model()
    work, weight = ffi.new("size_t *"), ffi.new("size_t *")
    ok(lib.aclmdlQuerySizeFromMem(ffi.from_buffer(data), len(data), work, weight))
    assert weight[0] == k.nbytes + m.nbytes  # the initializers
    assert work[0] == 25 * 4 + 12 * 4  # the emulator's estimate: input and output bytes
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    ok(lib.aclmdlQuerySize(str(path).encode(), work, weight))
    assert weight[0] == k.nbytes + m.nbytes
    expect_error(lib.ACL_ERROR_INVALID_FILE, "cannot open model file", lib.aclmdlQuerySize, b"/nonexistent.onnx", work,
                 weight)


# ------------------------------------------------------------------------------------------ execution


def test_execute_static_models_against_numpy(acl: Any) -> None:
    data, k, m = matmul_conv_model()
    mid = load(data)
    raw = Raw([100], [48])
    x = np.random.default_rng(1).standard_normal((1, 1, 5, 5)).astype(np.float32)
    put(raw.ptrs[0], x)
    ok(lib.aclmdlExecute(mid, raw.inp, raw.out), "aclmdlExecute")
    y = get(raw.ptrs[1], np.float32, (1, 2, 3, 2))
    np.testing.assert_allclose(y, conv_ref(x, k) @ m, rtol=1e-5, atol=1e-5)
    raw.close()
    ok(lib.aclmdlUnload(mid))

    mid = load(two_io_model())
    raw = Raw([24, 24, 6], [24, 6])
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.full((2, 3), -7, np.int32)
    c = np.array([0.5, 1.5, -2.25], np.float16)
    for ptr, arr in zip(raw.ptrs, (a, b, c)):
        put(ptr, arr)
    ok(lib.aclmdlExecute(mid, raw.inp, raw.out))
    assert np.array_equal(get(raw.ptrs[3], np.int32, (2, 3)), a + b)
    assert np.array_equal(get(raw.ptrs[4], np.float16, (3,)), c * np.float16(2))
    raw.close()
    ok(lib.aclmdlUnload(mid))


def test_symbolic_batch_follows_the_buffer_sizes(acl: Any) -> None:
    mid = load(scale_model())
    desc = lib.aclmdlCreateDesc()
    ok(lib.aclmdlGetDesc(desc, mid))
    dims = ffi.new("aclmdlIODims *")
    ok(lib.aclmdlGetInputDims(desc, 0, dims))
    assert list(dims.dims[0:2]) == [-1, 4]
    assert lib.aclmdlGetInputSizeByIndex(desc, 0) == 16  # one sample
    for batch in (1, 3, 8):
        raw = Raw([16 * batch], [16 * batch])
        x = np.arange(4 * batch, dtype=np.float32).reshape(batch, 4)
        put(raw.ptrs[0], x)
        ok(lib.aclmdlExecute(mid, raw.inp, raw.out))
        assert np.array_equal(get(raw.ptrs[1], np.float32, (batch, 4)), x * [1, 2, 3, 4])
        ok(lib.aclmdlGetCurOutputDims(desc, 0, dims))
        assert (dims.dimCount, dims.dims[0], dims.dims[1]) == (2, batch, 4)
        raw.close()
    raw = Raw([20], [16])
    expect_error(lib.ACL_ERROR_MODEL_INPUT_NOT_MATCH, "not a whole number of 16-byte samples", lib.aclmdlExecute, mid,
                 raw.inp, raw.out)
    raw.close()
    raw = Raw([32], [16])  # batch 2 in, room for batch 1 out
    expect_error(lib.ACL_ERROR_MODEL_OUTPUT_NOT_MATCH, "batch 2 needs 32", lib.aclmdlExecute, mid, raw.inp, raw.out)
    raw.close()
    ok(lib.aclmdlDestroyDesc(desc))
    ok(lib.aclmdlUnload(mid))


def test_execute_rejects_bad_datasets(acl: Any) -> None:
    mid = load(two_io_model())
    good = Raw([24, 24, 6], [24, 6])
    few = Raw([24, 24], [24, 6])
    expect_error(lib.ACL_ERROR_MODEL_INPUT_NOT_MATCH, "input dataset has 2 buffer(s); model %d has 3" % mid,
                 lib.aclmdlExecute, mid, few.inp, few.out)
    one = Raw([24], [])
    expect_error(lib.ACL_ERROR_MODEL_OUTPUT_NOT_MATCH, "output dataset has 1 buffer(s); model %d has 2" % mid,
                 lib.aclmdlExecute, mid, good.inp, one.inp)
    one.close()
    small = Raw([24, 20, 6], [24, 6])
    expect_error(lib.ACL_ERROR_MODEL_INPUT_NOT_MATCH, "input 1 'b' holds 20 bytes; the model needs 24",
                 lib.aclmdlExecute, mid, small.inp, small.out)
    small_out = Raw([24, 24, 6], [24, 4])
    expect_error(lib.ACL_ERROR_MODEL_OUTPUT_NOT_MATCH, "output 1 'twice' holds 4 bytes", lib.aclmdlExecute, mid,
                 small_out.inp, small_out.out)
    expect_error(lib.ACL_ERROR_INVALID_MODEL_ID, "model id 4242 is not loaded", lib.aclmdlExecute, 4242, good.inp,
                 good.out)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "not a live dataset", lib.aclmdlExecute, mid, ffi.cast("void *", 0x1234),
                 good.out)
    # Host memory where the device needs device memory (strict mode).
    host = np.zeros(24, np.uint8)
    hb = lib.aclCreateDataBuffer(ffi.from_buffer(host), 24)
    hs = lib.aclmdlCreateDataset()
    for db in (hb, good.dbs[1], good.dbs[2]):
        ok(lib.aclmdlAddDatasetBuffer(hs, db))
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, ["input 0 'a'", "must be device memory"], lib.aclmdlExecute, mid, hs,
                 good.out)
    ok(lib.aclmdlDestroyDataset(hs))
    ok(lib.aclDestroyDataBuffer(hb))
    # A freed buffer inside a dataset.
    ok(lib.aclrtFree(small.ptrs[0]))
    small.ptrs[0] = None
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "not in a live allocation", lib.aclmdlExecute, mid, small.inp,
                 small.out)
    small.ptrs.pop(0)
    for r in (good, few, small, small_out):
        r.close()
    ok(lib.aclmdlUnload(mid))
    expect_error(lib.ACL_ERROR_INVALID_MODEL_ID, "not loaded", lib.aclmdlUnload, mid)
    raw = Raw([24, 24, 6], [24, 6])
    expect_error(lib.ACL_ERROR_INVALID_MODEL_ID, "model id %d is not loaded" % mid, lib.aclmdlExecute, mid, raw.inp,
                 raw.out)
    raw.close()


def test_load_rejects_bad_models(acl: Any, tmp_path: Path) -> None:
    cell = ffi.new("uint32_t *")
    garbage = b"\x08\x07this is not a model" * 10
    expect_error(lib.ACL_ERROR_PARSE_MODEL, "not a readable ONNX model", lib.aclmdlLoadFromMem, garbage, len(garbage),
                 cell)
    good = scale_model()
    truncated = good[: len(good) // 2]
    expect_error(lib.ACL_ERROR_PARSE_MODEL, "ONNX", lib.aclmdlLoadFromMem, truncated, len(truncated), cell)
    strings = make_model([helper.make_node("Identity", ["s"], ["t"])], [vi("s", TensorProto.STRING, [2])],
                         [vi("t", TensorProto.STRING, [2])])
    expect_error(lib.ACL_ERROR_UNSUPPORTED_DATA_TYPE, "input 's': element type 8 is not supported",
                 lib.aclmdlLoadFromMem, strings, len(strings), cell)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "model is NULL", lib.aclmdlLoadFromMem, ffi.NULL, 10, cell)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "modelId is NULL", lib.aclmdlLoadFromMem, good, len(good), ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_FILE, "cannot open model file", lib.aclmdlLoadFromFile, b"/no/such.onnx", cell)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    expect_error(lib.ACL_ERROR_INVALID_FILE_SIZE, "is empty", lib.aclmdlLoadFromFile, str(empty).encode(), cell)
    dynamic = make_model([helper.make_node("Identity", ["x"], ["y"])], [vi("x", TensorProto.FLOAT, [2, "W"])],
                         [vi("y", TensorProto.FLOAT, [2, "W"])])
    expect_error(lib.ACL_ERROR_PARSE_MODEL, "dynamic dimensions other than the batch", lib.aclmdlLoadFromMem, dynamic,
                 len(dynamic), cell)


def test_om_file_runs_through_its_onnx_twin(acl: Any, tmp_path: Path, emu_log: Any) -> None:
    # Without the .om file itself (what acllite atc wrote before it wrote .om files) X.om is served by its twin
    # X.onnx alone; an .om that exists is read for its description (tests/test_om.py), so a damaged one is refused
    # even with a twin.
    om = tmp_path / "net.om"
    cell = ffi.new("uint32_t *")
    expect_error(lib.ACL_ERROR_INVALID_FILE, ["does not exist", "net.onnx"], lib.aclmdlLoadFromFile,
                 str(om).encode(), cell)
    (tmp_path / "net.onnx").write_bytes(scale_model(2))
    ok(lib.aclmdlLoadFromFile(str(om).encode(), cell))
    assert any("ONNX twin" in m for m in emu_log.messages())
    ok(lib.aclmdlUnload(cell[0]))
    om.write_bytes(b"IMOD" + bytes(252))
    expect_error(lib.ACL_ERROR_GE_PARAM_INVALID, "net.om: unknown OM header version 0x00000000",
                 lib.aclmdlLoadFromFile, str(om).encode(), cell)


def test_load_with_user_memory(acl: Any) -> None:
    data, k, m = matmul_conv_model()
    cell = ffi.new("uint32_t *")
    work = ffi.new("void **")
    weight = ffi.new("void **")
    ok(lib.aclrtMalloc(work, 148, 0))
    ok(lib.aclrtMalloc(weight, k.nbytes + m.nbytes, 0))
    ok(lib.aclmdlLoadFromMemWithMem(data, len(data), cell, work[0], 148, weight[0], k.nbytes + m.nbytes))
    ok(lib.aclmdlUnload(cell[0]))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "weightPtr holds 8 bytes; the model needs %d" % (k.nbytes + m.nbytes),
                 lib.aclmdlLoadFromMemWithMem, data, len(data), cell, work[0], 148, weight[0], 8)
    host = np.zeros(1024, np.uint8)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "must be device memory", lib.aclmdlLoadFromMemWithMem, data, len(data),
                 cell, ffi.from_buffer(host), 1024, ffi.NULL, 0)
    ok(lib.aclrtFree(work[0]))
    ok(lib.aclrtFree(weight[0]))


def test_execute_async_errors_surface_at_synchronize(acl: Any) -> None:
    from conftest import StreamHold

    mid = load(scale_model(2))
    raw = Raw([32], [32])
    stream = ffi.new("aclrtStream *")
    ok(lib.aclrtCreateStream(stream))
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    put(raw.ptrs[0], x)
    ok(lib.aclmdlExecuteAsync(mid, raw.inp, raw.out, stream[0]))
    ok(lib.aclrtSynchronizeStream(stream[0]))
    assert np.array_equal(get(raw.ptrs[1], np.float32, (2, 4)), x * [1, 2, 3, 4])
    # Queue an execution behind a held stream, free its output buffer, then let it run.
    hold = StreamHold(stream[0])
    ok(lib.aclmdlExecuteAsync(mid, raw.inp, raw.out, stream[0]))
    ok(lib.aclrtFree(raw.ptrs[1]))
    hold.release()
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "output buffer", lib.aclrtSynchronizeStream, stream[0],
                 func="aclmdlExecuteAsync")  # the message names the failed task
    hold.close()
    raw.ptrs.pop(1)
    ok(lib.aclrtDestroyStream(stream[0]))
    raw.close()
    ok(lib.aclmdlUnload(mid))


def test_unload_waits_for_queued_work(acl: Any) -> None:
    from conftest import StreamHold

    mid = load(scale_model(2))
    raw = Raw([32], [32])
    stream = ffi.new("aclrtStream *")
    ok(lib.aclrtCreateStream(stream))
    x = np.ones((2, 4), np.float32)
    put(raw.ptrs[0], x)
    hold = StreamHold(stream[0])
    ok(lib.aclmdlExecuteAsync(mid, raw.inp, raw.out, stream[0]))
    done = threading.Event()
    rc: List[int] = []

    def unload() -> None:
        rc.append(lib.aclmdlUnload(mid))
        done.set()

    t = threading.Thread(target=unload)
    t.start()
    assert not done.wait(0.3), "aclmdlUnload returned while an execution was still queued"
    hold.close()
    assert done.wait(10)
    t.join()
    assert rc == [0]
    assert np.array_equal(get(raw.ptrs[1], np.float32, (2, 4)), x * [1, 2, 3, 4])
    ok(lib.aclrtDestroyStream(stream[0]))
    raw.close()


def test_concurrent_executions_with_separate_datasets(acl: Any) -> None:
    ctx = ffi.new("aclrtContext *")
    ok(lib.aclrtGetCurrentContext(ctx))
    mid = load(scale_model())
    errors: List[str] = []

    def worker(seed: int) -> None:
        try:
            ok(lib.aclrtSetCurrentContext(ctx[0]))
            rng = np.random.default_rng(seed)
            batch = 1 + seed % 4
            raw = Raw([16 * batch], [16 * batch])
            for _ in range(50):
                x = rng.standard_normal((batch, 4)).astype(np.float32)
                put(raw.ptrs[0], x)
                ok(lib.aclmdlExecute(mid, raw.inp, raw.out))
                y = get(raw.ptrs[1], np.float32, (batch, 4))
                if not np.array_equal(y, x * np.float32([1, 2, 3, 4])):
                    errors.append("thread %d: wrong result" % seed)
                    break
            raw.close()
        except Exception as exc:  # reported below
            errors.append("thread %d: %r" % (seed, exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert errors == []
    ok(lib.aclmdlUnload(mid))


def test_datasets(acl: Any) -> None:
    ds = lib.aclmdlCreateDataset()
    assert ds != ffi.NULL
    assert lib.aclmdlGetDatasetNumBuffers(ds) == 0
    db = lib.aclCreateDataBuffer(ffi.NULL, 0)
    ok(lib.aclmdlAddDatasetBuffer(ds, db))
    assert lib.aclmdlGetDatasetNumBuffers(ds) == 1
    assert lib.aclmdlGetDatasetBuffer(ds, 0) == db
    assert lib.aclmdlGetDatasetBuffer(ds, 1) == ffi.NULL
    assert "index 1 out of range" in ffi.string(lib.aclGetRecentErrMsg()).decode()
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "not a live data buffer", lib.aclmdlAddDatasetBuffer, ds,
                 ffi.cast("aclDataBuffer *", 0x999))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "dataBuffer is NULL", lib.aclmdlAddDatasetBuffer, ds, ffi.NULL)
    ok(lib.aclmdlDestroyDataset(ds))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "not a live dataset", lib.aclmdlDestroyDataset, ds)
    assert lib.aclmdlGetDatasetNumBuffers(ds) == 0
    ok(lib.aclDestroyDataBuffer(db))


@pytest.mark.leaks_ok
def test_finalize_reports_models_left_loaded(acl: Any) -> None:
    load(scale_model())
    lib.aclmdlCreateDesc()
    lib.aclmdlCreateDataset()
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    report = acllite.emulator_leak_report()
    assert (report["models"], report["modelDescs"], report["datasets"]) == (1, 1, 1)


def test_engine_threads_setting_is_validated() -> None:
    out = run_python_ok(child("""
        import acllite
        from onnx import helper, TensorProto
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
        m = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])]))
        data = m.SerializeToString()
        ok(lib.aclInit(ffi.NULL)); ok(lib.aclrtSetDevice(0))
        cell = ffi.new("uint32_t *")
        print(expect(lib.aclmdlLoadFromMem(data, len(data), cell), 100000, "ACLLITE_EMU_ORT_THREADS"))
    """), env={"ACLLITE_EMU_ORT_THREADS": "many"})
    assert "expected a positive number" in out


# ------------------------------------------------------------------------------------- acllite.Model


def test_model_object_describes_and_executes(device: Any, tmp_path: Path) -> None:
    path = tmp_path / "two.onnx"
    path.write_bytes(two_io_model())
    with acllite.Model(path, device) as model:
        assert [(t.name, t.shape, t.dtype) for t in model.inputs] == [
            ("a", (2, 3), np.dtype(np.int32)), ("b", (2, 3), np.dtype(np.int32)), ("c", (3,), np.dtype(np.float16))]
        assert [(t.name, t.nbytes, t.format_name) for t in model.outputs] == [("sum", 24, "ND"), ("twice", 6, "ND")]
        a = np.arange(6, dtype=np.int32).reshape(2, 3)
        c = np.array([1, 2, 3], np.float16)
        s, tw = model.execute([a, a, c])
        assert np.array_equal(s, 2 * a) and np.array_equal(tw, 2 * c)
        out = [np.empty((2, 3), np.int32), np.empty(3, np.float16)]
        res = model.execute([a, -a, c], out=out)
        assert res[0] is out[0] and np.array_equal(out[0], np.zeros((2, 3), np.int32))
        with pytest.raises(TypeError, match="input 'a' is float32, the model takes int32"):
            model.execute([a.astype(np.float32), a, c])
        with pytest.raises(ValueError, match="input 'c' holds 12 bytes"):
            model.execute([a, a, np.zeros(6, np.float16)])
        with pytest.raises(ValueError, match="takes 3 input"):
            model.execute([a, a])
        with pytest.raises(ValueError, match=r"out\[1\] must be"):
            model.execute([a, a, c], out=[out[0], np.empty(2, np.float16)])
    assert model.closed
    model.close()  # idempotent


def test_model_batches_and_device_inputs(device: Any) -> None:
    with acllite.Model(scale_model(), device) as model:
        assert model.inputs[0].shape == (-1, 4) and model.inputs[0].batch_dynamic
        for batch in (1, 5, 2, 9):
            x = np.random.default_rng(batch).standard_normal((batch, 4)).astype(np.float32)
            (y,) = model.execute([x])
            assert y.shape == (batch, 4)
            assert np.array_equal(y, x * np.float32([1, 2, 3, 4]))
            assert model.current_output_dims(0) == (batch, 4)
        # A device buffer goes in without a host round trip.
        x = np.ones((3, 4), np.float32)
        buf = device.alloc(x.nbytes)
        buf.copy_from(x)
        (y,) = model.execute([buf])
        assert y.shape == (3, 4) and np.array_equal(y, x * [1, 2, 3, 4])
        with pytest.raises(TypeError, match="expected a numpy array or a device buffer"):
            model.execute([[1, 2, 3, 4]])
        buf.close()


def test_model_execute_async_and_executors(device: Any) -> None:
    with acllite.Model(scale_model(), device) as model:
        stream = device.create_stream()
        x = np.arange(8, dtype=np.float32).reshape(2, 4)
        pending = model.execute_async([x], stream)
        (y,) = pending.wait()
        assert pending.done and np.array_equal(y, x * [1, 2, 3, 4])
        results: List[bool] = []

        def run(seed: int) -> None:
            device.make_current()
            with model.executor() as ex:
                for i in range(30):
                    v = np.full((1 + (seed + i) % 3, 4), seed + i, np.float32)
                    results.append(bool(np.array_equal(ex.execute([v])[0], v * [1, 2, 3, 4])))

        threads = [threading.Thread(target=run, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(results) == 120 and all(results)
        stream.close()


def test_model_errors_are_exceptions(device: Any, tmp_path: Path) -> None:
    with pytest.raises(acllite.AclFileError) as info:
        acllite.Model(tmp_path / "missing.onnx", device)
    assert info.value.code == 100003 and info.value.function == "aclmdlLoadFromFile"
    with pytest.raises(acllite.AclModelError) as info2:
        acllite.Model(b"garbage" * 5, device)
    assert info2.value.name == "ACL_ERROR_PARSE_MODEL" and "ONNX" in (info2.value.message or "")
