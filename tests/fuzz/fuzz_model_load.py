"""Fuzz target: model loading on the emulator (ONNX from memory; OM files).

* ONNX (any input not starting with ``IMOD``): ``aclmdlLoadFromMem`` and ``aclmdlQuerySizeFromMem``; on success
  the whole description is walked (``aclmdlGetDesc``, counts, dims, names, types, formats, sizes, index by name,
  dynamic batch) and the model unloaded. Codes allowed: 0 and the parse/type/parameter codes (100000, 100013,
  100017, 100018, 100026, 145000, 200001); 500000 (an exception the engine did not anticipate) is a finding.
* OM (``IMOD`` magic): :func:`acllite.om.parse` may only raise :class:`acllite.om.OmError`; the bytes are loaded
  from memory (``aclmdlLoadFromMem``, ``aclmdlQuerySizeFromMem``: the reader's code when it refuses them), and
  written to ``X.om`` (no ONNX twin beside it) and loaded with ``aclmdlLoadFromFile``, which must refuse it with
  the reader's code when the reader refuses it, and otherwise load it (describing the same inputs and outputs, up
  to what a C string carries) or refuse it with a documented code (e.g. 100026 for an undefined data type).

Models are never executed here: what onnxruntime does with a strange but loadable graph is not ours to fuzz.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "model_load"
MAX_LEN = 1 << 15
LOAD_CODES = (0, 100000, 100013, 100017, 100018, 100026, 145000, 200001)

with H.instrumented():
    from acllite.formats import om
    from acllite.binding import ffi, lib

acl: H.Acl = None  # type: ignore[assignment]  (setup() makes it)
baseline: dict = {}
_dir = ""


def setup() -> None:
    global acl, baseline, _dir
    acl = H.Acl()
    _dir = tempfile.mkdtemp(prefix="acllite-fuzz-model-")
    baseline = acl.live_counts()


def one_input(data: bytes) -> None:
    if data[:4] == b"IMOD":
        _om(data)
    else:
        _onnx(data)
    H.leak_check(acl, baseline, "the input")


def _describe(model_id: int) -> list:
    """Walk the whole description; returns [(name, dtype, format, dims)] of inputs then outputs."""
    desc = lib.aclmdlCreateDesc()
    H.check(desc != ffi.NULL, "aclmdlCreateDesc failed")
    out = []
    try:
        H.ok(lib.aclmdlGetDesc(desc, model_id), "aclmdlGetDesc")
        dims = ffi.new("aclmdlIODims *")
        index = ffi.new("size_t *")
        for is_out in (False, True):
            count = (lib.aclmdlGetNumOutputs if is_out else lib.aclmdlGetNumInputs)(desc)
            H.check(count < 10000, "%d tensors", count)
            names = []
            for i in range(count):
                H.ok((lib.aclmdlGetOutputDims if is_out else lib.aclmdlGetInputDims)(desc, i, dims), "GetDims")
                H.check(dims.dimCount <= 32, "%d dims", dims.dimCount)
                d = tuple(int(dims.dims[k]) for k in range(dims.dimCount))
                H.check(all(x >= -1 for x in d), "dims %s", d)
                p = (lib.aclmdlGetOutputNameByIndex if is_out else lib.aclmdlGetInputNameByIndex)(desc, i)
                H.check(p != ffi.NULL, "no name for tensor %d", i)
                name = ffi.string(p).decode("utf-8", "replace")
                names.append(name)
                dt = int((lib.aclmdlGetOutputDataType if is_out else lib.aclmdlGetInputDataType)(desc, i))
                fmt = int((lib.aclmdlGetOutputFormat if is_out else lib.aclmdlGetInputFormat)(desc, i))
                size = int((lib.aclmdlGetOutputSizeByIndex if is_out else lib.aclmdlGetInputSizeByIndex)(desc, i))
                esize = int(lib.aclDataTypeSize(dt))
                if -1 not in d and esize and size:
                    n = 1
                    for x in d:
                        n *= x
                    H.check(size == n * esize or not is_out, "output %d: %d bytes for dims %s of %d-byte elements",
                            i, size, d, esize)
                out.append((name, dt, fmt, d))
            # past the end: an error, not a crash
            H.expect_code((lib.aclmdlGetOutputDims if is_out else lib.aclmdlGetInputDims)(desc, count, dims),
                          (100000,), "GetDims past the end")
            if len(set(names)) == len(names):
                for i, name in enumerate(names):
                    fn = lib.aclmdlGetOutputIndexByName if is_out else lib.aclmdlGetInputIndexByName
                    H.ok(fn(desc, name.encode("utf-8", "surrogateescape"), index), "GetIndexByName")
                    H.check(index[0] == i, "index of %r is %d, expected %d", name, index[0], i)
        batch = ffi.new("aclmdlBatch *")
        H.ok(lib.aclmdlGetDynamicBatch(desc, batch), "aclmdlGetDynamicBatch")
        H.check(batch.batchCount <= 100, "%d gears", batch.batchCount)
    finally:
        H.ok(lib.aclmdlDestroyDesc(desc), "aclmdlDestroyDesc")
    return out


def _onnx(data: bytes) -> None:
    n = len(data)
    src = ffi.from_buffer(data) if n else ffi.NULL
    mid = ffi.new("uint32_t *")
    rc = H.expect_code(lib.aclmdlLoadFromMem(src, n, mid), LOAD_CODES, "aclmdlLoadFromMem")
    work, weight = ffi.new("size_t *"), ffi.new("size_t *")
    rq = H.expect_code(lib.aclmdlQuerySizeFromMem(src, n, work, weight), LOAD_CODES, "aclmdlQuerySizeFromMem")
    if rc == 0:
        H.check(rq == 0, "the model loads but aclmdlQuerySizeFromMem refuses it (%d)", rq)
        try:
            _describe(int(mid[0]))
        finally:
            H.ok(lib.aclmdlUnload(mid[0]), "aclmdlUnload")
        H.expect_code(lib.aclmdlUnload(mid[0]), (100011,), "aclmdlUnload twice")


def _c_name(name: str) -> str:
    """A tensor name as the C API can give it: up to the first NUL, at most 127 bytes (aclmdlIODims.name)."""
    return name.encode()[:127].split(b"\0")[0].decode("utf-8", "replace")


def _om(data: bytes) -> None:
    try:
        parsed = om.parse(data, "fuzz.om")
        code = 0
    except om.OmError as exc:
        parsed, code = None, exc.code
        H.check(isinstance(code, int) and code > 0 and str(exc), "OmError without code or message")
    path = os.path.join(_dir, "fuzz.om")
    with open(path, "wb") as f:
        f.write(data)
    mid = ffi.new("uint32_t *")
    _om_from_memory(data, code)
    rc = lib.aclmdlLoadFromFile(path.encode(), mid)
    if parsed is None:
        H.check(rc == code, "the reader refused the file with %d, aclmdlLoadFromFile returned %d: %r", code, rc,
                H.recent_message())
        return
    # What the reader describes, the loader may still refuse to run (an undefined data type, say): but only with a
    # documented code and a message.
    if H.expect_code(rc, LOAD_CODES, "aclmdlLoadFromFile of an OM the reader accepts"):
        return
    try:
        described = _describe(int(mid[0]))
    finally:
        H.ok(lib.aclmdlUnload(mid[0]), "aclmdlUnload")
    expected = [(_c_name(t.name), t.acl_dtype, t.format, tuple(t.dims)) for t in parsed.inputs + parsed.outputs]
    try:
        carries_onnx = om.embedded_onnx(data) is not None
    except om.OmError:
        carries_onnx = False
    if parsed.dynamic_batch or carries_onnx:
        # outputs follow the chosen batch on the emulator (-1); the file records them at a gear (the largest when
        # atc wrote it; any value in a mutated file whose gear list or gear input no longer matches its outputs:
        # the emulator runs the gears of the ONNX model the file carries)
        expected = [(n, dt, f, (-1,) + d[1:]) if k >= len(parsed.inputs) and d and
                    k < len(described) and described[k][3][:1] == (-1,) else (n, dt, f, d)
                    for k, (n, dt, f, d) in enumerate(expected)]
    H.check([(n, dt, d) for n, dt, _f, d in described] == [(n, dt, d) for n, dt, _f, d in expected],
            "the emulator describes %s, the reader %s", described, expected)


def _om_from_memory(data: bytes, reader_code: int) -> None:
    """aclmdlLoadFromMem and aclmdlQuerySizeFromMem of OM bytes: refused with the reader's code when the reader
    refuses them; else loaded (one acllite atc wrote, carrying its ONNX model) or refused with a documented code
    (200001 for an ATC-made one: no twin from memory)."""
    src = ffi.from_buffer(data)
    mid = ffi.new("uint32_t *")
    rc = lib.aclmdlLoadFromMem(src, len(data), mid)
    work, weight = ffi.new("size_t *"), ffi.new("size_t *")
    rq = lib.aclmdlQuerySizeFromMem(src, len(data), work, weight)
    if reader_code:
        H.check(rc == reader_code and rq == reader_code, "the reader refused the bytes with %d, aclmdlLoadFromMem "
                "returned %d, aclmdlQuerySizeFromMem %d: %r", reader_code, rc, rq, H.recent_message())
        return
    H.expect_code(rc, LOAD_CODES, "aclmdlLoadFromMem of an OM the reader accepts")
    H.expect_code(rq, LOAD_CODES, "aclmdlQuerySizeFromMem of an OM the reader accepts")
    if rc == 0:
        H.check(rq == 0, "the OM loads from memory but aclmdlQuerySizeFromMem refuses it (%d)", rq)
        H.ok(lib.aclmdlUnload(mid[0]), "aclmdlUnload")


def make_seeds() -> dict:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import om_builder as ob

    def model(nodes, inputs, outputs, inits=()):  # type: ignore[no-untyped-def]
        m = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, list(inits)),
                              opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        return m

    vi = helper.make_tensor_value_info
    seeds = {}
    add = model([helper.make_node("Add", ["a", "b"], ["y"])], [vi("a", TensorProto.FLOAT, [2, 3]),
                                                               vi("b", TensorProto.FLOAT, [2, 3])],
                [vi("y", TensorProto.FLOAT, [2, 3])])
    seeds["add_2x3.onnx"] = add.SerializeToString()
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    conv = model([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c"], ["y"])],
                 [vi("x", TensorProto.FLOAT, ["N", 1, 4, 4])], [vi("y", TensorProto.FLOAT, ["N", 2, 4, 4])], [w])
    seeds["conv_relu_dynbatch.onnx"] = conv.SerializeToString()
    cast = model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT16)],
                 [vi("x", TensorProto.UINT8, [1, 8])], [vi("y", TensorProto.FLOAT16, [1, 8])])
    seeds["cast_u8_f16.onnx"] = cast.SerializeToString()
    with tempfile.TemporaryDirectory() as tmp:
        from acllite.tools import atc

        plain = model([helper.make_node("Mul", ["x", "s"], ["y"])], [vi("x", TensorProto.FLOAT, [1, 3, 4, 4])],
                      [vi("y", TensorProto.FLOAT, [1, 3, 4, 4])], [numpy_helper.from_array(np.float32([2]), "s")])
        src = os.path.join(tmp, "plain.onnx")
        onnx.save(plain, src)
        cfg = os.path.join(tmp, "aipp.cfg")
        with open(cfg, "w") as f:
            f.write("aipp_op { aipp_mode: static input_format: YUV420SP_U8 csc_switch: true "
                    "src_image_size_w: 4 src_image_size_h: 4 }\n")
        # acllite atc writes .om files carrying the ONNX model: both are seeds
        aipp = atc.convert(src, os.path.join(tmp, "aipp"), insert_op_conf=cfg).read_bytes()
        dyn = atc.convert(src, os.path.join(tmp, "dyn"), input_shape="x:-1,3,4,4", dynamic_batch_size="1,2,4")
        seeds["aipp_yuv420.om"], seeds["dynamic_batch.om"] = aipp, dyn.read_bytes()
        seeds["aipp_yuv420.onnx"] = bytes(om.embedded_onnx(aipp))
        seeds["dynamic_batch.onnx"] = bytes(om.embedded_onnx(seeds["dynamic_batch.om"]))
    md = ob.simple_model_def("tiny", ["relu"])
    seeds["tiny_v2.om"] = ob.om_file(ob.V2, [[(0, md), (1, bytes(range(48)))]], platform_version="Ascend310")
    seeds["tiny_v1_wide.om"] = ob.om_file(ob.V1, [[(0, md)]], wide=True)
    return seeds


if __name__ == "__main__":
    H.main(sys.modules[__name__])
