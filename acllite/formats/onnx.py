"""ONNX models as AscendCL describes them: inputs, outputs, weights, and what ``acllite atc`` records.

One reading of an ONNX file, shared by the emulator's model engine (which runs it), ``acllite inspect`` (which
shows it) and the benchmarks (which time onnxruntime on it):

* :func:`describe` turns the model bytes into an :class:`OnnxDescription`: each input and output as
  ``aclmdlGetDesc`` reports it (aclDataType, dims with -1 for a dynamic dimension), the weight bytes, and the
  settings ``acllite atc`` writes into the metadata: static AIPP per input (``acllite.aipp.<input>``; the input
  is then described as the device describes an AIPP input: uint8, NHWC, the image bytes) and batch gears
  (``acllite.dynamic_batch``; an extra input ``ascend_mbatch_shape_data`` is described, as on a device).
* :func:`session` makes the onnxruntime session the emulator runs a model with (the ``ACLLITE_EMU_ORT_*``
  settings), so that a benchmark's baseline runs under the same options.

Problems raise :class:`OnnxError`, whose ``code`` is the aclError a loader answers with.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

__all__ = ["OnnxError", "TensorDesc", "OnnxDescription", "describe", "session", "ort_threads", "size_problem",
           "META_AIPP", "META_DYNAMIC_BATCH", "DYNAMIC_TENSOR_NAME", "ONNX_TYPES", "MAX_TENSOR_BYTES"]

ACL_ERROR_INVALID_PARAM = 100000
ACL_ERROR_PARSE_MODEL = 100013
ACL_ERROR_UNSUPPORTED_DATA_TYPE = 100026
ACL_UINT8, ACL_UINT64 = 4, 10
ACL_FORMAT_NCHW, ACL_FORMAT_NHWC, ACL_FORMAT_ND = 0, 1, 2
ACL_MAX_BATCH_NUM = 128  #: gears an aclmdlBatch holds

#: Metadata keys written by acllite atc into the ONNX model it produces.
META_AIPP = "acllite.aipp."
META_DYNAMIC_BATCH = "acllite.dynamic_batch"
#: The extra input of a model with gears, as ATC names it.
DYNAMIC_TENSOR_NAME = "ascend_mbatch_shape_data"
#: dynamic AIPP of an input (acllite atc, aipp_mode: dynamic): JSON {"max_src_image_size", "model_dims", "format"}
META_DYNAMIC_AIPP = "acllite.dynamic_aipp."
#: the extra input carrying the dynamic AIPP parameters (ACL_DYNAMIC_AIPP_NAME)
DYNAMIC_AIPP_NAME = "ascend_dynamic_aipp_data"
#: Shape gears recorded by acllite atc (--dynamic_image_size, --dynamic_dims): JSON, see :class:`ShapeGears`.
META_SHAPE_GEARS = "acllite.shape_gears"
#: Shape ranges recorded by acllite atc (--input_shape_range): JSON {input name: [[min, max], ...]} (max -1: unbounded).
META_SHAPE_RANGES = "acllite.shape_ranges"
GEARS_IMAGE_SIZE = "image_size"
GEARS_DIMS = "dims"

#: ONNX element type -> (aclDataType, numpy dtype). bfloat16 and strings have no numpy twin: refused.
ONNX_TYPES: Dict[int, Tuple[int, Any]] = {
    1: (0, np.float32), 10: (1, np.float16), 3: (2, np.int8), 6: (3, np.int32), 2: (4, np.uint8),
    5: (6, np.int16), 4: (7, np.uint16), 12: (8, np.uint32), 7: (9, np.int64), 13: (10, np.uint64),
    11: (11, np.float64), 9: (12, np.bool_),
}


class OnnxError(ValueError):
    """The model cannot be described; ``code`` is the aclError a loader answers with."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class TensorDesc:
    """One input or output as the device describes it, and how it maps onto the ONNX graph."""

    name: str
    acl_dtype: int
    dtype: Any  #: numpy dtype of the graph tensor
    dims: Tuple[int, ...]  #: as described; -1: dynamic
    graph_dims: Optional[Tuple[int, ...]] = None  #: the graph tensor's shape, when it differs from dims
    size: int = 0  #: bytes the device reports when dims x element size is not it (AIPP inputs)
    acl_format: int = -2  #: -2: NCHW for 4-D tensors, else ND
    synthetic: bool = False  #: described, not a graph tensor (the dynamic batch input)
    aipp: Optional[Dict[str, Any]] = None  #: static AIPP settings recorded by acllite atc
    graph_name: Optional[str] = None  #: the graph tensor's name, when it differs from name (OM twins)
    ranges: Optional[List[Tuple[int, int]]] = None  #: [min, max] per dim (--input_shape_range; max -1: unbounded)
    dims_v2: Optional[Tuple[int, ...]] = None  #: aclmdlGetInputDimsV2 when it differs (the dims after static AIPP)
    dynamic_aipp: Optional[Dict[str, Any]] = None  #: dynamic AIPP record (acllite atc): the input takes image bytes

    @property
    def batch_dynamic(self) -> bool:
        return bool(self.dims) and self.dims[0] < 0 and all(d >= 0 for d in self.dims[1:])

    @property
    def bind_dims(self) -> Tuple[int, ...]:
        return self.graph_dims if self.graph_dims is not None else self.dims

    @property
    def bind_name(self) -> str:
        return self.graph_name if self.graph_name is not None else self.name

    @property
    def format(self) -> int:
        """The aclFormat reported: ONNX carries none, so 4-D tensors are NCHW and others ND unless set."""
        if self.acl_format != -2:
            return self.acl_format
        return ACL_FORMAT_NCHW if len(self.dims) == 4 else ACL_FORMAT_ND


