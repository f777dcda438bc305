"""OM files without CANN: acllite.om reads them, `acllite inspect` shows them, the emulator serves them.

The real file is ATC's a3c_pong_model.om from ../shared/data/om/ (its README lists what it holds); tests that
need it skip, saying so, when it is absent. Damaged variants are made here by editing its bytes; the v1/v2
headers, both partition tables, several sub-models, MODEL_INOUT_INFO, AIPP and gears come from synthetic files
built by tests/om_builder.py.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, Callable, List, Sequence

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import acllite
import om_builder as ob
from acllite.formats import om
from acllite.tools import cli
from acllite.binding import ffi, lib
from conftest import expect_error, ok, requires_emulator

SHARED_OM = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "om" / "a3c_pong_model.om"
FLOAT, FLOAT16, UINT8, INT64, UINT64 = 0, 1, 4, 9, 10  # aclDataType
NCHW, NHWC, ND, HWCN = 0, 1, 2, 16  # aclFormat
# codes (acl_base.h)
GE_PARAM_INVALID, GE_DATA_SIZE_INVALID, GE_LOAD_MODEL_PARTITION_FAILED = 145000, 145006, 545002
API_NOT_SUPPORT, INVALID_FILE, INVALID_PARAM, INPUT_NOT_MATCH, OUTPUT_NOT_MATCH = 200001, 100003, 100000, 100017, 100018


@pytest.fixture(scope="module")
def shared_bytes() -> bytes:
    if not SHARED_OM.is_file():
        pytest.skip("the shared OM file %s is absent (see ../shared/data/om/README.md)" % SHARED_OM)
    return SHARED_OM.read_bytes()


@pytest.fixture
def om_copy(shared_bytes: bytes, tmp_path: Path) -> Path:
    """The shared OM file copied into the test's directory (where a twin may be put beside it)."""
    path = tmp_path / "a3c_pong_model.om"
    path.write_bytes(shared_bytes)
    return path


# ------------------------------------------------------------------------------------- the shared file


def test_reads_the_shared_om_file_as_its_readme_lists_it(shared_bytes: bytes) -> None:
    m = om.read(SHARED_OM)
    h = m.header
    assert (h.magic, h.header_size, h.version, h.layout) == (0x444F4D49, 256, 0x10000000, "v1")
    assert (h.length, h.model_length, h.body_length, h.is_encrypt, h.model_num) == (377027, 0, 377027, 0, 1)
    assert (h.name, h.platform_version, h.platform_type, h.om_ir_version) == ("a3c_pong_model", "1.11.z.0", 1, 2)
    assert m.file_size == len(shared_bytes) == 377283
    assert [(p.type_name, p.type, p.offset, p.size, p.table) for p in m.submodels[0].partitions] == [
        ("MODEL_DEF", 0, 0, 30191, "tiny"), ("WEIGHTS_DATA", 1, 30191, 320000, "tiny"),
        ("TBE_KERNELS", 3, 350191, 21433, "tiny"), ("TASK_INFO", 2, 371624, 5351, "tiny")]
    assert len(m.submodels) == 1 and m.submodels[0].name == "a3c_pong_model"
    assert (m.name, m.graph_name, m.described_by) == ("a3c_pong_model", "a3c_pong_model_0", "MODEL_DEF")
    assert m.inputs == (om.OmTensor("s", FLOAT, NHWC, (1, 42, 42, 1), (1, 42, 42, 1), 7056, 7056, op_type="Data"),)
    # The output's TensorDescriptor.size is padded (64); the device reports elements x 4 bytes.
    assert m.outputs == (om.OmTensor("out_a:0", FLOAT, NHWC, (1,), (1,), 4, 64),)
    assert (m.inputs[0].dtype_name, m.inputs[0].format_name) == ("FLOAT", "NHWC")
    assert (m.dynamic_batch, m.dynamic_hw, m.dynamic_dims) == ((), (), ())
    assert m.weight_bytes == 320000
    assert m.attributes["attr_model_out_nodes_name"] == ["out_a:0"]
    assert m.attributes["target_type"] == "MINI" and "tasks" not in m.attributes
    assert (m.soc_version, m.atc_version) == ("", "")
    assert om.parse(shared_bytes, "mem.om") == om.OmModel(**{**m.__dict__, "path": "mem.om"})


def _edited(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new):]


BODY = 256
TABLE = 4 + 12 * 4  # the shared file's tiny table (4 partitions)


