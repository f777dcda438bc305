"""Reliability, round two, the Python layers (issue 13): one regression test per item, named for it, each
reproducing the defect first, then the class around it (docs/RELIABILITY.md, "Round two: the Python layers").
"""

from __future__ import annotations

import ast
import gc
import inspect
import io
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import numpy as np
import pytest

from conftest import (ROOT, onnx_of, ZERO_COUNTS, ReportThread, is_initialized, leak_report, live_counts, recent_message,
                      requires_emulator, run_python)

import acllite
from acllite import _lifecycle
from acllite.binding import ffi, lib
from acllite.dvpp import ImageProcessor
from acllite.image import Image, PixelFormat

pytestmark = requires_emulator

_F = PixelFormat


@pytest.fixture
def clean() -> Iterator[None]:
    if is_initialized():
        lib.aclFinalize()
        pytest.fail("a previous test left AscendCL initialized")
    yield
    gc.enable()
    _lifecycle.drain()
    if acllite.is_initialized():
        acllite.finalize()
    assert not is_initialized()


def jpeg(w: int = 96, h: int = 64) -> bytes:
    from PIL import Image as PILImage

    b = io.BytesIO()
    PILImage.fromarray((np.add.outer(np.arange(h), np.arange(w)) % 256).astype(np.uint8)).convert("RGB").save(b, "JPEG")
    return b.getvalue()