@dataclass
class ShapeGears:
    """Gears of ATC's ``--dynamic_image_size`` (kind ``image_size``: values are height, width) or ``--dynamic_dims``
    (kind ``dims``: values are the dynamic dims of the inputs, in order), in the order ATC was given them. Per gear,
    the complete shape of every graph input and output. On a device, the chosen gear's values are what
    ``aclmdlSetDynamicHWSize``/``aclmdlSetInputDynamicDims`` write into the extra input ``ascend_mbatch_shape_data``
    (one uint64 each)."""

    kind: str
    values: List[Tuple[int, ...]]
    inputs: List[List[Tuple[int, ...]]]  #: per gear, per graph input
    outputs: List[List[Tuple[int, ...]]]  #: per gear, per output

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "values": [list(v) for v in self.values],
                           "inputs": [[list(d) for d in g] for g in self.inputs],
                           "outputs": [[list(d) for d in g] for g in self.outputs]}, sort_keys=True)

    @classmethod
    def from_json(cls, text: Any, n_inputs: int, n_outputs: int) -> "ShapeGears":
        try:
            raw = json.loads(text)
            kind = raw["kind"]
            values = [tuple(int(x) for x in v) for v in raw["values"]]
            ins = [[tuple(int(x) for x in d) for d in g] for g in raw["inputs"]]
            outs = [[tuple(int(x) for x in d) for d in g] for g in raw["outputs"]]
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "unreadable shape gears (%s)" % exc) from None
        if kind not in (GEARS_IMAGE_SIZE, GEARS_DIMS) or not values or len(ins) != len(values) or \
                len(outs) != len(values) or any(len(g) != n_inputs for g in ins) or \
                any(len(g) != n_outputs for g in outs) or len({len(v) for v in values}) != 1:
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "inconsistent shape gears (%s, %d gears)" % (kind, len(values)))
        return cls(kind, values, ins, outs)


@dataclass
class OnnxDescription:
    """What :func:`describe` finds in a model."""

    inputs: List[TensorDesc]
    outputs: List[TensorDesc]
    weight_bytes: int
    gears: Tuple[int, ...]  #: dynamic batch gears, in the order acllite atc recorded them
    proto: Any  #: the parsed onnx.ModelProto
    shape_gears: Optional[ShapeGears] = None  #: --dynamic_image_size / --dynamic_dims gears


