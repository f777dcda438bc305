"""Conformance of acllite's C declarations (csrc/api/*.h) with the real CANN headers.

``csrc/apigen.py`` turns the declarations into C++17 source made of ``static_assert``s (one per constant, enum
member, struct and union field, typedef and prototype) that includes the real AscendCL headers; this test compiles
it with ``g++ -fsyntax-only`` and fails on any difference, naming every item that differs. A compiled check can
only compare what we declare; what we lack is found by reading the real headers in Python
(``apigen.scan_real_header``): every function they export, every member of their enums, every type name and
every literal constant must be declared too.

The DVPP header (``acl/ops/acl_dvpp.h``) ships with no package in the registries: it is checked when an
``ACLLITE_CANN_INCLUDE`` directory holds it (docs/DEVELOPING.md says how to point it at graphengine's copy).

Where the real headers come from, first match wins:

1. ``ACLLITE_CANN_INCLUDE``: include directories separated by ``os.pathsep`` (e.g. a CANN install's
   ``include/``, a folder holding ``acl/ops/acl_dvpp.h``); one of them must hold ``acl/acl.h``.
2. ``$ACLLITE_HEADER_CACHE/torch-npu-2.14.0`` (default cache ``~/.cache/acllite/cann-headers``).
3. A download of the torch-npu 2.14.0 wheel from PyPI with pip, of which only ``torch_npu/include/acl/**``
   is kept (in the cache of 2.); the wheel is deleted.

Without headers (offline, nothing provided) or without g++ the compiling tests are skipped with the reason.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "csrc") not in sys.path:
    sys.path.insert(0, str(ROOT / "csrc"))
import apigen  # noqa: E402

TORCH_NPU = "torch-npu==2.14.0"
CACHE_NAME = "torch-npu-2.14.0"
WHEEL_PREFIX = "torch_npu/include/"
#: Any platform's wheel carries the same headers; this one is tried when the running platform has none.
FALLBACK_PLATFORM = ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11")
HOW_TO_PROVIDE = (
    "provide the CANN headers with ACLLITE_CANN_INCLUDE=<dir holding acl/acl.h>[%s<more dirs>], or put them "
    "in %s/acl/, or run once with network access so that pip can download %s"
)

_DIAGNOSTIC_RE = re.compile(r"^(?P<path>.*?):(?P<line>\d+):(?:\d+:)? (?:fatal )?error: (?P<text>.*)$")
_STATIC_ASSERT_RE = re.compile(r"^static assertion failed(?: due to requirement .*?)?: (?P<item>.*)$")
_ITEM_RE = re.compile(r'"([^"]*)"\);\s*$', re.M)


# ------------------------------------------------------------------------------------------ the headers


def _cache_root() -> Path:
    """The header cache (``$ACLLITE_HEADER_CACHE``, default ``~/.cache/acllite/cann-headers``)."""
    configured = os.environ.get("ACLLITE_HEADER_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "acllite" / "cann-headers"


def _has_acl(include: Path) -> bool:
    return (include / "acl" / "acl.h").is_file()


def _include_dirs_from_env(value: str) -> List[Path]:
    """The directories of ``ACLLITE_CANN_INCLUDE``; fails (not skips) on a wrong setting, since it was asked for."""
    dirs = [Path(p).expanduser().resolve() for p in value.split(os.pathsep) if p.strip()]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        pytest.fail("ACLLITE_CANN_INCLUDE names directories that do not exist: %s" % ", ".join(missing))
    if not any(_has_acl(d) for d in dirs):
        pytest.fail("ACLLITE_CANN_INCLUDE=%s: none of its directories holds acl/acl.h" % value)
    return dirs


def _pip_download(dest: Path) -> Tuple[Optional[Path], str]:
    """Download the torch-npu wheel into ``dest``; (the wheel or None, pip's last words on failure)."""
    base = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
            "--retries", "2", "-q", "-d", str(dest), TORCH_NPU]
    why = ""
    for extra in ((), FALLBACK_PLATFORM):
        try:
            run = subprocess.run(base + list(extra), capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = str(exc)
            continue
        wheels = sorted(dest.glob("*.whl"))
        if run.returncode == 0 and wheels:
            return wheels[0], ""
        lines = [ln.strip() for ln in (run.stderr or run.stdout).splitlines() if ln.strip()]
        why = lines[-1] if lines else "pip exited with status %d" % run.returncode
    return None, why


def _extract_acl_headers(wheel: Path, dest: Path) -> None:
    """Copy ``torch_npu/include/acl/**`` of the wheel to ``dest/acl/**``."""
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.startswith(WHEEL_PREFIX + "acl/"):
                continue
            rel = PurePosixPath(info.filename[len(WHEEL_PREFIX):])
            if rel.is_absolute() or ".." in rel.parts:
                raise ValueError("unsafe path in %s: %s" % (wheel.name, info.filename))
            target = dest.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


def _cached_or_downloaded() -> Tuple[Optional[Path], str]:
    """The cached headers, downloading them first if absent; (include dir or None, why not)."""
    root = _cache_root()
    final = root / CACHE_NAME
    if _has_acl(final):
        return final, ""
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".download-", dir=root))
    except OSError as exc:
        return None, "cannot create the header cache %s: %s" % (root, exc)
    try:
        wheel, why = _pip_download(work / "wheel")
        if wheel is None:
            return None, "downloading %s failed: %s" % (TORCH_NPU, why)
        tree = work / "tree"
        _extract_acl_headers(wheel, tree)
        if not _has_acl(tree):
            return None, "%s holds no torch_npu/include/acl/acl.h" % wheel.name
        try:
            os.replace(tree, final)  # atomic: a concurrent run sees all of the headers or none
        except OSError:
            if not _has_acl(final):  # anything but "another process got there first" is an error
                raise
        return final, ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def include_dirs() -> List[Path]:
    """Include directories holding the real CANN headers (skips when there are none)."""
    configured = os.environ.get("ACLLITE_CANN_INCLUDE", "").strip()
    if configured:
        return _include_dirs_from_env(configured)
    found, why = _cached_or_downloaded()
    if found is None:
        how = HOW_TO_PROVIDE % (os.pathsep, _cache_root() / CACHE_NAME, TORCH_NPU)
        pytest.skip("no CANN headers (%s); %s" % (why, how))
    return [found]


