"""The package's layers, read from its imports (docs/ARCHITECTURE.md draws the same map).

Every import of every module under acllite/ (module level or inside a function; not those under
``if TYPE_CHECKING:``, which never run) is an edge of a graph. The test fails on an import circle, on a module
importing a layer above its own, and on anything but the binding's loader starting the emulator's subpackage.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "acllite"

#: Layers, lowest first; a module may import its own layer and those below it.
LAYERS: List[Tuple[str, Tuple[str, ...]]] = [
    ("ground", ("acllite._acl_cffi", "acllite._lifecycle", "acllite.errors")),
    ("formats", ("acllite.formats",)),
    ("emulator", ("acllite.emulator",)),
    ("binding", ("acllite._native", "acllite.binding", "acllite.capi", "acllite._build_binding")),
    ("objects", ("acllite.runtime", "acllite.memory", "acllite.image", "acllite.dvpp", "acllite.model",
                 "acllite.video", "acllite")),
    ("compat", ("acllite.pyacl", "acllite.samples")),
    ("tools", ("acllite.tools", "acllite.demo", "acllite.__main__")),
    # Old import paths of moved modules, kept for users: each re-exports one module of the layer it names.
    ("aliases", ("acllite.om", "acllite.aipp", "acllite.classify")),
]
#: The only module allowed to import the emulator's subpackage (besides the subpackage itself).
EMULATOR_STARTER = "acllite._native"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> Dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Import statements that can run (skips the bodies of ``if TYPE_CHECKING:``)."""
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(name: str, path: Path, node: ast.AST, known: Set[str]) -> Set[str]:
    """The acllite modules an import statement loads."""
    is_package = path.name == "__init__.py"
    found: Set[str] = set()
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
    else:
        assert isinstance(node, ast.ImportFrom)
        if node.level:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        candidates = [module] + ["%s.%s" % (module, alias.name) for alias in node.names]
    for c in candidates:
        if c in known:
            found.add(c)
    return found


def _graph() -> Dict[str, Set[str]]:
    modules = _modules()
    known = set(modules) | {"acllite._acl_cffi"}
    graph: Dict[str, Set[str]] = {m: set() for m in known}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        for node in _import_nodes(tree):
            for target in _targets(name, path, node, known):
                # Importing a.b.c also runs the packages a.b above it (but acllite itself, which every import
                # runs first, and the importer's own packages, which are running already).
                parts = target.split(".")
                for k in range(2, len(parts) + 1):
                    dep = ".".join(parts[:k])
                    if dep in known and dep != name and not name.startswith(dep + "."):
                        graph[name].add(dep)
    return graph


def _layer(module: str) -> int:
    best, rank = -1, -1
    for i, (_label, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    assert rank >= 0, "%s belongs to no layer: add it to LAYERS (and to docs/ARCHITECTURE.md)" % module
    return rank


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    on: Set[str] = set()
    stack: List[str] = []
    out: List[List[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


GRAPH = _graph()


def test_the_walker_sees_the_imports() -> None:
    # The walker itself must see what it is asked about: function-level imports count, TYPE_CHECKING ones not.
    assert "acllite.emulator" in GRAPH["acllite._native"]
    assert "acllite.memory" in GRAPH["acllite.runtime"]  # Device.alloc imports it inside the function
    assert "acllite.runtime" not in GRAPH["acllite.memory"]  # only under TYPE_CHECKING there
    assert "acllite.formats.onnx" in GRAPH["acllite.emulator.engine"]


def test_no_import_circles() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_every_module_belongs_to_a_layer() -> None:
    for module in GRAPH:
        _layer(module)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_down_the_layers(module: str) -> None:
    mine = _layer(module)
    upward = sorted(t for t in GRAPH[module] if _layer(t) > mine)
    assert upward == [], "%s (%s) imports a higher layer: %s" % (module, LAYERS[mine][0], upward)


def test_only_the_loader_starts_the_emulator() -> None:
    users = sorted(m for m, targets in GRAPH.items()
                   if not m.startswith("acllite.emulator") and any(t.startswith("acllite.emulator") for t in targets))
    assert users == [EMULATOR_STARTER]


def test_formats_need_no_binding() -> None:
    # The format readers run where nothing is built (acllite inspect without a device, setup-time tools).
    for module, targets in GRAPH.items():
        if module.startswith("acllite.formats"):
            assert all(t.startswith("acllite.formats") for t in targets), (module, targets)
