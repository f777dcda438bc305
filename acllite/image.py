"""Images: pixels (or an encoded JPEG/PNG file) in host, device or DVPP memory, with their format and strides.

An :class:`Image` is a view of memory someone owns: a numpy array (host), a
:class:`~acllite.memory.DeviceBuffer` (device) or a :class:`~acllite.memory.DvppBuffer` (DVPP). It knows its pixel
format (:class:`PixelFormat`, the acldvppPixelFormat values) or encoding (``"jpeg"``/``"png"``), width, height,
width stride (bytes per row of the first plane) and height stride (rows per plane). Images made by an
:class:`~acllite.dvpp.ImageProcessor` own their DVPP buffer; ``close()`` releases it (idempotent).

Device and DVPP images go to :meth:`acllite.Model.execute` as they are (their ``buffer`` is passed by pointer,
``nbytes`` long). In ACL_HOST run mode the host cannot address them: :meth:`Image.to_numpy` copies them out once
and returns a view without the stride padding.
"""

from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING, Any, Optional, Tuple, Union

import numpy as np

from ._lifecycle import closed_error, exit_close
from ._native import ffi, lib
from .errors import check
from .memory import Buffer, DeviceBuffer, DvppBuffer

if TYPE_CHECKING:
    from .runtime import Device

__all__ = ["Image", "PixelFormat", "HOST", "DEVICE", "DVPP", "JPEG", "PNG"]

HOST, DEVICE, DVPP = "host", "device", "dvpp"
JPEG, PNG = "jpeg", "png"


class PixelFormat(enum.IntEnum):
    """acldvppPixelFormat values of the formats acllite's images handle."""

    YUV400 = lib.PIXEL_FORMAT_YUV_400
    NV12 = lib.PIXEL_FORMAT_YUV_SEMIPLANAR_420
    NV21 = lib.PIXEL_FORMAT_YVU_SEMIPLANAR_420
    YUV422SP = lib.PIXEL_FORMAT_YUV_SEMIPLANAR_422
    YVU422SP = lib.PIXEL_FORMAT_YVU_SEMIPLANAR_422
    YUV444SP = lib.PIXEL_FORMAT_YUV_SEMIPLANAR_444
    YVU444SP = lib.PIXEL_FORMAT_YVU_SEMIPLANAR_444
    YUV440SP = lib.PIXEL_FORMAT_YUV_SEMIPLANAR_440
    YVU440SP = lib.PIXEL_FORMAT_YVU_SEMIPLANAR_440
    YUYV = lib.PIXEL_FORMAT_YUYV_PACKED_422
    UYVY = lib.PIXEL_FORMAT_UYVY_PACKED_422
    YVYU = lib.PIXEL_FORMAT_YVYU_PACKED_422
    VYUY = lib.PIXEL_FORMAT_VYUY_PACKED_422
    YUV444 = lib.PIXEL_FORMAT_YUV_PACKED_444
    RGB888 = lib.PIXEL_FORMAT_RGB_888
    BGR888 = lib.PIXEL_FORMAT_BGR_888
    ARGB8888 = lib.PIXEL_FORMAT_ARGB_8888
    ABGR8888 = lib.PIXEL_FORMAT_ABGR_8888
    RGBA8888 = lib.PIXEL_FORMAT_RGBA_8888
    BGRA8888 = lib.PIXEL_FORMAT_BGRA_8888
    UNKNOWN = lib.PIXEL_FORMAT_UNKNOWN


_F = PixelFormat
#: format -> (bytes per pixel of the first plane, (chroma x shift, chroma y shift) or None, total = ws*hs*num/2)
_LAYOUT = {
    _F.YUV400: (1, None, 2),
    _F.NV12: (1, (1, 1), 3), _F.NV21: (1, (1, 1), 3),
    _F.YUV422SP: (1, (1, 0), 4), _F.YVU422SP: (1, (1, 0), 4),
    _F.YUV444SP: (1, (0, 0), 6), _F.YVU444SP: (1, (0, 0), 6),
    _F.YUV440SP: (1, (0, 1), 4), _F.YVU440SP: (1, (0, 1), 4),
    _F.YUYV: (2, None, 2), _F.UYVY: (2, None, 2), _F.YVYU: (2, None, 2), _F.VYUY: (2, None, 2),
    _F.YUV444: (3, None, 2), _F.RGB888: (3, None, 2), _F.BGR888: (3, None, 2),
    _F.ARGB8888: (4, None, 2), _F.ABGR8888: (4, None, 2), _F.RGBA8888: (4, None, 2), _F.BGRA8888: (4, None, 2),
}


