"""The model engine's offline-model loader: ``aclmdlLoadFromFile("X.om")`` and OM bytes given to
``aclmdlLoadFromMem`` on the emulator.

A file written by ``acllite atc`` carries the ONNX model that computes it (:func:`acllite.formats.om.build`): it
is described by its ModelDef and run by that model, from a file or from memory.

The description (names, aclDataType, aclFormat, dims, sizes, batch gears) comes from the OM file itself
(:mod:`acllite.formats.om`), so every ``aclmdlGet*`` answers as a device would. An OM holds Ascend machine code, so the
computation comes from its ONNX twin (:func:`acllite.om.twin_for`: ``set_twin``, ``ACLLITE_EMU_OM_TWINS``, or
``X.onnx`` beside ``X.om``), checked first: same number of inputs and outputs, and at each index the same data
type, the same rank and the same dims (a dynamic dimension on either side matches any). Tensors are bound to the
twin by index, so their names may differ. Without a twin the model loads with its description only and
execution fails with ``ACL_ERROR_API_NOT_SUPPORT``, saying what to provide.

Codes: a malformed or encrypted OM file fails with :class:`acllite.om.OmError`'s code (see docs/OM.md); a twin
that does not match with ``ACL_ERROR_MODEL_INPUT_NOT_MATCH``/``ACL_ERROR_MODEL_OUTPUT_NOT_MATCH``; a mapped twin
that cannot be read with ``ACL_ERROR_INVALID_FILE``; an unreadable twin with the engine's ONNX codes.
"""

from __future__ import annotations

import logging
import os
from typing import List, Optional, Sequence, Tuple

from .._acl_cffi import ffi
from ..formats import om
from ..formats import onnx as onnx_format
from ..formats.om._modeldef import tensor_bytes
from ..formats.om._types import dtype_name, numpy_dtype
from ..formats.onnx import DYNAMIC_AIPP_NAME, DYNAMIC_TENSOR_NAME, TensorDesc
from ._extern import extern
from .checks import om_from_memory, validate
from .models import ACL_ERROR_INTERNAL_ERROR, EngineError, Model, publish, write_message

__all__ = ["load_om", "load_om_bytes"]

logger = logging.getLogger("acllite.emulator")

ACL_ERROR_INVALID_PARAM = 100000
ACL_ERROR_INVALID_FILE = 100003
ACL_ERROR_MODEL_INPUT_NOT_MATCH = 100017
ACL_ERROR_MODEL_OUTPUT_NOT_MATCH = 100018
ACL_ERROR_API_NOT_SUPPORT = 200001


def _dims(dims: Sequence[int]) -> str:
    return "[%s]" % ", ".join(str(d) for d in dims)


def _size_override(t: om.OmTensor) -> int:
    """desc.size for the emulator: 0 (dims x element size) unless the device reports another size (AIPP inputs)."""
    computed = tensor_bytes(t.dims, t.acl_dtype)
    return t.size if computed >= 0 and t.size > 0 and t.size != computed else 0


def _mismatch(role: str, i: int, t: om.OmTensor, twin: TensorDesc, om_path: str, twin_path: str) -> Optional[str]:
    if t.acl_dtype != twin.acl_dtype:
        what = "is %s; the twin's '%s' is %s" % (t.dtype_name, twin.name, dtype_name(twin.acl_dtype))
    elif len(t.dims) != len(twin.dims) or any(a != b and a >= 0 and b >= 0 for a, b in zip(t.dims, twin.dims)):
        what = "has dims %s; the twin's '%s' has %s" % (_dims(t.dims), twin.name, _dims(twin.dims))
    else:
        return None
    return "%s does not match its ONNX %s: %s %d '%s' %s" % (om_path, twin_path, role, i, t.name, what)


def _check(role: str, described: Sequence[om.OmTensor], twins: List[TensorDesc], om_path: str, twin_path: str) -> None:
    code = ACL_ERROR_MODEL_INPUT_NOT_MATCH if role == "input" else ACL_ERROR_MODEL_OUTPUT_NOT_MATCH
    if len(described) != len(twins):
        raise EngineError(code, "%s does not match its ONNX %s: it has %d %s(s), the twin %d" % (
            om_path, twin_path, len(described), role, len(twins)))
    for i, (t, twin) in enumerate(zip(described, twins)):
        problem = _mismatch(role, i, t, twin, om_path, twin_path)
        if problem:
            raise EngineError(code, problem)


def _tensor(t: om.OmTensor, twin: Optional[TensorDesc]) -> TensorDesc:
    """The engine's tensor: described as the OM says, bound to the twin's tensor (by its name and shape)."""
    if twin is None:
        return TensorDesc(t.name, t.acl_dtype, numpy_dtype(t.acl_dtype), t.dims, size=_size_override(t),
                       acl_format=t.format, dims_v2=tuple(t.dims_v2) if t.dims_v2 != t.dims else None)
    return TensorDesc(t.name, t.acl_dtype, twin.dtype, t.dims, graph_dims=twin.graph_dims,
                   size=_size_override(t) or twin.size, acl_format=t.format, synthetic=twin.synthetic,
                   aipp=twin.aipp, graph_name=twin.name, ranges=twin.ranges,
                   dims_v2=tuple(t.dims_v2) if t.dims_v2 != t.dims else twin.dims_v2,
                   dynamic_aipp=twin.dynamic_aipp)


