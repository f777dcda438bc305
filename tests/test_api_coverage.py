"""docs/API_COVERAGE.md and the table `acllite info --api` reads are what `python -m acllite.tools.coverage` generates
(never edited by hand); the inputs they are made of are consistent (the sample list, the header map, the pyACL
catalog, which may be absent); `acllite info --api` prints the table's counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from conftest import IS_EMULATOR, ROOT

from acllite.tools import coverage, sample_calls


def _apigen():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "csrc"))
    try:
        import apigen
    finally:
        sys.path.remove(str(ROOT / "csrc"))
    return apigen


def test_the_generated_files_are_up_to_date() -> None:
    stale = [str(rel) for rel, text in coverage.outputs(ROOT).items()
             if not (ROOT / rel).is_file() or (ROOT / rel).read_text(encoding="utf-8") != text]
    assert stale == [], "stale: %s; run `python -m acllite.tools.coverage --write`" % stale


def test_the_shipped_table_is_the_packaged_one() -> None:
    """The installed package's copy (which `acllite info --api` reads) is the checkout's."""
    shipped = Path(coverage.__file__).with_name("api_coverage.tsv")
    assert shipped.read_text(encoding="utf-8") == (ROOT / coverage.TABLE).read_text(encoding="utf-8")


def test_one_row_per_bound_function_and_the_counts() -> None:
    api = _apigen().load_api()
    bound = [f.name for f in api.functions if f.library != "emulator"]
    table = coverage.read_table(ROOT / coverage.TABLE)
    assert [r["function"] for r in table] == bound
    not_emulated = {e.name for e in _apigen().read_not_emulated()}
    assert {r["function"] for r in table if r["emulated"] == "0"} == not_emulated
    counts = {c["header"]: c for c in coverage.summary_counts(table)}
    assert counts["all"]["bound"] == 767 == sum(c["bound"] for h, c in counts.items() if h != "all")
    assert counts["acl/acl_rt.h"]["bound"] == 358 and counts["acl/ops/acl_dvpp.h"]["bound"] == 176


def test_every_declaration_file_maps_to_a_real_header() -> None:
    api = _apigen().load_api()
    sources = {f.source for f in api.functions if f.library != "emulator"}
    assert sources <= set(coverage.HEADERS), sources - set(coverage.HEADERS)
    assert set(coverage.HEADERS.values()) == set(coverage.HEADER_ORDER)


def test_the_header_map_against_the_real_headers() -> None:
    """Each function is declared by the real header the map names (when the cached CANN headers are there)."""
    cache = Path(os.environ.get("ACLLITE_HEADER_CACHE") or Path.home() / ".cache" / "acllite" / "cann-headers")
    include = cache / "torch-npu-2.14.0"
    if not (include / "acl" / "acl.h").is_file():
        pytest.skip("the CANN headers are not cached at %s (tests/test_conformance.py downloads them)" % include)
    apigen = _apigen()
    declared: Dict[str, List[str]] = {}
    for header in coverage.HEADER_ORDER:
        path = include / header
        if path.is_file():
            declared[header] = apigen.scan_real_header(path.read_text(encoding="utf-8", errors="replace"),
                                                       header).functions
    table = coverage.read_table(ROOT / coverage.TABLE)
    wrong = [(r["function"], r["header"]) for r in table
             if r["header"] in declared and r["function"] not in declared[r["header"]]]
    assert wrong == []
    assert len(declared) >= 9  # every header but graphengine's DVPP one ships in the wheel


def test_the_sample_list() -> None:
    calls = sample_calls.read(ROOT / "csrc" / "emu" / "sample_calls.txt")  # the checkout's list, not the installed tree
    names = [c.name for c in calls]
    assert len(names) == len(set(names))
    bound = {f.name for f in _apigen().load_api().functions}
    from acllite.pyacl import _catalog

    catalogued = {e.name for e in _catalog.ENTRIES}
    c_names = [c.name for c in calls if not c.is_pyacl]
    py_names = [c.name for c in calls if c.is_pyacl]
    assert c_names == sorted(c_names) and py_names == sorted(py_names)
    assert set(c_names) <= bound and set(py_names) <= catalogued
    assert len(c_names) == 191 and len(py_names) == 154  # Ascend/samples at fc2aea93
    assert all(c.sample.split("/")[0] in ("python", "cplusplus", "inference") for c in calls)
    # Every pyACL function the samples call maps to its C function, which is on the list too.
    to_c = {e.name: e.cfunc for e in _catalog.ENTRIES}
    assert all(to_c[n] is None or to_c[n] in c_names for n in py_names)


def test_generated_without_the_pyacl_catalog(tmp_path: Path) -> None:
    """A checkout without the catalog still gets its coverage, and says the column is unknown."""
    for part in ("csrc", "tests"):
        (tmp_path / part).symlink_to(ROOT / part)
    rows, facts = coverage.generate(tmp_path)
    assert facts["catalog"] == "absent"
    assert {r.pyacl for r in rows} == {coverage.NO_CATALOG}
    assert "(no pyACL catalog)" in coverage.render_markdown(rows, facts)


def test_the_command_checks_and_refuses_a_non_checkout(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "acllite.tools.coverage", "--check", "--root", str(ROOT)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run([sys.executable, "-m", "acllite.tools.coverage", "--check", "--root", str(tmp_path)],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert run.returncode == 2 and "is not an acllite checkout" in run.stderr


def test_info_api_prints_the_counts(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "acllite", "info", "--api", "--json"], capture_output=True, text=True,
                         cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    want = coverage.summary_counts(coverage.read_table(ROOT / coverage.TABLE))
    assert report["headers"] == want
    assert report["unlisted"] == []
    if IS_EMULATOR:
        assert report["backend"] == "emulator" and report["missing"] == []
    text = subprocess.run([sys.executable, "-m", "acllite", "info", "--api"], capture_output=True, text=True,
                          cwd=str(tmp_path)).stdout
    all_row = next(line for line in text.splitlines() if line.startswith("all "))
    assert all_row.split() == ["all", str(want[-1]["bound"]), str(want[-1]["emulated"]), str(want[-1]["tested"]),
                               "%d/%d" % (want[-1]["samples_emulated"], want[-1]["samples"])]