@pytest.mark.parametrize("variant, code, fragments", [
    ("bad magic", GE_PARAM_INVALID, ["is not an OM file: it starts with b'XMOD', not b'IMOD'"]),
    ("header only", GE_PARAM_INVALID, ["is not an OM file: 100 bytes is shorter than the 256-byte header"]),
    ("truncated", GE_PARAM_INVALID, ["is damaged: its header gives a 377027-byte body (length) but the file holds "
                                     "376027 bytes after the header (truncated)"]),
    ("padded", GE_PARAM_INVALID, ["followed by 10 extra bytes"]),
    ("encrypted", API_NOT_SUPPORT, ["is encrypted (is_encrypt=1)", "only CANN's loader can decrypt"]),
    ("unknown version", GE_PARAM_INVALID, ["unknown OM header version 0x00000003"]),
    ("no partitions", GE_PARAM_INVALID, ["sub-model 0: the partition table counts 0 partitions (expected 1 to 64)"]),
    ("huge table", GE_PARAM_INVALID, ["the partition table counts 40000 partitions (expected 1 to 64)"]),
    ("moved offset", GE_DATA_SIZE_INVALID, ["partition 1 (WEIGHTS_DATA) is recorded at offset 30192 but the "
                                            "partitions before it end at 30191: the partition table is damaged"]),
    ("oversized partition", GE_DATA_SIZE_INVALID, ["partition 3 (TASK_INFO) of 6351 bytes runs past the end of the "
                                                   "body (5351 bytes left)"]),
    ("garbage model def", GE_LOAD_MODEL_PARTITION_FAILED, ["the MODEL_DEF partition is not a readable "
                                                           "ge.proto.ModelDef"]),
    ("no model def", GE_LOAD_MODEL_PARTITION_FAILED, ["has no MODEL_DEF partition (it holds WEIGHTS_DATA, "
                                                      "WEIGHTS_DATA, TBE_KERNELS, TASK_INFO)"]),
])
def test_rejects_damaged_and_encrypted_variants(shared_bytes: bytes, variant: str, code: int,
                                                fragments: List[str]) -> None:
    d = shared_bytes
    data = {
        "bad magic": _edited(d, 0, b"X"),
        "header only": d[:100],
        "truncated": d[:-1000],
        "padded": d + bytes(10),
        "encrypted": _edited(d, 80, b"\x01"),
        "unknown version": _edited(d, 8, struct.pack("<I", 3)),
        "no partitions": _edited(d, BODY, struct.pack("<I", 0)),
        "huge table": _edited(d, BODY, struct.pack("<I", 40000)),
        "moved offset": _edited(d, BODY + 4 + 12 + 4, struct.pack("<I", 30192)),
        "oversized partition": _edited(d, BODY + 4 + 36 + 8, struct.pack("<I", 6351)),
        "garbage model def": _edited(d, BODY + TABLE, b"\xff" * 64),
        "no model def": _edited(d, BODY + 4, struct.pack("<I", 1)),
    }[variant]
    with pytest.raises(om.OmError) as info:
        om.parse(data, "variant.om")
    assert info.value.code == code
    assert str(info.value).startswith("variant.om")
    for fragment in fragments:
        assert fragment in str(info.value)


def test_short_partition_table() -> None:
    data = ob.header(ob.V1, 10) + struct.pack("<I", 3) + bytes(6)
    with pytest.raises(om.OmError, match="short.om: sub-model 0: the partition table of 3 entries needs 40 bytes; "
                       "10 are left") as info:
        om.parse(data, "short.om")
    assert info.value.code == GE_DATA_SIZE_INVALID


def test_unreadable_path() -> None:
    with pytest.raises(om.OmError, match="cannot read /no/such.om: No such file or directory") as info:
        om.read("/no/such.om")
    assert info.value.code == INVALID_FILE


# ------------------------------------------------------------------------------------- synthetic files


def test_v1_and_v2_headers_with_both_partition_tables() -> None:
    md = ob.simple_model_def("tiny", ["relu"])
    weights = bytes(range(48))
    v1 = om.parse(ob.om_file(ob.V1, [[(0, md), (1, weights)]], platform_version="2.0.0", platform_type=1))
    v2_tiny = om.parse(ob.om_file(ob.V2, [[(0, md), (1, weights)]], platform_version="Ascend310P3"))
    v2_wide = om.parse(ob.om_file(ob.V2, [[(0, md), (1, weights)]], wide=True, platform_version="Ascend910B"))
    assert (v1.header.layout, v1.header.platform_version, v1.header.platform_type) == ("v1", "2.0.0", 1)
    assert (v2_tiny.header.layout, v2_tiny.header.platform_version) == ("v2", "Ascend310P3")
    assert (v2_wide.header.model_length, v2_wide.header.length) == (len(ob.table([(0, md), (1, weights)], True)), 0)
    assert [p.table for p in v1.submodels[0].partitions] == ["tiny", "tiny"]
    assert [p.table for p in v2_tiny.submodels[0].partitions] == ["tiny", "tiny"]
    assert [(p.type_name, p.offset, p.size, p.table) for p in v2_wide.submodels[0].partitions] == [
        ("MODEL_DEF", 0, len(md), "64-bit"), ("WEIGHTS_DATA", len(md), 48, "64-bit")]
    for m in (v1, v2_tiny, v2_wide):
        assert m.inputs == (om.OmTensor("x", FLOAT, NCHW, (1, 3, 4, 4), (1, 3, 4, 4), 192, 192, op_type="Data"),)
        assert m.outputs == (om.OmTensor("relu:0", FLOAT, NCHW, (1, 3, 4, 4), (1, 3, 4, 4), 192, 224),)
        assert m.weight_bytes == 48 and m.described_by == "MODEL_DEF"


