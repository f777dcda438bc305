"""``acllite bench op``: single-operator execution (aclopCast of 1 MiB, float32 -> float16) against onnxruntime
running the same node, in one run.

Paths, each timed as one call plus the wait for its result, in alternating blocks of calls (about 10 ms each, at
least one call; 25 blocks per path by default):

* ``onnxruntime``: the same Cast node (the graph the emulator builds for it) in an onnxruntime session with the
  emulator's options, run with an I/O binding on preallocated numpy arrays: onnxruntime's fastest way, the
  baseline;
* ``aclopCast``: the raw binding's aclopCast of device buffers on a stream, then aclrtSynchronizeStream;
* ``aclopExecuteV2``: the same operator by type, with a ``dst_type`` attribute, then aclrtSynchronizeStream;
* ``handle``: aclopExecWithHandle of a handle made once, then aclrtSynchronizeStream;
* ``pyacl``: ``acl.op.cast`` and ``acl.rt.synchronize_stream`` with int handles, as a pyACL program calls them.

The model is what ``acllite atc --singleop`` writes for the operator, loaded with aclopLoad. The outputs of every
path are checked against numpy's cast first. The target (issue 15): aclopCast within 1.2x of onnxruntime.
"""

from __future__ import annotations

import argparse
import functools
import json
from typing import Any, Callable, Dict, List

import numpy as np

from . import _timing as T

BENCH = "op"
BASELINE = "onnxruntime"
BLOCK_NS = 10e6
DEFAULT_REPEAT = 25
ELEMENTS = 1 << 18  # 1 MiB of float32
PATHS = {
    "onnxruntime": "onnxruntime Cast node, I/O binding (baseline)",
    "aclopCast": "aclopCast + aclrtSynchronizeStream",
    "aclopExecuteV2": "aclopExecuteV2(\"Cast\") + aclrtSynchronizeStream",
    "handle": "aclopExecWithHandle + aclrtSynchronizeStream",
    "pyacl": "acl.op.cast + acl.rt.synchronize_stream",
}
TARGET_RATIO = 1.2


def _description() -> Any:
    from ...formats import singleop

    t = {"format": "ND", "shape": [ELEMENTS]}
    return singleop.parse_description(json.dumps([{
        "op": "Cast", "input_desc": [dict(t, type="float32")], "output_desc": [dict(t, type="float16")],
        "attr": [{"name": "dst_type", "type": "int", "value": 1}]}]))[0]


