"""Checked wrappers: one per bound C function, same name, Python values in and out.

Derived at import from the declared prototypes (nothing here is listed by hand): pointer parameters that the
function writes (``int32_t *deviceId``, ``aclrtStream *stream``, ``size_t *free``...) become return values;
handles and data pointers are passed as they are (ints or cdata); a non-zero ``aclError`` raises
:class:`~acllite.errors.AclError`; a function that returns a handle raises when it returns NULL.

>>> from acllite import capi
>>> capi.aclrtGetRunMode()   # ACL_HOST
1
>>> ptr = capi.aclrtMalloc(1024, 0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Tuple

from . import binding
from ._native import ffi
from .errors import check, raise_for

__all__: List[str] = []

#: Parameters that are read and written (pointer in, value out): (function, parameter).
_IN_OUT = frozenset({("acldvppJpegEncodeAsync", "size")})
#: Complete structs passed by pointer as input.
_STRUCT_IN = frozenset({("aclmdlSetInputDynamicDims", "dims")})


def _is_output(func: str, ctype: str, name: str) -> bool:
    if (func, name) in _STRUCT_IN or ctype.startswith("const ") or not ctype.endswith("*"):
        return False
    base = ctype[:-1].strip()
    if base in ("void", "char"):
        return False
    t = ffi.typeof(base)
    if t.kind == "struct":
        try:
            ffi.sizeof(t)
        except ffi.error:
            return False  # a pointer to an opaque struct is a handle
    return True


def _out_converter(ctype: str) -> Any:
    """How to turn the filled cell of an output parameter into a Python value (decided once per parameter)."""
    kind = ffi.typeof(ctype[:-1].strip()).kind
    if kind in ("primitive", "enum"):
        return lambda cell: cell[0]
    if kind == "pointer":
        return lambda cell: int(ffi.cast("uintptr_t", cell[0]))
    return lambda cell: cell  # a struct: the cdata owns it


def _in_converter(ctype: str) -> Any:
    """How to pass a Python value for an input parameter (decided once per parameter): ints and None become
    pointers for pointer types (handles such as aclrtStream are pointers too), str becomes bytes for char *."""
    t = ffi.typeof(ctype.replace("const ", ""))
    if t.kind != "pointer":
        return lambda value: value
    is_text = t.item.kind == "primitive" and t.item.cname == "char"

    def convert(value: Any) -> Any:
        if value is None:
            return ffi.NULL
        if isinstance(value, int):
            return ffi.cast(t, value)
        if is_text and isinstance(value, str):
            return value.encode()
        return value

    return convert


def _make(proto: binding.Prototype) -> Callable[..., Any]:
    fn = binding.functions[proto.name]
    name = proto.name
    plan: List[Tuple[str, str, str]] = []  # (kind: in|out|inout, ctype, name)
    for ctype, pname in proto.params:
        if (name, pname) in _IN_OUT:
            plan.append(("inout", ctype, pname))
        elif _is_output(name, ctype, pname):
            plan.append(("out", ctype, pname))
        else:
            plan.append(("in", ctype, pname))
    inputs = [p for p in plan if p[0] != "out"]
    returns_error = proto.returns == "aclError"
    returns_handle = proto.returns.endswith("*") and proto.returns != "const char *"
    # Per parameter, decided once: (kind, C type for ffi.new or the cast, converter of an output cell).
    steps = [(kind, ffi.typeof(ctype.replace("const ", "")),
              _in_converter(ctype) if kind == "in" else _out_converter(ctype)) for kind, ctype, _ in plan]
    n_inputs = len(inputs)

    def wrapper(*args: Any) -> Any:
        if len(args) != n_inputs:
            raise TypeError("%s takes %d argument(s) (%s), %d given" % (
                name, n_inputs, ", ".join(p[2] for p in inputs), len(args)))
        it = iter(args)
        call: List[Any] = []
        outs: List[Tuple[Any, Any]] = []
        for kind, ctype_obj, convert in steps:
            if kind == "in":
                call.append(convert(next(it)))
            else:
                cell = ffi.new(ctype_obj)
                if kind == "inout":
                    cell[0] = next(it)
                call.append(cell)
                outs.append((cell, convert))
        result = fn(*call)
        if returns_error:
            if result:
                check(result, name)
            if not outs:
                return None
            if len(outs) == 1:
                return outs[0][1](outs[0][0])
            return tuple(convert(cell) for cell, convert in outs)
        if returns_handle:
            if result == ffi.NULL:
                raise_for(100000, name, "returned NULL")
            return result
        if proto.returns == "const char *":
            return None if result == ffi.NULL else ffi.string(result).decode(errors="replace")
        return result

    wrapper.__name__ = wrapper.__qualname__ = name
    outs_doc = [p[2] for p in plan if p[0] != "in"]
    wrapper.__doc__ = "Checked %s.\n\nC: %s\nArguments: %s\nReturns: %s" % (
        name, proto.text, ", ".join(p[2] for p in inputs) or "none",
        ", ".join(outs_doc) or ("the handle" if returns_handle else "the value" if not returns_error else "None"))
    return wrapper


_wrappers: Dict[str, Callable[..., Any]] = {n: _make(p) for n, p in binding.prototypes.items()}
globals().update(_wrappers)
__all__ += sorted(_wrappers)

if TYPE_CHECKING:
    def __getattr__(name: str) -> Callable[..., Any]: ...  # the wrappers are made at import, one per bound function
