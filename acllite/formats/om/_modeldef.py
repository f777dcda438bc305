"""The MODEL_DEF partition (a serialized ``ge.proto.ModelDef``): inputs and outputs as GE's DavinciModel builds
them, the model's attributes and its dynamic-shape gears.

Field numbers (ge_ir.proto): ModelDef {name 1, version 2, custom_version 3, graph 7, attr 11}; GraphDef {name 1,
op 6, attr 11}; OpDef {name 1, type 2, attr 10, src_name 24, src_index 25, input_desc 33, output_desc 34};
TensorDescriptor {name 1, dtype 2, shape 3 {dim 1}, layout 4, attr 5, size 10}.

* Inputs: the ``Data``/``AippData`` ops of graph[0], ordered by their ``index`` attribute (else the order they
  come in); name = the op's name; dtype, format and size from input_desc[0]; dims from ``_dynamic_aipp_input_dims``,
  else ``_mbatch_origin_input_dims``, else input_desc[0]'s shape; dims V2 from ``input_dims`` (static AIPP).
* Outputs: the ``NetOutput`` op's input descs; names from the model attribute ``attr_model_out_nodes_name`` when
  it names every output ("node:index"), else ``output_<i>_<src_name>_<src_index>``; size = elements x element
  size (``TensorDescriptor.size`` may hold a padded size); FRACTAL_Z outputs are reported as HWCN.
* Gears: the op carrying ``_batch_num`` (the multi-batch Case), its ``_pred_value_<i>`` lists and
  ``mbatch_dynamic_type`` (1 batch, 2 image size, 3 dims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ._attrs import attr_map, attr_value
from ._desc import ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, OmError, OmTensor
from ._types import AIPP_INPUT_FORMATS, AIPP_MODES, dtype_from_proto, dtype_size, format_from_layout
from ._wire import Message, parse

__all__ = ["ModelDefInfo", "read_modeldef", "read_name", "tensor_bytes"]

DATA_TYPES = ("Data", "AippData")
NET_OUTPUT = "NetOutput"
FORMAT_FRACTAL_Z, FORMAT_HWCN = 4, 16
OUT_NODES_NAME = "attr_model_out_nodes_name"
_SCALAR_ATTR_BYTES = 1024  # model attributes larger than this (task lists, ...) are not collected
_DYNAMIC_TYPES = {1: "batch", 2: "hw", 3: "dims"}


@dataclass
class ModelDefInfo:
    name: str
    graph_name: str
    version: int
    custom_version: str
    inputs: List[OmTensor]
    outputs: List[OmTensor]
    attributes: Dict[str, Any] = field(default_factory=dict)
    gears: Dict[str, List[Tuple[int, ...]]] = field(default_factory=dict)  # "batch" | "hw" | "dims" -> gears


def tensor_bytes(dims: Tuple[int, ...], acl_dtype: int) -> int:
    """Elements x element size; -1 when a dimension is dynamic or the type has no fixed size."""
    size = dtype_size(acl_dtype)
    if size == 0 or any(d < 0 for d in dims):
        return -1
    for d in dims:
        size *= d
    return size


@dataclass
class _Desc:
    dtype: int
    format: int
    dims: Tuple[int, ...]
    size: int
    shape_range: Tuple[Tuple[int, int], ...] = ()


def _shape_range(attrs: Dict[str, Message]) -> Tuple[Tuple[int, int], ...]:
    """The tensor's ``shape_range`` attribute ([min, max] per dim, max -1: unbounded), else ()."""
    value = attr_value(attrs["shape_range"]) if "shape_range" in attrs else None
    if not isinstance(value, list) or not all(isinstance(r, list) and len(r) == 2 for r in value):
        return ()
    return tuple((int(r[0]), int(r[1])) for r in value)


def _tensor_desc(td: Message) -> _Desc:
    attrs = attr_map(td, 5)
    self_defined = attrs.get("__tensor_desc_data_type__")
    dtype = dtype_from_proto(td.uint(2), self_defined.int64(3) if self_defined is not None else None)
    return _Desc(dtype, format_from_layout(td.string(4)), tuple(td.message(3).int64s(1)), td.int64(10),
                 _shape_range(attrs))


def _aipp(params: Dict[str, Any]) -> Dict[str, Any]:
    """The ``aipp`` attribute's parameters with the enums written as ATC's config names."""
    out = dict(params)
    if isinstance(out.get("aipp_mode"), int):
        out["aipp_mode"] = AIPP_MODES.get(out["aipp_mode"], out["aipp_mode"])
    if isinstance(out.get("input_format"), int):
        out["input_format"] = AIPP_INPUT_FORMATS.get(out["input_format"], out["input_format"])
    return out


def _int_list(attrs: Dict[str, Message], key: str) -> Optional[Tuple[int, ...]]:
    if key not in attrs:
        return None
    value = attr_value(attrs[key])
    return tuple(int(v) for v in value) if isinstance(value, list) else None


