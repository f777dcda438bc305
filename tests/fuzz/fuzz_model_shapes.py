"""Fuzz target: models with extreme shapes, batch gears and data types, loaded, described and executed.

Each input describes an ONNX model: 1 to 3 inputs, each with an Identity output, of an element type (every type
the emulator sizes, and types it cannot: strings, bfloat16, complex, 4-bit, undefined), 0 to 6 dimensions (up to
33: more than a description holds) drawn from the values where sizes wrap (2^31, 2^32, 2^61 + 1, 2^62, 2^63 - 1,
...), a symbolic batch, negative and zero dimensions, and sometimes the metadata ``acllite atc`` writes: batch
gears (``acllite.dynamic_batch``, 0 to 2^64 - 1, repeated) and an AIPP record that overrides an input's
description. An oracle computes every size with Python's integers from the input alone and predicts:

* the load: 100026 when a type has no size; 100013 when a dimension is below -1, a size (or the largest gear's
  size, or all of them together) is beyond int64, a gear is 0, beyond int64 or repeated, there are more than 32
  dimensions, or an input has a dynamic dimension other than the batch; otherwise success (onnxruntime may still
  refuse a strange graph: 100013 saying so). ``aclmdlQuerySizeFromMem`` agrees, and so does the size rule that
  ``acllite inspect`` and ``acllite atc`` apply (``acllite.formats.onnx.size_problem``);
* the description: dims, data types, gears, and every ``aclmdlGet*SizeByIndex`` exactly; the work size;
* the execution (when every buffer fits in 64 KiB): buffers of the right sizes run and copy every input to its
  output byte for byte; buffers made too small, too large, of a batch that is not a whole number of items, or a
  batch that is not a gear, give 0, 100017, 100018 or 145013, and never a write past a buffer's end (canaries).

500000 (an exception the engine did not anticipate) and any other code are findings; so is a leak. Gears below 0
or above 2^64 - 1 and AIPP sizes beyond size_t are not generated: the engine's callbacks convert them (issue 13
item 14, on the Python side).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "model_shapes"
MAX_LEN = 256
INT64_MAX = (1 << 63) - 1
EXEC_LIMIT = 1 << 16  # bytes per buffer up to which an input is executed
PARSE_MODEL, UNSUPPORTED_TYPE = 100013, 100026
INPUT_NOT_MATCH, OUTPUT_NOT_MATCH, NOT_A_GEAR = 100017, 100018, 145013

#: ONNX element type -> bytes per element (the types the emulator sizes), and types it cannot size.
SIZED = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8}
UNSIZED = [0, 8, 14, 15, 16, 17, 18, 19, 20, 21, 22]
NUMPY = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 9: "bool",
         10: "float16", 11: "float64", 12: "uint32", 13: "uint64"}
DIMS = [1, 2, 3, 4, 7, 16, 0, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 56, 2 ** 60, 2 ** 61 + 1,
        2 ** 62, 2 ** 63 - 1, -2, -5]
GEARS = [0, 1, 2, 3, 4, 8, 16, 2 ** 31, 2 ** 32, 2 ** 56, 2 ** 60 + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1]

with H.instrumented():
    from acllite.emulator.checks import AIPP_FLOAT_KEYS, AIPP_INT32_KEYS, AIPP_SWITCH_KEYS
    from acllite.binding import ffi, lib
    from acllite.formats import onnx as onnx_format

acl: H.Acl = None  # type: ignore[assignment]  (setup() makes it)
baseline: Dict[str, int] = {}


def setup() -> None:
    global acl, baseline
    import onnx  # noqa: F401  (imported once, before counting)

    acl = H.Acl()
    baseline = acl.live_counts()


# ------------------------------------------------------------------------------------------ the input


class Spec:
    """The model an input describes."""

    def __init__(self, p: H.Provider) -> None:
        # Bytes past the end of the input read as zeros: every rare branch is at the top of its range, so that
        # zeros make a plain model.
        self.inputs: List[Tuple[int, List[Any]]] = []  # (element type, dims: int or "N")
        batch = p.below(3) == 2  # a symbolic batch (the same for every input that has it)
        for _ in range(1 + p.below(3)):
            elem = p.pick(UNSIZED) if p.below(30) == 29 else p.pick(sorted(SIZED))
            rank = 33 if p.below(60) == 59 else (2 + p.below(6)) % 6
            dims: List[Any] = []
            for k in range(rank):
                r = p.below(40)
                if k == 0 and batch:
                    dims.append("N")
                elif r < 27:
                    dims.append(p.pick([1, 2, 3, 4, 5, 7, 16, 0]))
                elif r < 37:
                    dims.append(p.pick(DIMS))
                elif r < 39:
                    dims.append(p.take(8) & INT64_MAX)
                else:
                    dims.append("M")  # a dynamic dimension other than the batch
            self.inputs.append((elem, dims))
        self.gears: Optional[List[int]] = None
        if batch and p.below(2) == 1:
            gears = [p.pick(GEARS) if p.below(4) == 3 else 1 + p.below(6) for _ in range(1 + p.below(4))]
            self.gears = gears if p.below(10) == 9 else list(dict.fromkeys(gears))  # repeats now and then
        self.aipp: Optional[Tuple[List[int], int]] = None
        if p.below(12) == 11:
            dims = [p.pick([-1, 1, 2, 4, 2 ** 31, 2 ** 62]) for _ in range(4)]
            self.aipp = (dims, p.pick([0, 1, 24, 2 ** 32, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1]))
        self.batch = 1 + p.below(4)            # the batch to run at (no gears), or the index of the gear to set
        self.break_buffer = p.below(4) == 3    # one buffer of a wrong size
        self.which = p.below(8)                # which buffer, and how
        self.off_gear = p.below(5) == 4        # set a batch that is not a gear

    def model(self) -> bytes:
        from onnx import helper

        ins = [helper.make_tensor_value_info("x%d" % i, e, d) for i, (e, d) in enumerate(self.inputs)]
        outs = [helper.make_tensor_value_info("y%d" % i, e, d) for i, (e, d) in enumerate(self.inputs)]
        nodes = [helper.make_node("Identity", ["x%d" % i], ["y%d" % i]) for i in range(len(self.inputs))]
        m = helper.make_model(helper.make_graph(nodes, "g", ins, outs), opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        meta = {}
        if self.gears is not None:
            meta["acllite.dynamic_batch"] = ",".join(str(g) for g in self.gears)
        if self.aipp is not None:  # a whole record, as acllite atc writes it (the engine refuses partial ones)
            params = dict({k: 0 for k in AIPP_INT32_KEYS + AIPP_SWITCH_KEYS}, **{k: 1.0 for k in AIPP_FLOAT_KEYS})
            meta["acllite.aipp.x0"] = json.dumps({"described_dims": self.aipp[0], "described_size": self.aipp[1],
                                                  "input_format": "YUV400_U8", "params": params,
                                                  "model_dims": [1, 1, 2, 2]})
        for k, v in meta.items():
            entry = m.metadata_props.add()
            entry.key, entry.value = k, v
        return m.SerializeToString()


class Tensor:
    """One described tensor as the oracle sees it."""

    def __init__(self, elem: int, dims: List[int], size_override: int = 0) -> None:
        self.elem, self.dims, self.size_override = elem, dims, size_override

    @property
    def item(self) -> int:
        return SIZED.get(self.elem, 0)

    def static_bytes(self) -> int:
        """Element size x the static dims (0 when a dim is 0); the described size when one is given."""
        if self.size_override:
            return self.size_override
        if 0 in self.dims:
            return 0
        n = self.item
        for d in self.dims:
            if d >= 0:
                n *= d
        return n

    def product(self) -> int:
        """Element size x the static dims other than 0 (a 0 does not excuse the others)."""
        n = self.item
        for d in self.dims:
            if d > 0:
                n *= d
        return n

    @property
    def batch_dynamic(self) -> bool:
        return bool(self.dims) and self.dims[0] < 0 and all(d >= 0 for d in self.dims[1:])

    @property
    def rest_dynamic(self) -> bool:
        return any(d < 0 for d in self.dims[1:])


def described(spec: Spec) -> Tuple[List[Tensor], List[Tensor]]:
    """Inputs (with the gears' extra input) and outputs as the emulator describes them."""
    ins, outs = [], []
    for i, (elem, dims) in enumerate(spec.inputs):
        d = [-1 if isinstance(x, str) else x for x in dims]
        outs.append(Tensor(elem, list(d)))
        if i == 0 and spec.aipp is not None:
            ins.append(Tensor(2, list(spec.aipp[0]), spec.aipp[1]))  # uint8, the described dims and size
        else:
            ins.append(Tensor(elem, d))
    if spec.gears is not None:
        ins.append(Tensor(13, [1]))  # ascend_mbatch_shape_data: uint64 [1]
    return ins, outs


def predict(spec: Spec, ins: List[Tensor], outs: List[Tensor]) -> Tuple[int, str, List[int], List[int]]:
    """(code, a fragment of the message, input sizes, output sizes) of the load: the checks in the emulator's
    order (each tensor, inputs first; then the gears; then the total)."""
    if any(t.elem not in SIZED for t in ins + outs):  # the engine refuses these before describing anything
        return UNSUPPORTED_TYPE, "is not supported", [], []
    for k, t in enumerate(ins + outs):
        if len(t.dims) > 32:
            return PARSE_MODEL, "too many dimensions", [], []
        if any(d < -1 for d in t.dims):
            return PARSE_MODEL, "only -1 (dynamic) may be negative", [], []
        if t.product() > INT64_MAX or t.size_override > INT64_MAX:
            return PARSE_MODEL, "more than", [], []
        if k < len(ins) and t.rest_dynamic:
            return PARSE_MODEL, "dynamic dimensions other than the batch", [], []
    gears = spec.gears or []
    for i, g in enumerate(gears):
        if not 1 <= g <= INT64_MAX:
            return PARSE_MODEL, "dynamic batch gear %d is %d" % (i, g), [], []
        if g in gears[:i]:
            return PARSE_MODEL, "listed twice", [], []
    top = max(gears) if gears else 1
    sizes = []
    for t in ins + outs:
        n = 0 if t.rest_dynamic else t.static_bytes()
        if gears and t.batch_dynamic:
            n *= top
            if max(n, t.product() * top) > INT64_MAX:  # (the dims other than 0 count too)
                return PARSE_MODEL, "x the largest gear", [], []
        sizes.append(n)
    if sum(sizes) > INT64_MAX:
        return PARSE_MODEL, "inputs and outputs together", [], []
    return 0, "", sizes[:len(ins)], sizes[len(ins):]


# -------------------------------------------------------------------------------------------- the run


def one_input(data: bytes) -> None:
    spec = Spec(H.Provider(data))
    model = spec.model()
    ins, outs = described(spec)
    code, why, in_sizes, out_sizes = predict(spec, ins, outs)
    mid = ffi.new("uint32_t *")
    rc = H.expect_code(lib.aclmdlLoadFromMem(model, len(model), mid), (0, PARSE_MODEL, UNSUPPORTED_TYPE),
                       "aclmdlLoadFromMem")
    message = H.recent_message() if rc else ""
    work, weight = ffi.new("size_t *"), ffi.new("size_t *")
    rq = H.expect_code(lib.aclmdlQuerySizeFromMem(model, len(model), work, weight), (0, PARSE_MODEL, UNSUPPORTED_TYPE),
                       "aclmdlQuerySizeFromMem")
    query_message = H.recent_message() if rq else ""
    try:
        _check_load(spec, model, code, why, rc, message, rq, query_message, int(work[0]), in_sizes, out_sizes)
        if rc == 0:
            _describe(int(mid[0]), spec, ins, outs, in_sizes, out_sizes)
            _execute(int(mid[0]), spec, ins, outs, in_sizes, out_sizes)
    finally:
        if rc == 0:
            H.ok(lib.aclmdlUnload(mid[0]), "aclmdlUnload")
    H.leak_check(acl, baseline, "the input")


def _check_load(spec: Spec, model: bytes, code: int, why: str, rc: int, message: str, rq: int, query_message: str,
                work: int, in_sizes: List[int], out_sizes: List[int]) -> None:
    if code:
        # The load may stop earlier, at onnxruntime's session; the query describes without one: its message names
        # the reason.
        H.check(rc == code and (why in message or "onnxruntime cannot load the model" in message),
                "expected %d (%s), aclmdlLoadFromMem returned %d: %r", code, why, rc, message)
        H.check(rq == code and why in query_message, "expected %d (%s), aclmdlQuerySizeFromMem returned %d: %r",
                code, why, rq, query_message)
    elif rc:
        # a graph onnxruntime refuses (a negative or absurd shape it infers): only that, and never a size
        H.check(rc == PARSE_MODEL and "onnxruntime cannot load the model" in message,
                "a model the oracle loads was refused: %d %r", rc, message)
    else:
        H.check(rq == 0 and work == sum(in_sizes) + sum(out_sizes), "aclmdlQuerySizeFromMem: %d, work %d, expected "
                "%d", rq, work, sum(in_sizes) + sum(out_sizes))
    # acllite inspect and acllite atc apply the same rule
    try:
        problem = onnx_format.size_problem(onnx_format.describe(model))
    except onnx_format.OnnxError as exc:
        problem = "OnnxError %d" % exc.code
    if "other than the batch" not in why:  # (not a size: inspect describes such inputs, atc refuses them)
        H.check((problem is None) == (code == 0), "acllite's size rule says %r, the oracle %d (%s)", problem, code,
                why)


def _describe(model_id: int, spec: Spec, ins: List[Tensor], outs: List[Tensor], in_sizes: List[int],
              out_sizes: List[int]) -> None:
    desc = lib.aclmdlCreateDesc()
    try:
        H.ok(lib.aclmdlGetDesc(desc, model_id), "aclmdlGetDesc")
        dims = ffi.new("aclmdlIODims *")
        for out, tensors, sizes in ((False, ins, in_sizes), (True, outs, out_sizes)):
            H.check((lib.aclmdlGetNumOutputs if out else lib.aclmdlGetNumInputs)(desc) == len(tensors), "counts")
            for i, t in enumerate(tensors):
                H.ok((lib.aclmdlGetOutputDims if out else lib.aclmdlGetInputDims)(desc, i, dims), "GetDims")
                got = [int(dims.dims[k]) for k in range(dims.dimCount)]
                H.check(got == t.dims, "%s %d: dims %s, expected %s", "output" if out else "input", i, got, t.dims)
                size = int((lib.aclmdlGetOutputSizeByIndex if out else lib.aclmdlGetInputSizeByIndex)(desc, i))
                H.check(size == sizes[i], "%s %d %s: %d bytes, expected %d", "output" if out else "input", i, t.dims,
                        size, sizes[i])
        batch = ffi.new("aclmdlBatch *")
        H.ok(lib.aclmdlGetDynamicBatch(desc, batch), "aclmdlGetDynamicBatch")
        H.check([int(batch.batch[k]) for k in range(batch.batchCount)] == (spec.gears or []), "gears")
    finally:
        H.ok(lib.aclmdlDestroyDesc(desc), "aclmdlDestroyDesc")


def _execute(model_id: int, spec: Spec, ins: List[Tensor], outs: List[Tensor], in_sizes: List[int],
             out_sizes: List[int]) -> None:
    """Run the model on buffers of the right sizes (or one wrong one); Identity: every output equals its input."""
    import numpy as np

    if spec.aipp is not None:
        return  # the graph still takes its own type: an AIPP record without AIPP operators is not runnable
    gears = spec.gears or []
    n_real = len(spec.inputs)
    if gears:
        chosen = gears[spec.batch % len(gears)] + (1 if spec.off_gear else 0)
        batch = chosen
    else:  # the batch comes from the inputs' buffers: from none when no input has bytes per item (a 0 dim)
        chosen = 0
        batch = spec.batch if any(t.batch_dynamic and t.static_bytes() for t in ins[:n_real]) else 1
    need = []  # bytes each real input and output holds at this batch
    for t in ins[:n_real] + outs:
        n = t.static_bytes()
        need.append(n * batch if t.batch_dynamic else n)
    if max(need, default=0) > EXEC_LIMIT:
        return
    sizes = list(need)
    broken = -1
    if spec.break_buffer:
        broken = spec.which % len(sizes)
        sizes[broken] = max(0, sizes[broken] + (-1, 1, -max(1, sizes[broken] // 2), 8)[spec.which // 2 % 4])
    rng = np.random.default_rng(len(sizes) * 7919 + sum(sizes))
    ptrs, bufs, inputs_data = [], [], []
    inp, out = lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()
    try:
        for k, size in enumerate(sizes):
            p = acl.malloc("device", max(size, 1))
            H.fill_canary(p, max(size, 1))
            ptrs.append((p, max(size, 1)))
            if k < n_real:
                elem = ins[k].elem
                if elem in (1, 10, 11):  # floats: bytes below 0x3d make no NaN payloads to argue about
                    raw = (np.arange(size) % 61).astype(np.uint8).tobytes()
                else:  # bool: 0 and 1 only
                    raw = rng.integers(0, 2 if elem == 9 else 256, size, dtype=np.uint8).tobytes()
                ffi.memmove(p, raw, size)
                inputs_data.append(raw)
            b = lib.aclCreateDataBuffer(p, size)
            bufs.append(b)
            H.ok(lib.aclmdlAddDatasetBuffer(inp if k < n_real else out, b), "aclmdlAddDatasetBuffer")
            if k == n_real - 1 and gears:  # the extra input carrying the batch
                g = acl.malloc("device", 8)
                H.fill_canary(g, 8)
                ptrs.append((g, 8))
                gb = lib.aclCreateDataBuffer(g, 8)
                bufs.append(gb)
                H.ok(lib.aclmdlAddDatasetBuffer(inp, gb), "aclmdlAddDatasetBuffer")
        expected_set = NOT_A_GEAR if chosen and chosen not in gears else 0
        if gears:
            rs = H.expect_code(lib.aclmdlSetDynamicBatchSize(model_id, inp, n_real, chosen), (expected_set,),
                               "aclmdlSetDynamicBatchSize(%d)" % chosen)
            if rs:
                return
        rc = H.expect_code(lib.aclmdlExecute(model_id, inp, out), (0, INPUT_NOT_MATCH, OUTPUT_NOT_MATCH),
                           "aclmdlExecute")
        # batch x the dims other than 0 must fit in int64 too (an empty [b, 2**62, 0] is refused at b = 4)
        too_big = any(t.batch_dynamic and t.product() * batch > INT64_MAX for t in ins[:n_real] + outs)
        if too_big:
            H.check(rc in (INPUT_NOT_MATCH, OUTPUT_NOT_MATCH), "batch %d of a tensor past int64 ran: %d", batch, rc)
        elif broken < 0:
            H.check(rc == 0, "buffers of the right sizes were refused: %d %r", rc, H.recent_message())
        for k, (p, size) in enumerate(ptrs):
            H.canary_intact(p, size, "buffer %d" % k)
        if rc == 0 and broken < 0 and not too_big:  # (a broken buffer may run at another batch: canaries only)
            for i in range(n_real):
                got = bytes(ffi.buffer(ptrs[n_real + (1 if gears else 0) + i][0], need[n_real + i]))
                H.check(got == inputs_data[i][:need[n_real + i]], "output %d differs from its input", i)
    finally:
        for b in bufs:
            H.ok(lib.aclDestroyDataBuffer(b), "aclDestroyDataBuffer")
        H.ok(lib.aclmdlDestroyDataset(inp), "aclmdlDestroyDataset")
        H.ok(lib.aclmdlDestroyDataset(out), "aclmdlDestroyDataset")
        for p, _size in ptrs:
            acl.free("device", p)


def make_seeds() -> dict:
    """Plain inputs (zeros: static float tensors) and pseudo-random ones, long enough for every decision."""
    import random

    seeds = {"zeros.bin": bytes(64)}
    for k in range(6):
        r = random.Random(k)
        seeds["random_%d.bin" % k] = bytes(r.getrandbits(8) for _ in range(160))
    return seeds


if __name__ == "__main__":
    H.main(sys.modules[__name__])
