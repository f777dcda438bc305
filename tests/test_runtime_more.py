"""The runtime functions the emulator gained for issue 14, through the raw binding: 2-D copies, the other
allocations, events with flags, stream configuration and queries, device figures and settings, peer access,
exception callbacks, last errors, versions, float16. Each happy path with its values checked against an independent
reference (numpy, the documented rules), each bad input with its exact code and message; configurations other than
the default (two devices, another SoC, visible devices) in fresh interpreters."""

from __future__ import annotations

import threading
import time
from typing import Any, List, Tuple

import numpy as np
import pytest

from conftest import (StreamHold, child, create_context, create_event, create_stream, expect_error, leak_report,
                      malloc, malloc_host, ok, read_device, recent_message, requires_emulator, run_python_ok,
                      write_device)

from acllite.binding import ffi, lib

pytestmark = requires_emulator

GARBAGE = ffi.cast("void *", 0x1234)
H2H, H2D, D2H, D2D, DEFAULT = 0, 1, 2, 3, 4
GIB = 1 << 30
MAX_HEIGHT, MAX_WIDTH = 5 * 1024 * 1024, 5000000
#: The emulator's operator timeout interval (us) and limit (254 intervals = the documented 1091 s default).
INTERVAL_US = 4294967
MAX_US = 254 * INTERVAL_US


def at(ptr: Any, offset: int) -> Any:
    return ffi.cast("void *", ffi.cast("char *", ptr) + offset)


def addr(ptr: Any) -> int:
    return int(ffi.cast("uintptr_t", ptr))


def rng_bytes(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8)


def dvpp_malloc(size: int) -> Any:
    cell = ffi.new("void **")
    ok(lib.acldvppMalloc(cell, size), "acldvppMalloc")
    return cell[0]


def p(array: np.ndarray) -> Any:
    return ffi.from_buffer(array, require_writable=True)


# ============================================================================ 2-D copies


@pytest.mark.parametrize("width,height,spitch,dpitch", [
    (1920, 16, 2048, 1920),  # a DVPP plane, packed on the way
    (100, 7, 100, 100),      # both packed: one copy
    (1, 1, 1, 1),
    (37, 5, 64, 50),         # neither packed
])
def test_memcpy2d_round_trip(acl: Any, width: int, height: int, spitch: int, dpitch: int) -> None:
    src = rng_bytes(spitch * height, width).reshape(height, spitch)
    dev = malloc(dpitch * height)
    ok(lib.aclrtMemcpy2d(dev, dpitch, p(src), spitch, width, height, H2D))
    got = np.frombuffer(read_device(dev, dpitch * height), np.uint8).reshape(height, dpitch)
    assert np.array_equal(got[:, :width], src[:, :width])
    back = np.zeros((height, spitch), np.uint8)
    ok(lib.aclrtMemcpy2d(p(back), spitch, dev, dpitch, width, height, D2H))
    assert np.array_equal(back[:, :width], src[:, :width]) and not back[:, width:].any()  # the gaps untouched
    ok(lib.aclrtFree(dev))


def test_memcpy2d_packs_a_dvpp_plane_and_resolves_default(acl: Any) -> None:
    w, h, stride = 1920, 8, 2048
    plane = rng_bytes(stride * h, 3).reshape(h, stride)
    dvpp = dvpp_malloc(stride * h)
    write_device(dvpp, plane.tobytes())
    host = np.empty((h, w), np.uint8)
    ok(lib.aclrtMemcpy2d(p(host), w, dvpp, stride, w, h, DEFAULT))  # the runtime sees device -> host
    assert np.array_equal(host, plane[:, :w])
    both_host = np.zeros(64, np.uint8)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "kind ACL_MEMCPY_DEFAULT, and the addresses make it a host to host copy",
                 lib.aclrtMemcpy2d, p(both_host), 8, p(host), 8, 8, 2, DEFAULT)
    dev = malloc(stride * h)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "make it a device to device copy: aclrtMemcpy2d supports host to "
                 "device and device to host", lib.aclrtMemcpy2d, dev, stride, dvpp, stride, w, h, DEFAULT)
    expect_error(lib.ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "the synchronous 2-D copy does only host to device and device "
                 "to host (device to device: aclrtMemcpy2dAsync)", lib.aclrtMemcpy2d, dev, stride, dvpp, stride, w, h,
                 D2D)
    ok(lib.aclrtFree(dev))
    ok(lib.acldvppFree(dvpp))


def test_memcpy2d_bad_arguments(acl: Any) -> None:
    dev = malloc(4096)
    host = np.zeros(4096, np.uint8)
    h = p(host)
    cases: List[Tuple[int, str, Tuple[Any, ...]]] = [
        (lib.ACL_ERROR_INVALID_PARAM, "dst is NULL", (ffi.NULL, 64, h, 64, 64, 4, H2D)),
        (lib.ACL_ERROR_INVALID_PARAM, "src is NULL", (dev, 64, ffi.NULL, 64, 64, 4, H2D)),
        (lib.ACL_ERROR_INVALID_PARAM, "height is 0", (dev, 64, h, 64, 64, 0, H2D)),
        (lib.ACL_ERROR_INVALID_PARAM, "width is 0", (dev, 64, h, 64, 0, 4, H2D)),
        (lib.ACL_ERROR_INVALID_PARAM, "width 65 is larger than spitch 64: it must not exceed spitch (64) or dpitch "
         "(128)", (dev, 128, h, 64, 65, 4, H2D)),
        (lib.ACL_ERROR_INVALID_PARAM, "width 65 is larger than dpitch 64", (dev, 64, h, 128, 65, 4, H2D)),
        (lib.ACL_ERROR_INVALID_PARAM, "width 1 is larger than dpitch 0", (dev, 0, h, 64, 1, 4, H2D)),
        (lib.ACL_ERROR_INVALID_PARAM, "kind 0 (ACL_MEMCPY_HOST_TO_HOST): expected ACL_MEMCPY_HOST_TO_DEVICE, "
         "ACL_MEMCPY_DEVICE_TO_HOST, ACL_MEMCPY_DEVICE_TO_DEVICE or ACL_MEMCPY_DEFAULT", (dev, 64, h, 64, 64, 4, H2H)),
        (lib.ACL_ERROR_INVALID_PARAM, "kind 7 (ACL_MEMCPY_INTER_DEVICE_TO_DEVICE)", (dev, 64, h, 64, 64, 4, 7)),
        (lib.ACL_ERROR_INVALID_PARAM, "kind 99 (?)", (dev, 64, h, 64, 64, 4, 99)),
        (lib.ACL_ERROR_RT_PARAM_INVALID, "height %d is larger than %d" % (MAX_HEIGHT + 1, MAX_HEIGHT),
         (dev, 1, h, 1, 1, MAX_HEIGHT + 1, H2D)),
        (lib.ACL_ERROR_RT_PARAM_INVALID, "width %d is larger than %d" % (MAX_WIDTH + 1, MAX_WIDTH),
         (dev, MAX_WIDTH + 1, h, MAX_WIDTH + 1, MAX_WIDTH + 1, 1, H2D)),
        (lib.ACL_ERROR_RT_PARAM_INVALID, "the destination spans (height - 1) * dpitch + width = (3 - 1) * %d + 1 bytes, "
         "more than the address space" % (1 << 63), (dev, 1 << 63, h, 1, 1, 3, H2D)),
        (lib.ACL_ERROR_RT_PARAM_INVALID, "the source spans (height - 1) * spitch + width", (dev, 1, h, 1 << 63, 1, 3,
                                                                                              H2D)),
        (lib.ACL_ERROR_RT_PARAM_INVALID, "dst range [0x%x, +4099) leaves its allocation: 4096 bytes" % addr(dev),
         (dev, 1025, h, 1024, 1024, 4, H2D)),
        (lib.ACL_ERROR_RT_PARAM_INVALID, "kind ACL_MEMCPY_HOST_TO_DEVICE does not match the memory: dst",
         (h, 64, h, 64, 64, 4, H2D)),
        (lib.ACL_ERROR_RT_PARAM_INVALID, "kind ACL_MEMCPY_DEVICE_TO_HOST does not match the memory: src",
         (h, 64, h, 64, 64, 4, D2H)),
    ]
    for code, fragment, args in cases:
        expect_error(code, fragment, lib.aclrtMemcpy2d, *args)
        expect_error(code, fragment, lib.aclrtMemcpy2dAsync, *args, ffi.NULL, func="aclrtMemcpy2dAsync")
    ok(lib.aclrtFree(dev))
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "dst 0x%x is in emulated device memory of device 0 but not in a live "
                 "allocation" % addr(dev), lib.aclrtMemcpy2d, dev, 64, h, 64, 64, 4, H2D)
    d2 = malloc(256)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x1234 is not a live stream", lib.aclrtMemcpy2dAsync,
                 d2, 64, h, 64, 64, 2, H2D, GARBAGE)
    ok(lib.aclrtFree(d2))


def test_memcpy2d_before_init(uninitialized: None) -> None:
    buf = np.zeros(64, np.uint8)
    for fn, extra in ((lib.aclrtMemcpy2d, ()), (lib.aclrtMemcpy2dAsync, (ffi.NULL,))):
        expect_error(lib.ACL_ERROR_UNINITIALIZE, "AscendCL is not initialized", fn, p(buf), 8, p(buf), 8, 8, 2, H2D,
                     *extra)


