"""``acllite bench video``: 1080p H.264 decoding through VDEC (acllite.video.VideoDecoder) against PyAV decoding
the same stream to NV12 in the same run, and batch VPC (16 regions of a 1080p picture resized to 224x224 in one
acldvppVpcBatchCropResizeAsync) against 16 single crop-resize calls.

Cases:

* ``pyav_nv12``: PyAV (FFmpeg's decoder, slice threads) decoding every access unit, each frame converted to an
  NV12 array (``to_ndarray(format="nv12")``): the baseline of the decode cases, frames/s;
* ``vdec``: VideoDecoder decoding the same access units into NV12 DVPP pictures (each frame's picture released
  once it is back), frames/s; on the emulator it runs the same FFmpeg decoder, plus the copy into DVPP memory;
* ``vpc_single``: 16 ``acldvppVpcCropResizeAsync`` calls queued on a stream, then one synchronize (ms);
* ``vpc_batch``: one ``acldvppVpcBatchCropResizeAsync`` of the same 16 regions (ms); baseline vpc_single.

Medians of ``--repeat`` repetitions (default 5), cases interleaved. Needs PyAV.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Dict, List

from . import _timing as T

BENCH = "video"
DEFAULT_REPEAT = 5
WIDTH, HEIGHT, FRAMES = 1920, 1080, 30
ROIS, OUT = 16, (224, 224)


def test_stream(frames: int = FRAMES) -> List[bytes]:
    """A 1080p H.264 (high profile, B-frames) stream of a moving pattern, as access units."""
    import io
    from fractions import Fraction

    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="h264") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        s.codec_context.options = {"preset": "ultrafast", "bf": "2", "g": "25"}
        s.codec_context.time_base = Fraction(1, 25)
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
        for i in range(frames):
            y = ((xx * 3 + yy * 2 + i * 9) % 256).astype(np.uint8)
            chroma = np.full((HEIGHT // 2, WIDTH), 128 + (i % 16), np.uint8)
            f = av.VideoFrame.from_ndarray(np.concatenate([y, chroma]), format="yuv420p")
            f.pts = i
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    parser = av.CodecContext.create("h264", "r")
    data = buf.getvalue()
    return [bytes(p) for p in list(parser.parse(data)) + list(parser.parse(None))]


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    import numpy as np

    import acllite
    from acllite.dvpp import ImageProcessor
    from acllite.image import Image, PixelFormat
    from acllite.video import VideoDecoder

    try:
        import av
    except ImportError as exc:
        T.note("acllite bench video: PyAV is not installed (pip install 'acllite[video]'): %s" % exc)
        return []
    repeat = args.repeat or DEFAULT_REPEAT
    T.progress.start(BENCH, 2)
    T.progress.step("encoding the 1080p test stream")
    units = test_stream()
    samples: Dict[str, List[float]] = {"pyav_nv12": [], "vdec": [], "vpc_single": [], "vpc_batch": []}
    runtime = None if acllite.is_initialized() else acllite.init()
    try:
        with acllite.Device(0) as dev, VideoDecoder(dev, WIDTH, HEIGHT, "h264") as dec, \
                ImageProcessor(dev) as proc:
            stream = dev.create_stream()
            rng = np.random.default_rng(1)
            picture = Image.from_numpy(rng.integers(0, 256, (HEIGHT * 3 // 2, WIDTH), dtype=np.uint8),
                                       PixelFormat.NV12).copy_to("dvpp", dev)
            boxes = [(96 * k, 40 * k, 96 * k + 480, 40 * k + 360) for k in range(ROIS)]

            def pyav() -> float:
                d = av.CodecContext.create("h264", "r")
                d.thread_type = "SLICE"
                t = time.perf_counter()
                n = 0
                for u in units + [None]:
                    for f in d.decode(av.Packet(u) if u is not None else None):
                        f.to_ndarray(format="nv12")
                        n += 1
                return n / (time.perf_counter() - t)

            def vdec() -> float:
                t = time.perf_counter()
                n = 0
                for f in dec.decode(units):
                    f.close()
                    n += 1
                return n / (time.perf_counter() - t)

            def single() -> float:
                t = time.perf_counter()
                outs = [proc.crop(picture, b, OUT, interpolation=1, stream=stream) for b in boxes]
                stream.synchronize()
                ms = (time.perf_counter() - t) * 1e3
                for o in outs:
                    o.close()
                return ms

            def batch() -> float:
                t = time.perf_counter()
                outs = proc.batch_crop_resize([picture], [boxes], OUT, stream=stream)
                stream.synchronize()
                ms = (time.perf_counter() - t) * 1e3
                for o in outs[0]:
                    o.close()
                return ms

            T.progress.step("%d repetitions" % repeat)
            pyav(), vdec(), single(), batch()  # warm up
            for _ in range(repeat):
                samples["pyav_nv12"].append(pyav())
                samples["vdec"].append(vdec())
                samples["vpc_single"].append(single())
                samples["vpc_batch"].append(batch())
            picture.close()
            stream.close()
    finally:
        if runtime is not None:
            runtime.close()
        T.progress.finish()
    st = {k: T.stats(v) for k, v in samples.items()}
    rows = []
    records = []
    for case, base, unit, label in (
            ("pyav_nv12", "pyav_nv12", "frames/s", "PyAV decode to NV12 (baseline)"),
            ("vdec", "pyav_nv12", "frames/s", "VDEC (VideoDecoder) into DVPP NV12"),
            ("vpc_single", "vpc_single", "ms", "16 x acldvppVpcCropResizeAsync, one sync (baseline)"),
            ("vpc_batch", "vpc_single", "ms", "1 x acldvppVpcBatchCropResizeAsync of 16 regions")):
        s = st[case]
        rec = T.record(BENCH, case, "median", s.median, unit, base, st[base].median, p10=s.p10, p90=s.p90,
                       repeat=repeat, description=label,
                       stream="%dx%d H.264 high, %d frames" % (WIDTH, HEIGHT, len(units)))
        records.append(rec)
        rows.append([label, "%.1f %s" % (s.median, unit), "%.1f-%.1f" % (s.p10, s.p90), "%.2f" % rec["ratio"]])
    print("acllite bench video: %s" % T.banner())
    print("decode: %d access units of %dx%d H.264 (high, B-frames); VPC: %d regions of a %dx%d NV12 picture to "
          "%dx%d" % (len(units), WIDTH, HEIGHT, ROIS, WIDTH, HEIGHT, *OUT))
    print(T.format_table(["path", "median", "p10-p90", "x baseline"], rows, "lrrr"))
    print("decode: x baseline = VDEC frames/s / PyAV frames/s (target >= 0.9); VPC: x baseline = batch time / 16 "
          "single calls' time (< 1: faster). Medians of %d repetitions, cases interleaved." % repeat)
    return records
