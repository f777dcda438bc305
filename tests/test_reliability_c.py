"""Reliability, round two, the emulator's C (issue 13): each finding reproduced, and the class it belongs to.

* Sizes that wrap around 2^64 (item 1): every tensor, gear and working-memory size is checked arithmetic; a model
  whose sizes do not fit in int64 is refused at load with ACL_ERROR_PARSE_MODEL (100013), and ``acllite inspect``
  and ``acllite atc`` refuse the same models with the same reason.
* Releases from the thread they would join or free (item 2): a stream destroyed or waited for from its own worker
  (a codec or engine callback, a finalizer run there by the garbage collector), its context destroyed, the device
  reset or AscendCL finalized from a callback, a model unloaded from inside its own execution: refused with a code
  and a message; report-thread callbacks and DVPP releases from callbacks are safe.
* Truncated image data (item 7): a PNG whose zlib stream ends early, and any decode that delivers fewer rows than
  the picture has, fails with 100000; the output buffer keeps no half-written success.
* Non-regular files (item 18): directories, FIFOs and devices as models or acl.json: ACL_ERROR_INVALID_FILE, never
  an unbounded read (or, for a FIFO, a wait for a writer).
* Logging (item 19): every failing call's message at ERROR on stderr; ASCEND_GLOBAL_LOG_LEVEL and
  ASCEND_SLOG_PRINT_TO_STDOUT as CANN documents them.
* Minor: acl.json that is not UTF-8 (100006); PNG chunk order (two IHDR, PLTE rules, IDAT runs, IEND).
"""

from __future__ import annotations

import gc
import io
import json
import os
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import pytest

from acllite.binding import ffi, lib
from conftest import (child, child_env, create_context, create_stream, expect_error, leak_report, live_counts, ok,
                      recent_message, requires_emulator, run_python_ok, ZERO_COUNTS)

pytestmark = requires_emulator

INT64_MAX = (1 << 63) - 1
PARSE_MODEL = 100013
DOUBLE, FLOAT, UINT8 = 11, 1, 2  # ONNX element types


# ------------------------------------------------------------------------------------------- models


