"""Read acllite's C API declaration (csrc/api/*.h) and derive everything that depends on it.

The declaration files are the single source of truth. From them this module produces:

* the ``ffi.cdef`` text of the compiled binding,
* the binding's C source: the run-time dispatch table, one trampoline per function (exported under the
  real AscendCL name inside the extension only), a stub per function for backends that lack it, and the
  loader that fills the table from one shared object per library group,
* the emulator's "not emulated" stubs, from the list in csrc/emu/not_emulated.txt,
* the type stubs (``.pyi``) of ``acllite._acl_cffi`` and ``acllite.binding``,
* the C++ source of the conformance check against the real CANN headers, and a scan of those headers (their
  functions, enum members, typedefs and constants) that tells what the declaration lacks.

Only the standard library and pycparser (a dependency of cffi) are used, so ``setup.py`` and the tests can
import this module before anything is built.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

from pycparser import c_ast, c_generator, c_parser

API_DIR = Path(__file__).resolve().parent / "api"
NOT_EMULATED = Path(__file__).resolve().parent / "emu" / "not_emulated.txt"

#: Declaration files in dependency order (each may use what the files before it declare). An
#: ``acllite-library: GROUP`` comment names the library group of the functions declared after it; every file
#: starts with one.
API_FILES = (
    "acl_base.h",
    "acl_tensor.h",
    "acl_runtime_types.h",
    "acl_runtime_device.h",
    "acl_runtime_stream.h",
    "acl_runtime_memory.h",
    "acl_runtime_kernel.h",
    "acl_runtime_graph.h",
    "acl_runtime_allocator.h",
    "acl_runtime_mempool.h",
    "acl_runtime.h",
    "acl_model.h",
    "acl_model_aipp.h",
    "acl_op.h",
    "acl_op_compiler.h",
    "acl_prof.h",
    "acl_dvpp.h",
    "acl_dvpp_vpc.h",
    "acl_vdec_venc.h",
    "acllite_emu.h",
)

#: cffi-only declarations of the functions implemented in Python (``extern "Python"``), appended to the cdef.
PYTHON_CALLBACKS = "python_callbacks.cdef"


@dataclass(frozen=True)
class LibraryGroup:
    """Where the functions of one ``acllite-library`` group live in a CANN install."""

    name: str
    #: file name of the shared object in CANN; None: only the emulator provides the group
    soname: Optional[str]
    #: groups whose loaded objects are searched too when a function is not in this group's own object
    fallback: Tuple[str, ...] = ()


#: The library groups, in the order of the loader's handle array. On the emulator backend every group is the
#: emulator. Evidence for each soname is in docs/DEVELOPING.md ("Which library exports what").
LIBRARY_GROUPS: Tuple[LibraryGroup, ...] = (
    LibraryGroup("ascendcl", "libascendcl.so"),
    LibraryGroup("acl_dvpp", "libacl_dvpp.so"),
    LibraryGroup("acl_op_compiler", "libacl_op_compiler.so"),
    # acl_prof.h is implemented by the profiler (libmsprofiler.so); libascendcl.so also resolves the older
    # aclprof* names (it depends on the profiler), so it is searched second.
    LibraryGroup("msprofiler", "libmsprofiler.so", ("ascendcl",)),
    LibraryGroup("emulator", None),
)
GROUP_NAMES = tuple(g.name for g in LIBRARY_GROUPS)

# Types the declarations may use without declaring them (they come from <stddef.h>/<stdint.h>/<stdbool.h>).
_BUILTIN_TYPEDEFS = """
typedef unsigned long size_t;
typedef signed char int8_t; typedef unsigned char uint8_t;
typedef short int16_t; typedef unsigned short uint16_t;
typedef int int32_t; typedef unsigned int uint32_t;
typedef long int64_t; typedef unsigned long uint64_t;
typedef long intptr_t; typedef unsigned long uintptr_t;
typedef _Bool bool;
"""
_BUILTIN_NAMES = frozenset(re.findall(r"\b(\w+)\s*;", _BUILTIN_TYPEDEFS))

_DEFINE_RE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)\s+(.+?)\s*$")
_GUARD_RE = re.compile(r"^\s*#\s*define\s+[A-Za-z_]\w*\s*$")
_LIBRARY_RE = re.compile(r"acllite-library:\s*(\w+)")
_INT_RE = re.compile(r"^\(?\s*(-?\s*(?:0[xX][0-9a-fA-F]+|\d+))([uU]?[lL]{0,2}|[lL]{1,2}[uU])\s*\)?$")


@dataclass
class Constant:
    name: str
    value: Union[int, str]
    source: str
    raw: str = ""  #: the literal as written (its suffix gives its C type)


@dataclass
class Param:
    name: str
    ctype: str  #: the parameter's type as a C type name, arrays and functions adjusted to pointers
    node: c_ast.Node = field(repr=False)  #: its declarator, unadjusted


@dataclass
class Function:
    name: str
    library: str
    source: str
    decl: c_ast.Decl

    @property
    def return_type(self) -> str:
        return _gen().visit(_strip_name(self.decl.type.type))

    @property
    def variadic(self) -> bool:
        args = self.decl.type.args
        return bool(args) and isinstance(args.params[-1], c_ast.EllipsisParam)

    @property
    def param_list(self) -> List[Param]:
        out = []
        for p in self.decl.type.args.params if self.decl.type.args else []:
            if isinstance(p, c_ast.EllipsisParam):
                continue
            if isinstance(p, c_ast.Typename) and _gen().visit(p) == "void":
                continue
            if not p.name:
                raise ValueError("%s: every parameter needs a name (the trampoline passes it on)" % self.name)
            out.append(Param(p.name, type_name(_adjust_param(p.type)), p.type))
        return out

    @property
    def params(self) -> List[Tuple[str, str]]:
        """(type text, parameter name) pairs; empty for ``(void)``."""
        return [(p.ctype, p.name) for p in self.param_list]

    def prototype(self, name: Optional[str] = None) -> str:
        d = copy.deepcopy(self.decl)
        if name is not None:
            _set_name(d.type, name)
        d.name = name or self.name
        return _gen().visit(d)

    def function_type(self) -> str:
        """The C/C++ type-id of the function, e.g. ``aclError (const char *configPath)``."""
        return _gen().visit(_strip_name(copy.deepcopy(self.decl.type)))

    @property
    def returns_void(self) -> bool:
        return self.return_type == "void"


@dataclass
class Struct:
    name: str  #: the name C++ knows it by (typedef name, or the tag of a plain ``struct X {...};``)
    fields: List[str]  #: every member reachable by name, those of anonymous members included
    source: str
    kind: str = "struct"  #: "struct" or "union"


@dataclass
class Enum:
    name: str
    members: List[Tuple[str, int]]
    source: str


@dataclass
class TypeDef:
    """A typedef, or a plain tagged ``struct``/``union``/``enum`` definition (``typedef`` False)."""

    name: str
    source: str
    node: c_ast.Node = field(repr=False)
    typedef: bool = True

    @property
    def target(self) -> c_ast.Node:
        return self.node.type.type if self.typedef else self.node.type

    @property
    def category(self) -> str:
        """handle | opaque | struct | union | enum | callback | alias."""
        t = self.target
        if isinstance(t, (c_ast.Struct, c_ast.Union)):
            kind = "struct" if isinstance(t, c_ast.Struct) else "union"
            return kind if t.decls is not None else "opaque"
        if isinstance(t, c_ast.Enum):
            return "enum"
        if isinstance(self.node.type, c_ast.PtrDecl):
            inner = self.node.type.type
            return "callback" if isinstance(inner, c_ast.FuncDecl) else "handle"
        return "alias"


@dataclass
class Api:
    constants: List[Constant] = field(default_factory=list)
    types: List[Tuple[str, c_ast.Node]] = field(default_factory=list)  # (source file, typedef or tagged decl)
    typedefs: List[TypeDef] = field(default_factory=list)
    enums: List[Enum] = field(default_factory=list)
    structs: List[Struct] = field(default_factory=list)
    functions: List[Function] = field(default_factory=list)

    def function(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    def enum(self, name: str) -> Enum:
        for e in self.enums:
            if e.name == name:
                return e
        raise KeyError(name)


def _gen() -> c_generator.CGenerator:
    return c_generator.CGenerator()


def _strip_name(node: c_ast.Node) -> c_ast.Node:
    node = copy.deepcopy(node)
    _set_name(node, None)
    return node


def _set_name(node: c_ast.Node, name: Optional[str]) -> None:
    while not isinstance(node, c_ast.TypeDecl):
        node = node.type
    node.declname = name


def type_name(node: c_ast.Node) -> str:
    """C text of a declarator's type without its name, e.g. ``int64_t (*)[2]``."""
    return _gen().visit(c_ast.Typename(None, [], None, _strip_name(node)))


