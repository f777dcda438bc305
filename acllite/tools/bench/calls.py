"""``acllite bench calls``: what one cheap AscendCL call costs from Python, by path.

Calls:

* ``aclrtGetRunMode`` (into a preallocated ``aclrtRunMode *`` cell);
* ``aclmdlGetNumInputs`` on the description of a loaded model (a MatMul + ReLU model built here);
* ``aclGetDataBufferSizeV2`` on a live data buffer (returns ``size_t``);
* ``aclCreateDataBuffer`` + ``aclDestroyDataBuffer``, a pair;
* ``no-op``: a C function ``void f(void)`` doing nothing, the floor of any call through cffi (path
  ``direct_cffi``), next to a Python function doing nothing (path ``python``).

Paths:

* ``binding``: the compiled cffi function (``acllite.binding.<name>``) bound to a local name, C arguments made
  once. It goes through the binding's run-time dispatch table into the backend;
* ``capi``: the checked wrapper ``acllite.capi.<name>`` (allocates out-cells, checks the status);
* ``pyacl``: the pyACL-compatible module ``acllite.pyacl`` (``acl.rt.get_run_mode()``,
  ``acl.mdl.get_num_inputs(desc)``, ...; int handles, ``(value, ret)`` results), when it is importable;
* ``ctypes``: ctypes on the same backend library, with argtypes and restype set;
* ``direct_cffi``: a cffi API-mode module built at benchmark time and linked to the backend library itself, so
  the same C function is called with no dispatch table in between (``binding`` / ``direct_cffi`` is the cost
  of the dispatch);
* ``direct_cffi_trivial`` (aclrtGetRunMode only): a C function of the same signature in that module doing the
  same work (NULL check, store, return 0) without even a call into another library.

The direct module is compiled once with the machine's C compiler and cached (:mod:`._cbuild`); without a
compiler those rows are skipped with a note.

Each figure is the median over ``--repeat`` repetitions (default 9) of a loop of 100,000 calls (10,000 with
``--quick``), ns per call, with the cost of an empty loop of the same length measured alongside and subtracted.
The paths of one call are timed interleaved, so their ratios come from the same conditions.
"""

from __future__ import annotations

import argparse
import ctypes
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _cbuild
from . import _timing as T

BENCH = "calls"
LOOPS = 100_000
QUICK_LOOPS = 10_000
DEFAULT_REPEAT = 9
BUFFER_BYTES = 64

RUN_MODE = "aclrtGetRunMode"
NUM_INPUTS = "aclmdlGetNumInputs"
BUFFER_SIZE = "aclGetDataBufferSizeV2"
CREATE_DESTROY = "aclCreateDataBuffer+aclDestroyDataBuffer"
NOOP = "no-op"
CALLS = (RUN_MODE, NUM_INPUTS, BUFFER_SIZE, CREATE_DESTROY, NOOP)
PATHS = {
    "binding": "binding (cffi, dispatch table)",
    "capi": "capi checked wrapper",
    "pyacl": "acllite.pyacl (pyACL-compatible)",
    "ctypes": "ctypes, argtypes/restype set",
    "direct_cffi": "direct cffi, same C function",
    "direct_cffi_trivial": "direct cffi, trivial C function",
    "python": "Python function doing nothing",
}
NOOP_PATHS = {"direct_cffi": "cffi call of a C no-op, void f(void)", "python": PATHS["python"]}