def onnx_model(shape: Sequence[Any], elem: int = DOUBLE, out_shape: Optional[Sequence[Any]] = None,
               meta: Optional[Dict[str, str]] = None, op: str = "Identity") -> bytes:
    """y = op(x) with the declared shapes (the graph is never run when a size is refused)."""
    from onnx import helper

    g = helper.make_graph([helper.make_node(op, ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", elem, list(shape))],
                          [helper.make_tensor_value_info("y", elem, list(shape if out_shape is None else out_shape))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    for k, v in (meta or {}).items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, v
    return m.SerializeToString()


def load(model: bytes) -> int:
    cell = ffi.new("uint32_t *")
    ok(lib.aclmdlLoadFromMem(model, len(model), cell), "aclmdlLoadFromMem")
    return int(cell[0])


def input_size(model_id: int, index: int = 0, output: bool = False) -> int:
    desc = lib.aclmdlCreateDesc()
    ok(lib.aclmdlGetDesc(desc, model_id))
    size = int((lib.aclmdlGetOutputSizeByIndex if output else lib.aclmdlGetInputSizeByIndex)(desc, index))
    ok(lib.aclmdlDestroyDesc(desc))
    return size


def inspect_report(tmp: Path, model: bytes) -> Any:
    """acllite inspect's report of the model, or the InspectError it raises."""
    from acllite.tools.inspect import InspectError, describe

    path = tmp / "m.onnx"
    path.write_bytes(model)
    try:
        return describe(path)
    except InspectError as exc:
        return exc


# ------------------------------------------------------------------------------ item 1: sizes and 2^64

# (id, model bytes, fragment of the refusal). Each wrapped around 2^64 (or past int64) before: 8 bytes for
# [2**61 + 1] doubles, 0 for [2**62, 4] doubles, and so on.
WRAPPING = [
    ("double-2-61-plus-1", lambda: onnx_model([2 ** 61 + 1]), "[2305843009213693953] elements of 8 bytes"),
    ("double-2-62-by-4", lambda: onnx_model([2 ** 62, 4]), "[4611686018427387904, 4] elements of 8 bytes"),
    ("float-2-32-by-2-32", lambda: onnx_model([2 ** 32, 2 ** 32], FLOAT), "elements of 4 bytes"),
    ("uint8-three-2-22", lambda: onnx_model([2 ** 22, 2 ** 22, 2 ** 22], UINT8), "elements of 1 bytes"),
    ("per-item-2-61-doubles", lambda: onnx_model(["N", 2 ** 61], DOUBLE), "[-1, 2305843009213693952] elements"),
    ("output-only", lambda: onnx_model([4], DOUBLE, out_shape=[2 ** 61 + 1], op="Identity"), "output 0 'y'"),
    ("gear-times-item", lambda: onnx_model(["N", 8], meta={"acllite.dynamic_batch": "1,1152921504606846977"}),
     "64 bytes per batch item x the largest gear 1152921504606846977"),
    ("gear-beyond-int64", lambda: onnx_model(["N", 1], UINT8, meta={"acllite.dynamic_batch": "1,%d" % (1 << 63)}),
     "dynamic batch gear"),
    ("gear-zero", lambda: onnx_model(["N", 8], meta={"acllite.dynamic_batch": "0,2"}), "gear"),
    ("gear-twice", lambda: onnx_model(["N", 8], meta={"acllite.dynamic_batch": "2,2"}), "listed twice"),
    ("negative-dim", lambda: onnx_model([-5, 2]), "only -1 (dynamic) may be negative"),
    ("zero-dim-does-not-hide-it", lambda: onnx_model([2 ** 40, 2 ** 40, 0]), "[1099511627776, 1099511627776, 0] "
     "elements of 8 bytes are more than"),
    ("total-beyond-int64", lambda: onnx_model([2 ** 59 + 1], DOUBLE, out_shape=[2 ** 59 + 1]),
     "inputs and outputs together are more than"),
]


@pytest.mark.parametrize("case", WRAPPING, ids=[c[0] for c in WRAPPING])
def test_sizes_that_wrap_around_2_64_are_refused_at_load(acl: Any, tmp_path: Path, case: Any) -> None:
    _, make, fragment = case
    model = make()
    cell = ffi.new("uint32_t *")
    expect_error(PARSE_MODEL, fragment, lib.aclmdlLoadFromMem, model, len(model), cell)
    work, weight = ffi.new("size_t *"), ffi.new("size_t *")
    expect_error(PARSE_MODEL, fragment, lib.aclmdlQuerySizeFromMem, model, len(model), work, weight)
    (tmp_path / "m.onnx").write_bytes(model)
    expect_error(PARSE_MODEL, fragment, lib.aclmdlLoadFromFile, str(tmp_path / "m.onnx").encode(), cell)
    # acllite inspect agrees: it refuses the same model, saying why
    report = inspect_report(tmp_path, model)
    assert isinstance(report, Exception) and fragment in str(report), report


def test_a_double_input_of_2_61_plus_1_elements_is_not_described_as_8_bytes(acl: Any) -> None:
    """The finding: [2**61 + 1] doubles were 8 bytes, an 8-byte buffer passed, and onnxruntime ran 2^61
    elements over it (SIGSEGV)."""
    model = onnx_model([2 ** 61 + 1])
    expect_error(PARSE_MODEL, "more than 9223372036854775807 bytes (the size must fit in int64)",
                 lib.aclmdlLoadFromMem, model, len(model), ffi.new("uint32_t *"))


# Large shapes that fit: the emulator and acllite inspect report the same byte counts.
FITTING = [
    ("uint8-2-60", [2 ** 60], UINT8, None, 2 ** 60),
    ("double-2-58", [2 ** 58], DOUBLE, None, 2 ** 61),
    ("zero-dim", [2 ** 20, 2 ** 20, 0], DOUBLE, None, 0),
    ("gears-to-2-61", ["N", 8], DOUBLE, "1,%d" % 2 ** 55, 2 ** 61),
]


@pytest.mark.parametrize("case", FITTING, ids=[c[0] for c in FITTING])
def test_large_sizes_that_fit_agree_with_acllite_inspect(acl: Any, tmp_path: Path, case: Any) -> None:
    _, shape, elem, gears, expected = case
    model = onnx_model(shape, elem, meta={"acllite.dynamic_batch": gears} if gears else None)
    mid = load(model)
    try:
        assert input_size(mid) == expected
        assert input_size(mid, output=True) == expected
    finally:
        ok(lib.aclmdlUnload(mid))
    report = inspect_report(tmp_path, model)
    assert not isinstance(report, Exception), report
    for t in report["inputs"][:1] + report["outputs"]:  # per batch item, and for the largest gear when geared
        assert t.get("size_largest_gear", t["size"]) == expected, report


def test_a_batch_that_overflows_an_output_buffer_size_is_refused_at_execute(acl: Any) -> None:
    """prepare(): an output of 2^62 bytes per item at the batch an 8-byte input implies is 2^65 bytes: it wrapped
    to 0 and passed the buffer check."""
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Expand", ["x", "shape"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.UINT8, ["N", 1]),
                           helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, ["N", 2 ** 62])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    model = m.SerializeToString()
    mid = load(model)
    bufs: List[Any] = []
    datasets = []
    try:
        cells = []
        for size in (8, 16, 64):
            cell = ffi.new("void **")
            ok(lib.aclrtMalloc(cell, size, 0))
            cells.append(cell[0])
        inp, out = lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()
        datasets = [inp, out]
        for ds, ptr, size in ((inp, cells[0], 8), (inp, cells[1], 16), (out, cells[2], 64)):
            b = lib.aclCreateDataBuffer(ptr, size)
            bufs.append(b)
            ok(lib.aclmdlAddDatasetBuffer(ds, b))
        expect_error(lib.ACL_ERROR_MODEL_OUTPUT_NOT_MATCH, "batch 8 of 4611686018427387904-byte samples is more "
                     "than a buffer can hold", lib.aclmdlExecute, mid, inp, out)
    finally:
        for b in bufs:
            ok(lib.aclDestroyDataBuffer(b))
        for ds in datasets:
            ok(lib.aclmdlDestroyDataset(ds))
        for p in cells:
            ok(lib.aclrtFree(p))
        ok(lib.aclmdlUnload(mid))


def _atc(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "acllite", "atc", "--framework=5"] + list(args),
                          capture_output=True, text=True, env=child_env(), cwd=str(tmp), timeout=120)


@pytest.mark.parametrize("args, fragment", [
    (["--input_shape=x:-1,8", "--dynamic_batch_size=1,1152921504606846977"],
     "cannot be loaded: input 0 'x': 64 bytes per batch item x the largest gear 1152921504606846977"),
    (["--input_shape=x:-1,8", "--dynamic_batch_size=1,%d" % (1 << 64)], "a batch size must fit in int64"),
    (["--input_shape=x:%d,8" % (1 << 64)], "must fit in int64"),
    (["--input_shape=x:2305843009213693953,8"], "elements of 8 bytes are more than"),
], ids=["gear-times-item", "gear-beyond-int64", "dim-beyond-int64", "shape-beyond-int64"])
def test_atc_refuses_shapes_and_gears_the_emulator_cannot_size(tmp_path: Path, args: List[str], fragment: str) -> None:
    (tmp_path / "m.onnx").write_bytes(onnx_model(["N", 8]))
    proc = _atc(tmp_path, "--model=m.onnx", "--output=o", *args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("acllite atc: ") and fragment in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "o.onnx").exists()


# ------------------------------------------------------------------------- item 18: non-regular files

FILE_CALLS = {
    "aclmdlLoadFromFile": lambda p: lib.aclmdlLoadFromFile(p, ffi.new("uint32_t *")),
    "aclmdlLoadFromFileWithMem": lambda p: lib.aclmdlLoadFromFileWithMem(p, ffi.new("uint32_t *"), ffi.NULL, 0,
                                                                         ffi.NULL, 0),
    "aclmdlQuerySize": lambda p: lib.aclmdlQuerySize(p, ffi.new("size_t *"), ffi.new("size_t *")),
}


def _special(tmp: Path, kind: str) -> Path:
    if kind == "directory":
        (tmp / "dir.onnx").mkdir()
        return tmp / "dir.onnx"
    if kind == "fifo":
        os.mkfifo(tmp / "pipe.onnx")
        return tmp / "pipe.onnx"
    if kind == "om-directory":  # X.om a directory, no twin
        (tmp / "d.om").mkdir()
        return tmp / "d.om"
    if kind == "twin-directory":  # X.om's twin X.onnx a directory
        (tmp / "t.onnx").mkdir()
        return tmp / "t.om"
    return Path("/dev/zero")


@pytest.mark.parametrize("kind, fragment", [
    ("directory", "is a directory, not a regular file"), ("fifo", "is a FIFO, not a regular file"),
    ("device", "/dev/zero is a character device, not a regular file"), ("om-directory", "is a directory"),
    ("twin-directory", "t.onnx is a directory"),
])
@pytest.mark.parametrize("call", sorted(FILE_CALLS))
def test_non_regular_files_are_refused_as_models(tmp_path: Path, call: str, kind: str, fragment: str) -> None:
    """Loading a directory tried to allocate LONG_MAX bytes (ftell of a directory); a FIFO waited for a writer
    for ever; /dev/zero would have been read until memory ran out. In a subprocess: a hang must not hang the
    suite."""
    path = _special(tmp_path, kind)
    out = run_python_ok(child("""
        ok(lib.aclInit(ffi.NULL)); ok(lib.aclrtSetDevice(0))
        calls = {%s}
        rc = calls[%r](%r)
        m = msg()
        print(rc, m)
        ok(lib.aclrtResetDevice(0)); ok(lib.aclFinalize())
    """ % (", ".join("%r: %s" % (k, _src(k)) for k in FILE_CALLS), call, os.fsencode(path))), timeout=60)
    rc, _, message = out.strip().partition(" ")
    assert int(rc) == lib.ACL_ERROR_INVALID_FILE, out
    assert message.startswith(call + ": ") and fragment in message, out


def _src(call: str) -> str:
    return {"aclmdlLoadFromFile": "lambda p: lib.aclmdlLoadFromFile(p, ffi.new('uint32_t *'))",
            "aclmdlLoadFromFileWithMem": "lambda p: lib.aclmdlLoadFromFileWithMem(p, ffi.new('uint32_t *'), ffi.NULL, "
                                         "0, ffi.NULL, 0)",
            "aclmdlQuerySize": "lambda p: lib.aclmdlQuerySize(p, ffi.new('size_t *'), ffi.new('size_t *'))"}[call]


def test_a_directory_model_does_not_ask_for_long_max_bytes(acl: Any, tmp_path: Path) -> None:
    (tmp_path / "m.onnx").mkdir()
    for call, fn in FILE_CALLS.items():
        assert fn(str(tmp_path / "m.onnx").encode()) == lib.ACL_ERROR_INVALID_FILE, call
        m = recent_message() or ""
        assert m.startswith(call + ": model file ") and "is a directory, not a regular file" in m, m
        assert "bytes" not in m, m  # no allocation was attempted


@pytest.mark.parametrize("kind, code, fragment", [
    ("directory", lib.ACL_ERROR_INVALID_FILE, "config file %s is a directory, not a regular file"),
    ("fifo", lib.ACL_ERROR_INVALID_FILE, "config file %s is a FIFO, not a regular file"),
    ("device", lib.ACL_ERROR_INVALID_FILE, "config file %s is a character device"),
])
def test_non_regular_acl_json_is_refused(tmp_path: Path, kind: str, code: int, fragment: str) -> None:
    path = _special(tmp_path, kind)
    out = run_python_ok(child("""
        print(lib.aclInit(%r), msg())
    """ % os.fsencode(path)), timeout=60)
    rc, _, message = out.strip().partition(" ")
    assert int(rc) == code and message.startswith("aclInit: ") and fragment % path in message, out


@pytest.mark.parametrize("text, fragment", [
    (b'{"dump": {"dump_path": "/tmp/\xff\xfe"}}', "a string that is not UTF-8 text at byte 29"),
    (b'{"\xc0\xaf": 1}', "not UTF-8"),                 # overlong "/"
    (b'{"a": "\xed\xa0\x80"}', "not UTF-8"),            # a UTF-16 surrogate
    (b'{"a": "caf\xc3"}', "not UTF-8"),                 # cut short
])
def test_acl_json_that_is_not_utf8_is_refused(uninitialized: Any, tmp_path: Path, text: bytes,
                                               fragment: str) -> None:
    (tmp_path / "acl.json").write_bytes(text)
    expect_error(lib.ACL_ERROR_PARSE_FILE, ["is not valid JSON", fragment], lib.aclInit,
                 str(tmp_path / "acl.json").encode())
    (tmp_path / "ok.json").write_bytes('{"a": "café ✓ \U0001F600"}'.encode())
    ok(lib.aclInit(str(tmp_path / "ok.json").encode()), "aclInit(UTF-8 acl.json)")
    ok(lib.aclFinalize())


# ------------------------------------------------------------------------------------ item 19: logging

PYACL_PROGRAM = """
import acl
ret = acl.init()
print("init", ret)
ptr, ret = acl.rt.malloc(64, 0)
print("malloc without a device", ret)
print("finalize", acl.finalize())
"""


def _pyacl(env: Dict[str, Optional[str]]) -> subprocess.CompletedProcess:
    """PYACL_PROGRAM run as `acllite pyacl --force prog.py` (acllite's `import acl`)."""
    import tempfile

    base: Dict[str, Optional[str]] = {"ASCEND_GLOBAL_LOG_LEVEL": None, "ASCEND_SLOG_PRINT_TO_STDOUT": None}
    base.update(env)
    with tempfile.TemporaryDirectory() as tmp:
        prog = Path(tmp) / "prog.py"
        prog.write_text(PYACL_PROGRAM)
        return subprocess.run([sys.executable, "-m", "acllite.pyacl", "--force", str(prog)], capture_output=True,
                              text=True, env=child_env(base), cwd=tmp, timeout=120)


def test_a_pyacl_program_that_prints_only_the_code_shows_why_on_stderr() -> None:
    proc = _pyacl({})
    assert proc.returncode == 0, proc.stderr
    assert "malloc without a device 107002" in proc.stdout, proc.stdout
    assert "[acllite-emu] ERROR: aclrtMalloc: this thread has no current context: call aclrtSetDevice or " \
           "aclrtSetCurrentContext first (error 107002)" in proc.stderr, proc.stderr
    assert "[acllite-emu]" not in proc.stdout


@pytest.mark.parametrize("level, shown", [("0", True), ("3", True), ("4", False), ("", True), ("7", True),
                                          ("debug", True)])
def test_ascend_global_log_level_filters_the_emulator_log(level: str, shown: bool) -> None:
    """CANN: 0 debug .. 3 error (the default), 4 null; unset, empty or invalid values mean the default."""
    proc = _pyacl({"ASCEND_GLOBAL_LOG_LEVEL": level})
    assert proc.returncode == 0, proc.stderr
    assert ("ERROR: aclrtMalloc" in proc.stderr) == shown, proc.stderr
    assert ("INFO: initialized" in proc.stderr) == (level == "0"), proc.stderr  # aclInit's INFO line


def test_ascend_slog_print_to_stdout_moves_the_log_to_stdout() -> None:
    proc = _pyacl({"ASCEND_SLOG_PRINT_TO_STDOUT": "1"})
    assert "[acllite-emu] ERROR: aclrtMalloc" in proc.stdout and "[acllite-emu]" not in proc.stderr, proc
    proc = _pyacl({"ASCEND_SLOG_PRINT_TO_STDOUT": "0"})
    assert "[acllite-emu] ERROR: aclrtMalloc" in proc.stderr and "[acllite-emu]" not in proc.stdout, proc


def test_failures_reach_an_attached_log_handler_at_error(acl: Any, emu_log: Any) -> None:
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "size is 0", lib.aclrtMalloc, ffi.new("void **"), 0, 0)
    assert "aclrtMalloc: size is 0 (error 100000)" in emu_log.messages(lib.ACLLITE_EMU_LOG_ERROR), emu_log.lines


def test_a_polling_timeout_is_a_warning_not_an_error(acl: Any, emu_log: Any) -> None:
    """aclrtProcessReport(timeout) is called in a loop by every report thread: its timeouts are expected."""
    stream = create_stream()
    try:
        me = threading.get_ident()
        ok(lib.aclrtSubscribeReport(me, stream))
        expect_error(lib.ACL_ERROR_WAIT_CALLBACK_TIMEOUT, "no callback within 5 ms", lib.aclrtProcessReport, 5)
        ok(lib.aclrtUnSubscribeReport(me, stream))
    finally:
        ok(lib.aclrtDestroyStream(stream))
    lines = [(lv, m) for lv, m in emu_log.lines if "no callback within" in m]
    assert lines == [(lib.ACLLITE_EMU_LOG_WARNING, "aclrtProcessReport: no callback within 5 ms (error 100036)")]


# ------------------------------------------------------- item 2: releases from the thread they would join

def _jpeg(w: int = 64, h: int = 48) -> bytes:
    from PIL import Image

    rgb = (np.add.outer(np.arange(h), np.arange(w))[..., None] * [1, 2, 3] % 256).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=90)
    return out.getvalue()


