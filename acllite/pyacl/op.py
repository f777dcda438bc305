"""``acl.op`` and the tensor descriptions: the few operator calls worth having without single-operator models.

Tensor descriptions (``acl.create_tensor_desc``...) and operator attributes are Python descriptors behind int
handles. :func:`cast` converts a tensor's data type (on the host, after the stream's earlier work: the result is
ready when the call returns). Running compiled single operators (``set_model_dir``, ``execute_v2``,
``create_handle``, ``execute_with_handle``) needs the operator models ATC builds for a device and is not
available: those calls return ACL_ERROR_API_NOT_SUPPORT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as _np

from ..model import ACL_TO_NUMPY as _ACL_TO_NUMPY
from ._common import ACL_ERROR_API_NOT_SUPPORT as _NOT_SUPPORT
from ._common import ACL_ERROR_INVALID_PARAM as _INVALID_PARAM
from ._common import HandleTable as _HandleTable
from ._common import VOIDP as _VOIDP, cast as _cast, ffi as _ffi, lib as _lib
from ._common import not_supported as _not_supported
from ._common import stale_code as _stale_code

if TYPE_CHECKING:
    from typing import Any, List, Sequence, Tuple

_UNSUPPORTED_DATA_TYPE = _lib.ACL_ERROR_UNSUPPORTED_DATA_TYPE
_H2D, _D2H = _lib.ACL_MEMCPY_HOST_TO_DEVICE, _lib.ACL_MEMCPY_DEVICE_TO_HOST
_OPS = "single-operator models (ATC --singleop) do not run on acllite's backends"


class _TensorDesc:
    __slots__ = ("dtype", "dims", "format", "const", "name")

    def __init__(self, dtype: int, dims: Sequence[int], fmt: int):
        self.dtype = int(dtype)
        self.dims = [int(d) for d in dims]
        self.format = int(fmt)
        self.const: Any = None
        self.name = ""

    @property
    def count(self) -> int:
        n = 1
        for d in self.dims:
            if d < 0:
                return 0
            n *= d
        return n


_tensors = _HandleTable("tensor description")
_attrs = _HandleTable("operator attribute")


# ---------------------------------------------------------------------------------------- tensor descriptions


def create_tensor_desc(data_type: int, dims: Sequence[int], format: int) -> int:  # noqa: A002 (pyACL's name)
    """A tensor description handle (``acl.create_tensor_desc``): data type, dims (a list), format."""
    return _tensors.add(_TensorDesc(data_type, dims, format))


def destroy_tensor_desc(desc: int) -> int:
    return 0 if _tensors.pop(desc) is not None else _stale_code()


def get_tensor_desc_size(desc: int) -> int:
    """Bytes of the tensor (element count x element size; 0 for unknown dims or an unknown handle)."""
    d = _tensors.get(desc)
    return 0 if d is None else d.count * _lib.aclDataTypeSize(d.dtype)


def get_tensor_desc_element_count(desc: int) -> int:
    d = _tensors.get(desc)
    return 0 if d is None else d.count


def get_tensor_desc_type(desc: int) -> int:
    d = _tensors.get(desc)
    return -1 if d is None else d.dtype  # ACL_DT_UNDEFINED


def get_tensor_desc_format(desc: int) -> int:
    d = _tensors.get(desc)
    return -1 if d is None else d.format  # ACL_FORMAT_UNDEFINED


def get_tensor_desc_num_dims(desc: int) -> int:
    d = _tensors.get(desc)
    return 0 if d is None else len(d.dims)


def get_tensor_desc_dim_v2(desc: int, index: int) -> Tuple[int, int]:
    """``(dim, ret)``."""
    d = _tensors.get(desc)
    if d is None:
        return 0, _stale_code()
    if type(index) is not int or not 0 <= index < len(d.dims):
        return 0, _INVALID_PARAM
    return d.dims[index], 0


def set_tensor_desc_name(desc: int, name: str) -> None:
    d = _tensors.get(desc)
    if d is not None:
        d.name = str(name)


def get_tensor_desc_name(desc: int) -> str:
    d = _tensors.get(desc)
    return "" if d is None else d.name


def set_tensor_const(desc: int, data_buffer: int, length: int) -> int:
    """Mark the tensor constant, with the host data at ``data_buffer`` (recorded; used by no operator here)."""
    d = _tensors.get(desc)
    if d is None:
        return _stale_code()
    if not data_buffer or length <= 0:
        return _INVALID_PARAM
    d.const = (int(data_buffer), int(length))
    return 0


# ---------------------------------------------------------------------------------------- attributes


def create_attr() -> int:
    return _attrs.add({})


def destroy_attr(attr: int) -> int:
    return 0 if _attrs.pop(attr) is not None else _stale_code()


def _set_attr(attr: int, name: str, value: Any) -> int:
    a = _attrs.get(attr)
    if a is None:
        return _stale_code()
    if not isinstance(name, str) or not name:
        return _INVALID_PARAM
    a[name] = value
    return 0


def set_attr_bool(attr: int, attr_name: str, attr_value: Any) -> int:
    return _set_attr(attr, attr_name, bool(attr_value))


def set_attr_int(attr: int, attr_name: str, attr_value: int) -> int:
    return _set_attr(attr, attr_name, int(attr_value))


def set_attr_float(attr: int, attr_name: str, attr_value: float) -> int:
    return _set_attr(attr, attr_name, float(attr_value))


def set_attr_string(attr: int, attr_name: str, attr_value: str) -> int:
    return _set_attr(attr, attr_name, str(attr_value))


def set_attr_list_int(attr: int, attr_name: str, values: Sequence[int]) -> int:
    return _set_attr(attr, attr_name, [int(v) for v in values])


# ---------------------------------------------------------------------------------------- cast


def cast(input_desc: int, input_buffer: int, output_desc: int, output_buffer: int, truncate: int,
         stream: int) -> int:
    """Convert the input tensor's elements to the output's data type (aclopCast).

    Waits for the stream's earlier work, converts on the host and writes the output: the result is in place
    when the call returns (later work on the stream sees it)."""
    src, dst = _tensors.get(input_desc), _tensors.get(output_desc)
    if src is None or dst is None:
        return _stale_code()
    s_dt, d_dt = _ACL_TO_NUMPY.get(src.dtype), _ACL_TO_NUMPY.get(dst.dtype)
    if s_dt is None or d_dt is None:
        return _UNSUPPORTED_DATA_TYPE
    count = src.count
    if count == 0 or count != dst.count:
        return _INVALID_PARAM
    s_buf, d_buf = _cast(_VOIDP, input_buffer), _cast(_VOIDP, output_buffer)
    s_addr, d_addr = _lib.aclGetDataBufferAddr(s_buf), _lib.aclGetDataBufferAddr(d_buf)
    s_size, d_size = _lib.aclGetDataBufferSizeV2(s_buf), _lib.aclGetDataBufferSizeV2(d_buf)
    host = _np.empty(count, s_dt)
    if s_addr == _ffi.NULL or d_addr == _ffi.NULL or s_size < host.nbytes or d_size < count * d_dt.itemsize:
        return _INVALID_PARAM
    ret = _lib.aclrtSynchronizeStream(_cast(_VOIDP, stream))
    if ret:
        return ret
    ret = _lib.aclrtMemcpy(_ffi.from_buffer(host, require_writable=True), host.nbytes, s_addr, host.nbytes, _D2H)
    if ret:
        return ret
    out = host.astype(d_dt) if truncate or d_dt.kind != "b" else host.astype(bool).astype(d_dt)
    return _lib.aclrtMemcpy(d_addr, d_size, _ffi.from_buffer(out), out.nbytes, _H2D)


# ---------------------------------------------------------------------------------------- not available


def set_model_dir(model_dir: str) -> int:
    _not_supported("acl.op.set_model_dir", _OPS)
    return _NOT_SUPPORT


def load(model: int, model_size: int) -> int:
    _not_supported("acl.op.load", _OPS)
    return _NOT_SUPPORT


def execute_v2(op_type: str, input_desc: List[int], inputs: List[int], output_desc: List[int],
               outputs: List[int], attr: int, stream: int) -> int:
    _not_supported("acl.op.execute_v2", _OPS)
    return _NOT_SUPPORT


def create_handle(op_type: str, input_desc: List[int], output_desc: List[int], attr: int) -> Tuple[int, int]:
    """``(0, ACL_ERROR_API_NOT_SUPPORT)``."""
    _not_supported("acl.op.create_handle", _OPS)
    return 0, _NOT_SUPPORT


def execute_with_handle(handle: int, inputs: List[int], outputs: List[int], stream: int) -> int:
    _not_supported("acl.op.execute_with_handle", _OPS)
    return _NOT_SUPPORT


def destroy_handle(handle: int) -> int:
    _not_supported("acl.op.destroy_handle", _OPS)
    return _NOT_SUPPORT


del annotations, TYPE_CHECKING  # keep dir(acl.op) to the API
