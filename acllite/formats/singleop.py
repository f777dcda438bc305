"""Single-operator models as ``acllite atc --singleop`` writes them, and each operator as an ONNX node.

ATC turns a JSON list of operator descriptions (``op``, ``input_desc``, ``output_desc``, ``attr``: CANN's
single-operator description file) into one model file per operator. acllite's files hold the description itself,
checked and normalized, behind a magic; the emulator builds the ONNX graph that computes the operator when it
first runs it at given shapes. Real CANN cannot load these files (nor can the emulator load CANN's): see
docs/OPERATORS.md, which also lists the operators, their CANN attributes and the ONNX operators they become.

Layout of a file: the 16 bytes ``ACLLITE-SINGLEOP``, a little-endian uint32 version (1), then UTF-8 JSON::

    {"op": "Cast", "inputs": [{"type": 0, "format": 2, "shape": [1000], "shape_range": [], "const": null}],
     "outputs": [...], "attrs": [{"name": "dst_type", "type": "int", "value": 1}], "built_by": "acllite atc"}

Attributes cross between the emulator's C side and Python as one canonical text (entries sorted by name, each
``<len>:<name> <type> <value>\\n``; types b i f s t lb li lf ls lt lli; floats as the 8 hex digits of their
float32 bits, strings as ``<len>:<bytes>``): :func:`attrs_text` and :func:`parse_attrs_text`.

Problems raise :class:`SingleOpError`, whose ``code`` is the aclError the emulator answers with. Pure Python:
no binding import (tools use it without a device).
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["SingleOpError", "OpTensor", "OpDesc", "MAGIC", "parse_description", "encode", "decode", "is_singleop",
           "default_name", "attrs_text", "parse_attrs_text", "validate", "build_graph", "OPERATORS", "type_name",
           "format_name"]

MAGIC = b"ACLLITE-SINGLEOP"
VERSION = 1

ACL_ERROR_INVALID_PARAM = 100000
ACL_ERROR_PARSE_MODEL = 100013
ACL_ERROR_OP_TYPE_NOT_MATCH = 100020
ACL_ERROR_OP_INPUT_NOT_MATCH = 100021
ACL_ERROR_OP_OUTPUT_NOT_MATCH = 100022
ACL_ERROR_OP_ATTR_NOT_MATCH = 100023
ACL_ERROR_OP_NOT_FOUND = 100024
ACL_ERROR_UNSUPPORTED_DATA_TYPE = 100026
ACL_ERROR_FORMAT_NOT_MATCH = 100027

#: aclDataType (= GE's DataType for these) -> (ATC's JSON names, ONNX element type, numpy dtype)
TYPES: Dict[int, Tuple[Tuple[str, ...], int, Any]] = {
    0: (("float", "float32"), 1, np.float32), 1: (("float16",), 10, np.float16), 2: (("int8",), 3, np.int8),
    3: (("int32",), 6, np.int32), 4: (("uint8",), 2, np.uint8), 6: (("int16",), 5, np.int16),
    7: (("uint16",), 4, np.uint16), 8: (("uint32",), 12, np.uint32), 9: (("int64",), 7, np.int64),
    10: (("uint64",), 13, np.uint64), 11: (("double", "float64"), 11, np.float64), 12: (("bool",), 9, np.bool_),
}
_TYPE_BY_NAME = {name: acl for acl, (names, _, _) in TYPES.items() for name in names}
_GE_NAMES = {"DT_FLOAT": 0, "DT_FLOAT16": 1, "DT_INT8": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 6,
             "DT_UINT16": 7, "DT_UINT32": 8, "DT_INT64": 9, "DT_UINT64": 10, "DT_DOUBLE": 11, "DT_BOOL": 12}
#: aclFormat by ATC's JSON names; the emulator computes on the plain layouts only
FORMATS = {"NCHW": 0, "NHWC": 1, "ND": 2, "NC1HWC0": 3, "FRACTAL_Z": 4, "NC1HWC0_C04": 12, "HWCN": 16,
           "NDHWC": 27, "FRACTAL_NZ": 29, "NCDHW": 30, "NDC1HWC0": 32, "FRACTAL_Z_3D": 33}
PLAIN_FORMATS = {0, 1, 2, 27, 30}
_FORMAT_NAMES = {v: k for k, v in FORMATS.items()}
ATTR_TYPES = ("bool", "int", "float", "string", "data_type", "list_bool", "list_int", "list_float", "list_string",
              "list_data_type", "list_list_int")
_CODE = {"bool": "b", "int": "i", "float": "f", "string": "s", "data_type": "t", "list_bool": "lb", "list_int": "li",
         "list_float": "lf", "list_string": "ls", "list_data_type": "lt", "list_list_int": "lli"}
_KIND = {v: k for k, v in _CODE.items()}


class SingleOpError(ValueError):
    """The operator cannot be described, built or run; ``code`` is the aclError answered."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def type_name(acl_type: int) -> str:
    return TYPES[acl_type][0][-1] if acl_type in TYPES else "type %d" % acl_type


def format_name(acl_format: int) -> str:
    return _FORMAT_NAMES.get(acl_format, "format %d" % acl_format)


