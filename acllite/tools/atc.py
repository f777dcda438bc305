"""``acllite atc``: ATC's command-line shape, producing a model the emulator runs.

On a device, ATC compiles a framework model into an ``.om`` and can insert AIPP (hardware preprocessing) so the
model takes the YUV420SP images DVPP produces. The emulator needs the same model with the same description, so
this converter takes an ONNX model (``--framework=5``) and writes ``OUTPUT.om``: ATC's OM container whose
ModelDef describes the model as ATC does (inputs, outputs, formats, dims, AIPP, gears), carrying the converted
ONNX model in place of Ascend machine code (:func:`acllite.formats.om.build`; real CANN refuses such a file, the
emulator loads it from file and from memory):

* ``--insert_op_conf``: the static AIPP of each block becomes ONNX operators in front of the input it feeds
  (unpacking YUV420SP/RGB/XRGB/YUV400 bytes, crop, swaps, color conversion, mean/min/var, padding: see
  :mod:`acllite.aipp`), so onnxruntime runs it with the rest of the graph. The new input takes the image bytes
  (uint8) and is described as the device describes it (``[N, H, W, C]``, NHWC, W*H*3/2 bytes for YUV420SP); the
  settings are recorded in the model's metadata so ``aclmdlGetAippType``/``aclmdlGetFirstAippInfo`` answer.
* ``--input_shape``: fixes input dimensions; ``-1`` with ``--dynamic_batch_size`` makes the batch dynamic: the
  description then has the extra ``ascend_mbatch_shape_data`` input and the gears, and
  ``aclmdlSetDynamicBatchSize`` selects the batch, as on a device.
* ``--output_type``: FP32 (default), FP16 or UINT8 for every output, or ``name:index:TYPE;...`` per output.
* ``--input_format`` (NCHW, NHWC, ND) and ``--soc_version`` are checked and recorded.

``--singleop=ops.json --output=DIR`` writes one single-operator model per operator of a CANN single-operator
description file into DIR, named as ATC names them, for ``aclopSetModelDir``/``aclopLoad`` (acllite's own format,
run by the emulator only: :mod:`acllite.formats.singleop`, docs/OPERATORS.md).

Files written by earlier versions (``X.onnx`` only) still load as ``X.om``: the emulator serves a missing ``X.om``
from ``X.onnx``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shlex
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..formats import om
from ..formats import onnx as onnx_format
from . import atc_gears
from .atc_gears import onnx_dims as _dims, set_onnx_dims as _set_dims
from ..formats.aipp import AIPP_SWITCH_KEYS, AippConfigError, AippParams, input_bytes, parse_aipp_config
from ..formats.aipp import source_images_bytes

__all__ = ["AtcError", "convert", "main", "build_parser"]

logger = logging.getLogger("acllite.atc")

META_AIPP = "acllite.aipp."
META_DYNAMIC_BATCH = "acllite.dynamic_batch"
BATCH = "batch"  # the name of the dynamic batch dimension in converted models
_OUTPUT_TYPES = {"FP32": 1, "FP16": 10, "UINT8": 2}  # ONNX element types
_FORMATS = ("NCHW", "NHWC", "ND")
_INT64_MAX = (1 << 63) - 1
#: AIPP settings that are switches (the OM's aipp attribute stores them as bool, as ATC does)
_AIPP_SWITCHES = AIPP_SWITCH_KEYS  # switches, stored as bool


class AtcError(ValueError):
    """The conversion cannot be done; the message says why."""


# ----------------------------------------------------------------------------------------------- options


def _parse_input_shape(text: str) -> Dict[str, List[int]]:
    shapes: Dict[str, List[int]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, dims = part.rpartition(":")
        if not sep or not name:
            raise AtcError("--input_shape: %r is not NAME:d0,d1,..." % part)
        try:
            shapes[name] = [int(d) for d in dims.split(",")]
        except ValueError:
            raise AtcError("--input_shape: dimensions of %r must be integers, got %r" % (name, dims)) from None
        if any(d < -1 or d == 0 for d in shapes[name]):
            raise AtcError("--input_shape: dimensions of %r must be positive (or -1), got %r" % (name, dims))
        if any(d > _INT64_MAX for d in shapes[name]):
            raise AtcError("--input_shape: dimensions of %r must fit in int64 (at most %d), got %r" % (
                name, _INT64_MAX, dims))
    return shapes


def _ranges_in_input_shape(input_shape: str, input_shape_range: Optional[str]) -> Tuple[str, Optional[str]]:
    """Newer CANN's dynamic shapes in --input_shape (no gear option): ``x:1~8,3,-1`` is ``--input_shape_range``'s
    ``x:[1~8,3,-1]`` (``-1``: any size). Returns (--input_shape with the static inputs only, the ranges)."""
    static, ranged = [], []
    for part in filter(None, (p.strip() for p in input_shape.split(";"))):
        dims = part.rpartition(":")[2].split(",")
        if any("~" in d or d.strip() == "-1" for d in dims):
            ranged.append("%s:[%s]" % (part.rpartition(":")[0], ",".join(d.strip() for d in dims)))
        else:
            static.append(part)
    if not ranged:
        return input_shape, input_shape_range
    if input_shape_range:
        raise AtcError("--input_shape has dynamic dimensions (-1 or min~max) and --input_shape_range is given: give "
                       "the ranges in one of them")
    return ";".join(static), ";".join(ranged)


def _parse_gears(text: str) -> List[int]:
    """ATC's rules (graphengine multi_batch_options.cc, the --dynamic_batch_size reference): digits, commas and
    spaces only; 2 to 100 gears, no duplicates; kept in the order given (gear i is the i-th value: on a device,
    aclmdlGetDynamicBatch reports them in that order)."""
    if not re.fullmatch(r"[0-9, ]*", text):
        raise AtcError("--dynamic_batch_size: expected comma-separated batch sizes (digits, ',' and ' ' only), got %r"
                       % text)
    gears = [int(g) for g in text.replace(" ", "").split(",") if g]
    if len(gears) < 2 or len(gears) > 100 or any(g < 1 for g in gears):
        raise AtcError("--dynamic_batch_size: expected 2 to 100 positive batch sizes, got %r" % text)
    if len(set(gears)) != len(gears):
        raise AtcError("--dynamic_batch_size: %r repeats a batch size" % text)
    if any(g > _INT64_MAX for g in gears):
        raise AtcError("--dynamic_batch_size: a batch size must fit in int64 (at most %d), got %r" % (_INT64_MAX, text))
    return gears


# ------------------------------------------------------------------------------------------ graph surgery


class _Builder:
    """Adds nodes and constants to a graph under unique names."""

    def __init__(self, graph: Any, prefix: str):
        self.graph = graph
        self.prefix = prefix
        self.nodes: List[Any] = []
        self.count = 0

    def name(self, what: str) -> str:
        self.count += 1
        return "%s_%s_%d" % (self.prefix, what, self.count)

    def const(self, value: Any, dtype: Any = np.float32) -> str:
        from onnx import numpy_helper

        name = self.name("const")
        self.graph.initializer.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], **attrs: Any) -> str:
        from onnx import helper

        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=out, **attrs))
        return out

    def slice(self, x: str, starts: Sequence[int], ends: Sequence[int], axes: Sequence[int]) -> str:
        return self.op("Slice", [x, self.const(starts, np.int64), self.const(ends, np.int64),
                                 self.const(axes, np.int64)])


def _aipp_nodes(b: _Builder, raw: str, p: Dict[str, Any], nhwc_out: bool) -> str:
    """ONNX operators computing the AIPP of :mod:`acllite.aipp` from the uint8 input ``raw`` [N, bytes]; returns
    the float32 output [N, C, H, W] (or NHWC)."""
    w, h, fmt = p["src_image_size_w"], p["src_image_size_h"], p["input_format"]
    x = b.op("Cast", [raw], to=1)
    if fmt in ("YUV420SP_U8", "YVU420SP_U8"):
        y = b.op("Reshape", [b.slice(x, [0], [w * h], [1]), b.const([-1, 1, h, w], np.int64)])
        uv = b.op("Reshape", [b.slice(x, [w * h], [w * h * 3 // 2], [1]), b.const([-1, h // 2, 1, w // 2, 1, 2],
                                                                                np.int64)])
        uv = b.op("Expand", [uv, b.const([1, 1, 2, 1, 2, 1], np.int64)])  # each chroma sample covers 2x2 pixels
        uv = b.op("Reshape", [uv, b.const([-1, h, w, 2], np.int64)])
        img = b.op("Concat", [y, b.op("Transpose", [uv], perm=[0, 3, 1, 2])], axis=1)
    elif fmt == "YUV400_U8":
        img = b.op("Reshape", [x, b.const([-1, 1, h, w], np.int64)])
    else:
        c = 3 if fmt == "RGB888_U8" else 4
        img = b.op("Transpose", [b.op("Reshape", [x, b.const([-1, h, w, c], np.int64)])], perm=[0, 3, 1, 2])
    if p["crop"]:
        x0, y0 = p["load_start_pos_w"], p["load_start_pos_h"]
        img = b.slice(img, [y0, x0], [y0 + p["crop_size_h"], x0 + p["crop_size_w"]], [2, 3])
    order: Optional[List[int]] = None
    if fmt == "XRGB8888_U8":
        # XRGB: the colors are channels 1-3; with ax_swap the input is RGBA (alpha last), colors 0-2.
        order = [0, 1, 2] if p["ax_swap_switch"] else [1, 2, 3]
    if p["rbuv_swap_switch"] and fmt != "YUV400_U8":
        base = order or [0, 1, 2]
        order = [base[0], base[2], base[1]] if fmt in ("YUV420SP_U8", "YVU420SP_U8") else [base[2], base[1], base[0]]
    if order is not None:
        img = b.op("Gather", [img, b.const(order, np.int64)], axis=1)
    channels = 1 if fmt == "YUV400_U8" else 3
    if p["csc_switch"]:
        m = np.array([[p["matrix_r%dc%d" % (r, c)] for c in range(3)] for r in range(3)], np.float64) / 256.0
        if fmt in ("YUV420SP_U8", "YVU420SP_U8"):
            bias = -m @ np.array([p["input_bias_%d" % i] for i in range(3)], np.float64)
        else:
            bias = np.zeros(3)
        # the output bias is added after rounding (it is an integer); +0.5 then Floor rounds halves up
        img = b.op("Conv", [img, b.const(m.reshape(3, 3, 1, 1)), b.const(bias + 0.5)])
        img = b.op("Floor", [img])
        if fmt not in ("YUV420SP_U8", "YVU420SP_U8"):
            img = b.op("Add", [img, b.const(np.array([p["output_bias_%d" % i] for i in range(3)],
                                                     np.float32).reshape(1, 3, 1, 1))])
        img = b.op("Clip", [img, b.const(0.0), b.const(255.0)])
    sub = np.array([p["mean_chn_%d" % i] + p["min_chn_%d" % i] for i in range(channels)], np.float32)
    mul = np.array([p["var_reci_chn_%d" % i] for i in range(channels)], np.float32)
    img = b.op("Mul", [b.op("Sub", [img, b.const(sub.reshape(1, channels, 1, 1))]),
                       b.const(mul.reshape(1, channels, 1, 1))])
    if p["padding"]:
        pads = [0, 0, p["top_padding_size"], p["left_padding_size"], 0, 0, p["bottom_padding_size"],
                p["right_padding_size"]]
        img = b.op("Pad", [img, b.const(pads, np.int64), b.const(p["padding_value"])], mode="constant")
    if nhwc_out:
        img = b.op("Transpose", [img], perm=[0, 2, 3, 1])
    return img


def convert(model: str, output: str, insert_op_conf: Optional[str] = None, input_shape: Optional[str] = None,
            input_format: Optional[str] = None, dynamic_batch_size: Optional[str] = None,
            output_type: Optional[str] = None, soc_version: Optional[str] = None, command: str = "",
            dynamic_image_size: Optional[str] = None, dynamic_dims: Optional[str] = None,
            input_shape_range: Optional[str] = None) -> Path:
    """Convert an ONNX model as ATC would; returns the path written (``output + ".om"``)."""
    import onnx

    if not output or output.endswith(("/", os.sep)) or Path(output).name in (".", ".."):
        raise AtcError("--output: expected the output file's path without its extension (OUTPUT writes "
                       "OUTPUT.om), got %r" % output)

    try:
        proto = onnx.load(model)
    except FileNotFoundError:
        raise AtcError("--model: %s does not exist" % model) from None
    except Exception as exc:
        raise AtcError("--model: %s is not a readable ONNX model (%s)" % (model, exc)) from None
    graph = proto.graph
    inits = {t.name for t in graph.initializer}
    inputs = [vi for vi in graph.input if vi.name not in inits]
    by_name = {vi.name: vi for vi in inputs}
    fmt = (input_format or "NCHW").upper()
    if fmt not in _FORMATS:
        raise AtcError("--input_format: expected one of %s, got %r" % (", ".join(_FORMATS), input_format))
    if soc_version is not None and not re.fullmatch(r"Ascend[0-9A-Za-z]+", soc_version):
        raise AtcError("--soc_version: expected a SoC name such as Ascend310 or Ascend310P3, got %r" % soc_version)

    gears = _parse_gears(dynamic_batch_size) if dynamic_batch_size else []
    if input_shape and not (dynamic_batch_size or dynamic_image_size or dynamic_dims):
        input_shape, input_shape_range = _ranges_in_input_shape(input_shape, input_shape_range)
    shapes = _parse_input_shape(input_shape) if input_shape else {}
    gear_kind, shape_gear_values = _shape_gear_options(dynamic_batch_size, dynamic_image_size, dynamic_dims, fmt,
                                                       shapes)
    fixed: Dict[str, int] = {}  # symbolic input dimensions --input_shape gave a value
    for name, dims in shapes.items():
        if name not in by_name:
            raise AtcError("--input_shape: the model has no input %r (inputs: %s)" % (name, ", ".join(by_name)))
        old = _dims(by_name[name])
        if len(dims) != len(old):
            raise AtcError("--input_shape: %r has %d dimensions, the model's input %s" % (name, len(dims), old))
        if -1 in dims and not gear_kind and (not gears or dims.index(-1) != 0 or dims.count(-1) > 1):
            raise AtcError("--input_shape: -1 in %r needs --dynamic_batch_size, and only the first dimension "
                           "may be -1" % name)
        fixed.update((o, d) for o, d in zip(old, dims) if isinstance(o, str) and d > 0)
        if not gear_kind:
            _set_dims(by_name[name], [BATCH if d == -1 else d for d in dims])
    meta: Dict[str, str] = {}
    ranged = _apply_shape_ranges(input_shape_range, by_name, bool(gears or gear_kind), meta)
    if gear_kind:
        if insert_op_conf and gear_kind != onnx_format.GEARS_IMAGE_SIZE:
            raise AtcError("--insert_op_conf with --dynamic_dims: AIPP cannot be used with dynamic dims (ND format), "
                           "as ACL's constraints say")
        try:
            record = atc_gears.shape_gears(proto, inputs, gear_kind, fmt, shapes, shape_gear_values)
        except atc_gears.GearError as exc:
            raise AtcError(str(exc)) from None
        if insert_op_conf:
            for block in _aipp_blocks(insert_op_conf):
                _record_gear_aipp(inputs, block, fmt, record, meta)
        meta[onnx_format.META_SHAPE_GEARS] = record.to_json()
    elif fixed or (not gears and all(isinstance(d, int) and d > 0 for vi in inputs for d in _dims(vi))):
        _carry_shapes_to_outputs(proto, fixed)
    if gears:
        dynamic = [vi.name for vi in inputs if _dims(vi) and not isinstance(_dims(vi)[0], int)]
        if not dynamic:
            raise AtcError("--dynamic_batch_size needs an input whose batch is -1 in --input_shape")
        for vi in inputs:
            d = _dims(vi)
            if d and not isinstance(d[0], int):
                _set_dims(vi, [BATCH] + d[1:])
        for vo in graph.output:
            d = _dims(vo)
            if d:
                _set_dims(vo, [BATCH] + d[1:])
    for vi in [vi for vi in inputs if vi.name not in ranged] if not gear_kind else []:
        rest = [d for d in _dims(vi)[1:]]
        if any(not isinstance(d, int) or d < 1 for d in rest):
            raise AtcError("input %r has dynamic dimensions %s: give them with --input_shape" % (vi.name, _dims(vi)))

    if insert_op_conf and not gear_kind:
        for block in _aipp_blocks(insert_op_conf):
            if block.get("aipp_mode") == "dynamic":
                if ranged:
                    raise AtcError("dynamic AIPP with --input_shape_range is not supported by acllite atc yet")
                _record_dynamic_aipp(inputs, block, fmt, meta, bool(gears))
            else:
                _insert_aipp(proto, inputs, block, fmt, meta)
    if gears:
        meta[META_DYNAMIC_BATCH] = ",".join(str(g) for g in gears)
    if output_type:
        _cast_outputs(proto, output_type)
    if soc_version:
        meta["acllite.soc_version"] = soc_version
    meta["acllite.atc_command"] = command or "acllite atc"
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:
        raise AtcError("the converted model does not check: %s" % exc) from None
    problem = onnx_format.size_problem(onnx_format.describe(proto.SerializeToString()))
    if problem:  # a model the emulator would refuse to load (sizes beyond int64)
        raise AtcError("the converted model cannot be loaded: %s" % problem)
    blob = proto.SerializeToString()
    out = Path(output + ".om")
    data = om.build(om_spec(blob, out.stem, soc_version or ""))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise AtcError("--output: cannot write %s: %s" % (out, exc.strerror or exc)) from None
    return out


def _apply_shape_ranges(text: Optional[str], by_name: Dict[str, Any], geared: bool, meta: Dict[str, str]) -> List[str]:
    """--input_shape_range: ranged inputs get symbolic dims where a range is not one value; the ranges are recorded
    for the emulator (``acllite.shape_ranges``). Returns the inputs it names."""
    if not text:
        return []
    if geared:
        raise AtcError("--input_shape_range cannot be used with --dynamic_batch_size, --dynamic_image_size or "
                       "--dynamic_dims")
    try:
        ranges = atc_gears.parse_shape_range(text)
    except atc_gears.GearError as exc:
        raise AtcError(str(exc)) from None
    for name, dims in ranges.items():
        if name not in by_name:
            raise AtcError("--input_shape_range: the model has no input %r (inputs: %s)" % (name, ", ".join(by_name)))
        old = _dims(by_name[name])
        if len(dims) != len(old):
            raise AtcError("--input_shape_range: %r has %d dimensions, the model's input %s" % (name, len(dims), old))
        for k, ((lo, hi), o) in enumerate(zip(dims, old)):
            if isinstance(o, int) and o > 0 and not lo <= o <= (hi if hi >= 0 else o):
                raise AtcError("--input_shape_range: %r: dimension %d of the model is %d, outside %d~%d" % (
                    name, k, o, lo, hi))
        _set_dims(by_name[name], [lo if lo == hi else "range_%s_%d" % (re.sub(r"\W", "_", name), k)
                                  for k, (lo, hi) in enumerate(dims)])
    meta[onnx_format.META_SHAPE_RANGES] = json.dumps({n: [list(r) for r in d] for n, d in ranges.items()},
                                                     sort_keys=True)
    return list(ranges)


def _shape_gear_options(batch: Optional[str], image_size: Optional[str], dims: Optional[str], fmt: str,
                        shapes: Dict[str, List[int]]) -> Tuple[str, List[Tuple[int, ...]]]:
    """The kind and values of --dynamic_image_size / --dynamic_dims ("" when neither); ATC takes one of the three
    dynamic options at a time."""
    given = [o for o, v in (("--dynamic_batch_size", batch), ("--dynamic_image_size", image_size),
                            ("--dynamic_dims", dims)) if v]
    if len(given) > 1:
        raise AtcError("%s: ATC takes one of --dynamic_batch_size, --dynamic_image_size and --dynamic_dims" %
                       " and ".join(given))
    if not image_size and not dims:
        return "", []
    try:
        if image_size:
            kind, values = onnx_format.GEARS_IMAGE_SIZE, atc_gears.parse_image_size(image_size)
        else:
            kind, values = onnx_format.GEARS_DIMS, atc_gears.parse_dims(dims or "")
        atc_gears.check_shapes(kind, fmt, shapes, values)
    except atc_gears.GearError as exc:
        raise AtcError(str(exc)) from None
    return kind, values


def _tensor_spec(t: onnx_format.TensorDesc, top_gear: int, is_input: bool) -> om.TensorSpec:
    """One tensor as ATC records it. With batch gears, a batch-dynamic tensor is described at the largest gear
    (dims and size), inputs with ``_mbatch_origin_input_dims`` keeping the -1."""
    aipp: Optional[Dict[str, Any]] = None
    dims_v2 = None
    if t.aipp is not None:  # the record atc wrote: ATC's static AIPP attribute, and the model's dims after it
        aipp = {"aipp_mode": "static", "input_format": t.aipp["input_format"]}
        for key, value in t.aipp["params"].items():  # switches as ATC stores them (bool)
            if isinstance(value, (bool, int, float)):
                aipp[key] = bool(value) if key in _AIPP_SWITCHES else value
        dims_v2 = tuple(int(d) for d in t.aipp["model_dims"])
    extra: Dict[str, Any] = {}
    if t.dynamic_aipp is not None:  # the image input of dynamic AIPP, described with its source images' dims
        extra = {"aipp_mode": "dynamic_aipp", "dynamic_aipp_dims": tuple(t.dims)}
        dims_v2 = tuple(t.dims_v2) if t.dims_v2 is not None else None
    elif t.synthetic and t.name == onnx_format.DYNAMIC_AIPP_NAME:  # the input carrying the parameters
        extra = {"op_type": "AippData", "aipp_mode": "dynamic_aipp_conf"}
    dims, size, origin = tuple(t.dims), t.size, None
    if top_gear and t.batch_dynamic and not t.synthetic:
        per_item = t.size or int(np.prod(dims[1:], dtype=object)) * int(np.dtype(t.dtype).itemsize)
        dims, size = (top_gear,) + dims[1:], per_item * top_gear
        origin = tuple(t.dims) if is_input else None
    return om.TensorSpec(t.name, t.acl_dtype, t.format, dims, size=size, aipp=aipp, dims_v2=dims_v2,
                         origin_dims=origin, **extra)


def om_spec(onnx_blob: bytes, name: str, soc_version: str = "") -> om.ModelSpec:
    """The OM description of a converted ONNX model (its ``acllite.*`` metadata read as the engine reads it)."""
    from .. import __version__

    d = onnx_format.describe(onnx_blob)
    top = max(d.gears) if d.gears else 0
    inputs = [_tensor_spec(t, top, True) for t in d.inputs]
    outputs = [_tensor_spec(t, top, False) for t in d.outputs]
    gears: Dict[str, List[Tuple[int, ...]]] = {"batch": [(g,) for g in d.gears]} if d.gears else {}
    for spec, t in zip(inputs, d.inputs):  # --input_shape_range: the tensor's shape_range, as ATC records it
        if t.ranges and -1 in t.dims:
            spec.shape_range = tuple((int(lo), int(hi)) for lo, hi in t.ranges)
    shaped = d.shape_gears
    if shaped is not None:  # the multi-batch op ATC records for --dynamic_image_size / --dynamic_dims
        gears = {"hw" if shaped.kind == onnx_format.GEARS_IMAGE_SIZE else "dims": list(shaped.values)}
        # a tensor's size is its largest gear's (what aclmdlGetInputSizeByIndex reports on a device); inputs keep
        # their -1 in _mbatch_origin_input_dims
        for specs, tensors, per_gear in ((inputs, d.inputs, shaped.inputs), (outputs, d.outputs, shaped.outputs)):
            for k, (spec, t) in enumerate(zip(specs, tensors)):
                if k < len(per_gear[0]) and -1 in t.dims:
                    item = int(np.dtype(t.dtype).itemsize)
                    if specs is inputs and t.aipp is not None and t.aipp.get("gear_sized"):  # source images
                        spec.size = max(source_images_bytes(t.aipp["input_format"], g[k]) for g in per_gear)
                    else:
                        spec.size = max(item * int(np.prod(g[k], dtype=object)) for g in per_gear)
                    if specs is inputs:
                        spec.origin_dims = tuple(t.dims)
    return om.ModelSpec(name, inputs, outputs, onnx_blob, soc_version=soc_version,
                        atc_version="acllite %s" % __version__, gears=gears,
                        attributes={"weight_size": d.weight_bytes})


def _carry_shapes_to_outputs(proto: Any, fixed: Dict[str, int]) -> None:
    """Outputs whose dimensions are symbolic get what the now fixed inputs imply (ONNX shape inference, else the
    same symbols' values), so that they are described, sized and bound as static tensors."""
    import copy

    from onnx import shape_inference

    outputs = list(proto.graph.output)
    if all(all(isinstance(d, int) and d > 0 for d in _dims(vo)) for vo in outputs):
        return
    probe = copy.deepcopy(proto)
    for vo in probe.graph.output:
        vo.type.tensor_type.ClearField("shape")
    try:
        inferred = list(shape_inference.infer_shapes(probe, strict_mode=False).graph.output)
    except Exception as exc:  # an op the inference does not know: the symbols alone
        logger.info("shape inference failed (%s); output dims follow the fixed input symbols only", exc)
        inferred = []
    for k, vo in enumerate(outputs):
        old = _dims(vo)
        if all(isinstance(d, int) and d > 0 for d in old):
            continue
        got = _dims(inferred[k]) if k < len(inferred) and inferred[k].type.tensor_type.HasField("shape") else []
        if len(got) == len(old) and all(isinstance(d, int) and d > 0 for d in got) and \
                all(not isinstance(o, int) or o <= 0 or o == g for o, g in zip(old, got)):
            _set_dims(vo, got)
        elif fixed and any(isinstance(d, str) and d in fixed for d in old):
            _set_dims(vo, [fixed.get(d, d) if isinstance(d, str) else d for d in old])


def _insert_aipp(proto: Any, inputs: List[Any], block: AippParams, fmt: str, meta: Dict[str, str]) -> None:
    from onnx import TensorProto

    name = block.get("related_input_name")
    if name is not None:
        matches = [vi for vi in inputs if vi.name == name]
        if not matches:
            raise AtcError("%s:%d: aipp_op: related_input_name %r is not a model input" % (block.source, block.line,
                                                                                          name))
        vi = matches[0]
    else:
        if not 0 <= block.rank < len(inputs):
            raise AtcError("%s:%d: aipp_op: related_input_rank %d, but the model has %d input(s)" % (
                block.source, block.line, block.rank, len(inputs)))
        vi = inputs[block.rank]
    if vi.type.tensor_type.elem_type not in (TensorProto.FLOAT, TensorProto.FLOAT16):
        raise AtcError("AIPP feeds input %r, which is not a float tensor" % vi.name)
    dims = _dims(vi)
    if len(dims) != 4 or fmt == "ND":
        raise AtcError("AIPP needs a 4-D NCHW or NHWC input; %r is %s with --input_format=%s" % (vi.name, dims, fmt))
    n = dims[0]
    c, h, w = (dims[1], dims[2], dims[3]) if fmt == "NCHW" else (dims[3], dims[1], dims[2])
    try:
        params = block.resolve((c, h, w))
    except AippConfigError as exc:
        raise AtcError(str(exc)) from None
    per_image = input_bytes(params)
    original = vi.name
    internal = original + "__aipp_out"
    for node in proto.graph.node:
        for k, x in enumerate(node.input):
            if x == original:
                node.input[k] = internal
    b = _Builder(proto.graph, "aipp_" + re.sub(r"\W", "_", original))
    out = _aipp_nodes(b, original, params, nhwc_out=(fmt == "NHWC"))
    if vi.type.tensor_type.elem_type == TensorProto.FLOAT16:
        out = b.op("Cast", [out], to=TensorProto.FLOAT16)
    b.nodes.append(_rename(b.nodes.pop(), out, internal))
    for k, node in enumerate(b.nodes):
        proto.graph.node.insert(k, node)
    vi.type.tensor_type.elem_type = TensorProto.UINT8
    _set_dims(vi, [n, per_image])
    described_n = n if isinstance(n, int) else -1
    channels = {"YUV400_U8": 1, "XRGB8888_U8": 4}.get(params["input_format"], 3)
    record = {
        "input_format": params["input_format"] if params["input_format"] != "YVU420SP_U8" else "YUV420SP_U8",
        "params": {k: (int(v) if isinstance(v, bool) else v) for k, v in params.items()},
        "described_dims": [described_n, params["src_image_size_h"], params["src_image_size_w"], channels],
        # what aclmdlGetInputSizeByIndex reports: N images (ATC: N * W * H * 1.5 for YUV420SP); one image when the
        # batch is dynamic (the emulator multiplies by the largest gear, as the device does)
        "described_size": per_image * described_n if described_n > 0 else per_image,
        "model_dims": [described_n, c, h, w] if fmt == "NCHW" else [described_n, h, w, c],
    }
    meta[META_AIPP + original] = json.dumps(record, sort_keys=True)


def _aipp_blocks(path: str) -> List[AippParams]:
    try:
        return parse_aipp_config(path)
    except AippConfigError as exc:
        raise AtcError(str(exc)) from None


def _record_gear_aipp(inputs: List[Any], block: AippParams, fmt: str, record: Any, meta: Dict[str, str]) -> None:
    """Static AIPP with --dynamic_image_size: the source image is the gear's size, so the configuration may not
    crop, pad or give a source size (ACL's constraints for static AIPP with dynamic image size). The graph stays
    as it is; the emulator applies the configuration at each execution at the gear's size (one implementation
    with dynamic AIPP, csrc/emu/model_aipp.c). The gear table describes the input as the source images."""
    from onnx import TensorProto

    where = "%s:%d: aipp_op" % (block.source, block.line)
    if block.get("aipp_mode") == "dynamic":
        raise AtcError("%s: dynamic AIPP with --dynamic_image_size is not supported by acllite atc yet" % where)
    for key in ("crop", "padding"):
        if block.get(key):
            raise AtcError("%s: %s cannot be used with --dynamic_image_size: the source image is the gear's size "
                           "(ACL's constraint for static AIPP with dynamic image size)" % (where, key))
    for key in ("src_image_size_w", "src_image_size_h"):
        if block.get(key):
            raise AtcError("%s: %s must be 0 or left out with --dynamic_image_size: the source image is the gear's "
                           "size" % (where, key))
    vi = _related_input(inputs, block)
    index = inputs.index(vi)
    elem = vi.type.tensor_type.elem_type
    if elem not in (TensorProto.FLOAT, TensorProto.FLOAT16):
        raise AtcError("AIPP feeds input %r, which is not a float tensor" % vi.name)
    gear_shapes = [g[index] for g in record.inputs]
    if fmt not in ("NCHW", "NHWC") or any(len(d) != 4 for d in gear_shapes):
        raise AtcError("AIPP needs a 4-D NCHW or NHWC input; %r is %s" % (vi.name, list(gear_shapes[0])))
    chw = [(d[1], d[2], d[3]) if fmt == "NCHW" else (d[3], d[1], d[2]) for d in gear_shapes]
    try:
        params = block.resolve(chw[0])  # ATC's defaults and checks, at the first gear
    except AippConfigError as exc:
        raise AtcError(str(exc)) from None
    source = params["input_format"]
    if source not in ("YUV420SP_U8", "YVU420SP_U8", "XRGB8888_U8", "RGB888_U8", "YUV400_U8"):
        raise AtcError("%s: input_format %s with --dynamic_image_size is not emulated" % (where, source))
    if source in ("YUV420SP_U8", "YVU420SP_U8"):
        odd = [(h, w) for _, h, w in chw if h % 2 or w % 2]
        if odd:
            raise AtcError("%s: YUV420SP needs even heights and widths; gear %s is not" % (where, odd[0]))
    params.update(src_image_size_w=0, src_image_size_h=0)
    channels = {"YUV400_U8": 1, "XRGB8888_U8": 4}.get(source, 3)
    n = gear_shapes[0][0]
    for k, (_, h, w) in enumerate(chw):  # the gear table gives the source images' shape: [N, H, W, C]
        record.inputs[k][index] = (n, h, w, channels)
    c = chw[0][0]
    meta[META_AIPP + vi.name] = json.dumps({
        "input_format": source if source != "YVU420SP_U8" else "YUV420SP_U8",
        "params": {k: (int(v) if isinstance(v, bool) else v) for k, v in params.items()},
        "described_dims": [n, -1, -1, channels], "described_size": 0,
        "model_dims": [n, c, -1, -1] if fmt == "NCHW" else [n, -1, -1, c], "nhwc": fmt == "NHWC",
        "gear_sized": True, "graph_dtype": "float16" if elem == TensorProto.FLOAT16 else "float32"}, sort_keys=True)


def _related_input(inputs: List[Any], block: AippParams) -> Any:
    name = block.get("related_input_name")
    if name is not None:
        matches = [vi for vi in inputs if vi.name == name]
        if not matches:
            raise AtcError("%s:%d: aipp_op: related_input_name %r is not a model input" % (block.source, block.line,
                                                                                          name))
        return matches[0]
    if not 0 <= block.rank < len(inputs):
        raise AtcError("%s:%d: aipp_op: related_input_rank %d, but the model has %d input(s)" % (
            block.source, block.line, block.rank, len(inputs)))
    return inputs[block.rank]


def _record_dynamic_aipp(inputs: List[Any], block: AippParams, fmt: str, meta: Dict[str, str],
                         batch_gears: bool) -> None:
    """Dynamic AIPP: the graph stays as it is; the emulator applies the parameters of the AippData input at each
    execution (csrc/emu/model_aipp.c). The record describes both inputs. With batch gears the batch is -1: the
    AippData input holds the largest gear's images, as ACL requires (aclmdlCreateAIPP with the largest batch)."""
    from onnx import TensorProto

    vi = _related_input(inputs, block)
    elem = vi.type.tensor_type.elem_type
    if elem not in (TensorProto.FLOAT, TensorProto.FLOAT16):
        raise AtcError("AIPP feeds input %r, which is not a float tensor" % vi.name)
    dims = _dims(vi)
    if batch_gears and dims and not isinstance(dims[0], int):
        dims = [-1] + dims[1:]
    if len(dims) != 4 or fmt == "ND" or not all(isinstance(d, int) and (d > 0 or (k == 0 and batch_gears))
                                                for k, d in enumerate(dims)):
        raise AtcError("dynamic AIPP needs a static 4-D NCHW or NHWC input; %r is %s with --input_format=%s" % (
            vi.name, dims, fmt))
    if any(k.startswith(onnx_format.META_DYNAMIC_AIPP) for k in meta):
        raise AtcError("%s:%d: aipp_op: acllite atc runs dynamic AIPP on one input only" % (block.source, block.line))
    record = {"max_src_image_size": int(block.get("max_src_image_size")), "model_dims": [int(d) for d in dims],
              "format": fmt, "related_input_rank": inputs.index(vi),
              "graph_dtype": "float16" if elem == TensorProto.FLOAT16 else "float32"}
    meta[onnx_format.META_DYNAMIC_AIPP + vi.name] = json.dumps(record, sort_keys=True)


def _rename(node: Any, old: str, new: str) -> Any:
    for k, x in enumerate(node.output):
        if x == old:
            node.output[k] = new
    return node


def _cast_outputs(proto: Any, spec: str) -> None:
    from onnx import helper

    outputs = list(proto.graph.output)
    wanted: Dict[int, int] = {}
    if ":" not in spec:
        if spec.upper() not in _OUTPUT_TYPES:
            raise AtcError("--output_type: expected FP32, FP16 or UINT8, got %r" % spec)
        wanted = {i: _OUTPUT_TYPES[spec.upper()] for i in range(len(outputs))}
    else:
        for part in filter(None, spec.split(";")):
            bits = part.split(":")
            if len(bits) != 3 or bits[2].upper() not in _OUTPUT_TYPES:
                raise AtcError("--output_type: %r is not NODE:INDEX:TYPE (TYPE: FP32, FP16, UINT8)" % part)
            index = next((i for i, o in enumerate(outputs) if o.name in (bits[0], "%s:%s" % (bits[0], bits[1]))),
                         None)
            if index is None:
                raise AtcError("--output_type: the model has no output %r" % bits[0])
            wanted[index] = _OUTPUT_TYPES[bits[2].upper()]
    for i, elem in wanted.items():
        vo = outputs[i]
        if vo.type.tensor_type.elem_type == elem:
            continue
        internal = vo.name + "__before_cast"
        for node in proto.graph.node:
            _rename(node, vo.name, internal)
        proto.graph.node.append(helper.make_node("Cast", [internal], [vo.name], to=elem,
                                                 name="output_type_" + vo.name))
        vo.type.tensor_type.elem_type = elem


# --------------------------------------------------------------------------------------------------- CLI

_LOG_LEVELS = ("error", "warning", "info", "debug", "null")
_OPTIONS = ("framework", "model", "output", "insert_op_conf", "input_shape", "input_format", "dynamic_batch_size",
            "dynamic_image_size", "dynamic_dims", "input_shape_range",
            "output_type", "soc_version", "log", "mode", "singleop")
#: What ATC accepts beside --singleop (its documentation's list, less the tuning options the emulator ignores).
_SINGLEOP_OPTIONS = ("singleop", "output", "soc_version", "log")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="acllite atc", description="ATC's command line for the emulator: ONNX (+AIPP) "
                                "-> OUTPUT.om", allow_abbrev=False)
    p.add_argument("--framework", help="5 (ONNX); the only framework the emulator runs")
    p.add_argument("--model", help="the ONNX model")
    p.add_argument("--output", required=True, help="output path without extension (writes OUTPUT.om); with "
                   "--singleop, the directory of the single-operator models")
    p.add_argument("--singleop", help="a single-operator description file (JSON): one model per operator into the "
                   "--output directory (docs/OPERATORS.md)")
    p.add_argument("--insert_op_conf", help="AIPP configuration file")
    p.add_argument("--input_shape", help='"name:n,c,h,w[;name2:...]", -1 for the dynamic batch')
    p.add_argument("--input_format", help="NCHW (default), NHWC or ND")
    p.add_argument("--dynamic_batch_size", help='"1,2,4,8": the batch gears')
    p.add_argument("--dynamic_image_size", help='"h1,w1;h2,w2": height and width gears (-1 as H and W in '
                   '--input_shape)')
    p.add_argument("--input_shape_range", help='"name:[1~8,3,-1,-1];...": shape ranges (min~max, -1: any); the '
                   'program sets each execution\'s shape with aclmdlSetDatasetTensorDesc')
    p.add_argument("--dynamic_dims", help='"v1,v2;v1,v2": ND dims gears, one value per -1 of --input_shape '
                   '(--input_format=ND)')
    p.add_argument("--output_type", help="FP32, FP16, UINT8, or NODE:INDEX:TYPE;...")
    p.add_argument("--soc_version", help="Ascend310, Ascend310P3, ... (recorded)")
    p.add_argument("--log", help="accepted for compatibility (error, warning, info, debug, null)")
    p.add_argument("--mode", help="0 (convert) only")
    return p


