"""The bad-input matrix: misuse of every layer, one row per case, driven by one parametrized test.

A row is (id, layer, call, expected, fragment): ``expected`` is an aclError code (a raw C call, or a pyACL
function's return code: the recent error message must start with the C function's name and contain the
fragment), an exception class (raised by acllite's Python layer; its text must contain the fragment, and for an
:class:`acllite.AclError` the code must be ``code``), or an exit status (the command line: the fragment must be
in what it printed). After every row the test checks that the process is alive and usable (a fresh allocation
and copy work), releases what the row created, and requires an empty leak report from the last
``aclrtResetDevice`` and from ``aclFinalize`` and nothing alive afterwards.

Layers: runtime, memory, model, dvpp, image, pyacl (``acllite.pyacl``, the pyACL-compatible module), op (single
operators), cli.
Kinds of misuse: NULL and dangling pointers and handles, wrong sizes and kinds, calls in the wrong order, use
after release, double release, the wrong thread or context, corrupt files, absurd dimensions, non-UTF-8 paths,
files that vanish while the program runs. ``python tests/test_bad_input_matrix.py`` prints the rows by layer.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, Union

import numpy as np
import pytest

from conftest import ROOT, converted_onnx, ZERO_COUNTS, StreamHold, child_env, is_initialized, leak_report, live_counts, recent_message, requires_emulator

import acllite
from acllite.binding import ffi, lib
from acllite.errors import (AclContextError, AclDeviceError, AclError, AclFileError, AclInvalidParamError,
                            AclMemoryError, AclNotInitializedError, AclStateError)

pytestmark = requires_emulator

NV12 = 1
H2H, H2D, D2H, D2D = 0, 1, 2, 3
GARBAGE = ffi.cast("void *", 0x1234)
NON_UTF8 = b"\xff\xfe-\xe9t\xe9"  # not UTF-8 (Latin-1 bytes), valid in a Linux file name
CAT = ROOT / "examples" / "images" / "cat.jpg"


# ------------------------------------------------------------------------------------------- outcomes


@dataclass
class Raw:
    """What a raw call returned, and the recent error message right after it."""

    rc: int
    message: Optional[str]
    func: str


@dataclass
class Exit:
    """What a command returned, and everything it printed."""

    status: int
    output: str


def raw(fn: Any, *args: Any, func: Optional[str] = None) -> Raw:
    rc = fn(*args)
    return Raw(int(rc), recent_message(), func or getattr(fn, "__name__", "?"))


# ------------------------------------------------------------------------------------------- environment


class Env:
    """What a row needs, made on demand; close() releases it (in reverse order) before the leak check."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self._undo: List[Callable[[], Any]] = []
        self.raw_device = False
        self.runtime: Optional[Any] = None
        self._device: Optional[acllite.Device] = None

    def later(self, fn: Callable[[], Any]) -> None:
        self._undo.append(fn)

    # -- raw C level
    def init(self) -> None:
        assert lib.aclInit(ffi.NULL) == 0, recent_message()

    def device(self) -> None:
        self.init()
        assert lib.aclrtSetDevice(0) == 0, recent_message()
        self.raw_device = True

    def stream(self) -> Any:
        cell = ffi.new("aclrtStream *")
        assert lib.aclrtCreateStream(cell) == 0, recent_message()
        self.later(lambda s=cell[0]: lib.aclrtDestroyStream(s))
        return cell[0]

    def malloc(self, size: int, kind: str = "device") -> Any:
        cell = ffi.new("void **")
        fn = {"device": lambda: lib.aclrtMalloc(cell, size, 0), "host": lambda: lib.aclrtMallocHost(cell, size),
              "dvpp": lambda: lib.acldvppMalloc(cell, size)}[kind]
        assert fn() == 0, recent_message()
        free = {"device": lib.aclrtFree, "host": lib.aclrtFreeHost, "dvpp": lib.acldvppFree}[kind]
        self.later(lambda p=cell[0]: free(p))
        return cell[0]

    def put_dvpp(self, data: bytes) -> Any:
        p = self.malloc(len(data), "dvpp")
        ffi.memmove(p, data, len(data))
        return p

    def channel(self, mode: Optional[int] = None) -> Any:
        ch = lib.acldvppCreateChannelDesc()
        assert ch != ffi.NULL
        if mode is not None:
            assert lib.acldvppSetChannelDescMode(ch, mode) == 0
        assert lib.acldvppCreateChannel(ch) == 0, recent_message()
        self.later(lambda: lib.acldvppDestroyChannelDesc(ch))
        self.later(lambda: lib.acldvppDestroyChannel(ch))
        return ch

    def pic(self, data: Any, size: int, fmt: int = NV12, w: int = 0, h: int = 0, ws: int = 0, hs: int = 0) -> Any:
        d = lib.acldvppCreatePicDesc()
        assert d != ffi.NULL
        for fn, v in ((lib.acldvppSetPicDescData, data), (lib.acldvppSetPicDescSize, size),
                      (lib.acldvppSetPicDescFormat, fmt), (lib.acldvppSetPicDescWidth, w),
                      (lib.acldvppSetPicDescHeight, h), (lib.acldvppSetPicDescWidthStride, ws),
                      (lib.acldvppSetPicDescHeightStride, hs)):
            assert fn(d, v) == 0
        self.later(lambda: lib.acldvppDestroyPicDesc(d))
        return d

    def load(self, model: bytes) -> int:
        cell = ffi.new("uint32_t *")
        assert lib.aclmdlLoadFromMem(model, len(model), cell) == 0, recent_message()
        self.later(lambda m=cell[0]: lib.aclmdlUnload(m))
        return int(cell[0])

    # -- acllite objects
    def dev(self) -> acllite.Device:
        if self._device is None:
            self.runtime = acllite.init()
            self._device = acllite.Device(0)
        return self._device

    def keep(self, obj: Any) -> Any:
        self.later(obj.close)
        return obj

    def close(self) -> None:
        while self._undo:
            self._undo.pop()()
        if self._device is not None:
            was_initialized = acllite.is_initialized()  # else the Device is inert: aclFinalize released it
            self._device.close()
            if was_initialized:
                assert leak_report() == ZERO_COUNTS, "the last Device.close() released what the row left: %s" % (
                    leak_report(),)
        if self.runtime is not None and acllite.is_initialized():
            self.runtime.close()
            assert leak_report() == ZERO_COUNTS, "acllite.finalize() released what the row left: %s" % (leak_report(),)
        if is_initialized():
            if self.raw_device:
                assert lib.aclrtResetDevice(0) == 0, recent_message()
                assert leak_report() == ZERO_COUNTS, "aclrtResetDevice released what the row left: %s" % (
                    leak_report(),)
            assert lib.aclFinalize() == 0, recent_message()
            assert leak_report() == ZERO_COUNTS, "aclFinalize released what the row left: %s" % (leak_report(),)


# ------------------------------------------------------------------------------------------- test data


def onnx_model(batch: Any = 1) -> bytes:
    """y = x * 2, x: float32 [batch, 4]."""
    from onnx import TensorProto, helper, numpy_helper

    g = helper.make_graph([helper.make_node("Mul", ["x", "two"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4])],
                          [numpy_helper.from_array(np.float32([2]), "two")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def jpeg(w: int = 64, h: int = 48, **options: Any) -> bytes:
    from PIL import Image

    rgb = (np.add.outer(np.arange(h), np.arange(w))[..., None] * [1, 2, 3] % 256).astype(np.uint8)
    b = io.BytesIO()
    Image.fromarray(rgb).save(b, "JPEG", quality=80, **options)
    return b.getvalue()


def with_sof_size(data: bytes, w: int, h: int) -> bytes:
    """The JPEG with its frame header claiming w x h."""
    at = data.index(b"\xff\xc0")
    return data[:at + 5] + struct.pack(">HH", h, w) + data[at + 9:]


def tiny_om() -> bytes:
    sys.path.insert(0, str(ROOT / "tests"))
    import om_builder as ob

    md = ob.simple_model_def("tiny", ["relu"])
    return ob.om_file(ob.V2, [[(0, md), (1, bytes(48))]], platform_version="Ascend310")


def aipp_model(tmp: Path) -> Path:
    """A tiny classifier with YUV420SP AIPP (64x64), as acllite atc makes it: what acllite classify needs."""
    from onnx import TensorProto, helper, numpy_helper

    from acllite.tools import atc

    g = helper.make_graph([helper.make_node("ReduceMean", ["x"], ["m"], axes=[2, 3], keepdims=0),
                           helper.make_node("MatMul", ["m", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 64, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
                          [numpy_helper.from_array(np.arange(15, dtype=np.float32).reshape(3, 5), "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    (tmp / "plain.onnx").write_bytes(m.SerializeToString())
    (tmp / "aipp.cfg").write_text("aipp_op { aipp_mode: static input_format: YUV420SP_U8 csc_switch: true "
                                  "src_image_size_w: 64 src_image_size_h: 64 }\n")
    atc.convert(str(tmp / "plain.onnx"), str(tmp / "tiny_aipp"), insert_op_conf=str(tmp / "aipp.cfg"))
    return tmp / "tiny_aipp.om"


def aipp_batch_model(tmp: Path) -> Path:
    """A batch-2 model behind YUV420SP AIPP (8x8 images, 96 bytes each), as acllite atc makes it."""
    from onnx import TensorProto, helper

    from acllite.tools import atc

    g = helper.make_graph([helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=0)], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    (tmp / "batch2.onnx").write_bytes(m.SerializeToString())
    (tmp / "batch2.cfg").write_text("aipp_op { aipp_mode: static input_format: YUV420SP_U8 csc_switch: true }\n")
    atc.convert(str(tmp / "batch2.onnx"), str(tmp / "batch2_aipp"), insert_op_conf=str(tmp / "batch2.cfg"))
    return tmp / "batch2_aipp.om"


def cli(*argv: Union[str, bytes]) -> Exit:
    """acllite's command line in this process (acllite.tools.cli.main), its exit status and output."""
    import contextlib

    from acllite.tools.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([os.fsdecode(a) for a in argv])
        except SystemExit as exc:  # argparse
            status = exc.code if isinstance(exc.code, int) else 1
    return Exit(int(status or 0), out.getvalue() + err.getvalue())


def command(*argv: Union[str, bytes], cwd: Path, code: Optional[str] = None, timeout: float = 120) -> Exit:
    """A real ``python -m acllite ...`` (or ``python -c code argv...``) process in cwd (outside the checkout, so
    that the installed package is imported): its status and output."""
    args = [sys.executable] + (["-c", code] if code else ["-m", "acllite"]) + [os.fsencode(a) for a in argv]
    proc = subprocess.run(args, capture_output=True, env=child_env(), cwd=str(cwd), timeout=timeout)
    assert proc.returncode >= 0, "killed by signal %d: %s" % (-proc.returncode, proc.stderr[-2000:])
    return Exit(proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace"))


def in_thread(fn: Callable[[], Any]) -> Any:
    """fn() in a new thread (which has no current context); its result or exception."""
    box: Dict[str, Any] = {}

    def run() -> None:
        try:
            box["r"] = fn()
        except BaseException as exc:  # noqa: BLE001  (handed to the caller)
            box["e"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the thread hangs"
    if "e" in box:
        raise box["e"]
    return box["r"]


# ------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Row:
    id: str
    layer: str
    call: str  #: what is called, for the reader and the failure message
    expected: Union[int, Type[BaseException], Tuple[str, int]]  #: code, exception class, or ("exit", status)
    fragment: str
    run: Callable[[Env], Any] = field(compare=False, repr=False)
    code: Optional[int] = None  #: for AclError exceptions: the code they carry


ROWS: List[Row] = []


def row(id: str, layer: str, call: str, expected: Any, fragment: str, code: Optional[int] = None) -> Callable:
    def register(fn: Callable[[Env], Any]) -> Callable[[Env], Any]:
        ROWS.append(Row(id, layer, call, expected, fragment, fn, code))
        return fn
    return register


def dead(kind: str) -> Any:
    """A handle of kind (stream, event, context) created and destroyed again: dangling."""
    cell = ffi.new("void **")
    make, kill = {"stream": (lambda: lib.aclrtCreateStream(cell), lib.aclrtDestroyStream),
                  "event": (lambda: lib.aclrtCreateEvent(cell), lib.aclrtDestroyEvent),
                  "context": (lambda: lib.aclrtCreateContext(cell, 0), lib.aclrtDestroyContext)}[kind]
    assert make() == 0 and kill(cell[0]) == 0, recent_message()
    return cell[0]


# ----------------------------------------------------------------------------------------- runtime

@row("rt-set-device-before-init", "runtime", "aclrtSetDevice(0) before aclInit", 100001, "call aclInit first")
def _(env: Env) -> Raw:
    return raw(lib.aclrtSetDevice, 0)


@row("rt-init-twice", "runtime", "aclInit twice", 100002, "already initialized")
def _(env: Env) -> Raw:
    env.init()
    return raw(lib.aclInit, ffi.NULL)


@row("rt-finalize-twice", "runtime", "aclFinalize after aclFinalize", 100037, "already finalized")
def _(env: Env) -> Raw:
    env.init()
    assert lib.aclFinalize() == 0
    return raw(lib.aclFinalize)


@row("rt-config-missing", "runtime", "aclInit(missing acl.json)", 100003, "cannot open config file")
def _(env: Env) -> Raw:
    return raw(lib.aclInit, str(env.tmp / "no" / "acl.json").encode())


@row("rt-config-corrupt", "runtime", "aclInit(acl.json that is not JSON)", 100006, "is not valid JSON")
def _(env: Env) -> Raw:
    (env.tmp / "acl.json").write_bytes(b'{"dump": {"dump_list": [}')
    return raw(lib.aclInit, str(env.tmp / "acl.json").encode())


@row("rt-config-non-utf8-path", "runtime", "aclInit(non-UTF-8 path of a corrupt acl.json)", 100006,
     "is not valid JSON")
def _(env: Env) -> Raw:
    path = os.fsencode(env.tmp) + b"/" + NON_UTF8 + b".json"
    with open(path, "wb") as f:
        f.write(b"\xff\xfe not json")
    return raw(lib.aclInit, path)


@row("rt-device-absurd-id", "runtime", "aclrtSetDevice(2**31 - 1)", 107001, "does not exist")
def _(env: Env) -> Raw:
    env.init()
    return raw(lib.aclrtSetDevice, 2 ** 31 - 1)


@row("rt-device-negative-id", "runtime", "aclrtSetDevice(-1)", 107001, "device -1 does not exist")
def _(env: Env) -> Raw:
    env.init()
    return raw(lib.aclrtSetDevice, -1)


@row("rt-get-device-null", "runtime", "aclrtGetDevice(NULL)", 100000, "deviceId is NULL")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtGetDevice, ffi.NULL)


@row("rt-stream-destroy-twice", "runtime", "aclrtDestroyStream twice", 107017, "is not a live stream")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtDestroyStream, dead("stream"))


@row("rt-stream-garbage", "runtime", "aclrtSynchronizeStream(0x1234)", 107017, "stream 0x1234 is not a live stream")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtSynchronizeStream, GARBAGE)


@row("rt-event-use-after-destroy", "runtime", "aclrtRecordEvent(destroyed event)", 107017, "is not a live event")
def _(env: Env) -> Raw:
    env.device()
    e = dead("event")
    return raw(lib.aclrtRecordEvent, e, env.stream())


@row("rt-no-context-in-new-thread", "runtime", "aclrtCreateStream in a thread without a context", 107002,
     "this thread has no current context")
def _(env: Env) -> Raw:
    env.device()
    cell = ffi.new("aclrtStream *")
    return in_thread(lambda: raw(lib.aclrtCreateStream, cell))


@row("rt-set-destroyed-context", "runtime", "aclrtSetCurrentContext(destroyed context)", 107017,
     "is not a live context")
def _(env: Env) -> Raw:
    env.device()
    default = ffi.new("aclrtContext *")
    lib.aclrtGetCurrentContext(default)
    r = raw(lib.aclrtSetCurrentContext, dead("context"))
    assert lib.aclrtSetCurrentContext(default[0]) == 0
    return r


@row("rt-destroy-default-context", "runtime", "aclrtDestroyContext(the device's default context)", 100000,
     "aclrtResetDevice releases it")
def _(env: Env) -> Raw:
    env.device()
    cell = ffi.new("aclrtContext *")
    assert lib.aclrtGetCurrentContext(cell) == 0
    return raw(lib.aclrtDestroyContext, cell[0])


@row("rt-sync-negative-timeout", "runtime", "aclrtSynchronizeStreamWithTimeout(s, -5)", 107000, "timeout -5 ms")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtSynchronizeStreamWithTimeout, env.stream(), -5)


@row("rt-unsubscribe-not-subscribed", "runtime", "aclrtUnSubscribeReport without a subscription", 100034,
     "is not subscribed")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtUnSubscribeReport, threading.get_ident(), env.stream())


@row("rt-process-report-unsubscribed", "runtime", "aclrtProcessReport on a thread with no stream", 100035,
     "has no subscribed stream")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtProcessReport, 10)


@row("rt-py-init-twice", "runtime", "acllite.init() while initialized", AclStateError, "already initialized",
     code=100002)
def _(env: Env) -> None:
    env.dev()
    acllite.init()


@row("rt-py-closed-device", "runtime", "Device.create_stream() after close()", ValueError, "Device 0 is closed")
def _(env: Env) -> None:
    d = env.dev()
    d.close()
    d.create_stream()


@row("rt-py-stream-after-finalize", "runtime", "Stream.synchronize() after acllite.finalize()", AclNotInitializedError,
     "not initialized", code=100001)
def _(env: Env) -> None:
    s = env.dev().create_stream()
    acllite.finalize()
    s.synchronize()


@row("rt-py-bad-device-object", "runtime", "acllite.Device(7)", AclDeviceError, "device 7 does not exist",
     code=107001)
def _(env: Env) -> None:
    env.dev()
    acllite.Device(7)



# Round two, the Python layers (issue 13): the ownership ground floor, views of pinned memory, plain dtypes.

@row("rt-py-context-close-closes-its-streams", "runtime", "Stream.synchronize() after its Context was closed",
     ValueError, "Stream is closed (its Context was closed)")
def _(env: Env) -> None:
    ctx = env.keep(env.dev().create_context())
    s = ctx.create_stream()
    ctx.close()  # before: the Python Stream was not told, and its close() destroyed a recycled address
    s.close()  # nothing: the context's close released it
    s.synchronize()


@row("rt-py-stream-after-device-reset", "runtime", "Stream.record() after the last Device.close()", ValueError,
     "the reset of device 0 released it")
def _(env: Env) -> None:
    d = env.dev()
    s, e = d.create_stream(), d.create_event()
    s.close()
    d.close()  # the last reset: it releases the event (reported) ...
    acllite.Device(0).close()  # ... and a fresh open/reset leaves an empty report behind
    s2 = acllite.Device(0)
    env.later(s2.close)
    e.record()


@row("rt-py-finalize-inside-a-callback", "runtime", "acllite.finalize() inside callback_scope()", AclStateError,
     "cannot run inside a callback", code=507007)
def _(env: Env) -> None:
    env.dev()
    with acllite.runtime.callback_scope():
        acllite.finalize()


@row("rt-py-with-block-keeps-its-exception", "runtime", "with acllite.init(): finalize(); raise KeyError",
     KeyError, "from the block")
def _(env: Env) -> None:
    with acllite.init():
        acllite.finalize()
        raise KeyError("from the block")  # before: replaced by AclStateError from a second aclFinalize


# ----------------------------------------------------------------------------------------- memory

@row("mem-malloc-zero", "memory", "aclrtMalloc(size 0)", 100000, "size is 0")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMalloc, ffi.new("void **"), 0, 0)


@row("mem-malloc-absurd", "memory", "aclrtMalloc(2**62 bytes)", 207001, "cannot allocate")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMalloc, ffi.new("void **"), 1 << 62, 0)


@row("mem-malloc-bad-policy", "memory", "aclrtMalloc(policy 0x2000)", 100000, "unknown memory policy 0x2000")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMalloc, ffi.new("void **"), 64, 0x2000)


@row("mem-malloc-null-out", "memory", "aclrtMallocHost(NULL, 64)", 100000, "the output pointer is NULL")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMallocHost, ffi.NULL, 64)