def align(value: int, to: int) -> int:
    return (value + to - 1) // to * to


def layout(fmt: PixelFormat) -> Tuple[int, Optional[Tuple[int, int]], int]:
    """(bytes per pixel, chroma shifts of a semi-planar format or None, size numerator over 2)."""
    try:
        return _LAYOUT[PixelFormat(fmt)]
    except (KeyError, ValueError):
        raise ValueError("pixel format %r has no layout in acllite" % (fmt,)) from None


def picture_bytes(fmt: PixelFormat, width_stride: int, height_stride: int) -> int:
    """Bytes a picture of this format occupies with these strides (YUV400 counted as ws*hs)."""
    _bpp, chroma, num = layout(fmt)
    return width_stride * height_stride * num // 2


_FORMATS = frozenset(int(f) for f in PixelFormat)


def _check_fits(img: "Image") -> None:
    """The constructor's checks (see :class:`Image`): the geometry is consistent, and the memory holds it."""
    fmt, data, w, h = img._format, img._data, img._width, img._height
    ws, hs = img._width_stride, img._height_stride
    # What the data holds: a buffer's bytes, a flat array's; 2-D and 3-D arrays are checked row by row below.
    if isinstance(data, np.ndarray):
        _extent(data)  # refuses negative strides
        held = data.size if data.ndim == 1 and data.flags.c_contiguous else None
    else:
        held = data.nbytes
    if isinstance(fmt, str) or fmt == PixelFormat.UNKNOWN:
        if isinstance(data, np.ndarray) and (data.ndim != 1 or not data.flags.c_contiguous):
            raise ValueError("encoded data is a flat C-ordered uint8 array, got shape %s, strides %s"
                             % (data.shape, data.strides))
        if fmt == PixelFormat.UNKNOWN and img._nbytes is None:
            raise ValueError("a picture of unknown format needs nbytes")
        assert held is not None
        n = held if img._nbytes is None else img._nbytes
        if n > held:
            raise ValueError("nbytes %d is more than the %d bytes of the data" % (n, held))
        img._nbytes = n  # encoded: the data's length unless told
        return
    bpp, chroma, num = layout(fmt)
    name = PixelFormat(fmt).name
    if w <= 0 or h <= 0:
        raise ValueError("a %s picture needs a positive width and height, got %dx%d" % (name, w, h))
    if ws < w * bpp:
        raise ValueError("width_stride %d is less than the %d bytes of a %d-pixel %s row" % (ws, w * bpp, w, name))
    if hs < h:
        raise ValueError("height_stride %d is less than the height %d" % (hs, h))
    if chroma is not None and ((chroma[0] and w % 2) or (chroma[1] and h % 2)):
        raise ValueError("%s subsamples chroma %s: its %s must be even, got %dx%d" % (
            name, "horizontally" if chroma[0] and w % 2 else "vertically",
            "width" if chroma[0] and w % 2 else "height", w, h))
    picture = picture_bytes(fmt, ws, hs)
    n = picture if img._nbytes is None else img._nbytes
    if n < picture:
        raise ValueError("nbytes %d is less than the %d bytes a %dx%d %s picture with strides %dx%d takes" % (
            n, picture, w, h, name, ws, hs))
    if held is not None and n > held:
        raise ValueError("the %s picture takes %d bytes; its %s holds %d" % (
            name, n, "array" if isinstance(data, np.ndarray) else "buffer", held))
    if not isinstance(data, np.ndarray):
        return
    a = data
    if chroma is None:
        rows_needed = h
    else:
        rows_needed = hs + ((h + (1 << chroma[1]) - 1) >> chroma[1]) * (2 if chroma[0] == 0 else 1)
    if a.ndim == 1:
        if not a.flags.c_contiguous:
            raise ValueError("a flat picture array must be C-ordered (strides (1,)), got strides %s" % (a.strides,))
        return
    if a.ndim == 2:
        cols, packed = a.shape[1], a.strides[1] == 1
    elif a.ndim == 3 and chroma is None:
        cols, packed = a.shape[1] * a.shape[2], a.shape[2] == bpp and a.strides[1:] == (bpp, 1)
        if a.shape[1] < w:
            raise ValueError("an array of shape %s has fewer than %d columns" % (a.shape, w))
    else:
        raise ValueError("a %s picture is a flat array, a 2-D array of rows%s; got shape %s" % (
            name, "" if chroma is not None else " or an (h, w, %d) array" % bpp, a.shape))
    if not packed:
        raise ValueError("the array's %s must be packed (strides %s)" % ("pixels" if a.ndim == 3 else "row bytes",
                                                                        a.strides))
    if a.strides[0] != ws:
        raise ValueError("width_stride %d does not match the array's row stride %d" % (ws, a.strides[0]))
    # A 4:4:4 or 4:4:0 chroma row is 2 x width bytes, two array rows apart: it may not cover a row's gap.
    row_bytes = w * bpp if chroma is None or chroma[0] else max(w, min(2 * w, ws))
    if a.shape[0] < rows_needed or cols < row_bytes:
        raise ValueError("an array of shape %s is too small for a %dx%d %s picture (with strides %dx%d it needs %d "
                         "rows of %d bytes)" % (a.shape, w, h, name, ws, hs, rows_needed, row_bytes))


