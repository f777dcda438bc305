"""Which AscendCL and pyACL functions the inference samples of Ascend/samples call: a scan that writes
``csrc/emu/sample_calls.txt``, the list the emulator's coverage is measured against (docs/API_COVERAGE.md).

Run against a checkout (or a bare clone: the scan reads ``HEAD`` with ``git grep``) of
https://github.com/Ascend/samples::

    python -m acllite.tools.sample_calls --samples /path/to/samples --write csrc/emu/sample_calls.txt

What is scanned: the Python samples (``python/level2_simple_inference``, ``python/common``, the Python files of
``inference``) for pyACL calls (``acl.init(``, ``acl.rt.malloc(``, ...), mapped to the C function each wraps
through the pyACL catalog (``acllite/pyacl/_catalog.txt``); and the C/C++ samples (``cplusplus/
level2_simple_inference``, ``cplusplus/common``, the C/C++ files of ``inference``, which hold the acllite common
libraries) for calls of functions of acllite's declaration. Only names and the path of one sample that needs
each are recorded; nothing of the samples' text. A function is credited to the first file calling it in
(library or not, path) order, so that a sample rather than a shared library is named when one calls it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

__all__ = ["SampleCall", "read", "scan", "main"]

PYTHON_PATHS = ("python/level2_simple_inference/*.py", "python/common/*.py", "inference/*.py")
C_PATHS = tuple("%s/*.%s" % (d, ext) for d in ("cplusplus/level2_simple_inference", "cplusplus/common", "inference")
                for ext in ("c", "cc", "cpp", "h", "hpp"))
#: Paths of shared code (the samples' acllite libraries and common helpers), named only when no sample is.
_LIBRARY = re.compile(r"(^|/)(common|acllite|aclliteCPP|acllitePY)(/|$)")
_PY_CALL = re.compile(r"\bacl\.(?:(rt|mdl|media|op|util|prof)\.)?([a-z_][a-z_0-9]*)\s*\(")
_C_CALL = re.compile(r"\b(acl[A-Za-z0-9_]*)\s*\(")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LIST = ROOT / "csrc" / "emu" / "sample_calls.txt"


@dataclass(frozen=True)
class SampleCall:
    """One function the samples call, and one sample file that calls it."""

    name: str  #: a C name ("aclrtMalloc") or a pyACL name ("acl.rt.malloc")
    sample: str  #: path in Ascend/samples

    @property
    def is_pyacl(self) -> bool:
        return "." in self.name


def read(path: Path = DEFAULT_LIST) -> List[SampleCall]:
    """The rows of sample_calls.txt (``name  path``; ``#`` starts a comment)."""
    rows = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError("%s:%d: expected 'name sample-path', got %r" % (path, lineno, raw))
        rows.append(SampleCall(parts[0], parts[1]))
    return rows


def _git(samples: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(samples)] + list(args), check=True, capture_output=True,
                          text=True, errors="replace").stdout


def _grep(samples: Path, pattern: str, paths: Sequence[str]) -> List[Tuple[str, str]]:
    """(path, line) of every line of HEAD matching the extended regex in the given paths."""
    proc = subprocess.run(["git", "-C", str(samples), "grep", "-I", "-E", "-e", pattern, "HEAD", "--"] + list(paths),
                          capture_output=True, text=True, errors="replace")
    if proc.returncode not in (0, 1) and not proc.stdout:  # 1: no match
        raise RuntimeError("git grep failed: %s" % proc.stderr.strip())
    if proc.stderr.strip():  # e.g. a large blob a partial clone lacks: the rest is still scanned
        sys.stderr.write(proc.stderr)
    out = []
    for line in proc.stdout.splitlines():
        _, path, text = line.split(":", 2)  # HEAD:path:text
        out.append((path, text))
    return out


def _order(path: str) -> Tuple[bool, str]:
    return bool(_LIBRARY.search(path.rsplit("/", 1)[0])), path


