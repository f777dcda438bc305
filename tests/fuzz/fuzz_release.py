"""Fuzz target: the order in which acllite's objects are made, used, closed, dropped and collected.

Each input is a little program over a pool of objects (devices, contexts, streams, events, device, pinned host
and DVPP buffers with views, models and executors, image processors, decoded images): make one (on a device or
in a context), close one, drop one, tie several into a reference cycle and drop it, collect on the main thread,
collect inside a JPEG decode callback (on the stream's worker thread) or inside a model execution (a callback on
the calling thread), run the next operation on another thread, use one (a method call), reset the device by
closing its last Device, finalize and initialize again.

Checks: no crash, no hang; a method of a closed object raises ValueError (or AclNotInitializedError after
aclFinalize), closing with live views BufferError, and nothing else is raised; no release runs twice or fails
(acllite logs "failed with" for a release the C side refuses, and the emulator logs the refusal); no release
runs on an emulator worker thread or inside a callback (the live counts seen inside the callbacks do not move
while the collection there runs); and once the program's objects are dropped, collected and the queued releases
drained, the last device reset and aclFinalize find nothing alive (empty leak reports).
"""

from __future__ import annotations

import gc
import io
import logging
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

NAME = "release"
MAX_LEN = 64

with H.instrumented():
    import numpy as np

    import acllite
    from acllite import _lifecycle
    from acllite.binding import ffi, lib
    from acllite.dvpp import ImageProcessor
    from acllite.emulator import codec
    from acllite.emulator import models as engine_models

_jpeg = b""
_model = b""
_failures: List[str] = []
_callback_moves: List[str] = []
_inside = threading.local()  # .where: the callback this thread is collecting in
_busy = [0]  # threads collecting inside a callback now (a gc.collect() elsewhere then returns at once)
_busy_lock = threading.Lock()
_state: Dict[str, bool] = {"collect": False}
_log_cb: Any = None
_emu_errors: List[str] = []


