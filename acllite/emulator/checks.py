"""What the model engine checks at load, so that its later callbacks never fail: every value they will write into
a C struct (``acllite_emu_tensor_desc``, ``aclmdlBatch``, ``aclAippInfo``) is checked against its C type here,
and a model whose metadata does not fit is refused with ACL_ERROR_PARSE_MODEL and a message naming the value,
instead of failing later inside ``aclmdlGetFirstAippInfo`` or ``aclmdlGetDynamicBatch``. What fits the C types
but not the rules (more than 32 dimensions, dimensions below -1, gears of 0, beyond int64 or repeated, sizes
beyond int64) is the emulator's C to refuse, with its own messages (csrc/emu/model.c).

Also the answer to loading an ATC-made offline model (``.om``) from memory, which the emulator cannot run: it
carries no ONNX model and has no path, so no ONNX twin beside it.
"""

from __future__ import annotations

import math
from typing import Any, Sequence, Tuple

import numpy as np

from ..formats.aipp import AIPP_SWITCH_KEYS
from .models import EngineError, Model

__all__ = ["validate", "OM_MAGIC", "om_from_memory", "AIPP_INT32_KEYS", "AIPP_SWITCH_KEYS", "AIPP_FLOAT_KEYS"]

ACL_ERROR_PARSE_MODEL = 100013
ACL_ERROR_API_NOT_SUPPORT = 200001
OM_MAGIC = b"IMOD"

INT8 = (-(1 << 7), (1 << 7) - 1, "int8_t")
INT32 = (-(1 << 31), (1 << 31) - 1, "int32_t")
INT64 = (-(1 << 63), (1 << 63) - 1, "int64_t")
UINT64 = (0, (1 << 64) - 1, "uint64_t")
SIZE_T = (0, (1 << 64) - 1, "size_t")
MAX_IO_DIMS = 128  #: dims of aclmdlIODims

#: The aclAippInfo fields acllite_py_model_aipp_info fills from the record's settings, by C type.
AIPP_INT32_KEYS = ("src_image_size_w", "src_image_size_h", "load_start_pos_w", "load_start_pos_h", "crop_size_w",
                   "crop_size_h", "left_padding_size", "right_padding_size", "top_padding_size",
                   "bottom_padding_size") + tuple("matrix_r%dc%d" % (r, c) for r in range(3) for c in range(3)) + \
    tuple("%s_bias_%d" % (k, i) for k in ("output", "input") for i in range(3)) + \
    tuple("mean_chn_%d" % i for i in range(4))
AIPP_FLOAT_KEYS = tuple("min_chn_%d" % i for i in range(4)) + tuple("var_reci_chn_%d" % i for i in range(4))


def _fail(text: str) -> EngineError:
    return EngineError(ACL_ERROR_PARSE_MODEL, text)


