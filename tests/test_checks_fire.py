"""Every correctness check of the benchmarks and tools, made to fire (issue 18, survivor 6: removing the reset
before the execute bench's pyACL check, so that it compared the previous run's output, went unnoticed: no test
ever fed a bench a broken path).

Each test breaks one path (a wrong result, a stale output, a failing call, a broken model, a leak) and requires
the check to say so. The checks:

| where | check | broken here by |
|---|---|---|
| bench calls | each path's result checked once before timing (`_expect`) | a wrong input count; a pyACL run mode |
| bench memcpy | raw calls' status | aclrtMemcpy failing |
| bench memcpy | H2D -> D2D -> D2H returns the bytes | a D2H copy that copies nothing |
| bench memcpy | async D2D -> D2H returns the bytes (hp2 reset first) | async copies that copy nothing |
| bench execute | acllite == onnxruntime | a session of another model (wrong result) |
| bench execute | pyACL path == onnxruntime (host and device outputs reset first) | execute or D2H that do nothing |
| bench dvpp | decoded size | another JPEG |
| bench pipeline | a worker's failure is raised | an image that is not a JPEG |
| bench soak | live counts flat, leak report empty | a classify that leaks device memory |
| bench main | records follow the schema before anything is written; `report` checks its input | a bad record |
| classify | nothing left at the end (exit 3); one input; an image's failure (exit 1) | a leak; two inputs |
| atc | the converted model passes onnx.checker | graph surgery that leaves an input dangling |
| inspect | a metadata value that is not JSON stays a string; an unreadable OM is an error (exit 1) | both |
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import types
from pathlib import Path
from typing import Any, Callable, List

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import acllite
import om_builder as ob
from acllite.binding import ffi, lib
from acllite.tools import atc, inspect
from conftest import requires_emulator, run_python

pytestmark = requires_emulator


def _message(fn: Callable[[], Any], kind: type = AssertionError) -> str:
    """The message of the exception fn raises; the traceback is dropped and the collector run, so that what the
    failed bench set up is released before the acl fixture counts what is left."""
    try:
        fn()
    except kind as exc:
        text = str(exc)
    else:
        raise AssertionError("the check did not fire")
    gc.collect()
    return text


# ----------------------------------------------------------------------------------------------- models


def _matmul_model(seed: int) -> bytes:
    """The shape of the execute bench's small model (x [N, 256] -> relu(x w)), with weights of another seed."""
    w = numpy_helper.from_array(np.random.default_rng(seed).standard_normal((256, 256)).astype(np.float32) / 16, "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 256])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 256])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Relu", ["m"], ["y"])]
    m = helper.make_model(helper.make_graph(nodes, "small", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def _aipp_model(tmp_path: Path, inputs: int = 1) -> Path:
    """A classifier-shaped model behind a YUV420SP AIPP: [1, 3, 16, 16] -> mean per channel [1, 3] (3 'logits')."""
    vis = [helper.make_tensor_value_info("in%d" % i, TensorProto.FLOAT, [1, 3, 16, 16]) for i in range(inputs)]
    nodes = [helper.make_node("ReduceMean", ["in0"], ["mean"], axes=[2, 3], keepdims=0)]
    outs = [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [1, 3])]
    for i in range(1, inputs):
        nodes.append(helper.make_node("Identity", ["in%d" % i], ["copy%d" % i]))
        outs.append(helper.make_tensor_value_info("copy%d" % i, TensorProto.FLOAT, [1, 3, 16, 16]))
    model = helper.make_model(helper.make_graph(nodes, "g", vis, outs), opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    src = tmp_path / "plain.onnx"
    src.write_bytes(model.SerializeToString())
    cfg = tmp_path / "aipp.cfg"
    cfg.write_text("aipp_op {\n aipp_mode: static\n input_format: YUV420SP_U8\n csc_switch: true\n}\n")
    out = atc.convert(str(src), str(tmp_path / "aipp_model"), insert_op_conf=str(cfg))
    return out


def _jpegs(directory: Path, n: int = 3) -> List[Path]:
    from PIL import Image as PILImage

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        y, x = np.mgrid[0:48, 0:64]
        rgb = np.stack([(x * 4 + 40 * k) % 256, (y * 5) % 256, ((x + y) * 2) % 256], axis=-1).astype(np.uint8)
        p = directory / ("img%d.jpg" % k)
        PILImage.fromarray(rgb).save(p, "JPEG", quality=90)
        paths.append(p)
    return paths


# ----------------------------------------------------------------------------------------------- bench calls


def test_calls_bench_checks_each_path(acl: Any) -> None:
    from acllite import capi
    from acllite.pyacl import _common  # noqa: F401 - the pyACL module must import for the pyACL case
    from acllite.tools.bench import calls
    import acllite.pyacl as real_acl

    with acllite.Device(0) as dev, acllite.Model(calls._small_model(), dev) as model:
        mem = dev.alloc(calls.BUFFER_BYTES)
        live = capi.aclCreateDataBuffer(mem.ptr, calls.BUFFER_BYTES)
        try:
            live_addr = int(ffi.cast("uintptr_t", live))
            desc_addr = int(ffi.cast("uintptr_t", model._desc))
            n = len(model.inputs)
            assert calls._cases(mem.ptr, live_addr, desc_addr, n, None, real_acl, 1)  # the right answers pass
            text = _message(lambda: calls._cases(mem.ptr, live_addr, desc_addr, n + 1, None, None, 1))
            assert text == "binding.aclmdlGetNumInputs returned %d, expected %d" % (n, n + 1)
            broken = types.SimpleNamespace(rt=types.SimpleNamespace(get_run_mode=lambda: (0, 0)), mdl=real_acl.mdl)
            text = _message(lambda: calls._cases(mem.ptr, live_addr, desc_addr, n, None, broken, 1))
            assert text == "acl.rt.get_run_mode returned (0, 0), expected (1, 0)"
        finally:
            capi.aclDestroyDataBuffer(live)
            mem.close()


# ----------------------------------------------------------------------------------------------- bench memcpy


def _measure(dev: Any, stream: Any) -> Any:
    from acllite.tools.bench import memcpy

    return memcpy._measure_size(dev, stream, 8192, 1, None, None)


def test_memcpy_bench_checks_the_bytes(acl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from acllite import binding

    real = binding.aclrtMemcpy
    with acllite.Device(0) as dev, dev.create_stream() as stream:
        samples, _aligned = _measure(dev, stream)  # the right bytes pass
        assert samples

        def no_d2h(dst: Any, dmax: int, src: Any, n: int, kind: int) -> int:
            return 0 if kind == lib.ACL_MEMCPY_DEVICE_TO_HOST else real(dst, dmax, src, n, kind)

        monkeypatch.setattr(binding, "aclrtMemcpy", no_d2h)
        assert _message(lambda: _measure(dev, stream)) == "aclrtMemcpy H2D -> D2D -> D2H did not return the bytes sent"

        def failing(dst: Any, dmax: int, src: Any, n: int, kind: int) -> int:
            return lib.ACL_ERROR_RT_PARAM_INVALID

        monkeypatch.setattr(binding, "aclrtMemcpy", failing)
        text = _message(lambda: _measure(dev, stream), acllite.AclError)
        assert text.startswith("aclrtMemcpy failed: ACL_ERROR_RT_PARAM_INVALID (107000)")
        monkeypatch.setattr(binding, "aclrtMemcpy", real)

        # async copies that copy nothing: hp2 still holds the synchronous H2H copy's bytes unless it is reset
        copy_to, copy_from = acllite.memory.Buffer.copy_to, acllite.memory.Buffer.copy_from

        def sync_only_to(self: Any, dst: Any, stream: Any = None) -> None:
            if stream is None:
                copy_to(self, dst)

        def sync_only_from(self: Any, src: Any, stream: Any = None, offset: int = 0) -> None:
            if stream is None:
                copy_from(self, src, None, offset)

        monkeypatch.setattr(acllite.memory.Buffer, "copy_to", sync_only_to)
        assert _message(lambda: _measure(dev, stream)) == "aclrtMemcpyAsync D2D -> D2H did not return the bytes sent"
        monkeypatch.setattr(acllite.memory.Buffer, "copy_to", copy_to)
        monkeypatch.setattr(acllite.memory.Buffer, "copy_from", sync_only_from)
        assert _message(lambda: _measure(dev, stream)) == "aclrtMemcpyAsync D2D -> D2H did not return the bytes sent"


# ---------------------------------------------------------------------------------------------- bench execute


def test_execute_bench_checks_acllite_against_onnxruntime(acl: Any) -> None:
    from acllite.tools.bench import execute

    with acllite.Device(0) as dev, acllite.Model(execute.small_model(), dev) as model:
        cases, cleanup = execute._cases(execute.small_model(), 2, model, None)  # the right model passes
        cleanup()
        text = _message(lambda: execute._cases(_matmul_model(seed=5), 2, model, None))
        assert text == "acllite and onnxruntime disagree on the benchmark model"


def test_execute_bench_checks_the_pyacl_path_afresh(acl: Any) -> None:
    """The pyACL path's check must not see the previous execution's output, on the host or on the device."""
    import acllite.pyacl as real_acl
    from acllite.tools.bench import execute

    def pyacl(memcpy: Any = None, mdl_execute: Any = None) -> Any:
        return types.SimpleNamespace(rt=types.SimpleNamespace(memcpy=memcpy or real_acl.rt.memcpy),
                                     mdl=types.SimpleNamespace(execute=mdl_execute or real_acl.mdl.execute))

    def memcpy_no_d2h(dst: int, dmax: int, src: int, n: int, kind: int) -> int:
        return 0 if kind == lib.ACL_MEMCPY_DEVICE_TO_HOST else real_acl.rt.memcpy(dst, dmax, src, n, kind)

    data = execute.small_model()
    with acllite.Device(0) as dev, acllite.Model(data, dev) as model:
        cases, cleanup = execute._cases(data, 2, model, pyacl())  # the real module passes
        assert "pyacl" in cases
        cleanup()
        for broken in (pyacl(mdl_execute=lambda *a: 0), pyacl(memcpy=memcpy_no_d2h)):
            text = _message(lambda b=broken: execute._cases(data, 2, model, b))
            assert text == "the pyACL-compatible path disagrees with onnxruntime"


# ------------------------------------------------------------------------------------------------ bench dvpp


def test_dvpp_bench_checks_the_decoded_size(acl: Any) -> None:
    from PIL import Image as PILImage

    from acllite.tools.bench import dvpp

    out = io.BytesIO()
    PILImage.fromarray(np.zeros((48, 64, 3), np.uint8)).save(out, "JPEG")
    with acllite.Device(0) as dev:
        text = _message(lambda: dvpp._cases(dev, out.getvalue()))
        assert text == "decoded 64x48, expected %dx%d" % (dvpp.SIZE[0] & ~1, dvpp.SIZE[1] & ~1)


# -------------------------------------------------------------------------------------------- bench pipeline


def test_pipeline_bench_raises_a_workers_failure(uninitialized: Any, tmp_path: Path) -> None:
    from acllite.tools.bench import pipeline

    model = _aipp_model(tmp_path)
    good = [p.read_bytes() for p in _jpegs(tmp_path / "images", 2)]
    assert pipeline._acllite(model, good, 4, 2) > 0
    with pytest.raises(ValueError, match="neither a JPEG nor a PNG"):
        pipeline._acllite(model, good + [b"not a JPEG at all"], 6, 2)
    gc.collect()


# ------------------------------------------------------------------------------------------------ bench soak


def _soak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, leak: bool) -> Any:
    from acllite.tools import classify
    from acllite.tools.bench import soak

    model = _aipp_model(tmp_path)
    images = tmp_path / "images"
    _jpegs(images, 2)
    monkeypatch.setattr(classify, "prepare_demo_model", lambda *a, **k: model)
    kept: List[Any] = []
    if leak:
        real = classify.Classifier.classify

        def leaky(self: Any, path: Any, top: int = 5) -> Any:
            kept.append(self.device.alloc(4096))
            return real(self, path, top)

        monkeypatch.setattr(classify.Classifier, "classify", leaky)
    records = soak.run(argparse.Namespace(iterations=60, image_dir=str(images)))
    return records, capsys.readouterr().out


def test_soak_reports_a_leak(uninitialized: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture) -> None:
    records, out = _soak(tmp_path, monkeypatch, capsys, leak=False)
    last = [r for r in records if "live_flat" in r][0]
    assert last["live_flat"] is True and not any(last["leak_report"].values())
    assert "identical at every checkpoint after warm-up; leak report after close: empty" in out
    records, out = _soak(tmp_path, monkeypatch, capsys, leak=True)
    last = [r for r in records if "live_flat" in r][0]
    assert last["live_flat"] is False
    assert last["leak_report"]["deviceAllocations"] == 60
    assert "CHANGED between checkpoints" in out and "leak report after close: {" in out


# ------------------------------------------------------------------------------------------------ bench main


def _bench_args(tmp_path: Path, **kw: Any) -> argparse.Namespace:
    base = dict(what="calls", progress=False, json=str(tmp_path / "out.json"), markdown=None, plot=None, input=None,
                quick=True, repeat=1)
    base.update(kw)
    return argparse.Namespace(**base)


def test_bench_main_checks_records_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from acllite.tools import bench

    with pytest.raises(ValueError, match="bench results do not follow"):
        bench.main(_bench_args(tmp_path), {"calls": lambda args: [{"bench": "calls", "case": "x"}]})
    assert not (tmp_path / "out.json").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "acllite-bench/1", "records": [{"bench": 1}]}))
    assert bench.main(_bench_args(tmp_path, what="report", input=str(bad), json=None), {}) == 1
    assert "does not follow" in capsys.readouterr().err


