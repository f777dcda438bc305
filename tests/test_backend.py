"""Backend choice at import: the emulator here, CANN's libraries when found (``find_cann_libraries``), the
``ACLLITE_BACKEND`` switch, and a stand-in "CANN" built by the test that implements only four functions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Dict

import pytest

from conftest import child, run_python, run_python_ok

import acllite
import acllite._native as native
from acllite import binding
from acllite._native import find_cann_libraries

DEFAULT_INSTALLS = [Path(p).expanduser() for p in native._DEFAULT_INSTALLS]
no_default_cann = pytest.mark.skipif(
    any((d / sub / "libascendcl.so").exists() for d in DEFAULT_INSTALLS for sub in ("lib64", "runtime/lib64")),
    reason="a CANN install exists at a default location")


def fake_install(root: Path, sub: str = "lib64", dvpp: bool = False) -> Path:
    d = root / sub
    d.mkdir(parents=True, exist_ok=True)
    (d / "libascendcl.so").write_bytes(b"")
    if dvpp:
        (d / "libacl_dvpp.so").write_bytes(b"")
    return d


# ============================================================================ this machine


ON_EMULATOR = find_cann_libraries() is None and acllite.backend_info().name == "emulator"
DVPP_MISSING = [n for n in acllite.backend_info().missing if binding.prototypes[n].library == "acl_dvpp"]


@pytest.mark.skipif(find_cann_libraries() is not None, reason="CANN is installed here")
def test_this_machine_runs_the_emulator() -> None:
    info = acllite.backend_info()
    assert info.name == "emulator"
    assert [n for n in info.missing if n not in DVPP_MISSING] == []
    emu = str(native.emulator_library())
    assert info.libraries == {"ascendcl": emu, "acl_dvpp": emu, "emulator": emu}
    assert Path(emu).is_file()
    assert info.version == (1, 17, 0)


@pytest.mark.skipif(not ON_EMULATOR, reason="needs the emulator backend")
@pytest.mark.xfail(bool(DVPP_MISSING), strict=True, reason="the DVPP functions are declared but the emulator does "
                   "not implement them yet")
def test_the_emulator_implements_every_declared_function() -> None:
    assert acllite.backend_info().missing == ()


def test_raw_binding_functions_are_the_cffi_functions() -> None:
    assert binding.aclrtGetRunMode is native.lib.aclrtGetRunMode
    assert binding.aclrtMalloc is native.lib.aclrtMalloc
    present = [n for n, p in binding.prototypes.items() if p.present]
    assert present and all(binding.functions[n] is getattr(native.lib, n) for n in present)
    assert all(getattr(binding, n) is binding.functions[n] for n in binding.functions)
    p = binding.prototypes["aclrtMemcpy"]
    assert p.params == (("void *", "dst"), ("size_t", "destMax"), ("const void *", "src"), ("size_t", "count"),
                        ("aclrtMemcpyKind", "kind"))
    assert p.returns == "aclError" and p.library == "ascendcl"


# ============================================================================ finding CANN


def test_find_cann_under_ascend_toolkit_home(tmp_path: Path) -> None:
    lib64 = fake_install(tmp_path)
    assert find_cann_libraries({"ASCEND_TOOLKIT_HOME": str(tmp_path)}) == (lib64 / "libascendcl.so", None)
    (lib64 / "libacl_dvpp.so").write_bytes(b"")
    assert find_cann_libraries({"ASCEND_TOOLKIT_HOME": str(tmp_path)}) == (lib64 / "libascendcl.so",
                                                                          lib64 / "libacl_dvpp.so")


def test_find_cann_under_runtime_lib64_and_ascend_home_path(tmp_path: Path) -> None:
    rt = fake_install(tmp_path, "runtime/lib64")
    assert find_cann_libraries({"ASCEND_HOME_PATH": str(tmp_path)}) == (rt / "libascendcl.so", None)
    assert find_cann_libraries({"ASCEND_TOOLKIT_HOME": str(tmp_path)}) == (rt / "libascendcl.so", None)


def test_find_cann_on_ld_library_path(tmp_path: Path) -> None:
    empty, found = tmp_path / "empty", tmp_path / "found"
    empty.mkdir()
    lib = fake_install(found, ".", dvpp=True)
    env = {"LD_LIBRARY_PATH": "%s::%s" % (empty, found)}
    assert find_cann_libraries(env) == (lib / "libascendcl.so", lib / "libacl_dvpp.so")


def test_find_cann_prefers_the_toolkit_and_takes_dvpp_from_elsewhere(tmp_path: Path) -> None:
    home = fake_install(tmp_path / "home")
    other = fake_install(tmp_path / "other", dvpp=True)
    env = {"ASCEND_TOOLKIT_HOME": str(tmp_path / "home"), "LD_LIBRARY_PATH": str(other)}
    assert find_cann_libraries(env) == (home / "libascendcl.so", other / "libacl_dvpp.so")


@no_default_cann
def test_find_cann_finds_nothing(tmp_path: Path) -> None:
    (tmp_path / "lib64" / "libascendcl.so").mkdir(parents=True)  # a directory, not the library
    assert find_cann_libraries({}) is None
    assert find_cann_libraries({"ASCEND_TOOLKIT_HOME": "", "LD_LIBRARY_PATH": ""}) is None
    assert find_cann_libraries({"ASCEND_TOOLKIT_HOME": str(tmp_path), "LD_LIBRARY_PATH": str(tmp_path)}) is None


# ============================================================================ ACLLITE_BACKEND


def test_unknown_backend_fails_at_import() -> None:
    proc = run_python("import acllite", {"ACLLITE_BACKEND": "bogus"})
    assert proc.returncode == 1
    assert "ImportError: ACLLITE_BACKEND='bogus': expected auto, cann or emulator" in proc.stderr


@no_default_cann
def test_cann_backend_without_cann_fails_at_import(tmp_path: Path) -> None:
    env = {"ACLLITE_BACKEND": "cann", "ASCEND_TOOLKIT_HOME": None, "ASCEND_HOME_PATH": None, "LD_LIBRARY_PATH": None,
           "HOME": str(tmp_path)}
    proc = run_python("import acllite", env)
    assert proc.returncode == 1
    assert "ImportError: ACLLITE_BACKEND=cann but libascendcl.so was not found: source CANN's set_env.sh " \
           "(ASCEND_TOOLKIT_HOME) or set LD_LIBRARY_PATH" in proc.stderr


def test_emulator_backend_spelled_loosely(tmp_path: Path) -> None:
    fake_install(tmp_path)  # an (unloadable) "CANN" that the emulator choice must ignore
    out = run_python_ok("import acllite; print(acllite.backend_info().name)",
                        {"ACLLITE_BACKEND": " Emulator ", "ASCEND_TOOLKIT_HOME": str(tmp_path)})
    assert out.split() == ["emulator"]


def test_an_unloadable_cann_library_fails_with_the_loader_message(tmp_path: Path) -> None:
    lib64 = fake_install(tmp_path)  # an empty file is no shared object
    proc = run_python("import acllite", {"ACLLITE_BACKEND": "auto", "ASCEND_TOOLKIT_HOME": str(tmp_path)})
    assert proc.returncode == 1
    assert "ImportError: acllite: cannot load %s" % (lib64 / "libascendcl.so") in proc.stderr


# ============================================================================ a stand-in CANN

FAKE_CANN = r"""
#include <stdint.h>
typedef int aclError;
aclError aclInit(const char *configPath) { (void)configPath; return 0; }
aclError aclFinalize(void) { return 0; }
aclError aclrtGetRunMode(int *runMode) { *runMode = 0; /* ACL_DEVICE: not what the emulator says */ return 0; }
aclError aclrtGetVersion(int32_t *major, int32_t *minor, int32_t *patch) {
    *major = 1; *minor = 0; *patch = 0; return 0;
}
"""


@pytest.fixture(scope="module")
def fake_cann(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler to build the stand-in libascendcl.so")
    root = tmp_path_factory.mktemp("fake-cann")
    (root / "lib64").mkdir()
    src = root / "fake.c"
    src.write_text(FAKE_CANN)
    subprocess.run([gcc, "-shared", "-fPIC", "-o", str(root / "lib64" / "libascendcl.so"), str(src)], check=True,
                   capture_output=True)
    return root


def _in_fake_cann(fake_cann: Path, code: str, backend: str = "cann") -> Dict:
    env = {"ACLLITE_BACKEND": backend, "ASCEND_TOOLKIT_HOME": str(fake_cann), "ASCEND_HOME_PATH": None}
    out = run_python_ok(child(code), env)
    return json.loads(out.strip().splitlines()[-1])


def test_stand_in_cann_backend(fake_cann: Path) -> None:
    r = _in_fake_cann(fake_cann, """
    import json
    import acllite
    from acllite import capi
    from acllite._native import lib as raw
    info = acllite.backend_info()
    r = {"name": info.name, "libraries": info.libraries, "version": list(info.version), "missing": list(info.missing),
         "run_mode": capi.aclrtGetRunMode(), "run_mode_obj": acllite.run_mode(),
         "raw_malloc": raw.aclrtMalloc(ffi.new("void **"), 64, 0)}
    try:
        acllite.binding.aclrtMalloc(ffi.new("void **"), 64, 0)
    except acllite.AclFunctionUnavailable as e:
        r["binding_error"] = [type(e).__name__, str(e), e.code, e.function, isinstance(e, NotImplementedError)]
    try:
        capi.aclrtMalloc(64, 0)
    except acllite.AclFunctionUnavailable as e:
        r["capi_error"] = str(e)
    try:
        acllite.emulator_live_counts()
    except acllite.AclFunctionUnavailable as e:
        r["emu_error"] = str(e)
    with acllite.init():
        r["initialized"] = acllite.is_initialized()
    r["after"] = acllite.is_initialized()
    print(json.dumps(r))
    """)
    so = str(fake_cann / "lib64" / "libascendcl.so")
    assert r["name"] == "cann"
    assert r["libraries"] == {"ascendcl": so}
    assert r["version"] == [1, 0, 0]
    assert r["run_mode"] == 0 and r["run_mode_obj"] == 0  # answered by the stand-in, not the emulator
    missing = set(r["missing"])
    assert {"aclrtMalloc", "aclrtMemcpy", "aclrtSetDevice", "aclGetRecentErrMsg"} <= missing
    assert not missing & {"aclInit", "aclFinalize", "aclrtGetRunMode", "aclrtGetVersion"}
    assert not any(n.startswith("acllite_emu_") for n in missing)  # emulator extensions are not "missing"
    assert all(p in missing for p, proto in binding.prototypes.items()
               if proto.library == "ascendcl" and p not in ("aclInit", "aclFinalize", "aclrtGetRunMode",
                                                            "aclrtGetVersion"))
    assert r["raw_malloc"] == 200001  # the raw trampoline's stub: ACL_ERROR_API_NOT_SUPPORT, no crash
    name, text, code, function, not_impl = r["binding_error"]
    assert (name, code, function, not_impl) == ("AclFunctionUnavailable", 200001, "aclrtMalloc", True)
    assert "aclrtMalloc is not in %s (backend cann, AscendCL 1.0.0)" % so in text
    assert "aclrtMalloc" in r["capi_error"] and "1.0.0" in r["capi_error"]
    assert "acllite_emu_live_counts is not in (not loaded) (backend cann" in r["emu_error"]
    assert r["initialized"] is True and r["after"] is False


def test_auto_prefers_cann_when_found(fake_cann: Path) -> None:
    r = _in_fake_cann(fake_cann, """
    import json, acllite
    print(json.dumps({"name": acllite.backend_info().name}))
    """, backend="auto")
    assert r == {"name": "cann"}
