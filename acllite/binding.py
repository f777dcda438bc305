"""The raw binding: every bound C function under its C name, exactly as cffi exposes it.

``binding.aclrtMalloc(ptr_cell, size, policy)`` is the compiled cffi function itself: it takes C values and
returns the C result (an ``aclError`` is a plain int). Bind hot functions to local names. A function that the
loaded backend lacks is a stub that raises :class:`~acllite.errors.AclFunctionUnavailable` naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple

from ._native import backend_info, ffi, lib
from .errors import AclFunctionUnavailable

__all__ = ["ffi", "lib", "Prototype", "prototypes", "functions"]

_PROTO_RE = re.compile(r"^(?P<ret>.+?)\s*\b(?P<name>\w+)\((?P<params>.*)\)$")


@dataclass(frozen=True)
class Prototype:
    """A bound function as the declaration states it."""

    name: str
    library: str
    returns: str
    params: Tuple[Tuple[str, str], ...]  #: (C type, parameter name)
    present: bool

    @property
    def text(self) -> str:
        return "%s %s(%s)" % (self.returns, self.name, ", ".join("%s %s" % p for p in self.params) or "void")


def _parse(i: int) -> Prototype:
    text = ffi.string(lib.acllite_binding_prototype(i)).decode()
    m = _PROTO_RE.match(text)
    assert m, text
    params: List[Tuple[str, str]] = []
    for p in m.group("params").split(","):
        p = p.strip()
        if not p or p == "void":
            continue
        pm = re.match(r"^(.*?)(\w+)$", p)
        assert pm, p
        params.append((pm.group(1).strip(), pm.group(2)))
    return Prototype(m.group("name"), ffi.string(lib.acllite_binding_library(i)).decode(), m.group("ret").strip(),
                     tuple(params), bool(lib.acllite_binding_present(i)))


prototypes: Dict[str, Prototype] = {p.name: p for p in (_parse(i) for i in range(lib.acllite_binding_count()))}


def _absent(proto: Prototype) -> Callable[..., Any]:
    info = backend_info()

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise AclFunctionUnavailable(proto.name, info.name, info.libraries.get(proto.library, "(not loaded)"),
                                     info.version)

    unavailable.__name__ = proto.name
    unavailable.__doc__ = "Unavailable on this backend: %s" % proto.text
    return unavailable


#: name -> callable: the cffi function, or a raising stub when the backend lacks it.
functions: Dict[str, Callable[..., Any]] = {
    name: getattr(lib, name) if p.present else _absent(p) for name, p in prototypes.items()
}
globals().update(functions)
__all__ += sorted(functions)