@pytest.fixture(scope="session")
def gxx() -> str:
    """The g++ that compiles the checks (skips when there is none)."""
    path = shutil.which("g++")
    if path is None:
        pytest.skip("g++ not found on PATH: the conformance check compiles C++17 with g++")
    return path


@pytest.fixture(scope="session")
def api() -> apigen.Api:
    """acllite's declarations."""
    return apigen.load_api()


def _missing_headers(decl_file: str, include_dirs: Sequence[Path]) -> List[str]:
    return [h for h in apigen.CONFORMANCE_FILES[decl_file] if not any((d / h).is_file() for d in include_dirs)]


def _available_files(include_dirs: Sequence[Path]) -> Tuple[str, ...]:
    return tuple(f for f in apigen.CONFORMANCE_FILES if not _missing_headers(f, include_dirs))


# ------------------------------------------------------------------------------------------ compiling


@dataclass(frozen=True)
class Failure:
    """One difference: the item (the static_assert message naming it) and what the compiler said."""

    item: str
    error: str

    def __str__(self) -> str:
        if not self.item:
            return self.error
        return self.item if self.error.startswith("static assertion failed") else "%s: %s" % (self.item, self.error)


def compile_checks(source: str, gxx: str, include_dirs: Sequence[Path], workdir: Path) -> List[Failure]:
    """Compile the conformance source; every failing item and every other error, in order, without repeats."""
    src = workdir / "conformance.cpp"
    src.write_text(source)
    cmd = [gxx, "-std=c++17", "-fsyntax-only", "-fmax-errors=0", "-fdiagnostics-color=never",
           "-fno-diagnostics-show-caret"] + ["-I%s" % d for d in include_dirs] + [src.name]
    env = dict(os.environ, LC_ALL="C", LANG="C")
    run = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env, timeout=600)
    lines = source.splitlines()
    failures: List[Failure] = []
    for out_line in (run.stderr + run.stdout).splitlines():
        m = _DIAGNOSTIC_RE.match(out_line)
        if not m:
            continue
        text = m.group("text")
        assertion = _STATIC_ASSERT_RE.match(text)
        if assertion:
            found = Failure(assertion.group("item"), text)
        elif m.group("path") == src.name:
            # An error on one of our checks (e.g. an undeclared function): name the item of that line.
            line_no = int(m.group("line"))
            named = _ITEM_RE.search(lines[line_no - 1]) if 0 < line_no <= len(lines) else None
            found = Failure(named.group(1) if named else "", text if named else "line %d: %s" % (line_no, text))
        else:
            found = Failure("", "%s:%s: %s" % (m.group("path"), m.group("line"), text))
        if found not in failures:
            failures.append(found)
    if run.returncode != 0 and not failures:
        failures.append(Failure("", "g++ exited with status %d:\n%s" % (run.returncode, run.stderr[-4000:])))
    return failures


