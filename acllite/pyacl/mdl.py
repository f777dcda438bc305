"""``acl.mdl``: loading, describing and running models (aclmdl*), pyACL-style.

Model ids, descriptions, datasets and data buffers are ints. Dims come back as pyACL's dicts:
``{"name": str, "dimCount": int, "dims": [int, ...]}``; dynamic batch as ``{"batchCount": n, "batch": [...]}``,
dynamic image sizes as ``{"hwCount": n, "hw": [[h, w], ...]}``; on failure these are ``({}, ret)`` and
``get_first_aipp_info`` gives ``(None, ret)``, as pyACL. Most functions are generated from the catalog.
"""

from __future__ import annotations

import threading as _threading
from typing import TYPE_CHECKING

from . import _generate
from ._common import ACL_ERROR_INVALID_PARAM as _INVALID_PARAM
from ._common import UINTPTR as _UINTPTR, cast as _cast, ffi as _ffi, lib as _lib, new as _new
from ._common import in_range as _in_range, integer as _integer, on_finalize as _on_finalize
from ._common import optional_string as _optional_string, pointer as _pointer, pointer_cached as _vp
from ._common import sequence as _sequence, size_index as _size_index, string as _string

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

_generate.install(globals(), "mdl", __name__)

if TYPE_CHECKING:
    def __getattr__(name: str) -> Any:
        """The functions generated from the catalog are installed at import: to a type checker they are Any."""

_string_at = _ffi.string


def _i(value: Any, where: str) -> int:
    return value if type(value) is int else _integer(value, where)


def _p(value: Any, where: str) -> Any:
    return (_vp(value) if type(value) is int else None) or _pointer(value, where)


def _dims(d: Any) -> Dict[str, Any]:
    n = min(int(d.dimCount), 128)
    return {"name": _string_at(d.name).decode(errors="replace"), "dimCount": n, "dims": [d.dims[i] for i in range(n)]}


def _dims_call(fn: Any, name: str) -> Any:
    where = "acl.mdl.%s" % name

    def get(model_desc: int, index: int, /) -> Tuple[Dict[str, Any], int]:
        d = _new("aclmdlIODims *")
        ret = fn(_p(model_desc, where + ": model_desc"), _i(index, where + ": index"), d)
        return (_dims(d) if ret == 0 else {}), ret

    get.__name__ = get.__qualname__ = name
    get.__doc__ = "``({\"name\", \"dimCount\", \"dims\"}, ret)`` (``({}, ret)`` on failure); -1 marks a dynamic dim."
    return get


get_input_dims = _dims_call(_lib.aclmdlGetInputDims, "get_input_dims")
get_input_dims_v2 = _dims_call(_lib.aclmdlGetInputDimsV2, "get_input_dims_v2")
get_output_dims = _dims_call(_lib.aclmdlGetOutputDims, "get_output_dims")
get_cur_output_dims = _dims_call(_lib.aclmdlGetCurOutputDims, "get_cur_output_dims")


# ---------------------------------------------------------------------------------------- datasets


def add_dataset_buffer(dataset: int, data_buffer: int, /) -> Tuple[int, int]:
    """``(dataset, ret)`` (programs discard the first element, as with pyACL)."""
    ret = _lib.aclmdlAddDatasetBuffer(_p(dataset, "acl.mdl.add_dataset_buffer: dataset"),
                                      _p(data_buffer, "acl.mdl.add_dataset_buffer: data_buffer"))
    return dataset, ret


def set_dataset_tensor_desc(dataset: int, tensor_desc: int, index: int, /) -> Tuple[int, int]:
    """``(dataset, ret)``."""
    where = "acl.mdl.set_dataset_tensor_desc"
    ret = _lib.aclmdlSetDatasetTensorDesc(_p(dataset, where + ": dataset"), _p(tensor_desc, where + ": tensor_desc"),
                                          _i(index, where + ": index"))
    return dataset, ret


# ---------------------------------------------------------------------------------------- dynamic shapes


def get_dynamic_batch(model_desc: int, /) -> Tuple[Dict[str, Any], int]:
    """``({"batchCount": n, "batch": [...]}, ret)`` (``({}, ret)`` on failure)."""
    b = _new("aclmdlBatch *")
    ret = _lib.aclmdlGetDynamicBatch(_p(model_desc, "acl.mdl.get_dynamic_batch: model_desc"), b)
    if ret:
        return {}, ret
    n = min(int(b.batchCount), 128)
    return {"batchCount": n, "batch": [b.batch[i] for i in range(n)]}, ret