def _tensors(graph: Any, role: str, initializers: set) -> List[TensorDesc]:
    out = []
    for vi in graph:
        if vi.name in initializers:
            continue
        if not isinstance(vi.name, str):  # protobuf hands undecodable UTF-8 over as bytes
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "%s name %r is not UTF-8 text" % (role, vi.name))
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type") or tt.elem_type not in ONNX_TYPES:
            raise OnnxError(ACL_ERROR_UNSUPPORTED_DATA_TYPE, "%s '%s': element type %s is not supported" % (
                role, vi.name, tt.elem_type if vi.type.HasField("tensor_type") else "(not a tensor)"))
        acl_dtype, dtype = ONNX_TYPES[tt.elem_type]
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim)
        out.append(TensorDesc(vi.name, acl_dtype, dtype, dims))
    return out


def _apply_metadata(proto: Any, inputs: List[TensorDesc],
                    n_outputs: int = 0) -> Tuple[Tuple[int, ...], Optional[ShapeGears]]:
    """AIPP inputs are described as the device describes them; a dynamic-batch model gets its extra input."""
    meta = {p.key: p.value for p in proto.metadata_props}
    for t in inputs:
        raw = meta.get(META_AIPP + t.name)
        if raw is None:
            continue
        try:
            aipp = json.loads(raw)
            dims = tuple(int(d) for d in aipp["described_dims"])
            size = int(aipp["described_size"])
        except (ValueError, KeyError, TypeError) as exc:
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "input '%s': unreadable AIPP record (%s)" % (t.name, exc)) from None
        t.graph_dims, t.dims, t.size, t.aipp = t.dims, dims, size, aipp
        if "model_dims" in aipp:
            t.dims_v2 = tuple(int(d) for d in aipp["model_dims"])
        t.acl_dtype, t.dtype, t.acl_format = ACL_UINT8, np.uint8, ACL_FORMAT_NHWC
    aipp_inputs = [t for t in inputs if META_DYNAMIC_AIPP + t.name in meta]
    for t in aipp_inputs:
        try:
            record = json.loads(meta[META_DYNAMIC_AIPP + t.name])
            model_dims = tuple(int(d) for d in record["model_dims"])
            max_bytes = int(record["max_src_image_size"])
            nhwc = record["format"] == "NHWC"
        except (ValueError, KeyError, TypeError) as exc:
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "input '%s': unreadable dynamic AIPP record (%s)" % (
                t.name, exc)) from None
        batch_geared = model_dims[:1] == (-1,) and META_DYNAMIC_BATCH in meta
        if len(model_dims) != 4 or (model_dims[0] < 1 and not batch_geared) or max_bytes < 1 or \
                min(model_dims[1:]) < 1:
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "input '%s': bad dynamic AIPP record %r" % (t.name, record))
        n, (c, h, w) = model_dims[0], (model_dims[3], model_dims[1], model_dims[2]) if nhwc else model_dims[1:]
        record["chw"] = (c, h, w)
        # described as the device describes it: N source images of at most max_src_image_size bytes (uint8); with
        # batch gears, the size of one (the emulator sizes the buffer for the largest gear)
        t.graph_dims, t.dims, t.size, t.dynamic_aipp = t.dims, (n, h, w, c), max(n, 1) * max_bytes, record
        t.dims_v2 = model_dims
        t.acl_dtype, t.dtype, t.acl_format = ACL_UINT8, np.uint8, ACL_FORMAT_NHWC
    if len(aipp_inputs) > 1:
        raise OnnxError(ACL_ERROR_PARSE_MODEL, "dynamic AIPP on %d inputs: acllite runs one" % len(aipp_inputs))
    if aipp_inputs:
        record = aipp_inputs[0].dynamic_aipp
        assert record is not None
        record["data_index"] = len(inputs)
        n = int(record["model_dims"][0])
        if n < 0:  # batch gears: parameters for the largest gear's images
            try:
                n = max(int(g) for g in meta[META_DYNAMIC_BATCH].split(","))
            except (ValueError, TypeError):
                raise OnnxError(ACL_ERROR_PARSE_MODEL, "unreadable dynamic batch gears %r" % (
                    meta[META_DYNAMIC_BATCH],)) from None
            record["max_batch"] = n
        inputs.append(TensorDesc(DYNAMIC_AIPP_NAME, ACL_UINT8, np.uint8, (64 + 96 * n,), acl_format=ACL_FORMAT_ND,
                                 synthetic=True))
    gears: Tuple[int, ...] = ()
    if aipp_inputs and (META_SHAPE_GEARS in meta or META_SHAPE_RANGES in meta):
        raise OnnxError(ACL_ERROR_PARSE_MODEL, "dynamic AIPP with shape gears or shape ranges is not emulated")
    if META_DYNAMIC_BATCH in meta:
        try:
            gears = tuple(int(g) for g in meta[META_DYNAMIC_BATCH].split(","))
        except (ValueError, TypeError):  # TypeError: protobuf hands undecodable UTF-8 over as bytes
            raise OnnxError(ACL_ERROR_PARSE_MODEL,
                            "unreadable dynamic batch gears %r" % meta[META_DYNAMIC_BATCH]) from None
        inputs.append(TensorDesc(DYNAMIC_TENSOR_NAME, ACL_UINT64, np.uint64, (1,), acl_format=ACL_FORMAT_ND,
                                 synthetic=True))
    if META_SHAPE_RANGES in meta:
        try:
            table = json.loads(meta[META_SHAPE_RANGES])
            for t in inputs:
                if t.name in table:
                    t.ranges = [(int(lo), int(hi)) for lo, hi in table[t.name]]
                else:  # the other inputs are static: each dim its own range
                    t.ranges = [(d, d) for d in t.dims]
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "unreadable shape ranges (%s)" % exc) from None
        if any(len(t.ranges or ()) != len(t.dims) for t in inputs):
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "shape ranges do not match the inputs' ranks")
    shape_gears = None
    if META_SHAPE_GEARS in meta:
        if gears:
            raise OnnxError(ACL_ERROR_PARSE_MODEL, "a model has batch gears or shape gears, not both")
        shape_gears = ShapeGears.from_json(meta[META_SHAPE_GEARS], len(inputs), n_outputs)
        inputs.append(TensorDesc(DYNAMIC_TENSOR_NAME, ACL_UINT64, np.uint64, (len(shape_gears.values[0]),),
                                 acl_format=ACL_FORMAT_ND, synthetic=True))
    return gears, shape_gears


