"""Runtime objects: initialization, devices, contexts, streams and events.

Every object owns one native handle, releases it with ``close()`` (safe to call twice) or at the end of a
``with`` block, and falls back to a ``weakref.finalize`` that holds only the raw handle. Children keep their
parents alive (a Stream holds its Context), so the collector cannot release a parent first; and a release is
skipped when aclrtResetDevice or aclFinalize has already released the handle on the C side.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from . import _lifecycle, binding
from ._lifecycle import Owned
from ._native import backend_info, ffi, lib
from .errors import check

if TYPE_CHECKING:
    from .memory import DeviceBuffer, HostBuffer

__all__ = ["init", "finalize", "is_initialized", "Runtime", "run_mode", "soc_name", "device_count", "version",
           "Device", "Context", "Stream", "Event", "emulator_live_counts", "emulator_leak_report"]

logger = logging.getLogger("acllite")
ACL_HOST = 1
class Runtime:
    """aclInit ... aclFinalize, as an object: ``with acllite.init(): ...``."""

    def __init__(self, config_path: Optional[str] = None):
        check(lib.aclInit(config_path.encode() if config_path else ffi.NULL), "aclInit")
        _lifecycle.initialized()
        self._open = True

    def close(self) -> None:
        """aclFinalize (once)."""
        if self._open:
            self._open = False
            finalize()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def init(config_path: Optional[str] = None) -> Runtime:
    """aclInit. ``config_path`` names an acl.json (or None). Returns a Runtime whose close() finalizes."""
    return Runtime(config_path)


def finalize() -> None:
    """aclFinalize: releases everything still alive; objects created before become inert."""
    rc = lib.aclFinalize()
    _lifecycle.finalized()
    check(rc, "aclFinalize")


def is_initialized() -> bool:
    """True between a successful aclInit and aclFinalize, whichever API made them (a forked child: False)."""
    return _lifecycle.is_initialized()


def run_mode() -> int:
    """aclrtGetRunMode: ACL_HOST (1) when the program runs on a host with a PCIe device, ACL_DEVICE (0) on board."""
    cell = ffi.new("aclrtRunMode *")
    check(lib.aclrtGetRunMode(cell), "aclrtGetRunMode")
    return int(cell[0])


def soc_name() -> str:
    p = lib.aclrtGetSocName()
    if p == ffi.NULL:
        check(lib.ACL_ERROR_UNINITIALIZE, "aclrtGetSocName")
    return ffi.string(p).decode()


def device_count() -> int:
    cell = ffi.new("uint32_t *")
    check(lib.aclrtGetDeviceCount(cell), "aclrtGetDeviceCount")
    return int(cell[0])


def version() -> Tuple[int, int, int]:
    return backend_info().version


def _counts(fn_name: str) -> dict:
    c = ffi.new("acllite_emu_counts *")
    check(getattr(binding, fn_name)(c), fn_name)
    return {k: int(getattr(c, k)) for k, _ in ffi.typeof("acllite_emu_counts").fields if k != "reserved"}


def emulator_live_counts() -> dict:
    """Emulator only: resources alive now, by kind (allocations, bytes, contexts, streams, events...)."""
    return _counts("acllite_emu_live_counts")


def emulator_leak_report() -> dict:
    """Emulator only: what the last aclrtResetDevice/aclFinalize found alive and released (all zero: no leak)."""
    return _counts("acllite_emu_last_leak_report")


def _reset_device(device_id: int, gen: int) -> None:
    if gen != _lifecycle.generation():
        return  # aclFinalize released the device; its count belongs to an older generation
    rc = lib.aclrtResetDevice(device_id)
    if rc:
        logger.warning("aclrtResetDevice(%d) failed with %d", device_id, rc)
    _lifecycle.device_closed(device_id)


class Device:
    """An opened device: aclrtSetDevice on creation, aclrtResetDevice on close()."""

    def __init__(self, device_id: int = 0):
        check(lib.aclrtSetDevice(device_id), "aclrtSetDevice")
        self.id = device_id
        cell = ffi.new("aclrtContext *")
        check(lib.aclrtGetCurrentContext(cell), "aclrtGetCurrentContext")
        self._default_context = cell[0]
        _lifecycle.device_opened(device_id)
        self._epoch = _lifecycle.epoch(device_id)
        self._finalizer = weakref.finalize(self, _reset_device, device_id, _lifecycle.generation())

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """aclrtResetDevice (once). The last close of a device releases everything on it."""
        self._finalizer()

    def __enter__(self) -> "Device":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<acllite.Device %d%s>" % (self.id, " closed" if self.closed else "")

    def make_current(self) -> None:
        """Make the device's default context the calling thread's current context."""
        self._check_open()
        check(lib.aclrtSetCurrentContext(self._default_context), "aclrtSetCurrentContext")

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("Device %d is closed" % self.id)

    def create_context(self) -> "Context":
        self._check_open()
        return Context(self)

    def create_stream(self) -> "Stream":
        self.make_current()
        return Stream(self)

    def create_event(self) -> "Event":
        self.make_current()
        return Event(self)

    def alloc(self, nbytes: int, policy: int = 0) -> "DeviceBuffer":
        """aclrtMalloc on this device."""
        from .memory import DeviceBuffer

        self.make_current()
        return DeviceBuffer(nbytes, self, policy)

    def alloc_host(self, nbytes: int) -> "HostBuffer":
        """aclrtMallocHost: pinned host memory (numpy views without a copy)."""
        from .memory import HostBuffer

        self.make_current()
        return HostBuffer(nbytes, self)

    def memory_info(self, attr: int = 0) -> Tuple[int, int]:
        """(free, total) bytes of device memory (aclrtGetMemInfo)."""
        self.make_current()
        cells = ffi.new("size_t[2]")
        check(lib.aclrtGetMemInfo(attr, cells, cells + 1), "aclrtGetMemInfo")
        return int(cells[0]), int(cells[1])

    def synchronize(self) -> None:
        self.make_current()
        check(lib.aclrtSynchronizeDevice(), "aclrtSynchronizeDevice")


class Context(Owned):
    """An explicit context on a device (aclrtCreateContext); it becomes current on creation."""

    def __init__(self, device: Device):
        cell = ffi.new("aclrtContext *")
        check(lib.aclrtCreateContext(cell, device.id), "aclrtCreateContext")
        self.device = device
        self.handle = cell[0]
        self._own(lib.aclrtDestroyContext, "aclrtDestroyContext", self.handle, device.id)

    def make_current(self) -> None:
        self._check_open()
        check(lib.aclrtSetCurrentContext(self.handle), "aclrtSetCurrentContext")

    def create_stream(self) -> "Stream":
        self.make_current()
        return Stream(self)

    def create_event(self) -> "Event":
        self.make_current()
        return Event(self)


class Stream(Owned):
    """An ordered queue of asynchronous work (aclrtCreateStream) in the owner's context."""

    def __init__(self, owner: Any):
        cell = ffi.new("aclrtStream *")
        check(lib.aclrtCreateStream(cell), "aclrtCreateStream")
        self.owner = owner  # keeps the context alive as long as the stream
        self.handle = cell[0]
        self._pending: List[Any] = []  # host objects async copies read or write, kept alive until synchronize
        self._own(lib.aclrtDestroyStream, "aclrtDestroyStream", self.handle, owner.device.id
                  if isinstance(owner, Context) else owner.id)

    def synchronize(self, timeout_ms: Optional[int] = None) -> None:
        """Wait for the queued work; raises the first error it reported."""
        self._check_open()
        if timeout_ms is None:
            rc = lib.aclrtSynchronizeStream(self.handle)
            name = "aclrtSynchronizeStream"
        else:
            rc = lib.aclrtSynchronizeStreamWithTimeout(self.handle, timeout_ms)
            name = "aclrtSynchronizeStreamWithTimeout"
        if rc == 0 or rc != lib.ACL_ERROR_RT_STREAM_SYNC_TIMEOUT:
            self._pending.clear()
        check(rc, name)

    def record(self, event: "Event") -> None:
        check(lib.aclrtRecordEvent(event.handle, self.handle), "aclrtRecordEvent")

    def wait(self, event: "Event") -> None:
        """Make later work on this stream wait for the event's last record."""
        check(lib.aclrtStreamWaitEvent(self.handle, event.handle), "aclrtStreamWaitEvent")

    def _keep(self, obj: Any) -> None:
        self._pending.append(obj)

    def close(self) -> None:
        super().close()
        self._pending.clear()


