"""``acllite atc --dynamic_image_size`` and ``--dynamic_dims``: shape gears, as ATC defines them.

ATC's parameter reference (hiascend "ATC instructions", --dynamic_image_size / --dynamic_dims; the ACL pages of
aclmdlSetDynamicHWSize, aclmdlGetInputDynamicDims and aclmdlSetInputDynamicDims, e.g.
https://www.hiascend.com/document/detail/en/canncommercial/800/apiref/appdevgapi/aclcppdevg_03_0312.html):

* ``--dynamic_image_size="h1,w1;h2,w2"``: the input(s) of ``--input_shape`` with -1 as height and width (NCHW or
  NHWC) run at each listed size; 2 to 100 gears, no repeats.
* ``--dynamic_dims="v1,v2;v1,v2"`` with ``--input_format=ND``: each gear gives one value per -1 of
  ``--input_shape``, in the order the inputs and their -1 appear; 2 to 100 gears, no repeats.

Gears keep the user's order (gear i is the i-th). The converted model records, per gear, every input's and output's
complete shape (outputs by ONNX shape inference at that gear), so the emulator sizes buffers for the largest gear
and runs each gear at its exact shapes, as a device does.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, List, Sequence, Tuple

from ..formats.onnx import GEARS_IMAGE_SIZE, ShapeGears

__all__ = ["parse_image_size", "parse_dims", "shape_gears", "parse_shape_range"]

_MAX_GEARS = 100
_INT64_MAX = (1 << 63) - 1


def set_onnx_dims(value_info: Any, dims: Sequence[Any]) -> None:
    shape = value_info.type.tensor_type.shape
    while len(shape.dim):
        shape.dim.pop()
    for d in dims:
        dim = shape.dim.add()
        if isinstance(d, str):
            dim.dim_param = d
        elif d >= 0:
            dim.dim_value = d
        # a negative value: an unknown dimension (neither value nor name)


def onnx_dims(value_info: Any) -> List[Any]:
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or -1)
            for d in value_info.type.tensor_type.shape.dim]


class GearError(ValueError):
    """The gears cannot be used; the message says why (acllite atc prints it)."""


def _parse_table(option: str, text: str, width: int = 0) -> List[Tuple[int, ...]]:
    if not re.fullmatch(r"[0-9, ;]+", text or ""):
        raise GearError("--%s: expected gears of comma-separated positive integers separated by ';' (digits, ',', ';' "
                        "and ' ' only), got %r" % (option, text))
    gears = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        values = [v.strip() for v in part.split(",")]
        if any(not v for v in values):
            raise GearError("--%s: gear %r has an empty value" % (option, part))
        gear = tuple(int(v) for v in values)
        if any(v < 1 or v > _INT64_MAX for v in gear):
            raise GearError("--%s: gear %r: every value is 1 to %d" % (option, part, _INT64_MAX))
        if width and len(gear) != width:
            raise GearError("--%s: gear %r has %d values, expected %d" % (option, part, len(gear), width))
        gears.append(gear)
    if not 2 <= len(gears) <= _MAX_GEARS:
        raise GearError("--%s: expected 2 to %d gears, got %d" % (option, _MAX_GEARS, len(gears)))
    if len(set(gears)) != len(gears):
        raise GearError("--%s: %r repeats a gear" % (option, text))
    if len({len(g) for g in gears}) != 1:
        raise GearError("--%s: every gear must have as many values (%r)" % (option, text))
    return gears


def parse_image_size(text: str) -> List[Tuple[int, ...]]:
    """``"h1,w1;h2,w2"`` -> [(h1, w1), (h2, w2)] (raises GearError)."""
    return _parse_table("dynamic_image_size", text, 2)


def parse_dims(text: str) -> List[Tuple[int, ...]]:
    """``"v1,v2;v1,v2"`` -> [(v1, v2), (v1, v2)] (raises GearError)."""
    return _parse_table("dynamic_dims", text)


def check_shapes(kind: str, fmt: str, shapes: Dict[str, List[int]], gears: Sequence[Tuple[int, ...]]) -> None:
    """--input_shape against the gears: where -1 may stand and how many there are."""
    option = "--dynamic_image_size" if kind == GEARS_IMAGE_SIZE else "--dynamic_dims"
    holes = [(name, k) for name, dims in shapes.items() for k, d in enumerate(dims) if d == -1]
    if not holes:
        raise GearError("%s needs -1 dimensions in --input_shape" % option)
    if kind == GEARS_IMAGE_SIZE:
        if fmt not in ("NCHW", "NHWC"):
            raise GearError("--dynamic_image_size needs --input_format NCHW or NHWC, got %s" % fmt)
        hw = (2, 3) if fmt == "NCHW" else (1, 2)
        for name, dims in shapes.items():
            where = tuple(k for k, d in enumerate(dims) if d == -1)
            if where and (len(dims) != 4 or where != hw):
                raise GearError("--input_shape: %r: with --dynamic_image_size only the height and width of a 4-D %s "
                                "input may be -1, got %s" % (name, fmt, dims))
    else:
        if fmt != "ND":
            raise GearError("--dynamic_dims needs --input_format=ND, got %s" % fmt)
        if len(gears[0]) != len(holes):
            raise GearError("--dynamic_dims: each gear has %d values but --input_shape has %d dimensions of -1" % (
                len(gears[0]), len(holes)))


def _gear_inputs(kind: str, fmt: str, order: Sequence[Tuple[str, List[int]]], gear: Tuple[int, ...]
                 ) -> List[Tuple[int, ...]]:
    """Every input's complete shape at one gear (inputs in model order)."""
    shapes = []
    values = iter(gear)
    for _, dims in order:
        if kind == GEARS_IMAGE_SIZE:
            h, w = gear
            hw = (2, 3) if fmt == "NCHW" else (1, 2)
            shape = list(dims)
            if -1 in shape:
                shape[hw[0]], shape[hw[1]] = h, w
        else:
            shape = [next(values) if d == -1 else d for d in dims]
        shapes.append(tuple(shape))
    return shapes