@row("mem-free-null", "memory", "aclrtFree(NULL)", 100000, "pointer is NULL")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtFree, ffi.NULL)


@row("mem-double-free", "memory", "aclrtFree twice", 107000, "double free")
def _(env: Env) -> Raw:
    env.device()
    cell = ffi.new("void **")
    assert lib.aclrtMalloc(cell, 64, 0) == 0
    assert lib.aclrtFree(cell[0]) == 0
    return raw(lib.aclrtFree, cell[0])


@row("mem-free-interior", "memory", "aclrtFree(pointer inside an allocation)", 107000,
     "is inside an allocation, not its start")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtFree, ffi.cast("char *", env.malloc(256)) + 16)


@row("mem-free-wrong-kind", "memory", "aclrtFree(pinned host memory)", 107000, "not device memory")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtFree, env.malloc(64, "host"))


@row("mem-free-foreign", "memory", "aclrtFreeHost(a numpy array's memory)", 107000, "was not allocated by the emulator")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtFreeHost, ffi.from_buffer(np.zeros(16, np.uint8)))


@row("mem-copy-dangling", "memory", "aclrtMemcpy to freed device memory", 107000, "not in a live allocation")
def _(env: Env) -> Raw:
    env.device()
    cell = ffi.new("void **")
    assert lib.aclrtMalloc(cell, 64, 0) == 0 and lib.aclrtFree(cell[0]) == 0
    return raw(lib.aclrtMemcpy, cell[0], 64, ffi.from_buffer(bytes(64)), 64, H2D)


@row("mem-copy-count-over-destmax", "memory", "aclrtMemcpy(count > destMax)", 100000, "count 65 is larger than destMax 64")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy, env.malloc(64), 64, ffi.from_buffer(bytes(65)), 65, H2D)


@row("mem-copy-across-allocations", "memory", "aclrtMemcpy(range running into the next allocation)", 107000,
     "leaves its allocation")
def _(env: Env) -> Raw:
    env.device()
    a = env.malloc(100)
    env.malloc(100)  # right after a
    return raw(lib.aclrtMemcpy, ffi.cast("char *", a) + 64, 4096, ffi.from_buffer(bytes(256)), 256, H2D)


@row("mem-copy-kind-mismatch", "memory", "aclrtMemcpy(host, device, kind HOST_TO_DEVICE)", 107000,
     "does not match the memory")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy, ffi.from_buffer(bytearray(64)), 64, env.malloc(64), 64, H2D)


@row("mem-copy-unknown-kind", "memory", "aclrtMemcpy(kind 99)", 100000, "unknown memcpy kind 99")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy, env.malloc(64), 64, env.malloc(64), 64, 99)


@row("mem-memset-plain-host", "memory", "aclrtMemset(host memory not from ACL)", 107000,
     "host memory not allocated through ACL")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemset, ffi.from_buffer(bytearray(64)), 64, 0, 64)


@row("mem-async-copy-freed-before-it-ran", "memory", "aclrtMemcpyAsync, then aclrtFree(dst) before it ran", 107000,
     "not in a live allocation")
def _(env: Env) -> Raw:
    env.device()
    s = env.stream()
    cell = ffi.new("void **")
    assert lib.aclrtMalloc(cell, 64, 0) == 0
    src = bytes(64)
    with StreamHold(s) as hold:
        assert lib.aclrtMemcpyAsync(cell[0], 64, ffi.from_buffer(src), 64, H2D, s) == 0
        assert lib.aclrtFree(cell[0]) == 0
        hold.release()
        r = raw(lib.aclrtSynchronizeStream, s)
        hold.close(sync=False)
    return Raw(r.rc, r.message, "aclrtMemcpyAsync")  # the message names the failed task


@row("mem-meminfo-bad-attr", "memory", "aclrtGetMemInfo(attribute 77)", 100000, "unknown memory attribute 77")
def _(env: Env) -> Raw:
    env.device()
    cells = ffi.new("size_t[2]")
    return raw(lib.aclrtGetMemInfo, 77, cells, cells + 1)


@row("mem-py-copy-too-big", "memory", "DeviceBuffer(64).copy_from(128 bytes)", ValueError, "does not fit")
def _(env: Env) -> None:
    env.keep(env.dev().alloc(64)).copy_from(np.zeros(128, np.uint8))


@row("mem-py-non-contiguous", "memory", "copy_from(a strided array)", ValueError, "C-contiguous")
def _(env: Env) -> None:
    env.keep(env.dev().alloc(64)).copy_from(np.zeros(128, np.uint8)[::2])


@row("mem-py-use-after-close", "memory", "DeviceBuffer.to_numpy() after close()", ValueError, "DeviceBuffer is closed")
def _(env: Env) -> None:
    b = env.dev().alloc(64)
    b.close()
    b.to_numpy()


@row("mem-py-device-view", "memory", "DeviceBuffer.numpy()", TypeError, "not addressable by the host")
def _(env: Env) -> None:
    env.keep(env.dev().alloc(64)).numpy()


@row("mem-py-negative-size", "memory", "Device.alloc(-1)", ValueError, "nbytes must be a positive int")
def _(env: Env) -> None:
    env.dev().alloc(-1)


@row("mem-py-readonly-destination", "memory", "copy_to(a read-only array)", ValueError, "writable")
def _(env: Env) -> None:
    a = np.zeros(64, np.uint8)
    a.flags.writeable = False
    env.keep(env.dev().alloc(64)).copy_to(a)


@row("mem-py-absurd-size", "memory", "Device.alloc(2**50)", AclMemoryError, "cannot allocate", code=207001)
def _(env: Env) -> None:
    env.dev().alloc(1 << 50)



@row("mem-py-host-view-object-dtype", "memory", "HostBuffer.numpy(dtype=object)", TypeError, "cannot have dtype object")
def _(env: Env) -> None:
    env.keep(env.dev().alloc_host(64)).numpy(object)  # before: numpy read pinned bytes as PyObject pointers


@row("mem-py-copy-into-object-array", "memory", "DeviceBuffer.copy_to(an object array)", TypeError,
     "cannot have dtype object")
def _(env: Env) -> None:
    env.keep(env.dev().alloc(16)).copy_to(np.empty(2, object))


@row("mem-py-to-numpy-structured-object", "memory", "DeviceBuffer.to_numpy(a record dtype with an object field)",
     TypeError, "cannot have dtype")
def _(env: Env) -> None:
    env.keep(env.dev().alloc(16)).to_numpy(np.dtype([("a", "u8"), ("b", "O")]))


@row("mem-py-negative-view-shape", "memory", "HostBuffer.numpy(shape=(-1, 4))", ValueError, "negative dimension")
def _(env: Env) -> None:
    env.keep(env.dev().alloc_host(64)).numpy(np.uint8, (-1, 4))


@row("mem-py-memoryview-is-a-view", "memory", "HostBuffer.close() while a memoryview() of it lives", BufferError,
     "1 numpy view(s) or memoryview(s)")
def _(env: Env) -> None:
    h = env.keep(env.dev().alloc_host(64))
    mv = h.memoryview()
    env.later(mv.release)  # (runs before the buffer's close)
    h.close()  # before: it succeeded, and writes through mv landed in whatever was allocated there next


@row("mem-py-finalize-with-a-live-view", "memory", "acllite.finalize() while a numpy view of pinned memory lives",
     BufferError, "aclFinalize would release the memory under them")
def _(env: Env) -> None:
    h = env.keep(env.dev().alloc_host(64))
    views = [h.numpy()]
    env.later(views.clear)
    acllite.finalize()  # before: it succeeded and the view read zeros


# ----------------------------------------------------------------------------------------- model

@row("model-missing-file", "model", "aclmdlLoadFromFile(missing file)", 100003, "cannot open model file")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclmdlLoadFromFile, str(env.tmp / "missing.onnx").encode(), ffi.new("uint32_t *"))


@row("model-corrupt-bytes", "model", "aclmdlLoadFromMem(garbage)", 100013, "not a readable ONNX model")
def _(env: Env) -> Raw:
    env.device()
    garbage = b"\x08\x07 definitely not protobuf \xff" * 8
    return raw(lib.aclmdlLoadFromMem, garbage, len(garbage), ffi.new("uint32_t *"))


@row("model-size-zero", "model", "aclmdlLoadFromMem(size 0)", 100000, "modelSize is 0")
def _(env: Env) -> Raw:
    env.device()
    m = onnx_model()
    return raw(lib.aclmdlLoadFromMem, m, 0, ffi.new("uint32_t *"))


@row("model-non-utf8-path-corrupt", "model", "aclmdlLoadFromFile(non-UTF-8 path of a corrupt model)", 100013,
     "not a readable ONNX model")
def _(env: Env) -> Raw:
    env.device()
    path = os.fsencode(env.tmp) + b"/" + NON_UTF8 + b".onnx"
    with open(path, "wb") as f:
        f.write(b"\x0a\xff\xff\xff\xff\x0f garbage")
    return raw(lib.aclmdlLoadFromFile, path, ffi.new("uint32_t *"))


@row("model-unload-twice", "model", "aclmdlUnload twice", 100011, "is not loaded")
def _(env: Env) -> Raw:
    env.device()
    cell = ffi.new("uint32_t *")
    m = onnx_model()
    assert lib.aclmdlLoadFromMem(m, len(m), cell) == 0 and lib.aclmdlUnload(cell[0]) == 0
    return raw(lib.aclmdlUnload, cell[0])


@row("model-execute-unknown-id", "model", "aclmdlExecute(model id 4242)", 100011, "model id 4242 is not loaded")
def _(env: Env) -> Raw:
    env.device()
    ds = lib.aclmdlCreateDataset()
    env.later(lambda: lib.aclmdlDestroyDataset(ds))
    return raw(lib.aclmdlExecute, 4242, ds, ds)


@row("model-execute-missing-buffers", "model", "aclmdlExecute(empty input dataset)", 100017,
     "input dataset has 0 buffer(s)")
def _(env: Env) -> Raw:
    env.device()
    mid = env.load(onnx_model())
    ds = lib.aclmdlCreateDataset()
    env.later(lambda: lib.aclmdlDestroyDataset(ds))
    return raw(lib.aclmdlExecute, mid, ds, ds)


@row("model-execute-small-buffer", "model", "aclmdlExecute(input buffer of 8 of 16 bytes)", 100017,
     "holds 8 bytes; the model needs 16")
def _(env: Env) -> Raw:
    env.device()
    mid = env.load(onnx_model())
    dsets = []
    for size in (8, 16):
        ds = lib.aclmdlCreateDataset()
        db = lib.aclCreateDataBuffer(env.malloc(size), size)
        assert lib.aclmdlAddDatasetBuffer(ds, db) == 0
        env.later(lambda db=db: lib.aclDestroyDataBuffer(db))
        env.later(lambda ds=ds: lib.aclmdlDestroyDataset(ds))
        dsets.append(ds)
    return raw(lib.aclmdlExecute, mid, dsets[0], dsets[1])


@row("model-dataset-null-buffer", "model", "aclmdlAddDatasetBuffer(dataset, NULL)", 100000, "dataBuffer is NULL")
def _(env: Env) -> Raw:
    env.device()
    ds = lib.aclmdlCreateDataset()
    env.later(lambda: lib.aclmdlDestroyDataset(ds))
    return raw(lib.aclmdlAddDatasetBuffer, ds, ffi.NULL)


