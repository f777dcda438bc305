"""acllite.video (Demuxer, VideoDecoder, VideoEncoder), acllite classify on a video, the pyACL VDEC program, and
batch VPC (one task, bit-identical to the single-picture calls)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest

from conftest import IS_EMULATOR, child_env, expect_error, ok
import video_clips as vc

import acllite
from acllite._native import ffi, lib

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not IS_EMULATOR, reason="needs the emulator backend")


def write_mp4(path: Path, width: int = 320, height: int = 240, frames: int = 9, bframes: int = 0) -> None:
    av = vc.av
    with av.open(str(path), "w", format="mp4") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.codec_context.options = {"bf": str(bframes), "preset": "veryfast"}
        for i in range(frames):
            y, u, v = vc.pattern(width, height, i)
            f = av.VideoFrame.from_ndarray(np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)])
                                           .reshape(height * 3 // 2, width), format="yuv420p")
            f.pts = i
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)


def test_decoder_on_a_container_and_a_raw_stream(tmp_path: Path) -> None:
    from acllite.video import Demuxer, VideoDecoder

    clip = tmp_path / "clip.mp4"
    write_mp4(clip, bframes=2)
    raw = tmp_path / "clip.h264"
    raw.write_bytes(vc.encode("h264", 320, 240, 9, 2))
    with acllite.init(), acllite.Device(0) as dev:
        for source in (clip, raw):
            with Demuxer(source) as demux:
                assert (demux.codec, demux.width, demux.height) == ("h264", 320, 240)
                packets = list(demux.packets())
            assert all(p.data[:4] == b"\0\0\0\1" or p.data[:3] == b"\0\0\1" for p in packets)  # Annex-B
            ref = vc.reference([p.data for p in packets])
            with VideoDecoder(dev, demux.width, demux.height, "h264") as dec:
                frames = list(dec.decode(packets))
                assert [f.index for f in frames] == list(range(9))
                for f in frames:
                    assert f.ret_code == 0 and f.image is not None and f.image.memory == "dvpp"
                    px = f.image.to_numpy()
                    assert np.array_equal(px[:240], ref[f.index][0])
                    f.close()
                skipped = list(dec.decode(packets, every=3))  # a new stream on the same channel
                assert len(skipped) == 3 and all(f.image is not None for f in skipped)
                for f in skipped:
                    f.close()
        if source == clip:
            times = [f.time for f in frames]
            assert times == sorted(times)
    assert not any(acllite.emulator_leak_report().values()), acllite.emulator_leak_report()


def test_encoder_round_trip_through_the_decoder() -> None:
    from acllite.image import Image, PixelFormat
    from acllite.video import VideoDecoder, VideoEncoder

    w, h = 256, 144
    with acllite.init(), acllite.Device(0) as dev:
        originals, packets, pictures = [], [], []
        with VideoEncoder(dev, w, h, "h265", key_frame_interval=5, bit_rate=3000) as enc:
            for i in range(6):
                y, u, v = vc.pattern(w, h, i)
                nv12 = np.concatenate([y, np.stack([u, v], -1).reshape(h // 2, w)])
                originals.append(y)
                pictures.append(Image.from_numpy(nv12, PixelFormat.NV12).copy_to("dvpp", dev))
                packets += enc.encode(pictures[-1], force_key_frame=i == 3)
            packets += enc.flush()  # the pictures stay open until their packets are back
        for p in pictures:
            p.close()
        assert len(packets) == 6
        with VideoDecoder(dev, w, h, "h265") as dec:
            frames = list(dec.decode(packets))
        assert len(frames) == 6
        for f, y in zip(frames, originals):
            mse = np.mean((f.image.to_numpy()[:h].astype(np.float64) - y) ** 2)
            assert 10 * np.log10(255 ** 2 / max(mse, 1e-9)) > 35
            f.close()
    assert not any(acllite.emulator_leak_report().values())


def test_classify_a_video(tmp_path: Path) -> None:
    from acllite.demo import efficientnet

    try:
        efficientnet.weights_path()
    except Exception as exc:  # the weights come with the demo extra
        pytest.skip(str(exc))
    clip = tmp_path / "clip.mp4"
    write_mp4(clip, frames=9)
    proc = subprocess.run([sys.executable, "-m", "acllite", "classify", "--every", "4", "--top", "2", str(clip)],
                          capture_output=True, text=True, cwd=str(tmp_path), env=child_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr
    heads = [line for line in proc.stdout.splitlines() if line.startswith("======== ")]
    assert heads == ["======== %s: frame %d (%.3f s): top 2 ========" % (clip, i, i / 25) for i in (0, 4, 8)]
    assert sum(line.startswith("label:") for line in proc.stdout.splitlines()) == 6
    assert "3 frame(s) classified" in proc.stderr and "leak report: empty" in proc.stderr


def test_pyacl_vdec_program(tmp_path: Path) -> None:
    from acllite.demo import efficientnet

    try:
        efficientnet.weights_path()
    except Exception as exc:
        pytest.skip(str(exc))
    from acllite.tools.classify import prepare_demo_model

    model = prepare_demo_model()
    clip = tmp_path / "clip.mp4"
    write_mp4(clip, frames=6, bframes=2)
    proc = subprocess.run([sys.executable, "-m", "acllite", "pyacl", str(ROOT / "examples" / "pyacl_video_classify.py"),
                           str(clip), str(model)], capture_output=True, text=True, cwd=str(tmp_path), env=child_env(),
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("frame ")]
    assert sorted(int(line.split()[1].rstrip(":")) for line in lines) == list(range(6))
    assert all(", 320x240" in line for line in lines)
    assert "6 frames sent" in proc.stdout


# ------------------------------------------------------------------------------------------------ batch VPC


def _pictures(acl_lib: Any, batch: Any, specs: List[Any]) -> List[Any]:
    out = []
    for i, (w, h, data) in enumerate(specs):
        ws, hs = (w + 15) // 16 * 16, h
        size = ws * hs * 3 // 2
        p = ffi.new("void **")
        ok(acl_lib.acldvppMalloc(p, size))
        if data is not None:
            ok(acl_lib.aclrtMemcpy(p[0], size, ffi.from_buffer(data), size, 1))
        else:
            ok(acl_lib.aclrtMemset(p[0], size, 0, size))
        d = acl_lib.acldvppGetPicDesc(batch, i) if batch is not None else acl_lib.acldvppCreatePicDesc()
        for fn, v in ((acl_lib.acldvppSetPicDescData, p[0]), (acl_lib.acldvppSetPicDescSize, size),
                      (acl_lib.acldvppSetPicDescFormat, 1), (acl_lib.acldvppSetPicDescWidth, w),
                      (acl_lib.acldvppSetPicDescHeight, h), (acl_lib.acldvppSetPicDescWidthStride, ws),
                      (acl_lib.acldvppSetPicDescHeightStride, hs)):
            ok(fn(d, v))
        out.append((p[0], size, d))
    return out


def _read(ptr: Any, size: int) -> np.ndarray:
    a = np.empty(size, np.uint8)
    ok(lib.aclrtMemcpy(ffi.from_buffer(a), size, ptr, size, 2))
    return a


def test_batch_crop_resize_is_one_task_and_bit_identical(acl: Any) -> None:
    rng = np.random.default_rng(3)
    src_specs = [(320, 240, rng.integers(0, 256, 320 * 240 * 3 // 2, dtype=np.uint8)) for _ in range(2)]
    rois = [(8 * k, 8 * k + 63, 4 * k, 4 * k + 47) for k in range(8)]
    channel = lib.acldvppCreateChannelDesc()
    ok(lib.acldvppCreateChannel(channel))
    stream = ffi.new("aclrtStream *")
    ok(lib.aclrtCreateStream(stream))
    src = lib.acldvppCreateBatchPicDesc(2)
    dst = lib.acldvppCreateBatchPicDesc(16)
    srcs = _pictures(lib, src, src_specs)
    dsts = _pictures(lib, dst, [(96, 64, None)] * 16)
    configs = [lib.acldvppCreateRoiConfig(*r) for r in rois] * 2
    resize = lib.acldvppCreateResizeConfig()
    nums = ffi.new("uint32_t[2]", [8, 8])
    areas = ffi.new("acldvppRoiConfig *[16]", configs)
    ok(lib.acldvppVpcBatchCropResizeAsync(channel, src, nums, 2, dst, areas, resize, stream[0]))
    ok(lib.aclrtSynchronizeStream(stream[0]))
    singles = _pictures(lib, None, [(96, 64, None)] * 16)
    for k in range(16):
        ok(lib.acldvppVpcCropResizeAsync(channel, srcs[k // 8][2], singles[k][2], configs[k], resize, stream[0]))
    ok(lib.aclrtSynchronizeStream(stream[0]))
    for k in range(16):
        assert np.array_equal(_read(dsts[k][0], dsts[k][1]), _read(singles[k][0], singles[k][1])), k
    # the documented limits
    many = ffi.new("uint32_t[2]", [200, 100])
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "at most 256", lib.acldvppVpcBatchCropResizeAsync, channel, src, many, 2,
                 dst, areas, resize, stream[0])
    zero = ffi.new("uint32_t[2]", [8, 0])
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "roiNums[1] is 0", lib.acldvppVpcBatchCropAsync, channel, src, zero, 2,
                 dst, areas, stream[0])
    three = ffi.new("uint32_t[3]", [8, 4, 4])
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "more than the 2 pictures", lib.acldvppVpcBatchCropAsync, channel, src,
                 three, 3, dst, areas, stream[0])
    assert lib.acldvppCreateBatchPicDesc(257) == ffi.NULL
    for ptr, _size, d in singles:
        lib.acldvppFree(ptr)
        lib.acldvppDestroyPicDesc(d)
    for ptr, _size, _d in srcs + dsts:
        lib.acldvppFree(ptr)
    for c in configs[:8]:
        lib.acldvppDestroyRoiConfig(c)
    lib.acldvppDestroyResizeConfig(resize)
    ok(lib.acldvppDestroyBatchPicDesc(src))
    ok(lib.acldvppDestroyBatchPicDesc(dst))
    ok(lib.aclrtDestroyStream(stream[0]))
    ok(lib.acldvppDestroyChannel(channel))
    ok(lib.acldvppDestroyChannelDesc(channel))


def test_image_processor_batch_crop_resize() -> None:
    from acllite.dvpp import ImageProcessor
    from acllite.image import Image, PixelFormat

    rng = np.random.default_rng(5)
    with acllite.init(), acllite.Device(0) as dev, ImageProcessor(dev) as proc:
        pics = [Image.from_numpy(rng.integers(0, 256, (240 * 3 // 2, 320), dtype=np.uint8), PixelFormat.NV12)
                for _ in range(2)]
        boxes = [[(0, 0, 64, 48), (32, 16, 160, 112)], [(100, 100, 300, 200)]]
        outs = proc.batch_crop_resize(pics, boxes, (96, 64))
        assert [len(o) for o in outs] == [2, 1]
        for img, bxs, row in zip(pics, boxes, outs):
            for box, got in zip(bxs, row):
                single = proc.crop(img, box, (96, 64), interpolation=1)
                assert np.array_equal(got.to_numpy(), single.to_numpy())
                single.close()
                got.close()
    assert not any(acllite.emulator_leak_report().values())