def _credit(found: Dict[str, Set[str]]) -> List[SampleCall]:
    return [SampleCall(name, min(paths, key=_order)) for name, paths in sorted(found.items())]


def scan(samples: Path, c_functions: Iterable[str], pyacl_to_c: Dict[str, Optional[str]]) -> Tuple[
        List[SampleCall], List[str]]:
    """(calls, unknown): the bound C functions and catalogued pyACL functions the samples call, each with one
    sample; and the names that look like calls but are neither (other libraries' functions, macros, typos)."""
    bound = set(c_functions)
    found: Dict[str, Set[str]] = {}
    unknown: Set[str] = set()
    for path, text in _grep(samples, r"\bacl[A-Za-z0-9_]*\s*\(", C_PATHS):
        for name in _C_CALL.findall(text):
            if name in bound:
                found.setdefault(name, set()).add(path)
            elif name not in ("acl",):
                unknown.add(name)
    for path, text in _grep(samples, r"\bacl\.[a-z_]", PYTHON_PATHS):
        if text.lstrip().startswith("#"):
            continue
        for module, function in _PY_CALL.findall(text):
            name = "acl.%s%s" % (module + "." if module else "", function)
            if name in pyacl_to_c:
                found.setdefault(name, set()).add(path)
                cfunc = pyacl_to_c[name]
                if cfunc in bound:
                    found.setdefault(cfunc, set()).add(path)
            else:
                unknown.add(name)
    return _credit(found), sorted(unknown)


def _catalog() -> Dict[str, Optional[str]]:
    from ..pyacl import _catalog

    return {e.name: e.cfunc for e in _catalog.ENTRIES if e.kind != "absent"}


def _bound_functions() -> List[str]:
    sys.path.insert(0, str(ROOT / "csrc"))
    try:
        import apigen  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "csrc"))
    return [f.name for f in apigen.load_api().functions]


def render(calls: Sequence[SampleCall], unknown: Sequence[str], commit: str, date: str) -> str:
    lines = [
        "# The AscendCL C functions and pyACL functions that the inference samples of Ascend/samples call, each",
        "# with one sample file that calls it (a sample before a shared library). Names and paths only.",
        "# Generated by `python -m acllite.tools.sample_calls --samples <checkout> --write csrc/emu/sample_calls.txt`",
        "# from https://github.com/Ascend/samples at commit %s (%s); scanned: %s (pyACL calls)" % (commit, date,
                                                                                               ", ".join(PYTHON_PATHS)),
        "# and the C/C++ files of cplusplus/level2_simple_inference, cplusplus/common and inference (which hold the",
        "# acllite common libraries). docs/API_COVERAGE.md reads this list. Columns: function, sample.",
        "# Called in the samples but neither bound nor in the pyACL catalog (not AscendCL, or acllite's own",
        "# classes): %s" % (", ".join(unknown) or "none"),
        "",
    ]
    c_rows = [c for c in calls if not c.is_pyacl]
    py_rows = [c for c in calls if c.is_pyacl]
    width = max((len(c.name) for c in calls), default=0) + 2
    lines.append("# C functions (%d)" % len(c_rows))
    lines += ["%-*s%s" % (width, c.name, c.sample) for c in c_rows]
    lines += ["", "# pyACL functions (%d)" % len(py_rows)]
    lines += ["%-*s%s" % (width, c.name, c.sample) for c in py_rows]
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m acllite.tools.sample_calls", description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", required=True, type=Path, help="a clone of github.com/Ascend/samples")
    p.add_argument("--write", type=Path, help="write the list here (default: print it)")
    args = p.parse_args(argv)
    commit = _git(args.samples, "rev-parse", "HEAD").strip()
    date = _git(args.samples, "log", "-1", "--format=%cs", "HEAD").strip()
    calls, unknown = scan(args.samples, _bound_functions(), _catalog())
    text = render(calls, unknown, commit, date)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        print("%s: %d C functions, %d pyACL functions" % (args.write, sum(not c.is_pyacl for c in calls),
                                                         sum(c.is_pyacl for c in calls)))
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