def _adjust_param(node: c_ast.Node) -> c_ast.Node:
    """A parameter's type as C adjusts it: an array becomes a pointer to its element, a function a pointer."""
    if isinstance(node, c_ast.ArrayDecl):
        return c_ast.PtrDecl(list(node.dim_quals or []), copy.deepcopy(node.type))
    if isinstance(node, c_ast.FuncDecl):
        return c_ast.PtrDecl([], copy.deepcopy(node))
    return node


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _parse_constant(raw: str) -> Union[int, str]:
    m = _INT_RE.match(raw)
    if m:
        return int(m.group(1).replace(" ", ""), 0)
    if raw.startswith('"') and raw.endswith('"'):
        return raw[1:-1]
    raise ValueError("unsupported #define value %r (integers and string literals only)" % raw)


def load_api(files: Tuple[str, ...] = API_FILES, api_dir: Path = API_DIR) -> Api:
    """Parse the declaration files into an :class:`Api`."""
    api = Api()
    c_text_parts = [_BUILTIN_TYPEDEFS]
    origin: List[Tuple[int, str, str]] = []  # (first line in combined text, file, library)
    line_no = _BUILTIN_TYPEDEFS.count("\n") + 2  # the line the first file starts on in the combined text
    for fname in files:
        raw = (api_dir / fname).read_text()
        body = raw.splitlines()
        directives = [(i, m.group(1)) for i, line in enumerate(body) for m in [_LIBRARY_RE.search(line)] if m]
        if not directives:
            raise ValueError("%s: missing 'acllite-library:' directive" % fname)
        for _, group in directives:
            if group not in GROUP_NAMES:
                raise ValueError("%s: unknown library group %r in 'acllite-library:' (known: %s)"
                                 % (fname, group, ", ".join(GROUP_NAMES)))
        # The file's first group also covers anything before its first directive.
        origin.append((line_no, fname, directives[0][1]))
        origin += [(line_no + i, fname, group) for i, group in directives[1:]]
        clean = []
        for line in _strip_comments("\n".join(body)).splitlines():
            stripped = line.strip()
            d = _DEFINE_RE.match(line)
            if d:
                api.constants.append(Constant(d.group(1), _parse_constant(d.group(2)), fname, d.group(2)))
                clean.append("")
            elif stripped.startswith("#"):
                if not (_GUARD_RE.match(line) or re.match(r"#\s*(ifndef|endif|include)\b", stripped)):
                    raise ValueError("%s: unsupported preprocessor line %r" % (fname, stripped))
                clean.append("")
            else:
                clean.append(line)
        c_text_parts.append("\n".join(clean))
        line_no += len(clean)
    text = "\n".join(c_text_parts)
    ast = c_parser.CParser().parse(text, filename="<acllite api>")

    def where(node: c_ast.Node) -> Tuple[str, str]:
        line = node.coord.line if node.coord else 0
        found = origin[0]
        for entry in origin:
            if entry[0] <= line:
                found = entry
        return found[1], found[2]

    for node in ast.ext:
        if isinstance(node, c_ast.Typedef):
            if node.name in _BUILTIN_NAMES:
                continue
            src, _ = where(node)
            api.types.append((src, node))
            api.typedefs.append(TypeDef(node.name, src, node))
            _record_definition(api, node.name, node.type.type, src)
        elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
            src, library = where(node)
            api.functions.append(Function(node.name, library, src, node))
        elif isinstance(node, c_ast.Decl) and node.name is None and isinstance(
                node.type, (c_ast.Struct, c_ast.Union, c_ast.Enum)) and node.type.name:
            src, _ = where(node)
            api.types.append((src, node))
            api.typedefs.append(TypeDef(node.type.name, src, node, typedef=False))
            _record_definition(api, node.type.name, node.type, src)
        else:
            raise ValueError("unsupported top-level declaration at %s" % node.coord)
    for kind, names in (("functions", [f.name for f in api.functions]), ("types", [t.name for t in api.typedefs]),
                        ("constants", [c.name for c in api.constants])):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError("%s declared twice: %s" % (kind, ", ".join(dupes)))
    return api