class Decode:
    """A JPEG decode queued on a stream (NV12 output): the codec callback runs on that stream's worker."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        data = _jpeg()
        cell = ffi.new("void **")
        ok(lib.acldvppMalloc(cell, len(data)))
        self.src, self.n = cell[0], len(data)
        ffi.memmove(self.src, data, len(data))
        ok(lib.acldvppMalloc(cell, 128 * 48 * 3 // 2))
        self.dst = cell[0]
        self.channel = lib.acldvppCreateChannelDesc()
        ok(lib.acldvppCreateChannel(self.channel))
        self.out = lib.acldvppCreatePicDesc()
        ok(lib.acldvppSetPicDescData(self.out, self.dst))
        ok(lib.acldvppSetPicDescSize(self.out, 128 * 48 * 3 // 2))
        ok(lib.acldvppSetPicDescFormat(self.out, lib.PIXEL_FORMAT_YUV_SEMIPLANAR_420))

    def run(self) -> int:
        ok(lib.acldvppJpegDecodeAsync(self.channel, self.src, self.n, self.out, self.stream), "decode")
        return int(lib.aclrtSynchronizeStream(self.stream))

    def close(self) -> None:
        if self.out is not None:
            ok(lib.acldvppDestroyPicDesc(self.out))
        if self.channel is not None:
            ok(lib.acldvppDestroyChannel(self.channel))
            ok(lib.acldvppDestroyChannelDesc(self.channel))
        ok(lib.acldvppFree(self.src))
        ok(lib.acldvppFree(self.dst))


def in_codec(monkeypatch: Any, hook: Callable[[], None]) -> List[BaseException]:
    """Run hook() inside the next image decode callbacks (on the stream's worker thread); errors are collected."""
    from acllite.emulator import codec

    errors: List[BaseException] = []
    real = codec._open

    def hooked(data: Any, size: int) -> Any:
        try:
            hook()
        except BaseException as exc:  # noqa: BLE001  (reported by the test, not lost in the callback)
            errors.append(exc)
        return real(data, size)

    monkeypatch.setattr(codec, "_open", hooked)
    return errors


def rc_msg(rc: int) -> Any:
    return int(rc), recent_message()


def test_a_stream_is_not_destroyed_from_its_own_worker(acl: Any, monkeypatch: Any) -> None:
    """The finding: a finalizer run by the garbage collector inside the decode callback destroyed the stream
    whose worker ran it: pthread_join on itself failed (ignored), and the stream was freed while in use."""
    stream = create_stream()
    decode = Decode(stream)
    seen: Dict[str, Any] = {}
    ctx = ffi.new("aclrtContext *")
    ok(lib.aclrtGetCurrentContext(ctx))
    errors = in_codec(monkeypatch, lambda: seen.update(
        destroy=rc_msg(lib.aclrtDestroyStream(stream)), sync=rc_msg(lib.aclrtSynchronizeStream(stream)),
        sync_timeout=rc_msg(lib.aclrtSynchronizeStreamWithTimeout(stream, 100)),
        set_context=lib.aclrtSetCurrentContext(ctx[0]),  # the worker has none of its own
        sync_device=rc_msg(lib.aclrtSynchronizeDevice()), thread=threading.get_ident()))
    try:
        assert decode.run() == 0, recent_message()
        assert not errors, errors
        assert seen["thread"] != threading.get_ident() and seen["set_context"] == 0  # the worker ran it
        for key, func in (("destroy", "aclrtDestroyStream"), ("sync", "aclrtSynchronizeStream"),
                          ("sync_timeout", "aclrtSynchronizeStreamWithTimeout"),
                          ("sync_device", "aclrtSynchronizeDevice")):
            rc, message = seen[key]
            assert rc == lib.ACL_ERROR_RT_STREAM_NOT_COMPLETE, (key, rc, message)
            assert message.startswith(func + ": the calling thread is running a task of stream"), message
        # the stream is alive and works
        assert decode.run() == 0
    finally:
        monkeypatch.undo()
        decode.close()
        ok(lib.aclrtDestroyStream(stream))


def test_a_finalizer_run_by_the_collector_on_the_worker_cannot_free_the_stream(acl: Any, monkeypatch: Any) -> None:
    """The exact shape of the finding: a reference cycle holding the stream, collected inside the codec."""
    stream = create_stream()
    decode = Decode(stream)
    results: List[Any] = []

    class Holder:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

        def __del__(self) -> None:
            results.append(rc_msg(lib.aclrtDestroyStream(stream)))

    Holder()
    gc.disable()
    try:
        errors = in_codec(monkeypatch, gc.collect)
        assert decode.run() == 0, recent_message()
        assert not errors, errors
        assert len(results) == 1 and results[0][0] == lib.ACL_ERROR_RT_STREAM_NOT_COMPLETE, results
        assert decode.run() == 0  # still alive
    finally:
        gc.enable()
        monkeypatch.undo()
        decode.close()
        ok(lib.aclrtDestroyStream(stream))


def test_no_tear_down_from_a_codec_callback(acl: Any, monkeypatch: Any) -> None:
    """Destroying the stream's context, resetting its device or finalizing would join the calling worker."""
    ctx0 = ffi.new("aclrtContext *")
    ok(lib.aclrtGetCurrentContext(ctx0))
    ctx = create_context()  # becomes current: the stream is made in it
    stream = create_stream()
    decode = Decode(stream)
    seen: Dict[str, Any] = {}

    def hook() -> None:
        seen["context"] = rc_msg(lib.aclrtDestroyContext(ctx))
        seen["reset"] = rc_msg(lib.aclrtResetDevice(0))
        seen["finalize"] = rc_msg(lib.aclFinalize())
        # DVPP releases free nothing the running decode uses (it holds its output description): allowed
        seen["dvpp"] = (lib.acldvppDestroyChannel(decode.channel), lib.acldvppDestroyChannelDesc(decode.channel),
                        lib.acldvppDestroyPicDesc(decode.out))

    errors = in_codec(monkeypatch, hook)
    try:
        assert decode.run() == 0, recent_message()
        assert not errors, errors
        for key, func, fragment in (("context", "aclrtDestroyContext", "the context cannot be destroyed"),
                                    ("reset", "aclrtResetDevice", "the last aclrtResetDevice(0) would release"),
                                    ("finalize", "aclFinalize", "AscendCL cannot be finalized")):
            rc, message = seen[key]
            assert rc == lib.ACL_ERROR_RT_CONTEXT_RELEASE_ERROR and message.startswith(func + ": ") and \
                fragment in message, (key, rc, message)
        assert seen["dvpp"] == (0, 0, 0)
        decode.channel = decode.out = None
    finally:
        monkeypatch.undo()
        decode.close()
        ok(lib.aclrtDestroyStream(stream))
        ok(lib.aclrtSetCurrentContext(ctx0[0]))
        ok(lib.aclrtDestroyContext(ctx))


def test_the_decode_output_freed_inside_the_callback_is_not_written(acl: Any, monkeypatch: Any) -> None:
    """A finalizer may release the output buffer while the codec runs: the rows are refused, never written into
    freed memory (which a later allocation may own)."""
    stream = create_stream()
    decode = Decode(stream)
    freed: List[int] = []
    errors = in_codec(monkeypatch, lambda: freed.append(lib.acldvppFree(decode.dst)))
    try:
        rc = decode.run()
        assert freed == [0] and not errors, (freed, errors)
        assert rc == lib.ACL_ERROR_RT_PARAM_INVALID, (rc, recent_message())
        assert "output data" in recent_message() and "not in a live allocation" in recent_message()
        assert lib.acldvppGetPicDescRetCode(decode.out) == rc
    finally:
        monkeypatch.undo()
        cell = ffi.new("void **")
        ok(lib.acldvppMalloc(cell, 16))  # close() frees dst: give it something to free
        decode.dst = cell[0]
        decode.close()
        ok(lib.aclrtDestroyStream(stream))


def _tiny_model() -> bytes:
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


class Execution:
    """A loaded y = -x model with device buffers and datasets."""

    def __init__(self) -> None:
        self.model = load(_tiny_model())
        cell = ffi.new("void **")
        self.ptrs = []
        for _ in range(2):
            ok(lib.aclrtMalloc(cell, 16, 0))
            self.ptrs.append(cell[0])
        ok(lib.aclrtMemcpy(self.ptrs[0], 16, ffi.from_buffer(np.float32([1, 2, 3, 4])), 16, 1))
        self.inp, self.out = lib.aclmdlCreateDataset(), lib.aclmdlCreateDataset()
        self.bufs = [lib.aclCreateDataBuffer(self.ptrs[0], 16), lib.aclCreateDataBuffer(self.ptrs[1], 16)]
        ok(lib.aclmdlAddDatasetBuffer(self.inp, self.bufs[0]))
        ok(lib.aclmdlAddDatasetBuffer(self.out, self.bufs[1]))

    def result(self) -> List[float]:
        back = np.zeros(4, np.float32)
        ok(lib.aclrtMemcpy(ffi.from_buffer(back), 16, self.ptrs[1], 16, 2))
        return back.tolist()

    def close(self) -> None:
        for b in self.bufs:
            ok(lib.aclDestroyDataBuffer(b))
        ok(lib.aclmdlDestroyDataset(self.inp))
        ok(lib.aclmdlDestroyDataset(self.out))
        for p in self.ptrs:
            ok(lib.aclrtFree(p))
        ok(lib.aclmdlUnload(self.model))


def in_engine(monkeypatch: Any, hook: Callable[[], None]) -> List[BaseException]:
    """Run hook() inside the next model execution callback (it binds the buffers first)."""
    from acllite.emulator import engine

    errors: List[BaseException] = []
    real = engine._bind

    def hooked(*a: Any) -> Any:
        try:
            hook()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        return real(*a)

    monkeypatch.setattr(engine, "_bind", hooked)
    return errors


def test_a_model_is_not_unloaded_from_inside_its_execution(acl: Any, monkeypatch: Any) -> None:
    """aclmdlUnload waits for the model's executions: from inside one it waited for itself (a hang)."""
    ex = Execution()
    seen: Dict[str, Any] = {}
    errors = in_engine(monkeypatch, lambda: seen.update(unload=rc_msg(lib.aclmdlUnload(ex.model)),
                                                       finalize=rc_msg(lib.aclFinalize()),
                                                       reset=rc_msg(lib.aclrtResetDevice(0))))
    try:
        ok(lib.aclmdlExecute(ex.model, ex.inp, ex.out), "aclmdlExecute")
        assert not errors, errors
        assert seen["unload"][0] == lib.ACL_ERROR_RT_MODEL_RUNNING, seen
        assert seen["unload"][1].startswith("aclmdlUnload: model %d is executing on the calling thread" % ex.model)
        assert seen["finalize"][0] == lib.ACL_ERROR_RT_CONTEXT_RELEASE_ERROR, seen
        assert seen["reset"][0] == lib.ACL_ERROR_RT_CONTEXT_RELEASE_ERROR, seen
        assert ex.result() == [-1, -2, -3, -4]
    finally:
        monkeypatch.undo()
        ex.close()


def test_an_async_execution_cannot_destroy_or_wait_for_its_stream(acl: Any, monkeypatch: Any) -> None:
    ex = Execution()
    stream = create_stream()
    seen: Dict[str, Any] = {}
    errors = in_engine(monkeypatch, lambda: seen.update(destroy=rc_msg(lib.aclrtDestroyStream(stream)),
                                                       sync=rc_msg(lib.aclrtSynchronizeStream(stream)),
                                                       unload=rc_msg(lib.aclmdlUnload(ex.model))))
    try:
        ok(lib.aclmdlExecuteAsync(ex.model, ex.inp, ex.out, stream))
        ok(lib.aclrtSynchronizeStream(stream))
        assert not errors, errors
        assert seen["destroy"][0] == seen["sync"][0] == lib.ACL_ERROR_RT_STREAM_NOT_COMPLETE, seen
        assert seen["unload"][0] == lib.ACL_ERROR_RT_MODEL_RUNNING, seen
        assert ex.result() == [-1, -2, -3, -4]
    finally:
        monkeypatch.undo()
        ex.close()
        ok(lib.aclrtDestroyStream(stream))


class Reporter:
    """A report thread running aclrtProcessReport until stopped; callbacks run on it."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self) -> None:
        self.ident = threading.get_ident()
        self.ready.set()
        while not self.stop.is_set():
            lib.aclrtProcessReport(20)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.mark.parametrize("block", [lib.ACL_CALLBACK_BLOCK, lib.ACL_CALLBACK_NO_BLOCK], ids=["block", "no-block"])
def test_report_callbacks_may_release_their_stream(acl: Any, block: int) -> None:
    """A callback runs on the user's report thread, not on the stream's worker: unsubscribing and destroying the
    stream from inside it are safe (the worker waiting for a blocking callback gives up when the stream stops)."""
    stream = create_stream()
    reporter = Reporter()
    seen: Dict[str, Any] = {}

    def callback(_data: Any) -> None:
        seen["unsubscribe"] = rc_msg(lib.aclrtUnSubscribeReport(reporter.ident, stream))
        seen["destroy"] = rc_msg(lib.aclrtDestroyStream(stream))

    cb = ffi.callback("void(void *)", callback)
    try:
        ok(lib.aclrtSubscribeReport(reporter.ident, stream))
        ok(lib.aclrtLaunchCallback(cb, ffi.NULL, block, stream))
        for _ in range(500):
            if "destroy" in seen:
                break
            threading.Event().wait(0.01)
        assert seen.get("unsubscribe", (None,))[0] == 0 and seen.get("destroy", (None,))[0] == 0, seen
    finally:
        reporter.close()
        if "destroy" not in seen or seen["destroy"][0]:
            lib.aclrtDestroyStream(stream)


@pytest.mark.parametrize("release", ["aclFinalize", "aclrtResetDevice"])
def test_tear_down_from_a_report_callback_is_safe(uninitialized: Any, release: str) -> None:
    """aclFinalize or the last aclrtResetDevice inside a blocking callback: the stream's worker gives up waiting, the
    report thread frees the callback's record; nothing is used after it is freed (the sanitizer build runs this)."""
    ok(lib.aclInit(ffi.NULL))
    ok(lib.aclrtSetDevice(0))
    stream = create_stream()
    reporter = Reporter()
    seen: List[Any] = []
    call = (lambda: lib.aclFinalize()) if release == "aclFinalize" else (lambda: lib.aclrtResetDevice(0))
    cb = ffi.callback("void(void *)", lambda _d: seen.append(rc_msg(call())))
    try:
        ok(lib.aclrtSubscribeReport(reporter.ident, stream))
        ok(lib.aclrtLaunchCallback(cb, ffi.NULL, lib.ACL_CALLBACK_BLOCK, stream))
        for _ in range(500):
            if seen:
                break
            threading.Event().wait(0.01)
        assert seen and seen[0][0] == 0, seen
        assert leak_report()["streams"] == 1  # released by the tear-down, counted as left alive
    finally:
        reporter.close()
    if release == "aclrtResetDevice":
        ok(lib.aclFinalize())
    assert live_counts() == ZERO_COUNTS


def test_process_report_inside_a_report_callback(acl: Any) -> None:
    """A callback that processes reports itself (re-entered on the report thread): it times out or runs the next
    callback; the outer processing goes on with what is left."""
    stream = create_stream()
    reporter = Reporter()
    order: List[Any] = []
    inner = ffi.callback("void(void *)", lambda _d: order.append("inner"))

    def outer(_d: Any) -> None:
        order.append(("nested, nothing queued", int(lib.aclrtProcessReport(10))))
        ok(lib.aclrtLaunchCallback(inner, ffi.NULL, lib.ACL_CALLBACK_NO_BLOCK, stream))
        order.append(("nested, one queued", int(lib.aclrtProcessReport(2000))))

    cb = ffi.callback("void(void *)", outer)
    try:
        ok(lib.aclrtSubscribeReport(reporter.ident, stream))
        ok(lib.aclrtLaunchCallback(cb, ffi.NULL, lib.ACL_CALLBACK_NO_BLOCK, stream))
        ok(lib.aclrtSynchronizeStream(stream))
        for _ in range(500):
            if len(order) == 3:
                break
            threading.Event().wait(0.01)
        assert order == [("nested, nothing queued", lib.ACL_ERROR_WAIT_CALLBACK_TIMEOUT), "inner",
                         ("nested, one queued", 0)], order
        ok(lib.aclrtUnSubscribeReport(reporter.ident, stream))
    finally:
        reporter.close()
        ok(lib.aclrtDestroyStream(stream))


# ------------------------------------------------------------------- item 7: every row, or a failure

def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def ihdr(w: int, h: int, depth: int = 8, color: int = 2, interlace: int = 0) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, interlace))