class _Failures(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "failed with" in text or "deferred release" in text:
            _failures.append(text)


def _emu_log(level: int, message: Any) -> None:
    text = ffi.string(message).decode(errors="replace")
    if "released resources the program had not" in text:
        return  # a leak report: the program may reset or finalize with objects alive (end() checks the last ones)
    if level >= lib.ACLLITE_EMU_LOG_WARNING and ("Destroy" in text or "Free" in text or "Reset" in text or
                                                 "own" in text or "callback" in text):
        _emu_errors.append(text)


def _collecting(where: str) -> None:
    """A collection inside a callback: nothing may be released here. (No AscendCL call either: a callback must
    not make one, and aclFinalize on another thread may be waiting for this very callback.)"""
    if not _state["collect"]:
        return
    _inside.where = where
    with _busy_lock:
        _busy[0] += 1
    try:
        gc.collect()
    finally:
        _inside.where = ""
        with _busy_lock:
            _busy[0] -= 1


def _watch_releases() -> None:
    """Every release that runs is checked: never inside a callback, never on a thread the runtime owns."""
    real_run = _lifecycle.Resource._run

    def run(self: Any) -> None:
        if getattr(_inside, "where", ""):
            _callback_moves.append("%s released inside %s" % (self.name, _inside.where))
        if _lifecycle._foreign_thread():
            _callback_moves.append("%s released on a thread the runtime owns" % self.name)
        real_run(self)

    _lifecycle.Resource._run = run  # type: ignore[assignment]


def setup() -> None:
    global _jpeg, _model, _log_cb
    from onnx import TensorProto, helper, numpy_helper
    from PIL import Image as PILImage

    b = io.BytesIO()
    PILImage.fromarray((np.add.outer(np.arange(32), np.arange(48)) % 256).astype(np.uint8)).convert("RGB").save(
        b, "JPEG")
    _jpeg = b.getvalue()
    g = helper.make_graph([helper.make_node("Mul", ["x", "k"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
                          [numpy_helper.from_array(np.float32([3]), "k")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    _model = m.SerializeToString()
    logging.getLogger("acllite").addHandler(_Failures())
    _log_cb = ffi.callback("void(int32_t, const char *)", _emu_log)
    lib.acllite_emu_set_log_handler(_log_cb)
    real_open = codec._open

    def open_and_collect(data: Any, size: int) -> Any:
        _collecting("JPEG decode callback on thread %d" % threading.get_ident())
        return real_open(data, size)

    codec._open = open_and_collect
    _watch_releases()
    H_ZERO.update({k: 0 for k in acllite.emulator_leak_report()})
    # Warm up (onnxruntime, Pillow, the emulator's services), then freeze what exists: collections then scan only
    # what the programs make, milliseconds cheaper each.
    with acllite.init(), acllite.Device(0) as d, acllite.Model(_model, d) as model, ImageProcessor(d) as ip:
        model.execute([np.ones((2, 4), np.float32)])
        ip.decode_jpeg(_jpeg).close()
    gc.collect()
    gc.freeze()


class _CollectingSession:
    """An engine session that collects inside the execution callback."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def run_with_iobinding(self, binding: Any) -> Any:
        _collecting("model execution callback")
        return self.real.run_with_iobinding(binding)


ALLOWED = (ValueError, TypeError, BufferError, acllite.AclNotInitializedError)


class Program:
    def __init__(self, data: bytes) -> None:
        self.p = H.Provider(data)
        self.rt: Optional[Any] = None
        self.pool: List[Any] = []
        self.threaded = False

    def pick(self) -> Optional[Any]:
        return self.pool[self.p.take(1) % len(self.pool)] if self.pool else None

    def of(self, kind: type) -> Optional[Any]:
        found = [o for o in self.pool if isinstance(o, kind)]
        return found[self.p.take(1) % len(found)] if found else None

    def device(self) -> Any:
        d = self.of(acllite.Device)
        if d is None or d.closed:
            d = acllite.Device(0)
            self.pool.append(d)
        return d

    # -- operations -------------------------------------------------------------------------------------------
    def make(self) -> None:
        what = self.p.take(1) % 11
        d = self.device()
        owner = self.of(acllite.Context) if self.p.take(1) % 3 == 0 else None
        owner = owner if owner is not None and not owner.closed else d
        if what == 0:
            obj: Any = d.create_context()
        elif what == 1:
            obj = owner.create_stream()
        elif what == 2:
            obj = owner.create_event()
        elif what == 3:
            obj = d.alloc(1 + self.p.take(2) % 4096)
        elif what == 4:
            h = d.alloc_host(64)
            obj = h
            if self.p.take(1) % 2:
                self.pool.append(h.numpy() if self.p.take(1) % 2 else h.memoryview())
        elif what == 5:
            obj = acllite.DvppBuffer(1 + self.p.take(2) % 4096, d)
        elif what == 6:
            obj = acllite.Model(_model, d)
            for em in engine_models.models.values():
                if em.session is not None and not isinstance(em.session, _CollectingSession):
                    em.session = _CollectingSession(em.session)
        elif what == 7:
            m = self.of(acllite.Model)
            obj = m.executor() if m is not None and not m.closed else d.create_stream()
        elif what == 8:
            s = self.of(acllite.Stream)
            obj = ImageProcessor(d, s if s is not None and not s.closed else None)
        elif what == 9:
            ip = self.of(ImageProcessor)
            s = self.of(acllite.Stream)
            if ip is None or ip.closed:
                ip = ImageProcessor(d)
                self.pool.append(ip)
            obj = ip.decode_jpeg(_jpeg, stream=s if s is not None and not s.closed and self.p.take(1) % 2 else None)
        else:
            obj = d.create_stream()
        self.pool.append(obj)

    def use(self) -> None:
        obj = self.pick()
        x = np.ones((2, 4), np.float32)
        if isinstance(obj, acllite.Stream):
            obj.synchronize()
        elif isinstance(obj, acllite.Event):
            obj.record()
            obj.synchronize()
        elif isinstance(obj, (acllite.DeviceBuffer, acllite.DvppBuffer)) or type(obj) is acllite.HostBuffer:
            obj.copy_from(np.zeros(min(obj.nbytes, 64), np.uint8))
        elif isinstance(obj, acllite.Model):
            (y,) = obj.execute([x])
            H.check(np.array_equal(y, x * 3), "a model gave a wrong answer")
            if self.p.take(1) % 2:
                s = self.of(acllite.Stream)
                if s is not None and not s.closed:
                    self.pool.append(obj.execute_async([x], s))
        elif isinstance(obj, acllite.Executor):
            (y,) = obj.execute([x])
            H.check(np.array_equal(y, x * 3), "an executor gave a wrong answer")
        elif isinstance(obj, ImageProcessor):
            obj.decode_jpeg(_jpeg).close()
        elif isinstance(obj, acllite.Image):
            obj.to_numpy()
        elif isinstance(obj, acllite.Context):
            obj.make_current()
        elif isinstance(obj, acllite.Device):
            obj.synchronize()

    def step(self) -> None:
        op = self.p.take(1) % 12
        if op <= 2:
            self.make()
        elif op == 3:
            obj = self.pick()
            if obj is not None and hasattr(obj, "close"):
                obj.close()
        elif op == 4 and self.pool:
            self.pool.pop(self.p.take(1) % len(self.pool))
        elif op == 5 and self.pool:
            n = 1 + self.p.take(1) % min(4, len(self.pool))
            cycle: List[Any] = [self.pool.pop(self.p.take(1) % len(self.pool)) for _ in range(min(n, len(self.pool)))]
            cycle.append(cycle)
            for o in cycle[:-1]:
                try:
                    o.cycle = cycle
                except AttributeError:
                    pass
        elif op == 6:
            gc.collect()
        elif op == 7:
            _state["collect"] = self.p.take(1) % 2 == 0
        elif op == 8:
            self.use()
        elif op == 9:
            self.threaded = True
        elif op == 10:
            d = self.of(acllite.Device)
            if d is not None:
                d.close()
        elif op == 11 and self.p.take(1) % 3 == 0:
            self.rt.close()  # type: ignore[union-attr]
            self.rt = acllite.init()

    def run(self) -> None:
        self.rt = acllite.init()
        _state["collect"] = self.p.take(1) % 2 == 0
        steps = 0
        while self.p.left() and steps < 24:
            steps += 1
            try:
                if self.threaded:
                    self.threaded = False
                    box: Dict[str, Any] = {}

                    def other(box: Dict[str, Any] = box) -> None:
                        try:
                            self.step()
                        except BaseException as exc:  # noqa: BLE001  (handed back)
                            box["e"] = exc

                    t = threading.Thread(target=other)
                    t.start()
                    t.join(60)
                    H.check(not t.is_alive(), "an operation on another thread hangs")
                    if "e" in box:
                        raise box["e"]
                else:
                    self.step()
            except ALLOWED:
                pass
            except acllite.AclError as exc:
                # calls on objects of another thread's context, or a device reset under another object's feet
                H.check(exc.code in (107002, 107017, 107000, 100000, 507007) or "context" in str(exc),
                        "unexpected %r", exc)

    def end(self) -> None:
        _state["collect"] = False
        self.pool.clear()
        # CPython runs one collection at a time: while a callback's is under way, gc.collect() does nothing
        for _ in range(6000):
            if not _busy[0]:
                break
            threading.Event().wait(0.01)
        gc.collect()
        _lifecycle.drain()
        H.check(_lifecycle.pending_releases() == 0, "releases still queued after a drain")
        if acllite.is_initialized():
            if lib.aclrtSetDevice(0) == 0:
                lib.aclrtResetDevice(0)  # a last reset with nothing of the program's left
                H.check(acllite.emulator_leak_report() == H_ZERO, "the last device reset found %s",
                        acllite.emulator_leak_report())
            self.rt.close()  # type: ignore[union-attr]
            H.check(acllite.emulator_leak_report() == H_ZERO, "aclFinalize found %s", acllite.emulator_leak_report())
        H.check(not acllite.is_initialized(), "still initialized")


H_ZERO: Dict[str, int] = {}


def one_input(data: bytes) -> None:
    del _failures[:], _callback_moves[:], _emu_errors[:]
    prog = Program(data)
    gc.disable()  # collections happen where the program says (and in the callbacks)
    try:
        prog.run()
    finally:
        gc.enable()
        prog.end()
    H.check(not _callback_moves, "a release ran inside a callback: %s", _callback_moves)
    H.check(not _failures, "a release failed or ran twice: %s", _failures)
    H.check(not _emu_errors, "the emulator refused a release: %s", _emu_errors)


def make_seeds() -> Dict[str, bytes]:
    return {
        "make_use_close.bin": bytes([0, 1, 0, 0, 1, 3, 8, 0, 3, 0, 6]),
        "decode_cycle_worker_gc.bin": bytes([7, 0, 0, 10, 0, 1, 0, 8, 0, 9, 1, 0, 5, 3, 0, 6]),
        "context_children.bin": bytes([0, 0, 0, 1, 0, 1, 1, 0, 0, 2, 1, 3, 1, 8, 2]),
        "reset_with_children.bin": bytes([0, 3, 0, 0, 4, 1, 1, 10, 0, 8, 1, 3, 2]),
        "model_cycle_gc_in_execute.bin": bytes([7, 0, 0, 6, 0, 0, 6, 0, 5, 1, 0, 8, 1]),
        "threads.bin": bytes([9, 0, 1, 0, 9, 3, 0, 9, 6, 11, 0]),
    }


if __name__ == "__main__":
    H.main(sys.modules[__name__])
