"""What the fuzzers (tests/fuzz/) found, kept as regression tests; and a short run of every fuzz target.

Findings, each fixed and pinned here (the inputs are in tests/fuzz/crashers/):

* ``jpeg-height-zero.jpg``: a frame header with height 0 (the height left to a DNL marker) or width 0 was
  reported by acldvppJpegGetImageInfo as a 48x0 picture; now 148052 (DNL: unsupported) / 100000 (width 0: corrupt).
* ``model_load-dynamic-batch-not-utf8.onnx``, ``model_load-input-name-not-utf8.onnx``: protobuf hands strings that
  are not UTF-8 over as bytes; the model engine failed with an internal error (500000, a TypeError) instead of
  refusing the model: now ACL_ERROR_PARSE_MODEL with a message.
* ``model_load-om-name-with-nul.om``: an OM tensor name with NUL bytes; the reader and the emulator agree up to
  what a C string can carry (the oracle was corrected; no code change).
* ``model_load-om-index-attribute-not-a-number.om`` (found under ASan by the CI's own bounded run): ModelDef
  attributes of unexpected types made the OM reader raise TypeError (a traceback from ``acllite inspect``, 500000
  from the loader); a batch count of 10**12 would have looped for ever. Now OmError 545002.
* ``model_load-onnxruntime-throws.onnx``: a model onnxruntime refuses by throwing a C++ exception, which aborted
  the sanitizer build until libstdc++ was preloaded with the ASan runtime (``.ci/run``); replayed here so that a
  sanitizer run without that preload fails.
* ``model_shapes-zero-dim-hides-an-overflow.bin`` (fuzz_model_shapes, round two): a DOUBLE input
  [N, 2^31, 4195446337656140851, 0] was an empty tensor of 0 bytes, loaded, and onnxruntime failed at execution
  (SafeInt overflow, 500002): the dims other than 0 must fit in int64 as well; refused at load (100013).
* ``model_shapes-zero-dim-times-the-largest-gear.bin`` (fuzz_model_shapes): an empty uint64 [N, 2^56, 2, 1, 0] with
  gears 2^63 - 1 and 1 loaded and ran at gear 2^63 - 1 (onnxruntime overflow, 500002): the largest gear times the
  dims other than 0 must fit too (100013 at load); at execution, a batch times them likewise (100017/100018).
* ``pyacl-model-bytes-past-their-allocation.bin`` (fuzz_pyacl, under ASan): a model size of 0x6060000089e1 for 4 KiB
  of device memory made the engine copy 100 TB past the allocation; the model's bytes are now located and bounded
  (test_reliability_c.py::test_model_bytes_from_memory_are_bounded).
* ``model_load-om-gear-record-broken.om``, ``model_load-om-gear-input-renamed.om`` (found by CI's bounded run):
  an OM of acllite atc's whose gear record, or gear input's name, the fuzzer broke. The emulator runs the gears of
  the ONNX model the file carries (outputs' batch -1), the reader shows the recorded dims: the target's oracle took
  that for a disagreement. Not a library defect: the oracle accepts the run's batch for files carrying their model.
* The exception-info getters (fuzz_pyacl in CI: ``acl.rt.get_error_code_from_exception_info(<any int>)`` read that
  address, SIGSEGV): only the info of the callback running on the caller's thread is read
  (test_runtime_more.py::test_exception_info_getters_refuse_any_pointer_but_the_running_callbacks).
* From the soak (``acllite bench soak``): every freed emulated allocation left the pages it shared with its
  neighbours resident, so the RSS of the classify flow grew by ~15 KiB per image; freed spans are now discarded
  including those boundary pages (never a page a live allocation still uses).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, List

import pytest

from conftest import ROOT, child_env, expect_error, ok, requires_emulator

from acllite.binding import ffi, lib

pytestmark = requires_emulator

FUZZ = ROOT / "tests" / "fuzz"
CRASHERS = FUZZ / "crashers"
TARGETS = ["jpeg", "png", "aipp", "model_load", "memcpy", "pyacl", "model_shapes", "image", "release"]
SMOKE_RUNS = 300

# atheris when installed, else the harness's own seeded mutator (docs/RELIABILITY.md)
ENGINE = "atheris" if importlib.util.find_spec("atheris") else "random"


def crashers(target: str) -> List[Path]:
    return sorted(CRASHERS.glob(target + "-*"))


def _run(args: List[str], timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable] + args, capture_output=True, text=True, errors="replace",
                          env=child_env(), cwd=tempfile.gettempdir(), timeout=timeout)
    assert proc.returncode >= 0, "killed by signal %d\n%s" % (-proc.returncode, (proc.stdout + proc.stderr)[-4000:])
    return proc


# ----------------------------------------------------------------------------------------- the findings


def test_jpeg_frame_header_with_a_zero_dimension(acl: Any) -> None:
    data = (CRASHERS / "jpeg-height-zero.jpg").read_bytes()
    w, h, c = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("int32_t *")
    expect_error(lib.ACL_ERROR_UNSUPPORTED_JPEG, "height 0 in the frame header", lib.acldvppJpegGetImageInfo, data,
                 len(data), w, h, c)
    sof = data.index(b"\xff\xc0")
    no_width = data[:sof + 7] + b"\x00\x00" + data[sof + 9:]
    no_width = no_width[:sof + 5] + b"\x00\x30" + no_width[sof + 7:]  # height 48, width 0
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "the JPEG is corrupt: width 0", lib.acldvppJpegGetImageInfo, no_width,
                 len(no_width), w, h, c)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "width 0", lib.acldvppJpegPredictDecSize, no_width, len(no_width), 1,
                 ffi.new("uint32_t *"))


@pytest.mark.parametrize("name, fragment", [
    ("model_load-dynamic-batch-not-utf8.onnx", "unreadable dynamic batch gears"),
    ("model_load-input-name-not-utf8.onnx", "is not UTF-8 text"),
])
def test_onnx_strings_that_are_not_utf8_are_refused(acl: Any, name: str, fragment: str) -> None:
    data = (CRASHERS / name).read_bytes()
    cell = ffi.new("uint32_t *")
    expect_error(lib.ACL_ERROR_PARSE_MODEL, fragment, lib.aclmdlLoadFromMem, data, len(data), cell)
    work, weight = ffi.new("size_t *"), ffi.new("size_t *")
    expect_error(lib.ACL_ERROR_PARSE_MODEL, fragment, lib.aclmdlQuerySizeFromMem, data, len(data), work, weight)


def test_om_tensor_names_with_nul_bytes(acl: Any, tmp_path: Path) -> None:
    from acllite.formats import om

    data = (CRASHERS / "model_load-om-name-with-nul.om").read_bytes()
    described = om.parse(data, "nul.om")
    assert "\0" in described.outputs[-1].name
    path = tmp_path / "nul.om"
    path.write_bytes(data)
    cell = ffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromFile(str(path).encode(), cell), "aclmdlLoadFromFile")
    desc = lib.aclmdlCreateDesc()
    ok(lib.aclmdlGetDesc(desc, cell[0]))
    n = lib.aclmdlGetNumOutputs(desc)
    name = ffi.string(lib.aclmdlGetOutputNameByIndex(desc, n - 1)).decode("utf-8", "replace")
    assert name == described.outputs[-1].name.split("\0")[0]  # what a C string carries
    ok(lib.aclmdlDestroyDesc(desc))
    ok(lib.aclmdlUnload(cell[0]))


def test_om_model_def_attributes_of_unexpected_types(acl: Any, tmp_path: Path, capsys: Any) -> None:
    """A Data op whose index attribute has no value, and a batch count no device has: an OmError (545002), not
    a TypeError or a loop over 10**12 gears."""
    import om_builder as ob

    from acllite.formats import om
    from acllite.tools.inspect import main as inspect_main

    data = (CRASHERS / "model_load-om-index-attribute-not-a-number.om").read_bytes()
    md = ob.model_def("gears", [ob.graph("g", [
        ob.op("x", "Data", {"index": 0}, [ob.tensor(ob.DT_FLOAT, [1, 4], "ND", 16)]),
        ob.op("case", "Case", {"_batch_num": 10 ** 12}),
        ob.op("out", "NetOutput", {}, [ob.tensor(ob.DT_FLOAT, [1, 4], "ND", 16)], src=[("x", 0)])])])
    absurd = ob.om_file(ob.V2, [[(0, md)]])
    for name, blob in (("index.om", data), ("gears.om", absurd)):
        with pytest.raises(om.OmError, match="not a readable ge.proto.ModelDef") as info:
            om.parse(blob, name)
        assert info.value.code == 545002
        path = tmp_path / name
        path.write_bytes(blob)
        expect_error(545002, "not a readable ge.proto.ModelDef", lib.aclmdlLoadFromFile, str(path).encode(),
                     ffi.new("uint32_t *"))
        assert inspect_main(argparse.Namespace(model=str(path), json=False)) == 1
        assert "not a readable ge.proto.ModelDef" in capsys.readouterr().err


def test_a_missing_om_file_is_reported_as_missing(acl: Any, tmp_path: Path) -> None:
    expect_error(lib.ACL_ERROR_INVALID_FILE, "cannot open model file %s" % (tmp_path / "none.om"),
                 lib.aclmdlLoadFromFile, str(tmp_path / "none.om").encode(), ffi.new("uint32_t *"))
    (tmp_path / "alone.om").write_bytes(b"not really an OM, but a file")
    # an existing .om is described from its own bytes, as aclmdlLoadFromFile describes it
    expect_error(lib.ACL_ERROR_GE_PARAM_INVALID, "alone.om is not an OM file",
                 lib.aclmdlQuerySize, str(tmp_path / "alone.om").encode(), ffi.new("size_t *"), ffi.new("size_t *"))


def _identity_model(elem: int, shape: List[Any], gears: str = "") -> bytes:
    from onnx import helper

    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", elem, shape)],
                          [helper.make_tensor_value_info("y", elem, shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    if gears:
        entry = m.metadata_props.add()
        entry.key, entry.value = "acllite.dynamic_batch", gears
    return m.SerializeToString()


@pytest.mark.parametrize("elem, shape, gears, fragment", [
    (11, ["N", 2 ** 31, 4195446337656140851, 0], "", "[-1, 2147483648, 4195446337656140851, 0] elements of 8 bytes"),
    (13, ["N", 2 ** 56, 2, 1, 0], "%d,1" % (2 ** 63 - 1), "x the largest gear 9223372036854775807"),
], ids=["zero-dim-hides-an-overflow", "zero-dim-times-the-largest-gear"])
def test_an_empty_tensor_does_not_hide_dimensions_past_int64(acl: Any, elem: int, shape: List[Any], gears: str,
                                                              fragment: str) -> None:
    model = _identity_model(elem, shape, gears)
    expect_error(lib.ACL_ERROR_PARSE_MODEL, fragment, lib.aclmdlLoadFromMem, model, len(model), ffi.new("uint32_t *"))
    replayed = crashers("model_shapes")
    assert len(replayed) >= 2, replayed


def _rss() -> int:
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_freed_allocations_give_back_the_pages_they_shared(acl: Any) -> None:
    """Odd-sized DVPP buffers, written and freed: the RSS stays flat (it grew ~8 KiB per buffer before)."""
    cell = ffi.new("void **")
    size = (1 << 18) + 100
    fill = b"\x5a" * size

    def cycle(n: int) -> None:
        for _ in range(n):
            ok(lib.acldvppMalloc(cell, size))
            ffi.memmove(cell[0], fill, size)
            ok(lib.acldvppFree(cell[0]))

    cycle(200)
    before = _rss()
    cycle(2000)
    grown = _rss() - before
    assert grown < 2 << 20, "2000 freed buffers left %d KiB resident" % (grown // 1024)


def test_freeing_a_neighbour_keeps_the_shared_page(acl: Any) -> None:
    """Small allocations share pages: freeing one must not discard a page a live neighbour uses."""
    ptrs = []
    cell = ffi.new("void **")
    for i in range(64):
        ok(lib.aclrtMalloc(cell, 100 + i, 0))
        ffi.memmove(cell[0], bytes([i + 1]) * (100 + i), 100 + i)
        ptrs.append(cell[0])
    for p in ptrs[::2]:
        ok(lib.aclrtFree(p))
    for i in range(1, 64, 2):
        assert bytes(ffi.buffer(ptrs[i], 100 + i)) == bytes([i + 1]) * (100 + i), "allocation %d lost its bytes" % i
        ok(lib.aclrtFree(ptrs[i]))


# ----------------------------------------------------------------------------------------- the targets


@pytest.mark.parametrize("target", TARGETS)
def test_seeds_and_crashers_replay_clean(target: str) -> None:
    inputs = sorted((FUZZ / "corpus" / target).iterdir()) + crashers(target)
    assert inputs, "no seeds for %s" % target
    proc = _run([str(FUZZ / ("fuzz_%s.py" % target)), "--replay"] + [str(p) for p in inputs])
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert proc.stdout.count("no finding") == len(inputs), proc.stdout


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_runs_clean(target: str, tmp_path: Path) -> None:
    """A short bounded run of each target (atheris when installed, else the harness's seeded mutator)."""
    proc = _run([str(FUZZ / ("fuzz_%s.py" % target)), "--runs", str(SMOKE_RUNS), "--engine", ENGINE, "--seed", "3",
                 "--artifacts", str(tmp_path)])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    if ENGINE == "atheris":
        assert "Done %d runs" % SMOKE_RUNS in out, out[-2000:]
    else:
        assert "%d executions" % SMOKE_RUNS in out and "no finding" in out, out[-2000:]
    assert not list(tmp_path.iterdir()), "a finding was saved: %s" % list(tmp_path.iterdir())