class Event(Owned):
    """A marker on a stream: completion and timing (aclrtCreateEvent)."""

    def __init__(self, owner: Any):
        cell = ffi.new("aclrtEvent *")
        check(lib.aclrtCreateEvent(cell), "aclrtCreateEvent")
        self.owner = owner
        self.handle = cell[0]
        self._own(lib.aclrtDestroyEvent, "aclrtDestroyEvent", self.handle, owner.device.id
                  if isinstance(owner, Context) else owner.id)

    def record(self, stream: Optional[Stream] = None) -> None:
        check(lib.aclrtRecordEvent(self.handle, stream.handle if stream else ffi.NULL), "aclrtRecordEvent")

    def synchronize(self) -> None:
        check(lib.aclrtSynchronizeEvent(self.handle), "aclrtSynchronizeEvent")

    def query(self) -> bool:
        """True when the last record has run."""
        cell = ffi.new("aclrtEventRecordedStatus *")
        check(lib.aclrtQueryEventStatus(self.handle, cell), "aclrtQueryEventStatus")
        return cell[0] == lib.ACL_EVENT_RECORDED_STATUS_COMPLETE

    def elapsed_ms(self, start: "Event") -> float:
        """Milliseconds from start's record to this event's record."""
        cell = ffi.new("float *")
        check(lib.aclrtEventElapsedTime(cell, start.handle, self.handle), "aclrtEventElapsedTime")
        return float(cell[0])

