"""``acl.mdl``: loading, describing and running models (aclmdl*), pyACL-style.

Model ids, descriptions, datasets and data buffers are ints. Dims come back as pyACL's dicts:
``{"name": str, "dimCount": int, "dims": [int, ...]}``; dynamic batch as ``{"batchCount": n, "batch": [...]}``,
dynamic image sizes as ``{"hwCount": n, "hw": [[h, w], ...]}``.
"""

from __future__ import annotations

import os as _os
from typing import TYPE_CHECKING

from ._common import pointer as _ptr, pointer_cached as _vp
from ._common import UINTPTR as _UINTPTR, VOIDP as _VOIDP, cast as _cast, ffi as _ffi, lib as _lib, new as _new
from ._common import text as _text

if TYPE_CHECKING:
    from typing import Any, Dict, Tuple

_LoadFromFile = _lib.aclmdlLoadFromFile
_LoadFromMem = _lib.aclmdlLoadFromMem
_LoadFromFileWithMem = _lib.aclmdlLoadFromFileWithMem
_LoadFromMemWithMem = _lib.aclmdlLoadFromMemWithMem
_QuerySize = _lib.aclmdlQuerySize
_QuerySizeFromMem = _lib.aclmdlQuerySizeFromMem
_Unload = _lib.aclmdlUnload
_CreateDesc = _lib.aclmdlCreateDesc
_DestroyDesc = _lib.aclmdlDestroyDesc
_GetDesc = _lib.aclmdlGetDesc
_GetNumInputs = _lib.aclmdlGetNumInputs
_GetNumOutputs = _lib.aclmdlGetNumOutputs
_GetInputSizeByIndex = _lib.aclmdlGetInputSizeByIndex
_GetOutputSizeByIndex = _lib.aclmdlGetOutputSizeByIndex
_GetInputDims = _lib.aclmdlGetInputDims
_GetInputDimsV2 = _lib.aclmdlGetInputDimsV2
_GetOutputDims = _lib.aclmdlGetOutputDims
_GetCurOutputDims = _lib.aclmdlGetCurOutputDims
_GetInputNameByIndex = _lib.aclmdlGetInputNameByIndex
_GetOutputNameByIndex = _lib.aclmdlGetOutputNameByIndex
_GetInputFormat = _lib.aclmdlGetInputFormat
_GetOutputFormat = _lib.aclmdlGetOutputFormat
_GetInputDataType = _lib.aclmdlGetInputDataType
_GetOutputDataType = _lib.aclmdlGetOutputDataType
_GetInputIndexByName = _lib.aclmdlGetInputIndexByName
_GetOutputIndexByName = _lib.aclmdlGetOutputIndexByName
_CreateDataset = _lib.aclmdlCreateDataset
_DestroyDataset = _lib.aclmdlDestroyDataset
_AddDatasetBuffer = _lib.aclmdlAddDatasetBuffer
_GetDatasetNumBuffers = _lib.aclmdlGetDatasetNumBuffers
_GetDatasetBuffer = _lib.aclmdlGetDatasetBuffer
_Execute = _lib.aclmdlExecute
_ExecuteAsync = _lib.aclmdlExecuteAsync
_GetDynamicBatch = _lib.aclmdlGetDynamicBatch
_SetDynamicBatchSize = _lib.aclmdlSetDynamicBatchSize
_GetDynamicHW = _lib.aclmdlGetDynamicHW
_SetDynamicHWSize = _lib.aclmdlSetDynamicHWSize
_GetFirstAippInfo = _lib.aclmdlGetFirstAippInfo
_GetAippType = _lib.aclmdlGetAippType

