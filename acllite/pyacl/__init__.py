"""A pyACL-compatible ``acl`` module on acllite's binding: run programs written for pyACL without pyACL.

``acllite pyacl SCRIPT [ARGS...]`` (or ``python -m acllite.pyacl SCRIPT``) runs a program with ``import acl``
resolving to this module; see docs/PYACL.md for the rules (a real pyACL the user asked for is never hidden) and
the coverage. The surface follows pyACL's conventions:

* pointers and handles are plain non-zero ints (0 is NULL);
* a call that produces a value returns ``(value, ret)``, a call that only acts returns the bare ``ret``, a pure
  getter or descriptor constructor the bare value; failures are return codes, never exceptions (a wrong Python
  type raises TypeError, as pyACL's argument parsing does);
* ``acl.rt``, ``acl.mdl``, ``acl.media``, ``acl.util`` and ``acl.op`` are modules whose functions exist from
  import on (``"bytes_to_ptr" in dir(acl.util)`` works), and ``acl.rt.get_run_mode()`` works before
  ``acl.init()``.

Each function is a thin shim over :mod:`acllite.binding` (the C functions bound once at import), so it runs on
whichever backend acllite chose: the CANN libraries on a device, the emulator elsewhere.
"""

from __future__ import annotations

import logging as _logging
from typing import TYPE_CHECKING

from .. import _lifecycle
from .._native import backend_info as _backend_info
from . import _generate
from . import mdl, media, op, prof, rt, util  # noqa: F401  (acl.rt, acl.mdl...: the submodules are the API)
from ._common import ffi as _ffi, finalized as _finalized, integer as _integer, lib as _lib, new as _new
from ._common import optional_string as _optional_string, pointer as _pointer, pointer_cached as _vp
from ._common import sequence as _sequence, string as _string

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

_generate.install(globals(), "acl", __name__)

if TYPE_CHECKING:
    def __getattr__(name: str) -> Any:
        """The functions generated from the catalog are installed at import: to a type checker they are Any."""

_app_logger = _logging.getLogger("acllite.pyacl.app")
_app_logger.addHandler(_logging.NullHandler())  # like pyACL's log files: silent unless logging is configured
#: The emulator does not emulate aclAppLog (calling it would only set "not emulated" as the recent error).
_ON_CANN = _backend_info().name == "cann"
_LOG_LEVELS = {0: _logging.DEBUG, 1: _logging.INFO, 2: _logging.WARNING, 3: _logging.ERROR}


def _i(value: Any, where: str) -> int:
    return value if type(value) is int else _integer(value, where)


def _p(value: Any, where: str) -> Any:
    return (_vp(value) if type(value) is int else None) or _pointer(value, where)


def init(config_path: Optional[str] = None, /) -> int:
    """aclInit; ``config_path`` an acl.json (None, "" or nothing for none)."""
    ret = _lib.aclInit(_optional_string(config_path or None, "acl.init: config_path"))
    if ret == 0:
        _lifecycle.initialized()
    return ret


def finalize() -> int:
    """aclFinalize: everything still alive is released; handles made before are dead afterwards."""
    _lifecycle.drain()  # releases acllite's objects deferred (from callbacks, collections) run first
    ret = _lib.aclFinalize()
    if ret == 0:
        _finalized()
    return ret


def app_log(log_level: int, message: str, /) -> None:
    """Log ``message`` at 0 DEBUG, 1 INFO, 2 WARNING, 3 ERROR: through aclAppLog into CANN's log (on CANN, as
    pyACL does), and to the Python logger ``acllite.pyacl.app`` (silent unless logging is configured)."""
    level = _i(log_level, "acl.app_log: log_level")
    text = _string(message, "acl.app_log: message")  # a str; no NUL (C would cut the text there)
    if _ON_CANN:
        _lib.aclAppLog(level, b"acl.app_log", b"acllite.pyacl", 0, b"%s", _ffi.new("char[]", text))
    _app_logger.log(_LOG_LEVELS.get(level, _logging.INFO), "%s", message)


# ---------------------------------------------------------------------------------------- tensor descriptions


def _int64_array(values: Any, where: str) -> Any:
    items = _sequence(values, where)
    arr = _new("int64_t[]", max(len(items), 1))
    for k, v in enumerate(items):
        arr[k] = _i(v, "%s[%d]" % (where, k))
    return arr, len(items)


def create_tensor_desc(data_type: int, dims: List[int], format: int, /) -> int:  # noqa: A002 (pyACL's name)
    """A tensor description (0 on failure): data type, dims (a list of int), format."""
    w = "acl.create_tensor_desc"
    dt = _i(data_type, w + ": data_type")
    arr, n = _int64_array(dims, w + ": dims")
    return int(_ffi.cast("uintptr_t", _lib.aclCreateTensorDesc(dt, n, arr, _i(format, w + ": format"))))


