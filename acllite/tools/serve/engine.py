"""One replica's device work, without Ray: decode and resize on DVPP, batches through the model's gears, top-k.

:class:`BatchClassifier` owns the replica's AscendCL resources (init, device, stream, model, executor, DVPP
channel, one DVPP buffer holding a batch of pictures) and releases them in reverse order. It is used from one
thread (the replica's device thread), which is where the device's context is current.

A batch of encoded images: each is decoded (JPEGD, or PNGD / the host where the SoC has none) and resized (VPC) to
the model's input as YUV420SP; the pictures are copied next to each other in the batch buffer and run through the
model's gears, the largest that fit first (8 = 8; 7 = 4+2+1), so no gear is padded when the model has gear 1. An
image that cannot be decoded fails alone; the rest of its batch goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..classify import Prediction, softmax

__all__ = ["BatchClassifier", "ImageRejected", "RequestError", "check_image", "declared_length", "parse_top",
           "MAX_BODY_BYTES", "split_into_gears"]

logger = logging.getLogger("acllite.serve")

MAX_BODY_BYTES = 20 << 20  # a larger body is refused (413) before it is read whole: DVPP decodes up to 8192x8192

# First bytes of image formats that are not JPEG or PNG: "unsupported format" (415) rather than "not an image".
_OTHER_IMAGE_FORMATS = ((b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"),
                        (b"MM\x00*", "TIFF"), (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
                        (b"\xff\x4f\xff\x51", "JPEG 2000"), (b"\x00\x00\x01\x00", "ICO"), (b"8BPS", "PSD"),
                        (b"\x76\x2f\x31\x01", "OpenEXR"))


class RequestError(Exception):
    """A request the replica refuses or cannot serve: an HTTP status and a message (and the AscendCL code when
    the runtime said why)."""

    def __init__(self, status: int, message: str, code: Optional[int] = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def to_json(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {"error": self.message}
        if self.code is not None:
            from ...errors import error_name

            body["acl_error"] = {"code": self.code, "name": error_name(self.code)}
        return body


class ImageRejected(RequestError):
    """The client's image: not one, too large, or a kind DVPP does not decode."""


def _format_of(data: bytes) -> Optional[str]:
    if data[:2] == b"\xff\xd8":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIF/AVIF"
    for magic, name in _OTHER_IMAGE_FORMATS:
        if data.startswith(magic):
            return name
    return None


def check_image(data: bytes) -> str:
    """"JPEG" or "PNG", or raise :class:`ImageRejected` (400 empty or not an image, 413 too large, 415 another
    image format). Cheap: only the first bytes are looked at; the decoder checks the rest."""
    if not data:
        raise ImageRejected(400, "empty body: POST the bytes of a JPEG or PNG file")
    if len(data) > MAX_BODY_BYTES:
        raise ImageRejected(413, "the body is %d bytes; the limit is %d (%d MiB)" % (len(data), MAX_BODY_BYTES,
                                                                                  MAX_BODY_BYTES >> 20))
    kind = _format_of(data)
    if kind is None:
        raise ImageRejected(400, "not an image: the body is neither a JPEG nor a PNG file (first bytes %r)"
                            % data[:8])
    if kind not in ("JPEG", "PNG"):
        raise ImageRejected(415, "unsupported image format %s: send JPEG or PNG" % kind)
    return kind


def parse_top(text: str) -> int:
    """The ``top`` query parameter: 1 to 1000 in ASCII digits (int() would also take "1_0", "+5", " 3" and other
    scripts' digits), else 400."""
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 1000):
        raise RequestError(400, "top must be 1 to 1000, got %r" % text)
    return int(text)


def declared_length(value: Optional[str]) -> Optional[int]:
    """A Content-Length header's value when it is a number in ASCII digits ("\u00b2".isdigit() is true too)."""
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def _input_fault(code: int) -> bool:
    """AscendCL codes that blame the data given (parameters, file contents, DVPP's input rules), not the device:
    100000-106999 (ACL_ERROR_INVALID_PARAM...) and 140000-149999 (ACL_ERROR_UNSUPPORTED_JPEG...)."""
    return 100000 <= code < 107000 or 140000 <= code < 150000