@dataclass
class OpTensor:
    """One input or output of an operator as its description gives it."""

    dtype: int  #: aclDataType
    format: int  #: aclFormat
    shape: Tuple[int, ...]  #: -1: a dynamic dim; (-2,): any rank
    shape_range: Tuple[Tuple[int, int], ...] = ()  #: [min, max] per dim (max -1: unbounded); () when static
    const: Optional[bytes] = None  #: the value of a constant input

    @property
    def dynamic(self) -> bool:
        return any(d < 0 for d in self.shape)

    def label(self) -> str:
        return "%s[%s] %s" % (type_name(self.dtype), ",".join(str(d) for d in self.shape), format_name(self.format))

    def to_json(self) -> Dict[str, Any]:
        return {"type": self.dtype, "format": self.format, "shape": list(self.shape),
                "shape_range": [list(r) for r in self.shape_range],
                "const": None if self.const is None else base64.b64encode(self.const).decode()}


Attr = Tuple[str, Any]  #: (ATC attribute type, value)


@dataclass
class OpDesc:
    op: str
    inputs: List[OpTensor]
    outputs: List[OpTensor]
    attrs: Dict[str, Attr] = field(default_factory=dict)
    name: Optional[str] = None  #: the file name ATC's description gave

    def label(self) -> str:
        return "%s(%s) -> (%s)" % (self.op, ", ".join(t.label() for t in self.inputs),
                                   ", ".join(t.label() for t in self.outputs))


# ----------------------------------------------------------------------------------------- ATC's JSON


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: expected an integer, got %r" % (where, value))
    if not -(1 << 63) <= value < (1 << 63):
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: %d is out of the int64 range" % (where, value))
    return value


def _dtype(value: Any, where: str) -> int:
    if isinstance(value, str):
        key = value.strip()
        if key in _TYPE_BY_NAME:
            return _TYPE_BY_NAME[key]
        if key.upper() in _GE_NAMES:
            return _GE_NAMES[key.upper()]
        raise SingleOpError(ACL_ERROR_UNSUPPORTED_DATA_TYPE, "%s: unknown or unsupported type %r (known: %s)" % (
            where, value, ", ".join(sorted(_TYPE_BY_NAME))))
    code = _int(value, where)
    if code not in TYPES:
        raise SingleOpError(ACL_ERROR_UNSUPPORTED_DATA_TYPE, "%s: data type %d is not supported" % (where, code))
    return code


def _tensor(raw: Any, where: str) -> OpTensor:
    if not isinstance(raw, dict):
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: expected an object" % where)
    for key in ("format", "shape", "type"):
        if key not in raw:
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: '%s' is required" % (where, key))
    fmt = raw["format"]
    if not isinstance(fmt, str) or fmt.upper() not in FORMATS:
        raise SingleOpError(ACL_ERROR_FORMAT_NOT_MATCH, "%s: format %r is not one of %s" % (
            where, fmt, ", ".join(FORMATS)))
    shape_raw = raw["shape"]
    if not isinstance(shape_raw, list) or len(shape_raw) > 32:
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: shape must be a list of at most 32 dims" % where)
    shape = tuple(_int(d, "%s: shape" % where) for d in shape_raw)
    if any(d < -1 for d in shape) and shape != (-2,):
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: shape %s: a dim is >= 0, or -1 when dynamic; [-2] means "
                            "any rank" % (where, list(shape)))
    ranges: Tuple[Tuple[int, int], ...] = ()
    if raw.get("shape_range") not in (None, []):
        rr = raw["shape_range"]
        if not isinstance(rr, list) or len(rr) != len(shape) or not all(isinstance(r, list) and len(r) == 2
                                                                         for r in rr):
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: shape_range must give [min, max] for each of the %d "
                                "dims" % (where, len(shape)))
        ranges = tuple((_int(r[0], where), _int(r[1], where)) for r in rr)
        for k, (lo, hi) in enumerate(ranges):
            if lo < 0 or (hi != -1 and hi < lo) or (shape[k] >= 0 and not lo <= shape[k] <= (hi if hi >= 0
                                                                                             else shape[k])):
                raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: shape_range %s does not fit dim %d (%d)" % (
                    where, [lo, hi], k, shape[k]))
    dtype = _dtype(raw["type"], "%s: type" % where)
    const = None
    if raw.get("is_const"):
        if "const_value" not in raw:
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: is_const needs const_value" % where)
        try:
            arr = np.asarray(raw["const_value"], dtype=TYPES[dtype][2])
        except (TypeError, ValueError, OverflowError):
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: const_value is not a list of %s" % (
                where, type_name(dtype))) from None
        if any(d < 0 for d in shape) or arr.size != int(np.prod(shape, dtype=np.int64)):
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: const_value has %d value(s); shape %s needs %d" % (
                where, arr.size, list(shape), int(np.prod([max(d, 0) for d in shape], dtype=np.int64))))
        const = arr.tobytes()
    return OpTensor(dtype, FORMATS[fmt.upper()], shape, ranges, const)


def _attr(raw: Any, where: str) -> Tuple[str, Attr]:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: an attribute is {\"name\", \"type\", \"value\"}" % where)
    name, kind = raw["name"], raw.get("type")
    where = "%s '%s'" % (where, name)
    if kind not in ATTR_TYPES:
        raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: type %r is not one of %s" % (
            where, kind, ", ".join(ATTR_TYPES)))
    if "value" not in raw:
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: 'value' is required" % where)
    return name, (kind, _attr_value(kind, raw["value"], where))


