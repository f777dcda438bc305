"""Dynamic AIPP parameters written for an execution (``Model.execute(aipp=...)``).

The parameters come with the keys of a static AIPP configuration, resolved with ATC's defaults by
:meth:`acllite.formats.aipp.AippParams.resolve`; here they become an ``aclmdlAIPP`` (aclmdlCreateAIPP and its
setters) copied into the model's AippData input by aclmdlSetInputAIPP, then destroyed: the input's buffer holds
the parameters from then on.
"""

from __future__ import annotations

from typing import Any, Dict, Sequence

from ._native import ffi, lib
from .errors import check, raise_for

__all__ = ["write_dynamic_aipp", "INPUT_FORMATS"]

#: The aclAippInputFormat of each format dynamic AIPP runs on acllite's emulator (YVU420SP: YUV420SP with U and V
#: swapped, which resolve() has turned into rbuv_swap_switch).
INPUT_FORMATS = {"YUV420SP_U8": 1, "YVU420SP_U8": 1, "XRGB8888_U8": 2, "RGB888_U8": 3, "YUV400_U8": 4}
#: The parameters every image of a batch shares (the block's common part).
_COMMON = ("input_format", "src_image_size_w", "src_image_size_h", "csc_switch", "rbuv_swap_switch",
           "ax_swap_switch") + tuple("matrix_r%dc%d" % (r, c) for r in range(3) for c in range(3)) + tuple(
    "%s_bias_%d" % (kind, i) for kind in ("output", "input") for i in range(3))
_INVALID_PARAM = 100000


def write_dynamic_aipp(model_id: int, dataset: Any, data_index: int, images: Sequence[Dict[str, Any]]) -> None:
    """Write the resolved parameters of each image into the AippData input ``data_index`` of ``dataset``."""
    first = images[0]
    fmt = INPUT_FORMATS.get(first["input_format"])
    if fmt is None:
        raise ValueError("aipp=: input_format %s is not one dynamic AIPP runs (%s)" % (
            first["input_format"], ", ".join(INPUT_FORMATS)))
    for b, p in enumerate(images):
        differ = [k for k in _COMMON if p[k] != first[k]]
        if differ:
            raise ValueError("aipp=: image %d differs from image 0 in %s: the images of a batch share the input "
                             "format, the source size, the swaps and the CSC" % (b, ", ".join(differ)))
        if p["padding_value"]:
            raise ValueError("aipp=: image %d: dynamic AIPP pads with 0, not %r" % (b, p["padding_value"]))
    handle = lib.aclmdlCreateAIPP(len(images))
    if handle == ffi.NULL:
        raise_for(_INVALID_PARAM, "aclmdlCreateAIPP")
    try:
        check(lib.aclmdlSetAIPPInputFormat(handle, fmt), "aclmdlSetAIPPInputFormat")
        check(lib.aclmdlSetAIPPSrcImageSize(handle, first["src_image_size_w"], first["src_image_size_h"]),
              "aclmdlSetAIPPSrcImageSize")
        m = [int(first["matrix_r%dc%d" % (r, c)]) for r in range(3) for c in range(3)]
        ob, ib = ([int(first["%s_bias_%d" % (kind, i)]) for i in range(3)] for kind in ("output", "input"))
        check(lib.aclmdlSetAIPPCscParams(handle, int(first["csc_switch"]), m[0], m[1], m[2], m[3], m[4], m[5], m[6],
                                         m[7], m[8], ob[0], ob[1], ob[2], ib[0], ib[1], ib[2]),
              "aclmdlSetAIPPCscParams")
        check(lib.aclmdlSetAIPPRbuvSwapSwitch(handle, int(first["rbuv_swap_switch"])), "aclmdlSetAIPPRbuvSwapSwitch")
        check(lib.aclmdlSetAIPPAxSwapSwitch(handle, int(first["ax_swap_switch"])), "aclmdlSetAIPPAxSwapSwitch")
        for b, p in enumerate(images):
            check(lib.aclmdlSetAIPPCropParams(handle, int(p["crop"]), p["load_start_pos_w"], p["load_start_pos_h"],
                                              p["crop_size_w"], p["crop_size_h"], b), "aclmdlSetAIPPCropParams")
            check(lib.aclmdlSetAIPPPaddingParams(handle, int(p["padding"]), p["top_padding_size"],
                                                 p["bottom_padding_size"], p["left_padding_size"],
                                                 p["right_padding_size"], b), "aclmdlSetAIPPPaddingParams")
            mean, mn, var = ([p["%s_chn_%d" % (key, i)] for i in range(4)] for key in ("mean", "min", "var_reci"))
            check(lib.aclmdlSetAIPPDtcPixelMean(handle, mean[0], mean[1], mean[2], mean[3], b),
                  "aclmdlSetAIPPDtcPixelMean")
            check(lib.aclmdlSetAIPPDtcPixelMin(handle, mn[0], mn[1], mn[2], mn[3], b), "aclmdlSetAIPPDtcPixelMin")
            check(lib.aclmdlSetAIPPPixelVarReci(handle, var[0], var[1], var[2], var[3], b),
                  "aclmdlSetAIPPPixelVarReci")
        check(lib.aclmdlSetInputAIPP(model_id, dataset, data_index, handle), "aclmdlSetInputAIPP")
    finally:
        lib.aclmdlDestroyAIPP(handle)
