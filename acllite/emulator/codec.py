"""The emulator's image codecs on Pillow (registered by :func:`acllite.emulator.start`).

The emulator's C side (csrc/emu/dvpp_codec.c) reads every marker or chunk and enforces every documented limit
*before* calling these, and it does all of the pixel-layout work: strides, chroma averaging to NV12/NV21 or the
source sampling, RGB888/RGBA8888 rows. What is left here is entropy decoding and encoding, done by Pillow's
libjpeg-turbo and zlib: a decoder turns the compressed bytes into rows and hands them to
``acllite_emu_image_put_rows``, which writes them straight into the DVPP output buffer.

No intermediate image is made beyond Pillow's own: JPEGs are decoded directly to YCbCr (``draft`` with a mode
and no size: libjpeg's colour conversion is skipped, there is no DCT scaling), and the decoded pixels are
passed by address through Pillow's Arrow export when they lie in one block; larger images go in strips of
:data:`STRIP_ROWS` rows. PIL is imported on the first call.

The callbacks run on the emulator's stream worker threads (cffi takes the GIL). They never call AscendCL.
"""

from __future__ import annotations

import ctypes
import io
import logging
import struct
import zlib
from typing import Any, Optional, Tuple

from .._acl_cffi import ffi, lib
from ._extern import extern

logger = logging.getLogger("acllite.emulator")

ACL_ERROR_INVALID_PARAM = 100000
ACL_ERROR_INTERNAL_ERROR = 500000
PIXELS_L, PIXELS_YCBCR, PIXELS_RGB, PIXELS_RGBA = 1, 2, 3, 4
#: Rows per strip when an image's pixels are not in one block (only very large images).
STRIP_ROWS = 256

_pil: Any = None
_transpose: dict = {}

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_pointer.restype = ctypes.c_void_p
_put_rows = lib.acllite_emu_image_put_rows


def _image_module() -> Any:
    global _pil
    if _pil is None:
        from PIL import Image

        t = Image.Transpose
        # EXIF orientation (TIFF values) -> the transposition that shows the picture upright.
        _transpose.update({2: t.FLIP_LEFT_RIGHT, 3: t.ROTATE_180, 4: t.FLIP_TOP_BOTTOM, 5: t.TRANSPOSE,
                           6: t.ROTATE_270, 7: t.TRANSVERSE, 8: t.ROTATE_90})
        _pil = Image
    return _pil


def _arrow_pixels(im: Any) -> Optional[Tuple[Any, Any]]:
    """(address of the first pixel, what keeps it alive) when Pillow holds the pixels in one block, else None.

    Pillow's ``__arrow_c_array__`` exports its storage without a copy, as a standard Arrow C array: uint8 for
    one-byte modes, a fixed-size list of 4 uint8 for the others. Its data buffer is ``buffers[1]`` (of the child
    array for lists); the capsule releases the export when it is collected.
    """
    try:
        _schema, array = im.__arrow_c_array__()
    except (AttributeError, ValueError):
        return None
    addr = _capsule_pointer(array, b"arrow_array")
    head = ffi.cast("int64_t *", addr)  # length, null_count, offset, n_buffers, n_children, then pointers
    if head[4]:
        children = ffi.cast("void ***", addr + 48)[0]
        addr = int(ffi.cast("uintptr_t", children[0]))
        head = ffi.cast("int64_t *", addr)
    if head[3] < 2 or head[2] != 0:
        return None
    buffers = ffi.cast("void ***", addr + 40)[0]
    return buffers[1], array


def _deliver(sink: Any, im: Any, layout: int) -> int:
    """Hand every row of im to the sink: by address when possible, else strip by strip."""
    width, height = im.size
    found = _arrow_pixels(im)
    if found is not None:
        pb = 1 if im.mode == "L" else 4
        return _put_rows(sink, found[0], width, width * pb, layout, pb, 0, height)
    for top in range(0, height, STRIP_ROWS):
        rows = min(STRIP_ROWS, height - top)
        strip = im.crop((0, top, width, top + rows))
        part = _arrow_pixels(strip)
        if part is not None:
            pb = 1 if im.mode == "L" else 4
            rc = _put_rows(sink, part[0], width, width * pb, layout, pb, top, rows)
        else:
            raw = strip.tobytes()
            pb = len(raw) // (width * rows)
            rc = _put_rows(sink, ffi.from_buffer(raw), width, width * pb, layout, pb, top, rows)
        if rc:
            return rc
    return 0


def _fail(message: Any, message_len: int, code: int, text: str) -> int:
    data = text.encode("utf-8", "replace")[: max(message_len - 1, 0)]
    if message_len:
        ffi.memmove(message, data, len(data))
        message[len(data)] = b"\0"
    return code


def _open(data: Any, size: int) -> Any:
    return _image_module().open(io.BytesIO(ffi.buffer(data, size)))


