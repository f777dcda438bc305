"""Single-operator execution as programs use it: the Ascend samples' flows written as pyACL programs of our own
(atc --singleop + set_model_dir + cast + execute_v2; create_handle + execute_with_handle), compiling with
aclopCompile, dynamic shapes, streams, and every misuse with its code and message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import acllite
from acllite import binding, pyacl
from acllite.formats import singleop
from acllite.tools import atc, inspect
from conftest import ROOT, requires_emulator
from singleop_helpers import Device, load, make_attr, op_json, tensor_json

pytestmark = requires_emulator
lib, ffi = binding.lib, binding.ffi

OP_NOT_FOUND, OP_INPUT_NOT_MATCH, OP_OUTPUT_NOT_MATCH = 100024, 100021, 100022
OP_ATTR_NOT_MATCH, INVALID_PARAM, REPEAT_INITIALIZE = 100023, 100000, 100002
API_NOT_SUPPORT, INVALID_FILE = 200001, 100003

#: vpc_resnet50's two operators: a Cast of the 1000 scores to float16, then ArgMaxD for the top-1 label.
SAMPLE_OPS = [
    op_json("Cast", [tensor_json(np.float32, [1000])], [tensor_json(np.float16, [1000])],
            {"dst_type": ("int", 1)}),
    op_json("ArgMaxD", [tensor_json(np.float16, [1000])], [tensor_json(np.int32, [1])],
            {"dimension": ("int", 0)}),
]


def write_models(tmp_path: Path, ops: Any, name: str = "op_list.json") -> Path:
    desc = tmp_path / name
    desc.write_text(json.dumps(ops))
    out = tmp_path / "op_models"
    assert atc.main(["--singleop=%s" % desc, "--output=%s" % out, "--soc_version=Ascend310"]) == 0
    return out


def message() -> str:
    return pyacl.get_recent_err_msg() or ""


# ============================================================================================ atc --singleop


def test_atc_names_the_models_as_atc_does(tmp_path: Path) -> None:
    out = write_models(tmp_path, SAMPLE_OPS + [op_json("Add", [tensor_json(np.int32, [3, 3])] * 2,
                                                         [tensor_json(np.int32, [3, 3])], name="add")])
    assert sorted(p.name for p in out.iterdir()) == ["0_Cast_0_2_1000_1_2_1000.om", "1_ArgMaxD_1_2_1000_3_2_1.om",
                                                     "add.om"]
    desc = singleop.decode((out / "1_ArgMaxD_1_2_1000_3_2_1.om").read_bytes())
    assert desc.op == "ArgMaxD" and desc.attrs == {"dimension": ("int", 0)}
    assert desc.outputs[0].shape == (1,) and desc.outputs[0].dtype == 3


def test_atc_command_line_and_its_refusals(tmp_path: Path) -> None:
    desc = tmp_path / "ops.json"
    desc.write_text(json.dumps(SAMPLE_OPS))
    run = [sys.executable, "-m", "acllite", "atc"]
    ok = subprocess.run(run + ["--singleop=%s" % desc, "--output=%s" % (tmp_path / "o")], capture_output=True,
                        text=True, cwd=tmp_path)
    assert ok.returncode == 0 and "2 single-operator model(s)" in ok.stdout, ok.stderr
    cases = [
        ([{"op": "Frobnicate", "input_desc": [], "output_desc": [tensor_json(np.float32, [1])]}],
         "operator type 'Frobnicate' has no ONNX mapping"),
        ([op_json("ArgMaxD", [tensor_json(np.float16, [4])], [tensor_json(np.int32, [1])])],
         "the required attribute 'dimension' is missing"),
        ([op_json("Cast", [tensor_json(np.float32, [4])], [tensor_json(np.float16, [4])],
                  {"dst_type": ("int", 1), "round": ("int", 0)})], "Cast has no attribute 'round'"),
        ([op_json("Add", [tensor_json(np.float32, [4])], [tensor_json(np.float32, [4])])],
         "Add takes 2 input(s), the description gives 1"),
        ([op_json("Add", [tensor_json(np.float32, [4]), tensor_json(np.float32, [5])],
                  [tensor_json(np.float32, [4])])], "do not fit the operator"),
        ([op_json("Add", [tensor_json(np.float32, [4])] * 2, [tensor_json(np.float32, [5])])],
         "output 0 has shape [4]; the description says [5]"),
        ([op_json("Cast", [tensor_json(np.float32, [4])], [tensor_json(np.float16, [4])], {"dst_type": ("int", 0)})],
         "attribute dst_type is 0 but the output is float16"),
        ([op_json("SoftmaxV2", [tensor_json(np.float32, [2, 3])], [tensor_json(np.float32, [2, 3])],
                  {"axes": ("list_int", [0, 1])})], "the emulator computes softmax over one axis"),
        ([op_json("Relu", [dict(tensor_json(np.float32, [4]), format="FRACTAL_NZ")], [tensor_json(np.float32, [4])])],
         "format FRACTAL_NZ is a device layout"),
    ]
    for ops, fragment in cases:
        desc.write_text(json.dumps(ops))
        bad = subprocess.run(run + ["--singleop=%s" % desc, "--output=%s" % (tmp_path / "bad")],
                             capture_output=True, text=True, cwd=tmp_path)
        assert bad.returncode == 1 and fragment in bad.stderr, (fragment, bad.stderr)
    mixed = subprocess.run(run + ["--singleop=%s" % desc, "--output=x", "--model=m.onnx"], capture_output=True,
                           text=True, cwd=tmp_path)
    assert mixed.returncode == 2 and "--singleop takes only" in mixed.stderr


def test_inspect_shows_a_single_operator_model(tmp_path: Path) -> None:
    out = write_models(tmp_path, SAMPLE_OPS)
    report = inspect.describe(out / "1_ArgMaxD_1_2_1000_3_2_1.om")
    assert report["kind"] == "singleop" and report["op"] == "ArgMaxD"
    assert report["attributes"] == {"dimension": {"type": "int", "value": 0}}
    text = inspect.format_text(report)
    assert "runs on the emulator only" in text and "float16  ND  [1000]" in text and "dimension (int): 0" in text


# ============================================================================================ the samples' flows


def test_vpc_resnet50_flow_set_model_dir_cast_and_argmaxd(acl: Any, tmp_path: Path) -> None:
    """set_model_dir, then acl.op.cast of the float scores and acl.op.execute_v2 of ArgMaxD, on one stream."""
    models = write_models(tmp_path, SAMPLE_OPS)
    assert pyacl.op.set_model_dir(str(models)) == 0
    scores = np.random.default_rng(3).standard_normal(1000).astype(np.float32)
    dev = Device(pyacl)
    attr = pyacl.op.create_attr()
    try:
        assert pyacl.op.set_attr_int(attr, "dimension", 0) == 0
        in_desc, half_desc = dev.desc(np.float32, [1000]), dev.desc(np.float16, [1000])
        label_desc = dev.desc(np.int32, [1])
        _, in_buf = dev.buffer(4000, scores)
        half_ptr, half_buf = dev.buffer(pyacl.get_tensor_desc_size(half_desc))
        label_ptr, label_buf = dev.buffer(pyacl.get_tensor_desc_size(label_desc))
        assert pyacl.op.cast(in_desc, in_buf, half_desc, half_buf, 0, dev.stream) == 0
        assert pyacl.op.execute_v2("ArgMaxD", [half_desc], [half_buf], [label_desc], [label_buf], attr,
                                   dev.stream) == 0
        assert dev.sync() == 0
        np.testing.assert_array_equal(dev.read(half_ptr, np.float16, [1000]), scores.astype(np.float16))
        assert dev.read(label_ptr, np.int32, [1]).tolist() == [int(np.argmax(scores.astype(np.float16)))]
        # the directory is set once per process
        assert pyacl.op.set_model_dir(str(models)) == REPEAT_INITIALIZE
        assert "set already" in message()
    finally:
        pyacl.op.destroy_attr(attr)
        dev.close()


def test_slice_flow_create_handle_and_execute_with_handle(acl: Any, tmp_path: Path) -> None:
    """acl_execute_slice: a handle made once from the descriptions, run with buffers, destroyed."""
    spec = op_json("Slice", [tensor_json(np.float16, [600, 3000]), tensor_json(np.int32, [2]),
                             tensor_json(np.int32, [2])], [tensor_json(np.float16, [300, 1000])])
    pyacl.op.set_model_dir(str(write_models(tmp_path, [spec])))
    dev = Device(pyacl)
    attr = pyacl.op.create_attr()
    x = (np.arange(600 * 3000, dtype=np.float32) % 2039).reshape(600, 3000).astype(np.float16)
    try:
        descs = [dev.desc(np.float16, [600, 3000]), dev.desc(np.int32, [2]), dev.desc(np.int32, [2])]
        out_desc = dev.desc(np.float16, [300, 1000])
        handle, rc = pyacl.op.create_handle("Slice", descs, [out_desc], attr)
        assert rc == 0 and handle, message()
        bufs = [dev.buffer(x.nbytes, x)[1], dev.buffer(8, np.array([100, 2000], np.int32))[1],
                dev.buffer(8, np.array([300, 1000], np.int32))[1]]
        out_ptr, out_buf = dev.buffer(300 * 1000 * 2)
        assert pyacl.op.execute_with_handle(handle, bufs, [out_buf], dev.stream) == 0
        assert dev.sync() == 0
        np.testing.assert_array_equal(dev.read(out_ptr, np.float16, [300, 1000]), x[100:400, 2000:3000])
        # a handle checks the counts it was made with
        assert pyacl.op.execute_with_handle(handle, bufs[:2], [out_buf], dev.stream) == OP_INPUT_NOT_MATCH
        assert message() == "aclopExecWithHandle: 2 input(s) given; the handle's Slice has 3"
        assert pyacl.op.execute_with_handle(handle, bufs, [out_buf, out_buf], dev.stream) == OP_OUTPUT_NOT_MATCH
        pyacl.op.destroy_handle(handle)
        assert pyacl.op.execute_with_handle(handle, bufs, [out_buf], dev.stream) == INVALID_PARAM
        assert "is not a live operator handle" in message()
    finally:
        pyacl.op.destroy_attr(attr)
        dev.close()


def test_cast_handle_and_cast_with_truncate_models(acl: Any) -> None:
    """acl.op.create_handle_for_cast; a loaded Cast model with truncate makes aclopCast send truncate."""
    load(pyacl, op_json("Cast", [tensor_json(np.float32, [4])], [tensor_json(np.int32, [4])],
                        {"dst_type": ("int", 3), "truncate": ("bool", True)}))
    dev = Device(pyacl)
    try:
        src, dst = dev.desc(np.float32, [4]), dev.desc(np.int32, [4])
        x = np.array([1.5, -2.5, 7.99, -0.5], np.float32)
        _, in_buf = dev.buffer(16, x)
        out_ptr, out_buf = dev.buffer(16)
        assert pyacl.op.cast(src, in_buf, dst, out_buf, 0, dev.stream) == OP_NOT_FOUND  # truncate false: no model
        assert "truncate=bool 0" in message() and "truncate=bool 1" in message()
        assert pyacl.op.cast(src, in_buf, dst, out_buf, 1, dev.stream) == 0
        handle, rc = pyacl.op.create_handle_for_cast(src, dst, 1)
        assert rc == 0, message()
        assert pyacl.op.execute_with_handle(handle, [in_buf], [out_buf], dev.stream) == 0
        assert dev.sync() == 0
        assert dev.read(out_ptr, np.int32, [4]).tolist() == [1, -2, 7, 0]
        pyacl.op.destroy_handle(handle)
    finally:
        dev.close()


# ============================================================================================ compile entries


def _descs(*specs: Any) -> Any:
    made = [lib.aclCreateTensorDesc(t, len(s), ffi.new("int64_t[]", list(s) or [0]), 2) for t, s in specs]
    return made, ffi.new("aclTensorDesc *[]", made or [ffi.NULL])


def test_aclopcompile_then_execute_and_compile_and_execute(acl: Any) -> None:
    made, arr = _descs((0, [2, 3]), (0, [2, 3]), (0, [2, 3]))
    dev = Device(pyacl)
    try:
        ins, outs = ffi.new("aclTensorDesc *[]", made[:2]), ffi.new("aclTensorDesc *[]", made[2:])
        assert lib.aclopCompile(b"Mul", 2, ins, 1, outs, ffi.NULL, 0, lib.ACL_COMPILE_SYS, ffi.NULL) == 0
        a, b = np.arange(6, dtype=np.float32).reshape(2, 3), np.full((2, 3), 1.5, np.float32)
        bufs = [dev.buffer(24, a)[1], dev.buffer(24, b)[1]]
        out_ptr, out_buf = dev.buffer(24)
        ints = [int(ffi.cast("uintptr_t", d)) for d in made]
        assert pyacl.op.execute_v2("Mul", ints[:2], bufs, ints[2:], [out_buf], 0, dev.stream) == 0
        assert dev.sync() == 0
        np.testing.assert_array_equal(dev.read(out_ptr, np.float32, [2, 3]), a * b)
        in_bufs = ffi.new("aclDataBuffer *[]", [ffi.cast("aclDataBuffer *", x) for x in bufs])
        out_bufs = ffi.new("aclDataBuffer *[]", [ffi.cast("aclDataBuffer *", out_buf)])
        stream = ffi.cast("aclrtStream", dev.stream)
        assert lib.aclopCompileAndExecute(b"Sub", 2, ins, in_bufs, 1, outs, out_bufs, ffi.NULL, 0,
                                          lib.ACL_COMPILE_SYS, ffi.NULL, stream) == 0
        assert dev.sync() == 0
        np.testing.assert_array_equal(dev.read(out_ptr, np.float32, [2, 3]), a - b)
        # a compile it refuses is the answer: nothing runs (the output keeps a - b, not a + b)
        assert lib.aclopCompileAndExecute(b"Add", 2, ins, in_bufs, 1, outs, out_bufs, ffi.NULL, 0, 7, ffi.NULL,
                                          stream) == API_NOT_SUPPORT
        assert dev.sync() == 0
        np.testing.assert_array_equal(dev.read(out_ptr, np.float32, [2, 3]), a - b)
        # custom operators need their implementation: the emulator says so
        assert lib.aclopCompile(b"AddCustom", 2, ins, 1, outs, ffi.NULL, 0, lib.ACL_COMPILE_UNREGISTERED,
                                b"/ops") == API_NOT_SUPPORT
        assert "cannot compile a custom operator" in message()
        assert lib.aclopCompile(b"AddCustom", 2, ins, 1, outs, ffi.NULL, 0, lib.ACL_COMPILE_UNREGISTERED,
                                ffi.NULL) == INVALID_PARAM
        assert lib.aclopCompile(b"Mul", 2, ins, 1, outs, ffi.NULL, 0, 7, ffi.NULL) == API_NOT_SUPPORT
        assert lib.aclopCompile(b"Frobnicate", 2, ins, 1, outs, ffi.NULL, 0, 0, ffi.NULL) == OP_NOT_FOUND
        assert "operator type 'Frobnicate' has no ONNX mapping" in message()
    finally:
        for d in made:
            lib.aclDestroyTensorDesc(d)
        dev.close()


def test_compile_options_and_flags(acl: Any) -> None:
    assert lib.aclSetCompileopt(lib.ACL_PRECISION_MODE, b"allow_fp32_to_fp16") == 0
    n = lib.aclGetCompileoptSize(lib.ACL_PRECISION_MODE)
    assert n == len("allow_fp32_to_fp16") + 1
    buf = ffi.new("char[]", n)
    assert lib.aclGetCompileopt(lib.ACL_PRECISION_MODE, buf, n) == 0 and ffi.string(buf) == b"allow_fp32_to_fp16"
    assert lib.aclGetCompileopt(lib.ACL_PRECISION_MODE, buf, n - 1) == INVALID_PARAM
    assert lib.aclSetCompileopt(lib.ACL_PRECISION_MODE, ffi.NULL) == INVALID_PARAM
    assert lib.aclSetCompileopt(99, b"x") == 500000  # AscendCL: not an option it knows
    assert lib.aclopSetCompileFlag(lib.ACL_OP_COMPILE_FUZZ) == 0
    assert lib.aclopSetCompileFlag(5) == INVALID_PARAM
    assert lib.aclopSetMaxOpQueueNum(100) == 0 and lib.aclopSetMaxOpQueueNum(0) == INVALID_PARAM


# ============================================================================================ dynamic shapes


def test_dynamic_shape_model_runs_each_size_in_its_range(acl: Any) -> None:
    rng = [[1, 8], [2, -1]]
    load(pyacl, op_json("Add", [tensor_json(np.float32, [-1, -1], shape_range=rng)] * 2,
                        [tensor_json(np.float32, [-1, -1], shape_range=rng)]))
    dev = Device(pyacl)
    try:
        for shape in ([1, 2], [8, 5], [3, 100]):
            a = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
            d = [dev.desc(np.float32, shape) for _ in range(3)]
            bufs = [dev.buffer(a.nbytes, a)[1], dev.buffer(a.nbytes, a)[1]]
            out_ptr, out_buf = dev.buffer(a.nbytes)
            assert pyacl.op.execute_v2("Add", d[:2], bufs, d[2:], [out_buf], 0, dev.stream) == 0, message()
            assert dev.sync() == 0
            np.testing.assert_array_equal(dev.read(out_ptr, np.float32, shape), a + a)
        d = [dev.desc(np.float32, [9, 2]) for _ in range(3)]
        bufs = [dev.buffer(72)[1] for _ in range(3)]
        assert pyacl.op.execute_v2("Add", d[:2], bufs[:2], d[2:], bufs[2:], 0, dev.stream) == OP_NOT_FOUND
        d = [dev.desc(np.float32, [-1, 2]) for _ in range(3)]
        assert pyacl.op.execute_v2("Add", d[:2], bufs[:2], d[2:], bufs[2:], 0, dev.stream) == INVALID_PARAM
        assert message() == ("aclopExecuteV2: input 0: a description must be static when executing (dims -1 and -2 "
                             "are for compiling)")
    finally:
        dev.close()


# ============================================================================================ misuse


def test_execute_without_a_matching_model_says_what_it_looked_for(acl: Any) -> None:
    dev = Device(pyacl)
    try:
        d = [dev.desc(np.float32, [4]) for _ in range(3)]
        bufs = [dev.buffer(16)[1] for _ in range(3)]
        assert pyacl.op.execute_v2("Add", d[:2], bufs[:2], d[2:], bufs[2:], 0, dev.stream) == OP_NOT_FOUND
        assert message() == ("aclopExecuteV2: no single-operator model matches Add (float32[4] ND, float32[4] ND) -> "
                             "(float32[4] ND): none of that operator type is loaded (0 model(s) loaded; build one "
                             "with acllite atc --singleop and load it with aclopSetModelDir or aclopLoad, or compile "
                             "it with aclopCompile)")
        load(pyacl, op_json("Add", [tensor_json(np.float16, [4])] * 2, [tensor_json(np.float16, [4])]))
        assert pyacl.op.execute_v2("Add", d[:2], bufs[:2], d[2:], bufs[2:], 0, dev.stream) == OP_NOT_FOUND
        assert "the nearest loaded model (the model in memory) has input 0 float16[4] ND" in message()
        attr = make_attr(pyacl, {"alpha": ("float", 0.5)})
        h = [dev.desc(np.float16, [4]) for _ in range(3)]
        assert pyacl.op.execute_v2("Add", h[:2], bufs[:2], h[2:], bufs[2:], attr, dev.stream) == OP_NOT_FOUND
        assert "with attributes alpha=float(bits) 3f000000" in message() and "other attributes: (none)" in message()
        pyacl.op.destroy_attr(attr)
        assert pyacl.op.cast(d[0], bufs[0], h[0], bufs[1], 0, dev.stream) == OP_NOT_FOUND
        assert "matches Cast (float32[4] ND) -> (float16[4] ND) with attributes dst_type=int 1" in message()
    finally:
        dev.close()


def test_buffers_are_checked_before_queueing(acl: Any) -> None:
    load(pyacl, op_json("Relu", [tensor_json(np.float32, [8])], [tensor_json(np.float32, [8])]))
    dev = Device(pyacl)
    try:
        d_in, d_out = dev.desc(np.float32, [8]), dev.desc(np.float32, [8])
        _, good = dev.buffer(32)
        _, short = dev.buffer(28)
        assert pyacl.op.execute_v2("Relu", [d_in], [short], [d_out], [good], 0, dev.stream) == INVALID_PARAM
        assert message() == "aclopExecuteV2: input 0: the buffer holds 28 bytes; float32[8] ND needs 32"
        assert pyacl.op.execute_v2("Relu", [d_in], [good], [d_out], [short], 0, dev.stream) == INVALID_PARAM
        assert message() == "aclopExecuteV2: output 0: the buffer holds 28 bytes; float32[8] ND needs 32"
        host = np.zeros(8, np.float32)
        host_buf = pyacl.create_data_buffer(pyacl.util.numpy_to_ptr(host), 32)
        try:
            assert pyacl.op.execute_v2("Relu", [d_in], [host_buf], [d_out], [good], 0, dev.stream) == 107000
            assert "operator buffers are device memory" in message()
        finally:
            pyacl.destroy_data_buffer(host_buf)
        assert pyacl.op.execute_v2("Relu", [d_in], [0], [d_out], [good], 0, dev.stream) == INVALID_PARAM
        assert message() == "aclopExecuteV2: Inputs 0 is NULL"
        assert pyacl.op.execute_v2("Relu", [0], [good], [d_out], [good], 0, dev.stream) == INVALID_PARAM
        assert message() == "aclopExecuteV2: Inputs description 0 is NULL"
        assert pyacl.op.execute_v2("Relu", [d_in], [good], [d_out], [good], 12345, dev.stream) == INVALID_PARAM
        assert "is not a live operator attribute set" in message()
        assert pyacl.op.execute_v2("Relu", [d_in], [good], [d_out], [good], 0, 777) == 107017
    finally:
        dev.close()


def test_an_error_of_the_run_comes_back_at_synchronize(acl: Any) -> None:
    """Reshape's target comes from a device buffer: a wrong one is found when the task runs."""
    load(pyacl, op_json("Reshape", [tensor_json(np.float32, [6]), tensor_json(np.int32, [2])],
                        [tensor_json(np.float32, [2, 3])]))
    dev = Device(pyacl)
    try:
        d = [dev.desc(np.float32, [6]), dev.desc(np.int32, [2]), dev.desc(np.float32, [2, 3])]
        bufs = [dev.buffer(24)[1], dev.buffer(8, np.array([4, 4], np.int32))[1]]
        _, out = dev.buffer(24)
        assert pyacl.op.execute_v2("Reshape", d[:2], bufs, d[2:], [out], 0, dev.stream) == 0
        assert dev.sync() == 500002
        assert message().startswith("aclopExecuteV2: Reshape: onnxruntime failed")
        assert "requested shape:{4,4}" in message()
    finally:
        dev.close()


