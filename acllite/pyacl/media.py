"""``acl.media``: DVPP image processing (acldvpp*), pyACL-style.

DVPP memory, channels, picture descriptions, ROI/resize/JPEG-encode configurations, VPC (resize, crop, paste,
colour conversion), JPEG and PNG decoding and JPEG encoding: thin shims over the binding, ints in and out.

Batch picture descriptions and the batch VPC calls are made here in Python from the single-picture calls (the
batch C API is not bound): ``dvpp_get_pic_desc(batch, i)`` hands out real picture descriptions, and a batch crop
queues one crop per output on the stream. Stream descriptions (acldvppStreamDesc, the frames of VDEC/VENC) are
plain Python descriptors. VDEC and VENC themselves are not available: their functions exist, so programs import,
and return ACL_ERROR_API_NOT_SUPPORT (or a 0 handle) when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import ACL_ERROR_API_NOT_SUPPORT as _NOT_SUPPORT
from ._common import ACL_ERROR_INVALID_PARAM as _INVALID_PARAM
from ._common import HandleTable as _HandleTable
from ._common import pointer as _ptr, pointer_cached as _vp
from ._common import UINTPTR as _UINTPTR, VOIDP as _VOIDP, cast as _cast, ffi as _ffi, lib as _lib, new as _new
from ._common import not_supported as _not_supported, scratch as _scratch
from ._common import stale_code as _stale_code

if TYPE_CHECKING:
    from typing import Any, List, Sequence, Tuple

_Malloc = _lib.acldvppMalloc
_Free = _lib.acldvppFree
_CreateChannelDesc = _lib.acldvppCreateChannelDesc
_DestroyChannelDesc = _lib.acldvppDestroyChannelDesc
_GetChannelDescChannelId = _lib.acldvppGetChannelDescChannelId
_SetChannelDescMode = _lib.acldvppSetChannelDescMode
_CreateChannel = _lib.acldvppCreateChannel
_DestroyChannel = _lib.acldvppDestroyChannel
_CreatePicDesc = _lib.acldvppCreatePicDesc
_DestroyPicDesc = _lib.acldvppDestroyPicDesc
_SetPicDescData = _lib.acldvppSetPicDescData
_SetPicDescSize = _lib.acldvppSetPicDescSize
_SetPicDescFormat = _lib.acldvppSetPicDescFormat
_SetPicDescWidth = _lib.acldvppSetPicDescWidth
_SetPicDescHeight = _lib.acldvppSetPicDescHeight
_SetPicDescWidthStride = _lib.acldvppSetPicDescWidthStride
_SetPicDescHeightStride = _lib.acldvppSetPicDescHeightStride
_SetPicDescRetCode = _lib.acldvppSetPicDescRetCode
_GetPicDescData = _lib.acldvppGetPicDescData
_GetPicDescSize = _lib.acldvppGetPicDescSize
_GetPicDescFormat = _lib.acldvppGetPicDescFormat
_GetPicDescWidth = _lib.acldvppGetPicDescWidth
_GetPicDescHeight = _lib.acldvppGetPicDescHeight
_GetPicDescWidthStride = _lib.acldvppGetPicDescWidthStride
_GetPicDescHeightStride = _lib.acldvppGetPicDescHeightStride
_GetPicDescRetCode = _lib.acldvppGetPicDescRetCode
_CreateRoiConfig = _lib.acldvppCreateRoiConfig
_DestroyRoiConfig = _lib.acldvppDestroyRoiConfig
_SetRoiConfigLeft = _lib.acldvppSetRoiConfigLeft
_SetRoiConfigRight = _lib.acldvppSetRoiConfigRight
_SetRoiConfigTop = _lib.acldvppSetRoiConfigTop
_SetRoiConfigBottom = _lib.acldvppSetRoiConfigBottom
_SetRoiConfig = _lib.acldvppSetRoiConfig
_CreateResizeConfig = _lib.acldvppCreateResizeConfig
_DestroyResizeConfig = _lib.acldvppDestroyResizeConfig
_SetResizeConfigInterpolation = _lib.acldvppSetResizeConfigInterpolation
_GetResizeConfigInterpolation = _lib.acldvppGetResizeConfigInterpolation
_CreateJpegeConfig = _lib.acldvppCreateJpegeConfig
_DestroyJpegeConfig = _lib.acldvppDestroyJpegeConfig
_SetJpegeConfigLevel = _lib.acldvppSetJpegeConfigLevel
_GetJpegeConfigLevel = _lib.acldvppGetJpegeConfigLevel
_VpcResizeAsync = _lib.acldvppVpcResizeAsync
_VpcCropAsync = _lib.acldvppVpcCropAsync
_VpcCropResizeAsync = _lib.acldvppVpcCropResizeAsync
_VpcCropAndPasteAsync = _lib.acldvppVpcCropAndPasteAsync
_VpcCropResizePasteAsync = _lib.acldvppVpcCropResizePasteAsync
_VpcConvertColorAsync = _lib.acldvppVpcConvertColorAsync
_JpegGetImageInfo = _lib.acldvppJpegGetImageInfo
_JpegGetImageInfoV2 = _lib.acldvppJpegGetImageInfoV2
_JpegPredictDecSize = _lib.acldvppJpegPredictDecSize
_JpegDecodeAsync = _lib.acldvppJpegDecodeAsync
_JpegPredictEncSize = _lib.acldvppJpegPredictEncSize
_JpegEncodeAsync = _lib.acldvppJpegEncodeAsync
_PngGetImageInfo = _lib.acldvppPngGetImageInfo
_PngPredictDecSize = _lib.acldvppPngPredictDecSize
_PngDecodeAsync = _lib.acldvppPngDecodeAsync

_UINT32_P = _ffi.typeof("uint32_t *")
_UINT32_2 = _ffi.typeof("uint32_t[2]")
_INT32_P = _ffi.typeof("int32_t *")
_JPEG_FORMAT_P = _ffi.typeof("acldvppJpegFormat *")
_NULL = _ffi.NULL


# ---------------------------------------------------------------------------------------- memory, channels


def dvpp_malloc(size: int) -> Tuple[int, int]:
    """``(dev_ptr, ret)``: DVPP memory (what DVPP reads and writes)."""
    cell, out = _scratch.addr
    cell[0] = 0
    ret = _Malloc(out, size)
    return cell[0], ret


def dvpp_free(dev_ptr: int) -> int:
    return _Free(_vp(dev_ptr) or _cast(_VOIDP, dev_ptr))


def dvpp_create_channel_desc() -> int:
    return int(_cast(_UINTPTR, _CreateChannelDesc()))


def dvpp_destroy_channel_desc(channel_desc: int) -> int:
    return _DestroyChannelDesc(_vp(channel_desc) or _cast(_VOIDP, channel_desc))


def dvpp_get_channel_desc_channel_id(channel_desc: int) -> int:
    return _GetChannelDescChannelId(_vp(channel_desc) or _ptr(channel_desc))


def dvpp_set_channel_desc_mode(channel_desc: int, mode: int) -> int:
    return _SetChannelDescMode(_vp(channel_desc) or _ptr(channel_desc), mode)


def dvpp_create_channel(channel_desc: int) -> int:
    return _CreateChannel(_vp(channel_desc) or _ptr(channel_desc))


def dvpp_destroy_channel(channel_desc: int) -> int:
    return _DestroyChannel(_vp(channel_desc) or _cast(_VOIDP, channel_desc))


# ---------------------------------------------------------------------------------------- picture descriptions


def dvpp_create_pic_desc() -> int:
    return int(_cast(_UINTPTR, _CreatePicDesc()))


def dvpp_destroy_pic_desc(pic_desc: int) -> int:
    return _DestroyPicDesc(_vp(pic_desc) or _cast(_VOIDP, pic_desc))


def dvpp_set_pic_desc_data(pic_desc: int, data_dev: int) -> int:
    return _SetPicDescData(_vp(pic_desc) or _ptr(pic_desc), _vp(data_dev) or _ptr(data_dev))


def dvpp_set_pic_desc_size(pic_desc: int, size: int) -> int:
    return _SetPicDescSize(_vp(pic_desc) or _ptr(pic_desc), size)


def dvpp_set_pic_desc_format(pic_desc: int, format: int) -> int:  # noqa: A002 (pyACL's name)
    return _SetPicDescFormat(_vp(pic_desc) or _ptr(pic_desc), format)


def dvpp_set_pic_desc_width(pic_desc: int, width: int) -> int:
    return _SetPicDescWidth(_vp(pic_desc) or _ptr(pic_desc), width)


def dvpp_set_pic_desc_height(pic_desc: int, height: int) -> int:
    return _SetPicDescHeight(_vp(pic_desc) or _ptr(pic_desc), height)


def dvpp_set_pic_desc_width_stride(pic_desc: int, width_stride: int) -> int:
    return _SetPicDescWidthStride(_vp(pic_desc) or _ptr(pic_desc), width_stride)


def dvpp_set_pic_desc_height_stride(pic_desc: int, height_stride: int) -> int:
    return _SetPicDescHeightStride(_vp(pic_desc) or _ptr(pic_desc), height_stride)


def dvpp_set_pic_desc_ret_code(pic_desc: int, ret_code: int) -> int:
    return _SetPicDescRetCode(_vp(pic_desc) or _ptr(pic_desc), ret_code)


def dvpp_get_pic_desc_data(pic_desc: int) -> int:
    return int(_cast(_UINTPTR, _GetPicDescData(_vp(pic_desc) or _ptr(pic_desc))))


def dvpp_get_pic_desc_size(pic_desc: int) -> int:
    return _GetPicDescSize(_vp(pic_desc) or _ptr(pic_desc))


def dvpp_get_pic_desc_format(pic_desc: int) -> int:
    return _GetPicDescFormat(_vp(pic_desc) or _ptr(pic_desc))


def dvpp_get_pic_desc_width(pic_desc: int) -> int:
    return _GetPicDescWidth(_vp(pic_desc) or _ptr(pic_desc))


def dvpp_get_pic_desc_height(pic_desc: int) -> int:
    return _GetPicDescHeight(_vp(pic_desc) or _ptr(pic_desc))


def dvpp_get_pic_desc_width_stride(pic_desc: int) -> int:
    return _GetPicDescWidthStride(_vp(pic_desc) or _ptr(pic_desc))


def dvpp_get_pic_desc_height_stride(pic_desc: int) -> int:
    return _GetPicDescHeightStride(_vp(pic_desc) or _ptr(pic_desc))


def dvpp_get_pic_desc_ret_code(pic_desc: int) -> int:
    """The result code the device wrote (a JPEG decode's, for instance) once the stream has run."""
    return _GetPicDescRetCode(_vp(pic_desc) or _ptr(pic_desc))


# ---------------------------------------------------------------------------------------- configurations


def dvpp_create_roi_config(left: int, right: int, top: int, bottom: int) -> int:
    """A region; right and bottom are inclusive (width = right - left + 1)."""
    return int(_cast(_UINTPTR, _CreateRoiConfig(left, right, top, bottom)))


def dvpp_destroy_roi_config(roi_config: int) -> int:
    return _DestroyRoiConfig(_vp(roi_config) or _cast(_VOIDP, roi_config))


def dvpp_set_roi_config_left(config: int, left: int) -> int:
    return _SetRoiConfigLeft(_vp(config) or _ptr(config), left)


def dvpp_set_roi_config_right(config: int, right: int) -> int:
    return _SetRoiConfigRight(_vp(config) or _ptr(config), right)


def dvpp_set_roi_config_top(config: int, top: int) -> int:
    return _SetRoiConfigTop(_vp(config) or _ptr(config), top)


def dvpp_set_roi_config_bottom(config: int, bottom: int) -> int:
    return _SetRoiConfigBottom(_vp(config) or _ptr(config), bottom)


def dvpp_set_roi_config(config: int, left: int, right: int, top: int, bottom: int) -> int:
    return _SetRoiConfig(_vp(config) or _ptr(config), left, right, top, bottom)


def dvpp_create_resize_config() -> int:
    return int(_cast(_UINTPTR, _CreateResizeConfig()))


def dvpp_destroy_resize_config(resize_config: int) -> int:
    return _DestroyResizeConfig(_vp(resize_config) or _cast(_VOIDP, resize_config))


def dvpp_set_resize_config_interpolation(resize_config: int, interpolation: int) -> int:
    return _SetResizeConfigInterpolation(_vp(resize_config) or _ptr(resize_config), interpolation)


def dvpp_get_resize_config_interpolation(resize_config: int) -> int:
    return _GetResizeConfigInterpolation(_vp(resize_config) or _ptr(resize_config))


def dvpp_create_jpege_config() -> int:
    return int(_cast(_UINTPTR, _CreateJpegeConfig()))


def dvpp_destroy_jpege_config(jpege_config: int) -> int:
    return _DestroyJpegeConfig(_vp(jpege_config) or _cast(_VOIDP, jpege_config))


def dvpp_set_jpege_config_level(jpege_config: int, level: int) -> int:
    return _SetJpegeConfigLevel(_vp(jpege_config) or _ptr(jpege_config), level)


def dvpp_get_jpege_config_level(jpege_config: int) -> int:
    return _GetJpegeConfigLevel(_vp(jpege_config) or _ptr(jpege_config))


# ---------------------------------------------------------------------------------------- VPC


def dvpp_vpc_resize_async(channel_desc: int, input_desc: int, output_desc: int, resize_config: int,
                          stream: int) -> int:
    return _VpcResizeAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(input_desc) or _ptr(input_desc),
                           _vp(output_desc) or _ptr(output_desc), _vp(resize_config) or _ptr(resize_config),
                           _vp(stream) or _ptr(stream))


