"""The emulator's model engine: ONNX models run by onnxruntime, called back from the emulator's C.

The C side (csrc/emu/model.c) owns model ids, descriptions, datasets and every check; it calls these functions
with raw tensor pointers. Inputs are read and outputs written in place through onnxruntime's I/O binding, bound
once per set of buffers and reused, so a call allocates nothing and copies nothing that the hardware would not.

Why callbacks into onnxruntime's Python API rather than its C library: the wheel ships ``libonnxruntime.so``
but no header, and its C API is a versioned table of function pointers whose layout we would have to re-declare
by hand; the Python API is stable, and the callback costs about a microsecond (``acllite bench execute``).

Environment: ``ACLLITE_EMU_ORT_THREADS`` sets onnxruntime's intra-op threads (default: the CPU count, at most 4);
``ACLLITE_EMU_ORT_SPINNING=0`` stops idle intra-op threads from spinning (default: onnxruntime's, spinning).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ._native import ffi, lib

logger = logging.getLogger("acllite.emulator")

ACL_ERROR_PARSE_MODEL = 100013
ACL_ERROR_UNSUPPORTED_DATA_TYPE = 100026
ACL_ERROR_INVALID_MODEL_ID = 100011
ACL_ERROR_MODEL_OUTPUT_NOT_MATCH = 100018
ACL_ERROR_INTERNAL_ERROR = 500000
ACL_ERROR_GE_FAILURE = 500002
ACL_FORMAT_NCHW, ACL_FORMAT_ND = 0, 2
BINDINGS_KEPT = 64  # I/O bindings cached per model (one per set of buffers and batch)

# ONNX element type -> (aclDataType, numpy dtype). bfloat16 and strings have no numpy twin: refused at load.
_ONNX_TYPES: Dict[int, Tuple[int, Any]] = {
    1: (0, np.float32), 10: (1, np.float16), 3: (2, np.int8), 6: (3, np.int32), 2: (4, np.uint8),
    5: (6, np.int16), 4: (7, np.uint16), 12: (8, np.uint32), 7: (9, np.int64), 13: (10, np.uint64),
    11: (11, np.float64), 9: (12, np.bool_),
}


@dataclass
class _Tensor:
    name: str
    acl_dtype: int
    dtype: Any
    dims: Tuple[int, ...]  # as described to the emulator; -1: dynamic
    graph_dims: Optional[Tuple[int, ...]] = None  # the onnxruntime tensor's shape, when it differs from dims
    size: int = 0  # bytes the device reports when dims x element size is not it (AIPP inputs)
    acl_format: int = -2  # -2: NCHW for 4-D tensors, else ND
    synthetic: bool = False  # described, not a graph tensor (the dynamic batch input)
    aipp: Optional[Dict[str, Any]] = None  # static AIPP settings recorded by acllite atc
    graph_name: Optional[str] = None  # the onnxruntime tensor's name, when it differs from name (OM twins)

    @property
    def batch_dynamic(self) -> bool:
        return bool(self.dims) and self.dims[0] < 0 and all(d >= 0 for d in self.dims[1:])

    @property
    def bind_dims(self) -> Tuple[int, ...]:
        return self.graph_dims if self.graph_dims is not None else self.dims

    @property
    def bind_name(self) -> str:
        return self.graph_name if self.graph_name is not None else self.name


@dataclass
class _Model:
    inputs: List[_Tensor]
    outputs: List[_Tensor]
    session: Any = None
    bindings: "OrderedDict[Any, Tuple[Any, List[Any]]]" = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    gears: Tuple[int, ...] = ()  # dynamic batch gears (acllite atc --dynamic_batch_size)
    dynamic_index: int = -1  # index of the described input that carries the batch
    missing: Optional["_EngineError"] = None  # why there is no session (an OM without twin): execute fails with it


_models: Dict[int, _Model] = {}
_handles = itertools.count(1)


def _threads() -> int:
    value = os.environ.get("ACLLITE_EMU_ORT_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise _EngineError(100000, "ACLLITE_EMU_ORT_THREADS=%r: expected a positive number of threads" % value)
        return int(value)
    return max(1, min(4, os.cpu_count() or 1))


def _describe(graph: Any, role: str, initializers: set) -> List[_Tensor]:
    out = []
    for vi in graph:
        if vi.name in initializers:
            continue
        if not isinstance(vi.name, str):  # protobuf hands undecodable UTF-8 over as bytes
            raise _EngineError(ACL_ERROR_PARSE_MODEL, "%s name %r is not UTF-8 text" % (role, vi.name))
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type") or tt.elem_type not in _ONNX_TYPES:
            raise _EngineError(ACL_ERROR_UNSUPPORTED_DATA_TYPE, "%s '%s': element type %s is not supported" % (
                role, vi.name, tt.elem_type if vi.type.HasField("tensor_type") else "(not a tensor)"))
        acl_dtype, dtype = _ONNX_TYPES[tt.elem_type]
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim)
        out.append(_Tensor(vi.name, acl_dtype, dtype, dims))
    return out


class _EngineError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def _write_message(buf: Any, size: int, text: str) -> None:
    raw = text.encode("utf-8", "replace")[: max(0, size - 1)]
    ffi.memmove(buf, raw + b"\0", len(raw) + 1)


#: Metadata keys written by acllite atc (acllite/atc.py) into the ONNX model it produces.
META_AIPP = "acllite.aipp."
META_DYNAMIC_BATCH = "acllite.dynamic_batch"
ACL_UINT8, ACL_UINT64, ACL_FORMAT_NHWC = 4, 10, 1
DYNAMIC_TENSOR_NAME = "ascend_mbatch_shape_data"


def _apply_metadata(proto: Any, inputs: List[_Tensor]) -> Tuple[int, ...]:
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
            raise _EngineError(ACL_ERROR_PARSE_MODEL, "input '%s': unreadable AIPP record (%s)" % (t.name, exc)) from None
        t.graph_dims, t.dims, t.size, t.aipp = t.dims, dims, size, aipp
        t.acl_dtype, t.dtype, t.acl_format = ACL_UINT8, np.uint8, ACL_FORMAT_NHWC
    gears: Tuple[int, ...] = ()
    if META_DYNAMIC_BATCH in meta:
        try:
            gears = tuple(int(g) for g in meta[META_DYNAMIC_BATCH].split(","))
        except (ValueError, TypeError):  # TypeError: protobuf hands undecodable UTF-8 over as bytes
            raise _EngineError(ACL_ERROR_PARSE_MODEL, "unreadable dynamic batch gears %r" % meta[META_DYNAMIC_BATCH]) from None
        inputs.append(_Tensor(DYNAMIC_TENSOR_NAME, ACL_UINT64, np.uint64, (1,), acl_format=2, synthetic=True))
    return gears


def _parse(data: bytes) -> Tuple[List[_Tensor], List[_Tensor], int, Tuple[int, ...]]:
    import onnx

    try:
        proto = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises its own DecodeError
        raise _EngineError(ACL_ERROR_PARSE_MODEL, "not a readable ONNX model (%s)" % exc) from None
    if not proto.graph.output:
        raise _EngineError(ACL_ERROR_PARSE_MODEL, "not an ONNX model: the graph has no outputs")
    init = {t.name for t in proto.graph.initializer}
    inputs = _describe(proto.graph.input, "input", init)
    outputs = _describe(proto.graph.output, "output", set())
    gears = _apply_metadata(proto, inputs)
    weights = 0
    for t in proto.graph.initializer:
        if t.raw_data:
            weights += len(t.raw_data)
        else:
            n = int(np.prod(t.dims, dtype=np.int64)) if t.dims else 1
            weights += n * np.dtype(_ONNX_TYPES.get(t.data_type, (0, np.float32))[1]).itemsize
    return inputs, outputs, weights, gears


def _session(data: bytes) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = _threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if os.environ.get("ACLLITE_EMU_ORT_SPINNING", "1").strip() == "0":
        # Idle intra-op threads otherwise spin: cheaper latency for one session, but several live sessions on
        # few cores slow each other down (acllite bench execute turns it off for that reason).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise _EngineError(ACL_ERROR_PARSE_MODEL, "onnxruntime cannot load the model: %s" % exc) from None


@ffi.def_extern(error=ACL_ERROR_INTERNAL_ERROR)
def acllite_py_model_load(data, size, describe_only, handle_out, n_in, n_out, weight_bytes, message, message_len):  # type: ignore[no-untyped-def]
    try:
        blob = bytes(ffi.buffer(data, size))
        inputs, outputs, weights, gears = _parse(blob)
        model = _Model(inputs, outputs, None if describe_only else _session(blob), gears=gears,
                       dynamic_index=len(inputs) - 1 if gears else -1)
    except _EngineError as exc:
        _write_message(message, message_len, str(exc))
        return exc.code
    except Exception as exc:  # never let an exception cross into C
        _write_message(message, message_len, "model load failed: %r" % (exc,))
        return ACL_ERROR_INTERNAL_ERROR
    return _publish(model, weights, handle_out, n_in, n_out, weight_bytes)


def _publish(model: _Model, weights: int, handle_out: Any, n_in: Any, n_out: Any, weight_bytes: Any) -> int:
    """Give a loaded model its engine handle and tell the emulator its counts (ACL_SUCCESS)."""
    handle = next(_handles)
    _models[handle] = model
    handle_out[0] = handle
    n_in[0] = len(model.inputs)
    n_out[0] = len(model.outputs)
    weight_bytes[0] = weights
    return 0


@ffi.def_extern(error=ACL_ERROR_INTERNAL_ERROR)
def acllite_py_model_describe(handle, is_output, index, desc):  # type: ignore[no-untyped-def]
    model = _models.get(handle)
    if model is None:
        return ACL_ERROR_INVALID_MODEL_ID
    t = (model.outputs if is_output else model.inputs)[index]
    name = t.name.encode()[:127]
    ffi.memmove(desc.name, name + b"\0", len(name) + 1)
    desc.dataType = t.acl_dtype
    desc.format = t.acl_format if t.acl_format != -2 else (ACL_FORMAT_NCHW if len(t.dims) == 4 else ACL_FORMAT_ND)
    desc.dimCount = len(t.dims)
    for k, d in enumerate(t.dims[:32]):
        desc.dims[k] = d
    desc.size = t.size
    return 0


def _bind(model: _Model, inputs: Any, outputs: Any) -> Tuple[Any, List[int]]:
    """An I/O binding of these buffers: inputs read in place; outputs written in place when the emulator gave
    their shape (all static dims, or a batch-dynamic one); the indices of the others, which onnxruntime
    allocates and the engine copies after the run."""
    binding = model.session.io_binding()
    for i, t in enumerate(model.inputs):
        if t.synthetic:
            continue
        batch = inputs[i].dims[0] if inputs[i].dimCount else 1
        shape = [batch if d < 0 else d for d in t.bind_dims]
        binding.bind_input(t.bind_name, "cpu", 0, t.dtype, shape, int(ffi.cast("uintptr_t", inputs[i].data)))
    unbound = []
    for i, t in enumerate(model.outputs):
        shape = [outputs[i].dims[k] for k in range(outputs[i].dimCount)]
        if all(d >= 0 for d in shape):
            binding.bind_output(t.bind_name, "cpu", 0, t.dtype, shape, int(ffi.cast("uintptr_t", outputs[i].data)))
        else:
            binding.bind_output(t.bind_name, "cpu")
            unbound.append(i)
    return binding, unbound


_TENSOR_BYTES = ffi.sizeof("acllite_emu_tensor")


@ffi.def_extern(error=ACL_ERROR_INTERNAL_ERROR)
def acllite_py_model_execute(handle, inputs, n_in, outputs, n_out, message, message_len):  # type: ignore[no-untyped-def]
    model = _models.get(handle)
    if model is not None and model.missing is not None:
        _write_message(message, message_len, str(model.missing))
        return model.missing.code
    if model is None or model.session is None:
        _write_message(message, message_len, "no session for engine model %d" % handle)
        return ACL_ERROR_INVALID_MODEL_ID
    # The binding depends on the buffers and the shapes: key on the exact bytes of both tensor arrays (the
    # emulator has already written the output shapes it knows).
    key = ffi.buffer(inputs, n_in * _TENSOR_BYTES)[:] + ffi.buffer(outputs, n_out * _TENSOR_BYTES)[:]
    try:
        entry = model.bindings.get(key)
        if entry is None:
            entry = _bind(model, inputs, outputs)
            with model.lock:
                model.bindings[key] = entry
                if len(model.bindings) > BINDINGS_KEPT:
                    model.bindings.popitem(last=False)
        binding, unbound = entry
        model.session.run_with_iobinding(binding)
        if unbound:
            results = binding.get_outputs()
            for i in unbound:
                value = results[i].numpy()
                if value.nbytes > outputs[i].size:
                    _write_message(message, message_len, "output %d '%s' produced %d bytes; its buffer holds %d" % (
                        i, model.outputs[i].name, value.nbytes, outputs[i].size))
                    return ACL_ERROR_MODEL_OUTPUT_NOT_MATCH
                ffi.memmove(outputs[i].data, np.ascontiguousarray(value), value.nbytes)
                outputs[i].dimCount = value.ndim
                for k, d in enumerate(value.shape[:32]):
                    outputs[i].dims[k] = d
    except Exception as exc:
        _write_message(message, message_len, "onnxruntime failed: %s" % exc)
        return ACL_ERROR_GE_FAILURE
    return 0


@ffi.def_extern()
def acllite_py_model_unload(handle):  # type: ignore[no-untyped-def]
    _models.pop(handle, None)


_AIPP_FORMATS = {"YUV420SP_U8": 1, "XRGB8888_U8": 2, "RGB888_U8": 3, "YUV400_U8": 4, "ARGB8888_U8": 7,
                 "YUYV_U8": 8, "YUV422SP_U8": 9, "AYUV444_U8": 10}
ACL_ERROR_GE_AIPP_NOT_EXIST = 145015


def _fill_dims(target: Any, name: str, dims: List[int]) -> None:
    raw = name.encode()[:127]
    ffi.memmove(target.name, raw + b"\0", len(raw) + 1)
    target.dimCount = len(dims)
    for k, d in enumerate(dims[:128]):
        target.dims[k] = d


@ffi.def_extern(error=ACL_ERROR_INTERNAL_ERROR)
def acllite_py_model_aipp_info(handle, index, info):  # type: ignore[no-untyped-def]
    model = _models.get(handle)
    if model is None:
        return ACL_ERROR_INVALID_MODEL_ID
    aipp = model.inputs[index].aipp if index < len(model.inputs) else None
    if aipp is None:
        return ACL_ERROR_GE_AIPP_NOT_EXIST
    p = aipp["params"]
    info.inputFormat = _AIPP_FORMATS.get(aipp["input_format"], 0xFFFF)
    info.srcImageSizeW, info.srcImageSizeH = p["src_image_size_w"], p["src_image_size_h"]
    info.cropSwitch, info.loadStartPosW, info.loadStartPosH = p["crop"], p["load_start_pos_w"], p["load_start_pos_h"]
    info.cropSizeW, info.cropSizeH = p["crop_size_w"], p["crop_size_h"]
    info.paddingSwitch = p["padding"]
    info.leftPaddingSize, info.rightPaddingSize = p["left_padding_size"], p["right_padding_size"]
    info.topPaddingSize, info.bottomPaddingSize = p["top_padding_size"], p["bottom_padding_size"]
    info.cscSwitch, info.rbuvSwapSwitch, info.axSwapSwitch = p["csc_switch"], p["rbuv_swap_switch"], p["ax_swap_switch"]
    for r in range(3):
        for c in range(3):
            setattr(info, "matrixR%dC%d" % (r, c), p["matrix_r%dc%d" % (r, c)])
    for k in range(3):
        setattr(info, "outputBias%d" % k, p["output_bias_%d" % k])
        setattr(info, "inputBias%d" % k, p["input_bias_%d" % k])
    for k in range(4):
        setattr(info, "meanChn%d" % k, int(p["mean_chn_%d" % k]))
        setattr(info, "minChn%d" % k, float(p["min_chn_%d" % k]))
        setattr(info, "varReciChn%d" % k, float(p["var_reci_chn_%d" % k]))
    info.srcFormat = ACL_FORMAT_NCHW
    info.srcDatatype = 0  # the model consumes float
    model_dims = [int(d) for d in aipp["model_dims"]]
    info.srcDimNum = len(model_dims)
    info.shapeCount = 1
    _fill_dims(info.outDims[0].srcDims, model.inputs[index].name, list(model.inputs[index].dims))
    info.outDims[0].srcSize = model.inputs[index].size
    _fill_dims(info.outDims[0].aippOutdims, model.inputs[index].name, model_dims)
    info.outDims[0].aippOutSize = 4 * int(np.prod([max(d, 1) for d in model_dims]))
    return 0


@ffi.def_extern(error=ACL_ERROR_INTERNAL_ERROR)
def acllite_py_model_dynamic_batch(handle, batch, dynamic_index):  # type: ignore[no-untyped-def]
    model = _models.get(handle)
    if model is None:
        return ACL_ERROR_INVALID_MODEL_ID
    batch.batchCount = len(model.gears)
    for k, g in enumerate(model.gears[:128]):
        batch.batch[k] = g
    dynamic_index[0] = max(model.dynamic_index, 0)
    return 0


_engine: Optional[Any] = None


def register() -> None:
    """Hand the engine's callbacks to the emulator."""
    global _engine
    engine = ffi.new("acllite_emu_model_engine *")
    engine.load = lib.acllite_py_model_load
    engine.describe = lib.acllite_py_model_describe
    engine.execute = lib.acllite_py_model_execute
    engine.unload = lib.acllite_py_model_unload
    engine.aippInfo = lib.acllite_py_model_aipp_info
    engine.dynamicBatch = lib.acllite_py_model_dynamic_batch
    from . import _emu_om  # noqa: F401  (defines acllite_py_model_load_om; it builds on this module)

    engine.loadOm = lib.acllite_py_model_load_om
    lib.acllite_emu_set_model_engine(engine)
    _engine = engine
    logger.debug("model engine registered (onnxruntime)")
