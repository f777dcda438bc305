"""Shared fixtures and helpers of the test suite.

* ``acl``: aclInit + aclrtSetDevice(0) around one test, then aclrtResetDevice + aclFinalize, failing the test
  when either of them found something the test left alive (``@pytest.mark.leaks_ok`` opts out).
* ``uninitialized``: a test that starts with AscendCL not initialized (and is finalized afterwards if it
  left it initialized).
* ``expect_error(code, fragment, fn, *args)``: a raw call returns exactly ``code`` and
  ``aclGetRecentErrMsg()`` names the function and contains the fragment(s).
* ``run_python(code, env)``: the code in a fresh interpreter (the runtime's configuration is read once per
  process), asserting that it was not killed by a signal.
* ``emu_log``: collects the emulator's log lines (``acllite_emu_set_log_handler``) during one test.
* ``ReportThread``, ``StreamHold``: a Python report thread for aclrtProcessReport, and a stream held still by
  a blocking host callback until released (to order work and to make waits observable without timing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _prefer_installed_package() -> None:
    """``python -m pytest`` puts the checkout first on sys.path, where acllite has no compiled parts (they are
    built by ``pip install .``). Unless they were built in place, import the installed package instead."""
    if any((ROOT / "acllite").glob("_acl_cffi*.so")):
        return
    root = os.path.realpath(ROOT)
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.getcwd()) != root]
    source = os.path.realpath(ROOT / "acllite")
    for name, module in list(sys.modules.items()):
        if (name == "acllite" or name.startswith("acllite.")) and \
                os.path.realpath(getattr(module, "__file__", None) or "").startswith(source + os.sep):
            del sys.modules[name]  # a half-imported copy from the checkout


_prefer_installed_package()

#: The emulator's configuration is read at the first aclInit of a process; the in-process tests assume the
#: defaults (1 device, Ascend310, 8 GiB, strict). Tests of other configurations run a subprocess.
EMU_CONFIG_VARS = ("ACLLITE_EMU_DEVICES", "ACLLITE_EMU_SOC", "ACLLITE_EMU_DEVICE_MEMORY", "ACLLITE_EMU_STRICT")
for _var in EMU_CONFIG_VARS:
    os.environ.pop(_var, None)

import acllite  # noqa: E402
from acllite.binding import ffi, lib  # noqa: E402

IS_EMULATOR = acllite.backend_info().name == "emulator"
requires_emulator = pytest.mark.skipif(not IS_EMULATOR, reason="needs the emulator backend")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "leaks_ok: the acl fixture does not fail on resources left alive")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Keep each phase's report on the item, so that a fixture can tell whether the test itself failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


# ------------------------------------------------------------------------------------------ raw helpers


def recent_message() -> Optional[str]:
    """aclGetRecentErrMsg() of the calling thread, or None."""
    p = lib.aclGetRecentErrMsg()
    return None if p == ffi.NULL else ffi.string(p).decode(errors="replace")


def expect_error(code: int, fragment: Union[str, Iterable[str]], fn: Callable[..., Any], *args: Any,
                 func: Optional[str] = None) -> str:
    """Call fn(*args); assert it returns exactly ``code`` and that the recent error message starts with the
    function's name (``func``, default fn's own) and contains every fragment. Returns the message."""
    rc = fn(*args)
    msg = recent_message()
    name = func or getattr(fn, "__name__", "?")
    assert rc == code, "%s returned %r, expected %d (%s); recent message: %r" % (
        name, rc, code, acllite.error_name(code), msg)
    assert msg is not None, "%s returned %d but set no recent error message" % (name, code)
    assert msg.startswith(name + ": "), "the message does not name %s: %r" % (name, msg)
    for frag in [fragment] if isinstance(fragment, str) else fragment:
        assert frag in msg, "%r not in the message of %s: %r" % (frag, name, msg)
    return msg


def ok(rc: int, what: str = "call") -> None:
    """Assert a raw call succeeded, showing the recent message when it did not."""
    assert rc == 0, "%s failed with %d (%s): %r" % (what, rc, acllite.error_name(rc), recent_message())


def counts(fn_name: str) -> Dict[str, int]:
    c = ffi.new("acllite_emu_counts *")
    ok(getattr(lib, fn_name)(c), fn_name)
    return {k: int(getattr(c, k)) for k, _ in ffi.typeof("acllite_emu_counts").fields if k != "reserved"}


def leak_report() -> Dict[str, int]:
    return counts("acllite_emu_last_leak_report")


def live_counts() -> Dict[str, int]:
    return counts("acllite_emu_live_counts")


ZERO_COUNTS = {k: 0 for k, _ in ffi.typeof("acllite_emu_counts").fields if k != "reserved"}


def is_initialized() -> bool:
    cell = ffi.new("int32_t *")
    rc = lib.aclrtGetDevice(cell)  # no context yet is still initialized (aclrtGetDeviceCount works before aclInit)
    assert rc in (0, lib.ACL_ERROR_RT_CONTEXT_NULL, lib.ACL_ERROR_UNINITIALIZE), rc
    return rc != lib.ACL_ERROR_UNINITIALIZE


def malloc(size: int, policy: int = 0) -> Any:
    cell = ffi.new("void **")
    ok(lib.aclrtMalloc(cell, size, policy), "aclrtMalloc(%d)" % size)
    return cell[0]


def malloc_host(size: int) -> Any:
    cell = ffi.new("void **")
    ok(lib.aclrtMallocHost(cell, size), "aclrtMallocHost(%d)" % size)
    return cell[0]


def create_stream() -> Any:
    cell = ffi.new("aclrtStream *")
    ok(lib.aclrtCreateStream(cell), "aclrtCreateStream")
    return cell[0]


def create_event() -> Any:
    cell = ffi.new("aclrtEvent *")
    ok(lib.aclrtCreateEvent(cell), "aclrtCreateEvent")
    return cell[0]


def create_context(device: int = 0) -> Any:
    cell = ffi.new("aclrtContext *")
    ok(lib.aclrtCreateContext(cell, device), "aclrtCreateContext")
    return cell[0]


def current_context() -> Any:
    cell = ffi.new("aclrtContext *")
    ok(lib.aclrtGetCurrentContext(cell), "aclrtGetCurrentContext")
    return cell[0]


def read_device(ptr: Any, size: int) -> bytes:
    """size bytes of device memory, through a synchronous device-to-host copy."""
    out = bytearray(size)
    ok(lib.aclrtMemcpy(ffi.from_buffer(out), size, ptr, size, lib.ACL_MEMCPY_DEVICE_TO_HOST), "read_device")
    return bytes(out)


def write_device(ptr: Any, data: bytes) -> None:
    ok(lib.aclrtMemcpy(ptr, len(data), ffi.from_buffer(data), len(data), lib.ACL_MEMCPY_HOST_TO_DEVICE),
       "write_device")


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture
def uninitialized() -> Any:
    """AscendCL not initialized at the start (a test left it initialized otherwise); finalized at the end."""
    if is_initialized():
        lib.aclFinalize()
        pytest.fail("a previous test left AscendCL initialized")
    yield
    if is_initialized():
        ok(lib.aclFinalize(), "aclFinalize (cleanup)")


@pytest.fixture
def acl(request: Any) -> Any:
    """aclInit + aclrtSetDevice(0); afterwards aclrtResetDevice(0) + aclFinalize must find nothing alive."""
    if is_initialized():
        lib.aclFinalize()
        pytest.fail("a previous test left AscendCL initialized")
    ok(lib.aclInit(ffi.NULL), "aclInit")
    ok(lib.aclrtSetDevice(0), "aclrtSetDevice(0)")
    yield lib
    if not is_initialized():
        return  # the test finalized on its own (and checked what it wanted)
    # A test that resets device 0 itself must set it again, so that this reset is the one that tears down.
    ok(lib.aclrtResetDevice(0), "aclrtResetDevice(0) (teardown)")
    after_reset = leak_report()
    ok(lib.aclFinalize(), "aclFinalize (teardown)")
    after_finalize = leak_report()
    remaining = live_counts()
    call = getattr(request.node, "report_call", None)
    if request.node.get_closest_marker("leaks_ok") or (call is not None and call.failed):
        return  # opted out, or the test failed already (what it left alive is not news)
    assert after_reset == ZERO_COUNTS, "aclrtResetDevice(0) released what the test left alive: %s" % after_reset
    assert after_finalize == ZERO_COUNTS, "aclFinalize released what the test left alive: %s" % after_finalize
    assert remaining == ZERO_COUNTS, "alive after aclFinalize: %s" % remaining


@pytest.fixture
def device(acl: Any) -> Any:
    """acllite.Device(0) on the acl fixture's initialization (closed at the end)."""
    dev = acllite.Device(0)
    yield dev
    dev.close()


