"""The ``gen`` rows of the catalog made into functions, from the bound prototypes (one source of truth).

Each function is compiled from a few lines of generated Python (as :func:`collections.namedtuple` does) so that the
call is as cheap as a hand-written shim: the C function, the converters and the out-parameter cells are closure
variables, and every argument has its fast path inline, e.g. for ``acl.rt.memcpy``::

    def memcpy(dst, dest_max, src, count, kind, /):
        return _f((_vp(dst) if _ty(dst) is _int else None) or _ptr(dst, 'acl.rt.memcpy: dst'),
                  dest_max if _ty(dest_max) is _int else _num(dest_max, 'acl.rt.memcpy: dest_max'), ...)

How each C parameter is converted is decided by its declared type (``_common`` has the rules); a C parameter named
in the row's ``returns`` is an output: a cell of the calling thread, zeroed before the call and read back after.
"""

from __future__ import annotations

import keyword
import re
import threading
from typing import Any, Callable, Dict, List, Tuple

from .. import binding
from . import _catalog, _common
from ._common import ffi

#: Functions that take a pointer or handle to release it: their arguments are not worth caching (each is passed once).
_RELEASES = re.compile(r"(^|_)(destroy|free|unload|release|unmap)(_|$)")
_FLAG_TYPES = frozenset({"uint8_t", "int8_t", "bool", "_Bool", "char", "signed char", "unsigned char"})


