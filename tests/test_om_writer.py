"""The OM files acllite atc writes (acllite.formats.om.build): ATC's container and ModelDef, read back by the
reader (which is itself checked against tests/om_builder.py and a real ATC file), carrying the ONNX model."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from acllite.formats import om

ACL_FLOAT, ACL_UINT8, ACL_INT32 = 0, 4, 3
NCHW, NHWC, ND = 0, 1, 2


def spec(**changes: object) -> om.ModelSpec:
    base = om.ModelSpec(
        "tiny",
        [om.TensorSpec("x", ACL_FLOAT, NCHW, (-1, 3, 4, 4), origin_dims=(-1, 3, 4, 4)),
         om.TensorSpec("img", ACL_UINT8, NHWC, (1, 4, 4, 3), size=24, dims_v2=(1, 3, 4, 4),
                       aipp={"aipp_mode": "static", "input_format": "YUV420SP_U8", "csc_switch": True,
                             "matrix_r0c0": 298, "matrix_r2c1": -100, "var_reci_chn_0": 0.5})],
        [om.TensorSpec("y", ACL_FLOAT, ND, (-1, 10)), om.TensorSpec("idx:1", ACL_INT32, ND, (1,))],
        b"\x08\x07not really onnx", soc_version="Ascend310P3", atc_version="acllite 0.1.0",
        gears={"batch": [(4,), (1,), (2,)]})
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_the_container_is_atcs_v2_layout() -> None:
    data = om.build(spec())
    magic, head, version = struct.unpack_from("<III", data, 0)
    assert (magic, head, version) == (0x444F4D49, 256, 0x20000000)
    assert data[:4] == b"IMOD"
    body = len(data) - 256
    assert struct.unpack_from("<Q", data, 184)[0] == body  # model_length: the 64-bit table
    num, pad = struct.unpack_from("<II", data, 256)
    assert (num, pad) == (2, 0)
    kinds = [struct.unpack_from("<IIQQ", data, 264 + 24 * i)[0] for i in range(num)]
    assert kinds == [0, 1000]  # MODEL_DEF, then the ONNX model
    assert data[84:88] == b"tiny" and data[160:171] == b"Ascend310P3"


def test_the_reader_describes_it_as_the_spec_says() -> None:
    m = om.parse(om.build(spec()), "tiny.om")
    assert [t.name for t in m.inputs] == ["x", "img"]
    x, img = m.inputs
    assert (x.acl_dtype, x.format, x.dims, x.size) == (ACL_FLOAT, NCHW, (-1, 3, 4, 4), -1)
    assert (img.acl_dtype, img.format, img.dims, img.dims_v2, img.size) == (ACL_UINT8, NHWC, (1, 4, 4, 3),
                                                                            (1, 3, 4, 4), 24)
    assert img.aipp == {"aipp_mode": "static", "input_format": "YUV420SP_U8", "csc_switch": True,
                        "matrix_r0c0": 298, "matrix_r2c1": -100, "var_reci_chn_0": 0.5}
    assert img.aipp_mode == "static_aipp"
    # Output names as a device reports them: node:port
    assert [(t.name, t.acl_dtype, t.dims, t.size) for t in m.outputs] == [("y:0", ACL_FLOAT, (-1, 10), -1),
                                                                          ("idx:1", ACL_INT32, (1,), 4)]
    assert m.dynamic_batch == (4, 1, 2)  # in the order given
    assert (m.soc_version, m.atc_version) == ("Ascend310P3", "acllite 0.1.0")
    assert "runs on the emulator only" in m.attributes[om.EMULATOR_ONLY_ATTR]


def test_it_carries_the_onnx_model() -> None:
    data = om.build(spec(onnx=b"0123456789" * 1000))
    assert bytes(om.embedded_onnx(data)) == b"0123456789" * 1000


def test_image_size_and_dims_gears() -> None:
    m = om.parse(om.build(spec(gears={"hw": [(224, 224), (448, 320)]})))
    assert m.dynamic_hw == ((224, 224), (448, 320)) and m.dynamic_batch == ()
    m = om.parse(om.build(spec(gears={"dims": [(1, 8), (1, 16), (2, 16)]})))
    assert m.dynamic_dims == ((1, 8), (1, 16), (2, 16))


def test_negative_and_large_values_survive_the_wire() -> None:
    big = om.TensorSpec("b", ACL_FLOAT, ND, (2 ** 40, -1, 0))
    m = om.parse(om.build(spec(inputs=[big])))
    assert m.inputs[0].dims == (2 ** 40, -1, 0)


def test_an_atc_made_file_carries_no_onnx() -> None:
    from pathlib import Path

    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "om" / "a3c_pong_model.om"
    if not shared.is_file():
        pytest.skip("../shared/data/om is not beside the checkout")
    assert om.embedded_onnx(shared.read_bytes()) is None


def test_a_type_without_a_modeldef_number_is_refused() -> None:
    with pytest.raises(ValueError, match="aclDataType 13 has no ModelDef type"):
        om.build(spec(inputs=[om.TensorSpec("s", 13, ND, (1,))]))


def test_shape_ranges_and_dynamic_aipp_inputs_survive_the_wire() -> None:
    """What ATC records for --input_shape_range and dynamic AIPP: the tensor's shape_range (list_list_int), the
    AippData op carrying the parameters, _data_related_aipp_mode and _dynamic_aipp_input_dims."""
    ranged = om.TensorSpec("ids", ACL_INT32, ND, (1, -1), shape_range=((1, 1), (1, -1)))
    image = om.TensorSpec("img", ACL_UINT8, NHWC, (1, 224, 224, 3), aipp_mode="dynamic_aipp",
                          dynamic_aipp_dims=(1, 224, 224, 3))
    params = om.TensorSpec("ascend_dynamic_aipp_data", ACL_UINT8, ND, (3200,), op_type="AippData",
                           attrs={"_related_aipp_input_rank": 1})
    out = om.TensorSpec("y", ACL_FLOAT, ND, (1, -1), shape_range=((1, 1), (1, 16)))
    m = om.parse(om.build(spec(inputs=[ranged, image, params], outputs=[out], gears={})))
    ids, img, data = m.inputs
    assert (ids.dims, ids.shape_range, ids.op_type) == ((1, -1), ((1, 1), (1, -1)), "Data")
    assert (img.aipp_mode, img.dims, img.aipp, img.shape_range) == ("dynamic_aipp", (1, 224, 224, 3), None, ())
    assert (data.op_type, data.dims, data.size) == ("AippData", (3200,), 3200)
    assert m.outputs[0].shape_range == ((1, 1), (1, 16))
    with pytest.raises(ValueError, match="not 'Const'"):
        om.build(spec(inputs=[om.TensorSpec("c", ACL_FLOAT, ND, (1,), op_type="Const")]))


def test_inspect_shows_ranges_and_dynamic_aipp(tmp_path: Any) -> None:
    from acllite.tools import inspect

    ranged = om.TensorSpec("ids", ACL_INT32, ND, (1, -1), shape_range=((1, 1), (1, -1)))
    image = om.TensorSpec("img", ACL_UINT8, NHWC, (1, 8, 8, 3), aipp_mode="dynamic_aipp")
    params = om.TensorSpec("ascend_dynamic_aipp_data", ACL_UINT8, ND, (3200,), op_type="AippData")
    path = tmp_path / "r.om"
    path.write_bytes(om.build(spec(inputs=[ranged, image, params], gears={"dims": [(1, 8), (1, 16)]})))
    text = inspect.format_text(inspect.describe(path))
    assert "[1, -1] range [1~1, 1~inf]" in text
    assert "[1, 8, 8, 3] dynamic AIPP" in text and "[3200] (dynamic AIPP parameters)" in text
    assert "dynamic dims:       1x8, 1x16" in text
