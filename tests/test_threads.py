"""Threads: several threads x many iterations mixing model execution, copies and DVPP across streams and contexts.

Every result is checked exactly against a reference computed once up front (the model's arithmetic is exact in
float32, DVPP is deterministic), every thread is joined with a deadline (a hang fails the test and dumps every
thread's stack; a watchdog ends the process if even that is stuck), and nothing may be left alive afterwards.
Kept small for CI (2 cores): the figures below give a few hundred operations per test.
"""

from __future__ import annotations

import faulthandler
import io
import random
import sys
import threading
import time
from typing import Callable, Dict, Iterator, List

import numpy as np
import pytest

from conftest import ZERO_COUNTS, is_initialized, requires_emulator, run_python_ok

import acllite
from acllite.binding import ffi, lib
from acllite.dvpp import ImageProcessor

pytestmark = requires_emulator

THREADS = 4
ITERATIONS = 25
DEADLINE = 120.0  # seconds for all threads of a test


@pytest.fixture
def device() -> Iterator[acllite.Device]:
    if is_initialized():
        lib.aclFinalize()
        pytest.fail("a previous test left AscendCL initialized")
    rt = acllite.init()
    d = acllite.Device(0)
    yield d
    d.close()
    assert acllite.emulator_leak_report() == ZERO_COUNTS, "the last Device.close() released leftovers"
    rt.close()
    assert acllite.emulator_leak_report() == ZERO_COUNTS
    assert acllite.emulator_live_counts() == ZERO_COUNTS


def run_threads(workers: List[Callable[[], None]], deadline: float = DEADLINE) -> None:
    """Run each worker in its own thread; all must finish, without an exception, before the deadline."""
    errors: List[BaseException] = []

    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001  (reported below)
                errors.append(exc)
        return run

    faulthandler.dump_traceback_later(deadline + 60, exit=True)  # the last resort: never hang CI
    try:
        threads = [threading.Thread(target=wrap(fn), name="worker-%d" % i, daemon=True) for i, fn in enumerate(workers)]
        end = time.monotonic() + deadline
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            pytest.fail("deadlock or hang: %s still running after %.0f s" % (stuck, deadline))
    finally:
        faulthandler.cancel_dump_traceback_later()
    if errors:
        raise errors[0]