def test_several_submodels_and_the_inout_partition_is_preferred() -> None:
    md = ob.simple_model_def("root", ["relu"])
    info = (ob.tlv(0, ob.inout_descs([("x_in", 192, NHWC, FLOAT, [1, 4, 4, 3], [1, 4, 4, 3])]))
            + ob.tlv(1, ob.inout_descs([("relu:0", 96, ND, FLOAT16, [1, 48], [1, 48])]))
            + ob.tlv(2, struct.pack("<I2Q", 2, 1, 4)) + ob.tlv(3, ob.gear_lists([[224, 224], [448, 448]]))
            + ob.tlv(4, ob.gear_lists([[1, 3], [2, 6]])) + ob.tlv(77, b"future record"))
    sub = ob.simple_model_def("part_1")
    data = ob.om_file(ob.V2, [[(0, md), (8, info)], [(0, sub), (1, bytes(16)), (2, bytes(4))]], wide=True)
    m = om.parse(data, "multi.om")
    assert m.header.model_num == 2
    assert [(s.index, s.name, [p.type_name for p in s.partitions]) for s in m.submodels] == [
        (0, "root", ["MODEL_DEF", "MODEL_INOUT_INFO"]), (1, "part_1", ["MODEL_DEF", "WEIGHTS_DATA", "TASK_INFO"])]
    assert m.described_by == "MODEL_INOUT_INFO"
    assert m.inputs == (om.OmTensor("x_in", FLOAT, NHWC, (1, 4, 4, 3), (1, 4, 4, 3), 192, 192),)
    assert m.outputs == (om.OmTensor("relu:0", FLOAT16, ND, (1, 48), (1, 48), 96, 96),)
    assert (m.dynamic_batch, m.dynamic_hw, m.dynamic_dims) == ((1, 4), ((224, 224), (448, 448)), ((1, 3), (2, 6)))
    # the blocks must fill the body exactly, and a damaged record is reported
    padded = ob.header(ob.V2, len(data) - 256 + 8, model_num=2, wide=True) + data[256:] + bytes(8)
    body = len(data) - 256
    with pytest.raises(om.OmError, match="multi.om: the 2 sub-models end at body byte %d of %d" % (
            body, body + 8)) as err:
        om.parse(padded, "multi.om")
    assert err.value.code == GE_DATA_SIZE_INVALID
    # a name field padded after its NUL (as fixed-size C strings are): the name ends at the NUL
    padded_name = ob.om_file(ob.V2, [[(0, md), (8, ob.tlv(0, ob.inout_descs([("x_in\0\0junk", 192, NHWC, FLOAT,
                                                                               [1, 4, 4, 3], [1, 4, 4, 3])])))]])
    assert om.parse(padded_name, "padded.om").inputs[0].name == "x_in"
    bad = ob.om_file(ob.V2, [[(0, md), (8, ob.tlv(0, struct.pack("<I", 1) + bytes(10)))]])
    with pytest.raises(om.OmError, match=r"MODEL_INOUT_INFO record 0: 32 bytes needed at byte 4; 10 are left"):
        om.parse(bad, "inout.om")


def test_model_def_inputs_outputs_aipp_and_gears() -> None:
    aipp = {"aipp_mode": 1, "input_format": 1, "src_image_size_w": 8, "src_image_size_h": 6, "csc_switch": True,
            "matrix_r0c0": [256], "var_reci_chn_0": [0.5], "mean_chn_0": 104}
    ops = [
        ob.op("mbatch", "Data", {"index": 2}, [ob.tensor(ob.DT_UINT64, [1], "ND", 8)]),
        ob.op("image", "Data", {"index": 1, "aipp": aipp, "_data_related_aipp_mode": "static_aipp",
                                "input_dims": [-1, 3, 6, 8]},
              [ob.tensor(ob.DT_UINT8, [-1, 6, 8, 3], "NHWC", 72)]),
        ob.op("ids", "Data", {"index": 0, "_mbatch_origin_input_dims": [-1, 5]},
              [ob.tensor(ob.DT_INT64, [4, 5], "ND")]),
        ob.op("case", "Case", {"_batch_num": 3, "mbatch_dynamic_type": 1, "_pred_value_0": [1], "_pred_value_1": [2],
                               "_pred_value_2": [4]}),
        ob.op("out", "NetOutput", {}, [ob.tensor(ob.DT_FLOAT, [-1, 10], "ND", 64),
                                       ob.tensor(ob.DT_FLOAT16, [16, 3, 3, 8], "FRACTAL_Z", 2304,
                                                 {"__tensor_desc_data_type__": 16})],
              src=[("fc", 0), ("conv", 2)]),
    ]
    md = ob.model_def("gears", [ob.graph("gears_0", ops)], {"atc_version": "7.0.0", "soc_version": "Ascend310P3",
                                                          "tasks": [7] * 2000})
    m = om.parse(ob.om_file(ob.V2, [[(0, md)]]), "gears.om")
    assert [t.name for t in m.inputs] == ["ids", "image", "mbatch"]  # ordered by the index attribute
    ids, image, mbatch = m.inputs
    assert (ids.acl_dtype, ids.dims, ids.size) == (INT64, (-1, 5), -1)  # _mbatch_origin_input_dims
    assert (image.acl_dtype, image.format, image.dims, image.dims_v2, image.size) == (
        UINT8, NHWC, (-1, 6, 8, 3), (-1, 3, 6, 8), 72)
    assert image.aipp_mode == "static_aipp"
    assert image.aipp == {"aipp_mode": "static", "input_format": "YUV420SP_U8", "src_image_size_w": 8,
                          "src_image_size_h": 6, "csc_switch": True, "matrix_r0c0": [256], "var_reci_chn_0": [0.5],
                          "mean_chn_0": 104}
    assert (mbatch.acl_dtype, mbatch.dims, mbatch.size, mbatch.aipp) == (UINT64, (1,), 8, None)
    # no attr_model_out_nodes_name: output_<i>_<src>_<index>; FRACTAL_Z is reported as HWCN; the self-defined type
    assert [(t.name, t.acl_dtype, t.format, t.dims, t.size) for t in m.outputs] == [
        ("output_0_fc_0", FLOAT, ND, (-1, 10), -1), ("output_1_conv_2", 16, HWCN, (3, 8, 3, 16), 8 * 3 * 8 * 3 * 16)]
    assert m.dynamic_batch == (1, 2, 4)
    assert (m.atc_version, m.soc_version) == ("7.0.0", "Ascend310P3")
    assert "tasks" not in m.attributes  # large attributes are not collected


