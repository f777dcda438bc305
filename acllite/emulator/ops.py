"""The emulator's single-operator engine: one CANN operator as an ONNX graph on onnxruntime, called back from C.

The C side (csrc/emu/op.c) owns attributes, handles, the registry of operator models, matching and every check;
it calls these functions with raw pointers. An operator model is a description (:mod:`acllite.formats.singleop`);
its graph is built and its onnxruntime session made the first time it runs at given shapes (and, for the inputs
whose values shape the graph, such as a transpose's ``perm``, those values), then cached. Inputs are read and
outputs written in place through onnxruntime's I/O binding, bound once per set of buffers and reused.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

import numpy as np

from .._acl_cffi import ffi
from ..formats import onnx as onnx_format
from ..formats import singleop
from ._extern import extern
from .models import ACL_ERROR_INTERNAL_ERROR, write_message

logger = logging.getLogger("acllite.emulator")

ACL_ERROR_INVALID_PARAM = 100000
ACL_ERROR_GE_FAILURE = 500002
ACL_ERROR_STORAGE_OVER_LIMIT = 300000
ACL_ERROR_UNSUPPORTED_DATA_TYPE = 100026
SESSIONS_KEPT = 16  # sessions per operator (one per set of shapes and values)
BINDINGS_KEPT = 64  # I/O bindings per session (one per set of buffers)
_TENSOR_BYTES = ffi.sizeof("acllite_emu_tensor")


@dataclass
class _Session:
    session: Any
    inputs: List[int]  #: the operator inputs that are graph inputs (the others are values in the graph)
    bindings: "OrderedDict[bytes, Any]" = field(default_factory=OrderedDict)


@dataclass
class _Op:
    desc: singleop.OpDesc
    values: Tuple[int, ...]  #: inputs whose values shape the graph
    sessions: "OrderedDict[Any, _Session]" = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: the emulator's id of a set of tensors (their addresses, sizes and shapes) -> (run, binding): the hot path
    #: of an operator whose graph depends on its shapes only
    ready: Dict[int, Tuple[Any, Any]] = field(default_factory=dict)


_ops: Dict[int, _Op] = {}
_handles = itertools.count(1)


def _publish(desc: singleop.OpDesc, handle_out: Any, n_in: Any, n_out: Any) -> int:
    handle = next(_handles)
    _ops[handle] = _Op(desc, singleop.value_inputs(desc))
    handle_out[0] = handle
    n_in[0] = len(desc.inputs)
    n_out[0] = len(desc.outputs)
    return 0


@extern(ACL_ERROR_INTERNAL_ERROR, "operator load failed")
def acllite_py_op_load(data, size, handle_out, n_in, n_out, op_type, op_type_len, message, message_len):
    try:
        desc = singleop.decode(bytes(ffi.buffer(data, size)))
        write_message(op_type, op_type_len, desc.op)
        return _publish(desc, handle_out, n_in, n_out)
    except singleop.SingleOpError as exc:
        write_message(message, message_len, str(exc))
        return exc.code
    except Exception as exc:  # never let an exception cross into C
        write_message(message, message_len, "operator load failed: %r" % (exc,))
        return ACL_ERROR_INTERNAL_ERROR


@extern(ACL_ERROR_INTERNAL_ERROR, "describing an operator tensor failed")
def acllite_py_op_describe(handle, is_output, index, out):
    try:
        op = _ops.get(handle)
        if op is None:
            return ACL_ERROR_INVALID_PARAM
        t = (op.desc.outputs if is_output else op.desc.inputs)[index]
        out.dataType, out.format = t.dtype, t.format
        out.dimCount = len(t.shape)
        for k, d in enumerate(t.shape):
            out.dims[k] = d
        out.rangeCount = len(t.shape_range)
        for k, (lo, hi) in enumerate(t.shape_range):
            out.ranges[k][0], out.ranges[k][1] = lo, hi
        out.isConst = int(t.const is not None)
        return 0
    except Exception as exc:  # no message buffer here: the log says what failed
        logger.error("describing operator %s tensor %s failed: %s: %s", handle, index, type(exc).__name__, exc)
        return ACL_ERROR_INTERNAL_ERROR


@extern(ACL_ERROR_INTERNAL_ERROR, "reading an operator's attributes failed")
def acllite_py_op_attributes(handle, text, capacity, needed):
    try:
        op = _ops.get(handle)
        if op is None:
            return ACL_ERROR_INVALID_PARAM
        raw = singleop.attrs_text(op.desc.attrs).encode()
        needed[0] = len(raw) + 1
        if len(raw) + 1 > capacity:
            return ACL_ERROR_STORAGE_OVER_LIMIT
        ffi.memmove(text, raw + b"\0", len(raw) + 1)
        return 0
    except Exception as exc:  # no message buffer here: the log says what failed
        logger.error("reading operator %s's attributes failed: %s: %s", handle, type(exc).__name__, exc)
        return ACL_ERROR_INTERNAL_ERROR


def _tensor_of(t: Any) -> singleop.OpTensor:
    n = int(t.dimCount)
    shape = tuple(int(t.dims[k]) for k in range(min(n, 32)))
    ranges = tuple((int(t.ranges[k][0]), int(t.ranges[k][1])) for k in range(min(int(t.rangeCount), 32)))
    return singleop.OpTensor(int(t.dataType), int(t.format), shape, ranges)


@extern(ACL_ERROR_INTERNAL_ERROR, "operator compile failed")
def acllite_py_op_compile(op_type, inputs, n_in, outputs, n_out, attributes, handle_out, message, message_len):
    try:
        if any(int(inputs[i].dataType) not in singleop.TYPES for i in range(n_in)) or \
                any(int(outputs[i].dataType) not in singleop.TYPES for i in range(n_out)):
            raise singleop.SingleOpError(ACL_ERROR_UNSUPPORTED_DATA_TYPE, "a data type the emulator does not compute")
        desc = singleop.OpDesc(ffi.string(op_type).decode("utf-8", "replace"),
                               [_tensor_of(inputs[i]) for i in range(n_in)],
                               [_tensor_of(outputs[i]) for i in range(n_out)],
                               singleop.parse_attrs_text(ffi.string(attributes).decode("utf-8", "surrogateescape")))
        singleop.validate(desc)
        if not any(t.dynamic for t in desc.inputs + desc.outputs) and not singleop.value_inputs(desc):
            # a static operator is built now, so that a description it does not fit fails here, as compiling does
            singleop.build_graph(desc, [t.shape for t in desc.inputs], [t.shape for t in desc.outputs], {})
        return _publish(desc, handle_out, ffi.new("size_t *"), ffi.new("size_t *"))
    except singleop.SingleOpError as exc:
        write_message(message, message_len, str(exc))
        return exc.code
    except Exception as exc:
        write_message(message, message_len, "operator compile failed: %r" % (exc,))
        return ACL_ERROR_INTERNAL_ERROR


def _shape(t: Any) -> Tuple[int, ...]:
    return tuple(t.dims[k] for k in range(t.dimCount))


def _session_for(op: _Op, inputs: Any, n_in: int, outputs: Any, n_out: int) -> _Session:
    in_shapes = [_shape(inputs[i]) for i in range(n_in)]
    out_shapes = [_shape(outputs[k]) for k in range(n_out)]
    values: Dict[int, np.ndarray] = {}
    for i in op.values:
        dtype = singleop.TYPES[op.desc.inputs[i].dtype][2]
        count = int(np.prod(in_shapes[i], dtype=np.int64))
        raw = ffi.buffer(inputs[i].data, count * np.dtype(dtype).itemsize)
        values[i] = np.frombuffer(raw, dtype=dtype, count=count).copy().reshape(in_shapes[i])
    key = (tuple(in_shapes), tuple(out_shapes), tuple((i, v.tobytes()) for i, v in sorted(values.items())))
    entry = op.sessions.get(key)
    if entry is None:
        blob = singleop.build_graph(op.desc, in_shapes, out_shapes, values)
        try:
            sess = onnx_format.session(blob)
        except onnx_format.OnnxError as exc:
            raise singleop.SingleOpError(ACL_ERROR_UNSUPPORTED_DATA_TYPE, "%s: onnxruntime cannot run it (%s)" % (
                op.desc.label(), str(exc).splitlines()[0][:300])) from None
        entry = _Session(sess, [i for i in range(n_in) if i not in op.values])
        with op.lock:
            op.sessions[key] = entry
            if len(op.sessions) > SESSIONS_KEPT:
                op.sessions.popitem(last=False)
    return entry


def _bind(op: _Op, s: _Session, inputs: Any, outputs: Any, n_out: int) -> Any:
    binding = s.session.io_binding()
    for i in s.inputs:
        dtype = singleop.TYPES[op.desc.inputs[i].dtype][2]
        binding.bind_input("x%d" % i, "cpu", 0, dtype, list(_shape(inputs[i])),
                           int(ffi.cast("uintptr_t", inputs[i].data)))
    for k in range(n_out):
        dtype = singleop.TYPES[op.desc.outputs[k].dtype][2]
        binding.bind_output("y%d" % k, "cpu", 0, dtype, list(_shape(outputs[k])),
                            int(ffi.cast("uintptr_t", outputs[k].data)))
    return binding


@extern(ACL_ERROR_INTERNAL_ERROR, "operator execution failed")
def acllite_py_op_execute(handle, tensors_id, inputs, n_in, outputs, n_out, message, message_len):
    op = _ops.get(handle)
    if op is None:
        write_message(message, message_len, "no operator %d" % handle)
        return ACL_ERROR_INVALID_PARAM
    try:
        ready = op.ready.get(tensors_id) if tensors_id else None
        if ready is not None:
            ready[0](ready[1])
            return 0
        # The binding depends on the buffers and shapes: key on the exact bytes of both tensor arrays.
        key = ffi.buffer(inputs, n_in * _TENSOR_BYTES)[:] + ffi.buffer(outputs, n_out * _TENSOR_BYTES)[:]
        s = _session_for(op, inputs, n_in, outputs, n_out)
        binding = s.bindings.get(key)
        if binding is None:
            binding = _bind(op, s, inputs, outputs, n_out)
            with op.lock:
                s.bindings[key] = binding
                if len(s.bindings) > BINDINGS_KEPT:
                    s.bindings.popitem(last=False)
        if tensors_id and not op.values:
            with op.lock:
                if len(op.ready) >= BINDINGS_KEPT:
                    op.ready.clear()
                op.ready[tensors_id] = (s.session.run_with_iobinding, binding)
        s.session.run_with_iobinding(binding)
    except singleop.SingleOpError as exc:
        write_message(message, message_len, str(exc))
        return exc.code
    except Exception as exc:
        write_message(message, message_len, "onnxruntime failed: %s" % exc)
        return ACL_ERROR_GE_FAILURE
    return 0


@extern(None, "unloading an operator failed")
def acllite_py_op_unload(handle):
    _ops.pop(handle, None)


def register() -> Any:
    """Register the engine with the emulator; returns the table (C copies it; keep it alive anyway)."""
    from .._acl_cffi import lib

    table = ffi.new("acllite_emu_op_engine *")
    table.load = lib.acllite_py_op_load
    table.describe = lib.acllite_py_op_describe
    table.attributes = lib.acllite_py_op_attributes
    table.compile = lib.acllite_py_op_compile
    table.execute = lib.acllite_py_op_execute
    table.unload = lib.acllite_py_op_unload
    lib.acllite_emu_set_op_engine(table)
    logger.debug("operator engine registered (onnxruntime)")
    return table