def _attr_value(kind: str, value: Any, where: str) -> Any:
    def one(k: str, v: Any) -> Any:
        if k == "bool":
            if not isinstance(v, bool):
                raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: expected true or false, got %r" % (where, v))
            return v
        if k == "int":
            return _int(v, where)
        if k == "float":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: expected a number, got %r" % (where, v))
            return float(np.float32(v))
        if k == "string":
            if not isinstance(v, str):
                raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: expected a string, got %r" % (where, v))
            return v
        return _dtype(v, where)  # data_type

    if not kind.startswith("list_"):
        return one(kind, value)
    if not isinstance(value, list):
        raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: expected a list, got %r" % (where, value))
    if kind == "list_list_int":
        if not all(isinstance(v, list) for v in value):
            raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: expected a list of lists" % where)
        return [[_int(x, where) for x in v] for v in value]
    return [one(kind[5:], v) for v in value]


def parse_description(text: str, source: str = "the description") -> List[OpDesc]:
    """ATC's single-operator description file (a JSON list of operators) as checked descriptions."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s is not JSON: %s" % (source, exc)) from None
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: expected a list of operator descriptions" % source)
    ops = []
    for i, item in enumerate(raw):
        where = "%s: operator %d" % (source, i)
        if not isinstance(item, dict) or not isinstance(item.get("op"), str) or not item["op"]:
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: 'op' (the operator type) is required" % where)
        where += " (%s)" % item["op"]
        for key in ("input_desc", "output_desc"):
            if not isinstance(item.get(key, []), list):
                raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: '%s' must be a list" % (where, key))
        if "output_desc" not in item:
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: 'output_desc' is required" % where)
        inputs = [_tensor(t, "%s: input %d" % (where, k)) for k, t in enumerate(item.get("input_desc", []))]
        outputs = [_tensor(t, "%s: output %d" % (where, k)) for k, t in enumerate(item["output_desc"])]
        if any(t.const is not None for t in outputs):
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: an output cannot be constant" % where)
        attrs: Dict[str, Attr] = {}
        for raw_attr in item.get("attr", []) or []:
            name, value = _attr(raw_attr, where + ": attribute")
            if name in attrs:
                raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: attribute '%s' is given twice" % (where, name))
            attrs[name] = value
        file_name = item.get("name")
        if file_name is not None and (not isinstance(file_name, str) or not file_name or "/" in file_name
                                      or file_name in (".", "..")):
            raise SingleOpError(ACL_ERROR_INVALID_PARAM, "%s: name %r is not a file name" % (where, file_name))
        desc = OpDesc(item["op"], inputs, outputs, attrs, file_name)
        validate(desc)
        ops.append(desc)
    return ops


def default_name(index: int, desc: OpDesc) -> str:
    """ATC's file name when the description gives none: index_op_<type_format_dims of each input>_<... outputs>."""
    parts = [str(index), desc.op]
    for t in desc.inputs + desc.outputs:
        parts += [str(t.dtype), str(t.format)] + [str(d) for d in t.shape]
    return "_".join(parts)


# ----------------------------------------------------------------------------------------- the file


def encode(desc: OpDesc, built_by: str = "acllite atc") -> bytes:
    body = {"op": desc.op, "inputs": [t.to_json() for t in desc.inputs],
            "outputs": [t.to_json() for t in desc.outputs],
            "attrs": [{"name": n, "type": k, "value": v} for n, (k, v) in sorted(desc.attrs.items())],
            "built_by": built_by, "note": "acllite single-operator model: runs on acllite's emulator only"}
    return MAGIC + struct.pack("<I", VERSION) + json.dumps(body, sort_keys=True).encode()


def is_singleop(data: bytes) -> bool:
    return data[:len(MAGIC)] == MAGIC


def decode(data: bytes) -> OpDesc:
    """The description in a file :func:`encode` wrote (raises SingleOpError with ACL_ERROR_PARSE_MODEL)."""
    if not is_singleop(data):
        hint = " (an offline model made by CANN's ATC: the emulator cannot run it)" if data[:4] == b"IMOD" else ""
        raise SingleOpError(ACL_ERROR_PARSE_MODEL, "not a single-operator model written by acllite atc%s" % hint)
    if len(data) < len(MAGIC) + 4 or struct.unpack_from("<I", data, len(MAGIC))[0] != VERSION:
        raise SingleOpError(ACL_ERROR_PARSE_MODEL, "unsupported single-operator model version")
    try:
        body = json.loads(data[len(MAGIC) + 4:].decode())
        ops = parse_description(json.dumps([{
            "op": body["op"],
            "input_desc": [_json_tensor(t) for t in body["inputs"]],
            "output_desc": [_json_tensor(t) for t in body["outputs"]],
            "attr": body["attrs"]}]), "the model")
    except SingleOpError as exc:
        raise SingleOpError(ACL_ERROR_PARSE_MODEL, "a damaged single-operator model: %s" % exc) from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise SingleOpError(ACL_ERROR_PARSE_MODEL, "a damaged single-operator model (%s)" % exc) from None
    return ops[0]


def _json_tensor(t: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"type": t["type"], "format": format_name(t["format"]), "shape": t["shape"],
                           "shape_range": t["shape_range"]}
    if t.get("const") is not None:
        raw = base64.b64decode(t["const"])
        out["is_const"] = True
        out["const_value"] = np.frombuffer(raw, dtype=TYPES[t["type"]][2]).tolist()
    return out


# ----------------------------------------------------------------------------------------- canonical text


def _float_hex(v: float) -> str:
    return "%08x" % struct.unpack("<I", struct.pack("<f", v))[0]


def _str_text(s: str) -> str:
    raw = s.encode()
    return "%d:%s" % (len(raw), s)