def _infer_outputs(proto: Any, inputs: Sequence[Any], shapes: Sequence[Tuple[int, ...]],
                   gear: int) -> List[Tuple[int, ...]]:
    from onnx import shape_inference

    probe = copy.deepcopy(proto)
    by_name = {vi.name: vi for vi in probe.graph.input}
    for vi, shape in zip(inputs, shapes):
        set_onnx_dims(by_name[vi.name], shape)
    for vo in probe.graph.output:
        vo.type.tensor_type.ClearField("shape")
    try:
        inferred = shape_inference.infer_shapes(probe, strict_mode=True, data_prop=True).graph.output
    except Exception as exc:
        raise GearError("gear %d: ONNX shape inference cannot give the outputs' shapes (%s)" % (gear, exc)) from None
    out = []
    for vo in inferred:
        dims = onnx_dims(vo) if vo.type.tensor_type.HasField("shape") else []
        if not vo.type.tensor_type.HasField("shape") or any(not isinstance(d, int) or d < 0 for d in dims):
            raise GearError("gear %d: output %r has no static shape at this gear (%s): acllite atc needs every "
                            "output's shape at every gear" % (gear, vo.name, dims))
        out.append(tuple(dims))
    return out


def shape_gears(proto: Any, inputs: Sequence[Any], kind: str, fmt: str, shapes: Dict[str, List[int]],
                gears: Sequence[Tuple[int, ...]]) -> ShapeGears:
    """Set the model's dynamic input and output dims (symbolic where gears differ) and return the gears' record."""
    order = [(vi.name, shapes.get(vi.name, list(onnx_dims(vi)))) for vi in inputs]
    for name, dims in order:
        if any(not isinstance(d, int) or d < -1 or d == 0 for d in dims):
            raise GearError("input %r has dynamic dimensions %s: give them with --input_shape" % (name, dims))
    all_inputs, all_outputs = [], []
    for k, gear in enumerate(gears):
        ins = _gear_inputs(kind, fmt, order, gear)
        all_inputs.append(ins)
        all_outputs.append(_infer_outputs(proto, inputs, ins, k))
    for i, vi in enumerate(inputs):
        set_onnx_dims(vi, [d if d != -1 else "gear_%s_%d" % (re.sub(r"\W", "_", vi.name), j)
                       for j, d in enumerate(order[i][1])])
    for o, vo in enumerate(proto.graph.output):
        per_gear = [g[o] for g in all_outputs]
        if len({len(s) for s in per_gear}) != 1:
            raise GearError("output %r changes rank between gears" % vo.name)
        set_onnx_dims(vo, [per_gear[0][j] if len({s[j] for s in per_gear}) == 1 else "gear_out_%d_%d" % (o, j)
                       for j in range(len(per_gear[0]))])
    return ShapeGears(kind, [tuple(g) for g in gears], all_inputs, all_outputs)


def parse_shape_range(text: str) -> Dict[str, List[Tuple[int, int]]]:
    """``--input_shape_range="x:[1~8,3,-1,-1];y:[5,3~9]"`` -> {name: [(min, max), ...]}: ``a~b`` a range, ``-1``
    any size (0 or more: max -1), a number a fixed dimension (ATC's parameter reference, --input_shape_range)."""
    ranges: Dict[str, List[Tuple[int, int]]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, body = part.rpartition(":")
        body = body.strip()
        if not sep or not name or not (body.startswith("[") and body.endswith("]")):
            raise GearError("--input_shape_range: %r is not NAME:[d0,d1,...] (ranges as min~max, -1 for any)" % part)
        dims: List[Tuple[int, int]] = []
        for token in (t.strip() for t in body[1:-1].split(",")):
            try:
                if "~" in token:
                    lo, hi = (int(v) for v in token.split("~"))
                else:
                    lo = hi = int(token)
                    if lo == -1:
                        lo = 0
            except ValueError:
                raise GearError("--input_shape_range: %r: %r is not a number, min~max or -1" % (name, token)) from None
            if lo < 0 or (hi != -1 and hi < lo) or hi < -1 or max(lo, hi) > _INT64_MAX or \
                    (hi == 0 and "~" not in token):
                raise GearError("--input_shape_range: %r: %r is not a dimension, min~max (0 <= min <= max) or -1" % (
                    name, token))
            dims.append((lo, hi))
        if name in ranges:
            raise GearError("--input_shape_range: %r is given twice" % name)
        ranges[name] = dims
    if not ranges:
        raise GearError("--input_shape_range: no input given")
    return ranges