def _record_definition(api: Api, name: str, inner: c_ast.Node, src: str) -> None:
    if isinstance(inner, c_ast.Enum) and inner.values is not None:
        api.enums.append(Enum(name, _enum_members(inner), src))
    elif isinstance(inner, (c_ast.Struct, c_ast.Union)) and inner.decls is not None:
        kind = "struct" if isinstance(inner, c_ast.Struct) else "union"
        api.structs.append(Struct(name, _member_names(inner), src, kind))


def _member_names(node: Union[c_ast.Struct, c_ast.Union]) -> List[str]:
    names: List[str] = []
    for d in node.decls or []:
        if d.name:
            names.append(d.name)
        elif isinstance(d.type, (c_ast.Struct, c_ast.Union)):  # anonymous member: its fields are ours
            names += _member_names(d.type)
    return names


def _enum_members(node: c_ast.Enum) -> List[Tuple[str, int]]:
    members: List[Tuple[str, int]] = []
    nxt = 0
    for e in node.values.enumerators:
        if e.value is not None:
            nxt = _eval_int(e.value)
        members.append((e.name, nxt))
        nxt += 1
    return members


def _eval_int(node: c_ast.Node) -> int:
    if isinstance(node, c_ast.Constant):
        return int(node.value.rstrip("uUlL"), 0)
    if isinstance(node, c_ast.UnaryOp) and node.op == "-":
        return -_eval_int(node.expr)
    if isinstance(node, c_ast.BinaryOp) and node.op in ("<<", "|", "+"):
        a, b = _eval_int(node.left), _eval_int(node.right)
        return a << b if node.op == "<<" else a | b if node.op == "|" else a + b
    raise ValueError("enum values must be integer literals (at %s)" % node.coord)


def library_group(name: str) -> LibraryGroup:
    for g in LIBRARY_GROUPS:
        if g.name == name:
            return g
    raise KeyError(name)


# ----------------------------------------------------------------------------------------------- cffi


def type_text(api: Api) -> str:
    """Typedefs and tagged definitions (enums, structs, unions, handles, callbacks) as C text, in order."""
    return "\n".join(_gen().visit(node) + ";" for _, node in api.types)


def cdef_text(api: Api) -> str:
    """What the binding gives ``ffi.cdef``: types, integer constants, prototypes, the loader."""
    parts = [type_text(api)]
    parts += ["#define %s %d" % (c.name, c.value) for c in api.constants if isinstance(c.value, int)]
    parts += [f.prototype() + ";" for f in api.functions]
    parts.append(_LOADER_CDEF)
    parts.append((API_DIR / PYTHON_CALLBACKS).read_text())
    return "\n".join(parts) + "\n"


_LOADER_CDEF = """
int acllite_binding_load(const char *const *paths, int path_count, int global_symbols, char *error, size_t error_len);
int acllite_binding_loaded(void);
int acllite_binding_count(void);
const char *acllite_binding_name(int index);
const char *acllite_binding_library(int index);
const char *acllite_binding_prototype(int index);
const char *acllite_binding_signature(int index);
int acllite_binding_present(int index);
int acllite_binding_group_count(void);
const char *acllite_binding_group_name(int index);
const char *acllite_binding_group_soname(int index);
"""


def _absent_return(f: Function) -> str:
    ret = f.return_type
    if ret == "void":
        return ""
    if ret == "aclError":
        return " return ACL_ERROR_API_NOT_SUPPORT;"
    if ret.endswith("*"):
        return " return NULL;"
    return " return (%s)0;" % ret


def _c_string(text: str) -> str:
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def signature(f: Function) -> str:
    """Machine-readable prototype: return type, then (type, name) per parameter, tab-separated; a variadic
    function ends with a ``...`` field. Types are adjusted (arrays and functions to pointers)."""
    fields = [f.return_type] + [x for p in f.param_list for x in (p.ctype, p.name)]
    if f.variadic:
        fields.append("...")
    return "\t".join(fields)


