"""Buffers: device memory, pinned host memory and DVPP memory, and copies between them and numpy arrays.

Copies go straight from the source's memory to the destination's (one aclrtMemcpy, no staging copy).
Host-accessible memory (:class:`HostBuffer`) gives numpy views that share its memory; device memory does not,
because in ACL_HOST run mode the host cannot address it: copy it out with :meth:`DeviceBuffer.to_numpy`.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Optional, Sequence, Tuple, Union

import numpy as np

from ._native import ffi, lib
from .errors import check
from ._lifecycle import Owned

if TYPE_CHECKING:
    from .runtime import Device, Stream

__all__ = ["DeviceBuffer", "HostBuffer", "DvppBuffer", "Buffer"]

H2H, H2D, D2H, D2D = 0, 1, 2, 3
_memcpy = lib.aclrtMemcpy
_memcpy_async = lib.aclrtMemcpyAsync
_from_buffer = ffi.from_buffer
_CHARS = ffi.typeof("char[]")  # from_buffer(_CHARS, obj, True): writable, with no keyword argument to parse
_ndarray = np.ndarray


class Buffer(Owned):
    """Memory owned through the runtime: ``ptr`` (int address), ``nbytes``, ``device``."""

    on_device = False

    def __init__(self, nbytes: int, device: "Device"):
        if not isinstance(nbytes, int) or nbytes <= 0:
            raise ValueError("nbytes must be a positive int, got %r" % (nbytes,))
        self.nbytes = nbytes
        self.device = device  # keeps the device open while the buffer lives
        self._cdata: Any = None

    @property
    def ptr(self) -> int:
        return int(ffi.cast("uintptr_t", self._c()))

    def _c(self) -> Any:
        # close() drops the pointer, so the hot path tests one attribute (the finalizer's .alive costs more).
        cdata = self._cdata
        if cdata is None:
            raise ValueError("%s is closed" % type(self).__name__)
        return cdata

    def close(self) -> None:
        """Free the memory now (idempotent)."""
        super().close()
        self._cdata = None

    def __repr__(self) -> str:
        if self._cdata is None:
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
            if dst is not None:
                if type(src) is _ndarray:
                    try:
                        s = _from_buffer(src)
                    except ValueError:
                        s = None
                    s_dev = False
                elif isinstance(src, Buffer):
                    s, s_dev = src._cdata, src.on_device
                else:
                    s = None
                if s is not None:
                    count = src.nbytes
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
        if stream is None and type(dst) is _ndarray:
            # Fast path, as in copy_from: a synchronous copy into a whole array (from_buffer refuses a read-only
            # or non-C-contiguous one with ValueError; the general path then says which).
            src = self._cdata
            if src is not None:
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
            dt = np.dtype(dtype)
            if shape is None:
                shape = (self.nbytes // dt.itemsize,)
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
        raise TypeError("DVPP memory is device memory, not addressable by the host in ACL_HOST run mode; "
                        "use to_numpy() for a copy")


class _ArrayView:
    """Gives numpy a view of host memory while keeping the owning buffer alive."""

    def __init__(self, owner: "HostBuffer", typestr: str, shape: Tuple[int, ...]):
        self.owner = owner
        self.__array_interface__ = {"data": (owner.ptr, False), "typestr": typestr, "shape": shape, "version": 3}


class HostBuffer(Buffer):
    """Pinned host memory (aclrtMallocHost): host-addressable, shared with numpy without copies."""

    def __init__(self, nbytes: int, device: "Device"):
        super().__init__(nbytes, device)
        cell = ffi.new("void **")
        check(lib.aclrtMallocHost(cell, nbytes), "aclrtMallocHost")
        self._cdata = cell[0]
        self._views: "list[weakref.ref[np.ndarray]]" = []
        self._own(lib.aclrtFreeHost, "aclrtFreeHost", self._cdata, device.id)

    def close(self) -> None:
        """Free the memory now (idempotent). Refused while numpy views of it are alive: they would dangle."""
        alive = sum(1 for ref in self._views if ref() is not None)
        if alive and self._cdata is not None:
            raise BufferError("%d numpy view(s) of this HostBuffer are still alive; delete them before close()"
                              % alive)
        super().close()

    def numpy(self, dtype: Any = np.uint8, shape: Optional[Sequence[int]] = None) -> np.ndarray:
        """A numpy view of the buffer (no copy; the view keeps the buffer alive)."""
        self._c()
        dt = np.dtype(dtype)
        if shape is None:
            shape = (self.nbytes // dt.itemsize,)
        shape = tuple(int(s) for s in shape)
        if int(np.prod(shape, dtype=np.int64)) * dt.itemsize > self.nbytes:
            raise ValueError("a %s view of shape %s needs more than %d bytes" % (dt, shape, self.nbytes))
        view = np.asarray(_ArrayView(self, dt.str, shape))
        # Views derived from this one keep it alive, so tracking it covers them.
        self._views = [ref for ref in self._views if ref() is not None] + [weakref.ref(view)]
        return view

    def memoryview(self) -> memoryview:
        """The buffer's bytes as a writable memoryview (no copy)."""
        return memoryview(ffi.buffer(self._c(), self.nbytes))


def _source(src: Any) -> Tuple[Any, bool, int]:
    if isinstance(src, Buffer):
        return src._c(), src.on_device, src.nbytes
    if isinstance(src, np.ndarray):
        if not src.flags.c_contiguous:
            raise ValueError("the source array must be C-contiguous (use np.ascontiguousarray)")
        return _from_buffer(src), False, src.nbytes
    if isinstance(src, (bytes, bytearray, memoryview)):
        return _from_buffer(src), False, len(memoryview(src).cast("B"))
    raise TypeError("cannot copy from %s" % type(src).__name__)


def _dest(dst: Any) -> Tuple[Any, bool, int]:
    if isinstance(dst, np.ndarray):
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
