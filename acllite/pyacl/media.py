"""``acl.media``: DVPP (acldvpp*), VDEC (aclvdec*) and VENC (aclvenc*), pyACL-style.

Every function calls the C function it wraps (the catalog names it): on CANN the real ``libacl_dvpp.so``, on the
emulator whatever it emulates (a function it does not emulate answers ACL_ERROR_API_NOT_SUPPORT, or a 0 handle,
and says so in ``acl.get_recent_err_msg()``). Most functions are generated from the catalog; below are the batch
calls (Python lists of ROI handles), the channel parameters, and the VDEC/VENC callbacks.

VDEC/VENC callbacks are delivered as pyACL does: ``fn(input_stream_desc, output_pic_desc, user_data)`` for VDEC
and ``fn(input_pic_desc, output_stream_desc, user_data)`` for VENC, descriptions as ints, ``user_data`` the object
given to ``send_frame`` (one per frame). They run on the thread the channel description names
(``*_set_channel_desc_thread_id``) inside ``acl.rt.process_report``. An exception a callback raises is logged
(``acllite.pyacl``) and never reaches C; the next frames are delivered as usual.
"""

from __future__ import annotations

import itertools as _itertools
import threading as _threading
from typing import TYPE_CHECKING

from . import _generate
from ._common import UINTPTR as _UINTPTR, VOIDP as _VOIDP
from .._lifecycle import callback_scope as _callback_scope
from ._common import callback_failed as _callback_failed, cast as _cast, ffi as _ffi, lib as _lib, logger as _logger
from ._common import in_range as _in_range, integer as _integer, new as _new, on_finalize as _on_finalize
from ._common import pointer as _pointer, pointer_array as _pointer_array, pointer_cached as _vp
from ._common import sequence as _sequence

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Tuple

_generate.install(globals(), "media", __name__)

if TYPE_CHECKING:
    def __getattr__(name: str) -> Any:
        """The functions generated from the catalog are installed at import: to a type checker they are Any."""


def _i(value: Any, where: str) -> int:
    return value if type(value) is int else _integer(value, where)


def _p(value: Any, where: str) -> Any:
    return (_vp(value) if type(value) is int else None) or _pointer(value, where)


# ---------------------------------------------------------------------------------------- batches

#: The most pictures one batch call takes (acldvppVpcBatchCropAsync and the other batch calls document
#: roiNums[0] + ... + roiNums[size - 1] <= 256 and size <= 256, "consistent with batchSize of dstBatchPicDescs"):
#: a batch description of more pictures can never be used, so it is refused at creation.
BATCH_LIMIT = 256


def dvpp_create_batch_pic_desc(batch_size: int, /) -> int:
    """A batch of ``batch_size`` picture descriptions (``acl.media.dvpp_get_pic_desc(batch, i)`` gives each);
    0 on failure, and for a batch_size of 0 or above 256 (logged), without asking the device."""
    n = _i(batch_size, "acl.media.dvpp_create_batch_pic_desc: batch_size")
    if not 0 < n <= BATCH_LIMIT:
        if n < 0 or n > 0xFFFFFFFF:
            raise OverflowError("acl.media.dvpp_create_batch_pic_desc: batch_size %d does not fit a uint32_t" % n)
        _logger.error("acl.media.dvpp_create_batch_pic_desc: batch_size %d is not in 1..%d (the most pictures a "
                      "batch call takes); returning 0", n, BATCH_LIMIT)
        return 0
    return int(_cast(_UINTPTR, _lib.acldvppCreateBatchPicDesc(n)))