_UINT32_P = _ffi.typeof("uint32_t *")
_SIZE_P = _ffi.typeof("size_t *")
_SIZE2 = _ffi.typeof("size_t[2]")
_DIMS_P = _ffi.typeof("aclmdlIODims *")
_BATCH_P = _ffi.typeof("aclmdlBatch *")
_HW_P = _ffi.typeof("aclmdlHW *")
_AIPP_P = _ffi.typeof("aclAippInfo *")
_AIPP_TYPE_P = _ffi.typeof("aclmdlInputAippType *")
_string = _ffi.string
_fsencode = _os.fsencode


def _path(path: Any) -> bytes:
    if isinstance(path, (str, bytes, _os.PathLike)):
        return _fsencode(path)
    raise TypeError("expected a path (str), got %s" % type(path).__name__)


def _dims(d: Any) -> Dict[str, Any]:
    n = min(int(d.dimCount), 128)
    return {"name": _string(d.name).decode(errors="replace"), "dimCount": n, "dims": [d.dims[i] for i in range(n)]}


# ---------------------------------------------------------------------------------------- loading


def load_from_file(model_path: str) -> Tuple[int, int]:
    """``(model_id, ret)``. The id is non-zero when the load succeeded."""
    cell = _new(_UINT32_P)
    ret = _LoadFromFile(_path(model_path), cell)
    return cell[0], ret


def load_from_mem(model: int, model_size: int) -> Tuple[int, int]:
    """``(model_id, ret)`` of the model at host address ``model`` (e.g. acl.util.bytes_to_ptr of the file)."""
    cell = _new(_UINT32_P)
    ret = _LoadFromMem(_vp(model) or _ptr(model), model_size, cell)
    return cell[0], ret


def load_from_file_with_mem(model_path: str, work_ptr: int, work_size: int, weight_ptr: int,
                            weight_size: int) -> Tuple[int, int]:
    cell = _new(_UINT32_P)
    ret = _LoadFromFileWithMem(_path(model_path), cell, _vp(work_ptr) or _ptr(work_ptr), work_size,
                               _vp(weight_ptr) or _ptr(weight_ptr), weight_size)
    return cell[0], ret


def load_from_mem_with_mem(model: int, model_size: int, work_ptr: int, work_size: int, weight_ptr: int,
                           weight_size: int) -> Tuple[int, int]:
    cell = _new(_UINT32_P)
    ret = _LoadFromMemWithMem(_vp(model) or _ptr(model), model_size, cell, _vp(work_ptr) or _ptr(work_ptr), work_size,
                              _vp(weight_ptr) or _ptr(weight_ptr), weight_size)
    return cell[0], ret


def query_size(model_path: str) -> Tuple[int, int, int]:
    """``(work_size, weight_size, ret)``."""
    cells = _new(_SIZE2)
    ret = _QuerySize(_path(model_path), cells, cells + 1)
    return cells[0], cells[1], ret


def query_size_from_mem(model: int, model_size: int) -> Tuple[int, int, int]:
    cells = _new(_SIZE2)
    ret = _QuerySizeFromMem(_vp(model) or _ptr(model), model_size, cells, cells + 1)
    return cells[0], cells[1], ret


def unload(model_id: int) -> int:
    return _Unload(model_id)


# ---------------------------------------------------------------------------------------- description


def create_desc() -> int:
    """A new model description handle (0 on failure)."""
    return int(_cast(_UINTPTR, _CreateDesc()))


def destroy_desc(model_desc: int) -> int:
    return _DestroyDesc(_vp(model_desc) or _cast(_VOIDP, model_desc))


def get_desc(model_desc: int, model_id: int) -> int:
    return _GetDesc(_vp(model_desc) or _ptr(model_desc), model_id)


def get_num_inputs(model_desc: int) -> int:
    return _GetNumInputs(_vp(model_desc) or _ptr(model_desc))


def get_num_outputs(model_desc: int) -> int:
    return _GetNumOutputs(_vp(model_desc) or _ptr(model_desc))


def get_input_size_by_index(model_desc: int, index: int) -> int:
    return _GetInputSizeByIndex(_vp(model_desc) or _ptr(model_desc), index)