def test_attribute_setters_check_their_arguments(acl: Any) -> None:
    attr = pyacl.op.create_attr()
    try:
        assert pyacl.op.set_attr_int(attr, "", 1) == INVALID_PARAM and message() == "aclopSetAttrInt: attrName is empty"
        assert lib.aclopSetAttrString(ffi.cast("aclopAttr *", attr), b"s", ffi.NULL) == INVALID_PARAM
        assert lib.aclopSetAttrListInt(ffi.cast("aclopAttr *", attr), b"l", -1, ffi.NULL) == INVALID_PARAM
        assert message() == "aclopSetAttrListInt: numValues is -1"
        assert lib.aclopSetAttrListInt(ffi.cast("aclopAttr *", attr), b"l", 2, ffi.NULL) == INVALID_PARAM
        assert pyacl.op.set_attr_list_string(attr, "ls", ["a", "b c"]) == 0
        assert pyacl.op.set_attr_list_list_int(attr, "lli", [[1, 2], [], [3]]) == 0
        assert pyacl.op.set_attr_bool(12345, "b", True) == INVALID_PARAM
        assert "is not a live operator attribute set" in message()
    finally:
        pyacl.op.destroy_attr(attr)
    pyacl.op.destroy_attr(attr)
    assert "destroyed already" in message()


