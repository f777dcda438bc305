"""The Pythonic layer: acllite.init/finalize, Device, Context, Stream, Event, DeviceBuffer, HostBuffer, the
exceptions it raises, and the checked C-named wrappers of acllite.capi."""

from __future__ import annotations

import gc
import logging
import threading
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from conftest import ZERO_COUNTS, StreamHold, is_initialized, requires_emulator

import acllite
from acllite import capi
from acllite.binding import ffi, lib
from acllite.errors import (AclContextError, AclDeviceError, AclError, AclFileError, AclInvalidHandleError,
                            AclInvalidParamError, AclMemoryError, AclNotInitializedError, AclStateError,
                            AclTimeoutError, error_name)

pytestmark = requires_emulator
GIB = 1 << 30


def span(size: int) -> int:
    """The emulator's allocation footprint: ALIGN_UP(size, 32) + 32, then aligned to 128."""
    return (((size + 31) // 32 * 32 + 32) + 127) // 128 * 128


@pytest.fixture
def runtime() -> Iterator[acllite.runtime.Runtime]:
    if is_initialized():
        lib.aclFinalize()
        pytest.fail("a previous test left AscendCL initialized")
    rt = acllite.init()
    yield rt
    if acllite.is_initialized():
        rt.close()
    assert not is_initialized()


@pytest.fixture
def device(runtime: Any) -> Iterator[acllite.Device]:
    """Device 0, open; closing it at the end must find nothing the test left alive (GC-released is fine)."""
    d = acllite.Device(0)
    yield d
    gc.collect()
    if not acllite.is_initialized() or d.closed:
        return
    d.close()
    assert acllite.emulator_leak_report() == ZERO_COUNTS
    acllite.finalize()
    assert acllite.emulator_leak_report() == ZERO_COUNTS


def live() -> dict:
    return acllite.emulator_live_counts()


# ============================================================================ init / finalize


def test_init_and_finalize(runtime: Any) -> None:
    assert acllite.is_initialized()
    assert acllite.soc_name() == "Ascend310"
    assert acllite.device_count() == 1
    assert acllite.run_mode() == 1  # ACL_HOST
    assert acllite.version() == (1, 17, 0)
    runtime.close()
    assert not acllite.is_initialized() and not is_initialized()
    runtime.close()  # idempotent
    with pytest.raises(AclStateError) as info:
        acllite.finalize()
    e = info.value
    assert (e.code, e.name, e.function) == (100037, "ACL_ERROR_REPEAT_FINALIZE", "aclFinalize")
    assert e.message == "aclFinalize: AscendCL is already finalized"
    assert isinstance(e, RuntimeError)


def test_runtime_as_context_manager(uninitialized: None) -> None:
    with acllite.init() as rt:
        assert acllite.is_initialized()
        with acllite.Device(0) as d:
            d.alloc(64).close()
    assert not acllite.is_initialized() and not is_initialized()
    rt.close()


def test_repeated_init_raises_and_keeps_the_runtime(runtime: Any) -> None:
    with pytest.raises(AclStateError) as info:
        acllite.init()
    assert (info.value.code, info.value.function) == (100002, "aclInit")
    assert acllite.is_initialized() and is_initialized()


def test_init_with_a_missing_config_file(uninitialized: None, tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    with pytest.raises(AclFileError) as info:
        acllite.init(str(path))
    assert info.value.code == 100003 and info.value.name == "ACL_ERROR_INVALID_FILE"
    assert str(path) in info.value.message
    assert not acllite.is_initialized()
    path.write_text('{"dump": {}}')
    with acllite.init(str(path)):
        assert acllite.is_initialized()


def test_calls_before_init_raise_not_initialized(uninitialized: None) -> None:
    with pytest.raises(AclNotInitializedError) as info:
        acllite.Device(0)
    e = info.value
    assert isinstance(e, RuntimeError) and isinstance(e, AclError)
    assert (e.code, e.name, e.function) == (100001, "ACL_ERROR_UNINITIALIZE", "aclrtSetDevice")
    assert e.message == "aclrtSetDevice: AscendCL is not initialized: call aclInit first"
    assert str(e) == "aclrtSetDevice failed: ACL_ERROR_UNINITIALIZE (100001)\n  " + e.message
    assert acllite.run_mode() == 1  # works before aclInit
    assert acllite.soc_name() == "Ascend310" and acllite.device_count() == 1  # so do these, as on CANN


# ============================================================================ devices


def test_device(device: acllite.Device) -> None:
    assert device.id == 0 and not device.closed
    assert repr(device) == "<acllite.Device 0>"
    assert capi.aclrtGetDevice() == 0
    free, total = device.memory_info()
    assert total == 8 * GIB and free == total
    b = device.alloc(1000)
    assert device.memory_info() == (total - span(1000), total)
    b.close()
    assert device.memory_info() == (total, total)
    device.synchronize()


def test_device_close_is_idempotent_and_final(runtime: Any) -> None:
    with acllite.Device(0) as d:
        pass
    assert d.closed and repr(d) == "<acllite.Device 0 closed>"
    d.close()
    assert acllite.emulator_leak_report() == ZERO_COUNTS
    for action in (d.alloc, d.alloc_host):
        with pytest.raises(ValueError, match="Device 0 is closed"):
            action(64)
    with pytest.raises(ValueError, match="Device 0 is closed"):
        d.create_stream()
    with pytest.raises(ValueError, match="Device 0 is closed"):
        d.create_context()


def test_invalid_device_raises_device_error(runtime: Any) -> None:
    with pytest.raises(AclDeviceError) as info:
        acllite.Device(1)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.code, e.name, e.function) == (107001, "ACL_ERROR_RT_INVALID_DEVICEID", "aclrtSetDevice")
    assert "device 1 does not exist" in e.message


def test_two_device_objects_share_the_device(runtime: Any) -> None:
    a, b = acllite.Device(0), acllite.Device(0)
    buf = a.alloc(64)
    b.close()  # one of two references
    buf.copy_from(b"x" * 64)
    assert buf.to_numpy().tobytes() == b"x" * 64
    buf.close()
    assert live()["deviceAllocations"] == 0
    a.close()
    assert acllite.emulator_leak_report() == ZERO_COUNTS


# ============================================================================ close, with, garbage collection


def test_close_is_idempotent_and_with_closes(device: acllite.Device) -> None:
    base = live()
    ctx = device.create_context()
    objs = [device.alloc(64), device.alloc_host(64), device.create_stream(), device.create_event(), ctx,
            ctx.create_stream(), ctx.create_event()]
    assert live() != base
    for o in reversed(objs):
        assert not o.closed
        o.close()
        assert o.closed
        o.close()
    assert live() == base
    with device.alloc(64) as b, device.alloc_host(64) as h, device.create_stream() as s, device.create_event() as e:
        assert not any(x.closed for x in (b, h, s, e))
    assert all(x.closed for x in (b, h, s, e))
    assert live() == base
    with pytest.raises(ValueError, match="DeviceBuffer is closed"):
        b.to_numpy()
    with pytest.raises(ValueError, match="HostBuffer is closed"):
        h.numpy()
    with pytest.raises(ValueError, match="Stream is closed"):
        s.synchronize()
    with pytest.raises(ValueError, match="Context is closed"):
        ctx.make_current()


def test_garbage_collection_releases(device: acllite.Device) -> None:
    base = live()
    ctx = device.create_context()
    objs = [device.alloc(4096), device.alloc_host(4096), device.create_stream(), device.create_event(), ctx,
            ctx.create_stream(), ctx.create_event()]
    objs[0].cycle = objs  # type: ignore[attr-defined]  # a reference cycle: only the collector frees it
    counts = live()
    assert (counts["deviceAllocations"], counts["hostAllocations"], counts["streams"], counts["events"],
            counts["contexts"]) == (base["deviceAllocations"] + 1, base["hostAllocations"] + 1, base["streams"] + 2,
                                    base["events"] + 2, base["contexts"] + 1)
    del objs, ctx
    gc.collect()
    assert live() == base


def test_objects_outliving_finalize_become_inert(runtime: Any, emu_log: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="acllite")
    d = acllite.Device(0)
    ctx = d.create_context()
    objs = [d.alloc(100), d.alloc_host(50), d.create_stream(), d.create_event(), ctx, ctx.create_stream()]
    acllite.finalize()
    assert acllite.emulator_leak_report() == dict(ZERO_COUNTS, deviceAllocations=1, deviceBytes=100, hostAllocations=1,
                                                  hostBytes=50, contexts=1, streams=2, events=1)
    assert live() == ZERO_COUNTS
    before = len(emu_log.lines)
    for o in objs + [d]:
        o.close()  # does not raise, does not release again
    del objs
    gc.collect()
    assert emu_log.lines[before:] == []
    assert [r for r in caplog.records if r.name == "acllite"] == []
    assert acllite.emulator_leak_report()["deviceAllocations"] == 1  # still aclFinalize's report

    # Objects of the old generation must not touch the new one.
    acllite.init()
    stale = acllite.Device(0)
    acllite.finalize()
    rt = acllite.init()
    fresh = acllite.Device(0)
    buf = fresh.alloc(64)
    stale.close()
    buf.close()
    assert live()["deviceAllocations"] == 0, "closing a stale Device made the new buffer skip its release"
    fresh.close()
    assert acllite.emulator_leak_report() == ZERO_COUNTS
    rt.close()


def test_device_close_releases_its_children_once(runtime: Any, emu_log: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="acllite")
    d = acllite.Device(0)
    b, s = d.alloc(64), d.create_stream()
    d.close()
    assert acllite.emulator_leak_report() == dict(ZERO_COUNTS, deviceAllocations=1, deviceBytes=64, streams=1)
    b.close()
    s.close()
    assert [r for r in caplog.records if r.name == "acllite"] == []
    assert [m for m in emu_log.warnings() if "aclrtFree" in m or "aclrtDestroyStream" in m] == []
    d2 = acllite.Device(0)  # the device opens again
    with d2.alloc(64) as b2:
        b2.fill(1)
    d2.close()
    assert acllite.emulator_leak_report() == ZERO_COUNTS


# ============================================================================ exceptions


def test_exception_classes(device: acllite.Device) -> None:
    with pytest.raises(AclInvalidParamError) as info:
        capi.aclrtMalloc(0, 0)
    e = info.value
    assert isinstance(e, ValueError) and isinstance(e, AclError)
    assert (e.code, e.name, e.function, e.message) == (100000, "ACL_ERROR_INVALID_PARAM", "aclrtMalloc",
                                                       "aclrtMalloc: size is 0")
    assert str(e).startswith("aclrtMalloc failed: ACL_ERROR_INVALID_PARAM (100000)")

    with pytest.raises(AclMemoryError) as minfo:
        device.alloc(9 * GIB)
    assert isinstance(minfo.value, MemoryError)
    assert (minfo.value.code, minfo.value.name) == (207001, "ACL_ERROR_RT_MEMORY_ALLOCATION")

    with pytest.raises(AclInvalidHandleError) as hinfo:
        capi.aclrtDestroyStream(0x1234)
    assert isinstance(hinfo.value, ValueError)
    assert (hinfo.value.code, hinfo.value.function) == (107017, "aclrtDestroyStream")

    with pytest.raises(AclInvalidParamError) as pinfo:
        capi.aclrtFree(0x1234)
    assert (pinfo.value.code, pinfo.value.name) == (107000, "ACL_ERROR_RT_PARAM_INVALID")

    with pytest.raises(ValueError, match="nbytes must be a positive int"):
        device.alloc(0)

    caught: dict = {}

    def no_context() -> None:
        try:
            capi.aclrtGetDevice()
        except AclError as exc:
            caught["e"] = exc

    t = threading.Thread(target=no_context)
    t.start()
    t.join(30)
    ce = caught["e"]
    assert type(ce) is AclContextError and isinstance(ce, RuntimeError)
    assert (ce.code, ce.function) == (107002, "aclrtGetDevice") and "no current context" in ce.message
    assert error_name(999999) == "code 999999" and error_name(0) == "ACL_SUCCESS"


def test_timeout_and_asynchronous_errors(device: acllite.Device) -> None:
    s = device.create_stream()
    dst = device.alloc(4096)
    src = np.arange(4096, dtype=np.uint8)
    with StreamHold(s.handle) as hold:
        with pytest.raises(AclTimeoutError) as info:
            s.synchronize(timeout_ms=50)
        assert isinstance(info.value, TimeoutError)
        assert (info.value.code, info.value.function) == (507046, "aclrtSynchronizeStreamWithTimeout")
        dst.copy_from(src, stream=s)
        dst.close()  # while the copy is queued: it finds its destination gone when it runs
        hold.release()
        with pytest.raises(AclInvalidParamError) as ainfo:
            s.synchronize()
        assert ainfo.value.function == "aclrtSynchronizeStream"
        assert ainfo.value.message.startswith("aclrtMemcpyAsync: dst ")
        assert "not in a live allocation" in ainfo.value.message
        s.synchronize()
    s.close()


# ============================================================================ host buffers: zero copy


def test_host_buffer_views_share_memory(device: acllite.Device) -> None:
    h = device.alloc_host(256)
    a, b = h.numpy(), h.numpy()
    assert np.shares_memory(a, b)
    assert a.shape == (256,) and a.dtype == np.uint8
    f = h.numpy(np.float32, (8, 8))
    assert f.shape == (8, 8) and np.shares_memory(f, a)
    f[:] = np.arange(64, dtype=np.float32).reshape(8, 8)  # a write through a view ...
    d = device.alloc(256)
    d.copy_from(h)  # ... goes to the device with the buffer
    assert np.array_equal(d.to_numpy(np.float32, (8, 8)), np.arange(64, dtype=np.float32).reshape(8, 8))
    d.fill(0x11)
    d.copy_to(h)  # and a copy back is visible in the old views
    assert (a == 0x11).all() and (b == 0x11).all()
    mv = h.memoryview()
    mv[0] = 0xEE
    assert a[0] == 0xEE
    with pytest.raises(ValueError, match="needs more than 256 bytes"):
        h.numpy(np.float64, (33,))
    del mv
    with pytest.raises(BufferError, match="3 numpy view"):
        h.close()  # the views would dangle
    assert not h.closed
    del a, b, f
    h.close()
    d.close()


def test_a_view_keeps_its_host_buffer_alive(device: acllite.Device) -> None:
    base = live()["hostAllocations"]
    h = device.alloc_host(64)
    v = h.numpy()
    v[:] = 5
    del h
    gc.collect()
    assert live()["hostAllocations"] == base + 1
    assert (v == 5).all()
    del v
    gc.collect()
    assert live()["hostAllocations"] == base


def test_device_buffer_has_no_numpy_view(device: acllite.Device) -> None:
    with device.alloc(64) as d:
        with pytest.raises(TypeError, match="not addressable by the host"):
            d.numpy()


# ============================================================================ copies


@pytest.mark.parametrize("dtype, nbytes", [
    (np.uint8, 1), (np.int8, 31), (np.int16, 666), (np.float16, 4098), (np.int32, 4100), (np.float32, 65536 + 4),
    (np.int64, 1 << 20), (np.float64, 3 << 20), (np.complex64, 4 << 20),
])
def test_copy_round_trip(device: acllite.Device, dtype: Any, nbytes: int) -> None:
    rng = np.random.default_rng(nbytes)
    n = nbytes // np.dtype(dtype).itemsize
    arr = rng.integers(0, 256, nbytes, dtype=np.uint8).view(dtype)
    assert arr.nbytes == nbytes and arr.size == n
    with device.alloc(nbytes) as d, device.alloc(nbytes) as d2, device.alloc_host(nbytes) as h:
        d.copy_from(arr)
        d2.copy_from(d)
        out = d2.to_numpy(dtype)
        assert out.dtype == np.dtype(dtype) and out.tobytes() == arr.tobytes()
        h.copy_from(d2)
        assert h.numpy(dtype).tobytes() == arr.tobytes()
        into = np.zeros(n, dtype)
        d.copy_to(into)
        assert into.tobytes() == arr.tobytes()


def test_copy_shapes_sources_and_errors(device: acllite.Device) -> None:
    grid = np.arange(24, dtype=np.int32).reshape(4, 6)
    with device.alloc(grid.nbytes) as d:
        d.copy_from(grid)
        assert np.array_equal(d.to_numpy(np.int32, (4, 6)), grid)
        out = np.empty((2, 12), np.int32)
        assert d.to_numpy(out=out) is out and np.array_equal(out, grid.reshape(2, 12))
        d.copy_from(b"\x01\x02\x03\x04", offset=8)
        d.copy_from(bytearray(b"\x05\x06"), offset=0)
        raw = d.to_numpy()
        assert raw[:2].tolist() == [5, 6] and raw[8:12].tolist() == [1, 2, 3, 4]
        with pytest.raises(ValueError, match="C-contiguous"):
            d.copy_from(grid[:, ::2])
        with pytest.raises(ValueError, match="does not fit"):
            d.copy_from(np.zeros(grid.nbytes + 1, np.uint8))
        with pytest.raises(ValueError, match="does not fit"):
            d.copy_from(np.zeros(8, np.uint8), offset=grid.nbytes - 4)
        with pytest.raises(ValueError, match="more than this"):
            d.copy_to(np.zeros(grid.nbytes + 1, np.uint8))
        with pytest.raises(ValueError, match="writable"):
            ro = np.zeros(8, np.uint8)
            ro.flags.writeable = False
            d.copy_to(ro)
        with pytest.raises(TypeError, match="cannot copy from list"):
            d.copy_from([1, 2, 3])  # type: ignore[arg-type]
        assert np.array_equal(d.to_numpy(np.int32, (4, 6))[1:], grid[1:])  # failed copies changed nothing


def test_async_copies_on_a_stream(device: acllite.Device) -> None:
    data = np.random.default_rng(3).integers(0, 256, 1 << 20, dtype=np.uint8)
    s = device.create_stream()
    d = device.alloc(data.nbytes)
    out = np.zeros_like(data)
    with StreamHold(s.handle) as hold:
        d.copy_from(data.copy(), stream=s)  # a temporary: the stream keeps it alive until synchronize
        d.copy_to(out, stream=s)
        gc.collect()
        assert not out.any()  # queued, not run
        hold.release()
        s.synchronize()
    assert np.array_equal(out, data)
    h = device.alloc_host(data.nbytes)
    d.fill(0x42, stream=s)
    h.copy_from(d, stream=s)
    s.synchronize()
    assert (h.numpy() == 0x42).all()
    for x in (h, d, s):
        x.close()


def test_fill(device: acllite.Device) -> None:
    with device.alloc(1000) as d, device.alloc_host(1000) as h:
        d.fill(0xAB)
        assert (d.to_numpy() == 0xAB).all()
        h.fill(7)
        assert (h.numpy() == 7).all()
        with device.create_stream() as s:
            d.fill(0x01, stream=s)
            s.synchronize()
        assert (d.to_numpy() == 1).all()


def test_events_and_stream_wait(device: acllite.Device) -> None:
    a, b = device.create_stream(), device.create_stream()
    e1, e2 = device.create_event(), device.create_event()
    buf = device.alloc(4 << 20)
    e1.record(a)
    buf.fill(3, stream=a)
    e2.record(a)
    e2.synchronize()
    assert e1.query() and e2.query()
    assert e2.elapsed_ms(e1) > 0
    b.wait(e2)
    b.record(e1)
    b.synchronize()
    with acllite.Context(device) as ctx:
        s = ctx.create_stream()
        ev = ctx.create_event()
        ev.record(s)
        ev.synchronize()
        assert ev.query()
        s.close()
        ev.close()
    device.make_current()
    for x in (buf, e1, e2, a, b):
        x.close()


# ============================================================================ acllite.capi


def test_capi_outputs_are_returned(device: acllite.Device) -> None:
    assert capi.aclrtGetDevice() == 0
    assert capi.aclrtGetRunMode() == 1
    assert capi.aclrtGetDeviceCount() == 1
    assert capi.aclrtGetVersion() == (1, 17, 0)
    free, total = capi.aclrtGetMemInfo(0)
    assert total == 8 * GIB and free <= total
    assert capi.aclrtGetSocName() == "Ascend310"
    assert capi.aclDataTypeSize(lib.ACL_FLOAT16) == 2
    p = capi.aclrtMalloc(64, 0)
    assert isinstance(p, int) and p != 0
    assert capi.aclrtMemset(p, 64, 7, 64) is None
    host = bytearray(64)
    capi.aclrtMemcpy(ffi.from_buffer(host), 64, p, 64, lib.ACL_MEMCPY_DEVICE_TO_HOST)
    assert host == bytearray(b"\x07" * 64)
    db = capi.aclCreateDataBuffer(p, 64)
    assert capi.aclGetDataBufferSizeV2(db) == 64
    assert int(ffi.cast("uintptr_t", capi.aclGetDataBufferAddr(db))) == p
    capi.aclDestroyDataBuffer(db)
    capi.aclrtFree(p)
    hp = capi.aclrtMallocHost(32)
    capi.aclrtFreeHost(hp)


def test_capi_handles_round_trip(device: acllite.Device) -> None:
    """Handles come back as ints and go in as ints (or None for NULL)."""
    s = capi.aclrtCreateStream()
    assert isinstance(s, int)
    e1, e2 = capi.aclrtCreateEvent(), capi.aclrtCreateEvent()
    capi.aclrtRecordEvent(e1, s)
    capi.aclrtRecordEvent(e2, s)
    capi.aclrtSynchronizeStream(s)
    capi.aclrtSynchronizeStreamWithTimeout(s, 1000)
    assert capi.aclrtQueryEventStatus(e2) == lib.ACL_EVENT_RECORDED_STATUS_COMPLETE
    assert capi.aclrtEventElapsedTime(e1, e2) >= 0
    capi.aclrtStreamWaitEvent(s, e2)
    capi.aclrtSynchronizeStream(None)  # the default stream
    capi.aclrtDestroyEvent(e1)
    capi.aclrtDestroyEvent(e2)
    capi.aclrtDestroyStream(s)
    default = capi.aclrtGetCurrentContext()
    ctx = capi.aclrtCreateContext(0)
    assert isinstance(ctx, int) and capi.aclrtGetCurrentContext() == ctx
    capi.aclrtSetCurrentContext(default)
    capi.aclrtDestroyContext(ctx)
    assert capi.aclrtGetCurrentContext() == default
    assert live()["streams"] == 0 and live()["events"] == 0


def test_capi_errors(device: acllite.Device) -> None:
    with pytest.raises(TypeError, match=r"aclrtMalloc takes 2 argument\(s\) \(size, policy\), 1 given"):
        capi.aclrtMalloc(64)
    with pytest.raises(TypeError, match=r"aclrtGetDevice takes 0 argument\(s\) \(\), 1 given"):
        capi.aclrtGetDevice(0)
    with pytest.raises(TypeError, match=r"aclrtMemcpy takes 5 argument\(s\)"):
        capi.aclrtMemcpy(0, 0, 0, 0, 0, 0)
    with pytest.raises(AclInvalidParamError) as info:
        capi.aclCreateDataBuffer(None, 16)
    assert info.value.function == "aclCreateDataBuffer" and info.value.detail == "returned NULL"
    assert info.value.message == "aclCreateDataBuffer: data is NULL but size is 16"
    with pytest.raises(AclInvalidHandleError):
        capi.aclrtSynchronizeStream(0x1234)
    assert "Returns: devPtr" in capi.aclrtMalloc.__doc__
    assert capi.aclrtMalloc.__name__ == "aclrtMalloc"
