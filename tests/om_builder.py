"""Synthetic OM files for tests/test_om.py: a protobuf encoder for the few ge_ir.proto messages an OM's ModelDef
uses, the two header layouts, both partition-table forms and the MODEL_INOUT_INFO records.

Independent of acllite.om (an encoder, where the reader decodes), so the tests check the reader against the
format as documented (docs/OM.md), not against itself.
"""

from __future__ import annotations

import struct
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

MAGIC = b"IMOD"
V1, V2 = 0x10000000, 0x20000000
# ge.proto.DataType
DT_FLOAT, DT_FLOAT16, DT_UINT8, DT_INT32, DT_INT64, DT_UINT64 = 1, 2, 4, 7, 8, 10


# ------------------------------------------------------------------------------------------- protobuf wire


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def f_int(number: int, value: int) -> bytes:
    return key(number, 0) + varint(value)


def f_bytes(number: int, data: bytes) -> bytes:
    return key(number, 2) + varint(len(data)) + data


def f_str(number: int, text: str) -> bytes:
    return f_bytes(number, text.encode())


def f_float(number: int, value: float) -> bytes:
    return key(number, 5) + struct.pack("<f", value)


def f_packed(number: int, values: Iterable[int]) -> bytes:
    return f_bytes(number, b"".join(varint(v) for v in values))


# ------------------------------------------------------------------------------------------- ge_ir.proto


def attr(value: object) -> bytes:
    """An AttrDef: str -> s, bool -> b, int -> i, float -> f, list of int/str -> list, dict -> func (NamedAttrs)."""
    if isinstance(value, str):
        return f_str(2, value)
    if isinstance(value, bool):
        return f_int(5, int(value))
    if isinstance(value, int):
        return f_int(3, value)
    if isinstance(value, float):
        return f_float(4, value)
    if isinstance(value, dict):
        return f_bytes(10, f_str(1, "") + attrs(2, value))
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value) and value:
            return f_bytes(1, b"".join(f_str(2, v) for v in value) + f_int(20, 1))
        if all(isinstance(v, float) for v in value) and value:
            return f_bytes(1, f_bytes(4, b"".join(struct.pack("<f", v) for v in value)) + f_int(20, 3))
        return f_bytes(1, f_packed(3, value) + f_int(20, 2))
    raise TypeError(value)


def attrs(number: int, values: Dict[str, object]) -> bytes:
    """A map<string, AttrDef> field."""
    return b"".join(f_bytes(number, f_str(1, k) + f_bytes(2, attr(v))) for k, v in values.items())


def tensor(dtype: int, dims: Sequence[int], layout: str = "ND", size: int = 0,
           extra: Optional[Dict[str, object]] = None) -> bytes:
    """A TensorDescriptor."""
    return (f_int(2, dtype) + f_bytes(3, f_packed(1, dims)) + f_str(4, layout) + attrs(5, extra or {})
            + (f_int(10, size) if size else b""))


def op(name: str, kind: str, op_attrs: Optional[Dict[str, object]] = None, inputs: Sequence[bytes] = (),
       outputs: Sequence[bytes] = (), src: Sequence[Tuple[str, int]] = ()) -> bytes:
    """An OpDef: input_desc (33), output_desc (34), src_name (24) and src_index (25)."""
    body = f_str(1, name) + f_str(2, kind) + attrs(10, op_attrs or {})
    body += b"".join(f_str(24, s) for s, _ in src)
    if src:
        body += f_packed(25, [i for _, i in src])
    body += b"".join(f_bytes(33, t) for t in inputs) + b"".join(f_bytes(34, t) for t in outputs)
    return body


def graph(name: str, ops: Sequence[bytes]) -> bytes:
    return f_str(1, name) + b"".join(f_bytes(6, o) for o in ops)


def model_def(name: str, graphs: Sequence[bytes], model_attrs: Optional[Dict[str, object]] = None,
              version: int = 2) -> bytes:
    return f_str(1, name) + f_int(2, version) + b"".join(f_bytes(7, g) for g in graphs) + attrs(11, model_attrs or {})