def _read_twin(path: str, how: str, om_path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise EngineError(ACL_ERROR_INVALID_FILE, "cannot read %s, the ONNX twin of %s (from %s): %s" % (
            path, om_path, how, exc.strerror or exc)) from None


def _dynamic_index(inputs: Sequence[TensorDesc]) -> int:
    """The input carrying the batch or gear: by its name, else the first synthetic one that does not carry dynamic
    AIPP parameters."""
    named = next((i for i, t in enumerate(inputs) if t.name == DYNAMIC_TENSOR_NAME), -1)
    if named >= 0:
        return named
    return next((i for i, t in enumerate(inputs) if t.synthetic and not t.name.startswith(DYNAMIC_AIPP_NAME)), -1)


def _without_session(desc: om.OmModel, missing: EngineError) -> Model:
    """A model described by the file alone: queries answer, execution fails with ``missing``."""
    gears = tuple(desc.dynamic_batch)
    inputs = [_tensor(t, None) for t in desc.inputs]
    return Model(inputs, [_tensor(t, None) for t in desc.outputs], None, gears=gears,
                 dynamic_index=_dynamic_index(inputs) if gears else -1, missing=missing)


def _with_onnx(desc: om.OmModel, blob: bytes, path: str, twin_path: str, describe_only: bool = False) -> Model:
    """The engine model: described by the OM, run by the ONNX model ``blob`` (its twin, or the one it carries);
    ``twin_path`` names it in messages ("twin PATH" or "model it carries")."""
    try:
        described = onnx_format.describe(blob)
    except onnx_format.OnnxError as exc:
        raise EngineError(exc.code, "the ONNX %s of %s: %s" % (twin_path, path, exc)) from None
    twin_in, twin_out, twin_gears = described.inputs, described.outputs, described.gears
    _check("input", desc.inputs, twin_in, path, twin_path)
    _check("output", desc.outputs, twin_out, path, twin_path)
    gears = tuple(desc.dynamic_batch)
    if gears and twin_gears and gears != twin_gears:
        raise EngineError(ACL_ERROR_MODEL_INPUT_NOT_MATCH, "%s does not match its ONNX %s: batch gears %s, the "
                           "twin's %s" % (path, twin_path, list(gears), list(twin_gears)))
    gears = gears or twin_gears
    inputs = [_tensor(t, twin) for t, twin in zip(desc.inputs, twin_in)]
    outputs = [_tensor(t, twin) for t, twin in zip(desc.outputs, twin_out)]
    if gears:  # outputs recorded at the largest gear follow the chosen batch, as the twin's do
        for out, twin in zip(outputs, twin_out):
            if out.dims and twin.dims and twin.dims[0] < 0 <= out.dims[0]:
                out.dims = (-1,) + out.dims[1:]
    shaped = described.shape_gears  # image size / dims gears: recorded by acllite atc in the model it carries
    return Model(inputs, outputs, None if describe_only else onnx_format.session(blob), gears=gears,
                 dynamic_index=_dynamic_index(inputs) if (gears or shaped) else -1, shape_gears=shaped)


def load_om(path: str) -> Tuple[Model, om.OmModel]:
    """The engine model of the OM file at path, and its description (raises OmError or EngineError).

    A file written by ``acllite atc`` runs the ONNX model it carries; an ATC-made one its ONNX twin."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise om.OmError(ACL_ERROR_INVALID_FILE, "cannot read %s: %s" % (path, exc.strerror or exc)) from None
    desc = om.parse(data, path)
    embedded = om.embedded_onnx(data, path)
    if embedded is not None:
        logger.info("%s: described by the file, run by the ONNX model it carries (acllite atc)", path)
        return _with_onnx(desc, bytes(embedded), path, "model it carries"), desc
    try:
        twin_path, how = om.twin_for(path)
    except om.TwinConfigError as exc:
        raise EngineError(ACL_ERROR_INVALID_PARAM, str(exc)) from None
    if twin_path is None:
        stem = os.path.splitext(path)[0]
        missing = EngineError(ACL_ERROR_API_NOT_SUPPORT, "%s holds Ascend machine code, which the emulator cannot run;"
                               " put the ONNX model it was converted from beside it as %s.onnx (or map one with %s "
                               "or acllite.om.set_twin)" % (path, stem, om.ENV_TWINS))
        logger.info("%s: described by the file; no ONNX twin, so it cannot execute", path)
        return _without_session(desc, missing), desc
    blob = _read_twin(twin_path, how, path)
    model = _with_onnx(desc, blob, path, "twin " + twin_path)
    logger.info("%s: described by the file, run through its ONNX twin %s (%s)", path, twin_path, how)
    return model, desc


def load_om_bytes(data: bytes, describe_only: bool) -> Tuple[Model, om.OmModel]:
    """The engine model of an OM file held in memory (aclmdlLoadFromMem, aclmdlQuerySizeFromMem).

    One written by ``acllite atc`` carries its ONNX model and runs; an ATC-made one has no path, so no twin: it can
    be described (sizes), and loading it says what to provide."""
    source = "the OM model in memory (%d bytes)" % len(data)
    desc = om.parse(data, source)
    embedded = om.embedded_onnx(data, source)
    if embedded is not None:
        return _with_onnx(desc, bytes(embedded), source, "model it carries", describe_only), desc
    if describe_only:
        return _without_session(desc, om_from_memory(len(data))), desc
    raise om_from_memory(len(data))


@extern(ACL_ERROR_INTERNAL_ERROR, "offline model load failed")
def acllite_py_model_load_om(path, handle_out, n_in, n_out, weight_bytes, message, message_len):
    try:
        model, desc = load_om(os.fsdecode(ffi.string(path)))
        validate(model)
    except (om.OmError, EngineError, onnx_format.OnnxError) as exc:
        write_message(message, message_len, str(exc))
        return exc.code
    except Exception as exc:  # never let an exception cross into C
        write_message(message, message_len, "offline model load failed: %r" % (exc,))
        return ACL_ERROR_INTERNAL_ERROR
    return publish(model, desc.weight_bytes, handle_out, n_in, n_out, weight_bytes)
