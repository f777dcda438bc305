"""``acllite bench execute``: model execution latency and throughput by batch, acllite against onnxruntime.

For each model and batch size, one synchronous inference (host input in, host output out) is timed these ways,
in alternating blocks of calls (about 10 ms each, at least one call; 25 blocks per path by default) in one run:

* ``onnxruntime``: ``session.run`` on a session with the emulator engine's own options, numpy in and out: the
  baseline;
* ``model_execute``: acllite's hot path, ``Executor.execute(inputs, out=outputs)`` (host input copied to the
  device, aclmdlExecute, output copied back into the caller's array);
* ``binding``: what a pyACL program does, written on the raw binding: aclrtMemcpy H2D, aclmdlExecute on
  prepared datasets, aclrtMemcpy D2H;
* ``pyacl``: the same through the pyACL-compatible module (``acl.rt.memcpy`` and ``acl.mdl.execute`` with int
  pointers and handles), when :mod:`acllite.pyacl` is importable;
* ``execute_only``: aclmdlExecute alone on buffers already on the device.

``overhead_us`` is a path's median minus onnxruntime's; ``ratio`` its median over onnxruntime's;
``images_per_s`` is batch / median latency. On the emulator, aclmdlExecute runs the model with onnxruntime:
the overhead is everything acllite adds around it (copies in and out, the binding, the emulator's dispatch).

Both onnxruntime sessions (the baseline's and the emulator's) are made with the same options, with idle-thread
spinning off so that neither slows the other down on a small machine.

Models: a small one built here (MatMul 256x256 + ReLU: the per-call overhead dominates) and, when its weights
package is installed, EfficientNet-Lite0 (compute dominates); or the ``--model`` given. Batches: ``--batch``
(default 1,8) on models with a dynamic batch dimension, 1 otherwise.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from . import _timing as T

BENCH = "execute"
H2D, D2H = 1, 2
DEFAULT_REPEAT = 25
#: Target length of one timed block of calls: short blocks, many of them, so that the median of the blocks
#: shrugs off the ones another process interrupted on a busy machine.
BLOCK_NS = 10e6
SMALL = "small (MatMul 256x256 + ReLU)"
EFFICIENTNET = "EfficientNet-Lite0"
BASELINE = "onnxruntime"
PATHS = {
    "onnxruntime": "onnxruntime session.run (baseline)",
    "model_execute": "acllite Executor.execute(out=)",
    "binding": "raw binding: memcpy, aclmdlExecute, memcpy",
    "pyacl": "acllite.pyacl: acl.rt.memcpy, acl.mdl.execute",
    "execute_only": "aclmdlExecute only (data on the device)",
}
#: The dynamic-dims comparison (the small model at batch 1, static against built with --dynamic_dims="1;8"):
DIMS_PATHS = {
    "static_binding": "static model: memcpy, aclmdlExecute, memcpy",
    "dims_binding": "dims gears: aclmdlSetInputDynamicDims, memcpy, aclmdlExecute, memcpy",
    "static_model_execute": "static model: Executor.execute(out=)",
    "dims_model_execute": "dims gears: Executor.execute(out=) (gear chosen per call)",
}
DIMS_MODEL = "small, --dynamic_dims"
#: The dynamic-AIPP comparison (the small model behind a 16x16 YUV420SP image input: crop, CSC and DTC, compiled in
#: by static AIPP against the same parameters set per call through aclmdlSetInputAIPP):
AIPP_PATHS = {
    "static_aipp_binding": "static AIPP: memcpy, aclmdlExecute, memcpy",
    "dynamic_aipp_binding": "dynamic AIPP: memcpy, aclmdlSetInputAIPP, aclmdlExecute, memcpy",
}
AIPP_MODEL = "small image, dynamic AIPP"
AIPP_SRC, AIPP_CROP = 20, 16  # the source image's side and the crop the model takes


def small_model() -> bytes:
    """A small ONNX model (MatMul 256x256 + ReLU, dynamic batch) whose run costs little next to the call."""
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
        from ...demo import efficientnet

        return efficientnet.build_onnx(efficientnet.load_checkpoint(efficientnet.weights_path()), batch="N")
    except Exception as exc:  # the weights package is optional
        T.note("execute: EfficientNet-Lite0 skipped: %s" % str(exc).splitlines()[0])
        return None


def _models(args: argparse.Namespace) -> List[Tuple[str, bytes]]:
    if getattr(args, "model", None):
        with open(args.model, "rb") as f:
            return [(args.model, f.read())]
    out = [(SMALL, small_model())]
    if not getattr(args, "quick", False):
        eff = _efficientnet()
        if eff is not None:
            out.append((EFFICIENTNET, eff.SerializeToString()))
    return out


def _cases(data: bytes, batch: int, model: Any, acl: Any) -> Tuple[Dict[str, Callable[[], Any]], Callable[[], None]]:
    """The ways of running one batch, each a zero-argument call; and a cleanup."""
    from ..._native import ffi, lib
    from ...errors import check
    from ...formats import onnx as onnx_format

    session = onnx_format.session(data)  # the emulator engine's own session options
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

    def binding_path() -> None:
        for p, h, n in zip(in_ptrs, in_host, sizes_in):
            memcpy(p, n, h, n, H2D)
        execute(mid, ids, ods)
        for p, h, n in zip(out_ptrs, out_host, sizes_out):
            memcpy(h, n, p, n, D2H)

    run = session.run
    cases: Dict[str, Callable[[], Any]] = {
        "onnxruntime": lambda: run(None, feeds),
        "model_execute": lambda: executor.execute(ins, out=outs),
        "binding": binding_path,
    }
    if acl is not None:
        # As a pyACL program holds them: ints for every pointer and handle.
        a_memcpy, a_execute = acl.rt.memcpy, acl.mdl.execute
        a_in = [(int(ffi.cast("uintptr_t", p)), x.ctypes.data, x.nbytes) for p, x in zip(in_ptrs, ins)]
        a_out = [(int(ffi.cast("uintptr_t", p)), o.ctypes.data, o.nbytes) for p, o in zip(out_ptrs, outs)]
        a_ids, a_ods = int(ffi.cast("uintptr_t", ids)), int(ffi.cast("uintptr_t", ods))

        def pyacl_path() -> None:
            for dev, host, n in a_in:
                a_memcpy(dev, n, host, n, H2D)
            a_execute(mid, a_ids, a_ods)
            for dev, host, n in a_out:
                a_memcpy(host, n, dev, n, D2H)

        outs[0].fill(0)
        for p, n in zip(out_ptrs, sizes_out):  # the device outputs too: they still hold the last execution's
            check(lib.aclrtMemset(p, n, 0, n), "aclrtMemset")
        pyacl_path()
        if not np.allclose(outs[0], reference[0], rtol=1e-4, atol=1e-4):
            raise AssertionError("the pyACL-compatible path disagrees with onnxruntime")
        cases["pyacl"] = pyacl_path
    cases["execute_only"] = lambda: execute(mid, ids, ods)
    return cases, executor.close


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    import os

    import acllite
    from .memcpy import pyacl_module

    # Two live onnxruntime sessions (the baseline's and the emulator's) on few cores: idle spinning threads of
    # one would slow the other down. Both sessions get the same options, spinning off.
    os.environ["ACLLITE_EMU_ORT_SPINNING"] = "0"

    batches = [int(b) for b in str(getattr(args, "batch", None) or "1,8").split(",")]
    repeat = args.repeat or DEFAULT_REPEAT
    acl, acl_why = pyacl_module()
    records: List[Dict[str, Any]] = []
    rows: List[List[str]] = []
    dims_rows: List[List[str]] = []
    models = _models(args)
    T.progress.start(BENCH, len(models) * len(batches))
    runtime = None if acllite.is_initialized() else acllite.init()
    try:
        with acllite.Device(0) as device:
            for label, data in models:
                with acllite.Model(data, device) as model:
                    dynamic = any(t.batch_dynamic for t in model.data_inputs)
                    for batch in batches:
                        T.progress.step("%s, batch %d" % (label.split(" ")[0], batch))
                        if batch != 1 and not dynamic:
                            continue
                        cases, cleanup = _cases(data, batch, model, acl)
                        one = _time_once(cases[BASELINE])
                        n = max(1, min(2000, int(BLOCK_NS / max(one, 1.0))))
                        try:
                            timed = T.interleave({k: T.loop0(f, n) for k, f in cases.items()},
                                                 {name: n for name in cases}, repeat, warmup=1, subtract_loop=False)
                        finally:
                            cleanup()
                        base = T.stats(timed[BASELINE])
                        for path, samples in timed.items():
                            st = T.stats(samples)
                            rec = T.record(BENCH, "%s batch %d: %s" % (label, batch, path), "median", st.median / 1e3,
                                           "us", "%s batch %d: %s" % (label, batch, BASELINE), base.median / 1e3,
                                           model=label, batch=batch, path=path, p10=st.p10 / 1e3, p90=st.p90 / 1e3,
                                           repeat=repeat, calls_per_repeat=n, images_per_s=batch * 1e9 / st.median,
                                           overhead_us=(st.median - base.median) / 1e3, description=PATHS[path])
                            records.append(rec)
                            rows.append([label, str(batch), PATHS[path], T.fmt(st.median / 1e3),
                                         "%s-%s" % (T.fmt(st.p10 / 1e3), T.fmt(st.p90 / 1e3)),
                                         T.fmt(rec["images_per_s"]), "-" if path == BASELINE else
                                         "%+.1f" % rec["overhead_us"], "%.3f" % rec["ratio"]])
            if not getattr(args, "model", None):
                dims_rows = _dims_bench(records, repeat, device) + _aipp_bench(records, repeat)
    finally:
        if runtime is not None:
            runtime.close()
        T.progress.finish()
    print("acllite bench execute: %s" % T.banner())
    print(T.format_table(["model", "batch", "path", "us/call", "p10-p90", "images/s", "us vs ort", "x ort"], rows,
                         "lrlrrrrr"))
    print("median of %d blocks per path (about %d ms each, at least one call), blocks of the paths alternating; "
          "outputs checked against onnxruntime." % (repeat, BLOCK_NS / 1e6))
    if dims_rows:
        print(T.format_table(["path (small models, batch 1)", "us/call", "p10-p90", "us vs static", "x static"],
                             dims_rows, "lrrrr"))
    if acl is None:
        T.note("execute: pyACL rows skipped: %s" % acl_why)
    for line in target_lines(records):
        print(line)
    return records


def _dims_model(tmp: str, data: bytes) -> Tuple[str, str]:
    """The small model converted twice by acllite atc: static at batch 1, and with dims gears 1 and 8."""
    import os

    from .. import atc

    src = os.path.join(tmp, "small.onnx")
    with open(src, "wb") as f:
        f.write(data)
    static = atc.convert(src, os.path.join(tmp, "static"), input_shape="x:1,256", input_format="ND")
    dims = atc.convert(src, os.path.join(tmp, "dims"), input_shape="x:-1,256", input_format="ND", dynamic_dims="1;8")
    return str(static), str(dims)


def _dims_bench(records: List[Dict[str, Any]], repeat: int, device: Any) -> List[List[str]]:
    """Static against dims-gear execution of the small model at batch 1, in one interleaved run."""
    import tempfile

    import acllite
    from ..._native import ffi, lib

    with tempfile.TemporaryDirectory() as tmp:
        static_path, dims_path = _dims_model(tmp, small_model())
        with acllite.Model(static_path, device) as static, acllite.Model(dims_path, device) as dims:
            x = np.random.default_rng(2).standard_normal((1, 256)).astype(np.float32)
            outs = {k: [np.empty((1, 256), np.float32)] for k in ("static", "dims")}
            ex_static, ex_dims = static.executor(), dims.executor()
            try:
                ex_static.execute([x], out=outs["static"])
                ex_dims.execute([x], out=outs["dims"])
                if not np.array_equal(outs["static"][0], outs["dims"][0]):
                    raise AssertionError("the dims-gear model disagrees with the static one")
                memcpy, execute, set_dims = lib.aclrtMemcpy, lib.aclmdlExecute, lib.aclmdlSetInputDynamicDims
                host_in, host_out = ffi.from_buffer(x), ffi.from_buffer(outs["static"][0], require_writable=True)
                gear = ffi.new("aclmdlIODims *")
                gear.dimCount, gear.dims[0], gear.dims[1] = 2, 1, 256

                def binding(ex: Any, model: Any, geared: bool) -> Callable[[], None]:
                    mid, ids, ods, dyn = model.id, ex._in_ds, ex._out_ds, model.dynamic_input
                    pin, pout = ex._data_slots[0].ptr, ex._slots_out[0].ptr

                    def call() -> None:
                        if geared:
                            set_dims(mid, ids, dyn, gear)
                        memcpy(pin, 1024, host_in, 1024, H2D)
                        execute(mid, ids, ods)
                        memcpy(host_out, 1024, pout, 1024, D2H)
                    return call

                cases: Dict[str, Callable[[], Any]] = {
                    "static_binding": binding(ex_static, static, False),
                    "dims_binding": binding(ex_dims, dims, True),
                    "static_model_execute": lambda: ex_static.execute([x], out=outs["static"]),
                    "dims_model_execute": lambda: ex_dims.execute([x], out=outs["dims"]),
                }
                timed, n = _interleaved(cases, repeat)
            finally:
                ex_static.close()
                ex_dims.close()
    return _versus_static(records, timed, n, repeat, DIMS_MODEL, DIMS_PATHS)


#: The static and the dynamic AIPP configurations of the AIPP comparison: crop, YUV -> RGB (BT.601), DTC.
_AIPP_COMMON = ("input_format: YUV420SP_U8\n src_image_size_w: %d\n src_image_size_h: %d\n crop: true\n"
                " load_start_pos_w: 2\n load_start_pos_h: 2\n crop_size_w: %d\n crop_size_h: %d\n csc_switch: true\n"
                % (AIPP_SRC, AIPP_SRC, AIPP_CROP, AIPP_CROP))
_AIPP_CSC = ((298, 0, 409), (298, -100, -208), (298, 516, 0))
_AIPP_BIAS = (16, 128, 128)
_AIPP_DTC = ((104, 117, 123), (0.5, 0.0, 1.5), (0.015625, 0.0166015625, 0.017578125))  # exact in float16


def _aipp_models(tmp: str) -> Tuple[str, str]:
    """The small model behind a [1, 3, 16, 16] image input, converted with static and with dynamic AIPP."""
    import os

    from onnx import TensorProto, helper, numpy_helper

    from .. import atc

    side = AIPP_CROP
    w = numpy_helper.from_array(np.random.default_rng(1).standard_normal((3 * side * side, 256)).astype(np.float32)
                                / 64, "w")
    shape = numpy_helper.from_array(np.array([1, 3 * side * side], np.int64), "shape")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, side, side])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 256])
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"]), helper.make_node("MatMul", ["r", "w"], ["m"]),
             helper.make_node("Relu", ["m"], ["y"])]
    m = helper.make_model(helper.make_graph(nodes, "small_image", [x], [y], [w, shape]),
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    src = os.path.join(tmp, "small_image.onnx")
    with open(src, "wb") as f:
        f.write(m.SerializeToString())
    lines = [_AIPP_COMMON]
    lines += [" matrix_r%dc%d: %d\n" % (r, c, _AIPP_CSC[r][c]) for r in range(3) for c in range(3)]
    lines += [" input_bias_%d: %d\n" % (i, _AIPP_BIAS[i]) for i in range(3)]
    lines += [" %s_chn_%d: %s\n" % (key, i, _AIPP_DTC[k][i]) for k, key in enumerate(("mean", "min", "var_reci"))
              for i in range(3)]
    conf = {"static": "aipp_op {\n aipp_mode: static\n%s}\n" % "".join(lines),
            "dynamic": "aipp_op {\n aipp_mode: dynamic\n max_src_image_size: %d\n}\n" % (AIPP_SRC * AIPP_SRC * 3 // 2)}
    out = []
    for kind, text in conf.items():
        path = os.path.join(tmp, kind + ".cfg")
        with open(path, "w") as f:
            f.write(text)
        out.append(str(atc.convert(src, os.path.join(tmp, kind), insert_op_conf=path)))
    return out[0], out[1]


def _aipp_bench(records: List[Dict[str, Any]], repeat: int) -> List[List[str]]:
    """Static against dynamic AIPP on the small image model, on the raw binding (acllite.Model does not set
    dynamic AIPP parameters), in one interleaved run. The dynamic path writes the parameters every call, as a
    program whose parameters change per image does."""
    import tempfile

    from ..._native import ffi, lib

    def ok(code: int, what: str) -> None:
        if code:
            raise RuntimeError("%s failed: %d %s" % (what, code, ffi.string(lib.aclGetRecentErrMsg()).decode()))

    image = np.random.default_rng(3).integers(0, 256, AIPP_SRC * AIPP_SRC * 3 // 2, dtype=np.uint8)
    host_in = ffi.from_buffer(image)
    outs = {k: np.empty((1, 256), np.float32) for k in ("static", "dynamic")}
    held: List[Any] = []  # (kind, pointer) to release
    aipp = lib.aclmdlCreateAIPP(1)
    with tempfile.TemporaryDirectory() as tmp:
        paths = _aipp_models(tmp)
        ids = []
        try:
            for path in paths:
                cell = ffi.new("uint32_t *")
                ok(lib.aclmdlLoadFromFile(path.encode(), cell), "aclmdlLoadFromFile")
                ids.append(int(cell[0]))
                held.append(("model", int(cell[0])))
            ok(lib.aclmdlSetAIPPInputFormat(aipp, 1), "aclmdlSetAIPPInputFormat")
            ok(lib.aclmdlSetAIPPSrcImageSize(aipp, AIPP_SRC, AIPP_SRC), "aclmdlSetAIPPSrcImageSize")
            (m0, m1, m2), (m3, m4, m5), (m6, m7, m8) = _AIPP_CSC
            ok(lib.aclmdlSetAIPPCscParams(aipp, 1, m0, m1, m2, m3, m4, m5, m6, m7, m8, 0, 0, 0, *_AIPP_BIAS),
               "aclmdlSetAIPPCscParams")
            ok(lib.aclmdlSetAIPPCropParams(aipp, 1, 2, 2, AIPP_CROP, AIPP_CROP, 0), "aclmdlSetAIPPCropParams")
            ok(lib.aclmdlSetAIPPDtcPixelMean(aipp, *_AIPP_DTC[0], 0, 0), "aclmdlSetAIPPDtcPixelMean")
            ok(lib.aclmdlSetAIPPDtcPixelMin(aipp, *_AIPP_DTC[1], 0.0, 0), "aclmdlSetAIPPDtcPixelMin")
            ok(lib.aclmdlSetAIPPPixelVarReci(aipp, *_AIPP_DTC[2], 1.0, 0), "aclmdlSetAIPPPixelVarReci")
            sets = {}
            for kind, mid in zip(("static", "dynamic"), ids):
                n_in = 2 if kind == "dynamic" else 1
                ds_in, ds_out = lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()
                held += [("dataset", ds_in), ("dataset", ds_out)]
                ptrs = []
                for ds, sizes in ((ds_in, [lib.aclmdlGetInputSizeByIndex(_desc(lib, mid, held), i)
                                           for i in range(n_in)]), (ds_out, [1024])):
                    for size in sizes:
                        cell = ffi.new("void **")
                        ok(lib.aclrtMalloc(cell, size, 0), "aclrtMalloc")
                        held.append(("memory", cell[0]))
                        db = lib.aclCreateDataBuffer(cell[0], size)
                        held.append(("buffer", db))
                        ok(lib.aclmdlAddDatasetBuffer(ds, db), "aclmdlAddDatasetBuffer")
                        ptrs.append(cell[0])
                sets[kind] = (mid, ds_in, ds_out, ptrs[0], ptrs[-1])
            memcpy, execute, set_aipp = lib.aclrtMemcpy, lib.aclmdlExecute, lib.aclmdlSetInputAIPP

            def binding(kind: str) -> Callable[[], None]:
                mid, ds_in, ds_out, pin, pout = sets[kind]
                host_out = ffi.from_buffer(outs[kind], require_writable=True)
                size = image.nbytes

                def call() -> None:
                    memcpy(pin, size, host_in, size, H2D)
                    if kind == "dynamic":
                        set_aipp(mid, ds_in, 1, aipp)
                    execute(mid, ds_in, ds_out)
                    memcpy(host_out, 1024, pout, 1024, D2H)
                return call

            cases = {"static_aipp_binding": binding("static"), "dynamic_aipp_binding": binding("dynamic")}
            for f in cases.values():
                f()
            if not np.array_equal(outs["static"], outs["dynamic"]) or not outs["static"].any():
                raise AssertionError("dynamic AIPP disagrees with static AIPP")
            timed, n = _interleaved(cases, repeat)
        finally:
            _release(lib, held)
            lib.aclmdlDestroyAIPP(aipp)
    return _versus_static(records, timed, n, repeat, AIPP_MODEL, AIPP_PATHS)


def _desc(lib: Any, mid: int, held: List[Any]) -> Any:
    desc = lib.aclmdlCreateDesc()
    held.append(("desc", desc))
    if lib.aclmdlGetDesc(desc, mid):
        raise RuntimeError("aclmdlGetDesc failed")
    return desc


def _release(lib: Any, held: List[Any]) -> None:
    release = {"dataset": lib.aclmdlDestroyDataset, "buffer": lib.aclDestroyDataBuffer, "memory": lib.aclrtFree,
               "desc": lib.aclmdlDestroyDesc, "model": lib.aclmdlUnload}
    for kind, handle in reversed(held):
        release[kind](handle)


def _interleaved(cases: Dict[str, Callable[[], Any]], repeat: int) -> Tuple[Dict[str, List[float]], int]:
    """Every case timed in alternating blocks of the same number of calls (sized on the first case)."""
    n = max(1, min(2000, int(BLOCK_NS / max(_time_once(next(iter(cases.values()))), 1.0))))
    return T.interleave({k: T.loop0(f, n) for k, f in cases.items()}, {k: n for k in cases}, repeat, warmup=1,
                        subtract_loop=False), n


def _versus_static(records: List[Dict[str, Any]], timed: Dict[str, List[float]], n: int, repeat: int, label: str,
                   paths: Dict[str, str]) -> List[List[str]]:
    """Records and table rows of paths timed against their static twins (the path named with its first word
    replaced by "static")."""
    rows: List[List[str]] = []
    medians = {k: T.stats(v).median / 1e3 for k, v in timed.items()}
    for path, samples in timed.items():
        st = T.stats(samples)
        base_path = "static_" + path.split("_", 1)[1]
        rec = T.record(BENCH, "%s batch 1: %s" % (label, path), "median", st.median / 1e3, "us",
                       "%s batch 1: %s" % (label, base_path), medians[base_path], model=label, batch=1,
                       path=path, p10=st.p10 / 1e3, p90=st.p90 / 1e3, repeat=repeat, calls_per_repeat=n,
                       images_per_s=1e9 / st.median, overhead_us=st.median / 1e3 - medians[base_path],
                       description=paths[path])
        records.append(rec)
        rows.append([paths[path], T.fmt(st.median / 1e3), "%s-%s" % (T.fmt(st.p10 / 1e3), T.fmt(st.p90 / 1e3)),
                     "-" if path == base_path else "%+.1f" % rec["overhead_us"], "%.3f" % rec["ratio"]])
    return rows


def target_lines(records: List[Dict[str, Any]]) -> List[str]:
    """The issue's execute targets, read off the records of one run."""
    out = []
    for r in records:
        if (r["model"], r["path"].split("_")[0]) in ((DIMS_MODEL, "dims"), (AIPP_MODEL, "dynamic")):
            out.append("target %s adds <= 5 us per call over the static path (%s): %+.1f us (%s)" % (
                "dynamic dims" if r["model"] == DIMS_MODEL else "dynamic AIPP", r["path"], r["overhead_us"],
                "met" if r["overhead_us"] <= 5 else "MISSED"))
        if r["path"] != "model_execute":
            continue
        if r["model"] == SMALL:
            out.append("target Model.execute adds <= 15 us over onnxruntime (%s, batch %d): %+.1f us (%s)" % (
                r["model"], r["batch"], r["overhead_us"], "met" if r["overhead_us"] <= 15 else "MISSED"))
        elif r["model"] == EFFICIENTNET:
            out.append("target Model.execute <= 1.02x onnxruntime (%s, batch %d): %.3fx, %+.1f us (%s)" % (
                r["model"], r["batch"], r["ratio"], r["overhead_us"], "met" if r["ratio"] <= 1.02 else "MISSED"))
    return out


def _time_once(f: Callable[[], Any]) -> float:
    import time

    f()
    t0 = time.perf_counter_ns()
    for _ in range(3):
        f()
    return (time.perf_counter_ns() - t0) / 3
