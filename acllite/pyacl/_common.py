"""What the pyACL shims share: the raw binding, the one set of argument conversions, and the hooks that
aclFinalize runs.

Every pyACL function is a thin shim over :mod:`acllite.binding`: Python values in, the C call, Python values out.
The conversions here are the only way a Python value reaches C (docs/PYACL.md, "Argument conversion"):

* pointers and handles (``void *``, ``aclrtStream``, ``aclmdlDesc *``...): an ``int`` (not ``bool``) in
  ``[0, 2**64)``; anything else raises TypeError, an int out of range OverflowError;
* integers (sizes, ids, enums, flags): an ``int`` or an object with ``__index__`` (NumPy integers), not ``bool``
  (except for the C ``uint8_t``/``int8_t``/``bool`` flags, where ``True``/``False`` mean 1/0) and not ``float``
  (TypeError); a value outside the C type raises OverflowError (cffi checks the range against the C type);
* floating point: ``int`` or ``float`` (TypeError for anything else);
* strings and paths: ``str``, ``bytes`` or ``os.PathLike``; a NUL byte raises ValueError (C would cut the string
  short there), anything else TypeError.

Real pyACL parses arguments with ``PyArg_ParseTuple``: its ``k`` format (pointers, handles, sizes) masks the value
to 64 bits without complaint and takes ``True`` for 1; acllite refuses both, because a masked pointer or size
silently addresses other memory. The generated shims inline the fast path (``type(x) is int``) and call these
functions only for anything else.
"""

from __future__ import annotations

import logging
import operator
import os
import threading
from typing import Any, Callable, Dict, List, Optional

from .. import _lifecycle
from .._native import ffi, lib

logger = logging.getLogger("acllite.pyacl")

VOIDP = ffi.typeof("void *")
UINTPTR = ffi.typeof("uintptr_t")
CHARP = ffi.typeof("char *")
cast = ffi.cast
new = ffi.new
NULL = ffi.NULL
UINTPTR_MAX = (1 << (8 * ffi.sizeof("uintptr_t"))) - 1

ACL_SUCCESS = 0
ACL_ERROR_INVALID_PARAM = lib.ACL_ERROR_INVALID_PARAM
ACL_ERROR_UNINITIALIZE = lib.ACL_ERROR_UNINITIALIZE
ACL_ERROR_API_NOT_SUPPORT = lib.ACL_ERROR_API_NOT_SUPPORT


def _type_name(value: Any) -> str:
    return type(value).__name__


# ------------------------------------------------------------------------------------------- pointers, handles

# int -> void * for the pointers and handles programs pass again and again (streams, descriptions, buffers): a
# dict lookup costs less than ffi.cast. Only exact ints are looked up (True == 1 and 5.0 == 5 would hit otherwise);
# bounded: cleared when full (a cast is always right, only slower).
_POINTERS: Dict[int, Any] = {}
pointer_cached = _POINTERS.get


def pointer(value: Any, where: str = "pointer") -> Any:
    """``(void *) value`` for an int in ``[0, 2**64)``: the slow path of every pointer and handle argument."""
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("%s: a pointer or handle must be an int, not %s (an integer is required)"
                            % (where, _type_name(value)))
        value = int(value)  # an int subclass (IntEnum...)
    p = _POINTERS.get(value)
    if p is None:
        if value < 0 or value > UINTPTR_MAX:
            raise OverflowError("%s: %d is not a pointer value (0 <= value < 2**64)" % (where, value))
        p = cast(VOIDP, value)
        if len(_POINTERS) >= 4096:
            _POINTERS.clear()
        _POINTERS[value] = p
    return p


def pointer_uncached(value: Any, where: str = "pointer") -> Any:
    """As :func:`pointer`, for pointers and handles passed once (to free or destroy them): never cached."""
    if type(value) is not int:
        return pointer(value, where)
    p = _POINTERS.get(value)
    if p is None:
        if value < 0 or value > UINTPTR_MAX:
            raise OverflowError("%s: %d is not a pointer value (0 <= value < 2**64)" % (where, value))
        p = cast(VOIDP, value)
    return p


def optional_pointer(value: Any, where: str = "pointer") -> Any:
    """A pointer argument that pyACL also takes as None (NULL)."""
    return NULL if value is None else pointer(value, where)


def address(p: Any) -> int:
    """A pointer returned by C as a Python int (0 for NULL)."""
    return int(cast(UINTPTR, p))


# ------------------------------------------------------------------------------------------- integers, floats


def integer(value: Any, where: str = "value", flag: bool = False) -> int:
    """The slow path of an integer argument: int subclasses and ``__index__`` objects, never bool (unless the C
    parameter is a one-byte flag) or float. The range is checked by cffi against the C type (OverflowError)."""
    if isinstance(value, bool):
        if flag:
            return int(value)
        raise TypeError("%s: an integer is required, not bool" % where)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        raise TypeError("%s: an integer is required, not float" % where)
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError("%s: an integer is required, not %s" % (where, _type_name(value))) from None


SIZE_MAX = (1 << (8 * ffi.sizeof("size_t"))) - 1


