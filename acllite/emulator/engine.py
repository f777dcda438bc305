"""The emulator's model engine: ONNX models run by onnxruntime, called back from the emulator's C.

The C side (csrc/emu/model.c) owns model ids, descriptions, datasets and every check; it calls these functions
with raw tensor pointers. Inputs are read and outputs written in place through onnxruntime's I/O binding, bound
once per set of buffers and reused, so a call allocates nothing and copies nothing that the hardware would not.

Why callbacks into onnxruntime's Python API rather than its C library: the wheel ships ``libonnxruntime.so``
but no header, and its C API is a versioned table of function pointers whose layout we would have to re-declare
by hand; the Python API is stable, and the callback costs about a microsecond (``acllite bench execute``).
Models are read by :mod:`acllite.formats.onnx`; sessions use its settings (``ACLLITE_EMU_ORT_*``).
"""

from __future__ import annotations

import logging
from typing import Any, List, Tuple

import numpy as np

from .._acl_cffi import ffi
from ..formats import onnx as onnx_format
from ._extern import extern
from ..formats.om import OmError
from .checks import OM_MAGIC, validate
from .models import ACL_ERROR_INTERNAL_ERROR, EngineError, Model, models, publish, write_message
from .om_twin import load_om_bytes

logger = logging.getLogger("acllite.emulator")

ACL_ERROR_INVALID_MODEL_ID = 100011
ACL_ERROR_MODEL_INPUT_NOT_MATCH = 100017
ACL_ERROR_MODEL_OUTPUT_NOT_MATCH = 100018
ACL_ERROR_GE_FAILURE = 500002
ACL_FORMAT_NCHW = 0
ACL_FLOAT, ACL_FLOAT16 = 0, 1  # aclDataType
BINDINGS_KEPT = 64  # I/O bindings cached per model (one per set of buffers and batch)


@extern(ACL_ERROR_INTERNAL_ERROR, "model load failed")
def acllite_py_model_load(data, size, describe_only, handle_out, n_in, n_out, weight_bytes, message, message_len):
    try:
        blob = bytes(ffi.buffer(data, size))
        if blob[:4] == OM_MAGIC:  # an offline model: described by its ModelDef (om_twin)
            model, om_desc = load_om_bytes(blob, bool(describe_only))
            weights = om_desc.weight_bytes
        else:
            d = onnx_format.describe(blob)
            model = Model(d.inputs, d.outputs, None if describe_only else onnx_format.session(blob), gears=d.gears,
                          dynamic_index=len(d.inputs) - 1 if (d.gears or d.shape_gears) else -1,
                          shape_gears=d.shape_gears)
            weights = d.weight_bytes
        validate(model)
    except (EngineError, onnx_format.OnnxError, OmError) as exc:
        write_message(message, message_len, str(exc))
        return exc.code
    except Exception as exc:  # never let an exception cross into C
        write_message(message, message_len, "model load failed: %r" % (exc,))
        return ACL_ERROR_INTERNAL_ERROR
    return publish(model, weights, handle_out, n_in, n_out, weight_bytes)


@extern(ACL_ERROR_INTERNAL_ERROR, "describing a model tensor failed")
def acllite_py_model_describe(handle, is_output, index, desc):
    model = models.get(handle)
    if model is None:
        return ACL_ERROR_INVALID_MODEL_ID
    t = (model.outputs if is_output else model.inputs)[index]
    name = t.name.encode()[:127]
    ffi.memmove(desc.name, name + b"\0", len(name) + 1)
    desc.dataType = t.acl_dtype
    desc.format = t.format
    desc.dimCount = len(t.dims)
    for k, d in enumerate(t.dims[:32]):
        desc.dims[k] = d
    desc.size = t.size
    v2 = t.dims_v2 if not is_output and t.dims_v2 is not None and t.dims_v2 != t.dims else ()
    desc.dimCountV2 = len(v2)
    for k, d in enumerate(v2[:32]):
        desc.dimsV2[k] = d
    ranges = t.ranges if not is_output else None
    desc.rangeCount = len(ranges) if ranges else 0
    for k, (lo, hi) in enumerate((ranges or [])[:32]):
        desc.ranges[k][0], desc.ranges[k][1] = lo, hi
    return 0