def _cases(acl: Any) -> Any:
    """The paths (zero-argument calls), the check of each, and a cleanup."""
    from ..._native import ffi, lib
    from ...errors import check
    from ...formats import onnx as onnx_format
    from ...formats import singleop

    desc = _description()
    blob = singleop.encode(desc)
    check(lib.aclopLoad(blob, len(blob)), "aclopLoad")
    x = np.random.default_rng(5).uniform(-1000, 1000, ELEMENTS).astype(np.float32)
    want = x.astype(np.float16)
    undo: List[Callable[[], Any]] = []

    def cell(t: str) -> Any:
        return ffi.new(t)

    stream_cell = cell("aclrtStream *")
    check(lib.aclrtCreateStream(stream_cell), "aclrtCreateStream")
    stream = stream_cell[0]
    undo.append(lambda: lib.aclrtDestroyStream(stream))
    ptrs = []
    for n in (x.nbytes, want.nbytes):
        p = cell("void **")
        check(lib.aclrtMalloc(p, n, 0), "aclrtMalloc")
        ptrs.append(p[0])
        undo.append(functools.partial(lib.aclrtFree, p[0]))
    check(lib.aclrtMemcpy(ptrs[0], x.nbytes, ffi.from_buffer(x), x.nbytes, 1), "aclrtMemcpy")
    dims = ffi.new("int64_t[]", [ELEMENTS])
    src = lib.aclCreateTensorDesc(0, 1, dims, 2)
    dst = lib.aclCreateTensorDesc(1, 1, dims, 2)
    undo += [lambda: lib.aclDestroyTensorDesc(src), lambda: lib.aclDestroyTensorDesc(dst)]
    in_buf = lib.aclCreateDataBuffer(ptrs[0], x.nbytes)
    out_buf = lib.aclCreateDataBuffer(ptrs[1], want.nbytes)
    undo += [lambda: lib.aclDestroyDataBuffer(in_buf), lambda: lib.aclDestroyDataBuffer(out_buf)]
    attr = lib.aclopCreateAttr()
    undo.append(lambda: lib.aclopDestroyAttr(attr))
    check(lib.aclopSetAttrInt(attr, b"dst_type", 1), "aclopSetAttrInt")
    handle_cell = cell("aclopHandle **")
    check(lib.aclopCreateHandleForCast(src, dst, 0, handle_cell), "aclopCreateHandleForCast")
    handle = handle_cell[0]
    undo.append(lambda: lib.aclopDestroyHandle(handle))
    in_descs, out_descs = ffi.new("aclTensorDesc *[]", [src]), ffi.new("aclTensorDesc *[]", [dst])
    in_bufs, out_bufs = ffi.new("aclDataBuffer *[]", [in_buf]), ffi.new("aclDataBuffer *[]", [out_buf])

    session = onnx_format.session(singleop.build_graph(desc, [(ELEMENTS,)], [(ELEMENTS,)], {}))
    y = np.empty_like(want)
    binding = session.io_binding()
    binding.bind_input("x0", "cpu", 0, np.float32, [ELEMENTS], x.ctypes.data)
    binding.bind_output("y0", "cpu", 0, np.float16, [ELEMENTS], y.ctypes.data)
    run_ort = session.run_with_iobinding
    cast, execute, exec_handle, sync = lib.aclopCast, lib.aclopExecuteV2, lib.aclopExecWithHandle, \
        lib.aclrtSynchronizeStream

    def ort(keep: Any = (x, y)) -> None:  # the bound arrays live as long as the call that reads them
        run_ort(binding)

    def op_cast() -> None:
        cast(src, in_buf, dst, out_buf, 0, stream)
        sync(stream)

    def op_execute() -> None:
        execute(b"Cast", 1, in_descs, in_bufs, 1, out_descs, out_bufs, attr, stream)
        sync(stream)

    def op_handle() -> None:
        exec_handle(handle, 1, in_bufs, 1, out_bufs, stream)
        sync(stream)

    cases: Dict[str, Callable[[], Any]] = {"onnxruntime": ort, "aclopCast": op_cast, "aclopExecuteV2": op_execute,
                                           "handle": op_handle}
    if acl is not None:
        a = [int(ffi.cast("uintptr_t", v)) for v in (src, in_buf, dst, out_buf, stream)]
        a_cast, a_sync = acl.op.cast, acl.rt.synchronize_stream

        def pyacl_path() -> None:
            a_cast(a[0], a[1], a[2], a[3], 0, a[4])
            a_sync(a[4])

        cases["pyacl"] = pyacl_path

    host = np.empty_like(want)

    def verify(name: str) -> None:
        if name == BASELINE:
            y.fill(0)
            ort()
            got = y
        else:
            check(lib.aclrtMemset(ptrs[1], want.nbytes, 0, want.nbytes), "aclrtMemset")
            cases[name]()
            check(lib.aclrtMemcpy(ffi.from_buffer(host, require_writable=True), host.nbytes, ptrs[1], host.nbytes,
                                  2), "aclrtMemcpy")
            got = host
        if not np.array_equal(got, want):
            msg = lib.aclGetRecentErrMsg()
            raise AssertionError("op bench: %s does not cast as numpy does (%s)" % (
                name, ffi.string(msg).decode() if msg != ffi.NULL else "no error message"))

    def cleanup() -> None:
        while undo:
            undo.pop()()

    return cases, verify, cleanup


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    import os
    import time

    import acllite
    from .memcpy import pyacl_module

    os.environ["ACLLITE_EMU_ORT_SPINNING"] = "0"  # two live sessions on few cores: no idle spinning (as execute)
    repeat = args.repeat or DEFAULT_REPEAT
    acl, acl_why = pyacl_module()
    records: List[Dict[str, Any]] = []
    T.progress.start(BENCH, 1)
    runtime = None if acllite.is_initialized() else acllite.init()
    try:
        with acllite.Device(0):
            T.progress.step("Cast 1 MiB")
            cases, verify, cleanup = _cases(acl)
            try:
                for name in cases:
                    verify(name)
                t0 = time.perf_counter_ns()
                cases[BASELINE]()
                one = max(time.perf_counter_ns() - t0, 1)
                n = max(1, min(2000, int(BLOCK_NS / one)))
                timed = T.interleave({k: T.loop0(f, n) for k, f in cases.items()}, {k: n for k in cases}, repeat,
                                     warmup=2, subtract_loop=False)
            finally:
                cleanup()
    finally:
        if runtime is not None:
            runtime.close()
        T.progress.finish()
    base = T.stats(timed[BASELINE])
    rows = []
    for path, samples in timed.items():
        st = T.stats(samples)
        rec = T.record(BENCH, "Cast float32->float16 1 MiB: %s" % path, "median", st.median / 1e3, "us",
                       "Cast float32->float16 1 MiB: %s" % BASELINE, base.median / 1e3, path=path, p10=st.p10 / 1e3,
                       p90=st.p90 / 1e3, repeat=repeat, calls_per_repeat=n, bytes=ELEMENTS * 4,
                       overhead_us=(st.median - base.median) / 1e3, description=PATHS[path])
        records.append(rec)
        rows.append([PATHS[path], T.fmt(st.median / 1e3), "%s-%s" % (T.fmt(st.p10 / 1e3), T.fmt(st.p90 / 1e3)),
                     "-" if path == BASELINE else "%+.1f" % rec["overhead_us"], "%.3f" % rec["ratio"]])
    print("acllite bench op: %s" % T.banner())
    print(T.format_table(["path", "us/call", "p10-p90", "us vs ort", "x ort"], rows, "lrrrr"))
    print("median of %d blocks per path (about %d ms each, at least one call), blocks of the paths alternating; "
          "every path's output checked against numpy first." % (repeat, BLOCK_NS / 1e6))
    if acl is None:
        T.note("op: pyACL row skipped: %s" % acl_why)
    for line in target_lines(records):
        print(line)
    return records


def target_lines(records: List[Dict[str, Any]]) -> List[str]:
    """The issue's target, read off the records of one run."""
    return ["target aclopCast of 1 MiB within %.1fx of onnxruntime running the same node: %.3fx, %+.1f us (%s)" % (
        TARGET_RATIO, r["ratio"], r["overhead_us"], "met" if r["ratio"] <= TARGET_RATIO else "MISSED")
        for r in records if r["path"] == "aclopCast"]