def dvpp_vpc_crop_async(channel_desc: int, input_desc: int, output_desc: int, crop_area: int, stream: int) -> int:
    return _VpcCropAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(input_desc) or _ptr(input_desc),
                         _vp(output_desc) or _ptr(output_desc), _vp(crop_area) or _ptr(crop_area),
                         _vp(stream) or _ptr(stream))


def dvpp_vpc_crop_resize_async(channel_desc: int, input_desc: int, output_desc: int, crop_area: int,
                               resize_config: int, stream: int) -> int:
    return _VpcCropResizeAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(input_desc) or _ptr(input_desc),
                               _vp(output_desc) or _ptr(output_desc), _vp(crop_area) or _ptr(crop_area),
                               _vp(resize_config) or _ptr(resize_config), _vp(stream) or _ptr(stream))


def dvpp_vpc_crop_and_paste_async(channel_desc: int, input_desc: int, output_desc: int, crop_area: int,
                                  paste_area: int, stream: int) -> int:
    return _VpcCropAndPasteAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(input_desc) or _ptr(input_desc),
                                 _vp(output_desc) or _ptr(output_desc), _vp(crop_area) or _ptr(crop_area),
                                 _vp(paste_area) or _ptr(paste_area), _vp(stream) or _ptr(stream))


def dvpp_vpc_crop_resize_paste_async(channel_desc: int, input_desc: int, output_desc: int, crop_area: int,
                                     paste_area: int, resize_config: int, stream: int) -> int:
    return _VpcCropResizePasteAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(input_desc) or _ptr(input_desc),
                                    _vp(output_desc) or _ptr(output_desc), _vp(crop_area) or _ptr(crop_area),
                                    _vp(paste_area) or _ptr(paste_area), _vp(resize_config) or _ptr(resize_config),
                                    _vp(stream) or _ptr(stream))


