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
from . import mdl, media, op, rt, util  # noqa: F401  (acl.rt, acl.mdl...: the submodules are the API)
from ._common import pointer as _ptr, pointer_cached as _vp
from ._common import UINTPTR as _UINTPTR, VOIDP as _VOIDP, cast as _cast, ffi as _ffi, lib as _lib, new as _new
from ._common import finalized as _finalized, text as _text
from .op import (  # noqa: F401  (pyACL has the tensor-description functions at the top level)
                 create_tensor_desc, destroy_tensor_desc, get_tensor_desc_dim_v2, get_tensor_desc_element_count,
                 get_tensor_desc_format, get_tensor_desc_name, get_tensor_desc_num_dims, get_tensor_desc_size,
                 get_tensor_desc_type, set_tensor_const, set_tensor_desc_name)

if TYPE_CHECKING:
    from typing import Optional, Tuple

_Init = _lib.aclInit
_Finalize = _lib.aclFinalize
_CreateDataBuffer = _lib.aclCreateDataBuffer
_DestroyDataBuffer = _lib.aclDestroyDataBuffer
_UpdateDataBuffer = _lib.aclUpdateDataBuffer
_GetDataBufferAddr = _lib.aclGetDataBufferAddr
_GetDataBufferSizeV2 = _lib.aclGetDataBufferSizeV2
_DataTypeSize = _lib.aclDataTypeSize
_GetSocName = _lib.aclrtGetSocName
_GetRecentErrMsg = _lib.aclGetRecentErrMsg
_GetVersion = _lib.aclrtGetVersion
_INT32_3 = _ffi.typeof("int32_t[3]")
_app_logger = _logging.getLogger("acllite.pyacl.app")
_app_logger.addHandler(_logging.NullHandler())  # like pyACL's log files: silent unless logging is configured
_LOG_LEVELS = {0: _logging.DEBUG, 1: _logging.INFO, 2: _logging.WARNING, 3: _logging.ERROR}


def init(config_path: Optional[str] = None) -> int:
    """aclInit; ``config_path`` an acl.json (None or "" for none)."""
    ret = _Init(config_path.encode() if config_path else _ffi.NULL)
    if ret == 0:
        _lifecycle.initialized()
    return ret


def finalize() -> int:
    """aclFinalize: everything still alive is released; handles made before are dead afterwards."""
    ret = _Finalize()
    if ret == 0:
        _finalized()
    return ret


# ---------------------------------------------------------------------------------------- data buffers


def create_data_buffer(data: int, size: int) -> int:
    """A data buffer handle for ``size`` bytes at ``data`` (0, 0 is allowed: an empty buffer). 0 on failure."""
    return int(_cast(_UINTPTR, _CreateDataBuffer(_vp(data) or _ptr(data), size)))


def destroy_data_buffer(data_buffer: int) -> int:
    """Destroys the handle, not the memory it points at."""
    return _DestroyDataBuffer(_vp(data_buffer) or _cast(_VOIDP, data_buffer))


def update_data_buffer(data_buffer: int, data: int, size: int) -> int:
    return _UpdateDataBuffer(_vp(data_buffer) or _ptr(data_buffer), _vp(data) or _ptr(data), size)


def get_data_buffer_addr(data_buffer: int) -> int:
    return int(_cast(_UINTPTR, _GetDataBufferAddr(_vp(data_buffer) or _ptr(data_buffer))))


def get_data_buffer_size_v2(data_buffer: int) -> int:
    return _GetDataBufferSizeV2(_vp(data_buffer) or _ptr(data_buffer))


def get_data_buffer_size(data_buffer: int) -> int:
    """Deprecated in pyACL in favour of get_data_buffer_size_v2; the same value."""
    return _GetDataBufferSizeV2(_vp(data_buffer) or _ptr(data_buffer))


# ---------------------------------------------------------------------------------------- misc


def data_type_size(data_type: int) -> int:
    """Bytes of one element of an aclDataType (0 for an unknown type)."""
    return _DataTypeSize(data_type)


def get_soc_name() -> Optional[str]:
    """The SoC's name ("Ascend310", "Ascend310P3"...); works before acl.init, as on CANN (None on failure)."""
    return _text(_GetSocName())


def get_recent_err_msg() -> Optional[str]:
    """The calling thread's last error message from the runtime (None when there is none)."""
    return _text(_GetRecentErrMsg())


def get_version() -> Tuple[int, int, int, int]:
    """``(major, minor, patch, ret)`` of AscendCL."""
    v = _new(_INT32_3)
    ret = _GetVersion(v, v + 1, v + 2)
    return v[0], v[1], v[2], ret


def app_log(log_level: int, message: str) -> None:
    """Log ``message`` at 0 DEBUG, 1 INFO, 2 WARNING, 3 ERROR (to the Python logger ``acllite.pyacl.app``)."""
    _app_logger.log(_LOG_LEVELS.get(log_level, _logging.INFO), "%s", message)


del annotations, TYPE_CHECKING  # keep dir(acl) to the API
