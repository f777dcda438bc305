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

from typing import Any, Callable, Dict, List, Tuple

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


def _convert_out(cell: Any, ctype: str) -> Any:
    t = ffi.typeof(ctype[:-1].strip())
    if t.kind in ("primitive", "enum"):
        return cell[0]
    if t.kind == "pointer":
        return int(ffi.cast("uintptr_t", cell[0]))
    return cell  # a struct: the cdata owns it


def _to_c(value: Any, ctype: str) -> Any:
    if value is None and ctype.endswith("*"):
        return ffi.NULL
    if isinstance(value, int) and ctype.endswith("*"):
        return ffi.cast(ctype.replace("const ", ""), value)
    if isinstance(value, str) and ctype in ("const char *", "char *"):
        return value.encode()
    return value


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

    def wrapper(*args: Any) -> Any:
        if len(args) != len(inputs):
            raise TypeError("%s takes %d argument(s) (%s), %d given" % (
                name, len(inputs), ", ".join(p[2] for p in inputs), len(args)))
        it = iter(args)
        call: List[Any] = []
        outs: List[Tuple[Any, str]] = []
        for kind, ctype, _ in plan:
            if kind == "in":
                call.append(_to_c(next(it), ctype))
            else:
                cell = ffi.new(ctype.replace("const ", ""))
                if kind == "inout":
                    cell[0] = next(it)
                call.append(cell)
                outs.append((cell, ctype))
        result = fn(*call)
        if returns_error:
            check(result, name)
            values = [_convert_out(c, t) for c, t in outs]
            return None if not values else values[0] if len(values) == 1 else tuple(values)
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
