"""What the Python objects need to know about the C runtime's state, so that a release run by the garbage
collector never comes out of order or after the C side has released the resource itself.

The C API frees everything of a device at its last aclrtResetDevice, and everything at aclFinalize; a handle
released there must not be released again. Each object records the generation and device epoch it was
created in; its release is skipped when either has moved on.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any, Dict, Optional

logger = logging.getLogger("acllite")

_lock = threading.Lock()
_generation = 0  # bumped by every aclFinalize
_device_epoch: Dict[int, int] = {}  # bumped when a device's last Device object is closed
_initialized = False  # between a successful aclInit and aclFinalize (or a fork)
_device_users: Dict[int, int] = {}  # open Device objects per device (mirrors the C reference count)


def generation() -> int:
    return _generation


def epoch(device: int) -> int:
    return _device_epoch.get(device, 0)


def alive(gen: int, device: int = -1, dev_epoch: int = 0) -> bool:
    """True while a resource created at (gen, device epoch) has not been released by the C runtime."""
    return gen == _generation and (device < 0 or _device_epoch.get(device, 0) == dev_epoch)


def initialized() -> None:
    """aclInit succeeded (through acllite.init or the pyACL module)."""
    global _initialized
    _initialized = True


def is_initialized() -> bool:
    return _initialized


def finalized() -> None:
    global _generation, _initialized
    _initialized = False
    with _lock:
        _generation += 1
        _device_users.clear()


def device_opened(device: int) -> None:
    with _lock:
        _device_users[device] = _device_users.get(device, 0) + 1


def device_closed(device: int) -> None:
    with _lock:
        n = _device_users.get(device, 0) - 1
        _device_users[device] = max(n, 0)
        if n <= 0:
            _device_epoch[device] = _device_epoch.get(device, 0) + 1


def _release(fn: Any, name: str, handle: Any, gen: int, device: int, dev_epoch: int) -> None:
    if not alive(gen, device, dev_epoch):
        return  # the C runtime released it already (device reset or finalize)
    rc = fn(handle)
    if rc:
        logger.warning("%s failed with %d while releasing %s", name, rc, handle)


class Owned:
    """One native handle, released once."""

    _finalizer: Optional[weakref.finalize] = None

    def _own(self, fn: Any, name: str, handle: Any, device: int) -> None:
        self._finalizer = weakref.finalize(self, _release, fn, name, handle, generation(), device,
                                           epoch(device))

    @property
    def closed(self) -> bool:
        return self._finalizer is None or not self._finalizer.alive

    def close(self) -> None:
        """Release the handle now (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("%s is closed" % type(self).__name__)

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _after_fork_in_child() -> None:
    """A child forked while AscendCL was initialized cannot use it (the emulator refuses every call there, as CANN
    does not support fork): the objects it inherited must not try to release anything."""
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    finalized()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