def _int(value: Any, ctype: Tuple[int, int, str], what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise _fail("%s is %r, not an integer" % (what, value))
    lo, hi, name = ctype
    if not lo <= int(value) <= hi:
        raise _fail("%s = %d does not fit %s (%d to %d)" % (what, int(value), name, lo, hi))
    return int(value)


def _tensor(role: str, index: int, t: Any) -> None:
    where = "%s %d '%s'" % (role, index, t.name)
    if not isinstance(t.name, str):
        raise _fail("%s %d: its name %r is not text" % (role, index, t.name))
    try:
        t.name.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail("%s %d: its name %r is not UTF-8 text" % (role, index, t.name)) from None
    _int(t.acl_dtype, INT32, "%s: data type" % where)
    _int(t.format, INT32, "%s: format" % where)
    for k, d in enumerate(t.dims):
        _int(d, INT64, "%s: dimension %d" % (where, k))
    _int(t.size, SIZE_T, "%s: described size" % where)
    if t.aipp is not None:
        _aipp(where, t.aipp)


def _aipp(where: str, record: Any) -> None:
    if not isinstance(record, dict):
        raise _fail("%s: the AIPP record is %r, not an object" % (where, record))
    params, fmt, dims = record.get("params"), record.get("input_format"), record.get("model_dims")
    if not isinstance(params, dict) or not isinstance(fmt, str) or not isinstance(dims, list):
        raise _fail("%s: the AIPP record needs params (an object), input_format (text) and model_dims (a list)"
                    % where)
    for key in AIPP_INT32_KEYS:
        _int(params.get(key), INT32, "%s: AIPP %s" % (where, key))
    for key in AIPP_SWITCH_KEYS:
        _int(params.get(key), INT8, "%s: AIPP %s" % (where, key))
    for key in AIPP_FLOAT_KEYS:
        value = params.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)) or \
                abs(float(value)) > float(np.finfo(np.float32).max):
            raise _fail("%s: AIPP %s = %r is not a finite float" % (where, key, value))
    if len(dims) > MAX_IO_DIMS:
        raise _fail("%s: the AIPP output has %d dimensions: at most %d" % (where, len(dims), MAX_IO_DIMS))
    count = 1
    for k, d in enumerate(dims):
        count *= max(_int(d, INT64, "%s: AIPP output dimension %d" % (where, k)), 1)
    _int(4 * count, SIZE_T, "%s: the AIPP output's bytes" % where)


def validate(model: Model) -> None:
    """Refuse (EngineError, ACL_ERROR_PARSE_MODEL) a model whose description would not fit the C structs."""
    for role, tensors in (("input", model.inputs), ("output", model.outputs)):
        for i, t in enumerate(tensors):
            _tensor(role, i, t)
    gears: Sequence[Any] = model.gears
    for i, g in enumerate(gears):
        _int(g, UINT64, "dynamic batch gear %d" % i)
    if gears and not 0 <= model.dynamic_index < len(model.inputs):
        raise _fail("the dynamic batch input index %d is not an input" % model.dynamic_index)
    for i, t in enumerate(model.inputs):
        if t.dims_v2 is not None and (len(t.dims_v2) > 32 or len(t.dims_v2) == 0):
            raise _fail("input %d: aclmdlGetInputDimsV2 dims %s (1 to 32 dimensions)" % (i, list(t.dims_v2)))
        for d in t.dims_v2 or ():
            _int(d, INT64, "input %d: a dimension after AIPP" % i)
        for k, (lo, hi) in enumerate(t.ranges or ()):
            _int(lo, INT64, "input %d: the range of dimension %d" % (i, k))
            _int(hi, INT64, "input %d: the range of dimension %d" % (i, k))
        if t.ranges is not None and len(t.ranges) > 32:
            raise _fail("input %d: %d shape ranges (at most 32)" % (i, len(t.ranges)))
    shaped = model.shape_gears
    if shaped is not None:
        for k, values in enumerate(shaped.values):
            for role, shapes in (("values", [values]), ("input", shaped.inputs[k]), ("output", shaped.outputs[k])):
                for shape in shapes:
                    if len(shape) > 32:
                        raise _fail("shape gear %d: a %s shape of %d dimensions (at most 32)" % (k, role, len(shape)))
                    for d in shape:
                        _int(d, INT64, "shape gear %d: a %s dimension" % (k, role))


def om_from_memory(size: int) -> EngineError:
    """Why an offline model cannot be loaded from memory on the emulator, and what to do instead."""
    return EngineError(ACL_ERROR_API_NOT_SUPPORT, (
        "the %d bytes are an offline model (.om, magic IMOD) made by ATC: Ascend machine code, no ONNX model in "
        "it, and from memory no path to find its ONNX twin by. Provide instead: the .om that acllite atc builds "
        "from the ONNX model (it carries the model), or the ONNX model's bytes, or load the .om from its file "
        "with X.onnx beside it (or a twin mapped by ACLLITE_EMU_OM_TWINS / acllite.om.set_twin)" % size))
