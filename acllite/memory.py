"""Buffers: device memory, pinned host memory and DVPP memory, and copies between them and numpy arrays.

Copies go straight from the source's memory to the destination's (one aclrtMemcpy, no staging copy).
Host-accessible memory (:class:`HostBuffer`) gives numpy views that share its memory; device memory does not,
because in ACL_HOST run mode the host cannot address it: copy it out with :meth:`DeviceBuffer.to_numpy`.

Only plain data crosses into or out of this memory, as numbers: numpy views, copies and arrays copied from or
into a buffer must have a dtype of bool, integers, floats or complex numbers (any byte order), or records made
of them. Anything else (``object``, which would read the bytes as Python object pointers; strings; datetimes;
``void`` without fields, whose layout is unknown) raises TypeError.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lifecycle
from ._native import ffi, lib
from .errors import check
from ._lifecycle import Owned

if TYPE_CHECKING:
    from .runtime import Device, Stream

__all__ = ["DeviceBuffer", "HostBuffer", "DvppBuffer", "Buffer", "plain_dtype"]

H2H, H2D, D2H, D2D = 0, 1, 2, 3
_memcpy = lib.aclrtMemcpy
_memcpy_async = lib.aclrtMemcpyAsync
_from_buffer = ffi.from_buffer
_CHARS = ffi.typeof("char[]")  # from_buffer(_CHARS, obj, True): writable, with no keyword argument to parse
_ndarray = np.ndarray


_PLAIN_KINDS = "biufc"  # bool, signed, unsigned, float, complex


def _is_plain(dt: np.dtype, top: bool = True) -> bool:
    if dt.subdtype is not None:  # a sub-array: inside records only (at the top, give the dimensions in shape)
        return not top and _is_plain(dt.subdtype[0], False)
    if dt.fields is not None:
        return dt.itemsize > 0 and not dt.hasobject and all(_is_plain(f[0], False) for f in dt.fields.values())
    return dt.kind in _PLAIN_KINDS


def plain_dtype(dtype: Any, what: str = "a view of pinned or device memory") -> np.dtype:
    """``np.dtype(dtype)`` when it is plain data (see the module's documentation), else TypeError."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError("%r is not a numpy dtype (%s)" % (dtype, exc)) from None
    if not _is_plain(dt):
        raise TypeError("%s cannot have dtype %s: only bool, integers, floats, complex numbers and records of them "
                        "(memory holds bytes, not Python objects, strings or dates)" % (what, dt))
    return dt


def _plain_array(a: np.ndarray, what: str) -> None:
    if not _is_plain(a.dtype):
        plain_dtype(a.dtype, what)


class Buffer(Owned):
    """Memory owned through the runtime: ``ptr`` (int address), ``nbytes``, ``device``."""

    on_device = False

    def __init__(self, nbytes: int, device: "Device"):
        if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes <= 0:
            raise ValueError("nbytes must be a positive int, got %r" % (nbytes,))
        self.nbytes = nbytes
        self.device = device  # keeps the device open while the buffer lives
        self._cdata: Any = None
        # Dies with the memory when the device is reset or AscendCL finalized: the hot path tests it.
        self._token = _lifecycle.token(device.id if device is not None else -1)

    def _own(self, *args: Any, **kwargs: Any) -> "_lifecycle.Resource":
        res = super()._own(*args, **kwargs)
        self._token = res.token
        return res

    @property
    def ptr(self) -> int:
        return int(ffi.cast("uintptr_t", self._c()))

    def _c(self) -> Any:
        # close() drops the pointer, and a device reset or aclFinalize kills the token: two attribute tests.
        cdata = self._cdata
        if cdata is None or not self._token.live:
            raise self._closed_error()
        return cdata

    def close(self) -> None:
        """Free the memory now (idempotent)."""
        super().close()
        self._cdata = None

    def __repr__(self) -> str:
        if self._cdata is None or not self._token.live:
            return "<acllite.%s %d bytes, closed>" % (type(self).__name__, self.nbytes)
        return "<acllite.%s %d bytes at 0x%x>" % (type(self).__name__, self.nbytes, self.ptr)

    # -- copies -------------------------------------------------------------------------------------
    def copy_from(self, src: Union[np.ndarray, "Buffer", bytes], stream: Optional["Stream"] = None,
                  offset: int = 0) -> None:
        """Copy all of src into this buffer at offset (sync, or queued on stream)."""
        if stream is None and not offset:
            # Fast path, the common call (a whole array or buffer, synchronously, to the start of this buffer):
            # no helper calls, no pointer arithmetic. Anything it does not take, or would reject, goes on to the
            # general path below, which raises the precise error. (from_buffer refuses arrays that are not
            # C-contiguous with ValueError.)
            dst = self._cdata
            if dst is not None and self._token.live:
                if type(src) is _ndarray and src.dtype.kind in _PLAIN_KINDS:
                    try:
                        s = _from_buffer(src)
                    except ValueError:
                        s = None
                    s_dev = False
                elif isinstance(src, Buffer) and src._token.live:
                    s, s_dev = src._cdata, src.on_device
                else:
                    s = None
                if s is not None:
                    count = src.nbytes  # type: ignore[union-attr]  # bytes never get here (s is None)
                    room = self.nbytes
                    if count <= room:
                        if self.on_device:
                            rc = _memcpy(dst, room, s, count, D2D if s_dev else H2D)
                        else:
                            rc = _memcpy(dst, room, s, count, D2H if s_dev else H2H)
                        if rc:
                            check(rc, "aclrtMemcpy")
                        return
        s_ptr, s_dev, count = _source(src)
        if offset < 0 or count > self.nbytes - offset:
            raise ValueError("copy of %d bytes at offset %d does not fit a %d-byte buffer" % (count, offset,
                                                                                                self.nbytes))
        kind = (D2D if s_dev else H2D) if self.on_device else (D2H if s_dev else H2H)
        dst = self._c() + offset
        _copy(dst, self.nbytes - offset, s_ptr, count, kind, stream, src)

    def copy_to(self, dst: Union[np.ndarray, "Buffer"], stream: Optional["Stream"] = None) -> None:
        """Copy this buffer's first dst-size bytes into dst (a writable C-contiguous array, or a Buffer)."""
        if stream is None and type(dst) is _ndarray and dst.dtype.kind in _PLAIN_KINDS:
            # Fast path, as in copy_from: a synchronous copy into a whole array (from_buffer refuses a read-only
            # or non-C-contiguous one with ValueError; the general path then says which).
            src = self._cdata
            if src is not None and self._token.live:
                try:
                    d = _from_buffer(_CHARS, dst, True)
                except ValueError:
                    d = None
                if d is not None:
                    room = dst.nbytes
                    if room <= self.nbytes:
                        rc = _memcpy(d, room, src, room, D2H if self.on_device else H2H)
                        if rc:
                            check(rc, "aclrtMemcpy")
                        return
        if isinstance(dst, Buffer):
            d_ptr, d_dev, room = dst._c(), dst.on_device, dst.nbytes
        else:
            d_ptr, d_dev, room = _dest(dst)
        if room > self.nbytes:
            raise ValueError("destination holds %d bytes, more than this %d-byte buffer" % (room, self.nbytes))
        kind = (D2D if d_dev else D2H) if self.on_device else (H2D if d_dev else H2H)
        _copy(d_ptr, room, self._c(), room, kind, stream, dst)

    def to_numpy(self, dtype: Any = np.uint8, shape: Optional[Sequence[int]] = None,
                 out: Optional[np.ndarray] = None) -> np.ndarray:
        """A host copy of the buffer as a numpy array (into ``out`` when given: no allocation)."""
        if out is None:
            dt = plain_dtype(dtype, "an array copied from a buffer")
            if shape is None:
                shape = (self.nbytes // max(dt.itemsize, 1),)
            out = np.empty(shape, dt)
        self.copy_to(out)
        return out

    def fill(self, value: int, stream: Optional["Stream"] = None) -> None:
        """aclrtMemset every byte to value."""
        if stream is None:
            check(lib.aclrtMemset(self._c(), self.nbytes, value, self.nbytes), "aclrtMemset")
        else:
            check(lib.aclrtMemsetAsync(self._c(), self.nbytes, value, self.nbytes, stream.handle), "aclrtMemsetAsync")


class DeviceBuffer(Buffer):
    """Device memory (aclrtMalloc). Not host-addressable: use copy_from / copy_to / to_numpy."""

    on_device = True

    def __init__(self, nbytes: int, device: "Device", policy: int = 0):
        super().__init__(nbytes, device)
        cell = ffi.new("void **")
        check(lib.aclrtMalloc(cell, nbytes, policy), "aclrtMalloc")
        self._cdata = cell[0]
        self._own(lib.aclrtFree, "aclrtFree", self._cdata, device.id)

    def numpy(self, *args: Any, **kwargs: Any) -> np.ndarray:
        self._c()
        raise TypeError("device memory is not addressable by the host in ACL_HOST run mode; "
                        "use to_numpy() for a copy, or a HostBuffer for zero-copy views")


class DvppBuffer(Buffer):
    """DVPP memory (acldvppMalloc): what DVPP reads and writes; 128-byte aligned, device-side.

    Like a :class:`~acllite.memory.DeviceBuffer`: the host reaches it through ``copy_from`` / ``copy_to`` /
    ``to_numpy``; it can be passed to :meth:`acllite.Model.execute` by pointer. ``close()`` calls acldvppFree.
    """

    on_device = True

    def __init__(self, nbytes: int, device: "Device"):
        super().__init__(nbytes, device)
        device.make_current()
        cell = ffi.new("void **")
        check(lib.acldvppMalloc(cell, nbytes), "acldvppMalloc")
        self._cdata = cell[0]
        self._own(lib.acldvppFree, "acldvppFree", self._cdata, device.id)

    def numpy(self, *args: Any, **kwargs: Any) -> np.ndarray:
        self._c()
        raise TypeError("DVPP memory is device memory, not addressable by the host in ACL_HOST run mode; "
                        "use to_numpy() for a copy")


class _ArrayView:
    """Gives numpy a view of pinned host memory. Every array made from the view (slices, other dtypes,
    memoryviews and arrays over those) keeps this object alive: it is what the buffer's Resource tracks, and
    while it lives the memory is not freed (HostBuffer.close() refuses, a collected HostBuffer's release waits).
    It holds no reference to the HostBuffer: numpy arrays are invisible to the cycle collector, so a view leading
    back to a buffer in a reference cycle would make that cycle uncollectable."""

    __slots__ = ("__array_interface__", "__weakref__")

    def __init__(self, ptr: int, nbytes: int):
        self.__array_interface__ = {"data": (ptr, False), "typestr": "|u1", "shape": (nbytes,), "version": 3}


class HostBuffer(Buffer):
    """Pinned host memory (aclrtMallocHost): host-addressable, shared with numpy without copies.

    Every view it exports (:meth:`numpy`, :meth:`memoryview`, and whatever is made from those: slices, arrays
    over the memoryview) keeps its memory allocated: while any is alive ``close()``, the last close of its Device
    and ``acllite.finalize()`` refuse with BufferError (the memory would go while the views still point at it),
    and a HostBuffer (or Device) that is collected meanwhile frees its memory when the last view goes.
    """

    def __init__(self, nbytes: int, device: "Device"):
        super().__init__(nbytes, device)
        cell = ffi.new("void **")
        check(lib.aclrtMallocHost(cell, nbytes), "aclrtMallocHost")
        self._cdata = cell[0]
        res = self._own(lib.aclrtFreeHost, "aclrtFreeHost", self._cdata, device.id)
        res.hold = res.live_views  # collected while views live: the memory goes with the last of them

    def close(self) -> None:
        """Free the memory now (idempotent). Refused while views of it are alive: they would dangle."""
        res = self._res
        alive = res.live_views() if res is not None and not res.released else 0
        if alive:
            raise BufferError("%d numpy view(s) or memoryview(s) of this HostBuffer are still alive; delete "
                              "them before close()" % alive)
        super().close()

    def numpy(self, dtype: Any = np.uint8, shape: Optional[Sequence[int]] = None) -> np.ndarray:
        """A numpy view of the buffer (no copy; the view keeps the buffer alive). ``dtype``: plain data only
        (TypeError otherwise, see the module's documentation)."""
        self._c()
        dt = plain_dtype(dtype, "a numpy view of pinned host memory")
        if shape is None:
            shape = (self.nbytes // dt.itemsize,)
        try:
            shape = tuple(int(s) for s in shape)
        except (TypeError, ValueError):
            raise TypeError("shape must be a sequence of ints, got %r" % (shape,)) from None
        if any(s < 0 for s in shape):
            raise ValueError("a view cannot have a negative dimension: %s" % (shape,))
        if math.prod(shape) * dt.itemsize > self.nbytes:
            raise ValueError("a %s view of shape %s needs more than %d bytes" % (dt, shape, self.nbytes))
        exporter = _ArrayView(self.ptr, math.prod(shape) * dt.itemsize)
        view = np.asarray(exporter).view(dt).reshape(shape)
        self._res.add_view(exporter)  # type: ignore[union-attr]
        return view

    def memoryview(self) -> memoryview:
        """The buffer's bytes as a writable memoryview (no copy). It holds a tracked numpy view, so it counts as
        a live view of the buffer until it (and whatever was made from it) is gone, or ``release()``d."""
        return memoryview(self.numpy(np.uint8))  # type: ignore[arg-type]


def _source(src: Any) -> Tuple[Any, bool, int]:
    if isinstance(src, Buffer):
        return src._c(), src.on_device, src.nbytes
    if isinstance(src, np.ndarray):
        _plain_array(src, "an array copied into a buffer")
        if not src.flags.c_contiguous:
            raise ValueError("the source array must be C-contiguous (use np.ascontiguousarray)")
        return _from_buffer(src), False, src.nbytes
    if isinstance(src, (bytes, bytearray, memoryview)):
        view = memoryview(src)
        if "O" in view.format:
            raise TypeError("a memoryview of Python objects (format %r) cannot be copied into a buffer" % view.format)
        if not view.c_contiguous:
            raise ValueError("the source memoryview must be C-contiguous")
        return _from_buffer(src), False, view.nbytes
    raise TypeError("cannot copy from %s" % type(src).__name__)


def _dest(dst: Any) -> Tuple[Any, bool, int]:
    if isinstance(dst, np.ndarray):
        _plain_array(dst, "an array copied from a buffer")
        if not dst.flags.c_contiguous or not dst.flags.writeable:
            raise ValueError("the destination array must be C-contiguous and writable")
        return _from_buffer(dst, require_writable=True), False, dst.nbytes
    raise TypeError("cannot copy into %s" % type(dst).__name__)


def _copy(dst: Any, dst_max: int, src: Any, count: int, kind: int, stream: Optional["Stream"], host_obj: Any) -> None:
    if stream is None:
        rc = _memcpy(dst, dst_max, src, count, kind)
        if rc:
            check(rc, "aclrtMemcpy")
    else:
        rc = _memcpy_async(dst, dst_max, src, count, kind, stream.handle)
        if rc:
            check(rc, "aclrtMemcpyAsync")
        stream._keep(host_obj)  # the host memory must outlive the queued copy