@row("model-desc-destroyed", "model", "aclmdlGetInputDims(destroyed description)", 100000,
     "is not a live description")
def _(env: Env) -> Raw:
    env.device()
    d = lib.aclmdlCreateDesc()
    assert lib.aclmdlDestroyDesc(d) == 0
    return raw(lib.aclmdlGetInputDims, d, 0, ffi.new("aclmdlIODims *"))


@row("model-om-truncated", "model", "aclmdlLoadFromFile(OM cut short)", 145000, "after the header")
def _(env: Env) -> Raw:
    env.device()
    (env.tmp / "cut.om").write_bytes(tiny_om()[:-7])
    return raw(lib.aclmdlLoadFromFile, str(env.tmp / "cut.om").encode(), ffi.new("uint32_t *"))


@row("model-om-without-twin-executes", "model", "aclmdlExecute of an OM with no ONNX twin", 200001,
     "holds Ascend machine code")
def _(env: Env) -> Raw:
    env.device()
    (env.tmp / "alone.om").write_bytes(tiny_om())
    cell = ffi.new("uint32_t *")
    assert lib.aclmdlLoadFromFile(str(env.tmp / "alone.om").encode(), cell) == 0, recent_message()
    env.later(lambda: lib.aclmdlUnload(cell[0]))
    dsets = []
    for size in (192, 192):
        ds = lib.aclmdlCreateDataset()
        db = lib.aclCreateDataBuffer(env.malloc(size), size)
        assert lib.aclmdlAddDatasetBuffer(ds, db) == 0
        env.later(lambda db=db: lib.aclDestroyDataBuffer(db))
        env.later(lambda ds=ds: lib.aclmdlDestroyDataset(ds))
        dsets.append(ds)
    return raw(lib.aclmdlExecute, cell[0], dsets[0], dsets[1])


@row("model-py-wrong-dtype", "model", "Model.execute([int32 array])", TypeError, "the model takes float32")
def _(env: Env) -> None:
    env.keep(acllite.Model(onnx_model(), env.dev())).execute([np.zeros((1, 4), np.int32)])


@row("model-py-wrong-size", "model", "Model.execute([5 floats])", ValueError, "holds 20 bytes")
def _(env: Env) -> None:
    env.keep(acllite.Model(onnx_model(), env.dev())).execute([np.zeros(5, np.float32)])


@row("model-py-input-count", "model", "Model.execute([x, x])", ValueError, "takes 1 input(s), 2 given")
def _(env: Env) -> None:
    x = np.zeros((1, 4), np.float32)
    env.keep(acllite.Model(onnx_model(), env.dev())).execute([x, x])


@row("model-py-vanished-file", "model", "acllite.Model(path deleted before loading)", AclFileError,
     "cannot open model file", code=100003)
def _(env: Env) -> None:
    path = env.tmp / "gone.onnx"
    path.write_bytes(onnx_model())
    d = env.dev()
    path.unlink()
    acllite.Model(path, d)


@row("model-py-executor-in-thread-without-context", "model", "Model.executor() in a thread with no context",
     AclContextError, "this thread has no current context", code=107002)
def _(env: Env) -> None:
    m = env.keep(acllite.Model(onnx_model(), env.dev()))
    env.keep(in_thread(m.executor))


@row("model-py-use-after-close", "model", "Model.execute() after close()", ValueError, "closed")
def _(env: Env) -> None:
    m = acllite.Model(onnx_model(), env.dev())
    m.close()
    m.execute([np.zeros((1, 4), np.float32)])



@row("model-py-execute-after-close", "model", "Model.execute() after close()", ValueError, "the model is closed")
def _(env: Env) -> None:
    m = acllite.Model(onnx_model(), env.dev())
    m.execute([np.ones((1, 4), np.float32)])
    m.close()
    m.execute([np.ones((1, 4), np.float32)])  # before: a cffi TypeError


@row("model-aipp-batch-one-image", "model", "Model.execute(one image) on a batch-2 static-AIPP model", ValueError,
     "holds 96 bytes")
def _(env: Env) -> None:
    m = env.keep(acllite.Model(aipp_batch_model(env.tmp), env.dev()))
    m.execute([np.zeros(96, np.uint8)])  # before: accepted, and the model read a second image past the buffer


@row("model-engine-reads-past-buffer", "model", "aclmdlExecute of an AIPP model described one image short",
     AclError, "the model reads 192 bytes", code=100017)
def _(env: Env) -> None:
    import onnx

    proto = converted_onnx(aipp_batch_model(env.tmp))
    for p in proto.metadata_props:
        if p.key.startswith("acllite.aipp."):
            p.value = p.value.replace('"described_size": 192', '"described_size": 96')
    m = env.keep(acllite.Model(proto.SerializeToString(), env.dev()))
    m.execute([np.zeros(96, np.uint8)])


def gear_model(tmp: Path, kind: str = "hw") -> Path:
    """acllite atc --dynamic_image_size="4,4;8,6" (y = x + x, x [1, 3, H, W]) or --dynamic_dims="2;5" (x [1, N])."""
    from onnx import TensorProto, helper

    from acllite.tools import atc

    shape = [1, 3, "h", "w"] if kind == "hw" else [1, "n"]
    g = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    (tmp / "gears.onnx").write_bytes(m.SerializeToString())
    if kind == "hw":
        return atc.convert(str(tmp / "gears.onnx"), str(tmp / "hw"), input_shape="x:1,3,-1,-1",
                           dynamic_image_size="4,4;8,6")
    return atc.convert(str(tmp / "gears.onnx"), str(tmp / "dims"), input_shape="x:1,-1", input_format="ND",
                       dynamic_dims="2;5")


def _gear_onnx(tmp: Path, kind: str) -> bytes:
    """The ONNX model the .om of gear_model carries (its metadata records the gears)."""
    from acllite.formats import om

    data = gear_model(tmp, kind).read_bytes()
    return bytes(om.embedded_onnx(data, "gears.om"))


def _gear_executor(env: Env, kind: str) -> Any:
    m = env.keep(acllite.Model(gear_model(env.tmp, kind), env.dev()))
    return m, env.keep(m.executor())


@row("model-hw-not-a-gear", "model", "aclmdlSetDynamicHWSize(6, 8) on a model with gears 4x4, 8x6", 145013,
     "height 6, width 8 is not one of the model's image size gears (4,4;8,6)")
def _(env: Env) -> Raw:
    m, ex = _gear_executor(env, "hw")
    return raw(lib.aclmdlSetDynamicHWSize, m.id, ex._in_ds, m.dynamic_input, 6, 8)


@row("model-hw-execute-unset", "model", "aclmdlExecute of an image-size-gear model without aclmdlSetDynamicHWSize",
     145013, "call aclmdlSetDynamicHWSize on the input dataset first")
def _(env: Env) -> Raw:
    m, ex = _gear_executor(env, "hw")
    return raw(lib.aclmdlExecute, m.id, ex._in_ds, ex._out_ds)


@row("model-hw-on-dims-model", "model", "aclmdlSetDynamicHWSize on a dims-gear model", 100019,
     "has no dynamic image size (--dynamic_image_size) gears")
def _(env: Env) -> Raw:
    m, ex = _gear_executor(env, "dims")
    return raw(lib.aclmdlSetDynamicHWSize, m.id, ex._in_ds, m.dynamic_input, 4, 4)


@row("model-dims-wrong-rank", "model", "aclmdlSetInputDynamicDims(dimCount 3) on inputs of 2 dims", 100000,
     "dims.dimCount is 3; the model's inputs have 2 dimensions")
def _(env: Env) -> Raw:
    m, ex = _gear_executor(env, "dims")
    d = ffi.new("aclmdlIODims *")
    d.dimCount = 3
    return raw(lib.aclmdlSetInputDynamicDims, m.id, ex._in_ds, m.dynamic_input, d)


@row("model-dims-not-a-gear", "model", "aclmdlSetInputDynamicDims([1, 3]) with gears 2 and 5", 145013,
     "dims [1, 3] are not one of the model's 2 dynamic dims gears")
def _(env: Env) -> Raw:
    m, ex = _gear_executor(env, "dims")
    d = ffi.new("aclmdlIODims *")
    d.dimCount, d.dims[0], d.dims[1] = 2, 1, 3
    return raw(lib.aclmdlSetInputDynamicDims, m.id, ex._in_ds, m.dynamic_input, d)


@row("model-dims-on-static-model", "model", "aclmdlSetInputDynamicDims on a static model", 100019,
     "has no dynamic dims (--dynamic_dims) gears")
def _(env: Env) -> Raw:
    m = env.keep(acllite.Model(onnx_model(), env.dev()))
    ex = env.keep(m.executor())
    return raw(lib.aclmdlSetInputDynamicDims, m.id, ex._in_ds, 0, ffi.new("aclmdlIODims *"))


@row("model-gear-shape-contradicts-description", "model", "aclmdlLoadFromMem(a gear's shape [1, 3, 4] for dims "
     "[1, -1])", 100013, "does not fit the described")
def _(env: Env) -> Raw:
    import onnx

    env.device()
    proto = onnx.load_model_from_string(_gear_onnx(env.tmp, "dims"))
    for p in proto.metadata_props:
        if p.key == "acllite.shape_gears":
            p.value = p.value.replace('"inputs": [[[1, 2]]', '"inputs": [[[3, 2]]')
    data = proto.SerializeToString()
    return raw(lib.aclmdlLoadFromMem, data, len(data), ffi.new("uint32_t *"))


@row("model-gear-dims-beyond-int64", "model", "aclmdlLoadFromMem(a gear dimension of 2**70 in the metadata)", 100013,
     "does not fit int64_t")
def _(env: Env) -> Raw:
    import onnx

    env.device()
    proto = onnx.load_model_from_string(_gear_onnx(env.tmp, "dims"))
    for p in proto.metadata_props:
        if p.key == "acllite.shape_gears":
            p.value = p.value.replace('"values": [[2]', '"values": [[1180591620717411303424]')
    data = proto.SerializeToString()
    return raw(lib.aclmdlLoadFromMem, data, len(data), ffi.new("uint32_t *"))


@row("model-gear-sizes-beyond-int64", "model", "aclmdlLoadFromMem(a gear shape of 2**40 x 2**40 floats)", 100013,
     "is more than 9223372036854775807 bytes")
def _(env: Env) -> Raw:
    import onnx

    env.device()
    proto = onnx.load_model_from_string(_gear_onnx(env.tmp, "hw"))
    for p in proto.metadata_props:
        if p.key == "acllite.shape_gears":
            big = 1 << 40
            p.value = p.value.replace("[1, 3, 8, 6]", "[1, 3, %d, %d]" % (big, big))
    data = proto.SerializeToString()
    return raw(lib.aclmdlLoadFromMem, data, len(data), ffi.new("uint32_t *"))


def _ranged_executor(env: Env) -> Any:
    """acllite atc --input_shape_range="x:[1~8]" of y = x + x."""
    from onnx import TensorProto, helper

    from acllite.tools import atc

    g = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    (env.tmp / "ranged.onnx").write_bytes(m.SerializeToString())
    path = atc.convert(str(env.tmp / "ranged.onnx"), str(env.tmp / "ranged"), input_shape_range="x:[1~8]")
    env.device()
    cell = ffi.new("uint32_t *")
    assert lib.aclmdlLoadFromFile(str(path).encode(), cell) == 0, recent_message()
    env.later(lambda i=cell[0]: lib.aclmdlUnload(i))
    ptrs, dbs = [], []
    for _ in range(2):
        p = ffi.new("void **")
        assert lib.aclrtMalloc(p, 32, 0) == 0
        env.later(lambda q=p[0]: lib.aclrtFree(q))
        db = lib.aclCreateDataBuffer(p[0], 32)
        env.later(lambda d=db: lib.aclDestroyDataBuffer(d))
        dbs.append(db)
    ins, outs = lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()
    env.later(lambda: lib.aclmdlDestroyDataset(ins))
    env.later(lambda: lib.aclmdlDestroyDataset(outs))
    lib.aclmdlAddDatasetBuffer(ins, dbs[0])
    lib.aclmdlAddDatasetBuffer(outs, dbs[1])
    return cell[0], ins, outs


@row("model-range-execute-without-shape", "model", "aclmdlExecute of an --input_shape_range model without "
     "aclmdlSetDatasetTensorDesc", 100000, "set its shape with aclmdlSetDatasetTensorDesc")
def _(env: Env) -> Raw:
    model_id, ins, outs = _ranged_executor(env)
    return raw(lib.aclmdlExecute, model_id, ins, outs)


@row("model-range-shape-outside", "model", "aclmdlExecute with a shape of 9 for the range 1~8", 100000,
     "shape [9] is outside the model's range")
def _(env: Env) -> Raw:
    model_id, ins, outs = _ranged_executor(env)
    td = lib.aclCreateTensorDesc(0, 1, ffi.new("int64_t[]", [9]), 2)
    env.later(lambda: lib.aclDestroyTensorDesc(td))
    assert lib.aclmdlSetDatasetTensorDesc(ins, td, 0) == 0, recent_message()
    return raw(lib.aclmdlExecute, model_id, ins, outs)


@row("model-dataset-desc-dangling", "model", "aclmdlSetDatasetTensorDesc(a destroyed description)", 100000,
     "is not a live tensor description")
def _(env: Env) -> Raw:
    env.device()
    ds = lib.aclmdlCreateDataset()
    env.later(lambda: lib.aclmdlDestroyDataset(ds))
    td = lib.aclCreateTensorDesc(0, 1, ffi.new("int64_t[]", [9]), 2)
    lib.aclDestroyTensorDesc(td)
    return raw(lib.aclmdlSetDatasetTensorDesc, ds, td, 0)


@row("model-aipp-metadata-beyond-int32", "model", "aclmdlLoadFromMem(AIPP matrix_r0c0 = 2**40 in the metadata)",
     100013, "does not fit int32_t")
def _(env: Env) -> Raw:
    import onnx

    env.device()
    proto = converted_onnx(aipp_batch_model(env.tmp))
    for p in proto.metadata_props:
        if p.key.startswith("acllite.aipp."):
            p.value = p.value.replace('"matrix_r0c0": 298', '"matrix_r0c0": 1099511627776')
    data = proto.SerializeToString()
    return raw(lib.aclmdlLoadFromMem, data, len(data), ffi.new("uint32_t *"))


@row("model-gear-minus-one", "model", "aclmdlLoadFromMem(dynamic batch gear -1 in the metadata)", 100013,
     "dynamic batch gear 0 = -1 does not fit uint64_t")
def _(env: Env) -> Raw:
    import onnx

    env.device()
    proto = onnx.load_model_from_string(onnx_model())
    e = proto.metadata_props.add()
    e.key, e.value = "acllite.dynamic_batch", "-1"
    data = proto.SerializeToString()
    return raw(lib.aclmdlLoadFromMem, data, len(data), ffi.new("uint32_t *"))


@row("model-om-bytes-from-mem", "model", "aclmdlLoadFromMem(the bytes of an ATC-made .om)", 200001,
     "no ONNX model in it")
def _(env: Env) -> Raw:
    env.device()
    om = tiny_om()
    return raw(lib.aclmdlLoadFromMem, om, len(om), ffi.new("uint32_t *"))


def dynamic_aipp_model(tmp: Path) -> Path:
    """acllite atc with aipp_mode: dynamic on x [1, 3, 4, 4] (y = x + x): inputs x (image bytes) and
    ascend_dynamic_aipp_data."""
    from onnx import TensorProto, helper

    from acllite.tools import atc

    g = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    (tmp / "daipp.onnx").write_bytes(m.SerializeToString())
    (tmp / "daipp.cfg").write_text("aipp_op {\n aipp_mode: dynamic\n max_src_image_size: 1024\n}\n")
    return atc.convert(str(tmp / "daipp.onnx"), str(tmp / "daipp"), insert_op_conf=str(tmp / "daipp.cfg"))


