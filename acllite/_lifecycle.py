"""What the Python objects need to know about the C runtime's state, so that a release run by the garbage
collector never comes out of order or after the C side has released the resource itself.

The C API frees everything of a device at its last aclrtResetDevice, and everything at aclFinalize; a handle
released there must not be released again. Each object records the generation and device epoch it was
created in; its release is skipped when either has moved on.
"""

from __future__ import annotations

import os
import threading
from typing import Dict

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


def _after_fork_in_child() -> None:
    """A child forked while AscendCL was initialized cannot use it (the emulator refuses every call there, as CANN
    does not support fork): the objects it inherited must not try to release anything."""
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    finalized()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
