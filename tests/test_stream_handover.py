"""Operator tasks that the thread synchronizing their stream runs itself (csrc/emu/stream.c, run_here).

A thread that waits without a limit for a stream whose worker has not started the next operator runs it on its
own thread: the launch still returns at once, the tasks still run one at a time in order, a failure still comes
back at the synchronize, and an operator nobody waits for still runs on the worker.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, List, Tuple

import numpy as np

from acllite import pyacl
from acllite.emulator import ops as op_engine
from conftest import requires_emulator
from singleop_helpers import Device, load, op_json, tensor_json

pytestmark = requires_emulator
N = 64
H2D, D2H = 1, 2


def _relu(dev: Device) -> Tuple[Callable[[], int], int, int]:
    """Relu of float32[N] between two device buffers: (launch, input pointer, output pointer)."""
    load(pyacl, op_json("Relu", [tensor_json(np.float32, [N])], [tensor_json(np.float32, [N])]))
    d_in, d_out = dev.desc(np.float32, [N]), dev.desc(np.float32, [N])
    p_in, b_in = dev.buffer(4 * N)
    p_out, b_out = dev.buffer(4 * N)

    def launch() -> int:
        return int(pyacl.op.execute_v2("Relu", [d_in], [b_in], [d_out], [b_out], 0, dev.stream))

    return launch, p_in, p_out


def _record_threads(launch: Callable[[], int], dev: Device) -> List[int]:
    """Run once (the engine then keeps the run of these buffers), then wrap that run to record its threads."""
    assert launch() == 0 and dev.sync() == 0
    threads: List[int] = []
    wrapped = 0
    for op in op_engine._ops.values():
        for key, (run, binding) in list(op.ready.items()):
            def record(b: Any, run: Any = run) -> Any:
                threads.append(threading.get_ident())
                return run(b)
            op.ready[key] = (record, binding)
            wrapped += 1
    assert wrapped == 1
    return threads


def test_operators_and_copies_keep_their_order_whoever_runs_them(acl: Any) -> None:
    dev = Device(pyacl)
    try:
        launch, p_in, p_out = _relu(dev)
        rng = np.random.default_rng(3)
        xs = [rng.standard_normal(N).astype(np.float32) for _ in range(20)]
        outs = [np.full(N, np.nan, np.float32) for _ in xs]
        for k, (x, y) in enumerate(zip(xs, outs)):
            # copy in, Relu, copy out: the copies are the worker's, the Relu may be the synchronizing thread's
            assert pyacl.rt.memcpy_async(p_in, x.nbytes, pyacl.util.numpy_to_ptr(x), x.nbytes, H2D,
                                         dev.stream) == 0
            assert launch() == 0
            assert pyacl.rt.memcpy_async(pyacl.util.numpy_to_ptr(y), y.nbytes, p_out, y.nbytes, D2H,
                                         dev.stream) == 0
            if k % 3 == 2:  # sometimes a synchronize in between, sometimes several rounds queued
                assert dev.sync() == 0
        assert dev.sync() == 0
        for x, y in zip(xs, outs):
            np.testing.assert_array_equal(y, np.maximum(x, 0))
    finally:
        dev.close()


def test_an_operator_nobody_waits_for_runs_on_the_worker(acl: Any) -> None:
    dev = Device(pyacl)
    try:
        launch, p_in, p_out = _relu(dev)
        threads = _record_threads(launch, dev)
        x = np.linspace(-3, 3, N, dtype=np.float32)
        assert pyacl.rt.memcpy(p_in, x.nbytes, pyacl.util.numpy_to_ptr(x), x.nbytes, H2D) == 0
        assert launch() == 0
        deadline = time.monotonic() + 10
        while True:  # no synchronize: the stream's own thread must run it
            status, rc = pyacl.rt.stream_query(dev.stream)
            assert rc == 0
            if status == 0 or time.monotonic() > deadline:  # ACL_STREAM_STATUS_COMPLETE
                break
            time.sleep(0.001)
        assert status == 0, "the operator never ran"
        assert threads and threads[-1] != threading.get_ident()
        np.testing.assert_array_equal(dev.read(p_out, np.float32, [N]), np.maximum(x, 0))
        assert dev.sync() == 0
    finally:
        dev.close()


def test_the_synchronizing_thread_runs_the_operator_it_waits_for(acl: Any) -> None:
    dev = Device(pyacl)
    try:
        launch, _, _ = _relu(dev)
        threads = _record_threads(launch, dev)
        me = threading.get_ident()
        for _ in range(50):
            assert launch() == 0
            assert dev.sync() == 0
        assert len(threads) == 50
        # The worker leaves an operator to a thread that synchronizes right after queueing it; a thread preempted
        # in between loses a few to the worker, not all of them.
        assert threads.count(me) > 0
    finally:
        dev.close()


def test_a_synchronize_with_a_time_limit_leaves_the_operator_to_the_worker(acl: Any) -> None:
    dev = Device(pyacl)
    try:
        launch, _, _ = _relu(dev)
        threads = _record_threads(launch, dev)
        for _ in range(20):
            assert launch() == 0
            assert pyacl.rt.synchronize_stream_with_timeout(dev.stream, 10000) == 0
        assert len(threads) == 20 and threading.get_ident() not in threads
    finally:
        dev.close()


def test_a_failure_comes_back_at_the_synchronize_once_and_leaves_the_next_run_clean(acl: Any) -> None:
    """Reshape's target is read from a device buffer when the task runs: a wrong one fails there."""
    load(pyacl, op_json("Reshape", [tensor_json(np.float32, [6]), tensor_json(np.int32, [2])],
                        [tensor_json(np.float32, [2, 3])]))
    dev = Device(pyacl)
    try:
        d = [dev.desc(np.float32, [6]), dev.desc(np.int32, [2]), dev.desc(np.float32, [2, 3])]
        x = np.arange(6, dtype=np.float32)
        bufs = [dev.buffer(24, x)[1], dev.buffer(8, np.array([4, 4], np.int32))[1]]
        good_shape = dev.buffer(8, np.array([2, 3], np.int32))[1]
        p_out, out = dev.buffer(24)
        for _ in range(3):
            assert pyacl.op.execute_v2("Reshape", d[:2], bufs, d[2:], [out], 0, dev.stream) == 0
            assert dev.sync() == 500002
            assert (pyacl.get_recent_err_msg() or "").startswith("aclopExecuteV2: Reshape: onnxruntime failed")
            assert pyacl.op.execute_v2("Reshape", d[:2], [bufs[0], good_shape], d[2:], [out], 0, dev.stream) == 0
            assert dev.sync() == 0
            np.testing.assert_array_equal(dev.read(p_out, np.float32, [2, 3]), x.reshape(2, 3))
    finally:
        dev.close()
