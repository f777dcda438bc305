"""The emulator's model engine: ONNX models run by onnxruntime, called back from the emulator's C.

The C side (csrc/emu/model.c) owns model ids, descriptions, datasets and every check; it calls these functions
with raw tensor pointers. Inputs are read and outputs written in place through onnxruntime's I/O binding, bound
once per set of buffers and reused, so a call allocates nothing and copies nothing that the hardware would not.

Why callbacks into onnxruntime's Python API rather than its C library: the wheel ships ``libonnxruntime.so``
but no header, and its C API is a versioned table of function pointers whose layout we would have to re-declare
by hand; the Python API is stable, and the callback costs about a microsecond (``acllite bench execute``).

Environment: ``ACLLITE_EMU_ORT_THREADS`` sets onnxruntime's intra-op threads (default: the CPU count, at most 4).
"""

from __future__ import annotations

import itertools
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
    dims: Tuple[int, ...]  # -1: dynamic

    @property
    def batch_dynamic(self) -> bool:
        return bool(self.dims) and self.dims[0] < 0 and all(d >= 0 for d in self.dims[1:])


@dataclass
class _Model:
    inputs: List[_Tensor]
    outputs: List[_Tensor]
    session: Any = None
    bindings: "OrderedDict[Any, Tuple[Any, List[Any]]]" = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)


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


def _parse(data: bytes) -> Tuple[List[_Tensor], List[_Tensor], int]:
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
    weights = 0
    for t in proto.graph.initializer:
        if t.raw_data:
            weights += len(t.raw_data)
        else:
            n = int(np.prod(t.dims, dtype=np.int64)) if t.dims else 1
            weights += n * np.dtype(_ONNX_TYPES.get(t.data_type, (0, np.float32))[1]).itemsize
    return inputs, outputs, weights


def _session(data: bytes) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = _threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise _EngineError(ACL_ERROR_PARSE_MODEL, "onnxruntime cannot load the model: %s" % exc) from None


@ffi.def_extern(error=ACL_ERROR_INTERNAL_ERROR)
def acllite_py_model_load(data, size, describe_only, handle_out, n_in, n_out, weight_bytes, message, message_len):  # type: ignore[no-untyped-def]
    try:
        blob = bytes(ffi.buffer(data, size))
        inputs, outputs, weights = _parse(blob)
        model = _Model(inputs, outputs, None if describe_only else _session(blob))
    except _EngineError as exc:
        _write_message(message, message_len, str(exc))
        return exc.code
    except Exception as exc:  # never let an exception cross into C
        _write_message(message, message_len, "model load failed: %r" % (exc,))
        return ACL_ERROR_INTERNAL_ERROR
    handle = next(_handles)
    _models[handle] = model
    handle_out[0] = handle
    n_in[0] = len(inputs)
    n_out[0] = len(outputs)
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
    desc.format = ACL_FORMAT_NCHW if len(t.dims) == 4 else ACL_FORMAT_ND
    desc.dimCount = len(t.dims)
    for k, d in enumerate(t.dims[:32]):
        desc.dims[k] = d
    return 0


def _bind(model: _Model, inputs: Any, outputs: Any) -> Tuple[Any, List[int]]:
    """An I/O binding of these buffers: inputs read in place; outputs written in place when the emulator gave
    their shape (all static dims, or a batch-dynamic one); the indices of the others, which onnxruntime
    allocates and the engine copies after the run."""
    binding = model.session.io_binding()
    for i, t in enumerate(model.inputs):
        shape = [inputs[i].dims[k] for k in range(inputs[i].dimCount)]
        binding.bind_input(t.name, "cpu", 0, t.dtype, shape, int(ffi.cast("uintptr_t", inputs[i].data)))
    unbound = []
    for i, t in enumerate(model.outputs):
        shape = [outputs[i].dims[k] for k in range(outputs[i].dimCount)]
        if all(d >= 0 for d in shape):
            binding.bind_output(t.name, "cpu", 0, t.dtype, shape, int(ffi.cast("uintptr_t", outputs[i].data)))
        else:
            binding.bind_output(t.name, "cpu")
            unbound.append(i)
    return binding, unbound


_TENSOR_BYTES = ffi.sizeof("acllite_emu_tensor")


@ffi.def_extern(error=ACL_ERROR_INTERNAL_ERROR)
def acllite_py_model_execute(handle, inputs, n_in, outputs, n_out, message, message_len):  # type: ignore[no-untyped-def]
    model = _models.get(handle)
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


_engine: Optional[Any] = None


def register() -> None:
    """Hand the engine's callbacks to the emulator."""
    global _engine
    engine = ffi.new("acllite_emu_model_engine *")
    engine.load = lib.acllite_py_model_load
    engine.describe = lib.acllite_py_model_describe
    engine.execute = lib.acllite_py_model_execute
    engine.unload = lib.acllite_py_model_unload
    lib.acllite_emu_set_model_engine(engine)
    _engine = engine
    logger.debug("model engine registered (onnxruntime)")
