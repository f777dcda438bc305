"""Helpers of the single-operator tests: describe an operator, load it, run it through the pyACL module.

``run(acl, "Add", [x, y], [(np.float32, shape)])`` writes the description as ``acllite atc --singleop`` would,
loads it with aclopLoad, runs it with aclopExecuteV2 on device buffers and returns the outputs as numpy arrays.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from acllite.formats import singleop

ND = 2
DTYPES = {np.dtype(np.float32): 0, np.dtype(np.float16): 1, np.dtype(np.int8): 2, np.dtype(np.int32): 3,
          np.dtype(np.uint8): 4, np.dtype(np.int16): 6, np.dtype(np.int64): 9, np.dtype(np.float64): 11,
          np.dtype(np.bool_): 12, np.dtype(np.uint16): 7, np.dtype(np.uint32): 8, np.dtype(np.uint64): 10}
TYPE_NAMES = {0: "float32", 1: "float16", 2: "int8", 3: "int32", 4: "uint8", 6: "int16", 9: "int64", 11: "double",
              12: "bool", 7: "uint16", 8: "uint32", 10: "uint64"}
Attrs = Dict[str, Tuple[str, Any]]


def tensor_json(dtype: Any, shape: Sequence[int], fmt: str = "ND", const: Optional[np.ndarray] = None,
                shape_range: Optional[List[List[int]]] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {"format": fmt, "shape": list(shape), "type": TYPE_NAMES[DTYPES[np.dtype(dtype)]]}
    if const is not None:
        out["is_const"] = True
        out["const_value"] = const.reshape(-1).tolist()
    if shape_range is not None:
        out["shape_range"] = shape_range
    return out


def op_json(op: str, inputs: Sequence[Dict[str, Any]], outputs: Sequence[Dict[str, Any]],
            attrs: Optional[Attrs] = None, name: Optional[str] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {"op": op, "input_desc": list(inputs), "output_desc": list(outputs)}
    if attrs:
        out["attr"] = [{"name": n, "type": k, "value": v} for n, (k, v) in attrs.items()]
    if name:
        out["name"] = name
    return out


def model_bytes(spec: Dict[str, Any]) -> bytes:
    import json

    return singleop.encode(singleop.parse_description(json.dumps([spec]))[0])


def make_attr(acl: Any, attrs: Optional[Attrs]) -> int:
    """An aclopAttr with these attributes (0 when None)."""
    if attrs is None:
        return 0
    a = acl.op.create_attr()
    for name, (kind, value) in attrs.items():
        if kind == "bool":
            rc = acl.op.set_attr_bool(a, name, value)
        elif kind == "int":
            rc = acl.op.set_attr_int(a, name, value)
        elif kind == "float":
            rc = acl.op.set_attr_float(a, name, value)
        elif kind == "string":
            rc = acl.op.set_attr_string(a, name, value)
        elif kind == "list_int":
            rc = acl.op.set_attr_list_int(a, name, value)
        elif kind == "list_bool":
            rc = acl.op.set_attr_list_bool(a, name, value)
        elif kind == "list_float":
            rc = acl.op.set_attr_list_float(a, name, value)
        elif kind == "list_string":
            rc = acl.op.set_attr_list_string(a, name, value)
        elif kind == "list_list_int":
            rc = acl.op.set_attr_list_list_int(a, name, value)
        elif kind == "data_type":
            _, rc = acl.op.set_attr_data_type(a, name, value)
        else:
            raise AssertionError(kind)
        assert rc == 0, (name, rc, acl.get_recent_err_msg())
    return a


class Device:
    """Device buffers and descriptions made for one test, released by close()."""

    def __init__(self, acl: Any):
        self.acl = acl
        self.ptrs: List[int] = []
        self.bufs: List[int] = []
        self.descs: List[int] = []
        self.stream, rc = acl.rt.create_stream()
        assert rc == 0

    def desc(self, dtype: Any, shape: Sequence[int], fmt: int = ND) -> int:
        d = self.acl.create_tensor_desc(DTYPES[np.dtype(dtype)], list(shape), fmt)
        assert d, self.acl.get_recent_err_msg()
        self.descs.append(d)
        return d

    def buffer(self, nbytes: int, data: Optional[np.ndarray] = None) -> Tuple[int, int]:
        ptr, rc = self.acl.rt.malloc(max(nbytes, 1), 0)
        assert rc == 0
        self.ptrs.append(ptr)
        if data is not None and nbytes:
            raw = np.ascontiguousarray(data)
            assert self.acl.rt.memcpy(ptr, nbytes, self.acl.util.numpy_to_ptr(raw), nbytes, 1) == 0
        buf = self.acl.create_data_buffer(ptr, nbytes)
        self.bufs.append(buf)
        return ptr, buf

    def read(self, ptr: int, dtype: Any, shape: Sequence[int]) -> np.ndarray:
        out = np.empty(tuple(shape), dtype)
        if out.nbytes:
            assert self.acl.rt.memcpy(self.acl.util.numpy_to_ptr(out), out.nbytes, ptr, out.nbytes, 2) == 0
        return out

    def sync(self) -> int:
        return int(self.acl.rt.synchronize_stream(self.stream))

    def close(self) -> None:
        for b in self.bufs:
            self.acl.destroy_data_buffer(b)
        for p in self.ptrs:
            self.acl.rt.free(p)
        for d in self.descs:
            self.acl.destroy_tensor_desc(d)
        self.acl.rt.destroy_stream(self.stream)
        self.bufs, self.ptrs, self.descs = [], [], []


def load(acl: Any, spec: Dict[str, Any]) -> None:
    blob = model_bytes(spec)
    rc = acl.op.load(acl.util.bytes_to_ptr(blob), len(blob))
    assert rc == 0, acl.get_recent_err_msg()


def run(acl: Any, op: str, inputs: Sequence[np.ndarray], outputs: Sequence[Tuple[Any, Sequence[int]]],
        attrs: Optional[Attrs] = None, fmt: str = "ND", const: Sequence[int] = ()) -> List[np.ndarray]:
    """Describe, load and run op once; the outputs as arrays (raises AssertionError with the message on failure)."""
    fmt_code = singleop.FORMATS[fmt]
    spec = op_json(op, [tensor_json(x.dtype, x.shape, fmt, x if i in const else None) for i, x in enumerate(inputs)],
                   [tensor_json(dt, shape, fmt) for dt, shape in outputs], attrs)
    load(acl, spec)
    dev = Device(acl)
    attr = make_attr(acl, attrs)
    try:
        in_desc, in_bufs = [], []
        for i, x in enumerate(inputs):
            d = dev.desc(x.dtype, x.shape, fmt_code)
            if i in const:
                raw = np.ascontiguousarray(x)
                assert acl.set_tensor_const(d, acl.util.numpy_to_ptr(raw), raw.nbytes) == 0
            in_desc.append(d)
            in_bufs.append(dev.buffer(x.nbytes, x)[1])
        out_desc, out_bufs, out_ptrs = [], [], []
        for dt, shape in outputs:
            out_desc.append(dev.desc(dt, shape, fmt_code))
            ptr, buf = dev.buffer(int(np.prod(shape, dtype=np.int64)) * np.dtype(dt).itemsize)
            out_ptrs.append(ptr)
            out_bufs.append(buf)
        rc = acl.op.execute_v2(op, in_desc, in_bufs, out_desc, out_bufs, attr, dev.stream)
        assert rc == 0, (rc, acl.get_recent_err_msg())
        rc = dev.sync()
        assert rc == 0, (rc, acl.get_recent_err_msg())
        return [dev.read(p, dt, shape) for p, (dt, shape) in zip(out_ptrs, outputs)]
    finally:
        if attr:
            acl.op.destroy_attr(attr)
        dev.close()
