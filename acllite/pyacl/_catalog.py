"""The pyACL surface as data: ``_catalog.txt`` read into :class:`Entry` rows (one per pyACL function).

The catalog is the list of what real pyACL offers (its sources and documentation are named in the file's header);
:mod:`acllite.pyacl._generate` builds the ``gen`` rows from it and the bound prototypes, the modules write the
``custom`` and ``python`` rows by hand, and the tests check every row against the module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

PATH = Path(__file__).with_name("_catalog.txt")
KINDS = ("gen", "custom", "python", "absent")
#: The pyACL modules, in the order of the catalog ("acl" is the top level).
MODULES = ("acl", "rt", "mdl", "media", "op", "prof", "util")


@dataclass(frozen=True)
class Entry:
    """One pyACL function."""

    name: str  #: "acl.rt.malloc"
    cfunc: Optional[str]  #: "aclrtMalloc"; None for pure Python functions
    kind: str  #: gen | custom | python | absent
    returns: str  #: "ret", "value", "str", "none", "callable" or "(a,b,ret)"
    source: str  #: the pyACL wrapper source the facts come from

    @property
    def module(self) -> str:
        """"acl" for a top-level function, else the submodule ("rt", "mdl"...)."""
        parts = self.name.split(".")
        return "acl" if len(parts) == 2 else parts[1]

    @property
    def function(self) -> str:
        return self.name.rsplit(".", 1)[1]

    @property
    def tuple_items(self) -> Tuple[str, ...]:
        """The elements of a tuple result ("ret" last), or () for a bare result."""
        if not self.returns.startswith("("):
            return ()
        return tuple(x.strip() for x in self.returns.strip("()").split(","))

    @property
    def outputs(self) -> Tuple[str, ...]:
        """The C out parameters a ``gen`` row returns (its tuple without the final ``ret``)."""
        items = self.tuple_items
        return items[:-1] if items and items[-1] == "ret" else items


_ROW = re.compile(r"^(acl(?:\.\w+)+)\s+(\S+)\s+(\w+)\s+(\S+)\s*$")


def load(path: Path = PATH) -> List[Entry]:
    """Every row, in file order; raises ValueError naming the line of a malformed row."""
    entries: List[Entry] = []
    seen: Dict[str, int] = {}
    source = ""
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"#\s+(\S+\.cpp|util/)\s*$", line)
            if m:
                source = m.group(1)
            continue
        m = _ROW.match(line)
        if not m:
            raise ValueError("%s:%d: not a catalog row: %r" % (path, lineno, raw))
        name, cfunc, kind, returns = m.groups()
        if kind not in KINDS:
            raise ValueError("%s:%d: unknown kind %r" % (path, lineno, kind))
        if name in seen:
            raise ValueError("%s:%d: %s is listed twice (first on line %d)" % (path, lineno, name, seen[name]))
        seen[name] = lineno
        entries.append(Entry(name, None if cfunc == "-" else cfunc, kind, returns, source))
    return entries


ENTRIES: List[Entry] = load()
BY_NAME: Dict[str, Entry] = {e.name: e for e in ENTRIES}


def of_module(module: str, kinds: Tuple[str, ...] = ("gen", "custom", "python")) -> List[Entry]:
    return [e for e in ENTRIES if e.module == module and e.kind in kinds]
