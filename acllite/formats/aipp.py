"""ATC's AIPP configuration (``--insert_op_conf``): parsing, checking, and the documented arithmetic.

The file is protobuf text format: one or more ``aipp_op { key : value ... }`` blocks. What real files contain is
accepted: ``aipp_op{`` without a space, ``key:value``, tabs, CRLF line ends, ``#`` comments, ``;``/``,``
separators, several blocks (one per model input, chosen by ``related_input_rank``). Anything not understood is an
:class:`AippConfigError` naming the file and line; nothing is silently ignored.

The arithmetic, in the order the hardware applies it (Huawei's AIPP documentation; defaults from ATC's own
source, graphengine ``ge_aipp_op.cc``):

1. **crop** (``crop``): the region ``load_start_pos_w/h`` + ``crop_size_w/h`` of the source image.
2. **swaps**: ``rbuv_swap_switch`` swaps R and B (RGB input) or U and V (YUV input); ``ax_swap_switch`` treats a
   4-channel input as RGBA and moves the alpha first (RGBA -> ARGB).
3. **color space conversion** (``csc_switch``), in fixed point with 8 fractional bits:
   YUV input: ``out = clip(round(M @ (in - input_bias) / 256), 0, 255)``;
   RGB input: ``out = clip(round(M @ in / 256) + output_bias, 0, 255)``.
   With ``csc_switch: true`` and no matrix, ATC fills in BT.601 narrow range: for YUV420SP input the rows are
   (298, 516, 0), (298, -100, -208), (298, 0, 409) with input biases (16, 128, 128), i.e. the output channels
   are **B, G, R**; for other inputs the RGB->YUV matrix (66, 129, 25), (-38, -74, 112), (112, -94, -18) with
   output biases (16, 128, 128). Rounding is to nearest (halves up) here; the hardware's exact rounding is not
   documented.
4. **data type conversion**: ``out_c = (in_c - mean_chn_c - min_chn_c) * var_reci_chn_c`` as float
   (var_reci defaults to 1.0).
5. **padding** (``padding``): ``left/right/top/bottom_padding_size`` pixels of ``padding_value`` (default 0).

Static AIPP is compiled into the model by ``acllite atc``. Dynamic AIPP (``aipp_mode: dynamic``) takes the
same parameters per execution from the model's AippData input, in the device's byte layout; the emulator applies
them in C (csrc/emu/model_aipp.c) with the arithmetic of :func:`reference_aipp`; ``resize`` and single-line mode
are rejected with a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple, Union

import numpy as np

#: The AIPP parameters that are switches (booleans in ATC's insert_op.proto), the rest being numbers.
AIPP_SWITCH_KEYS = ("crop", "padding", "csc_switch", "rbuv_swap_switch", "ax_swap_switch")

__all__ = ["AIPP_SWITCH_KEYS",
           "AippConfigError", "AippParams", "parse_aipp_config", "parse_aipp_text", "reference_aipp",
           "input_bytes", "source_images_bytes", "params_from_mapping", "INPUT_FORMATS", "AIPP_HEADER_BYTES",
           "AIPP_BATCH_BYTES"]

#: Accepted input formats -> (channels of the decoded image, bytes per pixel times 2 (for 4:2:0)).
INPUT_FORMATS = {
    "YUV420SP_U8": 3, "YVU420SP_U8": 3, "RGB888_U8": 3, "XRGB8888_U8": 4, "YUV400_U8": 1,
}
_YUV = ("YUV420SP_U8", "YVU420SP_U8", "YUV400_U8")

_YUV2RGB_DEFAULT = ((298, 516, 0), (298, -100, -208), (298, 0, 409))  # rows produce B, G, R
_RGB2YUV_DEFAULT = ((66, 129, 25), (-38, -74, 112), (112, -94, -18))

_INT_KEYS = ("related_input_rank", "max_src_image_size", "src_image_size_w", "src_image_size_h", "load_start_pos_w",
             "load_start_pos_h",
             "crop_size_w", "crop_size_h", "left_padding_size", "right_padding_size", "top_padding_size",
             "bottom_padding_size", "resize_output_w", "resize_output_h") + tuple(
    "matrix_r%dc%d" % (r, c) for r in range(3) for c in range(3)) + tuple(
    "%s_bias_%d" % (k, i) for k in ("input", "output") for i in range(3)) + tuple("mean_chn_%d" % i for i in range(4))
_FLOAT_KEYS = tuple("min_chn_%d" % i for i in range(4)) + tuple("var_reci_chn_%d" % i for i in range(4)) + (
    "padding_value",)
_BOOL_KEYS = ("crop", "resize", "padding", "csc_switch", "rbuv_swap_switch", "ax_swap_switch", "single_line_mode")
_ENUM_KEYS = ("aipp_mode", "input_format")
_INT32 = (-(1 << 31), (1 << 31) - 1)
#: Value ranges (inclusive) ATC documents for static AIPP (its configuration template and aclAippInfo); 0 for a
#: size means "the model's". Every other integer must fit the int32_t it is stored in (aclAippInfo).
VALUE_RANGES: Dict[str, Tuple[float, float]] = dict(
    [("related_input_rank", (0, _INT32[1])), ("max_src_image_size", (0, _INT32[1]))]
    + [(k, (0, 4096)) for k in ("src_image_size_w", "src_image_size_h", "crop_size_w", "crop_size_h",
                                "resize_output_w", "resize_output_h")]
    + [(k, (0, 4095)) for k in ("load_start_pos_w", "load_start_pos_h")]
    + [("%s_padding_size" % k, (0, 32)) for k in ("left", "right", "top", "bottom")]
    + [("matrix_r%dc%d" % (r, c), (-(1 << 15), (1 << 15) - 1)) for r in range(3) for c in range(3)]
    + [("%s_bias_%d" % (k, i), (0, 255)) for k in ("input", "output") for i in range(3)]
    + [("mean_chn_%d" % i, (0, 255)) for i in range(4)]
    + [(k, (-65504.0, 65504.0)) for k in _FLOAT_KEYS])  # float16's range, as ATC stores them
_STRING_KEYS = ("related_input_name",)
KNOWN_KEYS = frozenset(_INT_KEYS + _FLOAT_KEYS + _BOOL_KEYS + _ENUM_KEYS + _STRING_KEYS)


class AippConfigError(ValueError):
    """The AIPP configuration cannot be used; the message names the file and line."""


@dataclass
class AippParams:
    """One ``aipp_op`` block, with ATC's defaults applied by :meth:`resolve`."""

    values: Dict[str, Any] = field(default_factory=dict)
    line: int = 0  #: where the block starts
    source: str = "<aipp config>"

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def input_format(self) -> str:
        return str(self.values["input_format"])

    @property
    def rank(self) -> int:
        return int(self.values.get("related_input_rank", 0))

    def _fail(self, text: str) -> AippConfigError:
        return AippConfigError("%s:%d: aipp_op: %s" % (self.source, self.line, text))

    def resolve(self, model_chw: Tuple[int, int, int]) -> Dict[str, Any]:
        """Check the block against the model input (C, H, W) it feeds and return every parameter explicitly."""
        v = dict(self.values)
        c, h, w = model_chw
        if v.get("aipp_mode") != "static":
            raise self._fail("aipp_mode must be static here (dynamic AIPP is applied per execution), got %r" %
                             v.get("aipp_mode"))
        fmt = v.get("input_format")
        if fmt not in INPUT_FORMATS:
            raise self._fail("input_format %r is not supported here (supported: %s)" % (fmt, ", ".join(INPUT_FORMATS)))
        for key in ("resize", "single_line_mode"):
            if v.get(key):
                raise self._fail("%s is not emulated" % key)
        for key in _BOOL_KEYS:
            v[key] = bool(v.get(key, False))
        if fmt == "YVU420SP_U8":  # NV21: NV12 with U and V swapped
            v["rbuv_swap_switch"] = not v["rbuv_swap_switch"]
        pads = [int(v.get(k, 0)) if v["padding"] else 0 for k in ("top_padding_size", "bottom_padding_size",
                                                                  "left_padding_size", "right_padding_size")]
        for k, p in zip(("top_padding_size", "bottom_padding_size", "left_padding_size", "right_padding_size"), pads):
            v[k] = p
            if p < 0:
                raise self._fail("%s is negative" % k)
        inner_h, inner_w = h - pads[0] - pads[1], w - pads[2] - pads[3]
        if inner_h <= 0 or inner_w <= 0:
            raise self._fail("the padding leaves no image inside the model's %dx%d input" % (w, h))
        if v["crop"]:
            v["crop_size_w"] = int(v.get("crop_size_w", 0)) or inner_w
            v["crop_size_h"] = int(v.get("crop_size_h", 0)) or inner_h
            v["load_start_pos_w"] = int(v.get("load_start_pos_w", 0))
            v["load_start_pos_h"] = int(v.get("load_start_pos_h", 0))
        else:
            v.update(crop_size_w=0, crop_size_h=0, load_start_pos_w=0, load_start_pos_h=0)
        src_w = int(v.get("src_image_size_w", 0)) or (inner_w if not v["crop"] else 0)
        src_h = int(v.get("src_image_size_h", 0)) or (inner_h if not v["crop"] else 0)
        if src_w <= 0 or src_h <= 0:
            raise self._fail("src_image_size_w/h must be set when crop is on")
        v["src_image_size_w"], v["src_image_size_h"] = src_w, src_h
        out_w = v["crop_size_w"] if v["crop"] else src_w
        out_h = v["crop_size_h"] if v["crop"] else src_h
        if (out_w, out_h) != (inner_w, inner_h):
            raise self._fail("the %s is %dx%d but the model input (%dx%d%s) needs %dx%d (resize is not emulated)" % (
                "crop" if v["crop"] else "source image", out_w, out_h, w, h, " with padding" if any(pads) else "",
                inner_w, inner_h))
        if v["crop"] and (v["load_start_pos_w"] + out_w > src_w or v["load_start_pos_h"] + out_h > src_h):
            raise self._fail("the crop [%d, %d) x [%d, %d) leaves the %dx%d source image" % (
                v["load_start_pos_w"], v["load_start_pos_w"] + out_w, v["load_start_pos_h"],
                v["load_start_pos_h"] + out_h, src_w, src_h))
        if fmt in ("YUV420SP_U8", "YVU420SP_U8"):
            odd = [k for k in ("src_image_size_w", "src_image_size_h", "load_start_pos_w", "load_start_pos_h")
                   if v[k] % 2]
            if odd:
                raise self._fail("YUV420SP needs even %s" % ", ".join(odd))
        channels = 1 if fmt == "YUV400_U8" else 3
        if channels != c:
            raise self._fail("input_format %s gives %d channel(s); the model input has %d" % (fmt, channels, c))
        if v["csc_switch"]:
            if fmt == "YUV400_U8":
                raise self._fail("csc_switch needs a 3-channel input format")
            yuv = fmt in _YUV
            matrix = _YUV2RGB_DEFAULT if yuv else _RGB2YUV_DEFAULT
            for r in range(3):
                for cc in range(3):
                    v.setdefault("matrix_r%dc%d" % (r, cc), matrix[r][cc])
            for i in range(3):
                v.setdefault("input_bias_%d" % i, (16, 128, 128)[i])
                v.setdefault("output_bias_%d" % i, (16, 128, 128)[i])
        else:
            for r in range(3):
                for cc in range(3):
                    v.setdefault("matrix_r%dc%d" % (r, cc), 0)
            for i in range(3):
                v.setdefault("input_bias_%d" % i, 0)
                v.setdefault("output_bias_%d" % i, 0)
        for i in range(4):
            v["mean_chn_%d" % i] = int(v.get("mean_chn_%d" % i, 0))
            v["min_chn_%d" % i] = float(v.get("min_chn_%d" % i, 0.0))
            v["var_reci_chn_%d" % i] = float(v.get("var_reci_chn_%d" % i, 1.0))
        v["padding_value"] = float(v.get("padding_value", 0.0))
        v.setdefault("related_input_rank", 0)
        v["input_format"] = fmt
        return v


