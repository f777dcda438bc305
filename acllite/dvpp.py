"""DVPP from Python: DVPP memory (:class:`DvppBuffer`) and an :class:`ImageProcessor` that decodes, encodes,
resizes, crops, pastes and converts :class:`~acllite.image.Image` objects, and (Ascend310P and newer) makes
borders, counts histograms, equalises them through LUT maps and builds pyramid levels.

The processor owns one DVPP channel (every mode the SoC has) and makes the picture descriptions and
configurations each call needs, releasing them when the work has run. Without ``stream=`` a call waits for its
result (on a stream of the processor's own); with ``stream=`` it only queues the work and returns the output
image at once: its pixels, and for decodes its size (``width``, ``height``...), are valid after
``stream.synchronize()``, and the descriptions stay alive until then.

Inputs go to DVPP memory first when they are elsewhere (a host JPEG, a numpy array, device memory) or when
their strides do not meet VPC's rules (width stride a multiple of 16, height stride even): that copy is the one
a program on a real device makes too. Outputs are new images in DVPP memory, owned by the caller (``close()``).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lifecycle
from ._lifecycle import Owned
from ._native import ffi, lib
from .errors import check, raise_for
from .image import DVPP, HOST, JPEG, PNG, Image, PixelFormat, align, layout, picture_bytes
from .memory import DvppBuffer

if TYPE_CHECKING:
    from .runtime import Device, Stream

__all__ = ["DvppBuffer", "ImageProcessor", "INTERPOLATION_DEFAULT", "INTERPOLATION_BILINEAR",
           "INTERPOLATION_NEAREST", "BORDER_CONSTANT", "BORDER_REPLICATE", "BORDER_REFLECT", "BORDER_REFLECT_101"]

INTERPOLATION_DEFAULT, INTERPOLATION_BILINEAR, INTERPOLATION_NEAREST = 0, 1, 2
#: acldvppBorderType: how make_border fills (a value per channel; the edge repeated; mirrored with the edge
#: (fedcba|abcdef); mirrored around the edge (fedcb|abcdef)).
BORDER_CONSTANT, BORDER_REPLICATE, BORDER_REFLECT, BORDER_REFLECT_101 = 0, 1, 2, 3
# Channel modes (DVPP_CHNMODE_*): the processor asks for every one; PNGD exists on Ascend310P and newer only.
_MODES_ALL = lib.DVPP_CHNMODE_VPC | lib.DVPP_CHNMODE_JPEGD | lib.DVPP_CHNMODE_JPEGE | lib.DVPP_CHNMODE_PNGD
_MODES_NO_PNGD = _MODES_ALL & ~lib.DVPP_CHNMODE_PNGD
#: VPC's smallest width stride in units of the format's bytes per pixel (its "widthStride / coefficient").
VPC_MIN_WIDTH_STRIDE = 32
#: The largest PNG side decoded on the host where the SoC has no PNGD (VPC's largest input, 8192x8192): a file
#: claiming more is refused from its header, before Pillow allocates its pixels.
_HOST_PNG_MAX = 8192
Box = Tuple[int, int, int, int]


# ----------------------------------------------------------------------------------------- owned handles


def _created(handle: Any, function: str) -> Any:
    if handle == ffi.NULL:
        raise_for(lib.ACL_ERROR_BAD_ALLOC if lib.aclGetRecentErrMsg() == ffi.NULL else 100000, function)
    return handle


class _PicDesc(Owned):
    """One acldvppPicDesc describing an image's memory."""

    def __init__(self, data: Any, size: int, fmt: int, width: int = 0, height: int = 0, width_stride: int = 0,
                 height_stride: int = 0):
        self.handle = _created(lib.acldvppCreatePicDesc(), "acldvppCreatePicDesc")
        self._own(lib.acldvppDestroyPicDesc, "acldvppDestroyPicDesc", self.handle, -1)
        h = self.handle
        for fn, name, value in ((lib.acldvppSetPicDescData, "acldvppSetPicDescData", data),
                                (lib.acldvppSetPicDescSize, "acldvppSetPicDescSize", size),
                                (lib.acldvppSetPicDescFormat, "acldvppSetPicDescFormat", fmt),
                                (lib.acldvppSetPicDescWidth, "acldvppSetPicDescWidth", width),
                                (lib.acldvppSetPicDescHeight, "acldvppSetPicDescHeight", height),
                                (lib.acldvppSetPicDescWidthStride, "acldvppSetPicDescWidthStride", width_stride),
                                (lib.acldvppSetPicDescHeightStride, "acldvppSetPicDescHeightStride", height_stride)):
            rc = fn(h, value)
            if rc:
                self.close()
                check(rc, name)

    @classmethod
    def of(cls, image: Image) -> "_PicDesc":
        return cls(image._c(), image.nbytes, int(image.format), image.width, image.height, image.width_stride,
                   image.height_stride)