def attrs_text(attrs: Dict[str, Attr]) -> str:
    """The canonical text of an attribute set, as the emulator's C side writes it for an aclopAttr."""
    lines = []
    for name in sorted(attrs, key=lambda n: n.encode()):
        kind, v = attrs[name]
        code = _CODE[kind]
        if kind in ("bool",):
            value = str(int(v))
        elif kind in ("int", "data_type"):
            value = str(v)
        elif kind == "float":
            value = _float_hex(v)
        elif kind == "string":
            value = _str_text(v)
        elif kind == "list_list_int":
            value = " ".join([str(len(v))] + [" ".join([str(len(s))] + [str(x) for x in s]) for s in v])
        else:
            items: Dict[str, Callable[[Any], str]] = {"list_bool": lambda x: str(int(x)), "list_float": _float_hex,
                                                      "list_string": _str_text}
            item = items.get(kind, str)
            value = " ".join([str(len(v))] + [item(x) for x in v])
        lines.append("%s %s %s\n" % (_str_text(name), code, value))
    return "".join(lines)


class _Reader:
    def __init__(self, raw: bytes):
        self.raw, self.pos = raw, 0

    def fail(self) -> SingleOpError:
        return SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "unreadable attribute text at byte %d" % self.pos)

    def token(self) -> str:
        end = self.pos
        while end < len(self.raw) and self.raw[end:end + 1] not in (b" ", b"\n"):
            end += 1
        tok = self.raw[self.pos:end].decode()
        self.pos = end
        return tok

    def sep(self, what: bytes) -> None:
        if self.raw[self.pos:self.pos + 1] != what:
            raise self.fail()
        self.pos += 1

    def number(self) -> int:
        tok = self.token()
        if not tok.lstrip("-").isdigit():
            raise self.fail()
        return int(tok)

    def string(self) -> str:
        colon = self.raw.find(b":", self.pos)
        if colon < 0 or not self.raw[self.pos:colon].isdigit():
            raise self.fail()
        n = int(self.raw[self.pos:colon])
        text = self.raw[colon + 1:colon + 1 + n]
        if len(text) != n:
            raise self.fail()
        self.pos = colon + 1 + n
        return text.decode("utf-8", "replace")

    def flt(self) -> float:
        tok = self.token()
        if len(tok) != 8:
            raise self.fail()
        return float(struct.unpack("<f", struct.pack("<I", int(tok, 16)))[0])


def parse_attrs_text(text: str) -> Dict[str, Attr]:
    """The inverse of :func:`attrs_text`."""
    r = _Reader(text.encode("utf-8", "surrogateescape"))
    out: Dict[str, Attr] = {}
    while r.pos < len(r.raw):
        name = r.string()
        r.sep(b" ")
        code = r.token()
        if code not in _KIND:
            raise r.fail()
        kind = _KIND[code]
        r.sep(b" ")
        value: Any
        if kind == "bool":
            value = bool(r.number())
        elif kind in ("int", "data_type"):
            value = r.number()
        elif kind == "float":
            value = r.flt()
        elif kind == "string":
            value = r.string()
        else:
            n = r.number()
            value = []
            for _ in range(n):
                r.sep(b" ")
                if kind == "list_list_int":
                    m = r.number()
                    sub = []
                    for _ in range(m):
                        r.sep(b" ")
                        sub.append(r.number())
                    value.append(sub)
                elif kind == "list_float":
                    value.append(r.flt())
                elif kind == "list_string":
                    value.append(r.string())
                elif kind == "list_bool":
                    value.append(bool(r.number()))
                else:
                    value.append(r.number())
        r.sep(b"\n")
        out[name] = (kind, value)
    return out


# ----------------------------------------------------------------------------------------- operators


@dataclass
class _Ctx:
    """What a builder gets: graph input names (None for a value input), the values read for value inputs, the
    attributes (defaults applied), the descriptions with the shapes it runs at, and node/constant makers."""

    desc: OpDesc
    names: List[Optional[str]]
    values: Dict[int, np.ndarray]
    attrs: Dict[str, Any]
    in_shapes: List[Tuple[int, ...]]
    nodes: List[Any] = field(default_factory=list)
    inits: List[Any] = field(default_factory=list)
    count: int = 0

    def node(self, op: str, inputs: Sequence[str], **attrs: Any) -> str:
        from onnx import helper

        self.count += 1
        out = "n%d_%s" % (self.count, op)
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out

    def const(self, value: Any, dtype: Any = np.int64) -> str:
        from onnx import numpy_helper

        self.count += 1
        name = "c%d" % self.count
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def x(self, i: int) -> str:
        name = self.names[i]
        assert name is not None
        return name

    def fail(self, message: str) -> SingleOpError:
        return SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: %s" % (self.desc.op, message))


Builder = Callable[[_Ctx], List[str]]


@dataclass
class OpSpec:
    onnx: str  #: what it becomes (documentation)
    inputs: Tuple[int, int]  #: min, max inputs
    attrs: Dict[str, Tuple[str, Any]]  #: name -> (ATC type, default; None: required)
    build: Builder
    value_inputs: Tuple[int, ...] = ()  #: inputs whose values shape the graph (read when the operator runs)
    outputs: int = 1


def _same(onnx_op: str) -> Builder:
    def build(c: _Ctx) -> List[str]:
        return [c.node(onnx_op, [c.x(i) for i in range(len(c.names))])]
    return build


