"""Load the compiled binding and fill its dispatch table from a backend chosen at run time.

``ACLLITE_BACKEND=auto|cann|emulator`` (default ``auto``: the real CANN libraries when they are found, the
built-in emulator otherwise). The choice is made once per process, at the first import of acllite.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

try:
    from ._acl_cffi import ffi, lib
except ModuleNotFoundError as _exc:  # a source checkout on sys.path, shadowing the installed package
    if _exc.name != __package__ + "._acl_cffi":
        raise
    raise ImportError(
        "acllite's compiled binding is not built in %s (a source checkout: Python found it first on sys.path). "
        "Run from another directory to use the installed acllite, or build the checkout in place with "
        "`pip install -e .` (docs/DEVELOPING.md)" % Path(__file__).resolve().parent) from None

__all__ = ["ffi", "lib", "BackendInfo", "backend_info", "find_cann_libraries", "emulator_library", "library_groups"]

logger = logging.getLogger("acllite")

ASCENDCL = "libascendcl.so"
ACL_DVPP = "libacl_dvpp.so"
_DEFAULT_INSTALLS = ("/usr/local/Ascend/ascend-toolkit/latest", "~/Ascend/ascend-toolkit/latest",
                     "/usr/local/Ascend/cann")
#: Where a CANN install keeps its libraries, relative to its root (lib64 holds links to the others).
_INSTALL_LIB_DIRS = ("lib64", "runtime/lib64", "compiler/lib64")


@dataclass(frozen=True)
class BackendInfo:
    """Which backend the binding runs on, and what it found there."""

    name: str  #: "cann" or "emulator"
    libraries: Dict[str, str]  #: library group ("ascendcl", "acl_dvpp", ..., "emulator") -> path loaded
    missing: Tuple[str, ...] = field(default_factory=tuple)  #: bound functions the backend lacks
    version: Tuple[int, int, int] = (0, 0, 0)  #: aclrtGetVersion, (0, 0, 0) when unavailable


def c_text(cdata: Any) -> str:
    """A NUL-terminated C string (``char *``) as str."""
    value = ffi.string(cdata)
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def library_groups() -> List[Tuple[str, Optional[str]]]:
    """The binding's library groups, in its loader's order: (group, CANN file name or None for the emulator's)."""
    out = []
    for i in range(lib.acllite_binding_group_count()):
        soname = lib.acllite_binding_group_soname(i)
        out.append((c_text(lib.acllite_binding_group_name(i)), c_text(soname) if soname != ffi.NULL else None))
    return out


def emulator_library() -> Path:
    """Path of the built-in emulator (libacllite_emu.so, installed beside this module)."""
    return Path(__file__).resolve().parent / "libacllite_emu.so"


def _candidate_dirs(env: Mapping[str, str]) -> List[Path]:
    dirs: List[Path] = []
    for var in ("ASCEND_TOOLKIT_HOME", "ASCEND_HOME_PATH"):
        if env.get(var):
            home = Path(env[var]).expanduser()
            dirs += [home / sub for sub in _INSTALL_LIB_DIRS]
    dirs += [Path(p) for p in env.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    for default in _DEFAULT_INSTALLS:
        base = Path(default).expanduser()
        dirs += [base / sub for sub in _INSTALL_LIB_DIRS]
    return dirs


def _same_install(acl_dir: Path) -> List[Path]:
    """The library directories of the CANN install that ``acl_dir`` (holding libascendcl.so) belongs to."""
    for sub in sorted(_INSTALL_LIB_DIRS, key=lambda x: -len(Path(x).parts)):  # runtime/lib64 before lib64
        parts = Path(sub).parts
        if acl_dir.parts[-len(parts):] == parts:
            root = Path(*acl_dir.parts[:-len(parts)])
            return [root / s for s in _INSTALL_LIB_DIRS]
    return []


def find_cann_libraries(env: Optional[Mapping[str, str]] = None) -> Optional[Dict[str, Path]]:
    """Find CANN's libraries the way its set_env.sh arranges them: library group -> path, or None without
    libascendcl.so. Groups whose library is not found are left out (their functions fail when called).

    libascendcl.so is searched in order in ``$ASCEND_TOOLKIT_HOME`` and ``$ASCEND_HOME_PATH`` (``lib64``,
    ``runtime/lib64``, ``compiler/lib64``), the directories of ``$LD_LIBRARY_PATH``, then the default installs
    under ``/usr/local/Ascend`` and ``~/Ascend``. Every other library (libacl_dvpp.so, ...) is looked for FIRST
    in the directory of the chosen libascendcl.so, then in the other library directories of the same install,
    and only then in the other candidates, so that two CANN versions are never paired.
    """
    env = os.environ if env is None else env
    dirs = _candidate_dirs(env)
    for d in dirs:
        acl = d / ASCENDCL
        if not acl.is_file():
            continue
        search: List[Path] = []
        for x in [d] + _same_install(d) + dirs:
            if x not in search:
                search.append(x)
        found = {"ascendcl": acl}
        for group, soname in library_groups():
            if group == "ascendcl" or soname is None:
                continue
            path = next((x / soname for x in search if (x / soname).is_file()), None)
            if path is not None:
                found[group] = path
        return found
    return None


def _load() -> BackendInfo:
    choice = os.environ.get("ACLLITE_BACKEND", "auto").strip().lower() or "auto"
    if choice not in ("auto", "cann", "emulator"):
        raise ImportError("ACLLITE_BACKEND=%r: expected auto, cann or emulator" % choice)
    found = find_cann_libraries() if choice in ("auto", "cann") else None
    if choice == "cann" and found is None:
        raise ImportError(
            "ACLLITE_BACKEND=cann but %s was not found: source CANN's set_env.sh (ASCEND_TOOLKIT_HOME) "
            "or set LD_LIBRARY_PATH" % ASCENDCL
        )
    groups = [g for g, _ in library_groups()]
    if found is not None:
        libraries = {g: str(found[g]) for g in groups if g in found}
        name, global_symbols = "cann", 1  # RTLD_GLOBAL: libacl_dvpp.so and the others find libascendcl.so
    else:
        emu = str(emulator_library())
        libraries = {g: emu for g in groups}
        name, global_symbols = "emulator", 0
    cells = [ffi.new("char[]", libraries[g].encode()) if g in libraries else ffi.NULL for g in groups]
    paths = ffi.new("const char *[]", cells)
    err = ffi.new("char[]", 1024)
    rc = lib.acllite_binding_load(paths, len(groups), global_symbols, err, 1024)
    if rc != 0:
        raise ImportError("acllite: %s" % c_text(err))
    if name == "emulator":
        from .emulator import start  # the emulator's host services (models, image codecs); nothing else starts them

        start()
    missing = tuple(
        c_text(lib.acllite_binding_name(i))
        for i in range(lib.acllite_binding_count())
        if not lib.acllite_binding_present(i) and c_text(lib.acllite_binding_library(i)) != "emulator"
    )
    version = (0, 0, 0)
    if "aclrtGetVersion" not in missing:
        v = ffi.new("int32_t[3]")
        if lib.aclrtGetVersion(v, v + 1, v + 2) == 0:
            version = (v[0], v[1], v[2])
    info = BackendInfo(name, libraries, missing, version)
    logger.info("acllite backend: %s (%s), AscendCL %d.%d.%d%s", name, libraries["ascendcl"], *version,
                ", missing: %d functions" % len(missing) if missing else "")
    return info


_BACKEND = _load()


def backend_info() -> BackendInfo:
    """The backend this process runs on (chosen once, at import)."""
    return _BACKEND
