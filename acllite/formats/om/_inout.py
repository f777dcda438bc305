"""The MODEL_INOUT_INFO partition (type 8, newer CANN): the model's input/output descriptions and gears as TLVs.

Each record is ``{i32 type, u32 length, value[length]}``; types: 0 input descs, 1 output descs, 2 dynamic batch,
3 dynamic HW, 4 dynamic dims, 5 dynamic output shapes, 6 the user's shape order. A descs value is ``u32 n`` then n
times a 32-byte ``{u64 size, i32 format, i32 dtype, u32 name_len, u32 dims_len, u32 dimsV2_len,
u32 shape_range_len}`` followed by the name, the dims (int64), dims V2 (int64) and the shape range (int64 pairs);
the ``*_len`` fields count bytes. dtype and format use ``ge::`` numbering, which is ``aclDataType``/``aclFormat``.
Batch gears are ``u32 n, u64[n]``; HW and dims gears ``u32 n, u32 counts[n]``, then the int64 values; strings
``u32 n, u32 lengths[n]``, then the characters.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field
from typing import List, Tuple

from ._desc import ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, OmError, OmTensor

__all__ = ["InOutInfo", "read_inout"]

logger = logging.getLogger("acllite.om")

INPUT_DESC, OUTPUT_DESC, DYNAMIC_BATCH, DYNAMIC_HW, DYNAMIC_DIMS, DYNAMIC_OUTPUT_SHAPE, SHAPE_ORDER = range(7)
_BASE = struct.Struct("<QiiIIII")  # 32 bytes


@dataclass
class InOutInfo:
    inputs: List[OmTensor] = field(default_factory=list)
    outputs: List[OmTensor] = field(default_factory=list)
    dynamic_batch: List[int] = field(default_factory=list)
    dynamic_hw: List[Tuple[int, ...]] = field(default_factory=list)
    dynamic_dims: List[Tuple[int, ...]] = field(default_factory=list)
    dynamic_output_shapes: List[str] = field(default_factory=list)
    shape_order: List[str] = field(default_factory=list)


class _Cursor:
    def __init__(self, data: memoryview, what: str):
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int) -> memoryview:
        if n > len(self.data) - self.pos:
            raise OmError(ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, "%s: %d bytes needed at byte %d; %d are left"
                          % (self.what, n, self.pos, len(self.data) - self.pos))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def int64s(self, nbytes: int) -> Tuple[int, ...]:
        if nbytes % 8:
            raise OmError(ACL_ERROR_GE_EXEC_LOAD_MODEL_PARTITION_FAILED, "%s: %d bytes is not a whole number of int64"
                          % (self.what, nbytes))
        return struct.unpack("<%dq" % (nbytes // 8), self.take(nbytes))


def _descs(value: memoryview, what: str) -> List[OmTensor]:
    cur = _Cursor(value, what)
    out = []
    for _ in range(cur.u32()):
        size, fmt, dtype, name_len, dims_len, dims_v2_len, range_len = _BASE.unpack(cur.take(_BASE.size))
        name = bytes(cur.take(name_len)).split(b"\0", 1)[0].decode("utf-8", "replace")
        dims = cur.int64s(dims_len)
        dims_v2 = cur.int64s(dims_v2_len)
        cur.int64s(range_len)  # shape ranges (pairs): not part of the description
        out.append(OmTensor(name, dtype, fmt, dims, dims_v2 or dims, size, size))
    return out


def _gear_lists(value: memoryview, what: str) -> List[Tuple[int, ...]]:
    cur = _Cursor(value, what)
    counts = [cur.u32() for _ in range(cur.u32())]
    return [cur.int64s(8 * n) for n in counts]


def _strings(value: memoryview, what: str) -> List[str]:
    cur = _Cursor(value, what)
    lengths = [cur.u32() for _ in range(cur.u32())]
    return [bytes(cur.take(n)).decode("utf-8", "replace") for n in lengths]


def read_inout(data: memoryview, source: str) -> InOutInfo:
    info = InOutInfo()
    cur = _Cursor(data, "%s: MODEL_INOUT_INFO" % source)
    while cur.pos < len(data):
        kind, length = struct.unpack("<iI", cur.take(8))
        value = cur.take(length)
        what = "%s: MODEL_INOUT_INFO record %d" % (source, kind)
        if kind == INPUT_DESC:
            info.inputs = _descs(value, what)
        elif kind == OUTPUT_DESC:
            info.outputs = _descs(value, what)
        elif kind == DYNAMIC_BATCH:
            sub = _Cursor(value, what)
            info.dynamic_batch = list(sub.int64s(8 * sub.u32()))
        elif kind == DYNAMIC_HW:
            info.dynamic_hw = _gear_lists(value, what)
        elif kind == DYNAMIC_DIMS:
            info.dynamic_dims = _gear_lists(value, what)
        elif kind == DYNAMIC_OUTPUT_SHAPE:
            info.dynamic_output_shapes = _strings(value, what)
        elif kind == SHAPE_ORDER:
            info.shape_order = _strings(value, what)
        else:
            logger.debug("%s: skipping a record of unknown type %d (%d bytes)", source, kind, length)
    return info
