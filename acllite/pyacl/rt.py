"""``acl.rt``: devices, contexts, streams, events, memory, host callbacks (aclrt*), pyACL-style.

Handles and pointers are ints; functions that produce a value return ``(value, ret)``, the others the bare
``ret``. Nothing here raises for an AscendCL failure; a wrong Python type raises TypeError (docs/PYACL.md).
Most functions are generated from the catalog (``_catalog.txt``) and the bound prototypes; the ones below take or
return dicts and lists, or deliver callbacks.
"""

from __future__ import annotations

import itertools as _itertools
import threading as _threading
from typing import TYPE_CHECKING

from .._lifecycle import callback_scope as _callback_scope
from . import _generate
from ._common import ACL_ERROR_INVALID_PARAM as _INVALID_PARAM
from ._common import NULL as _NULL, UINTPTR as _UINTPTR, VOIDP as _VOIDP
from ._common import callback_failed as _callback_failed, cast as _cast, ffi as _ffi, lib as _lib, new as _new
from ._common import integer as _integer, on_finalize as _on_finalize, pointer as _pointer
from ._common import pointer_cached as _vp, sequence as _sequence, string as _string

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Tuple

_generate.install(globals(), "rt", __name__)

if TYPE_CHECKING:
    def __getattr__(name: str) -> Any:
        """The functions generated from the catalog are installed at import: to a type checker they are Any."""


def _i(value: Any, where: str) -> int:
    return value if type(value) is int else _integer(value, where)


def _p(value: Any, where: str) -> Any:
    return (_vp(value) if type(value) is int else None) or _pointer(value, where)


#: One cell for every thread: the run mode is a constant of the process, so concurrent writes agree (a
#: thread-local cell costs more than the C call).
_RUN_MODE = _new("aclrtRunMode *")
_GetRunMode = _lib.aclrtGetRunMode


def get_run_mode() -> Tuple[int, int]:
    """``(run_mode, ret)``: ACL_HOST (1) or ACL_DEVICE (0). Works before acl.init."""
    ret = _GetRunMode(_RUN_MODE)
    return _RUN_MODE[0], ret


# ---------------------------------------------------------------------------------------- host callbacks

# Python callables wait here until their callback task runs, keyed by the id passed as the C userData.
_pending: Dict[int, Tuple[Callable[[Any], Any], Any]] = {}
_keys = _itertools.count(1)
_pending_lock = _threading.Lock()


def _run_callback(user_data: Any) -> None:
    try:
        with _pending_lock:
            entry = _pending.pop(int(_cast(_UINTPTR, user_data)), None)
        if entry is not None:
            fn, data = entry
            with _callback_scope():  # acllite's objects dropped in there release later, never on this thread
                fn(data)
    except BaseException:  # noqa: B902 - nothing may propagate into C
        _callback_failed("acl.rt.launch_callback")


def _cffi_error(exc_type: Any, exc: Any, tb: Any) -> None:  # cffi's own last resort (never reached normally)
    _callback_failed("a pyACL callback")


#: The one C callback (made once, alive for the process): it runs the Python callable registered under userData.
_trampoline = _ffi.callback("aclrtCallback", _run_callback, onerror=_cffi_error)


def launch_callback(fn: Callable[[Any], Any], user_data: Any, block_type: int, stream: int, /) -> int:
    """Queue ``fn(user_data)`` on the stream; the thread subscribed to the stream runs it in process_report. An
    exception the callable raises is logged (``acllite.pyacl``) and the next callbacks still run."""
    if not callable(fn):
        raise TypeError("acl.rt.launch_callback: fn must be callable, not %s" % type(fn).__name__)
    block = _i(block_type, "acl.rt.launch_callback: block_type")
    s = _p(stream, "acl.rt.launch_callback: stream")
    key = next(_keys)
    with _pending_lock:
        _pending[key] = (fn, user_data)
    ret = _lib.aclrtLaunchCallback(_trampoline, _cast(_VOIDP, key), block, s)
    if ret:
        with _pending_lock:
            _pending.pop(key, None)
    return ret


_on_finalize(_pending.clear)  # callbacks never run once the streams are gone

_exception_fn: List[Any] = [None]


def _run_exception_callback(info: Any) -> None:
    try:
        fn = _exception_fn[0]
        if fn is not None:
            fn(int(_cast(_UINTPTR, info)))
    except BaseException:  # noqa: B902
        _callback_failed("acl.rt.set_exception_info_callback")


_exception_trampoline = _ffi.callback("aclrtExceptionInfoCallback", _run_exception_callback, onerror=_cffi_error)