_LOG_CALLBACKS: List[Any] = []  # ffi callbacks stay alive for the process: a worker may still be inside one


class EmuLog:
    def __init__(self) -> None:
        self.lines: List[Tuple[int, str]] = []
        self._lock = threading.Lock()

    def add(self, level: int, message: str) -> None:
        with self._lock:
            self.lines.append((level, message))

    def messages(self, min_level: int = 0) -> List[str]:
        with self._lock:
            return [m for lv, m in self.lines if lv >= min_level]

    def warnings(self) -> List[str]:
        return self.messages(lib.ACLLITE_EMU_LOG_WARNING)


@pytest.fixture
def emu_log() -> Any:
    """The emulator's log lines (all levels) during the test."""
    if not IS_EMULATOR:
        pytest.skip("needs the emulator backend")
    log = EmuLog()

    def handler(level: int, message: Any) -> None:
        log.add(int(level), ffi.string(message).decode(errors="replace"))

    cb = ffi.callback("void(int32_t, const char *)", handler)
    _LOG_CALLBACKS.append(cb)
    lib.acllite_emu_set_log_handler(cb)
    try:
        yield log
    finally:
        lib.acllite_emu_set_log_handler(ffi.NULL)


# ------------------------------------------------------------------------------------------ report threads


class ReportThread:
    """A Python thread calling aclrtProcessReport in a loop once ``start_processing()`` is called."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.stopping = threading.Event()
        self.unexpected: List[Tuple[int, Optional[str]]] = []
        self.processed = 0
        self.thread = threading.Thread(target=self._run, name="acl-report", daemon=True)
        self.thread.start()
        assert self.thread.ident is not None
        self.ident: int = self.thread.ident  # == pthread_self() of the thread on Linux

    def _run(self) -> None:
        self.gate.wait()
        while not self.stopping.is_set():
            rc = lib.aclrtProcessReport(20)
            if rc == 0:
                self.processed += 1
            elif rc != lib.ACL_ERROR_WAIT_CALLBACK_TIMEOUT:
                self.unexpected.append((rc, recent_message()))
                self.stopping.wait(0.01)

    def start_processing(self) -> None:
        self.gate.set()

    def stop(self) -> None:
        self.stopping.set()
        self.gate.set()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the report thread did not stop"


class StreamHold:
    """Holds a stream still: a blocking callback that the (gated) report thread runs only on release().

    Everything queued on the stream after construction runs after release(). ``close()`` releases, waits for
    the stream, stops the report thread and unsubscribes it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.reporter = ReportThread()
        self.ran_on: List[int] = []
        self._cb = ffi.callback("void(void *)", lambda _data: self.ran_on.append(threading.get_ident()))
        ok(lib.aclrtSubscribeReport(self.reporter.ident, stream), "aclrtSubscribeReport")
        ok(lib.aclrtLaunchCallback(self._cb, ffi.NULL, lib.ACL_CALLBACK_BLOCK, stream), "aclrtLaunchCallback")
        self.closed = False

    def release(self) -> None:
        self.reporter.start_processing()

    def close(self, sync: bool = True) -> None:
        if self.closed:
            return
        self.closed = True
        self.release()
        if sync:
            lib.aclrtSynchronizeStream(self.stream)
        self.reporter.stop()
        ok(lib.aclrtUnSubscribeReport(self.reporter.ident, self.stream), "aclrtUnSubscribeReport")
        assert self.reporter.unexpected == [], self.reporter.unexpected

    def __enter__(self) -> "StreamHold":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ------------------------------------------------------------------------------------------ subprocesses