def snake(name: str) -> str:
    """``destMax`` -> ``dest_max``; keywords get a trailing underscore."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()
    return s + "_" if keyword.iskeyword(s) else s


def _param_kind(ctype: str) -> str:
    """pointer | string | int | flag | real, from a declared parameter type."""
    bare = ctype.replace("const ", "").strip()
    if bare in ("char *",):
        return "string" if ctype.startswith("const") else "pointer"
    t = ffi.typeof(bare)
    if t.kind in ("pointer", "function", "array"):
        return "pointer"
    if t.kind == "enum":
        return "int"
    if t.kind == "primitive":
        if t.cname in ("float", "double"):
            return "real"
        return "flag" if t.cname in _FLAG_TYPES else "int"
    raise TypeError("cannot pass a %s (%s) generically" % (ctype, t.kind))


def _out_cell(ctype: str) -> Tuple[Any, Callable[[Any], Any]]:
    """(the ctype of the cell to allocate, how to make the argument the C call takes from it)."""
    item = ffi.typeof(ctype[:-1].strip())
    if item.kind in ("pointer", "function"):  # a pointer or handle written by C: read it back as an int
        cell_t = ffi.typeof("uintptr_t *")
        arg_t = ffi.typeof(ctype)
        return cell_t, lambda cell: ffi.cast(arg_t, cell)
    return ffi.typeof(ctype), lambda cell: cell


def build(entry: _catalog.Entry, module_name: str) -> Callable[..., Any]:
    """The Python function for one ``gen`` row."""
    proto = binding.prototypes[entry.cfunc]  # type: ignore[index]
    outs = set(entry.outputs)
    unknown = outs - {n for _, n in proto.params}
    if unknown:
        raise ValueError("%s: %s are not parameters of %s" % (entry.name, sorted(unknown), proto.text))
    env: Dict[str, Any] = {"_f": binding.functions[entry.cfunc],  # type: ignore[index]
                           "_vp": _common.pointer_cached, "_ptr": _common.pointer, "_cast": ffi.cast,
                           "_V": _common.VOIDP, "_U": _common.UINTPTR, "_MAX": _common.UINTPTR_MAX,
                           "_num": _common.integer, "_index": _common.size_index, "_flag": _common.flag,
                           "_real": _common.real,
                           "_str": _common.string, "_text": _common.text, "_ty": type, "_int": int, "_float": float,
                           "_tls": threading.local(), "_AttributeError": AttributeError}
    releases = bool(_RELEASES.search(entry.function))
    params: List[str] = []
    args: List[str] = []
    cells: List[Tuple[str, Any, Any]] = []  # (name, cell type, argument maker)
    for ctype, cname in proto.params:
        if cname in outs:
            cell_t, to_arg = _out_cell(ctype)
            cells.append((cname, cell_t, to_arg))
            args.append("_a%d" % (len(cells) - 1))
            continue
        p = snake(cname)
        where = repr("%s: %s" % (entry.name, p))
        kind = _param_kind(ctype)
        params.append(p)
        if kind == "pointer" and releases:  # passed once: cast, do not cache
            args.append("_cast(_V, %s) if _ty(%s) is _int and 0 <= %s <= _MAX else _ptr(%s, %s)" % (p, p, p, p, where))
        elif kind == "pointer":
            args.append("(_vp(%s) if _ty(%s) is _int else None) or _ptr(%s, %s)" % (p, p, p, where))
        elif kind == "string":
            args.append("_str(%s, %s)" % (p, where))
        elif kind == "real":
            args.append("%s if _ty(%s) is _float else _real(%s, %s)" % (p, p, p, where))
        elif kind == "flag":
            args.append("%s if _ty(%s) is _int else _flag(%s, %s)" % (p, p, p, where))
        elif cname == "index" and ffi.typeof(ctype.replace("const ", "").strip()).cname == "size_t":
            args.append("_index(%s, %s)" % (p, where))  # -1: the reserved index
        else:
            args.append("%s if _ty(%s) is _int else _num(%s, %s)" % (p, p, p, where))
    fname = entry.function
    lines = ["def %s(%s):" % (fname, ", ".join(params) + (", /" if params else ""))]
    if cells:
        env["_make_cells"] = _cell_maker(cells)
        names = ", ".join("_c%d, _a%d" % (i, i) for i in range(len(cells)))
        lines += ["    try:", "        %s = _tls.cells" % names,
                  "    except _AttributeError:", "        %s = _tls.cells = _make_cells()" % names]
        lines += ["    _c%d[0] = 0" % i for i in range(len(cells))]
    call = "_f(%s)" % ", ".join(args)
    returns = entry.returns
    if returns == "ret":
        lines.append("    return " + call)
    elif returns == "none":
        lines += ["    " + call, "    return None"]
    elif returns == "str":
        lines.append("    return _text(%s)" % call)
    elif returns == "value":
        rtype = ffi.typeof(proto.returns)
        lines.append("    return %s" % ("int(_cast(_U, %s))" % call if rtype.kind in ("pointer", "function") else call))
    else:
        values = ", ".join("_c%d[0]" % [c[0] for c in cells].index(o) for o in entry.outputs)
        if entry.tuple_items[-1] != "ret" or proto.returns != "aclError":
            raise ValueError("%s: a gen tuple must end with ret and wrap an aclError function" % entry.name)
        lines += ["    _r = " + call, "    return %s, _r" % values]
    source = "\n".join(lines) + "\n"
    namespace: Dict[str, Any] = {}
    exec(compile(source, "<acl %s>" % entry.name, "exec"), env, namespace)  # noqa: S102 (our own source)
    fn = namespace[fname]
    fn.__module__ = module_name
    fn.__qualname__ = fname
    fn.__doc__ = "pyACL ``%s``: %s; returns %s." % (entry.name, proto.text, returns)
    fn.__wrapped_c__ = entry.cfunc  # the C function, for tests and tools
    return fn


def _cell_maker(cells: List[Tuple[str, Any, Any]]) -> Callable[[], Tuple[Any, ...]]:
    def make() -> Tuple[Any, ...]:
        out: List[Any] = []
        for _, cell_t, to_arg in cells:
            cell = ffi.new(cell_t)
            out += [cell, to_arg(cell)]
        return tuple(out)

    return make


def install(namespace: Dict[str, Any], module: str, module_name: str) -> List[str]:
    """Define every ``gen`` row of a pyACL module in its namespace; returns their names."""
    names = []
    for entry in _catalog.of_module(module, ("gen",)):
        namespace[entry.function] = build(entry, module_name)
        names.append(entry.function)
    return names
