"""``acllite bench execute``: model execution latency through acllite, the raw binding and onnxruntime itself.

For each model and batch size, one call is timed four ways, in alternating blocks of calls in one run:

* ``onnxruntime session.run``: the baseline, a session with the emulator engine's own options, numpy in and out;
* ``Model.execute``: acllite's hot path (host input copied to the device, execute, output copied back into a
  caller array: ``out=``);
* ``binding (pyACL-style)``: what a pyACL program does, through the raw binding: aclrtMemcpy H2D, aclmdlExecute
  on prepared datasets, aclrtMemcpy D2H;
* ``aclmdlExecute only``: the execute call alone on prepared device buffers.

Both onnxruntime sessions (the baseline's and the emulator's) are made with the same options, with idle-thread
spinning off so that neither slows the other down on a small machine.

Models: a small one built here (MatMul 256x256 + ReLU: the per-call overhead dominates) and, when its weights
package is installed, EfficientNet-Lite0 (compute dominates), or the ``--model`` given.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

from . import _timing as T

H2D, D2H = 1, 2


def _small_model() -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32) / 16, "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 256])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 256])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Relu", ["m"], ["y"])]
    m = helper.make_model(helper.make_graph(nodes, "small", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def _efficientnet() -> Any:
    try:
        from ..demo import efficientnet

        return efficientnet.build_onnx(efficientnet.load_checkpoint(efficientnet.weights_path()), batch="N")
    except Exception as exc:  # the weights package is optional
        sys.stderr.write("EfficientNet-Lite0 skipped: %s\n" % str(exc).splitlines()[0])
        return None


def _models(args: argparse.Namespace) -> List[Tuple[str, bytes]]:
    if getattr(args, "model", None):
        with open(args.model, "rb") as f:
            return [(args.model, f.read())]
    out = [("small (MatMul 256x256 + ReLU)", _small_model())]
    if not getattr(args, "quick", False):
        eff = _efficientnet()
        if eff is not None:
            out.append(("EfficientNet-Lite0", eff.SerializeToString()))
    return out


def _cases(data: bytes, batch: int, model: Any) -> Tuple[Dict[str, Callable[[], None]], Callable[[], None]]:
    """The four ways of running one batch, each a zero-argument call; and a cleanup."""
    from .. import _emu_engine
    from .._native import ffi, lib

    session = _emu_engine._session(data)  # the engine's own session options
    rng = np.random.default_rng(1)
    ins = [rng.standard_normal(tuple(batch if d < 0 else d for d in t.shape)).astype(t.dtype)
           for t in model.data_inputs]
    names = [t.name for t in model.data_inputs]
    feeds = dict(zip(names, ins))
    outs = [np.empty(tuple(batch if d < 0 else d for d in t.shape), t.dtype) for t in model.outputs]
    executor = model.executor()
    executor.execute(ins, out=outs)  # sizes the executor's buffers for this batch
    in_ptrs = [s.ptr for s in executor._data_slots]
    out_ptrs = [s.ptr for s in executor._slots_out]
    in_host = [ffi.from_buffer(x) for x in ins]
    out_host = [ffi.from_buffer(o, require_writable=True) for o in outs]
    sizes_in = [x.nbytes for x in ins]
    sizes_out = [o.nbytes for o in outs]
    memcpy, execute = lib.aclrtMemcpy, lib.aclmdlExecute
    mid, ids, ods = model.id, executor._in_ds, executor._out_ds
    reference = session.run(None, feeds)
    for got, want in zip(executor.execute(ins, out=outs), reference):
        if not np.allclose(got, want, rtol=1e-4, atol=1e-4):
            raise AssertionError("acllite and onnxruntime disagree on the benchmark model")

    def pyacl_style() -> None:
        for p, h, n in zip(in_ptrs, in_host, sizes_in):
            memcpy(p, n, h, n, H2D)
        execute(mid, ids, ods)
        for p, h, n in zip(out_ptrs, out_host, sizes_out):
            memcpy(h, n, p, n, D2H)

    run = session.run
    cases = {
        "onnxruntime session.run": lambda: run(None, feeds),
        "Model.execute": lambda: executor.execute(ins, out=outs),
        "binding (pyACL-style)": pyacl_style,
        "aclmdlExecute only": lambda: execute(mid, ids, ods),
    }
    return cases, executor.close


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    import os

    import acllite

    # Two live onnxruntime sessions (the baseline's and the emulator's) on few cores: idle spinning threads of
    # one would slow the other down. Both sessions get the same options, spinning off.
    os.environ["ACLLITE_EMU_ORT_SPINNING"] = "0"

    batches = [int(b) for b in str(getattr(args, "batch", None) or "1,8").split(",")]
    repeat = args.repeat or 9
    records: List[Dict[str, Any]] = []
    rows: List[List[str]] = []
    print(T.banner())
    with acllite.init(), acllite.Device(0) as device:
        for label, data in _models(args):
            with acllite.Model(data, device) as model:
                dynamic = any(t.batch_dynamic for t in model.data_inputs)
                for batch in batches:
                    if batch != 1 and not dynamic:
                        continue
                    cases, cleanup = _cases(data, batch, model)
                    one = _time_once(cases["onnxruntime session.run"])
                    n = max(1, min(2000, int(0.05e9 / max(one, 1.0))))  # ~50 ms per block
                    loops = {name: n for name in cases}
                    timed = T.interleave({k: T.loop0(f, n) for k, f in cases.items()}, loops, repeat, warmup=1,
                                         subtract_loop=False)
                    cleanup()
                    base = T.stats(timed["onnxruntime session.run"])
                    for name, samples in timed.items():
                        st = T.stats(samples)
                        extra = {"model": label, "batch": batch, "p10": st.p10 / 1e3, "p90": st.p90 / 1e3,
                                 "repeat": repeat, "calls_per_repeat": n,
                                 "overhead_us": (st.median - base.median) / 1e3}
                        records.append(T.record("execute", "%s batch %d: %s" % (label, batch, name), "median",
                                                st.median / 1e3, "us", "onnxruntime session.run", base.median / 1e3,
                                                **extra))
                        rows.append([label, str(batch), name, T.fmt(st.median / 1e3), "%s-%s" % (
                            T.fmt(st.p10 / 1e3), T.fmt(st.p90 / 1e3)), "%+.1f" % ((st.median - base.median) / 1e3),
                            "%.3f" % (st.median / base.median)])
    print(T.format_table(["model", "batch", "path", "us/call", "p10-p90", "us vs ort", "x ort"], rows,
                         "lrlrrrr"))
    print("median of %d blocks per path, blocks of the paths alternating; outputs checked against onnxruntime." %
          repeat)
    return records


def _time_once(f: Callable[[], None]) -> float:
    import time

    f()
    t0 = time.perf_counter_ns()
    for _ in range(3):
        f()
    return (time.perf_counter_ns() - t0) / 3