def dvpp_vpc_convert_color_async(channel_desc: int, input_desc: int, output_desc: int, stream: int) -> int:
    return _VpcConvertColorAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(input_desc) or _ptr(input_desc),
                                 _vp(output_desc) or _ptr(output_desc), _vp(stream) or _ptr(stream))


# ---------------------------------------------------------------------------------------- JPEG, PNG


def dvpp_jpeg_get_image_info(data: int, size: int) -> Tuple[int, int, int, int]:
    """``(width, height, components, ret)`` of the JPEG at host address ``data``."""
    wh = _new(_UINT32_2)
    c = _new(_INT32_P)
    ret = _JpegGetImageInfo(_vp(data) or _ptr(data), size, wh, wh + 1, c)
    return wh[0], wh[1], c[0], ret


def dvpp_jpeg_get_image_info_v2(data: int, size: int) -> Tuple[int, int, int, int, int]:
    """``(width, height, components, jpeg_format, ret)``."""
    wh = _new(_UINT32_2)
    c = _new(_INT32_P)
    f = _new(_JPEG_FORMAT_P)
    ret = _JpegGetImageInfoV2(_vp(data) or _ptr(data), size, wh, wh + 1, c, f)
    return wh[0], wh[1], c[0], f[0], ret


def dvpp_jpeg_predict_dec_size(data: int, data_size: int, output_pixel_format: int) -> Tuple[int, int]:
    """``(decoded_size, ret)`` for decoding the JPEG at ``data`` to ``output_pixel_format``."""
    cell = _new(_UINT32_P)
    ret = _JpegPredictDecSize(_vp(data) or _ptr(data), data_size, output_pixel_format, cell)
    return cell[0], ret