def get_output_size_by_index(model_desc: int, index: int) -> int:
    return _GetOutputSizeByIndex(_vp(model_desc) or _ptr(model_desc), index)


def get_input_dims(model_desc: int, index: int) -> Tuple[Dict[str, Any], int]:
    """``({"name", "dimCount", "dims"}, ret)``; -1 marks a dynamic dimension."""
    d = _new(_DIMS_P)
    ret = _GetInputDims(_vp(model_desc) or _ptr(model_desc), index, d)
    return _dims(d), ret


def get_input_dims_v2(model_desc: int, index: int) -> Tuple[Dict[str, Any], int]:
    d = _new(_DIMS_P)
    ret = _GetInputDimsV2(_vp(model_desc) or _ptr(model_desc), index, d)
    return _dims(d), ret


def get_output_dims(model_desc: int, index: int) -> Tuple[Dict[str, Any], int]:
    d = _new(_DIMS_P)
    ret = _GetOutputDims(_vp(model_desc) or _ptr(model_desc), index, d)
    return _dims(d), ret


def get_cur_output_dims(model_desc: int, index: int) -> Tuple[Dict[str, Any], int]:
    """The output's dims at the last execution (the chosen batch of a dynamic model)."""
    d = _new(_DIMS_P)
    ret = _GetCurOutputDims(_vp(model_desc) or _ptr(model_desc), index, d)
    return _dims(d), ret


def get_input_name_by_index(model_desc: int, index: int) -> str:
    return _text(_GetInputNameByIndex(_vp(model_desc) or _ptr(model_desc), index)) or ""


def get_output_name_by_index(model_desc: int, index: int) -> str:
    return _text(_GetOutputNameByIndex(_vp(model_desc) or _ptr(model_desc), index)) or ""


def get_input_format(model_desc: int, index: int) -> int:
    return _GetInputFormat(_vp(model_desc) or _ptr(model_desc), index)


def get_output_format(model_desc: int, index: int) -> int:
    return _GetOutputFormat(_vp(model_desc) or _ptr(model_desc), index)


def get_input_data_type(model_desc: int, index: int) -> int:
    return _GetInputDataType(_vp(model_desc) or _ptr(model_desc), index)


def get_output_data_type(model_desc: int, index: int) -> int:
    return _GetOutputDataType(_vp(model_desc) or _ptr(model_desc), index)


def get_input_index_by_name(model_desc: int, name: str) -> Tuple[int, int]:
    """``(index, ret)``; a non-zero ret (not an exception) when there is no such input. ``name`` must be a str
    without NUL characters (TypeError, ValueError otherwise, as a C extension's "s" argument)."""
    if not isinstance(name, str):
        raise TypeError("acl.mdl.get_input_index_by_name: name must be str, not %s" % type(name).__name__)
    if "\0" in name:
        raise ValueError("acl.mdl.get_input_index_by_name: embedded null character in name")
    cell = _new(_SIZE_P)
    ret = _GetInputIndexByName(_vp(model_desc) or _ptr(model_desc), name.encode(), cell)
    return cell[0], ret


def get_output_index_by_name(model_desc: int, name: str) -> Tuple[int, int]:
    cell = _new(_SIZE_P)
    ret = _GetOutputIndexByName(_vp(model_desc) or _ptr(model_desc), name.encode(), cell)
    return cell[0], ret


# ---------------------------------------------------------------------------------------- datasets, execution


def create_dataset() -> int:
    return int(_cast(_UINTPTR, _CreateDataset()))


def destroy_dataset(dataset: int) -> int:
    return _DestroyDataset(_vp(dataset) or _cast(_VOIDP, dataset))


def add_dataset_buffer(dataset: int, data_buffer: int) -> Tuple[int, int]:
    """``(dataset, ret)`` (programs discard the first element, as with pyACL)."""
    return dataset, _AddDatasetBuffer(_vp(dataset) or _ptr(dataset), _vp(data_buffer) or _ptr(data_buffer))


