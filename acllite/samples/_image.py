"""acllite_image: ``AclLiteImage``, the samples' image holder, on acllite's buffers and images.

Same constructor ``AclLiteImage(image, width=0, height=0, align_width=0, align_height=0, size=0,
memory_type=MEMORY_NORMAL)`` with ``image`` a file path (.jpg/.jpeg/.png/.yuv), a numpy array, or an int pointer
in ``memory_type`` memory, and the same attributes (``width``, ``height``, ``align_width``/``alignWidth``,
``align_height``/``alignHeight``, ``size``) and methods (``data()``, ``is_loaded()``, ``copy_to_dvpp()``,
``copy_to_host()``, ``byte_data_to_np_array()``/``nparray()``, ``is_local()``, ``save()``, ``destroy()``).

As with the samples, an image made from an int pointer in host, device or DVPP memory owns it (``destroy()``
frees it). Here the memory is held by an acllite buffer: it is freed once (``destroy()`` twice is harmless), in
order at exit, and never after aclFinalize has released it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

import acllite
from acllite import pyacl as acl
from acllite._native import ffi, lib
from acllite.dvpp import DvppBuffer
from acllite.image import JPEG, PNG, Image, PixelFormat, align
from acllite.memory import Buffer, DeviceBuffer, HostBuffer
from acllite.samples import constants as const
from acllite.samples._logger import log_error
from acllite.samples._utils import check_ret

__all__ = ["AclLiteImage"]

def _device() -> Optional[acllite.Device]:
    from acllite.samples._resource import current_device

    try:
        return current_device()
    except Exception:
        return None


def _device_or_raise() -> acllite.Device:
    from acllite.samples._resource import current_device

    return current_device()


class _Adopted:
    """Memory allocated elsewhere (acl.rt.malloc, malloc_host, dvpp_malloc), held by an acllite buffer: freed
    with the matching call when owned (once; skipped after aclFinalize), only borrowed otherwise."""

    _free: Any = None
    _free_name = ""

    if TYPE_CHECKING:  # the Buffer class this is mixed into provides it
        def _own(self, *args: Any, **kwargs: Any) -> Any: ...

    def _adopt(self, ptr: int, size: int, owned: bool) -> None:
        device = _device()
        Buffer.__init__(self, max(int(size), 1), device)  # type: ignore[arg-type]
        self._cdata = ffi.cast("void *", ptr)
        if owned:
            self._own(self._free, self._free_name, self._cdata, device.id if device is not None else -1)

    @property
    def closed(self) -> bool:
        return self._cdata is None


class _AdoptedDvpp(_Adopted, DvppBuffer):
    _free, _free_name = lib.acldvppFree, "acldvppFree"

    def __init__(self, ptr: int, size: int, owned: bool = True):  # adopts: no allocation
        self._adopt(ptr, size, owned)


class _AdoptedDevice(_Adopted, DeviceBuffer):
    _free, _free_name = lib.aclrtFree, "aclrtFree"

    def __init__(self, ptr: int, size: int, owned: bool = True):
        self._adopt(ptr, size, owned)


class _AdoptedHost(_Adopted, Buffer):
    """Host memory from acl.rt.malloc_host (a plain host buffer: copies and the pointer, no numpy views)."""

    _free, _free_name = lib.aclrtFreeHost, "aclrtFreeHost"

    def __init__(self, ptr: int, size: int, owned: bool = True):
        self._adopt(ptr, size, owned)


_ADOPT = {const.MEMORY_DEVICE: _AdoptedDevice, const.MEMORY_HOST: _AdoptedHost, const.MEMORY_DVPP: _AdoptedDvpp}


def adopt(ptr: int, size: int, memory_type: int, owned: bool = True) -> Buffer:
    """An acllite buffer over ``size`` bytes at ``ptr`` in ``memory_type`` memory (freed by it when owned)."""
    return _ADOPT[memory_type](ptr, size, owned)


class AclLiteImage:
    """An image in host, device or DVPP memory (see the module docstring)."""

    #: The run mode, read at import as the samples' does (it works before acl.init).
    _run_mode = acllite.run_mode()

    def __init__(self, image: Any, width: int = 0, height: int = 0, align_width: int = 0, align_height: int = 0,
                 size: int = 0, memory_type: int = const.MEMORY_NORMAL):
        self._data: Any = None  # numpy array, or int pointer
        self._memory_type = memory_type
        self._type: Optional[int] = None
        self.width = 0
        self.height = 0
        self.align_width = 0
        self.align_height = 0
        self.size = 0
        self._encode_format = const.ENCODE_FORMAT_UNKNOW
        self._load_ok = True
        self._buffer: Optional[Buffer] = None  # holds the memory of a pointer image
        self._image: Optional[Image] = None  # the acllite image an AclLiteImageProc made (exact strides)
        if isinstance(image, (str, os.PathLike)):
            self._instance_by_image_file(os.fspath(image), width, height)
        elif isinstance(image, int) and not isinstance(image, bool):
            self._instance_by_buffer(image, width, height, align_width, align_height, size)
        elif isinstance(image, np.ndarray):
            self._instance_by_nparray(image, width, height, align_width, align_height)
        else:
            log_error("Create instance failed for unknow image data type %s" % type(image).__name__)
            self._load_ok = False

    # -- construction ---------------------------------------------------------------------------------------
    def _instance_by_image_file(self, path: str, width: int, height: int) -> None:
        suffix = os.path.splitext(path)[-1].strip().lower()
        fmt = {".jpg": const.ENCODE_FORMAT_JPEG, ".jpeg": const.ENCODE_FORMAT_JPEG, ".png": const.ENCODE_FORMAT_PNG,
               ".yuv": const.ENCODE_FORMAT_YUV420_SP}.get(suffix, const.ENCODE_FORMAT_UNKNOW)
        if fmt == const.ENCODE_FORMAT_UNKNOW:
            log_error("Unsupport image format: ", suffix)
            self._load_ok = False
            return
        try:
            self._data = np.fromfile(path, dtype=np.byte)
            if fmt == const.ENCODE_FORMAT_YUV420_SP:
                self.width, self.height = width, height
            else:  # the size from the file's header (no decoding)
                header = Image.from_bytes(self._data.view(np.uint8))
                self.width, self.height = header.width, header.height
        except (OSError, ValueError, acllite.AclError) as exc:
            log_error("Load image %s failed: %s" % (path, exc))
            self._data = None
            self._load_ok = False
            return
        self._encode_format = fmt
        self._type = const.IMAGE_DATA_NUMPY
        self._memory_type = const.MEMORY_NORMAL
        self.size = int(self._data.nbytes)

    def _instance_by_buffer(self, ptr: int, width: int, height: int, align_width: int, align_height: int,
                            size: int) -> None:
        self.width, self.height, self.align_width, self.align_height, self.size = (width, height, align_width,
                                                                                  align_height, size)
        self._data = ptr
        self._type = const.IMAGE_DATA_BUFFER
        if self._memory_type in _ADOPT and ptr:
            self._buffer = adopt(ptr, size, self._memory_type)

    def _instance_by_nparray(self, data: np.ndarray, width: int, height: int, align_width: int,
                             align_height: int) -> None:
        self.width, self.height, self.align_width, self.align_height = width, height, align_width, align_height
        self.size = int(data.itemsize * data.size)
        self._data = data
        self._type = const.IMAGE_DATA_NUMPY
        self._memory_type = const.MEMORY_NORMAL

    @classmethod
    def _of_buffer(cls, buffer: Buffer, width: int, height: int, size: int, memory_type: int,
                   encode_format: int) -> "AclLiteImage":
        """An AclLiteImage owning an acllite buffer of ours (align sizes 0, as the samples' copies have)."""
        self = cls(0, width, height, 0, 0, size, memory_type)
        self._data, self._buffer, self._encode_format = buffer.ptr, buffer, encode_format
        return self

    @classmethod
    def _wrap(cls, image: Image, encode_format: int = const.ENCODE_FORMAT_UNKNOW,
              width: Optional[int] = None, height: Optional[int] = None, align_width: Optional[int] = None,
              align_height: Optional[int] = None) -> "AclLiteImage":
        """An AclLiteImage holding (and owning) an acllite image in DVPP memory."""
        self = cls.__new__(cls)
        buf = image.buffer
        assert buf is not None
        self._memory_type = const.MEMORY_DVPP
        self._type = const.IMAGE_DATA_BUFFER
        self._data = buf.ptr
        self._buffer = buf
        self._image = image
        self._encode_format = encode_format
        self._load_ok = True
        self.width = image.width if width is None else width
        self.height = image.height if height is None else height
        encoded = image.encoded
        self.align_width = (0 if encoded else image.width_stride) if align_width is None else align_width
        self.align_height = (0 if encoded else image.height_stride) if align_height is None else align_height
        self.size = int(image.nbytes)
        return self

    # -- the samples' camelCase names of the same attributes (inference/acllite/acllitePY) ---------------
    @property
    def alignWidth(self) -> int:  # noqa: N802
        return self.align_width

    @alignWidth.setter
    def alignWidth(self, value: int) -> None:  # noqa: N802
        self.align_width = value

    @property
    def alignHeight(self) -> int:  # noqa: N802
        return self.align_height

    @alignHeight.setter
    def alignHeight(self, value: int) -> None:  # noqa: N802
        self.align_height = value

    # -- the samples' methods ----------------------------------------------------------------------------------
    def is_loaded(self) -> bool:
        return self._load_ok

    def data(self) -> int:
        """The data's address (int): the array's memory (no copy), or the pointer."""
        if self._type == const.IMAGE_DATA_NUMPY:
            return acl.util.numpy_to_ptr(self._data)
        return self._data

    def byte_data_to_np_array(self) -> np.ndarray:
        """A copy of the ``size`` bytes as an int8 array."""
        if self._type == const.IMAGE_DATA_NUMPY:
            return self._data.copy()
        out = np.empty(self.size, dtype=np.byte)
        if self._buffer is not None:
            n = min(self.size, self._buffer.nbytes)
            self._buffer.copy_to(out[:n])
        elif self._data:
            out[:] = np.frombuffer(ffi.buffer(ffi.cast("char *", self._data), self.size), dtype=np.byte)
        return out

    nparray = byte_data_to_np_array

    def copy_to_dvpp(self) -> "AclLiteImage":
        """A copy in DVPP memory (an AclLiteImage that owns it). Raises on failure, as the samples' does."""
        if self._data is None:
            raise Exception("copy_to_dvpp: the image holds no data")
        dvpp = DvppBuffer(max(self.size, 1), _device_or_raise())
        kind = const.ACL_MEMCPY_HOST_TO_DEVICE if self.is_local() and AclLiteImage._run_mode == const.ACL_HOST \
            else const.ACL_MEMCPY_DEVICE_TO_DEVICE
        ret = acl.rt.memcpy(dvpp.ptr, dvpp.nbytes, self.data(), self.size, kind)
        if ret:
            dvpp.close()
        check_ret("acl.rt.memcpy", ret)
        return AclLiteImage._of_buffer(dvpp, self.width, self.height, self.size, const.MEMORY_DVPP,
                                       self._encode_format)

    def copy_to_host(self) -> Optional["AclLiteImage"]:
        """A copy in host memory: a numpy image stays numpy; other memory goes to acl.rt.malloc_host memory."""
        if self._type == const.IMAGE_DATA_NUMPY:
            return AclLiteImage(self._data.copy(), self.width, self.height, 0, 0)
        try:
            host = HostBuffer(max(self.size, 1), _device_or_raise())
        except Exception as exc:
            log_error("Copy image to host failed: %s" % exc)
            return None
        kind = const.ACL_MEMCPY_HOST_TO_HOST if self.is_local() else const.ACL_MEMCPY_DEVICE_TO_HOST
        ret = acl.rt.memcpy(host.ptr, host.nbytes, self._data, self.size, kind)
        if ret:
            host.close()
            log_error("Copy image to host failed, ret ", ret)
            return None
        return AclLiteImage._of_buffer(host, self.width, self.height, self.size, const.MEMORY_HOST,
                                       self._encode_format)

    def is_local(self) -> bool:
        """True when the host can read the data directly (always on a board; host or numpy memory otherwise)."""
        if AclLiteImage._run_mode == const.ACL_DEVICE:
            return True
        return self._memory_type in (const.MEMORY_HOST, const.MEMORY_NORMAL)

    def save(self, filename: str) -> None:
        """Write the raw bytes to a file (JPEG data gives a .jpg file, YUV data a .yuv file)."""
        self.byte_data_to_np_array().tofile(filename)

    def destroy(self) -> None:
        """Release the memory this image owns (idempotent)."""
        if self._image is not None:
            self._image.close()
        elif self._buffer is not None:
            self._buffer.close()
        self._image = self._buffer = None
        self._data = None
        self.size = 0

    def __del__(self) -> None:
        try:
            self.destroy()
        except Exception:  # at interpreter exit
            pass

    def __repr__(self) -> str:
        where = {const.MEMORY_NORMAL: "numpy", const.MEMORY_HOST: "host", const.MEMORY_DEVICE: "device",
                 const.MEMORY_DVPP: "dvpp"}.get(self._memory_type, str(self._memory_type))
        return "<AclLiteImage %dx%d (aligned %dx%d) %d bytes in %s memory>" % (
            self.width, self.height, self.align_width, self.align_height, self.size, where)

    # -- for acllite's ImageProcessor and Model ------------------------------------------------------------------
    def _as_acllite(self, encoded: bool) -> Image:
        """The image as an acllite Image: encoded JPEG/PNG data, or an NV12 picture with the align sizes as
        strides (16 / 2 by default, as the samples' VPC calls assume)."""
        if self._image is not None and self._image.encoded == encoded:
            return self._image
        if self._data is None or (self._type == const.IMAGE_DATA_BUFFER and not self._data):
            raise ValueError("the image holds no data (destroyed, or not loaded)")
        if self._type == const.IMAGE_DATA_NUMPY:
            data: Any = np.ascontiguousarray(self._data).reshape(-1).view(np.uint8)
        elif self._buffer is not None and self._buffer.on_device:
            data = self._buffer
        else:  # host memory (acl.rt.malloc_host, or the program's own): a numpy view of it
            data = np.frombuffer(ffi.buffer(ffi.cast("char *", self._data), self.size), np.uint8)
        if encoded:
            raw = data if isinstance(data, np.ndarray) else None
            fmt = PNG if self._encode_format == const.ENCODE_FORMAT_PNG else JPEG
            if raw is not None and raw[:8].tobytes().startswith(b"\x89PNG"):
                fmt = PNG
            return Image(data, fmt, self.width, self.height, nbytes=self.size)
        ws = self.align_width or align(self.width, 16)
        hs = self.align_height or align(self.height, 2)
        if isinstance(data, np.ndarray):
            data = data[: ws * hs * 3 // 2].reshape(-1, ws)
        return Image(data, PixelFormat.NV12, self.width, self.height, ws, hs, nbytes=self.size or None)
