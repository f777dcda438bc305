"""Offline models (``.om``) without CANN: read what ATC wrote, and say which ONNX model runs one on the emulator.

``read(path)`` describes an OM file from its own bytes, in pure Python: the 256-byte header (v1 and v2 layouts),
the partition tables (tiny and 64-bit, one per sub-model), and the first sub-model's inputs and outputs (names,
aclDataType, aclFormat, dims, sizes, static AIPP) the way a device's ``aclmdlGetDesc`` reports them, from the
MODEL_INOUT_INFO partition when the file has one and from the ModelDef otherwise. Encrypted and malformed files
raise :class:`OmError`, whose ``code`` is the aclError a loader answers with. See docs/OM.md.

On the emulator, ``aclmdlLoadFromFile("X.om")`` describes the model from the file and runs it through its ONNX
"twin" (:func:`set_twin`, ``ACLLITE_EMU_OM_TWINS``, or ``X.onnx`` beside it).
"""

from ._desc import OmError, OmHeader, OmModel, OmPartition, OmSubModel, OmTensor
from ._reader import embedded_onnx, parse, read
from ._writer import EMULATOR_ONLY_ATTR, ModelSpec, TensorSpec, build
from ._twin import ENV_TWINS, TwinConfigError, set_twin, twin_for

__all__ = ["read", "parse", "OmError", "OmModel", "OmHeader", "OmPartition", "OmSubModel", "OmTensor",
           "set_twin", "twin_for", "ENV_TWINS", "TwinConfigError", "embedded_onnx", "build", "ModelSpec", "TensorSpec",
           "EMULATOR_ONLY_ATTR"]
