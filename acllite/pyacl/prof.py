"""``acl.prof``: profiling (aclprof*), pyACL-style.

Every function calls the C function it wraps (the catalog names it; ``libmsprofiler.so`` on CANN). Strings whose
C function takes a length (``init``, ``mark_ex``, ``set_config``) are passed with their encoded length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _generate
from ._common import ACL_ERROR_INVALID_PARAM as _INVALID_PARAM
from ._common import ffi as _ffi, integer as _integer, lib as _lib, new as _new, pointer as _pointer
from ._common import pointer_cached as _vp, sequence as _sequence, string as _string

if TYPE_CHECKING:
    from typing import Any, List, Tuple

_generate.install(globals(), "prof", __name__)

if TYPE_CHECKING:
    def __getattr__(name: str) -> Any:
        """The functions generated from the catalog are installed at import: to a type checker they are Any."""


def _i(value: Any, where: str) -> int:
    return value if type(value) is int else _integer(value, where)


def _p(value: Any, where: str) -> Any:
    return (_vp(value) if type(value) is int else None) or _pointer(value, where)


def create_config(device_id_list: List[int], aicore_metrics: int, aicore_events: int, data_type_config: int,
                  /) -> int:
    """A profiling configuration handle for the devices listed (0 on failure)."""
    w = "acl.prof.create_config"
    ids = _sequence(device_id_list, w + ": device_id_list")
    arr = _new("uint32_t[]", max(len(ids), 1))
    for k, v in enumerate(ids):
        if type(v) is not int:
            raise TypeError("%s: device_id_list must be a list of int" % w)
        arr[k] = v
    cfg = _lib.aclprofCreateConfig(arr, len(ids), _i(aicore_metrics, w + ": aicore_metrics"),
                                   _p(aicore_events, w + ": aicore_events"),
                                   _i(data_type_config, w + ": data_type_config"))
    return int(_ffi.cast("uintptr_t", cfg))


def init(profiler_result_path: str, /) -> int:
    path = _string(profiler_result_path, "acl.prof.init: profiler_result_path")
    return _lib.aclprofInit(path, len(path))


def mark_ex(msg: str, stream: int, /) -> int:
    text = _string(msg, "acl.prof.mark_ex: msg")
    return _lib.aclprofMarkEx(text, len(text), _p(stream, "acl.prof.mark_ex: stream"))


def set_config(config_type: int, config: str, /) -> int:
    text = _string(config, "acl.prof.set_config: config")
    return _lib.aclprofSetConfig(_i(config_type, "acl.prof.set_config: config_type"), text, len(text))


#: The pipe descriptors subscriptions write to: C keeps the pointer, so each stays alive for the process (as pyACL).
_subscribe_fds: List[Any] = []


def create_subscribe_config(time_info_switch: int, aicore_metrics: int, fd: int, /) -> int:
    """A subscription configuration writing to the pipe ``fd`` (0 on failure)."""
    w = "acl.prof.create_subscribe_config"
    cell = _new("int *", _i(fd, w + ": fd"))
    cfg = _lib.aclprofCreateSubscribeConfig(_integer(time_info_switch, w + ": time_info_switch", flag=True),
                                            _i(aicore_metrics, w + ": aicore_metrics"), cell)
    if cfg != _ffi.NULL:
        _subscribe_fds.append(cell)
    return int(_ffi.cast("uintptr_t", cfg))


def _op_text(fn: Any, w: str, op_info: Any, op_info_len: Any, index: Any, length: Any) -> Tuple[str, int]:
    info, n = _p(op_info, w + ": op_info"), _i(op_info_len, w + ": op_info_len")
    idx, size = _i(index, w + ": index"), _i(length, w + ": length")
    if size < 0:
        raise OverflowError("%s: length %d is negative" % (w, size))
    if size > 4096:  # pyACL's cap on the buffer it allocates
        return "", _INVALID_PARAM
    buf = _new("char[]", size + 1)
    ret = fn(info, n, idx, buf, size)
    return _ffi.string(buf).decode(errors="replace"), ret


def get_op_type(op_info: int, op_info_len: int, index: int, op_type_len: int, /) -> Tuple[str, int]:
    """``(op_type, ret)``; an op_type_len above 4096 gives ``("", ACL_ERROR_INVALID_PARAM)`` (pyACL's cap)."""
    return _op_text(_lib.aclprofGetOpType, "acl.prof.get_op_type", op_info, op_info_len, index, op_type_len)


def get_op_name(op_info: int, op_info_len: int, index: int, op_name_len: int, /) -> Tuple[str, int]:
    """``(op_name, ret)``."""
    return _op_text(_lib.aclprofGetOpName, "acl.prof.get_op_name", op_info, op_info_len, index, op_name_len)


del annotations, TYPE_CHECKING  # keep dir(acl.prof) to the API