def describe(data: bytes) -> OnnxDescription:
    """The description of the ONNX model in ``data`` (raises :class:`OnnxError`)."""
    import onnx

    try:
        proto = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises its own DecodeError
        raise OnnxError(ACL_ERROR_PARSE_MODEL, "not a readable ONNX model (%s)" % exc) from None
    if not proto.graph.output:
        raise OnnxError(ACL_ERROR_PARSE_MODEL, "not an ONNX model: the graph has no outputs")
    init = {t.name for t in proto.graph.initializer}
    inputs = _tensors(proto.graph.input, "input", init)
    outputs = _tensors(proto.graph.output, "output", set())
    gears, shape_gears = _apply_metadata(proto, inputs, len(outputs))
    weights = 0
    for t in proto.graph.initializer:
        if t.raw_data:
            weights += len(t.raw_data)
        else:
            n = int(np.prod(t.dims, dtype=np.int64)) if t.dims else 1
            weights += n * np.dtype(ONNX_TYPES.get(t.data_type, (0, np.float32))[1]).itemsize
    return OnnxDescription(inputs, outputs, weights, gears, proto, shape_gears)


#: The largest tensor (and model working memory) the emulator accepts: GE keeps sizes in int64_t.
MAX_TENSOR_BYTES = (1 << 63) - 1


