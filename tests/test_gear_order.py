"""Batch gears in the order the user gives them (issue 18, survivor 4: ``--dynamic_batch_size="4,1,2"`` silently
reordered to (1, 2, 4) went unnoticed because every test passed sorted gears).

What ATC and ACL do, from their sources and documentation:

* ATC's --dynamic_batch_size reference (CANN "ATC parameters", --dynamic_batch_size): "1,2,4,8" gives gear 0 =
  batch 1, gear 1 = batch 2, ... : gear i is the i-th value; 2 to 100 gears ("档位数取值范围为(1,100]"), each value
  recommended in [1, 2048].
* graphengine (compiler/graph/preprocess/multi_batch_options.cc): InitDynamicParams splits the option on ',' and
  keeps the values in order (empty items skipped, only digits accepted); CheckDynamicParams refuses fewer than 2
  gears and duplicates ("exist duplicate shapes"); option_utils.cc accepts only digits, ',' and ' '. The
  multi-batch pass writes gear i as the Case op's ``_pred_value_<i>``, and DavinciModel reads them back by index:
  aclmdlGetDynamicBatch (acl.mdl.get_dynamic_batch) reports them in the user's order (at most 128 entries:
  ACL_MAX_BATCH_NUM).
* The device sizes the inputs for the largest gear, wherever it is in the list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import acllite
import om_builder as ob
from acllite.binding import ffi, lib
from acllite.formats import om
from acllite.tools import atc, inspect
from conftest import converted_onnx, expect_error, ok, requires_emulator


def _scale_model(path: Path) -> Path:
    """y = 3 x, x float [N, 2, 4, 4]."""
    three = numpy_helper.from_array(np.array(3, np.float32), "three")
    graph = helper.make_graph([helper.make_node("Mul", ["x", "three"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])], [three])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def _convert(tmp_path: Path, gears: str) -> Path:
    return atc.convert(str(_scale_model(tmp_path / "scale.onnx")), str(tmp_path / "dyn"), input_shape="x:-1,2,4,4",
                       dynamic_batch_size=gears)


@pytest.mark.parametrize("text, gears", [("4,1,2", (4, 1, 2)), ("8, 2,16,1", (8, 2, 16, 1)), ("2,1,", (2, 1)),
                                         ("1,2,4,8", (1, 2, 4, 8))])
def test_atc_keeps_the_order(tmp_path: Path, text: str, gears: tuple) -> None:
    out = _convert(tmp_path, text)
    report = inspect.describe(out)
    assert report["dynamic_batch"] == list(gears)
    meta = {p.key: p.value for p in converted_onnx(out).metadata_props}
    assert meta["acllite.dynamic_batch"] == ",".join(map(str, gears))


@requires_emulator
def test_gear_index_is_the_position_given(acl: Any, tmp_path: Path) -> None:
    out = _convert(tmp_path, "4,1,2")
    with acllite.Device(0) as device, acllite.Model(out, device) as model:
        assert model.batch_gears == (4, 1, 2)
        desc = lib.aclmdlCreateDesc()
        try:
            ok(lib.aclmdlGetDesc(desc, model.id))
            batch = ffi.new("aclmdlBatch *")
            ok(lib.aclmdlGetDynamicBatch(desc, batch))
            assert [batch.batch[i] for i in range(batch.batchCount)] == [4, 1, 2]
            assert batch.batchCount == 3
            # the buffers are sized for the largest gear although it is not the last
            assert lib.aclmdlGetInputSizeByIndex(desc, 0) == 4 * 2 * 16 * 4
            assert lib.aclmdlGetOutputSizeByIndex(desc, 0) == 4 * 2 * 16 * 4
        finally:
            ok(lib.aclmdlDestroyDesc(desc))
        for b in (1, 4, 2):  # every gear runs, whatever its position
            x = np.random.default_rng(b).standard_normal((b, 2, 4, 4)).astype(np.float32)
            (y,) = model.execute([x])
            np.testing.assert_allclose(y, 3 * x, rtol=1e-6)
        with pytest.raises(ValueError, match=r"batch 3 is not one of the model's gears \(4, 1, 2\)"):
            model.execute([np.zeros((3, 2, 4, 4), np.float32)])
        ex = model.executor()
        try:
            expect_error(lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, "batch 3 is not one of the model's gears (4,1,2)",
                         lib.aclmdlSetDynamicBatchSize, model.id, ex._in_ds, 1, 3)
            ok(lib.aclmdlSetDynamicBatchSize(model.id, ex._in_ds, 1, 1))
        finally:
            ex.close()


@requires_emulator
def test_pyacl_get_dynamic_batch_in_order(acl: Any, tmp_path: Path) -> None:
    from acllite.pyacl import mdl

    out = _convert(tmp_path, "8,2,4")
    with acllite.Device(0) as device, acllite.Model(out, device) as model:
        desc = mdl.create_desc()
        try:
            assert mdl.get_desc(desc, model.id) == 0
            assert mdl.get_dynamic_batch(desc) == ({"batchCount": 3, "batch": [8, 2, 4]}, 0)
        finally:
            mdl.destroy_desc(desc)


def test_om_reader_keeps_the_recorded_order() -> None:
    """An OM records gear i as the Case op's _pred_value_<i> (or in MODEL_INOUT_INFO, in order)."""
    ops = [ob.op("x", "Data", {"index": 0}, [ob.tensor(ob.DT_FLOAT, [4, 2], "ND", 32)]),
           ob.op("case", "Case", {"_batch_num": 3, "mbatch_dynamic_type": 1, "_pred_value_0": [4],
                                  "_pred_value_1": [1], "_pred_value_2": [2]}),
           ob.op("out", "NetOutput", {}, [ob.tensor(ob.DT_FLOAT, [4, 2], "ND", 32)], src=[("y", 0)])]
    m = om.parse(ob.om_file(ob.V2, [[(0, ob.model_def("m", [ob.graph("m_0", ops)], {}))]]), "gears.om")
    assert m.dynamic_batch == (4, 1, 2)


@pytest.mark.parametrize("text, fragment", [
    ("4", "2 to 100 positive batch sizes"),  # ATC needs at least two gears
    ("1,2,2", "repeats a batch size"),
    ("4,1,4,2", "repeats a batch size"),
    ("0,2", "2 to 100 positive batch sizes"),
    ("-1,2", "digits, ',' and ' ' only"),
    ("+2,4", "digits, ',' and ' ' only"),
    ("2;4", "digits, ',' and ' ' only"),
    ("2,x", "comma-separated batch sizes"),
    (",".join(str(g) for g in range(1, 102)), "2 to 100 positive batch sizes"),
])
def test_atc_refuses_what_atc_refuses(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(atc.AtcError, match="--dynamic_batch_size") as info:
        _convert(tmp_path, text)
    assert fragment in str(info.value)


def test_atc_takes_100_gears(tmp_path: Path) -> None:
    gears = list(range(100, 0, -1))
    out = _convert(tmp_path, ",".join(map(str, gears)))
    assert inspect.describe(out)["dynamic_batch"] == gears


def test_atc_command_line_keeps_the_order(tmp_path: Path, capsys: Any) -> None:
    src = _scale_model(tmp_path / "scale.onnx")
    assert atc.main(["--framework=5", "--model=%s" % src, "--output=%s" % (tmp_path / "cli"),
                     "--input_shape=x:-1,2,4,4", '--dynamic_batch_size=4,1,2']) == 0
    assert "ATC run success" in capsys.readouterr().out
    assert inspect.describe(tmp_path / "cli.om")["dynamic_batch"] == [4, 1, 2]
