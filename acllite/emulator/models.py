"""The emulator's table of loaded models: what the engine keeps per model handle, shared by the ONNX loader
(:mod:`.engine`) and the offline-model loader (:mod:`.om_twin`)."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .._acl_cffi import ffi
from ..formats.onnx import ShapeGears, TensorDesc

__all__ = ["EngineError", "Model", "models", "publish", "write_message", "ACL_ERROR_INTERNAL_ERROR"]

ACL_ERROR_INTERNAL_ERROR = 500000


class EngineError(Exception):
    """A failure the engine reports to the emulator's C side as ``code`` with the message."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Model:
    inputs: List[TensorDesc]
    outputs: List[TensorDesc]
    session: Any = None
    bindings: "OrderedDict[Any, Tuple[Any, List[Any]]]" = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    gears: Tuple[int, ...] = ()  #: dynamic batch gears (acllite atc --dynamic_batch_size)
    dynamic_index: int = -1  #: index of the described input that carries the batch
    shape_gears: Optional[ShapeGears] = None  #: --dynamic_image_size / --dynamic_dims (acllite atc)
    missing: Optional[EngineError] = None  #: why there is no session (an OM without twin): execute fails with it


#: engine handle -> model (handles are never reused in a process)
models: Dict[int, Model] = {}
_handles = itertools.count(1)


def write_message(buf: Any, size: int, text: str) -> None:
    """Copy text into the C side's message buffer (truncated, NUL-terminated)."""
    raw = text.encode("utf-8", "replace")[: max(0, size - 1)]
    ffi.memmove(buf, raw + b"\0", len(raw) + 1)


def publish(model: Model, weights: int, handle_out: Any, n_in: Any, n_out: Any, weight_bytes: Any) -> int:
    """Give a loaded model its engine handle and tell the emulator its counts (ACL_SUCCESS)."""
    handle = next(_handles)
    models[handle] = model
    handle_out[0] = handle
    n_in[0] = len(model.inputs)
    n_out[0] = len(model.outputs)
    weight_bytes[0] = weights
    return 0
