"""Video: H.264/H.265 decoding with DVPP's VDEC into DVPP :class:`~acllite.image.Image` objects, encoding with
VENC, and a :class:`Demuxer` that takes the video stream out of a container with PyAV (VDEC takes elementary
streams: one Annex-B access unit per frame).

A :class:`VideoDecoder` owns a VDEC channel and the thread that runs its callbacks (``aclrtProcessReport`` in a
loop, as VDEC requires); each frame sent gets an input copy in DVPP memory and an output picture in DVPP memory of
the stream's size (NV12 by default, width stride aligned to 16, height stride to 2), which the :class:`Frame` it
comes back as owns. ``close()`` (or the end of a ``with`` block) destroys the channel after every frame sent has
come back, then stops the thread. Frames not wanted can be skipped (``aclvdecSendSkippedFrame``): they are decoded
(later frames need them) but not written, and come back with ``image`` None.

PyAV is needed only by :class:`Demuxer` (``pip install 'acllite[video]'``); on the emulator it is also what
decodes (the emulator's VDEC runs FFmpeg's decoders).
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Deque, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import numpy as np

from ._native import ffi, lib
from .errors import check
from .image import DVPP, Image, PixelFormat, align
from .memory import DvppBuffer

__all__ = ["Packet", "Frame", "Demuxer", "VideoDecoder", "VideoEncoder", "STREAM_FORMATS"]

logger = logging.getLogger("acllite.video")

#: codec name -> acldvppStreamFormat (H.264 takes its profile: baseline, main or high)
STREAM_FORMATS = {"h265": lib.H265_MAIN_LEVEL, "hevc": lib.H265_MAIN_LEVEL, "h264": lib.H264_HIGH_LEVEL,
                  "h264-baseline": lib.H264_BASELINE_LEVEL, "h264-main": lib.H264_MAIN_LEVEL,
                  "h264-high": lib.H264_HIGH_LEVEL}


@dataclass
class Packet:
    """One access unit of an elementary stream (Annex-B), with its presentation time in seconds when known."""

    data: bytes
    time: Optional[float] = None


@dataclass
class Frame:
    """A decoded frame: its number in display order (skipped frames count), its time (of the access unit it came
    from), the picture (None when skipped or when decoding failed), VDEC's return code (0: decoded) and the number
    of the access unit in the order they were sent."""

    index: int
    time: Optional[float]
    image: Optional[Image]
    ret_code: int
    sent: int = -1

    def close(self) -> None:
        if self.image is not None:
            self.image.close()


# ------------------------------------------------------------------------------------------------ demuxing


class Demuxer:
    """The video stream of a container (MP4, MKV, ...) or of a raw ``.h264``/``.h265`` file, as Annex-B access
    units, with PyAV. ``source``: a path, bytes, or a binary file object.

    ``codec`` ("h264" or "hevc"), ``width``, ``height`` and ``fps`` describe the stream."""

    def __init__(self, source: Union[str, "os.PathLike[str]", bytes, Any]):
        import io

        import av

        self._av = av
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(bytes(source))
        fmt = None
        name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else ""
        if name.endswith((".h264", ".264")):
            fmt = "h264"
        elif name.endswith((".h265", ".265", ".hevc")):
            fmt = "hevc"
        self._container = av.open(source, "r", format=fmt)
        streams = self._container.streams.video
        if not streams:
            self._container.close()
            raise ValueError("%s has no video stream" % (name or "the data"))
        self._stream = streams[0]
        cc = self._stream.codec_context
        self.codec = cc.name if cc.name in ("h264", "hevc") else cc.name
        if self.codec not in ("h264", "hevc"):
            self._container.close()
            raise ValueError("the video stream is %s: VDEC decodes H.264 and H.265" % self.codec)
        self.width, self.height = cc.width, cc.height
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = float(rate) if rate else None
        extradata = cc.extradata or b""
        annexb = not extradata or extradata[:4] == b"\x00\x00\x00\x01" or extradata[:3] == b"\x00\x00\x01"
        self._filter = None if annexb else av.BitStreamFilterContext(
            "h264_mp4toannexb" if self.codec == "h264" else "hevc_mp4toannexb", self._stream)

    def packets(self) -> Iterator[Packet]:
        """Every access unit, in decoding order."""
        tb = self._stream.time_base
        for p in self._container.demux(self._stream):
            if p.size == 0:
                continue
            out = self._filter.filter(p) if self._filter is not None else [p]
            for q in out:
                t = float(q.pts * tb) if q.pts is not None and tb is not None else None
                yield Packet(bytes(q), t)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> "Demuxer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ------------------------------------------------------------------------------------------- report threads


class _ReportThread:
    """A thread that runs report callbacks (aclrtProcessReport in a loop) until stopped."""

    def __init__(self, name: str):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        assert self._thread.ident is not None
        self.ident: int = self._thread.ident  # pthread_self() of the thread: what VDEC/VENC take as its id

    def _run(self) -> None:
        while not self._stop.is_set():
            rc = lib.aclrtProcessReport(50)
            if rc not in (0, lib.ACL_ERROR_WAIT_CALLBACK_TIMEOUT):
                self._stop.wait(0.01)  # no stream subscribed yet (or any more)

    def stop(self) -> None:
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()


# ------------------------------------------------------------------------------------------------ decoding


class VideoDecoder:
    """VDEC on one channel: access units in, DVPP pictures out (:class:`Frame`).

    Parameters
    ----------
    device:
        the :class:`~acllite.runtime.Device`.
    width, height:
        the stream's size (a :class:`Demuxer` tells it): the size of the output pictures.
    codec:
        "h264" (or "h264-baseline"/"h264-main"/"h264-high") or "h265"/"hevc".
    format:
        NV12 or NV21.
    channel_id:
        the VDEC channel (0..31 on Ascend310, 0..255 on newer SoCs; None: the first free one).
    """

    _used_ids: Dict[int, set] = collections.defaultdict(set)
    _ids_lock = threading.Lock()

    def __init__(self, device: Any, width: int, height: int, codec: str = "h264",
                 format: PixelFormat = PixelFormat.NV12, channel_id: Optional[int] = None):
        if codec not in STREAM_FORMATS:
            raise ValueError("codec %r: one of %s" % (codec, ", ".join(sorted(STREAM_FORMATS))))
        self.device, self.width, self.height, self.format = device, int(width), int(height), PixelFormat(format)
        self.width_stride = max(align(self.width & ~1, 16), 32)
        self.height_stride = align(self.height & ~1, 2)
        self.frame_bytes = self.width_stride * self.height_stride * 3 // 2
        self._pending: Dict[int, Tuple[Any, Any, DvppBuffer, Optional[DvppBuffer], Optional[float]]] = {}
        self._ready: Deque[Frame] = collections.deque()
        self._lock = threading.Lock()
        self._keys = itertools.count()
        self._failed: Optional[BaseException] = None
        self._shown = 0
        device.make_current()
        self._reporter = _ReportThread("acllite-vdec")
        self._callback = ffi.callback("aclvdecCallback", self._on_frame)
        desc = lib.aclvdecCreateChannelDesc()
        if desc == ffi.NULL:
            self._reporter.stop()
            check(lib.ACL_ERROR_BAD_ALLOC, "aclvdecCreateChannelDesc")
        self._desc = desc
        self._channel_id = self._take_id(channel_id)
        try:
            for fn, name, value in ((lib.aclvdecSetChannelDescChannelId, "aclvdecSetChannelDescChannelId",
                                     self._channel_id),
                                    (lib.aclvdecSetChannelDescThreadId, "aclvdecSetChannelDescThreadId",
                                     self._reporter.ident),
                                    (lib.aclvdecSetChannelDescCallback, "aclvdecSetChannelDescCallback",
                                     self._callback),
                                    (lib.aclvdecSetChannelDescEnType, "aclvdecSetChannelDescEnType",
                                     STREAM_FORMATS[codec]),
                                    (lib.aclvdecSetChannelDescOutPicFormat, "aclvdecSetChannelDescOutPicFormat",
                                     int(self.format))):
                check(fn(desc, value), name)
            check(lib.aclvdecCreateChannel(desc), "aclvdecCreateChannel")
        except BaseException:
            lib.aclvdecDestroyChannelDesc(desc)
            self._release_id()
            self._reporter.stop()
            raise
        self._eos = lib.acldvppCreateStreamDesc()
        lib.acldvppSetStreamDescEos(self._eos, 1)
        # (the finalizer holds the C callback, which holds this object: close() releases it, or the interpreter's
        # exit does; a channel is never destroyed by the collector while a frame may still call back)
        self._finalizer = weakref.finalize(self, VideoDecoder._shut, desc, self._eos, self._reporter,
                                           self._channel_id, device.id, self._callback)
        self.sent = 0

    # -- channel ids ------------------------------------------------------------------------------------------
    def _take_id(self, wanted: Optional[int]) -> int:
        with VideoDecoder._ids_lock:
            used = VideoDecoder._used_ids[self.device.id]
            cid = wanted if wanted is not None else next(i for i in itertools.count() if i not in used)
            self._owns_id = cid not in used  # a wanted id another decoder holds stays that decoder's
            used.add(cid)
            return cid

    def _release_id(self) -> None:
        if self._owns_id:
            with VideoDecoder._ids_lock:
                VideoDecoder._used_ids[self.device.id].discard(self._channel_id)

    @staticmethod
    def _shut(desc: Any, eos: Any, reporter: _ReportThread, cid: int, device: int, _callback: Any) -> None:
        lib.aclvdecDestroyChannel(desc)  # waits for every frame's callback (the reporter still runs them)
        reporter.stop()
        lib.aclvdecDestroyChannelDesc(desc)
        lib.acldvppDestroyStreamDesc(eos)
        with VideoDecoder._ids_lock:
            VideoDecoder._used_ids[device].discard(cid)

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Destroy the channel once every frame sent has come back; frames not collected are released."""
        if self._finalizer.alive:
            self._finalizer()
            for f in self._ready:
                f.close()
            self._ready.clear()

    def __enter__(self) -> "VideoDecoder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- frames -----------------------------------------------------------------------------------------------
    def _on_frame(self, stream_desc: Any, pic_desc: Any, user_data: Any) -> None:
        """The VDEC callback (on the report thread): the frame's picture becomes an Image, its input is freed."""
        try:
            key = int(ffi.cast("uintptr_t", user_data))
            with self._lock:
                sd, pd, inbuf, outbuf, t = self._pending.pop(key)
            image = None
            rc = 0
            if pd is not None:
                rc = int(lib.acldvppGetPicDescRetCode(pd))
                if rc == 0:
                    image = Image(outbuf, PixelFormat(int(lib.acldvppGetPicDescFormat(pd))),
                                  lib.acldvppGetPicDescWidth(pd), lib.acldvppGetPicDescHeight(pd),
                                  lib.acldvppGetPicDescWidthStride(pd), lib.acldvppGetPicDescHeightStride(pd),
                                  owns=True)
                elif outbuf is not None:
                    outbuf.close()
                lib.acldvppDestroyPicDesc(pd)
            lib.acldvppDestroyStreamDesc(sd)
            inbuf.close()
            with self._lock:
                self._ready.append(Frame(self._shown, t, image, rc, key))
                self._shown += 1
        except BaseException as exc:  # noqa: BLE001 - nothing may cross into C
            logger.exception("VDEC callback")
            self._failed = exc

    def send(self, data: Union[bytes, Packet], time: Optional[float] = None, skip: bool = False) -> int:
        """Send one access unit (``skip``: decode it without writing a picture); returns its frame index."""
        if self.closed:
            raise ValueError("the VideoDecoder is closed")
        if isinstance(data, Packet):
            if time is None:
                time = data.time
            data = data.data
        raw = np.frombuffer(bytes(data), np.uint8)
        if raw.size == 0:
            raise ValueError("an empty access unit")
        inbuf = DvppBuffer(raw.size, self.device)
        outbuf = pd = sd = None
        try:
            inbuf.copy_from(raw)
            sd = lib.acldvppCreateStreamDesc()
            check(lib.acldvppSetStreamDescData(sd, inbuf._c()), "acldvppSetStreamDescData")
            check(lib.acldvppSetStreamDescSize(sd, raw.size), "acldvppSetStreamDescSize")
            if not skip:
                outbuf = DvppBuffer(self.frame_bytes, self.device)
                pd = lib.acldvppCreatePicDesc()
                check(lib.acldvppSetPicDescData(pd, outbuf._c()), "acldvppSetPicDescData")
                check(lib.acldvppSetPicDescSize(pd, self.frame_bytes), "acldvppSetPicDescSize")
                check(lib.acldvppSetPicDescFormat(pd, int(self.format)), "acldvppSetPicDescFormat")
            key = next(self._keys)
            with self._lock:
                self._pending[key] = (sd, pd, inbuf, outbuf, time)
            ud = ffi.cast("void *", key)
            rc = lib.aclvdecSendSkippedFrame(self._desc, sd, ffi.NULL, ud) if skip else \
                lib.aclvdecSendFrame(self._desc, sd, pd, ffi.NULL, ud)
            if rc:
                with self._lock:
                    self._pending.pop(key, None)
                check(rc, "aclvdecSendSkippedFrame" if skip else "aclvdecSendFrame")
        except BaseException:
            inbuf.close()
            if outbuf is not None:
                outbuf.close()
            if pd is not None:
                lib.acldvppDestroyPicDesc(pd)
            if sd is not None:
                lib.acldvppDestroyStreamDesc(sd)
            raise
        self.sent += 1
        return key

    def ready(self) -> List[Frame]:
        """The frames that have come back since the last call, in display order."""
        with self._lock:
            out = list(self._ready)
            self._ready.clear()
        return out

    def flush(self) -> List[Frame]:
        """End of stream: every frame sent comes back (returned with the others not yet collected)."""
        check(lib.aclvdecSendFrame(self._desc, self._eos, ffi.NULL, ffi.NULL, ffi.NULL), "aclvdecSendFrame (eos)")
        return self.ready()

    def decode(self, packets: Iterable[Union[bytes, Packet]], every: int = 1) -> Iterator[Frame]:
        """Decode a sequence of access units; yields frames in display order as they come (every ``every``-th
        frame written, the others skipped and not yielded), then the rest at the end of the stream."""
        for i, p in enumerate(packets):
            self.send(p, skip=every > 1 and i % every != 0)
            for f in self.ready():
                if f.image is not None or f.ret_code:
                    yield f
        for f in self.flush():
            if f.image is not None or f.ret_code:
                yield f