def test_model_def_faults_are_reported() -> None:
    no_graph = ob.om_file(ob.V1, [[(0, ob.f_str(1, "empty"))]])
    with pytest.raises(om.OmError, match="empty.om: the ModelDef holds no graph"):
        om.parse(no_graph, "empty.om")
    bare_data = ob.model_def("m", [ob.graph("g", [ob.op("x", "Data", {})])])
    with pytest.raises(om.OmError, match="input op 'x' has no input description") as info:
        om.parse(ob.om_file(ob.V1, [[(0, bare_data)]]), "m.om")
    assert info.value.code == GE_LOAD_MODEL_PARTITION_FAILED
    no_src = ob.model_def("m", [ob.graph("g", [ob.op("o", "NetOutput", {}, [ob.tensor(ob.DT_FLOAT, [1])])])])
    with pytest.raises(om.OmError, match=r"output 0 of 'o' has no source node recorded \(src_name/src_index\)"):
        om.parse(ob.om_file(ob.V1, [[(0, no_src)]]), "m.om")


# ------------------------------------------------------------------------------------- the emulator


def _vi(name: str, elem: int, shape: Sequence[Any]) -> Any:
    return helper.make_tensor_value_info(name, elem, list(shape))


def twin_model(in_shape: Sequence[Any] = (1, 42, 42, 1), out_elem: int = TensorProto.FLOAT,
               extra_input: bool = False) -> bytes:
    """y = (x reshaped to [1, 1764]) @ w, as [1]: the shared OM's interface under other names (x, y)."""
    w = np.random.default_rng(3).standard_normal((int(np.prod([d for d in in_shape if isinstance(d, int)])), 1))
    nodes = [helper.make_node("Reshape", ["x", "flat"], ["f"]), helper.make_node("MatMul", ["f", "w"], ["m"]),
             helper.make_node("Reshape", ["m", "one"], ["r"]), helper.make_node("Cast", ["r"], ["y"], to=out_elem)]
    inputs = [_vi("x", TensorProto.FLOAT, in_shape)] + ([_vi("z", TensorProto.FLOAT, [1])] if extra_input else [])
    inits = [numpy_helper.from_array(np.array([1, -1], np.int64), "flat"),
             numpy_helper.from_array(w.astype(np.float32), "w"),
             numpy_helper.from_array(np.array([1], np.int64), "one")]
    model = helper.make_model(helper.make_graph(nodes, "twin", inputs, [_vi("y", out_elem, [1])], inits),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def load_file(path: Path) -> int:
    cell = ffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromFile(str(path).encode(), cell), "aclmdlLoadFromFile")
    return int(cell[0])


class Run:
    """Device buffers and datasets for one execution of the shared model: input [1, 42, 42, 1], output [1]."""

    def __init__(self) -> None:
        self.cells = [ffi.new("void **"), ffi.new("void **")]
        ok(lib.aclrtMalloc(self.cells[0], 7056, 0))
        ok(lib.aclrtMalloc(self.cells[1], 4, 0))
        self.dbs = [lib.aclCreateDataBuffer(self.cells[0][0], 7056), lib.aclCreateDataBuffer(self.cells[1][0], 4)]
        self.inp, self.out = lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()
        ok(lib.aclmdlAddDatasetBuffer(self.inp, self.dbs[0]))
        ok(lib.aclmdlAddDatasetBuffer(self.out, self.dbs[1]))

    def execute(self, model_id: int, x: np.ndarray) -> np.ndarray:
        ok(lib.aclrtMemcpy(self.cells[0][0], 7056, ffi.from_buffer(x), 7056, 1), "H2D")
        ok(lib.aclmdlExecute(model_id, self.inp, self.out), "aclmdlExecute")
        y = np.empty(1, np.float32)
        ok(lib.aclrtMemcpy(ffi.from_buffer(y, require_writable=True), 4, self.cells[1][0], 4, 2), "D2H")
        return y

    def close(self) -> None:
        ok(lib.aclmdlDestroyDataset(self.inp))
        ok(lib.aclmdlDestroyDataset(self.out))
        for db in self.dbs:
            ok(lib.aclDestroyDataBuffer(db))
        for c in self.cells:
            ok(lib.aclrtFree(c[0]))


