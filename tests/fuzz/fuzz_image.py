"""Fuzz target: :class:`acllite.Image` construction and its views (``to_numpy``, ``to_rgb``, ``copy_to``).

Each input describes one image: the data (a uint8 array of 1 to 3 dimensions with any shape and strides, forward
or backward, sometimes of another dtype; or a device or DVPP buffer of some size), the format (every PixelFormat,
"jpeg", "png", unknown numbers), width, height, strides and nbytes (small values, zero, negative and huge ones).

The array is placed in guarded memory twice: once with its last byte just before a PROT_NONE page, once with its
first byte just after one, so that a view reading a byte past either end of the array's memory kills the process
(the finding). The only exceptions allowed are TypeError and ValueError (the documented ones). An image the
constructor accepts must then give, from ``to_numpy``, exactly the bytes its layout places where (an independent
reference reads the array's memory by offset), the same pixels from its host, device and DVPP copies, and an
``(h, w, 3)`` picture from ``to_rgb`` (or ValueError for formats it does not convert); nothing may stay alive.
"""

from __future__ import annotations

import ctypes
import mmap
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "image"
MAX_LEN = 96
PAGE = mmap.PAGESIZE
DATA = 1 << 16  # bytes between the two guard pages

with H.instrumented():
    import numpy as np

    import acllite
    from acllite.image import Image, PixelFormat, layout

acl: Any = None
device: Any = None
baseline: Dict[str, int] = {}
region: Any = None  # the guarded mapping: [guard page][DATA bytes][guard page]
data_view: Any = None  # numpy view of the DATA bytes (never of the guards)
FORMATS = list(PixelFormat) + ["jpeg", "png", 99, -1, 1 << 40]
INTERESTING = [0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 33, 64, 4095, 4096, 1 << 16, (1 << 31) - 1, 1 << 31, 1 << 62,
               -1, -2, -(1 << 31)]


def setup() -> None:
    global acl, device, baseline, region, data_view
    H.apply_env({})
    acl = acllite.init()
    device = acllite.Device(0)
    baseline = acllite.emulator_live_counts()
    region = mmap.mmap(-1, DATA + 2 * PAGE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(region))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    for at in (base, base + PAGE + DATA):
        if libc.mprotect(ctypes.c_void_p(at), PAGE, 0) != 0:  # PROT_NONE
            raise OSError(ctypes.get_errno(), "mprotect")
    data_view = np.frombuffer(region, np.uint8, count=DATA, offset=PAGE)
    data_view[:] = (np.arange(DATA) * 7 + 3) % 251


def _int(p: H.Provider, small: int) -> int:
    b = p.take(1)
    if b < 200:
        return b % (small + 1)
    return INTERESTING[p.take(1) % len(INTERESTING)]


PACKED = [f for f in PixelFormat if f != PixelFormat.UNKNOWN and layout(f)[1] is None]
PLANAR = [f for f in PixelFormat if f != PixelFormat.UNKNOWN and layout(f)[1] is not None]