# The direct module. The declarations are AscendCL's (aclError is int, aclrtRunMode an int-sized enum, data
# buffers and model descriptions opaque), written out here because acllite does not install its C headers.
_DIRECT_DECLS = """
typedef int aclError;
typedef enum { ACL_DEVICE = 0, ACL_HOST = 1 } aclrtRunMode;
typedef struct aclDataBuffer aclDataBuffer;
typedef struct aclmdlDesc aclmdlDesc;
aclError aclrtGetRunMode(aclrtRunMode *runMode);
size_t aclmdlGetNumInputs(aclmdlDesc *modelDesc);
size_t aclGetDataBufferSizeV2(const aclDataBuffer *dataBuffer);
aclDataBuffer *aclCreateDataBuffer(void *data, size_t size);
aclError aclDestroyDataBuffer(const aclDataBuffer *dataBuffer);
aclError acllite_bench_run_mode(aclrtRunMode *runMode);
void acllite_bench_noop(void);
"""
_DIRECT_SOURCE = """
#include <stddef.h>
""" + _DIRECT_DECLS + """
/* aclrtGetRunMode's work, in this module: no dispatch table, no call into another library. */
aclError acllite_bench_run_mode(aclrtRunMode *runMode) {
    if (runMode == NULL) return 100000; /* ACL_ERROR_INVALID_PARAM */
    *runMode = ACL_HOST;
    return 0;
}
/* Nothing: what remains is the cost of a call through cffi itself. */
void acllite_bench_noop(void) {}
"""


def _direct_module(library: str) -> Tuple[Optional[Tuple[Any, Any]], str]:
    """((ffi, lib), "") of the direct module linked to library, built or taken from the cache; or (None, why)."""
    return _cbuild.build("_acllite_bench_direct", _DIRECT_DECLS, _DIRECT_SOURCE, [library])


def _ctypes_functions(library: str) -> Dict[str, Any]:
    so = ctypes.CDLL(library)
    fns = {}
    f = so.aclrtGetRunMode
    f.argtypes, f.restype = [ctypes.POINTER(ctypes.c_int)], ctypes.c_int
    fns[RUN_MODE] = f
    f = so.aclmdlGetNumInputs
    f.argtypes, f.restype = [ctypes.c_void_p], ctypes.c_size_t
    fns[NUM_INPUTS] = f
    f = so.aclGetDataBufferSizeV2
    f.argtypes, f.restype = [ctypes.c_void_p], ctypes.c_size_t
    fns[BUFFER_SIZE] = f
    f = so.aclCreateDataBuffer
    f.argtypes, f.restype = [ctypes.c_void_p, ctypes.c_size_t], ctypes.c_void_p
    fns["aclCreateDataBuffer"] = f
    f = so.aclDestroyDataBuffer
    f.argtypes, f.restype = [ctypes.c_void_p], ctypes.c_int
    fns["aclDestroyDataBuffer"] = f
    return fns


def _expect(got: Any, want: Any, what: str) -> None:
    # The timed loops ignore results: check each path once, so that a failing call is not timed as a fast one.
    if got != want:
        raise AssertionError("%s returned %r, expected %r" % (what, got, want))


def _python_noop() -> None:
    pass


