"""The emulator's Python side: host services its C code (csrc/emu, ``libacllite_emu.so``) calls back into.

The C side owns every handle, check and error code. The jobs it hands to well-kept libraries, through function
tables registered here: running models (onnxruntime: :mod:`.engine`, and :mod:`.om_twin` for offline models),
entropy coding of images (Pillow's libjpeg-turbo and zlib: :mod:`.codec`), single operators (one ONNX node
on onnxruntime: :mod:`.ops`), and video coding (FFmpeg through PyAV, when it is installed: :mod:`.video`).

Nothing but the binding's loader (:mod:`acllite._native`) starts this package, once, when the backend it loads
is the emulator; objects and tools reach the emulator only through the binding, as they reach CANN. The heavy
libraries are imported on first use.
"""

from __future__ import annotations

import logging
from typing import Any, List

from .._acl_cffi import ffi, lib

__all__ = ["start"]

logger = logging.getLogger("acllite.emulator")
_registered: List[Any] = []  # the tables handed to C (it copies them; kept for the life of the process)


def start() -> None:
    """Register the model engine, the image codec and the operator engine with the emulator (idempotent)."""
    if _registered:
        return
    # Importing the modules defines the extern "Python" callbacks the tables point at.
    from . import codec, engine, om_twin  # noqa: F401

    table = ffi.new("acllite_emu_model_engine *")
    table.load = lib.acllite_py_model_load
    table.describe = lib.acllite_py_model_describe
    table.execute = lib.acllite_py_model_execute
    table.unload = lib.acllite_py_model_unload
    table.aippInfo = lib.acllite_py_model_aipp_info
    table.dynamicBatch = lib.acllite_py_model_dynamic_batch
    table.shapeGears = lib.acllite_py_model_shape_gears
    table.gearShape = lib.acllite_py_model_gear_shape
    table.loadOm = lib.acllite_py_model_load_om
    table.aippInput = lib.acllite_py_model_aipp_input
    lib.acllite_emu_set_model_engine(table)
    _registered.append(table)
    logger.debug("model engine registered (onnxruntime)")
    _registered.append(codec.register())
    from . import ops

    _registered.append(ops.register())
    from . import video

    table = video.register()
    if table is not None:
        _registered.append(table)