def _aipp_set(env: Env, batch: int = 1) -> Any:
    a = lib.aclmdlCreateAIPP(batch)
    env.later(lambda: lib.aclmdlDestroyAIPP(a))
    return a


@row("model-aipp-execute-unset", "model", "aclmdlExecute of a dynamic-AIPP model whose AippData input holds zeros",
     145014, "holds no AIPP parameters: call aclmdlSetInputAIPP")
def _(env: Env) -> Raw:
    m = env.keep(acllite.Model(dynamic_aipp_model(env.tmp), env.dev()))
    ex = env.keep(m.executor())
    ptr = lib.aclGetDataBufferAddr(lib.aclmdlGetDatasetBuffer(ex._in_ds, 1))
    assert lib.aclrtMemset(ptr, 160, 0, 160) == 0
    return raw(lib.aclmdlExecute, m.id, ex._in_ds, ex._out_ds)


@row("model-aipp-not-aippdata", "model", "aclmdlSetInputAIPP on the image input (index 0), not the AippData input",
     100000, "input 0 'x' of model")
def _(env: Env) -> Raw:
    m = env.keep(acllite.Model(dynamic_aipp_model(env.tmp), env.dev()))
    ex = env.keep(m.executor())
    return raw(lib.aclmdlSetInputAIPP, m.id, ex._in_ds, 0, _aipp_set(env))


@row("model-aipp-batch-index", "model", "aclmdlSetAIPPCropParams(batchIndex 1) on a set of batchSize 1", 100000,
     "batchIndex 1 is not below the set's batchSize 1")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclmdlSetAIPPCropParams, _aipp_set(env), 1, 0, 0, 4, 4, 1)


@row("model-aipp-switch-range", "model", "aclmdlSetAIPPCscParams(cscSwitch 3)", 100000,
     "cscSwitch is 3; it takes 0 or 1")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclmdlSetAIPPCscParams, _aipp_set(env), 3, *([0] * 15))


@row("model-aipp-after-destroy", "model", "aclmdlSetAIPPInputFormat on a destroyed aclmdlAIPP", 100000,
     "is not a live aclmdlAIPP (destroyed already?)")
def _(env: Env) -> Raw:
    env.device()
    a = lib.aclmdlCreateAIPP(1)
    assert lib.aclmdlDestroyAIPP(a) == 0
    return raw(lib.aclmdlSetAIPPInputFormat, a, 1)


def _config_handle(env: Env, **sizes: int) -> Any:
    """A model configuration handle (released by env), with the size_t options given (ACL_MDL_<name>)."""
    h = lib.aclmdlCreateConfigHandle()
    env.later(lambda: lib.aclmdlDestroyConfigHandle(h))
    for name, value in sizes.items():
        assert lib.aclmdlSetConfigOpt(h, getattr(lib, "ACL_MDL_" + name), ffi.new("size_t *", value), 8) == 0
    return h


@row("model-config-no-load-type", "model", "aclmdlLoadWithConfig(a configuration without ACL_MDL_LOAD_TYPE_SIZET)",
     100000, "ACL_MDL_LOAD_TYPE_SIZET is not set")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclmdlLoadWithConfig, _config_handle(env), ffi.new("uint32_t *"))


@row("model-config-mem-without-size", "model", "aclmdlLoadWithConfig(ACL_MDL_LOAD_FROM_MEM, no ACL_MDL_MEM_SIZET)",
     100000, "ACL_MDL_MEM_ADDR_PTR is not set")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclmdlLoadWithConfig, _config_handle(env, LOAD_TYPE_SIZET=3), ffi.new("uint32_t *"))


@row("model-config-priority-8", "model", "aclmdlSetConfigOpt(ACL_MDL_PRIORITY_INT32, 8)", 100000, "8 is not 0 to 7")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclmdlSetConfigOpt, _config_handle(env), lib.ACL_MDL_PRIORITY_INT32, ffi.new("int32_t *", 8), 4)


@row("model-config-value-size", "model", "aclmdlSetConfigOpt(ACL_MDL_MEM_SIZET, valueSize 4)", 100000,
     "valueSize is 4; the value is a size_t")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclmdlSetConfigOpt, _config_handle(env), lib.ACL_MDL_MEM_SIZET, ffi.new("int32_t *", 8), 4)


@row("model-config-dead-handle", "model", "aclmdlSetConfigOpt(a destroyed configuration)", 100000,
     "not a live handle")
def _(env: Env) -> Raw:
    env.device()
    h = lib.aclmdlCreateConfigHandle()
    lib.aclmdlDestroyConfigHandle(h)
    return raw(lib.aclmdlSetConfigOpt, h, lib.ACL_MDL_MEM_SIZET, ffi.new("size_t *", 8), 8)


@row("model-config-small-workspace", "model", "aclmdlLoadWithConfig(FROM_MEM_WITH_MEM, a workspace 1 byte short)",
     100000, "workPtr holds")
def _(env: Env) -> Raw:
    env.device()
    data = onnx_model()
    host = ffi.from_buffer(data)
    work = ffi.new("size_t *")
    assert lib.aclmdlQuerySizeFromMem(data, len(data), work, ffi.new("size_t *")) == 0
    ptr = env.malloc(work[0])
    h = _config_handle(env, LOAD_TYPE_SIZET=4, MEM_SIZET=len(data), WORKSPACE_SIZET=work[0] - 1)
    for attr, value in ((lib.ACL_MDL_MEM_ADDR_PTR, host), (lib.ACL_MDL_WORKSPACE_ADDR_PTR, ptr)):
        assert lib.aclmdlSetConfigOpt(h, attr, ffi.new("void **", value), ffi.sizeof("void *")) == 0
    return raw(lib.aclmdlLoadWithConfig, h, ffi.new("uint32_t *"))


@row("model-load-with-queues", "model", "aclmdlLoadFromMemWithQ (no queue service)", 200001, "acltdtCreateQueue")
def _(env: Env) -> Raw:
    env.device()
    data, q = onnx_model(), ffi.new("uint32_t[1]")
    return raw(lib.aclmdlLoadFromMemWithQ, data, len(data), ffi.new("uint32_t *"), q, 1, q, 1)


@row("model-exec-config-zero-timeout", "model", "aclmdlSetExecConfigOpt(ACL_MDL_STREAM_SYNC_TIMEOUT, 0)", 100000,
     "a timeout is -1 (wait forever) or positive")
def _(env: Env) -> Raw:
    env.device()
    h = lib.aclmdlCreateExecConfigHandle()
    env.later(lambda: lib.aclmdlDestroyExecConfigHandle(h))
    return raw(lib.aclmdlSetExecConfigOpt, h, lib.ACL_MDL_STREAM_SYNC_TIMEOUT, ffi.new("int32_t *", 0), 4)


@row("model-desc-from-mem-garbage", "model", "aclmdlGetDescFromMem(bytes that are no model)", 100013,
     "not a readable ONNX model")
def _(env: Env) -> Raw:
    env.device()
    d = lib.aclmdlCreateDesc()
    env.later(lambda: lib.aclmdlDestroyDesc(d))
    junk = b"\x00\x01junk\xff" * 8
    return raw(lib.aclmdlGetDescFromMem, d, junk, len(junk))


@row("model-om-carrying-damaged-onnx", "model", "aclmdlLoadFromMem(an acllite .om whose ONNX model is cut)", 100013,
     "it carries")
