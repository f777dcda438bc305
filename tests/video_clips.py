"""Test video made in the test: H.264/H.265 elementary streams encoded with PyAV, split into access units with
FFmpeg's parser, and PyAV's own decode of them (the reference the emulator's VDEC is compared with)."""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Dict, List, Optional, Tuple

import numpy as np

av = __import__("pytest").importorskip("av", reason="PyAV is not installed (pip install 'acllite[video]')")


def pattern(width: int, height: int, index: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A moving gradient with texture: Y (h, w), U and V (h/2, w/2), uint8."""
    yy, xx = np.mgrid[0:height, 0:width]
    y = ((xx * 3 + yy * 2 + index * 9) % 256 + ((xx // 8 + yy // 8 + index) % 2) * 40) % 256
    cy, cx = np.mgrid[0:height // 2, 0:width // 2]
    u = (cx * 2 + index * 5) % 256
    v = (cy * 3 + 128 + index * 3) % 256
    return y.astype(np.uint8), u.astype(np.uint8), v.astype(np.uint8)


def encode(codec: str = "h264", width: int = 320, height: int = 240, frames: int = 12, bframes: int = 2,
           pix_fmt: str = "yuv420p", options: Optional[Dict[str, str]] = None, gop: int = 12) -> bytes:
    """An Annex-B elementary stream (codec 'h264' or 'hevc') of the test pattern."""
    name = {"h264": "libx264", "hevc": "libx265"}[codec]
    buf = io.BytesIO()
    with av.open(buf, "w", format=codec) as out:
        s = out.add_stream(name, rate=25)
        s.width, s.height, s.pix_fmt = width, height, pix_fmt
        opts = {"preset": "ultrafast" if bframes == 0 else "veryfast", "g": str(gop), "bf": str(bframes)}
        if name == "libx265":
            opts = {"preset": "ultrafast", "x265-params": "log-level=error:bframes=%d:keyint=%d" % (bframes, gop)}
        opts.update(options or {})
        s.codec_context.options = opts
        s.codec_context.time_base = Fraction(1, 25)
        for i in range(frames):
            y, u, v = pattern(width, height, i)
            if pix_fmt == "yuv420p10le":
                planes = [p.astype(np.uint16) * 4 for p in (y, u, v)]
                flat = np.concatenate([p.reshape(-1) for p in planes]).view(np.uint8)
                f = av.VideoFrame(width, height, pix_fmt)
                for k, p in enumerate(planes):
                    dst = np.frombuffer(f.planes[k], np.uint8).reshape(p.shape[0], -1)
                    dst[:, : p.shape[1] * 2] = p.view(np.uint8).reshape(p.shape[0], -1)
                del flat
            else:
                f = av.VideoFrame.from_ndarray(np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)])
                                               .reshape(height * 3 // 2, width), format="yuv420p")
            f.pts = i
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    return buf.getvalue()


def access_units(stream: bytes, codec: str = "h264") -> List[bytes]:
    """The stream split into one access unit per frame, as a program feeding VDEC splits it."""
    parser = av.CodecContext.create(codec, "r")
    return [bytes(p) for p in list(parser.parse(stream)) + list(parser.parse(None))]


def reference(units: List[bytes], codec: str = "h264") -> List[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """PyAV's own decode, in display order: (Y, U, V) planes without padding (8-bit; 10-bit rounded to 8)."""
    dec = av.CodecContext.create(codec, "r")
    out = []
    for u in units + [None]:
        for f in dec.decode(av.Packet(u) if u is not None else None):
            planes = []
            for k, p in enumerate(f.planes):
                w, h = (f.width, f.height) if k == 0 else (f.width // 2, f.height // 2)
                if f.format.name == "yuv420p10le":
                    a = np.frombuffer(p, np.uint16).reshape(h, -1)[:, :w].astype(np.uint32)
                    planes.append(np.minimum((a + 2) >> 2, 255).astype(np.uint8))
                else:
                    planes.append(np.frombuffer(p, np.uint8).reshape(h, -1)[:, :w].copy())
            out.append(tuple(planes))
    return out