_TOKEN_RE = re.compile(r'(#[^\n]*)|(\{)|(\})|([:;,])|("(?:[^"\\\n]|\\.)*")|([-+]?[A-Za-z0-9_.+-]+)|(\n)|([ \t]+)')
_KINDS = ("comment", "open", "close", "sep", "string", "word", "newline", "space")


def _tokens(text: str, source: str) -> List[Tuple[str, str, int]]:
    """(kind, text, line) tokens, without comments and white space."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    line, pos = 1, 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            bad = text[pos:].split("\n", 1)[0]
            raise AippConfigError("%s:%d: cannot read %r" % (source, line, bad[:40]))
        kind = _KINDS[(m.lastindex or 1) - 1]
        if kind == "newline":
            line += 1
        elif kind not in ("comment", "space"):
            out.append((kind, m.group(), line))
        pos = m.end()
    return out


def _convert(key: str, raw: str, kind: str, where: str) -> Any:
    if key in _STRING_KEYS:
        return raw[1:-1] if kind == "string" else raw
    if kind == "string":
        raise AippConfigError("%s: %s takes %s, not a quoted string" % (where, key, "a number" if key not in
                                                                           _BOOL_KEYS + _ENUM_KEYS else "a word"))
    if key in _BOOL_KEYS:
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
        raise AippConfigError("%s: %s takes true or false, not %r" % (where, key, raw))
    if key in _ENUM_KEYS:
        if key == "aipp_mode" and raw not in ("static", "dynamic"):
            raise AippConfigError("%s: aipp_mode takes static or dynamic, not %r" % (where, raw))
        return raw
    try:
        value = float(raw) if key in _FLOAT_KEYS else int(raw, 0)
    except ValueError:
        raise AippConfigError("%s: %s takes %s, not %r" % (where, key, "a number" if key in _FLOAT_KEYS
                                                           else "an integer", raw)) from None
    lo, hi = VALUE_RANGES.get(key, _INT32)
    if not lo <= value <= hi:  # NaN fails both comparisons: refused too
        raise AippConfigError("%s: %s %s is outside %s to %s%s" % (
            where, key, raw, _num(lo), _num(hi), "" if key in VALUE_RANGES else " (an int32)"))
    return value


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def parse_aipp_text(text: str, source: str = "<aipp config>") -> List[AippParams]:
    """Parse the text of an AIPP configuration into its ``aipp_op`` blocks (in file order)."""
    toks = _tokens(text, source)
    blocks: List[AippParams] = []
    i = 0
    while i < len(toks):
        kind, word, line = toks[i]
        if kind == "sep":
            i += 1
            continue
        if kind != "word" or word != "aipp_op":
            raise AippConfigError("%s:%d: expected 'aipp_op {', found %r" % (source, line, word))
        if i + 1 >= len(toks) or toks[i + 1][0] != "open":
            raise AippConfigError("%s:%d: expected '{' after aipp_op" % (source, line))
        block = AippParams(line=line, source=source)
        i += 2
        while True:
            if i >= len(toks):
                raise AippConfigError("%s:%d: aipp_op block not closed (missing '}')" % (source, line))
            kind, word, kline = toks[i]
            where = "%s:%d" % (source, kline)
            if kind == "close":
                i += 1
                break
            if kind == "sep":
                i += 1
                continue
            if kind != "word":
                raise AippConfigError("%s: expected a key, found %r" % (where, word))
            if word not in KNOWN_KEYS:
                raise AippConfigError("%s: unknown key %r in aipp_op" % (where, word))
            if i + 2 >= len(toks) or toks[i + 1][0:2] != ("sep", ":"):
                raise AippConfigError("%s: expected ':' after %s" % (where, word))
            vkind, vraw, _ = toks[i + 2]
            if vkind not in ("word", "string"):
                raise AippConfigError("%s: %s has no value" % (where, word))
            if word in block.values:
                raise AippConfigError("%s: %s is set twice in one aipp_op" % (where, word))
            block.values[word] = _convert(word, vraw, vkind, where)
            i += 3
        if "aipp_mode" not in block.values:
            raise AippConfigError("%s:%d: aipp_op has no aipp_mode (static or dynamic)" % (source, line))
        if block.values["aipp_mode"] == "dynamic":  # the parameters come per execution: only where and how big
            extra = sorted(set(block.values) - {"aipp_mode", "related_input_rank", "related_input_name",
                                                "max_src_image_size"})
            if extra:
                raise AippConfigError("%s:%d: aipp_op: %s cannot be set with aipp_mode dynamic (the program sets the "
                                      "parameters per execution)" % (source, line, ", ".join(extra)))
            if not block.values.get("max_src_image_size"):
                raise AippConfigError("%s:%d: aipp_op: aipp_mode dynamic needs max_src_image_size" % (source, line))
        elif "input_format" not in block.values:
            raise AippConfigError("%s:%d: aipp_op has no input_format" % (source, line))
        blocks.append(block)
    if not blocks:
        raise AippConfigError("%s: no aipp_op block" % source)
    ranks = [b.rank for b in blocks]
    dupes = sorted({r for r in ranks if ranks.count(r) > 1})
    if dupes:
        raise AippConfigError("%s: several aipp_op blocks for related_input_rank %s" % (source, dupes))
    return blocks


def params_from_mapping(values: Mapping[str, Any], source: str = "aipp=") -> AippParams:
    """An ``aipp_op`` block given as a mapping (``acllite.Model.execute(aipp=...)``): the keys and values of a
    configuration file, checked as the file's are (unknown keys, types, documented ranges)."""
    out: Dict[str, Any] = {}
    for key, value in values.items():
        if key not in KNOWN_KEYS:
            raise AippConfigError("%s: %r is not a key of an aipp_op block" % (source, key))
        if isinstance(value, np.bool_):
            value = bool(value)
        if isinstance(value, (str, bool, int, float, np.integer, np.floating)):
            text = value if isinstance(value, str) else str(value)
            out[key] = _convert(key, text, "word", source)
        else:
            raise AippConfigError("%s: %s takes a number, a boolean or a word, not %s" % (source, key,
                                                                                        type(value).__name__))
    return AippParams(out, source=source)


