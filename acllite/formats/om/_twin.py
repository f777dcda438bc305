"""Which ONNX model runs an OM file on the emulator (its "twin"): an OM holds Ascend machine code, so the
emulator takes the description from the OM and the computation from the ONNX model it was converted from.

Looked up in this order:

1. :func:`set_twin` (this process);
2. ``ACLLITE_EMU_OM_TWINS=/a/x.om=/b/x.onnx:/a/y.om=/b/y.onnx`` (entries joined by ``os.pathsep``; read at
   every load, so a program can be pointed at twins without changing it);
3. ``X.onnx`` beside ``X.om``.

Paths are compared after ``os.path.realpath``; relative ones are taken from the current directory.
"""

from __future__ import annotations

import os
import threading
from typing import Dict, Optional, Tuple, Union

__all__ = ["ENV_TWINS", "set_twin", "twin_for", "TwinConfigError"]

ENV_TWINS = "ACLLITE_EMU_OM_TWINS"
PathLike = Union[str, "os.PathLike[str]"]

_lock = threading.Lock()
_twins: Dict[str, str] = {}


class TwinConfigError(ValueError):
    """ACLLITE_EMU_OM_TWINS is malformed."""


def _key(path: PathLike) -> str:
    return os.path.realpath(os.fspath(path))


def set_twin(om_path: PathLike, onnx_path: Optional[PathLike]) -> None:
    """Run ``om_path`` through the ONNX model ``onnx_path`` on the emulator (``None``: forget the mapping).

    Takes effect at the next ``aclmdlLoadFromFile`` of the OM file."""
    with _lock:
        if onnx_path is None:
            _twins.pop(_key(om_path), None)
        else:
            _twins[_key(om_path)] = _key(onnx_path)


def _from_env(key: str) -> Optional[str]:
    for entry in filter(None, os.environ.get(ENV_TWINS, "").split(os.pathsep)):
        cut = entry.lower().find(".om=")
        if cut < 0 or not entry[cut + 4:]:
            raise TwinConfigError("%s: entry %r is not OM_PATH=ONNX_PATH (OM_PATH ending in .om)" % (ENV_TWINS, entry))
        if _key(entry[:cut + 3]) == key:
            return _key(entry[cut + 4:])
    return None


def twin_for(om_path: PathLike) -> Tuple[Optional[str], str]:
    """(the twin's path, how it was found: "set_twin", ENV_TWINS or "beside"), or (None, "") when there is none.

    A mapped twin is returned even when it does not exist (loading it then fails, saying so); the one beside
    the OM only when it exists."""
    key = _key(om_path)
    with _lock:
        mapped = _twins.get(key)
    if mapped is not None:
        return mapped, "set_twin"
    mapped = _from_env(key)
    if mapped is not None:
        return mapped, ENV_TWINS
    root, _ext = os.path.splitext(os.fspath(om_path))
    beside = root + ".onnx"
    return (beside, "beside") if os.path.isfile(beside) else (None, "")
