"""Lifecycle: objects outliving aclFinalize, aclFinalize with live objects, interpreter shutdown with live objects
(and with threads still working), exceptions inside ``with`` blocks, and fork after aclInit.

The semantics (docs/RELIABILITY.md):

* **aclFinalize with live objects** releases everything and counts it in the leak report, kind by kind; the
  Python objects become inert: ``close()`` does nothing, the collector does nothing, nothing is released twice,
  and they never touch the resources of a later aclInit.
* **Interpreter shutdown** with live objects (and even threads inside AscendCL calls) exits normally: no crash,
  no hang; whatever was alive is released by the objects' finalizers or left to the process's end.
* **Exceptions inside with blocks** propagate unchanged; everything the blocks opened is released.
* **fork() after aclInit**: a child cannot use the parent's AscendCL (CANN does not support it: its device
  handles and worker threads do not come along). In the child every call fails at once with
  ACL_ERROR_UNINITIALIZE (100001) and a message naming the parent and the fix ('spawn'); aclInit there fails with
  ACL_ERROR_FEATURE_UNSUPPORTED (200006); acllite's objects inherited by the child release nothing. The parent
  is unaffected. A child forked while AscendCL is *not* initialized may call aclInit normally.
"""

from __future__ import annotations

import gc
import inspect
import io
import logging
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from conftest import ZERO_COUNTS, is_initialized, leak_report, live_counts, requires_emulator, run_python, run_python_ok

import acllite
from acllite.binding import ffi, lib
from acllite.dvpp import ImageProcessor

pytestmark = requires_emulator