def _report(failures: Sequence[Failure], files: Sequence[str], include_dirs: Sequence[Path]) -> str:
    return "%d difference(s) between %s and the CANN headers in %s:\n  %s" % (
        len(failures), ", ".join(files), os.pathsep.join(map(str, include_dirs)),
        "\n  ".join(str(f) for f in failures))


# ------------------------------------------------------------------------------------------ the tests


def _required_files() -> List[str]:
    """Declaration files that must be checked wherever headers are found: all but DVPP's (its header ships
    apart from the rest, see the module docstring)."""
    return [f for f, headers in apigen.CONFORMANCE_FILES.items() if apigen.DVPP_HEADER not in headers]


def test_declarations_match_cann_headers(api: apigen.Api, gxx: str, include_dirs: List[Path], tmp_path: Path) -> None:
    """Every declaration file whose real headers are present, compiled together, matches them exactly."""
    files = _available_files(include_dirs)
    absent = [f for f in _required_files() if f not in files]
    assert not absent, "declaration files without their real headers in %s: %s" % (
        os.pathsep.join(map(str, include_dirs)), ", ".join("%s (%s)" % (f, ", ".join(_missing_headers(f, include_dirs)))
                                                          for f in absent))
    failures = compile_checks(apigen.conformance_source(api, files), gxx, include_dirs, tmp_path)
    assert not failures, _report(failures, files, include_dirs)


@pytest.mark.parametrize("decl_file", list(apigen.CONFORMANCE_FILES))
def test_declaration_file_matches(decl_file: str, api: apigen.Api, gxx: str, include_dirs: List[Path],
                                  tmp_path: Path) -> None:
    """One declaration file on its own; skipped when its real headers are not in the include directories."""
    missing = _missing_headers(decl_file, include_dirs)
    if missing:
        pytest.skip("%s not checked: its real header(s) %s are not in %s; " % (
            decl_file, ", ".join(missing), os.pathsep.join(map(str, include_dirs)))
            + "add a CANN include directory that has them to ACLLITE_CANN_INCLUDE")
    failures = compile_checks(apigen.conformance_source(api, (decl_file,)), gxx, include_dirs, tmp_path)
    assert not failures, _report(failures, (decl_file,), include_dirs)


def _mutate_line(source: str, marker: str, old: str, new: str) -> str:
    """Replace the first ``old`` in the first line containing ``marker``."""
    lines = source.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if marker in line:
            assert old in line, "expected %r in the check %r" % (old, line.strip())
            lines[i] = line.replace(old, new, 1)
            return "".join(lines)
    raise AssertionError("no check containing %r in the generated source" % marker)


def test_check_reports_differences(api: apigen.Api, gxx: str, include_dirs: List[Path], tmp_path: Path) -> None:
    """A wrong enum value, a wrong parameter type and an undeclared function are each reported by name."""
    files = _available_files(include_dirs)
    member = "ACL_MEMCPY_DEVICE_TO_HOST"
    value = dict(next(e for e in api.enums if e.name == "aclrtMemcpyKind").members)[member]
    original = apigen.conformance_source(api, files)
    baseline = {f.item for f in compile_checks(original, gxx, include_dirs, tmp_path)}  # differences already there
    source = _mutate_line(original, "(long long)::%s == " % member, "== %dLL" % value, "== %dLL" % (value + 100))
    source = _mutate_line(source, "decltype(::aclrtMemcpy)", "size_t destMax", "int destMax")
    source = source.replace("int main()", 'static_assert(std::is_same<decltype(::aclrtNoSuchFunction), aclError (void)>'
                            '::value, "prototype of aclrtNoSuchFunction");\nint main()', 1)
    failures = compile_checks(source, gxx, include_dirs, tmp_path)
    mutated = {"enum aclrtMemcpyKind: %s == %d" % (member, value), "prototype of aclrtMemcpy",
               "prototype of aclrtNoSuchFunction"}
    items = {f.item for f in failures}
    assert items == baseline | mutated, "expected %s reported besides the existing %s, got:\n  %s" % (
        sorted(mutated), sorted(baseline), "\n  ".join(map(str, failures)))
    assert any("has not been declared" in f.error for f in failures if f.item == "prototype of aclrtNoSuchFunction"), \
        "the undeclared function's own error is missing:\n  %s" % "\n  ".join(map(str, failures))


