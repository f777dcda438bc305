"""acllite_resource: ``AclLiteResource`` (init, device, context, stream) and ``resource_list``, on acllite's objects.

``AclLiteResource(device_id).init()`` opens AscendCL, the device and a stream with acllite's
:class:`~acllite.Runtime`, :class:`~acllite.Device` and :class:`~acllite.Stream`; ``context``, ``stream`` and
``run_mode`` are ints, as the samples' are, so a program can pass them to ``acl.*`` calls. Release happens in
order (registered models and image processors, stream, device, aclFinalize) at ``release()``, when the object is
collected, or at exit; objects still alive after that are inert (their releases are skipped), never freed twice.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, List, Optional

import acllite
from acllite import pyacl as acl
from acllite._native import ffi
from acllite.samples._logger import log_info

__all__ = ["AclLiteResource", "resource_list", "current_device"]


class _ResourceList:
    """The objects to release before the device is reset (models, image processors): they register themselves.
    Held by weak reference, so registering never keeps an object alive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: List["weakref.ref[Any]"] = []

    def register(self, resource: Any) -> None:
        with self._lock:
            self._items.append(weakref.ref(resource))

    def unregister(self, resource: Any) -> None:
        with self._lock:
            self._items = [r for r in self._items if r() is not None and r() is not resource]

    def destroy(self) -> None:
        """``destroy()`` every registered object still alive, newest first; one failing does not keep the others
        alive (the first failure is raised after all were tried)."""
        with self._lock:
            items, self._items = self._items, []
        first: Optional[BaseException] = None
        for ref in reversed(items):
            obj = ref()
            if obj is not None:
                try:
                    obj.destroy()
                except Exception as exc:
                    first = first or exc
        if first is not None:
            raise first


resource_list = _ResourceList()
_current: Optional["weakref.ref[AclLiteResource]"] = None


def current_device() -> "acllite.Device":
    """The device of the AclLiteResource initialized last (what models and image processors run on)."""
    res = _current() if _current is not None else None
    if res is None or res._device is None or res._device.closed:
        raise Exception("no AclLiteResource is initialized: create AclLiteResource() and call init() first")
    return res._device


class AclLiteResource:
    """AscendCL, one device, its context and a stream, as the samples' acllite sets them up.

    Attributes (after ``init()``): ``device_id``; ``context`` (int, the device's context); ``stream`` (int);
    ``run_mode`` (``ACL_HOST`` 1 or ``ACL_DEVICE`` 0).
    """

    def __init__(self, device_id: int = 0):
        self.device_id = device_id
        self.context: Optional[int] = None
        self.stream: Optional[int] = None
        self.run_mode: Optional[int] = None
        self._runtime: Optional[acllite.runtime.Runtime] = None
        self._device: Optional[acllite.Device] = None
        self._stream: Optional[acllite.Stream] = None

    def init(self) -> None:
        """acl.init, set the device, its context current, a stream, the run mode. Raises on failure (an
        :class:`acllite.AclError`, which is an ``Exception`` as the samples' check_ret raises)."""
        global _current
        log_info("init resource stage:")
        try:
            self._runtime = acllite.init()
            self._device = acllite.Device(self.device_id)
            self._stream = self._device.create_stream()
            self.context, ret = acl.rt.get_context()
            if ret:
                acllite.errors.check(ret, "aclrtGetCurrentContext")
            self.stream = int(ffi.cast("uintptr_t", self._stream.handle))
            self.run_mode = acllite.run_mode()
        except BaseException:
            self.release()
            raise
        _current = weakref.ref(self)
        log_info("Init resource success")

    def release(self) -> None:
        """Release everything, in order: registered objects, the stream, the device, AscendCL (idempotent). A step
        that fails does not skip the others; the first failure is raised once all were tried, and what could not
        be released is kept for a later ``release()``."""
        first: Optional[BaseException] = None
        try:
            resource_list.destroy()
        except Exception as exc:
            first = exc
        for name in ("_stream", "_device", "_runtime"):
            obj = getattr(self, name)
            if obj is None:
                continue
            try:
                obj.close()
            except Exception as exc:
                first = first or exc
                continue
            setattr(self, name, None)
        if self._device is None:
            self.context = self.stream = None
        if first is not None:
            raise first

    destroy = release

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:  # at interpreter exit, modules may already be gone
            pass
