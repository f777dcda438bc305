"""acllite_utils: the samples' helper functions, same names, arguments and results.

The copy helpers take and return int pointers (as the samples' do; the caller frees what they return);
they run on :mod:`acllite.pyacl`. ``check_ret``/``check_none`` raise ``Exception`` as the samples' do.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import Any, Callable, Optional

import numpy as np

from acllite import pyacl as acl
from acllite.samples import constants as const
from acllite.samples._logger import log_error

#: display_time prints only when True (the samples' default is True; here False, so loops stay quiet).
DEBUG = False


def check_ret(message: str, ret_int: int) -> None:
    """Raise ``Exception("<message> failed ret_int=<ret>")`` for a non-zero return code."""
    if ret_int != 0:
        raise Exception("{} failed ret_int={}".format(message, ret_int))


def check_none(message: str, ret_none: Any) -> None:
    if ret_none is None:
        raise Exception("{} failed".format(message))


def _copy_to_new(alloc: Callable[[int], Any], free: Callable[[int], int], src: int, size: int, kind: int,
                 what: str) -> Optional[int]:
    buf, ret = alloc(size)
    if ret != const.ACL_SUCCESS:
        log_error("Malloc %s memory failed, error: " % what, ret)
        return None
    ret = acl.rt.memcpy(buf, size, src, size, kind)
    if ret != const.ACL_SUCCESS:
        log_error("Copy data to %s memory failed, error: " % what, ret)
        free(buf)
        return None
    return buf


def _malloc_device(size: int) -> Any:
    return acl.rt.malloc(size, const.ACL_MEM_MALLOC_NORMAL_ONLY)


def copy_data_device_to_host(device_data: int, data_size: int) -> Optional[int]:
    """A new host buffer (acl.rt.malloc_host) holding a copy; None on failure. The caller frees it."""
    return _copy_to_new(acl.rt.malloc_host, acl.rt.free_host, device_data, data_size,
                        const.ACL_MEMCPY_DEVICE_TO_HOST, "host")


def copy_data_device_to_device(device_data: int, data_size: int) -> Optional[int]:
    return _copy_to_new(_malloc_device, acl.rt.free, device_data, data_size, const.ACL_MEMCPY_DEVICE_TO_DEVICE,
                        "device")


def copy_data_host_to_device(host_data: int, data_size: int) -> Optional[int]:
    return _copy_to_new(_malloc_device, acl.rt.free, host_data, data_size, const.ACL_MEMCPY_HOST_TO_DEVICE,
                        "device")


def copy_data_host_to_host(host_data: int, data_size: int) -> Optional[int]:
    return _copy_to_new(acl.rt.malloc_host, acl.rt.free_host, host_data, data_size, const.ACL_MEMCPY_HOST_TO_HOST,
                        "host")


def copy_data_to_dvpp(data: int, size: int, run_mode: int) -> int:
    """A new DVPP buffer holding a copy of host (or, on a board, device) data; raises on failure."""
    kind = const.ACL_MEMCPY_DEVICE_TO_DEVICE if run_mode == const.ACL_DEVICE else const.ACL_MEMCPY_HOST_TO_DEVICE
    dvpp_buf, ret = acl.media.dvpp_malloc(size)
    check_ret("acl.media.dvpp_malloc", ret)
    ret = acl.rt.memcpy(dvpp_buf, size, data, size, kind)
    if ret != const.ACL_SUCCESS:
        acl.media.dvpp_free(dvpp_buf)
    check_ret("acl.rt.memcpy", ret)
    return dvpp_buf


def copy_data_as_numpy(data: int, size: int, data_mem_type: int, run_mode: int) -> np.ndarray:
    """A new int8 array with a copy of ``size`` bytes at ``data`` (in ``data_mem_type`` memory); raises."""
    out = np.zeros(size, dtype=np.byte)
    kind = const.ACL_MEMCPY_DEVICE_TO_DEVICE
    if run_mode == const.ACL_HOST:
        if data_mem_type in (const.MEMORY_DEVICE, const.MEMORY_DVPP):
            kind = const.ACL_MEMCPY_DEVICE_TO_HOST
        else:
            kind = const.ACL_MEMCPY_HOST_TO_HOST
    ret = acl.rt.memcpy(acl.util.numpy_to_ptr(out), size, data, size, kind)
    check_ret("acl.rt.memcpy", ret)
    return out


def align_up(value: int, align: int) -> int:
    return int(int((value + align - 1) / align) * align)


def align_up2(value: int) -> int:
    return align_up(value, 2)


def align_up16(value: int) -> int:
    return align_up(value, 16)


def align_up64(value: int) -> int:
    return align_up(value, 64)


def align_up128(value: int) -> int:
    return align_up(value, 128)


def yuv420sp_size(width: int, height: int) -> int:
    return int(width * height * 3 / 2)


def rgbu8_size(width: int, height: int) -> int:
    return int(width * height * 3)


def display_time(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print the call's duration when ``DEBUG`` is True."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not DEBUG:
            return func(*args, **kwargs)
        start = time.time()
        result = func(*args, **kwargs)
        print("in %s, use time:%s" % (func.__name__, time.time() - start))
        return result

    return wrapper