def test_memcpy2d_async_kinds_and_timing(acl: Any) -> None:
    s = create_stream()
    w, h, sp, dp = 48, 6, 64, 48
    src = rng_bytes(sp * h, 9).reshape(h, sp)
    pinned = malloc_host(sp * h)
    ffi.memmove(pinned, src.tobytes(), sp * h)
    dev = malloc(dp * h)
    dev2 = malloc(sp * h)
    with StreamHold(s) as hold:
        ok(lib.aclrtMemcpy2dAsync(dev, dp, pinned, sp, w, h, H2D, s))           # queued behind the hold
        ok(lib.aclrtMemcpy2dAsync(dev2, sp, dev, dp, w, h, D2D, s))             # device to device: async only
        assert read_device(dev, dp * h) == bytes(dp * h)                        # not run yet
        hold.release()
        ok(lib.aclrtSynchronizeStream(s))
    got = np.frombuffer(read_device(dev2, sp * h), np.uint8).reshape(h, sp)
    assert np.array_equal(got[:, :w], src[:, :w])
    # Pageable host memory: the copy is done when the call returns (after the stream's earlier work), no sync.
    out = np.zeros((h, w), np.uint8)
    ok(lib.aclrtMemcpy2dAsync(p(out), w, dev2, sp, w, h, D2H, s))
    assert np.array_equal(out, src[:, :w])
    # ACL_MEMCPY_DEFAULT on two device buffers is a device-to-device copy for the asynchronous call.
    ok(lib.aclrtMemcpy2dAsync(dev, dp, dev2, sp, w, h, DEFAULT, s))
    ok(lib.aclrtSynchronizeStream(s))
    assert np.array_equal(np.frombuffer(read_device(dev, dp * h), np.uint8).reshape(h, dp)[:, :w], src[:, :w])
    out2 = np.zeros(64, np.uint8)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "make it a host to host copy: aclrtMemcpy2dAsync supports host to "
                 "device, device to host and device to device", lib.aclrtMemcpy2dAsync, p(out2), 8, p(out), 8, 8, 2,
                 DEFAULT, s)
    for b in (dev, dev2):
        ok(lib.aclrtFree(b))
    ok(lib.aclrtFreeHost(pinned))
    ok(lib.aclrtDestroyStream(s))


def test_memcpy2d_async_into_freed_memory_fails_at_synchronize(acl: Any) -> None:
    s = create_stream()
    pinned = malloc_host(256)
    dev = malloc(256)
    with StreamHold(s) as hold:
        ok(lib.aclrtMemcpy2dAsync(dev, 16, pinned, 16, 16, 16, H2D, s))
        ok(lib.aclrtFree(dev))
        hold.release()
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "dst 0x%x is in emulated device memory of device 0 but not in a "
                     "live allocation" % addr(dev), lib.aclrtSynchronizeStream, s, func="aclrtMemcpy2dAsync")
    ok(lib.aclrtFreeHost(pinned))
    ok(lib.aclrtDestroyStream(s))


def test_memcpy2d_overlapping_rows_move_row_by_row(acl: Any) -> None:
    """Source and destination extents in one allocation overlapping: each row as memmove copies it, in order."""
    size = 1024
    data = rng_bytes(size, 4)
    dev = malloc(size)
    s = create_stream()
    for dst_off, src_off, w, h, dp, sp in ((8, 0, 40, 10, 48, 48), (0, 30, 20, 12, 24, 40)):
        write_device(dev, data.tobytes())
        model = bytearray(data.tobytes())
        for i in range(h):
            row = bytes(model[src_off + i * sp: src_off + i * sp + w])
            model[dst_off + i * dp: dst_off + i * dp + w] = row
        ok(lib.aclrtMemcpy2dAsync(at(dev, dst_off), dp, at(dev, src_off), sp, w, h, D2D, s))
        ok(lib.aclrtSynchronizeStream(s))
        assert read_device(dev, size) == bytes(model)
    ok(lib.aclrtDestroyStream(s))
    ok(lib.aclrtFree(dev))


# ============================================================================ allocations


def test_malloc_cached_align32_and_their_footprints(acl: Any) -> None:
    cell = ffi.new("void **")
    # Next-fit: the allocation after one starts where its footprint ends (blocks are 128-byte aligned).
    ok(lib.aclrtMallocAlign32(cell, 100, 0))
    a = cell[0]
    b = malloc(100)
    c = malloc(8)
    assert addr(b) - addr(a) == 128   # ALIGN_UP(100, 32) = 128: no padding
    assert addr(c) - addr(b) == 256   # aclrtMalloc: ALIGN_UP(100, 32) + 32 = 160 -> 256
    write_device(a, bytes(100))
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "leaves its allocation: 100 bytes", lib.aclrtMemcpy, a, 101,
                 ffi.from_buffer(bytes(101)), 101, H2D)
    ok(lib.aclrtMallocCached(cell, 4096, lib.ACL_MEM_MALLOC_NORMAL_ONLY))
    cached = cell[0]
    write_device(cached, b"\x5a" * 4096)
    ok(lib.aclrtMemFlush(cached, 4096))
    ok(lib.aclrtMemInvalidate(at(cached, 100), 200))
    assert read_device(cached, 4096) == b"\x5a" * 4096
    for fn in (lib.aclrtMallocCached, lib.aclrtMallocAlign32):
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "the output pointer is NULL", fn, ffi.NULL, 64, 0)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "size is 0", fn, cell, 0, 0)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "unknown memory policy 0x9", fn, cell, 64, 9)
        expect_error(lib.ACL_ERROR_RT_MEMORY_ALLOCATION, "the emulated device has", fn, cell, 1 << 40, 0)
    for x in (a, b, c, cached):
        ok(lib.aclrtFree(x))


def test_mem_flush_and_invalidate_bad_ranges(acl: Any) -> None:
    dev = malloc(256)
    host = np.zeros(64, np.uint8)
    for fn in (lib.aclrtMemFlush, lib.aclrtMemInvalidate):
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "devPtr is NULL", fn, ffi.NULL, 64)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "size is 0", fn, dev, 0)
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "is host memory, not device memory", fn, p(host), 64)
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr range [0x%x, +257) leaves its allocation" % addr(dev), fn,
                     dev, 257)
    ok(lib.aclrtFree(dev))
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "not in a live allocation", lib.aclrtMemFlush, dev, 8)


def test_malloc_with_cfg(acl: Any) -> None:
    cell = ffi.new("void **")
    ok(lib.aclrtMallocWithCfg(cell, 100, 0, ffi.NULL))
    a = cell[0]
    cfg = ffi.new("aclrtMallocConfig *")
    attrs = ffi.new("aclrtMallocAttribute[3]")
    attrs[0].attr = lib.ACL_RT_MEM_ATTR_MODULE_ID
    attrs[0].value.moduleId = 7
    attrs[1].attr = lib.ACL_RT_MEM_ATTR_DEVICE_ID
    attrs[1].value.deviceId = 0
    attrs[2].attr = lib.ACL_RT_MEM_ATTR_VA_FLAG
    attrs[2].value.vaFlag = 1
    cfg.attrs, cfg.numAttrs = attrs, 3
    ok(lib.aclrtMallocWithCfg(cell, 100, 0, cfg))
    b = cell[0]
    assert addr(b) - addr(a) == 128  # no padding, as aclrtMallocAlign32
    ok(lib.aclrtMallocHostWithCfg(cell, 64, cfg))
    h = cell[0]
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "is pinned host memory (aclrtMallocHost), not device memory",
                 lib.aclrtFree, h)
    ok(lib.aclrtFreeHost(h))
    for name in ("aclrtMallocWithCfg", "aclrtMallocHostWithCfg"):
        def call(out: Any, size: int, c: Any, name: str = name) -> int:
            if name == "aclrtMallocWithCfg":
                return int(lib.aclrtMallocWithCfg(out, size, 0, c))
            return int(lib.aclrtMallocHostWithCfg(out, size, c))
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "the output pointer is NULL", call, ffi.NULL, 64, ffi.NULL, func=name)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "size is 0", call, cell, 0, ffi.NULL, func=name)
        bad = ffi.new("aclrtMallocConfig *")
        bad.numAttrs = 2
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "cfg->attrs is NULL while cfg->numAttrs is 2", call, cell, 64, bad,
                     func=name)
        one = ffi.new("aclrtMallocAttribute[1]")
        bad.attrs, bad.numAttrs = one, 1
        one[0].attr = lib.ACL_RT_MEM_ATTR_DEVICE_ID
        one[0].value.deviceId = 3
        expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "device 3 does not exist", call, cell, 64, bad, func=name)
        one[0].value.deviceId = 0xFFFFFFFF
        expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "cfg->attrs[0]: device 4294967295 does not exist", call, cell,
                     64, bad, func=name)
        one[0].attr = lib.ACL_RT_MEM_ATTR_VA_FLAG
        one[0].value.vaFlag = 2
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "cfg->attrs[0]: vaFlag 2 is not 0 or 1", call, cell, 64, bad,
                     func=name)
        one[0].attr = 9
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "cfg->attrs[0]: unknown attribute 9", call, cell, 64, bad,
                     func=name)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "unknown memory policy 0x8", lib.aclrtMallocWithCfg, cell, 64, 8, ffi.NULL)
    ok(lib.aclrtFree(a))
    ok(lib.aclrtFree(b))


def test_free_with_device_sync_waits_for_the_streams(acl: Any) -> None:
    s = create_stream()
    dev = malloc(1 << 20)
    write_device(dev, b"\x07" * (1 << 20))
    out = malloc_host(1 << 20)
    ok(lib.aclrtMemcpyAsync(out, 1 << 20, dev, 1 << 20, D2H, s))
    ok(lib.aclrtFreeWithDevSync(dev))   # the copy ran before the memory went
    assert ffi.buffer(out, 1 << 20)[:] == b"\x07" * (1 << 20)
    ok(lib.aclrtFreeHostWithDevSync(out))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "pointer is NULL", lib.aclrtFreeWithDevSync, ffi.NULL)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "is not a live allocation (double free?)", lib.aclrtFreeWithDevSync,
                 dev)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "is not a live allocation", lib.aclrtFreeHostWithDevSync, out)
    # A task that failed is reported by the free, which still frees.
    victim = malloc(64)
    with StreamHold(s) as hold:
        ok(lib.aclrtMemsetAsync(victim, 64, 1, 64, s))
        ok(lib.aclrtFree(victim))
        hold.release()
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr 0x%x is in emulated device memory" % addr(victim),
                     lib.aclrtFreeWithDevSync, malloc(8), func="aclrtMemsetAsync")
    ok(lib.aclrtDestroyStream(s))