def _roi_nums(values: Any, where: str, check: bool) -> Tuple[Any, int]:
    """A uint32 array from pyACL's list of crop counts per source picture (1 to 256 entries, each at most 256,
    when ``check``: the limits pyACL applies to batch crop and crop-and-paste, as ValueError)."""
    items = _sequence(values, where)
    if check and not 0 < len(items) <= BATCH_LIMIT:
        raise ValueError("%s: number of crop areas must be between 1 and %d" % (where, BATCH_LIMIT))
    arr = _new("uint32_t[]", max(len(items), 1))
    for k, v in enumerate(items):
        v = _in_range(_i(v, "%s[%d]" % (where, k)), 32, False, "%s[%d]" % (where, k))
        if check and v > BATCH_LIMIT:
            raise ValueError("%s: number of crop areas must be between 1 and %d" % (where, BATCH_LIMIT))
        arr[k] = v
    return arr, len(items)


def _areas(values: Any, where: str, check: bool, item: str = "acldvppRoiConfig *") -> Tuple[Any, int]:
    items = _sequence(values, where)
    if check and not 0 < len(items) <= BATCH_LIMIT:
        raise ValueError("%s: number of crop areas must be between 1 and %d" % (where, BATCH_LIMIT))
    return _pointer_array(items, where, item), len(items)


def dvpp_vpc_batch_crop_async(channel_desc: int, src_batch_desc: int, roi_nums: List[int], dst_batch_desc: int,
                              crop_areas: List[int], stream: int, /) -> Tuple[int, int]:
    """``(dst_batch_desc, ret)``: ``roi_nums[i]`` crops of source picture i, in order, into the destination
    batch (lists of 1 to 256 entries, ValueError otherwise, as pyACL)."""
    w = "acl.media.dvpp_vpc_batch_crop_async"
    chan, src = _p(channel_desc, w + ": channel_desc"), _p(src_batch_desc, w + ": src_batch_desc")
    nums, size = _roi_nums(roi_nums, w + ": roi_nums", True)
    dst = _p(dst_batch_desc, w + ": dst_batch_desc")
    crops, _ = _areas(crop_areas, w + ": crop_areas", True)
    ret = _lib.acldvppVpcBatchCropAsync(chan, src, nums, size, dst, crops, _p(stream, w + ": stream"))
    return dst_batch_desc, ret


def dvpp_vpc_batch_crop_and_paste_async(channel_desc: int, src_batch_desc: int, roi_nums: List[int],
                                        dst_batch_desc: int, crop_areas: List[int], paste_areas: List[int],
                                        stream: int, /) -> Tuple[int, int]:
    """``(dst_batch_desc, ret)``; ``paste_areas`` as long as ``crop_areas`` (ValueError otherwise)."""
    w = "acl.media.dvpp_vpc_batch_crop_and_paste_async"
    chan, src = _p(channel_desc, w + ": channel_desc"), _p(src_batch_desc, w + ": src_batch_desc")
    nums, size = _roi_nums(roi_nums, w + ": roi_nums", True)
    dst = _p(dst_batch_desc, w + ": dst_batch_desc")
    crops, n_crops = _areas(crop_areas, w + ": crop_areas", True)
    pastes, n_pastes = _areas(paste_areas, w + ": paste_areas", False)
    if n_pastes != n_crops:
        raise ValueError("%s: %d paste areas for %d crop areas" % (w, n_pastes, n_crops))
    ret = _lib.acldvppVpcBatchCropAndPasteAsync(chan, src, nums, size, dst, crops, pastes, _p(stream, w + ": stream"))
    return dst_batch_desc, ret


def dvpp_vpc_batch_crop_resize_async(channel_desc: int, src_batch_desc: int, roi_nums: List[int],
                                     dst_batch_desc: int, crop_areas: List[int], resize_config: int,
                                     stream: int, /) -> int:
    w = "acl.media.dvpp_vpc_batch_crop_resize_async"
    chan, src = _p(channel_desc, w + ": channel_desc"), _p(src_batch_desc, w + ": src_batch_desc")
    nums, size = _roi_nums(roi_nums, w + ": roi_nums", False)
    dst = _p(dst_batch_desc, w + ": dst_batch_desc")
    crops, _ = _areas(crop_areas, w + ": crop_areas", False)
    return _lib.acldvppVpcBatchCropResizeAsync(chan, src, nums, size, dst, crops,
                                               _p(resize_config, w + ": resize_config"), _p(stream, w + ": stream"))


