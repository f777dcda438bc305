"""Offline models written by ``acllite atc`` (issue 15 section 1): ``atc`` writes NAME.om (ATC's container and
ModelDef, carrying the ONNX model), which the emulator loads from its file and from memory, describes from the
ModelDef and runs through the model it carries; ``acllite inspect`` reads it. Also the calls the Ascend samples'
AclLite library makes on such a file (its own copy of the calls, not the library)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import acllite.pyacl as acl
from acllite.formats import om
from acllite.tools import atc, inspect
from conftest import leak_report, requires_emulator

pytestmark = requires_emulator

W = (np.arange(15, dtype=np.float32).reshape(3, 5) - 7) / 10


def _classifier(path: Path, batch: Any = 1) -> Path:
    """x [N, 3, 8, 8] -> mean over H, W -> MatMul W [3, 5] -> Softmax: a tiny classifier."""
    g = helper.make_graph([helper.make_node("ReduceMean", ["x"], ["m"], axes=[2, 3], keepdims=0),
                           helper.make_node("MatMul", ["m", "w"], ["logits"]),
                           helper.make_node("Softmax", ["logits"], ["prob"], axis=1)], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 8, 8])],
                          [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [batch, 5])],
                          [numpy_helper.from_array(W, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    path.write_bytes(m.SerializeToString())
    return path


def _reference(x: np.ndarray) -> np.ndarray:
    logits = x.astype(np.float64).mean(axis=(2, 3)) @ W.astype(np.float64)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _build(tmp_path: Path, name: str = "cls", **options: str) -> Path:
    src = _classifier(tmp_path / "src.onnx", "N" if "dynamic_batch_size" in options else 1)
    return atc.convert(str(src), str(tmp_path / name), **options)


def test_atc_writes_an_om_that_carries_the_onnx_model(tmp_path: Path) -> None:
    out = _build(tmp_path, soc_version="Ascend310")
    assert out == tmp_path / "cls.om" and out.read_bytes()[:4] == b"IMOD"
    assert not (tmp_path / "cls.onnx").exists()
    m = om.read(out)
    assert ([(t.name, t.dtype_name, t.dims) for t in m.inputs], [(t.name, t.dims) for t in m.outputs]) == (
        [("x", "FLOAT", (1, 3, 8, 8))], [("prob:0", (1, 5))])
    assert m.soc_version == "Ascend310" and m.atc_version.startswith("acllite ")
    assert m.weight_bytes == W.nbytes
    assert om.embedded_onnx(out.read_bytes()) is not None
    text = inspect.format_text(inspect.describe(out))
    assert "built by:     built by acllite atc: runs on the emulator only" in text


def test_atc_records_gears_and_aipp_in_the_modeldef(tmp_path: Path) -> None:
    out = _build(tmp_path, input_shape="x:-1,3,8,8", dynamic_batch_size="4,1,2")
    m = om.read(out)
    assert m.dynamic_batch == (4, 1, 2)
    assert [(t.name, t.dims) for t in m.inputs] == [("x", (-1, 3, 8, 8)), ("ascend_mbatch_shape_data", (1,))]
    cfg = tmp_path / "aipp.cfg"
    cfg.write_text("aipp_op { aipp_mode: static input_format: YUV420SP_U8 csc_switch: true }\n")
    out = _build(tmp_path, "aipp", insert_op_conf=str(cfg))
    (x,) = om.read(out).inputs
    assert (x.dtype_name, x.format_name, x.dims, x.dims_v2, x.size) == ("UINT8", "NHWC", (1, 8, 8, 3),
                                                                       (1, 3, 8, 8), 96)
    assert x.aipp is not None and x.aipp["input_format"] == "YUV420SP_U8" and x.aipp["csc_switch"] is True


def _dataset(buffers: List[Tuple[int, int]]) -> Any:
    ds = acl.mdl.create_dataset()
    for ptr, size in buffers:
        _, ret = acl.mdl.add_dataset_buffer(ds, acl.create_data_buffer(ptr, size))
        assert ret == 0
    return ds


def _free_dataset(ds: Any) -> None:
    for i in range(acl.mdl.get_dataset_num_buffers(ds)):
        buf = acl.mdl.get_dataset_buffer(ds, i)
        assert acl.rt.free(acl.get_data_buffer_addr(buf)) == 0
        assert acl.destroy_data_buffer(buf) == 0
    assert acl.mdl.destroy_dataset(ds) == 0


def _run(model_id: int, desc: Any, x: np.ndarray) -> np.ndarray:
    """The samples' execute: device buffers of the described sizes, host copies in and out."""
    ins, outs = [], []
    for i in range(acl.mdl.get_num_inputs(desc)):
        size = acl.mdl.get_input_size_by_index(desc, i)
        ptr, ret = acl.rt.malloc(size, 0)
        assert ret == 0
        data = np.ascontiguousarray(x) if i == 0 else np.zeros(size, np.uint8)
        assert acl.rt.memcpy(ptr, size, acl.util.numpy_to_ptr(data), data.nbytes, 1) == 0
        ins.append((ptr, size))
    for i in range(acl.mdl.get_num_outputs(desc)):
        size = acl.mdl.get_output_size_by_index(desc, i)
        ptr, ret = acl.rt.malloc(size, 0)
        assert ret == 0
        outs.append((ptr, size))
    inp, out = _dataset(ins), _dataset(outs)
    try:
        assert acl.mdl.execute(model_id, inp, out) == 0, acl.get_recent_err_msg()
        host = np.zeros(outs[0][1] // 4, np.float32)
        assert acl.rt.memcpy(acl.util.numpy_to_ptr(host), host.nbytes, outs[0][0], outs[0][1], 2) == 0
        return host.reshape(-1, 5)
    finally:
        _free_dataset(inp)
        _free_dataset(out)


@pytest.fixture
def device() -> Any:
    assert acl.init() == 0
    assert acl.rt.set_device(0) == 0
    yield 0
    assert acl.rt.reset_device(0) == 0
    assert acl.finalize() == 0
    assert not any(leak_report().values()), leak_report()


def test_samples_acllite_calls_load_and_run_an_atc_classifier(device: int, tmp_path: Path) -> None:
    """What the samples' AclLiteModel does: os.path.isfile, acl.mdl.load_from_file (load_type 0) or
    load_from_mem of the file's bytes (load_type 1), create_desc/get_desc, execute; nothing beside the .om."""
    path = str(_build(tmp_path))
    os.remove(tmp_path / "src.onnx")
    assert sorted(os.listdir(tmp_path)) == ["cls.om"]
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    for load_type in (0, 1):
        assert os.path.isfile(path)
        if load_type == 0:
            model_id, ret = acl.mdl.load_from_file(path)
        else:
            with open(path, "rb") as f:
                data = f.read()
            model_id, ret = acl.mdl.load_from_mem(acl.util.bytes_to_ptr(data), len(data))
        assert ret == 0, acl.get_recent_err_msg()
        desc = acl.mdl.create_desc()
        assert acl.mdl.get_desc(desc, model_id) == 0
        assert (acl.mdl.get_num_inputs(desc), acl.mdl.get_num_outputs(desc)) == (1, 1)
        assert acl.mdl.get_input_size_by_index(desc, 0) == x.nbytes
        assert acl.mdl.get_output_size_by_index(desc, 0) == 5 * 4
        dims, ret = acl.mdl.get_output_dims(desc, 0)
        assert ret == 0 and dims["dims"] == [1, 5]
        np.testing.assert_allclose(_run(model_id, desc, x), _reference(x), rtol=1e-5, atol=1e-6)
        assert acl.mdl.destroy_desc(desc) == 0
        assert acl.mdl.unload(model_id) == 0


def test_dynamic_batch_om_from_file_and_memory(device: int, tmp_path: Path) -> None:
    path = str(_build(tmp_path, input_shape="x:-1,3,8,8", dynamic_batch_size="1,2,4"))
    with open(path, "rb") as f:
        data = f.read()
    sizes = acl.mdl.query_size(path)
    assert sizes == acl.mdl.query_size_from_mem(acl.util.bytes_to_ptr(data), len(data))
    assert sizes[2] == 0 and sizes[1] == W.nbytes
    ids = [acl.mdl.load_from_file(path), acl.mdl.load_from_mem(acl.util.bytes_to_ptr(data), len(data))]
    for model_id, ret in ids:
        assert ret == 0
        desc = acl.mdl.create_desc()
        assert acl.mdl.get_desc(desc, model_id) == 0
        batch, ret = acl.mdl.get_dynamic_batch(desc)
        assert ret == 0 and batch["batch"] == [1, 2, 4]
        for n in (2, 4, 1):
            x = np.random.default_rng(n).standard_normal((4, 3, 8, 8)).astype(np.float32)
            x[n:] = 0
            ins, outs = [], []
            for i in range(2):
                size = acl.mdl.get_input_size_by_index(desc, i)
                ptr, _ = acl.rt.malloc(size, 0)
                ins.append((ptr, size))
            assert acl.rt.memcpy(ins[0][0], ins[0][1], acl.util.numpy_to_ptr(x), x.nbytes, 1) == 0
            size = acl.mdl.get_output_size_by_index(desc, 0)
            ptr, _ = acl.rt.malloc(size, 0)
            inp, out = _dataset(ins), _dataset([(ptr, size)])
            assert acl.mdl.set_dynamic_batch_size(model_id, inp, 1, n) == 0
            assert acl.mdl.execute(model_id, inp, out) == 0, acl.get_recent_err_msg()
            host = np.zeros(size // 4, np.float32)
            assert acl.rt.memcpy(acl.util.numpy_to_ptr(host), host.nbytes, ptr, size, 2) == 0
            np.testing.assert_allclose(host.reshape(4, 5)[:n], _reference(x[:n]), rtol=1e-5, atol=1e-6)
            _free_dataset(inp)
            _free_dataset(out)
        assert acl.mdl.destroy_desc(desc) == 0
        assert acl.mdl.unload(model_id) == 0


def test_an_om_that_exists_wins_over_an_old_onnx_beside_it(device: int, tmp_path: Path) -> None:
    """X.om written by acllite atc runs what it carries even when an X.onnx (an old atc's output) is beside it;
    a missing X.om is still served by X.onnx."""
    path = _build(tmp_path)
    other = _classifier(tmp_path / "other.onnx")
    (tmp_path / "cls.onnx").write_bytes(b"not a model")  # would fail if it were read
    model_id, ret = acl.mdl.load_from_file(str(path))
    assert ret == 0, acl.get_recent_err_msg()
    assert acl.mdl.unload(model_id) == 0
    model_id, ret = acl.mdl.load_from_file(str(tmp_path / "other.om"))
    assert ret == 0 and other.exists()
    assert acl.mdl.unload(model_id) == 0


def test_load_from_file_with_mem_enforces_the_queried_sizes(device: int, tmp_path: Path) -> None:
    path = str(_build(tmp_path))
    work, weight, ret = acl.mdl.query_size(path)
    assert ret == 0 and work > 0 and weight == W.nbytes
    wptr, _ = acl.rt.malloc(work, 0)
    gptr, _ = acl.rt.malloc(weight, 0)
    model_id, ret = acl.mdl.load_from_file_with_mem(path, wptr, work - 1, gptr, weight)
    assert ret == 100000 and "workPtr holds %d bytes; the model needs %d" % (work - 1, work) in \
        acl.get_recent_err_msg()
    model_id, ret = acl.mdl.load_from_file_with_mem(path, wptr, work, gptr, weight)
    assert ret == 0, acl.get_recent_err_msg()
    desc = acl.mdl.create_desc()
    assert acl.mdl.get_desc(desc, model_id) == 0
    x = np.full((1, 3, 8, 8), 0.5, np.float32)
    np.testing.assert_allclose(_run(model_id, desc, x), _reference(x), rtol=1e-5, atol=1e-6)
    assert acl.mdl.destroy_desc(desc) == 0
    assert acl.mdl.unload(model_id) == 0
    assert acl.rt.free(wptr) == 0 and acl.rt.free(gptr) == 0


def test_a_damaged_om_from_memory_is_refused(device: int, tmp_path: Path) -> None:
    damaged = bytearray(_build(tmp_path).read_bytes())
    damaged[-40:] = bytes(40)  # the end of the carried ONNX model
    data = bytes(damaged)  # kept alive: bytes_to_ptr borrows its buffer
    model_id, ret = acl.mdl.load_from_mem(acl.util.bytes_to_ptr(data), len(data))
    assert ret == 100013 and "it carries" in acl.get_recent_err_msg()
    short = bytes(data[:300])
    model_id, ret = acl.mdl.load_from_mem(acl.util.bytes_to_ptr(short), len(short))
    assert ret != 0 and "OM model in memory" in acl.get_recent_err_msg()


def test_a_real_atc_om_from_memory_says_what_to_provide(device: int) -> None:
    """ATC's own file (../shared/data/om): from memory it has no twin, so the load says what to provide; its sizes
    are answered from the description."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "om" / "a3c_pong_model.om"
    if not shared.is_file():
        pytest.skip("../shared/data/om is not beside the checkout")
    data = shared.read_bytes()
    model_id, ret = acl.mdl.load_from_mem(acl.util.bytes_to_ptr(data), len(data))
    message = acl.get_recent_err_msg()
    assert ret == 200001 and "made by ATC" in message and "the .om that acllite atc builds" in message
    work, weight, ret = acl.mdl.query_size_from_mem(acl.util.bytes_to_ptr(data), len(data))
    assert ret == 0 and weight > 0
