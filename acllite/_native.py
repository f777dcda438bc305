"""Load the compiled binding and fill its dispatch table from a backend chosen at run time.

``ACLLITE_BACKEND=auto|cann|emulator`` (default ``auto``: the real CANN libraries when they are found, the
built-in emulator otherwise). The choice is made once per process, at the first import of acllite.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

try:
    from ._acl_cffi import ffi, lib
except ModuleNotFoundError as _exc:  # a source checkout on sys.path, shadowing the installed package
    if _exc.name != __package__ + "._acl_cffi":
        raise
    raise ImportError(
        "acllite's compiled binding is not built in %s (a source checkout: Python found it first on sys.path). "
        "Run from another directory to use the installed acllite, or build the checkout in place with "
        "`pip install -e .` (docs/DEVELOPING.md)" % Path(__file__).resolve().parent) from None

__all__ = ["ffi", "lib", "BackendInfo", "backend_info", "find_cann_libraries", "emulator_library"]

logger = logging.getLogger("acllite")

ASCENDCL = "libascendcl.so"
ACL_DVPP = "libacl_dvpp.so"
_DEFAULT_INSTALLS = ("/usr/local/Ascend/ascend-toolkit/latest", "~/Ascend/ascend-toolkit/latest", "/usr/local/Ascend/cann")


@dataclass(frozen=True)
class BackendInfo:
    """Which backend the binding runs on, and what it found there."""

    name: str  #: "cann" or "emulator"
    libraries: Dict[str, str]  #: library group ("ascendcl", "acl_dvpp", "emulator") -> path loaded
    missing: Tuple[str, ...] = field(default_factory=tuple)  #: bound functions the backend lacks
    version: Tuple[int, int, int] = (0, 0, 0)  #: aclrtGetVersion, (0, 0, 0) when unavailable


def emulator_library() -> Path:
    """Path of the built-in emulator (libacllite_emu.so, installed beside this module)."""
    return Path(__file__).resolve().parent / "libacllite_emu.so"


def _candidate_dirs(env: Mapping[str, str]) -> List[Path]:
    dirs: List[Path] = []
    for var in ("ASCEND_TOOLKIT_HOME", "ASCEND_HOME_PATH"):
        if env.get(var):
            home = Path(env[var]).expanduser()
            dirs += [home / "lib64", home / "runtime" / "lib64"]
    dirs += [Path(p) for p in env.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    for home in _DEFAULT_INSTALLS:
        base = Path(home).expanduser()
        dirs += [base / "lib64", base / "runtime" / "lib64"]
    return dirs


def find_cann_libraries(env: Optional[Mapping[str, str]] = None) -> Optional[Tuple[Path, Optional[Path]]]:
    """Find (libascendcl.so, libacl_dvpp.so or None) the way CANN's set_env.sh arranges them.

    Searched in order: ``$ASCEND_TOOLKIT_HOME`` and ``$ASCEND_HOME_PATH`` (``lib64``, ``runtime/lib64``), the
    directories of ``$LD_LIBRARY_PATH``, then the default installs under ``/usr/local/Ascend`` and ``~/Ascend``.
    """
    env = os.environ if env is None else env
    dirs = _candidate_dirs(env)
    for d in dirs:
        acl = d / ASCENDCL
        if acl.is_file():
            dvpp = next((x / ACL_DVPP for x in [d] + dirs if (x / ACL_DVPP).is_file()), None)
            return acl, dvpp
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
    err = ffi.new("char[]", 1024)
    if found is not None:
        acl, dvpp = found
        libraries = {"ascendcl": str(acl)}
        if dvpp is not None:
            libraries["acl_dvpp"] = str(dvpp)
        rc = lib.acllite_binding_load(str(acl).encode(), str(dvpp).encode() if dvpp else ffi.NULL, ffi.NULL, 1, err, 1024)
        name = "cann"
    else:
        emu = str(emulator_library())
        libraries = {"ascendcl": emu, "acl_dvpp": emu, "emulator": emu}
        rc = lib.acllite_binding_load(emu.encode(), emu.encode(), emu.encode(), 0, err, 1024)
        name = "emulator"
    if rc != 0:
        raise ImportError("acllite: %s" % ffi.string(err).decode(errors="replace"))
    if name == "emulator":
        from .emulator import start  # the emulator's host services (models, image codecs); nothing else starts them

        start()
    missing = tuple(
        ffi.string(lib.acllite_binding_name(i)).decode()
        for i in range(lib.acllite_binding_count())
        if not lib.acllite_binding_present(i) and ffi.string(lib.acllite_binding_library(i)).decode() != "emulator"
    )
    version = (0, 0, 0)
    if "aclrtGetVersion" not in missing:
        v = ffi.new("int32_t[3]")
        if lib.aclrtGetVersion(v, v + 1, v + 2) == 0:
            version = (v[0], v[1], v[2])
    info = BackendInfo(name, libraries, missing, version)
    logger.info("acllite backend: %s (%s), AscendCL %d.%d.%d%s", name, libraries["ascendcl"], *version,
                ", missing: %s" % ", ".join(missing) if missing else "")
    return info


_BACKEND = _load()


def backend_info() -> BackendInfo:
    """The backend this process runs on (chosen once, at import)."""
    return _BACKEND