def _cast(c: _Ctx) -> List[str]:
    want = c.desc.outputs[0].dtype
    if c.attrs["dst_type"] != want:
        raise c.fail("attribute dst_type is %d but the output is %s (%d)" % (c.attrs["dst_type"], type_name(want),
                                                                            want))
    return [c.node("Cast", [c.x(0)], to=TYPES[want][1])]


def _swap_last(c: _Ctx, name: str, rank: int) -> str:
    perm = list(range(rank))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return c.node("Transpose", [name], perm=perm)


def _matmul(flag1: str, flag2: str, batch: bool) -> Builder:
    def build(c: _Ctx) -> List[str]:
        if c.attrs.get("offset_x", 0) != 0:
            raise c.fail("offset_x %d: only 0 (no quantization offset) is emulated" % c.attrs["offset_x"])
        a, b = c.x(0), c.x(1)
        ra, rb = len(c.in_shapes[0]), len(c.in_shapes[1])
        if (not batch and (ra != 2 or rb != 2)) or ra < 2 or rb < 2:
            raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s: x1 and x2 must be %s" % (
                c.desc.op, "matrices (2-D)" if not batch else "at least 2-D"))
        if c.attrs[flag1]:
            a = _swap_last(c, a, ra)
        if c.attrs[flag2]:
            b = _swap_last(c, b, rb)
        y = c.node("MatMul", [a, b])
        if len(c.names) > 2:
            y = c.node("Add", [y, c.x(2)])
        return [y]
    return build


def _ints(c: _Ctx, i: int, what: str) -> List[int]:
    v = c.values[i]
    if v.dtype not in (np.int32, np.int64):
        raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s: %s (input %d) must be int32 or int64" % (
            c.desc.op, what, i))
    return [int(x) for x in v.reshape(-1)]


def _transpose(perm_of: Callable[[_Ctx], List[int]]) -> Builder:
    def build(c: _Ctx) -> List[str]:
        perm = perm_of(c)
        if sorted(perm) != list(range(len(c.in_shapes[0]))):
            raise c.fail("perm %s is not a permutation of the %d dims" % (perm, len(c.in_shapes[0])))
        return [c.node("Transpose", [c.x(0)], perm=perm)]
    return build


def _reshape(c: _Ctx) -> List[str]:
    if c.attrs["axis"] != 0 or c.attrs["num_axes"] != -1:
        raise c.fail("axis %d, num_axes %d: only the defaults (0, -1) are emulated" % (c.attrs["axis"],
                                                                                       c.attrs["num_axes"]))
    shape = c.node("Cast", [c.x(1)], to=7)
    return [c.node("Reshape", [c.x(0), shape])]


def _argmax(axis_of: Callable[[_Ctx], int]) -> Builder:
    def build(c: _Ctx) -> List[str]:
        axis = axis_of(c)
        rank = len(c.in_shapes[0])
        if not -rank <= axis < max(rank, 1):
            raise c.fail("dimension %d is out of range for %d dims" % (axis, rank))
        want = c.desc.outputs[0].dtype
        if "dtype" in c.attrs and c.attrs["dtype"] != want:
            raise c.fail("attribute dtype is %d but the output is %s" % (c.attrs["dtype"], type_name(want)))
        if want not in (3, 9):
            raise SingleOpError(ACL_ERROR_OP_OUTPUT_NOT_MATCH, "%s: the output must be int32 or int64, not %s" % (
                c.desc.op, type_name(want)))
        y = c.node("ArgMax", [c.x(0)], axis=axis, keepdims=0)
        return [c.node("Cast", [y], to=TYPES[want][1]) if want == 3 else y]
    return build


def _softmax(c: _Ctx) -> List[str]:
    axes = c.attrs["axes"]
    if len(axes) != 1:
        raise c.fail("axes %s: the emulator computes softmax over one axis" % (axes,))
    if c.attrs.get("half_to_float"):
        raise c.fail("half_to_float true is not emulated")
    return [c.node("Softmax", [c.x(0)], axis=axes[0])]


def _slice(begin_size: Callable[[_Ctx], Tuple[List[int], List[int]]]) -> Builder:
    def build(c: _Ctx) -> List[str]:
        offsets, size = begin_size(c)
        shape = c.in_shapes[0]
        if len(offsets) != len(shape) or len(size) != len(shape):
            raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s: offsets and size need %d values each" % (
                c.desc.op, len(shape)))
        ends = []
        for k, (o, s) in enumerate(zip(offsets, size)):
            end = shape[k] if s == -1 else o + s
            if o < 0 or s < -1 or end > shape[k]:
                raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s: offset %d and size %d leave dim %d (%d)" % (
                    c.desc.op, o, s, k, shape[k]))
            ends.append(end)
        return [c.node("Slice", [c.x(0), c.const(offsets), c.const(ends), c.const(list(range(len(shape))))])]
    return build