def test_get_mem_info_for_every_attribute(acl: Any) -> None:
    free, total = ffi.new("size_t *"), ffi.new("size_t *")
    buf = malloc(GIB)
    for attr in range(lib.ACL_MEM_P2P_HUGE1G + 1):
        ok(lib.aclrtGetMemInfo(attr, free, total))
        assert total[0] == 8 * GIB and total[0] - free[0] >= GIB, attr
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "unknown memory attribute 18", lib.aclrtGetMemInfo, 18, free, total)
    ok(lib.aclrtFree(buf))


# ============================================================================ events with flags


def event_with(flag: int, ex: bool = False) -> Any:
    cell = ffi.new("aclrtEvent *")
    ok((lib.aclrtCreateEventExWithFlag if ex else lib.aclrtCreateEventWithFlag)(cell, flag), "create event 0x%x" % flag)
    return cell[0]


def test_event_flags_say_what_an_event_can_do(acl: Any) -> None:
    s = create_stream()
    sync_time = event_with(lib.ACL_EVENT_SYNC | lib.ACL_EVENT_TIME_LINE)
    time_only = event_with(lib.ACL_EVENT_TIME_LINE)
    sync_only = event_with(lib.ACL_EVENT_SYNC)
    external = event_with(lib.ACL_EVENT_EXTERNAL)
    for e in (sync_time, time_only, sync_only, external):
        ok(lib.aclrtRecordEvent(e, s))
    ok(lib.aclrtSynchronizeStream(s))
    ms = ffi.new("float *")
    ok(lib.aclrtEventElapsedTime(ms, sync_time, time_only))
    assert ms[0] >= 0
    stamp = ffi.new("uint64_t *")
    ok(lib.aclrtEventGetTimestamp(time_only, stamp))
    assert abs(stamp[0] - time.monotonic_ns() // 1000) < 60_000_000  # microseconds of the monotonic clock
    ok(lib.aclrtStreamWaitEvent(s, sync_only))
    ok(lib.aclrtResetEvent(sync_only, s))
    ok(lib.aclrtSynchronizeStream(s))
    refused = [
        ("aclrtStreamWaitEvent", "cannot be waited for by a stream: it was made without ACL_EVENT_SYNC",
         lib.aclrtStreamWaitEvent, (s, time_only)),
        ("aclrtResetEvent", "cannot be reset: it was made without ACL_EVENT_SYNC", lib.aclrtResetEvent, (time_only, s)),
        ("aclrtEventElapsedTime", "cannot be timed: it was made without ACL_EVENT_TIME_LINE", lib.aclrtEventElapsedTime,
         (ms, sync_only, sync_time)),
        ("aclrtEventGetTimestamp", "cannot be timed: it was made without ACL_EVENT_TIME_LINE",
         lib.aclrtEventGetTimestamp, (sync_only, stamp)),
        ("aclrtSynchronizeEvent", "cannot be synchronized: it was made with ACL_EVENT_EXTERNAL",
         lib.aclrtSynchronizeEvent, (external,)),
        ("aclrtQueryEventStatus", "cannot be queried: it was made with ACL_EVENT_EXTERNAL", lib.aclrtQueryEventStatus,
         (external, ffi.new("aclrtEventRecordedStatus *"))),
        ("aclrtEventElapsedTime", "it was made with ACL_EVENT_EXTERNAL", lib.aclrtEventElapsedTime,
         (ms, external, sync_time)),
    ]
    for name, fragment, fn, args in refused:
        expect_error(lib.ACL_ERROR_RT_FEATURE_NOT_SUPPORT, fragment, fn, *args, func=name)
    for e in (sync_time, time_only, sync_only, external):
        ok(lib.aclrtDestroyEvent(e))
    ok(lib.aclrtDestroyStream(s))


def test_event_flag_values(acl: Any) -> None:
    cell = ffi.new("aclrtEvent *")
    for flag in (0, 0x80, 0x4, lib.ACL_EVENT_SYNC | 0x100):
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "flag 0x%x: expected ACL_EVENT_SYNC, "
                     "ACL_EVENT_CAPTURE_STREAM_PROGRESS, ACL_EVENT_TIME_LINE and ACL_EVENT_DEVICE_USE_ONLY or'ed, or "
                     "ACL_EVENT_EXTERNAL alone" % flag, lib.aclrtCreateEventWithFlag, cell, flag)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "ACL_EVENT_EXTERNAL cannot be or'ed with other flags",
                 lib.aclrtCreateEventWithFlag, cell, lib.ACL_EVENT_EXTERNAL | lib.ACL_EVENT_SYNC)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "event is NULL", lib.aclrtCreateEventWithFlag, ffi.NULL,
                 lib.ACL_EVENT_SYNC)
    for flag in (0, lib.ACL_EVENT_DEVICE_USE_ONLY, lib.ACL_EVENT_EXTERNAL):
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "flag 0x%x: expected ACL_EVENT_SYNC, "
                     "ACL_EVENT_CAPTURE_STREAM_PROGRESS and ACL_EVENT_TIME_LINE or'ed, or ACL_EVENT_IPC alone" % flag,
                     lib.aclrtCreateEventExWithFlag, cell, flag)
    expect_error(lib.ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "inter-process events (ACL_EVENT_IPC) are not emulated",
                 lib.aclrtCreateEventExWithFlag, cell, lib.ACL_EVENT_IPC)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "ACL_EVENT_IPC cannot be or'ed with other flags",
                 lib.aclrtCreateEventExWithFlag, cell, lib.ACL_EVENT_IPC | lib.ACL_EVENT_SYNC)
    ok(lib.aclrtCreateEventWithFlag(cell, lib.ACL_EVENT_CAPTURE_STREAM_PROGRESS | lib.ACL_EVENT_DEVICE_USE_ONLY))
    ok(lib.aclrtDestroyEvent(cell[0]))
    ok(lib.aclrtCreateEventExWithFlag(cell, lib.ACL_EVENT_CAPTURE_STREAM_PROGRESS))
    ok(lib.aclrtDestroyEvent(cell[0]))
    ex = event_with(lib.ACL_EVENT_SYNC | lib.ACL_EVENT_TIME_LINE, ex=True)
    ok(lib.aclrtRecordEvent(ex, ffi.NULL))
    ok(lib.aclrtSynchronizeEvent(ex))
    for name, fn, args in (("aclrtResetEvent", lib.aclrtResetEvent, (ex, ffi.NULL)),
                           ("aclrtQueryEvent", lib.aclrtQueryEvent, (ex, ffi.new("aclrtEventStatus *"))),
                           ("aclrtQueryEventWaitStatus", lib.aclrtQueryEventWaitStatus,
                            (ex, ffi.new("aclrtEventWaitStatus *")))):
        expect_error(lib.ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "it was made by aclrtCreateEventExWithFlag", fn, *args,
                     func=name)
    ok(lib.aclrtDestroyEvent(ex))


def test_event_queries_ids_and_timeouts(acl: Any) -> None:
    a, b = create_stream(), create_stream()
    e = create_event()
    status = ffi.new("aclrtEventStatus *")
    ok(lib.aclrtQueryEvent(e, status))
    assert status[0] == lib.ACL_EVENT_STATUS_COMPLETE  # never recorded: complete, as CANN reports it
    wait = ffi.new("aclrtEventWaitStatus *")
    with StreamHold(a) as hold:
        ok(lib.aclrtRecordEvent(e, a))
        ok(lib.aclrtStreamWaitEvent(b, e))
        ok(lib.aclrtQueryEvent(e, status))
        assert status[0] == lib.ACL_EVENT_STATUS_NOT_READY
        ok(lib.aclrtQueryEventWaitStatus(e, wait))
        assert wait[0] == lib.ACL_EVENT_WAIT_STATUS_NOT_READY
        expect_error(lib.ACL_ERROR_RT_EVENT_SYNC_TIMEOUT, "the event's record had not run after 30 ms",
                     lib.aclrtSynchronizeEventWithTimeout, e, 30)
        stamp = ffi.new("uint64_t *")
        expect_error(lib.ACL_ERROR_RT_EVENT_NOT_COMPLETE, "the event's record has not run yet",
                     lib.aclrtEventGetTimestamp, e, stamp)
        hold.release()
        ok(lib.aclrtSynchronizeEventWithTimeout(e, 5000))
    ok(lib.aclrtSynchronizeStream(b))
    ok(lib.aclrtQueryEventWaitStatus(e, wait))
    assert wait[0] == lib.ACL_EVENT_WAIT_STATUS_COMPLETE
    ok(lib.aclrtQueryEvent(e, status))
    assert status[0] == lib.ACL_EVENT_STATUS_COMPLETE
    for t in (0, -2):
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "timeout %d ms: expected -1 (no limit) or a positive number of ms"
                     % t, lib.aclrtSynchronizeEventWithTimeout, e, t)
    ok(lib.aclrtSynchronizeEventWithTimeout(e, -1))
    e2 = create_event()
    ids = ffi.new("uint32_t[2]")
    ok(lib.aclrtGetEventId(e, ids))
    ok(lib.aclrtGetEventId(e2, ids + 1))
    assert ids[0] != ids[1] and ids[0] > 0
    stamp = ffi.new("uint64_t *")
    expect_error(lib.ACL_ERROR_RT_INTERNAL_ERROR, "the event has not been recorded", lib.aclrtEventGetTimestamp, e2,
                 stamp)
    for name, fn, args in (("aclrtGetEventId", lib.aclrtGetEventId, (ffi.NULL, ids)),
                           ("aclrtGetEventId", lib.aclrtGetEventId, (e, ffi.NULL)),
                           ("aclrtEventGetTimestamp", lib.aclrtEventGetTimestamp, (e, ffi.NULL)),
                           ("aclrtQueryEvent", lib.aclrtQueryEvent, (e, ffi.NULL)),
                           ("aclrtQueryEventWaitStatus", lib.aclrtQueryEventWaitStatus, (ffi.NULL, wait)),
                           ("aclrtQueryEventWaitStatus", lib.aclrtQueryEventWaitStatus, (e, ffi.NULL)),
                           ("aclrtSynchronizeEventWithTimeout", lib.aclrtSynchronizeEventWithTimeout, (ffi.NULL, 10))):
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "is NULL", fn, *args, func=name)
    for name, fn, args in (("aclrtGetEventId", lib.aclrtGetEventId, (GARBAGE, ids)),
                           ("aclrtEventGetTimestamp", lib.aclrtEventGetTimestamp, (GARBAGE, stamp)),
                           ("aclrtQueryEvent", lib.aclrtQueryEvent, (GARBAGE, status)),
                           ("aclrtQueryEventWaitStatus", lib.aclrtQueryEventWaitStatus, (GARBAGE, wait)),
                           ("aclrtSynchronizeEventWithTimeout", lib.aclrtSynchronizeEventWithTimeout, (GARBAGE, 10))):
        expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "event 0x1234 is not a live event", fn, *args, func=name)
    for x in (e, e2):
        ok(lib.aclrtDestroyEvent(x))
    for x in (a, b):
        ok(lib.aclrtDestroyStream(x))