def dvpp_jpeg_decode_async(channel_desc: int, data: int, size: int, output_desc: int, stream: int) -> int:
    return _JpegDecodeAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(data) or _ptr(data), size,
                            _vp(output_desc) or _ptr(output_desc), _vp(stream) or _ptr(stream))


def dvpp_jpeg_predict_enc_size(input_desc: int, config: int) -> Tuple[int, int]:
    cell = _new(_UINT32_P)
    ret = _JpegPredictEncSize(_vp(input_desc) or _ptr(input_desc), _vp(config) or _ptr(config), cell)
    return cell[0], ret


def dvpp_jpeg_encode_async(channel_desc: int, input_desc: int, data: int, size: int, config: int,
                           stream: int) -> int:
    """``size`` is the address of a host uint32 (e.g. ``acl.util.numpy_to_ptr(np.array([n], np.uint32))``):
    the output buffer's capacity in, the encoded size out once the stream has run."""
    return _JpegEncodeAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(input_desc) or _ptr(input_desc),
                            _vp(data) or _ptr(data), _vp(size) or _ptr(size), _vp(config) or _ptr(config),
                            _vp(stream) or _ptr(stream))


def dvpp_png_get_image_info(data: int, data_size: int) -> Tuple[int, int, int, int]:
    """``(width, height, components, ret)``."""
    wh = _new(_UINT32_2)
    c = _new(_INT32_P)
    ret = _PngGetImageInfo(_vp(data) or _ptr(data), data_size, wh, wh + 1, c)
    return wh[0], wh[1], c[0], ret