def parse_aipp_config(path: Union[str, Path]) -> List[AippParams]:
    """Parse an AIPP configuration file."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except OSError as exc:
        raise AippConfigError("%s: cannot read the AIPP configuration: %s" % (p, exc.strerror)) from None
    except UnicodeDecodeError:
        raise AippConfigError("%s: the AIPP configuration is not UTF-8 text" % p) from None
    return parse_aipp_text(text, str(p))


def input_bytes(params: Dict[str, Any]) -> int:
    """Bytes of one source image in the AIPP input format (W*H*3/2 for YUV420SP)."""
    w, h, fmt = params["src_image_size_w"], params["src_image_size_h"], params["input_format"]
    per = {"YUV420SP_U8": 1.5, "YVU420SP_U8": 1.5, "RGB888_U8": 3, "XRGB8888_U8": 4, "YUV400_U8": 1}[fmt]
    return int(w * h * per)


def source_images_bytes(input_format: str, shape: Tuple[int, ...]) -> int:
    """Bytes of the source images an AIPP input described as [N, H, W, C] holds in ``input_format``."""
    n, h, w = int(shape[0]), int(shape[1]), int(shape[2])
    return n * input_bytes({"input_format": input_format, "src_image_size_w": w, "src_image_size_h": h})


def _planes(params: Dict[str, Any], data: np.ndarray) -> np.ndarray:
    """The source image as float [C, H, W] in input channel order (YUV or RGB / ARGB)."""
    w, h, fmt = params["src_image_size_w"], params["src_image_size_h"], params["input_format"]
    flat = np.asarray(data, np.uint8).reshape(-1).astype(np.float64)
    if fmt in ("YUV420SP_U8", "YVU420SP_U8"):
        y = flat[: w * h].reshape(h, w)
        uv = flat[w * h: w * h * 3 // 2].reshape(h // 2, w // 2, 2)
        uv = uv.repeat(2, axis=0).repeat(2, axis=1)
        return np.stack([y, uv[..., 0], uv[..., 1]])
    if fmt == "YUV400_U8":
        return flat[: w * h].reshape(1, h, w)
    c = 3 if fmt == "RGB888_U8" else 4
    return flat[: w * h * c].reshape(h, w, c).transpose(2, 0, 1)


def reference_aipp(params: Dict[str, Any], data: np.ndarray) -> np.ndarray:
    """The documented AIPP arithmetic in numpy (float64), for one image: returns float32 [C, H, W].

    ``params`` is :meth:`AippParams.resolve`'s output; ``data`` the image bytes in the input format."""
    img = _planes(params, data)
    if params["crop"]:
        x, y = params["load_start_pos_w"], params["load_start_pos_h"]
        img = img[:, y:y + params["crop_size_h"], x:x + params["crop_size_w"]]
    fmt = params["input_format"]
    if fmt == "XRGB8888_U8":
        img = img[[3, 0, 1, 2]] if params["ax_swap_switch"] else img  # RGBA -> ARGB
        img = img[1:4]
    if params["rbuv_swap_switch"] and img.shape[0] == 3:
        img = img[[0, 2, 1]] if fmt in _YUV else img[[2, 1, 0]]
    if params["csc_switch"]:
        m = np.array([[params["matrix_r%dc%d" % (r, c)] for c in range(3)] for r in range(3)], np.float64)
        if fmt in _YUV:
            bias = np.array([params["input_bias_%d" % i] for i in range(3)], np.float64)
            img = np.floor(np.einsum("rc,chw->rhw", m, img - bias[:, None, None]) / 256.0 + 0.5)
        else:
            bias = np.array([params["output_bias_%d" % i] for i in range(3)], np.float64)
            img = np.floor(np.einsum("rc,chw->rhw", m, img) / 256.0 + 0.5) + bias[:, None, None]
        img = np.clip(img, 0, 255)
    c = img.shape[0]
    mean = np.array([params["mean_chn_%d" % i] for i in range(c)], np.float64)[:, None, None]
    mn = np.array([params["min_chn_%d" % i] for i in range(c)], np.float64)[:, None, None]
    var = np.array([params["var_reci_chn_%d" % i] for i in range(c)], np.float64)[:, None, None]
    img = (img - mean - mn) * var
    if params["padding"]:
        img = np.pad(img, ((0, 0), (params["top_padding_size"], params["bottom_padding_size"]),
                           (params["left_padding_size"], params["right_padding_size"])),
                     constant_values=params["padding_value"])
    return img.astype(np.float32)


# ---- dynamic AIPP: the parameter block of the AippData input ----
#: The block's layout (CANN's kAippDynamicPara / kAippDynamicBatchPara, docs/MODELS.md): a 64-byte common part,
#: then 96 bytes per batch element. The emulator writes (aclmdlSetInputAIPP) and applies it in C
#: (csrc/emu/model_aipp.c); :func:`reference_aipp` is the same arithmetic in numpy, the tests' reference.
AIPP_HEADER_BYTES = 64
AIPP_BATCH_BYTES = 96
