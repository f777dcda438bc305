"""Device and pinned-host buffers, and copies between them and numpy arrays.

Copies go straight from the source's memory to the destination's (one aclrtMemcpy, no staging copy).
Host-accessible memory (:class:`HostBuffer`) gives numpy views that share its memory; device memory does not,
because in ACL_HOST run mode the host cannot address it: copy it out with :meth:`DeviceBuffer.to_numpy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence, Tuple, Union

import numpy as np

from ._native import ffi, lib
from .errors import check
from .runtime import _Owned

if TYPE_CHECKING:
    from .runtime import Device, Stream

__all__ = ["DeviceBuffer", "HostBuffer", "Buffer"]

H2H, H2D, D2H, D2D = 0, 1, 2, 3
_memcpy = lib.aclrtMemcpy
_memcpy_async = lib.aclrtMemcpyAsync
_from_buffer = ffi.from_buffer


class Buffer(_Owned):
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
        s_ptr, s_dev, count = _source(src)
        if offset < 0 or count > self.nbytes - offset:
            raise ValueError("copy of %d bytes at offset %d does not fit a %d-byte buffer" % (count, offset,
                                                                                                self.nbytes))
        kind = (D2D if s_dev else H2D) if self.on_device else (D2H if s_dev else H2H)
        dst = self._c() + offset
        _copy(dst, self.nbytes - offset, s_ptr, count, kind, stream, src)

    def copy_to(self, dst: Union[np.ndarray, "Buffer"], stream: Optional["Stream"] = None) -> None:
        """Copy this buffer's first dst-size bytes into dst (a writable C-contiguous array, or a Buffer)."""
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
        self._own(lib.aclrtFreeHost, "aclrtFreeHost", self._cdata, device.id)

    def numpy(self, dtype: Any = np.uint8, shape: Optional[Sequence[int]] = None) -> np.ndarray:
        """A numpy view of the buffer (no copy; the view keeps the buffer alive)."""
        self._c()
        dt = np.dtype(dtype)
        if shape is None:
            shape = (self.nbytes // dt.itemsize,)
        shape = tuple(int(s) for s in shape)
        if int(np.prod(shape, dtype=np.int64)) * dt.itemsize > self.nbytes:
            raise ValueError("a %s view of shape %s needs more than %d bytes" % (dt, shape, self.nbytes))
        return np.asarray(_ArrayView(self, dt.str, shape))

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