def _strided_slice(values_of: Callable[[_Ctx], Tuple[List[int], List[int], List[int]]]) -> Builder:
    def build(c: _Ctx) -> List[str]:
        for mask in ("ellipsis_mask", "new_axis_mask"):
            if c.attrs[mask]:
                raise c.fail("%s %d: only 0 is emulated" % (mask, c.attrs[mask]))
        begin, end, strides = values_of(c)
        n = len(begin)
        shape = c.in_shapes[0]
        if not (len(end) == len(strides) == n) or n > len(shape) or any(s == 0 for s in strides):
            raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s: begin, end and strides need one non-zero stride "
                                "per sliced dim (at most %d)" % (c.desc.op, len(shape)))
        big = np.iinfo(np.int64).max
        starts, ends, squeeze = [], [], []
        for k in range(n):
            bit = 1 << k
            s, e = begin[k], end[k]
            if c.attrs["shrink_axis_mask"] & bit:
                s = s + shape[k] if s < 0 else s
                if not 0 <= s < shape[k]:
                    raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s: index %d leaves dim %d (%d)" % (
                        c.desc.op, begin[k], k, shape[k]))
                starts.append(s)
                ends.append(s + 1)
                strides[k] = 1
                squeeze.append(k)
                continue
            if c.attrs["begin_mask"] & bit:
                s = 0 if strides[k] > 0 else big
            if c.attrs["end_mask"] & bit:
                e = big if strides[k] > 0 else -big
            starts.append(s)
            ends.append(e)
        y = c.node("Slice", [c.x(0), c.const(starts), c.const(ends), c.const(list(range(n))), c.const(strides)])
        if squeeze:
            y = c.node("Squeeze", [y, c.const(squeeze)])
        return [y]
    return build


def _reduce(onnx_op: str, axes_of: Callable[[_Ctx], List[int]]) -> Builder:
    def build(c: _Ctx) -> List[str]:
        axes = axes_of(c)
        rank = len(c.in_shapes[0])
        if any(not -rank <= a < max(rank, 1) for a in axes):
            raise c.fail("axes %s are out of range for %d dims" % (axes, rank))
        keep = int(bool(c.attrs["keep_dims"]))
        if not axes:
            return [c.node(onnx_op, [c.x(0)], keepdims=keep)]
        return [c.node(onnx_op, [c.x(0), c.const(axes)], keepdims=keep)]
    return build


_NO_ATTRS: Dict[str, Tuple[str, Any]] = {}
_KEEP = {"keep_dims": ("bool", False)}
_SS_MASKS = {m: ("int", 0) for m in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}

#: CANN operator type -> how the emulator computes it (attribute names and defaults from CANN's operator
#: specification; docs/OPERATORS.md lists them)
OPERATORS: Dict[str, OpSpec] = {
    "Cast": OpSpec("Cast", (1, 1), {"dst_type": ("int", None), "truncate": ("bool", False)}, _cast),
    "Add": OpSpec("Add", (2, 2), _NO_ATTRS, _same("Add")),
    "Sub": OpSpec("Sub", (2, 2), _NO_ATTRS, _same("Sub")),
    "Mul": OpSpec("Mul", (2, 2), _NO_ATTRS, _same("Mul")),
    "RealDiv": OpSpec("Div", (2, 2), _NO_ATTRS, _same("Div")),
    "Div": OpSpec("Div", (2, 2), _NO_ATTRS, _same("Div")),
    "Maximum": OpSpec("Max", (2, 2), _NO_ATTRS, _same("Max")),
    "Minimum": OpSpec("Min", (2, 2), _NO_ATTRS, _same("Min")),
    "Pow": OpSpec("Pow", (2, 2), _NO_ATTRS, _same("Pow")),
    "Relu": OpSpec("Relu", (1, 1), _NO_ATTRS, _same("Relu")),
    "Sigmoid": OpSpec("Sigmoid", (1, 1), _NO_ATTRS, _same("Sigmoid")),
    "Exp": OpSpec("Exp", (1, 1), {"base": ("float", -1.0), "scale": ("float", 1.0), "shift": ("float", 0.0)},
                  lambda c: _exp(c)),
    "Tanh": OpSpec("Tanh", (1, 1), _NO_ATTRS, _same("Tanh")),
    "Abs": OpSpec("Abs", (1, 1), _NO_ATTRS, _same("Abs")),
    "Neg": OpSpec("Neg", (1, 1), _NO_ATTRS, _same("Neg")),
    "Sqrt": OpSpec("Sqrt", (1, 1), _NO_ATTRS, _same("Sqrt")),
    "Log": OpSpec("Log", (1, 1), {"base": ("float", -1.0), "scale": ("float", 1.0), "shift": ("float", 0.0)},
                  lambda c: _log(c)),
    "Reciprocal": OpSpec("Reciprocal", (1, 1), _NO_ATTRS, _same("Reciprocal")),
    "MatMul": OpSpec("MatMul (+Transpose, +Add)", (2, 3), {"transpose_x1": ("bool", False),
                                                          "transpose_x2": ("bool", False)},
                     _matmul("transpose_x1", "transpose_x2", False)),
    "MatMulV2": OpSpec("MatMul (+Transpose, +Add)", (2, 3), {"transpose_x1": ("bool", False),
                                                            "transpose_x2": ("bool", False), "offset_x": ("int", 0)},
                       _matmul("transpose_x1", "transpose_x2", False)),
    "BatchMatMul": OpSpec("MatMul (+Transpose, +Add)", (2, 3), {"adj_x1": ("bool", False), "adj_x2": ("bool", False)},
                          _matmul("adj_x1", "adj_x2", True)),
    "BatchMatMulV2": OpSpec("MatMul (+Transpose, +Add)", (2, 3), {"adj_x1": ("bool", False),
                                                                 "adj_x2": ("bool", False), "offset_x": ("int", 0)},
                            _matmul("adj_x1", "adj_x2", True)),
    "Transpose": OpSpec("Transpose", (2, 2), _NO_ATTRS, _transpose(lambda c: _ints(c, 1, "perm")), (1,)),
    "TransposeD": OpSpec("Transpose", (1, 1), {"perm": ("list_int", None)},
                         _transpose(lambda c: list(c.attrs["perm"]))),
    "Reshape": OpSpec("Reshape", (2, 2), {"axis": ("int", 0), "num_axes": ("int", -1)}, _reshape),
    "ArgMaxD": OpSpec("ArgMax (+Cast)", (1, 1), {"dimension": ("int", None), "dtype": ("data_type", 3)},
                      _argmax(lambda c: c.attrs["dimension"])),
    "ArgMaxV2": OpSpec("ArgMax (+Cast)", (2, 2), {"dtype": ("data_type", 3)},
                       _argmax(lambda c: _ints(c, 1, "dimension")[0]), (1,)),
    "SoftmaxV2": OpSpec("Softmax", (1, 1), {"axes": ("list_int", [-1]), "half_to_float": ("bool", False)}, _softmax),
    "Softmax": OpSpec("Softmax", (1, 1), {"axes": ("list_int", [-1]), "half_to_float": ("bool", False)}, _softmax),
    "Slice": OpSpec("Slice", (3, 3), _NO_ATTRS, _slice(lambda c: (_ints(c, 1, "offsets"), _ints(c, 2, "size"))),
                    (1, 2)),
    "SliceD": OpSpec("Slice", (1, 1), {"offsets": ("list_int", None), "size": ("list_int", None)},
                     _slice(lambda c: (list(c.attrs["offsets"]), list(c.attrs["size"])))),
    "StridedSlice": OpSpec("Slice (+Squeeze)", (4, 4), _SS_MASKS,
                           _strided_slice(lambda c: (_ints(c, 1, "begin"), _ints(c, 2, "end"),
                                                     _ints(c, 3, "strides"))), (1, 2, 3)),
    "StridedSliceD": OpSpec("Slice (+Squeeze)", (1, 1), dict(_SS_MASKS, begin=("list_int", None),
                                                              end=("list_int", None), strides=("list_int", None)),
                            _strided_slice(lambda c: (list(c.attrs["begin"]), list(c.attrs["end"]),
                                                      list(c.attrs["strides"])))),
    "ReduceSum": OpSpec("ReduceSum", (2, 2), _KEEP, _reduce("ReduceSum", lambda c: _ints(c, 1, "axes")), (1,)),
    "ReduceSumD": OpSpec("ReduceSum", (1, 1), dict(_KEEP, axes=("list_int", None)),
                         _reduce("ReduceSum", lambda c: list(c.attrs["axes"]))),
    "ReduceMean": OpSpec("ReduceMean", (2, 2), _KEEP, _reduce("ReduceMean", lambda c: _ints(c, 1, "axes")), (1,)),
    "ReduceMeanD": OpSpec("ReduceMean", (1, 1), dict(_KEEP, axes=("list_int", None)),
                          _reduce("ReduceMean", lambda c: list(c.attrs["axes"]))),
    "ReduceMax": OpSpec("ReduceMax", (2, 2), _KEEP, _reduce("ReduceMax", lambda c: _ints(c, 1, "axes")), (1,)),
    "ReduceMaxD": OpSpec("ReduceMax", (1, 1), dict(_KEEP, axes=("list_int", None)),
                         _reduce("ReduceMax", lambda c: list(c.attrs["axes"]))),
}