def dvpp_png_predict_dec_size(data: int, data_size: int, output_pixel_format: int) -> Tuple[int, int]:
    cell = _new(_UINT32_P)
    ret = _PngPredictDecSize(_vp(data) or _ptr(data), data_size, output_pixel_format, cell)
    return cell[0], ret


def dvpp_png_decode_async(channel_desc: int, data: int, size: int, output_desc: int, stream: int) -> int:
    return _PngDecodeAsync(_vp(channel_desc) or _ptr(channel_desc), _vp(data) or _ptr(data), size,
                           _vp(output_desc) or _ptr(output_desc), _vp(stream) or _ptr(stream))


# ---------------------------------------------------------------------------------------- batches (in Python)

_batches = _HandleTable("batch picture description")


def dvpp_create_batch_pic_desc(batch_size: int) -> int:
    """A batch of ``batch_size`` picture descriptions (a handle; 0 on failure)."""
    if type(batch_size) is not int or batch_size <= 0:
        return 0
    descs: List[Any] = []
    for _ in range(batch_size):
        d = _CreatePicDesc()
        if d == _NULL:
            for made in descs:
                _DestroyPicDesc(made)
            return 0
        descs.append(d)
    return _batches.add(descs)


def dvpp_destroy_batch_pic_desc(batch_pic_desc: int) -> int:
    descs = _batches.pop(batch_pic_desc)
    if descs is None:
        return _stale_code()
    ret = 0
    for d in descs:
        ret = _DestroyPicDesc(d) or ret
    return ret