def test_sync_events_are_counted_and_limited(acl: Any) -> None:
    n = ffi.new("uint32_t *")
    ok(lib.aclrtGetEventAvailNum(n))
    assert n[0] == 65536
    no_sync = event_with(lib.ACL_EVENT_TIME_LINE)       # not a synchronizing event: not counted
    ok(lib.aclrtGetEventAvailNum(n))
    assert n[0] == 65536
    cell = ffi.new("aclrtEvent *")
    made = []
    while lib.aclrtCreateEvent(cell) == 0:
        made.append(cell[0])
        assert len(made) <= 65536
    assert len(made) == 65536
    expect_error(lib.ACL_ERROR_RT_NO_EVENT_RESOURCE, "device 0 already has 65536 events with ACL_EVENT_SYNC",
                 lib.aclrtCreateEventWithFlag, cell, lib.ACL_EVENT_SYNC)
    ok(lib.aclrtGetEventAvailNum(n))
    assert n[0] == 0
    for e in made:
        ok(lib.aclrtDestroyEvent(e))
    ok(lib.aclrtGetEventAvailNum(n))
    assert n[0] == 65536
    ok(lib.aclrtDestroyEvent(no_sync))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "eventCount is NULL", lib.aclrtGetEventAvailNum, ffi.NULL)


def test_op_wait_timeout_bounds_stream_waits(acl: Any) -> None:
    a, b = create_stream(), create_stream()
    e = create_event()
    ok(lib.aclrtSetOpWaitTimeout(1))
    try:
        with StreamHold(a):
            ok(lib.aclrtRecordEvent(e, a))
            ok(lib.aclrtStreamWaitEvent(b, e))
            t0 = time.monotonic()
            expect_error(lib.ACL_ERROR_RT_TASK_TIMEOUT, "the event's record did not run within 1 s "
                         "(aclrtSetOpWaitTimeout)", lib.aclrtSynchronizeStream, b, func="aclrtStreamWaitEvent")
            assert 0.9 < time.monotonic() - t0 < 10
    finally:
        ok(lib.aclrtSetOpWaitTimeout(0))  # no limit again
    ok(lib.aclrtDestroyEvent(e))
    for s in (a, b):
        ok(lib.aclrtDestroyStream(s))


# ============================================================================ streams


def test_stream_configuration_priorities_and_flags(acl: Any) -> None:
    cell = ffi.new("aclrtStream *")
    prio, flags, ident = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    least, greatest = ffi.new("int32_t *"), ffi.new("int32_t *")
    ok(lib.aclrtDeviceGetStreamPriorityRange(least, greatest))
    assert (least[0], greatest[0]) == (7, 0)
    ok(lib.aclrtDeviceGetStreamPriorityRange(ffi.NULL, ffi.NULL))  # either may be NULL, as on CANN
    made = []
    for req_prio, req_flags, want_prio, want_flags in (
            (3, lib.ACL_STREAM_FAST_LAUNCH | lib.ACL_STREAM_HUGE, 3, lib.ACL_STREAM_FAST_LAUNCH | lib.ACL_STREAM_HUGE),
            (100, lib.ACL_STREAM_FAST_SYNC, 7, lib.ACL_STREAM_FAST_SYNC),
            (0, 0x100, 0, 0)):  # unknown bits are ignored, as AscendCL ignores them
        ok(lib.aclrtCreateStreamWithConfig(cell, req_prio, req_flags))
        made.append(cell[0])
        ok(lib.aclrtStreamGetPriority(cell[0], prio))
        ok(lib.aclrtStreamGetFlags(cell[0], flags))
        assert (prio[0], flags[0]) == (want_prio, want_flags)
    ok(lib.aclrtStreamGetPriority(ffi.NULL, prio))  # the default stream
    ok(lib.aclrtStreamGetFlags(ffi.NULL, flags))
    assert (prio[0], flags[0]) == (0, 0)
    ids = set()
    for s in made + [ffi.NULL]:
        ok(lib.aclrtStreamGetId(s, ident))
        ids.add(ident[0])
    assert len(ids) == 4
    for flag, what in ((lib.ACL_STREAM_PERSISTENT, "persistent (ACL_STREAM_PERSISTENT)"),
                       (lib.ACL_STREAM_CPU_SCHEDULE, "CPU-scheduled (ACL_STREAM_CPU_SCHEDULE)"),
                       (lib.ACL_STREAM_DEVICE_USE_ONLY, "device-only (ACL_STREAM_DEVICE_USE_ONLY)")):
        expect_error(lib.ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "flag 0x%x: %s streams are not emulated" % (flag, what),
                     lib.aclrtCreateStreamWithConfig, cell, 0, flag)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "stream is NULL", lib.aclrtCreateStreamWithConfig, ffi.NULL, 0, 0)
    for name, fn, out in (("aclrtStreamGetPriority", lib.aclrtStreamGetPriority, prio),
                          ("aclrtStreamGetFlags", lib.aclrtStreamGetFlags, flags),
                          ("aclrtStreamGetId", lib.aclrtStreamGetId, ident)):
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "is NULL", fn, made[0], ffi.NULL, func=name)
        expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "stream 0x1234 is not a live stream", fn, GARBAGE, out,
                     func=name)
    for s in made:
        ok(lib.aclrtDestroyStream(s))


def test_stream_query_and_available_streams(acl: Any) -> None:
    n = ffi.new("uint32_t *")
    ok(lib.aclrtGetStreamAvailableNum(n))
    assert n[0] == 1024
    s = create_stream()
    ok(lib.aclrtGetStreamAvailableNum(n))
    assert n[0] == 1023
    status = ffi.new("aclrtStreamStatus *")
    ok(lib.aclrtStreamQuery(s, status))
    assert status[0] == lib.ACL_STREAM_STATUS_COMPLETE
    with StreamHold(s) as hold:
        ok(lib.aclrtStreamQuery(s, status))
        assert status[0] == lib.ACL_STREAM_STATUS_NOT_READY
        ok(lib.aclrtStreamQuery(ffi.NULL, status))  # the default stream is idle
        assert status[0] == lib.ACL_STREAM_STATUS_COMPLETE
        expect_error(lib.ACL_ERROR_RT_STREAM_SYNC_TIMEOUT, "the device's streams still had tasks after 30 ms",
                     lib.aclrtSynchronizeDeviceWithTimeout, 30)
        hold.release()
        ok(lib.aclrtSynchronizeDeviceWithTimeout(5000))
    ok(lib.aclrtStreamQuery(s, status))
    assert status[0] == lib.ACL_STREAM_STATUS_COMPLETE
    for t in (0, -2):
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "timeout %d ms" % t, lib.aclrtSynchronizeDeviceWithTimeout, t)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "status is NULL", lib.aclrtStreamQuery, s, ffi.NULL)
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "not a live stream", lib.aclrtStreamQuery, GARBAGE, status)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "streamCount is NULL", lib.aclrtGetStreamAvailableNum, ffi.NULL)
    ok(lib.aclrtDestroyStream(s))


def test_stream_limit_per_device() -> None:
    out = run_python_ok(child("""
    ok(lib.aclInit(ffi.NULL))
    ok(lib.aclrtSetDevice(0))
    cell = ffi.new("aclrtStream *")
    made = []
    while lib.aclrtCreateStream(cell) == 0:
        made.append(cell[0])
        assert len(made) <= 1024
    assert len(made) == 1024, len(made)
    expect(lib.aclrtCreateStreamWithConfig(cell, 0, 0), 207008, "device 0 already has 1024 streams")
    n = ffi.new("uint32_t *")
    ok(lib.aclrtGetStreamAvailableNum(n))
    assert n[0] == 0
    for s in made:
        ok(lib.aclrtDestroyStream(s))
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    print("ok")
    """), timeout=300)
    assert out.split() == ["ok"]


def test_stop_on_failure_drops_later_tasks(acl: Any) -> None:
    s = create_stream()
    gone, good = malloc(64), malloc(64)
    write_device(good, bytes(64))
    ok(lib.aclrtSetStreamFailureMode(s, lib.ACL_STOP_ON_FAILURE))
    ok(lib.aclrtSetStreamFailureMode(s, lib.ACL_STOP_ON_FAILURE))  # the mode in force again: fine
    expect_error(lib.ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "it cannot go back to ACL_CONTINUE_ON_FAILURE",
                 lib.aclrtSetStreamFailureMode, s, lib.ACL_CONTINUE_ON_FAILURE)
    e = create_event()
    with StreamHold(s) as hold:
        ok(lib.aclrtMemsetAsync(gone, 64, 1, 64, s))   # fails when it runs: freed below
        ok(lib.aclrtMemsetAsync(good, 64, 2, 64, s))   # dropped: the stream stopped
        ok(lib.aclrtRecordEvent(e, s))                 # dropped too, but it completes the event: no wait for ever
        ok(lib.aclrtFree(gone))
        hold.release()
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr 0x%x" % addr(gone), lib.aclrtSynchronizeStream, s,
                     func="aclrtMemsetAsync")
    assert read_device(good, 64) == bytes(64)
    ok(lib.aclrtSynchronizeEvent(e))
    ok(lib.aclrtDestroyEvent(e))
    expect_error(lib.ACL_ERROR_RT_STREAM_ABORT, "its failure mode is ACL_STOP_ON_FAILURE: it takes no more tasks",
                 lib.aclrtMemsetAsync, good, 64, 3, 64, s)
    ok(lib.aclrtDestroyStream(s))
    # The default mode runs on after a failure.
    c = create_stream()
    ok(lib.aclrtSetStreamFailureMode(c, lib.ACL_CONTINUE_ON_FAILURE))
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "not a live stream", lib.aclrtSetStreamFailureMode, GARBAGE, 1)
    ok(lib.aclrtDestroyStream(c))
    ok(lib.aclrtFree(good))