def _(env: Env) -> Raw:
    from acllite.formats import om as om_format

    env.device()
    blob = onnx_model()
    spec = om_format.ModelSpec("cut", [om_format.TensorSpec("x", 0, 2, (1, 4))],
                               [om_format.TensorSpec("y", 0, 2, (1, 4))], blob[: len(blob) // 2])
    data = om_format.build(spec)
    return raw(lib.aclmdlLoadFromMem, data, len(data), ffi.new("uint32_t *"))


# ----------------------------------------------------------------------------------------- dvpp

@row("dvpp-channel-not-created", "dvpp", "acldvppJpegDecodeAsync(channel description never created)", 100000,
     "channel")
def _(env: Env) -> Raw:
    env.device()
    ch = lib.acldvppCreateChannelDesc()
    env.later(lambda: lib.acldvppDestroyChannelDesc(ch))
    data = jpeg()
    out = env.malloc(1 << 16, "dvpp")
    return raw(lib.acldvppJpegDecodeAsync, ch, env.put_dvpp(data), len(data), env.pic(out, 1 << 16), env.stream())


@row("dvpp-pic-desc-use-after-destroy", "dvpp", "acldvppSetPicDescSize(destroyed description)", 107017,
     "is not a live picture description")
def _(env: Env) -> Raw:
    env.device()
    d = lib.acldvppCreatePicDesc()
    assert lib.acldvppDestroyPicDesc(d) == 0
    return raw(lib.acldvppSetPicDescSize, d, 64)


@row("dvpp-channel-destroy-twice", "dvpp", "acldvppDestroyChannelDesc twice", 107017, "is not a live channel description")
def _(env: Env) -> Raw:
    env.device()
    ch = lib.acldvppCreateChannelDesc()
    assert lib.acldvppDestroyChannelDesc(ch) == 0
    return raw(lib.acldvppDestroyChannelDesc, ch)


@row("dvpp-jpeg-truncated", "dvpp", "acldvppJpegGetImageInfo(JPEG cut inside its headers)", 100000,
     "the JPEG is truncated")
def _(env: Env) -> Raw:
    env.device()
    data = jpeg()[:100]
    w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    return raw(lib.acldvppJpegGetImageInfo, data, len(data), w, h, c)


@row("dvpp-jpeg-absurd-size", "dvpp", "acldvppJpegPredictDecSize(JPEG claiming 65535x65535)", 148052, "8192x8192")
def _(env: Env) -> Raw:
    env.device()
    data = with_sof_size(jpeg(), 65535, 65535)
    return raw(lib.acldvppJpegPredictDecSize, data, len(data), NV12, ffi.new("uint32_t *"))


@row("dvpp-jpeg-zero-width", "dvpp", "acldvppJpegGetImageInfo(JPEG claiming 0x48)", 100000,
     "the JPEG is corrupt: width 0")
def _(env: Env) -> Raw:
    env.device()
    data = with_sof_size(jpeg(), 0, 48)
    w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    return raw(lib.acldvppJpegGetImageInfo, data, len(data), w, h, c)


@row("dvpp-jpeg-height-from-dnl", "dvpp", "acldvppJpegGetImageInfoV2(JPEG claiming 64x0: height in a DNL marker)",
     148052, "DNL marker")
def _(env: Env) -> Raw:
    env.device()
    data = with_sof_size(jpeg(), 64, 0)
    w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    return raw(lib.acldvppJpegGetImageInfoV2, data, len(data), w, h, c, ffi.new("acldvppJpegFormat *"))


@row("dvpp-jpeg-garbage-in-dvpp-memory", "dvpp", "acldvppJpegDecodeAsync(text in DVPP memory) + synchronize", 100000,
     "not a JPEG")
def _(env: Env) -> Raw:
    env.device()
    data = b"this is not a JPEG at all" * 4
    ch, s = env.channel(), env.stream()
    out = env.malloc(1 << 16, "dvpp")
    assert lib.acldvppJpegDecodeAsync(ch, env.put_dvpp(data), len(data), env.pic(out, 1 << 16), s) == 0
    r = raw(lib.aclrtSynchronizeStream, s)
    return Raw(r.rc, r.message, "acldvppJpegDecodeAsync")


@row("dvpp-jpeg-info-null-data", "dvpp", "acldvppJpegGetImageInfo(NULL, 100, ...)", 100000, "data is NULL")
def _(env: Env) -> Raw:
    env.device()
    w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    return raw(lib.acldvppJpegGetImageInfo, ffi.NULL, 100, w, h, c)


@row("dvpp-jpeg-progressive-decode", "dvpp", "acldvppJpegDecodeAsync(progressive JPEG) + synchronize", 148052,
     "progressive")
def _(env: Env) -> Raw:
    env.device()
    data = jpeg(progressive=True)
    ch, s = env.channel(), env.stream()
    out = env.malloc(1 << 16, "dvpp")
    assert lib.acldvppJpegDecodeAsync(ch, env.put_dvpp(data), len(data), env.pic(out, 1 << 16), s) == 0
    r = raw(lib.aclrtSynchronizeStream, s)
    return Raw(r.rc, r.message, "acldvppJpegDecodeAsync")


@row("dvpp-decode-output-too-small", "dvpp", "acldvppJpegDecodeAsync into a buffer 1 byte short + synchronize",
     100000, "too small")
def _(env: Env) -> Raw:
    env.device()
    data = jpeg()
    need = ffi.new("uint32_t *")
    assert lib.acldvppJpegPredictDecSize(data, len(data), NV12, need) == 0
    ch, s = env.channel(), env.stream()
    out = env.malloc(need[0] - 1, "dvpp")
    assert lib.acldvppJpegDecodeAsync(ch, env.put_dvpp(data), len(data), env.pic(out, need[0] - 1), s) == 0
    r = raw(lib.aclrtSynchronizeStream, s)
    return Raw(r.rc, r.message, "acldvppJpegDecodeAsync")


@row("dvpp-input-in-host-memory", "dvpp", "acldvppJpegDecodeAsync(input in aclrtMallocHost memory)", 107000,
     "reads and writes only memory from acldvppMalloc")
def _(env: Env) -> Raw:
    env.device()
    data = jpeg()
    inp = env.malloc(len(data), "host")
    ffi.memmove(inp, data, len(data))
    out = env.malloc(1 << 16, "dvpp")
    return raw(lib.acldvppJpegDecodeAsync, env.channel(), inp, len(data), env.pic(out, 1 << 16), env.stream())


@row("dvpp-png-on-ascend310", "dvpp", "acldvppCreateChannel(PNGD mode) on Ascend310", 200006, "PNGD")
def _(env: Env) -> Raw:
    env.device()
    ch = lib.acldvppCreateChannelDesc()
    env.later(lambda: lib.acldvppDestroyChannelDesc(ch))
    assert lib.acldvppSetChannelDescMode(ch, 8) == 0
    return raw(lib.acldvppCreateChannel, ch)


@row("dvpp-resize-output-too-small", "dvpp", "acldvppVpcResizeAsync(output 8x4)", 100000, "10x6")
def _(env: Env) -> Raw:
    env.device()
    src = env.malloc(64 * 48 * 3 // 2, "dvpp")
    dst = env.malloc(16 * 4 * 3 // 2, "dvpp")
    cfg = lib.acldvppCreateResizeConfig()
    env.later(lambda: lib.acldvppDestroyResizeConfig(cfg))
    return raw(lib.acldvppVpcResizeAsync, env.channel(), env.pic(src, 64 * 48 * 3 // 2, NV12, 64, 48, 64, 48),
               env.pic(dst, 16 * 4 * 3 // 2, NV12, 8, 4, 16, 4), cfg, env.stream())


@row("dvpp-interpolation-out-of-range", "dvpp", "acldvppSetResizeConfigInterpolation(9)", 100000, "interpolation")
def _(env: Env) -> Raw:
    env.device()
    cfg = lib.acldvppCreateResizeConfig()
    env.later(lambda: lib.acldvppDestroyResizeConfig(cfg))
    return raw(lib.acldvppSetResizeConfigInterpolation, cfg, 9)


@row("dvpp-free-with-free-host", "dvpp", "aclrtFreeHost(DVPP memory)", 107000, "not pinned host memory")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtFreeHost, env.malloc(64, "dvpp"))


@row("dvpp-malloc-absurd", "dvpp", "acldvppMalloc(2**40 bytes)", 207001, "cannot allocate")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.acldvppMalloc, ffi.new("void **"), 1 << 40)


# ----------------------------------------------------------------------------------------- image

@row("image-open-missing", "image", "Image.open(missing file)", FileNotFoundError, "missing.jpg")
def _(env: Env) -> None:
    from acllite.image import Image

    Image.open(env.tmp / "missing.jpg")


@row("image-open-vanished", "image", "Image.open(file deleted after it was listed)", FileNotFoundError, "gone.jpg")
def _(env: Env) -> None:
    from acllite.tools.classify import find_images
    from acllite.image import Image

    (env.tmp / "gone.jpg").write_bytes(jpeg())
    (listed,) = find_images([env.tmp])
    listed.unlink()
    Image.open(listed)


@row("image-not-an-image", "image", "Image.from_bytes(b'hello')", ValueError, "neither a JPEG nor a PNG")
def _(env: Env) -> None:
    from acllite.image import Image

    Image.from_bytes(b"hello, world")


@row("image-decode-corrupt", "image", "ImageProcessor.decode_jpeg(truncated JPEG)", AclInvalidParamError, "truncated",
     code=100000)
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor

    ip = env.keep(ImageProcessor(env.dev()))
    ip.decode_jpeg(jpeg()[:300])


@row("image-resize-absurd", "image", "ImageProcessor.resize(image, 100000, 10)", AclInvalidParamError, "4096",
     code=100000)
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor

    ip = env.keep(ImageProcessor(env.dev()))
    img = env.keep(ip.decode_jpeg(jpeg()))
    ip.resize(img, 100000, 10)


@row("image-closed-processor", "image", "ImageProcessor.decode_jpeg after close()", ValueError, "closed")
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor

    ip = ImageProcessor(env.dev())
    ip.close()
    ip.decode_jpeg(jpeg())


@row("image-closed-image", "image", "Image.to_numpy() after close()", ValueError, "closed")
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor

    ip = env.keep(ImageProcessor(env.dev()))
    img = ip.decode_jpeg(jpeg())
    img.close()
    img.to_numpy()


@row("image-from-numpy-bad-shape", "image", "Image.from_numpy(1-D array)", ValueError, "shape")
def _(env: Env) -> None:
    from acllite.image import Image

    Image.from_numpy(np.zeros(12, np.uint8))


@row("image-crop-outside", "image", "ImageProcessor.crop(box outside the picture)", AclInvalidParamError,
     "leaves the input picture",
     code=100000)
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor

    ip = env.keep(ImageProcessor(env.dev()))
    img = env.keep(ip.decode_jpeg(jpeg()))
    ip.crop(img, (0, 0, 1000, 1000))


@row("image-open-non-utf8-path", "image", "Image.open(non-UTF-8 path of a text file) + decode", AclInvalidParamError,
     "the JPEG is corrupt", code=100000)
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor
    from acllite.image import Image

    path = os.fsencode(env.tmp) + b"/" + NON_UTF8 + b".jpg"
    with open(path, "wb") as f:
        f.write(b"\xff\xd8 this is text, not a picture")
    ip = env.keep(ImageProcessor(env.dev()))
    ip.decode_jpeg(env.keep(Image.open(os.fsdecode(path))))



@row("image-py-narrow-array-rgb", "image", "Image((1, 4096, 1) array, RGB888, 4096, 1)", ValueError, "packed")
def _(env: Env) -> None:
    from acllite.image import Image, PixelFormat

    Image(np.zeros((1, 4096, 1), np.uint8), PixelFormat.RGB888, 4096, 1)  # before: to_numpy read past its end


@row("image-py-too-small-2d-resize", "image", "ImageProcessor.resize(Image(4 x 64 array, NV12 64x64))", ValueError,
     "too small")
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor
    from acllite.image import Image, PixelFormat

    ip = env.keep(ImageProcessor(env.dev()))
    ip.resize(Image(np.zeros((4, 64), np.uint8), PixelFormat.NV12, 64, 64, 64, 64), 32, 32)  # before: zeros


@row("image-py-buffer-too-small", "image", "Image(a 100-byte DeviceBuffer, NV12 16x16)", ValueError,
     "its buffer holds 100")
def _(env: Env) -> None:
    from acllite.image import Image, PixelFormat

    Image(env.keep(env.dev().alloc(100)), PixelFormat.NV12, 16, 16)


@row("image-py-not-uint8", "image", "Image(float32 array, RGB888)", TypeError, "uint8")
def _(env: Env) -> None:
    from acllite.image import Image, PixelFormat

    Image(np.zeros((4, 4, 3), np.float32), PixelFormat.RGB888, 4, 4)


# ----------------------------------------------------------------------------------------- pyACL module

def _acl() -> Any:
    return pytest.importorskip("acllite.pyacl")


def _ret(value: Any, func: str) -> Raw:
    rc = value[-1] if isinstance(value, tuple) else value
    return Raw(int(rc), recent_message(), func)


@row("pyacl-init-twice", "pyacl", "acl.init() twice", 100002, "already initialized")
def _(env: Env) -> Raw:
    acl = _acl()
    assert acl.init() == 0
    env.later(acl.finalize)
    return _ret(acl.init(), "aclInit")


@row("pyacl-malloc-zero", "pyacl", "acl.rt.malloc(0, 0)", 100000, "size is 0")
def _(env: Env) -> Raw:
    acl = _acl()
    env.device()
    ptr, ret = acl.rt.malloc(0, 0)
    assert ptr == 0
    return _ret(ret, "aclrtMalloc")


@row("pyacl-free-twice", "pyacl", "acl.rt.free twice", 107000, "double free")
def _(env: Env) -> Raw:
    acl = _acl()
    env.device()
    ptr, ret = acl.rt.malloc(64, 0)
    assert ret == 0 and acl.rt.free(ptr) == 0
    return _ret(acl.rt.free(ptr), "aclrtFree")


@row("pyacl-memcpy-bad-kind", "pyacl", "acl.rt.memcpy(kind 9)", 100000, "unknown memcpy kind 9")
def _(env: Env) -> Raw:
    acl = _acl()
    env.device()
    ptr, ret = acl.rt.malloc(64, 0)
    env.later(lambda: acl.rt.free(ptr))
    return _ret(acl.rt.memcpy(ptr, 64, ptr, 64, 9), "aclrtMemcpy")


@row("pyacl-memcpy-null", "pyacl", "acl.rt.memcpy(0, ...)", 100000, "dst is NULL")
def _(env: Env) -> Raw:
    acl = _acl()
    env.device()
    ptr, ret = acl.rt.malloc(64, 0)
    env.later(lambda: acl.rt.free(ptr))
    return _ret(acl.rt.memcpy(0, 64, ptr, 64, H2D), "aclrtMemcpy")


@row("pyacl-load-missing", "pyacl", "acl.mdl.load_from_file(missing file)", 100003, "cannot open model file")
def _(env: Env) -> Raw:
    acl = _acl()
    env.device()
    return _ret(acl.mdl.load_from_file(str(env.tmp / "none.om")), "aclmdlLoadFromFile")


@row("pyacl-stream-other-thread-no-context", "pyacl", "acl.rt.create_stream() in a thread without a context", 107002,
     "no current context")
def _(env: Env) -> Raw:
    acl = _acl()
    env.device()
    return in_thread(lambda: _ret(acl.rt.create_stream(), "aclrtCreateStream"))


@row("pyacl-wrong-type", "pyacl", "acl.rt.malloc('64', 0)", TypeError, "an integer is required")
def _(env: Env) -> None:
    acl = _acl()
    env.device()
    acl.rt.malloc("64", 0)


@row("pyacl-dvpp-free-foreign", "pyacl", "acl.media.dvpp_free(0x1234)", 107000, "was not allocated by the emulator")
def _(env: Env) -> Raw:
    acl = _acl()
    env.device()
    return _ret(acl.media.dvpp_free(0x1234), "acldvppFree")



@row("pyacl-index-by-name-not-a-string", "pyacl", "acl.mdl.get_input_index_by_name(desc, 3)", TypeError,
     "a str is required, not int")
def _(env: Env) -> None:
    from acllite import pyacl as acl

    acl.mdl.get_input_index_by_name(0, 3)  # before: AttributeError ('int' object has no attribute 'encode')


# ----------------------------------------------------------------------------------------- command line

@row("cli-atc-missing-model", "cli", "acllite atc --model=<missing>", ("exit", 1), "does not exist")
def _(env: Env) -> Exit:
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "none.onnx"), "--output=%s" % (env.tmp / "out"))


@row("cli-atc-corrupt-model", "cli", "acllite atc --model=<not ONNX>", ("exit", 1), "is not a readable ONNX model")
def _(env: Env) -> Exit:
    (env.tmp / "bad.onnx").write_bytes(b"\x00\x01garbage\xff" * 10)
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "bad.onnx"), "--output=%s" % (env.tmp / "out"))


@row("cli-atc-wrong-framework", "cli", "acllite atc --framework=3", ("exit", 2), "only ONNX (5)")
def _(env: Env) -> Exit:
    return cli("atc", "--framework=3", "--model=m.pb", "--output=o")


@row("cli-atc-unknown-option", "cli", "acllite atc --bogus=1", ("exit", 2), "unknown option --bogus")
def _(env: Env) -> Exit:
    return cli("atc", "--framework=5", "--model=m.onnx", "--output=o", "--bogus=1")


@row("cli-atc-aipp-non-utf8", "cli", "acllite atc --insert_op_conf=<non-UTF-8 path and text>", ("exit", 1),
     "not UTF-8 text")
def _(env: Env) -> Exit:
    (env.tmp / "m.onnx").write_bytes(onnx_model())
    cfg = os.fsencode(env.tmp) + b"/" + NON_UTF8 + b".cfg"
    with open(cfg, "wb") as f:
        f.write(b"aipp_op { aipp_mode: static \xff\xfe }")
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "m.onnx"), "--output=%s" % (env.tmp / "o"),
               b"--insert_op_conf=" + cfg)


@row("cli-atc-absurd-shape", "cli", "acllite atc --input_shape=x:0,4", ("exit", 1), "must be positive")
def _(env: Env) -> Exit:
    (env.tmp / "m.onnx").write_bytes(onnx_model())
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "m.onnx"), "--output=%s" % (env.tmp / "o"),
               "--input_shape=x:0,4")


@row("cli-inspect-missing", "cli", "acllite inspect <missing file>", ("exit", 1), "no such file")
def _(env: Env) -> Exit:
    return cli("inspect", str(env.tmp / "none.om"))


@row("cli-inspect-corrupt-om", "cli", "acllite inspect <corrupt .om>", ("exit", 1), "bad.om")
def _(env: Env) -> Exit:
    (env.tmp / "bad.om").write_bytes(b"IMOD" + b"\x00" * 40)
    return cli("inspect", str(env.tmp / "bad.om"))


@row("cli-inspect-non-utf8-path", "cli", "python -m acllite inspect <non-UTF-8 path of a truncated OM>", ("exit", 1),
     "acllite inspect:")
def _(env: Env) -> Exit:
    path = os.fsencode(env.tmp) + b"/" + NON_UTF8 + b".om"
    with open(path, "wb") as f:
        f.write(tiny_om()[:300])
    return command("inspect", path, cwd=env.tmp)


@row("cli-bench-unknown", "cli", "acllite bench nothing", ("exit", 2), "invalid choice")
def _(env: Env) -> Exit:
    return cli("bench", "nothing")


@row("cli-classify-no-images", "cli", "acllite classify <empty directory>", ("exit", 2), "no JPEG or PNG images")
def _(env: Env) -> Exit:
    (env.tmp / "empty").mkdir()
    return cli("classify", str(env.tmp / "empty"), "--model", "unused.om")


@row("cli-classify-model-without-aipp", "cli", "acllite classify --model <a model without AIPP>", ("exit", 2),
     "so the model needs AIPP")
def _(env: Env) -> Exit:
    (env.tmp / "plain.onnx").write_bytes(onnx_model())
    return cli("classify", str(CAT), "--model", str(env.tmp / "plain.onnx"))


@row("cli-classify-missing-model", "cli", "acllite classify --model <missing .om>", ("exit", 2),
     "cannot open model file")
def _(env: Env) -> Exit:
    return cli("classify", str(CAT), "--model", str(env.tmp / "missing.om"))


@row("cli-classify-bad-and-vanishing-files", "cli",
     "python -m acllite classify: a text file named .jpg, and a file deleted while the run is under way",
     ("exit", 1), "1 image(s) classified, 2 failed")
def _(env: Env) -> Exit:
    model = aipp_model(env.tmp)
    images = env.tmp / "images"
    images.mkdir()
    (images / "a_good.jpg").write_bytes(CAT.read_bytes())
    (images / "b_text.jpg").write_text("not a picture")
    (images / "c_vanishes.jpg").write_bytes(CAT.read_bytes())
    # The first image's classification deletes the third one: it vanishes after it was listed.
    code = ("import sys, os; from acllite.tools import classify\n"
            "real = classify.Classifier.classify\n"
            "def once(self, path, top=5):\n"
            "    out = real(self, path, top)\n"
            "    gone = os.path.join(os.path.dirname(str(path)), 'c_vanishes.jpg')\n"
            "    if os.path.exists(gone): os.unlink(gone)\n"
            "    return out\n"
            "classify.Classifier.classify = once\n"
            "sys.exit(classify.main(sys.argv[1:]))\n")
    out = command(str(images), "--model", str(model), cwd=env.tmp, code=code)
    assert "c_vanishes.jpg] cannot classify" in out.output and "b_text.jpg] cannot classify" in out.output, out.output
    assert "leak report: empty" in out.output, out.output
    return out



@row("cli-atc-empty-output", "cli", "acllite atc --output=", ("exit", 1), "--output: expected the output file's path")
def _(env: Env) -> Exit:
    (env.tmp / "m.onnx").write_bytes(onnx_model())
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "m.onnx"), "--output=")  # before: wrote .onnx


@row("cli-atc-shape-beyond-int64", "cli", "acllite atc --input_shape=x:99999999999999999999999,4", ("exit", 1),
     "99999999999999999999999")
def _(env: Env) -> Exit:
    (env.tmp / "m.onnx").write_bytes(onnx_model("batch"))
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "m.onnx"), "--output=%s" % (env.tmp / "o"),
               "--input_shape=x:99999999999999999999999,4")  # before: a traceback


@row("cli-atc-aipp-negative-size", "cli", "acllite atc --insert_op_conf=<src_image_size_w: -5>", ("exit", 1),
     "a.cfg:3: src_image_size_w -5 is outside 0 to 4096")
def _(env: Env) -> Exit:
    (env.tmp / "m.onnx").write_bytes(onnx_model())
    (env.tmp / "a.cfg").write_text("aipp_op {\n aipp_mode: static input_format: RGB888_U8\n src_image_size_w: -5\n}\n")
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "m.onnx"), "--output=%s" % (env.tmp / "o"),
               "--insert_op_conf=%s" % (env.tmp / "a.cfg"))  # before: "must be set when crop is on"


@row("cli-atc-aipp-beyond-int32", "cli", "acllite atc --insert_op_conf=<matrix_r0c0: 2**32>", ("exit", 1),
     "matrix_r0c0 4294967296 is outside -32768 to 32767")
def _(env: Env) -> Exit:
    (env.tmp / "m.onnx").write_bytes(onnx_model())
    (env.tmp / "a.cfg").write_text("aipp_op {\n aipp_mode: static input_format: RGB888_U8\n csc_switch: true\n"
                                   " matrix_r0c0: 4294967296\n}\n")
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "m.onnx"), "--output=%s" % (env.tmp / "o"),
               "--insert_op_conf=%s" % (env.tmp / "a.cfg"))  # before: accepted, then 500000 at aclmdlGetAippType