def _extent(a: np.ndarray) -> int:
    """Bytes an array's data spans (of its elements; 0 when empty)."""
    if a.size == 0:
        return 0
    if any(s < 0 for s in a.strides):
        raise ValueError("the array's strides %s are negative: copy it (np.ascontiguousarray)" % (a.strides,))
    return sum((n - 1) * s for n, s in zip(a.shape, a.strides)) + a.itemsize


def _memory_of(buffer: Any) -> str:
    if isinstance(buffer, DvppBuffer):
        return DVPP
    if isinstance(buffer, Buffer) and buffer.on_device:
        return DEVICE
    return HOST


class Image:
    """A picture: raw pixels with a :class:`PixelFormat`, or an encoded ``"jpeg"``/``"png"`` file.

    Parameters
    ----------
    data:
        a numpy uint8 array (host memory; borrowed, not copied) or a :class:`~acllite.memory.Buffer` (device or
        DVPP memory).
    format:
        a :class:`PixelFormat`, or ``"jpeg"``/``"png"`` for encoded data.
    width, height:
        pixels. For encoded data, what the file's header says.
    width_stride, height_stride:
        bytes per row of the first plane and rows per plane (default: width * bytes per pixel, height).
    nbytes:
        bytes of the picture (default: from format and strides; for encoded data the data's length).
    owns:
        close() releases ``data`` (a Buffer) when True.

    Everything is checked against everything else, so that no view of the image ever reads outside its memory
    and no operation quietly fills missing rows: TypeError for data that is neither a uint8 array nor a device or
    DVPP buffer; ValueError for a format without a layout, sizes or strides that are not ints of the right sign,
    a width stride below ``width`` times the bytes per pixel, a height stride below ``height``, an odd width
    (height) of a format whose chroma is subsampled horizontally (vertically), ``nbytes`` below what the strides
    need or above the memory, and an array whose shape, strides or size do not hold the picture: a flat C-ordered
    array of at least ``nbytes`` bytes; a 2-D array of rows (of all planes, one under the other), packed bytes,
    rows ``width_stride`` bytes apart, at least ``height`` (planes: ``height_stride`` plus the chroma rows) rows
    of at least ``width`` times the bytes per pixel; or a 3-D ``(rows, columns, bytes per pixel)`` array with
    packed pixels and rows ``width_stride`` bytes apart (packed formats only). Encoded data: a flat C-ordered
    array or a buffer of at least ``nbytes`` bytes.
    """

    def __init__(self, data: Any, format: Union[PixelFormat, int, str], width: int, height: int,
                 width_stride: int = 0, height_stride: int = 0, nbytes: Optional[int] = None, owns: bool = False):
        self._pending: Any = None  # a decoder's output description, read once the decode has run
        for name, value in (("width", width), ("height", height), ("width_stride", width_stride),
                            ("height_stride", height_stride)) + ((("nbytes", nbytes),) if nbytes is not None else ()):
            if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < 0:
                raise ValueError("%s must be a non-negative int, got %r" % (name, value))
        if isinstance(format, str) and format not in (JPEG, PNG):
            raise ValueError("format must be a PixelFormat, 'jpeg' or 'png', got %r" % (format,))
        if not isinstance(format, (str, int, np.integer)) or isinstance(format, bool):
            raise ValueError("format must be a PixelFormat, 'jpeg' or 'png', got %r" % (format,))
        if not isinstance(format, str) and int(format) not in _FORMATS:
            raise ValueError("%r is not an acldvppPixelFormat acllite's images handle" % (format,))
        if isinstance(data, np.ndarray):
            if data.dtype != np.uint8:
                raise TypeError("images hold uint8 bytes, got an array of %s" % data.dtype)
            memory = HOST
        elif isinstance(data, Buffer) and data.on_device:
            memory = _memory_of(data)
        else:
            raise TypeError("an image's data is a numpy uint8 array or a device or DVPP Buffer, got %s"
                            % type(data).__name__)
        self._set_geometry(format, width, height, width_stride, height_stride)
        self._data = data
        self.memory = memory
        self._nbytes = None if nbytes is None else int(nbytes)
        self._owns = bool(owns)
        self._size_cell: Any = None  # encoded size written by an asynchronous encoder
        _check_fits(self)

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Union[str, "os.PathLike[str]"]) -> "Image":
        """A JPEG or PNG file, read into host memory (its size from the header)."""
        with open(path, "rb") as f:
            return cls.from_bytes(f.read())

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> "Image":
        """Encoded JPEG or PNG bytes (kept in host memory, not decoded)."""
        arr = np.frombuffer(bytes(data), np.uint8)
        raw = arr.tobytes() if arr.size < 8 else bytes(arr[:8])
        if raw[:2] == b"\xff\xd8":
            w, h, _c, _f = _jpeg_info(arr)
            return cls(arr, JPEG, w, h, nbytes=arr.size)
        if raw[:8] == b"\x89PNG\r\n\x1a\n":
            cells = ffi.new("uint32_t[2]")
            comps = ffi.new("int32_t *")
            check(lib.acldvppPngGetImageInfo(ffi.from_buffer(arr), arr.size, cells, cells + 1, comps),
                  "acldvppPngGetImageInfo")
            return cls(arr, PNG, cells[0], cells[1], nbytes=arr.size)
        raise ValueError("the data is neither a JPEG nor a PNG (first bytes %r)" % raw[:8])

    @classmethod
    def from_numpy(cls, array: np.ndarray, format: Optional[Union[PixelFormat, int]] = None) -> "Image":
        """Pixels in a numpy uint8 array, borrowed without a copy.

        ``(h, w)`` is YUV400, ``(h, w, 3)`` RGB888 and ``(h, w, 4)`` RGBA8888 unless ``format`` says otherwise;
        semi-planar formats are 2-D arrays of the planes one under the other (NV12: ``(h * 3 // 2, w)``). Rows may
        be further apart than their length (a slice of a wider array): that is the width stride.
        """
        a = np.asarray(array)
        if a.dtype != np.uint8:
            raise TypeError("images hold uint8 pixels, got %s" % a.dtype)
        if format is None:
            format = {2: _F.YUV400, 3: _F.RGB888 if a.ndim == 3 and a.shape[2] == 3 else None}.get(a.ndim)
            if a.ndim == 3 and a.shape[2] == 4:
                format = _F.RGBA8888
            if format is None:
                raise ValueError("cannot tell the pixel format of an array of shape %s: pass format=" % (a.shape,))
        fmt = PixelFormat(format)
        bpp, chroma, num = layout(fmt)
        if a.ndim == 3:
            if a.shape[2] != bpp:
                raise ValueError("%s has %d bytes per pixel, the array %d" % (fmt.name, bpp, a.shape[2]))
            height, width = a.shape[:2]
            packed = a.strides[1:] == (bpp, 1)
        else:
            rows, cols = a.shape
            width = cols // bpp
            height = rows * 2 // num if chroma is not None else rows
            packed = a.strides[1] == 1
        if not packed or a.strides[0] < width * bpp or (chroma is not None and not a.flags.c_contiguous):
            a = np.ascontiguousarray(a)
        if a.ndim not in (2, 3) or width <= 0 or height <= 0:
            raise ValueError("an array of shape %s holds no %s picture" % (a.shape, fmt.name))
        return cls(a, fmt, width, height, width_stride=a.strides[0], height_stride=height)

    def _set_geometry(self, format: Any, width: int, height: int, width_stride: int, height_stride: int) -> None:
        self._format: Union[PixelFormat, str] = format if isinstance(format, str) else PixelFormat(format)
        self._width, self._height = int(width), int(height)
        if isinstance(self._format, str) or self._format == PixelFormat.UNKNOWN:
            self._width_stride, self._height_stride = int(width_stride), int(height_stride)
        else:
            self._width_stride = int(width_stride) or self._width * layout(self._format)[0]
            self._height_stride = int(height_stride) or self._height

    def _settle(self) -> None:
        """Take format, size and strides from a decoder's output description once the decode has run."""
        d = self._pending
        if d is None:
            return
        h = d.handle
        width = lib.acldvppGetPicDescWidth(h)
        if width == 0 and lib.acldvppGetPicDescRetCode(h) == 0:
            return  # not run yet: synchronize the stream first
        self._set_geometry(int(lib.acldvppGetPicDescFormat(h)), width, lib.acldvppGetPicDescHeight(h),
                           lib.acldvppGetPicDescWidthStride(h), lib.acldvppGetPicDescHeightStride(h))
        self._pending = None
        self._nbytes = None  # the picture's own size from now on (the buffer may be larger)

    @property
    def format(self) -> Union[PixelFormat, str]:
        """A :class:`PixelFormat`, or ``"jpeg"``/``"png"``."""
        self._settle()
        return self._format

    @property
    def width(self) -> int:
        self._settle()
        return self._width

    @property
    def height(self) -> int:
        self._settle()
        return self._height

    @property
    def width_stride(self) -> int:
        """Bytes from one row of the first plane to the next."""
        self._settle()
        return self._width_stride

    @property
    def height_stride(self) -> int:
        """Rows of each plane (the chroma plane of a semi-planar picture starts this many rows down)."""
        self._settle()
        return self._height_stride

    # -- properties -----------------------------------------------------------------------------------------
    @property
    def encoded(self) -> bool:
        return isinstance(self.format, str)

    @property
    def buffer(self) -> Optional[Buffer]:
        """The device or DVPP buffer holding the picture (None for host images)."""
        return None if self.memory == HOST else self._data

    @property
    def data(self) -> Any:
        """The numpy array (host) or Buffer (device, DVPP) holding the picture."""
        return self._data

    @property
    def nbytes(self) -> int:
        """Bytes of the picture with its strides (of the file, for encoded images)."""
        if self._size_cell is not None:
            return int(self._size_cell[0])
        if self._nbytes is not None:
            return int(self._nbytes)
        return picture_bytes(self.format, self.width_stride, self.height_stride)  # type: ignore[arg-type]

    @property
    def ptr(self) -> int:
        if self.memory == HOST:
            return int(ffi.cast("uintptr_t", ffi.from_buffer(self._data)))
        return self._data.ptr

    def _c(self) -> Any:
        """The picture's address as cdata (host arrays: their buffer)."""
        if self.memory == HOST:
            return ffi.from_buffer(self._data)
        return self._data._c()

    @property
    def closed(self) -> bool:
        return self.memory != HOST and self._data.closed

    def close(self) -> None:
        """Release the buffer if the image owns it (idempotent)."""
        if self._owns and self.memory != HOST:
            self._data.close()

    def __enter__(self) -> "Image":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        exit_close(self.close, exc_type, "Image")

    def __repr__(self) -> str:
        fmt = self.format if self.encoded else self.format.name  # type: ignore[union-attr]
        return "<acllite.Image %s %dx%d %s, strides %dx%d, %d bytes>" % (
            fmt, self.width, self.height, self.memory, self.width_stride, self.height_stride, self.nbytes)

    # -- to host ----------------------------------------------------------------------------------------------
    def _check_usable(self) -> None:
        if self.closed:
            raise closed_error(getattr(self._data, "_res", None), "Image", "the Image is closed")

    def _rows(self) -> np.ndarray:
        """The picture as a 2-D byte array of rows (of all planes) ``width_stride`` bytes apart: host memory as
        it is (a view; its rows may be shorter than the stride), device or DVPP memory copied out once."""
        self._check_usable()
        ws = self.width_stride
        bpp, chroma, num = layout(self.format)  # type: ignore[arg-type]
        total = self.height_stride * num // 2 if chroma is not None else self.height
        if self.memory == HOST:
            a = self._data
            if a.ndim == 1:  # a flat copy: the strided picture byte for byte (the constructor checked its size)
                return a[: ws * total].reshape(total, ws)
            if a.ndim == 2:
                return a
            # (h, w, bpp) with rows ws bytes apart: the same memory seen as rows of bytes (no copy)
            return np.lib.stride_tricks.as_strided(a, shape=(a.shape[0], a.shape[1] * bpp), strides=(a.strides[0], 1))
        n = min(self.nbytes, self._data.nbytes, ws * total)
        flat = np.zeros(ws * total, np.uint8)
        self._data.copy_to(flat[:n])
        return flat.reshape(total, ws)

    def _flat(self) -> np.ndarray:
        """The picture byte for byte as its strides lay it out (``nbytes`` long, C-contiguous), gaps zero."""
        n = self.nbytes
        if self.memory != HOST:
            self._check_usable()
            flat = np.empty(n, np.uint8)
            self._data.copy_to(flat)
            return flat
        rows = self._rows()
        ws = self.width_stride
        flat = np.zeros(max(n, rows.shape[0] * ws), np.uint8)
        width = min(rows.shape[1], ws)
        flat[: rows.shape[0] * ws].reshape(rows.shape[0], ws)[:, :width] = rows[:, :width]
        return flat[:n]

    def to_numpy(self) -> np.ndarray:
        """The pixels without stride padding: a view of host memory, or of one copy of device or DVPP memory.

        Semi-planar formats give their planes one under the other, each row ``width`` bytes (NV12:
        ``(h * 3 // 2, w)``, YUV422SP ``(2 * h, w)``, YUV444SP ``(3 * h, w)``); YUV400 ``(h, w)``; packed
        4:2:2 ``(h, 2 * w)``; three- and four-byte formats ``(h, w, 3 | 4)``; encoded images their bytes (1-D).
        """
        if self.encoded:
            if self.memory == HOST:
                return np.asarray(self._data).reshape(-1)[: self.nbytes]
            self._check_usable()
            out = np.empty(self.nbytes, np.uint8)
            self._data.copy_to(out)
            return out
        rows = self._rows()
        bpp, chroma, _num = layout(self.format)  # type: ignore[arg-type]
        w, h = self.width, self.height
        if chroma is None:
            if bpp == 1:
                return rows[:h, :w]
            if bpp == 2:
                return rows[:h, : 2 * w]
            return rows[:h, : w * bpp].reshape(h, w, bpp)
        sx, sy = chroma
        chroma_rows = (h + (1 << sy) - 1) >> sy
        chroma_bytes = ((w + (1 << sx) - 1) >> sx) * 2
        extra = chroma_rows * chroma_bytes // w  # chroma seen as rows of w bytes
        if self.height_stride == h and chroma_bytes == w and rows.shape[1] >= w:
            return rows[: h + extra, :w]  # the planes touch: one view
        hs = self.height_stride
        cstride = rows.strides[0] * (2 if sx == 0 else 1)  # a 4:4:4/4:4:0 chroma row holds two rows of bytes
        c = np.lib.stride_tricks.as_strided(rows[hs:], shape=(chroma_rows, chroma_bytes), strides=(cstride, 1))
        return np.concatenate([rows[:h, :w], c.reshape(extra, w)], axis=0)

    def to_rgb(self) -> np.ndarray:
        """An ``(h, w, 3)`` RGB copy (JFIF full-range BT.601 for YUV; chroma repeated), to look at or save."""
        if self.encoded:
            import io

            from PIL import Image as PILImage

            return np.asarray(PILImage.open(io.BytesIO(self.to_numpy().tobytes())).convert("RGB"))
        f = PixelFormat(int(self.format))  # not encoded: a pixel format
        px = self.to_numpy()
        h, w = self.height, self.width
        if f in (_F.RGB888, _F.BGR888, _F.RGBA8888, _F.BGRA8888, _F.ARGB8888, _F.ABGR8888):
            order = {_F.RGB888: [0, 1, 2], _F.BGR888: [2, 1, 0], _F.RGBA8888: [0, 1, 2], _F.BGRA8888: [2, 1, 0],
                     _F.ARGB8888: [1, 2, 3], _F.ABGR8888: [3, 2, 1]}[f]
            return np.ascontiguousarray(px[:, :, order])
        if f == _F.YUV400:
            return np.repeat(px[:, :, None], 3, axis=2)
        if f in (_F.NV12, _F.NV21):
            uv = px[h:].reshape(h // 2, w // 2, 2).repeat(2, axis=0).repeat(2, axis=1)
            u, v = (uv[..., 0], uv[..., 1]) if f == _F.NV12 else (uv[..., 1], uv[..., 0])
            return yuv_to_rgb(px[:h], u, v)
        raise ValueError("to_rgb() does not convert %s; convert it with an ImageProcessor first" % f.name)

    def save(self, path: Union[str, "os.PathLike[str]"], **pillow_options: Any) -> None:
        """Write the image: encoded images as they are; pixels through Pillow (format from the file suffix)."""
        if self.encoded:
            with open(path, "wb") as f:
                f.write(self.to_numpy().tobytes())
            return
        from PIL import Image as PILImage

        PILImage.fromarray(self.to_rgb()).save(path, **pillow_options)

    def copy_to(self, memory: str, device: Optional["Device"] = None) -> "Image":
        """A copy of the picture in ``"host"``, ``"device"`` or ``"dvpp"`` memory, with the same strides."""
        if memory not in (HOST, DEVICE, DVPP):
            raise ValueError("memory must be 'host', 'device' or 'dvpp', got %r" % (memory,))
        n = self.nbytes
        if memory == HOST:
            flat = self.to_numpy().copy() if self.encoded else self._flat().copy()
            return Image(flat, self.format, self.width, self.height, self.width_stride, self.height_stride, n)
        device = device or getattr(self._data, "device", None)
        if device is None:
            raise ValueError("copying a host image to %s memory needs a device" % memory)
        self._check_usable()
        buf = DvppBuffer(max(n, 1), device) if memory == DVPP else DeviceBuffer(max(n, 1), device)
        try:
            if self.memory == HOST:
                src = self.to_numpy() if self.encoded else self._flat()
                buf.copy_from(np.ascontiguousarray(src[:n]))
            else:
                check(lib.aclrtMemcpy(buf._c(), n, self._data._c(), n, 3), "aclrtMemcpy")
        except BaseException:
            buf.close()
            raise
        return Image(buf, self.format, self.width, self.height, self.width_stride, self.height_stride, n, owns=True)


def yuv_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """JFIF (BT.601 full range) YUV to RGB, rounded and clipped: uint8 ``(..., 3)``."""
    yf = y.astype(np.float32)
    cb = u.astype(np.float32) - 128.0
    cr = v.astype(np.float32) - 128.0
    rgb = np.stack([yf + 1.402 * cr, yf - 0.344136 * cb - 0.714136 * cr, yf + 1.772 * cb], axis=-1)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def rgb_to_yuv(rgb: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """JFIF (BT.601 full range) RGB to float Y, U (Cb), V (Cr)."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128.0
    v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128.0
    return y, u, v


def _jpeg_info(arr: np.ndarray) -> Tuple[int, int, int, int]:
    cells = ffi.new("uint32_t[2]")
    comps = ffi.new("int32_t *")
    fmt = ffi.new("acldvppJpegFormat *")
    check(lib.acldvppJpegGetImageInfoV2(ffi.from_buffer(arr), arr.size, cells, cells + 1, comps, fmt),
          "acldvppJpegGetImageInfoV2")
    return int(cells[0]), int(cells[1]), int(comps[0]), int(fmt[0])