def test_continue_on_failure_runs_later_tasks(acl: Any) -> None:
    s = create_stream()
    gone, good = malloc(64), malloc(64)
    with StreamHold(s) as hold:
        ok(lib.aclrtMemsetAsync(gone, 64, 1, 64, s))
        ok(lib.aclrtMemsetAsync(good, 64, 2, 64, s))
        ok(lib.aclrtFree(gone))
        hold.release()
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr", lib.aclrtSynchronizeStream, s, func="aclrtMemsetAsync")
    assert read_device(good, 64) == b"\x02" * 64
    ok(lib.aclrtMemsetAsync(good, 64, 3, 64, s))
    ok(lib.aclrtSynchronizeStream(s))
    ok(lib.aclrtDestroyStream(s))
    ok(lib.aclrtFree(good))


def test_destroy_stream_force_drops_queued_tasks(acl: Any) -> None:
    dev = malloc(64)
    write_device(dev, bytes(64))
    for force, expected in ((True, bytes(64)), (False, b"\x09" * 64)):
        s = create_stream()
        hold = StreamHold(s)  # never released: destroying stops the blocking callback that holds the stream
        ok(lib.aclrtMemsetAsync(dev, 64, 9, 64, s))
        if force:
            ok(lib.aclrtDestroyStreamForce(s))
        else:
            ok(lib.aclrtDestroyStream(s))
        assert read_device(dev, 64) == expected  # dropped by the forced destroy, run by the plain one
        hold.reporter.stop()
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "not a live stream (destroyed already?)", lib.aclrtDestroyStreamForce,
                 s)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "stream is NULL", lib.aclrtDestroyStreamForce, ffi.NULL)
    ok(lib.aclrtFree(dev))


def test_current_default_stream_is_a_usable_handle(acl: Any) -> None:
    cell = ffi.new("aclrtStream *")
    ok(lib.aclrtCtxGetCurrentDefaultStream(cell))
    default = cell[0]
    assert default != ffi.NULL
    a, b = ffi.new("int32_t *"), ffi.new("int32_t *")
    ok(lib.aclrtStreamGetId(default, a))
    ok(lib.aclrtStreamGetId(ffi.NULL, b))
    assert a[0] == b[0]
    dev = malloc(64)
    ok(lib.aclrtMemsetAsync(dev, 64, 4, 64, default))
    ok(lib.aclrtSynchronizeStream(ffi.NULL))
    assert read_device(dev, 64) == b"\x04" * 64
    expect_error(lib.ACL_ERROR_RT_INVALID_HANDLE, "is not a live stream", lib.aclrtDestroyStream, default)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "stream is NULL", lib.aclrtCtxGetCurrentDefaultStream, ffi.NULL)
    ctx = create_context()
    ok(lib.aclrtCtxGetCurrentDefaultStream(cell))
    assert cell[0] != default  # each context has its own
    ok(lib.aclrtDestroyContext(ctx))
    ok(lib.aclrtSetDevice(0))  # back to the device's default context
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclrtFree(dev))


def test_thread_last_task_id(acl: Any) -> None:
    s = create_stream()
    task = ffi.new("uint32_t *")
    dev = malloc(64)
    ok(lib.aclrtMemsetAsync(dev, 64, 0, 64, s))
    ok(lib.aclrtGetThreadLastTaskId(task))
    first = task[0]
    ok(lib.aclrtMemsetAsync(dev, 64, 0, 64, s))
    ok(lib.aclrtGetThreadLastTaskId(task))
    assert task[0] == first + 1
    ok(lib.aclrtMemsetAsync(dev, 64, 0, 64, ffi.NULL))  # the default stream's tasks do not count
    ok(lib.aclrtGetThreadLastTaskId(task))
    assert task[0] == first + 1
    other: List[int] = []
    th = threading.Thread(target=lambda: (lib.aclrtGetThreadLastTaskId(task), other.append(task[0])))
    th.start()
    th.join()
    assert other == [0]  # per thread
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "taskId is NULL", lib.aclrtGetThreadLastTaskId, ffi.NULL)
    ok(lib.aclrtSynchronizeStream(s))
    ok(lib.aclrtSynchronizeStream(ffi.NULL))
    ok(lib.aclrtDestroyStream(s))
    ok(lib.aclrtFree(dev))


# ============================================================================ devices: figures, settings, numberings


def test_device_info_on_the_default_soc(uninitialized: None) -> None:
    value = ffi.new("int64_t *")
    ok(lib.aclrtGetDeviceInfo(0, lib.ACL_DEV_ATTR_TOTAL_GLOBAL_MEM_SIZE, value))  # before aclInit, as the count
    assert value[0] == 8 * GIB
    ok(lib.aclInit(ffi.NULL))
    expected = {lib.ACL_DEV_ATTR_AICPU_CORE_NUM: 1, lib.ACL_DEV_ATTR_AICORE_CORE_NUM: 1,
                lib.ACL_DEV_ATTR_CUBE_CORE_NUM: 1, lib.ACL_DEV_ATTR_VECTOR_CORE_NUM: 0, lib.ACL_DEV_ATTR_SMP_ID: 0,
                lib.ACL_DEV_ATTR_PHY_CHIP_ID: 0, lib.ACL_DEV_ATTR_MAINBOARD_ID: 0,
                lib.ACL_DEV_ATTR_CUST_OP_PRIVILEGE: 0, lib.ACL_DEV_ATTR_IS_VIRTUAL: 0}
    for attr, want in expected.items():
        ok(lib.aclrtGetDeviceInfo(0, attr, value))
        assert value[0] == want, attr
    unsupported = {lib.ACL_DEV_ATTR_L2_CACHE_SIZE: "the L2 cache size",
                   lib.ACL_DEV_ATTR_NPU_ARCH: "the NPU architecture number",
                   lib.ACL_DEV_ATTR_SUPER_POD_ID: "a SuperPoD id", lib.ACL_DEV_ATTR_HD_CONNECT_TYPE: "connection type",
                   lib.ACL_DEV_ATTR_WARP_SIZE: "SIMT", lib.ACL_DEV_ATTR_MAX_BLOCK_DIM_Z: "SIMT"}
    for attr, what in unsupported.items():
        expect_error(lib.ACL_ERROR_RT_FEATURE_NOT_SUPPORT, [what, "is not available on the emulated Ascend310"],
                     lib.aclrtGetDeviceInfo, 0, attr, value)
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "unknown device attribute 999", lib.aclrtGetDeviceInfo, 0, 999, value)
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "device 1 does not exist", lib.aclrtGetDeviceInfo, 1, 1, value)
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "device 4294967295 does not exist", lib.aclrtGetDeviceInfo,
                 0xFFFFFFFF, 1, value)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "value is NULL", lib.aclrtGetDeviceInfo, 0, 1, ffi.NULL)
    cap = ffi.new("int32_t *")
    for feature in (lib.ACL_FEATURE_TSCPU_TASK_UPDATE_SUPPORT_AIC_AIV, lib.ACL_FEATURE_SYSTEM_MEMQ_EVENT_CROSS_DEV):
        cap[0] = 7
        ok(lib.aclrtGetDeviceCapability(0, feature, cap))
        assert cap[0] == 0
    expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "unknown device feature 2", lib.aclrtGetDeviceCapability, 0, 2, cap)
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "device -1 does not exist", lib.aclrtGetDeviceCapability, -1, 1,
                 cap)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "value is NULL", lib.aclrtGetDeviceCapability, 0, 1, ffi.NULL)
    ok(lib.aclGetDeviceCapability(0, lib.ACL_DEVICE_INFO_AI_CORE_NUM, value))
    assert value[0] == 1
    ok(lib.aclGetDeviceCapability(0, lib.ACL_DEVICE_INFO_VECTOR_CORE_NUM, value))
    assert value[0] == 0
    expect_error(lib.ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "the L2 cache size", lib.aclGetDeviceCapability, 0,
                 lib.ACL_DEVICE_INFO_L2_SIZE, value)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "deviceId 1: 1 device(s) visible", lib.aclGetDeviceCapability, 1, 0,
                 value)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "deviceInfo -1: expected ACL_DEVICE_INFO_AI_CORE_NUM",
                 lib.aclGetDeviceCapability, 0, -1, value)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "value is NULL", lib.aclGetDeviceCapability, 0, 0, ffi.NULL)
    util = ffi.new("aclrtUtilizationInfo *")
    util.cubeUtilization = util.aicpuUtilization = util.vectorUtilization = util.memoryUtilization = 55
    ok(lib.aclrtGetDeviceUtilizationRate(0, util))
    assert (util.cubeUtilization, util.vectorUtilization, util.aicpuUtilization, util.memoryUtilization) == (0, -1, 0,
                                                                                                            -1)
    util.utilizationExtend = ffi.cast("aclrtUtilizationExtendInfo *", GARBAGE)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "utilizationExtend is a reserved parameter and must be NULL",
                 lib.aclrtGetDeviceUtilizationRate, 0, util)
    util.utilizationExtend = ffi.NULL
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "device 3 does not exist", lib.aclrtGetDeviceUtilizationRate, 3,
                 util)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "utilizationInfo is NULL", lib.aclrtGetDeviceUtilizationRate, 0, ffi.NULL)
    status = ffi.new("aclrtDeviceStatus *")
    ok(lib.aclrtQueryDeviceStatus(0, status))
    assert status[0] == lib.ACL_RT_DEVICE_STATUS_NORMAL
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "device 1 does not exist", lib.aclrtQueryDeviceStatus, 1, status)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "deviceStatus is NULL", lib.aclrtQueryDeviceStatus, 0, ffi.NULL)