def _exp_log_base(c: _Ctx) -> Tuple[float, float, float]:
    base, scale, shift = c.attrs["base"], c.attrs["scale"], c.attrs["shift"]
    if base != -1.0 and base <= 0:
        raise c.fail("base %g: a base is positive, or -1 for e" % base)
    return base, scale, shift


def _exp(c: _Ctx) -> List[str]:
    """CANN's Exp: base ** (scale * x + shift), base -1 meaning e."""
    base, scale, shift = _exp_log_base(c)
    dt = TYPES[c.desc.inputs[0].dtype][2]
    x = c.x(0)
    if (scale, shift) != (1.0, 0.0):
        x = c.node("Add", [c.node("Mul", [x, c.const(scale, dt)]), c.const(shift, dt)])
    if base != -1.0:
        x = c.node("Mul", [x, c.const(np.log(base), dt)])
    return [c.node("Exp", [x])]


def _log(c: _Ctx) -> List[str]:
    """CANN's Log: log_base(scale * x + shift), base -1 meaning e."""
    base, scale, shift = _exp_log_base(c)
    dt = TYPES[c.desc.inputs[0].dtype][2]
    x = c.x(0)
    if (scale, shift) != (1.0, 0.0):
        x = c.node("Add", [c.node("Mul", [x, c.const(scale, dt)]), c.const(shift, dt)])
    y = c.node("Log", [x])
    if base != -1.0:
        y = c.node("Div", [y, c.const(np.log(base), dt)])
    return [y]


