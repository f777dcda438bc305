"""``acl.op``: single operators (aclop*), pyACL-style.

Every function calls the C function it wraps (the catalog names it). Lists of tensor descriptions and data
buffers are Python lists of ints; the number of inputs and outputs is the length of the ``inputs`` and
``outputs`` lists, as pyACL takes it. The tensor-description functions (``acl.create_tensor_desc``...) are at the
top level of ``acl``, as in pyACL.
"""

from __future__ import annotations

import threading as _threading
from typing import TYPE_CHECKING

from . import _generate
from ._common import callback_failed as _callback_failed, ffi as _ffi, lib as _lib, new as _new
from ._common import integer as _integer, pointer as _pointer, pointer_array as _pointer_array
from ._common import pointer_cached as _vp, real as _real, sequence as _sequence, string as _string

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Tuple

_generate.install(globals(), "op", __name__)

if TYPE_CHECKING:
    def __getattr__(name: str) -> Any:
        """The functions generated from the catalog are installed at import: to a type checker they are Any."""


def _i(value: Any, where: str) -> int:
    return value if type(value) is int else _integer(value, where)


def _p(value: Any, where: str) -> Any:
    return (_vp(value) if type(value) is int else None) or _pointer(value, where)


def _handles(values: Any, where: str, item: str) -> Tuple[Any, int]:
    items = _sequence(values, where)
    return _pointer_array(items, where, item), len(items)


def _descs(values: Any, where: str) -> Tuple[Any, int]:
    return _handles(values, where, "aclTensorDesc *")


def _buffers(values: Any, where: str) -> Tuple[Any, int]:
    return _handles(values, where, "aclDataBuffer *")


# ---------------------------------------------------------------------------------------- execution


def execute(op_type: str, input_desc: List[int], inputs: List[int], output_desc: List[int], outputs: List[int],
            attr: int, stream: int, /) -> int:
    """aclopExecute (deprecated in CANN, kept by pyACL)."""
    return _execute(_lib.aclopExecute, "acl.op.execute", op_type, input_desc, inputs, output_desc, outputs, attr,
                    stream)


def execute_v2(op_type: str, input_desc: List[int], inputs: List[int], output_desc: List[int], outputs: List[int],
               attr: int, stream: int, /) -> int:
    return _execute(_lib.aclopExecuteV2, "acl.op.execute_v2", op_type, input_desc, inputs, output_desc, outputs,
                    attr, stream)


def _execute(fn: Any, w: str, op_type: Any, input_desc: Any, inputs: Any, output_desc: Any, outputs: Any,
             attr: Any, stream: Any) -> int:
    t = _string(op_type, w + ": op_type")
    in_desc, _ = _descs(input_desc, w + ": input_desc")
    ins, n_in = _buffers(inputs, w + ": inputs")
    out_desc, _ = _descs(output_desc, w + ": output_desc")
    outs, n_out = _buffers(outputs, w + ": outputs")
    return fn(t, n_in, in_desc, ins, n_out, out_desc, outs, _p(attr, w + ": attr"), _p(stream, w + ": stream"))


def execute_with_handle(handle: int, inputs: List[int], outputs: List[int], stream: int, /) -> int:
    w = "acl.op.execute_with_handle"
    h = _p(handle, w + ": handle")
    ins, n_in = _buffers(inputs, w + ": inputs")
    outs, n_out = _buffers(outputs, w + ": outputs")
    return _lib.aclopExecWithHandle(h, n_in, ins, n_out, outs, _p(stream, w + ": stream"))


def create_handle(op_type: str, input_desc: List[int], output_desc: List[int], attr: int, /) -> Tuple[int, int]:
    """``(handle, ret)``."""
    w = "acl.op.create_handle"
    t = _string(op_type, w + ": op_type")
    in_desc, n_in = _descs(input_desc, w + ": input_desc")
    out_desc, n_out = _descs(output_desc, w + ": output_desc")
    cell = _new("aclopHandle **")
    ret = _lib.aclopCreateHandle(t, n_in, in_desc, n_out, out_desc, _p(attr, w + ": attr"), cell)
    return int(_ffi.cast("uintptr_t", cell[0])), ret


