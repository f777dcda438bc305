"""acllite atc: the AIPP configuration parser, every AIPP feature against the documented arithmetic, dynamic
batch gears as the device exposes them, and the command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import pytest
from onnx import TensorProto, helper

import acllite
from acllite.tools import atc
from acllite.formats.aipp import AippConfigError, parse_aipp_text, reference_aipp
from acllite.binding import ffi, lib
from conftest import converted_onnx, expect_error, ok, requires_emulator

pytestmark = requires_emulator


def identity_model(path: Path, inputs: Sequence[Any] = (("input", [1, 3, 8, 8]),), batch: Any = None) -> Path:
    """out_i = in_i for each (name, shape); float32."""
    vis = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs]
    outs = [helper.make_tensor_value_info("out_%s" % n, TensorProto.FLOAT, s) for n, s in inputs]
    nodes = [helper.make_node("Identity", [n], ["out_%s" % n]) for n, _ in inputs]
    model = helper.make_model(helper.make_graph(nodes, "g", vis, outs), opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def convert(tmp_path: Path, cfg: str, model: Path = None, **options: str) -> Path:  # type: ignore[assignment]
    conf = tmp_path / "aipp.cfg"
    conf.write_text(cfg)
    src = model or identity_model(tmp_path / "id.onnx")
    return atc.convert(str(src), str(tmp_path / "converted"), insert_op_conf=str(conf), **options)


def resolved(cfg: str, chw: Sequence[int] = (3, 8, 8), index: int = 0) -> Dict[str, Any]:
    return parse_aipp_text(cfg)[index].resolve(tuple(chw))  # type: ignore[arg-type]


def run(device: Any, path: Path, *inputs: np.ndarray) -> List[np.ndarray]:
    with acllite.Model(path, device) as model:
        return model.execute(list(inputs))


# --------------------------------------------------------------------------------------------- parser


def test_parser_accepts_what_real_files_contain() -> None:
    text = ("# AIPP for two inputs\r\naipp_op{\r\n\taipp_mode:static\r\n\trelated_input_rank : 0 ;\r\n"
            "  input_format : YUV420SP_U8   # NV12 from DVPP\r\n  csc_switch: true, var_reci_chn_0:0.5\r\n}\r\n"
            "aipp_op { aipp_mode: static related_input_rank: 1 input_format: RGB888_U8 min_chn_2: -1.5e1 }\n")
    blocks = parse_aipp_text(text, "two.cfg")
    assert [b.line for b in blocks] == [2, 8]
    assert blocks[0].values == {"aipp_mode": "static", "related_input_rank": 0, "input_format": "YUV420SP_U8",
                                "csc_switch": True, "var_reci_chn_0": 0.5}
    assert blocks[1].values["min_chn_2"] == -15.0 and blocks[1].rank == 1


@pytest.mark.parametrize("text, fragment", [
    ("aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n colour: 1\n}", "x.cfg:4: unknown key 'colour'"),
    ("aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n crop: maybe\n}", "x.cfg:4: crop takes true or false"),
    ("aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n", "x.cfg:1: aipp_op block not closed"),
    ("aipp_op {\n aipp_mode: static\n}", "x.cfg:1: aipp_op has no input_format"),
    ("aipp_op {\n input_format: RGB888_U8\n}", "x.cfg:1: aipp_op has no aipp_mode"),
    ("aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n mean_chn_0: 1\n mean_chn_0: 2\n}",
     "x.cfg:5: mean_chn_0 is set twice"),
    ("aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n src_image_size_w: 2.5\n}",
     "x.cfg:4: src_image_size_w takes an integer"),
    ("aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n min_chn_0: @\n}", "x.cfg:4: cannot read '@'"),
    ("aipp_op {\n aipp_mode: static input_format: RGB888_U8 }\naipp_op { aipp_mode: static input_format: "
     "RGB888_U8 }", "several aipp_op blocks for related_input_rank [0]"),
    ("aipp {\n}", "x.cfg:1: expected 'aipp_op {'"),
    ("aipp_op {\n aipp_mode static\n}", "x.cfg:2: expected ':' after aipp_mode"),
    ("", "x.cfg: no aipp_op block"),
])
def test_parser_names_the_line_of_every_error(text: str, fragment: str) -> None:
    with pytest.raises(AippConfigError) as info:
        parse_aipp_text(text, "x.cfg")
    assert fragment in str(info.value)


@pytest.mark.parametrize("extra, fragment", [
    ("aipp_mode: dynamic", "input_format cannot be set with aipp_mode dynamic"),
    ("resize: true", "resize is not emulated"),
    ("src_image_size_w: 10\nsrc_image_size_h: 8", "the source image is 10x8 but the model input (8x8) needs 8x8"),
    ("crop: true\nsrc_image_size_w: 8\nsrc_image_size_h: 8\nload_start_pos_w: 2\ncrop_size_w: 8\ncrop_size_h: 8",
     "leaves the 8x8 source image"),
    ("crop: true\nsrc_image_size_w: 12\nsrc_image_size_h: 12\nload_start_pos_w: 1", "YUV420SP needs even load_start_pos_w"),
])
def test_resolve_rejects_what_atc_rejects(extra: str, fragment: str) -> None:
    text = "aipp_op {\n aipp_mode: static\n input_format: YUV420SP_U8\n %s\n}" % extra.replace(
        "aipp_mode: dynamic", "")
    if "dynamic" in extra:
        text = "aipp_op {\n aipp_mode: dynamic\n input_format: YUV420SP_U8\n}"
    with pytest.raises(AippConfigError, match=re.escape(fragment)):
        parse_aipp_text(text, "y.cfg")[0].resolve((3, 8, 8))


def test_csc_defaults_are_atcs_bt601_narrow_range() -> None:
    p = resolved("aipp_op { aipp_mode: static input_format: YUV420SP_U8 csc_switch: true }")
    rows = [[p["matrix_r%dc%d" % (r, c)] for c in range(3)] for r in range(3)]
    assert rows == [[298, 516, 0], [298, -100, -208], [298, 0, 409]]  # B, G, R
    assert [p["input_bias_%d" % i] for i in range(3)] == [16, 128, 128]
    q = resolved("aipp_op { aipp_mode: static input_format: RGB888_U8 csc_switch: true }")
    assert [q["matrix_r0c%d" % c] for c in range(3)] == [66, 129, 25]
    assert [q["output_bias_%d" % i] for i in range(3)] == [16, 128, 128]


def test_reference_formula_on_known_pixels() -> None:
    """Checks the numpy reference itself, by hand: video white and black through the default YUV->BGR matrix."""
    p = resolved("aipp_op { aipp_mode: static input_format: YUV420SP_U8 csc_switch: true\n"
                 "src_image_size_w: 2 src_image_size_h: 2 }", (3, 2, 2))
    white = np.array([235, 235, 235, 235, 128, 128], np.uint8)  # Y = 235, U = V = 128
    assert reference_aipp(p, white).tolist() == np.full((3, 2, 2), 255.0).tolist()  # 298*219/256 = 254.9 -> 255
    black = np.array([16, 16, 16, 16, 128, 128], np.uint8)
    assert not reference_aipp(p, black).any()
    # a pure-blue-ish chroma: only B rises: 298*(81-16)/256 + 516*(240-128)/256 = 75.7 + 225.75 -> 301 -> 255
    blue = np.array([81, 81, 81, 81, 240, 110], np.uint8)
    out = reference_aipp(p, blue)[:, 0, 0]
    assert out[0] == 255 and out[1] == np.floor(298 * 65 / 256 - 100 * 112 / 256 - 208 * -18 / 256 + 0.5)


# ----------------------------------------------------------------------------- AIPP features on the emulator

_BASE = "aipp_op {\n aipp_mode: static\n input_format: %s\n%s\n}"


@pytest.mark.parametrize("fmt, extra, shape", [
    ("YUV420SP_U8", "csc_switch: true", (3, 8, 8)),
    ("YUV420SP_U8", "csc_switch: true\nmatrix_r0c0: 256\nmatrix_r0c1: 0\nmatrix_r0c2: 359\nmatrix_r1c0: 256\n"
     "matrix_r1c1: -88\nmatrix_r1c2: -183\nmatrix_r2c0: 256\nmatrix_r2c1: 454\nmatrix_r2c2: 0\ninput_bias_0: 0\n"
     "input_bias_1: 128\ninput_bias_2: 128", (3, 8, 8)),
    ("YVU420SP_U8", "csc_switch: true", (3, 8, 8)),
    ("YUV420SP_U8", "csc_switch: true\nrbuv_swap_switch: true", (3, 8, 8)),
    ("YUV420SP_U8", "csc_switch: false\nmean_chn_0: 16\nmean_chn_1: 128\nmean_chn_2: 128", (3, 8, 8)),
    ("YUV420SP_U8", "csc_switch: true\ncrop: true\nsrc_image_size_w: 16\nsrc_image_size_h: 12\nload_start_pos_w: 4\n"
     "load_start_pos_h: 2\ncrop_size_w: 8\ncrop_size_h: 8", (3, 8, 8)),
    ("YUV420SP_U8", "csc_switch: true\npadding: true\nleft_padding_size: 2\nright_padding_size: 2\n"
     "top_padding_size: 1\nbottom_padding_size: 3\nsrc_image_size_w: 4\nsrc_image_size_h: 4\n"
     "padding_value: -1.5", (3, 8, 8)),
    ("YUV420SP_U8", "csc_switch: true\nmean_chn_0: 10\nmean_chn_1: 20\nmean_chn_2: 30\nmin_chn_0: 0.5\n"
     "min_chn_1: 123.675\nmin_chn_2: 1\nvar_reci_chn_0: 0.0171\nvar_reci_chn_1: 2\nvar_reci_chn_2: -1", (3, 8, 8)),
    ("RGB888_U8", "min_chn_0: 123.675\nmin_chn_1: 116.28\nmin_chn_2: 103.53\nvar_reci_chn_0: 0.0171247538\n"
     "var_reci_chn_1: 0.0175070028\nvar_reci_chn_2: 0.0174291938", (3, 8, 8)),
    ("RGB888_U8", "rbuv_swap_switch: true", (3, 8, 8)),
    ("RGB888_U8", "csc_switch: true", (3, 8, 8)),
    ("XRGB8888_U8", "", (3, 8, 8)),
    ("XRGB8888_U8", "ax_swap_switch: true\nrbuv_swap_switch: true", (3, 8, 8)),
    ("YUV400_U8", "mean_chn_0: 100\nvar_reci_chn_0: 0.25", (1, 8, 8)),
])
def test_each_aipp_feature_matches_the_documented_formula(device: Any, tmp_path: Path, fmt: str, extra: str,
                                                          shape: Sequence[int]) -> None:
    cfg = _BASE % (fmt, extra)
    model = identity_model(tmp_path / "m.onnx", (("input", [1] + list(shape)),))
    path = convert(tmp_path, cfg, model)
    params = resolved(cfg, shape)
    size = {"YUV420SP_U8": 1.5, "YVU420SP_U8": 1.5, "RGB888_U8": 3, "XRGB8888_U8": 4, "YUV400_U8": 1}[fmt]
    n = int(params["src_image_size_w"] * params["src_image_size_h"] * size)
    rng = np.random.default_rng(5)
    for _ in range(3):
        image = rng.integers(0, 256, n, dtype=np.uint8)
        (out,) = run(device, path, image)
        np.testing.assert_allclose(out[0], reference_aipp(params, image), rtol=1e-6, atol=1e-4)


def test_several_inputs_get_their_own_aipp(device: Any, tmp_path: Path) -> None:
    model = identity_model(tmp_path / "two.onnx", (("a", [1, 3, 4, 4]), ("b", [1, 3, 4, 4])))
    cfg = ("aipp_op { aipp_mode: static related_input_rank: 1 input_format: RGB888_U8 mean_chn_0: 7 }\n"
           "aipp_op { aipp_mode: static related_input_rank: 0 input_format: YUV420SP_U8 csc_switch: true }\n")
    path = convert(tmp_path, cfg, model)
    pa, pb = resolved(cfg, (3, 4, 4), 1), resolved(cfg, (3, 4, 4), 0)
    a = np.arange(24, dtype=np.uint8) * 9
    b = np.arange(48, dtype=np.uint8) * 5
    with acllite.Model(path, device) as m:
        assert [(t.name, t.shape, t.nbytes) for t in m.inputs] == [("a", (1, 4, 4, 3), 24), ("b", (1, 4, 4, 3), 48)]
        oa, ob = m.execute([a, b])
        types = [ffi.new("aclmdlInputAippType *") for _ in range(2)]
        idx = ffi.new("size_t *")
        for i in range(2):
            ok(lib.aclmdlGetAippType(m.id, i, types[i], idx))
            assert types[i][0] == lib.ACL_DATA_WITH_STATIC_AIPP
        info = ffi.new("aclAippInfo *")
        ok(lib.aclmdlGetFirstAippInfo(m.id, 1, info))
        assert (info.inputFormat, info.meanChn0, info.srcImageSizeW) == (lib.ACL_RGB888_U8, 7, 4)
    np.testing.assert_allclose(oa[0], reference_aipp(pa, a), atol=1e-5)
    np.testing.assert_allclose(ob[0], reference_aipp(pb, b), atol=1e-5)


def test_aipp_description_and_info(device: Any, tmp_path: Path) -> None:
    cfg = _BASE % ("YUV420SP_U8", "csc_switch: true\nmin_chn_0: 1.5\nvar_reci_chn_2: 0.25\ncrop: true\n"
                   "src_image_size_w: 10\nsrc_image_size_h: 10\nload_start_pos_w: 2\nload_start_pos_h: 0")
    path = convert(tmp_path, cfg)
    with acllite.Model(path, device) as m:
        (t,) = m.inputs
        assert (t.shape, t.dtype, t.format_name, t.nbytes) == ((1, 10, 10, 3), np.dtype(np.uint8), "NHWC", 150)
        info = ffi.new("aclAippInfo *")
        ok(lib.aclmdlGetFirstAippInfo(m.id, 0, info))
        assert (info.inputFormat, info.srcImageSizeW, info.srcImageSizeH) == (lib.ACL_YUV420SP_U8, 10, 10)
        assert (info.cropSwitch, info.loadStartPosW, info.cropSizeW, info.cropSizeH) == (1, 2, 8, 8)
        assert (info.cscSwitch, info.matrixR0C1, info.inputBias1) == (1, 516, 128)
        assert (info.minChn0, info.varReciChn2, info.varReciChn0) == (1.5, 0.25, 1.0)
        assert info.shapeCount == 1 and info.outDims[0].srcSize == 150
        assert list(info.outDims[0].aippOutdims.dims[0:4]) == [1, 3, 8, 8]
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "out of range", lib.aclmdlGetFirstAippInfo, m.id, 1, info)


# ------------------------------------------------------------------------------------------- dynamic batch


def test_dynamic_batch_gears(device: Any, tmp_path: Path) -> None:
    cfg = _BASE % ("YUV420SP_U8", "csc_switch: true")
    path = convert(tmp_path, cfg, input_shape="input:-1,3,8,8", dynamic_batch_size="1,2,4")
    params = resolved(cfg)
    with acllite.Model(path, device) as m:
        assert [(t.name, t.shape, t.nbytes) for t in m.inputs] == [
            ("input", (-1, 8, 8, 3), 96 * 4), ("ascend_mbatch_shape_data", (1,), 8)]
        assert m.batch_gears == (1, 2, 4) and m.dynamic_input == 1
        assert m.outputs[0].nbytes == 768 * 4  # sized for the largest gear
        rng = np.random.default_rng(3)
        for batch in (4, 1, 2):
            images = rng.integers(0, 256, (batch, 96), dtype=np.uint8)
            (out,) = m.execute([images])
            assert out.shape == (batch, 3, 8, 8)
            np.testing.assert_allclose(out, np.stack([reference_aipp(params, i) for i in images]), atol=1e-5)
            assert m.current_output_dims(0) == (batch, 3, 8, 8)
        with pytest.raises(ValueError, match=r"batch 3 is not one of the model's gears \(1, 2, 4\)"):
            m.execute([np.zeros((3, 96), np.uint8)])
        # The raw API: the batch must be set through aclmdlSetDynamicBatchSize.
        ex = m.executor()
        expect_error(lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, "is 0, not one of the model's gears",
                     lib.aclmdlExecute, m.id, ex._in_ds, ex._out_ds)
        expect_error(lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, "batch 3 is not one of the model's gears (1,2,4)",
                     lib.aclmdlSetDynamicBatchSize, m.id, ex._in_ds, 1, 3)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "index 0 is not the model's dynamic batch input (1",
                     lib.aclmdlSetDynamicBatchSize, m.id, ex._in_ds, 0, 2)
        ok(lib.aclmdlSetDynamicBatchSize(m.id, ex._in_ds, 1, 2))
        ok(lib.aclmdlExecute(m.id, ex._in_ds, ex._out_ds))
        ex.close()


# -------------------------------------------------------------------------------------------- command line


def atc_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "acllite", "atc", *args], capture_output=True, text=True,
                          cwd="/", timeout=120)


def test_cli_converts_and_rejects_clearly(tmp_path: Path) -> None:
    model = identity_model(tmp_path / "id.onnx")
    conf = tmp_path / "a.cfg"
    conf.write_text(_BASE % ("YUV420SP_U8", "csc_switch: true"))
    out = tmp_path / "out" / "net"
    r = atc_cli("--framework=5", "--model=%s" % model, "--output=%s" % out, "--insert_op_conf=%s" % conf,
                "--soc_version=Ascend310", "--output_type=FP16", "--log=error")
    assert r.returncode == 0, r.stderr
    assert "ATC run success" in r.stdout and (tmp_path / "out" / "net.om").exists()
    assert not (tmp_path / "out" / "net.onnx").exists()
    saved = converted_onnx(tmp_path / "out" / "net.om")
    meta = {p.key: p.value for p in saved.metadata_props}
    assert meta["acllite.soc_version"] == "Ascend310"
    assert json.loads(meta["acllite.aipp.input"])["described_size"] == 96
    assert saved.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT16
    cases = [
        (["--framework=5", "--model=x", "--output=y", "--precision=high"], 2, "unknown option --precision"),
        (["--framework=3", "--model=%s" % model, "--output=%s" % out], 2, "only ONNX (5)"),
        (["--framework=5", "--model=%s" % (tmp_path / "none.onnx"), "--output=%s" % out], 1, "does not exist"),
        (["--framework=5", "--model=%s" % model, "--output=%s" % out, "--input_shape=input:1,-1,8,8",
          "--dynamic_batch_size=1,2"], 1, "only the first dimension may be -1"),
        (["--framework=5", "--model=%s" % model, "--output=%s" % out, "--input_shape=input:1~2,3,8,8",
          "--input_shape_range=input:[1~2,3,8,8]"], 1, "give the ranges in one of them"),
        (["--framework=5", "--model=%s" % model, "--output=%s" % out, "--input_shape=nope:1,3,8,8"], 1,
         "no input 'nope'"),
        (["--framework=5", "--model=%s" % model, "--output=%s" % out, "--dynamic_batch_size=2,x"], 1,
         "comma-separated batch sizes"),
        (["--framework=5", "--model=%s" % model, "--output=%s" % out, "--output_type=INT4"], 1, "FP32, FP16 or UINT8"),
        (["--framework=5", "--model=%s" % model, "--output=%s" % out, "--soc_version=Tesla"], 1, "--soc_version"),
        (["--framework=5", "--model=%s" % model, "--output=%s" % out, "--insert_op_conf=%s" % (tmp_path / "no.cfg")],
         1, "cannot read the AIPP configuration"),
    ]
    for args, code, fragment in cases:
        r = atc_cli(*args)
        assert r.returncode == code and fragment in r.stderr, (args, r.returncode, r.stderr)