# -------------------------------------------------------------------------------------------------- classify

_CLASSIFY = """
import sys
from acllite.tools import classify
real = classify.Classifier.classify
kept = []
def leaky(self, path, top=5):
    kept.append(self.device.alloc(4096))
    return real(self, path, top)
if %(leak)r:
    classify.Classifier.classify = leaky
sys.exit(classify.main(%(argv)r))
"""


def test_classify_checks_the_leak_report(tmp_path: Path) -> None:
    model = _aipp_model(tmp_path)
    images = [str(p) for p in _jpegs(tmp_path / "images", 2)]
    ok_run = run_python(_CLASSIFY % {"leak": False, "argv": ["--model", str(model), "--top", "1"] + images})
    assert ok_run.returncode == 0, ok_run.stderr
    assert "leak report: empty" in ok_run.stderr
    leaky = run_python(_CLASSIFY % {"leak": True, "argv": ["--model", str(model), "--top", "1"] + images})
    assert leaky.returncode == 3, leaky.stderr
    assert "leak report: {" in leaky.stderr and "'deviceAllocations': 2" in leaky.stderr


def test_classify_checks_the_model_inputs(tmp_path: Path) -> None:
    model = _aipp_model(tmp_path, inputs=2)
    images = [str(p) for p in _jpegs(tmp_path / "images", 1)]
    proc = run_python(_CLASSIFY % {"leak": False, "argv": ["--model", str(model)] + images})
    assert proc.returncode == 2, proc.stderr
    assert "the model takes 2 inputs; classify needs a single image input" in proc.stderr


# ------------------------------------------------------------------------------------------------------- atc


def test_atc_checks_the_converted_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _aipp_model(tmp_path)  # converts
    monkeypatch.setattr(atc, "_rename", lambda node, old, new: node)  # the AIPP output never reaches the graph
    with pytest.raises(atc.AtcError, match="the converted model does not check"):
        _aipp_model(tmp_path)


# --------------------------------------------------------------------------------------------------- inspect


def test_inspect_keeps_a_metadata_value_that_is_not_json(tmp_path: Path) -> None:
    vi = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    vo = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [vi], [vo]),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"acllite.aipp.z": "{not json", "acllite.dynamic_batch": "2,1"})
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    report = inspect.describe(path)
    assert report["metadata"]["acllite.aipp.z"] == "{not json"


def test_inspect_refuses_an_unreadable_om(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "bad.om"
    path.write_bytes(ob.om_file(ob.V1, [[(0, b"\x0a\xff\xff")]]))  # a MODEL_DEF cut inside its first field
    assert inspect.main(argparse.Namespace(model=str(path), json=False)) == 1
    assert capsys.readouterr().err.startswith("acllite inspect: ")