def set_exception_info_callback(fn: Any = None, /) -> int:
    """``fn(info)`` runs when a task fails (``info`` an int for the ``get_*_from_exception_info`` getters); None
    (or no argument) removes it."""
    if fn is None:
        _exception_fn[0] = None
        return _lib.aclrtSetExceptionInfoCallback(_NULL)
    if not callable(fn):
        raise TypeError("acl.rt.set_exception_info_callback: fn must be callable or None")
    _exception_fn[0] = fn
    return _lib.aclrtSetExceptionInfoCallback(_exception_trampoline)


# ---------------------------------------------------------------------------------------- devices, contexts


def get_device_utilization_rate(device_id: int, /) -> Tuple[Dict[str, int], int]:
    """``({"cube_utilization", "vector_utilization", "aicpu_utilization", "memory_utilization",
    "utilization_extend"}, ret)`` (the dict also on failure, with zeros, as pyACL)."""
    info = _new("aclrtUtilizationInfo *")
    ret = _lib.aclrtGetDeviceUtilizationRate(_i(device_id, "acl.rt.get_device_utilization_rate: device_id"), info)
    return {"cube_utilization": info.cubeUtilization, "vector_utilization": info.vectorUtilization,
            "aicpu_utilization": info.aicpuUtilization, "memory_utilization": info.memoryUtilization,
            "utilization_extend": int(_cast(_UINTPTR, info.utilizationExtend))}, ret


def device_get_uuid(device_id: int, /) -> Tuple[Dict[str, List[int]], int]:
    """``({"bytes": [16 ints]}, ret)``."""
    uuid = _new("aclrtUuid *")
    ret = _lib.aclrtDeviceGetUuid(_i(device_id, "acl.rt.device_get_uuid: device_id"), uuid)
    return {"bytes": [b & 0xFF for b in _ffi.unpack(_cast("int8_t *", uuid.bytes), 16)]}, ret


def get_primary_ctx_state(device_id: int, /) -> Tuple[int, int, int]:
    """``(active, flags, ret)``."""
    cells = _new("uint32_t[1]"), _new("int32_t[1]")
    ret = _lib.aclrtGetPrimaryCtxState(_i(device_id, "acl.rt.get_primary_ctx_state: device_id"), cells[0], cells[1])
    return cells[1][0], cells[0][0], ret


# ---------------------------------------------------------------------------------------- stream attributes

_STREAM_ATTR_FIELDS = {_lib.ACL_STREAM_ATTR_FAILURE_MODE: "failureMode",
                       _lib.ACL_STREAM_ATTR_FLOAT_OVERFLOW_CHECK: "overflowSwitch",
                       _lib.ACL_STREAM_ATTR_USER_CUSTOM_TAG: "userCustomTag"}


def set_stream_attribute(stream: int, attr: int, value: Dict[str, Any], /) -> int:
    """``value`` a dict: ``{"failureMode": n}``, ``{"overflowSwitch": n}``, ``{"userCustomTag": n}`` for those
    attributes, ``{"reserved": [4 ints]}`` for the others."""
    where = "acl.rt.set_stream_attribute"
    s, a = _p(stream, where + ": stream"), _i(attr, where + ": attr")
    if not isinstance(value, dict):
        raise TypeError("%s: value must be a dict" % where)
    v = _new("aclrtStreamAttrValue *")
    field = _STREAM_ATTR_FIELDS.get(a)
    try:
        if field is not None:
            setattr(v, field, _i(value[field], "%s: %s" % (where, field)))
        else:
            for k, x in enumerate(_sequence(value["reserved"], where + ": reserved")[:4]):
                v.reserve[k] = _i(x, "%s: reserved[%d]" % (where, k))
    except KeyError as e:
        raise ValueError("%s: value has no %s" % (where, e)) from None
    return _lib.aclrtSetStreamAttribute(s, a, v)


def get_stream_attribute(stream: int, attr: int, /) -> Tuple[Dict[str, Any], int]:
    where = "acl.rt.get_stream_attribute"
    s, a = _p(stream, where + ": stream"), _i(attr, where + ": attr")
    v = _new("aclrtStreamAttrValue *")
    ret = _lib.aclrtGetStreamAttribute(s, a, v)
    field = _STREAM_ATTR_FIELDS.get(a)
    return ({field: getattr(v, field)} if field else {"reserved": list(v.reserve)}), ret


# ---------------------------------------------------------------------------------------- memory with dicts