def size_problem(d: OnnxDescription) -> Optional[str]:
    """Why the emulator refuses this description's sizes (ACL_ERROR_PARSE_MODEL), or None; the same rule as its C
    (csrc/emu/model.c): at most 32 dims of -1 or more; each tensor's bytes (the dims other than 0 included) and the
    largest gear's within int64; distinct gears of 1 to 2**63 - 1; all tensors together within int64.
    ``acllite inspect`` and ``acllite atc`` apply it so that they agree with ``aclmdlGetInputSizeByIndex``."""
    if len(d.gears) > ACL_MAX_BATCH_NUM:
        return "%d dynamic batch gears: at most %d" % (len(d.gears), ACL_MAX_BATCH_NUM)
    for g in d.gears:
        if not 1 <= g <= MAX_TENSOR_BYTES:
            return "dynamic batch gear %d: a batch is 1 to %d" % (g, MAX_TENSOR_BYTES)
    if len(set(d.gears)) != len(d.gears):
        return "a dynamic batch gear is listed twice (%s)" % ",".join(str(g) for g in d.gears)
    top = max(d.gears) if d.gears else 1
    total = 0
    for role, tensors in (("input", d.inputs), ("output", d.outputs)):
        for i, t in enumerate(tensors):
            if len(t.dims) > 32:
                return "%s %d '%s': %d dimensions, more than a description holds (32)" % (role, i, t.name,
                                                                                        len(t.dims))
            if any(x < -1 for x in t.dims):
                return "%s %d '%s': dims %s: only -1 (dynamic) may be negative" % (role, i, t.name, list(t.dims))
            # the dims other than 0 must fit too: a 0 does not make [2**40, 2**40, 0] a sensible shape
            span = nbytes = int(np.prod([x for x in t.dims if x > 0], dtype=object)) * np.dtype(t.dtype).itemsize
            if nbytes > MAX_TENSOR_BYTES:
                return "%s %d '%s': %s elements of %d bytes are more than %d bytes (the size must fit in int64)" % (
                    role, i, t.name, list(t.dims), np.dtype(t.dtype).itemsize, MAX_TENSOR_BYTES)
            if 0 in t.dims:
                nbytes = 0
            if t.size:
                if not 0 < t.size <= MAX_TENSOR_BYTES:
                    return "%s %d '%s': a described size of %d bytes is not 1 to %d" % (role, i, t.name, t.size,
                                                                                       MAX_TENSOR_BYTES)
                nbytes = t.size
            if any(x < 0 for x in t.dims[1:]):
                continue  # sized by the run (outputs only): nothing reserved
            if t.batch_dynamic and d.gears:
                if max(nbytes, span) * top > MAX_TENSOR_BYTES:
                    return "%s %d '%s': %d bytes per batch item x the largest gear %d are more than %d bytes" % (
                        role, i, t.name, span, top, MAX_TENSOR_BYTES)
                nbytes *= top
            total += nbytes
    if total > MAX_TENSOR_BYTES:
        return "the model's inputs and outputs together are more than %d bytes" % MAX_TENSOR_BYTES
    return None


def ort_threads() -> int:
    """onnxruntime intra-op threads: ``ACLLITE_EMU_ORT_THREADS``, default the CPU count (at most 4)."""
    value = os.environ.get("ACLLITE_EMU_ORT_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise OnnxError(ACL_ERROR_INVALID_PARAM,
                            "ACLLITE_EMU_ORT_THREADS=%r: expected a positive number of threads" % value)
        return int(value)
    return max(1, min(4, os.cpu_count() or 1))


def session(data: bytes) -> Any:
    """An onnxruntime session of the model, configured as the emulator runs models (raises OnnxError)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = ort_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if os.environ.get("ACLLITE_EMU_ORT_SPINNING", "1").strip() == "0":
        # Idle intra-op threads otherwise spin: cheaper latency for one session, but several live sessions on
        # few cores slow each other down (acllite bench execute turns it off for that reason).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise OnnxError(ACL_ERROR_PARSE_MODEL, "onnxruntime cannot load the model: %s" % exc) from None
