"""``acllite bench calls``: what one cheap AscendCL call costs from Python, by path.

Calls: ``aclrtGetRunMode`` (into a preallocated ``aclrtRunMode *`` cell), ``aclGetDataBufferSizeV2`` on a live
data buffer (returns ``size_t``), and an ``aclCreateDataBuffer`` + ``aclDestroyDataBuffer`` pair. Paths:

* ``binding``: the compiled cffi function (``acllite.binding.<name>``) bound to a local name. It goes through
  the binding's run-time dispatch table into the backend;
* ``capi``: the checked wrapper ``acllite.capi.<name>`` (allocates out-cells, checks the status);
* ``ctypes``: ctypes on the same backend library, with argtypes and restype set;
* ``direct_cffi``: a cffi API-mode module built at benchmark time and linked to the backend library itself, so
  the same C function is called with no dispatch table in between (``binding`` / ``direct_cffi`` is the cost
  of the dispatch);
* ``direct_cffi_trivial`` (aclrtGetRunMode only): a C function of the same signature in that module doing the
  same work (NULL check, store, return 0) without even a call into another library.

The direct module is compiled once with the machine's C compiler and cached under
``$XDG_CACHE_HOME/acllite/bench`` (default ``~/.cache/acllite/bench``); without a compiler those rows are skipped.

Each figure is the median over ``--repeat`` repetitions (default 9) of a loop of 100,000 calls, ns per call,
with the cost of an empty loop of the same length measured alongside and subtracted. The paths of one call are
timed interleaved, so their ratios come from the same conditions.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import importlib.util
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _timing as T

BENCH = "calls"
LOOPS = 100_000
DEFAULT_REPEAT = 9
BUFFER_BYTES = 64

RUN_MODE = "aclrtGetRunMode"
BUFFER_SIZE = "aclGetDataBufferSizeV2"
CREATE_DESTROY = "aclCreateDataBuffer+aclDestroyDataBuffer"
CALLS = (RUN_MODE, BUFFER_SIZE, CREATE_DESTROY)
PATHS = {
    "binding": "binding (cffi, dispatch table)",
    "capi": "capi checked wrapper",
    "ctypes": "ctypes, argtypes/restype set",
    "direct_cffi": "direct cffi, same C function",
    "direct_cffi_trivial": "direct cffi, trivial C function",
}

# The direct module. The declarations are AscendCL's (aclError is int, aclrtRunMode an int-sized enum, data
# buffers opaque), written out here because acllite does not install its C headers.
_DIRECT_DECLS = """
typedef int aclError;
typedef enum { ACL_DEVICE = 0, ACL_HOST = 1 } aclrtRunMode;
typedef struct aclDataBuffer aclDataBuffer;
aclError aclrtGetRunMode(aclrtRunMode *runMode);
size_t aclGetDataBufferSizeV2(const aclDataBuffer *dataBuffer);
aclDataBuffer *aclCreateDataBuffer(void *data, size_t size);
aclError aclDestroyDataBuffer(const aclDataBuffer *dataBuffer);
aclError acllite_bench_run_mode(aclrtRunMode *runMode);
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
"""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "acllite" / "bench"


def _direct_module(library: str) -> Tuple[Optional[Tuple[Any, Any]], str]:
    """((ffi, lib), "") of the direct module linked to library, built or taken from the cache; or (None, why)."""
    try:
        import cffi
    except ImportError as e:  # pragma: no cover - cffi is a dependency
        return None, "cffi is not importable: %s" % e
    lib_path = os.path.realpath(library)
    key = "\0".join([_DIRECT_SOURCE, lib_path, sys.implementation.cache_tag or "", platform.machine(),
                     cffi.__version__])
    name = "_acllite_bench_direct_%s" % hashlib.sha256(key.encode()).hexdigest()[:16]
    where = cache_dir()
    built = next(where.glob(name + ".*so"), None) if where.is_dir() else None
    if built is None:
        try:
            where.mkdir(parents=True, exist_ok=True)
            tmp = tempfile.mkdtemp(prefix="build-", dir=str(where))
            try:
                builder = cffi.FFI()
                builder.cdef(_DIRECT_DECLS)
                # Link the backend library itself; the rpath lets a library with a SONAME (CANN's) be found
                # again at load time. The loader then reuses the copy the binding already loaded.
                builder.set_source(name, _DIRECT_SOURCE, extra_compile_args=["-O2"],
                                   extra_link_args=[lib_path, "-Wl,-rpath," + os.path.dirname(lib_path)])
                out = Path(builder.compile(tmpdir=tmp, verbose=False))
                built = where / out.name
                os.replace(out, built)  # atomic: a concurrent run sees the whole file or none
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        except Exception as e:  # no compiler, no headers, read-only cache...
            why = str(e).strip().splitlines()
            return None, "cannot build the direct cffi module (%s: %s)" % (type(e).__name__, why[-1] if why else "")
    try:
        spec = importlib.util.spec_from_file_location(name, str(built))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as e:
        return None, "cannot load %s (%s: %s)" % (built, type(e).__name__, e)
    return (module.ffi, module.lib), ""


def _ctypes_functions(library: str) -> Dict[str, Any]:
    so = ctypes.CDLL(library)
    fns = {}
    f = so.aclrtGetRunMode
    f.argtypes, f.restype = [ctypes.POINTER(ctypes.c_int)], ctypes.c_int
    fns[RUN_MODE] = f
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


def _cases(data_addr: int, live_addr: int, direct: Optional[Tuple[Any, Any]]
           ) -> Dict[str, Dict[str, Callable[[], int]]]:
    """call -> path -> timed loop, every path checked once for the right result."""
    from .. import binding, capi
    from .._native import backend_info

    ffi = binding.ffi
    n = LOOPS
    cases: Dict[str, Dict[str, Callable[[], int]]] = {c: {} for c in CALLS}

    # binding: the cffi functions bound to local names, cdata arguments made once.
    get_run_mode = binding.aclrtGetRunMode
    get_size = binding.aclGetDataBufferSizeV2
    create = binding.aclCreateDataBuffer
    destroy = binding.aclDestroyDataBuffer
    cell = ffi.new("aclrtRunMode *")
    data = ffi.cast("void *", data_addr)
    live = ffi.cast("aclDataBuffer *", live_addr)
    _expect((get_run_mode(cell), cell[0]), (0, 1), "binding.aclrtGetRunMode")
    _expect(get_size(live), BUFFER_BYTES, "binding.aclGetDataBufferSizeV2")
    _expect(destroy(create(data, BUFFER_BYTES)), 0, "binding.aclDestroyDataBuffer(aclCreateDataBuffer())")
    cases[RUN_MODE]["binding"] = T.loop1(get_run_mode, cell, n)
    cases[BUFFER_SIZE]["binding"] = T.loop1(get_size, live, n)
    cases[CREATE_DESTROY]["binding"] = T.loop_pair(create, destroy, data, BUFFER_BYTES, n)

    # capi: the checked wrappers, as a user calls them.
    _expect(capi.aclrtGetRunMode(), 1, "capi.aclrtGetRunMode")
    _expect(capi.aclGetDataBufferSizeV2(live), BUFFER_BYTES, "capi.aclGetDataBufferSizeV2")
    _expect(capi.aclDestroyDataBuffer(capi.aclCreateDataBuffer(data, BUFFER_BYTES)), None, "capi create/destroy")
    cases[RUN_MODE]["capi"] = T.loop0(capi.aclrtGetRunMode, n)
    cases[BUFFER_SIZE]["capi"] = T.loop1(capi.aclGetDataBufferSizeV2, live, n)
    cases[CREATE_DESTROY]["capi"] = T.loop_pair(capi.aclCreateDataBuffer, capi.aclDestroyDataBuffer, data,
                                                BUFFER_BYTES, n)

    # ctypes on the same library the binding dispatches to, arguments made once.
    ct = _ctypes_functions(backend_info().libraries["ascendcl"])
    ct_cell = ctypes.c_int(0)
    ct_cell_p = ctypes.pointer(ct_cell)
    ct_data = ctypes.c_void_p(data_addr)
    ct_live = ctypes.c_void_p(live_addr)
    _expect((ct[RUN_MODE](ct_cell_p), ct_cell.value), (0, 1), "ctypes aclrtGetRunMode")
    _expect(ct[BUFFER_SIZE](ct_live), BUFFER_BYTES, "ctypes aclGetDataBufferSizeV2")
    _expect(ct["aclDestroyDataBuffer"](ct["aclCreateDataBuffer"](ct_data, BUFFER_BYTES)), 0, "ctypes create/destroy")
    cases[RUN_MODE]["ctypes"] = T.loop1(ct[RUN_MODE], ct_cell_p, n)
    cases[BUFFER_SIZE]["ctypes"] = T.loop1(ct[BUFFER_SIZE], ct_live, n)
    cases[CREATE_DESTROY]["ctypes"] = T.loop_pair(ct["aclCreateDataBuffer"], ct["aclDestroyDataBuffer"], ct_data,
                                                  BUFFER_BYTES, n)

    if direct is not None:
        dffi, dlib = direct
        d_cell = dffi.new("aclrtRunMode *")
        d_data = dffi.cast("void *", data_addr)
        d_live = dffi.cast("aclDataBuffer *", live_addr)
        d_run_mode, d_trivial = dlib.aclrtGetRunMode, dlib.acllite_bench_run_mode
        d_size, d_create, d_destroy = dlib.aclGetDataBufferSizeV2, dlib.aclCreateDataBuffer, dlib.aclDestroyDataBuffer
        _expect((d_run_mode(d_cell), d_cell[0]), (0, 1), "direct aclrtGetRunMode")
        d_cell[0] = 0
        _expect((d_trivial(d_cell), d_cell[0]), (0, 1), "acllite_bench_run_mode")
        _expect(d_size(d_live), BUFFER_BYTES, "direct aclGetDataBufferSizeV2")
        _expect(d_destroy(d_create(d_data, BUFFER_BYTES)), 0, "direct create/destroy")
        cases[RUN_MODE]["direct_cffi"] = T.loop1(d_run_mode, d_cell, n)
        cases[RUN_MODE]["direct_cffi_trivial"] = T.loop1(d_trivial, d_cell, n)
        cases[BUFFER_SIZE]["direct_cffi"] = T.loop1(d_size, d_live, n)
        cases[CREATE_DESTROY]["direct_cffi"] = T.loop_pair(d_create, d_destroy, d_data, BUFFER_BYTES, n)
    return cases


def _baseline(call: str, path: str, present: Dict[str, Any]) -> str:
    """The path each path is compared with (a ratio > 1: slower than the baseline)."""
    if path in ("capi", "ctypes"):
        return "binding"
    if path == "binding":
        return "direct_cffi" if "direct_cffi" in present else "binding"
    if path == "direct_cffi" and "direct_cffi_trivial" in present:
        return "direct_cffi_trivial"
    return path


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    """Run the benchmark, print its table, return one record per (call, path)."""
    import acllite
    from .. import binding, capi

    repeat = args.repeat or DEFAULT_REPEAT
    info = acllite.backend_info()
    direct, skipped = _direct_module(info.libraries["ascendcl"])

    records: List[Dict[str, Any]] = []
    rows: List[List[str]] = []
    runtime = None if acllite.is_initialized() else acllite.init()
    try:
        with acllite.Device(0) as dev:
            mem = dev.alloc(BUFFER_BYTES)
            live = capi.aclCreateDataBuffer(mem.ptr, BUFFER_BYTES)  # raises on NULL
            try:
                live_addr = int(binding.ffi.cast("uintptr_t", live))
                all_cases = _cases(mem.ptr, live_addr, direct)
                overhead = T.loop_overhead_ns(LOOPS)
                for call in CALLS:
                    cases = all_cases[call]
                    samples = T.interleave(cases, {p: LOOPS for p in cases}, repeat)
                    st = {p: T.stats(v) for p, v in samples.items()}
                    for path in PATHS:
                        if path not in st:
                            continue
                        base = _baseline(call, path, st)
                        extra: Dict[str, Any] = {}
                        if call == RUN_MODE and path == "binding" and "direct_cffi_trivial" in st:
                            extra["ratio_vs_trivial"] = st[path].median / st["direct_cffi_trivial"].median
                        rec = T.record(BENCH, "%s/%s" % (call, path), "median", st[path].median, "ns/call",
                                       "%s/%s" % (call, base), st[base].median, call=call, path=path,
                                       p10=st[path].p10, p90=st[path].p90, loops=LOOPS, repeat=repeat,
                                       description=PATHS[path], **extra)
                        records.append(rec)
                        rows.append([call, PATHS[path], T.fmt(st[path].median),
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

    print("acllite bench calls: %s" % T.banner())
    print(T.format_table(["call", "path", "ns/call", "p10-p90", "ratio", "vs"], rows, "llrrrl"))
    print("ns per call: median of %d repetitions of a loop of %d calls, minus the cost of an empty loop of the "
          "same length (%.1f ns per iteration, subtracted); paths of one call interleaved." % (repeat, LOOPS,
                                                                                               overhead))
    if direct is None:
        print("direct cffi rows skipped: %s" % skipped)
    by = {r["case"]: r for r in records}
    parts = []
    for call in CALLS:
        b = by.get("%s/binding" % call)
        d = by.get("%s/direct_cffi" % call)
        c = by.get("%s/ctypes" % call)
        if b and d:
            parts.append("%s: binding/direct %.2fx" % (call, b["value"] / d["value"]) +
                         (", binding/trivial %.2fx" % b["ratio_vs_trivial"] if "ratio_vs_trivial" in b else "") +
                         (", ctypes/binding %.2fx" % c["ratio"] if c else ""))
        elif b and c:
            parts.append("%s: ctypes/binding %.2fx" % (call, c["ratio"]))
    for p in parts:
        print(p)
    return records
