"""Read an OM file into an :class:`OmModel`: header, partitions, then the description of the first sub-model
(from MODEL_INOUT_INFO when the file has it, else from the ModelDef; AIPP always comes from the ModelDef)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Dict, List, Optional, Tuple, Union

from ._container import HEADER_SIZE, read_blocks, read_header
from ._desc import (ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, ACL_ERROR_INVALID_FILE, OmError, OmModel,
                    OmSubModel, OmTensor)
from ._inout import InOutInfo, read_inout
from ._modeldef import ModelDefInfo, read_modeldef, read_name
from ._wire import WireError

__all__ = ["read", "parse", "embedded_onnx"]

MODEL_DEF, MODEL_INOUT_INFO = 0, 8

PathLike = Union[str, "os.PathLike[str]"]


def read(path: PathLike) -> OmModel:
    """Read and describe the OM file at path (raises :class:`OmError` with the reason)."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise OmError(ACL_ERROR_INVALID_FILE, "cannot read %s: %s" % (source, exc.strerror or exc)) from None
    return parse(data, source)


def _modeldef(data: memoryview, source: str) -> ModelDefInfo:
    try:
        return read_modeldef(data, source)
    except (WireError, TypeError, ValueError, OverflowError) as exc:  # the latter: attributes of unexpected types
        raise OmError(ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, "%s: the MODEL_DEF partition is not a readable "
                      "ge.proto.ModelDef (%s)" % (source, exc)) from None


def _submodel_name(datas: List[memoryview], parts: tuple) -> str:
    for part, data in zip(parts, datas):
        if part.type == MODEL_DEF:
            try:
                return read_name(data)
            except WireError:
                return ""
    return ""


def _with_aipp(described: List[OmTensor], from_def: List[OmTensor]) -> List[OmTensor]:
    """The partition's inputs with the ModelDef's AIPP settings (matched by name, else by index)."""
    by_name: Dict[str, OmTensor] = {t.name: t for t in from_def}
    out = []
    for i, t in enumerate(described):
        src = by_name.get(t.name) or (from_def[i] if len(from_def) == len(described) else None)
        out.append(replace(t, aipp=src.aipp, aipp_mode=src.aipp_mode) if src is not None else t)
    return out


def _gears(info: ModelDefInfo, inout: InOutInfo) -> Tuple[tuple, tuple, tuple]:
    batch = tuple(inout.dynamic_batch) or tuple(g[0] for g in info.gears.get("batch", []) if g)
    hw = tuple(inout.dynamic_hw) or tuple(info.gears.get("hw", []))
    dims = tuple(inout.dynamic_dims) or tuple(info.gears.get("dims", []))
    return batch, hw, dims


def parse(data: Union[bytes, bytearray, memoryview], source: str = "<memory>") -> OmModel:
    """Describe an OM file held in memory (``source`` names it in messages)."""
    view = memoryview(data).cast("B")
    header = read_header(view, source)
    blocks = read_blocks(view[HEADER_SIZE:], header, source)
    parts, datas = blocks[0]
    by_type = {p.type: d for p, d in zip(parts, datas)}
    if MODEL_DEF not in by_type:
        raise OmError(ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, "%s has no MODEL_DEF partition (it holds %s)"
                      % (source, ", ".join(p.type_name for p in parts)))
    info = _modeldef(by_type[MODEL_DEF], source)
    inout = read_inout(by_type[MODEL_INOUT_INFO], source) if MODEL_INOUT_INFO in by_type else InOutInfo()
    use_partition = bool(inout.inputs or inout.outputs)
    inputs = _with_aipp(inout.inputs, info.inputs) if inout.inputs else info.inputs
    outputs = inout.outputs or info.outputs
    submodels = [OmSubModel(0, parts, info.name)]
    submodels += [OmSubModel(i, p, _submodel_name(d, p)) for i, (p, d) in enumerate(blocks[1:], 1)]
    batch, hw, dims = _gears(info, inout)
    return OmModel(source, len(view), header, tuple(submodels), info.name, info.graph_name, info.version,
                   info.custom_version, tuple(inputs), tuple(outputs),
                   "MODEL_INOUT_INFO" if use_partition else "MODEL_DEF", batch, hw, dims, info.attributes)


def embedded_onnx(data: Union[bytes, bytearray, memoryview], source: str = "<memory>") -> Optional[memoryview]:
    """The ONNX model an OM file of acllite's carries (``acllite atc`` writes it), or None (an ATC-made file)."""
    from ._writer import ONNX_PARTITION

    view = memoryview(data).cast("B")
    header = read_header(view, source)
    parts, datas = read_blocks(view[HEADER_SIZE:], header, source)[0]
    return next((d for p, d in zip(parts, datas) if p.type == ONNX_PARTITION), None)
