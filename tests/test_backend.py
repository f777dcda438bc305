"""Backend choice at import: the emulator here, CANN's libraries when found (``find_cann_libraries``: one
library per group, paired from the directory of the chosen libascendcl.so first), the ``ACLLITE_BACKEND``
switch, a stand-in "CANN" built by the test that implements only a few functions (and one exporting every bound
function, tests/fake_cann.py), and the emulator's side of the binding: every bound function exported, emulated or
failing as "not emulated" (csrc/emu/not_emulated.txt)."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from conftest import ROOT, child, run_python, run_python_ok

import acllite
import acllite._native as native
from acllite import binding
from acllite._native import ffi, find_cann_libraries, lib

if str(ROOT / "csrc") not in sys.path:
    sys.path.insert(0, str(ROOT / "csrc"))
import apigen  # noqa: E402
import fake_cann as full_stand_in  # noqa: E402  (a module: the fixture `fake_cann` is the small stand-in)

DEFAULT_INSTALLS = [Path(p).expanduser() for p in native._DEFAULT_INSTALLS]
no_default_cann = pytest.mark.skipif(
    any((d / sub / "libascendcl.so").exists() for d in DEFAULT_INSTALLS for sub in ("lib64", "runtime/lib64")),
    reason="a CANN install exists at a default location")


def fake_install(root: Path, sub: str = "lib64", dvpp: bool = False, *others: str) -> Path:
    """Empty stand-ins of CANN libraries in root/sub: libascendcl.so unless sub is "", plus the others named."""
    d = root / sub
    d.mkdir(parents=True, exist_ok=True)
    (d / "libascendcl.so").write_bytes(b"")
    for name in (["libacl_dvpp.so"] if dvpp else []) + list(others):
        (d / name).write_bytes(b"")
    return d


def lib_dir(root: Path, *names: str) -> Path:
    """A directory holding empty files of the names given (and no libascendcl.so)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).write_bytes(b"")
    return root


# ============================================================================ this machine


ON_EMULATOR = find_cann_libraries() is None and acllite.backend_info().name == "emulator"
GROUPS = native.library_groups()


def test_library_groups_are_the_declarations() -> None:
    """The binding's groups are apigen's, in its order, with the CANN file names the loader looks for."""
    assert GROUPS == [(g.name, g.soname) for g in apigen.LIBRARY_GROUPS]
    assert dict(GROUPS) == {"ascendcl": "libascendcl.so", "acl_dvpp": "libacl_dvpp.so",
                            "acl_op_compiler": "libacl_op_compiler.so", "msprofiler": "libmsprofiler.so",
                            "emulator": None}
    api = apigen.load_api()
    used = {f.library for f in api.functions}
    assert used == set(dict(GROUPS)), "a group without functions, or functions of an unknown group"
    library = {f.name: f.library for f in api.functions}
    assert all(p.library == library[n] for n, p in binding.prototypes.items())


@pytest.mark.skipif(find_cann_libraries() is not None, reason="CANN is installed here")
def test_this_machine_runs_the_emulator() -> None:
    info = acllite.backend_info()
    assert info.name == "emulator"
    emu = str(native.emulator_library())
    assert info.libraries == {g: emu for g, _ in GROUPS}
    assert Path(emu).is_file()
    assert info.version == (1, 17, 0)


@pytest.mark.skipif(not ON_EMULATOR, reason="needs the emulator backend")
def test_the_emulator_exports_every_bound_function() -> None:
    """Every function of the binding's table is in libacllite_emu.so: emulated, or a generated "not emulated"
    stub. Checked through the binding's loader and, independently, by dlsym through ctypes."""
    assert acllite.backend_info().missing == ()
    assert len(binding.prototypes) == apigen_function_count()
    emu = ctypes.CDLL(str(native.emulator_library()))
    absent = [n for n in binding.prototypes if not hasattr(emu, n)]
    assert absent == []


def apigen_function_count() -> int:
    return len(apigen.load_api().functions)


# ============================================================================ the "not emulated" list


NOT_EMULATED = apigen.read_not_emulated()


def test_not_emulated_list_is_sorted_unique_and_names_only_bound_functions() -> None:
    names = [e.name for e in NOT_EMULATED]
    assert names == sorted(names), "csrc/emu/not_emulated.txt must stay sorted (one name per line)"
    assert len(set(names)) == len(names)
    api = apigen.load_api()
    apigen.check_not_emulated(api, NOT_EMULATED)  # raises on an unknown or emulator-only name
    unknown = sorted(set(names) - set(binding.prototypes))
    assert unknown == []
    assert all(binding.prototypes[n].library != "emulator" for n in names)


