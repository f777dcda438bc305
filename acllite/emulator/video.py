"""The emulator's video codec on PyAV (registered by :func:`acllite.emulator.start` when PyAV is installed).

The emulator's C side (csrc/emu/dvpp_vdec.c, dvpp_venc.c) owns VDEC/VENC channels, every documented limit, the
frame bookkeeping, the decoding threads and the report-thread callbacks, and it writes each decoded picture into
the caller's DVPP buffer itself (strides, NV12/NV21 interleaving, 10-bit to 8-bit, scaling). What is left here is
the bitstream coding, done by FFmpeg through PyAV: its H.264 and H.265 decoders, and libx264/libx265 for encoding.

A decoder gets one access unit per call, tagged with the frame's number (the packet's pts), and hands every
picture FFmpeg completes to ``acllite_emu_video_put_picture`` by plane address, with the tag FFmpeg carried
through its reordering: no copy is made here. An encoder gets NV12/NV21 planes by address and hands back every
packet with the tag of its picture. PyAV is imported on the first call. The callbacks run on the channels'
threads (cffi takes the GIL), through the one wrapper of the emulator's callbacks (:mod:`._extern`); they never call
AscendCL.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any, Dict, Optional

import numpy as np

from .._acl_cffi import ffi, lib
from ._extern import extern

logger = logging.getLogger("acllite.emulator")

ACL_ERROR_INVALID_PARAM = 100000
ACL_ERROR_API_NOT_SUPPORT = 200001
ACL_ERROR_INTERNAL_ERROR = 500000
#: the layouts of acllite_emu_video_put_picture
I420, I420_10, OTHER = 1, 2, 3
CORRUPT, INTERLACED = 1, 2
_LAYOUTS = {"yuv420p": I420, "yuvj420p": I420, "yuv420p10le": I420_10}
#: FFmpeg's profile names -> the numbers the bitstream carries (H.264 profile_idc with FFmpeg's constraint flag,
#: H.265 general_profile_idc), which the emulator checks against what VDEC decodes.
_H264_PROFILES = {"Baseline": 66, "Constrained Baseline": 578, "Main": 77, "Extended": 88, "High": 100,
                  "High 10": 110, "High 4:2:2": 122, "High 4:4:4 Predictive": 244, "High 10 Intra": 2158,
                  "High 4:2:2 Intra": 2170, "High 4:4:4 Intra": 2292, "CAVLC 4:4:4": 44}
_HEVC_PROFILES = {"Main": 1, "Main 10": 2, "Main Still Picture": 3, "Rext": 4, "Format Range Extensions": 4}
#: acldvppStreamFormat -> (encoder, its profile option)
_ENCODERS = {0: ("libx265", "main"), 1: ("libx264", "baseline"), 2: ("libx264", "main"), 3: ("libx264", "high")}

_av: Any = None
_lock = threading.Lock()
_ids = itertools.count(1)
_decoders: Dict[int, "_Decoder"] = {}
_encoders: Dict[int, "_Encoder"] = {}
_put_picture = lib.acllite_emu_video_put_picture
_put_packet = lib.acllite_emu_video_put_packet


def available() -> bool:
    """Whether PyAV can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("av") is not None


def _module() -> Any:
    global _av
    if _av is None:
        import av

        av.logging.set_level(av.logging.PANIC)  # FFmpeg's own complaints about corrupt frames: the emulator says it
        _av = av
    return _av


def _fail(message: Any, message_len: int, code: int, text: str) -> int:
    data = text.encode("utf-8", "replace")[: max(message_len - 1, 0)]
    if message_len:
        ffi.memmove(message, data, len(data))
        message[len(data)] = b"\0"
    return code