def get_dynamic_hw(model_desc: int, index: int, /) -> Tuple[Dict[str, Any], int]:
    """``({"hwCount": n, "hw": [[h, w], ...]}, ret)`` (``({}, ret)`` on failure)."""
    h = _new("aclmdlHW *")
    ret = _lib.aclmdlGetDynamicHW(_p(model_desc, "acl.mdl.get_dynamic_hw: model_desc"),
                                  _size_index(index, "acl.mdl.get_dynamic_hw: index"), h)
    if ret:
        return {}, ret
    n = min(int(h.hwCount), 128)
    return {"hwCount": n, "hw": [[h.hw[i][0], h.hw[i][1]] for i in range(n)]}, ret


def set_input_dynamic_dims(model_id: int, dataset: int, index: int, dims: Dict[str, Any], /) -> int:
    """``dims`` as ``get_input_dynamic_dims`` gives one gear: ``{"dimCount": n, "name": "", "dims": [...]}``."""
    where = "acl.mdl.set_input_dynamic_dims"
    mid, ds = _i(model_id, where + ": model_id"), _p(dataset, where + ": dataset")
    idx = _size_index(index, where + ": index")
    if not isinstance(dims, dict):
        raise TypeError("%s: dims must be a dict" % where)
    d = _new("aclmdlIODims *")
    values = _sequence(dims.get("dims"), where + ": dims['dims']")
    count = _i(dims.get("dimCount", len(values)), where + ": dims['dimCount']")
    if not 0 <= count <= min(len(values), 128):
        raise ValueError("%s: dimCount %d does not match the %d dims given (at most 128)" % (where, count, len(values)))
    d.dimCount = count
    for k in range(count):
        if type(values[k]) is not int:
            raise TypeError("%s: dims['dims'] must be a list of int" % where)
        d.dims[k] = values[k]
    name = dims.get("name")
    if name:
        raw = _string(name, where + ": dims['name']")[:127]
        _ffi.memmove(d.name, raw, len(raw))
    return _lib.aclmdlSetInputDynamicDims(mid, ds, idx, d)


def get_input_dynamic_dims(model_desc: int, index: int, gear_count: int, /) -> Tuple[Optional[List[Any]], int]:
    """``([dims dict per gear], ret)``; ``(None, ret)`` on failure and for a gear_count above 4096 (pyACL's cap)."""
    where = "acl.mdl.get_input_dynamic_dims"
    desc, n = _p(model_desc, where + ": model_desc"), _i(gear_count, where)
    idx = _size_index(index, where + ": index")
    if n < 0:
        raise OverflowError("%s: gear_count %d is negative" % (where, n))
    if n > 4096:
        return None, _INVALID_PARAM
    arr = _new("aclmdlIODims[]", max(n, 1))
    ret = _lib.aclmdlGetInputDynamicDims(desc, idx, arr, n)
    return ([_dims(arr[k]) for k in range(n)] if ret == 0 else None), ret


def get_input_dims_range(model_desc: int, index: int, /) -> Tuple[Dict[str, Any], int]:
    """``({"rangeCount": n, "range": [[min, max], ...]}, ret)`` (zeros on failure, as pyACL)."""
    r = _new("aclmdlIODimsRange *")
    ret = _lib.aclmdlGetInputDimsRange(_p(model_desc, "acl.mdl.get_input_dims_range: model_desc"),
                                       _i(index, "acl.mdl.get_input_dims_range: index"), r)
    n = min(int(r.rangeCount), 128) if ret == 0 else 0
    return {"rangeCount": n, "range": [[r.range[k][0], r.range[k][1]] for k in range(n)]}, ret


def create_and_get_op_desc(device_id: int, stream_id: int, task_id: int, op_name_len: int,
                           /) -> Tuple[str, int, int, int, int, int]:
    """``(op_name, input_desc, num_inputs, output_desc, num_outputs, ret)``; op_name_len above 4096 gives
    ``("", 0, 0, 0, 0, ACL_ERROR_INVALID_PARAM)`` (pyACL's cap)."""
    where = "acl.mdl.create_and_get_op_desc"
    dev, stm, task = _i(device_id, where + ": device_id"), _i(stream_id, where), _i(task_id, where + ": task_id")
    n = _i(op_name_len, where + ": op_name_len")
    if n < 0:
        raise OverflowError("%s: op_name_len %d is negative" % (where, n))
    if n > 4096:
        return "", 0, 0, 0, 0, _INVALID_PARAM
    name = _new("char[]", n + 1)
    descs = _new("aclTensorDesc *[2]")
    counts = _new("size_t[2]")
    ret = _lib.aclmdlCreateAndGetOpDesc(dev, stm, task, name, n, descs, counts, descs + 1, counts + 1)
    return (_string_at(name).decode(errors="replace"), int(_cast(_UINTPTR, descs[0])), counts[0],
            int(_cast(_UINTPTR, descs[1])), counts[1], ret)