@requires_emulator
def test_emulator_describes_the_om_as_a_device_and_says_what_execution_needs(acl: Any, om_copy: Path) -> None:
    model_id = load_file(om_copy)
    desc = lib.aclmdlCreateDesc()
    ok(lib.aclmdlGetDesc(desc, model_id))
    assert (lib.aclmdlGetNumInputs(desc), lib.aclmdlGetNumOutputs(desc)) == (1, 1)
    assert ffi.string(lib.aclmdlGetInputNameByIndex(desc, 0)) == b"s"
    assert ffi.string(lib.aclmdlGetOutputNameByIndex(desc, 0)) == b"out_a:0"
    assert (lib.aclmdlGetInputSizeByIndex(desc, 0), lib.aclmdlGetOutputSizeByIndex(desc, 0)) == (7056, 4)
    assert (lib.aclmdlGetInputDataType(desc, 0), lib.aclmdlGetOutputDataType(desc, 0)) == (FLOAT, FLOAT)
    assert (lib.aclmdlGetInputFormat(desc, 0), lib.aclmdlGetOutputFormat(desc, 0)) == (NHWC, NHWC)
    dims = ffi.new("aclmdlIODims *")
    for fn, name, shape in ((lib.aclmdlGetInputDims, b"s", [1, 42, 42, 1]), (lib.aclmdlGetInputDimsV2, b"s",
                            [1, 42, 42, 1]), (lib.aclmdlGetOutputDims, b"out_a:0", [1]),
                            (lib.aclmdlGetCurOutputDims, b"out_a:0", [1])):
        ok(fn(desc, 0, dims))
        assert (ffi.string(dims.name), list(dims.dims)[:dims.dimCount]) == (name, shape)
    index = ffi.new("size_t *")
    ok(lib.aclmdlGetInputIndexByName(desc, b"s", index))
    ok(lib.aclmdlGetOutputIndexByName(desc, b"out_a:0", index))
    assert index[0] == 0
    batch = ffi.new("aclmdlBatch *")
    ok(lib.aclmdlGetDynamicBatch(desc, batch))
    assert batch.batchCount == 0
    kind, attached = ffi.new("aclmdlInputAippType *"), ffi.new("size_t *")
    ok(lib.aclmdlGetAippType(model_id, 0, kind, attached))
    assert kind[0] == lib.ACL_DATA_WITHOUT_AIPP
    run = Run()
    try:
        expect_error(API_NOT_SUPPORT, ["model %d: %s holds Ascend machine code, which the emulator cannot run; put the "
                                       "ONNX model it was converted from beside it as %s" % (
                                           model_id, om_copy, om_copy.with_suffix(".onnx")),
                                       "ACLLITE_EMU_OM_TWINS or acllite.om.set_twin"],
                     lib.aclmdlExecute, model_id, run.inp, run.out)
    finally:
        run.close()
    ok(lib.aclmdlDestroyDesc(desc))
    ok(lib.aclmdlUnload(model_id))