def test_not_emulated_list_checks_names() -> None:
    api = apigen.load_api()
    bad = [apigen.NotEmulated("aclrtNoSuchFunction", "", 3), apigen.NotEmulated("aclrtMallocCached", "", 4),
           apigen.NotEmulated("aclrtMallocCached", "", 5), apigen.NotEmulated("acllite_emu_version", "", 6)]
    with pytest.raises(ValueError) as info:
        apigen.not_emulated_source(api, bad, Path("list.txt"))
    text = str(info.value)
    assert "list.txt:3: aclrtNoSuchFunction is not a function of the declaration" in text
    assert "list.txt:5: aclrtMallocCached is listed twice (first on line 4)" in text
    assert "list.txt:6: acllite_emu_version is the emulator's own extension" in text


def _zero_argument(ctype: str) -> Any:
    t = ffi.typeof(ctype)
    if t.kind in ("pointer", "array", "function"):
        return ffi.NULL
    if t.kind in ("struct", "union"):
        return ffi.new(ffi.getctype(t, "*"))[0]
    if t.kind == "primitive" and t.cname in ("float", "double"):
        return 0.0
    return 0


#: What a not-emulated function returns besides ACL_ERROR_API_NOT_SUPPORT (aclError) and NULL (pointers).
ENUM_ERROR_VALUES = {"aclDataType": -1, "aclFormat": -1, "acldvppPixelFormat": 10000, "aclCannAttr": -1,
                     "aclDeviceInfo": -1}


@pytest.mark.skipif(not ON_EMULATOR, reason="needs the emulator backend")
@pytest.mark.parametrize("name", [e.name for e in NOT_EMULATED])
def test_a_not_emulated_function_fails_and_says_so(name: str) -> None:
    """Called with zeros and NULLs, the stub returns the API's error value and sets the recent error message;
    it never succeeds silently."""
    proto = binding.prototypes[name]
    lib.aclGetRecentErrMsg()  # the message is per thread: read (and keep) what is there before
    args = [_zero_argument(t) for t, _ in proto.params]
    result = getattr(lib, name)(*args)
    message = lib.aclGetRecentErrMsg()
    assert message != ffi.NULL
    assert native.c_text(message) == "%s: not emulated (acllite %s)" % (name, native.c_text(lib.acllite_emu_version()))
    if proto.returns == "aclError":
        assert result == 200001  # ACL_ERROR_API_NOT_SUPPORT
    elif proto.returns.endswith("*") or ffi.typeof(proto.returns).kind in ("pointer", "function"):
        assert result == ffi.NULL
    elif proto.returns == "void":
        assert result is None
    else:
        assert result == ENUM_ERROR_VALUES.get(proto.returns, 0), proto.text