# ---------------------------------------------------------------------------------------- AIPP


def get_first_aipp_info(model_id: int, index: int, /) -> Tuple[Optional[Dict[str, Any]], int]:
    """``(aipp_info, ret)``: the static AIPP settings as a dict named like aclAippInfo's fields (``outDims`` a
    list of ``{"srcDims", "srcSize", "aippOutdims", "aippOutSize"}``, ``aippExtend`` an int); ``(None, ret)``
    on failure, as pyACL."""
    info = _new("aclAippInfo *")
    ret = _lib.aclmdlGetFirstAippInfo(_i(model_id, "acl.mdl.get_first_aipp_info: model_id"),
                                      _i(index, "acl.mdl.get_first_aipp_info: index"), info)
    if ret:
        return None, ret
    out: Dict[str, Any] = {}
    for name, _field in _AIPP_FIELDS:
        if name == "outDims":
            n = min(int(info.shapeCount), 128)
            out[name] = [{"srcDims": _dims(o.srcDims), "srcSize": o.srcSize, "aippOutdims": _dims(o.aippOutdims),
                          "aippOutSize": o.aippOutSize} for o in (info.outDims[k] for k in range(n))]
        elif name == "aippExtend":
            out[name] = int(_cast(_UINTPTR, info.aippExtend))
        else:
            out[name] = getattr(info, name)
    return out, ret


_AIPP_FIELDS = _ffi.typeof("aclAippInfo").fields


# ---------------------------------------------------------------------------------------- dump, configurations


def set_dump(dump_cfg_path: Optional[str] = None, /) -> int:
    """aclmdlSetDump; pyACL's path is optional (None: NULL)."""
    return _lib.aclmdlSetDump(_optional_string(dump_cfg_path, "acl.mdl.set_dump: dump_cfg_path"))


_config_attr_names: Dict[int, str] = dict(_ffi.typeof("aclmdlConfigAttr").elements)
#: Strings set on a configuration stay alive until the handle is destroyed (C keeps the pointer until the load).
_config_strings: Dict[int, List[Any]] = {}
_config_lock = _threading.Lock()


def set_config_opt(handle: int, attr: int, value: Any, /) -> int:
    """aclmdlSetConfigOpt with the value's C type taken from the attribute's name: ``*_INT32`` an int32,
    ``*_SIZET`` a size_t, ``*_PTR`` a pointer (an int; ``ACL_MDL_PATH_PTR`` and ``ACL_MDL_WEIGHT_PATH_PTR`` also
    take a str path, kept alive with the handle)."""
    where = "acl.mdl.set_config_opt"
    h, a = _p(handle, where + ": handle"), _i(attr, where + ": attr")
    name = _config_attr_names.get(a, "")
    keep = None
    if name.endswith("_INT32"):
        cell = _new("int32_t *", _in_range(_i(value, where + ": value"), 32, True, where + ": value"))
    elif name.endswith("_PTR"):
        if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
            keep = _new("char[]", _string(value, where + ": value"))
            cell = _new("void **", keep)
        else:
            cell = _new("void **", _pointer(value, where + ": value"))
    else:  # *_SIZET, and values of attributes this declaration does not name
        v = _i(value, where + ": value")
        cell = _new("uint64_t *", _in_range(v, 64, False, where + ": value"))
    ret = _lib.aclmdlSetConfigOpt(h, a, cell, _ffi.sizeof(_ffi.typeof(cell).item))
    if keep is not None and ret == 0:
        with _config_lock:
            _config_strings.setdefault(handle, []).append(keep)
    return ret


def destroy_config_handle(handle: int, /) -> int:
    ret = _lib.aclmdlDestroyConfigHandle(_p(handle, "acl.mdl.destroy_config_handle: handle"))
    if ret == 0:
        with _config_lock:
            _config_strings.pop(handle, None)
    return ret


_on_finalize(_config_strings.clear)


def set_exec_config_opt(handle: int, attr: int, value: int, /) -> int:
    """aclmdlSetExecConfigOpt with a uint32 value (as pyACL)."""
    where = "acl.mdl.set_exec_config_opt"
    cell = _new("uint32_t *", _in_range(_i(value, where + ": value"), 32, False, where + ": value"))
    return _lib.aclmdlSetExecConfigOpt(_p(handle, where + ": handle"), _i(attr, where + ": attr"), cell, 4)


del annotations, TYPE_CHECKING  # keep dir(acl.mdl) to the API