# ------------------------------------------------------------------------------------------- MODEL_INOUT_INFO


def inout_descs(descs: Sequence[Tuple[str, int, int, int, Sequence[int], Sequence[int]]]) -> bytes:
    """(name, size, aclFormat, aclDataType, dims, dimsV2) -> a descs value."""
    out = struct.pack("<I", len(descs))
    for name, size, fmt, dtype, dims, dims_v2 in descs:
        raw = name.encode()
        out += struct.pack("<QiiIIII", size, fmt, dtype, len(raw), 8 * len(dims), 8 * len(dims_v2), 0)
        out += raw + struct.pack("<%dq" % len(dims), *dims) + struct.pack("<%dq" % len(dims_v2), *dims_v2)
    return out


def tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("<iI", kind, len(value)) + value


def gear_lists(gears: Sequence[Sequence[int]]) -> bytes:
    return (struct.pack("<I", len(gears)) + b"".join(struct.pack("<I", len(g)) for g in gears)
            + b"".join(struct.pack("<%dq" % len(g), *g) for g in gears))


# ------------------------------------------------------------------------------------------- container

Partition = Tuple[int, bytes]  # (ModelPartitionType, data)


def table(parts: Sequence[Partition], wide: bool) -> bytes:
    """A partition table (tiny: 12-byte entries; wide: u32 num + pad, 24-byte entries) followed by the data."""
    out = struct.pack("<II", len(parts), 0) if wide else struct.pack("<I", len(parts))
    offset = 0
    for kind, data in parts:
        if wide:
            out += struct.pack("<IIQQ", kind, 0, offset, len(data))
        else:
            out += struct.pack("<III", kind, offset, len(data))
        offset += len(data)
    return out + b"".join(d for _, d in parts)


def header(version: int, body: int, name: str = "synthetic", platform_version: str = "", platform_type: int = 0,
           model_num: int = 1, wide: bool = False, encrypt: int = 0, model_type: int = 0) -> bytes:
    h = bytearray(256)
    struct.pack_into("<III", h, 0, struct.unpack("<I", MAGIC)[0], 256, version)
    struct.pack_into("<I", h, 76, 0 if wide else body)
    h[80], h[82] = encrypt, model_type
    h[84:84 + len(name)] = name.encode()
    struct.pack_into("<I", h, 152, 2)  # om_ir_version
    pv = platform_version.encode()
    if version >= V2:
        struct.pack_into("<I", h, 156, model_num)
        h[160:160 + len(pv)] = pv
        h[180] = platform_type
        if wide:
            struct.pack_into("<Q", h, 184, body)
    else:
        h[156:156 + len(pv)] = pv
        h[176] = platform_type
    return bytes(h)


def om_file(version: int, blocks: Sequence[Sequence[Partition]], wide: bool = False, **kw: object) -> bytes:
    """An OM file: the header, then one partition table and its partitions per sub-model."""
    body = b"".join(table(b, wide) for b in blocks)
    return header(version, len(body), model_num=len(blocks), wide=wide, **kw) + body  # type: ignore[arg-type]


def simple_model_def(name: str = "tiny", out_names: Optional[List[str]] = None) -> bytes:
    """One float input 'x' [1, 3, 4, 4] NCHW and one output [1, 3, 4, 4]."""
    data = op("x", "Data", {"index": 0}, [tensor(DT_FLOAT, [1, 3, 4, 4], "NCHW", 192)],
              [tensor(DT_FLOAT, [1, 3, 4, 4], "NCHW", 224)])
    net = op("out", "NetOutput", {}, [tensor(DT_FLOAT, [1, 3, 4, 4], "NCHW", 224)], src=[("relu", 0)])
    return model_def(name, [graph(name + "_0", [data, net])],
                     {"attr_model_out_nodes_name": out_names} if out_names else {})