def rgb_rows(w: int, h: int) -> bytes:
    return b"".join(b"\0" + bytes((x * 3 + y + c) % 251 for x in range(w) for c in range(3)) for y in range(h))


def png(*chunks: bytes) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def truncated_png(w: int = 64, h: int = 64, rows: int = 10) -> bytes:
    """Valid chunks and CRCs; the zlib stream ends (properly) after ``rows`` of the h rows."""
    return png(ihdr(w, h), chunk(b"IDAT", zlib.compress(rgb_rows(w, h)[: rows * (1 + 3 * w)])), chunk(b"IEND", b""))


PNGD_CHILD = """
import json, numpy as np
ok(lib.aclInit(ffi.NULL)); ok(lib.aclrtSetDevice(0))
cell = ffi.new("void **"); stream_cell = ffi.new("aclrtStream *"); ok(lib.aclrtCreateStream(stream_cell))
stream = stream_cell[0]
ch = lib.acldvppCreateChannelDesc(); ok(lib.acldvppSetChannelDescMode(ch, 8)); ok(lib.acldvppCreateChannel(ch))
results = []
for data in INPUTS:
    ok(lib.acldvppMalloc(cell, len(data))); src = cell[0]; ffi.memmove(src, data, len(data))
    size = 128 * 3 * 64
    ok(lib.acldvppMalloc(cell, size)); dst = cell[0]; ffi.memmove(dst, b"\\xa5" * size, size)
    out = lib.acldvppCreatePicDesc()
    ok(lib.acldvppSetPicDescData(out, dst)); ok(lib.acldvppSetPicDescSize(out, size))
    ok(lib.acldvppSetPicDescFormat(out, lib.PIXEL_FORMAT_RGB_888))
    ok(lib.acldvppPngDecodeAsync(ch, src, len(data), out, stream))
    rc = lib.aclrtSynchronizeStream(stream)
    results.append({"rc": rc, "msg": msg(), "retcode": lib.acldvppGetPicDescRetCode(out),
                    "width": lib.acldvppGetPicDescWidth(out), "height": lib.acldvppGetPicDescHeight(out),
                    "untouched": bytes(ffi.buffer(dst, size)) == b"\\xa5" * size})
    ok(lib.acldvppDestroyPicDesc(out)); ok(lib.acldvppFree(src)); ok(lib.acldvppFree(dst))
ok(lib.acldvppDestroyChannel(ch)); ok(lib.acldvppDestroyChannelDesc(ch)); ok(lib.aclrtDestroyStream(stream))
ok(lib.aclrtResetDevice(0)); ok(lib.aclFinalize())
print(json.dumps(results))
"""


