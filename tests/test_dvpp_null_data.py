"""Every DVPP entry point with NULL picture data, a NULL description (or channel) and zero sizes, in strict AND
lenient mode (issue 18, item 1): the exact code and message, no crash, outputs untouched.

The table (entry points x variants, with the expected code and message) is tests/dvpp_null_table.py; adding an
entry point is one call function and its rows there. Each (SoC, mode) runs the table in one subprocess, because the
emulator reads ``ACLLITE_EMU_STRICT`` and ``ACLLITE_EMU_SOC`` at the first aclInit of a process. Lenient mode
relaxes memory kinds, never safety: the expectations are the same in both modes. Entry points that exist only on
Ascend310P and newer (colour conversion, PNGD) run on an Ascend310P3, the others on an Ascend310.

Removing the NULL-data check from ``dvpp_check_memory`` (csrc/emu/dvpp_objects.c) fails these tests: in strict mode
the rows get 107000 "... is host memory" instead of 100000 "... is NULL", and in lenient mode the call is accepted
and the subprocess dies in the task (docs/RELIABILITY.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Dict, List, Tuple

import pytest

from conftest import ROOT, child_env, requires_emulator
import dvpp_null_table as table

pytestmark = requires_emulator

MODES = {"strict": "1", "lenient": "0"}
_RESULTS: Dict[Tuple[str, str], Dict[str, Any]] = {}


def results(soc: str, mode: str) -> Dict[str, Any]:
    """The table's results on soc in mode (one subprocess per pair, run once)."""
    key = (soc, mode)
    if key not in _RESULTS:
        proc = subprocess.run([sys.executable, str(ROOT / "tests" / "dvpp_null_table.py")], capture_output=True,
                              text=True, timeout=300, env=child_env({"ACLLITE_EMU_SOC": soc,
                                                                     "ACLLITE_EMU_STRICT": MODES[mode]}))
        assert proc.returncode == 0, "the table run died (status %d):\n%s" % (proc.returncode, proc.stderr[-4000:])
        rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        _RESULTS[key] = {r["id"]: r for r in rows}
    return _RESULTS[key]


CASES = [(row, mode) for row in table.ROWS for mode in MODES]


@pytest.mark.parametrize("row, mode", CASES, ids=["%s-%s" % (table.row_id(r), m) for r, m in CASES])
def test_dvpp_entry_point_with_null_or_zero_arguments(row: Tuple[str, str, int, str], mode: str) -> None:
    name, variant, code, fragment = row
    soc = "Ascend310P3" if name in table.NEEDS_310P else "Ascend310"
    got = results(soc, mode).get(table.row_id(row))
    assert got is not None, "row %s did not run" % table.row_id(row)
    assert got["rc"] == code, "%s (%s, %s mode) returned %d, expected %d: %r" % (name, variant, mode, got["rc"], code,
                                                                               got["message"])
    assert got["sync"] == 0, got  # nothing was queued that fails later
    if code:
        assert got["message"] and got["message"].startswith(name + ": ") and fragment in got["message"], got
        assert got["untouched"], "the output buffer or description changed: %s" % got


def test_every_entry_point_has_every_variant_it_takes() -> None:
    """The table is complete: each DVPP entry point with a picture description or data gets the NULL-data,
    NULL-description and zero-size variants."""
    by_name: Dict[str, List[str]] = {}
    for name, variant, _code, _fragment in table.ROWS:
        by_name.setdefault(name, []).append(variant)
    assert set(by_name) == set(table.CALLS)
    for name, variants in by_name.items():
        assert "in-null-data" in variants and "in-zero-size" in variants, name
        if name.endswith("Async"):
            assert "null-channel" in variants and any(v.endswith("null-desc") for v in variants), name
            if name not in table.NO_OUTPUT_PICTURE:
                assert "out-null-data" in variants and "out-zero-size" in variants, name