def _cases(data_addr: int, live_addr: int, desc_addr: int, inputs: int, direct: Optional[Tuple[Any, Any]],
           acl: Optional[Any], n: int) -> Dict[str, Dict[str, Callable[[], int]]]:
    """call -> path -> timed loop, every path checked once for the right result."""
    from ... import binding, capi
    from ..._native import backend_info

    ffi = binding.ffi
    cases: Dict[str, Dict[str, Callable[[], int]]] = {c: {} for c in CALLS}

    # binding: the cffi functions bound to local names, cdata arguments made once.
    get_run_mode = binding.aclrtGetRunMode
    num_inputs = binding.aclmdlGetNumInputs
    get_size = binding.aclGetDataBufferSizeV2
    create = binding.aclCreateDataBuffer
    destroy = binding.aclDestroyDataBuffer
    cell = ffi.new("aclrtRunMode *")
    data = ffi.cast("void *", data_addr)
    live = ffi.cast("aclDataBuffer *", live_addr)
    desc = ffi.cast("aclmdlDesc *", desc_addr)
    _expect((get_run_mode(cell), cell[0]), (0, 1), "binding.aclrtGetRunMode")
    _expect(num_inputs(desc), inputs, "binding.aclmdlGetNumInputs")
    _expect(get_size(live), BUFFER_BYTES, "binding.aclGetDataBufferSizeV2")
    _expect(destroy(create(data, BUFFER_BYTES)), 0, "binding.aclDestroyDataBuffer(aclCreateDataBuffer())")
    cases[RUN_MODE]["binding"] = T.loop1(get_run_mode, cell, n)
    cases[NUM_INPUTS]["binding"] = T.loop1(num_inputs, desc, n)
    cases[BUFFER_SIZE]["binding"] = T.loop1(get_size, live, n)
    cases[CREATE_DESTROY]["binding"] = T.loop_pair(create, destroy, data, BUFFER_BYTES, n)

    # capi: the checked wrappers, as a user calls them.
    _expect(capi.aclrtGetRunMode(), 1, "capi.aclrtGetRunMode")
    _expect(capi.aclmdlGetNumInputs(desc), inputs, "capi.aclmdlGetNumInputs")
    _expect(capi.aclGetDataBufferSizeV2(live), BUFFER_BYTES, "capi.aclGetDataBufferSizeV2")
    _expect(capi.aclDestroyDataBuffer(capi.aclCreateDataBuffer(data, BUFFER_BYTES)), None, "capi create/destroy")
    cases[RUN_MODE]["capi"] = T.loop0(capi.aclrtGetRunMode, n)
    cases[NUM_INPUTS]["capi"] = T.loop1(capi.aclmdlGetNumInputs, desc, n)
    cases[BUFFER_SIZE]["capi"] = T.loop1(capi.aclGetDataBufferSizeV2, live, n)
    cases[CREATE_DESTROY]["capi"] = T.loop_pair(capi.aclCreateDataBuffer, capi.aclDestroyDataBuffer, data,
                                                BUFFER_BYTES, n)

    # pyacl: the pyACL-compatible module, int handles as a pyACL program holds them.
    if acl is not None:
        _expect(acl.rt.get_run_mode(), (1, 0), "acl.rt.get_run_mode")
        _expect(acl.mdl.get_num_inputs(desc_addr), inputs, "acl.mdl.get_num_inputs")
        _expect(acl.get_data_buffer_size_v2(live_addr), BUFFER_BYTES, "acl.get_data_buffer_size_v2")
        _expect(acl.destroy_data_buffer(acl.create_data_buffer(data_addr, BUFFER_BYTES)), 0,
                "acl.destroy_data_buffer(acl.create_data_buffer())")
        cases[RUN_MODE]["pyacl"] = T.loop0(acl.rt.get_run_mode, n)
        cases[NUM_INPUTS]["pyacl"] = T.loop1(acl.mdl.get_num_inputs, desc_addr, n)
        cases[BUFFER_SIZE]["pyacl"] = T.loop1(acl.get_data_buffer_size_v2, live_addr, n)
        cases[CREATE_DESTROY]["pyacl"] = T.loop_pair(acl.create_data_buffer, acl.destroy_data_buffer, data_addr,
                                                     BUFFER_BYTES, n)

    # ctypes on the same library the binding dispatches to, arguments made once.
    ct = _ctypes_functions(backend_info().libraries["ascendcl"])
    ct_cell = ctypes.c_int(0)
    ct_cell_p = ctypes.pointer(ct_cell)
    ct_data = ctypes.c_void_p(data_addr)
    ct_live = ctypes.c_void_p(live_addr)
    ct_desc = ctypes.c_void_p(desc_addr)
    _expect((ct[RUN_MODE](ct_cell_p), ct_cell.value), (0, 1), "ctypes aclrtGetRunMode")
    _expect(ct[NUM_INPUTS](ct_desc), inputs, "ctypes aclmdlGetNumInputs")
    _expect(ct[BUFFER_SIZE](ct_live), BUFFER_BYTES, "ctypes aclGetDataBufferSizeV2")
    _expect(ct["aclDestroyDataBuffer"](ct["aclCreateDataBuffer"](ct_data, BUFFER_BYTES)), 0, "ctypes create/destroy")
    cases[RUN_MODE]["ctypes"] = T.loop1(ct[RUN_MODE], ct_cell_p, n)
    cases[NUM_INPUTS]["ctypes"] = T.loop1(ct[NUM_INPUTS], ct_desc, n)
    cases[BUFFER_SIZE]["ctypes"] = T.loop1(ct[BUFFER_SIZE], ct_live, n)
    cases[CREATE_DESTROY]["ctypes"] = T.loop_pair(ct["aclCreateDataBuffer"], ct["aclDestroyDataBuffer"], ct_data,
                                                  BUFFER_BYTES, n)

    if direct is not None:
        dffi, dlib = direct
        d_cell = dffi.new("aclrtRunMode *")
        d_data = dffi.cast("void *", data_addr)
        d_live = dffi.cast("aclDataBuffer *", live_addr)
        d_desc = dffi.cast("aclmdlDesc *", desc_addr)
        d_run_mode, d_trivial = dlib.aclrtGetRunMode, dlib.acllite_bench_run_mode
        d_inputs = dlib.aclmdlGetNumInputs
        d_size, d_create, d_destroy = dlib.aclGetDataBufferSizeV2, dlib.aclCreateDataBuffer, dlib.aclDestroyDataBuffer
        _expect((d_run_mode(d_cell), d_cell[0]), (0, 1), "direct aclrtGetRunMode")
        d_cell[0] = 0
        _expect((d_trivial(d_cell), d_cell[0]), (0, 1), "acllite_bench_run_mode")
        _expect(d_inputs(d_desc), inputs, "direct aclmdlGetNumInputs")
        _expect(d_size(d_live), BUFFER_BYTES, "direct aclGetDataBufferSizeV2")
        _expect(d_destroy(d_create(d_data, BUFFER_BYTES)), 0, "direct create/destroy")
        _expect(dlib.acllite_bench_noop(), None, "acllite_bench_noop")
        cases[RUN_MODE]["direct_cffi"] = T.loop1(d_run_mode, d_cell, n)
        cases[RUN_MODE]["direct_cffi_trivial"] = T.loop1(d_trivial, d_cell, n)
        cases[NUM_INPUTS]["direct_cffi"] = T.loop1(d_inputs, d_desc, n)
        cases[BUFFER_SIZE]["direct_cffi"] = T.loop1(d_size, d_live, n)
        cases[CREATE_DESTROY]["direct_cffi"] = T.loop_pair(d_create, d_destroy, d_data, BUFFER_BYTES, n)
        cases[NOOP]["direct_cffi"] = T.loop0(dlib.acllite_bench_noop, n)
    cases[NOOP]["python"] = T.loop0(_python_noop, n)
    return cases