def infer_shape(op_type: str, input_desc: List[int], inputs: List[int], num_outputs: int, output_desc: List[int],
                attr: int, /) -> int:
    w = "acl.op.infer_shape"
    t = _string(op_type, w + ": op_type")
    in_desc, _ = _descs(input_desc, w + ": input_desc")
    ins, n_in = _buffers(inputs, w + ": inputs")
    out_desc, _ = _descs(output_desc, w + ": output_desc")
    return _lib.aclopInferShape(t, n_in, in_desc, ins, _i(num_outputs, w + ": num_outputs"), out_desc,
                                _p(attr, w + ": attr"))


# ---------------------------------------------------------------------------------------- attributes


def _attr_list(c_fn: Any, w: str, attr: Any, name: Any, values: Any, ctype: str) -> int:
    a, n = _p(attr, w + ": attr"), _string(name, w + ": attr_name")
    items = _sequence(values, w + ": values") if not hasattr(values, "__array_interface__") else list(values)
    arr = _new("%s[]" % ctype, max(len(items), 1))
    for k, v in enumerate(items):
        where = "%s: values[%d]" % (w, k)
        arr[k] = _real(v, where) if ctype == "float" else _integer(v, where, flag=(ctype == "uint8_t"))
    return c_fn(a, n, len(items), arr)


def set_attr_list_bool(attr: int, attr_name: str, values: List[Any], /) -> int:
    return _attr_list(_lib.aclopSetAttrListBool, "acl.op.set_attr_list_bool", attr, attr_name, values, "uint8_t")


def set_attr_list_int(attr: int, attr_name: str, values: List[int], /) -> int:
    return _attr_list(_lib.aclopSetAttrListInt, "acl.op.set_attr_list_int", attr, attr_name, values, "int64_t")


def set_attr_list_float(attr: int, attr_name: str, values: List[float], /) -> int:
    return _attr_list(_lib.aclopSetAttrListFloat, "acl.op.set_attr_list_float", attr, attr_name, values, "float")


def set_attr_list_string(attr: int, attr_name: str, values: List[str], /) -> int:
    w = "acl.op.set_attr_list_string"
    a, n = _p(attr, w + ": attr"), _string(attr_name, w + ": attr_name")
    keep = [_new("char[]", _string(v, "%s: values[%d]" % (w, k))) for k, v in enumerate(_sequence(values, w))]
    arr = _new("const char *[]", keep + [_ffi.NULL])
    return _lib.aclopSetAttrListString(a, n, len(keep), arr)


def set_attr_list_list_int(attr: int, attr_name: str, values: List[List[int]], /) -> int:
    w = "acl.op.set_attr_list_list_int"
    a, n = _p(attr, w + ": attr"), _string(attr_name, w + ": attr_name")
    lists = _sequence(values, w + ": values")
    keep = []
    for k, lst in enumerate(lists):
        items = _sequence(lst, "%s: values[%d]" % (w, k)) if not hasattr(lst, "__array_interface__") else list(lst)
        arr = _new("int64_t[]", max(len(items), 1))
        for j, v in enumerate(items):
            arr[j] = _integer(v, "%s: values[%d][%d]" % (w, k, j))
        keep.append((arr, len(items)))
    counts = _new("int[]", [c for _, c in keep] or [0])
    ptrs = _new("int64_t *[]", [arr for arr, _ in keep] or [_ffi.NULL])
    return _lib.aclopSetAttrListListInt(a, n, len(keep), counts, ptrs)


def set_attr_data_type(attr: int, attr_name: str, value: int, /) -> Tuple[int, int]:
    """``(attr, ret)`` (pyACL echoes the attribute handle)."""
    w = "acl.op.set_attr_data_type"
    ret = _lib.aclopSetAttrDataType(_p(attr, w + ": attr"), _string(attr_name, w + ": attr_name"),
                                    _i(value, w + ": value"))
    return attr, ret


def set_attr_list_data_type(attr: int, attr_name: str, values: List[int], /) -> Tuple[int, int]:
    """``(attr, ret)``."""
    w = "acl.op.set_attr_list_data_type"
    a, n = _p(attr, w + ": attr"), _string(attr_name, w + ": attr_name")
    items = _sequence(values, w + ": values")
    arr = _new("aclDataType[]", max(len(items), 1))
    for k, v in enumerate(items):
        arr[k] = _i(v, "%s: values[%d]" % (w, k))
    return attr, _lib.aclopSetAttrListDataType(a, n, len(items), arr)


