"""``acl.rt``: devices, contexts, streams, events, memory and host callbacks (aclrt*), pyACL-style.

Handles and pointers are ints; functions that produce a value return ``(value, ret)``, the others the bare
``ret``. Nothing here raises for an AscendCL failure.
"""

from __future__ import annotations

import itertools as _itertools
import sys as _sys
import traceback as _traceback
from typing import TYPE_CHECKING

from ._common import pointer as _ptr, pointer_cached as _vp
from ._common import UINTPTR as _UINTPTR, VOIDP as _VOIDP, cast as _cast, ffi as _ffi, lib as _lib, new as _new
from ._common import on_finalize as _on_finalize, scratch as _scratch

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Tuple

# C functions and cell types, bound once (no attribute lookups per call).
_SetDevice = _lib.aclrtSetDevice
_ResetDevice = _lib.aclrtResetDevice
_GetDevice = _lib.aclrtGetDevice
_GetDeviceCount = _lib.aclrtGetDeviceCount
_GetRunMode = _lib.aclrtGetRunMode
_CreateContext = _lib.aclrtCreateContext
_DestroyContext = _lib.aclrtDestroyContext
_SetCurrentContext = _lib.aclrtSetCurrentContext
_GetCurrentContext = _lib.aclrtGetCurrentContext
_SynchronizeDevice = _lib.aclrtSynchronizeDevice
_CreateStream = _lib.aclrtCreateStream
_DestroyStream = _lib.aclrtDestroyStream
_SynchronizeStream = _lib.aclrtSynchronizeStream
_SynchronizeStreamWithTimeout = _lib.aclrtSynchronizeStreamWithTimeout
_CreateEvent = _lib.aclrtCreateEvent
_DestroyEvent = _lib.aclrtDestroyEvent
_RecordEvent = _lib.aclrtRecordEvent
_ResetEvent = _lib.aclrtResetEvent
_SynchronizeEvent = _lib.aclrtSynchronizeEvent
_QueryEventStatus = _lib.aclrtQueryEventStatus
_EventElapsedTime = _lib.aclrtEventElapsedTime
_StreamWaitEvent = _lib.aclrtStreamWaitEvent
_SubscribeReport = _lib.aclrtSubscribeReport
_UnSubscribeReport = _lib.aclrtUnSubscribeReport
_ProcessReport = _lib.aclrtProcessReport
_LaunchCallback = _lib.aclrtLaunchCallback
_Malloc = _lib.aclrtMalloc
_MallocHost = _lib.aclrtMallocHost
_Free = _lib.aclrtFree
_FreeHost = _lib.aclrtFreeHost
_Memcpy = _lib.aclrtMemcpy
_MemcpyAsync = _lib.aclrtMemcpyAsync
_Memset = _lib.aclrtMemset
_MemsetAsync = _lib.aclrtMemsetAsync
_GetMemInfo = _lib.aclrtGetMemInfo

#: One cell for every thread: the run mode is a constant of the process, so concurrent writes agree.
_RUN_MODE = _ffi.new("aclrtRunMode *")
_STATUS_P = _ffi.typeof("aclrtEventRecordedStatus *")
_FLOAT_P = _ffi.typeof("float *")
_SIZE2 = _ffi.typeof("size_t[2]")


# ---------------------------------------------------------------------------------------- devices, contexts


def set_device(device_id: int) -> int:
    return _SetDevice(device_id)


def reset_device(device_id: int) -> int:
    return _ResetDevice(device_id)


def get_device() -> Tuple[int, int]:
    cell = _scratch.i32
    cell[0] = 0
    ret = _GetDevice(cell)
    return cell[0], ret


def get_device_count() -> Tuple[int, int]:
    cell = _scratch.u32
    cell[0] = 0
    ret = _GetDeviceCount(cell)
    return cell[0], ret


def get_run_mode() -> Tuple[int, int]:
    """``(run_mode, ret)``: ACL_HOST (1) or ACL_DEVICE (0). Works before acl.init."""
    ret = _GetRunMode(_RUN_MODE)
    return _RUN_MODE[0], ret


def create_context(device_id: int) -> Tuple[int, int]:
    cell, out = _scratch.addr
    cell[0] = 0
    ret = _CreateContext(out, device_id)
    return cell[0], ret


def destroy_context(context: int) -> int:
    return _DestroyContext(_vp(context) or _cast(_VOIDP, context))


def set_context(context: int) -> int:
    return _SetCurrentContext(_vp(context) or _ptr(context))


def get_context() -> Tuple[int, int]:
    cell, out = _scratch.addr
    cell[0] = 0
    ret = _GetCurrentContext(out)
    return cell[0], ret


def synchronize_device() -> int:
    return _SynchronizeDevice()


# ---------------------------------------------------------------------------------------- streams, events


def create_stream() -> Tuple[int, int]:
    cell, out = _scratch.addr
    cell[0] = 0
    ret = _CreateStream(out)
    return cell[0], ret


def destroy_stream(stream: int) -> int:
    return _DestroyStream(_vp(stream) or _cast(_VOIDP, stream))


def synchronize_stream(stream: int) -> int:
    return _SynchronizeStream(_vp(stream) or _ptr(stream))


def synchronize_stream_with_timeout(stream: int, timeout: int) -> int:
    return _SynchronizeStreamWithTimeout(_vp(stream) or _ptr(stream), timeout)