def get_dataset_num_buffers(dataset: int) -> int:
    return _GetDatasetNumBuffers(_vp(dataset) or _ptr(dataset))


def get_dataset_buffer(dataset: int, index: int) -> int:
    """The data buffer handle at index (0 when out of range)."""
    return int(_cast(_UINTPTR, _GetDatasetBuffer(_vp(dataset) or _ptr(dataset), index)))


def execute(model_id: int, input: int, output: int) -> int:  # noqa: A002 (pyACL's parameter name)
    return _Execute(model_id, _vp(input) or _ptr(input), _vp(output) or _ptr(output))


def execute_async(model_id: int, input: int, output: int, stream: int) -> int:  # noqa: A002
    return _ExecuteAsync(model_id, _vp(input) or _ptr(input), _vp(output) or _ptr(output), _vp(stream) or _ptr(stream))


# ---------------------------------------------------------------------------------------- dynamic shapes, AIPP


def get_dynamic_batch(model_desc: int) -> Tuple[Dict[str, Any], int]:
    """``({"batchCount": n, "batch": [...]}, ret)``; batchCount 0 for a model without batch gears."""
    b = _new(_BATCH_P)
    ret = _GetDynamicBatch(_vp(model_desc) or _ptr(model_desc), b)
    n = min(int(b.batchCount), 128)
    return {"batchCount": n, "batch": [b.batch[i] for i in range(n)]}, ret


def set_dynamic_batch_size(model_id: int, dataset: int, index: int, batch_size: int) -> int:
    return _SetDynamicBatchSize(model_id, _vp(dataset) or _ptr(dataset), index, batch_size)


def get_dynamic_hw(model_desc: int, index: int) -> Tuple[Dict[str, Any], int]:
    """``({"hwCount": n, "hw": [[h, w], ...]}, ret)``."""
    h = _new(_HW_P)
    ret = _GetDynamicHW(_vp(model_desc) or _ptr(model_desc), index, h)
    n = min(int(h.hwCount), 128)
    return {"hwCount": n, "hw": [[h.hw[i][0], h.hw[i][1]] for i in range(n)]}, ret


def set_dynamic_hw_size(model_id: int, dataset: int, index: int, height: int, width: int) -> int:
    return _SetDynamicHWSize(model_id, _vp(dataset) or _ptr(dataset), index, height, width)


def get_aipp_type(model_id: int, index: int) -> Tuple[int, int, int]:
    """``(aipp_type, dynamic_attached_data_index, ret)``."""
    t = _new(_AIPP_TYPE_P)
    i = _new(_SIZE_P)
    ret = _GetAippType(model_id, index, t, i)
    return t[0], i[0], ret


def get_first_aipp_info(model_id: int, index: int) -> Tuple[Dict[str, Any], int]:
    """``(aipp_info, ret)``: the static AIPP settings as a dict named like aclAippInfo's fields (``outDims`` a
    list of ``{"srcDims", "srcSize", "aippOutdims", "aippOutSize"}``; ``aippExtend`` left out)."""
    info = _new(_AIPP_P)
    ret = _GetFirstAippInfo(model_id, index, info)
    out: Dict[str, Any] = {}
    for name, _field in _AIPP_FIELDS:
        if name == "outDims":
            n = min(int(info.shapeCount), 128)
            out[name] = [{"srcDims": _dims(o.srcDims), "srcSize": o.srcSize, "aippOutdims": _dims(o.aippOutdims),
                          "aippOutSize": o.aippOutSize} for o in (info.outDims[k] for k in range(n))]
        elif name != "aippExtend":
            out[name] = getattr(info, name)
    return out, ret


_AIPP_FIELDS = _ffi.typeof("aclAippInfo").fields

del annotations, TYPE_CHECKING  # keep dir(acl.mdl) to the API