# ---------------------------------------------------------------------------------------- compile functions, kernels

#: op type -> the Python compile function; the C callback runs the one of the operator update_params is for.
_compile_funcs: Dict[str, Callable[..., Any]] = {}
_current = _threading.local()


def _run_compile_func(num_inputs: int, input_desc: Any, num_outputs: int, output_desc: Any, op_attr: Any,
                      kernel_desc: Any) -> int:
    try:
        fn = _compile_funcs.get(getattr(_current, "op_type", ""))
        if fn is not None:
            ins = [int(_ffi.cast("uintptr_t", input_desc[k])) for k in range(num_inputs)]
            outs = [int(_ffi.cast("uintptr_t", output_desc[k])) for k in range(num_outputs)]
            fn(num_inputs, ins, num_outputs, outs, int(_ffi.cast("uintptr_t", op_attr)),
               int(_ffi.cast("uintptr_t", kernel_desc)))
    except BaseException:  # noqa: B902 - nothing may propagate into C
        _callback_failed("acl.op.register_compile_func")
    return 0


def _cffi_error(exc_type: Any, exc: Any, tb: Any) -> None:
    _callback_failed("acl.op compile function")


_compile_trampoline = _ffi.callback("aclopCompileFunc", _run_compile_func, onerror=_cffi_error)


def register_compile_func(op_type: str, func: Callable[..., Any], /) -> int:
    """``func(num_inputs, input_descs, num_outputs, output_descs, op_attr, kernel_desc)`` (lists of ints) runs
    when ``update_params`` is called for ``op_type``."""
    w = "acl.op.register_compile_func"
    t = _string(op_type, w + ": op_type")
    if not callable(func):
        raise TypeError("%s: func must be callable" % w)
    _compile_funcs[t.decode(errors="replace")] = func
    return _lib.aclopRegisterCompileFunc(t, _compile_trampoline)


def unregister_compile_func(op_type: str, /) -> int:
    t = _string(op_type, "acl.op.unregister_compile_func: op_type")
    _compile_funcs.pop(t.decode(errors="replace"), None)
    return _lib.aclopUnregisterCompileFunc(t)


def update_params(op_type: str, input_desc: List[int], output_desc: List[int], attr: int, /) -> int:
    w = "acl.op.update_params"
    t = _string(op_type, w + ": op_type")
    in_desc, n_in = _descs(input_desc, w + ": input_desc")
    out_desc, n_out = _descs(output_desc, w + ": output_desc")
    _current.op_type = t.decode(errors="replace")
    try:
        return _lib.aclopUpdateParams(t, n_in, in_desc, n_out, out_desc, _p(attr, w + ": attr"))
    finally:
        _current.op_type = ""


def _free_kernel_data(data: Any, length: int) -> None:
    """The deallocator pyACL passes when asked: frees device memory (run mode DEVICE) or host memory."""
    try:
        mode = _new("aclrtRunMode *")
        if _lib.aclrtGetRunMode(mode) != 0:
            return
        (_lib.aclrtFree if mode[0] == _lib.ACL_DEVICE else _lib.aclrtFreeHost)(data)
    except BaseException:  # noqa: B902
        _callback_failed("acl.op.create_kernel deallocator")


_deallocator = _ffi.callback("aclDataDeallocator", _free_kernel_data, onerror=_cffi_error)


def create_kernel(op_type: str, kernel_id: str, kernel_name: str, bin_data: int, bin_size: int, engine_type: int,
                  deallocator: int, /) -> int:
    """``deallocator`` non-zero: the runtime frees ``bin_data`` when done (aclrtFree or aclrtFreeHost by run
    mode), as pyACL."""
    w = "acl.op.create_kernel"
    return _lib.aclopCreateKernel(_string(op_type, w + ": op_type"), _string(kernel_id, w + ": kernel_id"),
                                  _string(kernel_name, w + ": kernel_name"), _p(bin_data, w + ": bin_data"),
                                  _i(bin_size, w + ": bin_size"), _i(engine_type, w + ": engine_type"),
                                  _deallocator if _i(deallocator, w + ": deallocator") else _ffi.NULL)


del annotations, TYPE_CHECKING  # keep dir(acl.op) to the API