def _trampoline(f: Function) -> str:
    args = ", ".join(p.name for p in f.param_list)
    ret = "" if f.returns_void else "return "
    if not f.variadic:
        return "%s { %sacllite_fn.%s(%s); }" % (f.prototype(), ret, f.name, args)
    # A variadic function cannot pass its arguments on: format them here and hand over "%s" and the text.
    params = f.param_list
    fmt = params[-1].name
    if params[-1].ctype != "const char *":
        raise ValueError("%s: a variadic function must end its named parameters with const char *fmt" % f.name)
    fixed = ", ".join(p.name for p in params[:-1])
    # A NULL format is passed on as it is (formatting it would crash here rather than in the library).
    return ("%s { char text[4096]; va_list ap; if (%s == NULL) { %sacllite_fn.%s(%s%sNULL);%s } "
            "va_start(ap, %s); vsnprintf(text, sizeof text, %s, ap); va_end(ap); "
            "%sacllite_fn.%s(%s%s\"%%s\", text); }" % (f.prototype(), fmt, ret, f.name, fixed, ", " if fixed else "",
                                                       " return;" if f.returns_void else "", fmt, fmt, ret, f.name,
                                                       fixed, ", " if fixed else ""))


def binding_source(api: Api) -> str:
    """The C source of the compiled binding: dispatch table, trampolines, stubs, loader."""
    out = [
        "/* Generated by csrc/apigen.py from the declarations in csrc/api. Do not edit. */",
        "#include <dlfcn.h>",
        "#include <stdarg.h>",
        "#include <stdio.h>",
        "#include <string.h>",
    ]
    out += ['#include "%s"' % f for f in API_FILES]
    n = len(api.functions)
    out.append("\nstruct acllite_dispatch {")
    for f in api.functions:
        out.append("    %s;" % f.prototype(name="(*%s)" % f.name))
    out.append("};")
    for f in api.functions:
        unused = "".join(" (void)%s;" % p.name for p in f.param_list)
        out.append("static %s {%s%s }" % (f.prototype(name="acllite_absent_%s" % f.name), unused, _absent_return(f)))
    # Until a backend is loaded every entry is its stub, so an early call returns an error, never crashes.
    out.append("static struct acllite_dispatch acllite_fn = {%s};" % ", ".join(
        "acllite_absent_%s" % f.name for f in api.functions))
    out.append("static unsigned char acllite_present[%d];" % n)
    out.append("static int acllite_loaded;")
    out.append("static const char *const acllite_names[%d] = {%s};" % (
        n, ", ".join('"%s"' % f.name for f in api.functions)))
    out.append("static const unsigned char acllite_groups[%d] = {%s};" % (
        n, ", ".join(str(GROUP_NAMES.index(f.library)) for f in api.functions)))
    out.append("static const char *const acllite_prototypes[%d] = {%s};" % (
        n, ", ".join(_c_string(f.prototype()) for f in api.functions)))
    out.append("static const char *const acllite_signatures[%d] = {%s};" % (
        n, ", ".join(_c_string(signature(f)) for f in api.functions)))
    out.append("#define ACLLITE_GROUPS %d" % len(LIBRARY_GROUPS))
    out.append("static const char *const acllite_group_names[ACLLITE_GROUPS] = {%s};" % ", ".join(
        '"%s"' % g.name for g in LIBRARY_GROUPS))
    out.append("static const char *const acllite_group_sonames[ACLLITE_GROUPS] = {%s};" % ", ".join(
        '"%s"' % g.soname if g.soname else "NULL" for g in LIBRARY_GROUPS))
    # Per group: the handles searched, in order (its own, then its fallbacks), ending with -1.
    order = []
    for g in LIBRARY_GROUPS:
        idx = [GROUP_NAMES.index(g.name)] + [GROUP_NAMES.index(x) for x in g.fallback]
        order.append("{%s}" % ", ".join(str(i) for i in idx + [-1] * (len(LIBRARY_GROUPS) + 1 - len(idx))))
    out.append("static const signed char acllite_group_search[ACLLITE_GROUPS][%d] = {%s};" % (
        len(LIBRARY_GROUPS) + 1, ", ".join(order)))
    for f in api.functions:
        out.append(_trampoline(f))
    out.append(_loader_source(api))
    return "\n".join(out) + "\n"


def _loader_source(api: Api) -> str:
    lines = [
        "static void *acllite_lookup(void *const handles[ACLLITE_GROUPS], int group, const char *name) {",
        "    for (int k = 0; acllite_group_search[group][k] >= 0; k++) {",
        "        void *h = handles[acllite_group_search[group][k]];",
        "        void *p = h ? dlsym(h, name) : NULL;",
        "        if (p) return p;",
        "    }",
        "    return NULL;",
        "}",
        "static void acllite_bind_all(void *const handles[ACLLITE_GROUPS]) {",
        "    void *p;",
    ]
    for i, f in enumerate(api.functions):
        lines.append(
            "    p = acllite_lookup(handles, acllite_groups[%d], acllite_names[%d]);"
            " if (p) { memcpy(&acllite_fn.%s, &p, sizeof p); acllite_present[%d] = 1; }"
            " else { acllite_fn.%s = acllite_absent_%s; acllite_present[%d] = 0; }"
            % (i, i, f.name, i, f.name, f.name, i)
        )
    lines.append("}")
    lines.append(_LOADER_BODY.replace("@COUNT@", str(len(api.functions))))
    return "\n".join(lines)


