"""Read acllite's C API declaration (csrc/api/*.h) and derive everything that depends on it.

The declaration files are the single source of truth. From them this module produces:

* the ``ffi.cdef`` text of the compiled binding,
* the binding's C source: the run-time dispatch table, one trampoline per function (exported under the
  real AscendCL name inside the extension only) and a stub per function for backends that lack it,
* the C++ source of the conformance check against the real CANN headers.

Only the standard library and pycparser (a dependency of cffi) are used, so ``setup.py`` and the tests can
import this module before anything is built.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from pycparser import c_ast, c_generator, c_parser

API_DIR = Path(__file__).resolve().parent / "api"

#: Declaration files in dependency order. A file's first ``acllite-library`` directive names the library
#: group its functions are looked up in at run time.
API_FILES = ("acl_base.h", "acl_runtime.h", "acl_model.h", "acl_dvpp.h", "acllite_emu.h")

#: cffi-only declarations of the functions implemented in Python (``extern "Python"``), appended to the cdef.
PYTHON_CALLBACKS = "python_callbacks.cdef"

#: Library groups: which loaded object provides the functions of a group.
LIBRARY_GROUPS = ("ascendcl", "acl_dvpp", "emulator")

# Types the declarations may use without declaring them (they come from <stddef.h>/<stdint.h>).
_BUILTIN_TYPEDEFS = """
typedef unsigned long size_t;
typedef signed char int8_t; typedef unsigned char uint8_t;
typedef short int16_t; typedef unsigned short uint16_t;
typedef int int32_t; typedef unsigned int uint32_t;
typedef long int64_t; typedef unsigned long uint64_t;
typedef long intptr_t; typedef unsigned long uintptr_t;
"""
_BUILTIN_NAMES = frozenset(re.findall(r"\b(\w+_t)\s*;", _BUILTIN_TYPEDEFS))

_DEFINE_RE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)\s+(.+?)\s*$")
_GUARD_RE = re.compile(r"^\s*#\s*define\s+[A-Za-z_]\w*\s*$")
_LIBRARY_RE = re.compile(r"acllite-library:\s*(\w+)")
_INT_RE = re.compile(r"^\(?\s*(-?\s*(?:0[xX][0-9a-fA-F]+|\d+))[uUlL]*\s*\)?$")


@dataclass
class Constant:
    name: str
    value: Union[int, str]
    source: str


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
    def params(self) -> List[Tuple[str, str]]:
        """(type text, parameter name) pairs; empty for ``(void)``."""
        out = []
        for p in self.decl.type.args.params if self.decl.type.args else []:
            if isinstance(p, c_ast.Typename) and _gen().visit(p) == "void":
                continue
            out.append((_gen().visit(_strip_name(p.type)), p.name))
        return out

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
    name: str
    fields: List[str]
    source: str


@dataclass
class Enum:
    name: str
    members: List[Tuple[str, int]]
    source: str


@dataclass
class Api:
    constants: List[Constant] = field(default_factory=list)
    types: List[Tuple[str, c_ast.Node]] = field(default_factory=list)  # (source file, typedef node)
    enums: List[Enum] = field(default_factory=list)
    structs: List[Struct] = field(default_factory=list)
    functions: List[Function] = field(default_factory=list)

    def function(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
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
    line_no = _BUILTIN_TYPEDEFS.count("\n") + 1
    for fname in files:
        raw = (api_dir / fname).read_text()
        m = _LIBRARY_RE.search(raw)
        if not m or m.group(1) not in LIBRARY_GROUPS:
            raise ValueError("%s: missing or unknown 'acllite-library:' directive" % fname)
        library = m.group(1)
        body = []
        for line in _strip_comments(raw).splitlines():
            stripped = line.strip()
            d = _DEFINE_RE.match(line)
            if d:
                api.constants.append(Constant(d.group(1), _parse_constant(d.group(2)), fname))
                body.append("")
            elif stripped.startswith("#"):
                if not (_GUARD_RE.match(line) or re.match(r"#\s*(ifndef|endif|include)\b", stripped)):
                    raise ValueError("%s: unsupported preprocessor line %r" % (fname, stripped))
                body.append("")
            else:
                body.append(line)
        origin.append((line_no, fname, library))
        c_text_parts.append("\n".join(body))
        line_no += len(body) + 1
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
            inner = node.type.type
            if isinstance(inner, c_ast.Enum) and inner.values is not None:
                api.enums.append(Enum(node.name, _enum_members(inner), src))
            elif isinstance(inner, c_ast.Struct) and inner.decls is not None:
                api.structs.append(Struct(node.name, [d.name for d in inner.decls], src))
        elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
            src, library = where(node)
            api.functions.append(Function(node.name, library, src, node))
        else:
            raise ValueError("unsupported top-level declaration at %s" % node.coord)
    names = [f.name for f in api.functions]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError("functions declared twice: %s" % ", ".join(sorted(dupes)))
    return api


def _enum_members(node: c_ast.Enum) -> List[Tuple[str, int]]:
    members, nxt = [], 0
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
    raise ValueError("enum values must be integer literals (at %s)" % node.coord)


# ----------------------------------------------------------------------------------------------- cffi


def type_text(api: Api) -> str:
    """Typedefs (enums, structs, handles, callbacks) as C text, in declaration order."""
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
int acllite_binding_load(const char *ascendcl_path, const char *dvpp_path, const char *emulator_path,
                         int global_symbols, char *error, size_t error_len);
int acllite_binding_loaded(void);
int acllite_binding_count(void);
const char *acllite_binding_name(int index);
const char *acllite_binding_library(int index);
const char *acllite_binding_prototype(int index);
int acllite_binding_present(int index);
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


def binding_source(api: Api) -> str:
    """The C source of the compiled binding: dispatch table, trampolines, stubs, loader."""
    out = [
        "/* Generated by csrc/apigen.py from the declarations in csrc/api. Do not edit. */",
        "#include <dlfcn.h>",
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
        unused = "".join(" (void)%s;" % name for _, name in f.params)
        out.append("static %s {%s%s }" % (f.prototype(name="acllite_absent_%s" % f.name), unused, _absent_return(f)))
    # Until a backend is loaded every entry is its stub, so an early call returns an error, never crashes.
    out.append("static struct acllite_dispatch acllite_fn = {%s};" % ", ".join(
        "acllite_absent_%s" % f.name for f in api.functions))
    out.append("static unsigned char acllite_present[%d];" % n)
    out.append("static int acllite_loaded;")
    out.append("static const char *const acllite_names[%d] = {%s};" % (n, ", ".join('"%s"' % f.name for f in api.functions)))
    out.append("static const char *const acllite_libraries[%d] = {%s};" % (
        n, ", ".join('"%s"' % f.library for f in api.functions)))
    out.append("static const char *const acllite_prototypes[%d] = {%s};" % (
        n, ", ".join('"%s"' % f.prototype() for f in api.functions)))
    for f in api.functions:
        args = ", ".join(name for _, name in f.params)
        ret = "" if f.returns_void else "return "
        out.append("%s { %sacllite_fn.%s(%s); }" % (f.prototype(), ret, f.name, args))
    out.append(_loader_source(api))
    return "\n".join(out) + "\n"


def _loader_source(api: Api) -> str:
    lines = [
        "static void acllite_bind_all(void *const handles[3]) {",
        "    void *p;",
    ]
    for i, f in enumerate(api.functions):
        g = LIBRARY_GROUPS.index(f.library)
        lines.append(
            '    p = handles[%d] ? dlsym(handles[%d], "%s") : NULL;'
            " if (p) { memcpy(&acllite_fn.%s, &p, sizeof p); acllite_present[%d] = 1; }"
            " else { acllite_fn.%s = acllite_absent_%s; acllite_present[%d] = 0; }"
            % (g, g, f.name, f.name, i, f.name, f.name, i)
        )
    lines.append("}")
    lines.append(_LOADER_BODY.replace("@COUNT@", str(len(api.functions))))
    return "\n".join(lines)


_LOADER_BODY = r"""
int acllite_binding_load(const char *ascendcl_path, const char *dvpp_path, const char *emulator_path,
                         int global_symbols, char *error, size_t error_len) {
    const char *paths[3] = {ascendcl_path, dvpp_path, emulator_path};
    void *handles[3] = {NULL, NULL, NULL};
    int flags = RTLD_NOW | (global_symbols ? RTLD_GLOBAL : RTLD_LOCAL);
    if (acllite_loaded) {
        snprintf(error, error_len, "a backend is already loaded in this process");
        return -1;
    }
    for (int i = 0; i < 3; i++) {
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
const char *acllite_binding_library(int i) { return (i >= 0 && i < @COUNT@) ? acllite_libraries[i] : NULL; }
const char *acllite_binding_prototype(int i) { return (i >= 0 && i < @COUNT@) ? acllite_prototypes[i] : NULL; }
int acllite_binding_present(int i) { return (i >= 0 && i < @COUNT@) ? acllite_present[i] : 0; }
"""


# ------------------------------------------------------------------------------------------ conformance

#: Declaration files checked against the real headers, and the real headers that declare their content.
CONFORMANCE_FILES = {
    "acl_base.h": ("acl/acl.h", "acl/error_codes/rt_error_codes.h", "acl/error_codes/ge_error_codes.h"),
    "acl_runtime.h": ("acl/acl.h",),
    "acl_model.h": ("acl/acl.h",),
    "acl_dvpp.h": ("acl/acl.h", "acl/ops/acl_dvpp.h"),
}


def conformance_source(api: Api, files: Tuple[str, ...]) -> str:
    """C++17 source whose compilation fails on any difference between our declarations and the real headers.

    ``files`` names the declaration files to check; the real headers they need are included. Each check
    is a ``static_assert`` whose message names the item, so compiler output lists every difference.
    """
    headers: List[str] = []
    for f in files:
        for h in CONFORMANCE_FILES[f]:
            if h not in headers:
                headers.append(h)
    out = ["/* Generated by csrc/apigen.py: acllite declarations against the real CANN headers. */",
           "#define ENABLE_DVPP_INTERFACE 1",
           "#include <cstddef>", "#include <cstdint>", "#include <string_view>", "#include <type_traits>"]
    out += ['#include "%s"' % h for h in headers]
    out.append("namespace ours {")
    out += [_gen().visit(node) + ";" for src, node in api.types if src in files or src == "acl_base.h"]
    out.append("}")
    for c in api.constants:
        if c.source not in files:
            continue
        if isinstance(c.value, int):
            out.append('static_assert((long long)(%s) == %dLL, "constant %s == %d");' % (c.name, c.value, c.name, c.value))
        else:
            out.append('static_assert(std::string_view(%s) == "%s", "constant %s");' % (c.name, c.value, c.name))
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
        out.append('static_assert(sizeof(::%s) == sizeof(ours::%s), "struct %s size");' % (s.name, s.name, s.name))
        out.append('static_assert(alignof(::%s) == alignof(ours::%s), "struct %s alignment");' % (s.name, s.name, s.name))
        for fld in s.fields:
            out.append('static_assert(offsetof(::%s, %s) == offsetof(ours::%s, %s), "struct %s: offset of %s");'
                       % (s.name, fld, s.name, fld, s.name, fld))
            out.append('static_assert(sizeof(::%s::%s) == sizeof(ours::%s::%s), "struct %s: size of %s");'
                       % (s.name, fld, s.name, fld, s.name, fld))
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
    }
