"""``acl.util``: host memory <-> int pointers, and threads for processing reports.

``"bytes_to_ptr" in dir(acl.util)`` is how programs choose between the bytes and the numpy helpers: both pairs
are here. Pointers are plain ints; none of these functions copies except :func:`ptr_to_bytes`.
"""

from __future__ import annotations

import threading as _threading
from typing import TYPE_CHECKING

import numpy as _np

from ._common import ACL_ERROR_INVALID_PARAM as _INVALID_PARAM
from ._common import NULL as _NULL, UINTPTR as _UINTPTR, cast as _cast, ffi as _ffi
from ._common import integer as _integer, pointer as _pointer

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

_from_buffer = _ffi.from_buffer
_buffer = _ffi.buffer
_CHARP = _ffi.typeof("char *")
_SSIZE_MAX = (1 << 63) - 1
#: NumPy C type numbers (what ptr_to_numpy takes: 11 float32, 1 int8, 5 int32, 23 float16...) -> dtype.
_NPY_TYPES: Dict[int, _np.dtype] = {_np.dtype(c).num: _np.dtype(c) for c in "?bBhHiIlLqQfdgeFD"}


def numpy_to_ptr(array: _np.ndarray) -> int:
    """The address of the array's data (no copy: writes through the pointer change the array).

    The array must outlive every use of the pointer."""
    try:
        return int(_cast(_UINTPTR, _from_buffer(array)))
    except (ValueError, BufferError):  # not C-contiguous: its first element, as pyACL gives
        if not isinstance(array, _np.ndarray):
            raise
        return int(array.__array_interface__["data"][0])


def numpy_contiguous_to_ptr(array: _np.ndarray) -> Tuple[int, _np.ndarray]:
    """``(ptr, contiguous_array)``: the array itself when C-contiguous, else a contiguous copy (keep it alive)."""
    arr = _np.ascontiguousarray(array)
    return int(_cast(_UINTPTR, _from_buffer(arr))), arr


def bytes_to_ptr(data: Union[bytes, bytearray, memoryview]) -> int:
    """The address of the bytes' payload, without a copy. Programs write through it (a memcpy destination, the
    size cell of a JPEG encode) and read the result with ``np.frombuffer(data, ...)``: that works, as with pyACL.

    The object must outlive every use of the pointer. Never write into ``b""`` or a one-byte ``bytes``: CPython
    shares those objects."""
    return int(_cast(_UINTPTR, _from_buffer(data)))


def _host_ptr(ptr: Any, what: str) -> Any:
    """``ptr`` as a C pointer, checked like every pointer argument (an int in [0, 2**64)); NULL is refused with
    ValueError: reading it would kill the interpreter."""
    p = _pointer(ptr, "acl.util.%s: ptr" % what)
    if p == _NULL:
        raise ValueError("acl.util.%s: ptr is NULL" % what)
    return p


def _size(value: Any, what: str) -> int:
    n = value if type(value) is int else _integer(value, "acl.util.%s: size" % what)
    if n < 0 or n > _SSIZE_MAX:
        raise OverflowError("acl.util.%s: size %d is not in 0..%d" % (what, n, _SSIZE_MAX))
    return n


def ptr_to_bytes(ptr: int, size: int) -> bytes:
    """A new ``bytes`` with a copy of ``size`` bytes of host memory at ``ptr``."""
    n = _size(size, "ptr_to_bytes")
    if n == 0:
        _pointer(ptr, "acl.util.ptr_to_bytes: ptr")  # still checked: an int in range
        return b""
    return _buffer(_cast(_CHARP, _host_ptr(ptr, "ptr_to_bytes")), n)[:]


def ptr_to_numpy(ptr: int, shape: Union[int, Sequence[int]], npy_type: int) -> _np.ndarray:
    """A writable numpy view (no copy) of host memory at ``ptr``: ``shape`` a tuple (or an int), ``npy_type`` a
    NumPy type number (``np.dtype(np.float32).num`` = 11). The memory must outlive the array."""
    t = npy_type if type(npy_type) is int else _integer(npy_type, "acl.util.ptr_to_numpy: npy_type")
    dtype = _NPY_TYPES.get(t)
    if dtype is None:
        raise ValueError("acl.util.ptr_to_numpy: unknown NumPy type number %r" % (npy_type,))
    given: List[Any] = list(shape) if isinstance(shape, (list, tuple)) else [shape]
    dims: List[int] = [d if type(d) is int else _integer(d, "acl.util.ptr_to_numpy: shape") for d in given]
    count = 1
    for d in dims:
        if d < 0:
            raise ValueError("acl.util.ptr_to_numpy: negative dimension %d in %r" % (d, shape))
        count *= d
    nbytes = count * dtype.itemsize
    if nbytes > _SSIZE_MAX:
        raise OverflowError("acl.util.ptr_to_numpy: %r of %s is %d bytes, more than any buffer" % (shape, dtype,
                                                                                                   nbytes))
    if count == 0:
        _pointer(ptr, "acl.util.ptr_to_numpy: ptr")
        return _np.empty(tuple(dims), dtype)
    p = _host_ptr(ptr, "ptr_to_numpy")
    return _np.frombuffer(_buffer(_cast(_CHARP, p), nbytes), dtype).reshape(tuple(dims))


# ---------------------------------------------------------------------------------------- threads

_threads: Dict[int, _threading.Thread] = {}
_threads_lock = _threading.Lock()


def start_thread(thr_func: Callable[[Any], Any], args_list: Any) -> Tuple[int, int]:
    """``(thread_id, ret)``: run ``thr_func(args_list)`` in a new thread. The id is the thread's pthread id, what
    acl.rt.subscribe_report takes. The thread has no current context: call acl.rt.set_context in it."""
    if not callable(thr_func):
        raise TypeError("acl.util.start_thread: thr_func must be callable, got %s" % type(thr_func).__name__)
    thread = _threading.Thread(target=thr_func, args=(args_list,), name="acl.util.thread", daemon=True)
    thread.start()
    tid = thread.ident
    assert tid is not None
    with _threads_lock:
        _threads[tid] = thread
    return tid, 0


def stop_thread(thr_id: int) -> int:
    """Wait for a thread made by start_thread to end (the program tells it to end, e.g. with a flag)."""
    with _threads_lock:
        tid = thr_id if type(thr_id) is int else _integer(thr_id, "acl.util.stop_thread: thr_id")
        thread = _threads.get(tid)
        if thread is None or thread is _threading.current_thread():
            return _INVALID_PARAM
        del _threads[tid]
    thread.join()
    return 0


del annotations, TYPE_CHECKING  # keep dir(acl.util) to the API