def main(argv: Sequence[str]) -> int:
    """``acllite atc ...``: returns the exit status; errors are printed as ATC prints them (one line)."""
    import sys

    if any(a in ("-h", "--help") for a in argv):
        build_parser().print_help()
        return 0
    unknown = [a.split("=", 1)[0] for a in argv if a.startswith("--") and a[2:].split("=", 1)[0] not in _OPTIONS]
    if unknown:
        sys.stderr.write("acllite atc: unknown option %s (supported: %s)\n" % (
            ", ".join(unknown), " ".join("--" + o for o in _OPTIONS)))
        return 2
    args = build_parser().parse_args(list(argv))
    if args.singleop is not None:
        return _singleop_main(args, argv)
    if args.framework is None or args.model is None:
        sys.stderr.write("acllite atc: --framework and --model are required (or --singleop)\n")
        return 2
    if str(args.framework) != "5":
        sys.stderr.write("acllite atc: --framework=%s: only ONNX (5) models can run on the emulator\n" % args.framework)
        return 2
    if args.mode not in (None, "0"):
        sys.stderr.write("acllite atc: --mode=%s: only 0 (convert) is supported; for inspecting, use acllite "
                         "inspect\n" % args.mode)
        return 2
    if args.log is not None and args.log.lower() not in _LOG_LEVELS:
        sys.stderr.write("acllite atc: --log=%s: expected one of %s\n" % (args.log, ", ".join(_LOG_LEVELS)))
        return 2
    try:
        out = convert(args.model, args.output, args.insert_op_conf, args.input_shape, args.input_format,
                      args.dynamic_batch_size, args.output_type, args.soc_version,
                      command="acllite atc " + " ".join(shlex.quote(a) for a in argv),
                      dynamic_image_size=args.dynamic_image_size, dynamic_dims=args.dynamic_dims,
                      input_shape_range=args.input_shape_range)
    except AtcError as exc:
        sys.stderr.write("acllite atc: %s\n" % exc)
        return 1
    except Exception as exc:  # a value that got past the checks: still one line, never a traceback
        logger.debug("conversion failed", exc_info=True)
        sys.stderr.write("acllite atc: cannot convert %s: %s: %s\n" % (args.model, type(exc).__name__, exc))
        return 1
    print("ATC run success: wrote %s (runs on acllite's emulator only: real CANN refuses it)" % out)
    return 0