def dvpp_vpc_batch_crop_resize_paste_async(channel_desc: int, src_batch_desc: int, roi_nums: List[int],
                                           dst_batch_desc: int, crop_areas: List[int], paste_areas: List[int],
                                           resize_config: int, stream: int, /) -> int:
    w = "acl.media.dvpp_vpc_batch_crop_resize_paste_async"
    chan, src = _p(channel_desc, w + ": channel_desc"), _p(src_batch_desc, w + ": src_batch_desc")
    nums, size = _roi_nums(roi_nums, w + ": roi_nums", False)
    dst = _p(dst_batch_desc, w + ": dst_batch_desc")
    crops, _ = _areas(crop_areas, w + ": crop_areas", False)
    pastes, _ = _areas(paste_areas, w + ": paste_areas", False)
    return _lib.acldvppVpcBatchCropResizePasteAsync(chan, src, nums, size, dst, crops, pastes,
                                                    _p(resize_config, w + ": resize_config"),
                                                    _p(stream, w + ": stream"))


def dvpp_vpc_batch_crop_resize_make_border_async(channel_desc: int, src_batch_desc: int, roi_nums: List[int],
                                                 dst_batch_desc: int, crop_areas: List[int],
                                                 border_cfgs: List[int], resize_config: int, stream: int, /) -> int:
    w = "acl.media.dvpp_vpc_batch_crop_resize_make_border_async"
    chan, src = _p(channel_desc, w + ": channel_desc"), _p(src_batch_desc, w + ": src_batch_desc")
    nums, size = _roi_nums(roi_nums, w + ": roi_nums", False)
    dst = _p(dst_batch_desc, w + ": dst_batch_desc")
    crops, _ = _areas(crop_areas, w + ": crop_areas", False)
    borders, _ = _areas(border_cfgs, w + ": border_cfgs", False, "acldvppBorderConfig *")
    return _lib.acldvppVpcBatchCropResizeMakeBorderAsync(chan, src, nums, size, dst, crops, borders,
                                                         _p(resize_config, w + ": resize_config"),
                                                         _p(stream, w + ": stream"))


# ---------------------------------------------------------------------------------------- channel parameters


#: VDEC channel parameters of 8 bytes (the others are uint32s).
_VDEC_WIDE = (_lib.ACL_VDEC_THREAD_ID_UINT64, _lib.ACL_VDEC_CALLBACK_PTR)


def _param_length(param_type: int, wide: Tuple[int, ...]) -> int:
    """The bytes of a channel parameter, as its type's name says (_UINT64 and _PTR: 8; _UINT32 and enums: 4)."""
    return 8 if param_type in wide else 4


def dvpp_set_channel_desc_param(channel_desc: int, param_type: int, param: int, /) -> Tuple[int, int]:
    """``(channel_desc, ret)``: the parameter's value (a uint64 for ACL_DVPP_CHANNEL_ID_UINT64, else a uint32)
    passed by address with its size, as pyACL."""
    w = "acl.media.dvpp_set_channel_desc_param"
    cd, t = _p(channel_desc, w + ": channel_desc"), _i(param_type, w + ": param_type")
    length = _param_length(t, (_lib.ACL_DVPP_CHANNEL_ID_UINT64,))
    value = _new("uint64_t *", _in_range(_i(param, w + ": param"), 8 * length, False, w + ": param"))
    return channel_desc, _lib.acldvppSetChannelDescParam(cd, t, length, value)


