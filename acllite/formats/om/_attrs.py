"""``ge.proto.AttrDef`` values (the attributes of models, graphs, ops and tensors) as Python values.

Field numbers (ge_ir.proto): AttrDef oneof {list 1, s 2, i 3, f 4, b 5, bt 7, func 10, td 11, t 12, g 13,
list_list_int 14, dt 15}; ListValue {s 2, i 3, f 4, b 5, bt 7, td 8, t 9, g 10, na 11, dt 12, val_type 20};
NamedAttrs {name 1, attr 2}; a ``map<string, AttrDef>`` is repeated {key 1, value 2}.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ._wire import Message

__all__ = ["attr_map", "attr_value", "named_attrs"]

_LIST_FIELDS = {1: 2, 2: 3, 3: 4, 4: 5, 5: 7, 6: 8, 7: 9, 8: 10, 9: 11, 10: 12}  # ListValueType -> field


def attr_map(msg: Message, number: int) -> Dict[str, Message]:
    """The entries of a ``map<string, AttrDef>`` field: name -> the undecoded AttrDef (later entries win)."""
    out: Dict[str, Message] = {}
    for entry in msg.messages(number):
        out[entry.string(1)] = entry.message(2)
    return out


def named_attrs(msg: Message) -> Dict[str, Any]:
    """A NamedAttrs' attributes, decoded."""
    return {key: attr_value(value) for key, value in attr_map(msg, 2).items()}


def _list_value(lv: Message) -> List[Any]:
    kind = lv.uint(20)
    number = _LIST_FIELDS.get(kind)
    if number is None:  # VT_LIST_NONE: whichever field is present
        number = next((n for n in (2, 3, 4, 5, 7, 12, 11, 8) if lv.has(n)), 0)
    if number == 2:
        return lv.strings(2)
    if number in (3, 12):
        return lv.int64s(number)
    if number == 4:
        return lv.float32s(4)
    if number == 5:
        return [bool(v) for v in lv.uints(5)]
    if number == 7:
        return lv.raws(7)
    if number == 11:
        return [named_attrs(m) for m in lv.messages(11)]
    if number:
        return ["<%s>" % {8: "tensor desc", 9: "tensor", 10: "graph"}[number]] * len(lv.fields.get(number, []))
    return []


def attr_value(a: Message) -> Any:
    """One AttrDef's value: str, int, float, bool, bytes, list, dict (NamedAttrs), or a placeholder string for
    tensors and graphs (not needed to describe a model)."""
    if a.has(2):
        return a.string(2)
    if a.has(3):
        return a.int64(3)
    if a.has(4):
        return a.float32(4)
    if a.has(5):
        return a.boolean(5)
    if a.has(7):
        return a.raw(7)
    if a.has(1):
        return _list_value(a.message(1))
    if a.has(10):
        return named_attrs(a.message(10))
    if a.has(14):
        return [inner.int64s(1) for inner in a.message(14).messages(1)]
    if a.has(15):
        return a.int64(15)
    if a.has(11):
        return "<tensor desc>"
    if a.has(12):
        return "<tensor>"
    if a.has(13):
        return "<graph>"
    return None