def _decode_error(exc: BaseException) -> RequestError:
    from ...errors import AclError

    if isinstance(exc, AclError):
        if exc.code == 148052:  # ACL_ERROR_UNSUPPORTED_JPEG: progressive, arithmetic, CMYK... (docs/DVPP.md)
            return ImageRejected(415, "DVPP does not decode this image: %s" % exc.message, exc.code)
        if _input_fault(exc.code):
            return ImageRejected(400, "the image cannot be decoded: %s" % exc.message, exc.code)
        return RequestError(500, "device error while decoding: %s" % exc.message, exc.code)
    if isinstance(exc, (ValueError, TypeError)):
        return ImageRejected(400, "the image cannot be decoded: %s" % exc)
    return RequestError(500, "%s: %s" % (type(exc).__name__, exc))


def device_error(exc: BaseException, what: str) -> RequestError:
    """A 5xx for a failure of the device's work (the AscendCL code and message when there is one)."""
    from ...errors import AclError

    if isinstance(exc, AclError):
        return RequestError(500, "%s failed on the device: %s" % (what, exc.message or str(exc)), exc.code)
    return RequestError(500, "%s failed: %s: %s" % (what, type(exc).__name__, exc))


def split_into_gears(n: int, gears: Sequence[int]) -> List[int]:
    """Gear sizes that cover ``n`` pictures: the largest gear that fits, repeatedly; the smallest gear above the
    rest when no gear fits (padding, only for models without gear 1)."""
    out: List[int] = []
    ordered = sorted(gears, reverse=True)
    while n > 0:
        g = next((g for g in ordered if g <= n), None)
        if g is None:
            g = min(x for x in gears if x >= n)
        out.append(g)
        n -= min(g, n)
    return out


@dataclass
class _View:
    """A run of pictures at the start of the batch buffer, as Executor takes a device input."""

    buffer: Any
    nbytes: int


class _Lane:
    """What one batch in flight needs of its own: a stream, an executor (device buffers and datasets), a DVPP
    channel, and the DVPP buffer the batch's pictures are packed into."""

    def __init__(self, owner: "BatchClassifier", batch_bytes: int, stack: List[Callable[[], None]]):
        from acllite.dvpp import ImageProcessor
        from acllite.memory import DvppBuffer

        self.stream = owner.device.create_stream()
        stack.append(self.stream.close)
        self.executor = owner.model.executor()
        stack.append(self.executor.close)
        self.processor = ImageProcessor(owner.device)  # no stream: each call waits and releases its temporaries
        stack.append(self.processor.close)
        self.batch_buffer = DvppBuffer(batch_bytes, owner.device)
        stack.append(self.batch_buffer.close)