def scale_model() -> bytes:
    """y = x * 3 + 1 on float32 [2, 8] (exact in float32 for the small integers used)."""
    from onnx import TensorProto, helper, numpy_helper

    g = helper.make_graph([helper.make_node("Mul", ["x", "three"], ["t"]), helper.make_node("Add", ["t", "one"], ["y"])],
                          "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])],
                          [numpy_helper.from_array(np.float32([3]), "three"),
                           numpy_helper.from_array(np.float32([1]), "one")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def sample_jpegs() -> List[bytes]:
    from PIL import Image as PilImage

    out = []
    for k, (w, h) in enumerate([(96, 64), (130, 90), (64, 64)]):
        yy, xx = np.mgrid[0:h, 0:w]
        rgb = np.stack([(xx * 3 + k * 40) % 256, (yy * 5) % 256, (xx + yy) % 256], -1).astype(np.uint8)
        b = io.BytesIO()
        PilImage.fromarray(rgb).save(b, "JPEG", quality=85)
        out.append(b.getvalue())
    return out


def dvpp_reference(device: acllite.Device, jpegs: List[bytes]) -> List[np.ndarray]:
    with ImageProcessor(device) as ip:
        refs = []
        for data in jpegs:
            with ip.decode_jpeg(data) as dec, ip.resize(dec, 48, 32) as small:
                refs.append(small.to_numpy())
        return refs


def test_mixed_work_in_threads_with_their_own_contexts_and_streams(device: acllite.Device) -> None:
    model = acllite.Model(scale_model(), device)
    jpegs = sample_jpegs()
    refs = dvpp_reference(device, jpegs)
    counts: Dict[str, int] = {"copies": 0, "executions": 0, "dvpp": 0}
    lock = threading.Lock()

    def worker(seed: int) -> Callable[[], None]:
        def run() -> None:
            rng = random.Random(seed)
            ctx = device.create_context()  # this thread's own context, current from here on
            stream = ctx.create_stream()
            executor = model.executor()
            ip = ImageProcessor(device, stream)
            host = device.alloc_host(4096)
            buf = device.alloc(4096)
            try:
                for it in range(ITERATIONS):
                    ctx.make_current()
                    # copies: host -> device -> host on this thread's stream, exact
                    n = rng.randrange(1, 4096)
                    data = np.frombuffer(rng.randbytes(n), np.uint8)
                    host.numpy()[:n] = data
                    buf.copy_from(host.numpy()[:n], stream=stream)
                    back = np.zeros(n, np.uint8)
                    buf.copy_to(back, stream=stream)
                    stream.synchronize()
                    assert np.array_equal(back, data), "copy %d of thread %d" % (it, seed)
                    # a model execution on the same stream
                    x = np.float32(rng.sample(range(-1000, 1000), 16)).reshape(2, 8)
                    (y,) = executor.execute_async([x], stream).wait()
                    assert np.array_equal(y, x * 3 + 1), "execution %d of thread %d" % (it, seed)
                    # DVPP: decode + resize on the same stream
                    k = rng.randrange(len(jpegs))
                    dec = ip.decode_jpeg(jpegs[k])
                    small = ip.resize(dec, 48, 32)
                    stream.synchronize()
                    got = small.to_numpy()
                    small.close()
                    dec.close()
                    assert np.array_equal(got, refs[k]), "DVPP %d of thread %d" % (it, seed)
                    with lock:
                        counts["copies"] += 1
                        counts["executions"] += 1
                        counts["dvpp"] += 1
            finally:
                for obj in (buf, host, ip, executor, stream, ctx):
                    obj.close()
        return run

    run_threads([worker(s) for s in range(THREADS)])
    assert counts == {"copies": THREADS * ITERATIONS, "executions": THREADS * ITERATIONS, "dvpp": THREADS * ITERATIONS}
    model.close()


def test_threads_sharing_one_stream_and_one_model(device: acllite.Device) -> None:
    """Several threads queue work on one stream and run one model through Model.execute (serialized)."""
    model = acllite.Model(scale_model(), device)
    stream = device.create_stream()

    def worker(seed: int) -> Callable[[], None]:
        def run() -> None:
            rng = random.Random(seed)
            device.make_current()
            buf = device.alloc(1024)
            try:
                for it in range(ITERATIONS):
                    data = np.frombuffer(rng.randbytes(1024), np.uint8)
                    buf.copy_from(data, stream=stream)
                    back = np.zeros(1024, np.uint8)
                    buf.copy_to(back, stream=stream)
                    stream.synchronize()  # waits for the other threads' work too
                    assert np.array_equal(back, data), "thread %d, iteration %d" % (seed, it)
                    x = np.float32([rng.randrange(-500, 500) for _ in range(16)]).reshape(2, 8)
                    (y,) = model.execute([x])
                    assert np.array_equal(y, x * 3 + 1)
            finally:
                buf.close()
        return run

    run_threads([worker(s) for s in range(THREADS)])
    stream.close()
    model.close()


def test_handles_created_and_destroyed_while_others_use_the_runtime(device: acllite.Device) -> None:
    """Churn (streams, events, buffers, data buffers created and destroyed) next to threads copying: no crash,
    no stray error, and a bogus handle is refused (not dereferenced) while handles come and go."""
    def churn() -> None:
        device.make_current()
        cells = (ffi.new("aclrtStream *"), ffi.new("aclrtEvent *"), ffi.new("void **"))
        for i in range(ITERATIONS * 8):
            assert lib.aclrtCreateStream(cells[0]) == 0
            assert lib.aclrtCreateEvent(cells[1]) == 0
            assert lib.aclrtRecordEvent(cells[1][0], cells[0][0]) == 0
            assert lib.aclrtMalloc(cells[2], 512 + i, 0) == 0
            db = lib.aclCreateDataBuffer(cells[2][0], 512 + i)
            assert db != ffi.NULL
            assert lib.aclDestroyDataBuffer(db) == 0
            assert lib.aclrtFree(cells[2][0]) == 0
            assert lib.aclrtDestroyEvent(cells[1][0]) == 0
            assert lib.aclrtDestroyStream(cells[0][0]) == 0

    def user(seed: int) -> Callable[[], None]:
        def run() -> None:
            device.make_current()
            stream = device.create_stream()
            buf = device.alloc(2048)
            try:
                rng = random.Random(seed)
                for _ in range(ITERATIONS * 2):
                    data = np.frombuffer(rng.randbytes(2048), np.uint8)
                    buf.copy_from(data, stream=stream)
                    stream.synchronize()
                    assert np.array_equal(buf.to_numpy(), data)
                    # A handle that was never a stream is refused, not dereferenced. (A destroyed handle may come
                    # back as a new stream at the same address, as on CANN: handles are addresses.)
                    assert lib.aclrtSynchronizeStream(ffi.cast("void *", 0x1234)) == lib.ACL_ERROR_RT_INVALID_HANDLE
            finally:
                buf.close()
                stream.close()
        return run

    before = acllite.emulator_live_counts()
    run_threads([churn, churn] + [user(s) for s in range(THREADS - 2)])
    assert acllite.emulator_live_counts() == before


def test_one_executor_per_thread_runs_concurrently(device: acllite.Device) -> None:
    """The documented way to run one model from several threads: an executor each, outputs into caller arrays."""
    model = acllite.Model(scale_model(), device)

    def worker(seed: int) -> Callable[[], None]:
        def run() -> None:
            rng = np.random.default_rng(seed)
            device.make_current()  # a new thread has no context (see the bad-input matrix)
            with model.executor() as ex:
                out = np.empty((2, 8), np.float32)
                for _ in range(ITERATIONS * 2):
                    x = rng.integers(-1000, 1000, (2, 8)).astype(np.float32)
                    ex.execute([x], out=[out])
                    assert np.array_equal(out, x * 3 + 1)
        return run

    run_threads([worker(s) for s in range(THREADS)])
    model.close()


def test_threads_on_two_devices() -> None:
    """Two emulated devices, a thread on each (and one switching between them): copies stay on their device."""
    out = run_python_ok("""
    import threading, numpy as np, acllite
    errors = []
    with acllite.init():
        devs = [acllite.Device(0), acllite.Device(1)]
        def work(ids):
            try:
                rng = np.random.default_rng(sum(ids))
                bufs = {}
                for i in ids:
                    devs[i].make_current()
                    bufs[i] = devs[i].alloc(4096)
                for it in range(40):
                    for i in ids:
                        data = rng.integers(0, 256, 4096, dtype=np.uint8)
                        devs[i].make_current()
                        bufs[i].copy_from(data)
                        assert np.array_equal(bufs[i].to_numpy(), data)
                for b in bufs.values():
                    b.close()
            except BaseException as exc:
                errors.append(exc)
        ts = [threading.Thread(target=work, args=(ids,)) for ids in ([0], [1], [0, 1], [1, 0])]
        for t in ts: t.start()
        for t in ts: t.join(120)
        assert not any(t.is_alive() for t in ts), "hang"
        assert not errors, errors
        for d in devs: d.close()
        assert acllite.emulator_leak_report()["deviceAllocations"] == 0
    print("ok")
    """, {"ACLLITE_EMU_DEVICES": "2"}, timeout=180)
    assert out.strip() == "ok"
