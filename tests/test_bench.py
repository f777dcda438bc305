"""``acllite bench`` end to end: exit status, JSON records (keys, types, ratios, baselines), every case present.

No timing is asserted here: performance targets belong to the benchmarks' own output, never to tests. Each
benchmark runs in a child process (``acllite.cli.main``) with tiny parameters: the benchmarks call aclInit and
aclFinalize themselves, which must not meet another test's runtime in this process.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

RECORD_KEYS = {
    "bench": str, "case": str, "stat": str, "value": float, "unit": str, "baseline": str, "baseline_value": float,
    "ratio": float, "backend": str, "python": str, "platform": str, "cpu_count": int,
}
MEMCPY_CASES = ["numpy_copyto", "h2d_copy_from", "d2h_copy_to", "d2d_copy_from", "h2d_binding", "d2h_binding",
                "d2d_binding"]
CALLS = ["aclrtGetRunMode", "aclGetDataBufferSizeV2", "aclCreateDataBuffer+aclDestroyDataBuffer"]
CALL_PATHS = ["binding", "capi", "ctypes"]
DIRECT_PATHS = {"aclrtGetRunMode": ["direct_cffi", "direct_cffi_trivial"],
                "aclGetDataBufferSizeV2": ["direct_cffi"],
                "aclCreateDataBuffer+aclDestroyDataBuffer": ["direct_cffi"]}
MAIN = "import sys; from acllite.cli import main; sys.exit(main(sys.argv[1:]))"


def _child_env(tmp_path: Path) -> Dict[str, str]:
    # The child imports the acllite this process would import; when the source tree shadows the installed
    # package without its compiled parts, the child (run from tmp_path) falls back to the installed one.
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    try:
        import acllite
    except ImportError:
        return env
    root = str(Path(acllite.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def _bench(tmp_path: Path, *argv: str) -> Tuple[List[Dict[str, Any]], str]:
    out = tmp_path / "records.json"
    proc = subprocess.run([sys.executable, "-c", MAIN, "bench", *argv, "--json", str(out)], cwd=str(tmp_path),
                          env=_child_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    records = json.loads(out.read_text())
    assert isinstance(records, list)
    return records, proc.stdout


def _check_common(records: List[Dict[str, Any]], bench: str, unit: str) -> None:
    for r in records:
        assert isinstance(r, dict)
        for key, typ in RECORD_KEYS.items():
            assert key in r, (key, r)
            assert isinstance(r[key], typ) and not isinstance(r[key], bool), (key, r)
        assert r["bench"] == bench and r["unit"] == unit and r["stat"] == "median"
        for key in ("value", "baseline_value", "ratio", "p10", "p90"):
            assert math.isfinite(r[key]) and r[key] > 0, (key, r)
        assert r["ratio"] == pytest.approx(r["value"] / r["baseline_value"], rel=1e-9)
        assert r["p10"] <= r["value"] <= r["p90"], r
        assert r["backend"] in ("emulator", "cann")
        assert r["python"] and r["platform"] and r["cpu_count"] >= 1
        assert r["repeat"] == 3


def test_memcpy(tmp_path: Path) -> None:
    records, stdout = _bench(tmp_path, "memcpy", "--max-size", "65536", "--repeat", "3")
    _check_common(records, "memcpy", "GB/s")
    by = {(r["size_bytes"], r["case"]): r for r in records}
    assert len(by) == len(records), "a (size, case) pair appears twice"
    assert sorted(by) == sorted((size, case) for size in (4096, 65536) for case in MEMCPY_CASES)
    for (size, case), r in by.items():
        base = by[(size, "numpy_copyto")]
        assert r["baseline"] == "numpy_copyto" and r["baseline_value"] == base["value"]
        assert r["iterations"] >= 1 and isinstance(r["iterations"], int)
        assert r["value"] == pytest.approx(size / r["ns_per_call"], rel=1e-9)  # GB/s == bytes per ns
        assert r["description"] in stdout
    assert by[(4096, "numpy_copyto")]["ratio"] == 1.0
    assert "x numpy" in stdout and "4 KiB" in stdout and "64 KiB" in stdout and "1 MiB" not in stdout


def test_memcpy_nothing_below_max_size(tmp_path: Path) -> None:
    records, stdout = _bench(tmp_path, "memcpy", "--max-size", "1000", "--repeat", "3")
    assert records == [] and "no size" in stdout


def test_calls(tmp_path: Path) -> None:
    records, stdout = _bench(tmp_path, "calls", "--repeat", "3")
    _check_common(records, "calls", "ns/call")
    by = {r["case"]: r for r in records}
    assert len(by) == len(records), "a case appears twice"
    direct = "direct cffi rows skipped" not in stdout
    expected = {"%s/%s" % (c, p) for c in CALLS for p in CALL_PATHS + (DIRECT_PATHS[c] if direct else [])}
    assert set(by) == expected
    for case, r in by.items():
        assert case == "%s/%s" % (r["call"], r["path"])
        assert r["baseline"] in by and r["baseline_value"] == by[r["baseline"]]["value"]
        assert r["baseline"].startswith(r["call"] + "/")
        assert r["loops"] == 100_000
        assert r["description"] in stdout
    for c in CALLS:
        assert by[c + "/capi"]["baseline"] == by[c + "/ctypes"]["baseline"] == c + "/binding"
        assert by[c + "/binding"]["baseline"] == c + ("/direct_cffi" if direct else "/binding")
    if direct:
        # the direct module was built into the cache the child was given
        assert list((tmp_path / "cache" / "acllite" / "bench").glob("_acllite_bench_direct_*"))
        b = by["aclrtGetRunMode/binding"]
        assert b["ratio_vs_trivial"] == pytest.approx(b["value"] / by["aclrtGetRunMode/direct_cffi_trivial"]["value"])
    assert "empty loop" in stdout and "subtracted" in stdout