# ------------------------------------------------------------------------------------------------ encoding


class VideoEncoder:
    """VENC on one channel: NV12/NV21 DVPP pictures in, access units (bytes) out.

    ``codec``: "h264" (high profile; or "h264-baseline"/"h264-main") or "h265"; ``bit_rate`` in kbit/s (0: the
    encoder's default), ``rc_mode`` 0 default, 1 VBR, 2 CBR."""

    def __init__(self, device: Any, width: int, height: int, codec: str = "h264",
                 format: PixelFormat = PixelFormat.NV12, key_frame_interval: int = 30, bit_rate: int = 0,
                 rc_mode: int = 0, frame_rate: int = 25):
        self.device, self.width, self.height, self.format = device, int(width), int(height), PixelFormat(format)
        self._packets: Deque[Tuple[int, bytes]] = collections.deque()
        self._pending: Dict[int, Any] = {}
        self._lock = threading.Lock()
        self._keys = itertools.count()
        device.make_current()
        self._reporter = _ReportThread("acllite-venc")
        self._callback = ffi.callback("aclvencCallback", self._on_packet)
        desc = lib.aclvencCreateChannelDesc()
        try:
            for fn, name, value in ((lib.aclvencSetChannelDescThreadId, "aclvencSetChannelDescThreadId",
                                     self._reporter.ident),
                                    (lib.aclvencSetChannelDescCallback, "aclvencSetChannelDescCallback",
                                     self._callback),
                                    (lib.aclvencSetChannelDescEnType, "aclvencSetChannelDescEnType",
                                     STREAM_FORMATS[codec]),
                                    (lib.aclvencSetChannelDescPicFormat, "aclvencSetChannelDescPicFormat",
                                     int(self.format)),
                                    (lib.aclvencSetChannelDescPicWidth, "aclvencSetChannelDescPicWidth", self.width),
                                    (lib.aclvencSetChannelDescPicHeight, "aclvencSetChannelDescPicHeight",
                                     self.height),
                                    (lib.aclvencSetChannelDescKeyFrameInterval,
                                     "aclvencSetChannelDescKeyFrameInterval", key_frame_interval),
                                    (lib.aclvencSetChannelDescMaxBitRate, "aclvencSetChannelDescMaxBitRate", bit_rate),
                                    (lib.aclvencSetChannelDescRcMode, "aclvencSetChannelDescRcMode", rc_mode),
                                    (lib.aclvencSetChannelDescSrcRate, "aclvencSetChannelDescSrcRate", frame_rate)):
                check(fn(desc, value), name)
            check(lib.aclvencCreateChannel(desc), "aclvencCreateChannel")
        except BaseException:
            lib.aclvencDestroyChannelDesc(desc)
            self._reporter.stop()
            raise
        self._desc = desc
        self._config = lib.aclvencCreateFrameConfig()
        self._finalizer = weakref.finalize(self, VideoEncoder._shut, desc, self._config, self._reporter,
                                           self._callback)

    @staticmethod
    def _shut(desc: Any, config: Any, reporter: _ReportThread, _callback: Any) -> None:
        lib.aclvencDestroyChannel(desc)
        reporter.stop()
        lib.aclvencDestroyChannelDesc(desc)
        lib.aclvencDestroyFrameConfig(config)

    def close(self) -> None:
        if self._finalizer.alive:
            self._finalizer()

    def __enter__(self) -> "VideoEncoder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _on_packet(self, pic_desc: Any, stream_desc: Any, user_data: Any) -> None:
        try:
            key = int(ffi.cast("uintptr_t", user_data))
            with self._lock:
                entry = self._pending.pop(key, None)
            size = int(lib.acldvppGetStreamDescSize(stream_desc))
            data = b""
            if size and lib.acldvppGetStreamDescRetCode(stream_desc) == 0:
                host = np.empty(size, np.uint8)
                check(lib.aclrtMemcpy(ffi.from_buffer(host), size, lib.acldvppGetStreamDescData(stream_desc), size,
                                      lib.ACL_MEMCPY_DEVICE_TO_HOST), "aclrtMemcpy")
                data = host.tobytes()
            if entry is not None:
                lib.acldvppDestroyPicDesc(entry[0])
            with self._lock:
                self._packets.append((key, data))
        except BaseException:  # noqa: BLE001
            logger.exception("VENC callback")

    def encode(self, image: Image, force_key_frame: bool = False) -> List[bytes]:
        """Queue one picture (in DVPP memory, the channel's format and size; keep it open until its packet is back,
        at the latest after :meth:`flush`); returns the packets ready so far."""
        if image.memory != DVPP:
            raise ValueError("VENC reads DVPP memory; the image is in %s memory" % image.memory)
        pd = lib.acldvppCreatePicDesc()
        key = next(self._keys)
        try:
            for fn, name, value in ((lib.acldvppSetPicDescData, "acldvppSetPicDescData", image._c()),
                                    (lib.acldvppSetPicDescSize, "acldvppSetPicDescSize", image.nbytes),
                                    (lib.acldvppSetPicDescFormat, "acldvppSetPicDescFormat", int(image.format)),
                                    (lib.acldvppSetPicDescWidth, "acldvppSetPicDescWidth", image.width),
                                    (lib.acldvppSetPicDescHeight, "acldvppSetPicDescHeight", image.height),
                                    (lib.acldvppSetPicDescWidthStride, "acldvppSetPicDescWidthStride",
                                     image.width_stride),
                                    (lib.acldvppSetPicDescHeightStride, "acldvppSetPicDescHeightStride",
                                     image.height_stride)):
                check(fn(pd, value), name)
            with self._lock:
                self._pending[key] = (pd, image)  # the image stays referenced until its packet is back
            check(lib.aclvencSetFrameConfigForceIFrame(self._config, 1 if force_key_frame else 0),
                  "aclvencSetFrameConfigForceIFrame")
            check(lib.aclvencSendFrame(self._desc, pd, ffi.NULL, self._config, ffi.cast("void *", key)),
                  "aclvencSendFrame")
        except BaseException:  # not sent: the description is this call's to release
            with self._lock:
                self._pending.pop(key, None)
            lib.acldvppDestroyPicDesc(pd)
            raise
        return self._take()

    def flush(self) -> List[bytes]:
        """End of stream: every packet (returned with the others not yet collected)."""
        check(lib.aclvencSetFrameConfigEos(self._config, 1), "aclvencSetFrameConfigEos")
        check(lib.aclvencSendFrame(self._desc, ffi.NULL, ffi.NULL, self._config, ffi.NULL), "aclvencSendFrame (eos)")
        check(lib.aclvencSetFrameConfigEos(self._config, 0), "aclvencSetFrameConfigEos")
        return self._take()

    def _take(self) -> List[bytes]:
        with self._lock:
            out = [d for _k, d in sorted(self._packets)]
            self._packets.clear()
        return out
