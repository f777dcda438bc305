"""``acllite bench pipeline``: images per second for the classify flow, next to a plain host pipeline.

* baseline, ``Pillow + onnxruntime``: Pillow decodes the JPEG to RGB, resizes it to 224x224 (bilinear),
  normalizes it in numpy, onnxruntime runs the plain ONNX model (batch 1);
* ``acllite, sequential``: the classify flow on one stream (JPEGD, VPC resize, execute with AIPP, copy back,
  wait), one image at a time;
* ``acllite, overlapped``: the same flow in ``--workers`` threads (default 2), each with its own stream,
  executor and DVPP channel, so that one image's decode overlaps another's execution.

Both onnxruntime sessions run with the same options (idle-thread spinning off, see ``bench execute``). The
photographs are the ones in examples/images, cycled.
"""

from __future__ import annotations

import argparse
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, Dict, List


from . import _timing as T

BASELINE = "Pillow + onnxruntime"
SEQUENTIAL = "acllite, sequential"


def _images(directory: Any = None) -> List[bytes]:
    """The sample photographs: ``directory``, else examples/images of the working directory or the checkout."""
    candidates = [Path(directory)] if directory else [Path("examples") / "images",
                                                       Path(__file__).resolve().parents[3] / "examples" / "images"]
    for root in candidates:
        paths = sorted(root.glob("*.jpg"))
        if paths:
            return [p.read_bytes() for p in paths]
    if not directory:
        # An installed package has no examples/: the photographs they come from (scikit-image's samples), or
        # the dvpp benchmark's picture.
        from .dvpp import test_jpeg

        images = _sample_jpegs()
        T.note("pipeline: no examples/images here; using %s" % (
            "%d scikit-image sample photographs" % len(images) if images else "the dvpp benchmark's picture"))
        return images or [test_jpeg()]
    raise FileNotFoundError("no JPEG images in %s: run from the checkout or give --image-dir" % " or ".join(
        str(c) for c in candidates))


def _sample_jpegs() -> List[bytes]:
    import io

    try:
        from PIL import Image
        from skimage import data as samples
    except ImportError:
        return []
    out = []
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        buf = io.BytesIO()
        Image.fromarray(getattr(samples, name)()).convert("RGB").save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def _baseline(plain: Path, images: List[bytes], count: int) -> float:
    import io

    from PIL import Image

    from ...demo import efficientnet
    from ...formats import onnx as onnx_format

    session = onnx_format.session(plain.read_bytes())
    name = session.get_inputs()[0].name
    t0 = time.perf_counter()
    for k in range(count):
        with Image.open(io.BytesIO(images[k % len(images)])) as img:
            x = efficientnet.preprocess(img)
        session.run(None, {name: x})
    return count / (time.perf_counter() - t0)


def _acllite(model: Path, images: List[bytes], count: int, workers: int) -> float:
    import acllite
    from acllite.dvpp import ImageProcessor
    from acllite.image import Image

    with acllite.init(), acllite.Device(0) as device, acllite.Model(model, device) as m:
        info = m.data_inputs[0]
        h, w = info.shape[1], info.shape[2]
        jobs: "queue.Queue[int]" = queue.Queue()
        for k in range(count):
            jobs.put(k)
        errors: List[BaseException] = []

        def work() -> None:
            try:
                device.make_current()
                with device.create_stream() as stream, m.executor() as ex, ImageProcessor(device, stream) as proc:
                    while True:
                        try:
                            k = jobs.get_nowait()
                        except queue.Empty:
                            return
                        jpeg = Image.from_bytes(images[k % len(images)])
                        decoded = proc.decode_jpeg(jpeg)
                        resized = proc.resize(decoded, w, h)
                        ex.execute_async([resized], stream).wait()
                        for img in (resized, decoded, jpeg):
                            img.close()
            except BaseException as exc:  # reported by the caller
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(workers)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        if errors:
            raise errors[0]
    return count / elapsed


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    from ..classify import prepare_demo_model
    from ...demo import efficientnet

    os.environ["ACLLITE_EMU_ORT_SPINNING"] = "0"
    try:
        om = prepare_demo_model()
    except Exception as exc:  # the demo model's weights are an optional package (acllite[demo])
        T.note("pipeline: skipped, the demo model is unavailable: %s" % str(exc).splitlines()[0])
        return []
    plain = om.parent / efficientnet.MODEL_FILENAME
    images = _images(getattr(args, "image_dir", None))
    count = getattr(args, "images", None) or 48
    repeat = args.repeat or 3
    workers = getattr(args, "workers", None) or 2
    overlapped = "acllite, overlapped (%d workers)" % workers
    samples: Dict[str, List[float]] = {BASELINE: [], SEQUENTIAL: [], overlapped: []}
    threads = {BASELINE: 1, SEQUENTIAL: 1, overlapped: workers}
    T.progress.start("pipeline", repeat + 1)
    T.progress.step("warm-up")
    _baseline(plain, images, 4)
    _acllite(om, images, 4, 1)
    for r in range(repeat):  # interleaved rounds
        T.progress.step("round %d of %d images" % (r + 1, count))
        samples[BASELINE].append(_baseline(plain, images, count))
        samples[SEQUENTIAL].append(_acllite(om, images, count, 1))
        samples[overlapped].append(_acllite(om, images, count, workers))
    T.progress.finish()
    base = T.stats(samples[BASELINE]).median
    records, rows = [], []
    for name, vals in samples.items():
        st = T.stats(vals)
        records.append(T.record("pipeline", name, "median", st.median, "images/s", BASELINE, base,
                                p10=st.p10, p90=st.p90, repeat=repeat, images=count, workers=threads[name],
                                description=name))
        rows.append([name, T.fmt(st.median), "%s-%s" % (T.fmt(st.p10), T.fmt(st.p90)), "%.2f" % (st.median / base)])
    print("acllite bench pipeline: %s" % T.banner())
    print(T.format_table(["pipeline", "images/s", "p10-p90", "x baseline"], rows))
    print("median of %d rounds of %d images (%d JPEGs cycled); rounds interleaved." % (repeat, count, len(images)))
    for line in target_lines(records):
        print(line)
    return records


def target_lines(records: List[Dict[str, Any]]) -> List[str]:
    """The issue's pipeline target, read off the records of one run."""
    out = []
    for r in records:
        if r["case"] != BASELINE:
            out.append("target pipeline >= 1.0x Pillow + onnxruntime (aim 1.3x), %s: %.2fx (%s)" % (
                r["case"], r["ratio"], "met, and the 1.3x aim" if r["ratio"] >= 1.3 else
                "met" if r["ratio"] >= 1.0 else "MISSED"))
    return out
