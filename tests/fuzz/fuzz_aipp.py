"""Fuzz target: the AIPP configuration parser (``acllite.aipp``), pure Python.

Per input: the bytes as UTF-8 (undecodable input is what ``parse_aipp_config`` refuses with AippConfigError,
checked through a file), ``parse_aipp_text``, then for every block ``resolve`` against a model input shape taken
from the input's first bytes, ``input_bytes`` and, for small pictures, ``reference_aipp`` on a deterministic
image. The only exception allowed is :class:`acllite.aipp.AippConfigError` with a message naming the source; a
resolved block must be self-consistent (sizes positive, the crop inside the source, every key present) and the
reference output must have the model's shape and be finite where the configuration is.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "aipp"
MAX_LEN = 4096
SOURCE = "fuzz.cfg"

with H.instrumented():
    import numpy as np
    from acllite.formats.aipp import AippConfigError, input_bytes, parse_aipp_config, parse_aipp_text, reference_aipp

_tmp = None


def setup() -> None:
    global _tmp
    _tmp = tempfile.mkdtemp(prefix="acllite-fuzz-aipp-")


def _split(data: bytes) -> tuple:
    """((C, H, W) of the model input, the configuration): an input whose first byte is 0xF8 or more (never UTF-8
    text) gives the shape in its second byte and the configuration after it; else (3, 8, 8) and all of it."""
    if len(data) >= 2 and data[0] >= 0xF8:
        b = data[1]
        return (1 if b & 0x80 else 3, 2 + (b & 0x7) * 2, 2 + ((b >> 3) & 0xF) * 2), data[2:]
    return (3, 8, 8), data


def one_input(data: bytes) -> None:
    (c, h, w), data = _split(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        path = os.path.join(_tmp, SOURCE)
        with open(path, "wb") as f:
            f.write(data)
        try:
            parse_aipp_config(path)
        except AippConfigError as exc:
            H.check("not UTF-8" in str(exc), "undecodable file refused with %r", str(exc))
            return
        raise H.Finding("parse_aipp_config accepted a file that is not UTF-8")
    try:
        blocks = parse_aipp_text(text, SOURCE)
    except AippConfigError as exc:
        H.check(str(exc).startswith(SOURCE), "the message does not name the source: %r", str(exc))
        return
    H.check(blocks, "no block and no error")
    ranks = [b.rank for b in blocks]
    H.check(len(set(ranks)) == len(ranks), "two blocks for one rank were accepted")
    for block in blocks:
        H.check(block.input_format and block.get("aipp_mode") in ("static", "dynamic"), "block without format/mode")
        try:
            p = block.resolve((c, h, w))
        except AippConfigError as exc:
            H.check(str(exc).startswith(SOURCE + ":"), "resolve's message does not name the source: %r", str(exc))
            continue
        _check_resolved(p, c, h, w)


def _check_resolved(p: dict, c: int, h: int, w: int) -> None:
    sw, sh = p["src_image_size_w"], p["src_image_size_h"]
    H.check(sw > 0 and sh > 0, "source size %sx%s", sw, sh)
    pads = [p[k] for k in ("top_padding_size", "bottom_padding_size", "left_padding_size", "right_padding_size")]
    H.check(all(x >= 0 for x in pads), "negative padding %s", pads)
    if p["crop"]:
        H.check(p["load_start_pos_w"] >= 0 and p["load_start_pos_h"] >= 0, "negative crop start")
        H.check(p["load_start_pos_w"] + p["crop_size_w"] <= sw and p["load_start_pos_h"] + p["crop_size_h"] <= sh,
                "the crop leaves the source")
    nbytes = input_bytes(p)
    H.check(nbytes > 0, "input_bytes %d", nbytes)
    if sw * sh > 4096:
        return
    img = (np.arange(nbytes, dtype=np.int64) * 37 % 251).astype(np.uint8)
    with np.errstate(all="ignore"):
        out = reference_aipp(p, img)
    H.check(out.shape == (c, h, w), "reference output %s, model input %s", out.shape, (c, h, w))
    finite = all(math.isfinite(p[k]) for k in p if k.startswith(("min_chn", "var_reci", "padding_value")))
    if finite and all(abs(p[k]) < 1e30 for k in p if k.startswith(("min_chn", "var_reci", "padding_value"))):
        H.check(np.isfinite(out).all(), "non-finite output from finite settings")


def make_seeds() -> dict:
    return {
        "yuv420_csc.cfg": b"aipp_op {\n  aipp_mode : static\n  input_format : YUV420SP_U8\n  csc_switch : true\n"
                          b"  rbuv_swap_switch : false\n  src_image_size_w : 8\n  src_image_size_h : 8\n"
                          b"  mean_chn_0 : 104\n  mean_chn_1 : 117\n  mean_chn_2 : 123\n"
                          b"  var_reci_chn_0 : 0.0171\n}\n",
        "rgb_crop_pad.cfg": b"# crop and pad\naipp_op{\naipp_mode:static\ninput_format:RGB888_U8\ncrop:true\n"
                            b"load_start_pos_w:2\nload_start_pos_h:2\ncrop_size_w:6\ncrop_size_h:4\n"
                            b"src_image_size_w:10\nsrc_image_size_h:8\npadding:true\ntop_padding_size:2\n"
                            b"bottom_padding_size:2\nleft_padding_size:1\nright_padding_size:1\npadding_value:0.5\n}\n",
        "two_blocks.cfg": b"aipp_op { aipp_mode: static input_format: XRGB8888_U8 ax_swap_switch: true "
                          b"related_input_rank: 0 }\r\naipp_op { aipp_mode: static input_format: YUV400_U8 "
                          b"related_input_rank: 1; min_chn_0: 1.5 }\r\n",
        "matrix.cfg": b"aipp_op {\n aipp_mode: static\n input_format: YVU420SP_U8\n csc_switch: true\n"
                      b" matrix_r0c0: 298 matrix_r0c1: 516 matrix_r0c2: 0\n matrix_r1c0: 298 matrix_r1c1: -100\n"
                      b" input_bias_0: 16 input_bias_1: 128 input_bias_2: 128\n related_input_name: \"data\"\n}\n",
        "shape_gray.bin": b"\xff\x8a" + b"aipp_op { aipp_mode: static input_format: YUV400_U8 }",
    }


if __name__ == "__main__":
    H.main(sys.modules[__name__])