def _shape_setter(c_fn: Any, name: str) -> Any:
    w = "acl.%s" % name

    def setter(tensor_desc: int, dims: List[int], /) -> int:
        desc = _p(tensor_desc, w + ": tensor_desc")
        arr, n = _int64_array(dims, w + ": dims")
        return c_fn(desc, n, arr)

    setter.__name__ = setter.__qualname__ = name
    setter.__doc__ = "%s(tensor_desc, dims) -> ret (dims a list of int)." % w
    return setter


set_tensor_shape = _shape_setter(_lib.aclSetTensorShape, "set_tensor_shape")
set_tensor_storage_shape = _shape_setter(_lib.aclSetTensorStorageShape, "set_tensor_storage_shape")
set_tensor_origin_shape = _shape_setter(_lib.aclSetTensorOriginShape, "set_tensor_origin_shape")


def _pairs(values: Any, where: str) -> Any:
    items = _sequence(values, where)
    arr = _new("int64_t[][2]", max(len(items), 1))
    for k, pair in enumerate(items):
        lo_hi = _sequence(pair, "%s[%d]" % (where, k))
        if len(lo_hi) != 2:
            raise ValueError("%s[%d]: a [min, max] pair is required" % (where, k))
        arr[k][0], arr[k][1] = (_i(x, "%s[%d]" % (where, k)) for x in lo_hi)
    return arr, len(items)


def set_tensor_shape_range(tensor_desc: int, dims_range: List[List[int]], /) -> int:
    """``dims_range`` a list of ``[min, max]`` per dimension."""
    arr, n = _pairs(dims_range, "acl.set_tensor_shape_range: dims_range")
    return _lib.aclSetTensorShapeRange(_p(tensor_desc, "acl.set_tensor_shape_range: tensor_desc"), n, arr)


def set_tensor_value_range(tensor_desc: int, value_range: List[List[int]], /) -> int:
    arr, n = _pairs(value_range, "acl.set_tensor_value_range: value_range")
    return _lib.aclSetTensorValueRange(_p(tensor_desc, "acl.set_tensor_value_range: tensor_desc"), n, arr)


def get_tensor_desc_dim_range(tensor_desc: int, index: int, dim_range_num: int, /) -> Tuple[Optional[List[int]], int]:
    """``([min, max...], ret)``; ``(None, ret)`` on failure and for a dim_range_num above 4096 (pyACL's cap)."""
    w = "acl.get_tensor_desc_dim_range"
    desc, idx, n = _p(tensor_desc, w + ": tensor_desc"), _i(index, w + ": index"), _i(dim_range_num, w)
    if n < 0:
        raise OverflowError("%s: dim_range_num %d is negative" % (w, n))
    if n > 4096:
        return None, _lib.ACL_ERROR_INVALID_PARAM
    arr = _new("int64_t[]", max(n, 1))
    ret = _lib.aclGetTensorDescDimRange(desc, idx, n, arr)
    return (list(arr[0:n]) if ret == 0 else None), ret


# ---------------------------------------------------------------------------------------- CANN information


def get_cann_attribute_list() -> Tuple[List[int], int, int]:
    """``(attributes, count, ret)``."""
    cell, num = _new("aclCannAttr **"), _new("size_t *")
    ret = _lib.aclGetCannAttributeList(cell, num)
    n = min(num[0], 1 << 16) if ret == 0 and cell[0] != _ffi.NULL else 0
    return [int(cell[0][k]) for k in range(n)], n, ret


_VERSION_FIELDS = (("version", "version"), ("major_version", "majorVersion"), ("minor_version", "minorVersion"),
                   ("release_version", "releaseVersion"), ("patch_version", "patchVersion"), ("reserved", "reserved"))


def get_cann_version(name: int, /) -> Tuple[Dict[str, str], int]:
    """``({"version", "major_version", "minor_version", "release_version", "patch_version", "reserved"}, ret)``
    of a CANN package (aclsysGetCANNVersion)."""
    version = _new("aclCANNPackageVersion *")
    ret = _lib.aclsysGetCANNVersion(_i(name, "acl.get_cann_version: name"), version)
    return {key: _ffi.string(getattr(version, field)).decode(errors="replace")
            for key, field in _VERSION_FIELDS}, ret


def get_version_str(pkg_name: str, /) -> Tuple[str, int]:
    """``(version_string, ret)`` of a package (aclsysGetVersionStr)."""
    name = _new("char[]", _string(pkg_name, "acl.get_version_str: pkg_name"))
    buf = _new("char[]", _lib.ACL_PKG_VERSION_MAX_SIZE)
    ret = _lib.aclsysGetVersionStr(name, buf)
    return _ffi.string(buf).decode(errors="replace"), ret


del annotations, TYPE_CHECKING  # keep dir(acl) to the API
