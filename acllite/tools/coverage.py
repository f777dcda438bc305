"""What of the AscendCL API acllite binds, emulates and tests: ``docs/API_COVERAGE.md`` and the table
``acllite info --api`` reads, both generated here (never edited by hand; a test fails when they differ from what
this module generates)::

    python -m acllite.tools.coverage --write      # from a checkout: rewrites both files
    python -m acllite.tools.coverage --check      # exit status 1 when either is stale

One row per bound AscendCL function (the emulator's own extensions, ``acllite_emu.h``, are not AscendCL and are left
out), from:

* the declaration (``csrc/api/*.h`` through ``csrc/apigen.py``): the function, its library group, and the real
  header its declaration file stands for;
* ``csrc/emu/not_emulated.txt``: emulated means implemented in ``csrc/emu`` (every bound function is one or the
  other: ``tests/test_backend.py``);
* the pyACL catalog (``acllite/pyacl/_catalog.txt``): the pyACL functions that wrap it (when the catalog is absent,
  the column says so);
* ``csrc/emu/sample_calls.txt``: one sample of Ascend/samples that calls it (``acllite.tools.sample_calls``);
* the tests: "C" when a file under ``tests/`` calls it directly (``lib.NAME(``, ``binding.NAME(``), "pyACL" when one
  calls its pyACL function by its dotted name (``acl.rt.malloc(``, or ``rt.malloc(`` after ``from acl import
  rt``-style imports). A plain grep, so a mention in a comment does not count but a call in an unused helper does;
  generic loops over every function (the stub and surface tests) do not count for any one function.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

__all__ = ["Row", "TABLE", "DOC", "generate", "render_markdown", "render_table", "read_table", "summary_counts",
           "outputs", "main"]

ROOT = Path(__file__).resolve().parents[2]
DOC = Path("docs") / "API_COVERAGE.md"
TABLE = Path("acllite") / "tools" / "api_coverage.tsv"

#: The real header each declaration file stands for (docs/DEVELOPING.md, "The API declaration").
HEADERS: Dict[str, str] = {
    "acl_base.h": "acl/acl_base_rt.h",
    "acl_tensor.h": "acl/acl_base_mdl.h",
    "acl_runtime_device.h": "acl/acl_rt.h",
    "acl_runtime_stream.h": "acl/acl_rt.h",
    "acl_runtime_memory.h": "acl/acl_rt.h",
    "acl_runtime_kernel.h": "acl/acl_rt.h",
    "acl_runtime_graph.h": "acl/acl_rt.h",
    "acl_runtime.h": "acl/acl_rt.h",
    "acl_runtime_allocator.h": "acl/acl_rt_allocator.h",
    "acl_runtime_mempool.h": "acl/acl_rt_memory_soma.h",
    "acl_model.h": "acl/acl_mdl.h",
    "acl_model_aipp.h": "acl/acl_mdl.h",
    "acl_op.h": "acl/acl_op.h",
    "acl_op_compiler.h": "acl/acl_op_compiler.h",
    "acl_prof.h": "acl/acl_prof.h",
    "acl_dvpp.h": "acl/ops/acl_dvpp.h",
    "acl_dvpp_vpc.h": "acl/ops/acl_dvpp.h",
    "acl_vdec_venc.h": "acl/ops/acl_dvpp.h",
}
HEADER_ORDER = ("acl/acl_base_rt.h", "acl/acl_base_mdl.h", "acl/acl_rt.h", "acl/acl_rt_allocator.h",
                "acl/acl_rt_memory_soma.h", "acl/acl_mdl.h", "acl/acl_op.h", "acl/acl_op_compiler.h", "acl/acl_prof.h",
                "acl/ops/acl_dvpp.h")
NO_CATALOG = "(no pyACL catalog)"


@dataclass(frozen=True)
class Row:
    """One bound AscendCL function."""

    name: str
    header: str      #: the real header, e.g. "acl/acl_rt.h"
    library: str     #: the library group: ascendcl, acl_dvpp, acl_op_compiler, msprofiler
    pyacl: str       #: the pyACL functions wrapping it, comma-separated; "" for none
    emulated: bool
    tested: str      #: "C", "pyACL", "C, pyACL" or ""
    sample: str      #: a sample of Ascend/samples calling it, or ""
    reason: str = "" #: why it is not emulated (not_emulated.txt's comment)


def _apigen(root: Path) -> object:
    sys.path.insert(0, str(root / "csrc"))
    try:
        import apigen  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(root / "csrc"))
    return apigen


def _catalog(root: Path) -> Optional[Dict[str, List[str]]]:
    """C function -> the pyACL functions wrapping it, or None when the catalog cannot be read."""
    path = root / "acllite" / "pyacl" / "_catalog.txt"
    try:
        from ..pyacl import _catalog

        entries = _catalog.load(path)
    except (ImportError, OSError, ValueError):
        return None
    out: Dict[str, List[str]] = {}
    for e in entries:
        if e.cfunc and e.kind != "absent":
            out.setdefault(e.cfunc, []).append(e.name)
    return out


def _test_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted((root / "tests").rglob("*.py")))


def _called(text: str, names: Iterable[str], pattern: str) -> Set[str]:
    wanted = set(names)
    return {m.group(1) for m in re.finditer(pattern, text) if m.group(1) in wanted}


def generate(root: Path = ROOT) -> Tuple[List[Row], Dict[str, str]]:
    """(rows in declaration order, facts about the sources: sample commit, catalog state...)."""
    apigen = _apigen(root)
    api = apigen.load_api(api_dir=root / "csrc" / "api")  # type: ignore[attr-defined]
    not_emulated = {e.name: e.reason for e in apigen.read_not_emulated(root / "csrc" / "emu" / "not_emulated.txt")}  # type: ignore[attr-defined]
    functions = [f for f in api.functions if f.library != "emulator"]
    catalog = _catalog(root)
    from .sample_calls import read as read_samples

    sample_path = root / "csrc" / "emu" / "sample_calls.txt"
    samples = {c.name: c.sample for c in read_samples(sample_path) if not c.is_pyacl}
    text = _test_text(root)
    c_called = _called(text, (f.name for f in functions), r"\b(?:lib|binding)\.(acl\w+)\s*\(")
    py_names = {n for names in (catalog or {}).values() for n in names}
    py_called = {"acl.%s.%s" % m.groups() for m in re.finditer(
        r"(?<![\w.])(?:acl\.)?(rt|mdl|media|op|util|prof)\.(\w+)\s*\(", text)}
    py_called |= {"acl." + m.group(1) for m in re.finditer(r"(?<![\w.])acl\.(\w+)\s*\(", text)}
    py_called &= py_names
    rows = []
    for f in functions:
        header = HEADERS[f.source]
        wrappers = (catalog or {}).get(f.name, [])
        tested = ", ".join(t for t, hit in (("C", f.name in c_called),
                                            ("pyACL", any(w in py_called for w in wrappers))) if hit)
        rows.append(Row(f.name, header, f.library, ", ".join(wrappers) if catalog is not None else NO_CATALOG,
                        f.name not in not_emulated, tested, samples.get(f.name, ""), not_emulated.get(f.name, "")))
    header_lines = [line for line in sample_path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    commit = next((m.group(1) for line in header_lines for m in [re.search(r"at commit (\w+) \(([\d-]+)\)", line)]
                   if m), "?")
    facts = {
        "samples_commit": commit,
        "catalog": "acllite/pyacl/_catalog.txt" if catalog is not None else "absent",
        "sample_pyacl": str(sum(1 for c in read_samples(sample_path) if c.is_pyacl)),
        "extensions": str(sum(1 for f in api.functions if f.library == "emulator")),
    }
    return rows, facts


# ------------------------------------------------------------------------------------------ rendering


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "-"


def render_markdown(rows: Sequence[Row], facts: Dict[str, str]) -> str:
    out = [
        "# AscendCL API coverage",
        "",
        "<!-- Generated by `python -m acllite.tools.coverage --write`: do not edit (tests/test_api_coverage.py fails "
        "when this file differs from what the command writes). -->",
        "",
        "Every public AscendCL function acllite binds (the headers of CANN 8 as the torch-npu 2.14.0 wheel ships "
        "them, and graphengine's `acl/ops/acl_dvpp.h`), whether the emulator emulates it, which pyACL functions wrap "
        "it, whether a test calls it, and one inference sample of "
        "[Ascend/samples](https://github.com/Ascend/samples) (commit %s) that calls it. acllite's own emulator "
        "extensions (%s functions of `csrc/api/acllite_emu.h`) are not listed." % (facts["samples_commit"][:8],
                                                                                    facts["extensions"]),
        "",
        "* **emulated**: implemented by the emulator (`csrc/emu`); otherwise it fails with ACL_ERROR_API_NOT_SUPPORT "
        "(or NULL / 0) and the recent error message \"<function>: not emulated (acllite <version>)\"; on CANN every "
        "bound function calls CANN's.",
        "* **tested**: `C` when a test calls the C function directly, `pyACL` when a test calls a pyACL function "
        "wrapping it by name (a grep of `tests/`; the tests that loop over every function generically are not "
        "counted).",
        "* **sample**: the functions the samples' inference programs call (`csrc/emu/sample_calls.txt`, written by "
        "`python -m acllite.tools.sample_calls`; %s pyACL functions are called there too)." % facts["sample_pyacl"],
        "* **pyACL**: from the pyACL catalog (%s)." % facts["catalog"],
        "",
        "## Summary",
        "",
        "| header | bound | emulated | tested | called by the samples | of those, emulated |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for h in summary_counts(_as_table(rows)):
        out.append("| %s | %d | %d | %d | %d | %d |" % ("**all**" if h["header"] == "all" else "`%s`" % h["header"],
                                                     h["bound"], h["emulated"], h["tested"], h["samples"],
                                                     h["samples_emulated"]))
    missing = [r for r in rows if r.sample and not r.emulated]
    out += ["", "## Called by the samples but not emulated", ""]
    if missing:
        out.append("| function | sample | why |")
        out.append("|---|---|---|")
        out += ["| `%s` | `%s` | %s |" % (r.name, r.sample, _cell(r.reason)) for r in missing]
    else:
        out.append("None.")
    out += ["", "## Every function", ""]
    for header in HEADER_ORDER:
        rs = [r for r in rows if r.header == header]
        out += ["### `%s` (%d)" % (header, len(rs)), "", "| function | library | pyACL | emulated | tested | sample |",
                "|---|---|---|---|---|---|"]
        for r in rs:
            out.append("| `%s` | %s | %s | %s | %s | %s |" % (
                r.name, r.library, _cell(r.pyacl), "yes" if r.emulated else "no", _cell(r.tested),
                "`%s`" % r.sample if r.sample else "-"))
        out.append("")
    return "\n".join(out)


#: emulated and sample (called by the samples) are 1 or 0; tested is "C", "pyACL", "C, pyACL" or "-".
TABLE_COLUMNS = ("function", "header", "library", "emulated", "tested", "sample")


def _as_table(rows: Sequence[Row]) -> List[Dict[str, str]]:
    return [dict(zip(TABLE_COLUMNS, (r.name, r.header, r.library, "1" if r.emulated else "0", r.tested or "-",
                                     "1" if r.sample else "0"))) for r in rows]


def render_table(rows: Sequence[Row]) -> str:
    """The tab-separated table ``acllite info --api`` reads (shipped with the package)."""
    lines = ["# Generated by `python -m acllite.tools.coverage --write` (docs/API_COVERAGE.md has the details).",
             "\t".join(TABLE_COLUMNS)]
    lines += ["\t".join(r[c] for c in TABLE_COLUMNS) for r in _as_table(rows)]
    return "\n".join(lines) + "\n"


def read_table(path: Optional[Path] = None) -> List[Dict[str, str]]:
    """The shipped table as dicts (keys: TABLE_COLUMNS)."""
    path = path or Path(__file__).with_name("api_coverage.tsv")
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if fields == list(TABLE_COLUMNS):
            continue
        rows.append(dict(zip(TABLE_COLUMNS, fields)))
    return rows


def summary_counts(table: Sequence[Dict[str, str]]) -> List[Dict[str, Any]]:
    """Counts per real header (and "all") of table rows (as read_table gives them): header, bound, emulated,
    tested, samples (called by the samples), samples_emulated."""
    out: List[Dict[str, Any]] = []
    for header in HEADER_ORDER + ("all",):
        rs = [r for r in table if header == "all" or r["header"] == header]
        out.append({"header": header, "bound": len(rs), "emulated": sum(r["emulated"] == "1" for r in rs),
                    "tested": sum(r["tested"] != "-" for r in rs), "samples": sum(r["sample"] == "1" for r in rs),
                    "samples_emulated": sum(r["sample"] == "1" and r["emulated"] == "1" for r in rs)})
    return out


def outputs(root: Path = ROOT) -> "OrderedDict[Path, str]":
    """What the two generated files must hold (paths relative to root)."""
    rows, facts = generate(root)
    return OrderedDict([(DOC, render_markdown(rows, facts) + "\n"), (TABLE, render_table(rows))])


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m acllite.tools.coverage", description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, default=ROOT, help="the acllite checkout (default: this one)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true", help="rewrite docs/API_COVERAGE.md and the shipped table")
    g.add_argument("--check", action="store_true", help="exit 1 when either file is not what would be written")
    args = p.parse_args(argv)
    if not (args.root / "csrc" / "apigen.py").is_file():
        p.error("%s is not an acllite checkout (no csrc/apigen.py): the coverage is generated from the sources"
                % args.root)
    stale = []
    for rel, text in outputs(args.root).items():
        path = args.root / rel
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(str(rel))
        if args.write:
            path.write_text(text, encoding="utf-8")
    if args.check:
        if stale:
            print("stale: %s (run python -m acllite.tools.coverage --write)" % ", ".join(stale))
            return 1
        return 0
    if args.write:
        print("written: %s" % (", ".join(stale) or "nothing (up to date)"))
        return 0
    rows, _ = generate(args.root)
    for h in summary_counts(_as_table(rows)):
        print("%-28s bound %4d  emulated %4d  tested %4d  samples %3d (%d emulated)" % (
            h["header"], h["bound"], h["emulated"], h["tested"], h["samples"], h["samples_emulated"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