def dvpp_get_pic_desc(batch_pic_desc: int, index: int) -> int:
    """The picture description at index of a batch (0 when out of range)."""
    descs = _batches.get(batch_pic_desc)
    if descs is None or type(index) is not int or not 0 <= index < len(descs):
        return 0
    return int(_cast(_UINTPTR, descs[index]))


def _batch_args(name: str, rest: Sequence[Any], paste: bool) -> Tuple[Any, ...]:
    # pyACL takes (..., roi_nums, dst_batch, crop_areas, [paste_areas,] stream); the C API has a size before the
    # destination batch: accept that form too.
    want = 4 if paste else 3
    if len(rest) == want + 1:
        rest = rest[1:]
    if len(rest) != want:
        raise TypeError("acl.media.%s: expected (channel_desc, src_batch_desc, roi_nums, dst_batch_desc, crop_areas, "
                        "%sstream)" % (name, "paste_areas, " if paste else ""))
    return tuple(rest)


def _batch_vpc(channel_desc: int, src_batch_desc: int, roi_nums: Sequence[int], dst_batch_desc: int,
               crop_areas: Sequence[int], paste_areas: Any, stream: int) -> int:
    src, dst = _batches.get(src_batch_desc), _batches.get(dst_batch_desc)
    if src is None or dst is None:
        return _stale_code()
    roi_nums = [int(n) for n in roi_nums]
    total = sum(roi_nums)
    if (not roi_nums or len(roi_nums) > len(src) or any(n < 0 for n in roi_nums) or total > len(dst)
            or len(crop_areas) < total or (paste_areas is not None and len(paste_areas) < total)):
        return _INVALID_PARAM
    chan, s = _vp(channel_desc) or _ptr(channel_desc), _vp(stream) or _ptr(stream)
    k = 0
    for i, n in enumerate(roi_nums):
        for _ in range(n):
            if paste_areas is None:
                ret = _VpcCropAsync(chan, src[i], dst[k], _vp(crop_areas[k]) or _ptr(crop_areas[k]), s)
            else:
                ret = _VpcCropAndPasteAsync(chan, src[i], dst[k], _vp(crop_areas[k]) or _ptr(crop_areas[k]),
                                            _vp(paste_areas[k]) or _ptr(paste_areas[k]), s)
            if ret:
                return ret
            k += 1
    return 0


def dvpp_vpc_batch_crop_async(channel_desc: int, src_batch_desc: int, roi_nums: Sequence[int],
                              *rest: Any) -> Tuple[List[int], int]:
    """``(roi_nums, ret)``: ``roi_nums[i]`` crops of source picture i, in order, into the destination batch.
    Arguments: ``(channel_desc, src_batch_desc, roi_nums, dst_batch_desc, crop_areas, stream)``."""
    dst, crops, stream = _batch_args("dvpp_vpc_batch_crop_async", rest, False)
    return list(roi_nums), _batch_vpc(channel_desc, src_batch_desc, roi_nums, dst, crops, None, stream)


def dvpp_vpc_batch_crop_and_paste_async(channel_desc: int, src_batch_desc: int, roi_nums: Sequence[int],
                                        *rest: Any) -> Tuple[List[int], int]:
    """``(roi_nums, ret)``. Arguments: ``(channel_desc, src_batch_desc, roi_nums, dst_batch_desc, crop_areas,
    paste_areas, stream)``."""
    dst, crops, pastes, stream = _batch_args("dvpp_vpc_batch_crop_and_paste_async", rest, True)
    return list(roi_nums), _batch_vpc(channel_desc, src_batch_desc, roi_nums, dst, crops, pastes, stream)