def test_device_figures_of_a_known_soc() -> None:
    out = run_python_ok(child("""
    v = ffi.new("int64_t *")
    ok(lib.aclInit(ffi.NULL))
    got = []
    for attr in (lib.ACL_DEV_ATTR_AICORE_CORE_NUM, lib.ACL_DEV_ATTR_VECTOR_CORE_NUM, lib.ACL_DEV_ATTR_AICPU_CORE_NUM,
                 lib.ACL_DEV_ATTR_L2_CACHE_SIZE, lib.ACL_DEV_ATTR_NPU_ARCH):
        ok(lib.aclrtGetDeviceInfo(0, attr, v))
        got.append(v[0])
    ok(lib.aclGetDeviceCapability(0, lib.ACL_DEVICE_INFO_L2_SIZE, v))
    got.append(v[0])
    ok(lib.aclrtSetDevice(0))
    mode = ffi.new("aclrtFloatOverflowMode *")
    ok(lib.aclrtGetDeviceSatMode(mode))
    got.append(mode[0])
    util = ffi.new("aclrtUtilizationInfo *")
    ok(lib.aclrtGetDeviceUtilizationRate(0, util))
    got.append(util.vectorUtilization)
    ok(lib.aclrtResetDevice(0))
    ok(lib.aclFinalize())
    print(*got)
    """), {"ACLLITE_EMU_SOC": "Ascend910B2"})
    # CANN's platform file for Ascend910B2: 24 AI Cores, 48 vector cores, 6 AI CPUs, 192 MiB of L2, NpuArch 2201.
    assert out.split() == ["24", "48", "6", "201326592", "2201", "201326592", "1", "0"]


def test_saturation_mode_per_device(acl: Any) -> None:
    mode = ffi.new("aclrtFloatOverflowMode *")
    ok(lib.aclrtGetDeviceSatMode(mode))
    assert mode[0] == lib.ACL_RT_OVERFLOW_MODE_SATURATION  # Ascend310's
    ok(lib.aclrtSetDeviceSatMode(lib.ACL_RT_OVERFLOW_MODE_INFNAN))
    ok(lib.aclrtGetDeviceSatMode(mode))
    assert mode[0] == lib.ACL_RT_OVERFLOW_MODE_INFNAN
    for bad, shown in ((lib.ACL_RT_OVERFLOW_MODE_UNDEF, 2), (0xFFFFFFFF, -1)):
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "mode %d: expected ACL_RT_OVERFLOW_MODE_SATURATION (0) or "
                     "ACL_RT_OVERFLOW_MODE_INFNAN (1)" % shown, lib.aclrtSetDeviceSatMode, bad)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "mode is NULL", lib.aclrtGetDeviceSatMode, ffi.NULL)
    ok(lib.aclrtResetDevice(0))          # the device's last reset: its mode goes with it
    ok(lib.aclrtSetDevice(0))
    ok(lib.aclrtGetDeviceSatMode(mode))
    assert mode[0] == lib.ACL_RT_OVERFLOW_MODE_SATURATION
    th_rc: List[int] = []
    th = threading.Thread(target=lambda: th_rc.append(int(lib.aclrtSetDeviceSatMode(0))))
    th.start()
    th.join()
    assert th_rc == [lib.ACL_ERROR_RT_CONTEXT_NULL]  # a new thread has no context


def test_operator_timeouts(acl: Any) -> None:
    interval, actual, ms = ffi.new("uint64_t *"), ffi.new("uint64_t *"), ffi.new("uint32_t *")
    ok(lib.aclrtGetOpTimeOutInterval(interval))
    assert interval[0] == INTERVAL_US
    try:
        ok(lib.aclrtGetOpExecuteTimeout(ms))
        assert ms[0] == MAX_US // 1000  # the default is the limit, 1091 s
        for request, effective in ((1, INTERVAL_US), (INTERVAL_US + 1, 2 * INTERVAL_US), (0, MAX_US),
                                   (1 << 63, MAX_US), (3 * INTERVAL_US, 3 * INTERVAL_US)):
            ok(lib.aclrtSetOpExecuteTimeOutV2(request, actual))
            assert actual[0] == effective, request
            ok(lib.aclrtGetOpExecuteTimeout(ms))
            assert ms[0] == effective // 1000
        ok(lib.aclrtSetOpExecuteTimeOut(10))           # seconds: 10 s -> 3 intervals
        ok(lib.aclrtGetOpExecuteTimeout(ms))
        assert ms[0] == 3 * INTERVAL_US // 1000
        ok(lib.aclrtSetOpExecuteTimeOutWithMs(5000))   # ms: 5 s -> 2 intervals
        ok(lib.aclrtGetOpExecuteTimeout(ms))
        assert ms[0] == 2 * INTERVAL_US // 1000
        ok(lib.aclrtSetOpWaitTimeout(30))
    finally:
        ok(lib.aclrtSetOpExecuteTimeOut(0))
        ok(lib.aclrtSetOpWaitTimeout(0))
    for name, fn, args in (("aclrtSetOpExecuteTimeOutV2", lib.aclrtSetOpExecuteTimeOutV2, (5, ffi.NULL)),
                           ("aclrtGetOpExecuteTimeout", lib.aclrtGetOpExecuteTimeout, (ffi.NULL,)),
                           ("aclrtGetOpTimeOutInterval", lib.aclrtGetOpTimeOutInterval, (ffi.NULL,))):
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "is NULL", fn, *args, func=name)


def test_system_parameters(acl: Any) -> None:
    v = ffi.new("int64_t *")
    for get, set_, name in ((lib.aclrtGetSysParamOpt, lib.aclrtSetSysParamOpt, "aclrtGetSysParamOpt"),
                            (lib.aclrtCtxGetSysParamOpt, lib.aclrtCtxSetSysParamOpt, "aclrtCtxGetSysParamOpt")):
        expect_error(lib.ACL_ERROR_RT_SYSPARAMOPT_NOT_SET, "option 2 was not set", get, lib.ACL_OPT_STRONG_CONSISTENCY,
                     v)
        ok(set_(lib.ACL_OPT_DETERMINISTIC, 1))
        ok(get(lib.ACL_OPT_DETERMINISTIC, v))
        assert v[0] == 1
        ok(set_(lib.ACL_OPT_ENABLE_DEBUG_KERNEL, -(1 << 62)))
        ok(get(lib.ACL_OPT_ENABLE_DEBUG_KERNEL, v))
        assert v[0] == -(1 << 62)
        for opt, shown in ((3, 3), (0xFFFFFFFF, -1)):
            expect_error(lib.ACL_ERROR_INVALID_PARAM, "opt %d is not ACL_OPT_DETERMINISTIC (0)" % shown, get, opt, v,
                         func=name)
            expect_error(lib.ACL_ERROR_INVALID_PARAM, "opt %d is not" % shown, set_, opt, 0,
                         func=name.replace("Get", "Set"))
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "value is NULL", get, 0, ffi.NULL, func=name)
    # Per context: a new context starts with none set.
    ctx = create_context()
    expect_error(lib.ACL_ERROR_RT_SYSPARAMOPT_NOT_SET, "was not set in this context", lib.aclrtCtxGetSysParamOpt, 0, v)
    ok(lib.aclrtCtxSetSysParamOpt(lib.ACL_OPT_STRONG_CONSISTENCY, 3))
    ok(lib.aclrtCtxGetSysParamOpt(lib.ACL_OPT_STRONG_CONSISTENCY, v))
    assert v[0] == 3
    ok(lib.aclrtSetSysParamOpt(lib.ACL_OPT_DETERMINISTIC, 0))
    ok(lib.aclrtGetSysParamOpt(lib.ACL_OPT_DETERMINISTIC, v))  # the process's, whatever the context
    assert v[0] == 0
    ok(lib.aclrtDestroyContext(ctx))
    ok(lib.aclrtSetDevice(0))
    ok(lib.aclrtResetDevice(0))


def test_device_numberings() -> None:
    """Four physical devices; the container has 1-3 (its 0..2); the process uses the container's 1 and 2."""
    out = run_python_ok(child("""
    ok(lib.aclInit(ffi.NULL))
    out = ffi.new("int32_t *")
    rows = []
    for user in (0, 1):
        ok(lib.aclrtGetLogicDevIdByUserDevId(user, out)); logic = out[0]
        ok(lib.aclrtGetPhyDevIdByLogicDevId(logic, out)); phy = out[0]
        ok(lib.aclrtGetLogicDevIdByPhyDevId(phy, out)); assert out[0] == logic
        ok(lib.aclrtGetUserDevIdByLogicDevId(logic, out)); assert out[0] == user
        rows.append("%d>%d>%d" % (user, logic, phy))
    expect(lib.aclrtGetLogicDevIdByUserDevId(2, out), 107001, "device 2 does not exist")
    expect(lib.aclrtGetPhyDevIdByLogicDevId(0, out), 107001, "logic device 0 is not one of this process's devices")
    expect(lib.aclrtGetLogicDevIdByPhyDevId(1, out), 107001, "physical device 1 is not one of this process's devices")
    expect(lib.aclrtGetUserDevIdByLogicDevId(7, out), 107001, "logic device 7 is not")
    expect(lib.aclrtGetPhyDevIdByLogicDevId(1, ffi.NULL), 100000, "phyDevId is NULL")
    v = ffi.new("int64_t *")
    ok(lib.aclrtGetDeviceInfo(1, lib.ACL_DEV_ATTR_PHY_CHIP_ID, v))
    rows.append("chip%d" % v[0])
    ok(lib.aclFinalize())
    print(*rows)
    """), {"ACLLITE_EMU_DEVICES": "4", "ASCEND_VISIBLE_DEVICES": "1-3", "ASCEND_RT_VISIBLE_DEVICES": "1,2"})
    assert out.split() == ["0>1>2", "1>2>3", "chip3"]