def _malloc_config(cfg: Any, where: str) -> Tuple[Any, List[Any]]:
    """An aclrtMallocConfig from pyACL's dict (``{}``: none): ``{"numAttrs": n, "attrs": [{"attr": a, "value":
    {"moduleId" | "deviceId": n} or {"rsv": [bytes]}}]}``; returns (the C pointer, what must stay alive)."""
    if not isinstance(cfg, dict):
        raise TypeError("%s: cfg must be a dict" % where)
    if not cfg:
        return _NULL, []
    try:
        attrs = _sequence(cfg["attrs"], where + ": cfg['attrs']")
        num = _i(cfg["numAttrs"], where + ": cfg['numAttrs']")
    except KeyError as e:
        raise ValueError("%s: cfg has no %s" % (where, e)) from None
    if num != len(attrs):
        raise ValueError("%s: numAttrs is %d but attrs has %d entries" % (where, num, len(attrs)))
    arr = _new("aclrtMallocAttribute[]", max(len(attrs), 1))
    for k, item in enumerate(attrs):
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise TypeError("%s: attrs[%d] must be {'attr': int, 'value': dict}" % (where, k))
        arr[k].attr = _i(item.get("attr"), "%s: attrs[%d]['attr']" % (where, k))
        value = item["value"]
        if "moduleId" in value:
            arr[k].value.moduleId = _i(value["moduleId"], where + ": moduleId")
        elif "deviceId" in value:
            arr[k].value.deviceId = _i(value["deviceId"], where + ": deviceId")
        elif "rsv" in value:
            for j, b in enumerate(_sequence(value["rsv"], where + ": rsv")[:8]):
                arr[k].value.rsv[j] = _i(b, where + ": rsv")
        else:
            raise ValueError("%s: attrs[%d]['value'] has no moduleId, deviceId or rsv" % (where, k))
    config = _new("aclrtMallocConfig *")
    config.attrs = arr
    config.numAttrs = num
    return config, [arr]


def malloc_with_cfg(size: int, policy: int, cfg: Dict[str, Any], /) -> Tuple[int, int]:
    """``(dev_ptr, ret)``: aclrtMallocWithCfg with pyACL's cfg dict (``{}`` for none)."""
    where = "acl.rt.malloc_with_cfg"
    config, _keep = _malloc_config(cfg, where)
    cell = _new("void **")
    ret = _lib.aclrtMallocWithCfg(cell, _i(size, where + ": size"), _i(policy, where + ": policy"), config)
    return int(_cast(_UINTPTR, cell[0])), ret


def malloc_for_task_scheduler(size: int, policy: int, cfg: Dict[str, Any], /) -> Tuple[int, int]:
    where = "acl.rt.malloc_for_task_scheduler"
    config, _keep = _malloc_config(cfg, where)
    cell = _new("void **")
    ret = _lib.aclrtMallocForTaskScheduler(cell, _i(size, where + ": size"), _i(policy, where + ": policy"), config)
    return int(_cast(_UINTPTR, cell[0])), ret


def malloc_host_with_cfg(size: int, cfg: Dict[str, Any], /) -> Tuple[int, int]:
    where = "acl.rt.malloc_host_with_cfg"
    config, _keep = _malloc_config(cfg, where)
    cell = _new("void **")
    ret = _lib.aclrtMallocHostWithCfg(cell, _i(size, where + ": size"), config)
    return int(_cast(_UINTPTR, cell[0])), ret


def _physical_prop(prop: Any, where: str) -> Any:
    """aclrtPhysicalMemProp from ``{"handleType", "allocationType", "memAttr", "location": {"id", "type"},
    "reserve"}``."""
    if not isinstance(prop, dict) or not isinstance(prop.get("location"), dict):
        raise TypeError("%s: prop must be a dict with a 'location' dict" % where)
    p = _new("aclrtPhysicalMemProp *")
    try:
        p.handleType = _i(prop["handleType"], where + ": handleType")
        p.allocationType = _i(prop["allocationType"], where + ": allocationType")
        p.memAttr = _i(prop["memAttr"], where + ": memAttr")
        p.location.id = _i(prop["location"]["id"], where + ": location id")
        p.location.type = _i(prop["location"]["type"], where + ": location type")
        p.reserve = _i(prop.get("reserve", 0), where + ": reserve")
    except KeyError as e:
        raise ValueError("%s: prop has no %s" % (where, e)) from None
    return p


def malloc_physical(size: int, prop: Dict[str, Any], flags: int, /) -> Tuple[int, int]:
    """``(handle, ret)``."""
    where = "acl.rt.malloc_physical"
    p = _physical_prop(prop, where)
    cell = _new("aclrtDrvMemHandle *")
    ret = _lib.aclrtMallocPhysical(cell, _i(size, where + ": size"), p, _i(flags, where + ": flags"))
    return int(_cast(_UINTPTR, cell[0])), ret


def mem_get_allocation_granularity(prop: Dict[str, Any], option: int, /) -> Tuple[int, int]:
    """``(granularity, ret)``."""
    where = "acl.rt.mem_get_allocation_granularity"
    p = _physical_prop(prop, where)
    cell = _new("size_t *")
    ret = _lib.aclrtMemGetAllocationGranularity(p, _i(option, where + ": option"), cell)
    return cell[0], ret


#: pyACL caps the sizes of the arrays it allocates for a caller-chosen count at 4096.
_ARRAY_LIMIT = 4096