def _baseline(call: str, path: str, present: Dict[str, Any]) -> str:
    """The path each path is compared with (a ratio > 1: slower than the baseline)."""
    if call == NOOP:
        return "direct_cffi" if "direct_cffi" in present else path
    if path in ("capi", "ctypes", "pyacl"):
        return "binding"
    if path == "binding":
        return "direct_cffi" if "direct_cffi" in present else "binding"
    if path == "direct_cffi" and "direct_cffi_trivial" in present:
        return "direct_cffi_trivial"
    return path


def _small_model() -> bytes:
    from .execute import small_model

    return small_model()


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    """Run the benchmark, print its table, return one record per (call, path)."""
    import acllite
    from ... import binding, capi
    from .memcpy import pyacl_module

    repeat = args.repeat or DEFAULT_REPEAT
    loops = QUICK_LOOPS if getattr(args, "quick", False) else LOOPS
    info = acllite.backend_info()
    direct, skipped = _direct_module(info.libraries["ascendcl"])
    acl, acl_why = pyacl_module()

    records: List[Dict[str, Any]] = []
    rows: List[List[str]] = []
    T.progress.start(BENCH, len(CALLS))
    runtime = None if acllite.is_initialized() else acllite.init()
    try:
        with acllite.Device(0) as dev, acllite.Model(_small_model(), dev) as model:
            mem = dev.alloc(BUFFER_BYTES)
            live = capi.aclCreateDataBuffer(mem.ptr, BUFFER_BYTES)  # raises on NULL
            try:
                live_addr = int(binding.ffi.cast("uintptr_t", live))
                desc_addr = int(binding.ffi.cast("uintptr_t", model._desc))
                all_cases = _cases(mem.ptr, live_addr, desc_addr, len(model.inputs), direct, acl, loops)
                overhead = T.loop_overhead_ns(loops)
                for call in CALLS:
                    T.progress.step(call)
                    cases = all_cases[call]
                    samples = T.interleave(cases, {p: loops for p in cases}, repeat)
                    st = {p: T.stats(v) for p, v in samples.items()}
                    for path in PATHS:
                        if path not in st:
                            continue
                        base = _baseline(call, path, st)
                        extra: Dict[str, Any] = {}
                        if call == RUN_MODE and path == "binding" and "direct_cffi_trivial" in st:
                            extra["ratio_vs_trivial"] = st[path].median / st["direct_cffi_trivial"].median
                        label = NOOP_PATHS[path] if call == NOOP else PATHS[path]
                        rec = T.record(BENCH, "%s/%s" % (call, path), "median", st[path].median, "ns/call",
                                       "%s/%s" % (call, base), st[base].median, call=call, path=path,
                                       p10=st[path].p10, p90=st[path].p90, loops=loops, repeat=repeat,
                                       description=label, **extra)
                        records.append(rec)
                        rows.append([call, label, T.fmt(st[path].median),
                                     "%s-%s" % (T.fmt(st[path].p10, 2), T.fmt(st[path].p90, 2)),
                                     "%.2f" % rec["ratio"] if base != path else "1", "-" if base == path else base])
            finally:
                try:
                    capi.aclDestroyDataBuffer(live)
                finally:
                    mem.close()
    finally:
        if runtime is not None:
            runtime.close()
        T.progress.finish()

    print("acllite bench calls: %s" % T.banner())
    print(T.format_table(["call", "path", "ns/call", "p10-p90", "ratio", "vs"], rows, "llrrrl"))
    print("ns per call: median of %d repetitions of a loop of %d calls, minus the cost of an empty loop of the "
          "same length (%.1f ns per iteration, subtracted); paths of one call interleaved." % (repeat, loops,
                                                                                               overhead))
    if direct is None:
        T.note("calls: direct cffi rows skipped: %s" % skipped)
    if acl is None:
        T.note("calls: pyACL rows skipped: %s" % acl_why)
    for line in summary_lines(records):
        print(line)
    return records