def test_checks_cover_every_declaration(api: apigen.Api) -> None:
    """One check per function, constant, enum member, struct/union field and typedef of the checked files."""
    files = tuple(apigen.CONFORMANCE_FILES)
    source = apigen.conformance_source(api, files)
    messages = _ITEM_RE.findall(source)
    counts = apigen.checked_items(api, files)

    def names(prefix: str) -> List[str]:
        return sorted(m[len(prefix):].split(" ")[0] for m in messages if m.startswith(prefix))

    expected: Dict[str, List[str]] = {
        "functions": sorted(f.name for f in api.functions if f.source in files),
        "constants": sorted(c.name for c in api.constants if c.source in files),
        "enum members": sorted("%s:%s" % (e.name, m) for e in api.enums if e.source in files for m, _ in e.members),
        "structs": sorted(s.name for s in api.structs if s.source in files),
        "struct fields": sorted("%s:%s" % (s.name, f) for s in api.structs if s.source in files for f in s.fields),
        "typedefs": sorted(d.name for d in api.typedefs if d.source in files),
    }
    record = re.compile(r"^(?:struct|union) (\w+) size$")
    records = {m.group(1) for m in map(record.match, messages) if m}
    enums = {m.split(" ")[1] for m in messages if re.match(r"^enum \w+ size$", m)}
    checked = {
        "functions": names("prototype of "),
        "constants": names("constant "),
        "enum members": sorted(re.sub(r"^enum (\w+): (\w+) == -?\d+$", r"\1:\2", m) for m in messages
                               if re.match(r"enum \w+: \w+ == -?\d+$", m)),
        "structs": sorted(records),
        "struct fields": sorted(re.sub(r"^(?:struct|union) (\w+): offset of (\w+)$", r"\1:\2", m) for m in messages
                                if re.match(r"(?:struct|union) \w+: offset of \w+$", m)),
        # every typedef is checked as such, or (a complete struct/union/enum) by its layout or members
        "typedefs": sorted({d.name for d in api.typedefs if d.source in files}
                           & (set(names("typedef ")) | records | enums)),
    }
    for kind, want in expected.items():
        assert checked[kind] == want, "%s checked differ from those declared: missing %s, extra %s" % (
            kind, sorted(set(want) - set(checked[kind])), sorted(set(checked[kind]) - set(want)))
        assert counts.get(kind, len(want)) == len(want), "checked_items()[%r] == %d, but %d are declared" % (
            kind, counts[kind], len(want))
    # Handles, callbacks, opaque structs and aliases are compared with the real type itself.
    for d in api.typedefs:
        if d.source in files and d.category in ("handle", "callback", "alias", "opaque"):
            assert "typedef %s is %s" % (d.name, apigen._global_type(api, d)) in messages or d.category == "opaque"
        if d.source in files and d.category == "opaque":
            assert "typedef %s is an opaque struct" % d.name in messages

    # No declaration file of real AscendCL, DVPP, compiler or profiler functions escapes the check.
    unlisted = sorted({f.source for f in api.functions if f.library != "emulator"} - set(files))
    assert not unlisted, "declaration files missing from apigen.CONFORMANCE_FILES: %s" % ", ".join(unlisted)


# ------------------------------------------------------------------------ what the real headers have that we lack


def _real_header_paths(include_dirs: Sequence[Path]) -> Dict[str, Path]:
    found = {}
    for h in apigen.REAL_HEADERS + (apigen.DVPP_HEADER,):
        for d in include_dirs:
            if (d / h).is_file():
                found[h] = d / h
                break
    return found