def test_every_attribute_type_round_trips_between_c_and_the_description(acl: Any, monkeypatch: Any) -> None:
    """Attributes set in C match a model described with the same values: the canonical text is one."""
    attrs = {"b": ("bool", True), "i": ("int", -7), "f": ("float", 0.1), "s": ("string", "a b\tc"),
             "t": ("data_type", 1), "lb": ("list_bool", [True, False]), "li": ("list_int", [1, -2, 1 << 40]),
             "lf": ("list_float", [1.5, -0.25]), "ls": ("list_string", ["x", "", "y z"]),
             "lli": ("list_list_int", [[1], [], [2, 3]])}
    parsed = {n: (k, singleop._attr_value(k, v, n)) for n, (k, v) in attrs.items()}
    assert singleop.parse_attrs_text(singleop.attrs_text(parsed)) == parsed
    # an operator taking every attribute type (the engine decodes in this process)
    monkeypatch.setitem(singleop.OPERATORS, "Probe", singleop.OpSpec(
        "Identity", (1, 1), {n: (k, None) for n, (k, _v) in attrs.items()}, singleop._same("Identity")))
    spec = op_json("Relu", [tensor_json(np.float32, [2])], [tensor_json(np.float32, [2])])
    blob = singleop.encode(singleop.OpDesc("Probe", singleop.decode(model_blob(spec)).inputs,
                                           singleop.decode(model_blob(spec)).outputs, parsed))
    assert pyacl.op.load(pyacl.util.bytes_to_ptr(blob), len(blob)) == 0, message()
    dev = Device(pyacl)
    attr = make_attr(pyacl, attrs)
    try:
        d = [dev.desc(np.float32, [2]) for _ in range(2)]
        bufs = [dev.buffer(8, np.array([-1, 2], np.float32))[1], dev.buffer(8)[1]]
        handle, rc = pyacl.op.create_handle("Probe", d[:1], d[1:], attr)
        assert rc == 0, message()
        assert pyacl.op.execute_with_handle(handle, bufs[:1], bufs[1:], dev.stream) == 0 and dev.sync() == 0
        pyacl.op.destroy_handle(handle)
        assert pyacl.op.set_attr_float(attr, "f", 0.2) == 0
        handle, rc = pyacl.op.create_handle("Probe", d[:1], d[1:], attr)
        assert rc == OP_NOT_FOUND
    finally:
        pyacl.op.destroy_attr(attr)
        dev.close()