_LOADER_BODY = r"""
/* paths[g] is the shared object of library group g (NULL or "" when absent); several groups may name one file. */
int acllite_binding_load(const char *const *paths, int path_count, int global_symbols, char *error, size_t error_len) {
    void *handles[ACLLITE_GROUPS] = {NULL};
    int flags = RTLD_NOW | (global_symbols ? RTLD_GLOBAL : RTLD_LOCAL);
    if (acllite_loaded) {
        snprintf(error, error_len, "a backend is already loaded in this process");
        return -1;
    }
    if (path_count != ACLLITE_GROUPS) {
        snprintf(error, error_len, "%d library paths given, the binding has %d library groups", path_count,
                 ACLLITE_GROUPS);
        return -1;
    }
    for (int i = 0; i < ACLLITE_GROUPS; i++) {
        if (paths[i] == NULL || paths[i][0] == '\0') continue;
        handles[i] = dlopen(paths[i], flags);
        if (handles[i] == NULL) {
            const char *why = dlerror();
            snprintf(error, error_len, "cannot load %s: %s", paths[i], why ? why : "unknown error");
            for (int j = 0; j < i; j++) if (handles[j]) dlclose(handles[j]);
            return -1;
        }
    }
    /* The handles stay open for the life of the process: the functions are called until exit. */
    acllite_bind_all(handles);
    acllite_loaded = 1;
    return 0;
}
int acllite_binding_loaded(void) { return acllite_loaded; }
int acllite_binding_count(void) { return @COUNT@; }
const char *acllite_binding_name(int i) { return (i >= 0 && i < @COUNT@) ? acllite_names[i] : NULL; }
const char *acllite_binding_library(int i) {
    return (i >= 0 && i < @COUNT@) ? acllite_group_names[acllite_groups[i]] : NULL;
}
const char *acllite_binding_prototype(int i) { return (i >= 0 && i < @COUNT@) ? acllite_prototypes[i] : NULL; }
const char *acllite_binding_signature(int i) { return (i >= 0 && i < @COUNT@) ? acllite_signatures[i] : NULL; }
int acllite_binding_present(int i) { return (i >= 0 && i < @COUNT@) ? acllite_present[i] : 0; }
int acllite_binding_group_count(void) { return ACLLITE_GROUPS; }
const char *acllite_binding_group_name(int i) { return (i >= 0 && i < ACLLITE_GROUPS) ? acllite_group_names[i] : NULL; }
const char *acllite_binding_group_soname(int i) {
    return (i >= 0 && i < ACLLITE_GROUPS) ? acllite_group_sonames[i] : NULL;
}
"""


# ------------------------------------------------------------------------------------ emulator stubs


@dataclass(frozen=True)
class NotEmulated:
    name: str
    reason: str
    line: int


def read_not_emulated(path: Path = NOT_EMULATED) -> List[NotEmulated]:
    """The entries of csrc/emu/not_emulated.txt: ``name`` or ``name  # reason``, one per line; ``#`` lines are
    comments."""
    entries = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        text, _, reason = line.partition("#")
        text = text.strip()
        if not text:
            continue
        if not re.fullmatch(r"[A-Za-z_]\w*", text):
            raise ValueError("%s:%d: expected a function name, got %r" % (path, i, text))
        entries.append(NotEmulated(text, reason.strip(), i))
    return entries


def check_not_emulated(api: Api, entries: Sequence[NotEmulated], path: Path = NOT_EMULATED) -> None:
    """Fail on a name that is not a bound AscendCL function, and on a name listed twice."""
    known = {f.name: f for f in api.functions}
    seen: Dict[str, int] = {}
    problems = []
    for e in entries:
        if e.name in seen:
            problems.append("%s:%d: %s is listed twice (first on line %d)" % (path, e.line, e.name, seen[e.name]))
        seen.setdefault(e.name, e.line)
        f = known.get(e.name)
        if f is None:
            problems.append("%s:%d: %s is not a function of the declaration (csrc/api)" % (path, e.line, e.name))
        elif f.library == "emulator":
            problems.append("%s:%d: %s is the emulator's own extension: implement it" % (path, e.line, e.name))
    if problems:
        raise ValueError("\n".join(problems))


def _error_return(api: Api, f: Function) -> str:
    """What a not-emulated function returns: the API's error or "nothing" value for its return type."""
    ret = f.return_type
    if ret == "aclError":
        return "ACL_ERROR_API_NOT_SUPPORT"
    if ret.endswith("*"):
        return "NULL"
    try:
        members = dict(api.enum(ret).members)
    except KeyError:
        return "(%s)0" % ret
    undefined = [m for m, v in members.items() if m.endswith(("_UNDEFINED", "_UNKNOWN"))]
    return undefined[0] if undefined else "(%s)0" % ret


def not_emulated_source(api: Api, entries: Sequence[NotEmulated], path: Path = NOT_EMULATED) -> str:
    """C source of the emulator's stubs for the functions it does not emulate: each sets the recent error
    message to "<function>: not emulated (acllite <version>)" and returns the error value of its type."""
    check_not_emulated(api, entries, path)
    out = ["/* Generated by csrc/apigen.py from %s. Do not edit: edit the list. */" % path.name,
           '#include "emu.h"']
    out += ['#include "%s"' % f for f in API_FILES]
    out.append("#ifndef ACLLITE_EMU_VERSION\n#error ACLLITE_EMU_VERSION must be defined by the build\n#endif")
    out.append("static aclError not_emulated(const char *func) {\n"
               '    return emu_fail(ACL_ERROR_API_NOT_SUPPORT, func, "not emulated (acllite %s)",\n'
               "                    ACLLITE_EMU_VERSION);\n}")
    for e in entries:
        f = api.function(e.name)
        unused = "".join(" (void)%s;" % p.name for p in f.param_list)
        body = "%s (void)not_emulated(\"%s\");" % (unused, f.name)
        if f.return_type == "aclError":
            body = "%s return not_emulated(\"%s\");" % (unused, f.name)
        elif not f.returns_void:
            body += " return %s;" % _error_return(api, f)
        out.append("EMU_EXPORT %s {%s }" % (f.prototype(), body))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------- type stubs