class _Config(Owned):
    """A ROI, resize or JPEG-encode configuration."""

    def __init__(self, kind: str, *values: int):
        if kind == "roi":
            self.handle = _created(lib.acldvppCreateRoiConfig(*values), "acldvppCreateRoiConfig")
            self._own(lib.acldvppDestroyRoiConfig, "acldvppDestroyRoiConfig", self.handle, -1)
        elif kind == "resize":
            self.handle = _created(lib.acldvppCreateResizeConfig(), "acldvppCreateResizeConfig")
            self._own(lib.acldvppDestroyResizeConfig, "acldvppDestroyResizeConfig", self.handle, -1)
            self._set(lib.acldvppSetResizeConfigInterpolation, "acldvppSetResizeConfigInterpolation", values[0])
        else:
            self.handle = _created(lib.acldvppCreateJpegeConfig(), "acldvppCreateJpegeConfig")
            self._own(lib.acldvppDestroyJpegeConfig, "acldvppDestroyJpegeConfig", self.handle, -1)
            self._set(lib.acldvppSetJpegeConfigLevel, "acldvppSetJpegeConfigLevel", values[0])

    def _set(self, fn: Any, name: str, value: int) -> None:
        rc = fn(self.handle, value)
        if rc:
            self.close()
            check(rc, name)


class _OpObject(Owned):
    """A border configuration, LUT map or histogram (acldvppBorderConfig, acldvppLutMap, acldvppHist)."""

    _KINDS = {"border": ("acldvppCreateBorderConfig", "acldvppDestroyBorderConfig"),
              "lut": ("acldvppCreateLutMap", "acldvppDestroyLutMap"),
              "hist": ("acldvppCreateHist", "acldvppDestroyHist")}

    def __init__(self, kind: str):
        create, destroy = self._KINDS[kind]
        self.handle = _created(getattr(lib, create)(), create)
        self._own(getattr(lib, destroy), destroy, self.handle, -1)

    def set(self, name: str, *args: Any) -> None:
        rc = getattr(lib, name)(self.handle, *args)
        if rc:
            self.close()
            check(rc, name)


def _roi(box: Box, what: str) -> _Config:
    """(left, top, right, bottom), right and bottom exclusive, as an inclusive DVPP ROI."""
    left, top, right, bottom = (int(v) for v in box)
    if right <= left or bottom <= top or left < 0 or top < 0:
        raise ValueError("%s %r is empty or negative: give (left, top, right, bottom), right and bottom exclusive"
                         % (what, tuple(box)))
    return _Config("roi", left, right - 1, top, bottom - 1)


def soc_has_pngd(soc: str) -> bool:
    """Whether the SoC's DVPP decodes PNG: not Ascend310 (Atlas 200/300/500 inference) nor the first Ascend910
    (Atlas training series); Ascend310P, Ascend310B and Ascend910B/910_93 do (CANN's PNGD documentation)."""
    if soc.startswith(("Ascend310P", "Ascend310B", "Ascend910B", "Ascend910_93")):
        return True
    return not soc.startswith(("Ascend310", "Ascend910"))


# ----------------------------------------------------------------------------------------- the processor


