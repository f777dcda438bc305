"""The raw binding: every bound C function under its C name, exactly as cffi exposes it.

``binding.aclrtMalloc(ptr_cell, size, policy)`` is the compiled cffi function itself: it takes C values and
returns the C result (an ``aclError`` is a plain int). Bind hot functions to local names. A function that the
loaded backend lacks is a stub that raises :class:`~acllite.errors.AclFunctionUnavailable` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Tuple

from ._native import backend_info, c_text, ffi, lib, library_groups
from .errors import AclFunctionUnavailable

__all__ = ["ffi", "lib", "Prototype", "prototypes", "functions"]


@dataclass(frozen=True)
class Prototype:
    """A bound function as the declaration states it."""

    name: str
    library: str
    returns: str
    params: Tuple[Tuple[str, str], ...]  #: (C type, parameter name); arrays and functions adjusted to pointers
    present: bool
    variadic: bool = False  #: ends with "...", like printf

    @property
    def text(self) -> str:
        params = ["%s %s" % p for p in self.params] + (["..."] if self.variadic else [])
        return "%s %s(%s)" % (self.returns, self.name, ", ".join(params) or "void")


def _parse(i: int) -> Prototype:
    # The binding's signature table: return type, then (type, name) per parameter, tab-separated; "..." last
    # for a variadic function (csrc/apigen.py, signature()).
    fields = c_text(lib.acllite_binding_signature(i)).split("\t")
    variadic = fields[-1] == "..."
    if variadic:
        fields = fields[:-1]
    returns, rest = fields[0], fields[1:]
    params = tuple((rest[k], rest[k + 1]) for k in range(0, len(rest), 2))
    return Prototype(c_text(lib.acllite_binding_name(i)), c_text(lib.acllite_binding_library(i)), returns, params,
                     bool(lib.acllite_binding_present(i)), variadic)


prototypes: Dict[str, Prototype] = {p.name: p for p in (_parse(i) for i in range(lib.acllite_binding_count()))}


def _library_text(group: str) -> str:
    """The file a group's functions were looked up in, or which file was not found."""
    loaded = backend_info().libraries.get(group)
    if loaded:
        return loaded
    soname = dict(library_groups()).get(group)
    return "%s (not found)" % soname if soname else "(not loaded)"


def _absent(proto: Prototype) -> Callable[..., Any]:
    info = backend_info()
    library = _library_text(proto.library)

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise AclFunctionUnavailable(proto.name, info.name, library, info.version)

    unavailable.__name__ = proto.name
    unavailable.__doc__ = "Unavailable on this backend: %s" % proto.text
    return unavailable


#: name -> callable: the cffi function, or a raising stub when the backend lacks it.
functions: Dict[str, Callable[..., Any]] = {
    name: getattr(lib, name) if p.present else _absent(p) for name, p in prototypes.items()
}
globals().update(functions)
__all__ += sorted(functions)
