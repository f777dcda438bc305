"""Host services of the emulator: Python code the emulator's C calls back into.

The emulator's C side owns every handle, check and error code; two jobs it hands to well-kept libraries
through function pointers registered here: running models (onnxruntime, :mod:`acllite._emu_engine`) and
encoding/decoding images (Pillow's libjpeg-turbo and zlib, :mod:`acllite._emu_codec`). Registered once, at
import, and only when the backend is the emulator; the heavy libraries are imported on first use.
"""

from __future__ import annotations

from ._native import backend_info


def register() -> None:
    if backend_info().name != "emulator":
        return
    from . import _emu_codec, _emu_engine

    _emu_engine.register()
    _emu_codec.register()
