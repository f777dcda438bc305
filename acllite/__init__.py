"""acllite: AscendCL from Python without pyACL.

Layers, each built on the one before: :mod:`acllite.binding` (the compiled cffi binding, 1:1 with the C API),
:mod:`acllite.capi` (checked wrappers with the C names), and the objects exported here (:class:`Device`,
:class:`Context`, :class:`Stream`, :class:`Event`, :class:`DeviceBuffer`, :class:`HostBuffer`).
"""

from ._native import BackendInfo, backend_info
from .errors import *  # noqa: F401,F403
from .memory import DeviceBuffer, DvppBuffer, HostBuffer
from .image import Image, PixelFormat
from .dvpp import ImageProcessor
from .model import AsyncResult, Executor, Model, TensorInfo
from .runtime import (Context, Device, Event, Stream, emulator_leak_report, emulator_live_counts, finalize, init,
                      is_initialized, run_mode, soc_name, device_count, version)

__version__ = "0.1.0"
__all__ = [
    "BackendInfo", "backend_info", "init", "finalize", "is_initialized", "run_mode", "soc_name", "device_count",
    "version", "Device", "Context", "Stream", "Event", "DeviceBuffer", "HostBuffer", "emulator_live_counts",
    "emulator_leak_report", "Model", "Executor", "TensorInfo", "AsyncResult", "DvppBuffer", "Image", "ImageProcessor",
    "PixelFormat",
]