def pngd(inputs: List[bytes], prelude: str = "") -> List[Dict[str, Any]]:
    """Decode each PNG on an Ascend310P3 (PNGD) in a subprocess: code, message, description, buffer untouched."""
    code = child(prelude + "\nINPUTS = %r\n" % (inputs,) + PNGD_CHILD)
    out = run_python_ok(code, env={"ACLLITE_EMU_SOC": "Ascend310P3"}, timeout=120)
    return json.loads(out.strip().splitlines()[-1])


def test_a_truncated_png_is_not_decoded_with_black_rows() -> None:
    """The finding: 10 of 64 rows in a properly ended zlib stream decoded as success, the rest black."""
    interlaced = png(ihdr(64, 64, interlace=1), chunk(b"IDAT", zlib.compress(b"\0" * 500)), chunk(b"IEND", b""))
    whole = png(ihdr(64, 64), chunk(b"IDAT", zlib.compress(rgb_rows(64, 64))), chunk(b"IEND", b""))
    cut, adam7, good, lenient = pngd([truncated_png(), interlaced, whole, truncated_png(rows=63)],
                                     prelude="from PIL import ImageFile; ImageFile.LOAD_TRUNCATED_IMAGES = True")
    for r, fragment in ((cut, "its image data holds 10 of 64 rows"), (lenient, "holds 63 of 64 rows"),
                        (adam7, "(interlaced)")):
        assert r["rc"] == lib.ACL_ERROR_INVALID_PARAM and r["retcode"] == r["rc"], r
        assert r["msg"].startswith("acldvppPngDecodeAsync: the codec failed: the PNG is truncated: ") and \
            fragment in r["msg"], r
        assert r["untouched"] and (r["width"], r["height"]) == (0, 0), r  # no half-written success
    assert good["rc"] == 0 and (good["width"], good["height"]) == (64, 64) and not good["untouched"], good