def create_event() -> Tuple[int, int]:
    cell, out = _scratch.addr
    cell[0] = 0
    ret = _CreateEvent(out)
    return cell[0], ret


def destroy_event(event: int) -> int:
    return _DestroyEvent(_vp(event) or _cast(_VOIDP, event))


def record_event(event: int, stream: int) -> int:
    return _RecordEvent(_vp(event) or _ptr(event), _vp(stream) or _ptr(stream))


def reset_event(event: int, stream: int) -> int:
    return _ResetEvent(_vp(event) or _ptr(event), _vp(stream) or _ptr(stream))


def synchronize_event(event: int) -> int:
    return _SynchronizeEvent(_vp(event) or _ptr(event))


def query_event_status(event: int) -> Tuple[int, int]:
    """``(status, ret)``: ACL_EVENT_RECORDED_STATUS_COMPLETE (1) or _NOT_READY (0)."""
    cell = _new(_STATUS_P)
    ret = _QueryEventStatus(_vp(event) or _ptr(event), cell)
    return cell[0], ret


def event_elapsed_time(start: int, end: int) -> Tuple[float, int]:
    cell = _new(_FLOAT_P)
    ret = _EventElapsedTime(cell, _vp(start) or _ptr(start), _vp(end) or _ptr(end))
    return cell[0], ret


def stream_wait_event(stream: int, event: int) -> int:
    return _StreamWaitEvent(_vp(stream) or _ptr(stream), _vp(event) or _ptr(event))


# ---------------------------------------------------------------------------------------- host callbacks

# Python callables wait here until their callback task runs, keyed by the id passed as the C userData.
_pending: Dict[int, Tuple[Callable[[Any], Any], Any]] = {}
_keys = _itertools.count(1)


def _callback_failed(exc_type: Any, exc: Any, tb: Any) -> None:
    _sys.stderr.write("acl.rt.launch_callback: the callback raised (it runs on the report thread):\n")
    _traceback.print_exception(exc_type, exc, tb)


def _run_callback(user_data: Any) -> None:
    entry = _pending.pop(int(_cast(_UINTPTR, user_data)), None)
    if entry is not None:
        fn, data = entry
        fn(data)


#: The one C callback (made once, alive for the process): it runs the Python callable registered under userData.
_trampoline = _ffi.callback("aclrtCallback", _run_callback, onerror=_callback_failed)


def launch_callback(fn: Callable[[Any], Any], user_data: Any, block_type: int, stream: int) -> int:
    """Queue ``fn(user_data)`` on the stream; the thread subscribed to the stream runs it in process_report."""
    if not callable(fn):
        raise TypeError("acl.rt.launch_callback: fn must be callable, got %s" % type(fn).__name__)
    key = next(_keys)
    _pending[key] = (fn, user_data)
    ret = _LaunchCallback(_trampoline, _cast(_VOIDP, key), block_type, _vp(stream) or _ptr(stream))
    if ret:
        _pending.pop(key, None)
    return ret


def subscribe_report(thread_id: int, stream: int) -> int:
    return _SubscribeReport(thread_id, _vp(stream) or _ptr(stream))


def unsubscribe_report(thread_id: int, stream: int) -> int:
    return _UnSubscribeReport(thread_id, _vp(stream) or _ptr(stream))


def process_report(timeout: int) -> int:
    """Run the callbacks due on the streams this thread subscribed to (wait up to timeout ms; -1: forever)."""
    return _ProcessReport(timeout)


_on_finalize(_pending.clear)  # callbacks never run once the streams are gone


# ---------------------------------------------------------------------------------------- memory


def malloc(size: int, policy: int) -> Tuple[int, int]:
    cell, out = _scratch.addr
    cell[0] = 0
    ret = _Malloc(out, size, policy)
    return cell[0], ret


def malloc_host(size: int) -> Tuple[int, int]:
    cell, out = _scratch.addr
    cell[0] = 0
    ret = _MallocHost(out, size)
    return cell[0], ret


def free(dev_ptr: int) -> int:
    return _Free(_vp(dev_ptr) or _cast(_VOIDP, dev_ptr))


def free_host(host_ptr: int) -> int:
    return _FreeHost(_vp(host_ptr) or _cast(_VOIDP, host_ptr))


def memcpy(dst: int, dest_max: int, src: int, count: int, kind: int) -> int:
    return _Memcpy(_vp(dst) or _ptr(dst), dest_max, _vp(src) or _ptr(src), count, kind)


def memcpy_async(dst: int, dest_max: int, src: int, count: int, kind: int, stream: int) -> int:
    return _MemcpyAsync(_vp(dst) or _ptr(dst), dest_max, _vp(src) or _ptr(src), count, kind,
                        _vp(stream) or _ptr(stream))


def memset(dev_ptr: int, max_count: int, value: int, count: int) -> int:
    return _Memset(_vp(dev_ptr) or _ptr(dev_ptr), max_count, value, count)


def memset_async(dev_ptr: int, max_count: int, value: int, count: int, stream: int) -> int:
    return _MemsetAsync(_vp(dev_ptr) or _ptr(dev_ptr), max_count, value, count, _vp(stream) or _ptr(stream))


def get_mem_info(attr: int) -> Tuple[int, int, int]:
    """``(free, total, ret)`` bytes of device memory."""
    cells = _new(_SIZE2)
    ret = _GetMemInfo(attr, cells, cells + 1)
    return cells[0], cells[1], ret


del annotations, TYPE_CHECKING  # keep dir(acl.rt) to the API