def dvpp_get_channel_desc_param(channel_desc: int, param_type: int, /) -> Tuple[int, int, int]:
    """``(param_ret_size, value, ret)``."""
    w = "acl.media.dvpp_get_channel_desc_param"
    cd, t = _p(channel_desc, w + ": channel_desc"), _i(param_type, w + ": param_type")
    value, size = _new("uint64_t *"), _new("size_t *")
    ret = _lib.acldvppGetChannelDescParam(cd, t, _param_length(t, (_lib.ACL_DVPP_CHANNEL_ID_UINT64,)), size, value)
    return size[0], value[0], ret


def vdec_set_channel_desc_param(channel_desc: int, param_type: int, param: int, /) -> Tuple[int, int]:
    """``(channel_desc, ret)`` (as ``dvpp_set_channel_desc_param``)."""
    w = "acl.media.vdec_set_channel_desc_param"
    cd, t = _p(channel_desc, w + ": channel_desc"), _i(param_type, w + ": param_type")
    length = _param_length(t, _VDEC_WIDE)
    value = _new("uint64_t *", _in_range(_i(param, w + ": param"), 8 * length, False, w + ": param"))
    return channel_desc, _lib.aclvdecSetChannelDescParam(cd, t, length, value)


def vdec_get_channel_desc_param(channel_desc: int, param_type: int, /) -> Tuple[int, int, int]:
    """``(param_ret_size, value, ret)``."""
    w = "acl.media.vdec_get_channel_desc_param"
    cd, t = _p(channel_desc, w + ": channel_desc"), _i(param_type, w + ": param_type")
    value, size = _new("uint64_t *"), _new("size_t *")
    ret = _lib.aclvdecGetChannelDescParam(cd, t, _param_length(t, _VDEC_WIDE), size, value)
    return size[0], value[0], ret


# ---------------------------------------------------------------------------------------- VDEC/VENC callbacks