class BatchClassifier:
    """The replica's resources, created in order on the calling thread and released in reverse by :meth:`close`.

    ``max_batch``: the most pictures per call (default: the model's largest gear; 1 for a model without gears).
    ``lanes``: how many calls may run at once, from as many threads (each lane has its own stream, executor, DVPP
    channel and batch buffer), so that one batch's decoding overlaps another's execution.
    """

    def __init__(self, model_path: Union[str, Path], device_id: int = 0, max_batch: Optional[int] = None,
                 lanes: int = 1):
        import queue

        import acllite

        self._stack: List[Callable[[], None]] = []
        self._stats = threading.Lock()
        try:
            self.runtime = acllite.init()
            self._stack.append(self.runtime.close)
            self.device = acllite.Device(device_id)
            self._stack.append(self.device.close)
            self.model = acllite.Model(model_path, self.device)
            self._stack.append(self.model.close)
            if len(self.model.data_inputs) != 1:
                raise ValueError("the model takes %d inputs; serving needs a single image input"
                                 % len(self.model.data_inputs))
            info = self.model.data_inputs[0]
            if info.dtype != np.uint8 or info.format_name != "NHWC":
                raise ValueError("input '%s' is %s %s %s: the replicas feed YUV420SP pictures, so the model needs "
                                 "AIPP (acllite atc --insert_op_conf)" % (info.name, info.dtype, info.format_name,
                                                                         info.shape))
            self.height, self.width = info.shape[1], info.shape[2]
            self.gears: Tuple[int, ...] = self.model.batch_gears or (1,)
            largest = max(self.gears)
            self.max_batch = min(max_batch or largest, largest) if self.model.batch_gears else 1
            self.sample_bytes = self.width * self.height * 3 // 2
            self._lanes: "queue.Queue[_Lane]" = queue.Queue()
            for _ in range(max(1, lanes)):
                self._lanes.put(_Lane(self, self.sample_bytes * largest, self._stack))
            self.lanes = max(1, lanes)
            from ...demo.efficientnet import imagenet_classes

            self.labels = imagenet_classes()
            self.model_path = str(model_path)
            self.soc = acllite.soc_name()
            self.backend = acllite.backend_info().name
        except BaseException:
            self.close()
            raise
        self.batch_sizes: Counter = Counter()  # requests per call -> calls
        self.gear_runs: Counter = Counter()  # gear -> executions
        self.images = 0
        self.busy_seconds = 0.0  # time spent in calls (decode, resize, copies, execution), summed over the lanes

    def close(self) -> None:
        """Release in reverse order of creation (idempotent)."""
        while self._stack:
            self._stack.pop()()

    def describe(self) -> Dict[str, Any]:
        """The model and what this replica has done (for GET /model)."""
        out = self.model.outputs[0]
        with self._stats:
            counts = {"images": self.images, "busy_seconds": round(self.busy_seconds, 3),
                      "batch_sizes": {str(k): v for k, v in sorted(self.batch_sizes.items())},
                      "gear_runs": {str(k): v for k, v in sorted(self.gear_runs.items())}}
        return dict({
            "model": self.model_path, "soc": self.soc, "backend": self.backend,
            "input": {"name": self.model.data_inputs[0].name, "width": self.width, "height": self.height,
                      "format": "YUV420SP_U8 (AIPP)"},
            "output": {"name": out.name, "classes": int(out.shape[-1])},
            "batch_gears": list(self.gears), "max_batch": self.max_batch, "lanes": self.lanes,
        }, **counts)

    def _picture(self, lane: _Lane, data: bytes) -> Any:
        """Decode and resize one image into a DVPP picture of the model's input size."""
        from acllite.image import PNG, Image

        encoded = Image.from_bytes(data)
        decoded = None
        try:
            decoded = lane.processor.decode_png(encoded) if encoded.format == PNG else \
                lane.processor.decode_jpeg(encoded)
            return lane.processor.resize(decoded, self.width, self.height)
        finally:
            if decoded is not None:
                decoded.close()
            encoded.close()

    def classify_batch(self, images: Sequence[bytes], top: int = 5) -> List[Union[List[Prediction], RequestError]]:
        """Top-``top`` predictions for each image, or the RequestError of the images that failed. A failure of
        the model's execution fails every image of the batch (a RequestError with the AscendCL code). Any thread
        may call; calls beyond ``lanes`` wait for a lane."""
        if len(images) > self.max_batch:
            raise ValueError("%d images in one call; max_batch is %d" % (len(images), self.max_batch))
        lane = self._lanes.get()
        started = time.perf_counter()
        try:
            self.device.make_current()  # this thread's current context (a no-op when it already is)
            results, runs = self._run(lane, images, top)
        finally:
            self._lanes.put(lane)
        with self._stats:
            self.busy_seconds += time.perf_counter() - started
            self.batch_sizes[len(images)] += 1
            self.images += len(images)
            self.gear_runs.update(runs)
        return results

    def _run(self, lane: _Lane, images: Sequence[bytes], top: int) -> Tuple[List[Any], List[int]]:
        from acllite.binding import ffi, lib
        from acllite.errors import check

        results: List[Any] = [None] * len(images)
        runs: List[int] = []
        pictures = []
        try:
            for i, data in enumerate(images):
                try:
                    pictures.append((i, self._picture(lane, data)))
                except Exception as exc:  # this image only
                    results[i] = _decode_error(exc)
            try:
                base = ffi.cast("char *", lane.batch_buffer._c())
                done = 0
                for gear in split_into_gears(len(pictures), self.gears):
                    run = pictures[done:done + gear]
                    for slot, (_, picture) in enumerate(run):
                        check(lib.aclrtMemcpyAsync(base + slot * self.sample_bytes, self.sample_bytes, picture._c(),
                                                   self.sample_bytes, lib.ACL_MEMCPY_DEVICE_TO_DEVICE,
                                                   lane.stream.handle), "aclrtMemcpyAsync")
                    (logits,) = lane.executor.execute_async([_View(lane.batch_buffer, gear * self.sample_bytes)],
                                                            lane.stream).wait()
                    runs.append(gear)
                    for slot, (i, _) in enumerate(run):
                        results[i] = self._top(logits[slot], top)
                    done += len(run)
            except Exception as exc:
                failure = device_error(exc, "the model's execution")
                logger.error("batch of %d failed: %s", len(images), failure.message)
                for i, _ in pictures:
                    results[i] = failure
        finally:
            for _, picture in pictures:
                picture.close()
        return results, runs

    def _top(self, logits: np.ndarray, top: int) -> List[Prediction]:
        probs = softmax(logits.reshape(-1))
        best = np.argsort(-probs)[:top]
        return [Prediction(int(i), float(probs[i]), self.labels[i] if i < len(self.labels) else "?") for i in best]