@row("cli-atc-bad-log", "cli", "acllite atc --log=loud", ("exit", 2), "--log=loud: expected one of")
def _(env: Env) -> Exit:
    return cli("atc", "--framework=5", "--model=m.onnx", "--output=o", "--log=loud")


# ----------------------------------------------------------------------------------------- single operators

def _op_model(op: str, dtype: str, shape: List[int], n_in: int, attrs: Optional[List[Any]] = None) -> bytes:
    import json

    from acllite.formats import singleop

    t = {"format": "ND", "shape": shape, "type": dtype}
    spec = {"op": op, "input_desc": [t] * n_in, "output_desc": [t], "attr": attrs or []}
    return singleop.encode(singleop.parse_description(json.dumps([spec]))[0])


def _op_load(env: Env, model: bytes) -> None:
    assert lib.aclopLoad(model, len(model)) == 0, recent_message()


def _op_desc(env: Env, dims: List[int], dtype: int = 0) -> Any:
    d = lib.aclCreateTensorDesc(dtype, len(dims), ffi.new("int64_t[]", dims), 2)
    assert d != ffi.NULL, recent_message()
    env.later(lambda: lib.aclDestroyTensorDesc(d))
    return d


def _op_buffer(env: Env, size: int) -> Any:
    b = lib.aclCreateDataBuffer(env.malloc(max(size, 1)), size)
    env.later(lambda: lib.aclDestroyDataBuffer(b))
    return b


def _op_run(env: Env, op: bytes, n_in: int, dims: List[int], size: int, attr: Any = ffi.NULL) -> Raw:
    descs = ffi.new("aclTensorDesc *[]", [_op_desc(env, dims) for _ in range(n_in + 1)])
    bufs = ffi.new("aclDataBuffer *[]", [_op_buffer(env, size) for _ in range(n_in + 1)])
    return raw(lib.aclopExecuteV2, op, n_in, descs, bufs, 1, descs + n_in, bufs + n_in, attr, env.stream(),
               func="aclopExecuteV2")


@row("op-execute-never-loaded", "op", "aclopExecuteV2(Add) with no model loaded", 100024,
     "none of that operator type is loaded")
def _(env: Env) -> Raw:
    env.device()
    return _op_run(env, b"Add", 2, [4], 16)


@row("op-execute-other-shape", "op", "aclopExecuteV2(Add [5]) with a model of Add [4]", 100024,
     "has input 0 float32[4] ND")
def _(env: Env) -> Raw:
    env.device()
    _op_load(env, _op_model("Add", "float32", [4], 2))
    return _op_run(env, b"Add", 2, [5], 20)


@row("op-execute-short-buffer", "op", "aclopExecuteV2 with a buffer smaller than its description", 100000,
     "the buffer holds 12 bytes; float32[4] ND needs 16")
def _(env: Env) -> Raw:
    env.device()
    _op_load(env, _op_model("Relu", "float32", [4], 1))
    return _op_run(env, b"Relu", 1, [4], 12)


@row("op-execute-dynamic-desc", "op", "aclopExecuteV2 with a -1 dim", 100000, "must be static when executing")
def _(env: Env) -> Raw:
    env.device()
    _op_load(env, _op_model("Relu", "float32", [-1], 1))
    return _op_run(env, b"Relu", 1, [-1], 16)


@row("op-handle-wrong-count", "op", "aclopExecWithHandle with one input too few", 100021,
     "1 input(s) given; the handle's Add has 2")
def _(env: Env) -> Raw:
    env.device()
    _op_load(env, _op_model("Add", "float32", [4], 2))
    descs = ffi.new("aclTensorDesc *[]", [_op_desc(env, [4]) for _ in range(3)])
    cell = ffi.new("aclopHandle **")
    assert lib.aclopCreateHandle(b"Add", 2, descs, 1, descs + 2, ffi.NULL, cell) == 0, recent_message()
    env.later(lambda: lib.aclopDestroyHandle(cell[0]))
    bufs = ffi.new("aclDataBuffer *[]", [_op_buffer(env, 16) for _ in range(2)])
    return raw(lib.aclopExecWithHandle, cell[0], 1, bufs, 1, bufs + 1, env.stream(), func="aclopExecWithHandle")


@row("op-model-dir-twice", "op", "aclopSetModelDir twice", 100002, "the model directory is set already")
def _(env: Env) -> Raw:
    env.init()
    (env.tmp / "0_Relu.om").write_bytes(_op_model("Relu", "float32", [4], 1))
    assert lib.aclopSetModelDir(os.fsencode(env.tmp)) == 0, recent_message()
    return raw(lib.aclopSetModelDir, os.fsencode(env.tmp), func="aclopSetModelDir")


@row("op-load-garbage", "op", "aclopLoad of bytes that are no operator model", 100013,
     "not a single-operator model written by acllite atc")
def _(env: Env) -> Raw:
    env.init()
    junk = b"IMOD" + bytes(252)
    return raw(lib.aclopLoad, junk, len(junk), func="aclopLoad")


@row("op-attr-dangling", "op", "aclopSetAttrInt on a destroyed attribute set", 100000,
     "is not a live operator attribute set")
def _(env: Env) -> Raw:
    attr = lib.aclopCreateAttr()
    lib.aclopDestroyAttr(attr)
    return raw(lib.aclopSetAttrInt, attr, b"dimension", 0, func="aclopSetAttrInt")


@row("op-compile-custom", "op", "aclopCompile(ACL_COMPILE_UNREGISTERED)", 200001, "cannot compile a custom operator")
def _(env: Env) -> Raw:
    env.device()
    descs = ffi.new("aclTensorDesc *[]", [_op_desc(env, [4]) for _ in range(2)])
    return raw(lib.aclopCompile, b"AddCustom", 1, descs, 1, descs + 1, ffi.NULL, 0, 1, b"/opp/custom",
               func="aclopCompile")


@row("op-cast-no-model", "op", "aclopCast with no Cast model loaded", 100024, "matches Cast (float32[4] ND) -> "
     "(float16[4] ND) with attributes dst_type=int 1")
def _(env: Env) -> Raw:
    env.device()
    src, dst = _op_desc(env, [4], 0), _op_desc(env, [4], 1)
    return raw(lib.aclopCast, src, _op_buffer(env, 16), dst, _op_buffer(env, 8), 0, env.stream(),
               func="aclopCast")


@row("cli-atc-singleop-unknown-op", "cli", "acllite atc --singleop with an operator the emulator cannot map",
     ("exit", 1), "operator type 'Frobnicate' has no ONNX mapping")
def _(env: Env) -> Exit:
    (env.tmp / "ops.json").write_text('[{"op": "Frobnicate", "input_desc": [], "output_desc": '
                                      '[{"format": "ND", "shape": [1], "type": "float"}]}]')
    return cli("atc", "--singleop=%s" % (env.tmp / "ops.json"), "--output=%s" % (env.tmp / "out"))


# ------------------------------------------------------------- round two: the classes of the C emulator (issue 13)
# Sizes past 2^64 / int64, releases from the thread they would join or free, non-regular files, truncated image
# data, acl.json that is not UTF-8, PNG chunk order, NULL DVPP picture data (tests/test_reliability_c.py and
# tests/test_dvpp_null_data.py test each class in depth).