def _bind(model: Model, inputs: Any, outputs: Any) -> Tuple[Any, List[int]]:
    """An I/O binding of these buffers: inputs read in place; outputs written in place when the emulator gave
    their shape (all static dims, or a batch-dynamic one); the indices of the others, which onnxruntime
    allocates and the engine copies after the run."""
    binding = model.session.io_binding()
    for i, t in enumerate(model.inputs):
        if t.synthetic:
            continue
        record = _emulator_aipp(t)
        if record is not None:  # the emulator has applied the AIPP: the model input, at the shape it gives
            shape = [int(inputs[i].dims[k]) for k in range(inputs[i].dimCount)]
            binding.bind_input(t.bind_name, "cpu", 0, np.dtype(record.get("graph_dtype", "float32")), shape,
                               int(ffi.cast("uintptr_t", inputs[i].data)))
            continue
        if model.shape_gears is not None or t.ranges:  # the emulator gave the gear's or the dataset's shape
            shape = [int(inputs[i].dims[k]) for k in range(inputs[i].dimCount)]
            _fits(shape, t, inputs[i].size, i, "input", ACL_ERROR_MODEL_INPUT_NOT_MATCH)
            binding.bind_input(t.bind_name, "cpu", 0, t.dtype, shape, int(ffi.cast("uintptr_t", inputs[i].data)))
            continue
        batch = inputs[i].dims[0] if inputs[i].dimCount else 1
        shape = [batch if d < 0 else d for d in t.bind_dims]
        _fits(shape, t, inputs[i].size, i, "input", ACL_ERROR_MODEL_INPUT_NOT_MATCH)
        binding.bind_input(t.bind_name, "cpu", 0, t.dtype, shape, int(ffi.cast("uintptr_t", inputs[i].data)))
    unbound = []
    for i, t in enumerate(model.outputs):
        shape = [outputs[i].dims[k] for k in range(outputs[i].dimCount)]
        if all(d >= 0 for d in shape):
            _fits(shape, t, outputs[i].size, i, "output", ACL_ERROR_MODEL_OUTPUT_NOT_MATCH)
            binding.bind_output(t.bind_name, "cpu", 0, t.dtype, shape, int(ffi.cast("uintptr_t", outputs[i].data)))
        else:
            binding.bind_output(t.bind_name, "cpu")
            unbound.append(i)
    return binding, unbound


def _emulator_aipp(t: Any) -> Any:
    """The AIPP record of an input whose AIPP the emulator applies (dynamic, or static at an image-size gear)."""
    if t.dynamic_aipp is not None:
        return t.dynamic_aipp
    return t.aipp if t.aipp is not None and t.aipp.get("gear_sized") else None


def _fits(shape: List[int], t: Any, size: int, index: int, role: str, code: int) -> None:
    """onnxruntime reads (writes) the whole tensor at the buffer's address: never more than the buffer holds."""
    need = int(np.dtype(t.dtype).itemsize)
    for d in shape:
        need *= int(d)
    if need > size:
        raise EngineError(code, "%s %d '%s': the model %s %d bytes (shape %s, %s), its buffer holds %d" % (
            role, index, t.name, "reads" if role == "input" else "writes", need, list(shape), np.dtype(t.dtype), size))


_TENSOR_BYTES = ffi.sizeof("acllite_emu_tensor")


@extern(ACL_ERROR_INTERNAL_ERROR, "model execution failed")
def acllite_py_model_execute(handle, inputs, n_in, outputs, n_out, message, message_len):
    model = models.get(handle)
    if model is not None and model.missing is not None:
        write_message(message, message_len, str(model.missing))
        return model.missing.code
    if model is None or model.session is None:
        write_message(message, message_len, "no session for engine model %d" % handle)
        return ACL_ERROR_INVALID_MODEL_ID
    # The binding depends on the buffers and the shapes: key on the exact bytes of both tensor arrays (the
    # emulator has already written the output shapes it knows).
    key = ffi.buffer(inputs, n_in * _TENSOR_BYTES)[:] + ffi.buffer(outputs, n_out * _TENSOR_BYTES)[:]
    try:
        entry = model.bindings.get(key)
        if entry is None:
            try:
                entry = _bind(model, inputs, outputs)
            except EngineError as exc:
                write_message(message, message_len, str(exc))
                return exc.code
            # A binding with outputs onnxruntime allocates keeps what the run allocated, and the next run would
            # have to fit it: those (outputs of data-dependent size) are bound anew for each run.
            if not entry[1]:
                with model.lock:
                    model.bindings[key] = entry
                    if len(model.bindings) > BINDINGS_KEPT:
                        model.bindings.popitem(last=False)
        binding, unbound = entry
        model.session.run_with_iobinding(binding)
        return _copy_unbound(model, binding, unbound, outputs, message, message_len)
    except Exception as exc:
        write_message(message, message_len, "onnxruntime failed: %s" % exc)
        return ACL_ERROR_GE_FAILURE


def _copy_unbound(model: Model, binding: Any, unbound: List[int], outputs: Any, message: Any, message_len: int) -> int:
    """Outputs onnxruntime allocated (shapes known only after the run) into their buffers."""
    if unbound:
        results = binding.get_outputs()
        for i in unbound:
            value = results[i].numpy()
            if value.nbytes > outputs[i].size:
                write_message(message, message_len, "output %d '%s' produced %d bytes; its buffer holds %d" % (
                    i, model.outputs[i].name, value.nbytes, outputs[i].size))
                return ACL_ERROR_MODEL_OUTPUT_NOT_MATCH
            ffi.memmove(outputs[i].data, np.ascontiguousarray(value), value.nbytes)
            outputs[i].dimCount = value.ndim
            for k, d in enumerate(value.shape[:32]):
                outputs[i].dims[k] = d
    return 0