# ----------------------------------------------------------------------------------------- --singleop


def convert_singleop(description: str, output: str) -> List[Path]:
    """``atc --singleop=FILE --output=DIR``: one single-operator model per operator of the description, named as
    ATC names them (the description's ``name``, else ``<index>_<op>_<type_format_dims...>``) with ``.om``;
    returns the paths written. The files run on acllite's emulator only (docs/OPERATORS.md)."""
    from ..formats import singleop

    try:
        with open(description, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise AtcError("--singleop: cannot read %s (%s)" % (description, exc.strerror or exc)) from None
    try:
        ops = singleop.parse_description(text, description)
        for op in ops:  # a static operator is built now, so that one the emulator cannot compute fails here
            if not any(t.dynamic for t in op.inputs + op.outputs) and not singleop.value_inputs(op):
                singleop.build_graph(op, [t.shape for t in op.inputs], [t.shape for t in op.outputs], {})
    except singleop.SingleOpError as exc:
        raise AtcError(str(exc)) from None
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, op in enumerate(ops):
        path = out / ((op.name or singleop.default_name(i, op)) + ".om")
        path.write_bytes(singleop.encode(op))
        written.append(path)
    return written


def _singleop_main(args: argparse.Namespace, argv: Sequence[str]) -> int:
    import sys

    others = [a.split("=", 1)[0][2:] for a in argv if a.startswith("--")]
    extra = sorted({o for o in others if o not in _SINGLEOP_OPTIONS})
    if extra:
        sys.stderr.write("acllite atc: --singleop takes only %s; not %s\n" % (
            ", ".join("--" + o for o in _SINGLEOP_OPTIONS), ", ".join("--" + o for o in extra)))
        return 2
    try:
        written = convert_singleop(args.singleop, args.output)
    except AtcError as exc:
        sys.stderr.write("acllite atc: %s\n" % exc)
        return 1
    for path in written:
        print("wrote %s" % path)
    print("ATC run success: %d single-operator model(s) in %s (acllite's format: the emulator runs them, CANN "
          "does not)" % (len(written), args.output))
    return 0