_INT_TYPES = frozenset({
    "char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int", "unsigned", "long",
    "unsigned long", "long long", "unsigned long long", "size_t", "int8_t", "uint8_t", "int16_t", "uint16_t",
    "int32_t", "uint32_t", "int64_t", "uint64_t", "intptr_t", "uintptr_t"})


def _py_type(api: Api, ctype: str, for_param: bool) -> str:
    """The Python type cffi takes (parameter) or gives (result) for a C type."""
    t = ctype.replace("const ", "").replace(" const", "").strip()
    if t == "void":
        return "None"
    if t.endswith("*"):
        if for_param and t.replace(" ", "") in ("char*", "uint8_t*", "unsignedchar*"):
            return "Union[bytes, CData]"
        return "CData"
    if t in ("float", "double"):
        return "float"
    if t in ("bool", "_Bool"):
        return "bool"
    if t in _INT_TYPES:
        return "int"
    enum_names = {e.name for e in api.enums}
    if t in enum_names or t.startswith("enum "):
        return "int"
    aliases = {d.name: d for d in api.typedefs}
    d = aliases.get(t)
    if d is not None and d.category in ("handle", "callback"):
        return "CData"
    if d is not None and d.category == "alias":
        return _py_type(api, type_name(d.node.type), for_param)
    return "CData"  # structs and unions by value


def _stub_function(api: Api, f: Function, method: bool) -> List[str]:
    params = ["self"] if method else []
    params += ["%s: %s" % (p.name, _py_type(api, p.ctype, True)) for p in f.param_list]
    if f.variadic:
        params.append("*args: CData")
    ret = _py_type(api, f.return_type, False)
    indent = "    " if method else ""
    return ["%sdef %s(%s) -> %s:" % (indent, f.name, ", ".join(params), ret),
            '%s    """%s"""' % (indent, (f.prototype() + ";").replace("\\", "\\\\")),
            "%s    ..." % indent]


_STUB_HEADER = '''"""Type stub generated by csrc/apigen.py from csrc/api/*.h at build time. Do not edit."""

from typing import Any, Callable, Dict, List, Tuple, Union

import cffi

#: A cffi C value (pointer, struct, array, function pointer); cffi gives it as a ``_cffi_backend._CDataBase``.
CData = Any
'''


def _extra_lib_functions(api: Api) -> List[Tuple[str, List[Tuple[str, str]], str, str]]:
    """The loader functions and the Python callbacks: (name, [(type, name)], return type, prototype)."""
    out = []
    prefix = _BUILTIN_TYPEDEFS + type_text(api)
    callbacks = re.sub(r'extern\s+"Python"\s+', "", _strip_comments((API_DIR / PYTHON_CALLBACKS).read_text()))
    ast = c_parser.CParser().parse(prefix + _LOADER_CDEF + callbacks)
    for node in ast.ext:
        if isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
            f = Function(node.name, "", "", node)
            out.append((node.name, f.params, f.return_type, f.prototype()))
    return out


def cffi_stub(api: Api) -> str:
    """``acllite/_acl_cffi.pyi``: ``ffi`` and ``lib`` with every function, enum member and integer constant."""
    out = [_STUB_HEADER, "ffi: cffi.FFI", "", "", "class _Lib:",
           '    """The compiled binding: every bound AscendCL function (a trampoline through the dispatch table),',
           '    every enum member and integer constant of the declaration, the loader."""', ""]
    names: Set[str] = set()
    for c in api.constants:
        if isinstance(c.value, int):
            out.append("    %s: int  # %s" % (c.name, c.raw))
            names.add(c.name)
    for e in api.enums:
        for m, v in e.members:
            if m not in names:
                out.append("    %s: int  # %s = %d" % (m, e.name, v))
                names.add(m)
    callbacks = set(re.findall(r'extern\s+"Python"[^;]*?\b(\w+)\s*\(', (API_DIR / PYTHON_CALLBACKS).read_text()))
    for f in api.functions:
        out += _stub_function(api, f, method=True)
    for name, params, ret, proto in _extra_lib_functions(api):
        if name in callbacks:
            out.append("    %s: CData  # extern \"Python\": %s;" % (name, proto))
            continue
        out.append("    def %s(%s) -> %s:" % (name, ", ".join(["self"] + ["%s: %s" % (n, _py_type(api, t, True))
                                                                      for t, n in params]),
                                           _py_type(api, ret, False)))
        out += ['        """%s;"""' % proto, "        ..."]
    out += ["", "", "lib: _Lib", ""]
    return "\n".join(out)


def binding_stub(api: Api) -> str:
    """``acllite/binding.pyi``: the module's own names and every bound function under its C name."""
    out = [_STUB_HEADER, "from ._acl_cffi import _Lib, ffi as ffi", "", "lib: _Lib", "__all__: List[str]", "", "",
           "class Prototype:",
           "    name: str", "    library: str", "    returns: str", "    params: Tuple[Tuple[str, str], ...]",
           "    present: bool", "    variadic: bool",
           "    def __init__(self, name: str, library: str, returns: str, params: Tuple[Tuple[str, str], ...],",
           "                 present: bool, variadic: bool = ...) -> None: ...",
           "    @property", "    def text(self) -> str: ...", "",
           "", "prototypes: Dict[str, Prototype]", "functions: Dict[str, Callable[..., Any]]", "", ""]
    for f in api.functions:
        out += _stub_function(api, f, method=False)
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------ conformance