def test_a_decode_that_delivers_fewer_rows_than_the_picture_fails(acl: Any, monkeypatch: Any) -> None:
    """The class, in C: whatever the codec, success with rows missing is a failure with the documented code
    (it was ACL_ERROR_INTERNAL_ERROR); the description keeps no decoded size."""
    from acllite.emulator import codec

    def first_rows_only(sink: Any, im: Any, layout: int) -> int:
        """A codec that stops after 16 rows and reports success."""
        width, n = im.size[0], 16
        raw = im.crop((0, 0, width, n)).tobytes()
        pb = len(raw) // (width * n)
        return codec._put_rows(sink, ffi.from_buffer(raw), width, width * pb, layout, pb, 0, n)

    stream = create_stream()
    decode = Decode(stream)
    monkeypatch.setattr(codec, "_deliver", first_rows_only)
    try:
        rc = decode.run()
        assert rc == lib.ACL_ERROR_INVALID_PARAM, (rc, recent_message())
        assert recent_message() == "acldvppJpegDecodeAsync: the JPEG is truncated: its image data holds 16 of 48 rows"
        assert lib.acldvppGetPicDescRetCode(decode.out) == rc and lib.acldvppGetPicDescWidth(decode.out) == 0
    finally:
        monkeypatch.undo()
        decode.close()
        ok(lib.aclrtDestroyStream(stream))