def summary_lines(records: List[Dict[str, Any]]) -> List[str]:
    """Ratios between paths, and the dispatch target, read off the records of one run."""
    by = {r["case"]: r for r in records}
    out = []
    for call in CALLS[:-1]:
        b = by.get("%s/binding" % call)
        if not b:
            continue
        parts = []
        for path, what in (("direct_cffi", "binding/direct %.2fx"), ("capi", "capi/binding %.2fx"),
                           ("pyacl", "pyacl/binding %.2fx"), ("ctypes", "ctypes/binding %.2fx")):
            r = by.get("%s/%s" % (call, path))
            if r:
                parts.append(what % (b["value"] / r["value"] if path == "direct_cffi" else r["value"] / b["value"]))
        out.append("%s: %s" % (call, ", ".join(parts)))
    dispatch = [(c, by["%s/binding" % c]["value"] / by["%s/direct_cffi" % c]["value"]) for c in CALLS[:-1]
                if "%s/binding" % c in by and "%s/direct_cffi" % c in by]
    if dispatch:
        worst = max(dispatch, key=lambda x: x[1])
        ratios = sorted(x[1] for x in dispatch)
        median = ratios[len(ratios) // 2] if len(ratios) % 2 else (ratios[len(ratios) // 2 - 1] +
                                                                    ratios[len(ratios) // 2]) / 2
        out.append("target dispatch adds <= 10%% to a direct cffi call: median over %d calls %.3fx, worst %s "
                   "%.3fx (%s)" % (len(dispatch), median, worst[0], worst[1], "met" if median <= 1.10 else "MISSED"))
    noop = by.get("%s/direct_cffi" % NOOP)
    if noop:
        out.append("floor: a no-op C call through cffi costs %.0f ns; a Python no-op function %.0f ns" % (
            noop["value"], by["%s/python" % NOOP]["value"]))
    return out