def size_index(value: Any, where: str = "index") -> int:
    """A ``size_t index`` argument: -1 is the reserved index pyACL's documentation and the samples pass (C's
    ``(size_t)-1``: "the model's gear information", e.g. ``aclmdlGetDynamicHW(desc, -1)``), any other value as an
    integer (cffi checks its range)."""
    v = value if type(value) is int else integer(value, where)
    return SIZE_MAX if v == -1 else v


def flag(value: Any, where: str = "value") -> int:
    return integer(value, where, flag=True)


def in_range(value: int, bits: int, signed: bool, where: str) -> int:
    """Check an int against a C integer type (for values packed by hand, where cffi does not check)."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if not lo <= value <= hi:
        raise OverflowError("%s: %d does not fit a %sint%d_t" % (where, value, "" if signed else "u", bits))
    return value


def real(value: Any, where: str = "value") -> float:
    """A C float/double argument: an int or a float (NumPy numbers too), never bool or str."""
    if type(value) is float or type(value) is int:
        return value
    if not isinstance(value, bool) and hasattr(value, "__float__") and not isinstance(value, (str, bytes)):
        return float(value)
    raise TypeError("%s: a number is required, not %s" % (where, _type_name(value)))


# ------------------------------------------------------------------------------------------- strings


def string(value: Any, where: str = "string") -> bytes:
    """A C string argument: str (UTF-8, paths with the file system's encoding), bytes or a path-like; no NUL."""
    if type(value) is str:
        data = os.fsencode(value)
    elif isinstance(value, (str, bytes, os.PathLike)):
        data = os.fsencode(value)
    else:
        raise TypeError("%s: a str is required, not %s" % (where, _type_name(value)))
    if b"\0" in data:
        raise ValueError("%s: embedded null character" % where)
    return data


def optional_string(value: Any, where: str = "string") -> Any:
    return NULL if value is None else string(value, where)


def text(p: Any) -> Optional[str]:
    """A C string as str (None for NULL)."""
    return None if p == NULL else ffi.string(p).decode(errors="replace")


# ------------------------------------------------------------------------------------------- sequences


def sequence(value: Any, where: str) -> List[Any]:
    """A list argument (pyACL takes lists; tuples are accepted too)."""
    if not isinstance(value, (list, tuple)):
        raise TypeError("%s: a list is required, not %s" % (where, _type_name(value)))
    return list(value)


def pointer_array(values: Any, where: str, item: str = "void *") -> Any:
    """A C array of ``item`` pointers (``"acldvppRoiConfig *"``...) from a list of ints, NULL one past the end
    (as pyACL allocates it)."""
    items = sequence(values, where)
    item_t = ffi.typeof(item)
    arr = new(ffi.getctype(item_t, "[]"), len(items) + 1)
    for i, v in enumerate(items):
        arr[i] = cast(item_t, pointer(v, "%s[%d]" % (where, i)))
    return arr


def int_array(values: Any, ctype: str, where: str, flag_values: bool = False) -> Any:
    """A C array of integers of ``ctype`` from a list (each element converted and range-checked by cffi)."""
    items = sequence(values, where)
    arr = new("%s[]" % ctype, max(len(items), 1))
    for i, v in enumerate(items):
        arr[i] = v if type(v) is int else integer(v, "%s[%d]" % (where, i), flag_values)
    return arr


# ------------------------------------------------------------------------------------------- out-parameter cells


class _Scratch(threading.local):
    """Out-parameter cells of the calling thread for the hand-written hot shims, made once per thread instead of
    once per call (ffi.new costs more than the C call it serves). A shim zeroes the cell, calls, reads it back: no
    C function used with these cells calls back into Python, so nothing else in the thread can use the cell in
    between."""

    def __init__(self) -> None:
        addr = new("uintptr_t *")  # a pointer written by C, read back as an int
        self.addr = (addr, cast("void **", addr))  # (the cell, the cell as the void ** the C call takes)
        self.i32 = new("int32_t *")
        self.u32 = new("uint32_t *")


scratch = _Scratch()


# ------------------------------------------------------------------------------------------- lifetime


def initialized() -> bool:
    """True between aclInit and aclFinalize (asked of the runtime, not remembered: programs mix APIs)."""
    cell = new("int32_t *")  # aclrtGetDevice: aclrtGetDeviceCount works before aclInit, as on CANN
    return lib.aclrtGetDevice(cell) != ACL_ERROR_UNINITIALIZE


_finalize_hooks: List[Callable[[], None]] = []


def on_finalize(fn: Callable[[], None]) -> None:
    """Run fn after a successful aclFinalize (through acl.finalize): Python-side registries end with it."""
    _finalize_hooks.append(fn)


def finalized() -> None:
    """aclFinalize succeeded: every handle of the process is gone, and with it what Python kept for them."""
    _lifecycle.finalized()  # acllite's own objects become inert too
    for hook in _finalize_hooks:
        hook()


def callback_failed(where: str) -> None:
    """Log the exception a program's callback raised (called inside an ``except``): a callback runs on a C
    thread, so the exception must never propagate into C; the run continues with the next callback."""
    logger.error("%s: the callback raised an exception (ignored; the next callbacks still run)", where,
                 exc_info=True)