def scale_model() -> bytes:
    """y = x * 3 on float32 [2, 8]."""
    from onnx import TensorProto, helper, numpy_helper

    g = helper.make_graph([helper.make_node("Mul", ["x", "three"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])],
                          [numpy_helper.from_array(np.float32([3]), "three")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def jpeg(w: int = 96, h: int = 64) -> bytes:
    from PIL import Image

    b = io.BytesIO()
    Image.fromarray((np.add.outer(np.arange(h), np.arange(w)) % 256).astype(np.uint8)).convert("RGB").save(b, "JPEG")
    return b.getvalue()


#: The same helpers for the subprocesses.
MODEL_PRELUDE = "import io\nimport numpy as np\n\n" + inspect.getsource(scale_model) + "\n" + inspect.getsource(jpeg)


@pytest.fixture
def clean() -> Iterator[None]:
    if is_initialized():
        lib.aclFinalize()
        pytest.fail("a previous test left AscendCL initialized")
    yield
    if acllite.is_initialized():
        acllite.finalize()
    assert not is_initialized()


# ------------------------------------------------------------------------------------ objects and finalize


def test_finalize_with_live_objects_counts_each_kind(clean: None) -> None:
    assert lib.aclInit(ffi.NULL) == 0 and lib.aclrtSetDevice(0) == 0
    cell = ffi.new("void **")
    for size in (100, 200):
        assert lib.aclrtMalloc(cell, size, 0) == 0
    assert lib.aclrtMallocHost(cell, 300) == 0
    assert lib.acldvppMalloc(cell, 400) == 0
    ctx = ffi.new("aclrtContext *")
    assert lib.aclrtCreateContext(ctx, 0) == 0
    s, e = ffi.new("aclrtStream *"), ffi.new("aclrtEvent *")
    assert lib.aclrtCreateStream(s) == 0 and lib.aclrtCreateEvent(e) == 0
    assert lib.aclCreateDataBuffer(ffi.NULL, 0) != ffi.NULL
    assert lib.aclmdlCreateDataset() != ffi.NULL
    assert lib.aclmdlCreateDesc() != ffi.NULL
    m = scale_model()
    assert lib.aclmdlLoadFromMem(m, len(m), ffi.new("uint32_t *")) == 0
    ch = lib.acldvppCreateChannelDesc()
    assert lib.acldvppCreateChannel(ch) == 0
    assert lib.acldvppCreatePicDesc() != ffi.NULL and lib.acldvppCreateResizeConfig() != ffi.NULL
    assert lib.aclFinalize() == 0  # no aclrtResetDevice: aclFinalize releases it all
    assert leak_report() == dict(ZERO_COUNTS, deviceAllocations=2, deviceBytes=300, hostAllocations=1, hostBytes=300,
                                 dvppAllocations=1, dvppBytes=400, contexts=1, streams=1, events=1, dataBuffers=1,
                                 datasets=1, modelDescs=1, models=1, dvppChannels=1, dvppDescs=2)  # each object once
    assert live_counts() == ZERO_COUNTS


def test_every_kind_of_object_outlives_finalize_inert(clean: None, emu_log: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="acllite")
    rt = acllite.init()
    d = acllite.Device(0)
    ctx = d.create_context()
    s = ctx.create_stream()
    model = acllite.Model(scale_model(), d)
    ex = model.executor()
    pending = ex.execute_async([np.ones((2, 8), np.float32)], s)  # still queued or done, never waited for
    ip = ImageProcessor(d, s)
    img = ip.decode_jpeg(jpeg())
    host = d.alloc_host(64)
    view = host.numpy()
    objs = [d.alloc(128), host, d.create_event(), ctx.create_event(), s, ctx, model, ex, ip, img]
    with pytest.raises(BufferError, match="1 numpy view"):
        rt.close()  # refused while a view of pinned memory lives: the memory would go under it
    assert acllite.is_initialized() and not host.closed
    del view
    rt.close()  # aclFinalize with all the rest alive
    report = leak_report()
    assert report["models"] == 1 and report["dvppChannels"] == 1 and report["streams"] >= 2, report
    assert report["deviceAllocations"] >= 3 and report["dvppAllocations"] >= 1, report
    assert live_counts() == ZERO_COUNTS
    before = len(emu_log.lines)
    for o in objs + [d]:
        o.close()  # does nothing, raises nothing
    del objs, pending, host, img
    gc.collect()
    assert emu_log.lines[before:] == [], "closing inert objects reached the emulator: %s" % emu_log.lines[before:]
    assert [r for r in caplog.records if r.name.startswith("acllite")] == []
    assert leak_report() == report  # still aclFinalize's report: nothing was released again
    # A new runtime is not disturbed by the old generation's objects.
    with acllite.init(), acllite.Device(0) as d2:
        with acllite.Model(scale_model(), d2) as m2:
            (y,) = m2.execute([np.full((2, 8), 2, np.float32)])
            assert np.array_equal(y, np.full((2, 8), 6, np.float32))
        gc.collect()
    assert leak_report() == ZERO_COUNTS and live_counts() == ZERO_COUNTS


def test_device_reset_with_live_children_then_gc_in_any_order(clean: None) -> None:
    rt = acllite.init()
    d = acllite.Device(0)
    s = d.create_stream()
    model = acllite.Model(scale_model(), d)
    ip = ImageProcessor(d, s)
    objs = [d.alloc(64), d.create_event(), ip.decode_jpeg(jpeg(), stream=s), model.executor(), s, ip]
    s.synchronize()
    d.close()  # the last Device: aclrtResetDevice releases the device's streams, memory, events, channels
    report = leak_report()
    assert report["streams"] >= 2 and report["dvppChannels"] == 1 and report["events"] == 1, report
    rng = np.random.default_rng(1)
    del s, ip
    for i in rng.permutation(len(objs)):
        objs[i] = None
        gc.collect()
    model.close()  # models belong to the process, not the device: unloaded here
    assert live_counts() == ZERO_COUNTS
    rt.close()
    assert leak_report() == ZERO_COUNTS


# ------------------------------------------------------------------------------------ with blocks


class Boom(Exception):
    pass


@pytest.mark.parametrize("where", ["runtime", "device", "stream", "model", "processor", "pending async work"])
def test_an_exception_inside_with_blocks_propagates_and_everything_is_released(clean: None, where: str) -> None:
    with pytest.raises(Boom) as info:
        with acllite.init():
            if where == "runtime":
                raise Boom(where)
            with acllite.Device(0) as d:
                if where == "device":
                    raise Boom(where)
                with d.create_stream() as s:
                    if where == "stream":
                        raise Boom(where)
                    with acllite.Model(scale_model(), d) as m:
                        if where == "model":
                            raise Boom(where)
                        with ImageProcessor(d, s) as ip:
                            img = ip.decode_jpeg(jpeg())
                            if where == "processor":
                                raise Boom(where)
                            ex = m.executor()
                            ex.execute_async([np.ones((2, 8), np.float32)], s)  # queued, never waited for
                            img2 = ip.resize(img, 48, 32)  # queued too
                            del img2
                            raise Boom(where)
    assert str(info.value) == where  # the exception itself, not a cleanup error
    assert not acllite.is_initialized() and not is_initialized()
    assert leak_report() == ZERO_COUNTS or where != "runtime"  # what the blocks opened, they released
    assert live_counts() == ZERO_COUNTS
    gc.collect()
    assert live_counts() == ZERO_COUNTS


def test_an_acl_error_inside_with_blocks_keeps_its_code_and_message(clean: None) -> None:
    with pytest.raises(acllite.AclInvalidParamError) as info:
        with acllite.init(), acllite.Device(0) as d, ImageProcessor(d) as ip:
            ip.decode_jpeg(jpeg()[:300])  # truncated
    assert info.value.code == 100000 and "JPEG" in str(info.value)
    assert leak_report() == ZERO_COUNTS and live_counts() == ZERO_COUNTS


# ------------------------------------------------------------------------------------ interpreter shutdown


def test_interpreter_shutdown_with_every_kind_of_object_alive() -> None:
    proc = run_python(MODEL_PRELUDE + """
import acllite
from acllite.dvpp import ImageProcessor
rt = acllite.init()
d = acllite.Device(0)
ctx = d.create_context()
s = ctx.create_stream()
m = acllite.Model(scale_model(), d)
ex = m.executor()
r = ex.execute_async([np.ones((2, 8), np.float32)], s)
ip = ImageProcessor(d, s)
img = ip.resize(ip.decode_jpeg(jpeg()), 48, 32)
keep = [d.alloc(1 << 20), d.alloc_host(4096).numpy(), d.create_event(), ctx.create_event()]
cycle = [m, ex, keep]; cycle.append(cycle)  # only the collector (or the exit) gets to these
print("leaving", flush=True)
""", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "leaving"
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr


def test_interpreter_shutdown_inside_a_with_block_and_with_sys_exit() -> None:
    proc = run_python(MODEL_PRELUDE + """
import sys, acllite
with acllite.init(), acllite.Device(0) as d, acllite.Model(scale_model(), d) as m:
    s = d.create_stream()
    r = m.execute_async([np.ones((2, 8), np.float32)], s)
    sys.exit(7)
""", timeout=120)
    assert proc.returncode == 7, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("delay", ["0.05", "0.3"])
def test_interpreter_shutdown_while_threads_are_inside_acl_calls(delay: str) -> None:
    """Daemon threads executing models, copying and decoding when the main thread ends: the exit may pull
    objects out from under them (they then get clean errors), but nothing crashes or hangs."""
    proc = run_python(MODEL_PRELUDE + """
import sys, threading, time, acllite
from acllite.dvpp import ImageProcessor
rt = acllite.init(); d = acllite.Device(0)
m = acllite.Model(scale_model(), d)
data = jpeg()
def spin(kind):
    d.make_current()
    if kind == 0:
        ex = m.executor(); x = np.ones((2, 8), np.float32)
        while True: ex.execute([x])
    elif kind == 1:
        ip = ImageProcessor(d)
        while True: ip.decode_jpeg(data).close()
    else:
        s = d.create_stream(); b = d.alloc(1 << 16); h = np.zeros(1 << 16, np.uint8)
        while True: b.copy_from(h, stream=s); s.synchronize()
for k in (0, 1, 2, 0, 1, 2):
    threading.Thread(target=spin, args=(k,), daemon=True).start()
time.sleep(%s)
print("main ends", flush=True)
""" % delay, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "main ends"
    assert "Fatal Python error" not in proc.stderr and "Segmentation" not in proc.stderr, proc.stderr[-3000:]


def test_exit_with_a_stream_held_by_an_unprocessed_blocking_callback() -> None:
    proc = run_python("""
import threading, acllite, numpy as np
from acllite.binding import lib, ffi
rt = acllite.init(); d = acllite.Device(0); s = d.create_stream()
cb = ffi.callback("void(void *)", lambda _: None)
gate = threading.Event()
t = threading.Thread(target=gate.wait, daemon=True); t.start()  # subscribed, never processes
assert lib.aclrtSubscribeReport(t.ident, s.handle) == 0
assert lib.aclrtLaunchCallback(cb, ffi.NULL, lib.ACL_CALLBACK_BLOCK, s.handle) == 0
b = d.alloc(1 << 20)
b.copy_from(np.zeros(1 << 20, np.uint8), stream=s)  # queued behind the callback
print("leaving", flush=True)
""", timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "leaving", proc.stderr


# ------------------------------------------------------------------------------------ fork


FORK_CHILD = MODEL_PRELUDE + """
import os, sys, signal, acllite
from acllite.binding import lib, ffi
from acllite.dvpp import ImageProcessor
rt = acllite.init(); d = acllite.Device(0); s = d.create_stream()
m = acllite.Model(scale_model(), d)
ip = ImageProcessor(d, s)
buf = d.alloc(4096)
buf.copy_from(np.arange(4096, dtype=np.uint32).astype(np.uint8), stream=s)  # in flight at the fork
pid = os.fork()
if pid == 0:
    signal.alarm(30)  # a hang in the child ends it with SIGALRM: the parent sees it
    out = []
    def call(what, fn, *args):
        rc = fn(*args)
        p = lib.aclGetRecentErrMsg()
        out.append((what, rc, ffi.string(p).decode() if p != ffi.NULL else ""))
    call("aclrtSynchronizeStream", lib.aclrtSynchronizeStream, s.handle)  # its worker did not come along
    call("aclrtMalloc", lib.aclrtMalloc, ffi.new("void **"), 64, 0)
    call("aclrtMemcpy", lib.aclrtMemcpy, buf._cdata, 16, ffi.from_buffer(bytes(16)), 16, 1)
    call("aclrtFree", lib.aclrtFree, buf._cdata)
    call("aclrtSetDevice", lib.aclrtSetDevice, 0)
    call("aclrtResetDevice", lib.aclrtResetDevice, 0)
    call("aclmdlUnload", lib.aclmdlUnload, m.id)
    call("acldvppJpegPredictDecSize", lib.acldvppJpegPredictDecSize, jpeg(), len(jpeg()), 1, ffi.new("uint32_t *"))
    call("aclFinalize", lib.aclFinalize)
    call("aclInit", lib.aclInit, ffi.NULL)
    errors = []
    for name, fn in (("execute", lambda: m.execute([np.ones((2, 8), np.float32)])), ("init", acllite.init),
                     ("decode", lambda: ip.decode_jpeg(jpeg()))):
        try:
            fn()
            errors.append((name, None, "no error"))
        except acllite.AclError as exc:
            errors.append((name, exc.code, type(exc).__name__))
    print(repr((out, errors, acllite.is_initialized())), flush=True)
    sys.exit(5)  # a normal exit: the inherited objects' finalizers run (and must release nothing)
_, status = os.waitpid(pid, 0)
print("child status", status, flush=True)
s.synchronize()
back = np.zeros(4096, np.uint8); buf.copy_to(back)
assert np.array_equal(back, np.arange(4096, dtype=np.uint32).astype(np.uint8)), "the parent's data changed"
(y,) = m.execute([np.ones((2, 8), np.float32)]); assert np.array_equal(y, np.full((2, 8), 3, np.float32))
ip.decode_jpeg(jpeg()).close()
for o in (buf, ip, m, s, d, rt): o.close()
print("parent leak report", acllite.emulator_leak_report() == {k: 0 for k in acllite.emulator_leak_report()})
"""


def test_fork_after_init_child_gets_clear_errors_and_parent_goes_on() -> None:
    proc = run_python(FORK_CHILD, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    out, errors, child_initialized = eval(lines[0])  # noqa: S307  (our own repr)
    assert lines[1] == "child status %d" % (5 << 8), proc.stdout  # its own status; not killed by SIGALRM: no hang
    assert lines[2] == "parent leak report True", proc.stdout
    for what, rc, msg in out:
        want = 200006 if what == "aclInit" else 100001
        assert rc == want, (what, rc, msg)
        assert msg.startswith(what + ": AscendCL was initialized in process "), (what, msg)
        assert "which forked this one" in msg and "'spawn'" in msg, msg
    assert errors == [("execute", 100001, "AclNotInitializedError"), ("init", 200006, "AclNotSupportedError"),
                      ("decode", 100001, "AclNotInitializedError")], errors
    assert child_initialized is False
    assert "failed with" not in proc.stderr, "the child's objects tried to release: %s" % proc.stderr[-2000:]


def test_fork_before_init_or_after_finalize_child_may_init() -> None:
    out = run_python_ok(MODEL_PRELUDE + """
import os, acllite
def child_work():
    with acllite.init(), acllite.Device(0) as d, acllite.Model(scale_model(), d) as m:
        (y,) = m.execute([np.ones((2, 8), np.float32)])
        return bool(np.array_equal(y, np.full((2, 8), 3, np.float32)))
for phase in ("before init", "after finalize"):
    if phase == "after finalize":
        with acllite.init(), acllite.Device(0):
            pass
    pid = os.fork()
    if pid == 0:
        os._exit(0 if child_work() else 1)
    _, status = os.waitpid(pid, 0)
    print(phase, status)
""", timeout=120)
    assert out.split("\n")[:2] == ["before init 0", "after finalize 0"], out


def test_multiprocessing_fork_worker_gets_the_error_spawn_worker_works(tmp_path: Path) -> None:
    script = tmp_path / "pools.py"  # a file: 'spawn' workers import the main module
    script.write_text(MODEL_PRELUDE + """
import multiprocessing as mp, warnings, acllite
def work(_):
    try:
        with acllite.init(), acllite.Device(0) as d, acllite.Model(scale_model(), d) as m:
            (y,) = m.execute([np.ones((2, 8), np.float32)])
            return "ok %s" % y[0, 0]
    except acllite.AclError as exc:
        return "error %d" % exc.code
if __name__ == "__main__":
    warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork with threads
    rt = acllite.init()
    with mp.get_context("fork").Pool(1) as pool:
        print("fork:", pool.map(work, [0])[0])
    with mp.get_context("spawn").Pool(1) as pool:
        print("spawn:", pool.map(work, [0])[0])
    rt.close()
""")
    out = run_python_ok("import runpy, sys; sys.argv = [%r]; runpy.run_path(%r, run_name='__main__')" % (
        str(script), str(script)), timeout=180)
    assert out.splitlines() == ["fork: error 200006", "spawn: ok 3.0"], out