def model_blob(spec: Any) -> bytes:
    from singleop_helpers import model_bytes

    return model_bytes(spec)


def test_loading_checks_what_it_is_given(acl: Any, tmp_path: Path) -> None:
    assert lib.aclopLoad(ffi.NULL, 10) == INVALID_PARAM and message() == "aclopLoad: model is NULL"
    junk = b"not a model at all"
    assert pyacl.op.load(pyacl.util.bytes_to_ptr(junk), len(junk)) == 100013
    assert "not a single-operator model written by acllite atc" in message()
    assert pyacl.op.load(pyacl.util.bytes_to_ptr(junk), 0) == INVALID_PARAM
    assert pyacl.op.set_model_dir(str(tmp_path / "missing")) == INVALID_FILE
    assert "is not a readable directory" in message()
    (tmp_path / "bad.om").write_bytes(b"IMOD" + bytes(300))  # skipped, as AscendCL skips what it cannot parse
    good = write_models(tmp_path, SAMPLE_OPS[:1])
    (good / "bad.om").write_bytes(b"IMOD" + bytes(300))
    assert pyacl.op.set_model_dir(str(tmp_path)) == 0  # looks three levels deep


def test_leaked_attributes_and_handles_are_reported(tmp_path: Path) -> None:
    code = """
import acllite, numpy as np
from acllite import pyacl as acl
from acllite.formats import singleop
acl.init(); acl.rt.set_device(0)
blob = singleop.encode(singleop.parse_description('[{"op":"Relu","input_desc":[{"format":"ND","shape":[2],"type":"float"}],"output_desc":[{"format":"ND","shape":[2],"type":"float"}]}]')[0])
assert acl.op.load(acl.util.bytes_to_ptr(blob), len(blob)) == 0
a = acl.op.create_attr()
d = acl.create_tensor_desc(0, [2], 2)
h, rc = acl.op.create_handle("Relu", [d], [d], a)
assert rc == 0, acl.get_recent_err_msg()
acl.destroy_tensor_desc(d)
acl.rt.reset_device(0); acl.finalize()
r = acllite.emulator_leak_report()
print(r["opAttrs"], r["opHandles"], acllite.emulator_live_counts()["opAttrs"])
"""
    env = dict(os.environ, ASCEND_GLOBAL_LOG_LEVEL="2")  # the emulator's warnings on stderr
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "1", "0"]
    assert "1 operator attribute set(s), 1 operator handle(s)" in out.stderr


def test_all_empty_outputs_return_at_once(acl: Any) -> None:
    dev = Device(pyacl)
    try:
        d = [dev.desc(np.float32, [0, 3]) for _ in range(2)]
        _, buf = dev.buffer(0)
        assert pyacl.op.execute_v2("Relu", d[:1], [buf], d[1:], [buf], 0, dev.stream) == 0  # no model needed
    finally:
        dev.close()


def test_the_c_side_works_without_the_python_engine() -> None:
    """A C program linking the emulator alone gets every check, and loading says what is missing."""
    code = """
from acllite import binding
lib, ffi = binding.lib, binding.ffi
lib.acllite_emu_set_op_engine(ffi.NULL)
blob = b"x" * 8
print(lib.aclopLoad(blob, 8), ffi.string(lib.aclGetRecentErrMsg()).decode())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT.parent))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("200001 aclopLoad: no operator engine is registered")
    assert acllite is not None