class _Callbacks:
    """The Python callbacks of one family (VDEC or VENC): one per channel description, and one pending entry per
    frame sent (its callable and user data), keyed by the id passed to C as the frame's userData."""

    def __init__(self, family: str, c_type: str, set_c: Callable[..., int]):
        self.family = family
        self.by_channel: Dict[int, Callable[..., Any]] = {}
        self.frames: Dict[int, Tuple[Callable[..., Any], Any]] = {}
        self.lock = _threading.Lock()
        self.keys = _itertools.count(1)
        self.set_c = set_c
        #: The one C callback of the family (made once, alive for the process).
        self.trampoline = _ffi.callback(c_type, self._deliver, onerror=self._cffi_error)
        _on_finalize(self.clear)

    def clear(self) -> None:
        with self.lock:
            self.by_channel.clear()
            self.frames.clear()

    def _deliver(self, first: Any, second: Any, user_data: Any) -> None:
        try:
            with self.lock:
                entry = self.frames.pop(int(_cast(_UINTPTR, user_data)), None)
            if entry is None:
                _logger.error("%s callback: a frame that acl.media did not send (userData %s); ignored",
                              self.family, user_data)
                return
            fn, data = entry
            with _callback_scope():  # acllite's objects dropped in there release later, never on this thread
                fn(int(_cast(_UINTPTR, first)), int(_cast(_UINTPTR, second)), data)
        except BaseException:  # noqa: B902 - nothing may propagate into C
            _callback_failed("acl.media.%s callback" % self.family)

    def _cffi_error(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _callback_failed("acl.media.%s callback" % self.family)

    def set(self, channel_desc: int, fn: Any, where: str) -> int:
        cd = _p(channel_desc, where + ": channel_desc")
        if not callable(fn):
            raise TypeError("%s: the callback must be callable, not %s" % (where, type(fn).__name__))
        with self.lock:
            self.by_channel[channel_desc] = fn
        return self.set_c(cd, self.trampoline)

    def get(self, channel_desc: int, where: str) -> Callable[..., Any]:
        _p(channel_desc, where + ": channel_desc")
        with self.lock:
            fn = self.by_channel.get(channel_desc)
        if fn is None:
            raise RuntimeError("%s: no callback was set on this channel description" % where)
        return fn

    def frame(self, channel_desc: int, user_data: Any, where: str) -> int:
        """Register a frame's delivery; the key to pass as userData. RuntimeError without a callback (pyACL)."""
        with self.lock:
            fn = self.by_channel.get(channel_desc)
            if fn is None:
                raise RuntimeError("%s: set the channel description's callback first" % where)
            key = next(self.keys)
            self.frames[key] = (fn, user_data)
        return key

    def unsent(self, key: int) -> None:
        with self.lock:
            self.frames.pop(key, None)

    def forget(self, channel_desc: int) -> None:
        with self.lock:
            self.by_channel.pop(channel_desc, None)


_vdec = _Callbacks("vdec", "aclvdecCallback", _lib.aclvdecSetChannelDescCallback)
_venc = _Callbacks("venc", "aclvencCallback", _lib.aclvencSetChannelDescCallback)


def vdec_set_channel_desc_callback(channel_desc: int, callback: Callable[[int, int, Any], Any], /) -> int:
    """``callback(input_stream_desc, output_pic_desc, user_data)`` per decoded frame (descriptions as ints)."""
    return _vdec.set(channel_desc, callback, "acl.media.vdec_set_channel_desc_callback")


def vdec_get_channel_desc_callback(channel_desc: int, /) -> Callable[..., Any]:
    """The Python callback set on the description (RuntimeError when none was set, as pyACL)."""
    return _vdec.get(channel_desc, "acl.media.vdec_get_channel_desc_callback")


def vdec_send_frame(channel_desc: int, input: int, output: int, config: int,  # noqa: A002 (pyACL's name)
                    user_data: Any, /) -> int:
    """Send one frame; its callback gets ``user_data`` back (any Python object)."""
    w = "acl.media.vdec_send_frame"
    cd, i, o = _p(channel_desc, w + ": channel_desc"), _p(input, w + ": input"), _p(output, w + ": output")
    c = _p(config, w + ": config")
    key = _vdec.frame(channel_desc, user_data, w)
    ret = _lib.aclvdecSendFrame(cd, i, o, c, _cast(_VOIDP, key))
    if ret:
        _vdec.unsent(key)
    return ret


def vdec_send_skipped_frame(channel_desc: int, input: int, config: int,  # noqa: A002
                            user_data: Any, /) -> int:
    w = "acl.media.vdec_send_skipped_frame"
    cd, i, c = _p(channel_desc, w + ": channel_desc"), _p(input, w + ": input"), _p(config, w + ": config")
    key = _vdec.frame(channel_desc, user_data, w)
    ret = _lib.aclvdecSendSkippedFrame(cd, i, c, _cast(_VOIDP, key))
    if ret:
        _vdec.unsent(key)
    return ret


def vdec_destroy_channel(channel_desc: int, /) -> int:
    """Destroy the channel (its pending frames are delivered first); once destroyed, the description's callback is
    forgotten (a refused destroy, e.g. from the channel's own callback, keeps the channel and its callback)."""
    ret = _lib.aclvdecDestroyChannel(_p(channel_desc, "acl.media.vdec_destroy_channel: channel_desc"))
    if ret == 0:
        _vdec.forget(channel_desc)
    return ret


def vdec_destroy_channel_desc(channel_desc: int, /) -> int:
    ret = _lib.aclvdecDestroyChannelDesc(_p(channel_desc, "acl.media.vdec_destroy_channel_desc: channel_desc"))
    if ret == 0:
        _vdec.forget(channel_desc)
    return ret


def venc_set_channel_desc_callback(channel_desc: int, callback: Callable[[int, int, Any], Any], /) -> int:
    """``callback(input_pic_desc, output_stream_desc, user_data)`` per encoded frame (descriptions as ints)."""
    return _venc.set(channel_desc, callback, "acl.media.venc_set_channel_desc_callback")


def venc_get_channel_desc_callback(channel_desc: int, /) -> Callable[..., Any]:
    return _venc.get(channel_desc, "acl.media.venc_get_channel_desc_callback")


def venc_send_frame(channel_desc: int, input: int, reserve: int, config: int,  # noqa: A002
                    user_data: Any, /) -> int:
    w = "acl.media.venc_send_frame"
    cd, i, r = _p(channel_desc, w + ": channel_desc"), _p(input, w + ": input"), _p(reserve, w + ": reserve")
    c = _p(config, w + ": config")
    key = _venc.frame(channel_desc, user_data, w)
    ret = _lib.aclvencSendFrame(cd, i, r, c, _cast(_VOIDP, key))
    if ret:
        _venc.unsent(key)
    return ret


def venc_destroy_channel(channel_desc: int, /) -> int:
    ret = _lib.aclvencDestroyChannel(_p(channel_desc, "acl.media.venc_destroy_channel: channel_desc"))
    if ret == 0:  # a refused destroy keeps the channel and its callback
        _venc.forget(channel_desc)
    return ret


def venc_destroy_channel_desc(channel_desc: int, /) -> int:
    ret = _lib.aclvencDestroyChannelDesc(_p(channel_desc, "acl.media.venc_destroy_channel_desc: channel_desc"))
    if ret == 0:
        _venc.forget(channel_desc)
    return ret


def venc_set_channel_desc_param(channel_desc: int, param_type: int, param: Any, /) -> int:
    """The value's type follows the parameter: ACL_VENC_CALLBACK_PTR a Python callable (as
    ``venc_set_channel_desc_callback``), ACL_VENC_BUF_ADDR_PTR a pointer, ACL_VENC_THREAD_ID_UINT64 a uint64,
    the others a uint32."""
    w = "acl.media.venc_set_channel_desc_param"
    cd, t = _p(channel_desc, w + ": channel_desc"), _i(param_type, w + ": param_type")
    if t == _lib.ACL_VENC_CALLBACK_PTR:
        if not callable(param):
            raise TypeError("%s: the callback must be callable" % w)
        with _venc.lock:
            _venc.by_channel[channel_desc] = param
        cell = _new("void **", _cast(_VOIDP, _venc.trampoline))
    elif t == _lib.ACL_VENC_BUF_ADDR_PTR:
        cell = _new("void **", _p(param, w + ": param"))
    elif t == _lib.ACL_VENC_THREAD_ID_UINT64:
        cell = _new("uint64_t *", _in_range(_i(param, w + ": param"), 64, False, w + ": param"))
    else:
        cell = _new("uint32_t *", _in_range(_i(param, w + ": param"), 32, False, w + ": param"))
    return _lib.aclvencSetChannelDescParam(cd, t, _ffi.sizeof(_ffi.typeof(cell).item), cell)


def venc_get_channel_desc_param(channel_desc: int, param_type: int, /) -> Tuple[Any, int]:
    """``(value, ret)``; for ACL_VENC_CALLBACK_PTR the Python callable (RuntimeError when none was set)."""
    w = "acl.media.venc_get_channel_desc_param"
    cd, t = _p(channel_desc, w + ": channel_desc"), _i(param_type, w + ": param_type")
    if t == _lib.ACL_VENC_CALLBACK_PTR:
        return _venc.get(channel_desc, w), 0
    size = _new("size_t *")
    if t == _lib.ACL_VENC_BUF_ADDR_PTR:
        cell = _new("void **")
        ret = _lib.aclvencGetChannelDescParam(cd, t, _ffi.sizeof("void *"), size, cell)
        return int(_cast(_UINTPTR, cell[0])), ret
    cell = _new("uint64_t *") if t == _lib.ACL_VENC_THREAD_ID_UINT64 else _new("uint32_t *")
    ret = _lib.aclvencGetChannelDescParam(cd, t, _ffi.sizeof(_ffi.typeof(cell).item), size, cell)
    return cell[0], ret


del annotations, TYPE_CHECKING  # keep dir(acl.media) to the API