def get_mem_uce_info(device_id: int, array_size: int, /) -> Tuple[List[Dict[str, Any]], int]:
    """``([{"addr", "len", "reserved"}...], ret)``; an array_size above 4096 gives ``([], ACL_ERROR_INVALID_PARAM)``."""
    where = "acl.rt.get_mem_uce_info"
    dev, n = _i(device_id, where + ": device_id"), _i(array_size, where + ": array_size")
    if n < 0:
        raise OverflowError("%s: array_size %d is negative" % (where, n))
    if n > _ARRAY_LIMIT:
        return [], _INVALID_PARAM
    arr = _new("aclrtMemUceInfo[]", max(n, 1))
    got = _new("size_t *")
    ret = _lib.aclrtGetMemUceInfo(dev, arr, n, got)
    count = min(got[0], n) if ret == 0 else 0
    return [{"addr": int(_cast(_UINTPTR, arr[k].addr)), "len": arr[k].len, "reserved": list(arr[k].reserved)}
            for k in range(count)], ret


def mem_uce_repair(device_id: int, infos: List[Dict[str, Any]], /) -> int:
    where = "acl.rt.mem_uce_repair"
    items = _sequence(infos, where + ": infos")
    arr = _new("aclrtMemUceInfo[]", max(len(items), 1))
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise TypeError("%s: infos[%d] must be a dict" % (where, k))
        arr[k].addr = _p(item.get("addr"), "%s: infos[%d]['addr']" % (where, k))
        arr[k].len = _i(item.get("len"), "%s: infos[%d]['len']" % (where, k))
        for j, v in enumerate(_sequence(item.get("reserved", []), where + ": reserved")[:14]):
            arr[k].reserved[j] = _i(v, where + ": reserved")
    return _lib.aclrtMemUceRepair(_i(device_id, where + ": device_id"), arr, len(items))


def pointer_get_attributes(ptr: int, /) -> Tuple[Dict[str, Any], int]:
    """``({"location": {"id", "type"}, "page_size", "rsv"}, ret)``."""
    attrs = _new("aclrtPtrAttributes *")
    ret = _lib.aclrtPointerGetAttributes(_p(ptr, "acl.rt.pointer_get_attributes: ptr"), attrs)
    return {"location": {"id": attrs.location.id, "type": attrs.location.type}, "page_size": attrs.pageSize,
            "rsv": list(attrs.rsv)}, ret


def _int32_list(values: Any, where: str) -> Any:
    items = _sequence(values, where)
    arr = _new("int32_t[]", max(len(items), 1))
    for k, v in enumerate(items):
        arr[k] = _i(v, "%s[%d]" % (where, k))
    return arr, len(items)


def mem_set_pid_to_shareable_handle(shareable_handle: int, pids: List[int], /) -> int:
    where = "acl.rt.mem_set_pid_to_shareable_handle"
    arr, n = _int32_list(pids, where + ": pids")
    return _lib.aclrtMemSetPidToShareableHandle(_i(shareable_handle, where + ": shareable_handle"), arr, n)


def ipc_mem_set_import_pid(key: str, pids: List[int], /) -> int:
    where = "acl.rt.ipc_mem_set_import_pid"
    k = _string(key, where + ": key")
    arr, n = _int32_list(pids, where + ": pids")
    return _lib.aclrtIpcMemSetImportPid(k, arr, n)


def ipc_mem_get_export_key(dev_ptr: int, size: int, key_len: int, flags: int, /) -> Tuple[str, int]:
    """``(key, ret)``; pyACL refuses a key_len of 1024 or more with ValueError."""
    where = "acl.rt.ipc_mem_get_export_key"
    p, sz, n = _p(dev_ptr, where + ": dev_ptr"), _i(size, where + ": size"), _i(key_len, where + ": key_len")
    f = _i(flags, where + ": flags")
    if not 0 <= n < 1024:
        raise ValueError("%s: key_len must be less than 1024, got %d" % (where, n))
    buf = _new("char[]", n + 1)
    ret = _lib.aclrtIpcMemGetExportKey(p, sz, buf, n, f)
    return _ffi.string(buf).decode(errors="replace"), ret


def set_memcpy_desc(desc: int, kind: int, src_addr: int, dst_addr: int, count: int, config: int, /) -> Tuple[int, int]:
    """``(desc, ret)`` (pyACL echoes the description)."""
    where = "acl.rt.set_memcpy_desc"
    ret = _lib.aclrtSetMemcpyDesc(_p(desc, where + ": desc"), _i(kind, where + ": kind"),
                                  _p(src_addr, where + ": src_addr"), _p(dst_addr, where + ": dst_addr"),
                                  _i(count, where + ": count"), _p(config, where + ": config"))
    return desc, ret


del annotations, TYPE_CHECKING  # keep dir(acl.rt) to the API
