"""A reader of the protobuf wire format: enough to walk an OM file's ``ge.proto.ModelDef`` without a schema.

A message is decoded one level at a time into ``{field number: [values]}``; nested messages stay undecoded
``memoryview`` slices until asked for, so walking a large ModelDef touches only the fields that are read.
Repeated scalars are accepted both packed and unpacked, as protobuf parsers must.
"""

from __future__ import annotations

import struct
from typing import Dict, Iterator, List, Sequence, Tuple, Union

__all__ = ["WireError", "Message", "parse", "read_varint", "signed64"]

Value = Union[int, memoryview]  # varint and fixed: int; length-delimited: the bytes
VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5
_MAX_DEPTH = 64  # nesting allowed through ``Message.message``; real ModelDefs stay far below


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(buf: memoryview, pos: int) -> Tuple[int, int]:
    """The varint at ``pos``: (value, position after it)."""
    result = shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise WireError("a varint runs past the end of the message")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("a varint is longer than 10 bytes")


def signed64(value: int) -> int:
    """An int64 field's value from its unsigned varint (two's complement)."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _fields(buf: memoryview) -> Iterator[Tuple[int, int, Value]]:
    pos, end = 0, len(buf)
    value: Value
    while pos < end:
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0 at byte %d" % pos)
        if wire == VARINT:
            value, pos = read_varint(buf, pos)
        elif wire == LEN:
            size, pos = read_varint(buf, pos)
            if size > end - pos:
                raise WireError("field %d claims %d bytes; %d are left" % (number, size, end - pos))
            value, pos = buf[pos:pos + size], pos + size
        elif wire in (FIXED32, FIXED64):
            width = 4 if wire == FIXED32 else 8
            if width > end - pos:
                raise WireError("field %d: a fixed%d value runs past the end" % (number, width * 8))
            value = int.from_bytes(buf[pos:pos + width], "little")
            pos += width
        else:
            raise WireError("field %d has wire type %d (groups and unknown types are not protobuf 3)" % (number, wire))
        yield number, wire, value


def parse(data: Union[bytes, bytearray, memoryview]) -> "Message":
    """One level of a message: every field's values, in order."""
    return Message(memoryview(data).cast("B") if not isinstance(data, memoryview) else data, 0)


class Message:
    """The fields of one message, decoded on demand (``parse`` builds one)."""

    __slots__ = ("fields", "size", "_depth")

    def __init__(self, buf: memoryview, depth: int):
        if depth > _MAX_DEPTH:
            raise WireError("messages nest deeper than %d levels" % _MAX_DEPTH)
        self._depth = depth
        self.size = len(buf)  #: bytes of the encoded message
        self.fields: Dict[int, List[Tuple[int, Value]]] = {}
        for number, wire, value in _fields(buf):
            self.fields.setdefault(number, []).append((wire, value))

    def has(self, number: int) -> bool:
        return number in self.fields

    def _last(self, number: int, wire: int) -> Value:
        entries = self.fields.get(number)
        if not entries:
            return None  # type: ignore[return-value]
        got, value = entries[-1]  # the last occurrence of a singular field wins
        if got != wire:
            raise WireError("field %d has wire type %d; %d was expected" % (number, got, wire))
        return value

    # -- singular fields
    def uint(self, number: int, default: int = 0) -> int:
        value = self._last(number, VARINT)
        return default if value is None else int(value)

    def int64(self, number: int, default: int = 0) -> int:
        value = self._last(number, VARINT)
        return default if value is None else signed64(int(value))

    def boolean(self, number: int, default: bool = False) -> bool:
        value = self._last(number, VARINT)
        return default if value is None else bool(value)

    def float32(self, number: int, default: float = 0.0) -> float:
        value = self._last(number, FIXED32)
        return default if value is None else struct.unpack("<f", int(value).to_bytes(4, "little"))[0]

    def raw(self, number: int) -> bytes:
        value = self._last(number, LEN)
        return b"" if value is None else bytes(value)

    def string(self, number: int, default: str = "") -> str:
        value = self._last(number, LEN)
        return default if value is None else bytes(value).decode("utf-8", "replace")

    def message(self, number: int) -> "Message":
        """The sub-message (an empty one when absent, as protobuf 3 reads it)."""
        value = self._last(number, LEN)
        return Message(memoryview(b"") if value is None else self._expect(number, LEN, value, LEN), self._depth + 1)

    # -- repeated fields
    def messages(self, number: int) -> List["Message"]:
        return [Message(self._expect(number, wire, value, LEN), self._depth + 1)
                for wire, value in self.fields.get(number, [])]

    def raws(self, number: int) -> List[bytes]:
        return [bytes(self._expect(number, wire, value, LEN)) for wire, value in self.fields.get(number, [])]

    def strings(self, number: int) -> List[str]:
        return [raw.decode("utf-8", "replace") for raw in self.raws(number)]

    def int64s(self, number: int) -> List[int]:
        return [signed64(v) for v in self._scalars(number, VARINT)]

    def uints(self, number: int) -> List[int]:
        return self._scalars(number, VARINT)

    def float32s(self, number: int) -> List[float]:
        return [struct.unpack("<f", v.to_bytes(4, "little"))[0] for v in self._scalars(number, FIXED32)]

    def _scalars(self, number: int, wire: int) -> List[int]:
        out: List[int] = []
        for got, value in self.fields.get(number, []):
            if got == wire:
                out.append(int(value))
            elif got == LEN:  # packed
                assert isinstance(value, memoryview)
                out.extend(_unpack(value, wire))
            else:
                raise WireError("field %d has wire type %d; %d was expected" % (number, got, wire))
        return out

    @staticmethod
    def _expect(number: int, got: int, value: Value, wire: int) -> memoryview:
        if got != wire:
            raise WireError("field %d has wire type %d; %d was expected" % (number, got, wire))
        assert isinstance(value, memoryview)
        return value


def _unpack(buf: memoryview, wire: int) -> Sequence[int]:
    if wire == VARINT:
        out, pos = [], 0
        while pos < len(buf):
            value, pos = read_varint(buf, pos)
            out.append(value)
        return out
    width = 4 if wire == FIXED32 else 8
    if len(buf) % width:
        raise WireError("a packed fixed%d field holds %d bytes" % (width * 8, len(buf)))
    return [int.from_bytes(buf[i:i + width], "little") for i in range(0, len(buf), width)]