#: Declaration files checked against the real headers, and the real headers that declare their content.
_ACL = ("acl/acl.h", "acl/error_codes/rt_error_codes.h", "acl/error_codes/ge_error_codes.h")
CONFORMANCE_FILES: Dict[str, Tuple[str, ...]] = {
    "acl_base.h": _ACL,
    "acl_tensor.h": _ACL,
    "acl_runtime_types.h": _ACL,
    "acl_runtime_device.h": _ACL,
    "acl_runtime_stream.h": _ACL,
    "acl_runtime_memory.h": _ACL,
    "acl_runtime_kernel.h": _ACL,
    "acl_runtime_graph.h": _ACL,
    "acl_runtime_allocator.h": _ACL,
    "acl_runtime_mempool.h": _ACL + ("acl/acl_rt_memory_soma.h",),
    "acl_runtime.h": _ACL,
    "acl_model.h": _ACL,
    "acl_model_aipp.h": _ACL,
    "acl_op.h": _ACL,
    "acl_op_compiler.h": _ACL + ("acl/acl_op_compiler.h",),
    "acl_prof.h": _ACL + ("acl/acl_prof.h",),
    "acl_dvpp.h": _ACL + ("acl/ops/acl_dvpp.h",),
    "acl_dvpp_vpc.h": _ACL + ("acl/ops/acl_dvpp.h",),
    "acl_vdec_venc.h": _ACL + ("acl/ops/acl_dvpp.h",),
}

#: The public headers the declaration covers (paths under an include directory), for the scan of
#: :func:`scan_real_header`: every function, enum member, typedef and constant they declare must be declared.
REAL_HEADERS = (
    "acl/acl_base_rt.h", "acl/acl_base_mdl.h", "acl/acl_rt.h", "acl/acl_rt_allocator.h", "acl/acl_rt_memory_soma.h",
    "acl/acl_mdl.h", "acl/acl_op.h", "acl/acl_op_compiler.h", "acl/acl_prof.h",
    "acl/error_codes/rt_error_codes.h", "acl/error_codes/ge_error_codes.h",
)
DVPP_HEADER = "acl/ops/acl_dvpp.h"


def _global_type(api: Api, d: TypeDef) -> Optional[str]:
    """What the real ``::name`` must be the same type as, in global C++ names; None: checked otherwise."""
    t = d.target
    if isinstance(t, (c_ast.Struct, c_ast.Union, c_ast.Enum)):
        if not t.name or not d.typedef:
            return None
        kw = "enum" if isinstance(t, c_ast.Enum) else "struct" if isinstance(t, c_ast.Struct) else "union"
        return "%s ::%s" % (kw, t.name)
    return type_name(d.node.type)


def conformance_source(api: Api, files: Tuple[str, ...]) -> str:
    """C++17 source whose compilation fails on any difference between our declarations and the real headers.

    ``files`` names the declaration files to check; the real headers they need are included. Each check
    is a ``static_assert`` whose message names the item, so compiler output lists every difference.
    """
    headers: List[str] = []
    for decl_file in files:
        for h in CONFORMANCE_FILES[decl_file]:
            if h not in headers:
                headers.append(h)
    out = ["/* Generated by csrc/apigen.py: acllite declarations against the real CANN headers. */",
           "#define ENABLE_DVPP_INTERFACE 1",
           "#include <cstddef>", "#include <cstdint>", "#include <string_view>", "#include <type_traits>"]
    out += ['#include "%s"' % h for h in headers]
    out.append("namespace ours {")
    out += [_gen().visit(node) + ";" for _, node in api.types]
    out.append("}")
    for c in api.constants:
        if c.source not in files:
            continue
        if isinstance(c.value, int):
            value = "%dULL" % c.value if c.value > 2 ** 63 - 1 else "%dLL" % c.value
            cast = "unsigned long long" if c.value > 2 ** 63 - 1 else "long long"
            out.append('static_assert((%s)(%s) == %s, "constant %s == %d");' % (cast, c.name, value, c.name, c.value))
        else:
            out.append('static_assert(std::string_view(%s) == "%s", "constant %s");' % (c.name, c.value, c.name))
    for d in api.typedefs:
        if d.source not in files:
            continue
        same = _global_type(api, d)
        if d.category == "opaque":
            out.append('static_assert(std::is_class<::%s>::value, "typedef %s is an opaque struct");'
                       % (d.name, d.name))
        if d.category == "enum":
            out.append('static_assert(std::is_enum<::%s>::value, "typedef %s is an enum");' % (d.name, d.name))
        if same is not None:
            out.append('static_assert(std::is_same<::%s, %s>::value, "typedef %s is %s");'
                       % (d.name, same, d.name, same))
    for e in api.enums:
        if e.source not in files:
            continue
        out.append('static_assert(sizeof(::%s) == sizeof(ours::%s), "enum %s size");' % (e.name, e.name, e.name))
        for m, v in e.members:
            out.append('static_assert((long long)::%s == %dLL, "enum %s: %s == %d");' % (m, v, e.name, m, v))
            out.append('static_assert(std::is_same<decltype(::%s), ::%s>::value, "enum %s: %s belongs to it");'
                       % (m, e.name, e.name, m))
    for s in api.structs:
        if s.source not in files:
            continue
        out.append('static_assert(sizeof(::%s) == sizeof(ours::%s), "%s %s size");' % (s.name, s.name, s.kind, s.name))
        out.append('static_assert(alignof(::%s) == alignof(ours::%s), "%s %s alignment");'
                   % (s.name, s.name, s.kind, s.name))
        for fld in s.fields:
            out.append('static_assert(offsetof(::%s, %s) == offsetof(ours::%s, %s), "%s %s: offset of %s");'
                       % (s.name, fld, s.name, fld, s.kind, s.name, fld))
            out.append('static_assert(sizeof(::%s::%s) == sizeof(ours::%s::%s), "%s %s: size of %s");'
                       % (s.name, fld, s.name, fld, s.kind, s.name, fld))
    for f in api.functions:
        if f.source not in files:
            continue
        out.append('static_assert(std::is_same<decltype(::%s), %s>::value, "prototype of %s");'
                   % (f.name, f.function_type(), f.name))
    out.append("int main() { return 0; }")
    return "\n".join(out) + "\n"


