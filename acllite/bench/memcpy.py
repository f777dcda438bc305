"""``acllite bench memcpy``: host<->device copy bandwidth through acllite, against numpy's copy in the same run.

For each size (4 KiB, 64 KiB, 1 MiB, 16 MiB, 256 MiB, up to ``--max-size``) and each direction it times:

* the hot path a user writes: ``DeviceBuffer.copy_from(ndarray)`` (H2D), ``DeviceBuffer.copy_to(ndarray)``
  (D2H), ``DeviceBuffer.copy_from(DeviceBuffer)`` (D2D);
* the raw binding: ``binding.aclrtMemcpy`` bound to a local name, called with cdata pointers made once;
* the baseline: ``numpy.copyto`` between two host arrays of the same size.

Bandwidth counts each byte once (size / time per copy). ``ratio`` is acllite's GB/s over numpy's GB/s for the
same size, measured interleaved in the same run (> 1: faster than numpy's copy). Times are medians of
``--repeat`` repetitions (default 15); each repetition is a loop whose length is scaled to the size, and the
cost of an empty loop is subtracted. Buffers are placed so that every copy, numpy's included, has
(dst - src) mod 4096 == 0 (see :func:`_measure_size` for the two glibc address traps this avoids).
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, List, Tuple

import numpy as np

from . import _timing as T

BENCH = "memcpy"
SIZES = (4 << 10, 64 << 10, 1 << 20, 16 << 20, 256 << 20)
DEFAULT_REPEAT = 15
#: Bytes moved per timed repetition: sets the loop length (4 KiB: 16384 copies, 256 MiB: 1).
TARGET_BYTES = 64 << 20
MAX_ITERATIONS = 20000
#: Largest size whose ns per call is shown (above it, a call is all copy and GB/s says it all).
SMALL = 64 << 10
PAGE = 4096

#: (case id, what it runs), in table order. The first is the baseline of all the others.
CASES: Tuple[Tuple[str, str], ...] = (
    ("numpy_copyto", "numpy.copyto(dst, src), host -> host"),
    ("h2d_copy_from", "H2D  DeviceBuffer.copy_from(ndarray)"),
    ("d2h_copy_to", "D2H  DeviceBuffer.copy_to(ndarray)"),
    ("d2d_copy_from", "D2D  DeviceBuffer.copy_from(DeviceBuffer)"),
    ("h2d_binding", "H2D  binding.aclrtMemcpy"),
    ("d2h_binding", "D2H  binding.aclrtMemcpy"),
    ("d2d_binding", "D2D  binding.aclrtMemcpy"),
)
BASELINE = CASES[0][0]


def aligned_empty(nbytes: int, align: int = PAGE, phase: int = 0) -> np.ndarray:
    """An uninitialised uint8 array of nbytes whose address is ``phase`` modulo ``align``."""
    raw = np.empty(nbytes + align, np.uint8)
    off = (phase - raw.__array_interface__["data"][0]) % align
    return raw[off:off + nbytes]


def iterations(size: int) -> int:
    return max(1, min(MAX_ITERATIONS, TARGET_BYTES // size))


def _size_name(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return "%d %s" % (n >> shift, unit)
    return "%d B" % n


def _measure_size(dev: Any, size: int, repeat: int) -> Dict[str, List[float]]:
    from .. import binding
    from ..errors import check

    ffi = binding.ffi
    memcpy = binding.aclrtMemcpy
    h2d, d2h, d2d = 1, 2, 3  # aclrtMemcpyKind

    # Every copy timed here, numpy's included, runs with (dst - src) mod 4096 == 0, so that all paths copy
    # under the same conditions. Why: glibc's memcpy on this machine kind (AMD Zen 3) has two address traps.
    # From about 2 KiB to 512 KiB it uses `rep movsb`, which drops to ~3 GB/s (16-27x slower) when
    # (dst - src) mod 4096 is 1..16 (perf_baseline.md); above its non-temporal threshold (measured at 256 MiB)
    # it drops from ~17 to ~3.7 GB/s when (dst - src) mod 4096 is 64..256. numpy's allocator can produce the
    # first, and two equal-size buffers allocated back to back by the emulator (128-byte aligned starts, spans
    # of size + 128 bytes) are exactly 128 mod 4096 apart: the second. Either would be charged to whichever
    # path got the unlucky pair. So the host arrays take the page offset of the first device buffer, and the
    # D2D destination is an offset into a buffer one page larger, chosen to match too.
    # Not equalised: page size. numpy asks for transparent huge pages on large arrays (madvise), the emulator's
    # device memory has 4 KiB pages, so at 256 MiB the extra TLB misses cost D2D (both sides 4 KiB pages) about
    # 10% against numpy's copy; with MADV_HUGEPAGE on the device buffers D2D measured 1.01-1.04x numpy.
    d1 = dev.alloc(size)
    d2 = dev.alloc(size + PAGE)
    try:
        phase = d1.ptr % PAGE
        d2_off = (d1.ptr - d2.ptr) % PAGE
        src = aligned_empty(size, PAGE, phase)
        src[:] = np.arange(size, dtype=np.uint8)  # touches every page before timing starts
        dst = aligned_empty(size, PAGE, phase)
        dst.fill(0)
        d1.fill(0)
        d2.fill(0)
        p_src = ffi.from_buffer(src)
        p_dst = ffi.from_buffer(dst, require_writable=True)
        p_d1 = ffi.cast("void *", d1.ptr)
        p_d2 = ffi.cast("void *", d2.ptr + d2_off)
        assert {(d - s_) % PAGE for d, s_ in [(dst.ctypes.data, src.ctypes.data), (d1.ptr, src.ctypes.data),
                                              (dst.ctypes.data, d1.ptr), (d2.ptr + d2_off, d1.ptr)]} == {0}
        # The raw calls return a status that the timed loops ignore: check once that they succeed (a failing
        # call would be timed as a fast one) and that the bytes arrive.
        check(memcpy(p_d1, size, p_src, size, h2d), "aclrtMemcpy")
        check(memcpy(p_d2, size, p_d1, size, d2d), "aclrtMemcpy")
        check(memcpy(p_dst, size, p_d2, size, d2h), "aclrtMemcpy")
        if not np.array_equal(src, dst):
            raise AssertionError("aclrtMemcpy H2D -> D2D -> D2H did not return the bytes sent")

        n = iterations(size)
        cases = {
            "numpy_copyto": T.loop2(np.copyto, dst, src, n),
            "h2d_copy_from": T.loop1(d1.copy_from, src, n),
            "d2h_copy_to": T.loop1(d1.copy_to, dst, n),
            "d2d_copy_from": T.loop3(d2.copy_from, d1, None, d2_off, n),  # (src, stream, offset)
            "h2d_binding": T.loop5(memcpy, p_d1, size, p_src, size, h2d, n),
            "d2h_binding": T.loop5(memcpy, p_dst, size, p_d1, size, d2h, n),
            "d2d_binding": T.loop5(memcpy, p_d2, size, p_d1, size, d2d, n),
        }
        assert [c for c, _ in CASES] == list(cases)
        return T.interleave(cases, {c: n for c in cases}, repeat)
    finally:
        d2.close()
        d1.close()


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    """Run the benchmark, print its table, return one record per (size, case)."""
    import acllite

    repeat = args.repeat or DEFAULT_REPEAT
    sizes = [s for s in SIZES if s <= args.max_size]
    if not sizes:
        print("memcpy: no size <= --max-size %d (sizes: %s)" % (args.max_size, ", ".join(map(str, SIZES))))
        return []

    records: List[Dict[str, Any]] = []
    rows: List[List[str]] = []
    runtime = None if acllite.is_initialized() else acllite.init()
    try:
        with acllite.Device(0) as dev:
            for size in sizes:
                samples = _measure_size(dev, size, repeat)
                ns = {case: T.stats(v) for case, v in samples.items()}
                base_gbps = size / ns[BASELINE].median
                for case, label in CASES:
                    s = ns[case]
                    gbps = size / s.median  # bytes per ns == GB/s
                    rec = T.record(BENCH, case, "median", gbps, "GB/s", BASELINE, base_gbps,
                                   size_bytes=size, p10=size / s.p90, p90=size / s.p10, ns_per_call=s.median,
                                   iterations=iterations(size), repeat=repeat, description=label)
                    records.append(rec)
                    rows.append([_size_name(size), label, T.fmt(gbps),
                                 "%s-%s" % (T.fmt(rec["p10"], 2), T.fmt(rec["p90"], 2)),
                                 "%.0f" % s.median if size <= SMALL else "-", "%.2f" % rec["ratio"]])
    finally:
        if runtime is not None:
            runtime.close()

    print("acllite bench memcpy: %s" % T.banner())
    print(T.format_table(["size", "path", "GB/s", "p10-p90", "ns/call", "x numpy"], rows, "llrrrr"))
    print("GB/s counts each byte once; median of %d repetitions (loops of %d MiB per repetition, empty-loop cost "
          "subtracted), cases interleaved." % (repeat, TARGET_BYTES >> 20))
    print("x numpy = GB/s / numpy.copyto GB/s of the same size in this run. In every copy timed (numpy's too), "
          "(dst - src) mod 4096 == 0.")
    for what, suffix in (("binding.aclrtMemcpy", "_binding"), ("DeviceBuffer.copy_from", "_copy_from"),
                         ("DeviceBuffer.copy_to", "_copy_to")):
        large = [r["ratio"] for r in records if r["case"].endswith(suffix) and r["size_bytes"] >= 1 << 20]
        if large:
            print("%s at >= 1 MiB: %.2f-%.2fx numpy" % (what, min(large), max(large)))
    return records
