"""``acllite bench dvpp``: JPEG decode and resize to 224x224 through DVPP (acllite's ImageProcessor), against
Pillow doing the same work on the host in the same run.

The picture is a real photograph (scikit-image's astronaut, resized to 1024x683 with Lanczos) encoded as a
baseline 4:2:0 JPEG at quality 90, the shape of ``perf_baseline.md``'s Pillow figures. Cases, timed per image:

* ``pillow_decode``: ``PIL.Image.open(...).convert("RGB")`` (the full decode; no ``draft`` scaling);
* ``pillow_decode_resize``: the same, then ``resize((224, 224), BILINEAR)``: the baseline of every case;
* ``dvpp_decode``: ``ImageProcessor.decode_jpeg`` of the JPEG already in DVPP memory, to NV12, synchronously;
* ``dvpp_resize``: ``ImageProcessor.resize`` of that NV12 picture to 224x224 (bilinear), synchronously;
* ``dvpp_decode_resize``: both, the path a preprocessing pipeline runs.

Every DVPP call waits for its result and releases its descriptions, as a caller would see it. ``ratio`` is the
case's time over Pillow's decode+resize time (< 1: faster than Pillow). Medians of ``--repeat`` repetitions
(default 15) of a few iterations each, cases interleaved.
"""

from __future__ import annotations

import argparse
import io
from typing import Any, Dict, List, Tuple

from . import _timing as T

BENCH = "dvpp"
DEFAULT_REPEAT = 15
ITERATIONS = 4
SIZE = (1024, 683)
OUT = (224, 224)
QUALITY = 90
BASELINE = "pillow_decode_resize"

CASES: Tuple[Tuple[str, str], ...] = (
    ("pillow_decode", "Pillow decode to RGB"),
    ("pillow_decode_resize", "Pillow decode to RGB + bilinear resize to 224x224"),
    ("dvpp_decode", "DVPP JPEG decode to NV12 (ImageProcessor.decode_jpeg)"),
    ("dvpp_resize", "DVPP resize NV12 to 224x224 (ImageProcessor.resize)"),
    ("dvpp_decode_resize", "DVPP decode + resize to 224x224"),
)


def test_jpeg() -> bytes:
    """The benchmark's JPEG: a real photograph, 1024x683, 4:2:0, quality 90."""
    import numpy as np
    from PIL import Image as PILImage

    try:
        from skimage import data as samples

        photo = samples.astronaut()
    except ImportError:  # scikit-image is a test extra: fall back to a smooth synthetic picture
        y, x = np.mgrid[0:512, 0:512]
        photo = np.stack([(x * 255 // 511), (y * 255 // 511), ((x + y) * 255 // 1022)], axis=-1).astype(np.uint8)
    im = PILImage.fromarray(photo).resize(SIZE, PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=QUALITY, subsampling=2)
    return out.getvalue()


def _cases(dev: Any, jpeg: bytes) -> Tuple[Dict[str, Any], List[Any]]:
    from PIL import Image as PILImage

    from ...dvpp import ImageProcessor
    from ...image import DVPP, Image

    bilinear = PILImage.Resampling.BILINEAR
    ip = ImageProcessor(dev)
    src = Image.from_bytes(jpeg).copy_to(DVPP, dev)  # the JPEG is read into DVPP memory once, as a pipeline would
    decoded = ip.decode_jpeg(src)
    expected = (SIZE[0] & ~1, SIZE[1] & ~1)  # NV12 sizes are even: the device rounds odd ones down
    if (decoded.width, decoded.height) != expected:
        raise AssertionError("decoded %dx%d, expected %dx%d" % (decoded.width, decoded.height, *expected))

    def pillow_decode() -> None:
        PILImage.open(io.BytesIO(jpeg)).convert("RGB")

    def pillow_decode_resize() -> None:
        PILImage.open(io.BytesIO(jpeg)).convert("RGB").resize(OUT, bilinear)

    def dvpp_decode() -> None:
        ip.decode_jpeg(src).close()

    def dvpp_resize() -> None:
        ip.resize(decoded, *OUT).close()

    def dvpp_decode_resize() -> None:
        d = ip.decode_jpeg(src)
        ip.resize(d, *OUT).close()
        d.close()

    fns = {"pillow_decode": pillow_decode, "pillow_decode_resize": pillow_decode_resize, "dvpp_decode": dvpp_decode,
           "dvpp_resize": dvpp_resize, "dvpp_decode_resize": dvpp_decode_resize}
    return {name: T.loop0(fn, ITERATIONS) for name, fn in fns.items()}, [decoded, src, ip]


def run(args: argparse.Namespace) -> List[Dict[str, Any]]:
    """Run the benchmark, print its table, return one record per case."""
    import acllite

    repeat = args.repeat or DEFAULT_REPEAT
    jpeg = test_jpeg()
    records: List[Dict[str, Any]] = []
    T.progress.start(BENCH, 1)
    runtime = None if acllite.is_initialized() else acllite.init()
    try:
        with acllite.Device(0) as dev:
            cases, owned = _cases(dev, jpeg)
            try:
                T.progress.step("%d cases x %d repetitions" % (len(cases), repeat))
                samples = T.interleave(cases, {c: ITERATIONS for c in cases}, repeat, subtract_loop=False)
            finally:
                for obj in owned:
                    obj.close()
    finally:
        if runtime is not None:
            runtime.close()
        T.progress.finish()

    stats = {case: T.stats(v) for case, v in samples.items()}
    base = stats[BASELINE].median / 1e6
    rows = []
    for case, label in CASES:
        s = stats[case]
        ms = s.median / 1e6
        rec = T.record(BENCH, case, "median", ms, "ms", BASELINE, base, p10=s.p10 / 1e6, p90=s.p90 / 1e6,
                       repeat=repeat, iterations=ITERATIONS, image="%dx%d JPEG q%d 4:2:0" % (*SIZE, QUALITY),
                       description=label)
        records.append(rec)
        rows.append([label, "%.3f" % ms, "%.3f-%.3f" % (rec["p10"], rec["p90"]), "%.2f" % rec["ratio"]])
    print("acllite bench dvpp: %s" % T.banner())
    print("one %dx%d JPEG (quality %d, 4:2:0, %d bytes) per call" % (SIZE[0], SIZE[1], QUALITY, len(jpeg)))
    print(T.format_table(["path", "ms/image", "p10-p90", "x Pillow"], rows, "lrrr"))
    print("x Pillow = time / Pillow decode+resize time in this run (< 1: faster). Median of %d repetitions of %d "
          "images each, cases interleaved; DVPP calls are synchronous and release their descriptions."
          % (repeat, ITERATIONS))
    return records