def _input(op: Message, name: str, source: str) -> OmTensor:
    descs = op.messages(33)
    if not descs:
        raise OmError(ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, "%s: input op '%s' has no input description"
                      % (source, name))
    d = _tensor_desc(descs[0])
    attrs = attr_map(op, 10)
    dims = _int_list(attrs, "_dynamic_aipp_input_dims") or _int_list(attrs, "_mbatch_origin_input_dims") or d.dims
    dims_v2 = _int_list(attrs, "input_dims") or dims
    aipp = attr_value(attrs["aipp"]) if "aipp" in attrs else None
    mode = attr_value(attrs["_data_related_aipp_mode"]) if "_data_related_aipp_mode" in attrs else ""
    size = d.size if d.size > 0 else tensor_bytes(dims, d.dtype)
    return OmTensor(name, d.dtype, d.format, dims, dims_v2, size, d.size,
                    _aipp(aipp) if isinstance(aipp, dict) else None, mode if isinstance(mode, str) else "",
                    d.shape_range, op.string(2))


def _outputs(op: Message, out_names: List[str], source: str) -> List[OmTensor]:
    src_names, src_indexes = op.strings(24), op.int64s(25)
    outputs = []
    descs = op.messages(33)
    for i, td in enumerate(descs):
        d = _tensor_desc(td)
        dims, fmt = d.dims, d.format
        if fmt == FORMAT_FRACTAL_Z and len(dims) >= 4:  # reported as HWCN, like the device
            dims, fmt = (dims[2], dims[3], dims[1], dims[0]), FORMAT_HWCN
        if len(src_names) <= i or len(src_indexes) <= i:
            raise OmError(ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, "%s: output %d of '%s' has no source node "
                          "recorded (src_name/src_index)" % (source, i, op.string(1)))
        if len(out_names) == len(descs):
            name = out_names[i] if ":" in out_names[i] else "%s:%d" % (out_names[i], src_indexes[i])
        else:
            name = "output_%d_%s_%d" % (i, src_names[i], src_indexes[i])
        outputs.append(OmTensor(name, d.dtype, fmt, dims, dims, tensor_bytes(dims, d.dtype), d.size,
                                shape_range=d.shape_range))
    return outputs


def _gears(graphs: List[Message]) -> Dict[str, List[Tuple[int, ...]]]:
    for graph in graphs:
        for op in graph.messages(6):
            attrs = attr_map(op, 10)
            if "_batch_num" not in attrs:
                continue
            count = int(attr_value(attrs["_batch_num"]) or 0)
            if not 0 <= count <= 100:  # ACL_MAX_BATCH_NUM
                raise ValueError("_batch_num is %d" % count)
            gears = [_int_list(attrs, "_pred_value_%d" % i) or () for i in range(count)]
            kind = attr_value(attrs["mbatch_dynamic_type"]) if "mbatch_dynamic_type" in attrs else None
            if kind not in _DYNAMIC_TYPES:
                kind = 1 if all(len(g) == 1 for g in gears) else 3
            return {_DYNAMIC_TYPES[int(kind)]: gears}
    return {}


def _scalar_attributes(attrs: Dict[str, Message]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in sorted(attrs.items()):
        if value.size > _SCALAR_ATTR_BYTES:
            continue
        decoded = attr_value(value)
        if isinstance(decoded, (str, int, float, bool)) or (
                isinstance(decoded, list) and all(isinstance(v, (str, int, float, bool)) for v in decoded)):
            out[key] = decoded
    return out


def read_name(data: memoryview) -> str:
    """Only the ModelDef's name."""
    return parse(data).string(1)


def read_modeldef(data: memoryview, source: str) -> ModelDefInfo:
    """Describe a serialized ModelDef (raises WireError when it is not one)."""
    model = parse(data)
    graphs = model.messages(7)
    if not graphs:
        raise OmError(ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, "%s: the ModelDef holds no graph" % source)
    model_attrs = attr_map(model, 11)
    out_names = attr_value(model_attrs[OUT_NODES_NAME]) if OUT_NODES_NAME in model_attrs else []
    main = graphs[0]
    data_ops: Dict[int, OmTensor] = {}
    outputs: List[OmTensor] = []
    counter = 0
    for op in main.messages(6):
        kind = op.string(2)
        if kind in DATA_TYPES:
            name = op.string(1)
            index = counter
            counter += 1
            attrs = attr_map(op, 10)
            if "index" in attrs:
                index = int(attr_value(attrs["index"]))
            data_ops[index] = _input(op, name, source)
        elif kind == NET_OUTPUT:
            outputs += _outputs(op, out_names if isinstance(out_names, list) else [], source)
    inputs = [data_ops[i] for i in sorted(data_ops)]
    return ModelDefInfo(model.string(1), main.string(1), model.uint(2), model.string(3), inputs, outputs,
                        _scalar_attributes(model_attrs), _gears(graphs))