def checked_items(api: Api, files: Tuple[str, ...]) -> Dict[str, int]:
    """How many items of each kind :func:`conformance_source` checks."""
    return {
        "functions": sum(f.source in files for f in api.functions),
        "constants": sum(c.source in files for c in api.constants),
        "enum members": sum(len(e.members) for e in api.enums if e.source in files),
        "structs": sum(s.source in files for s in api.structs),
        "typedefs": sum(d.source in files for d in api.typedefs),
    }


# ------------------------------------------------------------------------------- the real headers' items

_VISIBILITY = r"(?:ACL_FUNC_VISIBILITY|MSVP_PROF_API|ACL_DUMP_API)"
_ATTRIBUTE_RE = re.compile(r"ACL_DEPRECATED(?:_MESSAGE\s*\((?:[^()]|\([^()]*\))*\))?")


@dataclass
class RealHeader:
    """What one real header declares, as :func:`scan_real_header` reads it."""

    path: str
    functions: List[str] = field(default_factory=list)
    enums: Dict[str, List[str]] = field(default_factory=dict)  #: enum (typedef name, else tag) -> members
    typedefs: List[str] = field(default_factory=list)  #: typedef names and tags of plain struct/enum definitions
    constants: Dict[str, str] = field(default_factory=dict)  #: name -> literal (#define and static const int)


def scan_real_header(text: str, path: str = "") -> RealHeader:
    """Read a CANN header's public items with regular expressions: the functions it exports (declared with a
    visibility macro), its enums and their members, its type names and its literal constants."""
    out = RealHeader(path)
    clean = _ATTRIBUTE_RE.sub("", _strip_comments(text))
    for m in re.finditer(r"^\s*#\s*define\s+([A-Za-z_]\w*)[ \t]+([^\n]+?)\s*$", clean, re.M):
        value = m.group(2).strip()
        if _INT_RE.match(value) or re.fullmatch(r'"[^"]*"', value):
            out.constants[m.group(1)] = value
    for m in re.finditer(r"\bstatic\s+const\s+(?:int|u?int(?:8|16|32|64)_t)\s+([A-Za-z_]\w*)\s*=\s*([^;]+);", clean):
        out.constants[m.group(1)] = m.group(2).strip()
    body = re.sub(r"^\s*#[^\n]*$", "", clean, flags=re.M)  # no preprocessor lines from here on
    for m in re.finditer(_VISIBILITY + r"\s+[^;{]*?\b([A-Za-z_]\w*)\s*\((?:[^;{]*)\)\s*;", body, re.S):
        out.functions.append(m.group(1))
    for m in re.finditer(r"(typedef\s+)?enum\s+(\w+)?\s*\{([^}]*)\}\s*(\w+)?\s*;", body, re.S):
        name = m.group(4) if m.group(1) else m.group(2)
        members = [item.split("=")[0].split()[0] for item in m.group(3).split(",") if item.strip()]
        if name:
            out.enums[name] = members
            out.typedefs.append(name)
    for m in re.finditer(r"typedef\b(?:[^;{}]|\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})*?\b(\w+)\s*(?:\)\s*\([^;]*\))?\s*;",
                         body, re.S):
        if "enum" not in m.group(0).split("{")[0]:
            out.typedefs.append(m.group(1))
    flat = re.sub(r'extern\s+"C"\s*\{', "", body)
    while True:  # collapse braces from the inside out: only top-level definitions are left to match
        collapsed = re.sub(r"\{[^{}]*\}", "()", flat)
        if collapsed == flat:
            break
        flat = collapsed
    for m in re.finditer(r"^\s*(?:struct|union)\s+(\w+)\s*\(\)\s*;", flat, re.M):
        out.typedefs.append(m.group(1))
    out.typedefs = sorted(set(out.typedefs))
    return out


def missing_from_declaration(api: Api, real: RealHeader) -> Dict[str, List[str]]:
    """What ``real`` declares that the declaration lacks: functions, enum members, types, constants."""
    ours_functions = {f.name for f in api.functions}
    ours_types = {d.name for d in api.typedefs}
    ours_enums = {e.name: {m for m, _ in e.members} for e in api.enums}
    ours_constants = {c.name for c in api.constants}
    return {
        "functions": [f for f in real.functions if f not in ours_functions],
        "enum members": ["%s.%s" % (e, m) for e, members in real.enums.items() for m in members
                         if m not in ours_enums.get(e, set())],
        "types": [t for t in real.typedefs if t not in ours_types],
        "constants": [c for c in real.constants if c not in ours_constants],
    }
