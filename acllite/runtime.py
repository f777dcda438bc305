"""Runtime objects: initialization, devices, contexts, streams and events.

Every object owns one native handle through :mod:`acllite._lifecycle` (its ``Resource``): ``close()`` (safe to
call twice), the end of a ``with`` block (which never replaces an exception in flight), or the collector's
``weakref.finalize`` releases it, once, on a thread where a release may run (else it is queued). Children keep
their parents alive (a Stream holds its Context); a context's close releases its streams and events first; the
last aclrtResetDevice of a device, and aclFinalize, release everything made before on the C side, and the
objects over those handles are closed with them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from . import _lifecycle, binding
from ._lifecycle import Owned
from ._native import backend_info, ffi, lib
from .errors import AclStateError, check

if TYPE_CHECKING:
    from .memory import DeviceBuffer, HostBuffer

__all__ = ["init", "finalize", "is_initialized", "Runtime", "run_mode", "soc_name", "device_count", "version",
           "Device", "Context", "Stream", "Event", "emulator_live_counts", "emulator_leak_report", "callback_scope"]

#: ``with callback_scope(): ...`` around the body of a host callback of a program's own (aclrtLaunchCallback):
#: releases that a collection runs inside are queued until a normal thread's next call (docs/RELIABILITY.md).
callback_scope = _lifecycle.callback_scope

logger = logging.getLogger("acllite")
ACL_HOST = 1
class Runtime:
    """aclInit ... aclFinalize, as an object: ``with acllite.init(): ...``.

    ``close()`` finalizes once, and only the initialization it made: after ``acllite.finalize()`` (or in a child
    forked from this process) it does nothing. Leaving the ``with`` block with an exception never replaces that
    exception: a failing cleanup is logged instead.
    """

    def __init__(self, config_path: Optional[str] = None):
        _lifecycle.drain()
        check(lib.aclInit(config_path.encode() if config_path else ffi.NULL), "aclInit")
        _lifecycle.initialized()
        self._token = _lifecycle.token()
        self._open = True

    @property
    def closed(self) -> bool:
        return not self._open or not self._token.live

    def close(self) -> None:
        """aclFinalize (once), unless AscendCL was finalized since (then nothing). Inside a callback or on a thread
        of the runtime's own (a collector's finalizer may get there), the finalize is queued like any release."""
        if self.closed:
            self._open = False
            return
        if not _lifecycle.may_release_here():
            self._open = False
            _lifecycle.Resource(lambda _: finalize(), "aclFinalize", None, priority=_lifecycle.PRIORITY_RUNTIME,
                                hold=_lifecycle.live_views).release()
            return
        finalize()
        self._open = False

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _lifecycle.exit_close(self.close, exc_type, "Runtime")


def init(config_path: Optional[str] = None) -> Runtime:
    """aclInit. ``config_path`` names an acl.json (or None). Returns a Runtime whose close() finalizes."""
    return Runtime(config_path)


def finalize() -> None:
    """aclFinalize: releases everything still alive; objects created before become inert.

    Refused (BufferError, nothing released) while numpy views or memoryviews of pinned host memory are alive,
    as :meth:`HostBuffer.close` is: the memory would go while they still point at it. Refused
    (:class:`AclStateError`) inside a callback or on an emulator worker thread (CANN: callbacks must not release
    resources)."""
    if not _lifecycle.may_release_here():
        raise AclStateError(lib.ACL_ERROR_RT_CONTEXT_RELEASE_ERROR, "aclFinalize", None,
                            "acllite.finalize() cannot run inside a callback or on a thread of the runtime's own "
                            "(the work calling it would be torn down under it); finalize after it returns")
    views = _lifecycle.live_views()
    if views:
        raise BufferError("%d numpy view(s) or memoryview(s) of pinned host memory (HostBuffer) are still alive; "
                          "aclFinalize would release the memory under them: delete them first" % views)
    _lifecycle.drain()
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


def _reset_device(device_id: int) -> int:
    return int(lib.aclrtResetDevice(device_id))


class Device(Owned):
    """An opened device: aclrtSetDevice on creation, aclrtResetDevice on close().

    The last close of a device releases everything on it (its streams, events, memory, DVPP channels): the
    objects over those are then closed too. It is refused (BufferError) while numpy views or memoryviews of the
    device's pinned host memory are alive.
    """

    def __init__(self, device_id: int = 0):
        _lifecycle.drain()
        check(lib.aclrtSetDevice(device_id), "aclrtSetDevice")
        self.id = device_id
        cell = ffi.new("aclrtContext *")
        rc = lib.aclrtGetCurrentContext(cell)
        if rc:
            lib.aclrtResetDevice(device_id)
            check(rc, "aclrtGetCurrentContext")
        self._default_context = cell[0]
        _lifecycle.device_opened(device_id)
        res = self._own(_reset_device, "aclrtResetDevice", device_id, -1, priority=_lifecycle.PRIORITY_DEVICE,
                        after=lambda: _lifecycle.device_closed(device_id))
        # Collected while views of its pinned memory live: the reset waits for them (if it is the last one).
        res.hold = lambda: _lifecycle.live_views(device_id) if _lifecycle.device_users(device_id) <= 1 else 0

    def close(self) -> None:
        """aclrtResetDevice (once). The last close of a device releases everything on it."""
        if not self.closed and _lifecycle.device_users(self.id) <= 1:
            views = _lifecycle.live_views(self.id)
            if views:
                raise BufferError("%d numpy view(s) or memoryview(s) of device %d's pinned host memory are still "
                                  "alive; resetting the device would release the memory under them: delete them "
                                  "first" % (views, self.id))
        super().close()

    def __repr__(self) -> str:
        return "<acllite.Device %d%s>" % (self.id, " closed" if self.closed else "")

    def make_current(self) -> None:
        """Make the device's default context the calling thread's current context."""
        self._check_open()
        check(lib.aclrtSetCurrentContext(self._default_context), "aclrtSetCurrentContext")

    def _closed_error(self, what: Optional[str] = None) -> Exception:
        error = super()._closed_error("Device %d" % self.id)
        return error

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


def _device_of(owner: Any) -> int:
    return owner.device.id if isinstance(owner, Context) else owner.id


class Context(Owned):
    """An explicit context on a device (aclrtCreateContext); it becomes current on creation.

    ``close()`` destroys the streams and events made in it first (those objects are then closed), then the
    context."""

    def __init__(self, device: Device):
        device._check_open()
        _lifecycle.drain()
        cell = ffi.new("aclrtContext *")
        check(lib.aclrtCreateContext(cell, device.id), "aclrtCreateContext")
        self.device = device
        self.handle = cell[0]
        res = self._own(lib.aclrtDestroyContext, "aclrtDestroyContext", self.handle, device.id,
                        priority=_lifecycle.PRIORITY_CONTEXT)
        res.kind = "Context"  # what its streams' and events' messages call it

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
        owner._check_open()
        _lifecycle.drain()
        cell = ffi.new("aclrtStream *")
        check(lib.aclrtCreateStream(cell), "aclrtCreateStream")
        self.owner = owner  # keeps the context alive as long as the stream
        self.handle = cell[0]
        self._pending: List[Any] = []  # host objects async copies read or write, kept alive until synchronize
        self._own(lib.aclrtDestroyStream, "aclrtDestroyStream", self.handle, _device_of(owner),
                  parent=owner._res if isinstance(owner, Context) else None, priority=_lifecycle.PRIORITY_STREAM)

    def synchronize(self, timeout_ms: Optional[int] = None) -> None:
        """Wait for the queued work; raises the first error it reported."""
        self._check_open()
        if timeout_ms is None:
            rc = lib.aclrtSynchronizeStream(self.handle)
            name = "aclrtSynchronizeStream"
        else:
            rc = lib.aclrtSynchronizeStreamWithTimeout(self.handle, timeout_ms)
            name = "aclrtSynchronizeStreamWithTimeout"
        if rc != lib.ACL_ERROR_RT_STREAM_SYNC_TIMEOUT:  # done, or failed: either way nothing stays queued
            self._pending.clear()
        check(rc, name)

    def record(self, event: "Event") -> None:
        self._check_open()
        event._check_open()
        check(lib.aclrtRecordEvent(event.handle, self.handle), "aclrtRecordEvent")

    def wait(self, event: "Event") -> None:
        """Make later work on this stream wait for the event's last record."""
        self._check_open()
        event._check_open()
        check(lib.aclrtStreamWaitEvent(self.handle, event.handle), "aclrtStreamWaitEvent")

    def _keep(self, obj: Any) -> None:
        self._pending.append(obj)

    def close(self) -> None:
        super().close()
        self._pending.clear()