class ImageProcessor:
    """DVPP image operations on one channel.

    Parameters
    ----------
    device:
        the :class:`~acllite.runtime.Device` whose DVPP runs the work (kept open while the processor lives).
    stream:
        default stream for every call (None: each call waits for its result).

    ``close()`` (idempotent, also at the end of a ``with`` block) destroys the channel.

    The channel has every mode the SoC offers (VPC, JPEGD, JPEGE, and PNGD where it exists: Ascend310P and
    newer). On a SoC without a PNG decoder, :meth:`decode_png` decodes on the host (Pillow) and copies the pixels
    into DVPP memory, as a program on such a device has to; ``has_pngd`` tells which.
    """

    def __init__(self, device: "Device", stream: Optional["Stream"] = None):
        self.device = device
        self.stream = stream
        device.make_current()
        _lifecycle.drain()
        channel = _created(lib.acldvppCreateChannelDesc(), "acldvppCreateChannelDesc")
        from .runtime import soc_name

        self.has_pngd = soc_has_pngd(soc_name())
        rc = lib.acldvppSetChannelDescMode(channel, _MODES_ALL if self.has_pngd else _MODES_NO_PNGD)
        if rc == 0:
            rc = lib.acldvppCreateChannel(channel)
        if rc:
            lib.acldvppDestroyChannelDesc(channel)
            check(rc, "acldvppCreateChannel")
        self._channel = channel
        # Two handles: the description (the process's: aclFinalize releases it) and the channel made from it (the
        # device's: its last reset destroys it). The description's release destroys the channel first.
        self._res = _lifecycle.Resource(lib.acldvppDestroyChannelDesc, "acldvppDestroyChannelDesc", channel)
        _lifecycle.Resource(lib.acldvppDestroyChannel, "acldvppDestroyChannel", channel, device.id, parent=self._res)
        self._finalizer = weakref.finalize(self, self._res.release)
        try:
            self._waiter = device.create_stream()  # what calls without a stream run on
        except BaseException:
            self._finalizer()
            raise

    @property
    def closed(self) -> bool:
        return self._res.released

    def close(self) -> None:
        """Destroy the channel (idempotent)."""
        if self._finalizer.alive:
            self._waiter.close()
            self._finalizer()
        _lifecycle.drain()

    def __enter__(self) -> "ImageProcessor":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _lifecycle.exit_close(self.close, exc_type, "ImageProcessor")

    def _check_open(self) -> Any:
        if self.closed:
            raise _lifecycle.closed_error(self._res, "ImageProcessor", "the ImageProcessor is closed")
        return self._channel

    # -- plumbing -------------------------------------------------------------------------------------------
    def _new(self, fmt: PixelFormat, width: int, height: int, width_stride: int = 0, height_stride: int = 0,
             nbytes: int = 0) -> Image:
        if fmt == PixelFormat.UNKNOWN:  # a decoder's or encoder's output: its size is all that is known
            ws, hs = width_stride, height_stride
        else:
            ws = width_stride or max(align(width, 16), VPC_MIN_WIDTH_STRIDE) * layout(fmt)[0]
            hs = height_stride or align(height, 2)
            nbytes = nbytes or picture_bytes(fmt, ws, hs)
        buf = DvppBuffer(max(nbytes, 1), self.device)
        try:
            return Image(buf, fmt, width, height, ws, hs, nbytes, owns=True)
        except BaseException:
            buf.close()
            raise

    def _dvpp_encoded(self, image: Union[Image, bytes]) -> Tuple[Image, Optional[np.ndarray]]:
        """The encoded image in DVPP memory, and its bytes on the host when at hand (for the size queries)."""
        if not isinstance(image, Image):
            image = Image.from_bytes(image)
        if not image.encoded:
            raise TypeError("expected an encoded JPEG/PNG image, got %r" % (image,))
        host = image.to_numpy() if image.memory == HOST else None
        if image.memory == DVPP:
            return image, host
        return _temp(image.copy_to(DVPP, self.device)), host

    def _dvpp_pixels(self, image: Image) -> Image:
        """The image in DVPP memory with strides VPC takes (a copy only when it is not already so)."""
        if image.encoded:
            raise TypeError("decode %r first (decode_jpeg / decode_png)" % (image,))
        bpp = layout(image.format)[0]  # type: ignore[arg-type]
        ws_ok = image.width_stride % 16 == 0 and image.width_stride >= align(image.width, 16) * bpp
        hs_ok = image.height_stride % 2 == 0 and image.height_stride >= image.height
        if image.memory == DVPP and ws_ok and hs_ok:
            return image
        if ws_ok and hs_ok:
            return _temp(image.copy_to(DVPP, self.device))
        # restride on the host, then one copy in
        fmt = PixelFormat(int(image.format))  # pixels, never "jpeg"/"png" here
        staged = Image.from_numpy(_restride(image, fmt), fmt)
        out = self._new(fmt, image.width, image.height)
        rows = np.zeros(out.nbytes, np.uint8)
        _place(staged, out, rows)
        out.buffer.copy_from(rows)  # type: ignore[union-attr]
        return _temp(out)

    def _run(self, submit: Any, name: str, stream: Optional["Stream"], keep: Sequence[Any]) -> bool:
        """Submit on the stream; without one, wait and release what ``keep`` owns. True when it waited."""
        s = stream if stream is not None else self.stream
        waiter = s is None
        if s is None:
            s = self._waiter
        rc = submit(s.handle)
        if rc:
            check(rc, name)
        if waiter:
            s.synchronize()
            for obj in keep:
                if isinstance(obj, Owned) or getattr(obj, "_temp", False):
                    obj.close()
        else:
            s._keep(list(keep))
        return waiter

    # -- decoding -------------------------------------------------------------------------------------------
    def decode_jpeg(self, image: Union[Image, bytes], format: PixelFormat = PixelFormat.NV12,
                    stream: Optional["Stream"] = None) -> Image:
        """JPEGD: a JPEG (Image or bytes) to a picture in DVPP memory (NV12 by default; PixelFormat.UNKNOWN: the
        JPEG's own sampling). Odd sizes of 4:2:x outputs are rounded down to even, as the device does."""
        return self._decode(image, format, stream, png=False)

    def decode_png(self, image: Union[Image, bytes], format: PixelFormat = PixelFormat.RGB888,
                   stream: Optional["Stream"] = None) -> Image:
        """PNGD: a PNG to RGB888 (or RGBA8888, or PixelFormat.UNKNOWN: as stored) in DVPP memory."""
        return self._decode(image, format, stream, png=True)

    def _decode(self, image: Union[Image, bytes], fmt: PixelFormat, stream: Optional["Stream"], png: bool) -> Image:
        channel = self._check_open()
        if isinstance(image, Image) and image.encoded and image.format != (PNG if png else JPEG):
            raise TypeError("expected a %s image, got %r" % ("PNG" if png else "JPEG", image))
        if png and not self.has_pngd:
            return self._decode_png_on_host(image, fmt)
        src, host = self._dvpp_encoded(image)
        try:
            if host is None:
                host = src.to_numpy()
            size = ffi.new("uint32_t *")
            predict = lib.acldvppPngPredictDecSize if png else lib.acldvppJpegPredictDecSize
            name = "acldvppPngPredictDecSize" if png else "acldvppJpegPredictDecSize"
            check(predict(ffi.from_buffer(host), host.size, int(fmt), size), name)
            out = self._new(PixelFormat.UNKNOWN, 0, 0, 0, 0, nbytes=int(size[0]))
            out._set_geometry(*_predict_geometry(host, PixelFormat(fmt), png))
        except BaseException:
            _drop(src)
            raise
        try:
            desc = _PicDesc(out._c(), int(size[0]), int(fmt))
            decode = lib.acldvppPngDecodeAsync if png else lib.acldvppJpegDecodeAsync
            data = src._c()
            out._pending = desc  # format, size and strides come from the description once the decode has run
            waited = self._run(lambda s: decode(channel, data, src.nbytes, desc.handle, s),
                               "acldvppPngDecodeAsync" if png else "acldvppJpegDecodeAsync", stream, [src])
        except BaseException:
            out.close()
            _drop(src)
            raise
        if waited:
            out._settle()
            desc.close()
        else:
            (stream or self.stream)._keep(desc)  # type: ignore[union-attr]
        return out

    def _decode_png_on_host(self, image: Union[Image, bytes], fmt: PixelFormat) -> Image:
        """PNG decode where the SoC has no PNGD: Pillow on the host, then one copy into DVPP memory."""
        import io

        from PIL import Image as PILImage

        data = image.to_numpy().tobytes() if isinstance(image, Image) else bytes(image)
        header = Image.from_bytes(data)  # the same checks (and errors) as a PNG that PNGD would decode
        if header.width > _HOST_PNG_MAX or header.height > _HOST_PNG_MAX:  # refused before Pillow allocates it
            raise ValueError("a PNG of %dx%d is more than %dx%d, the largest decoded on the host" % (
                header.width, header.height, _HOST_PNG_MAX, _HOST_PNG_MAX))
        if fmt not in (PixelFormat.RGB888, PixelFormat.RGBA8888, PixelFormat.UNKNOWN):
            raise ValueError("PNG decodes to RGB888 or RGBA8888 (or PixelFormat.UNKNOWN: as stored), not %s"
                             % PixelFormat(fmt).name)
        try:
            with PILImage.open(io.BytesIO(data)) as pil:
                alpha = pil.mode in ("RGBA", "LA", "PA") or (pil.mode == "P" and "transparency" in pil.info)
                keep_alpha = fmt == PixelFormat.RGBA8888 or (fmt == PixelFormat.UNKNOWN and alpha)
                pixels = np.asarray(pil.convert("RGBA" if keep_alpha else "RGB"))
        except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:  # Pillow's decode errors
            raise ValueError("the PNG cannot be decoded: %s" % exc) from None
        out_fmt = PixelFormat.RGBA8888 if keep_alpha else PixelFormat.RGB888
        out = self._new(out_fmt, pixels.shape[1], pixels.shape[0])
        rows = np.zeros(out.nbytes, np.uint8)
        _place(Image.from_numpy(pixels, out_fmt), out, rows)
        try:
            out.buffer.copy_from(rows)  # type: ignore[union-attr]
        except BaseException:
            out.close()
            raise
        return out

    def encode_jpeg(self, image: Image, level: int = 95, stream: Optional["Stream"] = None) -> Image:
        """JPEGE: an NV12/NV21 (or packed 4:2:2) picture to a JPEG in DVPP memory. ``level`` 1..100 (0: like 100).

        With a stream, ``nbytes`` of the result is the encoded size once the stream is synchronized."""
        channel = self._check_open()
        src = self._dvpp_pixels(image)
        config = desc = None
        try:
            config = _Config("jpege", int(level))
            desc = _PicDesc.of(src)
            size = ffi.new("uint32_t *")
            check(lib.acldvppJpegPredictEncSize(desc.handle, config.handle, size), "acldvppJpegPredictEncSize")
            out = self._new(PixelFormat.UNKNOWN, 0, 0, nbytes=int(size[0]))
        except BaseException:
            for obj in (config, desc, src):
                _drop(obj)
            raise
        out._format = JPEG
        out._width, out._height = src.width, src.height
        out._size_cell = size
        try:
            data = out._c()
            self._run(lambda s: lib.acldvppJpegEncodeAsync(channel, desc.handle, data, size, config.handle, s),
                      "acldvppJpegEncodeAsync", stream, [src, desc, config, size])
        except BaseException:
            out.close()
            for obj in (config, desc, src):
                _drop(obj)
            raise
        return out

    # -- VPC ------------------------------------------------------------------------------------------------
    def resize(self, image: Image, width: int, height: int, interpolation: int = INTERPOLATION_BILINEAR,
               format: PixelFormat = PixelFormat.NV12, stream: Optional["Stream"] = None) -> Image:
        """Scale the whole picture to width x height (NV12 by default). ``interpolation``: 0 the SoC's default,
        1 bilinear, 2 nearest (OpenCV-like), 3/4 TensorFlow-like where the SoC has them."""
        return self._vpc(image, None, (width, height), None, None, interpolation, format, stream)

    def crop(self, image: Image, box: Box, size: Optional[Tuple[int, int]] = None,
             interpolation: Optional[int] = None, format: PixelFormat = PixelFormat.NV12,
             stream: Optional["Stream"] = None) -> Image:
        """Cut ``box`` = (left, top, right, bottom) (right and bottom exclusive; left/top even, width/height even)
        out of the picture, scaled to ``size`` (default: the box's size)."""
        left, top, right, bottom = box
        if right <= left or bottom <= top:
            raise ValueError("box %r is empty: give (left, top, right, bottom), right and bottom exclusive"
                             % (tuple(box),))
        size = size or (right - left, bottom - top)
        return self._vpc(image, box, size, None, None, interpolation, format, stream)

    def crop_and_paste(self, image: Image, box: Box, dest: Image, dest_box: Box,
                       interpolation: Optional[int] = None, stream: Optional["Stream"] = None) -> Image:
        """Cut ``box`` out of ``image`` and paste it, scaled, into ``dest_box`` of ``dest`` (a DVPP NV12/NV21
        picture, written in place; dest_box's left a multiple of 16). Returns ``dest``."""
        if dest.memory != DVPP:
            raise ValueError("crop_and_paste writes into a DVPP picture; dest is in %s memory" % dest.memory)
        return self._vpc(image, box, None, dest, dest_box, interpolation, dest.format, stream)

    def convert_color(self, image: Image, format: PixelFormat, stream: Optional["Stream"] = None) -> Image:
        """The picture in another pixel format, same size (acldvppVpcConvertColorAsync; Ascend310P and newer)."""
        channel = self._check_open()
        src = self._dvpp_pixels(image)
        din = dout = out = None
        try:
            out = self._new(PixelFormat(format), src.width, src.height)
            din = _PicDesc.of(src)
            dout = _PicDesc.of(out)
            self._run(lambda s: lib.acldvppVpcConvertColorAsync(channel, din.handle, dout.handle, s),
                      "acldvppVpcConvertColorAsync", stream, [src, din, dout])
        except BaseException:
            for obj in (out, din, dout, src):
                _drop(obj)
            raise
        return out

    # -- borders, histograms, LUT remapping, pyramids (Ascend310P and newer) ----------------------------------
    def make_border(self, image: Image, top: int, bottom: int, left: int, right: int,
                    border_type: int = BORDER_CONSTANT, value: Union[float, Sequence[float]] = 0,
                    format: Optional[PixelFormat] = None, stream: Optional["Stream"] = None) -> Image:
        """The picture with borders of top/bottom/left/right pixels (acldvppVpcMakeBorderAsync): ``border_type``
        BORDER_CONSTANT (``value``: one number, or one per channel R, G, B, or Y, U, V when input and output are
        both YUV), BORDER_REPLICATE, BORDER_REFLECT or BORDER_REFLECT_101. The output is ``format`` (default: the
        input's format when VPC writes it, else NV12), (width + left + right) x (height + top + bottom); on
        4:2:0 outputs keep the borders even (the chroma is subsampled). Ascend310P and newer."""
        channel = self._check_open()
        sides = [int(v) for v in (top, bottom, left, right)]
        if min(sides) < 0:
            raise ValueError("border sizes %r must not be negative" % (tuple(sides),))
        values = [float(v) for v in (value if isinstance(value, (list, tuple)) else (value,) * 3)]
        if not 1 <= len(values) <= 3:
            raise ValueError("value: one number or up to 3 (one per channel), got %r" % (value,))
        fmt = PixelFormat(format if format is not None else
                          image.format if image.format in _BORDER_OUTPUTS else PixelFormat.NV12)
        src = self._dvpp_pixels(image)
        keep: List[Any] = [src]
        out: Optional[Image] = None
        try:
            out = self._new(fmt, src.width + sides[2] + sides[3], src.height + sides[0] + sides[1])
            cfg = _OpObject("border")
            keep.append(cfg)
            for name, v in zip(("acldvppSetBorderConfigTop", "acldvppSetBorderConfigBottom",
                                "acldvppSetBorderConfigLeft", "acldvppSetBorderConfigRight"), sides):
                cfg.set(name, v)
            cfg.set("acldvppSetBorderConfigBorderType", int(border_type))
            for i, channel_value in enumerate(values):
                cfg.set("acldvppSetBorderConfigValue", i, channel_value)
            ih, oh = _pic_descs(keep, src, out)
            self._run(lambda s: lib.acldvppVpcMakeBorderAsync(channel, ih, oh, cfg.handle, s),
                      "acldvppVpcMakeBorderAsync", stream, keep)
        except BaseException:
            _abandon(keep, out)
            raise
        return out

    def calc_hist(self, image: Image) -> np.ndarray:
        """The histogram of each channel (acldvppVpcCalcHistAsync): a (3, 256) uint32 array of the counts of
        Y, U, V (chroma at its own resolution; zero for YUV400) or R, G, B. Waits for the result. Ascend310P and
        newer."""
        channel = self._check_open()
        src = self._dvpp_pixels(image)
        keep: List[Any] = [src]
        try:
            hist = _OpObject("hist")
            keep.append(hist)
            (ih,) = _pic_descs(keep, src)
            self._run(lambda s: lib.acldvppVpcCalcHistAsync(channel, ih, hist.handle, ffi.NULL, s),
                      "acldvppVpcCalcHistAsync", None, keep[:1] + keep[2:])
            dims = int(lib.acldvppGetHistDims(hist.handle))
            counts = np.zeros((dims, 256), np.uint32)
            data, length = ffi.new("uint32_t **"), ffi.new("uint16_t *")
            for dim in range(dims):
                check(lib.acldvppGetHistData(hist.handle, dim, data, length), "acldvppGetHistData")
                counts[dim, :length[0]] = np.frombuffer(ffi.buffer(data[0], 4 * length[0]), np.uint32)
            hist.close()
        except BaseException:
            _abandon(keep)
            raise
        return counts

    def equalize_hist(self, image: Image, stream: Optional["Stream"] = None) -> Image:
        """Histogram equalisation: the histogram (calc_hist, waited for), OpenCV's equalisation mapping of it
        (``lut[v] = round(255 * (cdf(v) - cdf(min)) / (pixels - cdf(min)))``) for Y of YUV pictures (chroma
        unchanged) or for each of R, G, B, applied by VPC through a LUT map (acldvppVpcEqualizeHistAsync). Same
        format, size and strides as the input (YUV400, NV12/NV21, YUV422SP, packed YUV 4:4:4, RGB888/BGR888).
        Ascend310P and newer."""
        channel = self._check_open()
        counts = self.calc_hist(image)
        rgb = image.format in (PixelFormat.RGB888, PixelFormat.BGR888)
        src = self._dvpp_pixels(image)
        keep: List[Any] = [src]
        out: Optional[Image] = None
        try:
            lut = _OpObject("lut")
            keep.append(lut)
            data, length = ffi.new("uint8_t **"), ffi.new("uint32_t *")
            for dim in range(3 if rgb else 1):
                check(lib.acldvppGetLutMapData(lut.handle, dim, data, length), "acldvppGetLutMapData")
                table = _equalization_lut(counts[dim])
                ffi.memmove(data[0], table.tobytes(), min(int(length[0]), table.size))
            out = self._new(PixelFormat(int(src.format)), src.width, src.height, src.width_stride,
                            src.height_stride, src.nbytes)
            ih, oh = _pic_descs(keep, src, out)
            self._run(lambda s: lib.acldvppVpcEqualizeHistAsync(channel, ih, oh, lut.handle, s),
                      "acldvppVpcEqualizeHistAsync", stream, keep)
        except BaseException:
            _abandon(keep, out)
            raise
        return out

    def pyr_down(self, image: Image, stream: Optional["Stream"] = None) -> Image:
        """One pyramid level down (acldvppVpcPyrDownAsync): a YUV400 picture of 20x12 .. 2048x2048 blurred with
        the 5x5 Gaussian [1 4 6 4 1]^T [1 4 6 4 1] / 256 and halved (width // 2 x height // 2). Ascend310P only."""
        channel = self._check_open()
        if image.format != PixelFormat.YUV400:
            raise ValueError("pyr_down takes YUV400 pictures, not %s" % (image.format,))
        src = self._dvpp_pixels(image)
        keep: List[Any] = [src]
        out: Optional[Image] = None
        try:
            out = self._new(PixelFormat.YUV400, src.width // 2, src.height // 2)
            ih, oh = _pic_descs(keep, src, out)
            self._run(lambda s: lib.acldvppVpcPyrDownAsync(channel, ih, oh, ffi.NULL, s),
                      "acldvppVpcPyrDownAsync", stream, keep)
        except BaseException:
            _abandon(keep, out)
            raise
        return out

    def _vpc(self, image: Image, box: Optional[Box], size: Optional[Tuple[int, int]], dest: Optional[Image],
             dest_box: Optional[Box], interpolation: Optional[int], fmt: Any, stream: Optional["Stream"]) -> Image:
        channel = self._check_open()
        if dest is None:
            width, height = (int(v) for v in size)  # type: ignore[union-attr]
            if width <= 0 or height <= 0:
                raise ValueError("output size %r must be positive" % (size,))
        src = self._dvpp_pixels(image)
        try:
            out = self._new(PixelFormat(fmt), width, height) if dest is None else dest
        except BaseException:
            _drop(src)
            raise
        keep: List[Any] = [src]
        try:
            ih, oh = _pic_descs(keep, src, out)
            crop = _roi(box, "box") if box is not None else None
            paste = _roi(dest_box, "dest_box") if dest_box is not None else None
            keep += [c for c in (crop, paste) if c is not None]
            # a plain resize (no box) always has a resize configuration: bilinear unless one is given
            resize: Optional[_Config] = None
            if interpolation is not None or box is None:
                resize = _Config("resize", INTERPOLATION_BILINEAR if interpolation is None else int(interpolation))
                keep.append(resize)
            rh = resize.handle if resize is not None else None
            ch = crop.handle if crop is not None else None
            ph = paste.handle if paste is not None else None
            if ch is None:
                submit, name = (lambda s: lib.acldvppVpcResizeAsync(channel, ih, oh, rh, s)), \
                    "acldvppVpcResizeAsync"
            elif ph is None:
                if rh is None:
                    submit, name = (lambda s: lib.acldvppVpcCropAsync(channel, ih, oh, ch, s)), \
                        "acldvppVpcCropAsync"
                else:
                    submit, name = (lambda s: lib.acldvppVpcCropResizeAsync(channel, ih, oh, ch, rh, s)), \
                        "acldvppVpcCropResizeAsync"
            elif rh is None:
                submit, name = (lambda s: lib.acldvppVpcCropAndPasteAsync(channel, ih, oh, ch, ph, s)), \
                    "acldvppVpcCropAndPasteAsync"
            else:
                submit, name = (lambda s: lib.acldvppVpcCropResizePasteAsync(channel, ih, oh, ch, ph, rh, s)), \
                    "acldvppVpcCropResizePasteAsync"
            self._run(submit, name, stream, keep)
        except BaseException:
            _abandon(keep, out if dest is None else None)
            raise
        return out

    def batch_crop_resize(self, images: Sequence[Image], boxes: Sequence[Sequence[Box]],
                          size: Optional[Tuple[int, int]] = None, interpolation: int = INTERPOLATION_BILINEAR,
                          dests: Optional[Sequence[Sequence[Tuple[Image, Box]]]] = None,
                          format: PixelFormat = PixelFormat.NV12,
                          stream: Optional["Stream"] = None) -> List[List[Image]]:
        """Several regions of several pictures in one call: ``boxes[i]`` are the regions of ``images[i]`` (left, top,
        right, bottom; right and bottom exclusive), each scaled to ``size`` into a new picture
        (acldvppVpcBatchCropResizeAsync), or, with ``dests`` (one (picture, box) per region), pasted scaled into
        ``box`` of that DVPP picture (acldvppVpcBatchCropResizePasteAsync). Returns the outputs per input picture.
        At most 256 regions in all (CANN's limit). One task on the stream for the whole batch."""
        channel = self._check_open()
        if len(images) != len(boxes) or not images:
            raise ValueError("give the regions of each picture: %d pictures, %d lists of boxes" % (len(images),
                                                                                                 len(boxes)))
        if dests is not None and [len(d) for d in dests] != [len(b) for b in boxes]:
            raise ValueError("dests must give one (picture, box) per region")
        if dests is None and size is None:
            raise ValueError("give size (new pictures) or dests (paste into pictures)")
        keep: List[Any] = []
        outs: List[List[Image]] = []
        try:
            srcs = [self._dvpp_pixels(img) for img in images]
            keep += srcs
            flat_dests: List[Image] = []
            for bxs, ds in zip(boxes, dests or [None] * len(boxes)):  # type: ignore[list-item]
                row = []
                for k in range(len(bxs)):
                    if ds is None:
                        w, h = (int(v) for v in size)  # type: ignore[union-attr]
                        row.append(self._new(PixelFormat(format), w, h))
                    else:
                        row.append(ds[k][0])
                outs.append(row)
                flat_dests += row
            src_batch = _BatchDesc(srcs)
            keep.append(src_batch)
            dst_batch = _BatchDesc(flat_dests)
            keep.append(dst_batch)
            crops = [_roi(b, "box") for bxs in boxes for b in bxs]
            keep += crops
            pastes = [_roi(d[1], "dest box") for ds in dests for d in ds] if dests is not None else []
            keep += pastes
            resize = _Config("resize", int(interpolation))
            keep.append(resize)
            nums = ffi.new("uint32_t[]", [len(b) for b in boxes])
            crop_arr = ffi.new("acldvppRoiConfig *[]", [c.handle for c in crops])
            paste_arr = ffi.new("acldvppRoiConfig *[]", [c.handle for c in pastes]) if pastes else None
            keep += [nums, crop_arr] + ([paste_arr] if paste_arr is not None else [])
            name = ("acldvppVpcBatchCropResizeAsync" if paste_arr is None
                    else "acldvppVpcBatchCropResizePasteAsync")

            def submit(s: Any) -> int:
                if paste_arr is None:
                    return int(lib.acldvppVpcBatchCropResizeAsync(channel, src_batch.handle, nums, len(boxes),
                                                                  dst_batch.handle, crop_arr, resize.handle, s))
                return int(lib.acldvppVpcBatchCropResizePasteAsync(channel, src_batch.handle, nums, len(boxes),
                                                                   dst_batch.handle, crop_arr, paste_arr,
                                                                   resize.handle, s))
            self._run(submit, name, stream, keep)
        except BaseException:
            _abandon(keep, *(img for row in outs for img in row) if dests is None else ())
            raise
        return outs


#: The formats make_border writes (VPC's outputs on Ascend310P and newer) without being asked for another.
_BORDER_OUTPUTS = (PixelFormat.NV12, PixelFormat.NV21, PixelFormat.YUV400, PixelFormat.RGB888, PixelFormat.BGR888)


def _equalization_lut(hist: np.ndarray) -> np.ndarray:
    """OpenCV's equalizeHist mapping of a 256-bin histogram (all one value: that value)."""
    counts = hist.astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.arange(256, dtype=np.uint8)
    first = int(np.flatnonzero(counts)[0])
    if counts[first] == total:
        return np.full(256, first, np.uint8)
    scale = 255.0 / (total - int(counts[first]))
    mapped = np.rint((np.cumsum(counts) - counts[first]) * scale)  # cvRound: half to even
    mapped[:first] = 0
    return np.clip(mapped, 0, 255).astype(np.uint8)


class _BatchDesc(Owned):
    """An acldvppBatchPicDesc whose pictures describe the given images."""

    def __init__(self, images: Sequence[Image]):
        self.handle = _created(lib.acldvppCreateBatchPicDesc(len(images)), "acldvppCreateBatchPicDesc")
        self._own(lib.acldvppDestroyBatchPicDesc, "acldvppDestroyBatchPicDesc", self.handle, -1)
        try:
            for i, img in enumerate(images):
                d = lib.acldvppGetPicDesc(self.handle, i)
                for fn, name, value in ((lib.acldvppSetPicDescData, "acldvppSetPicDescData", img._c()),
                                        (lib.acldvppSetPicDescSize, "acldvppSetPicDescSize", img.nbytes),
                                        (lib.acldvppSetPicDescFormat, "acldvppSetPicDescFormat", int(img.format)),
                                        (lib.acldvppSetPicDescWidth, "acldvppSetPicDescWidth", img.width),
                                        (lib.acldvppSetPicDescHeight, "acldvppSetPicDescHeight", img.height),
                                        (lib.acldvppSetPicDescWidthStride, "acldvppSetPicDescWidthStride",
                                         img.width_stride),
                                        (lib.acldvppSetPicDescHeightStride, "acldvppSetPicDescHeightStride",
                                         img.height_stride)):
                    check(fn(d, value), name)
        except BaseException:
            self.close()
            raise




def _wstride_align() -> int:
    """JPEGD's output width stride alignment on this SoC: 128 on Ascend310/910, 64 on 310P and newer."""
    from .runtime import soc_name

    soc = soc_name()
    return 64 if soc.startswith(("Ascend310P", "Ascend310B", "Ascend910B", "Ascend910_93")) else 128


def _predict_geometry(host: np.ndarray, fmt: PixelFormat, png: bool) -> Tuple[PixelFormat, int, int, int, int]:
    """The (format, width, height, width stride, height stride) a decode will write, known before it has run
    (the decoder writes the same into the output description), so that work on the result can be queued."""
    data = ffi.from_buffer(host)
    cells = ffi.new("uint32_t[2]")
    comps = ffi.new("int32_t *")
    if png:
        check(lib.acldvppPngGetImageInfo(data, host.size, cells, cells + 1, comps), "acldvppPngGetImageInfo")
        alpha = comps[0] in (2, 4)
        out = fmt if fmt != PixelFormat.UNKNOWN else (PixelFormat.RGBA8888 if alpha else PixelFormat.RGB888)
        bpp = layout(out)[0]
        w, h = int(cells[0]), int(cells[1])
        return out, w, h, align(w, 128) * bpp, align(h, 16)
    sampling = ffi.new("acldvppJpegFormat *")
    check(lib.acldvppJpegGetImageInfoV2(data, host.size, cells, cells + 1, comps, sampling),
          "acldvppJpegGetImageInfoV2")
    w, h = int(cells[0]), int(cells[1])
    if _exif_orientation(host) >= 5:
        w, h = h, w
    if fmt == PixelFormat.UNKNOWN:
        fmt = {lib.ACL_JPEG_CSS_444: PixelFormat.YVU444SP, lib.ACL_JPEG_CSS_422: PixelFormat.YVU422SP,
               lib.ACL_JPEG_CSS_440: PixelFormat.YVU440SP}.get(int(sampling[0]), PixelFormat.NV21)
    if layout(fmt)[1] != (0, 0):
        w, h = w & ~1, h & ~1
    return fmt, w, h, align(w, _wstride_align()), align(h, 16)


def _exif_orientation(host: np.ndarray) -> int:
    """The EXIF orientation of a JPEG (1 when absent), as Pillow reads it."""
    import io

    from PIL import Image as PILImage

    try:
        return int(PILImage.open(io.BytesIO(host.tobytes())).getexif().get(0x0112, 1))
    except Exception:  # unreadable EXIF: the device does not turn the picture either
        return 1


def _temp(image: Image) -> Image:
    """Mark an image as the processor's own temporary copy (released when the work has run)."""
    image._temp = True  # type: ignore[attr-defined]
    return image


def _drop(obj: Any) -> None:
    """Release an object the processor made (a description, a configuration, a temporary copy)."""
    if obj is not None and (isinstance(obj, Owned) or getattr(obj, "_temp", False)):
        obj.close()


def _pic_descs(keep: List[Any], *images: Image) -> List[Any]:
    """The picture descriptions of images (kept in keep, released with it): their handles."""
    handles = []
    for image in images:
        desc = _PicDesc.of(image)
        keep.append(desc)
        handles.append(desc.handle)
    return handles


def _abandon(keep: Sequence[Any], *made: Optional[Image]) -> None:
    """A submission that failed: release what it kept and the output pictures it made."""
    for obj in keep:
        _drop(obj)
    for image in made:
        if image is not None:
            image.close()


def _restride(image: Image, fmt: PixelFormat) -> np.ndarray:
    """The image's pixels without padding (host)."""
    return np.ascontiguousarray(image.to_numpy())


def _place(src: Image, dst: Image, flat: np.ndarray) -> None:
    """Write src's planes (host, no padding) into flat, laid out with dst's strides."""
    bpp, chroma, _num = layout(dst.format)  # type: ignore[arg-type]
    ws, hs, w, h = dst.width_stride, dst.height_stride, dst.width, dst.height
    px = src.to_numpy()
    rows = flat.reshape(-1, ws)
    if chroma is None:
        rows[:h, : w * bpp] = px.reshape(h, w * bpp)
        return
    sx, sy = chroma
    rows[:h, :w] = px[:h]
    ch, cb = (h + (1 << sy) - 1) >> sy, ((w + (1 << sx) - 1) >> sx) * 2
    cstride = ws * (2 if sx == 0 else 1)
    cplane = flat[ws * hs: ws * hs + cstride * ch].reshape(ch, cstride)
    cplane[:, :cb] = px[h:].reshape(ch, cb)