class _Decoder:
    def __init__(self, codec: int, low_delay: bool):
        self.name = "hevc" if codec == 1 else "h264"
        self.low_delay = low_delay
        self.ctx = self._open()

    def _open(self) -> Any:
        ctx = _module().CodecContext.create(self.name, "r")
        ctx.thread_type = "SLICE"  # no frame threading: it would hold pictures back and blur which frame failed
        if self.low_delay:
            ctx.flags |= _module().codec.context.Flags.low_delay
        return ctx

    def decode(self, data: Any, size: int, tag: int, sink: Any) -> None:
        av = _module()
        if data == ffi.NULL:  # end of stream: every pending picture, then ready for a new stream
            frames = self.ctx.decode(None)
            self._deliver(frames, sink)
            self.ctx = self._open()
            return
        packet = av.Packet(ffi.buffer(data, size))
        packet.pts = tag
        self._deliver(self.ctx.decode(packet), sink)

    def _deliver(self, frames: Any, sink: Any) -> None:
        profiles = _HEVC_PROFILES if self.name == "hevc" else _H264_PROFILES
        profile = profiles.get(self.ctx.profile or "", -99)
        for f in frames:
            layout = _LAYOUTS.get(f.format.name, OTHER)
            flags = (CORRUPT if f.is_corrupt else 0) | (INTERLACED if f.interlaced_frame else 0)
            tag = f.pts if f.pts is not None else -1
            if layout == OTHER or len(f.planes) < 3:
                null = ffi.NULL
                _put_picture(sink, tag, f.width, f.height, OTHER, profile, flags, null, 0, null, 0, null, 0)
                continue
            p = f.planes
            rc = _put_picture(sink, tag, f.width, f.height, layout, profile, flags,
                              ffi.from_buffer(p[0]), p[0].line_size, ffi.from_buffer(p[1]), p[1].line_size,
                              ffi.from_buffer(p[2]), p[2].line_size)
            if rc:
                raise RuntimeError("the emulator refused a picture (%d)" % rc)