def child_env(env: Optional[Mapping[str, Optional[str]]] = None) -> Dict[str, str]:
    """This process's environment without acllite's own settings, plus env (None values remove a variable)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ACLLITE_")}
    for k, v in (env or {}).items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return base


def run_python(code: str, env: Optional[Mapping[str, Optional[str]]] = None, timeout: float = 60,
               cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run code (dedented) in a fresh interpreter; assert it was not killed by a signal; return the result.

    It runs outside the checkout so that ``import acllite`` finds the installed package."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=child_env(env), cwd=cwd or
                          tempfile.gettempdir(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode >= 0, "the subprocess crashed (signal %d)\nstdout:\n%s\nstderr:\n%s" % (
        -proc.returncode, proc.stdout, proc.stderr)
    return proc


def run_python_ok(code: str, env: Optional[Mapping[str, Optional[str]]] = None, **kw: Any) -> str:
    """run_python that must exit with status 0; returns stdout."""
    proc = run_python(code, env, **kw)
    assert proc.returncode == 0, "the subprocess failed with status %d\nstdout:\n%s\nstderr:\n%s" % (
        proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def child(code: str) -> str:
    """A subprocess snippet: CHILD_PRELUDE, then the code (dedented on its own)."""
    return CHILD_PRELUDE + textwrap.dedent(code)


#: Prelude of subprocess snippets: the raw binding and helpers that fail loudly.
CHILD_PRELUDE = """
import sys
from acllite.binding import ffi, lib
def msg():
    p = lib.aclGetRecentErrMsg()
    return None if p == ffi.NULL else ffi.string(p).decode()
def ok(rc, what="call"):
    assert rc == 0, "%s failed with %d: %r" % (what, rc, msg())
def expect(rc, code, *fragments):
    m = msg()
    assert rc == code, "returned %r, expected %d: %r" % (rc, code, m)
    for f in fragments:
        assert f in (m or ""), "%r not in %r" % (f, m)
    return m
"""


def converted_onnx(path: Union[str, Path]) -> Any:
    """The ONNX model (onnx.ModelProto) that an .om written by acllite atc carries."""
    import onnx

    from acllite.formats import om

    blob = om.embedded_onnx(Path(path).read_bytes(), str(path))
    assert blob is not None, "%s carries no ONNX model" % path
    return onnx.load_model_from_string(bytes(blob))


def onnx_of(om_path: Union[str, Path]) -> Path:
    """Write the ONNX model an .om of acllite atc carries beside it as X.onnx (for tests of the ONNX path and of
    the converted graph itself); returns its path."""
    out = Path(om_path).with_suffix(".onnx")
    out.write_bytes(converted_onnx(om_path).SerializeToString())
    return out