def scale_model(batch: Any = 2) -> bytes:
    """y = x * 3 on float32 [batch, 8]."""
    from onnx import TensorProto, helper, numpy_helper

    g = helper.make_graph([helper.make_node("Mul", ["x", "three"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 8])],
                          [numpy_helper.from_array(np.float32([3]), "three")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def msg() -> str:
    return recent_message() or ""


# ============================================================================ item 2: releases off worker threads


def _wait_for(cond: Callable[[], bool], what: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out waiting for %s" % what
        time.sleep(0.005)


def test_item2_gc_in_a_decode_callback_on_the_stream_worker_defers_every_release(clean: None, monkeypatch: Any,
                                                                                 emu_log: Any) -> None:
    """A Stream and an ImageProcessor dropped in a reference cycle while a JPEG decode is queued on that stream:
    the collector runs inside the Pillow decode callback, on that stream's worker thread. No release may run
    there (aclrtDestroyStream would join the thread it runs on); all of them run later, and nothing leaks."""
    from acllite.emulator import codec

    rt, d = acllite.init(), acllite.Device(0)
    baseline = live_counts()
    seen: Dict[str, Any] = {}
    dropped = threading.Event()
    real_open = codec._open

    def open_then_collect(data: Any, size: int) -> Any:
        if not seen:
            seen["thread"] = threading.get_ident()
            dropped.wait(30)  # the main thread has dropped every reference: the cycle is garbage
            seen["before"] = live_counts()
            seen["collected"] = gc.collect()
            seen["after"] = live_counts()
            seen["pending"] = _lifecycle.pending_releases()
        return real_open(data, size)

    monkeypatch.setattr(codec, "_open", open_then_collect)
    gc.disable()  # only the collection inside the callback may collect the cycle
    try:
        s = d.create_stream()
        ip = ImageProcessor(d, s)
        out = ip.decode_jpeg(jpeg(), stream=s)  # queued on s's worker
        cycle: List[Any] = [s, ip, out]
        cycle.append(cycle)
        s.cycle = cycle  # type: ignore[attr-defined]
        del s, ip, out, cycle
        dropped.set()
        _wait_for(lambda: "pending" in seen, "the decode callback")
    finally:
        gc.enable()
    assert seen["thread"] != threading.get_ident() and seen["collected"] > 0
    assert seen["after"] == seen["before"], "a release ran on the stream's worker: %s -> %s" % (seen["before"],
                                                                                            seen["after"])
    assert seen["pending"] >= 4  # two streams, the channel, the buffers and descriptions
    _lifecycle.drain()  # the next call from a normal thread: the stream first (its decode runs to the end)
    assert _lifecycle.pending_releases() == 0
    assert live_counts() == baseline
    assert not [m for m in emu_log.warnings() if "aclrtDestroyStream" in m or "own" in m], emu_log.warnings()
    d.close()
    rt.close()
    assert leak_report() == ZERO_COUNTS


def test_item2_gc_in_a_host_callback_defers_releases_until_it_returns(clean: None) -> None:
    """A host callback (aclrtLaunchCallback) that triggers a collection: inside ``callback_scope()`` (what every
    callback acllite registers enters, and what a program's own host callbacks enter too) nothing is released;
    the queued releases run once a normal thread makes its next call."""
    rt, d = acllite.init(), acllite.Device(0)
    s = d.create_stream()
    victim = d.create_stream()
    buf = d.alloc(4096)
    baseline = live_counts()
    seen: Dict[str, Any] = {}

    def host_callback(_data: Any) -> None:
        with acllite.runtime.callback_scope():
            seen["before"] = live_counts()
            gc.collect()
            seen["after"] = live_counts()
            seen["pending"] = _lifecycle.pending_releases()

    cb = ffi.callback("void(void *)", host_callback)
    reporter = ReportThread()
    assert lib.aclrtSubscribeReport(reporter.ident, s.handle) == 0, msg()
    gc.disable()
    try:
        junk: List[Any] = [victim, buf]
        junk.append(junk)
        del victim, buf, junk
        assert lib.aclrtLaunchCallback(cb, ffi.NULL, lib.ACL_CALLBACK_BLOCK, s.handle) == 0, msg()
        reporter.start_processing()
        s.synchronize()
    finally:
        gc.enable()
        reporter.stop()
        assert lib.aclrtUnSubscribeReport(reporter.ident, s.handle) == 0, msg()
    assert seen["after"] == seen["before"] == baseline and seen["pending"] == 2
    s.close()  # a normal thread's next call drains the queue
    assert _lifecycle.pending_releases() == 0
    assert live_counts()["streams"] == baseline["streams"] - 2 and live_counts()["deviceAllocations"] == \
        baseline["deviceAllocations"] - 1
    d.close()
    rt.close()
    assert leak_report() == ZERO_COUNTS


def test_item2_gc_inside_a_synchronous_model_callback_on_the_main_thread_is_deferred(clean: None) -> None:
    """The engine's execute callback runs on the calling (main) thread: a collection there must not release
    (an aclmdlUnload inside its own execution would wait for itself)."""
    from acllite.emulator import models as engine_models

    rt, d = acllite.init(), acllite.Device(0)
    m = acllite.Model(scale_model(), d)
    other = acllite.Model(scale_model(), d)
    (engine_model,) = [em for em in engine_models.models.values() if em.session is not None][-1:]
    seen: Dict[str, Any] = {}

    class CollectingSession:
        def __init__(self, real: Any) -> None:
            self.real = real

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def run_with_iobinding(self, binding: Any) -> Any:
            seen["models_before"] = live_counts()["models"]
            gc.collect()
            seen["models_after"] = live_counts()["models"]
            seen["pending"] = _lifecycle.pending_releases()
            return self.real.run_with_iobinding(binding)

    engine_model.session = CollectingSession(engine_model.session)
    gc.disable()
    try:
        junk: List[Any] = [m]
        junk.append(junk)
        del junk, m  # the first model, in a cycle: collected inside the second one's execution
        (y,) = other.execute([np.ones((2, 8), np.float32)])
    finally:
        gc.enable()
    assert np.array_equal(y, np.full((2, 8), 3, np.float32))
    assert seen["models_after"] == seen["models_before"] and seen["pending"] >= 1
    other.close()  # drains
    assert live_counts()["models"] == 0
    d.close()
    rt.close()
    assert leak_report() == ZERO_COUNTS


def test_item2_deferred_releases_run_streams_first_and_devices_last() -> None:
    order: List[str] = []
    made = []
    with _lifecycle.callback_scope():
        for name, priority in (("device", _lifecycle.PRIORITY_DEVICE), ("buffer", _lifecycle.PRIORITY_DEFAULT),
                               ("stream", _lifecycle.PRIORITY_STREAM), ("context", _lifecycle.PRIORITY_CONTEXT)):
            r = _lifecycle.Resource(lambda h: order.append(h), "release", name, priority=priority)
            r.release()
            assert r.released and order == []
            made.append(r)
    _lifecycle.drain()
    assert order == ["stream", "buffer", "context", "device"]


def test_item2_finalize_refuses_inside_a_callback_and_a_runtime_close_there_is_queued(clean: None) -> None:
    rt = acllite.init()
    with _lifecycle.callback_scope():
        with pytest.raises(acllite.AclStateError, match="cannot run inside a callback"):
            acllite.finalize()
        rt.close()  # what a sample's __del__ does when the collector runs it there
        assert acllite.is_initialized()
    _lifecycle.drain()
    assert not acllite.is_initialized() and not is_initialized()


# ============================================================================ item 3: plain dtypes only


NON_PLAIN = [object, np.dtype([("a", "O")]), "V8", "M8[s]", "m8[ms]", "U2", "S3", ("u1", (3,))]


@pytest.mark.parametrize("dtype", NON_PLAIN, ids=[str(d) for d in NON_PLAIN])
def test_item3_host_buffer_numpy_refuses_object_and_every_non_plain_dtype(clean: None, dtype: Any) -> None:
    with acllite.init(), acllite.Device(0) as d, d.alloc_host(64) as h, d.alloc(64) as dev:
        with pytest.raises(TypeError, match="cannot have dtype"):
            h.numpy(dtype)  # object: numpy would read the pinned bytes as PyObject pointers (SIGSEGV)
        with pytest.raises(TypeError, match="cannot have dtype"):
            dev.to_numpy(dtype)
        with pytest.raises(TypeError, match="cannot have dtype"):
            h.to_numpy(dtype)
        try:
            arr = np.empty(2, dtype)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.dtype == np.dtype(dtype):  # (a sub-array dtype makes a plain array)
            with pytest.raises(TypeError, match="cannot have dtype"):
                dev.copy_from(arr)
            with pytest.raises(TypeError, match="cannot have dtype"):
                dev.copy_to(arr)
            with pytest.raises(TypeError, match="cannot have dtype"):
                h.copy_to(arr)


def test_item3_plain_dtypes_are_allowed_and_share_memory(clean: None) -> None:
    with acllite.init(), acllite.Device(0) as d, d.alloc_host(64) as h:
        for dt in (np.bool_, np.int8, np.uint16, ">i4", np.float16, np.float64, np.complex64,
                   np.dtype([("a", "u1"), ("b", "<f4", (2,))], align=True)):
            v = h.numpy(dt)
            assert v.dtype == np.dtype(dt) and v.nbytes <= 64
            del v
        with pytest.raises(ValueError, match="negative"):
            h.numpy(np.uint8, (-1, 4))
        with pytest.raises(ValueError, match="needs more than 64 bytes"):
            h.numpy(np.uint8, (2 ** 40, 2 ** 40))  # int64 would wrap this product
        with pytest.raises(TypeError, match="memoryview of Python objects"):
            with d.alloc(16) as dev:
                dev.copy_from(memoryview(np.array([1, 2], dtype=object)))


# ============================================================================ item 4: Image trusts nothing


def test_item4_image_of_a_narrow_array_declared_rgb_is_refused_not_read_past_its_end(clean: None) -> None:
    a = np.zeros((1, 4096, 1), np.uint8)
    with pytest.raises(ValueError, match="packed"):
        Image(a, _F.RGB888, 4096, 1)  # to_numpy would have viewed 3 x 4096 bytes of a 4096-byte array


def test_item4_a_too_small_2d_array_is_refused_instead_of_resized_with_zeros(clean: None) -> None:
    a = np.full((4, 64), 7, np.uint8)  # 4 rows, an NV12 64x64 picture needs 96
    with pytest.raises(ValueError, match="too small"):
        Image(a, _F.NV12, 64, 64, 64, 64)
    with acllite.init(), acllite.Device(0) as d, ImageProcessor(d) as ip:
        with pytest.raises(ValueError, match="too small"):
            ip.resize(Image(a, _F.NV12, 64, 64, 64, 64), 32, 32)


BAD_IMAGES: List[Tuple[str, Callable[[], Any], type, str]] = [
    ("not uint8", lambda: Image(np.zeros((4, 4, 3), np.float32), _F.RGB888, 4, 4), TypeError, "uint8"),
    ("not an array", lambda: Image([1, 2, 3], "jpeg", 1, 1), TypeError, "numpy uint8 array"),
    ("unknown format", lambda: Image(np.zeros(16, np.uint8), 12345, 4, 4), ValueError, "acldvppPixelFormat"),
    ("bad format name", lambda: Image(np.zeros(16, np.uint8), "gif", 4, 4), ValueError, "format must be"),
    ("negative width", lambda: Image(np.zeros(16, np.uint8), _F.YUV400, -4, 4), ValueError, "non-negative"),
    ("bool height", lambda: Image(np.zeros(16, np.uint8), _F.YUV400, 4, True), ValueError, "non-negative"),
    ("zero size", lambda: Image(np.zeros(16, np.uint8), _F.YUV400, 0, 4), ValueError, "positive width"),
    ("stride below the row", lambda: Image(np.zeros(64, np.uint8), _F.RGB888, 4, 4, 8), ValueError,
     "width_stride 8 is less"),
    ("height stride below height", lambda: Image(np.zeros(64, np.uint8), _F.YUV400, 4, 4, 4, 2), ValueError,
     "height_stride 2"),
    ("odd NV12 width", lambda: Image(np.zeros(64, np.uint8), _F.NV12, 5, 4), ValueError, "must be even"),
    ("flat array too short", lambda: Image(np.zeros(47, np.uint8), _F.NV12, 4, 8), ValueError, "takes 48 bytes"),
    ("nbytes below the picture", lambda: Image(np.zeros(64, np.uint8), _F.YUV400, 8, 8, nbytes=10), ValueError,
     "less than the 64 bytes"),
    ("strided flat array", lambda: Image(np.zeros(128, np.uint8)[::2], _F.YUV400, 8, 8), ValueError, "C-ordered"),
    ("row stride mismatch", lambda: Image(np.zeros((8, 16), np.uint8), _F.YUV400, 8, 8, 8), ValueError,
     "does not match the array's row stride 16"),
    ("rows not packed", lambda: Image(np.zeros((8, 16), np.uint8)[:, ::2], _F.YUV400, 8, 8, 16), ValueError,
     "must be packed"),
    ("3-D semi-planar", lambda: Image(np.zeros((12, 8, 1), np.uint8), _F.NV12, 8, 8), ValueError, "2-D array"),
    ("3-D with the wrong pixel size", lambda: Image(np.zeros((4, 4, 4), np.uint8), _F.RGB888, 4, 4, 16), ValueError,
     "packed"),
    ("3-D too few columns", lambda: Image(np.zeros((4, 5, 3), np.uint8)[:, :3], _F.RGB888, 4, 4, 15), ValueError,
     "fewer than 4 columns"),
    ("negative strides", lambda: Image(np.zeros((8, 8), np.uint8)[::-1], _F.YUV400, 8, 8, 8), ValueError,
     "negative"),
    ("encoded 2-D", lambda: Image(np.zeros((2, 8), np.uint8), "jpeg", 1, 1), ValueError, "flat C-ordered"),
    ("encoded nbytes too big", lambda: Image(np.zeros(8, np.uint8), "png", 1, 1, nbytes=9), ValueError,
     "more than the 8 bytes"),
]


@pytest.mark.parametrize("what, make, error, fragment", BAD_IMAGES, ids=[b[0] for b in BAD_IMAGES])
def test_item4_image_constructor_checks_every_argument(what: str, make: Callable[[], Any], error: type,
                                                       fragment: str) -> None:
    with pytest.raises(error) as info:
        make()
    assert fragment in str(info.value), str(info.value)


def test_item4_buffer_backed_images_check_the_buffer_size(clean: None) -> None:
    with acllite.init(), acllite.Device(0) as d, d.alloc(100) as buf:
        with pytest.raises(ValueError, match="takes 192 bytes; its buffer holds 100"):
            Image(buf, _F.NV12, 8, 8, 16, 8)
        Image(buf, _F.NV12, 8, 8)  # 96 bytes: fits
        with pytest.raises(ValueError, match="more than the 100 bytes"):
            Image(buf, "jpeg", 8, 8, nbytes=101)
        with pytest.raises(TypeError, match="device or DVPP Buffer"):
            Image(d.alloc_host(64), _F.YUV400, 8, 8)


def test_item4_valid_images_and_their_views_still_work(clean: None) -> None:
    wide = (np.arange(6 * 40 * 3) % 251).astype(np.uint8).reshape(6, 40, 3)
    img = Image.from_numpy(wide[:, 5:15])  # a slice: rows 120 bytes apart
    assert img.width_stride == 120 and np.array_equal(img.to_numpy(), wide[:, 5:15])
    flat = img.copy_to("host")
    assert np.array_equal(flat.to_numpy(), wide[:, 5:15]) and flat.nbytes == 120 * 6
    nv12 = (np.arange(12 * 8) % 256).astype(np.uint8).reshape(12, 8)
    assert np.array_equal(Image(nv12, _F.NV12, 8, 8, 8, 8).to_numpy(), nv12)
    with acllite.init(), acllite.Device(0) as d:
        dev = img.copy_to("device", d)
        assert np.array_equal(dev.to_numpy(), wide[:, 5:15])
        dev.close()
        with pytest.raises(ValueError, match="Image is closed"):
            dev.to_numpy()


# ============================================================================ item 5: parents tell their children


def _recycled_streams(ctx: Any, handle: Any, tries: int = 16) -> List[Any]:
    made = [ctx.create_stream() for _ in range(tries)]
    return made


def test_item5_context_close_closes_its_streams_and_events_even_at_recycled_addresses(clean: None,
                                                                                      emu_log: Any) -> None:
    with acllite.init(), acllite.Device(0) as d:
        ctx = d.create_context()
        s1, e1 = ctx.create_stream(), ctx.create_event()
        h1 = int(ffi.cast("uintptr_t", s1.handle))
        before = live_counts()
        ctx.close()
        assert s1.closed and e1.closed
        assert live_counts()["streams"] == before["streams"] - 1 and live_counts()["events"] == before["events"] - 1
        with pytest.raises(ValueError, match=r"Stream is closed \(its Context was closed\)"):
            s1.synchronize()
        with pytest.raises(ValueError, match=r"Event is closed \(its Context was closed\)"):
            e1.query()
        ctx2 = d.create_context()
        streams = _recycled_streams(ctx2, s1.handle)
        recycled = [s for s in streams if int(ffi.cast("uintptr_t", s.handle)) == h1]
        count = live_counts()
        s1.close()  # before: aclrtDestroyStream of whatever stream now lives at that address
        e1.close()
        assert live_counts() == count
        for s in streams:
            s.synchronize()
        if recycled:  # (AddressSanitizer quarantines freed memory: no recycling there)
            assert not recycled[0].closed
        assert not [m for m in emu_log.warnings() if "DestroyStream" in m or "DestroyEvent" in m]
        ctx2.close()
        assert all(s.closed for s in streams)


def test_item5_device_reset_and_finalize_close_everything_made_on_them(clean: None) -> None:
    rt = acllite.init()
    d = acllite.Device(0)
    objs = [d.create_stream(), d.create_event(), d.alloc(64), d.alloc_host(64), d.create_context()]
    d.close()  # the last reset: the C side released all of it
    for o in objs:
        assert o.closed, o
    with pytest.raises(ValueError, match=r"Stream is closed \(the reset of device 0 released it\)"):
        objs[0].synchronize()
    with pytest.raises(ValueError, match=r"DeviceBuffer is closed \(the reset of device 0"):
        objs[2].copy_from(np.zeros(64, np.uint8))  # not a copy into whatever lives at the address now
    d2 = acllite.Device(0)
    fresh = d2.create_stream()
    before = live_counts()
    for o in objs:
        o.close()
    assert live_counts() == before and not fresh.closed
    m = acllite.Model(scale_model(), d2)
    rt.close()
    for o in (fresh, m, d2):
        assert o.closed
    with pytest.raises(acllite.AclNotInitializedError, match="aclFinalize released this Model"):
        m.execute([np.ones((2, 8), np.float32)])
    with acllite.init():
        with pytest.raises(ValueError, match=r"the model is closed \(aclFinalize released it\)"):
            m.execute([np.ones((2, 8), np.float32)])
    assert leak_report() == ZERO_COUNTS


# ============================================================================ item 6: every view counts


def test_item6_a_memoryview_is_a_live_view_and_close_refuses_while_it_lives(clean: None) -> None:
    with acllite.init(), acllite.Device(0) as d:
        h = d.alloc_host(64)
        mv = h.memoryview()
        with pytest.raises(BufferError, match="1 numpy view"):
            h.close()  # before: the close succeeded and later writes through mv landed in another buffer
        arr = np.frombuffer(mv, np.uint8)  # made from the memoryview: keeps it (and the buffer) in use
        del mv
        with pytest.raises(BufferError):
            h.close()
        del arr
        h.close()
        h2 = d.alloc_host(64)
        v = h2.numpy()[8:16].view(np.uint16)
        with pytest.raises(BufferError):
            h2.close()
        del v
        h2.close()


def test_item6_finalize_and_the_last_device_reset_refuse_while_views_of_pinned_memory_live(clean: None) -> None:
    rt = acllite.init()
    d = acllite.Device(0)
    h = d.alloc_host(64)
    v = h.numpy()
    v[:] = 5
    with pytest.raises(BufferError, match="device 0's pinned host memory"):
        d.close()
    with pytest.raises(BufferError, match="aclFinalize would release the memory"):
        rt.close()
    assert acllite.is_initialized() and not d.closed and (v == 5).all()  # still mapped, still ours
    other = acllite.Device(0)  # not the last one: closing it resets nothing
    other.close()
    del v
    d.close()
    rt.close()
    assert leak_report() == ZERO_COUNTS


def test_item6_with_block_exits_never_mask_an_exception_when_views_live(clean: None, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="acllite")
    keep = []
    with pytest.raises(KeyError):
        with acllite.init(), acllite.Device(0) as d, d.alloc_host(16) as h:
            keep.append(h.numpy())
            raise KeyError("user")
    assert any("closing" in r.getMessage() for r in caplog.records)
    keep.clear()
    gc.collect()
    _lifecycle.drain()
    acllite.finalize()


# ============================================================================ item 9: batched static AIPP


def _aipp_model(tmp: Path, batch: Any) -> Tuple[Path, Dict[str, Any]]:
    from onnx import TensorProto, helper

    from acllite.formats.aipp import parse_aipp_text
    from acllite.tools import atc

    g = helper.make_graph([helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=0)], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    (tmp / "m.onnx").write_bytes(m.SerializeToString())
    cfg = "aipp_op { aipp_mode: static input_format: YUV420SP_U8 csc_switch: true }\n"
    (tmp / "a.cfg").write_text(cfg)
    atc.convert(str(tmp / "m.onnx"), str(tmp / "aipp"), insert_op_conf=str(tmp / "a.cfg"))
    params = parse_aipp_text(cfg)[0].resolve((3, 8, 8))
    return onnx_of(tmp / "aipp.om"), params


def test_item9_a_batched_aipp_input_is_described_and_checked_as_the_whole_tensor(clean: None, tmp_path: Path) -> None:
    from acllite.formats.aipp import reference_aipp

    path, params = _aipp_model(tmp_path, 2)
    per_image = 8 * 8 * 3 // 2
    images = [(np.arange(per_image) * (k + 3) % 256).astype(np.uint8) for k in range(2)]
    with acllite.init(), acllite.Device(0) as d, acllite.Model(path, d) as m:
        assert m.inputs[0].shape == (2, 8, 8, 3) and m.inputs[0].nbytes == 2 * per_image  # N * W * H * 1.5
        (y,) = m.execute([np.concatenate(images)])
        want = np.stack([reference_aipp(params, im).mean(axis=(1, 2)) for im in images])
        assert np.allclose(y, want, rtol=1e-5, atol=1e-4)
        with pytest.raises(ValueError, match="holds 96 bytes"):
            m.execute([images[0]])  # one image: before, it passed and the model read a second one past it
        # the raw API: the emulator refuses a buffer smaller than the model reads
        one = d.alloc(per_image)
        ds_in, ds_out = lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()
        out = d.alloc(2 * 3 * 4)
        dbs = [lib.aclCreateDataBuffer(one._c(), per_image), lib.aclCreateDataBuffer(out._c(), 24)]
        lib.aclmdlAddDatasetBuffer(ds_in, dbs[0])
        lib.aclmdlAddDatasetBuffer(ds_out, dbs[1])
        rc = lib.aclmdlExecute(m.id, ds_in, ds_out)
        text = msg()
        for db in dbs:
            lib.aclDestroyDataBuffer(db)
        lib.aclmdlDestroyDataset(ds_in)
        lib.aclmdlDestroyDataset(ds_out)
        one.close()
        out.close()
        assert rc == lib.ACL_ERROR_MODEL_INPUT_NOT_MATCH and text.startswith("aclmdlExecute: "), (rc, text)


def test_item9_the_engine_never_reads_more_than_an_input_buffer_holds(clean: None, tmp_path: Path) -> None:
    """A model written by the old atc (one image's size with a batch of 2): the C check passes a one-image
    buffer; the engine refuses it instead of reading past it."""
    import onnx

    path, _ = _aipp_model(tmp_path, 2)
    proto = onnx.load(str(path))
    for p in proto.metadata_props:
        if p.key.startswith("acllite.aipp."):
            record = json.loads(p.value)
            record["described_size"] = 96
            p.value = json.dumps(record)
    data = proto.SerializeToString()
    with acllite.init(), acllite.Device(0) as d, acllite.Model(data, d) as m:
        assert m.inputs[0].nbytes == 96
        with pytest.raises(acllite.AclError) as info:
            m.execute([np.zeros(96, np.uint8)])
        assert info.value.code == lib.ACL_ERROR_MODEL_INPUT_NOT_MATCH
        assert "the model reads 192 bytes" in str(info.value) and "its buffer holds 96" in str(info.value)


# ============================================================================ item 10: fixed batch reaches outputs


def test_item10_input_shape_fixing_a_symbolic_batch_is_carried_to_the_outputs(clean: None, tmp_path: Path) -> None:
    from acllite.tools import atc

    (tmp_path / "m.onnx").write_bytes(scale_model("batch"))
    assert atc.main(["--framework=5", "--model=%s" % (tmp_path / "m.onnx"), "--output=%s" % (tmp_path / "o"),
                     "--input_shape=x:3,8"]) == 0
    with acllite.init(), acllite.Device(0) as d, acllite.Model(tmp_path / "o.om", d) as m:
        assert m.outputs[0].shape == (3, 8) and m.outputs[0].nbytes == 96
        assert lib.aclmdlGetOutputSizeByIndex(m._desc, 0) == 96
        x = np.arange(24, dtype=np.float32).reshape(3, 8)
        (y,) = m.execute([x])  # before: 100018 "produced 96 bytes; its buffer holds 32"
        assert np.array_equal(y, x * 3)


# ============================================================================ item 13: cleanup never masks


def test_item13_a_child_forked_inside_a_with_block_keeps_its_exit_status() -> None:
    proc = run_python("""
import os, sys, acllite
with acllite.init():
    pid = os.fork()
    if pid == 0:
        sys.exit(7)
    _, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
""", timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "7", (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr


def test_item13_finalize_inside_the_block_keeps_the_blocks_exception(clean: None) -> None:
    with pytest.raises(KeyError, match="mine"):
        with acllite.init():
            acllite.finalize()
            raise KeyError("mine")  # before: AclStateError from the second aclFinalize
    rt = acllite.init()
    acllite.finalize()
    rt.close()  # not this Runtime's initialization any more: nothing


def _exit_cases() -> List[Tuple[str, Callable[[Any, Any], Any]]]:
    def device(rt: Any, d: Any) -> Any:
        return acllite.Device(0)

    def owned_image(rt: Any, d: Any) -> Any:
        return Image(d.alloc(96), _F.NV12, 8, 8, owns=True)

    return [
        ("Runtime", lambda rt, d: rt), ("Device", device), ("Context", lambda rt, d: d.create_context()),
        ("Stream", lambda rt, d: d.create_stream()), ("Event", lambda rt, d: d.create_event()),
        ("DeviceBuffer", lambda rt, d: d.alloc(64)), ("HostBuffer", lambda rt, d: d.alloc_host(64)),
        ("DvppBuffer", lambda rt, d: acllite.DvppBuffer(64, d)),
        ("Model", lambda rt, d: acllite.Model(scale_model(), d)),
        ("Executor", lambda rt, d: acllite.Model(scale_model(), d).executor()),
        ("ImageProcessor", lambda rt, d: ImageProcessor(d)), ("Image", owned_image),
    ]


@pytest.mark.parametrize("kind, make", _exit_cases(), ids=[c[0] for c in _exit_cases()])
def test_item13_every_exit_keeps_the_exception_in_flight(clean: None, kind: str, make: Callable[[Any, Any], Any],
                                                         caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="acllite")
    rt = acllite.init()
    d = acllite.Device(0)
    obj = make(rt, d)

    def failing_close() -> None:
        raise RuntimeError("cleanup failed")

    obj.close = failing_close  # a cleanup that fails while the block's exception is in flight
    with pytest.raises(KeyError, match="user"):
        with obj:
            raise KeyError("user")
    assert any("cleanup failed" in r.getMessage() for r in caplog.records)
    with pytest.raises(RuntimeError, match="cleanup failed"):
        with obj:
            pass  # nothing in flight: the cleanup's own error propagates
    del obj.close
    if kind != "Runtime":
        obj.close()
        d.close()
    else:
        d.close()
        rt.close()
    assert leak_report() == ZERO_COUNTS


def test_item13_samples_release_tries_every_step_and_raises_the_first_failure(clean: None) -> None:
    from acllite.samples.acllite_resource import AclLiteResource, resource_list

    res = AclLiteResource(0)
    res.init()

    class Failing:
        def destroy(self) -> None:
            raise RuntimeError("destroy failed")

    failing = Failing()
    resource_list.register(failing)
    with pytest.raises(RuntimeError, match="destroy failed"):
        res.release()
    assert not acllite.is_initialized() and res._stream is None and res._runtime is None


# ============================================================================ item 14: no exception escapes C


EMULATOR_DIR = ROOT / "acllite" / "emulator"


def test_item14_every_callback_in_the_emulator_goes_through_the_one_wrapper() -> None:
    """def_extern appears only in the wrapper's module; every acllite_py_* function is decorated with @extern."""
    from acllite.emulator import _extern

    found = []
    for path in sorted(EMULATOR_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "def_extern" and path.name != "_extern.py":
                pytest.fail("%s:%d calls def_extern directly: use @extern" % (path.name, node.lineno))
            if isinstance(node, ast.FunctionDef) and node.name.startswith("acllite_py_"):
                names = [ast.unparse(dec).split("(")[0] for dec in node.decorator_list]
                assert names == ["extern"], "%s:%d %s is not wrapped: %s" % (path.name, node.lineno, node.name, names)
                found.append(node.name)
    assert sorted(found) == sorted(_extern.REGISTERED), (found, sorted(_extern.REGISTERED))
    assert len(found) >= 10


def test_item14_every_callback_maps_any_exception_to_a_code_and_a_message(caplog: Any) -> None:
    """Each registered callback, fed arguments its body cannot use, returns a code (never raises) and leaves a
    message: in its message buffer, or in the log."""
    import importlib

    from acllite.emulator import _extern

    caplog.set_level(logging.ERROR, logger="acllite.emulator")
    for name, fn in sorted(_extern.REGISTERED.items()):
        module = importlib.import_module(fn.__module__)
        wrapper = getattr(module, name)
        params = list(inspect.signature(fn).parameters)
        buf = ffi.new("char[256]")
        # a list where a handle, a pointer or a size goes: unhashable, unconvertible, so every body fails
        args = [buf if p == "message" else 256 if p == "message_len" else [] for p in params]
        caplog.clear()
        rc = wrapper(*args)
        if "message" in params:
            assert isinstance(rc, int) and rc != 0, (name, rc)
            assert ffi.string(buf), name
        elif rc is not None:
            assert isinstance(rc, int) and rc != 0, (name, rc)
            assert caplog.records, "%s failed without a message" % name


def test_item14_out_of_range_aipp_and_gear_metadata_are_refused_at_load_with_a_message(tmp_path: Path) -> None:
    path, _ = _aipp_model(tmp_path, 1)
    proc = run_python("""
import json, onnx, acllite
from acllite.binding import ffi, lib
def msg():
    p = lib.aclGetRecentErrMsg(); return ffi.string(p).decode() if p != ffi.NULL else ""
def variant(edit):
    proto = onnx.load(%r)
    edit(proto)
    return proto.SerializeToString()
def aipp(key, value):
    def edit(proto):
        for p in proto.metadata_props:
            if p.key.startswith("acllite.aipp."):
                r = json.loads(p.value); r["params"][key] = value; p.value = json.dumps(r)
    return edit
def gears(value):
    def edit(proto):
        e = proto.metadata_props.add(); e.key, e.value = "acllite.dynamic_batch", value
    return edit
with acllite.init(), acllite.Device(0):
    cell = ffi.new("uint32_t *")
    for name, edit in (("matrix", aipp("matrix_r0c0", 2 ** 40)), ("switch", aipp("crop", 300)),
                       ("float", aipp("var_reci_chn_0", "x")), ("gear -1", gears("-1")),
                       ("gear 2**64", gears(str(2 ** 64)))):
        data = variant(edit)
        print(name, lib.aclmdlLoadFromMem(data, len(data), cell), msg())
""" % str(path), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Exception ignored" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 5, proc.stdout
    for line, fragment in zip(lines, ["matrix_r0c0 = 1099511627776 does not fit int32_t", "crop = 300 does not fit",
                                      "var_reci_chn_0 = 'x' is not a finite float",
                                      "dynamic batch gear 0 = -1 does not fit uint64_t",
                                      "dynamic batch gear 0 = 18446744073709551616 does not fit uint64_t"]):
        assert " 100013 aclmdlLoadFromMem: " in line and fragment in line, line


def test_item14_atc_refuses_aipp_values_outside_their_range_naming_the_line(tmp_path: Path) -> None:
    from acllite.tools import atc

    (tmp_path / "m.onnx").write_bytes(_aipp_model(tmp_path, 1)[0].with_name("m.onnx").read_bytes())
    (tmp_path / "big.cfg").write_text("aipp_op {\n aipp_mode: static\n input_format: YUV420SP_U8\n"
                                      " csc_switch: true\n matrix_r0c0: 4294967296\n}\n")
    with pytest.raises(atc.AtcError, match="big.cfg:5: matrix_r0c0 4294967296 is outside -32768 to 32767"):
        atc.convert(str(tmp_path / "m.onnx"), str(tmp_path / "o"), insert_op_conf=str(tmp_path / "big.cfg"))


# ============================================================================ item 16: every method after close


def _method_table(env: Dict[str, Any]) -> Dict[str, Dict[str, Callable[[Any], Any]]]:
    """Class -> public method -> a call with otherwise valid arguments."""
    x = np.ones((2, 8), np.float32)
    jpg = jpeg()
    img = env["img"]
    return {
        "Device": {"make_current": lambda o: o.make_current(), "create_context": lambda o: o.create_context(),
                   "create_stream": lambda o: o.create_stream(), "create_event": lambda o: o.create_event(),
                   "alloc": lambda o: o.alloc(64), "alloc_host": lambda o: o.alloc_host(64),
                   "memory_info": lambda o: o.memory_info(), "synchronize": lambda o: o.synchronize()},
        "Context": {"make_current": lambda o: o.make_current(), "create_stream": lambda o: o.create_stream(),
                    "create_event": lambda o: o.create_event()},
        "Stream": {"synchronize": lambda o: o.synchronize(), "record": lambda o: o.record(env["event"]),
                   "wait": lambda o: o.wait(env["event"])},
        "Event": {"record": lambda o: o.record(env["stream"]), "synchronize": lambda o: o.synchronize(),
                  "query": lambda o: o.query(), "elapsed_ms": lambda o: o.elapsed_ms(env["event"])},
        "DeviceBuffer": {"copy_from": lambda o: o.copy_from(np.zeros(64, np.uint8)),
                         "copy_to": lambda o: o.copy_to(np.zeros(64, np.uint8)), "to_numpy": lambda o: o.to_numpy(),
                         "fill": lambda o: o.fill(1), "numpy": lambda o: o.numpy()},
        "HostBuffer": {"copy_from": lambda o: o.copy_from(np.zeros(64, np.uint8)),
                       "copy_to": lambda o: o.copy_to(np.zeros(64, np.uint8)), "to_numpy": lambda o: o.to_numpy(),
                       "fill": lambda o: o.fill(1), "numpy": lambda o: o.numpy(),
                       "memoryview": lambda o: o.memoryview()},
        "DvppBuffer": {"copy_from": lambda o: o.copy_from(np.zeros(64, np.uint8)),
                       "copy_to": lambda o: o.copy_to(np.zeros(64, np.uint8)), "to_numpy": lambda o: o.to_numpy(),
                       "fill": lambda o: o.fill(1), "numpy": lambda o: o.numpy()},
        "Model": {"executor": lambda o: o.executor(), "current_output_dims": lambda o: o.current_output_dims(0),
                  "execute": lambda o: o.execute([x]), "execute_async": lambda o: o.execute_async([x], env["stream"])},
        "Executor": {"execute": lambda o: o.execute([x]),
                     "execute_async": lambda o: o.execute_async([x], env["stream"])},
        "ImageProcessor": {"decode_jpeg": lambda o: o.decode_jpeg(jpg), "decode_png": lambda o: o.decode_png(b"x"),
                           "encode_jpeg": lambda o: o.encode_jpeg(img), "resize": lambda o: o.resize(img, 16, 16),
                           "crop": lambda o: o.crop(img, (0, 0, 8, 8)),
                           "crop_and_paste": lambda o: o.crop_and_paste(img, (0, 0, 8, 8), env["dest"], (0, 0, 8, 8)),
                           "convert_color": lambda o: o.convert_color(img, _F.RGB888),
                           "batch_crop_resize": lambda o: o.batch_crop_resize([img], [[(0, 0, 8, 8)]], (16, 16)),
                           "make_border": lambda o: o.make_border(img, 2, 2, 2, 2),
                           "equalize_hist": lambda o: o.equalize_hist(img), "calc_hist": lambda o: o.calc_hist(img),
                           "pyr_down": lambda o: o.pyr_down(img)},
        "Image": {"to_numpy": lambda o: o.to_numpy(), "to_rgb": lambda o: o.to_rgb(),
                  "save": lambda o: o.save(str(env["tmp"] / "x.png")), "copy_to": lambda o: o.copy_to("host")},
    }


def _make(kind: str, d: Any) -> Any:
    return {"Device": lambda: acllite.Device(0), "Context": lambda: d.create_context(),
            "Stream": lambda: d.create_stream(), "Event": lambda: d.create_event(), "DeviceBuffer": lambda: d.alloc(64),
            "HostBuffer": lambda: d.alloc_host(64), "DvppBuffer": lambda: acllite.DvppBuffer(64, d),
            "Model": lambda: acllite.Model(scale_model(), d),
            "Executor": lambda: acllite.Model(scale_model(), d).executor(), "ImageProcessor": lambda: ImageProcessor(d),
            "Image": lambda: Image(acllite.DvppBuffer(96, d), _F.NV12, 8, 8, owns=True)}[kind]()


KINDS = ["Device", "Context", "Stream", "Event", "DeviceBuffer", "HostBuffer", "DvppBuffer", "Model", "Executor",
         "ImageProcessor", "Image"]


def test_item16_the_method_table_covers_every_public_method() -> None:
    classes = {"Device": acllite.Device, "Context": acllite.Context, "Stream": acllite.Stream,
               "Event": acllite.Event, "DeviceBuffer": acllite.DeviceBuffer, "HostBuffer": acllite.HostBuffer,
               "DvppBuffer": acllite.DvppBuffer, "Model": acllite.Model, "Executor": acllite.Executor,
               "ImageProcessor": ImageProcessor, "Image": Image}
    table = _method_table({"img": None})
    for kind, cls in classes.items():
        public = {n for n, f in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")} - {"close"}
        public -= {n for n in public if isinstance(inspect.getattr_static(cls, n), (classmethod, staticmethod))}
        assert public == set(table[kind]), (kind, sorted(public ^ set(table[kind])))


@pytest.mark.parametrize("how", ["close", "finalize"])
@pytest.mark.parametrize("kind", KINDS)
def test_item16_every_method_of_every_closed_object_raises_the_documented_error(clean: None, tmp_path: Path,
                                                                                kind: str, how: str) -> None:
    rt = acllite.init()
    d = acllite.Device(0)
    env = {"stream": d.create_stream(), "event": d.create_event(), "tmp": tmp_path,
           "img": Image(np.zeros((12, 16), np.uint8), _F.NV12, 16, 8, 16, 8),
           "dest": Image(acllite.DvppBuffer(16 * 8 * 3 // 2, d), _F.NV12, 16, 8, 16, 8, owns=True)}
    obj = _make(kind, d)
    if how == "close":
        obj.close()
    else:
        rt.close()
    for name, call in _method_table(env)[kind].items():
        with pytest.raises((ValueError, acllite.AclNotInitializedError)) as info:
            call(obj)
        if how == "close":
            assert isinstance(info.value, ValueError) and "closed" in str(info.value), (kind, name, info.value)
        else:
            assert isinstance(info.value, acllite.AclNotInitializedError) and info.value.code == 100001, \
                (kind, name, info.value)
    if how == "close":
        if kind == "Executor":
            obj.model.close()
        env["dest"].close()
        d.close()
        rt.close()
        assert leak_report() == ZERO_COUNTS


def test_item16_model_execute_after_close_says_the_model_is_closed(clean: None) -> None:
    with acllite.init(), acllite.Device(0) as d:
        m = acllite.Model(scale_model(), d)
        m.execute([np.ones((2, 8), np.float32)])  # makes the default executor
        m.close()
        with pytest.raises(ValueError, match="^the model is closed$"):
            m.execute([np.ones((2, 8), np.float32)])  # before: a cffi TypeError


# ============================================================================ item 17: atc's argument checks


ATC_BAD = [
    ("input_shape beyond int64", ["--input_shape=x:99999999999999999999999,8"], 1, "99999999999999999999999"),
    ("empty --output", ["--output="], 1, "--output: expected the output file's path"),
    ("--output a directory", ["--output=%(tmp)s/"], 1, "--output: expected the output file's path"),
    ("--output unwritable", ["--output=/proc/acllite/none/o"], 1, "--output: cannot write"),
    ("negative AIPP size", ["--insert_op_conf=%(tmp)s/neg.cfg"], 1, "neg.cfg:4: src_image_size_w -5 is outside 0"),
    ("AIPP value beyond int32", ["--insert_op_conf=%(tmp)s/big.cfg"], 1,
     "big.cfg:4: mean_chn_0 99999999999 is outside"),
    ("AIPP NaN", ["--insert_op_conf=%(tmp)s/nan.cfg"], 1, "nan.cfg:4: var_reci_chn_0 nan is outside"),
    ("AIPP config a directory", ["--insert_op_conf=%(tmp)s"], 1, "cannot read the AIPP configuration"),
    ("input_shape not integers", ["--input_shape=x:2,a"], 1, "--input_shape: dimensions of 'x' must be integers"),
    ("input_shape empty dims", ["--input_shape=x:"], 1, "--input_shape"),
    ("input_shape without a name", ["--input_shape=:2,8"], 1, "is not NAME:d0,d1"),
    ("bad --log", ["--log=loud"], 2, "--log=loud: expected one of"),
    ("bad --output_type", ["--output_type=FP64"], 1, "--output_type: expected FP32"),
    ("bad --input_format", ["--input_format=NCDHW"], 1, "--input_format: expected one of"),
    ("bad --soc_version", ["--soc_version=Ascend 310"], 1, "--soc_version"),
    ("bad --dynamic_batch_size", ["--dynamic_batch_size=0,x"], 1, "--dynamic_batch_size"),
]


@pytest.mark.parametrize("what, extra, status, fragment", ATC_BAD, ids=[a[0] for a in ATC_BAD])
def test_item17_atc_names_every_bad_value_without_a_traceback(tmp_path: Path, capsys: Any, what: str,
                                                              extra: List[str], status: int, fragment: str) -> None:
    from acllite.tools import atc

    (tmp_path / "m.onnx").write_bytes(scale_model("batch"))
    for name, line in (("neg", "src_image_size_w: -5"), ("big", "mean_chn_0: 99999999999"),
                       ("nan", "var_reci_chn_0: nan")):
        (tmp_path / ("%s.cfg" % name)).write_text("aipp_op {\n aipp_mode: static\n input_format: RGB888_U8\n %s\n}\n"
                                                  % line)
    argv = ["--framework=5", "--model=%s" % (tmp_path / "m.onnx"), "--output=%s" % (tmp_path / "o"),
            "--input_shape=x:2,8"]
    for a in extra:
        a = a % {"tmp": tmp_path}
        key = a.split("=", 1)[0]
        argv = [x for x in argv if not x.startswith(key + "=")] + [a]
    got = atc.main(argv)
    out = capsys.readouterr()
    text = out.out + out.err
    assert got == status, (got, text)
    assert fragment in text and "Traceback" not in text, text


# ============================================================================ item 20: OM bytes from memory


def test_item20_load_from_mem_of_an_om_says_what_to_provide(clean: None) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import om_builder as ob

    om = ob.om_file(ob.V2, [[(0, ob.simple_model_def("tiny", ["relu"])), (1, bytes(48))]],
                    platform_version="Ascend310")
    with acllite.init(), acllite.Device(0):
        cell = ffi.new("uint32_t *")
        rc = lib.aclmdlLoadFromMem(om, len(om), cell)
        text = msg()
        assert rc == lib.ACL_ERROR_API_NOT_SUPPORT, (rc, text)
        assert text.startswith("aclmdlLoadFromMem: ") and "offline model (.om, magic IMOD) made by ATC" in text
        assert "the .om that acllite atc builds" in text and "X.onnx beside it" in text and len(text) < 511
        # its sizes need no computation: described from the file, as a device does
        work, weight = ffi.new("size_t *"), ffi.new("size_t *")
        assert lib.aclmdlQuerySizeFromMem(om, len(om), work, weight) == 0
        assert weight[0] == 48


# ============================================================================ minor: pyACL name argument


def test_minor_get_input_index_by_name_with_a_non_string_raises_type_error() -> None:
    """(Fixed by the pyACL module's one conversion of C strings, merged from main.)"""
    from acllite import pyacl as acl

    for bad in (3, None, 2.5):
        with pytest.raises(TypeError, match="a str is required"):
            acl.mdl.get_input_index_by_name(0, bad)  # before: AttributeError ('int' object has no attribute 'encode')
    with pytest.raises(ValueError, match="embedded null"):
        acl.mdl.get_input_index_by_name(0, "a\0b")


# ============================================================================ found by the new fuzz targets


def test_fuzz_image_encoded_data_over_a_buffer_without_nbytes_is_the_buffers_length(clean: None) -> None:
    with acllite.init(), acllite.Device(0) as d, d.alloc(50) as buf:
        assert Image(buf, "jpeg", 8, 8).nbytes == 50  # before: ValueError from the nbytes property
        one = np.ndarray((1,), np.uint8, buffer=bytearray(64), strides=(16,))  # contiguous: one element
        assert Image(one, "png", 1, 1).nbytes == 1  # before: an AssertionError in the constructor


def test_fuzz_image_a_444_chroma_row_never_covers_an_array_rows_gap() -> None:
    """A YUV444SP/YUV440SP chroma row is 2 x width bytes, two array rows apart: with rows shorter than that and
    than the stride, to_numpy read the bytes between the rows (not the array's)."""
    a = np.zeros((20, 30), np.uint8)[:, :10]  # rows of 10 bytes, 30 apart
    with pytest.raises(ValueError, match="rows of 20 bytes"):
        Image(a, _F.YVU444SP, 10, 5, 30, 5)
    ok = np.zeros((20, 30), np.uint8)[:, :20]
    assert Image(ok, _F.YVU444SP, 10, 5, 30, 5).to_numpy().shape == (15, 10)


def test_fuzz_release_a_view_and_its_buffer_in_a_cycle_are_collected(clean: None) -> None:
    """numpy arrays are invisible to the cycle collector: a view that held its HostBuffer made any cycle through
    the buffer uncollectable (its memory stayed until exit; aclFinalize then refused). Views hold no object now."""
    with acllite.init(), acllite.Device(0) as d:
        h = d.alloc_host(64)
        mv = h.memoryview()
        cycle: List[Any] = [mv, h]
        cycle.append(cycle)
        h.cycle = cycle  # type: ignore[attr-defined]
        del h, mv, cycle
        assert gc.collect() > 0 and _lifecycle.live_views() == 0
        assert live_counts()["hostAllocations"] == 0
        v = d.alloc_host(64).numpy()  # the buffer is dropped at once: its memory waits for the view
        v[:] = 9
        gc.collect()
        assert live_counts()["hostAllocations"] == 1 and int(v.sum()) == 9 * 64
        del v
        assert live_counts()["hostAllocations"] == 0


def test_fuzz_release_repr_of_a_buffer_released_by_a_reset(clean: None) -> None:
    rt = acllite.init()
    d = acllite.Device(0)
    b = d.alloc(64)
    d.close()
    assert repr(b) == "<acllite.DeviceBuffer 64 bytes, closed>"  # before: it raised from ptr
    rt.close()