def test_device_numberings_by_default(acl: Any) -> None:
    out = ffi.new("int32_t *")
    for fn in (lib.aclrtGetLogicDevIdByUserDevId, lib.aclrtGetPhyDevIdByLogicDevId, lib.aclrtGetLogicDevIdByPhyDevId,
               lib.aclrtGetUserDevIdByLogicDevId):
        out[0] = -5
        ok(fn(0, out))
        assert out[0] == 0
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "is NULL", fn, 0, ffi.NULL)


def test_reset_device_force_tears_down_at_once(acl: Any) -> None:
    ok(lib.aclrtSetDevice(0))
    ok(lib.aclrtSetDevice(0))          # three references now
    left = malloc(64)
    ok(lib.aclrtResetDeviceForce(0))
    assert leak_report()["deviceAllocations"] == 1  # torn down whatever the count, what was left released
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "device 9 does not exist", lib.aclrtResetDeviceForce, 9)
    ok(lib.aclrtSetDevice(0))          # the fixture resets it again


# ============================================================================ peer access


def test_peer_access_between_two_devices() -> None:
    out = run_python_ok(child("""
    ok(lib.aclInit(ffi.NULL))
    can = ffi.new("int32_t *")
    ok(lib.aclrtSetDevice(1))
    b1 = ffi.new("void **"); ok(lib.aclrtMalloc(b1, 64, 0))
    ok(lib.aclrtSetDevice(0))                                   # device 0 current
    b0 = ffi.new("void **"); ok(lib.aclrtMalloc(b0, 64, 0))
    ok(lib.aclrtMemcpy(b0[0], 64, ffi.from_buffer(b"A" * 64), 64, 1))
    ok(lib.aclrtDeviceCanAccessPeer(can, 0, 1)); assert can[0] == 1
    expect(lib.aclrtDeviceCanAccessPeer(can, 1, 1), 100000, "deviceId 1 cannot be equal to peerDeviceId 1")
    expect(lib.aclrtDeviceCanAccessPeer(can, 0, 2), 107001, "device 2 does not exist")
    expect(lib.aclrtDeviceCanAccessPeer(ffi.NULL, 0, 1), 107000, "canAccessPeer is NULL")
    expect(lib.aclrtDeviceEnablePeerAccess(1, 1), 200006, "flags 0x1: a reserved parameter, must be 0")
    expect(lib.aclrtDeviceEnablePeerAccess(0, 0), 100000, "peerDeviceId 0 is the current device")
    expect(lib.aclrtDeviceEnablePeerAccess(5, 0), 107001, "device 5 does not exist")
    expect(lib.aclrtMemcpy(b1[0], 64, b0[0], 64, 3), 107000, "src is memory of device 0 and dst of device 1, and "
           "device 0 has not enabled peer access to device 1 (aclrtDeviceEnablePeerAccess(1, 0) with device 0 current)")
    s = ffi.new("aclrtStream *"); ok(lib.aclrtCreateStream(s))
    expect(lib.aclrtMemcpy2dAsync(b1[0], 8, b0[0], 8, 8, 8, 3, s[0]), 107000, "has not enabled peer access")
    st = ffi.new("int32_t *")
    ok(lib.aclrtDevicePeerAccessStatus(0, 1, st)); assert st[0] == 0
    ok(lib.aclrtDeviceEnablePeerAccess(1, 0))
    ok(lib.aclrtDevicePeerAccessStatus(0, 1, st)); assert st[0] == 1
    ok(lib.aclrtDevicePeerAccessStatus(1, 0, st)); assert st[0] == 0   # one direction only
    ok(lib.aclrtMemcpy(b1[0], 64, b0[0], 64, 3))
    ok(lib.aclrtMemcpy2dAsync(b1[0], 8, b0[0], 8, 8, 8, 3, s[0]))
    ok(lib.aclrtSynchronizeStream(s[0]))
    out = bytearray(64); ok(lib.aclrtMemcpy(ffi.from_buffer(out), 64, b1[0], 64, 2)); assert out == bytearray(b"A" * 64)
    expect(lib.aclrtMemcpy(b0[0], 64, b1[0], 64, 3), 107000, "device 1 has not enabled peer access to device 0")
    ok(lib.aclrtDeviceDisablePeerAccess(1))
    expect(lib.aclrtMemcpy(b1[0], 64, b0[0], 64, 3), 107000, "has not enabled peer access")
    expect(lib.aclrtDeviceDisablePeerAccess(0), 100000, "peerDeviceId 0 is the current device")
    expect(lib.aclrtDevicePeerAccessStatus(0, 0, st), 100000, "deviceId 0 cannot be equal to peerDeviceId 0")
    expect(lib.aclrtDevicePeerAccessStatus(0, 1, ffi.NULL), 100000, "status is NULL")
    ok(lib.aclrtDeviceEnablePeerAccess(1, 0))
    ok(lib.aclrtDestroyStream(s[0]))
    ok(lib.aclrtFree(b0[0]))
    ok(lib.aclrtResetDevice(0))                                  # device 0's settings go with it
    ok(lib.aclrtDevicePeerAccessStatus(0, 1, st)); assert st[0] == 0
    ok(lib.aclrtSetDevice(1))
    ok(lib.aclrtFree(b1[0]))
    ok(lib.aclrtResetDevice(1)); ok(lib.aclrtResetDevice(1))
    ok(lib.aclFinalize())
    print("ok")
    """), {"ACLLITE_EMU_DEVICES": "2"})
    assert out.split() == ["ok"]


def test_peer_access_needs_a_context(uninitialized: None) -> None:
    can = ffi.new("int32_t *")
    expect_error(lib.ACL_ERROR_UNINITIALIZE, "not initialized", lib.aclrtDeviceEnablePeerAccess, 0, 0)
    ok(lib.aclInit(ffi.NULL))
    expect_error(lib.ACL_ERROR_RT_CONTEXT_NULL, "no current context", lib.aclrtDeviceDisablePeerAccess, 0)
    expect_error(lib.ACL_ERROR_RT_INVALID_DEVICEID, "device 1 does not exist", lib.aclrtDeviceCanAccessPeer, can, 0,
                 1)
    ok(lib.aclFinalize())


# ============================================================================ exception callbacks, last errors


def test_exception_info_getters_refuse_any_pointer_but_the_running_callbacks(acl: Any) -> None:
    """Found by fuzz_pyacl: acl.rt.get_error_code_from_exception_info(<any int>) read that address (SIGSEGV). A made-up
    pointer, or an info kept past its callback, is refused (0xFFFFFFFF and a message), never dereferenced."""
    getters = (lib.aclrtGetTaskIdFromExceptionInfo, lib.aclrtGetStreamIdFromExceptionInfo,
               lib.aclrtGetThreadIdFromExceptionInfo, lib.aclrtGetDeviceIdFromExceptionInfo,
               lib.aclrtGetErrorCodeFromExceptionInfo)
    made_up = ffi.cast("aclrtExceptionInfo *", 0x10)
    for getter in getters:
        expect_error(0xFFFFFFFF, "is not the exception info of the callback running on this thread", getter, made_up)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "is not the exception info", lib.aclrtGetArgsFromExceptionInfo, made_up,
                 ffi.new("void **"), ffi.new("uint32_t *"))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "is not the exception info", lib.aclrtGetFuncHandleFromExceptionInfo,
                 made_up, ffi.new("aclrtFuncHandle *"))
    kept: List[Any] = []

    @ffi.callback("void(aclrtExceptionInfo *)")
    def on_exception(info: Any) -> None:
        kept.append(info)

    s = create_stream()
    victim = malloc(64)
    ok(lib.aclrtSetExceptionInfoCallback(on_exception))
    try:
        with StreamHold(s) as hold:
            ok(lib.aclrtMemsetAsync(victim, 64, 1, 64, s))
            ok(lib.aclrtFree(victim))
            hold.release()
            assert lib.aclrtSynchronizeStream(s) == lib.ACL_ERROR_RT_PARAM_INVALID
    finally:
        ok(lib.aclrtSetExceptionInfoCallback(ffi.NULL))
    assert len(kept) == 1
    expect_error(0xFFFFFFFF, "valid during its callback only", lib.aclrtGetErrorCodeFromExceptionInfo, kept[0])
    ok(lib.aclrtDestroyStream(s))


def test_exception_callback_reports_a_failed_task(acl: Any) -> None:
    seen: List[Tuple[int, ...]] = []

    @ffi.callback("void(aclrtExceptionInfo *)")
    def on_exception(info: Any) -> None:
        seen.append((lib.aclrtGetTaskIdFromExceptionInfo(info), lib.aclrtGetStreamIdFromExceptionInfo(info),
                     lib.aclrtGetThreadIdFromExceptionInfo(info), lib.aclrtGetDeviceIdFromExceptionInfo(info),
                     lib.aclrtGetErrorCodeFromExceptionInfo(info)))
        args, length, fn = ffi.new("void **"), ffi.new("uint32_t *"), ffi.new("aclrtFuncHandle *")
        seen.append((lib.aclrtGetArgsFromExceptionInfo(info, args, length),
                     lib.aclrtGetFuncHandleFromExceptionInfo(info, fn)))
        lib.aclrtDestroyStream(ffi.NULL)  # a failing call inside: its message must not reach the caller's thread

    s = create_stream()
    sid, task = ffi.new("int32_t *"), ffi.new("uint32_t *")
    ok(lib.aclrtStreamGetId(s, sid))
    victim = malloc(64)
    ok(lib.aclrtSetExceptionInfoCallback(on_exception))
    try:
        with StreamHold(s) as hold:
            ok(lib.aclrtMemsetAsync(victim, 64, 1, 64, s))
            ok(lib.aclrtGetThreadLastTaskId(task))
            ok(lib.aclrtFree(victim))
            hold.release()
            expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "devPtr 0x%x" % addr(victim), lib.aclrtSynchronizeStream, s,
                         func="aclrtMemsetAsync")
        assert seen == [(task[0], sid[0], threading.get_native_id(), 0, lib.ACL_ERROR_RT_PARAM_INVALID),
                        (lib.ACL_ERROR_INVALID_PARAM, lib.ACL_ERROR_INVALID_PARAM)]
        ok(lib.aclrtSetExceptionInfoCallback(ffi.NULL))   # cleared: no more calls
        gone = malloc(64)
        with StreamHold(s) as hold:
            ok(lib.aclrtMemsetAsync(gone, 64, 1, 64, s))
            ok(lib.aclrtFree(gone))
            hold.release()
            assert lib.aclrtSynchronizeStream(s) == lib.ACL_ERROR_RT_PARAM_INVALID
        assert len(seen) == 2
    finally:
        lib.aclrtSetExceptionInfoCallback(ffi.NULL)
    ok(lib.aclrtDestroyStream(s))