class Event(Owned):
    """A marker on a stream: completion and timing (aclrtCreateEvent)."""

    def __init__(self, owner: Any):
        owner._check_open()
        _lifecycle.drain()
        cell = ffi.new("aclrtEvent *")
        check(lib.aclrtCreateEvent(cell), "aclrtCreateEvent")
        self.owner = owner
        self.handle = cell[0]
        self._own(lib.aclrtDestroyEvent, "aclrtDestroyEvent", self.handle, _device_of(owner),
                  parent=owner._res if isinstance(owner, Context) else None)

    def record(self, stream: Optional[Stream] = None) -> None:
        self._check_open()
        if stream is not None:
            stream._check_open()
        check(lib.aclrtRecordEvent(self.handle, stream.handle if stream else ffi.NULL), "aclrtRecordEvent")

    def synchronize(self) -> None:
        self._check_open()
        check(lib.aclrtSynchronizeEvent(self.handle), "aclrtSynchronizeEvent")

    def query(self) -> bool:
        """True when the last record has run."""
        self._check_open()
        cell = ffi.new("aclrtEventRecordedStatus *")
        check(lib.aclrtQueryEventStatus(self.handle, cell), "aclrtQueryEventStatus")
        return cell[0] == lib.ACL_EVENT_RECORDED_STATUS_COMPLETE

    def elapsed_ms(self, start: "Event") -> float:
        """Milliseconds from start's record to this event's record."""
        self._check_open()
        start._check_open()
        cell = ffi.new("float *")
        check(lib.aclrtEventElapsedTime(cell, start.handle, self.handle), "aclrtEventElapsedTime")
        return float(cell[0])