# ---------------------------------------------------------------------------------------- stream descriptions


class _StreamDesc:
    __slots__ = ("data", "size", "format", "timestamp", "ret_code", "eos")

    def __init__(self) -> None:
        self.data = self.size = self.format = self.timestamp = self.ret_code = self.eos = 0


_stream_descs = _HandleTable("stream description")


def dvpp_create_stream_desc() -> int:
    """A stream description (the frame of VDEC/VENC; a descriptor only here: VDEC/VENC are not available)."""
    return _stream_descs.add(_StreamDesc())


def dvpp_destroy_stream_desc(stream_desc: int) -> int:
    return 0 if _stream_descs.pop(stream_desc) is not None else _stale_code()


def _stream_setter(field: str) -> Any:
    def setter(stream_desc: int, value: int) -> int:
        d = _stream_descs.get(stream_desc)
        if d is None:
            return _stale_code()
        if type(value) is not int and not isinstance(value, int):
            raise TypeError("acl.media.dvpp_set_stream_desc_%s: value must be an int" % field)
        setattr(d, field, int(value))
        return 0

    setter.__name__ = setter.__qualname__ = "dvpp_set_stream_desc_" + field
    return setter


def _stream_getter(field: str) -> Any:
    def getter(stream_desc: int) -> int:
        d = _stream_descs.get(stream_desc)
        return 0 if d is None else getattr(d, field)

    getter.__name__ = getter.__qualname__ = "dvpp_get_stream_desc_" + field
    return getter


for _field in _StreamDesc.__slots__:
    globals()["dvpp_set_stream_desc_" + _field] = _stream_setter(_field)
    globals()["dvpp_get_stream_desc_" + _field] = _stream_getter(_field)


# ---------------------------------------------------------------------------------------- VDEC, VENC: absent

_VIDEO = "VDEC/VENC video coding is neither bound nor emulated"
#: The VDEC/VENC calls programs make (the samples' acllite and video samples): present, answering "not supported".
_VIDEO_CALLS = (
    "vdec_create_channel", "vdec_create_channel_desc", "vdec_create_frame_config", "vdec_destroy_channel",
    "vdec_destroy_channel_desc", "vdec_destroy_frame_config", "vdec_get_channel_desc_out_mode", "vdec_send_frame",
    "vdec_set_channel_desc_callback", "vdec_set_channel_desc_channel_id", "vdec_set_channel_desc_entype",
    "vdec_set_channel_desc_out_mode", "vdec_set_channel_desc_out_pic_format", "vdec_set_channel_desc_thread_id",
    "venc_create_channel", "venc_create_channel_desc", "venc_create_frame_config", "venc_destroy_channel",
    "venc_destroy_channel_desc", "venc_destroy_frame_config", "venc_get_frame_config_eos",
    "venc_get_frame_config_force_i_frame", "venc_send_frame", "venc_set_channel_desc_callback",
    "venc_set_channel_desc_entype", "venc_set_channel_desc_key_frame_interval", "venc_set_channel_desc_pic_format",
    "venc_set_channel_desc_pic_height", "venc_set_channel_desc_pic_width", "venc_set_channel_desc_thread_id",
    "venc_set_frame_config_eos", "venc_set_frame_config_force_i_frame",
)


def _video_stub(name: str) -> Any:
    value_call = "_create_channel_desc" in name or "_create_frame_config" in name or "_get_" in name

    def stub(*args: Any) -> int:
        _not_supported("acl.media." + name, _VIDEO)
        return 0 if value_call else _NOT_SUPPORT

    stub.__name__ = stub.__qualname__ = name
    stub.__doc__ = "Not available (%s): returns %s." % (
        _VIDEO, "0 (a null handle/value)" if value_call else "ACL_ERROR_API_NOT_SUPPORT")
    return stub


for _name in _VIDEO_CALLS:
    globals()[_name] = _video_stub(_name)

del _field, _name, annotations, TYPE_CHECKING  # keep dir(acl.media) to the API