def test_exception_info_getters_reject_null() -> None:
    for name in ("aclrtGetTaskIdFromExceptionInfo", "aclrtGetStreamIdFromExceptionInfo",
                 "aclrtGetThreadIdFromExceptionInfo", "aclrtGetDeviceIdFromExceptionInfo",
                 "aclrtGetErrorCodeFromExceptionInfo"):
        expect_error(0xFFFFFFFF, "info is NULL", getattr(lib, name), ffi.NULL, func=name)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "info is NULL", lib.aclrtGetArgsFromExceptionInfo, ffi.NULL,
                 ffi.new("void **"), ffi.new("uint32_t *"))
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "func is NULL", lib.aclrtGetFuncHandleFromExceptionInfo,
                 ffi.cast("aclrtExceptionInfo *", GARBAGE), ffi.NULL)


def test_last_error_per_thread(acl: Any) -> None:
    while lib.aclrtGetLastError(lib.ACL_RT_THREAD_LEVEL):
        pass  # clear what earlier calls of this thread left
    assert lib.aclrtPeekAtLastError(lib.ACL_RT_THREAD_LEVEL) == 0
    assert lib.aclrtFree(GARBAGE) == lib.ACL_ERROR_RT_PARAM_INVALID
    assert lib.aclrtPeekAtLastError(lib.ACL_RT_THREAD_LEVEL) == lib.ACL_ERROR_RT_PARAM_INVALID
    assert lib.aclrtPeekAtLastError(lib.ACL_RT_THREAD_LEVEL) == lib.ACL_ERROR_RT_PARAM_INVALID  # peek keeps it
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "level 1: only ACL_RT_THREAD_LEVEL (0) exists",
                 lib.aclrtPeekAtLastError, 1)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "level 1", lib.aclrtGetLastError, 1)
    assert lib.aclrtGetLastError(lib.ACL_RT_THREAD_LEVEL) == lib.ACL_ERROR_RT_PARAM_INVALID  # not replaced
    assert lib.aclrtPeekAtLastError(lib.ACL_RT_THREAD_LEVEL) == 0                            # get cleared it
    other: List[int] = []
    assert lib.aclrtMalloc(ffi.new("void **"), 0, 0) == lib.ACL_ERROR_INVALID_PARAM
    th = threading.Thread(target=lambda: other.append(int(lib.aclrtPeekAtLastError(lib.ACL_RT_THREAD_LEVEL))))
    th.start()
    th.join()
    assert other == [0]
    # A stream task's error reaches the thread whose synchronize returns it.
    s = create_stream()
    victim = malloc(64)
    with StreamHold(s) as hold:
        ok(lib.aclrtMemsetAsync(victim, 64, 0, 64, s))
        ok(lib.aclrtFree(victim))
        assert lib.aclrtGetLastError(lib.ACL_RT_THREAD_LEVEL) == lib.ACL_ERROR_INVALID_PARAM
        hold.release()
        assert lib.aclrtSynchronizeStream(s) == lib.ACL_ERROR_RT_PARAM_INVALID
    assert lib.aclrtGetLastError(lib.ACL_RT_THREAD_LEVEL) == lib.ACL_ERROR_RT_PARAM_INVALID
    ok(lib.aclrtDestroyStream(s))


# ============================================================================ versions, logging, data buffers, float16


def test_package_versions(uninitialized: None) -> None:
    text, num = ffi.new("char[128]"), ffi.new("int32_t *")
    for name in (b"runtime", b"driver", b"ops-legacy", b"ops_legacy", b"bisheng-compiler", b"opp_kernel"):
        ok(lib.aclsysGetVersionStr(name, text))
        assert ffi.string(text) == b"8.5.0"
        ok(lib.aclsysGetVersionNum(name, num))
        assert num[0] == 8 * 10**7 + 5 * 10**5
    expect_error(lib.ACL_ERROR_INVALID_FILE, "package \"nope\" has no version information", lib.aclsysGetVersionStr,
                 b"nope", text)
    expect_error(lib.ACL_ERROR_INVALID_FILE, "has no version information", lib.aclsysGetVersionNum, b"x" * 300, num)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "versionStr is NULL", lib.aclsysGetVersionStr, b"runtime", ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "pkgName is NULL", lib.aclsysGetVersionStr, ffi.NULL, text)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "versionNum is NULL", lib.aclsysGetVersionNum, b"runtime", ffi.NULL)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "pkgName is NULL", lib.aclsysGetVersionNum, ffi.NULL, num)
    v = ffi.new("aclCANNPackageVersion *")
    for name in range(lib.ACL_PKG_NAME_DRIVER + 1):
        ok(lib.aclsysGetCANNVersion(name, v))
        assert [ffi.string(getattr(v, f)) for f in ("version", "majorVersion", "minorVersion", "releaseVersion",
                                                     "patchVersion")] == [b"8.5.0", b"8", b"5", b"0", b"0"]
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "package name 8 is not an aclCANNPackageName", lib.aclsysGetCANNVersion,
                 8, v)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "version is NULL", lib.aclsysGetCANNVersion, 0, ffi.NULL)


def test_app_log_goes_to_the_log(emu_log: Any) -> None:
    def text(t: bytes) -> Any:
        return ffi.new("char[]", t)  # variadic arguments are C values

    lib.aclAppLog(lib.ACL_WARNING, b"main", b"app.c", 42, b"%s", text(b"frame 7 dropped"))
    lib.aclAppLog(lib.ACL_ERROR, ffi.NULL, b"app.c", 1, b"%s", text(b"not written: no function"))
    lib.aclAppLog(lib.ACL_ERROR, b"main", b"app.c", 1, ffi.NULL)
    lib.aclAppLog(7, b"main", b"app.c", 1, b"%s", text(b"not written: no such level"))
    lib.aclAppLog(lib.ACL_DEBUG, b"f", b"g.c", 3, b"x=%d", ffi.cast("int", 5))
    lines = [(lv, m) for lv, m in emu_log.lines if "app.c" in m or "g.c" in m]
    tid = threading.get_native_id()
    assert lines == [(lib.ACLLITE_EMU_LOG_WARNING, '%d main:app.c:42: "frame 7 dropped"' % tid),
                     (lib.ACLLITE_EMU_LOG_DEBUG, '%d f:g.c:3: "x=5"' % tid)]


def test_deprecated_data_buffer_size(acl: Any) -> None:
    data = malloc(64)
    b = lib.aclCreateDataBuffer(data, 64)
    assert lib.aclGetDataBufferSize(b) == 64
    big = lib.aclCreateDataBuffer(data, 1 << 32)   # descriptions only: the size is never used to copy here
    expect_error(0, "the buffer holds 4294967296 bytes, more than a uint32_t can say: use aclGetDataBufferSizeV2",
                 lib.aclGetDataBufferSize, big)
    ok(lib.aclDestroyDataBuffer(big))
    ok(lib.aclDestroyDataBuffer(b))
    expect_error(0, "dataBuffer: %s is not a live data buffer" % "0x%x" % addr(ffi.cast("void *", b)),
                 lib.aclGetDataBufferSize, b)
    expect_error(0, "dataBuffer: the data buffer is NULL", lib.aclGetDataBufferSize, ffi.NULL)
    ok(lib.aclrtFree(data))


def test_float16_conversions() -> None:
    halves = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    got = np.array([lib.aclFloat16ToFloat(int(h)) for h in halves], np.float32)
    ref = halves.view(np.float16).astype(np.float32)
    special = (halves & 0x7C00) == 0x7C00  # exponent 31: AscendCL reads it as a number (Inf -> 65536, NaN above)
    assert np.array_equal(got[~special], ref[~special])
    mantissa = (halves[special] & 0x3FF).astype(np.float32)
    sign = np.where(halves[special] & 0x8000, -1.0, 1.0).astype(np.float32)
    assert np.array_equal(got[special], sign * (1 + mantissa / 1024) * 65536)
    rng = np.random.default_rng(5)
    floats = np.concatenate([rng.standard_normal(20000).astype(np.float32) * s for s in (1e-6, 1e-3, 1, 100, 6e4)]
                            + [np.float32([0.0, -0.0, 65504, 65519.99, 65520, -70000, 2 ** -24, 2 ** -25, 2 ** -25 * 1.01,
                                           3 * 2 ** -26, 1e-30, np.inf, -np.inf, np.nan])])
    got16 = np.array([lib.aclFloatToFloat16(float(f)) for f in floats], np.uint16)
    with np.errstate(over="ignore", invalid="ignore"):
        as16 = floats.astype(np.float16)  # round to nearest even, as AscendCL
    ref16 = as16.view(np.uint16)
    over = ~np.isfinite(as16)
    assert np.array_equal(got16[~over], ref16[~over])
    assert np.array_equal(got16[over], np.where(np.signbit(floats[over]), 0xFBFF, 0x7BFF))  # saturated