def _plte(n: int = 2) -> bytes:
    return chunk(b"PLTE", bytes(range(3 * n)))


GOOD_IDAT = chunk(b"IDAT", zlib.compress(rgb_rows(32, 32)))
IEND = chunk(b"IEND", b"")

# (id, PNG, fragment): each accepted by acldvppPngPredictDecSize (and decoded) before.
CHUNK_ORDER = [
    ("two-ihdr", png(ihdr(32, 32), ihdr(32, 32), GOOD_IDAT, IEND), "a second IHDR chunk"),
    ("ihdr-after-idat", png(ihdr(32, 32), GOOD_IDAT, ihdr(32, 32), IEND), "a second IHDR chunk"),
    ("plte-in-grey", png(ihdr(32, 32, color=0), _plte(), GOOD_IDAT, IEND), "PLTE in a grey image"),
    ("two-plte", png(ihdr(32, 32), _plte(), _plte(), GOOD_IDAT, IEND), "a second PLTE chunk"),
    ("plte-after-idat", png(ihdr(32, 32), GOOD_IDAT, _plte(), IEND), "PLTE after the image data"),
    ("plte-length", png(ihdr(32, 32), chunk(b"PLTE", b"\0" * 4), GOOD_IDAT, IEND), "not 1 to 256 entries"),
    ("palette-without-plte", png(ihdr(32, 32, color=3), GOOD_IDAT, IEND), "a palette image without PLTE"),
    ("idat-split", png(ihdr(32, 32), GOOD_IDAT, chunk(b"tEXt", b"a\0b"), GOOD_IDAT, IEND), "not consecutive"),
    ("iend-not-empty", png(ihdr(32, 32), GOOD_IDAT, chunk(b"IEND", b"x")), "IEND holds 1 bytes"),
    ("unknown-critical", png(ihdr(32, 32), chunk(b"ZZZZ", b""), GOOD_IDAT, IEND), "unknown critical chunk ZZZZ"),
    ("type-not-letters", png(ihdr(32, 32), chunk(b"a1b2", b""), GOOD_IDAT, IEND), "is not four letters"),
    ("depth-for-colour", png(ihdr(32, 32, depth=4, color=2), GOOD_IDAT, IEND), "bad IHDR"),
]


@pytest.mark.parametrize("case", CHUNK_ORDER, ids=[c[0] for c in CHUNK_ORDER])
def test_png_chunk_order_violations_are_refused(acl: Any, case: Any) -> None:
    _, data, fragment = case
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "the PNG", lib.acldvppPngPredictDecSize, data, len(data),
                 lib.PIXEL_FORMAT_RGB_888, ffi.new("uint32_t *"))
    assert fragment in recent_message(), recent_message()


def test_png_chunks_in_a_legal_order_are_accepted(acl: Any) -> None:
    legal = png(ihdr(32, 32), chunk(b"gAMA", b"\0\0\xb1\x8f"), chunk(b"tEXt", b"a\0b"), GOOD_IDAT, GOOD_IDAT,
                chunk(b"tEXt", b"c\0d"), IEND, b"trailing bytes are not read")
    size = ffi.new("uint32_t *")
    ok(lib.acldvppPngPredictDecSize(legal, len(legal), lib.PIXEL_FORMAT_RGB_888, size))
    assert size[0] == 128 * 3 * 32


# ------------------------------------------------------------------- DVPP sizes (the class, item 1)