@pytest.mark.parametrize("header", apigen.REAL_HEADERS + (apigen.DVPP_HEADER,))
def test_the_declaration_lacks_nothing_of_the_real_header(header: str, api: apigen.Api,
                                                          include_dirs: List[Path]) -> None:
    """Every function the header exports (deprecated ones too), every member of its enums, every type name and
    literal constant it declares is in the declaration."""
    path = _real_header_paths(include_dirs).get(header)
    if path is None:
        if header == apigen.DVPP_HEADER:
            pytest.skip("%s is not in %s: add graphengine's 910/inc/external to ACLLITE_CANN_INCLUDE "
                        "(docs/DEVELOPING.md)" % (header, os.pathsep.join(map(str, include_dirs))))
        pytest.fail("%s is missing from the CANN headers in %s" % (header, os.pathsep.join(map(str, include_dirs))))
    real = apigen.scan_real_header(path.read_text(), header)
    missing = apigen.missing_from_declaration(api, real)
    assert not any(missing.values()), "%s declares what csrc/api lacks:\n  %s" % (header, "\n  ".join(
        "%s: %s" % (kind, ", ".join(items)) for kind, items in missing.items() if items))
    assert real.functions or real.constants, "nothing found in %s: the scan is broken" % header


def test_bound_functions_per_real_header(api: apigen.Api, include_dirs: List[Path]) -> None:
    """The count of each header's exported functions equals the count of those bound; a visible summary."""
    lines = []
    for header, path in sorted(_real_header_paths(include_dirs).items()):
        real = apigen.scan_real_header(path.read_text(), header)
        bound = [f for f in real.functions if any(g.name == f for g in api.functions)]
        members = sum(len(m) for m in real.enums.values())
        lines.append("%-34s functions %3d/%3d  enums %2d (%3d members)  types %3d  constants %3d" % (
            header, len(bound), len(real.functions), len(real.enums), members, len(real.typedefs),
            len(real.constants)))
        assert len(bound) == len(real.functions) == len(set(real.functions)), lines[-1]
    print("\n" + "\n".join(lines))


REAL_HEADER_SAMPLE = """
#define ACL_FUNC_VISIBILITY __attribute__((visibility("default")))
#define X_LIMIT 16U
#define X_NAME "x"
#define X_GUARD_H_
static const int X_CODE = 7;
typedef void *xHandle;
typedef struct xOpaque xOpaque;
typedef void (*xCallback)(void *userData);
typedef enum xKind { X_A, X_B ACL_DEPRECATED_MESSAGE("use X_C") = 1, X_C = 1 } xKind;
enum xPlain { X_P = 0 };
typedef struct { int a; union { int b; } u; } xRecord;
struct xTagged { int a; };
/* ACL_FUNC_VISIBILITY int commented(void); */
ACL_DEPRECATED_MESSAGE("use xNew") ACL_FUNC_VISIBILITY aclError xOld(int (*cb)(int), const char *s);
ACL_FUNC_VISIBILITY const char *xName(
    xHandle h);
MSVP_PROF_API void xProf();
"""


def test_scan_of_a_real_header() -> None:
    real = apigen.scan_real_header(REAL_HEADER_SAMPLE)
    assert real.functions == ["xOld", "xName", "xProf"]
    assert real.enums == {"xKind": ["X_A", "X_B", "X_C"], "xPlain": ["X_P"]}
    assert real.typedefs == sorted(["xHandle", "xOpaque", "xCallback", "xKind", "xPlain", "xRecord", "xTagged"])
    assert real.constants == {"X_LIMIT": "16U", "X_NAME": '"x"', "X_CODE": "7"}


def test_a_missing_enum_member_or_function_is_reported(api: apigen.Api) -> None:
    """Had the declaration lacked them (as it did: the 8 new aclDataType members and the 5
    ACL_FORMAT_FRACTAL_NZ_C0_*), the scan says so by name."""
    lacking = copy.deepcopy(api)
    for e in lacking.enums:
        if e.name == "aclDataType":
            e.members = [m for m in e.members if m[0] != "ACL_HIFLOAT8"]
    lacking.functions = [f for f in lacking.functions if f.name != "aclFloat16ToFloat"]
    header = """typedef enum { ACL_DT_UNDEFINED = -1, ACL_FLOAT = 0, ACL_HIFLOAT8 = 34 } aclDataType;
    ACL_FUNC_VISIBILITY float aclFloat16ToFloat(aclFloat16 value);
    ACL_FUNC_VISIBILITY aclError aclInit(const char *configPath);"""
    missing = apigen.missing_from_declaration(lacking, apigen.scan_real_header(header))
    assert missing == {"functions": ["aclFloat16ToFloat"], "enum members": ["aclDataType.ACL_HIFLOAT8"],
                       "types": [], "constants": []}
    assert apigen.missing_from_declaration(api, apigen.scan_real_header(header)) == {
        "functions": [], "enum members": [], "types": [], "constants": []}