@extern(None, "unloading a model failed")
def acllite_py_model_unload(handle):
    models.pop(handle, None)


_AIPP_FORMATS = {"YUV420SP_U8": 1, "XRGB8888_U8": 2, "RGB888_U8": 3, "YUV400_U8": 4, "ARGB8888_U8": 7,
                 "YUYV_U8": 8, "YUV422SP_U8": 9, "AYUV444_U8": 10}
ACL_ERROR_GE_AIPP_NOT_EXIST = 145015


def _fill_dims(target: Any, name: str, dims: List[int]) -> None:
    raw = name.encode()[:127]
    ffi.memmove(target.name, raw + b"\0", len(raw) + 1)
    target.dimCount = len(dims)
    for k, d in enumerate(dims[:128]):
        target.dims[k] = d


@extern(ACL_ERROR_INTERNAL_ERROR, "describing a model's AIPP failed")
def acllite_py_model_aipp_info(handle, index, info):
    model = models.get(handle)
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


@extern(ACL_ERROR_INTERNAL_ERROR, "describing a model's dynamic batch failed")
def acllite_py_model_dynamic_batch(handle, batch, dynamic_index):
    model = models.get(handle)
    if model is None:
        return ACL_ERROR_INVALID_MODEL_ID
    batch.batchCount = len(model.gears)
    for k, g in enumerate(model.gears[:128]):
        batch.batch[k] = g
    dynamic_index[0] = max(model.dynamic_index, 0)
    return 0


_GEAR_KINDS = {onnx_format.GEARS_IMAGE_SIZE: 1, onnx_format.GEARS_DIMS: 2}  # ACLLITE_EMU_GEARS_*


@extern(ACL_ERROR_INTERNAL_ERROR, "describing a model's shape gears failed")
def acllite_py_model_shape_gears(handle, kind, gear_count, value_count, dynamic_index):
    model = models.get(handle)
    if model is None:
        return ACL_ERROR_INVALID_MODEL_ID
    g = model.shape_gears
    kind[0] = _GEAR_KINDS[g.kind] if g is not None else 0
    gear_count[0] = len(g.values) if g is not None else 0
    value_count[0] = len(g.values[0]) if g is not None else 0
    dynamic_index[0] = max(model.dynamic_index, 0)
    return 0


@extern(ACL_ERROR_INTERNAL_ERROR, "describing a model's shape gear failed")
def acllite_py_model_gear_shape(handle, gear, role, index, dim_count, dims):
    model = models.get(handle)
    g = model.shape_gears if model is not None else None
    if g is None or gear >= len(g.values):
        return ACL_ERROR_INVALID_MODEL_ID
    if role == 2:
        shape = g.values[gear]
    else:
        table = g.outputs[gear] if role == 1 else g.inputs[gear]
        if index >= len(table):
            return ACL_ERROR_INVALID_MODEL_ID
        shape = table[index]
    if len(shape) > 32:
        return ACL_ERROR_INTERNAL_ERROR
    dim_count[0] = len(shape)
    for k, d in enumerate(shape):
        dims[k] = d
    return 0


@extern(ACL_ERROR_INTERNAL_ERROR, "describing a model's AIPP failed")
def acllite_py_model_aipp_input(handle, index, aipp):
    model = models.get(handle)
    if model is None:
        return ACL_ERROR_INVALID_MODEL_ID
    t = model.inputs[index] if index < len(model.inputs) else None
    record = _emulator_aipp(t) if t is not None else None
    if record is None:
        return ACL_ERROR_GE_AIPP_NOT_EXIST
    dims = [int(d) for d in record["model_dims"]]
    nhwc = record.get("format", "NCHW") == "NHWC" if t.dynamic_aipp is not None else record.get("nhwc", False)
    n, c, h, w = (dims[0], dims[3], dims[1], dims[2]) if nhwc else tuple(dims)
    if t.dynamic_aipp is not None:
        aipp.kind, aipp.dataIndex = 1, int(record["data_index"])  # ACLLITE_EMU_AIPP_DYNAMIC
        n = int(record.get("max_batch", n))  # batch gears: the parameters are the largest gear's
        aipp.maxSrcImageSize = int(record["max_src_image_size"])
    else:
        aipp.kind, h, w = 2, 0, 0  # ACLLITE_EMU_AIPP_STATIC_GEARED: the gear gives the size
    aipp.dims[0], aipp.dims[1], aipp.dims[2], aipp.dims[3] = n, c, h, w
    aipp.channelsLast = 1 if nhwc else 0
    aipp.dataType = ACL_FLOAT16 if record.get("graph_dtype") == "float16" else ACL_FLOAT
    return 0