def _geometry(p: H.Provider) -> Tuple[List[int], List[int], tuple]:
    """An array that holds a picture (format, size, strides from the input), then perhaps one thing wrong with it:
    the boundaries are where the constructor's checks must be exact."""
    planar = p.take(1) % 2 == 1
    fmt = (PLANAR if planar else PACKED)[p.take(1) % len(PLANAR if planar else PACKED)]
    bpp, chroma, num = layout(fmt)
    w, h = 1 + p.take(1) % 24, 1 + p.take(1) % 24
    if chroma is not None:
        w, h = w + (w % 2 if chroma[0] else 0), h + (h % 2 if chroma[1] else 0)
    ws = w * bpp + p.take(1) % 9
    hs = h + p.take(1) % 3
    if chroma is not None:
        rows = hs + ((h + (1 << chroma[1]) - 1) >> chroma[1]) * (2 if chroma[0] == 0 else 1)
    else:
        rows = h
    kind = p.take(1) % 3 if chroma is None else p.take(1) % 2
    if kind == 0:
        shape, strides = [ws * hs * num // 2], [1]
    elif kind == 1:
        shape, strides = [rows, ws], [ws, 1]
    else:
        shape, strides = [h, w, bpp], [ws, bpp, 1]
    args = (fmt, w, h, ws, hs, None)
    wrong = p.take(1) % 12
    k = p.take(1) % len(shape)
    if wrong == 1:
        shape[k] = max(shape[k] - 1, 0)
    elif wrong == 2:
        strides[k] += 1 if p.take(1) % 2 else -1
    elif wrong == 3:
        strides[0] = -strides[0]
    elif wrong == 4 and len(shape) > 1:
        shape[-1] = max(shape[-1] - 1, 1)
    elif wrong == 5:
        args = (fmt, w + 1, h, ws, hs, None)
    elif wrong == 6:
        args = (fmt, w, h + 1, ws, hs, None)
    elif wrong == 7:
        args = (fmt, w, h, ws + 1, hs, None)
    elif wrong == 8:
        args = (fmt, w, h, ws, hs + 1, None)
    elif wrong == 9:
        args = (fmt, w, h, ws, hs, ws * hs * num // 2 - 1)
    elif wrong == 10:
        args = (PixelFormat(FORMATS[p.take(1) % (len(FORMATS) - 5)]), w, h, ws, hs, None)
    return shape, strides, args


def _array(p: H.Provider, end_aligned: bool) -> Tuple[np.ndarray, int, Optional[tuple]]:
    """A uint8 array placed against a guard page, its first element's offset, and the geometry it was made for
    (None: shape and strides are random)."""
    args = None
    if p.take(1) % 4:
        shape, strides, args = _geometry(p)
        ndim = len(shape)
    else:
        ndim = 1 + p.take(1) % 3
        shape = [p.take(1) % 40 for _ in range(ndim)]
        strides = []
        for _ in range(ndim):
            s = p.take(1)
            strides.append(s % 97 - 16 if s < 240 else (s - 240) * 64)
    if any(n == 0 for n in shape):
        extent, low = 0, 0
    else:
        extent = sum((n - 1) * abs(s) for n, s in zip(shape, strides)) + 1
        low = sum((n - 1) * -s for n, s in zip(shape, strides) if s < 0)  # first element above the lowest byte
    if extent > DATA:
        shape = [1] * ndim
        extent, low = 1, 0
    start = (DATA - extent if end_aligned else 0) + low
    arr = np.ndarray(tuple(shape), np.uint8, buffer=data_view, offset=start, strides=tuple(strides))
    return arr, start, args


def _reference(img: Image, start: int) -> np.ndarray:
    """to_numpy's documented result, read from the memory by offset from the array's first element."""
    fmt, w, h, ws, hs = img.format, img.width, img.height, img.width_stride, img.height_stride
    bpp, chroma, _num = layout(fmt)

    def rows(first: int, count: int, stride: int, nbytes: int) -> np.ndarray:
        idx = start + first + np.arange(count)[:, None] * stride + np.arange(nbytes)[None, :]
        return data_view[idx]

    if chroma is None:
        out = rows(0, h, ws, w * bpp)
        return out if bpp == 1 else (out if bpp == 2 else out.reshape(h, w, bpp))
    sx, sy = chroma
    cr = (h + (1 << sy) - 1) >> sy
    cb = ((w + (1 << sx) - 1) >> sx) * 2
    luma = rows(0, h, ws, w)
    c = rows(ws * hs, cr, ws * (2 if sx == 0 else 1), cb)
    return np.concatenate([luma, c.reshape(cr * cb // w, w)], axis=0)


def _check(img: Image, start: Optional[int], what: str) -> None:
    fmt = img.format
    if isinstance(fmt, str) or fmt == PixelFormat.UNKNOWN:
        if isinstance(fmt, str):
            b = img.to_numpy()
            H.check(b.size == img.nbytes, "%s: to_numpy of encoded data gave %d bytes of %d", what, b.size, img.nbytes)
        return
    px = img.to_numpy()
    if start is not None:
        want = _reference(img, start)
        H.check(px.shape == want.shape and np.array_equal(px, want), "%s: to_numpy differs from the layout", what)
    try:
        rgb = img.to_rgb()
        H.check(rgb.shape == (img.height, img.width, 3) and rgb.dtype == np.uint8, "%s: to_rgb gave %s", what,
                rgb.shape)
    except ValueError as exc:
        H.check("does not convert" in str(exc), "%s: to_rgb: %s", what, exc)
    for memory in ("host", "device", "dvpp"):
        copy = img.copy_to(memory, device)
        try:
            H.check(np.array_equal(copy.to_numpy(), px), "%s: its %s copy differs", what, memory)
        finally:
            copy.close()


def _construct(data: Any, p: H.Provider, args: Optional[tuple] = None) -> Tuple[Image, Any]:
    if args is not None:
        fmt, w, h, ws, hs, nbytes = args
        return Image(data, fmt, w, h, ws, hs, nbytes, owns=False), args
    fmt = FORMATS[p.take(1) % len(FORMATS)]
    w, h = _int(p, 40), _int(p, 40)
    ws = _int(p, 130) if p.take(1) % 2 else 0
    hs = _int(p, 48) if p.take(1) % 2 else 0
    nbytes = _int(p, 4096) if p.take(1) % 3 == 0 else None
    return Image(data, fmt, w, h, ws, hs, nbytes, owns=False), (fmt, w, h, ws, hs, nbytes)


def one_input(data: bytes) -> None:
    p = H.Provider(data)
    kind = p.take(1) % 8
    buffers: List[Any] = []
    try:
        if kind < 6:  # host arrays, twice: against the guard page after, then before
            for end_aligned in (True, False):
                q = H.Provider(data[1:])
                arr, start, geometry = _array(q, end_aligned)
                if q.take(1) % 11 == 0:
                    arr = arr.view(np.int8) if arr.size else arr.astype(np.float32)
                    start_ok: Optional[int] = None
                else:
                    start_ok = start
                try:
                    img, args = _construct(arr, q, geometry)
                except (TypeError, ValueError):
                    continue
                try:
                    _check(img, start_ok, "host %s %s strides %s %s" % (arr.shape, arr.dtype, arr.strides, args))
                except (TypeError, ValueError) as exc:
                    if "to_rgb" in str(exc) or isinstance(exc, H.Finding):
                        raise
                    raise H.Finding("an image the constructor accepted fails in its views: %r" % exc) from exc
        else:
            size = 1 + _int(p, 4096) % (1 << 20)
            buf = acllite.DvppBuffer(size, device) if kind == 7 else device.alloc(size)
            buffers.append(buf)
            buf.copy_from(np.arange(size, dtype=np.uint8))
            try:
                img, args = _construct(buf, p)
            except (TypeError, ValueError):
                return
            H.check(img.nbytes <= buf.nbytes, "an image of %d bytes accepted over a %d-byte buffer", img.nbytes,
                    buf.nbytes)
            _check(img, None, "buffer of %d %s" % (size, args))
    finally:
        for b in buffers:
            b.close()
    now = acllite.emulator_live_counts()
    H.check(now == baseline, "the input left resources alive: %s", {k: now[k] - baseline[k] for k in now
                                                                  if now[k] != baseline[k]})


def make_seeds() -> Dict[str, bytes]:
    return {
        "rgb_packed.bin": bytes([0, 3, 8, 16, 3, 24, 3, 1, 14, 8, 16, 1, 48, 0, 0]),
        "narrow_rgb.bin": bytes([1, 3, 1, 39, 1, 39, 39, 1, 1, 14, 39, 1, 0, 0, 0]),
        "nv12_2d.bin": bytes([2, 2, 24, 16, 16, 1, 1, 16, 16, 0, 0, 0]),
        "flat_yuv400.bin": bytes([3, 1, 39, 1, 1, 0, 8, 8, 0, 0, 0]),
        "reversed_rows.bin": bytes([4, 2, 8, 8, 8, 1, 0, 8, 8, 0, 0, 0]),
        "device_nv12.bin": bytes([6, 96, 2, 8, 8, 0, 0, 0]),
        "dvpp_jpeg.bin": bytes([7, 50, 21, 1, 1, 0, 0, 3, 40]),
    }


if __name__ == "__main__":
    H.main(sys.modules[__name__])
