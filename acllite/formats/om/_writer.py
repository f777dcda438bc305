"""Write an OM file the way ATC lays one out, for the emulator: ``acllite atc`` produces these.

The container is ATC's (a v2 header, the 64-bit partition table, the partitions back to back); the MODEL_DEF
partition is a ``ge.proto.ModelDef`` describing the model as ATC describes it (``Data`` ops with their tensor
descriptions (``shape_range`` where given), ``index``, static ``aipp`` and V2 dims; ``AippData`` inputs and
``_dynamic_aipp_input_dims`` for dynamic AIPP; the ``NetOutput`` op and ``attr_model_out_nodes_name``; the
multi-batch op with ``_batch_num``, ``_pred_value_<i>`` and ``mbatch_dynamic_type`` for gears; ``soc_version``
and ``atc_version``). Instead of Ascend machine code, the file carries the ONNX model that computes it, in a
partition of its own (:data:`ONNX_PARTITION`): real CANN refuses such a file; the emulator runs it.

The protobuf wire format is written by hand (the reader, :mod:`._wire`, reads it back without a schema).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ._container import HEADER_SIZE, MAGIC, VERSION_V2
from ._types import AIPP_INPUT_FORMATS, AIPP_MODES, format_name

__all__ = ["TensorSpec", "ModelSpec", "build", "ONNX_PARTITION", "EMULATOR_ONLY_ATTR", "ACL_TO_PROTO"]

#: Partition type of the ONNX model carried by an OM file of acllite's (GE's own types stop at 24).
ONNX_PARTITION = 1000
#: Model attribute marking a file built by acllite atc (its value says what runs it).
EMULATOR_ONLY_ATTR = "acllite_emulator_only"
MODEL_DEF, VARINT, FIXED32, LEN = 0, 0, 5, 2

#: aclDataType -> ge.proto.DataType (the ModelDef's numbering)
ACL_TO_PROTO = {0: 1, 1: 2, 2: 3, 4: 4, 6: 5, 7: 6, 3: 7, 9: 8, 8: 9, 10: 10, 12: 11, 11: 12, 27: 27}
_AIPP_FORMAT_IDS = {name: i for i, name in AIPP_INPUT_FORMATS.items()}
_AIPP_MODE_IDS = {name: i for i, name in AIPP_MODES.items()}
_DYNAMIC_TYPE = {"batch": 1, "hw": 2, "dims": 3}


@dataclass
class TensorSpec:
    """One input or output as the device describes it."""

    name: str
    acl_dtype: int
    acl_format: int
    dims: Tuple[int, ...]
    size: int = 0  #: 0: elements x element size
    dims_v2: Optional[Tuple[int, ...]] = None  #: inputs after static AIPP (``input_dims``)
    aipp: Optional[Dict[str, Any]] = None  #: static AIPP parameters (insert_op.proto names; ATC config values)
    origin_dims: Optional[Tuple[int, ...]] = None  #: ``_mbatch_origin_input_dims`` of a model with gears
    shape_range: Optional[Tuple[Tuple[int, int], ...]] = None  #: ``shape_range`` ([min, max], max -1: unbounded)
    op_type: str = "Data"  #: inputs: "Data", or "AippData" (the input carrying dynamic AIPP parameters)
    aipp_mode: Optional[str] = None  #: ``_data_related_aipp_mode`` (default "static_aipp" when ``aipp`` is set)
    dynamic_aipp_dims: Optional[Tuple[int, ...]] = None  #: ``_dynamic_aipp_input_dims``
    attrs: Dict[str, Any] = field(default_factory=dict)  #: further op attributes (``_related_aipp_input_rank``...)


@dataclass
class ModelSpec:
    name: str
    inputs: List[TensorSpec]
    outputs: List[TensorSpec]
    onnx: bytes
    soc_version: str = ""
    atc_version: str = ""
    gears: Dict[str, List[Tuple[int, ...]]] = field(default_factory=dict)  #: "batch" | "hw" | "dims" -> gears
    attributes: Dict[str, Union[str, int, bool]] = field(default_factory=dict)


# -------------------------------------------------------------------------------------------- wire format


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # int64 values are written as their two's complement (10 bytes when negative)
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _int(number: int, value: int) -> bytes:
    return _key(number, VARINT) + _varint(int(value))


def _bytes(number: int, value: Union[bytes, str]) -> bytes:
    raw = value.encode() if isinstance(value, str) else bytes(value)
    return _key(number, LEN) + _varint(len(raw)) + raw


def _float(number: int, value: float) -> bytes:
    return _key(number, FIXED32) + struct.pack("<f", float(value))


def _attr(value: Any) -> bytes:
    """A ge.proto.AttrDef: s 2, i 3, f 4, b 5, list 1 {i 3, val_type 20 = 2 (VT_LIST_INT)}, func 10 (NamedAttrs)."""
    if isinstance(value, bool):
        return _int(5, int(value))
    if isinstance(value, int):
        return _int(3, value)
    if isinstance(value, float):
        return _float(4, value)
    if isinstance(value, str):
        return _bytes(2, value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple)) for v in value):  # list_list_int (field 14)
            return _bytes(14, b"".join(_bytes(1, b"".join(_int(1, int(x)) for x in v)) for v in value))
        if all(isinstance(v, str) for v in value):
            body = b"".join(_bytes(2, v) for v in value) + _int(20, 1)  # VT_LIST_STRING
        else:
            body = b"".join(_int(3, int(v)) for v in value) + _int(20, 2)  # VT_LIST_INT
        return _bytes(1, body)
    if isinstance(value, dict):
        return _bytes(10, _bytes(1, "") + _attr_map(2, value))
    raise TypeError("no AttrDef for %r" % (value,))


def _attr_map(number: int, attrs: Dict[str, Any]) -> bytes:
    return b"".join(_bytes(number, _bytes(1, key) + _bytes(2, _attr(value))) for key, value in attrs.items())


# ------------------------------------------------------------------------------------------------ the model


def _tensor_desc(t: TensorSpec, dims: Sequence[int]) -> bytes:
    proto = ACL_TO_PROTO.get(t.acl_dtype)
    if proto is None:
        raise ValueError("%s: aclDataType %d has no ModelDef type" % (t.name, t.acl_dtype))
    shape = b"".join(_int(1, d) for d in dims)
    out = _bytes(1, t.name) + _int(2, proto) + _bytes(3, shape) + _bytes(4, format_name(t.acl_format))
    if t.shape_range is not None:
        out += _attr_map(5, {"shape_range": [list(r) for r in t.shape_range]})
    if t.size:
        out += _int(10, t.size)
    return out


def _aipp_attr(params: Dict[str, Any]) -> Dict[str, Any]:
    """AIPP parameters with their enums as insert_op.proto numbers (the file stores numbers)."""
    out: Dict[str, Any] = {}
    for key, value in params.items():
        if key == "aipp_mode" and isinstance(value, str):
            value = _AIPP_MODE_IDS.get(value, 0)
        elif key == "input_format" and isinstance(value, str):
            value = _AIPP_FORMAT_IDS.get(value, 0)
        if isinstance(value, (bool, int, float, str)):
            out[key] = value
    return out


def _data_op(index: int, t: TensorSpec) -> bytes:
    attrs: Dict[str, Any] = {"index": index}
    if t.aipp is not None:
        attrs["aipp"] = _aipp_attr(t.aipp)
    if t.aipp_mode is not None or t.aipp is not None:
        attrs["_data_related_aipp_mode"] = t.aipp_mode or "static_aipp"
    if t.dynamic_aipp_dims is not None:
        attrs["_dynamic_aipp_input_dims"] = list(t.dynamic_aipp_dims)
    if t.dims_v2 is not None and tuple(t.dims_v2) != tuple(t.dims):
        attrs["input_dims"] = list(t.dims_v2)
    if t.origin_dims is not None:
        attrs["_mbatch_origin_input_dims"] = list(t.origin_dims)
    attrs.update(t.attrs)
    if t.op_type not in ("Data", "AippData"):
        raise ValueError("%s: an input comes from a Data or AippData op, not %r" % (t.name, t.op_type))
    desc = _tensor_desc(t, t.dims)
    return (_bytes(1, t.name) + _bytes(2, t.op_type) + _attr_map(10, attrs) + _bytes(33, desc) + _bytes(34, desc))


def _net_output(outputs: List[TensorSpec]) -> bytes:
    body = _bytes(1, "NetOutput") + _bytes(2, "NetOutput")
    for t in outputs:
        node = t.name.rsplit(":", 1)[0]
        body += _bytes(24, node)
    for t in outputs:
        port = t.name.rsplit(":", 1)[1] if ":" in t.name and t.name.rsplit(":", 1)[1].isdigit() else "0"
        body += _int(25, int(port))
    for t in outputs:
        body += _bytes(33, _tensor_desc(t, t.dims))
    return body


def _gear_op(kind: str, gears: List[Tuple[int, ...]]) -> bytes:
    attrs: Dict[str, Any] = {"_batch_num": len(gears), "mbatch_dynamic_type": _DYNAMIC_TYPE[kind]}
    for i, gear in enumerate(gears):
        attrs["_pred_value_%d" % i] = list(gear)
    return _bytes(1, "ascend_mbatch_case") + _bytes(2, "Case") + _attr_map(10, attrs)


def modeldef(spec: ModelSpec) -> bytes:
    """The serialized ge.proto.ModelDef of the model."""
    ops = [_data_op(i, t) for i, t in enumerate(spec.inputs)]
    ops += [_gear_op(kind, list(gears)) for kind, gears in spec.gears.items() if gears]
    ops.append(_net_output(spec.outputs))
    graph = _bytes(1, spec.name + "_0") + b"".join(_bytes(6, op) for op in ops)
    attrs: Dict[str, Any] = {"attr_model_out_nodes_name": [t.name for t in spec.outputs]}
    if spec.soc_version:
        attrs["soc_version"] = spec.soc_version
    if spec.atc_version:
        attrs["atc_version"] = spec.atc_version
    attrs[EMULATOR_ONLY_ATTR] = "built by acllite atc: runs on the emulator only (it carries ONNX, no Ascend code)"
    attrs.update(spec.attributes)
    return _bytes(1, spec.name) + _int(2, 1) + _bytes(3, spec.atc_version) + _bytes(7, graph) + _attr_map(11, attrs)


def build(spec: ModelSpec) -> bytes:
    """The OM file's bytes: header (v2), the 64-bit partition table, MODEL_DEF and the ONNX partition."""
    parts = [(MODEL_DEF, modeldef(spec)), (ONNX_PARTITION, bytes(spec.onnx))]
    table = struct.pack("<II", len(parts), 0)
    offset = 0
    for kind, data in parts:
        table += struct.pack("<IIQQ", kind, 0, offset, len(data))
        offset += len(data)
    body = table + b"".join(data for _kind, data in parts)
    header = bytearray(HEADER_SIZE)
    struct.pack_into("<III", header, 0, MAGIC, HEADER_SIZE, VERSION_V2)
    struct.pack_into("<I", header, 76, len(body) if len(body) < 1 << 32 else 0)
    header[82] = 0  # modeltype: IR, as ATC's offline models
    name = spec.name.encode()[:31]
    header[84:84 + len(name)] = name
    header[120:120 + 7] = b"acllite"  # userdefineinfo: who built it
    struct.pack_into("<I", header, 152, 1)  # om_ir_version
    struct.pack_into("<I", header, 156, 1)  # model_num
    platform = spec.soc_version.encode()[:19]
    header[160:160 + len(platform)] = platform
    header[180] = 1  # platform_type
    struct.pack_into("<Q", header, 184, len(body))  # model_length: the 64-bit table
    return bytes(header) + body