def test_a_function_both_emulated_and_listed_fails_the_link(tmp_path: Path) -> None:
    """The generated stub of an emulated function collides with the emulator's own definition at link time."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler")
    api = apigen.load_api()
    stub = tmp_path / "stub.c"
    stub.write_text(apigen.not_emulated_source(api, [apigen.NotEmulated("aclrtMalloc", "", 1)]))
    flags = ["-std=c11", "-D_DEFAULT_SOURCE", '-DACLLITE_EMU_VERSION="test"', "-fPIC", "-fvisibility=hidden",
             "-I%s" % (ROOT / "csrc" / "api"), "-I%s" % (ROOT / "csrc" / "emu")]
    objects = []
    for src in (stub, ROOT / "csrc" / "emu" / "memapi.c"):
        obj = tmp_path / (src.stem + ".o")
        subprocess.run([gcc] + flags + ["-c", str(src), "-o", str(obj)], check=True, capture_output=True)
        objects.append(str(obj))
    link = subprocess.run([gcc, "-shared", "-o", str(tmp_path / "x.so")] + objects, capture_output=True, text=True)
    assert link.returncode != 0
    assert "multiple definition of `aclrtMalloc'" in link.stderr


def test_raw_binding_functions_are_the_cffi_functions() -> None:
    assert binding.aclrtGetRunMode is native.lib.aclrtGetRunMode
    assert binding.aclrtMalloc is native.lib.aclrtMalloc
    present = [n for n, p in binding.prototypes.items() if p.present]
    assert present and all(binding.functions[n] is getattr(native.lib, n) for n in present)
    assert all(getattr(binding, n) is binding.functions[n] for n in binding.functions)
    p = binding.prototypes["aclrtMemcpy"]
    assert p.params == (("void *", "dst"), ("size_t", "destMax"), ("const void *", "src"), ("size_t", "count"),
                        ("aclrtMemcpyKind", "kind"))
    assert p.returns == "aclError" and p.library == "ascendcl" and not p.variadic
    ranges = binding.prototypes["aclSetTensorShapeRange"]  # an array parameter, adjusted to a pointer
    assert ranges.params[2] == ("int64_t (*)[2]", "dimsRange")
    log = binding.prototypes["aclAppLog"]
    assert log.variadic and log.text.endswith("const char * fmt, ...)")
    assert binding.prototypes["aclprofInit"].library == "msprofiler"
    assert binding.prototypes["aclopCompile"].library == "acl_op_compiler"
    assert binding.prototypes["aclvdecSendFrame"].library == "acl_dvpp"


# ============================================================================ finding CANN


def test_find_cann_under_ascend_toolkit_home(tmp_path: Path) -> None:
    lib64 = fake_install(tmp_path)
    assert find_cann_libraries({"ASCEND_TOOLKIT_HOME": str(tmp_path)}) == {"ascendcl": lib64 / "libascendcl.so"}
    (lib64 / "libacl_dvpp.so").write_bytes(b"")
    assert find_cann_libraries({"ASCEND_TOOLKIT_HOME": str(tmp_path)}) == {"ascendcl": lib64 / "libascendcl.so",
                                                                          "acl_dvpp": lib64 / "libacl_dvpp.so"}


def test_find_cann_under_runtime_lib64_and_ascend_home_path(tmp_path: Path) -> None:
    rt = fake_install(tmp_path, "runtime/lib64")
    assert find_cann_libraries({"ASCEND_HOME_PATH": str(tmp_path)}) == {"ascendcl": rt / "libascendcl.so"}
    assert find_cann_libraries({"ASCEND_TOOLKIT_HOME": str(tmp_path)}) == {"ascendcl": rt / "libascendcl.so"}


def test_find_cann_on_ld_library_path(tmp_path: Path) -> None:
    empty, found = tmp_path / "empty", tmp_path / "found"
    empty.mkdir()
    lib = fake_install(found, ".", True, "libacl_op_compiler.so", "libmsprofiler.so")
    env = {"LD_LIBRARY_PATH": "%s::%s" % (empty, found)}
    assert find_cann_libraries(env) == {"ascendcl": lib / "libascendcl.so", "acl_dvpp": lib / "libacl_dvpp.so",
                                        "acl_op_compiler": lib / "libacl_op_compiler.so",
                                        "msprofiler": lib / "libmsprofiler.so"}


def test_find_cann_takes_a_library_missing_beside_libascendcl_from_elsewhere(tmp_path: Path) -> None:
    home = fake_install(tmp_path / "home")
    other = fake_install(tmp_path / "other", dvpp=True)
    env = {"ASCEND_TOOLKIT_HOME": str(tmp_path / "home"), "LD_LIBRARY_PATH": str(other)}
    assert find_cann_libraries(env) == {"ascendcl": home / "libascendcl.so", "acl_dvpp": other / "libacl_dvpp.so"}


def test_find_cann_pairs_libraries_from_the_directory_of_libascendcl_first(tmp_path: Path) -> None:
    """Every candidate directory holds a libacl_dvpp.so; the one beside the chosen libascendcl.so wins, also over
    directories searched BEFORE it for libascendcl.so (which hold no libascendcl.so)."""
    first = lib_dir(tmp_path / "first", "libacl_dvpp.so", "libmsprofiler.so")  # searched first: no libascendcl
    chosen = fake_install(tmp_path / "chosen", ".", True, "libmsprofiler.so")
    later = fake_install(tmp_path / "later", ".", True, "libmsprofiler.so", "libacl_op_compiler.so")
    env = {"LD_LIBRARY_PATH": os.pathsep.join(map(str, (first, chosen, later)))}
    assert find_cann_libraries(env) == {"ascendcl": chosen / "libascendcl.so", "acl_dvpp": chosen / "libacl_dvpp.so",
                                        "msprofiler": chosen / "libmsprofiler.so",
                                        "acl_op_compiler": later / "libacl_op_compiler.so"}
    env = {"ASCEND_TOOLKIT_HOME": str(tmp_path / "none"), "LD_LIBRARY_PATH": os.pathsep.join(map(str, (first, later)))}
    assert find_cann_libraries(env) == {"ascendcl": later / "libascendcl.so", "acl_dvpp": later / "libacl_dvpp.so",
                                        "msprofiler": later / "libmsprofiler.so",
                                        "acl_op_compiler": later / "libacl_op_compiler.so"}


def test_find_cann_prefers_the_same_install_over_other_candidates(tmp_path: Path) -> None:
    """libascendcl.so in <install>/runtime/lib64: the install's lib64 and compiler/lib64 come before the
    directories of another CANN, even one listed earlier in LD_LIBRARY_PATH."""
    other = fake_install(tmp_path / "other", ".", True, "libacl_op_compiler.so", "libmsprofiler.so")
    install = tmp_path / "cann"
    rt = fake_install(install, "runtime/lib64")
    lib_dir(install / "runtime" / "lib64", "libacl_dvpp.so", "libmsprofiler.so")
    compiler = lib_dir(install / "compiler" / "lib64", "libacl_op_compiler.so")
    env = {"ASCEND_HOME_PATH": str(install), "LD_LIBRARY_PATH": str(other)}
    assert find_cann_libraries(env) == {"ascendcl": rt / "libascendcl.so", "acl_dvpp": rt / "libacl_dvpp.so",
                                        "msprofiler": rt / "libmsprofiler.so",
                                        "acl_op_compiler": compiler / "libacl_op_compiler.so"}
    # Found through LD_LIBRARY_PATH alone (no ASCEND_* variable), the install's siblings still come first.
    env = {"LD_LIBRARY_PATH": os.pathsep.join([str(rt), str(other)])}
    found = find_cann_libraries(env)
    assert found is not None and found["acl_op_compiler"] == compiler / "libacl_op_compiler.so"


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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
typedef int aclError;
aclError aclInit(const char *configPath) { (void)configPath; return 0; }
aclError aclFinalize(void) { return 0; }
aclError aclrtGetRunMode(int *runMode) { *runMode = 0; /* ACL_DEVICE: not what the emulator says */ return 0; }
aclError aclrtGetVersion(int32_t *major, int32_t *minor, int32_t *patch) {
    *major = 1; *minor = 0; *patch = 0; return 0;
}
/* A profiler function found through libascendcl.so when libmsprofiler.so is absent (the group's fallback). */
aclError aclprofInit(const char *path, size_t length) { (void)path; return length == 7 ? 0 : 100000; }
/* What the variadic trampoline hands over: its format and its first argument, kept for the test to read. */
static char last_log[256];
void aclAppLog(int level, const char *func, const char *file, uint32_t line, const char *fmt, ...) {
    if (fmt == NULL) { snprintf(last_log, sizeof last_log, "%d|no format", level); return; }
    va_list ap; va_start(ap, fmt);
    int n = snprintf(last_log, sizeof last_log, "%d|%s|%s|%u|%s|", level, func, file, line, fmt);
    vsnprintf(last_log + n, sizeof last_log - (size_t)n, fmt, ap);
    va_end(ap);
}
const char *fake_last_log(void) { return last_log; }
"""