def test_jpege_strides_whose_size_wraps_are_refused(acl: Any) -> None:
    """check_encode_input: width stride 4153135120 x height stride 1480547710 x 3 / 2 wrapped around 2^64 to 86992
    bytes; a 90000-byte input passed and the encoder read 64 rows 4 GB apart (SIGSEGV)."""
    cell = ffi.new("void **")
    ok(lib.acldvppMalloc(cell, 90000))
    src = cell[0]
    ok(lib.acldvppMalloc(cell, 1 << 16))
    dst = cell[0]
    d = lib.acldvppCreatePicDesc()
    for fn, v in ((lib.acldvppSetPicDescData, src), (lib.acldvppSetPicDescSize, 90000),
                  (lib.acldvppSetPicDescFormat, lib.PIXEL_FORMAT_YUV_SEMIPLANAR_420), (lib.acldvppSetPicDescWidth, 64),
                  (lib.acldvppSetPicDescHeight, 64), (lib.acldvppSetPicDescWidthStride, 4153135120),
                  (lib.acldvppSetPicDescHeightStride, 1480547710)):
        ok(fn(d, v))
    cfg = lib.acldvppCreateJpegeConfig()
    ch = lib.acldvppCreateChannelDesc()
    ok(lib.acldvppCreateChannel(ch))
    stream = create_stream()
    try:
        size = ffi.new("uint32_t *", 1 << 16)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "inputDesc: size 90000 is too small", lib.acldvppJpegPredictEncSize,
                     d, cfg, size)
        expect_error(lib.ACL_ERROR_INVALID_PARAM, "inputDesc: size 90000 is too small", lib.acldvppJpegEncodeAsync,
                     ch, d, dst, size, cfg, stream)
        ok(lib.aclrtSynchronizeStream(stream))
    finally:
        ok(lib.aclrtDestroyStream(stream))
        ok(lib.acldvppDestroyChannel(ch))
        ok(lib.acldvppDestroyChannelDesc(ch))
        ok(lib.acldvppDestroyJpegeConfig(cfg))
        ok(lib.acldvppDestroyPicDesc(d))
        ok(lib.acldvppFree(src))
        ok(lib.acldvppFree(dst))


def test_an_roi_of_2_32_pixels_does_not_wrap_to_0(acl: Any) -> None:
    """dvpp_roi_read: right - left + 1 for 0 .. 2^32 - 1 wrapped to a width of 0 (then refused as too small by
    luck); now named for what it is."""
    roi = lib.acldvppCreateRoiConfig(0, 0xFFFFFFFF, 0, 5)
    try:
        from conftest import malloc  # noqa: F401  (device 0 is set by the fixture)
        cell = ffi.new("void **")
        ok(lib.acldvppMalloc(cell, 64 * 48 * 3 // 2))
        p = cell[0]
        d_in, d_out = lib.acldvppCreatePicDesc(), lib.acldvppCreatePicDesc()
        for d in (d_in, d_out):
            for fn, v in ((lib.acldvppSetPicDescData, p), (lib.acldvppSetPicDescSize, 64 * 48 * 3 // 2),
                          (lib.acldvppSetPicDescFormat, lib.PIXEL_FORMAT_YUV_SEMIPLANAR_420),
                          (lib.acldvppSetPicDescWidth, 64), (lib.acldvppSetPicDescHeight, 48),
                          (lib.acldvppSetPicDescWidthStride, 64), (lib.acldvppSetPicDescHeightStride, 48)):
                ok(fn(d, v))
        ch = lib.acldvppCreateChannelDesc()
        ok(lib.acldvppCreateChannel(ch))
        expect_error(lib.ACL_ERROR_INVALID_PARAM,
                     "cropArea (left 0, right 4294967295, top 0, bottom 5) is 4294967296x6",
                     lib.acldvppVpcCropAsync, ch, d_in, d_out, roi, ffi.NULL)
        ok(lib.acldvppDestroyChannel(ch))
        ok(lib.acldvppDestroyChannelDesc(ch))
        ok(lib.acldvppDestroyPicDesc(d_in))
        ok(lib.acldvppDestroyPicDesc(d_out))
        ok(lib.acldvppFree(p))
    finally:
        ok(lib.acldvppDestroyRoiConfig(roi))


def test_a_host_range_that_wraps_or_runs_into_emulated_memory_is_refused(acl: Any) -> None:
    """emu_mem_locate trusted the extent of host memory: a count near 2^64 wrapped the range (memcpy over the
    whole address space), and a range starting below the emulated memory ran into it (writes into blocks no
    allocation owns)."""
    buf = bytearray(64)
    n = (1 << 64) - 16
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "wraps around the address space", lib.aclrtMemcpy, ffi.from_buffer(buf),
                 n, ffi.from_buffer(buf), n, 0)
    expect_error(lib.ACL_ERROR_INVALID_PARAM, "wraps around the address space", lib.aclrtMemset, ffi.from_buffer(buf),
                 n, 0, n)
    cell = ffi.new("void **")
    ok(lib.aclrtMalloc(cell, 64, 0))
    try:
        # device 0's memory is the first 9 GiB of the reservation: 10 GiB below an allocation is outside it (the
        # pointer is never dereferenced: the range is refused first)
        p = int(ffi.cast("uintptr_t", cell[0]))
        q = ffi.cast("void *", p - (10 << 30))
        n = (10 << 30) + 16
        expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "runs into the emulated device memory", lib.aclrtMemcpy, q, n,
                     q, n, 0)
    finally:
        ok(lib.aclrtFree(cell[0]))


def test_model_bytes_from_memory_are_bounded(acl: Any) -> None:
    """fuzz_pyacl under ASan: acl.mdl.load_from_mem_with_mem(<4 KiB of device memory>, 0x6060000089e1) made the
    engine copy 100 TB (read past the allocation; the sanitizer aborted on the allocation). The model's bytes are
    located like any other range, and at most an ONNX model's 2^31 - 1."""
    cell = ffi.new("void **")
    ok(lib.aclrtMalloc(cell, 4096, 0))
    try:
        mid, work, weight = ffi.new("uint32_t *"), ffi.new("size_t *"), ffi.new("size_t *")
        for fn, args in ((lib.aclmdlLoadFromMem, (mid,)), (lib.aclmdlQuerySizeFromMem, (work, weight)),
                         (lib.aclmdlLoadFromMemWithMem, (mid, ffi.NULL, 0, ffi.NULL, 0))):
            expect_error(lib.ACL_ERROR_RT_PARAM_INVALID, "model range [", fn, cell[0], 8192, *args)
            assert "leaves its allocation" in recent_message()
            big = 0x6060000089E1
            expect_error(lib.ACL_ERROR_MODEL_SIZE_INVALID, "modelSize %d is more than the 2147483647 bytes" % big, fn,
                         cell[0], big, *args)
    finally:
        ok(lib.aclrtFree(cell[0]))