def _identity(shape: List[Any], elem: int = 11, meta: Optional[Dict[str, str]] = None,
              out_shape: Optional[List[Any]] = None, op: str = "Identity") -> bytes:
    """y = op(x) with these shapes (DOUBLE by default) and metadata."""
    from onnx import helper

    g = helper.make_graph([helper.make_node(op, ["x"], ["y"])], "g", [helper.make_tensor_value_info("x", elem, shape)],
                          [helper.make_tensor_value_info("y", elem, out_shape or shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    for k, v in (meta or {}).items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, v
    return m.SerializeToString()


def _in_worker(env: Env, hook: Callable[[Any], Raw]) -> Raw:
    """hook(stream) run inside a JPEG decode callback, on the worker of a stream of the row's own: what it
    returned."""
    from acllite.emulator import codec

    env.device()
    stream = env.stream()
    data = jpeg()
    src = env.put_dvpp(data)
    out = env.malloc(128 * 48 * 3 // 2, "dvpp")
    ch = env.channel()
    d = env.pic(out, 128 * 48 * 3 // 2)
    box: Dict[str, Raw] = {}
    real = codec._open

    def hooked(buf: Any, size: int) -> Any:
        box["raw"] = hook(stream)
        return real(buf, size)

    codec._open = hooked
    try:
        assert lib.acldvppJpegDecodeAsync(ch, src, len(data), d, stream) == 0, recent_message()
        assert lib.aclrtSynchronizeStream(stream) == 0, recent_message()
    finally:
        codec._open = real
    return box["raw"]


@row("rt-destroy-stream-from-its-worker", "runtime", "aclrtDestroyStream(s) inside a callback of a task of s",
     507004, "the calling thread is running a task of stream")
def _(env: Env) -> Raw:
    return _in_worker(env, lambda stream: raw(lib.aclrtDestroyStream, stream))


@row("rt-finalize-from-a-callback", "runtime", "aclFinalize inside a codec callback", 507007,
     "AscendCL cannot be finalized until that callback has returned")
def _(env: Env) -> Raw:
    return _in_worker(env, lambda _stream: raw(lib.aclFinalize))


@row("rt-config-not-utf8", "runtime", "aclInit(acl.json with a string that is not UTF-8)", 100006, "not UTF-8 text")
def _(env: Env) -> Raw:
    (env.tmp / "acl.json").write_bytes(b'{"dump": {"dump_path": "\xff\xfe"}}')
    return raw(lib.aclInit, str(env.tmp / "acl.json").encode())


@row("rt-config-directory", "runtime", "aclInit(a directory)", 100003, "is a directory, not a regular file")
def _(env: Env) -> Raw:
    return raw(lib.aclInit, str(env.tmp).encode())


@row("rt-config-fifo", "runtime", "aclInit(a FIFO): no wait for a writer", 100003, "is a FIFO, not a regular file")
def _(env: Env) -> Raw:
    os.mkfifo(env.tmp / "acl.json")
    return raw(lib.aclInit, str(env.tmp / "acl.json").encode())


@row("mem-host-range-wraps", "memory", "aclrtMemcpy(host, 2**64 - 16 bytes)", 100000,
     "wraps around the address space")
def _(env: Env) -> Raw:
    env.device()
    buf = bytearray(64)
    n = (1 << 64) - 16
    return raw(lib.aclrtMemcpy, ffi.from_buffer(buf), n, ffi.from_buffer(buf), n, H2H)


@row("mem-host-range-into-device-memory", "memory", "aclrtMemcpy(host range running into emulated memory)", 107000,
     "runs into the emulated device memory")
def _(env: Env) -> Raw:
    env.device()
    dev = env.malloc(64)
    # device 0's memory is the first 9 GiB of the reservation: 10 GiB below an allocation is outside it (never
    # dereferenced: the range is refused first)
    q = ffi.cast("void *", int(ffi.cast("uintptr_t", dev)) - (10 << 30))
    n = (10 << 30) + 16
    return raw(lib.aclrtMemcpy, q, n, q, n, H2H)


@row("model-shape-wraps-2-64", "model", "aclmdlLoadFromMem(DOUBLE input [2**61 + 1])", 100013,
     "[2305843009213693953] elements of 8 bytes are more than 9223372036854775807 bytes")
def _(env: Env) -> Raw:
    env.device()
    model = _identity([2 ** 61 + 1])
    return raw(lib.aclmdlLoadFromMem, model, len(model), ffi.new("uint32_t *"))


@row("model-gears-wrap-2-64", "model", "aclmdlLoadFromMem(gears 1,2**60 + 1 of 64-byte items)", 100013,
     "64 bytes per batch item x the largest gear 1152921504606846977")
def _(env: Env) -> Raw:
    env.device()
    model = _identity(["N", 8], meta={"acllite.dynamic_batch": "1,1152921504606846977"})
    return raw(lib.aclmdlLoadFromMem, model, len(model), ffi.new("uint32_t *"))


@row("model-query-size-wraps", "model", "aclmdlQuerySizeFromMem([2**62, 4] doubles)", 100013,
     "more than 9223372036854775807 bytes")
def _(env: Env) -> Raw:
    env.init()
    model = _identity([2 ** 62, 4])
    return raw(lib.aclmdlQuerySizeFromMem, model, len(model), ffi.new("size_t *"), ffi.new("size_t *"))


@row("model-directory", "model", "aclmdlLoadFromFile(a directory)", 100003, "is a directory, not a regular file")
def _(env: Env) -> Raw:
    env.device()
    (env.tmp / "m.onnx").mkdir()
    return raw(lib.aclmdlLoadFromFile, str(env.tmp / "m.onnx").encode(), ffi.new("uint32_t *"))


@row("model-query-size-fifo", "model", "aclmdlQuerySize(a FIFO)", 100003, "is a FIFO, not a regular file")
def _(env: Env) -> Raw:
    env.init()
    os.mkfifo(env.tmp / "m.onnx")
    return raw(lib.aclmdlQuerySize, str(env.tmp / "m.onnx").encode(), ffi.new("size_t *"), ffi.new("size_t *"))


@row("model-load-dev-zero", "model", "aclmdlLoadFromFile(/dev/zero)", 100003, "is a character device")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclmdlLoadFromFile, b"/dev/zero", ffi.new("uint32_t *"))


@row("model-unload-in-its-own-execution", "model", "aclmdlUnload(m) inside m's engine callback", 107037,
     "is executing on the calling thread")
def _(env: Env) -> Raw:
    from acllite.emulator import engine

    env.device()
    mid = env.load(onnx_model())
    x, y = env.malloc(16), env.malloc(16)
    inp, out = lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()
    env.later(lambda: lib.aclmdlDestroyDataset(inp))
    env.later(lambda: lib.aclmdlDestroyDataset(out))
    for ds, ptr in ((inp, x), (out, y)):
        b = lib.aclCreateDataBuffer(ptr, 16)
        env.later(lambda b=b: lib.aclDestroyDataBuffer(b))
        assert lib.aclmdlAddDatasetBuffer(ds, b) == 0
    box: Dict[str, Raw] = {}
    real = engine._bind

    def hooked(*a: Any) -> Any:
        box["raw"] = raw(lib.aclmdlUnload, mid)
        return real(*a)

    engine._bind = hooked
    try:
        assert lib.aclmdlExecute(mid, inp, out) == 0, recent_message()
    finally:
        engine._bind = real
    return box["raw"]


@row("dvpp-vpc-null-input-data", "dvpp", "acldvppVpcResizeAsync(input description with NULL data)", 100000,
     "input data is NULL")
def _(env: Env) -> Raw:
    env.device()
    out = env.malloc(32 * 24 * 3 // 2, "dvpp")
    ch = env.channel()
    cfg = lib.acldvppCreateResizeConfig()
    env.later(lambda: lib.acldvppDestroyResizeConfig(cfg))
    return raw(lib.acldvppVpcResizeAsync, ch, env.pic(ffi.NULL, 64 * 48 * 3 // 2, NV12, 64, 48, 64, 48),
               env.pic(out, 32 * 24 * 3 // 2, NV12, 32, 24, 32, 24), cfg, ffi.NULL)


def _crop_with_roi(left: int, right: int, top: int, bottom: int) -> Callable[[Env], Raw]:
    def case(env: Env) -> Raw:
        env.device()
        src, out = env.malloc(64 * 48 * 3 // 2, "dvpp"), env.malloc(32 * 24 * 3 // 2, "dvpp")
        ch = env.channel()
        roi = lib.acldvppCreateRoiConfig(left, right, top, bottom)
        env.later(lambda: lib.acldvppDestroyRoiConfig(roi))
        return raw(lib.acldvppVpcCropAsync, ch, env.pic(src, 64 * 48 * 3 // 2, NV12, 64, 48, 64, 48),
                   env.pic(out, 32 * 24 * 3 // 2, NV12, 32, 24, 32, 24), roi, ffi.NULL)
    return case


# an inclusive ROI from 0 to 2**32 - 1 is 2**32 wide or tall: more than uint32 holds (each side alone too)
for _id, _what, _roi in (("dvpp-roi-2-32-wide", "ROI 0..2**32 - 1", (0, 0xFFFFFFFF, 0, 0xFFFFFFFF)),
                         ("dvpp-roi-2-32-only-wide", "ROI 2**32 wide, 24 tall", (0, 0xFFFFFFFF, 0, 23)),
                         ("dvpp-roi-2-32-only-tall", "ROI 32 wide, 2**32 tall", (0, 31, 0, 0xFFFFFFFF))):
    row(_id, "dvpp", "acldvppVpcCropAsync(%s)" % _what, 100000, "wider or taller than any picture")(
        _crop_with_roi(*_roi))


@row("dvpp-png-two-ihdr", "dvpp", "acldvppPngPredictDecSize(a PNG with two IHDR chunks)", 100000,
     "a second IHDR chunk")
def _(env: Env) -> Raw:
    import zlib

    env.init()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    head = chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0))
    data = b"\x89PNG\r\n\x1a\n" + head + head + chunk(b"IDAT", zlib.compress(b"\0" * 97 * 32)) + chunk(b"IEND", b"")
    return raw(lib.acldvppPngPredictDecSize, data, len(data), 12, ffi.new("uint32_t *"))


@row("dvpp-decode-missing-rows", "dvpp", "JPEGD whose codec reports success after 16 of 48 rows", 100000,
     "the JPEG is truncated: its image data holds 16 of 48 rows")
def _(env: Env) -> Raw:
    from acllite.emulator import codec

    env.device()
    stream = env.stream()
    data = jpeg()
    src = env.put_dvpp(data)
    out = env.malloc(128 * 48 * 3 // 2, "dvpp")
    ch = env.channel()
    d = env.pic(out, 128 * 48 * 3 // 2)
    real = codec._deliver

    def sixteen_rows(sink: Any, im: Any, layout: int) -> int:
        part = im.crop((0, 0, im.size[0], 16)).tobytes()
        pb = len(part) // (im.size[0] * 16)
        return codec._put_rows(sink, ffi.from_buffer(part), im.size[0], im.size[0] * pb, layout, pb, 0, 16)

    codec._deliver = sixteen_rows
    try:
        assert lib.acldvppJpegDecodeAsync(ch, src, len(data), d, stream) == 0, recent_message()
        return raw(lib.aclrtSynchronizeStream, stream, func="acldvppJpegDecodeAsync")
    finally:
        codec._deliver = real


@row("pyacl-load-directory", "pyacl", "acl.mdl.load_from_file(a directory)", 100003,
     "is a directory, not a regular file")
def _(env: Env) -> Raw:
    acl = _acl()
    env.device()
    return _ret(acl.mdl.load_from_file(str(env.tmp)), "aclmdlLoadFromFile")


@row("cli-atc-gears-overflow", "cli", "acllite atc --dynamic_batch_size=1,1152921504606846977", ("exit", 1),
     "x the largest gear 1152921504606846977")
def _(env: Env) -> Exit:
    (env.tmp / "m.onnx").write_bytes(_identity(["N", 8]))
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "m.onnx"), "--output=%s" % (env.tmp / "o"),
               "--input_shape=x:-1,8", "--dynamic_batch_size=1,1152921504606846977")


@row("cli-atc-dim-beyond-int64", "cli", "acllite atc --input_shape=x:2**64,4", ("exit", 1), "must fit in int64")
def _(env: Env) -> Exit:
    (env.tmp / "m.onnx").write_bytes(onnx_model())
    return cli("atc", "--framework=5", "--model=%s" % (env.tmp / "m.onnx"), "--output=%s" % (env.tmp / "o"),
               "--input_shape=x:%d,4" % (1 << 64))


@row("cli-inspect-size-past-int64", "cli", "acllite inspect <a model of [2**61 + 1] doubles>", ("exit", 1),
     "elements of 8 bytes are more than 9223372036854775807 bytes")
def _(env: Env) -> Exit:
    (env.tmp / "big.onnx").write_bytes(_identity([2 ** 61 + 1]))
    return cli("inspect", str(env.tmp / "big.onnx"))


# ----------------------------------------------------- issue 14: the runtime functions the emulator gained
# 2-D copies, the other allocations, events with flags, stream configuration and failure modes, device figures and
# settings, peer access, last errors, versions (tests/test_runtime_more.py tests each function in depth).


def _event(env: Env, flag: int, ex: bool = False) -> Any:
    cell = ffi.new("aclrtEvent *")
    assert (lib.aclrtCreateEventExWithFlag if ex else lib.aclrtCreateEventWithFlag)(cell, flag) == 0, recent_message()
    env.later(lambda e=cell[0]: lib.aclrtDestroyEvent(e))
    return cell[0]


def _task_fails_later(env: Env, stream: Any) -> None:
    """Queue on stream a memset whose memory is freed before it runs; return once it has run (and failed)."""
    victim = ffi.new("void **")
    assert lib.aclrtMalloc(victim, 64, 0) == 0
    with StreamHold(stream) as hold:
        assert lib.aclrtMemsetAsync(victim[0], 64, 0, 64, stream) == 0, recent_message()
        assert lib.aclrtFree(victim[0]) == 0
        hold.release()
        assert lib.aclrtSynchronizeStream(stream) == 107000


@row("mem2d-width-over-pitch", "memory", "aclrtMemcpy2d(width 65 > spitch 64)", 100000,
     "width 65 is larger than spitch 64")
def _(env: Env) -> Raw:
    env.device()
    host = bytearray(1024)
    return raw(lib.aclrtMemcpy2d, env.malloc(1024), 128, ffi.from_buffer(host), 64, 65, 4, H2D)


@row("mem2d-height-zero", "memory", "aclrtMemcpy2dAsync(height 0)", 100000, "height is 0")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy2dAsync, env.malloc(64), 8, env.malloc(64, "host"), 8, 8, 0, H2D, env.stream())


@row("mem2d-height-limit", "memory", "aclrtMemcpy2d(height 5*1024*1024 + 1)", 107000, "is larger than 5242880")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy2d, env.malloc(64), 1, env.malloc(64, "host"), 1, 1, 5 * 1024 * 1024 + 1, H2D)


@row("mem2d-extent-wraps", "memory", "aclrtMemcpy2d(dpitch 2**63, height 3)", 107000,
     "more than the address space")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy2d, env.malloc(64), 1 << 63, env.malloc(64, "host"), 1, 1, 3, H2D)


@row("mem2d-range-leaves", "memory", "aclrtMemcpy2d whose last row passes the allocation", 107000,
     "leaves its allocation")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy2d, env.malloc(4096), 1025, env.malloc(4096, "host"), 1024, 1024, 4, H2D)


@row("mem2d-sync-device-to-device", "memory", "aclrtMemcpy2d(ACL_MEMCPY_DEVICE_TO_DEVICE)", 207000,
     "device to device: aclrtMemcpy2dAsync")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy2d, env.malloc(64), 8, env.malloc(64), 8, 8, 8, D2D)


@row("mem2d-default-host-to-host", "memory", "aclrtMemcpy2d(ACL_MEMCPY_DEFAULT, two host buffers)", 107000,
     "make it a host to host copy")
def _(env: Env) -> Raw:
    env.device()
    a, b = bytearray(64), bytearray(64)
    return raw(lib.aclrtMemcpy2d, ffi.from_buffer(a), 8, ffi.from_buffer(b), 8, 8, 8, 4)


@row("mem2d-async-freed-before-run", "memory", "aclrtMemcpy2dAsync into memory freed before it runs", 107000,
     "not in a live allocation")
def _(env: Env) -> Raw:
    env.device()
    s = env.stream()
    dev = ffi.new("void **")
    assert lib.aclrtMalloc(dev, 256, 0) == 0
    with StreamHold(s) as hold:
        assert lib.aclrtMemcpy2dAsync(dev[0], 16, env.malloc(256, "host"), 16, 16, 16, H2D, s) == 0
        assert lib.aclrtFree(dev[0]) == 0
        hold.release()
        return raw(lib.aclrtSynchronizeStream, s, func="aclrtMemcpy2dAsync")


@row("mem2d-async-dead-stream", "memory", "aclrtMemcpy2dAsync on a destroyed stream", 107017, "is not a live stream")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemcpy2dAsync, env.malloc(64), 8, env.malloc(64, "host"), 8, 8, 8, H2D, dead("stream"))


@row("mem-cached-zero", "memory", "aclrtMallocCached(size 0)", 100000, "size is 0")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMallocCached, ffi.new("void **"), 0, 0)


@row("mem-align32-bad-policy", "memory", "aclrtMallocAlign32(policy 0x2000)", 100000, "unknown memory policy 0x2000")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMallocAlign32, ffi.new("void **"), 64, 0x2000)


@row("mem-cfg-attrs-null", "memory", "aclrtMallocWithCfg(cfg with numAttrs 3 and attrs NULL)", 100000,
     "cfg->attrs is NULL while cfg->numAttrs is 3")
def _(env: Env) -> Raw:
    env.device()
    cfg = ffi.new("aclrtMallocConfig *")
    cfg.numAttrs = 3
    return raw(lib.aclrtMallocWithCfg, ffi.new("void **"), 64, 0, cfg)


@row("mem-cfg-absent-device", "memory", "aclrtMallocHostWithCfg(device id attribute 9)", 107001,
     "device 9 does not exist")
def _(env: Env) -> Raw:
    env.device()
    cfg = ffi.new("aclrtMallocConfig *")
    attr = ffi.new("aclrtMallocAttribute[1]")
    attr[0].attr = lib.ACL_RT_MEM_ATTR_DEVICE_ID
    attr[0].value.deviceId = 9
    cfg.attrs, cfg.numAttrs = attr, 1
    return raw(lib.aclrtMallocHostWithCfg, ffi.new("void **"), 64, cfg)


@row("mem-flush-host-memory", "memory", "aclrtMemFlush(pageable host memory)", 107000, "not device memory")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemFlush, ffi.from_buffer(bytearray(64)), 64)


@row("mem-invalidate-past-end", "memory", "aclrtMemInvalidate(a range past its allocation)", 107000,
     "leaves its allocation")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtMemInvalidate, env.malloc(64), 65)


@row("mem-free-devsync-twice", "memory", "aclrtFreeWithDevSync twice", 107000, "double free")
def _(env: Env) -> Raw:
    env.device()
    cell = ffi.new("void **")
    assert lib.aclrtMalloc(cell, 64, 0) == 0
    assert lib.aclrtFreeWithDevSync(cell[0]) == 0
    return raw(lib.aclrtFreeWithDevSync, cell[0])


@row("rt-event-flag-zero", "runtime", "aclrtCreateEventWithFlag(flag 0)", 107000, "flag 0x0: expected")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtCreateEventWithFlag, ffi.new("aclrtEvent *"), 0)


@row("rt-event-external-combined", "runtime", "aclrtCreateEventWithFlag(EXTERNAL | SYNC)", 107000,
     "ACL_EVENT_EXTERNAL cannot be or'ed")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtCreateEventWithFlag, ffi.new("aclrtEvent *"), 0x21)


@row("rt-event-ipc", "runtime", "aclrtCreateEventExWithFlag(ACL_EVENT_IPC)", 207000,
     "inter-process events (ACL_EVENT_IPC) are not emulated")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtCreateEventExWithFlag, ffi.new("aclrtEvent *"), 0x40)


@row("rt-reset-ex-event", "runtime", "aclrtResetEvent(an event of aclrtCreateEventExWithFlag)", 207000,
     "made by aclrtCreateEventExWithFlag")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtResetEvent, _event(env, 1, ex=True), env.stream())


@row("rt-wait-unsynchronizing-event", "runtime", "aclrtStreamWaitEvent(an event without ACL_EVENT_SYNC)", 207000,
     "made without ACL_EVENT_SYNC")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtStreamWaitEvent, env.stream(), _event(env, 8))


@row("rt-elapsed-untimed-event", "runtime", "aclrtEventElapsedTime(events without ACL_EVENT_TIME_LINE)", 207000,
     "made without ACL_EVENT_TIME_LINE")
def _(env: Env) -> Raw:
    env.device()
    a, b = _event(env, 1), _event(env, 1)
    return raw(lib.aclrtEventElapsedTime, ffi.new("float *"), a, b)


@row("rt-timestamp-unrecorded", "runtime", "aclrtEventGetTimestamp(never recorded)", 507000, "has not been recorded")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtEventGetTimestamp, _event(env, 9), ffi.new("uint64_t *"))


@row("rt-sync-event-timeout-zero", "runtime", "aclrtSynchronizeEventWithTimeout(event, 0)", 107000, "timeout 0 ms")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtSynchronizeEventWithTimeout, _event(env, 9), 0)


@row("rt-stream-persistent", "runtime", "aclrtCreateStreamWithConfig(ACL_STREAM_PERSISTENT)", 207000,
     "persistent (ACL_STREAM_PERSISTENT) streams are not emulated")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtCreateStreamWithConfig, ffi.new("aclrtStream *"), 0, 4)


@row("rt-stream-query-dead", "runtime", "aclrtStreamQuery(destroyed stream)", 107017, "is not a live stream")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtStreamQuery, dead("stream"), ffi.new("aclrtStreamStatus *"))


@row("rt-failure-mode-back", "runtime", "aclrtSetStreamFailureMode(stop, then continue)", 207000,
     "cannot go back to ACL_CONTINUE_ON_FAILURE")
def _(env: Env) -> Raw:
    env.device()
    s = env.stream()
    assert lib.aclrtSetStreamFailureMode(s, 1) == 0
    return raw(lib.aclrtSetStreamFailureMode, s, 0)


@row("rt-stopped-stream-new-task", "runtime", "a task queued on a stream stopped by a failure", 107023,
     "it takes no more tasks")
def _(env: Env) -> Raw:
    env.device()
    s = env.stream()
    assert lib.aclrtSetStreamFailureMode(s, 1) == 0
    _task_fails_later(env, s)
    return raw(lib.aclrtMemsetAsync, env.malloc(64), 64, 0, 64, s)


@row("rt-sync-device-timeout-zero", "runtime", "aclrtSynchronizeDeviceWithTimeout(0)", 107000, "timeout 0 ms")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtSynchronizeDeviceWithTimeout, 0)


@row("rt-device-info-unknown", "runtime", "aclrtGetDeviceInfo(attribute 999)", 107000, "unknown device attribute 999")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtGetDeviceInfo, 0, 999, ffi.new("int64_t *"))


@row("rt-device-info-absent-device", "runtime", "aclrtGetDeviceInfo(device 4)", 107001, "device 4 does not exist")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtGetDeviceInfo, 4, 1, ffi.new("int64_t *"))


@row("rt-utilization-reserved", "runtime", "aclrtGetDeviceUtilizationRate(utilizationExtend set)", 100000,
     "reserved parameter and must be NULL")
def _(env: Env) -> Raw:
    env.device()
    info = ffi.new("aclrtUtilizationInfo *")
    info.utilizationExtend = ffi.cast("aclrtUtilizationExtendInfo *", GARBAGE)
    return raw(lib.aclrtGetDeviceUtilizationRate, 0, info)


@row("rt-sat-mode-undef", "runtime", "aclrtSetDeviceSatMode(ACL_RT_OVERFLOW_MODE_UNDEF)", 107000, "mode 2: expected")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtSetDeviceSatMode, 2)