@extern(ACL_ERROR_INTERNAL_ERROR, "JPEG decoding failed", ACL_ERROR_INVALID_PARAM)
def acllite_py_jpeg_decode(sink, data, size, orientation, message, message_len):
    try:
        im = _open(data, size)
        if im.mode == "RGB":
            im.draft("YCbCr", None)  # the decoder's own YCbCr: no colour conversion, full size
        im.load()  # the whole decode happens here: a corrupt stream fails before any row is written
        if im.mode not in ("YCbCr", "L"):
            return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "Pillow decoded a %s JPEG" % im.mode)
        if orientation != 1:
            im = im.transpose(_transpose[orientation])
        rc = _deliver(sink, im, PIXELS_L if im.mode == "L" else PIXELS_YCBCR)
        if rc:
            return _fail(message, message_len, rc, "the rows were refused: %s" % _recent())
        return 0
    except Exception as exc:  # a callback must not raise into C
        return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "JPEG decoding failed: %s: %s" % (
            type(exc).__name__, exc))


#: Adam7 passes: (first column, first row, column step, row step).
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _png_missing_rows(png: bytes) -> Optional[str]:
    """Why a PNG's image data is short of what its IHDR describes, or None.

    Pillow decodes a zlib stream that ends (properly) before the last row as a success, leaving the missing rows
    black, whatever ``ImageFile.LOAD_TRUNCATED_IMAGES`` says. The stream is inflated here first, up to the bytes
    the rows need and no further (the emulator's C has checked the chunk structure and CRCs).
    """
    pos, idat, ihdr = 8, [], None
    while pos + 12 <= len(png):
        n, kind = struct.unpack_from(">I4s", png, pos)
        if kind == b"IHDR":
            ihdr = struct.unpack_from(">IIBBBBB", png, pos + 8)
        elif kind == b"IDAT":
            idat.append(png[pos + 8:pos + 8 + n])
        elif kind == b"IEND":
            break
        pos += 12 + n
    if ihdr is None:
        return "no IHDR chunk"
    width, height, depth, color, _, _, interlace = ihdr
    bits = _PNG_CHANNELS.get(color, 4) * depth

    def rows(w: int, h: int) -> int:  # filter byte + packed samples per row
        return h * (1 + (w * bits + 7) // 8) if w and h else 0

    passes = [((width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy) for x0, y0, dx, dy in _ADAM7] \
        if interlace else [(width, height)]
    need = sum(rows(w, h) for w, h in passes)
    inflate = zlib.decompressobj()
    got = 0
    pending = b"".join(idat)
    try:
        while pending and got < need:
            got += len(inflate.decompress(pending, min(need - got, 1 << 22)))
            pending = inflate.unconsumed_tail
            if inflate.eof:
                break
    except zlib.error as exc:
        return "its image data is corrupt (zlib: %s)" % exc
    if got >= need:
        return None
    if interlace:
        return "its image data holds %d of the %d bytes its %d rows need (interlaced)" % (got, need, height)
    return "its image data holds %d of %d rows" % (got // (1 + (width * bits + 7) // 8), height)


@extern(ACL_ERROR_INTERNAL_ERROR, "PNG decoding failed", ACL_ERROR_INVALID_PARAM)
def acllite_py_png_decode(sink, data, size, keep_alpha, message, message_len):
    try:
        short = _png_missing_rows(bytes(ffi.buffer(data, size)))
        if short is not None:
            return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "the PNG is truncated: %s" % short)
        im = _open(data, size)
        im.load()
        mode = "RGBA" if keep_alpha else "RGB"
        if im.mode != mode:
            im = im.convert(mode)
        rc = _deliver(sink, im, PIXELS_RGBA if keep_alpha else PIXELS_RGB)
        if rc:
            return _fail(message, message_len, rc, "the rows were refused: %s" % _recent())
        return 0
    except Exception as exc:
        return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "PNG decoding failed: %s: %s" % (
            type(exc).__name__, exc))


@extern(ACL_ERROR_INTERNAL_ERROR, "JPEG encoding failed", ACL_ERROR_INVALID_PARAM)
def acllite_py_jpeg_encode(pixels, width, height, row_stride, quality, out, capacity, written, message,
                           message_len):
    try:
        Image = _image_module()
        im = Image.frombuffer("YCbCr", (width, height), ffi.buffer(pixels, row_stride * height), "raw", "YCbCr",
                              row_stride, 1)
        sink = io.BytesIO()
        im.save(sink, "JPEG", quality=int(quality), subsampling=2)  # baseline Huffman, 4:2:0
        view = sink.getbuffer()
        n = view.nbytes
        if n > capacity:
            return _fail(message, message_len, ACL_ERROR_INVALID_PARAM,
                         "the JPEG takes %d bytes, the output buffer holds %d (size it with "
                         "acldvppJpegPredictEncSize)" % (n, capacity))
        ffi.memmove(out, view, n)
        written[0] = n
        return 0
    except Exception as exc:
        return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "JPEG encoding failed: %s: %s" % (
            type(exc).__name__, exc))


def _recent() -> str:
    p = lib.aclGetRecentErrMsg()
    return ffi.string(p).decode(errors="replace") if p != ffi.NULL else "no message"


def register() -> Any:
    """Hand the codec callbacks to the emulator; returns the table (the emulator copies it)."""
    table = ffi.new("acllite_emu_image_codec *")
    table.jpeg_decode = lib.acllite_py_jpeg_decode
    table.png_decode = lib.acllite_py_png_decode
    table.jpeg_encode = lib.acllite_py_jpeg_encode
    lib.acllite_emu_set_image_codec(table)
    logger.debug("image codec registered (Pillow)")
    return table
