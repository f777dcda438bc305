"""``acllite bench`` end to end: exit status, the JSON document against its schema, every bench and case present,
the Markdown report, the plot (rendered headless), the progress display.

No timing is asserted here: performance targets belong to the benchmarks' own output, never to tests. Each
benchmark runs in a child process (``acllite.tools.cli.main``) with tiny parameters (``--quick``): the benchmarks call
aclInit and aclFinalize themselves, which must not meet another test's runtime in this process. One
``bench all --quick`` run (shared by the tests of this module) covers every benchmark.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from acllite.tools.bench import ALL, schema

MEMCPY2D_CASES = ["c_memcpy2d_rows", "c_memcpy2d_rows_device", "numpy_copyto_2d", "d2h_memcpy2d_binding",
                  "d2h_memcpy2d_pyacl", "d2h_memcpy2d_async_pinned"]
MEMCPY_CASES = ["c_memcpy", "numpy_copyto", "c_memcpy_device", "h2d_copy_from", "h2d_copy_from_pinned", "h2d_binding",
                "h2d_binding_from_buffer", "h2d_pyacl", "h2d_async_pinned", "d2h_copy_to", "d2h_copy_to_pinned",
                "d2h_binding", "d2h_async_pinned", "d2d_copy_from", "d2d_binding", "d2d_async", "h2h_copy_from",
                "h2h_binding"]
CALLS = ["aclrtGetRunMode", "aclmdlGetNumInputs", "aclGetDataBufferSizeV2", "aclCreateDataBuffer+aclDestroyDataBuffer"]
CALL_PATHS = ["binding", "capi", "ctypes", "pyacl"]
EXECUTE_PATHS = ["onnxruntime", "model_execute", "binding", "pyacl", "execute_only"]
DVPP_CASES = ["pillow_decode", "pillow_decode_resize", "dvpp_decode", "dvpp_resize", "dvpp_decode_resize"]
MAIN = "import sys; from acllite.tools.cli import main; sys.exit(main(sys.argv[1:]))"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _child_env(cache: Path) -> Dict[str, str]:
    # The child imports the acllite this process would import; when the source tree shadows the installed
    # package without its compiled parts, the child (run from a temporary directory) falls back to the
    # installed one.
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    env.pop("ACLLITE_EMU_ORT_SPINNING", None)
    try:
        import acllite
    except ImportError:
        return env
    root = str(Path(acllite.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def _run(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-c", MAIN, "bench", *argv], cwd=str(cwd), env=_child_env(cwd / "cache"),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    return proc


def _bench(cwd: Path, *argv: str) -> Tuple[Dict[str, Any], str]:
    out = cwd / "records.json"
    proc = _run(cwd, *argv, "--json", str(out))
    return json.loads(out.read_text()), proc.stdout


def _valid(doc: Dict[str, Any]) -> None:
    """The document follows schema.json (our validator, and jsonschema's when it is installed), and the facts
    a schema cannot state hold."""
    assert schema.validate(doc) == []
    try:
        import jsonschema
    except ImportError:
        pass
    else:
        jsonschema.Draft202012Validator(schema.schema()).validate(doc)
    for r in doc["records"]:
        assert r["ratio"] == pytest.approx(r["value"] / r["baseline_value"], rel=1e-9)
        assert r["p10"] <= r["value"] * (1 + 1e-9) and r["value"] <= r["p90"] * (1 + 1e-9), r
        for key, value in r.items():
            if isinstance(value, float):
                assert math.isfinite(value), (key, r)
        env = doc["environment"]
        assert (r["backend"], r["python"], r["platform"], r["cpu_count"]) == (
            env["backend"], env["python"], env["platform"], env["cpu_count"])


@pytest.fixture(scope="module")
def all_run(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Dict[str, Any], str, Path]:
    cwd = tmp_path_factory.mktemp("bench_all")
    doc, stdout = _bench(cwd, "all", "--quick", "--plot", str(cwd / "plot.png"), "--markdown", str(cwd / "report.md"))
    return doc, stdout, cwd


def _records(doc: Dict[str, Any], bench: str) -> List[Dict[str, Any]]:
    return [r for r in doc["records"] if r["bench"] == bench]


def test_all_covers_every_bench(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    doc, stdout, _ = all_run
    _valid(doc)
    assert doc["schema"] == "acllite-bench/1"
    assert doc["benches"] == list(ALL) == ["calls", "memcpy", "execute", "op", "dvpp", "pipeline"]
    assert doc["options"]["what"] == "all" and doc["options"]["quick"] is True
    skipped = " ".join(doc["notes"])
    for bench in ALL:
        if bench == "pipeline" and "pipeline: skipped" in skipped:
            continue  # the demo model's weights are an optional package
        assert _records(doc, bench), bench
        assert "acllite bench %s" % bench in stdout
    assert {r["bench"] for r in doc["records"]} <= set(ALL)


def test_all_op(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    """acllite bench op: every path against onnxruntime running the same Cast node, and the target line."""
    doc, stdout, _ = all_run
    by = {r["path"]: r for r in _records(doc, "op")}
    assert {"onnxruntime", "aclopCast", "aclopExecuteV2", "handle"} <= set(by)
    for r in by.values():
        assert r["baseline_value"] == by["onnxruntime"]["value"] and r["bytes"] == 1 << 20
        assert r["ratio"] == pytest.approx(r["value"] / r["baseline_value"])
    assert "target aclopCast of 1 MiB within 1.2x of onnxruntime running the same node" in stdout


def test_all_calls(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    doc, stdout, _ = all_run
    records = _records(doc, "calls")
    by = {r["case"]: r for r in records}
    assert len(by) == len(records), "a case appears twice"
    direct = "direct cffi rows skipped" not in " ".join(doc["notes"])
    pyacl = "calls: pyACL rows skipped" not in " ".join(doc["notes"])
    for c in CALLS:
        for p in CALL_PATHS:
            assert ("%s/%s" % (c, p) in by) == (p != "pyacl" or pyacl), (c, p)
        assert ("%s/direct_cffi" % c in by) == direct
        assert by[c + "/capi"]["baseline"] == by[c + "/ctypes"]["baseline"] == c + "/binding"
        assert by[c + "/binding"]["baseline"] == c + ("/direct_cffi" if direct else "/binding")
    assert "no-op/python" in by and ("no-op/direct_cffi" in by) == direct
    for case, r in by.items():
        assert case == "%s/%s" % (r["call"], r["path"])
        assert r["baseline"] in by and r["baseline_value"] == by[r["baseline"]]["value"]
        assert r["loops"] == 10_000 and r["repeat"] == 3
        assert r["description"] in stdout
    if direct:
        b = by["aclrtGetRunMode/binding"]
        assert b["ratio_vs_trivial"] == pytest.approx(b["value"] / by["aclrtGetRunMode/direct_cffi_trivial"]["value"])
        assert "target dispatch adds <= 10%" in stdout


def test_all_memcpy(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    doc, stdout, _ = all_run
    records = [r for r in _records(doc, "memcpy") if "width" not in r]  # the 2-D copies: test_all_memcpy2d
    by = {(r["size_bytes"], r["case"]): r for r in records}
    assert len(by) == len(records), "a (size, case) pair appears twice"
    notes = " ".join(doc["notes"])
    no_c = "C memcpy rows skipped" in notes
    cases = [c for c in MEMCPY_CASES if not (c.startswith("c_memcpy") and no_c)
             and not (c == "c_memcpy_device" and doc["environment"]["backend"] != "emulator")
             and not (c == "h2d_pyacl" and "memcpy: pyACL rows skipped" in notes)]
    sizes = [1 << 10, 4 << 10, 16 << 10, 64 << 10]  # --quick: up to 64 KiB
    assert sorted(by) == sorted((s, c) for s in sizes for c in cases)
    baseline = "c_memcpy" if "c_memcpy" in cases else "numpy_copyto"
    for (size, case), r in by.items():
        assert r["baseline"] == baseline and r["baseline_value"] == by[(size, baseline)]["value"]
        assert r["value"] == pytest.approx(size / r["ns_per_call"], rel=1e-9)  # GB/s == bytes per ns
        assert r["ratio_numpy"] == pytest.approx(r["value"] / by[(size, "numpy_copyto")]["value"], rel=1e-9)
        assert r["page_aligned"] is True
        assert (r["mode"] == "async") == ("async" in case)
        assert r["direction"] == ("D2D" if case == "c_memcpy_device" else case[:3].upper()
                                  if case[:3] in ("h2d", "d2h", "d2d", "h2h") else "H2H")
    assert by[(4096, baseline)]["ratio"] == 1.0
    assert "4 KiB" in stdout and "64 KiB" in stdout and "256 KiB" not in stdout
    assert "target 4 KiB copy <= 400 ns per call, h2d_binding" in stdout


def test_all_memcpy2d(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    """aclrtMemcpy2d of a 1920x1080 NV12 frame (1620 rows, stride 2048 -> 1920) against a C loop of row memcpys."""
    doc, stdout, _ = all_run
    records = [r for r in _records(doc, "memcpy") if "width" in r]
    notes = " ".join(doc["notes"])
    no_c = "C memcpy rows skipped" in notes
    cases = [c for c in MEMCPY2D_CASES if not (c.startswith("c_") and no_c)
             and not (c == "c_memcpy2d_rows_device" and doc["environment"]["backend"] != "emulator")
             and not (c == "d2h_memcpy2d_pyacl" and "memcpy: pyACL rows skipped" in notes)]
    assert [r["case"] for r in records] == cases
    baseline = "c_memcpy2d_rows" if not no_c else "numpy_copyto_2d"
    base = next(r for r in records if r["case"] == baseline)
    numpy = next(r for r in records if r["case"] == "numpy_copyto_2d")
    for r in records:
        assert (r["width"], r["height"], r["spitch"], r["dpitch"]) == (1920, 1620, 2048, 1920)
        assert r["size_bytes"] == 1920 * 1620 and r["page_aligned"] is True
        assert r["baseline"] == baseline and r["baseline_value"] == base["value"]
        assert r["value"] == pytest.approx(r["size_bytes"] / r["ns_per_call"], rel=1e-9)
        assert r["ratio_numpy"] == pytest.approx(r["value"] / numpy["value"], rel=1e-9)
        assert r["direction"] == ("D2H" if r["case"].startswith("d2h") or r["case"].endswith("device") else "H2H")
    if not no_c:
        assert "target aclrtMemcpy2d >= 0.9x a C loop of row memcpys" in stdout
    assert "2-D copy (aclrtMemcpy2d): a 1920x1080 NV12 frame" in stdout


def test_all_execute(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    doc, stdout, _ = all_run
    records = _records(doc, "execute")
    pyacl = "execute: pyACL rows skipped" not in " ".join(doc["notes"])
    dims = [r for r in records if r["model"] == "small, --dynamic_dims"]
    aipp = [r for r in records if r["model"] == "small image, dynamic AIPP"]
    records = [r for r in records if r not in dims and r not in aipp]
    assert [r["path"] for r in records] == [p for p in EXECUTE_PATHS if p != "pyacl" or pyacl]
    # the dynamic-dims and dynamic-AIPP paths, each against the same path on the static model of the same run
    assert [r["path"] for r in dims] == ["static_binding", "dims_binding", "static_model_execute", "dims_model_execute"]
    assert [r["path"] for r in aipp] == ["static_aipp_binding", "dynamic_aipp_binding"]
    for r in dims + aipp:
        static = next(s for s in dims + aipp if s["path"] == "static_" + r["path"].split("_", 1)[1])
        assert r["baseline_value"] == static["value"]
        assert r["overhead_us"] == pytest.approx(r["value"] - static["value"], rel=1e-6, abs=1e-6)
    assert "target dynamic dims adds <= 5 us per call over the static path (dims_model_execute)" in stdout
    assert "target dynamic AIPP adds <= 5 us per call over the static path (dynamic_aipp_binding)" in stdout
    base = records[0]
    for r in records:
        assert r["batch"] == 1 and r["model"].startswith("small")  # --quick: the small model, batch 1
        assert r["baseline"] == base["case"] and r["baseline_value"] == base["value"]
        assert r["overhead_us"] == pytest.approx(r["value"] - base["value"], rel=1e-6, abs=1e-6)
        assert r["images_per_s"] == pytest.approx(1e6 / r["value"], rel=1e-6)
    assert "target Model.execute adds <= 15 us" in stdout


def test_all_dvpp_and_pipeline(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    doc, stdout, _ = all_run
    dvpp = _records(doc, "dvpp")
    assert [r["case"] for r in dvpp] == DVPP_CASES
    assert all(r["baseline"] == "pillow_decode_resize" for r in dvpp)
    pipeline = _records(doc, "pipeline")
    if pipeline:
        assert [r["case"] for r in pipeline][:2] == ["Pillow + onnxruntime", "acllite, sequential"]
        assert [r["workers"] for r in pipeline] == [1, 1, 2]
        assert all(r["images"] == 4 and r["baseline"] == "Pillow + onnxruntime" for r in pipeline)
        assert "target pipeline >= 1.0x" in stdout


def test_all_plot_and_markdown(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    pytest.importorskip("matplotlib")
    doc, stdout, cwd = all_run
    png = cwd / "plot.png"
    data = png.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 20_000
    assert "plot written: %s" % png in stdout
    text = (cwd / "report.md").read_text()
    for bench in ("calls", "memcpy", "execute", "dvpp"):
        assert "\n## %s\n" % bench in text
    assert "| aclrtGetRunMode | binding |" in text and "## Targets" in text


def test_report_renders_an_earlier_run(all_run: Tuple[Dict[str, Any], str, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _, _, cwd = all_run
    proc = _run(tmp_path, "report", "--input", str(cwd / "records.json"), "--markdown", str(tmp_path / "again.md"),
                "--plot", str(tmp_path / "again.png"))
    assert (tmp_path / "again.md").read_text() == (cwd / "report.md").read_text()
    assert (tmp_path / "again.png").read_bytes()[:8] == PNG_MAGIC
    assert "plot written" in proc.stdout


def test_plot_in_process_headless(all_run: Tuple[Dict[str, Any], str, Path], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    from acllite.tools.bench import plot

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "TkAgg")  # plot() must force Agg whatever the environment asks for
    doc, _, _ = all_run
    for bench in ("memcpy", "calls"):
        one = dict(doc, records=_records(doc, bench))
        out = tmp_path / "sub" / ("%s.png" % bench)
        assert plot.plot(one, str(out)) == [str(out)]
        assert out.read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ValueError):
        plot.plot(dict(doc, records=[]), str(tmp_path / "empty.png"))


def test_memcpy_size_range(tmp_path: Path) -> None:
    doc, stdout = _bench(tmp_path, "memcpy", "--min-size", "4096", "--max-size", "16384", "--repeat", "2",
                         "--progress")
    _valid(doc)
    assert sorted({r["size_bytes"] for r in doc["records"] if "width" not in r}) == [4096, 16384]
    assert {r["size_bytes"] for r in doc["records"] if "width" in r} == {1920 * 1620}  # the 2-D copy, every run
    assert all(r["repeat"] == 2 for r in doc["records"])
    assert doc["benches"] == ["memcpy"] and doc["options"]["max_size"] == 16384


def test_progress_goes_to_stderr(tmp_path: Path) -> None:
    proc = _run(tmp_path, "memcpy", "--max-size", "1024", "--repeat", "1", "--progress")
    assert "[memcpy 0/1] starting" in proc.stderr and "[memcpy 1/1] done" in proc.stderr
    assert "[memcpy" not in proc.stdout
    quiet = _run(tmp_path, "memcpy", "--max-size", "1024", "--repeat", "1")  # stderr is a pipe: no progress
    assert "[memcpy" not in quiet.stderr


def test_memcpy_nothing_in_range(tmp_path: Path) -> None:
    doc, stdout = _bench(tmp_path, "memcpy", "--max-size", "1000", "--repeat", "3")
    _valid(doc)
    assert doc["records"] == [] and "no size" in stdout


def test_calls_builds_the_direct_module_into_the_cache(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    doc, _, cwd = all_run
    if "direct cffi rows skipped" in " ".join(doc["notes"]):
        pytest.skip("no C compiler")
    built = list((cwd / "cache" / "acllite" / "bench").glob("_acllite_bench_*"))
    assert {p.name.split("_")[3] for p in built} >= {"direct", "cmem"}, built


def test_schema_rejects_what_it_should(all_run: Tuple[Dict[str, Any], str, Path]) -> None:
    doc, _, _ = all_run
    ok = copy.deepcopy(doc)
    assert schema.validate(ok) == []

    def broken(change: Any) -> List[str]:
        d = copy.deepcopy(doc)
        change(d)
        errors = schema.validate(d)
        assert errors, "the change was accepted"
        return errors

    first = {r["bench"]: i for i, r in reversed(list(enumerate(doc["records"])))}
    assert any("'value'" in e for e in broken(lambda d: d["records"][0].pop("value")))
    assert any("greater than 0" in e for e in broken(lambda d: d["records"][0].update(value=0.0)))
    assert any("not one of" in e for e in broken(lambda d: d["records"][0].update(backend="gpu")))
    assert any("is not 'median'" in e for e in broken(lambda d: d["records"][0].update(stat="mean")))
    assert any("'size_bytes'" in e for e in broken(lambda d: d["records"][first["memcpy"]].pop("size_bytes")))
    assert any("not one of" in e for e in broken(lambda d: d["records"][first["memcpy"]].update(direction="X")))
    assert any("is not 'GB/s'" in e for e in broken(lambda d: d["records"][first["memcpy"]].update(unit="MB/s")))
    assert any("'batch'" in e for e in broken(lambda d: d["records"][first["execute"]].pop("batch")))
    assert any("'path'" in e for e in broken(lambda d: d["records"][first["calls"]].pop("path")))
    assert any("unexpected property" in e for e in broken(lambda d: d.update(extra=1)))
    assert any("does not match" in e for e in broken(lambda d: d.update(created="yesterday")))
    assert any("not of type integer" in e for e in broken(lambda d: d["records"][0].update(repeat=True)))
    with pytest.raises(ValueError, match="acllite-bench/1"):
        schema.check({"schema": "acllite-bench/1"})
    with pytest.raises(ValueError, match="not supported"):
        schema.validate({}, {"oneOf": []})


def test_schema_is_documented() -> None:
    docs = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
    if not docs.exists():
        pytest.skip("docs/ is not beside the tests")
    text = docs.read_text()
    assert "acllite-bench/1" in text
    for key in schema.schema()["$defs"]["record"]["required"]:
        assert "`%s`" % key in text, key


def test_a_missing_file_is_one_line_and_status_1(tmp_path: Path) -> None:
    """`acllite bench execute --model small` (no such file) and `bench report --input` of a missing or broken file:
    one line naming the file, exit status 1, no traceback."""
    (tmp_path / "broken.json").write_text("{")
    for argv, fragment in ((["execute", "--model", "small"], "acllite bench execute: [Errno 2] No such file"),
                           (["report", "--input", "nope.json"], "acllite bench report: nope.json: [Errno 2]"),
                           (["report", "--input", "broken.json"], "acllite bench report: broken.json: Expecting")):
        proc = subprocess.run([sys.executable, "-c", MAIN, "bench", *argv], cwd=str(tmp_path),
                              env=_child_env(tmp_path / "cache"), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, (argv, proc.stdout, proc.stderr)
        assert fragment in proc.stderr and "Traceback" not in proc.stderr, (argv, proc.stderr)
