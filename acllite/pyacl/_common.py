"""What the pyACL shims share: the raw binding, the int <-> pointer conversions, the handles made in Python, and
the hooks that aclFinalize runs.

Every pyACL function is a thin shim over :mod:`acllite.binding`: ints in (``ffi.cast("void *", ptr)``), the C call,
ints out (``int(ffi.cast("uintptr_t", p))``). The few objects that AscendCL has and our binding does not (batch
picture descriptions, stream descriptions, tensor descriptions, operator attributes) live here in Python, behind
non-zero int handles of their own.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any, Callable, Dict, List, Optional

from .. import _lifecycle
from .._native import ffi, lib

logger = logging.getLogger("acllite.pyacl")

VOIDP = ffi.typeof("void *")
UINTPTR = ffi.typeof("uintptr_t")
cast = ffi.cast
new = ffi.new
NULL = ffi.NULL

ACL_SUCCESS = 0
ACL_ERROR_INVALID_PARAM = lib.ACL_ERROR_INVALID_PARAM
ACL_ERROR_UNINITIALIZE = lib.ACL_ERROR_UNINITIALIZE
ACL_ERROR_API_NOT_SUPPORT = lib.ACL_ERROR_API_NOT_SUPPORT
ACL_ERROR_INVALID_RESOURCE_HANDLE = lib.ACL_ERROR_INVALID_RESOURCE_HANDLE


# int -> void * for the pointers and handles programs pass again and again (streams, descriptions, buffers):
# a dict lookup costs less than ffi.cast. Bounded: cleared when full (a cast is always right, only slower).
_POINTERS: Dict[int, Any] = {}
pointer_cached = _POINTERS.get


def pointer(value: int) -> Any:
    """``(void *) value`` (for a miss of ``pointer_cached``: ``pointer_cached(x) or pointer(x)``)."""
    p = _POINTERS.get(value)
    if p is None:
        p = cast(VOIDP, value)
        if len(_POINTERS) >= 4096:
            _POINTERS.clear()
        _POINTERS[value] = p
    return p


class _Scratch(threading.local):
    """Out-parameter cells of the calling thread, made once per thread instead of once per call (ffi.new costs
    more than the C call it serves). A shim zeroes the cell, calls, reads it back: no C function used with these
    cells calls back into Python, so nothing else in the thread can use the cell in between."""

    def __init__(self) -> None:
        addr = new("uintptr_t *")  # a pointer written by C, read back as an int
        self.addr = (addr, cast("void **", addr))  # (the cell, the cell as the void ** the C call takes)
        self.i32 = new("int32_t *")
        self.u32 = new("uint32_t *")


scratch = _Scratch()


def text(p: Any) -> Optional[str]:
    """A C string as str (None for NULL)."""
    return None if p == NULL else ffi.string(p).decode(errors="replace")


def initialized() -> bool:
    """True between aclInit and aclFinalize (asked of the runtime, not remembered: programs mix APIs)."""
    cell = new("uint32_t *")
    return lib.aclrtGetDeviceCount(cell) != ACL_ERROR_UNINITIALIZE


def stale_code() -> int:
    """The code for a Python-side handle that is not (or no longer) live."""
    return ACL_ERROR_INVALID_PARAM if initialized() else ACL_ERROR_UNINITIALIZE


class HandleTable:
    """Objects made in Python, each behind a non-zero int handle (pyACL hands out ints only).

    Entries remember the aclInit generation they were made in: aclFinalize ends them, as it ends C handles.
    """

    _ids = itertools.count(0x5A0001, 16)  # shared by every table: a handle never names two objects

    def __init__(self, kind: str):
        self.kind = kind
        self._items: Dict[int, Any] = {}
        self._gens: Dict[int, int] = {}
        _tables.append(self)

    def add(self, obj: Any) -> int:
        handle = next(HandleTable._ids)
        self._items[handle] = obj
        self._gens[handle] = _lifecycle.generation()
        return handle

    def get(self, handle: Any) -> Any:
        """The object, or None when the handle is unknown, destroyed or from before an aclFinalize."""
        obj = self._items.get(handle) if type(handle) is int else None
        if obj is not None and self._gens[handle] != _lifecycle.generation():
            self.pop(handle)
            return None
        return obj

    def pop(self, handle: Any) -> Any:
        self._gens.pop(handle, None)
        return self._items.pop(handle, None) if type(handle) is int else None

    def clear(self) -> None:
        self._items.clear()
        self._gens.clear()

    def __len__(self) -> int:
        return len(self._items)


_tables: List[HandleTable] = []
_finalize_hooks: List[Callable[[], None]] = []
_warned = set()
_warn_lock = threading.Lock()


def on_finalize(fn: Callable[[], None]) -> None:
    """Run fn after a successful aclFinalize (through acl.finalize)."""
    _finalize_hooks.append(fn)


def finalized() -> None:
    """aclFinalize succeeded: every handle of the process is gone, Python-side ones included."""
    _lifecycle.finalized()  # acllite's own objects become inert too
    for table in _tables:
        table.clear()
    for hook in _finalize_hooks:
        hook()


def not_supported(name: str, why: str) -> None:
    """Say once per function (at WARNING) that a call is not available, then the caller returns the code."""
    with _warn_lock:
        if name in _warned:
            return
        _warned.add(name)
    logger.warning("%s: not available in acllite's pyACL (%s); returning ACL_ERROR_API_NOT_SUPPORT (%d)",
                   name, why, ACL_ERROR_API_NOT_SUPPORT)