@row("rt-ctx-sys-param-unset", "runtime", "aclrtCtxGetSysParamOpt of an option never set", 107021,
     "was not set in this context")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtCtxGetSysParamOpt, 1, ffi.new("int64_t *"))


@row("rt-peer-self", "runtime", "aclrtDeviceEnablePeerAccess(the current device)", 100000,
     "peerDeviceId 0 is the current device")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtDeviceEnablePeerAccess, 0, 0)


@row("rt-peer-flags", "runtime", "aclrtDeviceEnablePeerAccess(flags 1)", 200006, "a reserved parameter, must be 0")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtDeviceEnablePeerAccess, 0, 1)


@row("rt-last-error-level", "runtime", "aclrtGetLastError(level 1)", 100000, "only ACL_RT_THREAD_LEVEL (0) exists")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtGetLastError, 1)


@row("rt-version-unknown-package", "runtime", "aclsysGetVersionStr(\"nope\")", 100003, "has no version information")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclsysGetVersionStr, b"nope", ffi.new("char[128]"))


@row("rt-cann-version-bad-name", "runtime", "aclsysGetCANNVersion(name 99)", 100000, "is not an aclCANNPackageName")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclsysGetCANNVersion, 99, ffi.new("aclCANNPackageVersion *"))


@row("rt-exception-args-null", "runtime", "aclrtGetArgsFromExceptionInfo(NULL info)", 100000, "info is NULL")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtGetArgsFromExceptionInfo, ffi.NULL, ffi.new("void **"), ffi.new("uint32_t *"))


@row("rt-exception-info-made-up", "runtime", "aclrtGetErrorCodeFromExceptionInfo(a made-up pointer)", 0xFFFFFFFF,
     "is not the exception info of the callback running on this thread")
def _(env: Env) -> Raw:
    env.device()
    return raw(lib.aclrtGetErrorCodeFromExceptionInfo, ffi.cast("aclrtExceptionInfo *", 0x10))


# ------------------------------------------------------------------------------------------- the test


MIN_ROWS = 60
LAYERS = ("runtime", "memory", "model", "dvpp", "image", "pyacl", "op", "cli")


def test_the_matrix_is_complete() -> None:
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    by_layer = Counter(r.layer for r in ROWS)
    assert set(by_layer) == set(LAYERS), by_layer
    assert len(ROWS) >= MIN_ROWS, "%d rows, at least %d wanted" % (len(ROWS), MIN_ROWS)
    assert all(by_layer[layer] >= 5 for layer in LAYERS), by_layer



# ----------------------------------------------------------------------------------------- video (VDEC/VENC)

@row("vdec-send-not-created", "dvpp", "aclvdecSendFrame(channel description never created)", 100000,
     "the channel is not created")
def _(env: Env) -> Raw:
    env.device()
    ch = lib.aclvdecCreateChannelDesc()
    env.later(lambda: lib.aclvdecDestroyChannelDesc(ch))
    sd = lib.acldvppCreateStreamDesc()
    env.later(lambda: lib.acldvppDestroyStreamDesc(sd))
    return raw(lib.aclvdecSendFrame, ch, sd, ffi.NULL, ffi.NULL, ffi.NULL)


@row("vdec-channel-id-range", "dvpp", "aclvdecSetChannelDescChannelId(32) on Ascend310", 100000, "[0, 31]")
def _(env: Env) -> Raw:
    env.init()
    ch = lib.aclvdecCreateChannelDesc()
    env.later(lambda: lib.aclvdecDestroyChannelDesc(ch))
    return raw(lib.aclvdecSetChannelDescChannelId, ch, 32)


@row("vdec-param-length", "dvpp", "aclvdecSetChannelDescParam(THREAD_ID, length 4)", 100000, "takes 8 bytes")
def _(env: Env) -> Raw:
    env.init()
    ch = lib.aclvdecCreateChannelDesc()
    env.later(lambda: lib.aclvdecDestroyChannelDesc(ch))
    return raw(lib.aclvdecSetChannelDescParam, ch, lib.ACL_VDEC_THREAD_ID_UINT64, 4, ffi.new("uint64_t *", 1))


@row("vdec-create-no-callback", "dvpp", "aclvdecCreateChannel without a callback", 100000, "no callback")
def _(env: Env) -> Raw:
    env.device()
    ch = lib.aclvdecCreateChannelDesc()
    env.later(lambda: lib.aclvdecDestroyChannelDesc(ch))
    return raw(lib.aclvdecCreateChannel, ch)


@row("dvpp-stream-desc-destroy-twice", "dvpp", "acldvppDestroyStreamDesc twice", 107017,
     "is not a live stream description")
def _(env: Env) -> Raw:
    env.init()
    sd = lib.acldvppCreateStreamDesc()
    lib.acldvppDestroyStreamDesc(sd)
    return raw(lib.acldvppDestroyStreamDesc, sd)


@row("venc-picture-too-large", "dvpp", "aclvencCreateChannel(2048x1080) on Ascend310", 100000, "128x128..1920x1920")
def _(env: Env) -> Raw:
    env.device()
    ch = lib.aclvencCreateChannelDesc()
    env.later(lambda: lib.aclvencDestroyChannelDesc(ch))
    cb = ffi.callback("aclvencCallback", lambda *a: None)
    env.later(lambda: cb)
    for fn, v in ((lib.aclvencSetChannelDescThreadId, 1), (lib.aclvencSetChannelDescCallback, cb),
                  (lib.aclvencSetChannelDescPicWidth, 2048), (lib.aclvencSetChannelDescPicHeight, 1080)):
        assert fn(ch, v) == 0
    return raw(lib.aclvencCreateChannel, ch)


@row("dvpp-batch-too-many-rois", "dvpp", "acldvppVpcBatchCropAsync(roiNums adding up to 300)", 100000,
     "at most 256 in one call")
def _(env: Env) -> Raw:
    env.device()
    ch = lib.acldvppCreateChannelDesc()
    assert lib.acldvppCreateChannel(ch) == 0
    env.later(lambda: (lib.acldvppDestroyChannel(ch), lib.acldvppDestroyChannelDesc(ch)))
    src, dst = lib.acldvppCreateBatchPicDesc(2), lib.acldvppCreateBatchPicDesc(256)
    env.later(lambda: (lib.acldvppDestroyBatchPicDesc(src), lib.acldvppDestroyBatchPicDesc(dst)))
    nums = ffi.new("uint32_t[2]", [200, 100])
    areas = ffi.new("acldvppRoiConfig *[300]")
    return raw(lib.acldvppVpcBatchCropAsync, ch, src, nums, 2, dst, areas, env.stream())


# ------------------------------------------------------------- VPC borders, LUT maps, histograms, pyramids (issue 16)
# The rows run on the default Ascend310, which has the objects but not the operations; the operations' own limits
# (formats, sizes, borders, dims) are checked on an Ascend310P3 in tests/test_dvpp_vpc_ops.py.


def _grey_pictures(env: Env) -> Tuple[Any, Any]:
    data = env.malloc(64 * 32, "dvpp")
    out = env.malloc(80 * 40, "dvpp")
    return env.pic(data, 64 * 32, 0, 64, 32, 64, 32), env.pic(out, 80 * 40, 0, 80, 40, 80, 40)


@row("dvpp-make-border-on-ascend310", "dvpp", "acldvppVpcMakeBorderAsync on an Ascend310", 200006,
     "Ascend310P and newer")
def _(env: Env) -> Raw:
    env.device()
    ch = env.channel()
    src, dst = _grey_pictures(env)
    b = lib.acldvppCreateBorderConfig()
    env.later(lambda: lib.acldvppDestroyBorderConfig(b))
    return raw(lib.acldvppVpcMakeBorderAsync, ch, src, dst, b, env.stream())


@row("dvpp-pyr-down-on-ascend310", "dvpp", "acldvppVpcPyrDownAsync on an Ascend310", 200006, "Ascend310P only")
def _(env: Env) -> Raw:
    env.device()
    ch = env.channel()
    src, dst = _grey_pictures(env)
    return raw(lib.acldvppVpcPyrDownAsync, ch, src, dst, ffi.NULL, env.stream())


@row("dvpp-border-value-index", "dvpp", "acldvppSetBorderConfigValue(index 4)", 100000, "index 4")
def _(env: Env) -> Raw:
    env.init()
    b = lib.acldvppCreateBorderConfig()
    env.later(lambda: lib.acldvppDestroyBorderConfig(b))
    return raw(lib.acldvppSetBorderConfigValue, b, 4, 1.0)


@row("dvpp-border-value-nan", "dvpp", "acldvppSetBorderConfigValue(NaN)", 100000, "not a pixel value 0..255")
def _(env: Env) -> Raw:
    env.init()
    b = lib.acldvppCreateBorderConfig()
    env.later(lambda: lib.acldvppDestroyBorderConfig(b))
    return raw(lib.acldvppSetBorderConfigValue, b, 0, float("nan"))


@row("dvpp-border-type-absurd", "dvpp", "acldvppSetBorderConfigBorderType(7)", 100000, "border type 7")
def _(env: Env) -> Raw:
    env.init()
    b = lib.acldvppCreateBorderConfig()
    env.later(lambda: lib.acldvppDestroyBorderConfig(b))
    return raw(lib.acldvppSetBorderConfigBorderType, b, 7)


@row("dvpp-border-use-after-destroy", "dvpp", "acldvppSetBorderConfigTop(destroyed configuration)", 107017,
     "is not a live border configuration")
def _(env: Env) -> Raw:
    env.init()
    b = lib.acldvppCreateBorderConfig()
    assert lib.acldvppDestroyBorderConfig(b) == 0
    return raw(lib.acldvppSetBorderConfigTop, b, 2)


@row("dvpp-lut-map-dim", "dvpp", "acldvppGetLutMapData(dim 3)", 100000, "dim 3: a LUT map has 3 dimensions")
def _(env: Env) -> Raw:
    env.init()
    m = lib.acldvppCreateLutMap()
    env.later(lambda: lib.acldvppDestroyLutMap(m))
    return raw(lib.acldvppGetLutMapData, m, 3, ffi.new("uint8_t **"), ffi.new("uint32_t *"))


@row("dvpp-lut-map-destroy-twice", "dvpp", "acldvppDestroyLutMap twice", 107017, "is not a live LUT map")
def _(env: Env) -> Raw:
    env.init()
    m = lib.acldvppCreateLutMap()
    assert lib.acldvppDestroyLutMap(m) == 0
    return raw(lib.acldvppDestroyLutMap, m)


@row("dvpp-hist-data-null", "dvpp", "acldvppGetHistData(data NULL)", 100000, "data is NULL")
def _(env: Env) -> Raw:
    env.init()
    h = lib.acldvppCreateHist()
    env.later(lambda: lib.acldvppDestroyHist(h))
    return raw(lib.acldvppGetHistData, h, 0, ffi.NULL, ffi.new("uint16_t *"))


@row("dvpp-hist-clear-after-destroy", "dvpp", "acldvppClearHist(destroyed histogram)", 107017,
     "is not a live histogram")
def _(env: Env) -> Raw:
    env.init()
    h = lib.acldvppCreateHist()
    assert lib.acldvppDestroyHist(h) == 0
    return raw(lib.acldvppClearHist, h)


@row("pyacl-hist-data-null-handle", "pyacl", "acl.media.dvpp_get_hist_data(0, 0)", 100000, "hist is NULL")
def _(env: Env) -> Raw:
    acl = _acl()
    env.init()
    data, length, ret = acl.media.dvpp_get_hist_data(0, 0)
    assert data == 0
    return _ret(ret, "acldvppGetHistData")


@row("image-make-border-negative", "image", "ImageProcessor.make_border(image, -1, 0, 0, 0)", ValueError,
     "must not be negative")
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor
    from acllite.image import Image, PixelFormat

    ip = env.keep(ImageProcessor(env.dev()))
    ip.make_border(Image.from_numpy(np.zeros((24, 32), np.uint8), PixelFormat.YUV400), -1, 0, 0, 0)


@row("image-calc-hist-on-ascend310", "image", "ImageProcessor.calc_hist on an Ascend310", AclError,
     "Ascend310P and newer", code=200006)
def _(env: Env) -> None:
    from acllite.dvpp import ImageProcessor
    from acllite.image import Image, PixelFormat

    ip = env.keep(ImageProcessor(env.dev()))
    ip.calc_hist(Image.from_numpy(np.zeros((24, 32), np.uint8), PixelFormat.YUV400))


@pytest.mark.parametrize("case", ROWS, ids=[r.id for r in ROWS])
def test_bad_input(case: Row, tmp_path: Path) -> None:
    if is_initialized():
        lib.aclFinalize()
        pytest.fail("a previous test left AscendCL initialized")
    env = Env(tmp_path)
    try:
        if isinstance(case.expected, type):
            with pytest.raises(case.expected) as info:
                case.run(env)
            text = str(info.value)
            assert case.fragment in text, "%r not in %r" % (case.fragment, text)
            if case.code is not None:
                assert isinstance(info.value, AclError) and info.value.code == case.code, (info.value, case.code)
        elif isinstance(case.expected, tuple):
            out = case.run(env)
            assert isinstance(out, Exit), out
            assert out.status == case.expected[1], "exit %d, expected %d:\n%s" % (out.status, case.expected[1],
                                                                                   out.output)
            assert case.fragment in out.output, "%r not in the output:\n%s" % (case.fragment, out.output)
            assert "Traceback" not in out.output, out.output
        else:
            out = case.run(env)
            assert isinstance(out, Raw), out
            assert out.rc == case.expected, "%s returned %d (%s), expected %d (%s); message %r" % (
                out.func, out.rc, acllite.error_name(out.rc), case.expected, acllite.error_name(case.expected),
                out.message)
            assert out.message and out.message.startswith(out.func + ": "), (out.func, out.message)
            assert case.fragment in out.message, "%r not in %r" % (case.fragment, out.message)
        _still_usable(env)
    finally:
        env.close()
    assert not is_initialized()
    # Nothing survived the row: a fresh runtime starts empty and finalizes with an empty leak report.
    assert lib.aclInit(ffi.NULL) == 0, recent_message()
    assert live_counts() == ZERO_COUNTS, "alive after the row: %s" % (live_counts(),)
    assert lib.aclFinalize() == 0 and leak_report() == ZERO_COUNTS, leak_report()


def _still_usable(env: Env) -> None:
    """The process goes on: a fresh allocation and copy round trip works on this thread."""
    fresh = not is_initialized()
    if fresh:
        assert lib.aclInit(ffi.NULL) == 0, recent_message()
    set_here = lib.aclrtSetDevice(0) == 0
    try:
        cell = ffi.new("void **")
        assert lib.aclrtMalloc(cell, 64, 0) == 0, recent_message()
        src, back = bytes(range(64)), bytearray(64)
        assert lib.aclrtMemcpy(cell[0], 64, ffi.from_buffer(src), 64, H2D) == 0, recent_message()
        assert lib.aclrtMemcpy(ffi.from_buffer(back), 64, cell[0], 64, D2H) == 0, recent_message()
        assert bytes(back) == src and lib.aclrtFree(cell[0]) == 0
    finally:
        if set_here:
            assert lib.aclrtResetDevice(0) == 0, recent_message()
        if fresh:
            assert lib.aclFinalize() == 0, recent_message()


def table() -> str:
    by_layer = Counter(r.layer for r in ROWS)
    lines = ["%-8s %3d" % (layer, by_layer[layer]) for layer in LAYERS] + ["%-8s %3d" % ("total", len(ROWS))]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
    for r in ROWS:
        exp = r.expected.__name__ if isinstance(r.expected, type) else (
            "exit %d" % r.expected[1] if isinstance(r.expected, tuple) else str(r.expected))
        print("%-8s %-40s %-24s %s" % (r.layer, r.id, exp, r.call))