class _Encoder:
    def __init__(self, stream_format: int, width: int, height: int, gop: int, rc_mode: int, bit_rate: int,
                 frame_rate: int):
        av = _module()
        from fractions import Fraction

        name, profile = _ENCODERS[stream_format]
        ctx = av.CodecContext.create(name, "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = Fraction(1, frame_rate)
        ctx.framerate = Fraction(frame_rate, 1)
        ctx.gop_size = gop
        options = {"preset": "veryfast", "tune": "zerolatency", "profile": profile}
        if name == "libx264":
            options["forced-idr"] = "1"
        else:
            # closed GOPs: every key frame an IDR, as the device's encoder makes them (x265 defaults to open GOPs: CRA)
            options["x265-params"] = "log-level=error:repeat-headers=1:open-gop=0"
        if bit_rate:
            ctx.bit_rate = bit_rate * 1000
            if rc_mode == 2:  # CBR: the rate is held (HRD buffer of one second)
                options.update({"maxrate": str(bit_rate * 1000), "minrate": str(bit_rate * 1000),
                                "bufsize": str(bit_rate * 1000)})
            else:
                options.update({"maxrate": str(bit_rate * 1000), "bufsize": str(bit_rate * 2000)})
        ctx.options = options
        ctx.open()
        self.ctx, self.width, self.height = ctx, width, height

    def encode(self, y: Any, y_stride: int, uv: Any, uv_stride: int, v_first: bool, force_key: bool, tag: int,
               sink: Any) -> None:
        av = _module()
        if y == ffi.NULL:
            packets = self.ctx.encode(None)
        else:
            w, h = self.width, self.height
            luma = np.frombuffer(ffi.buffer(y, y_stride * h), np.uint8).reshape(h, y_stride)[:, :w]
            chroma = np.frombuffer(ffi.buffer(uv, uv_stride * (h // 2)), np.uint8).reshape(h // 2, uv_stride)
            pairs = chroma[:, :w].reshape(h // 2, w // 2, 2)
            u, v = (pairs[..., 1], pairs[..., 0]) if v_first else (pairs[..., 0], pairs[..., 1])
            frame = av.VideoFrame.from_ndarray(_i420(luma, u, v), format="yuv420p")
            frame.pts = tag
            if force_key:
                frame.pict_type = av.video.frame.PictureType.I
            packets = self.ctx.encode(frame)
        for p in packets:
            data = bytes(p)
            rc = _put_packet(sink, p.pts if p.pts is not None else -1, ffi.from_buffer(data), len(data),
                             1 if p.is_keyframe else 0)
            if rc:
                raise RuntimeError("the emulator refused a packet (%d)" % rc)


def _i420(luma: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The (h * 3 // 2, w) array PyAV takes for yuv420p: the three planes one after the other."""
    h, w = luma.shape
    flat = np.concatenate([luma.reshape(-1), np.ascontiguousarray(u).reshape(-1), np.ascontiguousarray(v).reshape(-1)])
    return flat.reshape(h * 3 // 2, w)


@extern(ACL_ERROR_INTERNAL_ERROR, "opening a video decoder failed", ACL_ERROR_INVALID_PARAM)
def acllite_py_video_decoder_open(codec, low_delay, decoder, message, message_len):
    try:
        d = _Decoder(int(codec), bool(low_delay))
    except ImportError as exc:
        return _fail(message, message_len, ACL_ERROR_API_NOT_SUPPORT,
                     "PyAV is not installed (pip install 'acllite[video]'): %s" % exc)
    except Exception as exc:
        return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "%s: %s" % (type(exc).__name__, exc))
    with _lock:
        key = next(_ids)
        _decoders[key] = d
    decoder[0] = key
    return 0


@extern(ACL_ERROR_INTERNAL_ERROR, "video decoding failed", ACL_ERROR_INVALID_PARAM)
def acllite_py_video_decode(decoder, data, size, tag, sink, message, message_len):
    try:
        with _lock:
            d = _decoders[int(decoder)]
        d.decode(data, int(size), int(tag), sink)
        return 0
    except Exception as exc:  # a callback must not raise into C; the frame is refused, the channel goes on
        return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "%s: %s" % (type(exc).__name__, exc))


@extern(None, "closing a video decoder failed")
def acllite_py_video_decoder_close(decoder):
    try:
        with _lock:
            _decoders.pop(int(decoder), None)
    except Exception:  # noqa: BLE001  (nothing may cross into C)
        logger.exception("closing a video decoder")


@extern(ACL_ERROR_INTERNAL_ERROR, "opening a video encoder failed", ACL_ERROR_INVALID_PARAM)
def acllite_py_video_encoder_open(stream_format, width, height, gop, rc_mode, bit_rate, frame_rate,
                                  encoder, message, message_len):
    try:
        e = _Encoder(int(stream_format), int(width), int(height), int(gop), int(rc_mode), int(bit_rate),
                     int(frame_rate))
    except ImportError as exc:
        return _fail(message, message_len, ACL_ERROR_API_NOT_SUPPORT,
                     "PyAV is not installed (pip install 'acllite[video]'): %s" % exc)
    except Exception as exc:
        return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "%s: %s" % (type(exc).__name__, exc))
    with _lock:
        key = next(_ids)
        _encoders[key] = e
    encoder[0] = key
    return 0


@extern(ACL_ERROR_INTERNAL_ERROR, "video encoding failed", ACL_ERROR_INVALID_PARAM)
def acllite_py_video_encode(encoder, y, y_stride, uv, uv_stride, v_first, force_key, tag, sink,
                            message, message_len):
    try:
        with _lock:
            e = _encoders[int(encoder)]
        e.encode(y, int(y_stride), uv, int(uv_stride), bool(v_first), bool(force_key), int(tag), sink)
        return 0
    except Exception as exc:
        return _fail(message, message_len, ACL_ERROR_INVALID_PARAM, "%s: %s" % (type(exc).__name__, exc))


@extern(None, "closing a video encoder failed")
def acllite_py_video_encoder_close(encoder):
    try:
        with _lock:
            _encoders.pop(int(encoder), None)
    except Exception:  # noqa: BLE001
        logger.exception("closing a video encoder")


def register() -> Optional[Any]:
    """Hand the codec to the emulator when PyAV is installed; returns the table (the emulator copies it), or None
    (VDEC/VENC then answer ACL_ERROR_API_NOT_SUPPORT saying what to install)."""
    if not available():
        logger.debug("PyAV is not installed: VDEC/VENC are not available (pip install 'acllite[video]')")
        return None
    table = ffi.new("acllite_emu_video_codec *")
    table.decoderOpen = lib.acllite_py_video_decoder_open
    table.decode = lib.acllite_py_video_decode
    table.decoderClose = lib.acllite_py_video_decoder_close
    table.encoderOpen = lib.acllite_py_video_encoder_open
    table.encode = lib.acllite_py_video_encode
    table.encoderClose = lib.acllite_py_video_encoder_close
    lib.acllite_emu_set_video_codec(table)
    logger.debug("video codec registered (PyAV)")
    return table