@requires_emulator
def test_a_matching_twin_runs_the_om(acl: Any, om_copy: Path) -> None:
    import onnxruntime as ort

    twin = twin_model()
    om_copy.with_suffix(".onnx").write_bytes(twin)
    x = np.random.default_rng(5).standard_normal((1, 42, 42, 1)).astype(np.float32)
    expected = ort.InferenceSession(twin, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    model_id = load_file(om_copy)
    run = Run()
    try:
        assert np.array_equal(run.execute(model_id, x), expected)  # bound by index: the twin's names are x, y
    finally:
        run.close()
    ok(lib.aclmdlUnload(model_id))
    with acllite.Device(0) as device, acllite.Model(om_copy, device) as model:
        assert [(t.name, t.shape, t.format_name, t.nbytes) for t in model.inputs] == [("s", (1, 42, 42, 1), "NHWC",
                                                                                       7056)]
        assert [(t.name, t.shape, t.format_name, t.nbytes) for t in model.outputs] == [("out_a:0", (1,), "NHWC", 4)]
        assert np.array_equal(model.execute([x])[0], expected)


@requires_emulator
def test_twins_found_through_set_twin_and_the_environment(acl: Any, om_copy: Path, tmp_path: Path,
                                                          monkeypatch: Any) -> None:
    elsewhere = tmp_path / "models" / "pong.onnx"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(twin_model())
    cell = ffi.new("uint32_t *")
    monkeypatch.setenv(om.ENV_TWINS, "%s=%s" % (om_copy, elsewhere))
    ok(lib.aclmdlUnload(load_file(om_copy)))
    # the entry whose OM path matches, wherever it is in the list
    monkeypatch.setenv(om.ENV_TWINS, os.pathsep.join(["/other.om=/x.onnx", "%s=%s" % (om_copy, elsewhere)]))
    assert om.twin_for(om_copy) == (str(elsewhere), om.ENV_TWINS)
    monkeypatch.setenv(om.ENV_TWINS, "/other.om=/x.onnx:%s=%s" % (om_copy, tmp_path / "gone.onnx"))
    expect_error(INVALID_FILE, "cannot read %s, the ONNX twin of %s (from %s): No such file or directory" % (
        tmp_path / "gone.onnx", om_copy, om.ENV_TWINS), lib.aclmdlLoadFromFile, str(om_copy).encode(), cell,
        func="aclmdlLoadFromFile")
    om.set_twin(om_copy, elsewhere)  # set_twin comes first
    try:
        assert om.twin_for(om_copy) == (str(elsewhere), "set_twin")
        ok(lib.aclmdlUnload(load_file(om_copy)))
    finally:
        om.set_twin(om_copy, None)
    monkeypatch.setenv(om.ENV_TWINS, "no-separator")
    expect_error(INVALID_PARAM, "ACLLITE_EMU_OM_TWINS: entry 'no-separator' is not OM_PATH=ONNX_PATH",
                 lib.aclmdlLoadFromFile, str(om_copy).encode(), cell, func="aclmdlLoadFromFile")


@requires_emulator
@pytest.mark.parametrize("twin, code, message", [
    (lambda: twin_model((1, 42, 42, 3)), INPUT_NOT_MATCH, "input 0 's' has dims [1, 42, 42, 1]; the twin's 'x' has "
                                                          "[1, 42, 42, 3]"),
    (lambda: twin_model((1, 1764)), INPUT_NOT_MATCH, "input 0 's' has dims [1, 42, 42, 1]; the twin's 'x' has "
                                                     "[1, 1764]"),
    (lambda: twin_model(out_elem=TensorProto.FLOAT16), OUTPUT_NOT_MATCH, "output 0 'out_a:0' is FLOAT; the twin's "
                                                                          "'y' is FLOAT16"),
    (lambda: twin_model(extra_input=True), INPUT_NOT_MATCH, "it has 1 input(s), the twin 2"),
    (lambda: b"\x08\x07not onnx", 100013, "not a readable ONNX model"),
])
def test_a_twin_that_does_not_match_is_refused(acl: Any, om_copy: Path, twin: Callable[[], bytes], code: int,
                                               message: str) -> None:
    twin_path = om_copy.with_suffix(".onnx")
    twin_path.write_bytes(twin())
    prefix = ("the ONNX twin %s of %s: " % (twin_path, om_copy) if code == 100013 else
              "%s does not match its ONNX twin %s: " % (om_copy, twin_path))
    expect_error(code, [prefix, message], lib.aclmdlLoadFromFile, str(om_copy).encode(), ffi.new("uint32_t *"),
                 func="aclmdlLoadFromFile")


@requires_emulator
def test_damaged_om_files_are_refused_by_the_emulator(acl: Any, shared_bytes: bytes, tmp_path: Path) -> None:
    cell = ffi.new("uint32_t *")
    for name, data, code, fragment in (
            ("encrypted.om", _edited(shared_bytes, 80, b"\x01"), API_NOT_SUPPORT, "is encrypted (is_encrypt=1)"),
            ("cut.om", shared_bytes[:-1], GE_PARAM_INVALID, "but the file holds 377026 bytes after the header"),
            ("junk.om", b"PK\x03\x04" + bytes(300), GE_PARAM_INVALID, "is not an OM file")):
        path = tmp_path / name
        path.write_bytes(data)
        path.with_suffix(".onnx").write_bytes(twin_model())  # a twin does not make a damaged OM loadable
        expect_error(code, ["aclmdlLoadFromFile: %s " % path, fragment], lib.aclmdlLoadFromFile, str(path).encode(),
                     cell, func="aclmdlLoadFromFile")


# ------------------------------------------------------------------------------------- acllite inspect


def test_inspect_the_shared_om(shared_bytes: bytes, capsys: Any) -> None:
    assert cli.main(["inspect", str(SHARED_OM)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "%s: offline model (OM), 377283 bytes" % SHARED_OM,
        "model:        a3c_pong_model (graph a3c_pong_model_0), ModelDef version 2, custom version 1.11.z.0",
        "header:       v1 layout (version 0x10000000), model type IR, om_ir_version 2, not encrypted",
        "platform:     platform_version 1.11.z.0, platform_type 1, target_type MINI",
        "SoC version:  (not recorded)",
        "ATC version:  (not recorded)",
        "weights:      320000 bytes",
        "described by: MODEL_DEF",
        "partitions:",
        "  sub-model 0 'a3c_pong_model': MODEL_DEF 30191, WEIGHTS_DATA 320000, TBE_KERNELS 21433, TASK_INFO 5351 "
        "(tiny table)",
        "inputs (1):",
        "  #  name  dtype  format  dims            size",
        "  0  s     FLOAT  NHWC    [1, 42, 42, 1]  7056",
        "outputs (1):",
        "  #  name     dtype  format  dims  size",
        "  0  out_a:0  FLOAT  NHWC    [1]   4",
        "dynamic batch:      none",
        "dynamic image size: none",
        "dynamic dims:       none",
        "AIPP:               none",
    ]
    assert cli.main(["inspect", "--json", str(SHARED_OM)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {k: report[k] for k in ("kind", "name", "graph", "file_size", "described_by", "weight_bytes",
                                   "platform_version", "soc_version", "atc_version", "dynamic_batch", "aipp")} == {
        "kind": "om", "name": "a3c_pong_model", "graph": "a3c_pong_model_0", "file_size": 377283,
        "described_by": "MODEL_DEF", "weight_bytes": 320000, "platform_version": "1.11.z.0", "soc_version": "",
        "atc_version": "", "dynamic_batch": [], "aipp": {}}
    assert report["inputs"] == [{"name": "s", "dtype": "FLOAT", "acl_dtype": 0, "format": "NHWC", "acl_format": 1,
                                 "dims": [1, 42, 42, 1], "size": 7056}]
    assert report["outputs"] == [{"name": "out_a:0", "dtype": "FLOAT", "acl_dtype": 0, "format": "NHWC",
                                  "acl_format": 1, "dims": [1], "size": 4}]
    assert report["header"]["version"] == "0x10000000" and report["header"]["layout"] == "v1"
    assert [p["type"] for p in report["submodels"][0]["partitions"]] == ["MODEL_DEF", "WEIGHTS_DATA", "TBE_KERNELS",
                                                                         "TASK_INFO"]


def test_inspect_a_synthetic_om_with_aipp_and_gears(tmp_path: Path, capsys: Any) -> None:
    ops = [ob.op("img", "Data", {"aipp": {"aipp_mode": 1, "input_format": 3, "src_image_size_w": 8}},
                 [ob.tensor(ob.DT_UINT8, [-1, 6, 8, 3], "NHWC", 144)]),
           ob.op("case", "Case", {"_batch_num": 2, "_pred_value_0": [1], "_pred_value_1": [8]}),
           ob.op("out", "NetOutput", {}, [ob.tensor(ob.DT_FLOAT, [-1, 10], "ND")], src=[("fc", 0)])]
    path = tmp_path / "gears.om"
    path.write_bytes(ob.om_file(ob.V2, [[(0, ob.model_def("g", [ob.graph("g_0", ops)], {"atc_version": "7.0"}))]]))
    assert cli.main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[5] == "ATC version:  7.0"
    assert out[10:] == [
        "inputs (1):",
        "  #  name  dtype  format  dims           size",
        "  0  img   UINT8  NHWC    [-1, 6, 8, 3]  144",
        "outputs (1):",
        "  #  name           dtype  format  dims      size",
        "  0  output_0_fc_0  FLOAT  ND      [-1, 10]  dynamic",
        "dynamic batch:      1, 8",
        "dynamic image size: none",
        "dynamic dims:       none",
        "AIPP:",
        "  input 'img': {\"aipp_mode\": \"static\", \"input_format\": \"RGB888_U8\", \"src_image_size_w\": 8}",
    ]


def test_inspect_an_onnx_model_with_acllite_metadata(tmp_path: Path, capsys: Any) -> None:
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                                                [_vi("x", TensorProto.FLOAT, ["batch", 3, 4, 4])],
                                                [_vi("y", TensorProto.FLOAT, ["batch", 3, 4, 4])]),
                              opset_imports=[helper.make_opsetid("", 13)], producer_name="test")
    model.ir_version = 8
    helper.set_model_props(model, {"acllite.dynamic_batch": "1,2,4", "acllite.aipp.x": json.dumps(
        {"described_dims": [-1, 4, 4, 3], "described_size": 24, "input_format": "YUV420SP_U8"}), "note": "hi"})
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    assert cli.main(["inspect", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "%s: ONNX model (as the emulator describes it), %d bytes" % (path, path.stat().st_size),
        "producer:     test",
        "IR version:   8, opset ai.onnx 13",
        "weights:      0 bytes",
        "inputs (2):",
        "  #  name                      dtype   format  dims           size",
        "  0  x                         UINT8   NHWC    [-1, 4, 4, 3]  24 per batch item",
        "  1  ascend_mbatch_shape_data  UINT64  ND      [1]            8",
        "outputs (1):",
        "  #  name  dtype  format  dims           size",
        "  0  y     FLOAT  NCHW    [-1, 3, 4, 4]  192 per batch item",
        "dynamic batch:      1, 2, 4",
        "dynamic image size: none",
        "dynamic dims:       none",
        "AIPP:",
        "  input 'x': {\"described_dims\": [-1, 4, 4, 3], \"described_size\": 24, \"input_format\": \"YUV420SP_U8\"}",
        "metadata:",
        "  acllite.aipp.x: {\"described_dims\": [-1, 4, 4, 3], \"described_size\": 24, "
        "\"input_format\": \"YUV420SP_U8\"}",
        "  acllite.dynamic_batch: 1,2,4",
        "  note: hi",
    ]
    assert cli.main(["inspect", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["kind"], report["dynamic_batch"], report["metadata"]["note"]) == ("onnx", [1, 2, 4], "hi")


def test_inspect_reports_what_it_cannot_read(tmp_path: Path, capsys: Any) -> None:
    assert cli.main(["inspect", str(tmp_path / "none.om")]) == 1
    assert capsys.readouterr().err == "acllite inspect: %s: no such file\n" % (tmp_path / "none.om")
    bad = tmp_path / "bad.om"
    bad.write_bytes(ob.header(ob.V1, 0, encrypt=1))
    assert cli.main(["inspect", str(bad)]) == 1
    assert capsys.readouterr().err.startswith("acllite inspect: %s is encrypted (is_encrypt=1)" % bad)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07junk")
    assert cli.main(["inspect", str(junk)]) == 1
    assert capsys.readouterr().err.startswith("acllite inspect: %s: not a readable ONNX model" % junk)


@requires_emulator
def test_dynamic_batch_om_runs_through_an_atc_twin(acl: Any, tmp_path: Path) -> None:
    from acllite.tools import atc

    two = numpy_helper.from_array(np.array(2, np.float32), "two")
    src = helper.make_model(helper.make_graph([helper.make_node("Mul", ["x", "two"], ["y"])], "g",
                                              [_vi("x", TensorProto.FLOAT, ["N", 3, 4, 4])],
                                              [_vi("y", TensorProto.FLOAT, ["N", 3, 4, 4])], [two]),
                            opset_imports=[helper.make_opsetid("", 13)])
    src.ir_version = 8
    (tmp_path / "src.onnx").write_bytes(src.SerializeToString())
    atc.convert(str(tmp_path / "src.onnx"), str(tmp_path / "net"), input_shape="x:-1,3,4,4",
                dynamic_batch_size="1,2,4")  # writes net.om, carrying the ONNX model: made the twin here
    (tmp_path / "net.onnx").write_bytes(bytes(om.embedded_onnx((tmp_path / "net.om").read_bytes())))
    ops = [ob.op("x", "Data", {"index": 0, "_mbatch_origin_input_dims": [-1, 3, 4, 4]},
                 [ob.tensor(ob.DT_FLOAT, [4, 3, 4, 4], "NCHW", 768)]),
           ob.op("ascend_mbatch_shape_data", "Data", {"index": 1}, [ob.tensor(ob.DT_UINT64, [1], "ND", 8)]),
           ob.op("case", "Case", {"_batch_num": 3, "mbatch_dynamic_type": 1, "_pred_value_0": [1],
                                  "_pred_value_1": [2], "_pred_value_2": [4]}),
           ob.op("out", "NetOutput", {}, [ob.tensor(ob.DT_FLOAT, [4, 3, 4, 4], "NCHW", 768)], src=[("mul", 0)])]
    path = tmp_path / "net.om"
    path.write_bytes(ob.om_file(ob.V2, [[(0, ob.model_def("net", [ob.graph("net_0", ops)], {
        "attr_model_out_nodes_name": ["mul"]}))]]))
    with acllite.Device(0) as device, acllite.Model(path, device) as model:
        assert [(t.name, t.shape, t.nbytes) for t in model.inputs] == [
            ("x", (-1, 3, 4, 4), 768), ("ascend_mbatch_shape_data", (1,), 8)]  # sized for the largest gear
        assert [(t.name, t.shape, t.nbytes) for t in model.outputs] == [("mul:0", (-1, 3, 4, 4), 768)]
        assert model.batch_gears == (1, 2, 4) and model.dynamic_input == 1
        for batch in (2, 4, 1):
            x = np.random.default_rng(batch).standard_normal((batch, 3, 4, 4)).astype(np.float32)
            (y,) = model.execute([x])
            assert np.array_equal(y, 2 * x)


def test_a_model_def_with_the_most_gears_acl_allows() -> None:
    """_batch_num may be 0 (no gears) to 100 (ACL_MAX_BATCH_NUM), not 101."""
    def model(count: int) -> bytes:
        gears = {"_pred_value_%d" % i: [i + 1] for i in range(count)}
        md = ob.model_def("many", [ob.graph("g", [
            ob.op("x", "Data", {"index": 0, "_mbatch_origin_input_dims": [-1, 4]},
                  [ob.tensor(ob.DT_FLOAT, [max(count, 1), 4], "ND")]),
            ob.op("case", "Case", dict(gears, _batch_num=count, mbatch_dynamic_type=1)),
            ob.op("out", "NetOutput", {}, [ob.tensor(ob.DT_FLOAT, [max(count, 1), 4], "ND")], src=[("x", 0)])])])
        return ob.om_file(ob.V2, [[(0, md)]])

    assert om.parse(model(100), "100.om").dynamic_batch == tuple(range(1, 101))
    assert om.parse(model(0), "0.om").dynamic_batch == ()
    with pytest.raises(om.OmError, match="not a readable ge.proto.ModelDef"):
        om.parse(model(101), "101.om")