def validate(desc: OpDesc) -> None:
    """What can be checked from the description alone: the operator is known, its counts, formats and the
    attributes (names, types) fit. Raises SingleOpError."""
    spec = OPERATORS.get(desc.op)
    if spec is None:
        raise SingleOpError(ACL_ERROR_OP_NOT_FOUND, "operator type '%s' has no ONNX mapping in the emulator "
                            "(supported: %s)" % (desc.op, ", ".join(sorted(OPERATORS))))
    lo, hi = spec.inputs
    if not lo <= len(desc.inputs) <= hi:
        raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s takes %s input(s), the description gives %d" % (
            desc.op, lo if lo == hi else "%d to %d" % (lo, hi), len(desc.inputs)))
    if len(desc.outputs) != spec.outputs:
        raise SingleOpError(ACL_ERROR_OP_OUTPUT_NOT_MATCH, "%s has %d output(s), the description gives %d" % (
            desc.op, spec.outputs, len(desc.outputs)))
    for role, tensors in (("input", desc.inputs), ("output", desc.outputs)):
        for k, t in enumerate(tensors):
            if t.format not in PLAIN_FORMATS:
                raise SingleOpError(ACL_ERROR_FORMAT_NOT_MATCH, "%s %s %d: format %s is a device layout the emulator "
                                    "does not compute (use ND, NCHW, NHWC, NCDHW or NDHWC)" % (
                                        desc.op, role, k, format_name(t.format)))
            if t.dtype not in TYPES:
                raise SingleOpError(ACL_ERROR_UNSUPPORTED_DATA_TYPE, "%s %s %d: %s is not supported" % (
                    desc.op, role, k, type_name(t.dtype)))
    for name, (kind, _value) in desc.attrs.items():
        if name not in spec.attrs:
            raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s has no attribute '%s' (its attributes: %s)" % (
                desc.op, name, ", ".join(sorted(spec.attrs)) or "none"))
        want = spec.attrs[name][0]
        if kind != want:
            raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: attribute '%s' is %s, not %s" % (
                desc.op, name, want, kind))
    for name, (_kind, default) in spec.attrs.items():
        if default is None and name not in desc.attrs:
            raise SingleOpError(ACL_ERROR_OP_ATTR_NOT_MATCH, "%s: the required attribute '%s' is missing" % (
                desc.op, name))


def value_inputs(desc: OpDesc) -> Tuple[int, ...]:
    """The inputs whose values (not only shapes) the operator's graph depends on."""
    return OPERATORS[desc.op].value_inputs


def build_graph(desc: OpDesc, in_shapes: Sequence[Tuple[int, ...]], out_shapes: Sequence[Tuple[int, ...]],
                values: Dict[int, np.ndarray]) -> bytes:
    """The ONNX model computing the operator at these shapes (value inputs: their values): graph inputs
    ``x<i>`` for the other inputs, outputs ``y<k>`` at out_shapes. Raises SingleOpError."""
    import onnx
    from onnx import helper, shape_inference

    validate(desc)
    spec = OPERATORS[desc.op]
    attrs = {name: (desc.attrs[name][1] if name in desc.attrs else default)
             for name, (_kind, default) in spec.attrs.items()}
    names: List[Optional[str]] = [None if i in spec.value_inputs else "x%d" % i for i in range(len(desc.inputs))]
    ctx = _Ctx(desc, names, values, attrs, [tuple(s) for s in in_shapes])
    natural = spec.build(ctx)
    graph_inputs = [helper.make_tensor_value_info(n, TYPES[t.dtype][1], list(s))
                    for n, t, s in zip(names, desc.inputs, in_shapes) if n is not None]
    probe = helper.make_model(helper.make_graph(ctx.nodes, "probe", graph_inputs, [
        helper.make_tensor_value_info(n, 0, None) for n in natural], ctx.inits),
        opset_imports=[helper.make_opsetid("", 18)])
    try:
        inferred = shape_inference.infer_shapes(probe, strict_mode=True)
    except Exception as exc:
        raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s: the inputs %s do not fit the operator (%s)" % (
            desc.op, ", ".join(t.label() for t in desc.inputs), str(exc).splitlines()[0][:300])) from None
    known = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    outputs = []
    for k, (name, t, shape) in enumerate(zip(natural, desc.outputs, out_shapes)):
        vi = known.get(name)
        tt = vi.type.tensor_type if vi is not None else None
        if tt is not None and tt.elem_type and tt.elem_type != TYPES[t.dtype][1]:
            got = next((a for a, v in TYPES.items() if v[1] == tt.elem_type), -1)
            raise SingleOpError(ACL_ERROR_OP_OUTPUT_NOT_MATCH, "%s: output %d is %s; the description says %s" % (
                desc.op, k, type_name(got), type_name(t.dtype)))
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim] if tt is not None and \
            tt.HasField("shape") else None
        if dims is not None and all(d >= 0 for d in dims) and tuple(dims) != tuple(shape):
            if [d for d in dims if d != 1] != [d for d in shape if d != 1]:
                raise SingleOpError(ACL_ERROR_OP_OUTPUT_NOT_MATCH, "%s: output %d has shape %s; the description "
                                    "says %s" % (desc.op, k, dims, list(shape)))
            name = ctx.node("Reshape", [name, ctx.const(list(shape))])  # the same values, the described dims
        final = "y%d" % k
        ctx.nodes.append(helper.make_node("Identity", [name], [final], name="out%d" % k))
        outputs.append(helper.make_tensor_value_info(final, TYPES[t.dtype][1], list(shape)))
    model = helper.make_model(helper.make_graph(ctx.nodes, desc.op, graph_inputs, outputs, ctx.inits),
                              opset_imports=[helper.make_opsetid("", 18)], producer_name="acllite singleop")
    model.ir_version = 8
    try:
        onnx.checker.check_model(model)
    except Exception as exc:
        raise SingleOpError(ACL_ERROR_OP_INPUT_NOT_MATCH, "%s: %s" % (desc.op, str(exc).splitlines()[0][:300])) \
            from None
    return model.SerializeToString()