FAKE_DVPP = r"""
#include <stddef.h>
typedef int aclError;
aclError acldvppMalloc(void **devPtr, size_t size) { (void)devPtr; return size == 1 ? 0 : 100000; }
"""


@pytest.fixture(scope="module")
def fake_cann(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler to build the stand-in libascendcl.so")
    root = tmp_path_factory.mktemp("fake-cann")
    for text, sub, name in ((FAKE_CANN, "lib64", "libascendcl.so"), (FAKE_DVPP, "runtime/lib64", "libacl_dvpp.so")):
        (root / sub).mkdir(parents=True)
        src = root / (name + ".c")
        src.write_text(text)
        subprocess.run([gcc, "-shared", "-fPIC", "-o", str(root / sub / name), str(src)], check=True,
                       capture_output=True)
    # A libacl_dvpp.so of "another CANN" earlier on LD_LIBRARY_PATH must not be paired with this install's.
    (root / "other").mkdir()
    (root / "other" / "libacl_dvpp.so").write_bytes(b"not a shared object")
    return root


def _in_fake_cann(fake_cann: Path, code: str, backend: str = "cann") -> Dict:
    env = {"ACLLITE_BACKEND": backend, "ASCEND_TOOLKIT_HOME": str(fake_cann), "ASCEND_HOME_PATH": None,
           "LD_LIBRARY_PATH": str(fake_cann / "other")}
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
    r["prof_init"] = [raw.aclprofInit(b"x", 7), raw.aclprofInit(b"x", 8)]
    r["dvpp_malloc"] = raw.acldvppMalloc(ffi.new("void **"), 1)
    for name, call in (("prof_error", lambda: acllite.binding.aclprofFinalize()),
                       ("compiler_error", lambda: acllite.binding.aclGetCompileoptSize(0))):
        try:
            call()
        except acllite.AclFunctionUnavailable as e:
            r[name] = str(e)
    import ctypes
    raw.aclAppLog(2, b"fn", b"file.c", 7, b"%s=%d%%", ffi.new("char[]", b"x"), ffi.cast("int", 42))
    fake = ctypes.CDLL(info.libraries["ascendcl"])
    fake.fake_last_log.restype = ctypes.c_char_p
    r["log"] = fake.fake_last_log().decode()
    raw.aclAppLog(3, b"fn", b"file.c", 8, ffi.NULL)
    r["log_null"] = fake.fake_last_log().decode()
    print(json.dumps(r))
    """)
    so = str(fake_cann / "lib64" / "libascendcl.so")
    dvpp = str(fake_cann / "runtime" / "lib64" / "libacl_dvpp.so")
    assert r["name"] == "cann"
    assert r["libraries"] == {"ascendcl": so, "acl_dvpp": dvpp}  # dvpp from the same install, not from "other"
    assert r["dvpp_malloc"] == 0 and r["prof_init"] == [0, 100000]  # aclprofInit found through libascendcl.so
    assert "aclprofFinalize is not in libmsprofiler.so (not found) (backend cann, AscendCL 1.0.0)" in r["prof_error"]
    assert "aclGetCompileoptSize is not in libacl_op_compiler.so (not found)" in r["compiler_error"]
    # The variadic trampoline formats the arguments and hands the library "%s" and the text.
    assert r["log"] == "2|fn|file.c|7|%s|x=42%"
    assert r["log_null"] == "3|no format"  # a NULL format is passed on, not formatted
    assert r["version"] == [1, 0, 0]
    assert r["run_mode"] == 0 and r["run_mode_obj"] == 0  # answered by the stand-in, not the emulator
    missing = set(r["missing"])
    assert {"aclrtMalloc", "aclrtMemcpy", "aclrtSetDevice", "aclGetRecentErrMsg"} <= missing
    present = {"aclInit", "aclFinalize", "aclrtGetRunMode", "aclrtGetVersion", "aclprofInit", "aclAppLog",
               "acldvppMalloc"}
    assert not missing & present
    assert not any(n.startswith("acllite_emu_") for n in missing)  # emulator extensions are not "missing"
    assert missing == {p for p, proto in binding.prototypes.items() if proto.library != "emulator"} - present
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


# ============================================================================================ every symbol


@pytest.fixture(scope="module")
def full_cann(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in CANN exporting every bound function of every library group (tests/fake_cann.py)."""
    root = tmp_path_factory.mktemp("full-cann")
    try:
        full_stand_in.build(root)
    except RuntimeError as e:
        pytest.skip(str(e))
    return root


def test_a_cann_exporting_every_symbol_leaves_nothing_missing(full_cann: Path) -> None:
    """Every bound function is found in its library group's file; each answers the stand-in's value through
    the binding (aclError, pointer, string and number returns), and the stand-in's log shows the call."""
    r = _in_fake_cann(full_cann, """
    import json, acllite
    from acllite._native import ffi, lib
    import fake_cann
    info = acllite.backend_info()
    lib_path = info.libraries["ascendcl"]
    fake_cann.reset(lib_path)
    r = {"name": info.name, "missing": list(info.missing), "groups": sorted(info.libraries),
         "malloc": lib.aclrtMalloc(ffi.new("void **"), 64, 0),
         "desc": int(ffi.cast("uintptr_t", lib.aclmdlCreateDesc())),
         "soc": ffi.string(lib.aclrtGetSocName()).decode(), "dtype": lib.aclDataTypeSize(0),
         "vdec": lib.aclvdecCreateChannel(ffi.NULL), "prof": lib.aclprofFinalize()}
    r["log"] = fake_cann.calls(lib_path)
    print(json.dumps(r))
    """.replace("import fake_cann", "import sys; sys.path.insert(0, %r); import fake_cann" % str(ROOT / "tests")))
    assert r["name"] == "cann" and r["groups"] == ["acl_dvpp", "acl_op_compiler", "ascendcl", "msprofiler"]
    assert [m for m in r["missing"] if not m.startswith("acllite_emu_")] == []
    assert (r["malloc"], r["vdec"], r["prof"]) == (full_stand_in.RET,) * 3
    assert (r["desc"], r["soc"], r["dtype"]) == (full_stand_in.POINTER, "fake", full_stand_in.NUMBER)
    assert r["log"] == ["aclrtMalloc", "aclmdlCreateDesc", "aclrtGetSocName", "aclDataTypeSize"]
